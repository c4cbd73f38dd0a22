"""Time `seats` side by side with peer apportionment libraries; write bench/RESULTS.md.

Run from the repository root with the bench venv (see bench/README.md):

    bash bench/setup.sh && .bench-venv/bin/python bench/run.py [--quick]

Every workload input is generated from a fixed seed and handed, unchanged, to
every implementation. Each implementation gets the votes in the form its API
takes (a dict for ``seats``, a list for ``apportionment`` and ``apportionpy``,
a one-column array for ``biprop``); building that form is outside the timed
call, anything the library itself requires (e.g. ``biprop.Election``) is inside.
Times are medians over repeats of a calibrated loop (``timeit``-style, gc off); in
W1 and W4 the contenders' loops are interleaved, so their ratios see the same machine.
Nothing here asserts a target: the numbers are reported as they come out.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import importlib.metadata as md
import math
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import seats

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED = 20240611
METHODS = ("dhondt", "sainte-lague", "hare")
METHOD_TITLE = {"dhondt": "D'Hondt", "sainte-lague": "Sainte-Laguë", "hare": "Hare (largest remainder)"}


# --------------------------------------------------------------------------- implementations


@dataclass
class Impl:
    """One library: how to shape its input and how to call each method it has."""

    name: str
    dist: str  # distribution name, for the version
    prepare: Callable[[list[int]], Any]
    calls: dict[str, Callable[[Any, int], Any]]
    note: str = ""

    @property
    def version(self) -> str:
        try:
            return md.version(self.dist)
        except md.PackageNotFoundError:
            return "not installed"


def _seats_impl() -> Impl:
    def prep(v: list[int]) -> dict[str, int]:
        return {f"p{i}": x for i, x in enumerate(v)}

    def call(method: str) -> Callable[[Any, int], Any]:
        def f(inp: dict[str, int], h: int) -> Any:
            return seats.apportion(inp, h, method=method).seats

        return f

    return Impl("seats", "seats", prep, {m: call(m) for m in METHODS}, "seats.apportion(dict, h, method=...)")


def _apportionment_impl() -> Impl | None:
    try:
        from apportionment import methods as am
    except ImportError:
        return None

    def prep(v: list[int]) -> tuple[list[int], list[str]]:
        # party names must be passed: the default (52 ASCII letters) overflows in the tie message
        return list(v), [f"p{i}" for i in range(len(v))]

    def call(name: str) -> Callable[[Any, int], Any]:
        def f(inp: tuple[list[int], list[str]], h: int) -> Any:
            return am.compute(name, inp[0], h, parties=inp[1])

        return f

    return Impl(
        "apportionment",
        "apportionment",
        prep,
        {"dhondt": call("dhondt"), "sainte-lague": call("saintelague"), "hare": call("largest_remainder")},
        "apportionment.methods.compute(name, votes, h) (floats, ties allowed, broken by input order)",
    )


def _apportionpy_impl() -> Impl | None:
    try:
        from apportionpy.apportionment import Apportion
    except ImportError:
        return None

    def call(name: str) -> Callable[[Any, int], Any]:
        def f(inp: list[int], h: int) -> Any:
            return Apportion(h, inp, name).fair_shares

        return f

    return Impl(
        "apportionpy",
        "apportionpy",
        list,
        {"dhondt": call("jefferson"), "sainte-lague": call("webster"), "hare": call("hamilton")},
        "Apportion(h, votes, 'jefferson'|'webster'|'hamilton').fair_shares (float divisor search)",
    )


def _biprop_impl() -> Impl | None:
    try:
        import biprop
    except ImportError:
        return None

    def prep(v: list[int]) -> np.ndarray:
        return np.asarray(v, dtype=np.int64).reshape(-1, 1)

    def call(rounding: Callable[..., Any]) -> Callable[[Any, int], Any]:
        def f(inp: np.ndarray, h: int) -> Any:
            return biprop.Election(inp).upper_apportionment(h, rounding_method=rounding)

        return f

    return Impl(
        "biprop",
        "biprop",
        prep,
        {"dhondt": call(np.floor), "sainte-lague": call(np.round)},
        "Election(votes column).upper_apportionment(h, rounding_method=np.floor|np.round); no Hare",
    )


def implementations() -> list[Impl]:
    out = [_seats_impl()]
    for make in (_apportionment_impl, _apportionpy_impl, _biprop_impl):
        impl = make()
        if impl is not None:
            out.append(impl)
    return out


def as_list(result: Any) -> list[int]:
    if isinstance(result, dict) or (hasattr(result, "values") and not isinstance(result, np.ndarray)):
        return [int(x) for x in result.values()]
    return [int(x) for x in np.asarray(result).ravel().tolist()]


# --------------------------------------------------------------------------- timing


class CallTimeout(Exception):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise CallTimeout


def call_with_cap(fn: Callable[[], Any], cap: float) -> tuple[Any, float]:
    """One call, interrupted after ``cap`` seconds (between Python bytecodes)."""
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, cap)
    try:
        t0 = time.perf_counter()
        out = fn()
        return out, time.perf_counter() - t0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class Timing:
    median: float  # seconds per call
    repeats: int
    number: int
    spread: float  # (max - min) / median over repeats
    best: float = 0.0  # fastest repeat, seconds per call (0: not measured)

    @property
    def us(self) -> float:
        return self.median * 1e6


def calls_per_loop(fn: Callable[[], Any], first: float, target: float) -> int:
    """How many calls of ``fn`` take about ``target`` seconds, from the first call's time
    refined by up to 50 more calls (the first pays warm-up costs)."""
    number = max(1, int(target / max(first, 1e-7)))
    if number > 1:
        t0 = time.perf_counter()
        for _ in range(min(number, 50)):
            fn()
        per = (time.perf_counter() - t0) / min(number, 50)
        number = max(1, int(target / max(per, 1e-7)))
    return number


def measure(fn: Callable[[], Any], *, target: float, repeats: int, first: float | None = None) -> Timing:
    """Median seconds per call over ``repeats`` loops of ``number`` calls (~``target`` s each)."""
    if first is None:
        t0 = time.perf_counter()
        fn()
        first = time.perf_counter() - t0
    number = calls_per_loop(fn, first, target)
    samples = []
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            samples.append((time.perf_counter() - t0) / number)
    finally:
        if enabled:
            gc.enable()
    med = statistics.median(samples)
    return Timing(med, repeats, number, (max(samples) - min(samples)) / med if med else 0.0, min(samples))


def measure_together(
    fns: dict[str, tuple[Callable[[], Any], float]], *, target: float, repeats: int
) -> dict[str, Timing]:
    """:func:`measure` for several contenders at once, their loops interleaved: each repeat
    times one loop of every contender in turn (the order rotating), so a slower or faster
    spell of the machine falls on all of them and their ratios hold. ``fns`` maps a name to
    its call and the seconds its first call took."""
    numbers = {name: calls_per_loop(fn, first, target) for name, (fn, first) in fns.items()}
    samples: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    enabled = gc.isenabled()
    gc.disable()
    try:
        for r in range(repeats):
            for name in names[r % len(names):] + names[: r % len(names)]:
                fn, number = fns[name][0], numbers[name]
                t0 = time.perf_counter()
                for _ in range(number):
                    fn()
                samples[name].append((time.perf_counter() - t0) / number)
    finally:
        if enabled:
            gc.enable()
    out = {}
    for name, got in samples.items():
        med = statistics.median(got)
        out[name] = Timing(med, repeats, numbers[name], (max(got) - min(got)) / med if med else 0.0, min(got))
    return out


# --------------------------------------------------------------------------- reference kernel

FLOOR_NAME = "numpy kernel"


def numpy_hare_kernel(votes: list[int], house: int) -> list[int]:
    """Hare seats by numpy alone: a reference for the W1 Hare target, not a contender.

    It is the least a numpy-based Python implementation does on W1's input (the list the
    peers get), and nothing more: no input checks (types, signs, names), no tie detection,
    no party names, certificate or result object; int64 arithmetic, exact here because
    every ``votes * house`` is far below 2**63. The seats' total decides the cut: the
    ``left`` largest remainders each take one more seat, found by one partition. Checked
    against ``seats`` on the W1 input before it is timed.

    >>> numpy_hare_kernel([6, 6, 2], 10), numpy_hare_kernel([50, 30, 20], 7), numpy_hare_kernel([3, 1], 4)
    ([4, 4, 2], [4, 2, 1], [3, 1])
    """
    va = np.array(votes, dtype=np.int64)
    whole, part = np.divmod(va * house, sum(votes))
    k = len(votes) - house + int(whole.sum())  # parties minus seats left: the cut's rank
    if k == len(votes):  # no seat left over
        return whole.tolist()
    return (whole + (part >= np.partition(part, k)[k])).tolist()


# --------------------------------------------------------------------------- inputs


def skewed_votes(rng: np.random.Generator, parties: int, total: int, exponent: float = 1.6) -> list[int]:
    """A few large parties and a long tail (Zipf-like with lognormal noise), shuffled, summing to ~total."""
    rank = np.arange(1, parties + 1, dtype=np.float64)
    w = rank**-exponent * rng.lognormal(0.0, 0.35, parties)
    w = w / w.sum()
    v = np.maximum(1, np.floor(w * total)).astype(np.int64)
    rng.shuffle(v)
    return [int(x) for x in v]


def tie_free(
    make: Callable[[int], list[int]], house: int, methods: Sequence[str], seed: int
) -> tuple[list[int], int]:
    """The first input from ``seed, seed+1, ...`` on which ``seats`` reports no seat-deciding tie."""
    for bump in range(100):
        v = make(seed + bump)
        inp = {f"p{i}": x for i, x in enumerate(v)}
        try:
            for m in methods:
                seats.apportion(inp, house, method=m)
        except seats.TieError:
            continue
        return v, bump
    raise RuntimeError("no tie-free input in 100 seeds")


def election_matrix(rng: np.random.Generator, elections: int, parties: int) -> np.ndarray:
    """Simulated elections: Dirichlet shares, lognormal turnout (~20k..2M votes), multinomial counts."""
    alpha = np.linspace(2.0, 0.3, parties)  # some parties are usually big, some usually small
    shares = rng.dirichlet(alpha, size=elections)
    turnout = np.clip(rng.lognormal(math.log(150_000), 1.0, elections), 20_000, 2_000_000).astype(np.int64)
    return rng.multinomial(turnout, shares).astype(np.int64)


# --------------------------------------------------------------------------- agreement log


KINDS = ("same", "tie-differ", "tie-raised", "disagree", "error")


@dataclass
class Agreement:
    """Per implementation: how many results were compared and how each came out, with a few examples."""

    tally: dict[str, dict[str, int]] = field(default_factory=dict)
    examples: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def add(self, impl: str, kind: str, text: str = "") -> None:
        t = self.tally.setdefault(impl, dict.fromkeys(KINDS, 0))
        t[kind] += 1
        if text:
            ex = self.examples.setdefault((kind, impl), [])
            if len(ex) < 3:  # keep the report short
                ex.append(text)

    @property
    def checks(self) -> int:
        return sum(sum(t.values()) for t in self.tally.values())


def short_votes(v: Sequence[int], limit: int = 40) -> str:
    v = list(v)
    if len(v) <= limit:
        return str(v)
    return f"{v[:limit]}... ({len(v)} parties; regenerate with the workload's seed for the full list)"


def diff_text(ref: list[int], got: list[int]) -> str:
    if len(ref) != len(got):
        return f"returned {len(got)} values for {len(ref)} parties"
    d = [(i, r, g) for i, (r, g) in enumerate(zip(ref, got, strict=True)) if r != g]
    shown = ", ".join(f"p{i}: seats {r} vs {g}" for i, r, g in d[:6])
    return (
        f"{len(d)} parties differ ({shown}{', ...' if len(d) > 6 else ''}); totals {sum(ref)} vs {sum(got)}"
    )


# --------------------------------------------------------------------------- workloads


def fmt_us(x: float | None) -> str:
    if x is None:
        return "—"
    if x >= 100_000:
        return f"{x / 1e6:,.2f} s"
    if x >= 1000:
        return f"{x:,.0f}"
    return f"{x:,.1f}" if x >= 10 else f"{x:.2f}"


def fmt_ratio(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return f"{x:,.0f}×" if x >= 100 else f"{x:.1f}×" if x >= 10 else f"{x:.2f}×"


def w1(
    impls: list[Impl], cfg: argparse.Namespace, agree: Agreement, log: Callable[[str], None]
) -> dict[str, Any]:
    parties, house = 107, 277
    v, bump = tie_free(
        lambda s: skewed_votes(np.random.default_rng(s), parties, 6_200_000), house, METHODS, SEED
    )
    res: dict[str, Any] = {"votes": v, "bump": bump, "rows": {}}
    for method in METHODS:
        ref = as_list(seats.apportion({f"p{i}": x for i, x in enumerate(v)}, house, method=method).seats)
        timed: dict[str, tuple[Callable[[], Any], float]] = {}
        for impl in impls:
            fn = impl.calls.get(method)
            if fn is None:
                res["rows"][(method, impl.name)] = None
                continue
            inp = impl.prepare(v)
            try:
                out, first = call_with_cap(lambda fn=fn, inp=inp, h=house: fn(inp, h), cfg.cap)
            except CallTimeout:
                res["rows"][(method, impl.name)] = f"skipped: one call > {cfg.cap:g} s"
                continue
            except Exception as exc:  # a peer failing is a result, not a crash
                agree.add(impl.name, "error", f"W1 {method}: raised {type(exc).__name__}: {str(exc)[:160]}")
                res["rows"][(method, impl.name)] = f"error: {type(exc).__name__}"
                continue
            if impl.name != "seats":
                got = as_list(out)
                if got != ref:
                    agree.add(
                        impl.name,
                        "disagree",
                        f"W1 {method} (107 parties, 277 seats, seed {SEED + bump}): {diff_text(ref, got)}",
                    )
                else:
                    agree.add(impl.name, "same")
            timed[impl.name] = (lambda fn=fn, inp=inp, h=house: fn(inp, h), first)
        if method == "hare":
            # the reference kernel, timed in the same interleaved loops (it must agree first)
            listed = list(v)
            t0 = time.perf_counter()
            got = numpy_hare_kernel(listed, house)
            first = time.perf_counter() - t0
            if got != ref:
                raise RuntimeError(f"the numpy Hare kernel disagrees with seats: {diff_text(ref, got)}")
            timed[FLOOR_NAME] = (lambda inp=listed, h=house: numpy_hare_kernel(inp, h), first)
        for name, t in measure_together(timed, target=cfg.target, repeats=cfg.repeats).items():
            res["rows"][(method, name)] = t
            log(f"  W1 {method:13s} {name:14s} {t.us:10.1f} µs/call  (x{t.number} x{t.repeats})")
    return res


def run_rows(
    fn: Callable[[Any, int], Any],
    inputs: list[Any],
    house: int,
    outs: list[Any] | None = None,
    errors: list[tuple[int, Exception]] | None = None,
) -> None:
    """Call ``fn`` on every input; keep results (None on an exception) and exceptions when asked."""
    for k, inp in enumerate(inputs):
        try:
            o = fn(inp, house)
        except Exception as exc:
            if errors is not None:
                errors.append((k, exc))
            o = None
        if outs is not None:
            outs.append(o)


def w3(
    impls: list[Impl], cfg: argparse.Namespace, agree: Agreement, log: Callable[[str], None]
) -> dict[str, Any]:
    elections, parties, house = cfg.w3_elections, 15, 48
    m = election_matrix(np.random.default_rng(SEED + 3), elections, parties)
    res: dict[str, Any] = {"elections": elections, "rows": {}}

    # reference: every row, ties settled by input order and reported
    ref_alloc = seats.batch.allocate(m, house, method="dhondt", ties="order")
    ref = ref_alloc.seats
    tie_rows = set(ref_alloc.tie_rows.tolist())
    res["tie_rows"] = sorted(tie_rows)
    res["exact_rows"] = ref_alloc.exact_rows
    try:
        seats.batch.apportion(m, house, method="dhondt")
        timed_kwargs: dict[str, Any] = {}
        res["default_raised"] = None
    except seats.TieError as err:
        res["default_raised"] = len(getattr(err, "rows", []))
        timed_kwargs = {"ties": "order"}
    res["timed_kwargs"] = timed_kwargs

    def batch() -> Any:
        return seats.batch.apportion(m, house, method="dhondt", **timed_kwargs)

    t = measure(batch, target=cfg.target * 2, repeats=cfg.repeats)
    res["rows"]["seats.batch"] = (t.median, elections, t)
    log(f"  W3 seats.batch         {elections / t.median:14,.0f} elections/s")

    sub = min(cfg.w3_sample, elections)
    idx = np.random.default_rng(SEED + 33).choice(elections, size=sub, replace=False)
    idx.sort()
    res["sample"] = sub
    rows = [[int(x) for x in m[r]] for r in idx]
    loopers: list[tuple[str, Impl]] = [("seats (scalar loop)", impls[0])] + [(i.name, i) for i in impls[1:]]
    for label, impl in loopers:
        fn = impl.calls["dhondt"]
        inputs = [impl.prepare(r) for r in rows]
        outs: list[Any] = []
        errors: list[tuple[int, Exception]] = []
        t0 = time.perf_counter()
        run_rows(fn, inputs, house, outs, errors)
        first = time.perf_counter() - t0
        reps = max(1, min(cfg.repeats, int(cfg.loop_budget / max(first, 1e-6))))
        t = measure(
            lambda fn=fn, inputs=inputs: run_rows(fn, inputs, house), target=0.0, repeats=reps, first=first
        )  # number=1: one pass over the sample
        res["rows"][label] = (t.median, sub, t)
        log(f"  W3 {label:20s}{sub / t.median:14,.0f} elections/s  (sample {sub}, {reps} passes)")
        err_at = dict(errors)
        for k, o in enumerate(outs):
            r = int(idx[k])
            tie = r in tie_rows
            votes_txt = f"votes {list(map(int, m[r]))}"
            if o is None:
                exc = err_at[k]
                kind = "tie-raised" if tie else "error"
                agree.add(
                    label, kind, f"W3 row {r}: raised {type(exc).__name__}: {str(exc)[:100]}; {votes_txt}"
                )
                continue
            got = as_list(o)
            want = ref[r].tolist()
            if got == want:
                agree.add(label, "same")
            else:
                kind = "tie-differ" if tie else "disagree"
                agree.add(label, kind, f"W3 row {r} (48 seats, D'Hondt): {diff_text(want, got)}; {votes_txt}")
    return res


def w4(
    impls: list[Impl], cfg: argparse.Namespace, agree: Agreement, log: Callable[[str], None]
) -> dict[str, Any]:
    houses = cfg.w4_houses
    party_counts = cfg.w4_parties
    res: dict[str, Any] = {"house": {}, "parties": {}, "bumps": {}}
    sweeps = [
        ("house", [(20, h) for h in houses]),
        ("parties", [(p, 1000) for p in party_counts]),
    ]
    flat_inputs: dict[int, list[int]] = {}
    for sweep, points in sweeps:
        over_cap: set[str] = set()
        for parties, house in points:
            key = house if sweep == "house" else parties
            v, bump = tie_free(
                lambda s, parties=parties, house=house: skewed_votes(
                    np.random.default_rng(s), parties, 10_000 * max(house, parties), exponent=0.9
                ),
                house,
                ("dhondt",),
                SEED + 4000 + parties * 7 + house,
            )
            res["bumps"][(sweep, key)] = bump
            if sweep == "house":
                flat_inputs[house] = v
            ref = as_list(seats.apportion({f"p{i}": x for i, x in enumerate(v)}, house).seats)
            timed: dict[str, tuple[Callable[[], Any], float]] = {}
            for impl in impls:
                fn = impl.calls["dhondt"]
                if impl.name in over_cap:
                    res[sweep][(key, impl.name)] = "skipped: a smaller size already exceeded the cap"
                    continue
                inp = impl.prepare(v)
                try:
                    out, first = call_with_cap(lambda fn=fn, inp=inp, h=house: fn(inp, h), cfg.cap)
                except CallTimeout:
                    res[sweep][(key, impl.name)] = f"skipped: one call > {cfg.cap:g} s"
                    over_cap.add(impl.name)
                    log(f"  W4 {sweep}={key:<7} {impl.name:14s} skipped (> {cfg.cap:g} s)")
                    continue
                except Exception as exc:
                    res[sweep][(key, impl.name)] = f"error: {type(exc).__name__}"
                    agree.add(
                        impl.name,
                        "error",
                        f"W4 {parties} parties, {house} seats: raised {type(exc).__name__}: {str(exc)[:160]}",
                    )
                    continue
                if impl.name != "seats":
                    got = as_list(out)
                    if got != ref:
                        agree.add(
                            impl.name,
                            "disagree",
                            f"W4 {parties} parties, {house} seats (seed "
                            f"{SEED + 4000 + parties * 7 + house + bump}): {diff_text(ref, got)}",
                        )
                    else:
                        agree.add(impl.name, "same")
                if first > cfg.cap / 2:  # too slow to repeat within budget: one more sample at most
                    t = measure(
                        lambda fn=fn, inp=inp, h=house: fn(inp, h), target=0.0, repeats=1, first=first
                    )
                    t = Timing(statistics.median([first, t.median]), 2, 1, abs(first - t.median) / first)
                    over_cap.add(impl.name)  # the next size (10x) would exceed the cap
                    res[sweep][(key, impl.name)] = t
                    log(f"  W4 {sweep}={key:<7} {impl.name:14s} {t.us:12.1f} µs/call")
                else:
                    timed[impl.name] = (lambda fn=fn, inp=inp, h=house: fn(inp, h), first)
            together = measure_together(timed, target=cfg.target / 2, repeats=max(3, cfg.repeats - 2))
            for name, t in together.items():
                res[sweep][(key, name)] = t
                log(f"  W4 {sweep}={key:<7} {name:14s} {t.us:12.1f} µs/call")
    # flatness: seats alone over every house size, short loops interleaved many times, so the
    # sizes share the machine's slow and fast spells (which last about a tenth of a second)
    mine = next((i for i in impls if i.name == "seats"), None)
    if mine is not None:
        calls: dict[str, tuple[Callable[[], Any], float]] = {}
        for house, v in flat_inputs.items():
            inp = mine.prepare(v)
            fn = mine.calls["dhondt"]
            t0 = time.perf_counter()
            fn(inp, house)
            calls[str(house)] = (lambda fn=fn, inp=inp, h=house: fn(inp, h), time.perf_counter() - t0)
        flat = measure_together(calls, target=cfg.target / 10, repeats=cfg.repeats * 4 + 1)
        res["flat"] = {int(h): t for h, t in flat.items()}
        log("  W4 flatness: " + ", ".join(f"{h} {t.us:.1f}" for h, t in flat.items()) + " µs/call")
    return res


# --------------------------------------------------------------------------- report


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


LOAD_AT_START = _load()


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def ver(d: str) -> str:
        try:
            return md.version(d)
        except md.PackageNotFoundError:
            return "not installed"

    try:
        commit = (
            subprocess.run(
                ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            or "unknown"
        )
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "seats"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if dirty:
            commit += " (seats/ has uncommitted changes)"
    except OSError:
        commit = "unknown"
    return {
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "nproc": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()),
        "python": platform.python_version(),
        "numpy": ver("numpy"),
        "polars": ver("polars"),
        "seats": f"{seats.__version__} @ {commit}",
        "load average at start / end": f"{LOAD_AT_START} / {_load()}",
    }


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
    ]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def cell(x: Any) -> str:
    if isinstance(x, Timing):
        return fmt_us(x.us)
    if x is None:
        return "n/a (no such method)"
    return str(x)


def report(
    impls: list[Impl],
    cfg: argparse.Namespace,
    r1: dict[str, Any],
    r3: dict[str, Any],
    r4: dict[str, Any],
    agree: Agreement,
    wall: float,
) -> str:
    mach = machine()
    peers = [i for i in impls if i.name != "seats"]
    L: list[str] = []
    L.append("# Benchmark results")
    L.append("")
    L.append(
        f"Generated by `bench/run.py{' --quick' if cfg.quick else ''}` — do not edit by hand. "
        f"Run took {wall:.0f} s."
    )
    L.append("")
    L.append("## Machine")
    L.append("")
    L += table(["what", "value"], [[k, v] for k, v in mach.items()])
    L.append("")
    L.append("Peers (PyPI, installed only in `.bench-venv`, pinned in `bench/requirements.txt`):")
    L.append("")
    for i in peers:
        L.append(f"- `{i.name}` {i.version}: {i.note}")
    L.append(f"- `seats`: {impls[0].note}")
    L.append("")
    L.append(
        "Other work on the machine (see the load average) inflates times; compare ratios within one run."
    )
    L.append("")
    L.append(
        f"Times are medians of {cfg.repeats} repeats of a calibrated loop (~{cfg.target:g} s each, gc off). "
        "In W1 and W4 the contenders' loops are interleaved (each repeat times one loop of every "
        "contender in turn), so a slower spell of the machine falls on all of them alike. "
        "Ratio = peer time / seats time (above 1× means seats is faster)."
    )
    L.append("")

    # W1
    L.append("## W1 — one allocation: 277 seats, 107 parties, skewed votes (~6.2 M)")
    L.append("")
    L.append(f"Zipf-like shares with lognormal noise, shuffled; seed {SEED + r1['bump']}. µs per call.")
    L.append("")
    head = ["method", "seats µs"] + [f"{p.name} µs" for p in peers] + [f"{p.name} / seats" for p in peers]
    rows = []
    for method in METHODS:
        s = r1["rows"].get((method, "seats"))
        row = [METHOD_TITLE[method], cell(s)]
        ratios = []
        for p in peers:
            x = r1["rows"].get((method, p.name))
            row.append(cell(x))
            ratios.append(
                fmt_ratio(x.median / s.median) if isinstance(x, Timing) and isinstance(s, Timing) else "—"
            )
        rows.append(row + ratios)
    L += table(head, rows)
    L.append("")
    kernel = r1["rows"].get(("hare", FLOOR_NAME))
    if isinstance(kernel, Timing):
        L.append(
            f"Reference, not a contender: a Hare kernel of numpy alone (`numpy_hare_kernel` in "
            f"`bench/run.py`) takes {kernel.us:.1f} µs on the same list the peers get, timed in the "
            "same interleaved loops. It checks nothing (types, signs, names), detects no tie and "
            "builds no result; it is the least a numpy-based implementation does here, and it "
            "agrees with `seats` on this input."
        )
        L.append("")

    # W3
    n = r3["elections"]
    L.append(f"## W3 — {n:,} simulated elections: 15 parties, 48 seats, D'Hondt")
    L.append("")
    kw = r3["timed_kwargs"]
    extra = ', ties="order"' if kw else ""
    call = f'seats.batch.apportion(matrix, 48, method="dhondt"{extra})'
    L.append(
        f"`seats.batch` is one call on the whole ({n:,} × 15) matrix: `{call}`. "
        f"The others are called in a Python loop over a random sample of {r3['sample']:,} rows "
        "and the rate is "
        f"extrapolated to all {n:,} (a loop's cost is linear in its rows)."
    )
    if r3["default_raised"] is not None:
        L.append(
            f'With the default `ties="error"` the batch call raises `TieError` naming the '
            f"{r3['default_raised']} rows with a seat-deciding tie (as designed), "
            "so the timed call settles ties "
            "by input order, as `apportionment` does."
        )
    L.append(
        f"Rows with an exact seat-deciding tie: {len(r3['tie_rows'])}; rows the float path "
        f"could not certify (near-ties and ties), solved exactly: {r3['exact_rows']} (integer "
        "comparisons on all of them at once; the scalar engine only beyond int64 or 128 parties)."
    )
    L.append("")
    b = r3["rows"]["seats.batch"]
    b_rate = b[1] / b[0]
    rows = []
    for label, (sec, cnt, _t) in r3["rows"].items():
        rate = cnt / sec
        est = n / rate
        rows.append(
            [
                f"`{label}`",
                f"{rate:,.0f}",
                f"{est:,.2f} s" + ("" if cnt == n else " (extrapolated)"),
                "1×" if label == "seats.batch" else fmt_ratio(b_rate / rate),
            ]
        )
    L += table(["implementation", "elections / s", f"time for {n:,}", "seats.batch speed-up"], rows)
    L.append("")

    # W4
    L.append("## W4 — growth, D'Hondt, µs per call")
    L.append("")
    L.append(
        f"Single calls capped at {cfg.cap:g} s (a call still running then is interrupted and the size marked "
        "skipped; an implementation whose call took more than half the cap is "
        "not run at the next, 10× larger, "
        "size). Inputs: Zipf-like votes, ~10,000 votes per seat or party."
    )
    L.append("")
    for sweep, keyname, fixed in (
        ("house", "house size", "20 parties"),
        ("parties", "parties", "house 1,000"),
    ):
        keys = cfg.w4_houses if sweep == "house" else cfg.w4_parties
        L.append(f"### {keyname} ({fixed})")
        L.append("")
        head = [keyname, "seats µs"] + [f"{p.name} µs" for p in peers] + [f"{p.name} / seats" for p in peers]
        rows = []
        for k in keys:
            s = r4[sweep].get((k, "seats"))
            row = [f"{k:,}", cell(s)]
            ratios = []
            for p in peers:
                x = r4[sweep].get((k, p.name))
                row.append(cell(x))
                ratios.append(
                    fmt_ratio(x.median / s.median) if isinstance(x, Timing) and isinstance(s, Timing) else "—"
                )
            rows.append(row + ratios)
        L += table(head, rows)
        L.append("")
    flat_t = r4.get("flat", {})
    hs = [flat_t.get(h) for h in cfg.w4_houses]
    flat = flat_best = None
    if hs and all(isinstance(t, Timing) for t in hs):
        n = hs[0].repeats
        flat = max(t.median for t in hs) / min(t.median for t in hs)
        bests = [t.best for t in hs]
        flat_best = max(bests) / min(bests)
        L.append(
            f"Flatness: `seats` alone on the same inputs, every house size in turn, {n} short loops "
            f"(~{cfg.target / 10:g} s) each, interleaved so the sizes share the machine's slower and "
            "faster spells (in the tables above, each size was timed at a different moment). "
            f"Slowest / fastest = {flat:.2f} on medians, {flat_best:.2f} on each size's fastest loop ("
            + ", ".join(
                f"{h:,}: {t.median * 1e6:.1f} / {t.best * 1e6:.1f} µs"
                for h, t in zip(cfg.w4_houses, hs, strict=True)
            )
            + ", median / fastest)."
        )
        L.append("")

    # agreement
    L.append("## Agreement")
    L.append("")
    L.append(
        f"{agree.checks:,} results compared with `seats` on the same input (W1: every peer and method; "
        "W3: every sampled row, for each peer and for the `seats` scalar loop against `seats.batch`; "
        "W4: every size run). W1 and W4 inputs are drawn tie-free: a seed "
        "whose input has a seat-deciding tie "
        "under `seats` is skipped for the next one. In W3 the reference is `seats.batch` with "
        '`ties="order"` (a tie goes to the party listed first).'
    )
    L.append("")
    rows = []
    for name, t in agree.tally.items():
        rows.append([f"`{name}`", f"{sum(t.values()):,}"] + [f"{t[k]:,}" for k in KINDS])
    L += table(
        [
            "implementation",
            "compared",
            "same seats",
            "tie row: other seats",
            "tie row: raised",
            "**disagree (no tie)**",
            "error (no tie)",
        ],
        rows,
    )
    L.append("")
    L.append(
        "A tie row is one where a tie decides a seat, so any tie-breaking rule is defensible there; a peer "
        "that raises on it or breaks it differently is not wrong. `seats`' own scalar call raises `TieError` "
        'on such rows by design (default `ties="error"`). A *disagree* is a different answer on an input '
        "with no deciding tie, where `seats` is exact: worth investigating."
    )
    L.append("")
    if agree.examples:
        L.append("Examples (at most 3 of each kind per implementation):")
        L.append("")
        for (kind, name), ex in sorted(agree.examples.items()):
            L += [f"- `{name}` {kind}: {e}" for e in ex]
        L.append("")

    # where we stand
    L.append("## Where we stand")
    L.append("")
    L += where_we_stand(impls, r1, r3, r4, flat, flat_best)
    bad = {k: t["disagree"] + t["error"] for k, t in agree.tally.items() if t["disagree"] + t["error"]}
    if bad:
        L.append(
            "- Agreement: results differing from `seats` (or failing) on inputs without a deciding tie: "
            + ", ".join(f"`{k}` {v}" for k, v in bad.items())
            + " — see the examples above."
        )
    else:
        L.append(
            "- Agreement: every implementation gave the same seats as `seats` on "
            "every input without a deciding "
            "tie; differences occur only on tie rows."
        )
    L.append("")
    return "\n".join(L)


def w1_verdicts(impls: list[Impl], r1: dict[str, Any]) -> list[str]:
    """One line per W1 method against both targets, each marked met or not met; for Hare,
    what the 40× target asks against what the reference kernel (numpy alone) takes."""
    out = ["- W1 (target: within the time of the fastest peer, and ≥ 40× faster than `apportionment`):"]
    for method in METHODS:
        s = r1["rows"].get((method, "seats"))
        if not isinstance(s, Timing):
            continue
        peer_t = {p.name: r1["rows"].get((method, p.name)) for p in impls[1:]}
        peer_t = {k: v for k, v in peer_t.items() if isinstance(v, Timing)}
        parts = [f"`seats` {s.us:.1f} µs"]
        if peer_t:
            fastest = min(peer_t, key=lambda k: peer_t[k].median)
            ratio = peer_t[fastest].median / s.median
            parts.append(
                f"fastest peer `{fastest}` {peer_t[fastest].us:.1f} µs ({ratio:.2f}×: "
                f"{'met' if ratio >= 1 else 'not met'})"
            )
        a = peer_t.get("apportionment")
        if a is not None:
            ratio = a.median / s.median
            text = f"`apportionment` / seats {ratio:.1f}× ({'met' if ratio >= 40 else 'not met'}"
            kernel = r1["rows"].get((method, FLOOR_NAME))
            if ratio < 40 and isinstance(kernel, Timing):
                need = a.us / 40
                text += (
                    f": 40× needs {need:.1f} µs a call; the {FLOOR_NAME}, with no checks, ties or "
                    f"result, takes {kernel.us:.1f} µs ({a.median / kernel.median:.1f}×), "
                    f"{'so the target is below what numpy alone costs' if kernel.us > need else 'below it'}"
                )
            parts.append(text + ")")
        out.append(f"  - {METHOD_TITLE[method]}: " + "; ".join(parts) + ".")
    return out


def where_we_stand(
    impls: list[Impl],
    r1: dict[str, Any],
    r3: dict[str, Any],
    r4: dict[str, Any],
    flat: float | None,
    flat_best: float | None = None,
) -> list[str]:
    out = w1_verdicts(impls, r1)
    b = r3["rows"]["seats.batch"]
    rate = b[1] / b[0]
    peers = {k: v[1] / v[0] for k, v in r3["rows"].items() if k not in ("seats.batch", "seats (scalar loop)")}
    if peers:
        best = max(peers, key=peers.__getitem__)
        out.append(
            f"- W3 (target: ≥ 5 M elections/s and ≥ 100× the fastest peer): `seats.batch` {rate / 1e6:.2f} M "
            f"elections/s; fastest peer `{best}` {peers[best]:,.0f}/s, so {rate / peers[best]:,.0f}×."
        )
    if flat is not None:
        line = (
            f"- W4 (target: flat in house size): `seats` slowest/fastest across house sizes = {flat:.2f}"
            f" on medians ({'flat' if flat < 2 else 'not flat'} by a < 2× criterion)"
        )
        if flat_best is not None:
            line += (
                f", {flat_best:.2f} on each size's fastest loop "
                f"({'flat' if flat_best < 2 else 'not flat'}); interleaved across sizes"
            )
        out.append(line + ".")
    return out


_BEGIN = re.compile(r"^<!-- BEGIN ([A-Za-z0-9_.:/-]+) -->[ \t]*$", re.MULTILINE)


def marked_sections(text: str) -> list[tuple[str, str]]:
    """Sections other scripts own: ``<!-- BEGIN name -->`` ... ``<!-- END name -->``, markers included.

    A BEGIN without its END keeps everything to the end of the file (with a warning),
    so that nobody's numbers are lost to a typo.
    """
    out: list[tuple[str, str]] = []
    pos = 0
    while (m := _BEGIN.search(text, pos)) is not None:
        name = m.group(1)
        end = re.compile(rf"^<!-- END {re.escape(name)} -->[ \t]*$", re.MULTILINE).search(text, m.end())
        if end is None:
            print(f"warning: <!-- BEGIN {name} --> has no END marker; kept to the end of the file",
                  file=sys.stderr)
            out.append((name, text[m.start():].rstrip("\n")))
            break
        out.append((name, text[m.start():end.end()]))
        pos = end.end()
    return out


def with_marked_sections(new: str, old: str) -> str:
    """``new`` followed by every marked section of ``old`` that ``new`` does not have, in their order."""
    have = {name for name, _ in marked_sections(new)}
    kept = [body for name, body in marked_sections(old) if name not in have]
    if not kept:
        return new
    return new.rstrip("\n") + "\n\n" + "\n\n".join(kept) + "\n"


def write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick", action="store_true", help="smaller inputs and fewer repeats (smoke run, ~1 min)"
    )
    ap.add_argument(
        "--out", type=Path, default=HERE / "RESULTS.md", help="report path (default bench/RESULTS.md)"
    )
    ap.add_argument(
        "--cap", type=float, default=3.0, help="seconds allowed for one call in W1/W4 (default 3)"
    )
    cfg = ap.parse_args(argv)
    if cfg.quick:
        cfg.repeats, cfg.target, cfg.loop_budget = 3, 0.05, 1.0
        cfg.w3_elections, cfg.w3_sample = 20_000, 500
        cfg.w4_houses, cfg.w4_parties = [10, 100, 1000, 10_000], [10, 100, 1000]
    else:
        cfg.repeats, cfg.target, cfg.loop_budget = 7, 0.2, 10.0
        cfg.w3_elections, cfg.w3_sample = 100_000, 20_000
        cfg.w4_houses, cfg.w4_parties = [10, 100, 1000, 10_000, 100_000], [10, 100, 1000, 10_000]

    impls = implementations()
    missing = {"apportionment", "apportionpy", "biprop"} - {i.name for i in impls}
    if missing:
        print(
            f"warning: peers not installed, left out: {', '.join(sorted(missing))} (run bench/setup.sh)",
            file=sys.stderr,
        )

    def log(msg: str) -> None:
        print(msg, flush=True)

    start = time.perf_counter()
    agree = Agreement()
    log("W1: one allocation, 277 seats / 107 parties")
    r1 = w1(impls, cfg, agree, log)
    log(f"W3: {cfg.w3_elections:,} elections, 15 parties, 48 seats")
    r3 = w3(impls, cfg, agree, log)
    log("W4: growth in house size and parties")
    r4 = w4(impls, cfg, agree, log)
    text = report(impls, cfg, r1, r3, r4, agree, time.perf_counter() - start)
    if cfg.out.exists():  # keep the sections other benchmark scripts wrote between markers
        text = with_marked_sections(text, cfg.out.read_text(encoding="utf-8"))
    write_atomic(cfg.out, text)
    log(f"wrote {cfg.out} ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
