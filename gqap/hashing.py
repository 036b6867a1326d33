"""SHA-256 digests of files and bytes: the one helper behind every manifest and sidecar check.

Instance-set manifests (``gqap.instance_sets``), checkpoint sidecars
(``gqap.solvers.dqn.checkpoints``) and the harness's ``path =`` sources all compare a file
against a recorded hex digest with these functions.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_BLOCK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, read in blocks (large checkpoints stay out of memory)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            h.update(block)
    return h.hexdigest()
