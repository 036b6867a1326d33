"""n-step returns for the replay memories, shared by every scope's trainer.

A window holds an episode's last steps; step j becomes a transition once it has n rewards
after it (its own included) or the episode has ended: return sum_i gamma^i r_{j+i}, discount
gamma^k for the k rewards summed, and the state k steps later as the next state. With
n = 1 this is the paper's one-step transition. Only the episode's last step taken alone is
a terminal transition (the terminal memory's 1 : 7 share).
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Complete(NamedTuple):
    """A step whose n-step transition is complete."""

    step: Any        # what the trainer stored with the step (state, action, ...)
    ret: float       # sum_i gamma^i r_{j+i} over the window
    discount: float  # gamma^k, k the number of rewards summed
    terminal: bool   # the episode's last step on its own: the terminal memory's


class NStepWindow:
    """The open steps of one episode (see the module docstring); one window per episode."""

    def __init__(self, n: int, gamma: float) -> None:
        self.n, self.gamma = n, gamma
        self.steps: list[tuple[Any, float]] = []

    def push(self, step: Any, reward: float, done: bool) -> list[Complete]:
        """Add a step and its reward; returns the steps completed by it, oldest first."""
        self.steps.append((step, reward))
        out = []
        while self.steps and (len(self.steps) == self.n or done):
            ret = sum(self.gamma ** i * r for i, (_, r) in enumerate(self.steps))
            out.append(Complete(self.steps[0][0], ret, self.gamma ** len(self.steps),
                                done and len(self.steps) == 1))
            self.steps.pop(0)
        return out
