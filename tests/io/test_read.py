"""Reading vote tables: encodings, line endings, delimiters, number formats, and errors that name the cell."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from seats.errors import InputFileError, InvalidVotesError, SeatsError, VoteTableError
from seats.io import check_vote_value, parse_votes, read_party_votes, read_table, read_vote_table


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def cell(path: Path | str, where: str, column: str, value: str) -> str:
    """A regex for the start of a message naming file, line/row, column and value."""
    return re.escape(f"{path}, {where}, column '{column}': {value}")


# ---------------------------------------------------------------- happy paths, each format


def test_csv_comma(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", "party,votes\nGPP,4317819\nAD,1101816\n")
    assert read_party_votes(path) == {"GPP": 4317819, "AD": 1101816}


def test_csv_semicolon_sniffed(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", 'party;votes\n"Alianza; Democrática";1101816\nPCV;170227\n')
    assert read_party_votes(path) == {"Alianza; Democrática": 1101816, "PCV": 170227}


def test_tsv(tmp_path: Path) -> None:
    path = write(tmp_path, "v.tsv", "party\tvotes\nA, B and C\t10\nD\t5\n")
    assert read_party_votes(path) == {"A, B and C": 10, "D": 5}


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "v.parquet"
    pl.DataFrame({"Party": ["A", "B"], "votes": [10, 5]}).write_parquet(path)
    assert read_party_votes(path) == {"A": 10, "B": 5}


def test_parquet_whole_floats_and_unsigned(tmp_path: Path) -> None:
    path = tmp_path / "v.parquet"
    pl.DataFrame({"party": ["A", "B"], "votes": [10.0, 5.0]}).write_parquet(path)
    assert read_party_votes(path) == {"A": 10, "B": 5}
    frame = pl.DataFrame({"party": ["A"], "votes": pl.Series([7], dtype=pl.UInt32)})
    assert read_party_votes(frame) == {"A": 7}


@pytest.mark.parametrize(
    "payload",
    [
        [{"party": "A", "votes": 100}, {"party": "B", "votes": 80}],
        {"party": ["A", "B"], "votes": [100, 80]},
        {"A": 100, "B": 80},
    ],
    ids=["records", "columns", "mapping"],
)
def test_json_shapes(tmp_path: Path, payload: object) -> None:
    path = write(tmp_path, "v.json", json.dumps(payload))
    assert read_party_votes(path) == {"A": 100, "B": 80}


def test_json_votes_as_text_and_whole_floats(tmp_path: Path) -> None:
    path = write(tmp_path, "v.json", '{"A": "4.317.819", "B": 80.0}')
    assert read_party_votes(path, thousands=".") == {"A": 4317819, "B": 80}


def test_ndjson_names_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "v.ndjson", '{"party": "A", "votes": 1}\n\n{"party": "B", "votes": -2}\n')
    with pytest.raises(InvalidVotesError, match=cell(path, "line 3", "votes", "-2 is negative")):
        read_party_votes(path)


def test_format_given_overrides_extension(tmp_path: Path) -> None:
    path = write(tmp_path, "votes.dat", "party;votes\nA;3\n")
    assert read_party_votes(path, format="csv") == {"A": 3}
    with pytest.raises(InputFileError, match=r"votes\.dat: cannot tell the format .*'\.dat'"):
        read_party_votes(path)


def test_excel_file_gets_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "votes.xlsx", b"PK\x03\x04")
    with pytest.raises(InputFileError, match="save it as CSV"):
        read_party_votes(path)


def test_vote_table_happy(tmp_path: Path) -> None:
    text = (
        "Tier,District,Option,Card,Votes,Source\n"
        "state-list,Zulia,GPP,PSUV,900,CNE\n"
        "state-list,Zulia,GPP,PCV,100,\n"
        "state-list,Zulia,AD,AD,400,CNE\n"
    )
    frame = read_vote_table(write(tmp_path, "t.csv", text))
    assert frame.columns == ["tier", "district", "option", "card", "votes", "source", "_line"]
    assert frame.schema["votes"] == pl.Int64
    assert frame.schema["source"] == pl.Utf8
    assert frame["_line"].to_list() == [2, 3, 4]
    assert frame["votes"].to_list() == [900, 100, 400]
    assert frame["source"].to_list() == ["CNE", None, "CNE"]


def test_vote_table_from_frame_numbers_rows(tmp_path: Path) -> None:
    frame = pl.DataFrame({"tier": ["t", "t"], "district": ["d", "d"], "option": ["a", "b"], "votes": [1, -1]})
    with pytest.raises(InvalidVotesError, match=cell("DataFrame", "row 2", "votes", "-1 is negative")):
        read_vote_table(frame)
    ok = read_vote_table(frame.with_columns(pl.col("votes").abs()))
    assert ok["_line"].to_list() == [1, 2]


def test_vote_table_is_idempotent() -> None:
    frame = pl.DataFrame({"tier": ["t"], "district": ["d"], "option": ["a"], "votes": [1]})
    once = read_vote_table(frame)
    assert read_vote_table(once).equals(once)


# ---------------------------------------------------------------- bytes: encodings and line endings


def test_latin1_names(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", "party,votes\nTáchira,10\nMérida,5\n".encode("latin-1"))
    assert read_party_votes(path) == {"Táchira": 10, "Mérida": 5}


def test_cp1252_names(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", "party,votes\n“Unidos” – Perú,10\n".encode("cp1252"))
    assert read_party_votes(path) == {"“Unidos” – Perú": 10}


def test_bom_stripped_from_first_column(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", b"\xef\xbb\xbfparty,votes\r\nA,1\r\n")
    frame = read_table(path, required=("party", "votes"))
    assert frame.columns[0] == "party"


def test_utf16_with_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "v.tsv", "party\tvotes\r\nTáchira\t3\r\n".encode("utf-16"))
    assert read_party_votes(path) == {"Táchira": 3}


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_line_endings(tmp_path: Path, newline: str) -> None:
    text = newline.join(["party,votes", "A,1", "", "B,x", ""])
    path = write(tmp_path, "v.csv", text.encode("ascii"))
    # The blank line still counts: B is on line 4 whatever the line ending.
    with pytest.raises(InvalidVotesError, match=cell(path, "line 4", "votes", "'x' is not a number")):
        read_party_votes(path)


def test_cr_only_old_mac(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", b"party;votes\rA;1\rB;2\r")
    assert read_party_votes(path) == {"A": 1, "B": 2}


def test_excel_sep_line_and_trailing_delimiters(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", "sep=;\nparty;votes;\nA;1;\n;;\nB;2;\n")
    frame = read_table(path, required=("party", "votes"))
    assert frame.columns == ["party", "votes", "_line"]
    assert frame["_line"].to_list() == [3, 5]


def test_binary_file_as_csv(tmp_path: Path) -> None:
    source = tmp_path / "v.parquet"
    pl.DataFrame({"party": ["A"], "votes": [1]}).write_parquet(source)
    path = write(tmp_path, "v.csv", source.read_bytes())
    with pytest.raises(InputFileError, match=r"v\.csv: looks like a binary file"):
        read_party_votes(path)


# ---------------------------------------------------------------- number formats


def test_thousands_dot_accepted_with_option(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", "party;votes\nGPP;4.317.819\nAD;1.101.816\nMAS;77.301\nX;12\n")
    assert read_party_votes(path, thousands=".") == {"GPP": 4317819, "AD": 1101816, "MAS": 77301, "X": 12}


def test_thousands_dot_rejected_with_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "votes.csv", "party,votes\nA,1\nB,2\nC,3\nD,4\nE,5\nGPP,4.317.819\n")
    expected = (
        "votes.csv, line 7, column 'votes': '4.317.819' looks like a number with '.' thousands "
        "separators; pass thousands='.' (CLI --thousands .) to accept it"
    )
    with pytest.raises(InvalidVotesError) as info:
        read_party_votes(path)
    assert str(info.value) == str(path).removesuffix("votes.csv") + expected


def test_thousands_comma_rejected_with_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", 'party,votes\nA,"1,234"\n')
    with pytest.raises(
        InvalidVotesError, match=cell(path, "line 2", "votes", "'1,234' looks like") + ".*thousands=','"
    ):
        read_party_votes(path)
    assert read_party_votes(path, thousands=",") == {"A": 1234}


def test_thousands_space_accepts_no_break_space(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", "party;votes\nA;1\u00a0234\u00a0567\nB;1 000\n")
    assert read_party_votes(path, thousands=" ") == {"A": 1234567, "B": 1000}


@pytest.mark.parametrize("value", ["4.31.819", "4317.819.0", "12.5", ".123"])
def test_malformed_groups(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, "v.csv", f"party;votes\nA;{value}\n")
    with pytest.raises(InvalidVotesError, match=cell(path, "line 2", "votes", f"'{value}'")):
        read_party_votes(path, thousands=".")


def test_malformed_groups_message(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", "party;votes\nA;4.31.819\n")
    with pytest.raises(InvalidVotesError, match=r"malformed thousands groups.*exactly three digits"):
        read_party_votes(path, thousands=".")


def test_decimal_comma(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", "party;votes\nA;12,0\nB;7\nC;1.234,00\n")
    assert read_party_votes(path, decimal_comma=True, thousands=".") == {"A": 12, "B": 7, "C": 1234}
    bad = write(tmp_path, "w.csv", "party;votes\nA;12,5\n")
    with pytest.raises(InvalidVotesError, match=cell(bad, "line 2", "votes", "'12,5' is not a whole number")):
        read_party_votes(bad, decimal_comma=True)


def test_decimal_comma_hint_without_option(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", "party;votes\nA;12,5\n")
    with pytest.raises(InvalidVotesError, match=r"pass decimal_comma=True \(CLI --decimal-comma\)"):
        read_party_votes(path)


def test_whole_decimal_point_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", "party,votes\nA, +12.0 \n")
    assert read_party_votes(path) == {"A": 12}


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("12.5", "'12.5' is not a whole number; votes must be whole numbers"),
        ("-3", "'-3' is negative"),
        ("NaN", "'NaN' is not a number"),
        ("nan", "'nan' is not a number"),
        ("inf", "'inf' is infinite"),
        ("", "empty value; votes must be whole numbers"),
        ("twelve", "'twelve' is not a number"),
        ("1e3", "'1e3' is not a number"),
        ("99999999999999999999", "'99999999999999999999' is too large"),
    ],
)
def test_bad_csv_votes(tmp_path: Path, value: str, why: str) -> None:
    path = write(tmp_path, "v.csv", f"party,votes\nA,1\nB,{value}\n")
    with pytest.raises(InvalidVotesError, match=cell(path, "line 3", "votes", why)):
        read_party_votes(path)


@pytest.mark.parametrize(
    ("values", "why"),
    [
        ([1.0, 2.5], "2.5 is not a whole number"),
        ([1.0, -2.0], "-2.0 is negative"),
        ([1.0, float("nan")], "nan is not a number"),
        ([1.0, float("inf")], "inf is infinite"),
        ([1, None], "missing value (null)"),
        ([1, -4], "-4 is negative"),
    ],
)
def test_bad_parquet_votes(tmp_path: Path, values: list[float | None], why: str) -> None:
    path = tmp_path / "v.parquet"
    pl.DataFrame({"party": ["A", "B"], "votes": values}).write_parquet(path)
    with pytest.raises(InvalidVotesError, match=cell(path, "row 2", "votes", why)):
        read_party_votes(path)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("2.5", "2.5 is not a whole number"),
        ("null", "missing value"),
        ("true", "True is not a number"),
        ('"x"', "'x' is not a number"),
        ("NaN", "nan is not a number"),
        ("[1]", "[1] is not a number"),
    ],
)
def test_bad_json_votes(tmp_path: Path, value: str, why: str) -> None:
    path = write(tmp_path, "v.json", f'[{{"party": "A", "votes": 1}}, {{"party": "B", "votes": {value}}}]')
    with pytest.raises(InvalidVotesError, match=cell(path, "row 2", "votes", why)):
        read_party_votes(path)


def test_counts_further_bad_values(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", "party,votes\nA,x\nB,-1\nC,2.5\n")
    with pytest.raises(
        InvalidVotesError, match=r"line 2, column 'votes': 'x' .*\(2 more bad values in this column\)$"
    ):
        read_party_votes(path)


def test_parse_votes_options() -> None:
    assert parse_votes(" 1_000 ", thousands="_") == 1000
    assert parse_votes("−0") == 0
    with pytest.raises(SeatsError, match="both claim ','"):
        parse_votes("1", thousands=",", decimal_comma=True)
    with pytest.raises(SeatsError, match="not a thousands separator"):
        parse_votes("1", thousands="x")
    with pytest.raises(InvalidVotesError, match=r"^'−5' is negative"):
        parse_votes("−5")


def test_check_vote_value_types() -> None:
    from decimal import Decimal

    assert check_vote_value(Decimal("12.00")) == 12
    with pytest.raises(InvalidVotesError, match="is not a whole number"):
        check_vote_value(Decimal("12.5"))
    with pytest.raises(InvalidVotesError, match="False is not a number"):
        check_vote_value(False)


# ---------------------------------------------------------------- structure errors


def test_missing_column_lists_found(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", "Party,Vote\nA,1\n")
    with pytest.raises(
        VoteTableError,
        match=re.escape(f"{path}, line 1: missing column 'votes'")
        + r" \(did you mean 'vote'\?\); found 'party', 'vote'",
    ):
        read_party_votes(path)


def test_missing_columns_in_vote_table(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "tier,option,votes\nt,a,1\n")
    with pytest.raises(
        VoteTableError,
        match="missing column 'district'; found 'tier', 'option', 'votes'; "
        r"expected tier, district, option, votes \(optional: card, party, alliance\)",
    ):
        read_vote_table(path)


def test_duplicate_column_names(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", "party,votes, Votes \nA,1,2\n")
    with pytest.raises(
        VoteTableError, match=re.escape(f"{path}, line 1: columns 2 and 3 are both named 'votes'")
    ):
        read_party_votes(path)


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", b"")
    with pytest.raises(InputFileError, match=re.escape(f"{path}: the file is empty")):
        read_party_votes(path)


def test_blank_lines_only(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", b"\r\n\r\n  \r\n")
    with pytest.raises(InputFileError, match="the file is empty"):
        read_party_votes(path)


@pytest.mark.parametrize("suffix", ["csv", "json", "parquet"])
def test_header_only(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"v.{suffix}"
    if suffix == "parquet":
        pl.DataFrame({"party": [], "votes": []}, schema={"party": pl.Utf8, "votes": pl.Int64}).write_parquet(
            path
        )
    else:
        path.write_text("party,votes\n" if suffix == "csv" else '{"party": [], "votes": []}')
    with pytest.raises(
        InputFileError, match=re.escape(f"{path}: no data rows, only the header (party, votes)")
    ):
        read_party_votes(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"nope\.csv: no such file"):
        read_party_votes(tmp_path / "nope.csv")
    with pytest.raises(InputFileError, match="is a directory"):
        read_party_votes(tmp_path)


def test_ragged_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", "party,votes\nA,1\nB,1,234\n")
    with pytest.raises(
        InputFileError, match=re.escape(f"{path}, line 3: 3 fields but the header (line 1) has 2")
    ):
        read_party_votes(path)
    short = write(tmp_path, "w.csv", "party,votes\nA\n")
    with pytest.raises(InputFileError, match=r"line 2: 1 field\(s\) but the header"):
        read_party_votes(short)


def test_malformed_quotes(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", 'party,votes\n"A"x,1\n')
    with pytest.raises(InputFileError, match=r"line 2: malformed CSV"):
        read_party_votes(path)


def test_malformed_json(tmp_path: Path) -> None:
    path = write(tmp_path, "v.json", '[{"party": "A",\n "votes": 1,}]')
    with pytest.raises(InputFileError, match=re.escape(f"{path}, line 2: malformed JSON")):
        read_party_votes(path)
    scalar = write(tmp_path, "w.json", '{"A": 1}')
    with pytest.raises(InputFileError, match="expected a list of records or an object of column lists"):
        read_table(scalar, required=("party", "votes"))


def test_unreadable_parquet(tmp_path: Path) -> None:
    path = write(tmp_path, "v.parquet", b"party,votes\nA,1\n")
    with pytest.raises(InputFileError, match=re.escape(f"{path}: not a readable Parquet file")):
        read_party_votes(path)


def test_duplicate_party_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", "party,votes\nA,1\nB,2\n A ,3\n")
    with pytest.raises(
        VoteTableError, match=re.escape(f"{path}, line 4, column 'party': 'A' appears twice (lines 2 and 4)")
    ):
        read_party_votes(path)


def test_empty_party_name(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", "party,votes\nA,1\n  ,2\n")
    with pytest.raises(VoteTableError, match=re.escape(f"{path}, line 3, column 'party': empty party name")):
        read_party_votes(path)


def test_duplicate_rows_both_lines(tmp_path: Path) -> None:
    text = "tier,district,option,card,votes\nt,d,a,x,1\nt,d,a,y,2\nt,d,b,x,3\nt,d,a,x,4\n"
    path = write(tmp_path, "t.csv", text)
    with pytest.raises(
        VoteTableError,
        match=re.escape(
            f"{path}, line 5: duplicate row for tier 't', district 'd', option 'a', card 'x' (same as line 2)"
        ),
    ):
        read_vote_table(path)


def test_duplicate_rows_in_json_name_rows(tmp_path: Path) -> None:
    rows = [{"tier": "t", "district": "d", "option": "a", "votes": n} for n in (1, 2)]
    path = write(tmp_path, "t.json", json.dumps(rows))
    with pytest.raises(VoteTableError, match=r"t\.json, row 2: duplicate row .*\(same as row 1\)"):
        read_vote_table(path)


# ---------------------------------------------------------------- property: CSV round trip


names = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), max_codepoint=0x2FFF),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)


def _csv_field(text: str, delimiter: str) -> str:
    if any(ch in text for ch in (delimiter, '"', "\n", "\r")):
        return '"' + text.replace('"', '""') + '"'
    return text


@given(
    pairs=st.lists(st.tuples(names, st.integers(0, 2**62)), min_size=1, max_size=8, unique_by=lambda p: p[0]),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1"]),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    final_newline=st.booleans(),
)
def test_csv_round_trip(
    tmp_path_factory: pytest.TempPathFactory,
    pairs: list[tuple[str, int]],
    delimiter: str,
    encoding: str,
    newline: str,
    final_newline: bool,
) -> None:
    lines = [delimiter.join(["party", "votes"])]
    lines += [delimiter.join([_csv_field(name, delimiter), str(votes)]) for name, votes in pairs]
    text = newline.join(lines) + (newline if final_newline else "")
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        assume(False)
        raise
    if encoding == "latin-1":
        # Latin-1 bytes that happen to be valid UTF-8 are read as UTF-8: an ambiguity no reader can resolve.
        try:
            data.decode("utf-8")
            assume(False)
        except UnicodeDecodeError:
            pass
        # Latin-1's C1 controls (0x80-0x9f) are read as Windows-1252, as spreadsheets mean them.
        assume(not any(0x80 <= ord(ch) <= 0x9F for ch in text))
    path = tmp_path_factory.mktemp("rt") / "votes.csv"
    path.write_bytes(data)
    assert read_party_votes(path) == dict(pairs)


# ---------------------------------------------------------------- large tables: checks that copy little


def test_a_hash_collision_never_invents_a_duplicate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from seats.io import read as read_module

    path = tmp_path / "votes.csv"
    path.write_text("tier,district,option,card,votes\nlist,N,A,a,1\nlist,N,A,b,2\nlist,N,B,a,3\n",
                    encoding="utf-8")
    expected = read_vote_table(path)
    monkeypatch.setattr(read_module, "_may_repeat", lambda frame, keys: True)  # as if every hash collided
    assert read_vote_table(path).equals(expected)
    path.write_text("tier,district,option,card,votes\nlist,N,A,a,1\nlist,N,B,a,3\nlist,N,A,a,2\n",
                    encoding="utf-8")
    with pytest.raises(VoteTableError, match=r"line 4: duplicate row for tier 'list', district 'N', "
                                             r"option 'A', card 'a' \(same as line 2\)"):
        read_vote_table(path)


def test_duplicates_are_found_among_many_rows_and_with_missing_cards(tmp_path: Path) -> None:
    rows = [f"list,D{i % 97},O{i % 89},{'' if i % 3 else 'c'},{i}" for i in range(97 * 89)]
    path = tmp_path / "votes.csv"
    path.write_text("tier,district,option,card,votes\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert read_vote_table(path).height == 97 * 89  # every (district, option) pair once
    path.write_text("tier,district,option,card,votes\n" + "\n".join([*rows, "list,D5,O5,,7"]) + "\n",
                    encoding="utf-8")
    with pytest.raises(VoteTableError, match=r"line 8635: duplicate row .* card None \(same as line \d+\)"):
        read_vote_table(path)


def test_text_cells_are_stripped_and_blank_ones_are_missing_only_where_needed() -> None:
    frame = pl.DataFrame({"tier": ["list", "list"], "district": [" N", "N "], "option": ["A", "B"],
                          "party": ["P", "  "], "votes": [1, 2]})
    out = read_vote_table(frame)
    assert out["district"].to_list() == ["N", "N"]
    assert out["party"].to_list() == ["P", None]
    assert out["option"].to_list() == ["A", "B"]


# ------------------------------------------- text columns converted in one query, against one at a time

_CELLS = st.one_of(st.none(), st.sampled_from(["", " ", "A", " A", "B ", "\u00a0C", "5", " 5 ", "+7", "1.200",
                                               "1,200", "12,0", "-3", "x", "\x1cD", "0"]))


def _read_or_error(source: Path | pl.DataFrame, thousands: str | None) -> object:
    try:
        return read_vote_table(source, thousands=thousands)
    except (InputFileError, InvalidVotesError, VoteTableError) as exc:
        return f"{type(exc).__name__}: {exc}"


@given(cells=st.lists(st.tuples(_CELLS, _CELLS, _CELLS), min_size=1, max_size=6),
       thousands=st.sampled_from([None, ".", ","]))
def test_columns_converted_at_once_match_one_at_a_time(cells: list[tuple[str | None, ...]],
                                                       thousands: str | None) -> None:
    from seats.io import read

    frame = pl.DataFrame({"tier": ["list"] * len(cells), "district": [c[0] for c in cells],
                          "option": [f"o{i}" for i in range(len(cells))], "party": [c[1] for c in cells],
                          "votes": [c[2] for c in cells]}, schema_overrides={"votes": pl.String,
                                                                            "district": pl.String,
                                                                            "party": pl.String})
    at_once = _read_or_error(frame, thousands)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(read, "_text_series_at_once", lambda raw, names, vote_columns: {})
        one_by_one = _read_or_error(frame, thousands)
    if isinstance(at_once, str) or isinstance(one_by_one, str):
        assert at_once == one_by_one
    else:
        assert isinstance(one_by_one, pl.DataFrame) and at_once.equals(one_by_one)
        assert at_once.schema == one_by_one.schema


def test_a_plain_csv_with_thousands_separators_converts_value_by_value(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", "tier,district,option,votes\nlist,N,A,1.200\nlist,N,B,80\n")
    assert read_vote_table(path, thousands=".")["votes"].to_list() == [1200, 80]
    with pytest.raises(InvalidVotesError, match=cell(path, "line 2", "votes", "'1.200' is not a whole")):
        read_vote_table(path)
