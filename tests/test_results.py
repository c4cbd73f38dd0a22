"""Result values (seats/results.py): Allocation, TieEvent, certificates, explain, to_dict, to_polars."""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seats
from seats.methods import REGISTRY

VOTES = {"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}


def _quotients(text: str) -> list[tuple[str, str]]:
    """(party, quotient) of the numbered rows of a divisor step table."""
    rows = []
    for line in text.splitlines():
        cells = line.split()
        if cells and cells[0].isdigit():
            rows.append((cells[1], cells[-1]))
    return rows


def test_explain_lists_the_quotients_in_award_order() -> None:
    text = seats.apportion(VOTES, 8, method="dhondt").explain()
    assert text.splitlines()[0] == "dhondt: 8 seats among 4 parties (230000 votes)"
    assert _quotients(text) == [
        ("A", "100000"), ("B", "80000"), ("A", "50000"), ("B", "40000"),
        ("A", "33333.3"), ("C", "30000"), ("B", "26666.7"), ("A", "25000"),
    ]
    assert "next  A      100000        5     20000" in text
    assert "certificate: any divisor 20000 < D < 25000 yields these seats" in text
    assert text.endswith("seats: A 4, B 3, C 1, D 0")


def test_explain_shows_threshold_exclusions_and_ties() -> None:
    a = seats.apportion(VOTES, 8, method="modified-sainte-lague", ties="most-votes")
    text = a.explain()
    assert (
        "tie: seat 8: tie between A, D (A 100000/3.5 = D 20000/0.7; more votes decide); "
        "settled by most-votes: A"
    ) in text
    assert "certificate: tie: the only divisor is D = 200000/7" in text
    b = seats.apportion(VOTES, 8, method="modified-sainte-lague", threshold="10%")
    assert "below the threshold 1/10: D" in b.explain()


def test_explain_quota_table() -> None:
    text = seats.apportion({"A": 6, "B": 6, "C": 2}, 10, method="hare").explain()
    assert "quota 7/5 (~1.4)" in text
    assert text.splitlines()[3].split() == ["A", "6", "4", "0.285714", "0", "4"]
    assert text.splitlines()[5].split() == ["C", "2", "1", "0.428571", "1", "2"]


def test_explain_plurality_table() -> None:
    text = seats.apportion({"ana": 300, "ben": 500}, 1, method="plurality").explain()
    assert text.splitlines()[2].split() == ["1", "ben", "500", "elected"]


def test_explain_counts_prior_seats_in_the_divisors() -> None:
    votes = {"SNP": 85082, "Labour": 25884, "Conservative": 20843, "Liberal Democrat": 21729, "Green": 9076}
    a = seats.apportion(votes, 7, method="dhondt", prior_seats={"SNP": 6, "Liberal Democrat": 2})
    assert dict(a.seats) == {"SNP": 3, "Labour": 2, "Conservative": 2, "Liberal Democrat": 0, "Green": 0}
    assert [p for p, _ in _quotients(a.explain())] == [
        "Labour", "Conservative", "Labour", "SNP", "SNP", "Conservative", "SNP",
    ]
    assert "next  Green" in a.explain()


def test_to_polars_columns_and_dtypes() -> None:
    frame = seats.apportion({"A": 3, "B": 1}, 4, method="hare").to_polars()
    assert frame.columns == ["party", "votes", "seats", "vote_share", "seat_share"]
    assert frame.dtypes == [pl.Utf8, pl.Int64, pl.Int64, pl.Float64, pl.Float64]
    assert frame.rows() == [("A", 3, 3, 0.75, 0.75), ("B", 1, 1, 0.25, 0.25)]


def test_to_dict_is_json_ready() -> None:
    a = seats.apportion(VOTES, 8, method="modified-sainte-lague", ties="order", threshold="1/8")
    d = a.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["method"] == "modified-sainte-lague"
    assert d["house_size"] == 8
    assert d["votes"] == VOTES
    assert d["seats"] == dict(a.seats)
    assert d["excluded"] == ["D"]
    assert d["threshold"] == "1/8"
    assert d["certificate"]["kind"] == "divisor"
    tied = seats.apportion(VOTES, 8, method="modified-sainte-lague", ties="order").to_dict()
    assert tied["ties"] == [{
        "seats": [8], "tied": ["A", "D"], "winners": ["A"], "policy": "order",
        "detail": "A 100000/3.5 = D 20000/0.7; listed order decides", "seed": None, "district": None,
    }]


@pytest.mark.parametrize(
    ("method", "kind"),
    [("dhondt", "divisor"), ("hare", "quota"), ("quota", "sequential"), ("block", "plurality")],
)
def test_certificate_to_dict_kinds(method: str, kind: str) -> None:
    assert seats.apportion(VOTES, 2, method=method).to_dict()["certificate"]["kind"] == kind


def test_certificate_descriptions() -> None:
    dhondt = seats.apportion(VOTES, 8).certificate
    assert dhondt.describe() == "any divisor 20000 < D < 25000 yields these seats"
    hh = seats.apportion(VOTES, 8, method="huntington-hill").certificate
    assert hh.squared
    assert hh.describe().startswith("any divisor 2500000000/3 (~8.33333e+08) < D^2 <")
    tie = seats.apportion(VOTES, 8, method="modified-sainte-lague", ties="order").certificate
    assert tie.tie and tie.lower == tie.upper == Fraction(200_000, 7)
    assert tie.describe() == "tie: the only divisor is D = 200000/7 (~28571.4)"
    hare = seats.apportion(VOTES, 8, method="hare").certificate
    assert hare.describe() == "quota 28750; remainder seats to B, D"
    assert seats.apportion(VOTES, 3, method="quota").certificate.describe() == "award order: A, B, A"
    assert (
        seats.apportion(VOTES, 2, method="block").certificate.describe()
        == "elected A, B; weakest winner 80000, strongest loser 30000"
    )


def test_divisor_certificate_divisor_is_inside_the_interval() -> None:
    cert = seats.apportion(VOTES, 8).certificate
    assert cert.lower < cert.divisor() < cert.upper


def test_tie_event_describe_and_to_dict() -> None:
    event = seats.TieEvent((8,), ("A", "D"), ("A",), "order", "A 100000/7 = D 20000/1.4")
    assert event.describe() == "seat 8: tie between A, D (A 100000/7 = D 20000/1.4); settled by order: A"
    raised = seats.TieEvent((1, 2), ("A", "B", "C"), (), "error", "equal", district="north")
    assert raised.describe() == "district north, seats 1, 2: tie between A, B, C (equal)"
    assert raised.to_dict()["district"] == "north"


def test_results_are_frozen_values() -> None:
    a = seats.apportion(VOTES, 8)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.house_size = 9  # type: ignore[misc]
    with pytest.raises(TypeError):
        a.seats["A"] = 0  # type: ignore[index]
    assert a == seats.apportion(VOTES, 8)
    assert a.votes_by_party == VOTES


# --- every method's certificate reproduces its seats ------------------------------------------


def _house_for(method: str, n: int, extra: int) -> int:
    if method == "plurality":
        return min(1, extra)
    if REGISTRY[method].family == "plurality":
        return min(n, extra)
    return extra


@pytest.mark.parametrize("method", sorted(REGISTRY))
@settings(max_examples=40)
@given(
    counts=st.lists(st.integers(0, 60), min_size=1, max_size=6).filter(lambda c: sum(c) > 0),
    extra=st.integers(0, 20),
    threshold=st.sampled_from([None, "5%", "1/8"]),
)
def test_certificate_reproduces_the_seats(
    method: str, counts: list[int], extra: int, threshold: str | None
) -> None:
    votes = {f"P{i}": v for i, v in enumerate(counts)}
    passing = sum(1 for v in counts if v > 0)  # candidates with votes bound the plurality house
    house = _house_for(method, passing, extra)
    # small votes make ties common: 'order' settles them, and the certificate must record that too
    try:
        a = seats.apportion(votes, house, method=method, threshold=threshold, ties="order")
    except (seats.InvalidVotesError, seats.InvalidSeatsError):
        # the threshold can leave too few parties or candidates to share the seats
        assert threshold is not None
    else:
        assert a.certificate.reproduce(a.votes_by_party) == dict(a.seats)
        assert sum(a.seats.values()) == house


def test_remainder_map_is_a_read_only_mapping_of_fractions() -> None:
    r = seats.results.RemainderMap({"A": 2, "B": 3}, 6)
    assert dict(r) == {"A": Fraction(1, 3), "B": Fraction(1, 2)}
    assert r == {"A": Fraction(1, 3), "B": Fraction(1, 2)} and len(r) == 2 and "A" in r and "Z" not in r
    assert r.get("Z") is None
    assert repr(r) == "{'A': Fraction(1, 3), 'B': Fraction(1, 2)}"
    with pytest.raises(TypeError):
        r["A"] = Fraction(0)  # type: ignore[index]


def test_seat_map_is_a_read_only_mapping_in_input_order() -> None:
    a = seats.apportion(VOTES, 8)
    m = a.seats
    assert isinstance(m, seats.results.SeatMap)
    assert list(m) == list(VOTES) and len(m) == 4 and list(reversed(m)) == list(reversed(VOTES))
    assert m == {"A": 4, "B": 3, "C": 1, "D": 0}
    assert {"D": 0, "C": 1, "B": 3, "A": 4} == m  # noqa: SIM300  (a dict on the left, any order)
    assert m != {"A": 4, "B": 3, "C": 1} and m != [4, 3, 1, 0]
    assert m["B"] == 3 and m.get("Z") is None and "A" in m and "Z" not in m
    assert list(m.items()) == [("A", 4), ("B", 3), ("C", 1), ("D", 0)] and list(m.values()) == [4, 3, 1, 0]
    assert m.counts() == [4, 3, 1, 0] and m.copy() == dict(m) and (m | {"E": 2})["E"] == 2
    assert repr(m) == "{'A': 4, 'B': 3, 'C': 1, 'D': 0}"
    with pytest.raises(KeyError):
        m["Z"]
    with pytest.raises(TypeError):
        hash(m)
    with pytest.raises(AttributeError):
        m.extra = 1  # type: ignore[attr-defined]
    # the seats list given to Allocation.build is copied: changing it later changes nothing
    given = [1, 1]
    b = seats.results.Allocation.build("dhondt", 2, ("A", "B"), (5, 5), given, (), None)
    given[0] = 9
    assert dict(b.seats) == {"A": 1, "B": 1} and b.to_polars()["seats"].to_list() == [1, 1]
    with pytest.raises(ValueError, match="2 names for 1 seat counts"):
        seats.results.SeatMap(("A", "B"), [1])


def test_a_deferred_certificate_is_made_once_when_read_and_stays_frozen() -> None:
    made: list[int] = []

    def make() -> str:
        made.append(1)
        return "certificate"

    a = seats.results.Allocation.build("dhondt", 1, ("A",), (5,), [1], (), seats.results.Deferred(make))
    assert made == []
    assert a.certificate == "certificate" and a.certificate == "certificate" and made == [1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.certificate = "other"  # type: ignore[misc]
    assert dataclasses.replace(a, house_size=1) == a
    # the many-party fast path defers its exact bounds; read, they are those of the general engine
    votes = {f"P{i}": 10**6 // (i + 1) + i for i in range(40)}
    fast = seats.apportion(votes, 60)
    assert fast.certificate.reproduce(fast.votes_by_party) == dict(fast.seats)
    assert fast.certificate.lower < fast.certificate.divisor() < fast.certificate.upper


def test_build_fills_every_field_as_the_constructor_does() -> None:
    # Allocation.build sets the slots directly; the value must be the constructor's in every
    # field (a field added later without a setter would fail here), and stay a frozen value
    from seats.results import Allocation, SeatMap

    tie = seats.TieEvent((2,), ("A", "B"), ("A",), "order", "A 3/1 = B 3/1")
    args = ("dhondt", 2, ("A", "B"), (3, 3), (), (tie,), "cert", ("C",), Fraction(1, 20))
    built = Allocation.build(*args[:4], [2, 0], *args[5:])
    made = Allocation(*args[:4], SeatMap(("A", "B"), (2, 0)), *args[5:])
    assert type(built) is Allocation
    assert [getattr(built, f.name) for f in dataclasses.fields(Allocation)] == [
        getattr(made, f.name) for f in dataclasses.fields(Allocation)
    ]
    assert built == made and repr(built) == repr(made)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.method = "hare"  # type: ignore[misc]
    import pickle

    assert pickle.loads(pickle.dumps(built)) == built

    class Tagged(Allocation):
        __slots__ = ()

    assert type(Tagged.build(*args[:4], [2, 0], *args[5:])) is Tagged
