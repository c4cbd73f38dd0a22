"""The library's errors: one small hierarchy under :class:`ValueError`.

Every message names the bad value and, where there is one, the file, row and
column it came from. The CLI turns any :class:`SeatsError` into one line on
stderr and a non-zero exit code.

Examples
--------
>>> from seats.errors import InvalidVotesError, SeatsError
>>> issubclass(InvalidVotesError, SeatsError) and issubclass(SeatsError, ValueError)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from seats.results import TieEvent

__all__ = [
    "InputFileError",
    "InvalidSeatsError",
    "InvalidVotesError",
    "OutputError",
    "RuleSetError",
    "SeatsError",
    "TieError",
    "UnknownMethodError",
    "VoteTableError",
]


class SeatsError(ValueError):
    """Base class of every error the library raises on bad input."""


class UnknownMethodError(SeatsError):
    """A method name that is not registered (the message lists close matches)."""


class InvalidVotesError(SeatsError):
    """Votes that are negative, not whole numbers, or otherwise unusable."""


class InvalidSeatsError(SeatsError):
    """A house size or seat bound that cannot be honoured."""


class TieError(SeatsError):
    """A tie decides a seat and the tie policy is ``"error"``.

    The tie itself is kept in :attr:`event`.
    """

    def __init__(self, message: str, event: TieEvent | None = None) -> None:
        super().__init__(message)
        self.event = event


class VoteTableError(SeatsError):
    """A vote table that does not fit the format or the rule set."""


class InputFileError(SeatsError):
    """A file that cannot be read: missing, empty, undecodable or malformed."""


class RuleSetError(SeatsError):
    """A rule set that is malformed or inconsistent (names the file and field)."""


class OutputError(SeatsError):
    """An output that cannot be written safely (e.g. it would overwrite an input)."""


def close_matches(name: str, candidates: Sequence[str], n: int = 3) -> str:
    """Return ``" (did you mean 'a', 'b'?)"`` for the closest candidates, or ``""``.

    >>> close_matches("dhont", ["dhondt", "hare"])
    " (did you mean 'dhondt'?)"
    """
    import difflib

    found = difflib.get_close_matches(name.lower(), [c.lower() for c in candidates], n=n, cutoff=0.6)
    lookup = {c.lower(): c for c in candidates}
    if not found:
        return ""
    return " (did you mean " + ", ".join(repr(lookup[f]) for f in found) + "?)"
