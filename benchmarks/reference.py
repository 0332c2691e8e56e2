"""The committed reference of a profile: its figures, where they came from, their tolerances.

``python -m aftersales.benchmarks reference update`` runs the profile (or takes a results file)
and writes ``benchmarks/reference/PROFILE.json``. The tolerances of an existing reference are
kept — they are curated by hand, each with the reason for its size — and
:data:`DEFAULT_TOLERANCES` only seeds a new one. Updating the reference is a deliberate commit
whose message says why the figures moved.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"

WALL_CLOCK_ROUTING: dict[str, Any] = {
    "cost": {
        "better": "lower",
        "rel": 0.05,
        "why": "OR-Tools' guided local search stops on the wall clock only: M's cost was "
        "395.5k-396.2k in three runs under load 4-6 and 335.6k (better) in a fourth",
    },
    "unserved": {
        "better": "lower",
        "abs": 30,
        "why": "deferring a deferrable request is priced in the cost: the search traded 22 "
        "against 49 deferrals between runs; the required ones are guarded tighter",
    },
    "unserved:must": {
        "better": "lower",
        "abs": 5,
        "why": "required requests unserved: 50-61 between runs, never above the reference's",
    },
    "unserved:no_capacity": {"better": "lower", "abs": 5, "why": "as unserved:must"},
    "sla_met": {
        "better": "higher",
        "abs": 0.1,
        "why": "on-time share per tier moved by up to 0.067 between runs",
    },
}
"""Tolerances of the steps whose routing search stops on the wall clock (pipeline-M, whose
contract MILP's root LP outlasts a deterministic share); weak guards. Valid plans and violations
stay exact."""

REPEATS = "deterministic (work limits): identical in two profile runs one after the other"
"""The ``why`` of a figure that a deterministic step repeats bit for bit."""
DETERMINISTIC_ROUTING: dict[str, Any] = {
    "cost": {"better": "lower", "rel": 0.001, "why": f"{REPEATS}; 0.1 % as the other layers"},
    "unserved": {"better": "lower", "abs": 0, "why": f"{REPEATS}; one more unserved fails"},
    "sla_met": {"better": "higher", "abs": 0.02, "why": f"{REPEATS}; as the default"},
}
"""Tolerances of the routing steps that run ``deterministic``: the defaults, said why."""

DEFAULT_TOLERANCES: dict[str, Any] = {
    "default": {
        "gap": {
            "better": "lower",
            "abs": 0.001,
            "why": "0.1 percentage point to the published value",
        },
        "bound_gap": {
            "better": "lower",
            "abs": 0.001,
            "why": "the MILP's own gap; it stops at 1e-4",
        },
        "objective": {
            "better": "lower",
            "rel": 0.001,
            "why": "0.1 %: HiGHS repeats exactly for a seed; network M's objective was "
            "identical in runs stopped by the limit and runs that closed the gap",
        },
        "cost": {
            "better": "lower",
            "rel": 0.001,
            "why": "0.1 %: network and stock costs are deterministic for a seed (identical "
            "in every run measured)",
        },
        "unserved": {"better": "lower", "abs": 0, "why": "one more unserved request fails"},
        "attainment_forecast": {
            "better": "higher",
            "abs": 0.005,
            "floor": "target",
            "why": "analytic and deterministic; never below a target the reference met",
        },
        "attainment_simulated": {
            "better": "higher",
            "abs": 0.01,
            "floor": "target",
            "why": "seeded simulation of the plan (identical in every run measured); never "
            "below a target the reference met",
        },
        "fill": {
            "better": "higher",
            "abs": 0.0005,
            "why": "Poisson fill of deterministic stock levels",
        },
        "sla_met": {
            "better": "higher",
            "abs": 0.02,
            "why": "on-time share per tier; routing S repeated exactly",
        },
        "targets_missed": {"better": "lower", "abs": 0, "why": "a missed stock target fails"},
        "violations": {"better": "lower", "abs": 0, "why": "every plan must validate"},
        "valid": {"better": "higher", "abs": 0, "why": "every plan must validate"},
        "feasible": {"better": "higher", "abs": 0, "why": "every solution passes its checker"},
        "time_ratio": {
            "better": "higher",
            "factor": 3,
            "why": "baseline ÷ ours in one run; sub-second solves moved the ratio by up to "
            "1.7× between runs (cap131 6.9 and 4.0)",
        },
        "status": {"better": "info", "why": "the figures above judge the outcome"},
        "target": {"better": "info", "why": "input, not outcome"},
        "instances": {"better": "info", "why": "a missing instance is reported by name"},
    },
    "suites": {
        "orlib-cap": {
            "gap": {"better": "lower", "abs": 1e-6, "why": "solved to proven optimality"},
            "objective": {"better": "lower", "rel": 1e-7, "why": "solved to proven optimality"},
        },
        "network": {
            "bound_gap": {
                "better": "lower",
                "abs": 0.02,
                "why": "M's proof depends on load (0.01 % and 1.1 % seen, same objective); "
                "the objective is the guarded figure",
            },
        },
        "solomon": {
            "gap": {"better": "lower", "abs": 0.001, "why": f"{REPEATS}; 0.1 pp"},
            "objective": {"better": "lower", "rel": 0.001, "why": "as gap"},
        },
        "trsp": {
            "gap": {"better": "lower", "abs": 0.001, "why": f"{REPEATS}; 0.1 pp"},
            "objective": {"better": "lower", "rel": 0.001, "why": "as gap"},
        },
        "routing-S": DETERMINISTIC_ROUTING,
        "routing-M": DETERMINISTIC_ROUTING,
        "pipeline-S": {
            "cost:routing": DETERMINISTIC_ROUTING["cost"],
            "cost": {
                "better": "lower",
                "rel": 0.001,
                "why": f"{REPEATS}: the contract MILP stops on its node limit",
            },
        },
        "pipeline-M": {
            "cost:routing": WALL_CLOCK_ROUTING["cost"],
            "unserved": WALL_CLOCK_ROUTING["unserved"],
            "unserved:no_capacity": WALL_CLOCK_ROUTING["unserved:no_capacity"],
        },
    },
}
"""Tolerances a new reference starts from; see benchmarks/README.md for the measured spread."""


def reference_path(profile: str) -> Path:
    """Where the committed reference of ``profile`` lives."""
    return REFERENCE_DIR / f"{profile}.json"


def make_reference(results: dict[str, Any], tolerances: dict[str, Any] | None) -> dict[str, Any]:
    """A reference document from a profile run; ``tolerances`` default to DEFAULT_TOLERANCES."""
    missing = {"profile", "provenance", "metrics"} - set(results)
    if missing:
        raise ValueError(f"not a profile run (no {sorted(missing)}): use `run --profile`")
    return {
        "profile": results["profile"],
        "made_by": "python -m aftersales.benchmarks reference update",
        "provenance": results["provenance"],
        "wall_seconds": results.get("wall_seconds"),
        "step_wall_seconds": results.get("step_wall_seconds"),
        "seed": results.get("seed"),
        "steps": results.get("steps"),
        "tolerances": copy.deepcopy(tolerances or DEFAULT_TOLERANCES),
        "metrics": results["metrics"],
        "suites": results.get("suites", {}),
    }


def load_document(path: Path) -> dict[str, Any]:
    """A results or reference JSON file; a precise error when it has no metrics."""
    try:
        document = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("metrics"), dict):
        raise ValueError(f"{path}: no 'metrics' object (write it with `run --profile ... --json`)")
    return document
