"""Results of a whole election: per district, per tier, and for the assembly.

>>> import seats
>>> res = seats.load_ruleset("ve-2020-an").allocate()
>>> res.total
277
>>> res.by("alliance").columns[:2]
['alliance', 'seats']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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


def _long(rows: list[DistrictResult], options: Mapping[str, tuple[str, str]]) -> pl.DataFrame:
    data: dict[str, list[Any]] = {k: [] for k in _LONG}
    for d in rows:
        for option in dict.fromkeys([*d.votes, *d.seats]):
            party, alliance = options.get(option, (option, option))
            data["tier"].append(d.tier)
            data["district"].append(d.district)
            data["option"].append(option)
            data["party"].append(party)
            data["alliance"].append(alliance)
            data["votes"].append(d.votes.get(option))
            data["seats"].append(d.seats.get(option, 0))
    return pl.DataFrame(data, schema=_LONG)


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
    return wide.select(ordered).sort(["seats", keys[0]], descending=[True, False])


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
        return _long(list(self.districts), self.options)

    def by(self, level: str = "alliance") -> pl.DataFrame:
        """Seats rolled up to ``alliance``, ``party``, ``option``, ``tier`` or ``district``.

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").allocate().tier("national-list").by("alliance")["seats"].sum()
        48
        """
        return _by(self.to_polars(), level, [self.id], {self.id: self.tier})

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


def _by(long: pl.DataFrame, level: str, tiers: list[str], meta: Mapping[str, Tier]) -> pl.DataFrame:
    if level not in LEVELS:
        raise SeatsError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    if level == "tier":
        totals = long.group_by("tier").agg(pl.col("seats").sum())
        seats_of = dict(zip(totals["tier"].to_list(), totals["seats"].to_list(), strict=True))
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
    if level == "district":
        return (
            long.group_by(["tier", "district", "alliance"], maintain_order=True)
            .agg(pl.col("votes").sum(), pl.col("seats").sum())
            .filter((pl.col("seats") > 0) | (pl.col("votes") > 0))
        )
    return _rollup(long, level, tiers)


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
        return _long([d for t in self.tiers for d in t.districts], self.options)

    def by(self, level: str = "alliance") -> pl.DataFrame:
        """Seats per ``alliance`` or ``party`` (a ``seats`` column and one column per tier),
        per ``option``, per ``tier``, or per ``district`` (tier, district, alliance, votes, seats).

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").allocate().by("tier")["seats"].to_list()
        [130, 96, 48, 3]
        """
        ids = [t.id for t in self.tiers]
        return _by(self.to_polars(), level, ids, {t.id: t.tier for t in self.tiers})

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
        return {
            "ruleset": self.ruleset.id,
            "total": self.total,
            "seed": self.seed,
            "by_alliance": self.by("alliance").to_dicts(),
            "ties": [e.to_dict() for e in self.ties],
            "tiers": [t.to_dict() for t in self.tiers],
        }
