"""Q-networks over the MDP's observation (local, indicator, global, valid), two outputs
[Q(deny), Q(grant)].

``MLPQNet`` is the paper's (Section VI-B2): the indicator of every user slot is embedded
(vocabulary 4, dimension 3) and concatenated with its static features, the padded user
slots and the global sub-state are flattened into three hidden layers of 256 and a
2-node output. It is tied to the padding size.

``SetQNet`` goes beyond the paper: one encoder shared by all users, so any user count
works. Each user j is encoded from [its features, embedded indicator, static global
features]; the current user c is compared with the others through k learned scores s.
Q = V + A - mean(A). The advantage A, which alone decides the greedy action, sees c's code,
the mean codes of the pending, granted and denied users, the soft counts
sum_j sigmoid(s_j - s_c) over pending and over granted users (how many would beat c on
each score) and the global sub-state, counts linear and on a log scale, all saturating at
``count_scale`` (20, above B_max): its inputs stay in the trained range for any user count.
The value V also sees the sums of the codes and the raw counts, because the return still
to come includes the latency of every user already decided (eq. 21 pays only PAI before
the end), which a mean cannot express.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from gqap.solvers.dqn.env import CURRENT, DENIED, GRANTED, N_GLOBAL, N_LOCAL, PENDING
from gqap.solvers.dqn.layers import mlp


def _dueling(out: torch.Tensor, dueling: bool) -> torch.Tensor:
    """Q = V + A - mean(A) from [V, A_deny, A_grant] (Wang et al. 2016), else ``out``."""
    if not dueling:
        return out
    adv = out[:, 1:]
    return out[:, :1] + adv - adv.mean(dim=1, keepdim=True)


class MLPQNet(nn.Module):
    """The paper's Q-network for at most ``max_users`` users."""

    def __init__(self, max_users: int, embed_dim: int = 3,
                 hidden: tuple[int, ...] = (256, 256, 256), dueling: bool = False) -> None:
        super().__init__()
        self.max_users = max_users
        self.dueling = dueling
        self.embed = nn.Embedding(4, embed_dim)
        width = max_users * (N_LOCAL + embed_dim) + N_GLOBAL
        self.body = mlp([width, *hidden, 3 if dueling else 2], final_activation=False)

    def forward(self, local: torch.Tensor, indicator: torch.Tensor, glob: torch.Tensor,
                valid: torch.Tensor) -> torch.Tensor:
        """(B, U, 3), (B, U) long, (B, 6), (B, U) bool -> (B, 2) Q-values."""
        x = torch.cat([local, self.embed(indicator)], dim=2).flatten(1)
        return _dueling(self.body(torch.cat([x, glob], dim=1)), self.dueling)


class SetQNet(nn.Module):
    """Permutation-invariant Q-network for any user count (see the module docstring)."""

    def __init__(self, embed_dim: int = 3, encoder: tuple[int, ...] = (64, 64),
                 hidden: tuple[int, ...] = (128, 128), channels: int = 8,
                 count_scale: float = 20.0) -> None:
        super().__init__()
        self.count_scale = count_scale
        self.embed = nn.Embedding(4, embed_dim)
        d = encoder[-1]
        self.encoder = mlp([N_LOCAL + embed_dim + 3, *encoder], final_activation=True)
        self.score = nn.Linear(d, channels)
        self.advantage = mlp([4 * d + 4 * channels + 9, *hidden, 2], final_activation=False)
        self.value = mlp([7 * d + 2 * channels + 6, *hidden, 1], final_activation=False)

    def forward(self, local: torch.Tensor, indicator: torch.Tensor, glob: torch.Tensor,
                valid: torch.Tensor) -> torch.Tensor:
        """(B, U, 3), (B, U) long, (B, 6), (B, U) bool -> (B, 2) Q-values."""
        B, U = indicator.shape
        # Only static global features enter the encoder, so a user's code changes only with
        # its own indicator (an incremental roll-out can reuse it).
        x = torch.cat([local, self.embed(indicator), glob[:, None, :3].expand(B, U, 3)], dim=2)
        h = self.encoder(x)  # (B, U, d)
        masks = [((indicator == o) & valid).to(h.dtype)
                 for o in (CURRENT, PENDING, GRANTED, DENIED)]
        h_c = (h * masks[0][..., None]).sum(1)
        s = self.score(h)  # (B, U, k)
        s_c = (s * masks[0][..., None]).sum(1)
        beats = torch.sigmoid(s - s_c[:, None, :])
        cnt_p = (beats * masks[1][..., None]).sum(1)
        cnt_g = (beats * masks[2][..., None]).sum(1)
        sums = [(h * m[..., None]).sum(1) for m in masks[1:]]  # pending, granted, denied
        counts = glob[:, 3:] * self.count_scale  # pending (current included), granted, denied
        return self.q_values(h_c, sums, cnt_p, cnt_g, glob[:, :3], counts)

    def encode(self, local: torch.Tensor, indicator: torch.Tensor,
               glob_static: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Codes h (N, d) and scores s (N, k) of N users: features (N, 3), indicators (N,),
        static global features (N, 3)."""
        h = self.encoder(torch.cat([local, self.embed(indicator), glob_static], dim=1))
        return h, self.score(h)

    def advantages(self, h_c: torch.Tensor, sums: list[torch.Tensor], cnt_p: torch.Tensor,
                   cnt_g: torch.Tensor, glob_static: torch.Tensor,
                   counts: torch.Tensor) -> torch.Tensor:
        """A(s, .) (B, 2) from saturating inputs only: the current user's code, the mean codes
        of the pending / granted / denied users, soft counts and counts capped at
        count_scale (linear and log). It alone decides the greedy action."""
        cs = self.count_scale
        n_p = counts[:, :1] - 1.0  # pending users other than the current one
        means = [sm / n.clamp(min=1.0) for sm, n in zip(
            sums, (n_p, counts[:, 1:2], counts[:, 2:3]), strict=True)]
        cp, cg, cn = cnt_p.clamp(max=cs), cnt_g.clamp(max=cs), counts.clamp(max=cs)
        z = torch.cat([h_c, *means, torch.log1p(cp), torch.log1p(cg), cp / cs, cg / cs,
                       glob_static, cn / cs, torch.log1p(cn)], dim=1)
        return self.advantage(z)

    def q_values(self, h_c: torch.Tensor, sums: list[torch.Tensor], cnt_p: torch.Tensor,
                 cnt_g: torch.Tensor, glob_static: torch.Tensor,
                 counts: torch.Tensor) -> torch.Tensor:
        """Q = V + A - mean(A). V also sees unsaturated sums and counts: the return still to
        come includes costs of every decided user, which a mean cannot express."""
        cs = self.count_scale
        adv = self.advantages(h_c, sums, cnt_p, cnt_g, glob_static, counts)
        n_p = counts[:, :1] - 1.0
        means = [sm / n.clamp(min=1.0) for sm, n in zip(
            sums, (n_p, counts[:, 1:2], counts[:, 2:3]), strict=True)]
        v = self.value(torch.cat([h_c, *means, *(sm / cs for sm in sums), cnt_p / cs,
                                  cnt_g / cs, glob_static, counts / cs], dim=1))
        return v + adv - adv.mean(dim=1, keepdim=True)


def network_spec(net_cfg: Any, max_users: int, count_scale: float) -> dict[str, Any]:
    """Architecture metadata (stored in checkpoint sidecars) from a NetworkConfig."""
    if net_cfg.kind == "mlp":
        return {"kind": "mlp", "max_users": int(max_users), "embed_dim": net_cfg.embed_dim,
                "hidden": list(net_cfg.hidden), "dueling": net_cfg.dueling}
    if net_cfg.kind == "multi":
        from gqap.solvers.dqn.multi_network import multi_network_spec

        return multi_network_spec(net_cfg, count_scale)
    if net_cfg.kind == "online":
        raise ValueError("network.kind 'online': the spec comes from online_network_spec")
    return {"kind": "set", "max_users": None, "embed_dim": net_cfg.embed_dim,
            "encoder": list(net_cfg.encoder), "hidden": list(net_cfg.hidden),
            "channels": net_cfg.channels, "count_scale": float(count_scale),
            "value_advantage": True}


def build_network(spec: dict[str, Any]) -> nn.Module:
    """A freshly initialised network for an architecture spec (``network_spec``)."""
    try:
        if spec["kind"] == "mlp":
            return MLPQNet(int(spec["max_users"]), int(spec["embed_dim"]),
                           tuple(int(h) for h in spec["hidden"]), bool(spec.get("dueling")))
        if spec["kind"] == "set":
            return SetQNet(int(spec["embed_dim"]), tuple(int(h) for h in spec["encoder"]),
                           tuple(int(h) for h in spec["hidden"]), int(spec["channels"]),
                           float(spec["count_scale"]))
        if spec["kind"] == "multi":
            from gqap.solvers.dqn.multi_network import build_multi_network

            return build_multi_network(spec)
        if spec["kind"] == "online":
            from gqap.solvers.dqn.online_network import build_online_network

            return build_online_network(spec)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"network spec is incomplete or malformed ({exc})") from exc
    raise ValueError(f"network kind must be 'mlp', 'set', 'multi' or 'online', "
                     f"got {spec.get('kind')!r}")


def to_tensors(obs: dict[str, Any]) -> tuple[torch.Tensor, ...]:
    """Batched observation arrays (``env.observe``) -> the forward() arguments."""
    return (torch.as_tensor(obs["local"], dtype=torch.float32),
            torch.as_tensor(obs["indicator"], dtype=torch.long),
            torch.as_tensor(obs["global"], dtype=torch.float32),
            torch.as_tensor(obs["valid"], dtype=torch.bool))
