"""Located problems of a spreadsheet: which table, which row, which column, and what is wrong."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class TableError:
    """One problem in a table, located the way a planner sees it.

    ``table`` is the CSV file name (``sites.csv``) or the sheet name (``sites``); ``row`` is the
    spreadsheet row number (the header is row 1, the first data row is row 2), ``None`` for a
    problem of the whole table or column; ``column`` is the header of the offending cell.
    """

    table: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.table
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


def _order(error: TableError) -> tuple[str, int, str]:
    return (error.table, error.row or 0, error.column or "")


class SpreadsheetError(ValueError):
    """Every problem found in a spreadsheet, raised at once so a planner can fix them in one go."""

    def __init__(self, errors: Iterable[TableError]) -> None:
        self.errors: list[TableError] = sorted(dict.fromkeys(errors), key=_order)
        super().__init__("\n".join(str(error) for error in self.errors))
