"""A rule-set tier allocated biproportionally (method "biproportional": seats/rules/load.py, allocate.py)."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import seats
from seats.cli import main
from seats.rules.load import build_ruleset

# Three districts, three parties. Party totals A 8000, B 7000, C 7000 over 10 seats:
# Sainte-Laguë quotients 8000 7000 7000 2667 2333 2333 1600 1400 1400 | 1143 (A/7) 1000 ...
# give A 4, B 3, C 3. Sainte-Laguë district by district gives A 3, B 3, C 4
# (N: A 2 B 1 C 1; S: A 0 B 2 C 1; E: A 1 B 0 C 2), so the lower apportionment must move a seat.
VOTES = {
    "N": {"A": 5200, "B": 2900, "C": 1900},
    "S": {"A": 1000, "B": 3100, "C": 1900},
    "E": {"A": 1800, "B": 1000, "C": 3200},
}
MAGNITUDES = {"N": 4, "S": 3, "E": 3}
# Hand-found certificate for Sainte-Laguë: district divisors N 2100, S 1400, E 1300, party divisors
# A 1, B 3/2, C 5/3. N: 5200/2100 = 2.48 -> 2, 2900/3150 = 0.92 -> 1, 1900/3500 = 0.54 -> 1;
# S: 0.71 -> 1, 3100/2100 = 1.48 -> 1, 1900/2333 = 0.81 -> 1; E: 1.38 -> 1, 0.51 -> 1, 3200/2167 = 1.48 -> 1.
# Rows add up to 4, 3, 3 and columns to 4, 3, 3, so this is the biproportional apportionment.
HAND_SL = {"N": {"A": 2, "B": 1, "C": 1}, "S": {"A": 1, "B": 1, "C": 1}, "E": {"A": 1, "B": 1, "C": 1}}
HAND_DIVISORS = ({"N": Fraction(2100), "S": Fraction(1400), "E": Fraction(1300)},
                 {"A": Fraction(1), "B": Fraction(3, 2), "C": Fraction(5, 3)})
# D'Hondt (rounding down; same upper apportionment A 4, B 3, C 3): divisors N 1301, S 1001, E 901,
# A 1, B 3/2, C 3/2. N: 5200/1301 = 3.997 -> 3, 2900/1951.5 = 1.49 -> 1, 0.97 -> 0; S: 0.999 -> 0,
# 3100/1501.5 = 2.06 -> 2, 1.27 -> 1; E: 1800/901 = 1.998 -> 1, 0.74 -> 0, 3200/1351.5 = 2.37 -> 2.
HAND_DHONDT = {"N": {"A": 3, "B": 1, "C": 0}, "S": {"A": 0, "B": 2, "C": 1}, "E": {"A": 1, "B": 0, "C": 2}}


def _doc(**tier: Any) -> dict[str, Any]:
    spec = {"id": "list", "method": "biproportional",
            "districts": [{"id": d, "seats": m} for d, m in MAGNITUDES.items()], **tier}
    return {"id": "toy", "total_seats": sum(d["seats"] for d in spec["districts"]), "tier": [spec]}


def _frame(votes: dict[str, dict[str, int]] = VOTES, tier: str = "list") -> pl.DataFrame:
    rows = [(tier, d, o, v) for d, row in votes.items() for o, v in row.items()]
    return pl.DataFrame(rows, schema=["tier", "district", "option", "votes"], orient="row")


def _seats(res: seats.ElectionResult, tier: str = "list") -> dict[str, dict[str, int]]:
    return {d.district: dict(d.seats) for d in res.tier(tier).districts}


def _sainte_lague_round(q: Fraction, s: int) -> bool:
    return s - Fraction(1, 2) <= q <= s + Fraction(1, 2) if s else q <= Fraction(1, 2)


def test_hand_checked_sainte_lague() -> None:
    rs = build_ruleset(_doc())
    assert rs.tier("list").biproportional and rs.tier("list").rounding == "sainte-lague"
    res = rs.allocate(_frame())
    assert _seats(res) == HAND_SL
    dd, pd_ = HAND_DIVISORS
    for d, row in HAND_SL.items():  # the hand certificate reproduces every cell
        for p, s in row.items():
            assert _sainte_lague_round(Fraction(VOTES[d][p]) / (dd[d] * pd_[p]), s)
    joint = res.tier("list").biproportional
    assert joint is not None and joint.verify()
    direct = seats.biproportional(VOTES, MAGNITUDES)
    assert {d: dict(r) for d, r in joint.seats.items()} == HAND_SL
    assert {d: dict(r) for d, r in direct.seats.items()} == HAND_SL
    assert dict(joint.party_seats) == {"A": 4, "B": 3, "C": 3}
    # district rows: no per-district allocation, a note pointing at the tier's certificate
    for dr in res.tier("list").districts:
        assert dr.allocation is None and dr.magnitude == MAGNITUDES[dr.district]
        assert "biproportional" in dr.note and "district divisor" in dr.note
    by = res.by("district")
    got = {(r["district"], r["alliance"]): (r["votes"], r["seats"]) for r in by.iter_rows(named=True)}
    assert got == {(d, p): (VOTES[d][p], HAND_SL[d][p]) for d in VOTES for p in VOTES[d]}
    assert res.by("tier").row(0, named=True)["method"] == "biproportional"
    assert dict(zip(*res.by("alliance").select("alliance", "seats").to_dict().values(), strict=True)) == \
        {"A": 4, "B": 3, "C": 3}
    data = res.to_dict()
    assert data["tiers"][0]["rounding"] == "sainte-lague"
    assert data["tiers"][0]["biproportional"]["seats"] == HAND_SL
    json.dumps(data)
    text = res.explain()
    assert "== tier list (list, biproportional sainte-lague, 10 seats)" in text
    assert "biproportional sainte-lague: 10 seats, 3 districts x 3 parties" in text
    assert "certificate verified" in text


def test_rounding_option_dhondt_from_a_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "ruleset.toml"
    path.write_text('id = "toy"\ntotal_seats = 10\n[[tier]]\nid = "list"\nmethod = "biproportional"\n'
                    'options = { rounding = "d\'hondt" }\n'
                    'districts = [{ id = "N", seats = 4 }, { id = "S", seats = 3 },\n'
                    '             { id = "E", seats = 3 }]\n',
                    encoding="utf-8")
    rs = seats.load_ruleset(path)
    assert rs.tier("list").rounding == "dhondt"  # canonical id
    res = rs.allocate(_frame())
    assert _seats(res) == HAND_DHONDT
    direct = seats.biproportional(VOTES, MAGNITUDES, method="dhondt")
    joint = res.tier("list").biproportional
    assert joint is not None and joint.method == "dhondt"
    assert dict(joint.district_divisors) == dict(direct.district_divisors)
    # the same through overrides, and per-district D'Hondt differs
    over = seats.load_ruleset(path, overrides={"tiers.list.method": "dhondt", "tiers.list.options": "{}"})
    assert _seats(over.allocate(_frame())) != HAND_DHONDT


def test_ve_2020_an_state_lists_biproportionally() -> None:
    base = seats.load_ruleset("ve-2020-an").allocate()
    rs = seats.load_ruleset("ve-2020-an", overrides={"tiers.state-list.method": "biproportional"})
    res = rs.allocate()
    assert res.total == 277
    assert res.by("tier")["seats"].to_list() == [130, 96, 48, 3]
    tier = res.tier("state-list")
    votes = {d.district: dict(d.votes) for d in base.tier("state-list").districts}
    magnitudes = {d.district: d.magnitude for d in base.tier("state-list").districts}
    direct = seats.biproportional(votes, magnitudes)
    assert tier.biproportional is not None and tier.biproportional.verify()
    assert _seats(res, "state-list") == {d: {o: direct.seats[d][o] for o in votes[d]} for d in votes}
    for d in tier.districts:
        assert sum(d.seats.values()) == d.magnitude
    # the derived national list sums votes, so it is unchanged; so are the other tiers
    for t in ("nominal", "national-list", "indigenous"):
        assert _seats(res, t) == _seats(base, t)
    # the analysis counterfactual agrees with the engine
    from seats.analysis.biproportional_tier import biproportional_tier

    bt = biproportional_tier(base, "state-list")
    expected = {d: dict(r) for d, r in direct.seats.items()}
    assert {d: dict(r) for d, r in bt.allocation.seats.items()} == expected


def test_thresholds_apply_before() -> None:
    votes = {d: {**row, "D": 300} for d, row in VOTES.items()}
    votes["E"]["D"] = 2000  # D: 2600 of 24600 votes (10.6 %) over the tier, but 2000 of 8000 (25 %) in E
    rs = build_ruleset(_doc(threshold=0.12, threshold_scope="tier"))
    res = rs.allocate(_frame(votes))
    joint = res.tier("list").biproportional
    assert joint is not None
    total = sum(sum(r.values()) for r in votes.values())
    assert 12 * total > 2600 * 100  # D is under 12 % of the tier
    assert "D" not in joint.parties
    assert all(d.seats["D"] == 0 and d.excluded == ("D",) for d in res.tier("list").districts)
    clean = {d: {o: v for o, v in row.items() if o != "D"} for d, row in votes.items()}
    assert _seats(res) == {d: {**{o: seats.biproportional(clean, MAGNITUDES).seats[d][o] for o in clean[d]},
                               "D": 0} for d in clean}
    # per district: D passes 12 % only in E (B's 1000 of 8000 there is 12.5 %), so D keeps its votes
    # there and nowhere else
    res = build_ruleset(_doc(threshold=0.12)).allocate(_frame(votes))
    joint = res.tier("list").biproportional
    assert joint is not None and joint.votes["E"]["D"] == 2000 and joint.votes["N"]["D"] == 0
    assert res.tier("list").district("N").excluded == ("D",)
    assert res.tier("list").district("E").excluded == ()
    assert sum(res.tier("list").district(d).seats["D"] for d in VOTES) == joint.party_seats["D"]


def test_ties_follow_the_policy() -> None:
    doc = _doc()
    doc["tier"][0]["districts"] = [{"id": "N", "seats": 1}, {"id": "S", "seats": 1}]
    doc["total_seats"] = 2
    frame = _frame({"N": {"A": 10, "B": 10}, "S": {"A": 10, "B": 10}})
    with pytest.raises(seats.TieError, match="tier 'list' \\(biproportional, sainte-lague\\)") as info:
        build_ruleset(doc).allocate(frame)
    assert info.value.event is not None and info.value.event.district == "list"
    res = build_ruleset({**doc, "ties": "order"}).allocate(frame)
    assert _seats(res) in ({"N": {"A": 1, "B": 0}, "S": {"A": 0, "B": 1}},
                           {"N": {"A": 0, "B": 1}, "S": {"A": 1, "B": 0}})
    assert len(res.ties) == 1 and res.ties[0].district == "list" and res.ties[0].policy == "order"
    one = build_ruleset({**doc, "ties": "lot"}).allocate(frame, seed=7)
    assert _seats(one) == _seats(build_ruleset({**doc, "ties": "lot"}).allocate(frame, seed=7))
    assert one.ties[0].seed == 7


def test_districts_without_seats() -> None:
    doc = _doc()
    doc["tier"][0]["districts"].append({"id": "Z", "seats": 0})
    res = build_ruleset(doc).allocate(_frame())
    z = res.tier("list").district("Z")
    assert dict(z.seats) == {} and "left out" in z.note
    assert _seats(res)["N"] == HAND_SL["N"]
    # with votes, a district without seats still counts towards the party totals
    votes = {**VOTES, "Z": {"A": 10, "B": 5000}}
    res = build_ruleset(doc).allocate(_frame(votes))
    joint = res.tier("list").biproportional
    assert joint is not None and "Z" in joint.districts
    assert dict(res.tier("list").district("Z").seats) == {"A": 0, "B": 0}
    assert dict(joint.party_seats) == dict(seats.biproportional(votes, {**MAGNITUDES, "Z": 0}).party_seats)


def test_a_district_left_without_votes_by_the_threshold_names_the_tier() -> None:
    frame = _frame({"N": VOTES["N"], "S": VOTES["S"], "E": {"D": 100}})  # D: 100 of 16100 votes
    with pytest.raises(seats.InvalidSeatsError,
                       match=r"tier 'list' \(biproportional, sainte-lague\): district 'E' has 3 seats "
                             "but no votes"):
        build_ruleset(_doc(threshold=0.01, threshold_scope="tier")).allocate(frame)


def test_cli_by_tier() -> None:
    bip = "tiers.state-list.method=biproportional"
    out = CliRunner().invoke(main, ["allocate", "ve-2020-an", "--set", bip, "--by", "tier",
                                    "--format", "csv"])
    assert out.exit_code == 0, out.output
    lines = out.output.strip().splitlines()
    assert lines[0] == "tier,kind,method,seats,districts"
    assert "state-list,list,biproportional,96,24" in lines
    out = CliRunner().invoke(main, ["allocate", "ve-2020-an", "--set", bip,
                                    "--set", 'tiers.state-list.options={rounding="hare"}'])
    assert out.exit_code != 0
    assert "options.rounding" in out.output and "'hare'" in out.output and "Traceback" not in out.output


@pytest.mark.parametrize(("options", "message"), [
    ('{ rounding = "dhont" }', r"field 'options.rounding': unknown method 'dhont'"),
    ('{ rounding = "hare" }', r"field 'options.rounding': 'hare' is a .* method; "
                              "a biproportional tier rounds with a divisor method"),
    ('{ rounding = 3 }', r"field 'options.rounding': expected a divisor method id, got 3"),
    ('{ roundng = "dhondt" }', r"field 'options': method 'biproportional' does not take option 'roundng'"),
])
def test_bad_options_name_file_and_field(tmp_path: Path, options: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f'id = "toy"\ntotal_seats = 2\n[[tier]]\nid = "list"\nmethod = "biproportional"\n'
                    f'options = {options}\ndistricts = [{{ id = "N", seats = 2 }}]\n', encoding="utf-8")
    with pytest.raises(seats.RuleSetError, match=re.escape(f"{path}: tier 'list' ") + message):
        seats.load_ruleset(path)


def test_unknown_method_mentions_biproportional() -> None:
    with pytest.raises(seats.RuleSetError, match=r"field 'method': .*or 'biproportional'"):
        build_ruleset(_doc(method="biproportionl"))


@pytest.mark.parametrize("kind", ["subtract", "additional-member"])
def test_a_biproportional_upper_tier_of_a_link_is_refused(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "mixed.toml"
    path.write_text(f"""id = "mixed"
total_seats = 4
[[tier]]
id = "nominal"
kind = "nominal"
method = "plurality"
districts = [{{ id = "N1", seats = 1, parent = "N" }}, {{ id = "S1", seats = 1, parent = "S" }}]
[[tier]]
id = "list"
method = "biproportional"
districts = [{{ id = "N", seats = 1 }}, {{ id = "S", seats = 1 }}]
[[link]]
kind = "{kind}"
upper = "list"
lower = "nominal"
""", encoding="utf-8")
    with pytest.raises(seats.RuleSetError, match=re.escape(f"{path}: link 0: tier 'list' is allocated "
                                                           "biproportionally")
                       + f".*cannot be the upper tier of a {kind} link"):
        seats.load_ruleset(path)
    # the same rule set with a per-district method loads
    rs = seats.load_ruleset(path, overrides={"tiers.list.method": "sainte-lague"})
    assert rs.links[0].kind == kind
    # a biproportional lower tier is fine: the link reads its seats
    rs = seats.load_ruleset(path, overrides={"tiers.list.method": "sainte-lague",
                                             "tiers.nominal.method": "biproportional"})
    frame = pl.DataFrame([("nominal", "N1", "A", 60), ("nominal", "N1", "B", 40), ("nominal", "S1", "A", 45),
                          ("nominal", "S1", "B", 55), ("list", "N", "A", 60), ("list", "N", "B", 40),
                          ("list", "S", "A", 45), ("list", "S", "B", 55)],
                         schema=["tier", "district", "option", "votes"], orient="row")
    res = rs.allocate(frame)
    assert res.total == 4 and res.tier("nominal").biproportional is not None


def test_registry_does_not_know_biproportional() -> None:
    with pytest.raises(seats.SeatsError):
        seats.apportion({"A": 3, "B": 1}, 2, method="biproportional")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.integers(0, 5000), min_size=3, max_size=3), min_size=2, max_size=4),
       st.lists(st.integers(0, 6), min_size=4, max_size=4),
       st.sampled_from(["sainte-lague", "dhondt", "adams"]))
def test_engine_equals_biproportional_on_random_tables(rows: list[list[int]], mags: list[int],
                                                      rounding: str) -> None:
    names = [f"D{i}" for i in range(len(rows))]
    votes = {d: {p: v for p, v in zip("ABC", row, strict=True) if v}
             for d, row in zip(names, rows, strict=False)}
    magnitudes = dict(zip(names, mags, strict=False))
    # a vote table names every district that elects anyone
    assume(all(votes[d] or not magnitudes[d] for d in names) and sum(magnitudes.values()) > 0)
    doc = {"id": "toy", "total_seats": sum(magnitudes.values()), "ties": "order",
           "tier": [{"id": "list", "method": "biproportional", "options": {"rounding": rounding},
                     "districts": [{"id": d, "seats": m} for d, m in magnitudes.items()]}]}
    try:
        direct = seats.biproportional(votes, magnitudes, method=rounding, ties="order")
    except seats.SeatsError as err:  # e.g. Adams with more parties than seats: the engine says the same
        with pytest.raises(type(err), match="tier 'list' \\(biproportional"):
            build_ruleset(doc).allocate(_frame(votes))
        return
    res = build_ruleset(doc).allocate(_frame(votes))
    assert _seats(res) == {d: {o: direct.seats[d][o] for o in votes[d]} for d in names}
    joint = res.tier("list").biproportional
    assert joint is not None and joint.verify() and res.total == sum(magnitudes.values())
