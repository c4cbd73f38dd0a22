"""The Balinski-Young quota method (seats/methods/quota_method.py): examples and its theory."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

import seats

B_AND_Y_1 = {"A": 5117, "B": 4400, "C": 162, "D": 161, "E": 160}


def reference(votes: dict[str, int], house: int) -> dict[str, int] | None:
    """Seat by seat: the largest v/(s+1) among parties with s+1 <= upper quota of the house so far.

    ``None`` when any step has tied quotients (the engine then may or may not report a tie,
    depending on whether the tie changes the outcome)."""
    total = sum(votes.values())
    s = dict.fromkeys(votes, 0)
    for t in range(1, house + 1):
        allowed = [p for p, v in votes.items() if v > 0 and s[p] + 1 <= -(-v * t // total)]
        best = max(Fraction(votes[p], s[p] + 1) for p in allowed)
        top = [p for p in allowed if Fraction(votes[p], s[p] + 1) == best]
        if len(top) > 1:
            return None
        s[top[0]] += 1
    return s


@st.composite
def elections(draw: st.DrawFn, *, max_votes: int = 10**5, max_house: int = 30) -> tuple[dict[str, int], int]:
    counts = draw(st.lists(st.integers(1, max_votes), min_size=1, max_size=6))
    house = draw(st.integers(0, max_house))
    return {f"P{i}": c for i, c in enumerate(counts)}, house


def untied(votes: dict[str, int], house: int) -> dict[str, int]:
    """Seats under the default policy; examples where a tie decides a seat have no unique
    answer and are rejected."""
    try:
        return dict(seats.apportion(votes, house, method="quota").seats)
    except seats.TieError:
        reject()


def test_balinski_young_example_differs_from_dhondt() -> None:
    a = seats.apportion(B_AND_Y_1, 100, method="quota")
    assert dict(a.seats) == {"A": 52, "B": 44, "C": 2, "D": 1, "E": 1}
    # D'Hondt gives B 45 seats, above its upper quota 44 (4400 * 100 / 10000 = 44)
    assert seats.apportion(B_AND_Y_1, 100, method="dhondt").seats["B"] == 45


def test_award_order_is_the_certificate() -> None:
    a = seats.apportion(B_AND_Y_1, 10, method="quota")
    assert dict(a.seats) == {"A": 5, "B": 5, "C": 0, "D": 0, "E": 0}
    assert a.certificate.order == ("A", "B", "A", "B", "A", "B", "A", "B", "A", "B")
    assert a.certificate.describe() == "award order: A, B, A, B, A, B, A, B, A, B"
    assert a.certificate.reproduce(a.votes_by_party) == dict(a.seats)
    lines = a.explain().splitlines()
    assert lines[1].split() == ["seat", "party"]
    assert [line.split()[1] for line in lines[2:12]] == list(a.certificate.order)


def test_tie_that_changes_the_outcome_is_reported() -> None:
    with pytest.raises(seats.TieError, match=r"seat 1 between A, B \(A 1/1 = B 1/1\)"):
        seats.apportion({"A": 1, "B": 1}, 1, method="quota")


def test_tie_that_does_not_change_the_outcome_is_not_a_tie() -> None:
    # A and B tie for seat 1, but each takes one of the two seats either way
    a = seats.apportion({"A": 3, "B": 3, "C": 2}, 2, method="quota")
    assert dict(a.seats) == {"A": 1, "B": 1, "C": 0}
    assert a.ties == ()


@pytest.mark.parametrize("policy", ["order", "most-votes", "lot"])
def test_tie_policies(policy: str) -> None:
    # seat 2: A 20/2 = B 10/1, and both are within their upper quota
    with pytest.raises(seats.TieError, match=r"seat 2 between A, B \(A 20/2 = B 10/1\)"):
        seats.apportion({"A": 20, "B": 10}, 2, method="quota")
    a = seats.apportion({"A": 20, "B": 10}, 2, method="quota", ties=policy, seed=1)
    (event,) = a.ties
    assert event.policy == policy
    assert event.seats == (2,)
    assert event.tied == ("A", "B")
    assert dict(a.seats) == {"A": 1 + (event.winners == ("A",)), "B": int(event.winners == ("B",))}
    if policy != "lot":
        assert event.winners == ("A",)  # listed first, and more votes


def test_most_votes_cannot_split_equal_parties() -> None:
    with pytest.raises(seats.TieError, match="most-votes cannot decide"):
        seats.apportion({"A": 10, "B": 10}, 1, method="quota", ties="most-votes")


def test_threshold_bounds_and_house_zero() -> None:
    a = seats.apportion({"A": 70, "B": 20, "C": 10}, 10, method="quota", threshold="15%")
    assert dict(a.seats) == {"A": 8, "B": 2, "C": 0}
    assert a.excluded == ("C",)
    b = seats.apportion({"A": 70, "B": 21, "C": 9}, 10, method="quota", max_seats={"A": 5})
    assert b.seats["A"] == 5 and sum(b.seats.values()) == 10
    assert dict(seats.apportion({"A": 1}, 0, method="quota").seats) == {"A": 0}
    with pytest.raises(seats.InvalidSeatsError, match="seat bounds cannot be met with 2 seats"):
        seats.apportion({"A": 1, "B": 1, "C": 1}, 2, method="quota", min_seats=1)


@pytest.mark.parametrize("minimum", [2, 3])
def test_min_seats_is_honoured(minimum: int) -> None:
    c = seats.apportion({"A": 70, "B": 20, "C": 10}, 10, method="quota", min_seats={"C": minimum})
    assert sum(c.seats.values()) == 10
    assert c.seats["C"] >= minimum


def test_quota_method_takes_no_overflow_option() -> None:
    with pytest.raises(seats.UnknownMethodError, match="does not take option 'overflow'"):
        seats.apportion(B_AND_Y_1, 10, method="quota", overflow="error")


FEW = settings(max_examples=80)


@FEW
@given(data=st.data())
def test_engine_equals_reference(data: st.DataObject) -> None:
    votes, house = data.draw(elections(max_votes=500))
    expected = reference(votes, house)
    if expected is None:
        reject()  # tied steps: reported or not depending on the outcome, tested above
    a = seats.apportion(votes, house, method="quota")
    assert dict(a.seats) == expected
    assert a.ties == ()


@FEW
@given(data=st.data())
def test_satisfies_both_quotas(data: st.DataObject) -> None:
    votes, house = data.draw(elections())
    total = sum(votes.values())
    a = seats.apportion(votes, house, method="quota", ties="order")  # quota holds for any settlement
    assert sum(a.seats.values()) == house
    for p, v in votes.items():
        assert v * house // total <= a.seats[p] <= -(-v * house // total), (p, dict(a.seats))


@FEW
@given(data=st.data())
def test_house_monotone(data: st.DataObject) -> None:
    votes, house = data.draw(elections())
    smaller, larger = untied(votes, house), untied(votes, house + 1)
    assert all(larger[p] >= smaller[p] for p in votes)


@FEW
@given(data=st.data(), k=st.integers(2, 10**4))
def test_anonymity_and_scale_invariance(data: st.DataObject, k: int) -> None:
    votes, house = data.draw(elections())
    perm = data.draw(st.permutations(list(votes)))
    before = untied(votes, house)  # settling a tie by listed order is not anonymous
    assert untied({p: votes[p] for p in perm}, house) == before
    assert untied({p: v * k for p, v in votes.items()}, house) == before
