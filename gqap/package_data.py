"""Where the data shipped inside the package lies: always found through
``importlib.resources``, never through a path computed up to a repository root."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from gqap.errors import GQAPError


def package_dir(package: str) -> Path:
    """The folder of ``package`` on disk (instance sets, configs and checkpoints are read
    as plain files, so a zipped install is refused with one line)."""
    root = resources.files(package)
    if not isinstance(root, Path):
        raise GQAPError(f"{package}: the package data is not a folder on disk; install "
                        "gqap-bench unzipped (pip install does)")
    return root
