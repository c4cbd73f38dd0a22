"""Shared test set-up: the hypothesis profile and the known-answer vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TOY_ASSEMBLY = Path(__file__).resolve().parent / "data" / "toy-assembly"
VECTORS = FIXTURES / "vectors" / "known_answers.json"

# No per-example deadline: the exact engines are fast, but a cold first call (imports, polars)
# can take longer than hypothesis' 200 ms and would fail for the wrong reason. Each property
# test sets its own max_examples so that the whole suite stays fast.
settings.register_profile(
    "seats", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("seats")


def load_vectors() -> list[dict[str, Any]]:
    """The published known-answer vectors (read from fixtures/, never from outside the repo)."""
    with VECTORS.open(encoding="utf-8") as fh:
        data: list[dict[str, Any]] = json.load(fh)
    return data


@pytest.fixture(scope="session")
def vectors() -> list[dict[str, Any]]:
    return load_vectors()


@pytest.fixture()
def toy_assembly(tmp_path: Path) -> Path:
    """A copy of the 9-seat toy assembly (ruleset.toml, votes.csv) in a scratch folder; returns the folder."""
    for name in ("ruleset.toml", "votes.csv"):
        (tmp_path / name).write_bytes((TOY_ASSEMBLY / name).read_bytes())
    return tmp_path
