"""Signpost (rounding) functions of the divisor methods, in exact integer form.

A party holding ``s`` seats competes for the next one with the quotient
``votes / d(s)``. Every signpost here writes that quotient as

    votes**power * a(s) / b(s)        (b(s) == 0 means an infinite quotient)

with integer ``a`` and ``b``, so that two quotients are compared exactly by
cross-multiplication. Huntington-Hill, whose ``d(s) = sqrt(s(s+1))`` is
irrational, uses ``power = 2`` and compares squares.

Examples
--------
>>> from seats.methods.signposts import DHONDT, compare
>>> compare(DHONDT, 100_000, 4, 20_000, 0)   # 100000/5 vs 20000/1
0
>>> DHONDT.show(4)
'5'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from seats.errors import UnknownMethodError

__all__ = [
    "ADAMS",
    "DANISH",
    "DEAN",
    "DHONDT",
    "HUNTINGTON_HILL",
    "IMPERIALI",
    "MODIFIED_SAINTE_LAGUE",
    "SAINTE_LAGUE",
    "CustomSignpost",
    "LinearSignpost",
    "Signpost",
    "compare",
    "seats_above",
]

FloatArray = npt.NDArray[np.float64]


class Signpost:
    """Base class: ``d(s)`` as the integer pair ``(a(s), b(s))`` and a power."""

    name: str
    power: ClassVar[int] = 1

    def a(self, s: int) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def b(self, s: int) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def quotient_float(self, v: float, s: int) -> float:
        """The quotient as a float: used only to find candidates, never to decide."""
        b = self.b(s)
        if b == 0:
            return math.inf
        return float(v) ** self.power * self.a(s) / b

    def key(self, v: int, s: int) -> Fraction | None:
        """The exact quotient (its square when ``power == 2``); ``None`` is infinite."""
        b = self.b(s)
        if b == 0:
            return None
        return Fraction(v**self.power * self.a(s), b)

    def value(self, s: int) -> Fraction | None:
        """``d(s)`` exactly, or ``None`` when it is irrational (then see :meth:`show`)."""
        if self.power != 1:
            return None
        return Fraction(self.b(s), self.a(s))

    def show(self, s: int) -> str:
        """``d(s)`` for people: ``'5'``, ``'1.4'``, ``'sqrt(12)'``."""
        if self.power == 2:
            sq = Fraction(self.b(s), self.a(s))
            root = math.isqrt(sq.numerator)
            if sq.denominator == 1 and root * root == sq.numerator:
                return str(root)
            return f"sqrt({sq})"
        d = self.value(s)
        assert d is not None
        if d.denominator == 1:
            return str(d.numerator)
        as_float = float(d)
        if Fraction(repr(as_float)) == d:
            return repr(as_float)
        return str(d)

    def estimate(self, x: FloatArray) -> FloatArray:
        """Approximate seats (how many ``d(s) < x``) for ``x = votes / D``; a starting point only."""
        return np.maximum(np.ceil(x - 0.5), 0.0)

    def estimate_one(self, x: float) -> int:
        return int(self.estimate(np.asarray([x], dtype=np.float64))[0])

    def quotients(self, v: FloatArray, s: npt.NDArray[np.int64]) -> FloatArray:
        """``v / d(s)`` elementwise, as floats (``inf`` where ``d(s) = 0``): candidates only."""
        a = np.vectorize(self.a, otypes=[np.float64])(s)
        b = np.vectorize(self.b, otypes=[np.float64])(s)
        return _divide(v**self.power * a, b)


@dataclass(frozen=True, eq=False)
class LinearSignpost(Signpost):
    """``d(s) = (step * s + offset) / scale``, with an optional exact first signpost."""

    name: str
    step: int
    offset: int
    scale: int
    first: Fraction | None = None

    def a(self, s: int) -> int:
        if s == 0 and self.first is not None:
            return self.first.denominator
        return self.scale

    def b(self, s: int) -> int:
        if s == 0 and self.first is not None:
            return self.first.numerator
        return self.step * s + self.offset

    def quotients(self, v: FloatArray, s: npt.NDArray[np.int64]) -> FloatArray:
        b = (self.step * s + self.offset).astype(np.float64)
        a = np.full(s.shape, float(self.scale))
        if self.first is not None:
            zero = s == 0
            b[zero] = self.first.numerator
            a[zero] = self.first.denominator
        return _divide(v * a, b)

    def estimate(self, x: FloatArray) -> FloatArray:
        # how many s >= 0 have (step*s + offset)/scale < x
        count = np.maximum(np.ceil((x * self.scale - self.offset) / self.step), 0.0)
        if self.first is not None:
            later = np.maximum(np.ceil((x * self.scale - self.offset) / self.step) - 1.0, 0.0)
            count = (x > float(self.first)).astype(np.float64) + later
        return count


@dataclass(frozen=True, eq=False)
class _Dean(Signpost):
    name: str = "dean"

    def a(self, s: int) -> int:
        return 2 * s + 1

    def b(self, s: int) -> int:
        return 2 * s * (s + 1)


    def quotients(self, v: FloatArray, s: npt.NDArray[np.int64]) -> FloatArray:
        sf = s.astype(np.float64)
        return _divide(v * (2 * sf + 1), 2 * sf * (sf + 1))


@dataclass(frozen=True, eq=False)
class _HuntingtonHill(Signpost):
    name: str = "huntington-hill"
    power: ClassVar[int] = 2

    def a(self, s: int) -> int:
        return 1

    def b(self, s: int) -> int:
        return s * (s + 1)

    def quotient_float(self, v: float, s: int) -> float:
        b = s * (s + 1)
        return math.inf if b == 0 else float(v) / math.sqrt(b)

    def quotients(self, v: FloatArray, s: npt.NDArray[np.int64]) -> FloatArray:
        sf = s.astype(np.float64)
        return _divide(v, np.sqrt(sf * (sf + 1)))


class CustomSignpost(Signpost):
    """A user's signpost function ``s -> d(s)``, returning an int or a Fraction.

    Floats are taken at their exact binary value; pass a Fraction for 0.7 and the like.
    ``d`` must be non-negative and strictly increasing.

    >>> sp = CustomSignpost(lambda s: s + 1)
    >>> sp.show(2)
    '3'
    """

    def __init__(self, function: Callable[[int], int | Fraction | float]) -> None:
        self.function = function
        self.name = getattr(function, "__name__", "custom")
        self._cache: dict[int, Fraction] = {}

    def _d(self, s: int) -> Fraction:
        d = self._cache.get(s)
        if d is None:
            raw = self.function(s)
            if isinstance(raw, bool) or not isinstance(raw, int | Fraction | float):
                raise UnknownMethodError(
                    f"custom signpost returned {raw!r} for s={s}; it must return an int or a Fraction"
                )
            d = Fraction(raw)
            if d < 0 or (s > 0 and d <= self._d(s - 1)):
                raise UnknownMethodError(
                    f"custom signpost must be non-negative and strictly increasing; d({s}) = {raw!r}"
                )
            self._cache[s] = d
        return d

    def a(self, s: int) -> int:
        return self._d(s).denominator

    def b(self, s: int) -> int:
        return self._d(s).numerator

    def estimate(self, x: FloatArray) -> FloatArray:
        return np.asarray([float(_count_below(self, float(xi))) for xi in x], dtype=np.float64)


def _divide(num: FloatArray, den: FloatArray) -> FloatArray:
    """``num / den`` with ``inf`` where ``den == 0`` (and no warning)."""
    out = np.full(np.broadcast(num, den).shape, np.inf)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _count_below(sp: Signpost, x: float) -> int:
    """How many s >= 0 have d(s) < x, by doubling and bisection on floats."""
    if x <= 0:
        return 0

    def below(s: int) -> bool:
        b, a = sp.b(s), sp.a(s)
        d = math.sqrt(b / a) if sp.power == 2 else b / a
        return d < x

    if not below(0):
        return 0
    hi = 1
    while below(hi):
        hi *= 2
        if hi > 1 << 62:
            break
    lo = hi // 2  # below(lo) holds
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if below(mid):
            lo = mid
        else:
            hi = mid
    return lo + 1


def compare(sp: Signpost, v1: int, s1: int, v2: int, s2: int) -> int:
    """Sign of ``v1/d(s1) - v2/d(s2)``, exactly (1, 0 or -1). Votes must be positive."""
    b1, b2 = sp.b(s1), sp.b(s2)
    if b1 == 0 or b2 == 0:
        return (b1 == 0) - (b2 == 0)
    p = sp.power
    lhs: int = v1**p * sp.a(s1) * b2
    rhs: int = v2**p * sp.a(s2) * b1
    return (lhs > rhs) - (lhs < rhs)


def seats_above(sp: Signpost, v: int, key: Fraction | None) -> int:
    """How many ``s >= 0`` have ``key(v, s) > key``: the seats a divisor gives.

    ``key`` is the divisor ``D`` (``D**2`` for power-2 signposts); ``None`` is an
    infinite divisor, which gives no seats. A divisor of 0 or less would give
    infinitely many and is refused.

    >>> seats_above(DHONDT, 100_000, Fraction(22_500))
    4
    """
    if key is None or v == 0:
        return 0
    if key <= 0:
        raise ValueError(f"a divisor must be positive, got {key}")

    vp: int = v**sp.power

    def wins(s: int) -> bool:
        b = sp.b(s)
        if b == 0:
            return True
        return vp * sp.a(s) * key.denominator > key.numerator * b

    if not wins(0):
        return 0
    hi = 1
    while wins(hi):
        hi *= 2
    lo = hi // 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if wins(mid):
            lo = mid
        else:
            hi = mid
    return lo + 1


DHONDT = LinearSignpost("dhondt", step=1, offset=1, scale=1)
SAINTE_LAGUE = LinearSignpost("sainte-lague", step=2, offset=1, scale=2)
MODIFIED_SAINTE_LAGUE = LinearSignpost(
    "modified-sainte-lague", step=2, offset=1, scale=2, first=Fraction(7, 10)
)
ADAMS = LinearSignpost("adams", step=1, offset=0, scale=1)
DANISH = LinearSignpost("danish", step=3, offset=1, scale=1)
IMPERIALI = LinearSignpost("imperiali", step=1, offset=2, scale=1)
DEAN = _Dean()
HUNTINGTON_HILL = _HuntingtonHill()
