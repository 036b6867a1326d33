"""Study tables a config asks for by name (``[report] hooks = [...]``), read from stored rows:
one module per study, ``HOOKS`` names them.

The tables of every family (``bench.families``) and those of ``bench.tables`` suit every
sweep; a study that needs a measure
they lack names a hook here instead of solving instances itself, so it keeps the harness's
time-limit guard, resume, references and store:

- ``gap_summary``: gaps to the reference per solver and group (users, G or S) and over
  all: mean and median relative gap, sum gap, gap per user, share solved to the reference
  (the DQN study's table).
- ``time_to_proof``: per size, model and solver, how many runs proved their optimum and
  how fast; per GQAP instance, incumbent, proven bound and the gaps to bound and reference
  (the MILP study's tables).
- ``lp_bounds``: LP-relaxation bounds of the linearisations (runs of ``milp`` with
  ``lp_bound = true``) and the share of the standard linearisation's gap each closes.
- ``race``: the literature race: per solver, instances and runs that reach the reference;
  per instance, best, mean and worst cost over seeds and the mean time to the best; time to
  target (``ttt``, ``ttt_summary``; the plots of ``bench.figures.ttt``) at the reference and
  0.5 % above it, read from the best-so-far trajectory each run stores in ``info.history``.
- ``frontier``: per site count (G, m) and solver, the largest user count at which every
  run proved its optimum within the time limit (the multi-cluster study's frontier).
- ``proofs``: per GQAP instance, the exact method that proved the optimum first, the proven
  optimum, whether it equals the published one, and the time to proof (the Lee & Ma study).
- ``bounds``: per GQAP instance and method, the certified lower bound a run reached and its
  time; per instance the best of them, the method and the open gap to the best known value
  (the Cordeau and large-tier bound studies).
- ``exact_race``: per GQAP instance and exact method, the root bound and its gaps to the
  best known value and to the certified bound, the nodes, the time to proof or the bound
  at the budget (the exact-gqap study).
- ``root_vs_lp``: per GQAP instance, ``bnb``'s root bound against the RLT1 LP bound, both
  with their times, paired in one sweep (the exact-gqap study).
- ``tradeoff``: per solver and size (S or G, users), mean gap to the reference against
  mean solve time, and the speed-up over a chosen solver (``tabu``); the points of the
  trade-off figure (``bench.figures.tradeoff``; the multi-cluster and dqn-multi studies).

A hook is ``hook(rows, order) -> list[Table]``; rows are the report's rows (current gaps,
status as ``Status``, ``info`` and ``options`` as stored JSON text). Modules:
``gap_summary``, ``milp`` (``time_to_proof``, ``lp_bounds``), ``race`` (with the TTT
tables), ``ttt`` (the time-to-target maths the race and its plots share), ``proofs``
(``proofs``, ``bounds``), ``exact`` (``exact_race``, ``root_vs_lp``), ``frontier``, ``tradeoff``;
``common`` holds what they share.
"""


from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gqap.bench.studies.exact import exact_race, root_vs_lp
from gqap.bench.studies.frontier import frontier
from gqap.bench.studies.gap_summary import gap_summary
from gqap.bench.studies.milp import lp_bounds, time_to_proof
from gqap.bench.studies.proofs import bounds, proofs
from gqap.bench.studies.race import race
from gqap.bench.studies.tradeoff import tradeoff
from gqap.bench.tables import Table

Hook = Callable[[list[dict[str, Any]], list[str]], list[Table]]
HOOKS: dict[str, Hook] = {"gap_summary": gap_summary, "time_to_proof": time_to_proof,
                          "lp_bounds": lp_bounds, "race": race, "frontier": frontier,
                          "proofs": proofs, "bounds": bounds, "tradeoff": tradeoff,
                          "exact_race": exact_race, "root_vs_lp": root_vs_lp}
