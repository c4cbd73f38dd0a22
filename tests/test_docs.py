"""The README and the tutorial run as written.

Every ```python block of a document is executed, in order, in one namespace
per document; every ``seats ...`` line of a ```console block is run through
the CLI and must exit 0. Both run in a scratch folder that sees the project's
``fixtures/`` (so relative paths in the docs work and outputs land in the
scratch folder, never in the checkout). ``make`` lines are the quick start:
``make test`` is this suite and ``make demo`` is tested in
``tests/rules/test_ve_2020_an.py``.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from seats.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```(python|console)\n(.*?)^```", re.S | re.M)
_COMMENT = re.compile(r"\s+#\s.*$")


def _blocks(path: Path, kind: str) -> list[str]:
    return [body for lang, body in _BLOCK.findall(path.read_text(encoding="utf-8")) if lang == kind]


def _commands() -> Iterator[tuple[str, str]]:
    for doc in DOCS:
        for body in _blocks(doc, "console"):
            for line in body.splitlines():
                line = _COMMENT.sub("", line.strip().removeprefix("$ "))
                if line.startswith("seats "):
                    yield doc.name, line


@pytest.fixture()
def scratch(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures", target_is_directory=True)
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


def test_the_docs_have_examples_to_run() -> None:
    assert _blocks(ROOT / "README.md", "python"), "the README shows no library example"
    assert any(doc == "README.md" for doc, _ in _commands()), "the README shows no CLI example"


@pytest.mark.parametrize("doc", [d for d in DOCS if _blocks(d, "python")], ids=lambda d: d.name)
def test_python_examples_run(doc: Path, scratch: Path) -> None:
    namespace: dict[str, object] = {"__name__": f"docs:{doc.name}"}
    for number, body in enumerate(_blocks(doc, "python"), start=1):
        code = compile(body, f"{doc.name}, python block {number}", "exec")
        exec(code, namespace)


@pytest.mark.parametrize(("doc", "line"), list(_commands()), ids=[f"{d}: {c}" for d, c in _commands()])
def test_console_examples_run(doc: str, line: str, scratch: Path) -> None:
    result = CliRunner().invoke(main, shlex.split(line)[1:], catch_exceptions=False)
    assert result.exit_code == 0, f"{doc}: `{line}` exited {result.exit_code}: {result.output}"
    wrote = any(p.name != "fixtures" for p in scratch.iterdir())
    assert result.output.strip() or wrote, f"{doc}: `{line}` printed and wrote nothing"
