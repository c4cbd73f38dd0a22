"""Checking vote tables against a rule set (seats/rules/votes.py).

Every error names the file, the line (CSV) or row (frames, JSON, Parquet) and the value.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seats.errors import InvalidVotesError, VoteTableError
from seats.rules.load import load_ruleset
from seats.rules.model import RuleSet
from seats.rules.votes import prepare_votes

TOY = Path(__file__).resolve().parent / "data" / "toy"
LINES = (TOY / "votes.csv").read_text(encoding="utf-8").splitlines()
HEADER, ROWS = LINES[0], LINES[1:]  # ROWS[i] is on line i + 2
COLUMNS = HEADER.split(",")


@pytest.fixture(scope="module")
def toy() -> RuleSet:
    return load_ruleset(TOY)


def csv(tmp_path: Path, rows: list[str], name: str = "votes.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def fails(rs: RuleSet, votes: object, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        rs.allocate(votes)


def test_the_toy_table_passes(toy: RuleSet) -> None:
    frame = pl.read_csv(TOY / "votes.csv")
    data = prepare_votes(toy, frame)
    assert data.votes["state-list"]["S1"] == {"L": 600, "R": 400, "M": 150}
    assert data.options["L"] == ("P", "Left")
    assert data.options["M"] == ("M", "M")  # empty alliance: the party is its own alliance


def test_without_party_and_alliance_columns_each_option_stands_alone(toy: RuleSet) -> None:
    frame = (pl.read_csv(TOY / "votes.csv").group_by(["tier", "district", "option"], maintain_order=True)
             .agg(pl.col("votes").sum()))
    data = prepare_votes(toy, frame)
    assert data.options["l1a"] == ("l1a", "l1a")
    res = toy.allocate(frame)
    assert res.total == 13
    by_alliance = dict(res.by("alliance").select("alliance", "seats").iter_rows())
    assert by_alliance == {"L": 5, "R": 3, "l1a": 1, "r1a": 1, "r2": 1, "l3": 1, "Others": 1, "M": 0,
                           "l1b": 0, "r1b": 0, "l2": 0, "r3": 0}


@pytest.mark.parametrize(
    ("row", "error", "pattern"),
    [
        ("state-lists,S1,X,X,X,X,1", VoteTableError,
         r"votes\.csv, line 20: unknown tier 'state-lists' \(did you mean 'state-list'\?\); "
         r"rule set 'toy' takes votes for nominal, state-list"),
        ("state-list,S3,X,X,X,X,1", VoteTableError,
         r"votes\.csv, line 20: unknown district 'S3' in tier 'state-list'"),
        ("national,N,L,P,P,Left,1", VoteTableError,
         r"votes\.csv, line 20: tier 'national' sums another tier's votes; it takes no votes"),
        ("reserved,R,x,x,x,x,1", VoteTableError,
         r"votes\.csv, line 20: tier 'reserved' has its results given by the rule set; it takes no votes"),
        ("state-list,S1,L,P,P,Left,7", VoteTableError,
         r"votes\.csv, line 20: duplicate row for tier 'state-list', district 'S1', option 'L', card 'P' "
         r"\(same as line 2\)"),
        ("state-list,S2,R,R2,Other,Right,5", VoteTableError,
         r"votes\.csv, line 20: option 'R' belongs to party 'Other' here but 'R' on line 4"),
        ("state-list,S2,R,R2,R,Elsewhere,5", VoteTableError,
         r"votes\.csv, line 20: option 'R' belongs to alliance 'Elsewhere' here but 'Right' on line 4"),
        ("state-list,S2,X,X,,X,5", VoteTableError,
         r"votes\.csv, line 20: option without a party \(option 'X'\)"),
        ("state-list,,X,X,X,X,5", VoteTableError, r"votes\.csv, line 20: empty 'district'"),
        ("state-list,S2,X,X,X,X,-5", InvalidVotesError,
         r"votes\.csv, line 20, column 'votes': '-5' is negative"),
        ("state-list,S2,X,X,X,X,2.5", InvalidVotesError,
         r"votes\.csv, line 20, column 'votes': '2\.5' is not a whole number"),
        ("state-list,S2,X,X,X,X,lots", InvalidVotesError,
         r"votes\.csv, line 20, column 'votes': 'lots' is not a number"),
    ],
)
def test_bad_rows_name_file_line_and_value(toy: RuleSet, tmp_path: Path, row: str, error: type[Exception],
                                           pattern: str) -> None:
    fails(toy, csv(tmp_path, [*ROWS, row]), error, pattern)


def test_a_district_without_votes(toy: RuleSet, tmp_path: Path) -> None:
    rows = [r for r in ROWS if ",S1-2," not in r]
    fails(toy, csv(tmp_path, rows), VoteTableError,
          r"votes\.csv: district 'S1-2' of tier 'nominal' elects 1 but has no votes in the table")


def test_a_district_electing_nobody_needs_no_votes(tmp_path: Path) -> None:
    text = (TOY / "ruleset.toml").read_text(encoding="utf-8")
    for src in TOY.iterdir():
        (tmp_path / src.name).write_bytes(src.read_bytes())
    (tmp_path / "states.csv").write_text("id,seats\nS1,3\nS2,2\nS3,0\n", encoding="utf-8")
    (tmp_path / "ruleset.toml").write_text(text, encoding="utf-8")
    res = load_ruleset(tmp_path).allocate()
    assert res.tier("state-list").district("S3").seats == {}


def fourth_row_in_s9() -> pl.DataFrame:
    fourth = pl.int_range(pl.len()) == 3
    return pl.read_csv(TOY / "votes.csv").with_columns(
        pl.when(fourth).then(pl.lit("S9")).otherwise(pl.col("district")).alias("district"))


def test_frames_say_row(toy: RuleSet) -> None:
    frame = fourth_row_in_s9()
    fails(toy, frame, VoteTableError, r"^DataFrame, row 4: unknown district 'S9' in tier 'state-list'")


def test_json_and_parquet_say_row_and_ndjson_says_line(toy: RuleSet, tmp_path: Path) -> None:
    frame = fourth_row_in_s9()
    frame.write_parquet(tmp_path / "votes.parquet")
    frame.write_json(tmp_path / "votes.json")
    frame.write_ndjson(tmp_path / "votes.ndjson")
    fails(toy, tmp_path / "votes.parquet", VoteTableError, r"votes\.parquet, row 4: unknown district 'S9'")
    fails(toy, tmp_path / "votes.json", VoteTableError, r"votes\.json, row 4: unknown district 'S9'")
    fails(toy, tmp_path / "votes.ndjson", VoteTableError, r"votes\.ndjson, line 4: unknown district 'S9'")


def test_every_format_gives_the_same_result(toy: RuleSet, tmp_path: Path) -> None:
    frame = pl.read_csv(TOY / "votes.csv")
    frame.write_parquet(tmp_path / "votes.parquet")
    frame.write_json(tmp_path / "votes.json")
    expected = toy.allocate().to_polars()
    for name in ("votes.parquet", "votes.json"):
        assert toy.allocate(tmp_path / name).to_polars().equals(expected), name
    assert toy.allocate(str(TOY / "votes.csv")).to_polars().equals(expected)


def test_spanish_thousands_separators(toy: RuleSet, tmp_path: Path) -> None:
    rows = [r.replace(",1000", ",1.000") for r in ROWS]
    rows[0] = "state-list,S1,L,P,P,Left,1.500"
    path = tmp_path / "votes.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    with pytest.raises(InvalidVotesError, match=r"line 2, column 'votes': '1\.500' .*--thousands \."):
        toy.allocate(path)
    res = toy.allocate(path, thousands=".")
    assert res.tier("state-list").district("S1").votes["L"] == 1600


def test_other_columns_are_kept_and_ignored(toy: RuleSet) -> None:
    frame = pl.read_csv(TOY / "votes.csv").with_columns(pl.lit("synthetic").alias("basis"),
                                                         pl.lit("test").alias("source"))
    assert toy.allocate(frame).to_polars().equals(toy.allocate().to_polars())


def test_an_option_of_the_given_results_keeps_its_party(toy: RuleSet, tmp_path: Path) -> None:
    fails(toy, csv(tmp_path, [*ROWS, "state-list,S2,res-1,X,Other,Right,5"]), VoteTableError,
          r"votes\.csv: option 'res-1' belongs to party 'Other', alliance 'Right', but the results of tier "
          r"'reserved' \(.*ruleset\.toml\) give it to party 'Res', alliance 'Others'")
    res = toy.allocate(csv(tmp_path, [*ROWS, "state-list,S2,res-1,X,Res,Others,5"]))
    assert res.tier("state-list").district("S2").votes["res-1"] == 5


def _naive_sums(frame: pl.DataFrame) -> dict[str, dict[str, dict[str, int]]]:
    """The reference: every row added in table order."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for tier, district, option, votes in frame.select("tier", "district", "option", "votes").iter_rows():
        d = out.setdefault(tier, {}).setdefault(district, {})
        d[option] = d.get(option, 0) + votes
    return out


def test_cards_are_summed_per_option_in_order_of_first_appearance(toy: RuleSet) -> None:
    # S1 has two cards for L (and its options out of order); S2 has one row per option
    nominal = pl.read_csv(TOY / "votes.csv").filter(pl.col("tier") == "nominal").select(
        "tier", "district", "option", "card", "votes")
    lists = pl.DataFrame({
        "tier": ["state-list"] * 6,
        "district": ["S1", "S2", "S1", "S1", "S2", "S1"],
        "option": ["R", "L", "L", "M", "R", "L"],
        "card": ["R", "L", "P", "M", "R", "Q"],
        "votes": [40, 7, 100, 15, 3, 23],
    })
    frame = pl.concat([lists, nominal])
    data = prepare_votes(toy, frame)
    assert data.votes["state-list"] == {"S1": {"R": 40, "L": 123, "M": 15}, "S2": {"L": 7, "R": 3}}
    assert data.votes == _naive_sums(frame)
    assert list(data.votes["state-list"]["S1"]) == ["R", "L", "M"]
    assert all(type(v) is int for d in data.votes["state-list"].values() for v in d.values())


def test_sums_match_a_row_by_row_reference_on_a_larger_table(toy: RuleSet) -> None:
    import numpy as np

    rng = np.random.default_rng(5)
    n = 3000
    nominal = pl.read_csv(TOY / "votes.csv").filter(pl.col("tier") == "nominal").select(
        "tier", "district", "option", "card", "votes")
    frame = pl.concat([nominal, pl.DataFrame({
        "tier": ["state-list"] * n,
        "district": rng.choice(["S1", "S2"], size=n),
        "option": rng.choice([f"o{i}" for i in range(40)], size=n),
        "card": [f"c{i}" for i in range(n)],
        "votes": rng.integers(0, 10_000, size=n),
    })])
    assert prepare_votes(toy, frame).votes == _naive_sums(frame)


def test_the_first_option_with_two_parties_is_named(toy: RuleSet, tmp_path: Path) -> None:
    extra = ["state-list,S2,R,R2,Other,Right,5", "state-list,S2,L,L2,Else,Left,5"]
    fails(toy, csv(tmp_path, [*ROWS, *extra]), VoteTableError,
          r"votes\.csv, line 21: option 'L' belongs to party 'Else' here but 'P' on line 2")


def test_every_district_shares_one_string_per_option_name(toy: RuleSet) -> None:
    frame = pl.read_csv(TOY / "votes.csv")
    data = prepare_votes(toy, frame)
    seen: dict[str, int] = {}
    for districts in data.votes.values():
        for votes in districts.values():
            for name in votes:
                assert id(name) == seen.setdefault(name, id(name)), name
    assert len(seen) == frame["option"].n_unique()


def test_names_that_are_not_text_are_kept_as_they_are() -> None:
    from seats.rules.votes import _summed

    frame = pl.DataFrame({"tier": ["t"] * 3, "district": ["D", "E", "D"], "option": [3, 1, 3],
                          "votes": [1, 2, 5]})
    got: object = _summed(frame)  # typed for text names; a frame built by hand may hold numbers
    assert got == {"t": {"D": {3: 6}, "E": {1: 2}}}


# ------------------------------------------- the one-round path for tables as read, against the checks


def _prepared_or_error(rs: RuleSet, frame: pl.DataFrame, *, general: bool) -> object:
    from seats.rules import votes

    with pytest.MonkeyPatch.context() as m:
        if general:  # the step-by-step checks alone, as before the one-round path
            m.setattr(votes, "_prepare_read", lambda rs, frame: None)
        try:
            data = votes.prepare_votes(rs, frame, "votes.csv")
        except VoteTableError as exc:
            return f"{type(exc).__name__}: {exc}"
    return (data.votes, list(data.votes), [list(d) for d in data.votes.values()],
            [list(v) for d in data.votes.values() for v in d.values()], data.options, list(data.options))


_EDITS = st.sampled_from(["none", "blank", "space", "null", "tier", "district", "derived", "party",
                          "alliance", "drop", "card", "votes-null"])


@settings(max_examples=120, deadline=None)
@given(edits=st.lists(st.tuples(_EDITS, st.integers(0, len(ROWS) - 1), st.sampled_from(COLUMNS)),
                      max_size=3),
       order=st.permutations(range(len(ROWS))), drop=st.sets(st.sampled_from(["party", "alliance", "_line"])))
def test_the_one_round_path_agrees_with_the_checks_one_by_one(toy: RuleSet, edits: list[tuple[str, int, str]],
                                                              order: list[int], drop: set[str]) -> None:
    from seats.io import read_vote_table

    frame = read_vote_table(TOY / "votes.csv")[order]
    rows = frame.to_dicts()
    for edit, i, column in edits:
        row = rows[i % len(rows)]
        if edit == "blank" and column != "votes":
            row[column] = None
        elif edit == "space" and column != "votes":
            row[column] = " "
        elif edit == "null" and column in ("party", "alliance"):
            row[column] = None
        elif edit == "tier":
            row["tier"] = "list"
        elif edit == "district":
            row["district"] = "S9"
        elif edit == "derived":
            row["tier"], row["district"] = "national", "N"  # a tier that sums others' votes takes none
        elif edit == "party":
            row["party"] = "Else"
        elif edit == "alliance":
            row["alliance"] = "Other"
        elif edit == "drop":
            rows.pop(i % len(rows))
        elif edit == "card":
            rows.append(dict(row))  # one more card of the same option: summed
        elif edit == "votes-null":
            row["votes"] = None
    frame = pl.DataFrame(rows, schema=frame.schema).drop(sorted(drop))
    assert _prepared_or_error(toy, frame, general=False) == _prepared_or_error(toy, frame, general=True)


def test_the_one_round_path_leaves_other_frames_to_the_checks(toy: RuleSet) -> None:
    from seats.rules.votes import _prepare_read

    frame = pl.read_csv(TOY / "votes.csv")
    assert _prepare_read(toy, frame) is not None
    assert _prepare_read(toy, frame.with_columns(pl.col("votes").cast(pl.Int32))) is None
    assert _prepare_read(toy, frame.with_columns(pl.col("alliance").cast(pl.Categorical))) is None
    assert _prepare_read(toy, frame.with_row_index("_line")) is None  # UInt32 lines: not as read
    huge = frame.with_columns(pl.lit(2**62, dtype=pl.Int64).alias("votes"))  # two cards overflow Int64
    assert prepare_votes(toy, huge).votes["state-list"]["S1"]["L"] == 2**63  # summed in Python
