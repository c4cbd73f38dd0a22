"""Scenarios: deterministic, composable transforms of a vote table, and the seats they change.

Each transform is a frozen value with a ``name``, a ``describe()`` and a pure
``apply(frame) -> frame`` on the tidy vote table (columns ``tier``, ``district``,
``option``, ``votes`` and optional ``card``, ``party``, ``alliance``; see
:mod:`seats.rules.votes`). Votes stay whole numbers and never go negative; rows
keep their order and every other column is left alone.

Every transform works tier by tier: it acts on each tier that has votes in the
table (or only on ``tiers``), and a vote count such as "remove one million"
is applied in *each* of those tiers (a voter marks the nominal and the list
ballot). Derived tiers (the 2020 national list) sum their source tier's votes,
so they follow automatically.

Selectors pick rows by ``option``, ``party`` or ``alliance``: ``"alliance=GPP"``,
``"party=PSUV"``, ``"option=GPP-list"``, or a bare name that matches any of the
three. Rounding is exact (integers and :class:`~fractions.Fraction`):

* shares of a whole number of votes among rows (:func:`share_out`) use
  largest remainders: each row gets ``floor(n * w / W)``, and the votes left go
  one each to the largest remainders (ties: more votes first, then row order),
  so the parts add up to exactly ``n`` and no part exceeds its row's votes;
* a scaled total (:class:`Scale`, a :class:`Move` by fraction) is the exact
  product rounded to the nearest whole vote, halves up: ``floor(V * f + 1/2)``.

Examples
--------
>>> import polars as pl
>>> t = pl.DataFrame({"tier": ["list"] * 4, "district": ["A", "A", "B", "B"],
...                   "option": ["X", "Y", "X", "Y"], "votes": [600, 400, 300, 700]})
>>> Remove("option=X", 90).apply(t)["votes"].to_list()
[540, 400, 270, 700]
>>> Scale("X", Fraction(1, 2)).apply(t)["votes"].to_list()
[300, 400, 150, 700]
>>> Move("X", "Y", Fraction(1, 3)).apply(t)["votes"].to_list()
[400, 600, 200, 800]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, Protocol

import polars as pl

from seats.errors import SeatsError, close_matches
from seats.rules.model import RuleSet
from seats.rules.result import ElectionResult

__all__ = [
    "SELECTOR_LEVELS",
    "Move",
    "Remove",
    "Scale",
    "ScenarioError",
    "ScenarioResult",
    "Selector",
    "SetTurnout",
    "Transform",
    "apply_all",
    "parse_fraction",
    "run_scenario",
    "share_out",
]

SELECTOR_LEVELS = ("option", "party", "alliance")


class ScenarioError(SeatsError):
    """A scenario that cannot be applied (no matching votes, more votes removed than there are, ...)."""


# ---------------------------------------------------------------- exact helpers

def share_out(n: int, weights: Sequence[int]) -> list[int]:
    """Split ``n`` whole votes among rows in proportion to ``weights``, exactly.

    Largest remainders: row ``i`` gets ``floor(n * w_i / W)``; the votes left go
    one each to the largest remainders, ties to the larger weight, then to the
    earlier row. The parts add up to ``n``; when ``n <= W`` no part exceeds its
    weight, and a row of weight 0 gets nothing.

    >>> share_out(10, [1, 1, 1])
    [4, 3, 3]
    >>> share_out(5, [0, 10, 5])
    [0, 3, 2]
    """
    total = sum(weights)
    if n < 0:
        raise ScenarioError(f"cannot share out a negative number of votes ({n})")
    if n == 0:
        return [0] * len(weights)
    if total <= 0:
        raise ScenarioError(f"cannot share out {n} votes among rows with no votes")
    parts = [n * w // total for w in weights]
    rems = [n * w % total for w in weights]
    left = n - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-rems[i], -weights[i], i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def _round_half_up(x: Fraction) -> int:
    return int((x + Fraction(1, 2)).__floor__())


def parse_fraction(text: str | int | float | Fraction, what: str = "factor") -> Fraction:
    """A factor or fraction from ``0.9``, ``"90%"``, ``"9/10"`` or a Fraction, exactly.

    >>> parse_fraction("90%"), parse_fraction("0.25"), parse_fraction("2/3")
    (Fraction(9, 10), Fraction(1, 4), Fraction(2, 3))
    """
    if isinstance(text, Fraction):
        value = text
    elif isinstance(text, bool):
        raise ScenarioError(f"{what}: expected a number, got {text!r}")
    elif isinstance(text, int):
        value = Fraction(text)
    elif isinstance(text, float):
        value = Fraction(repr(text))
    else:
        raw = str(text).strip()
        try:
            value = Fraction(raw[:-1].strip()) / 100 if raw.endswith("%") else Fraction(raw)
        except (ValueError, ZeroDivisionError):
            raise ScenarioError(f"{what}: {text!r} is not a number, a percentage or a fraction") from None
    if value < 0:
        raise ScenarioError(f"{what}: must not be negative, got {text!r}")
    return value


# ---------------------------------------------------------------- selectors

@dataclass(frozen=True, slots=True)
class Selector:
    """Which rows a transform acts on: ``level`` (option, party, alliance or ``any``) equals ``value``.

    >>> Selector.parse("alliance=Gran Polo Patriótico")
    Selector(level='alliance', value='Gran Polo Patriótico')
    >>> Selector.parse("PSUV").describe()
    "'PSUV'"
    """

    level: str
    value: str

    @classmethod
    def parse(cls, text: str | Selector) -> Selector:
        if isinstance(text, Selector):
            return text
        raw = str(text).strip()
        level, sep, value = raw.partition("=")
        if sep and level.strip().lower() in SELECTOR_LEVELS:
            sel = cls(level.strip().lower(), value.strip())
        else:
            sel = cls("any", raw)
        if not sel.value:
            raise ScenarioError(f"selector {text!r} names nothing; "
                                "use option=..., party=..., alliance=... or a name")
        return sel

    def describe(self) -> str:
        return repr(self.value) if self.level == "any" else f"{self.level} {self.value!r}"

    def mask(self, frame: pl.DataFrame) -> pl.Series:
        cols = _reporting(frame)
        if self.level == "any":
            hit = (cols["option"] == self.value) | (cols["party"] == self.value)
            hit = hit | (cols["alliance"] == self.value)
        else:
            hit = cols[self.level] == self.value
        return hit.fill_null(False)


def _reporting(frame: pl.DataFrame) -> dict[str, pl.Series]:
    """option, party and alliance of every row, with the defaults of :mod:`seats.rules.votes`."""
    option = frame["option"].cast(pl.Utf8).str.strip_chars()

    def blank(s: pl.Series) -> pl.Series:
        return s.is_null() | (s == "")

    party = frame["party"].cast(pl.Utf8).str.strip_chars() if "party" in frame.columns else option
    party = pl.select(pl.when(blank(party)).then(option).otherwise(party)).to_series()
    alliance = frame["alliance"].cast(pl.Utf8).str.strip_chars() if "alliance" in frame.columns else party
    alliance = pl.select(pl.when(blank(alliance)).then(party).otherwise(alliance)).to_series()
    return {"option": option, "party": party, "alliance": alliance}


def _no_match(sel: Selector, frame: pl.DataFrame) -> ScenarioError:
    cols = _reporting(frame)
    levels = SELECTOR_LEVELS if sel.level == "any" else (sel.level,)
    names = sorted({str(v) for lv in levels for v in cols[lv].unique().to_list() if v is not None})
    return ScenarioError(f"no votes match {sel.describe()}{close_matches(sel.value, names)}")


# ---------------------------------------------------------------- the transforms

class Transform(Protocol):
    """What every scenario step offers."""

    @property
    def name(self) -> str: ...

    def describe(self) -> str: ...

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame: ...


def _as_tuple(value: Iterable[str] | str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(value)


class _Base:
    """Scope handling shared by the transforms (``tiers`` and ``districts`` restrictions)."""

    kind: ClassVar[str] = ""
    tiers: tuple[str, ...] | None
    districts: tuple[str, ...] | None

    @property
    def name(self) -> str:
        return self.kind

    def _scope(self) -> str:
        out = ""
        if self.tiers:
            out += f" in tier{'s' if len(self.tiers) > 1 else ''} {', '.join(self.tiers)}"
        if self.districts:
            out += f" in district{'s' if len(self.districts) > 1 else ''} {', '.join(self.districts)}"
        return out

    def _groups(self, frame: pl.DataFrame) -> list[tuple[str, list[int]]]:
        """Row indices of each tier in scope (only tiers that have rows), in table order."""
        tiers = frame["tier"].cast(pl.Utf8).to_list()
        districts = frame["district"].cast(pl.Utf8).to_list()
        present = list(dict.fromkeys(tiers))
        wanted = list(self.tiers) if self.tiers is not None else present
        for t in wanted:
            if t not in present:
                raise ScenarioError(f"{self.name}: the vote table has no votes in tier {t!r}"
                                    f"{close_matches(t, present)}")
        if self.districts is not None:
            known = set(districts)
            for d in self.districts:
                if d not in known:
                    raise ScenarioError(f"{self.name}: the vote table has no district {d!r}"
                                        f"{close_matches(d, sorted(known))}")
        keep_d = set(self.districts) if self.districts is not None else None
        out: list[tuple[str, list[int]]] = []
        for t in wanted:
            rows = [i for i, (ti, di) in enumerate(zip(tiers, districts, strict=True))
                    if ti == t and (keep_d is None or di in keep_d)]
            if rows:
                out.append((t, rows))
        if not out:
            raise ScenarioError(f"{self.name}: no votes{self._scope()}")
        return out


def _votes(frame: pl.DataFrame) -> list[int]:
    if "votes" not in frame.columns:
        raise ScenarioError("the vote table has no 'votes' column")
    values = frame["votes"].to_list()
    if any(v is None or v < 0 for v in values):
        raise ScenarioError("the vote table has empty or negative votes; "
                            "read it with seats.io.read_vote_table first")
    return [int(v) for v in values]


def _with_votes(frame: pl.DataFrame, votes: list[int]) -> pl.DataFrame:
    return frame.with_columns(pl.Series("votes", votes, dtype=frame.schema["votes"]))


@dataclass(frozen=True, slots=True)
class Scale(_Base):
    """Multiply the votes of ``selector`` by ``factor`` (exact), in each tier in scope.

    Each tier's selected total becomes ``floor(V * factor + 1/2)`` (nearest, halves
    up), shared among the selected rows by :func:`share_out` in proportion to
    their votes. ``factor`` may be a Fraction, an int, a decimal string or ``"90%"``.

    >>> import polars as pl
    >>> t = pl.DataFrame({"tier": ["l", "l"], "district": ["A", "B"], "option": ["X", "X"], "votes": [5, 5]})
    >>> Scale("X", "1/4").apply(t)["votes"].to_list()   # 10 / 4 = 2.5 -> 3 votes in all
    [2, 1]
    """

    selector: Selector | str
    factor: Fraction | int | str
    districts: tuple[str, ...] | None = None
    tiers: tuple[str, ...] | None = None
    kind: ClassVar[str] = "scale"

    def __post_init__(self) -> None:
        object.__setattr__(self, "selector", Selector.parse(self.selector))
        object.__setattr__(self, "factor", parse_fraction(self.factor))
        object.__setattr__(self, "districts", _as_tuple(self.districts))
        object.__setattr__(self, "tiers", _as_tuple(self.tiers))

    def describe(self) -> str:
        assert isinstance(self.selector, Selector) and isinstance(self.factor, Fraction)
        return f"scale {self.selector.describe()} by {_fmt_fraction(self.factor)}{self._scope()}"

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        assert isinstance(self.selector, Selector) and isinstance(self.factor, Fraction)
        votes = _votes(frame)
        hit = self.selector.mask(frame).to_list()
        if not any(hit):
            raise _no_match(self.selector, frame)
        out = list(votes)
        groups = self._groups(frame)
        if not any(hit[i] for _, rows in groups for i in rows):
            raise ScenarioError(f"no votes of {self.selector.describe()}{self._scope()}")
        for _, rows in groups:
            sel = [i for i in rows if hit[i]]
            weights = [votes[i] for i in sel]
            total = sum(weights)
            if not total:
                continue
            target = _round_half_up(total * self.factor)
            for i, v in zip(sel, share_out(target, weights), strict=True):
                out[i] = v
        return _with_votes(frame, out)


def _take(n: int, rows: list[int], votes: list[int], frame: pl.DataFrame, spread: str,
          what: str) -> dict[int, int]:
    """Votes to take from each row (``n`` in all), proportionally or where strongest first."""
    have = sum(votes[i] for i in rows)
    if n > have:
        raise ScenarioError(f"{what}: cannot take {n} votes, there are only {have}")
    if spread == "proportional":
        return dict(zip(rows, share_out(n, [votes[i] for i in rows]), strict=True))
    # strongest first: districts ranked by the selection's share of the district's valid votes
    districts = frame["district"].cast(pl.Utf8).to_list()
    tier_of = frame["tier"].cast(pl.Utf8).to_list()
    all_votes = _votes(frame)
    by_district: dict[str, list[int]] = {}
    for i in rows:
        by_district.setdefault(districts[i], []).append(i)
    tier = tier_of[rows[0]]
    valid: dict[str, int] = {}
    for i, (t, d) in enumerate(zip(tier_of, districts, strict=True)):
        if t == tier and d in by_district:
            valid[d] = valid.get(d, 0) + all_votes[i]
    sel_votes = {d: sum(votes[i] for i in r) for d, r in by_district.items()}
    ranked = sorted(by_district, key=lambda d: (-Fraction(sel_votes[d], valid[d] or 1), -sel_votes[d], d))
    taken: dict[int, int] = {}
    left = n
    for d in ranked:
        if not left:
            break
        k = min(left, sel_votes[d])
        if k:
            taken.update(zip(by_district[d], share_out(k, [votes[i] for i in by_district[d]]), strict=True))
        left -= k
    return taken


SPREADS = ("proportional", "strongest")


@dataclass(frozen=True, slots=True)
class Remove(_Base):
    """Remove ``n_votes`` votes of ``selector`` in each tier in scope; exactly that many.

    ``spread="proportional"``: from every district (and card) where the selection
    has votes, in proportion to them (:func:`share_out`). ``spread="strongest"``:
    from the districts where the selection's share of the district's valid votes
    is largest, emptying one district before going on to the next (ties: more
    votes, then district id); within a district, in proportion across its rows.
    Asking for more votes than the selection has in a tier is an error.

    >>> import polars as pl
    >>> t = pl.DataFrame({"tier": ["l"] * 4, "district": ["A", "A", "B", "B"],
    ...                   "option": ["X", "Y", "X", "Y"], "votes": [600, 400, 300, 700]})
    >>> Remove("X", 700, spread="strongest").apply(t)["votes"].to_list()
    [0, 400, 200, 700]
    """

    selector: Selector | str
    n_votes: int
    spread: str = "proportional"
    districts: tuple[str, ...] | None = None
    tiers: tuple[str, ...] | None = None
    kind: ClassVar[str] = "remove"

    def __post_init__(self) -> None:
        object.__setattr__(self, "selector", Selector.parse(self.selector))
        object.__setattr__(self, "n_votes", _whole(self.n_votes, "remove"))
        if self.spread not in SPREADS:
            raise ScenarioError(f"remove: spread {self.spread!r} is not one of {', '.join(SPREADS)}")
        object.__setattr__(self, "districts", _as_tuple(self.districts))
        object.__setattr__(self, "tiers", _as_tuple(self.tiers))

    def describe(self) -> str:
        assert isinstance(self.selector, Selector)
        how = "in proportion" if self.spread == "proportional" else "where strongest first"
        return f"remove {self.n_votes:,} votes of {self.selector.describe()} {how}{self._scope()}"

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        assert isinstance(self.selector, Selector)
        votes = _votes(frame)
        hit = self.selector.mask(frame).to_list()
        if not any(hit):
            raise _no_match(self.selector, frame)
        out = list(votes)
        groups = self._groups(frame)
        if not any(hit[i] for _, rows in groups for i in rows):
            raise ScenarioError(f"no votes of {self.selector.describe()}{self._scope()}")
        for tier, rows in groups:
            sel = [i for i in rows if hit[i]]
            if not sel:
                continue
            where = f" in districts {', '.join(self.districts)}" if self.districts else ""
            what = f"remove from {self.selector.describe()} in tier {tier!r}{where}"
            for i, k in _take(self.n_votes, sel, votes, frame, self.spread, what).items():
                out[i] -= k
        return _with_votes(frame, out)


@dataclass(frozen=True, slots=True)
class SetTurnout(_Base):
    """Scale every vote of a tier (each tier in scope) so its valid-vote total is ``target_total``.

    Every row keeps its share up to rounding: the rows get :func:`share_out` of
    the target in proportion to their votes, so the total is exactly the target.
    ``tier`` is a shorthand for ``tiers=(tier,)``.

    >>> import polars as pl
    >>> t = pl.DataFrame({"tier": ["l"] * 3, "district": ["A", "A", "B"], "option": ["X", "Y", "X"],
    ...                   "votes": [3, 3, 4]})
    >>> SetTurnout(15).apply(t)["votes"].to_list()
    [5, 4, 6]
    """

    target_total: int
    tier: str | None = None
    districts: tuple[str, ...] | None = None
    tiers: tuple[str, ...] | None = None
    kind: ClassVar[str] = "set-turnout"

    def __post_init__(self) -> None:
        object.__setattr__(self, "target_total", _whole(self.target_total, "set-turnout"))
        if self.tier is not None and self.tiers is None:
            object.__setattr__(self, "tiers", (self.tier,))
        object.__setattr__(self, "districts", _as_tuple(self.districts))
        object.__setattr__(self, "tiers", _as_tuple(self.tiers))

    def describe(self) -> str:
        return f"set the valid votes to {self.target_total:,}{self._scope() or ' in every tier'}"

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        votes = _votes(frame)
        out = list(votes)
        for tier, rows in self._groups(frame):
            weights = [votes[i] for i in rows]
            if not sum(weights) and self.target_total:
                raise ScenarioError(f"set-turnout: tier {tier!r}{self._scope()} has no votes to scale")
            for i, v in zip(rows, share_out(self.target_total, weights), strict=True):
                out[i] = v
        return _with_votes(frame, out)


@dataclass(frozen=True, slots=True)
class Move(_Base):
    """Move votes from ``source`` to ``target`` within each district, in each tier in scope.

    ``amount`` is a whole number of votes (an ``int``) or a fraction of the
    source's votes (a Fraction, ``"10%"`` or ``"1/10"``; the count is the exact
    product rounded to nearest, halves up). Only districts where the target has
    a row take part: the votes are taken from the source there as
    :class:`Remove` takes them (``spread``), and each district's votes go to the
    target's rows in that district in proportion to their votes (equally if they
    have none).

    >>> import polars as pl
    >>> t = pl.DataFrame({"tier": ["l"] * 4, "district": ["A", "A", "B", "B"],
    ...                   "option": ["X", "Y", "X", "Y"], "votes": [600, 400, 300, 700]})
    >>> Move("X", "Y", 90).apply(t)["votes"].to_list()
    [540, 460, 270, 730]
    """

    source: Selector | str
    target: Selector | str
    amount: int | Fraction | str
    spread: str = "proportional"
    districts: tuple[str, ...] | None = None
    tiers: tuple[str, ...] | None = None
    kind: ClassVar[str] = "move"

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", Selector.parse(self.source))
        object.__setattr__(self, "target", Selector.parse(self.target))
        amount = self.amount
        if isinstance(amount, str) and not any(c in amount for c in "%/."):
            amount = _whole(amount, "move")
        elif not isinstance(amount, int) or isinstance(amount, bool):
            amount = parse_fraction(amount, "move")
            if amount > 1:
                raise ScenarioError(f"move: a fraction of the votes must be at most 1, got {self.amount!r}")
        object.__setattr__(self, "amount", _whole(amount, "move") if isinstance(amount, int) else amount)
        if self.spread not in SPREADS:
            raise ScenarioError(f"move: spread {self.spread!r} is not one of {', '.join(SPREADS)}")
        object.__setattr__(self, "districts", _as_tuple(self.districts))
        object.__setattr__(self, "tiers", _as_tuple(self.tiers))

    def describe(self) -> str:
        assert isinstance(self.source, Selector) and isinstance(self.target, Selector)
        if isinstance(self.amount, int):
            what = f"{self.amount:,} votes"
        else:
            what = f"{_fmt_fraction(Fraction(self.amount))} of the votes"
        return f"move {what} from {self.source.describe()} to {self.target.describe()}{self._scope()}"

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        assert isinstance(self.source, Selector) and isinstance(self.target, Selector)
        votes = _votes(frame)
        src = self.source.mask(frame).to_list()
        dst = self.target.mask(frame).to_list()
        if not any(src):
            raise _no_match(self.source, frame)
        if not any(dst):
            raise _no_match(self.target, frame)
        districts = frame["district"].cast(pl.Utf8).to_list()
        out = list(votes)
        for tier, rows in self._groups(frame):
            both = [i for i in rows if src[i] and dst[i]]
            if both:
                raise ScenarioError(f"move: {self.source.describe()} and {self.target.describe()} both match "
                                    f"option {frame['option'][both[0]]!r} in tier {tier!r}")
            receiving = {districts[i] for i in rows if dst[i]}
            sel = [i for i in rows if src[i] and districts[i] in receiving]
            if not sel:
                continue
            have = sum(votes[i] for i in sel)
            n = self.amount if isinstance(self.amount, int) else _round_half_up(have * Fraction(self.amount))
            where = f" in districts {', '.join(self.districts)}" if self.districts else ""
            what = f"move from {self.source.describe()} in tier {tier!r}{where}"
            taken = _take(n, sel, votes, frame, self.spread, what)
            per_district: dict[str, int] = {}
            for i, k in taken.items():
                out[i] -= k
                per_district[districts[i]] = per_district.get(districts[i], 0) + k
            for d, k in per_district.items():
                to = [i for i in rows if dst[i] and districts[i] == d]
                weights = [votes[i] for i in to]
                if not sum(weights):
                    weights = [1] * len(to)
                for i, g in zip(to, share_out(k, weights), strict=True):
                    out[i] += g
        return _with_votes(frame, out)


def _whole(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise ScenarioError(f"{what}: expected a whole number of votes, got {value!r}")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip().replace("_", "")
        try:
            number = int(text)
        except ValueError:
            raise ScenarioError(f"{what}: expected a whole number of votes, got {value!r}") from None
    if number < 0:
        raise ScenarioError(f"{what}: the number of votes must not be negative, got {number}")
    return number


def _fmt_fraction(f: Fraction) -> str:
    if f.denominator == 1:
        return str(f.numerator)
    dec = f * 10**6
    if dec.denominator == 1:
        return f"{float(f):g}"
    return f"{f.numerator}/{f.denominator}"


def apply_all(frame: pl.DataFrame, transforms: Iterable[Transform]) -> pl.DataFrame:
    """Apply ``transforms`` to ``frame`` in order (the first one first).

    >>> import polars as pl
    >>> t = pl.DataFrame({"tier": ["l"], "district": ["A"], "option": ["X"], "votes": [100]})
    >>> apply_all(t, [Remove("X", 50), Scale("X", 2)])["votes"].to_list()
    [100]
    """
    for step in transforms:
        frame = step.apply(frame)
    return frame


# ---------------------------------------------------------------- running a scenario

@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """A baseline election and the same election after the transforms."""

    ruleset: RuleSet
    transforms: tuple[Transform, ...]
    baseline_votes: pl.DataFrame
    scenario_votes: pl.DataFrame
    baseline: ElectionResult
    scenario: ElectionResult

    def describe(self) -> str:
        steps = "; then ".join(t.describe() for t in self.transforms) or "no change"
        return f"{self.ruleset.name} ({self.ruleset.id}): {steps}"

    def diff(self, level: str = "alliance") -> pl.DataFrame:
        """Seats per ``alliance`` or ``party`` before and after: baseline, scenario, change.

        Sorted by change (losses first), then name; every alliance or party of
        either result appears, changed or not.
        """
        if level not in ("alliance", "party", "option"):
            raise ScenarioError(f"diff level {level!r} is not alliance, party or option")
        before = self.baseline.by(level).select(level, pl.col("seats").alias("baseline"))
        after = self.scenario.by(level).select(level, pl.col("seats").alias("scenario"))
        joined = before.join(after, on=level, how="full", coalesce=True).fill_null(0)
        return (joined.with_columns((pl.col("scenario") - pl.col("baseline")).alias("change"))
                .sort(["change", "baseline", level], descending=[False, True, False]))

    def seat_changes(self) -> pl.DataFrame:
        """Every (tier, district, option) whose seats differ: party, alliance, baseline, scenario, change."""
        keys = ["tier", "district", "option", "party", "alliance"]
        a = self.baseline.to_polars().select(*keys, pl.col("seats").alias("baseline"))
        b = self.scenario.to_polars().select(*keys, pl.col("seats").alias("scenario"))
        joined = a.join(b, on=keys, how="full", coalesce=True, maintain_order="left").fill_null(0)
        return (joined.filter(pl.col("baseline") != pl.col("scenario"))
                .with_columns((pl.col("scenario") - pl.col("baseline")).alias("change")))

    def vote_changes(self, level: str = "alliance") -> pl.DataFrame:
        """Votes per tier and ``level`` before and after (only rows that changed)."""
        def total(frame: pl.DataFrame, name: str) -> pl.DataFrame:
            cols = _reporting(frame)
            return (frame.select(pl.col("tier").cast(pl.Utf8), cols[level].alias(level), "votes")
                    .group_by(["tier", level], maintain_order=True).agg(pl.col("votes").sum().alias(name)))
        joined = total(self.baseline_votes, "baseline").join(
            total(self.scenario_votes, "scenario"), on=["tier", level], how="full", coalesce=True,
            maintain_order="left").fill_null(0)
        return (joined.with_columns((pl.col("scenario") - pl.col("baseline")).alias("change"))
                .filter(pl.col("change") != 0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset": self.ruleset.id,
            "transforms": [t.describe() for t in self.transforms],
            "by_alliance": self.diff("alliance").to_dicts(),
            "seat_changes": self.seat_changes().to_dicts(),
        }


def run_scenario(ruleset: RuleSet, votes: object = None, transforms: Iterable[Transform] = (), *,
                 seed: int | None = None) -> ScenarioResult:
    """Allocate ``ruleset`` on ``votes`` and again after ``transforms`` (applied in order).

    ``votes`` is a polars frame, a path, or ``None`` for the rule set's shipped
    table. ``seed`` is passed to both allocations (tie policies that draw lots).

    >>> import polars as pl
    >>> from seats.rules import build_ruleset
    >>> rs = build_ruleset({"id": "toy", "total_seats": 3, "tier": [
    ...     {"id": "list", "method": "dhondt", "districts": [{"id": "A", "seats": 3}]}]})
    >>> t = pl.DataFrame({"tier": ["list"] * 2, "district": ["A"] * 2, "option": ["X", "Y"],
    ...                   "votes": [600, 400]})
    >>> res = run_scenario(rs, t, [Move("X", "Y", 150)])
    >>> res.diff().rows()
    [('X', 2, 1, -1), ('Y', 1, 2, 1)]
    """
    from seats.rules.allocate import load_votes

    steps = tuple(transforms)
    frame, _ = load_votes(ruleset, votes)
    changed = apply_all(frame, steps)
    baseline = ruleset.allocate(frame, seed=seed)
    scenario = ruleset.allocate(changed, seed=seed)
    return ScenarioResult(ruleset, steps, frame, changed, baseline, scenario)


def describe_all(transforms: Sequence[Transform]) -> list[str]:
    """One line per transform, numbered in the order they apply."""
    return [f"{n}. {t.describe()}" for n, t in enumerate(transforms, 1)]
