"""The online offloading family (docs/ONLINE.md): periods back to back on one GPU pool.

Same parts as the other families: ``instance`` (``OnlineHeader``, ``OnlineInstance``,
``ArrivalProfile``, ``PeriodRequests``), ``solution`` (``PeriodDecision``,
``OnlineSolution``: the decision log), ``evaluation`` (the evaluator), ``generator``,
``format`` (the two JSON files); and the family's own: ``pool`` (when a batch holds its
GPUs), ``period`` (the exact per-period problem for a GPU count and a hold cap),
``episode`` (one period at a time, for policies and learners) and ``relaxation`` (the
snapshot and Lagrangean bounds, and the check of their certificates). ``FAMILY`` registers
the family.
"""

from gqap.family import Axis, FamilySpec, Grid
from gqap.online.evaluation import OnlineEvaluation, evaluate_online, score_period
from gqap.online.format import (
    FORMAT_ONLINE,
    FORMAT_ONLINE_SOLUTION,
    online_from_dict,
    online_to_dict,
    solution_from_dict,
)
from gqap.online.generator import ONLINE_GENERATOR_VERSION, generate_online, sample_period
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
    "FAMILY", "PROFILES", "ArrivalProfile", "OnlineEvaluation", "OnlineHeader", "OnlineInstance",
    "OnlineSolution", "PeriodDecision", "PeriodProblem", "PeriodRequests", "PeriodTable",
    "Pool", "PoolState", "evaluate_online", "from_periods", "generate_online",
    "occupied_moments", "sample_period", "score_period",
]


def _profiles(values: tuple[str, ...]) -> str | None:
    bad = [v for v in values if v not in PROFILES]
    return f"unknown profile {bad[0]!r} ({', '.join(PROFILES)})" if bad else None


def _rates(values: tuple[float, ...]) -> str | None:
    bad = [v for v in values if not v >= 0]
    return f"must be >= 0, got {bad[0]!r}" if bad else None


FAMILY = FamilySpec(
    name="online",
    summary="online offloading: periods back to back on one GPU pool, batches hold their "
            "GPUs across periods (maximise QoE over the horizon)",
    sense="max",
    instance_type=OnlineInstance,
    solution_type=OnlineSolution,
    solution_hint="an online scenario needs a decision log (periods)",
    instance_format=FORMAT_ONLINE,
    instance_to_dict=online_to_dict,
    instance_from_dict=online_from_dict,
    solution_keys=("periods",),
    solution_from_dict=solution_from_dict,
    solution_format=FORMAT_ONLINE_SOLUTION,
    evaluate=evaluate_online,
    # only the paper's latency model, the one the hold times D_t are defined with
    generate=generate_online,
    generator_version=ONLINE_GENERATOR_VERSION,
    grid=Grid(
        axes=(Axis("periods", "periods", default=(120,)),
              Axis("rate", "rate", default=(10.0,), type=float, check=_rates),
              Axis("G", "G", default=(8,)),
              Axis("profile", "profile", default=("constant",), type=str, check=_profiles)),
        tag=4,
        case_name=lambda v, c, s0: (f"gen-online-{v[3]}-t{v[0]:03d}-r{v[1]:g}-g{v[2]:02d}"
                                    f"-c{c:03d}-s{s0}"),
        quick={"periods": (60,), "rate": (10.0,), "G": (8,), "profile": ("constant",)}),
    size_params=lambda inst: {"n_users": inst.n_users, "G": inst.G,
                              "periods": inst.n_periods, "rate": inst.header.arrivals.rate,
                              "profile": inst.header.arrivals.kind},
    secondary="G",
    bounds=True,
    per_user=True,
    cli="gqap.cli.families.online",
    report="gqap.bench.families.online",
    input_exit_status=2,
)
