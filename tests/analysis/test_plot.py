"""SVG pictures (seats/analysis/plot.py): well-formed, deterministic, and they count right."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seats
from seats.analysis.plot import (
    PALETTE,
    hemicycle_layout,
    hemicycle_svg,
    palette,
    seats_votes_svg,
    write_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
VOTES_2020 = Path(__file__).resolve().parents[2] / "fixtures" / "ve-2020-an" / "votes.csv"
ASSEMBLY = {"Left": 40, "Greens": 12, "Centre": 25, "Right": 33, "Far right": 7}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def seat_circles(root: ET.Element) -> list[ET.Element]:
    return [c for c in root.iter(f"{SVG}circle") if "seat" in c.get("class", "").split()]


@pytest.fixture(scope="module")
def result_2020() -> seats.ElectionResult:
    if not VOTES_2020.exists():
        pytest.skip("fixtures/ve-2020-an/votes.csv is not built yet")
    return seats.load_ruleset("ve-2020-an").allocate()


# --- layout ------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 13, 48, 96, 167, 277, 545])
def test_layout_has_one_place_per_seat_from_left_to_right(n: int) -> None:
    layout = hemicycle_layout(n)
    assert len(layout) == n
    assert len({(s.row, round(s.angle, 9)) for s in layout}) == n  # no two seats in one place
    angles = [s.angle for s in layout]
    assert angles == sorted(angles, reverse=True)
    assert all(0 <= s.angle <= math.pi and 0 < s.radius <= 1 for s in layout)


# --- hemicycle ----------------------------------------------------------------------------


def test_hemicycle_is_well_formed_and_byte_identical_on_rerun() -> None:
    first = hemicycle_svg(ASSEMBLY, title="Test assembly")
    assert first == hemicycle_svg(ASSEMBLY, title="Test assembly")
    root = parse(first)
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title") is not None
    assert "Test assembly" in first


def test_one_dot_per_seat_and_one_colour_per_alliance() -> None:
    root = parse(hemicycle_svg(ASSEMBLY))
    dots = seat_circles(root)
    assert len(dots) == sum(ASSEMBLY.values())
    assert Counter(d.get("data-alliance") for d in dots) == Counter(ASSEMBLY)
    colours: dict[str, set[str]] = {}
    for d in dots:
        colours.setdefault(d.get("data-alliance", ""), set()).add(d.get("fill", ""))
    assert all(len(c) == 1 for c in colours.values())
    assert len({next(iter(c)) for c in colours.values()}) == len(ASSEMBLY)
    # most seats first, so the palette's first colour goes to the largest group
    assert colours["Left"] == {PALETTE[0]} and colours["Right"] == {PALETTE[1]}


def test_legend_lists_every_group_with_its_seats() -> None:
    root = parse(hemicycle_svg(ASSEMBLY))
    items = {g.get("data-alliance"): int(g.get("data-seats", "-1"))
             for g in root.iter(f"{SVG}g") if g.get("class") == "legend-item"}
    assert items == ASSEMBLY


def test_groups_are_contiguous_blocks_in_the_given_order() -> None:
    order = ["Far right", "Right", "Centre", "Greens", "Left"]
    root = parse(hemicycle_svg(ASSEMBLY, order=order))
    sequence = [d.get("data-alliance") for d in seat_circles(root)]
    blocks = [g for i, g in enumerate(sequence) if i == 0 or sequence[i - 1] != g]
    assert blocks == order


def _centre(root: ET.Element) -> tuple[float, float]:
    group = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "seats")
    return float(group.get("data-cx", "nan")), float(group.get("data-cy", "nan"))


@settings(max_examples=25)
@given(st.dictionaries(st.sampled_from(list("ABCDEFG")), st.integers(0, 60), min_size=1))
def test_majority_line_has_a_majority_on_its_left(assembly: dict[str, int]) -> None:
    n = sum(assembly.values())
    root = parse(hemicycle_svg(assembly))
    lines = [x for x in root.iter(f"{SVG}line") if x.get("class") == "majority"]
    if n == 0:
        assert lines == []
        return
    (line,) = lines
    majority = int(line.get("data-majority", "0"))
    assert majority == n // 2 + 1
    angle = float(line.get("data-angle", "nan"))
    cx, cy = _centre(root)
    angles = [math.atan2(cy - float(d.get("cy", "0")), float(d.get("cx", "0")) - cx)
              for d in seat_circles(root)]
    strictly_left = sum(a > angle + 1e-4 for a in angles)
    left_or_on = sum(a >= angle - 1e-4 for a in angles)
    assert strictly_left <= majority <= left_or_on
    # the line is radial: both ends on the ray from the centre at that angle
    for x, y in ((line.get("x1"), line.get("y1")), (line.get("x2"), line.get("y2"))):
        assert x is not None and y is not None
        assert math.isclose(math.atan2(cy - float(y), float(x) - cx), angle, abs_tol=1e-3)


def test_reserved_seats_are_rings_in_their_groups_colour() -> None:
    root = parse(hemicycle_svg({"A": 5, "B": 4}, reserved={"B": 2}))
    rings = [d for d in seat_circles(root) if "reserved" in d.get("class", "")]
    assert len(rings) == 2
    assert {d.get("data-alliance") for d in rings} == {"B"}
    assert {d.get("stroke") for d in rings} == {PALETTE[1]} and {d.get("fill") for d in rings} == {"#ffffff"}
    legend = [g for g in root.iter(f"{SVG}g") if g.get("class") == "legend-item reserved"]
    assert len(legend) == 1 and legend[0].get("data-seats") == "2"


def test_colours_can_be_chosen() -> None:
    svg = hemicycle_svg({"A": 2, "B": 1}, colors={"B": "#123456"})
    fills = {d.get("data-alliance"): d.get("fill") for d in seat_circles(parse(svg))}
    assert fills == {"A": PALETTE[0], "B": "#123456"}


def test_palette_is_deterministic_beyond_its_length() -> None:
    names = [f"g{i}" for i in range(40)]
    first = palette(names)
    assert first == palette(names)
    assert len(set(first.values())) == 40
    assert all(len(c) == 7 and c.startswith("#") for c in first.values())


def test_text_is_escaped() -> None:
    svg = hemicycle_svg({"A & B <list>": 3}, title='"Quotes" & <tags>')
    root = parse(svg)
    assert root.find(f"{SVG}title").text == '"Quotes" & <tags>'  # type: ignore[union-attr]
    assert {d.get("data-alliance") for d in seat_circles(root)} == {"A & B <list>"}


def test_allocation_input() -> None:
    a = seats.apportion({"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}, 8, method="dhondt")
    root = parse(hemicycle_svg(a))
    assert Counter(d.get("data-alliance") for d in seat_circles(root)) == Counter({"A": 4, "B": 3, "C": 1})
    assert "dhondt: 8 seats" in hemicycle_svg(a)


@pytest.mark.parametrize(
    ("source", "kwargs", "pattern"),
    [
        ({"A": -1}, {}, r"seats for 'A' must be a whole, non-negative number, got -1"),
        ({"A": 1.5}, {}, r"seats for 'A' must be a whole, non-negative number, got 1.5"),
        ({"A": 2}, {"reserved": {"A": 3}}, r"reserved seats for 'A' \(3\) exceed its seats \(2\)"),
        ({"A": 2}, {"order": ["B"]}, r"order names unknown groups: 'B'"),
        ([1, 2], {}, r"expected an election result, an allocation or a mapping, got list"),
    ],
)
def test_hemicycle_errors(source: object, kwargs: dict[str, object], pattern: str) -> None:
    with pytest.raises(seats.SeatsError, match=pattern):
        hemicycle_svg(source, **kwargs)  # type: ignore[arg-type]


def test_ve_2020_hemicycle(result_2020: seats.ElectionResult) -> None:
    svg = hemicycle_svg(result_2020)
    assert svg == hemicycle_svg(result_2020)
    root = parse(svg)
    dots = seat_circles(root)
    assert len(dots) == 277
    by = result_2020.by("alliance")
    expected = {a: n for a, n in zip(by["alliance"].to_list(), by["seats"].to_list(), strict=True) if n}
    assert Counter(d.get("data-alliance") for d in dots) == Counter(expected)
    reserved = [d for d in dots if "reserved" in d.get("class", "")]
    assert len(reserved) == result_2020.tier("indigenous").total == 3
    line = next(x for x in root.iter(f"{SVG}line") if x.get("class") == "majority")
    assert line.get("data-majority") == "139"


# --- seats against votes ----------------------------------------------------------------------


def test_seats_votes_points_and_diagonal() -> None:
    votes = {"A": 600, "B": 300, "C": 100}
    svg = seats_votes_svg({"A": 6, "B": 3, "C": 1}, votes=votes)
    assert svg == seats_votes_svg({"A": 6, "B": 3, "C": 1}, votes=votes)
    root = parse(svg)
    points = {c.get("data-alliance"): c for c in root.iter(f"{SVG}circle") if c.get("class") == "point"}
    assert set(points) == {"A", "B", "C"}
    assert points["A"].get("data-vote-share") == "0.600000"
    assert points["A"].get("data-seat-share") == "0.600000"
    assert points["C"].get("data-vote-share") == "0.100000"
    (diag,) = [x for x in root.iter(f"{SVG}line") if x.get("class") == "diagonal"]
    dx = float(diag.get("x2", "0")) - float(diag.get("x1", "0"))
    dy = float(diag.get("y1", "0")) - float(diag.get("y2", "0"))
    assert dx > 0 and math.isclose(dx, dy)
    # a perfectly proportional party lies on the diagonal
    x, y = float(points["B"].get("cx", "0")), float(points["B"].get("cy", "0"))
    x1, y1 = float(diag.get("x1", "0")), float(diag.get("y1", "0"))
    assert math.isclose(x - x1, y1 - y, abs_tol=0.02)


def test_seats_votes_needs_votes_for_a_mapping() -> None:
    with pytest.raises(seats.SeatsError, match="needs votes="):
        seats_votes_svg({"A": 1})
    with pytest.raises(seats.SeatsError, match="no votes to chart"):
        seats_votes_svg({"A": 1}, votes={"A": 0})


def test_seats_votes_from_an_allocation() -> None:
    a = seats.apportion({"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}, 8, method="dhondt")
    root = parse(seats_votes_svg(a))
    shares = {c.get("data-alliance"): c.get("data-seat-share") for c in root.iter(f"{SVG}circle")
              if c.get("class") == "point"}
    assert shares == {"A": "0.500000", "B": "0.375000", "C": "0.125000", "D": "0.000000"}


def test_ve_2020_seats_votes(result_2020: seats.ElectionResult) -> None:
    svg = seats_votes_svg(result_2020)
    assert "state-list votes" in svg
    root = parse(svg)
    points = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "point"]
    assert len(points) == result_2020.by("alliance").height
    assert math.isclose(sum(float(c.get("data-seat-share", "0")) for c in points), 1.0, abs_tol=1e-4)
    with pytest.raises(seats.SeatsError, match="no tier 'nope'"):
        seats_votes_svg(result_2020, tier="nope")


# --- writing ---------------------------------------------------------------------------------


def test_write_svg_writes_bytes_and_refuses_an_input(tmp_path: Path) -> None:
    target = tmp_path / "a.svg"
    svg = hemicycle_svg({"A": 3})
    write_svg(svg, target)
    assert target.read_bytes() == svg.encode("utf-8")
    source = tmp_path / "votes.csv"
    source.write_text("x\n")
    with pytest.raises(seats.OutputError, match="refusing to overwrite an input file"):
        write_svg(svg, source, inputs=[source])
    assert source.read_text() == "x\n"
    with pytest.raises(seats.OutputError, match="does not exist"):
        write_svg(svg, tmp_path / "missing" / "a.svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.svg", "votes.csv"]  # no temporary left behind
