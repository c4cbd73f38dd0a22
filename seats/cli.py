"""The ``seats`` command line: a thin layer over the library.

Each command parses its options, calls one library function and renders the
result. Library errors become one line on stderr and exit code 1 (2 for usage
errors), never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
import polars as pl

import seats
from seats.errors import SeatsError

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("table", "csv", "json", "parquet")


class _Group(click.Group):
    """Turns library and file errors into one clear line and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SeatsError as err:
            raise click.ClickException(str(err)) from None
        except (OSError, UnicodeError) as err:
            raise click.ClickException(f"{getattr(err, 'filename', '') or ''} {err}".strip()) from None
        except KeyboardInterrupt:  # pragma: no cover - interactive
            click.echo("interrupted; nothing was written", err=True)
            sys.exit(130)


def output_options(func: F) -> F:
    """``--format`` and ``--output``, shared by every command that prints a table."""
    func = click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                        help="Write to FILE (atomically) instead of stdout.")(func)
    func = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                        help="Output format.")(func)
    return func


def read_options(func: F) -> F:
    """Number-format options for reading vote files."""
    func = click.option("--decimal-comma", is_flag=True, help="Numbers use ',' as the decimal mark.")(func)
    func = click.option("--thousands", type=click.Choice([".", ",", " ", "_"]),
                        help="Accept this thousands separator in vote counts (e.g. '.' for 4.317.819).")(func)
    return func


def emit(frame: pl.DataFrame, fmt: str, output: Path | None, inputs: Sequence[Path] = (), title: str = "") -> None:
    """Render ``frame`` to stdout or write it atomically to ``output``."""
    from seats.io import format_table, write_frame

    if output is not None:
        write_frame(frame, output, format=fmt if fmt != "table" else None, inputs=inputs)
        click.echo(f"wrote {output}", err=True)
        return
    if fmt == "table":
        if title:
            click.echo(title)
        click.echo(format_table(frame.with_columns(pl.col(pl.Float64).round(4))))
    elif fmt == "csv":
        click.echo(frame.write_csv(), nl=False)
    elif fmt == "json":
        import json

        click.echo(json.dumps(frame.to_dicts(), ensure_ascii=False, indent=1))
    else:
        raise click.UsageError("--format parquet needs --output FILE")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(seats.__version__, prog_name="seats")
def main() -> None:
    """Exact, explainable seat allocation for electoral research.

    \b
    Examples:
      seats methods
      seats apportion --method dhondt --seats 48 votes.csv
      seats allocate ve-2020-an
      seats allocate ve-2020-an --set tiers.state-list.method=sainte-lague
    """


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
@click.option("--method", "-m", default="dhondt", show_default=True, help="Method id or alias (see 'seats methods').")
@click.option("--seats", "-s", "house", type=int, required=True, help="Seats to apportion.")
@click.option("--threshold", help="Legal threshold as a fraction of valid votes: 0.05, 5% or 1/20.")
@click.option("--ties", type=click.Choice(["error", "lot", "most-votes", "order"]), default="error", show_default=True,
              help="What to do when a tie decides a seat.")
@click.option("--seed", type=int, help="Seed for --ties lot (recorded in the output).")
@click.option("--explain", is_flag=True, help="Print the step table (quotients in award order) instead.")
@read_options
@output_options
def apportion_cmd(votes: Path, method: str, house: int, threshold: str | None, ties: str, seed: int | None,
                  explain: bool, thousands: str | None, decimal_comma: bool, fmt: str, output: Path | None) -> None:
    """Apportion SEATS among the parties of a VOTES table (columns party,votes; CSV, Parquet or JSON).

    \b
    Example:
      seats apportion --method dhondt --seats 48 fixtures/ve-2020-an/national_list_totals.csv
    """
    from seats.io import read_party_votes

    table = read_party_votes(votes, thousands=thousands, decimal_comma=decimal_comma)
    alloc = seats.apportion(table, house, method=method, threshold=threshold, ties=ties, seed=seed)
    for event in alloc.ties:
        click.echo(f"note: {event.describe()}", err=True)
    if explain:
        click.echo(alloc.explain())
        return
    emit(alloc.to_polars(), fmt, output, inputs=[votes],
         title=f"{alloc.method}, {alloc.house_size} seats: {alloc.certificate.describe()}")


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


def _overrides(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--set")
        out[key.strip()] = value.strip()
    return out


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
    rs = seats.load_ruleset(ruleset, overrides=_overrides(sets))
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


# ---------------------------------------------------------------- research commands (seats.analysis)

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
    rs = seats.load_ruleset(ruleset, overrides=_overrides(sets))
    res = run_scenario(rs, votes_path, steps, seed=seed)
    inputs = [p for p in (votes_path, rs.path, rs.default_votes) if p is not None]
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


if __name__ == "__main__":  # pragma: no cover
    main()
