"""Building blocks shared by the Scenario and Plan models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, StringConstraints
from pydantic_core import CoreSchema

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


def bound_numbers(schema: Any) -> None:
    """Give every ``float`` and ``int`` in a pydantic core schema the bounds ±``MAX_MAGNITUDE``
    (in place; a tighter bound it has is kept), so pydantic-core checks them while parsing.

    The walk visits the schema once when a model class is built, not each value: the check
    costs nothing in Python at validation time and the error names the exact field, list index
    or dictionary key that is out of range (``/requests/0/opened_minute``).
    """
    if isinstance(schema, list):
        for item in schema:
            bound_numbers(item)
        return
    if not isinstance(schema, dict):
        return
    kind = schema.get("type")
    if kind in ("float", "int"):
        limit = MAX_MAGNITUDE if kind == "float" else int(MAX_MAGNITUDE)
        if schema.get("lt", limit + 1) > limit:
            schema["le"] = min(schema.get("le", limit), limit)
        if schema.get("gt", -limit - 1) < -limit:
            schema["ge"] = max(schema.get("ge", -limit), -limit)
    for value in schema.values():
        bound_numbers(value)


class Strict(BaseModel):
    """Base of every contract model: unknown keys are errors, so typos never pass silently;
    every number is finite (NaN and ±Infinity are refused) and within ±``MAX_MAGNITUDE``."""

    model_config = ConfigDict(
        extra="forbid", frozen=False, validate_assignment=False, allow_inf_nan=False
    )

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[BaseModel], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        """The model's core schema with every number bounded (see ``bound_numbers``)."""
        schema = handler(source)
        bound_numbers(schema)
        return schema
