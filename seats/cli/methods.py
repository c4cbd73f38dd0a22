"""``seats methods`` and ``seats apportion``: the apportionment methods on one table of votes."""

from __future__ import annotations

from pathlib import Path

import click
import polars as pl

import seats
from seats.cli._app import emit, main, output_options, read_options


@main.command("methods")
@output_options
def methods_cmd(fmt: str, output: Path | None) -> None:
    """List every apportionment method with its aliases and family.

    \b
    Example:
      seats methods --format csv
    """
    specs = list(seats.REGISTRY.values())
    frame = pl.DataFrame({
        "id": [s.id for s in specs],
        "family": [s.family for s in specs],
        "name": [s.name for s in specs],
        "aliases": [", ".join(s.aliases) for s in specs],
    })
    emit(frame, fmt, output)


@main.command("apportion")
@click.argument("votes", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--method", "-m", default="dhondt", show_default=True,
              help="Method id or alias (see 'seats methods').")
@click.option("--seats", "-s", "house", type=int, required=True, help="Seats to apportion.")
@click.option("--threshold", help="Legal threshold as a fraction of valid votes: 0.05, 5% or 1/20.")
@click.option("--ties", type=click.Choice(["error", "lot", "most-votes", "order"]), default="error",
              show_default=True, help="What to do when a tie decides a seat.")
@click.option("--seed", type=int, help="Seed for --ties lot (recorded in the output).")
@click.option("--explain", is_flag=True, help="Print the step table (quotients in award order) instead.")
@read_options
@output_options
def apportion_cmd(votes: Path, method: str, house: int, threshold: str | None, ties: str, seed: int | None,
                  explain: bool, thousands: str | None, decimal_comma: bool, fmt: str,
                  output: Path | None) -> None:
    """Apportion SEATS among the parties of a VOTES table (columns party,votes; CSV, Parquet or JSON).

    \b
    Example:
      seats apportion --method dhondt --seats 48 fixtures/ve-2020-an/national_list_totals.csv
    """
    from seats.io import read_party_votes

    table = read_party_votes(votes, thousands=thousands, decimal_comma=decimal_comma)
    if ties == "lot" and seed is None:  # one seed for the whole run, recorded below so it can be replayed
        import random

        seed = random.SystemRandom().randrange(2**32)
    alloc = seats.apportion(table, house, method=method, threshold=threshold, ties=ties, seed=seed)
    for event in alloc.ties:
        click.echo(f"note: {event.describe()}", err=True)
    if explain:
        click.echo(alloc.explain())
        return
    frame = alloc.to_polars()
    if ties == "lot":  # anything drawn by lot carries its seed in every output format
        frame = frame.with_columns(pl.lit(seed, dtype=pl.Int64).alias("seed"))
    lot = f" (ties by lot, seed {seed})" if ties == "lot" else ""
    emit(frame, fmt, output, inputs=[votes],
         title=f"{alloc.method}, {alloc.house_size} seats{lot}: {alloc.certificate.describe()}")

