"""Monte Carlo: thousands of perturbed elections of a whole rule set, allocated exactly and fast.

Each run perturbs every district of every tier that takes votes, independently,
keeping the district's total ``n`` (its valid votes) fixed:

* ``multinomial``: the district's ballots are drawn again, ``n`` of them, with
  the observed shares (``votes ~ Multinomial(n, v / n)``): the sampling noise
  of a count of that size.
* ``dirichlet:ALPHA``: the shares are drawn first, ``p ~ Dirichlet(ALPHA * v / n)``,
  and the votes are ``n * p`` rounded to whole votes by largest remainders (so
  they add up to ``n`` exactly). ``ALPHA`` is a concentration: a share ``s``
  has mean ``s`` and standard deviation ``sqrt(s (1 - s) / (ALPHA + 1))``, as
  if the shares were estimated from a poll of about ``ALPHA`` voters. Small
  ``ALPHA`` = much noise; ``ALPHA`` near ``n`` gives about the multinomial's
  spread; a huge ``ALPHA`` reproduces the observed votes.

An option with no votes in a district stays at zero. Cards are summed into
options first (perturbing the cards and summing gives the same distribution).
Derived tiers (the 2020 national list) sum their source tier's perturbed votes
in every run; reserved tiers (seats given as results) are constant; thresholds
are applied to each run's votes.

Links. ``parallel`` tiers are independent. The upper tier of a ``subtract`` or
``additional-member`` link is allocated after its lower tier in every run, from
that run's nominal seats won (matched to the lists by party or alliance, per the
link's ``level``, in the lower district's parent): ``additional-member`` by the
batch path with per-row ``prior`` seats; ``subtract`` as the entitlement over the
district's seats plus the nominal seats won, less those seats, with the lists
whose nominal seats exceed their entitlement (overhang) keeping them and leaving
while the rest is shared again, round after round on the rows that need it. Both
are exactly :meth:`RuleSet.allocate`'s rule (the exact engine takes every row the
floats cannot certify, and detects ties as in single runs); a district with two
lists of one party (or alliance) is refused when the simulation starts.

Biproportional tiers (``method = "biproportional"``) are allocated jointly in
every run, as :meth:`RuleSet.allocate` allocates them (:mod:`.joint`): the
threshold, the upper apportionment of the run's option totals by the batch path,
and the lower apportionment by alternating scaling in float64 on the
``(runs, districts, options)`` arrays of all runs at once. A run's seats are kept
only when both divisor vectors certify every cell strictly, by a margin far above
float error (then the apportionment is unique and exact); any other run (no
convergence, a near-tie or a tie, a district that cannot be filled) is allocated
by the exact engine, and a tie there is reported for the whole tier.

Every district of every tier is allocated for all runs at once, in chunks of
:data:`CHUNK` runs. Each chunk draws from generators of its own, children of
``numpy.random.SeedSequence(seed)`` by the chunk's number, so chunks run on a
pool of threads (``workers``, default one per core; numpy releases the GIL
while it samples) and the results depend only on the seed and the number of
runs, never on the number of threads. For each tier, every (run, district) row is first checked
against the district's allocation on the observed votes: an exact-margin
check (integers for block vote; for divisor methods floats with a margin far
above their rounding error, as :mod:`seats.batch` certifies) accepts it when
no other allocation is possible. Rows it rejects are solved by the vectorised
divisor or top-m solver with per-row magnitudes (other method families by the
batch path's solvers), and any row those cannot certify (near-ties, exact ties,
seat bounds, custom methods) by the exact scalar engine, exactly as
:meth:`RuleSet.allocate` would allocate that run's vote table.

Fewer draws, exactly (multinomial noise). A multinomial can be drawn with some
options merged into one category and the category's count split among them
afterwards (a multinomial with their relative shares): the result has exactly
the distribution of a full draw (the aggregation property). So:

* block-vote circuits draw each winner of the observed votes and the *sum* of
  the other candidates (more candidates apart only where the race is close);
* divisor list tiers (with the tiers derived from them, such as the 2020
  national list on the sum of the state lists) draw every list that wins a seat
  or could, and a few *groups* of small lists, each group well below the last
  quotient awarded in every district and in every derived district
  (:data:`_LAZY_MARGIN`, :data:`_LAZY_Z`; the same groups everywhere, so their
  sums are known in the derived tiers too).

A group's sum is split among its members, from a second generator, only in the
(run, district) rows where the exact check fails: the group, taken as one list,
would reach a winner (block vote: the weakest winner's votes; divisor: the last
quotient awarded, certified as :mod:`seats.batch` certifies), or a derived tier
cannot be certified in that run (then every district of the run is split).
Elsewhere no split can change a seat (each member has at most the group's votes,
strictly below what wins a seat) and the members are never drawn. With
``keep_votes=True`` every other row is split too, from a third generator, so
keeping the votes never changes a seat. A biproportional tier (and the tiers
derived from it) is drawn in full: any list may take a seat in the joint
apportionment.

Circuits not drawn (multinomial noise, block vote). A circuit whose observed
winners a redraw changes or ties only with probability below ``2**-100``
(:data:`.lazy.CERTAIN_BITS`) is not drawn at all: it keeps its winners in every
run. The bound is Chernoff's for the difference of two multinomial counts,
``P(X_a <= X_b) <= exp(-(sqrt(a) - sqrt(b))**2)`` for observed votes ``a > b``,
summed over every (winner, other candidate) pair and tested in integers
(:func:`.lazy.certain`): in a two-way race of 50,000 votes the winner needs
about 3,100 votes more than the runner-up (6%), of 200,000 votes 6,100 (3%). A billion
runs of an election with a thousand such circuits would see one change with
probability below ``2**-60`` (union bound), far less than the error of any
floating-point sampler; the result lists these circuits
(``undrawn``), and ``keep_votes=True`` still draws their votes (from the third
generator, so the seats stay the same). Only tiers whose votes feed no other
tier are treated so. On ve-2020-an every one of the 87 circuits is certain
(the closest by a bound below ``2**-5000``), and a run draws 168 binomial
variates, in the 24 state lists, instead of 903.

Ties. A run in which a tie decides a seat follows the tie policy (the tier's,
else the rule set's, unless ``ties=`` overrides it). Under ``"error"`` the
simulation does not stop: such runs are *left out* of the distributions and
reported (how many, and in which districts), because the law does not say who
wins them. ``"lot"`` draws lots, run ``r`` with ``seed + r`` (the seed that
``RuleSet.allocate(votes_r, seed=seed + r)`` would use), and ``"most-votes"``
and ``"order"`` settle them; settled ties are counted too. A run in which a
district cannot be filled (a block-vote circuit with fewer candidates with
votes than seats) is left out and reported the same way.

Examples
--------
>>> import polars as pl
>>> from seats.rules import build_ruleset
>>> rs = build_ruleset({"id": "toy", "total_seats": 5, "tier": [
...     {"id": "list", "method": "dhondt", "districts": [{"id": "N", "seats": 5}]}]})
>>> votes = pl.DataFrame({"tier": ["list"] * 2, "district": ["N"] * 2, "option": ["A", "B"],
...                       "votes": [6000, 4000]})
>>> res = simulate(rs, votes, runs=200, seed=1)
>>> res.baseline
(3, 2)
>>> sorted(set(res.seats[:, 0].tolist()))
[3]
"""

from seats.analysis.simulate.common import SimulationError
from seats.analysis.simulate.noise import NOISE_KINDS, Noise
from seats.analysis.simulate.result import RunVotes, SimulationResult
from seats.analysis.simulate.run import CHUNK, simulate, simulate_votes

__all__ = [
    "CHUNK",
    "NOISE_KINDS",
    "Noise",
    "RunVotes",
    "SimulationError",
    "SimulationResult",
    "simulate",
    "simulate_votes",
]
