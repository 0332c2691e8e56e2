"""One replication: a SimPy discrete-event simulation of calls, stock and technicians.

Event logic of a call (failure of one product at one site, opened at ``t``):

1. Parts: each part of the product is needed with its usage probability. A needed part on hand
   in the site's pool is taken and a replenishment of one unit arrives after the part's lead
   time (one-for-one). A needed part not on hand is an *emergency shipment*: it reaches the
   site at ``t + emergency_delay_minutes``; no regular replenishment is ordered for it (the
   pool's inventory position stays at its base-stock level: the lost-sales variant).
2. Technician: the call asks for a technician at ``t``, or, after a stock-out, so that the
   technician would reach the site when the shipment does. It goes to the nearest free
   candidate on shift; otherwise it waits (first come, first served) for the first candidate
   who becomes free or starts a shift. A technician takes jobs only while on shift and
   finishes a job started before the shift's end (overtime).
3. Service: the technician leaves ``dispatch_minutes`` after being assigned, travels from the
   depot, starts the repair once on site with the parts, repairs for ``repair_minutes`` and
   travels back; only then is the technician free again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import simpy

from aftersales.optimizer.arrays import FloatArray, IntArray
from aftersales.optimizer.simulate.calendar import (
    next_shift_start,
    sample_times,
    shift_end,
    weekly_minutes,
)
from aftersales.optimizer.simulate.data import MINUTES_PER_WEEK, MINUTES_PER_YEAR, SimulationData
from aftersales.optimizer.simulate.settings import SimulationSettings


@dataclass(frozen=True)
class ReplicationResult:
    """Raw outcome of one replication: one row per call, totals per tier and technician."""

    site: IntArray
    opened: FloatArray
    arrival: FloatArray
    """Technician on site (inf: never within the drain period)."""
    ready: FloatArray
    """Technician on site with the parts: repair start."""
    completed: FloatArray
    stockout: npt.NDArray[np.bool_]
    part_units_demanded: FloatArray
    """Per tier: part units demanded."""
    part_units_on_hand: FloatArray
    """Per tier: part units found on hand."""
    emergency_cost: float
    emergency_shipments: int
    travel_km: float
    busy_minutes: FloatArray
    shift_minutes: FloatArray
    horizon_minutes: float


@dataclass
class _Call:
    index: int
    site: int
    product: int
    candidates: frozenset[int]


class _Replication:
    """State of one run; methods are the event handlers."""

    def __init__(self, data: SimulationData, settings: SimulationSettings, seed: object) -> None:
        self.data = data
        self.settings = settings
        self.rng = np.random.default_rng(seed)  # type: ignore[arg-type]
        self.env = simpy.Environment()
        self.horizon = settings.years * MINUTES_PER_YEAR
        self.on_hand: dict[tuple[int, int], int] = dict(data.levels)
        self.waiting: list[_Call] = []
        self.wake: list[simpy.Event | None] = [None] * len(data.tech_ids)
        self.busy = np.zeros(len(data.tech_ids))
        self.km = 0.0
        self.emergency_cost = 0.0
        self.emergency_units = 0
        n_tiers = len(data.tier_ids)
        self.demanded = np.zeros(n_tiers)
        self.on_hand_units = np.zeros(n_tiers)

    def run(self) -> ReplicationResult:
        data = self.data
        site, product, opened = self._sample_calls()
        n = len(opened)
        self.arrival = np.full(n, math.inf)
        self.ready = np.full(n, math.inf)
        self.completed = np.full(n, math.inf)
        self.parts_ready = np.zeros(n)
        self.stockout = np.zeros(n, dtype=bool)
        self.calls = [
            _Call(
                i, int(site[i]), int(product[i]), frozenset(data.candidates[(site[i], product[i])])
            )
            for i in range(n)
        ]
        self.env.process(self._source(opened))
        for t in range(len(data.tech_ids)):
            self.env.process(self._technician(t))
        self.env.run(until=self.horizon + self.settings.drain_days * 1440.0)
        weeks = self.horizon / MINUTES_PER_WEEK
        return ReplicationResult(
            site=site,
            opened=opened,
            arrival=self.arrival,
            ready=self.ready,
            completed=self.completed,
            stockout=self.stockout,
            part_units_demanded=self.demanded,
            part_units_on_hand=self.on_hand_units,
            emergency_cost=self.emergency_cost,
            emergency_shipments=self.emergency_units,
            travel_km=self.km,
            busy_minutes=self.busy,
            shift_minutes=np.array([weekly_minutes(w) * weeks for w in data.tech_week]),
            horizon_minutes=self.horizon,
        )

    def _sample_calls(self) -> tuple[IntArray, IntArray, FloatArray]:
        """All failures of the horizon, sorted by time."""
        data = self.data
        rates = np.array([s.rate_per_year for s in data.streams], dtype=float)
        counts = self.rng.poisson(rates * self.settings.years)
        stream_site = np.array([s.site for s in data.streams], dtype=np.intp)
        stream_product = np.array([s.product for s in data.streams], dtype=np.intp)
        site = np.repeat(stream_site, counts)
        product = np.repeat(stream_product, counts)
        window = data.service_week if self.settings.call_hours == "shifts" else None
        opened = sample_times(self.rng, int(counts.sum()), self.horizon, window)
        order = np.argsort(opened, kind="stable")
        return site[order], product[order], opened[order]

    def _source(self, opened: FloatArray):
        env = self.env
        for call, t in zip(self.calls, opened, strict=True):
            if t > env.now:
                yield env.timeout(t - env.now)
            self._open(call)

    def _open(self, call: _Call) -> None:
        """Take the call's parts from stock and ask for a technician (now or later)."""
        data, env = self.data, self.env
        now = env.now
        tier = data.site_tier[call.site]
        pool = data.site_pool[call.site]
        parts_ready = now
        for part, probability in data.product_parts[call.product]:
            if self.rng.random() >= probability:
                continue
            self.demanded[tier] += 1
            if not data.stock_decided:
                self.on_hand_units[tier] += 1
                continue
            key = (int(pool), part)
            if pool >= 0 and self.on_hand.get(key, 0) > 0:
                self.on_hand[key] -= 1
                self.on_hand_units[tier] += 1
                back = env.timeout(data.part_lead_minutes[part])
                back.callbacks.append(lambda _, k=key: self._restock(k))
            else:
                self.stockout[call.index] = True
                self.emergency_cost += data.part_emergency_cost[part]
                self.emergency_units += 1
                parts_ready = now + data.emergency_delay_minutes
        self.parts_ready[call.index] = parts_ready
        depot = data.site_depot[call.site]
        reach = data.dispatch_minutes + (
            data.depot_site_minutes[depot, call.site] if depot >= 0 else 0.0
        )
        ask = max(now, parts_ready - reach)
        if ask > now:
            later = env.timeout(ask - now)
            later.callbacks.append(lambda _, c=call: self._dispatch(c))
        else:
            self._dispatch(call)

    def _restock(self, key: tuple[int, int]) -> None:
        self.on_hand[key] = self.on_hand.get(key, 0) + 1

    def _dispatch(self, call: _Call) -> None:
        """Hand the call to the nearest idle candidate on shift, else queue it."""
        if self.settings.unlimited_technicians:
            self._serve_at_once(call)
            return
        for t in self.data.candidates[(call.site, call.product)]:
            event = self.wake[t]
            if event is not None and not event.triggered:
                self.wake[t] = None
                event.succeed(call)
                return
        self.waiting.append(call)

    def _take_waiting(self, t: int) -> _Call | None:
        for i, call in enumerate(self.waiting):
            if t in call.candidates:
                return self.waiting.pop(i)
        return None

    def _technician(self, t: int):
        env, data = self.env, self.data
        week = data.tech_week[t]
        while True:
            end = shift_end(week, env.now)
            if end is None:
                start = next_shift_start(week, env.now)
                if math.isinf(start):
                    return
                yield env.timeout(start - env.now)
                continue
            call = self._take_waiting(t)
            if call is None:
                event = env.event()
                self.wake[t] = event
                yield event | env.timeout(end - env.now)
                if not event.triggered:
                    self.wake[t] = None
                    continue
                call = event.value
            yield from self._serve(t, call)

    def _serve(self, t: int, call: _Call):
        env, data = self.env, self.data
        assigned = env.now
        depot = data.tech_depot[t]
        travel = data.depot_site_minutes[depot, call.site]
        arrival = assigned + data.dispatch_minutes + travel
        start = max(arrival, self.parts_ready[call.index])
        end = start + data.product_repair_minutes[call.product]
        back = end + travel
        self.arrival[call.index] = arrival
        self.ready[call.index] = start
        self.completed[call.index] = end
        self.km += 2 * data.depot_site_km[depot, call.site]
        self.busy[t] += back - assigned
        yield env.timeout(back - assigned)

    def _serve_at_once(self, call: _Call) -> None:
        """What-if service by an always-free technician of the serving depot."""
        data = self.data
        depot = data.site_depot[call.site]
        if depot < 0:
            return
        arrival = self.env.now + data.dispatch_minutes + data.depot_site_minutes[depot, call.site]
        start = max(arrival, self.parts_ready[call.index])
        self.arrival[call.index] = arrival
        self.ready[call.index] = start
        self.completed[call.index] = start + data.product_repair_minutes[call.product]
        self.km += 2 * data.depot_site_km[depot, call.site]


def run_replication(
    data: SimulationData, settings: SimulationSettings, seed: object
) -> ReplicationResult:
    """Simulate one horizon with its own random stream."""
    return _Replication(data, settings, seed).run()
