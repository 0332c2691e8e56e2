"""Suite ``pipeline``: every layer in order on a generated scenario, then the plan simulated.

For each size (default S) ``generate_scenario(size, seed)`` goes through the product's own path,
``aftersales.optimizer.pipeline.solve`` with all layers (network and stock coupled, then routing)
and the seeded simulation of the plan (``SIMULATION_REPLICATIONS`` × ``SIMULATION_YEARS``).
The plan is checked again by ``aftersales.optimizer.validate``. Each row reports the first-year
network and stock cost, the routing horizon's cost, unserved requests by reason, and per tier the
analytic forecast attainment (coverage × parts on hand), the simulated attainment and the
target. No baseline: the layers' own suites run theirs; this suite guards what they make
together.
"""

from __future__ import annotations

import time
from typing import Any

from aftersales.benchmarks.registry import SuiteRequest, suite
from aftersales.benchmarks.routing import unserved_by_reason
from aftersales.datasets.generator import generate_scenario
from aftersales.optimizer.pipeline import solve
from aftersales.optimizer.schema import ALL_LAYERS
from aftersales.optimizer.simulate import plan_forecast
from aftersales.optimizer.validate import validate

DEFAULT_SIZES = ("S",)
SIMULATION_REPLICATIONS = 5
SIMULATION_YEARS = 1.0
"""Seeded replications of one simulated year each: enough for a confidence interval of a few
points on S, short enough for CI."""


@suite("pipeline")
def run_pipeline(request: SuiteRequest) -> dict[str, Any]:
    """The whole solve and its simulation on each size; figures recomputed by the validator."""
    rows: list[dict[str, Any]] = []
    for size in request.sizes or DEFAULT_SIZES:
        scenario = generate_scenario(size, seed=request.seed)
        options = scenario.options.model_copy(
            update={
                "time_limit_seconds": request.time_limit_seconds,
                "seed": request.seed,
                "layers": list(ALL_LAYERS),
                "simulate_replications": SIMULATION_REPLICATIONS,
                "simulate_years": SIMULATION_YEARS,
                "deterministic": request.deterministic,
            }
        )
        started = time.perf_counter()
        plan = solve(scenario, options)
        wall = time.perf_counter() - started
        verdict = validate(scenario, plan)
        row: dict[str, Any] = {
            "size": size,
            "status": plan.status,
            "layers": ", ".join(f"{r.layer} {r.status}" for r in plan.layers),
            "cost": plan.costs.annual_total,
            "cost routing": plan.costs.horizon_total,
            "requests": len(scenario.requests),
            "unserved": len(plan.unserved),
            **unserved_by_reason(plan.unserved),
            "violations": len(verdict.violations),
            "valid": verdict.ok,
            "wall s": round(wall, 2),
        }
        for kpi in plan.kpis:
            row[f"forecast {kpi.tier}"] = plan_forecast(kpi)
            row[f"simulated {kpi.tier}"] = kpi.simulated_attainment
            row[f"target {kpi.tier}"] = kpi.attainment_target
        rows.append(row)
    return {
        "suite": "pipeline",
        "time_limit_seconds": request.time_limit_seconds,
        "seed": request.seed,
        "simulation": {"replications": SIMULATION_REPLICATIONS, "years": SIMULATION_YEARS},
        "rows": rows,
        "summary": {
            "all plans valid": all(r["valid"] for r in rows),
            "tiers below target (simulated)": sum(
                1
                for r in rows
                for k, v in r.items()
                if k.startswith("simulated ")
                and v is not None
                and v < r[f"target {k.removeprefix('simulated ')}"]
            ),
        },
    }
