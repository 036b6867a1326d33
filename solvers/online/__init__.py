"""The online family's methods (docs/ONLINE.md): online policies, each a registered solver
run through ``gqap.solvers.online_policy`` one period at a time (``myopic``,
``fixed-share``, ``priced``, ``lookahead``), and the offline references that see the whole
horizon (``hindsight``, ``online-bound``).
"""
