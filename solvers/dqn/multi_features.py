"""The state features of the multi-cluster MDP (multi_env.py): per-episode tables built
once per instance, padded into batches, and the network input of any batch of states.

State (docs in solvers/dqn/README.md, "Multi-cluster policy"):

- per user j (local sub-state): [alpha_j, L_j(1), r_j / K] and its status o_j in
  {0 pending, 1 current, 2 granted, 3 denied}, plus the site it was granted on;
- per (user j, site s): the shift delta_js and three gain features from the convex inner
  problem at the current counts (``gqap.multi.gain_table``): g_js(b_s + 1), the gain of j
  joining s now; m_js = g_js(b_s + 1) + e_s, that gain plus the change e_s it causes to
  the users already on s (the marginal objective of the grant); and
  g_js(b_s + 1) - g_js(b_s), j's own loss when another user joins (0 on a full site);
- per site s (global sub-state): the latency profile (k_s, h_s, G_s, slope and intercept
  of L_s(b)), B_s, the upload time per user (s_p + s_m) / (eta W_s) (the bandwidth), the
  count b_s, the remaining room B_s - b_s, e_s and a full flag;
- counts: pending users other than the current one, granted, denied, S, total room.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gqap.multi import MultiInstance, gain_table
from gqap.solvers.dqn.config import FeatureScales
from gqap.solvers.dqn.env import CURRENT, DENIED, GRANTED, PENDING

N_USER, N_PAIR, N_SITE_STATIC, N_SITE, N_COUNTS = 3, 4, 7, 11, 5
CLIP = 10.0  # scaled gain features are clipped to [-10, 10]


@dataclass(frozen=True)
class EpisodeTables:
    """What the features of every state of one instance are built from (numpy float32):
    static user and site features, scaled shifts, the gain table g[b, j, s] (-inf where
    b = 0 or b > min(B_s, I)), batch limits, and the objective of denying everyone
    (``base``, float)."""

    users: np.ndarray     # (I, N_USER)
    sites: np.ndarray     # (S, N_SITE_STATIC)
    shift: np.ndarray     # (I, S), delta / scales.shift
    gain: np.ndarray      # (max_s min(B_s, I) + 1, I, S)
    B_max: np.ndarray     # (S,) int64
    base: float

    @property
    def n_users(self) -> int:
        """I."""
        return int(self.users.shape[0])

    @property
    def n_sites(self) -> int:
        """S."""
        return int(self.sites.shape[0])


def episode_tables(inst: MultiInstance, scales: FeatureScales,
                   integer: bool = True) -> tuple[EpisodeTables, Any]:
    """(tables, gain table object) of an instance (the gain table gives the final splits)."""
    gt = gain_table(inst, integer=integer)
    S = np.arange(inst.n_sites)
    intercept = inst.site_step_latency(S, 0.0)
    slope = inst.site_step_latency(S, 1.0) - intercept
    users = np.stack([inst.alpha / scales.alpha, inst.local_step_latency / scales.step_s,
                      inst.request_time / inst.K], axis=1).astype(np.float32)
    sites = np.stack([inst.k_site / (scales.edge_s * 16.0), inst.h_site / scales.edge_s,
                      inst.G / 16.0, slope / scales.edge_s, intercept / scales.edge_s,
                      inst.B_max / scales.count,
                      inst.transmission_latency(S, 1.0) / scales.upload_s],
                     axis=1).astype(np.float32)
    tables = EpisodeTables(users=users, sites=sites,
                           shift=(inst.shift_steps / scales.shift).astype(np.float32),
                           gain=np.asarray(gt.gain, dtype=np.float32),
                           B_max=inst.B_max.astype(np.int64),
                           base=float(gt.base))
    return tables, gt


@dataclass
class Packed:
    """Tables of B states padded to (U users, S sites) for vectorised features."""

    n: np.ndarray         # (B,) users
    S: np.ndarray         # (B,) sites
    users: np.ndarray     # (B, U, N_USER)
    sites: np.ndarray     # (B, S, N_SITE_STATIC)
    shift: np.ndarray     # (B, U, S)
    gain: np.ndarray      # (B, nb, U, S), -inf padding
    B_max: np.ndarray     # (B, S), 0 for missing sites


def pack(tables: list[EpisodeTables], users: int | None = None,
         sites: int | None = None) -> Packed:
    """Pad the tables of B states (repeats allowed) into batch arrays."""
    B = len(tables)
    n = np.array([t.n_users for t in tables], dtype=np.int64)
    S = np.array([t.n_sites for t in tables], dtype=np.int64)
    U = int(users or n.max())
    SS = int(sites or S.max())
    nb = max(t.gain.shape[0] for t in tables) + 1  # one more row: b + 1 on a full site
    out = Packed(n=n, S=S, users=np.zeros((B, U, N_USER), np.float32),
                 sites=np.zeros((B, SS, N_SITE_STATIC), np.float32),
                 shift=np.zeros((B, U, SS), np.float32),
                 gain=np.full((B, nb, U, SS), -np.inf, np.float32),
                 B_max=np.zeros((B, SS), np.int64))
    for r, t in enumerate(tables):
        i, s = t.n_users, t.n_sites
        out.users[r, :i] = t.users
        out.sites[r, :s] = t.sites
        out.shift[r, :i, :s] = t.shift
        out.gain[r, : t.gain.shape[0], :i, :s] = t.gain
        out.B_max[r, :s] = t.B_max
    return out


def features(p: Packed, x: np.ndarray, cur: np.ndarray, done: np.ndarray | None = None,
             scales: FeatureScales | None = None) -> dict[str, np.ndarray]:
    """Network input of B states: ``x`` (B, U) site of each decided user (-1 denied; any
    value for users at or after ``cur``), ``cur`` (B,) the current user (I when the
    episode is over). Returns numpy arrays: users (B, U, 3), status (B, U), site_of (B, U),
    pairs (B, U, S, 4), sites (B, S, 11), counts (B, 5), valid_users (B, U),
    valid_sites (B, S), action_mask (B, 1 + S), site_counts (B, S)."""
    sc = scales or FeatureScales()
    B, U = p.users.shape[:2]
    SS = p.sites.shape[1]
    x = np.asarray(x, dtype=np.int64)[:, :U]
    cur = np.asarray(cur, dtype=np.int64)
    j = np.arange(U)[None, :]
    valid_u = j < p.n[:, None]
    valid_s = np.arange(SS)[None, :] < p.S[:, None]
    decided = (j < cur[:, None]) & valid_u
    current = (j == cur[:, None]) & valid_u
    pending = (j > cur[:, None]) & valid_u
    granted = decided & (x >= 0)
    status = np.full((B, U), DENIED, dtype=np.int64)
    status[pending] = PENDING
    status[current] = CURRENT
    status[granted] = GRANTED
    site_of = np.where(granted, x, 0)
    on = granted[:, :, None] & (site_of[:, :, None] == np.arange(SS)[None, None, :])
    b = on.sum(axis=1)  # (B, S)
    full = (b >= p.B_max) | ~valid_s
    nb = p.gain.shape[1]
    idx_next = np.minimum(b + 1, nb - 1)[:, None, None, :]
    idx_now = np.maximum(b, 1)[:, None, None, :]
    g_next = np.take_along_axis(p.gain, np.broadcast_to(idx_next, (B, 1, U, SS)), 1)[:, 0]
    g_now = np.take_along_axis(p.gain, np.broadcast_to(idx_now, (B, 1, U, SS)), 1)[:, 0]
    open_ = ~full[:, None, :] & valid_u[:, :, None] & np.isfinite(g_next)
    with np.errstate(invalid="ignore"):
        loss = np.where(open_ & np.isfinite(g_now), g_next - g_now, 0.0)
    ext = (loss * on).sum(axis=1)  # (B, S): change of the users on s if one more joins
    g_next = np.where(open_, g_next, 0.0)
    marg = np.where(open_, g_next + ext[:, None, :], 0.0)
    pairs = np.stack([p.shift, g_next / sc.gain, marg / sc.gain, loss / sc.gain], axis=3)
    pairs = np.clip(pairs, -CLIP, CLIP).astype(np.float32)
    room = np.where(valid_s, p.B_max - b, 0)
    dyn = np.stack([b / sc.count, room / sc.count, np.clip(ext / sc.gain, -CLIP, CLIP),
                    full & valid_s], axis=2).astype(np.float32)
    n_granted = granted.sum(1)
    counts = np.stack([pending.sum(1), n_granted, decided.sum(1) - n_granted, p.S,
                       room.sum(1)], axis=1).astype(np.float32)
    live = cur < p.n if done is None else ~np.asarray(done, dtype=bool)
    mask = np.concatenate([live[:, None], ~full & live[:, None]], axis=1)
    return {"users": p.users, "status": status, "site_of": site_of, "pairs": pairs,
            "sites": np.concatenate([p.sites, dyn], axis=2), "counts": counts,
            "valid_users": valid_u, "valid_sites": valid_s, "action_mask": mask,
            "site_counts": b}
