"""Normalising what callers pass: votes, house size, threshold and seat bounds."""

from __future__ import annotations

import math
import numbers
from array import array
from collections.abc import Iterable, Mapping
from fractions import Fraction
from operator import countOf
from typing import Any

import numpy as np
import numpy.typing as npt

from seats.errors import InvalidSeatsError, InvalidVotesError

__all__ = [
    "Bounds",
    "as_fraction",
    "check_house",
    "eligible",
    "normalise_bounds",
    "normalise_votes",
    "ones_of",
    "packed_votes",
]

Bounds = tuple[list[int], list[int | None]]


def _as_int_votes(party: str, raw: object) -> int:
    if isinstance(raw, bool):
        raise InvalidVotesError(f"votes for {party!r} must be a whole number, got {raw!r}")
    if isinstance(raw, numbers.Integral) or (isinstance(raw, Fraction) and raw.denominator == 1):
        value = int(raw)
    elif isinstance(raw, numbers.Real):
        as_float = float(raw)
        if math.isnan(as_float) or math.isinf(as_float):
            raise InvalidVotesError(f"votes for {party!r} must be a whole number, got {raw!r}")
        if not as_float.is_integer():
            raise InvalidVotesError(f"votes for {party!r} must be a whole number, got {raw!r}")
        value = int(as_float)
    else:
        raise InvalidVotesError(f"votes for {party!r} must be a whole number, got {raw!r}")
    if value < 0:
        raise InvalidVotesError(f"votes for {party!r} must not be negative, got {value}")
    return value


# The last votes normalise_votes packed, with their packing: the numpy fast paths of the
# methods read it back (packed_votes) instead of packing the same tuple again. One
# tuple assigned at once, and checked by identity (the tuple it holds cannot be freed
# and its address reused), so threads never read another call's packing.
_last_packed: tuple[tuple[int, ...], array[int]] | None = None


def _non_negative(values: tuple[int, ...]) -> bool:
    """Whether no value (all exactly ``int``) is negative."""
    global _last_packed
    try:
        packed = array("Q", values)
    except OverflowError:  # a negative value, or one of 64 bits or more
        return min(values, default=0) >= 0
    _last_packed = (values, packed)
    return True


def packed_votes(votes: tuple[int, ...]) -> array[int] | None:
    """``votes`` (non-negative ints) packed as unsigned 64-bit ints (``array('Q')``), or
    ``None`` when one needs 64 bits or more. The packing :func:`normalise_votes` made of
    the same tuple is reused; callers must not change it.

    >>> packed_votes((3, 0, 2**63)).tolist(), packed_votes((2**64,))
    ([3, 0, 9223372036854775808], None)
    """
    last = _last_packed
    if last is not None and last[0] is votes:
        return last[1]
    try:
        return array("Q", votes)
    except OverflowError:
        return None


# Read-only arrays of ones by (length, dtype), for the numpy fast paths: a dot product
# with one adds up a small array of whole numbers faster than ``np.add.reduce`` (one
# BLAS or integer loop, exact while the sum stays below 2**53 or 2**63). Kept small.
_ONES: dict[tuple[int, type[np.generic]], npt.NDArray[Any]] = {}


def ones_of(m: int, dtype: type[np.generic]) -> npt.NDArray[Any]:
    """A read-only array of ``m`` ones of ``dtype``, made once for each length.

    >>> ones_of(3, np.int64).tolist(), ones_of(3, np.int64) is ones_of(3, np.int64)
    ([1, 1, 1], True)
    """
    found = _ONES.get((m, dtype))
    if found is None:
        found = np.ones(m, dtype=dtype)
        found.flags.writeable = False
        if len(_ONES) >= 64:
            _ONES.clear()
        _ONES[m, dtype] = found
    return found


def normalise_votes(
    votes: Mapping[str, Any] | Iterable[tuple[str, Any]],
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Party names and whole, non-negative vote counts, in input order.

    >>> normalise_votes({"A": 10, "B": 5.0})
    (('A', 'B'), (10, 5))
    """
    if type(votes) is dict:
        # The common case needs no per-party work in Python: a plain dict's keys are
        # unique, and when they are all exactly str and the values all exactly int (not
        # bool, not a subclass) and none is negative, the general loop below would
        # return the same. Types are counted in C; packing the ints as unsigned 64-bit
        # (array 'Q') refuses a negative one faster than min() finds it.
        keys = tuple(votes)
        values = tuple(votes.values())
        n = len(keys)
        if (
            countOf(map(type, values), int) == n
            and countOf(map(type, keys), str) == n
            and _non_negative(values)
        ):
            return keys, values
    items = list(votes.items()) if isinstance(votes, Mapping) else list(votes)
    names: list[str] = []
    counts: list[int] = []
    seen: set[str] = set()
    for entry in items:
        try:
            party, raw = entry
        except (TypeError, ValueError):
            raise InvalidVotesError(f"expected (party, votes) pairs, got {entry!r}") from None
        name = str(party)
        if name in seen:
            raise InvalidVotesError(f"party {name!r} appears twice")
        seen.add(name)
        names.append(name)
        counts.append(_as_int_votes(name, raw))
    return tuple(names), tuple(counts)


def check_house(seats: object) -> int:
    """The house size as a non-negative int."""
    if type(seats) is int and seats >= 0:
        return seats
    if isinstance(seats, bool) or not isinstance(seats, numbers.Integral):
        raise InvalidSeatsError(f"the number of seats must be a whole number, got {seats!r}")
    if int(seats) < 0:
        raise InvalidSeatsError(f"the number of seats must not be negative, got {seats}")
    return int(seats)


def as_fraction(value: object, what: str = "threshold") -> Fraction:
    """An exact fraction from an int, Fraction, decimal string (``"0.05"``, ``"1/8"``, ``"5%"``) or float.

    Floats are read through their shortest decimal form, so ``0.05`` is exactly 1/20.

    >>> as_fraction("5%"), as_fraction(0.05), as_fraction("1/8")
    (Fraction(1, 20), Fraction(1, 20), Fraction(1, 8))
    """
    try:
        if isinstance(value, Fraction):
            result = value
        elif isinstance(value, bool):
            raise TypeError
        elif isinstance(value, int):
            result = Fraction(value)
        elif isinstance(value, float):
            result = Fraction(repr(value))
        elif isinstance(value, str):
            text = value.strip()
            result = Fraction(text[:-1].strip()) / 100 if text.endswith("%") else Fraction(text)
        else:
            raise TypeError
    except (TypeError, ValueError, ZeroDivisionError):
        raise InvalidVotesError(f"{what} must be a number or fraction, got {value!r}") from None
    if not 0 <= result <= 1:
        raise InvalidVotesError(f"{what} must be between 0 and 1 (a fraction of votes), got {value!r}")
    return result


def eligible(votes: tuple[int, ...], threshold: Fraction | None) -> list[bool]:
    """Which parties pass the threshold: ``votes >= threshold * total`` (at least), exactly."""
    if not threshold:
        return [True] * len(votes)
    total = sum(votes)
    num, den = threshold.numerator, threshold.denominator
    return [v * den >= num * total for v in votes]


def normalise_bounds(
    parties: tuple[str, ...],
    house: int,
    min_seats: int | Mapping[str, int] | None,
    max_seats: int | Mapping[str, int] | None,
) -> Bounds | None:
    """Per-party lower and upper seat bounds, or ``None`` when there are none."""
    if min_seats is None and max_seats is None:
        return None

    def per_party(spec: int | Mapping[str, int] | None, what: str, default: int | None) -> list[Any]:
        if spec is None:
            return [default] * len(parties)
        if isinstance(spec, Mapping):
            unknown = sorted(set(spec) - set(parties))
            if unknown:
                raise InvalidSeatsError(f"{what} names unknown parties: {', '.join(unknown)}")
            values = [spec.get(p, default) for p in parties]
        else:
            values = [spec] * len(parties)
        for p, v in zip(parties, values, strict=True):
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                raise InvalidSeatsError(f"{what} for {p!r} must be a non-negative whole number, got {v!r}")
        return values

    lower = per_party(min_seats, "min_seats", 0)
    upper = per_party(max_seats, "max_seats", None)
    for p, lo, hi in zip(parties, lower, upper, strict=True):
        if hi is not None and lo > hi:
            raise InvalidSeatsError(f"min_seats {lo} exceeds max_seats {hi} for {p!r}")
    return lower, upper
