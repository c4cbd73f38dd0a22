"""One chunk of runs: its generators, its draws, and every tier allocated from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from seats.analysis.simulate.common import IntArray
from seats.analysis.simulate.grouped import _expand_grouped, _solve_grouped
from seats.analysis.simulate.joint import _solve_joint
from seats.analysis.simulate.lazy import _expand, _solve_lazy
from seats.analysis.simulate.linked import _solve_linked, _won
from seats.analysis.simulate.noise import Noise, _draw, _multinomial
from seats.analysis.simulate.plan import _derive, _excluded, _TierPlan
from seats.analysis.simulate.solve import _Outcome, _solve


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
        if plan.joint is not None:  # a biproportional tier (never the upper tier of a compensatory link)
            out.append((plan, _solve_joint(plan, plan.joint, v, excluded, start, seed)))
        elif plan.link is not None:
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
