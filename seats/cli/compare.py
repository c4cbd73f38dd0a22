"""``seats compare``: one vote table under several rule sets or overrides, side by side."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from seats.cli._app import emit, main, output_options, ruleset_inputs


@main.command("compare")
@click.argument("ruleset")
@click.option("--variant", "variants", multiple=True, required=True,
              metavar="LABEL[@RULESET][:KEY=VALUE,...]",
              help="A column of the comparison (repeatable): LABEL alone is RULESET as it is; "
                   "':KEY=VALUE,...' overrides fields; '@OTHER' uses another rule set on the same votes.")
@click.option("--votes", "votes_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Vote table (default: RULESET's shipped fixture).")
@click.option("--level", type=click.Choice(["alliance", "party"]), default="alliance", show_default=True,
              help="Seats and indices per alliance or per party.")
@click.option("--votes-tier", help="The tier whose votes the indices use (default: the first list tier).")
@click.option("--seed", type=int, help="Seed for tie policies that draw lots.")
@output_options
def compare_cmd(ruleset: str, variants: Sequence[str], votes_path: Path | None, level: str,
                votes_tier: str | None, seed: int | None, fmt: str, output: Path | None) -> None:
    """Allocate one vote table under several variants of RULESET and put seats and indices side by side.

    Each --variant is LABEL, LABEL:KEY=VALUE[,KEY=VALUE...] (the keys of --set in
    'seats allocate'), or LABEL@OTHER-RULESET[:KEY=VALUE,...]. As a table: seats
    per alliance (one column per variant), then the indices. With --format or
    --output: one frame, one row per variant (seat columns per alliance, then
    gallagher, loosemore_hanby, sainte_lague, dhondt, enp_votes, enp_seats).

    \b
    Examples:
      seats compare ve-2020-an --variant dhondt --variant "sl:tiers.state-list.method=sainte-lague"
      seats compare ve-2020-an --variant official --variant "hare:tiers.state-list.method=hare" --level party
      seats compare ve-2020-an --variant a --variant "b:tiers.national-list.method=hare" --format csv
    """
    from seats.analysis.compare import compare

    cmp = compare(ruleset, variants, votes_path, level=level, votes_tier=votes_tier, seed=seed)
    for res in cmp.results:
        for event in res.ties:
            click.echo(f"note: {event.describe()}", err=True)
    base = cmp.rulesets[0]
    inputs = [p for rs in cmp.rulesets for p in ruleset_inputs(rs, votes_path)]
    if fmt == "table" and output is None:
        from seats.io import format_table

        click.echo(f"{base.name} ({base.id}): seats per {level}")
        for v in cmp.variants:
            click.echo(f"  {v.label}: {v.describe()}")
        click.echo(format_table(cmp.seats()))
        click.echo("")
        click.echo("disproportionality (Gallagher, Loosemore-Hanby and Sainte-Laguë in percentage points)")
        click.echo(format_table(cmp.index_table()))
        return
    emit(cmp.to_polars(), fmt, output, inputs=inputs)
