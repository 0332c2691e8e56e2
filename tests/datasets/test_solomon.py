"""Tests of the Solomon / Gehring–Homberger reader (aftersales.datasets.solomon) over the real
files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from aftersales.datasets.solomon import dimacs_tenths, parse_solomon, read_solomon

SOLOMON_DIR = Path(__file__).resolve().parents[3] / "shared" / "instances" / "solomon"
"""The shared instances beside the clone (CI checks out ../shared too)."""
ALL_FILES = sorted(SOLOMON_DIR.glob("*.txt"))

HEADER = "X1\n\nVEHICLE\nNUMBER     CAPACITY\n  3   50\n\nCUSTOMER\nCUST NO. XCOORD. ...\n\n"


def test_all_56_instances_read() -> None:
    """Every one of the 56 files has 100 customers, K = 25 and its class's capacity."""
    assert len(ALL_FILES) == 56
    for path in ALL_FILES:
        instance = read_solomon(path)
        assert instance.num_customers == 100, path.name
        assert instance.num_vehicles == 25, path.name
        expected = 200 if path.name[-7] == "1" else (700 if path.name.startswith("c2") else 1000)
        assert instance.capacity == expected, path.name


def test_c101_values_as_in_the_file() -> None:
    """c101: name, depot row '0 40 50 0 0 1236 0' and customer 1 '45 68 10 912 967 90'."""
    instance = read_solomon(SOLOMON_DIR / "c101.txt")
    assert instance.name == "c101"
    assert (instance.x[0], instance.y[0], instance.due[0]) == (40, 50, 1236)
    row = [instance.x[1], instance.y[1], instance.demand[1]]
    assert [*row, instance.ready[1], instance.due[1], instance.service[1]] == [
        45,
        68,
        10,
        912,
        967,
        90,
    ]


def test_crlf_and_blank_lines_do_not_matter() -> None:
    """The same text with LF endings and no blank lines parses to equal arrays."""
    text = (SOLOMON_DIR / "r101.txt").read_text()
    clean = "\n".join(line.strip() for line in text.splitlines() if line.strip())
    a, b = parse_solomon(text), parse_solomon(clean)
    assert a.name == b.name == "R101"
    for field in ("x", "y", "demand", "ready", "due", "service"):
        assert np.array_equal(getattr(a, field), getattr(b, field))


def test_dimacs_arcs_truncate_to_one_decimal() -> None:
    """(0,0)→(1,1) is 1.414… → 14 tenths; (0,0)→(3,4) is exactly 5 → 50 (no float loss)."""
    arcs = dimacs_tenths([0, 1, 3], [0, 1, 4])
    assert arcs[0, 1] == 14
    assert arcs[0, 2] == 50
    assert arcs[1, 2] == 36  # sqrt(4 + 9) = 3.605… → 36


def test_dimacs_arcs_equal_isqrt_on_a_real_file() -> None:
    """Every arc of rc208 equals isqrt(100 (dx² + dy²)) computed one by one."""
    instance = read_solomon(SOLOMON_DIR / "rc208.txt")
    arcs = instance.distance_tenths()
    x, y = instance.x.astype(int), instance.y.astype(int)
    for i in range(0, 101, 7):
        for j in range(101):
            dx, dy = int(x[i] - x[j]), int(y[i] - y[j])
            assert arcs[i, j] == math.isqrt(100 * (dx * dx + dy * dy))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("    0  0 0 0 0 100 0\n    1  1 1 5 0 50\n", "needs 7 numbers"),
        ("    0  0 0 0 0 100 0\n    2  1 1 5 0 50 10\n", "out of order"),
        ("    0  0 0 0 0 100 0\n    1  1 1 5 60 50 10\n", "closes before it opens"),
        ("    0  0 0 0 0 100 0\n    1  1 1 x 0 50 10\n", "expected numbers"),
        ("    0  0 0 0 0 100 0\n", "at least one customer"),
    ],
)
def test_malformed_rows_are_rejected_with_the_reason(body: str, message: str) -> None:
    """Short rows, customer numbers out of order, reversed windows, text, no customers."""
    with pytest.raises(ValueError, match=message):
        parse_solomon(HEADER + body)


def test_missing_sections_are_named() -> None:
    """A file without CUSTOMER, or with a fleet line of one number, says so."""
    with pytest.raises(ValueError, match="no CUSTOMER section"):
        parse_solomon("X\nVEHICLE\nNUMBER CAPACITY\n25 200\n")
    with pytest.raises(ValueError, match="fleet must be two positive integers"):
        parse_solomon("X\nVEHICLE\nNUMBER CAPACITY\n25\nCUSTOMER\n0 0 0 0 0 9 0\n1 1 1 1 0 9 1\n")


def test_truncated_real_file_is_rejected(tmp_path: Path) -> None:
    """c101 cut in the middle of a row fails with the line number of the short row."""
    text = (SOLOMON_DIR / "c101.txt").read_text()
    cut = tmp_path / "c101_cut.txt"
    cut.write_text(text[: text.index("  912  ") + 6])
    with pytest.raises(ValueError, match=r"line \d+: a customer row needs 7"):
        read_solomon(cut)
