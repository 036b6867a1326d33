"""Closed-form split points against the paper's SciPy route and against enumeration."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import hand_instance, random_offloading

from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.split import SplitTable, grant_gains, optimal_split, split_objective
from gqap.offloading.split_reference import reference_split, reference_split_user

# (N, N_hat, a_F, b_F): the paper's, N_hat below b_F (phi not concave near N_hat), a short
# concave range and a short range that lies wholly left of b_F (phi convex).
SHAPES = [(200, 80, 0.0413, 71.44), (200, 40, 0.0413, 71.44), (12, 5, 0.6, 4.3),
          (16, 2, 0.5, 8.0), (30, 4, 0.0413, 71.44)]


def random_split_instance(seed: int) -> OffloadingInstance:
    """Random users and edge with alphas spread over six decades, in one of SHAPES."""
    rng = np.random.default_rng(seed)
    N, N_hat, a_F, b_F = SHAPES[seed % len(SHAPES)]
    n_users = 40
    k = rng.uniform(0.05, 0.4, n_users)
    alpha = 10 ** rng.uniform(-2, 4, n_users)
    alpha[rng.random(n_users) < 0.05] = 0.0
    return OffloadingInstance(
        k_user=k, h_user=rng.uniform(-0.5, 0.5, n_users) * k, alpha=alpha,
        request_time=np.sort(rng.uniform(0, 1, n_users)),
        k_edge=rng.uniform(0.01, 0.1), h_edge=rng.uniform(0.0, 0.03), G=int(rng.integers(1, 17)),
        B_max=20, N=N, N_hat=N_hat, a_F=a_F, b_F=b_F,
        convention=("paper", "authors-scripts")[seed % 2])


def enumerated_argmax(inst: OffloadingInstance, b: float) -> np.ndarray:
    """Largest n in [N_hat, N] maximising phi, for every user, by trying every whole step."""
    grid = np.arange(inst.N_hat, inst.N + 1, dtype=float)
    c = inst.local_step_latency - inst.edge_step_latency(b)
    vals = split_objective(inst, grid[:, None], c[None, :])
    return grid[grid.size - 1 - np.argmax(vals[::-1], axis=0)]


@pytest.mark.parametrize("seed", range(20))
def test_closed_form_agrees_with_scipy_reference(seed):
    inst = random_split_instance(seed)
    bs = np.array([1, 3, 8, 20])
    real = optimal_split(inst, bs, integer=False)
    np.testing.assert_allclose(real, reference_split(inst, bs, integer=False), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(optimal_split(inst, bs), reference_split(inst, bs, integer=True))


def test_random_inputs_cover_the_papers_three_cases_and_the_local_case():
    """The agreement test is only meaningful if every branch occurs in its inputs."""
    seen = {"local (c <= 0)": 0, "N (case 1)": 0, "N_hat (case 2)": 0, "interior (root)": 0}
    for seed in range(20):
        inst = random_split_instance(seed)
        if inst.N_hat < inst.b_F:
            continue
        for b in (1, 3, 8, 20):
            c = inst.local_step_latency - inst.edge_step_latency(b)
            n = optimal_split(inst, b, integer=False)
            seen["local (c <= 0)"] += int(np.sum(c <= 0))
            seen["N (case 1)"] += int(np.sum((c > 0) & (n == inst.N)))
            seen["N_hat (case 2)"] += int(np.sum((c > 0) & (n == inst.N_hat)))
            seen["interior (root)"] += int(np.sum((n > inst.N_hat) & (n < inst.N)))
    assert min(seen.values()) >= 20, seen


@pytest.mark.parametrize("seed", range(20))
def test_integer_split_is_argmax_of_enumeration(seed):
    inst = random_split_instance(seed)
    for b in (1, 2, 5, 13, 20):
        np.testing.assert_array_equal(optimal_split(inst, b), enumerated_argmax(inst, b))


@pytest.mark.parametrize("seed", range(4))
def test_integer_split_is_argmax_on_generator_instances(seed):
    inst = random_offloading(seed, 30, G=[1, 4, 8, 16][seed],
                             convention="paper" if seed % 2 else "authors-scripts")
    bs = np.arange(1, 19)
    n = optimal_split(inst, bs)
    for j, b in enumerate(bs):
        np.testing.assert_array_equal(n[j], enumerated_argmax(inst, b))


def test_real_split_beats_every_integer_and_stays_in_range():
    for seed in range(5):
        inst = random_split_instance(seed)
        n = optimal_split(inst, 4, integer=False)
        assert np.all((n >= inst.N_hat) & (n <= inst.N))
        c = inst.local_step_latency - inst.edge_step_latency(4)
        grid = np.arange(inst.N_hat, inst.N + 1, dtype=float)
        best_int = split_objective(inst, grid[:, None], c[None, :]).max(axis=0)
        assert np.all(split_objective(inst, n, c) >= best_int - 1e-12 * np.abs(best_int))


def test_vectorised_over_b_and_users_matches_one_at_a_time():
    inst = random_split_instance(7)
    bs = np.array([1, 2, 9, 17])
    for integer in (True, False):
        many = optimal_split(inst, bs, integer=integer)
        assert many.shape == (4, inst.n_users)
        for j, b in enumerate(bs):
            np.testing.assert_array_equal(many[j], optimal_split(inst, int(b), integer=integer))
        users = np.array([5, 0, 33, 12])
        table = SplitTable(inst, integer=integer)
        le = inst.edge_step_latency(bs)[:, None]
        n_sub, h_sub = table.split_gain(le, users)
        n_all, h_all = table.split_gain(le)
        np.testing.assert_array_equal(n_sub, n_all[:, users])
        np.testing.assert_array_equal(h_sub, h_all[:, users])


@pytest.mark.parametrize("integer", [True, False])
def test_fast_split_gain_equals_the_evaluators_gain(integer):
    for seed in range(6):
        inst = random_split_instance(seed) if seed % 2 else random_offloading(seed, 25)
        bs = np.arange(1, 21)
        n, gain = grant_gains(inst, bs, integer=integer)
        n_fast, h = SplitTable(inst, integer=integer).split_gain(
            inst.edge_step_latency(bs)[:, None])
        np.testing.assert_array_equal(n_fast, n)
        assert np.all(h >= 0)
        np.testing.assert_allclose(h - inst.transmission_latency(bs)[:, None], gain,
                                   rtol=1e-12, atol=1e-9)


def test_edge_slower_than_local_keeps_everything_local():
    inst = random_offloading(1, 8, G=1)
    huge_b = 1000  # L_e(1000, 1) is far above every local step latency
    for integer in (True, False):
        np.testing.assert_array_equal(optimal_split(inst, huge_b, integer=integer), inst.N)
        np.testing.assert_array_equal(reference_split(inst, huge_b, integer=integer), inst.N)


def test_flat_objective_ties_go_to_the_larger_split():
    # alpha = 0 and L_i(1) = L_e(b): phi is constant, every n ties, the largest wins.
    # b_F = 8 > N_hat puts the left end into the comparison as well.
    for b_F in (0.0, 8.0):
        inst = hand_instance(alpha=[0.0, 0.0], k_edge=2.0, h_edge=1.0, G=2, b_F=b_F)
        assert inst.edge_step_latency(1) == inst.local_step_latency[0]  # L_e(1) = 2 = L_i
        for integer in (True, False):
            np.testing.assert_array_equal(optimal_split(inst, 1, integer=integer), inst.N)
            assert reference_split_user(inst, 0.0, 0.0, integer=integer) == inst.N


def test_floor_and_ceil_tie_goes_to_the_larger_split():
    # Bisect the local step latency until phi(150) == phi(151) exactly in floating point.
    def one_user(k: float) -> OffloadingInstance:
        return OffloadingInstance(k_user=[k], h_user=[0.0], alpha=[1000.0], request_time=[0.5],
                                  k_edge=0.0, h_edge=0.01, G=1, B_max=1)

    def phi_step(k: float) -> float:  # phi(151) - phi(150)
        inst = one_user(k)
        c = inst.local_step_latency - inst.edge_step_latency(1)
        return float(np.diff(split_objective(inst, np.array([150.0, 151.0]), c))[0])

    lo_k, hi_k = 1.4, 1.55
    assert phi_step(lo_k) > 0 > phi_step(hi_k)
    for _ in range(200):
        k = 0.5 * (lo_k + hi_k)
        if phi_step(k) == 0:
            break
        lo_k, hi_k = (k, hi_k) if phi_step(k) > 0 else (lo_k, k)
    assert phi_step(k) == 0
    inst = one_user(k)
    assert 150 < optimal_split(inst, 1, integer=False)[0] < 151
    assert optimal_split(inst, 1)[0] == enumerated_argmax(inst, 1)[0] == 151
    assert reference_split(inst, 1, integer=True)[0] == 151


def test_zero_alpha_with_a_faster_edge_offloads_all_it_can():
    inst = hand_instance(alpha=[0.0, 0.0])  # phi = -c n with c > 0
    np.testing.assert_array_equal(optimal_split(inst, 1), inst.N_hat)
    np.testing.assert_array_equal(reference_split(inst, 1), inst.N_hat)


@pytest.mark.parametrize("integer", [True, False])
def test_gains_never_increase_with_b(integer):
    inst = random_offloading(4, 30)
    _, gain = grant_gains(inst, np.arange(1, 60), integer=integer)
    assert np.all(np.diff(gain, axis=0) <= 1e-12)


def test_fig8_command_writes_the_figure_and_its_data(tmp_path, capsys):
    import csv

    from gqap.cli import main
    from gqap.profiles import PAPER_PROFILE

    out = tmp_path / "results"
    assert main(["figure", "fig8", "--out", str(out)]) == 0
    assert (out / "fig8.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(out / "fig8.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    curves: dict[tuple, list[tuple[float, float]]] = {}
    for r in rows:
        key = (r["panel"], int(r["G"]), int(r["batch_size"]), int(r["gpu_row"]))
        curves.setdefault(key, []).append((float(r["alpha"]), float(r["offloaded_steps"])))
    assert len(curves) == 18 and {r["split_mode"] for r in rows} == {"integer"}
    steps = {k: np.array([s for _, s in v]) for k, v in curves.items()}
    for key, pts in curves.items():
        _, G, b, row = key
        alpha = np.array([a for a, _ in pts])
        assert np.all(np.diff(alpha) > 0) and np.all(np.diff(steps[key]) <= 0)
        # Spot-check against the closed form for one user of that GPU row.
        j = PAPER_PROFILE.user_rows.index(row)
        inst = hand_instance(k_user=[PAPER_PROFILE.user_k_s[j]] * 2,
                             h_user=[PAPER_PROFILE.user_h_s[j]] * 2, alpha=alpha[[40, 120]],
                             k_edge=PAPER_PROFILE.edge_k_s, h_edge=PAPER_PROFILE.edge_h_s,
                             G=G, B_max=24, N=200, N_hat=80, a_F=0.0413, b_F=71.44)
        np.testing.assert_array_equal(200 - optimal_split(inst, b), steps[key][[40, 120]])
    # The paper's reading of Fig. 8, point by point in alpha: a larger batch or a faster local
    # GPU offloads fewer steps, more edge GPUs offload more.
    assert np.all(steps["a", 8, 20, 3] <= steps["a", 8, 1, 3])
    assert np.all(steps["a", 8, 10, 3] <= steps["a", 8, 10, 10])
    assert np.all(steps["b", 4, 8, 6] <= steps["b", 16, 8, 6])
    assert steps["a", 8, 1, 10].max() == 120 and steps["a", 8, 1, 10].min() == 0
    assert "wrote" in capsys.readouterr().out
    (tmp_path / "file").write_text("x")
    assert main(["figure", "fig8", "--out", str(tmp_path / "file")]) == 1
    assert "is not a folder" in capsys.readouterr().err
