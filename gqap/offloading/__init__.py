"""The paper's offloading family (docs/MODEL.md section 2): one edge server with G GPUs
and at most B_max granted users; each user is granted (and splits its denoising steps
between itself and the edge) or runs everything locally. Maximise the total QoE.

Parts: ``instance`` (``OffloadingInstance``), ``solution`` (``OffloadingSolution``),
``evaluation`` (the evaluator), ``split`` (best split points, gains of granting),
``split_reference`` (the paper's route to the split, a slow test reference),
``generator`` (the Section VI-B scenario), ``reduction`` (Proposition 1: fixed splits ->
a 2-site GQAP) and ``format`` (JSON files); ``FAMILY`` registers them.
"""

from gqap.evaluation import LATENCY_MODELS
from gqap.family import Axis, FamilySpec, Grid
from gqap.offloading.evaluation import evaluate_offloading
from gqap.offloading.format import (
    FORMAT_OFFLOADING,
    offloading_from_dict,
    offloading_to_dict,
    solution_from_dict,
)
from gqap.offloading.generator import OFFLOADING_GENERATOR_VERSION, generate_offloading
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.solution import OffloadingSolution

__all__ = ["FAMILY", "OffloadingInstance", "OffloadingSolution", "evaluate_offloading",
           "generate_offloading"]

FAMILY = FamilySpec(
    name="offloading",
    summary="the paper's offloading problem: grant users an edge server's GPUs, choose "
            "their split points (maximise QoE)",
    sense="max",
    instance_type=OffloadingInstance,
    solution_type=OffloadingSolution,
    solution_hint="an offloading instance needs grant and split_points",
    instance_format=FORMAT_OFFLOADING,
    instance_to_dict=offloading_to_dict,
    instance_from_dict=offloading_from_dict,
    solution_keys=("grant", "split_points"),
    solution_from_dict=solution_from_dict,
    evaluate=evaluate_offloading,
    latency_models=LATENCY_MODELS,
    generate=generate_offloading,
    generator_version=OFFLOADING_GENERATOR_VERSION,
    grid=Grid(
        axes=(Axis("users", "n_users"), Axis("G", "G", default=(8,)),
              Axis("B_max", "B_max", default=(18,), low=0)),
        tag=1,
        case_name=lambda v, c, s0: f"gen-u{v[0]:03d}-g{v[1]:02d}-b{v[2]:02d}-c{c:03d}-s{s0}",
        quick={"users": (4, 8, 12), "G": (8,), "B_max": (18,)}),
    size_params=lambda inst: {"n_users": inst.n_users, "G": inst.G, "B_max": inst.B_max},
    secondary="G",
    reference_solver="exact",
    per_user=True,
    splits=True,
    title="offloading (one edge cluster)",
    cli="gqap.cli.families.offloading",
    report="gqap.bench.families.offloading",
)
