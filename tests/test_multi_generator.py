"""Multi-cluster generator: same seed, same bytes; every option overridable; users drawn as
the paper's generator draws them; GPU classes from the edge-class profile rows."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import random_offloading

from gqap.errors import ValidationError
from gqap.io import dumps, instance_to_dict
from gqap.multi import generate_multi
from gqap.offloading.generator import generate_offloading
from gqap.profiles import EDGE_CLASS_H_S, EDGE_CLASS_K_S, EDGE_CLASS_ROWS, PAPER_PROFILE


def _bytes(seed: int, *args, **kw) -> str:
    return dumps(instance_to_dict(generate_multi(np.random.default_rng(seed), *args,
                                                 seed=seed, **kw)))


def test_same_seed_same_bytes():
    assert _bytes(3, 30, 4) == _bytes(3, 30, 4)
    assert _bytes(3, 30, 4) != _bytes(4, 30, 4)
    kw = dict(G=[2, 8], B_max=[3, 5], W_hz=2e6, site_rows=[2, 0], delta_max=10.0)
    assert _bytes(9, 12, 2, **kw) == _bytes(9, 12, 2, **kw)


def test_defaults_follow_the_scenario():
    inst = generate_multi(np.random.default_rng(0), 400, 8, seed=0)
    assert inst.name == "multi-u400-x8-s0"
    assert (inst.N, inst.N_hat, inst.a_F, inst.b_F, inst.K, inst.eta) == (
        200, 80, 0.0413, 71.44, 1.0, 10.0)
    assert inst.convention == "paper"
    np.testing.assert_array_equal(inst.B_max, 18)
    np.testing.assert_array_equal(inst.W_hz, 1e6)
    assert set(inst.G.tolist()) <= {2, 4, 8, 16}
    prov = inst.provenance
    rows = np.array(prov["site_gpu_rows"])
    assert set(rows) <= {0, 1, 2}
    np.testing.assert_array_equal(inst.k_site, np.array(EDGE_CLASS_K_S)[rows])
    np.testing.assert_array_equal(inst.h_site, np.array(EDGE_CLASS_H_S)[rows])
    # Users: paper rows 3-10, sorted request moments in [0, K].
    assert set(prov["gpu_rows"]) <= set(range(3, 11))
    assert np.all(np.diff(inst.request_time) >= 0) and inst.request_time.max() <= inst.K
    # Shifts from the recorded task positions.
    u, c = np.array(prov["positions"]), np.array(prov["centres"])
    assert u.shape == (400, 2) and c.shape == (8, 2)
    assert np.all((u >= 0) & (u <= 1)) and np.all((c >= 0) & (c <= 1))
    want = 40.0 * np.linalg.norm(u[:, None, :] - c[None, :, :], axis=2) / math.sqrt(2)
    np.testing.assert_allclose(inst.shift_steps, want, rtol=1e-14)
    assert inst.shift_steps.max() <= 40.0


def test_alpha_rule_uses_the_first_site():
    inst = generate_multi(np.random.default_rng(2), 300, 3, seed=2)
    f = lambda n: 1 / (1 + np.exp(-inst.a_F * (n - inst.b_F)))  # noqa: E731
    local = inst.local_step_latency
    lo = np.maximum(0, (local - inst.site_step_latency(0, 20)) /
                    (inst.a_F * f(inst.N_hat) * (1 - f(inst.N_hat))))
    hi = 0.05 * (local - inst.site_step_latency(0, 1)) / (inst.a_F * f(inst.N) * (1 - f(inst.N)))
    assert np.all(inst.alpha >= lo - 1e-12) and np.all(inst.alpha <= np.maximum(lo, hi) + 1e-12)


def test_drawn_gpu_counts_keep_every_site_latency_positive():
    # Row 2 has a negative intercept: with the paper convention G = 16 is never drawn for it.
    seen = set()
    for seed in range(40):
        inst = generate_multi(np.random.default_rng(seed), 4, 8, seed=seed)
        rows = inst.provenance["site_gpu_rows"]
        seen |= {(r, int(g)) for r, g in zip(rows, inst.G, strict=True)}
        assert np.all(inst.site_step_latency(np.arange(8), 1) > 0)
    assert (2, 16) not in seen and (2, 8) in seen and (0, 16) in seen
    inst = generate_multi(np.random.default_rng(1), 4, 8, convention="authors-scripts",
                          site_rows=2)
    assert set(inst.G.tolist()) <= {2, 4, 8, 16}
    with pytest.raises(ValidationError, match="G_choices: no GPU count in \\[16\\]"):
        generate_multi(np.random.default_rng(1), 4, 2, site_rows=2, G_choices=[16])
    with pytest.raises(ValidationError, match="sites.h_s: step latency of site 0"):
        generate_multi(np.random.default_rng(1), 4, 1, site_rows=2, G=16)


def test_one_site_draws_the_paper_users():
    # With the site given (row 0, G = 8), nothing is drawn before the users: the paper's users.
    for conv in ("paper", "authors-scripts"):
        multi = generate_multi(np.random.default_rng(11), 25, 1, G=8, site_rows=0,
                               delta_max=0.0, convention=conv)
        off = generate_offloading(np.random.default_rng(11), 25, 8, convention=conv)
        assert multi.to_offloading().content_hash() == off.content_hash()
        assert multi.provenance["gpu_rows"] == off.provenance["gpu_rows"]


def test_every_option_is_overridable():
    u = [[0.5, 0.5], [0.0, 0.0], [1.0, 1.0]]
    c = [[0.5, 0.5], [1.0, 0.0]]
    inst = generate_multi(np.random.default_rng(0), 3, 2, G=[4, 2], G_choices=[4],
                          B_max=[1, 7], W_hz=[2e6, 5e5], site_rows=[1, 2], delta_max=10.0,
                          centres=c, positions=u, b_hat=10, kappa=0.1, name="mine", seed=0,
                          N=150, N_hat=60, a_F=0.05, b_F=70.0, K=2.0, eta=8.0, s_p_bits=100.0,
                          s_m_bits=1e6, convention="authors-scripts")
    assert inst.name == "mine"
    np.testing.assert_array_equal(inst.G, [4, 2])
    np.testing.assert_array_equal(inst.B_max, [1, 7])
    np.testing.assert_array_equal(inst.W_hz, [2e6, 5e5])
    assert inst.k_site.tolist() == [EDGE_CLASS_K_S[1], EDGE_CLASS_K_S[2]]
    assert (inst.N, inst.N_hat, inst.a_F, inst.b_F, inst.K, inst.eta, inst.s_p_bits,
            inst.s_m_bits, inst.convention) == (150, 60, 0.05, 70.0, 2.0, 8.0, 100.0, 1e6,
                                                "authors-scripts")
    r = 10 / math.sqrt(2)  # delta_max * distance 1 / sqrt(2)
    np.testing.assert_allclose(inst.shift_steps, [[0.0, 5.0], [5.0, r], [5.0, r]], rtol=1e-14)
    assert np.all(inst.request_time <= 2.0)
    # Scalars apply to every site; delta_max = 0 gives the paper's accuracy curve everywhere.
    flat = generate_multi(np.random.default_rng(0), 5, 3, G=2, B_max=4, W_hz=3e6,
                          site_rows=1, delta_max=0.0)
    np.testing.assert_array_equal(flat.G, 2)
    np.testing.assert_array_equal(flat.B_max, 4)
    np.testing.assert_array_equal(flat.W_hz, 3e6)
    assert not flat.shift_steps.any()
    # kappa and b_hat reach the alpha rule.
    a = generate_multi(np.random.default_rng(4), 50, 2, kappa=0.05)
    b = generate_multi(np.random.default_rng(4), 50, 2, kappa=0.5)
    assert not np.array_equal(a.alpha, b.alpha)
    d = generate_multi(np.random.default_rng(4), 50, 2, b_hat=2)
    assert not np.array_equal(a.alpha, d.alpha)


def test_provenance_regenerates_the_same_bytes():
    for kw in ({}, dict(G=[2, 4, 16], B_max=[1, 2, 3], site_rows=[0, 1, 0], N_hat=70,
                        convention="authors-scripts", delta_max=5.5),
               dict(G=8, positions=np.full((6, 2), 0.25), centres=[[0, 0], [1, 1], [0, 1]])):
        inst = generate_multi(np.random.default_rng(21), 6, 3, seed=21, **kw)
        prov = inst.provenance
        assert prov["generator"] == "multi" and prov["version"] == 1 and prov["seed"] == 21
        again = generate_multi(np.random.default_rng(prov["seed"]), seed=prov["seed"],
                               **prov["params"])
        assert dumps(instance_to_dict(again)) == dumps(instance_to_dict(inst))


@pytest.mark.parametrize(("kw", "message"), [
    (dict(n_users=0), "users: must be a positive integer"),
    (dict(n_sites=0), "sites: must be a positive integer"),
    (dict(site_rows=3), "site_rows: must index the edge-class rows 0..2"),
    (dict(site_rows=[0, 1, 2]), "site_rows: expected a scalar or 2 values"),
    (dict(G=[2, 4, 8]), "G: expected a scalar or 2 values"),
    (dict(G=0), "G: must be a positive integer"),
    (dict(G=[2, 2.5]), "G: must be a positive integer"),
    (dict(G_choices=[]), "G_choices: needs at least one GPU count"),
    (dict(G_choices=[0]), "G_choices: must be a positive integer"),
    (dict(B_max=[1]), "B_max: expected a scalar or 2 values"),
    (dict(W_hz=0.0), "sites.W_hz: must be > 0"),
    (dict(delta_max=-1.0), "delta_max: must be a finite number >= 0"),
    (dict(centres=[[0, 0]]), "centres: expected 2 finite"),
    (dict(positions=np.zeros((3, 3))), "positions: expected 4 finite"),
    (dict(kappa=0.0), "kappa: must be a finite number within"),
    (dict(b_hat=0), "b_hat: must be >= 1"),
    (dict(n_users=10**8), "users: at most 10,000,000"),
    (dict(colour=1), "generator option: unknown colour"),
])
def test_bad_options_are_refused(kw, message):
    args = dict(n_users=4, n_sites=2)
    args.update(kw)
    with pytest.raises(ValidationError, match=message):
        generate_multi(np.random.default_rng(0), **args)


def test_edge_class_rows_extend_the_profile_without_changing_it():
    assert EDGE_CLASS_ROWS == (0, 1, 2)
    assert EDGE_CLASS_K_S[0] == PAPER_PROFILE.edge_k_s
    assert EDGE_CLASS_H_S[0] == PAPER_PROFILE.edge_h_s
    # Rows 1 and 2 of the paper's profile table (ms), in seconds.
    assert EDGE_CLASS_K_S[1:] == (54.34808898 / 1000.0, 81.97367232 / 1000.0)
    assert EDGE_CLASS_H_S[1:] == (21.37799831 / 1000.0, -8.38096836 / 1000.0)
    # The paper generator is unchanged by the shared user-drawing function (the shipped
    # sets, regenerated byte for byte in test_instance_sets, check this in full).
    assert random_offloading(5, 10).k_edge == PAPER_PROFILE.edge_k_s
