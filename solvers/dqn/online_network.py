"""The online scope's Q-network: a plain MLP from the period's feature vector
(online_env.py) to one Q-value per price level.

Small on purpose: a decision must take well under the per-period budget, so the policy
evaluates it in numpy (``numpy_forward``); the shipped one has 25 k weights (103 kB).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from gqap.solvers.dqn.layers import mlp


class OnlineQNet(nn.Module):
    """Features (B, inputs) -> Q (B, levels)."""

    def __init__(self, inputs: int, levels: int, hidden: tuple[int, ...]) -> None:
        super().__init__()
        self.body = mlp([inputs, *hidden, levels], final_activation=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, inputs) float -> (B, levels) Q-values."""
        return self.body(x)


def online_network_spec(net_cfg: Any, inputs: int, levels: tuple[float, ...]) -> dict[str, Any]:
    """Architecture metadata (checkpoint sidecars): input width, the price of each output,
    hidden widths."""
    return {"kind": "online", "inputs": int(inputs), "levels": [float(x) for x in levels],
            "hidden": list(net_cfg.hidden)}


def build_online_network(spec: dict[str, Any]) -> OnlineQNet:
    """A freshly initialised network for an ``online_network_spec``."""
    levels = [float(x) for x in spec["levels"]]
    if len(levels) < 2:
        raise ValueError("an online network needs at least two price levels")
    return OnlineQNet(int(spec["inputs"]), len(levels), tuple(int(h) for h in spec["hidden"]))


def numpy_weights(net: OnlineQNet) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W transposed, b) of each linear layer as float64 arrays, for ``numpy_forward``."""
    return [(m.weight.detach().numpy().astype(np.float64).T,
             m.bias.detach().numpy().astype(np.float64))
            for m in net.body if isinstance(m, nn.Linear)]


def numpy_forward(weights: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray) -> np.ndarray:
    """The network's forward pass in numpy (ReLU between layers): no torch call per
    decision, whose fixed cost is larger than the whole pass."""
    for i, (w, b) in enumerate(weights):
        x = x @ w + b
        if i < len(weights) - 1:
            x = np.maximum(x, 0.0)
    return x
