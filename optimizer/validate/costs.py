"""Assemble the recomputed CostBreakdown and compare it with the plan's, field by field."""

from __future__ import annotations

from aftersales.optimizer.schema import CostBreakdown
from aftersales.optimizer.validate.report import COST_MISMATCH, Collector, pointer, same_value


def recomputed_costs(*components: dict[str, float]) -> CostBreakdown:
    """One CostBreakdown from the per-layer cost dicts (every field must be given once)."""
    values: dict[str, float] = {}
    for component in components:
        values |= component
    missing = CostBreakdown.model_fields.keys() - values.keys()
    if missing:
        raise ValueError(f"cost components not recomputed: {sorted(missing)}")
    # Sums of non-negative terms; clip float noise so the model's ``ge=0`` always holds.
    return CostBreakdown(**{name: max(0.0, value) for name, value in values.items()})


def check_costs(reported: CostBreakdown, recomputed: CostBreakdown, out: Collector) -> None:
    """Every component equal within the relative money tolerance."""
    for name in CostBreakdown.model_fields:
        a, b = getattr(reported, name), getattr(recomputed, name)
        if not same_value(a, b):
            out.add(
                COST_MISMATCH,
                pointer("costs", name),
                f"{name}: {a} reported, {b} recomputed",
            )
