"""Fuzzing the vote-table readers and ``seats allocate`` with generated and corrupted files.

Hypothesis writes whole elections for the small rule set in ``tests/data/hardening/``
as CSV (any delimiter, line ending, encoding and column order), JSON, NDJSON or
Parquet, valid or corrupted (bytes flipped, the file cut short, separators,
quotes and line breaks injected, lines dropped or repeated, wrong column types).
Whatever the input, the library either allocates exactly the rule set's 9 seats
or raises one of its documented errors (a :class:`~seats.errors.SeatsError`),
and ``seats allocate`` either prints a table of 9 seats or exits 1 with that
same error as its only line. Nothing else: no other exception, no traceback.

Parquet files are corrupted only where a damaged file cannot take the whole
process down: polars aborts (not raises) on some damaged data pages, e.g. when
a corrupted length asks for 2**61 bytes (pola-rs/polars#15342), which no Python
code can catch. Cutting the file short, appending to it or damaging its footer
are fair game, and so are well-formed Parquet files with bad column types.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import seats
from seats.cli import main
from seats.errors import InputFileError, SeatsError
from seats.io import read_party_votes, read_vote_table, sources
from seats.rules.model import RuleSet

DATA = Path(__file__).resolve().parent.parent / "data" / "hardening"
RULESET = DATA / "ruleset.toml"
OVERRIDES = {"ties": "order"}  # generated votes tie often; this keeps most valid tables allocatable
SEATS = 9
DISTRICTS = [("nominal", "VE-S-1"), ("nominal", "VE-V-1"), ("list", "VE-S"), ("list", "VE-V")]
NAMES = ["GPP", "AD", "PV", "MUD", "Táchira Unida", "Mérida Sí", "Voluntad, Popular", 'El "Tren"', "Ñ-100"]
COLUMNS = ["tier", "district", "option", "votes"]


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return seats.load_ruleset(RULESET, overrides=OVERRIDES)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# ---------------------------------------------------------------- generating elections


@st.composite
def elections(draw: st.DrawFn) -> pl.DataFrame:
    """A valid vote table for the mini rule set: 1-5 options per district, any vote counts."""
    rows: list[tuple[str, str, str, int]] = []
    for tier, district in DISTRICTS:
        options = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5, unique=True))
        for option in options:
            rows.append((tier, district, option, draw(st.integers(0, 10**9))))
    rows = draw(st.permutations(rows))
    return pl.DataFrame(rows, schema=COLUMNS, orient="row")


def to_csv(frame: pl.DataFrame, order: list[str], delimiter: str, newline: str, encoding: str) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(order)
    for row in frame.select(order).iter_rows():
        writer.writerow(row)
    return out.getvalue().encode(encoding)


def to_json(frame: pl.DataFrame, order: list[str], votes_as_text: bool) -> bytes:
    records = [
        {k: (str(v) if k == "votes" and votes_as_text else v) for k, v in row.items()}
        for row in frame.select(order).to_dicts()
    ]
    return json.dumps(records, ensure_ascii=False).encode("utf-8")


def to_ndjson(frame: pl.DataFrame, order: list[str]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in frame.select(order).to_dicts()).encode()


def to_parquet(frame: pl.DataFrame, order: list[str], votes_type: pl.DataType) -> bytes:
    buffer = io.BytesIO()
    frame.select(order).with_columns(pl.col("votes").cast(votes_type)).write_parquet(buffer)
    return buffer.getvalue()


@st.composite
def files(draw: st.DrawFn, frame: pl.DataFrame) -> tuple[str, bytes]:
    """``frame`` written in a randomly chosen format and dialect: (file name, bytes)."""
    order = draw(st.permutations(COLUMNS))
    kind = draw(st.sampled_from(["csv", "json", "ndjson", "parquet"]))
    if kind == "csv":
        data = to_csv(
            frame,
            order,
            draw(st.sampled_from([",", ";", "\t"])),
            draw(st.sampled_from(["\n", "\r\n", "\r"])),
            draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"])),
        )
        return "votes.csv", data
    if kind == "json":
        return "votes.json", to_json(frame, order, draw(st.booleans()))
    if kind == "ndjson":
        return "votes.ndjson", to_ndjson(frame, order)
    votes_type = draw(st.sampled_from([pl.Int64(), pl.UInt32(), pl.Float64(), pl.Utf8()]))
    return "votes.parquet", to_parquet(frame, order, votes_type)


# ---------------------------------------------------------------- corrupting them

INJECTIONS = [b",", b";", b"\t", b'"', b"\n", b"\r", b"\x00", b"{", b"]", b"-", b".", b"\xff", b"\xc3"]


@st.composite
def corrupted(draw: st.DrawFn, name: str, data: bytes) -> bytes:
    """``data`` damaged in one of the ways files get damaged (see the module docstring for Parquet)."""
    n = len(data)
    if name.endswith(".parquet"):
        how = draw(st.sampled_from(["truncate", "append", "footer"]))
    else:
        how = draw(st.sampled_from(["flip", "truncate", "append", "inject", "drop-line", "repeat-line"]))
    if how == "truncate":
        return data[: draw(st.integers(0, n - 1))]
    if how == "append":
        return data + draw(st.binary(min_size=1, max_size=16))
    if how == "footer":  # the 4-byte metadata length and the closing PAR1 magic
        i = draw(st.integers(n - 8, n - 1))
        return data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1 :]
    if how == "flip":
        out = bytearray(data)
        for i in draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4)):
            out[i] = draw(st.integers(0, 255))
        return bytes(out)
    if how == "inject":
        i = draw(st.integers(0, n))
        return data[:i] + draw(st.sampled_from(INJECTIONS)) + data[i:]
    lines = data.splitlines(keepends=True)
    i = draw(st.integers(0, len(lines) - 1))
    if how == "drop-line":
        return b"".join(lines[:i] + lines[i + 1 :])
    return b"".join(lines[: i + 1] + lines[i:])


@st.composite
def bad_parquet_frames(draw: st.DrawFn, frame: pl.DataFrame) -> pl.DataFrame:
    """A well-formed Parquet table whose columns hold the wrong things."""
    how = draw(
        st.sampled_from(["null", "negative", "fraction", "text", "list", "bool", "date", "drop", "rename"])
    )
    i = draw(st.integers(0, frame.height - 1))
    votes = frame["votes"].to_list()
    if how == "null":
        return frame.with_columns(pl.Series("votes", [None if j == i else v for j, v in enumerate(votes)]))
    if how == "negative":
        return frame.with_columns(pl.Series("votes", [-v - 1 if j == i else v for j, v in enumerate(votes)]))
    if how == "fraction":
        return frame.with_columns(
            pl.Series("votes", [v + 0.5 if j == i else float(v) for j, v in enumerate(votes)])
        )
    if how == "text":
        # plain digits as text are a valid table (see files()); a comma-grouped count is not,
        # so one row is made large enough to be grouped whatever the drawn votes are
        return frame.with_columns(
            pl.Series("votes", [f"{v + 1000 if j == i else v:,}" for j, v in enumerate(votes)])
        )
    if how == "list":
        return frame.with_columns(pl.Series("votes", [[v] for v in votes]))
    if how == "bool":
        return frame.with_columns(pl.col("votes") > 0)
    if how == "date":
        return frame.with_columns(pl.Series("district", [None] * frame.height, dtype=pl.Date))
    if how == "drop":
        return frame.drop(draw(st.sampled_from(COLUMNS)))
    return frame.rename({draw(st.sampled_from(COLUMNS)): "Votos"})


# ---------------------------------------------------------------- the properties


def outcome(rs: RuleSet, path: Path) -> pl.DataFrame | SeatsError:
    """Seats by option, or the documented error; anything else escapes and fails the test."""
    try:
        result = rs.allocate(path)
    except SeatsError as err:
        return err
    assert result.total == SEATS
    table = result.by("option")
    assert table["seats"].sum() == SEATS
    return table


def cli_agrees(path: Path, expected: pl.DataFrame | SeatsError) -> None:
    """``seats allocate`` gives the same table, or exits 1 with the same error as its only line."""
    args = [
        "allocate",
        str(RULESET),
        "--votes",
        str(path),
        "--by",
        "option",
        "--format",
        "csv",
        *[f"--set={k}={v}" for k, v in OVERRIDES.items()],
    ]
    result = CliRunner().invoke(main, args)
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit | None), repr(result.exception)
    if isinstance(expected, SeatsError):
        assert result.exit_code == 1, result.output
        assert result.stdout == ""
        assert result.stderr == f"Error: {expected}\n"
    else:
        assert result.exit_code == 0, result.output
        got = pl.read_csv(io.StringIO(result.stdout), schema=expected.schema)
        assert got.equals(expected)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_valid_tables_in_any_format_allocate_the_same(
    data: st.DataObject, ruleset: RuleSet, workdir: Path
) -> None:
    frame = data.draw(elections())
    name, content = data.draw(files(frame))
    path = workdir / name
    path.write_bytes(content)
    read = read_vote_table(path)
    assert read.select(COLUMNS).equals(frame.select(COLUMNS))
    try:
        reference = ruleset.allocate(frame).by("option")
    except SeatsError as err:  # all-zero or empty nominal districts: documented, whatever the format
        with pytest.raises(type(err)):
            ruleset.allocate(path)
        return
    got = outcome(ruleset, path)
    assert isinstance(got, pl.DataFrame) and got.equals(reference)


@settings(max_examples=120, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_corrupted_files_allocate_or_raise_documented_errors(
    data: st.DataObject, ruleset: RuleSet, workdir: Path
) -> None:
    frame = data.draw(elections())
    name, content = data.draw(files(frame))
    path = workdir / ("bad-" + name)
    path.write_bytes(data.draw(corrupted(name, content)))
    expected = outcome(ruleset, path)
    event(f"{name}: {type(expected).__name__}")
    if isinstance(expected, SeatsError):
        assert "\n" not in str(expected)
    cli_agrees(path, expected)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_parquet_with_wrong_column_types(data: st.DataObject, ruleset: RuleSet, workdir: Path) -> None:
    frame = data.draw(bad_parquet_frames(data.draw(elections())))
    path = workdir / "typed.parquet"
    frame.write_parquet(path)
    expected = outcome(ruleset, path)
    assert isinstance(expected, SeatsError)  # every one of these tables is wrong somewhere
    cli_agrees(path, expected)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    votes=st.dictionaries(st.sampled_from(NAMES), st.integers(0, 10**7), min_size=1, max_size=6),
    house=st.integers(0, 30),
    data=st.data(),
)
def test_party_tables_through_apportion(
    votes: dict[str, int], house: int, data: st.DataObject, workdir: Path
) -> None:
    frame = pl.DataFrame({"party": list(votes), "votes": list(votes.values())})
    content = to_csv(frame, ["party", "votes"], ",", "\n", "utf-8")
    if data.draw(st.booleans()):
        content = data.draw(corrupted("p.csv", content))
    path = workdir / "party.csv"
    path.write_bytes(content)
    try:
        alloc = seats.apportion(read_party_votes(path), house, ties="order")
    except SeatsError as err:
        expected: SeatsError | None = err
    else:
        expected = None
        assert sum(alloc.seats.values()) == house
    result = CliRunner().invoke(
        main, ["apportion", "-s", str(house), "--ties", "order", str(path), "--format", "csv"]
    )
    assert isinstance(result.exception, SystemExit | None), repr(result.exception)
    if expected is None:
        assert result.exit_code == 0, result.output
        assert pl.read_csv(io.StringIO(result.stdout))["seats"].sum() == house
    else:
        assert result.exit_code == 1
        assert result.stderr == f"Error: {expected}\n"


# ---------------------------------------------------------------- a Parquet file polars panics on


PANICS = DATA / "panics-polars.parquet"  # the mini votes with byte 55 set to 0x7f (found by fuzzing)


def test_a_parquet_file_polars_panics_on_is_an_input_file_error() -> None:
    with pytest.raises(InputFileError, match=r"panics-polars\.parquet: not a readable Parquet file"):
        read_vote_table(PANICS)


def test_the_panic_backtrace_does_not_reach_stderr() -> None:
    """polars' panic hook writes a Rust backtrace to fd 2; the CLI must print one line only."""
    code = "from seats.cli import main; main()"
    proc = subprocess.run(
        [sys.executable, "-c", code, "allocate", str(RULESET), "--votes", str(PANICS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "RUST_BACKTRACE": "1"},
    )
    assert proc.returncode == 1
    assert proc.stderr == f"Error: {PANICS}: not a readable Parquet file (corrupt data)\n"


def test_stderr_written_during_a_good_parquet_read_is_kept(tmp_path: Path) -> None:
    """Holding fd 2 must not swallow what other code writes meanwhile."""
    code = (
        "import os, polars as pl\n"
        "from seats.io import read as r\n"
        "real = pl.read_parquet\n"
        "def noisy(data):\n"
        "    os.write(2, b'warning from native code\\n')\n"
        "    return real(data)\n"
        "pl.read_parquet = noisy\n"
        f"print(r.read_vote_table({str(DATA / 'votes.csv')!r}).height)\n"
        f"pl.DataFrame({{'tier': ['list'], 'district': ['VE-S'], 'option': ['A'], 'votes': [1]}})"
        f".write_parquet({str(tmp_path / 'v.parquet')!r})\n"
        f"print(r.read_vote_table({str(tmp_path / 'v.parquet')!r}).height)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["12", "1"]
    assert proc.stderr == "warning from native code\n"


# ---------------------------------------------------------------- the fast path for plain CSV


def _read_or_error(path: Path) -> pl.DataFrame | str:
    try:
        return read_vote_table(path)
    except SeatsError as err:
        return f"{type(err).__name__}: {err}"


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_plain_csv_fast_path_matches_the_general_reader(
    data: st.DataObject, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain CSV goes through polars' reader; it must give what the csv-module path gives, errors too."""
    frame = data.draw(elections())
    content = to_csv(
        frame,
        data.draw(st.permutations(COLUMNS)),
        data.draw(st.sampled_from([",", ";", "\t"])),
        data.draw(st.sampled_from(["\n", "\r\n"])),
        "utf-8",
    )
    content = content.replace(b'"', b"")  # no quoting: the plain shape the fast path takes
    if data.draw(st.booleans()):
        content = data.draw(corrupted("votes.csv", content))
    path = workdir / "plain.csv"
    path.write_bytes(content)
    fast = _read_or_error(path)
    with monkeypatch.context() as m:
        m.setattr(sources, "_plain_delimited", lambda text, label, delimiter, data=None: None)
        general = _read_or_error(path)
    if isinstance(fast, str) or isinstance(general, str):
        assert fast == general
    else:
        assert fast.equals(general)


def test_fast_path_is_taken_for_plain_csv(monkeypatch: pytest.MonkeyPatch) -> None:
    taken = []
    real = sources._plain_delimited

    def spy(text: str, label: str, delimiter: str, data: bytes | None = None) -> sources.RawTable | None:
        got = real(text, label, delimiter, data)
        taken.append(got is not None)
        return got

    monkeypatch.setattr(sources, "_plain_delimited", spy)
    read_vote_table(DATA / "votes.csv")
    assert taken == [True]
