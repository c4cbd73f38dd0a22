"""The biproportional counterfactual for a rule-set tier (seats/analysis/biproportional_tier.py)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import seats
from seats.analysis.biproportional_tier import biproportional_tier

VOTES_2020 = Path(__file__).resolve().parents[2] / "fixtures" / "ve-2020-an" / "votes.csv"


@pytest.fixture(scope="module")
def result_2020() -> seats.ElectionResult:
    if not VOTES_2020.exists():
        pytest.skip("fixtures/ve-2020-an/votes.csv is not built yet")
    return seats.load_ruleset("ve-2020-an").allocate()


def test_state_lists_jointly_keep_every_magnitude_and_verify(result_2020: seats.ElectionResult) -> None:
    bt = biproportional_tier(result_2020, "state-list")
    a = bt.allocation
    tier = result_2020.tier("state-list")
    assert a.verify()
    assert a.house_size == tier.total == 96
    for d in tier.districts:
        assert sum(a.seats[d.district].values()) == d.magnitude
    # the upper apportionment is Sainte-Laguë over the tier's list totals (after the threshold)
    totals: dict[str, int] = {}
    for d in tier.districts:
        for o, v in d.votes.items():
            if o not in d.excluded:
                totals[o] = totals.get(o, 0) + v
    assert dict(a.party_seats) == dict(seats.apportion(totals, 96, method="sainte-lague").seats)


def test_roll_ups_compare_with_the_actual_allocation(result_2020: seats.ElectionResult) -> None:
    bt = biproportional_tier(result_2020, "state-list", method="dhondt")
    by = bt.by("alliance")
    assert by.columns == ["alliance", "actual", "biproportional", "change"]
    assert by["actual"].sum() == by["biproportional"].sum() == 96
    assert by["change"].sum() == 0
    actual = result_2020.tier("state-list").by("alliance")
    want = dict(zip(actual["alliance"].to_list(), actual["seats"].to_list(), strict=True))
    got = dict(zip(by["alliance"].to_list(), by["actual"].to_list(), strict=True))
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in want.items() if v}
    changes = bt.changes()
    assert (changes["change"] != 0).all()
    assert changes.height == bt.to_polars().filter(pl.col("actual") != pl.col("biproportional")).height
    per_district = bt.by("district")
    assert per_district.height == 24 and set(per_district["change"].to_list()) == {0}  # magnitudes kept


def test_a_rule_set_is_allocated_first() -> None:
    if not VOTES_2020.exists():
        pytest.skip("fixtures/ve-2020-an/votes.csv is not built yet")
    bt = biproportional_tier(seats.load_ruleset("ve-2020-an"), "state-list")
    assert bt.tier == "state-list" and bt.allocation.verify()


def test_errors(result_2020: seats.ElectionResult) -> None:
    with pytest.raises(seats.SeatsError, match="no tier 'nope'"):
        biproportional_tier(result_2020, "nope")
    with pytest.raises(seats.RuleSetError, match="tier 'indigenous' has its seats given as results"):
        biproportional_tier(result_2020, "indigenous")
    with pytest.raises(seats.SeatsError, match="unknown level 'x'"):
        biproportional_tier(result_2020, "state-list").by("x")
    with pytest.raises(seats.SeatsError, match="expected a rule set or an election result, got int"):
        biproportional_tier(3, "state-list")  # type: ignore[arg-type]


def test_agrees_with_a_biproportional_tier_of_the_engine(result_2020: seats.ElectionResult) -> None:
    rs = seats.load_ruleset("ve-2020-an", overrides={"tiers.state-list.method": "biproportional",
                                                     "tiers.state-list.options": '{rounding = "dhondt"}'})
    engine = rs.allocate().tier("state-list")
    bt = biproportional_tier(result_2020, "state-list", method="dhondt")
    assert engine.biproportional is not None
    assert engine.biproportional.to_dict() == bt.allocation.to_dict()
    got = {d.district: {o: n for o, n in d.seats.items() if n} for d in engine.districts}
    want = {d: {o: n for o, n in row.items() if n} for d, row in bt.allocation.seats.items()}
    assert got == want
    # the counterfactual of an engine result that is already biproportional changes nothing
    again = biproportional_tier(rs.allocate(), "state-list", method="dhondt")
    assert again.changes().height == 0
