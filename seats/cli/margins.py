"""``seats margins``: how many votes would have moved each seat, and to whom."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

import seats
from seats.cli._app import emit, main, output_options, parse_overrides, read_options, ruleset_inputs
from seats.results import Allocation


def single_allocation(path: Path, method: str, house: int, threshold: str | None, thousands: str | None,
                      decimal_comma: bool) -> Allocation:
    """Apportion one party,votes table (the ``--seats`` mode of the analysis commands)."""
    from seats.io import read_party_votes

    table = read_party_votes(path, thousands=thousands, decimal_comma=decimal_comma)
    return seats.apportion(table, house, method=method, threshold=threshold)


@main.command("margins")
@click.argument("source")
@click.option("--votes", "votes_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Vote table for the rule set (default: its shipped fixture).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a rule-set field, e.g. tiers.state-list.method=sainte-lague (repeatable).")
@click.option("--tier", "tiers", multiple=True, help="Only this tier (repeatable).")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True,
              help="Show the N most fragile seats.")
@click.option("--all", "every", is_flag=True,
              help="Every seat, district by district, instead of the most fragile.")
@click.option("--depth", type=click.IntRange(min=1),
              help="Only each holder's N seats nearest the margin in each district (1: its marginal seat).")
@click.option("--seats", "-s", "house", type=int,
              help="Single-table mode: SOURCE is a party,votes file apportioned into this many seats.")
@click.option("--method", "-m", default="dhondt", show_default=True, help="With --seats: the method.")
@click.option("--threshold", help="With --seats: legal threshold (0.05, 5% or 1/20).")
@click.option("--seed", type=int, help="Seed for tie policies that draw lots.")
@read_options
@output_options
def margins_cmd(source: str, votes_path: Path | None, sets: Sequence[str], tiers: Sequence[str], top: int,
                every: bool, depth: int | None, house: int | None, method: str, threshold: str | None,
                seed: int | None, thousands: str | None, decimal_comma: bool, fmt: str,
                output: Path | None) -> None:
    """Exact seat margins: the fewest votes that would have moved each seat, and to whom.

    SOURCE is a rule set (an id from 'seats rulesets' or a path), or with
    --seats a party,votes table. One row per seat: a holder's seats are ranked
    from the margin (RANK 1 is the seat it would lose first). LOSE: the votes
    the holder could lose before that seat goes (to LOSE_TO); GAIN: the votes
    the best runner-up (CHALLENGER) would need; TRANSFER: the votes moved from
    one to the other. A *_TIE flag marks a shift that makes an exact tie (the
    strict flip is one vote more).

    \b
    Examples:
      seats margins ve-2020-an --top 20
      seats margins ve-2020-an --tier state-list --all --depth 1 --format csv -o margins.csv
      seats margins fixtures/examples/ve-2020-national-list.csv --seats 48 --method dhondt
    """
    from seats.analysis.margins import seat_margins

    inputs: list[Path] = []
    if house is not None:
        path = Path(source)
        if not path.is_file():
            raise click.BadParameter(f"with --seats, SOURCE must be a vote file; {source!r} is not one",
                                     param_hint="SOURCE")
        alloc = single_allocation(path, method, house, threshold, thousands, decimal_comma)
        margins = seat_margins(alloc, depth=depth)
        inputs.append(path)
        title = f"{alloc.method}, {alloc.house_size} seats: seat margins"
    else:
        rs = seats.load_ruleset(source, overrides=parse_overrides(sets))
        result = rs.allocate(votes_path, seed=seed)
        margins = seat_margins(result, tiers=tiers or None, depth=depth)
        for tier in rs.tiers:
            if tier.biproportional and (not tiers or tier.id in tiers):
                click.echo(f"note: tier {tier.id!r} is allocated biproportionally over all its districts; "
                           "its seats have no per-district margins and are left out", err=True)
        inputs += ruleset_inputs(rs, votes_path)
        title = f"{rs.name} ({rs.id}): seat margins"
    if every:
        frame = margins.to_polars()
    else:
        frame = margins.to_polars(fragile_first=True).head(top)
        title += f", the {min(top, len(margins))} most fragile of {len(margins)}"
    emit(frame, fmt, output, inputs=inputs, title=title)
