"""Monte Carlo: thousands of perturbed elections of a whole rule set, allocated exactly and fast.

Each run perturbs every district of every tier that takes votes, independently,
keeping the district's total ``n`` (its valid votes) fixed:

* ``multinomial``: the district's ballots are drawn again, ``n`` of them, with
  the observed shares (``votes ~ Multinomial(n, v / n)``): the sampling noise
  of a count of that size.
* ``dirichlet:ALPHA``: the shares are drawn first, ``p ~ Dirichlet(ALPHA * v / n)``,
  and the votes are ``n * p`` rounded to whole votes by largest remainders (so
  they add up to ``n`` exactly). ``ALPHA`` is a concentration: a share ``s``
  has mean ``s`` and standard deviation ``sqrt(s (1 - s) / (ALPHA + 1))``, as
  if the shares were estimated from a poll of about ``ALPHA`` voters. Small
  ``ALPHA`` = much noise; ``ALPHA`` near ``n`` gives about the multinomial's
  spread; a huge ``ALPHA`` reproduces the observed votes.

An option with no votes in a district stays at zero. Cards are summed into
options first (perturbing the cards and summing gives the same distribution).
Derived tiers (the 2020 national list) sum their source tier's perturbed votes
in every run; reserved tiers (seats given as results) are constant; thresholds
are applied to each run's votes.

Links. ``parallel`` tiers are independent. The upper tier of a ``subtract`` or
``additional-member`` link is allocated after its lower tier in every run, from
that run's nominal seats won (matched to the lists by party or alliance, per the
link's ``level``, in the lower district's parent): ``additional-member`` by the
batch path with per-row ``prior`` seats; ``subtract`` as the entitlement over the
district's seats plus the nominal seats won, less those seats, with the lists
whose nominal seats exceed their entitlement (overhang) keeping them and leaving
while the rest is shared again, round after round on the rows that need it. Both
are exactly :meth:`RuleSet.allocate`'s rule (the exact engine takes every row the
floats cannot certify, and detects ties as in single runs); a district with two
lists of one party (or alliance) is refused when the simulation starts.
Biproportional tiers are refused: each run would need a joint solve of the whole
tier, which is not vectorised across runs.

Every district of every tier is allocated for all runs at once, in chunks of
:data:`CHUNK` runs. Each chunk draws from generators of its own, children of
``numpy.random.SeedSequence(seed)`` by the chunk's number, so chunks run on a
pool of threads (``workers``, default one per core; numpy releases the GIL
while it samples) and the results depend only on the seed and the number of
runs, never on the number of threads. For each tier, every (run, district) row is first checked
against the district's allocation on the observed votes: an exact-margin
check (integers for block vote; for divisor methods floats with a margin far
above their rounding error, as :mod:`seats.batch` certifies) accepts it when
no other allocation is possible. Rows it rejects are solved by the vectorised
divisor or top-m solver with per-row magnitudes (other method families by the
batch path's solvers), and any row those cannot certify (near-ties, exact ties,
seat bounds, custom methods) by the exact scalar engine, exactly as
:meth:`RuleSet.allocate` would allocate that run's vote table.

Fewer draws, exactly (multinomial noise). A multinomial can be drawn with some
options merged into one category and the category's count split among them
afterwards (a multinomial with their relative shares): the result has exactly
the distribution of a full draw (the aggregation property). So:

* block-vote circuits draw each winner of the observed votes and the *sum* of
  the other candidates (more candidates apart only where the race is close);
* divisor list tiers (with the tiers derived from them, such as the 2020
  national list on the sum of the state lists) draw every list that wins a seat
  or could, and a few *groups* of small lists, each group well below the last
  quotient awarded in every district and in every derived district
  (:data:`_LAZY_MARGIN`, :data:`_LAZY_Z`; the same groups everywhere, so their
  sums are known in the derived tiers too).

A group's sum is split among its members, from a second generator, only in the
(run, district) rows where the exact check fails: the group, taken as one list,
would reach a winner (block vote: the weakest winner's votes; divisor: the last
quotient awarded, certified as :mod:`seats.batch` certifies), or a derived tier
cannot be certified in that run (then every district of the run is split).
Elsewhere no split can change a seat (each member has at most the group's votes,
strictly below what wins a seat) and the members are never drawn. With
``keep_votes=True`` every other row is split too, from a third generator, so
keeping the votes never changes a seat. On ve-2020-an this draws 315 binomial
variates per run instead of 487.

Ties. A run in which a tie decides a seat follows the tie policy (the tier's,
else the rule set's, unless ``ties=`` overrides it). Under ``"error"`` the
simulation does not stop: such runs are *left out* of the distributions and
reported (how many, and in which districts), because the law does not say who
wins them. ``"lot"`` draws lots, run ``r`` with ``seed + r`` (the seed that
``RuleSet.allocate(votes_r, seed=seed + r)`` would use), and ``"most-votes"``
and ``"order"`` settle them; settled ties are counted too. A run in which a
district cannot be filled (a block-vote circuit with fewer candidates with
votes than seats) is left out and reported the same way.

Examples
--------
>>> import polars as pl
>>> from seats.rules import build_ruleset
>>> rs = build_ruleset({"id": "toy", "total_seats": 5, "tier": [
...     {"id": "list", "method": "dhondt", "districts": [{"id": "N", "seats": 5}]}]})
>>> votes = pl.DataFrame({"tier": ["list"] * 2, "district": ["N"] * 2, "option": ["A", "B"],
...                       "votes": [6000, 4000]})
>>> res = simulate(rs, votes, runs=200, seed=1)
>>> res.baseline
(3, 2)
>>> sorted(set(res.seats[:, 0].tolist()))
[3]
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl

from seats.errors import InvalidSeatsError, InvalidVotesError, SeatsError, TieError
from seats.methods.api import apportion
from seats.methods.registry import MethodSpec, resolve
from seats.methods.ties import check_policy
from seats.rules.model import RuleSet, Tier
from seats.rules.result import ElectionResult

__all__ = [
    "CHUNK",
    "NOISE_KINDS",
    "Noise",
    "RunVotes",
    "SimulationError",
    "SimulationResult",
    "simulate",
    "simulate_votes",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

NOISE_KINDS = ("multinomial", "dirichlet")
CHUNK = 1000
"""Runs drawn and allocated together, with generators of their own; a constant, so results depend only on
the seed and the runs (small enough that a few thousand runs keep two threads busy to the end)."""
_TOL = 1e-9
_BATCH_ROWS = 8192
"""Rows per call of the batch path's solver: below the 2 x 8,192 rows from which :mod:`seats.batch` shares a
call between threads of its own, which inside simulate's workers would only oversubscribe the cores."""
_LAZY_MARGIN = 0.9
"""Multinomial noise draws minor options as one group only when the group holds at most this fraction of
what it must stay below (the weakest winner's votes in a block-vote circuit, the last quotient awarded in
a divisor list tier and in the tiers derived from it) ..."""
_LAZY_Z = 6.0
"""... and is about this many standard deviations below it, so that the exact check of every run nearly
always passes (where it fails, that run's group is split exactly; these constants only affect speed)."""


def _clear(group: float, last: float) -> bool:
    """Whether a group drawn as one (quotient ``group``) stays below ``last`` in nearly every run.

    Planning only: every run is still checked exactly.

    >>> _clear(40_000, 120_000), _clear(119_000, 120_000)
    (True, False)
    """
    return group <= _LAZY_MARGIN * last and last - group >= _LAZY_Z * math.sqrt(max(group + last, 0.0))


class SimulationError(SeatsError):
    """A simulation that cannot be run (bad noise, unsupported link, too few runs, ...)."""


# ---------------------------------------------------------------- noise


@dataclass(frozen=True, slots=True)
class Noise:
    """How each district's votes are perturbed: ``multinomial`` or ``dirichlet`` with ``alpha``.

    >>> Noise.parse("dirichlet:2000")
    Noise(kind='dirichlet', alpha=2000.0)
    >>> Noise.parse("multinomial").describe()
    'multinomial (each district resampled, n = its valid votes)'
    """

    kind: str = "multinomial"
    alpha: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in NOISE_KINDS:
            raise SimulationError(
                f"noise {self.kind!r} is not one of {', '.join(NOISE_KINDS)} "
                "(write dirichlet:ALPHA for Dirichlet noise)"
            )
        if self.kind == "dirichlet":
            if self.alpha is None or not math.isfinite(self.alpha) or self.alpha <= 0:
                raise SimulationError(
                    f"dirichlet noise needs a concentration ALPHA > 0, got {self.alpha!r} "
                    "(e.g. dirichlet:2000)"
                )
        elif self.alpha is not None:
            raise SimulationError(f"multinomial noise takes no parameter, got {self.alpha!r}")

    @classmethod
    def parse(cls, text: str | Noise) -> Noise:
        """``"multinomial"``, ``"dirichlet:ALPHA"`` (or ``"dirichlet=ALPHA"``), case-insensitive."""
        if isinstance(text, Noise):
            return text
        raw = str(text).strip().lower()
        kind, sep, param = raw.replace("=", ":").partition(":")
        kind = kind.strip()
        if not sep:
            if kind == "dirichlet":
                raise SimulationError(f"noise {text!r}: give the concentration, e.g. dirichlet:2000")
            return cls(kind)
        try:
            alpha = float(param)
        except ValueError:
            raise SimulationError(f"noise {text!r}: {param.strip()!r} is not a number") from None
        if kind != "dirichlet":
            raise SimulationError(f"noise {text!r}: only dirichlet takes a parameter")
        return cls(kind, alpha)

    def describe(self) -> str:
        if self.kind == "multinomial":
            return "multinomial (each district resampled, n = its valid votes)"
        return f"dirichlet (shares ~ Dirichlet({self.alpha:g} x observed shares), n = each district's votes)"


def _multinomial(rng: np.random.Generator, n: IntArray, p: FloatArray, runs: int) -> IntArray:
    """``(runs, D, K)`` multinomial draws, ``n`` votes ((D,) or (runs, D)) with shares ``p`` (D, K).

    numpy draws the columns one by one as conditional binomials and gives the
    last column exactly the votes left. Districts are drawn in groups by the
    position of their last column with a positive share, cut there: the votes
    left always go to a real option (no vote can land in padding), every total
    is exact, and the padding costs nothing.

    With one total per district (``n`` of shape (D,)), the first column is drawn
    apart, ``X0 ~ Binomial(n, p0)`` for all runs of a district in a row, and the
    other columns as ``Multinomial(n - X0, p[1:] / (1 - p0))``: the chain rule
    numpy's multinomial follows itself, so the distribution is the same. numpy's
    binomial sampler keeps its set-up while ``(n, p)`` repeats, so these first
    variates cost about half as much as inside a multinomial row (and a district
    of two options needs no multinomial at all).
    """
    dcount, width = p.shape
    wide = np.where(p > 0, np.arange(1, width + 1)[None, :], 0).max(axis=1, initial=0)
    fixed = np.ndim(n) == 1
    counts = np.broadcast_to(n, (runs, dcount))
    out: IntArray = np.zeros((runs, dcount, width), dtype=np.int64)
    for w in np.unique(wide).tolist():
        if not w:
            continue
        idx = np.flatnonzero(wide == w)
        group = slice(idx[0], idx[-1] + 1) if idx[-1] - idx[0] + 1 == idx.size else idx
        if not fixed or w == 1:
            out[:, group, :w] = rng.multinomial(counts[:, group], p[group, :w])
            continue
        # (districts, runs): numpy fills it district by district, each district's (n, p0) repeated
        first = rng.binomial(n[group][:, None], p[group, 0][:, None], size=(idx.size, runs)).T
        out[:, group, 0] = first
        left = counts[:, group] - first
        if w == 2:
            out[:, group, 1] = left
        else:
            tail = p[group, 1:w]
            out[:, group, 1:w] = rng.multinomial(left, tail / tail.sum(axis=1, keepdims=True))
    return out


def _draw(noise: Noise, rng: np.random.Generator, observed: IntArray, runs: int) -> IntArray:
    """``(runs, districts, options)`` perturbed votes of one tier; every district keeps its total."""
    n = observed.sum(axis=1)
    safe = np.where(n > 0, n, 1)
    p = observed / safe[:, None]
    if noise.kind == "multinomial":
        return _multinomial(rng, n, p, runs)
    assert noise.alpha is not None
    dcount, width = observed.shape
    out: IntArray = np.zeros((runs, dcount, width), dtype=np.int64)
    wide = np.where(observed > 0, np.arange(1, width + 1)[None, :], 0).max(axis=1, initial=0)
    for w in np.unique(wide).tolist():  # districts in groups of equal width: no work on padding
        if w:
            group = np.flatnonzero(wide == w)
            out[:, group, :w] = _dirichlet(rng, noise.alpha * p[group, :w], n[group], runs)
    return out


def _dirichlet(rng: np.random.Generator, shape: FloatArray, n: IntArray, runs: int) -> IntArray:
    """``n * Dirichlet(shape)`` per district, rounded to whole votes by largest remainders (sum exactly n)."""
    live = shape > 0
    g = np.zeros((runs, *shape.shape))
    g[:, live] = rng.standard_gamma(shape[live], size=(runs, int(live.sum())))
    total = g.sum(axis=2, keepdims=True)
    exact = g * (n[None, :, None] / np.where(total > 0, total, 1.0))
    floors = np.floor(exact).astype(np.int64)
    left = n[None, :] - floors.sum(axis=2)
    frac = np.where(live[None], exact - floors, -1.0)
    order = np.argsort(-frac, axis=2, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(shape.shape[1])[None, None, :], axis=2)
    votes: IntArray = floors + ((rank < left[..., None]) & live[None]).astype(np.int64)
    return votes


# ---------------------------------------------------------------- the plan of a rule set


@dataclass(slots=True)
class _TierPlan:
    tier: Tier
    policy: str
    spec: MethodSpec
    districts: tuple[str, ...]
    house: IntArray  # (D,)
    names: tuple[tuple[str, ...], ...]  # option ids per district
    col: IntArray  # (D, K) global option index, -1 = padding
    observed: IntArray  # (D, K)
    source_map: list[tuple[int, IntArray]] = field(default_factory=list)  # derived: (dst district, dst cols)
    given: dict[int, int] = field(default_factory=dict)  # reserved: option index -> seats
    base: IntArray | None = None  # (D, K) seats on the observed votes, tried first in every run
    lazy: _Lazy | None = None  # plurality tiers under multinomial noise: minor candidates drawn when needed
    grouped: _Grouped | None = None  # divisor lists under multinomial noise: minor lists drawn in groups
    via: str | None = None  # a derived tier allocated with its grouped source tier
    link: _LinkPlan | None = None  # the upper tier of a subtract or additional-member link
    inv_next: FloatArray | None = None  # (D, K) 1 / d(base): divisor tiers' quick check of the base seats
    inv_last: FloatArray | None = None  # (D, K) 1 / d(base - 1) for winners, else 0
    add_last: FloatArray | None = None  # (D, K) 0 for winners, inf for the others, -inf: base never holds


def _plans(
    rs: RuleSet,
    votes: Mapping[str, Mapping[str, Mapping[str, int]]],
    options: Sequence[str],
    ties: str | None,
) -> list[_TierPlan]:
    from seats.rules.allocate import _order

    for tier in rs.tiers:
        if tier.biproportional:
            raise SimulationError(
                f"rule set {rs.id!r}: tier {tier.id!r} is allocated biproportionally over all its districts, "
                "which simulate does not run: every run would need a joint alternating-scaling solve of the "
                "whole tier, which the batch path does not vectorise across runs (allocate single runs "
                "with RuleSet.allocate)"
            )
    linked = {link.upper: link for link in rs.links if link.kind != "parallel" and link.upper}
    index = {o: i for i, o in enumerate(options)}
    plans: dict[str, _TierPlan] = {}
    for tier in _order(rs):
        policy = check_policy(ties or tier.ties or rs.ties)
        spec = resolve(tier.method)
        if tier.results:
            given: dict[int, int] = {}
            for r in tier.results:
                given[index[r.option]] = given.get(index[r.option], 0) + r.seats
            plan = _TierPlan(
                tier,
                policy,
                spec,
                tier.district_ids,
                np.array([d.seats for d in tier.districts]),
                (),
                np.zeros((0, 0), dtype=np.int64),
                np.zeros((0, 0), dtype=np.int64),
                given=given,
            )
            plans[tier.id] = plan
            continue
        source_map: list[tuple[int, IntArray]] = []
        if tier.kind == "derived":
            src = plans[tier.source or ""]
            dst_ids = tier.district_ids
            by_d: dict[str, dict[str, None]] = {d: {} for d in dst_ids}
            homes = []
            for sd, names in zip(src.districts, src.names, strict=True):
                home = src.tier.district(sd).parent if len(dst_ids) > 1 else dst_ids[0]
                homes.append(dst_ids.index(home))
                by_d[home].update(dict.fromkeys(names))
            names_t = tuple(tuple(by_d[d]) for d in dst_ids)
            for names, dst in zip(src.names, homes, strict=True):
                where = {o: k for k, o in enumerate(names_t[dst])}
                source_map.append((dst, np.array([where[o] for o in names], dtype=np.int64)))
        else:
            tv = votes.get(tier.id, {})
            names_t = tuple(tuple(tv.get(d, {})) for d in tier.district_ids)
        names_of = tier.district_ids
        width = max((len(n) for n in names_t), default=0)
        col = np.full((len(names_t), max(width, 1)), -1, dtype=np.int64)
        observed = np.zeros(col.shape, dtype=np.int64)
        for d, names in enumerate(names_t):
            col[d, : len(names)] = [index[o] for o in names]
            if tier.kind != "derived":
                here = votes[tier.id][names_of[d]]
                observed[d, : len(names)] = [here[o] for o in names]
        plans[tier.id] = _TierPlan(
            tier,
            policy,
            spec,
            tier.district_ids,
            np.array([d.seats for d in tier.districts], dtype=np.int64),
            names_t,
            col,
            observed,
            source_map,
        )
    ordered = [plans[t.id] for t in _order(rs)]
    for plan in ordered:
        if plan.tier.kind == "derived":
            plan.observed = _derive(plan, plans[plan.tier.source or ""].observed[None])[0]
        checkable = plan.spec.family == "plurality" or plan.spec.signpost is not None
        if plan.tier.id in linked:  # its seats depend on the nominal seats won in each run: no base seats
            continue
        if plan.names and not plan.given and not plan.tier.threshold and _fast(plan) and checkable:
            seats, certified = _rows(plan, plan.observed, plan.observed > 0, plan.house)
            seats[~certified] = -1  # never certified: those districts are solved in full every run
            plan.base = seats
            _quick(plan)
    return ordered


def _quick(plan: _TierPlan) -> None:
    """Per-district constants for checking a divisor tier's base seats with one multiply per quotient.

    Only for signposts with ``d(0) > 0`` and votes to the first power (D'Hondt, Sainte-Laguë, ...)."""
    sp = plan.spec.signpost
    base = plan.base
    if sp is None or base is None or sp.b(0) == 0 or getattr(sp, "power", 1) != 1:
        return
    inv_next = np.zeros(base.shape)
    inv_last = np.zeros(base.shape)
    add_last = np.full(base.shape, np.inf)
    for (d, k), n in np.ndenumerate(base):
        if n < 0:
            add_last[d] = -np.inf
            continue
        s = int(n)
        inv_next[d, k] = sp.a(s) / sp.b(s)
        if s > 0:
            inv_last[d, k] = sp.a(s - 1) / sp.b(s - 1)
            add_last[d, k] = 0.0
    plan.inv_next, plan.inv_last, plan.add_last = inv_next, inv_last, add_last


def _fast(plan: _TierPlan) -> bool:
    return not plan.tier.options and plan.spec.id != "custom"


def _rows(plan: _TierPlan, v: IntArray, ok: BoolArray, house: IntArray) -> tuple[IntArray, BoolArray]:
    """The vectorised solver of the tier's method family on rows ``v`` (each with its own magnitude).

    ``v`` is 0 wherever ``ok`` is false (as :func:`seats.batch.allocate` passes it)."""
    if plan.spec.family == "plurality":
        return _plurality_rows(plan.spec, v, ok, house)
    return _batch_rows(plan.spec, v, ok, house)


def _check(plan: _TierPlan, v: IntArray, ok: BoolArray, s: IntArray, house: IntArray) -> BoolArray:
    """Rows for which the seats ``s`` are certainly the allocation (strict, so no tie decides a seat)."""
    stray = ((s > 0) & ~ok).any(axis=1) | (s.min(axis=1, initial=0) < 0) | (s.sum(axis=1) != house)
    if plan.spec.family == "plurality":
        win = s > 0
        key = np.where(ok, v, -1)
        low = np.where(win, key, np.iinfo(np.int64).max).min(axis=1, initial=np.iinfo(np.int64).max)
        high = np.where(win, -1, key).max(axis=1, initial=-1)
        good: BoolArray = ~stray & (s <= 1).all(axis=1) & (low > high) & ((low > 0) | (house == 0))
        if plan.spec.id == "plurality":
            good &= house <= 1
        return good
    sp = plan.spec.signpost
    assert sp is not None
    vf = np.where(ok, v, 0).astype(np.float64)
    certified: BoolArray = ~stray & _divisor_certified(sp, vf, ok, s, house)
    return certified


def _derive(plan: _TierPlan, src: IntArray) -> IntArray:
    """A derived tier's ``(runs, D', K')`` votes: its source tier's summed by option (per parent)."""
    out = np.zeros((src.shape[0], *plan.col.shape), dtype=np.int64)
    if plan.col.shape[0] == 1 and all(
        np.array_equal(cols, np.arange(cols.size)) for _, cols in plan.source_map
    ):  # one district, every source district's options in the same order: one sum (padding holds 0)
        width = min(src.shape[2], plan.col.shape[1])
        out[:, 0, :width] = src[:, :, :width].sum(axis=1)
        return out
    for s, (dst, cols) in enumerate(plan.source_map):
        out[:, dst, cols] += src[:, s, : len(cols)]
    return out


def _excluded(plan: _TierPlan, v: IntArray, party: IntArray, alliance: IntArray) -> BoolArray | None:
    """Options below the tier's threshold in every run (exactly: key votes * den < num * total)."""
    tier = plan.tier
    if not tier.threshold:
        return None
    num, den = tier.threshold.numerator, tier.threshold.denominator
    pad = plan.col < 0
    col = np.where(pad, 0, plan.col)
    keys = {"option": col, "party": party[col], "alliance": alliance[col]}[tier.threshold_level]
    keys = np.where(pad, -1, keys)
    key_ids = np.unique(keys[~pad])
    key_votes = np.zeros(v.shape, dtype=np.int64)
    if tier.threshold_scope == "district":
        total = v.sum(axis=2, keepdims=True)
        for g in key_ids:
            mask = keys == g
            kv = (v * mask[None]).sum(axis=2, keepdims=True)
            key_votes += kv * mask[None]
    else:
        total = v.sum(axis=(1, 2))[:, None, None]
        for g in key_ids:
            mask = keys == g
            kv = (v * mask[None]).sum(axis=(1, 2))[:, None, None]
            key_votes += kv * mask[None]
    if int(key_votes.max(initial=0)) * den >= 2**62 or int(total.max(initial=0)) * num >= 2**62:
        raise SimulationError(f"tier {tier.id!r}: votes too large to check the threshold in int64")
    below: BoolArray = (key_votes * den < num * total) & ~pad[None]
    return below


# ---------------------------------------------------------------- solvers: rows with their own magnitudes


def _divisor_certified(sp: Any, vf: FloatArray, ok: BoolArray, s: IntArray, house: IntArray) -> BoolArray:
    """Rows whose seats ``s`` the floats certify, as :mod:`seats.batch` certifies its own (no prior
    seats; a row with seats and no party to take them, or, when d(0) = 0, more parties with votes
    than seats, is left to the exact engine)."""
    from seats.batch import _certified

    contenders = ok.sum(axis=1)
    hopeless = (contenders == 0) & (house > 0)
    if sp.b(0) == 0:
        hopeless |= contenders > house
    return _certified(sp, vf, ok, s, s, house, hopeless)


def _plurality_rows(
    spec: MethodSpec, v: IntArray, ok: BoolArray, house: IntArray
) -> tuple[IntArray, BoolArray]:
    """The ``house`` candidates with most votes in every row; certified when the cut is strict (integers).

    For each magnitude ``m`` the m-th and (m+1)-th largest totals come from one
    ``np.partition``; a row is certified when the m-th is positive and strictly
    above the next, so exactly ``m`` candidates reach it.
    """
    rows, width = v.shape
    key = np.where(ok, v, -1)
    seats = np.zeros_like(v)
    certified = np.zeros(rows, dtype=bool)
    for m in np.unique(house).tolist():
        idx = np.flatnonzero(house == m)
        if m == 0:
            certified[idx] = True
            continue
        if m > width or (spec.id == "plurality" and m > 1):
            continue
        sub = key[idx]
        if m < width:
            part = np.partition(sub, (width - m - 1, width - m), axis=1)
            cut, nxt = part[:, width - m], part[:, width - m - 1]
        else:
            cut, nxt = sub.min(axis=1), np.full(idx.size, -1)
        seats[idx] = sub >= cut[:, None]
        certified[idx] = (cut > 0) & (cut != nxt)
    return seats, certified


def _batch_rows(
    spec: MethodSpec, v: IntArray, ok: BoolArray, house: IntArray, prior: IntArray | None = None
) -> tuple[IntArray, BoolArray]:
    """Divisor and largest-remainder methods: the batch path's vectorised solver with one house per row
    (:func:`seats.batch.allocate` with ``seats=`` an array, and ``prior=`` seats for divisor methods);
    rows it does not certify go to the exact engine."""
    from seats import batch

    solver = batch._SOLVERS.get(spec.family)
    rows = v.shape[0]
    if solver is None or not rows:
        return np.zeros_like(v), np.zeros(rows, dtype=bool)
    houses = np.asarray(house, dtype=np.int64)
    if rows <= _BATCH_ROWS:
        return batch._solve(spec, solver, v, ok, houses, prior)
    # in pieces, so that the batch path never starts threads of its own inside simulate's workers
    # (rows are independent: the seats are the same however they are cut)
    seats = np.empty_like(v)
    certified = np.empty(rows, dtype=bool)
    for lo in range(0, rows, _BATCH_ROWS):
        hi = min(rows, lo + _BATCH_ROWS)
        part = None if prior is None else prior[lo:hi]
        seats[lo:hi], certified[lo:hi] = batch._solve(spec, solver, v[lo:hi], ok[lo:hi], houses[lo:hi], part)
    return seats, certified


@dataclass(slots=True)
class _Outcome:
    """One tier's seats in a chunk of runs, kept compact: most rows take the district's ``base`` seats."""

    base: IntArray  # (D, K) seats of a row marked in ``kept``
    kept: BoolArray  # (runs, D)
    rows: IntArray  # (N, 2) (run, district) rows with seats of their own ...
    seats: IntArray  # (N, K) ... these
    tied: dict[int, list[int]] = field(default_factory=dict)  # district -> runs with a deciding tie
    settled: dict[int, list[int]] = field(default_factory=dict)  # district -> runs with a tie settled
    unfilled: dict[int, list[int]] = field(default_factory=dict)  # district -> runs it could not fill

    def tally(self, col: IntArray, party_idx: IntArray, width: int) -> IntArray:
        """``(runs, parties)`` seats of the tier in every run."""
        dcount = self.base.shape[0]
        real = col >= 0
        base_party = np.zeros((dcount, width), dtype=np.int64)
        dd, kk = np.nonzero(real & (self.base > 0))
        np.add.at(base_party, (dd, party_idx[col[dd, kk]]), self.base[dd, kk])
        # every run starts from all districts' base seats, less those of the (few) rows not kept
        out: IntArray = np.tile(base_party.sum(axis=0), (self.kept.shape[0], 1))
        r, d = np.nonzero(~self.kept)
        if r.size:
            np.subtract.at(out, r, base_party[d])
        if self.rows.size:
            i, kk = np.nonzero(self.seats)
            r, d = self.rows[i, 0], self.rows[i, 1]
            np.add.at(out, (r, party_idx[col[d, kk]]), self.seats[i, kk])
        return out

    def full(self) -> IntArray:
        """``(runs, D, K)`` seats (for tests and the benchmark's checks)."""
        out = self.base[None] * self.kept[..., None]
        if self.rows.size:
            out[self.rows[:, 0], self.rows[:, 1]] = self.seats
        return out


def _outcome(base: IntArray, kept: BoolArray, rows: IntArray, seats: IntArray) -> _Outcome:
    return _Outcome(
        base, kept, rows.reshape(-1, 2).astype(np.int64), seats.reshape(len(rows), base.shape[-1])
    )


def _solve(
    plan: _TierPlan, v: IntArray, excluded: BoolArray | None, first_run: int, seed: int | None
) -> _Outcome:
    """Allocate one tier's ``(runs, D, K)`` votes: base seats where they hold, else solve, else exact."""
    out, pending, running = _solve_fast(plan, v, excluded)
    every = running.shape[0] == 1
    _exact(
        plan,
        out,
        [(i, int(out.rows[i, 0]), int(out.rows[i, 1])) for i in pending.tolist()],
        lambda r, d: (v[r, d], running[0 if every else r, d]),
        first_run,
        seed,
    )
    return out


def _solve_fast(
    plan: _TierPlan, v: IntArray, excluded: BoolArray | None
) -> tuple[_Outcome, IntArray, BoolArray]:
    """The vectorised part of :func:`_solve`: the outcome, the indices of its ``rows`` that the floats
    could not certify (for the exact engine), and which options run in each (run, district)."""
    runs, dcount, width = v.shape
    present = plan.col >= 0
    running = present[None] if excluded is None else present[None] & ~excluded
    base = plan.base if plan.base is not None and _fast(plan) else np.zeros_like(plan.col)
    if not _fast(plan) or plan.base is None:
        kept = np.zeros(runs * dcount, dtype=bool)
    elif excluded is None and plan.inv_next is not None:
        # the base seats hold when every losing quotient is below every winning one (margin as in batch);
        # padding and options without votes have 0 votes, so they never pass a winner
        assert plan.inv_last is not None and plan.add_last is not None
        if width >= 4 * dcount:  # few districts of many options (a national list): whole rows at once
            vf = v.astype(np.float64)
            top = (vf * plan.inv_next).max(axis=2, initial=0.0)
            vf *= plan.inv_last
            vf += plan.add_last
            bottom = vf.min(axis=2, initial=np.inf)
        else:  # column by column (numpy reduces short last axes slowly), in buffers made once
            top = np.zeros((runs, dcount))
            bottom = np.full((runs, dcount), np.inf)
            col = np.empty((runs, dcount))
            tmp = np.empty((runs, dcount))
            for k in range(width):
                np.copyto(col, v[:, :, k], casting="unsafe")  # int64 votes to floats, as astype
                np.multiply(col, plan.inv_next[:, k], out=tmp)
                np.maximum(top, tmp, out=top)
                np.multiply(col, plan.inv_last[:, k], out=tmp)
                tmp += plan.add_last[:, k]
                np.minimum(bottom, tmp, out=bottom)
        kept = (top < bottom * (1 - 2 * _TOL)).reshape(runs * dcount)
    elif excluded is None and plan.spec.family == "plurality":
        # the base winners hold when the weakest of them has more votes than any other candidate
        big = np.iinfo(np.int64).max
        win = base > 0
        low = np.full((runs, dcount), big)
        high = np.full((runs, dcount), -1, dtype=np.int64)
        for k in range(width):  # column by column: numpy reduces short last axes slowly
            votes_k = v[:, :, k]
            low = np.minimum(low, np.where(win[:, k], votes_k, big))
            high = np.maximum(high, np.where(win[:, k], -1, votes_k))
        whole = (base >= 0).all(axis=1) & (win.sum(axis=1) == plan.house) & (base <= 1).all(axis=1)
        if plan.spec.id == "plurality":
            whole &= plan.house <= 1
        kept = (whole[None] & (low > high) & ((low > 0) | (plan.house[None] == 0))).reshape(runs * dcount)
    else:
        flat, ok, house = _flat(plan, v, running, np.arange(runs * dcount))
        kept = _check(plan, flat, ok, np.broadcast_to(base, v.shape).reshape(flat.shape), house)
    todo = np.flatnonzero(~kept)
    if _fast(plan):
        flat, ok, house = _flat(plan, v, running, todo)
        seats, certified = _rows(plan, flat, ok, house)
    else:
        seats, certified = np.zeros((todo.size, width), dtype=np.int64), np.zeros(todo.size, dtype=bool)
    rows = np.stack(np.divmod(todo, dcount), axis=1)
    out = _outcome(base, kept.reshape(runs, dcount), rows, seats)
    return out, np.flatnonzero(~certified), running


def _flat(
    plan: _TierPlan, v: IntArray, running: BoolArray, rows: IntArray
) -> tuple[IntArray, BoolArray, IntArray]:
    """Votes (running options only), eligibility and magnitude of the flat (run * D + district) ``rows``."""
    dcount = plan.col.shape[0]
    r, d = np.divmod(rows, dcount)
    keep = running[np.zeros_like(r) if running.shape[0] == 1 else r, d]
    flat = np.where(keep, v[r, d], 0)
    return flat, (flat > 0) & keep, plan.house[d]


def _exact(
    plan: _TierPlan,
    out: _Outcome,
    pending: Sequence[tuple[int, int, int]],
    votes_of: Callable[[int, int], tuple[IntArray, BoolArray]],
    first_run: int,
    seed: int | None,
) -> None:
    """The exact scalar engine for ``out.seats[i]`` of each ``(i, run, district)``, as RuleSet.allocate."""
    extra: dict[str, Any] = dict(plan.tier.options)
    for i, r, d in pending:
        names = plan.names[d]
        votes, keep = votes_of(r, d)
        mapping = {o: int(votes[k]) for k, o in enumerate(names) if keep[k]}
        run_seed = None if seed is None else seed + first_run + r
        out.seats[i] = 0
        try:
            alloc = apportion(
                mapping, int(plan.house[d]), method=plan.tier.method, ties=plan.policy, seed=run_seed, **extra
            )
        except TieError:
            out.tied.setdefault(d, []).append(first_run + r)
            continue
        except (InvalidSeatsError, InvalidVotesError):
            out.unfilled.setdefault(d, []).append(first_run + r)
            continue
        out.seats[i, : len(names)] = [alloc.seats.get(o, 0) for o in names]
        if alloc.ties:
            out.settled.setdefault(d, []).append(first_run + r)


# ---------------------------------------------------------------- subtract and additional-member links


@dataclass(slots=True)
class _LinkPlan:
    """How the nominal seats won in the lower tier of a link reach the upper tier's lists in every run.

    A lower (district, column) seat counts for the upper list of the same party (or alliance, by the
    link's ``level``) in the lower district's home (its parent; the upper tier's only district when it has
    one): ``won.flat[:, tgt[i]] += seats.flat[:, src[i]]``, with ``src`` sorted by ``tgt`` and ``starts``
    where each target begins (for one ``np.add.reduceat``). Seats won by a party with no list in that
    district count nowhere, as in :func:`seats.rules.allocate.allocate`.
    """

    kind: str  # "subtract" or "additional-member"
    lower: str  # the lower tier's id
    src: IntArray  # flat (district * width + column) indices into the lower tier's seats, sorted by target
    starts: IntArray  # where each distinct target begins in ``src``
    tgt: IntArray  # the distinct flat (district * width + column) targets in the upper tier
    given: IntArray | None  # (D, K) constant nominal seats of a lower tier with seats given as results


def _key_of(options: Mapping[str, tuple[str, str]], option: str, level: str) -> str:
    party, alliance = options.get(option, (option, option))
    return party if level == "party" else alliance


def _link_plan(
    link: Any, upper: _TierPlan, lower: _TierPlan, options: Mapping[str, tuple[str, str]]
) -> _LinkPlan:
    """The :class:`_LinkPlan` of ``link`` (checked: one list per party or alliance in each upper district)."""
    from seats.errors import VoteTableError

    level = link.level
    width = upper.col.shape[1]
    slot: list[dict[str, int]] = []  # per upper district: key -> column of its list
    for d, names in enumerate(upper.names):
        seen: dict[str, int] = {}
        for k, o in enumerate(names):
            key = _key_of(options, o, level)
            if key in seen:
                raise VoteTableError(
                    f"tier {upper.tier.id!r}, district {upper.districts[d]!r}: lists {names[seen[key]]!r} "
                    f"and {o!r} both belong to {level} {key!r}; a {link.kind} link needs one list per {level}"
                )
            seen[key] = k
        slot.append(seen)
    up_ids = {u: i for i, u in enumerate(upper.districts)}
    only = upper.districts[0] if len(upper.districts) == 1 else None
    parents = {d.id: d.parent for d in lower.tier.districts}  # (Tier.district searches: quadratic over many)

    def home(district: str) -> int:
        return up_ids[only if only is not None else parents[district]]

    if lower.given:
        given = np.zeros(upper.col.shape, dtype=np.int64)
        for r in lower.tier.results:
            u = home(r.district)
            col = slot[u].get(_key_of(options, r.option, level))
            if col is not None:
                given[u, col] += r.seats
        empty = np.zeros(0, dtype=np.int64)
        return _LinkPlan(link.kind, lower.tier.id, empty, empty, empty, given)
    pairs: list[tuple[int, int]] = []
    lwidth = lower.col.shape[1]
    for ld, names in enumerate(lower.names):
        u = home(lower.districts[ld])
        for j, o in enumerate(names):
            col = slot[u].get(_key_of(options, o, level))
            if col is not None:
                pairs.append((u * width + col, ld * lwidth + j))
    pairs.sort()
    tgt_all = np.array([t for t, _ in pairs], dtype=np.int64)
    src = np.array([s for _, s in pairs], dtype=np.int64)
    tgt, starts = np.unique(tgt_all, return_index=True)
    return _LinkPlan(link.kind, lower.tier.id, src, starts.astype(np.int64), tgt.astype(np.int64), None)


def _won(lp: _LinkPlan, upper: _TierPlan, lower_seats: IntArray | None, runs: int) -> IntArray:
    """``(runs, D, K)`` nominal seats won, per upper district and list, from the lower tier's seats."""
    shape = upper.col.shape
    if lp.given is not None:
        return np.broadcast_to(lp.given, (runs, *shape)).copy()
    won = np.zeros((runs, shape[0] * shape[1]), dtype=np.int64)
    if lp.src.size and lower_seats is not None:
        flat = lower_seats.reshape(runs, -1)
        won[:, lp.tgt] = np.add.reduceat(flat[:, lp.src], lp.starts, axis=1)
    return won.reshape(runs, *shape)


def _solve_linked(
    plan: _TierPlan,
    v: IntArray,
    excluded: BoolArray | None,
    won: IntArray,
    skip: BoolArray,
    first_run: int,
    seed: int | None,
) -> _Outcome:
    """Allocate the upper tier of a subtract or additional-member link in every (run, district) row.

    ``additional-member``: one batch solve with per-row ``prior`` seats (the nominal seats won).
    ``subtract``: the entitlement over the district's seats plus the nominal seats won by the lists still
    in, less those seats; a list whose nominal seats exceed its entitlement keeps them (overhang) and
    leaves, and the rest is shared again, round after round, only on the rows that had overhang. A row
    any round cannot certify, and every row of a method the batch path does not vectorise, is allocated
    by the exact engine exactly as :func:`seats.rules.allocate.allocate` does (each round a
    :func:`seats.apportion`). Runs marked in ``skip`` (already left out) are not solved again exactly.
    """
    assert plan.link is not None
    runs, dcount, width = v.shape
    n = runs * dcount
    present = plan.col >= 0
    running = present[None] if excluded is None else present[None] & ~excluded
    keep = np.broadcast_to(running, v.shape).reshape(n, width)
    vv = np.where(keep, v.reshape(n, width), 0)
    w = np.where(keep, won.reshape(n, width), 0)
    house = np.tile(plan.house, runs)
    seats = np.zeros((n, width), dtype=np.int64)
    good = np.zeros(n, dtype=bool)
    if _fast(plan) and plan.link.kind == "additional-member":
        seats, good = _batch_rows(plan.spec, vv, vv > 0, house, w)
    elif _fast(plan):
        active = keep.copy()
        todo = np.arange(n)
        while todo.size:
            a = active[todo]
            wt = np.where(a, w[todo], 0)
            x = np.where(a, vv[todo], 0)
            s, c = _rows(plan, x, x > 0, house[todo] + wt.sum(axis=1))
            over = a & (wt > s)
            again = over.any(axis=1)
            done = c & ~again
            seats[todo[done]] = np.where(a[done], s[done] - wt[done], 0)
            good[todo[done]] = True
            more = c & again
            active[todo[more]] &= ~over[more]
            todo = todo[more]
    rows = np.stack(np.divmod(np.arange(n), dcount), axis=1).astype(np.int64)
    nobase = np.zeros((dcount, width), dtype=np.int64)
    out = _outcome(nobase, np.zeros((runs, dcount), dtype=bool), rows, seats)
    pending = np.flatnonzero(~good & ~np.repeat(skip, dcount))
    _exact_linked(plan, out, pending, vv, keep, w, first_run, seed)
    return out


def _exact_linked(
    plan: _TierPlan,
    out: _Outcome,
    pending: IntArray,
    votes: IntArray,
    keep: BoolArray,
    won: IntArray,
    first_run: int,
    seed: int | None,
) -> None:
    """The exact scalar engine on the linked rows ``pending`` of ``out``, as RuleSet.allocate runs them."""
    assert plan.link is not None
    extra: dict[str, Any] = dict(plan.tier.options)
    dcount = plan.col.shape[0]
    for i in pending.tolist():
        r, d = divmod(i, dcount)
        names = plan.names[d]
        mapping = {o: int(votes[i, k]) for k, o in enumerate(names) if keep[i, k]}
        held = {o: int(won[i, k]) for k, o in enumerate(names) if keep[i, k]}
        run_seed = None if seed is None else seed + first_run + r
        out.seats[i] = 0
        house = int(plan.house[d])
        settled = False
        try:
            if plan.link.kind == "additional-member":
                alloc = apportion(
                    mapping,
                    house,
                    method=plan.tier.method,
                    ties=plan.policy,
                    seed=run_seed,
                    prior_seats=held,
                    **extra,
                )
                result = dict(alloc.seats)
                settled = bool(alloc.ties)
            else:
                active = dict(mapping)
                while True:
                    magnitude = house + sum(held[o] for o in active)
                    alloc = apportion(
                        active, magnitude, method=plan.tier.method, ties=plan.policy, seed=run_seed, **extra
                    )
                    settled |= bool(alloc.ties)
                    over = [o for o in active if held[o] > alloc.seats[o]]
                    if not over:
                        break
                    for o in over:
                        del active[o]
                result = {o: alloc.seats[o] - held[o] for o in active}
        except TieError:
            out.tied.setdefault(d, []).append(first_run + r)
            continue
        except (InvalidSeatsError, InvalidVotesError):
            out.unfilled.setdefault(d, []).append(first_run + r)
            continue
        out.seats[i, : len(names)] = [result.get(o, 0) for o in names]
        if settled:
            out.settled.setdefault(d, []).append(first_run + r)


# ---------------------------------------------------------------- block vote: minor candidates drawn lazily


@dataclass(slots=True)
class _Lazy:
    """A plurality tier drawn as (its m winners, close runners-up, the rest together) per district.

    By the aggregation property of the multinomial, drawing the strongest
    candidates and the *sum* of the others, then splitting that sum among them
    (multinomial with their relative shares) only when needed, gives exactly
    the distribution of a full draw. It is needed only when the sum reaches the
    weakest winner: otherwise no other candidate can win or tie, whatever the split.
    """

    major: IntArray  # (D, J) local columns of the strongest candidates, -1 = padding
    win: BoolArray  # (D, J) the first m of them (the observed winners)
    p_major: FloatArray  # (D, J + 1) their shares, then the others' total share (column ``rest``), then 0
    minor: IntArray  # (D, M) local columns of the others, -1 = padding
    p_minor: FloatArray  # (D, M) their shares within the others
    has_minor: BoolArray  # (D,)
    order: IntArray  # (D,) the plan's district at each position: districts sorted by how many kept apart
    reach: IntArray  # (J,) how many districts (a prefix) have a candidate in column j
    at: IntArray  # (D,) the position of each of the plan's districts (the inverse of ``order``)
    votes: IntArray  # (D,) each district's votes
    won: IntArray  # (D, K) in the plan's order: 1 for the observed winners
    rest: IntArray  # (D,) the column of the others' total in each district


def _rest(lz: _Lazy, compact: IntArray) -> IntArray:
    """``(runs, D)`` the others' total in every (run, district) of a compact draw."""
    runs, dcount, width = compact.shape
    out: IntArray = compact.reshape(runs, dcount * width).take(np.arange(dcount) * width + lz.rest, axis=1)
    return out


def _lazy(plan: _TierPlan) -> _Lazy:
    dcount = len(plan.names)
    # (plain lists: a few numbers per circuit, where numpy's per-call cost would dominate)
    observed = [plan.observed[d, : len(n)].tolist() for d, n in enumerate(plan.names)]
    houses = plan.house.tolist()
    order = []
    cut = []
    for obs, h in zip(observed, houses, strict=True):
        o = sorted(range(len(obs)), key=obs.__getitem__, reverse=True)  # most votes first, ties in order
        c = min(len(o), int(h))
        weakest = obs[o[h - 1]] if 0 < h <= len(o) else 0
        others = sum(obs[k] for k in o[c:])
        # keep candidates apart until the others together stay clearly below the weakest winner
        while c < len(o) and not _clear(others, weakest):
            others -= obs[o[c]]
            c += 1
        order.append(o)
        cut.append(c)
    jmax, mmax = max(cut), max(max(len(o) - c for o, c in zip(order, cut, strict=True)), 1)
    major = np.full((dcount, jmax), -1, dtype=np.int64)
    minor = np.full((dcount, mmax), -1, dtype=np.int64)
    win = np.zeros((dcount, jmax), dtype=bool)
    p_major = np.zeros((dcount, jmax + 1))
    p_minor = np.zeros((dcount, mmax))
    for d, (o, c, obs) in enumerate(zip(order, cut, observed, strict=True)):
        n = max(sum(obs), 1)
        major[d, :c] = o[:c]
        win[d, : min(c, int(houses[d]))] = True
        p_major[d, :c] = [obs[k] / n for k in o[:c]]
        rest = o[c:]
        minor[d, : len(rest)] = rest
        total = sum(obs[k] for k in rest)
        p_major[d, c] = total / n  # right after the district's own columns: no padding to draw through
        if total:
            p_minor[d, : len(rest)] = [obs[k] / total for k in rest]
    has_minor: BoolArray = np.asarray((minor >= 0).any(axis=1), dtype=bool)
    # positions sorted by the number of candidates kept apart (most first), so that the districts
    # with a candidate in column j are a prefix and the checks work on slices, not on padding
    pos = np.argsort(-np.asarray(cut), kind="stable")
    reach = np.array([int(np.count_nonzero(np.asarray(cut) > j)) for j in range(jmax)], dtype=np.int64)
    votes = plan.observed.sum(axis=1)
    won = np.zeros(plan.col.shape, dtype=np.int64)
    for d in range(dcount):
        won[d, major[d][win[d]]] = 1
    return _Lazy(
        major[pos],
        win[pos],
        p_major[pos],
        minor[pos],
        p_minor[pos],
        has_minor[pos],
        pos,
        reach,
        np.argsort(pos),
        votes[pos],
        won,
        np.asarray(cut, dtype=np.int64)[pos],
    )


def _expand(
    plan: _TierPlan, lz: _Lazy, compact: IntArray, rows: IntArray, minors: IntArray, fill: np.random.Generator
) -> IntArray:
    """Full ``(runs, D, K)`` votes from the compact draw: ``rows`` (run, district) get the split ``minors``
    used to allocate them; every other row's split is drawn from ``fill`` (it cannot change a seat)."""
    runs = compact.shape[0]
    every = _multinomial(fill, _rest(lz, compact), lz.p_minor, runs)
    if rows.size:
        at = np.empty_like(lz.order)
        at[lz.order] = np.arange(lz.order.size)
        every[rows[:, 0], at[rows[:, 1]]] = minors
    full = np.zeros((runs, *plan.col.shape), dtype=np.int64)
    for k, d in enumerate(lz.order.tolist()):
        cols = lz.major[k][lz.major[k] >= 0]
        full[:, d, cols] = compact[:, k, : cols.size]
        mcols = lz.minor[k][lz.minor[k] >= 0]
        full[:, d, mcols] = every[:, k, : mcols.size]
    return full


def _solve_lazy(
    plan: _TierPlan,
    lz: _Lazy,
    compact: IntArray,
    first_run: int,
    seed: int | None,
    split: np.random.Generator,
) -> tuple[_Outcome, IntArray, IntArray]:
    """Allocate a plurality tier from its compact draw; also the (run, district) rows split, and the split."""
    rest = _rest(lz, compact)
    big = np.iinfo(np.int64).max
    reach = lz.reach.tolist()
    first = 0
    if reach and reach[0] == rest.shape[1] and lz.win[:, 0].all():
        low = compact[:, :, 0].copy()  # every district's strongest candidate wins: no pass over a filler
        first = 1
    else:
        low = np.full(rest.shape, big)
    high = rest.copy() if lz.has_minor.all() else np.where(lz.has_minor[None], rest, -1)
    for j in range(first, len(reach)):  # column by column, on the districts that have column j
        n = reach[j]
        col = compact[:, :n, j]
        win = lz.win[:n, j]
        if win.all():
            np.minimum(low[:, :n], col, out=low[:, :n])
        elif not win.any():
            np.maximum(high[:, :n], col, out=high[:, :n])
        else:
            low[:, :n] = np.minimum(low[:, :n], np.where(win[None], col, big))
            high[:, :n] = np.maximum(high[:, :n], np.where(win[None], -1, col))
    house = plan.house[lz.order]
    filled = lz.win.sum(axis=1) == house
    # certified: the weakest winner has votes and more than any other candidate (one compare with the
    # others' best raised to 0), where the district fills its seats; a district of no seats always is
    np.maximum(high, 0, out=high)
    here = low > high
    if not (filled & (house > 0)).all():
        here &= filled[None]
        here |= (house == 0)[None]
    if plan.spec.id == "plurality" and (house > 1).any():
        here &= (house <= 1)[None]
    certified = here[:, lz.at]
    won = lz.won
    spots = np.zeros((0, 2), dtype=np.int64) if here.all() else np.argwhere(~here)  # (run, position)
    if not spots.size:
        return _outcome(won, certified, spots, won[:0].copy()), spots, lz.minor[:0].copy()
    r, k = spots[:, 0], spots[:, 1]
    d = lz.order[k]
    rows = np.stack([r, d], axis=1)
    minors = _multinomial(split, rest[r, k], lz.p_minor[k], 1)[0]
    width = plan.col.shape[1]
    full = np.zeros((len(r), width), dtype=np.int64)
    for i, (ri, ki) in enumerate(spots.tolist()):
        cols = lz.major[ki][lz.major[ki] >= 0]
        full[i, cols] = compact[ri, ki, : cols.size]
        mcols = lz.minor[ki][lz.minor[ki] >= 0]
        full[i, mcols] = minors[i, : mcols.size]
    present = plan.col[d] >= 0
    ok = (full > 0) & present
    seats, good = _rows(plan, full, ok, plan.house[d])
    out = _outcome(won, certified, rows, seats)
    _exact(
        plan,
        out,
        [(int(i), int(r[i]), int(d[i])) for i in np.flatnonzero(~good)],
        lambda ri, di: (full[_index(rows, ri, di)], plan.col[di] >= 0),
        first_run,
        seed,
    )
    return out, rows, minors


def _index(rows: IntArray, r: int, d: int) -> int:
    return int(np.flatnonzero((rows[:, 0] == r) & (rows[:, 1] == d))[0])


# ---------------------------------------------------------------- divisor lists: minor lists drawn in groups


@dataclass(slots=True)
class _Grouped:
    """A divisor list tier drawn with its minor lists in groups, with the tiers derived from it.

    By the aggregation property of the multinomial, drawing every major list and
    the total of each group of minor lists, then splitting a group's total among
    its members (a multinomial with their relative shares) only where it is
    needed, gives exactly the distribution of a full draw. A group is treated as
    one pseudo-list that must win no seat: where the floats certify that it wins
    none with the group's whole total (strictly below the last quotient awarded,
    by a margin rounding cannot close), no member can win or tie one, whatever
    the split, and nothing else changes; the same holds for each tier derived
    from this one (the groups are the same in every district, so their sums are
    known there too). Every other (run, district) row, and every district of a
    run in which a derived tier cannot be certified, is split and solved in full.
    """

    compact: _TierPlan  # the tier on (majors, then one pseudo-list per group) in every district
    major: IntArray  # (D, J) the full local column of each major compact column, -1 = none
    gcol: IntArray  # (D, G) the compact column of each group
    members: IntArray  # (D, G, M) full local columns of each group's members, -1 = padding
    p_members: FloatArray  # (D, G, M) their shares within the group
    derived: list[tuple[_TierPlan, _TierPlan, IntArray, IntArray]]  # (plan, compact plan, major, gcol)


def _divisor_ready(plan: _TierPlan) -> bool:
    """A tier whose base seats are certified everywhere and checked by one multiply per quotient."""
    sp = plan.spec.signpost
    return (
        plan.spec.family == "divisor"
        and sp is not None
        and sp.b(0) != 0
        and getattr(sp, "power", 1) == 1
        and not plan.tier.threshold
        and not plan.given
        and bool(plan.names)
        and _fast(plan)
        and plan.base is not None
        and bool((plan.base >= 0).all())
        and plan.inv_next is not None
    )


def _last_quotients(plan: _TierPlan) -> FloatArray:
    """Each district's last quotient awarded on the observed votes (inf where no seat)."""
    assert plan.inv_last is not None and plan.add_last is not None
    last: FloatArray = (plan.observed * plan.inv_last + plan.add_last).min(axis=1, initial=np.inf)
    return last


def _grouped(plan: _TierPlan, derived: Sequence[_TierPlan]) -> _Grouped | None:
    """Groups of minor lists for ``plan`` (multinomial noise), or ``None`` when none pays off."""
    if not _divisor_ready(plan) or not all(_divisor_ready(p) for p in derived):
        return None
    tiers = [plan, *derived]
    sums: list[dict[int, FloatArray]] = []  # per tier: option -> first quotient in each district
    for t in tiers:
        sp = t.spec.signpost
        assert sp is not None and t.base is not None
        first = sp.a(0) / sp.b(0)
        dd, kk = np.nonzero(t.col >= 0)
        oids = t.col[dd, kk]
        uniq, seen_at, inv = np.unique(oids, return_index=True, return_inverse=True)
        arr = np.zeros((uniq.size, t.col.shape[0]))
        np.add.at(arr, (inv, dd), t.observed[dd, kk] * first)
        arr[np.searchsorted(uniq, t.col[t.base > 0])] = np.inf  # a seat winner is never grouped
        # options in the order they first appear, district by district (ties in the sort below keep it)
        sums.append({int(uniq[i]): arr[i] for i in np.argsort(seen_at, kind="stable").tolist()})
    lasts = [_last_quotients(t) for t in tiers]

    def fits(q: list[FloatArray]) -> bool:
        return all(
            _clear(float(a), float(b))
            for qt, lt in zip(q, lasts, strict=True)
            for a, b in zip(qt, lt, strict=True)
            if a > 0
        )

    options = sorted(sums[0], key=lambda o: -float(np.sum(sums[0][o])))
    groups: list[list[int]] = []
    load: list[list[FloatArray]] = []
    for o in options:
        q = [per.get(o, np.zeros(len(lt))) for per, lt in zip(sums, lasts, strict=True)]
        if not fits(q):
            continue
        for g, have in enumerate(load):  # first fit, largest lists first
            both = [a + b for a, b in zip(have, q, strict=True)]
            if fits(both):
                groups[g].append(o)
                load[g] = both
                break
        else:
            groups.append([o])
            load.append(q)
    groups = [g for g in groups if len(g) > 1]
    if not groups:
        return None
    grouped = {o: g for g, members in enumerate(groups) for o in members}
    compact, major, gcol, members, p_members = _compact(plan, grouped, len(groups), with_members=True)
    derived_out = []
    for t in derived:
        dc, dmajor, dgcol, _, _ = _compact(t, grouped, len(groups), with_members=False)
        dc.source_map = []
        for s in range(len(compact.names)):
            dst, _cols = t.source_map[s]
            where = {o: k for k, o in enumerate(dc.names[dst])}
            dc.source_map.append((dst, np.array([where[o] for o in compact.names[s]], dtype=np.int64)))
        derived_out.append((t, dc, dmajor, dgcol))
    for c, gc in [(compact, gcol)] + [(d[1], d[3]) for d in derived_out]:
        seats, certified = _rows(c, c.observed, c.observed > 0, c.house)
        if not certified.all() or (np.take_along_axis(seats, gc, axis=1) > 0).any():
            return None
        c.base = seats
        _quick(c)
    return _Grouped(compact, major, gcol, members, p_members, derived_out)


def _compact(
    plan: _TierPlan, grouped: Mapping[int, int], count: int, *, with_members: bool
) -> tuple[_TierPlan, IntArray, IntArray, IntArray, FloatArray]:
    """``plan`` on its majors, then one pseudo-list per group (``group:N``, global column of a member)."""
    dcount = len(plan.names)
    cols = plan.col.tolist()
    majors = [[k for k in range(len(n)) if cols[d][k] not in grouped] for d, n in enumerate(plan.names)]
    jmax = max((len(m) for m in majors), default=0)
    width = jmax + count
    col = np.full((dcount, width), -1, dtype=np.int64)
    observed = np.zeros((dcount, width), dtype=np.int64)
    major = np.full((dcount, max(jmax, 1)), -1, dtype=np.int64)
    gcol = np.zeros((dcount, count), dtype=np.int64)
    mem: list[list[list[int]]] = [[[] for _ in range(count)] for _ in range(dcount)]
    names = []
    proxy = {g: o for o, g in sorted(grouped.items(), reverse=True)}
    for d, ks in enumerate(majors):
        j = len(ks)
        major[d, :j] = ks
        col[d, :j] = plan.col[d, ks]
        observed[d, :j] = plan.observed[d, ks]
        gcol[d] = np.arange(j, j + count)
        col[d, j : j + count] = [proxy[g] for g in range(count)]
        row_col = plan.col[d].tolist()
        row_obs = plan.observed[d].tolist()
        sums = [0] * count
        for k in range(len(plan.names[d])):
            g = grouped.get(row_col[k])
            if g is not None:
                sums[g] += row_obs[k]
                mem[d][g].append(k)
        observed[d, j : j + count] = sums
        names.append(tuple(plan.names[d][k] for k in ks) + tuple(f"group:{g + 1}" for g in range(count)))
    mmax = max((len(m) for row in mem for m in row), default=1)
    members = np.full((dcount, count, mmax), -1, dtype=np.int64)
    p_members = np.zeros((dcount, count, mmax))
    if with_members:
        for d, row in enumerate(mem):
            for g, ks in enumerate(row):
                members[d, g, : len(ks)] = ks
                total = int(plan.observed[d, ks].sum()) if ks else 0
                if total:
                    p_members[d, g, : len(ks)] = plan.observed[d, ks] / total
    compact = _TierPlan(
        plan.tier, plan.policy, plan.spec, plan.districts, plan.house, tuple(names), col, observed
    )
    return compact, major, gcol, members, p_members


def _to_full(major: IntArray, d: IntArray, values: IntArray, width: int) -> IntArray:
    """``(N, width)`` full-layout rows from ``(N, Kc)`` compact rows of districts ``d`` (groups left out)."""
    out = np.zeros((len(d), width), dtype=np.int64)
    fc = major[d]
    i, j = np.nonzero(fc >= 0)
    out[i, fc[i, j]] = values[i, j]
    return out


def _split_rows(
    gp: _Grouped, width: int, compact: IntArray, rows: IntArray, rng: np.random.Generator
) -> IntArray:
    """Full ``(N, width)`` votes of the (run, district) ``rows``: majors as drawn, each group split among
    its members by a multinomial with their relative shares (rows in order, groups in order)."""
    r, d = rows[:, 0], rows[:, 1]
    out = _to_full(gp.major, d, compact[r, d], width)
    for g in range(gp.gcol.shape[1]):
        counts = compact[r, d, gp.gcol[d, g]]
        vals = _multinomial(rng, counts[None, :], gp.p_members[d, g], 1)[0]
        mc = gp.members[d, g]
        i, j = np.nonzero(mc >= 0)
        out[i, mc[i, j]] = vals[i, j]
    return out


def _group_won(out: _Outcome, gcol: IntArray) -> BoolArray:
    """Rows of ``out`` in which a pseudo-list won a seat."""
    if not out.rows.size:
        return np.zeros(0, dtype=bool)
    won = np.asarray(
        (np.take_along_axis(out.seats, gcol[out.rows[:, 1]], axis=1) > 0).any(axis=1), dtype=bool
    )
    return won


def _solve_grouped(
    plan: _TierPlan,
    gp: _Grouped,
    compact: IntArray,
    first_run: int,
    seed: int | None,
    split: np.random.Generator,
) -> tuple[list[tuple[_TierPlan, _Outcome]], IntArray, IntArray]:
    """Allocate a grouped tier and its derived tiers from the compact draw.

    Returns the outcomes (full layout), the (run, district) rows split and their full votes.
    """
    dcount = compact.shape[1]
    width = plan.col.shape[1]
    oc, pending, _ = _solve_fast(gp.compact, compact, None)
    bad = _group_won(oc, gp.gcol)
    bad[pending] = True
    need = [oc.rows[bad, 0] * dcount + oc.rows[bad, 1]]
    dres = []
    for dp, dc, dmajor, dgcol in gp.derived:
        on, pn, _ = _solve_fast(dc, _derive(dc, compact), None)
        nbad = _group_won(on, dgcol)
        nbad[pn] = True
        bad_runs = np.unique(on.rows[nbad, 0])
        need.append((bad_runs[:, None] * dcount + np.arange(dcount)[None, :]).ravel())
        dres.append((dp, dc, dmajor, on, nbad, bad_runs))
    flat = np.unique(np.concatenate(need)) if need else np.zeros(0, dtype=np.int64)
    rows = np.stack(np.divmod(flat, dcount), axis=1).astype(np.int64)
    full = _split_rows(gp, width, compact, rows, split)

    results: list[tuple[_TierPlan, _Outcome]] = []
    assert gp.compact.base is not None
    out = _outcome(
        _to_full(gp.major, np.arange(dcount), gp.compact.base, width),
        oc.kept,
        oc.rows,
        _to_full(gp.major, oc.rows[:, 1], oc.seats, width),
    )
    _resolve(plan, out, np.flatnonzero(bad), full, np.searchsorted(flat, need[0]), first_run, seed)
    results.append((plan, out))
    for dp, dc, dmajor, on, nbad, bad_runs in dres:
        dwidth = dp.col.shape[1]
        assert dc.base is not None
        dout = _outcome(
            _to_full(dmajor, np.arange(dmajor.shape[0]), dc.base, dwidth),
            on.kept,
            on.rows,
            _to_full(dmajor, on.rows[:, 1], on.seats, dwidth),
        )
        idx = np.flatnonzero(nbad)
        if idx.size:
            src = full[np.searchsorted(flat, bad_runs[:, None] * dcount + np.arange(dcount)[None, :])]
            dv = _derive(dp, src)  # (bad runs, D', K')
            at = np.searchsorted(bad_runs, on.rows[idx, 0])
            dflat = dv[at, on.rows[idx, 1]]
            _resolve(dp, dout, idx, dflat, np.arange(idx.size), first_run, seed)
        results.append((dp, dout))
    return results, rows, full


def _resolve(
    plan: _TierPlan,
    out: _Outcome,
    idx: IntArray,
    votes: IntArray,
    at: IntArray,
    first_run: int,
    seed: int | None,
) -> None:
    """Solve again, from full votes ``votes[at[i]]``, the rows ``out.rows[idx[i]]`` (exact where needed)."""
    if not idx.size:
        return
    v = votes[at]
    d = out.rows[idx, 1]
    present = plan.col[d] >= 0
    seats, good = _rows(plan, v, (v > 0) & present, plan.house[d])
    out.seats[idx] = seats
    where = {int(i): n for n, i in enumerate(idx.tolist())}
    _exact(
        plan,
        out,
        [(int(idx[n]), int(out.rows[idx[n], 0]), int(d[n])) for n in np.flatnonzero(~good).tolist()],
        lambda r, dd: _row_votes(out, where, v, plan, r, dd),
        first_run,
        seed,
    )


def _row_votes(
    out: _Outcome, where: Mapping[int, int], v: IntArray, plan: _TierPlan, r: int, d: int
) -> tuple[IntArray, BoolArray]:
    i = _index(out.rows, r, d)
    return v[where[i]], plan.col[d] >= 0


def _expand_grouped(
    plan: _TierPlan,
    gp: _Grouped,
    compact: IntArray,
    rows: IntArray,
    full: IntArray,
    fill: np.random.Generator,
) -> IntArray:
    """Full ``(runs, D, K)`` votes: ``rows`` as split for the allocation, every other row split from ``fill``
    (it cannot change a seat)."""
    runs, dcount, _ = compact.shape
    width = plan.col.shape[1]
    every = np.stack(np.divmod(np.arange(runs * dcount), dcount), axis=1).astype(np.int64)
    out = _split_rows(gp, width, compact, every, fill).reshape(runs, dcount, width)
    if rows.size:
        out[rows[:, 0], rows[:, 1]] = full
    return out


def _draw_chunk(
    plans: Sequence[_TierPlan], model: Noise, rng: np.random.Generator, size: int
) -> dict[str, IntArray]:
    """Perturbed votes of ``size`` runs for every tier that takes votes, drawn in tier order
    (block-vote and grouped list tiers compactly: see :class:`_Lazy` and :class:`_Grouped`)."""
    out = {}
    for p in plans:
        if p.given or not p.names or p.tier.kind == "derived":
            continue
        if p.lazy is not None:
            out[p.tier.id] = _multinomial(rng, p.lazy.votes, p.lazy.p_major, size)
        elif p.grouped is not None:
            obs = p.grouped.compact.observed
            n = obs.sum(axis=1)
            out[p.tier.id] = _multinomial(rng, n, obs / np.where(n > 0, n, 1)[:, None], size)
        else:
            out[p.tier.id] = _draw(model, rng, p.observed, size)
    return out


def _allocate_chunk(
    plans: Sequence[_TierPlan],
    drawn: Mapping[str, IntArray],
    start: int,
    seed: int | None,
    party_idx: IntArray,
    alliance_idx: IntArray,
    split: np.random.Generator,
    fill: np.random.Generator | None = None,
) -> tuple[list[tuple[_TierPlan, _Outcome]], dict[str, IntArray]]:
    """Allocate every tier of a chunk of runs (derived tiers summed from their source first).

    Compactly drawn tiers split their groups from ``split`` where a run needs it. With ``fill``, also
    every tier's full ``(runs, D, K)`` votes (tiers that take votes), the other splits drawn from ``fill``.
    """
    votes = dict(drawn)
    out: list[tuple[_TierPlan, _Outcome]] = []
    full: dict[str, IntArray] = {}
    for plan in plans:
        tid = plan.tier.id
        if plan.given or not plan.names or plan.via is not None:
            continue
        if plan.lazy is not None:
            res, rows, minors = _solve_lazy(plan, plan.lazy, votes[tid], start, seed, split)
            out.append((plan, res))
            if fill is not None:
                full[tid] = _expand(plan, plan.lazy, votes[tid], rows, minors, fill)
            continue
        if plan.grouped is not None:
            results, rows, values = _solve_grouped(plan, plan.grouped, votes[tid], start, seed, split)
            out.extend(results)
            if fill is not None:
                full[tid] = _expand_grouped(plan, plan.grouped, votes[tid], rows, values, fill)
            continue
        if plan.tier.kind == "derived":
            votes[tid] = _derive(plan, votes[plan.tier.source or ""])
        v = votes[tid]
        excluded = _excluded(plan, v, party_idx, alliance_idx)
        if plan.link is not None:
            runs = v.shape[0]
            lower = next((o for p, o in out if p.tier.id == plan.link.lower), None)
            skip = np.zeros(runs, dtype=bool)
            if lower is not None:
                for found in (*lower.tied.values(), *lower.unfilled.values()):
                    skip[np.asarray(found, dtype=np.int64) - start] = True
            won = _won(plan.link, plan, None if lower is None else lower.full(), runs)
            out.append((plan, _solve_linked(plan, v, excluded, won, skip, start, seed)))
        else:
            out.append((plan, _solve(plan, v, excluded, start, seed)))
        if fill is not None and plan.tier.kind != "derived":
            full[tid] = v
    return out, full


# ---------------------------------------------------------------- the result


@dataclass(frozen=True, slots=True)
class RunVotes:
    """The perturbed votes of every run, per tier with votes: ``(runs, districts, options)`` arrays."""

    tiers: tuple[str, ...]
    districts: tuple[tuple[str, ...], ...]
    names: tuple[tuple[tuple[str, ...], ...], ...]
    arrays: tuple[IntArray, ...]
    options: Mapping[str, tuple[str, str]]


_STATS = {
    "level": pl.Utf8,
    "name": pl.Utf8,
    "alliance": pl.Utf8,
    "baseline": pl.Int64,
    "mean": pl.Float64,
    "sd": pl.Float64,
    "q05": pl.Int64,
    "median": pl.Int64,
    "q95": pl.Int64,
    "min": pl.Int64,
    "max": pl.Int64,
    "p_majority": pl.Float64,
    "p_two_thirds": pl.Float64,
}


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """Seat distributions over the runs of a simulation, per party (and alliance).

    Attributes
    ----------
    ruleset:
        Id of the rule set simulated.
    runs:
        Runs drawn. ``seats`` holds the runs kept (their numbers in ``run_index``);
        runs in which a tie decided a seat under the policy ``"error"``, or a
        district could not be filled, are left out and listed in ``dropped_runs``.
    seed, noise, ties:
        What makes the simulation reproducible: the numpy seed (drawn and recorded
        when none was given), the noise model (:meth:`Noise.describe`) and the tie
        policy override (``None``: each tier's own, else the rule set's).
    total_seats:
        Seats of the assembly; a majority is more than half of them, two-thirds
        at least ``2/3`` of them (``3 * seats >= 2 * total_seats``).
    parties, alliances:
        Column names of ``seats``, and each party's alliance.
    seats:
        ``(kept runs x parties)`` seats in each run kept.
    tier_seats:
        Tier id -> ``(kept runs x parties)`` seats won in that tier.
    baseline:
        Seats of each party in the unperturbed election (``None`` when a tie
        decides a seat there under the policy ``"error"``).
    tie_districts:
        ``"tier/district"`` -> runs in which a tie decided a seat there (left
        out under ``"error"``, settled by the policy otherwise).
    unfilled_districts:
        ``"tier/district"`` -> runs in which the district could not be filled.
    tie_runs:
        Runs in which any tie decided a seat.
    votes:
        Every run's perturbed votes (only with ``keep_votes=True``); see :meth:`run_votes`.
    """

    ruleset: str
    runs: int
    seed: int
    noise: str
    ties: str | None
    total_seats: int
    parties: tuple[str, ...]
    alliances: tuple[str, ...]
    seats: IntArray
    tier_seats: Mapping[str, IntArray]
    run_index: IntArray
    dropped_runs: IntArray
    baseline: tuple[int, ...] | None
    tie_districts: Mapping[str, int]
    unfilled_districts: Mapping[str, int]
    tie_runs: int
    votes: RunVotes | None = None

    @property
    def kept(self) -> int:
        """Runs in the distributions."""
        return int(self.seats.shape[0])

    def alliance_seats(self) -> tuple[tuple[str, ...], IntArray]:
        """Alliance names and the ``(kept runs x alliances)`` seat matrix.

        >>> import polars as pl
        >>> from seats.rules import build_ruleset
        >>> rs = build_ruleset({"id": "toy", "total_seats": 2, "tier": [
        ...     {"id": "list", "method": "dhondt", "districts": [{"id": "N", "seats": 2}]}]})
        >>> v = pl.DataFrame({"tier": ["list"] * 3, "district": ["N"] * 3, "option": ["A", "B", "C"],
        ...                   "votes": [500, 400, 100], "alliance": ["AB", "AB", "C"]})
        >>> names, m = simulate(rs, v, runs=10, seed=1).alliance_seats()
        >>> names, m.sum(axis=1).tolist() == [2] * 10
        (('AB', 'C'), True)
        """
        names = tuple(dict.fromkeys(self.alliances))
        out = np.zeros((self.seats.shape[0], len(names)), dtype=np.int64)
        for j, a in enumerate(self.alliances):
            out[:, names.index(a)] += self.seats[:, j]
        return names, out

    def to_polars(self, level: str = "alliance") -> pl.DataFrame:
        """Per ``alliance`` (default) or ``party``: baseline, mean, sd, 5/50/95% quantiles, min, max,
        and the probabilities of a majority and of a two-thirds supermajority of all seats.

        Quantiles are seat counts that occurred (numpy's ``inverted_cdf``); ``sd`` is the
        sample standard deviation. Rows are sorted by mean seats, most first.

        >>> import polars as pl
        >>> from seats.rules import build_ruleset
        >>> rs = build_ruleset({"id": "toy", "total_seats": 3, "tier": [
        ...     {"id": "list", "method": "dhondt", "districts": [{"id": "N", "seats": 3}]}]})
        >>> v = pl.DataFrame({"tier": ["list"] * 2, "district": ["N"] * 2, "option": ["A", "B"],
        ...                   "votes": [900, 100]})
        >>> simulate(rs, v, runs=50, seed=3).to_polars().select("name", "median", "p_majority").rows()
        [('A', 3, 1.0), ('B', 0, 0.0)]
        """
        if level not in ("alliance", "party"):
            raise SimulationError(f"unknown level {level!r}; choose alliance or party")
        base: tuple[int, ...] | None
        if level == "party":
            names, matrix, allied = self.parties, self.seats, self.alliances
            base = self.baseline
        else:
            names, matrix = self.alliance_seats()
            allied = names
            base = None
            if self.baseline is not None:
                totals = dict.fromkeys(names, 0)
                for a, s in zip(self.alliances, self.baseline, strict=True):
                    totals[a] += s
                base = tuple(totals.values())
        data: dict[str, list[Any]] = {k: [] for k in _STATS}
        kept = matrix.shape[0]
        for j, name in enumerate(names):
            col = matrix[:, j]
            data["level"].append(level)
            data["name"].append(name)
            data["alliance"].append(allied[j])
            data["baseline"].append(None if base is None else int(base[j]))
            if kept:
                q05, q50, q95 = np.quantile(col, [0.05, 0.5, 0.95], method="inverted_cdf").tolist()
                data["mean"].append(float(col.mean()))
                data["sd"].append(float(col.std(ddof=1)) if kept > 1 else 0.0)
                data["q05"].append(int(q05))
                data["median"].append(int(q50))
                data["q95"].append(int(q95))
                data["min"].append(int(col.min()))
                data["max"].append(int(col.max()))
                data["p_majority"].append(np.count_nonzero(2 * col > self.total_seats) / kept)
                data["p_two_thirds"].append(np.count_nonzero(3 * col >= 2 * self.total_seats) / kept)
            else:
                for k in ("mean", "sd", "q05", "median", "q95", "min", "max", "p_majority", "p_two_thirds"):
                    data[k].append(None)
        frame = pl.DataFrame(data, schema=_STATS)
        if level == "alliance":
            frame = frame.drop("alliance")
        return frame.sort(["mean", "name"], descending=[True, False], nulls_last=True)

    def run_votes(self, run: int) -> pl.DataFrame:
        """The vote table of run ``run`` (needs ``keep_votes=True``).

        Columns tier, district, option, party, alliance, votes; allocating it with
        :meth:`RuleSet.allocate` (with ``seed=seed + run`` for lots) gives that run's seats.

        >>> import polars as pl
        >>> from seats.rules import build_ruleset
        >>> rs = build_ruleset({"id": "toy", "total_seats": 2, "tier": [
        ...     {"id": "list", "method": "dhondt", "districts": [{"id": "N", "seats": 2}]}]})
        >>> v = pl.DataFrame({"tier": ["list"] * 2, "district": ["N"] * 2, "option": ["A", "B"],
        ...                   "votes": [70, 30]})
        >>> simulate(rs, v, runs=3, seed=1, keep_votes=True).run_votes(2)["votes"].sum()
        100
        """
        if self.votes is None:
            raise SimulationError("the runs' votes were not kept; simulate with keep_votes=True")
        if not 0 <= run < self.runs:
            raise SimulationError(f"run {run} is not between 0 and {self.runs - 1}")
        rv = self.votes
        data: dict[str, list[Any]] = {
            "tier": [],
            "district": [],
            "option": [],
            "party": [],
            "alliance": [],
            "votes": [],
        }
        for tier, districts, names, arr in zip(rv.tiers, rv.districts, rv.names, rv.arrays, strict=True):
            for d, (district, opts) in enumerate(zip(districts, names, strict=True)):
                for k, option in enumerate(opts):
                    party, alliance = rv.options[option]
                    data["tier"].append(tier)
                    data["district"].append(district)
                    data["option"].append(option)
                    data["party"].append(party)
                    data["alliance"].append(alliance)
                    data["votes"].append(int(arr[run, d, k]))
        return pl.DataFrame(
            data,
            schema={
                "tier": pl.Utf8,
                "district": pl.Utf8,
                "option": pl.Utf8,
                "party": pl.Utf8,
                "alliance": pl.Utf8,
                "votes": pl.Int64,
            },
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready): settings, run counts, ties, and the alliance and party tables."""
        return {
            "ruleset": self.ruleset,
            "runs": self.runs,
            "kept": self.kept,
            "seed": self.seed,
            "noise": self.noise,
            "ties": self.ties,
            "total_seats": self.total_seats,
            "tie_runs": self.tie_runs,
            "dropped_runs": [int(r) for r in self.dropped_runs],
            "tie_districts": dict(self.tie_districts),
            "unfilled_districts": dict(self.unfilled_districts),
            "by_alliance": self.to_polars("alliance").to_dicts(),
            "by_party": self.to_polars("party").to_dicts(),
        }


# ---------------------------------------------------------------- running it


def _setup(
    ruleset: RuleSet, votes: object, ties: str | None, model: Noise | None = None
) -> tuple[pl.DataFrame, dict[str, tuple[str, str]], list[_TierPlan]]:
    from seats.rules.allocate import load_votes
    from seats.rules.votes import prepare_votes

    frame, label = load_votes(ruleset, votes)
    data = prepare_votes(ruleset, frame, label)
    options: dict[str, tuple[str, str]] = dict(data.options)
    for t in ruleset.tiers:
        for r in t.results:
            options.setdefault(r.option, (r.party, r.alliance))
    if ties is not None:
        check_policy(ties)
    plans = _plans(ruleset, data.votes, tuple(options), ties)
    by_id = {p.tier.id: p for p in plans}
    for link in ruleset.links:
        if link.kind != "parallel" and link.upper and link.lower:
            upper = by_id[link.upper]
            upper.link = _link_plan(link, upper, by_id[link.lower], options)
    if model is not None and model.kind == "multinomial":
        sources = {p.tier.source for p in plans if p.tier.kind == "derived"}
        for p in plans:
            if (
                p.spec.family == "plurality"
                and p.names
                and not p.given
                and p.tier.kind != "derived"
                and not p.tier.threshold
                and _fast(p)
                and p.tier.id not in sources
                and p.link is None
            ):
                p.lazy = _lazy(p)
        for p in plans:
            derived = [q for q in plans if q.tier.kind == "derived" and q.tier.source == p.tier.id]
            if (
                p.tier.kind == "derived"
                or p.lazy is not None
                or p.link is not None
                or any(q.tier.id in sources or q.link is not None for q in derived)
            ):
                continue  # (a tier derived from a derived tier, or linked, needs its source's full votes)
            p.grouped = _grouped(p, derived)
            if p.grouped is not None:
                for q in derived:
                    q.via = p.tier.id
    return frame, options, plans


def simulate_votes(
    ruleset: RuleSet,
    votes: object = None,
    *,
    runs: int = 1,
    seed: int = 0,
    noise: str | Noise = "multinomial",
) -> RunVotes:
    """Only the perturbed votes of ``runs`` runs (the draws :func:`simulate` makes with the same seed).

    >>> import polars as pl
    >>> from seats.rules import build_ruleset
    >>> rs = build_ruleset({"id": "toy", "total_seats": 2, "tier": [
    ...     {"id": "list", "method": "dhondt", "districts": [{"id": "N", "seats": 2}]}]})
    >>> v = pl.DataFrame({"tier": ["list"] * 2, "district": ["N"] * 2, "option": ["A", "B"],
    ...                   "votes": [70, 30]})
    >>> simulate_votes(rs, v, runs=4, seed=1).arrays[0].sum(axis=2).ravel().tolist()
    [100, 100, 100, 100]
    """
    res = simulate(ruleset, votes, runs=runs, seed=seed, noise=noise, ties="order", keep_votes=True)
    assert res.votes is not None
    return res.votes


def simulate(
    ruleset: RuleSet,
    votes: object = None,
    *,
    runs: int = 1000,
    seed: int | None = None,
    noise: str | Noise = "multinomial",
    ties: str | None = None,
    keep_votes: bool = False,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> SimulationResult:
    """Allocate ``runs`` perturbed copies of an election under ``ruleset`` and summarise the seats.

    Parameters
    ----------
    ruleset:
        The rule set (every tier is simulated, with its ``parallel``, ``subtract`` and
        ``additional-member`` links; not biproportional tiers).
    votes:
        A polars frame, a path, or ``None`` for the rule set's shipped vote table.
    runs:
        Number of perturbed elections.
    seed:
        Seed of the numpy Generator (and, plus the run number, of tie lots). Without
        one, a seed is drawn and recorded in the result, so every run can be repeated.
    noise:
        ``"multinomial"`` or ``"dirichlet:ALPHA"`` (see the module docstring), or a :class:`Noise`.
    ties:
        Tie policy for every tier instead of its own: ``"error"`` (runs with a deciding
        tie are left out and reported), ``"lot"``, ``"most-votes"`` or ``"order"``.
    keep_votes:
        Keep every run's perturbed votes (memory: runs x options of every district).
    progress:
        Called with the number of runs just finished after each chunk of :data:`CHUNK` runs.
    workers:
        Threads that draw and allocate chunks of :data:`CHUNK` runs at once (default: the cores this
        process may use). Every chunk has generators of its own, children of
        ``numpy.random.SeedSequence(seed)`` by the chunk's number, so the result is the same for any
        number of workers.

    Examples
    --------
    >>> import polars as pl
    >>> from seats.rules import build_ruleset
    >>> rs = build_ruleset({"id": "toy", "total_seats": 4, "tier": [
    ...     {"id": "list", "method": "dhondt", "districts": [{"id": "N", "seats": 4}]}]})
    >>> v = pl.DataFrame({"tier": ["list"] * 2, "district": ["N"] * 2, "option": ["A", "B"],
    ...                   "votes": [5500, 4500]})
    >>> res = simulate(rs, v, runs=1000, seed=7, noise="dirichlet:100")
    >>> res.seed, res.kept + res.tie_runs == 1000, bool(res.seats.sum(axis=1).max() == 4)
    (7, True, True)
    """
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise SimulationError(f"runs must be a whole number >= 1, got {runs!r}")
    model = Noise.parse(noise)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy) % 2**63  # type: ignore[arg-type]
    elif isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SimulationError(f"seed must be a whole number >= 0, got {seed!r}")
    if workers is None:
        workers = _cores()
    elif isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise SimulationError(f"workers must be a whole number >= 1, got {workers!r}")
    frame, options, plans = _setup(ruleset, votes, ties, model)
    names = tuple(options)
    parties = tuple(dict.fromkeys(p for p, _ in options.values()))
    alliance_of = {p: a for p, a in options.values()}
    alliances = tuple(alliance_of[p] for p in parties)
    allies = tuple(dict.fromkeys(alliances))
    party_idx = np.array([parties.index(options[o][0]) for o in names], dtype=np.int64)
    alliance_idx = np.array([allies.index(options[o][1]) for o in names], dtype=np.int64)
    width = len(parties)

    baseline = _certain_baseline(plans, party_idx, width)
    if baseline is None:  # some district's observed seats are not certified by the vectorised solvers
        try:
            base: ElectionResult = (
                ruleset.allocate(frame, seed=seed)
                if ties is None
                else _with_ties(ruleset, ties).allocate(frame, seed=seed)
            )
        except TieError:
            baseline = None
        else:
            got = dict.fromkeys(parties, 0)
            for row in base.by("party").iter_rows(named=True):
                got[row["party"]] += int(row["seats"])
            baseline = tuple(got.values())

    tier_seats = {p.tier.id: np.zeros((runs, width), dtype=np.int64) for p in plans}
    dropped = np.zeros(runs, dtype=bool)
    tied_any = np.zeros(runs, dtype=bool)
    tie_where: dict[str, int] = {}
    unfilled_where: dict[str, int] = {}
    kept_votes: dict[str, list[IntArray]] = {}
    for plan in plans:
        for option, n in plan.given.items():
            tier_seats[plan.tier.id][:, party_idx[option]] += n

    def chunk(index: int) -> tuple[int, int, list[tuple[_TierPlan, _Outcome]], dict[str, IntArray]]:
        start = index * CHUNK
        size = min(CHUNK, runs - start)
        rng, split, fill = _chunk_generators(seed, index)
        drawn = _draw_chunk(plans, model, rng, size)
        done, full = _allocate_chunk(
            plans, drawn, start, seed, party_idx, alliance_idx, split, fill if keep_votes else None
        )
        return start, size, done, full

    for start, size, done, full in _in_order(chunk, -(-runs // CHUNK), workers):
        for tid, v in full.items():
            kept_votes.setdefault(tid, []).append(v)
        for plan, out in done:
            tid = plan.tier.id
            for d, found in out.tied.items():
                label = f"{tid}/{plan.districts[d]}"
                tie_where[label] = tie_where.get(label, 0) + len(found)
                tied_any[found] = True
                dropped[found] = True
            for d, found in out.settled.items():
                label = f"{tid}/{plan.districts[d]}"
                tie_where[label] = tie_where.get(label, 0) + len(found)
                tied_any[found] = True
            for d, found in out.unfilled.items():
                label = f"{tid}/{plan.districts[d]}"
                unfilled_where[label] = unfilled_where.get(label, 0) + len(found)
                dropped[found] = True
            tier_seats[tid][start : start + size] += out.tally(plan.col, party_idx, width)
        if progress is not None:
            progress(size)
    keep = ~dropped
    total = sum(tier_seats.values(), np.zeros((runs, width), dtype=np.int64))
    run_votes = None
    if keep_votes:
        vote_plans = [p for p in plans if p.tier.id in kept_votes]
        run_votes = RunVotes(
            tuple(p.tier.id for p in vote_plans),
            tuple(p.districts for p in vote_plans),
            tuple(p.names for p in vote_plans),
            tuple(np.concatenate(kept_votes[p.tier.id]) for p in vote_plans),
            dict(options),
        )
    return SimulationResult(
        ruleset.id,
        runs,
        seed,
        model.describe(),
        ties,
        ruleset.total_seats,
        parties,
        alliances,
        total[keep],
        {t: m[keep] for t, m in tier_seats.items()},
        np.flatnonzero(keep),
        np.flatnonzero(dropped),
        baseline,
        dict(sorted(tie_where.items())),
        dict(sorted(unfilled_where.items())),
        int(tied_any.sum()),
        run_votes,
    )


def _certain_baseline(plans: Sequence[_TierPlan], party_idx: IntArray, width: int) -> tuple[int, ...] | None:
    """Seats per party on the observed votes from the plans' base seats, when every district of every tier
    with votes has them certified (unique and untied, so exactly what :meth:`RuleSet.allocate` gives,
    whatever the tie policy); else ``None``."""
    got = np.zeros(width, dtype=np.int64)
    for plan in plans:
        for option, n in plan.given.items():
            got[party_idx[option]] += n
        if plan.given:
            continue
        if not plan.names or plan.base is None or (plan.base < 0).any():
            return None
        d, k = np.nonzero(plan.base > 0)
        np.add.at(got, party_idx[plan.col[d, k]], plan.base[d, k])
    return tuple(int(x) for x in got)


def _cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform has one).

    >>> _cores() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no affinity on this platform
        return os.cpu_count() or 1


def _chunk_generators(seed: int, index: int) -> tuple[np.random.Generator, ...]:
    """The generators of chunk ``index``: the draws, the splits a run needs, the splits only shown.

    Children of ``SeedSequence(seed)`` by the chunk's number, so a chunk's draws depend only on
    the seed and its number (not on the order or the thread that runs it).

    >>> a, _, _ = _chunk_generators(1, 3)
    >>> b, _, _ = _chunk_generators(1, 3)
    >>> int(a.integers(10**9)) == int(b.integers(10**9))
    True
    """
    seq = np.random.SeedSequence(seed, spawn_key=(index,))
    return tuple(np.random.default_rng(child) for child in seq.spawn(3))


_T = TypeVar("_T")


def _in_order(work: Callable[[int], _T], count: int, workers: int) -> Iterator[_T]:
    """``work(0), ..., work(count - 1)`` in order, run on ``workers`` threads (a few chunks ahead at most).

    >>> list(_in_order(lambda i: i * i, 5, 2))
    [0, 1, 4, 9, 16]
    """
    if workers <= 1 or count <= 1:
        for i in range(count):
            yield work(i)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="seats-simulate") as pool:
        ahead: deque[Future[_T]] = deque()
        nxt = 0
        try:
            while nxt < count or ahead:
                while nxt < count and len(ahead) < 2 * workers:
                    ahead.append(pool.submit(work, nxt))
                    nxt += 1
                yield ahead.popleft().result()
        finally:
            for f in ahead:
                f.cancel()


def _with_ties(ruleset: RuleSet, ties: str) -> RuleSet:
    import dataclasses

    tiers = tuple(dataclasses.replace(t, ties=ties) for t in ruleset.tiers)
    return dataclasses.replace(ruleset, tiers=tiers, ties=ties)
