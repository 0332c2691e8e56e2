"""Profiles: named lists of suite runs whose figures a reference guards (``run --profile``).

A profile is data — one :class:`Step` per line — so a new suite joins the ``quick`` profile with
one line (e.g. ``Step("trsp", 10.0, instances=(...))``). Every step uses its suite's
deterministic options where the layer has them: seed 0, inventory and simulation fully
determined by the seed, HiGHS with a fixed ``random_seed`` (deterministic for a given seed) on
problems it closes inside the limit, and the routing, Solomon, TRSP and pipeline-S steps run
``deterministic`` (``SolveOptions.deterministic``: work limits derived from the limit, the wall
clock only a cap), so their figures repeat bit for bit. Steps that still stop on the wall clock
(the contract MILP of the network and contract suites, pipeline-M) get tolerances in the
reference that absorb the spread under load.
"""

from __future__ import annotations

import datetime
import logging
import os
import platform
import subprocess
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from aftersales.benchmarks.metrics import suite_metrics
from aftersales.benchmarks.registry import SUITES, SuiteRequest, load_all

logger = logging.getLogger("aftersales.benchmarks")

REPOSITORY = Path(__file__).resolve().parents[1]
"""The checkout the benchmarks run from (its commit is recorded in every result)."""
PACKAGES = ("highspy", "ortools", "pyvrp", "pulp", "numpy", "scipy", "simpy")
"""Solver and numeric packages whose versions move figures; recorded with every run."""


@dataclass(frozen=True)
class Step:
    """One suite run of a profile."""

    suite: str
    time_limit_seconds: float
    """Wall-clock seconds per solve; with ``deterministic``, the budget its work limits are
    derived from (the clock then only caps the solve at 3x, at least 60 s more)."""
    instances: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    deterministic: bool = False
    """Work limits instead of the wall clock, for suites that support it (see SuiteRequest)."""
    key: str = ""
    """Name of the step's results; the suite name by default (set it when a suite runs twice)."""

    @property
    def name(self) -> str:
        """Key of this step's results and metrics."""
        return self.key or self.suite

    def request(self, seed: int) -> SuiteRequest:
        """The suite's arguments."""
        return SuiteRequest(
            time_limit_seconds=self.time_limit_seconds,
            seed=seed,
            instances=self.instances,
            sizes=self.sizes,
            deterministic=self.deterministic,
        )


TRSP_QUICK = ("C202.100_25-5-5-5", "R102.100_25-5-5-5", "RC202.100_25-5-5-5")
"""One TRSP file per family (clustered, random and tight, mixed): 100 requests each."""

QUICK: tuple[Step, ...] = (
    # network layer: OR-Library optima (small and medium files), generated S and M
    Step("orlib-cap", 30.0, instances=("cap41", "cap71", "cap101", "cap131")),
    Step("network", 30.0, sizes=("S", "M")),
    # stock layer: frontier vs naive, both networks, S and M (deterministic, well under 1 s)
    Step("inventory", 5.0, sizes=("S", "M")),
    # routing through the product's call on work limits (the same figures under any load):
    # Solomon (both engines) and the technician model
    Step("solomon", 10.0, instances=("c101", "r101", "rc101"), deterministic=True),
    # technician routing with skills, tools and van parts (issue #11), both engines
    Step("trsp", 6.0, instances=TRSP_QUICK, deterministic=True),
    Step("routing", 10.0, sizes=("S",), key="routing-S", deterministic=True),
    Step("routing", 30.0, sizes=("M",), key="routing-M", deterministic=True),
    # the whole pipeline on S and M, then the seeded simulation of its plan; M on the clock:
    # its contract MILP's root LP alone outlasts its share (HiGHS has no LP work limit in a MIP)
    Step("pipeline", 40.0, sizes=("S",), key="pipeline-S", deterministic=True),
    Step("pipeline", 40.0, sizes=("M",), key="pipeline-M"),
    # the contract on S: binding, priced and rule-of-thumb plans, each simulated (issue #18)
    Step("contract", 30.0, sizes=("S",)),
)
"""The CI profile: every layer and the pipeline, ≤ 6 minutes on 2 shared cores."""

PROFILES: dict[str, tuple[Step, ...]] = {"quick": QUICK}


def provenance() -> dict[str, Any]:
    """Where a run came from: commit, machine, load, package versions, UTC date."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(REPOSITORY), *args],
                capture_output=True,
                text=True,
                check=True,
                timeout=10,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    versions: dict[str, str | None] = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": git("rev-parse", "HEAD"),
        "dirty": bool(status) if status is not None else None,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "node": platform.node(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_1_5_15": list(os.getloadavg()),
        },
        "python": platform.python_version(),
        "packages": versions,
    }


def run_profile(name: str, seed: int = 0) -> dict[str, Any]:
    """Run every step of profile ``name``; raw suite documents and their metrics."""
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; known: {', '.join(sorted(PROFILES))}")
    load_all()
    steps = PROFILES[name]
    unknown = sorted({s.suite for s in steps} - set(SUITES))
    if unknown:
        raise ValueError(f"profile {name} names unregistered suites {unknown}")
    origin = provenance()
    started = time.perf_counter()
    documents: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    for step in steps:
        logger.info("profile %s: %s", name, step)
        step_started = time.perf_counter()
        documents[step.name] = SUITES[step.suite](step.request(seed))
        seconds[step.name] = round(time.perf_counter() - step_started, 1)
    return {
        "profile": name,
        "seed": seed,
        "provenance": origin,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "step_wall_seconds": seconds,
        "steps": [asdict(s) for s in steps],
        "metrics": {s.name: suite_metrics(s.suite, documents[s.name]) for s in steps},
        "suites": documents,
    }
