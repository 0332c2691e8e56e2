"""p-median and p-center on OR-Library's pmed graphs through the network layer, and the
repeated-edge rule of the pmed files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_array
from scipy.sparse.csgraph import shortest_path
from typer.testing import CliRunner

from aftersales.benchmarks.__main__ import app
from aftersales.benchmarks.orlib_pmed import FOLDER, published_optima
from aftersales.datasets.orlib_pmed import read_orlib_pmed
from aftersales.optimizer.network.cover import min_cover
from aftersales.optimizer.network.graph_location import solve_center, solve_median
from aftersales.optimizer.network.minimax_center import solve_center_minimax


def _last_wins_distances(path: Path) -> np.ndarray:
    """All-pairs shortest paths of a pmed file, read here independently of the product."""
    n, e, _ = (int(t) for t in path.read_text().split()[:3])
    body = np.array(path.read_text().split()[3:], dtype=int).reshape(e, 3)
    length = {}
    for i, j, c in body:
        length[min(i, j) - 1, max(i, j) - 1] = c  # a later line replaces an earlier one
    rows, cols = zip(*length, strict=True)
    matrix = csr_array((list(length.values()), (rows, cols)), shape=(n, n))
    return shortest_path(matrix, directed=False)


def test_pmed_reader_keeps_the_last_of_repeated_edges() -> None:
    """pmed1 lists {19,20} as 22 then 30 and {30,70} as 5 then 74 (README): 30 and 74 stay."""
    arcs = read_orlib_pmed(FOLDER / "pmed1.txt").graph.arcs()
    assert arcs["19", "20"] == arcs["20", "19"] == (30.0, 30.0)
    assert arcs["30", "70"] == arcs["70", "30"] == (74.0, 74.0)


@pytest.mark.parametrize("objective", ["median", "center"])
def test_pmed1_reaches_its_published_optimum_proven(tmp_path: Path, objective: str) -> None:
    """`solve --format orlib-pmed --objective ...` writes p open nodes (1-based) whose value,
    recomputed here from the file, is the published optimum, with the solver's bound equal."""
    out = tmp_path / "pmed1.json"
    path = FOLDER / "pmed1.txt"
    arguments = ["solve", "--format", "orlib-pmed", str(path), "--objective", objective]
    result = CliRunner().invoke(app, [*arguments, "--time-limit", "60", "--solution", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    optimum = published_optima()["pmed1", objective]
    assert len(set(document["open"])) == 5
    nearest = _last_wins_distances(path)[:, np.array(document["open"]) - 1].min(axis=1)
    value = nearest.sum() if objective == "median" else nearest.max()
    assert value == document["objective"] == optimum
    assert document["status"] == "optimal"
    assert document["bound"] == pytest.approx(optimum, abs=1e-6)


def test_unknown_objective_is_refused() -> None:
    path = str(FOLDER / "pmed1.txt")
    arguments = ["solve", "--format", "orlib-pmed", path, "--objective", "mean"]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 2
    assert "median, center" in result.output


PATH_5 = np.abs(np.subtract.outer(np.arange(5.0), np.arange(5.0)))
"""Five nodes on a line one apart: distance = |i − j|."""


@pytest.mark.parametrize(("p", "radius", "centre"), [(1, 2.0, [2]), (2, 1.0, None), (5, 0.0, None)])
def test_center_on_a_line(p: int, radius: float, centre: list[int] | None) -> None:
    """Bisection and the minimax MILP agree with the hand answer and both prove it."""
    for solve in (solve_center, solve_center_minimax):
        answer = solve(PATH_5, p, 30.0)
        assert answer.status == "optimal"
        assert answer.objective == radius
        assert answer.bound == pytest.approx(radius, abs=1e-6)
        assert answer.is_open.sum() == p
        if centre is not None:
            assert np.flatnonzero(answer.is_open).tolist() == centre


def test_median_on_a_line() -> None:
    """Two medians on five nodes in a line: at 1 and 3 (or 1 and 4 ...), total 3."""
    answer = solve_median(PATH_5, 2, 30.0)
    assert (answer.status, answer.objective, int(answer.is_open.sum())) == ("optimal", 3.0, 2)


def test_cover_proves_when_too_few_depots_reach() -> None:
    """Within radius 1 the line needs 2 depots: 1 is proven not enough, 2 suffice."""
    cover = min_cover(PATH_5 <= 1.0, 30.0)
    assert (cover.count, cover.status) == (2, "optimal")
    assert cover.at_most(1) is False
    assert cover.at_most(2) is True
    assert min_cover(np.array([[True, False], [False, False]]), 5.0).at_most(2) is False
