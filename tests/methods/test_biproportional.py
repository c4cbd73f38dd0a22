"""Biproportional apportionment (seats/methods/biproportional.py).

A known answer (the Zurich cantonal council 2019, 180 seats), hand-checked small cases, ties,
errors, and the theory as properties: the margins hold, the certificate verifies, a rank-one
vote matrix gives the proportional matrix, scaling votes changes nothing, and on tiny
instances the result is exactly the set of maximisers found by brute force over every
matrix with the given margins (Gaffke & Pukelsheim 2008: the biproportional apportionments
are the maximisers of  sum over cells and seats k < s of log(v / d(k))  ).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seats
from seats.methods import REGISTRY
from seats.methods.biproportional import BiproportionalAllocation, _simplest, lower_apportionment
from seats.methods.signposts import SAINTE_LAGUE

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
KNOWN = sorted((FIXTURES / "vectors").glob("biproportional-*.json"))
DIVISOR = sorted(m for m, spec in REGISTRY.items() if spec.family == "divisor")
ZERO_FIRST = {"adams", "dean", "huntington-hill"}

# d(s) straight from DESIGN.md section 3 (Huntington-Hill squared), independent of signposts.py
D: dict[str, Callable[[int], Fraction]] = {
    "dhondt": lambda s: Fraction(s + 1),
    "sainte-lague": lambda s: Fraction(2 * s + 1, 2),
    "modified-sainte-lague": lambda s: Fraction(7, 10) if s == 0 else Fraction(2 * s + 1, 2),
    "adams": lambda s: Fraction(s),
    "dean": lambda s: Fraction(2 * s * (s + 1), 2 * s + 1),
    "huntington-hill": lambda s: Fraction(s * (s + 1)),
    "danish": lambda s: Fraction(3 * s + 1),
    "imperiali": lambda s: Fraction(s + 2),
}
POWER = {"huntington-hill": 2}

HAND = {"North": {"A": 6100, "B": 2900, "C": 1000}, "South": {"A": 1900, "B": 5200, "C": 2900}}


def matrix(a: BiproportionalAllocation) -> dict[str, dict[str, int]]:
    return {d: dict(row) for d, row in a.seats.items()}


# --- known answer ----------------------------------------------------------------------


def test_the_known_answers_are_there() -> None:
    assert [p.name for p in KNOWN] == [f"biproportional-zh-kantonsrat-{y}.json" for y in (2011, 2015, 2019)]


@pytest.mark.parametrize("path", KNOWN, ids=lambda p: p.stem)
def test_zurich_kantonsrat_matches_the_published_seats(path: Path) -> None:
    fx = json.loads(path.read_text(encoding="utf-8"))
    a = seats.biproportional(fx["votes"], fx["district_seats"], party_seats=fx["party_seats"],
                             method=fx["method"])
    assert matrix(a) == fx["expected"]
    assert a.verify()
    assert a.ties == ()
    assert a.house_size == 180
    assert list(a.districts) == fx["districts"] and list(a.parties) == fx["parties"]
    assert fx["source"] and fx["name"]


# --- hand-checked cases ----------------------------------------------------------------


def test_hand_checked_sainte_lague() -> None:
    # upper: A 8000, B 8100, C 3900 over 10 seats, divisor 2000: 4, 4.05 -> 4, 1.95 -> 2
    a = seats.biproportional(HAND, {"North": 5, "South": 5})
    assert dict(a.party_seats) == {"A": 4, "B": 4, "C": 2}
    assert matrix(a) == {"North": {"A": 3, "B": 1, "C": 1}, "South": {"A": 1, "B": 3, "C": 1}}
    # North A 6100/1743 = 3.4997 -> 3; North C 1000/(1743*8/7) = 0.502 -> 1;
    # South B 5200/(1692*6/5) = 2.56 -> 3
    assert a.district_divisors == {"North": 1743, "South": 1692}
    assert a.party_divisors == {"A": 1, "B": Fraction(6, 5), "C": Fraction(8, 7)}
    assert a.upper is not None and a.upper.method == "sainte-lague"


def test_hand_checked_dhondt() -> None:
    a = seats.biproportional(HAND, {"North": 5, "South": 5}, method="jefferson")
    assert a.method == "dhondt"
    # North B 2900/(1526*18/19) = 2.006 -> 2; South B 5200/(1830*18/19) = 2.9995 -> 2 (rounded down)
    assert matrix(a) == {"North": {"A": 3, "B": 2, "C": 0}, "South": {"A": 1, "B": 2, "C": 2}}
    assert a.verify()


def test_single_district_is_the_plain_divisor_method() -> None:
    votes = {"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}
    for method in ("dhondt", "sainte-lague", "danish"):
        a = seats.biproportional({"X": votes}, {"X": 8}, method=method)
        assert dict(a.seats["X"]) == dict(seats.apportion(votes, 8, method=method).seats)


def test_given_party_seats_are_used_and_missing_parties_get_none() -> None:
    a = seats.biproportional(HAND, {"North": 5, "South": 5}, party_seats={"A": 5, "B": 5})
    assert dict(a.party_seats) == {"A": 5, "B": 5, "C": 0}
    assert a.upper is None
    assert all(a.seats[d]["C"] == 0 for d in a.districts)
    assert a.verify()


def test_a_party_missing_from_a_district_has_no_votes_there() -> None:
    votes = {"N": {"A": 510, "B": 300}, "S": {"B": 400, "C": 350}}
    a = seats.biproportional(votes, {"N": 4, "S": 4})
    assert a.votes["N"]["C"] == 0 and a.seats["N"]["C"] == 0
    assert a.verify()


def test_result_values() -> None:
    a = seats.biproportional(HAND, {"North": 5, "South": 5})
    frame = a.to_polars()
    assert frame.columns == ["district", "party", "votes", "seats", "district_divisor", "party_divisor"]
    assert frame.height == 6 and frame["seats"].sum() == 10
    d = a.to_dict()
    assert d["seats"]["South"]["B"] == 3 and d["district_divisors"]["North"] == "1743"
    assert d["party_divisors"]["C"] == "8/7"
    text = a.explain()
    assert text.startswith("biproportional sainte-lague: 10 seats, 2 districts x 3 parties")
    assert "certificate verified" in text
    with pytest.raises(AttributeError):
        a.method = "x"  # type: ignore[misc]


def test_a_tampered_certificate_fails() -> None:
    import dataclasses
    from types import MappingProxyType

    a = seats.biproportional(HAND, {"North": 5, "South": 5})
    wrong = MappingProxyType({"North": Fraction(1500), "South": Fraction(1692)})
    bad = dataclasses.replace(a, district_divisors=wrong)
    assert not bad.verify()
    assert any(p.startswith("North/") for p in bad.problems())
    moved = dict(matrix(a))
    moved["North"] = {**moved["North"], "A": 4, "B": 0}
    worse = dataclasses.replace(a, seats=moved)
    assert "North/A: 4 seats" in " ".join(worse.problems())


def test_huntington_hill_certificate_is_squared() -> None:
    a = seats.biproportional(HAND, {"North": 5, "South": 5}, method="huntington-hill")
    assert a.squared and a.verify()
    assert "D^2" in a.explain()


# --- ties --------------------------------------------------------------------------------

TIED = {"North": {"A": 600, "B": 300, "C": 100}, "South": {"A": 200, "B": 500, "C": 300}}


def test_tie_between_two_apportionments_is_an_error_naming_the_cells() -> None:
    cells = "North/B, North/C, South/B, South/C"
    with pytest.raises(seats.TieError, match=rf"biproportional tie between cells {cells}"):
        seats.biproportional(TIED, {"North": 5, "South": 5})


def test_tie_event_is_attached() -> None:
    with pytest.raises(seats.TieError) as info:
        seats.biproportional(TIED, {"North": 5, "South": 5})
    assert info.value.event is not None
    assert set(info.value.event.tied) == {"North/B", "North/C", "South/B", "South/C"}


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        # listed order: the earliest cell of the cycle (North/B) keeps or gets the seat
        ("order", {"North": {"A": 3, "B": 2, "C": 0}, "South": {"A": 1, "B": 2, "C": 2}}),
        # most votes: South/B (500) is the cell with most votes on the cycle
        ("most-votes", {"North": {"A": 3, "B": 1, "C": 1}, "South": {"A": 1, "B": 3, "C": 1}}),
    ],
)
def test_tie_policies_settle_and_record(policy: str, expected: dict[str, dict[str, int]]) -> None:
    a = seats.biproportional(TIED, {"North": 5, "South": 5}, ties=policy)
    assert matrix(a) == expected
    assert a.verify()
    assert len(a.ties) == 1 and a.ties[0].policy == policy
    assert set(a.ties[0].winners) <= {"North/B", "North/C", "South/B", "South/C"}
    assert "tie between" in a.explain()


def test_lot_is_seeded_and_repeatable() -> None:
    runs = [seats.biproportional(TIED, {"North": 5, "South": 5}, ties="lot", seed=s) for s in range(8)]
    assert all(r.verify() for r in runs)
    assert {r.ties[0].seed for r in runs} == set(range(8))
    again = seats.biproportional(TIED, {"North": 5, "South": 5}, ties="lot", seed=3)
    assert matrix(again) == matrix(runs[3])
    assert len({json.dumps(matrix(r), sort_keys=True) for r in runs}) == 2  # both outcomes occur


@pytest.mark.parametrize(
    ("votes", "rows", "cols"),
    [
        # the two lot-decision cases of abraxas-labs/voting-ausmittlung-service's
        # TieAndTransferMethodTest.cs (TestOneSeatAndTwoListsInLotDecision, TestTwoSeatsAndMultipleLists...)
        ([[1000, 1000, 1000], [500, 500, 500]], [8, 4], [4, 4, 4]),
        ([[1000, 500], [1000, 500], [1000, 500]], [4, 4, 4], [8, 4]),
    ],
)
def test_published_lot_cases_are_ties(votes: list[list[int]], rows: list[int], cols: list[int]) -> None:
    sp = REGISTRY["sainte-lague"].signpost
    assert sp is not None
    with pytest.raises(seats.TieError, match="biproportional tie between cells"):
        lower_apportionment(votes, rows, cols, sp)
    got, _, _, ties = lower_apportionment(votes, rows, cols, sp, ties="lot", seed=5)
    assert [sum(r) for r in got] == rows and ties and ties[0].seed == 5


def test_tie_in_the_upper_apportionment_is_reported() -> None:
    with pytest.raises(seats.TieError, match="tie for seat"):
        seats.biproportional({"X": {"A": 100, "B": 100}}, {"X": 1})


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("votes", "district_seats", "kwargs", "error", "pattern"),
    [
        (HAND, {"North": 5}, {}, seats.InvalidSeatsError, r"no magnitude for 'South'"),
        (HAND, {"North": 5, "South": 5, "East": 1}, {}, seats.InvalidSeatsError, r"no votes for 'East'"),
        (HAND, {"North": 5, "South": -1}, {}, seats.InvalidSeatsError,
         r"district 'South'.*must not be negative"),
        ({"N": {"A": -3}}, {"N": 1}, {}, seats.InvalidVotesError,
         r"district 'N': votes for 'A' must not be negative"),
        ({"N": [1, 2]}, {"N": 1}, {}, seats.InvalidVotesError, r"district 'N': expected a mapping"),
        (HAND, {"North": 5, "South": 5}, {"party_seats": {"A": 5, "B": 4}}, seats.InvalidSeatsError,
         r"districts hold 10 seats but the party totals add up to 9"),
        (HAND, {"North": 5, "South": 5}, {"party_seats": {"Z": 10}}, seats.InvalidSeatsError,
         r"party_seats names parties with no votes: 'Z'"),
        (HAND, {"North": 5, "South": 5}, {"method": "hare"}, seats.UnknownMethodError,
         r"needs a divisor method; 'hare' is largest-remainder"),
        (HAND, {"North": 5, "South": 5}, {"ties": "coin"}, seats.SeatsError, r"unknown tie policy 'coin'"),
    ],
)
def test_errors_name_the_bad_value(votes: Any, district_seats: Any, kwargs: dict[str, Any],
                                   error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        seats.biproportional(votes, district_seats, **kwargs)


def test_margins_no_matrix_can_meet_are_refused() -> None:
    # B stands only in South, which has 1 seat, but is owed 3
    votes = {"North": {"A": 900}, "South": {"A": 100, "B": 900}}
    with pytest.raises(seats.InvalidSeatsError, match="no biproportional apportionment exists"):
        seats.biproportional(votes, {"North": 3, "South": 1}, party_seats={"A": 1, "B": 3})


def test_adams_needs_a_seat_for_every_cell_with_votes() -> None:
    with pytest.raises(seats.InvalidSeatsError, match="gives every one of them a seat first"):
        seats.biproportional({"N": {"A": 5, "B": 5, "C": 5}}, {"N": 2}, party_seats={"A": 1, "B": 1},
                             method="adams")


def test_custom_signpost_is_accepted() -> None:
    a = seats.biproportional(HAND, {"North": 5, "South": 5}, method=lambda s: Fraction(2 * s + 1, 2))
    assert matrix(a) == matrix(seats.biproportional(HAND, {"North": 5, "South": 5}))


def test_simplest_fraction_between() -> None:
    assert _simplest(Fraction(0), Fraction(1, 2)) == Fraction(1, 3)
    assert _simplest(Fraction(9583), Fraction(9585)) == 9584
    assert _simplest(Fraction(1, 3), Fraction(1, 2)) == Fraction(2, 5)
    assert _simplest(Fraction(5, 2), None) == 3


# --- properties ----------------------------------------------------------------------------


def _objective(method: str, votes: list[list[int]], s: list[list[int]]) -> Fraction | None:
    """prod over cells of prod_{k < s} w / d(k)**p, skipping the infinite first factor when d(0) = 0."""
    d, p = D[method], POWER.get(method, 1)
    total = Fraction(1)
    for row_w, row_s in zip(votes, s, strict=True):
        for v, n in zip(row_w, row_s, strict=True):
            if v == 0:
                if n:
                    return None
                continue
            if d(0) == 0 and n == 0:
                return None
            for k in range(n):
                if d(k) != 0:
                    total *= Fraction(v**p) / d(k)
    return total


def _matrices(rows: list[int], cols: list[int]) -> list[list[list[int]]]:
    """Every non-negative integer matrix with these margins."""
    out: list[list[list[int]]] = []

    def fill(i: int, left: list[int], acc: list[list[int]]) -> None:
        if i == len(rows) - 1:
            if sum(left) == rows[i]:
                out.append([*acc, list(left)])
            return
        for row in itertools.product(*(range(min(c, rows[i]) + 1) for c in left)):
            if sum(row) == rows[i]:
                fill(i + 1, [c - r for c, r in zip(left, row, strict=True)], [*acc, list(row)])

    fill(0, list(cols), [])
    return out


@st.composite
def tiny(draw: st.DrawFn) -> tuple[str, list[list[int]], list[int], list[int]]:
    method = draw(st.sampled_from(DIVISOR))
    r = draw(st.integers(1, 3))
    c = draw(st.integers(1, 3))
    top = draw(st.sampled_from([4, 40]))  # small counts make ties between apportionments common
    votes = [[draw(st.integers(0, top)) for _ in range(c)] for _ in range(r)]
    lo = 1 if method in ZERO_FIRST else 0
    base = [[draw(st.integers(lo, 2)) if votes[i][j] else 0 for j in range(c)] for i in range(r)]
    rows = [sum(row) for row in base]
    cols = [sum(base[i][j] for i in range(r)) for j in range(c)]
    return method, votes, rows, cols


@settings(max_examples=150)
@given(tiny())
def test_agrees_with_brute_force(case: tuple[str, list[list[int]], list[int], list[int]]) -> None:
    method, votes, rows, cols = case
    scored = [(m, _objective(method, votes, m)) for m in _matrices(rows, cols)]
    feasible = [(m, f) for m, f in scored if f is not None]
    assert feasible  # the margins came from a feasible matrix
    best = max(f for _, f in feasible)
    winners = [m for m, f in feasible if f == best]
    sp = REGISTRY[method].signpost
    assert sp is not None
    if len(winners) == 1:
        got, _, _, ties = lower_apportionment(votes, rows, cols, sp)
        assert got == winners[0]
        assert ties == ()
    else:
        with pytest.raises(seats.TieError):
            lower_apportionment(votes, rows, cols, sp)
        got, _, _, ties = lower_apportionment(votes, rows, cols, sp, ties="order")
        assert got in winners
        assert ties


def _votes_dict(votes: list[list[int]]) -> dict[str, dict[str, int]]:
    return {f"d{i}": {f"p{j}": v for j, v in enumerate(row)} for i, row in enumerate(votes)}


@st.composite
def elections(draw: st.DrawFn) -> tuple[str, dict[str, dict[str, int]], dict[str, int]]:
    method = draw(st.sampled_from(["dhondt", "sainte-lague", "danish", "modified-sainte-lague"]))
    r = draw(st.integers(1, 5))
    c = draw(st.integers(1, 5))
    votes = [[draw(st.integers(1, 100_000)) for _ in range(c)] for _ in range(r)]
    mags = {f"d{i}": draw(st.integers(0, 12)) for i in range(r)}
    return method, _votes_dict(votes), mags


def _run(method: str, votes: dict[str, dict[str, int]], mags: dict[str, int], **kw: Any) -> Any:
    try:
        return seats.biproportional(votes, mags, method=method, **kw)
    except seats.TieError:
        return "tie"


@settings(max_examples=60)
@given(elections())
def test_margins_hold_and_certificate_verifies(
    case: tuple[str, dict[str, dict[str, int]], dict[str, int]],
) -> None:
    method, votes, mags = case
    a = _run(method, votes, mags)
    if a == "tie":
        a = seats.biproportional(votes, mags, method=method, ties="order")
    assert a.verify()
    for d in a.districts:
        assert sum(a.seats[d].values()) == mags[d]
    for p in a.parties:
        assert sum(a.seats[d][p] for d in a.districts) == a.party_seats[p]
    assert sum(a.party_seats.values()) == sum(mags.values())
    # the certificate, re-checked here from DESIGN.md's signposts rather than the library's
    d, pw = D[method], POWER.get(method, 1)
    for dist in a.districts:
        for p in a.parties:
            q = Fraction(a.votes[dist][p] ** pw) / (a.district_divisors[dist] * a.party_divisors[p])
            s = a.seats[dist][p]
            assert (d(s - 1) if s else 0) <= q <= d(s)


@settings(max_examples=40)
@given(elections(), st.integers(2, 1000), st.integers(0, 4), st.integers(2, 50))
def test_scaling_votes_changes_nothing(case: tuple[str, dict[str, dict[str, int]], dict[str, int]],
                                       k: int, row: int, col_factor: int) -> None:
    method, votes, mags = case
    base = _run(method, votes, mags)
    everywhere = {d: {p: v * k for p, v in r.items()} for d, r in votes.items()}
    assert _same(base, _run(method, everywhere, mags))
    if base == "tie":
        return
    # one district's votes scaled: its divisor absorbs it (party totals held fixed)
    dist = sorted(votes)[row % len(votes)]
    one_row = {d: {p: v * (col_factor if d == dist else 1) for p, v in r.items()} for d, r in votes.items()}
    assert _same(base, _run(method, one_row, mags, party_seats=dict(base.party_seats)))
    # one party's votes scaled everywhere: its divisor absorbs it (party totals held fixed)
    party = sorted(next(iter(votes.values())))[0]
    one_col = {d: {p: v * (col_factor if p == party else 1) for p, v in r.items()} for d, r in votes.items()}
    assert _same(base, _run(method, one_col, mags, party_seats=dict(base.party_seats)))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    same: bool = matrix(a) == matrix(b)
    return same


@settings(max_examples=40)
@given(
    st.sampled_from(["sainte-lague", "huntington-hill", "dean", "modified-sainte-lague"]),
    st.lists(st.integers(1, 6), min_size=1, max_size=5),
    st.lists(st.integers(1, 6), min_size=1, max_size=5),
    st.integers(1, 997),
)
def test_rank_one_votes_give_the_proportional_matrix(method: str, a: list[int], b: list[int], c: int) -> None:
    # votes c * a_i * b_j with margins a_i * sum(b) and b_j * sum(a): every quotient a_i * b_j is an
    # integer strictly inside its rounding interval, so the proportional matrix is the unique answer
    votes = {f"d{i}": {f"p{j}": c * x * y for j, y in enumerate(b)} for i, x in enumerate(a)}
    mags = {f"d{i}": x * sum(b) for i, x in enumerate(a)}
    party = {f"p{j}": y * sum(a) for j, y in enumerate(b)}
    got = seats.biproportional(votes, mags, party_seats=party, method=method)
    assert matrix(got) == {f"d{i}": {f"p{j}": x * y for j, y in enumerate(b)} for i, x in enumerate(a)}
    assert got.ties == ()


def test_lower_apportionment_on_a_larger_random_instance_is_fast() -> None:
    import random
    import time

    rng = random.Random(7)
    votes = [[rng.randrange(0, 200_000) for _ in range(30)] for _ in range(24)]
    rows = [4] * 24
    totals = [sum(votes[i][j] for i in range(24)) for j in range(30)]
    upper = seats.apportion({str(j): t for j, t in enumerate(totals)}, 96, method="sainte-lague")
    cols = [upper.seats[str(j)] for j in range(30)]
    start = time.perf_counter()
    got, _, _, _ = lower_apportionment(votes, rows, cols, SAINTE_LAGUE)
    assert time.perf_counter() - start < 10
    assert [sum(r) for r in got] == rows
    assert [sum(got[i][j] for i in range(24)) for j in range(30)] == cols
