"""The multi-cluster Q-network: permutation-invariant over users and over sites, so one
set of weights serves any user count and any site count.

Starting point is ``SetQNet`` (one encoder shared by all users, comparison pooling). Here
the shared encoder reads one (user j, site s) pair: j's features and status, whether j is
on s or on another site, the pair's shift and gain features and s's descriptors. For every
site s the pair codes are pooled over users: the current user's code on s, the mean codes
of the pending users and of the users granted on s, and soft counts
sum_j sigmoid(score_js - score_cs) over the pending users and over those on s (how many
would beat the current user on s, on each of k learned scores), linear and on a log scale,
saturating at ``count_scale``. A site network turns that into a site code z_s; the sites
are pooled (mean and max over the instance's sites) into a context. The advantage of
granting on s reads [z_s, context]; the advantage of denying and the value read the
context and the counts. Q = V + A - mean(A over the deny action and the instance's sites).

The network outputs the learned part f(s, a) of Q(s, a) = potential(s) + f(s, a)
(multi_env.py / multi_trainer.py): the potential does not depend on the action, so the
greedy action is argmax f over the allowed actions.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from gqap.solvers.dqn.env import CURRENT, GRANTED, PENDING
from gqap.solvers.dqn.layers import mlp
from gqap.solvers.dqn.multi_features import N_COUNTS, N_PAIR, N_SITE, N_USER


class MultiQNet(nn.Module):
    """Q-network of the multi-cluster MDP (see the module docstring): (B, 1 + S) outputs,
    action 0 deny, action 1 + s site s."""

    def __init__(self, embed_dim: int = 4, encoder: tuple[int, ...] = (32, 32),
                 hidden: tuple[int, ...] = (64, 64), channels: int = 4,
                 count_scale: float = 20.0) -> None:
        super().__init__()
        self.count_scale = count_scale
        self.embed = nn.Embedding(4, embed_dim)
        d, k, e = encoder[-1], channels, hidden[-1]
        self.code_dim = d
        self.encoder = mlp([N_USER + embed_dim + 2 + N_PAIR + N_SITE, *encoder],
                            final_activation=True)
        self.score = nn.Linear(d, k)
        n_glob = 2 * N_COUNTS
        self.site = mlp([3 * d + 4 * k + N_SITE + n_glob, *hidden], final_activation=True)
        self.adv_site = mlp([3 * e, e, 1], final_activation=False)
        self.adv_deny = mlp([2 * e + n_glob, e, 1], final_activation=False)
        self.value = mlp([2 * e + n_glob + N_COUNTS, e, 1], final_activation=False)

    def _glob(self, counts: torch.Tensor) -> torch.Tensor:
        cs = self.count_scale
        return torch.cat([counts.clamp(max=cs) / cs, torch.log1p(counts)], dim=1)

    def forward(self, users: torch.Tensor, status: torch.Tensor, site_of: torch.Tensor,
                pairs: torch.Tensor, sites: torch.Tensor, counts: torch.Tensor,
                valid_users: torch.Tensor, valid_sites: torch.Tensor) -> torch.Tensor:
        """(B, U, 3), (B, U) long, (B, U) long, (B, U, S, 4), (B, S, 11), (B, 5),
        (B, U) bool, (B, S) bool -> (B, 1 + S) values f(s, a)."""
        B, U, S, _ = pairs.shape
        cs = self.count_scale
        # Only the pairs that some pool reads are encoded: the current and pending users on
        # every site, a granted user on its own site (denied users, and granted users on
        # other sites, enter no pool). A packed list of P pairs, pooled into B * S groups
        # (one per row and site) by index_add.
        sidx = torch.arange(S, device=pairs.device)
        on_all = (status == GRANTED)[:, :, None] & (site_of[:, :, None] == sidx[None, None, :])
        live = ((status == CURRENT) | (status == PENDING))[:, :, None] | on_all
        keep = live & valid_users[:, :, None] & valid_sites[:, None, :]
        rb, ru, rs = keep.nonzero(as_tuple=True)
        st = status[rb, ru]
        on = on_all[rb, ru, rs]
        other = (st == GRANTED) & ~on  # always False here; kept as an input of the encoder
        x = torch.cat([users[rb, ru], self.embed(st), on[:, None].to(pairs.dtype),
                       other[:, None].to(pairs.dtype), pairs[rb, ru, rs], sites[rb, rs]], dim=1)
        h = self.encoder(x)  # (P, d)
        sc = self.score(h)  # (P, k)
        group = rb * S + rs
        cur = (st == CURRENT).to(h.dtype)[:, None]
        pend = (st == PENDING).to(h.dtype)[:, None]
        onf = on.to(h.dtype)[:, None]

        def pool(v: torch.Tensor) -> torch.Tensor:
            return v.new_zeros(B * S, v.shape[1]).index_add_(0, group, v)

        h_c = pool(h * cur)
        s_c = pool(sc * cur)
        beats = torch.sigmoid(sc - s_c[group])
        n_p = pool(pend).clamp(min=1.0)
        n_on = pool(onf).clamp(min=1.0)
        cnt_p = pool(beats * pend).clamp(max=cs)
        cnt_on = pool(beats * onf).clamp(max=cs)
        glob = self._glob(counts)
        z = self.site(torch.cat([h_c, pool(h * pend) / n_p, pool(h * onf) / n_on,
                                 cnt_p / cs, torch.log1p(cnt_p), cnt_on / cs,
                                 torch.log1p(cnt_on), sites.reshape(B * S, -1),
                                 glob.repeat_interleave(S, dim=0)], dim=1)).reshape(B, S, -1)
        vs = valid_sites.to(z.dtype)[..., None]
        n_s = vs.sum(1).clamp(min=1.0)
        z_max = torch.where(valid_sites[..., None], z, torch.full_like(z, -1e9)).amax(1)
        ctx = torch.cat([(z * vs).sum(1) / n_s, z_max], dim=1)  # (B, 2e)
        a_site = self.adv_site(torch.cat([z, ctx[:, None, :].expand(B, S, -1)], dim=2))[..., 0]
        a_deny = self.adv_deny(torch.cat([ctx, glob], dim=1))
        a_site = torch.where(valid_sites, a_site, torch.zeros_like(a_site))
        mean = (a_deny[:, 0] + a_site.sum(1)) / (1.0 + valid_sites.sum(1))
        v = self.value(torch.cat([ctx, glob, counts / cs], dim=1))
        return v + torch.cat([a_deny, a_site], dim=1) - mean[:, None]


def multi_network_spec(net_cfg: Any, count_scale: float) -> dict[str, Any]:
    """Architecture metadata (checkpoint sidecars) of a ``multi`` NetworkConfig."""
    return {"kind": "multi", "max_users": None, "embed_dim": net_cfg.embed_dim,
            "encoder": list(net_cfg.encoder), "hidden": list(net_cfg.hidden),
            "channels": net_cfg.channels, "count_scale": float(count_scale)}


def build_multi_network(spec: dict[str, Any]) -> MultiQNet:
    """A freshly initialised MultiQNet for a ``multi_network_spec``."""
    return MultiQNet(int(spec["embed_dim"]), tuple(int(h) for h in spec["encoder"]),
                     tuple(int(h) for h in spec["hidden"]), int(spec["channels"]),
                     float(spec["count_scale"]))


FEATURE_KEYS = ("users", "status", "site_of", "pairs", "sites", "counts", "valid_users",
                "valid_sites")


def multi_tensors(obs: dict[str, Any]) -> tuple[torch.Tensor, ...]:
    """Batched feature arrays (``multi_features.features``) -> the forward() arguments."""
    long = {"status", "site_of"}
    boolean = {"valid_users", "valid_sites"}
    out = []
    for k in FEATURE_KEYS:
        dtype = torch.long if k in long else torch.bool if k in boolean else torch.float32
        out.append(torch.as_tensor(obs[k]).to(dtype))
    return tuple(out)
