"""The top floor: the ``gqap`` command line and the public Python API (``gqap.cli.api``).

This package is the one place allowed to import from every floor below it (model,
solvers, harness); nothing below imports from here.
"""

from gqap.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
