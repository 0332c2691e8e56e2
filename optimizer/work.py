"""Work budgets of a deterministic solve, and the one place HiGHS's options are set.

A solve stopped by the wall clock depends on how fast the machine was that moment: the same
scenario and seed give different plans on a loaded and an idle machine (issue #12). With
``SolveOptions.deterministic`` every layer stops on *work* instead — HiGHS on a node limit, the
routing search on an iteration or solution limit — derived from the layer's time share and the
instance size, so its answer depends only on the input and the seed. The wall clock stays a
safety cap of ``SAFETY_FACTOR`` × the layer's share; a layer cut by that cap says so in its
message (``CUT_BY_CAP``), because its answer may then differ under another load.
"""

from __future__ import annotations

import math
import time

import highspy

SAFETY_FACTOR = 3.0
"""A deterministic layer's wall-clock cap, as a multiple of its time share: generous enough
that a work budget calibrated on an idle 2-core machine finishes under a load of 2-3 per core,
so only a badly overloaded (or much slower) machine hits it."""
MIN_EXTRA_SECONDS = 60.0
"""... and at least this many seconds more than the share: a share of a few seconds is
dominated by fixed costs and the scheduler, and a busy machine slows it more than 3x."""
CUT_BY_CAP = "NOT deterministic: cut by the wall-clock safety cap (3x the share, 60 s at least)"
"""Message of a deterministic layer that its wall-clock cap stopped before its work limit."""
HIGHS_NODES_PER_SECOND = 50.0
"""Branch-and-bound nodes HiGHS explores per second on the location MILP with the contract
rows (generated S: optimal after 523 nodes in 16.6 s at a load of 6 on 2 cores, about 60 a
second idle; see benchmarks/README.md, "Deterministic runs"). A deterministic MILP stops after
``HIGHS_NODES_PER_SECOND`` × its time share nodes."""
MIN_NODES = 50
"""Least node budget of a deterministic MILP: a short share still gets a real search."""


def cap_seconds(seconds: float, deterministic: bool) -> float:
    """Wall-clock seconds a layer may run: its share, or the safety cap of a deterministic run."""
    if not deterministic:
        return seconds
    return max(seconds * SAFETY_FACTOR, seconds + MIN_EXTRA_SECONDS)


def node_budget(seconds: float) -> int:
    """Node limit of a deterministic MILP given a time share of ``seconds``."""
    return max(MIN_NODES, math.ceil(HIGHS_NODES_PER_SECOND * seconds))


def configure_highs(
    model: highspy.Highs,
    seconds: float,
    *,
    mip_gap: float,
    seed: int,
    deterministic: bool,
    started: float | None = None,
) -> None:
    """Set the time limit, gap, seed and, when ``deterministic``, the work limits of a model.

    ``seconds`` is the solve's time share (wall clock, counted from ``started``, a
    ``perf_counter`` value; now by default). A deterministic solve runs on one thread with
    ``mip_max_nodes`` from :func:`node_budget` and the wall clock only as the safety cap;
    HiGHS's MIP is then repeatable for a given seed (its root LP has no work limit here: a
    root LP that outlasts the cap is reported by the caller as cut).

    HiGHS sizes its thread pool once per process; one thread is only accepted after the pool
    is reset, so a deterministic solve resets it (later solves in the process then also use one
    thread). HiGHS checks ``time_limit`` only in some phases, so the interrupt callbacks also
    stop it once the limit has passed (DESIGN.md, "Pitfalls").
    """
    started = time.perf_counter() if started is None else started
    limit = cap_seconds(seconds, deterministic)
    model.setOptionValue("time_limit", max(0.1, limit - (time.perf_counter() - started)))
    model.setOptionValue("mip_rel_gap", mip_gap)
    model.setOptionValue("random_seed", seed)
    if deterministic:
        highspy.Highs.resetGlobalScheduler(True)
        model.setOptionValue("threads", 1)
        model.setOptionValue("mip_max_nodes", node_budget(seconds))
    stop_at_deadline(model, started + limit)


def stop_at_deadline(model: highspy.Highs, deadline: float) -> None:
    """Interrupt HiGHS at its next callback point once ``deadline`` (perf_counter) has passed.

    HiGHS checks its ``time_limit`` option only in some phases: on the XL location model (122k
    columns, a start given) it ran over 5 minutes past a 102-s limit after its root LP. Its
    interrupt callbacks are polled in other places too; this one stopped the same solve right
    after the root LP. Both stops remain best effort inside one long LP iteration phase.
    """

    def interrupt(event: highspy.highs.HighsCallbackEvent) -> None:
        if time.perf_counter() > deadline:
            event.interrupt()

    model.cbSimplexInterrupt += interrupt
    model.cbIpmInterrupt += interrupt
    model.cbMipInterrupt += interrupt
