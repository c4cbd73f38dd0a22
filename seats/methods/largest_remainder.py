"""Largest-remainder (quota) methods: one engine, differing only in the quota.

Each party gets ``floor(votes / quota)`` seats; the seats left go one each to
the largest remainders. Remainders are compared as integers (``votes * r mod p``
for a quota ``p / r``), never as floats.

When a small quota gives out more whole quotas than there are seats (possible
with the Imperiali and Hagenbach-Bischoff quotas), the rule ``overflow`` says
what happens: ``"smallest-remainders"`` (default) takes the surplus seats back,
one each, from the seat-holding parties with the smallest remainders;
``"error"`` refuses.

Many parties without seat bounds take a numpy fast path (:func:`_numpy_fast`):
whole quotas and remainders in int64 when every ``votes * r`` provably fits, the
remainder seats to the remainders at or above the cut, which is accepted only
when exactly as many parties as there are seats are at or above it (so no tie
decides a seat); the certificate is made only when it is read. Anything else (a
tie, votes too large for int64, more seats left than parties) goes to the
general engine, which settles or reports it.

Examples
--------
>>> from seats.methods.largest_remainder import largest_remainder, HARE
>>> dict(largest_remainder(("A", "B", "C"), (6, 6, 2), 10, quota=HARE).seats)
{'A': 4, 'B': 4, 'C': 2}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from functools import partial
from math import gcd
from typing import Any

import numpy as np

from seats.errors import InvalidSeatsError, InvalidVotesError
from seats.methods._input import as_fraction, eligible, normalise_bounds, ones_of, packed_votes
from seats.methods.ties import check_policy, settle
from seats.results import Allocation, Deferred, QuotaCertificate, RemainderMap, TieEvent

__all__ = [
    "DROOP",
    "HAGENBACH_BISCHOFF",
    "HARE",
    "IMPERIALI_QUOTA",
    "OVERFLOW_RULES",
    "Quota",
    "fast_largest_remainder",
    "largest_remainder",
]

Quota = Callable[[int, int], Fraction]
_NUMPY_FROM = 24  # parties from which whole quotas and remainders are computed with numpy
_FAST_FROM = 24  # parties from which an allocation without seat bounds tries _numpy_fast
_INT64 = 2**63
OVERFLOW_RULES = ("smallest-remainders", "error")


def HARE(total: int, house: int) -> Fraction:
    """Hare quota ``V / h``."""
    return Fraction(total, house)


def DROOP(total: int, house: int) -> Fraction:
    """Droop quota ``floor(V / (h + 1)) + 1``."""
    return Fraction(total // (house + 1) + 1)


def HAGENBACH_BISCHOFF(total: int, house: int) -> Fraction:
    """Hagenbach-Bischoff quota ``V / (h + 1)``."""
    return Fraction(total, house + 1)


def IMPERIALI_QUOTA(total: int, house: int) -> Fraction:
    """Imperiali quota ``V / (h + 2)``."""
    return Fraction(total, house + 2)


def _pick(
    order: list[int],
    key: Any,
    count: int,
    *,
    names: Sequence[str],
    votes: Callable[[], Mapping[str, int]],
    policy: str,
    seed: int | None,
    first_seat: int,
    what: str,
    parties: tuple[str, ...],
) -> tuple[list[int], TieEvent | None]:
    """The first ``count`` of ``order`` (sorted by ``key``), settling a tie at the cut.

    ``votes`` gives the contenders' votes, asked for only when there is a tie to settle.
    """
    if count <= 0:
        return [], None
    if count >= len(order) or key[order[count - 1]] != key[order[count]]:
        return order[:count], None
    cut = key[order[count - 1]]
    tied = [k for k in order if key[k] == cut]
    sure = [k for k in order[:count] if key[k] != cut]
    contested = count - len(sure)
    seat_numbers = tuple(range(first_seat + len(sure), first_seat + count))
    event = settle(
        [names[k] for k in sorted(tied)],
        contested,
        votes=votes(),
        policy=policy,
        seats=seat_numbers,
        detail=f"equal {what} for {', '.join(names[k] for k in sorted(tied))}",
        seed=seed,
        order=parties,
    )
    chosen = set(event.winners)
    return sure + [k for k in tied if names[k] in chosen], event


def fast_largest_remainder(
    parties: tuple[str, ...],
    votes: tuple[int, ...],
    house: int,
    quota: Quota,
    method_id: str,
    thr: Fraction | None = None,
    overflow: str = "smallest-remainders",
) -> Allocation | None:
    """The numpy fast path's allocation (no seat bounds; :func:`_numpy_fast`), or ``None``
    when it does not apply (fewer than ``_FAST_FROM`` parties, a house of 0) or hands over
    (a tie, ...): the general engine then decides. :func:`seats.apportion` calls it directly
    for the registered methods.

    >>> a = fast_largest_remainder(tuple(f"P{i}" for i in range(30)), tuple(range(1, 31)), 10, HARE, "hare")
    >>> sum(a.seats.values()), fast_largest_remainder(("A", "B"), (3, 1), 2, HARE, "hare")
    (10, None)
    """
    if house > 0 and len(votes) >= _FAST_FROM:
        return _numpy_fast(parties, votes, house, quota, method_id, thr, overflow == "error")
    return None


def largest_remainder(
    parties: tuple[str, ...],
    votes: tuple[int, ...],
    house: int,
    *,
    quota: Quota,
    method_id: str = "hare",
    threshold: object = None,
    min_seats: int | Mapping[str, int] | None = None,
    max_seats: int | Mapping[str, int] | None = None,
    ties: str = "error",
    seed: int | None = None,
    overflow: str = "smallest-remainders",
) -> Allocation:
    """Apportion ``house`` seats by whole quotas and largest remainders.

    The quota is computed on the votes of the parties that pass the threshold.
    With ``min_seats``/``max_seats``, a party outside its bounds is fixed at the
    bound and the other parties share the remaining seats again, until no bound
    is broken.
    """
    policy = check_policy(ties)
    if overflow not in OVERFLOW_RULES:
        raise InvalidSeatsError(f"unknown overflow rule {overflow!r}; choose {', '.join(OVERFLOW_RULES)}")
    thr = as_fraction(threshold) if threshold is not None else None
    if min_seats is None and max_seats is None:
        fast = fast_largest_remainder(parties, votes, house, quota, method_id, thr, overflow)
        if fast is not None:
            return fast
    if not thr and 0 not in votes:  # the common case: every party is in
        excluded: tuple[str, ...] = ()
        contenders = list(range(len(parties)))
    else:
        passes = eligible(votes, thr)
        excluded = tuple(p for p, ok in zip(parties, passes, strict=True) if not ok)
        contenders = [i for i in range(len(parties)) if passes[i] and votes[i] > 0]
    if not contenders and house > 0:
        raise InvalidVotesError(f"no party has votes (above the threshold) to share {house} seats")
    bounds = normalise_bounds(parties, house, min_seats, max_seats)
    if bounds is None:  # one round, nobody to hold at a bound
        s, make, events = _one_round(
            parties, votes, contenders, house, quota, policy, seed, overflow, method_id
        )
        if len(s) == len(parties):
            seats_out = s
        else:
            seats_out = [0] * len(parties)
            for i, n in zip(contenders, s, strict=True):
                seats_out[i] = n
        cert = Deferred(partial(make, excluded, {}))
        return Allocation.build(method_id, house, parties, votes, seats_out, events, cert, excluded, thr)
    lo = bounds[0] if bounds else [0] * len(parties)
    hi = bounds[1] if bounds else [None] * len(parties)
    if sum(lo[i] for i in contenders) > house:
        raise InvalidSeatsError(f"the minimum seats add up to more than the {house} seats to share")
    if all(hi[i] is not None for i in contenders) and sum(hi[i] or 0 for i in contenders) < house:
        raise InvalidSeatsError(f"the maximum seats add up to fewer than the {house} seats to share")

    fixed: dict[int, int] = {}
    while True:
        free = [i for i in contenders if i not in fixed]
        seats_left = house - sum(fixed.values())
        result = _one_round(
            parties, votes, free, seats_left, quota, policy, seed, overflow, method_id
        )
        won = dict(zip(free, result[0], strict=True))
        make, events = result[1], result[2]
        broken = [i for i in free if won[i] < lo[i] or won[i] > _at_most(hi[i], won[i])]
        if not broken:
            break
        for i in broken:
            bound = lo[i] if won[i] < lo[i] else hi[i]
            assert bound is not None
            fixed[i] = bound
    seats_out = [0] * len(parties)
    for i in free:
        seats_out[i] = won[i]
    for i, b in fixed.items():
        seats_out[i] = b
    cert = Deferred(partial(make, excluded, {parties[i]: b for i, b in fixed.items()}))
    return Allocation.build(method_id, house, parties, votes, seats_out, events, cert, excluded, thr)


_MakeCertificate = Callable[[tuple[str, ...], Mapping[str, int]], QuotaCertificate]


def _quota_parts(quota: Quota, total: int, house: int) -> tuple[int, int, Fraction | None]:
    """``(p, r, q)``: the quota is ``p / r`` in lowest terms; ``q`` is the quota's own value,
    or ``None`` for the four shipped quotas, whose parts need no Fraction (``Fraction(p, r)``
    is then that value)."""
    if quota is HARE or quota is HAGENBACH_BISCHOFF or quota is IMPERIALI_QUOTA:
        seats = house if quota is HARE else house + 1 if quota is HAGENBACH_BISCHOFF else house + 2
        g = gcd(total, seats)
        return total // g, seats // g, None
    if quota is DROOP:
        return total // (house + 1) + 1, 1, None
    q = quota(total, house)
    return q.numerator, q.denominator, q


def _numpy_fast(
    parties: tuple[str, ...],
    votes: tuple[int, ...],
    house: int,
    quota: Quota,
    method_id: str,
    thr: Fraction | None,
    refuse_overflow: bool,
) -> Allocation | None:
    """An allocation without seat bounds computed on numpy int64 arrays, or ``None``.

    With the quota ``p / r`` in lowest terms, a party's whole quotas and remainder are
    ``divmod(votes * r, p)``, computed in int64 only when the contenders' total times
    ``r`` is below 2**63 (so no ``votes * r`` can overflow): the same integers as the
    general engine's. When ``k`` seats are left, ``t`` is the ``k``-th largest remainder;
    the parties with a remainder of at least ``t`` take them when there are exactly ``k``
    of them (else a tie decides a seat). When the quota over-awards by ``k`` seats, the
    same with the ``k`` smallest remainders of the seat holders. ``None`` (a tie; a
    remainder of 0 at the cut, where parties without votes would count; votes beyond
    int64; more seats left than parties; an over-award that is refused or takes more
    than one seat from a party; nothing to share) hands the input to the general
    engine, which settles or reports it exactly as before. Parties without votes take
    part in the arithmetic (their remainder, 0, is below any cut) and are left out of
    the certificate, which is made when first read (:func:`_numpy_certificate`).
    """
    n = len(votes)
    excluded: tuple[str, ...] = ()
    idx: list[int] | None = None
    if thr:
        passes = eligible(votes, thr)
        excluded = tuple(p for p, ok in zip(parties, passes, strict=True) if not ok)
        if excluded:
            idx = [i for i in range(n) if passes[i]]
    total = sum(votes) if idx is None else sum(votes[i] for i in idx)
    if not total:
        return None
    p, r, q = _quota_parts(quota, total, house)
    if not 0 < p < _INT64 or total * r >= _INT64:
        return None
    # no contender's vote reaches 2**63: packed as unsigned 64-bit ints, read as int64
    packed = packed_votes(votes)
    if idx is None:
        if packed is None:
            return None
        va = np.frombuffer(packed, dtype=np.int64)
    elif packed is None:  # a vote of 64 bits or more: below the threshold
        va = np.array([votes[i] for i in idx], dtype=np.int64)
    else:
        va = np.frombuffer(packed, dtype=np.int64)[idx]
    m = len(va)
    whole, part = np.divmod(va * r if r != 1 else va, p)
    left = house - int(whole.dot(ones_of(m, np.int64)))  # at most total * r / p < 2**63: exact
    changed: np.ndarray | None = None
    if left > 0:
        if left >= m:
            return None
        cut = np.partition(part, m - left)[m - left]
        if not cut:
            return None
        changed = part >= cut
        if np.count_nonzero(changed) != left:
            return None  # equal remainders at the cut: a tie decides a seat
        seats_arr = whole + changed
    elif left < 0:
        if refuse_overflow:
            return None
        # seat holders' remainders; the others get p, above every remainder
        held = np.where(whole > 0, part, p)
        surplus = -left
        if surplus >= np.count_nonzero(whole):
            return None
        cut = np.partition(held, surplus - 1)[surplus - 1]
        changed = held <= cut
        if np.count_nonzero(changed) != surplus:
            return None  # equal remainders at the cut: a tie decides which seat is taken back
        seats_arr = whole - changed
    else:
        seats_arr = whole
    if idx is None:
        seats_out: list[int] = seats_arr.tolist()
    else:
        full = np.zeros(n, dtype=np.int64)
        full[idx] = seats_arr
        seats_out = full.tolist()
    make = partial(
        _numpy_certificate, parties, idx, va, whole, part, changed, left, p, r, q, excluded
    )
    return Allocation.build(method_id, house, parties, votes, seats_out, (), Deferred(make), excluded, thr)


def _numpy_certificate(
    parties: tuple[str, ...],
    idx: list[int] | None,
    va: np.ndarray,
    whole: np.ndarray,
    part: np.ndarray,
    changed: np.ndarray | None,
    left: int,
    p: int,
    r: int,
    q: Fraction | None,
    excluded: tuple[str, ...],
) -> QuotaCertificate:
    """The certificate of :func:`_numpy_fast`, made when it is first read: the general
    engine's, listing the contenders with votes, the remainder seats by largest remainder
    and the seats taken back by smallest (equal remainders in input order)."""
    keep = np.flatnonzero(va)
    if len(keep) == len(va):
        names: Sequence[str] = parties if idx is None else [parties[i] for i in idx]
        floors, rems = whole, part
        flags = changed
    else:
        where = keep.tolist() if idx is None else [idx[k] for k in keep.tolist()]
        names = [parties[i] for i in where]
        floors, rems = whole[keep], part[keep]
        flags = None if changed is None else changed[keep]
    order: list[int] = []
    if flags is not None:
        ks = np.flatnonzero(flags)
        key = -rems[ks] if left > 0 else rems[ks]
        order = ks[np.argsort(key, kind="stable")].tolist()
    chosen = tuple(names[k] for k in order)
    return QuotaCertificate(
        Fraction(p, r) if q is None else q,
        dict(zip(names, floors.tolist(), strict=True)),
        RemainderMap.of(names, rems, p),
        chosen if left > 0 else (),
        chosen if left < 0 else (),
        excluded,
        {},
    )


def _one_round(
    parties: tuple[str, ...],
    votes: tuple[int, ...],
    free: list[int],
    house: int,
    quota: Quota,
    policy: str,
    seed: int | None,
    overflow: str,
    method_id: str,
) -> tuple[list[int], _MakeCertificate, tuple[TieEvent, ...]]:
    """Seats of the parties ``free`` (in that order), what makes the certificate (given the
    parties below the threshold and those held at a bound) and the ties."""
    every = len(free) == len(votes)
    v = votes if every else [votes[i] for i in free]
    names: Sequence[str] = parties if every else [parties[i] for i in free]
    n = len(v)
    total = sum(v)

    def by_name() -> dict[str, int]:
        return dict(zip(names, v, strict=True))

    if house == 0 or total == 0:
        return [0] * n, partial(_certificate, Fraction(0), names, [0] * n, None, 1, (), ()), ()
    q = quota(total, house)
    p, r = q.numerator, q.denominator
    # whole quotas and remainders (the remainder is rem / p of a quota)
    part: np.ndarray | None = None
    rem: Any  # list[int], or the numpy array of them
    if n >= _NUMPY_FROM and max(v) * r < 2**62 and p < 2**62:
        # int64 cannot overflow below 2**62: the same integers, computed for all parties at once
        whole, part = np.divmod(np.array(v, dtype=np.int64) * r, p)
        floor_list, rem = whole.tolist(), part  # remainders: only a few are read, as numpy ints
    else:
        pairs = [divmod(x * r, p) for x in v]
        floor_list = [f for f, _ in pairs]
        rem = [x for _, x in pairs]
    s = list(floor_list)
    given = sum(floor_list)
    events: list[TieEvent] = []
    winners: list[str] = []
    removed: list[str] = []
    if given <= house:
        left = house - given
        ranking: list[int] = (  # stable: equal remainders keep input order
            np.argsort(-part, kind="stable").tolist()
            if part is not None and left
            else sorted(range(n), key=rem.__getitem__, reverse=True)
        )
        while left > 0:
            take = min(left, n)
            chosen, event = _pick(
                ranking, rem, take, names=names, votes=by_name, policy=policy, seed=seed,
                first_seat=house - left + 1, what="remainders", parties=parties,
            )
            if event is not None:
                events.append(event)
            for k in chosen:
                s[k] += 1
            winners += [names[k] for k in chosen]
            left -= take
    else:
        if overflow == "error":
            raise InvalidSeatsError(
                f"the {method_id} quota {q} gives {given} whole quotas for {house} seats "
                "(choose overflow='smallest-remainders')"
            )
        surplus = given - house
        while surplus > 0:
            holders = sorted((k for k in range(n) if s[k] > 0), key=rem.__getitem__)
            take = min(surplus, len(holders))
            chosen, event = _pick(
                holders, [-int(x) for x in rem], take, names=names, votes=by_name, policy=policy,
                seed=seed, first_seat=house - take + 1, what="smallest remainders (seat taken back)",
                parties=parties,
            )
            if event is not None:
                events.append(event)
            for k in chosen:
                s[k] -= 1
                removed.append(names[k])
            surplus -= take
    make = partial(_certificate, q, names, floor_list, rem, p, tuple(winners), tuple(removed))
    return s, make, tuple(events)


def _certificate(
    q: Fraction,
    names: Sequence[str],
    floors: list[int],
    rem: Any,
    p: int,
    winners: tuple[str, ...],
    removed: tuple[str, ...],
    excluded: tuple[str, ...],
    fixed: Mapping[str, int],
) -> QuotaCertificate:
    """The general engine's certificate (made when first read); ``rem`` is ``None`` when
    nothing was shared (no remainders)."""
    remainders: Mapping[str, Fraction] = {} if rem is None else RemainderMap.of(names, rem, p)
    return QuotaCertificate(
        q, dict(zip(names, floors, strict=True)), remainders, winners, removed, excluded, fixed
    )


def _at_most(cap: int | None, default: int) -> int:
    """A seat cap, or ``default`` when there is none."""
    return default if cap is None else cap
