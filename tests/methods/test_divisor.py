"""Divisor methods (seats/methods/divisor.py): options, exactness, and the theory as properties.

The engine estimates with floats and decides with integers; these tests pin its results to a
naive seat-by-seat reference written from DESIGN.md section 3 (independent of
seats/methods/signposts.py), so that an optimised engine cannot drift.
"""

from __future__ import annotations

import math
import random
import signal
from collections.abc import Callable
from fractions import Fraction

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

import seats
from seats.methods import REGISTRY
from seats.methods.signposts import LinearSignpost

DIVISOR = sorted(m for m, spec in REGISTRY.items() if spec.family == "divisor")
ZERO_FIRST = {"adams", "dean", "huntington-hill"}  # d(0) = 0: every party with votes first
VOTES = {"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}

# d(s) as exact numbers straight from the DESIGN.md table; Huntington-Hill as d(s)**2.
D: dict[str, Callable[[int], Fraction]] = {
    "dhondt": lambda s: Fraction(s + 1),
    "sainte-lague": lambda s: Fraction(2 * s + 1, 2),
    "modified-sainte-lague": lambda s: Fraction(7, 10) if s == 0 else Fraction(2 * s + 1, 2),
    "adams": lambda s: Fraction(s),
    "dean": lambda s: Fraction(2 * s * (s + 1), 2 * s + 1),
    "huntington-hill": lambda s: Fraction(s * (s + 1)),  # squared
    "danish": lambda s: Fraction(3 * s + 1),
    "imperiali": lambda s: Fraction(s + 2),
}


def reference(method: str, votes: dict[str, int], house: int) -> dict[str, int] | None:
    """Seats by the highest-averages table, or ``None`` when a tie decides the last seat."""
    power = 2 if method == "huntington-hill" else 1
    entries: list[tuple[tuple[int, Fraction], str]] = []
    for party, v in votes.items():
        if v == 0:
            continue
        for s in range(house + 1):
            d = D[method](s)
            entries.append(((1, Fraction(0)) if d == 0 else (0, Fraction(v**power) / d), party))
    entries.sort(key=lambda e: e[0], reverse=True)
    if house < len(entries) and house > 0 and entries[house - 1][0] == entries[house][0]:
        return None
    out = dict.fromkeys(votes, 0)
    for _, party in entries[:house]:
        out[party] += 1
    return out


def names(n: int) -> list[str]:
    return [f"P{i}" for i in range(n)]


@st.composite
def elections(
    draw: st.DrawFn, method: str, *, max_votes: int = 10**6, max_parties: int = 7, max_house: int = 30
) -> tuple[dict[str, int], int]:
    """Positive votes and a house size; methods with d(0) = 0 get a seat per party at least."""
    counts = draw(st.lists(st.integers(1, max_votes), min_size=1, max_size=max_parties))
    house = draw(st.integers(0, max_house))
    if method in ZERO_FIRST:
        house += len(counts)
    return dict(zip(names(len(counts)), counts, strict=True)), house


def untied(votes: dict[str, int], house: int, method: str, **options: object) -> dict[str, int]:
    """Seats under the default policy; examples where a tie decides a seat are rejected,
    because a property about *the* allocation needs a unique one."""
    try:
        return dict(seats.apportion(votes, house, method=method, **options).seats)  # type: ignore[arg-type]
    except seats.TieError:
        reject()


# --- examples -------------------------------------------------------------------------------


def test_sainte_lague_docstring_example() -> None:
    a = seats.apportion({"A": 4160, "B": 3380, "C": 2460}, 10, method="sainte-lague")
    assert dict(a.seats) == {"A": 4, "B": 3, "C": 3}


@pytest.mark.parametrize("method", DIVISOR)
def test_matches_reference_on_worked_example(method: str) -> None:
    votes = {"A": 9061, "B": 7179, "C": 5259, "D": 3319, "E": 1182}
    for house in range(5, 60):
        assert dict(seats.apportion(votes, house, method=method).seats) == reference(method, votes, house)


def test_exact_half_is_not_float_rounded() -> None:
    # Sainte-Laguë: 5/0.5 = 10 vs 15/1.5 = 10 is an exact tie; float rounding must not decide it.
    with pytest.raises(seats.TieError, match="seat 2 between A, B"):
        seats.apportion({"A": 5, "B": 15}, 2, method="sainte-lague")


def test_near_tie_beyond_float_precision_is_decided_exactly() -> None:
    big = 2**60
    # quotients big+1 vs big: equal as floats, different as integers
    a = seats.apportion({"A": big + 1, "B": big}, 1, method="dhondt")
    assert dict(a.seats) == {"A": 1, "B": 0}
    b = seats.apportion({"A": big, "B": big + 1}, 1, method="dhondt")
    assert dict(b.seats) == {"A": 0, "B": 1}
    c = seats.apportion({"A": 2 * big + 1, "B": big}, 3, method="dhondt")  # (2b+1)/2 > b
    assert dict(c.seats) == {"A": 2, "B": 1}


def test_votes_beyond_float_range() -> None:
    a = seats.apportion({"A": 10**400, "B": 10**399}, 3, method="dhondt")
    assert dict(a.seats) == {"A": 3, "B": 0}
    assert a.certificate.lower == Fraction(10**400, 4)


@pytest.mark.parametrize("method", DIVISOR)
def test_votes_beyond_float_range_match_the_reference(method: str) -> None:
    # float(10**400) overflows; tiny parties next to it lose all float precision when scaled
    votes = {"A": 10**400 + 1, "B": 10**399 + 3, "C": 7, "D": 3 * 10**399, "E": 10**380}
    for house in range(len(votes), 25):
        expected = reference(method, votes, house)
        assert expected is not None  # no two quotients are equal here
        assert dict(seats.apportion(votes, house, method=method).seats) == expected


@pytest.mark.parametrize("method", DIVISOR)
def test_a_tie_beyond_float_range_is_detected(method: str) -> None:
    big = 10**400
    votes = {"A": 2 * big, "B": big, "C": big}
    tied = [house for house in range(1, 9) if reference(method, votes, house) is None]
    assert tied  # B and C are equal: some seat is contested by them
    for house in tied:
        with pytest.raises(seats.TieError):
            seats.apportion(votes, house, method=method)


# --- options ----------------------------------------------------------------------------------


def test_threshold_is_inclusive() -> None:
    votes = {"A": 60, "B": 35, "C": 5}  # C has exactly 5%
    at = seats.apportion(votes, 20, threshold="5%")
    assert at.excluded == ()
    assert at.seats["C"] == 1
    above = seats.apportion(votes, 20, threshold="5.01%")
    assert above.excluded == ("C",)
    assert dict(above.seats) == {**seats.apportion({"A": 60, "B": 35}, 20).seats, "C": 0}
    assert above.threshold == Fraction(501, 10000)


@pytest.mark.parametrize("spelling", ["5%", "0.05", 0.05, Fraction(1, 20), "1/20", " 5 % "])
def test_threshold_spellings_are_equal(spelling: object) -> None:
    votes = {"A": 520, "B": 430, "C": 49, "D": 1}
    a = seats.apportion(votes, 10, threshold=spelling)
    assert a.threshold == Fraction(1, 20)
    assert a.excluded == ("C", "D")


def test_threshold_one_eighth() -> None:
    votes = {"A": 500, "B": 375, "C": 125, "D": 124}
    a = seats.apportion(votes, 8, threshold="1/8")
    assert a.threshold == Fraction(1, 8)
    # 125 / 1124 < 1/8: every party but A and B falls below an eighth of all votes
    assert a.excluded == ("C", "D")


@pytest.mark.parametrize("bad", ["five", "150%", -0.1, 2, [0.05], True])
def test_threshold_must_be_a_fraction_between_0_and_1(bad: object) -> None:
    with pytest.raises(seats.InvalidVotesError, match="threshold must be"):
        seats.apportion(VOTES, 8, threshold=bad)


def test_threshold_that_excludes_everyone() -> None:
    with pytest.raises(seats.InvalidVotesError, match=r"no party has votes .* to share 2 seats"):
        seats.apportion({"A": 50, "B": 50}, 2, threshold="60%")


def test_max_seats_caps_a_party_and_passes_its_seat_on() -> None:
    a = seats.apportion(VOTES, 8, method="sainte-lague", max_seats={"A": 2})
    assert dict(a.seats) == {"A": 2, "B": 4, "C": 1, "D": 1}
    assert a.certificate.reproduce(a.votes_by_party) == dict(a.seats)


def test_min_seats_for_every_party() -> None:
    a = seats.apportion(VOTES, 8, method="dhondt", min_seats=1)
    assert dict(a.seats) == {"A": 3, "B": 3, "C": 1, "D": 1}
    assert a.certificate.reproduce(a.votes_by_party) == dict(a.seats)


def test_impossible_bounds_are_refused() -> None:
    with pytest.raises(seats.InvalidSeatsError, match="minimum seats add up to 12, more than the 8"):
        seats.apportion(VOTES, 8, min_seats=3)
    with pytest.raises(seats.InvalidSeatsError, match="maximum seats add up to 4, fewer than the 8"):
        seats.apportion(VOTES, 8, max_seats=1)
    with pytest.raises(seats.InvalidSeatsError, match="min_seats 3 exceeds max_seats 2 for 'A'"):
        seats.apportion(VOTES, 8, min_seats={"A": 3}, max_seats={"A": 2})
    with pytest.raises(seats.InvalidSeatsError, match="names unknown parties: Z"):
        seats.apportion(VOTES, 8, max_seats={"Z": 1})
    with pytest.raises(seats.InvalidSeatsError, match="must be a non-negative whole number"):
        seats.apportion(VOTES, 8, max_seats={"A": -1})


@pytest.mark.parametrize("method", DIVISOR)
def test_zero_vote_parties_get_nothing(method: str) -> None:
    votes = {"Z0": 0, **VOTES, "Z1": 0}
    a = seats.apportion(votes, 8, method=method, ties="order")
    assert a.seats["Z0"] == a.seats["Z1"] == 0
    b = seats.apportion(VOTES, 8, method=method, ties="order")
    assert {p: n for p, n in a.seats.items() if p in VOTES} == dict(b.seats)


def test_house_smaller_than_number_of_parties() -> None:
    assert dict(seats.apportion(VOTES, 2, method="dhondt").seats) == {"A": 1, "B": 1, "C": 0, "D": 0}
    assert dict(seats.apportion(VOTES, 1, method="dhondt").seats) == {"A": 1, "B": 0, "C": 0, "D": 0}


@pytest.mark.parametrize("method", sorted(ZERO_FIRST))
def test_zero_first_signpost_with_too_few_seats_is_a_tie(method: str) -> None:
    # every party's first quotient is infinite: 3 seats for 4 equal claims
    with pytest.raises(seats.TieError, match=r"seats 1, 2, 3 between A, B, C, D"):
        seats.apportion(VOTES, 3, method=method)
    a = seats.apportion(VOTES, 3, method=method, ties="order")
    assert dict(a.seats) == {"A": 1, "B": 1, "C": 1, "D": 0}
    assert a.certificate.reproduce(a.votes_by_party) == dict(a.seats)


@pytest.mark.parametrize("method", DIVISOR)
def test_house_zero(method: str) -> None:
    a = seats.apportion(VOTES, 0, method=method)
    assert dict(a.seats) == dict.fromkeys(VOTES, 0)
    assert a.ties == ()


def test_prior_seats_start_the_divisors_later() -> None:
    a = seats.apportion({"A": 600, "B": 400}, 2, method="dhondt", prior_seats={"A": 3})
    # A's divisors start at 4: 150, 120; B's at 1: 400, 200 -> both seats to B
    assert dict(a.seats) == {"A": 0, "B": 2}
    assert a.certificate.reproduce(a.votes_by_party) == dict(a.seats)
    with pytest.raises(seats.InvalidSeatsError, match="prior_seats names unknown parties: Z"):
        seats.apportion({"A": 600, "B": 400}, 2, prior_seats={"Z": 1})


def test_certificate_records_the_prior_seats_of_every_party() -> None:
    # C is below the threshold and D has no votes, but both already hold seats elsewhere:
    # the certificate records what every party held, not only what the contenders held
    votes = {"A": 6000, "B": 4100, "C": 100, "D": 0}
    prior = {"A": 1, "C": 2, "D": 1}
    a = seats.apportion(votes, 3, method="dhondt", threshold="5%", prior_seats=prior)
    assert a.certificate.prior == prior
    assert a.certificate.excluded == ("C", "D")
    assert dict(a.seats) == {"A": 1, "B": 2, "C": 0, "D": 0}
    assert a.certificate.reproduce(a.votes_by_party) == dict(a.seats)
    assert "next  A" in a.explain()


@pytest.mark.parametrize("bad", [-1, 2.5, "3", True])
def test_house_must_be_a_non_negative_whole_number(bad: object) -> None:
    with pytest.raises(seats.InvalidSeatsError, match="number of seats"):
        seats.apportion(VOTES, bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("votes", "message"),
    [
        ({"A": -1}, "must not be negative"),
        ({"A": 1.5}, "must be a whole number"),
        ({"A": float("nan")}, "must be a whole number"),
        ({"A": "12"}, "must be a whole number"),
        ({"A": True}, "must be a whole number"),
        ([("A", 1), ("A", 2)], "party 'A' appears twice"),
        ([("A", 1, 2)], "expected \\(party, votes\\) pairs"),
    ],
)
def test_invalid_votes(votes: object, message: str) -> None:
    with pytest.raises(seats.InvalidVotesError, match=message):
        seats.apportion(votes, 3)  # type: ignore[arg-type]


def test_votes_as_pairs_and_whole_floats() -> None:
    a = seats.apportion([("A", 30.0), ("B", Fraction(20))], 2)
    assert dict(a.seats) == {"A": 1, "B": 1}
    assert a.votes == (30, 20)


def test_custom_signpost_must_increase() -> None:
    with pytest.raises(seats.UnknownMethodError, match="strictly increasing"):
        seats.apportion(VOTES, 8, method=lambda s: 5 - s)
    with pytest.raises(seats.UnknownMethodError, match="must return an int or a Fraction"):
        seats.apportion(VOTES, 8, method=lambda s: "one")


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Timeout


@pytest.mark.parametrize(
    ("votes", "house", "bounds"),
    [
        ({"A": 1}, 1, {"min_seats": 1, "max_seats": 1}),
        ({"A": 1, "B": 1}, 2, {"max_seats": 1}),  # adams: both capped, last quotients infinite
    ],
)
def test_certificate_of_a_fully_capped_house(
    votes: dict[str, int], house: int, bounds: dict[str, int]
) -> None:
    method = "dhondt" if len(votes) == 1 else "adams"
    a = seats.apportion(votes, house, method=method, **bounds)  # type: ignore[arg-type]
    assert dict(a.seats) == dict.fromkeys(votes, 1)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, 2.0)
    try:
        assert a.certificate.reproduce(a.votes_by_party) == dict(a.seats)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert (a.certificate.lower, a.certificate.upper) == (0, None)  # every divisor works


def test_divisor_certificate_interval() -> None:
    a = seats.apportion(VOTES, 8, method="dhondt")
    cert = a.certificate
    assert (cert.lower, cert.upper) == (Fraction(20_000), Fraction(25_000))
    assert cert.describe() == "any divisor 20000 < D < 25000 yields these seats"
    for party, v in VOTES.items():  # seats = floor(v / D) for every D inside (dhondt)
        for divisor in (20_001, 22_500, 24_999):
            assert v // divisor == a.seats[party]


# --- properties -------------------------------------------------------------------------------

FEW = settings(max_examples=60)


@pytest.mark.parametrize("method", DIVISOR)
@FEW
@given(data=st.data())
def test_engine_equals_reference(method: str, data: st.DataObject) -> None:
    votes, house = data.draw(elections(method, max_votes=300))  # small votes: many ties
    expected = reference(method, votes, house)
    if expected is None:
        with pytest.raises(seats.TieError):
            seats.apportion(votes, house, method=method)
    else:
        assert dict(seats.apportion(votes, house, method=method).seats) == expected


@pytest.mark.parametrize("method", DIVISOR)
@FEW
@given(data=st.data())
def test_seats_sum_to_house(method: str, data: st.DataObject) -> None:
    votes, house = data.draw(elections(method))
    a = seats.apportion(votes, house, method=method, ties="order")  # any settlement fills the house
    assert sum(a.seats.values()) == house


@pytest.mark.parametrize("method", DIVISOR)
@FEW
@given(data=st.data())
def test_anonymity(method: str, data: st.DataObject) -> None:
    votes, house = data.draw(elections(method))
    perm = data.draw(st.permutations(list(votes)))
    before = untied(votes, house, method)  # ties settled by listed order are not anonymous
    after = untied({p: votes[p] for p in perm}, house, method)
    assert after == before


@pytest.mark.parametrize("method", DIVISOR)
@FEW
@given(data=st.data(), k=st.integers(2, 10**6))
def test_exact_scale_invariance(method: str, data: st.DataObject, k: int) -> None:
    votes, house = data.draw(elections(method, max_votes=1000))
    # ties scale with the votes and 'order' looks only at the listing, so the answer is unique
    before = seats.apportion(votes, house, method=method, ties="order")
    after = seats.apportion({p: v * k for p, v in votes.items()}, house, method=method, ties="order")
    assert dict(after.seats) == dict(before.seats)
    assert [t.tied for t in after.ties] == [t.tied for t in before.ties]


@pytest.mark.parametrize("method", DIVISOR)
@FEW
@given(data=st.data(), gain=st.integers(1, 10**5))
def test_vote_monotonicity(method: str, data: st.DataObject, gain: int) -> None:
    votes, house = data.draw(elections(method))
    party = data.draw(st.sampled_from(list(votes)))
    before = untied(votes, house, method)
    after = untied({**votes, party: votes[party] + gain}, house, method)
    assert after[party] >= before[party]


@pytest.mark.parametrize("method", DIVISOR)
@FEW
@given(data=st.data())
def test_house_monotonicity(method: str, data: st.DataObject) -> None:
    votes, house = data.draw(elections(method))
    smaller = untied(votes, house, method)
    larger = untied(votes, house + 1, method)
    assert all(larger[p] >= smaller[p] for p in votes)
    assert sum(larger.values()) - sum(smaller.values()) == 1


@FEW
@given(data=st.data())
def test_dhondt_satisfies_lower_quota(data: st.DataObject) -> None:
    votes, house = data.draw(elections("dhondt", max_votes=10**4))
    total = sum(votes.values())
    # lower quota holds for every way of settling a tie, so 'order' keeps every example
    a = seats.apportion(votes, house, method="dhondt", ties="order")
    for p, v in votes.items():
        assert a.seats[p] >= v * house // total


@FEW
@given(data=st.data())
def test_adams_satisfies_upper_quota(data: st.DataObject) -> None:
    votes, house = data.draw(elections("dhondt", max_votes=10**4))  # any house, ties allowed
    total = sum(votes.values())
    a = seats.apportion(votes, house, method="adams", ties="order")
    for p, v in votes.items():
        assert a.seats[p] <= -(-v * house // total)


@pytest.mark.parametrize("method", DIVISOR)
@FEW
@given(data=st.data())
def test_consistency(method: str, data: st.DataObject) -> None:
    votes, house = data.draw(elections(method))
    subset = data.draw(st.lists(st.sampled_from(list(votes)), min_size=1, unique=True))
    whole = untied(votes, house, method)
    part = untied({p: votes[p] for p in subset}, sum(whole[p] for p in subset), method)
    assert part == {p: whole[p] for p in subset}


@pytest.mark.parametrize("method", DIVISOR)
@FEW
@given(data=st.data(), threshold=st.fractions(0, Fraction(1, 3)))
def test_threshold_equals_dropping_the_parties_below_it(
    method: str, data: st.DataObject, threshold: Fraction
) -> None:
    votes, house = data.draw(elections(method))
    total = sum(votes.values())
    passing = {p: v for p, v in votes.items() if v * threshold.denominator >= threshold.numerator * total}
    if not passing and house > 0:
        with pytest.raises(seats.InvalidVotesError, match="no party has votes"):
            seats.apportion(votes, house, method=method, threshold=threshold)
    else:
        a = seats.apportion(votes, house, method=method, threshold=threshold, ties="order")
        assert set(a.excluded) == set(votes) - set(passing)
        b = seats.apportion(passing, house, method=method, ties="order")
        assert dict(a.seats) == {p: b.seats.get(p, 0) for p in votes}


@pytest.mark.parametrize("method", DIVISOR)
@FEW
@given(data=st.data())
def test_certificate_interval_reproduces_the_seats(method: str, data: st.DataObject) -> None:
    votes, house = data.draw(elections(method, max_votes=500))
    a = seats.apportion(votes, house, method=method, ties="order")
    cert = a.certificate
    assert cert.reproduce(a.votes_by_party) == dict(a.seats)
    if cert.tie:
        assert cert.lower == cert.upper
        assert len(a.ties) == 1
    elif cert.lower is not None and cert.upper is not None:
        assert cert.lower < cert.upper
        assert not math.isnan(float(cert.divisor()))


def independent_count(method: str, v: int, divisor: Fraction) -> int:
    """How many s have v / d(s) > D (v**2 / d(s)**2 > D**2 for Huntington-Hill), from table D."""
    power = 2 if method == "huntington-hill" else 1
    n = 0
    while D[method](n) * divisor < v**power:
        n += 1
    return n


@pytest.mark.parametrize("method", DIVISOR)
@settings(max_examples=15)
@given(
    counts=st.lists(st.integers(1, 10**9), min_size=20, max_size=60),
    house=st.integers(60, 600),
)
def test_large_elections_are_certified_by_an_independent_divisor(
    method: str, counts: list[int], house: int
) -> None:
    votes = dict(zip(names(len(counts)), counts, strict=True))
    try:
        a = seats.apportion(votes, house, method=method)
    except seats.TieError:
        reject()  # with votes up to 1e9 this is rare; a tie has no unique answer
    cert = a.certificate
    assert cert.lower is not None and cert.lower > 0
    if cert.upper is None:
        # d(0) = 0 and every party holds exactly its first seat: any divisor above
        # `lower` gives each its one seat, the interval is unbounded above
        assert method in ZERO_FIRST and set(a.seats.values()) == {1}
    else:
        assert cert.lower < cert.upper
    divisor = cert.divisor()
    assert divisor is not None
    assert {p: independent_count(method, v, divisor) for p, v in votes.items()} == dict(a.seats)
    assert sum(a.seats.values()) == house


@pytest.mark.parametrize("method", DIVISOR)
@FEW
@given(data=st.data(), low=st.integers(0, 3), high=st.integers(1, 12))
def test_bounds_are_honoured_and_certified(
    method: str, data: st.DataObject, low: int, high: int
) -> None:
    votes, house = data.draw(elections(method))
    party = data.draw(st.sampled_from(list(votes)))
    lo, hi = min(low, high), max(low, high)
    if lo > house or hi * len(votes) < house:
        reject()  # impossible bounds are refused, tested above
    a = seats.apportion(votes, house, method=method, min_seats={party: lo}, max_seats=hi, ties="order")
    assert sum(a.seats.values()) == house
    assert all(n <= hi for n in a.seats.values())
    assert a.seats[party] >= lo
    # seats = clamp(count(v / D), min, max) for the certificate's divisor: a valid allocation
    assert a.certificate.reproduce(a.votes_by_party) == dict(a.seats)


# --- the float fast path (linear signposts with d(0) > 0) ---------------------------------------

FAST_PATH = [m for m in DIVISOR if m in {"dhondt", "sainte-lague", "danish", "imperiali"}]


@st.composite
def fast_path_inputs(draw: st.DrawFn) -> tuple[dict[str, int], int, Fraction | None]:
    """Votes rich in exact ties and near-ties (equal as floats, different as integers)."""
    small = st.integers(0, 10**6)
    huge = st.integers(2**53, 2**70)
    counts = draw(st.lists(st.one_of(small, huge), min_size=1, max_size=10))
    for _ in range(draw(st.integers(0, 3))):
        # a multiple of another party's votes, give or take one: its quotients line up
        base = draw(st.sampled_from(counts))
        ratio = Fraction(draw(st.integers(1, 4)), draw(st.integers(1, 3)))
        counts.append(max(0, int(base * ratio) + draw(st.integers(-1, 1))))
    house = draw(st.integers(1, 60))
    threshold = draw(st.sampled_from([None, Fraction(0), Fraction(1, 20), Fraction(1, 8)]))
    return dict(zip(names(len(counts)), counts, strict=True)), house, threshold


@pytest.mark.parametrize("proposer", ["python", "numpy"])
@pytest.mark.parametrize("method", FAST_PATH)
@settings(max_examples=60)
@given(case=fast_path_inputs())
def test_fast_path_equals_the_general_engine(
    proposer: str, method: str, case: tuple[dict[str, int], int, Fraction | None]
) -> None:
    from seats.methods import divisor

    saved = divisor._NUMPY_FROM
    divisor._NUMPY_FROM = 0 if proposer == "numpy" else 10**9  # who proposes, for every size
    try:
        check_fast_path(method, case)
    finally:
        divisor._NUMPY_FROM = saved


def check_fast_path(method: str, case: tuple[dict[str, int], int, Fraction | None]) -> None:
    from seats.methods import divisor

    votes, house, threshold = case
    sp = REGISTRY[method].signpost
    assert isinstance(sp, LinearSignpost)
    parties, counts = tuple(votes), tuple(votes.values())
    if not any(c > 0 and (not threshold or c * threshold.denominator >= threshold.numerator * sum(counts))
               for c in counts):
        assert divisor._linear_fast(sp, method, parties, counts, house, threshold) is None
        return
    general = divisor._general(sp, method, parties, counts, house, threshold, policy="order")
    fast = divisor._linear_fast(sp, method, parties, counts, house, threshold)
    if fast is None:
        return  # handed over: a tie or a near-tie
    assert general.ties == ()  # the fast path never answers when a tie decides a seat
    assert fast == general
    assert fast.certificate.reproduce(fast.votes_by_party) == dict(fast.seats)


def test_fast_path_answers_the_common_case_and_hands_over_ties_and_near_ties() -> None:
    from seats.methods import divisor
    from seats.methods.signposts import DHONDT, SAINTE_LAGUE

    parties, counts = tuple(VOTES), tuple(VOTES.values())
    fast = divisor._linear_fast(DHONDT, "dhondt", parties, counts, 8, None)
    assert fast is not None and dict(fast.seats) == {"A": 4, "B": 3, "C": 1, "D": 0}
    assert (fast.certificate.lower, fast.certificate.upper) == (20_000, 25_000)
    # an exact tie (5/0.5 = 15/1.5) and a near-tie (equal as floats) are not the fast path's to decide
    assert divisor._linear_fast(SAINTE_LAGUE, "sainte-lague", ("A", "B"), (5, 15), 2, None) is None
    big = 2**60
    assert divisor._linear_fast(DHONDT, "dhondt", ("A", "B"), (big + 1, big), 1, None) is None
    assert dict(seats.apportion({"A": big + 1, "B": big}, 1).seats) == {"A": 1, "B": 0}
    # beyond float range it steps aside too, and the general engine is exact
    assert divisor._linear_fast(DHONDT, "dhondt", ("A", "B"), (10**400, 1), 1, None) is None
    # many parties (the numpy proposer): 107 parties, a few large and a long tail, 277 seats
    many = tuple(10**7 // (k + 1) + 7 * k for k in range(107))
    parties = tuple(names(107))
    for sp in (DHONDT, SAINTE_LAGUE):
        fast = divisor._linear_fast(sp, sp.name, parties, many, 277, None)
        assert fast is not None
        assert fast == divisor._general(sp, sp.name, parties, many, 277, None)


@pytest.mark.parametrize("sequential", [0, 2, 10**6])
@pytest.mark.parametrize("method", FAST_PATH)
@settings(max_examples=10)
@given(
    counts=st.lists(st.integers(0, 10**7), min_size=24, max_size=400),
    house=st.integers(1, 2000),
    seed=st.integers(0, 3),
    threshold=st.sampled_from([None, Fraction(1, 100)]),
)
def test_fast_path_with_many_parties_equals_the_general_engine(
    method: str, counts: list[int], house: int, seed: int, threshold: Fraction | None, sequential: int
) -> None:
    # many parties: the numpy proposer, its Newton and secant steps and its correction,
    # for seats short or over settled all at once (0), one at a time (10**6) or the default
    from seats.methods import divisor

    if seed:  # a skewed, realistic spread: a few large parties and a long tail
        counts = sorted(counts, reverse=True)
        counts = [c // (k + 1) ** seed for k, c in enumerate(counts)]
    if not any(counts):
        reject()
    votes = dict(zip(names(len(counts)), counts, strict=True))
    saved = divisor._SEQUENTIAL
    divisor._SEQUENTIAL = sequential
    try:
        check_fast_path(method, (votes, house, threshold))
    finally:
        divisor._SEQUENTIAL = saved


def test_fast_path_with_many_parties_hands_over_ties_and_huge_votes() -> None:
    from seats.methods import divisor
    from seats.methods.signposts import DHONDT, SAINTE_LAGUE

    parties = tuple(names(30))
    # 30 equal parties, 40 seats: 10 seats tied between all 30 parties
    assert divisor._linear_fast(DHONDT, "dhondt", parties, (1000,) * 30, 40, None) is None
    with pytest.raises(seats.TieError, match=r"tie for seats 31, 32, .*, 40 between P0, P1, "):
        seats.apportion(dict(zip(parties, (1000,) * 30, strict=True)), 40)
    # votes of 64 bits and more go to numpy as floats; every decision stays exact
    draw = random.Random(5)
    huge = tuple(draw.randrange(2**64, 2**72) for _ in range(30))
    for sp in (DHONDT, SAINTE_LAGUE):
        fast = divisor._linear_fast(sp, sp.name, parties, huge, 100, None)
        assert fast is not None
        assert fast == divisor._general(sp, sp.name, parties, huge, 100, None)


def test_numpy_fast_path_sums_with_cached_ones_of_each_length() -> None:
    # the whole-number seat arrays are added up by a dot product with a cached array of
    # ones; alternating party counts must never reuse ones of the wrong length
    import numpy as np

    from seats.methods import divisor
    from seats.methods._input import ones_of
    from seats.methods.signposts import DHONDT, SAINTE_LAGUE

    ones = ones_of(31, np.float64)
    assert ones.shape == (31,) and not ones.flags.writeable and float(ones.sum()) == 31.0
    assert ones_of(31, np.float64) is ones and ones_of(32, np.float64).shape == (32,)
    assert ones_of(31, np.int64).dtype == np.int64
    for m in (30, 45, 30, 45, 107):
        counts = tuple(10**6 // (k + 1) + 13 * k for k in range(m))
        parties = tuple(names(m))
        for sp in (DHONDT, SAINTE_LAGUE):
            fast = divisor._linear_fast(sp, sp.name, parties, counts, 3 * m, None)
            assert fast is not None
            assert fast == divisor._general(sp, sp.name, parties, counts, 3 * m, None)
            assert sum(fast.seats.values()) == 3 * m


@pytest.mark.parametrize("method", FAST_PATH)
@pytest.mark.parametrize("house", [3, 48, 277, 1000])
def test_numpy_fast_path_with_a_long_tail_of_tiny_parties_equals_the_general_engine(
    method: str, house: int
) -> None:
    from seats.methods import divisor

    # most parties below one quota: the first divisor gives far too many seats, and the
    # step down counts only the votes of parties that hold seats; zero votes and a
    # threshold leave parties out of it
    draw = random.Random(house)
    counts = [int(5_000_000 / (k + 1) ** 1.6 * draw.uniform(0.7, 1.4)) for k in range(107)]
    draw.shuffle(counts)
    counts[3] = counts[50] = 0
    sp = REGISTRY[method].signpost
    assert isinstance(sp, LinearSignpost)
    for threshold in (None, Fraction(1, 200)):
        check_fast_path(method, (dict(zip(names(107), counts, strict=True)), house, threshold))
        if house >= 48:  # no near-tie here: the fast path answers (a test that cannot pass vacuously)
            assert divisor._linear_fast(sp, method, tuple(names(107)), tuple(counts), house, threshold)


@pytest.mark.parametrize("method", DIVISOR)
@settings(max_examples=25)
@given(
    counts=st.lists(st.integers(0, 10**6), min_size=1, max_size=40),
    house=st.integers(0, 300),
    ties=st.sampled_from(["error", "order", "lot"]),
)
def test_apportion_takes_the_fast_path_only_with_the_same_answer(
    method: str, counts: list[int], house: int, ties: str
) -> None:
    # seats.apportion calls the divisor fast path itself for a registered method without
    # threshold or bounds; the answer (seats, ties, certificate, error) is that of the method
    from seats.methods import divisor

    votes = dict(zip(names(len(counts)), counts, strict=True))
    spec = REGISTRY[method]
    parties, values = tuple(votes), tuple(votes.values())

    def outcome(call: Callable[[], seats.Allocation]) -> object:
        try:
            got = call()
        except seats.SeatsError as exc:
            return type(exc), str(exc)
        return got, got.ties, got.certificate

    direct = outcome(lambda: divisor._general(spec.signpost, method, parties, values, house, None,
                                              policy=ties, seed=3))
    assert outcome(lambda: seats.apportion(votes, house, method=method, ties=ties, seed=3)) == direct


def test_apportion_checks_the_tie_policy_and_keeps_a_spec_own_function_on_the_fast_path() -> None:
    from seats.methods.registry import MethodSpec

    with pytest.raises(seats.SeatsError, match="unknown tie policy 'coin'"):
        seats.apportion(VOTES, 8, method="dhondt", ties="coin")
    calls: list[str] = []

    def own(*args: object, **kwargs: object) -> seats.Allocation:
        calls.append("own")
        return REGISTRY["dhondt"].function(*args, **kwargs)

    spec = MethodSpec("mine", "Mine", "divisor", own, signpost=REGISTRY["dhondt"].signpost)
    assert dict(seats.apportion(VOTES, 8, method=spec).seats) == {"A": 4, "B": 3, "C": 1, "D": 0}
    assert calls == ["own"]
