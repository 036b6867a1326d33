"""The multi-cluster offloading family (docs/MULTI.md): S edge pools, one shifted accuracy
curve per user and pool.

Same parts as the other families: ``instance`` (``MultiInstance``), ``solution``
(``MultiSolution``), ``evaluation`` (the evaluator, one and many decisions), ``split`` (best
splits and the gain table), ``generator``, ``reduction`` (fixed splits -> GQAP) and
``format`` (JSON files, dispatched from ``gqap.io``).
"""

from gqap.multi.instance import MultiInstance, from_offloading
from gqap.multi.solution import DENIED, MultiSolution, solution_from_offloading

from gqap.multi.evaluation import (  # isort: skip  (needs the two modules above first)
    MultiBatchEvaluation,
    MultiEvaluation,
    evaluate_multi,
    evaluate_multi_batch,
)
from gqap.multi.generator import generate_multi  # isort: skip
from gqap.multi.reduction import MultiReduction, multi_to_gqap  # isort: skip
from gqap.multi.split import GainTable, best_splits, gain_table, grant_gains  # isort: skip

__all__ = [
    "DENIED", "GainTable", "MultiBatchEvaluation", "MultiEvaluation", "MultiInstance",
    "MultiReduction", "MultiSolution", "best_splits", "evaluate_multi", "evaluate_multi_batch",
    "from_offloading", "gain_table", "generate_multi", "grant_gains", "multi_to_gqap",
    "solution_from_offloading",
]
