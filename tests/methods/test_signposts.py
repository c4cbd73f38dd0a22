"""Signposts (seats/methods/signposts.py): d(s) per DESIGN.md section 3, exact comparison."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seats.errors import UnknownMethodError
from seats.methods import signposts as sp

LINEAR_TABLE = {
    sp.DHONDT: lambda s: Fraction(s + 1),
    sp.SAINTE_LAGUE: lambda s: s + Fraction(1, 2),
    sp.MODIFIED_SAINTE_LAGUE: lambda s: Fraction(7, 10) if s == 0 else s + Fraction(1, 2),
    sp.ADAMS: lambda s: Fraction(s),
    sp.DEAN: lambda s: Fraction(2 * s * (s + 1), 2 * s + 1),
    sp.DANISH: lambda s: Fraction(3 * s + 1),
    sp.IMPERIALI: lambda s: Fraction(s + 2),
}
ALL = [*LINEAR_TABLE, sp.HUNTINGTON_HILL]


@pytest.mark.parametrize("signpost", list(LINEAR_TABLE), ids=lambda x: x.name)
def test_rational_signposts_match_the_design_table(signpost: sp.Signpost) -> None:
    for s in range(12):
        assert signpost.value(s) == LINEAR_TABLE[signpost](s)


def test_huntington_hill_is_the_geometric_mean_compared_squared() -> None:
    hh = sp.HUNTINGTON_HILL
    assert hh.power == 2
    assert hh.value(3) is None  # irrational
    assert hh.show(0) == "0" and hh.show(3) == "sqrt(12)"
    assert hh.key(10, 3) == Fraction(100, 12)
    assert hh.key(10, 0) is None  # infinite quotient


def test_show() -> None:
    assert sp.DHONDT.show(4) == "5"
    assert sp.SAINTE_LAGUE.show(1) == "1.5"
    assert sp.MODIFIED_SAINTE_LAGUE.show(0) == "0.7"
    assert sp.DEAN.show(1) == "4/3"


def test_compare_is_exact_where_floats_are_not() -> None:
    big = 2**60
    assert float(big + 1) == float(big)
    assert sp.compare(sp.DHONDT, big + 1, 0, big, 0) == 1
    assert sp.compare(sp.DHONDT, big, 0, big + 1, 0) == -1
    assert sp.compare(sp.SAINTE_LAGUE, 5, 0, 15, 1) == 0  # 5/0.5 = 15/1.5
    assert sp.compare(sp.MODIFIED_SAINTE_LAGUE, 100_000, 3, 20_000, 0) == 0  # the vector's tie
    assert sp.compare(sp.ADAMS, 1, 0, 10**9, 0) == 0  # both infinite
    assert sp.compare(sp.ADAMS, 1, 0, 10**9, 1) == 1


@pytest.mark.parametrize("signpost", ALL, ids=lambda x: x.name)
@settings(max_examples=60)
@given(v=st.integers(1, 10**7), divisor=st.fractions(Fraction(1, 10), 10**6))
def test_seats_above_counts_the_signposts_below_v_over_d(
    signpost: sp.Signpost, v: int, divisor: Fraction
) -> None:
    key = divisor**signpost.power
    n = sp.seats_above(signpost, v, key)
    # exactly the s < n have a quotient above the divisor
    for s in range(max(0, n - 2), n + 2):
        q = signpost.key(v, s)
        above = q is None or q > key
        assert above == (s < n)


@pytest.mark.parametrize("signpost", ALL, ids=lambda x: x.name)
@settings(max_examples=60)
@given(x=st.floats(0.01, 10**4))
def test_float_estimate_is_close_to_the_exact_count(signpost: sp.Signpost, x: float) -> None:
    def d(s: int) -> float:
        if signpost is sp.HUNTINGTON_HILL:
            return math.sqrt(s * (s + 1))
        return float(LINEAR_TABLE[signpost](s))

    exact = sum(1 for s in range(int(x) + 2) if d(s) < x)  # d(s) >= s - 1 for every signpost
    estimate = int(signpost.estimate(np.asarray([x]))[0])
    assert abs(estimate - exact) <= 1, (estimate, exact)


@pytest.mark.parametrize("signpost", ALL, ids=lambda x: x.name)
def test_vectorised_quotients_agree_with_scalar(signpost: sp.Signpost) -> None:
    v = np.asarray([7.0, 100.0, 12345.0, 1.0])
    s = np.asarray([0, 1, 5, 30], dtype=np.int64)
    got = signpost.quotients(v, s)
    for i in range(4):
        assert got[i] == pytest.approx(signpost.quotient_float(v[i], int(s[i])))


def test_custom_signpost() -> None:
    custom = sp.CustomSignpost(lambda s: Fraction(2 * s + 1, 2))
    assert custom.show(2) == "2.5"
    assert sp.compare(custom, 5, 0, 15, 1) == 0
    with pytest.raises(UnknownMethodError, match="strictly increasing"):
        sp.CustomSignpost(lambda s: 1).b(1)
    with pytest.raises(UnknownMethodError, match="non-negative"):
        sp.CustomSignpost(lambda s: s - 1).b(0)
    with pytest.raises(UnknownMethodError, match="must return an int or a Fraction"):
        sp.CustomSignpost(lambda s: None).b(0)  # type: ignore[arg-type, return-value]


@pytest.mark.parametrize("key", [Fraction(0), Fraction(-1)])
def test_seats_above_refuses_a_divisor_that_is_not_positive(key: Fraction) -> None:
    # every quotient is above 0: counting them would never end
    with pytest.raises(ValueError, match="divisor must be positive"):
        sp.seats_above(sp.DHONDT, 5, key)
    assert sp.seats_above(sp.DHONDT, 0, key) == 0  # no votes, no seats, whatever the divisor
