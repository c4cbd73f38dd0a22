"""The plan of a rule set: every tier's districts, options and observed votes as arrays, the base seats
every run tries first, and what decides which options are drawn together."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from seats.analysis.simulate.common import BoolArray, FloatArray, IntArray, SimulationError
from seats.analysis.simulate.solve import _fast, _rows
from seats.methods.registry import MethodSpec, resolve
from seats.methods.ties import check_policy
from seats.rules.model import RuleSet, Tier

if TYPE_CHECKING:  # pragma: no cover
    from seats.analysis.simulate.grouped import _Grouped
    from seats.analysis.simulate.joint import _JointPlan
    from seats.analysis.simulate.lazy import _Lazy
    from seats.analysis.simulate.linked import _LinkPlan


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
    joint: _JointPlan | None = None  # a biproportional tier (spec: its rounding), allocated jointly per run
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

    linked = {link.upper: link for link in rs.links if link.kind != "parallel" and link.upper}
    index = {o: i for i, o in enumerate(options)}
    plans: dict[str, _TierPlan] = {}
    for tier in _order(rs):
        policy = check_policy(ties or tier.ties or rs.ties)
        spec = resolve(tier.rounding or "") if tier.biproportional else resolve(tier.method)
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
        if plan.tier.biproportional:  # allocated jointly in every run (joint.py): no per-district base seats
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
