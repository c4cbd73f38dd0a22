"""The rule-set model: frozen values describing a whole electoral system.

A :class:`RuleSet` holds tiers; each :class:`Tier` names a registered method
(or ``"biproportional"``, which allocates the tier jointly over its districts)
and a district table; :class:`Link` values say how tiers interact. Everything
is validated when the rule set is built (see :mod:`seats.rules.load`), so
allocating cannot fail on structure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from seats.rules.result import ElectionResult

__all__ = ["BASES", "BIPROPORTIONAL", "DEFAULT_ROUNDING", "KINDS", "LINK_KINDS", "District", "Link",
           "ReservedResult", "RuleSet", "Tier"]

KINDS = ("nominal", "list", "derived", "sectoral", "reserved")
LINK_KINDS = ("parallel", "subtract", "additional-member")
BASES = ("sourced", "derived", "estimated", "synthetic", "")
#: The tier-level method: not a per-district method of the registry, but one joint
#: apportionment of the whole tier (:func:`seats.biproportional`).
BIPROPORTIONAL = "biproportional"
#: The divisor rounding of a biproportional tier when its ``options`` give no ``rounding``.
DEFAULT_ROUNDING = "sainte-lague"


@dataclass(frozen=True, slots=True)
class District:
    """One district of a tier: id, name, magnitude, and where the figure came from."""

    id: str
    seats: int
    name: str = ""
    parent: str = ""
    basis: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class ReservedResult:
    """A seat decided outside the vote (e.g. an indigenous assembly), given as data."""

    district: str
    option: str
    party: str
    alliance: str
    seats: int = 1
    basis: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class Tier:
    """A family of districts elected the same way.

    ``kind`` is one of ``nominal``, ``list``, ``derived`` (votes summed from
    ``source``), ``sectoral`` or ``reserved``. ``threshold`` is a fraction of
    the valid votes, counted per district or over the whole tier
    (``threshold_scope``), for each option or for its alliance
    (``threshold_level``).

    ``method`` is a registered per-district method, or ``"biproportional"``: the
    tier's seats are then apportioned to the options over their tier-wide totals
    (upper apportionment) and back to the districts with their magnitudes (lower
    apportionment), both with the divisor rounding ``options["rounding"]``
    (default Sainte-Laguë).
    """

    id: str
    kind: str
    method: str
    seats: int
    districts: tuple[District, ...]
    name: str = ""
    source: str | None = None
    threshold: Fraction | None = None
    threshold_scope: str = "district"
    threshold_level: str = "option"
    ties: str | None = None
    results: tuple[ReservedResult, ...] = ()
    options: Mapping[str, object] = field(default_factory=dict)

    @property
    def district_ids(self) -> tuple[str, ...]:
        """The tier's district ids, in table order.

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").tier("indigenous").district_ids
        ('occidente', 'oriente', 'sur')
        """
        return tuple(d.id for d in self.districts)

    def district(self, district_id: str) -> District:
        """One district by id (``KeyError`` if the tier has none).

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").tier("national-list").district("VE").seats
        48
        """
        for d in self.districts:
            if d.id == district_id:
                return d
        raise KeyError(district_id)

    @property
    def biproportional(self) -> bool:
        """Whether the tier is allocated jointly over its districts (``method = "biproportional"``).

        >>> import seats
        >>> rs = seats.load_ruleset("ve-2020-an", overrides={"tiers.state-list.method": "biproportional"})
        >>> rs.tier("state-list").biproportional, rs.tier("nominal").biproportional
        (True, False)
        """
        return self.method == BIPROPORTIONAL

    @property
    def rounding(self) -> str | None:
        """The divisor rounding of a biproportional tier (``None`` for other tiers).

        >>> import seats
        >>> rs = seats.load_ruleset("ve-2020-an", overrides={"tiers.state-list.method": "biproportional"})
        >>> rs.tier("state-list").rounding, rs.tier("nominal").rounding
        ('sainte-lague', None)
        """
        if not self.biproportional:
            return None
        return str(self.options.get("rounding", DEFAULT_ROUNDING))

    @property
    def has_votes(self) -> bool:
        """Whether the vote table must carry this tier's votes (not derived, nor given as results).

        >>> import seats
        >>> [t.has_votes for t in seats.load_ruleset("ve-2020-an").tiers]
        [True, True, False, False]
        """
        return self.kind != "derived" and not self.results


@dataclass(frozen=True, slots=True)
class Link:
    """How two tiers interact.

    ``parallel``: independent. ``subtract``: the ``upper`` (list) tier's seats are
    each party's entitlement over the combined magnitude minus the seats it won
    in the ``lower`` (nominal) tier, districts matched through the lower
    districts' ``parent``; ``overhang`` says what happens when a party won more
    nominal seats than its entitlement (``"reallocate"``: it keeps them, gets no
    list seats, and the others share the list seats on the rest). ``additional-member``:
    the upper tier's divisors start after the nominal seats won (Scotland).
    ``level`` is ``"party"`` or ``"alliance"``: how nominal winners are matched to lists.
    """

    kind: str
    tiers: tuple[str, ...] = ()
    upper: str | None = None
    lower: str | None = None
    level: str = "party"
    overhang: str = "reallocate"


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A whole electoral system: metadata, tiers and links."""

    id: str
    name: str
    total_seats: int
    tiers: tuple[Tier, ...]
    links: tuple[Link, ...] = ()
    ties: str = "error"
    election_date: date | None = None
    sources: tuple[str, ...] = ()
    notes: str = ""
    path: Path | None = None
    default_votes: Path | None = None

    def tier(self, tier_id: str) -> Tier:
        """One tier by id; an unknown id raises :class:`~seats.errors.RuleSetError` listing the tiers.

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").tier("state-list").method
        'dhondt'
        """
        for t in self.tiers:
            if t.id == tier_id:
                return t
        from seats.errors import RuleSetError

        raise RuleSetError(f"rule set {self.id!r} has no tier {tier_id!r}; tiers: {', '.join(self.tier_ids)}")

    @property
    def tier_ids(self) -> tuple[str, ...]:
        """The tier ids, in file order.

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").tier_ids
        ('nominal', 'state-list', 'national-list', 'indigenous')
        """
        return tuple(t.id for t in self.tiers)

    def allocate(self, votes: object = None, *, seed: int | None = None, thousands: str | None = None,
                 decimal_comma: bool = False) -> ElectionResult:
        """Allocate every seat from a vote table (a polars frame or a path).

        With no argument, the rule set's shipped default vote table is used.
        ``thousands`` and ``decimal_comma`` say how numbers are written in a
        file (see :func:`seats.io.read_table`); ``seed`` seeds the tie policy
        ``"lot"``.

        >>> import seats
        >>> seats.load_ruleset("ve-2020-an").allocate().total
        277
        """
        from seats.rules.allocate import allocate

        return allocate(self, votes, seed=seed, thousands=thousands, decimal_comma=decimal_comma)
