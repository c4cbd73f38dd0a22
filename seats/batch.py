"""Vectorised apportionment of many elections at once.

``votes`` is an ``(elections x parties)`` integer array; every row is one
election with the same method, and the same house size or one of its own
(divisor methods can also start each party after seats it already holds:
``prior``). Rows are solved with numpy
floats and then *certified*: a row is accepted only when the smallest winning
quotient exceeds the largest losing one by far more than float error can
explain (for largest-remainder and plurality methods, when the cut is strict).
Every other row — near-ties and exact ties — is solved exactly: for the linear
divisor methods (D'Hondt, Sainte-Laguë, Danish, Imperiali) all such rows at
once, by comparing every next quotient with every last one in integers, and
a tie is settled by the same policy call the scalar engine makes; anything
else by the exact scalar engine, row by row. The result is always identical
to :func:`seats.apportion` row by row, and a tie that decides a seat is never
settled silently. A large batch of a linear divisor method shares its blocks
of rows between two threads when a core is idle; the seats never depend on it.

Examples
--------
>>> import numpy as np, seats
>>> seats.batch.apportion(np.array([[100_000, 80_000, 30_000, 20_000], [52, 39, 13, 8]]), 8)
array([[4, 3, 1, 0],
       [4, 3, 1, 0]])
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from seats.errors import InvalidSeatsError, InvalidVotesError, TieError
from seats.methods._input import as_fraction, check_house
from seats.methods.divisor import _general as exact_divisor  # the engine behind the fast path
from seats.methods.registry import MethodSpec, resolve
from seats.methods.signposts import LinearSignpost, Signpost
from seats.methods.ties import check_policy, settle
from seats.results import TieEvent

__all__ = ["BatchAllocation", "allocate", "apportion"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
_TOL = 1e-9
# float32 blocks (votes below 2**24, small houses, no prior seats): x = fl(fl(c * v) + beta) is
# within 2 * 2**-24 * (|c * v| + |beta|) of the exact c * v + beta, and a walk's quotient within
# 4 * 2**-24 of its exact value (relative), so these bounds keep a factor of 2 and 8 to spare
_TOL32 = 2.0**-22  # of c * total + 2 |beta| + 1, which bounds |c * v| + |beta| (+ float32 sums)
_TOL32_WALK = 2.0**-20  # relative, of the quotients compared in a walk's certificate
_SMALL32 = 2**12  # float32 blocks only for houses up to this, with at most this many parties
_SAFE = 2**52


@dataclass(frozen=True, slots=True)
class BatchAllocation:
    """Seats of many elections, with every deciding tie.

    Attributes
    ----------
    seats:
        ``(elections x parties)`` seats.
    tie_rows:
        Rows in which a tie decided a seat (settled by the policy, see ``ties``).
    ties:
        ``(row, TieEvent)`` for every settled tie.
    exact_rows:
        How many rows the float path could not certify and an exact path solved
        (near-ties, ties, bounds): integer comparisons or the exact scalar engine.
    """

    seats: IntArray
    tie_rows: IntArray
    ties: tuple[tuple[int, TieEvent], ...]
    exact_rows: int


def _as_matrix(votes: Any, *, check: bool = True) -> tuple[IntArray, bool | None]:
    """The votes as an int64 matrix, and whether every vote is below ``2**31``.

    ``check=False``: an int64 matrix is returned unchecked, with ``None`` (its range is then
    the linear path's to check, a block at a time, with :func:`_check_range` on failure).
    """
    arr = np.asarray(votes)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise InvalidVotesError(f"votes must be a 2-D (elections x parties) array, got shape {arr.shape}")
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.floor(arr))
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise InvalidVotesError(
                f"votes must be whole numbers; row {r}, column {c} is {arr[r, c].item()!r}"
            )
    elif arr.dtype.kind not in "iu":
        raise InvalidVotesError(f"votes must be an integer array, got dtype {arr.dtype}")
    if not check and arr.dtype == np.int64:
        return arr, None
    narrow = _check_range(arr)
    return arr.astype(np.int64, copy=False), narrow  # read only: never written to


def _check_range(arr: npt.NDArray[Any]) -> bool:
    """Refuse negative votes and votes of ``2**62`` or more; whether every vote is below ``2**31``."""
    narrow = False
    if arr.size:
        suspect = True
        if arr.dtype.kind in "iu":  # one pass: a negative sets the sign bit, 2**62 or more bit 62
            bits = int(np.bitwise_or.reduce(arr, axis=None))
            suspect = bits < 0 or bits >= 2**62
            narrow = 0 <= bits < 2**31
        if suspect and arr.min() < 0:
            r, c = np.argwhere(arr < 0)[0]
            raise InvalidVotesError(f"votes must not be negative; row {r}, column {c} is {arr[r, c]}")
        if suspect and arr.max() >= 2**62:
            raise InvalidVotesError("votes too large for the batch path; use seats.apportion row by row")
    return narrow


def _eligible(v: IntArray, threshold: Fraction | None) -> npt.NDArray[np.bool_]:
    ok = v > 0
    if threshold:
        total = v.sum(axis=1, keepdims=True)
        num, den = threshold.numerator, threshold.denominator
        if int(v.max(initial=0)) * den < 2**62 and int(total.max(initial=0)) * num < 2**62:
            ok &= v * den >= num * total
        else:  # exact with Python ints
            passes = [
                [int(x) * den >= num * int(t) for x in row] for row, t in zip(v, total[:, 0], strict=True)
            ]
            ok &= np.asarray(passes, dtype=bool)
    return ok


def _divisor_rows(
    spec: MethodSpec, v: IntArray, ok: BoolArray, house: int, prior: IntArray | None = None
) -> tuple[IntArray, BoolArray]:
    """Float solution of every row and the rows it certifies.

    ``prior`` (rows x parties, the seats each party already holds) starts each
    party's signposts after those seats.
    """
    sp = spec.signpost
    assert sp is not None
    if isinstance(sp, LinearSignpost) and _linear_vectorised(sp):
        return _linear_rows(sp, v, ok, house, prior)
    vf = np.where(ok, v, 0).astype(np.float64)
    rows, _ = v.shape
    p = np.zeros(v.shape, dtype=np.int64) if prior is None else prior
    total = vf.sum(axis=1)
    held = np.where(ok, p, 0).sum(axis=1)
    divisor = np.where(total > 0, total / np.maximum(house + held, 1), 1.0)
    best = np.zeros(v.shape, dtype=np.int64)
    best_gap = np.full(rows, np.inf)
    for _ in range(12):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            counts = np.where(ok, np.maximum(sp.estimate(vf / divisor[:, None]) - p, 0.0), 0.0)
        got = counts.sum(axis=1)
        gap = np.abs(got - house)
        better = gap < best_gap
        best[better] = counts[better].astype(np.int64)
        best_gap = np.where(better, gap, best_gap)
        if not (best_gap > 0).any():
            break
        divisor = np.where(got > 0, divisor * got / max(house, 1), divisor / 2)
    s = best
    inf = np.inf
    # Rows the float path cannot settle go to the exact engine: a row with seats to give
    # and no party to take them (the engine raises, naming the row), and, when d(0) = 0,
    # a house smaller than the parties with votes and no prior seat (every first quotient
    # is infinite: a tie).
    contenders = ok.sum(axis=1)
    hopeless = (contenders == 0) & (house > 0)
    if sp.b(0) == 0:
        hopeless |= (ok & (p == 0)).sum(axis=1) > house
    # bring every row's total to the house size, one seat per row per pass
    for _ in range(4 * v.shape[1] + 8):
        diff = s.sum(axis=1) - house
        short = np.flatnonzero((diff < 0) & ~hopeless)
        over = np.flatnonzero((diff > 0) & ~hopeless)
        if not short.size and not over.size:
            break
        if short.size:
            q = np.where(ok[short], sp.quotients(vf[short], s[short] + p[short]), -inf)
            s[short, q.argmax(axis=1)] += 1
        if over.size:
            held_over = np.maximum(s[over] + p[over] - 1, 0)
            q = np.where(ok[over] & (s[over] > 0), sp.quotients(vf[over], held_over), inf)
            s[over, q.argmin(axis=1)] -= 1
    return s, _certified(sp, vf, ok, s, s + p, house, hopeless)


def _certified(
    sp: Signpost,
    vf: FloatArray,
    ok: BoolArray,
    s: IntArray,
    held: IntArray,
    house: IntArray | int,
    hopeless: BoolArray,
) -> BoolArray:
    """Rows whose proposed seats ``s`` (``held`` in all, prior seats included) the float64
    quotients prove: every row sums to its house, and the best losing quotient is below the
    worst winning one by more than rounding can close (so no tie decides a seat). Rows marked
    ``hopeless`` are never certified. Also used by :mod:`seats.analysis.simulate`."""
    inf = np.inf
    nxt = np.where(ok, sp.quotients(vf, held), -inf)
    last = np.where(ok & (s > 0), sp.quotients(vf, np.maximum(held - 1, 0)), inf)
    top = nxt.max(axis=1, initial=-inf)
    bottom = last.min(axis=1, initial=inf)
    with np.errstate(invalid="ignore"):
        certified: BoolArray = (
            (s.sum(axis=1) == house)
            & ~hopeless
            & (s.min(axis=1, initial=0) >= 0)
            & (
                (top == -inf)
                | (bottom == inf) & np.isfinite(top)
                | (np.isfinite(top) & (top < bottom * (1 - 2 * _TOL)))
            )
        )
    return certified


_CHUNK = 8192  # rows per block at least: a block's arrays stay in cache
# and more rows for a narrow batch, up to this many cells (parties x rows) a block: numpy's cost
# per call, and the hand-overs between the threads, are paid for fewer blocks (W3, 15 parties:
# 17,476 rows a block, 6 blocks, against 8,192 and 14 blocks: ~10% faster on two threads)
_CHUNK_CELLS = 2**18
_THREADS = min(2, os.cpu_count() or 1)  # threads for the blocks of a large batch
_ROWS_PER_THREAD = 8192  # fewer rows than this for each thread: one thread (starting one costs more)

Houses = int | IntArray  # one house size for every row, or one per row


def _linear_vectorised(sp: LinearSignpost) -> bool:
    """Whether :func:`_linear_rows` solves this signpost: linear, ``d(0) > 0``, no special first."""
    return type(sp) is LinearSignpost and sp.first is None and sp.offset > 0


def _linear_rows(
    sp: LinearSignpost,
    v: IntArray,
    ok: BoolArray | None,
    house: Houses,
    prior: IntArray | None = None,
    *,
    narrow: bool | None = False,
) -> tuple[IntArray, BoolArray]:
    """Linear signposts with ``d(0) > 0``: the scalar fast path, a block of rows at a time.

    Each row's seats are first read off one float divisor: ``s = floor(x)`` with
    ``x = c * v + beta`` (``c`` the inverse divisor in seat units, ``beta = 1 - a``,
    ``a = offset / step``), ``c`` from a closed form and one damped Newton step.
    When those seats add up to the house and every ``x`` is farther from a whole
    number than float error can move it, the exact ``x`` has the same floors: the
    row is the divisor method's allocation at the divisor ``1 / c``, with no
    quotient equal to it, hence no tie. That costs a subtraction and two
    reductions, no division. The rows a few seats off (W3: 44%, most of them one
    seat), every ``x`` still clear, are walked to the house one seat at a time on
    inverse quotients (:func:`_walk_rows`: the first seat on the whole block, the
    rest, for the rows 2 to ``_WALK`` seats off, by :func:`_walk_on` once per
    thread on the rows of all its blocks) and certified by the margin of the seat
    moved last. Every other row (ties, near-ties, rows far off) is left
    uncertified for the exact path. A block is held transposed (parties x rows),
    so that the reductions over a row's parties run along memory; the seats are
    returned as the transpose of that layout (Fortran order). When there are many
    rows, up to ``_THREADS`` threads (this one and helpers) take equal blocks in
    turn (the seats do not depend on it). ``v`` must be 0 wherever a party is not
    eligible (as :func:`allocate` passes it); ``ok`` is not read. ``narrow``: every
    vote is below ``2**31``, so a block is read through an exact int32 copy (the
    transposing read is faster); ``None``: ``v``'s range is not checked yet, so each
    block checks its own (in its thread) and is read through an int32 copy when it
    can be, and a negative or too large vote raises
    :class:`InvalidVotesError` as :func:`_as_matrix` does. Such a block whose votes are
    all below ``2**24`` (exact in float32) is computed in float32 when there are no prior
    seats and the house and the parties are at most ``_SMALL32`` (half the memory traffic:
    W3 ~26 -> ~21 ms on one thread), with error bounds for float32 (``_TOL32``,
    ``_TOL32_WALK``); a few more rows are then left to the exact path (W3: 168 -> 214).

    ``house`` is one size for every row or one per row; ``prior`` (the seats each
    party already holds) moves a party's signposts on by that many seats:
    ``x = c * v + beta - prior``, ``w = (s + prior + a) / v``, seats ``max(0, floor(x))``.
    """
    rows, m = v.shape
    if isinstance(house, np.ndarray):
        if not (house > 0).all():  # a row of 0 seats is all zeros, certified, whatever its votes
            if narrow is None:  # but its votes are checked too
                narrow = _check_range(v)
            seats = np.zeros((rows, m), dtype=np.int64)
            certified = np.ones(rows, dtype=bool)
            live = np.flatnonzero(house > 0)
            if live.size:
                sub_prior = None if prior is None else prior[live]
                seats[live], certified[live] = _linear_rows(
                    sp, v[live], None, house[live], sub_prior, narrow=narrow
                )
            return seats, certified
    elif house == 0:
        return np.zeros((rows, m), dtype=np.int64), np.ones(rows, dtype=bool)
    # the seats are held parties x rows, as the blocks compute them, and returned as their
    # transpose: an (elections x parties) array in Fortran order, without a transposing copy
    held_seats = np.empty((m, rows), dtype=np.int64)  # every block is written whole below
    certified = np.empty(rows, dtype=bool)

    threads = max(1, min(_THREADS, rows // _ROWS_PER_THREAD, _idle_cores()))
    # blocks of at most _CHUNK rows (more when the parties are few), as many as a multiple of
    # the threads and of equal size (none is left to one thread at the end), shared: each
    # thread takes the next in turn
    count = max(1, -(-rows // max(_CHUNK, _CHUNK_CELLS // max(m, 1))))
    count += -count % threads
    size = max(1, -(-rows // count))
    blocks = iter(range(0, rows, size))
    refused: list[int] = []  # blocks whose range check failed
    mask = _masked(sp, prior)
    # float32 blocks (half the memory traffic of float64, and wider SIMD) when their votes
    # allow it: no prior seats, a small house, not too many parties
    top = house if isinstance(house, int) else int(house.max(initial=0))
    small = prior is None and top <= _SMALL32 and m <= _SMALL32

    def run() -> None:
        # rows are independent, and each block writes only its own: the result is the same
        # however the blocks are shared out; a thread's blocks reuse its three work arrays, and
        # the rows they leave 2 seats off or more are walked on together, after its last block
        works: dict[type, FloatArray] = {}
        later: dict[type, list[_Walk]] = {np.float32: [], np.float64: []}
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for lo in blocks:
                hi = min(rows, lo + size)
                sub_prior = None if prior is None else prior[lo:hi]
                h = house if isinstance(house, int) else house[lo:hi]
                block = v[lo:hi]
                fits = narrow
                dtype: type = np.float64
                if fits is None:  # the range is checked here, a block at a time (one pass)
                    bits = int(np.bitwise_or.reduce(block, axis=None))
                    if bits < 0 or bits >= 2**62:  # a negative vote, or one too large
                        refused.append(lo)
                        continue
                    fits = bits < 2**31
                    if bits < 2**24 and small:  # every vote exact in float32
                        dtype = np.float32
                if fits:
                    block = block.astype(np.int32)  # exact
                if dtype not in works:
                    works[dtype] = np.empty((3, m, size), dtype=dtype)
                good, rest = _linear_block(
                    sp, block, h, sub_prior, held_seats[:, lo:hi], works[dtype][:, :, : hi - lo]
                )
                certified[lo:hi] = good
                if rest is not None:
                    rest.cols += lo
                    later[dtype].append(rest)
            for parts in later.values():
                if parts:
                    cols, walked, good = _walk_on(parts, mask)
                    held_seats[:, cols] = walked
                    certified[cols] = good

    if threads > 1:  # numpy lets go of the GIL inside each operation on a block
        with ThreadPoolExecutor(threads - 1) as pool:  # and this thread is one of them
            helpers = [pool.submit(run) for _ in range(threads - 1)]
            run()
            for done in helpers:
                done.result()
    else:
        run()
    if refused:
        _check_range(v)  # raises, naming the first bad vote
    seats = held_seats.T
    return seats, certified


def _idle_cores() -> int:
    """Cores that other processes leave idle, by the 1-minute load average less this process's
    own 1 (at least 1; a guess, read in microseconds): a second thread on a core another
    process keeps busy only slows both down. It decides how fast, never what, the batch
    computes."""
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover - no load average on this platform
        return _THREADS
    return max(1, int((os.cpu_count() or 1) - max(0.0, load - 1.0) + 0.5))


def _linear_block(
    sp: LinearSignpost,
    v: npt.NDArray[np.int64] | npt.NDArray[np.int32],
    house: Houses,
    prior: IntArray | None,
    out: IntArray,
    work: FloatArray,
) -> tuple[BoolArray, _Walk | None]:
    """One block of :func:`_linear_rows`: its seats into ``out`` (parties x rows); which rows are
    certified, and the rows still 2 seats off or more after one seat was walked (their seats
    and certificates are :func:`_walk_on`'s). ``work`` holds three (parties x rows) float arrays
    to compute in."""
    m = v.shape[1]
    step, off = sp.step, sp.offset
    a = off / step
    beta = 1.0 - a
    h: float | FloatArray = house if isinstance(house, int) else house.astype(np.float64)
    vf, x, s = work[0], work[1], work[2]
    np.copyto(vf, v.T, casting="unsafe")  # 0 wherever a party is not eligible
    total = np.add.reduce(vf, axis=0)
    # shift: beta, less the prior seats (parties x rows); a_off: a, plus the prior seats
    shift: float | FloatArray = beta
    a_off: float | FloatArray = a
    held: float | FloatArray = 0.0
    top_prior: float | FloatArray = 0.0
    if prior is not None:
        pb = np.ascontiguousarray(prior.T, dtype=np.float64)
        shift = beta - pb
        a_off = a + pb
        held = np.add.reduce(np.where(vf > 0, pb, 0.0), axis=0)
        top_prior = np.maximum.reduce(pb, axis=0)
    clamp = prior is not None or beta < 0  # x can be negative: no seat
    wide = vf.dtype == np.float64
    # float64: |x| <= house + prior + 1 + |beta| wherever a seat could change; x is two
    # correctly rounded operations from the exact value, so an error far below eps
    eps: float | FloatArray = _TOL * (h + top_prior + 2.0 + abs(beta))
    c = (h + held - m * (beta - 0.5)) / total
    np.multiply(vf, c.astype(vf.dtype, copy=False), out=x)
    if prior is not None or beta:
        x += shift
    np.floor(x, out=x)
    if clamp:
        np.maximum(x, 0.0, out=x)
    got = np.add.reduce(x, axis=0)
    # one damped Newton step on every row's divisor: the seats' sum is c * total + m * beta
    # less the sum of the fractional parts, and those move too (W3: a full step lands on
    # the house in 54% of the rows and 13% are 2 seats off or more; 0.7 of it: 56%, 6%)
    c += _DAMPING * (h - got) / total
    c = c.astype(vf.dtype, copy=False)  # the divisor these seats are certified at is 1 / c
    np.multiply(vf, c, out=x)
    if prior is not None or beta:
        x += shift
    if not wide:  # float32 (no prior seats): |x| + |beta| <= c * total + 2 |beta| for every x
        # (beta 0, D'Hondt: x = fl(c * v), one rounding, so half the error bound); one bound
        # for the whole block, at its largest c * total (a float32 product: 1 + 2**-20 covers
        # its rounding; a row without votes, NaN, is passed over: it is never certified)
        tol = _TOL32 if beta else _TOL32 / 2
        top = float(np.fmax.reduce(np.multiply(c, total), axis=0)) * (1.0 + 2.0**-20)
        eps = tol * (top + (2.0 * abs(beta) + 1.0))
    np.floor(x, out=s)
    frac = np.subtract(x, s, out=x)
    if clamp:
        # x < 0: no seat, and none for any exact x within eps of it (floor(x) <= -1 < 1)
        np.putmask(frac, s < 0.0, 0.5)
        np.maximum(s, 0.0, out=s)
    got = np.add.reduce(s, axis=0)
    clear = np.maximum.reduce(frac, axis=0) < 1.0 - eps
    # a party without votes has x = beta exactly, which decides nothing even when it is a
    # whole number (D'Hondt: 0); the few rows whose smallest fraction is such a party's
    # are looked at again without it. Without prior seats and with beta >= 0, the exact x
    # is never negative, so a party without a seat (x below 1 - eps) has none at the exact
    # x either, however small its fraction (a tiny party: D'Hondt's x = c * v near 0): the
    # rows are looked at again without every party that has no seat (1 is added to those
    # fractions: above eps, they cannot fail the test; putmask is several times slower).
    # D'Hondt (beta 0), where every party without votes has the fraction 0 (W3: 10% of the
    # rows have one), adds the 1 on the whole block at once, before its smallest fraction
    whole_block = not clamp and not beta
    if whole_block:
        frac += s == 0.0
    low = np.minimum.reduce(frac, axis=0)
    look = np.flatnonzero(clear & (low <= eps)) if not whole_block else np.zeros(0, dtype=np.intp)
    if look.size:
        f = frac.take(look, axis=1)
        if clamp:
            f += v.take(look, axis=0).T == 0  # (rows of the input: contiguous)
        else:
            f += s.take(look, axis=1) == 0.0
        low[look] = np.minimum.reduce(f, axis=0)
    clear &= low > eps
    good: BoolArray = clear & (got == h)
    # rows a few seats off, every x clear: moved one seat at a time and certified
    # rows a few seats off, every x clear: walked to the house one seat at a time, in place,
    # on the whole block (a row with nothing to move, off_by 0, takes part in no move)
    off = clear ^ good  # clear, and not on the house
    later = None
    if off.any():
        off_by = np.subtract(h, got) * off  # (np.where is several times slower)
        walked, later = _walk_rows(s, vf, off_by, a_off, _masked(sp, prior), x)  # vf, x: free now
        good |= off & walked
    # the columns in later are written again when they are walked on
    if wide:
        out[...] = s
    else:  # float32 to int64 through int32 (in x, free now): two casts numpy does faster
        whole = x.view(np.int32)
        np.copyto(whole, s, casting="unsafe")
        out[...] = whole
    # a row where no party takes part (total 0) has x NaN everywhere: never clear, never
    # certified, it goes to the exact engine
    return good, later


def _masked(sp: LinearSignpost, prior: IntArray | None) -> bool:
    """Whether a walk must mask the last quotients of parties without seats (``s + a - 1`` can be
    positive there: prior seats, or ``a = offset / step > 1``)."""
    return prior is not None or sp.offset / sp.step > 1


_EXACT_CELLS = 2**20  # pairs per block of the exact path (its arrays are rows x parties x parties)
_EXACT_WIDTH = 128  # more parties than this: the exact engine, row by row (pairs grow as m * m)


@dataclass(slots=True)
class _Exact:
    """What the vectorised exact path settled, by position in the rows it was given."""

    done: BoolArray  # rows solved (seats final, ties settled or refused)
    seats: IntArray  # their seats
    # position -> the tie the policy settled: its record, or (``"order"``, whose seats are
    # settled for all rows at once) what builds the record, called only when it is wanted
    # (``None`` when it is not: ``records=False``)
    events: dict[int, TieEvent | Callable[[], TieEvent] | None]
    # position -> the tie the policy refused: its error, or (``"error"``) what raises it,
    # called only for the error the batch's own names first
    errors: dict[int, TieError | Callable[[], TieEvent]]


def _exact_linear(
    sp: LinearSignpost,
    v: IntArray,
    ok: BoolArray,
    start: IntArray,
    house: Houses,
    prior: IntArray | None,
    names: tuple[str, ...],
    policy: str,
    seeds: list[int | None],
    records: bool = True,
) -> _Exact:
    """Rows the float path could not certify (ties, near-ties), settled exactly and all at once.

    Floats propose (from ``start``, one seat per row per pass to the largest next
    quotient or from the smallest last one); integers decide: every next quotient
    ``v_i / d(s_i)`` is compared with every last one ``v_j / d(s_j - 1)`` by
    cross-multiplication in int64 (used only when no product can overflow). No
    next quotient above a last one proves the seats; equal ones are a tie, which
    is settled (or refused) exactly as the scalar engine does: the same tied
    options, contested seats, quotients and policy call. A row whose proposal is
    not proved is left for the scalar engine (``done`` false), as is every row of
    more than ``_EXACT_WIDTH`` parties. ``v`` is 0 wherever ``ok`` is false. ``records=False``:
    the rows of ties that ``"order"`` settles are in ``events`` without their records
    (``None``).
    """
    k, m = v.shape
    step, off = sp.step, sp.offset
    held = np.zeros((k, m), dtype=np.int64) if prior is None else prior
    h = np.full(k, house, dtype=np.int64) if isinstance(house, int) else house
    result = _Exact(np.zeros(k, dtype=bool), np.zeros((k, m), dtype=np.int64), {}, {})
    if not k or m > _EXACT_WIDTH:
        return result
    widest = step * (int(h.max()) + int(held.max()) + 1) + off
    if int(v.max()) * widest >= 2**63:
        return result  # products could overflow: the scalar engine compares with Python ints
    s = np.where(ok, np.maximum(start, 0), 0)
    vf = v.astype(np.float64)
    show = functools.lru_cache(maxsize=None)(sp.show)  # d(s) as the scalar engine writes it
    inf = np.inf
    takers = ok.any(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(4 * m + 8):
            diff = s.sum(axis=1) - h
            short = np.flatnonzero((diff < 0) & takers)
            over = np.flatnonzero(diff > 0)
            if not short.size and not over.size:
                break
            if short.size:
                q = np.where(ok[short], vf[short] / (step * (s[short] + held[short]) + off), -inf)
                s[short, q.argmax(axis=1)] += 1
            if over.size:
                d = step * (s[over] + held[over] - 1) + off
                q = np.where(s[over] > 0, vf[over] / d, inf)
                s[over, q.argmin(axis=1)] -= 1
    filled = s.sum(axis=1) == h
    chunk = max(1, _EXACT_CELLS // (m * m))
    for lo in range(0, k, chunk):
        hi = min(k, lo + chunk)
        sv, vv, pv = s[lo:hi], v[lo:hi], held[lo:hi]
        nxt = step * (sv + pv) + off  # d(s_i) times step-units: next quotient v_i / nxt_i
        lst = nxt - step  # last quotient v_j / lst_j, for j with a seat
        # next_i > last_j  <=>  v_i * lst_j > v_j * nxt_i
        lhs = vv[:, :, None] * lst[:, None, :]
        rhs = vv[:, None, :] * nxt[:, :, None]
        pair = ok[lo:hi, :, None] & (sv > 0)[:, None, :]
        above = ((lhs > rhs) & pair).any(axis=(1, 2))
        equal = (lhs == rhs) & pair
        proved = filled[lo:hi] & ~above
        result.done[lo:hi] = proved
        result.seats[lo:hi] = sv
        tied = np.flatnonzero(proved & equal.any(axis=(1, 2)))
        if not tied.size:
            continue
        at_tie = equal[tied]
        lose, win = at_tie.any(axis=2), at_tie.any(axis=1)
        rows_at = (lo + tied).tolist()
        vectorised = policy in ("order", "error")  # (names differ: allocate checks them)
        if vectorised and policy == "order":
            # the seats do not depend on the record: "order" gives the contested seats to the
            # tied parties listed first (a party is a loser or a winner of its row's tie, never
            # both: its own next quotient is below its last), for every row at once
            tie = lose | win
            chosen = tie & (np.cumsum(tie, axis=1) <= win.sum(axis=1)[:, None])
            result.seats[lo + tied] += (lose & chosen).astype(np.int64) - (win & ~chosen)
            if not records:
                result.events.update(dict.fromkeys(rows_at))
                continue
        # one conversion to lists for all the tied rows, then plain Python per row
        loser_rows, winner_rows = lose.tolist(), win.tolist()
        at_rows = (sv[tied] + pv[tied]).tolist()
        vote_rows = vv[tied].tolist()
        if vectorised:  # the records (and under "error" the errors) are built when wanted
            into = result.events if policy == "order" else result.errors
            for t, is_loser, is_winner, at, votes in zip(
                rows_at, loser_rows, winner_rows, at_rows, vote_rows, strict=True
            ):
                into[t] = functools.partial(
                    _tie_event, names, show, is_loser, is_winner, at, votes, int(h[t]), policy, seeds[t]
                )
            continue
        for t, is_loser, is_winner, at, votes in zip(
            rows_at, loser_rows, winner_rows, at_rows, vote_rows, strict=True
        ):
            try:
                event = _tie_event(names, show, is_loser, is_winner, at, votes, int(h[t]), policy, seeds[t])
            except TieError as err:
                result.errors[t] = err
                continue
            chosen_names = set(event.winners)
            for c in range(m):
                if is_winner[c] and names[c] not in chosen_names:
                    result.seats[t, c] -= 1
                elif is_loser[c] and names[c] in chosen_names:
                    result.seats[t, c] += 1
            result.events[t] = event
    return result


def _tie_event(
    names: tuple[str, ...],
    show: Callable[[int], str],
    is_loser: list[bool],
    is_winner: list[bool],
    at: list[int],
    votes: list[int],
    size: int,
    policy: str,
    seed: int | None,
) -> TieEvent:
    """The record of one row's tie (:func:`_exact_linear`), settled by the same policy call, with
    the same tied options, contested seats and quotients, as the scalar engine's; raises its
    :class:`TieError` when the policy refuses. ``is_loser``: parties whose next quotient is in
    the tie; ``is_winner``: parties whose last quotient is; ``at``: seats held, prior included."""
    order = [c for c in range(len(names)) if is_loser[c] or is_winner[c]]
    detail = " = ".join(f"{names[c]} {votes[c]}/{show(at[c] - 1 if is_winner[c] else at[c])}" for c in order)
    contested = sum(is_winner)
    return settle(
        [names[c] for c in order],
        contested,
        votes={names[c]: votes[c] for c in order},
        policy=policy,
        seats=tuple(range(size - contested + 1, size + 1)),
        detail=detail,
        seed=seed,  # the tied options are in listed order: no order= needed
    )


_DAMPING = 0.7  # of the Newton step on the divisor of the linear path
_WALK = 4  # seats a row may be off after the Newton step and still be walked, not solved exactly


@dataclass(slots=True)
class _Walk:
    """Columns of a block still seats off after :func:`_walk_rows` moved one: walked on later,
    with those of a thread's other blocks (numpy's cost per call is then paid once, not per
    block)."""

    cols: IntArray  # their rows in the batch (in the block, until the block's start is added)
    s: FloatArray  # their seats so far (parties x columns)
    inv: FloatArray  # signed 1 / v (parties x columns)
    ash: FloatArray  # a, less 1 where seats are taken back: (columns,), or parties x columns
    sign: FloatArray  # +1 seats to give, -1 to take back
    need: FloatArray  # seats to move in all, 2 to _WALK


def _walk_rows(
    s: FloatArray,
    vf: FloatArray,
    off_by: FloatArray,
    a: float | FloatArray,
    mask: bool,
    work: FloatArray | None = None,
) -> tuple[BoolArray, _Walk | None]:
    """Move the first of ``off_by`` seats into (``> 0``) or out of (``< 0``) each column of ``s``
    (in place); which columns one seat off are certified, and the columns 2 to ``_WALK``
    seats off, for :func:`_walk_on`. ``vf`` (the votes, as floats) is overwritten, and
    ``work`` (an array of its shape, if given) is computed in.

    Every column's ``x = c * v + beta`` is clear of whole numbers, so at its divisor
    every next quotient is below and every last one above the divisor: the missing
    seats go, one at a time, to the smallest inverse next quotient ``w = (s + a) / v``
    (the extra ones come from the largest inverse last quotient ``u = (s + a - 1) / v``),
    and the result is the divisor method's allocation, untied, when the seat moved
    last is ahead of every quotient left by more than float error. Both directions
    are walked at once on ``q = (s + a - [sign < 0]) * sign / v``, always to the
    smallest ``q``. ``a`` is ``offset / step`` (plus each party's prior seats,
    parties x columns); ``mask``: a party without seats has no last quotient even
    where ``s + a - 1`` is positive. A party without votes (``v = 0``) never moves:
    its ``q`` is ``+inf``, or ``nan`` (``0 * inf``), which the reductions pass over
    (``fmin``). A column with ``off_by`` 0 (sign 0) moves nothing and is not
    certified here, nor is one more than ``_WALK`` seats off.
    """
    sign = np.sign(off_by).astype(s.dtype, copy=False)  # float32 blocks stay float32
    # q = (s + ash) * inv: ash is a, less 1 on the columns that give seats back; inv is 1 / v,
    # signed (one division; multiplying is much faster)
    # (a column with sign 0 moves nothing, whatever its ash; np.where is several times slower)
    ash = (a + np.minimum(sign, 0.0)).astype(s.dtype, copy=False)
    inv = np.divide(sign, vf, out=vf)
    need = np.abs(off_by)
    q = _signed(s, inv, ash, mask, work)
    best = np.fmin.reduce(q, axis=0)
    single = _move(s, q, best, sign)
    later = None
    more = np.flatnonzero((need > 1) & (need <= _WALK) & single)
    if more.size:  # the columns a second seat or more off: copied out, walked with the next blocks'
        later = _Walk(
            more,
            s.take(more, axis=1),
            inv.take(more, axis=1),
            ash.take(more, axis=ash.ndim - 1),
            sign[more],
            need[more],
        )
    return _certify(s, inv, ash, mask, sign, best, single & (need == 1), work), later


def _walk_on(parts: list[_Walk], mask: bool) -> tuple[IntArray, FloatArray, BoolArray]:
    """The columns :func:`_walk_rows` left 2 to ``_WALK`` seats off, of any number of blocks at
    once: walked on to their house, one seat per column per step, and certified by the seat
    moved last. Returns their rows, seats (parties x columns) and which are certified."""
    if len(parts) == 1:
        p = parts[0]
        cols, s, inv, ash, sign, need = p.cols, p.s, p.inv, p.ash, p.sign, p.need
    else:
        cols = np.concatenate([p.cols for p in parts])
        s = np.concatenate([p.s for p in parts], axis=1)
        inv = np.concatenate([p.inv for p in parts], axis=1)
        ash = np.concatenate([p.ash for p in parts], axis=-1)
        sign = np.concatenate([p.sign for p in parts])
        need = np.concatenate([p.need for p in parts])
    single: BoolArray = np.ones(cols.size, dtype=bool)
    last = np.zeros(cols.size)
    for step in range(2, _WALK + 1):  # every column moves at step 2 (need >= 2)
        q = _signed(s, inv, ash, mask)
        best = np.fmin.reduce(q, axis=0)
        active = need >= step
        single &= ~active | _move(s, q, best, sign * active)
        last = np.where(active, best, last)
        if not (need > step).any():
            break
    return cols, s, _certify(s, inv, ash, mask, sign, last, single)


def _move(s: FloatArray, q: FloatArray, best: FloatArray, sign: FloatArray) -> BoolArray:
    """Move a seat in each column of ``s`` (in place: ``sign`` +1 gives one, -1 takes one back, 0
    moves none) at the party whose ``q`` is the column's ``best``; which columns have exactly one
    such party (where several tie, each moves, and the column is never certified). ``q`` is
    overwritten."""
    moved = np.equal(q, best, out=q)  # 1.0 where the smallest q is, else 0.0
    single: BoolArray = np.add.reduce(moved, axis=0) == 1.0
    moved *= sign
    s += moved
    return single


def _certify(
    s: FloatArray,
    inv: FloatArray,
    ash: FloatArray,
    mask: bool,
    sign: FloatArray,
    last: FloatArray,
    single: BoolArray,
    work: FloatArray | None = None,
) -> BoolArray:
    """Columns (among ``single``) whose seat moved last, at ``last``, is ahead of every quotient
    left: ``w_min > last`` (giving), ``u_max < last`` (taking back; there ``q = -u``), by a margin
    float error cannot close (float32 quotients: a wider one). ``work``: an array of the shape
    of ``s`` to compute in, if given."""
    edge = np.fmin.reduce(_signed(s, inv, ash, mask, work), axis=0)
    tol = 4 * (_TOL if s.dtype == np.float64 else _TOL32_WALK)
    # giving (q = w >= 0): edge > last * (1 + tol); taking back (last = -u < 0): edge * (1 + tol)
    # > last, which holds whenever edge > 0; both at once, without a select (np.where is slow).
    # In float32 too: edge - last is exact when they are within a factor 2 of each other
    # (same sign), and far larger than the bound when not; the bound's own rounding (2**-24 of
    # it) is far inside the factor 2 that tol keeps to spare
    certified: BoolArray = single & (edge - last > tol * np.maximum(last, -edge))
    return certified


def _signed(
    s: FloatArray, inv: FloatArray, ash: FloatArray, mask: bool, out: FloatArray | None = None
) -> FloatArray:
    """``(s + ash) * inv``: ``w = (s + a) / v`` where seats are given (``inv = 1 / v``), ``-u =
    (s + a - 1) / -v`` where they are taken back (``inv = -1 / v``; ``+inf`` for a party
    without seats when ``mask``); into ``out`` if given."""
    q = np.add(s, ash, out=out)
    q *= inv
    if mask:
        np.putmask(q, (s == 0.0) & (inv < 0.0), np.inf)
    return q


def _quota_parts(method: str, total: IntArray, house: int) -> tuple[IntArray, IntArray] | None:
    """Quota as ``num / den`` per row, for the largest-remainder quotas."""
    if method == "hare":
        return total, np.full_like(total, house)
    if method == "droop":
        return total // (house + 1) + 1, np.ones_like(total)
    if method == "hagenbach-bischoff-quota":
        return total, np.full_like(total, house + 1)
    if method == "imperiali-quota":
        return total, np.full_like(total, house + 2)
    return None


def _lr_rows(spec: MethodSpec, v: IntArray, ok: BoolArray, house: int) -> tuple[IntArray, BoolArray]:
    vv = np.where(ok, v, 0)
    total = vv.sum(axis=1)
    parts = _quota_parts(spec.id, total, house)
    rows, parties = v.shape
    if parts is None or house == 0 or int(vv.max(initial=0)) * (house + 2) >= 2**62:
        return np.zeros_like(v), np.zeros(rows, dtype=bool)
    num, den = parts
    safe_num = np.where(num > 0, num, 1)
    scaled = vv * den[:, None]
    floors = scaled // safe_num[:, None]
    rem = np.where(ok, scaled % safe_num[:, None], -1)
    left = house - floors.sum(axis=1)
    contenders = ok.sum(axis=1)
    order = np.argsort(-rem, axis=1, kind="stable")
    ranked = np.take_along_axis(rem, order, axis=1)
    rank_of = np.empty_like(order)
    np.put_along_axis(rank_of, order, np.arange(parties)[None, :].repeat(rows, axis=0), axis=1)
    extra = (rank_of < left[:, None]).astype(np.int64)
    seats = floors + extra
    idx = np.clip(left - 1, 0, parties - 1)
    nxt_idx = np.clip(left, 0, parties - 1)
    at_cut = np.take_along_axis(ranked, idx[:, None], axis=1)[:, 0]
    after = np.take_along_axis(ranked, nxt_idx[:, None], axis=1)[:, 0]
    strict = (left <= 0) | (left >= contenders) | (at_cut != after)
    certified = (left >= 0) & (left < np.maximum(contenders, 1)) & strict & (total > 0)
    certified &= (left == 0) | (left < contenders)
    return seats, certified


def _plurality_rows(spec: MethodSpec, v: IntArray, ok: BoolArray, house: int) -> tuple[IntArray, BoolArray]:
    rows, parties = v.shape
    key = np.where(ok, v, -1)
    order = np.argsort(-key, axis=1, kind="stable")
    ranked = np.take_along_axis(key, order, axis=1)
    seats = np.zeros_like(v)
    if house == 0:
        return seats, np.ones(rows, dtype=bool)
    if house > parties or (spec.id == "plurality" and house > 1):
        return seats, np.zeros(rows, dtype=bool)
    np.put_along_axis(seats, order[:, :house], 1, axis=1)
    cut = ranked[:, house - 1]
    strict = cut > 0
    if house < parties:
        strict &= cut != ranked[:, house]
    return seats, strict


_Solver = Callable[[MethodSpec, IntArray, BoolArray, int], tuple[IntArray, BoolArray]]
_SOLVERS: dict[str, _Solver] = {
    "divisor": _divisor_rows,
    "largest-remainder": _lr_rows,
    "plurality": _plurality_rows,
}


def _as_houses(seats: object, rows: int) -> Houses:
    """The house size: one int for every row, or a 1-D int array with one per row."""
    if np.ndim(seats) == 0:  # type: ignore[arg-type]
        return check_house(seats.item() if isinstance(seats, np.generic) else seats)
    arr = np.asarray(seats)
    if arr.ndim != 1 or arr.shape[0] != rows:
        raise InvalidSeatsError(
            "seats must be one number or one per election: an array of shape "
            f"({rows},), got shape {arr.shape}"
        )
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.floor(arr))
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise InvalidSeatsError(
                f"the number of seats must be a whole number; row {r} is {arr[r].item()!r}"
            )
    elif arr.dtype.kind not in "iu":
        raise InvalidSeatsError(f"the numbers of seats must be an integer array, got dtype {arr.dtype}")
    if arr.size and arr.min() < 0:
        r = int(np.flatnonzero(arr < 0)[0])
        raise InvalidSeatsError(f"the number of seats must not be negative; row {r} is {arr[r]}")
    if arr.size and arr.max() >= 2**52:
        raise InvalidSeatsError("a house of 2**52 seats or more is too large for the batch path")
    return arr.astype(np.int64)


def _as_prior(prior: Any, shape: tuple[int, int], spec: MethodSpec) -> IntArray | None:
    """Seats already held, ``(elections x parties)`` non-negative ints; ``None`` when all are 0."""
    if spec.family != "divisor":
        raise InvalidSeatsError(
            f"prior seats apply to divisor methods only; {spec.id!r} is a {spec.family} method"
        )
    arr = np.asarray(prior)
    if arr.ndim == 1 and shape[0] == 1:
        arr = arr[None, :]
    if arr.shape != shape:
        raise InvalidSeatsError(f"prior must have the shape of the votes {shape}, got shape {arr.shape}")
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.floor(arr))
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise InvalidSeatsError(
                f"prior seats must be whole numbers; row {r}, column {c} is {arr[r, c].item()!r}"
            )
    elif arr.dtype.kind not in "iu":
        raise InvalidSeatsError(f"prior seats must be an integer array, got dtype {arr.dtype}")
    if arr.size and arr.min() < 0:
        r, c = np.argwhere(arr < 0)[0]
        raise InvalidSeatsError(f"prior seats must not be negative; row {r}, column {c} is {arr[r, c]}")
    if arr.size and arr.max() >= 2**52:
        raise InvalidSeatsError("prior seats of 2**52 or more are too large for the batch path")
    if not arr.any():
        return None
    return arr.astype(np.int64)


def _solve(
    spec: MethodSpec, solver: _Solver, v: IntArray, ok: BoolArray, house: Houses, prior: IntArray | None
) -> tuple[IntArray, BoolArray]:
    """The family's vectorised solver on every row, with one house for all or one per row.

    The linear divisor path reads int64 votes a block at a time, in float32 where they allow it
    (their range is checked again there: one cheap pass per block)."""
    sp = spec.signpost
    if spec.family == "divisor" and isinstance(sp, LinearSignpost) and _linear_vectorised(sp):
        return _linear_rows(sp, v, ok, house, prior, narrow=None if v.dtype == np.int64 else False)
    if isinstance(house, int):
        if prior is not None:
            return _divisor_rows(spec, v, ok, house, prior)
        return solver(spec, v, ok, house)
    seats = np.zeros_like(v)
    certified = np.zeros(v.shape[0], dtype=bool)
    for h in np.unique(house).tolist():  # one call per distinct house size
        idx = np.flatnonzero(house == h)
        if prior is not None:
            seats[idx], certified[idx] = _divisor_rows(spec, v[idx], ok[idx], int(h), prior[idx])
        else:
            seats[idx], certified[idx] = solver(spec, v[idx], ok[idx], int(h))
    return seats, certified


def allocate(
    votes: Any,
    seats: int | npt.ArrayLike,
    *,
    method: str | MethodSpec | Callable[[int], Any] = "dhondt",
    threshold: object = None,
    ties: str = "error",
    seed: int | None = None,
    parties: Sequence[str] | None = None,
    prior: npt.ArrayLike | None = None,
    **options: Any,
) -> BatchAllocation:
    """Apportion every row of ``votes``; same seats as :func:`seats.apportion` row by row.

    Parameters
    ----------
    votes:
        ``(elections x parties)`` whole, non-negative numbers (one row: one election).
    seats:
        The house size: one int for every row, or a 1-D int array with one per row (0 allowed).
    method, threshold, ties, seed:
        As for :func:`seats.apportion`; with ``ties="lot"`` row ``r`` draws with ``seed + r``.
    parties:
        Names of the columns, all different, used in tie reports (default ``p0, p1, ...``).
    prior:
        Divisor methods: ``(elections x parties)`` seats each party already holds; its
        divisors start after them, as ``seats.apportion(..., prior_seats=...)`` does row by row.
    **options:
        Other options of the method (seat bounds, ``overflow``, ...), solved row by row.

    With ``ties="error"`` (default) a :class:`~seats.errors.TieError` lists every
    row with a deciding tie (its ``rows`` attribute holds them all). Other
    policies settle each tie as the scalar engine does. Options the fast path
    does not vectorise (seat bounds, the quota method, custom signposts) are
    solved row by row by the exact engine.

    Examples
    --------
    >>> import numpy as np
    >>> res = allocate(np.array([[1, 1], [3, 1]]), 1, method="dhondt", ties="order")
    >>> res.seats.tolist(), res.tie_rows.tolist()
    ([[1, 0], [1, 0]], [0])
    >>> allocate(np.array([[60, 40], [60, 40]]), [5, 0], prior=[[3, 0], [0, 0]]).seats.tolist()
    [[2, 3], [0, 0]]
    """
    return _allocate(
        votes,
        seats,
        method=method,
        threshold=threshold,
        ties=ties,
        seed=seed,
        parties=parties,
        prior=prior,
        report=True,
        **options,
    )


def _allocate(
    votes: Any,
    seats: int | npt.ArrayLike,
    *,
    method: str | MethodSpec | Callable[[int], Any] = "dhondt",
    threshold: object = None,
    ties: str = "error",
    seed: int | None = None,
    parties: Sequence[str] | None = None,
    prior: npt.ArrayLike | None = None,
    report: bool,
    **options: Any,
) -> BatchAllocation:
    """:func:`allocate`; ``report=False`` (:func:`apportion`, which returns only the seats) leaves
    ``ties`` empty when building the records costs time (the seats, ``tie_rows`` and any
    :class:`TieError` are the same)."""
    policy = check_policy(ties)
    spec = resolve(method)
    sp = spec.signpost
    solver = _SOLVERS.get(spec.family)
    vectorisable = solver is not None and not options and spec.id != "custom"
    # a linear divisor method's rows go to the linear path (certified by floats), then the rows
    # it could not certify to the vectorised exact path, and only then to the exact engine
    linear = vectorisable and isinstance(sp, LinearSignpost) and _linear_vectorised(sp)
    # without a threshold the linear path checks the votes' range itself, a block at a time
    v, narrow = _as_matrix(votes, check=not linear or threshold is not None)
    rows, width = v.shape
    house = _as_houses(seats, rows)
    held = None if prior is None else _as_prior(prior, (rows, width), spec)
    names = tuple(parties) if parties is not None else tuple(f"p{j}" for j in range(width))
    if len(names) != width:
        raise InvalidVotesError(f"{len(names)} party names for {width} columns")
    if len(set(names)) != width:  # a tie is settled by name: two columns of one name would both win
        twice = next(n for j, n in enumerate(names) if n in names[:j])
        raise InvalidVotesError(f"party names must differ; {twice!r} names more than one column")
    thr = as_fraction(threshold) if threshold is not None else None
    vectorisable = vectorisable and rows > 0
    straight = vectorisable and linear
    # without a threshold the linear path needs no eligibility mask (a party without votes
    # takes no seat there); the exact path makes its own for the few rows it gets
    ok = None if straight and thr is None else _eligible(v, thr)
    given = v if ok is None or thr is None else np.where(ok, v, 0)
    if vectorisable and solver is not None:
        # every solver masks by ok; with a threshold, zeroing the parties below it first lets
        # the linear divisor path read the votes as they are
        if ok is None:
            assert isinstance(sp, LinearSignpost)
            out, certified = _linear_rows(sp, given, None, house, held, narrow=narrow)
        else:
            out, certified = _solve(spec, solver, given, ok, house, held)
    else:
        out, certified = np.zeros_like(v), np.zeros(rows, dtype=bool)
    tie_rows: list[int] = []
    settled: list[tuple[int, TieEvent]] = []
    errors: list[tuple[int, TieError | Callable[[], TieEvent]]] = []
    pending = np.flatnonzero(~certified)
    left = pending
    if straight and pending.size:
        assert isinstance(sp, LinearSignpost)
        exact = _exact_linear(
            sp,
            given[pending],
            given[pending] > 0 if ok is None else ok[pending],
            out[pending],
            house if isinstance(house, int) else house[pending],
            None if held is None else held[pending],
            names,
            policy,
            [None if seed is None else seed + r for r in pending.tolist()],
            records=report,
        )
        out[pending[exact.done]] = exact.seats[exact.done]
        at = pending.tolist()
        for pos, event in exact.events.items():
            tie_rows.append(at[pos])
            if report:
                assert event is not None  # records are built whenever they are reported
                settled.append((at[pos], event if isinstance(event, TieEvent) else event()))
        for pos, err in exact.errors.items():
            tie_rows.append(at[pos])
            errors.append((at[pos], err))
        left = pending[~exact.done]
    for r in left.tolist():
        row_seed = None if seed is None else seed + r
        row_house = house if isinstance(house, int) else int(house[r])
        row_prior = None if held is None else {names[j]: int(k) for j, k in enumerate(held[r]) if k}
        try:
            row = tuple(v[r].tolist())
            if straight:
                assert isinstance(sp, LinearSignpost)
                alloc = exact_divisor(
                    sp,
                    spec.id,
                    names,
                    row,
                    row_house,
                    thr,
                    policy=policy,
                    seed=row_seed,
                    prior_seats=row_prior,
                )
            else:
                extra = dict(options) if row_prior is None else {**options, "prior_seats": row_prior}
                alloc = spec(names, row, row_house, threshold=thr, ties=policy, seed=row_seed, **extra)
        except TieError as err:
            errors.append((r, err))
            tie_rows.append(r)
            continue
        except InvalidVotesError as err:
            raise InvalidVotesError(f"row {r}: {err}") from None
        out[r] = [alloc.seats[p] for p in names]
        if alloc.ties:
            tie_rows.append(r)
            settled.extend((r, t) for t in alloc.ties)
    if errors:
        errors.sort(key=lambda e: e[0])
        shown = ", ".join(str(r) for r, _ in errors[:10])
        more = f" and {len(errors) - 10} more" if len(errors) > 10 else ""
        first = _refusal(errors[0][1])
        batch_error = TieError(
            f"{len(errors)} of {rows} elections have a tie that decides a seat (rows {shown}{more}); "
            f"first: {first}",
            first.event,
        )
        batch_error.rows = [r for r, _ in errors]  # type: ignore[attr-defined]
        raise batch_error
    settled.sort(key=lambda e: e[0])  # stable: a row's ties keep their order
    tied = np.asarray(sorted(tie_rows), dtype=np.int64)
    return BatchAllocation(out, tied, tuple(settled), int(pending.size))


def _refusal(err: TieError | Callable[[], TieEvent]) -> TieError:
    """The error of a refused tie: ``err``, or the one it raises when called (:class:`_Exact`)."""
    if isinstance(err, TieError):
        return err
    try:
        event = err()
    except TieError as raised:
        return raised
    raise AssertionError(f"a refused tie was settled: {event}")  # pragma: no cover


def apportion(votes: Any, seats: int | npt.ArrayLike, **kwargs: Any) -> IntArray:
    """Seats of every row of ``votes`` (see :func:`allocate`), as an int array of the same shape.

    ``seats`` is one house size for every row or a 1-D array with one per row. The seats and
    any :class:`~seats.errors.TieError` are :func:`allocate`'s; the records of settled ties,
    which only :func:`allocate` returns, are not built.

    Examples
    --------
    >>> import numpy as np
    >>> apportion(np.array([[6, 6, 2]]), 10, method="hare").tolist()
    [[4, 4, 2]]
    >>> apportion(np.array([[70, 50, 20], [70, 50, 20]]), [3, 8], method="sainte-lague").tolist()
    [[2, 1, 0], [4, 3, 1]]
    """
    return _allocate(votes, seats, report=False, **kwargs).seats
