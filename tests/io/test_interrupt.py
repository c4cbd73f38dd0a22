"""Nothing lost: the CLI never writes over an input, and an interrupted write leaves no half file.

``seats.io.write_frame`` (tested on its own in ``test_write.py``) writes to a
hidden temporary file beside the target and renames it into place. These
tests check the guarantee where users meet it, through the commands: refusals
by every name an input can have, a writer failing mid-way (an exception or
Ctrl-C), and real processes interrupted with SIGINT or killed with SIGKILL
while they write. After any of these the output is either absent, the complete
previous file, or (only if the run finished) the complete new one.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import polars as pl
import pytest
from click.testing import CliRunner, Result

from seats.cli import main
from seats.io import write as write_mod

DATA = Path(__file__).resolve().parent.parent / "data" / "hardening"
RULESET = DATA / "ruleset.toml"
OLD = b"party,seats\nprevious,1\n"
TEMP = re.compile(r"^\.out\.csv\.[0-9a-f]{8}\.tmp$")


def _party_votes(path: Path, n: int = 4) -> None:
    path.write_text("party,votes\n" + "".join(f"P{i},{1000 + 7 * i}\n" for i in range(n)), encoding="utf-8")


def _only_error_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path


# ---------------------------------------------------------------- refusing to write over an input


@pytest.mark.parametrize(
    "name", ["votes.csv", "./votes.csv", "sub/../votes.csv", "{abs}", "link.csv", "hard.csv"]
)
def test_apportion_refuses_its_input_by_any_name(cwd: Path, name: str) -> None:
    source = cwd / "votes.csv"
    _party_votes(source)
    before = source.read_bytes()
    (cwd / "sub").mkdir()
    (cwd / "link.csv").symlink_to(source)
    os.link(source, cwd / "hard.csv")
    target = name.format(abs=source)
    result = CliRunner().invoke(main, ["apportion", "-s", "3", "votes.csv", "--format", "csv", "-o", target])
    line = _only_error_line(result)
    assert f"{Path(target)}: refusing to overwrite an input file" in line
    assert source.read_bytes() == before
    assert sorted(p.name for p in cwd.iterdir()) == ["hard.csv", "link.csv", "sub", "votes.csv"]


def test_apportion_refuses_an_input_read_through_a_symlink(cwd: Path) -> None:
    real = cwd / "real.csv"
    _party_votes(real)
    (cwd / "alias.csv").symlink_to(real)
    result = CliRunner().invoke(
        main, ["apportion", "-s", "3", "alias.csv", "--format", "csv", "-o", "real.csv"]
    )
    assert "refusing to overwrite an input file (alias.csv)" in _only_error_line(result)


@pytest.mark.parametrize("which", ["votes", "ruleset", "default-votes"])
def test_allocate_refuses_its_inputs(cwd: Path, which: str) -> None:
    rs = cwd / "rs"
    rs.mkdir()
    for f in ("ruleset.toml", "votes.csv"):
        (rs / f).write_bytes((DATA / f).read_bytes())
    (cwd / "mine.csv").write_bytes((DATA / "votes.csv").read_bytes())
    target = {"votes": "./mine.csv", "ruleset": "rs/ruleset.toml", "default-votes": "rs/./votes.csv"}[which]
    args = ["allocate", "rs/ruleset.toml", "--format", "csv", "-o", target]
    if which == "votes":
        args += ["--votes", "mine.csv"]
    before = {p: p.read_bytes() for p in cwd.rglob("*") if p.is_file()}
    line = _only_error_line(CliRunner().invoke(main, args))
    assert "refusing to overwrite an input file" in line
    assert {p: p.read_bytes() for p in cwd.rglob("*") if p.is_file()} == before


def _ruleset_with_district_file(cwd: Path) -> Path:
    rs = cwd / "rs"
    rs.mkdir()
    text = (DATA / "ruleset.toml").read_text(encoding="utf-8")
    inline = (
        '[\n  { id = "VE-S", name = "Táchira", seats = 2 },\n  { id = "VE-V", name = "Zulia", seats = 3 },\n]'
    )
    assert inline in text
    (rs / "ruleset.toml").write_text(text.replace(inline, '"states.csv"'), encoding="utf-8")
    (rs / "states.csv").write_text("id,name,seats\nVE-S,Táchira,2\nVE-V,Zulia,3\n", encoding="utf-8")
    (rs / "votes.csv").write_bytes((DATA / "votes.csv").read_bytes())
    return rs


def test_allocate_refuses_a_district_table_of_the_ruleset(cwd: Path) -> None:
    rs = _ruleset_with_district_file(cwd)
    before = (rs / "states.csv").read_bytes()
    result = CliRunner().invoke(
        main, ["allocate", "rs/ruleset.toml", "--format", "csv", "-o", "rs/states.csv"]
    )
    assert (rs / "states.csv").read_bytes() == before, "the rule set's district table was overwritten"
    assert "refusing to overwrite an input file" in _only_error_line(result)


def test_scenario_refuses_a_district_table_of_the_ruleset(cwd: Path) -> None:
    rs = _ruleset_with_district_file(cwd)
    before = (rs / "states.csv").read_bytes()
    args = ["scenario", "rs/ruleset.toml", "--scale", "GPP:0.5", "--format", "csv", "-o", "rs/states.csv"]
    result = CliRunner().invoke(main, args)
    assert (rs / "states.csv").read_bytes() == before, "the rule set's district table was overwritten"
    assert result.exit_code == 1


def test_scenario_refuses_its_votes(cwd: Path) -> None:
    (cwd / "mine.csv").write_bytes((DATA / "votes.csv").read_bytes())
    args = [
        "scenario",
        str(RULESET),
        "--votes",
        "mine.csv",
        "--scale",
        "GPP:0.5",
        "--format",
        "csv",
        "-o",
        "./mine.csv",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [result.stderr.splitlines()[-1]]  # the scenario's description, then one error
    assert "mine.csv: refusing to overwrite an input file" in errors[0]
    assert (cwd / "mine.csv").read_bytes() == (DATA / "votes.csv").read_bytes()


# ---------------------------------------------------------------- a writer failing mid-way


def _half_then(exc: BaseException) -> object:
    def serialiser(df: pl.DataFrame, fh: BinaryIO) -> None:
        fh.write(b"party,votes,seats\nP0,100")
        fh.flush()
        raise exc

    return serialiser


@pytest.mark.parametrize("exists", [True, False], ids=["over-old-file", "new-file"])
def test_ctrl_c_during_the_write(cwd: Path, monkeypatch: pytest.MonkeyPatch, exists: bool) -> None:
    _party_votes(cwd / "votes.csv")
    if exists:
        (cwd / "out.csv").write_bytes(OLD)
    monkeypatch.setitem(write_mod._SERIALISERS, "csv", _half_then(KeyboardInterrupt()))
    result = CliRunner().invoke(main, ["apportion", "-s", "3", "votes.csv", "-o", "out.csv"])
    assert result.exit_code == 130
    assert result.stderr == "interrupted; nothing was written\n"
    assert "Traceback" not in result.output
    assert sorted(p.name for p in cwd.iterdir()) == (["out.csv", "votes.csv"] if exists else ["votes.csv"])
    if exists:
        assert (cwd / "out.csv").read_bytes() == OLD


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (OSError(28, "No space left on device"), "No space left on device"),
        (PermissionError(13, "Permission denied"), "Permission denied"),
    ],
    ids=["disk-full", "permission"],
)
def test_os_error_during_the_write(
    cwd: Path, monkeypatch: pytest.MonkeyPatch, error: OSError, message: str
) -> None:
    _party_votes(cwd / "votes.csv")
    (cwd / "out.csv").write_bytes(OLD)
    monkeypatch.setitem(write_mod._SERIALISERS, "csv", _half_then(error))
    line = _only_error_line(CliRunner().invoke(main, ["apportion", "-s", "3", "votes.csv", "-o", "out.csv"]))
    assert line == f"Error: out.csv: cannot write it ({message})"
    assert (cwd / "out.csv").read_bytes() == OLD
    assert sorted(p.name for p in cwd.iterdir()) == ["out.csv", "votes.csv"]


def test_failing_fsync_leaves_the_old_file(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _party_votes(cwd / "votes.csv")
    (cwd / "out.csv").write_bytes(OLD)

    def fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", fsync)
    line = _only_error_line(CliRunner().invoke(main, ["apportion", "-s", "3", "votes.csv", "-o", "out.csv"]))
    assert line == "Error: out.csv: cannot write it (Input/output error)"
    assert (cwd / "out.csv").read_bytes() == OLD
    assert sorted(p.name for p in cwd.iterdir()) == ["out.csv", "votes.csv"]


# ---------------------------------------------------------------- real processes, real signals

# Runs the CLI with the CSV writer slowed down: it writes half the bytes, flushes, creates MARKER
# and sleeps, so that the parent can signal it while the temporary file is half written.
SLOW_WRITER = """
import sys, time
from pathlib import Path
from seats.io import write as w
marker = Path(sys.argv.pop(1))
real = w._SERIALISERS["csv"]
def slow(df, fh):
    import io
    buffer = io.BytesIO()
    real(df, buffer)
    data = buffer.getvalue()
    fh.write(data[: len(data) // 2])
    fh.flush()
    marker.touch()
    time.sleep(60)
    fh.write(data[len(data) // 2 :])
w._SERIALISERS["csv"] = slow
from seats.cli import main
sys.argv[0] = "seats"
main()
"""


def _wait_for(path: Path, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the writer never started"
        time.sleep(0.01)


def _big_votes(path: Path, n: int) -> None:
    path.write_text(
        "party,votes\n" + "".join(f"P{i:06d},{(i * 7919) % 100_003 + 1}\n" for i in range(n)),
        encoding="utf-8",
    )


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGKILL, signal.SIGTERM], ids=["SIGINT", "SIGKILL", "SIGTERM"]
)
def test_signal_while_writing_keeps_the_old_file(tmp_path: Path, sig: signal.Signals) -> None:
    _big_votes(tmp_path / "votes.csv", 2000)
    (tmp_path / "out.csv").write_bytes(OLD)
    marker = tmp_path / "writing"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SLOW_WRITER,
            str(marker),
            "apportion",
            "-s",
            "100",
            "votes.csv",
            "-o",
            "out.csv",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_for(marker, proc)
    half = [p for p in tmp_path.iterdir() if TEMP.match(p.name)]
    assert len(half) == 1 and half[0].stat().st_size > 0  # the half-written temporary file
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert (tmp_path / "out.csv").read_bytes() == OLD
    left = sorted(p.name for p in tmp_path.iterdir())
    if sig == signal.SIGINT:
        assert proc.returncode == 130
        assert err.decode() == "interrupted; nothing was written\n"
        assert left == ["out.csv", "votes.csv", "writing"]
    elif sig == signal.SIGTERM:  # unwound like Ctrl-C, so the temporary file is removed too
        assert proc.returncode == 143
        assert err.decode() == "terminated; nothing was written\n"
        assert left == ["out.csv", "votes.csv", "writing"]
    else:  # a killed process cannot clean up: at most its hidden temporary file is left behind
        assert proc.returncode == -sig
        assert [n for n in left if not TEMP.match(n)] == ["out.csv", "votes.csv", "writing"]


# Imports the CLI, says so by creating a file, then runs it (a Ctrl-C during Python's own start-up
# is not the command's to handle).
STARTED = """
import sys
from pathlib import Path
from seats.cli import main
Path(sys.argv.pop(1)).touch()
sys.argv[0] = "seats"
main()
"""


@pytest.mark.parametrize("delay", [0.0, 0.4, 0.8, 1.2])
def test_sigint_at_any_moment_gives_old_or_complete_output(tmp_path: Path, delay: float) -> None:
    """No slowed writer: interrupt a real, large run at some moment; out.csv is old or whole, never half."""
    n, house = 60_000, 500
    _big_votes(tmp_path / "votes.csv", n)
    (tmp_path / "out.csv").write_bytes(OLD)
    started = tmp_path.parent / f"{tmp_path.name}.started"  # outside tmp_path, which is listed below
    args = ["apportion", "-s", str(house), "votes.csv", "-o", "out.csv", "--format", "csv"]
    proc = subprocess.Popen(
        [sys.executable, "-c", STARTED, str(started), *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_for(started, proc)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "votes.csv"]
    content = (tmp_path / "out.csv").read_bytes()
    # Where the signal lands decides the exit: 0 when the run had finished, 130 inside the command
    # ("interrupted; nothing was written", no traceback), 1 in click's own parsing ("Aborted!"),
    # -SIGINT outside click's handlers (just before or after main(): Python's own traceback).
    assert proc.returncode in (0, 130, 1, -signal.SIGINT), err
    if content != OLD:  # the output was renamed into place before the signal landed: all of it
        frame = pl.read_csv(content)
        assert frame.height == n and frame["seats"].sum() == house
    elif proc.returncode == 130:
        assert err.decode() == "interrupted; nothing was written\n"


def test_the_sigterm_handler_is_restored(cwd: Path) -> None:
    """The CLI turns SIGTERM into a clean unwind only while a command runs."""
    _party_votes(cwd / "votes.csv")
    before = signal.getsignal(signal.SIGTERM)
    assert CliRunner().invoke(main, ["apportion", "-s", "3", "votes.csv"]).exit_code == 0
    assert signal.getsignal(signal.SIGTERM) is before
