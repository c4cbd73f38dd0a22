"""``seats scenario``: transform an election's votes and show which seats change."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

import seats
from seats.cli._app import emit, main, output_options, parse_overrides, ruleset_inputs

_TRANSFORM_OPTIONS = ("--scale", "--remove", "--set-turnout", "--move")


class _OrderedCommand(click.Command):
    """Remembers the order in which transform options were given, across option names."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        order = []
        for token in args:
            if token == "--":
                break
            name = token.split("=", 1)[0]
            if name in _TRANSFORM_OPTIONS:
                order.append(name)
        ctx.meta["seats.transform_order"] = order
        return super().parse_args(ctx, args)


def _split_amount(text: str, option: str, form: str) -> tuple[str, str]:
    head, sep, amount = text.rpartition(":")
    if not sep or not head.strip() or not amount.strip():
        raise click.BadParameter(f"expected {form}, got {text!r}", param_hint=option)
    return head.strip(), amount.strip()


def _transforms(ctx: click.Context, given: dict[str, Sequence[str]], spread: str, tiers: Sequence[str],
                districts: Sequence[str]) -> list[Any]:
    from seats.analysis.scenarios import Move, Remove, Scale, SetTurnout

    scope: dict[str, Any] = {"tiers": tuple(tiers) or None, "districts": tuple(districts) or None}
    queues = {name: list(values) for name, values in given.items()}
    out: list[Any] = []
    for name in ctx.meta.get("seats.transform_order", []):
        if not queues.get(name):
            continue
        text = queues[name].pop(0)
        if name == "--scale":
            sel, amount = _split_amount(text, name, "SELECTOR:FACTOR (e.g. alliance=GPP:0.9, party=AD:110%)")
            out.append(Scale(sel, amount, **scope))
        elif name == "--remove":
            sel, amount = _split_amount(text, name, "SELECTOR:N (e.g. alliance=GPP:1000000)")
            out.append(Remove(sel, amount, spread=spread, **scope))  # type: ignore[arg-type]
        elif name == "--set-turnout":
            tier, sep, amount = text.rpartition(":")
            here = dict(scope)
            if sep:
                here["tiers"] = (tier.strip(),)
            out.append(SetTurnout(amount.strip(), **here))  # type: ignore[arg-type]
        else:
            pair, amount = _split_amount(text, name, "FROM->TO:AMOUNT (e.g. party=PSUV->party=AD:5%)")
            src, arrow, dst = pair.partition("->")
            if not arrow or not src.strip() or not dst.strip():
                raise click.BadParameter(f"expected FROM->TO:AMOUNT, got {text!r}", param_hint=name)
            out.append(Move(src.strip(), dst.strip(), amount, spread=spread, **scope))
    return out


@main.command("scenario", cls=_OrderedCommand)
@click.argument("ruleset")
@click.option("--votes", "votes_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Vote table (default: the rule set's shipped fixture).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a rule-set field (repeatable).")
@click.option("--scale", multiple=True, metavar="SELECTOR:FACTOR",
              help="Multiply a selection's votes, e.g. alliance=GPP:0.9, party=AD:110% or option=X:3/4.")
@click.option("--remove", multiple=True, metavar="SELECTOR:N",
              help="Remove N votes of a selection in each tier.")
@click.option("--set-turnout", "set_turnout", multiple=True, metavar="[TIER:]N",
              help="Scale every vote of a tier (default: each tier) to a valid-vote total of N.")
@click.option("--move", multiple=True, metavar="FROM->TO:AMOUNT",
              help="Move N votes (or a fraction: 5%, 1/10) from one selection to another in each district.")
@click.option("--spread", type=click.Choice(["proportional", "strongest"]), default="proportional",
              show_default=True,
              help="Where --remove and --move take votes: in proportion, or where strongest first.")
@click.option("--tier", "tiers", multiple=True, help="Restrict every transform to this tier (repeatable).")
@click.option("--district", "districts", multiple=True,
              help="Restrict every transform to this district (repeatable).")
@click.option("--by", type=click.Choice(["alliance", "party", "seat"]), default="alliance", show_default=True,
              help="With --format/--output: seat changes per alliance, per party, or seat by seat.")
@click.option("--seed", type=int, help="Seed for tie policies that draw lots.")
@output_options
@click.pass_context
def scenario_cmd(ctx: click.Context, ruleset: str, votes_path: Path | None, sets: Sequence[str],
                 scale: Sequence[str], remove: Sequence[str], set_turnout: Sequence[str], move: Sequence[str],
                 spread: str, tiers: Sequence[str], districts: Sequence[str], by: str, seed: int | None,
                 fmt: str, output: Path | None) -> None:
    """Change the votes of RULESET's election and show which seats change.

    Transforms apply in the order given. A selector is option=..., party=...,
    alliance=... or a bare name (any of the three). Counts apply in each tier
    with votes (nominal and list ballots alike) unless --tier restricts them.

    \b
    Examples:
      seats scenario ve-2020-an --remove "alliance=GPP:1000000" --spread proportional
      seats scenario ve-2020-an --set-turnout state-list:8089320 --move "party=PSUV->party=AD:5%"
      seats scenario ve-2020-an --scale "alliance=GPP:0.8" --tier state-list --by seat --format csv
    """
    from seats.analysis.scenarios import describe_all, run_scenario

    given = {"--scale": scale, "--remove": remove, "--set-turnout": set_turnout, "--move": move}
    steps = _transforms(ctx, given, spread, tiers, districts)
    if not steps:
        raise click.UsageError("give at least one of --scale, --remove, --set-turnout or --move")
    rs = seats.load_ruleset(ruleset, overrides=parse_overrides(sets))
    res = run_scenario(rs, votes_path, steps, seed=seed)
    inputs = ruleset_inputs(rs, votes_path)
    frame = res.seat_changes() if by == "seat" else res.diff(by)
    if fmt == "table" and output is None:
        click.echo(f"{rs.name} ({rs.id}), {res.baseline.total} seats; scenario:")
        for line in describe_all(steps):
            click.echo(f"  {line}")
        from seats.io import format_table

        click.echo("")
        click.echo(format_table(res.diff(by if by != "seat" else "alliance")))
        changes = res.seat_changes()
        click.echo("")
        if changes.height:
            click.echo(f"seats that change ({int(changes['change'].abs().sum()) // 2} moved):")
            click.echo(format_table(changes))
        else:
            click.echo("no seat changes")
        return
    for line in describe_all(steps):
        click.echo(f"scenario {line}", err=True)
    emit(frame, fmt, output, inputs=inputs)
