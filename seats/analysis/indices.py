"""Disproportionality and fragmentation indices, computed exactly.

With ``v_i`` and ``s_i`` the vote and seat *shares* of party ``i`` (fractions of
the valid votes and of the seats):

* **Loosemore-Hanby** ``D = 100 * 1/2 * sum |v_i - s_i|`` (percentage points);
* **Gallagher** (least squares) ``LSq = sqrt(100**2 * 1/2 * sum (v_i - s_i)**2)``
  (percentage points);
* **Sainte-Laguë index** ``SL = 100 * sum (s_i - v_i)**2 / v_i`` (Gallagher 1991,
  on percentages);
* **D'Hondt index** ``max s_i / v_i`` (the most over-represented party's
  seats-to-votes ratio; 1 is perfect proportionality);
* **effective number of parties** (Laakso-Taagepera 1979) ``1 / sum v_i**2`` by
  votes and ``1 / sum s_i**2`` by seats.

Every index is a :class:`~fractions.Fraction` except Gallagher, an irrational
square root: its exact square is :attr:`Disproportionality.gallagher_squared`
and :attr:`~Disproportionality.gallagher` takes the root last, to float
precision, for display. The Sainte-Laguë and D'Hondt indices divide by vote
shares, so they are taken over the parties with votes; a party with seats and
no votes (a reserved seat) is listed in ``no_votes`` and counts in the other
indices with a vote share of 0.

For a whole election (:class:`~seats.rules.ElectionResult`) the parties are the
rows at ``level`` (``"alliance"`` by default, or ``"party"``/``"option"``), the
seats are the assembly's (every tier, or ``seat_tiers``), and the votes are those
of ``votes_tier``: by default the first tier of kind ``list`` (in Venezuela the
state lists, whose sum is also the national list's vote), else the first
``derived``, else the first tier with votes. Nominal ballots are not summed with
list ballots: the same voter casts both.

Examples
--------
>>> d = disproportionality({"A": 50, "B": 30, "C": 20}, {"A": 3, "B": 1, "C": 0})
>>> d.loosemore_hanby, d.gallagher_squared, d.sainte_lague, d.dhondt
(Fraction(25, 1), Fraction(525, 1), Fraction(100, 3), Fraction(3, 2))
>>> round(d.gallagher, 4), d.enp_votes, d.enp_seats
(22.9129, Fraction(50, 19), Fraction(8, 5))
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from seats.errors import SeatsError
from seats.results import Allocation

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from seats.rules.result import ElectionResult

__all__ = ["INDEX_NAMES", "Disproportionality", "disproportionality", "indices", "sqrt_float"]

INDEX_NAMES = ("gallagher", "loosemore_hanby", "sainte_lague", "dhondt", "enp_votes", "enp_seats")
_LEVELS = ("alliance", "party", "option")


def sqrt_float(x: Fraction) -> float:
    """The square root of a non-negative Fraction, correct to float precision.

    >>> sqrt_float(Fraction(525)), sqrt_float(Fraction(1, 4))
    (22.9128784747792, 0.5)
    """
    if x < 0:
        raise SeatsError(f"cannot take the square root of {x}")
    with decimal.localcontext() as ctx:
        ctx.prec = 40
        root = (decimal.Decimal(x.numerator) / decimal.Decimal(x.denominator)).sqrt()
    return float(root)


@dataclass(frozen=True, slots=True)
class Disproportionality:
    """The indices of one allocation, exact where rational.

    Attributes
    ----------
    level:
        What the rows are (``"party"`` for a single allocation).
    names, votes, seats:
        The parties, their votes and seats, in input order.
    loosemore_hanby, gallagher_squared, sainte_lague, dhondt, enp_votes, enp_seats:
        The indices (see the module docstring); ``sainte_lague``, ``dhondt`` and
        ``enp_*`` are ``None`` when undefined (no votes, or no seats).
    no_votes:
        Parties with seats but no votes, left out of the Sainte-Laguë and D'Hondt indices.
    """

    level: str
    names: tuple[str, ...]
    votes: tuple[int, ...]
    seats: tuple[int, ...]
    loosemore_hanby: Fraction
    gallagher_squared: Fraction
    sainte_lague: Fraction | None
    dhondt: Fraction | None
    enp_votes: Fraction | None
    enp_seats: Fraction | None
    no_votes: tuple[str, ...] = ()

    @property
    def gallagher(self) -> float:
        """The Gallagher least-squares index (percentage points): the root, taken last."""
        return sqrt_float(self.gallagher_squared)

    def value(self, name: str) -> float | None:
        """One index as a float, by name (one of :data:`INDEX_NAMES`)."""
        if name not in INDEX_NAMES:
            raise SeatsError(f"unknown index {name!r}; choose one of {', '.join(INDEX_NAMES)}")
        if name == "gallagher":
            return self.gallagher
        exact: Fraction | None = getattr(self, name)
        return None if exact is None else float(exact)

    def exact(self, name: str) -> str:
        """One index written exactly (``'100/3'``; Gallagher as ``'sqrt(525)'``)."""
        if name == "gallagher":
            return f"sqrt({self.gallagher_squared})"
        self.value(name)
        q: Fraction | None = getattr(self, name)
        return "" if q is None else str(q)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"level": self.level}
        for name in INDEX_NAMES:
            out[name] = self.value(name)
            out[f"{name}_exact"] = self.exact(name)
        out["no_votes"] = list(self.no_votes)
        return out

    def to_polars(self) -> pl.DataFrame:
        """One row per index: ``index``, ``value`` (float) and ``exact`` (a fraction, or the square root).

        >>> d = disproportionality({"A": 50, "B": 30, "C": 20}, {"A": 3, "B": 1, "C": 0})
        >>> d.to_polars()["exact"].to_list()
        ['sqrt(525)', '25', '100/3', '3/2', '50/19', '8/5']
        """
        import polars as pl

        return pl.DataFrame(
            {
                "index": list(INDEX_NAMES),
                "value": [self.value(n) for n in INDEX_NAMES],
                "exact": [self.exact(n) for n in INDEX_NAMES],
            },
            schema={"index": pl.Utf8, "value": pl.Float64, "exact": pl.Utf8},
        )


def disproportionality(votes: Mapping[str, int], seats: Mapping[str, int], *,
                       level: str = "party") -> Disproportionality:
    """The indices for vote and seat counts per party (a party missing from one side has 0 there).

    Examples
    --------
    >>> d = disproportionality({"A": 600, "B": 400}, {"A": 3, "B": 2})
    >>> d.loosemore_hanby, d.gallagher, d.dhondt
    (Fraction(0, 1), 0.0, Fraction(1, 1))
    """
    names = tuple(dict.fromkeys([*votes, *seats]))
    v = tuple(int(votes.get(n, 0)) for n in names)
    s = tuple(int(seats.get(n, 0)) for n in names)
    for n, x, y in zip(names, v, s, strict=True):
        if x < 0 or y < 0:
            raise SeatsError(f"votes and seats must not be negative: {n!r} has {x} votes, {y} seats")
    total_v, total_s = sum(v), sum(s)
    if total_v == 0 or total_s == 0:
        raise SeatsError(
            f"disproportionality needs votes and seats: got {total_v} votes and {total_s} seats"
        )
    vs = [Fraction(x, total_v) for x in v]
    ss = [Fraction(y, total_s) for y in s]
    lh = 50 * sum((abs(a - b) for a, b in zip(vs, ss, strict=True)), Fraction(0))
    lsq = 5000 * sum(((a - b) ** 2 for a, b in zip(vs, ss, strict=True)), Fraction(0))
    voted = [(a, b) for a, b in zip(vs, ss, strict=True) if a > 0]
    sl = 100 * sum(((b - a) ** 2 / a for a, b in voted), Fraction(0))
    dh = max(b / a for a, b in voted)
    enp_v = Fraction(1) / sum((a * a for a in vs), Fraction(0))
    enp_s = Fraction(1) / sum((b * b for b in ss), Fraction(0))
    no_votes = tuple(n for n, x, y in zip(names, v, s, strict=True) if x == 0 and y > 0)
    return Disproportionality(level, names, v, s, lh, lsq, sl, dh, enp_v, enp_s, no_votes)


def _default_votes_tier(result: ElectionResult) -> str:
    for kind in ("list", "derived"):
        for t in result.tiers:
            if t.tier.kind == kind:
                return t.id
    for t in result.tiers:
        if any(d.votes for d in t.districts):
            return t.id
    raise SeatsError(f"rule set {result.ruleset.id!r} has no tier with votes")


def indices(
    result: Allocation | ElectionResult,
    *,
    level: str = "alliance",
    votes_tier: str | None = None,
    seat_tiers: Iterable[str] | None = None,
) -> Disproportionality:
    """Disproportionality of an allocation or of a whole election.

    Parameters
    ----------
    result:
        A :func:`seats.apportion` result (its parties, votes and seats), or an
        :class:`~seats.rules.ElectionResult`.
    level:
        For an election: ``"alliance"`` (default), ``"party"`` or ``"option"``.
    votes_tier:
        For an election: the tier whose votes are compared with the seats
        (default: the first ``list`` tier, else the first ``derived``, else the
        first with votes).
    seat_tiers:
        For an election: the tiers whose seats count (default: every tier, the
        whole assembly, reserved seats included).

    Examples
    --------
    >>> import seats
    >>> d = indices(seats.apportion({"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}, 8))
    >>> d.loosemore_hanby, d.dhondt
    (Fraction(425, 46), Fraction(23, 20))
    """
    if isinstance(result, Allocation):
        return disproportionality(result.votes_by_party, dict(result.seats), level="party")
    if level not in _LEVELS:
        raise SeatsError(f"unknown level {level!r}; choose one of {', '.join(_LEVELS)}")
    tier_ids = [t.id for t in result.tiers]
    vt = votes_tier if votes_tier is not None else _default_votes_tier(result)
    if vt not in tier_ids:
        raise SeatsError(f"votes_tier {vt!r} is not a tier; tiers: {', '.join(tier_ids)}")
    chosen = list(seat_tiers) if seat_tiers is not None else tier_ids
    unknown = [t for t in chosen if t not in tier_ids]
    if unknown:
        raise SeatsError(f"seat_tiers names {unknown[0]!r}, not a tier; tiers: {', '.join(tier_ids)}")
    votes: dict[str, int] = {}
    seats: dict[str, int] = {}
    for t in result.tiers:
        for d in t.districts:
            for option in dict.fromkeys([*d.votes, *d.seats]):
                party, alliance = result.options.get(option, (option, option))
                key = {"option": option, "party": party, "alliance": alliance}[level]
                if t.id == vt:
                    votes[key] = votes.get(key, 0) + d.votes.get(option, 0)
                if t.id in chosen:
                    seats[key] = seats.get(key, 0) + d.seats.get(option, 0)
    return disproportionality(votes, seats, level=level)
