"""``bnb``: branch and bound for the GQAP with RLT1-type Lagrangean bounds and a proof
record a third party can check (``gqap bench verify-proof``); see ``solver``."""

from gqap.solvers.bnb.solver import BnBOptions, BnBSolver

__all__ = ["BnBOptions", "BnBSolver"]
