"""The multi-cluster offloading family (docs/MULTI.md): S edge pools, one shifted accuracy
curve per user and pool.

Same parts as the other families: ``instance`` (``MultiInstance``), ``solution``
(``MultiSolution``), ``evaluation`` (the evaluator, one and many decisions), ``split`` (best
splits and the gain table), ``generator``, ``reduction`` (fixed splits -> GQAP) and
``format`` (JSON files); ``FAMILY`` registers them.
"""

from gqap.evaluation import LATENCY_MODELS
from gqap.family import Axis, FamilySpec, Grid
from gqap.multi.evaluation import (
    MultiBatchEvaluation,
    MultiEvaluation,
    evaluate_multi,
    evaluate_multi_batch,
)
from gqap.multi.format import FORMAT_MULTI, multi_from_dict, multi_to_dict, solution_from_dict
from gqap.multi.generator import MULTI_GENERATOR_VERSION, generate_multi
from gqap.multi.instance import MultiInstance, from_offloading
from gqap.multi.reduction import MultiReduction, multi_to_gqap
from gqap.multi.solution import DENIED, MultiSolution, solution_from_offloading
from gqap.multi.split import GainTable, best_splits, gain_table, grant_gains

__all__ = [
    "DENIED", "FAMILY", "GainTable", "MultiBatchEvaluation", "MultiEvaluation", "MultiInstance",
    "MultiReduction", "MultiSolution", "best_splits", "evaluate_multi", "evaluate_multi_batch",
    "from_offloading", "gain_table", "generate_multi", "grant_gains", "multi_to_gqap",
    "solution_from_offloading",
]

FAMILY = FamilySpec(
    name="multi",
    summary="multi-cluster offloading: each user runs locally or on one of S edge sites, "
            "each with its own GPUs, batch limit, link and accuracy shifts (maximise QoE)",
    sense="max",
    instance_type=MultiInstance,
    solution_type=MultiSolution,
    solution_hint="a multi instance needs site and split_points",
    instance_format=FORMAT_MULTI,
    instance_to_dict=multi_to_dict,
    instance_from_dict=multi_from_dict,
    solution_keys=("site", "split_points"),
    solution_from_dict=solution_from_dict,
    evaluate=evaluate_multi,
    latency_models=LATENCY_MODELS,
    generate=generate_multi,
    generator_version=MULTI_GENERATOR_VERSION,
    grid=Grid(
        axes=(Axis("users", "n_users"), Axis("sites", "n_sites")),
        tag=3,
        case_name=lambda v, c, s0: f"gen-multi-u{v[0]:03d}-s{v[1]:02d}-c{c:03d}-s{s0}",
        quick={"users": (8,), "sites": (2,)}),
    size_params=lambda inst: {"n_users": inst.n_users, "S": inst.n_sites},
    secondary="S",
    reference_solver="exact",
    bounds=True,
    per_user=True,
    splits=True,
    title="multi-cluster offloading",
    secondary_title="sites",
    cli="gqap.cli.families.multi",
    report="gqap.bench.families.multi",
)
