"""The proofs recorded in the shipped manifests: every record shipped with a set checks
against its instance with the independent checker, its SHA-256 is the manifest's, and the
proven value is the instance's reference; the checker's vectorised bound is the module
doc's formula written out."""

from __future__ import annotations

import hashlib
import itertools
import json
import math

import numpy as np
import pytest

from gqap.classic.generator import generate_gqap
from gqap.classic.instance import GQAPInstance
from gqap.classic.proofs import ProofError, _Checker, read_record, verify_proof
from gqap.instance_sets import set_references
from gqap.io import read_instance
from gqap.library import set_dir

FAST = {"C5X24", "C10X5-E-H", "C12X3-F-G"}


def _proofs(name: str) -> list[tuple[str, dict]]:
    manifest = json.loads((set_dir(name) / "manifest.json").read_text())
    return [(row["file"].rsplit(".", 1)[0], row["proof"]) for row in manifest["instances"]
            if "proof" in row]


CASES = [(s, stem, proof) for s in ("lee-ma", "cordeau") for stem, proof in _proofs(s)]


def test_every_lee_ma_optimum_has_a_checked_proof_and_the_proved_cordeau_are_optimal():
    lee_ma = dict(_proofs("lee-ma"))
    refs = set_references(set_dir("lee-ma"))
    assert set(lee_ma) == set(refs)                       # all 27
    assert all(p["value"] == refs[k].value for k, p in lee_ma.items())
    cordeau = set_references(set_dir("cordeau"))
    for stem, proof in _proofs("cordeau"):
        assert cordeau[stem].kind == "optimal" and cordeau[stem].value == proof["value"]


@pytest.mark.parametrize("set_name,stem,proof",
                         [c for c in CASES if c[2]["record"] and c[1] in FAST],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_a_shipped_record_checks(set_name, stem, proof):
    _check(set_name, stem, proof)


@pytest.mark.slow
@pytest.mark.parametrize("set_name,stem,proof",
                         [c for c in CASES if c[2]["record"] and c[1] not in FAST],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_shipped_record_checks(set_name, stem, proof):
    _check(set_name, stem, proof)


def _check(set_name: str, stem: str, proof: dict) -> None:
    folder = set_dir(set_name)
    path = folder / proof["record"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == proof["record_sha256"]
    inst = read_instance(folder / f"{stem}.txt")
    check = verify_proof(read_record(path), inst)
    assert check.status == "optimal" and check.objective == proof["value"]
    assert check.nodes == proof["nodes"]


def _reference_bound(inst, exact: bool, x, source, M, nu, lam) -> float:
    """The module doc's bound written out facility by facility, with the 0-1 knapsacks
    solved by trying every subset (the checker's own vectorised form is what is tested)."""
    q, Q, t, d, a, v = (np.asarray(inst.q, float), np.asarray(inst.Q, float),
                        np.asarray(inst.t, float), np.asarray(inst.d, float),
                        np.asarray(inst.a, float), float(inst.v))
    n, m = inst.n, inst.m
    row = {j: r for r, j in enumerate(source)}
    free = [i for i in range(n) if x[i] < 0]
    fixed = [i for i in range(n) if x[i] >= 0]

    def pc(i, j, k, h):                       # i on k, j on h
        return v * (t[i, j] * d[k, h] + t[j, i] * d[h, k])

    def knapsack(items, cap):
        items = [(p, w) for p, w in items if p > 0]
        if cap < 0 or not items:
            return 0.0
        if not exact:
            total, room = 0.0, cap
            for p, w in sorted(items, key=lambda it: -it[0] / it[1]):
                take = min(1.0, room / w)
                total, room = total + p * take, room - w * take
                if take < 1.0:
                    break
            return total
        return max(sum(p for p, _ in sub) for size in range(len(items) + 1)
                   for sub in itertools.combinations(items, size)
                   if sum(w for _, w in sub) <= cap + 1e-9)

    R = Q.copy()
    for i in fixed:
        R[x[i]] -= q[i]
    c0 = sum(a[i, x[i]] + v * t[i, i] * d[x[i], x[i]] for i in fixed)
    c0 += sum(pc(i, j, x[i], x[j]) for i, j in itertools.combinations(fixed, 2))

    def share(i, j, k, h):                    # i's part of the pair, i on k, j on h
        lo, hi, kl, hh = (i, j, k, h) if i < j else (j, i, h, k)
        D = (pc(lo, hi, kl, hh) + M[row[lo], kl, row[hi]] - M[row[hi], hh, row[lo]]
             + nu[row[hi], hh, kl] * q[lo] - nu[row[lo], kl, hh] * q[hi]) / 2
        D = math.floor(D) if exact else D
        return D if i < j else pc(lo, hi, kl, hh) - D

    Lhat = {}
    for i in free:
        for k in range(m):
            if q[i] > R[k]:
                continue
            cap = R[k] - q[i]
            total = a[i, k] + v * t[i, i] * d[k, k] + sum(pc(i, j, k, x[j]) for j in fixed)
            total -= sum(nu[row[i], k, h] * R[h] for h in range(m) if h != k)
            items, ok = [], True
            for j in free:
                if j == i:
                    continue
                off = min((share(i, j, k, h) + nu[row[i], k, h] * q[j] for h in range(m)
                           if h != k and q[j] <= R[h]), default=math.inf)
                on = share(i, j, k, k) if q[j] <= cap + 1e-9 else math.inf
                if off == math.inf and on == math.inf:
                    ok = False
                    break
                if off == math.inf:           # j fits no other site: it must join i on k
                    total, cap = total + on, cap - q[j]
                else:
                    total += off
                    if on < math.inf:
                        items.append((off - on, q[j]))
            if ok and cap >= -1e-9:
                Lhat[i, k] = total - knapsack(items, cap)
    if any(all((i, k) not in Lhat for k in range(m)) for i in free):
        return math.inf
    value = c0 + sum(lam)
    for k in range(m):
        value -= knapsack([(lam[r] - Lhat[i, k], q[i]) for r, i in enumerate(free)
                           if (i, k) in Lhat], R[k])
    return value


@pytest.mark.parametrize("exact", [True, False])
def test_the_checkers_bound_is_the_formula_on_random_nodes(exact):
    """The vectorised bound against the formula written out, on random partial
    assignments (over-full sites, partners forced onto a site, facilities that fit nowhere
    included) with random multipliers stored at the node or at its parent: equal exactly
    with integral data, to rounding with fractional."""
    rng = np.random.default_rng(11 if exact else 12)
    values = []
    for trial in range(60):
        n, m = int(rng.integers(3, 8)), int(rng.integers(2, 5))
        if exact:
            inst = generate_gqap(rng, n, m, float(rng.uniform(0.5, 0.95)), name=f"r{trial}")
        else:
            q, Q = rng.uniform(1, 5, n), np.zeros(m)
            while Q.max() < q.max():            # tight, with room for the heaviest
                Q = 1.05 * q.sum() * rng.dirichlet(np.ones(m))
            inst = GQAPInstance(q=q, Q=Q,
                                a=rng.normal(0, 3, (n, m)), t=rng.normal(0, 1, (n, n)),
                                d=rng.uniform(0, 2, (m, m)), v=1.5, name=f"f{trial}")
        chk = _Checker(inst, {"integral": exact, "status": "optimal"})
        if trial % 2:
            chk.pc_all = None         # as for an instance too large to keep every pair's
        x = np.where(rng.random(n) < 0.4, rng.integers(0, m, n), -1)
        free = [i for i in range(n) if x[i] < 0]
        fixed = [i for i in range(n) if x[i] >= 0]
        source = sorted(free + fixed[:1]) if fixed and rng.random() < 0.5 else free
        f = len(source)
        scale = 10.0 * float(np.abs(inst.t).max() * np.abs(inst.d).max() + 1)
        M = rng.normal(0, scale, (f, m, f))
        nu = rng.uniform(0, scale / 20, (f, m, m)) * (rng.random((f, m, m)) < 0.5)
        lam = rng.normal(0, 5 * scale, len(free))
        if exact:
            M, nu, lam = np.round(M), np.round(nu), np.round(lam)
        ours = chk.bound(x, chk.messages(M.ravel().tolist(), source),
                         chk.capacity_multipliers(nu.ravel().tolist(), source), lam.tolist())
        ref = _reference_bound(inst, exact, x, source, M, nu, lam.tolist())
        if exact or math.isinf(ref):
            assert ours == ref
        else:
            assert ours == pytest.approx(ref, rel=1e-12, abs=1e-9)
        values.append(ref)
    assert 0 < sum(math.isinf(v) for v in values) < len(values) // 2


def _leaves(node, path=()):
    """(leaf, its parent, its path of (facility, site)) in the checker's order."""
    for k, child in enumerate(node.get("children", [])):
        step = (*path, (node["branch"], k))
        if "children" in child:
            yield from _leaves(child, step)
        else:
            yield child, node, step


def _where(path) -> str:
    return "node " + " ".join(f"{i}->{k}" for i, k in path)


def test_a_tampered_record_is_refused_at_the_first_node_it_breaks():
    """Shipped lee-ma/C10X5-E-H with a leaf's lambda lowered (and then its capacity
    multipliers made NaN as well), or a parent's stored messages cut short or made
    infinite: refused naming the first leaf that reads them (siblings closed by 'parent'
    share the parent's). Before 7158c2b the NaN version was accepted: NaN made every
    Lhat NaN, which counted as infinite, and so did the bound."""
    folder = set_dir("lee-ma")
    inst = read_instance(folder / "C10X5-E-H.txt")
    record = read_record(folder / "proofs/C10X5-E-H.proof.json.gz")
    assert verify_proof(record, inst).bounds_checked == 25
    leaves = list(_leaves(record["tree"]))
    bounded = [(leaf, path) for leaf, _, path in leaves if leaf.get("close") == "bound"]
    leaf, path = bounded[len(bounded) // 2]
    lam, nu = leaf["lam"], leaf["nu"]
    leaf["lam"] = [v - 10 ** 7 for v in lam]
    with pytest.raises(ProofError, match=f"refused at {_where(path)}: its bound"):
        verify_proof(record, inst)
    leaf["nu"] = [math.nan] * len(nu)
    with pytest.raises(ProofError, match=f"refused at {_where(path)}: malformed"):
        verify_proof(record, inst)
    leaf["lam"], leaf["nu"] = lam, nu
    _, parent, path = next(t for t in leaves if t[0].get("close") == "parent")
    for change in (lambda v: v[:-1], lambda v: [*v[:-1], math.inf]):
        msg = parent["msg"]
        parent["msg"] = change(msg)
        with pytest.raises(ProofError, match=f"refused at {_where(path)}: malformed"):
            verify_proof(record, inst)
        parent["msg"] = msg
    assert verify_proof(record, inst).bounds_checked == 25
