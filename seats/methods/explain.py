"""Step tables for people: how each allocation came about."""

from __future__ import annotations

import functools

from seats.methods.signposts import compare
from seats.results import (
    Allocation,
    DivisorCertificate,
    PluralityCertificate,
    QuotaCertificate,
    SequentialCertificate,
)

__all__ = ["explain"]


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(str(r[c])) for r in [header, *rows]) for c in range(len(header))]
    out = []
    for r in [header, *rows]:
        cells = [
            str(x).rjust(w) if c in right else str(x).ljust(w)
            for c, (x, w) in enumerate(zip(r, widths, strict=True))
        ]
        out.append("  ".join(cells).rstrip())
    return out


def _divisor_steps(a: Allocation, cert: DivisorCertificate) -> list[str]:
    sp = cert.signpost
    votes = a.votes_by_party
    prior = cert.prior
    entries = [
        (p, votes[p], k + prior.get(p, 0)) for p in a.parties for k in range(a.seats[p]) if votes[p] > 0
    ]

    def order(x: tuple[str, int, int], y: tuple[str, int, int]) -> int:
        c = compare(sp, y[1], y[2], x[1], x[2])
        return c if c else a.parties.index(x[0]) - a.parties.index(y[0])

    entries.sort(key=functools.cmp_to_key(order))
    rows = []
    for n, (p, v, k) in enumerate(entries, 1):
        q = sp.key(v, k)
        shown = "infinity" if q is None else (f"{float(q) ** 0.5:.6g}" if cert.squared else _num(q))
        rows.append([str(n), p, str(v), sp.show(k), shown])
    contenders = [p for p in a.parties if votes[p] > 0 and p not in a.excluded]
    if contenders:
        def held(p: str) -> int:
            return a.seats[p] + prior.get(p, 0)

        def by_next_quotient(x: str, y: str) -> int:
            return compare(sp, votes[x], held(x), votes[y], held(y))

        nxt = max(contenders, key=functools.cmp_to_key(by_next_quotient))
        q = sp.key(votes[nxt], held(nxt))
        shown = "infinity" if q is None else (f"{float(q) ** 0.5:.6g}" if cert.squared else _num(q))
        rows.append(["next", nxt, str(votes[nxt]), sp.show(held(nxt)), shown])
    return _table(["seat", "party", "votes", "divisor", "quotient"], rows, {0, 2, 3, 4})


def _num(q: object) -> str:
    from fractions import Fraction

    assert isinstance(q, Fraction)
    if q.denominator == 1:
        return str(q.numerator)
    return f"{float(q):.6g}"


def explain(a: Allocation) -> str:
    """The step table of an allocation (see :meth:`Allocation.explain`)."""
    total = sum(a.votes)
    lines = [f"{a.method}: {a.house_size} seats among {len(a.parties)} parties ({total} votes)"]
    if a.excluded:
        lines.append(f"below the threshold {a.threshold}: {', '.join(a.excluded)}")
    cert = a.certificate
    if isinstance(cert, DivisorCertificate):
        lines += _divisor_steps(a, cert)
    elif isinstance(cert, QuotaCertificate):
        rows = []
        for p, v in a.votes_by_party.items():
            if p in cert.floors and p in cert.remainders:
                extra = cert.remainder_winners.count(p) - cert.removed.count(p)
                remainder = f"{float(cert.remainders[p]):.6f}"
                rows.append([p, str(v), str(cert.floors[p]), remainder, str(extra), str(a.seats[p])])
            else:
                rows.append([p, str(v), "-", "-", "-", str(a.seats[p])])
        lines.append(f"quota {cert.quota} (~{float(cert.quota):.6g})")
        header = ["party", "votes", "whole quotas", "remainder", "extra", "seats"]
        lines += _table(header, rows, {1, 2, 3, 4, 5})
    elif isinstance(cert, SequentialCertificate):
        rows = [[str(n), p] for n, p in enumerate(cert.order, 1)]
        lines += _table(["seat", "party"], rows, {0})
    elif isinstance(cert, PluralityCertificate):
        by_party = a.votes_by_party
        ranked = sorted(a.parties, key=lambda p: -by_party[p])
        rows = [
            [str(n), p, str(by_party[p]), "elected" if a.seats[p] else ""] for n, p in enumerate(ranked, 1)
        ]
        lines += _table(["rank", "candidate", "votes", ""], rows, {0, 2})
    lines.append(f"certificate: {cert.describe()}")
    for t in a.ties:
        lines.append(f"tie: {t.describe()}")
    lines.append("seats: " + ", ".join(f"{p} {n}" for p, n in a.seats.items()))
    return "\n".join(lines)
