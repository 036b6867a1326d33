"""The classic GQAP family (docs/MODEL.md section 1; called ``gqap`` before, a name still
accepted): n facilities with weights, m sites with capacities; assign every facility to
a site within the capacities at the least installation plus traffic cost.

Parts: ``instance`` (``GQAPInstance``), ``solution`` (``GQAPSolution``), ``evaluation``
(the evaluator and its vectorised costs), ``generator`` (Cordeau-style random
instances) and ``format`` (JSON and the Cordeau text format); ``FAMILY`` registers them.
"""

from gqap.classic.evaluation import evaluate_gqap
from gqap.classic.format import (
    FORMAT_CLASSIC,
    classic_from_dict,
    classic_to_dict,
    looks_like_cordeau,
    read_cordeau,
    solution_from_dict,
)
from gqap.classic.generator import GQAP_GENERATOR_VERSION, generate_gqap
from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.family import Axis, FamilySpec, Grid, TextFormat

__all__ = ["FAMILY", "GQAPInstance", "GQAPSolution", "evaluate_gqap", "generate_gqap"]


def _ratio(values: tuple[float, ...]) -> str | None:
    if any(not 0 < r <= 1 for r in values):
        return f"capacity_ratio: must lie in (0, 1], got {list(values)}"
    return None


FAMILY = FamilySpec(
    name="classic",
    summary="the generalized quadratic assignment problem: facilities to capacitated sites "
            "(minimise cost)",
    sense="min",
    instance_type=GQAPInstance,
    solution_type=GQAPSolution,
    solution_hint="a GQAP instance needs an assignment",
    instance_format=FORMAT_CLASSIC,
    instance_to_dict=classic_to_dict,
    instance_from_dict=classic_from_dict,
    solution_keys=("assignment",),
    solution_from_dict=solution_from_dict,
    evaluate=lambda inst, sol, latency_model="paper": evaluate_gqap(inst, sol),
    text_format=TextFormat(sniff=looks_like_cordeau, read=read_cordeau),
    generate=generate_gqap,
    generator_version=GQAP_GENERATOR_VERSION,
    grid=Grid(
        axes=(Axis("facilities", "n_facilities"), Axis("sites", "n_sites"),
              Axis("capacity_ratio", "capacity_ratio", type=float, check=_ratio)),
        tag=2,
        case_name=lambda v, c, s0: f"gen-{v[0]}-{v[1]}-{int(round(v[2] * 100))}-c{c:03d}-s{s0}",
        quick={"facilities": (10,), "sites": (4,), "capacity_ratio": (0.6,)},
        model=False,
        record=("capacity_ratio",)),
    size_params=lambda inst: {"n": inst.n, "m": inst.m},
    secondary="m",
    bounds=True,
    aliases=("gqap",),
    title="GQAP",
    size_unit="facilities",
    secondary_title="sites",
    cli="gqap.cli.families.classic",
    report="gqap.bench.families.classic",
)
