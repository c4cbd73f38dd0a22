"""The 2020 National Assembly (``ve-2020-an``) on its shipped, reconstructed vote table.

The table (``fixtures/ve-2020-an/votes.csv``) is a seeded reconstruction; these
tests check that it honours every published figure (its PROVENANCE.md lists
them) and that the rule set recomputes the official composition from it.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest

import seats
from seats.rules.result import ElectionResult

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "ve-2020-an"
VOTES = FIXTURE / "votes.csv"
NATIONAL_EXAMPLE = ROOT / "fixtures" / "examples" / "ve-2020-national-list.csv"

# option id in the vote table -> the list's name in the national-list example (sourced totals)
LIST_NAMES = {
    "GPP": "Gran Polo Patriótico",
    "AD": "Alianza Democrática",
    "VU": "Venezuela Unida",
    "PCV": "Partido Comunista de Venezuela",
    "SOLUCIONES": "Soluciones",
    "MAS": "MAS",
    "MOVEV": "MOVEV",
    "UPV": "UPV",
    "PROCIUDADANOS": "Prociudadanos",
    "UPP89": "UPP89",
    "NUVIPA": "NUVIPA",
}
GPP, AD, VU = "Gran Polo Patriótico", "Alianza Democrática", "Venezuela Unida"
PCV = "Partido Comunista de Venezuela"
# CNE bulletin of 9 Dec 2020 (national_results_2020.csv in the shared data; fixtures/ve-2020-an/PROVENANCE.md)
OFFICIAL = {GPP: 253, AD: 18, VU: 2, PCV: 1, "Indigenous": 3}


@pytest.fixture(scope="module")
def rs() -> seats.RuleSet:
    return seats.load_ruleset("ve-2020-an")


@pytest.fixture(scope="module")
def result(rs: seats.RuleSet) -> ElectionResult:
    return rs.allocate()


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    return pl.read_csv(VOTES, infer_schema_length=0).with_columns(pl.col("votes").cast(pl.Int64))


def seats_by(frame: pl.DataFrame, key: str) -> dict[str, int]:
    return {k: v for k, v in frame.select(key, "seats").iter_rows() if v}


def test_default_votes_is_the_reconstructed_fixture(rs: seats.RuleSet) -> None:
    assert rs.default_votes is not None
    assert rs.default_votes.resolve() == VOTES.resolve()


def test_whole_allocation_is_the_official_composition(result: ElectionResult) -> None:
    assert result.total == 277
    assert seats_by(result.by("alliance"), "alliance") == OFFICIAL
    tiers = {t: seats_by(result.tier(t).by("alliance"), "alliance")
             for t in ("nominal", "state-list", "national-list")}
    # GPP 253 = 130 nominal + 87 state list + 36 national list; the opposition's seats are all list seats
    assert tiers["nominal"] == {GPP: 130}
    assert tiers["state-list"] == {GPP: 87, AD: 9}
    assert tiers["national-list"] == {GPP: 36, AD: 9, VU: 2, PCV: 1}
    assert result.ties == ()


def test_national_list_totals_are_the_sourced_ones(table: pl.DataFrame, result: ElectionResult) -> None:
    with NATIONAL_EXAMPLE.open(encoding="utf-8", newline="") as fh:
        sourced = {row["party"]: int(row["votes"]) for row in csv.DictReader(fh)}
    state_list = table.filter(pl.col("tier") == "state-list")
    summed = dict(state_list.group_by("option").agg(pl.col("votes").sum()).iter_rows())
    assert {LIST_NAMES[o]: v for o, v in summed.items()} == sourced
    assert sum(sourced.values()) == 6_227_690
    (national,) = result.tier("national-list").districts
    assert {LIST_NAMES[o]: v for o, v in national.votes.items()} == sourced
    # every list stands in all 24 entities under the same option id
    per_option = state_list.group_by("option").agg(pl.col("district").n_unique())
    assert set(per_option["district"].to_list()) == {24}


def test_tachira_list_vote_and_seats(result: ElectionResult) -> None:
    tachira = result.tier("state-list").district("VE-S")
    total = sum(tachira.votes.values())

    def pct(option: str) -> Fraction:  # percentage to two decimals, half up
        hundredths = Fraction(tachira.votes[option] * 10_000, total)
        return Fraction(int(hundredths + Fraction(1, 2)), 100)

    assert pct("GPP") == Fraction(6832, 100)
    assert pct("AD") == Fraction(2294, 100)
    assert {o: n for o, n in tachira.seats.items() if n} == {"GPP": 3, "AD": 1}
    circuits = [d for d in result.tier("nominal").districts if d.district.startswith("VE-S-")]
    assert len(circuits) == 5
    assert all(o.split(":")[1].startswith("GPP-") for d in circuits for o, n in d.seats.items() if n)


def test_state_lists_are_dhondt_computed_independently(rs: seats.RuleSet, result: ElectionResult) -> None:
    magnitude = {d.id: d.seats for d in rs.tier("state-list").districts}
    for d in result.tier("state-list").districts:
        quotients = sorted(
            ((Fraction(v, k), o) for o, v in d.votes.items() for k in range(1, magnitude[d.district] + 1)),
            reverse=True,
        )
        m = magnitude[d.district]
        assert quotients[m - 1][0] > quotients[m][0], f"{d.district}: a tie decides the last seat"
        expect: dict[str, int] = {}
        for _, o in quotients[:m]:
            expect[o] = expect.get(o, 0) + 1
        assert {o: n for o, n in d.seats.items() if n} == expect, d.district


def test_magnitudes_are_the_rule_sets(rs: seats.RuleSet, result: ElectionResult) -> None:
    for name in ("nominal", "state-list"):
        magnitude = {d.id: d.seats for d in rs.tier(name).districts}
        won = {d.district: sum(d.seats.values()) for d in result.tier(name).districts}
        assert won == magnitude
    assert sum(magnitude.values()) == 96


def test_every_row_is_labelled(table: pl.DataFrame) -> None:
    assert table.columns == ["tier", "district", "option", "votes", "card", "party", "alliance",
                             "basis", "source"]
    assert set(table["basis"].to_list()) == {"reconstructed"}
    assert table.filter(~pl.col("source").str.contains("build_votes.py")).height == 0
    assert table.filter(pl.col("votes") < 0).height == 0
    assert set(table["tier"].to_list()) == {"nominal", "state-list"}


def test_alliances_are_backed_by_several_cards(table: pl.DataFrame) -> None:
    cards = dict(table.group_by("alliance").agg(pl.col("card").unique().sort()).iter_rows())
    assert {"PSUV", "PPT", "TUPAMARO"} <= set(cards[GPP])
    assert {"AD", "COPEI", "EL-CAMBIO", "AP"} <= set(cards[AD])
    assert {"PV"} <= set(cards[VU])
    # an option's card is never shared with another alliance
    owner = table.group_by("card").agg(pl.col("alliance").n_unique().alias("n"))
    assert owner["n"].max() == 1
    # nominal candidates are options of their own, named after circuit and list
    nominal = table.filter(pl.col("tier") == "nominal")
    assert nominal.filter(~pl.col("option").str.starts_with(pl.col("district") + ":")).height == 0
    assert "VE-V-1:GPP-3" in set(nominal["option"].to_list())


def test_build_script_reproduces_the_file_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "votes.csv"
    run = subprocess.run([sys.executable, str(FIXTURE / "build_votes.py"), str(out)],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == VOTES.read_bytes()


def test_sainte_lague_what_if_changes_only_the_state_lists(result: ElectionResult) -> None:
    sl_rules = seats.load_ruleset("ve-2020-an", overrides={"tiers.state-list.method": "sainte-lague"})
    what_if = sl_rules.allocate()
    assert what_if.total == 277
    assert seats_by(what_if.by("alliance"), "alliance") != seats_by(result.by("alliance"), "alliance")
    for tier in ("nominal", "national-list", "indigenous"):
        before = seats_by(result.tier(tier).by("option"), "option")
        assert seats_by(what_if.tier(tier).by("option"), "option") == before
    sl = seats_by(what_if.tier("state-list").by("alliance"), "alliance")
    assert sum(sl.values()) == 96
    assert sl[GPP] < 87  # Sainte-Laguë's first divisor 1 then 3 is kinder to the second list than D'Hondt's 2


def test_make_demo_command_prints_the_assembly() -> None:
    from click.testing import CliRunner

    from seats.cli import main

    run = CliRunner().invoke(main, ["allocate", "ve-2020-an", "--format", "csv"])
    assert run.exit_code == 0, run.output
    rows = list(csv.DictReader(run.output.splitlines()))
    by_alliance = {r["alliance"]: int(r["seats"]) for r in rows if int(r["seats"])}
    assert by_alliance == OFFICIAL
