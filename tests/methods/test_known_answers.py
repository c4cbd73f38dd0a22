"""Published known answers (fixtures/vectors/known_answers.json) reproduced exactly."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import load_vectors

import seats

# Vector method names (the literature's snake_case) -> our registry ids.
METHOD_IDS = {
    "hamilton": "hare",
    "droop_lr": "droop",
    "sainte_lague": "sainte-lague",
    "modified_sainte_lague": "modified-sainte-lague",
    "huntington_hill": "huntington-hill",
    "quota": "quota",
}
AMS = "ams_dhondt_additional_member"

VECTORS = load_vectors()


def _id(vector: dict[str, Any]) -> str:
    names = "".join(vector["votes"])[:12]
    return f"{vector['method']}-{vector['house_size']}-{names}"


def _run(vector: dict[str, Any], **extra: Any) -> tuple[seats.Allocation, dict[str, int]]:
    params = vector.get("params", {})
    if vector["method"] == AMS:
        a = seats.apportion(
            vector["votes"], vector["house_size"], method="dhondt",
            prior_seats=params["constituency_seats"], **extra,
        )
        # the vector lists only the parties that win list seats
        return a, {p: n for p, n in a.seats.items() if n}
    method = METHOD_IDS.get(vector["method"], vector["method"])
    options: dict[str, Any] = dict(extra)
    if "quorum_fraction" in params:
        options["threshold"] = params["quorum_fraction"]
    a = seats.apportion(vector["votes"], vector["house_size"], method=method, **options)
    return a, dict(a.seats)


def test_vectors_are_present_and_cite_a_source() -> None:
    assert len(VECTORS) >= 30
    for vector in VECTORS:
        assert vector["source"].strip(), vector
        assert sum(vector["expected"].values()) == vector["house_size"], vector


def test_every_vector_method_maps_to_a_registered_method() -> None:
    for vector in VECTORS:
        if vector["method"] == AMS:
            continue
        name = METHOD_IDS.get(vector["method"], vector["method"])
        assert seats.resolve(name).id == name


@pytest.mark.parametrize(
    "vector", [v for v in VECTORS if not v.get("tie")], ids=_id
)
def test_known_answer(vector: dict[str, Any]) -> None:
    a, got = _run(vector)
    assert got == vector["expected"], vector["source"]
    assert a.ties == ()
    assert a.certificate.reproduce(a.votes_by_party) == dict(a.seats)


TIED = [v for v in VECTORS if v.get("tie")]


def test_exactly_one_tie_vector() -> None:
    assert len(TIED) == 1


@pytest.mark.parametrize("vector", TIED, ids=_id)
def test_tie_vector_raises_under_default_policy(vector: dict[str, Any]) -> None:
    with pytest.raises(seats.TieError, match=r"seat 8 between A, D") as info:
        _run(vector)
    event = info.value.event
    assert event is not None
    assert event.seats == (8,)
    assert event.tied == ("A", "D")
    assert event.winners == ()


@pytest.mark.parametrize("vector", TIED, ids=_id)
def test_tie_vector_settled_by_most_votes(vector: dict[str, Any]) -> None:
    assert vector["tie_rule"] == "more votes wins"
    a, got = _run(vector, ties="most-votes")
    assert got == vector["expected"]
    assert len(a.ties) == 1
    (event,) = a.ties
    assert isinstance(event, seats.TieEvent)
    assert event.seats == (8,)
    assert event.tied == ("A", "D")
    assert event.winners == ("A",)
    assert event.policy == "most-votes"
    # on our scale the modified first divisor is 0.7: 100000/3.5 = 20000/0.7
    assert "100000/3.5" in event.detail and "20000/0.7" in event.detail
    assert a.certificate.reproduce(a.votes_by_party) == dict(a.seats)


def test_ams_vector_counts_constituency_seats_in_the_divisors() -> None:
    (vector,) = [v for v in VECTORS if v["method"] == AMS]
    without_prior = seats.apportion(vector["votes"], 7, method="dhondt")
    assert {p: n for p, n in without_prior.seats.items() if n} != vector["expected"]
