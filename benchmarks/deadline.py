"""Run a baseline solver in its own process group and kill it at a hard wall-clock deadline.

CBC (through PuLP) checks its time limit only during branch and bound: on large location models
its initial LP ran for 14 minutes against a 120 s limit. A benchmark must not wait for that, so
baselines run in a child process whose whole group (the CBC process included) is killed when the
deadline passes.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
from collections.abc import Callable
from typing import Any

GRACE_SECONDS = 10.0
"""Time past the limit a baseline may take to stop by itself before it is killed."""


def _child(function: Callable[..., Any], args: tuple[Any, ...], queue: mp.Queue) -> None:
    os.setsid()  # own process group, so the kill reaches the solver's subprocesses too
    queue.put(function(*args))


def run_with_deadline(
    function: Callable[..., Any], args: tuple[Any, ...], seconds: float
) -> Any | None:
    """``function(*args)`` in a child process; None if it is not done within ``seconds``."""
    context = mp.get_context("fork")
    queue: mp.Queue = context.Queue()
    child = context.Process(target=_child, args=(function, args, queue), daemon=True)
    child.start()
    try:
        return queue.get(timeout=seconds)
    except Exception:  # queue.Empty: deadline passed
        return None
    finally:
        if child.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
        child.join(timeout=5)
