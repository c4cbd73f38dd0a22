"""A catalogue of bad inputs, each fed to the library and to the CLI.

Every case in :data:`BAD` is run twice: through the library (``seats.apportion``,
the ``seats.io`` readers, ``seats.load_ruleset`` and ``RuleSet.allocate``) and
through the command line (``seats apportion``, ``seats allocate``, ``seats
scenario`` under click's test runner). The library must raise the documented
error class with a message naming the file, line or row, column and value
where they exist; the CLI must exit non-zero with exactly one ``Error:`` line
on stderr that says the same thing, and never print a traceback.

:data:`GOOD` lists inputs that look unusual but are valid (Latin-1 or BOM
files, CR line endings, Spanish number formats with the right option, a house
of 0, more parties than seats): both paths must accept them and agree.

The small rule set and its votes live in ``tests/data/hardening/``.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner, Result

import seats
from seats.analysis.scenarios import Remove, ScenarioError, run_scenario
from seats.cli import main
from seats.errors import (
    InputFileError,
    InvalidSeatsError,
    InvalidVotesError,
    RuleSetError,
    SeatsError,
    TieError,
    UnknownMethodError,
    VoteTableError,
)
from seats.io import read_party_votes, read_vote_table

DATA = Path(__file__).resolve().parent / "data" / "hardening"
RULESET = DATA / "ruleset.toml"
HEADER = "tier,district,option,card,party,alliance,votes\n"


def base_rows() -> list[str]:
    """The twelve data rows of the mini election (CSV lines 2 to 13)."""
    return (DATA / "votes.csv").read_text(encoding="utf-8").splitlines(keepends=True)[1:]


def csv_with(
    *,
    replace: dict[int, str] | None = None,
    add: Sequence[str] = (),
    keep: Callable[[str], bool] | None = None,
) -> Callable[[], bytes]:
    """The mini vote table with row ``i`` (0-based, line ``i + 2``) replaced, rows added or filtered."""

    def make() -> bytes:
        rows = base_rows()
        for i, row in (replace or {}).items():
            rows[i] = row + "\n"
        rows = [r for r in rows if keep is None or keep(r)]
        return (HEADER + "".join(rows) + "".join(a + "\n" for a in add)).encode("utf-8")

    return make


def ruleset_text(old: str = "", new: str = "") -> Callable[[], bytes]:
    """The mini rule set's TOML with ``old`` replaced by ``new`` (which must occur)."""

    def make() -> bytes:
        text = RULESET.read_text(encoding="utf-8")
        assert old in text, old
        return text.replace(old, new, 1).encode("utf-8")

    return make


def parquet_bytes(frame: pl.DataFrame) -> Callable[[], bytes]:
    def make() -> bytes:
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        return buffer.getvalue()

    return make


@dataclass(frozen=True)
class Case:
    """One bad input: the files it needs, the library call, the CLI arguments and the expected error."""

    id: str
    files: dict[str, Callable[[], bytes]]
    library: Callable[[Path], object]
    argv: Callable[[Path], list[str]]
    error: type[SeatsError]
    match: str
    exit_code: int = 1
    cli_match: str | None = None  # when click itself rejects the argument (usage errors)
    setup: Callable[[Path, pytest.MonkeyPatch], None] | None = field(default=None)


def allocate_case(
    id: str,
    make: Callable[[], bytes],
    error: type[SeatsError],
    match: str,
    *,
    name: str = "votes.csv",
    sets: Sequence[tuple[str, str]] = (),
) -> Case:
    """A vote table fed to ``RuleSet.allocate`` and ``seats allocate --votes``."""

    def library(d: Path) -> object:
        return seats.load_ruleset(RULESET, overrides=dict(sets)).allocate(d / name)

    def argv(d: Path) -> list[str]:
        return ["allocate", str(RULESET), "--votes", str(d / name), *[f"--set={k}={v}" for k, v in sets]]

    return Case(id, {name: make}, library, argv, error, match)


def apportion_case(
    id: str,
    content: str | bytes | Callable[[], bytes],
    error: type[SeatsError],
    match: str,
    *,
    name: str = "votes.csv",
    house: int = 5,
    method: str = "dhondt",
    threshold: str | None = None,
    thousands: str | None = None,
    decimal_comma: bool = False,
) -> Case:
    """A party,votes table fed to ``read_party_votes`` + ``seats.apportion`` and to ``seats apportion``."""
    if callable(content):
        make = content
    else:
        data = content.encode("utf-8") if isinstance(content, str) else content

        def make() -> bytes:
            return data

    def library(d: Path) -> object:
        votes = read_party_votes(d / name, thousands=thousands, decimal_comma=decimal_comma)
        return seats.apportion(votes, house, method=method, threshold=threshold)

    def argv(d: Path) -> list[str]:
        out = ["apportion", f"--seats={house}", f"--method={method}", str(d / name)]
        out += [f"--threshold={threshold}"] if threshold is not None else []
        out += [f"--thousands={thousands}"] if thousands is not None else []
        return out + (["--decimal-comma"] if decimal_comma else [])

    return Case(id, {name: make}, library, argv, error, match)


def ruleset_case(
    id: str,
    make: Callable[[], bytes],
    error: type[SeatsError],
    match: str,
    *,
    sets: Sequence[tuple[str, str]] = (),
) -> Case:
    """A rule-set file (with the mini votes beside it) fed to ``load_ruleset`` and ``seats allocate``."""

    def library(d: Path) -> object:
        return seats.load_ruleset(d / "rs" / "ruleset.toml", overrides=dict(sets)).allocate()

    def argv(d: Path) -> list[str]:
        return ["allocate", str(d / "rs" / "ruleset.toml"), *[f"--set={k}={v}" for k, v in sets]]

    return Case(id, {"rs/ruleset.toml": make, "rs/votes.csv": csv_with()}, library, argv, error, match)


def scenario_case(id: str, selector: str, match: str) -> Case:
    """A scenario transform naming something the vote table does not hold."""

    def library(d: Path) -> object:
        return run_scenario(seats.load_ruleset(RULESET), DATA / "votes.csv", [Remove(selector, 1)])

    def argv(d: Path) -> list[str]:
        return ["scenario", str(RULESET), "--remove", f"{selector}:1"]

    return Case(id, {}, library, argv, ScenarioError, match)


def _unreadable(d: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = d / "votes.csv"
    if os.geteuid() != 0:
        target.chmod(0)
        return
    # root reads any file whatever its mode; make reading this one fail as it would for a user
    real = Path.read_bytes

    def refuse(self: Path) -> bytes:
        if self == target:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)


ROW6 = r"votes\.csv, line 6, column 'votes': "  # the row replaced below is line 6 (index 4)

BAD: list[Case] = [
    # ---- vote values, in a whole election's table
    allocate_case(
        "negative-votes",
        csv_with(replace={4: "list,VE-S,GPP,PSUV,PSUV,GPP,-5"}),
        InvalidVotesError,
        ROW6 + r"'-5' is negative",
    ),
    allocate_case(
        "fractional-votes",
        csv_with(replace={4: "list,VE-S,GPP,PSUV,PSUV,GPP,5.5"}),
        InvalidVotesError,
        ROW6 + r"'5\.5' is not a whole number",
    ),
    allocate_case(
        "nan-votes",
        csv_with(replace={4: "list,VE-S,GPP,PSUV,PSUV,GPP,NaN"}),
        InvalidVotesError,
        ROW6 + r"'NaN' is not a number",
    ),
    allocate_case(
        "infinite-votes",
        csv_with(replace={4: "list,VE-S,GPP,PSUV,PSUV,GPP,inf"}),
        InvalidVotesError,
        ROW6 + r"'inf' is infinite",
    ),
    allocate_case(
        "empty-votes",
        csv_with(replace={4: "list,VE-S,GPP,PSUV,PSUV,GPP,"}),
        InvalidVotesError,
        ROW6 + r"empty value.*write 0 for none",
    ),
    allocate_case(
        "non-numeric-votes",
        csv_with(replace={4: "list,VE-S,GPP,PSUV,PSUV,GPP,many"}),
        InvalidVotesError,
        ROW6 + r"'many' is not a number",
    ),
    allocate_case(
        "huge-votes",
        csv_with(replace={4: "list,VE-S,GPP,PSUV,PSUV,GPP,99999999999999999999"}),
        InvalidVotesError,
        ROW6 + r"'99999999999999999999' is too large",
    ),
    allocate_case(
        "spanish-thousands",
        csv_with(replace={4: "list,VE-S,GPP,PSUV,PSUV,GPP,4.317.819"}),
        InvalidVotesError,
        ROW6 + r"'4\.317\.819' looks like .*thousands separators.*--thousands \.",
    ),
    allocate_case(
        "ambiguous-decimal-or-thousands",
        csv_with(replace={4: "list,VE-S,GPP,PSUV,PSUV,GPP,52.000"}),
        InvalidVotesError,
        ROW6 + r"'52\.000' is ambiguous: 52 if '\.' is a decimal point, 52000 if it separates thousands; "
        r"pass thousands='\.' \(CLI --thousands \.\)",
    ),
    allocate_case(
        "bad-votes-counted",
        csv_with(replace={4: "list,VE-S,GPP,PSUV,PSUV,GPP,x", 5: "list,VE-S,GPP,PCV,PSUV,GPP,y"}),
        InvalidVotesError,
        ROW6 + r"'x' is not a number.*\(1 more bad value in this column\)",
    ),
    # ---- the table against the rule set
    allocate_case(
        "duplicated-row",
        csv_with(add=["list,VE-V,PV,PV,PV,PV,5"]),
        VoteTableError,
        r"votes\.csv, line 14: duplicate row for tier 'list', district 'VE-V', option 'PV', "
        r"card 'PV' \(same as line 13\)",
    ),
    allocate_case(
        "unknown-tier",
        csv_with(add=["lista,VE-S,X,X,X,X,1"]),
        VoteTableError,
        r"votes\.csv, line 14: unknown tier 'lista' \(did you mean 'list'\?\)",
    ),
    allocate_case(
        "unknown-district",
        csv_with(add=["list,VE-Q,X,X,X,X,1"]),
        VoteTableError,
        r"votes\.csv, line 14: unknown district 'VE-Q' in tier 'list'",
    ),
    allocate_case(
        "votes-for-derived-tier",
        csv_with(add=["national,VE,X,X,X,X,1"]),
        VoteTableError,
        r"votes\.csv, line 14: tier 'national' sums another tier's votes; it takes no votes",
    ),
    allocate_case(
        "district-without-votes",
        csv_with(keep=lambda r: ",VE-V," not in r),
        VoteTableError,
        r"votes\.csv: district 'VE-V' of tier 'list' elects 3 but has no votes",
    ),
    allocate_case(
        "option-in-two-parties",
        csv_with(add=["list,VE-V,GPP,MRT,MRT,GPP,10"]),
        VoteTableError,
        r"votes\.csv, line 14: option 'GPP' belongs to party 'MRT' here but 'PSUV' on line 6",
    ),
    allocate_case(
        "empty-option",
        csv_with(add=["list,VE-V,,MRT,MRT,GPP,10"]),
        VoteTableError,
        r"votes\.csv, line 14: empty 'option'",
    ),
    allocate_case(
        "empty-tier", csv_with(add=[",VE-V,X,X,X,X,10"]), VoteTableError, r"votes\.csv, line 14: empty 'tier'"
    ),
    allocate_case(
        "district-with-only-zero-votes",
        csv_with(
            replace={
                0: "nominal,VE-S-1,Táchira GPP,PSUV,PSUV,GPP,0",
                1: "nominal,VE-S-1,Táchira AD,AD,AD,Alianza Democrática,0",
            }
        ),
        InvalidSeatsError,
        r"tier 'nominal', district 'VE-S-1': 1 seats to fill but only 0 candidates",
    ),
    allocate_case(
        "tie-decides-a-seat",
        csv_with(replace={1: "nominal,VE-S-1,Táchira AD,AD,AD,Alianza Democrática,61000"}),
        TieError,
        r"tier 'nominal', district 'VE-S-1': tie for seat 1 between Táchira GPP, Táchira AD "
        r"\(61000 votes each\)",
    ),
    scenario_case("unknown-option", "option=NOPE", r"no votes match option 'NOPE'"),
    scenario_case("unknown-card", "card=PSUV", r"no votes match 'card=PSUV' \(did you mean 'PSUV'\?\)"),
    # ---- files that are not vote tables
    allocate_case("empty-file", lambda: b"", InputFileError, r"votes\.csv: the file is empty"),
    allocate_case(
        "blank-lines-only", lambda: b"\n\r\n  \n", InputFileError, r"votes\.csv: the file is empty"
    ),
    allocate_case(
        "header-only", lambda: HEADER.encode(), InputFileError, r"votes\.csv: no data rows, only the header"
    ),
    allocate_case(
        "missing-column",
        lambda: b"tier,district,option,vote\nlist,VE-S,GPP,1\n",
        VoteTableError,
        r"votes\.csv, line 1: missing column 'votes' \(did you mean 'vote'\?\); found 'tier', ",
    ),
    allocate_case(
        "ragged-row",
        csv_with(add=["list,VE-V,X,1"]),
        InputFileError,
        r"votes\.csv, line 14: 4 field\(s\) but the header \(line 1\) has 7",
    ),
    allocate_case(
        "unquoted-delimiter",
        csv_with(add=["list,VE-V,X,Y,Z,W,1,000"]),
        InputFileError,
        r"votes\.csv, line 14: 8 fields but the header \(line 1\) has 7; a value containing ',' must",
    ),
    allocate_case(
        "nul-byte",
        lambda: csv_with()().replace(b"PV,PV", b"P\x00V,PV", 1),
        InputFileError,
        r"votes\.csv: looks like a binary file",
    ),
    allocate_case(
        "json-not-a-list",
        lambda: b'"tier,district,option,votes"',
        InputFileError,
        r"votes\.json: expected a list of records or an object, found str",
        name="votes.json",
    ),
    allocate_case(
        "json-list-of-numbers",
        lambda: b"[1, 2]",
        InputFileError,
        r"votes\.json, row 1: expected an object \(a record\), found int 1",
        name="votes.json",
    ),
    allocate_case(
        "json-malformed",
        lambda: b'[{"tier": "list",\n "votes": }]',
        InputFileError,
        r"votes\.json, line 2: malformed JSON",
        name="votes.json",
    ),
    allocate_case(
        "json-boolean-votes",
        lambda: b'[{"tier": "list", "district": "VE-S", "option": "A", "votes": true}]',
        InvalidVotesError,
        r"votes\.json, row 1, column 'votes': True is not a number",
        name="votes.json",
    ),
    allocate_case(
        "parquet-float-votes",
        parquet_bytes(
            pl.DataFrame(
                {
                    "tier": ["list", "list"],
                    "district": ["VE-S", "VE-S"],
                    "option": ["A", "B"],
                    "votes": [3.0, 1.5],
                }
            )
        ),
        InvalidVotesError,
        r"votes\.parquet, row 2, column 'votes': 1\.5 is not a whole number",
        name="votes.parquet",
    ),
    allocate_case(
        "json-huge-int",
        lambda: (
            b'[{"tier": "list", "district": "VE-S", "option": "A", "votes": 100000000000000000000000000}]'
        ),
        InvalidVotesError,
        r"votes\.json, row 1, column 'votes': 100000000000000000000000000 is too large for a vote count",
        name="votes.json",
    ),
    allocate_case(
        "parquet-uint64-beyond-int64",
        parquet_bytes(
            pl.DataFrame(
                {
                    "tier": ["list"] * 2,
                    "district": ["VE-S"] * 2,
                    "option": ["A", "B"],
                    "votes": [7, 2**64 - 1],
                },
                schema_overrides={"votes": pl.UInt64},
            )
        ),
        InvalidVotesError,
        r"votes\.parquet, row 2, column 'votes': 18446744073709551615 is too large for a vote count",
        name="votes.parquet",
    ),
    allocate_case(
        "parquet-garbage",
        lambda: b"PAR1 this is not parquet PAR1",
        InputFileError,
        r"votes\.parquet: not a readable Parquet file",
        name="votes.parquet",
    ),
    allocate_case(
        "excel-file",
        lambda: b"PK\x03\x04 spreadsheet",
        InputFileError,
        r"votes\.xlsx: cannot tell the format from the extension '\.xlsx'.*save it as CSV",
        name="votes.xlsx",
    ),
    Case(
        "directory-not-file",
        {"votes.csv/inner.txt": lambda: b"x"},
        lambda d: read_vote_table(d / "votes.csv"),
        lambda d: ["allocate", str(RULESET), "--votes", str(d / "votes.csv")],
        InputFileError,
        r"votes\.csv: is a directory, not a file",
        exit_code=2,
        cli_match=r"Invalid value for '--votes': File '.*votes\.csv' is a directory",
    ),
    Case(
        "missing-file",
        {},
        lambda d: read_vote_table(d / "votes.csv"),
        lambda d: ["apportion", "-s", "3", str(d / "votes.csv")],
        InputFileError,
        r"votes\.csv: no such file",
        exit_code=2,
        cli_match=r"Invalid value for 'VOTES': File '.*votes\.csv' does not exist",
    ),
    Case(
        "unreadable-file",
        {"votes.csv": csv_with()},
        lambda d: seats.load_ruleset(RULESET).allocate(d / "votes.csv"),
        lambda d: ["allocate", str(RULESET), "--votes", str(d / "votes.csv")],
        InputFileError,
        r"votes\.csv: cannot read it \(Permission denied\)",
        setup=_unreadable,
    ),
    # ---- one table of party votes (seats apportion)
    apportion_case(
        "apportion-negative",
        "party,votes\nA,100\nB,-80\n",
        InvalidVotesError,
        r"votes\.csv, line 3, column 'votes': '-80' is negative",
    ),
    apportion_case(
        "apportion-spanish-thousands",
        "party,votes\nGPP,4.317.819\nAD,1.101.816\n",
        InvalidVotesError,
        r"votes\.csv, line 2, column 'votes': '4\.317\.819'"
        r" looks like .*--thousands \.\) to accept it \(1 more bad value in this column\)",
    ),
    apportion_case(
        "apportion-decimal-comma",
        "party;votes\nGPP;4317819,0\nAD;80\n",
        InvalidVotesError,
        r"votes\.csv, line 2, column 'votes': '4317819,0' is not a whole number.*--decimal-comma",
    ),
    apportion_case(
        "apportion-decimal-comma-fraction",
        "party;votes\nGPP;100,5\nAD;80\n",
        InvalidVotesError,
        r"votes\.csv, line 2, column 'votes': '100,5' is not a whole number",
        decimal_comma=True,
    ),
    apportion_case(
        "apportion-malformed-groups",
        "party,votes\nGPP,4.31.819\nAD,80\n",
        InvalidVotesError,
        r"votes\.csv, line 2, column 'votes': '4\.31\.819' has malformed thousands groups",
        thousands=".",
    ),
    apportion_case(
        "apportion-duplicated-party",
        "party,votes\nA,100\nB,80\nA,5\n",
        VoteTableError,
        r"votes\.csv, line 4, column 'party': 'A' appears twice \(lines 2 and 4\)",
    ),
    apportion_case(
        "apportion-empty-party",
        "party,votes\nA,100\n,80\n",
        VoteTableError,
        r"votes\.csv, line 3, column 'party': empty party name \(votes 80\)",
    ),
    apportion_case(
        "apportion-missing-votes-column",
        "party,seats\nA,100\n",
        VoteTableError,
        r"votes\.csv, line 1: missing column 'votes'; found 'party', 'seats'",
    ),
    apportion_case(
        "apportion-negative-house",
        "party,votes\nA,100\nB,80\n",
        InvalidSeatsError,
        r"the number of seats must not be negative, got -3",
        house=-3,
    ),
    apportion_case(
        "apportion-unknown-method",
        "party,votes\nA,100\nB,80\n",
        UnknownMethodError,
        r"unknown method 'dhont' \(did you mean 'dhondt'",
        method="dhont",
    ),
    apportion_case(
        "apportion-bad-threshold",
        "party,votes\nA,100\nB,80\n",
        SeatsError,
        r"threshold must be between 0 and 1.*'150%'",
        threshold="150%",
    ),
    apportion_case(
        "apportion-all-zero",
        "party,votes\nA,0\nB,0\n",
        InvalidVotesError,
        r"no party has votes \(above the threshold\) to share 5 seats",
    ),
    apportion_case(
        "apportion-tie",
        "party,votes\nA,100\nB,100\n",
        TieError,
        r"tie for seat 1 between A, B \(A 100/1 = B 100/1\); choose a tie policy",
        house=1,
    ),
    apportion_case(
        "apportion-json-object-of-objects",
        '{"A": {"votes": 1}}',
        InputFileError,
        r"votes\.json: expected a list of records or an object of column lists, or an object "
        r"mapping party to votes",
        name="votes.json",
    ),
    # ---- rule sets
    ruleset_case(
        "ruleset-magnitudes-do-not-add-up",
        ruleset_text("seats = 5", "seats = 6"),
        RuleSetError,
        r"ruleset\.toml: tier 'list': the district magnitudes add up to 5, not the declared seats = 6",
    ),
    ruleset_case(
        "ruleset-total-does-not-add-up",
        ruleset_text("total_seats = 9", "total_seats = 10"),
        RuleSetError,
        r"ruleset\.toml: total_seats = 10 but the tiers add up to 9 \(nominal 2 \+ ",
    ),
    ruleset_case(
        "ruleset-negative-magnitude",
        ruleset_text(
            '{ id = "VE-S", name = "Táchira", seats = 2 }', '{ id = "VE-S", name = "Táchira", seats = -2 }'
        ),
        RuleSetError,
        r"ruleset\.toml: tier 'list' districts entry 1 field 'seats': must not be "
        r"negative, got -2",
    ),
    ruleset_case(
        "ruleset-unknown-method",
        ruleset_text('method = "dhondt"', 'method = "dhont"'),
        RuleSetError,
        r"ruleset\.toml: tier 'list' field 'method': unknown method 'dhont' \(did you mean 'dhondt'",
    ),
    ruleset_case(
        "ruleset-link-cycle",
        ruleset_text(
            'kind = "list"\nmethod = "dhondt"\nseats = 5',
            'kind = "derived"\nsource = "national"\nmethod = "dhondt"\nseats = 5',
        ),
        RuleSetError,
        r"ruleset\.toml: tiers depend on each other in a cycle: "
        r"(list -> national -> list|national -> list -> national)",
    ),
    ruleset_case(
        "ruleset-unknown-field",
        ruleset_text("ties = ", "tie = "),
        RuleSetError,
        r"ruleset\.toml: unknown field 'tie' \(did you mean 'ties', 'tier'\?\)",
    ),
    ruleset_case(
        "ruleset-not-toml", lambda: b"id = \n[[tier]\n", RuleSetError, r"ruleset\.toml: not valid TOML"
    ),
    ruleset_case(
        "ruleset-latin1",
        lambda: ruleset_text()().decode().encode("latin-1"),
        RuleSetError,
        r"ruleset\.toml: not UTF-8",
    ),
    # ---- overrides
    ruleset_case(
        "override-unknown-key",
        ruleset_text(),
        RuleSetError,
        r"ruleset\.toml: override 'nonsense' names no field of the rule set",
        sets=[("nonsense", "1")],
    ),
    ruleset_case(
        "override-unknown-tier",
        ruleset_text(),
        RuleSetError,
        r"ruleset\.toml: override 'tiers\.lists\.method': no tier 'lists' \(did you mean 'list'\?\)",
        sets=[("tiers.lists.method", "hare")],
    ),
    ruleset_case(
        "override-unknown-tier-field",
        ruleset_text(),
        RuleSetError,
        r"override 'tiers\.list\.formula': unknown tier field 'formula'",
        sets=[("tiers.list.formula", "hare")],
    ),
    ruleset_case(
        "override-unknown-district",
        ruleset_text(),
        RuleSetError,
        r"tier 'list': override names unknown district 'VE-Q'",
        sets=[("tiers.list.districts.VE-Q.seats", "1")],
    ),
    ruleset_case(
        "override-negative-house",
        ruleset_text(),
        RuleSetError,
        r"tier 'list' districts entry 1 field 'seats': must not be negative, got -1",
        sets=[("tiers.list.districts.VE-S.seats", "-1")],
    ),
    ruleset_case(
        "override-unknown-tie-policy",
        ruleset_text(),
        RuleSetError,
        r"ruleset\.toml field 'ties': unknown tie policy 'coin'",
        sets=[("ties", "coin")],
    ),
    ruleset_case(
        "override-unknown-link",
        ruleset_text(),
        RuleSetError,
        r"override 'links\.3\.kind': no link number '3' \(there are 1\)",
        sets=[("links.3.kind", "subtract")],
    ),
    Case(
        "unknown-ruleset-id",
        {},
        lambda d: seats.load_ruleset("ve-2020-na"),
        lambda d: ["allocate", "ve-2020-na"],
        RuleSetError,
        r"unknown rule set 've-2020-na' \(did you mean 've-2020-an'",
    ),
]


def _materialise(case: Case, d: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, make in case.files.items():
        path = d / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make())
    if case.setup is not None:
        case.setup(d, monkeypatch)


def test_catalogue_is_large_and_distinct() -> None:
    ids = [c.id for c in BAD]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 30


@pytest.mark.parametrize("case", BAD, ids=[c.id for c in BAD])
def test_library_raises_documented_error(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _materialise(case, tmp_path, monkeypatch)
    with pytest.raises(case.error, match=case.match) as info:
        case.library(tmp_path)
    assert isinstance(info.value, SeatsError) and isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)


def _one_error_line(result: Result) -> str:
    """The single ``Error:`` line on stderr; fails on tracebacks, extra errors or a zero exit."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.mark.parametrize("case", BAD, ids=[c.id for c in BAD])
def test_cli_one_line_and_exit_code(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _materialise(case, tmp_path, monkeypatch)
    result = CliRunner().invoke(main, case.argv(tmp_path))
    line = _one_error_line(result)
    assert result.exit_code == case.exit_code, result.output
    assert re.search(case.cli_match or case.match, line), line
    if case.exit_code == 1:  # a library error: that one line is all there is
        assert result.stderr.strip() == line
        assert result.stdout == ""


@pytest.mark.parametrize("case_id", ["negative-votes", "ruleset-link-cycle", "parquet-float-votes"])
def test_real_process_prints_no_traceback(
    case_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console script itself (not click's test runner): one line on stderr, exit code 1."""
    case = next(c for c in BAD if c.id == case_id)
    _materialise(case, tmp_path, monkeypatch)
    proc = subprocess.run(
        [sys.executable, "-c", "from seats.cli import main; main()", *case.argv(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("Error: ")
    assert re.search(case.match, proc.stderr)


# ---------------------------------------------------------------- valid, if unusual, inputs


def _table(result: Result) -> pl.DataFrame:
    assert result.exit_code == 0, result.output
    return pl.read_csv(io.StringIO(result.stdout))


@pytest.mark.parametrize(
    ("encode", "newline"),
    [
        (lambda s: s.encode("latin-1"), "\n"),
        (lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"), "\n"),
        (lambda s: s.encode("utf-8"), "\r"),
        (lambda s: s.encode("cp1252"), "\r\n"),
        (lambda s: s.encode("utf-16"), "\n"),
    ],
    ids=["latin-1", "utf-8-bom", "cr-only", "cp1252-crlf", "utf-16"],
)
def test_encodings_and_line_endings_keep_names(
    tmp_path: Path, encode: Callable[[str], bytes], newline: str
) -> None:
    text = (DATA / "votes.csv").read_text(encoding="utf-8").replace("\n", newline)
    path = tmp_path / "votes.csv"
    path.write_bytes(encode(text))
    expected = seats.load_ruleset(RULESET).allocate(DATA / "votes.csv").by("option")
    got = seats.load_ruleset(RULESET).allocate(path).by("option")
    assert got.equals(expected)
    assert "Táchira GPP" in got["option"].to_list()
    assert "Alianza Democrática" in got["alliance"].to_list()
    cli = _table(
        CliRunner().invoke(
            main, ["allocate", str(RULESET), "--votes", str(path), "--by", "option", "--format", "csv"]
        )
    )
    assert cli.equals(expected.select(cli.columns).cast(cli.schema))
    frame = read_vote_table(path)
    assert frame["district"].to_list()[:2] == ["VE-S-1", "VE-S-1"]
    assert frame["_line"].to_list() == list(range(2, 14))


def test_latin1_party_names_through_apportion(tmp_path: Path) -> None:
    path = tmp_path / "votes.csv"
    path.write_bytes("party;votes\nTáchira Unida;300\nMérida Sí;100\n".encode("latin-1"))
    assert read_party_votes(path) == {"Táchira Unida": 300, "Mérida Sí": 100}
    out = _table(CliRunner().invoke(main, ["apportion", "-s", "4", str(path), "--format", "csv"]))
    assert out.select("party", "seats").rows() == [("Táchira Unida", 3), ("Mérida Sí", 1)]


@pytest.mark.parametrize(
    ("content", "option", "value"),
    [
        ("party,votes\nGPP,4.317.819\nAD,1.101.816\n", ["--thousands", "."], {"thousands": "."}),
        ('party,votes\nGPP,"4,317,819"\nAD,"1,101,816"\n', ["--thousands", ","], {"thousands": ","}),
        ("party;votes\nGPP;4317819,0\nAD;1101816\n", ["--decimal-comma"], {"decimal_comma": True}),
        (
            "party;votes\nGPP;4.317.819,00\nAD;1.101.816\n",
            ["--thousands", ".", "--decimal-comma"],
            {"thousands": ".", "decimal_comma": True},
        ),
    ],
    ids=["thousands-dot", "thousands-comma", "decimal-comma-whole", "both"],
)
def test_spanish_numbers_accepted_when_asked(
    tmp_path: Path, content: str, option: list[str], value: dict[str, object]
) -> None:
    path = tmp_path / "votes.csv"
    path.write_text(content, encoding="utf-8")
    assert read_party_votes(path, **value) == {"GPP": 4_317_819, "AD": 1_101_816}  # type: ignore[arg-type]
    out = _table(CliRunner().invoke(main, ["apportion", "-s", "10", str(path), "--format", "csv", *option]))
    assert out.select("party", "votes", "seats").rows() == [("GPP", 4_317_819, 8), ("AD", 1_101_816, 2)]


@pytest.mark.parametrize(
    ("value", "option", "kwargs"),
    [
        ("52.000", ["--thousands", "."], {"thousands": "."}),
        ('"52,000"', ["--thousands", ","], {"thousands": ","}),
        ("52000,0", ["--decimal-comma"], {"decimal_comma": True}),
    ],
    ids=["thousands-dot", "thousands-comma", "decimal-comma"],
)
def test_spanish_numbers_in_a_whole_election(
    tmp_path: Path, value: str, option: list[str], kwargs: dict[str, object]
) -> None:
    path = tmp_path / "votes.csv"
    rows = base_rows()
    rows[4] = f"list,VE-S,GPP,PSUV,PSUV,GPP,{value}\n"
    text = HEADER + "".join(rows)
    if "decimal_comma" in kwargs:  # a decimal comma needs another delimiter
        text = text.replace(",", ";").replace("52000;0", "52000,0")
    path.write_text(text, encoding="utf-8")
    frame = read_vote_table(path, **kwargs)  # type: ignore[arg-type]
    assert frame["votes"][4] == 52_000
    expected = seats.load_ruleset(RULESET).allocate(DATA / "votes.csv").by("option")
    assert seats.load_ruleset(RULESET).allocate(frame).by("option").equals(expected)
    assert seats.load_ruleset(RULESET).allocate(path, **kwargs).by("option").equals(expected)  # type: ignore[arg-type]
    cli = CliRunner().invoke(
        main, ["allocate", str(RULESET), "--votes", str(path), "--by", "option", "--format", "csv", *option]
    )
    assert _table(cli).equals(expected.select(_table(cli).columns).cast(_table(cli).schema))
    without = CliRunner().invoke(main, ["allocate", str(RULESET), "--votes", str(path)])
    assert "line 6, column 'votes'" in _one_error_line(without)


def test_house_of_zero_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "votes.csv"
    path.write_text("party,votes\nA,100\nB,80\n", encoding="utf-8")
    alloc = seats.apportion(read_party_votes(path), 0)
    assert dict(alloc.seats) == {"A": 0, "B": 0}
    out = _table(CliRunner().invoke(main, ["apportion", "-s", "0", str(path), "--format", "csv"]))
    assert out["seats"].to_list() == [0, 0]
    # a district of magnitude 0 in a rule set: zero seats, and it needs no votes
    sets = ["tiers.list.districts.VE-S.seats=0", "tiers.list.seats=3", "total_seats=7"]
    res = seats.load_ruleset(RULESET, overrides=dict(s.split("=", 1) for s in sets)).allocate(
        pl.read_csv(DATA / "votes.csv").filter(pl.col("district") != "VE-S")
    )
    assert res.total == 7
    assert sum(res.tier("list").by("option")["seats"].to_list()) == 3
    cli = CliRunner().invoke(
        main, ["allocate", str(RULESET), *[f"--set={s}" for s in sets], "--by", "tier", "--format", "csv"]
    )
    assert _table(cli).select("tier", "seats").rows() == [("nominal", 2), ("list", 3), ("national", 2)]


def test_more_parties_than_seats_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "votes.csv"
    parties = {f"P{i:02d}": 1000 + 37 * i for i in range(40)}
    path.write_text("party,votes\n" + "".join(f"{p},{v}\n" for p, v in parties.items()), encoding="utf-8")
    alloc = seats.apportion(read_party_votes(path), 3)
    assert sum(alloc.seats.values()) == 3
    assert [p for p, s in alloc.seats.items() if s] == ["P37", "P38", "P39"]
    out = _table(CliRunner().invoke(main, ["apportion", "-s", "3", str(path), "--format", "csv"]))
    assert out.height == 40 and out["seats"].sum() == 3
