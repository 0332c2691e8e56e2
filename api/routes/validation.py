"""Check a plan against its scenario with the independent validator."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from aftersales.api.deps import get_tenant
from aftersales.api.models import ErrorPublic, ValidatePublicRequest, ValidationPublic
from aftersales.optimizer.validate import validate

router = APIRouter(prefix="/v1", tags=["validate"], dependencies=[Depends(get_tenant)])


@router.post("/validate", response_model=ValidationPublic, responses={422: {"model": ErrorPublic}})
def validate_plan(payload: ValidatePublicRequest) -> ValidationPublic:
    """Recompute a plan's violations, KPIs and costs from the scenario alone."""
    report = validate(payload.scenario, payload.plan)
    return ValidationPublic(
        ok=report.ok, violations=report.violations, kpis=report.kpis, costs=report.costs
    )
