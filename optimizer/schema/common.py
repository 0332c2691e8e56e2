"""Building blocks shared by the Scenario and Plan models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, strip_whitespace=True),
    Field(description="Identifier, unique within its collection."),
]
"""An entity id: 1-128 characters, surrounding blanks removed."""

MAX_MAGNITUDE = 1e12
"""Largest absolute value of any number in a Scenario or Plan. Costs per year, minutes and
units stay far below it; beyond it sums and squares lose every digit of precision (1e308 is
finite yet overflows the first product), so such input is rejected where it is read."""

NonNegative = Annotated[float, Field(ge=0, le=MAX_MAGNITUDE)]
Positive = Annotated[float, Field(gt=0, le=MAX_MAGNITUDE)]
Probability = Annotated[float, Field(gt=0, le=1)]
"""A share in (0, 1]: a target of 0 promises nothing and is rejected as a likely typo."""

MINUTES_PER_DAY = 1440
"""Minutes in a day: absolute times count minutes from the scenario's horizon start."""


def out_of_range(value: Any) -> bool:
    """Whether a number, or a (nested) list of numbers, exceeds ``MAX_MAGNITUDE`` in size.

    Linear in the numbers it holds; other values (text, models, None) are not its concern.
    """
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return abs(value) > MAX_MAGNITUDE
    if isinstance(value, list | tuple):
        return any(out_of_range(item) for item in value)
    if isinstance(value, dict):
        return any(out_of_range(item) for item in value.values())
    return False


class Strict(BaseModel):
    """Base of every contract model: unknown keys are errors, so typos never pass silently;
    every number is finite (NaN and ±Infinity are refused) and within ±``MAX_MAGNITUDE``."""

    model_config = ConfigDict(
        extra="forbid", frozen=False, validate_assignment=False, allow_inf_nan=False
    )

    @field_validator("*", mode="after")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        """Refuse a number beyond ±MAX_MAGNITUDE at the field that holds it."""
        if out_of_range(value):
            raise ValueError(f"numbers must lie within ±{MAX_MAGNITUDE:g}")
        return value
