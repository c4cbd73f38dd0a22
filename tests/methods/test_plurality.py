"""Plurality family (seats/methods/plurality.py): plurality, block, limited and SNTV."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seats

CANDIDATES = {"ana": 300, "ben": 500, "eva": 200, "leo": 0}
MULTI = ["block", "limited", "sntv"]


def test_plurality_elects_the_candidate_with_most_votes() -> None:
    a = seats.apportion(CANDIDATES, 1, method="plurality")
    assert dict(a.seats) == {"ana": 0, "ben": 1, "eva": 0, "leo": 0}
    assert a.certificate.elected == ("ben",)
    assert a.certificate.describe() == "elected ben; weakest winner 500, strongest loser 300"


def test_plurality_fills_one_seat_only() -> None:
    with pytest.raises(seats.InvalidSeatsError, match="plurality fills one seat, got 2; use 'block'"):
        seats.apportion(CANDIDATES, 2, method="fptp")


@pytest.mark.parametrize("method", MULTI)
def test_m_seat_district_elects_the_top_m(method: str) -> None:
    a = seats.apportion(CANDIDATES, 2, method=method)
    assert dict(a.seats) == {"ana": 1, "ben": 1, "eva": 0, "leo": 0}
    assert a.certificate.reproduce(a.votes_by_party) == dict(a.seats)


@pytest.mark.parametrize("method", MULTI)
def test_candidates_without_votes_are_never_elected(method: str) -> None:
    with pytest.raises(seats.InvalidSeatsError, match="4 seats to fill but only 3 candidates with votes"):
        seats.apportion(CANDIDATES, 4, method=method)


def test_tie_at_the_cut() -> None:
    votes = {"ana": 300, "ben": 200, "eva": 200}
    with pytest.raises(seats.TieError, match=r"seat 2 between ben, eva \(200 votes each\)"):
        seats.apportion(votes, 2, method="block")
    a = seats.apportion(votes, 2, method="block", ties="order")
    assert dict(a.seats) == {"ana": 1, "ben": 1, "eva": 0}
    with pytest.raises(seats.TieError, match="most-votes cannot decide"):
        seats.apportion(votes, 2, method="block", ties="most-votes")


def test_tie_that_does_not_decide_is_not_reported() -> None:
    a = seats.apportion({"ana": 300, "ben": 300, "eva": 200}, 2, method="block")
    assert dict(a.seats) == {"ana": 1, "ben": 1, "eva": 0}
    assert a.ties == ()


def test_threshold_applies_and_bounds_do_not() -> None:
    a = seats.apportion({"ana": 300, "ben": 500, "eva": 200}, 2, method="sntv", threshold="25%")
    assert a.excluded == ("eva",)
    with pytest.raises(seats.InvalidSeatsError, match="bounds do not apply"):
        seats.apportion(CANDIDATES, 1, method="plurality", max_seats=1)


@pytest.mark.parametrize("method", ["plurality", *MULTI])
def test_house_zero(method: str) -> None:
    assert sum(seats.apportion(CANDIDATES, 0, method=method).seats.values()) == 0


@settings(max_examples=80)
@given(
    counts=st.lists(st.integers(1, 50), min_size=1, max_size=8),
    data=st.data(),
)
def test_every_winner_beats_every_loser(counts: list[int], data: st.DataObject) -> None:
    votes = {f"c{i}": v for i, v in enumerate(counts)}
    house = data.draw(st.integers(0, len(votes)))
    a = seats.apportion(votes, house, method="block", ties="order")  # any settlement keeps the cut
    winners = [votes[p] for p, n in a.seats.items() if n]
    losers = [votes[p] for p, n in a.seats.items() if not n]
    assert len(winners) == house
    assert set(a.seats.values()) <= {0, 1}
    assert min(winners, default=10**9) >= max(losers, default=0)
    assert a.certificate.reproduce(a.votes_by_party) == dict(a.seats)
