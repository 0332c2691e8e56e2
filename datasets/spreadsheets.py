"""Scenarios and plans as spreadsheets: a folder of CSV files or one .xlsx workbook.

Planners keep their data in spreadsheets; this module reads a Scenario from them and writes a
Scenario or a Plan back, with the same layout for both formats: one CSV file ``<table>.csv`` per
table in a folder, or one sheet ``<table>`` per table in a workbook. Row 1 holds the column
names, which are the schema's field names (see ``aftersales.optimizer.schema`` for units).

Scenario tables (``*`` = required table)::

    skills          id
    tiers*          id, name, response_minutes, attainment_target, ...   (fields of Tier)
    products*       fields of Product except parts
    parts           fields of Part
    sites*          fields of Site except installed_base
    depots*         fields of Depot
    technicians     fields of Technician except shifts; skills, tools as "electrical;mechanical";
                    van_stock as "board:2;valve:1" (";" = empty van, empty cell = no van
                    model); home as columns home_id, home_lat, home_lon (all empty = none)
    requests        fields of Request except parts and time_windows; required_skills, tools
                    as above
    installed_base* site, product, units
    product_parts   product, part, probability
    shifts          technician, day, start_minute, end_minute
    request_parts   request, part, units
    request_windows request, start, end
    settings        key, value: "name" and "<section>.<field>" for the sections travel, costs,
                    policy, options (e.g. costs.dispatch_minutes, options.layers =
                    "network;inventory")
    travel_minutes  from, to, value: the travel matrix in long form (with travel.mode = matrix);
    travel_km       from, to, value   locations in order of first appearance, diagonal default 0

Lists of ids are one cell separated by ``;`` (a lone ``;`` is an explicitly empty list). A
missing optional table or column, and an empty cell, take the schema default. Sheets or files
whose name starts with ``_`` are notes and are skipped; any other unknown table is an error.

Every problem is reported at once in a ``SpreadsheetError`` whose ``errors`` name the table, the
row as the spreadsheet shows it (header = row 1) and the column: cells that do not parse,
dangling references and repeated ids (traced back from the schema's own checks), unknown or
missing columns and tables, unreadable files.

Plan tables: summary (key, value), depots, assignments, stock, routes (one row per route),
stops (technician, day, sequence, request, arrival, start, end), breaks (technician, day, start,
end), unserved, costs (component, value), kpis, layers.
"""

from __future__ import annotations

from pathlib import Path

from aftersales.datasets.tables.errors import SpreadsheetError, TableError
from aftersales.datasets.tables.export import plan_tables, scenario_tables
from aftersales.datasets.tables.grid import load_tables, save_tables
from aftersales.datasets.tables.scenario_in import scenario_from_tables
from aftersales.optimizer.schema import Plan, Scenario

__all__ = ["SpreadsheetError", "TableError", "read_scenario", "write_plan", "write_scenario"]


def read_scenario(source: Path) -> Scenario:
    """Read a Scenario from a folder of CSV files or an .xlsx workbook.

    Raises SpreadsheetError listing every problem found, each with its table, row and column.
    """
    return scenario_from_tables(load_tables(Path(source)))


def write_scenario(scenario: Scenario, target: Path) -> None:
    """Write a Scenario as CSV files into folder ``target``, or as an .xlsx workbook.

    Every table is written, empty ones as a header, so the result is a template to fill in;
    ``read_scenario`` gives back an equal Scenario (floats exactly).
    """
    save_tables(scenario_tables(scenario), Path(target))


def write_plan(plan: Plan, target: Path) -> None:
    """Write a Plan's tables as CSV files into folder ``target``, or as an .xlsx workbook."""
    save_tables(plan_tables(plan), Path(target))
