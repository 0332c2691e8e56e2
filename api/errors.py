"""Error answers: every 4xx is an ``ErrorPublic``; 422 lists a JSON pointer per problem."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from aftersales.api.models import ErrorItem, ErrorPublic
from aftersales.optimizer.schema import json_pointer

logger = logging.getLogger("aftersales.api")

LOCATIONS = ("body", "query", "path", "header", "cookie")
V1_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorPublic,
        "description": "Missing, invalid, expired or revoked API key (see WWW-Authenticate).",
    },
    422: {"model": ErrorPublic, "description": "Invalid input, located by JSON pointer."},
}
"""Answers every ``/v1`` route may give, declared on its router so the OpenAPI document names
them with the body this module sends (FastAPI would otherwise document its own 422 body)."""
UNREADABLE_BODY: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorPublic, "description": "The body cannot be decoded (not UTF-8 text)."}
}
"""FastAPI's answer to a body it cannot decode at all, on every route that takes a body."""


class InputError(Exception):
    """A request that parsed but breaks a rule of the service (answered 422)."""

    def __init__(self, errors: list[ErrorItem]) -> None:
        super().__init__("; ".join(f"{e.pointer}: {e.message}" for e in errors))
        self.errors = errors


def request_errors(errors: Sequence[Any]) -> list[ErrorItem]:
    """FastAPI/pydantic errors as located items; body pointers start at the body's root."""
    items = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        location = loc[0] if loc and loc[0] in LOCATIONS else "body"
        rest = loc[1:] if loc and loc[0] in LOCATIONS else loc
        message = str(error.get("msg", "invalid"))
        if error.get("type") == "json_invalid":
            rest, message = (), f"invalid JSON: {error.get('ctx', {}).get('error', message)}"
        items.append(ErrorItem(pointer=json_pointer(rest), message=message, location=location))
    return items


def _answer(status: int, error: ErrorPublic, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error.model_dump(), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that shape every error answer."""

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        found = request_errors(exc.errors())
        return _answer(
            422, ErrorPublic(detail=f"invalid request ({len(found)} errors)", errors=found)
        )

    @app.exception_handler(InputError)
    async def _input_error(_: Request, exc: InputError) -> JSONResponse:
        detail = f"invalid request ({len(exc.errors)} errors)"
        return _answer(422, ErrorPublic(detail=detail, errors=exc.errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers) if exc.headers else None
        return _answer(exc.status_code, ErrorPublic(detail=str(exc.detail)), headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return _answer(500, ErrorPublic(detail=f"internal error: {type(exc).__name__}"))
