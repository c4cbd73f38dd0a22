"""Reading a file's bytes and decoding them to text, whatever the spreadsheet saved."""

from __future__ import annotations

import codecs
from pathlib import Path

from seats.errors import InputFileError

__all__ = ["decode_text", "decode_utf8", "read_bytes"]


def read_bytes(path: Path) -> bytes:
    """Return the bytes of ``path``, turning every way of failing into :class:`InputFileError`.

    Examples
    --------
    >>> read_bytes(Path("no-such-file.csv"))
    Traceback (most recent call last):
    ...
    seats.errors.InputFileError: no-such-file.csv: no such file
    """
    if path.is_dir():
        raise InputFileError(f"{path}: is a directory, not a file")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read it ({exc.strerror or exc})") from None


def decode_text(data: bytes, label: str) -> str:
    """Decode a text file: UTF-8 (BOM stripped), UTF-16 with a BOM, else cp1252 or Latin-1.

    Bytes that are not valid UTF-8 are taken to be Windows-1252 (a superset
    of Latin-1 for printable text), and if even that fails, Latin-1, which
    decodes any byte. Decoding therefore never fails on a text file; a file
    with NUL bytes and no UTF-16 BOM is rejected as binary.

    Parameters
    ----------
    data
        The file's bytes.
    label
        The file name, for messages.

    Returns
    -------
    str
        The text, without a byte-order mark.

    Raises
    ------
    InputFileError
        If the bytes look binary (for example a Parquet or Excel file).

    Examples
    --------
    >>> decode_text(b"\\xef\\xbb\\xbfparty,votes\\n", "v.csv")
    'party,votes\\n'
    >>> decode_text("T\\u00e1chira".encode("latin-1"), "v.csv")
    'Táchira'
    """
    return decode_utf8(data, label)[0]


def decode_utf8(data: bytes, label: str) -> tuple[str, bytes | None]:
    """:func:`decode_text`, and ``data`` itself when it is the text's UTF-8 (no BOM), else ``None``.

    A caller that needs the text's UTF-8 bytes (polars' CSV reader does) then
    need not encode the text again.

    Examples
    --------
    >>> decode_utf8(b"party,votes\\n", "v.csv")
    ('party,votes\\n', b'party,votes\\n')
    >>> decode_utf8(b"\\xef\\xbb\\xbfparty\\n", "v.csv")[1] is None
    True
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError as exc:
            raise InputFileError(
                f"{label}: not valid UTF-16 text ({exc.reason} at byte {exc.start})"
            ) from None
    if b"\x00" in data:
        raise InputFileError(f"{label}: looks like a binary file, not text (is it Parquet or Excel?)")
    bom = data.startswith(codecs.BOM_UTF8)
    if bom:
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), None if bom else data
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), None
    except UnicodeDecodeError:
        return data.decode("latin-1"), None
