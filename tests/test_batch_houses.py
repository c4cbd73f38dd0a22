"""Batches with a house size per row and with prior seats (seats/batch.py): the scalar answer, row by row."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seats
from seats.methods import REGISTRY

FAST = sorted(
    m for m, spec in REGISTRY.items() if spec.family in {"divisor", "largest-remainder", "plurality"}
)
DIVISOR = sorted(m for m, spec in REGISTRY.items() if spec.family == "divisor")
ZERO_FIRST = {"adams", "dean", "huntington-hill"}  # d(0) = 0


def names_of(width: int) -> tuple[str, ...]:
    return tuple(f"p{j}" for j in range(width))


def scalar(row: Any, house: int, prior: Any = None, **kwargs: Any) -> seats.Allocation:
    names = names_of(len(row))
    if prior is not None:
        kwargs["prior_seats"] = {n: int(k) for n, k in zip(names, prior, strict=True) if k}
    return seats.apportion(dict(zip(names, (int(x) for x in row), strict=True)), int(house), **kwargs)


def scalar_or_tie(row: Any, house: int, prior: Any = None, **kwargs: Any) -> list[int] | None:
    try:
        return list(scalar(row, house, prior, **kwargs).seats.values())
    except seats.TieError:
        return None


@st.composite
def batches(draw: st.DrawFn, method: str, with_prior: bool) -> tuple[np.ndarray, np.ndarray, Any, Any]:
    """Votes (every row with votes), one house per row (0 allowed), prior seats or None, a threshold."""
    width = draw(st.integers(1, 6))
    rows = draw(st.integers(1, 10))
    top = draw(st.sampled_from([12, 1000, 10**7]))  # 12: frequent ties and near-ties
    family = REGISTRY[method].family
    low = 1 if family == "plurality" else 0
    row = st.lists(st.integers(low, top), min_size=width, max_size=width).filter(any)
    votes = np.asarray(draw(st.lists(row, min_size=rows, max_size=rows)), dtype=np.int64)
    if method == "plurality":
        most = 1
    elif family == "plurality":
        most = width
    else:
        most = 25 + (width if method in ZERO_FIRST else 0)
    houses = np.asarray(draw(st.lists(st.integers(0, most), min_size=rows, max_size=rows)), dtype=np.int64)
    prior = None
    if with_prior:
        cell = st.integers(0, draw(st.sampled_from([1, 3, 30])))
        prior = np.asarray(
            draw(st.lists(st.lists(cell, min_size=width, max_size=width), min_size=rows, max_size=rows)),
            dtype=np.int64,
        )
    threshold = None if family == "plurality" else draw(st.sampled_from([None, "5%", "1/8"]))
    return votes, houses, prior, threshold


# --- examples -------------------------------------------------------------------------------


def test_one_house_per_row() -> None:
    votes = np.array([[100_000, 80_000, 30_000, 20_000]] * 3)
    out = seats.batch.apportion(votes, np.array([8, 0, 1]))
    assert out.tolist() == [[4, 3, 1, 0], [0, 0, 0, 0], [1, 0, 0, 0]]


def test_a_house_array_of_one_value_is_the_int_house() -> None:
    votes = np.random.default_rng(3).integers(0, 10**5, size=(50, 7))
    votes[:, 0] += 1
    for method in ("dhondt", "hare", "huntington-hill", "block"):
        expected = seats.batch.apportion(votes, 5, method=method, ties="order")
        got = seats.batch.apportion(votes, np.full(50, 5), method=method, ties="order")
        assert got.tolist() == expected.tolist(), method
    assert seats.batch.apportion(votes, np.int64(5)).tolist() == seats.batch.apportion(votes, 5).tolist()


def test_a_row_without_seats_needs_no_votes() -> None:
    votes = np.array([[0, 0], [3, 1]])
    assert seats.batch.apportion(votes, [0, 2]).tolist() == [[0, 0], [2, 0]]
    with pytest.raises(seats.InvalidVotesError, match="row 0: no party has votes"):
        seats.batch.apportion(votes, [1, 2])


def test_prior_seats_move_the_divisors_on() -> None:
    votes = np.array([[60, 40], [60, 40]])
    res = seats.batch.allocate(votes, 5, prior=[[3, 0], [0, 0]])
    assert res.seats.tolist() == [[2, 3], [3, 2]]
    assert scalar([60, 40], 5, [3, 0]).seats["p0"] == 2


def test_prior_seats_that_are_all_zero_change_nothing() -> None:
    votes = np.array([[5, 3, 1, 1], [60, 30, 10, 0]])
    plain = seats.batch.allocate(votes, 8, ties="order")
    zero = seats.batch.allocate(votes, 8, ties="order", prior=np.zeros((2, 4), dtype=np.int64))
    assert zero.seats.tolist() == plain.seats.tolist() and zero.ties == plain.ties


def test_a_tie_under_prior_seats_is_reported() -> None:
    # with 1 prior seat, p0's next quotient is 20/2 = 10, p1's first is 10/1: a tie for the seat
    votes = np.array([[20, 10], [20, 10]])
    with pytest.raises(seats.TieError, match=r"rows 0\)") as info:
        seats.batch.allocate(votes, 1, prior=[[1, 0], [0, 0]])
    assert info.value.rows == [0]  # type: ignore[attr-defined]
    res = seats.batch.allocate(votes, 1, prior=[[1, 0], [0, 0]], ties="order", parties=["x", "y"])
    assert res.seats.tolist() == [[1, 0], [1, 0]] and res.tie_rows.tolist() == [0]
    assert res.ties[0][1].tied == ("x", "y")


@pytest.mark.parametrize(
    ("houses", "message"),
    [
        (np.array([1, 2]), r"an array of shape \(3,\), got shape \(2,\)"),
        (np.array([[1, 2, 3]]), r"got shape \(1, 3\)"),
        (np.array([1, -2, 3]), "must not be negative; row 1 is -2"),
        (np.array([1.0, 2.5, 3.0]), "must be a whole number; row 1 is 2.5"),
        (np.array(["1", "2", "3"]), "must be an integer array"),
        (-1, "must not be negative, got -1"),
        (2.5, "must be a whole number, got 2.5"),
    ],
)
def test_invalid_houses(houses: Any, message: str) -> None:
    with pytest.raises(seats.InvalidSeatsError, match=message):
        seats.batch.apportion(np.array([[1, 2], [3, 4], [5, 6]]), houses)


def test_whole_float_houses_are_accepted() -> None:
    out = seats.batch.apportion(np.array([[30, 20], [30, 20]]), np.array([2.0, 3.0]))
    assert out.tolist() == [[1, 1], [2, 1]]


@pytest.mark.parametrize(
    ("prior", "message"),
    [
        (np.zeros((2, 3), dtype=np.int64), r"must have the shape of the votes \(2, 2\), got shape \(2, 3\)"),
        (np.array([[0, -1], [0, 0]]), "must not be negative; row 0, column 1 is -1"),
        (np.array([[0, 0.5], [0, 0]]), "must be whole numbers; row 0, column 1 is"),
        (np.array([["a", "b"], ["c", "d"]]), "must be an integer array"),
    ],
)
def test_invalid_prior(prior: Any, message: str) -> None:
    with pytest.raises(seats.InvalidSeatsError, match=message):
        seats.batch.apportion(np.array([[1, 2], [3, 4]]), 3, prior=prior)


@pytest.mark.parametrize("method", ["hare", "block", "quota"])
def test_prior_is_for_divisor_methods_only(method: str) -> None:
    with pytest.raises(seats.InvalidSeatsError, match=f"divisor methods only; '{method}' is a"):
        seats.batch.apportion(np.array([[1, 2]]), 1, method=method, prior=[[1, 0]])


@pytest.mark.parametrize("method", ["dhondt", "sainte-lague", "danish", "imperiali"])
def test_blocks_carry_their_own_houses_and_prior(monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    monkeypatch.setattr(seats.batch, "_CHUNK", 4)  # blocks of 4 rows, the last one short
    monkeypatch.setattr(seats.batch, "_CHUNK_CELLS", 0)  # and no more for few parties
    rng = np.random.default_rng(8)
    votes = rng.integers(1, 10**6, size=(13, 5))
    houses = rng.integers(0, 40, size=13)
    prior = rng.integers(0, 6, size=(13, 5))
    res = seats.batch.allocate(votes, houses, method=method, prior=prior, ties="order")
    for r in range(13):
        expected = scalar(votes[r], houses[r], prior[r], method=method)
        assert res.seats[r].tolist() == list(expected.seats.values())


@pytest.mark.parametrize("method", ["dhondt", "sainte-lague", "danish", "imperiali"])
def test_prior_rows_are_certified_by_the_vectorised_path(method: str) -> None:
    # prior seats must not send the rows to the exact engine one by one
    rng = np.random.default_rng(21)
    votes = rng.integers(1, 10**6, size=(400, 8))
    votes[rng.random(votes.shape) < 0.15] = 0
    votes[:, 0] += 1
    houses = rng.integers(1, 60, size=400)
    prior = rng.integers(0, 4, size=(400, 8)) * (rng.random((400, 8)) < 0.5)
    res = seats.batch.allocate(votes, houses, method=method, prior=prior)
    assert res.exact_rows <= 8  # 2%: the float path certifies the others
    for r in range(0, 400, 7):
        expected = scalar(votes[r], houses[r], prior[r], method=method)
        assert res.seats[r].tolist() == list(expected.seats.values())


# --- properties: the batch path is the scalar path ------------------------------------------

SOME = settings(max_examples=20, deadline=None)


@pytest.mark.parametrize("method", FAST)
@SOME
@given(data=st.data())
def test_per_row_houses_equal_scalar_row_by_row(method: str, data: st.DataObject) -> None:
    votes, houses, _, threshold = data.draw(batches(method, with_prior=False))
    res = seats.batch.allocate(votes, houses, method=method, threshold=threshold, ties="order")
    tie_rows = []
    for r in range(votes.shape[0]):
        a = scalar(votes[r], houses[r], method=method, threshold=threshold, ties="order")
        assert res.seats[r].tolist() == list(a.seats.values()), r
        if a.ties:
            tie_rows.append(r)
    assert res.tie_rows.tolist() == tie_rows


@pytest.mark.parametrize("method", DIVISOR)
@SOME
@given(data=st.data())
def test_prior_seats_equal_scalar_row_by_row(method: str, data: st.DataObject) -> None:
    votes, houses, prior, threshold = data.draw(batches(method, with_prior=True))
    res = seats.batch.allocate(votes, houses, method=method, threshold=threshold, ties="order", prior=prior)
    tie_rows = []
    events: list[tuple[int, seats.TieEvent]] = []
    for r in range(votes.shape[0]):
        a = scalar(votes[r], houses[r], prior[r], method=method, threshold=threshold, ties="order")
        assert res.seats[r].tolist() == list(a.seats.values()), r
        if a.ties:
            tie_rows.append(r)
            events.extend((r, t) for t in a.ties)
    assert res.tie_rows.tolist() == tie_rows
    assert list(res.ties) == events


@pytest.mark.parametrize("method", DIVISOR)
@SOME
@given(data=st.data())
def test_prior_seats_tie_error_rows_are_the_scalar_tie_rows(method: str, data: st.DataObject) -> None:
    votes, houses, prior, threshold = data.draw(batches(method, with_prior=True))
    expected = [
        scalar_or_tie(votes[r], houses[r], prior[r], method=method, threshold=threshold)
        for r in range(votes.shape[0])
    ]
    tied = [r for r, e in enumerate(expected) if e is None]
    if tied:
        with pytest.raises(seats.TieError) as info:
            seats.batch.allocate(votes, houses, method=method, threshold=threshold, prior=prior)
        assert info.value.rows == tied  # type: ignore[attr-defined]
    else:
        res = seats.batch.allocate(votes, houses, method=method, threshold=threshold, prior=prior)
        assert res.seats.tolist() == expected
