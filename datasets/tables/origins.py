"""Provenance of an assembled scenario: which table row each part of the document came from.

The scenario is validated as one document, so pydantic locates every problem by a path into it
(``("sites", 3, "tier")``, ``("sites", 3, "installed_base", "PR009")``). While assembling, each
row registers the path it filled; an error is then traced back through the longest registered
prefix of its path to the table, row and column a planner has to fix.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic_core import ErrorDetails

from aftersales.datasets.tables.errors import TableError

Loc = tuple[str | int, ...]

KEY_ERRORS = frozenset({"unknown_reference", "extra_forbidden"})
"""Error types that blame the key of a dict entry or setting, not its value."""


@dataclass(frozen=True)
class Origin:
    """The row that filled one path of the document, and how to name the culprit column.

    ``columns`` are field names that are also columns of the row (an error below such a field
    blames that column); ``key_column`` is blamed for a bad or unknown key; ``fallback`` for any
    other error (``None``: the row as a whole).
    """

    table: str
    row: int | None
    columns: frozenset[str] = frozenset()
    key_column: str | None = None
    fallback: str | None = None

    def column(self, rest: Loc, error_type: str) -> str | None:
        """The column to blame for an error at ``rest`` below this origin's path."""
        if self.key_column is not None and (error_type in KEY_ERRORS or rest[-1:] == ("[key]",)):
            return self.key_column
        if rest and rest[0] in self.columns:
            return str(rest[0])
        return self.fallback


class Origins:
    """Registry of origins by document path; turns pydantic errors into TableErrors."""

    def __init__(self, source_label: str) -> None:
        self._source = source_label
        self._by_path: dict[Loc, Origin] = {}

    def add(self, path: Loc, origin: Origin) -> None:
        """Record where ``path`` came from (the first registration of a path wins)."""
        self._by_path.setdefault(path, origin)

    def locate(self, error: ErrorDetails) -> TableError:
        """The table, row and column behind one pydantic error."""
        loc = tuple(error["loc"])
        message = error_message(error)
        for cut in range(len(loc), -1, -1):
            origin = self._by_path.get(loc[:cut])
            if origin is not None:
                column = origin.column(loc[cut:], error["type"])
                return TableError(origin.table, origin.row, column, message)
        path = ".".join(str(part) for part in loc)
        return TableError(self._source, None, None, f"{path}: {message}" if path else message)


def error_message(error: ErrorDetails) -> str:
    """Pydantic's message in a planner's words, quoting the offending cell text."""
    if error["type"] == "missing":
        return "required value is missing"
    if error["type"] == "extra_forbidden":
        return f"unknown field '{error['loc'][-1]}'"
    text = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    if isinstance(value, str) and f"'{value}'" not in text:
        text += f" (got '{value}')"
    return text
