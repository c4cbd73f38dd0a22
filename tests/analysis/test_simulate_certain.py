"""Monte Carlo: block-vote circuits whose winners a multinomial redraw keeps are not drawn.

The rule (:func:`seats.analysis.simulate.lazy.certain`) rests on a Chernoff bound; these tests check
the bound against exact probabilities, the integer test against the bound, and that leaving such
circuits undrawn changes nothing a simulation reports but its speed.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import seats
from seats.analysis.simulate import Noise, simulate
from seats.analysis.simulate import lazy as sim_lazy
from seats.analysis.simulate import run as sim_run
from seats.cli import main
from seats.rules import load_ruleset
from seats.rules.model import RuleSet

RULES = """
id = "circuits"
name = "Block-vote circuits: one close, three certain"
total_seats = 5
ties = "order"

[[tier]]
id = "nominal"
kind = "nominal"
method = "block"
districts = [
  {id = "close", seats = 1}, {id = "safe", seats = 1}, {id = "pair", seats = 2}, {id = "empty", seats = 1},
  {id = "none", seats = 0},
]
"""

CIRCUITS = {
    "close": {"a": 5_100, "b": 4_900, "c": 300},
    "safe": {"d": 60_000, "e": 30_000, "f": 2_000, "g": 1_000},
    "pair": {"h": 40_000, "i": 35_000, "j": 9_000},
    # a candidate without votes can never win: only the one with votes
    "empty": {"k": 5_000, "l": 0},
    # no seat: drawn as before, not reported as undrawn
    "none": {"m": 800, "n": 700},
}


def votes() -> pl.DataFrame:
    rows = [("nominal", d, o, o, v) for d, cands in CIRCUITS.items() for o, v in cands.items()]
    return pl.DataFrame(rows, schema=["tier", "district", "option", "party", "votes"], orient="row")


@pytest.fixture
def rs(tmp_path: Path) -> RuleSet:
    (tmp_path / "ruleset.toml").write_text(RULES, encoding="utf-8")
    return load_ruleset(tmp_path / "ruleset.toml")


def never(*args: object) -> bool:
    """Stands in for :func:`sim_lazy.certain`: no circuit is certain, every one is drawn."""
    return False


def exact_p_not_ahead(a: int, b: int, r: int) -> float:
    """P(X_a <= X_b) for (X_a, X_b, X_r) ~ Multinomial(a + b + r; shares a, b, r), in exact integers."""
    n = a + b + r
    hits = 0
    for xa in range(n + 1):
        for xb in range(xa, n - xa + 1):
            xr = n - xa - xb
            hits += math.comb(n, xa) * math.comb(n - xa, xb) * a**xa * b**xb * r**xr
    return hits / n**n


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(0, 40), st.integers(0, 20))
def test_the_chernoff_bound_holds_on_exact_probabilities(a: int, b: int, r: int) -> None:
    if a <= b:
        a, b = b + 1, a
    exact = exact_p_not_ahead(a, b, r)
    assert exact <= math.exp(-((math.sqrt(a) - math.sqrt(b)) ** 2)) * (1 + 1e-9)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**9), st.integers(0, 10**9), st.integers(1, 10**4), st.integers(1, 200))
def test_certain_only_below_the_bound(a: int, b: int, pairs: int, bits: int) -> None:
    if sim_lazy.certain(a, b, pairs, bits):
        assert a > b
        log_bound = math.log(pairs) - (math.sqrt(a) - math.sqrt(b)) ** 2
        assert log_bound <= -bits * math.log(2)


def test_certain_is_not_too_timid() -> None:
    # 100 bits with one pair needs sqrt(a) - sqrt(b) >= sqrt(69.4) = 8.3: the integer test asks for 9 or 10
    assert sim_lazy.certain(40_000, 190**2 - 1, 1, 100)  # 200 - 190 = 10
    assert not sim_lazy.certain(40_000, 195**2, 1, 100)  # 200 - 195 = 5
    assert not sim_lazy.certain(10, 10, 1, 1) and not sim_lazy.certain(5, 9, 1, 1)


def test_only_the_uncertain_circuits_are_drawn(rs: RuleSet) -> None:
    _, _, plans = sim_run._setup(rs, votes(), None, Noise.parse("multinomial"))
    (plan,) = plans
    lz = plan.lazy
    assert lz is not None
    # close: sqrt(5100) - sqrt(4900) = 1.4; safe: 245 - 173 = 71; pair: 187 - 95 = 92 (weakest winner
    # against the strongest other); empty: the only candidate with votes, 71 (it must keep one vote)
    assert dict(zip(plan.districts, lz.certain.tolist(), strict=True)) == {
        "close": False,
        "safe": True,
        "pair": True,
        "empty": True,
        "none": False,
    }
    assert [plan.districts[d] for d in lz.order.tolist()] == ["close", "none"]
    assert lz.p_major.shape[0] == 2 and lz.votes.tolist() == [10_300, 1_500]
    res = simulate(rs, votes(), runs=500, seed=4)
    assert res.undrawn == ("nominal/safe", "nominal/pair", "nominal/empty")
    # the certain circuits keep their winners; the close one does not
    seats_of = dict(zip(res.parties, res.seats.T.tolist(), strict=True))
    for party, won in {"d": 1, "e": 0, "h": 1, "i": 1, "j": 0, "k": 1, "l": 0}.items():
        assert set(seats_of[party]) == {won}, party
    assert set(seats_of["a"]) == {0, 1} and set(seats_of["b"]) == {0, 1}


def test_a_close_runner_up_keeps_a_circuit_drawn(tmp_path: Path) -> None:
    # the weakest winner's 35,000 against 34,500: roots 1.3 apart, far from certain; the safe circuit still is
    (tmp_path / "ruleset.toml").write_text(RULES, encoding="utf-8")
    rs = load_ruleset(tmp_path / "ruleset.toml")
    v = votes().with_columns(
        pl.when(pl.col("option") == "j").then(34_500).otherwise(pl.col("votes")).alias("votes")
    )
    _, _, plans = sim_run._setup(rs, v, None, Noise.parse("multinomial"))
    lz = plans[0].lazy
    assert lz is not None
    assert sorted(plans[0].districts[d] for d in lz.order.tolist()) == ["close", "none", "pair"]


def test_undrawn_circuits_change_no_seat(rs: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = 2000
    quick = simulate(rs, votes(), runs=runs, seed=8)
    monkeypatch.setattr(sim_lazy, "certain", never)  # every circuit drawn
    full = simulate(rs, votes(), runs=runs, seed=8, keep_votes=True)
    assert full.undrawn == ()
    for party in ("d", "e", "h", "i", "j", "k", "l"):
        k = quick.parties.index(party)
        assert set(quick.seats[:, k].tolist()) == set(full.seats[:, k].tolist())
    # the close circuit's seats have the same distribution (different draws: compare the shares)
    a = quick.parties.index("a")
    assert abs(quick.seats[:, a].mean() - full.seats[:, a].mean()) < 0.08


def test_kept_votes_of_undrawn_circuits_are_drawn_and_change_no_seat(rs: RuleSet) -> None:
    runs = 3000
    plain = simulate(rs, votes(), runs=runs, seed=2)
    kept = simulate(rs, votes(), runs=runs, seed=2, keep_votes=True)
    # the votes are drawn from the generator of shown-only draws: the seats are those of the plain run
    assert np.array_equal(plain.seats, kept.seats) and plain.undrawn == kept.undrawn
    assert kept.votes is not None
    arr, names = kept.votes.arrays[0], kept.votes.names[0]
    d = kept.votes.districts[0].index("safe")
    n = sum(CIRCUITS["safe"].values())
    assert (arr[:, d].sum(axis=1) == n).all()
    for k, option in enumerate(names[d]):
        p = CIRCUITS["safe"][option] / n
        x = arr[:, d, k]
        assert abs(x.mean() - n * p) < 5 * math.sqrt(n * p * (1 - p) / runs), option
        assert abs(x.var(ddof=1) / (n * p * (1 - p)) - 1) < 0.2, option
    for run in (0, 1234, 2999):
        scalar = rs.allocate(kept.run_votes(run))
        frame = scalar.by("party")
        got = dict(zip(frame["party"].to_list(), frame["seats"].to_list(), strict=True))
        assert kept.seats[run].tolist() == [int(got.get(p, 0)) for p in kept.parties]


def test_dirichlet_noise_draws_every_circuit(rs: RuleSet) -> None:
    res = simulate(rs, votes(), runs=50, seed=1, noise="dirichlet:50")
    assert res.undrawn == ()


def test_ve_2020_draws_no_nominal_circuit_and_loses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    rs = seats.load_ruleset("ve-2020-an")
    quick = simulate(rs, runs=1000, seed=5)
    assert len(quick.undrawn) == 87 and all(label.startswith("nominal/") for label in quick.undrawn)
    monkeypatch.setattr(sim_lazy, "certain", never)
    full = simulate(rs, runs=1000, seed=5)
    assert full.undrawn == ()
    # drawn or not, every run's nominal seats are the observed winners'
    assert np.array_equal(quick.tier_seats["nominal"], full.tier_seats["nominal"])
    assert (quick.tier_seats["nominal"] == quick.tier_seats["nominal"][0]).all()


def test_the_cli_names_the_circuits_not_drawn(rs: RuleSet, tmp_path: Path) -> None:
    path = tmp_path / "votes.csv"
    votes().write_csv(path)
    args = ["simulate", str(tmp_path / "ruleset.toml"), "--votes", str(path), "--runs", "100", "--seed", "1"]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    assert "3 block-vote circuits not drawn (nominal: 3)" in out.output and "2^-100" in out.output
    data = simulate(rs, votes(), runs=10, seed=1).to_dict()
    assert data["undrawn_districts"] == ["nominal/safe", "nominal/pair", "nominal/empty"]
