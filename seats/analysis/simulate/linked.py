"""Subtract and additional-member links: the nominal seats won in the lower tier, and the upper tier
allocated from them in every run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from seats.analysis.simulate.common import BoolArray, IntArray
from seats.analysis.simulate.plan import _TierPlan
from seats.analysis.simulate.solve import _batch_rows, _fast, _Outcome, _outcome, _rows
from seats.errors import InvalidSeatsError, InvalidVotesError, TieError
from seats.methods.api import apportion


@dataclass(slots=True)
class _LinkPlan:
    """How the nominal seats won in the lower tier of a link reach the upper tier's lists in every run.

    A lower (district, column) seat counts for the upper list of the same party (or alliance, by the
    link's ``level``) in the lower district's home (its parent; the upper tier's only district when it has
    one): ``won.flat[:, tgt[i]] += seats.flat[:, src[i]]``, with ``src`` sorted by ``tgt`` and ``starts``
    where each target begins (for one ``np.add.reduceat``). Seats won by a party with no list in that
    district count nowhere, as in :func:`seats.rules.allocate.allocate`.
    """

    kind: str  # "subtract" or "additional-member"
    lower: str  # the lower tier's id
    src: IntArray  # flat (district * width + column) indices into the lower tier's seats, sorted by target
    starts: IntArray  # where each distinct target begins in ``src``
    tgt: IntArray  # the distinct flat (district * width + column) targets in the upper tier
    given: IntArray | None  # (D, K) constant nominal seats of a lower tier with seats given as results


def _key_of(options: Mapping[str, tuple[str, str]], option: str, level: str) -> str:
    party, alliance = options.get(option, (option, option))
    return party if level == "party" else alliance


def _link_plan(
    link: Any, upper: _TierPlan, lower: _TierPlan, options: Mapping[str, tuple[str, str]]
) -> _LinkPlan:
    """The :class:`_LinkPlan` of ``link`` (checked: one list per party or alliance in each upper district)."""
    from seats.errors import VoteTableError

    level = link.level
    width = upper.col.shape[1]
    slot: list[dict[str, int]] = []  # per upper district: key -> column of its list
    for d, names in enumerate(upper.names):
        seen: dict[str, int] = {}
        for k, o in enumerate(names):
            key = _key_of(options, o, level)
            if key in seen:
                raise VoteTableError(
                    f"tier {upper.tier.id!r}, district {upper.districts[d]!r}: lists {names[seen[key]]!r} "
                    f"and {o!r} both belong to {level} {key!r}; a {link.kind} link needs one list per {level}"
                )
            seen[key] = k
        slot.append(seen)
    up_ids = {u: i for i, u in enumerate(upper.districts)}
    only = upper.districts[0] if len(upper.districts) == 1 else None
    parents = {d.id: d.parent for d in lower.tier.districts}  # (Tier.district searches: quadratic over many)

    def home(district: str) -> int:
        return up_ids[only if only is not None else parents[district]]

    if lower.given:
        given = np.zeros(upper.col.shape, dtype=np.int64)
        for r in lower.tier.results:
            u = home(r.district)
            col = slot[u].get(_key_of(options, r.option, level))
            if col is not None:
                given[u, col] += r.seats
        empty = np.zeros(0, dtype=np.int64)
        return _LinkPlan(link.kind, lower.tier.id, empty, empty, empty, given)
    pairs: list[tuple[int, int]] = []
    lwidth = lower.col.shape[1]
    for ld, names in enumerate(lower.names):
        u = home(lower.districts[ld])
        for j, o in enumerate(names):
            col = slot[u].get(_key_of(options, o, level))
            if col is not None:
                pairs.append((u * width + col, ld * lwidth + j))
    pairs.sort()
    tgt_all = np.array([t for t, _ in pairs], dtype=np.int64)
    src = np.array([s for _, s in pairs], dtype=np.int64)
    tgt, starts = np.unique(tgt_all, return_index=True)
    return _LinkPlan(link.kind, lower.tier.id, src, starts.astype(np.int64), tgt.astype(np.int64), None)


def _won(lp: _LinkPlan, upper: _TierPlan, lower_seats: IntArray | None, runs: int) -> IntArray:
    """``(runs, D, K)`` nominal seats won, per upper district and list, from the lower tier's seats."""
    shape = upper.col.shape
    if lp.given is not None:
        return np.broadcast_to(lp.given, (runs, *shape)).copy()
    won = np.zeros((runs, shape[0] * shape[1]), dtype=np.int64)
    if lp.src.size and lower_seats is not None:
        flat = lower_seats.reshape(runs, -1)
        won[:, lp.tgt] = np.add.reduceat(flat[:, lp.src], lp.starts, axis=1)
    return won.reshape(runs, *shape)


def _solve_linked(
    plan: _TierPlan,
    v: IntArray,
    excluded: BoolArray | None,
    won: IntArray,
    skip: BoolArray,
    first_run: int,
    seed: int | None,
) -> _Outcome:
    """Allocate the upper tier of a subtract or additional-member link in every (run, district) row.

    ``additional-member``: one batch solve with per-row ``prior`` seats (the nominal seats won).
    ``subtract``: the entitlement over the district's seats plus the nominal seats won by the lists still
    in, less those seats; a list whose nominal seats exceed its entitlement keeps them (overhang) and
    leaves, and the rest is shared again, round after round, only on the rows that had overhang. A row
    any round cannot certify, and every row of a method the batch path does not vectorise, is allocated
    by the exact engine exactly as :func:`seats.rules.allocate.allocate` does (each round a
    :func:`seats.apportion`). Runs marked in ``skip`` (already left out) are not solved again exactly.
    """
    assert plan.link is not None
    runs, dcount, width = v.shape
    n = runs * dcount
    present = plan.col >= 0
    running = present[None] if excluded is None else present[None] & ~excluded
    keep = np.broadcast_to(running, v.shape).reshape(n, width)
    vv = np.where(keep, v.reshape(n, width), 0)
    w = np.where(keep, won.reshape(n, width), 0)
    house = np.tile(plan.house, runs)
    seats = np.zeros((n, width), dtype=np.int64)
    good = np.zeros(n, dtype=bool)
    if _fast(plan) and plan.link.kind == "additional-member":
        seats, good = _batch_rows(plan.spec, vv, vv > 0, house, w)
    elif _fast(plan):
        active = keep.copy()
        todo = np.arange(n)
        while todo.size:
            a = active[todo]
            wt = np.where(a, w[todo], 0)
            x = np.where(a, vv[todo], 0)
            s, c = _rows(plan, x, x > 0, house[todo] + wt.sum(axis=1))
            over = a & (wt > s)
            again = over.any(axis=1)
            done = c & ~again
            seats[todo[done]] = np.where(a[done], s[done] - wt[done], 0)
            good[todo[done]] = True
            more = c & again
            active[todo[more]] &= ~over[more]
            todo = todo[more]
    rows = np.stack(np.divmod(np.arange(n), dcount), axis=1).astype(np.int64)
    nobase = np.zeros((dcount, width), dtype=np.int64)
    out = _outcome(nobase, np.zeros((runs, dcount), dtype=bool), rows, seats)
    pending = np.flatnonzero(~good & ~np.repeat(skip, dcount))
    _exact_linked(plan, out, pending, vv, keep, w, first_run, seed)
    return out


def _exact_linked(
    plan: _TierPlan,
    out: _Outcome,
    pending: IntArray,
    votes: IntArray,
    keep: BoolArray,
    won: IntArray,
    first_run: int,
    seed: int | None,
) -> None:
    """The exact scalar engine on the linked rows ``pending`` of ``out``, as RuleSet.allocate runs them."""
    assert plan.link is not None
    extra: dict[str, Any] = dict(plan.tier.options)
    dcount = plan.col.shape[0]
    for i in pending.tolist():
        r, d = divmod(i, dcount)
        names = plan.names[d]
        mapping = {o: int(votes[i, k]) for k, o in enumerate(names) if keep[i, k]}
        held = {o: int(won[i, k]) for k, o in enumerate(names) if keep[i, k]}
        run_seed = None if seed is None else seed + first_run + r
        out.seats[i] = 0
        house = int(plan.house[d])
        settled = False
        try:
            if plan.link.kind == "additional-member":
                alloc = apportion(
                    mapping,
                    house,
                    method=plan.tier.method,
                    ties=plan.policy,
                    seed=run_seed,
                    prior_seats=held,
                    **extra,
                )
                result = dict(alloc.seats)
                settled = bool(alloc.ties)
            else:
                active = dict(mapping)
                while True:
                    magnitude = house + sum(held[o] for o in active)
                    alloc = apportion(
                        active, magnitude, method=plan.tier.method, ties=plan.policy, seed=run_seed, **extra
                    )
                    settled |= bool(alloc.ties)
                    over = [o for o in active if held[o] > alloc.seats[o]]
                    if not over:
                        break
                    for o in over:
                        del active[o]
                result = {o: alloc.seats[o] - held[o] for o in active}
        except TieError:
            out.tied.setdefault(d, []).append(first_run + r)
            continue
        except (InvalidSeatsError, InvalidVotesError):
            out.unfilled.setdefault(d, []).append(first_run + r)
            continue
        out.seats[i, : len(names)] = [result.get(o, 0) for o in names]
        if settled:
            out.settled.setdefault(d, []).append(first_run + r)
