"""Multi-cluster files: ``gqap-bench/multi`` instances and multi solutions through gqap.io."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gqap.errors import FormatError, ValidationError
from gqap.io import (
    dumps,
    instance_from_dict,
    instance_to_dict,
    read_instance,
    read_solution,
    solution_from_dict,
    solution_to_dict,
    write_instance,
    write_solution,
)
from gqap.multi import MultiInstance, MultiSolution, from_offloading, generate_multi
from gqap.offloading.generator import generate_offloading


def _inst() -> MultiInstance:
    return generate_multi(np.random.default_rng(8), 7, 3, seed=8, B_max=[2, 18, 5])


def test_round_trip_keeps_every_number_and_byte(tmp_path):
    inst = _inst()
    path = write_instance(inst, tmp_path / "m.json")
    back = read_instance(path)
    assert isinstance(back, MultiInstance)
    assert back.content_hash() == inst.content_hash()
    assert back.name == inst.name and back.provenance == inst.provenance
    for name in ("k_site", "h_site", "G", "B_max", "W_hz", "k_user", "h_user", "alpha",
                 "request_time", "shift_steps"):
        np.testing.assert_array_equal(getattr(back, name), getattr(inst, name))
    write_instance(back, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()


def test_file_layout():
    obj = instance_to_dict(_inst())
    assert obj["format"] == "gqap-bench/multi" and obj["version"] == 1
    assert set(obj) == {"format", "version", "name", "generator", "params", "sites", "users",
                        "shift_steps"}
    assert set(obj["params"]) == {"N", "N_hat", "a_F", "b_F", "K", "eta", "s_p_bits",
                                  "s_m_bits", "convention"}
    assert set(obj["sites"]) == {"k_s", "h_s", "G", "B_max", "W_hz"}
    assert set(obj["users"]) == {"k_s", "h_s", "alpha", "request_time_s"}
    assert obj["sites"]["B_max"] == [2, 18, 5] and all(isinstance(g, int)
                                                       for g in obj["sites"]["G"])
    assert len(obj["shift_steps"]) == 7 and len(obj["shift_steps"][0]) == 3
    gen = obj["generator"]
    assert gen["name"] == "multi" and gen["seed"] == 8 and len(gen["positions"]) == 7
    # Seconds, as in the paper's files.
    assert obj["sites"]["W_hz"] == [1e6] * 3 and max(obj["users"]["k_s"]) < 1.0
    text = dumps(obj)
    assert "\n  [" in text  # one matrix row per line


def test_one_site_file_has_the_paper_numbers():
    off = generate_offloading(np.random.default_rng(2), 5, seed=2)
    multi = instance_to_dict(from_offloading(off))
    paper = instance_to_dict(off)
    assert multi["users"] == paper["users"]
    assert multi["sites"]["k_s"] == [paper["params"]["edge"]["k_s"]]
    assert multi["sites"]["W_hz"] == [paper["params"]["W_max_hz"]]


@pytest.mark.parametrize(("edit", "error", "message"), [
    (lambda o: o.update(version=2), FormatError, "schema version 2 is not supported"),
    (lambda o: o.update(format="gqap-bench/other"), FormatError, "format is 'gqap-bench/other'"),
    (lambda o: o["params"].update(colour=1), FormatError, "unknown field params.colour"),
    (lambda o: o["sites"].update(W=1), FormatError, "unknown field sites.W"),
    (lambda o: o.update(extra=1), FormatError, "unknown field extra"),
    (lambda o: o["users"].pop("alpha"), FormatError, "users: missing field 'alpha'"),
    (lambda o: o.pop("shift_steps"), FormatError, "missing field 'shift_steps'"),
    (lambda o: o.update(sites=[1]), FormatError, "sites must be an object"),
    (lambda o: o["sites"].update(G=[1, 0, 2]), ValidationError, "f.json: sites.G: must be >= 1"),
    (lambda o: o["shift_steps"][0].append(1.0), ValidationError, "shift_steps: "),
])
def test_bad_files_are_refused_in_one_line(tmp_path, edit, error, message):
    obj = instance_to_dict(_inst())
    edit(obj)
    path = tmp_path / "f.json"
    path.write_text(json.dumps(obj))
    with pytest.raises(error, match=message) as info:
        read_instance(path)
    assert "\n" not in str(info.value)


def test_solutions_round_trip(tmp_path):
    inst = _inst()
    sol = MultiSolution([0, -1, 2, 1, 1, -1, 0], [100, 200, 150.5, 80, 81, 200, 199])
    obj = solution_to_dict(sol, inst, solver="test")
    assert obj["family"] == "multi" and obj["instance_hash"] == inst.content_hash()
    assert obj["site"] == [0, -1, 2, 1, 1, -1, 0]
    path = write_solution(sol, tmp_path / "s.json", inst, solver="test")
    back = read_solution(path)
    assert isinstance(back, MultiSolution)
    np.testing.assert_array_equal(back.site, sol.site)
    np.testing.assert_array_equal(back.split_points, sol.split_points)
    nested = solution_from_dict({"solution": sol.to_dict()})
    np.testing.assert_array_equal(nested.site, sol.site)
    with pytest.raises(FormatError, match="'site' and 'split_points' \\(multi\\)"):
        solution_from_dict({"sites": [0]})
    with pytest.raises(FormatError, match="missing field 'split_points'"):
        solution_from_dict({"site": [0]})
    with pytest.raises(ValidationError, match="site: site indices must be integers"):
        solution_from_dict({"site": [0.5], "split_points": [100]})
    assert instance_from_dict(instance_to_dict(inst)).content_hash() == inst.content_hash()
