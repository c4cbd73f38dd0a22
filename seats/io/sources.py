"""Parsing each input format into a :class:`RawTable`: names, cells and where each row came from.

Nothing here converts values; :mod:`seats.io.read` does that for every format
alike, so an error names the same things whichever format the table came in.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl

from seats.errors import InputFileError

__all__ = ["RawTable", "from_delimited", "from_frame", "from_json", "from_ndjson", "sniff_delimiter"]

#: One column's cells: Python values (CSV, JSON) or a polars Series (Parquet, DataFrame).
Cells = list[object] | pl.Series


@dataclass(slots=True)
class RawTable:
    """A table as read, before any value is converted.

    ``numbers[i]`` is the line (``unit == "line"``) or 1-based row
    (``unit == "row"``) that row ``i`` came from.
    """

    label: str
    unit: Literal["line", "row"]
    names: list[str]
    columns: list[Cells]
    numbers: Sequence[int] = field(default_factory=list)
    header_line: int = 1
    #: Every text cell is already stripped (as ``str.strip()`` does): no column needs checking again.
    stripped: bool = False
    #: Some cell may be empty (``False`` only when that is certain: no column needs checking for it).
    blanks: bool = True

    def where(self, i: int) -> str:
        """``"votes.csv, line 7"`` for row ``i`` (0-based)."""
        return f"{self.label}, {self.unit} {self.numbers[i]}"


def sniff_delimiter(header: str) -> str:
    """The delimiter of a header line: whichever of ``,`` ``;`` or tab it holds most, outside quotes.

    Examples
    --------
    >>> sniff_delimiter('party;"votes, valid"')
    ';'
    >>> sniff_delimiter("party")
    ','
    """
    counts = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def from_delimited(
    text: str, label: str, delimiter: str | None = None, *, data: bytes | None = None
) -> RawTable:
    """Split CSV text (any line ending) into header and rows, keeping each row's first line.

    Blank lines and lines of bare delimiters are skipped (they still count
    for line numbers). An Excel ``sep=;`` first line sets the delimiter.
    Surrounding spaces are stripped from every cell (empty cells stay ``""``).
    Extra trailing empty cells are dropped. ``data``, when given, is ``text``
    encoded as UTF-8 (the file's own bytes), which the fast path then need
    not encode again.

    Examples
    --------
    >>> t = from_delimited("party;votes\\rA;1\\r\\rB;2\\r", "v.csv")
    >>> t.names, t.columns, t.numbers
    (['party', 'votes'], [['A', 'B'], ['1', '2']], [2, 4])
    """
    if not text or text.isspace():  # not text.strip(), which copies a large file
        raise InputFileError(f"{label}: the file is empty")
    first = _line_at(text, 0).strip()
    excel_sep = len(first) == 5 and first.lower().startswith("sep=")
    if excel_sep:
        delimiter = first[4]
    elif delimiter is None:
        delimiter = sniff_delimiter(_line_at(text, _NEWLINES.match(text).end()))  # type: ignore[union-attr]
    if not excel_sep:
        fast = _plain_delimited(text, label, delimiter, data)
        if fast is not None:
            return fast
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    header_line = start = 1
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if (excel_sep and line == 1) or not any(cell.strip() for cell in record):
                continue
            if header is None:
                header, header_line = record, line
            else:
                rows.append((line, record))
    except csv.Error as exc:
        raise InputFileError(f"{label}, line {start}: malformed CSV ({exc})") from None
    if header is None:
        raise InputFileError(f"{label}: the file is empty")
    width = len(header)
    while (
        width > 1
        and not header[width - 1].strip()
        and all(len(r) < width or not r[width - 1].strip() for _, r in rows)
    ):
        width -= 1  # a trailing delimiter on every line: an empty last column
    columns: list[list[object]] = [[] for _ in range(width)]
    numbers = []
    for line, record in rows:
        if len(record) > width and any(c.strip() for c in record[width:]):
            raise InputFileError(
                f"{label}, line {line}: {len(record)} fields but the header (line {header_line}) "
                f"has {width}; a value containing {delimiter!r} must be quoted"
            )
        if len(record) < width:
            raise InputFileError(
                f"{label}, line {line}: {len(record)} field(s) but the header (line {header_line}) "
                f"has {width}; is the delimiter {delimiter!r} right?"
            )
        for j in range(width):
            columns[j].append(record[j].strip())
        numbers.append(line)
    return RawTable(label, "line", list(header[:width]), list(columns), numbers, header_line)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")
_NEWLINES = re.compile(r"[\r\n]*")


def _line_at(text: str, start: int) -> str:
    r"""The line starting at ``start``, with its ending (as ``io.StringIO(text, newline="")`` reads it).

    Without copying the rest of a large text.

    >>> _line_at("a,b\r\nc,d", 0), _line_at("a\rb", 2)
    ('a,b\r\n', 'b')
    """
    return _LINE.match(text, start).group()  # type: ignore[union-attr]  # matches any text


_BLOCK = 1 << 16  # lines per block when counting fields
_CHUNK = 1 << 22  # bytes per chunk when finding line ends
#: What ``str.strip()`` strips (polars' own ``strip_chars()`` keeps ``\x1c``-``\x1f``): every such
#: character is below U+3001.
_WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_PADDED = r"^[\s\x1c-\x1f]|[\s\x1c-\x1f]$"  # a cell that starts or ends with one of them


def _byte_table(positions: set[int]) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[sorted(positions - {10})] = True  # "\n" ends a line: never a cell's byte
    return table


#: Bytes a whitespace character's UTF-8 can start with, and end with (for the padding pre-check).
_WHITE_FIRST = _byte_table({ch.encode()[0] for ch in _WHITESPACE})
_WHITE_LAST = _byte_table({ch.encode()[-1] for ch in _WHITESPACE})


def _strip_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Strip what ``str.strip()`` strips from every cell of a text frame; the frame itself if none is padded.

    One query finds the padded columns (a scan, not a copy: tables are rarely
    padded) and one strips them all.

    >>> _strip_frame(pl.DataFrame({"a": ["x ", "y"], "b": ["u", "v"]})).rows()
    [('x', 'u'), ('y', 'v')]
    """
    padded = frame.select(pl.all().str.contains(_PADDED).any()).row(0)
    columns = [name for name, flag in zip(frame.columns, padded, strict=True) if flag]
    return frame.with_columns(pl.col(columns).str.strip_chars(_WHITESPACE)) if columns else frame


def _scan_lines(raw: np.ndarray, ends: np.ndarray, delimiter: str) -> tuple[np.ndarray, bool, bool]:
    """Fields on each line (its delimiters plus one), whether any cell may be padded, and any is empty.

    ``ends`` holds the position of every line's ``\\n``. A cell may be padded
    when its first byte can start, or its last byte end, a character that
    ``str.strip()`` strips; ``False`` is certain, ``True`` only means "check"
    (an ``é`` ends in the byte that ends U+2029 too). A cell is empty when
    its first byte is the delimiter or line end that closes it.

    Counted a block of lines at a time, so no array as long as the file (nor
    one entry per delimiter) is ever held: memory stays small for large files.

    >>> data = np.frombuffer(b"a,b,c\\n1,2\\n3,4,5\\n", dtype=np.uint8)
    >>> fields, padded, empty = _scan_lines(data, np.flatnonzero(data == 10), ",")
    >>> fields.tolist(), padded, empty
    ([3, 2, 3], False, False)
    >>> _scan_lines(np.frombuffer(b"a, b\\n", dtype=np.uint8), np.array([4]), ",")[1:]
    (True, False)
    >>> _scan_lines(np.frombuffer(b"a,,b\\n", dtype=np.uint8), np.array([4]), ",")[1:]
    (False, True)
    """
    out = np.empty(ends.size, dtype=np.int64)
    code, start = ord(delimiter), 0
    first, last = _WHITE_FIRST.copy(), _WHITE_LAST.copy()
    first[code] = last[code] = False  # an empty cell's neighbour is a delimiter, never padding
    closing = np.zeros(256, dtype=bool)
    closing[[code, 10]] = True
    padded = empty = False
    for lo in range(0, ends.size, _BLOCK):
        hi = min(lo + _BLOCK, ends.size)
        stop = int(ends[hi - 1]) + 1
        found = np.flatnonzero(raw[start:stop] == code) + start
        out[lo:hi] = np.diff(np.searchsorted(found, ends[lo:hi]), prepend=0) + 1
        if not (padded and empty):  # each cell starts after a delimiter or line end, and ends before one
            line_ends = ends[lo:hi]
            starts = raw[np.concatenate(([start], found + 1, line_ends[:-1] + 1))]
            padded = padded or bool(
                first[starts].any()
                or last[raw[found - 1]].any()  # found - 1 >= 0: a delimiter at 0 would see raw[-1], "\n"
                or last[raw[line_ends - 1]].any()
            )
            empty = empty or bool(closing[starts].any())
        start = stop
    return out, padded, empty


def _plain_delimited(text: str, label: str, delimiter: str, data: bytes | None = None) -> RawTable | None:
    """Parse plain CSV with polars' reader, or return ``None`` to leave it to :mod:`csv`.

    "Plain" means what most large machine-written tables are: no quotes, no
    blank lines, LF or CRLF line endings, a header with a name in its last
    column, and the same number of fields on every line. Then line ``i + 2``
    holds row ``i``, and polars splits the text far faster than :mod:`csv`.
    Anything else, including every malformed file, takes the general path,
    which finds and names the problem. Cells come back stripped, as text.
    ``data`` is ``text`` as UTF-8, if the caller has it.
    """
    if data is None:
        if '"' in text:
            return None
        data = text.encode("utf-8")
    elif b'"' in data:
        return None
    if b"\r" in data:  # each test and copy only when there is a CR at all: the data can be large
        data = data.replace(b"\r\n", b"\n")
        if b"\r" in data:
            return None
    if not data.endswith(b"\n"):
        data += b"\n"
    raw = np.frombuffer(data, dtype=np.uint8)
    # every "\n", found a few MB at a time (no boolean array as long as the file)
    ends = np.concatenate([np.flatnonzero(raw[i : i + _CHUNK] == 10) + i for i in range(0, raw.size, _CHUNK)])
    if ends.size < 2 or ends[0] == 0:
        return None  # no data row, or a blank first line
    header = data[: ends[0]].decode("utf-8").split(delimiter)
    width = len(header)
    gaps = np.diff(ends)  # each data line's length, plus one
    if np.any(gaps == 1) or not header[-1].strip():
        return None  # a blank line: the general path skips and counts it
    bare = bool(np.any(gaps == width))  # a line of width - 1 delimiters and nothing else
    del gaps
    fields, padded, empty = _scan_lines(raw, ends, delimiter)
    if np.any(fields != width) or (bare and not padded):
        return None  # a wrong count (the general path names it), or a bare line, which it skips
    names = [f"c{j}" for j in range(width)]
    try:
        frame = pl.read_csv(
            data, has_header=False, skip_rows=1, schema={n: pl.String for n in names}, separator=delimiter,
            quote_char=None, empty_string_is_null=False, comment_prefix=None, raise_if_empty=True,
            truncate_ragged_lines=False,
        )
    except (pl.exceptions.PolarsError, ValueError):
        return None
    if frame.height != ends.size - 1:
        return None
    if padded:  # only a file whose bytes suggest padding pays for checking every column
        frame = _strip_frame(frame)  # as str.strip() does
        if frame.select(pl.all_horizontal(pl.all() == "").any()).item():
            return None  # a line of bare delimiters and spaces: the general path skips it
    numbers = range(2, frame.height + 2)  # a range: no million-element list for a million rows
    columns: list[Cells] = [frame.to_series(j) for j in range(width)]
    return RawTable(label, "line", header, columns, numbers, 1, stripped=True, blanks=padded or empty)


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def from_json(text: str, label: str, mapping: Sequence[str] | None = None) -> RawTable:
    """Parse JSON: a list of records, an object of columns, or (with ``mapping``) ``{name: value}``.

    Rows are numbered from 1 (``row N``).

    Examples
    --------
    >>> from_json('{"A": 100, "B": 80}', "v.json", mapping=("party", "votes")).columns
    [['A', 'B'], [100, 80]]
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(
            f"{label}, line {exc.lineno}: malformed JSON ({exc.msg}, at character {exc.colno})"
        ) from None
    if isinstance(data, list):
        return _records(data, label, list(range(1, len(data) + 1)), "row")
    if not isinstance(data, dict):
        raise InputFileError(f"{label}: expected a list of records or an object, found {type(data).__name__}")
    if not data:
        raise InputFileError(f"{label}: the file holds an empty object, no rows")
    if all(isinstance(v, list) for v in data.values()):
        lengths = {k: len(v) for k, v in data.items()}
        if len(set(lengths.values())) > 1:
            raise InputFileError(
                f"{label}: columns have different lengths: "
                + ", ".join(f"{k!r} {n}" for k, n in lengths.items())
            )
        n = next(iter(lengths.values()))
        return RawTable(label, "row", list(data), [list(v) for v in data.values()], list(range(1, n + 1)))
    if mapping is not None and all(_scalar(v) for v in data.values()):
        key, value = mapping
        return RawTable(
            label, "row", [key, value], [list(data), list(data.values())], list(range(1, len(data) + 1))
        )
    shapes = "a list of records or an object of column lists"
    if mapping is not None:
        shapes += f", or an object mapping {mapping[0]} to {mapping[1]}"
    raise InputFileError(f"{label}: expected {shapes}")


def from_ndjson(text: str, label: str) -> RawTable:
    """Parse newline-delimited JSON: one record per line (``line N``).

    Examples
    --------
    >>> from_ndjson('{"party": "A", "votes": 1}\\n\\n{"party": "B", "votes": 2}\\n', "v.ndjson").numbers
    [1, 3]
    """
    records: list[object] = []
    numbers: list[int] = []
    for n, line in enumerate(io.StringIO(text, newline=""), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputFileError(
                f"{label}, line {n}: malformed JSON ({exc.msg}, at character {exc.colno})"
            ) from None
        numbers.append(n)
    if not records:
        raise InputFileError(f"{label}: the file is empty")
    return _records(records, label, numbers, "line")


def _records(data: list[object], label: str, numbers: list[int], unit: Literal["line", "row"]) -> RawTable:
    names: dict[str, int] = {}
    for record, n in zip(data, numbers, strict=True):
        if not isinstance(record, dict):
            raise InputFileError(
                f"{label}, {unit} {n}: expected an object (a record), "
                f"found {type(record).__name__} {record!r:.40}"
            )
        for key in record:
            names.setdefault(key, len(names))
    columns: list[list[object]] = [[] for _ in names]
    for record in data:
        assert isinstance(record, dict)
        for key, j in names.items():
            columns[j].append(record.get(key))
    return RawTable(label, unit, list(names), list(columns), numbers)


def from_frame(frame: pl.DataFrame, label: str) -> RawTable:
    """Wrap a polars frame (read from Parquet or passed in); rows are numbered from 1.

    A ``_line`` column, as :func:`seats.io.read_vote_table` adds, gives the numbers instead.

    Examples
    --------
    >>> list(from_frame(pl.DataFrame({"party": ["A", "B"], "votes": [1, 2]}), "v.parquet").numbers)
    [1, 2]
    """
    numbers: Sequence[int] = range(1, frame.height + 1)
    if "_line" in frame.columns and frame.schema["_line"].is_integer() and frame["_line"].null_count() == 0:
        numbers = [int(v) for v in frame["_line"].to_list()]
        frame = frame.drop("_line")
    return RawTable(
        label, "row", list(frame.columns), [frame.to_series(j) for j in range(frame.width)], numbers
    )
