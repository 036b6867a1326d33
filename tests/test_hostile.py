"""The hostile-input corpus (tests/hostile/cases.toml, issue 13) against every CLI entry point.

One test runs every case in process through ``gqap.cli.main`` (no subprocess per case),
each in a fresh folder of base files, and checks the contract of a refusal: non-zero exit
(the case's exit status where it names one), exactly one stderr line that starts with
"gqap: error:" and names the problem, no "internal error", no traceback, and no file lost,
changed or left behind (a case's ``replaced`` output must then hold no solution).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import ROOT

from gqap.cli import main

CASES_FILE = Path(__file__).parent / "hostile" / "cases.toml"
TINY = ROOT / "instances" / "tiny" / "u6-g04-b03.json"
TINY_GQAP = ROOT / "instances" / "tiny-gqap" / "8-4-50.json"
OK_CONFIG = ('name = "ok"\ntime_limit = 5\n[[solvers]]\nname = "baseline1"\n'
             '[[instances]]\nset = "tiny"\n')
# Every command of the CLI that the corpus must reach (argv prefixes).
ENTRY_POINTS = [("generate", "offloading"), ("generate", "classic"), ("generate", "multi"),
                ("generate", "set"), ("info",), ("solve",), ("evaluate",), ("solvers",),
                ("doc",), ("bench", "run"), ("bench", "report"), ("bench", "reproduce"),
                ("figure", "fig8"), ("train",)]


def load_cases() -> list[dict[str, Any]]:
    """The corpus, in file order."""
    return tomllib.loads(CASES_FILE.read_text(encoding="utf-8"))["case"]


# ---------------------------------------------------------------------------------------
# making the files of a case
# ---------------------------------------------------------------------------------------
def write_base_files(folder: Path) -> None:
    """The files every case folder starts with (see the head of cases.toml)."""
    from gqap.classic.format import cordeau_text
    from gqap.classic.solution import GQAPSolution
    from gqap.io import read_instance, write_instance, write_solution
    from gqap.multi.generator import generate_multi
    from gqap.offloading.solution import OffloadingSolution

    shutil.copyfile(TINY, folder / "tiny.json")
    shutil.copyfile(TINY_GQAP, folder / "gqap.json")
    gq = read_instance(TINY_GQAP)
    (folder / "cordeau.txt").write_text(cordeau_text(gq))
    write_instance(generate_multi(np.random.default_rng(1), 5, 2, seed=1), folder / "multi.json")
    write_solution(OffloadingSolution([True, False, True, False, False, False],
                                      [120, 200, 130, 200, 200, 200]),
                   folder / "sol.json", read_instance(TINY), solver="hand")
    write_solution(GQAPSolution([0, 1, 2, 3, 0, 1, 2, 3]), folder / "gsol.json", gq,
                   solver="hand")
    (folder / "prev.json").write_text("PREVIOUS OUTPUT\n")
    (folder / "ok.toml").write_text(OK_CONFIG)


def _set_path(obj: Any, path: str, value: Any) -> None:
    keys = [int(k) if k.lstrip("-").isdigit() else k for k in path.split(".")]
    for k in keys[:-1]:
        obj = obj[k]
    if value == "__null__":
        value = None
    obj[keys[-1]] = value


def _delete_path(obj: Any, path: str) -> None:
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    for k in keys[:-1]:
        obj = obj[k]
    del obj[keys[-1]]


def _edited(folder: Path, case: dict[str, Any]) -> str:
    obj = json.loads((folder / f"{case['base']}.json").read_text())
    for path, value in case.get("set", []):
        _set_path(obj, path, value)
    for path in case.get("delete", []):
        _delete_path(obj, path)
    raw = {}
    for i, (path, text) in enumerate(case.get("set_raw", [])):
        raw[f'"__raw{i}__"'] = text
        _set_path(obj, path, f"__raw{i}__")
    out = json.dumps(obj)  # NaN and Infinity written as such: the reader must refuse them
    for marker, text in raw.items():
        out = out.replace(marker, text)
    return out


def _checkpoint(path: Path, payload: bytes | None = None, *, sidecar: str = "match") -> None:
    """A .pt file (the shipped 'general' weights unless ``payload`` is given) and its
    sidecar: 'match' (hash of the file), 'wrong' (another hash), 'garbage' or 'none'."""
    from gqap.solvers.dqn.checkpoints import CHECKPOINT_DIR

    pt = path.with_suffix(".pt")
    pt.write_bytes(payload if payload is not None
                   else (CHECKPOINT_DIR / "general.pt").read_bytes())
    side = json.loads((CHECKPOINT_DIR / "general.json").read_text())
    digest = hashlib.sha256(pt.read_bytes()).hexdigest()
    side.update(file=pt.name, sha256=digest if sidecar == "match" else "0" * 64)
    if sidecar == "garbage":
        pt.with_suffix(".json").write_text("{{{ not json")
    elif sidecar != "none":
        pt.with_suffix(".json").write_text(json.dumps(side))


class _Payload:
    """Unpickling this runs a command: a checkpoint must never let it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _torch_bytes(obj: Any) -> bytes:
    import io

    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def make(recipe: str, folder: Path, path: Path) -> None:
    """The hostile file(s) of a ``make`` recipe."""
    if recipe == "truncated-tiny":
        text = TINY.read_text()
        path.write_text(text[: len(text) // 2])
    elif recipe == "deep-nesting":
        path.write_text("[" * 100_000)
    elif recipe == "cordeau-extra":
        path.write_text((folder / "cordeau.txt").read_text() + "5 6 7\n")
    elif recipe == "corrupt-db":
        (folder / "sweep").mkdir()
        (folder / "sweep" / "results.sqlite").write_bytes(b"SQLite format 2\x00" + bytes(200))
    elif recipe == "packing-infeasible":
        from gqap.classic.instance import GQAPInstance
        from gqap.io import write_instance

        rng = np.random.default_rng(0)
        write_instance(GQAPInstance(q=[51.0] * 8, Q=[100.0, 100.0, 100.0, 110.0],
                                    a=rng.integers(0, 9, (8, 4)),
                                    t=np.ones((8, 8)) - np.eye(8),
                                    d=np.ones((4, 4)) - np.eye(4), name="packing"), path)
    elif recipe == "pickle-checkpoint":
        _checkpoint(path, pickle.dumps({"w": _Payload(folder / "payload-ran")}))
    elif recipe == "truncated-checkpoint":
        from gqap.solvers.dqn.checkpoints import CHECKPOINT_DIR

        _checkpoint(path, (CHECKPOINT_DIR / "general.pt").read_bytes()[:700])
    elif recipe == "wrong-hash-checkpoint":
        _checkpoint(path, sidecar="wrong")
    elif recipe == "sidecar-less-checkpoint":
        _checkpoint(path, sidecar="none")
    elif recipe == "garbage-sidecar-checkpoint":
        _checkpoint(path, sidecar="garbage")
    elif recipe == "list-checkpoint":
        import torch

        _checkpoint(path, _torch_bytes([torch.zeros(3)]))
    elif recipe == "wrong-shape-checkpoint":
        import torch

        from gqap.solvers.dqn.checkpoints import CHECKPOINT_DIR

        state = torch.load(CHECKPOINT_DIR / "general.pt", weights_only=True)
        first = next(iter(state))
        state[first] = torch.zeros(tuple(s + 1 for s in state[first].shape))
        _checkpoint(path, _torch_bytes(state))
    else:
        raise AssertionError(f"unknown recipe {recipe!r}")


def make_case_files(folder: Path, case: dict[str, Any]) -> None:
    """Base files plus the case's hostile file."""
    write_base_files(folder)
    path = folder / case.get("file", "hostile.json")
    if "text" in case:
        path.write_text(case["text"], encoding="utf-8")
    elif "hex" in case:
        path.write_bytes(bytes.fromhex(case["hex"]))
    elif "base" in case:
        path.write_text(_edited(folder, case))
    elif case.get("folder"):
        path.mkdir()
    elif "make" in case:
        make(case["make"], folder, path)


def snapshot(folder: Path) -> dict[str, Any]:
    """Every path below ``folder`` with its bytes and mode (folders as None)."""
    out: dict[str, Any] = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        out[rel] = None if p.is_dir() else (p.read_bytes(), p.stat().st_mode & 0o7777)
    return out


# ---------------------------------------------------------------------------------------
# the contract
# ---------------------------------------------------------------------------------------
def check_case(case: dict[str, Any], folder: Path, capsys: Any) -> str | None:
    """Run one case; None when it keeps the contract, else what went wrong."""
    before = snapshot(folder)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        code = main([str(a) for a in case["argv"]])
    except SystemExit as exc:  # argparse must not exit past main()
        code = f"SystemExit({exc.code})"
    finally:
        os.chdir(cwd)
    _, err = capsys.readouterr()
    problems = []
    if code == 0 or not isinstance(code, int):
        problems.append(f"exit status {code!r}")
    elif "code" in case and code != case["code"]:
        problems.append(f"exit status {code}, expected {case['code']}")
    if not err.startswith("gqap: error: ") or err.count("\n") != 1 or not err.endswith("\n"):
        problems.append(f"stderr is not one 'gqap: error:' line: {err[:600]!r}")
    if "internal error" in err or "Traceback" in err:
        problems.append(f"stderr shows a bug: {err[:300]!r}")
    if case["error"] not in err:
        problems.append(f"stderr does not name {case['error']!r}: {err.strip()!r}")
    after = snapshot(folder)
    replaced = case.get("replaced")
    for rel, old in before.items():
        if rel == replaced:
            obj = json.loads((folder / rel).read_text())
            if obj.get("solution", "missing") is not None or "assignment" in obj:
                problems.append(f"{rel} still holds a solution")
        elif after.get(rel, "gone") != old:
            problems.append(f"{rel} was {'removed' if rel not in after else 'changed'}")
    new = sorted(set(after) - set(before))
    if new:
        problems.append(f"left behind: {', '.join(new)}")
    return "; ".join(problems) or None


def test_every_hostile_input_is_refused_in_one_line(tmp_path, capsys):
    cases = load_cases()
    kinds = [c["kind"] for c in cases]
    assert len(kinds) == len(set(kinds)), "kinds must be distinct"
    assert len(kinds) >= 60
    groups = {k.split("/")[0] for k in kinds}
    assert {"instance", "solution", "config", "checkpoint", "cli", "cordeau"} <= groups
    reached = {tuple(c["argv"][: len(e)]) for c in cases for e in ENTRY_POINTS}
    assert [e for e in ENTRY_POINTS if e not in reached] == []
    try:
        import torch  # noqa: F401
        skipped = set()
    except ImportError:  # the checkpoint cases need the [dqn] extra
        skipped = {k for k in kinds if k.startswith("checkpoint/")}
    failures = {}
    for i, case in enumerate(cases):
        if case["kind"] in skipped:
            continue
        folder = tmp_path / f"c{i:03d}"
        folder.mkdir()
        make_case_files(folder, case)
        problem = check_case(case, folder, capsys)
        if problem:
            failures[case["kind"]] = problem
    tried = len(cases) - len(skipped)
    with capsys.disabled():
        print(f"\nhostile corpus: {tried} kinds tried, {tried - len(failures)} refused cleanly"
              f"{f', {len(skipped)} skipped (no torch)' if skipped else ''}")
    assert failures == {}, "\n".join(f"{k}: {v}" for k, v in failures.items())


@pytest.mark.parametrize("kind", ["instance/1e308-alpha", "cli/out-is-a-folder"])
def test_the_contract_check_catches_a_broken_promise(tmp_path, capsys, kind, monkeypatch):
    # The checker itself must fail when a command succeeds or leaves something behind.
    case = dict(next(c for c in load_cases() if c["kind"] == kind))
    make_case_files(tmp_path, case)
    case["argv"] = ["info", "tiny.json"]  # succeeds: exit 0, nothing on stderr
    problem = check_case(case, tmp_path, capsys)
    assert problem is not None and "exit status 0" in problem
    (tmp_path / "stray.tmp").write_text("x")
    case["argv"] = ["generate", "offloading", "-o", "new.json"]
    problem = check_case(case, tmp_path, capsys)
    assert "left behind: new.json" in problem
