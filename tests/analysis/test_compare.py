"""Compare: one vote table under several rule sets or override sets, side by side."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import seats
from seats.analysis.compare import Comparison, Variant, compare, parse_variant
from seats.analysis.indices import INDEX_NAMES, indices
from seats.errors import RuleSetError, SeatsError

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "ve-2020-an" / "votes.csv"

TOY = """
id = "toy"
name = "Toy"
total_seats = 8

[[tier]]
id = "nominal"
kind = "nominal"
method = "plurality"
districts = [{id = "c1", seats = 1, parent = "S1"}, {id = "c2", seats = 1, parent = "S1"}]

[[tier]]
id = "list"
kind = "list"
method = "dhondt"
districts = [{id = "S1", seats = 6}]
"""

VOTES = """tier,district,option,party,alliance,votes
nominal,c1,x1,P,PA,500
nominal,c1,y1,Q,QA,400
nominal,c2,x2,P,PA,300
nominal,c2,y2,Q,QA,310
list,S1,P-list,P,PA,7000
list,S1,Q-list,Q,QA,2000
list,S1,R-list,R,RA,1000
"""


@pytest.fixture
def toy(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "ruleset.toml").write_text(TOY, encoding="utf-8")
    (tmp_path / "votes.csv").write_text(VOTES, encoding="utf-8")
    return tmp_path / "ruleset.toml", tmp_path / "votes.csv"


def test_parse_variant_forms() -> None:
    v = parse_variant("sl:tiers.list.method=sainte-lague, tiers.nominal.method=plurality")
    assert (v.label, dict(v.overrides), v.ruleset) == (
        "sl", {"tiers.list.method": "sainte-lague", "tiers.nominal.method": "plurality"}, None)
    assert parse_variant("official") == Variant("official", {}, None)
    other = parse_variant("alt@some/ruleset.toml:ties=lot")
    assert (other.label, other.ruleset) == ("alt", "some/ruleset.toml")
    assert dict(other.overrides) == {"ties": "lot"}
    bare = parse_variant("tiers.list.method=hare")
    assert (bare.label, dict(bare.overrides)) == ("tiers.list.method=hare", {"tiers.list.method": "hare"})
    assert parse_variant(v.describe()) == v


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty variant"),
        (":a=b", "has no label"),
        ("x@", "nothing after '@'"),
        ("x:", "nothing after ':'"),
        ("x:method", "expected KEY=VALUE, got 'method'"),
        ("x:a=1,a=2", "'a' is given twice"),
    ],
)
def test_parse_variant_errors(text: str, message: str) -> None:
    with pytest.raises(SeatsError, match=message):
        parse_variant(text)


def test_side_by_side(toy: tuple[Path, Path]) -> None:
    rs_path, votes = toy
    variants = ["dhondt", "sl:tiers.list.method=sainte-lague", "hare:tiers.list.method=hare"]
    cmp = compare(rs_path, variants, votes)
    assert isinstance(cmp, Comparison)
    # list S1, 6 seats on P 7000, Q 2000, R 1000:
    #   D'Hondt: 7000, 3500, 2333, Q 2000, 1750, 1400 -> P 5, Q 1, R 0 (next: Q 1000, R 1000)
    #   Sainte-Laguë: 14000, 4667, Q 4000, 2800, P 2000 and R 2000 -> P 4, Q 1, R 1 (next: P 1556)
    #   Hare: quota 10000/6; shares 4.2, 1.2, 0.6 -> P 4, Q 1, R 1
    # nominal: x1 (PA) and y2 (QA) in every variant
    frame = cmp.seats()
    assert frame.columns == ["alliance", "dhondt", "sl", "hare"]
    assert frame.rows() == [("PA", 6, 5, 5), ("QA", 2, 2, 2), ("RA", 0, 1, 1)]
    idx = cmp.index_table()
    assert idx["index"].to_list() == list(INDEX_NAMES)
    for label, res in zip(cmp.labels, cmp.results, strict=True):
        d = indices(res)
        assert idx[label].to_list() == [d.value(n) for n in INDEX_NAMES]
    wide = cmp.to_polars()
    assert wide["variant"].to_list() == ["dhondt", "sl", "hare"]
    assert wide["overrides"].to_list() == ["", "tiers.list.method=sainte-lague", "tiers.list.method=hare"]
    assert wide["seats"].to_list() == [8, 8, 8]
    assert set(frame["alliance"].to_list()) <= set(wide.columns)
    assert wide.schema["gallagher"] == pl.Float64
    out = cmp.to_dict()
    assert [v["label"] for v in out["variants"]] == ["dhondt", "sl", "hare"]


def test_party_level_and_other_ruleset(toy: tuple[Path, Path], tmp_path: Path) -> None:
    rs_path, votes = toy
    other = tmp_path / "other.toml"
    text = TOY.replace('id = "toy"', 'id = "toy-lr"').replace('method = "dhondt"', 'method = "hare"')
    other.write_text(text, encoding="utf-8")
    cmp = compare(seats.load_ruleset(rs_path), ["base", f"lr@{other}"], votes, level="party")
    assert cmp.seats().columns == ["party", "base", "lr"]
    assert [rs.id for rs in cmp.rulesets] == ["toy", "toy-lr"]
    same = compare(rs_path, [f"lr@{other}", "again:tiers.list.method=hare"], votes, level="party")
    assert same.seats()["lr"].to_list() == same.seats()["again"].to_list()


def test_errors(toy: tuple[Path, Path]) -> None:
    rs_path, votes = toy
    with pytest.raises(SeatsError, match="label 'a' is used twice"):
        compare(rs_path, ["a", "a:tiers.list.method=hare"], votes)
    with pytest.raises(SeatsError, match="reserved for a column"):
        compare(rs_path, ["alliance"], votes)
    with pytest.raises(SeatsError, match="nothing to compare"):
        compare(rs_path, [], votes)
    with pytest.raises(SeatsError, match="unknown level 'tier'"):
        compare(rs_path, ["a"], votes, level="tier")
    with pytest.raises(RuleSetError):
        compare(rs_path, ["bad:tiers.list.method=nope"], votes)
    rs = seats.load_ruleset(rs_path)
    from dataclasses import replace

    with pytest.raises(SeatsError, match="has no file to re-read"):
        compare(replace(rs, path=None), ["x:tiers.list.method=hare"], votes)


def test_ve_2020_an_methods() -> None:
    if not FIXTURE.exists():
        pytest.skip("fixtures/ve-2020-an/votes.csv is not in this checkout yet")
    cmp = compare("ve-2020-an", [
        "dhondt", "sl:tiers.state-list.method=sainte-lague,tiers.national-list.method=sainte-lague"])
    frame = cmp.seats()
    assert frame["dhondt"].sum() == frame["sl"].sum() == 277
    official = seats.load_ruleset("ve-2020-an").allocate().by("alliance")
    assert dict(zip(official["alliance"], official["seats"], strict=True)) == dict(
        zip(frame["alliance"], frame["dhondt"], strict=True))
    # Sainte-Laguë is kinder to the smaller lists: less disproportional by every index
    d, sl = cmp.indices
    assert sl.gallagher < d.gallagher and sl.loosemore_hanby < d.loosemore_hanby
