"""The Balinski-Young quota method: D'Hondt, seat by seat, never above upper quota.

Seat ``t`` goes to the party with the largest ``votes / (seats + 1)`` among the
parties whose seats would not exceed their upper quota of a house of ``t``
(``seats + 1 <= ceil(votes * t / V)``). The result satisfies both quotas and is
house monotone (Balinski & Young 1975, "The quota method of apportionment",
American Mathematical Monthly 82(7)).

A tie at one step decides a seat only if the final allocation depends on who
takes it; that is checked by completing the allocation both ways.

Examples
--------
>>> from seats.methods.quota_method import quota_method
>>> dict(quota_method(("A", "B", "C", "D", "E"), (5117, 4400, 162, 161, 160), 100).seats)
{'A': 52, 'B': 44, 'C': 2, 'D': 1, 'E': 1}
"""

from __future__ import annotations

from collections.abc import Mapping

from seats.errors import InvalidVotesError
from seats.methods._input import as_fraction, eligible, normalise_bounds
from seats.methods.signposts import DHONDT, compare
from seats.methods.ties import check_policy, settle
from seats.results import Allocation, SequentialCertificate, TieEvent

__all__ = ["quota_method"]


def _complete(v: list[int], s: list[int], t0: int, house: int, total: int, hi: list[int | None]) -> list[int]:
    """Finish the allocation from seat ``t0`` on, breaking ties by the first listed."""
    s = list(s)
    for t in range(t0, house + 1):
        best = _candidates(v, s, t, total, hi)
        s[best[0]] += 1
    return s


def _candidates(
    v: list[int], s: list[int], t: int, total: int, hi: list[int | None], only: list[int] | None = None
) -> list[int]:
    """Parties tied for the largest quotient among those allowed seat ``t`` (within ``only``)."""
    pool = range(len(v)) if only is None else only
    allowed = [k for k in pool if s[k] * total < v[k] * t and (hi[k] is None or s[k] < (hi[k] or 0))]
    if not allowed:  # the bounds leave no party within its upper quota: relax the quota, keep the bounds
        allowed = [k for k in pool if hi[k] is None or s[k] < (hi[k] or 0)]
    best = [allowed[0]]
    for k in allowed[1:]:
        c = compare(DHONDT, v[k], s[k], v[best[0]], s[best[0]])
        if c > 0:
            best = [k]
        elif c == 0:
            best.append(k)
    return best


def quota_method(
    parties: tuple[str, ...],
    votes: tuple[int, ...],
    house: int,
    *,
    method_id: str = "quota",
    threshold: object = None,
    min_seats: int | Mapping[str, int] | None = None,
    max_seats: int | Mapping[str, int] | None = None,
    ties: str = "error",
    seed: int | None = None,
) -> Allocation:
    """Apportion by the Balinski-Young quota method (seats awarded one at a time)."""
    policy = check_policy(ties)
    thr = as_fraction(threshold) if threshold is not None else None
    passes = eligible(votes, thr)
    excluded = tuple(p for p, ok in zip(parties, passes, strict=True) if not ok)
    idx = [i for i in range(len(parties)) if passes[i] and votes[i] > 0]
    if not idx and house > 0:
        raise InvalidVotesError(f"no party has votes (above the threshold) to share {house} seats")
    bounds = normalise_bounds(parties, house, min_seats, max_seats)
    v = [votes[i] for i in idx]
    lo = [bounds[0][i] for i in idx] if bounds else [0] * len(idx)
    hi: list[int | None] = [bounds[1][i] for i in idx] if bounds else [None] * len(idx)
    if sum(lo) > house or (all(h is not None for h in hi) and sum(h or 0 for h in hi) < house):
        from seats.errors import InvalidSeatsError

        raise InvalidSeatsError(f"the seat bounds cannot be met with {house} seats")
    total = sum(v)
    s = [0] * len(v)
    order: list[str] = []
    events: list[TieEvent] = []
    for t in range(1, house + 1):
        need = [k for k in range(len(v)) if s[k] < lo[k]]
        deficit = sum(lo[k] - s[k] for k in need)
        # once the minimums still owed take every seat left, only parties below their minimum compete
        best = _candidates(v, s, t, total, hi, need if deficit >= house - t + 1 else None)
        pick = best[0]
        if len(best) > 1:
            outcomes = set()
            for k in best:
                trial = list(s)
                trial[k] += 1
                outcomes.add(tuple(_complete(v, trial, t + 1, house, total, hi)))
            if len(outcomes) > 1:
                names = [parties[idx[k]] for k in best]
                event = settle(
                    names, 1, votes={parties[idx[k]]: v[k] for k in best}, policy=policy,
                    seats=(t,), detail=" = ".join(f"{parties[idx[k]]} {v[k]}/{s[k] + 1}" for k in best),
                    seed=seed, order=parties,
                )
                events.append(event)
                pick = idx.index(parties.index(event.winners[0]))
        s[pick] += 1
        order.append(parties[idx[pick]])
    seats_out = [0] * len(parties)
    for k, i in enumerate(idx):
        seats_out[i] = s[k]
    return Allocation.build(
        method_id, house, parties, votes, seats_out, tuple(events),
        SequentialCertificate(tuple(order)), excluded, thr,
    )
