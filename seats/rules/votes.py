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
    fast = _prepare_read(rs, frame)
    if fast is not None:
        return fast
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


#: The columns :func:`seats.io.read_vote_table` gives, with their types: then no step can fail in polars.
_READ_TYPES = {"tier": pl.String, "district": pl.String, "option": pl.String, "votes": pl.Int64}
_OPTIONAL_TYPES = {"party": pl.String, "alliance": pl.String, "_line": pl.Int64}


def _prepare_read(rs: RuleSet, frame: pl.DataFrame) -> VoteData | None:
    """:func:`prepare_votes` for a valid table as read, in one round of polars queries; else ``None``.

    Checks a table with the types :func:`seats.io.read_vote_table` gives
    (other frames return ``None`` at once) and builds the :class:`VoteData`
    as the step-by-step checks and :func:`_summed` do, but asks polars for
    everything at once: each option's parties and alliances, and each (tier,
    district)'s options and votes; blanks, unknown ids and missing districts
    are then looked for among these few distinct values. Whenever anything
    is wrong it returns ``None`` and does not say what: :func:`prepare_votes`
    then runs its checks one by one, which name the first problem as they
    always did.

    >>> import polars as pl, seats
    >>> rs = seats.load_ruleset("ve-2020-an")
    >>> _prepare_read(rs, pl.DataFrame({"tier": ["nominal"], "district": ["VE-W-1"], "option": ["A"],
    ...                                 "votes": [1]})) is None
    True
    """
    schema = frame.schema
    if any(schema.get(c) != t for c, t in _READ_TYPES.items()) or any(
        c in schema and schema[c] != t for c, t in _OPTIONAL_TYPES.items()
    ):
        return None
    names = frame["option"].unique(maintain_order=True)
    if names.null_count():
        return None
    party = pl.col("party").str.strip_chars() if "party" in schema else pl.col("option")
    alliance = pl.col("alliance").str.strip_chars() if "alliance" in schema else party
    alliance = pl.when(alliance.is_null() | (alliance == "")).then(party).otherwise(alliance)
    info, groups = pl.collect_all(
        [
            frame.lazy().group_by("option", maintain_order=True).agg(
                (party.n_unique() + alliance.n_unique()).alias("n"),
                party.first().alias("party"),
                alliance.first().alias("alliance"),
            ),
            frame.lazy().group_by("tier", "district", maintain_order=True).agg(
                *_per_district(pl.col("option").cast(pl.Enum(names)).to_physical())
            ),
        ],
        engine="in-memory",
    )
    if info["n"].max() != 2:  # an option with two parties or two alliances (or a null and a party)
        return None
    listed: list[str] = names.to_list()
    parties: list[str | None] = info["party"].to_list()
    tier_ids: list[str | None] = groups["tier"].to_list()
    districts: list[str | None] = groups["district"].to_list()
    # a blank value (null, or only spaces: str.strip() strips all that polars' strip_chars() does,
    # and more, so this errs on the side of the checks) is looked for among the distinct values only
    if any(v is None or not v.strip() for v in (*listed, *parties, *tier_ids, *districts)):
        return None
    known = {t.id: frozenset(t.district_ids) for t in rs.tiers if t.has_votes}
    present = set(zip(tier_ids, districts, strict=True))
    if any(district not in known.get(str(tier_id), ()) for tier_id, district in present):
        return None  # an unknown tier or district, or a tier that takes no votes
    for tier in rs.tiers:
        if tier.has_votes and any(d.seats > 0 and (tier.id, d.id) not in present for d in tier.districts):
            return None
    options = dict(zip(info["option"].to_list(), zip(parties, info["alliance"].to_list(), strict=True),
                       strict=True))
    return VoteData(_nested(groups, listed.__getitem__), options)


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
    groups = frame.group_by(["tier", "district"], maintain_order=True).agg(*_per_district(code))
    return _nested(groups, lookup)


def _per_district(code: pl.Expr) -> list[pl.Expr]:
    """What :func:`_nested` needs of each (tier, district): option codes, votes, whether cards repeat."""
    return [
        code.alias("_code"),
        pl.col("votes").fill_null(0).cast(pl.Int64),
        (pl.col("option").n_unique() < pl.len()).alias("cards"),
    ]


def _nested(groups: pl.DataFrame, lookup: Callable[[Any], Any]) -> dict[str, dict[str, dict[str, int]]]:
    """The groups of :func:`_per_district` as ``{tier: {district: {option: votes}}}``, cards summed."""
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
