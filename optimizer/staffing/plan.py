"""The Plan's staffing sections from a staffing decision: pools and every technician's base.

Which technicians of a pool leave is decided here, not by the MILP (which prices the pool's mean
labour): the costliest are released first, the next ones move, in id order, to the pools that
take technicians in; hires get ids ``hire-<depot>-<skill>-<n>``.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from aftersales.optimizer.arrays import BoolArray, FloatArray, IntArray
from aftersales.optimizer.schema import Scenario, StaffingLevel, Technician, TechnicianBase
from aftersales.optimizer.staffing.data import StaffingData, StaffingDecision, pool_skill
from aftersales.optimizer.staffing.queueing import erlang_c


def staffing_levels(
    data: StaffingData,
    headcount: IntArray,
    is_open: BoolArray,
    depot_of_site: IntArray,
    minutes: FloatArray,
) -> list[StaffingLevel]:
    """One entry per (open depot, skill) with technicians or workload."""
    sites = np.arange(len(depot_of_site))
    levels = []
    depots = len(data.depot_ids)
    for k, skill in enumerate(data.skills):
        work = data.work_hours(minutes, k)[sites, depot_of_site]
        load = data.load_erlangs(minutes, k)[sites, depot_of_site]
        totals = {
            name: np.bincount(depot_of_site, weights=values, minlength=depots)
            for name, values in (
                ("work", work),
                ("load", load),
                ("calls", data.calls[:, k]),
                ("jobs", data.jobs[:, k]),
            )
        }
        for j in np.flatnonzero(is_open):
            count = int(headcount[j, k])
            if count == 0 and totals["jobs"][j] <= 0:
                continue
            capacity = count * data.hours_per_technician
            levels.append(
                StaffingLevel(
                    depot=data.depot_ids[j],
                    skill=skill,
                    technicians=count,
                    calls_per_year=float(totals["calls"][j]),
                    visits_per_year=float(totals["jobs"][j] - totals["calls"][j]),
                    workload_hours_per_year=float(totals["work"][j]),
                    capacity_hours_per_year=capacity,
                    utilisation=float(totals["work"][j] / capacity) if capacity > 0 else 0.0,
                    offered_load_erlangs=float(totals["load"][j]),
                    wait_probability=erlang_c(count, float(totals["load"][j])),
                )
            )
    return levels


def technician_bases(
    scenario: Scenario, data: StaffingData, decision: StaffingDecision
) -> list[TechnicianBase]:
    """Every technician with a skill: kept, moved, released; plus the hires."""
    costs = scenario.costs
    depot_index = {d: j for j, d in enumerate(data.depot_ids)}
    skill_index = {s: k for k, s in enumerate(data.skills)}
    members: dict[tuple[int, int], list[Technician]] = defaultdict(list)
    for technician in scenario.technicians:
        skill = pool_skill(technician)
        if skill is not None:
            members[depot_index[technician.depot], skill_index[skill]].append(technician)
    bases: list[TechnicianBase] = []
    movers: dict[int, list[Technician]] = defaultdict(list)
    for (j, k), group in sorted(members.items()):
        ordered = sorted(group, key=lambda t: (-t.hourly_cost, t.id))
        released = int(decision.released[j, k])
        moving = int(decision.moved_out[j, k])
        for technician in ordered[:released]:
            bases.append(
                TechnicianBase(
                    technician=technician.id,
                    skill=data.skills[k],
                    action="released",
                    from_depot=technician.depot,
                    depot=None,
                    one_off_cost=costs.release_cost_per_technician,
                    labour_per_year=0.0,
                )
            )
        movers[k] += sorted(ordered[released : released + moving], key=lambda t: t.id)
        for technician in sorted(ordered[released + moving :], key=lambda t: t.id):
            bases.append(_base(technician, data.skills[k], "kept", technician.depot, scenario))
    known = {t.id for t in scenario.technicians}
    for k, skill in enumerate(data.skills):
        queue = movers[k]
        for j in range(len(data.depot_ids)):
            for _ in range(int(decision.moved_in[j, k])):
                # a mover from another depot; one from this very depot simply stays
                others = [t for t in queue if t.depot != data.depot_ids[j]] or queue
                if others:
                    technician = others[0]
                    queue.remove(technician)
                    action = "moved" if technician.depot != data.depot_ids[j] else "kept"
                    bases.append(_base(technician, skill, action, data.depot_ids[j], scenario))
        for technician in queue:  # moved out but taken in nowhere (not in an optimal plan)
            bases.append(_base(technician, skill, "kept", technician.depot, scenario))
        for j in range(len(data.depot_ids)):
            for n in range(int(decision.hired[j, k])):
                ident = f"hire-{data.depot_ids[j]}-{skill}-{n + 1}"
                while ident in known:
                    ident += "'"
                known.add(ident)
                bases.append(
                    TechnicianBase(
                        technician=ident,
                        skill=skill,
                        action="hired",
                        from_depot=None,
                        depot=data.depot_ids[j],
                        one_off_cost=costs.hiring_cost_per_technician,
                        labour_per_year=costs.technician_cost_per_year,
                    )
                )
    return bases


def _base(
    technician: Technician, skill: str, action: str, depot: str, scenario: Scenario
) -> TechnicianBase:
    moved = action == "moved"
    return TechnicianBase(
        technician=technician.id,
        skill=skill,
        action="moved" if moved else "kept",
        from_depot=technician.depot,
        depot=depot,
        one_off_cost=scenario.costs.relocation_cost_per_technician if moved else 0.0,
        labour_per_year=technician.hourly_cost * scenario.costs.technician_hours_per_year,
    )


def staffing_costs(bases: list[TechnicianBase]) -> dict[str, float]:
    """Labour per year and one-off change costs of a plan's technician bases."""
    return {
        "staffing_labour_per_year": float(sum(b.labour_per_year for b in bases)),
        "staffing_changes_one_off": float(sum(b.one_off_cost for b in bases)),
    }
