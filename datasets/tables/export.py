"""Scenario and Plan as tables to write: one row per item, relation tables for nested data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from aftersales.datasets.tables.grid import OutTable, Value
from aftersales.datasets.tables.layout import (
    ENTITIES,
    FLAT_SEPARATOR,
    HORIZON_KEY,
    LIST_SEPARATOR,
    MATRICES,
    MATRIX_COLUMNS,
    NAME_KEY,
    PAIR_SEPARATOR,
    RELATIONS,
    ROAD_EDGES,
    ROAD_NODES,
    SECTIONS,
    SETTING_EXCLUDED,
    SETTINGS,
    SKILLS,
    EntityTable,
    RelationTable,
    model_columns,
)
from aftersales.optimizer.schema import (
    Assignment,
    CostBreakdown,
    DepotDecision,
    LayerResult,
    Plan,
    RoadGraph,
    Route,
    Scenario,
    StockLevel,
    TierKpi,
    TravelMatrix,
    Unserved,
)

STOP_COLUMNS = ("technician", "day", "sequence", "request", "arrival", "start", "end")
BREAK_COLUMNS = ("technician", "day", "start", "end")


def join_list(model: type[BaseModel], field: str, values: Sequence[str]) -> str | None:
    """One cell for a list field: items joined by ``;``.

    An empty list is an empty cell when the field defaults to an empty list, else a lone ``;``
    (an empty cell would read back as the non-empty default).
    """
    clashing = [value for value in values if LIST_SEPARATOR in value]
    if clashing:
        raise ValueError(f"{field}: '{clashing[0]}' contains the list separator '{LIST_SEPARATOR}'")
    if values:
        return LIST_SEPARATOR.join(values)
    default = model.model_fields[field].get_default(call_default_factory=True)
    return LIST_SEPARATOR if default else None


def join_dict(field: str, values: dict[str, Any]) -> str:
    """One cell for a dict field: ``key:value`` entries joined by ``;``, a lone ``;`` if empty
    (an empty cell reads back as the default, None)."""
    clashing = [key for key in values if LIST_SEPARATOR in key or PAIR_SEPARATOR in key]
    if clashing:
        raise ValueError(f"{field}: '{clashing[0]}' contains '{LIST_SEPARATOR}' or ':'")
    entries = [f"{key}{PAIR_SEPARATOR}{value}" for key, value in values.items()]
    return LIST_SEPARATOR.join(entries) if entries else LIST_SEPARATOR


def _value(model: type[BaseModel], item: BaseModel, field: str) -> Value:
    value = getattr(item, field)
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, dict):
        return join_dict(field, value)
    return join_list(model, field, value) if isinstance(value, list) else value


def model_table(
    name: str, model: type[BaseModel], items: Sequence[BaseModel], exclude: tuple[str, ...] = ()
) -> OutTable:
    """One row per item, one column per field of ``model`` not excluded."""
    columns = model_columns(model, exclude)
    return OutTable(name, columns, [[_value(model, item, c) for c in columns] for item in items])


def scenario_tables(scenario: Scenario) -> list[OutTable]:
    """Every table of the scenario layout, empty tables included (their header guides input)."""
    tables = [OutTable(SKILLS.name, ("id",), [[skill] for skill in scenario.skills])]
    tables += [_entity_table(spec, getattr(scenario, spec.name)) for spec in ENTITIES]
    tables += [_relation_table(spec, getattr(scenario, spec.parent)) for spec in RELATIONS]
    tables.append(_settings_table(scenario))
    tables += _matrix_tables(scenario.travel.matrix)
    tables += _graph_tables(scenario.travel.graph)
    return tables


def _graph_tables(graph: RoadGraph | None) -> list[OutTable]:
    """The road graph's nodes and edges (in their order); empty without a graph."""
    nodes: list[list[Value]] = [[node] for node in graph.nodes] if graph else []
    edges: list[list[Value]] = [
        [getattr(edge, column) for column in ROAD_EDGES.columns]
        for edge in (graph.edges if graph else [])
    ]
    return [
        OutTable(ROAD_NODES.name, ROAD_NODES.columns, nodes),
        OutTable(ROAD_EDGES.name, ROAD_EDGES.columns, edges),
    ]


def _entity_table(spec: EntityTable, items: Sequence[BaseModel]) -> OutTable:
    """One row per item: its own fields, then the fields of each flattened object (empty cells
    when the object is absent)."""
    rows: list[list[Value]] = []
    for item in items:
        row = [_value(spec.model, item, c) for c in spec.own_columns]
        for name in spec.flattened:
            inner = getattr(item, name)
            columns = [c for c in spec.columns if c.startswith(name + FLAT_SEPARATOR)]
            row += [
                None if inner is None else getattr(inner, c.removeprefix(name + FLAT_SEPARATOR))
                for c in columns
            ]
        rows.append(row)
    return OutTable(spec.name, spec.columns, rows)


def _relation_table(spec: RelationTable, parents: Sequence[Any]) -> OutTable:
    """Rows ``(parent id, key, value)`` or ``(parent id, item fields...)`` in parent order."""
    rows: list[list[Value]] = []
    for parent in parents:
        nested = getattr(parent, spec.field)
        if spec.keyed:
            rows += [[parent.id, key, value] for key, value in nested.items()]
        else:
            rows += [[parent.id, *(getattr(item, c) for c in spec.item_columns)] for item in nested]
    return OutTable(spec.name, spec.columns, rows)


def _settings_table(scenario: Scenario) -> OutTable:
    """Key/value rows for the name, the horizon start and every field of the scalar sections,
    defaults included."""
    rows: list[list[Value]] = [
        [NAME_KEY, scenario.name],
        [HORIZON_KEY, scenario.horizon_start_day],
    ]
    for section, model in SECTIONS.items():
        values = getattr(scenario, section)
        rows += [
            [f"{section}.{field}", _value(model, values, field)]
            for field in model.model_fields
            if (section, field) not in SETTING_EXCLUDED
        ]
    return OutTable(SETTINGS.name, SETTINGS.columns, rows)


def _matrix_tables(matrix: TravelMatrix | None) -> list[OutTable]:
    """Long-form travel tables (``from, to, value``), row-major; empty without a matrix."""
    tables = []
    for name, field in MATRICES.items():
        rows: list[list[Value]] = []
        if matrix is not None:
            values = getattr(matrix, field)
            rows = [
                [start, end, values[i][j]]
                for i, start in enumerate(matrix.locations)
                for j, end in enumerate(matrix.locations)
            ]
        tables.append(OutTable(name, MATRIX_COLUMNS, rows))
    return tables


def plan_tables(plan: Plan) -> list[OutTable]:
    """The plan's tables: summary, decisions of every layer, costs, KPIs and solver reports."""
    summary: list[list[Value]] = [
        ["status", plan.status],
        ["scenario", plan.scenario],
        ["annual_total", plan.costs.annual_total],
        ["horizon_total", plan.costs.horizon_total],
    ]
    costs: list[list[Value]] = [
        [field, getattr(plan.costs, field)] for field in CostBreakdown.model_fields
    ]
    return [
        OutTable("summary", ("key", "value"), summary),
        model_table("depots", DepotDecision, plan.depots),
        model_table("assignments", Assignment, plan.assignments),
        model_table("stock", StockLevel, plan.stock),
        model_table("routes", Route, plan.routes, exclude=("stops", "break_")),
        OutTable("stops", STOP_COLUMNS, _stop_rows(plan.routes)),
        OutTable("breaks", BREAK_COLUMNS, _break_rows(plan.routes)),
        model_table("unserved", Unserved, plan.unserved),
        OutTable("costs", ("component", "value"), costs),
        model_table("kpis", TierKpi, plan.kpis),
        model_table("layers", LayerResult, plan.layers),
    ]


def _stop_rows(routes: Sequence[Route]) -> list[list[Value]]:
    """One row per visit; ``sequence`` counts the stops of a route from 1."""
    return [
        [route.technician, route.day, sequence, stop.request, stop.arrival, stop.start, stop.end]
        for route in routes
        for sequence, stop in enumerate(route.stops, start=1)
    ]


def _break_rows(routes: Sequence[Route]) -> list[list[Value]]:
    return [
        [route.technician, route.day, route.break_.start, route.break_.end]
        for route in routes
        if route.break_ is not None
    ]
