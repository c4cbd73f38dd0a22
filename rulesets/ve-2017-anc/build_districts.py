"""Build the district tables of the two 2017 Constituent Assembly rule sets from reference data.

Inputs (copied with their sources into ``reference/`` beside this script, see ``reference/PROVENANCE.md``):
the 335 municipalities and 24 state-capital municipalities of the zokeber/venezuela-json geography, the
per-state territorial totals, the sector table and the indigenous regions.

Outputs, deterministic byte for byte (UTF-8, LF line endings)::

    <out>/ve-2017-anc/territorial_nominal.csv      311 municipalities, 1 seat each (plurality)
    <out>/ve-2017-anc/territorial_list.csv         23 state capitals x 2 + Libertador 7 (D'Hondt list)
    <out>/ve-2017-anc/sectoral.csv                 173 sectoral seats as enacted (sectors and sub-sectors)
    <out>/ve-2017-anc/indigenous.csv               8 indigenous seats in three regions
    <out>/ve-2017-anc/indigenous_results.csv       the 8 seats given as results (synthetic option ids)
    <out>/ve-2017-anc-announced/sectoral.csv       181 sectoral seats as announced in May 2017

``<out>`` defaults to the ``rulesets/`` folder. The script checks every figure it writes: each
municipality appears exactly once, per-state totals equal ``territorial_by_state.csv``, sector totals
equal the confirmed totals, and the tiers add up to 364 + 173 + 8 and 364 + 181.

State codes: the reference copies keep the upstream ``iso_3166_2`` column as it was copied, and two of
its codes are not the ISO 3166-2:VE codes of their states (Amazonas is ``VE-Z``, not ``VE-X``; Vargas,
today La Guaira, is ``VE-X``, not ``VE-W``, which is the Dependencias Federales). ``ISO_FIXES`` maps
them when the district ids are written (see ``PROVENANCE.md``).

Usage::

    python rulesets/ve-2017-anc/build_districts.py [OUTDIR]
"""

from __future__ import annotations

import csv
import io
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "reference"
HEADER = ("id", "name", "seats", "parent", "basis", "source")

# zokeber/venezuela-json's iso_31662 codes that are not the ISO 3166-2:VE code of the state they label:
# upstream code -> (state name upstream, ISO 3166-2:VE code). ISO 3166-2:VE (ISO Online Browsing Platform,
# https://www.iso.org/obp/ui/#iso:code:3166:VE; also Debian iso-codes 4.15 data/iso_3166-2.json) has
# VE-W Dependencias Federales, VE-X La Guaira (formerly Vargas) and VE-Z Amazonas. Every other
# upstream code is the ISO code of its state and is kept.
ISO_FIXES = {"VE-X": ("Amazonas", "VE-Z"), "VE-W": ("Vargas", "VE-X")}

GEOGRAPHY = (
    "zokeber/venezuela-json venezuela.json (snapshot b56efbb, 2017-07-14; CC BY 4.0), "
    "municipality list in reference/municipalities.csv"
)
RULE_NOMINAL = (
    "one constituent per municipality, elected nominally (plurality) in the 311 municipalities "
    "that are not state capitals (elfinanciero.com.mx 2017-05 'Cómo se elegirá la Asamblea "
    "Constituyente de Maduro' (AFP); larepublica.co 2017-05-23 (El Mundo))"
)
RULE_CAPITAL = (
    "state-capital municipality: its own seat plus one more, two constituents elected by list; the "
    "top slate takes both only with more than twice the runner-up's votes, i.e. D'Hondt with 2 seats "
    "(elfinanciero.com.mx 2017-05 (AFP): 'Si la lista de mayor votación duplica a la segunda, obtendrá "
    "ambos delegados'; larepublica.co 2017-05-23)"
)
RULE_LIBERTADOR = (
    "Libertador (Caracas) elects seven constituents by list, proportionally (elfinanciero.com.mx "
    "2017-05 (AFP): 'seis adicionales -siete en total- en el municipio caraqueño de Libertador'; "
    "radiomundial.com.ve; greenleft.org.au 2017-07-24)"
)
SECTOR_SOURCE = (
    "sector total confirmed: elfinanciero.com.mx 2017-05 (AFP); radiomundial.com.ve; "
    "larepublica.co 2017-07-30 (Reuters); notiactual.com (EFE)"
)
WORKER_SOURCE = (
    "sub-sector name confirmed (greenleft.org.au 2017-07-24: oil and mining, industrial, banking, "
    "social work, transport, construction, services, public sector, informal economy and "
    "self-employed); seat count NOT confirmed: the project brief's figure (column "
    "brief_value_unconfirmed of reference/sectoral.csv), the nine add up to the confirmed 79; "
    + SECTOR_SOURCE
)
COMMUNE_SOURCE = (
    "24 seats elected regionally (DESIGN.md section 4); one per federal entity (24 entities) assumed, "
    "the per-state split was NOT found in the sources held; " + SECTOR_SOURCE
)
STUDENT_SOURCE = (
    "sub-sectors named (greenleft.org.au 2017-07-24: students from the public, private and social "
    "mission sector); their split was NOT found: estimated as an even three-way split of the "
    "confirmed 24; " + SECTOR_SOURCE
)
ANNOUNCED_SOURCE = (
    "composition announced in May 2017 (seed documents summarised in DESIGN.md section 4): workers 79, "
    "pensioners 28, communal councils 24, students 24, peasants 8, fishermen 8, people with "
    "disabilities 5, business 5 = 181; no sub-division was announced"
)

# Enacted sectors: (slug, name, total seats), in the order of reference/sectoral.csv.
SECTORS = (
    ("workers", "Trabajadores (workers)", 79),
    ("pensioners", "Pensionados (pensioners)", 28),
    ("communes", "Comunas y consejos comunales (communes and communal councils)", 24),
    ("students", "Estudiantes (students)", 24),
    ("peasants-fishers", "Campesinos y pescadores (peasants and fishers)", 8),
    ("business", "Empresarios (business)", 5),
    ("disabilities", "Personas con discapacidad (people with disabilities)", 5),
)
# Workers' sub-sectors: slug by the subsector label of reference/sectoral.csv.
WORKER_SLUGS = {
    "Petróleo y minería (oil and mining)": "workers-oil-mining",
    "Social (social work)": "workers-social",
    "Comercio y banca (commerce and banking)": "workers-commerce-banking",
    "Servicios (services)": "workers-services",
    "Construcción (construction)": "workers-construction",
    "Administración pública (public sector)": "workers-public-administration",
    "Economía popular / por cuenta propia (informal economy and self-employed)": "workers-self-employed",
    "Transporte (transport)": "workers-transport",
    "Industria (industrial)": "workers-industry",
}
STUDENT_SUBSECTORS = (
    ("students-public", "Estudiantes: universidades públicas (public sector)"),
    ("students-private", "Estudiantes: universidades privadas (private sector)"),
    ("students-missions", "Estudiantes: misiones educativas (social missions)"),
)
ANNOUNCED = (
    ("workers", "Trabajadores (workers)", 79),
    ("pensioners", "Pensionados (pensioners)", 28),
    ("communal-councils", "Consejos comunales (communal councils)", 24),
    ("students", "Estudiantes (students)", 24),
    ("peasants", "Campesinos (peasants)", 8),
    ("fishers", "Pescadores (fishermen)", 8),
    ("disabilities", "Personas con discapacidad (people with disabilities)", 5),
    ("business", "Empresarios (business)", 5),
)
INDIGENOUS_SOURCE = (
    "presidencia.gob.ve 2017-07-03 (Prensa Mppdpsgg); noticiascol.com 2017-07-31 (VTV); radiohc.cu 2017-08-01"
)
INDIGENOUS = (("occidente", "Occidente (west)"), ("oriente", "Oriente (east)"), ("sur", "Sur (south)"))


def slug(text: str) -> str:
    """ASCII slug of a name: ``'San Cristóbal'`` -> ``'san-cristobal'``.

    >>> slug("Francisco Linares Alcántara")
    'francisco-linares-alcantara'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def iso_code(upstream: str, state: str) -> str:
    """The ISO 3166-2:VE code of ``state``, given the upstream geography's code for it.

    >>> iso_code("VE-X", "Amazonas"), iso_code("VE-W", "Vargas"), iso_code("VE-V", "Zulia")
    ('VE-Z', 'VE-X', 'VE-V')
    """
    fix = ISO_FIXES.get(upstream)
    if fix is None:
        return upstream
    name, code = fix
    if state != name:
        raise SystemExit(f"upstream code {upstream} labels {state!r}, ISO_FIXES expects {name!r}")
    return code


def _read(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _csv(rows: list[tuple[object, ...]], header: tuple[str, ...] = HEADER) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def territorial() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The nominal (311) and list (24) district rows, checked against the per-state totals."""
    capitals = {
        iso_code(r["iso_3166_2"], r["state"]): r["capital_municipality"] for r in _read("capitals.csv")
    }
    nominal: list[tuple[object, ...]] = []
    listed: list[tuple[object, ...]] = []
    seen: Counter[str] = Counter()
    per_state: Counter[str] = Counter()
    for r in _read("municipalities.csv"):
        state, iso, name = r["state"], iso_code(r["iso_3166_2"], r["state"]), r["municipality"]
        did = f"{iso}-{slug(name)}"
        seen[did] += 1
        is_capital = capitals[iso] == name
        if is_capital != (r["is_state_capital_municipality"] == "1"):
            raise SystemExit(f"capital flag of {name} ({state}) disagrees with capitals.csv")
        label = f"{name} ({state})"
        if iso == "VE-A":
            listed.append((did, label, 7, iso, "sourced", f"{RULE_LIBERTADOR}; {GEOGRAPHY}"))
            per_state[state] += 7
        elif is_capital:
            listed.append((did, label, 2, iso, "sourced", f"{RULE_CAPITAL}; {GEOGRAPHY}"))
            per_state[state] += 2
        else:
            nominal.append((did, label, 1, iso, "sourced", f"{RULE_NOMINAL}; {GEOGRAPHY}"))
            per_state[state] += 1
    twice = [d for d, n in seen.items() if n > 1]
    if twice or len(seen) != 335:
        raise SystemExit(f"expected 335 distinct municipalities, got {len(seen)} (repeated: {twice})")
    for r in _read("territorial_by_state.csv"):
        if r["state"] == "TOTAL":
            continue
        if per_state[r["state"]] != int(r["territorial_total"]):
            raise SystemExit(
                f"{r['state']}: {per_state[r['state']]} territorial seats, "
                f"territorial_by_state.csv says {r['territorial_total']}"
            )
    list_seats = sum(int(str(x[2])) for x in listed)
    if (len(nominal), list_seats) != (311, 53):
        raise SystemExit(f"expected 311 nominal + 53 list seats, got {len(nominal)} + {list_seats}")
    return nominal, listed


def sectoral_enacted() -> list[tuple[object, ...]]:
    """The 173 enacted sectoral seats: workers in nine sub-sectors, communes by state, students in three."""
    reference = _read("sectoral.csv")
    totals = {
        r["sector"].split(" (")[0]: int(r["seats_confirmed"]) for r in reference if r["subsector"] == "TOTAL"
    }
    entities = [(iso_code(r["iso_3166_2"], r["state"]), r["state"]) for r in _read("capitals.csv")]
    rows: list[tuple[object, ...]] = []
    for sector, name, seats in SECTORS:
        spanish = name.split(" (")[0]
        if totals.get(spanish) != seats:
            raise SystemExit(
                f"sector {spanish}: {seats} seats here, reference/sectoral.csv says {totals.get(spanish)}"
            )
        if sector == "workers":
            for r in reference:
                if r["sector"] == "Trabajadores" and r["subsector"] != "TOTAL":
                    rows.append(
                        (
                            WORKER_SLUGS[r["subsector"]],
                            f"Trabajadores: {r['subsector']}",
                            int(r["brief_value_unconfirmed"]),
                            sector,
                            "estimated",
                            WORKER_SOURCE,
                        )
                    )
        elif sector == "communes":
            for iso, state in entities:
                rows.append(
                    (
                        f"communes-{iso}",
                        f"Comunas y consejos comunales: {state}",
                        1,
                        sector,
                        "estimated",
                        COMMUNE_SOURCE,
                    )
                )
        elif sector == "students":
            for sid, sname in STUDENT_SUBSECTORS:
                rows.append(
                    (
                        sid,
                        sname,
                        seats // len(STUDENT_SUBSECTORS),
                        sector,
                        "estimated",
                        STUDENT_SOURCE,
                    )
                )
        else:
            rows.append(
                (
                    sector,
                    name,
                    seats,
                    sector,
                    "sourced",
                    f"one national district for the sector; {SECTOR_SOURCE}",
                )
            )
    for sector, _, seats in SECTORS:
        got = sum(int(str(r[2])) for r in rows if r[3] == sector)
        if got != seats:
            raise SystemExit(f"sector {sector}: districts add up to {got}, not {seats}")
    if sum(int(str(r[2])) for r in rows) != 173:
        raise SystemExit("enacted sectoral seats do not add up to 173")
    return rows


def sectoral_announced() -> list[tuple[object, ...]]:
    """The 181 sectoral seats as announced in May 2017, one national district per sector."""
    rows: list[tuple[object, ...]] = [
        (sid, name, seats, sid, "sourced", ANNOUNCED_SOURCE) for sid, name, seats in ANNOUNCED
    ]
    if sum(int(str(r[2])) for r in rows) != 181:
        raise SystemExit("announced sectoral seats do not add up to 181")
    return rows


def indigenous() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The three indigenous regions (4, 3, 1 seats) and their results (synthetic option ids)."""
    reference = {r["region"].split(" (")[0].lower(): r for r in _read("indigenous.csv")}
    regions: list[tuple[object, ...]] = []
    results: list[tuple[object, ...]] = []
    for rid, name in INDIGENOUS:
        r = reference[rid]
        seats = int(r["seats"])
        regions.append(
            (
                rid,
                f"Indigenous region {name}: {r['states']}",
                seats,
                "",
                "sourced",
                f"{seats} seat(s) chosen in a regional indigenous assembly on 1 Aug 2017, not by universal "
                f"vote ({r['note']}); {INDIGENOUS_SOURCE}",
            )
        )
        for n in range(1, seats + 1):
            results.append(
                (
                    rid,
                    f"indigena-{rid}-{n}",
                    "Representación indígena",
                    "Indigenous",
                    1,
                    "synthetic",
                    "winner's name not recorded here (synthetic option id); the seat itself is sourced "
                    "(see indigenous.csv)",
                )
            )
    if sum(int(str(r[2])) for r in regions) != 8:
        raise SystemExit("indigenous seats do not add up to 8")
    return regions, results


def build() -> dict[str, bytes]:
    """Every table, keyed by its path relative to the output folder."""
    nominal, listed = territorial()
    regions, results = indigenous()
    return {
        "ve-2017-anc/territorial_nominal.csv": _csv(nominal),
        "ve-2017-anc/territorial_list.csv": _csv(listed),
        "ve-2017-anc/sectoral.csv": _csv(sectoral_enacted()),
        "ve-2017-anc/indigenous.csv": _csv(regions),
        "ve-2017-anc/indigenous_results.csv": _csv(
            results, ("district", "option", "party", "alliance", "seats", "basis", "source")
        ),
        "ve-2017-anc-announced/sectoral.csv": _csv(sectoral_announced()),
    }


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else HERE.parent
    for rel, data in build().items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


if __name__ == "__main__":
    main(sys.argv)
