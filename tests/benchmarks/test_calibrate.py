"""The calibration command of the deterministic work budgets (benchmarks/calibrate.py)."""

from __future__ import annotations

import re

import pytest

from aftersales.benchmarks.calibrate import main


def test_calibrate_prints_a_ratio_per_engine_and_the_network(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """S at a 0.5-s limit: one line per engine and one for S's network MILP, each with the
    seconds taken and its ratio to the limit; an unknown case is refused."""
    main(["--seconds", "0.5", "S"])
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if re.search(r"ratio \d+\.\d\d", line)]
    assert len(rows) == 3, out
    assert "pyvrp" in rows[0]
    assert "iterations/s" in rows[0]
    assert "ortools" in rows[1]
    assert "network MILP" in rows[2]
    with pytest.raises(SystemExit):
        main(["nowhere"])
