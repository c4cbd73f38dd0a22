"""Monte Carlo of rule sets with a biproportional tier: every run equals the scalar engine's allocation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

import seats
from seats.analysis.simulate import SimulationResult, simulate
from seats.analysis.simulate import joint as joint_module
from seats.cli import main
from seats.methods.biproportional import lower_apportionment
from seats.methods.registry import REGISTRY
from seats.rules import load_ruleset
from seats.rules.model import RuleSet

ROOT = Path(__file__).resolve().parents[2]
VE_2020_VOTES = ROOT / "fixtures" / "ve-2020-an" / "votes.csv"

TOY = """
id = "bitoy"
name = "Toy assembly with a biproportional list tier"
total_seats = 19
ties = "error"

[[tier]]
id = "list"
kind = "list"
method = "biproportional"
options = { rounding = "sainte-lague" }
districts = [{id = "S1", seats = 4}, {id = "S2", seats = 3}, {id = "S3", seats = 6}]

[[tier]]
id = "national"
kind = "derived"
source = "list"
method = "dhondt"
districts = [{id = "N", seats = 6}]

[[link]]
kind = "parallel"
tiers = ["list", "national"]
"""

ALLIANCE = {"A": "Left", "B": "Left", "C": "Right", "D": "Other", "E": "Other"}
LISTS = {
    "S1": {"A": 5000, "B": 1500, "C": 4200, "D": 300, "E": 900},
    "S2": {"A": 1200, "B": 300, "C": 2600, "D": 150},
    "S3": {"A": 3900, "B": 900, "C": 3700, "D": 800, "E": 1400},
}


def toy(tmp_path: Path, text: str = TOY, **overrides: str) -> RuleSet:
    folder = tmp_path / "bitoy"
    folder.mkdir(exist_ok=True)
    (folder / "ruleset.toml").write_text(text, encoding="utf-8")
    return load_ruleset(folder / "ruleset.toml", overrides=overrides or None)


def toy_votes(lists: dict[str, dict[str, int]] = LISTS) -> pl.DataFrame:
    rows = [
        ("list", district, option, option, ALLIANCE[option], v)
        for district, votes in lists.items()
        for option, v in votes.items()
    ]
    return pl.DataFrame(
        rows, schema=["tier", "district", "option", "party", "alliance", "votes"], orient="row"
    )


def by_party(res: seats.ElectionResult, parties: tuple[str, ...], tier: str | None = None) -> list[int]:
    frame = (res.tier(tier) if tier else res).by("party")
    got = dict(zip(frame["party"].to_list(), frame["seats"].to_list(), strict=True))
    return [int(got.get(p, 0)) for p in parties]


def assert_runs_equal_scalar(rs: RuleSet, res: SimulationResult, rows: range) -> None:
    """Every kept run at ``rows`` (positions in ``res.seats``) has the seats of ``rs.allocate``, by tier."""
    for row in rows:
        run = int(res.run_index[row])
        scalar = rs.allocate(res.run_votes(run), seed=res.seed + run)
        for tier in rs.tier_ids:
            assert res.tier_seats[tier][row].tolist() == by_party(scalar, res.parties, tier), (run, tier)


class Counting:
    """Wraps the exact engine of the biproportional solver, counting the runs it is given."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.runs = 0
        original: Callable[..., None] = joint_module._exact_joint

        def counted(*args: Any) -> None:
            self.runs += len(args[4])
            original(*args)

        monkeypatch.setattr(joint_module, "_exact_joint", counted)


# ---------------------------------------------------------------- the 2020 National Assembly


@pytest.fixture(scope="module")
def ve_votes() -> Path:
    if not VE_2020_VOTES.exists():
        pytest.skip(f"the ve-2020-an vote fixture {VE_2020_VOTES} is not in this checkout")
    return VE_2020_VOTES


@pytest.mark.parametrize("rounding", ["sainte-lague", "dhondt"])
def test_ve_2020_biproportional_runs_equal_the_scalar_engine(
    ve_votes: Path, monkeypatch: pytest.MonkeyPatch, rounding: str
) -> None:
    rs = seats.load_ruleset(
        "ve-2020-an",
        overrides={
            "tiers.state-list.method": "biproportional",
            "tiers.state-list.options": {"rounding": rounding},
        },
    )
    assert rs.tier("state-list").rounding == rounding
    exact = Counting(monkeypatch)
    res = simulate(rs, runs=300, seed=5, noise="dirichlet:300", keep_votes=True)
    assert res.kept == 300 and not res.tie_districts
    state = res.tier_seats["state-list"]
    assert (state.sum(axis=1) == 96).all() and (res.seats.sum(axis=1) == 277).all()
    assert len({tuple(r) for r in state.tolist()}) > 5  # the noise moves seats between parties
    assert exact.runs < 15  # the vectorised path certifies nearly every run
    assert_runs_equal_scalar(rs, res, range(0, 300, 43))


def test_ve_2020_multinomial_and_the_derived_national_list(ve_votes: Path) -> None:
    rs = seats.load_ruleset("ve-2020-an", overrides={"tiers.state-list.method": "biproportional"})
    res = simulate(rs, runs=1500, seed=3, noise="multinomial", keep_votes=True)
    assert res.kept == 1500
    for tier in rs.tiers:
        assert (res.tier_seats[tier.id].sum(axis=1) == tier.seats).all()
    base = rs.allocate()
    assert res.baseline == tuple(by_party(base, res.parties))
    assert_runs_equal_scalar(rs, res, range(7, 1500, 700))


def test_cli_simulates_a_biproportional_state_list(ve_votes: Path) -> None:
    out = CliRunner().invoke(
        main,
        [
            "simulate",
            "ve-2020-an",
            "--set",
            "tiers.state-list.method=biproportional",
            "--runs",
            "200",
            "--seed",
            "1",
            "--quiet",
            "--format",
            "csv",
        ],
    )
    assert out.exit_code == 0, out.output
    frame = pl.read_csv(out.stdout.encode())
    assert "Gran Polo Patriótico" in frame["name"].to_list() and set(frame["kept"].to_list()) == {200}


# ---------------------------------------------------------------- a toy tier: thresholds, ties, the fallback


@pytest.mark.parametrize("rounding", ["sainte-lague", "modified-sainte-lague", "danish", "dhondt"])
def test_toy_runs_equal_the_scalar_engine_with_heavy_noise(tmp_path: Path, rounding: str) -> None:
    rs = toy(tmp_path, TOY.replace('rounding = "sainte-lague"', f'rounding = "{rounding}"'))
    res = simulate(rs, toy_votes(), runs=400, seed=2, noise="dirichlet:40", ties="order", keep_votes=True)
    assert len({tuple(r) for r in res.tier_seats["list"].tolist()}) > 8
    order = toy(tmp_path, TOY.replace('rounding = "sainte-lague"', f'rounding = "{rounding}"'), ties="order")
    assert_runs_equal_scalar(order, res, range(0, 400, 13))


def test_a_tier_wide_threshold_is_applied_to_every_run(tmp_path: Path) -> None:
    text = TOY.replace(
        'options = { rounding = "sainte-lague" }',
        'options = { rounding = "dhondt" }\nthreshold = "8%"\n'
        'threshold_scope = "tier"\nthreshold_level = "party"',
    )
    rs = toy(tmp_path, text, ties="order")
    assert rs.tier("list").threshold is not None
    res = simulate(rs, toy_votes(), runs=300, seed=4, noise="dirichlet:60", keep_votes=True)
    assert res.votes is not None
    at = res.votes.tiers.index("list")
    arr, names = res.votes.arrays[at], res.votes.names[at]
    share = {}
    for party in ("D", "E"):  # each list is its own party here
        mine = sum(arr[:, d, names[d].index(party)] for d in range(len(names)) if party in names[d])
        share[party] = mine / arr.sum(axis=(1, 2))
        below = share[party][res.run_index] < 0.08
        assert 0 < below.sum() < res.kept  # about 4.7% and 8.7% of the tier: noise moves them across
        assert (res.tier_seats["list"][below, res.parties.index(party)] == 0).all()
    assert (res.tier_seats["list"][:, res.parties.index("D")] > 0).any()
    assert_runs_equal_scalar(rs, res, range(0, 300, 11))


COIN = """
id = "coin"
total_seats = 3
ties = "error"

[[tier]]
id = "list"
method = "biproportional"
options = { rounding = "sainte-lague" }
districts = [{id = "X", seats = 1}, {id = "Y", seats = 2}]
"""


def coin_votes() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "tier": ["list"] * 4,
            "district": ["X", "X", "Y", "Y"],
            "option": ["A", "B", "A", "B"],
            "votes": [4, 4, 6, 6],
        }
    )


def test_runs_decided_by_a_tie_are_left_out_and_reported(tmp_path: Path) -> None:
    rs = toy(tmp_path, COIN)
    res = simulate(rs, coin_votes(), runs=200, seed=8, keep_votes=True)
    dropped = set(res.dropped_runs.tolist())
    assert 10 < len(dropped) < 190 and res.tie_runs == len(dropped)
    assert dict(res.tie_districts) == {"list": len(dropped)}  # a biproportional tie is the whole tier's
    assert res.baseline is None  # the observed votes are tied too
    kept = dict(zip(res.run_index.tolist(), range(res.kept), strict=True))
    for run in range(200):
        if run in dropped:
            with pytest.raises(seats.TieError, match="tier 'list'"):
                rs.allocate(res.run_votes(run))
        else:
            scalar = rs.allocate(res.run_votes(run))
            assert res.seats[kept[run]].tolist() == by_party(scalar, res.parties), run


@pytest.mark.parametrize("policy", ["order", "lot", "most-votes"])
def test_ties_are_settled_like_the_scalar_engine(tmp_path: Path, policy: str) -> None:
    rs = toy(tmp_path, COIN)
    res = simulate(rs, coin_votes(), runs=200, seed=8, ties=policy, keep_votes=True)
    settled = toy(tmp_path, COIN, ties=policy)
    ties = 0
    dropped = set(res.dropped_runs.tolist())
    kept = dict(zip(res.run_index.tolist(), range(res.kept), strict=True))
    for run in range(200):
        try:
            scalar = settled.allocate(res.run_votes(run), seed=res.seed + run)
        except seats.TieError:  # most-votes cannot settle cells with equal votes
            assert policy == "most-votes" and run in dropped
            continue
        ties += bool(scalar.ties)
        assert res.seats[kept[run]].tolist() == by_party(scalar, res.parties), run
    assert ties + len(dropped) > 10 and res.tie_runs == ties + len(dropped)
    if policy != "most-votes":
        assert not dropped


def test_uncertified_runs_go_to_the_exact_engine_and_are_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rs = toy(tmp_path, ties="order")
    plain = simulate(rs, toy_votes(), runs=300, seed=6, noise="dirichlet:100")
    exact = Counting(monkeypatch)
    monkeypatch.setattr(joint_module, "_ROUNDS", 1)  # one round of scaling: most runs do not converge
    short = simulate(rs, toy_votes(), runs=300, seed=6, noise="dirichlet:100")
    assert 0 < exact.runs < 300
    assert np.array_equal(short.seats, plain.seats)
    monkeypatch.setattr(joint_module, "_ROUNDS", 0)  # no scaling at all: every run is solved exactly
    exact.runs = 0
    none = simulate(rs, toy_votes(), runs=300, seed=6, noise="dirichlet:100")
    assert exact.runs == 300 and np.array_equal(none.seats, plain.seats)


def test_upper_apportionments_the_batch_path_leaves_are_solved_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rs = toy(tmp_path, ties="order")
    plain = simulate(rs, toy_votes(), runs=200, seed=6, noise="dirichlet:100")
    original = joint_module._batch_rows

    def uncertain(*args: Any) -> tuple[np.ndarray, np.ndarray]:
        got, certified = original(*args)
        return got * 0, certified & False  # nothing certified: every run's upper goes to the exact engine

    monkeypatch.setattr(joint_module, "_batch_rows", uncertain)
    exact = Counting(monkeypatch)
    again = simulate(rs, toy_votes(), runs=200, seed=6, noise="dirichlet:100")
    assert exact.runs == 0  # no tie there: the joint solve still runs vectorised, from the exact totals
    assert np.array_equal(again.seats, plain.seats) and again.baseline == plain.baseline


def test_a_district_left_without_votes_by_the_threshold_is_reported_unfilled(tmp_path: Path) -> None:
    text = TOY.replace(
        'options = { rounding = "sainte-lague" }',
        'options = { rounding = "sainte-lague" }\nthreshold = "20%"\nthreshold_scope = "tier"',
    )
    rs = toy(tmp_path, text, ties="order")
    lists = {d: dict(v) for d, v in LISTS.items()}
    lists["S2"] = {"D": 5000}  # D (about 22% of the tier) is S2's only list
    res = simulate(rs, toy_votes(lists), runs=200, seed=1, noise="dirichlet:60", keep_votes=True)
    unfilled = set(res.dropped_runs.tolist())
    assert dict(res.unfilled_districts) == {"list": len(unfilled)} and 0 < len(unfilled) < 200
    messages = set()
    for run in sorted(unfilled)[:8]:
        with pytest.raises(seats.InvalidSeatsError, match="tier 'list'") as err:
            rs.allocate(res.run_votes(run))
        messages.add(str(err.value))
    assert "tier 'list' (biproportional, sainte-lague): district 'S2' has 3 seats but no votes" in messages
    assert_runs_equal_scalar(rs, res, range(0, res.kept, 17))


# ---------------------------------------------------------------- the certificate against the exact engine


@pytest.mark.parametrize("method", sorted(k for k, s in REGISTRY.items() if s.family == "divisor"))
def test_certified_lower_apportionments_equal_the_exact_engine(method: str) -> None:
    """Random matrices, every divisor rounding: what the floats certify is what the exact engine finds."""
    spec = REGISTRY[method]
    assert spec.signpost is not None
    rng = np.random.default_rng(sorted(REGISTRY).index(method))
    runs, dcount, width = 60, 4, 5
    votes = rng.integers(0, 5000, size=(runs, dcount, width)) * (rng.random((runs, dcount, width)) < 0.85)
    votes[:, :, 0] += 1  # every district has votes
    house = np.array([6, 9, 7, 12])  # at least one seat per cell: d(0) = 0 roundings give every cell one
    totals = np.zeros((runs, width), dtype=np.int64)
    for r in range(runs):  # the upper apportionment, as the scalar engine computes it
        sums = {str(j): int(t) for j, t in enumerate(votes[r].sum(axis=0))}
        upper = seats.apportion(sums, int(house.sum()), method=method, ties="order")
        totals[r] = [upper.seats[str(j)] for j in range(width)]
    jp = joint_module._JointPlan(
        spec,
        joint_module._rounding(spec.signpost, int(house.sum()) + 1),
        width,
        np.arange(dcount * width).reshape(dcount, width),
        np.ones((dcount, width), dtype=bool),
        {},
    )
    got, certified, _, _ = joint_module._lower(jp, votes, house, totals)
    checked = 0
    for r in np.flatnonzero(certified).tolist():
        seats_r, _, _, ties = lower_apportionment(
            votes[r].tolist(), house.tolist(), totals[r].tolist(), spec.signpost, ties="error"
        )
        assert got[r].tolist() == seats_r and not ties, r
        checked += 1
    assert checked > 10  # (many random margins admit no apportionment, or need d(0) = 0's first seats)


def test_the_number_of_workers_does_not_change_the_seats(tmp_path: Path) -> None:
    """Each worker thread solves its chunks in scratch arrays of its own: one thread or three, the same."""
    rs = toy(tmp_path, ties="order")
    one = simulate(rs, toy_votes(), runs=3500, seed=12, noise="dirichlet:80", workers=1)
    three = simulate(rs, toy_votes(), runs=3500, seed=12, noise="dirichlet:80", workers=3)
    assert np.array_equal(one.seats, three.seats) and np.array_equal(one.run_index, three.run_index)
    assert one.tie_districts == three.tie_districts and len({tuple(r) for r in one.seats.tolist()}) > 8


def test_a_district_threshold_is_applied_to_every_run(tmp_path: Path) -> None:
    text = TOY.replace(
        'options = { rounding = "sainte-lague" }',
        'options = { rounding = "sainte-lague" }\nthreshold = "10%"\nthreshold_scope = "district"',
    )
    rs = toy(tmp_path, text, ties="order")
    res = simulate(rs, toy_votes(), runs=300, seed=9, noise="dirichlet:50", keep_votes=True)
    b = res.parties.index("B")  # B (12.6% of S1, 7% of S2, 8% of S3) passes in S1 only, mostly
    assert (res.tier_seats["list"][:, b] > 0).any()
    assert_runs_equal_scalar(rs, res, range(0, res.kept, 11))
