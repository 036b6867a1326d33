"""Generators: determinism (same seed, same bytes), the paper's sampling rules, feasibility."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_offloading

from gqap.classic.evaluation import site_loads
from gqap.classic.format import cordeau_text
from gqap.classic.generator import first_fit_decreasing, generate_gqap
from gqap.errors import FormatError, ValidationError
from gqap.io import dumps, instance_to_dict
from gqap.offloading.generator import generate_offloading
from gqap.profiles import PAPER_PROFILE, read_profile_csv


def test_same_seed_same_bytes():
    a = dumps(instance_to_dict(random_offloading(3, 20)))
    b = dumps(instance_to_dict(random_offloading(3, 20)))
    c = dumps(instance_to_dict(random_offloading(4, 20)))
    assert a == b and a != c
    g1 = generate_gqap(np.random.default_rng(5), 12, 5, 0.7, seed=5)
    g2 = generate_gqap(np.random.default_rng(5), 12, 5, 0.7, seed=5)
    assert cordeau_text(g1) == cordeau_text(g2)
    assert dumps(instance_to_dict(g1)) == dumps(instance_to_dict(g2))


def test_offloading_follows_paper_rules():
    inst = random_offloading(0, 400, G=8)
    assert np.all(np.diff(inst.request_time) >= 0)
    assert 0 <= inst.request_time.min() and inst.request_time.max() <= inst.K
    rows = np.array(inst.provenance["gpu_rows"])
    assert set(rows) <= set(range(3, 11))
    np.testing.assert_allclose(inst.k_user, PAPER_PROFILE.user_k_s[rows - 3])
    # alpha within the rule's interval for each user's GPU class
    f = lambda n: 1 / (1 + np.exp(-inst.a_F * (n - inst.b_F)))  # noqa: E731
    local = inst.local_step_latency
    lo = np.maximum(0, (local - inst.edge_step_latency(20)) /
                    (inst.a_F * f(inst.N_hat) * (1 - f(inst.N_hat))))
    hi = 0.05 * (local - inst.edge_step_latency(1)) / (inst.a_F * f(inst.N) * (1 - f(inst.N)))
    assert np.all(inst.alpha >= lo - 1e-12) and np.all(inst.alpha <= hi + 1e-12)
    assert inst.k_edge == pytest.approx(0.03646043729)


def test_gpu_weights_are_linear_one_to_two():
    inst = generate_offloading(np.random.default_rng(1), 40_000)
    counts = np.bincount(np.array(inst.provenance["gpu_rows"]) - 3, minlength=8)
    expected = np.linspace(1, 2, 8) / np.linspace(1, 2, 8).sum() * 40_000
    np.testing.assert_allclose(counts, expected, rtol=0.06)


def test_overrides_and_bad_parameters():
    inst = random_offloading(2, 5, G=3, B_max=2, N=100, N_hat=90, convention="authors-scripts")
    assert (inst.G, inst.B_max, inst.N, inst.N_hat, inst.convention) == (
        3, 2, 100, 90, "authors-scripts")
    with pytest.raises(ValidationError, match="users: must be a positive integer"):
        random_offloading(0, 0)
    with pytest.raises(ValidationError, match="unknown colour"):
        generate_offloading(np.random.default_rng(0), 3, colour=1)


@pytest.mark.parametrize(("n", "m", "ratio"), [(20, 15, 0.35), (30, 6, 0.95), (12, 4, 0.8)])
def test_gqap_generator_is_feasible_with_requested_ratio(n, m, ratio):
    inst = generate_gqap(np.random.default_rng(0), n, m, ratio)
    assert inst.q.sum() / inst.Q.sum() == pytest.approx(ratio, rel=0.02)
    x = first_fit_decreasing(inst.q, inst.Q)
    assert x is not None and np.all(site_loads(inst, x) <= inst.Q)
    assert np.all(inst.t == inst.t.T) and np.all(np.diag(inst.t) == 0)
    assert np.all(inst.d == inst.d.T) and np.all(np.diag(inst.d) == 0)


def test_gqap_generator_rejects_bad_ratio():
    with pytest.raises(ValidationError, match="capacity ratio: must lie in"):
        generate_gqap(np.random.default_rng(0), 5, 2, 1.5)


def test_shipped_profile_is_the_papers_table():
    # Values of the paper's profile (ms): the edge row and two user rows, read back from the
    # CSV shipped in the package, exactly as parsed from text.
    from importlib import resources

    text = resources.files("gqap").joinpath("gpu_profile.csv").read_text()
    assert text.splitlines()[0] == "row,role,k_ms_per_image,h_ms_constant"
    assert (PAPER_PROFILE.edge_k_s, PAPER_PROFILE.edge_h_s) == (36.46043729 / 1000,
                                                                13.76666215 / 1000)
    assert PAPER_PROFILE.user_rows == tuple(range(3, 11))
    assert PAPER_PROFILE.user_k_s[0] == 103.89720254 / 1000
    assert PAPER_PROFILE.user_h_s[-1] == -38.25600085 / 1000


def test_profile_csv_reader_round_trips_and_refuses_garbage(tmp_path):
    from importlib import resources

    path = tmp_path / "p.csv"
    path.write_text(resources.files("gqap").joinpath("gpu_profile.csv").read_text())
    again = read_profile_csv(path)
    np.testing.assert_array_equal(again.user_k_s, PAPER_PROFILE.user_k_s)
    path.write_text("row,role\n0,edge\n")
    with pytest.raises(FormatError, match="not a GPU profile CSV"):
        read_profile_csv(path)
