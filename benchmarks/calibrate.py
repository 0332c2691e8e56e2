"""Calibration of the deterministic work budgets: how long a work-limited solve takes here.

``python -m aftersales.benchmarks.calibrate [--seconds 5] [CASE ...]`` solves each case's
routing layer with ``deterministic=True`` and each engine, and the network of generated S with
its node budget, and prints the wall seconds it took against the nominal limit, and the rate
achieved (PyVRP iterations per second). On the machine the rate tables
(``aftersales.optimizer.routing.budget``, ``aftersales.optimizer.work``) came from, the ratio is
about 1 when idle; on another machine it says how much longer (or shorter) a deterministic
solve runs there, and a new rate table can be read off it.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections.abc import Callable

from rich.console import Console

from aftersales.benchmarks.solomon import INSTANCES_DIR as SOLOMON_DIR
from aftersales.benchmarks.trsp import INSTANCES_DIR as TRSP_DIR
from aftersales.datasets.generator import generate_scenario
from aftersales.datasets.solomon import read_solomon, solomon_scenario
from aftersales.datasets.trsp import read_trsp, trsp_scenario
from aftersales.optimizer.contract import prepare_contract
from aftersales.optimizer.network import compile_network
from aftersales.optimizer.network.solver import solve_network
from aftersales.optimizer.routing import compile_routing, solve_routing
from aftersales.optimizer.schema import Scenario
from aftersales.optimizer.travel import Travel

CASES: dict[str, Callable[[], Scenario]] = {
    "S": lambda: generate_scenario("S", seed=0),
    "M": lambda: generate_scenario("M", seed=0),
    "c101": lambda: solomon_scenario(read_solomon(SOLOMON_DIR / "c101.txt")),
    "C202": lambda: trsp_scenario(read_trsp(TRSP_DIR / "C202.100_25-5-5-5.txt")),
}
"""The size classes of the tables: 40, 300, 100 single-trip and 100 multi-trip jobs."""
console = Console(highlight=False, soft_wrap=True)
ITERATIONS = re.compile(r"PyVRP [^;]*?, (\d+) iterations")


def routing_rows(name: str, seconds: float) -> list[str]:
    """One line per engine: nominal and actual seconds of a deterministic routing solve."""
    scenario = CASES[name]()
    data = compile_routing(scenario)
    rows = []
    for engine in ("pyvrp", "ortools"):
        started = time.perf_counter()
        result = solve_routing(scenario, data, seconds, engine=engine, deterministic=True)
        took = time.perf_counter() - started
        found = ITERATIONS.search(result.report.message)
        rate = f"{int(found.group(1)) / took:,.0f} iterations/s" if found else ""
        rows.append(
            f"{name:6} {len(data.jobs):5} jobs {engine:8} limit {seconds:5.1f} s  took "
            f"{took:6.1f} s  ratio {took / seconds:4.2f}  {rate}"
        )
    return rows


def network_row(seconds: float) -> str:
    """Nominal and actual seconds of generated S's contract MILP on its node budget."""
    scenario = generate_scenario("S", seed=0)
    data = compile_network(scenario, Travel(scenario))
    contract = prepare_contract(scenario, data).contract
    started = time.perf_counter()
    result = solve_network(data, seconds, contract=contract, deterministic=True)
    took = time.perf_counter() - started
    return (
        f"S      network MILP    limit {seconds:5.1f} s  took {took:6.1f} s  ratio "
        f"{took / seconds:4.2f}  {result.report.status}"
    )


def main(argv: list[str] | None = None) -> None:
    """Print the calibration table (with the machine's load beside it)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help=f"Among {', '.join(CASES)} (default: all).")
    parser.add_argument("--seconds", type=float, default=5.0, help="Nominal limit per solve.")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.cases) - set(CASES))
    if unknown:
        parser.error(f"unknown cases {unknown}")
    console.print(f"load average before: {os.getloadavg()}")
    for name in args.cases or CASES:
        for row in routing_rows(name, args.seconds):
            console.print(row)
    console.print(network_row(args.seconds))
    console.print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
