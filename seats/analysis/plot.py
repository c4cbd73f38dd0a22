"""Pictures of an assembly as plain SVG text: a hemicycle, and seats against votes.

No plotting library is needed: the SVG is written by hand, so the same input always
gives byte-identical output (fixed number formatting, no timestamps, no random ids).
Each seat is a ``<circle class="seat">`` carrying ``data-alliance``; reserved seats
have ``class="seat reserved"`` and are drawn as rings; the majority line is
``<line class="majority">``. Colours come from a fixed palette in the order the
groups are drawn, or from ``colors=``.

Examples
--------
>>> from seats.analysis.plot import hemicycle_svg
>>> svg = hemicycle_svg({"Left": 6, "Centre": 3, "Right": 4}, title="Example")
>>> svg.count('class="seat"'), 'data-majority="7"' in svg
(13, True)
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from xml.sax.saxutils import escape, quoteattr

from seats.errors import SeatsError
from seats.results import Allocation
from seats.rules import ElectionResult

__all__ = [
    "PALETTE",
    "Seat",
    "hemicycle_layout",
    "hemicycle_svg",
    "palette",
    "seats_votes_svg",
    "write_svg",
]

#: Colours given to groups in the order they are drawn (Okabe-Ito, then Tableau's 10).
PALETTE = (
    "#D55E00", "#0072B2", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
    "#4E79A7", "#F28E2B", "#59A14F", "#B07AA1", "#9C755F", "#EDC948", "#76B7B2", "#FF9DA7",
)

WIDTH = 800


def _f(x: float) -> str:
    """Fixed formatting for coordinates: two decimals, never ``-0.00``."""
    text = f"{x:.2f}"
    return "0.00" if text == "-0.00" else text


def palette(names: Sequence[str], colors: Mapping[str, str] | None = None) -> dict[str, str]:
    """A colour per name: ``colors`` where given, else the next colour of :data:`PALETTE`.

    Beyond the palette, colours are spread around the hue circle by the golden angle.

    >>> palette(["A", "B"], {"B": "#123456"})
    {'A': '#D55E00', 'B': '#123456'}
    """
    out: dict[str, str] = {}
    k = 0
    for name in names:
        if colors and name in colors:
            out[name] = colors[name]
            continue
        if k < len(PALETTE):
            out[name] = PALETTE[k]
        else:
            hue = (k * 137.508) % 360.0
            out[name] = _hsl_hex(hue, 0.55, 0.5)
        k += 1
    return out


def _hsl_hex(h: float, s: float, lum: float) -> str:
    c = (1 - abs(2 * lum - 1)) * s
    x = c * (1 - abs((h / 60.0) % 2 - 1))
    m = lum - c / 2
    r, g, b = [(c, x, 0.0), (x, c, 0.0), (0.0, c, x), (0.0, x, c), (x, 0.0, c), (c, 0.0, x)][int(h // 60) % 6]
    return "#" + "".join(f"{round((v + m) * 255):02X}" for v in (r, g, b))


def _title_size(text: str, largest: float) -> float:
    """A font size at which ``text`` fits the width (about 0.56 em per character)."""
    return min(largest, (WIDTH - 40) / (0.56 * max(1, len(text))))


def _columns(labels: Sequence[str], font: float) -> int:
    """How many legend columns fit the longest label (about 0.6 em per character)."""
    longest = max((len(x) for x in labels), default=0)
    for cols in (3, 2):
        if longest * 0.6 * font + 24 <= (WIDTH - 60) / cols:
            return cols
    return 1


# --- the hemicycle ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Seat:
    """One seat of a hemicycle: its row (0 = innermost), angle (radians, pi = far left) and radius (0-1]."""

    row: int
    angle: float
    radius: float


_INNER = 0.4  # inner radius of the hemicycle, as a fraction of the outer one


def _rows_for(n: int) -> int:
    """Rows such that seats are about as far apart along a row as the rows are from each other.

    With rows from radius 0.4 to 1 the row gap is 0.6 / (rows - 1) and the spacing along the
    rows about pi * 0.7 * rows / n; they match when n = (0.7 pi / 0.6) rows (rows - 1).
    """
    if n <= 3:
        return 1 if n else 0
    rows = 2
    while 0.7 * math.pi / (1 - _INNER) * rows * (rows - 1) < n:
        rows += 1
    return rows


def hemicycle_layout(n: int) -> list[Seat]:
    """Seat positions for ``n`` seats in concentric half rings, ordered from left to right.

    Rows share the seats in proportion to their radius (largest remainders, integers only);
    within a row the seats are evenly spaced from the far left to the far right.

    >>> seats = hemicycle_layout(5)
    >>> len(seats), seats[0].angle == math.pi, round(seats[-1].angle, 9)
    (5, True, 0.0)
    """
    rows = _rows_for(n)
    if rows == 0:
        return []
    radii = [1.0] if rows == 1 else [_INNER + (1 - _INNER) * k / (rows - 1) for k in range(rows)]
    weights = [round(r * 1_000_000) for r in radii]
    total = sum(weights)
    counts = [n * w // total for w in weights]
    order = sorted(range(rows), key=lambda k: (-((n * weights[k]) % total), -k))
    for k in order[: n - sum(counts)]:
        counts[k] += 1
    out: list[Seat] = []
    for k, (r, c) in enumerate(zip(radii, counts, strict=True)):
        for i in range(c):
            angle = math.pi / 2 if c == 1 else math.pi * (1 - i / (c - 1))
            out.append(Seat(k, angle, r))
    out.sort(key=lambda s: (-round(s.angle, 9), s.row))
    return out


def _alliance_seats(result: ElectionResult, level: str) -> tuple[dict[str, int], dict[str, int]]:
    frame = result.by(level)
    total = dict(zip(frame[level].to_list(), frame["seats"].to_list(), strict=True))
    reserved: dict[str, int] = {}
    for t in result.tiers:
        if t.tier.kind == "reserved":
            for name, n in zip(t.by(level)[level].to_list(), t.by(level)["seats"].to_list(), strict=True):
                reserved[name] = reserved.get(name, 0) + int(n)
    return total, reserved


def _seat_counts(source: ElectionResult | Allocation | Mapping[str, int], level: str,
                 reserved: Mapping[str, int] | None) -> tuple[dict[str, int], dict[str, int], str]:
    if isinstance(source, ElectionResult):
        counts, found = _alliance_seats(source, level)
        title = f"{source.ruleset.name}: {source.total} seats"
        return counts, dict(reserved) if reserved is not None else found, title
    if isinstance(source, Allocation):
        counts = dict(source.seats)
        title = f"{source.method}: {source.house_size} seats"
    elif isinstance(source, Mapping):
        counts = {}
        for name, n in source.items():
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise SeatsError(f"seats for {name!r} must be a whole, non-negative number, got {n!r}")
            counts[str(name)] = n
        title = f"{sum(counts.values())} seats"
    else:
        raise SeatsError(
            f"expected an election result, an allocation or a mapping, got {type(source).__name__}"
        )
    return counts, dict(reserved or {}), title


def hemicycle_svg(
    source: ElectionResult | Allocation | Mapping[str, int],
    *,
    title: str | None = None,
    colors: Mapping[str, str] | None = None,
    reserved: Mapping[str, int] | None = None,
    level: str = "alliance",
    order: Sequence[str] | None = None,
) -> str:
    """The assembly as a hemicycle: one dot per seat, coloured by group, as SVG text.

    Parameters
    ----------
    source:
        An election result (seats per ``level``; reserved tiers' seats are marked), an
        allocation (seats per party), or a mapping group -> seats.
    title:
        Heading (default: the rule set's name and the number of seats).
    colors:
        Group -> CSS colour, overriding the palette.
    reserved:
        Group -> how many of its seats are reserved (drawn as rings). For an election
        result the default is every seat won in a ``reserved`` tier.
    level:
        ``"alliance"`` or ``"party"`` for an election result.
    order:
        Groups from left to right (default: most seats first, as given for ties).

    Returns
    -------
    str
        A complete SVG document; the same input always gives the same text.

    Examples
    --------
    >>> svg = hemicycle_svg({"A": 3, "B": 2}, reserved={"B": 1})
    >>> svg.count('class="seat"'), svg.count('class="seat reserved"')
    (4, 1)
    """
    counts, marked, default_title = _seat_counts(source, level, reserved)
    for name, k in marked.items():
        if k > counts.get(name, 0):
            raise SeatsError(f"reserved seats for {name!r} ({k}) exceed its seats ({counts.get(name, 0)})")
    if order is not None:
        unknown = [g for g in order if g not in counts]
        if unknown:
            raise SeatsError(f"order names unknown groups: {', '.join(map(repr, unknown))}")
        groups = [*order, *(g for g in counts if g not in order)]
    else:
        groups = sorted(counts, key=lambda g: -counts[g])  # stable: ties keep the given order
    groups = [g for g in groups if counts[g] > 0]
    n = sum(counts[g] for g in groups)
    colour = palette(groups, colors)
    layout = hemicycle_layout(n)

    rows = _rows_for(n)
    per_row = Counter(seat.row for seat in layout)
    spacing = min((math.pi * seat.radius / max(1, per_row[seat.row] - 1) for seat in layout), default=1.0)
    gap = (1 - _INNER) / (rows - 1) if rows > 1 else spacing
    size = min(0.42 * min(spacing, gap), 0.1)  # dot radius over hemicycle radius
    radius = (WIDTH / 2 - 20) / (1 + size)
    cx, cy = WIDTH / 2, radius + 70
    dot = max(1.5, size * radius)

    heading = title if title is not None else default_title
    labels = [f"{g} ({counts[g]})" for g in groups]
    if any(marked.values()):
        labels.append(f"reserved seat ({sum(marked.values())})")
    cols = _columns(labels, 14)
    legend_rows = (len(labels) + cols - 1) // cols
    height = int(cy + 30 + 28 * legend_rows + 20)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif">',
        f"<title>{escape(heading)}</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text class="title" x="{_f(cx)}" y="34" text-anchor="middle" '
        f'font-size="{_f(_title_size(heading, 20))}">{escape(heading)}</text>',
        f'<g class="seats" data-cx="{_f(cx)}" data-cy="{_f(cy)}">',
    ]
    k = 0
    for g in groups:
        ring = marked.get(g, 0)
        for i in range(counts[g]):
            s = layout[k]
            k += 1
            x = cx + radius * s.radius * math.cos(s.angle)
            y = cy - radius * s.radius * math.sin(s.angle)
            if i >= counts[g] - ring:
                out.append(f'<circle class="seat reserved" data-alliance={quoteattr(g)} cx="{_f(x)}" '
                           f'cy="{_f(y)}" r="{_f(dot * 0.8)}" fill="#ffffff" stroke="{colour[g]}" '
                           f'stroke-width="{_f(dot * 0.4)}"/>')
            else:
                out.append(f'<circle class="seat" data-alliance={quoteattr(g)} cx="{_f(x)}" cy="{_f(y)}" '
                           f'r="{_f(dot)}" fill="{colour[g]}"/>')
    out.append("</g>")
    if n:
        majority = n // 2 + 1
        left = layout[majority - 1].angle
        right = layout[majority].angle if majority < n else 0.0
        angle = (left + right) / 2
        r0, r1 = max(0.0, min(s.radius for s in layout) - 0.08), 1.06
        x0, y0 = cx + radius * r0 * math.cos(angle), cy - radius * r0 * math.sin(angle)
        x1, y1 = cx + radius * r1 * math.cos(angle), cy - radius * r1 * math.sin(angle)
        out.append(f'<line class="majority" data-majority="{majority}" data-angle="{angle:.6f}" '
                   f'x1="{_f(x0)}" y1="{_f(y0)}" x2="{_f(x1)}" y2="{_f(y1)}" stroke="#333333" '
                   'stroke-width="2" stroke-dasharray="6 4"/>')
        out.append(f'<text class="majority-label" x="{_f(cx)}" y="{_f(cy + 22)}" text-anchor="middle" '
                   f'font-size="14">majority: {majority} of {n}</text>')
    out.append('<g class="legend" font-size="14">')
    entries: list[tuple[str, str]] = []
    for g in groups:
        entries.append((
            f'<g class="legend-item" data-alliance={quoteattr(g)} data-seats="{counts[g]}">',
            f'<circle cx="{{x}}" cy="{{y}}" r="7" fill="{colour[g]}"/>'
            f'<text x="{{tx}}" y="{{ty}}">{escape(g)} ({counts[g]})</text></g>',
        ))
    if any(marked.values()):
        total_marked = sum(marked.values())
        entries.append((
            f'<g class="legend-item reserved" data-seats="{total_marked}">',
            '<circle cx="{x}" cy="{y}" r="5.5" fill="#ffffff" stroke="#333333" stroke-width="3"/>'
            f'<text x="{{tx}}" y="{{ty}}">reserved seat ({total_marked})</text></g>',
        ))
    top = cy + 50
    for idx, (head, body) in enumerate(entries):
        col, row = idx % cols, idx // cols
        x, y = 30 + col * (WIDTH - 60) / cols, top + row * 28
        out.append(head + body.format(x=_f(x), y=_f(y), tx=_f(x + 14), ty=_f(y + 5)))
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


# --- seats against votes ---------------------------------------------------------------------


def _vote_tier(result: ElectionResult, tier: str | None) -> str:
    if tier is not None:
        result.tier(tier)
        return tier
    for t in result.tiers:
        if t.tier.kind == "list":
            return t.id
    for t in result.tiers:
        if any(d.votes for d in t.districts):
            return t.id
    raise SeatsError("this result has no tier with votes")


def _shares(source: ElectionResult | Allocation | Mapping[str, int], votes: Mapping[str, int] | None,
            tier: str | None, level: str) -> tuple[dict[str, int], dict[str, int], str]:
    if isinstance(source, ElectionResult):
        seats_by, _ = _alliance_seats(source, level)
        which = _vote_tier(source, tier)
        frame = source.tier(which).to_polars()
        got: dict[str, int] = {}
        for name, v in zip(frame[level].to_list(), frame["votes"].to_list(), strict=True):
            got[name] = got.get(name, 0) + int(v or 0)
        if votes is not None:
            got = {str(k): int(v) for k, v in votes.items()}
        title = f"{source.ruleset.name}: seats vs votes ({which} votes)"
        return seats_by, got, title
    if isinstance(source, Allocation):
        return dict(source.seats), dict(votes or source.votes_by_party), f"{source.method}: seats vs votes"
    if votes is None:
        raise SeatsError("a mapping of seats needs votes= (group -> votes) for a seats-versus-votes chart")
    return {str(k): int(v) for k, v in source.items()}, {str(k): int(v) for k, v in votes.items()}, \
        "seats vs votes"


def _nice_top(x: float) -> float:
    for top in (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
        if x <= top + 1e-12:
            return top
    return 1.0


def seats_votes_svg(
    source: ElectionResult | Allocation | Mapping[str, int],
    *,
    votes: Mapping[str, int] | None = None,
    tier: str | None = None,
    title: str | None = None,
    colors: Mapping[str, str] | None = None,
    level: str = "alliance",
) -> str:
    """Seat share against vote share per group, with the diagonal of perfect proportionality.

    Parameters
    ----------
    source:
        An election result (seats of the whole assembly per ``level``; votes of ``tier``,
        by default its first list tier), an allocation, or a mapping group -> seats
        (then ``votes`` is required).
    votes:
        Group -> votes, overriding the votes taken from ``source``.
    tier:
        For an election result: the tier whose votes give the vote shares.
    title, colors, level:
        As for :func:`hemicycle_svg`.

    Examples
    --------
    >>> svg = seats_votes_svg({"A": 6, "B": 2, "C": 0}, votes={"A": 600, "B": 300, "C": 100})
    >>> svg.count('class="point"'), 'class="diagonal"' in svg
    (3, True)
    """
    seats_by, votes_by, default_title = _shares(source, votes, tier, level)
    names = sorted(dict.fromkeys([*seats_by, *votes_by]),
                   key=lambda g: (-seats_by.get(g, 0), -votes_by.get(g, 0)))
    total_seats = sum(seats_by.values())
    total_votes = sum(votes_by.values())
    if total_votes <= 0:
        raise SeatsError("no votes to chart")
    vs = {g: Fraction(votes_by.get(g, 0), total_votes) for g in names}
    ss = {g: Fraction(seats_by.get(g, 0), total_seats) if total_seats else Fraction(0) for g in names}
    top = _nice_top(float(max([*vs.values(), *ss.values()])))
    colour = palette(names, colors)

    left, plot, bottom_pad = 80, 560, 70
    labels = {g: f"{g}: {float(vs[g]) * 100:.1f}% of votes, {seats_by.get(g, 0)} "
                 f"seat{'' if seats_by.get(g, 0) == 1 else 's'}" for g in names}
    cols = _columns(list(labels.values()), 13)
    height = 40 + plot + bottom_pad + 24 * ((len(names) + cols - 1) // cols) + 20
    y_base = 50 + plot

    def px(share: float) -> float:
        return left + plot * share / top

    def py(share: float) -> float:
        return y_base - plot * share / top

    heading = title if title is not None else default_title
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif">',
        f"<title>{escape(heading)}</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text class="title" x="{WIDTH // 2}" y="30" text-anchor="middle" '
        f'font-size="{_f(_title_size(heading, 18))}">{escape(heading)}</text>',
        '<g class="grid" stroke="#dddddd" stroke-width="1">',
    ]
    step = 0.01 if top <= 0.05 else 0.05 if top <= 0.3 else 0.1
    ticks = [round(step * i, 6) for i in range(round(top / step) + 1)]
    for t in ticks:
        out.append(f'<line x1="{_f(px(t))}" y1="{_f(py(0))}" x2="{_f(px(t))}" y2="{_f(py(top))}"/>')
        out.append(f'<line x1="{_f(px(0))}" y1="{_f(py(t))}" x2="{_f(px(top))}" y2="{_f(py(t))}"/>')
    out.append("</g>")
    out.append(f'<g class="axes" stroke="#333333" stroke-width="1.5"><line x1="{_f(px(0))}" y1="{_f(py(0))}" '
               f'x2="{_f(px(top))}" y2="{_f(py(0))}"/><line x1="{_f(px(0))}" y1="{_f(py(0))}" '
               f'x2="{_f(px(0))}" y2="{_f(py(top))}"/></g>')
    out.append('<g class="ticks" font-size="12" fill="#333333">')
    for t in ticks:
        label = f"{t * 100:g}%"
        out.append(f'<text x="{_f(px(t))}" y="{_f(py(0) + 18)}" text-anchor="middle">{label}</text>')
        out.append(f'<text x="{_f(px(0) - 8)}" y="{_f(py(t) + 4)}" text-anchor="end">{label}</text>')
    out.append("</g>")
    out.append(f'<text x="{_f(px(top / 2))}" y="{_f(py(0) + 42)}" text-anchor="middle" font-size="14">'
               "vote share</text>")
    out.append(f'<text x="22" y="{_f(py(top / 2))}" text-anchor="middle" font-size="14" '
               f'transform="rotate(-90 22 {_f(py(top / 2))})">seat share</text>')
    out.append(f'<line class="diagonal" x1="{_f(px(0))}" y1="{_f(py(0))}" x2="{_f(px(top))}" '
               f'y2="{_f(py(top))}" stroke="#888888" stroke-width="1.5" stroke-dasharray="5 4"/>')
    out.append('<g class="points">')
    for g in names:
        x, y = px(float(vs[g])), py(float(ss[g]))
        out.append(f'<circle class="point" data-alliance={quoteattr(g)} data-vote-share="{float(vs[g]):.6f}" '
                   f'data-seat-share="{float(ss[g]):.6f}" cx="{_f(x)}" cy="{_f(y)}" r="6" fill="{colour[g]}" '
                   'stroke="#ffffff" stroke-width="1"/>')
        if max(vs[g], ss[g]) >= Fraction(top) / 20:
            out.append(f'<text class="point-label" x="{_f(x + 9)}" y="{_f(y - 7)}" font-size="12">'
                       f"{escape(g)}</text>")
    out.append("</g>")
    out.append('<g class="legend" font-size="13">')
    for idx, g in enumerate(names):
        col, row = idx % cols, idx // cols
        x, y = 30 + col * (WIDTH - 60) / cols, y_base + bottom_pad + row * 24
        out.append(f'<g class="legend-item" data-alliance={quoteattr(g)}><circle cx="{_f(x)}" '
                   f'cy="{_f(y)}" r="6" fill="{colour[g]}"/><text x="{_f(x + 12)}" y="{_f(y + 5)}">'
                   f"{escape(labels[g])}</text></g>")
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


# --- writing -------------------------------------------------------------------------------------


def write_svg(
    svg: str, path: str | os.PathLike[str], *, inputs: Sequence[str | os.PathLike[str]] = ()
) -> None:
    """Write ``svg`` to ``path`` atomically (temporary file, then rename), never over an input.

    The same temporary-file, sync and same-file checks as :func:`seats.io.write_frame`.

    >>> import tempfile
    >>> from pathlib import Path
    >>> target = Path(tempfile.mkdtemp()) / "a.svg"
    >>> write_svg(hemicycle_svg({"A": 1}), target)
    >>> target.read_text().startswith("<svg")
    True
    """
    from seats.io.write import write_bytes

    write_bytes(svg.encode("utf-8"), path, inputs=inputs)
