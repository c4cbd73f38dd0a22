"""Writing frames: formats, determinism, atomic replacement, and refusing to overwrite inputs."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import BinaryIO

import polars as pl
import pytest

import seats.io.write as write_mod
from seats.errors import OutputError
from seats.io import format_table, read_party_votes, serialise, write_frame

FRAME = pl.DataFrame(
    {
        "party": ["Gran Polo Patriótico", "AD", None],
        "votes": [4317819, 1101816, 0],
        "seats": [36, 12, 0],
        "share": [0.75, 0.25, float("nan")],
    }
)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("out.csv", "csv"),
        ("out.json", "json"),
        ("out.parquet", "parquet"),
        ("out.pq", "parquet"),
        ("out.txt", "table"),
    ],
)
def test_format_from_extension(tmp_path: Path, name: str, fmt: str) -> None:
    path = tmp_path / name
    write_frame(FRAME, path)
    assert path.read_bytes() == serialise(FRAME, fmt)


def test_format_given(tmp_path: Path) -> None:
    path = tmp_path / "out.dat"
    write_frame(FRAME, path, format="json")
    assert json.loads(path.read_text(encoding="utf-8"))[0]["party"] == "Gran Polo Patriótico"
    with pytest.raises(
        OutputError, match=re.escape(f"{path}: cannot tell the output format from the extension '.dat'")
    ):
        write_frame(FRAME, path)
    with pytest.raises(OutputError, match="unknown output format 'xlsx'"):
        write_frame(FRAME, path, format="xlsx")


def test_csv_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "votes.csv"
    write_frame(FRAME.head(2).select("party", "votes"), path)
    assert read_party_votes(path) == {"Gran Polo Patriótico": 4317819, "AD": 1101816}


def test_parquet_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    write_frame(FRAME, path)
    assert pl.read_parquet(path).equals(FRAME)


def test_json_records_utf8_ordered_no_nan(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    write_frame(FRAME, path)
    raw = path.read_bytes()
    assert "Patriótico".encode() in raw  # UTF-8, not \u escapes
    rows = json.loads(raw)
    assert list(rows[0]) == ["party", "votes", "seats", "share"]
    assert rows[2] == {"party": None, "votes": 0, "seats": 0, "share": None}
    assert raw.endswith(b"}\n]\n")


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet", "table"])
def test_deterministic_bytes(tmp_path: Path, fmt: str) -> None:
    first, second = tmp_path / "a.out", tmp_path / "b.out"
    write_frame(FRAME, first, format=fmt)
    write_frame(FRAME.clone(), second, format=fmt)
    write_frame(FRAME, first, format=fmt)  # overwriting gives the same bytes again
    assert first.read_bytes() == second.read_bytes()


def test_format_table_aligns() -> None:
    text = format_table(FRAME.select("party", "seats", "share"))
    assert text.splitlines() == [
        "party                 seats  share",
        "--------------------  -----  -----",
        "Gran Polo Patriótico     36   0.75",
        "AD                       12   0.25",
        "                          0    nan",
    ]


def test_format_table_wide_characters_and_empty() -> None:
    text = format_table(pl.DataFrame({"name": ["選挙", "ab"], "n": [1, 10]}))
    assert text.splitlines()[2:] == ["選挙   1", "ab    10"]
    assert format_table(pl.DataFrame({"a": []}, schema={"a": pl.Int64})) == "a\n-"
    assert format_table(pl.DataFrame()) == ""


def test_table_file_ends_with_newline(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    write_frame(FRAME, path)
    assert path.read_text(encoding="utf-8") == format_table(FRAME) + "\n"


# ---------------------------------------------------------------- atomic writes


def _boom(df: pl.DataFrame, fh: BinaryIO) -> None:
    fh.write(b"party,votes\nhalf a fi")
    raise RuntimeError("serialiser failed mid-way")


@pytest.mark.parametrize("exists", [True, False])
def test_failed_write_leaves_target_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exists: bool
) -> None:
    path = tmp_path / "out.csv"
    if exists:
        path.write_bytes(b"original\n")
    monkeypatch.setitem(write_mod._SERIALISERS, "csv", _boom)
    with pytest.raises(RuntimeError, match="mid-way"):
        write_frame(FRAME, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == (["out.csv"] if exists else [])
    if exists:
        assert path.read_bytes() == b"original\n"


def test_failed_replace_is_an_output_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "out.csv"
    path.write_bytes(b"original\n")

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(write_mod.os, "replace", refuse)
    with pytest.raises(OutputError, match=re.escape(f"{path}: cannot write it (Permission denied)")):
        write_frame(FRAME, path)
    assert path.read_bytes() == b"original\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_overwrite_keeps_mode(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_bytes(b"old\n")
    path.chmod(0o640)
    write_frame(FRAME, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_bytes() == serialise(FRAME, "csv")


def test_new_file_mode_follows_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_frame(FRAME, tmp_path / "out.csv")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.csv").stat().st_mode) == 0o644


def test_symlink_target_is_followed(tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_bytes(b"old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    write_frame(FRAME, link)
    assert link.is_symlink()
    assert real.read_bytes() == serialise(FRAME, "csv")


# ---------------------------------------------------------------- refusing unsafe outputs


def test_refuses_to_overwrite_an_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "votes.csv"
    source.write_bytes(b"party,votes\nA,1\n")
    monkeypatch.chdir(tmp_path)
    for target in (source, Path("votes.csv"), tmp_path / "." / "votes.csv"):
        with pytest.raises(OutputError, match=r"refusing to overwrite an input file"):
            write_frame(FRAME, target, inputs=[source])
    assert source.read_bytes() == b"party,votes\nA,1\n"


def test_refuses_an_input_under_another_name(tmp_path: Path) -> None:
    source = tmp_path / "votes.csv"
    source.write_bytes(b"party,votes\nA,1\n")
    (tmp_path / "link.csv").symlink_to(source)
    os.link(source, tmp_path / "hard.csv")
    for target in ("link.csv", "hard.csv"):
        with pytest.raises(
            OutputError, match=re.escape(f"{tmp_path / target}: refusing to overwrite an input file")
        ):
            write_frame(FRAME, tmp_path / target, inputs=[source])
    assert source.read_bytes() == b"party,votes\nA,1\n"


def test_other_inputs_do_not_block(tmp_path: Path) -> None:
    write_frame(FRAME, tmp_path / "out.csv", inputs=[tmp_path / "votes.csv", tmp_path / "rules.toml"])
    assert (tmp_path / "out.csv").exists()


def test_refuses_a_directory(tmp_path: Path) -> None:
    (tmp_path / "out.csv").mkdir()
    with pytest.raises(OutputError, match=re.escape(f"{tmp_path / 'out.csv'}: is a directory")):
        write_frame(FRAME, tmp_path / "out.csv")


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"directory .*nowhere does not exist"):
        write_frame(FRAME, tmp_path / "nowhere" / "out.csv")
