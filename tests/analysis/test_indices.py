"""Disproportionality indices: hand-computed values, exactness and the properties that define them."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seats
from seats.analysis.indices import INDEX_NAMES, Disproportionality, disproportionality, indices, sqrt_float
from seats.errors import SeatsError

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "ve-2020-an" / "votes.csv"


def test_by_hand_three_parties() -> None:
    # votes 50/30/20 (V = 100) -> shares 1/2, 3/10, 1/5; seats 3/1/0 (S = 4) -> 3/4, 1/4, 0.
    # differences v - s: -1/4, 1/20, 1/5
    d = disproportionality({"A": 50, "B": 30, "C": 20}, {"A": 3, "B": 1, "C": 0})
    # LH = 100 * 1/2 * (1/4 + 1/20 + 1/5) = 50 * 1/2 = 25
    assert d.loosemore_hanby == 25
    # LSq^2 = 100^2 * 1/2 * (1/16 + 1/400 + 1/25) = 5000 * (25 + 1 + 16)/400 = 5000 * 42/400 = 525
    assert d.gallagher_squared == 525
    assert d.gallagher == pytest.approx(22.912878474779198, rel=1e-15)
    # SL = 100 * ((1/4)^2 / (1/2) + (1/20)^2 / (3/10) + (1/5)^2 / (1/5)) = 100 * (1/8 + 1/120 + 1/5)
    #    = 100 * (15 + 1 + 24)/120 = 100/3
    assert d.sainte_lague == Fraction(100, 3)
    # D'Hondt: max(3/4 / 1/2, 1/4 / 3/10, 0) = max(3/2, 5/6, 0) = 3/2
    assert d.dhondt == Fraction(3, 2)
    # ENP: 1/(1/4 + 9/100 + 1/25) = 1/(38/100) = 50/19; by seats 1/(9/16 + 1/16) = 8/5
    assert (d.enp_votes, d.enp_seats) == (Fraction(50, 19), Fraction(8, 5))


def test_by_hand_dhondt_allocation() -> None:
    # A 100000, B 80000, C 30000, D 20000 (V = 230000), 8 seats by D'Hondt: 4, 3, 1, 0.
    a = seats.apportion({"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}, 8, method="dhondt")
    d = indices(a)
    # v - s = 10/23 - 1/2 = -3/46, 8/23 - 3/8 = -5/184, 3/23 - 1/8 = 1/184, 2/23 - 0 = 16/184
    # LH = 50 * (12 + 5 + 1 + 16)/184 = 50 * 34/184 = 425/46
    assert d.loosemore_hanby == Fraction(425, 46)
    # LSq^2 = 5000 * (144 + 25 + 1 + 256)/184^2 = 5000 * 426/33856
    assert d.gallagher_squared == Fraction(5000 * 426, 184**2)
    # D'Hondt index: A (1/2)/(10/23) = 23/20, B (3/8)/(8/23) = 69/64, C (1/8)/(3/23) = 23/24 -> 23/20
    assert d.dhondt == Fraction(23, 20)
    assert d.level == "party" and d.names == ("A", "B", "C", "D") and d.seats == (4, 3, 1, 0)


def test_gallagher_root_is_taken_last_and_exact_to_float() -> None:
    assert sqrt_float(Fraction(2)) == math.sqrt(2)
    assert sqrt_float(Fraction(10**40 + 1, 10**20)) == pytest.approx(1e10, rel=1e-15)
    with pytest.raises(SeatsError, match="square root"):
        sqrt_float(Fraction(-1))


def test_perfect_proportionality_is_zero() -> None:
    d = disproportionality({"A": 600, "B": 300, "C": 100}, {"A": 6, "B": 3, "C": 1})
    assert d.loosemore_hanby == 0 and d.gallagher_squared == 0 and d.sainte_lague == 0
    assert d.gallagher == 0.0 and d.dhondt == 1
    assert d.enp_votes == d.enp_seats == Fraction(1, Fraction(36 + 9 + 1, 100))


pos_votes = st.lists(st.integers(1, 10**7), min_size=2, max_size=7)


@settings(max_examples=60)
@given(votes=pos_votes, house=st.integers(1, 60), k=st.integers(2, 1000))
def test_scaling_votes_changes_nothing(votes: list[int], house: int, k: int) -> None:
    names = [f"p{i}" for i in range(len(votes))]
    a = seats.apportion(dict(zip(names, votes, strict=True)), house, method="sainte-lague", ties="order")
    d1 = disproportionality(a.votes_by_party, dict(a.seats))
    d2 = disproportionality({n: k * v for n, v in a.votes_by_party.items()}, dict(a.seats))
    for name in INDEX_NAMES:
        assert d1.exact(name) == d2.exact(name)


@settings(max_examples=60)
@given(votes=pos_votes, seats_=st.lists(st.integers(0, 50), min_size=7, max_size=7))
def test_ranges(votes: list[int], seats_: list[int]) -> None:
    names = [f"p{i}" for i in range(len(votes))]
    s = dict(zip(names, seats_, strict=False))
    if sum(s.values()) == 0:
        s[names[0]] = 1
    d = disproportionality(dict(zip(names, votes, strict=True)), s)
    assert 0 <= d.loosemore_hanby <= 100
    # least squares never exceeds the absolute-difference index (both on the same shares)
    assert d.gallagher <= float(d.loosemore_hanby) + 1e-9
    assert d.sainte_lague is not None and d.sainte_lague >= 0
    assert d.dhondt is not None and d.dhondt >= 1
    assert d.enp_votes is not None and 1 <= d.enp_votes <= len(votes)
    assert d.enp_seats is not None and 1 <= d.enp_seats <= len(votes)


def test_results_are_values() -> None:
    d = disproportionality({"A": 50, "B": 30, "C": 20}, {"A": 3, "B": 1, "C": 0})
    assert isinstance(d, Disproportionality)
    frame = d.to_polars()
    assert frame.columns == ["index", "value", "exact"]
    assert frame["index"].to_list() == list(INDEX_NAMES)
    assert frame["exact"].to_list() == ["sqrt(525)", "25", "100/3", "3/2", "50/19", "8/5"]
    out = d.to_dict()
    assert out["sainte_lague"] == pytest.approx(100 / 3) and out["dhondt_exact"] == "3/2"
    with pytest.raises(SeatsError, match="unknown index 'nope'"):
        d.value("nope")
    with pytest.raises(AttributeError):
        d.dhondt = Fraction(1)  # type: ignore[misc]


def test_errors() -> None:
    with pytest.raises(SeatsError, match="needs votes and seats: got 0 votes"):
        disproportionality({"A": 0}, {"A": 1})
    with pytest.raises(SeatsError, match="must not be negative: 'A' has -1 votes"):
        disproportionality({"A": -1, "B": 3}, {"A": 1})


TOY = """
id = "toy"
name = "Toy"
total_seats = 6

[[tier]]
id = "nominal"
kind = "nominal"
method = "plurality"
districts = [{id = "c1", seats = 1, parent = "S1"}, {id = "c2", seats = 1, parent = "S1"}]

[[tier]]
id = "list"
kind = "list"
method = "dhondt"
districts = [{id = "S1", seats = 3}]

[[tier]]
id = "reserved"
kind = "reserved"
method = "plurality"
districts = [{id = "R", seats = 1}]
results = [{district = "R", option = "ind", party = "IND", alliance = "IND"}]
"""

VOTES = """tier,district,option,party,alliance,votes
nominal,c1,x1,P,PA,500
nominal,c1,y1,Q,QA,400
nominal,c2,x2,P,PA,300
nominal,c2,y2,Q,QA,310
list,S1,P-list,P,PA,600
list,S1,Q-list,Q,QA,300
list,S1,R-list,R,QA,100
"""


def test_whole_election_levels_and_tiers(tmp_path: Path) -> None:
    (tmp_path / "ruleset.toml").write_text(TOY, encoding="utf-8")
    (tmp_path / "votes.csv").write_text(VOTES, encoding="utf-8")
    res = seats.load_ruleset(tmp_path / "ruleset.toml").allocate(tmp_path / "votes.csv")
    # list S1 (600/300/100, 3 seats, D'Hondt): P 2, Q 1; nominal: x1 (P), y2 (Q); reserved: IND.
    d = indices(res)  # alliances; votes of the list tier; seats of the whole assembly
    assert d.level == "alliance"
    assert dict(zip(d.names, d.votes, strict=True)) == {"PA": 600, "QA": 400, "IND": 0}
    assert dict(zip(d.names, d.seats, strict=True)) == {"PA": 3, "QA": 2, "IND": 1}
    assert d.no_votes == ("IND",)
    # shares: votes 3/5, 2/5, 0; seats 1/2, 1/3, 1/6 -> |diffs| 1/10, 1/15, 1/6 -> LH = 50 * 1/3
    assert d.loosemore_hanby == Fraction(50, 3)
    # D'Hondt over parties with votes: max((1/2)/(3/5), (1/3)/(2/5)) = 5/6
    assert d.dhondt == Fraction(5, 6)
    p = indices(res, level="party", seat_tiers=["list"])
    assert dict(zip(p.names, p.seats, strict=True)) == {"P": 2, "Q": 1, "R": 0}
    assert p.no_votes == ()
    n = indices(res, level="party", votes_tier="nominal", seat_tiers=["nominal"])
    assert dict(zip(n.names, n.votes, strict=True)) == {"P": 800, "Q": 710}
    with pytest.raises(SeatsError, match="votes_tier 'nope' is not a tier"):
        indices(res, votes_tier="nope")
    with pytest.raises(SeatsError, match="seat_tiers names 'nope'"):
        indices(res, seat_tiers=["nope"])
    with pytest.raises(SeatsError, match="unknown level 'tier'"):
        indices(res, level="tier")


def test_ve_2020_an() -> None:
    if not FIXTURE.exists():
        pytest.skip("fixtures/ve-2020-an/votes.csv is not in this checkout yet")
    res = seats.load_ruleset("ve-2020-an").allocate()
    d = indices(res)
    assert sum(d.seats) == 277
    # the votes are the state-list votes, which the national list sums
    state = indices(res, votes_tier="state-list")
    national = indices(res, votes_tier="national-list")
    assert state == national
    # a strongly majoritarian result: the largest alliance is over-represented
    assert d.dhondt is not None and d.dhondt > 1
    assert d.enp_seats is not None and d.enp_votes is not None and d.enp_seats < d.enp_votes
