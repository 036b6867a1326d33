"""gqap-bench: instance model, evaluator, generators and file formats.

The two families share one interface: ``GQAPInstance`` / ``OffloadingInstance`` hold the
data, ``gqap.evaluation.evaluate`` scores a solution, ``gqap.io`` reads and writes files.
"""

from gqap.errors import FormatError, GQAPError, ValidationError
from gqap.instances import GQAPInstance, Instance, OffloadingInstance
from gqap.solutions import GQAPSolution, OffloadingSolution, Solution

__version__ = "0.1.0"

__all__ = [
    "FormatError", "GQAPError", "GQAPInstance", "GQAPSolution", "Instance",
    "OffloadingInstance", "OffloadingSolution", "Solution", "ValidationError", "__version__",
]
