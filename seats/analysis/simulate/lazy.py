"""Block vote under multinomial noise: each circuit's strongest candidates drawn apart, the others as one
sum, split among them only where it could reach a winner; a circuit whose winners a redraw changes only
with a vanishing probability (:func:`certain`) not drawn at all."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from seats.analysis.simulate.common import BoolArray, FloatArray, IntArray
from seats.analysis.simulate.noise import _multinomial
from seats.analysis.simulate.plan import _clear, _TierPlan
from seats.analysis.simulate.solve import _exact, _index, _Outcome, _outcome, _rows

CERTAIN_BITS = 100
"""A circuit is not drawn when a multinomial redraw could change or tie its winners only with probability
below ``2 ** -CERTAIN_BITS`` (see :func:`certain`)."""


def _ceil_sqrt(n: int) -> int:
    """The least integer at least ``sqrt(n)``, for ``n >= 0``.

    >>> [_ceil_sqrt(n) for n in (0, 1, 2, 4, 5, 9, 10)]
    [0, 1, 2, 2, 3, 3, 4]
    """
    return math.isqrt(n - 1) + 1 if n > 0 else 0


def certain(weakest: int, strongest_other: int, pairs: int, bits: int) -> bool:
    """Whether a block-vote circuit's winners are certain under multinomial noise: a redraw of its
    ``n`` votes changes or ties them with probability below ``2 ** -bits`` (:data:`CERTAIN_BITS`).

    ``weakest`` is the votes of the weakest winner, ``strongest_other`` those of the strongest
    other candidate (0 when there is none: a winner must then keep a vote), and ``pairs`` the
    number of (winner, other) pairs. For one pair with votes ``a > b`` the Chernoff bound of the
    difference of two multinomial counts, a sum of ``n`` independent steps of -1, 0 or +1, gives
    ``P(X_a <= X_b) <= (1 - (sqrt(a/n) - sqrt(b/n)) ** 2) ** n <= exp(-(sqrt(a) - sqrt(b)) ** 2)``;
    over all pairs, ``pairs * exp(-(sqrt(weakest) - sqrt(strongest_other)) ** 2)`` at most (the
    weakest winner and the strongest other are the closest pair). The test is in integers, with
    ``isqrt(weakest) - ceil(sqrt(strongest_other))`` for the difference of the roots, and a
    rounded-up bound: it may say "not certain" of a certain circuit, never the reverse.

    >>> certain(30_000, 20_000, 1, 100), certain(30_000, 29_000, 1, 100)
    (True, False)
    >>> certain(100, 0, 1, 100), certain(60, 0, 1, 100)  # one candidate: P(no vote) <= exp(-votes)
    (True, False)
    """
    if weakest <= strongest_other:
        return False
    need = math.ceil(math.sqrt(bits * math.log(2) + math.log(max(pairs, 1))) + 1e-9)
    return math.isqrt(weakest) - _ceil_sqrt(strongest_other) >= need


@dataclass(slots=True)
class _Lazy:
    """A plurality tier drawn as (its m winners, close runners-up, the rest together) per district.

    By the aggregation property of the multinomial, drawing the strongest
    candidates and the *sum* of the others, then splitting that sum among them
    (multinomial with their relative shares) only when needed, gives exactly
    the distribution of a full draw. It is needed only when the sum reaches the
    weakest winner: otherwise no other candidate can win or tie, whatever the split.
    """

    major: IntArray  # (S, J) local columns of the strongest candidates, -1 = padding
    win: BoolArray  # (S, J) the first m of them (the observed winners)
    p_major: FloatArray  # (S, J + 1) their shares, then the others' total share (column ``rest``), then 0
    minor: IntArray  # (S, M) local columns of the others, -1 = padding
    p_minor: FloatArray  # (S, M) their shares within the others
    has_minor: BoolArray  # (S,)
    order: IntArray  # (S,) the plan's district at each position, sorted by how many kept apart (S: drawn)
    reach: IntArray  # (J,) how many districts (a prefix) have a candidate in column j
    votes: IntArray  # (S,) each district's votes
    won: IntArray  # (D, K) in the plan's order, every district: 1 for the observed winners
    rest: IntArray  # (S,) the column of the others' total in each district
    certain: BoolArray  # (D,) in the plan's order: the districts not drawn (their winners certain)


def _rest(lz: _Lazy, compact: IntArray) -> IntArray:
    """``(runs, D)`` the others' total in every (run, district) of a compact draw."""
    runs, dcount, width = compact.shape
    out: IntArray = compact.reshape(runs, dcount * width).take(np.arange(dcount) * width + lz.rest, axis=1)
    return out


def _lazy(plan: _TierPlan) -> _Lazy:
    # (plain lists: a few numbers per circuit, where numpy's per-call cost would dominate)
    observed = [plan.observed[d, : len(n)].tolist() for d, n in enumerate(plan.names)]
    houses = plan.house.tolist()
    one_seat = plan.spec.id == "plurality"  # plurality proper: a circuit of more seats goes to the engine
    drawn: list[int] = []  # the plan's districts drawn, in order
    sure: list[bool] = []
    order = []
    cut = []
    won_at: tuple[list[int], list[int]] = ([], [])
    for d, (obs, h) in enumerate(zip(observed, houses, strict=True)):
        o = sorted(range(len(obs)), key=obs.__getitem__, reverse=True)  # most votes first, ties in order
        weakest = obs[o[h - 1]] if 0 < h <= len(o) else 0
        won_at[0].extend([d] * min(h, len(o)))
        won_at[1].extend(o[:h])
        if (
            0 < h <= len(o)
            and not (one_seat and h > 1)
            and certain(weakest, obs[o[h]] if h < len(o) else 0, h * max(len(o) - h, 1), CERTAIN_BITS)
        ):
            sure.append(True)  # winners a redraw keeps: nothing to draw
            continue
        sure.append(False)
        drawn.append(d)
        c = min(len(o), int(h))
        others = sum(obs[k] for k in o[c:])
        # keep candidates apart until the others together stay clearly below the weakest winner
        while c < len(o) and not _clear(others, weakest):
            others -= obs[o[c]]
            c += 1
        order.append(o)
        cut.append(c)
    jmax = max(cut, default=1)
    mmax = max(max((len(o) - c for o, c in zip(order, cut, strict=True)), default=1), 1)
    # each district's rows built as lists and turned into arrays at once (no per-row numpy assignments)
    major_rows, win_rows, minor_rows = [], [], []
    p_major_rows, p_minor_rows = [], []
    for d, o, c in zip(drawn, order, cut, strict=True):
        obs = observed[d]
        n = max(sum(obs), 1)
        winners = min(c, int(houses[d]))
        major_rows.append(o[:c] + [-1] * (jmax - c))
        win_rows.append([True] * winners + [False] * (jmax - winners))
        rest = o[c:]
        total = sum(obs[k] for k in rest)
        # the others' share right after the district's own columns: no padding to draw through
        p_major_rows.append([obs[k] / n for k in o[:c]] + [total / n] + [0.0] * (jmax - c))
        minor_rows.append(rest + [-1] * (mmax - len(rest)))
        shares = [obs[k] / total for k in rest] if total else [0.0] * len(rest)
        p_minor_rows.append(shares + [0.0] * (mmax - len(rest)))
    s = len(drawn)
    major = np.array(major_rows, dtype=np.int64).reshape(s, jmax)
    minor = np.array(minor_rows, dtype=np.int64).reshape(s, mmax)
    win = np.array(win_rows, dtype=bool).reshape(s, jmax)
    p_major = np.array(p_major_rows, dtype=np.float64).reshape(s, jmax + 1)
    p_minor = np.array(p_minor_rows, dtype=np.float64).reshape(s, mmax)
    has_minor: BoolArray = np.asarray((minor >= 0).any(axis=1), dtype=bool)
    # positions sorted by the number of candidates kept apart (most first), so that the districts
    # with a candidate in column j are a prefix and the checks work on slices, not on padding
    pos = np.argsort(-np.asarray(cut, dtype=np.int64), kind="stable")
    cuts = np.asarray(cut, dtype=np.int64)
    reach = np.count_nonzero(cuts[None, :] > np.arange(jmax)[:, None], axis=1).astype(np.int64)
    where = np.asarray(drawn, dtype=np.int64)[pos]  # the plan's district at each position
    votes = plan.observed.sum(axis=1)[where]
    won = np.zeros(plan.col.shape, dtype=np.int64)
    won[won_at] = 1  # each district's observed winners
    return _Lazy(
        major[pos],
        win[pos],
        p_major[pos],
        minor[pos],
        p_minor[pos],
        has_minor[pos],
        where,
        reach,
        votes,
        won,
        cuts[pos],
        np.asarray(sure, dtype=bool),
    )


def _expand(
    plan: _TierPlan, lz: _Lazy, compact: IntArray, rows: IntArray, minors: IntArray, fill: np.random.Generator
) -> IntArray:
    """Full ``(runs, D, K)`` votes from the compact draw: ``rows`` (run, district) get the split ``minors``
    used to allocate them; every other row's split, and every vote of a district not drawn, is drawn
    from ``fill`` (it cannot change a seat)."""
    runs = compact.shape[0]
    every = _multinomial(fill, _rest(lz, compact), lz.p_minor, runs)
    if rows.size:
        at = np.empty(plan.col.shape[0], dtype=np.int64)
        at[lz.order] = np.arange(lz.order.size)
        every[rows[:, 0], at[rows[:, 1]]] = minors
    full = np.zeros((runs, *plan.col.shape), dtype=np.int64)
    for k, d in enumerate(lz.order.tolist()):
        cols = lz.major[k][lz.major[k] >= 0]
        full[:, d, cols] = compact[:, k, : cols.size]
        mcols = lz.minor[k][lz.minor[k] >= 0]
        full[:, d, mcols] = every[:, k, : mcols.size]
    sure = np.flatnonzero(lz.certain)
    if sure.size:
        obs = plan.observed[sure]
        n = obs.sum(axis=1)
        full[:, sure] = _multinomial(fill, n, obs / np.where(n > 0, n, 1)[:, None], runs)
    return full


def _solve_lazy(
    plan: _TierPlan,
    lz: _Lazy,
    compact: IntArray,
    first_run: int,
    seed: int | None,
    split: np.random.Generator,
) -> tuple[_Outcome, IntArray, IntArray]:
    """Allocate a plurality tier from its compact draw; also the (run, district) rows split, and the split."""
    rest = _rest(lz, compact)
    big = np.iinfo(np.int64).max
    reach = lz.reach.tolist()
    first = 0
    if reach and reach[0] == rest.shape[1] and lz.win[:, 0].all():
        low = compact[:, :, 0].copy()  # every district's strongest candidate wins: no pass over a filler
        first = 1
    else:
        low = np.full(rest.shape, big)
    high = rest.copy() if lz.has_minor.all() else np.where(lz.has_minor[None], rest, -1)
    for j in range(first, len(reach)):  # column by column, on the districts that have column j
        n = reach[j]
        col = compact[:, :n, j]
        win = lz.win[:n, j]
        if win.all():
            np.minimum(low[:, :n], col, out=low[:, :n])
        elif not win.any():
            np.maximum(high[:, :n], col, out=high[:, :n])
        else:
            low[:, :n] = np.minimum(low[:, :n], np.where(win[None], col, big))
            high[:, :n] = np.maximum(high[:, :n], np.where(win[None], -1, col))
    house = plan.house[lz.order]
    filled = lz.win.sum(axis=1) == house
    # certified: the weakest winner has votes and more than any other candidate (one compare with the
    # others' best raised to 0), where the district fills its seats; a district of no seats always is
    np.maximum(high, 0, out=high)
    here = low > high
    if not (filled & (house > 0)).all():
        here &= filled[None]
        here |= (house == 0)[None]
    if plan.spec.id == "plurality" and (house > 1).any():
        here &= (house <= 1)[None]
    won = lz.won
    certified = np.ones((compact.shape[0], won.shape[0]), dtype=bool)  # the districts not drawn keep theirs
    certified[:, lz.order] = here
    spots = np.zeros((0, 2), dtype=np.int64) if here.all() else np.argwhere(~here)  # (run, position)
    if not spots.size:
        return _outcome(won, certified, spots, won[:0].copy()), spots, lz.minor[:0].copy()
    r, k = spots[:, 0], spots[:, 1]
    d = lz.order[k]
    rows = np.stack([r, d], axis=1)
    minors = _multinomial(split, rest[r, k], lz.p_minor[k], 1)[0]
    width = plan.col.shape[1]
    full = np.zeros((len(r), width), dtype=np.int64)
    for i, (ri, ki) in enumerate(spots.tolist()):
        cols = lz.major[ki][lz.major[ki] >= 0]
        full[i, cols] = compact[ri, ki, : cols.size]
        mcols = lz.minor[ki][lz.minor[ki] >= 0]
        full[i, mcols] = minors[i, : mcols.size]
    present = plan.col[d] >= 0
    ok = (full > 0) & present
    seats, good = _rows(plan, full, ok, plan.house[d])
    out = _outcome(won, certified, rows, seats)
    _exact(
        plan,
        out,
        [(int(i), int(r[i]), int(d[i])) for i in np.flatnonzero(~good)],
        lambda ri, di: (full[_index(rows, ri, di)], plan.col[di] >= 0),
        first_run,
        seed,
    )
    return out, rows, minors
