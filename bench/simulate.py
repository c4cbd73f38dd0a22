"""Time ``seats simulate`` on the 2020 National Assembly against a per-district loop over a peer library.

Run from the repository root (the peers are only in the bench venv; see bench/README.md):

    bash bench/setup.sh && .bench-venv/bin/python bench/simulate.py [--runs 10000] [--quick]

Workload: the shipped ve-2020-an vote table (87 block-vote circuits, 24 D'Hondt state lists,
the 48-seat national list on their sum, 3 reserved seats), multinomial noise, seed 1.

* ``seats`` end to end: ``seats.analysis.simulate.simulate(rs, runs=N, seed=1)``, draws included;
  also one long call (``--long``, 100,000 runs), where reading, checking and planning are paid once.
* ``seats`` allocation only: the same draws made first, then every tier of every run allocated
  (what the per-district loop below does).
* peer loop: for a sample of the same perturbed runs, every district allocated by one call of
  the peer (D'Hondt for the 24 state lists and the national list, on its summed votes) and the
  block-vote circuits by a plain ``sorted`` top-m (no peer implements block vote). The rate is
  extrapolated (a loop's cost is linear in its runs). The fastest peer on the sample is
  "the best peer". Its seats are compared with ``seats``' run by run.

The section between ``<!-- BEGIN simulate -->`` and ``<!-- END simulate -->`` of bench/RESULTS.md
is replaced (appended if absent). Nothing here asserts a target: the numbers are reported as
they come out, with the load average, since the machine is shared.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import seats
from seats.analysis import simulate as sim
from seats.analysis.simulate import chunk as sim_chunk
from seats.analysis.simulate import lazy as sim_lazy
from seats.analysis.simulate import run as sim_run

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"
BEGIN, END = "<!-- BEGIN simulate -->", "<!-- END simulate -->"
SEED = 1


def _peers() -> dict[str, Callable[[list[int], int], list[int]]]:
    """D'Hondt of each installed peer, as ``(votes, seats) -> seats per party``."""
    out: dict[str, Callable[[list[int], int], list[int]]] = {}
    try:
        from apportionment import methods as am

        def f_am(v: list[int], h: int) -> list[int]:
            return [int(x) for x in am.compute("dhondt", v, h, parties=[f"p{i}" for i in range(len(v))])]

        out["apportionment"] = f_am
    except ImportError:
        pass
    try:
        from apportionpy.apportionment import Apportion

        def f_ap(v: list[int], h: int) -> list[int]:
            return [int(x) for x in Apportion(h, v, "jefferson").fair_shares]

        out["apportionpy"] = f_ap
    except ImportError:
        pass
    try:
        import biprop

        def f_bp(v: list[int], h: int) -> list[int]:
            col = np.asarray(v, dtype=np.int64).reshape(-1, 1)
            res = biprop.Election(col).upper_apportionment(h, rounding_method=np.floor)
            return [int(x) for x in np.asarray(res).ravel().tolist()]

        out["biprop"] = f_bp
    except ImportError:
        pass
    return out


def _top_m(v: list[int], m: int) -> list[int]:
    order = sorted(range(len(v)), key=lambda i: -v[i])[:m]
    won = [0] * len(v)
    for i in order:
        won[i] = 1
    return won


class Setup:
    """The ve-2020-an plan and one chunk's worth of draws, shared by every contender."""

    def __init__(self, runs: int) -> None:
        self.rs = seats.load_ruleset("ve-2020-an")
        model = sim.Noise.parse("multinomial")
        _, options, self.plans = sim_run._setup(self.rs, None, None, model)
        names = tuple(options)
        self.parties = tuple(dict.fromkeys(p for p, _ in options.values()))
        self.party_idx = np.array([self.parties.index(options[o][0]) for o in names], dtype=np.int64)
        self.alliance_idx = self.party_idx
        self.runs = runs
        self.chunks = []
        for i, start in enumerate(range(0, runs, sim.CHUNK)):
            rng = sim_chunk._chunk_generators(SEED, i)[0]
            self.chunks.append(
                (start, sim_chunk._draw_chunk(self.plans, model, rng, min(sim.CHUNK, runs - start)))
            )
        self.by_id = {p.tier.id: p for p in self.plans}
        self.full: list[dict[str, np.ndarray]] = []  # every candidate's votes, for the peer loop

    def expand(self) -> None:
        """Full vote arrays (block-vote circuits and list tiers are drawn compactly; see
        seats.analysis.simulate.lazy._Lazy and .grouped._Grouped): the splits simulate makes, and the
        others."""
        for i, (start, drawn) in enumerate(self.chunks):
            _, split, fill = sim_chunk._chunk_generators(SEED, i)
            _, full = sim_chunk._allocate_chunk(
                self.plans, drawn, start, SEED, self.party_idx, self.alliance_idx, split, fill
            )
            self.full.append(full)

    def seats_allocate(self) -> list[np.ndarray]:
        """Every run's seats per party, by the vectorised path (one matrix per chunk), one thread."""
        width = len(self.parties)
        out = []
        for i, (start, drawn) in enumerate(self.chunks):
            split = sim_chunk._chunk_generators(SEED, i)[1]
            size = next(iter(drawn.values())).shape[0]
            m = np.zeros((size, width), dtype=np.int64)
            for plan in self.plans:
                for o, n in plan.given.items():
                    m[:, self.party_idx[o]] += n
            done, _ = sim_chunk._allocate_chunk(
                self.plans, drawn, start, SEED, self.party_idx, self.alliance_idx, split
            )
            for plan, res in done:
                m += res.tally(plan.col, self.party_idx, width)
            out.append(m)
        return out

    def variates(self) -> tuple[int, int, int]:
        """Binomial variates per run as drawn, as a full draw would need, and the districts drawn."""
        drawn = full = districts = 0
        for plan in self.plans:
            if plan.given or not plan.names or plan.tier.kind == "derived":
                continue
            n = len(plan.names)
            full += int((plan.observed > 0).sum()) - n
            if plan.lazy is not None:  # only the circuits not certain are drawn
                k = plan.lazy.p_major.shape[0]
                districts += k
                drawn += int((plan.lazy.p_major > 0).sum()) - k
                continue
            districts += n
            if plan.grouped is not None:
                drawn += int((plan.grouped.compact.observed > 0).sum()) - n
            else:
                drawn += int((plan.observed > 0).sum()) - n
        return drawn, full, districts

    def run_votes(self, run: int) -> dict[str, np.ndarray]:
        if not self.full:
            self.expand()
        start = self.chunks[run // sim.CHUNK][0]
        return {t: a[run - start] for t, a in self.full[run // sim.CHUNK].items()}


def peer_run(
    setup: Setup, votes: dict[str, np.ndarray], dhondt: Callable[[list[int], int], list[int]]
) -> np.ndarray:
    """One run allocated district by district: the peer for D'Hondt lists, ``sorted`` for block vote."""
    width = len(setup.parties)
    seats_p = np.zeros(width, dtype=np.int64)
    national = setup.by_id["national-list"]
    nat = np.zeros(national.col.shape[1], dtype=np.int64)
    for plan in setup.plans:
        tid = plan.tier.id
        if plan.given:
            for o, n in plan.given.items():
                seats_p[setup.party_idx[o]] += n
            continue
        if plan.tier.kind == "derived":
            continue
        v = votes[tid]
        for d, names in enumerate(plan.names):
            row = [int(x) for x in v[d, : len(names)]]
            h = int(plan.house[d])
            won = _top_m(row, h) if plan.spec.family == "plurality" else dhondt(row, h)
            for k, n in enumerate(won):
                if n:
                    seats_p[setup.party_idx[plan.col[d, k]]] += n
            if tid == national.tier.source:
                _, cols = national.source_map[d]
                nat[cols] += v[d, : len(names)]
    won = dhondt([int(x) for x in nat], int(national.house[0]))
    for k, n in enumerate(won):
        if n:
            seats_p[setup.party_idx[national.col[0, k]]] += n
    return seats_p


def _best_of(fn: Callable[[], Any], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def _commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10_000, help="runs for seats (default 10000)")
    ap.add_argument("--sample", type=int, default=100, help="runs allocated by each peer loop (default 100)")
    ap.add_argument(
        "--long",
        type=int,
        default=100_000,
        help="runs of one long call, where set-up is paid once (default 100000; 0: none)",
    )
    ap.add_argument("--quick", action="store_true", help="10,000 runs, 30 peer runs, best of two, no long")
    ap.add_argument("--no-write", action="store_true", help="print the section, do not touch RESULTS.md")
    args = ap.parse_args(argv)
    runs, sample, repeats = (10_000, 30, 2) if args.quick else (args.runs, args.sample, 3)
    long_runs = 0 if args.quick else max(0, args.long)
    load_start = _load()
    t_start = time.perf_counter()

    rs = seats.load_ruleset("ve-2020-an")
    workers = sim_run._cores()  # what simulate uses by default
    sim.simulate(rs, runs=sim.CHUNK, seed=SEED)  # warm-up, untimed: imports, first polars and numpy calls
    # the default (one worker thread per core) and one thread, interleaved so both see the same load
    fastest = {"multinomial": float("inf"), "one thread": float("inf")}
    cpu_one = float("inf")  # CPU seconds of a one-thread run: what other processes' load changes least
    for _ in range(repeats):
        for key, w in (("multinomial", workers), ("one thread", 1)):
            t0, c0 = time.perf_counter(), time.process_time()
            sim.simulate(rs, runs=runs, seed=SEED, workers=w)
            fastest[key] = min(fastest[key], time.perf_counter() - t0)
            if w == 1:
                cpu_one = min(cpu_one, time.process_time() - c0)
    end_to_end = {"multinomial": runs / fastest["multinomial"]}
    # one long call (best of two): the reading, checking and planning paid once over many runs
    long_rate = (
        long_runs / _best_of(lambda: sim.simulate(rs, runs=long_runs, seed=SEED, workers=workers), 2)
        if long_runs
        else None
    )
    one_thread = runs / fastest["one thread"]
    dirichlet_t = _best_of(lambda: sim.simulate(rs, runs=runs, seed=SEED, noise="dirichlet:20000"), repeats)
    end_to_end["dirichlet:20000"] = runs / dirichlet_t
    # the counterfactual "state lists allocated biproportionally": a joint solve of the tier in every run
    biprop_rs = seats.load_ruleset("ve-2020-an", overrides={"tiers.state-list.method": "biproportional"})
    sim.simulate(biprop_rs, runs=sim.CHUNK, seed=SEED)  # warm-up
    biprop_t = _best_of(lambda: sim.simulate(biprop_rs, runs=runs, seed=SEED, workers=workers), repeats)
    setup = Setup(runs)
    alloc_t = _best_of(setup.seats_allocate, repeats)
    ours = np.concatenate(setup.seats_allocate())
    model = sim.Noise.parse("multinomial")

    def draws() -> None:
        for i, start in enumerate(range(0, runs, sim.CHUNK)):
            rng = sim_chunk._chunk_generators(SEED, i)[0]
            sim_chunk._draw_chunk(setup.plans, model, rng, min(sim.CHUNK, runs - start))

    draw_t = _best_of(draws, repeats)
    # read, check, plan: once a call
    setup_t = _best_of(lambda: sim_run._setup(rs, None, None, model), repeats)

    peers = _peers()
    peer_rate: dict[str, float] = {}
    agree: dict[str, tuple[int, int]] = {}
    picks = np.linspace(0, runs - 1, num=min(sample, runs)).astype(int).tolist()
    setup.expand()  # every candidate's votes, made before any peer is timed
    for name, fn in peers.items():
        got: list[np.ndarray] = []

        def loop(fn: Callable[[list[int], int], list[int]] = fn, got: list[np.ndarray] = got) -> None:
            got[:] = [peer_run(setup, setup.run_votes(r), fn) for r in picks]

        elapsed = _best_of(loop, repeats)
        same = sum(int(np.array_equal(g, ours[r])) for r, g in zip(picks, got, strict=True))
        peer_rate[name] = len(picks) / elapsed
        agree[name] = (same, len(picks))
    # the loop a user would write with the best peer, including one numpy draw per district per run
    best = max(peer_rate, key=lambda k: peer_rate[k]) if peer_rate else None
    loop_e2e = None
    if best is not None:
        n_runs = len(picks)

        def user_loop(fn: Callable[[list[int], int], list[int]] = peers[best]) -> None:
            rng = np.random.default_rng(SEED)
            for _ in range(n_runs):
                votes = {}
                for plan in setup.plans:
                    if plan.given or plan.tier.kind == "derived":
                        continue
                    n = plan.observed.sum(axis=1)
                    votes[plan.tier.id] = np.stack(
                        [rng.multinomial(n[d], plan.observed[d] / n[d]) for d in range(len(n))]
                    )
                peer_run(setup, votes, fn)

        loop_e2e = n_runs / _best_of(user_loop, repeats)  # best of as many repeats as seats had

    seats_alloc_rate = runs / alloc_t
    lines = [BEGIN, "## Monte Carlo — whole ve-2020-an elections per second (`bench/simulate.py`)", ""]
    lines.append(
        f"{_dt.datetime.now(_dt.UTC):%Y-%m-%d %H:%M} UTC, seats @ {_commit()}, {os.cpu_count()} cores, "
        f"load average at start / end {load_start} / {_load()}; best of {repeats} repeat(s). "
        f"Run took {time.perf_counter() - t_start:.0f} s. Machine shared: compare ratios, not absolutes."
    )
    lines.append("")
    lines.append(
        "Workload: the shipped ve-2020-an votes (87 block-vote circuits, 24 D'Hondt state lists, the "
        "national list on their sum, 3 reserved seats); each district resampled (multinomial, n = its "
        "votes), seed 1. The peer loop allocates a sample of the same perturbed runs district by district "
        "(D'Hondt by the peer, block vote by a plain `sorted` top-m since no peer has it), extrapolated."
    )
    lines.append("")
    lines.append("| contender | runs / s | seats speed-up |")
    lines.append("|---|---:|---:|")
    lines.append(
        f"| `seats` simulate, multinomial, end to end ({runs:,} runs, {workers} worker threads) "
        f"| {end_to_end['multinomial']:,.0f} | — |"
    )
    if long_rate is not None:
        lines.append(
            f"| `seats` simulate, multinomial, end to end ({long_runs:,} runs in one call, {workers} worker "
            f"threads) | {long_rate:,.0f} | — |"
        )
    lines.append(
        f"| `seats` simulate, multinomial, end to end, 1 worker thread ({cpu_one / runs * 1e6:,.1f} µs "
        f"CPU per run) | {one_thread:,.0f} | — |"
    )
    lines.append(
        f"| `seats` simulate, dirichlet:20000, end to end ({workers} worker threads) "
        f"| {end_to_end['dirichlet:20000']:,.0f} | — |"
    )
    lines.append(
        f"| `seats` simulate, multinomial, state lists biproportional (Sainte-Laguë rounding; a joint "
        f"solve of the tier in every run), end to end ({workers} worker threads) "
        f"| {runs / biprop_t:,.0f} | — |"
    )
    lines.append(
        f"| `seats` allocation only (same draws, all tiers, 1 thread) | {seats_alloc_rate:,.0f} | 1× |"
    )
    lines.append(f"| `seats` multinomial draws only (1 thread) | {runs / draw_t:,.0f} | — |")
    for name, rate in sorted(peer_rate.items(), key=lambda kv: -kv[1]):
        lines.append(
            f"| loop over districts, `{name}` D'Hondt ({len(picks)} runs) | {rate:,.0f} | "
            f"{seats_alloc_rate / rate:,.0f}× |"
        )
    if loop_e2e is not None:
        lines.append(
            f"| same loop with `{best}`, numpy draw per district included | {loop_e2e:,.0f} | "
            f"{end_to_end['multinomial'] / loop_e2e:,.1f}× (vs seats end to end) |"
        )
    lines.append("")
    if agree:
        lines.append(
            "Agreement (seats per party, run by run, on the sampled runs): "
            + "; ".join(f"`{k}` {s}/{n}" for k, (s, n) in agree.items())
            + "."
        )
        lines.append("")
    target = 50_000
    lines.append(
        f"Targets (issue 4): ≥ {target:,} whole elections/s end to end — measured "
        f"{end_to_end['multinomial']:,.0f}/s (multinomial, {runs:,} runs"
        + (f"; {long_rate:,.0f}/s over {long_runs:,} runs" if long_rate is not None else "")
        + "); ≥ 100× a per-district loop over the best peer — "
        + (
            f"allocation {seats_alloc_rate / peer_rate[best]:,.0f}× (`{best}`), end to end "
            f"{end_to_end['multinomial'] / loop_e2e:,.1f}×."
            if best and loop_e2e
            else "no peer installed."
        )
    )
    lines.append("")
    drawn, full, districts = setup.variates()
    per_variate = draw_t / runs / drawn
    lines.append(
        " ".join(
            [
                f"Where the time goes (one thread): each run draws {drawn} binomial variates in",
                f"{districts} districts (a full draw would take {full}: a block-vote circuit whose winners",
                f"a redraw changes with probability below 2^-{sim_lazy.CERTAIN_BITS} is not drawn, the",
                "others draw their winners and the others' sum; the state lists draw their larger lists",
                "and a few groups of small lists, each group split only in the runs where it could reach",
                "a seat); numpy's",
                f"sampler takes {per_variate * 1e9:,.0f} ns per variate here, so the draws alone cap one",
                f"thread at {runs / draw_t:,.0f} runs/s. The allocation of all four tiers takes",
                f"{alloc_t / runs * 1e6:,.1f} µs per run. Reading, checking and planning the election",
                f"takes {setup_t * 1e3:,.0f} ms a call before any worker starts",
                f"({setup_t / runs * 1e6:,.1f} µs per run at {runs:,} runs).",
                f"Chunks of {sim.CHUNK:,} runs run on {workers} worker threads (end to end",
                f"{end_to_end['multinomial'] / one_thread:,.2f}× one thread",
                "here; the machine is shared, so this ratio is a floor).",
            ]
        )
    )
    lines.append("")
    lines.append(END)
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            _, tail = rest.split(END, 1)
            text = head + section + tail
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
        RESULTS.write_text(text, encoding="utf-8")
        print(f"wrote {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
