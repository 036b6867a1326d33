"""Multi-cluster split points: the shifted closed form against brute force over every integer
split, the real optimum against a fine grid, the gain table, and the count-vector method
against enumeration of every assignment."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import small_offloading
from scipy.optimize import linear_sum_assignment

from gqap.errors import ValidationError
from gqap.multi import (
    DENIED,
    MultiInstance,
    best_splits,
    evaluate_multi,
    from_offloading,
    gain_table,
    generate_multi,
    grant_gains,
)
from gqap.multi.evaluation import denied_qoe, granted_qoe
from gqap.offloading.split import grant_gains as paper_grant_gains


def _cases() -> list[MultiInstance]:
    """Generated instances plus corner cases: alpha = 0, sites slower than local, shifts past
    N, N_hat below b_F, both conventions."""
    out = []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        inst = generate_multi(rng, 8, 1 + seed % 3, seed=seed, delta_max=40.0 + 40 * seed,
                              convention=("paper", "authors-scripts")[seed % 2],
                              N_hat=(80, 40, 0)[seed % 3], B_max=6)
        out.append(inst)
    base = out[1]
    alpha = base.alpha.copy()
    alpha[0] = 0.0
    alpha[1] *= 50.0
    out.append(base.replace(alpha=alpha))
    out.append(base.replace(h_site=base.h_site + 2.0))  # every site slower than local
    return out


def _brute(inst: MultiInstance, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Best integer split and gain for every (user, site) at count b on every site."""
    n = np.arange(inst.N_hat, inst.N + 1, dtype=np.float64)
    # QoE for each candidate n: shape (len(n), I, S); argmax from the top gives ties to larger n.
    q = granted_qoe(inst, b, np.broadcast_to(n[:, None, None], (n.size, inst.n_users,
                                                                 inst.n_sites)))
    rev = q[::-1]
    best = n[::-1][rev.argmax(axis=0)]
    return best, rev.max(axis=0) - denied_qoe(inst)[:, None]


@pytest.mark.parametrize("case", range(8))
def test_integer_closed_form_matches_brute_force(case):
    inst = _cases()[case]
    bs = np.arange(1, 7)
    split, gain = grant_gains(inst, bs)
    assert split.shape == gain.shape == (bs.size, inst.n_users, inst.n_sites)
    for row, b in enumerate(bs):
        n_bf, g_bf = _brute(inst, int(b))
        np.testing.assert_allclose(gain[row], g_bf, rtol=1e-12, atol=1e-9)
        # Splits agree except where two splits tie to rounding.
        same = split[row] == n_bf
        np.testing.assert_allclose(gain[row][~same], g_bf[~same], rtol=1e-13, atol=1e-12)
        assert np.all(split[row] == np.round(split[row]))
        np.testing.assert_array_equal(best_splits(inst, int(b)), split[row])


@pytest.mark.parametrize("case", range(8))
def test_real_closed_form_beats_a_fine_grid(case):
    inst = _cases()[case]
    b = 3
    n_real, g_real = grant_gains(inst, b, integer=False)
    _, g_int = grant_gains(inst, b)
    assert np.all(g_real >= g_int - 1e-9)
    grid = np.linspace(inst.N_hat, inst.N, 4001)
    q = granted_qoe(inst, b, np.broadcast_to(grid[:, None, None],
                                             (grid.size, inst.n_users, inst.n_sites)))
    g_grid = q.max(axis=0) - denied_qoe(inst)[:, None]
    assert np.all(g_real >= g_grid - 1e-9)
    assert np.all((n_real >= inst.N_hat) & (n_real <= inst.N))


def test_count_vectors_broadcast_per_site():
    inst = _cases()[2]
    assert inst.n_sites == 3
    counts = np.array([[1, 4, 2]])
    split = best_splits(inst, counts)
    assert split.shape == (inst.n_users, 3)
    for s, b in enumerate(counts[0]):
        np.testing.assert_array_equal(split[:, s], best_splits(inst, int(b))[:, s])


@pytest.mark.parametrize("integer", [True, False])
@pytest.mark.parametrize("k", range(8))
def test_one_site_without_shifts_matches_the_paper_split(k, integer):
    off = small_offloading(k, 700)
    multi = from_offloading(off)
    bs = np.arange(1, 9)
    n_paper, g_paper = paper_grant_gains(off, bs, integer=integer)
    n_multi, g_multi = grant_gains(multi, bs, integer=integer)
    np.testing.assert_array_equal(n_multi[:, :, 0], n_paper)
    np.testing.assert_array_equal(g_multi[:, :, 0], g_paper)


def test_gain_table_layout_and_scores():
    inst = generate_multi(np.random.default_rng(3), 7, 3, B_max=[2, 0, 9], seed=3)
    table = gain_table(inst)
    top = 7  # min(max B_s, I)
    assert table.gain.shape == table.split.shape == (top + 1, 7, 3)
    np.testing.assert_array_equal(table.b_max, [2, 0, 7])
    assert np.all(np.isneginf(table.gain[0]))
    assert np.all(np.isneginf(table.gain[3:, :, 0])) and np.all(np.isneginf(table.gain[:, :, 1]))
    assert np.all(np.isfinite(table.gain[1:3, :, 0])) and np.all(np.isfinite(table.gain[1:, :, 2]))
    assert np.all(table.split[0] == inst.N)
    # Gains never increase with the count.
    assert np.all(np.diff(table.gain[1:, :, 2], axis=0) <= 1e-12)
    rng = np.random.default_rng(0)
    for _ in range(30):
        x = rng.choice([-1, 0, 2], size=7)
        if (x == 0).sum() > 2:
            continue
        sol = table.decision(x)
        assert table.objective(x) == pytest.approx(evaluate_multi(inst, sol).objective,
                                                   rel=1e-12)
        assert evaluate_multi(inst, sol).feasible
    with pytest.raises(ValidationError, match="counts: \\[3, 0, 0\\] is not a feasible"):
        table.decision([0, 0, 0, -1, -1, -1, -1])
    with pytest.raises(ValidationError, match="site: expected 7 site indices in -1..2"):
        table.objective([3] * 7)
    m, col_site = table.gain_matrix([2, 0, 3])
    assert m.shape == (7, 5)
    np.testing.assert_array_equal(col_site, [0, 0, 2, 2, 2])
    np.testing.assert_array_equal(m[:, 2], table.gain[3, :, 2])


@pytest.mark.parametrize("seed", range(5))
def test_count_vectors_and_assignment_find_the_brute_force_optimum(seed):
    """The structure an exact solver uses: for fixed counts, a rectangular assignment."""
    rng = np.random.default_rng(seed)
    S = 1 + seed % 3
    inst = generate_multi(rng, 5, S, B_max=rng.integers(0, 4, size=S).tolist(), seed=seed,
                          convention=("paper", "authors-scripts")[seed % 2])
    table = gain_table(inst)
    best_enum = -np.inf
    for x in itertools.product(range(-1, S), repeat=5):
        x = np.array(x)
        if np.all(np.bincount(x[x >= 0], minlength=S) <= inst.B_max):
            best_enum = max(best_enum, table.objective(x))
    best_counts = -np.inf
    for c in itertools.product(*(range(b + 1) for b in table.b_max)):
        if sum(c) > inst.n_users:
            continue
        value = table.base
        if sum(c):
            m, col_site = table.gain_matrix(c)
            rows, cols = linear_sum_assignment(m, maximize=True)
            value += m[rows, cols].sum()
            x = np.full(inst.n_users, DENIED)
            x[rows] = col_site[cols]
            assert table.objective(x) == pytest.approx(value, rel=1e-12)
        best_counts = max(best_counts, value)
    assert best_counts == pytest.approx(best_enum, rel=1e-12)
