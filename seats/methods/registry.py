"""The one registry of apportionment methods, with their aliases.

Each method is registered once as a frozen :class:`MethodSpec`. Names resolve
case-insensitively through an alias map built from the specs, so an alias is
written in exactly one place. A callable is accepted as a custom divisor
method's signpost function.

Examples
--------
>>> from seats.methods.registry import resolve
>>> resolve("Jefferson").id, resolve("webster").id, resolve("Hare-Niemeyer").id
('dhondt', 'sainte-lague', 'hare')
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from seats.errors import UnknownMethodError, close_matches
from seats.methods import signposts as sp
from seats.methods.divisor import divisor_method, fast_divisor
from seats.methods.largest_remainder import (
    DROOP,
    HAGENBACH_BISCHOFF,
    HARE,
    IMPERIALI_QUOTA,
    Quota,
    fast_largest_remainder,
    largest_remainder,
)
from seats.methods.plurality import top_m
from seats.methods.quota_method import quota_method
from seats.results import Allocation

__all__ = ["FAMILIES", "REGISTRY", "MethodFunction", "MethodSpec", "resolve"]

MethodFunction = Callable[..., Allocation]
# (method_id, parties, votes, house) -> the fast path's allocation, or None: the function decides
FastPath = Callable[[str, tuple[str, ...], tuple[int, ...], int], "Allocation | None"]
FAMILIES = ("divisor", "largest-remainder", "quota", "plurality")


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """A registered method: id, long name, family, aliases, function and citation."""

    id: str
    name: str
    family: str
    function: MethodFunction
    aliases: tuple[str, ...] = ()
    citation: str = ""
    signpost: sp.Signpost | None = field(default=None, compare=False)
    # with all options at their defaults, the method's fast path (derived from ``function``)
    fast: FastPath | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.fast is None:
            object.__setattr__(self, "fast", _fast_of(self.function))

    def options(self) -> frozenset[str]:
        """The keyword options this method takes."""
        return _options_of(self.function)

    def __call__(
        self, parties: tuple[str, ...], votes: tuple[int, ...], house: int, **options: Any
    ) -> Allocation:
        if options.keys() - self.options():
            unknown = sorted(options.keys() - self.options())
            raise UnknownMethodError(
                f"method {self.id!r} does not take option {unknown[0]!r}; "
                f"it takes {', '.join(sorted(self.options()))}"
            )
        return self.function(parties, votes, house, method_id=self.id, **options)


@functools.lru_cache(maxsize=256)
def _options_of(function: MethodFunction) -> frozenset[str]:
    import inspect

    hidden = {"method_id", "signpost", "quota", "single_seat"}
    params = inspect.signature(function).parameters
    return frozenset(
        name for name, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY and name not in hidden
    )


def _divisor(signpost: sp.Signpost) -> MethodFunction:
    return functools.partial(divisor_method, signpost=signpost)


def _lr(quota: Callable[[int, int], Fraction]) -> MethodFunction:
    return functools.partial(largest_remainder, quota=quota)


def _fast_of(function: MethodFunction) -> FastPath | None:
    """The fast path of a method made by :func:`_divisor` or :func:`_lr` (``None`` for others):
    :func:`seats.apportion` calls it when every option is at its default, skipping the
    method's option handling; when it returns ``None`` the method itself decides."""
    if type(function) is not functools.partial or function.args or len(function.keywords) != 1:
        return None
    if function.func is divisor_method and "signpost" in function.keywords:
        return functools.partial(fast_divisor, function.keywords["signpost"])
    if function.func is largest_remainder and "quota" in function.keywords:
        quota: Quota = function.keywords["quota"]

        def fast(
            method_id: str, parties: tuple[str, ...], votes: tuple[int, ...], house: int
        ) -> Allocation | None:
            return fast_largest_remainder(parties, votes, house, quota, method_id)

        return fast
    return None


_SPECS = (
    MethodSpec("dhondt", "D'Hondt", "divisor", _divisor(sp.DHONDT),
               ("jefferson", "d-hondt", "hagenbach-bischoff"),
               "d(s) = s + 1; Jefferson 1792, D'Hondt 1878", sp.DHONDT),
    MethodSpec("sainte-lague", "Sainte-Laguë", "divisor", _divisor(sp.SAINTE_LAGUE),
               ("webster", "sainte-lague-schepers", "saint-lague", "major-fractions"),
               "d(s) = s + 1/2; Webster 1832, Sainte-Laguë 1910", sp.SAINTE_LAGUE),
    MethodSpec("modified-sainte-lague", "Modified Sainte-Laguë", "divisor",
               _divisor(sp.MODIFIED_SAINTE_LAGUE), ("nordic", "modified-webster", "norwegian", "swedish"),
               "first divisor 1.4 on the 1, 3, 5 scale (Norway, Sweden)", sp.MODIFIED_SAINTE_LAGUE),
    MethodSpec("adams", "Adams", "divisor", _divisor(sp.ADAMS), ("smallest-divisors", "cambridge"),
               "d(s) = s; J. Q. Adams 1832", sp.ADAMS),
    MethodSpec("dean", "Dean", "divisor", _divisor(sp.DEAN), ("harmonic-mean",),
               "d(s) = 2s(s+1)/(2s+1); J. Dean 1832", sp.DEAN),
    MethodSpec("huntington-hill", "Huntington-Hill", "divisor", _divisor(sp.HUNTINGTON_HILL),
               ("equal-proportions", "hill", "geometric-mean", "hill-huntington"),
               "d(s) = sqrt(s(s+1)); US House since 1941", sp.HUNTINGTON_HILL),
    MethodSpec("danish", "Danish", "divisor", _divisor(sp.DANISH), ("danish-method",),
               "d(s) = 3s + 1 (1, 4, 7, ...); Danish Folketing supplementary seats", sp.DANISH),
    MethodSpec("imperiali", "Imperiali (divisor)", "divisor", _divisor(sp.IMPERIALI),
               ("imperiali-divisor",), "d(s) = s + 2 (2, 3, 4, ...); Belgian municipal elections",
               sp.IMPERIALI),
    MethodSpec("hare", "Hare (largest remainder)", "largest-remainder", _lr(HARE),
               ("hamilton", "hare-niemeyer", "vinton", "hare-quota", "largest-remainder"),
               "quota V/h; Hamilton 1792, Hare 1857, Niemeyer 1970"),
    MethodSpec("droop", "Droop (largest remainder)", "largest-remainder", _lr(DROOP),
               ("droop-quota", "droop-lr"), "quota floor(V/(h+1)) + 1; Droop 1868"),
    MethodSpec("hagenbach-bischoff-quota", "Hagenbach-Bischoff quota (largest remainder)",
               "largest-remainder", _lr(HAGENBACH_BISCHOFF), ("hb-quota", "hagenbach-bischoff-lr"),
               "quota V/(h+1); Hagenbach-Bischoff 1888"),
    MethodSpec("imperiali-quota", "Imperiali quota (largest remainder)", "largest-remainder",
               _lr(IMPERIALI_QUOTA), ("imperiali-lr",),
               "quota V/(h+2); can give out more whole quotas than seats (see overflow)"),
    MethodSpec("quota", "Balinski-Young quota method", "quota", quota_method,
               ("balinski-young", "quota-method"),
               "Balinski & Young 1975, American Mathematical Monthly 82(7)"),
    MethodSpec("plurality", "Plurality (first past the post)", "plurality",
               functools.partial(top_m, single_seat=True),
               ("fptp", "first-past-the-post", "relative-majority"),
               "one seat, most votes wins"),
    MethodSpec("block", "Block vote", "plurality", top_m, ("block-vote", "plurality-at-large", "bloc"),
               "m seats, the m candidates with most votes (Venezuela's multi-member circuits)"),
    MethodSpec("limited", "Limited vote", "plurality", top_m, ("limited-vote",),
               "m seats, each voter marks fewer than m; the m candidates with most votes"),
    MethodSpec("sntv", "Single non-transferable vote", "plurality", top_m,
               ("single-non-transferable-vote",), "m seats, one mark per voter; the m with most votes"),
)

REGISTRY: dict[str, MethodSpec] = {spec.id: spec for spec in _SPECS}


def _key(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(" ", "-").replace("'", "").replace("ë", "e")


def _build_aliases() -> dict[str, str]:
    table: dict[str, str] = {}
    for spec in _SPECS:
        for name in (spec.id, *spec.aliases):
            key = _key(name)
            if key in table and table[key] != spec.id:  # pragma: no cover - guarded by a test
                raise RuntimeError(f"alias {name!r} registered twice")
            table[key] = spec.id
    return table


ALIASES = _build_aliases()


def resolve(method: str | MethodSpec | Callable[[int], Any]) -> MethodSpec:
    """The :class:`MethodSpec` for a name, alias, spec, or a signpost callable.

    >>> resolve(lambda s: 3 * s + 1).family
    'divisor'
    """
    if isinstance(method, MethodSpec):
        return method
    if isinstance(method, str):
        found = ALIASES.get(method) or ALIASES.get(_key(method))  # a canonical key needs no folding
        if found is None:
            raise UnknownMethodError(
                f"unknown method {method!r}{close_matches(_key(method), list(ALIASES))}; "
                "'seats methods' lists them all"
            )
        return REGISTRY[found]
    if callable(method):
        custom = sp.CustomSignpost(method)
        return MethodSpec("custom", f"custom divisor ({custom.name})", "divisor", _divisor(custom),
                          signpost=custom)
    raise UnknownMethodError(f"method must be a name or a signpost function, got {method!r}")
