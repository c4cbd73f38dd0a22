"""Noise models and the draws: :class:`Noise`, and a tier's votes perturbed (multinomial or Dirichlet)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from seats.analysis.simulate.common import FloatArray, IntArray, SimulationError

NOISE_KINDS = ("multinomial", "dirichlet")


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
