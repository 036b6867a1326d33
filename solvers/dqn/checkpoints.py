"""Checkpoint files: a torch state dict (``NAME.pt``, read with ``weights_only=True``) and a
JSON sidecar (``NAME.json``) with the architecture, feature scales, scope, full training
config, seed, episodes, wall time, git commit and the SHA-256 of the ``.pt``.

Loading refuses a ``.pt`` whose hash differs from its sidecar, a state dict that does not
fit the declared architecture, and a network of the wrong kind for the caller.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gqap.errors import GQAPError
from gqap.hashing import sha256_file as file_sha256
from gqap.io import dumps, write_text_atomic
from gqap.package_data import package_dir
from gqap.solvers.dqn.config import SCOPES, FeatureScales, near
from gqap.solvers.dqn.network import build_network

FORMAT = "gqap-bench/dqn-checkpoint"
VERSION = 1
CHECKPOINT_DIR = package_dir("gqap.solvers.dqn") / "checkpoints"


@dataclass
class Checkpoint:
    """A loaded, verified checkpoint: the network (eval mode) and its sidecar."""

    network: nn.Module
    meta: dict[str, Any]
    path: Path

    @property
    def kind(self) -> str:
        """'mlp' (paper) or 'set'."""
        return self.meta["network"]["kind"]

    @property
    def max_users(self) -> int | None:
        """Padding size of an MLP network; None for a set network."""
        return self.meta["network"].get("max_users")

    @property
    def scales(self) -> FeatureScales:
        """The feature scales the network was trained with."""
        return FeatureScales(**self.meta["features"])

    @property
    def name(self) -> str:
        """The checkpoint's name (file stem)."""
        return self.path.stem


def git_commit(cwd: str | Path | None = None) -> str | None:
    """The current git commit of the project, or None outside a work tree."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             cwd=cwd or CHECKPOINT_DIR.parent, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def shipped_checkpoints() -> list[str]:
    """Names of the checkpoints shipped in the package."""
    return sorted(p.stem for p in CHECKPOINT_DIR.glob("*.pt") if p.with_suffix(".json").exists())


def save_checkpoint(path: str | Path, network: nn.Module, meta: dict[str, Any]) -> Path:
    """Write ``path`` (.pt) and its sidecar (.json); returns the sidecar's path."""
    path = Path(path).with_suffix(".pt")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".pt.tmp")
    torch.save({k: v.detach().clone() for k, v in network.state_dict().items()}, tmp)
    tmp.replace(path)
    side = {"format": FORMAT, "version": VERSION, "file": path.name, **meta,
            "sha256": file_sha256(path)}
    return write_text_atomic(path.with_suffix(".json"), dumps(side))


def install_checkpoint(src: str | Path, name: str, dest_dir: str | Path | None = None) -> Path:
    """Copy a verified checkpoint into the package as ``name`` (the shipped files); the
    sidecar keeps every field and records where it came from."""
    import shutil

    ck = load_checkpoint(src)
    if not name or "/" in name or name.endswith((".pt", ".json")):
        raise GQAPError(f"checkpoint name: expected a bare name like 'general', got {name!r}")
    dest = Path(dest_dir or CHECKPOINT_DIR) / f"{name}.pt"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ck.path, dest)
    meta = dict(ck.meta, file=dest.name, installed_from=str(ck.path))
    write_text_atomic(dest.with_suffix(".json"), dumps(meta))
    load_checkpoint(dest)  # the copy verifies like the original
    return dest


def resolve_checkpoint(ref: str | Path) -> Path:
    """A shipped name (e.g. 'general') or a path to a .pt / .json file -> the .pt path."""
    ref_s = str(ref)
    shipped = CHECKPOINT_DIR / f"{ref_s}.pt"
    if "/" not in ref_s and not ref_s.endswith((".pt", ".json")):
        if shipped.exists():
            return shipped
        raise GQAPError(f"checkpoint: no shipped checkpoint named {ref_s!r}; shipped: "
                        f"{', '.join(shipped_checkpoints()) or 'none'} (or give a file path)")
    p = Path(ref_s).with_suffix(".pt")
    if not p.exists():
        raise GQAPError(f"checkpoint: no such file {p}")
    return p


def load_checkpoint(ref: str | Path, kind: str | None = None) -> Checkpoint:
    """Load and verify a checkpoint; ``kind`` ('mlp' or 'set') is what the caller needs."""
    pt = resolve_checkpoint(ref)
    side_path = pt.with_suffix(".json")
    where = f"checkpoint {pt.name}"
    try:
        meta = json.loads(side_path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise GQAPError(f"{where}: sidecar {side_path.name} is missing") from None
    except (OSError, ValueError, RecursionError) as exc:
        raise GQAPError(f"{where}: sidecar {side_path.name} is unreadable ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise GQAPError(f"{where}: sidecar is not a version-{VERSION} {FORMAT} file")
    digest = file_sha256(pt)
    if digest != meta.get("sha256"):
        raise GQAPError(f"{where}: SHA-256 {digest[:12]}... differs from the sidecar's "
                        f"{str(meta.get('sha256'))[:12]}...; the file was changed or tampered with")
    spec = meta.get("network")
    if not isinstance(spec, dict):
        raise GQAPError(f"{where}: sidecar has no network description")
    if kind is not None and spec.get("kind") != kind:
        raise GQAPError(f"{where}: holds a {spec.get('kind')!r} network, this solver needs "
                        f"{kind!r}")
    _check_scope(meta.get("scope"), where)
    try:
        FeatureScales(**meta["features"])
    except (KeyError, TypeError, ValueError) as exc:
        raise GQAPError(f"{where}: sidecar feature scales are malformed ({exc})") from None
    try:
        net = build_network(spec)
    except (ValueError, KeyError, TypeError) as exc:
        raise GQAPError(f"{where}: {exc}") from None
    try:
        with warnings.catch_warnings():  # torch's protocol notes would add stderr lines
            warnings.simplefilter("ignore")
            state = torch.load(pt, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        # weights_only=True stops before any object is built: the payload never runs.
        raise GQAPError(f"{where}: {pt} holds pickled Python objects, not only tensors; "
                        "refused without loading them") from None
    except (RuntimeError, ValueError, TypeError, OSError, EOFError, AttributeError,
            ImportError, IndexError, KeyError, MemoryError) as exc:
        raise GQAPError(f"{where}: {pt} is not a readable torch weights file "
                        f"({_first_line(exc)})") from None
    if not isinstance(state, dict):
        raise GQAPError(f"{where}: {pt} holds a {type(state).__name__}, not a state dict")
    try:
        net.load_state_dict(state, strict=True)
    except (RuntimeError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise GQAPError(f"{where}: weights do not match the declared {spec.get('kind')} "
                        f"architecture ({_first_line(exc)})") from None
    net.eval()
    return Checkpoint(net, meta, pt)


def initial_weights(ref: str, spec: dict[str, Any], base_dir: str | Path | None = None,
                    ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The starting weights of a run that continues a checkpoint (``run.init``: a shipped
    name or a path, relative to ``base_dir`` where it is not found as given): its state
    dict, refused unless its architecture is ``spec``, and what the new run's sidecar
    records of it (file, hash, training so far, command, seed)."""
    init = load_checkpoint(near(ref, base_dir), spec["kind"])
    if init.meta["network"] != spec:
        raise GQAPError(f"run.init: {ref} has architecture {init.meta['network']}, the "
                        f"config asks for {spec}")
    return init.network.state_dict(), {k: init.meta.get(k) for k in (
        "file", "sha256", "episodes", "steps", "train_wall_time_s", "train_wall_time_total_s",
        "command", "seed")}


def _first_line(exc: BaseException) -> str:
    """torch's message on one line, cut to its first 200 characters."""
    text = " ".join(str(exc).split())
    if not text:
        return type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _check_scope(scope: Any, where: str) -> None:
    if not isinstance(scope, dict) or scope.get("kind") not in SCOPES:
        raise GQAPError(f"{where}: sidecar scope must name one of {', '.join(SCOPES)}")
    if scope["kind"] == "gpu" and not isinstance(scope.get("gpu_G"), int):
        raise GQAPError(f"{where}: a gpu-scope sidecar must record gpu_G")
    if scope["kind"] == "specific" and not isinstance(scope.get("instance_hash"), str):
        raise GQAPError(f"{where}: a specific-scope sidecar must record instance_hash")


def checkpoint_run_version(version: str, checkpoint: str) -> str:
    """``version`` plus the checkpoint's SHA-256 prefix from its sidecar: a retrained
    checkpoint is a new solver for the harness, whose stored rows then no longer count as
    done ("unverified" where the sidecar cannot be read: the solve itself says why)."""
    side = resolve_checkpoint(checkpoint).with_suffix(".json")
    try:
        sha = str(json.loads(side.read_text())["sha256"])
    except (OSError, ValueError, KeyError):
        sha = "unverified"
    return f"{version}+{sha[:12]}"
