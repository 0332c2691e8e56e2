"""The ``aftersales`` command: generate, import, solve, validate and export scenarios and plans.

A thin shell: it reads files, calls the library and prints through rich. Exit codes: 0 success,
1 a plan breaks a rule or a solve found no feasible plan, 2 bad input.
"""

from __future__ import annotations

import json
import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console

from aftersales.optimizer.console import (
    cost_table,
    coverage_table,
    layer_messages,
    layer_table,
    missed_targets,
    verification_table,
)
from aftersales.optimizer.previous import PreviousPlanError
from aftersales.optimizer.schema import (
    ALL_LAYERS,
    FROZEN_LAYERS,
    NIGHTLY_FREEZE,
    FrozenLayer,
    Layer,
    Plan,
    Scenario,
    SolveOptions,
    StabilityCosts,
    field_errors,
)

TARGET_MISSED_EXIT = 3
"""Exit code of ``solve`` when the plan keeps every rule but misses an attainment target (2 is
the usage-error code of the command-line parser)."""

ModelT = TypeVar("ModelT", bound=BaseModel)

app = typer.Typer(
    help="After-sales service network optimizer: depots, spare-parts stock, technician routes.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True)


def _fail(message: str, code: int = 2) -> NoReturn:
    errors.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def _load(model: type[ModelT], path: Path) -> ModelT:
    """Read and validate a JSON document; bad input exits with every located error."""
    try:
        return model.model_validate_json(path.read_bytes())
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror}")
    except ValidationError as exc:
        found = field_errors(exc)
        lines = "\n".join(f"  {e}" for e in found[:50])
        more = f"\n  ... and {len(found) - 50} more" if len(found) > 50 else ""
        _fail(f"{path} is not a valid {model.__name__} ({len(found)} errors):\n{lines}{more}")


def _write(text: str, output: Path | None) -> None:
    if output is None:
        console.out(text, end="")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    errors.print(f"wrote {output}")


@app.command()
def generate(
    size: Annotated[str, typer.Option(help="S, M, L or XL.")] = "S",
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same file.")] = 0,
    country: Annotated[str, typer.Option(help="ISO country code of the geography.")] = "DE",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="JSON file.")] = None,
    over_promised: Annotated[
        bool, typer.Option(help="Gold promises 1.5 h at 99 %: no plan can meet it.")
    ] = False,
    next_night_of: Annotated[
        Path | None,
        typer.Option(
            help="A plan of this generated scenario: write the next night's scenario instead "
            "(horizon rolled a day, served requests dropped, 20 new calls, one technician off "
            "sick, one open depot's capacity cut by 30 %; drawn from --seed)."
        ),
    ] = None,
) -> None:
    """Generate a synthetic scenario on real cities (deterministic for a seed)."""
    from aftersales.datasets.generator import generate_scenario, scenario_json
    from aftersales.datasets.next_night import next_night

    plan = _load(Plan, next_night_of) if next_night_of is not None else None
    try:
        scenario = generate_scenario(
            size.upper(), seed=seed, country=country.upper(), over_promised=over_promised
        )
        if plan is not None:
            scenario = next_night(scenario, plan, seed)
    except ValueError as exc:
        _fail(str(exc))
    _write(scenario_json(scenario), output)


@app.command()
def solve(
    scenario_path: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario JSON.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Plan JSON.")] = None,
    time_limit: Annotated[
        float | None, typer.Option(help="Wall-clock seconds for all layers.")
    ] = None,
    layers: Annotated[
        str | None, typer.Option(help="Comma-separated subset of network,inventory,routing.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed of the solvers.")] = None,
    strict: Annotated[
        bool, typer.Option(help="Fail if a required request is unserved or a target is missed.")
    ] = False,
    verify: Annotated[
        bool,
        typer.Option(
            help="Simulate the plan; re-solve tiers whose simulated lower bound misses the target."
        ),
    ] = False,
    replications: Annotated[
        int | None, typer.Option(help="Simulated years (replications) after the solve; 0 = off.")
    ] = None,
    previous: Annotated[
        Path | None,
        typer.Option(
            help="Last run's plan JSON (e.g. last night's, before `aftersales roll`): warm "
            "starts the network and routing from it (routes matched by technician and day)."
        ),
    ] = None,
    deterministic: Annotated[
        bool | None,
        typer.Option(
            "--deterministic/--wall-clock",
            help="Stop every layer on work limits (the same plan under any machine load; the "
            "wall clock caps each layer at 3x its share) or on the clock. Default: the "
            "scenario's options.deterministic, else the wall clock.",
        ),
    ] = None,
    nightly: Annotated[
        bool,
        typer.Option(
            help="The recommended nightly re-solve: network and stock frozen as in the previous "
            "plan, routing re-solved warm from it (needs the previous plan)."
        ),
    ] = False,
    freeze: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated layers kept as in the previous plan: network, stock, routing."
        ),
    ] = None,
    freeze_before_minute: Annotated[
        float | None,
        typer.Option(
            help="Pin every visit of the previous plan starting before this minute of the "
            "horizon (same technician, day and start)."
        ),
    ] = None,
    stability: Annotated[
        str | None,
        typer.Option(
            help="Prices per change against the previous plan, e.g. 'site_move=500,"
            "stock_change=20,stock_unit=0,visit_reassign=50' (currency)."
        ),
    ] = None,
) -> None:
    """Solve a scenario and print costs, SLA coverage and each layer's status."""
    from aftersales.optimizer.pipeline import Progress
    from aftersales.optimizer.pipeline import solve as run

    scenario = _load(Scenario, scenario_path)
    prior = _load(Plan, previous) if previous is not None else None
    update: dict[str, object] = {"strict": strict or scenario.options.strict}
    if time_limit is not None:
        update["time_limit_seconds"] = time_limit
    if seed is not None:
        update["seed"] = seed
    if layers is not None:
        update["layers"] = _parse_layers(layers)
    if verify:
        update["verify"] = True
    if replications is not None:
        update["simulate_replications"] = replications
    if deterministic is not None:
        update["deterministic"] = deterministic
    if nightly or freeze is not None:
        update["freeze"] = _parse_freeze(freeze, nightly)
    if freeze_before_minute is not None:
        update["freeze_before_minute"] = freeze_before_minute
    if stability is not None:
        update["stability"] = _parse_stability(stability)
    options = SolveOptions.model_validate({**scenario.options.model_dump(), **update})
    with console.status("solving ...") as status:

        def show(event: Progress) -> None:
            status.update(f"{event.layer}: {event.event} after {event.elapsed_seconds:.1f} s")
            if event.event == "finished":
                console.log(f"{event.layer} finished ({event.elapsed_seconds:.1f} s)")

        try:
            plan = run(scenario, options, progress=show, previous=prior)
        except PreviousPlanError as exc:
            _fail(str(exc))
    console.print(layer_table(plan.layers))
    for line in layer_messages(plan.layers):
        console.print(line, soft_wrap=True, highlight=False)
    console.print(cost_table(plan.costs, scenario.costs.currency))
    console.print(coverage_table(plan.kpis, routed=bool(plan.routes or plan.unserved)))
    for line in missed_targets(plan.kpis):
        console.print(line, soft_wrap=True, highlight=False)
    simulated = verification_table(plan.kpis)
    if simulated is not None:
        console.print(simulated)
    console.print(f"status: [b]{plan.status}[/b], unserved requests: {len(plan.unserved)}")
    if output is not None:
        _write(plan.model_dump_json(indent=2) + "\n", output)
    if plan.status in ("infeasible", "error"):
        raise typer.Exit(1)
    if plan.status == "target_missed":
        raise typer.Exit(TARGET_MISSED_EXIT)


def _parse_freeze(text: str | None, nightly: bool) -> list[FrozenLayer]:
    """``--freeze`` layers, plus network and stock under ``--nightly``."""
    chosen = {part.strip() for part in (text or "").split(",") if part.strip()}
    unknown = chosen - set(FROZEN_LAYERS)
    if unknown:
        names = ", ".join(FROZEN_LAYERS)
        _fail(f"--freeze takes a comma-separated subset of {names}, got {text!r}")
    if nightly:
        chosen |= set(NIGHTLY_FREEZE)
    return [layer for layer in FROZEN_LAYERS if layer in chosen]


def _parse_stability(text: str) -> StabilityCosts:
    """``--stability name=value,...`` as StabilityCosts (bad names or values exit 2)."""
    try:
        prices = dict(item.split("=", 1) for item in text.split(",") if item.strip())
        return StabilityCosts.model_validate({k.strip(): float(v) for k, v in prices.items()})
    except (ValueError, ValidationError) as exc:
        names = ", ".join(StabilityCosts.model_fields)
        _fail(f"--stability takes name=value pairs of {names}: {exc}")


def _parse_layers(text: str) -> list[Layer]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [c for c in chosen if c not in ALL_LAYERS]
    if unknown or not chosen:
        _fail(f"--layers takes a comma-separated subset of {', '.join(ALL_LAYERS)}, got {text!r}")
    return [layer for layer in ALL_LAYERS if layer in chosen]


@app.command()
def validate(
    scenario_path: Annotated[Path, typer.Argument(metavar="SCENARIO")],
    plan_path: Annotated[Path, typer.Argument(metavar="PLAN")],
) -> None:
    """Check a plan against its scenario; exit 1 on any violation."""
    from aftersales.optimizer.validate import validate as check

    scenario = _load(Scenario, scenario_path)
    plan = _load(Plan, plan_path)
    report = check(scenario, plan)
    console.print(coverage_table(report.kpis, routed=bool(plan.routes or plan.unserved)))
    for line in missed_targets(report.kpis):
        console.print(line, soft_wrap=True, highlight=False)
    console.print(cost_table(report.costs, scenario.costs.currency))
    if report.ok:
        console.print("[green]valid[/green]: no violation")
        return
    for violation in report.violations[:200]:
        console.print(f"[red]{violation.kind}[/red] {violation.path}: {violation.message}")
    console.print(f"[red]{len(report.violations)} violations[/red]")
    raise typer.Exit(1)


@app.command()
def roll(
    scenario_path: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario JSON.")],
    plan_path: Annotated[
        Path, typer.Argument(metavar="PLAN", help="The plan that was run for it.")
    ],
    days: Annotated[int, typer.Option(min=1, help="Days to move the horizon forward.")] = 1,
    repeat_weekly: Annotated[
        bool,
        typer.Option(
            help="Give each technician, on each day entering the horizon, their shift of the "
            "same weekday in the old horizon."
        ),
    ] = True,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Scenario JSON.")] = None,
) -> None:
    """Move the horizon forward: drop the requests the plan served on the days that rolled out,
    carry the rest over with their due times, keep pins, drop the technician-days gone."""
    from aftersales.optimizer.nightly.roll import roll_scenario

    scenario = _load(Scenario, scenario_path)
    plan = _load(Plan, plan_path)
    try:
        rolled = roll_scenario(scenario, plan, days, repeat_weekly=repeat_weekly)
    except ValueError as exc:
        _fail(str(exc))
    late = sum(1 for r in rolled.requests if r.due_minute is not None and r.due_minute < 0)
    errors.print(
        f"horizon day 0 is now calendar day {rolled.horizon_start_day}: "
        f"{len(scenario.requests) - len(rolled.requests)} served requests dropped, "
        f"{len(rolled.requests)} carried over ({late} already past due), technician shifts "
        f"{sum(len(t.shifts) for t in scenario.technicians)} → "
        f"{sum(len(t.shifts) for t in rolled.technicians)}"
    )
    _write(rolled.model_dump_json(indent=2) + "\n", output)


@app.command()
def diff(
    old_path: Annotated[Path, typer.Argument(metavar="OLD", help="Earlier plan JSON.")],
    new_path: Annotated[Path, typer.Argument(metavar="NEW", help="Later plan JSON.")],
    minutes_tolerance: Annotated[
        float, typer.Option(min=0, help="A visit moved by at most this many minutes is kept.")
    ] = 30.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the diff as JSON.")] = False,
) -> None:
    """What changed between two plans: depots, sites, staffing, stock, visits (by calendar
    day), unserved requests, KPIs per tier and costs."""
    from aftersales.optimizer.console import text_table
    from aftersales.optimizer.diff import diff_plans
    from aftersales.optimizer.diff_view import diff_tables

    result = diff_plans(
        _load(Plan, old_path), _load(Plan, new_path), minutes_tolerance=minutes_tolerance
    )
    if as_json:
        console.out(result.model_dump_json(indent=2))
        return
    for table in diff_tables(result):
        console.print(text_table(table))


@app.command()
def schema(
    document: Annotated[Literal["scenario", "plan"], typer.Argument(help="scenario or plan.")],
    output: Annotated[Path | None, typer.Option("-o", "--output")] = None,
) -> None:
    """Print the JSON Schema of the Scenario or Plan document."""
    model = Scenario if document == "scenario" else Plan
    _write(json.dumps(model.model_json_schema(), indent=2) + "\n", output)


@app.command("import")
def import_tables(
    source: Annotated[Path, typer.Argument(help="Folder of CSV files or an .xlsx workbook.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Scenario JSON.")] = None,
) -> None:
    """Read a scenario from spreadsheets; errors name the sheet, row and column."""
    from aftersales.datasets.spreadsheets import SpreadsheetError, read_scenario

    try:
        scenario = read_scenario(source)
    except SpreadsheetError as exc:
        _fail(f"{source} was rejected ({len(exc.errors)} errors):\n{exc}")
    _write(scenario.model_dump_json(indent=2) + "\n", output)


@app.command("export")
def export_tables(
    plan_path: Annotated[Path, typer.Argument(metavar="PLAN", help="Plan JSON.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder (CSV) or .xlsx.")],
) -> None:
    """Write a plan's tables to CSV files or an Excel workbook."""
    from aftersales.datasets.spreadsheets import write_plan

    write_plan(_load(Plan, plan_path), output)
    errors.print(f"wrote {output}")


class Executor(StrEnum):
    """Who runs the HTTP service's solves (`aftersales serve --executor`)."""

    local = "local"
    celery = "celery"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int | None, typer.Option(help="Solver processes (default 2).")] = None,
    db: Annotated[str | None, typer.Option(help="Job store URL (default SQLite file).")] = None,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="No API keys (development; loopback host only).")
    ] = False,
    executor: Annotated[
        Executor | None,
        typer.Option(help="Who solves: local processes (default) or celery workers."),
    ] = None,
    broker: Annotated[
        str | None, typer.Option(help="Broker URL of --executor celery (default: local RabbitMQ).")
    ] = None,
) -> None:
    """Serve the HTTP API (solve jobs, validation, schemas; docs at /docs)."""
    from aftersales.api.cli import run_server

    run_server(
        host=host,
        port=port,
        workers=workers,
        db=db,
        no_auth=no_auth,
        executor=executor.value if executor else None,
        broker=broker,
    )


@app.command()
def worker(
    broker: Annotated[
        str | None, typer.Option(help="Broker URL (default AFTERSALES_BROKER_URL / local).")
    ] = None,
    db: Annotated[str | None, typer.Option(help="Job store URL (the servers' store).")] = None,
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Jobs solved at once (default 1).")
    ] = None,
) -> None:
    """Run a solver worker for `serve --executor celery`, on any machine reaching both."""
    from aftersales.api.cli import run_worker

    run_worker(broker=broker, db=db, concurrency=concurrency)


PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}


@app.command(context_settings=PASS_THROUGH, add_help_option=False)
def keys(ctx: typer.Context) -> None:
    """API keys of the HTTP service: create --tenant NAME [--expires DAYS], list, revoke ID."""
    from aftersales.api.cli import keys_app

    typer.main.get_command(keys_app)(args=ctx.args, prog_name="aftersales keys")


@app.command(context_settings=PASS_THROUGH, add_help_option=False)
def jobs(ctx: typer.Context) -> None:
    """Stored jobs of the HTTP service: purge [--older-than DAYS]."""
    from aftersales.api.cli import jobs_app

    typer.main.get_command(jobs_app)(args=ctx.args, prog_name="aftersales jobs")


def _add_simulation_commands() -> None:
    """``simulate`` and ``report`` live in optimizer/simulate/cli.py (plotly loads on use)."""
    from aftersales.optimizer.simulate.cli import report_command, simulate_command

    app.command("simulate")(simulate_command)
    app.command("report")(report_command)


_add_simulation_commands()


def main() -> None:
    """Entry point with library logging routed to the terminal."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
