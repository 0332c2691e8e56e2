"""Turn pydantic validation errors into (JSON pointer, message) pairs users can act on."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True)
class FieldError:
    """One problem in a document: where (RFC 6901 JSON pointer) and what."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"


def json_pointer(loc: tuple[str | int, ...]) -> str:
    """RFC 6901 pointer of a pydantic error location (``~`` and ``/`` escaped)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in loc)


def field_errors(error: ValidationError) -> list[FieldError]:
    """Every error of a ValidationError, located by JSON pointer."""
    return [FieldError(json_pointer(e["loc"]), e["msg"]) for e in error.errors()]
