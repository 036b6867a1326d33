"""Every ``gqap`` command the README and docs/ show in a code block: each one is parsed by
the real command line (so a renamed command, flag or choice fails here), and each one is
run, document by document in the order shown, in a scratch folder per document (so that
``info inst.json`` finds the file ``generate`` wrote, and ``bench report runs/quick`` the
sweep the line before made).

A command whose real run is long runs in a short form (``as_run``, ``SMALLER`` and ``short_sweeps``
say how): a solve gets at most ``SOLVE_LIMIT`` seconds, a training run two episodes, and a
sweep (``bench run``, ``bench reproduce``) its plan cut to the first instance and seed,
every solver of the config at ``RUN_LIMIT`` seconds and its references at
``REFERENCE_LIMIT``; the shipped instance library is a scratch copy, so ``--write-manifest``
writes there. ``bench reproduce`` with the same words in two documents runs once (about 80
s for every study, the longest command here; the whole test takes about three minutes).
``NOT_RUN`` lists what cannot run here, with the reason.

Synopsis lines (``gqap bench run CONFIG.toml [--out DIR] ...``: brackets, alternatives,
upper-case placeholders) describe syntax rather than a command and are left out.
"""

from __future__ import annotations

import re
import shlex

import pytest
from conftest import ROOT

from gqap.cli import build_parser, main

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_PLACEHOLDER = re.compile(r"\b[A-Z][A-Z_]{2,}\b|\[|\||\.\.\.")


def doc_commands() -> list[tuple[str, int, list[str]]]:
    """(file, line, argv after 'gqap') of every command line in a fenced block."""
    out = []
    for path in DOCS:
        fenced, held = False, ""
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("```"):
                fenced, held = not fenced, ""
                continue
            if not fenced:
                continue
            if line.rstrip().endswith("\\"):  # a command continued on the next line
                held += line.rstrip()[:-1] + " "
                continue
            line, held = held + line, ""
            text = line.split(" #")[0].strip().removeprefix("$ ")
            for part in text.split("&&"):
                part = part.strip()
                m = re.match(r"^(?:\.venv/bin/)?gqap\s+(.*)$", part)
                if m and not _PLACEHOLDER.search(m.group(1)):
                    out.append((path.name, no, shlex.split(m.group(1))))
    return out


COMMANDS = doc_commands()


def test_the_docs_show_commands():
    assert len(COMMANDS) >= 10, COMMANDS


@pytest.mark.parametrize(("where", "line", "argv"), COMMANDS,
                         ids=[f"{w}:{n}" for w, n, _ in COMMANDS])
def test_every_doc_command_parses(where, line, argv):
    build_parser().parse_args(argv)  # an unknown command, flag or choice raises here


SOLVE_LIMIT = 2.0  # seconds a documented solve gets here
RUN_LIMIT = 1.0  # seconds per run of a documented sweep here
REFERENCE_LIMIT = 5.0  # seconds per exact reference of a documented sweep here
# A documented instance too large to prove here -> one the same command proves in seconds.
SMALLER = {"lee-ma/C16X7-1115": "lee-ma/C5X24"}
# Words of a command that cannot run here -> why.
NOT_RUN = {
    "./my_solver": "the reader's own program (docs/EXTERNAL.md builds it from C++); "
                   "tests/test_external.py builds the documented example and races it",
    "race.toml": "the race of the reader's own program (docs/EXTERNAL.md); "
                 "tests/test_external.py races a program beside tabu through the harness",
    "runs/race": "the report of that race",
}


def as_run(argv: list[str]) -> list[str]:
    """The command as this test runs it: the same words, with a shorter budget where the
    real run is long (module doc)."""
    argv = [SMALLER.get(a, a) for a in argv]
    if argv[0] == "solve" and "--time-limit" in argv:
        i = argv.index("--time-limit") + 1
        argv[i] = str(min(float(argv[i]), SOLVE_LIMIT))
    elif argv[0] == "solve" and "exact" not in argv and "bnb" not in argv:
        argv += ["--time-limit", str(SOLVE_LIMIT)]
    if argv[0] == "train":
        argv += ["--episodes", "2", "--no-progress"]
    if argv[:2] in (["bench", "run"], ["bench", "reproduce"]):
        argv += ["--no-progress"]
    return argv


def not_run(argv: list[str]) -> str | None:
    """Why a documented command cannot run here (None: it runs)."""
    return next((why for word, why in NOT_RUN.items() if any(word in a for a in argv)), None)


@pytest.fixture
def short_sweeps(monkeypatch, tmp_path):
    """Sweeps cut to their first instance and seed (module doc), and a scratch copy of
    the shipped instance library."""
    import dataclasses
    import shutil

    import gqap.bench.sweep as sweep
    import gqap.library as library

    expand = sweep.expand

    def first_instance(config):
        plan = expand(config)
        if plan.runs:
            first, seed = plan.runs[0].instance_hash, plan.runs[0].seed
            plan.runs = [dataclasses.replace(r, time_limit=min(r.time_limit, RUN_LIMIT))
                         for r in plan.runs if r.instance_hash == first and r.seed == seed]
            plan.references = [j for j in plan.references if j.instance_hash == first]
            plan.instances = {first: plan.instances[first]}
            plan.config = dataclasses.replace(
                plan.config, reference_time_limit=min(plan.config.reference_time_limit,
                                                      REFERENCE_LIMIT))
        return plan

    monkeypatch.setattr(sweep, "expand", first_instance)
    copy = shutil.copytree(library.library_root(), tmp_path / "library",
                           ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(library, "library_root", lambda: copy)
    return copy


RUN = [(w, n, a) for w, n, a in COMMANDS if not not_run(a)]


def test_what_is_not_run_says_why():
    left_out = [(w, n, not_run(a)) for w, n, a in COMMANDS if not_run(a)]
    assert len(left_out) <= 6, left_out  # the external program's few lines, no more


@pytest.mark.slow
def test_every_doc_command_runs_in_order(tmp_path, monkeypatch, capsys, short_sweeps):
    """Each document's commands, in the order shown, in its own scratch folder holding
    ``instances`` (the library copy), ``bench`` (the configs, read only) and
    ``results/fig10`` (a shipped study, for ``bench site``)."""
    import shutil

    done: set[tuple[str, ...]] = set()
    for where in dict.fromkeys(w for w, _, _ in RUN):
        scratch = tmp_path / where.removesuffix(".md")
        (scratch / "results").mkdir(parents=True)
        (scratch / "instances").symlink_to(short_sweeps)
        (scratch / "bench").symlink_to(ROOT / "bench")  # bench/configs/NAME.toml as shown
        shutil.copytree(ROOT / "results" / "fig10", scratch / "results" / "fig10")
        monkeypatch.chdir(scratch)
        for _, line, shown in [c for c in RUN if c[0] == where]:
            argv = as_run(shown)
            if argv[:2] == ["bench", "reproduce"] and tuple(argv) in done:
                continue  # the same studies again (a later command's files are the doc's)
            done.add(tuple(argv))
            code = main(argv)
            err = capsys.readouterr().err
            # A solve cut short by this test's limit may end without a solution (exit 1).
            cut = argv != shown and code == 1 and "(status time_limit)" in err
            assert code == 0 or cut, f"{where}:{line}: gqap {' '.join(argv)}: {err[-2000:]}"
