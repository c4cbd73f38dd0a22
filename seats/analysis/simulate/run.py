"""Running a simulation: :func:`simulate` and :func:`simulate_votes`, the set-up of a rule set's plans,
and the chunks of runs on worker threads."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import polars as pl

from seats.analysis.simulate.chunk import _allocate_chunk, _chunk_generators, _draw_chunk
from seats.analysis.simulate.common import IntArray, SimulationError
from seats.analysis.simulate.grouped import _grouped
from seats.analysis.simulate.joint import WHOLE_TIER, _joint_plan
from seats.analysis.simulate.lazy import _lazy
from seats.analysis.simulate.linked import _link_plan
from seats.analysis.simulate.noise import Noise
from seats.analysis.simulate.plan import _plans, _TierPlan
from seats.analysis.simulate.result import RunVotes, SimulationResult
from seats.analysis.simulate.solve import _fast, _Outcome
from seats.errors import TieError
from seats.methods.ties import check_policy
from seats.rules.model import RuleSet
from seats.rules.result import ElectionResult

CHUNK = 1000
"""Runs drawn and allocated together, with generators of their own; a constant, so results depend only on
the seed and the runs (small enough that a few thousand runs keep two threads busy to the end)."""


def _setup(
    ruleset: RuleSet, votes: object, ties: str | None, model: Noise | None = None
) -> tuple[pl.DataFrame, dict[str, tuple[str, str]], list[_TierPlan]]:
    from seats.rules.allocate import load_votes
    from seats.rules.votes import prepare_votes

    frame, label = load_votes(ruleset, votes)
    data = prepare_votes(ruleset, frame, label)
    options: dict[str, tuple[str, str]] = dict(data.options)
    for t in ruleset.tiers:
        for r in t.results:
            options.setdefault(r.option, (r.party, r.alliance))
    if ties is not None:
        check_policy(ties)
    plans = _plans(ruleset, data.votes, tuple(options), ties)
    by_id = {p.tier.id: p for p in plans}
    for p in plans:
        if p.tier.biproportional and p.names:
            p.joint = _joint_plan(p, options)
    for link in ruleset.links:
        if link.kind != "parallel" and link.upper and link.lower:
            upper = by_id[link.upper]
            upper.link = _link_plan(link, upper, by_id[link.lower], options)
    if model is not None and model.kind == "multinomial":
        sources = {p.tier.source for p in plans if p.tier.kind == "derived"}
        for p in plans:
            if (
                p.spec.family == "plurality"
                and p.names
                and not p.given
                and p.tier.kind != "derived"
                and not p.tier.threshold
                and _fast(p)
                and p.tier.id not in sources
                and p.link is None
            ):
                p.lazy = _lazy(p)
        for p in plans:
            derived = [q for q in plans if q.tier.kind == "derived" and q.tier.source == p.tier.id]
            if (
                p.tier.kind == "derived"
                or p.joint is not None
                or p.lazy is not None
                or p.link is not None
                or any(q.tier.id in sources or q.link is not None for q in derived)
            ):
                continue  # (a tier derived from a derived tier, or linked, needs its source's full votes)
            p.grouped = _grouped(p, derived)
            if p.grouped is not None:
                for q in derived:
                    q.via = p.tier.id
    return frame, options, plans


def simulate_votes(
    ruleset: RuleSet,
    votes: object = None,
    *,
    runs: int = 1,
    seed: int = 0,
    noise: str | Noise = "multinomial",
) -> RunVotes:
    """Only the perturbed votes of ``runs`` runs (the draws :func:`simulate` makes with the same seed).

    >>> import polars as pl
    >>> from seats.rules import build_ruleset
    >>> rs = build_ruleset({"id": "toy", "total_seats": 2, "tier": [
    ...     {"id": "list", "method": "dhondt", "districts": [{"id": "N", "seats": 2}]}]})
    >>> v = pl.DataFrame({"tier": ["list"] * 2, "district": ["N"] * 2, "option": ["A", "B"],
    ...                   "votes": [70, 30]})
    >>> simulate_votes(rs, v, runs=4, seed=1).arrays[0].sum(axis=2).ravel().tolist()
    [100, 100, 100, 100]
    """
    res = simulate(ruleset, votes, runs=runs, seed=seed, noise=noise, ties="order", keep_votes=True)
    assert res.votes is not None
    return res.votes


def simulate(
    ruleset: RuleSet,
    votes: object = None,
    *,
    runs: int = 1000,
    seed: int | None = None,
    noise: str | Noise = "multinomial",
    ties: str | None = None,
    keep_votes: bool = False,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> SimulationResult:
    """Allocate ``runs`` perturbed copies of an election under ``ruleset`` and summarise the seats.

    Parameters
    ----------
    ruleset:
        The rule set (every tier is simulated, biproportional tiers included, with its
        ``parallel``, ``subtract`` and ``additional-member`` links).
    votes:
        A polars frame, a path, or ``None`` for the rule set's shipped vote table.
    runs:
        Number of perturbed elections.
    seed:
        Seed of the numpy Generator (and, plus the run number, of tie lots). Without
        one, a seed is drawn and recorded in the result, so every run can be repeated.
    noise:
        ``"multinomial"`` or ``"dirichlet:ALPHA"`` (see the module docstring), or a :class:`Noise`.
    ties:
        Tie policy for every tier instead of its own: ``"error"`` (runs with a deciding
        tie are left out and reported), ``"lot"``, ``"most-votes"`` or ``"order"``.
    keep_votes:
        Keep every run's perturbed votes (memory: runs x options of every district).
    progress:
        Called with the number of runs just finished after each chunk of :data:`CHUNK` runs.
    workers:
        Threads that draw and allocate chunks of :data:`CHUNK` runs at once (default: the cores this
        process may use). Every chunk has generators of its own, children of
        ``numpy.random.SeedSequence(seed)`` by the chunk's number, so the result is the same for any
        number of workers.

    Examples
    --------
    >>> import polars as pl
    >>> from seats.rules import build_ruleset
    >>> rs = build_ruleset({"id": "toy", "total_seats": 4, "tier": [
    ...     {"id": "list", "method": "dhondt", "districts": [{"id": "N", "seats": 4}]}]})
    >>> v = pl.DataFrame({"tier": ["list"] * 2, "district": ["N"] * 2, "option": ["A", "B"],
    ...                   "votes": [5500, 4500]})
    >>> res = simulate(rs, v, runs=1000, seed=7, noise="dirichlet:100")
    >>> res.seed, res.kept + res.tie_runs == 1000, bool(res.seats.sum(axis=1).max() == 4)
    (7, True, True)
    """
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise SimulationError(f"runs must be a whole number >= 1, got {runs!r}")
    model = Noise.parse(noise)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy) % 2**63  # type: ignore[arg-type]
    elif isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SimulationError(f"seed must be a whole number >= 0, got {seed!r}")
    if workers is None:
        workers = _cores()
    elif isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise SimulationError(f"workers must be a whole number >= 1, got {workers!r}")
    frame, options, plans = _setup(ruleset, votes, ties, model)
    names = tuple(options)
    parties = tuple(dict.fromkeys(p for p, _ in options.values()))
    alliance_of = {p: a for p, a in options.values()}
    alliances = tuple(alliance_of[p] for p in parties)
    allies = tuple(dict.fromkeys(alliances))
    party_idx = np.array([parties.index(options[o][0]) for o in names], dtype=np.int64)
    alliance_idx = np.array([allies.index(options[o][1]) for o in names], dtype=np.int64)
    width = len(parties)

    baseline = _certain_baseline(plans, party_idx, width)
    if baseline is None:  # some district's observed seats are not certified by the vectorised solvers
        try:
            base: ElectionResult = (
                ruleset.allocate(frame, seed=seed)
                if ties is None
                else _with_ties(ruleset, ties).allocate(frame, seed=seed)
            )
        except TieError:
            baseline = None
        else:
            got = dict.fromkeys(parties, 0)
            for row in base.by("party").iter_rows(named=True):
                got[row["party"]] += int(row["seats"])
            baseline = tuple(got.values())

    tier_seats = {p.tier.id: np.zeros((runs, width), dtype=np.int64) for p in plans}
    dropped = np.zeros(runs, dtype=bool)
    tied_any = np.zeros(runs, dtype=bool)
    tie_where: dict[str, int] = {}
    unfilled_where: dict[str, int] = {}
    kept_votes: dict[str, list[IntArray]] = {}
    for plan in plans:
        for option, n in plan.given.items():
            tier_seats[plan.tier.id][:, party_idx[option]] += n

    def chunk(index: int) -> tuple[int, int, list[tuple[_TierPlan, _Outcome]], dict[str, IntArray]]:
        start = index * CHUNK
        size = min(CHUNK, runs - start)
        rng, split, fill = _chunk_generators(seed, index)
        drawn = _draw_chunk(plans, model, rng, size)
        done, full = _allocate_chunk(
            plans, drawn, start, seed, party_idx, alliance_idx, split, fill if keep_votes else None
        )
        return start, size, done, full

    for start, size, done, full in _in_order(chunk, -(-runs // CHUNK), workers):
        for tid, v in full.items():
            kept_votes.setdefault(tid, []).append(v)
        for plan, out in done:
            tid = plan.tier.id
            for d, found in out.tied.items():
                label = _label(plan, d)
                tie_where[label] = tie_where.get(label, 0) + len(found)
                tied_any[found] = True
                dropped[found] = True
            for d, found in out.settled.items():
                label = _label(plan, d)
                tie_where[label] = tie_where.get(label, 0) + len(found)
                tied_any[found] = True
            for d, found in out.unfilled.items():
                label = _label(plan, d)
                unfilled_where[label] = unfilled_where.get(label, 0) + len(found)
                dropped[found] = True
            tier_seats[tid][start : start + size] += out.tally(plan.col, party_idx, width)
        if progress is not None:
            progress(size)
    keep = ~dropped
    total = sum(tier_seats.values(), np.zeros((runs, width), dtype=np.int64))
    run_votes = None
    if keep_votes:
        vote_plans = [p for p in plans if p.tier.id in kept_votes]
        run_votes = RunVotes(
            tuple(p.tier.id for p in vote_plans),
            tuple(p.districts for p in vote_plans),
            tuple(p.names for p in vote_plans),
            tuple(np.concatenate(kept_votes[p.tier.id]) for p in vote_plans),
            dict(options),
        )
    return SimulationResult(
        ruleset.id,
        runs,
        seed,
        model.describe(),
        ties,
        ruleset.total_seats,
        parties,
        alliances,
        total[keep],
        {t: m[keep] for t, m in tier_seats.items()},
        np.flatnonzero(keep),
        np.flatnonzero(dropped),
        baseline,
        dict(sorted(tie_where.items())),
        dict(sorted(unfilled_where.items())),
        int(tied_any.sum()),
        run_votes,
        tuple(
            _label(p, d)
            for p in plans
            if p.lazy is not None
            for d in np.flatnonzero(p.lazy.certain).tolist()
        ),
    )


def _label(plan: _TierPlan, d: int) -> str:
    """Where a tie or an unfilled district is reported: ``tier/district``, or the tier alone when the
    whole (biproportional) tier is at stake."""
    return plan.tier.id if d == WHOLE_TIER else f"{plan.tier.id}/{plan.districts[d]}"


def _certain_baseline(plans: Sequence[_TierPlan], party_idx: IntArray, width: int) -> tuple[int, ...] | None:
    """Seats per party on the observed votes from the plans' base seats, when every district of every tier
    with votes has them certified (unique and untied, so exactly what :meth:`RuleSet.allocate` gives,
    whatever the tie policy); else ``None``."""
    got = np.zeros(width, dtype=np.int64)
    for plan in plans:
        for option, n in plan.given.items():
            got[party_idx[option]] += n
        if plan.given:
            continue
        base = plan.base if plan.joint is None else plan.joint.base  # a joint tier: its certified seats
        if not plan.names or base is None or (base < 0).any():
            return None
        d, k = np.nonzero(base > 0)
        np.add.at(got, party_idx[plan.col[d, k]], base[d, k])
    return tuple(int(x) for x in got)


def _cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform has one).

    >>> _cores() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no affinity on this platform
        return os.cpu_count() or 1


_T = TypeVar("_T")


def _in_order(work: Callable[[int], _T], count: int, workers: int) -> Iterator[_T]:
    """``work(0), ..., work(count - 1)`` in order, run on ``workers`` threads (a few chunks ahead at most).

    >>> list(_in_order(lambda i: i * i, 5, 2))
    [0, 1, 4, 9, 16]
    """
    if workers <= 1 or count <= 1:
        for i in range(count):
            yield work(i)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="seats-simulate") as pool:
        ahead: deque[Future[_T]] = deque()
        nxt = 0
        try:
            while nxt < count or ahead:
                while nxt < count and len(ahead) < 2 * workers:
                    ahead.append(pool.submit(work, nxt))
                    nxt += 1
                yield ahead.popleft().result()
        finally:
            for f in ahead:
                f.cancel()


def _with_ties(ruleset: RuleSet, ties: str) -> RuleSet:
    import dataclasses

    tiers = tuple(dataclasses.replace(t, ties=ties) for t in ruleset.tiers)
    return dataclasses.replace(ruleset, tiers=tiers, ties=ties)
