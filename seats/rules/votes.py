"""Checking a tidy vote table against a rule set and summing cards into options.

The table has one row per (tier, district, option, card) with columns ``tier``,
``district``, ``option``, ``votes`` and optional ``card``, ``party``, ``alliance``.
Without a ``party`` column each option is its own party; without ``alliance``
each party is its own alliance. Errors name the row's line and the bad value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from seats.errors import VoteTableError, close_matches
from seats.rules.model import RuleSet

__all__ = ["VoteData", "prepare_votes"]


@dataclass(frozen=True, slots=True)
class VoteData:
    """Votes per tier, district and option (cards summed), and each option's party and alliance."""

    votes: Mapping[str, Mapping[str, dict[str, int]]]
    options: Mapping[str, tuple[str, str]]


_LINE_FORMATS = (".csv", ".tsv", ".txt", ".tab", ".ndjson", ".jsonl")


def _unit(label: str) -> str:
    """``line`` for formats read line by line, ``row`` for Parquet, JSON and frames (as in seats.io)."""
    return "line" if label.lower().endswith(_LINE_FORMATS) else "row"


def _where(label: str, line: object) -> str:
    return f"{label}, {_unit(label)} {line}"


def prepare_votes(rs: RuleSet, frame: pl.DataFrame, label: str = "DataFrame") -> VoteData:
    """Validate ``frame`` (as returned by :func:`seats.io.read_vote_table`) against ``rs``.

    Checks that every tier and district is known, that every district that
    elects someone has votes, that no option is missing its party and that no
    option belongs to two parties or alliances; then sums each option's cards.
    Errors are :class:`~seats.errors.VoteTableError` naming ``label`` (the file),
    the line or row, and the value.

    >>> import polars as pl, seats
    >>> rs = seats.load_ruleset("ve-2020-an")
    >>> frame = pl.DataFrame({"tier": ["nominal"], "district": ["VE-W-1"], "option": ["A"], "votes": [1]})
    >>> prepare_votes(rs, frame)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    seats.errors.VoteTableError: DataFrame, row 1: unknown district 'VE-W-1' in tier 'nominal' ...
    """
    if "_line" not in frame.columns:
        frame = frame.with_row_index("_line", offset=1)
    if "party" not in frame.columns:
        frame = frame.with_columns(pl.col("option").alias("party"))
    if "alliance" not in frame.columns:
        frame = frame.with_columns(pl.col("party").alias("alliance"))
    frame = frame.with_columns(
        pl.col("party").cast(pl.Utf8).str.strip_chars(),
        pl.col("alliance").cast(pl.Utf8).str.strip_chars(),
    ).with_columns(
        pl.when(pl.col("alliance").is_null() | (pl.col("alliance") == ""))
        .then(pl.col("party"))
        .otherwise(pl.col("alliance"))
        .alias("alliance")
    )
    for col in ("tier", "district", "option", "party"):
        bad = frame.filter(pl.col(col).is_null() | (pl.col(col).cast(pl.Utf8).str.strip_chars() == ""))
        if bad.height:
            line = bad["_line"][0]
            what = "option without a party" if col == "party" else f"empty {col!r}"
            raise VoteTableError(f"{_where(label, line)}: {what} (option {bad['option'][0]!r})")

    tiers = {t.id: t for t in rs.tiers}
    voting = [t.id for t in rs.tiers if t.has_votes]
    for tier_id, line in frame.group_by("tier", maintain_order=True).agg(pl.col("_line").first()).iter_rows():
        if tier_id not in tiers:
            hint = close_matches(tier_id, voting)
            raise VoteTableError(f"{_where(label, line)}: unknown tier {tier_id!r}{hint}"
                                 f"; rule set {rs.id!r} takes votes for {', '.join(voting)}")
        if not tiers[tier_id].has_votes:
            why = ("sums another tier's votes" if tiers[tier_id].kind == "derived"
                   else "has its results given by the rule set")
            raise VoteTableError(f"{_where(label, line)}: tier {tier_id!r} {why}; it takes no votes")
    pairs = frame.group_by(["tier", "district"], maintain_order=True).agg(pl.col("_line").first())
    known_ids = {t.id: frozenset(t.district_ids) for t in rs.tiers}
    for tier_id, district, line in pairs.iter_rows():
        if district not in known_ids[tier_id]:
            known = tiers[tier_id].district_ids
            raise VoteTableError(f"{_where(label, line)}: unknown district {district!r} in tier {tier_id!r}"
                                 f"{close_matches(district, list(known))}")
    present = {(t, d) for t, d, _ in pairs.iter_rows()}
    for tier_id in voting:
        for d in tiers[tier_id].districts:
            if d.seats > 0 and (tier_id, d.id) not in present:
                raise VoteTableError(f"{label}: district {d.id!r} of tier {tier_id!r} elects {d.seats} "
                                     "but has no votes in the table")
    info = frame.group_by("option", maintain_order=True).agg(
        pl.col("party").n_unique().alias("np"),
        pl.col("alliance").n_unique().alias("na"),
        pl.col("party").first(),
        pl.col("alliance").first(),
    )
    mixed = info.filter((pl.col("np") > 1) | (pl.col("na") > 1))
    if mixed.height:  # the rows of the first such option, gathered only when there is one
        option, np_ = mixed["option"][0], mixed["np"][0]
        rows = frame.filter(pl.col("option") == option)
        field = "party" if np_ > 1 else "alliance"
        values, lines = rows[field].to_list(), rows["_line"].to_list()
        other = next(i for i, v in enumerate(values) if v != values[0])
        raise VoteTableError(
            f"{_where(label, lines[other])}: option {option!r} belongs to {field} {values[other]!r} "
            f"here but {values[0]!r} on {_unit(label)} {lines[0]}; an option belongs to one party "
            "and one alliance"
        )
    options = {row[0]: (row[1], row[2]) for row in info.select("option", "party", "alliance").iter_rows()}
    return VoteData(_summed(frame), options)


def _same(name: Any) -> Any:
    return name


def _summed(frame: pl.DataFrame) -> dict[str, dict[str, dict[str, int]]]:
    """Votes per tier, district and option, cards summed, each in order of first appearance.

    One group per (tier, district) is built in polars and turned into a dict
    in one ``dict(zip(...))``; only a district where an option has several
    rows (cards) sums them in Python. Option names are shared, not one string
    per row, so memory stays proportional to the table and small.

    >>> import polars as pl
    >>> frame = pl.DataFrame({"tier": ["t"] * 3, "district": ["D"] * 3, "option": ["A", "B", "A"],
    ...                       "votes": [1, 2, 3]})
    >>> _summed(frame)
    {'t': {'D': {'A': 4, 'B': 2}}}
    """
    # each option as a small code into one list of its names: every district's dict then shares the
    # same name objects instead of a fresh string per row (a million rows, a few hundred names)
    lookup: Callable[[Any], Any] = _same  # names that are not text (a frame built by hand) stay as they are
    code = pl.col("option")
    if frame.schema["option"] == pl.String:
        names = frame["option"].unique(maintain_order=True)
        listed: list[Any] = names.to_list()
        code, lookup = code.cast(pl.Enum(names)).to_physical(), listed.__getitem__
    groups = frame.group_by(["tier", "district"], maintain_order=True).agg(
        code.alias("_code"),
        pl.col("votes").fill_null(0).cast(pl.Int64),
        (pl.col("option").n_unique() < pl.len()).alias("cards"),
    )
    votes: dict[str, dict[str, dict[str, int]]] = {}
    for tier_id, district, codes, counts, cards in groups.iter_rows():
        if cards:
            summed: dict[str, int] = {}
            for name, count in zip(map(lookup, codes), counts, strict=True):
                summed[name] = summed.get(name, 0) + count
        else:
            summed = dict(zip(map(lookup, codes), counts, strict=True))
        votes.setdefault(tier_id, {})[district] = summed
    return votes
