"""Reading vote tables from CSV, Parquet or JSON into polars frames whose errors name the cell.

Every format is read as text or raw values first; vote columns are then
converted here, one value at a time where needed, so that a bad count is
reported with its file, line (CSV, NDJSON) or row (Parquet, JSON, frames),
column and value. In CSV the header is line 1, so the first data row is line 2.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import polars as pl

from seats.errors import InputFileError, InvalidVotesError, VoteTableError, close_matches
from seats.io.decode import decode_utf8, read_bytes
from seats.io.numbers import check_vote_value
from seats.io.sources import RawTable, from_delimited, from_frame, from_json, from_ndjson

__all__ = ["FORMATS", "VOTE_TABLE_COLUMNS", "read_party_votes", "read_table", "read_vote_table"]

#: File extensions and the input format each one means.
FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "csv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}
#: The tidy vote table: required columns, then optional ones.
VOTE_TABLE_COLUMNS = (("tier", "district", "option", "votes"), ("card", "party", "alliance"))

PathLike = str | os.PathLike[str]
_PLAIN_INT = re.compile(r"\s*\+?[0-9]{1,18}\s*")
_PLAIN_INT_ANCHORED = r"^\s*\+?[0-9]{1,18}\s*$"  # the same, for polars' vectorised str.contains


def _format_of(path: Path, given: str | None) -> str:
    if given is not None:
        fmt = given.lower().lstrip(".")
        if fmt not in set(FORMATS.values()):
            raise InputFileError(
                f"{path}: unknown format {given!r}; use one of " + ", ".join(sorted(set(FORMATS.values())))
            )
        return fmt
    suffix = path.suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    hint = "; save it as CSV" if suffix in (".xlsx", ".xls", ".ods") else ""
    raise InputFileError(
        f"{path}: cannot tell the format from the extension {suffix or '(none)'!r}; "
        f"pass format='csv', 'tsv', 'parquet', 'json' or 'ndjson'{hint}"
    )


def _load(source: PathLike | pl.DataFrame, fmt: str | None, mapping: Sequence[str] | None) -> RawTable:
    if isinstance(source, pl.DataFrame):
        return from_frame(source, "DataFrame")
    path = Path(source)
    data = read_bytes(path)
    kind = _format_of(path, fmt)
    label = str(path)
    if not data or data.isspace():  # not data.strip(), which copies a large file
        raise InputFileError(f"{label}: the file is empty")
    if kind == "parquet":
        return from_frame(_read_parquet(data, label), label)
    text, utf8 = decode_utf8(data, label)
    del data  # the bytes are kept only when they are the text's UTF-8, which the CSV fast path reads
    if kind == "json":
        return from_json(text, label, mapping)
    if kind == "ndjson":
        return from_ndjson(text, label)
    return from_delimited(text, label, "\t" if kind == "tsv" else None, data=utf8)


def _read_parquet(data: bytes, label: str) -> pl.DataFrame:
    """Parse Parquet bytes; a corrupt file is an :class:`InputFileError`, even when polars panics.

    polars' Rust code can panic on a damaged file (a ``PanicException``, which
    is not an ``Exception``) and its panic hook prints a Rust backtrace to the
    process's stderr. That backtrace is held back and dropped when the panic is
    turned into an error; anything else written meanwhile is passed on.
    """
    with _held_stderr() as keep:
        try:
            return pl.read_parquet(data)
        except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputFileError(f"{label}: not a readable Parquet file ({first})") from None
        except pl.exceptions.PanicException:
            keep[0] = False
            raise InputFileError(f"{label}: not a readable Parquet file (corrupt data)") from None


@contextlib.contextmanager
def _held_stderr() -> Iterator[list[bool]]:
    """Send file descriptor 2 to a temporary file; replay what was written unless ``keep[0]`` is cleared."""
    keep = [True]
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable descriptor 2 (e.g. a windowed app): nothing to hold
        yield keep
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield keep
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            if keep[0] and held.tell():
                held.seek(0)
                os.write(2, held.read())


def _place(source: PathLike | pl.DataFrame, fmt: str | None) -> tuple[str, str]:
    """The label and unit (``line`` or ``row``) that messages about ``source`` use."""
    if isinstance(source, pl.DataFrame):
        return "DataFrame", "row"
    return str(source), "line" if _format_of(Path(source), fmt) in ("csv", "tsv", "ndjson") else "row"


def _check_names(raw: RawTable, required: Sequence[str], optional: Sequence[str]) -> list[str]:
    """Stripped, lower-cased column names; errors for duplicates and missing required columns."""
    where = (
        f"{raw.label}, line {raw.header_line}"
        if raw.unit == "line" and raw.label != "DataFrame"
        else raw.label
    )
    names: list[str] = []
    for j, original in enumerate(raw.names):
        name = str(original).replace("\ufeff", "").strip().lower()
        if not name:
            raise VoteTableError(f"{where}: column {j + 1} has no name")
        if name in names:
            raise VoteTableError(
                f"{where}: columns {names.index(name) + 1} and {j + 1} are both named {name!r}"
            )
        names.append(name)
    missing = [c for c in required if c not in names]
    if missing:
        found = ", ".join(repr(n) for n in names)
        hints = "".join(close_matches(m, [n for n in names if n not in required]) for m in missing)
        wanted = ", ".join(required) + (f" (optional: {', '.join(optional)})" if optional else "")
        plural = "s" if len(missing) > 1 else ""
        raise VoteTableError(
            f"{where}: missing column{plural} {', '.join(repr(m) for m in missing)}{hints}; "
            f"found {found}; expected {wanted}"
        )
    if not raw.numbers:
        raise InputFileError(f"{raw.label}: no data rows, only the header ({', '.join(names)})")
    return names


def _vote_column(
    raw: RawTable, cells: list[object] | pl.Series, name: str, thousands: str | None, decimal_comma: bool
) -> pl.Series:
    """Convert one vote column to Int64, naming the first bad cell (and how many more there are)."""
    if isinstance(cells, pl.Series):
        if cells.dtype.is_numeric() and _clean_numbers(cells):
            return cells.cast(pl.Int64).rename(name)
        plain = cells.dtype == pl.Utf8 and not cells.null_count()
        if plain and cells.str.contains(_PLAIN_INT_ANCHORED).all():
            return cells.str.strip_chars().str.strip_prefix("+").cast(pl.Int64).rename(name)
        if not (cells.dtype.is_numeric() or cells.dtype in (pl.Utf8, pl.Null)):
            raise VoteTableError(f"{raw.label}, column {name!r}: holds {cells.dtype} values, not vote counts")
        values: list[object] = cells.to_list()
    else:
        values = cells
    if all(isinstance(v, str) and _PLAIN_INT.fullmatch(v) for v in values):
        return pl.Series(name, [int(str(v)) for v in values], dtype=pl.Int64)
    out: list[int] = []
    bad: list[int] = []
    for i, value in enumerate(values):
        try:
            out.append(check_vote_value(value, thousands=thousands, decimal_comma=decimal_comma))
        except InvalidVotesError:
            bad.append(i)
    if bad:
        try:  # only now build the message, naming where the first bad value is
            where = f"{raw.where(bad[0])}, column {name!r}"
            check_vote_value(values[bad[0]], thousands=thousands, decimal_comma=decimal_comma, where=where)
        except InvalidVotesError as exc:
            n = len(bad) - 1
            more = f" ({n} more bad value{'s' if n > 1 else ''} in this column)" if n else ""
            raise InvalidVotesError(f"{exc}{more}") from None
    return pl.Series(name, out, dtype=pl.Int64)


def _clean_numbers(cells: pl.Series) -> bool:
    """True when a numeric column holds only whole, non-negative counts that fit in Int64."""
    if cells.null_count() or cells.dtype == pl.Decimal:
        return False
    if cells.len() == 0:
        return True
    if cells.dtype.is_float() and not (cells.is_finite() & (cells == cells.floor())).all():
        return False
    low, high = cells.min(), cells.max()
    return isinstance(low, int | float) and isinstance(high, int | float) and low >= 0 and high < 2**63


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text.strip() or None


def _text_column(raw: RawTable, cells: list[object] | pl.Series, name: str) -> pl.Series:
    if isinstance(cells, pl.Series):
        if cells.dtype.is_nested() or cells.dtype == pl.Object:
            raise VoteTableError(f"{raw.label}, column {name!r}: holds {cells.dtype} values; expected text")
        series = cells.cast(pl.Utf8)
        if not raw.stripped and series.str.contains(r"^\s|\s$").any():  # strip (a copy) only if padded
            series = series.str.strip_chars()
        empty = series == ""
        return (series.set(empty, None) if empty.any() else series).rename(name)
    return pl.Series(name, [_text(v) for v in cells], dtype=pl.Utf8)


def read_table(
    path: PathLike | pl.DataFrame,
    *,
    format: str | None = None,
    thousands: str | None = None,
    decimal_comma: bool = False,
    required: Sequence[str] = (),
    optional: Sequence[str] = (),
    vote_columns: Sequence[str] = ("votes",),
    mapping: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Read a table of votes from CSV, TSV, Parquet, JSON or NDJSON.

    Column names are stripped and lower-cased. Vote columns become ``Int64``
    (every value checked: whole, finite, not negative, not missing); every
    other column becomes text (``Utf8``), stripped, with empty cells as null.
    A ``_line`` column (``Int64``) holds the line (CSV, NDJSON) or 1-based row
    (Parquet, JSON, frames) each row came from, for later messages.

    CSV is decoded as UTF-8 (a BOM is stripped), UTF-16 with a BOM, or else
    cp1252/Latin-1; any line ending (LF, CRLF, CR) is accepted, and the
    delimiter (``,``, ``;`` or tab) is sniffed from the header line (tab for
    ``.tsv``). JSON is a list of records or an object of column lists; with
    ``mapping=(key, value)`` also a plain object ``{"A": 100, ...}``.

    Parameters
    ----------
    path
        The file (its extension gives the format unless ``format`` is given),
        or a polars DataFrame.
    format
        ``"csv"``, ``"tsv"``, ``"parquet"``, ``"json"`` or ``"ndjson"``.
    thousands
        Accept this thousands separator in vote counts (``"."``, ``","``,
        ``" "``, ``"_"`` or ``"'"``); see :func:`seats.io.parse_votes`.
    decimal_comma
        Numbers use ``,`` as the decimal mark (only ``,0`` decimals are whole).
    required, optional
        Columns that must be present, and columns that may be (used in messages).
        Other columns are kept as text.
    vote_columns
        Columns holding vote counts, converted to ``Int64`` when present.
    mapping
        The two column names a plain JSON object ``{key: value}`` stands for.

    Returns
    -------
    polars.DataFrame
        The columns in file order, then ``_line``.

    Raises
    ------
    InputFileError
        The file is missing, empty, header-only, binary or malformed.
    VoteTableError
        A required column is missing (the message lists the columns found) or
        two columns share a name.
    InvalidVotesError
        A vote count is not a whole non-negative number (file, line, column, value).

    Examples
    --------
    >>> import polars as pl
    >>> read_table(pl.DataFrame({"Party ": ["A", "B"], "Votes": ["1.200", "80"]}), thousands=".").rows()
    [('A', 1200, 1), ('B', 80, 2)]
    """
    raw = _load(path, format, mapping)
    names = _check_names(raw, required, optional)
    fast = _text_series_at_once(raw, names, vote_columns)
    series = [
        fast[j]
        if j in fast
        else _vote_column(raw, cells, name, thousands, decimal_comma)
        if name in vote_columns
        else _text_column(raw, cells, name)
        for j, (name, cells) in enumerate(zip(names, raw.columns, strict=True))
    ]
    series.append(pl.Series("_line", raw.numbers, dtype=pl.Int64))
    return pl.DataFrame(series)


def _text_series_at_once(
    raw: RawTable, names: Sequence[str], vote_columns: Sequence[str]
) -> dict[int, pl.Series]:
    """Convert the text-typed polars columns whose conversion cannot fail, all in one query.

    What :func:`_text_column` and :func:`_vote_column` do one column (and a
    few queries) at a time. In a table already stripped (plain CSV) blank
    cells become null, and a column is taken as it is when the table has no
    blank cell; columns of other tables are left to :func:`_text_column`,
    which strips only a padded one. A vote column is converted if it holds
    only plain integers, which the same query tells; one that does not is
    left out, for :func:`_vote_column` to convert value by value and name a
    bad one. Returns the converted columns by position.

    >>> raw = RawTable("v.csv", "line", ["party", "votes"], [pl.Series(["A", ""]), pl.Series(["+1", "2"])],
    ...                stripped=True)
    >>> [s.to_list() for s in _text_series_at_once(raw, ["party", "votes"], ["votes"]).values()]
    [['A', None], [1, 2]]
    """
    text = {
        j: cells
        for j, cells in enumerate(raw.columns)
        if isinstance(cells, pl.Series) and cells.dtype == pl.Utf8
    }
    if not text:
        return {}
    table = pl.DataFrame({f"c{j}": cells for j, cells in text.items()})
    exprs: list[pl.Expr] = []
    plain: list[int] = []
    unstripped: list[int] = []
    for j in text:
        cell = pl.col(f"c{j}")
        if names[j] in vote_columns:
            plain.append(j)
            number = (cell if raw.stripped else cell.str.strip_chars()).str.strip_prefix("+")
            number = number.cast(pl.Int64, strict=False)
            # broadcast: one value, whether every cell is a plain integer (then the cast above is exact)
            every = (cell.null_count() == 0) & cell.str.contains(_PLAIN_INT_ANCHORED).all()
            exprs.extend([number.alias(f"c{j}"), every.alias(f"v{j}")])
        elif raw.stripped and raw.blanks:
            exprs.append(pl.when(cell == "").then(None).otherwise(cell).alias(f"c{j}"))
        elif not raw.stripped:
            unstripped.append(j)  # maybe padded: _text_column strips a column only if it must
    done = table.select(exprs) if exprs else table
    return {
        j: (done if f"c{j}" in done.columns else table)[f"c{j}"].rename(names[j])
        for j in text
        if j not in unstripped and (j not in plain or done[f"v{j}"][0])
    }


def read_party_votes(
    path: PathLike | pl.DataFrame,
    *,
    format: str | None = None,
    thousands: str | None = None,
    decimal_comma: bool = False,
) -> dict[str, int]:
    """Read a ``party,votes`` table into an ordered ``{party: votes}`` dict.

    Accepts everything :func:`read_table` does, and for JSON also a plain
    object ``{"A": 100, "B": 80}``. Other columns are ignored.

    Parameters
    ----------
    path
        The file, or a polars DataFrame with ``party`` and ``votes`` columns.
    format, thousands, decimal_comma
        As for :func:`read_table`.

    Returns
    -------
    dict[str, int]
        Votes by party, in file order.

    Raises
    ------
    VoteTableError
        A party name is empty or appears twice (both lines are named).
    InputFileError, InvalidVotesError
        As for :func:`read_table`.

    Examples
    --------
    >>> import polars as pl
    >>> read_party_votes(pl.DataFrame({"party": ["GPP", "AD"], "votes": [4317819, 1101816]}))
    {'GPP': 4317819, 'AD': 1101816}
    """
    frame = read_table(
        path,
        format=format,
        thousands=thousands,
        decimal_comma=decimal_comma,
        required=("party", "votes"),
        mapping=("party", "votes"),
    )
    label, unit = _place(path, format)
    out: dict[str, int] = {}
    first: dict[str, int] = {}
    for party, votes, line in frame.select("party", "votes", "_line").iter_rows():
        if party is None:
            raise VoteTableError(f"{label}, {unit} {line}, column 'party': empty party name (votes {votes})")
        if party in out:
            raise VoteTableError(
                f"{label}, {unit} {line}, column 'party': {party!r} appears twice "
                f"({unit}s {first[party]} and {line}); merge or rename them"
            )
        out[party] = votes
        first[party] = line
    return out


def _may_repeat(frame: pl.DataFrame, keys: Sequence[str]) -> bool:
    """Whether two rows may have the same ``keys``: a repeat among their combined hashes.

    A hash is 8 bytes a row, sorted in numpy; testing the key strings themselves
    for duplicates held about 300 MB for a million rows. Rows with equal hashes
    are then compared exactly by the caller, so a collision costs time, never a
    wrong answer.

    >>> _may_repeat(pl.DataFrame({"a": ["x", "x"], "b": ["1", "2"]}), ["a", "b"])
    False
    >>> _may_repeat(pl.DataFrame({"a": ["x", "x"], "b": ["1", "1"]}), ["a", "b"])
    True
    """
    combined = pl.lit(0, dtype=pl.UInt64)
    for i, key in enumerate(keys):
        combined = combined * 0x9E3779B97F4A7C15 + pl.col(key).hash(seed=i)
    hashes = np.sort(frame.select(combined).to_series().to_numpy())
    return bool(np.any(hashes[1:] == hashes[:-1]))


def read_vote_table(
    path_or_frame: PathLike | pl.DataFrame,
    *,
    format: str | None = None,
    thousands: str | None = None,
    decimal_comma: bool = False,
) -> pl.DataFrame:
    """Read a whole election in the tidy format: one row per tier, district, option and card.

    Columns ``tier``, ``district``, ``option`` and ``votes`` are required;
    ``card``, ``party`` and ``alliance`` are optional; any others (``basis``,
    ``source``, ...) are kept as text. Checking the table against a rule set
    happens elsewhere (:func:`seats.rules.votes.prepare_votes`), using ``_line``.

    Parameters
    ----------
    path_or_frame
        A CSV, TSV, Parquet, JSON or NDJSON file, or a polars DataFrame (whose
        rows are then numbered from 1 and messages say ``row N``).
    format, thousands, decimal_comma
        As for :func:`read_table`.

    Returns
    -------
    polars.DataFrame
        ``votes`` as ``Int64``, other columns as ``Utf8``, and ``_line`` (``Int64``).

    Raises
    ------
    VoteTableError
        A required column is missing, or two rows have the same tier,
        district, option and card (both lines are named).
    InputFileError, InvalidVotesError
        As for :func:`read_table`.

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"tier": ["list"] * 2, "district": ["Zulia"] * 2,
    ...                       "option": ["GPP", "AD"], "votes": [900, 400]})
    >>> read_vote_table(frame).schema["votes"]
    Int64
    """
    required, optional = VOTE_TABLE_COLUMNS
    frame = read_table(
        path_or_frame,
        format=format,
        thousands=thousands,
        decimal_comma=decimal_comma,
        required=required,
        optional=optional,
    )
    keys = [c for c in ("tier", "district", "option", "card") if c in frame.columns]
    if not _may_repeat(frame, keys):
        return frame
    dupes = (
        frame.group_by(keys, maintain_order=True).agg(pl.col("_line")).filter(pl.col("_line").list.len() > 1)
    )
    if dupes.height:
        row = dupes.row(0, named=True)
        first_line, second = row["_line"][0], row["_line"][1]
        label, unit = _place(path_or_frame, format)
        what = ", ".join(f"{k} {row[k]!r}" for k in keys)
        raise VoteTableError(
            f"{label}, {unit} {second}: duplicate row for {what} "
            f"(same as {unit} {first_line}); merge or remove one"
        )
    return frame
