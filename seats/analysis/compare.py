"""Compare: one vote table under several rule sets or override sets, side by side.

A :class:`Variant` is a label, optionally another rule set, and field overrides
(the same keys as ``load_ruleset(..., overrides=...)`` and ``--set``). Written as
text (the ``--variant`` option of ``seats compare``)::

    LABEL                               the rule set as it is, labelled LABEL
    LABEL:KEY=VALUE[,KEY=VALUE...]      with these fields overridden
    LABEL@RULESET[:KEY=VALUE,...]       another rule set (an id or a path), on the same votes
    KEY=VALUE[,KEY=VALUE...]            overrides only; the text is its own label

for example ``sl:tiers.state-list.method=sainte-lague,tiers.national-list.method=sainte-lague``.
Values cannot contain commas. Every variant allocates the *same* vote table
(read once), and its seats per alliance (or party) and its disproportionality
indices (:mod:`seats.analysis.indices`) are put side by side.

Examples
--------
>>> import seats
>>> cmp = compare("ve-2020-an", ["official", "sl:tiers.state-list.method=sainte-lague"])
>>> cmp.seats().columns[:3]
['alliance', 'official', 'sl']
>>> int(cmp.seats()["official"].sum())
277
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from seats.analysis.indices import INDEX_NAMES, Disproportionality, indices
from seats.errors import SeatsError

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from seats.rules.model import RuleSet
    from seats.rules.result import ElectionResult

__all__ = ["Comparison", "Variant", "compare", "parse_variant"]

_LEVELS = ("alliance", "party")


@dataclass(frozen=True, slots=True)
class Variant:
    """A labelled rule set for comparison: the base one (or ``ruleset``) with ``overrides``."""

    label: str
    overrides: Mapping[str, str] = field(default_factory=dict)
    ruleset: str | None = None

    def describe(self) -> str:
        """The variant written back in the ``--variant`` syntax.

        >>> parse_variant("sl:tiers.state-list.method=sainte-lague").describe()
        'sl:tiers.state-list.method=sainte-lague'
        """
        text = self.label + (f"@{self.ruleset}" if self.ruleset else "")
        if self.overrides:
            text += ":" + ",".join(f"{k}={v}" for k, v in self.overrides.items())
        return text


def parse_variant(text: str) -> Variant:
    """A :class:`Variant` from ``LABEL[@RULESET][:KEY=VALUE[,KEY=VALUE...]]`` (see the module docstring).

    >>> v = parse_variant("sl:tiers.state-list.method=sainte-lague,ties=lot")
    >>> v.label, dict(v.overrides), v.ruleset
    ('sl', {'tiers.state-list.method': 'sainte-lague', 'ties': 'lot'}, None)
    >>> parse_variant("alt@path/to/ruleset.toml").ruleset
    'path/to/ruleset.toml'
    >>> parse_variant("tiers.nominal.method=dhondt").label
    'tiers.nominal.method=dhondt'
    """
    raw = text.strip()
    if not raw:
        raise SeatsError("empty variant; expected LABEL[@RULESET][:KEY=VALUE,...]")
    head, colon, rest = raw.partition(":")
    if not colon and "=" in head and "@" not in head:
        head, rest = raw, raw
        label, ruleset = raw, None
    else:
        label, at, other = head.partition("@")
        label = label.strip()
        ruleset = other.strip() if at else None
        if not label:
            raise SeatsError(f"variant {text!r} has no label; expected LABEL[@RULESET][:KEY=VALUE,...]")
        if at and not ruleset:
            raise SeatsError(f"variant {text!r}: nothing after '@'; expected a rule-set id or path")
    overrides: dict[str, str] = {}
    if rest.strip():
        for pair in rest.split(","):
            key, eq, value = pair.partition("=")
            if not eq or not key.strip():
                raise SeatsError(f"variant {text!r}: expected KEY=VALUE, got {pair.strip()!r}")
            if key.strip() in overrides:
                raise SeatsError(f"variant {text!r}: {key.strip()!r} is given twice")
            overrides[key.strip()] = value.strip()
    elif colon:
        raise SeatsError(f"variant {text!r}: nothing after ':'; expected KEY=VALUE[,KEY=VALUE...]")
    return Variant(label, MappingProxyType(overrides), ruleset)


@dataclass(frozen=True, slots=True)
class Comparison:
    """The same votes under several variants: their results and indices, in variant order."""

    level: str
    variants: tuple[Variant, ...]
    rulesets: tuple[RuleSet, ...]
    results: tuple[ElectionResult, ...]
    indices: tuple[Disproportionality, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(v.label for v in self.variants)

    def _seats_by(self) -> tuple[list[str], list[dict[str, int]]]:
        per: list[dict[str, int]] = []
        names: dict[str, None] = {}
        for res in self.results:
            frame = res.by(self.level)
            counts = dict(zip(frame[self.level].to_list(), frame["seats"].to_list(), strict=True))
            per.append({k: int(v) for k, v in counts.items()})
            names.update(dict.fromkeys(counts))
        first = per[0] if per else {}
        ordered = sorted(names, key=lambda n: (-first.get(n, 0), -max(p.get(n, 0) for p in per), n))
        return ordered, per

    def seats(self) -> pl.DataFrame:
        """One row per alliance (or party), one column of seats per variant; the largest first.

        >>> import seats
        >>> compare("ve-2020-an", ["official"]).seats().row(0)[1]
        253
        """
        import polars as pl

        names, per = self._seats_by()
        data: dict[str, Any] = {self.level: names}
        schema: dict[str, Any] = {self.level: pl.Utf8}
        for label, counts in zip(self.labels, per, strict=True):
            data[label] = [counts.get(n, 0) for n in names]
            schema[label] = pl.Int64
        return pl.DataFrame(data, schema=schema)

    def index_table(self) -> pl.DataFrame:
        """One row per index (:data:`~seats.analysis.indices.INDEX_NAMES`), one float column per variant."""
        import polars as pl

        data: dict[str, Any] = {"index": list(INDEX_NAMES)}
        schema: dict[str, Any] = {"index": pl.Utf8}
        for label, d in zip(self.labels, self.indices, strict=True):
            data[label] = [d.value(n) for n in INDEX_NAMES]
            schema[label] = pl.Float64
        return pl.DataFrame(data, schema=schema)

    def to_polars(self) -> pl.DataFrame:
        """One frame, one row per variant: ``variant``, ``ruleset``, ``overrides``, ``seats`` (total),
        one seat column per alliance (or party), then the indices.

        >>> import seats
        >>> compare("ve-2020-an", ["official"]).to_polars().columns[:4]
        ['variant', 'ruleset', 'overrides', 'seats']
        """
        import polars as pl

        names, per = self._seats_by()
        fixed = ["variant", "ruleset", "overrides", "seats", *INDEX_NAMES]
        clash = sorted(set(names) & set(fixed))
        if clash:
            raise SeatsError(f"{self.level} {clash[0]!r} has the name of a column of the comparison")
        data: dict[str, Any] = {
            "variant": list(self.labels),
            "ruleset": [rs.id for rs in self.rulesets],
            "overrides": [",".join(f"{k}={v}" for k, v in v.overrides.items()) for v in self.variants],
            "seats": [sum(c.values()) for c in per],
        }
        schema: dict[str, Any] = {"variant": pl.Utf8, "ruleset": pl.Utf8, "overrides": pl.Utf8,
                                  "seats": pl.Int64}
        for n in names:
            data[n] = [c.get(n, 0) for c in per]
            schema[n] = pl.Int64
        for name in INDEX_NAMES:
            data[name] = [d.value(name) for d in self.indices]
            schema[name] = pl.Float64
        return pl.DataFrame(data, schema=schema)

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "variants": [
                {"label": v.label, "ruleset": rs.id, "overrides": dict(v.overrides), "seats": res.total,
                 "indices": d.to_dict()}
                for v, rs, res, d in zip(self.variants, self.rulesets, self.results, self.indices,
                                         strict=True)
            ],
            "seats": self.seats().to_dicts(),
        }


def _load(base: str | Path | RuleSet, variant: Variant) -> RuleSet:
    from seats.rules.load import load_ruleset
    from seats.rules.model import RuleSet

    overrides = dict(variant.overrides) or None
    if variant.ruleset is not None:
        return load_ruleset(variant.ruleset, overrides=overrides)
    if isinstance(base, RuleSet):
        if overrides is None:
            return base
        if base.path is None:
            raise SeatsError(f"variant {variant.label!r}: rule set {base.id!r} has no file to re-read "
                             "with overrides; pass its id or path")
        return load_ruleset(base.path, overrides=overrides)
    return load_ruleset(base, overrides=overrides)


def compare(
    ruleset: str | Path | RuleSet,
    variants: Iterable[Variant | str],
    votes: object = None,
    *,
    level: str = "alliance",
    votes_tier: str | None = None,
    seed: int | None = None,
) -> Comparison:
    """Allocate one vote table under every variant and put the results side by side.

    Parameters
    ----------
    ruleset:
        The base rule set (an id, a path, or a :class:`~seats.rules.RuleSet`).
    variants:
        :class:`Variant` values or their text form (see :func:`parse_variant`).
    votes:
        The vote table (a path or a polars frame); default: the base rule set's shipped table.
    level:
        Seats per ``"alliance"`` (default) or ``"party"``; the indices use the same level.
    votes_tier:
        The tier whose votes the indices use (see :func:`seats.analysis.indices.indices`).
    seed:
        For tie policies that draw lots.

    Examples
    --------
    >>> cmp = compare("ve-2020-an", ["official", "sl:tiers.national-list.method=sainte-lague"])
    >>> cmp.labels
    ('official', 'sl')
    >>> cmp.index_table().columns
    ['index', 'official', 'sl']
    """
    from seats.rules.allocate import load_votes

    if level not in _LEVELS:
        raise SeatsError(f"unknown level {level!r}; choose one of {', '.join(_LEVELS)}")
    chosen = tuple(v if isinstance(v, Variant) else parse_variant(v) for v in variants)
    if not chosen:
        raise SeatsError("nothing to compare: give at least one variant")
    seen: set[str] = set()
    for v in chosen:
        if v.label in seen:
            raise SeatsError(f"variant label {v.label!r} is used twice")
        if v.label in ("index", level):
            raise SeatsError(f"variant label {v.label!r} is reserved for a column; choose another")
        seen.add(v.label)
    loaded = tuple(_load(ruleset, v) for v in chosen)
    frame, _ = load_votes(_load(ruleset, Variant("base")), votes)
    results = []
    for v, rs in zip(chosen, loaded, strict=True):
        try:
            results.append(rs.allocate(frame, seed=seed))
        except SeatsError as err:
            raise type(err)(f"variant {v.label!r}: {err}") from None
    found = tuple(indices(r, level=level, votes_tier=votes_tier) for r in results)
    return Comparison(level, chosen, loaded, tuple(results), found)
