"""Biproportional apportionment: seats proportional to votes by district and by party at once.

Every district ``i`` has a magnitude and every party ``j`` a seat total (the *upper
apportionment*); the *lower apportionment* gives cell ``(i, j)`` the seats

    seats[i][j] = round_d(votes[i][j] / (district_divisor[i] * party_divisor[j]))

with one divisor per district and one per party, chosen so that every row sums to its
district's magnitude and every column to its party's total (Balinski & Demange 1989;
Pukelsheim, *Proportional Representation*, 2nd ed., Springer 2017). ``round_d`` is the
rounding of any registered divisor method (``sainte-lague``, i.e. standard rounding, is
the Zurich "doppelter Pukelsheim"; ``dhondt`` rounds down).

The divisors are found by alternating scaling (fit the parties, then the districts, ...)
and an exact finish by *tie and transfer*: while a district has too many seats, divisors
are scaled until a chain of ties leads to a district with too few, and one seat moves
along the chain. Every quantity is an exact :class:`~fractions.Fraction`; no float
decides a seat. Two different feasible apportionments exist exactly when the final
divisors leave a cycle of ties; under ``ties="error"`` that raises
:class:`~seats.errors.TieError` naming the cells.

Why not in the method registry: a registered method is called as
``f(parties, votes, house, **options)`` on one vote vector, and the registry-wide smoke
test runs every entry on such a vector. A matrix method does not fit that signature, so
it lives beside the registry as :func:`seats.biproportional`.

Examples
--------
>>> import seats
>>> votes = {"North": {"A": 6100, "B": 2900, "C": 1000}, "South": {"A": 1900, "B": 5200, "C": 2900}}
>>> a = seats.biproportional(votes, {"North": 5, "South": 5})
>>> {d: dict(row) for d, row in a.seats.items()}
{'North': {'A': 3, 'B': 1, 'C': 1}, 'South': {'A': 1, 'B': 3, 'C': 1}}
>>> dict(a.party_seats), a.verify()
({'A': 4, 'B': 4, 'C': 2}, True)
>>> a.district_divisors["North"], a.party_divisors["B"]
(Fraction(1743, 1), Fraction(6, 5))
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from seats.errors import InvalidSeatsError, InvalidVotesError, TieError, UnknownMethodError
from seats.methods._input import check_house, normalise_votes
from seats.methods.registry import MethodSpec, resolve
from seats.methods.signposts import Signpost
from seats.methods.ties import check_policy
from seats.results import Allocation, TieEvent

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

__all__ = ["BiproportionalAllocation", "biproportional", "lower_apportionment"]

Matrix = list[list[int]]


# --- the result ------------------------------------------------------------------


def _show(q: Fraction) -> str:
    if q.denominator == 1:
        return str(q.numerator)
    return f"{q.numerator}/{q.denominator}"


def _approx(q: Fraction) -> str:
    return f"{float(q):.6g}"


@dataclass(frozen=True, slots=True)
class BiproportionalAllocation:
    """Seats per district and party, with both divisor vectors as the certificate.

    Attributes
    ----------
    method:
        The divisor method whose rounding is used (``"sainte-lague"``, ...).
    districts, parties:
        Row and column labels, in input order.
    votes:
        ``votes[district][party]`` (0 where a party did not stand).
    district_seats, party_seats:
        The margins: each district's magnitude, each party's total.
    seats:
        ``seats[district][party]``, read-only.
    district_divisors, party_divisors:
        Exact divisors: every cell's seats are the rounding of
        ``votes / (district_divisor * party_divisor)``. When :attr:`squared` is true
        (Huntington-Hill, whose signposts are square roots) both are the squares of
        the divisors and the rounding compares ``votes**2 / (D**2 * d**2)`` with
        ``d(s)**2``.
    ties:
        Every tie between two feasible apportionments and how it was settled.
    upper:
        The upper apportionment of the party totals, when it was computed here
        (``party_seats=None``); ``None`` when the totals were given.
    """

    method: str
    districts: tuple[str, ...]
    parties: tuple[str, ...]
    votes: Mapping[str, Mapping[str, int]]
    district_seats: Mapping[str, int]
    party_seats: Mapping[str, int]
    seats: Mapping[str, Mapping[str, int]]
    district_divisors: Mapping[str, Fraction]
    party_divisors: Mapping[str, Fraction]
    squared: bool
    ties: tuple[TieEvent, ...]
    upper: Allocation | None
    signpost: Signpost = field(compare=False, repr=False)

    @property
    def house_size(self) -> int:
        """All seats (the sum of the district magnitudes).

        >>> import seats
        >>> seats.biproportional({"X": {"A": 3, "B": 1}, "Y": {"A": 1, "B": 1}}, {"X": 4, "Y": 2}).house_size
        6
        """
        return sum(self.district_seats.values())

    def quotient(self, district: str, party: str) -> Fraction:
        """``votes / (D_district * d_party)`` exactly (its square when :attr:`squared`).

        >>> import seats
        >>> votes = {"North": {"A": 6100, "B": 2900, "C": 1000}, "South": {"A": 1900, "B": 5200, "C": 2900}}
        >>> seats.biproportional(votes, {"North": 5, "South": 5}).quotient("North", "C")
        Fraction(125, 249)
        """
        p = 2 if self.squared else 1
        v = self.votes[district][party]
        return Fraction(v**p) / (self.district_divisors[district] * self.party_divisors[party])

    def problems(self) -> list[str]:
        """Every way the certificate fails to reproduce the seats (empty when it holds).

        Checks each cell's rounding against the signposts ``d(s - 1) <= q <= d(s)``
        (exactly), each district's and each party's sum.

        >>> import dataclasses, seats
        >>> a = seats.biproportional({"X": {"A": 3, "B": 1}}, {"X": 4})
        >>> a.problems()
        []
        >>> dataclasses.replace(a, party_seats={"A": 2, "B": 2}).problems()
        ['party A: 3 seats, total 2', 'party B: 1 seats, total 2']
        """
        sp = self.signpost
        out: list[str] = []
        for d in self.districts:
            for party in self.parties:
                s = self.seats[d][party]
                if self.votes[d][party] == 0:
                    if s:
                        out.append(f"{d}/{party}: {s} seats without votes")
                    continue
                q = self.quotient(d, party)
                if not _within(sp, q, s):
                    out.append(f"{d}/{party}: {s} seats but quotient {_approx(q)} rounds otherwise")
            got = sum(self.seats[d].values())
            if got != self.district_seats[d]:
                out.append(f"district {d}: {got} seats, magnitude {self.district_seats[d]}")
        for party in self.parties:
            got = sum(self.seats[d][party] for d in self.districts)
            if got != self.party_seats[party]:
                out.append(f"party {party}: {got} seats, total {self.party_seats[party]}")
        return out

    def verify(self) -> bool:
        """True when the divisors reproduce every cell and both margins hold.

        >>> import seats
        >>> seats.biproportional({"X": {"A": 3, "B": 1}}, {"X": 4}).verify()
        True
        """
        return not self.problems()

    def to_dict(self) -> dict[str, Any]:
        """Plain data (divisors as exact fraction strings), e.g. for JSON.

        >>> import seats
        >>> seats.biproportional({"X": {"A": 3, "B": 1}}, {"X": 4}).to_dict()["seats"]
        {'X': {'A': 3, 'B': 1}}
        """
        return {
            "method": self.method,
            "kind": "biproportional",
            "district_seats": dict(self.district_seats),
            "party_seats": dict(self.party_seats),
            "seats": {d: dict(row) for d, row in self.seats.items()},
            "votes": {d: dict(row) for d, row in self.votes.items()},
            "district_divisors": {d: str(x) for d, x in self.district_divisors.items()},
            "party_divisors": {p: str(x) for p, x in self.party_divisors.items()},
            "squared": self.squared,
            "ties": [t.to_dict() for t in self.ties],
        }

    def to_polars(self) -> pl.DataFrame:
        """One row per (district, party): votes, seats, both divisors (as floats, for reading).

        >>> import seats
        >>> seats.biproportional({"X": {"A": 3, "B": 1}}, {"X": 4}).to_polars().columns
        ['district', 'party', 'votes', 'seats', 'district_divisor', 'party_divisor']
        """
        import polars as pl

        rows: dict[str, list[Any]] = {k: [] for k in ("district", "party", "votes", "seats")}
        dd: list[float] = []
        pd_: list[float] = []
        for d in self.districts:
            for party in self.parties:
                rows["district"].append(d)
                rows["party"].append(party)
                rows["votes"].append(self.votes[d][party])
                rows["seats"].append(self.seats[d][party])
                dd.append(float(self.district_divisors[d]))
                pd_.append(float(self.party_divisors[party]))
        return pl.DataFrame(
            {**rows, "district_divisor": dd, "party_divisor": pd_},
            schema={"district": pl.Utf8, "party": pl.Utf8, "votes": pl.Int64, "seats": pl.Int64,
                    "district_divisor": pl.Float64, "party_divisor": pl.Float64},
        )

    def explain(self) -> str:
        """The seat matrix with its divisors, for people.

        >>> import seats
        >>> a = seats.biproportional({"X": {"A": 3, "B": 1}}, {"X": 4})
        >>> print(a.explain())  # doctest: +NORMALIZE_WHITESPACE
        biproportional sainte-lague: 4 seats, 1 districts x 2 parties
        upper apportionment (sainte-lague over national totals): A 3, B 1
        district  divisor   A  B  seats
        X               1   3  1      4
        party divisor      1  1
        seats              3  1      4
        seats = round(votes / (district divisor x party divisor)); certificate verified
        """
        sq = "^2" if self.squared else ""
        lines = [f"biproportional {self.method}: {self.house_size} seats, "
                 f"{len(self.districts)} districts x {len(self.parties)} parties"]
        if self.upper is not None:
            lines.append(f"upper apportionment ({self.method} over national totals): "
                         + ", ".join(f"{p} {n}" for p, n in self.upper.seats.items()))
        else:
            lines.append("party totals given: " + ", ".join(f"{p} {n}" for p, n in self.party_seats.items()))
        head = ["district", f"divisor{sq}", *self.parties, "seats"]
        body = [[d, _approx(self.district_divisors[d]), *(str(self.seats[d][p]) for p in self.parties),
                 str(self.district_seats[d])] for d in self.districts]
        body.append([f"party divisor{sq}", "", *(_approx(self.party_divisors[p]) for p in self.parties), ""])
        body.append(["seats", "", *(str(self.party_seats[p]) for p in self.parties), str(self.house_size)])
        widths = [max(len(r[k]) for r in [head, *body]) for k in range(len(head))]
        for r in [head, *body]:
            cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]
            lines.append("  ".join(cells).rstrip())
        for t in self.ties:
            if t.seats:  # a tie of the upper apportionment
                lines.append("tie in the upper apportionment: " + t.describe())
            else:
                lines.append(f"tie between {', '.join(t.tied)} ({t.detail}); settled by {t.policy}: "
                             f"seats to {', '.join(t.winners)}")
        problems = self.problems()
        check = "CERTIFICATE FAILS: " + "; ".join(problems) if problems else "certificate verified"
        what = ("votes^2 / (D^2 x d^2) against d(s)^2" if self.squared
                else "votes / (district divisor x party divisor)")
        lines.append(f"seats = round({what}); {check}")
        return "\n".join(lines)


# --- exact arithmetic helpers ---------------------------------------------------------


class _Steps:
    """``d(s)**power`` as Fractions, cached; ``d(-1) = 0``."""

    def __init__(self, sp: Signpost) -> None:
        self.sp = sp
        self.cache: dict[int, Fraction] = {}

    def __call__(self, s: int) -> Fraction:
        if s < 0:
            return Fraction(0)
        got = self.cache.get(s)
        if got is None:
            got = Fraction(self.sp.b(s), self.sp.a(s))
            self.cache[s] = got
        return got


def _within(sp: Signpost, q: Fraction, s: int) -> bool:
    """``d(s - 1) <= q <= d(s)`` in power space (``q`` already raised to the power)."""
    steps = _Steps(sp)
    return steps(s - 1) <= q <= steps(s)


def _simplest(lo: Fraction, hi: Fraction | None) -> Fraction:
    """The simplest fraction strictly between ``0 <= lo < hi`` (``hi=None`` is infinity)."""
    n = math.floor(lo) + 1
    if hi is None or n < hi:
        return Fraction(n)
    whole = math.floor(lo)
    a, b = lo - whole, hi - whole  # 0 <= a < b <= 1
    inner = _simplest(1 / b, None if a == 0 else 1 / a)
    return whole + 1 / inner


def _pick(lo: Fraction, hi: Fraction | None) -> Fraction:
    """A simple value in ``[lo, hi]``: inside the open interval when there is one."""
    if hi is not None and lo >= hi:
        return lo
    return _simplest(lo, hi)


def _vector(weights: list[Fraction], house: int, steps: _Steps, what: str) -> tuple[list[int], Fraction]:
    """Apportion ``house`` seats to ``weights`` by the signposts; the multiplier that certifies it.

    Seats go one at a time to the largest ``weight / d(s)`` (exact Fractions; equal keys are
    settled by position, which is harmless here: the multiplier is then the tied value and
    the alternating procedure treats the cell as a tie). Returns the seats and a multiplier
    ``M`` with ``d(s - 1) <= weight * M <= d(s)`` for every positive weight.
    """
    n = len(weights)
    seats = [0] * n
    positive = [k for k in range(n) if weights[k] > 0]
    if not positive:
        if house:
            raise InvalidSeatsError(f"{what} has {house} seats but no votes")
        return seats, Fraction(1)
    if steps(0) == 0:  # d(0) = 0: every cell with votes takes a seat first
        if house < len(positive):
            raise InvalidSeatsError(
                f"{what} has {house} seats for {len(positive)} cells with votes; "
                f"{steps.sp.name} gives every one of them a seat first"
            )
        for k in positive:
            seats[k] = 1
    heap = [(-(weights[k] / steps(seats[k])), k) for k in positive]
    heapq.heapify(heap)
    for _ in range(house - sum(seats)):
        _, k = heapq.heappop(heap)
        seats[k] += 1
        heapq.heappush(heap, (-(weights[k] / steps(seats[k])), k))
    lo = max(steps(seats[k] - 1) / weights[k] for k in positive)
    hi = min(steps(seats[k]) / weights[k] for k in positive)
    return seats, _pick(lo, hi)


# --- the lower apportionment -----------------------------------------------------------


class _Lower:
    """State of the lower apportionment: weights ``w = v**power``, seats, row and column multipliers.

    The quotient of a cell is ``w * row[i] * col[j]`` (multipliers, the inverses of the divisors).
    A cell is *up-tied* when it could take one seat more (``q == d(s)``) and *down-tied* when it
    could give one up (``q == d(s - 1)``, ``s >= 1``).
    """

    def __init__(self, w: Matrix, rows: list[int], cols: list[int], steps: _Steps,
                 row_names: tuple[str, ...], col_names: tuple[str, ...]) -> None:
        self.w, self.m, self.n = w, rows, cols
        self.steps = steps
        self.R, self.C = len(rows), len(cols)
        self.row_names, self.col_names = row_names, col_names
        self.row = [Fraction(1)] * self.R
        self.col = [Fraction(1)] * self.C
        self.s: Matrix = [[0] * self.C for _ in range(self.R)]

    def q(self, i: int, j: int) -> Fraction:
        return self.w[i][j] * self.row[i] * self.col[j]

    def up(self, i: int, j: int) -> bool:
        return self.w[i][j] > 0 and self.q(i, j) == self.steps(self.s[i][j])

    def down(self, i: int, j: int) -> bool:
        return self.w[i][j] > 0 and self.s[i][j] > 0 and self.q(i, j) == self.steps(self.s[i][j] - 1)

    def fit_columns(self) -> None:
        for j in range(self.C):
            weights = [self.w[i][j] * self.row[i] for i in range(self.R)]
            seats, self.col[j] = _vector(weights, self.n[j], self.steps, f"party {self.col_names[j]!r}")
            for i in range(self.R):
                self.s[i][j] = seats[i]

    def fit_rows(self) -> None:
        for i in range(self.R):
            weights = [self.w[i][j] * self.col[j] for j in range(self.C)]
            seats, self.row[i] = _vector(weights, self.m[i], self.steps, f"district {self.row_names[i]!r}")
            self.s[i] = seats

    def row_flaw(self) -> int:
        return sum(abs(sum(self.s[i]) - self.m[i]) for i in range(self.R))

    def col_flaw(self) -> int:
        return sum(abs(sum(self.s[i][j] for i in range(self.R)) - self.n[j]) for j in range(self.C))

    def alternate(self, rounds: int = 40) -> None:
        """Alternating scaling, ending with the columns fitted (the rows may still be off)."""
        best = math.inf
        stale = 0
        for _ in range(rounds):
            self.fit_columns()
            flaw = self.row_flaw()
            if flaw == 0:
                return
            self.fit_rows()
            if self.col_flaw() == 0:
                return
            if flaw < best:
                best, stale = flaw, 0
            else:
                stale += 1
                if stale >= 3:
                    break
        self.fit_columns()

    def transfer(self) -> None:
        """Tie and transfer: move seats from districts with too many to districts with too few."""
        excess = [sum(self.s[i]) - self.m[i] for i in range(self.R)]
        while True:
            start = next((i for i in range(self.R) if excess[i] > 0), None)
            if start is None:
                return
            end = self._one_transfer(start, excess)
            excess[start] -= 1
            excess[end] += 1

    def _one_transfer(self, start: int, excess: list[int]) -> int:
        row_parent: dict[int, int | None] = {start: None}
        col_parent: dict[int, int] = {}
        while True:
            queue_rows = list(row_parent)
            queue_cols = list(col_parent)
            while queue_rows or queue_cols:
                while queue_rows:
                    i = queue_rows.pop()
                    for j in range(self.C):
                        if j not in col_parent and self.down(i, j):
                            col_parent[j] = i
                            queue_cols.append(j)
                while queue_cols:
                    j = queue_cols.pop()
                    for k in range(self.R):
                        if k not in row_parent and self.up(k, j):
                            row_parent[k] = j
                            if excess[k] < 0:
                                self._shift(k, row_parent, col_parent)
                                return k
                            queue_rows.append(k)
            self._scale(set(row_parent), set(col_parent))

    def _shift(self, end: int, row_parent: dict[int, int | None], col_parent: dict[int, int]) -> None:
        k = end
        while True:
            j = row_parent[k]
            if j is None:
                return
            i = col_parent[j]
            self.s[k][j] += 1
            self.s[i][j] -= 1
            k = i

    def _scale(self, rows: set[int], cols: set[int]) -> None:
        """Shrink the labelled rows' multipliers (and grow the labelled columns') to the next tie."""
        best: Fraction | None = None
        for i in range(self.R):
            for j in range(self.C):
                if self.w[i][j] == 0 or ((i in rows) == (j in cols)):
                    continue
                q = self.q(i, j)
                if i in rows:  # quotient shrinks: bounded below by d(s - 1)
                    floor_ = self.steps(self.s[i][j] - 1)
                    if floor_ == 0:
                        continue
                    t = floor_ / q
                else:  # quotient grows: bounded above by d(s)
                    t = q / self.steps(self.s[i][j])
                if best is None or t > best:
                    best = t
        if best is None:
            names = ", ".join(self.row_names[i] for i in sorted(rows))
            raise InvalidSeatsError(
                f"no biproportional apportionment exists: districts {names} hold more seats than "
                "the parties standing there can take at the given party totals"
            )
        for i in rows:
            self.row[i] *= best
        for j in cols:
            self.col[j] /= best

    # --- ties ------------------------------------------------------------------------

    def tie_cycle(self, frozen: set[tuple[int, int]]) -> list[tuple[int, int, int]] | None:
        """A cycle of ties (cells with +1 or -1) that moves seats without changing any margin."""
        # nodes: ("r", i) and ("c", j); up-tie (i, j): r_i -> c_j (+1); down-tie (i, j): c_j -> r_i (-1)
        def out(node: tuple[str, int]) -> list[tuple[tuple[str, int], tuple[int, int, int]]]:
            kind, x = node
            edges = []
            if kind == "r":
                for j in range(self.C):
                    if (x, j) not in frozen and self.up(x, j):
                        edges.append((("c", j), (x, j, 1)))
            else:
                for i in range(self.R):
                    if (i, x) not in frozen and self.down(i, x):
                        edges.append((("r", i), (i, x, -1)))
            return edges

        color: dict[tuple[str, int], int] = {}
        for root in [("r", i) for i in range(self.R)] + [("c", j) for j in range(self.C)]:
            if root in color:
                continue
            stack = [(root, out(root), 0)]
            path: list[tuple[int, int, int]] = []
            on_path = {root: 0}
            color[root] = 1
            while stack:
                node, edges, k = stack[-1]
                if k == len(edges):
                    stack.pop()
                    color[node] = 2
                    del on_path[node]
                    if path:
                        path.pop()
                    continue
                stack[-1] = (node, edges, k + 1)
                nxt, cell = edges[k]
                if color.get(nxt) == 1:
                    at = on_path[nxt]
                    return [*path[at:], cell]
                if nxt not in color:
                    color[nxt] = 1
                    on_path[nxt] = len(path) + 1
                    path.append(cell)
                    stack.append((nxt, out(nxt), 0))
        return None


def _settle(state: _Lower, votes: Matrix, policy: str, seed: int | None) -> tuple[TieEvent, ...]:
    """Find every cycle of ties; raise, or settle each one by the policy and record it."""
    frozen: set[tuple[int, int]] = set()
    events: list[TieEvent] = []
    rng: random.Random | None = None
    while True:
        cycle = state.tie_cycle(frozen)
        if cycle is None:
            return tuple(events)
        cells = sorted(cycle)
        name = {(i, j): f"{state.row_names[i]}/{state.col_names[j]}" for i, j, _ in cells}
        gain = [(i, j) for i, j, sign in cells if sign > 0]
        lose = [(i, j) for i, j, sign in cells if sign < 0]
        detail = (f"the seat can sit in {', '.join(name[c] for c in lose)} or in "
                  f"{', '.join(name[c] for c in gain)}: both satisfy the divisors exactly")
        tied = tuple(name[(i, j)] for i, j, _ in cells)
        if policy == "error":
            event = TieEvent((), tied, (), "error", detail)
            raise TieError(
                f"biproportional tie between cells {', '.join(tied)} ({detail}); "
                "choose a tie policy (ties='lot' with a seed, 'most-votes' or 'order')",
                event,
            )
        if policy == "order":
            flip = cells[0][2] > 0
            note = "; listed order decides"
        elif policy == "most-votes":
            top = max(votes[i][j] for i, j, _ in cells)
            leaders = {sign for i, j, sign in cells if votes[i][j] == top}
            if len(leaders) > 1:
                event = TieEvent((), tied, (), "error", detail)
                raise TieError(f"biproportional tie between cells {', '.join(tied)} ({detail}); "
                               f"most-votes cannot decide: the leading cells have {top} votes each", event)
            flip = leaders == {1}
            note = "; more votes decide"
        else:  # lot
            if rng is None:
                if seed is None:
                    seed = random.SystemRandom().randrange(2**32)
                rng = random.Random(seed)
            flip = rng.randrange(2) == 1
            note = f"; lot with seed {seed}"
        if flip:
            for i, j, sign in cells:
                state.s[i][j] += sign
        winners = tuple(name[c] for c in (gain if flip else lose))
        used_seed = seed if policy == "lot" else None
        events.append(TieEvent((), tied, winners, policy, detail + note, seed=used_seed))
        frozen.update((i, j) for i, j, _ in cells)


def _tidy(state: _Lower) -> tuple[list[Fraction], list[Fraction]]:
    """Simple exact divisors that certify the final seats: party divisors near 1.

    Each divisor is replaced, one at a time, by the simplest fraction inside the interval
    the other side's divisors allow, so every intermediate pair still certifies the seats.
    """
    steps, w, s = state.steps, state.w, state.s
    dr = [1 / x for x in state.row]
    dc = [1 / x for x in state.col]
    big = max(range(state.C), key=lambda j: (state.n[j], -j)) if state.C else None
    if big is not None:
        scale = dc[big]
        dc = [x / scale for x in dc]
        dr = [x * scale for x in dr]

    def interval(
        cells: list[tuple[int, int]], other: Callable[[int, int], Fraction]
    ) -> tuple[Fraction, Fraction | None]:
        lo, hi = Fraction(0), None
        for i, j in cells:
            if w[i][j] == 0:
                continue
            base = Fraction(w[i][j]) / other(i, j)
            lo = max(lo, base / steps(s[i][j]))
            below = steps(s[i][j] - 1)
            if below > 0:
                cap = base / below
                hi = cap if hi is None else min(hi, cap)
        return lo, hi

    for _ in range(2):
        for j in range(state.C):
            lo, hi = interval([(i, j) for i in range(state.R)], lambda i, _j: dr[i])
            if lo > 0 or hi is not None:
                dc[j] = _pick(lo, hi)
        for i in range(state.R):
            lo, hi = interval([(i, j) for j in range(state.C)], lambda _i, j: dc[j])
            if lo > 0 or hi is not None:
                dr[i] = _pick(lo, hi)
    return dr, dc


def lower_apportionment(
    votes: Matrix,
    district_seats: list[int],
    party_seats: list[int],
    signpost: Signpost,
    *,
    districts: tuple[str, ...] | None = None,
    parties: tuple[str, ...] | None = None,
    ties: str = "error",
    seed: int | None = None,
) -> tuple[Matrix, list[Fraction], list[Fraction], tuple[TieEvent, ...]]:
    """The lower apportionment of a vote matrix with given margins, exactly.

    Returns the seat matrix, the district divisors, the party divisors (of the squares
    when the signpost compares squares) and the ties settled.

    Examples
    --------
    >>> from seats.methods.signposts import SAINTE_LAGUE
    >>> seats, dd, pd, ties = lower_apportionment([[6100, 2900, 1000], [1900, 5200, 2900]], [5, 5], [4, 4, 2],
    ...                                           SAINTE_LAGUE)
    >>> seats
    [[3, 1, 1], [1, 3, 1]]
    >>> dd, pd
    ([Fraction(1743, 1), Fraction(1692, 1)], [Fraction(1, 1), Fraction(6, 5), Fraction(8, 7)])
    """
    policy = check_policy(ties)
    R, C = len(district_seats), len(party_seats)
    rows = districts or tuple(f"row {i + 1}" for i in range(R))
    cols = parties or tuple(f"column {j + 1}" for j in range(C))
    if sum(district_seats) != sum(party_seats):
        raise InvalidSeatsError(
            f"the districts hold {sum(district_seats)} seats but the party totals "
            f"add up to {sum(party_seats)}"
        )
    p = signpost.power
    w = [[v**p for v in row] for row in votes]
    state = _Lower(w, list(district_seats), list(party_seats), _Steps(signpost), rows, cols)
    if R and C:
        state.alternate()
        state.transfer()
    events = _settle(state, votes, policy, seed)
    dr, dc = _tidy(state)
    return state.s, dr, dc, events


# --- the public entry point ------------------------------------------------------------


def _divisor_spec(method: str | MethodSpec | Callable[[int], Any]) -> MethodSpec:
    spec = resolve(method)
    if spec.signpost is None:
        raise UnknownMethodError(
            f"biproportional apportionment needs a divisor method; {spec.id!r} is {spec.family} "
            "(try 'sainte-lague' or 'dhondt')"
        )
    return spec


def biproportional(
    votes: Mapping[str, Mapping[str, Any]],
    district_seats: Mapping[str, int],
    *,
    party_seats: Mapping[str, int] | None = None,
    method: str | MethodSpec | Callable[[int], Any] = "sainte-lague",
    ties: str = "error",
    seed: int | None = None,
) -> BiproportionalAllocation:
    """Apportion seats to districts and parties at once (biproportional divisor method).

    Parameters
    ----------
    votes:
        ``district -> party -> votes`` (whole, non-negative). A party missing from a
        district has 0 votes there. Districts and parties keep their first-seen order.
    district_seats:
        ``district -> magnitude``; must name exactly the districts of ``votes``.
    party_seats:
        ``party -> seats`` (the upper apportionment). By default ``method`` apportions the
        sum of the magnitudes to the parties' national vote totals. A party left out
        gets no seats.
    method:
        A divisor method (id, alias or signpost function): its rounding rounds every cell.
    ties:
        ``"error"`` (default) raises :class:`~seats.errors.TieError` naming the cells when two
        different apportionments both satisfy the divisors; ``"order"`` (earlier district,
        then earlier party, keeps the seat), ``"most-votes"`` (the cell with most votes) and
        ``"lot"`` (with ``seed``) settle each cycle of ties and record it in ``.ties``. The
        policy applies to the upper apportionment too.

    Raises
    ------
    InvalidVotesError, InvalidSeatsError
        Bad votes or magnitudes, margins that do not add up, or margins no matrix can meet.
    UnknownMethodError
        ``method`` is not a divisor method.

    Examples
    --------
    >>> import seats
    >>> votes = {"North": {"A": 6100, "B": 2900, "C": 1000}, "South": {"A": 1900, "B": 5200, "C": 2900}}
    >>> a = seats.biproportional(votes, {"North": 5, "South": 5}, method="dhondt")
    >>> {d: dict(row) for d, row in a.seats.items()}
    {'North': {'A': 3, 'B': 2, 'C': 0}, 'South': {'A': 1, 'B': 2, 'C': 2}}
    >>> a.district_divisors["North"], a.party_divisors["C"], a.verify()
    (Fraction(1526, 1), Fraction(2, 3), True)
    """
    spec = _divisor_spec(method)
    assert spec.signpost is not None
    policy = check_policy(ties)
    if not isinstance(votes, Mapping):
        raise InvalidVotesError(f"votes must map district -> party -> votes, got {type(votes).__name__}")
    districts: list[str] = []
    parties: dict[str, None] = {}
    table: dict[str, dict[str, int]] = {}
    for district, row in votes.items():
        name = str(district)
        if not isinstance(row, Mapping):
            raise InvalidVotesError(f"district {name!r}: expected a mapping party -> votes, got {row!r}")
        try:
            names, counts = normalise_votes(row)
        except InvalidVotesError as err:
            raise InvalidVotesError(f"district {name!r}: {err}") from None
        districts.append(name)
        table[name] = dict(zip(names, counts, strict=True))
        parties.update(dict.fromkeys(names))
    magnitudes: dict[str, int] = {}
    for district, m in district_seats.items():
        try:
            magnitudes[str(district)] = check_house(m)
        except InvalidSeatsError as err:
            raise InvalidSeatsError(f"district {district!r}: {err}") from None
    missing = [d for d in districts if d not in magnitudes]
    extra = [d for d in magnitudes if d not in table]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"no magnitude for {', '.join(map(repr, missing))}")
        if extra:
            parts.append(f"no votes for {', '.join(map(repr, extra))}")
        raise InvalidSeatsError("district_seats and votes must name the same districts: " + "; ".join(parts))
    party_list = tuple(parties)
    upper: Allocation | None = None
    if party_seats is None:
        from seats.methods.api import apportion

        totals = {p: sum(table[d].get(p, 0) for d in districts) for p in party_list}
        upper = apportion(totals, sum(magnitudes.values()), method=spec, ties=policy, seed=seed)
        totals_seats = dict(upper.seats)
    else:
        unknown = [str(p) for p in party_seats if str(p) not in parties]
        if unknown:
            raise InvalidSeatsError(
                f"party_seats names parties with no votes: {', '.join(map(repr, unknown))}"
            )
        totals_seats = {}
        for p in party_list:
            try:
                totals_seats[p] = check_house(party_seats.get(p, 0))
            except InvalidSeatsError as err:
                raise InvalidSeatsError(f"party {p!r}: {err}") from None
    matrix = [[table[d].get(p, 0) for p in party_list] for d in districts]
    rows = [magnitudes[d] for d in districts]
    cols = [totals_seats[p] for p in party_list]
    seat_matrix, dr, dc, events = lower_apportionment(
        matrix, rows, cols, spec.signpost,
        districts=tuple(districts), parties=party_list, ties=policy, seed=seed,
    )
    upper_ties = upper.ties if upper is not None else ()
    return BiproportionalAllocation(
        method=spec.id,
        districts=tuple(districts),
        parties=party_list,
        votes=MappingProxyType({d: MappingProxyType(dict(zip(party_list, matrix[i], strict=True)))
                                for i, d in enumerate(districts)}),
        district_seats=MappingProxyType(dict(zip(districts, rows, strict=True))),
        party_seats=MappingProxyType(dict(zip(party_list, cols, strict=True))),
        seats=MappingProxyType({d: MappingProxyType(dict(zip(party_list, seat_matrix[i], strict=True)))
                                for i, d in enumerate(districts)}),
        district_divisors=MappingProxyType(dict(zip(districts, dr, strict=True))),
        party_divisors=MappingProxyType(dict(zip(party_list, dc, strict=True))),
        squared=spec.signpost.power == 2,
        ties=(*upper_ties, *events),
        upper=upper,
        signpost=spec.signpost,
    )
