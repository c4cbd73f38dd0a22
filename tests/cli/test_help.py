"""Every command of the ``seats`` CLI, whoever added it, has --help with a runnable-looking example."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from seats.cli import main


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
    return found


COMMANDS = _commands(main)


def test_the_commands_are_registered() -> None:
    names = {c[0] for c in COMMANDS}
    assert {"methods", "apportion", "rulesets", "allocate"} <= names


@pytest.mark.parametrize("path", [(), *COMMANDS], ids=lambda p: " ".join(p) or "seats")
def test_help_has_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("Usage: "), text
    assert "Example" in text, f"'seats {' '.join(path)} --help' shows no example"
    block = text.split("Example", 1)[1].split("\n\n", 1)[0]
    examples = [ln.strip() for ln in block.splitlines()[1:] if ln.strip()]
    assert examples, f"'seats {' '.join(path)} --help': the Example block is empty"
    where = f"'seats {' '.join(path)} --help'"
    for line in examples:
        assert line.startswith("seats "), f"{where}: example {line!r} is not a seats command"
        if path:
            assert line.split()[1] == path[0], f"{where}: example {line!r} runs another command"


def test_short_help_flag() -> None:
    assert CliRunner().invoke(main, ["-h"]).exit_code == 0
