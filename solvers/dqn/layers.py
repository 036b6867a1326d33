"""Layers the Q-networks share (``network``, ``multi_network``)."""

from __future__ import annotations

from torch import nn


def mlp(sizes: list[int], final_activation: bool) -> nn.Sequential:
    """Linear layers of the given widths with ReLU between them (and after the last one
    when ``final_activation``)."""
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2 or final_activation:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)
