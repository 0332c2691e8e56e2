"""Cross-reference checks of a Scenario: every id it names must exist, every id must be unique.

All problems are collected and raised together as one pydantic ``ValidationError`` whose
locations point at the offending field (``("sites", 3, "tier")``), so the API can answer with a
JSON pointer per error and the spreadsheet importer with a sheet, row and column.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

if TYPE_CHECKING:
    from aftersales.optimizer.schema.scenario import Scenario

Loc = tuple[str | int, ...]


class _Collector:
    """Accumulates located problems and raises them as one ValidationError."""

    def __init__(self) -> None:
        self.errors: list[InitErrorDetails] = []

    def add(self, kind: str, loc: Loc, message: str, value: Any) -> None:
        self.errors.append(
            InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=value)
        )

    def unknown(self, loc: Loc, what: str, value: str, known: set[str]) -> None:
        if value not in known:
            self.add("unknown_reference", loc, f"unknown {what} '{value}'", value)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError.from_exception_data("Scenario", self.errors)


def _ids(collector: _Collector, field: str, items: Iterable[Any]) -> set[str]:
    """Return the ids of a collection, recording each repeated id at its second occurrence."""
    seen: Counter[str] = Counter()
    for index, item in enumerate(items):
        item_id = item if isinstance(item, str) else item.id
        seen[item_id] += 1
        if seen[item_id] == 2:
            loc: Loc = (field, index) if isinstance(item, str) else (field, index, "id")
            collector.add("duplicate_id", loc, f"duplicate {field} id '{item_id}'", item_id)
    return set(seen)


def check_references(scenario: Scenario) -> None:
    """Raise a located ValidationError if any id is repeated or any reference dangles."""
    out = _Collector()
    skills = _ids(out, "skills", scenario.skills)
    tiers = _ids(out, "tiers", scenario.tiers)
    products = _ids(out, "products", scenario.products)
    parts = _ids(out, "parts", scenario.parts)
    sites = _ids(out, "sites", scenario.sites)
    depots = _ids(out, "depots", scenario.depots)
    technicians = _ids(out, "technicians", scenario.technicians)
    _ids(out, "requests", scenario.requests)

    for i, depot in enumerate(scenario.depots):
        if depot.id in sites:
            out.add(
                "duplicate_id",
                ("depots", i, "id"),
                f"depot id '{depot.id}' is also a site id; locations share one namespace",
                depot.id,
            )
    for i, product in enumerate(scenario.products):
        out.unknown(("products", i, "skill"), "skill", product.skill, skills)
        for k, usage in enumerate(product.parts):
            out.unknown(("products", i, "parts", k, "part"), "part", usage.part, parts)
    for i, site in enumerate(scenario.sites):
        out.unknown(("sites", i, "tier"), "tier", site.tier, tiers)
        if site.depot is not None:
            out.unknown(("sites", i, "depot"), "depot", site.depot, depots)
        if not site.installed_base:
            out.add("empty", ("sites", i, "installed_base"), "installed_base is empty", {})
        for product_id, units in site.installed_base.items():
            loc: Loc = ("sites", i, "installed_base", product_id)
            out.unknown(loc, "product", product_id, products)
            if units < 1:
                out.add("not_positive", loc, f"installed units must be ≥ 1, got {units}", units)
    homes = _check_technicians(out, scenario, depots, skills, sites | depots, parts)
    for i, request in enumerate(scenario.requests):
        out.unknown(("requests", i, "site"), "site", request.site, sites)
        out.unknown(("requests", i, "product"), "product", request.product, products)
        for k, skill in enumerate(request.required_skills):
            out.unknown(("requests", i, "required_skills", k), "skill", skill, skills)
        for part_id, units in request.parts.items():
            loc = ("requests", i, "parts", part_id)
            out.unknown(loc, "part", part_id, parts)
            if units < 1:
                out.add("not_positive", loc, f"part units must be ≥ 1, got {units}", units)
        if request.pinned_technician is not None:
            out.unknown(
                ("requests", i, "pinned_technician"),
                "technician",
                request.pinned_technician,
                technicians,
            )
    _check_travel_matrix(out, scenario, sites | depots | homes)
    _check_graph_nodes(out, scenario)
    _check_policy(out, scenario)
    out.raise_if_any()


def _check_technicians(
    out: _Collector,
    scenario: Scenario,
    depots: set[str],
    skills: set[str],
    places: set[str],
    parts: set[str],
) -> set[str]:
    """Depots, skills, van parts, shifts; returns the home location ids."""
    horizon = scenario.policy.horizon_days
    homes: dict[str, tuple[float, float]] = {}
    for i, tech in enumerate(scenario.technicians):
        out.unknown(("technicians", i, "depot"), "depot", tech.depot, depots)
        for k, skill in enumerate(tech.skills):
            out.unknown(("technicians", i, "skills", k), "skill", skill, skills)
        if tech.home is not None:
            where = (tech.home.lat, tech.home.lon)
            if tech.home.id in places or homes.get(tech.home.id, where) != where:
                out.add(
                    "duplicate_id",
                    ("technicians", i, "home", "id"),
                    f"home id '{tech.home.id}' names another location; locations share one "
                    "namespace (technicians may share a home only at the same coordinates)",
                    tech.home.id,
                )
            homes[tech.home.id] = where
        for part_id, units in (tech.van_stock or {}).items():
            loc: Loc = ("technicians", i, "van_stock", part_id)
            out.unknown(loc, "part", part_id, parts)
            if units < 0:
                out.add("negative", loc, f"van units must be ≥ 0, got {units}", units)
        days: set[int] = set()
        for k, shift in enumerate(tech.shifts):
            loc: Loc = ("technicians", i, "shifts", k, "day")
            if shift.day in days:
                out.add("duplicate_shift", loc, f"two shifts on day {shift.day}", shift.day)
            days.add(shift.day)
            if shift.day >= horizon:
                out.add(
                    "out_of_horizon",
                    loc,
                    f"shift day {shift.day} is outside the {horizon}-day horizon",
                    shift.day,
                )
    return set(homes)


def _check_travel_matrix(out: _Collector, scenario: Scenario, locations: set[str]) -> None:
    matrix = scenario.travel.matrix
    if scenario.travel.mode != "matrix" or matrix is None:
        return
    listed = set(matrix.locations)
    for missing in sorted(locations - listed):
        out.add(
            "missing_location",
            ("travel", "matrix", "locations"),
            f"location '{missing}' has no row in the travel matrix",
            missing,
        )


def _ids_at(out: _Collector, loc: Loc, what: str, ids: list[str]) -> set[str]:
    """The set of ``ids``, each repeat recorded at its position below ``loc``."""
    seen: set[str] = set()
    for k, item in enumerate(ids):
        if item in seen:
            out.add("duplicate_id", (*loc, k), f"{what} '{item}' is listed twice", item)
        seen.add(item)
    return seen


def _check_graph_nodes(out: _Collector, scenario: Scenario) -> None:
    """In travel mode 'graph': node ids unique, edges between known nodes, and every site,
    depot and home standing on a node of the graph."""
    graph = scenario.travel.graph
    if scenario.travel.mode != "graph" or graph is None:
        return
    nodes = _ids_at(out, ("travel", "graph", "nodes"), "graph node", graph.nodes)
    for k, edge in enumerate(graph.edges):
        for end in ("source", "target"):
            out.unknown(
                ("travel", "graph", "edges", k, end), "graph node", getattr(edge, end), nodes
            )
    places: list[tuple[Loc, Any]] = [(("sites", i), s) for i, s in enumerate(scenario.sites)]
    places += [(("depots", i), d) for i, d in enumerate(scenario.depots)]
    places += [
        (("technicians", i, "home"), t.home)
        for i, t in enumerate(scenario.technicians)
        if t.home is not None
    ]
    for loc, place in places:
        node = place.id if place.node is None else place.node
        if node not in nodes:
            field = "id" if place.node is None else "node"
            out.add(
                "unknown_reference",
                (*loc, field),
                f"unknown graph node '{node}' (a location without 'node' stands on the node of "
                "its own id)",
                node,
            )


def _check_policy(out: _Collector, scenario: Scenario) -> None:
    count = len(scenario.depots)
    low = scenario.policy.min_open_depots
    if low is not None and low > count:
        out.add(
            "infeasible_policy",
            ("policy", "min_open_depots"),
            f"min_open_depots {low} exceeds the {count} candidate depots",
            low,
        )
