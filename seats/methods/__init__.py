"""Apportionment methods: divisor, largest-remainder, quota and plurality families.

>>> from seats.methods import REGISTRY
>>> sorted({spec.family for spec in REGISTRY.values()})
['divisor', 'largest-remainder', 'plurality', 'quota']
"""

from seats.methods.api import apportion
from seats.methods.registry import ALIASES, FAMILIES, REGISTRY, MethodSpec, resolve

__all__ = ["ALIASES", "FAMILIES", "REGISTRY", "MethodSpec", "apportion", "resolve"]
