"""Turning one cell of a vote table into a whole, non-negative number of votes.

Vote counts arrive as text (CSV) or as numbers (Parquet, JSON). Both paths end
here so that a bad value gets the same message whichever format it came in,
prefixed with where it was found (file, line or row, and column).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from seats.errors import InvalidVotesError, SeatsError

__all__ = ["THOUSANDS_SEPARATORS", "check_vote_value", "parse_votes"]

#: The thousands separators :func:`parse_votes` accepts through ``thousands=``.
THOUSANDS_SEPARATORS = (".", ",", " ", "_", "'")

# A space separator also matches the no-break spaces spreadsheets and French locales write.
_SPACES = ("\u00a0", "\u202f")
_DIGITS = re.compile(r"[0-9]+")
_NOT_NUMBERS = {"nan", "na", "n/a", "null", "none", "#n/a", "#value!"}
_INFINITE = {"inf", "infinity", "∞"}
_MINUS = ("-", "\u2212")
_INT64_MAX = 2**63 - 1


def _cli_flag(sep: str) -> str:
    return "' '" if sep == " " else sep


def _hint_thousands(sep: str) -> str:
    return f"pass thousands={sep!r} (CLI --thousands {_cli_flag(sep)}) to accept it"


def _grouped(digits: str, sep: str) -> bool:
    """True when ``digits`` is 1-3 digits followed by groups of exactly three, joined by ``sep``."""
    groups = digits.split(sep)
    return (
        len(groups) > 1
        and 1 <= len(groups[0]) <= 3
        and all(_DIGITS.fullmatch(g) for g in groups)
        and all(len(g) == 3 for g in groups[1:])
    )


def parse_votes(
    text: str, *, thousands: str | None = None, decimal_comma: bool = False, where: str = ""
) -> int:
    """Parse one vote count written as text.

    Parameters
    ----------
    text
        The cell as written, e.g. ``" 4.317.819 "``. Surrounding spaces and a
        leading ``+`` are allowed.
    thousands
        The thousands separator to accept (one of :data:`THOUSANDS_SEPARATORS`).
        It is removed only where it separates groups of exactly three digits.
        ``" "`` also accepts the no-break spaces spreadsheets write.
    decimal_comma
        The decimal mark is ``,`` rather than ``.``. Votes must be whole, so a
        decimal part is accepted only when it is all zeros (``12,0`` is 12).
    where
        Where the value came from, e.g. ``"votes.csv, line 7, column 'votes'"``;
        it starts the error message.

    Returns
    -------
    int
        The number of votes, zero or more.

    Raises
    ------
    InvalidVotesError
        If the value is empty, not a number, not whole, negative, infinite or
        written with thousands separators that were not asked for (the message
        says which option to pass), or could be read either way (``52.000``
        without ``thousands``: 52 or 52000).
    SeatsError
        If ``thousands`` is not a known separator or is also the decimal mark.

    Examples
    --------
    >>> parse_votes(" +1200 ")
    1200
    >>> parse_votes("4.317.819", thousands=".")
    4317819
    >>> parse_votes("12,0", decimal_comma=True)
    12
    >>> parse_votes("52.000")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    seats.errors.InvalidVotesError: '52.000' is ambiguous: 52 if '.' is a decimal point, 52000 if it ...
    >>> parse_votes("4.317.819", where="votes.csv, line 7")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    seats.errors.InvalidVotesError: votes.csv, line 7: '4.317.819' looks like ... pass thousands='.' ...
    """
    if thousands is not None and thousands not in THOUSANDS_SEPARATORS:
        raise SeatsError(
            f"thousands={thousands!r} is not a thousands separator; use one of "
            + ", ".join(repr(s) for s in THOUSANDS_SEPARATORS)
        )
    if thousands == "," and decimal_comma:
        raise SeatsError("thousands=',' and decimal_comma=True both claim ','; choose one")
    prefix = f"{where}: " if where else ""

    def fail(why: str) -> InvalidVotesError:
        return InvalidVotesError(f"{prefix}{text!r} {why}")

    s = text.strip()
    if not s:
        raise InvalidVotesError(f"{prefix}empty value; votes must be whole numbers (write 0 for none)")
    negative = s.startswith(_MINUS)
    if s[0] in "+-\u2212":
        s = s[1:]
    low = s.lower()
    if low in _NOT_NUMBERS:
        raise fail("is not a number; votes must be whole numbers")
    if low in _INFINITE:
        raise fail("is infinite; votes must be whole numbers")
    if thousands == " ":
        for space in _SPACES:
            s = s.replace(space, " ")
    mark = "," if decimal_comma else ("." if thousands != "." else None)

    whole, frac = s, ""
    if mark is not None and s.count(mark) == 1:
        whole, _, frac = s.partition(mark)
        if not frac or not _DIGITS.fullmatch(frac):
            raise fail("is not a number; votes must be whole numbers")
    if thousands is not None and thousands in whole:
        if not _grouped(whole, thousands):
            raise fail(
                f"has malformed thousands groups: with thousands={thousands!r} every group "
                "after the first must have exactly three digits"
            )
        whole = whole.replace(thousands, "")
    if not _DIGITS.fullmatch(whole or "0") or (not whole and not frac):
        raise fail(_diagnose(s, thousands, mark))
    if frac.strip("0"):
        why = "is not a whole number; votes must be whole numbers"
        if len(frac) == 3 and thousands is None and mark == ".":
            why += f"; if {mark!r} separates thousands here, {_hint_thousands(str(mark))}"
        raise fail(why)
    value = int(whole or "0")
    if frac and value and mark == "." and thousands is None and _grouped(f"{whole}.{frac}", "."):
        # '52.000' is 52 with a decimal point but 52000 in Spanish: never pick one silently
        raise fail(
            f"is ambiguous: {value} if '.' is a decimal point, {value}{frac} if it separates thousands; "
            f"{_hint_thousands('.')}, or write {value} without decimals"
        )
    if negative and value:
        raise fail("is negative; votes must be whole numbers, zero or more")
    if value > _INT64_MAX:
        raise fail("is too large for a vote count (more than 2**63 - 1)")
    return value


def _diagnose(s: str, thousands: str | None, mark: str | None) -> str:
    """Why ``s`` (sign removed) is not a whole number, with the option that would fix it."""
    for sep in (*THOUSANDS_SEPARATORS, *_SPACES):
        if sep == thousands:
            continue
        if sep == mark:  # one mark is a decimal part (handled before); two or more are groups
            whole = s if s.count(mark) > 1 else ""
        else:
            whole = s.partition(mark)[0] if mark and s.count(mark) == 1 else s
        if _grouped(whole, sep):
            option = " " if sep in _SPACES else sep
            return f"looks like a number with {option!r} thousands separators; {_hint_thousands(option)}"
    if mark != "," and re.fullmatch(r"[0-9]*,[0-9]+", s):
        return (
            "is not a whole number; votes must be whole numbers; "
            "if ',' is the decimal mark, pass decimal_comma=True (CLI --decimal-comma)"
        )
    return "is not a number; votes must be whole numbers"


def check_vote_value(
    value: object, *, thousands: str | None = None, decimal_comma: bool = False, where: str = ""
) -> int:
    """Check one vote count read from Parquet, JSON or a DataFrame.

    Text goes through :func:`parse_votes`; numbers must be whole, finite and
    not negative; ``None`` (a null) and booleans are rejected.

    Parameters
    ----------
    value
        The cell: ``int``, ``float``, ``Decimal``, ``str`` or ``None``.
    thousands, decimal_comma
        Passed to :func:`parse_votes` for text values.
    where
        Where the value came from; it starts the error message.

    Returns
    -------
    int
        The number of votes.

    Raises
    ------
    InvalidVotesError
        If the value is not a usable vote count.

    Examples
    --------
    >>> check_vote_value(12.0)
    12
    >>> check_vote_value(12.5, where="votes.parquet, row 3, column 'votes'")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    seats.errors.InvalidVotesError: votes.parquet, row 3, column 'votes': 12.5 is not a whole number; ...
    """
    if isinstance(value, str):
        return parse_votes(value, thousands=thousands, decimal_comma=decimal_comma, where=where)
    prefix = f"{where}: " if where else ""
    if value is None:
        raise InvalidVotesError(
            f"{prefix}missing value (null); votes must be whole numbers (write 0 for none)"
        )
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise InvalidVotesError(f"{prefix}{value!r} is not a number; votes must be whole numbers")
    if isinstance(value, float | Decimal):
        if (isinstance(value, float) and math.isnan(value)) or (
            isinstance(value, Decimal) and value.is_nan()
        ):
            raise InvalidVotesError(f"{prefix}{value!r} is not a number; votes must be whole numbers")
        if (isinstance(value, float) and math.isinf(value)) or (
            isinstance(value, Decimal) and value.is_infinite()
        ):
            raise InvalidVotesError(f"{prefix}{value!r} is infinite; votes must be whole numbers")
        if value != int(value):
            raise InvalidVotesError(f"{prefix}{value!r} is not a whole number; votes must be whole numbers")
    number = int(value)
    if number < 0:
        raise InvalidVotesError(f"{prefix}{value!r} is negative; votes must be whole numbers, zero or more")
    if number > _INT64_MAX:
        raise InvalidVotesError(f"{prefix}{value!r} is too large for a vote count (more than 2**63 - 1)")
    return number
