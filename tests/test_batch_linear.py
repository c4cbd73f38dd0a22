"""The linear divisor path of seats/batch.py (D'Hondt, Sainte-Laguë, Danish, Imperiali): Newton step,
seat walks, blocks and threads all give the scalar engine's seats."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seats
import seats.batch as batch

LINEAR = ["dhondt", "sainte-lague", "danish", "imperiali"]


def scalar_rows(votes: np.ndarray, house: int, **kwargs: Any) -> list[list[int]]:
    names = tuple(f"p{j}" for j in range(votes.shape[1]))
    out = []
    for row in votes:
        a = seats.apportion(dict(zip(names, (int(x) for x in row), strict=True)), house, **kwargs)
        out.append(list(a.seats.values()))
    return out


def skewed(rows: int, parties: int, seed: int) -> np.ndarray:
    """Many small parties: the Newton step often misses the house by several seats."""
    rng = np.random.default_rng(seed)
    shares = rng.dirichlet(np.linspace(2.0, 0.05, parties), size=rows)
    return rng.multinomial(rng.integers(2_000, 200_000, size=rows), shares).astype(np.int64)


@pytest.mark.parametrize("method", LINEAR)
def test_rows_several_seats_off_are_walked(monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    seen: list[float] = []
    walk = batch._walk_rows

    def spy(s: Any, vf: Any, off_by: Any, *args: Any) -> Any:
        seen.extend(np.abs(off_by).tolist())
        return walk(s, vf, off_by, *args)

    monkeypatch.setattr(batch, "_walk_rows", spy)
    monkeypatch.setattr(batch, "_WALK", 3)  # and rows more than 3 seats off go to the exact path
    votes = skewed(400, 40, 3)
    res = batch.allocate(votes, 60, method=method, ties="order")
    assert max(seen) > batch._WALK  # some rows are too far off to walk: the exact path has them
    assert sum(1 for k in seen if 1 < k <= 3) > 10
    assert res.seats.tolist() == scalar_rows(votes, 60, method=method, ties="order")


@pytest.mark.parametrize("method", LINEAR)
def test_threads_give_the_same_seats(monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    monkeypatch.setattr(batch, "_CHUNK", 16)  # blocks of 16 rows
    monkeypatch.setattr(batch, "_CHUNK_CELLS", 0)  # and no more for few parties
    monkeypatch.setattr(batch, "_ROWS_PER_THREAD", 100)  # and up to 4 threads
    monkeypatch.setattr(batch, "_idle_cores", lambda: 4)  # however busy the machine is
    votes = skewed(400, 9, 4)
    houses = np.random.default_rng(4).integers(0, 30, size=400)
    prior = np.random.default_rng(5).integers(0, 3, size=(400, 9))
    results = []
    for threads in (1, 2, 3, 4):
        monkeypatch.setattr(batch, "_THREADS", threads)
        res = batch.allocate(votes, houses, method=method, ties="order", prior=prior)
        results.append((res.seats.tolist(), res.tie_rows.tolist(), res.ties, res.exact_rows))
    assert results[0] == results[1] == results[2] == results[3]
    names = tuple(f"p{j}" for j in range(9))
    for r in range(0, 400, 9):
        row = dict(zip(names, (int(x) for x in votes[r]), strict=True))
        held = {n: int(k) for n, k in zip(names, prior[r], strict=True) if k}
        a = seats.apportion(row, int(houses[r]), method=method, ties="order", prior_seats=held)
        assert results[0][0][r] == list(a.seats.values())


def test_a_small_batch_runs_on_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pool(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a thread pool was started")

    monkeypatch.setattr(batch, "ThreadPoolExecutor", no_pool)
    monkeypatch.setattr(batch, "_THREADS", 2)
    votes = skewed(2 * batch._ROWS_PER_THREAD - 1, 5, 6)  # not worth a second thread
    assert batch.apportion(votes, 10, ties="order").shape == votes.shape


def test_the_simulated_elections_of_the_benchmark() -> None:
    # W3's distribution (bench/run.py), a sample: Dirichlet shares, lognormal turnout, 15 parties
    rng = np.random.default_rng(7)
    shares = rng.dirichlet(np.linspace(2.0, 0.3, 15), size=3000)
    turnout = np.clip(rng.lognormal(np.log(150_000), 1.0, 3000), 20_000, 2_000_000).astype(np.int64)
    votes = rng.multinomial(turnout, shares).astype(np.int64)
    res = batch.allocate(votes, 48, ties="order")
    expected = scalar_rows(votes, 48, ties="order")
    assert res.seats.tolist() == expected
    assert res.exact_rows < 60  # the float path certifies nearly every row


@settings(max_examples=25, deadline=None)
@given(
    method=st.sampled_from(LINEAR),
    parties=st.integers(2, 24),
    rows=st.integers(1, 80),
    house=st.integers(1, 120),
    seed=st.integers(0, 2**32 - 1),
    spread=st.sampled_from([0.05, 0.3, 2.0]),
    unit=st.sampled_from([1, 7, 1000]),
)
def test_wide_batches_equal_scalar(
    method: str, parties: int, rows: int, house: int, seed: int, spread: float, unit: int
) -> None:
    # many parties and large houses: rows land several seats off the house, walk, or go exact;
    # 'unit' multiplies every vote (ties and near-ties when the counts are small)
    rng = np.random.default_rng(seed)
    shares = rng.dirichlet(np.linspace(2.0, spread, parties), size=rows)
    votes = rng.multinomial(rng.integers(1, 5_000, size=rows), shares).astype(np.int64) * unit
    votes[:, 0] += 1
    res = batch.allocate(votes, house, method=method, ties="order")
    names = tuple(f"p{j}" for j in range(parties))
    events: list[tuple[int, seats.TieEvent]] = []
    for r in range(rows):
        row = dict(zip(names, (int(x) for x in votes[r]), strict=True))
        a = seats.apportion(row, house, method=method, ties="order")
        assert res.seats[r].tolist() == list(a.seats.values()), r
        events.extend((r, t) for t in a.ties)
    assert list(res.ties) == events


@pytest.mark.parametrize("method", LINEAR)
def test_votes_beyond_int32_are_read_as_int64(method: str) -> None:
    # below 2**31 the blocks are read through an int32 copy; one larger vote turns that off
    votes = skewed(300, 7, 8)
    wide = votes * 2**20 + 1
    assert wide.max() >= 2**31
    for batch_votes in (votes, wide):
        res = batch.allocate(batch_votes, 25, method=method, ties="order")
        assert res.seats.tolist() == scalar_rows(batch_votes, 25, method=method, ties="order")
    assert batch._as_matrix(votes)[1] and not batch._as_matrix(wide)[1]


def test_busy_cores_keep_a_batch_on_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pool(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a thread pool was started")

    monkeypatch.setattr(batch, "ThreadPoolExecutor", no_pool)
    monkeypatch.setattr(batch, "_THREADS", 2)
    monkeypatch.setattr(batch, "_ROWS_PER_THREAD", 100)
    monkeypatch.setattr(batch, "_idle_cores", lambda: 1)
    votes = skewed(400, 5, 9)
    assert batch.apportion(votes, 10, ties="order").tolist() == scalar_rows(votes, 10, ties="order")


@pytest.mark.parametrize(("load", "idle"), [(0.0, 2), (1.0, 2), (1.4, 2), (1.6, 1), (2.0, 1), (3.5, 1)])
def test_idle_cores_from_the_load_average(monkeypatch: pytest.MonkeyPatch, load: float, idle: int) -> None:
    # the load average counts this process too: 1.0 on two cores leaves one for a second thread
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    assert batch._idle_cores() == idle


@pytest.mark.parametrize(
    ("bad", "message"), [(-3, "must not be negative; row 37, column 2 is -3"), (2**62, "too large")]
)
@pytest.mark.parametrize("threads", [1, 2])
def test_each_block_checks_the_range_of_its_votes(
    monkeypatch: pytest.MonkeyPatch, bad: int, message: str, threads: int
) -> None:
    # without a threshold the linear path checks the votes a block at a time, in its threads;
    # a bad vote in a late block fails as the up-front check does, naming the first one
    monkeypatch.setattr(batch, "_CHUNK", 8)
    monkeypatch.setattr(batch, "_CHUNK_CELLS", 0)  # and no more for few parties
    monkeypatch.setattr(batch, "_ROWS_PER_THREAD", 10)
    monkeypatch.setattr(batch, "_THREADS", threads)
    monkeypatch.setattr(batch, "_idle_cores", lambda: threads)
    votes = skewed(60, 4, 10)
    votes[37, 2] = bad
    votes[45, 1] = bad
    with pytest.raises(seats.InvalidVotesError, match=message):
        batch.apportion(votes, 12, method="dhondt")
    assert batch._as_matrix(votes, check=False)[1] is None  # int64: left to the blocks
    with pytest.raises(seats.InvalidVotesError, match=message):
        batch._as_matrix(votes.astype(np.float64) if bad < 0 else votes)


@pytest.mark.parametrize("method", LINEAR)
def test_blocks_read_narrow_or_wide_each_by_its_own_range(
    monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    # one block holds a vote of 2**31 or more and is read as int64; the others through int32
    monkeypatch.setattr(batch, "_CHUNK", 16)
    monkeypatch.setattr(batch, "_CHUNK_CELLS", 0)  # and no more for few parties
    reads: list[np.dtype[Any]] = []
    block = batch._linear_block

    def spy(sp: Any, v: np.ndarray, *args: Any) -> Any:
        reads.append(v.dtype)
        return block(sp, v, *args)

    monkeypatch.setattr(batch, "_linear_block", spy)
    votes = skewed(64, 6, 11)
    votes[20] = votes[20] * 2**20 + 1
    assert votes[20].max() >= 2**31
    res = batch.allocate(votes, 20, method=method, ties="order")
    assert reads == [np.dtype(np.int32), np.dtype(np.int64), np.dtype(np.int32), np.dtype(np.int32)]
    assert res.seats.tolist() == scalar_rows(votes, 20, method=method, ties="order")


@pytest.mark.parametrize("method", LINEAR)
@pytest.mark.parametrize("threads", [1, 2])
def test_rows_left_seats_off_by_many_blocks_are_walked_on_together(
    monkeypatch: pytest.MonkeyPatch, method: str, threads: int
) -> None:
    # each thread keeps the rows its blocks leave 2 to _WALK seats off, and walks them on in one go
    monkeypatch.setattr(batch, "_CHUNK", 32)
    monkeypatch.setattr(batch, "_CHUNK_CELLS", 0)  # and no more for few parties
    monkeypatch.setattr(batch, "_ROWS_PER_THREAD", 50)
    monkeypatch.setattr(batch, "_THREADS", threads)
    monkeypatch.setattr(batch, "_idle_cores", lambda: threads)
    parts: list[int] = []
    walk_on = batch._walk_on

    def spy(later: list[Any], mask: bool) -> Any:
        parts.append(len(later))
        return walk_on(later, mask)

    monkeypatch.setattr(batch, "_walk_on", spy)
    votes = skewed(300, 30, 12)
    prior = np.random.default_rng(12).integers(0, 2, size=votes.shape) if method == "danish" else None
    res = batch.allocate(votes, 45, method=method, ties="order", prior=prior)
    # several blocks' rows, walked on once per thread that took a block (the first may take them all)
    assert 1 <= len(parts) <= threads and sum(parts) > 3
    names = tuple(f"p{j}" for j in range(30))
    for r in range(300):
        row = dict(zip(names, (int(x) for x in votes[r]), strict=True))
        held = {} if prior is None else {n: int(k) for n, k in zip(names, prior[r], strict=True) if k}
        a = seats.apportion(row, 45, method=method, ties="order", prior_seats=held or None)
        assert res.seats[r].tolist() == list(a.seats.values()), r


@pytest.mark.parametrize(
    ("threads", "sizes"), [(1, [15] * 6 + [10]), (2, [13] * 7 + [9]), (3, [12] * 8 + [4])]
)
def test_blocks_come_in_a_multiple_of_the_threads(
    monkeypatch: pytest.MonkeyPatch, threads: int, sizes: list[int]
) -> None:
    # 100 rows in blocks of at most 16: 7 of 15 rows on one thread, 8 of 13 on two, 9 of 12 on three
    monkeypatch.setattr(batch, "_CHUNK", 16)
    monkeypatch.setattr(batch, "_CHUNK_CELLS", 0)  # and no more for few parties
    monkeypatch.setattr(batch, "_ROWS_PER_THREAD", 10)
    monkeypatch.setattr(batch, "_THREADS", threads)
    monkeypatch.setattr(batch, "_idle_cores", lambda: threads)
    seen: list[int] = []
    block = batch._linear_block

    def spy(sp: Any, v: np.ndarray, *args: Any) -> Any:
        seen.append(v.shape[0])
        return block(sp, v, *args)

    monkeypatch.setattr(batch, "_linear_block", spy)
    votes = skewed(100, 5, 13)
    assert batch.apportion(votes, 9, ties="order").tolist() == scalar_rows(votes, 9, ties="order")
    assert sorted(seen, reverse=True) == sizes


@pytest.mark.parametrize(
    ("parties", "sizes"), [(2, [50, 50]), (4, [25] * 4), (8, [15] * 6 + [10]), (20, [15] * 6 + [10])]
)
def test_few_parties_make_longer_blocks(
    monkeypatch: pytest.MonkeyPatch, parties: int, sizes: list[int]
) -> None:
    # at least 16 rows a block, and up to 128 cells: 2 parties, 64 rows (then blocks of equal
    # size: 2 of 50); 4 parties, 32 (4 of 25); 8 or more, 16 (7 of 15, the last one short)
    monkeypatch.setattr(batch, "_CHUNK", 16)
    monkeypatch.setattr(batch, "_CHUNK_CELLS", 128)
    monkeypatch.setattr(batch, "_THREADS", 1)
    seen: list[int] = []
    block = batch._linear_block

    def spy(sp: Any, v: np.ndarray, *args: Any) -> Any:
        seen.append(v.shape[0])
        return block(sp, v, *args)

    monkeypatch.setattr(batch, "_linear_block", spy)
    votes = skewed(100, parties, 14)
    assert batch.apportion(votes, 9, ties="order").tolist() == scalar_rows(votes, 9, ties="order")
    assert sorted(seen, reverse=True) == sizes


def test_no_rows_give_no_seats() -> None:
    dhondt = seats.methods.registry.resolve("dhondt").signpost
    assert isinstance(dhondt, seats.methods.signposts.LinearSignpost)
    for house in (5, np.zeros(0, dtype=np.int64)):
        out, certified = batch._linear_rows(dhondt, np.zeros((0, 3), dtype=np.int64), None, house)
        assert out.shape == (0, 3) and certified.shape == (0,)


def test_a_bad_vote_in_a_row_of_no_seats_is_refused_too() -> None:
    votes = skewed(30, 4, 14)
    votes[7, 3] = -1
    houses = np.full(30, 5)
    houses[7] = 0
    with pytest.raises(seats.InvalidVotesError, match="must not be negative; row 7, column 3 is -1"):
        batch.apportion(votes, houses)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_walk_certificate_in_both_directions(dtype: type) -> None:
    # one column per case: giving (q = w >= 0) needs edge > last * (1 + tol), taking back
    # (last = -u < 0) needs edge * (1 + tol) > last; infinite and undefined quotients too
    tol = 4 * (batch._TOL if dtype is np.float64 else batch._TOL32_WALK)
    inf, nan = np.inf, np.nan
    give = [
        (2.0, 1.0),
        (1.0 + 8 * tol, 1.0),
        (1.0 + tol / 2, 1.0),
        (1.0, 1.0),
        (inf, 1.0),
        (1.0, inf),
        (nan, 1.0),
    ]
    take = [
        (-1.0, -2.0),
        (-1.0, -1.0 - 8 * tol),
        (-1.0, -1.0 - tol / 2),
        (0.0, -1.0),
        (3.0, -1.0),
        (inf, -1.0),
    ]
    cases = [(1.0, e, w) for e, w in give] + [(-1.0, e, w) for e, w in take]
    sign = np.array([c[0] for c in cases], dtype=dtype)
    edge = np.array([c[1] for c in cases], dtype=dtype)
    last = np.array([c[2] for c in cases], dtype=dtype)
    # _certify recomputes the edge as the smallest (s + ash) * inv: one party, s = 0, ash = 1
    s = np.zeros((1, len(cases)), dtype=dtype)
    ash = np.ones(len(cases), dtype=dtype)
    inv = edge[None, :].copy()
    single = np.ones(len(cases), dtype=bool)
    got = batch._certify(s, inv, ash, False, sign, last, single)
    e, w = edge.astype(np.float64), last.astype(np.float64)
    with np.errstate(invalid="ignore"):
        want = np.where(sign > 0, e - w * (1 + tol) > 0, e * (1 + tol) - w > 0)
    assert got.tolist() == want.tolist()
    gives = [True, True, False, False, True, False, False]
    takes = [True, True, False, True, True, True]
    assert got.tolist() == gives + takes
    assert not batch._certify(s, inv, ash, False, sign, last, ~single).any()
