"""Allocating whole elections (seats/rules/allocate.py), checked against hand-computed seats.

Every tier kind, thresholds, the three links (parallel, subtract with its overhang rule,
additional-member against the Scotland 2011 vector), cards, ties; and a smoke test over
every shipped rule set.
"""

from __future__ import annotations

import dataclasses
import threading
import tomllib
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import seats
from seats.errors import RuleSetError, TieError, VoteTableError
from seats.rules.load import build_ruleset, load_ruleset
from seats.rules.model import Link, RuleSet
from seats.rules.result import ElectionResult

DATA = Path(__file__).resolve().parent / "data"
TOY = DATA / "toy"


def rules(text: str, **overrides: Any) -> RuleSet:
    return build_ruleset(tomllib.loads(text), overrides=overrides or None)


def table(*rows: tuple[Any, ...]) -> pl.DataFrame:
    """Rows (tier, district, option, votes[, party[, alliance[, card]]]) as a vote frame."""
    cols = ("tier", "district", "option", "votes", "party", "alliance", "card")
    width = max(len(r) for r in rows)
    data: dict[str, list[Any]] = {c: [] for c in cols[:width]}
    for r in rows:
        full = list(r) + [None] * (width - len(r))
        for c, v in zip(cols[:width], full, strict=True):
            data[c].append(v if v is not None or c == "votes" else (r[2] if c == "party" else None))
    return pl.DataFrame(data)


def seats_of(res: ElectionResult, tier: str, district: str) -> dict[str, int]:
    return {o: n for o, n in res.tier(tier).district(district).seats.items() if n}


# ---------------------------------------------------------------- the toy assembly (every tier kind)


@pytest.fixture(scope="module")
def toy() -> ElectionResult:
    return load_ruleset(TOY).allocate()


def test_toy_by_hand(toy: ElectionResult) -> None:
    # nominal, block vote; l1a = 300 (card P) + 50 (card Q) = 350 beats l1b 340 only with both cards
    assert seats_of(toy, "nominal", "S1-1") == {"l1a": 1, "r1a": 1}
    assert seats_of(toy, "nominal", "S1-2") == {"r2": 1}
    assert seats_of(toy, "nominal", "S2-1") == {"l3": 1}  # 180 + 30 = 210 > 205
    # state lists, D'Hondt: S1 L 600 300 200 / R 400 200 / M 150 -> 600 400 300; S2 R 300, L 250
    assert seats_of(toy, "state-list", "S1") == {"L": 2, "R": 1}
    assert seats_of(toy, "state-list", "S2") == {"L": 1, "R": 1}
    # national, D'Hondt on the summed state-list votes: L 850 425 / R 700 / M 250
    assert dict(toy.tier("national").district("N").votes) == {"L": 850, "R": 700, "M": 250}
    assert seats_of(toy, "national", "N") == {"L": 2, "R": 1}
    assert seats_of(toy, "reserved", "R") == {"res-1": 1}
    assert toy.total == 13
    assert [t.total for t in toy.tiers] == [4, 5, 3, 1]
    assert toy.ties == ()


def test_cards_are_summed_into_options(toy: ElectionResult) -> None:
    assert toy.tier("nominal").district("S1-1").votes == {"l1a": 350, "l1b": 340, "r1a": 345, "r1b": 200}
    frame = pl.read_csv(TOY / "votes.csv")
    q_card = (pl.col("tier") == "nominal") & (pl.col("card") == "Q") & (pl.col("option") != "l1b")
    without_q = frame.filter(~q_card)
    res = load_ruleset(TOY).allocate(without_q)
    assert seats_of(res, "nominal", "S1-1") == {"r1a": 1, "l1b": 1}
    assert seats_of(res, "nominal", "S2-1") == {"r3": 1}


def test_splitting_a_card_changes_nothing(toy: ElectionResult) -> None:
    frame = pl.read_csv(TOY / "votes.csv")
    split = pl.concat([
        frame.with_columns(pl.col("votes") // 2),
        frame.with_columns(pl.col("votes") - pl.col("votes") // 2, pl.col("card") + "-bis"),
    ])
    res = load_ruleset(TOY).allocate(split)
    assert res.to_polars().equals(toy.to_polars())


def test_method_override_changes_only_that_tier(toy: ElectionResult) -> None:
    res = load_ruleset(TOY, overrides={"tiers.national.method": "adams"}).allocate(TOY / "votes.csv")
    # Adams (divisors 0, 1, 2, ...): each of the three lists gets a seat before any gets a second
    assert seats_of(res, "national", "N") == {"L": 1, "R": 1, "M": 1}
    for tier in ("nominal", "state-list", "reserved"):
        assert res.tier(tier).to_polars().equals(toy.tier(tier).to_polars())


def test_tie_between_remainders_is_reported_with_its_tier_and_district() -> None:
    # Hare on L 850 / R 700 / M 250, 3 seats: quota 600; L 1 r 250, R 1 r 100, M 0 r 250: L and M tie
    rs = load_ruleset(TOY, overrides={"tiers.national.method": "hare"})
    with pytest.raises(TieError, match=r"tier 'national', district 'N': .*tie .*L.*M") as err:
        rs.allocate()
    assert err.value.event is not None and err.value.event.district == "national/N"


def test_tie_policy_from_the_rule_set_and_per_tier() -> None:
    res = load_ruleset(TOY, overrides={"tiers.national.method": "hare", "ties": "order"}).allocate()
    assert seats_of(res, "national", "N") == {"L": 2, "R": 1}  # order: L is listed before M
    assert [e.district for e in res.ties] == ["national/N"]
    assert res.ties[0].policy == "order" and set(res.ties[0].tied) == {"L", "M"}
    per_tier = load_ruleset(TOY, overrides={"tiers.national.method": "hare",
                                            "tiers.national.ties": "order"}).allocate()
    assert per_tier.ties == res.ties
    # the tier's own policy wins over the rule set's
    with pytest.raises(TieError, match="tier 'national'"):
        load_ruleset(TOY, overrides={"tiers.national.method": "hare", "ties": "order",
                                     "tiers.national.ties": "error"}).allocate()


def test_lot_is_seeded_and_recorded() -> None:
    rs = load_ruleset(TOY, overrides={"tiers.national.method": "hare", "ties": "lot"})
    a, b = rs.allocate(seed=7), rs.allocate(seed=7)
    assert a.seed == 7 and a.ties and a.ties[0].seed == 7
    assert a.to_polars().equals(b.to_polars())


# ---------------------------------------------------------------- list methods, sectoral, derived per parent


ONE = """
id = "one"
total_seats = 5
[[tier]]
id = "list"
method = "dhondt"
districts = [{ id = "N", seats = 5 }]
"""
ABC = table(("list", "N", "A", 1000), ("list", "N", "B", 700), ("list", "N", "C", 250))


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        # A 1000 500 333 250 | B 700 350 233 | C 250 -> 1000 700 500 350 333
        ("dhondt", {"A": 3, "B": 2}),
        # A 1000 333 200 | B 700 233 | C 250 -> 1000 700 333 250 233
        ("sainte-lague", {"A": 2, "B": 2, "C": 1}),
        # quota 390: A 2 r 170, B 1 r 310, C 0 r 250 -> B, C
        ("hare", {"A": 2, "B": 2, "C": 1}),
        # Droop quota floor(1950/6)+1 = 326: A 3 r 22, B 2 r 48, C 0 -> 5 seats already
        ("droop", {"A": 3, "B": 2}),
    ],
)
def test_list_tier_with_any_method(method: str, expected: dict[str, int]) -> None:
    res = rules(ONE, **{"tiers.list.method": method}).allocate(ABC)
    assert seats_of(res, "list", "N") == expected


def test_sectoral_tier_plurality_per_sector() -> None:
    rs = rules("""
id = "anc"
total_seats = 4
[[tier]]
id = "sectoral"
kind = "sectoral"
method = "block"
districts = [{ id = "workers", seats = 3 }, { id = "students", seats = 1 }]
""")
    res = rs.allocate(table(
        ("sectoral", "workers", "w1", 50), ("sectoral", "workers", "w2", 40),
        ("sectoral", "workers", "w3", 30), ("sectoral", "workers", "w4", 29),
        ("sectoral", "students", "s1", 5), ("sectoral", "students", "s2", 6),
    ))
    assert seats_of(res, "sectoral", "workers") == {"w1": 1, "w2": 1, "w3": 1}
    assert seats_of(res, "sectoral", "students") == {"s2": 1}


DERIVED = """
id = "regions"
total_seats = 7
[[tier]]
id = "states"
method = "dhondt"
districts = [{ id = "S1", seats = 1, parent = "R1" }, { id = "S2", seats = 1, parent = "R1" },
             { id = "S3", seats = 1, parent = "R2" }]
[[tier]]
id = "regions"
kind = "derived"
source = "states"
method = "dhondt"
districts = [{ id = "R1", seats = 2 }, { id = "R2", seats = 2 }]
"""


def test_derived_tier_sums_by_parent_district() -> None:
    votes = table(("states", "S1", "A", 60), ("states", "S1", "B", 50),
                  ("states", "S2", "A", 10), ("states", "S2", "B", 40),
                  ("states", "S3", "A", 30), ("states", "S3", "C", 100))
    res = rules(DERIVED).allocate(votes)
    assert dict(res.tier("regions").district("R1").votes) == {"A": 70, "B": 90}
    assert dict(res.tier("regions").district("R2").votes) == {"A": 30, "C": 100}
    assert seats_of(res, "regions", "R1") == {"A": 1, "B": 1}  # B 90, A 70, B 45
    assert seats_of(res, "regions", "R2") == {"C": 2}  # C 100, C 50 > A 30
    assert res.total == 7


def test_derived_of_a_derived_tier() -> None:
    text = DERIVED.replace("total_seats = 7", "total_seats = 8") + """
[[tier]]
id = "nation"
kind = "derived"
source = "regions"
method = "dhondt"
districts = [{ id = "N", seats = 1 }]
"""
    votes = table(("states", "S1", "A", 60), ("states", "S2", "B", 40), ("states", "S3", "C", 130))
    res = rules(text).allocate(votes)
    assert dict(res.tier("nation").district("N").votes) == {"A": 60, "B": 40, "C": 130}
    assert seats_of(res, "nation", "N") == {"C": 1}


def test_reserved_tier_counted_by_plurality_when_votes_exist() -> None:
    rs = rules("""
id = "ind"
total_seats = 2
[[tier]]
id = "indigenous"
kind = "reserved"
method = "plurality"
districts = [{ id = "occidente", seats = 1 }, { id = "sur", seats = 1 }]
""")
    res = rs.allocate(table(("indigenous", "occidente", "x", 3), ("indigenous", "occidente", "y", 4),
                            ("indigenous", "sur", "z", 1)))
    assert seats_of(res, "indigenous", "occidente") == {"y": 1}
    assert seats_of(res, "indigenous", "sur") == {"z": 1}


# ---------------------------------------------------------------- thresholds


TH = """
id = "th"
total_seats = 7
[[tier]]
id = "list"
method = "sainte-lague"
threshold = "1/10"
districts = [{ id = "X", seats = 5 }, { id = "Y", seats = 2 }]
"""
# X: 1000 valid votes, C exactly 10 %; Y: 1000 more, without C (C has 5 % of the tier)
TH_VOTES = table(("list", "X", "A", 610), ("list", "X", "B", 230),
                 ("list", "X", "C", 100), ("list", "X", "D", 60),
                 ("list", "Y", "A", 700), ("list", "Y", "B", 300))


def test_exactly_at_the_threshold_passes() -> None:
    res = rules(TH).allocate(TH_VOTES)
    # A 610 203.3 122 87.1 | B 230 76.7 | C 100 -> 610 230 203.3 122 100
    assert seats_of(res, "list", "X") == {"A": 3, "B": 1, "C": 1}
    assert res.tier("list").district("X").excluded == ("D",)
    assert seats_of(res, "list", "Y") == {"A": 1, "B": 1}


def test_just_above_the_threshold_excludes() -> None:
    res = rules(TH, **{"tiers.list.threshold": "101/1000"}).allocate(TH_VOTES)
    assert seats_of(res, "list", "X") == {"A": 4, "B": 1}  # 610 230 203.3 122 87.1
    assert res.tier("list").district("X").excluded == ("C", "D")


def test_tier_scope_counts_the_whole_tier() -> None:
    res = rules(TH, **{"tiers.list.threshold_scope": "tier"}).allocate(TH_VOTES)
    # C has 100 of 2000 = 5 % of the tier: out
    assert seats_of(res, "list", "X") == {"A": 4, "B": 1}
    assert res.tier("list").district("X").excluded == ("C", "D")


LEVELS = table(("list", "X", "A", 500, "A", "A"), ("list", "X", "B", 310, "B", "B"),
               ("list", "X", "C1", 85, "P1", "CC"), ("list", "X", "C2", 75, "P2", "CC"),
               ("list", "X", "D", 40, "D", "D"))


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        # 1010 votes, 10 % = 101: C1 85 and C2 75 fail alone ...
        ("option", {"A": 4, "B": 3}),
        ("party", {"A": 4, "B": 3}),
        # ... but their alliance CC has 160. A 500 166.7 100 71.4 | B 310 103.3 62 | C1 85 | C2 75
        ("alliance", {"A": 3, "B": 2, "C1": 1, "C2": 1}),
    ],
)
def test_threshold_level(level: str, expected: dict[str, int]) -> None:
    one_district = TH.replace('{ id = "X", seats = 5 }, { id = "Y", seats = 2 }', '{ id = "X", seats = 7 }')
    res = rules(one_district, **{"tiers.list.threshold_level": level}).allocate(LEVELS)
    assert seats_of(res, "list", "X") == expected


# ---------------------------------------------------------------- links


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


def nominal(*winners: str) -> list[tuple[Any, ...]]:
    """One circuit per winner: the winner's candidate 100 votes, a rival 10 (party Z)."""
    rows: list[tuple[Any, ...]] = []
    for i, party in enumerate(winners, 1):
        rows += [("nominal", f"C{i}", f"{party}-cand-{i}", 100, party),
                 ("nominal", f"C{i}", f"Z-cand-{i}", 10, "Z")]
    return rows


def test_subtract_by_hand() -> None:
    votes = table(*nominal("A", "A", "B"), ("list", "R", "A", 4100, "A"), ("list", "R", "B", 3000, "B"),
                  ("list", "R", "C", 2000, "C"), ("list", "R", "D", 900, "D"))
    res = rules(MMP).allocate(votes)
    # entitlement over 4 + 3 nominal = 7 seats, D'Hondt: 4100 3000 2050 2000 1500 1366.7 1025 -> A 4, B 2, C 1
    entitlement = res.tier("list").district("R").allocation
    assert entitlement is not None and dict(entitlement.seats) == {"A": 4, "B": 2, "C": 1, "D": 0}
    # minus the nominal seats won: A 4 - 2, B 2 - 1, C 1 - 0
    assert seats_of(res, "list", "R") == {"A": 2, "B": 1, "C": 1}
    assert "entitlement over 7 seats minus nominal seats won" in res.tier("list").district("R").note
    assert res.by("party").filter(pl.col("party") == "A")["seats"].item() == 4


def test_subtract_overhang_is_kept_and_the_rest_shared_again() -> None:
    votes = table(*nominal("A", "A", "A"), ("list", "R", "A", 1000, "A"), ("list", "R", "B", 900, "B"),
                  ("list", "R", "C", 800, "C"))
    text = MMP.replace("seats = 4 }", "seats = 2 }").replace("total_seats = 7", "total_seats = 5")
    res = rules(text).allocate(votes)
    # over 2 + 3 = 5 seats A is entitled to 2 (1000 900 800 500 450) but won 3: it keeps them, gets no list
    # seat, and B and C share the 2 list seats over 2 + 0 seats: B 900, C 800
    assert seats_of(res, "list", "R") == {"B": 1, "C": 1}
    assert "overhang kept by A" in res.tier("list").district("R").note
    assert res.total == 5
    by_party = dict(res.by("party").select("party", "seats").iter_rows())
    assert by_party == {"A": 3, "B": 1, "C": 1, "Z": 0}


def test_parallel_ignores_the_nominal_seats() -> None:
    votes = table(*nominal("A", "A", "A"), ("list", "R", "A", 1000, "A"), ("list", "R", "B", 900, "B"),
                  ("list", "R", "C", 800, "C"))
    text = MMP.replace("seats = 4 }", "seats = 2 }").replace("total_seats = 7", "total_seats = 5")
    res = rules(text, **{"links.0.kind": "parallel"}).allocate(votes)
    assert seats_of(res, "list", "R") == {"A": 1, "B": 1}  # 1000, 900


def test_subtract_per_state_through_parents() -> None:
    text = MMP.replace('parent = "R" }]', 'parent = "S" }]').replace(
        'districts = [{ id = "R", seats = 4 }]',
        'districts = [{ id = "R", seats = 2 }, { id = "S", seats = 2 }]')
    votes = table(*nominal("A", "A", "B"),
                  ("list", "R", "A", 600, "A"), ("list", "R", "B", 500, "B"),
                  ("list", "S", "A", 600, "A"), ("list", "S", "B", 500, "B"))
    res = rules(text).allocate(votes)
    # R: A won 2 -> over 4 seats: 600 500 300 250 -> A 2, B 2 -> A 0, B 2
    assert seats_of(res, "list", "R") == {"B": 2}
    # S: B won 1 -> over 3 seats: 600 500 300 -> A 2, B 1 -> A 2, B 0
    assert seats_of(res, "list", "S") == {"A": 2}


def test_link_level_alliance_matches_candidates_to_lists_by_alliance() -> None:
    rows = [("nominal", "C1", "cand-1", 100, "PA", "ALL"), ("nominal", "C1", "z-1", 10, "Z", "Z"),
            ("nominal", "C2", "cand-2", 100, "PA", "ALL"), ("nominal", "C2", "z-2", 10, "Z", "Z"),
            ("nominal", "C3", "z-3", 100, "Z", "Z"), ("nominal", "C3", "cand-3", 10, "PA", "ALL"),
            ("list", "R", "ALL-list", 5000, "PL", "ALL"), ("list", "R", "B", 1100, "B", "B")]
    # over 4 + (2 won by ALL) = 6 seats (Z has no list): 5000 2500 1666.7 1250 1100 (B) 1000 -> ALL 5, B 1
    by_alliance = rules(MMP, **{"links.0.level": "alliance"}).allocate(table(*rows))
    assert seats_of(by_alliance, "list", "R") == {"ALL-list": 3, "B": 1}
    # by party the candidates (PA) match no list (PL): nothing is subtracted; over 4: 5000 2500 1666.7 1250
    by_party = rules(MMP).allocate(table(*rows))
    assert seats_of(by_party, "list", "R") == {"ALL-list": 4}
    assert by_party.tier("list").district("R").note == "entitlement over 4 seats minus nominal seats won"


def test_two_lists_of_one_party_cannot_be_linked() -> None:
    votes = table(*nominal("A", "A", "B"), ("list", "R", "A1", 10, "A"), ("list", "R", "A2", 10, "A"))
    with pytest.raises(VoteTableError, match=r"tier 'list', district 'R': lists 'A1' and 'A2' both belong "
                                             r"to party 'A'; a subtract link needs one list per party"):
        rules(MMP).allocate(votes)


def test_additional_member_by_hand() -> None:
    text = MMP.replace("seats = 4 }", "seats = 3 }").replace("total_seats = 7", "total_seats = 6")
    votes = table(*nominal("A", "A", "B"), ("list", "R", "A", 1000, "A"), ("list", "R", "B", 600, "B"),
                  ("list", "R", "C", 400, "C"))
    res = rules(text, **{"links.0.kind": "additional-member"}).allocate(votes)
    # divisors start after the nominal seats: A 1000/3 333 250 | B 600/2 300 | C 400 200
    # -> C 400, A 333, B 300
    assert seats_of(res, "list", "R") == {"A": 1, "B": 1, "C": 1}
    assert "divisors start after the nominal seats won: A 2, B 1" in res.tier("list").district("R").note


def test_scotland_2011_additional_member_through_a_rule_set(vectors: list[dict[str, Any]]) -> None:
    (vec,) = [v for v in vectors if v["method"] == "ams_dhondt_additional_member"]
    won: dict[str, int] = vec["params"]["constituency_seats"]
    winners = [party for party, n in won.items() for _ in range(n)]
    districts = ", ".join(f'{{ id = "c{i}", seats = 1 }}' for i in range(1, len(winners) + 1))
    rs = rules(f"""
id = "scotland-2011-highlands"
total_seats = {len(winners) + vec["house_size"]}
[[tier]]
id = "constituency"
kind = "nominal"
method = "plurality"
districts = [{districts}]
[[tier]]
id = "regional"
method = "dhondt"
districts = [{{ id = "highlands-and-islands", seats = {vec["house_size"]} }}]
[[link]]
kind = "additional-member"
upper = "regional"
lower = "constituency"
""")
    rows: list[tuple[Any, ...]] = []
    for i, party in enumerate(winners, 1):  # each constituency: its winner, and a losing rival
        rival = next(p for p in vec["votes"] if p != party)
        rows += [("constituency", f"c{i}", f"{party} candidate {i}", 2, party),
                 ("constituency", f"c{i}", f"{rival} candidate {i}", 1, rival)]
    rows += [("regional", "highlands-and-islands", party, v, party) for party, v in vec["votes"].items()]
    res = rs.allocate(table(*rows))
    assert seats_of(res, "regional", "highlands-and-islands") == vec["expected"]
    total = dict(res.by("party").select("party", "seats").iter_rows())
    assert {p: n for p, n in total.items() if n} == {
        p: won.get(p, 0) + vec["expected"].get(p, 0) for p in {*won, *vec["expected"]}}


# ---------------------------------------------------------------- engine safety


def test_a_cycle_built_by_hand_raises_instead_of_spinning() -> None:
    rs = rules(MMP)
    cyclic = dataclasses.replace(rs, links=(*rs.links, Link("subtract", upper="nominal", lower="list")))
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            cyclic.allocate(table(*nominal("A", "A", "B"), ("list", "R", "A", 10, "A")))
            outcome.append(None)
        except BaseException as err:  # handed to the main thread
            outcome.append(err)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "_order spun forever on a cycle"
    assert isinstance(outcome[0], RuleSetError) and "cycle" in str(outcome[0])


def test_votes_must_be_a_frame_or_a_path() -> None:
    with pytest.raises(VoteTableError, match="votes must be a polars DataFrame or a path, got int"):
        rules(ONE).allocate(42)


def test_no_default_votes() -> None:
    with pytest.raises(RuleSetError, match=r"rule set 'one' ships no default vote table; pass one"):
        rules(ONE).allocate()


# ---------------------------------------------------------------- every shipped rule set


@pytest.mark.parametrize("info", seats.available_rulesets(), ids=lambda info: info.id)
def test_every_shipped_rule_set_allocates_exactly_its_seats(info: seats.rules.RuleSetInfo) -> None:
    rs = load_ruleset(info.path)
    assert sum(t.seats for t in rs.tiers) == rs.total_seats
    if rs.default_votes is None:
        pytest.fail(f"{info.id}: a shipped rule set must name its default vote table")
    if not rs.default_votes.exists():
        pytest.skip(reason=f"{info.id}: default vote table {rs.default_votes} is not in the repository yet")
    res = rs.allocate()
    assert res.total == rs.total_seats
    for t in res.tiers:
        assert t.total == t.tier.seats, t.id
        for d in t.districts:
            assert sum(d.seats.values()) == d.magnitude, (t.id, d.district)


# ---------------------------------------------------------------- properties over random vote tables


PARTIES = ("P0", "P1", "P2", "P3", "P4")


def random_votes(rs: RuleSet, seed: int) -> pl.DataFrame:
    """A random, complete vote table for ``rs``: lists keep one id everywhere, candidates are per district,
    every option is backed by one or two cards; vote counts are large, so exact ties are rare."""
    import numpy as np

    rng = np.random.default_rng(seed)
    columns = ("tier", "district", "option", "card", "party", "alliance", "votes")
    rows: dict[str, list[Any]] = {c: [] for c in columns}
    for tier in rs.tiers:
        if not tier.has_votes:
            continue
        for d in tier.districts:
            if d.seats == 0:
                continue
            lists = tier.kind in ("list",)
            count = int(rng.integers(2, 6)) if lists else d.seats + int(rng.integers(1, 3))
            for i in range(count):
                party = PARTIES[i % len(PARTIES)] if lists else PARTIES[int(rng.integers(0, len(PARTIES)))]
                option = f"list-{party}-{i // len(PARTIES)}" if lists else f"{tier.id}/{d.id}/{i}"
                for card in range(int(rng.integers(1, 3))):
                    rows["tier"].append(tier.id)
                    rows["district"].append(d.id)
                    rows["option"].append(option)
                    rows["card"].append(f"card-{party}-{card}")
                    rows["party"].append(party)
                    rows["alliance"].append("A" if party in ("P0", "P1") else party)
                    rows["votes"].append(int(rng.integers(1, 1_000_000)))
    return pl.DataFrame(rows)


def split_one_card(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Move part of one row's votes to a new card backing the same option."""
    import numpy as np

    rng = np.random.default_rng(seed)
    i = int(rng.integers(0, frame.height))
    row = frame.row(i, named=True)
    moved = int(rng.integers(0, row["votes"] + 1))
    here = pl.int_range(pl.len()) == i
    kept = pl.when(here).then(pl.col("votes") - moved).otherwise(pl.col("votes"))
    frame = frame.with_columns(kept.alias("votes"))
    extra = pl.DataFrame([{**row, "card": row["card"] + "-split", "votes": moved}], schema=frame.schema)
    return pl.concat([frame, extra])


def tier_tables(res: ElectionResult) -> dict[str, pl.DataFrame]:
    return {t.id: t.to_polars() for t in res.tiers}


PROPERTY_RULESETS = [str(TOY), *(info.id for info in seats.available_rulesets())]


@pytest.mark.parametrize("ref", PROPERTY_RULESETS)
def test_random_tables_fill_every_seat_and_cards_do_not_matter(ref: str) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    rs = load_ruleset(ref, overrides={"ties": "order"})
    parallel = all(link.kind == "parallel" for link in rs.links)

    @settings(max_examples=5 if ref != str(TOY) else 20, database=None)
    @given(st.integers(0, 2**32 - 1))
    def check(seed: int) -> None:
        votes = random_votes(rs, seed)
        res = rs.allocate(votes)
        assert res.total == rs.total_seats
        for t in res.tiers:
            assert t.total == t.tier.seats, t.id
            for d in t.districts:
                assert sum(d.seats.values()) == d.magnitude, (t.id, d.district)
        # splitting one card's votes between two cards that back the same option changes nothing
        assert rs.allocate(split_one_card(votes, seed)).to_polars().equals(res.to_polars())
        if parallel:
            # the parallel link never moves seats between tiers: new votes in one tier change no other tier
            first = next(t for t in rs.tiers if t.has_votes)
            dependents = {t.id for t in rs.tiers if t.source == first.id}
            scaled = votes.with_columns(
                pl.when(pl.col("tier") == first.id).then(pl.col("votes") * 3 + 1).otherwise(pl.col("votes")))
            again = tier_tables(rs.allocate(scaled))
            for tier_id, frame in tier_tables(res).items():
                if tier_id != first.id and tier_id not in dependents:
                    assert again[tier_id].equals(frame), tier_id

    check()


@pytest.mark.parametrize("ref", PROPERTY_RULESETS)
def test_overriding_a_method_changes_only_that_tier(ref: str) -> None:
    rs = load_ruleset(ref, overrides={"ties": "order"})
    if any(link.kind != "parallel" for link in rs.links):
        pytest.skip(reason=f"{ref}: linked tiers depend on each other's seats")
    votes = random_votes(rs, 20261125)
    base = tier_tables(rs.allocate(votes))
    for tier in rs.tiers:
        if not tier.has_votes and tier.kind != "derived":
            continue
        other = "sainte-lague" if tier.method != "sainte-lague" else "dhondt"
        if seats.resolve(tier.method).family == "plurality":
            other = "sntv" if tier.method != "sntv" else "block"
        changed = tier_tables(load_ruleset(ref, overrides={"ties": "order",
                                                           f"tiers.{tier.id}.method": other}).allocate(votes))
        for tier_id, frame in base.items():
            if tier_id != tier.id:
                assert changed[tier_id].equals(frame), (tier.id, tier_id)


def test_a_lot_without_a_seed_draws_one_for_the_whole_election() -> None:
    rs = load_ruleset(TOY, overrides={"tiers.national.method": "hare", "ties": "lot"})
    res = rs.allocate()
    assert res.seed is not None and [e.seed for e in res.ties] == [res.seed]
    assert rs.allocate(seed=res.seed).to_polars().equals(res.to_polars())
    assert load_ruleset(TOY).allocate().seed is None  # nothing drawn without a lot


# ---------------------------------------------------------------- districts that elect nobody (parish level)


PARISHES = """
id = "parishes"
total_seats = 4
[[tier]]
id = "parish"
method = "dhondt"
threshold = "1/10"
threshold_scope = "tier"
districts = [{ id = "p1", seats = 0, parent = "R1" }, { id = "p2", seats = 0, parent = "R1" },
             { id = "p3", seats = 0, parent = "R2" }]
[[tier]]
id = "regions"
kind = "derived"
source = "parish"
method = "dhondt"
districts = [{ id = "R1", seats = 2 }, { id = "R2", seats = 2 }]
"""
# tier-wide: A 400, B 330, C 50 of 780 (C under 10 %)
PARISH_VOTES = table(("parish", "p1", "B", 200), ("parish", "p1", "A", 100), ("parish", "p1", "C", 30),
                     ("parish", "p2", "A", 150), ("parish", "p2", "C", 20),
                     ("parish", "p3", "A", 150), ("parish", "p3", "B", 130))


def test_a_district_electing_nobody_keeps_its_votes_without_running_the_method() -> None:
    res = rules(PARISHES).allocate(PARISH_VOTES)
    p1 = res.tier("parish").district("p1")
    assert (p1.magnitude, dict(p1.votes), dict(p1.seats)) == (0, {"B": 200, "A": 100, "C": 30},
                                                              {"B": 0, "A": 0, "C": 0})
    assert list(p1.seats) == ["B", "A", "C"]  # the votes' order
    assert p1.allocation is None and p1.ties == ()
    assert p1.excluded == ("C",)  # the tier-wide threshold is still recorded
    assert res.tier("parish").district("p3").excluded == ()
    assert res.tier("parish").total == 0
    # the derived tier sums every parish by parent, in order of first appearance
    assert dict(res.tier("regions").district("R1").votes) == {"B": 200, "A": 250, "C": 50}
    assert dict(res.tier("regions").district("R2").votes) == {"A": 150, "B": 130}
    assert seats_of(res, "regions", "R1") == {"A": 1, "B": 1}
    assert seats_of(res, "regions", "R2") == {"A": 1, "B": 1}
    assert res.total == 4
    rows = res.by("district").filter(pl.col("tier") == "parish")
    assert rows["votes"].sum() == 780 and rows["seats"].sum() == 0
    assert "-- parish / p1 (0 seats)\nseats: B 0, A 0, C 0" in res.explain()
    from seats.analysis.margins import seat_margins

    assert {m.tier for m in seat_margins(res).margins} == {"regions"}


def test_a_district_electing_nobody_gives_what_the_method_would() -> None:
    res = rules(PARISHES).allocate(PARISH_VOTES)
    for d in res.tier("parish").districts:
        running = {o: v for o, v in d.votes.items() if o not in d.excluded}
        assert dict(seats.apportion(running, 0, method="dhondt").seats) == {o: 0 for o in running}


def test_a_derived_tier_of_many_districts_matches_a_sum_row_by_row() -> None:
    parishes = ", ".join(f'{{ id = "p{i}", seats = 0, parent = "R{i % 3}" }}' for i in range(60))
    text = f"""
id = "many"
total_seats = 9
[[tier]]
id = "parish"
method = "dhondt"
districts = [{parishes}]
[[tier]]
id = "regions"
kind = "derived"
source = "parish"
method = "sainte-lague"
districts = [{{ id = "R0", seats = 3 }}, {{ id = "R1", seats = 3 }}, {{ id = "R2", seats = 3 }}]
"""
    rows = [("parish", f"p{i}", f"o{(i * 7 + j) % 11}", (i * 31 + j * 17) % 500) for i in range(60)
            for j in range(5)]
    res = rules(text).allocate(table(*rows))
    expected: dict[str, dict[str, int]] = {"R0": {}, "R1": {}, "R2": {}}
    for _, district, option, votes in rows:
        home = expected[f"R{int(district[1:]) % 3}"]
        home[option] = home.get(option, 0) + votes
    for r, sums in expected.items():
        got = res.tier("regions").district(r).votes
        assert list(got.items()) == list(sums.items())
        assert sum(res.tier("regions").district(r).seats.values()) == 3
