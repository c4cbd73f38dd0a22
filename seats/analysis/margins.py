"""Seat margins: for every seat, the exact smallest number of votes that would have moved it.

For every seat of an allocation (a :func:`seats.apportion` result, or every
district of a whole :class:`~seats.rules.ElectionResult`) three whole numbers
are reported. A holder's seats are ranked from the margin: rank 1 is the seat
it would lose first, rank 2 the next, and so on; the seat of rank ``r`` has
moved when the holder ends with at most ``seats - r`` seats. (``depth=1`` keeps
each holder's marginal seat only.)

``lose``
    the fewest votes the holder could lose (every other count unchanged) for
    the seat to go elsewhere; ``lose_to`` names who takes it;
``gain``
    the fewest votes the *challenger* (the best runner-up: the option that
    needs the fewest extra votes) would have to gain to take it;
``transfer``
    the fewest votes moved from the holder to that challenger (one vote moved
    changes both counts).

**What "moves the seat" means.** Apply the shift to the votes and apportion
again with the same method, house size, threshold, seat bounds and prior
seats. The seat of rank ``r`` has moved when the holder ends with at most
``seats - r`` seats and (for ``gain`` and ``transfer``) the challenger with
more than it had.

**Ties.** A shift that makes the holder and the challenger exactly equal for
the contested seat (under the default ``ties="error"`` policy, apportioning
again raises :class:`~seats.errors.TieError` naming both) already counts, when
settling that tie against the holder would move the seat: the number reported
is that *tie point*, the matching ``*_tie`` flag is true, and the strict flip
is one vote later (unless another, unrelated tie happens to fall there). A tie
that does not involve both is settled against the move (the holder listed
first, the challenger last, ``ties="order"``). So ``x`` moves the seat (or ties
it) and ``x - 1`` does not. ``None`` means no shift moves it: a block-vote
winner who is not the weakest cannot lose its seat to a single rival's gains
(that rival takes the weakest winner's seat), a lone candidate cannot lose.

**How it is computed.** Never vote by vote. The break-even point is computed
from the quotients (divisor methods: the holder's quotient for that seat
against the runner-up's next, counting the seats a challenger must take on the
way; largest remainders: shares of the quota and the remainder cut-off;
plurality: the difference to the first loser), then checked by apportioning
again at the estimate and next to it; where the estimate is off (thresholds,
seat bounds, the quota moving with the total) a galloping search and a
bisection settle the exact boundary, so a result costs a handful of
apportionments. Seat counts are monotone in the shift for divisor methods and
the plurality family (population monotonicity), so the bisection finds the
smallest shift. Largest-remainder methods are not population monotone (the
quota moves with the total): a transfer keeps the total, and so the quota,
fixed; for losses and gains, a quota proportional to the total (Hare,
Hagenbach-Bischoff, Imperiali) changes the allocation only where a share
crosses a whole number or two remainders cross, so those break points below
the answer (solved exactly) are checked in order; the Droop quota is a step
function of the total, so every stretch of constant quota is scanned. With a
legal threshold on a largest-remainder method the quota is that of the votes
above the threshold, and the answer is the first boundary the search finds (a
smaller shift can exist there). Whatever the method, ``x`` moves the seat and
``x - 1`` does not, and each margin's ``certain`` flag says whether it is also
proven the smallest (monotone case, or every break point below it checked within
a budget of apportionments, and every runner-up that could need fewer votes
checked exactly). The test suite checks vote by vote, on small random
elections (divisor methods with and without thresholds and prior seats, Hare,
Droop, Hagenbach-Bischoff, plurality and block), that no smaller shift moves a
seat whose margin says it is certain.

Inside a rule set the margins are those of each district's apportionment as
computed (:attr:`~seats.rules.DistrictResult.allocation`): options excluded by
the rule set's threshold are not challengers, a derived tier's margins are
shifts in its summed votes, and after a ``subtract`` link they are margins of
the entitlement. Reserved seats have no allocation and no margins.

Examples
--------
>>> import seats
>>> a = seats.apportion({"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}, 8, method="dhondt")
>>> m = seat_margins(a)
>>> c = m.for_holder("C")[0]
>>> c.challenger, c.lose, c.gain, c.transfer
('B', 10000, 70000, 8000)
>>> c.transfer_tie     # C 22000/1 = B 88000/4 ties for the 8th seat; 8001 votes flip it
True
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seats.errors import SeatsError, TieError
from seats.results import Allocation, DivisorCertificate, PluralityCertificate, QuotaCertificate

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from seats.rules.result import ElectionResult

__all__ = ["Margins", "SeatMargin", "allocation_margins", "seat_margins"]

_COLUMNS = ("tier", "district", "holder", "seats", "rank", "challenger", "lose", "lose_to", "gain",
            "transfer", "smallest", "lose_tie", "gain_tie", "transfer_tie", "certain")


@dataclass(frozen=True, slots=True)
class SeatMargin:
    """How many votes would have moved one option's marginal seat, and to whom.

    Attributes
    ----------
    tier, district:
        Where the seat is (``None`` for a single allocation).
    holder:
        The option holding the seat; ``seats`` is how many seats it holds there.
    rank:
        Which of its seats: 1 is the seat it would lose first (its marginal seat),
        2 the next, up to ``seats``. The seat of rank ``r`` has moved when the
        holder ends with at most ``seats - r`` seats.
    challenger:
        The best runner-up: the option that needs the fewest extra votes
        (``gain``) to take the seat; when no gain can take it, the option that
        takes it with the fewest votes moved. ``None`` when nobody can.
    lose, lose_to:
        Fewest votes the holder could lose for the seat to go elsewhere, and
        who takes it then (several names at a tie).
    gain:
        Fewest votes the challenger must gain to take the seat.
    transfer:
        Fewest votes moved from the holder to the challenger that move the seat.
    lose_tie, gain_tie, transfer_tie:
        True when that shift makes an exact tie for the seat (the strict flip
        is one vote later).
    certain:
        True when the three numbers are proven the smallest: the method is
        monotone in the shift, or every break point below them was checked.
        False (a legal threshold, a scan over budget, runners-up ranked by
        estimate) means only "``x`` moves it and ``x - 1`` does not" is certain.
    """

    tier: str | None
    district: str | None
    holder: str
    seats: int
    rank: int
    challenger: str | None
    lose: int | None
    lose_to: tuple[str, ...]
    gain: int | None
    transfer: int | None
    lose_tie: bool = False
    gain_tie: bool = False
    transfer_tie: bool = False
    certain: bool = True

    @property
    def smallest(self) -> int | None:
        """The fewest votes of the three ways (``None`` when none moves the seat)."""
        found = [x for x in (self.lose, self.gain, self.transfer) if x is not None]
        return min(found) if found else None

    def describe(self) -> str:
        """One line for people.

        >>> import seats
        >>> m = seat_margins(seats.apportion({"A": 60, "B": 45}, 1, method="plurality"))
        >>> m.margins[0].describe()
        'A (1 seat): transfer 8 votes to B (strict), B gains 15 (tie), A loses 15 (tie, to B)'
        """
        where = "/".join(x for x in (self.tier, self.district) if x)
        head = f"{where}: " if where else ""
        label = "seat" if self.seats == 1 else f"seat {self.rank} of {self.seats}"

        def flag(tie: bool) -> str:
            return "tie" if tie else "strict"

        parts = []
        if self.challenger is not None and self.transfer is not None:
            parts.append(f"transfer {self.transfer} votes to {self.challenger} ({flag(self.transfer_tie)})")
        if self.challenger is not None and self.gain is not None:
            parts.append(f"{self.challenger} gains {self.gain} ({flag(self.gain_tie)})")
        if self.lose is not None:
            to = ", ".join(self.lose_to)
            parts.append(f"{self.holder} loses {self.lose} ({flag(self.lose_tie)}, to {to})")
        body = ", ".join(parts) or "no shift of votes moves this seat"
        return f"{head}{self.holder} ({'1 ' if self.seats == 1 else ''}{label}): {body}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "district": self.district,
            "holder": self.holder,
            "seats": self.seats,
            "rank": self.rank,
            "challenger": self.challenger,
            "lose": self.lose,
            "lose_to": ", ".join(self.lose_to) or None,
            "gain": self.gain,
            "transfer": self.transfer,
            "smallest": self.smallest,
            "lose_tie": self.lose_tie,
            "gain_tie": self.gain_tie,
            "transfer_tie": self.transfer_tie,
            "certain": self.certain,
        }

    def to_polars(self) -> pl.DataFrame:
        """One row, the columns of :meth:`Margins.to_polars`."""
        return _frame([self])


def _frame(rows: Iterable[SeatMargin]) -> pl.DataFrame:
    import polars as pl

    data: dict[str, list[Any]] = {k: [] for k in _COLUMNS}
    for m in rows:
        d = m.to_dict()
        for k in _COLUMNS:
            data[k].append(d[k])
    schema = {
        "tier": pl.Utf8, "district": pl.Utf8, "holder": pl.Utf8, "seats": pl.Int64, "rank": pl.Int64,
        "challenger": pl.Utf8,
        "lose": pl.Int64, "lose_to": pl.Utf8, "gain": pl.Int64, "transfer": pl.Int64, "smallest": pl.Int64,
        "lose_tie": pl.Boolean, "gain_tie": pl.Boolean, "transfer_tie": pl.Boolean, "certain": pl.Boolean,
    }
    return pl.DataFrame(data, schema=schema)


def _fragility(m: SeatMargin) -> tuple[float, float, float, str, str, str, int]:
    inf = math.inf
    small = m.smallest
    return (
        inf if small is None else small,
        inf if m.transfer is None else m.transfer,
        inf if m.gain is None else m.gain,
        m.tier or "",
        m.district or "",
        m.holder,
        m.rank,
    )


@dataclass(frozen=True, slots=True)
class Margins:
    """Every seat-holding option's margin, district by district (in allocation order)."""

    margins: tuple[SeatMargin, ...]

    def __len__(self) -> int:
        return len(self.margins)

    def most_fragile(self, n: int | None = 10) -> tuple[SeatMargin, ...]:
        """The ``n`` most fragile seats: fewest votes (any of the three ways) first.

        Ties in that number are ordered by ``transfer``, ``gain``, then tier,
        district and holder, so the order is deterministic.

        >>> import seats
        >>> a = seats.apportion({"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}, 8)
        >>> [(m.holder, m.smallest) for m in seat_margins(a).most_fragile(2)]
        [('A', 4000), ('C', 8000)]
        """
        ordered = tuple(sorted(self.margins, key=_fragility))
        return ordered if n is None else ordered[:n]

    def for_holder(self, holder: str) -> tuple[SeatMargin, ...]:
        """The margins of one option's seats (one per district where it holds seats)."""
        return tuple(m for m in self.margins if m.holder == holder)

    def district(self, district: str, tier: str | None = None) -> tuple[SeatMargin, ...]:
        """The margins in one district (of one tier, when given)."""
        return tuple(m for m in self.margins if m.district == district and (tier is None or m.tier == tier))

    def to_dict(self) -> dict[str, Any]:
        return {"margins": [m.to_dict() for m in self.margins]}

    def to_polars(self, *, fragile_first: bool = False) -> pl.DataFrame:
        """One row per seat-holding option per district: tier, district, holder, seats,
        challenger, lose, lose_to, gain, transfer, smallest and the three tie flags."""
        return _frame(self.most_fragile(None) if fragile_first else self.margins)


# ------------------------------------------------------------------ re-apportioning

Runner = Callable[[tuple[str, ...], tuple[int, ...], str], Allocation]


def _runner(alloc: Allocation, options: Mapping[str, Any]) -> Runner:
    """Apportion again exactly as ``alloc`` was (method, house, threshold, bounds, prior seats)."""
    cert = alloc.certificate
    house = alloc.house_size
    extra = dict(options)
    if isinstance(cert, DivisorCertificate):
        from seats.methods.divisor import divisor_method

        if cert.prior and "prior_seats" not in extra:
            extra["prior_seats"] = dict(cert.prior)
        if cert.bounds and "min_seats" not in extra and "max_seats" not in extra:
            extra["min_seats"] = {p: lo for p, (lo, _) in cert.bounds.items()}
            extra["max_seats"] = {p: hi for p, (_, hi) in cert.bounds.items() if hi is not None}
        fn: Callable[..., Allocation] = functools.partial(
            divisor_method, signpost=cert.signpost, method_id=alloc.method
        )
    else:
        from seats.methods.registry import resolve

        fn = resolve(alloc.method)
    threshold = alloc.threshold

    def run(parties: tuple[str, ...], votes: tuple[int, ...], ties: str) -> Allocation:
        kw = dict(extra)
        if "prior_seats" in kw:
            kw["prior_seats"] = {p: n for p, n in kw["prior_seats"].items() if p in parties}
        return fn(parties, votes, house, threshold=threshold, ties=ties, **kw)

    return run


@dataclass(frozen=True, slots=True)
class _Probe:
    reached: bool
    tie: bool
    gainers: tuple[str, ...]


class _Pair:
    """Evaluates "has the seat moved?" for one holder, one challenger and one kind of shift."""

    def __init__(self, run: Runner, alloc: Allocation, holder: str, challenger: str | None,
                 kind: str, rank: int = 1) -> None:
        self.run = run
        self.parties = alloc.parties
        self.base = alloc.votes_by_party
        self.seats = dict(alloc.seats)
        self.h = holder
        self.c = challenger
        self.kind = kind
        self.rank = rank
        self.cache: dict[int, _Probe] = {}

    def votes(self, x: int) -> dict[str, int]:
        v = dict(self.base)
        if self.kind in ("lose", "transfer"):
            v[self.h] -= x
        if self.kind in ("gain", "transfer"):
            assert self.c is not None
            v[self.c] += x
        return v

    def __call__(self, x: int) -> _Probe:
        found = self.cache.get(x)
        if found is None:
            found = self.cache[x] = self._probe(x)
        return found

    def _probe(self, x: int) -> _Probe:
        v = self.votes(x)
        h, c = self.h, self.c
        try:
            a = self.run(self.parties, tuple(v[p] for p in self.parties), "error")
        except TieError as err:
            ev = err.event
            contested = ev is not None and h in ev.tied and (c is None or c in ev.tied)
            others = [p for p in self.parties if p not in (h, c)]
            if contested:
                # the holder against the challenger: the tie point counts if losing it moves the seat
                order = ([c] if c is not None else []) + others + [h]
            else:
                # a tie elsewhere: settle it against the move (holder first, challenger last)
                order = [h, *others] + ([c] if c is not None else [])
            try:
                a = self.run(tuple(order), tuple(v[p] for p in order), "order")
            except SeatsError:
                return _Probe(False, False, ())
            if contested:
                assert ev is not None
                moved = self._moved(a)
                return _Probe(moved, moved, tuple(p for p in ev.tied if p != h))
        except SeatsError:
            return _Probe(False, False, ())
        gainers = tuple(p for p in self.parties if a.seats[p] > self.seats[p])
        return _Probe(self._moved(a), False, gainers)

    def _moved(self, a: Allocation) -> bool:
        lost = a.seats[self.h] <= self.seats[self.h] - self.rank
        return lost and (self.c is None or a.seats[self.c] > self.seats[self.c])


def _first(probe: _Pair, estimate: int, limit: int | None) -> int | None:
    """Smallest ``x`` in ``[0, limit]`` where the seat has moved (``None``: not within the limit).

    Starts at ``estimate``, gallops to a bracket ``(not moved, moved)`` and bisects it.
    """
    top = limit if limit is not None else max(1 << 62, estimate)
    x = min(max(estimate, 0), top)
    if probe(x).reached:
        hi, step, lo = x, 1, x - 1
        while lo >= 0 and probe(lo).reached:
            hi = lo
            step *= 2
            lo = hi - step
        lo = max(lo, -1)
    else:
        lo, step, hi = x, 1, x + 1
        while hi <= top and not probe(hi).reached:
            lo = hi
            step *= 2
            hi = lo + step
        if hi > top:
            if lo == top or not probe(top).reached:
                return None
            hi = top
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if probe(mid).reached:
            hi = mid
        else:
            lo = mid
    return hi


def _quota_kind(alloc: Allocation) -> tuple[str, int]:
    """``("step", 0)`` for the Droop quota, ``("linear", k)`` for a quota ``V / k`` (Hare ``k = h``,
    Hagenbach-Bischoff ``h + 1``, Imperiali ``h + 2``), ``("", 0)`` otherwise."""
    if not isinstance(alloc.certificate, QuotaCertificate):
        return "", 0
    from seats.methods import largest_remainder as lr
    from seats.methods.registry import REGISTRY

    spec = REGISTRY.get(alloc.method)
    quota = getattr(spec.function, "keywords", {}).get("quota") if spec is not None else None
    h = alloc.house_size
    if quota is lr.DROOP:
        return "step", 0
    linear = {lr.HARE: h, lr.HAGENBACH_BISCHOFF: h + 1, lr.IMPERIALI_QUOTA: h + 2}
    for fn, k in linear.items():
        if quota is fn:
            return "linear", k
    return "", 0


def _linear_quota_breaks(alloc: Allocation, probe: _Pair, k: int, upto: int) -> list[int]:
    """Every whole shift in ``[0, upto)`` at or just after which a quota ``V / k`` allocation can change.

    With one option's votes moving by ``x`` (the holder losing, or the challenger
    gaining), each share ``k * v_j(x) / V(x)`` is monotone in ``x``; the allocation
    changes only where a share crosses a whole number, two remainders cross (the
    floors fixed between integer crossings); each is a linear equation in ``x``,
    solved exactly. (Without a threshold: with one the quota is of the votes
    above it, and the search's answer stands.)
    """
    from fractions import Fraction

    sign = -1 if probe.kind == "lose" else 1
    mover = probe.h if probe.kind == "lose" else probe.c
    names = list(alloc.parties)
    base = alloc.votes_by_party
    total = sum(base.values())
    delta = {p: (sign if p == mover else 0) for p in names}
    watched = {probe.h, probe.c}
    breaks: set[Fraction] = {Fraction(0)}

    def share(p: str, x: Fraction) -> Fraction:
        vt = total + sign * x
        return Fraction(k * (base[p] + delta[p] * x), vt) if vt else Fraction(0)

    end = Fraction(upto)
    # shares crossing whole numbers
    for p in names:
        lo, hi = sorted((share(p, Fraction(0)), share(p, end)))
        for m in range(math.floor(lo), math.ceil(hi) + 1):
            den = k * delta[p] - m * sign
            if den:
                x = Fraction(m * total - k * base[p], den)
                if 0 <= x < end:
                    breaks.add(x)
    # remainders crossing, segment by segment (floors fixed inside a segment)
    cuts = sorted(breaks | {end})
    for a, b in itertools.pairwise(cuts):
        mid = (a + b) / 2
        floor_of = {p: math.floor(share(p, mid)) for p in names}
        for i, p in enumerate(names):
            for q in names[i + 1:]:
                if p not in watched and q not in watched:
                    continue  # only the holder's and the challenger's ranks decide the move
                df = floor_of[p] - floor_of[q]
                den = k * (delta[p] - delta[q]) - df * sign
                if den:
                    x = Fraction(df * total - k * (base[p] - base[q]), den)
                    if a <= x < b:
                        breaks.add(x)
    out: set[int] = set()
    for x in breaks:
        out.add(math.ceil(x))
        out.add(math.floor(x) + 1)
    return sorted(x for x in out if 0 <= x < upto)


_BUDGET = 256  # apportionments one scan for a smaller shift may spend before giving up


def _first_by_breaks(probe: _Pair, found: int | None, alloc: Allocation, k: int,
                     limit: int) -> tuple[int | None, bool]:
    """The smallest shift for a quota ``V / k``: the first break point below ``found`` that moves
    the seat; and whether every break point below it was checked (within the budget)."""
    upto = found if found is not None else limit + 1
    if upto <= 0:
        return found, True
    spent = 0
    for x in _linear_quota_breaks(alloc, probe, k, upto):
        if spent >= _BUDGET:
            return found, False
        spent += x not in probe.cache
        if probe(x).reached:
            return x, True
    return found, True


def _first_by_segments(probe: _Pair, found: int | None, total: int, house: int,
                       limit: int) -> tuple[int | None, bool]:
    """The smallest shift for a Droop quota, which is constant while ``floor(V / (h + 1))`` is.

    Within a stretch of constant quota only the moving option's share changes, so its
    strict moves form one interval (found by probing the stretch's last shift and
    bisecting), and a tie can only appear where its remainder equals another option's
    (solved exactly: its votes congruent to that remainder modulo the quota). The
    stretches are scanned from 0 up to ``found`` (the search's answer); past a budget of
    apportionments the search's answer stands (and the second value is false).
    """
    step = house + 1
    sign = -1 if probe.kind == "lose" else 1
    mover = probe.h if probe.kind == "lose" else probe.c
    assert mover is not None
    base = probe.base[mover]
    end_at = found if found is not None else limit + 1
    x = 0
    start = len(probe.cache)
    while True:
        if x >= end_at:
            return found, True
        if len(probe.cache) - start >= _BUDGET:
            return found, False
        v = total + sign * x
        end = x + (v % step if sign < 0 else step - 1 - v % step)
        end = min(end, end_at - 1)
        best: int | None = None
        if probe(end).reached:
            lo, hi = x - 1, end
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if probe(mid).reached:
                    hi = mid
                else:
                    lo = mid
            best = hi
        q = v // step + 1
        lo_v, hi_v = sorted((base + sign * x, base + sign * end))
        ties: set[int] = set()
        for other, votes in probe.base.items():
            if other == mover or votes == 0:
                continue
            w = lo_v + (votes % q - lo_v) % q
            while w <= hi_v:
                ties.add(sign * (w - base))
                w += q
        for y in sorted(ties):
            if best is not None and y >= best:
                break
            if x <= y <= end and probe(y).reached:
                best = y
                break
        if best is not None:
            return best, True
        x = end + 1


# ------------------------------------------------------------------ estimates

def _ceil(x: float) -> int:
    if math.isnan(x) or x == -math.inf:
        return 0
    if x == math.inf:
        return 1 << 40
    return max(0, math.ceil(x))


class _Estimator:
    """Float break-even points from the allocation's certificate: starting points only."""

    def __init__(self, alloc: Allocation) -> None:
        self.a = alloc
        self.v = {p: float(n) for p, n in alloc.votes_by_party.items()}
        self.s = dict(alloc.seats)
        self.cert = alloc.certificate
        self.excluded = set(alloc.excluded)
        # plurality family: winners' votes ascending, losers' descending
        self.won = sorted(self.v[p] for p in alloc.parties if self.s[p] > 0)
        self.lost = sorted((self.v[p] for p in alloc.parties if self.s[p] == 0), reverse=True)

    def challengers(self, h: str) -> list[str]:
        if isinstance(self.cert, PluralityCertificate):
            return [p for p in self.a.parties if p != h and self.s[p] == 0]
        return [p for p in self.a.parties if p != h]

    # divisor methods -------------------------------------------------
    def _d(self, s: int) -> float:
        q = self.cert.signpost.quotient_float(1.0, s)
        return 0.0 if q == math.inf else 1.0 / q

    def _off(self, p: str) -> int:
        prior: Mapping[str, int] = self.cert.prior
        return prior.get(p, 0)

    def _next(self, p: str) -> float:
        if p in self.excluded:
            return 0.0
        return float(self.cert.signpost.quotient_float(self.v[p], self.s[p] + self._off(p)))

    def _quotient(self, p: str, r: int) -> float:
        """The quotient of the ``r``-th seat of ``p`` counted from its last (r = 1)."""
        return float(self.cert.signpost.quotient_float(self.v[p], self.s[p] + self._off(p) - r))

    def _rank(self, h: str, c: str, r: int) -> int:
        """Signpost index of the challenger's seat that must beat the holder's seat of rank ``r``."""
        lh = self._quotient(h, r)
        weaker = r - 1
        for p in self.a.parties:
            if p in (h, c):
                continue
            for i in range(1, self.s[p] + 1):
                if self._quotient(p, i) >= lh:
                    break
                weaker += 1
        return self.s[c] + weaker + self._off(c)

    # the three estimates ----------------------------------------------
    def lose(self, h: str, r: int) -> int:
        v, s = self.v, self.s
        if isinstance(self.cert, DivisorCertificate):
            best = max((self._next(p) for p in self.a.parties if p != h), default=0.0)
            return _ceil(v[h] - best * self._d(s[h] + self._off(h) - r))
        if isinstance(self.cert, QuotaCertificate):
            q = float(self.cert.quota)
            cut = max((float(self.cert.remainders.get(p, 0)) for p in self.a.parties
                       if p != h and p not in self.cert.remainder_winners), default=0.0)
            return _ceil(v[h] - q * (s[h] - r + cut))
        if isinstance(self.cert, PluralityCertificate):
            return _ceil(v[h] - max((v[p] for p in self.challengers(h)), default=0.0))
        return 0

    def gain(self, h: str, c: str, r: int) -> int | None:
        v, s = self.v, self.s
        if isinstance(self.cert, DivisorCertificate):
            return _ceil(self._quotient(h, r) * self._d(self._rank(h, c, r)) - v[c])
        if isinstance(self.cert, QuotaCertificate):
            q = float(self.cert.quota)
            share = v[h] / q - (s[h] - r) if q else 0.0
            return _ceil(q * (s[c] + r - 1 + share) - v[c])
        if isinstance(self.cert, PluralityCertificate):
            if v[h] > self.won[0] or s[c] > 0:
                return None  # the rival would take the weakest winner's seat, not this one
            return _ceil(v[h] - v[c])
        return 0

    def transfer(self, h: str, c: str, r: int) -> int:
        v, s = self.v, self.s
        if isinstance(self.cert, DivisorCertificate):
            dh, dc = self._d(s[h] + self._off(h) - r), self._d(self._rank(h, c, r))
            if dc == 0.0 or dh == 0.0:
                return 0
            return _ceil((v[h] / dh - v[c] / dc) / (1 / dc + 1 / dh))
        if isinstance(self.cert, PluralityCertificate):
            # the holder must fall to the next-weakest winner, the challenger pass the next loser,
            # and the two must cross
            won, lost = self.won, self.lost
            w2 = (won[1] if len(won) > 1 else math.inf) if v[h] == won[0] else won[0]
            others = lost[1:] if lost and v[c] == lost[0] else lost
            u2 = others[0] if others else 0.0
            return max(_ceil((v[h] - v[c]) / 2), _ceil(v[h] - w2), _ceil(u2 - v[c]))
        if isinstance(self.cert, QuotaCertificate):
            g = self.gain(h, c, r)
            return _ceil((v[h] - v[c]) / 2) if g is None else _ceil(g / 2)
        return 0


# ------------------------------------------------------------------ margins

def allocation_margins(
    alloc: Allocation,
    *,
    tier: str | None = None,
    district: str | None = None,
    options: Mapping[str, Any] | None = None,
    depth: int | None = None,
    candidates: int = 3,
) -> tuple[SeatMargin, ...]:
    """The margin of every seat of one allocation: one row per seat, holder by holder.

    Parameters
    ----------
    alloc:
        An allocation from :func:`seats.apportion` (any registered method).
    tier, district:
        Labels copied into the results.
    options:
        Method options to re-apportion with that the allocation does not record
        (e.g. ``overflow``, seat bounds of a largest-remainder method, or prior
        seats of parties without votes, which the certificate leaves out).
        Threshold, divisor seat bounds and prior seats are taken from the allocation.
    depth:
        Only each holder's ``depth`` seats nearest the margin (``1``: its marginal
        seat only); default every seat.
    candidates:
        How many runners-up (best estimates first) are checked exactly for the
        smallest ``gain``.

    Examples
    --------
    >>> import seats
    >>> a = seats.apportion({"ana": 300, "ben": 500, "eva": 200}, 2, method="block")
    >>> [(m.holder, m.challenger, m.lose, m.gain, m.transfer) for m in allocation_margins(a)]
    [('ana', 'eva', 100, 100, 50), ('ben', 'eva', 300, None, 201)]
    """
    if depth is not None and depth < 1:
        raise SeatsError(f"depth must be at least 1 (the marginal seat), got {depth}")
    out: list[SeatMargin] = []
    ctx = _Context(alloc, options or {}, candidates)
    for h in alloc.parties:
        n = alloc.seats[h]
        for rank in range(1, (n if depth is None else min(n, depth)) + 1):
            out.append(ctx.margin(h, rank, tier, district))
    return tuple(out)


class _Context:
    """Everything shared by the margins of one allocation's seats."""

    def __init__(self, alloc: Allocation, options: Mapping[str, Any], candidates: int) -> None:
        self.alloc = alloc
        self.run = _runner(alloc, options)
        self.est = _Estimator(alloc)
        self.candidates = candidates
        quota_kind, self.k = _quota_kind(alloc)
        self.stepped = quota_kind == "step" and not alloc.threshold
        self.linear = quota_kind == "linear" and not alloc.threshold
        self.plural = isinstance(alloc.certificate, PluralityCertificate)
        self.place = {p: i for i, p in enumerate(alloc.parties)}
        self.total = sum(alloc.votes)
        self.limit = 4 * (self.total + 1) * (alloc.house_size + 1 + sum(_prior(alloc).values()))
        # monotone in the shift: divisor and plurality families (and Hare for losses), no threshold
        cert = alloc.certificate
        unthresholded = not alloc.threshold
        hare = self.linear and self.k == alloc.house_size
        monotone_family = isinstance(cert, DivisorCertificate | PluralityCertificate)
        self.monotone = unthresholded and (monotone_family or hare)
        # break-even estimates exact up to float rounding: a runner-up estimated 2 votes worse cannot win
        self.sharp = unthresholded and (
            self.plural or (isinstance(cert, DivisorCertificate) and not cert.bounds))
        self.monotone_transfer = unthresholded and isinstance(
            cert, DivisorCertificate | PluralityCertificate | QuotaCertificate)

    def smallest(self, probe: _Pair, estimate: int, limit: int) -> tuple[int | None, bool]:
        """The smallest shift, and whether it is certainly the smallest (see :attr:`SeatMargin.certain`)."""
        found = _first(probe, estimate, limit)
        if probe.kind == "transfer":  # the total, and so any quota, stays: monotone
            return found, self.monotone_transfer
        if self.stepped:
            return _first_by_segments(probe, found, self.total, self.alloc.house_size, limit)
        if self.linear and (probe.kind == "gain" or self.k != self.alloc.house_size):
            return _first_by_breaks(probe, found, self.alloc, self.k, limit)
        return found, self.monotone

    def margin(self, h: str, rank: int, tier: str | None, district: str | None) -> SeatMargin:
        alloc, est, run, place = self.alloc, self.est, self.run, self.place
        vh = alloc.votes_by_party[h]
        # (a) the holder loses votes
        lose_probe = _Pair(run, alloc, h, None, "lose", rank)
        lose, certain = self.smallest(lose_probe, est.lose(h, rank), vh)
        lose_to: tuple[str, ...] = ()
        lose_tie = False
        if lose is not None:
            p = lose_probe(lose)
            lose_to, lose_tie = p.gainers, p.tie
        # (b) the best runner-up gains votes
        rivals = est.challengers(h)
        gains: list[tuple[int, str]] = []
        for c in rivals:
            g = est.gain(h, c, rank)
            if g is not None:
                gains.append((g, c))
        gains.sort(key=lambda gc: (gc[0], place[gc[1]]))
        if self.plural:  # exact estimates: only the runners-up tied for the best need a look
            gains = [gc for gc in gains if gc[0] == gains[0][0]]
        challenger: str | None = None
        gain: int | None = None
        gain_tie = False
        checked = 0
        for g0, c in gains:
            # the best few estimates; with sharp estimates, also any runner-up that could still win
            close = self.sharp and (gain is None or g0 <= gain + 2)
            if checked >= self.candidates and not (close and checked < self.candidates + 32):
                break
            checked += 1
            probe = _Pair(run, alloc, h, c, "gain", rank)
            g, sure = self.smallest(probe, g0, self.limit)
            certain = certain and sure
            if g is not None and (gain is None or g < gain):
                challenger, gain, gain_tie = c, g, probe(g).tie
        # (c) votes moved from the holder to the challenger
        transfer: int | None = None
        transfer_tie = False
        if challenger is not None:
            tprobe = _Pair(run, alloc, h, challenger, "transfer", rank)
            transfer, sure = self.smallest(tprobe, est.transfer(h, challenger, rank), vh)
            certain = certain and sure
            if transfer is not None:
                transfer_tie = tprobe(transfer).tie
        else:
            t_est = {c: est.transfer(h, c, rank) for c in rivals}
            ranked = sorted(rivals, key=lambda c: (t_est[c], place[c]))
            if self.plural and ranked:
                ranked = [c for c in ranked if t_est[c] == t_est[ranked[0]]]
            for c in ranked[:self.candidates]:
                tprobe = _Pair(run, alloc, h, c, "transfer", rank)
                t, sure = self.smallest(tprobe, t_est[c], vh)
                certain = certain and sure
                if t is not None and (transfer is None or t < transfer):
                    challenger, transfer, transfer_tie = c, t, tprobe(t).tie
        unchecked = gains[checked:]
        if unchecked and not (self.sharp and gain is not None and unchecked[0][0] > gain + 2):
            certain = False  # a runner-up not checked exactly might need fewer votes
        return SeatMargin(tier, district, h, alloc.seats[h], rank, challenger, lose, lose_to, gain, transfer,
                          lose_tie, gain_tie, transfer_tie, certain)


def _prior(alloc: Allocation) -> Mapping[str, int]:
    cert = alloc.certificate
    return cert.prior if isinstance(cert, DivisorCertificate) else {}


def seat_margins(
    result: Allocation | ElectionResult,
    *,
    tiers: Iterable[str] | None = None,
    options: Mapping[str, Any] | None = None,
    depth: int | None = None,
) -> Margins:
    """Seat margins of an allocation, or of every district of a whole election.

    Parameters
    ----------
    result:
        A :func:`seats.apportion` result, or a rule set's
        :class:`~seats.rules.ElectionResult` (every district of every tier with
        an allocation; reserved seats have none).
    tiers:
        Only these tiers of an election (default: all).
    options:
        Extra method options for a single allocation (see :func:`allocation_margins`).
    depth:
        Only each holder's ``depth`` seats nearest the margin per district (``1``:
        the marginal seat); default every seat.

    Examples
    --------
    >>> import seats
    >>> a = seats.apportion({"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}, 8, method="hare")
    >>> [(m.holder, m.challenger, m.transfer) for m in seat_margins(a, depth=1).margins]
    [('A', 'D', 25625), ('B', 'A', 4375), ('C', 'D', 22501), ('D', 'A', 3125)]
    >>> [(m.rank, m.transfer) for m in seat_margins(a).for_holder("A")]   # each of A's 3 seats
    [(1, 25625), (2, 53125), (3, 81875)]
    """
    if isinstance(result, Allocation):
        return Margins(allocation_margins(result, options=options, depth=depth))
    wanted = None if tiers is None else set(tiers)
    if wanted is not None:
        known = {t.id for t in result.tiers}
        unknown = sorted(wanted - known)
        if unknown:
            raise SeatsError(f"no tier {unknown[0]!r}; tiers: {', '.join(sorted(known))}")
    rows: list[SeatMargin] = []
    for t in result.tiers:
        if wanted is not None and t.id not in wanted:
            continue
        for d in t.districts:
            if d.allocation is None or d.allocation.house_size == 0:
                continue
            rows.extend(allocation_margins(d.allocation, tier=t.id, district=d.district,
                                           options=t.tier.options, depth=depth))
    return Margins(tuple(rows))
