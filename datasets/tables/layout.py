"""Which tables a scenario is made of, and which columns each has.

Column names are the schema's field names, so the tables need no documentation of their own:
the field descriptions of ``aftersales.optimizer.schema`` give the units. Nested lists and dicts of
an entity live in relation tables keyed by the parent's id; lists of ids (skills) are one cell with
the ids separated by ``;``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import UnionType
from typing import Union, get_args, get_origin

from pydantic import BaseModel

from aftersales.optimizer.schema import (
    CostParameters,
    Depot,
    Part,
    PartUsage,
    Policy,
    Product,
    Request,
    Shift,
    Site,
    SolveOptions,
    Technician,
    Tier,
    TimeWindow,
    TravelModel,
)
from aftersales.optimizer.schema.common import Identifier, Strict

LIST_SEPARATOR = ";"
"""Separates the items of a list held in one cell (``electrical;mechanical``)."""
PAIR_SEPARATOR = ":"
"""Separates key and value of a dict entry held in one cell (``board:2;valve:1``)."""
FLAT_SEPARATOR = "_"
"""Joins an object field and its own field into one column (``home`` + ``lat`` = ``home_lat``)."""


class SkillRow(Strict):
    """A row of the ``skills`` table: one declared skill id."""

    id: Identifier


def model_columns(model: type[BaseModel], exclude: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Field names of a model, in declaration order, less the excluded ones."""
    return tuple(name for name in model.model_fields if name not in exclude)


def required_fields(model: type[BaseModel], among: tuple[str, ...]) -> tuple[str, ...]:
    """The fields of ``among`` that have no default."""
    return tuple(name for name in among if model.model_fields[name].is_required())


def is_list_field(model: type[BaseModel], name: str) -> bool:
    """True if the field holds a list (written as one ``;``-separated cell)."""
    info = model.model_fields.get(name)
    return info is not None and get_origin(info.annotation) is list


def is_dict_field(model: type[BaseModel], name: str) -> bool:
    """True if the field holds a dict or a small object of scalars (e.g. the solve options'
    ``stability`` prices), optionally None: one ``key:value;key:value`` cell."""
    info = model.model_fields.get(name)
    if info is None:
        return False
    annotation = info.annotation
    if get_origin(annotation) in (Union, UnionType):
        annotation = next((a for a in get_args(annotation) if a is not type(None)), annotation)
    nested = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    return nested or get_origin(annotation) is dict


def flat_columns(model: type[BaseModel], flattened: tuple[str, ...]) -> tuple[str, ...]:
    """Columns of object fields kept in their parent's row: ``<field>_<its field>``."""
    columns: list[str] = []
    for name in flattened:
        inner = next(
            a
            for a in get_args(model.model_fields[name].annotation)
            if isinstance(a, type) and issubclass(a, BaseModel)
        )
        columns += [f"{name}{FLAT_SEPARATOR}{field}" for field in inner.model_fields]
    return tuple(columns)


@dataclass(frozen=True)
class EntityTable:
    """One row per item of a Scenario list; one column per field not kept in a relation table."""

    name: str
    model: type[BaseModel]
    nested: tuple[str, ...] = ()
    required: bool = False
    flattened: tuple[str, ...] = ()
    """Optional object fields (``Technician.home``) written as one column per field of theirs,
    all empty when the object is absent."""
    legacy: tuple[str, ...] = ()
    """Columns older files have that are read when empty and refused otherwise (``home``, one
    cell before it became ``home_id``, ``home_lat``, ``home_lon``)."""

    @property
    def own_columns(self) -> tuple[str, ...]:
        """The model's own scalar, list and dict fields."""
        return model_columns(self.model, self.nested + self.flattened)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.own_columns + flat_columns(self.model, self.flattened)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return required_fields(self.model, self.own_columns)


@dataclass(frozen=True)
class RelationTable:
    """Rows ``(parent id, item...)`` that fill one nested list or dict field of an entity.

    A keyed relation fills a dict: ``item_columns`` are (key, value). Any
    other relation appends one item per row to a list; its columns are the item's fields.
    """

    name: str
    parent: str
    parent_column: str
    field: str
    item_columns: tuple[str, ...]
    required_items: tuple[str, ...]
    keyed: bool = False
    required: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.parent_column, *self.item_columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return (self.parent_column, *self.required_items)


@dataclass(frozen=True)
class FixedTable:
    """A table with a fixed set of columns, all required (settings, travel matrices)."""

    name: str
    columns: tuple[str, ...]
    required: bool = False

    @property
    def required_columns(self) -> tuple[str, ...]:
        return self.columns


def _dict_relation(
    name: str, parent: str, parent_column: str, field: str, key: str, value: str, *, required: bool
) -> RelationTable:
    pair = (key, value)
    return RelationTable(name, parent, parent_column, field, pair, pair, True, required)


def _list_relation(
    name: str, parent: str, parent_column: str, field: str, item: type[BaseModel]
) -> RelationTable:
    columns = model_columns(item)
    required = required_fields(item, columns)
    return RelationTable(name, parent, parent_column, field, columns, required)


SKILLS = EntityTable("skills", SkillRow)
ENTITIES: tuple[EntityTable, ...] = (
    EntityTable("tiers", Tier, required=True),
    EntityTable("products", Product, nested=("parts",), required=True),
    EntityTable("parts", Part),
    EntityTable("sites", Site, nested=("installed_base",), required=True),
    EntityTable("depots", Depot, required=True),
    EntityTable(
        "technicians", Technician, nested=("shifts",), flattened=("home",), legacy=("home",)
    ),
    EntityTable("requests", Request, nested=("parts", "time_windows")),
)
"""Entity tables other than ``skills``, in the order a Scenario lists them."""

RELATIONS: tuple[RelationTable, ...] = (
    _dict_relation(
        "installed_base", "sites", "site", "installed_base", "product", "units", required=True
    ),
    _list_relation("product_parts", "products", "product", "parts", PartUsage),
    _list_relation("shifts", "technicians", "technician", "shifts", Shift),
    _dict_relation(
        "request_parts", "requests", "request", "parts", "part", "units", required=False
    ),
    _list_relation("request_windows", "requests", "request", "time_windows", TimeWindow),
)

SETTINGS = FixedTable("settings", ("key", "value"))
SECTIONS: dict[str, type[BaseModel]] = {
    "travel": TravelModel,
    "costs": CostParameters,
    "policy": Policy,
    "options": SolveOptions,
}
"""Scalar sections of a Scenario, stored in ``settings`` as ``section.field`` keys."""
SETTING_EXCLUDED = {("travel", "matrix"), ("travel", "graph")}
"""Section fields held in tables of their own rather than in ``settings``."""
NAME_KEY = "name"
HORIZON_KEY = "horizon_start_day"
"""The scenario's calendar day of horizon day 0 (a settings key of its own, like the name)."""
TOP_KEYS = (NAME_KEY, HORIZON_KEY)
"""Settings keys that are top-level fields of the Scenario rather than ``section.field``."""

MATRICES: dict[str, str] = {"travel_minutes": "minutes", "travel_km": "km"}
"""Travel matrix tables (long form ``from, to, value``) and the TravelMatrix field they fill."""
MATRIX_COLUMNS = ("from", "to", "value")
MATRIX_TABLES = tuple(FixedTable(name, MATRIX_COLUMNS) for name in MATRICES)

ROAD_NODES = FixedTable("road_nodes", ("id",))
ROAD_EDGES = FixedTable("road_edges", ("source", "target", "minutes", "km", "directed"))
"""The road graph of travel mode 'graph': its node ids, and its edges in their listed order
(order matters: a repeated edge replaces the earlier one)."""

TableSpec = EntityTable | RelationTable | FixedTable
_ALL: tuple[TableSpec, ...] = (
    SKILLS,
    *ENTITIES,
    *RELATIONS,
    SETTINGS,
    *MATRIX_TABLES,
    ROAD_NODES,
    ROAD_EDGES,
)
SCENARIO_TABLES: dict[str, TableSpec] = {spec.name: spec for spec in _ALL}
"""Every table a scenario may have, by name."""
