"""Vectorised batches (seats/batch.py): always the scalar engine's answer, row by row."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seats
from seats.methods import REGISTRY

METHODS = sorted(REGISTRY)
FAST = sorted(
    m for m, spec in REGISTRY.items() if spec.family in {"divisor", "largest-remainder", "plurality"}
)
ZERO_FIRST = {"adams", "dean", "huntington-hill"}  # d(0) = 0


def scalar_row(row: Any, house: int, names: tuple[str, ...], **kwargs: Any) -> seats.Allocation:
    return seats.apportion(dict(zip(names, (int(x) for x in row), strict=True)), house, **kwargs)


@st.composite
def batches(draw: st.DrawFn, method: str) -> tuple[np.ndarray, int, object]:
    """A votes matrix (every row with votes), a house size that suits the method, a threshold."""
    width = draw(st.integers(1, 6))
    rows = draw(st.integers(1, 10))
    top = draw(st.sampled_from([12, 1000, 10**7]))  # 12: frequent ties and near-ties
    family = REGISTRY[method].family
    low = 1 if family == "plurality" else 0
    row = st.lists(st.integers(low, top), min_size=width, max_size=width).filter(any)
    matrix = np.asarray(draw(st.lists(row, min_size=rows, max_size=rows)), dtype=np.int64)
    if method == "plurality":
        return matrix, draw(st.integers(0, 1)), None
    if family == "plurality":
        return matrix, draw(st.integers(0, width)), None
    house = draw(st.integers(0, 25))
    if method in ZERO_FIRST and draw(st.booleans()):
        house += width  # d(0) = 0: often a seat for every party, sometimes fewer seats than parties
    # thresholds of at most 1/8 with at most 6 parties always leave the largest party in
    return matrix, house, draw(st.sampled_from([None, "5%", "1/8", 0.1]))


# --- examples -------------------------------------------------------------------------------


def test_two_elections() -> None:
    out = seats.batch.apportion(np.array([[100_000, 80_000, 30_000, 20_000], [52, 39, 13, 8]]), 8)
    assert out.tolist() == [[4, 3, 1, 0], [4, 3, 1, 0]]
    assert out.dtype == np.int64


def test_the_old_docstring_example_is_a_tie() -> None:
    # the module example once used the row [5, 3, 1, 1], a D'Hondt tie for seats 7 and 8
    with pytest.raises(seats.TieError, match="seats 7, 8"):
        seats.batch.apportion(np.array([[5, 3, 1, 1]]), 8)


@pytest.mark.parametrize("method", ["dhondt", "adams", "hare", "block", "quota"])
def test_the_input_is_never_written_and_the_output_is_a_new_array(method: str) -> None:
    votes = np.array([[60, 30, 10], [1, 2, 5]], dtype=np.int64)
    kept = votes.copy()
    out = seats.batch.apportion(votes, 3, method=method, ties="order")
    assert (votes == kept).all()
    out[...] = -1
    assert (votes == kept).all()


def test_one_dimensional_input_is_one_election() -> None:
    assert seats.batch.apportion(np.array([6, 6, 2]), 10, method="hare").tolist() == [[4, 4, 2]]


def test_allocation_fields() -> None:
    votes = np.array([[3, 1], [1, 1], [5, 2]])
    res = seats.batch.allocate(votes, 1, method="dhondt", ties="order", parties=["x", "y"])
    assert res.seats.tolist() == [[1, 0], [1, 0], [1, 0]]
    assert res.tie_rows.tolist() == [1]
    ((row, event),) = res.ties
    assert row == 1
    assert event.tied == ("x", "y") and event.winners == ("x",) and event.policy == "order"
    assert res.exact_rows == 1  # only the tied row needed the exact engine


def test_tie_error_lists_every_tied_row() -> None:
    votes = np.array([[1, 1], [3, 1], [2, 2], [7, 7]])
    pattern = r"3 of 4 elections have a tie that decides a seat \(rows 0, 2, 3\)"
    with pytest.raises(seats.TieError, match=pattern) as info:
        seats.batch.allocate(votes, 1)
    assert info.value.rows == [0, 2, 3]  # type: ignore[attr-defined]
    assert info.value.event is not None and info.value.event.tied == ("p0", "p1")


def test_lot_in_row_r_draws_with_seed_plus_r() -> None:
    votes = np.array([[5, 5, 5]] * 6)
    res = seats.batch.allocate(votes, 1, ties="lot", seed=100)
    for r in range(6):
        expected = scalar_row(votes[r], 1, ("p0", "p1", "p2"), ties="lot", seed=100 + r)
        assert res.seats[r].tolist() == list(expected.seats.values())
    assert [e.seed for _, e in res.ties] == list(range(100, 106))


@pytest.mark.parametrize(
    ("votes", "message"),
    [
        (np.array([[1, -2]]), "must not be negative; row 0, column 1 is -2"),
        (np.array([[1.5, 2.0]]), "must be whole numbers; row 0, column 0 is"),
        (np.array([["a", "b"]]), "must be an integer array"),
        (np.zeros((2, 2, 2), dtype=np.int64), "must be a 2-D"),
    ],
)
def test_invalid_votes(votes: np.ndarray, message: str) -> None:
    with pytest.raises(seats.InvalidVotesError, match=message):
        seats.batch.apportion(votes, 3)


def test_party_names_must_match_the_columns() -> None:
    with pytest.raises(seats.InvalidVotesError, match="1 party names for 2 columns"):
        seats.batch.allocate(np.array([[1, 2]]), 1, parties=["only"])


def test_whole_floats_are_accepted() -> None:
    assert seats.batch.apportion(np.array([[30.0, 20.0]]), 2).tolist() == [[1, 1]]


def test_empty_batch() -> None:
    out = seats.batch.apportion(np.zeros((0, 3), dtype=np.int64), 5)
    assert out.shape == (0, 3)


def test_options_fall_back_to_the_exact_engine() -> None:
    votes = np.array([[60, 40], [70, 30]])
    out = seats.batch.apportion(votes, 1, method="imperiali-quota", overflow="smallest-remainders")
    assert out.tolist() == [[1, 0], [1, 0]]
    with pytest.raises(seats.InvalidSeatsError, match="gives 2 whole quotas for 1 seats"):
        seats.batch.apportion(votes, 1, method="imperiali-quota", overflow="error")
    custom = seats.batch.apportion(votes, 5, method=lambda s: s + 1)
    assert custom.tolist() == seats.batch.apportion(votes, 5, method="dhondt").tolist()


def test_threshold_in_batch() -> None:
    votes = np.array([[60, 35, 5], [60, 36, 4]])
    out = seats.batch.apportion(votes, 20, threshold="5%")
    assert out.tolist() == [[12, 7, 1], [13, 7, 0]]


def test_no_party_with_votes_in_a_row_is_refused_by_largest_remainder() -> None:
    with pytest.raises(seats.InvalidVotesError, match="row 1: no party has votes"):
        seats.batch.apportion(np.array([[1, 2], [0, 0]]), 2, method="hare")


@pytest.mark.parametrize("method", sorted(m for m, spec in REGISTRY.items() if spec.family == "divisor"))
@pytest.mark.parametrize(
    ("votes", "threshold"),
    [(np.array([[3, 1, 2], [0, 0, 0]]), None), (np.array([[90, 10], [50, 50]]), "60%")],
)
def test_no_party_with_votes_in_a_row_is_refused_by_divisor_methods(
    method: str, votes: np.ndarray, threshold: str | None
) -> None:
    with pytest.raises(seats.InvalidVotesError, match="row 1: no party has votes"):
        seats.batch.apportion(votes, 2, method=method, threshold=threshold)
    # with no seats to share there is nothing to refuse
    nothing = seats.batch.apportion(votes, 0, method=method, threshold=threshold)
    assert nothing.tolist() == [[0] * votes.shape[1]] * 2


@pytest.mark.parametrize(
    ("method", "row", "house"),
    [
        *((m, [0, 1], 0) for m in sorted(ZERO_FIRST)),
        *((m, [0, 5, 5, 5], 2) for m in sorted(ZERO_FIRST)),
        ("adams", [100, 1, 1], 1),
        ("adams", [5, 5, 5], 1),
    ],
)
def test_zero_first_signpost_with_a_small_house(method: str, row: list[int], house: int) -> None:
    names = tuple(f"p{j}" for j in range(len(row)))
    res = seats.batch.allocate(np.array([row]), house, method=method, ties="order")
    assert res.seats.min() >= 0
    scalar = scalar_row(row, house, names, method=method, ties="order")
    assert res.seats[0].tolist() == list(scalar.seats.values())
    assert [e for _, e in res.ties] == list(scalar.ties)
    if scalar.ties:  # every first quotient is infinite: under the default policy, a TieError
        with pytest.raises(seats.TieError, match="rows 0"):
            seats.batch.apportion(np.array([row]), house, method=method)


def test_near_ties_beyond_float_precision_are_decided_exactly() -> None:
    big = 2**60  # big + 1 and big are the same float
    votes = np.array([[big + 1, big], [big, big + 1]])
    assert seats.batch.apportion(votes, 1).tolist() == [[1, 0], [0, 1]]
    assert seats.batch.apportion(np.array([[2 * big + 1, big]]), 3).tolist() == [[2, 1]]  # (2b+1)/2 > b
    res = seats.batch.allocate(np.array([[big + 1, big], [6, 4]]), 1, method="sainte-lague")
    assert res.seats.tolist() == [[1, 0], [1, 0]]
    assert res.exact_rows == 1  # only the near-tie needed the exact engine


@pytest.mark.parametrize("method", ["dhondt", "sainte-lague", "danish", "imperiali"])
def test_rows_are_solved_in_blocks(monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    monkeypatch.setattr(seats.batch, "_CHUNK", 3)  # blocks of 3 rows, the last one short
    monkeypatch.setattr(seats.batch, "_CHUNK_CELLS", 0)  # and no more for few parties
    votes = np.random.default_rng(5).integers(0, 10**6, size=(11, 5))
    votes[4] = 0  # a row with nothing to share, inside a block
    with pytest.raises(seats.InvalidVotesError, match="row 4: no party has votes"):
        seats.batch.apportion(votes, 9, method=method)
    votes[4] = [7, 0, 0, 0, 0]
    res = seats.batch.allocate(votes, 9, method=method, ties="order")
    names = tuple(f"p{j}" for j in range(5))
    for r in range(votes.shape[0]):
        expected = scalar_row(votes[r], 9, names, method=method, ties="order")
        assert res.seats[r].tolist() == list(expected.seats.values())


@pytest.mark.parametrize("method", ["dhondt", "sainte-lague", "danish", "imperiali"])
def test_rows_with_absent_parties_are_certified_without_the_exact_engine(method: str) -> None:
    # one float divisor settles most rows, the corrections the others; a party without
    # votes (D'Hondt: x = 0, a whole number) must neither win a seat nor send its row away
    rng = np.random.default_rng(11)
    votes = rng.integers(1, 10**6, size=(300, 8))
    votes[rng.random(votes.shape) < 0.2] = 0
    votes[:, 0] += 1  # every row has a party with votes
    res = seats.batch.allocate(votes, 31, method=method)
    assert res.exact_rows == 0
    names = tuple(f"p{j}" for j in range(8))
    for r in range(votes.shape[0]):
        assert res.seats[r].tolist() == list(scalar_row(votes[r], 31, names, method=method).seats.values())


# --- properties: the batch path is the scalar path ------------------------------------------

SOME = settings(max_examples=25)


@pytest.mark.parametrize("method", METHODS)
@SOME
@given(data=st.data())
def test_batch_equals_scalar_row_by_row(method: str, data: st.DataObject) -> None:
    votes, house, threshold = data.draw(batches(method))
    names = tuple(f"p{j}" for j in range(votes.shape[1]))
    # 'order' settles every tie the same way on both paths, so every row has one answer
    res = seats.batch.allocate(votes, house, method=method, threshold=threshold, ties="order")
    tie_rows: list[int] = []
    events: list[tuple[int, seats.TieEvent]] = []
    for r in range(votes.shape[0]):
        a = scalar_row(votes[r], house, names, method=method, threshold=threshold, ties="order")
        assert res.seats[r].tolist() == list(a.seats.values()), r
        if a.ties:
            tie_rows.append(r)
            events.extend((r, t) for t in a.ties)
    assert res.tie_rows.tolist() == tie_rows
    assert list(res.ties) == events
    assert seats.batch.apportion(votes, house, method=method, threshold=threshold, ties="order").tolist() == (
        res.seats.tolist()
    )


@pytest.mark.parametrize("method", FAST)
@SOME
@given(data=st.data(), seed=st.integers(0, 2**31))
def test_batch_lot_equals_scalar_lot_with_row_seeds(method: str, data: st.DataObject, seed: int) -> None:
    votes, house, threshold = data.draw(batches(method))
    names = tuple(f"p{j}" for j in range(votes.shape[1]))
    res = seats.batch.allocate(votes, house, method=method, threshold=threshold, ties="lot", seed=seed)
    for r in range(votes.shape[0]):
        a = scalar_row(votes[r], house, names, method=method, threshold=threshold, ties="lot", seed=seed + r)
        assert res.seats[r].tolist() == list(a.seats.values()), r


@pytest.mark.parametrize("method", METHODS)
@SOME
@given(data=st.data())
def test_batch_tie_error_rows_are_the_scalar_tie_rows(method: str, data: st.DataObject) -> None:
    votes, house, threshold = data.draw(batches(method))
    names = tuple(f"p{j}" for j in range(votes.shape[1]))
    expected: list[list[int] | None] = []
    for r in range(votes.shape[0]):
        try:
            a = scalar_row(votes[r], house, names, method=method, threshold=threshold)
        except seats.TieError:
            expected.append(None)
        else:
            expected.append(list(a.seats.values()))
    tied = [r for r, e in enumerate(expected) if e is None]
    if tied:
        with pytest.raises(seats.TieError) as info:
            seats.batch.allocate(votes, house, method=method, threshold=threshold, ties="error")
        assert info.value.rows == tied  # type: ignore[attr-defined]
    else:
        res = seats.batch.allocate(votes, house, method=method, threshold=threshold, ties="error")
        assert res.seats.tolist() == expected
        assert res.tie_rows.tolist() == []
