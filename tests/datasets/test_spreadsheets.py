"""Spreadsheet import/export: exact round trips; every bad cell located by table, row, column."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from aftersales.datasets import spreadsheets
from aftersales.datasets.spreadsheets import (
    SpreadsheetError,
    TableError,
    read_scenario,
    write_plan,
    write_scenario,
)
from aftersales.optimizer.schema import Plan, Scenario

Grids = dict[str, list[list[Any]]]
"""Tables as edited by the tests: name → rows of cells, header first."""

TARGETS = ["folder", "scenario.xlsx"]
SAMPLE = Path(spreadsheets.__file__).parent / "samples" / "s_scenario.xlsx"
"""Located through a module: under pytest, ``datasets`` alone may resolve to tests/datasets."""


def label(target: Path, table: str) -> str:
    """How errors name a table: the CSV file name or the sheet name."""
    return table if target.suffix == ".xlsx" else f"{table}.csv"


def load_grids(target: Path) -> Grids:
    """Every table of a written scenario, cells as stored (text in CSV, values in a workbook)."""
    if target.suffix == ".xlsx":
        book = openpyxl.load_workbook(target)
        return {
            sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book
        }
    grids = {}
    for path in sorted(target.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            grids[path.stem] = [list(row) for row in csv.reader(handle)]
    return grids


def save_grids(target: Path, grids: Grids) -> None:
    """Replace the tables of ``target`` by ``grids``."""
    if target.suffix == ".xlsx":
        book = openpyxl.Workbook()
        book.remove(book.active)
        for name, rows in grids.items():
            sheet = book.create_sheet(name)
            for row in rows:
                sheet.append(row)
        book.save(target)
        return
    for path in target.glob("*.csv"):
        path.unlink()
    for name, rows in grids.items():
        with (target / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)


def edit(target: Path, change: Callable[[Grids], None]) -> None:
    """Apply ``change`` to the tables stored at ``target``."""
    grids = load_grids(target)
    change(grids)
    save_grids(target, grids)


def set_cell(grids: Grids, table: str, row: int, column: str, value: Any) -> None:
    """Set one cell; ``row`` as the spreadsheet shows it (header = 1)."""
    grids[table][row - 1][grids[table][0].index(column)] = value


def drop_column(grids: Grids, table: str, column: str) -> None:
    """Remove a column from a table."""
    index = grids[table][0].index(column)
    grids[table] = [row[:index] + row[index + 1 :] for row in grids[table]]


def rejected(target: Path) -> list[TableError]:
    """The errors reading ``target`` raises (it must raise)."""
    with pytest.raises(SpreadsheetError) as caught:
        read_scenario(target)
    return caught.value.errors


@pytest.fixture
def minimal(scenario_data: dict[str, Any]) -> Scenario:
    """The shared minimal scenario."""
    return Scenario.model_validate(scenario_data)


@pytest.fixture
def rich(scenario_data: dict[str, Any]) -> Scenario:
    """The minimal scenario plus a horizon start, a travel matrix, settings, odd floats, text
    and empty lists."""
    data = scenario_data
    data["name"] = 'Nord, "Ost" – Zürich'
    data["horizon_start_day"] = 9  # a rolled horizon: day 0 is a Wednesday
    data["tiers"][0]["parts_on_hand_target"] = 0.9
    data["sites"][0].update(lat=50 + 1 / 3, name="=SUM(A1)")  # 17 digits; looks like a formula
    data["depots"][1]["capacity_calls_per_year"] = 0.1 + 0.2
    data["technicians"].append({"id": "t2", "depot": "d2", "name": "#N/A"})
    locations = ["s1", "s2", "d1", "d2"]
    data["travel"] = {
        "mode": "matrix",
        "matrix": {
            "locations": locations,
            "minutes": [[abs(i - j) * 7.3 + j / 3 for j in range(4)] for i in range(4)],
            "km": [[abs(i - j) * 0.1 for j in range(4)] for i in range(4)],
        },
    }
    data["policy"] = {"min_open_depots": 1, "max_open_depots": 2, "horizon_days": 3}
    data["options"] = {"layers": [], "seed": 7}
    return Scenario.model_validate(data)


@pytest.fixture
def road(scenario_data: dict[str, Any]) -> Scenario:
    """The minimal scenario on a road graph: s1 on node A, the rest on their own ids' nodes."""
    scenario_data["sites"][0]["node"] = "A"
    edges = [("d1", "A", 20.5, 15, None), ("A", "s2", 10, 8, True), ("s2", "d1", 50, 40, False)]
    scenario_data["travel"] = {
        "mode": "graph",
        "graph": {
            "nodes": ["d1", "A", "s2", "d2", "spare"],
            "edges": [
                {"source": a, "target": b, "minutes": m, "km": k}
                | ({} if directed is None else {"directed": directed})
                for a, b, m, k, directed in edges
            ],
        },
    }
    return Scenario.model_validate(scenario_data)


@pytest.fixture
def vans(scenario_data: dict[str, Any]) -> Scenario:
    """The minimal scenario with van routing fields (issue 11): a home away from the depot,
    tools, a van stock (and an explicitly empty one, which is not the same as none), tools on a
    request."""
    technician = scenario_data["technicians"][0]
    technician.update(
        tools=["torque", "scope"],
        van_stock={"board": 2, "valve": 0},
        home={"id": "h1", "lat": 50.05, "lon": 8 + 1 / 3},
    )
    scenario_data["technicians"].append({"id": "t2", "depot": "d1", "van_stock": {}})
    scenario_data["requests"][0]["tools"] = ["torque"]
    return Scenario.model_validate(scenario_data)


@pytest.fixture
def generated() -> Scenario:
    """The generator's small scenario (seed 0)."""
    from aftersales.datasets.generator import generate_scenario

    return generate_scenario("S", 0)


@pytest.fixture
def written(tmp_path: Path, minimal: Scenario, request: pytest.FixtureRequest) -> Path:
    """The minimal scenario written in the format named by the test's ``target`` parameter."""
    target = tmp_path / request.param
    write_scenario(minimal, target)
    return target


@pytest.mark.parametrize("name", ["minimal", "rich", "generated", "road", "vans"])
@pytest.mark.parametrize("target", TARGETS)
def test_round_trip(tmp_path: Path, request: pytest.FixtureRequest, name: str, target: str) -> None:
    """Writing a scenario and reading it back gives an equal Scenario, floats exactly."""
    scenario = request.getfixturevalue(name)
    write_scenario(scenario, tmp_path / target)
    assert read_scenario(tmp_path / target) == scenario


@pytest.mark.parametrize("written", TARGETS, indirect=True)
def test_workbook_lists_every_table(written: Path) -> None:
    """Every table is written, empty ones as a header, so the output is a template."""
    assert set(load_grids(written)) == {
        *("skills", "tiers", "products", "parts", "sites", "depots", "technicians", "requests"),
        *("installed_base", "product_parts", "shifts", "request_parts", "request_windows"),
        *("settings", "travel_minutes", "travel_km", "road_nodes", "road_edges"),
    }
    assert load_grids(written)["travel_km"] == [["from", "to", "value"]]


BAD_CELLS = [
    # table, row, column, value, what the message says
    ("sites", 3, "lat", "abc", "valid number"),
    ("products", 2, "criticality", "2.5", "valid integer"),
    ("installed_base", 3, "units", "many", "valid integer"),
    ("shifts", 2, "day", "-1", "greater than or equal to 0"),
    ("requests", 3, "kind", "fix", "'repair'"),
    ("sites", 2, "lat", "", None),
    ("depots", 2, "existing", "maybe", "valid boolean"),
    ("sites", 3, "tier", "platinum", "unknown tier 'platinum'"),
    ("sites", 2, "depot", "d9", "unknown depot 'd9'"),
    ("installed_base", 2, "product", "PR009", "unknown product 'PR009'"),
    ("product_parts", 3, "part", "gasket", "unknown part 'gasket'"),
    ("requests", 2, "site", "s7", "unknown site 's7'"),
    ("request_parts", 2, "part", "bolt", "unknown part 'bolt'"),
    ("technicians", 2, "skills", "electrical;plumbing", "unknown skill 'plumbing'"),
    ("technicians", 2, "van_stock", "board:two", "valid integer"),
    ("depots", 3, "id", "d1", "duplicate depots id 'd1'"),
    ("shifts", 2, "technician", "t9", "unknown technician 't9'"),
    ("installed_base", 4, "product", "press", "'press' repeats for site 's2' (first in row 3)"),
]


@pytest.mark.parametrize(("table", "row", "column", "value", "says"), BAD_CELLS)
@pytest.mark.parametrize("written", TARGETS, indirect=True)
def test_bad_cell_is_located(
    written: Path, table: str, row: int, column: str, value: str, says: str | None
) -> None:
    """A wrong type, a dangling reference or a repeated id is reported at its table, row, column."""
    edit(written, lambda grids: set_cell(grids, table, row, column, value))
    (error,) = rejected(written)
    assert (error.table, error.row, error.column) == (label(written, table), row, column)
    assert (says or "required value is missing") in error.message


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "says"),
    [
        ("road_edges", 3, "minutes", "-3", "greater than 0"),
        ("road_edges", 2, "directed", "sometimes", "valid boolean"),
        ("road_nodes", 6, "id", "d1", "listed twice"),
        ("sites", 2, "node", "nowhere", "unknown graph node 'nowhere'"),
    ],
)
@pytest.mark.parametrize("target", TARGETS)
def test_bad_road_cell_is_located(
    tmp_path: Path,
    road: Scenario,
    target: str,
    table: str,
    row: int,
    column: str,
    value: str,
    says: str,
) -> None:
    """The road graph's tables are located like any other: table, row, column."""
    written = tmp_path / target
    write_scenario(road, written)
    edit(written, lambda grids: set_cell(grids, table, row, column, value))
    (error,) = rejected(written)
    assert (error.table, error.row) == (label(written, table), row)
    assert error.column in (column, None)
    assert says in error.message


@pytest.mark.parametrize("target", TARGETS)
def test_bad_home_cell_is_located(tmp_path: Path, vans: Scenario, target: str) -> None:
    """A home is three columns of the technician's row; a bad one is blamed on its column."""
    write_scenario(vans, tmp_path / target)
    edit(tmp_path / target, lambda grids: set_cell(grids, "technicians", 2, "home_lat", "north"))
    (error,) = rejected(tmp_path / target)
    assert (error.table, error.row, error.column) == (
        label(tmp_path / target, "technicians"),
        2,
        "home_lat",
    )
    assert "valid number" in error.message


@pytest.mark.parametrize("written", TARGETS, indirect=True)
def test_every_error_is_collected(written: Path) -> None:
    """Problems in several tables are reported together, one line each."""

    def break_three(grids: Grids) -> None:
        set_cell(grids, "sites", 2, "lon", "east")
        set_cell(grids, "parts", 3, "unit_cost", "-4")
        grids["request_windows"].append(["r9", 0, 10])

    edit(written, break_three)
    with pytest.raises(SpreadsheetError) as caught:
        read_scenario(written)
    places = [(e.table, e.row, e.column) for e in caught.value.errors]
    assert places == [
        (label(written, "parts"), 3, "unit_cost"),
        (label(written, "request_windows"), 3, "request"),
        (label(written, "sites"), 2, "lon"),
    ]
    assert str(caught.value).splitlines() == [str(e) for e in caught.value.errors]


@pytest.mark.parametrize("written", TARGETS, indirect=True)
@pytest.mark.parametrize(("units", "accepted"), [("4.0", True), ("4.5", False)])
def test_integral_float_counts_as_int(written: Path, units: str, accepted: bool) -> None:
    """A count exported as 4.0 is fine for an int field, unlike 4.5."""
    edit(written, lambda grids: set_cell(grids, "installed_base", 3, "units", units))
    if accepted:
        assert read_scenario(written).sites[1].installed_base["press"] == 4
    else:
        assert [(e.row, e.column) for e in rejected(written)] == [(3, "units")]


ROW_RULES = [
    # table, row, column, value: breaks a rule between cells of one row
    ("shifts", 2, "end_minute", 400, "must be after start_minute"),
    ("technicians", 2, "break_window_end_minute", 700, "does not fit its window"),
]


@pytest.mark.parametrize(("table", "row", "column", "value", "says"), ROW_RULES)
@pytest.mark.parametrize("written", TARGETS, indirect=True)
def test_row_rule_names_the_row(
    written: Path, table: str, row: int, column: str, value: float, says: str
) -> None:
    """A rule spanning several cells of a row (end after start) names the row, no column."""
    edit(written, lambda grids: set_cell(grids, table, row, column, value))
    (error,) = rejected(written)
    assert (error.table, error.row, error.column) == (label(written, table), row, None)
    assert says in error.message


def _rename(table: str, old: str, new: str) -> Callable[[Grids], None]:
    return lambda grids: set_cell(grids, table, 1, old, new)


def _drop_table(table: str) -> Callable[[Grids], None]:
    return lambda grids: grids.__delitem__(table)


def _add_table(table: str) -> Callable[[Grids], None]:
    return lambda grids: grids.update({table: [["id"], ["x"]]})


SHAPE_PROBLEMS = [
    # change, table, row, column, what the message says
    (
        lambda g: drop_column(g, "sites", "tier"),
        "sites",
        None,
        "tier",
        "required column is missing",
    ),
    (_rename("sites", "name", "label"), "sites", 1, "label", "unknown column"),
    (_drop_table("tiers"), "tiers", None, None, "required table is missing"),
    (_add_table("tier"), "tier", None, None, "unknown table"),
]


@pytest.mark.parametrize(("change", "table", "row", "column", "says"), SHAPE_PROBLEMS)
@pytest.mark.parametrize("written", TARGETS, indirect=True)
def test_bad_shape_is_located(
    written: Path,
    change: Callable[[Grids], None],
    table: str,
    row: int | None,
    column: str | None,
    says: str,
) -> None:
    """Missing or unknown columns and tables are named, with no noise from the cells."""
    edit(written, change)
    (error,) = rejected(written)
    assert (error.table, error.row, error.column) == (label(written, table), row, column)
    assert says in error.message


@pytest.mark.parametrize("written", TARGETS, indirect=True)
def test_notes_and_blank_rows_are_skipped(written: Path, minimal: Scenario) -> None:
    """A '_' table is a note; a blank row is skipped but still counts for row numbers."""

    def annotate(grids: Grids) -> None:
        grids["_notes"] = [["anything"], ["goes"]]
        grids["sites"].insert(2, [None] * len(grids["sites"][0]))

    edit(written, annotate)
    assert read_scenario(written) == minimal
    edit(written, lambda grids: set_cell(grids, "sites", 4, "tier", "platinum"))
    assert [(e.row, e.column) for e in rejected(written)] == [(4, "tier")]


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("missing", None, "no such file or folder"),
        ("broken.xlsx", b"not a zip", "cannot read the workbook"),
        ("notes.txt", b"hello", "expected a folder of CSV files or an .xlsx workbook"),
    ],
)
def test_unreadable_source(tmp_path: Path, name: str, content: bytes | None, says: str) -> None:
    """A missing or unreadable source is one located error, not a raw exception."""
    source = tmp_path / name
    if content is not None:
        source.write_bytes(content)
    (error,) = rejected(source)
    assert error.table == name
    assert says in error.message


def test_unreadable_csv_names_the_file(tmp_path: Path, minimal: Scenario) -> None:
    """A CSV that cannot be parsed is reported by file name."""
    write_scenario(minimal, tmp_path)
    (tmp_path / "sites.csv").write_text('id,lat\n"s1,50\n', encoding="utf-8")
    (error,) = rejected(tmp_path)
    assert (error.table, error.row) == ("sites.csv", None)
    assert "cannot read" in error.message


def test_error_text_names_table_row_and_column() -> None:
    """Each error reads like 'sites.csv row 5, column 'tier': ...', one per line."""
    errors = [
        TableError("sites.csv", 5, "tier", "unknown tier 'platinum'"),
        TableError("tiers", None, None, "required table is missing"),
    ]
    assert str(SpreadsheetError(errors)).splitlines() == [
        "sites.csv row 5, column 'tier': unknown tier 'platinum'",
        "tiers: required table is missing",
    ]


@pytest.fixture
def plan() -> Plan:
    """A small hand-made plan touching every table."""
    return Plan.model_validate(
        {
            "status": "feasible",
            "scenario": "minimal",
            "depots": [{"id": "d1", "open": True}, {"id": "d2", "open": False}],
            "assignments": [
                {"site": "s1", "depot": "d1", "travel_minutes": 12.5, "within_promise": True}
            ],
            "stock": [{"depot": "d1", "part": "board", "level": 2, "demand_per_year": 1.5}],
            "routes": [
                {
                    "technician": "t1",
                    "day": 0,
                    "start": 480,
                    "end": 1000,
                    "stops": [
                        {"request": "r1", "arrival": 500, "start": 500, "end": 590},
                        {"request": "r2", "arrival": 620, "start": 630, "end": 690},
                    ],
                    "break": {"start": 700, "end": 730},
                    "travel_km": 42.0,
                }
            ],
            "unserved": [{"request": "r3", "reason": "deferred"}],
            "costs": {"holding_per_year": 500, "route_travel": 21},
            "kpis": [{"tier": "gold", "sites": 1, "sites_within_promise": 1}],
            "layers": [{"layer": "routing", "status": "feasible", "method": "greedy"}],
        }
    )


def _read_back(target: Path) -> dict[str, pd.DataFrame]:
    if target.suffix == ".xlsx":
        return pd.read_excel(target, sheet_name=None)
    return {path.stem: pd.read_csv(path) for path in target.glob("*.csv")}


@pytest.mark.parametrize("target", ["plan", "plan.xlsx"])
def test_plan_export_writes_its_tables(tmp_path: Path, plan: Plan, target: str) -> None:
    """A plan is written as summary, decision, route, cost, KPI and layer tables."""
    write_plan(plan, tmp_path / target)
    tables = _read_back(tmp_path / target)
    assert set(tables) == {
        *("summary", "depots", "assignments", "stock", "routes", "stops", "breaks"),
        *("unserved", "costs", "kpis", "layers"),
    }
    assert tables["stops"].to_dict("records") == [
        {"technician": "t1", "day": 0, "sequence": 1, "request": "r1",
         "arrival": 500, "start": 500, "end": 590},
        {"technician": "t1", "day": 0, "sequence": 2, "request": "r2",
         "arrival": 620, "start": 630, "end": 690},
    ]  # fmt: skip
    assert tables["breaks"].to_dict("records") == [
        {"technician": "t1", "day": 0, "start": 700, "end": 730}
    ]
    assert len(tables["routes"]) == 1
    assert {"technician", "day", "start", "end", "travel_km"} <= set(tables["routes"].columns)
    assert {"stops", "break", "break_"}.isdisjoint(tables["routes"].columns)
    costs = dict(zip(tables["costs"]["component"], tables["costs"]["value"], strict=True))
    assert costs["holding_per_year"] == 500
    assert costs["route_travel"] == 21
    summary = dict(zip(tables["summary"]["key"], tables["summary"]["value"], strict=True))
    assert summary["status"] == "feasible"
    assert list(tables["depots"]["open"]) == [True, False]


def test_sample_workbook_matches_generator(generated: Scenario) -> None:
    """The shipped sample is the generator's S scenario (regenerate it if the generator changes)."""
    assert read_scenario(SAMPLE) == generated
