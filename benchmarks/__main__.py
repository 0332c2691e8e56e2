"""``python -m aftersales.benchmarks``: solve one benchmark file, run a suite against its
baseline or a whole profile, and check a profile's results against the committed reference.

Results are JSON documents; ``run`` also prints a table, ``check`` a table of regressions (and
Markdown and JUnit XML on request) with exit status 1 when any figure got worse beyond its
tolerance. See benchmarks/README.md for the protocol (instances, limits, seeds, baselines,
published values) and the regression-check workflow.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from aftersales.benchmarks import check as checking
from aftersales.benchmarks.metrics import suite_metrics
from aftersales.benchmarks.profiles import PROFILES, run_profile
from aftersales.benchmarks.reference import load_document, make_reference, reference_path
from aftersales.benchmarks.registry import (
    DEFAULT_TIME_LIMIT,
    FORMATS,
    SUITES,
    SolveRequest,
    SuiteRequest,
    load_all,
)

app = typer.Typer(help="Benchmarks of aftersales-optimizer.", no_args_is_help=True)
reference_app = typer.Typer(help="The committed reference of a profile.", no_args_is_help=True)
app.add_typer(reference_app, name="reference")
console = Console(width=200)
"""Wide enough for results tables written to files or CI logs."""


def _choice(name: str, known: dict[str, Any], what: str) -> Any:
    if name not in known:
        console.print(
            f"[red]error:[/red] unknown {what} {name!r}; known: {', '.join(sorted(known))}"
        )
        raise typer.Exit(2)
    return known[name]


def _dump(document: dict[str, Any], path: Path | None) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
    console.print(f"wrote {path}")


@app.command()
def solve(
    path: Annotated[Path, typer.Argument(help="Instance file.")],
    instance_format: Annotated[str, typer.Option("--format", help="Instance format.")],
    time_limit: Annotated[float, typer.Option(help="Wall-clock seconds.")] = 10.0,
    seed: Annotated[int, typer.Option()] = 0,
    capacity: Annotated[
        float | None, typer.Option(help="Capacity for files that say 'capacity'.")
    ] = None,
    objective: Annotated[
        str | None, typer.Option(help="orlib-pmed: 'median' (default) or 'center' (p-center).")
    ] = None,
    solution: Annotated[Path | None, typer.Option(help="Where to write the solution JSON.")] = None,
) -> None:
    """Solve one instance file and write its solution document."""
    load_all()
    run_solver = _choice(instance_format, FORMATS, "format")
    if not path.is_file():
        console.print(f"[red]error:[/red] no such file {path}")
        raise typer.Exit(2)
    request = SolveRequest(path, time_limit, seed, {"capacity": capacity, "objective": objective})
    try:
        document = run_solver(request)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print_json(data={k: v for k, v in document.items() if not isinstance(v, list)})
    _dump(document, solution)


@app.command()
def run(
    suite: Annotated[str | None, typer.Option("--suite", help="Suite name.")] = None,
    profile: Annotated[
        str | None,
        typer.Option(help="Run a profile (a list of suites with its options) instead of a suite."),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(help="Wall-clock seconds per solve (default: the suite's own, else 10)."),
    ] = None,
    seed: Annotated[int, typer.Option()] = 0,
    instance: Annotated[
        list[str] | None, typer.Option(help="Only these instances (repeatable).")
    ] = None,
    size: Annotated[list[str] | None, typer.Option(help="Only these sizes (repeatable).")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Results JSON.")] = None,
    deterministic: Annotated[
        bool,
        typer.Option(
            help="Work limits instead of the wall clock (routing, solomon, trsp, pipeline): "
            "the same figures under any load; each solve takes about its limit when idle."
        ),
    ] = False,
) -> None:
    """Run a suite and its baseline side by side (or a whole profile); print tables, write JSON."""
    load_all()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if (suite is None) == (profile is None):
        console.print("[red]error:[/red] give exactly one of --suite and --profile")
        raise typer.Exit(2)
    if profile is not None:
        _choice(profile, PROFILES, "profile")
        if time_limit is not None or instance or size or deterministic:
            console.print("[red]error:[/red] a profile fixes its own limits, instances and sizes")
            raise typer.Exit(2)
        document = run_profile(profile, seed)
        for name, result in document["suites"].items():
            console.print(results_table(name, result["rows"]))
        console.print(f"profile {profile}: {document['wall_seconds']} s wall")
        _dump(document, json_path)
        return
    assert suite is not None
    run_suite = _choice(suite, SUITES, "suite")
    request = SuiteRequest(
        DEFAULT_TIME_LIMIT if time_limit is None else time_limit,
        seed,
        tuple(instance or ()),
        tuple(size or ()),
        time_limit_given=time_limit is not None,
        deterministic=deterministic,
    )
    document = run_suite(request)
    console.print(results_table(suite, document["rows"]))
    for key, value in document.get("summary", {}).items():
        console.print(f"{key}: {value}")
    _dump({**document, "metrics": {suite: suite_metrics(suite, document)}}, json_path)


@app.command()
def check(
    results: Annotated[Path, typer.Argument(help="Results JSON of `run --profile ... --json`.")],
    against: Annotated[Path, typer.Option("--against", help="Reference JSON.")],
    markdown: Annotated[
        Path | None, typer.Option(help="Write a Markdown summary here (CI job summary).")
    ] = None,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML here.")] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Show every figure, not only the regressions.")
    ] = False,
) -> None:
    """Compare results with a reference; exit 1 naming every regression, 0 when none."""
    try:
        got, expected = load_document(results), load_document(against)
        findings = checking.compare(
            got["metrics"], expected["metrics"], expected.get("tolerances", {})
        )
    except (OSError, ValueError, KeyError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(checking.table(findings, everything=show_all))
    for path, text in ((markdown, checking.markdown), (junit, checking.junit)):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text(findings))
            console.print(f"wrote {path}")
    counts = checking.verdict_counts(findings)
    origin = expected.get("provenance", {})
    console.print(
        f"{len(findings)} figures against the reference of commit {origin.get('commit')} "
        f"({origin.get('date')}): " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
    )
    if got.get("wall_seconds") is not None:
        console.print(
            f"profile wall time {got['wall_seconds']} s, reference "
            f"{expected.get('wall_seconds')} s (absolute times are reported, never checked)"
        )
    failed = checking.failures(findings)
    for finding in failed:
        console.print(f"[red]REGRESSION[/red] {finding.label()}: {finding.reason}")
    if failed:
        raise typer.Exit(1)


@reference_app.command("update")
def reference_update(
    profile: Annotated[str, typer.Option(help="Profile to run and record.")] = "quick",
    from_results: Annotated[
        Path | None,
        typer.Option("--from", help="Record this results JSON instead of running the profile."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(help="Reference file (default benchmarks/reference/PROFILE.json)."),
    ] = None,
    reset_tolerances: Annotated[
        bool, typer.Option(help="Start from the default tolerances, not the existing file's.")
    ] = False,
) -> None:
    """Write a profile's reference: figures, commit, machine, date and tolerances.

    The tolerances of an existing reference are kept; commit the file with a message saying
    why the figures moved.
    """
    _choice(profile, PROFILES, "profile")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    target = output or reference_path(profile)
    try:
        results = load_document(from_results) if from_results else run_profile(profile)
        previous = None if reset_tolerances or not target.exists() else load_document(target)
    except (OSError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    if results.get("profile") != profile:
        console.print(f"[red]error:[/red] results are of profile {results.get('profile')!r}")
        raise typer.Exit(2)
    reference = make_reference(results, previous.get("tolerances") if previous else None)
    _dump(reference, target)


def results_table(title: str, rows: list[dict[str, Any]]) -> Table:
    """Every row's fields as columns, numbers to 4 significant digits."""
    table = Table(title=title)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    for column in columns:
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    return table


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "–" if value is None else str(value)


if __name__ == "__main__":
    sys.exit(app())
