"""``seats indices``: disproportionality and the effective number of parties."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

import seats
from seats.cli._app import emit, main, output_options, parse_overrides, read_options, ruleset_inputs


@main.command("indices")
@click.argument("source")
@click.option("--votes", "votes_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Vote table for the rule set (default: its shipped fixture).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a rule-set field, e.g. tiers.state-list.method=sainte-lague (repeatable).")
@click.option("--level", type=click.Choice(["alliance", "party", "option"]), default="alliance",
              show_default=True, help="Compare votes and seats per alliance, party or option.")
@click.option("--votes-tier", help="The tier whose votes count (default: the first list tier).")
@click.option("--seat-tier", "seat_tiers", multiple=True,
              help="Count only this tier's seats (repeatable; default: the whole assembly).")
@click.option("--seats", "-s", "house", type=int,
              help="Single-table mode: SOURCE is a party,votes file apportioned into this many seats.")
@click.option("--method", "-m", default="dhondt", show_default=True, help="With --seats: the method.")
@click.option("--threshold", help="With --seats: legal threshold (0.05, 5% or 1/20).")
@click.option("--seed", type=int, help="Seed for tie policies that draw lots.")
@read_options
@output_options
def indices_cmd(source: str, votes_path: Path | None, sets: Sequence[str], level: str, votes_tier: str | None,
                seat_tiers: Sequence[str], house: int | None, method: str, threshold: str | None,
                seed: int | None, thousands: str | None, decimal_comma: bool, fmt: str,
                output: Path | None) -> None:
    """Disproportionality indices of an election: Gallagher, Loosemore-Hanby, Sainte-Laguë,
    D'Hondt and the effective number of parties by votes and by seats.

    SOURCE is a rule set (seats of the whole assembly against the votes of its
    first list tier, per alliance, unless told otherwise), or with --seats a
    party,votes table. Values are floats; the EXACT column gives each index as
    a fraction (Gallagher as the square root of one).

    \b
    Examples:
      seats indices ve-2020-an
      seats indices ve-2020-an --level party --seat-tier state-list --seat-tier national-list
      seats indices fixtures/examples/ve-2020-national-list.csv --seats 48 --method sainte-lague
    """
    from seats.analysis.indices import indices
    from seats.cli.margins import single_allocation

    if house is not None:
        path = Path(source)
        if not path.is_file():
            raise click.BadParameter(f"with --seats, SOURCE must be a vote file; {source!r} is not one",
                                     param_hint="SOURCE")
        alloc = single_allocation(path, method, house, threshold, thousands, decimal_comma)
        d = indices(alloc)
        inputs = [path]
        title = f"{alloc.method}, {alloc.house_size} seats: disproportionality per party"
    else:
        rs = seats.load_ruleset(source, overrides=parse_overrides(sets))
        result = rs.allocate(votes_path, seed=seed)
        d = indices(result, level=level, votes_tier=votes_tier, seat_tiers=seat_tiers or None)
        inputs = ruleset_inputs(rs, votes_path)
        title = f"{rs.name} ({rs.id}): disproportionality per {level}"
    if d.no_votes:
        names = ", ".join(d.no_votes)
        click.echo(f"note: seats without votes (left out of sainte_lague and dhondt): {names}", err=True)
    emit(d.to_polars(), fmt, output, inputs=inputs, title=title)
