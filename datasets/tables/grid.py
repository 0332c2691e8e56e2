"""Tables on disk: a folder of CSV files or an .xlsx workbook, read as text, written as values.

Reading turns every cell into text (surrounding blanks removed, empty = ``""``) so that nothing is
coerced before the schema sees it: pandas reads CSV with ``dtype=str`` and no NA guessing, and
workbook cells are converted here (floats by ``repr``, which round-trips every double exactly).
Writing keeps numbers as numbers in a workbook, so planners can compute with them.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from aftersales.datasets.tables.errors import TableError

Value = str | int | float | bool | None
"""A cell to write: None leaves the cell empty."""

WORKBOOK_SUFFIX = ".xlsx"
_NOT_FOLDERS = {".csv", ".xls", ".xlsm", ".ods", ".json"}
"""Suffixes that name a file, never a folder of CSV files: rejected as write targets."""
NOTE_PREFIX = "_"
"""Sheets and CSV files whose name starts with this are notes, never read."""


@dataclass(frozen=True)
class RawTable:
    """One table as read: cell texts by column name, with the spreadsheet row of each row."""

    name: str
    label: str
    columns: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]


@dataclass(frozen=True)
class OutTable:
    """One table to write: a header and rows of values in header order."""

    name: str
    columns: tuple[str, ...]
    rows: list[list[Value]] = field(default_factory=list)


@dataclass
class Source:
    """The tables of one folder or workbook, and the problems met while reading them.

    ``readable`` is False when the source as a whole could not be read (then ``tables`` is empty
    and ``errors`` says why); an unreadable table is an error of its own and simply absent.
    """

    label: str
    workbook: bool
    tables: dict[str, RawTable] = field(default_factory=dict)
    errors: list[TableError] = field(default_factory=list)
    readable: bool = True

    def fail(self, message: str) -> None:
        """Record that the source as a whole cannot be read."""
        self.errors.append(TableError(self.label, None, None, message))
        self.readable = False

    def table_label(self, name: str) -> str:
        """How a table is named to the user: ``sites.csv`` in a folder, ``sites`` in a workbook."""
        return name if self.workbook else f"{name}.csv"


def load_tables(source: Path) -> Source:
    """Read every table of a CSV folder or an .xlsx workbook; problems land in ``errors``."""
    is_workbook = source.suffix.lower() == WORKBOOK_SUFFIX
    found = Source(label=source.name or str(source), workbook=is_workbook)
    if source.is_dir():
        _read_folder(source, found)
    elif is_workbook and source.is_file():
        _read_workbook(source, found)
    elif not source.exists():
        found.fail("no such file or folder")
    else:
        found.fail("expected a folder of CSV files or an .xlsx workbook")
    return found


def save_tables(tables: Sequence[OutTable], target: Path) -> None:
    """Write tables as one CSV file each into folder ``target``, or as sheets of an .xlsx."""
    suffix = target.suffix.lower()
    if suffix == WORKBOOK_SUFFIX:
        _write_workbook(tables, target)
    elif suffix in _NOT_FOLDERS:
        raise ValueError(f"{target}: write to a folder (CSV files) or an .xlsx workbook")
    else:
        _write_folder(tables, target)


def _add_table(found: Source, name: str, label: str, grid: list[list[str]]) -> None:
    """Turn a grid of cell texts (first row = header) into a RawTable of ``found``."""
    if name in found.tables:
        first = found.tables[name].label
        found.errors.append(TableError(label, None, None, f"the same table as {first}"))
        return
    header = [cell.strip() for cell in grid[0]] if grid else []
    used: dict[str, int] = {}
    for index, column in enumerate(header):
        if not column:
            if any(index < len(cells) and cells[index].strip() for cells in grid[1:]):
                message = f"column {index + 1} has values but no header"
                found.errors.append(TableError(label, 1, None, message))
        elif column in used:
            found.errors.append(TableError(label, 1, column, "column appears twice"))
        else:
            used[column] = index
    rows = []
    for number, cells in enumerate(grid[1:], start=2):
        values = {c: cells[i].strip() if i < len(cells) else "" for c, i in used.items()}
        if any(values.values()):
            rows.append((number, values))
    found.tables[name] = RawTable(name, label, tuple(used), tuple(rows))


def _read_folder(folder: Path, found: Source) -> None:
    for path in sorted(folder.glob("*.csv")):
        if not path.stem.startswith(NOTE_PREFIX):
            grid = _read_csv(path, found)
            if grid is not None:
                _add_table(found, path.stem.strip().lower(), path.name, grid)


def _read_csv(path: Path, found: Source) -> list[list[str]] | None:
    """Cell texts of one CSV file, header included; None (and an error) if it cannot be read."""
    try:
        frame = pd.read_csv(
            path,
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError:
        return []
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        reason = str(exc).strip().removeprefix("Error tokenizing data. C error: ")
        found.errors.append(TableError(path.name, None, None, f"cannot read the file: {reason}"))
        return None
    return [[_text(value) for value in row] for row in frame.itertuples(index=False, name=None)]


def _read_workbook(path: Path, found: Source) -> None:
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
        found.fail(f"cannot read the workbook: {exc}")
        return
    try:
        for sheet in book.worksheets:
            if not sheet.title.startswith(NOTE_PREFIX):
                grid = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
                _add_table(found, sheet.title.strip().lower(), sheet.title, grid)
    finally:
        book.close()


def _text(value: object) -> str:
    """The text of one cell as read: exact for floats, ISO 8601 for dates, "" for empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _write_folder(tables: Sequence[OutTable], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for table in tables:
        frame = pd.DataFrame(table.rows, columns=list(table.columns), dtype=object)
        frame.to_csv(folder / f"{table.name}.csv", index=False, lineterminator="\n")


def _write_workbook(tables: Sequence[OutTable], path: Path) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(table.name)
        for column, name in enumerate(table.columns, start=1):
            sheet.cell(1, column, name).font = bold
        for row, values in enumerate(table.rows, start=2):
            for column, value in enumerate(values, start=1):
                if value is not None:
                    _put(sheet.cell(row, column), value)
        sheet.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def _put(cell: SheetCell, value: Value) -> None:
    """Store a value so it reads back identical.

    openpyxl writes floats with 16 significant digits (``"%.16g"``), which changes the last bit
    of about one double in four; a finite float is therefore stored as its shortest exact text
    (``repr``) in a numeric cell. Text is forced to be text, never a formula (``=...``) or an
    error code (``#N/A``).
    """
    cell.value = value
    if isinstance(value, float):
        cell.value = repr(value)
        cell.data_type = "n" if math.isfinite(value) else "s"
    elif isinstance(value, str):
        cell.data_type = "s"
