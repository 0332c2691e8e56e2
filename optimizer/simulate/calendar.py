"""Weekly shift calendars: is a technician on shift now, and when does the next shift start."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from aftersales.optimizer.simulate.crew import MINUTES_PER_WEEK

Week = Sequence[tuple[float, float]]
"""Shift intervals as minutes of the week; an end past the week's end runs into next Monday."""


def shift_end(week: Week, now: float) -> float | None:
    """End of the shift ``now`` lies in (absolute minutes), or None when off shift."""
    base = math.floor(now / MINUTES_PER_WEEK) * MINUTES_PER_WEEK
    for start, end in week:
        for offset in (base, base - MINUTES_PER_WEEK):
            if offset + start <= now < offset + end:
                return offset + end
    return None


def next_shift_start(week: Week, now: float) -> float:
    """Earliest shift start strictly after ``now`` (absolute minutes); inf without shifts."""
    base = math.floor(now / MINUTES_PER_WEEK) * MINUTES_PER_WEEK
    best = math.inf
    for start, _ in week:
        for offset in (base, base + MINUTES_PER_WEEK):
            if offset + start > now:
                best = min(best, offset + start)
    return best


def weekly_minutes(week: Week) -> float:
    """Shift minutes in one week."""
    return float(sum(end - start for start, end in week))


def sample_times(
    rng: np.random.Generator, count: int, horizon_minutes: float, window: Week | None
) -> np.ndarray:
    """``count`` call times uniform over the horizon, or over the weekly ``window`` hours."""
    if window is None or not window:
        return rng.uniform(0.0, horizon_minutes, count)
    starts = np.array([a for a, _ in window], dtype=float)
    lengths = np.array([b - a for a, b in window], dtype=float)
    per_week = lengths.sum()
    # Draw on the open-time axis of whole weeks, then keep the draws that fall in the horizon.
    open_in_horizon = _open_minutes_before(starts, lengths, horizon_minutes)
    u = rng.uniform(0.0, open_in_horizon, count)
    week = np.floor(u / per_week)
    rest = u - week * per_week
    cumulative = np.concatenate([[0.0], np.cumsum(lengths)])
    slot = np.clip(np.searchsorted(cumulative, rest, side="right") - 1, 0, len(starts) - 1)
    return week * MINUTES_PER_WEEK + starts[slot] + (rest - cumulative[slot])


def _open_minutes_before(starts: np.ndarray, lengths: np.ndarray, horizon: float) -> float:
    """Window minutes between 0 and ``horizon``."""
    full = math.floor(horizon / MINUTES_PER_WEEK)
    rest = horizon - full * MINUTES_PER_WEEK
    partial = np.clip(rest - starts, 0.0, lengths).sum()
    return float(full * lengths.sum() + partial)


def open_minutes_until(window: Week | None, times: np.ndarray) -> np.ndarray:
    """Open minutes of the weekly ``window`` in ``[0, t)`` for each absolute time ``t``.

    ``None`` is a 24/7 clock (the result is ``t`` itself). ``inf`` stays ``inf``. The window's
    intervals must lie inside one week (``merge_intervals`` wraps them). The difference of two
    values is a call's response time on a clock that runs only in service hours, in minutes.
    """
    times = np.asarray(times, dtype=float)
    if window is None:
        return times.copy()
    starts = np.array([a for a, _ in window], dtype=float)
    lengths = np.array([b - a for a, b in window], dtype=float)
    finite = np.where(np.isfinite(times), times, 0.0)
    weeks = np.floor(finite / MINUTES_PER_WEEK)
    rest = finite - weeks * MINUTES_PER_WEEK
    partial = np.clip(rest[:, None] - starts[None, :], 0.0, lengths[None, :]).sum(axis=1)
    out = weeks * lengths.sum() + partial
    return np.where(np.isfinite(times), out, np.inf)


def clock_minutes(window: Week | None, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Minutes of service hours between ``start`` and ``end`` (``end ≥ start``), per pair."""
    return open_minutes_until(window, end) - open_minutes_until(window, start)
