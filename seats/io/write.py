"""Writing frames to CSV, JSON, Parquet or an aligned text table, atomically and reproducibly."""

from __future__ import annotations

import json
import math
import os
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

import polars as pl

from seats.errors import OutputError

__all__ = ["OUTPUT_FORMATS", "format_table", "serialise", "write_bytes", "write_frame"]

PathLike = str | os.PathLike[str]

#: File extensions and the output format each one means.
OUTPUT_FORMATS = {".csv": "csv", ".json": "json", ".parquet": "parquet", ".pq": "parquet", ".txt": "table"}


def _width(text: str) -> int:
    """Display width: wide East Asian characters count 2, combining marks 0."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def format_table(df: pl.DataFrame) -> str:
    """Render ``df`` as a plain-text table: a header, a rule, and aligned rows.

    Numbers are right-aligned and text left-aligned; nulls are blank; lines
    carry no trailing spaces and there is no final newline.

    Parameters
    ----------
    df
        The frame to render.

    Returns
    -------
    str
        The table.

    Examples
    --------
    >>> import polars as pl
    >>> print(format_table(pl.DataFrame({"party": ["GPP", "AD"], "seats": [36, 12]})))
    party  seats
    -----  -----
    GPP       36
    AD        12
    """
    if not df.columns:
        return ""
    columns = [[_cell(v) for v in df.to_series(j).to_list()] for j in range(df.width)]
    numeric = [dtype.is_numeric() for dtype in df.dtypes]
    widths = [
        max([_width(name), *(_width(c) for c in col)]) for name, col in zip(df.columns, columns, strict=True)
    ]

    def line(cells: Sequence[str]) -> str:
        parts = []
        for cell, width, right in zip(cells, widths, numeric, strict=True):
            pad = " " * (width - _width(cell))
            parts.append(pad + cell if right else cell + pad)
        return "  ".join(parts).rstrip()

    out = [line(df.columns), line(["-" * w for w in widths])]
    out.extend(line(row) for row in zip(*columns, strict=True))
    return "\n".join(out)


def _json_value(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


def _write_csv(df: pl.DataFrame, fh: BinaryIO) -> None:
    df.write_csv(fh)


def _write_json(df: pl.DataFrame, fh: BinaryIO) -> None:
    rows = [{k: _json_value(v) for k, v in row.items()} for row in df.to_dicts()]
    text = json.dumps(rows, ensure_ascii=False, indent=1, allow_nan=False, default=str)
    fh.write((text + "\n").encode("utf-8"))


def _write_parquet(df: pl.DataFrame, fh: BinaryIO) -> None:
    df.write_parquet(fh, compression="zstd", statistics=True)


def _write_table(df: pl.DataFrame, fh: BinaryIO) -> None:
    fh.write((format_table(df) + "\n").encode("utf-8"))


_SERIALISERS: dict[str, Callable[[pl.DataFrame, BinaryIO], None]] = {
    "csv": _write_csv,
    "json": _write_json,
    "parquet": _write_parquet,
    "table": _write_table,
}


def serialise(df: pl.DataFrame, format: str) -> bytes:
    """The exact bytes :func:`write_frame` writes for ``df`` in ``format``.

    Examples
    --------
    >>> import polars as pl
    >>> serialise(pl.DataFrame({"party": ["Táchira"], "seats": [3]}), "json").decode()
    '[\\n {\\n  "party": "Táchira",\\n  "seats": 3\\n }\\n]\\n'
    """
    import io

    buffer = io.BytesIO()
    _serialiser(format)(df, buffer)
    return buffer.getvalue()


def _serialiser(format: str) -> Callable[[pl.DataFrame, BinaryIO], None]:
    try:
        return _SERIALISERS[format]
    except KeyError:
        raise OutputError(f"unknown output format {format!r}; use one of {', '.join(_SERIALISERS)}") from None


def _format_for(path: Path, given: str | None) -> str:
    if given is not None:
        return given
    try:
        return OUTPUT_FORMATS[path.suffix.lower()]
    except KeyError:
        raise OutputError(
            f"{path}: cannot tell the output format from the extension "
            f"{path.suffix or '(none)'!r}; pass format= one of {', '.join(_SERIALISERS)}"
        ) from None


def _same_file(a: Path, b: Path) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # e.g. Windows cannot open a directory; the rename is still atomic there
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_frame(
    df: pl.DataFrame, path: PathLike, *, format: str | None = None, inputs: Sequence[PathLike] = ()
) -> None:
    """Write ``df`` to ``path`` atomically, never over one of its inputs.

    The bytes go to a temporary file in the same directory, which is synced
    and then renamed over ``path`` (``os.replace``); if anything fails the
    temporary file is removed and an existing ``path`` is left untouched. A
    symbolic link at ``path`` is followed. The same frame always gives the
    same bytes.

    Parameters
    ----------
    df
        The frame to write.
    path
        The target file.
    format
        ``"csv"``, ``"json"`` (a list of records, UTF-8), ``"parquet"`` or
        ``"table"`` (see :func:`format_table`); by default from the extension
        (``.csv``, ``.json``, ``.parquet``/``.pq``, ``.txt``).
    inputs
        Files the frame was computed from; writing over any of them (the same
        real path, or the same file through another name) is refused.

    Raises
    ------
    OutputError
        ``path`` is a directory or an input, its directory does not exist,
        the format is unknown, or the file cannot be written.

    Examples
    --------
    >>> import polars as pl, tempfile
    >>> target = Path(tempfile.mkdtemp()) / "seats.csv"
    >>> write_frame(pl.DataFrame({"party": ["GPP"], "seats": [36]}), target)
    >>> target.read_text()
    'party,seats\\nGPP,36\\n'
    """
    fmt = _format_for(Path(path), format)
    serialiser = _serialiser(fmt)
    _write_atomic(path, lambda fh: serialiser(df, fh), inputs)


def write_bytes(data: bytes, path: PathLike, *, inputs: Sequence[PathLike] = ()) -> None:
    """Write ``data`` to ``path`` atomically, never over one of its inputs (as :func:`write_frame`).

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.svg"
    >>> write_bytes(b"<svg/>", target)
    >>> target.read_bytes()
    b'<svg/>'
    """
    _write_atomic(path, lambda fh: fh.write(data), inputs)


def _write_atomic(path: PathLike, fill: Callable[[BinaryIO], object], inputs: Sequence[PathLike]) -> None:
    """Refuse inputs and directories, let ``fill`` write a synced temporary file, rename it into place."""
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise OutputError(f"{path}: is a directory; give a file name")
    for source in inputs:
        if _same_file(target, Path(source)):
            raise OutputError(
                f"{path}: refusing to overwrite an input file ({source}); choose another output"
            )
    if not target.parent.is_dir():
        raise OutputError(f"{path}: directory {target.parent} does not exist")
    try:
        fd, tmp = _open_temp(target)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fill(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(f"{path}: cannot write it ({exc.strerror or exc})") from exc
        raise
    _fsync_dir(target.parent)


def _open_temp(target: Path) -> tuple[int, Path]:
    """Create ``.name.XXXX.tmp`` next to ``target``; its mode follows the umask, as a new file's would."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
