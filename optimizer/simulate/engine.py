"""One replication: a SimPy discrete-event simulation of calls, stock and technicians.

Event logic of a call (failure of one product at one site, opened at ``t``):

1. Parts: each part of the product is needed with its usage probability. Replenishment follows
   the METRIC backorder rule (docs/semantics.md, "attainment and staffing"): *every* demand
   places one replenishment order that arrives after the part's lead time, also a demand that
   finds no unit on hand; a pool's on-hand stock is ``max(0, S − orders outstanding)``. A needed
   part on hand is taken; one not on hand is an *emergency shipment* that reaches the site at
   ``t + emergency_delay_minutes``. The number of outstanding orders is then the M/D/∞ queue of
   the stock model, so the on-hand probability is its ``P(D ≤ S − 1)``. Each replication starts
   in that steady state: Poisson(λ·L) orders outstanding, each arriving uniformly within the
   lead time.
2. Technician: the call is handled for ``dispatch_minutes`` (call taking, diagnosis: no
   technician is tied up), then asks for a technician at ``t + dispatch_minutes``, or, after a
   stock-out, so that the technician would reach the site when the shipment does (never
   earlier than that). It goes to the nearest free
   candidate on shift; otherwise it waits (first come, first served) for the first candidate
   who becomes free or starts a shift. A technician takes jobs only while on shift and
   finishes a job started before the shift's end (overtime).
3. Service: the technician leaves when assigned, travels from the depot, starts the repair
   once on site with the parts, repairs for ``repair_minutes`` and travels back; only then is
   the technician free again. A job thus occupies a technician for the repair plus the round
   trip, the queueing model's work per job (docs/semantics.md).
4. Preventive visits (planned maintenance) arrive in the technicians' shift hours, occupy a
   candidate technician (no dispatch delay, no parts: travel, the visit, travel back) and are
   not SLA calls; a free technician takes waiting repairs before waiting visits.
5. Calls of a tier arrive in its service hours (``call_hours="tier"``); the response clock is
   applied in ``results`` (minutes inside the service hours only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import simpy

from aftersales.optimizer.arrays import FloatArray, IntArray
from aftersales.optimizer.simulate.calendar import (
    Week,
    next_shift_start,
    sample_times,
    shift_end,
    weekly_minutes,
)
from aftersales.optimizer.simulate.crew import MINUTES_PER_WEEK
from aftersales.optimizer.simulate.data import (
    MINUTES_PER_YEAR,
    SimulationData,
    Stream,
)
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
    preventive_visits: int
    """Preventive visits served (those still waiting at the end are not counted)."""
    preventive_minutes: float
    """Technician minutes spent on preventive visits (travel included)."""
    travel_km: float
    busy_minutes: FloatArray
    shift_minutes: FloatArray
    horizon_minutes: float


@dataclass
class _Call:
    index: int
    """Row of the call in the result arrays; -1 for a preventive visit."""
    site: int
    product: int
    candidates: frozenset[int]

    @property
    def preventive(self) -> bool:
        """A planned maintenance visit, not an SLA call."""
        return self.index < 0


class _Replication:
    """State of one run; methods are the event handlers."""

    def __init__(self, data: SimulationData, settings: SimulationSettings, seed: object) -> None:
        self.data = data
        self.settings = settings
        self.rng = np.random.default_rng(seed)  # type: ignore[arg-type]
        self.env = simpy.Environment()
        self.horizon = settings.years * MINUTES_PER_YEAR
        self.outstanding: dict[tuple[int, int], int] = {}
        self.waiting: list[_Call] = []
        self.waiting_preventive: list[_Call] = []
        self.wake: list[simpy.Event | None] = [None] * len(data.tech_ids)
        self.busy = np.zeros(len(data.tech_ids))
        self.km = 0.0
        self.emergency_cost = 0.0
        self.emergency_units = 0
        self.preventive_visits = 0
        self.preventive_minutes = 0.0
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
        if data.stock_decided:
            self._warm_start_orders()
        self.env.process(self._source(self.calls, opened))
        if not self.settings.unlimited_technicians:
            visits, visit_times = self._sample_preventive()
            self.env.process(self._source(visits, visit_times))
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
            preventive_visits=self.preventive_visits,
            preventive_minutes=self.preventive_minutes,
            travel_km=self.km,
            busy_minutes=self.busy,
            shift_minutes=np.array([weekly_minutes(w) * weeks for w in data.tech_week]),
            horizon_minutes=self.horizon,
        )

    def _sample_calls(self) -> tuple[IntArray, IntArray, FloatArray]:
        """All failures of the horizon, sorted by time, each in its window (``call_hours``)."""
        data = self.data
        hours = self.settings.call_hours
        if hours == "tier":
            groups = [
                ([s for s in data.streams if data.site_tier[s.site] == i], window)
                for i, window in enumerate(data.tier_window)
            ]
        else:
            groups = [(list(data.streams), data.service_week if hours == "shifts" else None)]
        return self._sample_streams(groups)

    def _sample_preventive(self) -> tuple[list[_Call], FloatArray]:
        """All preventive visits of the horizon in the technicians' shift hours, sorted."""
        data = self.data
        site, product, opened = self._sample_streams(
            [(list(data.preventive_streams), data.service_week)]
        )
        visits = [
            _Call(-1, int(s), int(p), frozenset(data.candidates[(s, p)]))
            for s, p in zip(site, product, strict=True)
        ]
        return visits, opened

    def _sample_streams(
        self, groups: list[tuple[list[Stream], Week | None]]
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """Poisson counts per stream, times uniform over each group's weekly window, sorted."""
        sites, products, times = [], [], []
        for streams, window in groups:
            rates = np.array([s.rate_per_year for s in streams], dtype=float)
            counts = self.rng.poisson(rates * self.settings.years)
            sites.append(np.repeat(np.array([s.site for s in streams], dtype=np.intp), counts))
            products.append(
                np.repeat(np.array([s.product for s in streams], dtype=np.intp), counts)
            )
            times.append(sample_times(self.rng, int(counts.sum()), self.horizon, window))
        site = np.concatenate(sites) if sites else np.zeros(0, dtype=np.intp)
        product = np.concatenate(products) if products else np.zeros(0, dtype=np.intp)
        opened = np.concatenate(times) if times else np.zeros(0)
        order = np.argsort(opened, kind="stable")
        return site[order], product[order], opened[order]

    def _warm_start_orders(self) -> None:
        """Steady state at time 0: Poisson(λ·L) orders outstanding, arrivals uniform in L."""
        data = self.data
        for key, rate in sorted(self.data.pool_part_rate.items()):
            if data.levels.get(key, 0) <= 0:
                continue
            lead = data.part_lead_minutes[key[1]]
            count = int(self.rng.poisson(rate * lead / MINUTES_PER_YEAR))
            for remaining in self.rng.uniform(0.0, lead, count):
                self._order(key, float(remaining))

    def _order(self, key: tuple[int, int], lead_minutes: float) -> None:
        """One replenishment order of a pool's part, arriving after ``lead_minutes``."""
        self.outstanding[key] = self.outstanding.get(key, 0) + 1
        back = self.env.timeout(lead_minutes)
        back.callbacks.append(lambda _, k=key: self._receive(k))

    def _receive(self, key: tuple[int, int]) -> None:
        self.outstanding[key] -= 1

    def _source(self, calls: list[_Call], opened: FloatArray):
        env = self.env
        for call, t in zip(calls, opened, strict=True):
            if t > env.now:
                yield env.timeout(t - env.now)
            if call.preventive:
                self._dispatch(call)
            else:
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
            level = data.levels.get(key, 0) if pool >= 0 else 0
            on_hand = level - self.outstanding.get(key, 0) > 0
            if level > 0:
                # Backorder rule: every demand orders one unit, found on hand or not. A pool
                # at level 0 never has a unit on hand, so its orders need no tracking.
                self._order(key, float(data.part_lead_minutes[part]))
            if on_hand:
                self.on_hand_units[tier] += 1
            else:
                self.stockout[call.index] = True
                self.emergency_cost += data.part_emergency_cost[part]
                self.emergency_units += 1
                parts_ready = now + data.emergency_delay_minutes
        self.parts_ready[call.index] = parts_ready
        depot = data.site_depot[call.site]
        travel = data.depot_site_minutes[depot, call.site] if depot >= 0 else 0.0
        ask = max(now + data.dispatch_minutes, parts_ready - travel)
        if ask > now:
            later = env.timeout(ask - now)
            later.callbacks.append(lambda _, c=call: self._dispatch(c))
        else:
            self._dispatch(call)

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
        (self.waiting_preventive if call.preventive else self.waiting).append(call)

    def _take_waiting(self, t: int) -> _Call | None:
        """The first waiting repair call ``t`` may serve, else the first preventive visit."""
        for queue in (self.waiting, self.waiting_preventive):
            for i, call in enumerate(queue):
                if t in call.candidates:
                    return queue.pop(i)
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
        self.km += 2 * data.depot_site_km[depot, call.site]
        if call.preventive:
            minutes = 2 * travel + data.product_repair_minutes[call.product]
            self.preventive_visits += 1
            self.preventive_minutes += minutes
            self.busy[t] += minutes
            yield env.timeout(minutes)
            return
        arrival = assigned + travel
        start = max(arrival, self.parts_ready[call.index])
        end = start + data.product_repair_minutes[call.product]
        back = end + travel
        self.arrival[call.index] = arrival
        self.ready[call.index] = start
        self.completed[call.index] = end
        self.busy[t] += back - assigned
        yield env.timeout(back - assigned)

    def _serve_at_once(self, call: _Call) -> None:
        """What-if service by an always-free technician of the serving depot."""
        data = self.data
        depot = data.site_depot[call.site]
        if depot < 0:
            return
        arrival = self.env.now + data.depot_site_minutes[depot, call.site]
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
