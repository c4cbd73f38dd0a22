"""``seats rulesets`` and ``seats allocate``: whole elections under a rule set."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
import polars as pl

import seats
from seats.cli._app import emit, main, output_options, parse_overrides, read_options, ruleset_inputs
from seats.errors import RuleSetError

LEVELS = ("alliance", "party", "option", "tier", "district")


@main.command("rulesets")
@output_options
def rulesets_cmd(fmt: str, output: Path | None) -> None:
    """List the shipped and installed rule sets: id, name, seats, tiers and origin.

    A rule set that fails to load is reported on stderr and left out.

    \b
    Examples:
      seats rulesets
      seats rulesets --format csv -o rulesets.csv
    """
    rows = []
    for info in seats.available_rulesets():
        try:
            rs = seats.load_ruleset(info.path)
        except RuleSetError as err:
            click.echo(f"warning: rule set {info.id!r} ({info.origin}) does not load: {err}", err=True)
            continue
        rows.append({"id": info.id, "name": rs.name, "seats": rs.total_seats,
                     "tiers": ", ".join(f"{t.id} {t.seats}" for t in rs.tiers), "origin": info.origin})
    frame = pl.DataFrame(rows, schema={"id": pl.Utf8, "name": pl.Utf8, "seats": pl.Int64, "tiers": pl.Utf8,
                                       "origin": pl.Utf8})
    emit(frame, fmt, output)


@main.command("allocate")
@click.argument("ruleset")
@click.option("--votes", "votes_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Vote table: CSV, Parquet or JSON (default: the rule set's shipped table).")
@click.option("--by", type=click.Choice(LEVELS),
              help="Roll seats up to this level (default: alliance, then party).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a rule-set field, e.g. tiers.state-list.method=sainte-lague (repeatable).")
@click.option("--seed", type=int, help="Seed for tie policies that draw lots.")
@click.option("--explain", is_flag=True, help="Print every district's step table instead.")
@read_options
@output_options
def allocate_cmd(ruleset: str, votes_path: Path | None, by: str | None, sets: Sequence[str], seed: int | None,
                 explain: bool, thousands: str | None, decimal_comma: bool, fmt: str,
                 output: Path | None) -> None:
    """Recompute a whole election under RULESET (an id from 'seats rulesets', or a path).

    Without --by, the table shows seats by alliance and then by party, with one
    column per tier; --by tier|district|option gives other roll-ups. When the
    rule set (or a --set) settles ties by lot, the seed is recorded in every
    output (a 'seed' column), drawn at random if --seed is not given.

    \b
    Examples:
      seats allocate ve-2020-an
      seats allocate ve-2020-an --by tier
      seats allocate ve-2020-an --set tiers.state-list.method=sainte-lague --format csv -o sl.csv
      seats allocate my-rules/ruleset.toml --votes votes.parquet --by district --explain
    """
    if explain and output is not None:
        raise click.UsageError("--explain prints the steps; redirect them to a file instead of --output")
    rs = seats.load_ruleset(ruleset, overrides=parse_overrides(sets))
    result = rs.allocate(votes_path, seed=seed, thousands=thousands, decimal_comma=decimal_comma)
    lot = rs.ties == "lot" or any(t.ties == "lot" for t in rs.tiers)
    seed = result.seed  # drawn by the library for a lot without --seed, so the draw can be replayed
    for event in result.ties:
        click.echo(f"note: {event.describe()}", err=True)
    drawn = f" (ties by lot, seed {seed})" if lot else ""
    if explain:
        click.echo(result.explain() + (f"\n\nties by lot, seed {seed}" if lot else ""))
        return

    def table(level: str) -> pl.DataFrame:
        frame = result.by(level)
        return frame.with_columns(pl.lit(seed, dtype=pl.Int64).alias("seed")) if lot else frame

    if by is None and fmt == "table" and output is None:
        from seats.io import format_table

        click.echo(f"{rs.name} ({rs.id}): {result.total} seats{drawn}")
        click.echo(format_table(result.by("alliance")))
        click.echo("")
        click.echo(format_table(result.by("party")))
        return
    emit(table(by or "alliance"), fmt, output, inputs=ruleset_inputs(rs, votes_path))
