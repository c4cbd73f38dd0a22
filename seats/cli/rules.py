"""``seats rulesets`` and ``seats allocate``: whole elections under a rule set."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
import polars as pl

import seats
from seats.cli._app import emit, main, output_options, parse_overrides


@main.command("rulesets")
@output_options
def rulesets_cmd(fmt: str, output: Path | None) -> None:
    """List the shipped and installed rule sets.

    \b
    Example:
      seats rulesets
    """
    rows = []
    for info in seats.available_rulesets():
        rs = seats.load_ruleset(info.path)
        rows.append({"id": rs.id, "name": rs.name, "seats": rs.total_seats,
                     "tiers": ", ".join(f"{t.id} {t.seats}" for t in rs.tiers), "origin": info.origin})
    emit(pl.DataFrame(rows), fmt, output)


@main.command("allocate")
@click.argument("ruleset")
@click.option("--votes", "votes_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Vote table (default: the rule set's shipped fixture).")
@click.option("--by", type=click.Choice(["alliance", "party", "option", "tier", "district"]),
              help="Roll seats up to this level (default: alliance, then party).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a rule-set field, e.g. tiers.state-list.method=sainte-lague (repeatable).")
@click.option("--seed", type=int, help="Seed for tie policies that draw lots.")
@click.option("--explain", is_flag=True, help="Print every district's step table.")
@output_options
def allocate_cmd(ruleset: str, votes_path: Path | None, by: str | None, sets: Sequence[str], seed: int | None,
                 explain: bool, fmt: str, output: Path | None) -> None:
    """Recompute a whole election under RULESET (an id from 'seats rulesets' or a path).

    \b
    Examples:
      seats allocate ve-2020-an
      seats allocate ve-2020-an --by tier
      seats allocate ve-2020-an --set tiers.state-list.method=sainte-lague --set tiers.national-list.method=hare
    """
    rs = seats.load_ruleset(ruleset, overrides=parse_overrides(sets))
    result = rs.allocate(votes_path, seed=seed)
    for event in result.ties:
        click.echo(f"note: {event.describe()}", err=True)
    if explain:
        click.echo(result.explain())
        return
    inputs = [p for p in (votes_path, rs.path, rs.default_votes) if p is not None]
    if by is None and fmt == "table" and output is None:
        click.echo(f"{rs.name} ({rs.id}): {result.total} seats")
        from seats.io import format_table

        click.echo(format_table(result.by("alliance")))
        click.echo("")
        click.echo(format_table(result.by("party")))
        return
    emit(result.by(by or "alliance"), fmt, output, inputs=inputs)
