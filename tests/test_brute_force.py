"""The brute-force solver against naive enumeration scored one decision at a time."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import ROOT, random_offloading, small_multi

from gqap.classic.generator import generate_gqap
from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.errors import GQAPError
from gqap.evaluation import evaluate
from gqap.io import read_instance
from gqap.offloading.solution import OffloadingSolution
from gqap.solvers import solve


def joint_enumeration(inst) -> float:
    """Best objective over every grant mask and every joint choice of integer splits."""
    steps = range(inst.N_hat, inst.N + 1)
    best = -np.inf
    for mask in itertools.product([False, True], repeat=inst.n_users):
        granted = [i for i, g in enumerate(mask) if g]
        if len(granted) > inst.B_max:
            continue
        for ns in itertools.product(steps, repeat=len(granted)):
            split = np.full(inst.n_users, float(inst.N))
            split[granted] = ns
            best = max(best, evaluate(inst, OffloadingSolution(np.array(mask), split)).objective)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_offloading_equals_joint_enumeration_of_masks_and_splits(seed):
    # Three users, N - N_hat + 1 = 5 split points each: 8 masks x up to 125 split choices.
    inst = random_offloading(seed, 3, G=[1, 2, 8][seed % 3], B_max=[3, 2, 1][seed % 3],
                             N=10, N_hat=6, a_F=0.6, b_F=4.0,
                             convention=("paper", "authors-scripts")[seed % 2])
    ref = joint_enumeration(inst)
    for enumerate_splits in (True, False):
        r = solve("brute-force", inst, enumerate_splits=enumerate_splits)
        assert r.status == "optimal"
        assert r.objective == pytest.approx(ref, rel=1e-12, abs=1e-12)
        assert r.solution.integer_splits and r.solution.b <= inst.B_max


def test_real_splits_are_at_least_as_good_as_integer_ones():
    inst = random_offloading(9, 7, B_max=5)
    real = solve("brute-force", inst, split="real")
    integer = solve("brute-force", inst)
    assert real.status == integer.status == "optimal"
    assert real.objective >= integer.objective - 1e-12
    assert real.info["masks_examined"] == sum(
        len(list(itertools.combinations(range(7), b))) for b in range(6))


def test_per_b_values_are_the_best_with_exactly_b_grants():
    inst = random_offloading(2, 5, B_max=4)
    r = solve("brute-force", inst, enumerate_splits=True)
    per_b = dict(r.info["b_values"])
    assert sorted(per_b) == [0, 1, 2, 3, 4]
    assert max(per_b.values()) == pytest.approx(r.objective, rel=1e-12)


def naive_gqap(inst: GQAPInstance) -> float:
    costs = [evaluate(inst, GQAPSolution(np.array(x)))
             for x in itertools.product(range(inst.m), repeat=inst.n)]
    return min(e.objective for e in costs if e.feasible)


@pytest.mark.parametrize(("n", "m", "ratio", "seed"), [(5, 3, 0.6, 0), (6, 2, 0.9, 1),
                                                       (4, 4, 0.5, 2), (6, 3, 0.95, 3)])
def test_gqap_equals_naive_enumeration(n, m, ratio, seed):
    inst = generate_gqap(np.random.default_rng(seed), n, m, ratio)
    r = solve("brute-force", inst)
    assert r.status == "optimal"
    assert r.objective == naive_gqap(inst)
    assert r.info["assignments_examined"] == m ** n


def test_gqap_on_the_shipped_tiny_set():
    inst = read_instance(ROOT / "instances" / "tiny-gqap" / "6-3-60.json")
    r = solve("brute-force", inst)
    assert r.status == "optimal" and r.objective == naive_gqap(inst)


def test_gqap_without_a_feasible_assignment_is_infeasible():
    # Every facility fits somewhere and total weight equals total capacity, yet any two
    # facilities together overflow a site.
    inst = GQAPInstance(q=[3.0, 3.0, 3.0], Q=[4.0, 5.0], a=np.zeros((3, 2)),
                        t=np.zeros((3, 3)), d=np.zeros((2, 2)))
    r = solve("brute-force", inst)
    assert r.status == "infeasible" and r.solution is None
    assert r.info["feasible"] == 0


def test_refuses_instances_above_the_size_limit():
    with pytest.raises(GQAPError, match=r"21 users means 2,097,152 grant masks.*max_candidates"):
        solve("brute-force", random_offloading(0, 21))
    big = generate_gqap(np.random.default_rng(0), 11, 4, 0.8)
    with pytest.raises(GQAPError, match=r"11 facilities on 4 sites means 4,194,304 assignments"):
        solve("brute-force", big)
    with pytest.raises(GQAPError, match="above the limit of 100"):
        solve("brute-force", random_offloading(0, 7), max_candidates=100)


def test_refusal_says_how_long_the_run_would_take_and_how_to_allow_it(lee_ma_dir):
    from gqap.solvers.brute_force import RATE_PER_S

    inst = read_instance(lee_ma_dir / "C10X5-E-G.txt")  # 5^10 assignments
    seconds = 5 ** 10 / RATE_PER_S["assignments"]
    with pytest.raises(GQAPError) as err:
        solve("brute-force", inst)
    text = str(err.value)
    assert f"would take about {seconds:.2g} s" in text
    assert "--opt max_candidates=9765625" in text and "\n" not in text
    # the option it names is enough, and the run is as fast as said (within reason)
    assert solve("brute-force", inst, max_candidates=9765625).status == "optimal"
    multi = small_multi(3)
    count = (multi.n_sites + 1) ** multi.n_users
    with pytest.raises(GQAPError, match=rf"means {count:,} site vectors.*max_candidates="
                       rf"{count}"):
        solve("brute-force", multi, max_candidates=count - 1)
    with pytest.raises(GQAPError, match=r"would take about [\d,]+ years: allow it"):
        solve("brute-force", random_offloading(0, 50))
    with pytest.raises(GQAPError, match=r"about 10\^903 grant masks.*about 10\^889 years: use "
                       "a smaller instance$"):
        solve("brute-force", random_offloading(0, 3000))


def test_refusal_is_one_line_on_the_cli(tmp_path, capsys):
    from gqap.cli import main
    from gqap.io import write_instance

    path = tmp_path / "big.json"
    write_instance(random_offloading(0, 25), path)
    assert main(["solve", str(path), "--solver", "brute-force"]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("gqap: error: solver brute-force: 25 users")


def test_option_validation():
    with pytest.raises(GQAPError, match="enumerate_splits needs split=integer"):
        solve("brute-force", random_offloading(0, 3), split="real", enumerate_splits=True)
    with pytest.raises(GQAPError, match="max_candidates must be >= 1"):
        solve("brute-force", random_offloading(0, 3), max_candidates=0)


def test_time_limit_returns_the_best_so_far(monkeypatch):
    import gqap.solvers.brute_force as bf

    monkeypatch.setattr(bf, "_CHUNK_ELEMENTS", 64)  # many chunks
    inst = generate_gqap(np.random.default_rng(4), 8, 3, 0.7)
    r = solve("brute-force", inst, time_limit=1e-9)
    assert r.status == "time_limit" and r.bound is None
