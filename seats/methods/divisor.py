"""Divisor (highest-averages) methods: one engine, differing only in the signpost.

The engine estimates a divisor with floats, rounds every party's ``votes / D``
with the method's signposts, then corrects the allocation with exact integer
comparisons until no party outside the house has a larger quotient than a party
inside it. Floats only pick the starting point and the few candidates worth an
exact look; every comparison that could decide a seat is done on integers. The
work grows with the number of parties, not with the house size.

The common case (a linear signpost with ``d(0) > 0``: D'Hondt, Sainte-Laguë,
Danish, Imperiali; no seat bounds or prior seats) first tries a fast path: floats
propose the whole allocation, and it is accepted only when the largest quotient
outside is below the smallest inside by a margin float error cannot close, which
proves it exactly and shows there is no tie; the certificate's bounds are then
computed exactly. Anything else (a tie, a near-tie) goes to the general engine.
Votes beyond float range are scaled down by a power of two before a float sees
them, and every comparison is then exact.

Examples
--------
>>> from seats.methods.divisor import divisor_method
>>> from seats.methods.signposts import SAINTE_LAGUE
>>> a = divisor_method(("A", "B", "C"), (4160, 3380, 2460), 10, signpost=SAINTE_LAGUE)
>>> dict(a.seats)
{'A': 4, 'B': 3, 'C': 3}
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from functools import partial

import numpy as np
import numpy.typing as npt

from seats.errors import InvalidSeatsError, InvalidVotesError
from seats.methods._input import as_fraction, eligible, normalise_bounds, ones_of, packed_votes
from seats.methods.signposts import LinearSignpost, Signpost, compare
from seats.methods.ties import check_policy, settle
from seats.results import Allocation, Deferred, DivisorCertificate, TieEvent

__all__ = ["divisor_method", "fast_divisor", "quotient_text"]

_TOL = 1e-9
_FLOAT_BITS = 1000  # votes of more bits are scaled down before any float sees them
_NUMPY_FROM = 24  # parties from which the fast path proposes with numpy rather than lists
_SEQUENTIAL = 2  # seats short or over that the numpy fast path settles one at a time
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


def quotient_text(sp: Signpost, party: str, v: int, s: int) -> str:
    """``'A 100000/7'``: a party's quotient for its seat number ``s + 1``."""
    return f"{party} {v}/{sp.show(s)}"


def _estimate(
    sp: Signpost, v: np.ndarray, off: np.ndarray, lo: np.ndarray, hi: np.ndarray, house: int
) -> list[int]:
    """Seats from a float divisor whose total is close to ``house`` (a starting point)."""
    total = float(v.sum())
    divisor = total / house
    best: np.ndarray | None = None
    best_gap = math.inf
    low_d, high_d = 0.0, math.inf  # divisors known to give too many / too few seats
    for _ in range(40):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            counts = np.clip(sp.estimate(v / divisor) - off, lo, hi)
        got = float(counts.sum())
        gap = abs(got - house)
        if gap < best_gap:
            best, best_gap = counts, gap
        if gap <= 1:
            break
        if got > house:
            low_d = max(low_d, divisor)
        else:
            high_d = min(high_d, divisor)
        guess = divisor * got / house if got > 0 else divisor / 2
        if not low_d < guess < high_d:
            guess = (low_d + high_d) / 2 if math.isfinite(high_d) else divisor * 2
        divisor = guess
    assert best is not None
    return [int(c) for c in best]


def _linear_fast(
    sp: LinearSignpost,
    method: str,
    parties: tuple[str, ...],
    votes: tuple[int, ...],
    house: int,
    thr: Fraction | None,
) -> Allocation | None:
    """The common case (linear signpost with ``d(0) > 0``, no bounds or prior seats), or ``None``.

    Floats propose the seats: a closed-form divisor ``D`` (the sum of the rounded
    ``votes / D`` is ``V / D`` minus about half a seat per party), at most a few
    Newton steps on it, then one seat at a time by the float quotients. The result
    is accepted only when the largest next quotient is below the smallest last
    quotient by far more than float error (each quotient is an int-by-int true
    division, correctly rounded: relative error at most 2**-53); the certificate's
    bounds are then computed exactly. ``None`` (a near-tie, a tie, votes beyond float
    range, nothing to share) hands the input to the general engine. From
    ``_NUMPY_FROM`` parties the proposal is made with numpy (:func:`_numpy_fast`).
    """
    if len(votes) >= _NUMPY_FROM and house < 2**52:
        return _numpy_fast(sp, method, parties, votes, house, thr)
    step, off, scale = sp.step, sp.offset, sp.scale
    if thr:
        passes = eligible(votes, thr)
        idx: list[int] | None = [i for i in range(len(votes)) if passes[i] and votes[i] > 0]
        excluded = tuple(p for p, ok in zip(parties, passes, strict=True) if not ok)
    elif 0 in votes:
        idx = [i for i in range(len(votes)) if votes[i] > 0]
        excluded = ()
    else:
        idx = None
        excluded = ()
    v = votes if idx is None else [votes[i] for i in idx]
    m = len(v)
    if not m:
        return None
    total = sum(v)
    if total.bit_length() > _FLOAT_BITS or house.bit_length() > _FLOAT_BITS:
        return None  # floats could overflow: the general engine scales them
    found = _propose_python(step, off, scale, v, house, total)
    if found is None:
        return None
    s, losers, winners = found
    # the float extremes are unique unless another quotient is within float error of
    # them; then the exact extreme among those few is found by cross-multiplication
    loser = _exact_last(sp, v, s, losers, 0, +1)
    winner = _exact_last(sp, v, s, winners, -1, -1)
    if idx is None:
        seats_out = s
    else:
        seats_out = [0] * len(votes)
        for k, i in enumerate(idx):
            seats_out[i] = s[k]
    certificate = _certificate(sp, v[loser], s[loser], v[winner], s[winner], excluded)
    return Allocation.build(method, house, parties, votes, seats_out, (), certificate, excluded, thr)


def _exact_last(sp: LinearSignpost, v: Sequence[int], s: Sequence[int], ks: list[int], shift: int,
                sign: int) -> int:
    """Among ``ks`` (quotients equal as floats), the one whose quotient for seat number
    ``s[k] + shift + 1`` is the largest (``sign=+1``) or the smallest (``sign=-1``), exactly."""
    best = ks[0]
    for k in ks[1:]:
        if compare(sp, v[k], s[k] + shift, v[best], s[best] + shift) == sign:
            best = k
    return best


def _certificate(
    sp: LinearSignpost, v_next: int, s_next: int, v_last: int, s_last: int, excluded: tuple[str, ...]
) -> DivisorCertificate:
    """The certificate of an untied fast-path allocation: the largest quotient outside the
    house (party with ``v_next`` votes and ``s_next`` seats) and the smallest inside."""
    step, off, scale = sp.step, sp.offset, sp.scale
    return DivisorCertificate(
        signpost=sp,
        lower=Fraction(v_next * scale, step * s_next + off),
        upper=Fraction(v_last * scale, step * s_last + off - step),
        squared=False,
        bounds={},
        excluded=excluded,
        tie_winners=(),
        is_tie=False,
        prior={},
    )


def _numpy_fast(
    sp: LinearSignpost,
    method: str,
    parties: tuple[str, ...],
    votes: tuple[int, ...],
    house: int,
    thr: Fraction | None,
) -> Allocation | None:
    """:func:`_linear_fast` for many parties: every per-party step is one numpy call.

    Party ``i`` competes with ``w_i = (s_i + a) / v_i`` for its next seat and gave its
    last one at ``u_i = (s_i + a - 1) / v_i`` (``a = off / step``): ``scale / step``
    times the inverse of its quotients, so the order is reversed and nothing is
    infinite (``u_i <= 0`` for a party without seats). Each is a few correctly
    rounded float operations away from the exact value: a relative error below
    2**-50, far below the margin. When the divisor leaves the house ``r`` seats
    short (over), the ``r`` smallest ``w`` (largest ``u``) take (give up) one seat
    each; a party that needed two is caught by the margin check, and the input goes
    to the general engine. Zero-vote parties sit out; only a threshold costs a
    Python loop over the parties.
    """
    step, off = sp.step, sp.offset
    n = len(votes)
    excluded: tuple[str, ...] = ()
    idx: IntArray | None = None
    if thr:
        passes = eligible(votes, thr)
        excluded = tuple(p for p, ok in zip(parties, passes, strict=True) if not ok)
        if excluded:
            idx = np.flatnonzero(np.array(passes, dtype=np.bool_))
    total = sum(votes) if idx is None else sum(votes[i] for i in idx.tolist())
    if not total or total.bit_length() > _FLOAT_BITS:
        return None  # nothing to share, or floats could overflow: the general engine
    packed = packed_votes(votes)  # unsigned 64-bit ints, then floats: faster than float by float
    if packed is not None:
        va = np.array(packed, dtype=np.float64)  # read through the buffer, converted in one call
    else:  # votes of 64 bits or more (below the threshold, maybe far more)
        va = np.zeros(n, dtype=np.float64)
        for i in range(n) if idx is None else idx.tolist():
            va[i] = votes[i]
    if idx is not None:
        va = va[idx]
    if not va[va.argmin()]:  # zero-vote parties take no part
        keep = np.flatnonzero(va)
        va = va[keep]
        idx = keep if idx is None else idx[keep]
    m = len(va)
    a = off / step
    beta = 1.0 - a
    total_f = float(total)
    c = (house - m * (beta - 0.5)) / total_f
    ones = ones_of(m, np.float64)
    previous: tuple[float, int] | None = None
    for _ in range(6):  # steps on the divisor while far off
        if not 0 < c < math.inf:
            return None
        s = va * c
        if beta == 0.5:  # Sainte-Lague: rounding to nearest, one call (at an exact half
            np.rint(s, out=s)  # it rounds to even, but a proposal only has to be near)
        else:
            if beta:
                s += beta
            np.floor(s, out=s)
        if beta < 0:
            np.maximum(s, 0.0, out=s)
        got = int(s.dot(ones))  # whole numbers below 2**53: exact in any order of addition
        if abs(got - house) <= _SEQUENTIAL:
            break
        if previous is None and got > house:
            # c falls: a party without seats keeps none, so the seats move with the votes
            # of the others only (a long tail of small parties makes that far less than V)
            held = float(va.dot(np.minimum(s, ones)))  # got > house > 0: someone holds seats
            lower = c + (house - got) / held
            if lower > 0:
                previous, c = (c, got), lower
                continue
        previous, c = (c, got), _next_c(c, got, previous, house, total_f)
    if a == 1.0:  # D'Hondt: the last seat's inverse quotient is s / v
        w = (s + ones) / va  # an array operand: cheaper than a Python float for numpy
        u = s / va
    else:
        d = s + a
        w = d / va
        d -= 1.0
        if a > 1:
            d *= s > 0
        u = np.divide(d, va, out=d)
    r = abs(house - got)
    if r > _SEQUENTIAL:
        if r > m:
            return None
        if got < house:  # the r smallest w take one more seat each
            pick = np.argpartition(w, r - 1)[:r]
            s[pick] += 1.0
            u[pick] = w[pick]
            w[pick] = (s[pick] + a) / va[pick]
        else:  # the r largest u give one back each
            pick = np.argpartition(u, m - r)[m - r :]
            if not (u[pick] > 0).all():
                return None
            s[pick] -= 1.0
            w[pick] = u[pick]
            last = s[pick] + (a - 1.0)
            if a > 1:
                last *= s[pick] > 0
            u[pick] = last / va[pick]
    elif got < house:  # a few seats: one at a time, to the smallest w (as the rule says)
        for _ in range(r):  # Python floats: the same IEEE operations as numpy's, cheaper
            k = int(w.argmin())
            held = s.item(k) + 1.0
            s[k] = held
            u[k] = w.item(k)
            w[k] = (held + a) / va.item(k)
    else:
        for _ in range(r):  # taken back one at a time from the largest u
            k = int(u.argmax())
            top = u.item(k)
            if not top > 0:  # nobody holds a seat to give back
                return None
            held = s.item(k) - 1.0
            s[k] = held
            w[k] = top
            u[k] = (held + (a - 1.0)) / va.item(k) if held or a <= 1 else 0.0
    k_next = int(w.argmin())
    k_last = int(u.argmax())
    w_min = w.item(k_next)
    u_max = u.item(k_last)
    if not w_min > u_max * (1 + 4 * _TOL):
        return None
    seats: list[int] = s.astype(np.int64).tolist()
    if idx is None:
        v: Sequence[int] = votes
        seats_out = seats
    else:
        v = [votes[i] for i in idx.tolist()]
        full = np.zeros(n, dtype=np.int64)
        full[idx] = s
        seats_out = full.tolist()
    certificate = Deferred(partial(_numpy_certificate, sp, v, seats, w, u, k_next, k_last, excluded))
    return Allocation.build(method, house, parties, votes, seats_out, (), certificate, excluded, thr)


def _numpy_certificate(
    sp: LinearSignpost,
    v: Sequence[int],
    seats: list[int],
    w: FloatArray,
    u: FloatArray,
    k_next: int,
    k_last: int,
    excluded: tuple[str, ...],
) -> DivisorCertificate:
    """The certificate of :func:`_numpy_fast`, made when it is first read.

    The float extremes ``w[k_next]`` (smallest) and ``u[k_last]`` (largest) are the exact
    ones unless another party is within float error of them; then the exact extreme among
    those few is found by cross-multiplication.
    """
    near = w <= float(w[k_next]) * (1 + _TOL)
    if np.count_nonzero(near) > 1:
        k_next = _exact_last(sp, v, seats, np.flatnonzero(near).tolist(), 0, +1)
    near = u >= float(u[k_last]) * (1 - _TOL)
    if np.count_nonzero(near) > 1:
        k_last = _exact_last(sp, v, seats, np.flatnonzero(near).tolist(), -1, -1)
    return _certificate(sp, v[k_next], seats[k_next], v[k_last], seats[k_last], excluded)


# A proposal is the seats and the indices whose next (last) quotient is within float
# error of the largest next (smallest last) one; it is made only when the largest
# next quotient is below the smallest last one by a margin that float error cannot
# close. For d(s) = (step*s + off) / scale the seats at divisor D are about
# floor(c * v + beta), with c = scale / (step * D) and beta = (step - off) / step; their
# sum is about c * V + m * (beta - 1/2), which gives the first c.
_Proposal = tuple[list[int], list[int], list[int]]


def _propose_python(
    step: int, off: int, scale: int, v: Sequence[int], house: int, total: int
) -> _Proposal | None:
    """Seats from float quotients computed one by one (``int / int``: correctly rounded)."""
    m = len(v)
    s, nxt, lst = _python_seats(step, off, scale, v, house, total)
    top = max(nxt)
    bottom = min(lst)
    if not top < bottom * (1 - 4 * _TOL):
        return None
    low, high = top * (1 - _TOL), bottom * (1 + _TOL)
    return s, [k for k in range(m) if nxt[k] >= low], [k for k in range(m) if lst[k] <= high]


def _python_seats(
    step: int, off: int, scale: int, v: Sequence[int], house: int, total: int
) -> tuple[list[int], list[float], list[float]]:
    """Seats adding up to ``house`` by the float quotients, and those next and last quotients."""
    m = len(v)
    beta = (step - off) / step
    base = house - m * (beta - 0.5)
    c = (base if base > 0 else house) / total
    s = [int(x * c + beta) for x in v]
    got = sum(s)
    previous: tuple[float, int] | None = None
    for _ in range(6):  # steps on the divisor while far off
        if abs(got - house) <= 2:
            break
        new = _next_c(c, got, previous, house, total)
        if not 0 < new < math.inf:
            break
        previous, c = (c, got), new
        s = [int(x * c + beta) for x in v]
        got = sum(s)
    if beta <= -1:
        s = [k if k > 0 else 0 for k in s]
        got = sum(s)
    inf = math.inf
    nxt = [x * scale / (step * k + off) for x, k in zip(v, s, strict=True)]
    lst = [x * scale / (step * k + off - step) if k else inf for x, k in zip(v, s, strict=True)]
    while got < house:
        top = max(nxt)
        k = nxt.index(top)
        s[k] += 1
        lst[k] = top
        nxt[k] = v[k] * scale / (step * s[k] + off)
        got += 1
    while got > house:
        bottom = min(lst)
        k = lst.index(bottom)
        s[k] -= 1
        nxt[k] = bottom
        lst[k] = v[k] * scale / (step * s[k] + off - step) if s[k] else inf
        got -= 1
    return s, nxt, lst


def _next_c(c: float, got: int, previous: tuple[float, int] | None, house: int, total: float) -> float:
    """The next ``c`` (``scale / (step * D)``) for a house of ``house`` seats when ``c`` gave ``got``.

    First a Newton step that keeps the sum of the fractional parts (the seats' sum is
    ``c * total + m * beta`` less that sum); then secant steps through the last two
    points, which converge even when many small parties make that sum move with ``c``.
    """
    if previous is None or previous[1] == got:
        return (house + c * total - got) / total
    c0, got0 = previous
    return c + (house - got) * (c - c0) / (got - got0)


def fast_divisor(
    sp: Signpost,
    method: str,
    parties: tuple[str, ...],
    votes: tuple[int, ...],
    house: int,
    thr: Fraction | None = None,
) -> Allocation | None:
    """The fast path's allocation (no seat bounds, no prior seats), or ``None`` when it
    does not apply (a signpost that is not linear with ``d(0) > 0``, a house of 0) or
    hands over (a tie, a near-tie, votes beyond float range): the general engine then
    decides. :func:`seats.apportion` calls it directly for the registered methods.

    >>> from seats.methods.signposts import DHONDT, ADAMS
    >>> dict(fast_divisor(DHONDT, "dhondt", ("A", "B"), (30, 20), 2).seats)
    {'A': 1, 'B': 1}
    >>> fast_divisor(ADAMS, "adams", ("A", "B"), (30, 20), 2) is None
    True
    """
    if house > 0 and type(sp) is LinearSignpost and sp.first is None and sp.offset > 0:
        return _linear_fast(sp, method, parties, votes, house, thr)
    return None


def divisor_method(
    parties: tuple[str, ...],
    votes: tuple[int, ...],
    house: int,
    *,
    signpost: Signpost,
    method_id: str | None = None,
    threshold: object = None,
    min_seats: int | Mapping[str, int] | None = None,
    max_seats: int | Mapping[str, int] | None = None,
    ties: str = "error",
    seed: int | None = None,
    prior_seats: Mapping[str, int] | None = None,
) -> Allocation:
    """Apportion ``house`` seats by the divisor method with ``signpost``.

    ``prior_seats`` (party -> seats already won elsewhere, e.g. constituency
    seats in an additional-member system) makes each party's divisors start
    after those seats; only the ``house`` new seats are returned.

    Parties below ``threshold`` (a fraction of all valid votes, inclusive) or
    with no votes get no seats. ``min_seats``/``max_seats`` clamp each party
    (``seats = clamp(round(v / D), min, max)``). A tie at the last seat is
    settled by ``ties`` and recorded.
    """
    policy = check_policy(ties)
    sp = signpost
    method = method_id or sp.name
    thr = as_fraction(threshold) if threshold is not None else None
    if min_seats is None and max_seats is None and not prior_seats:
        fast = fast_divisor(sp, method, parties, votes, house, thr)
        if fast is not None:
            return fast
    return _general(
        sp, method, parties, votes, house, thr,
        min_seats=min_seats, max_seats=max_seats, policy=policy, seed=seed, prior_seats=prior_seats,
    )


def _general(
    sp: Signpost,
    method: str,
    parties: tuple[str, ...],
    votes: tuple[int, ...],
    house: int,
    thr: Fraction | None,
    *,
    min_seats: int | Mapping[str, int] | None = None,
    max_seats: int | Mapping[str, int] | None = None,
    policy: str = "error",
    seed: int | None = None,
    prior_seats: Mapping[str, int] | None = None,
) -> Allocation:
    """The general engine: any signpost, seat bounds, prior seats, ties, votes of any size."""
    n = len(parties)
    passes = eligible(votes, thr)
    excluded = tuple(p for p, ok in zip(parties, passes, strict=True) if not ok)
    bounds = normalise_bounds(parties, house, min_seats, max_seats)
    idx = [i for i in range(n) if passes[i] and votes[i] > 0]
    lo_all = bounds[0] if bounds else [0] * n
    hi_all = bounds[1] if bounds else [None] * n
    lo = [lo_all[i] for i in idx]
    hi = [hi_all[i] for i in idx]
    if sum(lo) > house:
        raise InvalidSeatsError(
            f"the minimum seats add up to {sum(lo)}, more than the {house} seats to share"
        )
    if all(h is not None for h in hi) and sum(h for h in hi if h is not None) < house:
        if not idx and house > 0:
            raise InvalidVotesError(f"no party has votes (above the threshold) to share {house} seats")
        raise InvalidSeatsError(
            f"the maximum seats add up to {sum(h for h in hi if h is not None)}, "
            f"fewer than the {house} seats to share"
        )
    if not idx and house > 0:
        raise InvalidVotesError(f"no party has votes (above the threshold) to share {house} seats")

    v = [votes[i] for i in idx]
    m = len(idx)
    prior = dict(prior_seats or {})
    unknown_prior = sorted(set(prior) - set(parties))
    if unknown_prior:
        raise InvalidSeatsError(f"prior_seats names unknown parties: {', '.join(unknown_prior)}")
    for p_name, n_prior in prior.items():
        if isinstance(n_prior, bool) or not isinstance(n_prior, int) or n_prior < 0:
            raise InvalidSeatsError(
                f"prior_seats for {p_name!r} must be a non-negative whole number, got {n_prior!r}"
            )
    off = [prior.get(parties[i], 0) for i in idx]
    # Floats only propose. Votes beyond float range are scaled down by a power of two for
    # the proposal; the small ones then lose their precision, so every comparison is exact.
    shift = max(0, max(v, default=0).bit_length() - _FLOAT_BITS)
    fv = [x / (1 << shift) for x in v] if shift else [float(x) for x in v]
    exact = shift > 0
    close = _always if exact else _near
    nxt: list[float] = []
    lst: list[float] = []
    if house == 0 or m == 0:
        s = list(lo)
    elif (
        not exact and not bounds and not any(off)
        and type(sp) is LinearSignpost and sp.first is None and sp.offset > 0
    ):  # the fast path's float proposal (a tie or a near-tie sent it here): usually exact
        s, nxt, lst = _python_seats(sp.step, sp.offset, sp.scale, v, house, sum(v))
    else:
        s = _estimate(
            sp,
            np.asarray(fv, dtype=np.float64),
            np.asarray(off, dtype=np.float64),
            np.asarray(lo, dtype=np.float64),
            np.asarray([math.inf if h is None else h for h in hi], dtype=np.float64),
            house,
        )

    qf = sp.quotient_float

    def can_gain(k: int) -> bool:
        h = hi[k]
        return h is None or s[k] < h

    def can_lose(k: int) -> bool:
        return s[k] > lo[k]

    if len(nxt) != m:  # not proposed with its quotients above
        nxt = [qf(fv[k], s[k] + off[k]) if can_gain(k) else -math.inf for k in range(m)]
        lst = [qf(fv[k], s[k] + off[k] - 1) if can_lose(k) else math.inf for k in range(m)]
    loser_ok = [can_gain(k) for k in range(m)]
    winner_ok = [can_lose(k) for k in range(m)]

    def refresh(k: int) -> None:
        loser_ok[k] = can_gain(k)
        winner_ok[k] = can_lose(k)
        nxt[k] = qf(fv[k], s[k] + off[k]) if loser_ok[k] else -math.inf
        lst[k] = qf(fv[k], s[k] + off[k] - 1) if winner_ok[k] else math.inf

    total = sum(s)
    while total < house:
        k = max((k for k in range(m) if loser_ok[k]), key=nxt.__getitem__)
        s[k] += 1
        total += 1
        refresh(k)
    while total > house:
        k = min((k for k in range(m) if winner_ok[k]), key=lst.__getitem__)
        s[k] -= 1
        total -= 1
        refresh(k)

    def nq(k: int) -> int:  # signpost index of k's next seat
        return s[k] + off[k]

    def better(a: int, b: int) -> bool:  # a's next quotient beats b's
        return compare(sp, v[a], nq(a), v[b], nq(b)) > 0

    def weaker(a: int, b: int) -> bool:  # a's last quotient is below b's
        return compare(sp, v[a], nq(a) - 1, v[b], nq(b) - 1) < 0

    event: TieEvent | None = None
    tie_winners: list[str] = []
    best_loser: int | None = None
    weakest: int | None = None
    while True:
        losers = [k for k in range(m) if loser_ok[k]]
        winners = [k for k in range(m) if winner_ok[k]]
        best_loser = _exact_extreme(losers, nxt, better, close, high=True)
        weakest = _exact_extreme(winners, lst, weaker, close, high=False)
        if not losers or not winners:
            break
        top = max(nxt[k] for k in losers)
        bottom = min(lst[k] for k in winners)
        if not exact and math.isfinite(top) and top < bottom * (1 - 2 * _TOL):
            break
        assert best_loser is not None and weakest is not None
        c = compare(sp, v[best_loser], nq(best_loser), v[weakest], nq(weakest) - 1)
        if c > 0:
            s[best_loser] += 1
            s[weakest] -= 1
            refresh(best_loser)
            refresh(weakest)
            continue
        if c < 0:
            break
        # An exact tie between the last seat inside and the first seat outside.
        tied_l = [k for k in _close_to(losers, nxt, nxt[best_loser], close)
                  if compare(sp, v[k], nq(k), v[best_loser], nq(best_loser)) == 0]
        tied_w = [k for k in _close_to(winners, lst, lst[weakest], close)
                  if compare(sp, v[k], nq(k) - 1, v[weakest], nq(weakest) - 1) == 0]
        contested = len(tied_w)
        tie_key = sp.key(v[weakest], nq(weakest) - 1)
        order = sorted(tied_w + tied_l)
        detail = " = ".join(
            quotient_text(sp, parties[idx[k]], v[k], nq(k) - 1 if k in tied_w else nq(k)) for k in order
        )
        seat_numbers = tuple(range(house - contested + 1, house + 1))
        event = settle(
            [parties[idx[k]] for k in order],
            contested,
            votes={parties[idx[k]]: v[k] for k in order},
            policy=policy,
            seats=seat_numbers,
            detail=detail,
            seed=seed,
            order=parties,
        )
        chosen = set(event.winners)
        for k in tied_w:
            if parties[idx[k]] not in chosen:
                s[k] -= 1
        for k in tied_l:
            if parties[idx[k]] in chosen:
                s[k] += 1
        tie_winners = [p for p in parties if p in chosen]
        break

    lower: Fraction | None
    upper: Fraction | None
    if event is not None:
        lower = upper = tie_key
    else:
        lower = sp.key(v[best_loser], nq(best_loser)) if best_loser is not None else Fraction(0)
        upper = sp.key(v[weakest], nq(weakest) - 1) if weakest is not None else None

    seats_out = [0] * n
    for k, i in enumerate(idx):
        seats_out[i] = s[k]
    cert_bounds = {}
    if bounds:
        for k, i in enumerate(idx):
            if lo[k] > 0 or hi[k] is not None:
                cert_bounds[parties[i]] = (lo[k], hi[k])
    certificate = DivisorCertificate(
        signpost=sp,
        lower=lower,
        upper=upper,
        squared=sp.power == 2,
        bounds=cert_bounds,
        excluded=excluded,
        tie_winners=tuple(tie_winners),
        is_tie=event is not None,
        prior={p: prior[p] for p in parties if prior.get(p)},  # below the threshold too
    )
    return Allocation.build(
        method, house, parties, votes, seats_out,
        (event,) if event is not None else (), certificate, excluded, thr,
    )


def _near(a: float, b: float) -> bool:
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= _TOL * max(abs(a), abs(b))


def _always(a: float, b: float) -> bool:
    return True


def _close_to(
    ks: list[int], floats: list[float], target: float, close: Callable[[float, float], bool]
) -> list[int]:
    """The ``k`` in ``ks`` whose float is ``close`` to ``target`` (quotients: positive or infinite)."""
    if close is not _near:
        return [k for k in ks if close(floats[k], target)]
    if math.isinf(target):
        return [k for k in ks if floats[k] == target]
    low, high = target - _TOL * target, target + _TOL * target  # _near, without a call per k
    return [k for k in ks if low <= floats[k] <= high]


def _exact_extreme(
    ks: list[int],
    floats: list[float],
    beats: Callable[[int, int], bool],
    close: Callable[[float, float], bool],
    *,
    high: bool,
) -> int | None:
    """The exact extreme among the candidates whose float value is ``close`` to the float extreme."""
    if not ks:
        return None
    target = max(floats[k] for k in ks) if high else min(floats[k] for k in ks)
    near = _close_to(ks, floats, target, close)
    best = near[0]
    for k in near[1:]:
        if beats(k, best):
            best = k
    return best
