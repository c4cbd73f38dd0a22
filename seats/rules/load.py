"""Loading rule sets: TOML files, district tables, overrides, and validation.

A rule set is a TOML file (``rulesets/<id>/ruleset.toml``) with district tables
inline or as CSV files beside it. Shipped rule sets are found by id; third-party
packages add theirs through the entry-point group ``seats.rulesets`` (each entry
point loads to a path, or to a callable returning one). Any field can be
overridden without editing the file::

    load_ruleset("ve-2020-an", overrides={"tiers.state-list.method": "sainte-lague"})

Keys: a top-level field (``ties``, ``total_seats``, ``name``), ``tiers.<tier>.<field>``,
``tiers.<tier>.districts.<district>.seats``, or ``links.<n>.<field>`` (``n`` from 0).

A tier's ``method`` is a registered method id, or ``"biproportional"``: the tier is then
allocated jointly over all its districts (:func:`seats.biproportional`), with the divisor
rounding of its ``options`` (``options = { rounding = "dhondt" }``; default Sainte-Laguë)
for both the upper and the lower apportionment::

    load_ruleset("ve-2020-an", overrides={"tiers.state-list.method": "biproportional",
                                          "tiers.state-list.options": {"rounding": "dhondt"}})

Examples
--------
>>> rs = load_ruleset("ve-2020-an", overrides={"tiers.state-list.method": "webster"})
>>> rs.tier("state-list").method, rs.total_seats
('sainte-lague', 277)
>>> rs = load_ruleset("ve-2020-an", overrides={"tiers.state-list.method": "biproportional",
...                                            "tiers.state-list.options": '{ rounding = "dhondt" }'})
>>> rs.tier("state-list").method, rs.tier("state-list").rounding
('biproportional', 'dhondt')
"""

from __future__ import annotations

import copy
import csv
import io
import logging
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import metadata, resources
from os import PathLike
from pathlib import Path, PurePosixPath
from typing import Any

from seats.errors import RuleSetError, SeatsError, close_matches
from seats.methods._input import as_fraction
from seats.methods.registry import resolve
from seats.methods.ties import check_policy
from seats.rules.model import (
    BASES,
    BIPROPORTIONAL,
    DEFAULT_ROUNDING,
    KINDS,
    LINK_KINDS,
    District,
    Link,
    ReservedResult,
    RuleSet,
    Tier,
)

__all__ = ["ENTRY_POINT_GROUP", "RuleSetInfo", "available_rulesets", "build_ruleset", "load_ruleset",
           "resolve_default_votes", "shipped_dir", "shipped_fixtures"]

ENTRY_POINT_GROUP = "seats.rulesets"
log = logging.getLogger(__name__)
_TOP_KEYS = {"id", "name", "election_date", "total_seats", "ties", "default_votes", "sources", "notes",
             "tier", "link", "country", "legal_basis"}
_TIER_KEYS = {"id", "name", "kind", "method", "seats", "districts", "source", "threshold",
              "threshold_scope", "threshold_level", "ties", "results", "options", "notes"}
_LINK_KEYS = {"kind", "tiers", "upper", "lower", "level", "overhang", "notes"}
# Method options the engine passes itself: a tier's own ``options`` table may not set them.
_ENGINE_OPTIONS = frozenset({"threshold", "ties", "seed", "prior_seats"})
# The options of a biproportional tier (a tier-level method, not in the registry).
_BIPROPORTIONAL_OPTIONS = ("rounding",)


def shipped_dir() -> Path:
    """Folder of the rule sets shipped with the package (``rulesets/`` in a checkout).

    >>> (shipped_dir() / "ve-2020-an" / "ruleset.toml").is_file()
    True
    """
    try:
        root = resources.files("seats._rulesets")
        return Path(str(root))
    except ModuleNotFoundError:  # pragma: no cover - running from a bare checkout
        return Path(__file__).resolve().parents[2] / "rulesets"


@dataclass(frozen=True, slots=True)
class RuleSetInfo:
    """A rule set that can be loaded: id, where it lives, and where it came from."""

    id: str
    path: Path
    origin: str


def _plugin_path(ep: metadata.EntryPoint) -> Path:
    """The ``ruleset.toml`` an entry point stands for (it loads to a path or a callable returning one)."""
    where = f"entry point {ep.name!r} ({ep.value}) in group {ENTRY_POINT_GROUP!r}"
    try:
        target = ep.load()
        if callable(target):
            target = target()
    except Exception as err:  # any failure inside third-party code becomes one clear error
        raise RuleSetError(f"{where} failed to load: {type(err).__name__}: {err}") from None
    if not isinstance(target, str | PathLike) and not hasattr(target, "joinpath"):
        raise RuleSetError(f"{where} gave {target!r}; expected a path to a rule set "
                           "(a folder or a .toml file)")
    path = Path(str(target))
    if path.is_dir():
        path = path / "ruleset.toml"
    if not path.is_file():
        raise RuleSetError(f"{where} points to {str(path)!r}, which does not exist")
    return path


def _plugins() -> list[tuple[str, str, metadata.EntryPoint]]:
    return [(ep.name, ep.value, ep) for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)]


def _shipped() -> dict[str, RuleSetInfo]:
    base = shipped_dir()
    found = sorted(base.glob("*/ruleset.toml"))
    return {t.parent.name: RuleSetInfo(t.parent.name, t, "shipped") for t in found}


def available_rulesets() -> list[RuleSetInfo]:
    """Shipped and installed rule sets, shipped first, each id once.

    A plugin whose entry point fails to load is left out of the list and
    logged; loading it by id raises the error.

    >>> "ve-2020-an" in [info.id for info in available_rulesets()]
    True
    """
    out = _shipped()
    for name, value, ep in _plugins():
        if name in out:
            log.warning("rule set %r from entry point %s is shadowed by %s", name, value, out[name].origin)
            continue
        try:
            out[name] = RuleSetInfo(name, _plugin_path(ep), f"plugin {value}")
        except RuleSetError as err:
            log.warning("%s", err)
    return list(out.values())


def _locate(ref: str | Path) -> Path:
    candidate = Path(ref)
    if candidate.suffix == ".toml" or candidate.exists():
        if candidate.is_dir():
            candidate = candidate / "ruleset.toml"
        if not candidate.exists():
            raise RuleSetError(f"rule set file {str(candidate)!r} does not exist")
        return candidate
    shipped = _shipped()
    if str(ref) in shipped:
        return shipped[str(ref)].path
    plugins = _plugins()
    for name, _, ep in plugins:
        if name == str(ref):
            return _plugin_path(ep)
    known = sorted({*shipped, *(name for name, _, _ in plugins)})
    raise RuleSetError(f"unknown rule set {str(ref)!r}{close_matches(str(ref), known)}; "
                       f"known: {', '.join(known)}")


def _parse_value(text: str) -> Any:
    """A CLI override value: TOML syntax if it parses (numbers, booleans, lists), else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _apply_overrides(raw: dict[str, Any], overrides: Mapping[str, Any], where: str) -> None:
    tiers = {t.get("id"): t for t in raw.get("tier", []) if isinstance(t, dict)}
    for key, value in overrides.items():
        if isinstance(value, str):
            value = _parse_value(value)
        parts = key.split(".")
        if parts[0] in ("tiers", "tier") and len(parts) >= 3:
            tier = tiers.get(parts[1])
            if tier is None:
                hint = close_matches(parts[1], [str(t) for t in tiers])
                raise RuleSetError(f"{where}: override {key!r}: no tier {parts[1]!r}{hint}")
            if parts[2] == "districts" and len(parts) == 5:
                _override_district(tier, parts[3], parts[4], value, where, key)
                continue
            fields = sorted(_TIER_KEYS - {"id", "districts"})
            if len(parts) != 3 or parts[2] not in fields:
                name = ".".join(parts[2:])
                raise RuleSetError(f"{where}: override {key!r}: unknown tier field {name!r}"
                                   f"{close_matches(name, fields)}; fields: {', '.join(fields)}")
            tier[parts[2]] = value
        elif parts[0] in ("links", "link") and len(parts) == 3:
            links = raw.get("link", [])
            try:
                link = links[int(parts[1])]
            except (ValueError, IndexError):
                raise RuleSetError(f"{where}: override {key!r}: no link number {parts[1]!r} "
                                   f"(there are {len(links)})") from None
            if parts[2] not in _LINK_KEYS:
                raise RuleSetError(f"{where}: override {key!r}: unknown link field {parts[2]!r}"
                                   f"{close_matches(parts[2], sorted(_LINK_KEYS))}; "
                                   f"fields: {', '.join(sorted(_LINK_KEYS))}")
            link[parts[2]] = value
        elif len(parts) == 1 and parts[0] in _TOP_KEYS - {"id", "tier", "link"}:
            raw[parts[0]] = value
        else:
            top = sorted(_TOP_KEYS - {"id", "tier", "link"})
            raise RuleSetError(f"{where}: override {key!r} names no field of the rule set"
                               f"{close_matches(key, top)} "
                               "(use ties, total_seats, tiers.<tier>.<field>, "
                               "tiers.<tier>.districts.<district>.seats or links.<n>.<field>)")


def _override_district(tier: dict[str, Any], district: str, field: str, value: Any, where: str,
                       key: str) -> None:
    if field != "seats":
        raise RuleSetError(f"{where}: override {key!r}: only a district's seats can be overridden, "
                           f"not {field!r}")
    patches = tier.setdefault("_district_overrides", {})
    patches[district] = value


def _read_csv(path: Path, where: str) -> list[dict[str, str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise RuleSetError(f"{where}: file {str(path)!r} does not exist") from None
    except UnicodeDecodeError:
        raise RuleSetError(f"{where}: file {str(path)!r} is not UTF-8") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        for k in list(row):
            if k is None:
                raise RuleSetError(f"{where}: {path.name}: a row has more cells than the header")
    return rows


def _int_field(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise RuleSetError(f"{where}: expected a whole number, got {value!r}")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise RuleSetError(f"{where}: expected a whole number, got {value!r}") from None
    if number < 0:
        raise RuleSetError(f"{where}: must not be negative, got {number}")
    return number


def _districts(spec: Any, base: Path, where: str, patches: Mapping[str, Any]) -> tuple[District, ...]:
    if isinstance(spec, str):
        rows: list[dict[str, Any]] = list(_read_csv(base / spec, where))
        label = spec
    elif isinstance(spec, list):
        rows = [dict(r) for r in spec]
        label = "districts"
    else:
        raise RuleSetError(f"{where}: 'districts' must be a CSV file name or a list of tables")
    seen: set[str] = set()
    out = []
    for n, row in enumerate(rows, 2 if isinstance(spec, str) else 1):
        here = f"{where} {label} {'line' if isinstance(spec, str) else 'entry'} {n}"
        did = str(row.get("id", "")).strip()
        if not did:
            raise RuleSetError(f"{here}: district without an id")
        if did in seen:
            raise RuleSetError(f"{here}: district {did!r} listed twice")
        seen.add(did)
        basis = str(row.get("basis", "") or "").strip().lower()
        if basis not in BASES:
            raise RuleSetError(f"{here}: basis {basis!r} is not one of {', '.join(b for b in BASES if b)}")
        seats = _int_field(patches.get(did, row.get("seats", "")), f"{here} field 'seats'")
        out.append(District(did, seats, str(row.get("name", "") or ""), str(row.get("parent", "") or ""),
                            basis, str(row.get("source", "") or "")))
    unknown = sorted(set(patches) - seen)
    if unknown:
        hint = close_matches(unknown[0], sorted(seen))
        raise RuleSetError(f"{where}: override names unknown district {unknown[0]!r}{hint}")
    return tuple(out)


def _results(spec: Any, base: Path, where: str) -> tuple[ReservedResult, ...]:
    if spec is None:
        return ()
    if isinstance(spec, str):
        rows: list[dict[str, Any]] = list(_read_csv(base / spec, where))
        label, unit, first = spec, "line", 2
    elif isinstance(spec, list) and all(isinstance(r, dict) for r in spec):
        rows, label, unit, first = [dict(r) for r in spec], "results", "entry", 1
    else:
        raise RuleSetError(f"{where} field 'results': must be a CSV file name or a list of tables")
    out = []
    for n, row in enumerate(rows, first):
        here = f"{where} {label} {unit} {n}"
        for col in ("district", "option"):
            if not str(row.get(col, "") or "").strip():
                raise RuleSetError(f"{here}: missing {col!r}")
        option = str(row["option"]).strip()
        party = str(row.get("party", "") or "").strip() or option
        alliance = str(row.get("alliance", "") or "").strip() or party
        out.append(ReservedResult(str(row["district"]).strip(), option, party, alliance,
                                  _int_field(row.get("seats", 1) or 1, f"{here} field 'seats'"),
                                  str(row.get("basis", "") or ""), str(row.get("source", "") or "")))
    return tuple(out)


def _tier(raw: Mapping[str, Any], base: Path, where: str) -> Tier:
    tid = raw.get("id")
    if not isinstance(tid, str) or not tid:
        raise RuleSetError(f"{where}: a [[tier]] without an 'id'")
    here = f"{where}: tier {tid!r}"
    unknown = sorted(set(raw) - _TIER_KEYS - {"_district_overrides"})
    if unknown:
        hint = close_matches(unknown[0], sorted(_TIER_KEYS))
        raise RuleSetError(f"{here}: unknown field {unknown[0]!r}{hint}")
    kind = raw.get("kind", "list")
    if kind not in KINDS:
        raise RuleSetError(f"{here} field 'kind': {kind!r} is not one of {', '.join(KINDS)}")
    method_name = raw.get("method")
    if not isinstance(method_name, str):
        raise RuleSetError(f"{here}: field 'method' is required (a registered method id, "
                           f"or {BIPROPORTIONAL!r})")
    if method_name.strip().lower() == BIPROPORTIONAL:
        method = BIPROPORTIONAL
    else:
        try:
            method = resolve(method_name).id
        except SeatsError as err:
            raise RuleSetError(f"{here} field 'method': {err} (or {BIPROPORTIONAL!r}, "
                               "which allocates the tier jointly over its districts)") from None
    if "districts" not in raw:
        raise RuleSetError(f"{here}: field 'districts' is required")
    patches = raw.get("_district_overrides", {})
    districts = _districts(raw["districts"], base, here, patches)
    declared = raw.get("seats")
    total = sum(d.seats for d in districts)
    if declared is not None:
        declared = _int_field(declared, f"{here} field 'seats'")
        if declared != total:
            hint = (f" (after overriding {', '.join(sorted(patches))}; also set tiers.{tid}.seats={total} "
                    "and total_seats to match)") if patches else ""
            raise RuleSetError(f"{here}: the district magnitudes add up to {total}, "
                               f"not the declared seats = {declared}{hint}")
    threshold = None
    if raw.get("threshold") not in (None, "", 0):
        try:
            threshold = as_fraction(raw["threshold"], "threshold")
        except SeatsError as err:
            raise RuleSetError(f"{here} field 'threshold': {err}") from None
    scope = raw.get("threshold_scope", "district")
    if scope not in ("district", "tier"):
        raise RuleSetError(f"{here} field 'threshold_scope': {scope!r} is not 'district' or 'tier'")
    level = raw.get("threshold_level", "option")
    if level not in ("option", "party", "alliance"):
        raise RuleSetError(f"{here} field 'threshold_level': {level!r} is not option, party or alliance")
    ties = raw.get("ties")
    if ties is not None:
        try:
            ties = check_policy(ties)
        except SeatsError as err:
            raise RuleSetError(f"{here} field 'ties': {err}") from None
    source = raw.get("source")
    if kind == "derived" and not source:
        raise RuleSetError(f"{here}: a derived tier needs 'source' (the tier whose votes it sums)")
    if kind != "derived" and source:
        raise RuleSetError(f"{here}: only a derived tier takes 'source'")
    results = _results(raw.get("results"), base, here)
    if results and kind != "reserved":
        raise RuleSetError(f"{here} field 'results': only a reserved tier has its seats given as results")
    for r in results:
        if r.district not in {d.id for d in districts}:
            raise RuleSetError(f"{here}: results name unknown district {r.district!r}")
    if results:
        given: dict[str, int] = {}
        for r in results:
            given[r.district] = given.get(r.district, 0) + r.seats
        for d in districts:
            if given.get(d.id, 0) != d.seats:
                raise RuleSetError(f"{here}: results give {given.get(d.id, 0)} seats in {d.id!r}, "
                                   f"which elects {d.seats}")
    if method == "plurality" and not results:
        for d in districts:
            if d.seats > 1:
                raise RuleSetError(f"{here} field 'method': plurality fills one seat, but district {d.id!r} "
                                   f"elects {d.seats}; use 'block', 'limited' or 'sntv'")
    options = raw.get("options", {})
    if not isinstance(options, dict):
        raise RuleSetError(f"{here} field 'options': must be a table of method options")
    if method == BIPROPORTIONAL:
        return Tier(tid, kind, method, total, districts, str(raw.get("name", "") or ""), source, threshold,
                    scope, level, ties, results, _biproportional_options(options, here))
    takes = sorted(resolve(method).options() - _ENGINE_OPTIONS)
    for name in options:
        if name not in takes:
            raise RuleSetError(f"{here} field 'options': method {method!r} does not take option {name!r}"
                               f"{close_matches(str(name), takes)}; it takes {', '.join(takes) or 'none'}"
                               + (" (the rule set sets this one itself)" if name in _ENGINE_OPTIONS else ""))
    return Tier(tid, kind, method, total, districts, str(raw.get("name", "") or ""), source, threshold,
                scope, level, ties, results, dict(options))


def _biproportional_options(options: Mapping[str, Any], here: str) -> dict[str, Any]:
    """A biproportional tier's options: ``rounding``, a divisor method for both apportionments."""
    for name in options:
        if name not in _BIPROPORTIONAL_OPTIONS:
            raise RuleSetError(f"{here} field 'options': method {BIPROPORTIONAL!r} does not take option "
                               f"{name!r}{close_matches(str(name), list(_BIPROPORTIONAL_OPTIONS))}; "
                               f"it takes {', '.join(_BIPROPORTIONAL_OPTIONS)}")
    rounding = options.get("rounding", DEFAULT_ROUNDING)
    if not isinstance(rounding, str):
        raise RuleSetError(f"{here} field 'options.rounding': expected a divisor method id, got {rounding!r}")
    try:
        spec = resolve(rounding)
    except SeatsError as err:
        raise RuleSetError(f"{here} field 'options.rounding': {err}") from None
    if spec.family != "divisor":
        raise RuleSetError(f"{here} field 'options.rounding': {rounding!r} is a {spec.family} method; "
                           "a biproportional tier rounds with a divisor method (sainte-lague, dhondt, ...)")
    return {"rounding": spec.id}


def _link(raw: Mapping[str, Any], tiers: Mapping[str, Tier], where: str, n: int) -> Link:
    here = f"{where}: link {n}"
    unknown = sorted(set(raw) - _LINK_KEYS)
    if unknown:
        hint = close_matches(unknown[0], sorted(_LINK_KEYS))
        raise RuleSetError(f"{here}: unknown field {unknown[0]!r}{hint}")
    kind = raw.get("kind")
    if kind not in LINK_KINDS:
        raise RuleSetError(f"{here} field 'kind': {kind!r} is not one of {', '.join(LINK_KINDS)}")
    names = list(raw.get("tiers", []))
    upper, lower = raw.get("upper"), raw.get("lower")
    if kind != "parallel":
        if not upper or not lower:
            raise RuleSetError(f"{here}: a {kind} link needs 'upper' (the list tier) "
                               "and 'lower' (the nominal tier)")
        names += [upper, lower]
    for name in names:
        if name not in tiers:
            raise RuleSetError(f"{here}: unknown tier {name!r}{close_matches(str(name), list(tiers))}")
    level = raw.get("level", "party")
    if level not in ("party", "alliance"):
        raise RuleSetError(f"{here} field 'level': {level!r} is not 'party' or 'alliance'")
    overhang = raw.get("overhang", "reallocate")
    if overhang != "reallocate":
        raise RuleSetError(f"{here} field 'overhang': only 'reallocate' is supported, got {overhang!r}")
    if kind != "parallel":
        up, low = tiers[str(upper)], tiers[str(lower)]
        if upper == lower:
            raise RuleSetError(f"{here}: tier {upper!r} cannot be linked to itself")
        for t in (up, low):
            if not t.has_votes and t.kind != "derived":
                raise RuleSetError(f"{here}: tier {t.id!r} has its seats given as results; "
                                   f"a {kind} link needs tiers decided by votes")
        if up.biproportional:
            raise RuleSetError(f"{here}: tier {upper!r} is allocated biproportionally (jointly over its "
                               f"districts), so it cannot be the upper tier of a {kind} link; "
                               "use a per-district method or a parallel link")
        if kind == "additional-member" and resolve(up.method).family != "divisor":
            raise RuleSetError(f"{here}: the upper tier of an additional-member link must use a divisor "
                               f"method; tier {upper!r} uses {up.method!r}")
        up_ids = set(up.district_ids)
        for d in low.districts:
            home = d.parent if len(up_ids) > 1 else next(iter(up_ids))
            if home not in up_ids:
                raise RuleSetError(f"{here}: district {d.id!r} of tier {lower!r} has parent {d.parent!r}, "
                                   f"which is not a district of tier {upper!r}")
    return Link(kind, tuple(raw.get("tiers", [])), upper, lower, level, overhang)


def _check_acyclic(tiers: Mapping[str, Tier], links: Iterable[Link], where: str) -> None:
    after: dict[str, set[str]] = {t: set() for t in tiers}
    for t in tiers.values():
        if t.source:
            if t.source not in tiers:
                raise RuleSetError(f"{where}: tier {t.id!r} field 'source': unknown tier {t.source!r}"
                                   f"{close_matches(t.source, list(tiers))}")
            after[t.id].add(t.source)
    for link in links:
        if link.upper and link.lower:
            after[link.upper].add(link.lower)
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == 1:
            cycle = " -> ".join([*path[path.index(node):], node])
            raise RuleSetError(f"{where}: tiers depend on each other in a cycle: {cycle}")
        if state.get(node) == 2:
            return
        state[node] = 1
        for nxt in sorted(after[node]):
            visit(nxt, [*path, node])
        state[node] = 2

    for node in tiers:
        visit(node, [])


def shipped_fixtures() -> Path:
    """Folder of the vote tables shipped with the package (``fixtures/`` in a checkout).

    >>> (shipped_fixtures() / "vectors" / "known_answers.json").is_file()
    True
    """
    try:
        return Path(str(resources.files("seats._fixtures")))
    except ModuleNotFoundError:  # pragma: no cover - running from a bare checkout
        return Path(__file__).resolve().parents[2] / "fixtures"


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def resolve_default_votes(ref: object, ruleset_file: Path | None) -> Path | None:
    """Where a rule set's ``default_votes`` table is, in a checkout and in an installed package.

    ``ref`` is a path relative to the rule-set file (``../../fixtures/<id>/votes.csv`` in the
    repository), an absolute path, or ``fixtures:<id>/votes.csv`` for the fixtures shipped with
    seats. An installed wheel puts ``rulesets/`` and ``fixtures/`` inside the package as
    ``seats/_rulesets/`` and ``seats/_fixtures/``, where the relative path no longer leads to the
    file; for a shipped rule set the part after ``fixtures/`` is then looked up in the shipped
    fixtures. The result may not exist (allocating without votes then says so).

    >>> where = resolve_default_votes("fixtures:ve-2020-an/votes.csv", None)
    >>> where == shipped_fixtures() / "ve-2020-an" / "votes.csv"
    True
    >>> resolve_default_votes("", None) is None
    True
    """
    if not ref:
        return None
    text = str(ref).replace("\\", "/")
    if text.startswith("fixtures:"):
        return shipped_fixtures() / text.removeprefix("fixtures:").lstrip("/")
    given = Path(text)
    base = ruleset_file.parent if ruleset_file is not None else Path.cwd()
    path = given if given.is_absolute() else (base / given).resolve()
    if path.exists() or ruleset_file is None or not _inside(ruleset_file, shipped_dir()):
        return path
    parts = PurePosixPath(text).parts
    if "fixtures" in parts:
        last = len(parts) - 1 - parts[::-1].index("fixtures")
        shipped = shipped_fixtures().joinpath(*parts[last + 1:])
        if shipped.exists():
            return shipped
    return path


def build_ruleset(raw: Mapping[str, Any], path: Path | None = None,
                  overrides: Mapping[str, Any] | None = None) -> RuleSet:
    """Validate a parsed rule-set document and build the :class:`RuleSet`.

    ``raw`` is the TOML document as a dict (it is not modified); relative file
    names in it (district tables, results, ``default_votes``) are read beside
    ``path``, or in the working directory without one. Every problem raises
    :class:`~seats.errors.RuleSetError` naming the file and the field.

    >>> rs = build_ruleset({"id": "toy", "total_seats": 3, "tier": [
    ...     {"id": "list", "method": "dhondt", "districts": [{"id": "N", "seats": 3}]}]})
    >>> rs.tier("list").seats, rs.tier("list").kind
    (3, 'list')
    """
    where = str(path) if path is not None else "rule set"
    base = path.parent if path is not None else Path.cwd()
    doc: dict[str, Any] = copy.deepcopy(dict(raw))
    if overrides:
        _apply_overrides(doc, overrides, where)
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        hint = close_matches(unknown[0], sorted(_TOP_KEYS))
        raise RuleSetError(f"{where}: unknown field {unknown[0]!r}{hint}")
    for key in ("id", "total_seats"):
        if key not in doc:
            raise RuleSetError(f"{where}: field {key!r} is required")
    tier_raw = doc.get("tier", [])
    if not isinstance(tier_raw, list) or not tier_raw:
        raise RuleSetError(f"{where}: at least one [[tier]] is required")
    tiers: dict[str, Tier] = {}
    for t in tier_raw:
        if not isinstance(t, dict):
            raise RuleSetError(f"{where}: each [[tier]] must be a table, got {t!r}")
        tier = _tier(t, base, where)
        if tier.id in tiers:
            raise RuleSetError(f"{where}: tier {tier.id!r} defined twice")
        tiers[tier.id] = tier
    link_raw = doc.get("link", [])
    if not isinstance(link_raw, list) or not all(isinstance(x, dict) for x in link_raw):
        raise RuleSetError(f"{where}: 'link' must be a list of [[link]] tables")
    links = tuple(_link(link, tiers, where, n) for n, link in enumerate(link_raw))
    uppers: dict[str, int] = {}
    for n, link in enumerate(links):
        if link.kind != "parallel" and link.upper:
            if link.upper in uppers:
                raise RuleSetError(f"{where}: link {n}: tier {link.upper!r} is already the upper tier of "
                                   f"link {uppers[link.upper]}; a tier can be linked above one tier only")
            uppers[link.upper] = n
    _check_acyclic(tiers, links, where)
    for t in tiers.values():
        if t.kind == "derived":
            src = tiers[t.source or ""]
            if not src.has_votes and src.kind != "derived":
                raise RuleSetError(f"{where}: tier {t.id!r} field 'source': tier {src.id!r} has its seats "
                                   "given as results, so it has no votes to sum")
            if len(t.districts) > 1:
                for d in src.districts:
                    if d.parent not in set(t.district_ids):
                        raise RuleSetError(f"{where}: tier {t.id!r} sums tier {src.id!r} by parent district, "
                                           f"but {d.id!r} has parent {d.parent!r}")
    total = _int_field(doc["total_seats"], f"{where} field 'total_seats'")
    tier_total = sum(t.seats for t in tiers.values())
    if total != tier_total:
        detail = " + ".join(f"{t.id} {t.seats}" for t in tiers.values())
        raise RuleSetError(f"{where}: total_seats = {total} but the tiers add up to {tier_total} ({detail})")
    try:
        ties = check_policy(doc.get("ties", "error"))
    except SeatsError as err:
        raise RuleSetError(f"{where} field 'ties': {err}") from None
    when = doc.get("election_date")
    if when is not None and not isinstance(when, date):
        try:
            when = date.fromisoformat(str(when))
        except ValueError:
            raise RuleSetError(f"{where} field 'election_date': {when!r} is not a date "
                               "(YYYY-MM-DD)") from None
    sources = doc.get("sources", [])
    if isinstance(sources, str) or not isinstance(sources, list):
        raise RuleSetError(f"{where} field 'sources': must be a list of strings")
    default_votes = resolve_default_votes(doc.get("default_votes"), path)
    return RuleSet(
        id=str(doc["id"]),
        name=str(doc.get("name", doc["id"])),
        total_seats=total,
        tiers=tuple(tiers.values()),
        links=links,
        ties=ties,
        election_date=when,
        sources=tuple(str(s) for s in sources),
        notes=str(doc.get("notes", "")),
        path=path,
        default_votes=default_votes,
    )


def load_ruleset(ref: str | Path, *, overrides: Mapping[str, Any] | None = None) -> RuleSet:
    """Load a rule set by id (shipped or plugin) or by path, with optional field overrides.

    >>> load_ruleset("ve-2020-an").total_seats
    277
    """
    path = _locate(ref)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise RuleSetError(f"{path}: not valid TOML: {err}") from None
    except UnicodeDecodeError:
        raise RuleSetError(f"{path}: not UTF-8") from None
    return build_ruleset(raw, path, overrides)
