"""The result of a simulation: :class:`SimulationResult`, and every run's votes in :class:`RunVotes`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from seats.analysis.simulate.common import IntArray, SimulationError


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
    undrawn:
        ``"tier/district"`` of the block-vote circuits left undrawn under multinomial noise:
        a redraw changes or ties their winners with probability below
        ``2 ** -lazy.CERTAIN_BITS`` each (:func:`~seats.analysis.simulate.lazy.certain`), so
        they keep their observed winners in every run (with ``keep_votes=True`` their votes
        are still drawn, to be shown).
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
    undrawn: tuple[str, ...] = ()

    @property
    def kept(self) -> int:
        """Runs in the distributions."""
        return int(self.seats.shape[0])

    def alliance_seats(self) -> tuple[tuple[str, ...], IntArray]:
        """Alliance names and the ``(kept runs x alliances)`` seat matrix.

        >>> import polars as pl
        >>> from seats.analysis.simulate import simulate
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
        >>> from seats.analysis.simulate import simulate
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
        >>> from seats.analysis.simulate import simulate
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
            "undrawn_districts": list(self.undrawn),
            "by_alliance": self.to_polars("alliance").to_dicts(),
            "by_party": self.to_polars("party").to_dicts(),
        }
