"""Biproportional tiers: every run's joint apportionment of the whole tier, for all runs of a chunk at once.

A tier with ``method = "biproportional"`` is allocated in every run as
:func:`seats.rules.allocate._joint` allocates it (the threshold first, then
:func:`seats.biproportional` with the tier's rounding), in three steps:

1. *Upper apportionment.* Every run's option totals over the tier (after the
   threshold) are apportioned by the batch path (:mod:`seats.batch`), all runs in
   one call; the batch path certifies its own rows, and a row it leaves to an
   exact engine is apportioned by :func:`seats.apportion` alone (``ties="error"``:
   only a tie sends the run to the exact joint engine below).
2. *Lower apportionment.* Alternating scaling in float64 on ``(runs, districts,
   options)`` arrays: fit every option's column to its total (one multiplier per
   run and option), then every district's row to its magnitude (one per run and
   district), and so on, until both margins hold; every run starts from the
   multipliers of the observed votes, so most runs need a round or two. Each fit
   is a vector divisor apportionment with its own house, for all (run, column) or
   (run, row) vectors at once: a multiplier from the last fit proposes seats, a
   short walk of single seats corrects the total, and the new multiplier is taken
   in the middle of the interval that gives those seats.
3. *Certificate.* A run's seats are accepted only when every cell's quotient
   ``votes * row multiplier * column multiplier`` lies strictly inside its rounding
   interval ``d(s - 1) < q < d(s)`` by a relative margin (``2e-9``) far above the
   error of the float products, and the rows and columns sum to the magnitudes and
   totals. The float multipliers are exact binary fractions, so they certify those
   seats exactly; with every inequality strict no other apportionment satisfies any
   pair of divisors (any divisor pair of a biproportional apportionment supports
   all of them; Gaffke & Pukelsheim 2008), so the seats are *the* apportionment,
   untied, and :meth:`RuleSet.allocate` gives the same.

Every run not accepted (a tie in the upper apportionment, no convergence within
:data:`_ROUNDS` rounds, a near-tie, an exact tie, a district with seats but no
votes, ...) is allocated by the exact scalar engine
(:func:`seats.rules.allocate._joint`) on that run's votes, with the tie policy and
the lot seed ``seed + run`` that :meth:`RuleSet.allocate` would use. A tie there
is reported for the whole tier (``"state-list"``, as the scalar engine reports
it): the run is left out under ``"error"``, settled and counted otherwise.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from seats.analysis.simulate.common import BoolArray, FloatArray, IntArray
from seats.analysis.simulate.plan import _TierPlan
from seats.analysis.simulate.solve import _batch_rows, _Outcome, _outcome
from seats.errors import InvalidSeatsError, InvalidVotesError, TieError
from seats.methods.api import apportion
from seats.methods.registry import MethodSpec, resolve
from seats.methods.signposts import LinearSignpost, Signpost

log = logging.getLogger(__name__)

WHOLE_TIER = -1
"""The district key under which an outcome records a run's tie (or failure) of a whole biproportional tier."""

_ROUNDS = 40
"""Alternating-scaling rounds (a column fit and a row fit each) before a run goes to the exact engine."""
_WALK = 48
"""Single seats a vector fit may move from the seats its first multiplier proposes (then: not fitted yet)."""
_NEAR = 4
_RESCALE = 4
"""A fit whose first multiplier misses the house by more than ``_NEAR`` seats scales it by the ratio of
seats wanted to seats got, up to ``_RESCALE`` times, before it walks."""
_TOL = 1e-9
"""Relative margin of the certificate: each quotient must clear its signposts by ``2 * _TOL`` of them."""
_RANGE = 1e100
"""Multipliers the certificate accepts lie in ``[1 / _RANGE, _RANGE]`` (no float underflow or overflow)."""
_SAFE = 2**52
"""Votes above this are not exact in float64 products: such runs go to the exact engine."""


@dataclass(frozen=True, slots=True)
class _Rounding:
    """The signposts ``d(s)`` of a divisor rounding, as floats (in vote units: square roots for powers 2).

    Seat counts are whole numbers held in float64 (exact far beyond any house). ``linear`` is
    ``(step, offset, scale)`` for ``d(s) = (step * s + offset) / scale`` (closed forms); otherwise
    ``table`` holds ``d(-1) = 0, d(0), ..., d(top)`` and seats are counted by bisection.
    """

    linear: tuple[float, float, float] | None
    table: FloatArray

    def seats(self, q: FloatArray, out: FloatArray | None = None) -> FloatArray:
        """How many ``s >= 0`` have ``d(s) < q``: the seats a quotient ``q >= 0`` rounds to.

        >>> from seats.methods.signposts import DHONDT, HUNTINGTON_HILL
        >>> _rounding(DHONDT, 5).seats(np.array([0.5, 1.0, 2.5])).tolist()
        [0.0, 0.0, 2.0]
        >>> _rounding(HUNTINGTON_HILL, 5).seats(np.array([0.5, 1.5])).tolist()
        [1.0, 2.0]
        """
        if out is None:
            out = np.empty(q.shape)
        if self.linear is not None:
            step, offset, scale = self.linear
            np.multiply(q, scale / step, out=out)
            out -= offset / step
            np.ceil(out, out=out)
            np.maximum(out, 0.0, out=out)
            return out
        # entries 1.. of the table are d(0), d(1), ...: the count of those below q
        out[...] = np.searchsorted(self.table[1:], q, side="left")
        return out

    def step(self, s: FloatArray) -> FloatArray:
        """``d(s)`` for whole ``s >= -1`` (``d(-1) = 0``).

        >>> from seats.methods.signposts import IMPERIALI, SAINTE_LAGUE
        >>> _rounding(SAINTE_LAGUE, 5).step(np.array([-1.0, 0.0, 2.0])).tolist()
        [0.0, 0.5, 2.5]
        >>> _rounding(IMPERIALI, 5).step(np.array([-1.0, 0.0])).tolist()
        [0.0, 2.0]
        """
        if self.linear is not None:
            step, offset, scale = self.linear
            out = s * (step / scale)
            out += offset / scale
            if offset > step:  # d(-1) by the formula would be positive (Imperiali): zero it by mask
                out[s < 0] = 0.0
            else:  # the formula gives d(-1) <= 0 and d(s) >= 0 for s >= 0
                np.maximum(out, 0.0, out=out)
            return out
        picked: FloatArray = self.table[np.clip(s + 1, 0, self.table.size - 1).astype(np.intp)]
        return picked

    def bounds(
        self, s: FloatArray, low: FloatArray | None = None, high: FloatArray | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """``d(s - 1)`` and ``d(s)`` for whole ``s >= 0``: the rounding interval of ``s`` seats.

        >>> from seats.methods.signposts import DHONDT, IMPERIALI
        >>> [b.tolist() for b in _rounding(DHONDT, 5).bounds(np.array([0.0, 3.0]))]
        [[0.0, 3.0], [1.0, 4.0]]
        >>> [b.tolist() for b in _rounding(IMPERIALI, 5).bounds(np.array([0.0, 3.0]))]
        [[0.0, 4.0], [2.0, 5.0]]
        """
        low = np.empty(s.shape) if low is None else low
        high = np.empty(s.shape) if high is None else high
        if self.linear is None:
            at = np.clip(s, 0, self.table.size - 2).astype(np.intp)
            np.take(self.table, at, out=low)
            at += 1
            np.take(self.table, at, out=high)
            return low, high
        step, offset, scale = self.linear
        np.multiply(s, step / scale, out=high)
        high += offset / scale
        np.subtract(high, step / scale, out=low)
        if offset > step:  # d(-1) by the formula would be positive (Imperiali): zero it by mask
            low[s < 1] = 0.0
        else:
            np.maximum(low, 0.0, out=low)
        return low, high


def _rounding(sp: Signpost, top: int) -> _Rounding:
    """The float signposts of ``sp`` up to ``d(top)`` (a cell never holds more than the tier's seats)."""
    if type(sp) is LinearSignpost and sp.first is None:
        return _Rounding((float(sp.step), float(sp.offset), float(sp.scale)), np.zeros(0))
    values = [0.0]
    for s in range(top + 1):
        d = sp.b(s) / sp.a(s)
        values.append(float(np.sqrt(d)) if sp.power == 2 else float(d))
    return _Rounding(None, np.array(values))


@dataclass(slots=True)
class _JointPlan:
    """A biproportional tier laid out for the vectorised solve.

    The tier's options (every option id standing in any district) are the ``width`` columns of a
    ``(districts, width)`` matrix; ``cell[d, k]`` is the flat ``d * width + j`` cell of the plan's local
    column ``k`` in district ``d`` (0 for padding, masked by ``present``).
    """

    spec: MethodSpec  # the divisor rounding, for the upper apportionment by the batch path
    rounding: _Rounding
    width: int
    cell: IntArray  # (D, K)
    present: BoolArray  # (D, K)
    options: Mapping[str, tuple[str, str]]  # option -> (party, alliance), for the threshold's keys
    start: tuple[FloatArray, FloatArray] | None = None  # row and column multipliers of the observed votes
    work: dict[int, _Work] = field(default_factory=dict)  # scratch arrays of each thread, kept across chunks
    base: IntArray | None = None  # (D, K) certified seats of the observed votes (tiers without threshold)


def _joint_plan(plan: _TierPlan, options: Mapping[str, tuple[str, str]]) -> _JointPlan:
    """The :class:`_JointPlan` of a biproportional tier's plan."""
    spec = resolve(plan.tier.rounding or "")
    assert spec.signpost is not None  # load-time validation: the rounding is a divisor method
    present = plan.col >= 0
    ids = np.unique(plan.col[present])
    local = np.searchsorted(ids, np.where(present, plan.col, ids[0] if ids.size else 0))
    dcount = plan.col.shape[0]
    cell = np.where(present, np.arange(dcount)[:, None] * ids.size + local, 0).astype(np.int64)
    jp = _JointPlan(
        spec, _rounding(spec.signpost, int(plan.house.sum()) + 1), int(ids.size), cell, present, options
    )
    # every run starts from the multipliers of the observed votes (no threshold: a start only), which
    # are near those of a perturbed run: alternating scaling then needs a round or two, not a dozen
    w = _matrix(jp, plan.observed[None], None)
    totals = w.sum(axis=1)
    upper, certified = _uppers(jp, totals, int(plan.house.sum()))
    if certified.all() and not ((w.sum(axis=2) == 0) & (plan.house > 0)).any():
        got, found, row, col = _lower(jp, w, plan.house, upper, rounds=4 * _ROUNDS)
        if found.all():
            with np.errstate(over="ignore", invalid="ignore", under="ignore"):
                row, col = _centred(jp.rounding, w.astype(np.float64), got.astype(np.float64), row, col)
            jp.start = (row[0], col[0])
            if not plan.tier.threshold:  # the observed seats, proved: simulate's baseline needs no exact run
                jp.base = np.where(present, got[0].reshape(-1)[cell], 0)
    return jp


def _matrix(jp: _JointPlan, v: IntArray, excluded: BoolArray | None) -> IntArray:
    """The ``(runs, D, P)`` vote matrices of the runs' ``(runs, D, K)`` votes (0 where excluded)."""
    runs, dcount, _ = v.shape
    running = jp.present[None] if excluded is None else jp.present[None] & ~excluded
    flat = np.zeros((runs, dcount * jp.width), dtype=np.int64)
    keep = np.where(running, v, 0).reshape(runs, -1)
    sel = jp.present.reshape(-1)
    flat[:, jp.cell.reshape(-1)[sel]] = keep[:, sel]
    return flat.reshape(runs, dcount, jp.width)


class _Work:
    """Scratch arrays of one solve, kept across its rounds: on a machine where every fresh large array
    costs page faults, reusing them made the lower apportionment about three times faster."""

    def __init__(self) -> None:
        self.arrays: dict[str, npt.NDArray[Any]] = {}

    def __call__(self, name: str, shape: tuple[int, ...], dtype: type = np.float64) -> npt.NDArray[Any]:
        """An uninitialised array of ``shape`` (a view of the one kept under ``name``, grown when needed).

        >>> work = _Work()
        >>> a = work("a", (4, 3)); b = work("a", (2, 3))
        >>> b.shape, np.shares_memory(a, b)
        ((2, 3), True)
        """
        size = math.prod(shape)
        kept = self.arrays.get(name)
        if kept is None or kept.size < size or kept.dtype != dtype:
            kept = self.arrays[name] = np.empty(size, dtype=dtype)
        return kept[:size].reshape(shape)


def _fit(
    rnd: _Rounding, y: FloatArray, house: FloatArray, mu: FloatArray, work: _Work | None = None, tag: str = ""
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Vector divisor apportionments: in every run ``r``, vector ``m`` is ``y[r, :, m]`` (weights >= 0)
    with its own ``house[r, m]`` and a proposed multiplier ``mu[r, m]`` (seats = the rounding of
    ``y * mu``).

    A vector far off is first scaled towards its house, then vectors whose total is off are walked one
    seat at a time (to the cell whose next signpost is reached first, or from the one whose last was).
    Returns the seats ``(R, L, M)``, the multipliers ``(R, M)`` in the middle of the intervals that give
    them (geometric mean of their ends), and which vectors fit (right total, and an interval that is not
    empty in floats). A proposal only: the certificate decides. Sums over the short axis are matrix
    products with a vector of ones (exact: whole numbers far below 2**53), several times faster than
    numpy's reductions of short axes.

    >>> from seats.methods.signposts import DHONDT
    >>> y = np.array([[600.0, 310.0, 100.0], [600.0, 300.0, 100.0]]).T[None]  # one run, two vectors
    >>> s, mu, ok = _fit(_rounding(DHONDT, 9), y, np.array([[5.0, 5.0]]), np.ones((1, 2)))
    >>> s[0].T.tolist(), ok.tolist(), bool(1 / 155 < mu[0, 0] < 1 / 150)
    ([[3.0, 2.0, 0.0], [4.0, 1.0, 0.0]], [[True, False]], True)

    (In the second vector the fifth seat is tied, 600 / 4 = 300 / 2: no multiplier interval is left.)
    """
    work = _Work() if work is None else work
    ones = np.ones(y.shape[1])
    s = work("seats" + tag, y.shape)  # (returned: the caller copies what it keeps before the next fit)
    np.multiply(y, mu[:, None, :], out=s)
    rnd.seats(s, out=s)
    gap = house - np.matmul(ones, s)
    for _ in range(_RESCALE):  # a multiplier far off (a first guess): scaled towards the house first
        r, m = np.nonzero(np.abs(gap) > _NEAR)
        if not r.size:
            break
        mu = mu.copy()
        mu[r, m] *= (house[r, m] + 0.5) / (house[r, m] - gap[r, m] + 0.5)
        again = rnd.seats(y[r, :, m] * mu[r, m][:, None])
        s[r, :, m] = again
        gap[r, m] = house[r, m] - again.sum(axis=1)
    r, m = np.nonzero(gap)
    if r.size:
        yo, so, go = y[r, :, m], s[r, :, m], gap[r, m]
        po = yo > 0
        idx = np.arange(r.size)
        for _ in range(_WALK):
            idx = idx[go[idx] != 0]
            if not idx.size:
                break
            ys, ss, ps, g = yo[idx], so[idx], po[idx], go[idx]
            nxt = np.full(ys.shape, np.inf)
            np.divide(rnd.step(ss), ys, out=nxt, where=ps)
            last = np.full(ys.shape, -np.inf)
            np.divide(rnd.step(ss - 1), ys, out=last, where=ps & (ss > 0))
            up = np.flatnonzero((g > 0) & np.isfinite(nxt.min(axis=1, initial=np.inf)))
            down = np.flatnonzero((g < 0) & np.isfinite(last.max(axis=1, initial=-np.inf)))
            if not up.size and not down.size:
                break  # vectors that cannot move: no votes to take a seat, or no seat to give up
            so[idx[up], nxt[up].argmin(axis=1)] += 1
            go[idx[up]] -= 1
            so[idx[down], last[down].argmax(axis=1)] -= 1
            go[idx[down]] += 1
        s[r, :, m] = so
        gap[r, m] = go
    lo, hi = _interval(rnd, y, s, work)
    finite = np.isfinite(hi)
    new = np.where(lo > 0, np.sqrt(lo * np.where(finite, hi, lo)), hi / 2)
    new = np.where(finite, new, np.where(lo > 0, 2 * lo, mu))
    fitted: BoolArray = (gap == 0) & (lo < hi)
    return s, new, fitted


def _interval(
    rnd: _Rounding, y: FloatArray, s: FloatArray, work: _Work | None = None
) -> tuple[FloatArray, FloatArray]:
    """The multipliers ``mu[r, m]`` with ``d(s - 1) <= y * mu <= d(s)`` in every cell ``y[r, :, m]`` with
    weight: ``[lo, hi]`` (``lo = 0`` and ``hi = inf`` when nothing bounds them).

    Cells without weight (0 seats) give NaN or infinite bounds, which the NaN-ignoring ``fmax`` and
    ``fmin`` skip (no masked division). Reduced slice by slice along axis 1 (contiguous blocks: faster
    than numpy's reduction of a short axis)."""
    work = _Work() if work is None else work
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        low, high = rnd.bounds(s, work("low", y.shape), work("high", y.shape))
        high /= y
        low /= y
        lo = np.zeros((y.shape[0], y.shape[2]))
        hi = np.full(lo.shape, np.inf)
        for k in range(y.shape[1]):
            np.fmax(lo, low[:, k], out=lo)
            np.fmin(hi, high[:, k], out=hi)
    return lo, hi


def _guess(rnd: _Rounding, x: FloatArray, house: FloatArray) -> FloatArray:
    """A first multiplier for each row of ``x``: the seats of ``x * mu`` add up to about ``house``.

    Linear signposts round ``q`` to about ``(q * scale - offset) / step + 1/2`` seats; others are
    started as Sainte-Laguë (the fit corrects the rest). A row of no seats starts half way to the first
    signpost of its largest weight.

    >>> from seats.methods.signposts import SAINTE_LAGUE
    >>> x = np.array([[600.0, 400.0], [5.0, 1.0]])
    >>> _guess(_rounding(SAINTE_LAGUE, 9), x, np.array([10.0, 0.0])).tolist()
    [0.01, 0.05]
    """
    total = x.sum(axis=1)
    cells = (x > 0).sum(axis=1)
    if rnd.linear is not None:
        step, offset, scale = rnd.linear
        want = (house + cells * (offset / step - 0.5)) * step / scale
    else:
        want = house.astype(np.float64)
    out = np.ones(total.shape)
    np.divide(np.maximum(want, 0.0), total, out=out, where=(total > 0) & (house > 0))
    top = x.max(axis=1, initial=0.0)
    first = float(rnd.step(np.zeros(1))[0])
    none = np.ones(total.shape)
    np.divide(first / 2, top, out=none, where=top > 0)
    return np.where((house > 0) & (out > 0), out, np.where(none > 0, none, 1.0))


def _lower(
    jp: _JointPlan,
    w: IntArray,
    house: IntArray,
    totals: IntArray,
    rounds: int | None = None,
    work: _Work | None = None,
) -> tuple[IntArray, BoolArray, FloatArray, FloatArray]:
    """Alternating scaling on ``(runs, D, P)`` votes with magnitudes ``house`` (D,) and column totals
    ``totals`` (runs, P): the proposed seats, which runs are certified (see the module docstring), and
    the row and column multipliers reached. Starts from ``jp.start`` (the multipliers of the observed
    votes) when there are some."""
    runs, dcount, width = w.shape
    rnd = jp.rounding
    work = _Work() if work is None else work
    x = work("x", w.shape)
    np.copyto(x, w, casting="unsafe")  # (int64 votes below 2**53: exact; larger ones fail the certificate)
    xt = work("xt", (runs, width, dcount))
    np.copyto(xt, x.transpose(0, 2, 1))
    m = house.astype(np.float64)
    n = totals.astype(np.float64)
    seats = work("found", w.shape)
    seats.fill(0.0)
    done = np.zeros(runs, dtype=bool)
    if jp.start is not None:
        row = np.tile(jp.start[0], (runs, 1))
        col = np.tile(jp.start[1], (runs, 1))
    else:
        row = np.ones((runs, dcount))
        col = _guess(rnd, xt.reshape(runs * width, dcount), n.reshape(-1)).reshape(runs, width)
    active = np.arange(runs)
    across_rows, across_cols = np.ones(dcount), np.ones(width)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for _ in range(_ROUNDS if rounds is None else rounds):
            if not active.size:
                break
            # columns: each option's seats over the districts, given the row multipliers
            y = _scaled(work, "y", x, active, row[active])
            s, mu, fitted = _fit(rnd, y, n[active], col[active], work, "c")
            col[active] = mu
            hit = fitted.all(axis=1) & (np.matmul(s, across_cols) == m).all(axis=1)
            seats[active[hit]] = s[hit]
            done[active[hit]] = True
            active = active[~hit]
            if not active.size:
                break
            # rows: each district's seats over the options, given the column multipliers
            z = _scaled(work, "y", xt, active, col[active])
            s, mu, fitted = _fit(rnd, z, np.broadcast_to(m, (active.size, dcount)), row[active], work, "r")
            row[active] = mu
            hit = fitted.all(axis=1) & (np.matmul(s, across_rows) == n[active]).all(axis=1)
            seats[active[hit]] = s[hit].transpose(0, 2, 1)
            done[active[hit]] = True
            active = active[~hit]
        idx = np.flatnonzero(done)
        certified = np.zeros(runs, dtype=bool)
        if idx.size == runs:  # (no copies of the votes and seats when every run converged)
            certified, row, col = _certify(rnd, x, seats, row, col, m, n, work)
        elif idx.size:
            certified[idx], row[idx], col[idx] = _certify(
                rnd, x[idx], seats[idx], row[idx], col[idx], m, n[idx], work
            )
    return seats.astype(np.int64), certified, row, col


def _scaled(work: _Work, name: str, x: FloatArray, active: IntArray, by: FloatArray) -> FloatArray:
    """``x[active] * by[:, :, None]`` in the scratch array ``name`` (no copy of ``x`` while every run is
    active)."""
    out = work(name, (active.size, *x.shape[1:]))
    if active.size == x.shape[0]:
        np.multiply(x, by[:, :, None], out=out)
    else:
        np.take(x, active, axis=0, out=out)
        out *= by[:, :, None]
    return out


def _centre(rnd: _Rounding, x: FloatArray, s: FloatArray, other: FloatArray, axis: int) -> FloatArray:
    """Each row's (``axis=2``) or column's (``axis=1``) multiplier moved to the geometric middle of the
    interval that keeps its seats, given the other side's multipliers ``other`` (NaN where it is empty)."""
    y = x * (other[:, None, :] if axis == 2 else other[:, :, None])
    if axis == 2:  # reduce over the options: the transposed views
        y, s = y.transpose(0, 2, 1), s.transpose(0, 2, 1)
    lo, hi = _interval(rnd, y, s)
    mid = np.where(lo > 0, np.sqrt(lo * np.where(np.isfinite(hi), hi, lo)), hi / 2)
    out: FloatArray = np.where(np.isfinite(hi) & (lo < hi) & (mid > 0), mid, np.nan)
    return out


def _centred(
    rnd: _Rounding, x: FloatArray, s: FloatArray, row: FloatArray, col: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Both sides' multipliers centred once, columns then rows, keeping the seats ``s``."""
    new = _centre(rnd, x, s, row, axis=1)
    col = np.where(np.isnan(new), col, new)
    new = _centre(rnd, x, s, col, axis=2)
    row = np.where(np.isnan(new), row, new)
    return row, col


def _certify(
    rnd: _Rounding,
    x: FloatArray,
    s: FloatArray,
    row: FloatArray,
    col: FloatArray,
    house: FloatArray,
    totals: FloatArray,
    work: _Work | None = None,
) -> tuple[BoolArray, FloatArray, FloatArray]:
    """Runs whose seats ``s`` the multipliers prove: strictly inside every rounding interval, by a margin
    far above float error, with both margins met (see the module docstring); and the multipliers used."""
    certified = _proved(rnd, x, s, row, col, house, totals, work)
    again = np.flatnonzero(~certified)
    if again.size:
        # centre both sides once (keeping the seats): the cells leave their signposts as far as the
        # multipliers allow; a row or column without a valid interval keeps its multiplier (and fails)
        xs, ss = x[again], s[again]
        rs, cs = _centred(rnd, xs, ss, row[again], col[again])
        row, col = row.copy(), col.copy()
        row[again], col[again] = rs, cs
        certified[again] = _proved(rnd, xs, ss, rs, cs, house, totals[again])
    return certified, row, col


def _proved(
    rnd: _Rounding,
    x: FloatArray,
    s: FloatArray,
    row: FloatArray,
    col: FloatArray,
    house: FloatArray,
    totals: FloatArray,
    work: _Work | None = None,
) -> BoolArray:
    """The certificate itself: every quotient strictly inside its interval by ``2 * _TOL`` (cells without
    votes hold no seat), multipliers in range, votes exact in float64, both margins met."""
    work = _Work() if work is None else work
    q = work("q", x.shape)
    np.multiply(x, row[:, :, None], out=q)
    q *= col[:, None, :]
    low, high = rnd.bounds(s, work("low", x.shape), work("high", x.shape))
    low *= 1 + 2 * _TOL
    inside = np.greater(q, low, out=work("inside", x.shape, np.bool_))  # (NaN never passes)
    q *= 1 + 2 * _TOL
    below = np.less(q, high, out=work("below", x.shape, np.bool_))
    inside &= below
    # a cell with votes must be inside its interval; a cell without holds no seat
    votes = np.greater(x, 0.0, out=work("votes", x.shape, np.bool_))
    inside &= votes
    empty = np.equal(s, 0.0, out=below)
    np.logical_not(votes, out=votes)
    empty &= votes
    inside |= empty
    cells = inside.reshape(x.shape[0], -1).all(axis=1)
    scaled = ((row >= 1 / _RANGE) & (row <= _RANGE)).all(axis=1) & (
        (col >= 1 / _RANGE) & (col <= _RANGE)
    ).all(axis=1)
    sums = (np.matmul(s, np.ones(s.shape[2])) == house).all(axis=1)
    sums &= (np.matmul(np.ones(s.shape[1]), s) == totals).all(axis=1)
    exact = (x <= _SAFE).all(axis=(1, 2)) & (s >= 0).all(axis=(1, 2))
    proved: BoolArray = cells & scaled & sums & exact
    return proved


def _solve_joint(
    plan: _TierPlan, jp: _JointPlan, v: IntArray, excluded: BoolArray | None, first_run: int, seed: int | None
) -> _Outcome:
    """Allocate a biproportional tier's ``(runs, D, K)`` votes in every run (see the module docstring).

    A run's tie or failure is recorded under :data:`WHOLE_TIER` (its seats are zeros: it is left out).
    """
    runs, dcount, width = v.shape
    w = _matrix(jp, v, excluded)
    totals = w.sum(axis=1)
    upper, certified = _uppers(jp, totals, int(plan.house.sum()))
    hopeless = ((w.sum(axis=2) == 0) & (plan.house > 0)).any(axis=1)
    todo = np.flatnonzero(certified & ~hopeless)
    full = np.zeros(w.shape, dtype=np.int64)
    good = np.zeros(runs, dtype=bool)
    if todo.size:
        work = jp.work.setdefault(threading.get_ident(), _Work())
        got, proved, _, _ = _lower(jp, w[todo], plan.house, upper[todo], work=work)
        full[todo] = got
        good[todo] = proved
    seats = np.where(jp.present[None], full.reshape(runs, -1)[:, jp.cell], 0)
    rows = np.stack(np.divmod(np.arange(runs * dcount), dcount), axis=1)
    every = _outcome(
        np.zeros(plan.col.shape, dtype=np.int64), np.zeros((runs, dcount), dtype=bool), rows, seats
    )
    pending = np.flatnonzero(~good)
    if pending.size:
        log.debug("tier %s: %d of %d runs to the exact engine", plan.tier.id, pending.size, runs)
        _exact_joint(plan, jp, every, v, pending.tolist(), first_run, seed)
    # kept compact, as other tiers' outcomes: the rows with the observed seats (or, in a tier with a
    # threshold, the first run's) are marked, only the others are listed (the main thread tallies them)
    local = every.seats.reshape(runs, dcount, width)
    base = jp.base if jp.base is not None else local[0].copy()
    kept = (local == base[None]).all(axis=2)
    out = _outcome(base, kept, np.argwhere(~kept), local[~kept])
    out.tied, out.settled, out.unfilled = every.tied, every.settled, every.unfilled
    return out


def _uppers(jp: _JointPlan, totals: IntArray, house: int) -> tuple[IntArray, BoolArray]:
    """Every run's upper apportionment of its option ``totals`` (runs, P): the batch path for all runs at
    once, the exact engine for the rows the batch path leaves to it; and which runs no tie decides."""
    upper, certified = _batch_rows(jp.spec, totals, totals > 0, np.full(totals.shape[0], house))
    for r in np.flatnonzero(~certified).tolist():
        exact = _upper(jp, totals[r], house)
        if exact is not None:
            upper[r], certified[r] = exact, True
    return upper, certified


def _upper(jp: _JointPlan, totals: IntArray, house: int) -> IntArray | None:
    """One run's upper apportionment by the exact engine, when no tie decides it (else ``None``: the
    whole run then goes to :func:`_exact_joint`, which settles or reports the tie by the tier's policy).

    >>> from seats.methods.registry import resolve
    >>> jp = _JointPlan(resolve("sainte-lague"), _rounding(resolve("sainte-lague").signpost, 4), 2,
    ...                 np.zeros((1, 2), dtype=np.int64), np.ones((1, 2), dtype=bool), {})
    >>> _upper(jp, np.array([700, 300]), 3).tolist(), _upper(jp, np.array([500, 500]), 3)
    ([2, 1], None)
    """
    try:
        alloc = apportion({str(j): int(t) for j, t in enumerate(totals)}, house, method=jp.spec, ties="error")
    except (TieError, InvalidSeatsError, InvalidVotesError):
        return None
    return np.array([alloc.seats[str(j)] for j in range(totals.size)], dtype=np.int64)


def _exact_joint(
    plan: _TierPlan,
    jp: _JointPlan,
    out: _Outcome,
    v: IntArray,
    pending: list[int],
    first_run: int,
    seed: int | None,
) -> None:
    """The exact scalar engine for runs ``pending``, as :meth:`RuleSet.allocate` allocates the tier."""
    from seats.rules.allocate import _joint

    tier = plan.tier
    dcount = len(plan.districts)
    wide = tier.threshold and tier.threshold_scope != "district"
    for r in pending:
        by_district = {
            district: {o: int(v[r, d, k]) for k, o in enumerate(plan.names[d])}
            for d, district in enumerate(plan.districts)
        }
        tier_totals: dict[str, int] = {}
        if wide:
            for dv in by_district.values():
                for o, n in dv.items():
                    tier_totals[o] = tier_totals.get(o, 0) + n
        rows = slice(r * dcount, (r + 1) * dcount)
        out.seats[rows] = 0
        run_seed = None if seed is None else seed + first_run + r
        try:
            result, joint = _joint(tier, by_district, tier_totals, jp.options, plan.policy, run_seed)
        except TieError:
            out.tied.setdefault(WHOLE_TIER, []).append(first_run + r)
            continue
        except (InvalidSeatsError, InvalidVotesError):
            out.unfilled.setdefault(WHOLE_TIER, []).append(first_run + r)
            continue
        for d, district in enumerate(result):
            names = plan.names[d]
            out.seats[r * dcount + d, : len(names)] = [district.seats.get(o, 0) for o in names]
        if joint.ties:
            out.settled.setdefault(WHOLE_TIER, []).append(first_run + r)
