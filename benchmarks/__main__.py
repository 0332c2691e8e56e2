"""``python -m aftersales.benchmarks``: solve one benchmark file, or run a suite against its
baseline.

Results are JSON documents; ``run`` also prints a table. See benchmarks/README.md for the
protocol (instances, limits, seeds, baselines, published values).
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

from aftersales.benchmarks.registry import (
    DEFAULT_TIME_LIMIT,
    FORMATS,
    SUITES,
    SolveRequest,
    SuiteRequest,
    load_all,
)

app = typer.Typer(help="Benchmarks of aftersales-optimizer.", no_args_is_help=True)
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
    solution: Annotated[Path | None, typer.Option(help="Where to write the solution JSON.")] = None,
) -> None:
    """Solve one instance file and write its solution document."""
    load_all()
    run_solver = _choice(instance_format, FORMATS, "format")
    if not path.is_file():
        console.print(f"[red]error:[/red] no such file {path}")
        raise typer.Exit(2)
    request = SolveRequest(path, time_limit, seed, {"capacity": capacity})
    try:
        document = run_solver(request)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print_json(data={k: v for k, v in document.items() if not isinstance(v, list)})
    _dump(document, solution)


@app.command()
def run(
    suite: Annotated[str, typer.Option("--suite", help="Suite name.")],
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
) -> None:
    """Run a suite and its baseline side by side; print a table and write JSON."""
    load_all()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    run_suite = _choice(suite, SUITES, "suite")
    request = SuiteRequest(
        DEFAULT_TIME_LIMIT if time_limit is None else time_limit,
        seed,
        tuple(instance or ()),
        tuple(size or ()),
        time_limit_given=time_limit is not None,
    )
    document = run_suite(request)
    console.print(results_table(suite, document["rows"]))
    for key, value in document.get("summary", {}).items():
        console.print(f"{key}: {value}")
    _dump(document, json_path)


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
