"""Tie policies: detect, then settle or refuse, and always record.

A tie *decides a seat* when options with exactly equal claims compete for fewer
seats than there are options. Policies:

``"error"`` (default)
    raise :class:`~seats.errors.TieError` naming the tied options and the seats.
``"lot"``
    a seeded draw (``random.Random(seed)``); the seed is recorded so the draw
    can be repeated. Without a seed one is drawn and recorded.
``"most-votes"``
    the options with more votes win; if that still ties, the error is raised.
``"order"``
    the options listed first win (input order).

Examples
--------
>>> from seats.methods.ties import settle
>>> settle(("A", "D"), 1, votes={"A": 100, "D": 20}, policy="most-votes", seats=(8,), detail="equal").winners
('A',)
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from seats.errors import SeatsError, TieError
from seats.results import TieEvent

__all__ = ["POLICIES", "check_policy", "settle"]

POLICIES = ("error", "lot", "most-votes", "order")


def check_policy(policy: str) -> str:
    """Validate a policy name (case-insensitive) and return its canonical form."""
    if policy in POLICIES:
        return policy
    canonical = str(policy).strip().lower().replace("_", "-")
    if canonical not in POLICIES:
        raise SeatsError(f"unknown tie policy {policy!r}; choose one of {', '.join(POLICIES)}")
    return canonical


def settle(
    tied: Sequence[str],
    contested: int,
    *,
    votes: Mapping[str, int],
    policy: str,
    seats: tuple[int, ...],
    detail: str,
    seed: int | None = None,
    order: Sequence[str] | None = None,
) -> TieEvent:
    """Choose ``contested`` winners among ``tied`` under ``policy`` and record it.

    ``order`` is the listed order of the options (defaults to ``tied``'s order).
    Raises :class:`TieError` under ``"error"`` or when ``"most-votes"`` cannot decide.
    """
    policy = check_policy(policy)
    listed = list(order) if order is not None else list(tied)
    rank = {name: i for i, name in enumerate(listed)}
    tied_sorted = tuple(sorted(tied, key=lambda n: rank.get(n, len(rank))))
    label = "seat" if len(seats) == 1 else "seats"
    where = f"{label} {', '.join(str(s) for s in seats)}"
    if policy == "error":
        event = TieEvent(seats, tied_sorted, (), "error", detail)
        raise TieError(
            f"tie for {where} between {', '.join(tied_sorted)} ({detail}); "
            "choose a tie policy (ties='lot' with a seed, 'most-votes' or 'order')",
            event,
        )
    if policy == "order":
        winners = tied_sorted[:contested]
        return TieEvent(seats, tied_sorted, winners, policy, detail + "; listed order decides")
    if policy == "most-votes":
        by_votes = sorted(tied_sorted, key=lambda n: -votes[n])
        cut = votes[by_votes[contested - 1]]
        above = [n for n in by_votes if votes[n] > cut]
        at_cut = [n for n in by_votes if votes[n] == cut]
        if len(above) + len(at_cut) > contested:
            event = TieEvent(seats, tied_sorted, (), "error", detail)
            raise TieError(
                f"tie for {where} between {', '.join(tied_sorted)} ({detail}); "
                f"most-votes cannot decide: {', '.join(at_cut)} have {cut} votes each",
                event,
            )
        winners = tuple(by_votes[:contested])
        return TieEvent(seats, tied_sorted, winners, policy, detail + "; more votes decide")
    # lot
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    draw = random.Random(seed).sample(list(tied_sorted), len(tied_sorted))
    winners = tuple(draw[:contested])
    return TieEvent(
        seats,
        tied_sorted,
        winners,
        policy,
        f"{detail}; lot with seed {seed} drew {', '.join(draw)}",
        seed=seed,
    )
