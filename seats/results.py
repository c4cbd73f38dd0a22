"""Result values: frozen records of what an apportionment decided and why.

An :class:`Allocation` carries the seats, every tie that decided a seat and how
it was settled, and a certificate that lets anyone check the result without
trusting the code that produced it.

Examples
--------
>>> import seats
>>> a = seats.apportion({"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}, 8, method="dhondt")
>>> dict(a.seats)
{'A': 4, 'B': 3, 'C': 1, 'D': 0}
>>> a.certificate.reproduce(a.votes_by_party) == dict(a.seats)
True
"""

from __future__ import annotations

from collections.abc import Callable, ItemsView, Iterator, KeysView, Mapping, Sequence, ValuesView
from dataclasses import dataclass, field, fields
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from seats.methods.signposts import Signpost

__all__ = [
    "Allocation",
    "Certificate",
    "Deferred",
    "DivisorCertificate",
    "PluralityCertificate",
    "QuotaCertificate",
    "RemainderMap",
    "SeatMap",
    "TieEvent",
]


@dataclass(frozen=True, slots=True)
class TieEvent:
    """A tie that decided one or more seats, and how it was settled.

    Attributes
    ----------
    seats:
        1-based positions, in award order, of the contested seats.
    tied:
        Every option in the tie (input order).
    winners:
        The options that took the contested seats (one entry per seat).
    policy:
        The tie policy that settled it (``"lot"``, ``"most-votes"``, ``"order"``);
        ``"error"`` when the event was raised rather than settled.
    detail:
        What was equal (the quotients or remainders) and, for a lot, the draw.
    seed:
        The seed of the lot, so the draw can be repeated; ``None`` otherwise.
    district:
        Set when the tie happened inside a rule set's district.
    """

    seats: tuple[int, ...]
    tied: tuple[str, ...]
    winners: tuple[str, ...]
    policy: str
    detail: str
    seed: int | None = None
    district: str | None = None

    def describe(self) -> str:
        """One line for people.

        >>> TieEvent((8,), ("A", "D"), ("A",), "order", "A 100000/7 = D 20000/1.4").describe()
        'seat 8: tie between A, D (A 100000/7 = D 20000/1.4); settled by order: A'

        A tie that is not about numbered seats (e.g. between two feasible
        biproportional apportionments) names no seat:

        >>> TieEvent((), ("N/A", "S/B"), ("N/A",), "order", "a cycle of ties").describe()
        'tie between N/A, S/B (a cycle of ties); settled by order: N/A'
        """
        where = f"district {self.district}, " if self.district else ""
        which = ", ".join(str(s) for s in self.seats)
        label = "seat" if len(self.seats) == 1 else "seats"
        head = f"{where}{label} {which}: " if self.seats else where
        text = f"{head}tie between {', '.join(self.tied)} ({self.detail})"
        if self.policy == "error":
            return text
        return f"{text}; settled by {self.policy}: {', '.join(self.winners)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "seats": list(self.seats),
            "tied": list(self.tied),
            "winners": list(self.winners),
            "policy": self.policy,
            "detail": self.detail,
            "seed": self.seed,
            "district": self.district,
        }


class Certificate(Protocol):
    """What every certificate offers: re-derive the seats from the votes alone."""

    def reproduce(self, votes: Mapping[str, int]) -> dict[str, int]: ...

    def describe(self) -> str: ...


def _show(q: Fraction | None) -> str:
    if q is None:
        return "infinity"
    if q.denominator == 1:
        return str(q.numerator)
    return f"{q.numerator}/{q.denominator} (~{float(q):.6g})"


@dataclass(frozen=True, slots=True)
class DivisorCertificate:
    """The divisors that yield the allocation of a divisor method.

    Every divisor ``D`` with ``lower < D < upper`` gives each party the number
    of signposts ``d(s)`` below ``votes / D``, which is exactly its seats. When
    ``lower == upper`` the allocation was decided by a tie at that divisor.
    For a method whose signposts are square roots (Huntington-Hill) the bounds
    are of ``D**2`` and :attr:`squared` is true, so they stay exact.
    ``None`` stands for an unbounded end.
    """

    signpost: Signpost
    lower: Fraction | None
    upper: Fraction | None
    squared: bool
    bounds: Mapping[str, tuple[int, int | None]] = field(default_factory=dict)
    excluded: tuple[str, ...] = ()
    tie_winners: tuple[str, ...] = ()
    is_tie: bool = False
    prior: Mapping[str, int] = field(default_factory=dict)

    @property
    def tie(self) -> bool:
        """True when a tie decided the last seats: the interval is the single tied quotient."""
        return self.is_tie

    def divisor(self) -> Fraction | None:
        """A representative divisor: the midpoint of the interval (of D**2 if squared).

        At a tie it is the tied quotient itself; ``None`` means infinitely large.
        When every divisor above 0 works (every party held at a seat bound), it is 1.

        >>> from seats.methods.signposts import DHONDT
        >>> DivisorCertificate(DHONDT, Fraction(3), Fraction(5), squared=False).divisor()
        Fraction(4, 1)
        >>> DivisorCertificate(DHONDT, Fraction(0), None, squared=False).divisor()
        Fraction(1, 1)
        """
        if self.is_tie or (self.lower is None and self.upper is None):
            return self.lower
        if self.upper is None:
            assert self.lower is not None
            return self.lower * 2 if self.lower > 0 else Fraction(1)
        if self.lower is None:
            return self.upper / 2
        return (self.lower + self.upper) / 2

    def reproduce(self, votes: Mapping[str, int]) -> dict[str, int]:
        """Seats given by the representative divisor, with the recorded bounds applied.

        Parties excluded by a threshold get 0; parties with seat bounds are clamped
        to them; at a tie, the parties that won the tied seats get them on top of
        what the tied divisor gives.
        """
        from seats.methods.signposts import seats_above

        key = self.divisor()
        out: dict[str, int] = {}
        for party, v in votes.items():
            if party in self.excluded or v == 0:
                out[party] = 0
                continue
            n = seats_above(self.signpost, v, key) + self.tie_winners.count(party)
            n = max(0, n - self.prior.get(party, 0))
            lo, hi = self.bounds.get(party, (0, None))
            out[party] = max(lo, n if hi is None else min(hi, n))
        return out

    def describe(self) -> str:
        what = "D^2" if self.squared else "D"
        lo, hi = _show(self.lower), _show(self.upper)
        if self.tie:
            return f"tie: the only divisor is {what} = {lo}"
        return f"any divisor {lo} < {what} < {hi} yields these seats"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "divisor",
            "lower": None if self.lower is None else str(self.lower),
            "upper": None if self.upper is None else str(self.upper),
            "squared": self.squared,
        }


class RemainderMap(Mapping[str, Fraction]):
    """Party -> remainder ``numerator / denominator``, made a Fraction only when read.

    A read-only mapping like any other (it compares equal to the dict of the same
    Fractions); it saves building one Fraction per party that nobody looks at.

    >>> r = RemainderMap({"A": 2, "B": 3}, 6)
    >>> r["A"], dict(r) == {"A": Fraction(1, 3), "B": Fraction(1, 2)}
    (Fraction(1, 3), True)
    """

    __slots__ = ("_den", "_names", "_num", "_values")

    def __init__(self, numerators: Mapping[str, int], denominator: int) -> None:
        self._num: Mapping[str, int] | None = numerators
        self._den = denominator
        self._names: Sequence[str] = ()
        self._values: Any = ()  # a sequence or numpy array of ints

    @classmethod
    def of(cls, names: Sequence[str], numerators: Any, denominator: int) -> RemainderMap:
        """The map ``names[k] -> numerators[k] / denominator``; the party -> numerator dict is
        built only when a remainder is read (``numerators`` may be a numpy integer array).

        >>> RemainderMap.of(("A", "B"), [2, 3], 6)["B"]
        Fraction(1, 2)
        """
        made = cls({}, denominator)
        made._num = None
        made._names = names
        made._values = numerators
        return made

    def _numerators(self) -> Mapping[str, int]:
        if self._num is None:
            self._num = {p: int(x) for p, x in zip(self._names, self._values, strict=True)}
        return self._num

    def __getitem__(self, party: str) -> Fraction:
        return Fraction(self._numerators()[party], self._den)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names) if self._num is None else iter(self._num)

    def __len__(self) -> int:
        return len(self._names) if self._num is None else len(self._num)

    def __repr__(self) -> str:
        return repr(dict(self))


class SeatMap(Mapping[str, int]):
    """Party -> seats, read-only, in input order; its dict is built only when a party is looked up.

    Iterating, ``len``, ``values()`` and comparing with another ``SeatMap`` use the
    names and seats as they came out of the method, so an allocation whose seats
    are never looked up by name never pays for a per-party dict. It compares equal
    to any mapping with the same items, like the dict it stands for.

    >>> m = SeatMap(("A", "B"), [4, 3])
    >>> m["A"], list(m), m == {"A": 4, "B": 3}, m
    (4, ['A', 'B'], True, {'A': 4, 'B': 3})
    """

    __slots__ = ("_by_name", "_names", "_seats")

    def __init__(self, names: Sequence[str], seats: Sequence[int]) -> None:
        if len(names) != len(seats):
            raise ValueError(f"{len(names)} names for {len(seats)} seat counts")
        self._names = names
        self._seats = seats
        self._by_name: dict[str, int] | None = None

    def _dict(self) -> dict[str, int]:
        if self._by_name is None:
            self._by_name = dict(zip(self._names, self._seats, strict=True))
        return self._by_name

    def __getitem__(self, party: str) -> int:
        return self._dict()[party]

    def __contains__(self, party: object) -> bool:
        return party in self._dict()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def keys(self) -> KeysView[str]:
        return self._dict().keys()

    def items(self) -> ItemsView[str, int]:
        return self._dict().items()

    def values(self) -> ValuesView[int]:
        return self._dict().values()

    def counts(self) -> list[int]:
        """The seats in input order, as a new list (no lookup by name).

        >>> SeatMap(("A", "B"), (4, 3)).counts()
        [4, 3]
        """
        return list(self._seats)

    def copy(self) -> dict[str, int]:
        """A plain dict of the same items (as ``types.MappingProxyType.copy`` gives)."""
        return dict(self._dict())

    def __reversed__(self) -> Iterator[str]:
        return reversed(self._names)

    def __or__(self, other: Mapping[str, int]) -> dict[str, int]:
        return {**self._dict(), **other}

    def __ror__(self, other: Mapping[str, int]) -> dict[str, int]:
        return {**other, **self._dict()}

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SeatMap):
            return self._dict() == other._dict()
        if isinstance(other, Mapping):
            return self._dict() == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a mapping, like dict

    def __repr__(self) -> str:
        return repr(self._dict())


@dataclass(frozen=True, slots=True)
class QuotaCertificate:
    """Quota, whole quotas and remainders of a largest-remainder allocation.

    ``floors[p]`` is ``floor(votes / quota)``; ``remainders[p]`` is the
    fractional part; ``remainder_winners`` took one extra seat each;
    ``removed`` lost one seat each when the quota over-awarded; ``fixed`` holds
    parties held at a seat bound (the quota is then that of the other parties).
    """

    quota: Fraction
    floors: Mapping[str, int]
    remainders: Mapping[str, Fraction]
    remainder_winners: tuple[str, ...]
    removed: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    fixed: Mapping[str, int] = field(default_factory=dict)

    def reproduce(self, votes: Mapping[str, int]) -> dict[str, int]:
        """Recompute whole quotas from the votes and add the recorded remainder seats."""
        out: dict[str, int] = {}
        for party, v in votes.items():
            if party in self.fixed:
                out[party] = self.fixed[party]
                continue
            if party in self.excluded or self.quota == 0:
                out[party] = 0
                continue
            base = (v * self.quota.denominator) // self.quota.numerator
            out[party] = (
                base
                + self.remainder_winners.count(party)
                - self.removed.count(party)
            )
        return out

    def describe(self) -> str:
        winners = ", ".join(self.remainder_winners) or "nobody"
        text = f"quota {_show(self.quota)}; remainder seats to {winners}"
        if self.removed:
            text += f"; over-award corrected by removing a seat from {', '.join(self.removed)}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "quota",
            "quota": str(self.quota),
            "floors": dict(self.floors),
            "remainders": {k: str(v) for k, v in self.remainders.items()},
            "remainder_winners": list(self.remainder_winners),
            "removed": list(self.removed),
        }


@dataclass(frozen=True, slots=True)
class SequentialCertificate:
    """The award order of a sequential method (the Balinski-Young quota method)."""

    order: tuple[str, ...]

    def reproduce(self, votes: Mapping[str, int]) -> dict[str, int]:
        out = dict.fromkeys(votes, 0)
        for party in self.order:
            out[party] += 1
        return out

    def describe(self) -> str:
        return "award order: " + ", ".join(self.order)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "sequential", "order": list(self.order)}


@dataclass(frozen=True, slots=True)
class PluralityCertificate:
    """Every winner had more votes than every loser (``cutoff`` separates them)."""

    elected: tuple[str, ...]
    weakest_winner: int | None
    strongest_loser: int | None

    def reproduce(self, votes: Mapping[str, int]) -> dict[str, int]:
        return {party: int(party in self.elected) for party in votes}

    def describe(self) -> str:
        return (
            f"elected {', '.join(self.elected) or 'nobody'}; weakest winner "
            f"{self.weakest_winner}, strongest loser {self.strongest_loser}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "plurality",
            "elected": list(self.elected),
            "weakest_winner": self.weakest_winner,
            "strongest_loser": self.strongest_loser,
        }


@dataclass(frozen=True, slots=True)
class Allocation:
    """The seats of one apportionment and everything needed to check them.

    Attributes
    ----------
    method:
        Canonical method id (``"dhondt"``, ...), or ``"custom"``.
    house_size:
        Seats apportioned.
    parties, votes:
        The input, in input order.
    seats:
        Read-only mapping party -> seats, in input order.
    ties:
        Every tie that decided a seat, with how it was settled.
    certificate:
        Divisor interval, quota and remainders, award order or plurality cut-off.
    excluded:
        Parties below the legal threshold.
    """

    method: str
    house_size: int
    parties: tuple[str, ...]
    votes: tuple[int, ...]
    seats: Mapping[str, int]
    ties: tuple[TieEvent, ...]
    certificate: Any
    excluded: tuple[str, ...] = ()
    threshold: Fraction | None = None

    @classmethod
    def build(
        cls,
        method: str,
        house_size: int,
        parties: tuple[str, ...],
        votes: tuple[int, ...],
        seats: Sequence[int],
        ties: tuple[TieEvent, ...],
        certificate: Any,
        excluded: tuple[str, ...] = (),
        threshold: Fraction | None = None,
    ) -> Allocation:
        """An allocation from the seats in party order (wrapped in a read-only :class:`SeatMap`).

        >>> a = Allocation.build("hare", 2, ("A", "B"), (3, 1), [2, 0], (), None)
        >>> a == Allocation("hare", 2, ("A", "B"), (3, 1), SeatMap(("A", "B"), (2, 0)), (), None)
        True
        """
        mapping = SeatMap(parties, seats if type(seats) is tuple else tuple(seats))
        if cls is not Allocation:
            return cls(method, house_size, parties, votes, mapping, ties, certificate, excluded, threshold)
        # the fields' slots filled directly: what the frozen dataclass's __init__ does, in
        # fewer steps (every method's result comes through here)
        made = _new_object(Allocation)
        s_method, s_house, s_parties, s_votes, s_seats, s_ties, s_cert, s_excluded, s_thr = _SLOT_SETTERS
        s_method(made, method)
        s_house(made, house_size)
        s_parties(made, parties)
        s_votes(made, votes)
        s_seats(made, mapping)
        s_ties(made, ties)
        s_cert(made, certificate)
        s_excluded(made, excluded)
        s_thr(made, threshold)
        return made

    @property
    def votes_by_party(self) -> dict[str, int]:
        """Party -> votes, in input order."""
        return dict(zip(self.parties, self.votes, strict=True))

    def explain(self) -> str:
        """A step table for people: quotients in award order, or quotas and remainders.

        >>> import seats
        >>> a = seats.apportion({"A": 30, "B": 20}, 2, method="dhondt")
        >>> print(a.explain())  # doctest: +NORMALIZE_WHITESPACE
        dhondt: 2 seats among 2 parties (50 votes)
        seat  party  votes  divisor  quotient
           1  A         30        1        30
           2  B         20        1        20
        next  A         30        2        15
        certificate: any divisor 15 < D < 20 yields these seats
        seats: A 1, B 1
        """
        from seats.methods.explain import explain

        return explain(self)

    def to_dict(self) -> dict[str, Any]:
        cert = self.certificate.to_dict() if hasattr(self.certificate, "to_dict") else None
        return {
            "method": self.method,
            "house_size": self.house_size,
            "votes": self.votes_by_party,
            "seats": dict(self.seats),
            "ties": [t.to_dict() for t in self.ties],
            "excluded": list(self.excluded),
            "threshold": None if self.threshold is None else str(self.threshold),
            "certificate": cert,
        }

    def to_polars(self) -> pl.DataFrame:
        """One row per party: party, votes, seats, vote_share, seat_share.

        >>> import seats
        >>> seats.apportion({"A": 3, "B": 1}, 4, method="hare").to_polars().columns
        ['party', 'votes', 'seats', 'vote_share', 'seat_share']
        """
        import polars as pl

        total_votes = sum(self.votes)
        house = self.house_size
        return pl.DataFrame(
            {
                "party": list(self.parties),
                "votes": list(self.votes),
                "seats": (
                    self.seats.counts() if isinstance(self.seats, SeatMap)
                    else [self.seats[p] for p in self.parties]
                ),
                "vote_share": [v / total_votes if total_votes else 0.0 for v in self.votes],
                "seat_share": [self.seats[p] / house if house else 0.0 for p in self.parties],
            },
            schema={
                "party": pl.Utf8,
                "votes": pl.Int64,
                "seats": pl.Int64,
                "vote_share": pl.Float64,
                "seat_share": pl.Float64,
            },
        )


class Deferred:
    """A certificate made only when it is first read: :attr:`Allocation.certificate` calls
    ``make()`` once and keeps what it returns, so an allocation that nobody checks never
    pays for exact bounds. Methods pass one to :meth:`Allocation.build` instead of the
    certificate itself; readers never see it.

    >>> a = Allocation.build("dhondt", 1, ("A",), (5,), [1], (), Deferred(lambda: "made"))
    >>> a.certificate
    'made'
    """

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


_CERTIFICATE_SLOT = Allocation.__dict__["certificate"]  # the slot that stores it


def _read_certificate(self: Allocation) -> Any:
    cert = _CERTIFICATE_SLOT.__get__(self, Allocation)
    if type(cert) is Deferred:
        cert = cert.make()
        _CERTIFICATE_SLOT.__set__(self, cert)  # made once; the allocation stays frozen outside
    return cert


_new_object = object.__new__
# the slot setter of every field, in field order (build fills them all)
_SLOT_SETTERS: tuple[Callable[[Allocation, Any], None], ...] = tuple(
    Allocation.__dict__[f.name].__set__ for f in fields(Allocation)
)

# ``certificate`` stays a dataclass field (init, eq, repr, replace and pickling read it
# through this property); only reading it can make a deferred certificate.
setattr(  # noqa: B010  (assigning the attribute directly would confuse the type checker)
    Allocation,
    "certificate",
    property(_read_certificate, _CERTIFICATE_SLOT.__set__, doc="The certificate (made when first read)."),
)
