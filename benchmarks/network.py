"""Network layer on generated scenarios: our HiGHS model vs the same model in PuLP + CBC, and
the contract model (issue #18: staffing pools and binding tier reach) under the same limit,
started like the product from today's network (repaired and improved, ``network.start``).

Ours solves the facility problem over every pair (see ``solve_large``); the baseline gets the
same model capped at PULP_PAIRS_LIMIT pairs (each site's cheapest), since PuLP's Python objects
would not fit XL's 3 million pairs. Same wall-clock limit, one after the other in one run; the
baseline is killed GRACE_SECONDS past it (CBC does not stop in its root LP).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

from aftersales.benchmarks.deadline import GRACE_SECONDS, run_with_deadline
from aftersales.benchmarks.registry import SuiteRequest, suite
from aftersales.datasets.generator import generate_scenario
from aftersales.optimizer.contract import prepare_contract
from aftersales.optimizer.network import compile_network, current_network
from aftersales.optimizer.network.contract import with_limits
from aftersales.optimizer.network.facility import PULP_PAIRS_LIMIT, facility_problem, restrict_pairs
from aftersales.optimizer.network.pulp_model import solve_facility_cbc
from aftersales.optimizer.network.solver import solve_large

logger = logging.getLogger("aftersales.benchmarks")

TIME_LIMITS = {"S": 30.0, "M": 30.0, "L": 120.0, "XL": 300.0}
"""Wall-clock seconds per size, from the issue's acceptance figures."""
MIP_GAP = 1e-4


@suite("network")
def run_network(request: SuiteRequest) -> dict[str, Any]:
    """Each size once: prepare, build and solve seconds, objective, bound and gap of both."""
    rows = []
    for size in request.sizes or tuple(TIME_LIMITS):
        limit = request.time_limit_seconds if request.time_limit_given else TIME_LIMITS[size]
        scenario = generate_scenario(size, seed=request.seed)
        started = time.perf_counter()
        data = compile_network(scenario)
        problem = facility_problem(data)
        prepare = time.perf_counter() - started
        ours, method = solve_large(problem, limit, MIP_GAP, request.seed)
        started = time.perf_counter()
        contract = with_limits(
            prepare_contract(scenario, data).contract, problem.pair_site, problem.pair_depot
        )
        bound_problem = replace(problem, contract=contract)
        today = current_network(data)
        binding, binding_method = solve_large(
            bound_problem, limit, MIP_GAP, request.seed, (today.is_open, today.depot_of_site)
        )
        binding_wall = time.perf_counter() - started
        started = time.perf_counter()
        base = run_with_deadline(
            solve_facility_cbc,
            (restrict_pairs(problem, max(2, PULP_PAIRS_LIMIT // problem.sites)), limit, MIP_GAP),
            limit + GRACE_SECONDS,
        )
        base_wall = time.perf_counter() - started
        rows.append(
            {
                "size": size,
                "limit_s": limit,
                "pairs": len(problem.pair_site),
                "prepare_s": prepare,
                "build_s": ours.build_seconds,
                "solve_s": ours.solve_seconds,
                "objective": ours.objective,
                "bound": ours.bound,
                "gap": ours.gap,
                "status": ours.status,
                "base_build_s": base.build_seconds if base else None,
                "base_solve_s": base.solve_seconds if base else None,
                "base_wall_s": base_wall,
                "base_objective": base.objective if base else None,
                "base_status": base.status
                if base
                else f"killed after {limit + GRACE_SECONDS:.0f} s",
                "base_over_ours": (
                    base.objective / ours.objective
                    if base and base.objective and ours.objective
                    else None
                ),
                "build_share_of_limit": (prepare + ours.build_seconds) / limit,
                "method": method,
                "contract_status": binding.status,
                "contract_objective": binding.objective,
                "contract_bound": binding.bound,
                "contract_gap": binding.gap,
                "contract_wall_s": binding_wall,
                "contract_wall_over_limit": binding_wall / limit,
                "contract_method": binding_method,
                "contract_message": binding.message,
            }
        )
        logger.info("network %s: %s", size, rows[-1])
    return {"suite": "network", "mip_gap": MIP_GAP, "rows": rows}
