"""The online offloading family (docs/ONLINE.md): periods back to back on one GPU pool.

Same parts as the other families: ``instance`` (``OnlineHeader``, ``OnlineInstance``,
``ArrivalProfile``, ``PeriodRequests``), ``solution`` (``PeriodDecision``,
``OnlineSolution``: the decision log), ``evaluation`` (the evaluator), ``generator``,
``format`` (the two JSON files); and the family's own: ``pool`` (when a batch holds its
GPUs), ``period`` (the exact per-period problem for a GPU count and a hold cap),
``episode`` (one period at a time, for policies and learners) and ``relaxation`` (the
snapshot and Lagrangean bounds, and the check of their certificates).
"""

from gqap.online.evaluation import OnlineEvaluation, evaluate_online, score_period
from gqap.online.generator import generate_online, sample_period
from gqap.online.instance import (
    PROFILES,
    ArrivalProfile,
    OnlineHeader,
    OnlineInstance,
    PeriodRequests,
    from_periods,
)
from gqap.online.period import PeriodProblem, PeriodTable
from gqap.online.pool import Pool, PoolState, occupied_moments
from gqap.online.solution import OnlineSolution, PeriodDecision

__all__ = [
    "PROFILES", "ArrivalProfile", "OnlineEvaluation", "OnlineHeader", "OnlineInstance",
    "OnlineSolution", "PeriodDecision", "PeriodProblem", "PeriodRequests", "PeriodTable",
    "Pool", "PoolState", "evaluate_online", "from_periods", "generate_online",
    "occupied_moments", "sample_period", "score_period",
]
