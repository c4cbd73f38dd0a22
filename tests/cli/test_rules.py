"""``seats rulesets`` and ``seats allocate`` (seats/cli/rules.py), through click's test runner."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner, Result

import seats
from seats.cli import main

TOY = Path(__file__).resolve().parents[1] / "rules" / "data" / "toy"
VE2020_VOTES = seats.load_ruleset("ve-2020-an").default_votes


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def ok(*args: str) -> Result:
    result = run(*args)
    assert result.exit_code == 0, result.output + result.stderr
    assert result.exception is None
    return result


def one_line_error(result: Result, pattern: str, code: int = 1) -> None:
    assert result.exit_code == code, result.stdout
    assert "Traceback" not in result.output + result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert re.search(pattern, lines[0]), lines[0]


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    """A private copy of the toy rule set (so that outputs can be written beside it)."""
    for src in TOY.iterdir():
        (tmp_path / src.name).write_bytes(src.read_bytes())
    return tmp_path / "ruleset.toml"


# ---------------------------------------------------------------- seats rulesets


def test_rulesets_lists_every_shipped_rule_set() -> None:
    frame = pl.read_csv(io.StringIO(ok("rulesets", "--format", "csv").stdout))
    assert frame.columns == ["id", "name", "seats", "tiers", "origin"]
    assert set(frame["id"]) == {info.id for info in seats.available_rulesets()}
    row = frame.filter(pl.col("id") == "ve-2020-an").row(0, named=True)
    assert row["seats"] == 277
    assert row["tiers"] == "nominal 130, state-list 96, national-list 48, indigenous 3"
    assert row["origin"] == "shipped"
    assert "ve-2020-an" in ok("rulesets").stdout


def test_rulesets_reports_one_that_does_not_load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "ruleset.toml").write_text('id = "broken"\ntotal_seats = 1\n', encoding="utf-8")
    real = seats.available_rulesets

    def with_broken() -> list[seats.rules.RuleSetInfo]:
        return [*real(), seats.rules.RuleSetInfo("broken", broken / "ruleset.toml", "plugin test")]

    monkeypatch.setattr(seats, "available_rulesets", with_broken)
    result = ok("rulesets", "--format", "csv")
    assert "broken" not in result.stdout
    assert "warning: rule set 'broken' (plugin test) does not load: " in result.stderr
    assert "at least one [[tier]] is required" in result.stderr


# ---------------------------------------------------------------- seats allocate: output


def test_default_table_shows_alliances_then_parties() -> None:
    out = ok("allocate", str(TOY)).stdout
    assert out.startswith("Toy assembly (test data) (toy): 13 seats\n")
    alliances, parties = out.split("\n\n")
    header = ["alliance", "seats", "nominal", "state-list", "national", "reserved"]
    assert alliances.splitlines()[1].split() == header
    assert alliances.splitlines()[3].split() == ["Left", "7", "2", "3", "2", "0"]
    assert parties.splitlines()[0].split()[:3] == ["party", "seats", "alliance"]


@pytest.mark.parametrize(
    ("level", "first"),
    [
        ("alliance", {"alliance": "Left", "seats": 7}),
        ("party", {"party": "P", "seats": 7, "alliance": "Left"}),
        ("option", {"option": "L", "seats": 5}),
        ("tier", {"tier": "nominal", "seats": 4, "kind": "nominal"}),
        ("district", {"tier": "nominal", "district": "S1-1", "alliance": "Left", "votes": 690, "seats": 1}),
    ],
)
def test_by_each_level_as_json(level: str, first: dict[str, object]) -> None:
    data = json.loads(ok("allocate", str(TOY), "--by", level, "--format", "json").stdout)
    assert {k: data[0][k] for k in first} == first
    assert sum(r["seats"] for r in data) == 13


def test_csv_and_table_formats_agree() -> None:
    frame = pl.read_csv(io.StringIO(ok("allocate", str(TOY), "--by", "party", "--format", "csv").stdout))
    assert frame.columns == ["party", "seats", "alliance", "nominal", "state-list", "national", "reserved"]
    assert frame["seats"].to_list() == [7, 5, 1, 0, 0]
    table = ok("allocate", str(TOY), "--by", "party").stdout.splitlines()
    assert table[0].split() == frame.columns
    assert [ln.split()[1] for ln in table[2:]] == ["7", "5", "1", "0", "0"]


def test_output_files_in_every_format(toy: Path, tmp_path: Path) -> None:
    names = {"csv": "out.csv", "json": "out.json", "parquet": "out.parquet", "table": "out.txt"}
    for fmt, name in names.items():
        target = tmp_path / "results" / name
        target.parent.mkdir(exist_ok=True)
        result = ok("allocate", str(toy), "--by", "tier", "--format", fmt, "-o", str(target))
        assert result.stdout == ""
        assert f"wrote {target}" in result.stderr
        assert target.stat().st_size > 0
    assert pl.read_parquet(tmp_path / "results" / "out.parquet")["seats"].to_list() == [4, 5, 3, 1]
    assert json.loads((tmp_path / "results" / "out.json").read_text())[2]["tier"] == "national"
    assert not [p for p in (tmp_path / "results").iterdir() if p.name.endswith(".tmp")]


def test_parquet_needs_an_output_file() -> None:
    result = run("allocate", str(TOY), "--by", "tier", "--format", "parquet")
    assert result.exit_code == 2 and "--format parquet needs --output FILE" in result.stderr


@pytest.mark.parametrize("victim", ["votes.csv", "ruleset.toml", "states.csv"])
def test_output_never_overwrites_an_input(toy: Path, victim: str) -> None:
    before = (toy.parent / victim).read_bytes()
    result = run("allocate", str(toy), "--by", "tier", "--format", "csv", "-o", str(toy.parent / victim))
    one_line_error(result, rf"{victim}: refusing to overwrite an input file")
    assert (toy.parent / victim).read_bytes() == before


def test_output_never_overwrites_the_votes_given(toy: Path, tmp_path: Path) -> None:
    votes = tmp_path / "elsewhere.csv"
    votes.write_bytes((toy.parent / "votes.csv").read_bytes())
    result = run("allocate", str(toy), "--votes", str(votes), "--format", "csv", "-o", str(votes))
    one_line_error(result, r"elsewhere\.csv: refusing to overwrite an input file")


def test_votes_option(tmp_path: Path) -> None:
    frame = pl.read_csv(TOY / "votes.csv").with_columns(
        pl.when(pl.col("option") == "M").then(pl.col("votes") * 10).otherwise(pl.col("votes")).alias("votes"))
    frame.write_parquet(tmp_path / "more-m.parquet")
    data = json.loads(ok("allocate", str(TOY), "--votes", str(tmp_path / "more-m.parquet"), "--by", "option",
                         "--format", "json").stdout)
    seats_of = {r["option"]: r["seats"] for r in data}
    # M ten times stronger: S1 M 1500 750, L 600 -> M 2; S2 M 1000 500 -> M 2;
    # nation M 2500 1250, L 850 -> M 2
    assert seats_of["M"] == 6
    assert sum(seats_of.values()) == 13


def test_thousands_option(tmp_path: Path) -> None:
    text = (TOY / "votes.csv").read_text(encoding="utf-8").replace("state-list,S1,L,P,P,Left,500",
                                                                   "state-list,S1,L,P,P,Left,1.500")
    (tmp_path / "votes.csv").write_text(text, encoding="utf-8")
    one_line_error(run("allocate", str(TOY), "--votes", str(tmp_path / "votes.csv")),
                   r"line 2, column 'votes': '1\.500' .*--thousands \.")
    ok("allocate", str(TOY), "--votes", str(tmp_path / "votes.csv"), "--thousands", ".")


# ---------------------------------------------------------------- --set, --explain, ties, errors


def test_set_overrides() -> None:
    base = json.loads(ok("allocate", str(TOY), "--by", "option", "--format", "json").stdout)
    adams = json.loads(ok("allocate", str(TOY), "--set", "tiers.national.method=adams", "--by", "option",
                          "--format", "json").stdout)
    assert {r["option"]: r["national"] for r in adams if r["national"]} == {"L": 1, "R": 1, "M": 1}
    assert {r["option"]: r["nominal"] for r in adams} == {r["option"]: r["nominal"] for r in base}


@pytest.mark.parametrize(
    ("setting", "pattern"),
    [
        ("tiers.national.metod=adams", r"override 'tiers\.national\.metod': unknown tier field 'metod' "
                                       r"\(did you mean 'method'\?\)"),
        ("tiers.nation.method=adams", r"no tier 'nation' \(did you mean 'national'\?\)"),
        ("tiers.national.method=adam", r"field 'method': .*'adam'.*did you mean 'adams'"),
        ("seats=3", r"override 'seats' names no field of the rule set"),
    ],
)
def test_bad_set_keys(setting: str, pattern: str) -> None:
    one_line_error(run("allocate", str(TOY), "--set", setting), pattern)


def test_set_needs_key_and_value() -> None:
    result = run("allocate", str(TOY), "--set", "ties")
    assert result.exit_code == 2 and "expected KEY=VALUE, got 'ties'" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_explain_prints_every_district() -> None:
    out = ok("allocate", str(TOY), "--explain").stdout
    assert out.startswith("Toy assembly (test data) (toy): 13 seats")
    for district in ("nominal / S1-1", "nominal / S2-1", "state-list / S1", "state-list / S2", "national / N",
                     "reserved / R"):
        assert f"-- {district} (" in out


def test_explain_refuses_output(tmp_path: Path) -> None:
    result = run("allocate", str(TOY), "--explain", "-o", str(tmp_path / "x.txt"))
    assert result.exit_code == 2 and "--explain prints the steps" in result.stderr
    assert not (tmp_path / "x.txt").exists()


def test_a_tie_is_an_error_then_a_note() -> None:
    one_line_error(run("allocate", str(TOY), "--set", "tiers.national.method=hare"),
                   r"^Error: tier 'national', district 'N': tie for seat 3 between L, M")
    result = ok("allocate", str(TOY), "--set", "tiers.national.method=hare", "--set", "ties=lot",
                "--seed", "3",
                "--by", "tier", "--format", "csv")
    assert "note: district national/N, seat 3: tie between L, M" in result.stderr
    assert "seed 3" in result.stderr


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["allocate", "ve-2020-a"], r"^Error: unknown rule set 've-2020-a' \(did you mean 've-2020-an'"),
        (["allocate", "nowhere/ruleset.toml"],
         r"^Error: rule set file 'nowhere/ruleset\.toml' does not exist"),
    ],
)
def test_errors_are_one_line(args: list[str], pattern: str) -> None:
    one_line_error(run(*args), pattern)


def test_bad_vote_table_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "votes.csv"
    path.write_text("tier,district,option,votes\nstate-list,S9,A,1\n", encoding="utf-8")
    one_line_error(run("allocate", str(TOY), "--votes", str(path)),
                   r"^Error: .*votes\.csv, line 2: unknown district 'S9' in tier 'state-list'")


def test_missing_default_table_is_one_line(toy: Path) -> None:
    (toy.parent / "votes.csv").unlink()
    one_line_error(run("allocate", str(toy)),
                   r"default vote table .*votes\.csv.* does not exist; pass a vote table")


# ---------------------------------------------------------------- the shipped 2020 assembly


@pytest.mark.skipif(VE2020_VOTES is None or not VE2020_VOTES.exists(),
                    reason="fixtures/ve-2020-an/votes.csv (the 2020 reconstruction) is not committed yet")
def test_allocate_ve_2020_an() -> None:
    out = ok("allocate", "ve-2020-an").stdout
    assert out.startswith("Venezuela — National Assembly, 6 December 2020 (ve-2020-an): 277 seats")
    tiers = pl.read_csv(io.StringIO(ok("allocate", "ve-2020-an", "--by", "tier", "--format", "csv").stdout))
    assert dict(tiers.select("tier", "seats").iter_rows()) == {"nominal": 130, "state-list": 96,
                                                               "national-list": 48, "indigenous": 3}
    sl = pl.read_csv(io.StringIO(ok("allocate", "ve-2020-an", "--set", "tiers.state-list.method=sainte-lague",
                                    "--format", "csv").stdout))
    assert sl["seats"].sum() == 277


def test_output_never_overwrites_the_default_votes_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "rs").mkdir()
    (tmp_path / "data").mkdir()
    for src in TOY.iterdir():
        (tmp_path / ("data" if src.name == "votes.csv" else "rs") / src.name).write_bytes(src.read_bytes())
    toml = tmp_path / "rs" / "ruleset.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('default_votes = "votes.csv"', 'default_votes = "../data/votes.csv"'),
                    encoding="utf-8")
    votes = tmp_path / "data" / "votes.csv"
    before = votes.read_bytes()
    one_line_error(run("allocate", str(toml), "--format", "csv", "-o", str(votes)),
                   r"votes\.csv: refusing to overwrite an input file")
    assert votes.read_bytes() == before
    ok("allocate", str(toml), "--format", "csv", "-o", str(tmp_path / "data" / "seats.csv"))


def test_a_drawn_seed_is_recorded_and_replays() -> None:
    args = ["allocate", str(TOY), "--set", "tiers.national.method=hare", "--set", "ties=lot",
            "--by", "option", "--format", "csv"]
    first = pl.read_csv(io.StringIO(ok(*args).stdout))
    (seed,) = set(first["seed"].to_list())
    again = ok(*args, "--seed", str(seed))
    assert pl.read_csv(io.StringIO(again.stdout)).equals(first)
    assert f"seed {seed}" in again.stderr
    assert "seed" not in pl.read_csv(io.StringIO(ok("allocate", str(TOY), "--format", "csv").stdout)).columns
    assert f"(ties by lot, seed {seed})" in ok(*args[:6], "--seed", str(seed)).stdout.splitlines()[0]
