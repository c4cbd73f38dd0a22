"""Loading rule sets (seats/rules/load.py): parsing, overrides, and every validation error.

Each broken rule set must fail when it is loaded, with an error that names the file and
the field (and, for a name, the close matches).
"""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

import seats
from seats.errors import RuleSetError
from seats.rules.load import build_ruleset, load_ruleset, resolve_default_votes

DATA = Path(__file__).resolve().parent / "data"
TOY = DATA / "toy" / "ruleset.toml"


def toy_doc() -> dict[str, Any]:
    with TOY.open("rb") as fh:
        return tomllib.load(fh)


def write_toy(tmp_path: Path, edit: Any = None, text: str | None = None) -> Path:
    """A copy of the toy rule set in ``tmp_path`` (CSV tables and votes included), optionally edited."""
    for src in (DATA / "toy").iterdir():
        (tmp_path / src.name).write_bytes(src.read_bytes())
    path = tmp_path / "ruleset.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    elif edit is not None:
        original = TOY.read_text(encoding="utf-8")
        old, new = edit
        assert old in original, old
        path.write_text(original.replace(old, new, 1), encoding="utf-8")
    return path


def fails(path: Path, pattern: str, **overrides: Any) -> None:
    with pytest.raises(RuleSetError, match=pattern) as err:
        load_ruleset(path, overrides=overrides or None)
    assert str(path) in str(err.value), f"the error must name the file: {err.value}"


# ---------------------------------------------------------------- loading


def test_toy_loads_with_every_field() -> None:
    rs = load_ruleset(TOY)
    assert rs.id == "toy"
    assert rs.total_seats == 13
    assert rs.tier_ids == ("nominal", "state-list", "national", "reserved")
    assert [t.kind for t in rs.tiers] == ["nominal", "list", "derived", "reserved"]
    assert [t.seats for t in rs.tiers] == [4, 5, 3, 1]
    assert rs.tier("nominal").district("S1-1").parent == "S1"
    assert rs.tier("nominal").district("S1-1").basis == "synthetic"
    assert rs.tier("national").source == "state-list"
    assert rs.tier("reserved").results[0].alliance == "Others"
    assert rs.election_date is not None and rs.election_date.isoformat() == "2020-01-01"
    assert rs.default_votes == TOY.parent / "votes.csv"
    assert rs.path == TOY
    assert rs.links[0].kind == "parallel"


def test_load_by_folder_and_by_id() -> None:
    assert load_ruleset(TOY.parent).id == "toy"
    assert seats.load_ruleset("ve-2020-an").total_seats == 277


def test_unknown_id_lists_close_matches() -> None:
    with pytest.raises(RuleSetError, match=r"unknown rule set 've-2020-a' \(did you mean 've-2020-an'"):
        load_ruleset("ve-2020-a")


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError, match=r"nope\.toml' does not exist"):
        load_ruleset(tmp_path / "nope.toml")


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write_toy(tmp_path, text="id = \n")
    fails(path, r"not valid TOML")


def test_method_aliases_resolve_to_ids() -> None:
    doc = toy_doc()
    doc["tier"][1]["method"] = "Jefferson"
    rs = build_ruleset(doc, TOY)
    assert rs.tier("state-list").method == "dhondt"


def test_build_does_not_modify_the_document() -> None:
    doc = toy_doc()
    before = copy.deepcopy(doc)
    build_ruleset(doc, TOY, overrides={"tiers.state-list.method": "hare", "ties": "order"})
    assert doc == before


def test_thresholds_parse_exactly() -> None:
    for text, expected in (("5%", (1, 20)), ("1/20", (1, 20)), (0.05, (1, 20)), ("0.1", (1, 10))):
        rs = load_ruleset(TOY, overrides={"tiers.state-list.threshold": text})
        t = rs.tier("state-list").threshold
        assert t is not None and (t.numerator, t.denominator) == expected


# ---------------------------------------------------------------- overrides


def test_overrides_change_only_what_they_name() -> None:
    rs = load_ruleset(TOY, overrides={"tiers.state-list.method": "sainte-lague", "ties": "order"})
    base = load_ruleset(TOY)
    assert rs.tier("state-list").method == "sainte-lague"
    assert rs.ties == "order"
    assert rs.tier("national") == base.tier("national")
    assert rs.tier("nominal") == base.tier("nominal")


def test_cli_style_string_overrides_are_parsed() -> None:
    rs = load_ruleset(TOY, overrides={
        "tiers.state-list.districts.S1.seats": "4",
        "tiers.state-list.seats": "6",
        "total_seats": "14",
        "tiers.state-list.threshold": "5%",
    })
    assert rs.tier("state-list").district("S1").seats == 4
    assert rs.total_seats == 14


def test_link_override() -> None:
    rs = load_ruleset(TOY, overrides={"links.0.kind": "parallel", "links.0.level": "alliance"})
    assert rs.links[0].level == "alliance"


@pytest.mark.parametrize(
    ("key", "pattern"),
    [
        ("tiers.nope.method", r"override 'tiers\.nope\.method': no tier 'nope'"),
        ("tiers.state-lst.method", r"no tier 'state-lst' \(did you mean 'state-list'"),
        ("tiers.state-list.metod", r"unknown tier field 'metod' \(did you mean 'method'"),
        ("tiers.state-list.districts.S9.seats", r"override names unknown district 'S9'"),
        ("tiers.state-list.districts.S1.name", r"only a district's seats can be overridden, not 'name'"),
        ("links.5.kind", r"override 'links\.5\.kind': no link number '5' \(there are 1\)"),
        ("links.0.knd", r"unknown link field 'knd' \(did you mean 'kind'"),
        ("total_seat", r"override 'total_seat' names no field of the rule set \(did you mean 'total_seats'"),
        ("foo.bar", r"override 'foo\.bar' names no field"),
    ],
)
def test_bad_override_keys_fail_naming_the_key(key: str, pattern: str) -> None:
    fails(TOY, pattern, **{key: "1"})


def test_district_override_without_totals_says_what_else_to_set() -> None:
    fails(TOY, r"tier 'state-list': the district magnitudes add up to 6, not the declared seats = 5 "
               r"\(after overriding S1; also set tiers\.state-list\.seats=6",
          **{"tiers.state-list.districts.S1.seats": 4})


def test_override_values_are_validated_like_the_file() -> None:
    fails(TOY, r"tier 'state-list' field 'method': .*'sainte-lagu'.*did you mean 'sainte-lague'",
          **{"tiers.state-list.method": "sainte-lagu"})
    fails(TOY, r"field 'ties': unknown tie policy 'coin'", ties="coin")
    fails(TOY, r"field 'total_seats': expected a whole number, got 'many'", total_seats="many")


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("old", "new", "pattern"),
    [
        ("total_seats = 13", "total_seats = 12",
         r"total_seats = 12 but the tiers add up to 13 "
         r"\(nominal 4 \+ state-list 5 \+ national 3 \+ reserved 1\)"),
        ('method = "block"\nseats = 4', 'method = "block"\nseats = 5',
         r"tier 'nominal': the district magnitudes add up to 4, not the declared seats = 5"),
        ('method = "dhondt"\nseats = 5', 'method = "dhont"\nseats = 5',
         r"tier 'state-list' field 'method': .*'dhont'.*did you mean 'dhondt'"),
        ('method = "block"\nseats = 4', 'method = "plurality"\nseats = 4',
         r"tier 'nominal' field 'method': plurality fills one seat, but district 'S1-1' elects 2; "
         r"use 'block'"),
        ('kind = "list"', 'kind = "lists"',
         r"tier 'state-list' field 'kind': 'lists' is not one of nominal, list"),
        ('source = "state-list"', 'source = "state-lists"',
         r"tier 'national' field 'source': unknown tier 'state-lists' \(did you mean 'state-list'"),
        ('id = "toy"', 'id = "toy"\ntotal_seat = 3',
         r"unknown field 'total_seat' \(did you mean 'total_seats'"),
        ('kind = "nominal"', 'kind = "nominal"\nmetod = "x"', r"tier 'nominal': unknown field 'metod'"),
        ('kind = "parallel"', 'kind = "parallel"\nlevl = "party"', r"link 0: unknown field 'levl'"),
        ('kind = "parallel"', 'kind = "paralel"', r"link 0 field 'kind': 'paralel' is not one of parallel"),
        ('tiers = ["nominal", "state-list", "national", "reserved"]', 'tiers = ["nominal", "list"]',
         r"link 0: unknown tier 'list'"),
        ('ties = "error"', 'ties = "flip"', r"field 'ties': unknown tie policy 'flip'"),
        ('election_date = 2020-01-01', 'election_date = "Jan 2020"',
         r"field 'election_date': 'Jan 2020' is not"),
        ('kind = "derived"\nsource = "state-list"', 'kind = "list"\nsource = "state-list"',
         r"tier 'national': only a derived tier takes 'source'"),
        ('kind = "derived"\nsource = "state-list"', 'kind = "derived"',
         r"tier 'national': a derived tier needs 'source'"),
        ('source = "state-list"', 'source = "reserved"',
         r"tier 'national' field 'source': tier 'reserved' has its seats given as results"),
        ('source = "state-list"', 'source = "national"', r"cycle: national -> national"),
        ('seats = 1\ndistricts = [{ id = "R", seats = 1 }]',
         'seats = 2\ndistricts = [{ id = "R", seats = 2 }]',
         r"tier 'reserved': results give 1 seats in 'R', which elects 2"),
        ('results = [{ district = "R"', 'results = [{ district = "Q"', r"results name unknown district 'Q'"),
        ('kind = "reserved"', 'kind = "list"', r"field 'results': only a reserved tier has its seats given"),
        ('method = "dhondt"\nseats = 5', 'method = "dhondt"\nseats = 5\noptions = { overflow = "error" }',
         r"method 'dhondt' does not take option 'overflow'"),
        ('method = "dhondt"\nseats = 5', 'method = "dhondt"\nseats = 5\noptions = { ties = "lot" }',
         r"does not take option 'ties'.*the rule set sets this one itself"),
        ('method = "dhondt"\nseats = 5', 'method = "dhondt"\nseats = 5\nthreshold = "12 percent"',
         r"tier 'state-list' field 'threshold': threshold must be a number or fraction, got '12 percent'"),
        ('method = "dhondt"\nseats = 5', 'method = "dhondt"\nseats = 5\nthreshold_scope = "nation"',
         r"field 'threshold_scope': 'nation' is not 'district' or 'tier'"),
        ('method = "dhondt"\nseats = 5', 'method = "dhondt"\nseats = 5\nthreshold_level = "card"',
         r"field 'threshold_level': 'card' is not option, party or alliance"),
        ('districts = "states.csv"', 'districts = "stats.csv"',
         r"tier 'state-list': file '.*stats\.csv' does not exist"),
        ('districts = "states.csv"', 'districts = 3',
         r"'districts' must be a CSV file name or a list of tables"),
    ],
)
def test_broken_rule_sets_fail_at_load_naming_file_and_field(tmp_path: Path, old: str, new: str,
                                                             pattern: str) -> None:
    fails(write_toy(tmp_path, (old, new)), pattern)


def test_required_fields(tmp_path: Path) -> None:
    fails(write_toy(tmp_path, text='id = "x"\n'), r"field 'total_seats' is required")
    fails(write_toy(tmp_path, text="total_seats = 1\n"), r"field 'id' is required")
    fails(write_toy(tmp_path, text='id = "x"\ntotal_seats = 1\n'), r"at least one \[\[tier\]\] is required")
    fails(write_toy(tmp_path, text='id = "x"\ntotal_seats = 1\n[[tier]]\nid = "t"\ndistricts = []\n'),
          r"tier 't': field 'method' is required")


def test_tier_defined_twice(tmp_path: Path) -> None:
    text = TOY.read_text(encoding="utf-8").replace('id = "national"', 'id = "state-list"')
    fails(write_toy(tmp_path, text=text), r"tier 'state-list' defined twice")


# ---------------------------------------------------------------- district tables (CSV and inline)


@pytest.mark.parametrize(
    ("table", "pattern"),
    [
        ("id,seats\nS1,3\nS2,x\n",
         r"tier 'state-list' states\.csv line 3 field 'seats': expected a whole number, got 'x'"),
        ("id,seats\nS1,3\nS2,-2\n", r"states\.csv line 3 field 'seats': must not be negative, got -2"),
        ("id,seats\nS1,3\nS2,2.5\n",
         r"states\.csv line 3 field 'seats': expected a whole number, got '2\.5'"),
        ("id,seats\nS1,3\nS2,\n", r"states\.csv line 3 field 'seats': expected a whole number, got ''"),
        ("id,seats\nS1,3\nS1,2\n", r"states\.csv line 3: district 'S1' listed twice"),
        ("id,seats\nS1,3\n,2\n", r"states\.csv line 3: district without an id"),
        ("id,seats\nS1,3\nS2,2,extra\n", r"states\.csv: a row has more cells than the header"),
        ("id,seats,basis\nS1,3,sourced\nS2,2,guessed\n",
         r"states\.csv line 3: basis 'guessed' is not one of"),
        ("name,seats\nState 1,3\nState 2,2\n", r"states\.csv line 2: district without an id"),
    ],
)
def test_bad_csv_district_tables(tmp_path: Path, table: str, pattern: str) -> None:
    path = write_toy(tmp_path)
    (tmp_path / "states.csv").write_text(table, encoding="utf-8")
    fails(path, pattern)


def test_district_table_not_utf8(tmp_path: Path) -> None:
    path = write_toy(tmp_path)
    (tmp_path / "states.csv").write_bytes("id,name,seats\nS1,Bolívar,3\nS2,x,2\n".encode("utf-16"))
    fails(path, r"states\.csv' is not UTF-8")


def test_inline_district_errors_say_entry(tmp_path: Path) -> None:
    path = write_toy(tmp_path, ('{ id = "N", name = "Nation", seats = 3 }', '{ id = "N", seats = "three" }'))
    fails(path, r"tier 'national' districts entry 1 field 'seats': expected a whole number, got 'three'")


# ---------------------------------------------------------------- links


MMP = """
id = "mmp"
total_seats = 7
[[tier]]
id = "nominal"
kind = "nominal"
method = "plurality"
districts = [{ id = "C1", seats = 1, parent = "S1" }, { id = "C2", seats = 1, parent = "S1" },
             { id = "C3", seats = 1, parent = "S2" }]
[[tier]]
id = "list"
kind = "list"
method = "dhondt"
districts = [{ id = "S1", seats = 2 }, { id = "S2", seats = 2 }]
[[link]]
kind = "subtract"
upper = "list"
lower = "nominal"
"""


def test_links_load(tmp_path: Path) -> None:
    path = tmp_path / "ruleset.toml"
    path.write_text(MMP, encoding="utf-8")
    rs = load_ruleset(path)
    assert rs.links[0].kind == "subtract" and rs.links[0].upper == "list" and rs.links[0].level == "party"
    rs = load_ruleset(path, overrides={"links.0.kind": "additional-member", "links.0.level": "alliance"})
    assert (rs.links[0].kind, rs.links[0].level) == ("additional-member", "alliance")


@pytest.mark.parametrize(
    ("old", "new", "pattern"),
    [
        ('parent = "S2"', 'parent = "S3"',
         r"link 0: district 'C3' of tier 'nominal' has parent 'S3', which is not a district of tier 'list'"),
        ('upper = "list"', 'upper = "lists"', r"link 0: unknown tier 'lists' \(did you mean 'list'"),
        ('upper = "list"\n', "", r"link 0: a subtract link needs 'upper' \(the list tier\) and 'lower'"),
        ('upper = "list"', 'upper = "nominal"', r"link 0: tier 'nominal' cannot be linked to itself"),
        ('kind = "subtract"', 'kind = "additional-member"\nlevel = "card"',
         r"link 0 field 'level': 'card' is not"),
        ('kind = "subtract"', 'kind = "subtract"\noverhang = "drop"', r"field 'overhang': only 'reallocate'"),
        ('lower = "nominal"',
         'lower = "nominal"\n[[link]]\nkind = "subtract"\nupper = "list"\nlower = "nominal"',
         r"link 1: tier 'list' is already the upper tier of link 0"),
    ],
)
def test_bad_links(tmp_path: Path, old: str, new: str, pattern: str) -> None:
    path = tmp_path / "ruleset.toml"
    assert old in MMP
    path.write_text(MMP.replace(old, new, 1), encoding="utf-8")
    fails(path, pattern)


def test_additional_member_needs_a_divisor_method(tmp_path: Path) -> None:
    path = tmp_path / "ruleset.toml"
    path.write_text(MMP.replace('kind = "subtract"', 'kind = "additional-member"'), encoding="utf-8")
    fails(path, r"link 0: the upper tier of an additional-member link must use a divisor method; "
                r"tier 'list' uses 'hare'", **{"tiers.list.method": "hare"})
    assert load_ruleset(path, overrides={"links.0.kind": "subtract", "tiers.list.method": "hare"}).links


CYCLE = """
id = "cyc"
total_seats = 3
[[tier]]
id = "a"
method = "dhondt"
districts = [{ id = "N", seats = 1 }]
[[tier]]
id = "b"
method = "dhondt"
districts = [{ id = "N", seats = 1 }]
[[tier]]
id = "c"
kind = "derived"
source = "a"
method = "dhondt"
districts = [{ id = "N", seats = 1 }]
[[link]]
kind = "subtract"
upper = "a"
lower = "b"
"""


def test_link_cycles_are_found_at_load(tmp_path: Path) -> None:
    path = tmp_path / "ruleset.toml"
    back = '[[link]]\nkind = "additional-member"\nupper = "b"\nlower = "a"\n'
    path.write_text(CYCLE + back, encoding="utf-8")
    fails(path, r"tiers depend on each other in a cycle: a -> b -> a")
    path.write_text(CYCLE.replace('lower = "b"', 'lower = "c"'), encoding="utf-8")
    fails(path, r"tiers depend on each other in a cycle: a -> c -> a")
    path.write_text(CYCLE, encoding="utf-8")
    assert load_ruleset(path).links[0].upper == "a"


def test_derived_cycle_through_two_tiers(tmp_path: Path) -> None:
    text = """
id = "cyc"
total_seats = 2
[[tier]]
id = "a"
kind = "derived"
source = "b"
method = "dhondt"
districts = [{ id = "N", seats = 1 }]
[[tier]]
id = "b"
kind = "derived"
source = "a"
method = "dhondt"
districts = [{ id = "N", seats = 1 }]
"""
    path = tmp_path / "ruleset.toml"
    path.write_text(text, encoding="utf-8")
    fails(path, r"cycle: a -> b -> a")


def test_derived_per_parent_needs_every_source_district_placed(tmp_path: Path) -> None:
    text = """
id = "regions"
total_seats = 4
[[tier]]
id = "states"
method = "dhondt"
districts = [{ id = "S1", seats = 1, parent = "R1" }, { id = "S2", seats = 1, parent = "R9" }]
[[tier]]
id = "regions"
kind = "derived"
source = "states"
method = "dhondt"
districts = [{ id = "R1", seats = 1 }, { id = "R2", seats = 1 }]
"""
    path = tmp_path / "ruleset.toml"
    path.write_text(text, encoding="utf-8")
    fails(path, r"tier 'regions' sums tier 'states' by parent district, but 'S2' has parent 'R9'")


# ---------------------------------------------------------------- default votes in both layouts


def test_default_votes_relative_to_the_rule_set() -> None:
    assert resolve_default_votes("votes.csv", TOY) == TOY.parent / "votes.csv"
    assert resolve_default_votes(None, TOY) is None
    assert resolve_default_votes(str(TOY.parent / "votes.csv"), None) == TOY.parent / "votes.csv"


def _fake_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed layout: seats/_rulesets/<id>/ and seats/_fixtures/<id>/ (no top-level fixtures/)."""
    site = tmp_path / "site-packages" / "seats"
    rules, fixtures = site / "_rulesets", site / "_fixtures"
    folder = rules / "toy"
    folder.mkdir(parents=True)
    for src in (DATA / "toy").iterdir():
        if src.name != "votes.csv":
            (folder / src.name).write_bytes(src.read_bytes())
    text = (DATA / "toy" / "ruleset.toml").read_text(encoding="utf-8")
    (folder / "ruleset.toml").write_text(
        text.replace('default_votes = "votes.csv"', 'default_votes = "../../fixtures/toy/votes.csv"'),
        encoding="utf-8")
    (fixtures / "toy").mkdir(parents=True)
    (fixtures / "toy" / "votes.csv").write_bytes((DATA / "toy" / "votes.csv").read_bytes())
    monkeypatch.setattr("seats.rules.load.shipped_dir", lambda: rules)
    monkeypatch.setattr("seats.rules.load.shipped_fixtures", lambda: fixtures)
    return site


def test_default_votes_in_an_installed_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = _fake_site(tmp_path, monkeypatch)
    rs = load_ruleset("toy")  # found among the (fake) shipped rule sets
    assert rs.default_votes == site / "_fixtures" / "toy" / "votes.csv"
    assert not (site / "fixtures").exists()
    assert rs.allocate().total == 13


def test_installed_fallback_only_for_shipped_rule_sets(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    site = _fake_site(tmp_path, monkeypatch)
    elsewhere = tmp_path / "mine" / "toy"
    elsewhere.mkdir(parents=True)
    for src in (site / "_rulesets" / "toy").iterdir():
        (elsewhere / src.name).write_bytes(src.read_bytes())
    rs = load_ruleset(elsewhere)
    assert rs.default_votes == (elsewhere / "../../fixtures/toy/votes.csv").resolve()
    with pytest.raises(RuleSetError, match=r"default vote table '.*fixtures/toy/votes\.csv' \(field "
                                           r"'default_votes' of .*ruleset\.toml\) does not exist"):
        rs.allocate()


def test_default_votes_fixtures_prefix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = _fake_site(tmp_path, monkeypatch)
    assert resolve_default_votes("fixtures:toy/votes.csv", None) == site / "_fixtures" / "toy" / "votes.csv"


def _package_data() -> dict[str, list[str]]:
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    with pyproject.open("rb") as fh:
        data: dict[str, list[str]] = tomllib.load(fh)["tool"]["setuptools"]["package-data"]
    return data


def _shipped_files(folder: Path, patterns: list[str]) -> set[Path]:
    return {p.resolve() for pattern in patterns for p in folder.glob(pattern) if p.is_file()}


def test_every_shipped_rule_set_file_and_default_table_goes_into_the_wheel() -> None:
    """pyproject's package-data (glob patterns, as setuptools reads them) covers what the rule sets use."""
    data = _package_data()
    root = Path(__file__).resolve().parents[2]
    ruleset_files = _shipped_files(root / "rulesets", data["seats._rulesets"])
    fixture_files = _shipped_files(root / "fixtures", data["seats._fixtures"])
    for info in seats.available_rulesets():
        if info.origin != "shipped":
            continue
        assert info.path.resolve() in ruleset_files
        doc = tomllib.loads(info.path.read_text(encoding="utf-8"))
        for tier in doc.get("tier", []):
            for key in ("districts", "results"):
                if isinstance(tier.get(key), str):
                    used = (info.path.parent / tier[key]).resolve()
                    assert used in ruleset_files, f"{info.id}: {used} would not be in the wheel"
        rs = load_ruleset(info.path)
        if rs.default_votes is not None and rs.default_votes.exists():
            assert rs.default_votes.resolve() in fixture_files, f"{info.id}: {rs.default_votes} not shipped"


def test_error_names_the_file_once_per_message(tmp_path: Path) -> None:
    path = write_toy(tmp_path, ("total_seats = 13", "total_seats = 12"))
    with pytest.raises(RuleSetError) as err:
        load_ruleset(path)
    assert len(re.findall(re.escape(str(path)), str(err.value))) == 1
