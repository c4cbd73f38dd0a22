"""Determinism: the same input gives byte-identical output, run after run and whatever the hash seed.

Every output of ``seats apportion`` and ``seats allocate`` (CSV, JSON, Parquet
and the text table, written with ``-o`` or printed) is produced twice in one
process and once more in each of two fresh interpreters with different
``PYTHONHASHSEED`` values, so that nothing may depend on set or dict-of-str
iteration order. With ``--ties lot`` the seed is part of the output, and
running again with that seed replays the draw exactly.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from seats.cli import main

DATA = Path(__file__).resolve().parent / "data" / "hardening"
RULESET = DATA / "ruleset.toml"

# Thirty parties with non-ASCII names (no ties: those are the --ties lot cases below).
NAMES = ["Táchira", "Mérida", "Ñandú", "Zulia", "Bolívar", "Lara"]
PARTIES = "party,votes\n" + "".join(f"{NAMES[k % 6]} {k},{981_000 - 31_337 * k}\n" for k in range(30))
TIED = "party,votes\nGPP,120\nAD,120\nPV,120\nMUD,60\n"


def tied_election() -> str:
    """The mini election with a tie for the nominal seat of VE-S-1."""
    return (
        (DATA / "votes.csv")
        .read_text(encoding="utf-8")
        .replace("Táchira AD,AD,AD,Alianza Democrática,40000", "Táchira AD,AD,AD,Alianza Democrática,61000")
    )


def commands(d: Path) -> dict[str, list[str]]:
    """Every command whose output is compared, keyed by the name its output is saved under."""
    out: dict[str, list[str]] = {}
    parties, tied, election = str(d / "parties.csv"), str(d / "tied.csv"), str(d / "tied-election.csv")
    for fmt, ext in (("csv", "csv"), ("json", "json"), ("parquet", "parquet"), ("table", "txt")):
        out[f"apportion.{ext}"] = [
            "apportion",
            "-s",
            "50",
            "-m",
            "sainte-lague",
            parties,
            "-o",
            str(d / f"o-a.{ext}"),
            "--format",
            fmt,
        ]
        out[f"apportion-lot.{ext}"] = [
            "apportion",
            "-s",
            "2",
            "--ties",
            "lot",
            "--seed",
            "11",
            tied,
            "-o",
            str(d / f"o-l.{ext}"),
            "--format",
            fmt,
        ]
        for by in ("alliance", "party", "option", "district", "tier"):
            out[f"allocate-{by}.{ext}"] = [
                "allocate",
                str(RULESET),
                "--by",
                by,
                "-o",
                str(d / f"o-{by}.{ext}"),
                "--format",
                fmt,
            ]
        out[f"allocate-lot.{ext}"] = [
            "allocate",
            str(RULESET),
            "--votes",
            election,
            "--set",
            "ties=lot",
            "--seed",
            "5",
            "--by",
            "option",
            "-o",
            str(d / f"o-al.{ext}"),
            "--format",
            fmt,
        ]
    for fmt in ("table", "csv", "json"):
        out[f"stdout-apportion-{fmt}"] = ["apportion", "-s", "50", "-m", "hare", parties, "--format", fmt]
        out[f"stdout-allocate-{fmt}"] = ["allocate", str(RULESET), "--by", "party", "--format", fmt]
    out["stdout-allocate-default"] = ["allocate", str(RULESET)]
    out["stdout-apportion-explain"] = ["apportion", "-s", "12", parties, "--explain"]
    out["stdout-allocate-explain"] = ["allocate", str(RULESET), "--explain"]
    return out


def run_all(d: Path) -> dict[str, bytes]:
    """Run every command in this process; return its output file's bytes, or stdout, by name."""
    (d / "parties.csv").write_text(PARTIES, encoding="utf-8")
    (d / "tied.csv").write_text(TIED, encoding="utf-8")
    (d / "tied-election.csv").write_text(tied_election(), encoding="utf-8")
    found: dict[str, bytes] = {}
    for name, args in commands(d).items():
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, (name, result.output)
        if "-o" in args:
            target = Path(args[args.index("-o") + 1])
            found[name] = target.read_bytes()
            target.unlink()
        else:
            found[name] = result.stdout_bytes
    return found


# A fresh interpreter runs run_all() and prints {name: hex bytes} as JSON.
SCRIPT = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from test_determinism import run_all
print(json.dumps({k: v.hex() for k, v in run_all(Path(sys.argv[2])).items()}))
"""


def test_same_process_twice_is_byte_identical(tmp_path: Path) -> None:
    (tmp_path / "1").mkdir()
    (tmp_path / "2").mkdir()
    first, second = run_all(tmp_path / "1"), run_all(tmp_path / "2")
    assert len(first) == len(commands(tmp_path)) >= 40
    assert first == second
    assert all(first.values())


def test_hash_seed_does_not_change_any_output(tmp_path: Path) -> None:
    here = str(Path(__file__).resolve().parent)
    outputs = []
    for hash_seed in ("0", "4242"):
        d = tmp_path / hash_seed
        d.mkdir()
        proc = subprocess.run(
            [sys.executable, "-c", SCRIPT, here, str(d)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert outputs[0] == outputs[1]
    (tmp_path / "here").mkdir()
    assert {k: v.hex() for k, v in run_all(tmp_path / "here").items()} == outputs[0]


# ---------------------------------------------------------------- the seed of a lot is in the output


def _frame(data: bytes, fmt: str) -> pl.DataFrame:
    if fmt == "parquet":
        return pl.read_parquet(io.BytesIO(data))
    if fmt == "json":
        return pl.DataFrame(json.loads(data))
    return pl.read_csv(io.BytesIO(data))


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_apportion_records_the_seed_in_every_format(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "tied.csv").write_text(TIED, encoding="utf-8")
    out = tmp_path / f"out.{fmt}"
    args = [
        "apportion",
        "-s",
        "2",
        "--ties",
        "lot",
        "--seed",
        "11",
        str(tmp_path / "tied.csv"),
        "-o",
        str(out),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    frame = _frame(out.read_bytes(), fmt)
    assert frame["seed"].to_list() == [11] * 4
    assert "lot with seed 11" in result.stderr


def test_apportion_table_names_the_seed(tmp_path: Path) -> None:
    (tmp_path / "tied.csv").write_text(TIED, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["apportion", "-s", "2", "--ties", "lot", "--seed", "11", str(tmp_path / "tied.csv")]
    )
    assert result.exit_code == 0
    assert "(ties by lot, seed 11)" in result.stdout.splitlines()[0]
    assert result.stdout.splitlines()[1].split()[-1] == "seed"


def test_a_drawn_seed_is_recorded_and_replays_the_draw(tmp_path: Path) -> None:
    """Without --seed one is drawn; the output names it, and --seed with it gives the same bytes."""
    (tmp_path / "tied.csv").write_text(TIED, encoding="utf-8")
    base = ["apportion", "-s", "1", "--ties", "lot", str(tmp_path / "tied.csv"), "--format", "csv"]
    seen = set()
    for _ in range(8):
        drawn = CliRunner().invoke(main, base)
        assert drawn.exit_code == 0
        seed = pl.read_csv(io.StringIO(drawn.stdout))["seed"].unique().to_list()
        assert len(seed) == 1 and isinstance(seed[0], int)
        replay = CliRunner().invoke(main, [*base, "--seed", str(seed[0])])
        assert replay.stdout == drawn.stdout
        seen.add(seed[0])
    assert len(seen) > 1  # the seeds really are drawn


def test_different_seeds_can_draw_differently(tmp_path: Path) -> None:
    (tmp_path / "tied.csv").write_text(TIED, encoding="utf-8")
    winners = set()
    for seed in range(12):
        result = CliRunner().invoke(
            main,
            [
                "apportion",
                "-s",
                "1",
                "--ties",
                "lot",
                "--seed",
                str(seed),
                str(tmp_path / "tied.csv"),
                "--format",
                "csv",
            ],
        )
        frame = pl.read_csv(io.StringIO(result.stdout))
        winners.add(frame.filter(pl.col("seats") == 1)["party"].item())
    assert winners <= {"GPP", "AD", "PV"} and len(winners) > 1


def test_no_seed_column_without_a_lot(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text(PARTIES, encoding="utf-8")
    result = CliRunner().invoke(main, ["apportion", "-s", "9", str(tmp_path / "p.csv"), "--format", "csv"])
    assert pl.read_csv(io.StringIO(result.stdout)).columns == [
        "party",
        "votes",
        "seats",
        "vote_share",
        "seat_share",
    ]


def test_allocate_records_the_seed(tmp_path: Path) -> None:
    (tmp_path / "tied-election.csv").write_text(tied_election(), encoding="utf-8")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        main,
        [
            "allocate",
            str(RULESET),
            "--votes",
            str(tmp_path / "tied-election.csv"),
            "--set",
            "ties=lot",
            "--seed",
            "5",
            "--by",
            "option",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "lot with seed 5" in result.stderr  # the tie did happen and was drawn
    assert pl.read_csv(out)["seed"].to_list() == [5] * pl.read_csv(out).height
