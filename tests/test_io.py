"""File formats: round trips, the shipped Cordeau files, and malformed input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import hand_instance, random_offloading

from gqap.classic.evaluation import gqap_cost
from gqap.classic.format import cordeau_text, read_cordeau, write_cordeau
from gqap.classic.generator import generate_gqap
from gqap.classic.solution import GQAPSolution
from gqap.errors import FormatError, GQAPError, ValidationError
from gqap.io import (
    dumps,
    instance_to_dict,
    read_instance,
    read_solution,
    write_instance,
    write_solution,
)
from gqap.offloading.solution import OffloadingSolution


def same_offloading(a, b):
    for f in ("k_user", "h_user", "alpha", "request_time"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert a.params() == b.params() and a.name == b.name
    assert a.content_hash() == b.content_hash()


def test_offloading_json_round_trip(tmp_path):
    inst = random_offloading(9, 7, convention="authors-scripts")
    path = write_instance(inst, tmp_path / "x.json")
    back = read_instance(path)
    same_offloading(inst, back)
    assert back.provenance["seed"] == 9 and back.provenance["generator"] == "offloading"
    # Writing what was read gives the same bytes.
    assert dumps(instance_to_dict(back)) == path.read_text()


def test_offloading_file_has_documented_fields(tmp_path):
    obj = json.loads(write_instance(random_offloading(1, 3), tmp_path / "x.json").read_text())
    assert obj["format"] == "gqap-bench/offloading" and obj["version"] == 1
    assert set(obj["params"]) == {"N", "N_hat", "a_F", "b_F", "K", "W_max_hz", "eta",
                                  "s_p_bits", "s_m_bits", "G", "B_max", "convention", "edge"}
    assert set(obj["params"]["edge"]) == {"k_s", "h_s"}
    assert set(obj["users"]) == {"k_s", "h_s", "alpha", "request_time_s"}
    assert obj["generator"]["name"] == "offloading" and obj["generator"]["seed"] == 1


def test_gqap_json_and_cordeau_round_trip(tmp_path):
    inst = generate_gqap(np.random.default_rng(2), 9, 4, 0.6, seed=2)
    j = read_instance(write_instance(inst, tmp_path / "g.json"))
    c = read_instance(write_cordeau(inst, tmp_path / "g.txt"))
    for other in (j, c):
        for f in ("q", "Q", "a", "t", "d"):
            np.testing.assert_array_equal(getattr(inst, f), getattr(other, f))
        assert other.v == inst.v
    assert cordeau_text(c) == (tmp_path / "g.txt").read_text()


def test_solution_round_trip(tmp_path):
    inst = hand_instance()
    sol = OffloadingSolution([True, False], [6.0, 10.0])
    back = read_solution(write_solution(sol, tmp_path / "s.json", inst, solver="x"))
    np.testing.assert_array_equal(back.grant, sol.grant)
    np.testing.assert_array_equal(back.split, sol.split)
    gs = read_solution(write_solution(GQAPSolution([1, 0, 2]), tmp_path / "g.json"))
    np.testing.assert_array_equal(gs.assignment, [1, 0, 2])
    # The output of 'gqap solve --json' (solution nested) is accepted too.
    (tmp_path / "r.json").write_text(json.dumps({"solution": sol.to_dict()}))
    np.testing.assert_array_equal(read_solution(tmp_path / "r.json").split, sol.split)


@pytest.mark.parametrize("name", ["20-15-35", "30-06-95", "30-20-55"])
def test_shipped_cordeau_files_load(cordeau_dir, tmp_path, name):
    inst = read_cordeau(cordeau_dir / f"{name}.txt")
    # The shipped name reads the same file from any folder.
    assert read_instance(f"cordeau/{name}").content_hash() == inst.content_hash()
    n, m, ratio = (int(x) for x in name.split("-"))
    assert (inst.n, inst.m, inst.v) == (n, m, 2.0)
    assert inst.q.sum() / inst.Q.sum() == pytest.approx(ratio / 100, abs=0.005)
    assert np.all(np.diag(inst.t) == 0)
    # Text -> instance -> text -> instance is lossless.
    again = read_instance(write_cordeau(inst, tmp_path / "x.txt"))
    np.testing.assert_array_equal(again.a, inst.a)


def test_cordeau_cost_convention_counts_both_orders(cordeau_dir):
    inst = read_cordeau(cordeau_dir / "20-15-35.txt")
    x = np.arange(inst.n) % inst.m
    pairs = sum(inst.t[i, j] * inst.d[x[i], x[j]] for i in range(inst.n) for j in range(inst.n))
    linear = sum(inst.a[i, x[i]] for i in range(inst.n))
    assert gqap_cost(inst, x) == pytest.approx(linear + inst.v * pairs)


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        ("{not json", FormatError, "malformed JSON at line 1"),
        ("[1, 2]", FormatError, "expected a JSON object"),
        ('{"format": "x", "version": 1}', FormatError, "format is 'x'"),
        ('{"format": "gqap-bench/gqap", "version": 7, "data": {}}', FormatError,
         "schema version 7 is not supported"),
        ('{"format": "gqap-bench/gqap", "version": 1}', FormatError, "missing field 'data'"),
        ('{"format": "gqap-bench/offloading", "version": 1, "params": {"edge": {}}, '
         '"users": {}}', FormatError, "missing field 'k_s'"),
        ("2 1 1\n0 1 1 0\n0\n1\n1\n1 1\n", FormatError, "expected 10 values after the header"),
        ("2 1 1\n0 1 1 0\n0\n1 1\nx 1\n2\n", FormatError, "non-numeric value"),
        ("1 1 1\n0\n0\n1\n5\n2\n", ValidationError, "total capacity 2 is below total weight 5"),
        ('{"format": "gqap-bench/gqap", "version": 1, "data": {"q": [1], "Q": [1], '
         '"a": [[NaN]], "t": [[0]], "d": [[0]]}}', FormatError, "NaN is not a valid number"),
    ],
)
def test_malformed_files(tmp_path, content, error, message):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(error, match=message) as info:
        read_instance(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(GQAPError, match="no such file"):
        read_instance(tmp_path / "nope.json")
    with pytest.raises(GQAPError, match="is a folder"):
        read_instance(tmp_path)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda o: o.update(extra=1), "unknown field extra"),
    (lambda o: o["users"].update(beta=[1]), "unknown field users.beta"),
    (lambda o: o["params"]["edge"].update(x=1), "unknown field params.edge.x"),
    (lambda o: o.update(params=[1, 2]), "params must be an object, got an array"),
    (lambda o: o.update(users="abc"), "users must be an object, got a string"),
    (lambda o: o.update(name=5), "name must be a string"),
    (lambda o: o.update(version=True), "schema version True is not supported"),
    (lambda o: o["users"].update(alpha=["1"] * 6), "users.alpha: expected numbers"),
    (lambda o: o["users"].update(alpha=[None] * 6), "users.alpha: expected numbers"),
    (lambda o: o["params"].update(K="1"), "K: not a number"),
])
def test_offloading_file_fields_are_checked_by_name(tmp_path, edit, message):
    obj = instance_to_dict(random_offloading(1, 6))
    edit(obj)
    (tmp_path / "x.json").write_text(json.dumps(obj))
    with pytest.raises(GQAPError, match=message) as info:
        read_instance(tmp_path / "x.json")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("body", "message"), [
    ({"assignment": "0 1"}, "assignment must be an array, got a string"),
    ({"assignment": [0, "1"]}, r"assignment\[1\] must be a number, got a string"),
    ({"assignment": [0, None]}, r"assignment\[1\] must be a number, got null"),
    ({"assignment": [0, True]}, r"assignment\[1\] must be a number"),
    ({"assignment": [0, 1e300]}, "site indices must be small integers"),
    ({"assignment": [0, 10**400]}, "a number is too large"),
    ({"grant": [True, 2], "split_points": [80, 200]}, r"grant\[1\] must be true, false, 0 or 1"),
    ({"grant": [True], "split_points": ["x"]}, r"split_points\[0\] must be a number"),
    ({"site": [0, [1]], "split_points": [80, 80]}, r"site\[1\] must be a number, got an array"),
    ({"solution": None, "status": "infeasible"}, "holds no solution .*'infeasible'"),
    ({"status": "time_limit", "solver": "x"}, "holds no solution .*'time_limit'"),
    ({"solution": [1]}, "'solution' must be an object, got an array"),
    ({"format": "gqap-bench/gqap", "version": 1, "data": {}}, "format is 'gqap-bench/gqap', "
     "expected 'gqap-bench/solution'"),
])
def test_malformed_solution_files(tmp_path, body, message):
    (tmp_path / "s.json").write_text(json.dumps(body))
    with pytest.raises(GQAPError, match=message) as info:
        read_solution(tmp_path / "s.json")
    assert str(tmp_path / "s.json") in str(info.value) and "\n" not in str(info.value)


def test_read_solution_checks_the_instance_hash(tmp_path):
    a, b = random_offloading(1, 4), random_offloading(2, 4)
    sol = OffloadingSolution([True, False, False, False], [100, 200, 200, 200])
    path = write_solution(sol, tmp_path / "s.json", a)
    assert read_solution(path, a).b == 1
    with pytest.raises(ValidationError, match=rf"hash {a.content_hash()}, but .* has hash "
                                              rf"{b.content_hash()}"):
        read_solution(path, b)
    # A file without a recorded hash (e.g. written by hand) is read as before.
    (tmp_path / "h.json").write_text(json.dumps(sol.to_dict()))
    assert read_solution(tmp_path / "h.json", b).b == 1


def test_write_no_solution_replaces_an_older_solution(tmp_path):
    from gqap.io import write_no_solution

    inst = random_offloading(1, 4)
    path = write_solution(OffloadingSolution([False] * 4, [200] * 4), tmp_path / "s.json", inst)
    write_no_solution(path, inst, solver="exact", status="infeasible", objective=None)
    obj = json.loads(path.read_text())
    assert obj["solution"] is None and obj["status"] == "infeasible"
    assert obj["instance_hash"] == inst.content_hash() and "grant" not in obj
    with pytest.raises(FormatError, match="holds no solution"):
        read_solution(path)


def test_atomic_writes_refuse_paths_that_cannot_be_files(tmp_path):
    from gqap.io import write_text_atomic

    (tmp_path / "d").mkdir()
    with pytest.raises(GQAPError, match="is a folder; the output needs a file name"):
        write_text_atomic(tmp_path / "d", "x")
    (tmp_path / "f").write_text("keep")
    with pytest.raises(GQAPError, match="is a file, not a folder"):
        write_text_atomic(tmp_path / "f" / "sub" / "x.json", "x")
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o500)
    try:
        import os

        if os.access(tmp_path / "ro", os.W_OK):  # root ignores permissions
            pytest.skip("running with permissions that bypass the folder's mode")
        with pytest.raises(GQAPError, match="cannot write"):
            write_text_atomic(tmp_path / "ro" / "x.json", "x")
    finally:
        (tmp_path / "ro").chmod(0o700)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "f", "ro"]
    assert list((tmp_path / "d").iterdir()) == [] and (tmp_path / "f").read_text() == "keep"
