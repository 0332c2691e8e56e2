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

DEFAULT_TOLERANCES: dict[str, Any] = {
    "default": {
        "gap": {
            "better": "lower",
            "abs": 0.001,
            "why": "0.1 percentage point to the published value: a stopped search moves less",
        },
        "bound_gap": {
            "better": "lower",
            "abs": 0.001,
            "why": "the MILP's own gap; stops at 1e-4 unless the limit hits first under load",
        },
        "objective": {
            "better": "lower",
            "rel": 0.001,
            "why": "0.1 %: deterministic solvers repeat exactly, a stopped one moves less",
        },
        "cost": {
            "better": "lower",
            "rel": 0.001,
            "why": "0.1 %: network and stock costs are deterministic for a seed",
        },
        "unserved": {
            "better": "lower",
            "abs": 0,
            "why": "one more unserved request is a regression",
        },
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
            "why": "seeded simulation of the plan; never below a target the reference met",
        },
        "fill": {
            "better": "higher",
            "abs": 0.0005,
            "why": "Poisson fill of deterministic stock levels",
        },
        "sla_met": {
            "better": "higher",
            "abs": 0.02,
            "why": "on-time share of a wall-clock routing search",
        },
        "targets_missed": {"better": "lower", "abs": 0, "why": "a missed stock target is a bug"},
        "violations": {"better": "lower", "abs": 0, "why": "every plan must validate"},
        "valid": {"better": "higher", "abs": 0, "why": "every plan must validate"},
        "feasible": {"better": "higher", "abs": 0, "why": "every solution must pass its checker"},
        "time_ratio": {
            "better": "higher",
            "factor": 3,
            "why": "baseline ÷ ours in one run; load moves the ratio of sub-second solves",
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
        "solomon": {
            "gap": {
                "better": "lower",
                "abs": 0.005,
                "why": "fixed PyVRP iterations repeat; 0.5 pp is the suite's mean-gap criterion",
            },
            "objective": {"better": "lower", "rel": 0.005, "why": "as gap"},
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
