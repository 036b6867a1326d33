"""The trained multi-cluster policy as a solver: ``dqn-multi`` (checkpoint ``multi``).

One pass over the users in request order, one evaluation of the Q-network per user (in
numpy, with the features of a site recomputed only when its count changes:
``multi_policy.fast_sites``): deny, or grant on the allowed site with the highest value
(greedy, deterministic; ties go to deny, then to the lowest site). Granted users then get
their best split for the final counts from the convex inner problem
(``gqap.multi.gain_table``; real-valued splits with ``split=real``), exactly as in the
training environment. Refused with a one-line error: a
checkpoint whose file does not match its sidecar hash or architecture, or one that does
not hold a multi-cluster network. When the time limit runs out mid-pass, the users not
yet decided are denied (status time_limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gqap.multi import MultiInstance
from gqap.paper import MODEL_DEFAULTS
from gqap.solvers.base import Deadline, SolverOutput, Status
from gqap.solvers.dqn.solver import DQNSolver, load_cached
from gqap.solvers.options import SPLIT_MODES

# The generator defaults the policy was trained under; a differing instance is solved but
# flagged in info["out_of_distribution"].
_TRAINED_MODEL = MODEL_DEFAULTS  # the paper's model


@dataclass(frozen=True)
class DQNMultiOptions:
    """``checkpoint``: a shipped name or a .pt path; ``split``: integer or real splits."""

    checkpoint: str = "multi"
    split: str = "integer"

    def __post_init__(self) -> None:
        if self.split not in SPLIT_MODES:
            raise ValueError(f"split must be one of {', '.join(SPLIT_MODES)}, got {self.split!r}")
        if not self.checkpoint:
            raise ValueError("checkpoint must name a shipped checkpoint or a file")


def scope_notes(meta: dict[str, Any], inst: MultiInstance) -> list[str]:
    """Where an instance lies outside the checkpoint's training distribution (solved
    anyway: the network is size-invariant), as readable notes."""
    scope = meta["scope"]
    out = []
    lo, hi = scope.get("sites", [1, 8])
    if not lo <= inst.n_sites <= hi:
        out.append(f"S = {inst.n_sites} (trained with {lo}..{hi} sites)")
    lo, hi = scope.get("users", [1, 50])
    if not lo <= inst.n_users <= hi:
        out.append(f"{inst.n_users} users (trained with {lo}..{hi})")
    out += [f"{k} = {getattr(inst, k)!r} (trained with {v!r})"
            for k, v in _TRAINED_MODEL.items() if getattr(inst, k) != v]
    return out


class DQNMultiSolver(DQNSolver):
    """Multi-cluster DQN policy: deny-or-site decisions per user, convex split points."""

    name = "dqn-multi"
    families = ("multi",)
    version = "1"
    Options = DQNMultiOptions
    network_kind = "multi"

    def warm_up(self) -> None:
        """Load and verify the checkpoint, then decide one small generated instance: torch's
        first forward pass costs far more than the later ones."""
        import numpy as np

        from gqap.multi import generate_multi

        warm = generate_multi(np.random.default_rng(0), 6, 2, name="warm-up")
        self._decide(load_cached(self.options.checkpoint, self.network_kind), warm,
                     Deadline(None))

    def _decide(self, ck: Any, instance: MultiInstance,
                deadline: Deadline) -> tuple[Any, int, bool, Any]:
        """(site vector, forward passes, timed out, gain table) of the checkpoint's greedy
        roll-out (``multi_policy.fast_sites``: numpy, features updated incrementally)."""
        from gqap.solvers.dqn.multi_features import episode_tables
        from gqap.solvers.dqn.multi_policy import fast_sites

        integer = self.options.split == "integer"
        built = episode_tables(instance, ck.scales, integer)
        sites, steps, cut = fast_sites(ck.network, instance, ck.scales, integer,
                                       deadline.expired, built)
        return sites, steps, cut, built[1]

    def _solve(self, instance: MultiInstance, time_limit: float | None,
               seed: int) -> SolverOutput:
        from gqap.solvers.dqn.multi_env import final_multi_solution

        deadline = Deadline(time_limit)
        ck = load_cached(self.options.checkpoint, self.network_kind)
        sites, passes, timed_out, gt = self._decide(ck, instance, deadline)
        sol = final_multi_solution(instance, sites, self.options.split == "integer", gt)
        info: dict[str, Any] = {
            "split_mode": self.options.split, "checkpoint": ck.name,
            "checkpoint_sha256": ck.meta["sha256"], "forward_passes": passes,
            "counts": sol.counts(instance.n_sites).tolist()}
        notes = scope_notes(ck.meta, instance)
        if notes:
            info["out_of_distribution"] = notes
        if timed_out:
            info["undecided_denied"] = True
        return SolverOutput(sol, Status.TIME_LIMIT if timed_out else Status.FEASIBLE, info=info)
