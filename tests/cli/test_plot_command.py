"""``seats plot hemicycle`` and ``seats plot votes`` (seats/cli/plot.py), through click's test runner.

Named test_plot_command.py, not test_plot.py: pytest (no __init__.py in tests/) cannot collect two
test modules of the same name, and tests/analysis/test_plot.py tests seats/analysis/plot.py.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import seats
from seats.analysis.plot import hemicycle_svg
from seats.cli import main

TOY = Path(__file__).resolve().parents[1] / "rules" / "data" / "toy"
VOTES_2020 = Path(__file__).resolve().parents[2] / "fixtures" / "ve-2020-an" / "votes.csv"
SVG = "{http://www.w3.org/2000/svg}"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def ok(*args: str) -> Result:
    result = run(*args)
    assert result.exit_code == 0, result.output + result.stderr
    return result


def one_line_error(result: Result, pattern: str, code: int = 1) -> None:
    assert result.exit_code == code, result.stdout
    assert "Traceback" not in result.output + result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert re.search(pattern, lines[-1]), lines


def seat_alliances(svg: str) -> Counter[str]:
    root = ET.fromstring(svg)
    return Counter(c.get("data-alliance", "") for c in root.iter(f"{SVG}circle")
                   if "seat" in c.get("class", "").split())


def test_hemicycle_to_stdout_matches_the_library() -> None:
    result = ok("plot", "hemicycle", str(TOY))
    expected = seats.load_ruleset(TOY).allocate()
    assert result.stdout == hemicycle_svg(expected)
    assert sum(seat_alliances(result.stdout).values()) == expected.total


def test_hemicycle_to_a_file_is_byte_identical_on_rerun(tmp_path: Path) -> None:
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    ok("plot", "hemicycle", str(TOY), "-o", str(first), "--title", "Toy")
    ok("plot", "hemicycle", str(TOY), "--output", str(second), "--title", "Toy")
    assert first.read_bytes() == second.read_bytes()
    assert b"<title>Toy</title>" in first.read_bytes()


def test_options_reach_the_picture() -> None:
    result = ok("plot", "hemicycle", str(TOY), "--level", "party", "--color", "X=#010203")
    by_party = seats.load_ruleset(TOY).allocate().by("party")
    pairs = zip(by_party["party"].to_list(), by_party["seats"].to_list(), strict=True)
    expected = {p: n for p, n in pairs if n}
    assert seat_alliances(result.stdout) == Counter(expected)
    overridden = ok("plot", "hemicycle", str(TOY), "--set", "tiers.state-list.method=sainte-lague").stdout
    changed = seats.load_ruleset(TOY, overrides={"tiers.state-list.method": "sainte-lague"}).allocate()
    assert overridden == hemicycle_svg(changed)


def test_votes_chart(tmp_path: Path) -> None:
    target = tmp_path / "sv.svg"
    ok("plot", "votes", str(TOY), "-o", str(target), "--tier", "state-list")
    root = ET.parse(target).getroot()
    assert [x for x in root.iter(f"{SVG}line") if x.get("class") == "diagonal"]
    assert [c for c in root.iter(f"{SVG}circle") if c.get("class") == "point"]


def test_refuses_to_write_over_an_input() -> None:
    votes = TOY / "votes.csv"
    before = votes.read_bytes()
    result = run("plot", "hemicycle", str(TOY), "-o", str(votes))
    one_line_error(result, r"refusing to overwrite an input file")
    assert votes.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "pattern", "code"),
    [
        (("plot", "hemicycle", "no-such-ruleset"), r"no-such-ruleset", 1),
        (("plot", "votes", str(TOY), "--tier", "nope"), r"no tier 'nope'", 1),
        (("plot", "hemicycle", str(TOY), "--color", "nocolour"), r"expected GROUP=COLOR", 2),
    ],
)
def test_errors_are_one_line(args: tuple[str, ...], pattern: str, code: int) -> None:
    one_line_error(run(*args), pattern, code)


def test_ve_2020_an(tmp_path: Path) -> None:
    if not VOTES_2020.exists():
        pytest.skip("fixtures/ve-2020-an/votes.csv is not built yet")
    target = tmp_path / "an2020.svg"
    ok("plot", "hemicycle", "ve-2020-an", "-o", str(target))
    counts = seat_alliances(target.read_text(encoding="utf-8"))
    assert sum(counts.values()) == 277
    by = seats.load_ruleset("ve-2020-an").allocate().by("alliance")
    pairs = zip(by["alliance"].to_list(), by["seats"].to_list(), strict=True)
    assert counts == Counter({a: n for a, n in pairs if n})
    sv = tmp_path / "sv.svg"
    ok("plot", "votes", "ve-2020-an", "-o", str(sv))
    assert "state-list votes" in sv.read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", ["hemicycle", "votes"])
def test_same_bytes_whatever_the_hash_seed(kind: str) -> None:
    import os
    import subprocess
    import sys

    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, "-c", "from seats.cli import main; main()", "plot", kind, str(TOY)]
        done = subprocess.run(command, env=env, capture_output=True, check=True)
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0] == ok("plot", kind, str(TOY)).stdout.encode("utf-8")
