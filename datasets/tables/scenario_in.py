"""Assemble a Scenario from raw tables and report every problem by table, row and column.

Three passes, each reporting all it finds:

1. shape: unreadable files, unknown tables, unknown or missing columns, missing tables;
2. assembly: rows of relation tables whose parent id is unknown, repeated keys, empty keys,
   unknown settings, an incomplete travel matrix, road edges without road nodes;
3. schema: the assembled document (all cells still text) is validated as one Scenario, so a cell
   that is not a number, a dangling reference or a repeated id is reported exactly as the API
   would report it, then traced back to its row through the provenance recorded in pass 2.

Reference checks run only once every cell parses (pydantic's order): a second read after fixing
the cells may report further problems.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from aftersales.datasets.tables.errors import SpreadsheetError, TableError
from aftersales.datasets.tables.grid import RawTable, Source
from aftersales.datasets.tables.layout import (
    ENTITIES,
    FLAT_SEPARATOR,
    LIST_SEPARATOR,
    MATRICES,
    PAIR_SEPARATOR,
    RELATIONS,
    ROAD_EDGES,
    ROAD_NODES,
    SCENARIO_TABLES,
    SECTIONS,
    SETTING_EXCLUDED,
    SETTINGS,
    SKILLS,
    TOP_KEYS,
    EntityTable,
    RelationTable,
    is_dict_field,
    is_list_field,
)
from aftersales.datasets.tables.origins import Loc, Origin, Origins
from aftersales.optimizer.schema import Scenario

MISSING = "required value is missing"


def scenario_from_tables(found: Source) -> Scenario:
    """The validated Scenario held by ``found``, or a SpreadsheetError listing every problem."""
    if not found.readable:
        raise SpreadsheetError(found.errors)
    errors = [*found.errors, *check_shapes(found)]
    if errors:
        raise SpreadsheetError(errors)
    assembly = _Assembly(found)
    try:
        scenario = Scenario.model_validate(assembly.data)
    except ValidationError as exc:
        assembly.errors.extend(assembly.origins.locate(error) for error in exc.errors())
    if assembly.errors:
        raise SpreadsheetError(assembly.errors)
    return scenario


def check_shapes(found: Source) -> list[TableError]:
    """Unknown tables, unknown and missing columns, missing required tables (not unreadable)."""
    unreadable = {error.table for error in found.errors}
    errors = []
    for name, table in found.tables.items():
        spec = SCENARIO_TABLES.get(name)
        if spec is None:
            known = ", ".join(SCENARIO_TABLES)
            message = f"unknown table; expected one of {known} (start a notes table with '_')"
            errors.append(TableError(table.label, None, None, message))
            continue
        expected = ", ".join(spec.columns)
        legacy = spec.legacy if isinstance(spec, EntityTable) else ()
        errors.extend(
            TableError(table.label, 1, column, f"unknown column; expected one of {expected}")
            for column in table.columns
            if column not in spec.columns and column not in legacy
        )
        errors.extend(
            TableError(table.label, None, column, "required column is missing")
            for column in spec.required_columns
            if column not in table.columns
        )
    errors.extend(
        TableError(found.table_label(name), None, None, "required table is missing")
        for name, spec in SCENARIO_TABLES.items()
        if spec.required and name not in found.tables and found.table_label(name) not in unreadable
    )
    return errors


def split_list(text: str) -> list[str]:
    """Items of a ``;``-separated cell; a lone ``;`` is an explicitly empty list."""
    return [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]


def split_dict(text: str) -> dict[str, str]:
    """Entries of a ``key:value;key:value`` cell; a lone ``;`` is an explicitly empty dict. An
    entry without ``:`` keeps an empty value, which the schema then reports."""
    entries = (item.partition(PAIR_SEPARATOR) for item in split_list(text))
    return {key.strip(): value.strip() for key, _, value in entries}


def _cell(model: type[BaseModel], column: str, text: str) -> str | list[str] | dict[str, str]:
    if is_dict_field(model, column):
        return split_dict(text)
    return split_list(text) if is_list_field(model, column) else text


def _unflatten(spec: EntityTable, item: dict[str, Any]) -> None:
    """Gather the ``<field>_<its field>`` cells of each flattened object into that object."""
    for name in spec.flattened:
        prefix = name + FLAT_SEPARATOR
        inner = {c.removeprefix(prefix): item.pop(c) for c in list(item) if c.startswith(prefix)}
        if inner:
            item[name] = inner


class _Assembly:
    """Builds the Scenario document from cell texts, recording where every part came from."""

    def __init__(self, found: Source) -> None:
        self.found = found
        self.data: dict[str, Any] = {}
        self.origins = Origins(found.label)
        self.errors: list[TableError] = []
        self.positions: dict[str, dict[str, int]] = {}
        self._skills()
        for entity in ENTITIES:
            self._entities(entity)
        for relation in RELATIONS:
            self._relation(relation)
        self._settings()
        self._matrix()
        self._graph()

    def _fail(self, table: RawTable | str, row: int | None, column: str | None, msg: str) -> None:
        label = table.label if isinstance(table, RawTable) else table
        self.errors.append(TableError(label, row, column, msg))

    def _skills(self) -> None:
        table = self.found.tables.get(SKILLS.name)
        if table is None:
            return
        self.origins.add((SKILLS.name,), Origin(table.label, None))
        self.data[SKILLS.name] = [cells["id"] for _, cells in table.rows]
        for position, (row, _) in enumerate(table.rows):
            self.origins.add((SKILLS.name, position), Origin(table.label, row, fallback="id"))

    def _entities(self, spec: EntityTable) -> None:
        table = self.found.tables.get(spec.name)
        if table is None:
            return
        self.origins.add((spec.name,), Origin(table.label, None))
        columns = frozenset(spec.columns)
        children = [r for r in RELATIONS if r.parent == spec.name]
        items: list[dict[str, Any]] = []
        positions: dict[str, int] = {}
        for position, (row, cells) in enumerate(table.rows):
            for column in spec.legacy:
                if cells.get(column):
                    flat = ", ".join(c for c in spec.columns if c.startswith(column))
                    self._fail(table, row, column, f"no longer read; use the columns {flat}")
            item: dict[str, Any] = {
                c: _cell(spec.model, c, v) for c, v in cells.items() if v and c not in spec.legacy
            }
            _unflatten(spec, item)
            item.update({r.field: {} if r.keyed else [] for r in children})
            items.append(item)
            positions.setdefault(cells.get("id", ""), position)
            self.origins.add((spec.name, position), Origin(table.label, row, columns))
            for name in spec.flattened:  # a bad home_lat is blamed on that column
                for column in spec.columns:
                    if column.startswith(name + FLAT_SEPARATOR):
                        field = column.removeprefix(name + FLAT_SEPARATOR)
                        path = (spec.name, position, name, field)
                        self.origins.add(path, Origin(table.label, row, fallback=column))
        self.data[spec.name] = items
        self.positions[spec.name] = positions

    def _relation(self, spec: RelationTable) -> None:
        table = self.found.tables.get(spec.name)
        if table is None:
            return
        positions = self.positions.get(spec.parent, {})
        first_rows: dict[tuple[int, str], int] = {}
        for row, cells in table.rows:
            parent_id = cells[spec.parent_column]
            position = positions.get(parent_id)
            if position is None:
                unknown = f"unknown {spec.parent_column} '{parent_id}'" if parent_id else MISSING
                self._fail(table, row, spec.parent_column, unknown)
            elif spec.keyed:
                self._keyed_item(spec, table, row, cells, (position, parent_id), first_rows)
            else:
                items = self.data[spec.parent][position][spec.field]
                path = (spec.parent, position, spec.field, len(items))
                self.origins.add(path, Origin(table.label, row, frozenset(spec.item_columns)))
                items.append({c: cells[c] for c in spec.item_columns if cells.get(c)})

    def _keyed_item(
        self,
        spec: RelationTable,
        table: RawTable,
        row: int,
        cells: dict[str, str],
        parent: tuple[int, str],
        first_rows: dict[tuple[int, str], int],
    ) -> None:
        """One dict entry of a parent: key column → value column, each key once per parent."""
        key_column, value_column = spec.item_columns
        key, value = cells[key_column], cells[value_column]
        position, parent_id = parent
        if not key or not value:
            self._fail(table, row, value_column if key else key_column, MISSING)
            return
        first = first_rows.setdefault((position, key), row)
        if first != row:
            where = f"{spec.parent_column} '{parent_id}' (first in row {first})"
            self._fail(table, row, key_column, f"'{key}' repeats for {where}")
            return
        self.data[spec.parent][position][spec.field][key] = value
        origin = Origin(table.label, row, key_column=key_column, fallback=value_column)
        self.origins.add((spec.parent, position, spec.field, key), origin)

    def _settings(self) -> None:
        table = self.found.tables.get(SETTINGS.name)
        if table is None:
            return
        first_rows: dict[str, int] = {}
        for row, cells in table.rows:
            key, value = cells["key"], cells["value"]
            path = _setting_path(key)
            first = first_rows.setdefault(key, row)
            if path is None:
                self._fail(table, row, "key", _unknown_setting(key))
            elif first != row:
                self._fail(table, row, "key", f"setting repeats (first in row {first})")
            else:
                self.origins.add(path, Origin(table.label, row, key_column="key", fallback="value"))
                self.origins.add(path[:1], Origin(table.label, row))
                if value:
                    self._put_setting(path, value)

    def _put_setting(self, path: Loc, value: str) -> None:
        if len(path) == 1:  # a top-level key: the name or the horizon start
            self.data[str(path[0])] = value
            return
        section, field = str(path[0]), str(path[1])
        self.data.setdefault(section, {})[field] = _cell(SECTIONS[section], field, value)

    def _matrix(self) -> None:
        """The travel matrix from its long-form tables, if they hold any row."""
        tables = {f: self.found.tables.get(name) for name, f in MATRICES.items()}
        present = {f: table for f, table in tables.items() if table is not None and table.rows}
        if not present:
            return
        if len(present) < len(MATRICES):
            for name, field in MATRICES.items():
                if field not in present:
                    label = self.found.table_label(name)
                    self._fail(label, None, None, "needs values: the other travel table has some")
            return
        pairs = {field: self._pairs(table) for field, table in present.items()}
        ends = (end for table in pairs.values() for pair in table for end in pair)
        locations = list(dict.fromkeys(ends))
        matrix: dict[str, Any] = {"locations": locations}
        for field, table in present.items():
            self.origins.add(("travel", "matrix"), Origin(table.label, None))
            matrix[field] = self._square(table, field, pairs[field], locations)
        if all(matrix[field] is not None for field in present):
            self.data.setdefault("travel", {})["matrix"] = matrix

    def _graph(self) -> None:
        """The road graph from road_nodes and road_edges (edges in row order), if any row."""
        nodes = self.found.tables.get(ROAD_NODES.name)
        edges = self.found.tables.get(ROAD_EDGES.name)
        if not (nodes and nodes.rows) and not (edges and edges.rows):
            return
        if nodes is None or not nodes.rows:
            label = self.found.table_label(ROAD_NODES.name)
            self._fail(label, None, None, "needs the graph's nodes: road_edges has some")
            return
        graph: dict[str, Any] = {"nodes": [cells["id"] for _, cells in nodes.rows], "edges": []}
        self.origins.add(("travel", "graph"), Origin(nodes.label, None))
        for k, (row, _) in enumerate(nodes.rows):
            node = Origin(nodes.label, row, fallback="id")
            self.origins.add(("travel", "graph", "nodes", k), node)
        columns = frozenset(ROAD_EDGES.columns)
        label = edges.label if edges else ""
        for k, (row, cells) in enumerate(edges.rows if edges else []):
            # an empty 'directed' cell keeps the default (both ways)
            graph["edges"].append({c: v for c, v in cells.items() if v != "" or c != "directed"})
            origin = Origin(label, row, columns=columns, fallback="source")
            self.origins.add(("travel", "graph", "edges", k), origin)
        self.data.setdefault("travel", {})["graph"] = graph

    def _pairs(self, table: RawTable) -> dict[tuple[str, str], tuple[str, int]]:
        """(from, to) → (value text, row) of one matrix table; empty and repeated pairs fail."""
        pairs: dict[tuple[str, str], tuple[str, int]] = {}
        for row, cells in table.rows:
            empty = [column for column in ("from", "to", "value") if not cells[column]]
            pair = (cells["from"], cells["to"])
            if empty:
                self._fail(table, row, empty[0], MISSING)
            elif pair in pairs:
                self._fail(table, row, "to", f"pair repeats (first in row {pairs[pair][1]})")
            else:
                pairs[pair] = (cells["value"], row)
        return pairs

    def _square(
        self,
        table: RawTable,
        field: str,
        pairs: dict[tuple[str, str], tuple[str, int]],
        locations: list[str],
    ) -> list[list[str | float]] | None:
        """The n × n matrix of one table (diagonal defaults to 0), None if a pair is missing."""
        rows: list[list[str | float]] = []
        complete = True
        for i, start in enumerate(locations):
            values: list[str | float] = []
            for j, end in enumerate(locations):
                value, row = pairs.get((start, end), ("", None))
                if row is not None:
                    path = ("travel", "matrix", field, i, j)
                    self.origins.add(path, Origin(table.label, row, fallback="value"))
                elif start != end:
                    self._fail(table, None, None, f"no value from '{start}' to '{end}'")
                    complete = False
                values.append(value if row is not None else 0.0)
            rows.append(values)
        return rows if complete else None


def _setting_path(key: str) -> Loc | None:
    """Document path of a settings key (``costs.dispatch_minutes``), None if not a setting."""
    if key in TOP_KEYS:
        return (key,)
    section, dot, field = key.partition(".")
    if not dot or section not in SECTIONS or not field or (section, field) in SETTING_EXCLUDED:
        return None
    return (section, field)


def _unknown_setting(key: str) -> str:
    if not key:
        return MISSING
    if key == "travel.matrix":
        return "the travel matrix goes in the travel_minutes and travel_km tables"
    if key == "travel.graph":
        return "the road graph goes in the road_nodes and road_edges tables"
    sections = ", ".join(f"{section}.*" for section in SECTIONS)
    return f"unknown setting '{key}'; expected {', '.join(TOP_KEYS)} or one of {sections}"
