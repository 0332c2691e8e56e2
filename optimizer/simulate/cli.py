"""Typer-compatible functions behind ``aftersales simulate`` and ``aftersales report``.

``optimizer/cli.py`` registers them lazily; they read files, call the library and print
through rich.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from aftersales.optimizer.schema import Plan, Scenario

console = Console()
errors = Console(stderr=True)


def _load_pair(scenario_path: Path, plan_path: Path) -> tuple[Scenario, Plan]:
    from aftersales.optimizer.cli import _load

    return _load(Scenario, scenario_path), _load(Plan, plan_path)


def simulate_command(
    scenario_path: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario JSON.")],
    plan_path: Annotated[Path, typer.Argument(metavar="PLAN", help="Plan JSON.")],
    years: Annotated[float, typer.Option(help="Simulated years per replication.")] = 1.0,
    replications: Annotated[int, typer.Option(help="Independent replications.")] = 10,
    seed: Annotated[int, typer.Option(help="Root random seed.")] = 0,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    call_hours: Annotated[
        str,
        typer.Option(
            help="'tier' (calls in each tier's service hours), 'shifts' (in the technicians' "
            "shift hours) or 'always' (around the clock)."
        ),
    ] = "tier",
    roster: Annotated[
        str,
        typer.Option(
            help="'service_hours' (shifts plus on-call cover in the service hours the depot "
            "serves, the queueing model's view) or 'shifts' (own shifts only)."
        ),
    ] = "service_hours",
    unlimited_technicians: Annotated[
        bool, typer.Option(help="What-if: a technician is always free (the forecast's view).")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Plan JSON with simulated KPIs.")
    ] = None,
    json_output: Annotated[
        Path | None, typer.Option("--json", help="Write the full result as JSON.")
    ] = None,
) -> None:
    """Simulate a plan for a year (or more) and compare attainment with its forecast."""
    from aftersales.optimizer.simulate import SimulationSettings, simulate, with_simulation
    from aftersales.optimizer.simulate.tables import attainment_table, cost_table

    scenario, plan = _load_pair(scenario_path, plan_path)
    try:
        settings = SimulationSettings(
            years=years,
            replications=replications,
            seed=seed,
            workers=workers,
            call_hours=call_hours,  # type: ignore[arg-type]
            unlimited_technicians=unlimited_technicians,
            roster=roster,  # type: ignore[arg-type]
        )
    except ValueError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    with console.status("simulating ..."):
        result = simulate(scenario, plan, settings)
    console.print(attainment_table(result))
    console.print(cost_table(result, scenario.costs.currency))
    console.print(f"{result.replications} replications in {result.seconds:.1f} s")
    if output is not None:
        if not plan.kpis:
            from aftersales.optimizer.validate import validate

            plan = plan.model_copy(update={"kpis": validate(scenario, plan).kpis})
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(with_simulation(plan, result).model_dump_json(indent=2) + "\n")
        errors.print(f"wrote {output}")
    if json_output is not None:
        from aftersales.optimizer.simulate.results import result_dict

        json_output.parent.mkdir(parents=True, exist_ok=True)
        json_output.write_text(json.dumps(result_dict(result), indent=2) + "\n")
        errors.print(f"wrote {json_output}")


def report_command(
    scenario_path: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario JSON.")],
    plan_path: Annotated[Path, typer.Argument(metavar="PLAN", help="Plan JSON.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file.")] = Path(
        "report.html"
    ),
    years: Annotated[float, typer.Option(help="Simulated years per replication.")] = 1.0,
    replications: Annotated[
        int, typer.Option(help="Replications of the simulation; 0 = no simulation.")
    ] = 10,
    seed: Annotated[int, typer.Option(help="Root random seed.")] = 0,
    against: Annotated[
        Path | None,
        typer.Option(help="A previous plan JSON: add a section of what changed since it."),
    ] = None,
) -> None:
    """Write the planner's report: map, technician Gantt, frontier, costs, attainment (and,
    with --against, the changes since a previous plan)."""
    from aftersales.optimizer.cli import _load
    from aftersales.optimizer.diff import diff_plans
    from aftersales.optimizer.simulate import SimulationSettings, simulate
    from aftersales.optimizer.simulate.report import write_report

    scenario, plan = _load_pair(scenario_path, plan_path)
    diff = diff_plans(_load(Plan, against), plan) if against is not None else None
    result = None
    if replications > 0:
        with console.status("simulating ..."):
            result = simulate(
                scenario,
                plan,
                SimulationSettings(years=years, replications=replications, seed=seed),
            )
    write_report(scenario, plan, result, output, diff)
    errors.print(f"wrote {output}")
