"""Seat margins: the reported shifts move the seat, one vote fewer does not, and nothing smaller does."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seats
from seats.analysis.margins import Margins, SeatMargin, allocation_margins, seat_margins
from seats.errors import SeatsError, TieError

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "ve-2020-an" / "votes.csv"


# ------------------------------------------------------------------ an independent judge

def shifted(votes: Mapping[str, int], m: SeatMargin, kind: str, x: int) -> dict[str, int]:
    out = dict(votes)
    if kind in ("lose", "transfer"):
        out[m.holder] -= x
    if kind in ("gain", "transfer"):
        assert m.challenger is not None
        out[m.challenger] += x
    return out


def outcome(votes: Mapping[str, int], house: int, method: str, m: SeatMargin, kind: str,
            before: Mapping[str, int], **kw: Any) -> str:
    """'tie', 'moved' or 'kept': the definition in seats.analysis.margins, written out again."""
    h = m.holder
    c = None if kind == "lose" else m.challenger
    try:
        a = seats.apportion(votes, house, method=method, ties="error", **kw)
    except TieError as err:
        assert err.event is not None
        others = [p for p in votes if p not in (h, c)]
        if h in err.event.tied and (c is None or c in err.event.tied):
            # a tie point: it counts when settling it against the holder moves the seat
            order = ([c] if c else []) + others + [h]
            a = seats.apportion({p: votes[p] for p in order}, house, method=method, ties="order", **kw)
            moved = a.seats[h] <= before[h] - m.rank and (c is None or a.seats[c] > before[c])
            return "tie" if moved else "kept"
        order = [h, *others] + ([c] if c else [])
        a = seats.apportion({p: votes[p] for p in order}, house, method=method, ties="order", **kw)
    except SeatsError:
        return "kept"
    lost = a.seats[h] <= before[h] - m.rank
    won = c is None or a.seats[c] > before[c]
    return "moved" if lost and won else "kept"


def check_margins(votes: dict[str, int], house: int, method: str, *, minimal: bool, **kw: Any) -> int:
    """Every reported shift moves the seat (or ties it, as flagged) and one vote fewer does not.

    When a margin says it is ``certain``, no smaller shift moves it either (checked vote by vote
    for small shifts); ``minimal`` says every margin must be certain.
    (The strict flip one vote after a tie is checked by hand below: with tiny counts another,
    unrelated tie can appear there.)
    """
    try:
        a = seats.apportion(votes, house, method=method, **kw)
    except SeatsError:
        return 0
    checked = 0
    # the certificate records prior seats of parties with votes only: pass them all again
    extra = {"prior_seats": kw["prior_seats"]} if "prior_seats" in kw else None
    for m in seat_margins(a, options=extra).margins:
        assert m.seats == a.seats[m.holder] >= m.rank >= 1
        if minimal:
            assert m.certain, m
        for kind in ("lose", "gain", "transfer"):
            x = getattr(m, kind)
            tie = getattr(m, f"{kind}_tie")
            if x is None:
                continue
            checked += 1
            at = outcome(shifted(votes, m, kind, x), house, method, m, kind, a.seats, **kw)
            assert at == ("tie" if tie else "moved"), (m, kind, at)
            if x > 0:
                before = outcome(shifted(votes, m, kind, x - 1), house, method, m, kind, a.seats, **kw)
                assert before == "kept", (m, kind, before)
            if m.certain and x <= 100:
                for y in range(x - 1):
                    smaller = shifted(votes, m, kind, y)
                    assert outcome(smaller, house, method, m, kind, a.seats, **kw) == "kept", (m, kind, y)
    return checked


votes_st = st.dictionaries(st.sampled_from("ABCDE"), st.integers(0, 400), min_size=2, max_size=5)


@pytest.mark.parametrize("method", ["dhondt", "sainte-lague", "adams", "huntington-hill"])
@settings(max_examples=30)
@given(votes=votes_st, house=st.integers(1, 7))
def test_divisor_shifts_are_exact_and_smallest(method: str, votes: dict[str, int], house: int) -> None:
    check_margins(votes, house, method, minimal=True)


@pytest.mark.parametrize("method", ["hare", "droop", "hagenbach-bischoff-quota"])
@settings(max_examples=30)
@given(votes=votes_st, house=st.integers(1, 7))
def test_largest_remainder_shifts_are_exact_and_smallest(
    method: str, votes: dict[str, int], house: int
) -> None:
    check_margins(votes, house, method, minimal=False)


@pytest.mark.parametrize("method", ["plurality", "block"])
@settings(max_examples=30)
@given(votes=votes_st, house=st.integers(1, 3))
def test_plurality_shifts_are_exact_and_smallest(method: str, votes: dict[str, int], house: int) -> None:
    check_margins(votes, 1 if method == "plurality" else house, method, minimal=True)


@pytest.mark.parametrize("method", sorted(set(seats.REGISTRY) - {"plurality"}))
@settings(max_examples=8)
@given(votes=votes_st, house=st.integers(1, 3))
def test_every_method_shift_moves_the_seat_and_one_fewer_does_not(
    method: str, votes: dict[str, int], house: int
) -> None:
    check_margins(votes, house, method, minimal=False)


@settings(max_examples=30)
@given(votes=votes_st, house=st.integers(1, 6), threshold=st.sampled_from(["5%", "1/8", "20%"]))
def test_divisor_with_threshold(votes: dict[str, int], house: int, threshold: str) -> None:
    check_margins(votes, house, "dhondt", minimal=False, threshold=threshold)


@settings(max_examples=30)
@given(votes=votes_st, house=st.integers(1, 6), prior=st.dictionaries(st.sampled_from("ABCDE"),
                                                                    st.integers(0, 3), max_size=3))
def test_divisor_with_prior_seats(votes: dict[str, int], house: int, prior: dict[str, int]) -> None:
    prior = {p: n for p, n in prior.items() if p in votes}
    check_margins(votes, house, "sainte-lague", minimal=True, prior_seats=prior)


# ------------------------------------------------------------------ worked by hand

def test_dhondt_by_hand() -> None:
    # A 100000, B 80000, C 30000, D 20000, 8 seats: A 4, B 3, C 1.
    # Last quotients: A 100000/4 = 25000, B 80000/3 = 26667, C 30000/1. Next: A, B, D all 20000.
    a = seats.apportion({"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}, 8, method="dhondt")
    c = seat_margins(a).for_holder("C")[0]
    # C loses 10000: 20000/1 ties the three next quotients of 20000.
    assert (c.lose, c.lose_tie, c.lose_to) == (10_000, True, ("A", "B", "D"))
    # B must take both weaker seats (A's 25000, B's own 26667 stays) and C's: its 5th quotient
    # (80000 + g)/5 >= 30000 -> g = 70000 (D would need (20000 + g)/3 >= 30000: also 70000;
    # B is listed first).
    assert (c.challenger, c.gain, c.gain_tie) == ("B", 70_000, True)
    # Transfer t: (30000 - t)/1 against B's 4th quotient (80000 + t)/4: equal at t = 8000.
    assert (c.transfer, c.transfer_tie) == (8_000, True)
    with pytest.raises(TieError, match="tie for seat 8"):
        seats.apportion({"A": 100_000, "B": 88_000, "C": 22_000, "D": 20_000}, 8, method="dhondt")
    # ... and one vote later the flip is strict
    flipped = seats.apportion({"A": 100_000, "B": 88_001, "C": 21_999, "D": 20_000}, 8, method="dhondt")
    assert dict(flipped.seats) == {"A": 4, "B": 4, "C": 0, "D": 0}
    a_m = seat_margins(a).for_holder("A")[0]
    # D gains 5000: 25000/1 = A's 100000/4 (A is the weakest winner).
    assert (a_m.challenger, a_m.gain, a_m.gain_tie) == ("D", 5_000, True)
    # A to D: (100000 - t)/4 = 20000 + t -> t = 4000.
    assert (a_m.transfer, a_m.transfer_tie) == (4_000, True)


def test_sainte_lague_strict_flip_by_hand() -> None:
    # A 700, B 300, 2 seats: A 1 (700/0.5 then 700/1.5 = 466.7 vs B 300/0.5 = 600): A 1, B 1.
    a = seats.apportion({"A": 700, "B": 300}, 2, method="sainte-lague")
    assert dict(a.seats) == {"A": 1, "B": 1}
    b = seat_margins(a).for_holder("B")[0]
    # B loses x: (300 - x)/0.5 <= 700/1.5 -> 300 - x <= 233.33 -> x >= 66.67 -> 67, strict (no tie possible).
    assert (b.lose, b.lose_tie, b.lose_to) == (67, False, ("A",))
    # A gains g: (700 + g)/1.5 >= 600 -> g >= 200: a tie at 200.
    assert (b.challenger, b.gain, b.gain_tie) == ("A", 200, True)
    # Transfer t: (700 + t)/1.5 >= (300 - t)/0.5 -> 700 + t >= 900 - 3t -> t >= 50: a tie at 50.
    assert (b.transfer, b.transfer_tie) == (50, True)


def test_huntington_hill_compares_squares() -> None:
    # A 1000, B 400, 3 seats. A's quotients 1000/sqrt(2), 1000/sqrt(6) = 408.2; B's 400/sqrt(2) = 282.8.
    # Both get one seat first (d(0) = 0): A 2, B 1.
    a = seats.apportion({"A": 1000, "B": 400}, 3, method="huntington-hill")
    assert dict(a.seats) == {"A": 2, "B": 1}
    am = seat_margins(a).for_holder("A")[0]
    # A loses x: (1000 - x)^2/2 <= 400^2/2 ... A's 2nd seat goes once (1000 - x)/sqrt(2) <= 400/sqrt(2),
    # i.e. x >= 600, a tie at 600.
    assert (am.lose, am.lose_tie) == (600, True)
    # B gains g: (400 + g)^2/2 >= 1000^2/2 -> g = 600 (tie).
    assert (am.gain, am.gain_tie) == (600, True)
    # Transfer: (400 + t)^2 >= (1000 - t)^2 -> t = 300 (tie).
    assert (am.transfer, am.transfer_tie) == (300, True)


def test_droop_quota_steps_are_scanned() -> None:
    # A 30, B 89, 4 seats: Droop quota floor(119/5) + 1 = 24: A 1 (30/24), B 3 (89/24 = 3.7);
    # no remainder seats.
    a = seats.apportion({"A": 30, "B": 89}, 4, method="droop")
    bm = seat_margins(a).for_holder("B")[0]
    # A gains g: the quota is floor((119 + g)/5) + 1. At g = 29 (V = 148, quota 30): A 59 = 1 + 29/30,
    # B 89 = 2 + 29/30: equal remainders for the last seat -- a tie; at g = 30 A has 2 seats.
    assert (bm.challenger, bm.gain, bm.gain_tie) == ("A", 29, True)
    assert dict(seats.apportion({"A": 60, "B": 89}, 4, method="droop").seats) == {"A": 2, "B": 2}


def test_hare_quota_moves_with_the_total() -> None:
    # A 550, B 450, 2 seats: quota 500, A 1 + 0.1, B 0 + 0.9 -> A 1, B 1.
    a = seats.apportion({"A": 550, "B": 450}, 2, method="hare")
    bm = seat_margins(a).for_holder("B")[0]
    # B loses x: quota (1000 - x)/2; B's share 2(450 - x)/(1000 - x), A's 1100/(1000 - x).
    # B keeps one seat while its remainder beats A's: 900 - 2x > 1100 - (1000 - x) = 100 + x -> x < 266.67:
    # at x = 267 A's remainder (1100 - 733 = 367) beats B's (900 - 534 = 366): strict.
    assert (bm.lose, bm.lose_tie) == (267, False)
    # Transfer t: A 550 + t, B 450 - t, quota 500: A's remainder 50 + t vs B's 450 - t: tie at t = 200.
    assert (bm.transfer, bm.transfer_tie) == (200, True)


def test_block_non_weakest_winner_cannot_lose_to_gains() -> None:
    a = seats.apportion({"ana": 300, "ben": 500, "eva": 200}, 2, method="block")
    rows = {m.holder: m for m in seat_margins(a).margins}
    ana = rows["ana"]
    assert (ana.challenger, ana.lose, ana.gain, ana.transfer) == ("eva", 100, 100, 50)
    assert rows["ben"].gain is None
    # ben 500 -> eva: at t = 200 ben ties ana at 300 (eva 400 is in): a tie not involving eva,
    # settled against the move; at 201 ben is out.
    assert (rows["ben"].transfer, rows["ben"].transfer_tie) == (201, False)


def test_lone_candidate_has_no_margin() -> None:
    a = seats.apportion({"A": 10}, 1, method="plurality")
    (m,) = seat_margins(a).margins
    assert (m.lose, m.gain, m.transfer, m.challenger) == (None, None, None, None)
    assert m.smallest is None
    assert "no shift" in m.describe()


def test_a_seat_won_by_a_tie_has_margin_zero() -> None:
    a = seats.apportion({"A": 100, "B": 100}, 1, method="plurality", ties="order")
    (m,) = seat_margins(a).margins
    assert (m.holder, m.lose, m.lose_tie, m.gain, m.gain_tie, m.transfer) == ("A", 0, True, 0, True, 0)


def test_custom_signpost_is_re_used() -> None:
    a = seats.apportion({"A": 1000, "B": 100}, 3, method=lambda s: 3 * s + 1)  # Danish
    (m, *_) = seat_margins(a).margins
    assert m.holder == "A"
    check_danish = seats.apportion({"A": 1000, "B": 100}, 3, method="danish")
    assert seat_margins(check_danish).margins == seat_margins(a).margins


def test_results_are_values() -> None:
    a = seats.apportion({"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}, 8, method="dhondt")
    ms = seat_margins(a)
    frame = ms.to_polars()
    assert frame.columns == ["tier", "district", "holder", "seats", "rank", "challenger", "lose", "lose_to",
                             "gain", "transfer", "smallest", "lose_tie", "gain_tie", "transfer_tie",
                             "certain"]
    # one row per seat: A 4, B 3, C 1
    assert frame["holder"].to_list() == ["A"] * 4 + ["B"] * 3 + ["C"]
    assert frame["rank"].to_list() == [1, 2, 3, 4, 1, 2, 3, 1]
    assert ms.to_polars(fragile_first=True)["holder"].to_list()[:3] == ["A", "C", "B"]
    # deeper seats need more votes
    for holder in ("A", "B"):
        moved = [m.smallest for m in ms.for_holder(holder)]
        assert None not in moved
        assert moved == sorted(x for x in moved if x is not None)
    marginal = seat_margins(a, depth=1)
    assert [m.holder for m in marginal.margins] == ["A", "B", "C"]
    assert marginal.margins == tuple(m for m in ms.margins if m.rank == 1)
    with pytest.raises(SeatsError, match="depth must be at least 1"):
        seat_margins(a, depth=0)
    assert ms.margins[0].to_polars().height == 1
    assert ms.to_dict()["margins"][7]["lose_to"] == "A, B, D"
    with pytest.raises(AttributeError):
        ms.margins[0].lose = 1  # type: ignore[misc]
    assert len(ms) == 8
    assert "seat 2 of 4" in ms.margins[1].describe()
    assert allocation_margins(a, tier="t", district="d")[0].tier == "t"


# ------------------------------------------------------------------ whole elections


@pytest.fixture
def toy(toy_assembly: Path) -> tuple[seats.RuleSet, Path]:
    return seats.load_ruleset(toy_assembly / "ruleset.toml"), toy_assembly / "votes.csv"


def test_whole_election(toy: tuple[seats.RuleSet, Path]) -> None:
    rs, votes = toy
    res = rs.allocate(votes)
    ms = seat_margins(res)
    assert isinstance(ms, Margins)
    # one row per seat-holding option per district; the reserved seat has none
    # one row per seat, ranked from the margin; the reserved seat has none
    rows = sorted((m.tier or "", m.district or "", m.holder, m.rank) for m in ms.margins)
    expected = sorted((t.id, d.district, o, r) for t in res.tiers for d in t.districts
                      if d.allocation is not None
                      for o, n in d.allocation.seats.items() for r in range(1, n + 1))
    assert rows == expected
    assert all(m.tier != "reserved" for m in ms.margins)
    # c2: y3 beats x3 by 10: x3 gains 10 for a tie; 5 moved make 305/305
    (c2,) = ms.district("c2", tier="nominal")
    assert (c2.holder, c2.challenger, c2.gain, c2.gain_tie) == ("y3", "x3", 10, True)
    assert (c2.transfer, c2.transfer_tie) == (5, True)
    assert ms.most_fragile(1)[0] == c2
    assert [m.tier for m in seat_margins(res, tiers=["list"]).margins] == ["list"] * len(ms.district("S1")
                                                                                         + ms.district("S2"))
    with pytest.raises(SeatsError, match="no tier 'nope'"):
        seat_margins(res, tiers=["nope"])


def test_ve_2020_an_whole_assembly_is_fast_and_exact() -> None:
    if not FIXTURE.exists():
        pytest.skip("fixtures/ve-2020-an/votes.csv is not in this checkout yet")
    res = seats.load_ruleset("ve-2020-an").allocate()
    start = time.perf_counter()
    ms = seat_margins(res)
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0, elapsed
    n_districts = sum(1 for t in res.tiers for d in t.districts if d.allocation is not None)
    assert n_districts == 112
    assert {m.tier for m in ms.margins} == {"nominal", "state-list", "national-list"}
    assert len(ms) == sum(d.magnitude for t in res.tiers for d in t.districts if d.allocation is not None)
    # every seat's three shifts, re-checked from scratch: x moves it, x - 1 does not
    checked = 0
    for m in ms.margins:
        d = res.tier(m.tier or "").district(m.district or "")
        assert d.allocation is not None
        votes, house, method = d.allocation.votes_by_party, d.allocation.house_size, d.allocation.method
        for kind in ("lose", "gain", "transfer"):
            x = getattr(m, kind)
            if x is None:
                continue
            checked += 1
            at = outcome(shifted(votes, m, kind, x), house, method, m, kind, d.allocation.seats)
            assert at == ("tie" if getattr(m, f"{kind}_tie") else "moved"), (m, kind)
            if x > 0:
                assert outcome(shifted(votes, m, kind, x - 1), house, method, m, kind,
                               d.allocation.seats) == "kept", (m, kind)
    assert checked > 2 * len(ms)


def test_certain_says_when_the_minimum_is_proven() -> None:
    votes = {"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}
    # divisor methods are monotone in the shift: every margin is proven the smallest
    assert all(m.certain for m in seat_margins(seats.apportion(votes, 8, method="dhondt")).margins)
    # a legal threshold can make seat counts jump: only "x moves it, x - 1 does not" is promised
    with_threshold = seat_margins(seats.apportion(votes, 8, method="dhondt", threshold="5%"))
    assert not any(m.certain for m in with_threshold.margins)
    assert with_threshold.to_polars()["certain"].to_list() == [False] * len(with_threshold)
