"""The method registry: ids, aliases, name resolution, options, and a registry-wide smoke test."""

from __future__ import annotations

from fractions import Fraction

import polars as pl
import pytest

import seats
from seats.methods import ALIASES, FAMILIES, REGISTRY
from seats.methods.registry import _key

VOTES = {"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("jefferson", "dhondt"),
        ("Jefferson", "dhondt"),
        ("D'Hondt", "dhondt"),
        ("DHONDT", "dhondt"),
        ("webster", "sainte-lague"),
        ("Sainte-Laguë", "sainte-lague"),
        ("sainte_lague", "sainte-lague"),
        ("hamilton", "hare"),
        ("Hare-Niemeyer", "hare"),
        ("hare niemeyer", "hare"),
        ("HAMILTON", "hare"),
        ("nordic", "modified-sainte-lague"),
        ("Equal Proportions", "huntington-hill"),
        ("droop_lr", "droop"),
        ("balinski-young", "quota"),
        ("FPTP", "plurality"),
        ("  adams  ", "adams"),
    ],
)
def test_aliases_resolve_case_insensitively(name: str, expected: str) -> None:
    assert seats.resolve(name).id == expected


def test_alias_gives_the_same_allocation_as_the_id() -> None:
    assert seats.apportion(VOTES, 8, method="Jefferson") == seats.apportion(VOTES, 8, method="dhondt")


def test_spec_resolves_to_itself() -> None:
    spec = REGISTRY["hare"]
    assert seats.resolve(spec) is spec


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [("dhont", "'dhondt'"), ("sainte-lage", "'sainte-lague'"), ("hamiltn", "'hamilton'")],
)
def test_unknown_name_lists_close_matches(name: str, suggestion: str) -> None:
    pattern = rf"unknown method '{name}' \(did you mean .*{suggestion}"
    with pytest.raises(seats.UnknownMethodError, match=pattern):
        seats.resolve(name)


def test_unknown_name_without_close_match() -> None:
    with pytest.raises(seats.UnknownMethodError, match=r"unknown method 'zzzz'; 'seats methods'"):
        seats.apportion(VOTES, 8, method="zzzz")


def test_unknown_method_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown method"):
        seats.resolve("nope-nope")


def test_non_callable_non_string_method_is_refused() -> None:
    with pytest.raises(seats.UnknownMethodError, match="must be a name or a signpost function, got 3"):
        seats.resolve(3)  # type: ignore[arg-type]


def test_callable_signpost_is_a_custom_divisor_method() -> None:
    spec = seats.resolve(lambda s: s + 1)
    assert spec.family == "divisor"
    assert spec.id == "custom"
    custom = seats.apportion(VOTES, 8, method=lambda s: s + 1)
    assert custom.method == "custom"
    assert dict(custom.seats) == dict(seats.apportion(VOTES, 8, method="dhondt").seats)


@pytest.mark.parametrize(
    ("signpost", "method"),
    [
        (lambda s: Fraction(2 * s + 1, 2), "sainte-lague"),
        (lambda s: 3 * s + 1, "danish"),
        (lambda s: s + 2, "imperiali"),
        (lambda s: Fraction(7, 10) if s == 0 else Fraction(2 * s + 1, 2), "modified-sainte-lague"),
    ],
)
def test_callable_signposts_match_registered_methods(signpost: object, method: str) -> None:
    votes = {"A": 9061, "B": 7179, "C": 5259, "D": 3319, "E": 1182}
    for house in (1, 5, 26, 100):
        assert dict(seats.apportion(votes, house, method=signpost).seats) == dict(  # type: ignore[arg-type]
            seats.apportion(votes, house, method=method).seats
        )


def test_no_alias_registered_twice() -> None:
    names = [_key(n) for spec in REGISTRY.values() for n in (spec.id, *spec.aliases)]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert duplicates == []
    assert len(ALIASES) == len(names)


def test_registry_is_keyed_by_kebab_case_ids_and_known_families() -> None:
    for key, spec in REGISTRY.items():
        assert key == spec.id == _key(spec.id)
        assert spec.family in FAMILIES
        assert spec.name and spec.citation


def test_design_catalogue_is_registered() -> None:
    expected = {
        "dhondt", "sainte-lague", "modified-sainte-lague", "adams", "dean", "huntington-hill",
        "danish", "imperiali", "hare", "droop", "hagenbach-bischoff-quota", "imperiali-quota",
        "quota", "plurality", "block", "limited", "sntv",
    }
    assert set(REGISTRY) == expected


def test_divisor_specs_carry_their_signpost() -> None:
    for spec in REGISTRY.values():
        assert (spec.signpost is not None) == (spec.family == "divisor"), spec.id


@pytest.mark.parametrize("method", ["dhondt", "hare", "quota", "block"])
def test_unknown_option_is_refused_with_the_options_it_takes(method: str) -> None:
    pattern = rf"method '{method}' does not take option 'bogus'; it takes .*threshold"
    with pytest.raises(seats.UnknownMethodError, match=pattern):
        seats.apportion(VOTES, 2, method=method, bogus=1)


def test_family_options_are_not_shared_across_families() -> None:
    with pytest.raises(seats.UnknownMethodError, match="does not take option 'overflow'"):
        seats.apportion(VOTES, 8, method="dhondt", overflow="error")
    with pytest.raises(seats.UnknownMethodError, match="does not take option 'prior_seats'"):
        seats.apportion(VOTES, 8, method="hare", prior_seats={"A": 1})


# --- registry-wide smoke test -------------------------------------------------

SMOKE_VOTES = {"A": 41_000, "B": 29_500, "C": 17_200, "D": 8_100, "E": 4_200}


ZERO_FIRST_SIGNPOST = {"adams", "dean", "huntington-hill"}  # d(0) = 0


def _houses(spec: seats.MethodSpec) -> list[int]:
    if spec.id == "plurality":
        return [1]
    if spec.family == "plurality":
        return [1, 3]
    if spec.id in ZERO_FIRST_SIGNPOST:
        return [5, 12, 31]  # every party with votes takes a seat first: a smaller house is a tie
    return [1, 7, 12, 31]


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_smoke_every_registered_method(method: str) -> None:
    spec = REGISTRY[method]
    for house in _houses(spec):
        a = seats.apportion(SMOKE_VOTES, house, method=method)
        assert a.method == method
        assert a.house_size == house
        assert sum(a.seats.values()) == house
        assert list(a.seats) == list(SMOKE_VOTES)
        assert all(n >= 0 for n in a.seats.values())
        assert a.ties == ()
        assert a.certificate.reproduce(a.votes_by_party) == dict(a.seats)
        assert isinstance(a.certificate.describe(), str) and a.certificate.describe()
        text = a.explain()
        assert text.startswith(f"{method}: {house} seats among 5 parties")
        assert text.endswith("seats: " + ", ".join(f"{p} {n}" for p, n in a.seats.items()))
        frame = a.to_polars()
        assert frame.height == 5
        assert frame["seats"].to_list() == list(a.seats.values())
        assert frame["seats"].dtype == pl.Int64
        assert a.to_dict()["seats"] == dict(a.seats)


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_smoke_house_zero(method: str) -> None:
    a = seats.apportion(SMOKE_VOTES, 0, method=method)
    assert dict(a.seats) == dict.fromkeys(SMOKE_VOTES, 0)
    assert a.ties == ()
    assert a.certificate.reproduce(a.votes_by_party) == dict(a.seats)
    assert a.to_polars()["seat_share"].to_list() == [0.0] * 5
    assert a.explain().endswith("seats: A 0, B 0, C 0, D 0, E 0")


def test_fast_paths_are_derived_for_divisor_and_remainder_methods_only() -> None:
    from seats.methods.registry import resolve

    for spec in REGISTRY.values():
        wanted = spec.family in ("divisor", "largest-remainder")
        assert (spec.fast is not None) == wanted, spec.id
    dh = resolve("dhondt")
    assert dh.fast is not None
    got = dh.fast("dhondt", tuple(f"P{i}" for i in range(30)), tuple(range(1, 31)), 10)
    assert got is not None and got.seats == dh.function(
        tuple(f"P{i}" for i in range(30)), tuple(range(1, 31)), 10, method_id="dhondt"
    ).seats
    custom = resolve(lambda s: s + 1)  # a custom divisor method gets the same fast path
    assert custom.fast is not None
