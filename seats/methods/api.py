"""``seats.apportion``: one entry point for every registered method."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from seats.methods._input import check_house, normalise_votes
from seats.methods.registry import MethodSpec, resolve
from seats.methods.ties import POLICIES
from seats.results import Allocation

__all__ = ["apportion"]


def apportion(
    votes: Mapping[str, Any] | Iterable[tuple[str, Any]],
    seats: int,
    *,
    method: str | MethodSpec | Callable[[int], Any] = "dhondt",
    threshold: object = None,
    min_seats: int | Mapping[str, int] | None = None,
    max_seats: int | Mapping[str, int] | None = None,
    ties: str = "error",
    seed: int | None = None,
    **options: Any,
) -> Allocation:
    """Apportion ``seats`` among parties by ``method``, exactly.

    Parameters
    ----------
    votes:
        Mapping (or pairs) party -> whole, non-negative number of votes. Input order is kept.
    seats:
        House size (0 allowed).
    method:
        A registered id or alias (``"dhondt"``, ``"webster"``, ``"hamilton"``, ...; see
        ``seats methods``), or a signpost function ``s -> d(s)`` for a custom divisor method.
    threshold:
        Legal threshold as a fraction of all valid votes (``0.05``, ``"5%"``, ``"1/8"``):
        parties with fewer votes get nothing. Inclusive: exactly 5% passes.
    min_seats, max_seats:
        Seat bounds, one number for every party or a mapping party -> bound.
    ties:
        ``"error"`` (default: raise :class:`~seats.errors.TieError`), ``"lot"`` (with ``seed``),
        ``"most-votes"`` or ``"order"``. Every tie that decides a seat is recorded in ``.ties``.
    **options:
        Family options, e.g. ``overflow="error"`` for largest-remainder quotas.

    Examples
    --------
    >>> import seats
    >>> a = seats.apportion({"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}, 8, method="dhondt")
    >>> dict(a.seats), a.ties
    ({'A': 4, 'B': 3, 'C': 1, 'D': 0}, ())
    >>> a.certificate.describe()
    'any divisor 20000 < D < 25000 yields these seats'
    """
    spec = resolve(method)
    parties, counts = normalise_votes(votes)
    house = check_house(seats)
    fast = spec.fast
    if (
        fast is not None and not options and threshold is None and min_seats is None and max_seats is None
        and type(ties) is str and ties in POLICIES
    ):
        # every option at its default: the method's fast path, without the detour through the
        # partial's keywords and the method's option checks
        done = fast(spec.id, parties, counts, house)
        if done is not None:
            return done
    if not options:  # every method takes these keywords: no need for the registry's option check
        return spec.function(
            parties, counts, house, method_id=spec.id, threshold=threshold, min_seats=min_seats,
            max_seats=max_seats, ties=ties, seed=seed,
        )
    return spec(
        parties,
        counts,
        house,
        threshold=threshold,
        min_seats=min_seats,
        max_seats=max_seats,
        ties=ties,
        seed=seed,
        **options,
    )
