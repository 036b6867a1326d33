"""A training run's schedules, each a function of the episodes done, and the hybrid
exploration they drive, the same for every scope: exploration (epsilon of the
epsilon-greedy part and the Boltzmann temperature, both moved linearly from their start to
their end value over ``explore.decay_fraction`` of the run), the learning rate (constant
unless ``dqn.lr_end`` > 0, then linear to it over the run) and the prioritised replay's
importance-sampling exponent beta (linear to ``per.beta_end`` over the run).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gqap.solvers.dqn.config import TrainConfig


def explore(rng: np.random.Generator, mask: np.ndarray, epsilon: float, temperature: float,
            q_values: Callable[[], np.ndarray]) -> int:
    """The paper's hybrid exploration among the allowed actions (``mask``): with probability
    ``epsilon`` a uniform allowed action, otherwise a draw from softmax(Q / temperature)
    over them; ``q_values`` (float64, one per action) is only called in the second case."""
    allowed = np.flatnonzero(mask)
    if rng.random() < epsilon:
        return int(allowed[rng.integers(allowed.size)])
    q = q_values()
    z = np.where(mask, q / temperature, -np.inf)
    p = np.exp(z - z.max())
    p /= p.sum()
    return int(rng.choice(q.size, p=p))


class Schedules:
    """The schedules of the run configured by ``cfg`` (see the module docstring)."""

    def __init__(self, cfg: TrainConfig) -> None:
        self.cfg = cfg

    def _decay(self, episode: int) -> float:
        span = self.cfg.explore.decay_fraction * self.cfg.run.episodes
        return min(1.0, episode / span)

    def _progress(self, episode: int) -> float:
        return min(1.0, episode / self.cfg.run.episodes)

    def epsilon(self, episode: int) -> float:
        """Epsilon of the epsilon-greedy part after ``episode`` episodes."""
        e = self.cfg.explore
        return e.eps_start + self._decay(episode) * (e.eps_end - e.eps_start)

    def temperature(self, episode: int) -> float:
        """Boltzmann temperature after ``episode`` episodes."""
        e = self.cfg.explore
        return e.temp_start + self._decay(episode) * (e.temp_end - e.temp_start)

    def learning_rate(self, episode: int) -> float:
        """Learning rate after ``episode`` episodes."""
        d = self.cfg.dqn
        if d.lr_end <= 0:
            return d.lr
        return d.lr + self._progress(episode) * (d.lr_end - d.lr)

    def beta(self, episode: int) -> float:
        """Importance-sampling exponent after ``episode`` episodes."""
        p = self.cfg.per
        return p.beta_start + self._progress(episode) * (p.beta_end - p.beta_start)
