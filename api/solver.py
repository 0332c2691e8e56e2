"""What runs inside a solver process: parse, ``aftersales.optimizer.pipeline.solve``, report over a
pipe.

The process leads its own process group (and kills that group when the server is gone), writes
temporary files only under the directory the server gave it and may be capped in memory (see
``confine``). Messages sent to the server: ``("progress", {...})`` for each layer event, then
exactly one of ``("plan", plan_json)`` or ``("error", message)``. The process never touches the
job store, so a solver orphaned by a killed server can do no harm.
"""

from __future__ import annotations

import os
import resource
import select
import signal
import tempfile
import threading
from multiprocessing.connection import Connection
from typing import Any

from aftersales.optimizer.pipeline import Progress, solve
from aftersales.optimizer.schema import Plan, Scenario, SolveOptions


def progress_message(event: Progress, layers: list[str], finished: set[str]) -> dict[str, Any]:
    """A progress event as stored and served: layer, event, percent, objective, elapsed."""
    if event.event == "finished":
        finished.add(event.layer)
    total = len(set(layers) | {"network"})
    return {
        "layer": event.layer,
        "event": event.event,
        "percent": round(100.0 * len(finished) / total, 1),
        "objective": event.objective,
        "elapsed_seconds": round(event.elapsed_seconds, 3),
        "message": event.message,
    }


def confine(conn: Connection, temp_dir: str | None, memory_mb: int | None, nice: int = 0) -> None:
    """Make this process the leader of its own process group (children such as ``cbc`` join
    it, so the server kills them all at once) that dies when the server is gone, lower its CPU
    priority by ``nice`` (inherited by children: the server's request threads come first on a
    busy host), send temporary files to ``temp_dir`` (which the server removes), and cap the
    address space at ``memory_mb`` (inherited by children; set last, once the watch thread has
    its stack)."""
    os.setpgrp()
    if nice:
        os.nice(nice)
    threading.Thread(
        target=_die_with_server, args=(conn.fileno(),), name="orphan-watch", daemon=True
    ).start()
    if temp_dir is not None:
        for name in ("TMPDIR", "TMP", "TEMP"):
            os.environ[name] = temp_dir
        tempfile.tempdir = temp_dir
    if memory_mb is not None:
        # Native code that cannot allocate aborts; a backtrace would need memory it lacks.
        os.environ["RUST_BACKTRACE"] = "0"
        limit = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _die_with_server(fd: int, poll_seconds: float = 1.0) -> None:
    """Kill this process group once the server is gone: the read end of the result pipe closes
    (POLLERR/POLLHUP on our write end) when the server exits, is SIGKILLed or gives up on this
    solve, so no solver and no ``cbc`` outlives it in a group of its own."""
    poller = select.poll()
    poller.register(fd, select.POLLERR | select.POLLHUP)
    while True:
        for _, events in poller.poll(int(poll_seconds * 1000)):
            if events & select.POLLNVAL:  # we closed the pipe ourselves: the solve is done
                return
            os.killpg(os.getpgrp(), signal.SIGKILL)


def solve_in_process(
    conn: Connection,
    scenario_json: str,
    options_json: str,
    temp_dir: str | None = None,
    memory_mb: int | None = None,
    nice: int = 0,
    previous_json: str | None = None,
) -> None:
    """Entry point of a solver process; ``previous_json`` is the plan that warm-starts it."""
    # Ctrl-C or a SIGTERM to the whole process group is the server's to handle: it stops its
    # solvers itself and puts their jobs back in the queue.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    confine(conn, temp_dir, memory_mb, nice)
    try:
        scenario = Scenario.model_validate_json(scenario_json)
        options = SolveOptions.model_validate_json(options_json)
        previous = Plan.model_validate_json(previous_json) if previous_json else None
        finished: set[str] = set()

        def forward(event: Progress) -> None:
            conn.send(("progress", progress_message(event, list(options.layers), finished)))

        plan = solve(scenario, options, progress=forward, previous=previous)
        conn.send(("plan", plan.model_dump_json()))
    except (BrokenPipeError, EOFError, OSError):
        return
    except MemoryError:
        try:
            conn.send(("error", f"out of memory: the solver exceeded its {memory_mb} MB limit"))
        except OSError:
            return
    except Exception as exc:  # a solver bug ends the job as failed, not the process silently
        try:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
        except OSError:
            return
    finally:
        conn.close()
