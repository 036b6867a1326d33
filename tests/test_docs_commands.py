"""Every ``gqap`` command the README and docs/ show in a code block: each one is parsed by
the real command line (so a renamed command, flag or choice fails here), and the quick
ones (generating one instance, info, doc, solvers, the exact solver on a generated file,
evaluate) are run, in the order shown, in a scratch folder.

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
QUICK = ("generate", "info", "doc", "solvers")  # and see _quick
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


def _quick(argv: list[str]) -> bool:
    """A command that takes a second or less: generating one instance, describing,
    listing, the exact solver on a generated file, evaluating."""
    if argv[0] in QUICK:
        return True
    if argv[0] == "solve":
        return "exact" in argv and not argv[1].count("/")
    return argv[0] == "evaluate"


@pytest.mark.parametrize("where", sorted({w for w, _, a in COMMANDS if _quick(a)}))
def test_the_quick_doc_commands_run_in_order(where, tmp_path, monkeypatch, capsys):
    """A document's quick commands, in the order shown, in one scratch folder (so that
    ``info inst.json`` finds the file ``generate`` wrote)."""
    monkeypatch.chdir(tmp_path)
    for _, line, argv in [c for c in COMMANDS if c[0] == where and _quick(c[2])]:
        if argv[:2] == ["generate", "set"]:  # a whole set: the smallest one stands in
            argv = ["generate", "set", "tiny", "-o", str(tmp_path / "tiny")]
        code = main(argv)
        assert code == 0, f"{where}:{line}: gqap {' '.join(argv)}: {capsys.readouterr().err}"
