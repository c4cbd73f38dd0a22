"""The two 2017 National Constituent Assembly rule sets and their synthetic vote tables.

``ve-2017-anc`` (as enacted, 545 = 311 + 53 + 173 + 8) and ``ve-2017-anc-announced`` (545 = 311 + 53 + 181):
structure checked against the reference data copied into ``rulesets/ve-2017-anc/reference/``, the
committed tables against the scripts that build them, and the synthetic fixtures allocated end to end.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import subprocess
import sys
import tomllib
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import seats
from seats.cli import main
from seats.errors import RuleSetError
from seats.rules.load import build_ruleset
from seats.rules.model import RuleSet
from seats.rules.result import ElectionResult

ROOT = Path(__file__).resolve().parents[2]
ENACTED_DIR = ROOT / "rulesets" / "ve-2017-anc"
ANNOUNCED_DIR = ROOT / "rulesets" / "ve-2017-anc-announced"
REFERENCE = ENACTED_DIR / "reference"
FIXTURE = ROOT / "fixtures" / "ve-2017-anc"
TIERS = ("territorial-nominal", "territorial-list", "sectoral", "indigenous")


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@cache
def _build_districts() -> Any:
    spec = importlib.util.spec_from_file_location("build_districts", ENACTED_DIR / "build_districts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def iso(row: dict[str, str]) -> str:
    """The ISO 3166-2:VE code of a reference row's state: the upstream code as the build script maps it."""
    code: str = _build_districts().iso_code(row["iso_3166_2"], row["state"])
    return code


@cache
def enacted() -> RuleSet:
    return seats.load_ruleset("ve-2017-anc")


@cache
def announced() -> RuleSet:
    return seats.load_ruleset("ve-2017-anc-announced")


@cache
def enacted_result() -> ElectionResult:
    return enacted().allocate()


@cache
def announced_result() -> ElectionResult:
    return announced().allocate()


# --- structure ----------------------------------------------------------------------------------------


def test_both_load_by_id_with_their_tiers_and_totals() -> None:
    rs, ann = enacted(), announced()
    assert (rs.total_seats, ann.total_seats) == (545, 545)
    assert rs.tier_ids == TIERS
    assert ann.tier_ids == TIERS[:3]
    assert {t.id: t.seats for t in rs.tiers} == {
        "territorial-nominal": 311,
        "territorial-list": 53,
        "sectoral": 173,
        "indigenous": 8,
    }
    assert {t.id: t.seats for t in ann.tiers} == {
        "territorial-nominal": 311,
        "territorial-list": 53,
        "sectoral": 181,
    }
    assert {t.id: (t.kind, t.method) for t in rs.tiers} == {
        "territorial-nominal": ("nominal", "plurality"),
        "territorial-list": ("list", "dhondt"),
        "sectoral": ("sectoral", "sntv"),
        "indigenous": ("reserved", "block"),
    }
    assert rs.ties == ann.ties == "error"
    assert [link.kind for link in rs.links] == ["parallel"]
    for r in (rs, ann):
        for t in r.tiers:
            assert sum(d.seats for d in t.districts) == t.seats


def test_the_announced_rule_set_reads_the_enacted_municipality_tables() -> None:
    text = (ANNOUNCED_DIR / "ruleset.toml").read_text(encoding="utf-8")
    assert '"../ve-2017-anc/territorial_nominal.csv"' in text
    assert not (ANNOUNCED_DIR / "territorial_nominal.csv").exists()
    for tier in ("territorial-nominal", "territorial-list"):
        assert announced().tier(tier).districts == enacted().tier(tier).districts


def test_the_shared_tables_resolve_in_the_installed_layout(tmp_path: Path) -> None:
    # pyproject ships rulesets/ as seats._rulesets with package data "*/*.toml", "*/*.csv", "*/*.md":
    # copy exactly those files and load the announced rule set from the copy.
    for folder in (ENACTED_DIR, ANNOUNCED_DIR):
        target = tmp_path / "_rulesets" / folder.name
        target.mkdir(parents=True)
        for pattern in ("*.toml", "*.csv", "*.md"):
            for f in folder.glob(pattern):
                (target / f.name).write_bytes(f.read_bytes())
    rs = seats.load_ruleset(tmp_path / "_rulesets" / "ve-2017-anc-announced")
    assert rs.tier("territorial-nominal").districts == enacted().tier("territorial-nominal").districts
    assert rs.total_seats == 545


def test_every_municipality_exactly_once_with_ascii_ids() -> None:
    municipalities = read(REFERENCE / "municipalities.csv")
    assert len(municipalities) == 335
    districts = [
        *enacted().tier("territorial-nominal").districts,
        *enacted().tier("territorial-list").districts,
    ]
    ids = [d.id for d in districts]
    assert len(ids) == len(set(ids)) == 335
    assert Counter(d.name for d in districts) == Counter(
        f"{m['municipality']} ({m['state']})" for m in municipalities
    )
    for d in districts:
        assert d.id.isascii() and d.id == d.id.strip() and " " not in d.id
        assert d.id.startswith(d.parent + "-")
    assert {"VE-V-maracaibo", "VE-A-libertador", "VE-L-libertador", "VE-S-san-cristobal"} <= set(ids)


def test_reference_keeps_the_upstream_codes_and_the_build_maps_them_to_iso() -> None:
    provenance = (ENACTED_DIR / "PROVENANCE.md").read_text(encoding="utf-8")
    for name in ("municipalities.csv", "capitals.csv"):  # still as copied: the digest PROVENANCE.md gives
        assert hashlib.sha256((REFERENCE / name).read_bytes()).hexdigest() in provenance, name
    upstream = {c["state"]: c["iso_3166_2"] for c in read(REFERENCE / "capitals.csv")}
    assert (upstream["Amazonas"], upstream["Vargas"]) == ("VE-X", "VE-W")
    listed = enacted().tier("territorial-list").districts
    parent = {d.name.rsplit(" (", 1)[1].removesuffix(")"): d.parent for d in listed}
    assert (parent["Amazonas"], parent["Vargas"]) == ("VE-Z", "VE-X")
    assert {s: c for s, c in parent.items() if s not in ("Amazonas", "Vargas")} == {
        s: c for s, c in upstream.items() if s not in ("Amazonas", "Vargas")
    }
    with pytest.raises(SystemExit, match="upstream code VE-X labels 'Zulia'"):
        _build_districts().iso_code("VE-X", "Zulia")


def test_capitals_elect_two_by_list_libertador_seven_the_rest_one_by_plurality() -> None:
    capitals = {(iso(c), c["capital_municipality"]) for c in read(REFERENCE / "capitals.csv")}
    listed = enacted().tier("territorial-list")
    assert len(listed.districts) == 24
    assert {(d.parent, d.name.rsplit(" (", 1)[0]) for d in listed.districts} == capitals
    assert {d.id: d.seats for d in listed.districts if d.seats != 2} == {"VE-A-libertador": 7}
    nominal = enacted().tier("territorial-nominal")
    assert len(nominal.districts) == 311
    assert {d.seats for d in nominal.districts} == {1}
    assert not {(d.parent, d.name.rsplit(" (", 1)[0]) for d in nominal.districts} & capitals


def test_per_state_territorial_totals_match_the_reference() -> None:
    code = {c["state"]: iso(c) for c in read(REFERENCE / "capitals.csv")}
    expected = {
        code[r["state"]]: (
            int(r["nominal_seats_noncapital_municipalities"]),
            int(r["list_seats_capital_municipality"]),
            int(r["territorial_total"]),
        )
        for r in read(REFERENCE / "territorial_by_state.csv")
        if r["state"] != "TOTAL"
    }
    assert len(expected) == 24
    for rs in (enacted(), announced()):
        nominal = Counter(d.parent for d in rs.tier("territorial-nominal").districts)
        listed: Counter[str] = Counter()
        for d in rs.tier("territorial-list").districts:
            listed[d.parent] += d.seats
        got = {s: (nominal[s], listed[s], nominal[s] + listed[s]) for s in expected}
        assert got == expected
    assert sum(v[2] for v in expected.values()) == 364


def test_sector_totals_and_estimated_splits() -> None:
    tier = enacted().tier("sectoral")
    by_sector: Counter[str] = Counter()
    for d in tier.districts:
        by_sector[d.parent] += d.seats
    assert dict(by_sector) == {
        "workers": 79,
        "pensioners": 28,
        "communes": 24,
        "students": 24,
        "peasants-fishers": 8,
        "business": 5,
        "disabilities": 5,
    }
    confirmed = {
        r["sector"]: int(r["seats_confirmed"])
        for r in read(REFERENCE / "sectoral.csv")
        if r["subsector"] == "TOTAL"
    }
    assert sorted(by_sector.values()) == sorted(v for k, v in confirmed.items() if k != "ALL SECTORAL")
    workers = [d for d in tier.districts if d.parent == "workers"]
    assert len(workers) == 9
    assert {d.basis for d in workers} == {"estimated"}
    unconfirmed = {
        r["subsector"]: int(r["brief_value_unconfirmed"])
        for r in read(REFERENCE / "sectoral.csv")
        if r["sector"] == "Trabajadores" and r["subsector"] != "TOTAL"
    }
    assert sorted(d.seats for d in workers) == sorted(unconfirmed.values())
    assert all("NOT confirmed" in d.source for d in workers)
    communes = [d for d in tier.districts if d.parent == "communes"]
    assert sorted(d.id.removeprefix("communes-") for d in communes) == sorted(
        iso(c) for c in read(REFERENCE / "capitals.csv")
    )
    assert {d.basis for d in communes} == {"estimated"}
    students = {d.id: (d.seats, d.basis) for d in tier.districts if d.parent == "students"}
    assert students == {
        k: (8, "estimated") for k in ("students-public", "students-private", "students-missions")
    }
    whole = {d.id: d.basis for d in tier.districts if d.parent == d.id}
    assert whole == {k: "sourced" for k in ("pensioners", "peasants-fishers", "business", "disabilities")}


def test_announced_sectors() -> None:
    tier = announced().tier("sectoral")
    assert {d.id: d.seats for d in tier.districts} == {
        "workers": 79,
        "pensioners": 28,
        "communal-councils": 24,
        "students": 24,
        "peasants": 8,
        "fishers": 8,
        "disabilities": 5,
        "business": 5,
    }


def test_indigenous_regions_are_reserved_with_given_results() -> None:
    tier = enacted().tier("indigenous")
    reference = {
        r["region"].split(" (")[0].lower(): int(r["seats"])
        for r in read(REFERENCE / "indigenous.csv")
        if r["region"] != "TOTAL"
    }
    assert {d.id: d.seats for d in tier.districts} == reference == {"occidente": 4, "oriente": 3, "sur": 1}
    assert not tier.has_votes
    assert len(tier.results) == 8 and {r.basis for r in tier.results} == {"synthetic"}


def test_every_district_row_states_its_basis_and_source() -> None:
    for rs in (enacted(), announced()):
        for t in rs.tiers:
            for d in t.districts:
                assert d.basis in ("sourced", "estimated"), (t.id, d.id)
                assert d.source, (t.id, d.id)


def test_the_loader_rejects_magnitudes_that_do_not_add_up() -> None:
    raw = tomllib.loads((ENACTED_DIR / "ruleset.toml").read_text(encoding="utf-8"))
    path = ENACTED_DIR / "ruleset.toml"
    raw["tier"][2]["seats"] = 181
    with pytest.raises(RuleSetError, match=r"tier 'sectoral': the district magnitudes add up to 173"):
        build_ruleset(raw, path)
    with pytest.raises(RuleSetError, match=r"total_seats = 545 but the tiers add up to 546"):
        seats.load_ruleset(
            "ve-2017-anc",
            overrides={"tiers.sectoral.districts.business.seats": 6, "tiers.sectoral.seats": 174},
        )
    with pytest.raises(RuleSetError, match=r"add up to 174, not the declared seats = 173"):
        seats.load_ruleset("ve-2017-anc", overrides={"tiers.sectoral.districts.business.seats": 6})


# --- the committed tables are what the scripts write -------------------------------------------------


def test_build_districts_reproduces_the_committed_tables(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(ENACTED_DIR / "build_districts.py"), str(tmp_path)], check=True)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.csv"))
    assert len(written) == 6
    for rel in written:
        assert (tmp_path / rel).read_bytes() == (ROOT / "rulesets" / rel).read_bytes(), rel


def test_build_votes_reproduces_the_fixtures_byte_for_byte(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(FIXTURE / "build_votes.py"), str(tmp_path)], check=True)
    for name in ("votes.csv", "votes-announced.csv"):
        assert (tmp_path / name).read_bytes() == (FIXTURE / name).read_bytes(), name


def test_build_votes_says_synthetic_everywhere() -> None:
    doc = (FIXTURE / "build_votes.py").read_text(encoding="utf-8")
    assert "SYNTHETIC" in doc.split('"""')[1]
    assert "synthetic" in (FIXTURE / "PROVENANCE.md").read_text(encoding="utf-8").lower()
    for name in ("votes.csv", "votes-announced.csv"):
        rows = read(FIXTURE / name)
        assert rows and {r["basis"] for r in rows} == {"synthetic"}, name


# --- the synthetic fixtures ------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["enacted", "announced"])
def test_default_votes_are_the_shipped_fixtures(which: str) -> None:
    rs = enacted() if which == "enacted" else announced()
    assert rs.default_votes is not None
    assert rs.default_votes.name == ("votes.csv" if which == "enacted" else "votes-announced.csv")
    assert rs.default_votes.read_bytes() == (FIXTURE / rs.default_votes.name).read_bytes()


def test_fixture_turnout_and_shape() -> None:
    frame = pl.read_csv(FIXTURE / "votes.csv")
    territorial = frame.filter(pl.col("tier").str.starts_with("territorial"))
    assert territorial["votes"].sum() == 8_089_320
    per_district = frame.group_by("tier", "district").agg(
        pl.len().alias("n"), pl.col("votes").n_unique().alias("u")
    )
    assert (per_district["n"] == per_district["u"]).all()  # no two options with equal votes
    assert set(per_district.filter(pl.col("tier") == "territorial-nominal")["n"]) <= {3, 4, 5, 6}
    announced_frame = pl.read_csv(FIXTURE / "votes-announced.csv")
    assert announced_frame.filter(pl.col("tier").str.starts_with("territorial")).equals(territorial)


@pytest.mark.parametrize("which", ["enacted", "announced"])
def test_allocation_fills_every_declared_seat(which: str) -> None:
    rs, res = (enacted(), enacted_result()) if which == "enacted" else (announced(), announced_result())
    assert res.total == 545
    assert res.ties == ()
    for tier_result in res.tiers:
        tier = rs.tier(tier_result.id)
        assert tier_result.total == tier.seats
        assert {d.district: sum(d.seats.values()) for d in tier_result.districts} == {
            d.id: d.seats for d in tier.districts
        }
    by_tier = res.by("tier")
    assert dict(zip(by_tier["tier"], by_tier["seats"], strict=True)) == {t.id: t.seats for t in rs.tiers}


def test_capital_lists_follow_the_twice_the_runner_up_rule() -> None:
    for d in enacted_result().tier("territorial-list").districts:
        if d.magnitude != 2:
            continue
        first, second = sorted(d.votes.values(), reverse=True)[:2]
        assert max(d.seats.values()) == (2 if first > 2 * second else 1), d.district


def test_by_alliance_and_sectoral_by_party() -> None:
    res = enacted_result()
    alliance = res.by("alliance")
    assert alliance.columns[:2] == ["alliance", "seats"]
    assert set(TIERS) <= set(alliance.columns)
    assert alliance["seats"].sum() == 545
    seats_of = dict(zip(alliance["alliance"], alliance["seats"], strict=True))
    assert seats_of["Indigenous"] == 8
    assert seats_of["Gran Polo Patriótico"] > 545 * 0.8  # the opposition boycotted the election
    sectoral = res.tier("sectoral").by("party")
    assert sectoral["seats"].sum() == 173
    assert set(sectoral["party"]) <= {"PSUV", "GPP allies", "Independents"}
    assert announced_result().tier("sectoral").by("party")["seats"].sum() == 181


def test_sainte_lague_override_changes_only_the_list_tier() -> None:
    rs = seats.load_ruleset("ve-2017-anc", overrides={"tiers.territorial-list.method": "sainte-lague"})
    assert rs.tier("territorial-list").method == "sainte-lague"
    res = rs.allocate()
    base = enacted_result()
    assert res.total == 545 and res.tier("territorial-list").total == 53
    for tier in ("territorial-nominal", "sectoral", "indigenous"):
        assert res.tier(tier).to_polars().equals(base.tier(tier).to_polars())
    # Sainte-Laguë gives a 2-seat capital to the top list only with more than three times the runner-up.
    for d in res.tier("territorial-list").districts:
        if d.magnitude == 2:
            first, second = sorted(d.votes.values(), reverse=True)[:2]
            assert max(d.seats.values()) == (2 if first > 3 * second else 1), d.district
    moved = [
        d.district
        for d, b in zip(
            res.tier("territorial-list").districts, base.tier("territorial-list").districts, strict=True
        )
        if d.seats != b.seats
    ]
    assert moved  # the synthetic data has capitals where the two rules differ


def test_block_and_sntv_count_the_same() -> None:
    block = seats.load_ruleset("ve-2017-anc", overrides={"tiers.sectoral.method": "block"}).allocate()
    assert block.tier("sectoral").to_polars().equals(enacted_result().tier("sectoral").to_polars())


@settings(max_examples=4)
@given(seed=st.integers(0, 2**32 - 1), which=st.sampled_from(["enacted", "announced"]))
def test_random_vote_tables_fill_every_tier_and_a_card_split_changes_nothing(seed: int, which: str) -> None:
    rs = enacted() if which == "enacted" else announced()
    name = "votes.csv" if which == "enacted" else "votes-announced.csv"
    rng = np.random.default_rng(seed)
    frame = pl.read_csv(FIXTURE / name)
    frame = frame.with_columns(
        pl.Series("votes", rng.integers(1, 200_000, frame.height)), pl.lit("main").alias("card")
    )
    lot = seats.load_ruleset(rs.path or rs.id, overrides={"ties": "lot"})
    res = lot.allocate(frame, seed=seed)
    assert res.total == 545
    for tier_result in res.tiers:
        assert tier_result.total == rs.tier(tier_result.id).seats
    row = int(rng.integers(0, frame.height))
    moved = int(rng.integers(0, int(frame["votes"][row]) + 1))
    split = pl.concat(
        [
            frame.with_columns(
                pl.when(pl.int_range(pl.len()) == row)
                .then(pl.col("votes") - moved)
                .otherwise(pl.col("votes"))
                .alias("votes")
            ),
            frame.slice(row, 1).with_columns(
                pl.lit(moved, dtype=pl.Int64).alias("votes"), pl.lit("other").alias("card")
            ),
        ]
    )
    again = lot.allocate(split, seed=seed)
    assert again.to_polars().equals(res.to_polars())


# --- command line -------------------------------------------------------------------------------------------


def test_cli_rulesets_lists_both() -> None:
    run = CliRunner().invoke(main, ["rulesets", "--format", "csv"])
    assert run.exit_code == 0, run.output
    rows = {r["id"]: r for r in csv.DictReader(run.output.splitlines())}
    assert rows["ve-2017-anc"]["seats"] == rows["ve-2017-anc-announced"]["seats"] == "545"
    assert "sectoral 173" in rows["ve-2017-anc"]["tiers"] and "indigenous 8" in rows["ve-2017-anc"]["tiers"]
    assert "sectoral 181" in rows["ve-2017-anc-announced"]["tiers"]


def test_cli_allocate() -> None:
    run = CliRunner().invoke(main, ["allocate", "ve-2017-anc"])
    assert run.exit_code == 0, run.output
    assert "(ve-2017-anc): 545 seats" in run.output
    run = CliRunner().invoke(main, ["allocate", "ve-2017-anc-announced", "--by", "tier", "--format", "csv"])
    assert run.exit_code == 0, run.output
    rows = {r["tier"]: r["seats"] for r in csv.DictReader(run.output.splitlines())}
    assert rows == {"territorial-nominal": "311", "territorial-list": "53", "sectoral": "181"}
    run = CliRunner().invoke(
        main,
        [
            "allocate",
            "ve-2017-anc",
            "--by",
            "tier",
            "--format",
            "csv",
            "--set",
            "tiers.territorial-list.method=sainte-lague",
        ],
    )
    assert run.exit_code == 0, run.output
    rows = {r["tier"]: (r["method"], r["seats"]) for r in csv.DictReader(run.output.splitlines())}
    assert rows["territorial-list"] == ("sainte-lague", "53")
    assert rows["sectoral"] == ("sntv", "173")
