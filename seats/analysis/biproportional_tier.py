"""Counterfactual: one tier of a rule set allocated biproportionally, all its districts jointly.

The rule-set engine allocates a tier district by district, unless the tier's method is
``"biproportional"`` (then the whole rule set is recomputed with the tier allocated
jointly: ``load_ruleset("ve-2020-an", overrides={"tiers.state-list.method": "biproportional"})``).
:func:`biproportional_tier` sets the two side by side for one tier: it takes the tier's
votes and magnitudes (after its threshold) as the rule set allocated them and allocates
them with :func:`seats.biproportional`, as the engine does for a biproportional tier: the
tier's seats go to the lists in proportion to their votes over the whole tier (upper
apportionment), and then to districts so that every district keeps its magnitude (lower
apportionment). The answer to "what if Venezuela's state lists had been allocated
biproportionally?", seat by seat against the actual allocation.

Links between tiers are not applied: the tier's own magnitudes are used, so for the upper
tier of a ``subtract`` or ``additional-member`` link the comparison is with its parallel
reading.

Examples
--------
>>> import seats
>>> from seats.analysis.biproportional_tier import biproportional_tier
>>> bt = biproportional_tier(seats.load_ruleset("ve-2020-an"), "state-list")
>>> bt.allocation.house_size, bt.allocation.verify()
(96, True)
>>> bt.by("alliance").columns
['alliance', 'actual', 'biproportional', 'change']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import polars as pl

from seats.errors import RuleSetError, SeatsError
from seats.methods.biproportional import BiproportionalAllocation, biproportional
from seats.methods.registry import MethodSpec
from seats.rules import ElectionResult, RuleSet

__all__ = ["BiproportionalTier", "biproportional_tier"]

_LEVELS = ("alliance", "party", "option", "district")


@dataclass(frozen=True, slots=True)
class BiproportionalTier:
    """A tier's seats as the rule set allocated them and as a biproportional allocation would.

    Attributes
    ----------
    tier:
        The tier id.
    allocation:
        The biproportional allocation (districts x lists), with its certificate.
    actual:
        ``district -> option -> seats`` as the rule set allocated the tier.
    options:
        ``option -> (party, alliance)`` for roll-ups.
    """

    tier: str
    allocation: BiproportionalAllocation
    actual: Mapping[str, Mapping[str, int]]
    options: Mapping[str, tuple[str, str]]

    def to_polars(self) -> pl.DataFrame:
        """One row per (district, option): votes, actual seats, biproportional seats, change.

        >>> import seats
        >>> bt = biproportional_tier(seats.load_ruleset("ve-2020-an"), "state-list")
        >>> bt.to_polars().columns[-3:]
        ['actual', 'biproportional', 'change']
        """
        a = self.allocation
        rows: dict[str, list[Any]] = {k: [] for k in ("district", "option", "party", "alliance", "votes",
                                                      "actual", "biproportional")}
        for d in a.districts:
            for o in a.parties:
                party, alliance = self.options.get(o, (o, o))
                rows["district"].append(d)
                rows["option"].append(o)
                rows["party"].append(party)
                rows["alliance"].append(alliance)
                rows["votes"].append(a.votes[d][o])
                rows["actual"].append(self.actual.get(d, {}).get(o, 0))
                rows["biproportional"].append(a.seats[d][o])
        frame = pl.DataFrame(rows, schema={"district": pl.Utf8, "option": pl.Utf8, "party": pl.Utf8,
                                           "alliance": pl.Utf8, "votes": pl.Int64, "actual": pl.Int64,
                                           "biproportional": pl.Int64})
        return frame.with_columns((pl.col("biproportional") - pl.col("actual")).alias("change"))

    def by(self, level: str = "alliance") -> pl.DataFrame:
        """Seats per ``alliance``, ``party``, ``option`` or ``district``: actual, biproportional, change.

        Sorted by biproportional seats (most first), then name.

        >>> import seats
        >>> bt = biproportional_tier(seats.load_ruleset("ve-2020-an"), "state-list")
        >>> int(bt.by("district")["change"].abs().sum())   # every state keeps its magnitude
        0
        """
        if level not in _LEVELS:
            raise SeatsError(f"unknown level {level!r}; choose one of {', '.join(_LEVELS)}")
        return (
            self.to_polars()
            .group_by(level, maintain_order=True)
            .agg(pl.col("actual").sum(), pl.col("biproportional").sum(), pl.col("change").sum())
            .sort(["biproportional", level], descending=[True, False])
        )

    def changes(self) -> pl.DataFrame:
        """Only the (district, option) cells whose seats differ.

        >>> import seats
        >>> bt = biproportional_tier(seats.load_ruleset("ve-2020-an"), "state-list")
        >>> int(bt.changes()["change"].sum())
        0
        """
        return self.to_polars().filter(pl.col("change") != 0)


def biproportional_tier(
    source: RuleSet | ElectionResult,
    tier_id: str,
    votes: object = None,
    *,
    method: str | MethodSpec | Callable[[int], Any] = "sainte-lague",
    ties: str = "error",
    seed: int | None = None,
) -> BiproportionalTier:
    """Allocate one tier of a rule set biproportionally over all its districts.

    Parameters
    ----------
    source:
        A rule set (allocated here on ``votes``, default its shipped vote table) or an
        election result already computed.
    tier_id:
        The tier to reallocate (a list or derived tier, with votes per district).
    votes:
        Vote table for a rule set (a path or a polars frame); ignored for a result.
    method:
        The divisor rounding of both the upper and the lower apportionment.
    ties, seed:
        As for :func:`seats.biproportional`.

    Examples
    --------
    >>> import seats
    >>> bt = biproportional_tier(seats.load_ruleset("ve-2020-an"), "state-list", method="dhondt")
    >>> int(bt.by("alliance")["biproportional"].sum())
    96
    """
    if isinstance(source, RuleSet):
        result = source.allocate(votes, seed=seed)
    elif isinstance(source, ElectionResult):
        result = source
    else:
        raise SeatsError(f"expected a rule set or an election result, got {type(source).__name__}")
    tier = result.tier(tier_id)
    if tier.tier.results:
        raise RuleSetError(
            f"tier {tier_id!r} has its seats given as results; there are no votes to reallocate"
        )
    table: dict[str, dict[str, int]] = {}
    magnitudes: dict[str, int] = {}
    for d in tier.districts:
        running = {o: v for o, v in d.votes.items() if o not in d.excluded}
        if not running and d.magnitude == 0:
            continue
        table[d.district] = running
        magnitudes[d.district] = d.magnitude
    alloc = biproportional(table, magnitudes, method=method, ties=ties, seed=seed)
    actual = {d.district: MappingProxyType(dict(d.seats)) for d in tier.districts}
    return BiproportionalTier(tier_id, alloc, MappingProxyType(actual), result.options)
