"""Divisor list tiers under multinomial noise: minor lists drawn in groups (with the tiers derived from
them), split among their members only where a group could reach a seat."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from seats.analysis.simulate import plan as _plan
from seats.analysis.simulate.common import BoolArray, FloatArray, IntArray
from seats.analysis.simulate.noise import _multinomial
from seats.analysis.simulate.plan import _derive, _quick, _TierPlan
from seats.analysis.simulate.solve import _exact, _fast, _index, _Outcome, _outcome, _rows, _solve_fast


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
    # every tier's districts side by side: one flat row per option, checked by one vectorised test
    flat_last = np.concatenate([_last_quotients(t) for t in tiers])
    margin, z = _plan._LAZY_MARGIN, _plan._LAZY_Z  # read at each call, as _clear reads them

    def fits(q: FloatArray) -> bool:
        """Whether every positive entry of ``q`` passes :func:`_clear` against its last quotient
        (the same float operations, elementwise; ``inf - inf`` is ``nan`` and fails as there)."""
        keep = q > 0
        a, b = q[keep], flat_last[keep]
        with np.errstate(invalid="ignore"):
            ok = (a <= margin * b) & (b - a >= z * np.sqrt(np.maximum(a + b, 0.0)))
        return bool(ok.all())

    widths = [t.col.shape[0] for t in tiers]
    options = sorted(sums[0], key=lambda o: -float(np.sum(sums[0][o])))
    groups: list[list[int]] = []
    load: list[FloatArray] = []
    for o in options:
        q = np.concatenate([per.get(o, np.zeros(w)) for per, w in zip(sums, widths, strict=True)])
        if not fits(q):
            continue
        for g, have in enumerate(load):  # first fit, largest lists first
            both = have + q
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
    cols, obs = plan.col.tolist(), plan.observed.tolist()
    proxy = {g: o for o, g in sorted(grouped.items(), reverse=True)}  # each group's smallest member
    proxies = [proxy[g] for g in range(count)]
    # each district's rows built as lists and turned into arrays at once (no per-row numpy assignments)
    majors: list[list[int]] = []
    sums: list[list[int]] = []
    mem: list[list[list[int]]] = []
    for d, n in enumerate(plan.names):
        row_col, row_obs = cols[d], obs[d]
        ks: list[int] = []
        total = [0] * count
        row_mem: list[list[int]] = [[] for _ in range(count)]
        for k in range(len(n)):
            g = grouped.get(row_col[k])
            if g is None:
                ks.append(k)
            else:
                total[g] += row_obs[k]
                row_mem[g].append(k)
        majors.append(ks)
        sums.append(total)
        mem.append(row_mem)
    jmax = max((len(m) for m in majors), default=0)
    width = jmax + count
    mwidth = max(jmax, 1)
    col = np.array(
        [[cols[d][k] for k in ks] + proxies + [-1] * (jmax - len(ks)) for d, ks in enumerate(majors)],
        dtype=np.int64,
    ).reshape(dcount, width)
    observed = np.array(
        [[obs[d][k] for k in ks] + sums[d] + [0] * (jmax - len(ks)) for d, ks in enumerate(majors)],
        dtype=np.int64,
    ).reshape(dcount, width)
    major = np.array([ks + [-1] * (mwidth - len(ks)) for ks in majors], dtype=np.int64)
    major = major.reshape(dcount, mwidth)
    gcol = np.array([list(range(len(ks), len(ks) + count)) for ks in majors], dtype=np.int64)
    gcol = gcol.reshape(dcount, count)
    names = [
        tuple(plan.names[d][k] for k in ks) + tuple(f"group:{g + 1}" for g in range(count))
        for d, ks in enumerate(majors)
    ]
    mmax = max((len(m) for row in mem for m in row), default=1)
    members = np.full((dcount, count, mmax), -1, dtype=np.int64)
    p_members = np.zeros((dcount, count, mmax))
    if with_members:
        members = np.array(
            [[ks + [-1] * (mmax - len(ks)) for ks in row] for row in mem], dtype=np.int64
        ).reshape(dcount, count, mmax)
        held = members >= 0
        votes = np.where(held, plan.observed[np.arange(dcount)[:, None, None], np.where(held, members, 0)], 0)
        total_votes = votes.sum(axis=2, keepdims=True)
        np.divide(votes, total_votes, out=p_members, where=held & (total_votes > 0))
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
