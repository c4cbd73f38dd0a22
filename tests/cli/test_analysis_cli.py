"""``seats margins``, ``seats indices`` and ``seats compare``: thin layers over seats.analysis."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

import seats
from seats.analysis.indices import indices
from seats.analysis.margins import seat_margins
from seats.cli import main

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "ve-2020-an" / "votes.csv"

PARTY_VOTES = "party,votes\nA,100000\nB,80000\nC,30000\nD,20000\n"


@pytest.fixture
def toy(toy_assembly: Path) -> Path:
    (toy_assembly / "parties.csv").write_text(PARTY_VOTES, encoding="utf-8")
    return toy_assembly


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    err = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        err += f"unexpected {result.exception!r}"  # shown by the failing assertion
    return result.exit_code, result.stdout, err


def csv(text: str) -> pl.DataFrame:
    return pl.read_csv(io.StringIO(text))


# ------------------------------------------------------------------ margins

def test_margins_table_shows_the_most_fragile(toy: Path) -> None:
    rs = toy / "ruleset.toml"
    code, out, err = run("margins", str(rs), "--votes", str(toy / "votes.csv"), "--top", "2")
    assert code == 0, err
    assert "Toy assembly (toy): seat margins, the 2 most fragile of" in out
    expected = seat_margins(seats.load_ruleset(rs).allocate(toy / "votes.csv")).most_fragile(2)
    lines = out.splitlines()
    assert expected[0].holder in lines[3] and expected[1].holder in lines[4]


def test_margins_csv_every_seat(toy: Path) -> None:
    rs = toy / "ruleset.toml"
    code, out, err = run("margins", str(rs), "--votes", str(toy / "votes.csv"), "--all", "--format", "csv")
    assert code == 0, err
    frame = csv(out)
    expected = seat_margins(seats.load_ruleset(rs).allocate(toy / "votes.csv")).to_polars()
    assert frame["holder"].to_list() == expected["holder"].to_list()
    assert frame["transfer"].to_list() == expected["transfer"].to_list()
    code, out, _ = run("margins", str(rs), "--votes", str(toy / "votes.csv"), "--all", "--tier", "list",
                       "--format", "csv")
    assert code == 0 and set(csv(out)["tier"].to_list()) == {"list"}
    # one row per seat: the list tier has 5
    assert csv(out).height == 5
    code, out, _ = run("margins", str(rs), "--votes", str(toy / "votes.csv"), "--all", "--tier", "list",
                       "--depth", "1", "--format", "csv")
    assert code == 0 and csv(out)["rank"].to_list() == [1] * csv(out).height


def test_margins_single_table(toy: Path) -> None:
    code, out, err = run("margins", str(toy / "parties.csv"), "--seats", "8", "--method", "dhondt",
                         "--format", "json")
    assert code == 0, err
    import json

    rows = json.loads(out)
    # the hand-worked D'Hondt example of tests/analysis/test_margins.py: A's seat moves with 4000 votes
    assert (rows[0]["holder"], rows[0]["challenger"], rows[0]["transfer"]) == ("A", "D", 4000)


def test_margins_errors(toy: Path) -> None:
    code, _, err = run("margins", "no-such-ruleset")
    assert code == 1 and err.count("\n") == 1 and "no-such-ruleset" in err
    code, _, err = run("margins", "no-such-file.csv", "--seats", "3")
    assert code == 2 and "must be a vote file" in err
    code, _, err = run("margins", str(toy / "ruleset.toml"), "--votes", str(toy / "votes.csv"), "--tier", "x")
    assert code == 1 and "no tier 'x'" in err and "Traceback" not in err


# ------------------------------------------------------------------ indices

def test_indices_of_an_election(toy: Path) -> None:
    rs = toy / "ruleset.toml"
    code, out, err = run("indices", str(rs), "--votes", str(toy / "votes.csv"), "--format", "csv")
    assert code == 0, err
    assert "IND" in err  # the reserved seat has no votes: noted
    frame = csv(out)
    d = indices(seats.load_ruleset(rs).allocate(toy / "votes.csv"))
    assert frame["index"].to_list() == ["gallagher", "loosemore_hanby", "sainte_lague", "dhondt", "enp_votes",
                                        "enp_seats"]
    assert frame["exact"].to_list()[1] == str(d.loosemore_hanby)
    code, out, _ = run("indices", str(rs), "--votes", str(toy / "votes.csv"), "--level", "party",
                       "--seat-tier", "list", "--votes-tier", "list")
    assert code == 0 and "disproportionality per party" in out


def test_indices_single_table(toy: Path) -> None:
    code, out, err = run("indices", str(toy / "parties.csv"), "--seats", "8", "--format", "csv")
    assert code == 0, err
    # tests/analysis/test_indices.py works this one out by hand: LH = 425/46, D'Hondt index 23/20
    exact = dict(zip(csv(out)["index"].to_list(), csv(out)["exact"].to_list(), strict=True))
    assert (exact["loosemore_hanby"], exact["dhondt"]) == ("425/46", "23/20")


def test_indices_errors(toy: Path) -> None:
    rs = str(toy / "ruleset.toml")
    code, _, err = run("indices", rs, "--votes", str(toy / "votes.csv"), "--votes-tier", "nope")
    assert code == 1 and "votes_tier 'nope' is not a tier" in err


# ------------------------------------------------------------------ compare

def test_compare_table_and_frame(toy: Path, tmp_path: Path) -> None:
    rs = toy / "ruleset.toml"
    args = ["compare", str(rs), "--votes", str(toy / "votes.csv"), "--variant", "dhondt",
            "--variant", "sl:tiers.list.method=sainte-lague"]
    code, out, err = run(*args)
    assert code == 0, err
    assert "sl: sl:tiers.list.method=sainte-lague" in out and "gallagher" in out
    code, out, err = run(*args, "--format", "csv")
    assert code == 0, err
    frame = csv(out)
    assert frame["variant"].to_list() == ["dhondt", "sl"]
    assert frame["seats"].to_list() == [9, 9]
    target = tmp_path / "cmp.parquet"
    code, _, err = run(*args, "--format", "parquet", "--output", str(target))
    assert code == 0, err
    assert pl.read_parquet(target).height == 2


def test_compare_errors(toy: Path) -> None:
    rs = str(toy / "ruleset.toml")
    code, _, err = run("compare", rs, "--votes", str(toy / "votes.csv"), "--variant", "x:tiers.nope.method=y")
    assert code == 1 and "no tier 'nope'" in err and "Traceback" not in err
    code, _, err = run("compare", rs, "--votes", str(toy / "votes.csv"), "--variant", "x:broken")
    assert code == 1 and "expected KEY=VALUE" in err
    code, _, err = run("compare", rs)
    assert code == 2 and "--variant" in err


def test_ve_2020_an_commands() -> None:
    if not FIXTURE.exists():
        pytest.skip("fixtures/ve-2020-an/votes.csv is not in this checkout yet")
    code, out, err = run("margins", "ve-2020-an", "--top", "5", "--format", "csv")
    assert code == 0, err
    assert csv(out).height == 5
    sl = "sl:tiers.state-list.method=sainte-lague,tiers.national-list.method=sainte-lague"
    code, out, err = run("compare", "ve-2020-an", "--variant", "dhondt", "--variant", sl, "--format", "csv")
    assert code == 0, err
    assert csv(out)["seats"].to_list() == [277, 277]
