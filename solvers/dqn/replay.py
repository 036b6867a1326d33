"""Prioritised experience replay (Schaul et al. 2016) on a sum tree, and the paper's pair of
memories: terminal and non-terminal transitions, sampled 1 : 7 into each mini-batch.

Priorities are p_i = (|delta_i| + offset) ** alpha; transition i is drawn with probability
p_i / sum(p) by stratified sampling, and weighted by (size * P(i)) ** -beta / max over the
batch. New transitions enter with the largest priority seen so far. Everything is numpy and
vectorised over the batch; the state round-trips through ``state_dict`` for resuming.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class SumTree:
    """Binary tree whose leaves hold priorities and whose nodes hold the sums below them."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self.depth = max(0, (capacity - 1).bit_length())
        self.leaf0 = 1 << self.depth
        self.tree = np.zeros(2 * self.leaf0, dtype=np.float64)

    @property
    def total(self) -> float:
        """Sum of all priorities."""
        return float(self.tree[1])

    def get(self, idx: np.ndarray) -> np.ndarray:
        """Priorities at leaf indices ``idx``."""
        return self.tree[self.leaf0 + np.asarray(idx, dtype=np.int64)]

    def update(self, idx: np.ndarray, priority: np.ndarray) -> None:
        """Set the priorities of leaves ``idx`` (the last write wins for repeated indices)."""
        idx = np.asarray(idx, dtype=np.int64)
        pr = np.broadcast_to(np.asarray(priority, dtype=np.float64), idx.shape)
        if np.any(pr < 0) or not np.all(np.isfinite(pr)):
            raise ValueError("priorities must be finite and >= 0")
        node = self.leaf0 + idx
        self.tree[node] = pr
        # Repeated parents get the same (complete) sum, so duplicates need no filtering.
        for _ in range(self.depth):
            node >>= 1
            self.tree[node] = self.tree[2 * node] + self.tree[2 * node + 1]

    def find(self, values: np.ndarray) -> np.ndarray:
        """Leaf index of each value in [0, total): the leaf whose cumulative range holds it."""
        v = np.array(values, dtype=np.float64)
        node = np.ones(v.shape, dtype=np.int64)
        for _ in range(self.depth):
            left = self.tree[2 * node]
            right = v >= left
            # rounding can push v past the last positive leaf: never step into a zero subtree
            right &= self.tree[2 * node + 1] > 0
            v = np.where(right, v - left, v)
            node = 2 * node + right
        return np.minimum(node - self.leaf0, self.capacity - 1)


class PrioritizedReplay:
    """Ring buffer of transitions (a dict of fixed-shape fields) with sum-tree priorities."""

    def __init__(self, capacity: int, fields: dict[str, tuple[tuple[int, ...], Any]],
                 alpha: float = 0.7, offset: float = 2e-5) -> None:
        self.capacity = capacity
        self.alpha = alpha
        self.offset = offset
        self.fields = fields
        self.data = {k: np.zeros((capacity, *shape), dtype=dtype)
                     for k, (shape, dtype) in fields.items()}
        self.tree = SumTree(capacity)
        self.size = 0
        self.pos = 0
        self.max_priority = 1.0

    def __len__(self) -> int:
        return self.size

    def add(self, transition: dict[str, Any]) -> int:
        """Store one transition with the largest priority so far; returns its slot."""
        i = self.pos
        for k, arr in self.data.items():
            arr[i] = transition[k]
        self.tree.update(np.array([i]), np.array([self.max_priority]))
        self.pos = (self.pos + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)
        return i

    def sample(self, n: int, beta: float,
               rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """(slots, fields, importance weights) of n transitions drawn by priority."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay memory")
        total = self.tree.total
        values = (np.arange(n) + rng.random(n)) * (total / n)
        idx = self.tree.find(np.minimum(values, np.nextafter(total, 0.0)))
        prob = self.tree.get(idx) / total
        w = (self.size * np.maximum(prob, 1e-300)) ** (-beta)
        w = (w / w.max()).astype(np.float32)
        return idx, {k: v[idx] for k, v in self.data.items()}, w

    def update_priorities(self, idx: np.ndarray, td_error: np.ndarray) -> None:
        """New priorities (|delta| + offset) ** alpha for the sampled slots."""
        p = (np.abs(np.asarray(td_error, dtype=np.float64)) + self.offset) ** self.alpha
        self.tree.update(idx, p)
        self.max_priority = max(self.max_priority, float(p.max()))

    def state_dict(self) -> dict[str, Any]:
        """Arrays and counters (only the filled part of each field)."""
        out = {f"data.{k}": v[: self.size] for k, v in self.data.items()}
        out["priorities"] = self.tree.get(np.arange(self.size))
        out["counters"] = np.array([self.size, self.pos], dtype=np.int64)
        out["max_priority"] = np.array([self.max_priority])
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned."""
        self.size, self.pos = (int(x) for x in state["counters"])
        for k, v in self.data.items():
            v[: self.size] = state[f"data.{k}"]
        self.tree = SumTree(self.capacity)
        if self.size:
            self.tree.update(np.arange(self.size), state["priorities"])
        self.max_priority = float(state["max_priority"][0])


class DualReplay:
    """The paper's two memories: terminal transitions and the others, sampled 1 : 7."""

    def __init__(self, capacity: int, fields: dict[str, tuple[tuple[int, ...], Any]],
                 terminal_fraction: float = 0.125, alpha: float = 0.7,
                 offset: float = 2e-5) -> None:
        cap_t = max(1, int(round(capacity * terminal_fraction)))
        self.terminal = PrioritizedReplay(cap_t, fields, alpha, offset)
        self.other = PrioritizedReplay(max(1, capacity - cap_t), fields, alpha, offset)

    def __len__(self) -> int:
        return len(self.terminal) + len(self.other)

    def add(self, transition: dict[str, Any], done: bool) -> None:
        """Store a transition in the memory its ``done`` flag selects."""
        (self.terminal if done else self.other).add(transition)

    def sample(self, batch: int, n_terminal: int, beta: float,
               rng: np.random.Generator) -> tuple[list, dict[str, np.ndarray], np.ndarray]:
        """n_terminal terminal and batch - n_terminal other transitions (fewer of one kind
        while its memory is empty); returns ([(memory, slots), ...], fields, weights)."""
        if len(self.other) == 0:
            n_terminal = batch
        elif len(self.terminal) == 0:
            n_terminal = 0
        parts, data, weights = [], [], []
        for mem, n in ((self.terminal, n_terminal), (self.other, batch - n_terminal)):
            if n:
                idx, d, w = mem.sample(n, beta, rng)
                parts.append((mem, idx))
                data.append(d)
                weights.append(w)
        fields = {k: np.concatenate([d[k] for d in data]) for k in data[0]}
        return parts, fields, np.concatenate(weights)

    def update_priorities(self, parts: list, td_error: np.ndarray) -> None:
        """Spread the batch's TD errors back to the memories they came from."""
        start = 0
        for mem, idx in parts:
            mem.update_priorities(idx, td_error[start: start + idx.size])
            start += idx.size

    def state_dict(self) -> dict[str, Any]:
        """Both memories' arrays, prefixed ``terminal.`` and ``other.``."""
        out = {f"terminal.{k}": v for k, v in self.terminal.state_dict().items()}
        out.update({f"other.{k}": v for k, v in self.other.state_dict().items()})
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned."""
        for name in ("terminal", "other"):
            prefix = name + "."
            getattr(self, name).load_state_dict(
                {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)})
