"""Rule sets: whole electoral systems as data (tiers, districts, methods, links).

>>> import seats
>>> rs = seats.load_ruleset("ve-2020-an")
>>> [t.id for t in rs.tiers]
['nominal', 'state-list', 'national-list', 'indigenous']
"""

from seats.rules.load import RuleSetInfo, available_rulesets, build_ruleset, load_ruleset
from seats.rules.model import District, Link, ReservedResult, RuleSet, Tier
from seats.rules.result import DistrictResult, ElectionResult, TierResult

__all__ = [
    "District",
    "DistrictResult",
    "ElectionResult",
    "Link",
    "ReservedResult",
    "RuleSet",
    "RuleSetInfo",
    "Tier",
    "TierResult",
    "available_rulesets",
    "build_ruleset",
    "load_ruleset",
]
