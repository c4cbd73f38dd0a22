"""The click group every command hangs on, and the options and output shared by commands.

Library errors become one line on stderr and exit code 1 (2 for usage errors),
never a traceback.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
import polars as pl

import seats
from seats.errors import SeatsError

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("table", "csv", "json", "parquet")


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that a half-written output's temporary file is removed."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


class _Group(click.Group):
    """Turns library and file errors into one clear line and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        main_thread = threading.current_thread() is threading.main_thread()  # only it may set handlers
        previous = signal.getsignal(signal.SIGTERM)
        if main_thread:
            signal.signal(signal.SIGTERM, _on_sigterm)
        try:
            return super().invoke(ctx)
        except SeatsError as err:
            raise click.ClickException(str(err)) from None
        except (OSError, UnicodeError) as err:
            raise click.ClickException(f"{getattr(err, 'filename', '') or ''} {err}".strip()) from None
        except KeyboardInterrupt as err:  # Ctrl-C (130) or SIGTERM (143): write_frame has cleaned up
            terminated = isinstance(err, _Terminated)
            click.echo(f"{'terminated' if terminated else 'interrupted'}; nothing was written", err=True)
            sys.exit(143 if terminated else 130)
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


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


def emit(frame: pl.DataFrame, fmt: str, output: Path | None, inputs: Sequence[Path] = (),
         title: str = "") -> None:
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



def ruleset_inputs(rs: seats.RuleSet, votes: Path | None = None) -> list[Path]:
    """Every file a rule-set command reads: the votes, and the rule set with the tables beside it.

    Outputs are never written over any of them.
    """
    found = [p for p in (votes, rs.default_votes if votes is None else None) if p is not None]
    if rs.path is not None:
        found += [p for p in sorted(rs.path.parent.iterdir()) if p.is_file()]
    return found


def parse_overrides(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--set")
        out[key.strip()] = value.strip()
    return out

