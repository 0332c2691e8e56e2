"""Check a plan against its scenario with the independent validator."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from aftersales.api.deps import get_tenant
from aftersales.api.errors import UNREADABLE_BODY, V1_ERRORS, InputError
from aftersales.api.models import ErrorItem, ErrorPublic, ValidatePublicRequest, ValidationPublic
from aftersales.optimizer.validate import validate

router = APIRouter(
    prefix="/v1", tags=["validate"], dependencies=[Depends(get_tenant)], responses=V1_ERRORS
)


def check_size(payload: ValidatePublicRequest) -> None:
    """Refuse a plan with more stops than the scenario has requests (422).

    Every stop serves a request and a request is served at most once, so such a plan is wrong
    whatever else it holds; refusing it up front bounds the validator's work (and its report)
    by the scenario's size instead of the plan's, e.g. a route repeating one stop 8,000 times.
    """
    stops = sum(len(route.stops) for route in payload.plan.routes)
    requests = len(payload.scenario.requests)
    if stops > requests:
        raise InputError(
            [
                ErrorItem(
                    pointer="/plan/routes",
                    message=f"{stops} stops but the scenario has {requests} requests: each "
                    "request is served at most once",
                )
            ]
        )


@router.post(
    "/validate",
    response_model=ValidationPublic,
    responses={
        **UNREADABLE_BODY,
        413: {"model": ErrorPublic, "description": "Body over AFTERSALES_MAX_VALIDATE_BYTES."},
    },
)
def validate_plan(payload: ValidatePublicRequest) -> ValidationPublic:
    """Recompute a plan's violations, KPIs and costs from the scenario alone."""
    # A plain `def`: FastAPI runs it in its thread pool, so the validator never blocks the
    # event loop; the body it parsed there is bounded by the validate body limit.
    check_size(payload)
    report = validate(payload.scenario, payload.plan)
    return ValidationPublic(
        ok=report.ok, violations=report.violations, kpis=report.kpis, costs=report.costs
    )
