"""Tie policies (seats/methods/ties.py) across the families: detect, settle or refuse, record."""

from __future__ import annotations

import pytest

import seats
from seats.methods.ties import POLICIES, check_policy, settle

TWO_WAY = {"A": 200, "B": 100, "C": 50}  # D'Hondt, 2 seats: seat 2 is A 200/2 = B 100/1
THREE_WAY = {"X": 10, "Y": 10, "Z": 10}  # any method, 1 seat


def test_policies_are_the_documented_four() -> None:
    assert POLICIES == ("error", "lot", "most-votes", "order")


def test_policy_names_are_checked() -> None:
    assert check_policy("Most_Votes") == "most-votes"
    with pytest.raises(seats.SeatsError, match="unknown tie policy 'coin'; choose one of error, lot"):
        seats.apportion(TWO_WAY, 2, ties="coin")


def test_error_names_the_options_and_the_seat() -> None:
    with pytest.raises(seats.TieError, match=r"^tie for seat 2 between A, B \(A 200/2 = B 100/1\)") as info:
        seats.apportion(TWO_WAY, 2)
    assert "ties='lot'" in str(info.value)
    event = info.value.event
    assert event is not None
    assert (event.seats, event.tied, event.winners, event.policy) == ((2,), ("A", "B"), (), "error")


def test_order_gives_the_seat_to_the_party_listed_first() -> None:
    a = seats.apportion(TWO_WAY, 2, ties="order")
    assert dict(a.seats) == {"A": 2, "B": 0, "C": 0}
    b = seats.apportion({"B": 100, "A": 200, "C": 50}, 2, ties="order")
    assert dict(b.seats) == {"B": 1, "A": 1, "C": 0}
    (event,) = b.ties
    assert event.policy == "order" and event.winners == ("B",)
    assert event.detail.endswith("listed order decides")


def test_most_votes_prefers_the_larger_party() -> None:
    a = seats.apportion({"B": 100, "A": 200, "C": 50}, 2, ties="most-votes")
    assert dict(a.seats) == {"B": 0, "A": 2, "C": 0}
    (event,) = a.ties
    assert event.winners == ("A",) and event.policy == "most-votes"


@pytest.mark.parametrize("method", ["dhondt", "hare", "block", "quota"])
def test_most_votes_unresolvable_raises(method: str) -> None:
    with pytest.raises(seats.TieError, match="most-votes cannot decide: X, Y, Z have 10 votes each"):
        seats.apportion(THREE_WAY, 1, method=method, ties="most-votes")


@pytest.mark.parametrize("method", ["dhondt", "sainte-lague", "hare", "droop", "block", "quota"])
def test_lot_is_seeded_reproducible_and_recorded(method: str) -> None:
    first = seats.apportion(THREE_WAY, 1, method=method, ties="lot", seed=42)
    again = seats.apportion(THREE_WAY, 1, method=method, ties="lot", seed=42)
    assert first == again
    (event,) = first.ties
    assert event.policy == "lot"
    assert event.seed == 42
    assert "lot with seed 42 drew" in event.detail
    assert event.tied == ("X", "Y", "Z")
    assert len(event.winners) == 1
    assert first.seats[event.winners[0]] == 1
    winners = {
        seats.apportion(THREE_WAY, 1, method=method, ties="lot", seed=s).ties[0].winners
        for s in range(40)
    }
    assert len(winners) == 3  # the seed matters: every party wins some draw


def test_lot_without_seed_records_one_that_replays_the_draw() -> None:
    a = seats.apportion(THREE_WAY, 1, ties="lot")
    (event,) = a.ties
    assert isinstance(event.seed, int)
    replay = seats.apportion(THREE_WAY, 1, ties="lot", seed=event.seed)
    assert replay.seats == a.seats
    assert replay.ties == a.ties


def test_multi_seat_tie_numbers_every_contested_seat() -> None:
    with pytest.raises(seats.TieError, match="seats 1, 2 between X, Y, Z"):
        seats.apportion(THREE_WAY, 2, method="hare")
    a = seats.apportion(THREE_WAY, 2, method="hare", ties="lot", seed=7)
    (event,) = a.ties
    assert event.seats == (1, 2)
    assert len(event.winners) == 2 and set(event.winners) < set(THREE_WAY)
    assert {p for p, n in a.seats.items() if n} == set(event.winners)


def test_ties_that_decide_nothing_are_not_recorded() -> None:
    # B and C are tied but both lose; A and B are tied but both win
    assert seats.apportion({"A": 30, "B": 20, "C": 20}, 1).ties == ()
    assert seats.apportion({"A": 20, "B": 20, "C": 5}, 2).ties == ()


def test_settle_directly() -> None:
    event = settle(("A", "D"), 1, votes={"A": 100, "D": 20}, policy="most-votes", seats=(8,), detail="equal")
    assert event.winners == ("A",)
    event = settle(("D", "A"), 1, votes={"A": 1, "D": 1}, policy="order", seats=(3,), detail="eq",
                   order=("A", "B", "D"))
    assert event.tied == ("A", "D") and event.winners == ("A",)
