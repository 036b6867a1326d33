"""The family registry (``gqap.family``): every family registered once, read by the file
formats, the evaluator, the solver interface, the harness and the command line; the
classic family's old name ``gqap`` accepted everywhere with one deprecation line."""

from __future__ import annotations

import dataclasses
import sqlite3

import numpy as np
import pytest

from gqap import family as registry
from gqap.bench.config import config_from_dict
from gqap.bench.report import write_report
from gqap.bench.store import ResultStore
from gqap.bench.sweep import run_sweep
from gqap.cli import main
from gqap.errors import GQAPError, ValidationError
from gqap.evaluation import SENSE, evaluate
from gqap.family import canonical, families, family, names
from gqap.io import instance_to_dict, read_instance, write_instance
from gqap.solvers import list_solvers, make_solver


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch):
    monkeypatch.setattr(registry, "_WARNED", set())


def test_the_families_are_registered_in_order_with_their_parts():
    assert names() == ["offloading", "multi", "classic", "online"]
    assert names(aliases=True) == ["offloading", "multi", "classic", "online", "gqap"]
    assert {f.name: f.sense for f in families()} == {"offloading": "max", "multi": "max",
                                                      "classic": "min", "online": "max"}
    assert dict(SENSE) == {"offloading": "max", "multi": "max", "classic": "min",
                           "online": "max"}
    for spec in families():
        inst = spec.generate(np.random.default_rng(0), **{
            a.param: (a.default or spec.grid.quick[a.key])[0] for a in spec.grid.axes})
        assert isinstance(inst, spec.instance_type) and inst.family == spec.name
        back = spec.instance_from_dict(spec.instance_to_dict(inst), "x")
        assert back.content_hash() == inst.content_hash()
        assert set(spec.size_params(inst)) >= {spec.secondary}


def test_an_old_name_is_translated_with_one_deprecation_line(capsys):
    assert canonical("gqap") == "classic" and family("gqap") is family("classic")
    assert canonical("gqap") == "classic"
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'gqap' is now called 'classic'" in err
    assert canonical("gqap", warn=False) == "classic" and not capsys.readouterr().err
    with pytest.raises(GQAPError, match="unknown 'cube' .families: offloading, multi, classic"):
        family("cube")


def test_the_classic_instance_keeps_its_file_format_and_content_hash(tmp_path):
    inst = read_instance("tiny-gqap/6-3-60")
    assert inst.family == "classic"
    obj = instance_to_dict(inst)
    assert obj["format"] == "gqap-bench/gqap"  # the format tag is the file format's identity
    write_instance(inst, tmp_path / "a.json")
    assert read_instance(tmp_path / "a.json").content_hash() == inst.content_hash()
    # the digest is the one stores and manifests recorded before the rename
    assert inst.content_hash() == ("3115fadfb426761d1c4ba794e09e1c024e5df68a08d79f608d59db99"
                                   "3e1fcbd8")
    assert read_instance("tiny/u4-g08-b18").content_hash() == (
        "1def8ad70b1bc60427e6cd5938f3ab33f95ed3e3c99838d71a726df386f62e55")


def test_a_solver_declaring_the_old_name_supports_the_family():
    assert "tabu" in [s.name for s in list_solvers("gqap")]
    solver = make_solver("tabu")
    inst = read_instance("tiny-gqap/6-3-60")

    class OldDeclaration(type(solver)):
        families = ("gqap",)

    assert OldDeclaration().supports(inst)


def test_a_family_mismatch_and_a_latency_model_are_refused_by_the_one_door():
    inst = read_instance("tiny-gqap/6-3-60")
    off = read_instance("tiny/u4-g08-b18")
    sol = make_solver("brute-force").solve(inst).solution
    with pytest.raises(ValidationError, match="an offloading instance needs grant"):
        evaluate(off, sol)
    with pytest.raises(ValidationError, match="only the offloading and multi families"):
        evaluate(inst, sol, "dynamic-batch")


def test_cli_old_name_generates_the_same_bytes_with_a_deprecation_line(capsys):
    args = ["--facilities", "5", "--sites", "2", "--capacity-ratio", "0.5", "--seed", "4"]
    assert main(["generate", "classic", *args]) == 0
    new = capsys.readouterr()
    assert main(["generate", "gqap", *args]) == 0
    old = capsys.readouterr()
    assert old.out == new.out and not new.err
    assert "family 'gqap' is now called 'classic'" in old.err
    assert main(["solvers", "--family", "gqap"]) == 0
    listed = capsys.readouterr().out
    assert "tabu" in listed and "exact " not in listed


def test_a_config_with_the_old_name_runs_and_an_old_store_reads_back(tmp_path, capsys):
    cfg = config_from_dict({
        "name": "old", "time_limit": 10, "solvers": [{"name": "brute-force"}],
        "instances": [{"generate": "gqap", "facilities": 5, "sites": 2,
                       "capacity_ratio": 0.5, "cases": 2}]})
    assert "now called 'classic'" in capsys.readouterr().err
    assert cfg.instances[0].spec["generate"] == "classic"
    run_sweep(cfg, tmp_path, workers=1, progress=False)
    # a store written before the rename says 'gqap': it reads back as the classic family
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        db.execute("UPDATE runs SET family = 'gqap'")
        db.execute("UPDATE instances SET family = 'gqap'")
    with ResultStore.in_dir(tmp_path, readonly=True) as store:
        assert {r["family"] for r in store.rows()} == {"classic"}
        assert {r["family"] for r in store.instance_rows()} == {"classic"}
    rep = write_report(tmp_path, tmp_path / "report", formats=["csv"], figures=False)
    assert "summary_gqap.csv" in {p.name for p in rep.tables}


def test_a_new_family_is_one_registration(monkeypatch, tmp_path):
    """A family registered at run time is generated from the command line (the generic
    parser, built from its generator's signature), written, read and evaluated with no
    other change; its names cannot be taken by another family."""
    from gqap.classic.instance import GQAPInstance

    @dataclasses.dataclass(frozen=True, eq=False)
    class ToyInstance(GQAPInstance):
        family: str = dataclasses.field(default="toy", init=False, repr=False)

    base = family("classic")

    def generate_toy(rng: np.random.Generator, n_facilities: int = 4, n_sites: int = 2,
                     capacity_ratio: float = 0.5, *, name: str = "",
                     seed: int | None = None) -> ToyInstance:
        inst = base.generate(rng, n_facilities, n_sites, capacity_ratio, name=name, seed=seed)
        return ToyInstance(q=inst.q, Q=inst.Q, a=inst.a, t=inst.t, d=inst.d, v=inst.v,
                           name=inst.name, provenance=inst.provenance)

    def from_dict(obj, path):
        inst = base.instance_from_dict({**obj, "format": base.instance_format}, path)
        return ToyInstance(q=inst.q, Q=inst.Q, a=inst.a, t=inst.t, d=inst.d, v=inst.v,
                           name=inst.name, provenance=inst.provenance)

    toy = dataclasses.replace(
        base, name="toy", aliases=(), instance_type=ToyInstance,
        instance_format="gqap-bench/toy", cli="", report="", generate=generate_toy,
        text_format=None, instance_from_dict=from_dict,
        instance_to_dict=lambda inst: {**base.instance_to_dict(inst), "format": "gqap-bench/toy"})
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    registry.register(toy)
    assert names()[-1] == "toy"
    out = tmp_path / "t.json"
    assert main(["generate", "toy", "--n-facilities", "6", "--capacity-ratio", "0.6",
                 "--seed", "2", "-o", str(out)]) == 0
    inst = read_instance(out)
    assert isinstance(inst, ToyInstance) and inst.n == 6
    assert inst.content_hash() == generate_toy(np.random.default_rng(2), 6, 2, 0.6
                                               ).content_hash()
    from gqap.classic.evaluation import gqap_cost
    from gqap.classic.solution import GQAPSolution

    x = np.arange(6) % 2
    assert evaluate(inst, GQAPSolution(x)).objective == pytest.approx(gqap_cost(inst, x))
    with pytest.raises(GQAPError, match="the name 'toy' belongs to toy"):
        registry.register(dataclasses.replace(toy, name="other", aliases=("toy",)))
