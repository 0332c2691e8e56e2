"""Baselines that overrun their limit are killed, with the processes they started."""

from __future__ import annotations

import subprocess
import time

from aftersales.benchmarks.deadline import run_with_deadline


def _spawn_and_wait(seconds: float) -> int:
    """Start a grandchild (like PuLP starting CBC) and wait for it."""
    return subprocess.run(["sleep", str(seconds)], check=False).returncode


def test_result_returned_within_deadline() -> None:
    """A quick function's value comes back."""
    assert run_with_deadline(sum, ([1, 2, 3],), 10) == 6


def test_overrun_is_killed_with_its_subprocess() -> None:
    """A 30 s grandchild under a 1 s deadline: None after ~1 s, and no sleep process left."""
    started = time.perf_counter()
    assert run_with_deadline(_spawn_and_wait, (30.0,), 1.0) is None
    assert time.perf_counter() - started < 10
    time.sleep(0.2)
    left = subprocess.run(["pgrep", "-f", "sleep 30.0"], capture_output=True, text=True)
    assert left.stdout.strip() == ""
