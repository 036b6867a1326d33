"""Project hygiene that CI must enforce: lint, docstrings and hints, README vs CI."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

PACKAGES = ("gqap", "solvers", "bench")


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(ROOT / ".venv" / "bin" / "ruff")
    if not shutil.which(ruff):
        pytest.skip("ruff is not installed")
    proc = subprocess.run([ruff, "check", "--quiet", str(ROOT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _public_functions():
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            tree = ast.parse(path.read_text())
            scopes = [(tree, "")] + [(n, n.name + ".") for n in tree.body
                                     if isinstance(n, ast.ClassDef) and not n.name.startswith("_")]
            for scope, prefix in scopes:
                for node in scope.body:
                    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and \
                            not node.name.startswith("_"):
                        yield f"{path.relative_to(ROOT)}:{prefix}{node.name}", node


def test_public_functions_have_docstrings_and_hints():
    missing = []
    for where, fn in _public_functions():
        if not ast.get_docstring(fn):
            missing.append(f"{where}: no docstring")
        args = fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs
        unannotated = [a.arg for a in args if a.annotation is None and a.arg not in
                       ("self", "cls")]
        if unannotated or fn.returns is None:
            missing.append(f"{where}: missing type hints ({', '.join(unannotated) or 'return'})")
    assert not missing, "\n".join(missing)


def test_ci_runs_the_readme_commands():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1).strip().splitlines()
    setup, test = block[0], block[1]
    install = setup.split(" && .venv/bin/gqap")[0]
    ci = (ROOT / ".ci" / "run").read_text()
    assert install in ci, f"{install!r} not in .ci/run"
    assert test in ci, f"{test!r} not in .ci/run"


def test_gqap_import_stays_light():
    # docs/CONTRIBUTING.md: torch and OR-Tools load only when a solver needs them.
    code = ("import sys, gqap.cli, gqap.solvers; gqap.cli.build_parser(); "
            "print(sorted(m for m in ('torch', 'ortools', 'pulp', 'deap') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_readme_tables_are_verbatim_copies_of_results():
    from gqap.bench.readme import synced

    text = (ROOT / "README.md").read_text()
    assert "<!-- begin results/fig11a/objective_vs_users.md -->" in text
    _, stale = synced(text, ROOT)
    assert not stale, f"README blocks differ from {stale}: run python -m gqap.bench.readme"


def test_readme_sync_rewrites_stale_blocks_and_names_missing_files(tmp_path):
    from gqap.bench.readme import main, synced
    from gqap.errors import GQAPError

    (tmp_path / "t.md").write_text("| a |\n|---|\n| 1 |\n")
    readme = tmp_path / "README.md"
    readme.write_text("x\n<!-- begin t.md -->\n| a |\n| 0 |\n<!-- end t.md -->\ny\n")
    assert main(["--readme", str(readme), "--check"]) == 1
    assert main(["--readme", str(readme)]) == 0
    assert readme.read_text() == "x\n<!-- begin t.md -->\n| a |\n|---|\n| 1 |\n" \
        "<!-- end t.md -->\ny\n"
    assert main(["--readme", str(readme), "--check"]) == 0
    with pytest.raises(GQAPError, match="gone.md"):
        synced("<!-- begin gone.md -->\n<!-- end gone.md -->", tmp_path)
