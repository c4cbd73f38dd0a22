"""Whole-election results (seats/rules/result.py): totals, roll-ups, one tier, explain, plain data."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import polars as pl
import pytest

from seats.errors import SeatsError
from seats.rules.load import load_ruleset
from seats.rules.result import DistrictResult, ElectionResult, TierResult

TOY = Path(__file__).resolve().parent / "data" / "toy"
TIERS = ["nominal", "state-list", "national", "reserved"]


@pytest.fixture(scope="module")
def res() -> ElectionResult:
    return load_ruleset(TOY).allocate()


def rows(frame: pl.DataFrame) -> list[tuple[object, ...]]:
    return list(frame.iter_rows())


def test_total(res: ElectionResult) -> None:
    assert res.total == 13 == res.ruleset.total_seats


def test_by_alliance(res: ElectionResult) -> None:
    frame = res.by("alliance")
    assert frame.columns == ["alliance", "seats", *TIERS]
    # hand-checked in test_allocate.py: Left 2 nominal + 3 state list + 2 national, Right 2 + 2 + 1
    assert rows(frame) == [("Left", 7, 2, 3, 2, 0), ("Right", 5, 2, 2, 1, 0),
                           ("Others", 1, 0, 0, 0, 1), ("M", 0, 0, 0, 0, 0)]
    assert res.by().equals(frame)


def test_by_party(res: ElectionResult) -> None:
    frame = res.by("party")
    assert frame.columns == ["party", "seats", "alliance", *TIERS]
    assert rows(frame) == [("P", 7, "Left", 2, 3, 2, 0), ("R", 5, "Right", 2, 2, 1, 0),
                           ("Res", 1, "Others", 0, 0, 0, 1), ("M", 0, "M", 0, 0, 0, 0),
                           ("Q", 0, "Left", 0, 0, 0, 0)]


def test_by_option(res: ElectionResult) -> None:
    frame = res.by("option")
    assert frame.columns == ["option", "seats", "party", "alliance", *TIERS]
    got = {r[0]: r[1] for r in frame.iter_rows()}
    assert got == {"L": 5, "R": 3, "M": 0, "l1a": 1, "l1b": 0, "r1a": 1, "r1b": 0, "l2": 0, "r2": 1, "l3": 1,
                   "r3": 0, "res-1": 1}
    assert frame["seats"].sum() == 13


def test_by_tier(res: ElectionResult) -> None:
    frame = res.by("tier")
    assert rows(frame) == [("nominal", "nominal", "block", 4, 3), ("state-list", "list", "dhondt", 5, 2),
                           ("national", "derived", "dhondt", 3, 1),
                           ("reserved", "reserved", "plurality", 1, 1)]
    assert frame.columns == ["tier", "kind", "method", "seats", "districts"]


def test_by_district(res: ElectionResult) -> None:
    frame = res.by("district")
    assert frame.columns == ["tier", "district", "alliance", "votes", "seats"]
    s1 = frame.filter((pl.col("tier") == "state-list") & (pl.col("district") == "S1"))
    assert rows(s1) == [("state-list", "S1", "Left", 600, 2), ("state-list", "S1", "Right", 400, 1),
                        ("state-list", "S1", "M", 150, 0)]
    # the nominal circuit S1-1: the Left's two candidates together, 350 + 340
    left = frame.filter((pl.col("district") == "S1-1") & (pl.col("alliance") == "Left"))
    assert rows(left) == [("nominal", "S1-1", "Left", 690, 1)]
    assert frame["seats"].sum() == 13


def test_one_tier(res: ElectionResult) -> None:
    national = res.tier("national")
    assert isinstance(national, TierResult) and national.total == 3
    assert rows(national.by("alliance")) == [("Left", 2, 2), ("Right", 1, 1), ("M", 0, 0)]
    assert national.by("party").columns == ["party", "seats", "alliance", "national"]
    assert rows(national.by("tier")) == [("national", "derived", "dhondt", 3, 1)]
    assert national.district("N").magnitude == 3
    assert national.to_polars().columns == res.to_polars().columns
    assert national.to_polars().equals(res.to_polars().filter(pl.col("tier") == "national"))


def test_unknown_names(res: ElectionResult) -> None:
    with pytest.raises(SeatsError, match=r"unknown level 'province'; choose one of alliance, party, option"):
        res.by("province")
    with pytest.raises(SeatsError, match=r"no tier 'list'; tiers: nominal, state-list, national, reserved"):
        res.tier("list")
    with pytest.raises(SeatsError, match=r"tier 'national' has no district 'S1'"):
        res.tier("national").district("S1")


def test_long_table(res: ElectionResult) -> None:
    long = res.to_polars()
    assert long.schema == {"tier": pl.Utf8, "district": pl.Utf8, "option": pl.Utf8, "party": pl.Utf8,
                           "alliance": pl.Utf8, "votes": pl.Int64, "seats": pl.Int64}
    given = long.filter(pl.col("tier") == "reserved")
    assert rows(given) == [("reserved", "R", "res-1", "Res", "Others", None, 1)]
    assert long["seats"].sum() == 13


def test_explain(res: ElectionResult) -> None:
    text = res.explain()
    assert text.startswith("Toy assembly (test data) (toy): 13 seats")
    for line in ("== tier nominal (nominal, block, 4 seats)", "-- state-list / S1 (3 seats)",
                 "== tier national (derived, dhondt, 3 seats)",
                 "-- reserved / R (1 seats): seats given as results",
                 "seats: res-1 1"):
        assert line in text, line
    # the D'Hondt step table of S1: L 600, R 400, L 300
    s1 = text.split("-- state-list / S1")[1].split("-- state-list / S2")[0]
    assert [ln.split()[1] for ln in s1.splitlines() if ln.strip()[:1].isdigit()] == ["L", "R", "L"]


def test_to_dict_is_json_ready(res: ElectionResult) -> None:
    data = res.to_dict()
    assert data["ruleset"] == "toy" and data["total"] == 13 and data["ties"] == []
    assert data["by_alliance"][0] == {"alliance": "Left", "seats": 7, "nominal": 2, "state-list": 3,
                                      "national": 2, "reserved": 0}
    assert [t["tier"] for t in data["tiers"]] == TIERS
    s1 = data["tiers"][1]["districts"][0]
    assert s1 == {"tier": "state-list", "district": "S1", "magnitude": 3,
                  "votes": {"L": 600, "R": 400, "M": 150}, "seats": {"L": 2, "R": 1, "M": 0},
                  "excluded": [], "note": "", "ties": []}
    assert json.loads(json.dumps(data)) == data


def test_ties_are_in_the_plain_data() -> None:
    res = load_ruleset(TOY, overrides={"tiers.national.method": "hare", "ties": "order"}).allocate()
    (tie,) = res.to_dict()["ties"]
    assert tie["district"] == "national/N"
    assert res.tier("national").ties == res.ties
    assert res.tier("national").district("N").to_dict()["ties"] == [tie]


def test_results_are_frozen_and_slotted(res: ElectionResult) -> None:
    for value in (res, res.tier("national"), res.tier("national").district("N")):
        assert dataclasses.is_dataclass(value) and not hasattr(value, "__dict__")
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, dataclasses.fields(value)[0].name, None)
    assert isinstance(res.tier("national").district("N"), DistrictResult)
