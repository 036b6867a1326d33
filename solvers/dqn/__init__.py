"""The paper's DRL-convex hybrid (Section V-C): a Gymnasium MDP with one grant/deny step per
user, PER-DQN training, shipped checkpoints and the ``dqn`` / ``dqn-set`` solvers.

Modules: ``config`` (TOML run configs), ``env`` (MDP and its batched state), ``network``
(Q-networks), ``replay`` (sum tree, prioritised replay), ``trainer``, ``checkpoints``,
``policy`` (greedy roll-outs), ``solver``, ``cli`` (``gqap train``). Importing this package
does not import torch; the modules that need it do.
"""
