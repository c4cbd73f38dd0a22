"""Allocating every tier of a rule set, district by district, honouring the links.

A tier whose method is ``"biproportional"`` is allocated jointly over all its districts
instead (:func:`seats.biproportional`): see :func:`allocate`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from fractions import Fraction
from os import PathLike
from pathlib import Path
from typing import Any

import polars as pl

from seats.errors import RuleSetError, TieError, VoteTableError
from seats.methods.api import apportion
from seats.methods.biproportional import BiproportionalAllocation, biproportional
from seats.results import Allocation
from seats.rules.model import DEFAULT_ROUNDING, District, Link, RuleSet, Tier
from seats.rules.result import DistrictResult, ElectionResult, TierResult
from seats.rules.votes import VoteData, prepare_votes

__all__ = ["allocate", "load_votes"]

GIVEN = "seats given as results"


def load_votes(rs: RuleSet, votes: object, *, thousands: str | None = None,
               decimal_comma: bool = False) -> tuple[pl.DataFrame, str]:
    """The vote table as a frame, and a label for messages (the file's path, or ``DataFrame``).

    ``votes`` is a polars frame, a path, or ``None`` for the rule set's default table.

    >>> import polars as pl, seats
    >>> rs = seats.load_ruleset("ve-2020-an")
    >>> frame, label = load_votes(rs, pl.DataFrame({"tier": ["nominal"], "district": ["VE-A-1"],
    ...                                             "option": ["A"], "votes": [5]}))
    >>> label, frame["votes"].to_list()
    ('DataFrame', [5])
    """
    from seats.io import read_vote_table

    if votes is None:
        if rs.default_votes is None:
            raise RuleSetError(f"rule set {rs.id!r} ships no default vote table; pass one")
        if not rs.default_votes.exists():
            where = f" (field 'default_votes' of {rs.path})" if rs.path is not None else ""
            raise RuleSetError(f"rule set {rs.id!r}: its default vote table {str(rs.default_votes)!r}{where} "
                               "does not exist; pass a vote table")
        votes = rs.default_votes
    if isinstance(votes, pl.DataFrame):
        return read_vote_table(votes, thousands=thousands, decimal_comma=decimal_comma), "DataFrame"
    if isinstance(votes, str | PathLike):
        path = Path(votes)
        return read_vote_table(path, thousands=thousands, decimal_comma=decimal_comma), str(path)
    raise VoteTableError(f"votes must be a polars DataFrame or a path, got {type(votes).__name__}")


def _order(rs: RuleSet) -> list[Tier]:
    """Tiers in an order where every tier comes after the tiers it depends on."""
    needs: dict[str, set[str]] = {t.id: set() for t in rs.tiers}
    for t in rs.tiers:
        if t.source:
            needs[t.id].add(t.source)
    for link in rs.links:
        if link.upper and link.lower and link.upper in needs:
            needs[link.upper].add(link.lower)
    done: list[Tier] = []
    placed: set[str] = set()
    while len(done) < len(rs.tiers):
        ready = [t for t in rs.tiers if t.id not in placed and needs[t.id] <= placed]
        if not ready:  # only a RuleSet built by hand, bypassing load-time validation, gets here
            stuck = ", ".join(t.id for t in rs.tiers if t.id not in placed)
            raise RuleSetError(f"rule set {rs.id!r}: tiers {stuck} depend on each other in a cycle "
                               "(or on a tier that does not exist)")
        for t in ready:
            done.append(t)
            placed.add(t.id)
    return done


def _key(option: str, options: Mapping[str, tuple[str, str]], level: str) -> str:
    party, alliance = options.get(option, (option, option))
    return {"option": option, "party": party, "alliance": alliance}[level]


def _excluded(tier: Tier, votes: Mapping[str, int], tier_totals: Mapping[str, int],
              options: Mapping[str, tuple[str, str]]) -> set[str]:
    """Options below the tier's threshold (exactly: key_votes * den < num * total)."""
    if not tier.threshold:
        return set()
    base = votes if tier.threshold_scope == "district" else tier_totals
    total = sum(base.values())
    by_key: dict[str, int] = {}
    for option, v in base.items():
        k = _key(option, options, tier.threshold_level)
        by_key[k] = by_key.get(k, 0) + v
    num, den = tier.threshold.numerator, tier.threshold.denominator
    return {o for o in votes if by_key.get(_key(o, options, tier.threshold_level), 0) * den < num * total}


def _run(tier: Tier, district: District, votes: Mapping[str, int], seats: int, policy: str,
         seed: int | None, **extra: Any) -> Allocation:
    options: dict[str, Any] = {**tier.options, **extra}
    try:
        alloc = apportion(votes, seats, method=tier.method, ties=policy, seed=seed, **options)
    except TieError as err:
        event = err.event
        if event is not None:
            event = dataclasses.replace(event, district=f"{tier.id}/{district.id}")
        raise TieError(f"tier {tier.id!r}, district {district.id!r}: {err}", event) from None
    except ValueError as err:
        raise type(err)(f"tier {tier.id!r}, district {district.id!r}: {err}") from None
    ties = tuple(dataclasses.replace(e, district=f"{tier.id}/{district.id}") for e in alloc.ties)
    return dataclasses.replace(alloc, ties=ties) if ties else alloc


def _show(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def _joint(tier: Tier, by_district: Mapping[str, Mapping[str, int]], tier_totals: Mapping[str, int],
           options: Mapping[str, tuple[str, str]], policy: str,
           seed: int | None) -> tuple[tuple[DistrictResult, ...], BiproportionalAllocation]:
    """A biproportional tier: one joint apportionment of all its districts, after the threshold."""
    table: dict[str, dict[str, int]] = {}
    magnitudes: dict[str, int] = {}
    excluded: dict[str, tuple[str, ...]] = {}
    for d in tier.districts:
        dv = by_district[d.id]
        out = _excluded(tier, dv, tier_totals, options)
        excluded[d.id] = tuple(sorted(out))
        running = {o: v for o, v in dv.items() if o not in out}
        if d.seats == 0 and not any(running.values()):
            continue  # nothing to apportion and no votes to count
        table[d.id] = running
        magnitudes[d.id] = d.seats
    rounding = tier.rounding or DEFAULT_ROUNDING
    try:
        joint = biproportional(table, magnitudes, method=rounding, ties=policy, seed=seed)
    except TieError as err:
        event = err.event
        if event is not None:
            event = dataclasses.replace(event, district=tier.id)
        raise TieError(f"tier {tier.id!r} (biproportional, {rounding}): {err}", event) from None
    except ValueError as err:
        raise type(err)(f"tier {tier.id!r} (biproportional, {rounding}): {err}") from None
    if joint.ties:
        joint = dataclasses.replace(joint, ties=tuple(dataclasses.replace(e, district=tier.id)
                                                      for e in joint.ties))
    rows: list[DistrictResult] = []
    for d in tier.districts:
        dv = dict(by_district[d.id])
        if d.id not in joint.seats:
            rows.append(DistrictResult(tier.id, d.id, d.seats, dv, dict.fromkeys(dv, 0), None, excluded[d.id],
                                       "no seats and no votes: left out of the biproportional allocation"))
            continue
        cell = joint.seats[d.id]
        seats = {o: cell.get(o, 0) for o in dv}
        note = (f"lower apportionment of the tier's biproportional allocation ({rounding}), district "
                f"divisor {_show(joint.district_divisors[d.id])}; the certificate is the tier's")
        rows.append(DistrictResult(tier.id, d.id, d.seats, dv, seats, None, excluded[d.id], note))
    return tuple(rows), joint


def _home(district: District, upper: Tier) -> str:
    return district.parent if len(upper.districts) > 1 else upper.districts[0].id


def _nominal_won(link: Link, upper: Tier, lower: TierResult,
                 options: Mapping[str, tuple[str, str]]) -> dict[str, dict[str, int]]:
    won: dict[str, dict[str, int]] = {d.id: {} for d in upper.districts}
    by_id = {d.id: d for d in lower.tier.districts}  # Tier.district() searches: quadratic over many
    for d in lower.districts:
        home = _home(by_id[d.district], upper)
        for option, n in d.seats.items():
            if n:
                k = _key(option, options, link.level)
                won[home][k] = won[home].get(k, 0) + n
    return won


def _linked(link: Link, tier: Tier, district: District, votes: dict[str, int], won: Mapping[str, int],
            options: Mapping[str, tuple[str, str]], policy: str,
            seed: int | None) -> tuple[dict[str, int], Allocation, str]:
    keys = {o: _key(o, options, link.level) for o in votes}
    seen: dict[str, str] = {}
    for o, k in keys.items():
        if k in seen:
            raise VoteTableError(f"tier {tier.id!r}, district {district.id!r}: lists {seen[k]!r} and {o!r} "
                                 f"both belong to {link.level} {k!r}; a {link.kind} link needs one list "
                                 f"per {link.level}")
        seen[k] = o
    if link.kind == "additional-member":
        prior = {o: won.get(k, 0) for o, k in keys.items()}
        alloc = _run(tier, district, votes, district.seats, policy, seed, prior_seats=prior)
        held = ", ".join(f"{k} {n}" for k, n in won.items() if n) or "none"
        note = f"divisors start after the nominal seats won: {held}"
        return dict(alloc.seats), alloc, note
    active = dict(votes)
    overhang: list[str] = []
    while True:
        magnitude = district.seats + sum(won.get(keys[o], 0) for o in active)
        alloc = _run(tier, district, active, magnitude, policy, seed)
        over = [o for o in active if won.get(keys[o], 0) > alloc.seats[o]]
        if not over:
            break
        for o in over:
            overhang.append(o)
            del active[o]
    seats = {o: (alloc.seats[o] - won.get(keys[o], 0)) if o in active else 0 for o in votes}
    note = f"entitlement over {magnitude} seats minus nominal seats won"
    if overhang:
        note += f"; overhang kept by {', '.join(overhang)}"
    return seats, alloc, note


def allocate(rs: RuleSet, votes: object = None, *, seed: int | None = None, thousands: str | None = None,
             decimal_comma: bool = False) -> ElectionResult:
    """Allocate every seat of ``rs`` from ``votes`` (see :meth:`RuleSet.allocate`).

    Tiers are allocated in dependency order (a derived tier after its source,
    a linked upper tier after the tier below it); each district of each tier
    goes through :func:`seats.apportion` with the tier's method, threshold and
    tie policy (the tier's, else the rule set's). A ``"biproportional"`` tier
    goes through :func:`seats.biproportional` once, all districts together: the
    options below the threshold are left out, the tier's seats are apportioned
    over the options' tier-wide totals and then to the districts with their
    magnitudes, both with the tier's ``rounding`` (default Sainte-Laguë); its
    :class:`~seats.rules.result.TierResult` keeps the joint allocation and its
    certificate as ``biproportional``, and each district row says so in its note
    (its ``allocation`` is ``None``). When a policy is ``"lot"``
    and no ``seed`` is given, one is drawn for the whole election and kept in
    the result's ``seed``.

    >>> import polars as pl, seats
    >>> from seats.rules.load import build_ruleset
    >>> rs = build_ruleset({"id": "toy", "total_seats": 4, "tier": [
    ...     {"id": "list", "method": "dhondt", "districts": [{"id": "N", "seats": 4}]}]})
    >>> res = allocate(rs, pl.DataFrame({"tier": ["list"] * 2, "district": ["N"] * 2,
    ...                                  "option": ["A", "B"], "votes": [300, 100]}))
    >>> dict(res.tier("list").district("N").seats)
    {'A': 3, 'B': 1}
    """
    if seed is None and (rs.ties == "lot" or any(t.ties == "lot" for t in rs.tiers)):
        # one seed for the whole election, kept in the result, so that allocate(seed=res.seed) replays it
        import random

        seed = random.SystemRandom().randrange(2**32)
    frame, label = load_votes(rs, votes, thousands=thousands, decimal_comma=decimal_comma)
    data: VoteData = prepare_votes(rs, frame, label)
    del frame  # the votes are in ``data`` now: a large table's frame is not kept through the allocation
    options: dict[str, tuple[str, str]] = dict(data.options)
    for t in rs.tiers:
        for r in t.results:
            given = (r.party, r.alliance)
            held = options.setdefault(r.option, given)
            if held != given:
                where = f" ({rs.path})" if rs.path is not None else ""
                raise VoteTableError(
                    f"{label}: option {r.option!r} belongs to party {held[0]!r}, alliance {held[1]!r}, "
                    f"but the results of tier {t.id!r}{where} give it to party {r.party!r}, "
                    f"alliance {r.alliance!r}; "
                    "an option belongs to one party and one alliance")
    links_up = {link.upper: link for link in rs.links if link.upper and link.kind != "parallel"}
    done: dict[str, TierResult] = {}
    for tier in _order(rs):
        policy = tier.ties or rs.ties
        rows: list[DistrictResult] = []
        if tier.results:
            for d in tier.districts:
                seats: dict[str, int] = {}
                for r in tier.results:
                    if r.district == d.id:
                        seats[r.option] = seats.get(r.option, 0) + r.seats
                rows.append(DistrictResult(tier.id, d.id, d.seats, {}, seats, None, (), GIVEN))
            done[tier.id] = TierResult(tier, tuple(rows), options)
            continue
        if tier.kind == "derived":
            by_district: dict[str, dict[str, int]] = {d.id: {} for d in tier.districts}
            source = done[tier.source or ""]
            # each source district's home: its parent, or the tier's only district (one lookup table,
            # not a search of the source tier per district, which was quadratic on parish-level tables)
            only = tier.districts[0].id if len(tier.districts) == 1 else None
            parents = {d.id: d.parent for d in source.tier.districts}
            for sd in source.districts:
                acc = by_district[only if only is not None else parents[sd.district]]
                for o, v in sd.votes.items():
                    acc[o] = acc.get(o, 0) + v
        else:
            # the dicts prepare_votes built for this call, not copies of them (a parish-level table has
            # thousands); nothing below changes them
            tier_votes = data.votes.get(tier.id, {})
            by_district = {d.id: tier_votes.get(d.id) or {} for d in tier.districts}
        tier_totals: dict[str, int] = {}
        if tier.threshold and tier.threshold_scope != "district":  # only a tier-wide threshold reads them
            for dv in by_district.values():
                for o, v in dv.items():
                    tier_totals[o] = tier_totals.get(o, 0) + v
        link = links_up.get(tier.id)
        if tier.biproportional:
            if link is not None:  # only a RuleSet built by hand, bypassing load-time validation, gets here
                raise RuleSetError(f"rule set {rs.id!r}: tier {tier.id!r} is allocated biproportionally, "
                                   f"so it cannot be the upper tier of a {link.kind} link")
            joint_rows, joint = _joint(tier, by_district, tier_totals, options, policy, seed)
            done[tier.id] = TierResult(tier, joint_rows, options, joint)
            continue
        won = None
        if link is not None and link.lower and link.kind != "parallel":
            won = _nominal_won(link, tier, done[link.lower], options)
        for d in tier.districts:
            dv = by_district[d.id]
            if d.seats == 0 and not dv:
                rows.append(DistrictResult(tier.id, d.id, 0, {}, {}, None))
                continue
            out = _excluded(tier, dv, tier_totals, options)
            if d.seats == 0 and won is None:
                # elects nobody and takes no nominal seats into account: every method gives 0 seats, so
                # none is run (a parish-level table has thousands of these); the votes are kept
                rows.append(DistrictResult(tier.id, d.id, 0, dv, dict.fromkeys(dv, 0), None,
                                           tuple(sorted(out))))
                continue
            running = {o: v for o, v in dv.items() if o not in out}
            if link is not None and won is not None:
                seats_won, alloc, note = _linked(link, tier, d, running, won[d.id], options, policy, seed)
            else:
                alloc = _run(tier, d, running, d.seats, policy, seed)
                seats_won, note = dict(alloc.seats), ""
            full = {o: seats_won.get(o, 0) for o in dv}
            rows.append(DistrictResult(tier.id, d.id, d.seats, dv, full, alloc, tuple(sorted(out)), note))
        done[tier.id] = TierResult(tier, tuple(rows), options)
    ordered = tuple(done[t.id] for t in rs.tiers)
    return ElectionResult(rs, ordered, options, seed)
