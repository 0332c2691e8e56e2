"""Technician staffing: Erlang C queueing, workload per pool, allowances and plan sections."""

from aftersales.optimizer.staffing.allowances import (
    TierAllowance,
    technician_allowance,
    tier_allowances,
    unit_fill_target,
)
from aftersales.optimizer.staffing.data import StaffingData, compile_staffing, pool_skill
from aftersales.optimizer.staffing.queueing import erlang_c, max_load, wait_exceeds

__all__ = [
    "StaffingData",
    "TierAllowance",
    "compile_staffing",
    "erlang_c",
    "max_load",
    "pool_skill",
    "technician_allowance",
    "tier_allowances",
    "unit_fill_target",
    "wait_exceeds",
]
