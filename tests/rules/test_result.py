"""Whole-election results (seats/rules/result.py): totals, roll-ups, one tier, explain, plain data."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seats.errors import SeatsError
from seats.rules.load import build_ruleset, load_ruleset
from seats.rules.model import RuleSet, Tier
from seats.rules.result import LEVELS, DistrictResult, ElectionResult, TierResult

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


# ---------------------------------------------------------- columnar tables against a row-by-row reference
#
# to_polars(), by() and to_dict() build their tables column by column (seats/rules/result.py: _Columns).
# The reference below is the straightforward row-by-row construction they replaced, kept here verbatim so
# that every table can be compared with it: same columns, dtypes, row order and values, byte for byte.

REF_SCHEMA = {"tier": pl.Utf8, "district": pl.Utf8, "option": pl.Utf8, "party": pl.Utf8, "alliance": pl.Utf8,
              "votes": pl.Int64, "seats": pl.Int64}


def reference_long(districts: Sequence[DistrictResult],
                   options: Mapping[str, tuple[str, str]]) -> pl.DataFrame:
    data: dict[str, list[Any]] = {k: [] for k in REF_SCHEMA}
    for d in districts:
        for option in dict.fromkeys([*d.votes, *d.seats]):
            party, alliance = options.get(option, (option, option))
            data["tier"].append(d.tier)
            data["district"].append(d.district)
            data["option"].append(option)
            data["party"].append(party)
            data["alliance"].append(alliance)
            data["votes"].append(d.votes.get(option))
            data["seats"].append(d.seats.get(option, 0))
    return pl.DataFrame(data, schema=REF_SCHEMA)


def reference_by(long: pl.DataFrame, level: str, tiers: list[str], meta: Mapping[str, Tier]) -> pl.DataFrame:
    if level == "tier":
        totals = long.group_by("tier").agg(pl.col("seats").sum())
        seats_of = dict(zip(totals["tier"].to_list(), totals["seats"].to_list(), strict=True))
        return pl.DataFrame(
            {
                "tier": tiers,
                "kind": [meta[t].kind for t in tiers],
                "method": [meta[t].method for t in tiers],
                "seats": [int(seats_of.get(t, 0)) for t in tiers],
                "districts": [len(meta[t].districts) for t in tiers],
            },
            schema={"tier": pl.Utf8, "kind": pl.Utf8, "method": pl.Utf8, "seats": pl.Int64,
                    "districts": pl.Int64},
        )
    if level == "district":
        return (
            long.group_by(["tier", "district", "alliance"], maintain_order=True)
            .agg(pl.col("votes").sum(), pl.col("seats").sum())
            .filter((pl.col("seats") > 0) | (pl.col("votes") > 0))
        )
    keys = {"party": ["party", "alliance"], "option": ["option", "party", "alliance"]}.get(level, [level])
    wide = (
        long.group_by([*keys, "tier"])
        .agg(pl.col("seats").sum())
        .pivot(on="tier", index=keys, values="seats")
        .fill_null(0)
    )
    for t in tiers:
        if t not in wide.columns:
            wide = wide.with_columns(pl.lit(0, dtype=pl.Int64).alias(t))
    wide = wide.with_columns(pl.sum_horizontal([pl.col(t) for t in tiers]).alias("seats"))
    ordered = [keys[0], "seats", *keys[1:], *tiers]
    return wide.select(ordered).sort(["seats", keys[0]], descending=[True, False])


def same_table(got: pl.DataFrame, want: pl.DataFrame, what: str) -> None:
    assert got.schema == want.schema, what
    assert got.equals(want), what
    assert got.write_csv() == want.write_csv(), what
    assert got.write_json() == want.write_json(), what


def check_against_reference(res: ElectionResult) -> None:
    every = [d for t in res.tiers for d in t.districts]
    long = reference_long(every, res.options)
    same_table(res.to_polars(), long, "to_polars")
    ids, meta = [t.id for t in res.tiers], {t.id: t.tier for t in res.tiers}
    for level in LEVELS:
        same_table(res.by(level), reference_by(long, level, ids, meta), f"by({level!r})")
    for t in res.tiers:
        own = reference_long(t.districts, t.options)
        same_table(t.to_polars(), own, f"{t.id}: to_polars")
        for level in LEVELS:
            want = reference_by(own, level, [t.id], {t.id: t.tier})
            same_table(t.by(level), want, f"{t.id}: by({level!r})")
    data = res.to_dict()
    assert data["by_alliance"] == reference_by(long, "alliance", ids, meta).to_dicts()
    assert json.dumps(data) == json.dumps({**data, "tiers": [t.to_dict() for t in res.tiers]})


def toml_rules(text: str, **overrides: Any) -> RuleSet:
    return build_ruleset(tomllib.loads(text), overrides=overrides or None)


def vote_frame(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    """Rows (tier, district, option, votes, party, alliance) as a vote frame."""
    cols = ("tier", "district", "option", "votes", "party", "alliance")
    return pl.DataFrame([dict(zip(cols, r, strict=True)) for r in rows])


MMP = """
id = "mmp"
total_seats = 7
[[tier]]
id = "nominal"
kind = "nominal"
method = "plurality"
districts = [{ id = "C1", seats = 1, parent = "R" }, { id = "C2", seats = 1, parent = "R" },
             { id = "C3", seats = 1, parent = "R" }]
[[tier]]
id = "list"
method = "dhondt"
districts = [{ id = "R", seats = 4 }]
[[link]]
kind = "subtract"
upper = "list"
lower = "nominal"
"""


def mmp_votes(*winners: str, lists: tuple[tuple[str, int], ...]) -> pl.DataFrame:
    rows: list[tuple[Any, ...]] = []
    for i, party in enumerate(winners, 1):
        rows += [("nominal", f"C{i}", f"{party}-cand-{i}", 100, party, f"bloc-{party}"),
                 ("nominal", f"C{i}", f"Z-cand-{i}", 10, "Z", "bloc-Z")]
    rows += [("list", "R", party, v, party, f"bloc-{party}") for party, v in lists]
    return vote_frame(rows)


# A 0-seat parish tier summed into regions (by parent) and the nation, a biproportional list tier with a
# threshold, and a reserved tier counted from votes: parishes list their options in different orders, one
# parish has no votes at all, options share parties and parties share alliances.
PARISHES = """
id = "parishes"
total_seats = 17
[[tier]]
id = "parish"
method = "dhondt"
districts = [{{ id = "p1", seats = 0, parent = "R1" }}, {{ id = "p2", seats = 0, parent = "R1" }},
             {{ id = "p3", seats = 0, parent = "R2" }}, {{ id = "p4", seats = 0, parent = "R2" }},
             {{ id = "p5", seats = 0, parent = "R2" }}]
[[tier]]
id = "regions"
kind = "derived"
source = "parish"
method = "sainte-lague"
districts = [{{ id = "R1", seats = 3 }}, {{ id = "R2", seats = 2 }}]
[[tier]]
id = "nation"
kind = "derived"
source = "parish"
method = "hare"
districts = [{{ id = "N", seats = 3 }}]
[[tier]]
id = "lists"
method = "{method}"
threshold = "5%"
districts = [{{ id = "N", seats = 4 }}, {{ id = "S", seats = 2 }}]
[[tier]]
id = "reserved"
kind = "reserved"
method = "plurality"
districts = [{{ id = "X", seats = 1 }}, {{ id = "Y", seats = 1 }}, {{ id = "Z", seats = 1 }}]
"""
PARISH_ROWS: list[tuple[Any, ...]] = [
    *[("parish", "p1", o, v, p, a) for o, v, p, a in [("A", 500, "PA", "Left"), ("B", 300, "PB", "Right"),
                                                      ("C", 120, "PC", "Left"), ("D", 40, "PD", "Centre")]],
    *[("parish", "p2", o, v, p, a) for o, v, p, a in [("C", 90, "PC", "Left"), ("A", 210, "PA", "Left"),
                                                      ("B", 330, "PB", "Right"), ("D", 15, "PD", "Centre")]],
    *[("parish", "p3", o, v, p, a) for o, v, p, a in [("B", 410, "PB", "Right"), ("A", 390, "PA", "Left"),
                                                      ("E", 80, "PA", "Left")]],
    *[("parish", "p4", o, v, p, a) for o, v, p, a in [("A", 100, "PA", "Left"), ("B", 300, "PB", "Right"),
                                                      ("C", 120, "PC", "Left"), ("D", 40, "PD", "Centre")]],
    *[("lists", d, o, v, p, a) for d, o, v, p, a in [
        ("N", "A", 5200, "PA", "Left"), ("N", "B", 2900, "PB", "Right"), ("N", "C", 1900, "PC", "Left"),
        ("N", "D", 300, "PD", "Centre"),
        ("S", "B", 3100, "PB", "Right"), ("S", "A", 1000, "PA", "Left"), ("S", "C", 1900, "PC", "Left")]],
    *[("reserved", d, o, v, p, a) for d, o, v, p, a in [
        ("X", "x1", 30, "IX", "Indigenous"), ("X", "x2", 20, "IY", "Indigenous"),
        ("Y", "y1", 5, "IY", "Indigenous"), ("Y", "y2", 9, "IX", "Indigenous"),
        ("Z", "z1", 7, "IZ", "IZ")]],
]


def _shipped(ref: str, **overrides: str) -> Callable[[], ElectionResult]:
    return lambda: load_ruleset(ref, overrides=overrides or None).allocate()


CASES: dict[str, Callable[[], ElectionResult]] = {
    "ve-2020-an": _shipped("ve-2020-an"),
    "ve-2020-an, biproportional state lists": _shipped("ve-2020-an",
                                                       **{"tiers.state-list.method": "biproportional"}),
    "ve-2017-anc": _shipped("ve-2017-anc"),
    "ve-2017-anc-announced": _shipped("ve-2017-anc-announced"),
    "ve-2015-an": _shipped("ve-2015-an"),
    "toy: derived, results given, alliances": lambda: load_ruleset(TOY).allocate(),
    "subtract": lambda: toml_rules(MMP).allocate(
        mmp_votes("A", "A", "B", lists=(("A", 4100), ("B", 3000), ("C", 2000), ("D", 900)))),
    "subtract with overhang": lambda: toml_rules(
        MMP.replace("seats = 4 }", "seats = 2 }").replace("total_seats = 7", "total_seats = 5")).allocate(
        mmp_votes("A", "A", "A", lists=(("A", 1000), ("B", 900), ("C", 800)))),
    "additional-member by alliance": lambda: toml_rules(
        MMP.replace("seats = 4 }", "seats = 3 }").replace("total_seats = 7", "total_seats = 6"),
        **{"links.0.kind": "additional-member", "links.0.level": "alliance"}).allocate(
        mmp_votes("A", "A", "B", lists=(("A", 1000), ("B", 600), ("C", 400)))),
    "parishes, biproportional lists": lambda: toml_rules(PARISHES.format(method="biproportional")).allocate(
        vote_frame(PARISH_ROWS)),
    "parishes, D'Hondt lists": lambda: toml_rules(PARISHES.format(method="dhondt")).allocate(
        vote_frame(PARISH_ROWS)),
}


@pytest.mark.parametrize("case", CASES)
def test_tables_match_the_row_by_row_reference(case: str) -> None:
    res = CASES[case]()
    assert res.total == res.ruleset.total_seats
    check_against_reference(res)


def test_the_toy_cases_exercise_what_they_claim() -> None:
    """The cases above hold the district shapes the columnar build treats apart (or the test proves less)."""
    parishes = CASES["parishes, biproportional lists"]()
    assert parishes.tier("lists").biproportional is not None
    p5 = parishes.tier("parish").district("p5")
    assert (dict(p5.votes), dict(p5.seats)) == ({}, {})  # a district without votes: no rows
    orders = {tuple(d.votes) for d in parishes.tier("parish").districts}
    # p1 and p4 share one option order, p2 lists the same options in another, p3 other options, p5 none
    assert orders == {("A", "B", "C", "D"), ("C", "A", "B", "D"), ("B", "A", "E"), ()}
    assert parishes.tier("lists").district("N").excluded == ("D",)  # 300 of 10,300 is under 5%
    toy = CASES["toy: derived, results given, alliances"]()
    given = toy.tier("reserved").district("R")
    assert dict(given.votes) == {} and dict(given.seats) == {"res-1": 1}  # seats for an option without votes
    linked = CASES["subtract with overhang"]().tier("list").district("R")
    assert list(linked.seats) == list(linked.votes) and "overhang" in linked.note


# Hand-built results: any district shape a caller can build, compared with the reference. Options o0..o7,
# parties P0..P3 (each in one alliance, so the roll-ups have one order), some options unmapped.
OPTION_NAMES = [f"o{i}" for i in range(8)]
MAPPED = {f"o{i}": (f"P{i % 4}", f"A{i % 4 % 3}") for i in range(6)}


HAND = """
id = "hand"
total_seats = 6
[[tier]]
id = "a"
method = "dhondt"
districts = [{ id = "d0", seats = 3 }, { id = "d1", seats = 3 }]
[[tier]]
id = "b"
kind = "derived"
source = "a"
method = "hare"
districts = [{ id = "d0", seats = 0 }]
"""
HAND_RULES = toml_rules(HAND)


@st.composite
def hand_built(draw: st.DrawFn) -> ElectionResult:
    rs = HAND_RULES
    layouts = draw(st.lists(st.permutations(OPTION_NAMES).flatmap(
        lambda p: st.integers(0, len(p)).map(lambda n: p[:n])), min_size=1, max_size=3))
    tiers = []
    for tier in rs.tiers:
        rows = []
        for _ in range(draw(st.integers(0, 4))):
            opts = draw(st.sampled_from(layouts))
            votes = {o: draw(st.integers(0, 50)) for o in opts}
            if draw(st.booleans()):  # a seat count for every option, in the votes' order
                seats = {o: draw(st.integers(0, 3)) for o in opts}
            else:  # some options, any order, maybe options without votes
                named = draw(st.lists(st.sampled_from(OPTION_NAMES), unique=True, max_size=5))
                seats = {o: draw(st.integers(0, 3)) for o in named}
            district = draw(st.sampled_from(["d0", "d1", "d2"]))  # the same district twice sometimes
            rows.append(DistrictResult(draw(st.sampled_from(["a", "b"])), district, 3, votes, seats, None))
        tiers.append(TierResult(tier, tuple(rows), MAPPED))
    return ElectionResult(rs, tuple(tiers), MAPPED)


@settings(max_examples=60, deadline=None)
@given(hand_built())
def test_hand_built_results_match_the_row_by_row_reference(res: ElectionResult) -> None:
    check_against_reference(res)


def test_an_empty_result_gives_empty_tables() -> None:
    rs = load_ruleset(TOY)
    res = ElectionResult(rs, tuple(TierResult(t, (), {}) for t in rs.tiers), {})
    check_against_reference(res)
    assert res.to_polars().height == 0 and res.by("tier")["seats"].to_list() == [0, 0, 0, 0]


def test_rollup_order_does_not_depend_on_row_order() -> None:
    # a party in two alliances (its cards allied differently in two states) with the same seats
    # in each: rows tie on (seats, party), and the alliance decides their order
    from seats.rules.result import _rollup

    long = pl.DataFrame({
        "option": ["P-east", "P-west", "Q", "R"],
        "party": ["P", "P", "Q", "R"],
        "alliance": ["North", "Blue", "Blue", "North"],
        "tier": ["list", "list", "list", "list"],
        "seats": [2, 2, 3, 0],
    })
    want = [("Q", 3, "Blue", 3), ("P", 2, "Blue", 2), ("P", 2, "North", 2), ("R", 0, "North", 0)]
    for perm in ([0, 1, 2, 3], [1, 0, 3, 2], [3, 2, 1, 0], [2, 0, 3, 1]):
        assert rows(_rollup(long[perm], "party", ["list"])) == want
