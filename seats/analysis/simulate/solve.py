"""Solvers for (run, district) rows with their own magnitudes: the base-seat check, the vectorised
solvers, and the exact scalar engine for the rows they cannot certify."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from seats.analysis.simulate.common import BoolArray, FloatArray, IntArray
from seats.errors import InvalidSeatsError, InvalidVotesError, TieError
from seats.methods.api import apportion
from seats.methods.registry import MethodSpec

if TYPE_CHECKING:  # pragma: no cover
    from seats.analysis.simulate.plan import _TierPlan


_TOL = 1e-9
_BATCH_ROWS = 8192
"""Rows per call of the batch path's solver: below the 2 x 8,192 rows from which :mod:`seats.batch` shares a
call between threads of its own, which inside simulate's workers would only oversubscribe the cores."""


def _fast(plan: _TierPlan) -> bool:
    return not plan.tier.options and plan.spec.id != "custom"


def _rows(plan: _TierPlan, v: IntArray, ok: BoolArray, house: IntArray) -> tuple[IntArray, BoolArray]:
    """The vectorised solver of the tier's method family on rows ``v`` (each with its own magnitude).

    ``v`` is 0 wherever ``ok`` is false (as :func:`seats.batch.allocate` passes it)."""
    if plan.spec.family == "plurality":
        return _plurality_rows(plan.spec, v, ok, house)
    return _batch_rows(plan.spec, v, ok, house)


def _check(plan: _TierPlan, v: IntArray, ok: BoolArray, s: IntArray, house: IntArray) -> BoolArray:
    """Rows for which the seats ``s`` are certainly the allocation (strict, so no tie decides a seat)."""
    stray = ((s > 0) & ~ok).any(axis=1) | (s.min(axis=1, initial=0) < 0) | (s.sum(axis=1) != house)
    if plan.spec.family == "plurality":
        win = s > 0
        key = np.where(ok, v, -1)
        low = np.where(win, key, np.iinfo(np.int64).max).min(axis=1, initial=np.iinfo(np.int64).max)
        high = np.where(win, -1, key).max(axis=1, initial=-1)
        good: BoolArray = ~stray & (s <= 1).all(axis=1) & (low > high) & ((low > 0) | (house == 0))
        if plan.spec.id == "plurality":
            good &= house <= 1
        return good
    sp = plan.spec.signpost
    assert sp is not None
    vf = np.where(ok, v, 0).astype(np.float64)
    certified: BoolArray = ~stray & _divisor_certified(sp, vf, ok, s, house)
    return certified


def _divisor_certified(sp: Any, vf: FloatArray, ok: BoolArray, s: IntArray, house: IntArray) -> BoolArray:
    """Rows whose seats ``s`` the floats certify, as :mod:`seats.batch` certifies its own (no prior
    seats; a row with seats and no party to take them, or, when d(0) = 0, more parties with votes
    than seats, is left to the exact engine)."""
    from seats.batch import _certified

    contenders = ok.sum(axis=1)
    hopeless = (contenders == 0) & (house > 0)
    if sp.b(0) == 0:
        hopeless |= contenders > house
    return _certified(sp, vf, ok, s, s, house, hopeless)


def _plurality_rows(
    spec: MethodSpec, v: IntArray, ok: BoolArray, house: IntArray
) -> tuple[IntArray, BoolArray]:
    """The ``house`` candidates with most votes in every row; certified when the cut is strict (integers).

    For each magnitude ``m`` the m-th and (m+1)-th largest totals come from one
    ``np.partition``; a row is certified when the m-th is positive and strictly
    above the next, so exactly ``m`` candidates reach it.
    """
    rows, width = v.shape
    key = np.where(ok, v, -1)
    seats = np.zeros_like(v)
    certified = np.zeros(rows, dtype=bool)
    for m in np.unique(house).tolist():
        idx = np.flatnonzero(house == m)
        if m == 0:
            certified[idx] = True
            continue
        if m > width or (spec.id == "plurality" and m > 1):
            continue
        sub = key[idx]
        if m < width:
            part = np.partition(sub, (width - m - 1, width - m), axis=1)
            cut, nxt = part[:, width - m], part[:, width - m - 1]
        else:
            cut, nxt = sub.min(axis=1), np.full(idx.size, -1)
        seats[idx] = sub >= cut[:, None]
        certified[idx] = (cut > 0) & (cut != nxt)
    return seats, certified


def _batch_rows(
    spec: MethodSpec, v: IntArray, ok: BoolArray, house: IntArray, prior: IntArray | None = None
) -> tuple[IntArray, BoolArray]:
    """Divisor and largest-remainder methods: the batch path's vectorised solver with one house per row
    (:func:`seats.batch.allocate` with ``seats=`` an array, and ``prior=`` seats for divisor methods);
    rows it does not certify go to the exact engine."""
    from seats import batch

    solver = batch._SOLVERS.get(spec.family)
    rows = v.shape[0]
    if solver is None or not rows:
        return np.zeros_like(v), np.zeros(rows, dtype=bool)
    houses = np.asarray(house, dtype=np.int64)
    if rows <= _BATCH_ROWS:
        return batch._solve(spec, solver, v, ok, houses, prior)
    # in pieces, so that the batch path never starts threads of its own inside simulate's workers
    # (rows are independent: the seats are the same however they are cut)
    seats = np.empty_like(v)
    certified = np.empty(rows, dtype=bool)
    for lo in range(0, rows, _BATCH_ROWS):
        hi = min(rows, lo + _BATCH_ROWS)
        part = None if prior is None else prior[lo:hi]
        seats[lo:hi], certified[lo:hi] = batch._solve(spec, solver, v[lo:hi], ok[lo:hi], houses[lo:hi], part)
    return seats, certified


@dataclass(slots=True)
class _Outcome:
    """One tier's seats in a chunk of runs, kept compact: most rows take the district's ``base`` seats."""

    base: IntArray  # (D, K) seats of a row marked in ``kept``
    kept: BoolArray  # (runs, D)
    rows: IntArray  # (N, 2) (run, district) rows with seats of their own ...
    seats: IntArray  # (N, K) ... these
    tied: dict[int, list[int]] = field(default_factory=dict)  # district -> runs with a deciding tie
    settled: dict[int, list[int]] = field(default_factory=dict)  # district -> runs with a tie settled
    unfilled: dict[int, list[int]] = field(default_factory=dict)  # district -> runs it could not fill

    def tally(self, col: IntArray, party_idx: IntArray, width: int) -> IntArray:
        """``(runs, parties)`` seats of the tier in every run."""
        dcount = self.base.shape[0]
        real = col >= 0
        base_party = np.zeros((dcount, width), dtype=np.int64)
        dd, kk = np.nonzero(real & (self.base > 0))
        np.add.at(base_party, (dd, party_idx[col[dd, kk]]), self.base[dd, kk])
        # every run starts from all districts' base seats, less those of the (few) rows not kept
        out: IntArray = np.tile(base_party.sum(axis=0), (self.kept.shape[0], 1))
        r, d = np.nonzero(~self.kept)
        if r.size:
            np.subtract.at(out, r, base_party[d])
        if self.rows.size:
            i, kk = np.nonzero(self.seats)
            r, d = self.rows[i, 0], self.rows[i, 1]
            np.add.at(out, (r, party_idx[col[d, kk]]), self.seats[i, kk])
        return out

    def full(self) -> IntArray:
        """``(runs, D, K)`` seats (for tests and the benchmark's checks)."""
        out = self.base[None] * self.kept[..., None]
        if self.rows.size:
            out[self.rows[:, 0], self.rows[:, 1]] = self.seats
        return out


def _outcome(base: IntArray, kept: BoolArray, rows: IntArray, seats: IntArray) -> _Outcome:
    return _Outcome(
        base, kept, rows.reshape(-1, 2).astype(np.int64), seats.reshape(len(rows), base.shape[-1])
    )


def _solve(
    plan: _TierPlan, v: IntArray, excluded: BoolArray | None, first_run: int, seed: int | None
) -> _Outcome:
    """Allocate one tier's ``(runs, D, K)`` votes: base seats where they hold, else solve, else exact."""
    out, pending, running = _solve_fast(plan, v, excluded)
    every = running.shape[0] == 1
    _exact(
        plan,
        out,
        [(i, int(out.rows[i, 0]), int(out.rows[i, 1])) for i in pending.tolist()],
        lambda r, d: (v[r, d], running[0 if every else r, d]),
        first_run,
        seed,
    )
    return out


def _solve_fast(
    plan: _TierPlan, v: IntArray, excluded: BoolArray | None
) -> tuple[_Outcome, IntArray, BoolArray]:
    """The vectorised part of :func:`_solve`: the outcome, the indices of its ``rows`` that the floats
    could not certify (for the exact engine), and which options run in each (run, district)."""
    runs, dcount, width = v.shape
    present = plan.col >= 0
    running = present[None] if excluded is None else present[None] & ~excluded
    base = plan.base if plan.base is not None and _fast(plan) else np.zeros_like(plan.col)
    if not _fast(plan) or plan.base is None:
        kept = np.zeros(runs * dcount, dtype=bool)
    elif excluded is None and plan.inv_next is not None:
        # the base seats hold when every losing quotient is below every winning one (margin as in batch);
        # padding and options without votes have 0 votes, so they never pass a winner
        assert plan.inv_last is not None and plan.add_last is not None
        if width >= 4 * dcount:  # few districts of many options (a national list): whole rows at once
            vf = v.astype(np.float64)
            top = (vf * plan.inv_next).max(axis=2, initial=0.0)
            vf *= plan.inv_last
            vf += plan.add_last
            bottom = vf.min(axis=2, initial=np.inf)
        else:  # column by column (numpy reduces short last axes slowly), in buffers made once
            top = np.zeros((runs, dcount))
            bottom = np.full((runs, dcount), np.inf)
            col = np.empty((runs, dcount))
            tmp = np.empty((runs, dcount))
            for k in range(width):
                np.copyto(col, v[:, :, k], casting="unsafe")  # int64 votes to floats, as astype
                np.multiply(col, plan.inv_next[:, k], out=tmp)
                np.maximum(top, tmp, out=top)
                np.multiply(col, plan.inv_last[:, k], out=tmp)
                tmp += plan.add_last[:, k]
                np.minimum(bottom, tmp, out=bottom)
        kept = (top < bottom * (1 - 2 * _TOL)).reshape(runs * dcount)
    elif excluded is None and plan.spec.family == "plurality":
        # the base winners hold when the weakest of them has more votes than any other candidate
        big = np.iinfo(np.int64).max
        win = base > 0
        low = np.full((runs, dcount), big)
        high = np.full((runs, dcount), -1, dtype=np.int64)
        for k in range(width):  # column by column: numpy reduces short last axes slowly
            votes_k = v[:, :, k]
            low = np.minimum(low, np.where(win[:, k], votes_k, big))
            high = np.maximum(high, np.where(win[:, k], -1, votes_k))
        whole = (base >= 0).all(axis=1) & (win.sum(axis=1) == plan.house) & (base <= 1).all(axis=1)
        if plan.spec.id == "plurality":
            whole &= plan.house <= 1
        kept = (whole[None] & (low > high) & ((low > 0) | (plan.house[None] == 0))).reshape(runs * dcount)
    else:
        flat, ok, house = _flat(plan, v, running, np.arange(runs * dcount))
        kept = _check(plan, flat, ok, np.broadcast_to(base, v.shape).reshape(flat.shape), house)
    todo = np.flatnonzero(~kept)
    if _fast(plan):
        flat, ok, house = _flat(plan, v, running, todo)
        seats, certified = _rows(plan, flat, ok, house)
    else:
        seats, certified = np.zeros((todo.size, width), dtype=np.int64), np.zeros(todo.size, dtype=bool)
    rows = np.stack(np.divmod(todo, dcount), axis=1)
    out = _outcome(base, kept.reshape(runs, dcount), rows, seats)
    return out, np.flatnonzero(~certified), running


def _flat(
    plan: _TierPlan, v: IntArray, running: BoolArray, rows: IntArray
) -> tuple[IntArray, BoolArray, IntArray]:
    """Votes (running options only), eligibility and magnitude of the flat (run * D + district) ``rows``."""
    dcount = plan.col.shape[0]
    r, d = np.divmod(rows, dcount)
    keep = running[np.zeros_like(r) if running.shape[0] == 1 else r, d]
    flat = np.where(keep, v[r, d], 0)
    return flat, (flat > 0) & keep, plan.house[d]


def _exact(
    plan: _TierPlan,
    out: _Outcome,
    pending: Sequence[tuple[int, int, int]],
    votes_of: Callable[[int, int], tuple[IntArray, BoolArray]],
    first_run: int,
    seed: int | None,
) -> None:
    """The exact scalar engine for ``out.seats[i]`` of each ``(i, run, district)``, as RuleSet.allocate."""
    extra: dict[str, Any] = dict(plan.tier.options)
    for i, r, d in pending:
        names = plan.names[d]
        votes, keep = votes_of(r, d)
        mapping = {o: int(votes[k]) for k, o in enumerate(names) if keep[k]}
        run_seed = None if seed is None else seed + first_run + r
        out.seats[i] = 0
        try:
            alloc = apportion(
                mapping, int(plan.house[d]), method=plan.tier.method, ties=plan.policy, seed=run_seed, **extra
            )
        except TieError:
            out.tied.setdefault(d, []).append(first_run + r)
            continue
        except (InvalidSeatsError, InvalidVotesError):
            out.unfilled.setdefault(d, []).append(first_run + r)
            continue
        out.seats[i, : len(names)] = [alloc.seats.get(o, 0) for o in names]
        if alloc.ties:
            out.settled.setdefault(d, []).append(first_run + r)


def _index(rows: IntArray, r: int, d: int) -> int:
    return int(np.flatnonzero((rows[:, 0] == r) & (rows[:, 1] == d))[0])
