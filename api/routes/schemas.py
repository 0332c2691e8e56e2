"""JSON Schemas of the documents the service reads and writes."""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from fastapi import APIRouter, Depends

from aftersales.api.deps import get_tenant
from aftersales.api.errors import V1_ERRORS
from aftersales.optimizer.schema import Plan, Scenario

router = APIRouter(
    prefix="/v1/schema", tags=["schema"], dependencies=[Depends(get_tenant)], responses=V1_ERRORS
)


@cache
def _schema(document: str) -> dict[str, Any]:
    return (Scenario if document == "scenario" else Plan).model_json_schema()


@router.get("/{document}")
def read_schema(document: Literal["scenario", "plan"]) -> dict[str, Any]:
    """JSON Schema of the Scenario or the Plan document."""
    return _schema(document)
