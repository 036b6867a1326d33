"""gqap-bench: instances, solvers and benchmarks for the Generalized Quadratic Assignment
Problem and multi-user offloading of personalised diffusion models.

The entry point for scripts (pymoo's ``minimize`` is the model)::

    import gqap
    inst = gqap.read("cordeau/20-15-35")          # a file, or a shipped SET/NAME
    res = gqap.solve(inst, "tabu", time_limit=5)  # re-scored by the shared evaluator
    gqap.sweep("default", out="runs/default")     # a benchmark sweep into a results store

The model (instances, solutions, evaluators, generators, file formats) lives in this
package's modules; ``read``, ``generate``, ``solve``, ``evaluate``, ``sweep`` and
``available_solvers`` come from ``gqap.cli.api`` and load on first use, so importing
``gqap`` never pulls in a solver or the harness.
"""

from gqap._checkout import map_source_checkout
from gqap._version import __version__
from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.errors import FormatError, GQAPError, ValidationError
from gqap.family import Instance, Solution
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.solution import OffloadingSolution

map_source_checkout()

_API = ("read", "generate", "solve", "evaluate", "sweep", "available_solvers")

__all__ = [
    "FormatError", "GQAPError", "GQAPInstance", "GQAPSolution", "Instance",
    "OffloadingInstance", "OffloadingSolution", "Solution", "ValidationError", "__version__",
    *_API,
]


def __getattr__(name: str):  # noqa: ANN202 - module-level lazy attribute (PEP 562)
    if name in _API:
        from gqap.cli import api

        return getattr(api, name)
    raise AttributeError(f"module 'gqap' has no attribute {name!r}")
