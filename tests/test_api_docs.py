"""Every function of the public API is documented with an example that runs.

pytest runs the examples themselves (``--doctest-modules`` over ``seats/``); this
test makes sure they exist: a public function without a ``>>>`` example fails.
The public API is what ``seats``, ``seats.io``, ``seats.rules``, ``seats.batch``
and each ``seats.analysis`` module export in ``__all__``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import seats
import seats.analysis

PUBLIC = ["seats", "seats.io", "seats.rules", "seats.batch"] + [
    m.name for m in pkgutil.iter_modules(seats.analysis.__path__, "seats.analysis.")
]


def _functions(module: ModuleType) -> list[str]:
    names = getattr(module, "__all__", [])
    return [n for n in names if inspect.isfunction(getattr(module, n))]


@pytest.mark.parametrize("module_name", PUBLIC)
def test_every_public_function_has_an_example(module_name: str) -> None:
    module = importlib.import_module(module_name)
    functions = _functions(module)
    assert functions or module_name == "seats.analysis.__init__", f"{module_name} exports no function"
    missing = [n for n in functions if ">>>" not in (inspect.getdoc(getattr(module, n)) or "")]
    assert not missing, f"{module_name}: no example in the docstring of {', '.join(missing)}"


def test_the_examples_are_collected() -> None:
    import pathlib
    import tomllib

    config = tomllib.loads((pathlib.Path(__file__).parent.parent / "pyproject.toml").read_text())
    pytest_config = config["tool"]["pytest"]["ini_options"]
    assert "--doctest-modules" in pytest_config["addopts"]
    assert "seats" in pytest_config["testpaths"]
