"""Scenarios: exact, composable vote-table transforms and the seats they change."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import seats
from seats.analysis.scenarios import (
    Move,
    Remove,
    Scale,
    ScenarioError,
    Selector,
    SetTurnout,
    apply_all,
    run_scenario,
    share_out,
)
from seats.cli import main

TOY = """
id = "toy"
name = "Toy parallel assembly"
total_seats = 13

[[tier]]
id = "nominal"
kind = "nominal"
method = "block"
districts = [
  {id = "c1", seats = 1, parent = "S1"},
  {id = "c2", seats = 2, parent = "S1"},
  {id = "c3", seats = 1, parent = "S2"},
]

[[tier]]
id = "state-list"
kind = "list"
method = "dhondt"
districts = [{id = "S1", seats = 3}, {id = "S2", seats = 2}]

[[tier]]
id = "national-list"
kind = "derived"
source = "state-list"
method = "dhondt"
districts = [{id = "N", seats = 3}]

[[tier]]
id = "reserved"
kind = "reserved"
method = "plurality"
districts = [{id = "R", seats = 1}]
results = [{district = "R", option = "Ind", party = "Ind", alliance = "Indigenous"}]

[[link]]
kind = "parallel"
tiers = ["nominal", "state-list"]
"""

PARTY = {"A": ("A", "Left"), "B": ("B", "Left"), "C": ("C", "Right")}


def toy_votes() -> pl.DataFrame:
    rows = []
    lists = {"S1": {"A": 5000, "B": 1500, "C": 4200}, "S2": {"A": 1200, "B": 300, "C": 2600}}
    for district, votes in lists.items():
        for option, v in votes.items():
            rows.append(("state-list", district, option, option, v))
    nominal = {
        "c1": {"A": 3000, "C": 2800},
        "c2": {"A": 2500, "B": 600, "C": 2400},
        "c3": {"A": 1000, "C": 2500},
    }
    for district, votes in nominal.items():
        for party, v in votes.items():
            # one candidate per party per circuit, backed by the party's card
            rows.append(("nominal", district, f"{party}-{district}", party, v))
    return pl.DataFrame(
        {
            "tier": [r[0] for r in rows],
            "district": [r[1] for r in rows],
            "option": [r[2] for r in rows],
            "card": [r[3] for r in rows],
            "party": [PARTY[r[3]][0] for r in rows],
            "alliance": [PARTY[r[3]][1] for r in rows],
            "votes": [r[4] for r in rows],
        },
        schema_overrides={"votes": pl.Int64},
    )


@pytest.fixture
def toy(tmp_path: Path) -> seats.RuleSet:
    path = tmp_path / "toy.toml"
    path.write_text(TOY, encoding="utf-8")
    return seats.load_ruleset(path)


def tier_sum(frame: pl.DataFrame, tier: str, alliance: str | None = None) -> int:
    f = frame.filter(pl.col("tier") == tier)
    if alliance is not None:
        f = f.filter(pl.col("alliance") == alliance)
    return int(f["votes"].sum())


# ---------------------------------------------------------------- exact sharing


@given(st.integers(0, 10**7), st.lists(st.integers(0, 10**6), min_size=1, max_size=12))
def test_share_out_is_exact_and_bounded(n: int, weights: list[int]) -> None:
    if sum(weights) == 0:
        if n:
            with pytest.raises(ScenarioError, match="no votes"):
                share_out(n, weights)
        return
    parts = share_out(n, weights)
    assert sum(parts) == n
    if n <= sum(weights):
        assert all(0 <= p <= w for p, w in zip(parts, weights, strict=True))
    assert all(p == 0 for p, w in zip(parts, weights, strict=True) if w == 0)


def test_share_out_breaks_ties_by_votes_then_order() -> None:
    assert share_out(1, [2, 4, 4]) == [0, 1, 0]
    assert share_out(2, [1, 1, 1]) == [1, 1, 0]


# ---------------------------------------------------------------- the transforms


def test_remove_takes_exactly_n_from_each_tier() -> None:
    t = toy_votes()
    out = Remove("alliance=Left", 1234).apply(t)
    for tier in ("state-list", "nominal"):
        assert tier_sum(t, tier, "Left") - tier_sum(out, tier, "Left") == 1234
        assert tier_sum(out, tier, "Right") == tier_sum(t, tier, "Right")
    assert out.columns == t.columns and out.schema == t.schema
    assert out.drop("votes").equals(t.drop("votes"))


@given(st.lists(st.integers(0, 50_000), min_size=2, max_size=10), st.data())
def test_remove_property_exact_and_never_negative(votes: list[int], data: st.DataObject) -> None:
    n_rows = len(votes)
    frame = pl.DataFrame(
        {
            "tier": ["list"] * n_rows,
            "district": [f"d{i % 3}" for i in range(n_rows)],
            "option": ["X" if i % 2 == 0 else "Y" for i in range(n_rows)],
            "votes": votes,
        }
    )
    have = sum(v for i, v in enumerate(votes) if i % 2 == 0)
    n = data.draw(st.integers(0, have))
    spread = data.draw(st.sampled_from(["proportional", "strongest"]))
    out = Remove("option=X", n, spread=spread).apply(frame)["votes"].to_list()
    assert have - sum(v for i, v in enumerate(out) if i % 2 == 0) == n
    assert all(v >= 0 for v in out)
    assert all(a <= b for a, b in zip(out, votes, strict=True))
    assert [v for i, v in enumerate(out) if i % 2] == [v for i, v in enumerate(votes) if i % 2]


def test_remove_more_than_there_is_is_an_error_naming_the_tier() -> None:
    with pytest.raises(
        ScenarioError, match=r"tier 'state-list': cannot take 999999 votes, there are only 1800"
    ):
        Remove("party=B", 999_999, tiers=["state-list"]).apply(toy_votes())


def test_remove_everything_leaves_zeros_not_negatives() -> None:
    t = toy_votes()
    out = Remove(
        "party=B", tier_sum(t.filter(pl.col("party") == "B"), "state-list"), tiers="state-list"
    ).apply(t)
    b = out.filter((pl.col("party") == "B") & (pl.col("tier") == "state-list"))["votes"].to_list()
    assert b == [0, 0]


def test_remove_strongest_empties_the_strongest_district_first() -> None:
    t = toy_votes()
    # party C: 4200 / 10700 in S1, 2600 / 4100 in S2 -> S2 first
    out = Remove("party=C", 3000, tiers=["state-list"], spread="strongest").apply(t)
    c = dict(
        out.filter((pl.col("party") == "C") & (pl.col("tier") == "state-list"))
        .select("district", "votes")
        .iter_rows()
    )
    assert c == {"S1": 3800, "S2": 0}


def test_scale_rounds_the_tier_total_half_up() -> None:
    frame = pl.DataFrame(
        {"tier": ["l"] * 3, "district": ["a", "b", "c"], "option": ["X"] * 3, "votes": [1, 1, 1]}
    )
    assert sum(Scale("X", Fraction(1, 2)).apply(frame)["votes"]) == 2  # 1.5 -> 2
    assert sum(Scale("X", "1/6").apply(frame)["votes"]) == 1  # 0.5 -> 1
    assert sum(Scale("X", "10%").apply(frame)["votes"]) == 0  # 0.3 -> 0
    assert Scale("X", 3).apply(frame)["votes"].to_list() == [3, 3, 3]


def test_scale_restricted_to_districts() -> None:
    t = toy_votes()
    out = Scale("party=A", 2, districts=["S2"]).apply(t)
    changed = t.with_columns(new=out["votes"]).filter(pl.col("votes") != pl.col("new"))
    assert changed.select("district", "option", "votes", "new").rows() == [("S2", "A", 1200, 2400)]


def test_set_turnout_hits_the_target_exactly_per_tier() -> None:
    t = toy_votes()
    out = SetTurnout(8_089_320, tier="state-list").apply(t)
    assert tier_sum(out, "state-list") == 8_089_320
    assert tier_sum(out, "nominal") == tier_sum(t, "nominal")
    both = SetTurnout(1000).apply(t)
    assert tier_sum(both, "state-list") == tier_sum(both, "nominal") == 1000


def test_move_conserves_every_district_total() -> None:
    t = toy_votes()
    out = Move("party=A", "party=C", Fraction(1, 10)).apply(t)
    before = t.group_by("tier", "district").agg(pl.col("votes").sum()).sort("tier", "district")
    after = out.group_by("tier", "district").agg(pl.col("votes").sum()).sort("tier", "district")
    assert before.equals(after)
    moved = tier_sum(t, "state-list", "Right") - tier_sum(out, "state-list", "Right")
    assert moved == -620  # 10% of A's 6200 state-list votes


def test_move_only_where_the_target_stands() -> None:
    t = toy_votes()
    # party B has a nominal candidate only in c2: only A's c2 votes can move there
    out = Move("party=A", "party=B", 100, tiers=["nominal"]).apply(t)
    diff = t.with_columns(new=out["votes"]).filter(pl.col("votes") != pl.col("new"))
    assert sorted(diff.select("option", "votes", "new").rows()) == [("A-c2", 2500, 2400), ("B-c2", 600, 700)]


def test_selector_parsing_and_errors() -> None:
    assert Selector.parse("alliance = Gran Polo Patriótico") == Selector("alliance", "Gran Polo Patriótico")
    assert Selector.parse("PSUV") == Selector("any", "PSUV")
    assert Selector.parse("weird=thing") == Selector("any", "weird=thing")
    with pytest.raises(ScenarioError, match=r"no votes match alliance 'Lef'.*did you mean 'Left'"):
        Remove("alliance=Lef", 1).apply(toy_votes())
    with pytest.raises(ScenarioError, match="no votes in tier 'nominl'"):
        Remove("Left", 1, tiers=["nominl"]).apply(toy_votes())
    with pytest.raises(ScenarioError, match="spread 'evenly'"):
        Remove("Left", 1, spread="evenly")
    with pytest.raises(ScenarioError, match="must not be negative"):
        Remove("Left", -5)


def test_composition_applies_in_order() -> None:
    frame = pl.DataFrame({"tier": ["l"], "district": ["a"], "option": ["X"], "votes": [1000]})
    first = apply_all(frame, [Remove("X", 100), Scale("X", 2)])
    second = apply_all(frame, [Scale("X", 2), Remove("X", 100)])
    assert first["votes"].to_list() == [1800]
    assert second["votes"].to_list() == [1900]
    steps = [Remove("Left", 500), Move("party=C", "party=A", "5%"), SetTurnout(20_000, tier="nominal")]
    by_hand = toy_votes()
    for s in steps:
        by_hand = s.apply(by_hand)
    assert apply_all(toy_votes(), steps).equals(by_hand)


def test_transforms_are_pure() -> None:
    t = toy_votes()
    snapshot = t.clone()
    Remove("Left", 500).apply(t)
    Move("party=C", "party=A", 10).apply(t)
    assert t.equals(snapshot)


# ---------------------------------------------------------------- run_scenario and diff


def test_baseline_of_the_toy_rule_set(toy: seats.RuleSet) -> None:
    res = toy.allocate(toy_votes())
    by = dict(res.by("alliance").select("alliance", "seats").iter_rows())
    # nominal: c1 A, c2 A and C, c3 C; S1 (A 5000, B 1500, C 4200) -> A 2, C 1; S2 (1200, 300, 2600) -> C 2;
    # national (A 6200, B 1800, C 6800) -> C 2, A 1; reserved: Ind
    assert by == {"Right": 7, "Left": 5, "Indigenous": 1}


def test_diff_on_a_hand_made_rule_set(toy: seats.RuleSet) -> None:
    # moving 300 votes from A to C in c1 flips that circuit; nothing else changes
    res = run_scenario(toy, toy_votes(), [Move("party=A", "party=C", 300, districts=["c1"])])
    assert res.diff("alliance").rows() == [("Left", 5, 4, -1), ("Indigenous", 1, 1, 0), ("Right", 7, 8, 1)]
    assert res.seat_changes().select("tier", "district", "option", "baseline", "scenario").rows() == [
        ("nominal", "c1", "A-c1", 1, 0),
        ("nominal", "c1", "C-c1", 0, 1),
    ]
    assert res.vote_changes().rows() == [
        ("nominal", "Left", 7100, 6800, -300),
        ("nominal", "Right", 7700, 8000, 300),
    ]
    assert res.scenario.total == res.baseline.total == 13


def test_diff_follows_the_derived_tier(toy: seats.RuleSet) -> None:
    res = run_scenario(toy, toy_votes(), [Remove("party=A", 4000, tiers=["state-list"])])
    changes = res.seat_changes()
    assert set(changes["tier"].to_list()) <= {"state-list", "national-list"}
    assert "national-list" in changes["tier"].to_list()
    d = dict(res.diff("party").select("party", "change").iter_rows())
    assert sum(d.values()) == 0
    assert res.diff("party").columns == ["party", "baseline", "scenario", "change"]


def test_readme_example_2020_one_million_gpp_votes_removed() -> None:
    if "ve-2020-an" not in {info.id for info in seats.available_rulesets()}:
        pytest.skip("ve-2020-an not shipped yet")
    rs = seats.load_ruleset("ve-2020-an")
    frame = rs.allocate().to_polars()
    gpp = (
        frame.filter(pl.col("tier") == "state-list")
        .group_by("alliance")
        .agg(pl.col("votes").sum())
        .sort("votes", descending=True)["alliance"][0]
    )
    res = run_scenario(rs, None, [Remove(f"alliance={gpp}", 1_000_000, spread="proportional")])
    assert res.scenario.total == 277
    removed = res.vote_changes().filter(pl.col("tier") == "state-list")["change"].to_list()
    assert removed == [-1_000_000]
    assert int(res.diff()["change"].sum()) == 0


# ---------------------------------------------------------------- CLI


def test_cli_scenario_names_the_steps_in_order(toy: seats.RuleSet, tmp_path: Path) -> None:
    votes = tmp_path / "votes.csv"
    toy_votes().write_csv(votes)
    assert toy.path is not None
    args = [
        "scenario",
        str(toy.path),
        "--votes",
        str(votes),
        "--move",
        "party=A->party=C:300",
        "--remove",
        "alliance=Left:10",
        "--scale",
        "party=C:1.01",
        "--remove",
        "party=A:5",
        "--district",
        "c1",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    out = result.output
    lines = [line.strip() for line in out.splitlines() if line.strip()[:2] in ("1.", "2.", "3.", "4.")]
    assert [line.split()[1] for line in lines] == ["move", "remove", "scale", "remove"]
    assert "Left" in out and "c1" in out

    csv = CliRunner().invoke(main, [*args, "--format", "csv", "--by", "seat"])
    assert csv.exit_code == 0, csv.output
    assert csv.stdout.splitlines()[0] == "tier,district,option,party,alliance,baseline,scenario,change"


def test_cli_scenario_errors_are_one_line(toy: seats.RuleSet, tmp_path: Path) -> None:
    votes = tmp_path / "votes.csv"
    toy_votes().write_csv(votes)
    assert toy.path is not None
    result = CliRunner().invoke(
        main, ["scenario", str(toy.path), "--votes", str(votes), "--remove", "Lft:10"]
    )
    assert result.exit_code == 1
    assert "did you mean 'Left'" in result.output and "Traceback" not in result.output
    bad = CliRunner().invoke(main, ["scenario", str(toy.path), "--votes", str(votes), "--remove", "Left"])
    assert bad.exit_code == 2
    assert "SELECTOR:N" in bad.output
