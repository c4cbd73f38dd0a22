"""``seats simulate``: Monte Carlo seat distributions of a whole election under perturbed votes."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import click
import polars as pl

import seats
from seats.cli._app import emit, main, output_options, parse_overrides, ruleset_inputs


@main.command("simulate")
@click.argument("ruleset")
@click.option(
    "--votes",
    "votes_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Vote table (default: the rule set's shipped fixture).",
)
@click.option(
    "--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a rule-set field (repeatable)."
)
@click.option(
    "--runs",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Number of perturbed elections.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    help="Seed of the random generator (default: drawn, and printed so the run can be repeated).",
)
@click.option(
    "--noise",
    default="multinomial",
    show_default=True,
    metavar="multinomial|dirichlet:ALPHA",
    help="multinomial: resample each district's ballots (n = its valid votes) with the observed "
    "shares. dirichlet:ALPHA: shares ~ Dirichlet(ALPHA x observed shares), so a share s "
    "has sd sqrt(s(1-s)/(ALPHA+1)); smaller ALPHA, more noise.",
)
@click.option(
    "--ties",
    type=click.Choice(["error", "lot", "most-votes", "order"]),
    help="Tie policy for every tier (default: the rule set's). Under 'error' runs decided by a "
    "tie are left out and reported; 'lot' draws with seed + run number.",
)
@click.option(
    "--by",
    type=click.Choice(["alliance", "party"]),
    default="alliance",
    show_default=True,
    help="Summarise seats per alliance or per party.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Threads that draw and allocate runs (default: the cores this process may use). "
    "The results are the same for any number.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or notes on stderr.")
@output_options
def simulate_cmd(
    ruleset: str,
    votes_path: Path | None,
    sets: Sequence[str],
    runs: int,
    seed: int | None,
    noise: str,
    ties: str | None,
    by: str,
    workers: int | None,
    quiet: bool,
    fmt: str,
    output: Path | None,
) -> None:
    """Seat distributions of RULESET's election over many perturbed copies of its votes.

    Every district of every tier is perturbed independently (its total kept),
    every run is allocated exactly under the rule set, and the seats per
    alliance or party are summarised: baseline (unperturbed) seats, mean, sd,
    5%/50%/95% quantiles, min, max, and the probabilities of an absolute
    majority (more than half the seats) and of a two-thirds supermajority.
    Under multinomial noise a block-vote circuit whose winners a redraw
    changes or ties with probability below 2^-100 is not drawn: it keeps its
    winners, and the notes say how many circuits were left so.

    \b
    Examples:
      seats simulate ve-2020-an --runs 10000 --seed 1 --noise multinomial
      seats simulate ve-2020-an --runs 5000 --seed 1 --noise dirichlet:2000 --by party
      seats simulate ve-2020-an --set tiers.state-list.method=sainte-lague --format parquet -o sl.parquet
      seats simulate ve-2020-an --set tiers.state-list.method=biproportional --runs 10000 --seed 1
      seats simulate ve-2020-an --runs 50000 --seed 1 --workers 2 --quiet
    """
    from seats.analysis.simulate import CHUNK, simulate
    from seats.analysis.simulate.lazy import CERTAIN_BITS

    rs = seats.load_ruleset(ruleset, overrides=parse_overrides(sets))
    started = time.perf_counter()
    if quiet or runs <= CHUNK:
        res = simulate(rs, votes_path, runs=runs, seed=seed, noise=noise, ties=ties, workers=workers)
    else:
        with click.progressbar(
            length=runs, label=f"simulating {runs:,} runs", file=sys.stderr, show_eta=True
        ) as bar:
            res = simulate(
                rs,
                votes_path,
                runs=runs,
                seed=seed,
                noise=noise,
                ties=ties,
                workers=workers,
                progress=bar.update,
            )
    elapsed = time.perf_counter() - started
    frame = res.to_polars(by)
    policy = res.ties or f"{rs.ties} (the rule set's policy)"
    notes = [f"{rs.name} ({rs.id}): {res.runs:,} runs, seed {res.seed}, noise {res.noise}, ties {policy}"]
    if len(res.dropped_runs):
        notes.append(
            f"{len(res.dropped_runs):,} runs left out (a tie decided a seat under the policy 'error', "
            f"or a district could not be filled); summaries cover the {res.kept:,} others"
        )
    for label, n in res.tie_districts.items():
        notes.append(f"  tie decided a seat in {label} in {n:,} runs")
    for label, n in res.unfilled_districts.items():
        notes.append(f"  {label} could not be filled in {n:,} runs")
    if res.undrawn:
        tiers = Counter(label.partition("/")[0] for label in res.undrawn)
        where = ", ".join(f"{t}: {n:,}" for t, n in tiers.items())
        notes.append(
            f"{len(res.undrawn):,} block-vote circuits not drawn ({where}): a redraw changes or ties their "
            f"winners with probability below 2^-{CERTAIN_BITS} each, so they keep them in every run"
        )
    if not quiet:
        click.echo(f"{res.runs:,} runs in {elapsed:.2f} s ({res.runs / elapsed:,.0f} runs/s)", err=True)
    if fmt == "table" and output is None:
        for line in notes:
            click.echo(line)
        emit(frame, fmt, None)
        return
    if not quiet:
        for line in notes:
            click.echo(line, err=True)
    # every row says how it was made, so a saved table can be reproduced
    frame = frame.with_columns(
        pl.lit(res.runs).alias("runs"),
        pl.lit(res.kept).alias("kept"),
        pl.lit(res.seed, dtype=pl.Int64).alias("seed"),
        pl.lit(noise).alias("noise"),
    )
    emit(frame, fmt, output, inputs=ruleset_inputs(rs, votes_path))
