"""Third-party rule sets through the entry-point group ``seats.rulesets`` (seats/rules/load.py).

An entry point loads to a path (a folder or a ``ruleset.toml``) or to a callable returning
one. The tests stand in for installed packages by replacing ``importlib.metadata.entry_points``.
"""

from __future__ import annotations

import logging
import sys
import types
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

import seats
from seats.errors import RuleSetError
from seats.rules.load import ENTRY_POINT_GROUP, available_rulesets, load_ruleset

TOY = Path(__file__).resolve().parent / "data" / "toy"


def install(monkeypatch: pytest.MonkeyPatch, **targets: Any) -> None:
    """Pretend a package provides one entry point per keyword (name -> what it loads to)."""
    module = types.ModuleType("fake_seats_plugin")
    points = []
    for n, (name, target) in enumerate(targets.items()):
        setattr(module, f"t{n}", target)
        value = f"fake_seats_plugin:t{n}"
        points.append(metadata.EntryPoint(name.replace("_", "-"), value, ENTRY_POINT_GROUP))
    monkeypatch.setitem(sys.modules, "fake_seats_plugin", module)

    def entry_points(**kw: Any) -> list[metadata.EntryPoint]:
        assert kw == {"group": ENTRY_POINT_GROUP}
        return points

    monkeypatch.setattr(metadata, "entry_points", entry_points)


def test_a_path_a_folder_or_a_callable(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, toy_file=str(TOY / "ruleset.toml"), toy_folder=TOY, toy_callable=lambda: TOY)
    found = {info.id: info for info in available_rulesets()}
    for name in ("toy-file", "toy-folder", "toy-callable"):
        assert found[name].path == TOY / "ruleset.toml"
        assert found[name].origin.startswith("plugin fake_seats_plugin:")
        rs = load_ruleset(name)
        assert rs.id == "toy" and rs.allocate().total == 13
    assert "ve-2020-an" in found and found["ve-2020-an"].origin == "shipped"
    origins = [info.origin for info in found.values()]
    assert origins == sorted(origins, key=lambda o: o != "shipped")  # shipped first


def test_a_shipped_id_wins_and_the_clash_is_logged(monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    install(monkeypatch, **{"ve-2020-an": TOY})
    with caplog.at_level(logging.WARNING, logger="seats.rules.load"):
        found = {info.id: info for info in available_rulesets()}
    assert found["ve-2020-an"].origin == "shipped"
    assert "shadowed" in caplog.text
    assert seats.load_ruleset("ve-2020-an").total_seats == 277


def boom() -> Path:
    raise ImportError("no module named 'missing_dependency'")


@pytest.mark.parametrize(
    ("target", "pattern"),
    [
        (boom, r"entry point 'broken' \(fake_seats_plugin:t0\) in group 'seats\.rulesets' failed to load: "
               r"ImportError: no module named 'missing_dependency'"),
        (42, r"entry point 'broken' .* gave 42; expected a path to a rule set"),
        (lambda: None, r"entry point 'broken' .* gave None; expected a path"),
        ("/nowhere/ruleset.toml",
         r"entry point 'broken' .* points to '/nowhere/ruleset\.toml', which does not exist"),
    ],
)
def test_a_broken_plugin_fails_only_when_asked_for(monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture,
                                                   target: Any, pattern: str) -> None:
    install(monkeypatch, broken=target, toy=TOY)
    with caplog.at_level(logging.WARNING, logger="seats.rules.load"):
        ids = [info.id for info in available_rulesets()]
    assert "broken" not in ids and "toy" in ids and "ve-2020-an" in ids
    assert "entry point 'broken'" in caplog.text
    assert seats.load_ruleset("ve-2020-an").total_seats == 277
    assert load_ruleset("toy").id == "toy"
    with pytest.raises(RuleSetError, match=pattern):
        load_ruleset("broken")


def test_unknown_ids_list_plugins_too(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, toy_plugin=TOY)
    with pytest.raises(RuleSetError, match=r"unknown rule set 'toy-plugn' \(did you mean 'toy-plugin'\?\); "
                                           r"known: .*toy-plugin"):
        load_ruleset("toy-plugn")


def test_no_plugins_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch)
    assert all(info.origin == "shipped" for info in available_rulesets())
