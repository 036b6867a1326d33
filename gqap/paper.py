"""The paper's model terms shared by the offloading families (docs/MODEL.md section 2):
its constants, the personalised accuracy curve F and the step-latency conventions.

Yang et al., IEEE TMC 2025: N = 200 denoising steps of which N_hat = 80 run locally at
least; F(n) = 1 / (1 + exp(-a_F (n - b_F))) with a_F = 0.0413, b_F = 71.44; period K = 1 s;
a W_max = 1 MHz link at spectral efficiency eta = 10; prompt s_p = 216 bits and
intermediate result s_m = 4.4e6 bits. Every instance type, generator and trained policy
takes its defaults from here.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

N = 200
N_HAT = 80
A_F = 0.0413
B_F = 71.44
K = 1.0
W_MAX_HZ = 1.0e6
ETA = 10.0
S_P_BITS = 216.0
S_M_BITS = 4.4e6
G = 8           # edge GPUs of the paper's scenario
B_MAX = 18      # granted users at most
B_HAT = 20      # batch the alpha rule compares with
KAPPA = 0.05    # the alpha rule's kappa

Convention = Literal["paper", "authors-scripts"]
CONVENTIONS: tuple[str, ...] = ("paper", "authors-scripts")

# The model parameters every offloading-type instance holds, with the paper's values; the
# link bandwidth is per family (one W_max_hz, or one W_hz per site) and stays out.
MODEL_DEFAULTS: dict[str, Any] = {"N": N, "N_hat": N_HAT, "a_F": A_F, "b_F": B_F, "K": K,
                                  "eta": ETA, "s_p_bits": S_P_BITS, "s_m_bits": S_M_BITS,
                                  "convention": "paper"}


def accuracy(n: Any, a_F: float, b_F: float, shift: Any = None) -> Any:
    """F(n; shift) = 1 / (1 + exp(-a_F (n - b_F - shift))); ``shift`` None is the paper's F.

    Broadcasts; an overflowing exp gives F = 0, the right limit. A 0-d result is a float.
    """
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(over="ignore"):
        z = n - b_F if shift is None else n - b_F - shift
        out = 1.0 / (1.0 + np.exp(-a_F * z))
    return float(out) if np.ndim(out) == 0 else out


def step_latency(k: Any, h: Any, b: Any, G: Any, convention: str) -> Any:
    """Seconds per denoising step of a batch of ``b`` on ``G`` GPUs with fit (k, h):
    ``paper`` k b / G + h, ``authors-scripts`` (k b + h) / G. Broadcasts."""
    return k * b / G + h if convention == "paper" else (k * b + h) / G


def shrinking_batch_latency(edge_steps: np.ndarray, latency: Any) -> np.ndarray:
    """Edge latency l_E of each of b users when the batch shrinks as users finish (the
    dynamic-batch latency model): ``edge_steps`` e_i = N - n_i of the users sharing one
    server, ``latency(r)`` its seconds per step at batch r (vectorised).

    With the e's sorted ascending, every step taken while r users still have steps left
    costs latency(r): the k-th smallest finishes after sum_{j<=k} (e_(j) - e_(j-1))
    latency(b - j + 1). Real-valued e are handled as a piecewise-constant integral.
    """
    e = np.maximum(edge_steps, 0.0)
    order = np.argsort(e, kind="stable")
    steps = np.diff(e[order], prepend=0.0)
    active = e.size - np.arange(e.size)
    out = np.empty(e.size)
    out[order] = np.cumsum(steps * latency(active))
    return out
