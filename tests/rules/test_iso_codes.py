"""State ids are real ISO 3166-2:VE codes, each the code of the state its row names.

Every shipped rule set keys its states, circuits (``VE-V-1``), municipalities (``VE-V-maracaibo``) and
per-state sectors (``communes-VE-V``) by the ISO 3166-2 code of the state. Two of those codes were wrong
until the ids were corrected (La Guaira/Vargas carried ``VE-W``, the Federal Dependencies' code, and
Amazonas ``VE-X``, La Guaira's), taken from the zokeber/venezuela-json geography. These tests read the
code from every row's id and the state from the row's name, and check them against the ISO table below.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

import polars as pl
import pytest

import seats
from seats.rules.load import available_rulesets
from seats.rules.model import District, RuleSet

ROOT = Path(__file__).resolve().parents[2]

# ISO 3166-2:VE, the 25 subdivision codes and their names: ISO Online Browsing Platform,
# https://www.iso.org/obp/ui/#iso:code:3166:VE, as published in Debian's iso-codes 4.15.0
# (data/iso_3166-2.json, https://salsa.debian.org/iso-codes-team/iso-codes).
ISO_3166_2_VE = {
    "VE-A": "Distrito Capital",
    "VE-B": "Anzoátegui",
    "VE-C": "Apure",
    "VE-D": "Aragua",
    "VE-E": "Barinas",
    "VE-F": "Bolívar",
    "VE-G": "Carabobo",
    "VE-H": "Cojedes",
    "VE-I": "Falcón",
    "VE-J": "Guárico",
    "VE-K": "Lara",
    "VE-L": "Mérida",
    "VE-M": "Miranda",
    "VE-N": "Monagas",
    "VE-O": "Nueva Esparta",
    "VE-P": "Portuguesa",
    "VE-R": "Sucre",
    "VE-S": "Táchira",
    "VE-T": "Trujillo",
    "VE-U": "Yaracuy",
    "VE-V": "Zulia",
    "VE-W": "Dependencias Federales",
    "VE-X": "La Guaira",
    "VE-Y": "Delta Amacuro",
    "VE-Z": "Amazonas",
}
# Vargas is La Guaira's former name, the one the 2015 and 2017 sources use.
FORMER_NAMES = {"VE-X": ("Vargas",)}
# The Federal Dependencies (islands) elect no one of their own: no district carries their code.
ELECTING = frozenset(ISO_3166_2_VE) - {"VE-W"}

CODE = r"VE-[A-Z]"
SHAPES = (  # id shape -> how the row's name names its state
    (re.compile(rf"(?P<code>{CODE})"), re.compile(r"(?P<state>.+)")),
    (re.compile(rf"(?P<code>{CODE})-\d+"), re.compile(r"(?P<state>.+) circuit \d+")),
    (re.compile(rf"(?P<code>{CODE})-[a-z0-9-]+"), re.compile(r".+ \((?P<state>[^()]+)\)")),
    (re.compile(rf"communes-(?P<code>{CODE})"), re.compile(r"Comunas y consejos comunales: (?P<state>.+)")),
)


def names_of(code: str) -> set[str]:
    """The names a row may give the state ``code``: its ISO name, a former name, or both as 'New (Old)'."""
    current = ISO_3166_2_VE[code]
    former = FORMER_NAMES.get(code, ())
    return {current, *former, *(f"{current} ({old})" for old in former)}


def state_of(district: District) -> tuple[str, str] | None:
    """The (code, state name) a district row stands for, or None if its id holds no state code."""
    for id_shape, name_shape in SHAPES:
        if (m := id_shape.fullmatch(district.id)) is not None:
            named = name_shape.fullmatch(district.name)
            assert named is not None, f"{district.id}: name {district.name!r} does not name a state"
            return m["code"], named["state"]
    assert not re.search(rf"\b{CODE}\b", district.id), f"{district.id}: a state code in an unknown id shape"
    return None


SHIPPED = sorted(info.id for info in available_rulesets() if info.origin == "shipped")


@cache
def load(ruleset_id: str) -> RuleSet:
    return seats.load_ruleset(ruleset_id)


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_table_is_iso_3166_2_ve() -> None:
    assert len(ISO_3166_2_VE) == 25
    assert sorted(ISO_3166_2_VE) == [f"VE-{c}" for c in "ABCDEFGHIJKLMNOPRSTUVWXYZ"]  # no VE-Q
    assert len(set(ISO_3166_2_VE.values())) == 25


def test_every_shipped_rule_set_is_checked() -> None:
    assert {"ve-2015-an", "ve-2017-anc", "ve-2017-anc-announced", "ve-2020-an"} <= set(SHIPPED)


@pytest.mark.parametrize("ruleset_id", SHIPPED)
def test_every_state_id_is_the_iso_code_of_the_state_its_row_names(ruleset_id: str) -> None:
    rs = load(ruleset_id)
    codes: dict[str, set[str]] = {}
    for tier in rs.tiers:
        for d in tier.districts:
            found = state_of(d)
            if found is None:
                assert not re.fullmatch(CODE, d.parent), f"{rs.id}/{tier.id}/{d.id}: parent {d.parent}"
                continue
            code, state = found
            where = f"{rs.id}/{tier.id}/{d.id} ({d.name!r})"
            assert code in ISO_3166_2_VE, f"{where}: {code} is not an ISO 3166-2:VE code"
            assert state in names_of(code), f"{where}: {code} is {ISO_3166_2_VE[code]}, not {state}"
            assert d.parent in ("", code, "communes"), f"{where}: parent {d.parent!r} is not {code}"
            codes.setdefault(tier.id, set()).add(code)
    for tier_id, found_codes in codes.items():
        assert found_codes <= ELECTING, f"{rs.id}/{tier_id}: {sorted(found_codes - ELECTING)}"
    everywhere = set().union(*codes.values())  # together the tiers cover the 24 entities that elect
    assert everywhere == ELECTING, f"{rs.id}: {sorted(everywhere ^ ELECTING)}"


@pytest.mark.parametrize("ruleset_id", SHIPPED)
def test_vote_table_options_carry_their_own_district_code(ruleset_id: str) -> None:
    rs = load(ruleset_id)
    assert rs.default_votes is not None
    votes = pl.read_csv(rs.default_votes, infer_schema=False)
    for row in votes.select("tier", "district", "option").unique().iter_rows(named=True):
        in_option = set(re.findall(rf"\b{CODE}\b", row["option"]))
        if in_option:
            assert in_option == set(re.findall(rf"\b{CODE}\b", row["district"])), row
        if ":" in row["option"]:  # nominal candidates are '<district>:<list>-<n>'
            assert row["option"].split(":")[0] == row["district"], f"{rs.default_votes.name}: {row}"


@pytest.mark.parametrize(
    ("path", "column"),
    [
        ("fixtures/ve-2015-an/shares_2015.csv", "district"),
        ("fixtures/ve-2015-an/published_seats_2015.csv", "district"),
    ],
)
def test_the_2015_source_tables_use_the_iso_codes(path: str, column: str) -> None:
    rows = read(ROOT / path)
    found = set()
    for r in rows:
        district = District(id=r[column], seats=1, name=r["name"])
        state = state_of(district)
        if state is None:
            assert r[column] == "indigenous", f"{path}: {r[column]}"
            continue
        code, name = state
        assert name in names_of(code), f"{path}: {code} is {ISO_3166_2_VE[code]}, not {name}"
        found.add(code)
    assert found == ELECTING


def test_the_shape_reader_catches_a_wrong_code() -> None:
    # what the ids said before the correction: VE-W is the Federal Dependencies, VE-X is La Guaira
    for wrong in (
        District("VE-W", 3, "La Guaira (Vargas)"),
        District("VE-X-1", 3, "Amazonas circuit 1"),
        District("VE-X-atures", 2, "Atures (Amazonas)", "VE-X"),
    ):
        found = state_of(wrong)
        assert found is not None and found[1] not in names_of(found[0])
    with pytest.raises(AssertionError, match="unknown id shape"):
        state_of(District("region-VE-Z", 1, "Amazonas"))
