"""``seats plot``: SVG pictures of an assembly (a hemicycle, seats against votes)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

import seats
from seats.cli._app import main, parse_overrides, ruleset_inputs


@main.group("plot")
def plot_group() -> None:
    """Draw an assembly as SVG: 'hemicycle' or 'votes' (seats against votes).

    \b
    Examples:
      seats plot hemicycle ve-2020-an -o an2020.svg
      seats plot votes ve-2020-an -o sv.svg
    """


def _common(func: Any) -> Any:
    func = click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                        help="Write the SVG to FILE (atomically) instead of stdout.")(func)
    func = click.option("--color", "colors", multiple=True, metavar="GROUP=COLOR",
                        help="Colour of a group, e.g. 'Gran Polo Patriótico=#d7191c' (repeatable).")(func)
    func = click.option("--title", help="Heading of the picture.")(func)
    func = click.option("--level", type=click.Choice(["alliance", "party"]), default="alliance",
                        show_default=True, help="Group seats by alliance or by party.")(func)
    func = click.option("--seed", type=int, help="Seed for tie policies that draw lots.")(func)
    func = click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                        help="Override a rule-set field, e.g. tiers.state-list.method=sainte-lague.")(func)
    func = click.option("--votes", "votes_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                        help="Vote table (default: the rule set's shipped fixture).")(func)
    func = click.argument("ruleset")(func)
    return func


def _colors(pairs: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, colour = pair.rpartition("=")
        if not sep or not name.strip() or not colour.strip():
            raise click.BadParameter(f"expected GROUP=COLOR, got {pair!r}", param_hint="--color")
        out[name.strip()] = colour.strip()
    return out


def _allocate(ruleset: str, votes_path: Path | None, sets: Sequence[str],
              seed: int | None) -> tuple[seats.ElectionResult, list[Path]]:
    rs = seats.load_ruleset(ruleset, overrides=parse_overrides(sets))
    result = rs.allocate(votes_path, seed=seed)
    for event in result.ties:
        click.echo(f"note: {event.describe()}", err=True)
    inputs = ruleset_inputs(rs, votes_path)
    return result, inputs


def _emit(svg: str, output: Path | None, inputs: Sequence[Path]) -> None:
    from seats.analysis.plot import write_svg

    if output is None:
        click.echo(svg, nl=False)
        return
    write_svg(svg, output, inputs=inputs)
    click.echo(f"wrote {output}", err=True)


@plot_group.command("hemicycle")
@_common
def hemicycle_cmd(ruleset: str, votes_path: Path | None, sets: Sequence[str], seed: int | None, level: str,
                  title: str | None, colors: Sequence[str], output: Path | None) -> None:
    """The assembly of RULESET as a hemicycle: one dot per seat, reserved seats as rings.

    \b
    Examples:
      seats plot hemicycle ve-2020-an -o an2020.svg
      seats plot hemicycle ve-2020-an --set tiers.state-list.method=sainte-lague -o sl.svg
      seats plot hemicycle ve-2015-an --color 'Gran Polo Patriótico=#d7191c' > an2015.svg
    """
    from seats.analysis.plot import hemicycle_svg

    result, inputs = _allocate(ruleset, votes_path, sets, seed)
    _emit(hemicycle_svg(result, title=title, colors=_colors(colors), level=level), output, inputs)


@plot_group.command("votes")
@_common
@click.option("--tier", help="Tier whose votes give the vote shares (default: the first list tier).")
def votes_cmd(ruleset: str, votes_path: Path | None, sets: Sequence[str], seed: int | None, level: str,
              title: str | None, colors: Sequence[str], output: Path | None, tier: str | None) -> None:
    """Seat share against vote share for RULESET, with the diagonal of proportionality.

    \b
    Examples:
      seats plot votes ve-2020-an -o sv.svg
      seats plot votes ve-2020-an --level party --tier state-list -o sv-party.svg
    """
    from seats.analysis.plot import seats_votes_svg

    result, inputs = _allocate(ruleset, votes_path, sets, seed)
    svg = seats_votes_svg(result, tier=tier, title=title, colors=_colors(colors), level=level)
    _emit(svg, output, inputs)
