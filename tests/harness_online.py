"""A misbehaving online policy for the harness tests, importable by worker processes (tests/
is on their import path): it raises in its third period."""

from __future__ import annotations

from gqap.solvers.online_policy import OnlinePolicy, PolicySolver


class _Raising(OnlinePolicy):
    name = "broken"

    def reset(self, header, seed=0):
        """Keep the header."""
        self.header = header

    def decide(self, requests, pool):
        """Deny everyone, then raise at period 2."""
        from gqap.online import PeriodDecision

        if requests.t == 2:
            raise RuntimeError("this policy fails deliberately at period 2")
        return PeriodDecision.deny(requests.n_users, self.header.N)


class Broken(PolicySolver):
    """A policy that raises in its third period."""

    name = "broken"

    def make_policy(self) -> OnlinePolicy:
        """The raising policy."""
        return _Raising()
