"""Splitting delimited text (seats/io/sources.py): the fast path's helpers and its agreement with csv.

The plain-CSV fast path must give what the general :mod:`csv` path gives, cell
for cell, and must read a large file without holding copies of it.
"""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seats.errors import InputFileError
from seats.io import read_vote_table, sources

LINE_TEXT = st.text(alphabet=st.sampled_from(list("ab,;\t \r\n")), max_size=30)


@settings(max_examples=60)
@given(text=LINE_TEXT, skip=st.booleans())
def test_line_at_reads_a_line_as_stringio_does(text: str, skip: bool) -> None:
    start = len(text) - len(text.lstrip("\r\n")) if skip else 0
    expected = io.StringIO(text[start:], newline="").readline()
    assert sources._line_at(text, start) == expected


@settings(max_examples=60)
@given(lines=st.lists(st.text(alphabet=st.sampled_from(list("ab,;")), max_size=12), min_size=1,
                      max_size=40),
       block=st.integers(1, 5), delimiter=st.sampled_from([",", ";"]))
def test_scan_lines_counts_every_line_across_blocks(lines: list[str], block: int,
                                                         delimiter: str) -> None:
    data = ("\n".join(lines) + "\n").encode()
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(sources, "_BLOCK", block)  # blocks of a few lines: every boundary case
        got = sources._scan_lines(raw, ends, delimiter)[0].tolist()
    assert got == [line.count(delimiter) + 1 for line in lines]


def _both(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    fast = read_vote_table(path)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(sources, "_plain_delimited", lambda text, label, delimiter, data=None: None)
        general = read_vote_table(path)
    return fast, general


def _read_noting_fast_path(path: Path) -> tuple[pl.DataFrame, list[bool]]:
    """The table read as usual, and for each plain-CSV attempt whether the fast path answered."""
    taken: list[bool] = []
    plain = sources._plain_delimited

    def spy(text: str, label: str, delimiter: str, data: bytes | None = None) -> sources.RawTable | None:
        out = plain(text, label, delimiter, data)
        taken.append(out is not None)
        return out

    with pytest.MonkeyPatch.context() as m:
        m.setattr(sources, "_plain_delimited", spy)
        fast = read_vote_table(path)
    return fast, taken


@pytest.mark.parametrize("space", ["\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\xa0", "\u2003", "\u3000", " \t"])
def test_the_fast_path_strips_what_str_strip_strips(tmp_path: Path, space: str) -> None:
    # polars' own strip_chars() keeps \x1c-\x1f, which Python's str.strip() (the general path) removes
    path = tmp_path / "votes.csv"
    path.write_text(f"tier,district,option,votes\n{space}list,N,A{space},5\nlist,N,B,{space}3\n",
                    encoding="utf-8")
    fast, general = _both(path)
    assert fast.equals(general)
    assert fast["tier"].to_list() == ["list", "list"] and fast["option"].to_list() == ["A", "B"]


def test_the_fast_path_is_taken_for_a_large_plain_file_with_crlf(tmp_path: Path) -> None:
    rows = "".join(f"list,N,o{i},{i}\r\n" for i in range(5000))
    path = tmp_path / "votes.csv"
    path.write_bytes(("tier,district,option,votes\r\n" + rows).encode())
    fast, taken = _read_noting_fast_path(path)
    assert taken == [True]
    _, general = _both(path)
    assert fast.equals(general) and fast.height == 5000 and fast["_line"][-1] == 5001


@pytest.mark.parametrize("row", ["list,N,C", "list,N,C,1,2", "list,N"])
def test_a_line_with_the_wrong_number_of_fields_leaves_the_fast_path(tmp_path: Path, row: str) -> None:
    path = tmp_path / "votes.csv"
    path.write_text(f"tier,district,option,votes\nlist,N,A,5\n{row}\nlist,N,B,3\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"votes\.csv, line 3: \d field"):
        read_vote_table(path)


@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n", b"\r\r"])
def test_a_blank_file_is_empty(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "votes.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=r"votes\.csv: the file is empty"):
        read_vote_table(path)


def test_reading_holds_few_copies_of_a_large_file(tmp_path: Path) -> None:
    rows = "".join(f"parish,P{i // 50:04d},L{i % 50:02d},C{i % 7},{i % 9973}\n" for i in range(100_000))
    path = tmp_path / "votes.csv"
    path.write_text("tier,district,option,card,votes\n" + rows, encoding="utf-8")
    size = path.stat().st_size
    read_vote_table(path)  # imports and caches outside the measurement
    with pytest.MonkeyPatch.context() as m:
        # chunks and blocks as small against this file as the defaults are against a large one
        m.setattr(sources, "_CHUNK", 1 << 16)
        m.setattr(sources, "_BLOCK", 1 << 11)
        tracemalloc.start()
        try:
            frame = read_vote_table(path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert frame.height == 100_000
    # the text, its UTF-8 bytes for polars and the line ends, little else (it was ~5.7x the file, with
    # a boolean mask as long as the file and an int64 position per delimiter)
    assert peak < 3 * size, (peak, size)


def test_only_the_fast_path_says_its_cells_are_stripped() -> None:
    text = "tier,district,option,votes\n list ,N,A,5\nlist,N,B,3\n"
    fast = sources._plain_delimited(text, "v.csv", ",")
    assert fast is not None and fast.stripped
    assert isinstance(fast.columns[0], pl.Series) and fast.columns[0].to_list() == ["list", "list"]
    general = sources.from_delimited(text.replace("\n", "\r"), "v.csv")  # CR endings: the csv path
    assert not general.stripped and general.columns[0] == ["list", "list"]


CELL_TEXT = st.text(alphabet=st.sampled_from(list("ab ,\t\x1c\x85\xa0\u2003\u3000\u2029éÅ°")), max_size=12)


@settings(max_examples=100)
@given(lines=st.lists(CELL_TEXT.filter(lambda s: "\n" not in s), min_size=1, max_size=12),
       delimiter=st.sampled_from([",", "\t"]), block=st.integers(1, 4))
def test_scan_lines_never_misses_a_padded_cell_and_finds_every_empty_one(lines: list[str], delimiter: str,
                                                                        block: int) -> None:
    data = ("\n".join(lines) + "\n").encode()
    raw = np.frombuffer(data, dtype=np.uint8)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(sources, "_BLOCK", block)
        _, padded, empty = sources._scan_lines(raw, np.flatnonzero(raw == 10), delimiter)
    cells = [c for line in lines for c in line.split(delimiter)]
    assert empty == ("" in cells)  # exact, before stripping
    if not padded:  # "no padding" is certain; "padding" may be a false alarm (é ends as U+2029 does)
        assert all(c == c.strip() for c in cells)
    if any(c != c.strip() for c in cells):
        assert padded


@pytest.mark.parametrize("cell", ["café", "20°", "Å", "x\u2029"])
def test_cells_that_only_look_padded_to_the_byte_check_are_kept(tmp_path: Path, cell: str) -> None:
    path = tmp_path / "votes.csv"
    path.write_text(f"tier,district,option,votes\nlist,N,{cell},5\nlist,N,B,3\n", encoding="utf-8")
    fast, general = _both(path)
    assert fast.equals(general) and fast["option"].to_list() == [cell.strip(), "B"]


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_empty_cells_without_padding_take_the_fast_path_and_become_missing(tmp_path: Path,
                                                                           delimiter: str) -> None:
    rows = ["tier,district,option,party,votes", "list,N,A,,5", "list,N,B,P,3", "list,N,C,,0"]
    path = tmp_path / "votes.csv"
    path.write_text("\n".join(r.replace(",", delimiter) for r in rows) + "\n", encoding="utf-8")
    fast, taken = _read_noting_fast_path(path)
    _, general = _both(path)
    assert taken == [True] and fast.equals(general)
    assert fast["party"].to_list() == [None, "P", None]


@pytest.mark.parametrize("bare", [",,,", " , ,\t, ", ",,,\u00a0"])
def test_a_line_of_bare_delimiters_is_skipped_and_counted(tmp_path: Path, bare: str) -> None:
    path = tmp_path / "votes.csv"
    path.write_text(f"tier,district,option,votes\nlist,N,A,5\n{bare}\nlist,N,B,3\n", encoding="utf-8")
    fast, general = _both(path)
    assert fast.equals(general) and fast["_line"].to_list() == [2, 4]


def test_the_file_bytes_are_read_as_is_and_a_bom_or_latin1_file_still_reads(tmp_path: Path) -> None:
    text = "tier,district,option,votes\nlist,Táchira,A,5\nlist,Táchira,B,3\n"
    frames = []
    for name, data in [("utf8.csv", text.encode()), ("bom.csv", b"\xef\xbb\xbf" + text.encode()),
                       ("latin1.csv", text.encode("latin-1")),
                       ("crlf.csv", text.replace("\n", "\r\n").encode())]:
        (tmp_path / name).write_bytes(data)
        frames.append(read_vote_table(tmp_path / name))
    assert all(f.equals(frames[0]) for f in frames) and frames[0]["district"][0] == "Táchira"
