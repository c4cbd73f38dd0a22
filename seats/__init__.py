"""seats: exact, explainable seat allocation for electoral research.

>>> import seats
>>> dict(seats.apportion({"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}, 8).seats)
{'A': 4, 'B': 3, 'C': 1, 'D': 0}
"""

from seats import batch
from seats.errors import (
    InputFileError,
    InvalidSeatsError,
    InvalidVotesError,
    OutputError,
    RuleSetError,
    SeatsError,
    TieError,
    UnknownMethodError,
    VoteTableError,
)
from seats.methods import REGISTRY, MethodSpec, apportion, resolve
from seats.methods.biproportional import BiproportionalAllocation, biproportional
from seats.results import Allocation, TieEvent
from seats.rules import ElectionResult, RuleSet, available_rulesets, load_ruleset

__version__ = "0.1.0"

__all__ = [
    "REGISTRY",
    "Allocation",
    "BiproportionalAllocation",
    "ElectionResult",
    "InputFileError",
    "InvalidSeatsError",
    "InvalidVotesError",
    "MethodSpec",
    "OutputError",
    "RuleSet",
    "RuleSetError",
    "SeatsError",
    "TieError",
    "TieEvent",
    "UnknownMethodError",
    "VoteTableError",
    "__version__",
    "apportion",
    "available_rulesets",
    "batch",
    "biproportional",
    "load_ruleset",
    "resolve",
]
