"""The trained policies as solvers: ``dqn`` (the paper's MLP, checkpoint ``general`` by
default) and ``dqn-set`` (the set network, ``set-general``).

One pass over the users in request order: each step is one forward pass of the Q-network
(O(I) passes; the set network reuses per-user codes across steps, policy.set_rollout);
grant when Q(grant) > Q(deny). Granted users then get their optimal split
for the final b (gqap.offloading.split), exactly as in the training environment. Refused with a
one-line error: more users than an MLP's padding, a checkpoint whose file does not match
its sidecar hash or architecture, and (unless ``strict_scope=false``) a gpu-scope
checkpoint on another G or a specific-scope checkpoint on another instance. When the time
limit runs out mid-pass, the users not yet decided are denied (status time_limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gqap.errors import GQAPError
from gqap.offloading.instance import OffloadingInstance
from gqap.paper import MODEL_DEFAULTS, W_MAX_HZ
from gqap.solvers.base import Deadline, Solver, SolverOutput, Status
from gqap.solvers.options import SPLIT_MODES

_CACHE: dict[tuple[str, int, int, str], Any] = {}
# The scenario constants a policy was trained under (generator defaults); a differing
# instance is solved but flagged in info["out_of_distribution"].
# The shipped checkpoints were trained on the paper's model: other values are flagged.
_TRAINED_MODEL = {**MODEL_DEFAULTS, "W_max_hz": W_MAX_HZ}


@dataclass(frozen=True)
class DQNOptions:
    """``checkpoint``: a shipped name (see solvers/dqn/checkpoints) or a .pt path;
    ``split``: integer or real split points; ``strict_scope``: refuse out-of-scope use of
    gpu / specific checkpoints."""

    checkpoint: str = "general"
    split: str = "integer"
    strict_scope: bool = True

    def __post_init__(self) -> None:
        if self.split not in SPLIT_MODES:
            raise ValueError(f"split must be one of {', '.join(SPLIT_MODES)}, got {self.split!r}")
        if not self.checkpoint:
            raise ValueError("checkpoint must name a shipped checkpoint or a file")


@dataclass(frozen=True)
class DQNSetOptions(DQNOptions):
    """As DQNOptions, with the set network's checkpoint as default."""

    checkpoint: str = "set-general"


def load_cached(ref: str, kind: str) -> Any:
    """A verified checkpoint, re-read whenever the file changes (size, mtime or path)."""
    from gqap.solvers.dqn.checkpoints import load_checkpoint, resolve_checkpoint

    path = resolve_checkpoint(ref)
    st = path.stat()
    side = path.with_suffix(".json")
    side_mtime = side.stat().st_mtime_ns if side.exists() else 0
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size, f"{kind}:{side_mtime}")
    if key not in _CACHE:
        for old in [k for k in _CACHE if k[0] == key[0]] or list(_CACHE)[:-7]:
            del _CACHE[old]  # a changed file replaces its entry; at most 8 entries kept
        _CACHE[key] = load_checkpoint(path, kind)
    return _CACHE[key]


def scope_problems(meta: dict[str, Any], inst: OffloadingInstance) -> list[str]:
    """Why an instance lies outside a checkpoint's training scope (empty when inside)."""
    scope = meta["scope"]
    out = []
    if scope["kind"] == "gpu" and inst.G != scope["gpu_G"]:
        out.append(f"trained for G = {scope['gpu_G']} only, instance has G = {inst.G}")
    if scope["kind"] == "specific" and inst.content_hash() != scope["instance_hash"]:
        out.append(f"trained on one instance ({scope.get('instance_name') or 'specific'}), "
                   "this is another")
    return out


class DQNSolver(Solver):
    """The paper's DRL-convex hybrid: PER-DQN grant/deny decisions, convex split points."""

    name = "dqn"
    families = ("offloading",)
    version = "1"
    Options = DQNOptions
    network_kind = "mlp"

    @classmethod
    def run_version(cls, options: Any) -> str:
        """The version plus the checkpoint's SHA-256 prefix (``checkpoint_run_version``)."""
        from gqap.solvers.dqn.checkpoints import checkpoint_run_version

        return checkpoint_run_version(cls.version, options.checkpoint)

    def warm_up(self) -> None:
        """Load and verify the checkpoint, then decide one small generated instance: torch's
        first forward pass costs far more than the later ones."""
        import numpy as np

        from gqap.offloading.generator import generate_offloading
        from gqap.solvers.dqn.env import final_solution

        ck = load_cached(self.options.checkpoint, self.network_kind)
        warm = generate_offloading(np.random.default_rng(0), 4, 8, 4, name="warm-up")
        final_solution(warm, self._decide(ck, warm, Deadline(None))[0],
                       integer=self.options.split == "integer")

    @staticmethod
    def _decide(ck: Any, instance: OffloadingInstance,
                deadline: Deadline) -> tuple[Any, int, bool]:
        """(grant mask, forward passes, timed out) of the checkpoint's greedy roll-out."""
        from gqap.solvers.dqn.policy import greedy_grants, set_rollout

        if ck.kind == "set":
            return set_rollout(ck.network, instance, ck.scales, expired=deadline.expired)
        (grant,), passes, timed_out = greedy_grants(ck.network, [instance], ck.max_users,
                                                    ck.scales, expired=deadline.expired)
        return grant, passes, timed_out

    def _solve(self, instance: OffloadingInstance, time_limit: float | None,
               seed: int) -> SolverOutput:
        from gqap.solvers.dqn.env import final_solution

        ck = load_cached(self.options.checkpoint, self.network_kind)
        if ck.max_users is not None and instance.n_users > ck.max_users:
            raise GQAPError(f"solver {self.name}: instance has {instance.n_users} users but "
                            f"checkpoint {ck.name!r} is padded for at most {ck.max_users} "
                            "(use dqn-set for larger instances)")
        problems = scope_problems(ck.meta, instance)
        if problems and self.options.strict_scope:
            raise GQAPError(f"solver {self.name}: checkpoint {ck.name!r} is "
                            f"{ck.meta['scope']['kind']}-scope: {problems[0]} "
                            "(pass strict_scope=false to use it anyway)")
        grant, passes, timed_out = self._decide(ck, instance, Deadline(time_limit))
        sol = final_solution(instance, grant, integer=self.options.split == "integer")
        info: dict[str, Any] = {
            "split_mode": self.options.split, "checkpoint": ck.name,
            "checkpoint_sha256": ck.meta["sha256"], "scope": ck.meta["scope"]["kind"],
            "forward_passes": passes, "b": sol.b}
        odd = [f"{k} = {getattr(instance, k)!r} (trained with {v!r})"
               for k, v in _TRAINED_MODEL.items() if getattr(instance, k) != v]
        if problems:
            odd += problems
        if odd:
            info["out_of_distribution"] = odd
        if timed_out:
            info["undecided_denied"] = True
        return SolverOutput(sol, Status.TIME_LIMIT if timed_out else Status.FEASIBLE, info=info)


class DQNSetSolver(DQNSolver):
    """Set-network variant: one checkpoint for any user count."""

    name = "dqn-set"
    Options = DQNSetOptions
    network_kind = "set"


def checkpoint_path(ref: str) -> Path:
    """The .pt file a checkpoint option refers to."""
    from gqap.solvers.dqn.checkpoints import resolve_checkpoint

    return resolve_checkpoint(ref)
