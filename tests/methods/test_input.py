"""Normalising votes (seats/methods/_input.py): the fast path for a plain dict of ints returns
exactly what the careful path returns, and refuses exactly what it refuses."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seats
from seats.methods._input import normalise_votes


class Colour(enum.IntEnum):
    RED = 7


class Name(enum.StrEnum):
    A = "A"


def careful(votes: Mapping[Any, Any]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The careful path: the same votes as pairs, which never take the dict fast path."""
    return normalise_votes(list(votes.items()))


@settings(max_examples=60)
@given(st.dictionaries(st.text(max_size=3), st.integers(0, 2**70), max_size=30))
def test_a_dict_of_ints_is_taken_as_it_is(votes: dict[str, int]) -> None:
    assert normalise_votes(votes) == careful(votes) == (tuple(votes), tuple(votes.values()))


@pytest.mark.parametrize(
    "votes",
    [
        {"A": 2**64, "B": 1},          # 64 bits and more: beyond the packed check, still exact
        {"A": 10**400, "B": 0},
        {"A": 5.0, "B": 2},            # whole floats, Fractions and numpy ints become ints
        {"A": Fraction(6, 2)},
        {"A": np.int64(9), "B": 1},
        {"A": Colour.RED},             # an int subclass becomes a plain int
        {Name.A: 3},                   # a str subclass name becomes a plain str
        {1: 3, 2: 4},                  # names that are not str become str
    ],
)
def test_anything_else_goes_the_careful_way(votes: dict[object, object]) -> None:
    names, counts = normalise_votes(votes)  # type: ignore[arg-type]
    assert (names, counts) == careful(votes)
    assert {type(n) for n in names} <= {str} and {type(c) for c in counts} <= {int}


@pytest.mark.parametrize(
    ("votes", "message"),
    [
        ({"A": 3, "B": -1}, "votes for 'B' must not be negative, got -1"),
        ({"A": 3, "B": -(2**70)}, "votes for 'B' must not be negative"),
        ({"A": 3, "B": True}, "votes for 'B' must be a whole number, got True"),
        ({"A": 3, "B": 2.5}, "votes for 'B' must be a whole number, got 2.5"),
    ],
)
def test_bad_votes_in_a_dict_are_named(votes: dict[str, object], message: str) -> None:
    with pytest.raises(seats.InvalidVotesError, match=message):
        normalise_votes(votes)


def test_the_methods_reuse_the_packing_of_the_votes_just_normalised() -> None:
    from seats.methods import _input

    _, counts = normalise_votes({f"P{i}": 1000 + i for i in range(30)})
    again = _input.packed_votes(counts)
    assert again is _input.packed_votes(counts)  # the same packing, not a new one
    assert again is not None and again.tolist() == list(counts)
    other = tuple(list(counts))  # equal but another tuple: packed afresh
    assert _input.packed_votes(other) is not again and _input.packed_votes(other) == again
    assert _input.packed_votes((1, 2**64)) is None
    assert normalise_votes({"A": 2**64, "B": 1})[1] == (2**64, 1)  # not packable: no packing kept
    assert _input.packed_votes(counts) is again
