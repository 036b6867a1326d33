"""Greedy roll-outs of a trained multi-cluster Q-network: one forward pass per user step,
batched over instances (validation runs hundreds at once). The greedy action is the
argmax of the network's output over the allowed actions (ties go to the lowest action,
deny first); the potential part of Q does not depend on the action.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from torch import nn

from gqap.multi import MultiInstance
from gqap.solvers.dqn.config import FeatureScales
from gqap.solvers.dqn.multi_env import MultiDecisionBatch
from gqap.solvers.dqn.multi_network import multi_tensors
from gqap.solvers.dqn.policy import greedy_rollout


def greedy_sites(net: nn.Module, instances: Sequence[MultiInstance], scales: FeatureScales,
                 batch_size: int = 256, integer: bool = True,
                 expired: Callable[[], bool] | None = None,
                 ) -> tuple[list[np.ndarray], int, bool]:
    """Site vectors chosen greedily (-1 denied), the number of forward passes, and whether
    ``expired`` cut the roll-out short (``policy.greedy_rollout``: checked before every
    step; the users not yet decided are then denied, which is always feasible). Instances
    are batched by size."""
    return greedy_rollout(net, instances, [x.n_users * x.n_sites for x in instances],
                          lambda chunk: MultiDecisionBatch(chunk, scales, integer),
                          multi_tensors, MultiDecisionBatch.sites, batch_size, expired)


# ---------------------------------------------------------------------------------------
# one instance, numpy, incremental features
# ---------------------------------------------------------------------------------------
def _linears(seq: nn.Module) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight transposed, bias) of every Linear layer of a Sequential, as float32 numpy."""
    return [(m.weight.detach().numpy().T.astype(np.float32),
             m.bias.detach().numpy().astype(np.float32))
            for m in seq.modules() if isinstance(m, nn.Linear)]


def _mlp(x: np.ndarray, layers: list[tuple[np.ndarray, np.ndarray]], final_relu: bool,
         ) -> np.ndarray:
    for k, (w, b) in enumerate(layers):
        x = x @ w + b
        if k < len(layers) - 1 or final_relu:
            x = np.maximum(x, 0.0)
    return x


def fast_sites(net: nn.Module, inst: MultiInstance, scales: FeatureScales,
               integer: bool = True, expired: Callable[[], bool] | None = None,
               built: tuple[Any, Any] | None = None) -> tuple[np.ndarray, int, bool]:
    """The greedy roll-out of ``greedy_sites`` for one instance, in numpy with incremental
    work: the first encoder layer is split into per-user, per-status, per-site and per-pair
    terms; the codes of pending users and of the users on a site are kept and recomputed
    only for the site whose count changed (a grant on s changes column s); each step
    encodes the current user on every site and pools. Same decisions as ``greedy_sites``
    up to float rounding in exact ties. ``built``: ``multi_features.episode_tables``'s result,
    when the caller has it. Returns (sites, steps, cut short)."""
    from gqap.solvers.dqn.env import CURRENT, GRANTED, PENDING
    from gqap.solvers.dqn.multi_features import (
        CLIP,
        N_PAIR,
        N_SITE,
        N_SITE_STATIC,
        episode_tables,
    )

    e = net.embed.weight.shape[1]
    enc = _linears(net.encoder)
    W1, b1 = enc[0]
    emb = net.embed.weight.detach().numpy().astype(np.float32) @ W1[3: 3 + e]  # (4, h1)
    w_on, Wp, Ws = W1[3 + e], W1[5 + e: 9 + e], W1[9 + e:]
    (w_sc, b_sc), = _linears(net.score)
    site_l, adv_s, adv_d = _linears(net.site), _linears(net.adv_site), _linears(net.adv_deny)
    cs = np.float32(net.count_scale)
    gs, cscale = np.float32(scales.gain), np.float32(scales.count)

    tab, _ = built or episode_tables(inst, scales, integer)
    n, S = tab.n_users, tab.n_sites
    G = np.concatenate([tab.gain, np.full((1, n, S), -np.inf, np.float32)])
    B = tab.B_max
    b = np.zeros(S, dtype=np.int64)
    x = np.full(n, -1, dtype=np.int64)
    members: list[list[int]] = [[] for _ in range(S)]
    pairs = np.zeros((n, S, N_PAIR), np.float32)
    pairs[:, :, 0] = tab.shift
    sitef = np.zeros((S, N_SITE), np.float32)
    sitef[:, :N_SITE_STATIC] = tab.sites
    h1 = W1.shape[1]
    p_term = np.zeros((n, S, h1), np.float32)
    s_term = np.zeros((S, h1), np.float32)
    u_term = tab.users @ W1[:3]

    def encode(pre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = _mlp(np.maximum(pre, 0.0), enc[1:], True)
        return h, h @ w_sc + b_sc

    def column(s: int) -> None:  # features of site s at its count, as in multi_features.features
        g_next, g_now = G[b[s] + 1, :, s], G[max(b[s], 1), :, s]
        full = b[s] >= B[s]
        open_ = ~full & np.isfinite(g_next)
        with np.errstate(invalid="ignore"):
            loss = np.where(open_ & np.isfinite(g_now), g_next - g_now, np.float32(0.0))
        on = members[s]
        ext = loss[on].sum(dtype=np.float32) if on else np.float32(0.0)
        g_next = np.where(open_, g_next, np.float32(0.0))
        marg = np.where(open_, g_next + ext, np.float32(0.0))
        pairs[:, s, 1:] = np.clip(np.stack([g_next / gs, marg / gs, loss / gs], axis=1),
                                  -CLIP, CLIP)
        sitef[s, N_SITE_STATIC:] = [b[s] / cscale, (B[s] - b[s]) / cscale,
                                    np.clip(ext / gs, -CLIP, CLIP), float(full)]
        p_term[:, s] = pairs[:, s] @ Wp
        s_term[s] = sitef[s] @ Ws

    for s in range(S):
        column(s)
    # codes of every user as pending (rows after the current one are read) and pooled sums
    # of the users on each site
    h_pend, sc_pend = encode(u_term[:, None, :] + p_term + (s_term + b1)[None]
                             + emb[PENDING])
    d, k = h_pend.shape[2], sc_pend.shape[2]
    on_sum = np.zeros((S, d), np.float32)
    sc_on: list[np.ndarray] = [np.zeros((0, k), np.float32) for _ in range(S)]
    steps, cut = 0, False
    for t in range(n):
        if expired is not None and expired():
            cut = True
            break
        steps += 1
        h_c, sc_c = encode(u_term[t] + p_term[t] + (s_term + b1) + emb[CURRENT])
        n_p = n - t - 1
        pend_mean = h_pend[t + 1:].sum(0) / np.float32(max(n_p, 1))
        cnt_p = np.minimum((1.0 / (1.0 + np.exp(sc_c[None] - sc_pend[t + 1:]))).sum(0), cs)
        on_mean = on_sum / np.maximum(b, 1).astype(np.float32)[:, None]
        cnt_on = np.stack([np.minimum((1.0 / (1.0 + np.exp(sc_c[s] - sc_on[s]))).sum(0), cs)
                           for s in range(S)])
        ng = int(b.sum())
        counts = np.array([n_p, ng, t - ng, S, (B - b).sum()], np.float32)
        glob = np.concatenate([np.minimum(counts, cs) / cs, np.log1p(counts)])
        z = _mlp(np.concatenate([h_c, pend_mean, on_mean, cnt_p / cs, np.log1p(cnt_p),
                                 cnt_on / cs, np.log1p(cnt_on), sitef,
                                 np.broadcast_to(glob, (S, glob.size))], axis=1), site_l, True)
        ctx = np.concatenate([z.mean(0), z.max(0)])
        a_site = _mlp(np.concatenate([z, np.broadcast_to(ctx, (S, ctx.size))], axis=1),
                      adv_s, False)[:, 0]
        a_deny = _mlp(np.concatenate([ctx, glob])[None], adv_d, False)[0, 0]
        q = np.concatenate([[a_deny], np.where(b < B, a_site, -np.inf)])
        a = int(np.argmax(q))
        if a > 0:
            s = a - 1
            x[t] = s
            b[s] += 1
            members[s].append(t)
            column(s)  # site s's count changed: its column, pending codes and members
            base = p_term[:, s] + (s_term[s] + b1)
            if t + 1 < n:
                h_pend[t + 1:, s], sc_pend[t + 1:, s] = encode(
                    u_term[t + 1:] + base[t + 1:] + emb[PENDING])
            J = np.array(members[s])
            h_on, sc_on[s] = encode(u_term[J] + base[J] + emb[GRANTED] + w_on)
            on_sum[s] = h_on.sum(0)
            if np.all(b >= B):
                break
    return x, steps, cut
