"""Building blocks shared by the Scenario and Plan models."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, strip_whitespace=True),
    Field(description="Identifier, unique within its collection."),
]
"""An entity id: 1-128 characters, surrounding blanks removed."""

NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Probability = Annotated[float, Field(gt=0, le=1)]
"""A share in (0, 1]: a target of 0 promises nothing and is rejected as a likely typo."""

MINUTES_PER_DAY = 1440
"""Minutes in a day: absolute times count minutes from the scenario's horizon start."""


class Strict(BaseModel):
    """Base of every contract model: unknown keys are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=False, validate_assignment=False)
