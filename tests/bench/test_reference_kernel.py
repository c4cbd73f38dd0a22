"""The benchmark's reference Hare kernel (bench/run.py) gives the seats `seats` gives.

W1 reports the kernel's time beside the 40x Hare target, as the least a numpy-based
implementation does; that comparison means something only if the kernel computes Hare.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

import seats

RUN = Path(__file__).resolve().parents[2] / "bench" / "run.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("seats_bench_run", RUN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


bench = _load()


def test_the_kernel_agrees_on_the_w1_input() -> None:
    v = bench.skewed_votes(np.random.default_rng(bench.SEED), 107, 6_200_000)
    want = list(seats.apportion({f"p{i}": x for i, x in enumerate(v)}, 277, method="hare").seats.values())
    assert bench.numpy_hare_kernel(v, 277) == want
    assert sum(want) == 277


@given(
    st.lists(st.integers(0, 10**9), min_size=1, max_size=60).filter(any),
    st.integers(1, 400),
)
def test_the_kernel_agrees_wherever_no_tie_decides_a_seat(votes: list[int], house: int) -> None:
    try:
        a = seats.apportion({f"p{i}": x for i, x in enumerate(votes)}, house, method="hare")
    except seats.TieError:
        assume(False)
        return
    assert bench.numpy_hare_kernel(votes, house) == list(a.seats.values())
