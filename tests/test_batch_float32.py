"""Float32 blocks of the linear divisor path (seats/batch.py): every vote below 2**24, a small
house, no prior seats. They must give the scalar engine's seats and ties, as float64 blocks do."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seats
import seats.batch as batch

LINEAR = ["dhondt", "sainte-lague", "danish", "imperiali"]


def scalar(votes: np.ndarray, house: int, **kwargs: Any) -> tuple[list[list[int]], list[tuple[int, Any]]]:
    names = tuple(f"p{j}" for j in range(votes.shape[1]))
    rows: list[list[int]] = []
    events: list[tuple[int, Any]] = []
    for r, row in enumerate(votes):
        a = seats.apportion(dict(zip(names, (int(x) for x in row), strict=True)), house, **kwargs)
        rows.append(list(a.seats.values()))
        events.extend((r, t) for t in a.ties)
    return rows, events


def simulated(rows: int, seed: int) -> np.ndarray:
    """W3's distribution (bench/run.py): Dirichlet shares, lognormal turnout, 15 parties."""
    rng = np.random.default_rng(seed)
    shares = rng.dirichlet(np.linspace(2.0, 0.3, 15), size=rows)
    turnout = np.clip(rng.lognormal(np.log(150_000), 1.0, rows), 20_000, 2_000_000).astype(np.int64)
    return rng.multinomial(turnout, shares).astype(np.int64)


def dtypes_used(monkeypatch: pytest.MonkeyPatch) -> list[np.dtype[Any]]:
    seen: list[np.dtype[Any]] = []
    block = batch._linear_block

    def spy(*args: Any) -> Any:
        seen.append(args[-1].dtype)  # the work arrays
        return block(*args)

    monkeypatch.setattr(batch, "_linear_block", spy)
    return seen


@pytest.mark.parametrize("method", LINEAR)
def test_float32_and_float64_blocks_give_the_scalar_seats(
    monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    votes = simulated(1500, 21)
    seen = dtypes_used(monkeypatch)
    narrow = batch.allocate(votes, 48, method=method, ties="order")
    assert set(seen) == {np.dtype(np.float32)}
    monkeypatch.setattr(batch, "_SMALL32", 0)  # float64 blocks only
    wide = batch.allocate(votes, 48, method=method, ties="order")
    assert np.dtype(np.float64) in seen
    rows, events = scalar(votes, 48, method=method, ties="order")
    for res in (narrow, wide):
        assert res.seats.tolist() == rows
        assert list(res.ties) == events
    assert narrow.exact_rows < 20  # float32 certifies nearly every row too


def test_blocks_fall_back_to_float64(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "_CHUNK", 20)
    monkeypatch.setattr(batch, "_CHUNK_CELLS", 0)  # and no more for few parties
    seen = dtypes_used(monkeypatch)
    votes = simulated(60, 22)
    votes[25, 3] = 2**24  # not exact in float32: this block only is float64
    res = batch.allocate(votes, 48, ties="order")
    assert seen == [np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float32)]
    assert res.seats.tolist() == scalar(votes, 48, ties="order")[0]
    small = votes.copy()
    small[25, 3] = 7
    for kwargs in (
        {"seats": batch._SMALL32 + 1},  # a large house
        {"seats": 48, "prior": np.ones_like(votes)},  # prior seats
        {"seats": np.arange(60) % 49},  # a row of no seats: the votes are checked up front
    ):
        seen.clear()
        batch.allocate(small, ties="order", **kwargs)
        assert seen and set(seen) == {np.dtype(np.float64)}, kwargs
    seen.clear()
    res = batch.allocate(small, 48, ties="order", threshold="3%")  # parties below it: votes 0
    assert set(seen) == {np.dtype(np.float32)}
    assert res.seats.tolist() == scalar(small, 48, ties="order", threshold="3%")[0]


@st.composite
def near_ties(draw: st.DrawFn) -> tuple[np.ndarray, int]:
    """Rows whose quotients tie or nearly tie at large counts (below 2**24): float32 cannot
    tell them apart, so the exact path must."""
    parties = draw(st.integers(2, 9))
    house = draw(st.integers(1, 60))
    rows = []
    for _ in range(draw(st.integers(1, 12))):
        unit = draw(st.integers(1_000, 2**24 // (4 * house + 8)))
        steps = draw(st.lists(st.integers(1, 2 * house + 2), min_size=parties, max_size=parties))
        nudge = draw(st.lists(st.integers(-2, 2), min_size=parties, max_size=parties))
        rows.append([max(0, unit * k + d) for k, d in zip(steps, nudge, strict=True)])
    return np.array(rows, dtype=np.int64), house


@settings(max_examples=40, deadline=None)
@given(case=near_ties(), method=st.sampled_from(LINEAR))
def test_near_ties_in_float32_blocks_equal_scalar(case: tuple[np.ndarray, int], method: str) -> None:
    votes, house = case
    assert int(votes.max()) < 2**24  # float32 blocks
    res = batch.allocate(votes, house, method=method, ties="order")
    rows, events = scalar(votes, house, method=method, ties="order")
    assert res.seats.tolist() == rows
    assert list(res.ties) == events
