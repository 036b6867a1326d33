"""Benchmark configurations: validation, instance sources, solver entries, expansion."""

from __future__ import annotations

import pytest
from conftest import ROOT

from gqap.bench.config import CONFIG_DIR, config_from_dict, load_config, quick_config
from gqap.bench.grid import expand
from gqap.bench.sources import load_instances, read_best_known
from gqap.errors import GQAPError
from gqap.solvers.registry import register

BASE = {"solvers": [{"name": "exact"}], "instances": [{"set": "tiny"}]}


@pytest.mark.parametrize(("change", "message"), [
    ({"seed": 1}, "unknown key 'seed'"),
    ({"solvers": [{"name": "exact", "lable": "x"}]}, "solvers[0]: unknown key 'lable'"),
    ({"instances": [{"set": "tiny", "glob": "*"}]}, "instances[0]: unknown key 'glob'"),
    ({"report": {"titel": "x"}}, "report: unknown key 'titel'"),
    ({"time_limit": -1}, "time_limit: must be a positive number"),
    ({"seeds": ["a"]}, "seeds = 'a' has the wrong type (expected int)"),
    ({"seeds": [-1]}, "seeds: must be >= 0"),
    ({"kill_grace_s": -1}, "kill_grace_s: must be a number >= 0"),
    ({"solvers": []}, "needs a non-empty 'solvers' list"),
    ({"solvers": [{"name": "exact"}, {"name": "exact"}]}, "label 'exact' is used twice"),
    ({"solvers": [{"name": "x", "target": "m:C"}]}, "also needs 'families'"),
    ({"solvers": [{"name": "exact", "label": "a b"}]}, "may only hold letters"),
    ({"solvers": [{"name": "exact", "options": 3}]}, "options = 3 has the wrong type "
     "(expected a table)"),
    ({"solvers": [{"name": "exact", "families": "cube"}]}, "unknown family 'cube'"),
    ({"solvers": [{"name": "exact", "where": 3}]}, "where: must be a table"),
    ({"report": {"hooks": ["nope"]}}, "unknown hook 'nope'"),
    ({"instances": [{"set": "tiny", "path": "x"}]}, "exactly one of 'set', 'path'"),
    ({"instances": [{"generate": "offloading"}]}, "needs 'users'"),
    ({"instances": [{"generate": "gqap", "facilities": 5, "sites": 2}]},
     "needs 'capacity_ratio'"),
    ({"instances": [{"generate": "offloading", "users": 4, "sites": 2}]},
     "instances[0]: unknown key 'sites'"),
    ({"instances": [{"generate": "multi", "users": 4}]}, "needs 'sites'"),
    ({"instances": [{"generate": "multi", "users": 4, "sites": 0}]}, "sites: must be >= 1"),
    ({"instances": [{"generate": "cube", "users": 4}]}, "generate: must be one of"),
    ({"instances": [{"generate": "gqap", "facilities": 5, "sites": 2,
                     "capacity_ratio": 1.5}]}, "must lie in (0, 1]"),
])
def test_bad_configs_are_rejected_naming_the_problem(change, message):
    with pytest.raises(GQAPError, match=None) as info:
        config_from_dict({**BASE, **change}, "t.toml")
    assert message in str(info.value) and str(info.value).startswith("config t.toml")


def test_load_config_reports_malformed_toml_and_missing_files(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(GQAPError, match="malformed TOML"):
        load_config(bad)
    with pytest.raises(GQAPError, match="no such config file"):
        load_config(tmp_path / "nope.toml")


def test_every_shipped_config_validates_and_bare_names_resolve():
    names = sorted(p.stem for p in CONFIG_DIR.glob("*.toml"))
    assert {"default", "fig10", "fig11a", "fig11b", "fig11c", "literature",
            "scaling"} <= set(names)
    for name in names:
        cfg = load_config(name)
        assert cfg.solvers and cfg.instances and cfg.time_limit > 0
    fig10 = load_config("fig10")
    dqn = [s for s in fig10.solvers if s.name == "dqn"]
    assert [s.label for s in dqn] == ["dqn-general", "dqn-gpu-g8", "dqn-specific"]
    assert len({s.options["checkpoint"] for s in dqn}) == 3


def test_default_config_plans_the_fig11a_subset_and_scaling_sizes():
    plan = expand(load_config("default"))
    sizes = sorted({r.size for r in plan.instances.values()})
    assert sizes == [4, 8, 12, 16, 20, 32, 64, 128, 200, 500, 1000]
    assert sum(r.size == 4 for r in plan.instances.values()) == 20
    assert len(plan.runs) + plan.unsupported_pairs == len(plan.instances) * len(
        load_config("default").solvers)
    assert {"exact", "baseline1", "ga", "tabu", "milp", "cpsat"} <= {r.solver for r in plan.runs}
    assert len(plan.references) == len(plan.instances)


def test_labels_and_options_make_separate_runs_with_their_own_variant_reference():
    cfg = config_from_dict({
        "seeds": [0, 1],
        "solvers": [{"name": "baseline1", "label": "b1-int"},
                    {"name": "baseline1", "label": "b1_real", "options": {"split": "real"}}],
        "instances": [{"set": "tiny", "where": {"n_users": [8]}}]})
    plan = expand(cfg)
    assert len(plan.instances) == 2 and len(plan.runs) == 8
    by_label = {r.label: r for r in plan.runs}
    assert by_label["b1-int"].config_hash != by_label["b1_real"].config_hash
    assert (by_label["b1-int"].variant, by_label["b1_real"].variant) == ("integer", "real")
    assert len({r.run_id for r in plan.runs}) == 8
    assert sorted((j.variant, j.options["split"]) for j in plan.references) == [
        ("integer", "integer")] * 2 + [("real", "real")] * 2
    # the same config expands to the same ids (resume depends on it)
    assert [r.run_id for r in expand(cfg).runs] == [r.run_id for r in plan.runs]


def test_missing_solvers_fail_unless_optional_and_bad_options_fail_up_front():
    register("not-built-yet", "no_such_module_xyz:Solver", ("offloading",), "test")
    cfg = {**BASE, "solvers": [{"name": "exact"}, {"name": "not-built-yet"}]}
    with pytest.raises(GQAPError, match="module no_such_module_xyz not found"):
        expand(config_from_dict(cfg))
    cfg["solvers"][1]["optional"] = True
    plan = expand(config_from_dict(cfg))
    assert [lab for lab, _ in plan.skipped_solvers] == ["not-built-yet"]
    assert {r.solver for r in plan.runs} == {"exact"}
    with pytest.raises(GQAPError, match="unknown option 'speed'"):
        expand(config_from_dict({**BASE, "solvers": [{"name": "exact",
                                                       "options": {"speed": 1}}]}))
    with pytest.raises(GQAPError, match="unknown 'nope'"):
        expand(config_from_dict({**BASE, "solvers": ["nope"]}))


def test_size_range_and_family_restrict_the_pairs():
    cfg = config_from_dict({
        "solvers": [{"name": "exact", "max_size": 6}, {"name": "baseline3", "min_size": 8}],
        "instances": [{"set": "tiny"}, {"set": "tiny-gqap"}]})
    plan = expand(cfg)
    sizes = {(r.solver, plan.instances[r.instance_hash].size) for r in plan.runs}
    assert sizes == {("exact", 4), ("exact", 6), ("baseline3", 8)}
    assert plan.unsupported_pairs == 2 * 9 - len(plan.runs)


def test_set_filters_cases_and_on_the_fly_generation():
    cfg = config_from_dict({**BASE, "instances": [
        {"set": "fig11a", "where": {"n_users": [4, 8]}, "cases": 3},
        {"set": "scaling", "where": {"n_users": [16]}}]})
    instances, _ = load_instances(cfg)
    names = sorted(r.name for r in instances.values())
    assert names[:6] == [f"fig11a-u{u:02d}-c{c:03d}" for u in (4, 8) for c in range(3)]
    scaling = [r for r in instances.values() if r.name.startswith("scaling")]
    assert len(scaling) == 5 and all(r.size == 16 for r in scaling)
    assert all("generated on the fly" in r.origin for r in scaling)
    with pytest.raises(GQAPError, match="unknown parameter 'users'"):
        load_instances(config_from_dict({**BASE, "instances": [
            {"set": "tiny", "where": {"users": [4]}}]}))


def test_generated_instances_are_seeded_and_recorded():
    src = {"generate": "offloading", "users": [5, 7], "G": [4, 8], "B_max": 3, "cases": 2,
           "seed": 11}
    a, _ = load_instances(config_from_dict({**BASE, "instances": [src]}))
    b, _ = load_instances(config_from_dict({**BASE, "instances": [src]}))
    c, _ = load_instances(config_from_dict({**BASE, "instances": [{**src, "seed": 12}]}))
    assert list(a) == list(b) and len(a) == 8 and not set(a) & set(c)
    for rec in a.values():
        assert rec.instance.B_max == 3 and rec.params["seed"] == rec.instance.provenance["seed"]
        assert rec.name.endswith("-s11")
    g, _ = load_instances(config_from_dict({**BASE, "instances": [
        {"generate": "gqap", "facilities": 6, "sites": [2, 3], "capacity_ratio": 0.5}]}))
    assert sorted(r.instance.m for r in g.values()) == [2, 3]
    assert all(r.reference_solver is None for r in g.values())


def test_best_known_files_and_optional_sources(tmp_path, cordeau_dir):
    from gqap.instance_sets import set_references

    bks = tmp_path / "bks.csv"  # a user-supplied file, here with the manifest's values
    bks.write_text("instance,best_known_cost\n" + "".join(
        f"{name},{ref.value:.0f}\n" for name, ref in set_references(cordeau_dir).items()))
    cfg = config_from_dict({**BASE, "instances": [
        {"path": str(cordeau_dir), "glob": "*.txt", "best_known": str(bks)},
        {"path": str(tmp_path / "absent"), "optional": True}]})
    instances, notes = load_instances(cfg)
    best = {r.name: r.best_known for r in instances.values()}
    assert best == read_best_known(bks)
    assert best["20-15-35"] == 1471896
    assert len(notes) == 1 and "not found" in notes[0]
    bad = tmp_path / "bks.csv"
    bad.write_text("name,cost\nx,1\n")
    with pytest.raises(GQAPError, match="needs an 'instance' column"):
        read_best_known(bad)


def test_relative_paths_resolve_beside_the_config_or_in_the_project(tmp_path, monkeypatch):
    import shutil

    cfg_dir, elsewhere = tmp_path / "cfg", tmp_path / "elsewhere"
    cfg_dir.mkdir()
    elsewhere.mkdir()
    shutil.copy(ROOT / "instances" / "tiny" / "u6-g04-b03.json", cfg_dir / "local.json")
    (cfg_dir / "one.toml").write_text(
        'solvers = ["exact"]\n[[instances]]\npath = "instances/tiny/u4-g08-b18.json"\n'
        '[[instances]]\npath = "local.json"\n')
    monkeypatch.chdir(elsewhere)
    instances, _ = load_instances(load_config(cfg_dir / "one.toml"))
    origins = {r.name: r.origin for r in instances.values()}
    assert origins == {"tiny-u4-g08-b18": str(ROOT / "instances/tiny/u4-g08-b18.json"),
                       "tiny-u6-g04-b03": str(cfg_dir / "local.json")}


def test_quick_config_matches_the_flags():
    cfg = quick_config(family="offloading", solvers=["exact", "baseline1"], users=[4, 8],
                       gpus=[2], cases=3, time_limit=7, seeds=[0, 1],
                       options={"baseline1": {"split": "real"}})
    assert cfg.time_limit == 7 and cfg.seeds == (0, 1)
    assert cfg.solvers[1].options == {"split": "real"}
    src = cfg.instances[0]
    assert src.spec["users"] == (4, 8) and src.spec["G"] == (2,) and src.cases == 3
    with pytest.raises(GQAPError, match="not in --solvers"):
        quick_config(family="offloading", solvers=["exact"], options={"ga": {"x": "1"}})


def test_a_solver_entry_where_filter_restricts_its_instances():
    cfg = config_from_dict({
        "solvers": ["baseline3", {"name": "baseline1", "where": {"G": 8, "n_users": [4, 6]}}],
        "instances": [{"set": "tiny"}]})
    plan = expand(cfg)
    b1 = [plan.instances[r.instance_hash].params for r in plan.runs if r.label == "baseline1"]
    assert sorted((p["n_users"], p["G"]) for p in b1) == [(4, 8), (6, 8)]
    assert sum(r.label == "baseline3" for r in plan.runs) == 6
    with pytest.raises(GQAPError, match="solver baseline1: 'where' names unknown parameter"):
        expand(config_from_dict({"solvers": [{"name": "baseline1", "where": {"S": 2}}],
                                 "instances": [{"set": "tiny"}]}))


def test_manifest_sets_can_be_filtered_by_file_name():
    cfg = config_from_dict({"solvers": ["exact"], "instances": [
        {"set": "tiny", "where": {"name": ["u6-g04-b03", "u8-g16-b05"]}}]})
    instances, _ = load_instances(cfg)
    assert sorted(r.params["name"] for r in instances.values()) == ["u6-g04-b03",
                                                                     "u8-g16-b05"]
    lit = config_from_dict({"solvers": ["tabu"], "instances": [
        {"set": "cordeau", "where": {"name": "20-15-35"}}]})
    (rec,) = load_instances(lit)[0].values()
    # 20-15-35's best-known value is proved optimal by bnb (its manifest's proof)
    assert (rec.name, rec.best_known, rec.reference_kind) == ("20-15-35", 1471896.0,
                                                              "exact")
