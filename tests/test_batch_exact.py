"""The batch path's exact settling of ties and near-ties (seats/batch.py): the scalar engine's seats,
tie records and errors, row for row, for every policy."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seats

LINEAR = ["dhondt", "sainte-lague", "danish", "imperiali"]
POLICIES = ["order", "most-votes", "lot", "error"]


def names_of(width: int) -> tuple[str, ...]:
    return tuple(f"p{j}" for j in range(width))


def scalar_outcome(row: Any, house: int, prior: Any = None, **kwargs: Any) -> tuple[str, Any]:
    """('ok', (seats, ties)) or ('tie', message) from seats.apportion on one row."""
    names = names_of(len(row))
    if prior is not None:
        kwargs["prior_seats"] = {n: int(k) for n, k in zip(names, prior, strict=True) if k}
    try:
        a = seats.apportion(dict(zip(names, (int(x) for x in row), strict=True)), int(house), **kwargs)
    except seats.TieError as err:
        return "tie", str(err)
    return "ok", (list(a.seats.values()), list(a.ties))


def check_rows(votes: np.ndarray, houses: Any, prior: Any = None, **kwargs: Any) -> None:
    """The batch gives every row exactly what the scalar engine gives it (seeds: seed + row), and
    ``apportion`` (which builds no tie records) the same seats or the same error."""
    rows = votes.shape[0]
    seed = kwargs.pop("seed", None)
    per_row = np.broadcast_to(np.asarray(houses), (rows,))
    expected = []
    for r in range(rows):
        row_kwargs = dict(kwargs, seed=None if seed is None else seed + r)
        row_prior = None if prior is None else prior[r]
        expected.append(scalar_outcome(votes[r], per_row[r], row_prior, **row_kwargs))
    tied = [r for r, (kind, _) in enumerate(expected) if kind == "tie"]
    if tied:
        for call in (seats.batch.allocate, seats.batch.apportion):
            with pytest.raises(seats.TieError) as info:
                call(votes, houses, prior=prior, seed=seed, **kwargs)
            assert info.value.rows == tied  # type: ignore[attr-defined]
            assert str(info.value).endswith("first: " + expected[tied[0]][1])
        return
    res = seats.batch.allocate(votes, houses, prior=prior, seed=seed, **kwargs)
    only = seats.batch.apportion(votes, houses, prior=prior, seed=seed, **kwargs)
    assert only.tolist() == res.seats.tolist()
    events: list[tuple[int, seats.TieEvent]] = []
    for r, (_, (row_seats, row_ties)) in enumerate(expected):
        assert res.seats[r].tolist() == row_seats, r
        events.extend((r, t) for t in row_ties)
    assert list(res.ties) == events
    assert res.tie_rows.tolist() == sorted({r for r, _ in events})


@pytest.mark.parametrize("method", LINEAR)
@pytest.mark.parametrize("policy", POLICIES)
def test_many_tied_rows_at_once(method: str, policy: str) -> None:
    rng = np.random.default_rng(1)
    votes = rng.integers(0, 7, size=(300, 5)) * rng.choice([1, 2, 6], size=(300, 1))
    votes[:, 0] += 1  # every row has a party with votes
    houses = rng.integers(1, 16, size=300)
    if policy == "error":  # one tied row among untied ones, then many
        check_rows(votes[:40] * 1000 + np.arange(5) * 7 + 1, houses[:40], method=method, ties=policy)
    check_rows(votes, houses, method=method, ties=policy, seed=17)


@pytest.mark.parametrize("method", LINEAR)
def test_three_way_tie_for_two_seats(method: str) -> None:
    votes = np.array([[10, 10, 10, 1], [10, 10, 10, 0], [30, 10, 10, 10]])
    check_rows(votes, np.array([2, 2, 4]), method=method, ties="order")
    check_rows(votes, np.array([2, 2, 4]), method=method, ties="lot", seed=3)


@pytest.mark.parametrize("method", LINEAR)
def test_ties_with_prior_seats_and_a_threshold(method: str) -> None:
    rng = np.random.default_rng(2)
    votes = rng.integers(0, 9, size=(200, 4)) * 5
    votes[:, 1] += 3
    prior = rng.integers(0, 3, size=(200, 4))
    houses = rng.integers(0, 12, size=200)
    check_rows(votes, houses, prior, method=method, ties="order", threshold="1/8")
    check_rows(votes, houses, prior, method=method, ties="most-votes", threshold="1/8")


def test_near_ties_are_proved_without_the_scalar_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    big = 2**40  # big + 1 and big differ in the 41st bit: far closer than the float margin
    votes = np.array([[big + 1, big, 3], [big, big + 1, 3], [6, 4, 1]])

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the scalar engine was called")

    monkeypatch.setattr(seats.batch, "exact_divisor", refuse)
    res = seats.batch.allocate(votes, 1)
    assert res.seats.tolist() == [[1, 0, 0], [0, 1, 0], [1, 0, 0]]
    assert res.exact_rows == 2  # the near-ties: not certified by floats, proved by integers


def test_votes_too_large_for_int64_products_go_to_the_scalar_engine() -> None:
    big = 2**61  # big * d(s) overflows int64: the Python-int engine decides
    votes = np.array([[big + 1, big], [big, big]])
    res = seats.batch.allocate(votes, 3, ties="order")
    assert res.seats.tolist() == [[2, 1], [2, 1]]
    assert res.tie_rows.tolist() == [1]
    check_rows(votes, 3, ties="order")


@settings(max_examples=30, deadline=None)
@given(
    method=st.sampled_from(LINEAR),
    policy=st.sampled_from(POLICIES),
    data=st.data(),
)
def test_exact_path_equals_scalar(method: str, policy: str, data: st.DataObject) -> None:
    width = data.draw(st.integers(1, 6))
    rows = data.draw(st.integers(1, 12))
    unit = data.draw(st.sampled_from([1, 3, 1000]))
    cell = st.integers(0, 8).map(lambda x: x * unit)
    row = st.lists(cell, min_size=width, max_size=width).filter(any)
    votes = np.asarray(data.draw(st.lists(row, min_size=rows, max_size=rows)), dtype=np.int64)
    houses = np.asarray(data.draw(st.lists(st.integers(0, 20), min_size=rows, max_size=rows)), dtype=np.int64)
    prior = None
    if data.draw(st.booleans()):
        held = st.lists(st.integers(0, 3), min_size=width, max_size=width)
        prior = np.asarray(data.draw(st.lists(held, min_size=rows, max_size=rows)), dtype=np.int64)
    check_rows(votes, houses, prior, method=method, ties=policy, seed=data.draw(st.integers(0, 99)))


def test_exact_blocks_and_wide_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(9)
    votes = rng.integers(0, 5, size=(120, 6)) * 10
    votes[:, 2] += 1
    monkeypatch.setattr(seats.batch, "_EXACT_CELLS", 36 * 7)  # blocks of 7 rows, the last one short
    check_rows(votes, 9, ties="order")
    monkeypatch.setattr(seats.batch, "_EXACT_WIDTH", 5)  # too wide: every such row to the engine
    calls: list[int] = []
    engine = seats.batch.exact_divisor  # type: ignore[attr-defined]

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return engine(*args, **kwargs)

    monkeypatch.setattr(seats.batch, "exact_divisor", counted)
    check_rows(votes, 9, ties="order")
    res = seats.batch.allocate(votes, 9, ties="order")
    assert res.exact_rows > 0 and len(calls) == 3 * res.exact_rows  # check_rows' two calls and this one
    check_rows(votes, 9, ties="error")


def test_party_names_must_differ() -> None:
    # a tie is settled by name: with two columns of one name, both would take the contested seat
    votes = np.array([[6, 6, 3, 3]])
    with pytest.raises(
        seats.InvalidVotesError, match="party names must differ; 'a' names more than one column"
    ):
        seats.batch.allocate(votes, 1, parties=("a", "a", "b", "c"), ties="order")
    with pytest.raises(seats.InvalidVotesError, match="'b' names more than one column"):
        seats.batch.apportion(votes, 1, parties=("a", "b", "c", "b"))
    res = seats.batch.allocate(votes, 1, parties=("a", "A", "b", "c"), ties="order")
    assert res.seats.tolist() == [[1, 0, 0, 0]] and res.ties[0][1].winners == ("a",)


def test_apportion_builds_no_tie_records(monkeypatch: pytest.MonkeyPatch) -> None:
    # apportion returns the seats only: under "order" no record is built, under "error" only the
    # one its message names; allocate still builds every record
    rng = np.random.default_rng(4)
    votes = rng.integers(1, 4, size=(200, 4)) * 10
    built: list[int] = []
    record = seats.batch._tie_event  # type: ignore[attr-defined]

    def counted(*args: Any, **kwargs: Any) -> Any:
        built.append(1)
        return record(*args, **kwargs)

    monkeypatch.setattr(seats.batch, "_tie_event", counted)
    res = seats.batch.allocate(votes, 5, ties="order")
    assert len(res.tie_rows) > 20 and len(built) == len(res.ties)
    built.clear()
    assert seats.batch.apportion(votes, 5, ties="order").tolist() == res.seats.tolist()
    assert built == []
    with pytest.raises(seats.TieError) as info:
        seats.batch.apportion(votes, 5)
    assert info.value.rows == res.tie_rows.tolist()  # type: ignore[attr-defined]
    assert built == [1]
