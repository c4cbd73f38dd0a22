"""Monte Carlo speed paths: minor lists drawn in groups, block-vote losers drawn together, chunks on threads.

Every path must give exactly what the scalar engine gives on the run's full vote table, and the
same result for any number of worker threads.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seats
from seats.analysis import simulate as module
from seats.analysis.simulate import CHUNK, SimulationError, simulate
from seats.analysis.simulate import grouped as sim_grouped
from seats.analysis.simulate import lazy as sim_lazy
from seats.analysis.simulate import plan as sim_plan
from seats.analysis.simulate import run as sim_run
from seats.analysis.simulate import solve as sim_solve
from seats.rules import load_ruleset
from seats.rules.model import RuleSet

RULES = """
id = "lists"
name = "Two-tier list assembly with many small lists"
total_seats = 25
ties = "order"

[[tier]]
id = "nominal"
kind = "nominal"
method = "block"
districts = [{id = "c1", seats = 1, parent = "S1"}, {id = "c2", seats = 2, parent = "S2"}]

[[tier]]
id = "state-list"
kind = "list"
method = "dhondt"
districts = [{id = "S1", seats = 4}, {id = "S2", seats = 3}, {id = "S3", seats = 5}]

[[tier]]
id = "national-list"
kind = "derived"
source = "state-list"
method = "dhondt"
districts = [{id = "N", seats = 10}]

[[link]]
kind = "parallel"
tiers = ["nominal", "state-list", "national-list"]
"""

# two big lists, one that wins a national seat, and six small ones (together above the national list's
# last quotient, so they need two groups)
LISTS = {
    "S1": {"A": 20_000, "B": 12_500, "C": 3_000, "m1": 1_500, "m2": 1_300, "m3": 900, "m4": 700},
    "S2": {"A": 10_000, "B": 13_000, "C": 2_000, "m1": 1_200, "m3": 1_000, "m5": 800, "m6": 600},
    "S3": {"A": 25_000, "B": 15_000, "C": 4_500, "m2": 1_600, "m4": 1_400, "m5": 1_200, "m6": 300},
}
NOMINAL = {
    "c1": {"a1": ("A", 90_000), "b1": ("B", 60_000), "x1": ("m1", 5_000), "y1": ("m2", 4_000)},
    "c2": {"a2": ("A", 80_000), "a2b": ("A", 70_000), "b2": ("B", 50_000), "x2": ("m3", 6_000)},
}


def votes() -> pl.DataFrame:
    rows = [("state-list", d, o, o, v) for d, lists in LISTS.items() for o, v in lists.items()]
    rows += [("nominal", d, o, p, v) for d, cands in NOMINAL.items() for o, (p, v) in cands.items()]
    return pl.DataFrame(rows, schema=["tier", "district", "option", "party", "votes"], orient="row")


@pytest.fixture(autouse=True)
def draw_every_circuit(monkeypatch: pytest.MonkeyPatch) -> None:
    """These circuits are far from close: without this, none would be drawn (test_simulate_certain.py)."""
    monkeypatch.setattr(sim_lazy, "certain", lambda *args: False)


@pytest.fixture
def rs(tmp_path: Path) -> RuleSet:
    (tmp_path / "ruleset.toml").write_text(RULES, encoding="utf-8")
    return load_ruleset(tmp_path / "ruleset.toml")


def by_party(res: seats.ElectionResult, parties: tuple[str, ...], tier: str) -> list[int]:
    frame = res.tier(tier).by("party")
    got = dict(zip(frame["party"].to_list(), frame["seats"].to_list(), strict=True))
    return [int(got.get(p, 0)) for p in parties]


def plan_of(rs: RuleSet, tier: str) -> sim_plan._TierPlan:
    _, _, plans = sim_run._setup(rs, votes(), None, module.Noise.parse("multinomial"))
    return next(p for p in plans if p.tier.id == tier)


def test_small_lists_are_grouped_below_every_last_quotient(rs: RuleSet) -> None:
    plan = plan_of(rs, "state-list")
    gp = plan.grouped
    assert gp is not None
    groups = gp.gcol.shape[1]
    members = {
        plan.names[d][k] for d in range(len(plan.names)) for k in gp.members[d].ravel().tolist() if k >= 0
    }
    assert members <= {"m1", "m2", "m3", "m4", "m5", "m6"} and len(members) >= 4
    assert 1 <= groups < len(members)  # fewer categories to draw than lists
    # each group's total stays below the last quotient awarded, in every state and in the national list
    for c in (gp.compact, gp.derived[0][1]):
        assert c.base is not None
        g = gp.gcol if c is gp.compact else gp.derived[0][3]
        obs = np.take_along_axis(c.observed, g, axis=1)
        last = np.where(c.base > 0, c.observed / np.maximum(c.base, 1), np.inf).min(axis=1)
        assert (obs < last[:, None]).all()
    assert plan_of(rs, "national-list").via == "state-list"


def test_dirichlet_noise_draws_every_list(rs: RuleSet) -> None:
    _, _, plans = sim_run._setup(rs, votes(), None, module.Noise.parse("dirichlet:500"))
    assert all(p.grouped is None and p.lazy is None for p in plans)


def force_splits(monkeypatch: pytest.MonkeyPatch, *, force: bool = True) -> list[int]:
    """Make the compact check give up on a third of the (run, district) rows, as if each group there had
    reached a seat: those rows (and every district of those runs, for the national list) are split and
    solved from full votes. Returns the sizes of the splits made to allocate (with ``force=False``, only
    counts them)."""
    real_solve, real_split = sim_grouped._solve_fast, sim_grouped._split_rows
    sizes: list[int] = []

    def solve(
        plan: sim_plan._TierPlan, v: np.ndarray, excluded: np.ndarray | None
    ) -> tuple[sim_solve._Outcome, np.ndarray, np.ndarray]:
        if not force or not any(n.startswith("group:") for names in plan.names for n in names):
            return real_solve(plan, v, excluded)
        out, pending, running = real_solve(dataclasses.replace(plan, base=None), v, excluded)
        pick = np.flatnonzero(out.rows.sum(axis=1) % 3 == 0)
        return out, np.union1d(pending, pick), running

    def split(
        gp: sim_grouped._Grouped, width: int, compact: np.ndarray, rows: np.ndarray, rng: Any
    ) -> np.ndarray:
        sizes.append(len(rows))
        return real_split(gp, width, compact, rows, rng)

    monkeypatch.setattr(sim_grouped, "_solve_fast", solve)
    monkeypatch.setattr(sim_grouped, "_split_rows", split)
    return sizes


@pytest.mark.parametrize("forced", [False, True])
def test_grouped_runs_equal_the_scalar_engine(
    rs: RuleSet, monkeypatch: pytest.MonkeyPatch, forced: bool
) -> None:
    """Groups drawn as one (splits are rare), and groups split in a third of the rows: the seats are
    the scalar engine's on the run's full votes either way."""
    sizes = force_splits(monkeypatch, force=forced)
    plain = simulate(rs, votes(), runs=300, seed=5, workers=1)
    if forced:
        assert 0 < sum(sizes) < 300 * 3
    else:  # the groups stay far below every last quotient here: no run needs its groups split
        assert sum(sizes) == 0
    kept = simulate(rs, votes(), runs=300, seed=5, keep_votes=True, workers=1)
    assert np.array_equal(kept.seats, plain.seats)  # showing the votes never changes a seat
    for row in range(0, kept.kept, 11):
        run = int(kept.run_index[row])
        scalar = rs.allocate(kept.run_votes(run))
        for tier in rs.tier_ids:
            assert kept.tier_seats[tier][row].tolist() == by_party(scalar, kept.parties, tier), (run, tier)


CLOSE = """
id = "close"
name = "Small districts where a group of small lists can reach a seat"
total_seats = 9
ties = "order"

[[tier]]
id = "list"
kind = "list"
method = "dhondt"
districts = [{id = "S1", seats = 3}, {id = "S2", seats = 2}]

[[tier]]
id = "national"
kind = "derived"
source = "list"
method = "dhondt"
districts = [{id = "N", seats = 4}]
"""


def close_votes() -> pl.DataFrame:
    lists = {
        "S1": {"A": 300, "B": 200, "m1": 70, "m2": 60, "m3": 45},
        "S2": {"A": 200, "B": 180, "m1": 40, "m2": 30, "m3": 35},
    }
    rows = [("list", d, o, v) for d, row in lists.items() for o, v in row.items()]
    return pl.DataFrame(rows, schema=["tier", "district", "option", "votes"], orient="row")


def test_a_group_that_reaches_a_seat_is_split_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Groups packed up to the last quotient (m2 + m3 nationally 170 against 190): in many runs the
    group's total reaches a seat, the run is split, and the seats are the scalar engine's."""
    monkeypatch.setattr(sim_plan, "_LAZY_MARGIN", 0.999)
    monkeypatch.setattr(sim_plan, "_LAZY_Z", 0.0)
    (tmp_path / "ruleset.toml").write_text(CLOSE, encoding="utf-8")
    rs = load_ruleset(tmp_path / "ruleset.toml")
    _, _, plans = sim_run._setup(rs, close_votes(), None, module.Noise.parse("multinomial"))
    gp = plans[0].grouped
    assert gp is not None and gp.gcol.shape[1] == 1
    sizes: list[int] = []
    real = sim_grouped._split_rows

    def split(
        g: sim_grouped._Grouped, width: int, compact: np.ndarray, rows: np.ndarray, rng: Any
    ) -> np.ndarray:
        sizes.append(len(rows))
        return real(g, width, compact, rows, rng)

    monkeypatch.setattr(sim_grouped, "_split_rows", split)
    plain = simulate(rs, close_votes(), runs=150, seed=4, workers=1)
    assert 10 < sum(sizes) < 150 * 2  # some (run, state) rows split, not all
    res = simulate(rs, close_votes(), runs=150, seed=4, keep_votes=True, workers=1)
    assert np.array_equal(res.seats, plain.seats)
    for row in range(res.kept):
        run = int(res.run_index[row])
        scalar = rs.allocate(res.run_votes(run))
        for tier in rs.tier_ids:
            assert res.tier_seats[tier][row].tolist() == by_party(scalar, res.parties, tier), (run, tier)


def test_grouped_members_have_the_multinomial_marginals(rs: RuleSet) -> None:
    runs = 3000
    rv = module.simulate_votes(rs, votes(), runs=runs, seed=11)
    t = rv.tiers.index("state-list")
    arr, names = rv.arrays[t], rv.names[t]
    for d, district in enumerate(rv.districts[t]):
        n = sum(LISTS[district].values())
        assert (arr[:, d].sum(axis=1) == n).all()
        for k, option in enumerate(names[d]):
            p = LISTS[district][option] / n
            x = arr[:, d, k]
            mean, var = n * p, n * p * (1 - p)
            assert abs(x.mean() - mean) < 5 * np.sqrt(var / runs), (district, option)
            assert abs(x.var(ddof=1) / var - 1) < 0.2, (district, option)  # binomial spread, not less
    # a minor list's votes are independent of another group's (splits of different groups)
    d = rv.districts[t].index("S1")
    m1, m4 = names[d].index("m1"), names[d].index("m4")
    assert abs(np.corrcoef(arr[:, d, m1], arr[:, d, m4])[0, 1]) < 0.1


def test_block_vote_losers_drawn_together_stay_exact(rs: RuleSet) -> None:
    plan = plan_of(rs, "nominal")
    assert plan.lazy is not None
    # the clear circuits draw only their winners and the others' total: one column per seat, plus one
    assert plan.lazy.major.shape[1] == 2 and bool(plan.lazy.has_minor.all())
    res = simulate(rs, votes(), runs=200, seed=3, keep_votes=True, workers=1)
    for run in (0, 77, 199):
        scalar = rs.allocate(res.run_votes(run))
        assert res.tier_seats["nominal"][run].tolist() == by_party(scalar, res.parties, "nominal")


@pytest.mark.parametrize("noise", ["multinomial", "dirichlet:300"])
def test_workers_do_not_change_the_result(rs: RuleSet, noise: str) -> None:
    runs = 2 * CHUNK + 300  # three chunks, the last one short
    one = simulate(rs, votes(), runs=runs, seed=9, noise=noise, keep_votes=True, workers=1)
    two = simulate(rs, votes(), runs=runs, seed=9, noise=noise, keep_votes=True, workers=2)
    assert np.array_equal(one.seats, two.seats) and np.array_equal(one.run_index, two.run_index)
    assert one.tie_districts == two.tie_districts and one.tie_runs == two.tie_runs
    assert one.votes is not None and two.votes is not None
    for a, b in zip(one.votes.arrays, two.votes.arrays, strict=True):
        assert np.array_equal(a, b)
    # the chunks differ from each other (each has a generator of its own)
    first = one.votes.arrays[0]
    assert not np.array_equal(first[:300], first[CHUNK : CHUNK + 300])


def test_progress_is_reported_in_order_from_the_threads(rs: RuleSet) -> None:
    seen: list[int] = []
    simulate(rs, votes(), runs=3 * CHUNK + 1, seed=1, workers=2, progress=seen.append)
    assert seen == [CHUNK, CHUNK, CHUNK, 1]


@pytest.mark.parametrize("workers", [0, -1, 1.5, True, "2"])
def test_bad_workers_are_named(rs: RuleSet, workers: object) -> None:
    with pytest.raises(SimulationError, match="workers must be a whole number >= 1"):
        simulate(rs, votes(), runs=10, seed=1, workers=workers)  # type: ignore[arg-type]


def test_ve_2020_state_lists_are_grouped_and_draw_far_fewer_variates() -> None:
    rs = seats.load_ruleset("ve-2020-an")
    _, _, plans = sim_run._setup(rs, None, None, module.Noise.parse("multinomial"))
    state = next(p for p in plans if p.tier.id == "state-list")
    nominal = next(p for p in plans if p.tier.id == "nominal")
    assert state.grouped is not None and nominal.lazy is not None
    assert next(p for p in plans if p.tier.id == "national-list").via == "state-list"
    variates = int((state.grouped.compact.observed > 0).sum()) - len(state.names)
    variates += int((nominal.lazy.p_major > 0).sum()) - len(nominal.names)
    everything = sum(int((p.observed > 0).sum()) - len(p.names) for p in (state, nominal))
    assert variates < 0.6 * everything


@pytest.mark.parametrize(
    "overrides",
    [{}, {"tiers.state-list.method": "sainte-lague", "tiers.national-list.method": "danish"}],
)
def test_the_baseline_from_certified_plans_is_the_rule_sets_allocation(
    tmp_path: Path, overrides: dict[str, str]
) -> None:
    (tmp_path / "ruleset.toml").write_text(RULES, encoding="utf-8")
    rs = load_ruleset(tmp_path / "ruleset.toml", overrides=overrides or None)
    _, options, plans = sim_run._setup(rs, votes(), None, module.Noise.parse("multinomial"))
    parties = tuple(dict.fromkeys(p for p, _ in options.values()))
    party_idx = np.array([parties.index(options[o][0]) for o in options], dtype=np.int64)
    got = sim_run._certain_baseline(plans, party_idx, len(parties))
    frame = rs.allocate(votes()).by("party")
    want = dict(zip(frame["party"].to_list(), frame["seats"].to_list(), strict=True))
    assert got == tuple(int(want.get(p, 0)) for p in parties)


def test_an_uncertified_baseline_falls_back_to_the_scalar_engine(tmp_path: Path) -> None:
    (tmp_path / "ruleset.toml").write_text(RULES, encoding="utf-8")
    rs = load_ruleset(tmp_path / "ruleset.toml")
    tied = votes().with_columns(  # B = A in S2: the third seat of S2 is tied (settled by order)
        pl.when((pl.col("district") == "S2") & (pl.col("option") == "B"))
        .then(10_000)
        .otherwise(pl.col("votes"))
        .alias("votes")
    )
    _, options, plans = sim_run._setup(rs, tied, None, module.Noise.parse("multinomial"))
    parties = tuple(dict.fromkeys(p for p, _ in options.values()))
    party_idx = np.array([parties.index(options[o][0]) for o in options], dtype=np.int64)
    assert sim_run._certain_baseline(plans, party_idx, len(parties)) is None
    res = simulate(rs, tied, runs=20, seed=1, workers=1)
    frame = rs.allocate(tied).by("party")
    want = dict(zip(frame["party"].to_list(), frame["seats"].to_list(), strict=True))
    assert res.baseline == tuple(int(want.get(p, 0)) for p in parties)
    assert simulate(rs, tied, runs=20, seed=1, ties="error", workers=1).baseline is None


def test_two_derived_tiers_one_with_several_districts_share_the_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second tier derived from the grouped list tier, by parent region: its compact votes sum the
    groups per region, and forced splits still give the scalar engine's seats in every tier."""
    text = RULES.replace("total_seats = 25", "total_seats = 30").replace(
        "[[link]]",
        '[[tier]]\nid = "regional"\nkind = "derived"\nsource = "state-list"\nmethod = "sainte-lague"\n'
        'districts = [{id = "R1", seats = 3}, {id = "R2", seats = 2}]\n\n[[link]]',
    )
    text = text.replace('{id = "S1", seats = 4}', '{id = "S1", seats = 4, parent = "R1"}')
    text = text.replace('{id = "S2", seats = 3}', '{id = "S2", seats = 3, parent = "R1"}')
    text = text.replace('{id = "S3", seats = 5}', '{id = "S3", seats = 5, parent = "R2"}')
    text = text.replace(
        'tiers = ["nominal", "state-list", "national-list"]',
        'tiers = ["nominal", "state-list", "national-list", "regional"]',
    )
    (tmp_path / "ruleset.toml").write_text(text, encoding="utf-8")
    rs = load_ruleset(tmp_path / "ruleset.toml")
    state = plan_of(rs, "state-list")
    assert state.grouped is not None and len(state.grouped.derived) == 2
    assert plan_of(rs, "regional").via == "state-list"
    with pytest.MonkeyPatch.context() as count:  # unforced, the regions' group sums never need a split
        counted = force_splits(count, force=False)
        simulate(rs, votes(), runs=150, seed=8, workers=1)
    assert sum(counted) == 0
    sizes = force_splits(monkeypatch)
    res = simulate(rs, votes(), runs=150, seed=8, keep_votes=True, workers=1)
    assert sum(sizes) > 0
    assert (res.tier_seats["regional"].sum(axis=1) == 5).all()
    for row in range(0, res.kept, 7):
        run = int(res.run_index[row])
        scalar = rs.allocate(res.run_votes(run))
        for tier in rs.tier_ids:
            assert res.tier_seats[tier][row].tolist() == by_party(scalar, res.parties, tier), (run, tier)


def test_a_list_tier_with_a_threshold_is_drawn_in_full(tmp_path: Path) -> None:
    text = RULES.replace(
        'method = "dhondt"\ndistricts = [{id = "S1"',
        'method = "dhondt"\nthreshold = "3%"\ndistricts = [{id = "S1"',
    )
    (tmp_path / "ruleset.toml").write_text(text, encoding="utf-8")
    rs = load_ruleset(tmp_path / "ruleset.toml")
    assert rs.tier("state-list").threshold
    assert plan_of(rs, "state-list").grouped is None and plan_of(rs, "national-list").via is None


PROPERTY = """
id = "prop"
name = "Two states and their sum"
total_seats = {total}
ties = "order"

[[tier]]
id = "list"
kind = "list"
method = "{method}"
districts = [{{id = "S1", seats = {s1}}}, {{id = "S2", seats = {s2}}}]

[[tier]]
id = "national"
kind = "derived"
source = "list"
method = "{method}"
districts = [{{id = "N", seats = {n}}}]
"""


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    s1=st.lists(st.integers(0, 400), min_size=5, max_size=5),
    s2=st.lists(st.integers(0, 400), min_size=5, max_size=5),
    seats=st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 5)),
    method=st.sampled_from(["dhondt", "sainte-lague"]),
)
def test_any_grouping_gives_the_scalar_engines_seats(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    s1: list[int],
    s2: list[int],
    seats: tuple[int, int, int],
    method: str,
) -> None:
    """Small lists packed right up to the last quotient (so groups often reach a seat and are split):
    every run's seats in both tiers are the scalar engine's on that run's full votes."""
    monkeypatch.setattr(sim_plan, "_LAZY_MARGIN", 0.999)
    monkeypatch.setattr(sim_plan, "_LAZY_Z", 0.0)
    lists = {"S1": [1000, 700, *s1], "S2": [900, 800, *s2]}
    text = PROPERTY.format(total=sum(seats), method=method, s1=seats[0], s2=seats[1], n=seats[2])
    path = tmp_path / f"prop-{abs(hash((tuple(s1), tuple(s2), seats, method)))}"
    path.mkdir()
    (path / "ruleset.toml").write_text(text, encoding="utf-8")
    rs = load_ruleset(path / "ruleset.toml")
    rows = [("list", d, f"L{k}", v) for d, vs in lists.items() for k, v in enumerate(vs) if v > 0]
    frame = pl.DataFrame(rows, schema=["tier", "district", "option", "votes"], orient="row")
    res = simulate(rs, frame, runs=15, seed=3, keep_votes=True, workers=1)
    for row in range(res.kept):
        run = int(res.run_index[row])
        scalar = rs.allocate(res.run_votes(run))
        for tier in rs.tier_ids:
            assert res.tier_seats[tier][row].tolist() == by_party(scalar, res.parties, tier), (run, tier)
