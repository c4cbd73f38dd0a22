"""Plurality family for nominal seats: the candidates with most votes win.

``plurality`` fills one seat; ``block`` (each voter marks up to m candidates),
``limited`` (fewer than m marks) and ``sntv`` (one mark) fill an m-seat district
with the m candidates with most votes: the ballots differ, the count rule does
not. Candidates' totals are the sums of the cards that back them (done by the
caller). A candidate with no votes is never elected.

Examples
--------
>>> from seats.methods.plurality import top_m
>>> dict(top_m(("ana", "ben", "eva"), (300, 500, 200), 2, method_id="block").seats)
{'ana': 1, 'ben': 1, 'eva': 0}
"""

from __future__ import annotations

from collections.abc import Mapping

from seats.errors import InvalidSeatsError
from seats.methods._input import as_fraction, eligible
from seats.methods.ties import check_policy, settle
from seats.results import Allocation, PluralityCertificate, TieEvent

__all__ = ["top_m"]


def top_m(
    parties: tuple[str, ...],
    votes: tuple[int, ...],
    house: int,
    *,
    method_id: str = "block",
    single_seat: bool = False,
    threshold: object = None,
    min_seats: int | Mapping[str, int] | None = None,
    max_seats: int | Mapping[str, int] | None = None,
    ties: str = "error",
    seed: int | None = None,
) -> Allocation:
    """Elect the ``house`` candidates with most votes, one seat each."""
    policy = check_policy(ties)
    if min_seats is not None or max_seats is not None:
        raise InvalidSeatsError(f"{method_id} elects candidates one seat each; seat bounds do not apply")
    if single_seat and house > 1:
        raise InvalidSeatsError(
            f"plurality fills one seat, got {house}; use 'block', 'limited' or 'sntv' for an m-seat district"
        )
    thr = as_fraction(threshold) if threshold is not None else None
    passes = eligible(votes, thr)
    excluded = tuple(p for p, ok in zip(parties, passes, strict=True) if not ok)
    running = [i for i in range(len(parties)) if passes[i] and votes[i] > 0]
    if house > len(running):
        raise InvalidSeatsError(
            f"{house} seats to fill but only {len(running)} candidates with votes"
        )
    ranking = sorted(running, key=lambda i: -votes[i])
    elected = ranking[:house]
    events: tuple[TieEvent, ...] = ()
    if 0 < house < len(ranking) and votes[ranking[house - 1]] == votes[ranking[house]]:
        cut = votes[ranking[house - 1]]
        tied = [i for i in ranking if votes[i] == cut]
        sure = [i for i in elected if votes[i] > cut]
        event = settle(
            [parties[i] for i in sorted(tied)],
            house - len(sure),
            votes={parties[i]: votes[i] for i in tied},
            policy=policy,
            seats=tuple(range(len(sure) + 1, house + 1)),
            detail=f"{cut} votes each",
            seed=seed,
            order=parties,
        )
        chosen = set(event.winners)
        elected = sure + [i for i in sorted(tied) if parties[i] in chosen]
        events = (event,)
    won = set(elected)
    seats_out = [int(i in won) for i in range(len(parties))]
    losers = [votes[i] for i in running if i not in won]
    certificate = PluralityCertificate(
        tuple(parties[i] for i in sorted(won)),
        min((votes[i] for i in won), default=None),
        max(losers, default=None),
    )
    return Allocation.build(method_id, house, parties, votes, seats_out, events, certificate, excluded, thr)
