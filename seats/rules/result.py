"""Results of a whole election: per district, per tier, and for the assembly.

>>> import seats
>>> res = seats.load_ruleset("ve-2020-an").allocate()
>>> res.total
277
>>> res.by("alliance").columns[:2]
['alliance', 'seats']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from seats.errors import SeatsError
from seats.results import Allocation, TieEvent

if TYPE_CHECKING:  # pragma: no cover
    from seats.methods.biproportional import BiproportionalAllocation
    from seats.rules.model import RuleSet, Tier

__all__ = ["LEVELS", "DistrictResult", "ElectionResult", "TierResult"]

LEVELS = ("alliance", "party", "option", "tier", "district")


@dataclass(frozen=True, slots=True)
class DistrictResult:
    """One district of one tier: the votes per option and the seats they won.

    ``allocation`` is the apportionment behind the seats (``None`` for seats
    given as results); after a ``subtract`` link it is the entitlement over
    the combined magnitude, and ``note`` says so. In a biproportional tier the
    district's seats are one row of the tier's joint allocation: ``allocation``
    is ``None``, ``note`` gives the district divisor, and the certificate is the
    tier's (:attr:`TierResult.biproportional`).
    """

    tier: str
    district: str
    magnitude: int
    votes: Mapping[str, int]
    seats: Mapping[str, int]
    allocation: Allocation | None
    excluded: tuple[str, ...] = ()
    note: str = ""

    @property
    def ties(self) -> tuple[TieEvent, ...]:
        """Ties that decided a seat in this district (empty for seats given as results).

        >>> DistrictResult("list", "N", 2, {"A": 5, "B": 3}, {"A": 1, "B": 1}, None).ties
        ()
        """
        return self.allocation.ties if self.allocation is not None else ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data: tier, district, magnitude, votes and seats per option, exclusions, note, ties.

        >>> DistrictResult("list", "N", 2, {"A": 5, "B": 3}, {"A": 1, "B": 1}, None).to_dict()["seats"]
        {'A': 1, 'B': 1}
        """
        return {
            "tier": self.tier,
            "district": self.district,
            "magnitude": self.magnitude,
            "votes": dict(self.votes),
            "seats": dict(self.seats),
            "excluded": list(self.excluded),
            "note": self.note,
            "ties": [e.to_dict() for e in self.ties],
        }


_LONG = {"tier": pl.Utf8, "district": pl.Utf8, "option": pl.Utf8, "party": pl.Utf8, "alliance": pl.Utf8,
         "votes": pl.Int64, "seats": pl.Int64}


class _Columns:
    """The long table of some district results, column by column.

    A district's rows are its options in ``dict.fromkeys([*votes, *seats])``
    order; each row's votes (``None`` for an option with seats but no votes)
    and seats (0 when not listed). Options are coded once: ``names`` holds each
    distinct option, ``codes`` the option of every row, and districts listing
    the same options in the same order (a parish-level table's thousands) share
    one code array, their layout (``layouts``, and ``layout_of`` per district).
    Text columns are gathered from these small lists by index
    (polars, not Python, repeats them row by row); votes and seats are Python
    lists extended a district at a time, so they reach polars as before.
    """

    __slots__ = ("codes", "counts", "districts", "layout_of", "layouts", "names", "options", "seats", "tiers",
                 "votes")

    def __init__(self, rows: Sequence[DistrictResult], options: Mapping[str, tuple[str, str]]) -> None:
        index: dict[str, int] = {}
        known: dict[tuple[str, ...], int] = {}
        layouts: list[np.ndarray] = []  # the option codes of each distinct option order
        layout_of: list[int] = []  # each district's
        votes: list[int | None] = []
        seats: list[int] = []
        last: tuple[str, ...] | None = None
        at = -1
        for d in rows:
            v, s = d.votes, d.seats
            opts = tuple(v)
            named = tuple(s)
            if named == opts:  # the usual case: a seat count for every option with votes, in their order
                votes.extend(v.values())
                seats.extend(s.values())
            else:
                if not s.keys() <= v.keys():  # seats given as results (no votes), or seats without votes
                    opts = tuple(dict.fromkeys([*v, *s]))
                votes.extend(map(v.get, opts))
                seats.extend(map(s.get, opts, repeat(0)))
            if opts != last:  # neighbours usually list the same options (cheap: the same string objects)
                found = known.get(opts)
                if found is None:
                    found = known[opts] = len(layouts)
                    layouts.append(np.fromiter((index.setdefault(o, len(index)) for o in opts), np.int64,
                                               len(opts)))
                last, at = opts, found
            layout_of.append(at)
        self.tiers = [d.tier for d in rows]
        self.districts = [d.district for d in rows]
        self.layouts = layouts
        self.layout_of = np.array(layout_of, dtype=np.int64)
        sizes = np.array([len(codes) for codes in layouts], dtype=np.int64)
        self.counts = sizes[self.layout_of] if layout_of else np.zeros(0, dtype=np.int64)
        self.codes = (np.concatenate([layouts[i] for i in layout_of]) if layout_of
                      else np.zeros(0, dtype=np.int64))
        self.names = list(index)
        self.options = [options.get(o, (o, o)) for o in self.names]
        self.votes = votes
        self.seats = seats

    def district_of_row(self) -> np.ndarray:
        """Each row's district, as its position in ``rows``."""
        return np.repeat(np.arange(len(self.counts), dtype=np.int64), self.counts)

    def option_text(self, codes: np.ndarray | pl.Series) -> dict[str, pl.Series]:
        """The option, party and alliance of each code in ``codes``."""
        return {
            "option": pl.Series(self.names, dtype=pl.Utf8).gather(codes),
            "party": pl.Series([p for p, _ in self.options], dtype=pl.Utf8).gather(codes),
            "alliance": pl.Series([a for _, a in self.options], dtype=pl.Utf8).gather(codes),
        }

    def frame(self) -> pl.DataFrame:
        """The long table: tier, district, option, party, alliance, votes, seats."""
        which = self.district_of_row()
        return pl.DataFrame(
            {
                "tier": pl.Series(self.tiers, dtype=pl.Utf8).gather(which),
                "district": pl.Series(self.districts, dtype=pl.Utf8).gather(which),
                **self.option_text(self.codes),
                "votes": pl.Series(self.votes, dtype=pl.Int64),
                "seats": pl.Series(self.seats, dtype=pl.Int64),
            },
            schema=_LONG,
        )

    def seats_by_tier_and_option(self) -> pl.DataFrame:
        """Seats summed per (tier, option): the long table's columns, one row per pair, in no set order.

        Every roll-up by alliance, party or option groups whole (tier, option)
        pairs, so it gives from these few rows what it gives from every row.
        """
        tier_ids: dict[str, int] = {}
        tier_of = np.fromiter((tier_ids.setdefault(t, len(tier_ids)) for t in self.tiers), np.int64,
                              len(self.tiers))
        summed = (
            pl.DataFrame({"t": np.repeat(tier_of, self.counts), "o": self.codes,
                          "seats": pl.Series(self.seats, dtype=pl.Int64)})
            .group_by(["t", "o"])
            .agg(pl.col("seats").sum())
        )
        return pl.DataFrame(
            {
                "tier": pl.Series(list(tier_ids), dtype=pl.Utf8).gather(summed["t"]),
                "district": pl.Series([None] * summed.height, dtype=pl.Utf8),
                **self.option_text(summed["o"]),
                "votes": pl.Series([None] * summed.height, dtype=pl.Int64),
                "seats": summed["seats"],
            },
            schema=_LONG,
        )

    def by_district(self) -> pl.DataFrame:
        """Votes and seats per (tier, district, alliance), in the long table's order, zero rows dropped.

        That order is the order of first appearance. When no (tier, district)
        comes twice, a district's rows are all its rows, so its groups are its
        alliances in the order they first appear among its options: worked out
        once per option order, and summed with integer numpy scatter-adds
        (``None`` votes count as nothing, as in a polars sum).
        """
        pairs: dict[tuple[str, str], int] = {}
        for key in zip(self.tiers, self.districts, strict=True):
            pairs.setdefault(key, len(pairs))
        alliance_ids: dict[str, int] = {}
        alliance_of = np.fromiter((alliance_ids.setdefault(a, len(alliance_ids)) for _, a in self.options),
                                  np.int64, len(self.options))
        votes = pl.Series(self.votes, dtype=pl.Int64)
        seats = pl.Series(self.seats, dtype=pl.Int64)
        if len(pairs) < len(self.tiers):  # a (tier, district) twice: only a result built by hand
            pair_of = np.array([pairs[key] for key in zip(self.tiers, self.districts, strict=True)],
                               dtype=np.int64)
            summed = (
                pl.DataFrame({"k": np.repeat(pair_of, self.counts), "a": alliance_of[self.codes],
                              "votes": votes, "seats": seats})
                .group_by(["k", "a"], maintain_order=True)
                .agg(pl.col("votes").sum(), pl.col("seats").sum())
            )
            k, a = summed["k"].to_numpy(), summed["a"].to_numpy()
            vote_sums, seat_sums = summed["votes"].to_numpy(), summed["seats"].to_numpy()
        else:
            local: list[np.ndarray] = []  # each layout's rows: their group, numbered in order of appearance
            groups: list[np.ndarray] = []  # each layout's groups: their alliance
            for codes in self.layouts:
                alliances = alliance_of[codes]
                distinct, first, inverse = np.unique(alliances, return_index=True, return_inverse=True)
                rank = np.empty(len(distinct), dtype=np.int64)
                rank[np.argsort(first, kind="stable")] = np.arange(len(distinct))
                local.append(rank[inverse.reshape(-1)])
                groups.append(distinct[np.argsort(first, kind="stable")])
            per = np.array([len(g) for g in groups], dtype=np.int64)[self.layout_of]
            starts = np.cumsum(per) - per
            n_groups = int(per.sum())
            group = (np.repeat(starts, self.counts)
                     + (np.concatenate([local[i] for i in self.layout_of]) if len(self.layout_of)
                        else np.zeros(0, dtype=np.int64)))
            vote_sums = np.zeros(n_groups, dtype=np.int64)
            seat_sums = np.zeros(n_groups, dtype=np.int64)
            np.add.at(vote_sums, group, votes.fill_null(0).to_numpy())
            np.add.at(seat_sums, group, seats.to_numpy())
            k = np.repeat(np.arange(len(per), dtype=np.int64), per)
            a = (np.concatenate([groups[i] for i in self.layout_of]) if len(self.layout_of)
                 else np.zeros(0, dtype=np.int64))
        keep = (seat_sums > 0) | (vote_sums > 0)
        keys = list(pairs)
        return pl.DataFrame(
            {
                "tier": pl.Series([t for t, _ in keys], dtype=pl.Utf8).gather(k[keep]),
                "district": pl.Series([d for _, d in keys], dtype=pl.Utf8).gather(k[keep]),
                "alliance": pl.Series(list(alliance_ids), dtype=pl.Utf8).gather(a[keep]),
                "votes": pl.Series(vote_sums[keep], dtype=pl.Int64),
                "seats": pl.Series(seat_sums[keep], dtype=pl.Int64),
            }
        )


def _long(rows: Sequence[DistrictResult], options: Mapping[str, tuple[str, str]]) -> pl.DataFrame:
    return _Columns(rows, options).frame()


def _rollup(long: pl.DataFrame, level: str, tiers: list[str]) -> pl.DataFrame:
    keys = {"party": ["party", "alliance"], "option": ["option", "party", "alliance"]}.get(level, [level])
    wide = (
        long.group_by([*keys, "tier"])
        .agg(pl.col("seats").sum())
        .pivot(on="tier", index=keys, values="seats")
        .fill_null(0)
    )
    for t in tiers:
        if t not in wide.columns:
            wide = wide.with_columns(pl.lit(0, dtype=pl.Int64).alias(t))
    wide = wide.with_columns(pl.sum_horizontal([pl.col(t) for t in tiers]).alias("seats"))
    ordered = [keys[0], "seats", *keys[1:], *tiers]
    # every key column breaks ties (a party in two alliances has two rows): the order never
    # depends on the unordered group_by above
    return wide.select(ordered).sort(["seats", *keys], descending=[True, *[False] * len(keys)])


@dataclass(frozen=True, slots=True)
class TierResult:
    """One tier's seats in every district.

    ``biproportional`` is the joint allocation of a tier whose method is
    ``"biproportional"`` (both divisor vectors, ``verify()``, ``explain()``), and
    ``None`` for a tier allocated district by district.
    """

    tier: Tier
    districts: tuple[DistrictResult, ...]
    options: Mapping[str, tuple[str, str]]
    biproportional: BiproportionalAllocation | None = None

    @property
    def id(self) -> str:
        """The tier's id.

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").allocate().tiers[0].id
        'nominal'
        """
        return self.tier.id

    @property
    def total(self) -> int:
        """Seats filled in this tier (its magnitude).

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").allocate().tier("national-list").total
        48
        """
        return sum(sum(d.seats.values()) for d in self.districts)

    @property
    def ties(self) -> tuple[TieEvent, ...]:
        """Every tie that decided a seat in this tier, district by district (or of its joint allocation).

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").allocate().tier("state-list").ties
        ()
        """
        joint = self.biproportional.ties if self.biproportional is not None else ()
        return (*joint, *(t for d in self.districts for t in d.ties))

    def district(self, district_id: str) -> DistrictResult:
        """One district's result.

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").allocate().tier("national-list").district("VE").magnitude
        48
        """
        for d in self.districts:
            if d.district == district_id:
                return d
        raise SeatsError(f"tier {self.id!r} has no district {district_id!r}")

    def to_polars(self) -> pl.DataFrame:
        """Long table: tier, district, option, party, alliance, votes, seats.

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").allocate().tier("nominal").to_polars().columns[:3]
        ['tier', 'district', 'option']
        """
        return _long(self.districts, self.options)

    def by(self, level: str = "alliance") -> pl.DataFrame:
        """Seats rolled up to ``alliance``, ``party``, ``option``, ``tier`` or ``district``.

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").allocate().tier("national-list").by("alliance")["seats"].sum()
        48
        """
        return _by(self.districts, self.options, level, [self.id], {self.id: self.tier})

    def to_dict(self) -> dict[str, Any]:
        """Plain data: the tier's id, kind, method, seats, and each district's ``to_dict()``.

        A biproportional tier adds its rounding and its joint allocation (``biproportional``).

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").allocate().tier("indigenous").to_dict()["seats"]
        3
        """
        out: dict[str, Any] = {
            "tier": self.id,
            "kind": self.tier.kind,
            "method": self.tier.method,
            "seats": self.total,
            "districts": [d.to_dict() for d in self.districts],
        }
        if self.biproportional is not None:
            out["rounding"] = self.tier.rounding
            out["biproportional"] = self.biproportional.to_dict()
        return out


def _by(rows: Sequence[DistrictResult], options: Mapping[str, tuple[str, str]], level: str, tiers: list[str],
        meta: Mapping[str, Tier]) -> pl.DataFrame:
    if level not in LEVELS:
        raise SeatsError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    if level == "tier":
        seats_of: dict[str, int] = {}
        for d in rows:
            seats_of[d.tier] = seats_of.get(d.tier, 0) + sum(d.seats.values())
        return pl.DataFrame(
            {
                "tier": tiers,
                "kind": [meta[t].kind for t in tiers],
                "method": [meta[t].method for t in tiers],
                "seats": [int(seats_of.get(t, 0)) for t in tiers],
                "districts": [len(meta[t].districts) for t in tiers],
            },
            schema={"tier": pl.Utf8, "kind": pl.Utf8, "method": pl.Utf8, "seats": pl.Int64,
                    "districts": pl.Int64},
        )
    columns = _Columns(rows, options)
    if level == "district":
        return columns.by_district()
    return _rollup(columns.seats_by_tier_and_option(), level, tiers)


@dataclass(frozen=True, slots=True)
class ElectionResult:
    """The whole assembly: every tier's result under one rule set."""

    ruleset: RuleSet
    tiers: tuple[TierResult, ...]
    options: Mapping[str, tuple[str, str]]
    seed: int | None = None

    @property
    def total(self) -> int:
        """Seats filled (equals the rule set's ``total_seats``).

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").allocate().total
        277
        """
        return sum(t.total for t in self.tiers)

    @property
    def ties(self) -> tuple[TieEvent, ...]:
        """Every tie that decided a seat, tier by tier (each says its ``tier/district``).

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").allocate().ties
        ()
        """
        return tuple(e for t in self.tiers for e in t.ties)

    def tier(self, tier_id: str) -> TierResult:
        """One tier's result.

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").allocate().tier("state-list").total
        96
        """
        for t in self.tiers:
            if t.id == tier_id:
                return t
        raise SeatsError(f"no tier {tier_id!r}; tiers: {', '.join(t.id for t in self.tiers)}")

    def to_polars(self) -> pl.DataFrame:
        """Long table of every option in every district.

        Columns: tier, district, option, party, alliance, votes, seats.

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").allocate().to_polars()["seats"].sum()
        277
        """
        return _long(self._rows(), self.options)

    def by(self, level: str = "alliance") -> pl.DataFrame:
        """Seats per ``alliance`` or ``party`` (a ``seats`` column and one column per tier),
        per ``option``, per ``tier``, or per ``district`` (tier, district, alliance, votes, seats).

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").allocate().by("tier")["seats"].to_list()
        [130, 96, 48, 3]
        """
        ids = [t.id for t in self.tiers]
        return _by(self._rows(), self.options, level, ids, {t.id: t.tier for t in self.tiers})

    def _rows(self) -> list[DistrictResult]:
        return [d for t in self.tiers for d in t.districts]

    def explain(self) -> str:
        """Every district's step table, tier by tier (a biproportional tier's joint table first).

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").allocate().explain().splitlines()[0]
        'Venezuela — National Assembly, 6 December 2020 (ve-2020-an): 277 seats'
        """
        out = [f"{self.ruleset.name} ({self.ruleset.id}): {self.total} seats"]
        for t in self.tiers:
            method = f"{t.tier.method} {t.tier.rounding}" if t.biproportional is not None else t.tier.method
            out.append(f"\n== tier {t.id} ({t.tier.kind}, {method}, {t.total} seats)")
            if t.biproportional is not None:
                out.append(t.biproportional.explain())
            for d in t.districts:
                note = f": {d.note}" if d.note else ""
                out.append(f"\n-- {t.id} / {d.district} ({d.magnitude} seats){note}")
                if d.allocation is not None:
                    out.append(d.allocation.explain())
                else:
                    out.append("seats: " + ", ".join(f"{o} {n}" for o, n in d.seats.items()))
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready): the rule set, total, seed, seats by alliance, ties, and every tier.

        >>> import seats
        >>> data = seats.load_ruleset("ve-2020-an").allocate().to_dict()
        >>> data["total"], [t["seats"] for t in data["tiers"]]
        (277, [130, 96, 48, 3])
        """
        tiers = [t.to_dict() for t in self.tiers]  # each counts its seats once: the total is their sum
        return {
            "ruleset": self.ruleset.id,
            "total": sum(t["seats"] for t in tiers),
            "seed": self.seed,
            "by_alliance": self.by("alliance").to_dicts(),
            "ties": [e.to_dict() for e in self.ties],
            "tiers": tiers,
        }
