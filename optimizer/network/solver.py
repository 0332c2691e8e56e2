"""Strategic layer entry point: the location MILP with a heuristic start and a diagnosis.

The MILP's objective is the network's annual cost (depots, changes, travel, expected credits);
the plan's cost components are recomputed from the decision by ``network_costs``.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from aftersales.optimizer.network.contract import (
    Contract,
    contract_block,
    read_staffing,
    with_limits,
)
from aftersales.optimizer.network.current import current_network
from aftersales.optimizer.network.data import NetworkData, network_costs
from aftersales.optimizer.network.facility import (
    PULP_PAIRS_LIMIT,
    FacilityProblem,
    Start,
    cheapest_mask,
    facility_problem,
    with_pairs,
)
from aftersales.optimizer.network.heuristic import heuristic_solution
from aftersales.optimizer.network.lagrangian import lagrangian_bound
from aftersales.optimizer.network.local_search import improve_start
from aftersales.optimizer.network.milp import FacilitySolution, columns, solve_facility
from aftersales.optimizer.network.pricing import (
    MAX_ROUNDS,
    cover,
    generate_pairs,
    rounded_start,
)
from aftersales.optimizer.network.pulp_model import solve_facility_cbc
from aftersales.optimizer.network.result import NetworkResult
from aftersales.optimizer.network.start import (
    contract_values,
    depot_of_pairs,
    pair_fractions,
    repair_start,
    start_cost,
)
from aftersales.optimizer.schema import LayerResult
from aftersales.optimizer.work import cap_seconds


def diagnose(problem: FacilityProblem, data: NetworkData) -> list[str]:
    """Reasons a network problem has no feasible solution, as far as they can be named."""
    reasons = []
    covered = np.bincount(problem.pair_site, minlength=problem.sites) > 0
    for i in np.flatnonzero(~covered)[:20]:
        reasons.append(
            f"site {data.site_ids[i]} cannot be reached within its hard tier's promise "
            f"from any candidate depot (nearest {data.minutes[i].min():.0f} min)"
        )
    capacity = np.sort(problem.capacity)[::-1][: problem.max_open].sum()
    if capacity < problem.demand.sum():
        reasons.append(
            f"demand of {problem.demand.sum():.0f} calls/year exceeds the capacity "
            f"{capacity:.0f} of the {problem.max_open} largest depots"
        )
    return reasons


NARROW_PAIRS_PER_SITE = 12
"""Most candidate depots per site in the MILP of a large model: each site's cheapest."""
NARROW_PAIRS_TOTAL = 60_000
"""Pair budget of that MILP: fewer depots per site (at least MIN_NARROW_PAIRS_PER_SITE) on very
large models. HiGHS's root LP grows faster than its columns and does not check the time limit:
over XL's 10,000 sites × 12 depots it ran past a 102-s limit for over 5 minutes."""
MIN_NARROW_PAIRS_PER_SITE = 4
RESTRICT_ABOVE_PAIRS = 50_000
"""Models with more site-depot pairs get the restricted MILP plus a Lagrangian bound."""
BOUND_SHARE = 0.15
"""Share of the time limit kept for the Lagrangian bound of a large model."""
PRICING_SHARE = 0.25
"""Most of the time limit the column generation of a large model may take (``pricing``)."""
REPRICE_SHARE = 0.15
"""Most of the time limit one more pricing pass may take when HiGHS proved the priced pairs'
optimum early. Side by side, 4 runs on 2 cores (load 3–5), 120 s: capb at capacity 8,000 +0.65 %
→ +0.53 %, at 7,000 +0.72 % → +0.09 % above the published optimum."""
PRICE_CONTRACT_MODELS = False
"""Whether a large contract model's pairs are priced too. Off: on L (200,000 pairs) its LP did
not finish within its share in the network suite or the pipeline (2 runs of 2, load 13–16), and
the pipeline's MILP was then left 0.5 s; the contract model gets each site's cheapest depots plus
its start's pairs, as before. The pricing itself handles the contract rows (tested on tiny
scenarios against brute force)."""
FIRST_LP_SHARE = 0.4
"""Most of the time limit the first pricing LP may take when it outlasts ``PRICING_SHARE``:
capb's first LP (12,900 pairs) took 30 s at load 18 and at load 19 it did not finish in 30 s,
which left the suite's capb_5000 at the heuristic start (+2.03 %) instead of +0.006 %."""
ROUNDING_SHARE = 0.1
"""Most of the time limit the LP-rounding start of a split model may take (``rounded_start``)."""
PLAIN_SEARCH_SHARE = 0.15
"""Most of the time limit the local search may spend on a large single-sourced model without a
contract (the drop/regret start improved by close/open/swap moves, ``local_search``)."""
DETERMINISTIC_ROUNDS = 6
"""Pricing rounds of a deterministic solve (a work budget, whatever the clock says)."""
LOCAL_SEARCH_SHARE = 0.5
"""Most of the time limit the contract model's start may spend in ``improve_start`` (it stops
earlier when a pass finds no improving move). Measured on the loaded 2-core machine: HiGHS
kept the repaired start of today's network for 30 s on M seed 0 (17.58 M), the local search
took it to 15.59 M in 5 s; on L seed 0 it went from 43.19 M to 35.35 M in 60 s (not done),
while the pipeline's 24-s network round with 20 % for it ended at 37.45 M."""


def _large(problem: FacilityProblem) -> bool:
    """Whether the model gets the priced MILP (over ``RESTRICT_ABOVE_PAIRS`` pairs)."""
    return len(problem.pair_site) > RESTRICT_ABOVE_PAIRS


def narrow_positions(narrow: FacilityProblem, wide: FacilityProblem) -> npt.NDArray[np.intp]:
    """Index among ``wide``'s pairs of each pair of ``narrow`` (a subset of them).

    Both pair lists are sorted by site then depot, so their keys ``site × depots + depot`` are
    sorted and a binary search places each narrow pair.
    """
    wide_keys = wide.pair_site * wide.depots + wide.pair_depot
    narrow_keys = narrow.pair_site * wide.depots + narrow.pair_depot
    return np.searchsorted(wide_keys, narrow_keys)


def embed(
    narrow: FacilityProblem, fraction: npt.NDArray[np.float64], wide: FacilityProblem
) -> npt.NDArray[np.float64]:
    """Per-pair fractions over ``narrow``'s pairs, written over the pairs of ``wide``."""
    wide_fraction = np.zeros(len(wide.pair_site))
    wide_fraction[narrow_positions(narrow, wide)] = fraction
    return wide_fraction


def start_from_assignment(
    problem: FacilityProblem, is_open: npt.NDArray[np.bool_], depot_of_site: npt.NDArray[np.intp]
) -> Start | None:
    """A given network (today's, or last night's plan) as a start, if the model has its pairs."""
    keys = problem.pair_site * problem.depots + problem.pair_depot
    wanted = np.arange(problem.sites) * problem.depots + depot_of_site
    position = np.searchsorted(keys, wanted)
    if np.any(position >= len(keys)) or np.any(keys[np.minimum(position, len(keys) - 1)] != wanted):
        return None
    fraction = np.zeros(len(keys))
    fraction[position] = 1.0
    return is_open.copy(), fraction


def cheapest_start(problem: FacilityProblem, *starts: Start | None) -> Start | None:
    """The cheapest of the given starts that respects capacity and the depot count."""
    feasible = []
    for start in starts:
        if start is None:
            continue
        is_open, fraction = start
        load = np.bincount(
            problem.pair_depot,
            weights=fraction * problem.demand[problem.pair_site],
            minlength=problem.depots,
        )
        used_closed = np.any(fraction[~is_open[problem.pair_depot]] > 0)
        count_ok = problem.min_open <= is_open.sum() <= problem.max_open
        if count_ok and not used_closed and np.all(load <= problem.capacity * (1 + 1e-9)):
            feasible.append(start)
    return min(feasible, key=lambda s: problem.objective(*s), default=None)


def solve_large(
    problem: FacilityProblem,
    time_limit_seconds: float,
    mip_gap: float = 1e-4,
    seed: int = 0,
    given: tuple[npt.NDArray[np.bool_], npt.NDArray[np.intp]] | None = None,
    deterministic: bool = False,
) -> tuple[FacilitySolution, str]:
    """Solve with HiGHS; a large model over each site's cheapest pairs, bounded in full.

    ``given`` (open mask, depot index per site) — today's or a previous plan's network — is
    offered to HiGHS as a start whenever the model holds its pairs and it is cheaper than the
    heuristic's, so a nightly re-optimisation starts from what runs today.

    HiGHS proves good bounds on big location models but keeps a poor incumbent for long, and
    its root LP over every pair may not stop at the time limit (DESIGN.md, "Pitfalls"). A large
    model is therefore solved over each site's cheapest depots plus the pairs of the best start
    (found over every pair, so the restricted model always holds it), and bounded over *all*
    pairs by Lagrangian relaxation: the reported gap holds for the whole model. Status is
    ``optimal`` only when that gap reaches ``mip_gap``.

    ``deterministic`` gives each phase its nominal share of the limit as a work budget (HiGHS's
    node limit, the Lagrangian's iteration limit) rather than the time left on the clock.
    """
    started = time.perf_counter()
    start, start_note = _start(
        problem, given, LOCAL_SEARCH_SHARE * time_limit_seconds, deterministic
    )
    if len(problem.pair_site) <= RESTRICT_ABOVE_PAIRS:
        # a contract model keeps time for the Lagrangian + staffing bound: within 30 s HiGHS's
        # own bound on M stayed at 1.2–7.6 M against 15.6 M (its root LP unfinished)
        share = BOUND_SHARE if problem.contract is not None else 0.0
        milp_seconds = _milp_seconds(problem, share, time_limit_seconds, started, deterministic)
        solution = solve_facility(
            problem, milp_seconds, mip_gap, seed, start, deterministic=deterministic
        )
        solution = _keep_better_start(problem, start, solution)
        note = "; ".join(filter(None, [start_note, "MILP over every pair" + _start_note(solution)]))
        if problem.contract is None or solution.objective is None or solution.status == "optimal":
            return solution, note
        remaining = _bound_seconds(share, time_limit_seconds, started, deterministic)
        bound = lagrangian_bound(problem, solution.objective, remaining)
        if solution.bound is not None:
            bound = max(bound, solution.bound)
        return _with_bound(solution, bound, mip_gap), f"{note}; Lagrangian bound too"
    per_site = min(
        NARROW_PAIRS_PER_SITE, max(MIN_NARROW_PAIRS_PER_SITE, NARROW_PAIRS_TOTAL // problem.sites)
    )
    initial = cheapest_mask(problem, per_site)
    if start is not None:
        initial |= start[1] > 0
    mask, pricing = initial, None
    if problem.contract is None or PRICE_CONTRACT_MODELS:
        mask, pricing = generate_pairs(
            problem,
            initial,
            time.perf_counter() + cap_seconds(PRICING_SHARE * time_limit_seconds, deterministic),
            max_rounds=DETERMINISTIC_ROUNDS if deterministic else MAX_ROUNDS,
            first_deadline=-np.inf
            if problem.contract is not None  # its start may already have taken half the limit
            else time.perf_counter()
            + cap_seconds(FIRST_LP_SHARE * time_limit_seconds, deterministic),
        )
    upper, covered = np.inf, False
    rounded = None
    if pricing is not None:
        rounding_seconds = ROUNDING_SHARE * time_limit_seconds
        rounded = rounded_start(
            problem,
            mask,
            pricing,
            time.perf_counter() + cap_seconds(rounding_seconds, deterministic),
        )
    if rounded is not None:
        start = cheapest_start(problem, start, rounded)
    if pricing is not None and start is not None:
        upper = whole_objective(problem, start)
        mask, covered = cover(problem, mask, pricing, upper)
    while True:
        narrow = with_pairs(problem, mask)
        narrow_start = (
            None if start is None else (start[0], start[1][narrow_positions(narrow, problem)])
        )
        milp_seconds = _milp_seconds(
            problem, BOUND_SHARE, time_limit_seconds, started, deterministic
        )
        restricted = solve_facility(
            narrow,
            milp_seconds,
            mip_gap,
            seed,
            narrow_start,
            deterministic=deterministic,
            interior_point=True,
        )
        whole = bool(mask.all())
        if not restricted.has_solution and not whole and restricted.status == "infeasible":
            per_site *= 2  # too narrow for the capacities: only the whole model may say infeasible
            mask |= cheapest_mask(problem, per_site)
            continue
        left = time_limit_seconds - (time.perf_counter() - started)
        proven_part = restricted.status == "optimal" and restricted.has_solution
        if not proven_part or pricing is None or covered or whole or deterministic:
            break
        if left <= (BOUND_SHARE + REPRICE_SHARE) * time_limit_seconds:
            break
        # HiGHS proved the priced pairs' optimum with time left: price again from them
        grown, repriced = generate_pairs(
            problem, mask, time.perf_counter() + REPRICE_SHARE * time_limit_seconds
        )
        if repriced is None or grown.sum() <= mask.sum():
            break
        if repriced.bound > pricing.bound:
            pricing = replace(repriced, rounds=pricing.rounds + repriced.rounds)
        start = (restricted.is_open, embed(narrow, restricted.pair_fraction, problem))
        mask = grown
    priced = (
        ("no LP in time" if problem.contract is None or PRICE_CONTRACT_MODELS else "not priced")
        if pricing is None
        else f"LP bound {pricing.bound:,.0f} after {pricing.rounds} pricing rounds"
        + ("" if covered else "; the MILP's bound not claimed for the whole model")
    )
    note = "; ".join(
        filter(
            None,
            [
                start_note,
                f"MILP over {int(mask.sum())} priced pairs ({restricted.status}; {priced}), "
                "Lagrangian bound over every pair",
            ],
        )
    )
    if narrow_start is not None:
        restricted = _keep_better_start(narrow, narrow_start, restricted)
    note += _start_note(restricted)
    if not restricted.has_solution:
        return restricted, note
    remaining = _bound_seconds(BOUND_SHARE, time_limit_seconds, started, deterministic)
    bound = lagrangian_bound(problem, restricted.objective, remaining)
    if pricing is not None:
        bound = max(bound, pricing.bound)
    if restricted.bound is not None and (whole or (covered and problem.single_source)):
        # the MILP saw every pair, or every pair of a solution cheaper than ``upper`` (pricing)
        bound = max(bound, min(restricted.bound, upper))
    widened = replace(restricted, pair_fraction=embed(narrow, restricted.pair_fraction, problem))
    return _with_bound(widened, bound, mip_gap), note


def _with_bound(solution: FacilitySolution, bound: float, mip_gap: float) -> FacilitySolution:
    """The solution with a bound valid for the whole model and the gap against it; ``optimal``
    only when that gap reaches ``mip_gap``, ``feasible`` when HiGHS proved only its part."""
    assert solution.objective is not None
    objective = float(solution.objective)
    gap = max(0.0, (objective - bound) / abs(objective)) if np.isfinite(bound) else None
    proven = gap is not None and gap <= mip_gap
    status = (
        "optimal" if proven else ("feasible" if solution.status == "optimal" else solution.status)
    )
    return replace(solution, status=status, bound=bound if np.isfinite(bound) else None, gap=gap)


def _milp_seconds(
    problem: FacilityProblem,
    bound_share: float,
    limit_seconds: float,
    started: float,
    deterministic: bool,
) -> float:
    """Seconds for the MILP: the limit less the bound's share and what the start took — or,
    deterministic, the nominal share left after the start's and the bound's (a work budget
    must not depend on how long the start took under load)."""
    if deterministic:
        start_share = LOCAL_SEARCH_SHARE if problem.contract is not None else 0.0
        return max((1 - bound_share - start_share) * limit_seconds, 0.5)
    return max((1 - bound_share) * limit_seconds - (time.perf_counter() - started), 0.5)


def _bound_seconds(
    bound_share: float, limit_seconds: float, started: float, deterministic: bool
) -> float:
    """Seconds for the Lagrangian bound: what is left, or deterministic, the cap of its share
    (it stops on its iteration limit; the clock only caps it)."""
    if deterministic:
        return max(cap_seconds(bound_share * limit_seconds, deterministic), 0.5)
    return max(limit_seconds - (time.perf_counter() - started), 0.5)


def _start(
    problem: FacilityProblem,
    given: tuple[npt.NDArray[np.bool_], npt.NDArray[np.intp]] | None,
    improve_seconds: float,
    deterministic: bool = False,
) -> tuple[Start | None, str]:
    """The cheapest feasible start of the heuristic's and the given network, and for a contract
    model a note of where it came from and what it costs (the objective, currency/year).

    A contract model's starts are first repaired to keep its rows (``start.repair_start``) and
    the cheapest is improved by the local search (``local_search.improve_start``).
    """
    heuristic = heuristic_solution(problem)
    if problem.contract is None:
        offered = start_from_assignment(problem, *given) if given is not None else None
        start = cheapest_start(problem, heuristic, offered)
        if start is None or not problem.single_source or not _large(problem) or problem.pieces:
            return start, ""
        before = problem.objective(*start)
        (is_open, depot), improved = improve_start(
            problem,
            start[0],
            depot_of_pairs(problem, start[1]),
            PLAIN_SEARCH_SHARE * improve_seconds / LOCAL_SEARCH_SHARE,
            to_local_optimum=deterministic,
        )
        fraction = pair_fractions(problem, depot)
        if fraction is None:
            return start, ""
        return (is_open, fraction), f"start {before:,.0f}, local search {improved:,.0f}"
    networks = [] if given is None else [("given network", given)]
    if heuristic is not None:
        dropped = (heuristic[0], depot_of_pairs(problem, heuristic[1]))
        networks.append(("drop/regret start", dropped))
    repaired = [repair_start(problem, *network) for _, network in networks]
    costs = [start_cost(problem, *network) for network in repaired]
    if not costs or not np.isfinite(min(costs)):
        return None, "no start keeps the contract rows"
    chosen = int(np.argmin(costs))
    (is_open, depot), improved = improve_start(
        problem, *repaired[chosen], improve_seconds, to_local_optimum=deterministic
    )
    fraction = pair_fractions(problem, depot)
    note = (
        f"start: {networks[chosen][0]} repaired ({costs[chosen]:,.0f}), "
        f"local search {improved:,.0f}"
    )
    return (None, note) if fraction is None else ((is_open, fraction), note)


KEPT_START = "HiGHS found nothing better in time: the repaired start is kept"


def _start_note(solution: FacilitySolution) -> str:
    return f"; {KEPT_START}" if solution.message.endswith(KEPT_START) else ""


def _keep_better_start(
    problem: FacilityProblem, start: Start | None, solution: FacilitySolution
) -> FacilitySolution:
    """The contract model's start in place of HiGHS's answer when that is missing or dearer
    (HiGHS may reject a start its tolerances call infeasible, or be killed before it reports)."""
    if start is None or problem.contract is None:
        return solution
    kept = start_solution(problem, start, solution)
    if solution.objective is not None and solution.objective <= kept.objective + 1e-9 * abs(
        kept.objective
    ):
        return solution
    return kept


def whole_objective(problem: FacilityProblem, start: Start) -> float:
    """The model's objective at a start, the contract block's cost included (its staffing is
    each pool's smallest headcount, ``start.contract_values``), currency/year."""
    is_open, fraction = start
    if problem.contract is None:
        return problem.objective(is_open, fraction)
    values = contract_values(problem, depot_of_pairs(problem, fraction))
    block = contract_block(
        problem.contract,
        problem.pair_site,
        problem.pair_depot,
        problem.depots,
        columns(problem).width,
    )
    return problem.objective(is_open, fraction) + float(block.cost @ values) + block.offset


def start_solution(
    problem: FacilityProblem, start: Start, solution: FacilitySolution
) -> FacilitySolution:
    """A contract model's start as its solution, when HiGHS found none in time.

    The start keeps capacity, the depot count and the tier reach allowances; its staffing is
    each pool's smallest headcount (``start.contract_values``). Its objective is computed from the
    model's own cost vector; the bound stays HiGHS's, and the gap is the start's against it.
    """
    assert problem.contract is not None
    is_open, fraction = start
    values = contract_values(problem, depot_of_pairs(problem, fraction))
    objective = whole_objective(problem, start)
    return replace(
        solution,
        status="time_limit",
        is_open=is_open,
        pair_fraction=fraction,
        objective=objective,
        gap=None if solution.bound is None else max(0.0, (objective - solution.bound) / objective),
        message=f"{solution.message}; {KEPT_START}",
        staffing=read_staffing(problem.contract, values),
    )


def solve_network(
    data: NetworkData,
    time_limit_seconds: float,
    mip_gap: float = 1e-4,
    seed: int = 0,
    mip_solver: str = "highs",
    stock_curve: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None = None,
    previous: tuple[npt.NDArray[np.bool_], npt.NDArray[np.intp]] | None = None,
    contract: Contract | None = None,
    deterministic: bool = False,
) -> NetworkResult:
    """Solve the location MILP (HiGHS, see ``solve_large``; or CBC through PuLP).

    ``contract`` appends staffing pools and per-tier reach rows (``network.contract``; HiGHS
    only: the CBC path solves the plain location model and decides no staffing).

    Without any feasible network, today's network is returned with the solver's status and a
    diagnosis of why. ``stock_curve`` (slopes, intercepts) prices each open depot's pooled part
    demand; the objective then includes that estimate of stock cost. The MILP starts from
    ``previous`` (open mask, depot index per site: a network decided before) or else today's
    network, when that start is feasible. ``deterministic`` stops the solvers on work limits
    (aftersales.optimizer.work): the same network under any machine load.
    """
    started = time.perf_counter()
    if mip_solver == "cbc":
        problem = facility_problem(data, PULP_PAIRS_LIMIT, stock_curve)
        solution = solve_facility_cbc(problem, time_limit_seconds, mip_gap, seed, deterministic)
        phases = "MILP over every pair (CBC)"
    else:
        problem = facility_problem(data, stock_curve=stock_curve)
        if contract is not None:
            limited = with_limits(contract, problem.pair_site, problem.pair_depot)
            problem = replace(problem, contract=limited)
        if previous is None:
            today = current_network(data)
            previous = today.is_open, today.depot_of_site
        solution, phases = solve_large(
            problem, time_limit_seconds, mip_gap, seed, previous, deterministic
        )
    result = _result(problem, data, solution, mip_solver, deterministic)
    report = result.report.model_copy(
        update={
            "seconds": time.perf_counter() - started,
            "message": f"{phases}; {result.report.message}",
        }
    )
    return NetworkResult(
        report, result.is_open, result.depot_of_site, result.costs, result.staffing
    )


def _result(
    problem: FacilityProblem,
    data: NetworkData,
    solution: FacilitySolution,
    mip_solver: str,
    deterministic: bool = False,
) -> NetworkResult:
    notes = []
    if problem.pairs_pruned:
        notes.append(f"{problem.pairs_pruned} far site-depot pairs left out (bound on the rest)")
    if not solution.has_solution:
        reasons = diagnose(problem, data) or [f"solver: {solution.message}"]
        today = current_network(data)
        report = LayerResult(
            layer="network",
            status=solution.status,
            method=f"location-milp-{mip_solver}",
            bound=solution.bound,
            seconds=solution.build_seconds + solution.solve_seconds,
            message="; ".join(["no network found, today's shown", *reasons, *notes]),
        )
        return NetworkResult(report, today.is_open, today.depot_of_site, today.costs)
    chosen = solution.pair_fraction > 0.5
    depot_of_site = np.empty(problem.sites, dtype=np.intp)
    depot_of_site[problem.pair_site[chosen]] = problem.pair_depot[chosen]
    report = LayerResult(
        layer="network",
        status=solution.status,
        method=f"location-milp-{mip_solver}",
        objective=solution.objective,
        bound=solution.bound,
        gap=solution.gap,
        seconds=solution.build_seconds + solution.solve_seconds,
        message="; ".join(
            [
                # a deterministic plan repeats byte for byte: its wall times stay in ``seconds``
                f"solver: {solution.message}"
                if deterministic
                else f"build {solution.build_seconds:.2f} s, solve {solution.solve_seconds:.2f} s",
                *notes,
            ]
        ),
    )
    costs = network_costs(data, solution.is_open, depot_of_site)
    return NetworkResult(report, solution.is_open, depot_of_site, costs, solution.staffing)
