"""Monte Carlo: perturbed whole elections, allocated for all runs at once, equal to the scalar engine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

import seats
from seats.analysis.simulate import Noise, SimulationError, SimulationResult, simulate, simulate_votes
from seats.cli import main
from seats.rules import load_ruleset
from seats.rules.model import RuleSet

ROOT = Path(__file__).resolve().parents[2]
VE_2020_VOTES = ROOT / "fixtures" / "ve-2020-an" / "votes.csv"

TOY = """
id = "toy"
name = "Toy parallel assembly, 2020-shaped"
total_seats = 23
ties = "error"

[[tier]]
id = "nominal"
kind = "nominal"
method = "block"
districts = [
  {id = "c1", seats = 1, parent = "S1"},
  {id = "c2", seats = 2, parent = "S1"},
  {id = "c3", seats = 1, parent = "S2"},
  {id = "c4", seats = 3, parent = "S3"},
]

[[tier]]
id = "state-list"
kind = "list"
method = "dhondt"
districts = [{id = "S1", seats = 3}, {id = "S2", seats = 2}, {id = "S3", seats = 4}]

[[tier]]
id = "national-list"
kind = "derived"
source = "state-list"
method = "dhondt"
districts = [{id = "N", seats = 6}]

[[tier]]
id = "reserved"
kind = "reserved"
method = "plurality"
districts = [{id = "R", seats = 1}]
results = [{district = "R", option = "Ind", party = "Ind", alliance = "Indigenous"}]

[[link]]
kind = "parallel"
tiers = ["nominal", "state-list", "national-list", "reserved"]
"""

ALLIANCE = {"A": "Left", "B": "Left", "C": "Right", "D": "Other"}
LISTS = {
    "S1": {"A": 5000, "B": 1500, "C": 4200, "D": 300},
    "S2": {"A": 1200, "B": 300, "C": 2600, "D": 150},
    "S3": {"A": 3900, "B": 900, "C": 3700, "D": 800},
}
NOMINAL = {
    "c1": {"a1": ("A", 3000), "c1": ("C", 2800)},
    "c2": {"a2": ("A", 2500), "b2": ("B", 600), "c2": ("C", 2400), "d2": ("D", 100)},
    "c3": {"a3": ("A", 1000), "c3": ("C", 2500)},
    "c4": {"a4": ("A", 2000), "a4b": ("A", 1900), "c4": ("C", 2100), "c4b": ("C", 1700), "b4": ("B", 400)},
}


def toy_votes() -> pl.DataFrame:
    rows = []
    for district, votes in LISTS.items():
        for option, v in votes.items():
            rows.append(("state-list", district, option, option, ALLIANCE[option], v))
    for district, cands in NOMINAL.items():
        for option, (party, v) in cands.items():
            rows.append(("nominal", district, option, party, ALLIANCE[party], v))
    return pl.DataFrame(
        rows, schema=["tier", "district", "option", "party", "alliance", "votes"], orient="row"
    )


def toy(tmp_path: Path, text: str = TOY, **overrides: str) -> RuleSet:
    folder = tmp_path / "toy"
    folder.mkdir(exist_ok=True)
    (folder / "ruleset.toml").write_text(text, encoding="utf-8")
    return load_ruleset(folder / "ruleset.toml", overrides=overrides or None)


def by_party(res: seats.ElectionResult, parties: tuple[str, ...], tier: str | None = None) -> list[int]:
    frame = (res.tier(tier) if tier else res).by("party")
    got = dict(zip(frame["party"].to_list(), frame["seats"].to_list(), strict=True))
    return [int(got.get(p, 0)) for p in parties]


# ---------------------------------------------------------------- reproducibility and conservation


def test_same_seed_same_output_and_another_seed_differs(tmp_path: Path) -> None:
    rs = toy(tmp_path)
    a = simulate(rs, toy_votes(), runs=300, seed=11)
    b = simulate(rs, toy_votes(), runs=300, seed=11)
    c = simulate(rs, toy_votes(), runs=300, seed=12)
    assert a.seed == 11
    assert np.array_equal(a.seats, b.seats) and np.array_equal(a.run_index, b.run_index)
    assert a.to_polars().equals(b.to_polars())
    assert not np.array_equal(
        simulate_votes(rs, toy_votes(), runs=50, seed=11).arrays[0],
        simulate_votes(rs, toy_votes(), runs=50, seed=12).arrays[0],
    )
    assert a.seats.shape != c.seats.shape or not np.array_equal(a.seats, c.seats)


def test_without_a_seed_one_is_drawn_and_recorded(tmp_path: Path) -> None:
    rs = toy(tmp_path)
    a = simulate(rs, toy_votes(), runs=40)
    again = simulate(rs, toy_votes(), runs=40, seed=a.seed)
    assert np.array_equal(a.seats, again.seats)


@pytest.mark.parametrize("noise", ["multinomial", "dirichlet:300"])
def test_every_run_fills_every_tier_exactly(tmp_path: Path, noise: str) -> None:
    rs = toy(tmp_path)
    res = simulate(rs, toy_votes(), runs=2500, seed=5, noise=noise)  # more than one chunk
    assert res.kept + len(res.dropped_runs) == 2500
    for tier in rs.tiers:
        assert (res.tier_seats[tier.id].sum(axis=1) == tier.seats).all(), tier.id
    assert (res.seats.sum(axis=1) == rs.total_seats).all()
    assert (res.seats >= 0).all()


def test_votes_keep_each_districts_total(tmp_path: Path) -> None:
    rs = toy(tmp_path)
    for noise in ("multinomial", "dirichlet:50"):
        rv = simulate_votes(rs, toy_votes(), runs=200, seed=3, noise=noise)
        for tier, districts, arr in zip(rv.tiers, rv.districts, rv.arrays, strict=True):
            observed = (
                toy_votes().filter(pl.col("tier") == tier).group_by("district").agg(pl.col("votes").sum())
            )
            want = dict(observed.iter_rows())
            assert (arr >= 0).all()
            assert arr.sum(axis=2).tolist() == [[want[d] for d in districts]] * 200


def test_multinomial_draws_keep_totals_and_zero_shares() -> None:
    from seats.analysis.simulate.noise import _multinomial

    p = np.array([[0.5, 0.0, 0.3, 0.2, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25, 0.0]])
    n = np.array([1000, 70, 8])
    x = _multinomial(np.random.default_rng(4), n, p, 4000)
    assert (x.sum(axis=2) == n).all() and (x >= 0).all()
    assert (x[:, p == 0] == 0).all()
    mean = x.mean(axis=0)
    sd = np.sqrt(n[:, None] * p * (1 - p) / 4000)
    assert (np.abs(mean - n[:, None] * p) <= 5 * sd + 1e-9).all()
    var = x[:, 0, 0].var()
    assert abs(var - 1000 * 0.5 * 0.5) < 0.15 * 250  # binomial variance, not a rounded normal


@pytest.mark.parametrize("per_run", [False, True])
def test_multinomial_draws_have_the_exact_joint_distribution(per_run: bool) -> None:
    """Every outcome's frequency against the multinomial pmf (chi-square), for districts of 2, 3 and 4
    options, with one total per district (the first column drawn apart) and with a total per run."""
    from itertools import product
    from math import factorial

    from seats.analysis.simulate.noise import _multinomial

    p = np.array([[0.7, 0.3, 0.0, 0.0], [0.5, 0.3, 0.2, 0.0], [0.1, 0.4, 0.2, 0.3]])
    n = np.array([5, 4, 3])
    runs = 40_000
    counts = np.broadcast_to(n, (runs, 3)).copy() if per_run else n
    x = _multinomial(np.random.default_rng(11), counts, p, runs)
    for d in range(3):
        k = int((p[d] > 0).sum())
        seen: dict[tuple[int, ...], int] = {}
        for row in map(tuple, x[:, d, :k].tolist()):
            seen[row] = seen.get(row, 0) + 1
        chi2, cells = 0.0, 0
        for row in product(range(int(n[d]) + 1), repeat=k):
            if sum(row) != n[d]:
                continue
            pmf = factorial(int(n[d])) * np.prod([p[d, j] ** c / factorial(c) for j, c in enumerate(row)])
            expect = runs * pmf
            chi2 += (seen.pop(row, 0) - expect) ** 2 / expect
            cells += 1
        assert not seen  # no impossible outcome
        df = cells - 1
        assert chi2 < df + 7 * np.sqrt(2 * df), (d, chi2, df)  # far out in the tail: about p < 1e-6


# ---------------------------------------------------------------- zero-noise limits


def test_huge_alpha_reproduces_the_votes_and_the_baseline(tmp_path: Path) -> None:
    rs = toy(tmp_path)
    res = simulate(rs, toy_votes(), runs=20, seed=1, noise="dirichlet:1e15", keep_votes=True)
    base = rs.allocate(toy_votes())
    assert res.baseline == tuple(by_party(base, res.parties))
    assert (res.seats == np.array(res.baseline)).all()
    observed = toy_votes().select("tier", "district", "option", "votes").sort("tier", "district", "option")
    for run in (0, 19):
        got = (
            res.run_votes(run)
            .select("tier", "district", "option", "votes")
            .sort("tier", "district", "option")
        )
        assert got.equals(observed)


def test_a_degenerate_district_never_moves(tmp_path: Path) -> None:
    text = TOY.replace('{id = "c3", seats = 1, parent = "S2"}', '{id = "c3", seats = 1, parent = "S2"}')
    rs = toy(tmp_path, text)
    votes = toy_votes().filter(~((pl.col("district") == "c3") & (pl.col("option") == "a3")))
    res = simulate(rs, votes, runs=200, seed=2, keep_votes=True)
    assert res.votes is not None
    c3 = res.votes.districts[res.votes.tiers.index("nominal")].index("c3")
    arr = res.votes.arrays[res.votes.tiers.index("nominal")]
    assert (arr[:, c3, 0] == 2500).all()


# ---------------------------------------------------------------- equal to the scalar engine


@pytest.mark.parametrize(
    ("noise", "overrides"),
    [
        ("multinomial", {}),
        ("dirichlet:400", {}),
        ("dirichlet:200", {"tiers.state-list.method": "sainte-lague", "tiers.national-list.method": "hare"}),
        ("dirichlet:200", {"tiers.state-list.method": "danish", "tiers.national-list.method": "droop"}),
        (
            "dirichlet:100",
            {"tiers.state-list.method": "huntington-hill", "tiers.national-list.method": "imperiali"},
        ),
    ],
)
def test_sample_runs_equal_the_scalar_rule_set(tmp_path: Path, noise: str, overrides: dict[str, str]) -> None:
    rs = toy(tmp_path, ties="order", **overrides)  # the rule set's own policy applies
    res = simulate(rs, toy_votes(), runs=400, seed=9, noise=noise, keep_votes=True)
    assert res.kept + len(res.dropped_runs) == 400 and res.kept > 300
    for row in range(0, res.kept, 23):
        run = int(res.run_index[row])
        scalar = rs.allocate(res.run_votes(run), seed=res.seed + run)
        for tier in rs.tier_ids:
            assert res.tier_seats[tier][row].tolist() == by_party(scalar, res.parties, tier), (run, tier)
    for run in res.dropped_runs.tolist():
        with pytest.raises(seats.InvalidSeatsError, match="candidates with votes"):
            rs.allocate(res.run_votes(run))


SPLIT = {
    "c1": {"a1": ("A", 300), "b1": ("B", 250), "c1": ("C", 150), "d1": ("D", 150), "e1": ("C", 150)},
    "c2": {"a2": ("A", 250), "b2": ("B", 240), "c2": ("C", 200), "d2": ("D", 150), "e2": ("D", 160)},
    "c3": {"a3": ("A", 100), "c3": ("C", 90), "d3": ("D", 60), "e3": ("D", 50)},
    "c4": {
        "a4": ("A", 200),
        "a4b": ("A", 190),
        "c4": ("C", 210),
        "c4b": ("C", 170),
        "b4": ("B", 160),
        "d4": ("D", 100),
        "d4b": ("D", 90),
    },
}


@pytest.mark.parametrize(("margin", "z"), [(0.0, 6.0), (50.0, 0.0)])
def test_block_vote_minor_candidates_drawn_lazily_are_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, margin: float, z: float
) -> None:
    """The others' sum is split only where it could reach a winner; seats equal the scalar engine.

    (0, 6): every candidate drawn apart; (50, 0): every loser drawn in the others' sum, split often."""
    from seats.analysis.simulate import plan as module

    monkeypatch.setattr(module, "_LAZY_MARGIN", margin)
    monkeypatch.setattr(module, "_LAZY_Z", z)
    rs = toy(tmp_path, ties="order")
    rows = [r for r in toy_votes().iter_rows() if r[0] != "nominal"]
    for district, cands in SPLIT.items():
        for option, (party, v) in cands.items():
            rows.append(("nominal", district, option, party, ALLIANCE[party], v))
    votes = pl.DataFrame(rows, schema=toy_votes().schema, orient="row")
    kept = simulate(rs, votes, runs=300, seed=6, keep_votes=True)
    plain = simulate(rs, votes, runs=300, seed=6)
    assert np.array_equal(kept.seats, plain.seats) and np.array_equal(kept.run_index, plain.run_index)
    nominal = kept.tier_seats["nominal"]
    assert len({tuple(row) for row in nominal.tolist()}) > 3  # the circuits are close: seats move
    for row in range(0, kept.kept, 7):
        run = int(kept.run_index[row])
        scalar = rs.allocate(kept.run_votes(run), seed=kept.seed + run)
        assert nominal[row].tolist() == by_party(scalar, kept.parties, "nominal"), run


def test_a_derived_tier_with_several_districts_sums_by_parent(tmp_path: Path) -> None:
    text = TOY.replace("total_seats = 23", "total_seats = 29").replace(
        "[[link]]",
        '[[tier]]\nid = "regional"\nkind = "derived"\nsource = "nominal"\nmethod = "sainte-lague"\n'
        'districts = [{id = "S1", seats = 3}, {id = "S2", seats = 1}, {id = "S3", seats = 2}]\n\n[[link]]',
    )
    rs = toy(tmp_path, text, ties="order")
    res = simulate(rs, toy_votes(), runs=200, seed=12, noise="dirichlet:150", keep_votes=True)
    assert (res.tier_seats["regional"].sum(axis=1) == 6).all()
    for row in range(0, res.kept, 13):
        run = int(res.run_index[row])
        scalar = rs.allocate(res.run_votes(run), seed=res.seed + run)
        assert res.tier_seats["regional"][row].tolist() == by_party(scalar, res.parties, "regional"), run


def test_thresholds_are_applied_to_every_run(tmp_path: Path) -> None:
    text = TOY.replace(
        'method = "dhondt"\ndistricts = [{id = "S1"',
        'method = "dhondt"\nthreshold = "12%"\ndistricts = [{id = "S1"',
    )
    text = text.replace(
        'source = "state-list"\nmethod = "dhondt"',
        'source = "state-list"\nmethod = "dhondt"\nthreshold = "45%"\nthreshold_scope = "tier"\n'
        'threshold_level = "alliance"',
    )
    rs = toy(tmp_path, text)
    assert rs.tier("national-list").threshold_level == "alliance"
    res = simulate(rs, toy_votes(), runs=300, seed=4, noise="dirichlet:60", ties="order", keep_votes=True)
    # Left (A + B) and Right pass 45% of the tier in some runs and not in others
    national = res.tier_seats["national-list"]
    assert (national[:, res.parties.index("D")] == 0).all()
    for row in range(0, res.kept, 17):
        run = int(res.run_index[row])
        scalar = rs.allocate(res.run_votes(run))
        for tier in rs.tier_ids:
            assert res.tier_seats[tier][row].tolist() == by_party(scalar, res.parties, tier), (run, tier)


# ---------------------------------------------------------------- summaries


def test_summary_columns_and_probabilities(tmp_path: Path) -> None:
    rs = toy(tmp_path)
    res = simulate(rs, toy_votes(), runs=600, seed=21, noise="dirichlet:80")
    for level in ("alliance", "party"):
        frame = res.to_polars(level)
        head = (
            ["level", "name", "alliance", "baseline"] if level == "party" else ["level", "name", "baseline"]
        )
        assert frame.columns == [
            *head,
            "mean",
            "sd",
            "q05",
            "median",
            "q95",
            "min",
            "max",
            "p_majority",
            "p_two_thirds",
        ]
        for row in frame.iter_rows(named=True):
            assert 0.0 <= row["p_two_thirds"] <= row["p_majority"] <= 1.0
            assert row["min"] <= row["q05"] <= row["median"] <= row["q95"] <= row["max"]
            assert row["sd"] >= 0
    alliances, matrix = res.alliance_seats()
    frame = res.to_polars().filter(pl.col("name") == "Left")
    left = matrix[:, alliances.index("Left")]
    assert frame["p_majority"][0] == pytest.approx(np.mean(2 * left > 23))
    assert frame["p_two_thirds"][0] == pytest.approx(np.mean(3 * left >= 46))
    assert frame["mean"][0] == pytest.approx(left.mean())
    assert 0 < frame["p_majority"][0] < 1  # the toy is close enough for both outcomes
    json.dumps(res.to_dict())


# ---------------------------------------------------------------- ties and unfillable districts

TIES = """
id = "coin"
name = "Coin flips"
total_seats = 2
ties = "error"

[[tier]]
id = "list"
kind = "list"
method = "dhondt"
districts = [{id = "X", seats = 1}, {id = "Y", seats = 1}]
"""


def coin_votes() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "tier": ["list"] * 4,
            "district": ["X", "X", "Y", "Y"],
            "option": ["A", "B", "A", "B"],
            "votes": [10, 10, 90, 10],
        }
    )


def test_runs_decided_by_a_tie_are_left_out_and_reported(tmp_path: Path) -> None:
    rs = toy(tmp_path, TIES)
    res = simulate(rs, coin_votes(), runs=1000, seed=8, keep_votes=True)
    assert 50 < len(res.dropped_runs) < 400  # P(10-10 of 20) is about 0.18
    assert res.tie_runs == len(res.dropped_runs)
    assert set(res.tie_districts) == {"list/X"}
    assert res.tie_districts["list/X"] == len(res.dropped_runs)
    assert res.kept == 1000 - len(res.dropped_runs)
    assert not set(res.run_index.tolist()) & set(res.dropped_runs.tolist())
    for run in res.dropped_runs[:5].tolist():
        with pytest.raises(seats.TieError, match="'X'"):
            rs.allocate(res.run_votes(run))
    assert res.to_dict()["tie_districts"] == {"list/X": len(res.dropped_runs)}


def test_ties_drawn_by_lot_are_recorded_and_match_the_scalar_draw(tmp_path: Path) -> None:
    rs = toy(tmp_path, TIES)
    res = simulate(rs, coin_votes(), runs=500, seed=8, ties="lot", keep_votes=True)
    assert res.kept == 500 and res.tie_runs > 0 and len(res.dropped_runs) == 0
    lot = toy(tmp_path, TIES.replace('ties = "error"', 'ties = "lot"'))
    for run in range(0, 500, 7):
        scalar = lot.allocate(res.run_votes(run), seed=res.seed + run)
        assert not scalar.ties or scalar.ties[0].district == "list/X"
        assert res.seats[run].tolist() == by_party(scalar, res.parties)


def test_a_circuit_that_cannot_be_filled_is_reported(tmp_path: Path) -> None:
    text = TIES.replace('method = "dhondt"', 'method = "block"').replace('kind = "list"', 'kind = "nominal"')
    text = text.replace('{id = "X", seats = 1}', '{id = "X", seats = 2}').replace(
        "total_seats = 2", "total_seats = 3"
    )
    rs = toy(tmp_path, text)
    votes = pl.DataFrame(
        {
            "tier": ["list"] * 4,
            "district": ["X", "X", "Y", "Y"],
            "option": ["A", "B", "C", "D"],
            "votes": [40, 1, 60, 40],
        }
    )
    res = simulate(rs, votes, runs=400, seed=1, ties="order")  # Y's 50-50 ties settled: only X drops runs
    assert set(res.unfilled_districts) == {"list/X"}
    assert (
        50 < res.unfilled_districts["list/X"] == len(res.dropped_runs) < 350
    )  # B keeps its vote w.p. 41/42...
    assert (res.seats.sum(axis=1) == 3).all()


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("noise", "match"),
    [
        ("gaussian", "not one of multinomial, dirichlet"),
        ("dirichlet", "give the concentration"),
        ("dirichlet:-3", "ALPHA > 0"),
        ("dirichlet:abc", "'abc' is not a number"),
        ("multinomial:5", "only dirichlet takes a parameter"),
    ],
)
def test_bad_noise_is_named(noise: str, match: str) -> None:
    with pytest.raises(SimulationError, match=match):
        Noise.parse(noise)


def test_a_subtract_link_is_simulated_like_the_scalar_engine(tmp_path: Path) -> None:
    # (refused before compensatory links were simulated; tests/analysis/test_simulate_linked.py has the rest)
    rs = toy(
        tmp_path,
        TOY.replace(
            'kind = "parallel"\ntiers = ["nominal", "state-list", "national-list", "reserved"]',
            'kind = "subtract"\nupper = "state-list"\nlower = "nominal"',
        ),
        ties="order",
    )
    res = simulate(rs, toy_votes(), runs=60, seed=1, noise="dirichlet:400", keep_votes=True)
    for run in range(0, 60, 7):
        scalar = rs.allocate(res.run_votes(run), seed=res.seed + run)
        assert res.seats[run].tolist() == by_party(scalar, res.parties), run


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"runs": 0}, "runs must be a whole number >= 1"),
        ({"runs": 10, "seed": -1}, "seed must be a whole number >= 0"),
        ({"runs": 10, "ties": "coin"}, "coin"),
    ],
)
def test_bad_arguments_are_named(tmp_path: Path, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(seats.SeatsError, match=match):
        simulate(toy(tmp_path), toy_votes(), **kwargs)  # type: ignore[arg-type]


def test_run_votes_needs_kept_votes(tmp_path: Path) -> None:
    res = simulate(toy(tmp_path), toy_votes(), runs=5, seed=1)
    with pytest.raises(SimulationError, match="keep_votes=True"):
        res.run_votes(0)
    kept = simulate(toy(tmp_path), toy_votes(), runs=5, seed=1, keep_votes=True)
    with pytest.raises(SimulationError, match="run 5 is not between 0 and 4"):
        kept.run_votes(5)
    assert isinstance(kept, SimulationResult)


# ---------------------------------------------------------------- the 2020 National Assembly


@pytest.fixture(scope="module")
def ve2020() -> RuleSet:
    if not VE_2020_VOTES.exists():
        pytest.skip(f"the ve-2020-an vote fixture {VE_2020_VOTES} is not in this checkout")
    return seats.load_ruleset("ve-2020-an")


def test_ve_2020_baseline_and_conservation(ve2020: RuleSet) -> None:
    res = simulate(ve2020, runs=300, seed=2020)
    frame = res.to_polars("alliance")
    base = dict(zip(frame["name"].to_list(), frame["baseline"].to_list(), strict=True))
    assert base["Gran Polo Patriótico"] == 253 and base["Alianza Democrática"] == 18
    assert (res.seats.sum(axis=1) == 277).all()
    for tier in ve2020.tiers:
        assert (res.tier_seats[tier.id].sum(axis=1) == tier.seats).all()


def test_ve_2020_sample_runs_equal_the_scalar_engine(ve2020: RuleSet) -> None:
    res = simulate(ve2020, runs=40, seed=7, noise="dirichlet:20000", ties="order", keep_votes=True)
    for run in (0, 13, 39):
        scalar = ve2020.allocate(res.run_votes(run), seed=res.seed + run)
        assert res.seats[run].tolist() == by_party(scalar, res.parties)


# ---------------------------------------------------------------- the command line


def test_cli_table_csv_json_and_parquet(tmp_path: Path) -> None:
    toy(tmp_path)
    votes = tmp_path / "votes.csv"
    toy_votes().write_csv(votes)
    rs_path = str(tmp_path / "toy" / "ruleset.toml")
    runner = CliRunner()
    table = runner.invoke(main, ["simulate", rs_path, "--votes", str(votes), "--runs", "300", "--seed", "1"])
    assert table.exit_code == 0, table.output
    assert (
        "seed 1" in table.stdout
        and "Left" in table.stdout
        and "ties error (the rule set's policy)" in table.stdout
    )
    assert "runs/s" in table.stderr and "runs/s" not in table.stdout
    csv = runner.invoke(
        main,
        [
            "simulate",
            rs_path,
            "--votes",
            str(votes),
            "--runs",
            "300",
            "--seed",
            "1",
            "--format",
            "csv",
            "--by",
            "party",
            "--quiet",
        ],
    )
    assert csv.exit_code == 0
    frame = pl.read_csv(csv.stdout.encode())
    assert frame.columns[:3] == ["level", "name", "alliance"] and frame.height == 5
    assert frame.columns[-4:] == ["runs", "kept", "seed", "noise"] and frame["seed"].to_list() == [1] * 5
    again = runner.invoke(
        main,
        [
            "simulate",
            rs_path,
            "--votes",
            str(votes),
            "--runs",
            "300",
            "--seed",
            "1",
            "--format",
            "csv",
            "--by",
            "party",
            "--quiet",
        ],
    )
    assert again.stdout == csv.stdout
    js = runner.invoke(
        main,
        [
            "simulate",
            rs_path,
            "--votes",
            str(votes),
            "--runs",
            "300",
            "--seed",
            "1",
            "--format",
            "json",
            "--quiet",
            "--noise",
            "dirichlet:100",
        ],
    )
    assert js.exit_code == 0
    assert {r["name"] for r in json.loads(js.stdout)} == {"Left", "Right", "Other", "Indigenous"}
    out = tmp_path / "sim.parquet"
    pq = runner.invoke(
        main,
        [
            "simulate",
            rs_path,
            "--votes",
            str(votes),
            "--runs",
            "3000",
            "--seed",
            "1",
            "--format",
            "parquet",
            "-o",
            str(out),
        ],
    )
    assert pq.exit_code == 0 and pl.read_parquet(out).height == 4


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    toy(tmp_path)
    rs_path = str(tmp_path / "toy" / "ruleset.toml")
    votes = tmp_path / "votes.csv"
    toy_votes().write_csv(votes)
    res = CliRunner().invoke(main, ["simulate", rs_path, "--votes", str(votes), "--noise", "dirichlet"])
    assert res.exit_code == 1
    assert res.output.strip().splitlines() == [
        "Error: noise 'dirichlet': give the concentration, e.g. dirichlet:2000"
    ]
    assert "Traceback" not in res.output
    before = votes.read_bytes()
    over = CliRunner().invoke(
        main,
        [
            "simulate",
            rs_path,
            "--votes",
            str(votes),
            "--runs",
            "10",
            "--quiet",
            "--format",
            "csv",
            "-o",
            str(votes),
        ],
    )
    assert over.exit_code == 1 and votes.read_bytes() == before


def test_cli_reports_dropped_runs(tmp_path: Path) -> None:
    toy(tmp_path, TIES)
    votes = tmp_path / "votes.csv"
    coin_votes().write_csv(votes)
    res = CliRunner().invoke(
        main,
        [
            "simulate",
            str(tmp_path / "toy" / "ruleset.toml"),
            "--votes",
            str(votes),
            "--runs",
            "500",
            "--seed",
            "3",
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "left out" in res.output and "list/X" in res.output


def test_help_has_an_example() -> None:
    res = CliRunner().invoke(main, ["simulate", "--help"])
    assert res.exit_code == 0 and "seats simulate ve-2020-an" in res.output


def test_cli_workers_do_not_change_the_output(tmp_path: Path) -> None:
    toy(tmp_path)
    votes = tmp_path / "votes.csv"
    toy_votes().write_csv(votes)
    rs_path = str(tmp_path / "toy" / "ruleset.toml")
    outputs = []
    for workers in ("1", "2", "3"):
        res = CliRunner().invoke(
            main,
            [
                "simulate",
                rs_path,
                "--votes",
                str(votes),
                "--runs",
                "2500",
                "--seed",
                "5",
                "--noise",
                "dirichlet:300",
                "--ties",
                "order",
                "--by",
                "party",
                "--workers",
                workers,
                "--quiet",
                "--format",
                "csv",
            ],
        )
        assert res.exit_code == 0, res.output
        outputs.append(res.stdout)
    assert outputs[0] == outputs[1] == outputs[2] and "mean" in outputs[0]
    bad = CliRunner().invoke(main, ["simulate", rs_path, "--votes", str(votes), "--workers", "0"])
    assert bad.exit_code == 2 and "--workers" in bad.output


def test_help_shows_workers_with_an_example() -> None:
    res = CliRunner().invoke(main, ["simulate", "--help"])
    assert "--workers" in res.output and "--workers 2" in res.output


def test_the_batch_path_starts_no_threads_inside_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seats import batch

    class NoThreads:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("seats.batch started threads of its own inside simulate")

    # a threshold tier is solved in full in every (run, district) row: 1,000 runs x 20 districts per chunk,
    # more than the 2 x 8,192 rows from which the batch path would share a call between two threads
    districts = ", ".join(f'{{id = "D{i}", seats = 5}}' for i in range(20))
    text = (
        'id = "wide"\ntotal_seats = 100\n[[tier]]\nid = "list"\nmethod = "dhondt"\nthreshold = "3%"\n'
        f"districts = [{districts}]\n"
    )
    rs = toy(tmp_path, text)
    rows = [
        ("list", f"D{i}", o, v + 37 * i)
        for i in range(20)
        for o, v in zip("ABCDE", (4000, 3100, 1900, 800, 90), strict=True)
    ]
    votes = pl.DataFrame(rows, schema=["tier", "district", "option", "votes"], orient="row")
    monkeypatch.setattr(batch, "ThreadPoolExecutor", NoThreads)
    monkeypatch.setattr(batch, "_idle_cores", lambda: 2)
    monkeypatch.setattr(batch, "_THREADS", 2)
    res = simulate(rs, votes, runs=1000, seed=3, noise="dirichlet:500", ties="order", workers=1)
    assert (res.seats.sum(axis=1) == 100).all()
