"""Largest-remainder methods (seats/methods/largest_remainder.py): quotas, overflow, bounds, theory."""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from fractions import Fraction
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import find, given, reject, settings
from hypothesis import strategies as st

import seats
from seats.methods import REGISTRY
from seats.results import QuotaCertificate

LR = sorted(m for m, spec in REGISTRY.items() if spec.family == "largest-remainder")

# The quotas of DESIGN.md section 3, written out independently of the engine.
QUOTA: dict[str, Callable[[int, int], Fraction]] = {
    "hare": lambda total, h: Fraction(total, h),
    "droop": lambda total, h: Fraction(total // (h + 1) + 1),
    "hagenbach-bischoff-quota": lambda total, h: Fraction(total, h + 1),
    "imperiali-quota": lambda total, h: Fraction(total, h + 2),
}


def reference(method: str, votes: dict[str, int], house: int) -> dict[str, int] | None:
    """Whole quotas, then remainders (or take-backs from the smallest); ``None`` on a deciding tie."""
    if house == 0:
        return dict.fromkeys(votes, 0)
    q = QUOTA[method](sum(votes.values()), house)
    seats_ = {p: int(v // q) for p, v in votes.items()}
    rem = {p: v / q - seats_[p] for p, v in votes.items()}
    left = house - sum(seats_.values())
    while left > 0:  # hand out one extra seat each, by largest remainder
        ranked = sorted((p for p in votes if votes[p] > 0), key=lambda p: -rem[p])
        take = min(left, len(ranked))
        if take < len(ranked) and rem[ranked[take - 1]] == rem[ranked[take]]:
            return None
        for p in ranked[:take]:
            seats_[p] += 1
        left -= take
    while left < 0:  # over-award: take back one each from the smallest remainders
        holders = sorted((p for p in votes if seats_[p] > 0), key=lambda p: rem[p])
        take = min(-left, len(holders))
        if take < len(holders) and rem[holders[take - 1]] == rem[holders[take]]:
            return None
        for p in holders[:take]:
            seats_[p] -= 1
        left += take
    return seats_


def names(n: int) -> list[str]:
    return [f"P{i}" for i in range(n)]


@st.composite
def elections(
    draw: st.DrawFn, *, max_votes: int = 10**6, max_parties: int = 7, max_house: int = 30
) -> tuple[dict[str, int], int]:
    counts = draw(st.lists(st.integers(1, max_votes), min_size=1, max_size=max_parties))
    house = draw(st.integers(0, max_house))
    return dict(zip(names(len(counts)), counts, strict=True)), house


def untied(votes: dict[str, int], house: int, method: str) -> dict[str, int]:
    """Seats under the default policy; a tie has no unique answer, so such examples are rejected."""
    try:
        return dict(seats.apportion(votes, house, method=method).seats)
    except seats.TieError:
        reject()


# --- examples -------------------------------------------------------------------------------


def test_hare_example_and_certificate() -> None:
    a = seats.apportion({"A": 6, "B": 6, "C": 2}, 10, method="hare")
    assert dict(a.seats) == {"A": 4, "B": 4, "C": 2}
    cert = a.certificate
    assert cert.quota == Fraction(7, 5)
    assert dict(cert.floors) == {"A": 4, "B": 4, "C": 1}
    assert dict(cert.remainders) == {"A": Fraction(2, 7), "B": Fraction(2, 7), "C": Fraction(3, 7)}
    assert cert.remainder_winners == ("C",)
    assert cert.describe() == "quota 7/5 (~1.4); remainder seats to C"


def test_alabama_paradox_for_hare() -> None:
    """House monotonicity fails for Hare: C loses a seat when the house grows from 10 to 11."""
    votes = {"A": 6, "B": 6, "C": 2}
    ten = seats.apportion(votes, 10, method="hare")
    eleven = seats.apportion(votes, 11, method="hare")
    assert dict(ten.seats) == {"A": 4, "B": 4, "C": 2}
    assert dict(eleven.seats) == {"A": 5, "B": 5, "C": 1}


@pytest.mark.parametrize(
    ("method", "expected_quota"),
    [
        ("hare", Fraction(100, 7)),
        ("droop", Fraction(13)),
        ("hagenbach-bischoff-quota", Fraction(100, 8)),
        ("imperiali-quota", Fraction(100, 9)),
    ],
)
def test_quotas(method: str, expected_quota: Fraction) -> None:
    a = seats.apportion({"A": 48, "B": 31, "C": 21}, 7, method=method)
    assert a.certificate.quota == expected_quota
    assert sum(a.seats.values()) == 7


def test_droop_worked_example() -> None:
    # 1000 votes, 4 seats: Droop quota 201; floors 2, 1, 0, 0 and remainders 98, 79, 160, 90
    a = seats.apportion({"A": 500, "B": 280, "C": 160, "D": 60}, 4, method="droop")
    assert a.certificate.quota == 201
    assert dict(a.seats) == {"A": 2, "B": 1, "C": 1, "D": 0}


def test_imperiali_quota_over_award_is_taken_back_from_the_smallest_remainder() -> None:
    votes = {"A": 60, "B": 40}  # quota 100/3: both parties hold a whole quota for one seat
    a = seats.apportion(votes, 1, method="imperiali-quota")
    assert dict(a.seats) == {"A": 1, "B": 0}
    assert a.certificate.removed == ("B",)
    assert a.certificate.describe().endswith("over-award corrected by removing a seat from B")
    assert a.certificate.reproduce(a.votes_by_party) == dict(a.seats)
    explicit = seats.apportion(votes, 1, method="imperiali-quota", overflow="smallest-remainders")
    assert explicit == a


def test_imperiali_quota_over_award_refused_on_request() -> None:
    with pytest.raises(
        seats.InvalidSeatsError,
        match=r"imperiali-quota quota 100/3 gives 2 whole quotas for 1 seats \(choose overflow=",
    ):
        seats.apportion({"A": 60, "B": 40}, 1, method="imperiali-quota", overflow="error")


def test_over_award_from_a_single_party() -> None:
    a = seats.apportion({"A": 100}, 3, method="imperiali-quota")  # 5 whole quotas for 3 seats
    assert dict(a.seats) == {"A": 3}
    assert a.certificate.removed == ("A", "A")


def test_over_award_tie_is_reported() -> None:
    with pytest.raises(seats.TieError, match=r"between A, B .*smallest remainders"):
        seats.apportion({"A": 50, "B": 50}, 1, method="imperiali-quota")


def test_unknown_overflow_rule() -> None:
    with pytest.raises(seats.InvalidSeatsError, match="unknown overflow rule 'ignore'"):
        seats.apportion({"A": 60, "B": 40}, 1, method="hare", overflow="ignore")


def test_equal_remainders_are_a_tie() -> None:
    with pytest.raises(seats.TieError, match=r"seats 1, 2 between A, B, C \(equal remainders"):
        seats.apportion({"A": 1, "B": 1, "C": 1}, 2, method="hare")
    a = seats.apportion({"A": 1, "B": 1, "C": 1}, 2, method="hare", ties="order")
    assert dict(a.seats) == {"A": 1, "B": 1, "C": 0}
    (event,) = a.ties
    assert event.seats == (1, 2) and event.winners == ("A", "B")


def test_tie_after_sure_remainder_seats_numbers_the_contested_seat() -> None:
    # quota 10: A takes 3 whole quotas; B, C, D and E have equal remainders for the last 2 seats
    votes = {"A": 30, "B": 5, "C": 5, "D": 5, "E": 5}
    with pytest.raises(seats.TieError, match=r"seats 4, 5 between B, C, D, E"):
        seats.apportion(votes, 5, method="hare")


def test_max_seats_fixes_a_party_and_the_rest_share_again() -> None:
    a = seats.apportion({"A": 70, "B": 20, "C": 10}, 10, method="hare", max_seats={"A": 5})
    assert dict(a.seats) == {"A": 5, "B": 3, "C": 2}
    assert dict(a.certificate.fixed) == {"A": 5}
    assert a.certificate.quota == 6
    assert a.certificate.reproduce(a.votes_by_party) == dict(a.seats)


def test_min_seats_lifts_a_small_party() -> None:
    a = seats.apportion({"A": 90, "B": 9, "C": 1}, 10, method="hare", min_seats={"C": 2})
    assert dict(a.seats) == {"A": 7, "B": 1, "C": 2}
    assert a.certificate.reproduce(a.votes_by_party) == dict(a.seats)


def test_bounds_that_cannot_be_met() -> None:
    with pytest.raises(seats.InvalidSeatsError, match="minimum seats add up to more than the 2"):
        seats.apportion({"A": 1, "B": 1, "C": 1}, 2, method="hare", min_seats=1)
    with pytest.raises(seats.InvalidSeatsError, match="maximum seats add up to fewer than the 4"):
        seats.apportion({"A": 1, "B": 1, "C": 1}, 4, method="hare", max_seats=1)


def test_threshold_and_zero_votes() -> None:
    votes = {"A": 60, "B": 35, "C": 5, "Z": 0}
    a = seats.apportion(votes, 20, method="hare", threshold="5%")
    assert a.excluded == ("Z",)  # 0 votes are below any positive threshold
    assert a.seats["Z"] == 0 and a.seats["C"] == 1
    b = seats.apportion(votes, 20, method="hare", threshold="6%")
    assert b.excluded == ("C", "Z")
    assert b.certificate.quota == Fraction(95, 20)  # the quota counts the passing votes only
    assert dict(b.seats) == {"A": 13, "B": 7, "C": 0, "Z": 0}


def test_house_smaller_than_number_of_parties() -> None:
    a = seats.apportion({"A": 50, "B": 30, "C": 20}, 1, method="hare")
    assert dict(a.seats) == {"A": 1, "B": 0, "C": 0}


@pytest.mark.parametrize("method", LR)
def test_house_zero(method: str) -> None:
    a = seats.apportion({"A": 50, "B": 30}, 0, method=method)
    assert dict(a.seats) == {"A": 0, "B": 0}


def test_all_zero_votes_cannot_share_seats() -> None:
    with pytest.raises(seats.InvalidVotesError, match="no party has votes"):
        seats.apportion({"A": 0, "B": 0}, 3, method="hare")


# --- properties -------------------------------------------------------------------------------

FEW = settings(max_examples=60)


@pytest.mark.parametrize("method", LR)
@FEW
@given(data=st.data())
def test_engine_equals_reference(method: str, data: st.DataObject) -> None:
    votes, house = data.draw(elections(max_votes=200))  # small votes: many equal remainders
    expected = reference(method, votes, house)
    if expected is None:
        with pytest.raises(seats.TieError):
            seats.apportion(votes, house, method=method)
    else:
        assert dict(seats.apportion(votes, house, method=method).seats) == expected


@pytest.mark.parametrize("method", LR)
@FEW
@given(data=st.data())
def test_seats_sum_to_house(method: str, data: st.DataObject) -> None:
    votes, house = data.draw(elections())
    a = seats.apportion(votes, house, method=method, ties="order")  # any settlement fills the house
    assert sum(a.seats.values()) == house


@pytest.mark.parametrize("method", LR)
@FEW
@given(data=st.data())
def test_anonymity(method: str, data: st.DataObject) -> None:
    votes, house = data.draw(elections())
    perm = data.draw(st.permutations(list(votes)))
    before = untied(votes, house, method)  # 'order' would favour the listing: not anonymous
    assert untied({p: votes[p] for p in perm}, house, method) == before


@pytest.mark.parametrize("method", ["hare", "hagenbach-bischoff-quota", "imperiali-quota"])
@FEW
@given(data=st.data(), k=st.integers(2, 10**6))
def test_exact_scale_invariance(method: str, data: st.DataObject, k: int) -> None:
    # The Droop quota floor(V/(h+1)) + 1 is not proportional to V, so Droop is left out.
    votes, house = data.draw(elections(max_votes=1000))
    # remainders scale with the votes, so ties do too, and 'order' settles them the same way
    before = seats.apportion(votes, house, method=method, ties="order")
    after = seats.apportion({p: v * k for p, v in votes.items()}, house, method=method, ties="order")
    assert dict(after.seats) == dict(before.seats)


@FEW
@given(data=st.data())
def test_hare_satisfies_both_quotas(data: st.DataObject) -> None:
    votes, house = data.draw(elections(max_votes=10**4))
    total = sum(votes.values())
    a = seats.apportion(votes, house, method="hare", ties="order")  # quota holds for any settlement
    for p, v in votes.items():
        assert v * house // total <= a.seats[p] <= -(-v * house // total)


@FEW
@given(data=st.data(), gain=st.integers(1, 10**5))
def test_hare_vote_monotonicity(data: st.DataObject, gain: int) -> None:
    # A party that gains votes, all else equal, loses no seat: its quota grows, every other
    # quota shrinks, and each whole quota another party loses leaves one more remainder seat.
    votes, house = data.draw(elections())
    party = data.draw(st.sampled_from(list(votes)))
    before = untied(votes, house, "hare")
    after = untied({**votes, party: votes[party] + gain}, house, "hare")
    assert after[party] >= before[party]


def test_alabama_paradox_is_found_by_search() -> None:
    """Not one hand-picked case: a search over small elections finds a house that, grown by a
    seat, takes a seat from a party under Hare, and the engine agrees with the reference there."""

    def paradox(case: tuple[dict[str, int], int]) -> bool:
        votes, house = case
        smaller, larger = reference("hare", votes, house), reference("hare", votes, house + 1)
        return (
            smaller is not None and larger is not None and any(larger[p] < smaller[p] for p in votes)
        )

    votes, house = find(
        elections(max_votes=100, max_parties=4, max_house=12).filter(lambda c: c[1] > 0),
        paradox,
        settings=settings(max_examples=5000, database=None),
    )
    smaller, larger = untied(votes, house, "hare"), untied(votes, house + 1, "hare")
    assert any(larger[p] < smaller[p] for p in votes)
    assert sum(larger.values()) == sum(smaller.values()) + 1


@pytest.mark.parametrize("method", LR)
@FEW
@given(data=st.data(), threshold=st.fractions(0, Fraction(1, 3)))
def test_threshold_equals_dropping_the_parties_below_it(
    method: str, data: st.DataObject, threshold: Fraction
) -> None:
    votes, house = data.draw(elections())
    total = sum(votes.values())
    passing = {p: v for p, v in votes.items() if v * threshold.denominator >= threshold.numerator * total}
    if not passing and house > 0:
        with pytest.raises(seats.InvalidVotesError, match="no party has votes"):
            seats.apportion(votes, house, method=method, threshold=threshold)
    else:
        a = seats.apportion(votes, house, method=method, threshold=threshold, ties="order")
        b = seats.apportion(passing, house, method=method, ties="order")
        assert dict(a.seats) == {p: b.seats.get(p, 0) for p in votes}


@pytest.mark.parametrize("method", LR)
@FEW
@given(data=st.data(), cap=st.integers(0, 10))
def test_bounds_are_honoured_and_certified(method: str, data: st.DataObject, cap: int) -> None:
    votes, house = data.draw(elections(max_votes=500))
    party = next(iter(votes))
    if cap * len(votes) < house:
        reject()  # caps below the house are refused, tested above
    a = seats.apportion(votes, house, method=method, max_seats=cap, ties="order")
    assert sum(a.seats.values()) == house
    assert max(a.seats.values(), default=0) <= cap
    assert a.seats[party] <= cap
    assert a.certificate.reproduce(a.votes_by_party) == dict(a.seats)


@pytest.mark.parametrize("method", LR)
@settings(max_examples=15)
@given(
    counts=st.lists(st.integers(1, 10**7), min_size=24, max_size=300),
    house=st.integers(0, 2000),
    big=st.booleans(),
)
def test_many_parties_equal_the_reference(method: str, counts: list[int], house: int, big: bool) -> None:
    # 24 parties and more take the vectorised whole quotas and remainders; huge votes do not fit
    # in 64 bits and take the Python integers again: both must be the reference's answer
    if big:
        counts = [c * 10**15 + k for k, c in enumerate(counts)]
    votes = dict(zip(names(len(counts)), counts, strict=True))
    expected = reference(method, votes, house)
    if expected is None:
        with pytest.raises(seats.TieError):
            seats.apportion(votes, house, method=method)
    else:
        a = seats.apportion(votes, house, method=method)
        assert dict(a.seats) == expected
        assert a.certificate.reproduce(votes) == expected
        if house:
            assert a.certificate.remainders == {
                p: Fraction(v) / a.certificate.quota - a.certificate.floors[p] for p, v in votes.items()
            }


# --- the numpy fast path equals the general engine ------------------------------------------

LR_MODULE = importlib.import_module("seats.methods.largest_remainder")


def outcome(votes: dict[str, int], house: int, method: str, **options: Any) -> tuple[Any, ...]:
    """Everything a caller can see of one call: the error it raised, or the result's seats,
    ties, certificate (read through every accessor), step table, frame, dict and repr."""
    try:
        a = seats.apportion(votes, house, method=method, **options)
    except seats.SeatsError as err:
        return (type(err).__name__, str(err), getattr(err, "event", None))
    cert = a.certificate
    return (
        dict(a.seats),
        [t.to_dict() for t in a.ties],
        repr(cert),
        cert.to_dict(),
        cert.describe(),
        cert.reproduce(a.votes_by_party),
        dict(cert.remainders),
        a.explain(),
        a.to_polars().rows(),
        a.to_dict(),
        repr(a),
        a == a,
    )


def general(votes: dict[str, int], house: int, method: str, **options: Any) -> tuple[Any, ...]:
    """:func:`outcome` with the fast path switched off (the general engine for every size)."""
    with patch.object(LR_MODULE, "_FAST_FROM", 10**9):
        return outcome(votes, house, method, **options)


Case = tuple[dict[str, int], int, dict[str, Any]]


@st.composite
def wide_elections(draw: st.DrawFn) -> Case:
    """24 to 60 parties; small votes (many equal remainders), large ones, or some of each;
    parties without votes; one or two dominant parties; a house from 0 to well above the
    number of parties; sometimes a threshold, seat bounds or another tie policy."""
    n = draw(st.integers(24, 60))
    scale = draw(st.sampled_from([3, 50, 10**4, 10**9, 10**17]))
    counts = draw(st.lists(st.integers(0, scale), min_size=n, max_size=n))
    if draw(st.booleans()):  # equal votes make equal remainders
        counts = [counts[k % 5] for k in range(n)]
    for _ in range(draw(st.integers(0, 2))):  # dominant parties: small quotas then over-award
        counts[draw(st.integers(0, n - 1))] = draw(st.integers(10**5, 10**7))
    house = draw(st.integers(0, 3 * n))
    options: dict[str, Any] = {}
    if draw(st.booleans()):
        options["ties"] = draw(st.sampled_from(["order", "most-votes", "lot"]))
        options["seed"] = 7
    if draw(st.integers(0, 3)) == 0:
        options["threshold"] = draw(st.sampled_from(["1%", "2%", "1/30", "5%"]))
    if draw(st.integers(0, 5)) == 0:
        options[draw(st.sampled_from(["min_seats", "max_seats"]))] = draw(st.integers(0, 4))
    return dict(zip(names(n), counts, strict=True)), house, options


@pytest.mark.parametrize("method", LR)
@settings(max_examples=80, deadline=None)
@given(case=wide_elections())
def test_fast_path_equals_general_engine(method: str, case: Case) -> None:
    votes, house, options = case
    if method == "imperiali-quota" and house % 3 == 0:
        options["overflow"] = "error"
    assert outcome(votes, house, method, **options) == general(votes, house, method, **options)


def skewed(n: int, total: int, seed: int) -> dict[str, int]:
    """A few large parties and a long tail, as in the benchmark's W1 input."""
    rng = random.Random(seed)
    weights = [(k + 1) ** -1.6 * rng.lognormvariate(0.0, 0.35) for k in range(n)]
    scale = total / sum(weights)
    return {f"P{k}": max(1, int(w * scale)) for k, w in enumerate(weights)}


@pytest.mark.parametrize("method", LR)
def test_fast_path_takes_the_common_case_and_defers_its_certificate(method: str) -> None:
    votes = skewed(107, 6_200_000, 3)
    made: list[QuotaCertificate] = []
    make = LR_MODULE._numpy_certificate

    def spy(*args: Any) -> QuotaCertificate:
        made.append(make(*args))
        return made[-1]

    with patch.object(LR_MODULE, "_numpy_certificate", spy):
        a = seats.apportion(votes, 277, method=method)
    assert made == []  # the fast path answered, and made no certificate
    assert a.certificate is a.certificate and made == [a.certificate]  # made once, when read
    assert outcome(votes, 277, method) == general(votes, 277, method)


@pytest.mark.parametrize("method", LR)
@settings(max_examples=25)
@given(
    counts=st.lists(st.integers(0, 10**6), min_size=1, max_size=60),
    house=st.integers(0, 300),
    ties=st.sampled_from(["error", "order", "lot"]),
)
def test_apportion_takes_the_fast_path_only_with_the_same_answer(
    method: str, counts: list[int], house: int, ties: str
) -> None:
    # seats.apportion calls the numpy fast path itself for a registered method without
    # threshold, bounds or options; the answer (seats, ties, certificate, error) is the
    # method's own, and that of the general engine
    from seats.methods import largest_remainder as lr

    votes = {f"P{i}": c for i, c in enumerate(counts)}
    spec = REGISTRY[method]

    def outcome(call: Callable[[], seats.Allocation]) -> object:
        try:
            got = call()
        except seats.SeatsError as exc:
            return type(exc), str(exc)
        return got, got.ties, got.certificate

    parties, values = tuple(votes), tuple(votes.values())

    def own() -> seats.Allocation:
        return spec.function(parties, values, house, method_id=method, ties=ties, seed=3)

    fast = outcome(lambda: seats.apportion(votes, house, method=method, ties=ties, seed=3))
    assert fast == outcome(own)
    with patch.object(lr, "_FAST_FROM", 10**9):
        assert fast == outcome(own)
