"""The dual ascent's sweep compiled with numba (the optional ``fast`` extra).

``ascent.ascent`` runs one sweep of star updates per call of ``sweep``: the same
computation as its numpy loop (ascent.py's docstring), written element by element so that
the small per-facility arrays cost no interpreter overhead (a sweep on a 16 x 7 instance:
about 0.2 ms here against about 8 ms in numpy). Without numba, ``AVAILABLE`` is False and
the numpy loop runs; both give valid multipliers (every bound is re-evaluated exactly),
though their floating-point sums may differ in the last bits. ``primal_subproblems`` and
``primal_gradient`` do the same for the Volume and Adam phases' continuous relaxation
(``volume.relaxation``): a step at the root of cordeau/20-15-75 takes about 0.2 ms
against 3.1 ms in numpy, on 30-20-95 0.6 ms against 21 ms (the benchmark
``test_bench_bnb_relaxation_step``).
"""

from __future__ import annotations

import numpy as np

try:  # optional: pip install 'gqap-bench[fast]'
    from numba import njit

    AVAILABLE = True
except ImportError:  # pragma: no cover - exercised where numba is absent
    AVAILABLE = False

    def njit(*args, **kwargs):  # type: ignore[no-redef]
        """Stand-in so the module imports; ``sweep`` is never called without numba."""
        def wrap(fn):
            return fn
        return wrap


@njit(cache=True)
def _critical(sav: np.ndarray, w: np.ndarray, cap: float) -> float:
    """LP dual of a continuous knapsack's capacity: the ratio of the item the capacity
    cuts (items with saving <= 0 left out), 0 when everything fits."""
    n = sav.size
    ratio = np.empty(n)
    cnt = 0
    for j in range(n):
        if sav[j] > 0.0:
            ratio[j] = sav[j] / max(w[j], 1e-12)
            cnt += 1
        else:
            ratio[j] = -1.0
    if cnt == 0:
        return 0.0
    order = np.argsort(-ratio, kind="mergesort")
    used = 0.0
    room = max(cap, 0.0)
    for t in range(n):
        j = order[t]
        if ratio[j] < 0.0:
            break
        used += w[j]
        if used > room + 1e-9:
            return max(ratio[j], 0.0)
    return 0.0


@njit(cache=True)
def sweep(PC: np.ndarray, forb: np.ndarray, q: np.ndarray, cap: np.ndarray,
          allowed: np.ndarray, Ln: np.ndarray, M: np.ndarray, nu: np.ndarray,
          thi: np.ndarray, b: np.ndarray, inner: int) -> bool:
    """One sweep of star updates in place (M, nu, thi, b); False when a facility has no
    finite belief left (the node is infeasible)."""
    f, m = Ln.shape
    inf = np.inf
    d = f - 1
    X0 = np.empty((d, m, m))
    T0 = np.empty((d, m, m))
    alpha = np.empty((d, m))
    Mi = np.empty((d, m))
    sav = np.empty(d)
    qj = np.empty(d)
    js = np.empty(d, dtype=np.int64)
    for i in range(f):
        anyfin = False
        for k in range(m):
            if b[i, k] < inf:
                anyfin = True
        if not anyfin:
            return False
        r = 0
        for j in range(f):
            if j != i:
                js[r] = j
                qj[r] = q[j]
                r += 1
        for r in range(d):
            j = js[r]
            for k in range(m):
                for h in range(m):
                    if forb[i, k, j, h]:
                        T0[r, k, h] = inf
                        X0[r, k, h] = inf
                    else:
                        t = PC[i, k, j, h] + nu[j, h, k] * q[i]
                        T0[r, k, h] = t
                        X0[r, k, h] = t + (b[j, h] - M[j, h, i])
        nui = nu[i].copy()
        for _ in range(inner):
            new = np.zeros((m, m))
            for k in range(m):
                if not allowed[i, k]:
                    continue
                # per j: the two smallest of Y over h and where the smallest is
                m1 = np.full(d, inf)
                m2 = np.full(d, inf)
                a1 = np.full(d, -1)
                for r in range(d):
                    for h in range(m):
                        y = X0[r, k, h] + nui[k, h] * qj[r]
                        if y < m1[r]:
                            m2[r] = m1[r]
                            m1[r] = y
                            a1[r] = h
                        elif y < m2[r]:
                            m2[r] = y
                for h in range(m):
                    for r in range(d):
                        other = m2[r] if a1[r] == h else m1[r]
                        s = other - X0[r, k, h]
                        sav[r] = s if (s > 0.0 and s < inf) else 0.0
                    new[k, h] = _critical(sav, qj, cap[i, k, h])
            for k in range(m):
                for h in range(m):
                    nui[k, h] = 0.5 * nui[k, h] + 0.5 * new[k, h]
        S = np.empty(m)
        for k in range(m):
            if not allowed[i, k]:
                for h in range(m):
                    nui[k, h] = 0.0
            th = Ln[i, k]
            for h in range(m):
                th -= nui[k, h] * cap[i, k, h]
            thi[i, k] = th
            dead = not allowed[i, k]
            tot = th
            for r in range(d):
                best = inf
                for h in range(m):
                    y = X0[r, k, h] + nui[k, h] * qj[r]
                    if y < best:
                        best = y
                alpha[r, k] = best
                if best == inf:
                    dead = True
                else:
                    tot += best
            S[k] = inf if dead else tot
        for r in range(d):
            for k in range(m):
                if S[k] < inf and alpha[r, k] < inf:
                    Mi[r, k] = alpha[r, k] - S[k] / (d + 1)
                else:
                    Mi[r, k] = 0.0
        for r in range(d):
            j = js[r]
            for h in range(m):
                best = inf
                for k in range(m):
                    if S[k] < inf:
                        v = T0[r, k, h] + nui[k, h] * qj[r] - Mi[r, k]
                        if v < best:
                            best = v
                new_mj = best if best < inf else 0.0
                if b[j, h] < inf:
                    b[j, h] += new_mj - M[j, h, i]
                M[j, h, i] = new_mj
            for k in range(m):
                M[i, k, j] = Mi[r, k]
        for k in range(m):
            nu[i, k] = nui[k]
            if allowed[i, k] and S[k] < inf:
                tot = thi[i, k]
                for j in range(f):
                    if j != i:
                        tot += M[i, k, j]
                b[i, k] = tot
            else:
                b[i, k] = inf
    return True


@njit(cache=True)
def knapsack_dp(values: np.ndarray, weights: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Per row, max sum values z subject to sum weights z <= cap, z binary (integral
    weights and capacities), by dynamic programming: the same values as bound.knapsack01's
    numpy table, exactly."""
    rows, items = values.shape
    out = np.zeros(rows)
    for r in range(rows):
        cap = caps[r]
        if cap < 0:
            continue
        dp = np.zeros(cap + 1)
        for j in range(items):
            v = values[r, j]
            if v <= 0.0:
                continue
            w = weights[j]
            if w == 0:
                for c in range(cap + 1):
                    dp[c] += v
            elif w <= cap:
                for c in range(cap, w - 1, -1):
                    cand = dp[c - w] + v
                    if cand > dp[c]:
                        dp[c] = cand
        out[r] = dp[cap]
    return out


@njit(cache=True)
def primal_subproblems(PCh: np.ndarray, M: np.ndarray, nu: np.ndarray, q: np.ndarray,
                       R: np.ndarray, allowed: np.ndarray, Lnode: np.ndarray,
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The continuous-knapsack subproblems of ``volume.relaxation`` at (M, nu), unrounded:
    Lhat (inf where i cannot sit on k), each partner's cheapest other site hoff (-1: none)
    and its share on k, yon (the same numbers as the numpy code, in another order of
    summation). ``PCh`` holds the pair costs with the partner's site before the partner,
    PCh[i, k, h, j] = PC[i, k, j, h] (``partner_site_major``)."""
    f, m = Lnode.shape
    inf = np.inf
    Lhat = np.full((f, m), inf)
    hoff = np.full((f, m, f), -1, dtype=np.int64)
    yon = np.zeros((f, m, f))
    sav = np.empty(f)
    ratio = np.empty(f)
    idx = np.empty(f, dtype=np.int64)    # the partners with a saving, in index order
    best = np.empty(f)                   # each partner's cheapest cost off k ...
    barg = np.empty(f, dtype=np.int64)   # ... and that site
    # The partner's side laid out along j, as PCh is: the loop below runs over the
    # partners j for one site h at a time, where the compiler can keep every partner's
    # running minimum in vector registers (about twice as fast as a minimum over h per
    # partner, with the same numbers: each cost is the same sum, and a site replaces the
    # minimum only when strictly cheaper, in the same order of h).
    Mt = np.empty((f, m, f))      # Mt[i, h, j] = M[j, h, i]
    nut = np.empty((m, m, f))     # nut[k, h, j] = nu[j, h, k]
    for j in range(f):
        for h in range(m):
            for i in range(f):
                Mt[i, h, j] = M[j, h, i]
            for k in range(m):
                nut[k, h, j] = nu[j, h, k]
    for i in range(f):
        for k in range(m):
            if not allowed[i, k]:
                continue
            capr = R[k] - q[i]
            total = Lnode[i, k]
            for h in range(m):
                if h != k:
                    total -= nu[i, k, h] * R[h]
            qi = q[i]
            Mik = M[i, k]
            for j in range(f):
                best[j] = inf
                barg[j] = -1
            for h in range(m):
                if h == k:
                    continue
                Rh = R[h]
                nuikh = nu[i, k, h]
                Pikh = PCh[i, k, h]
                Mtih = Mt[i, h]
                nutkh = nut[k, h]
                for j in range(f):
                    qj = q[j]
                    c = 0.5 * (Pikh[j] + Mik[j] - Mtih[j] + nutkh[j] * qi + nuikh * qj)
                    b = best[j]
                    take = (c < b) & (qj <= Rh)
                    best[j] = c if take else b
                    barg[j] = h if take else barg[j]
            dead = False
            cnt = 0
            for j in range(f):
                sav[j] = 0.0
                ratio[j] = -1.0
                if j == i:
                    continue
                qj = q[j]
                off = best[j]
                on = inf
                if qj <= R[k] - qi + 1e-9:
                    on = 0.5 * (PCh[i, k, k, j] + Mik[j] - Mt[i, k, j] + nut[k, k, j] * qi
                                - nu[i, k, k] * qj)
                hoff[i, k, j] = barg[j]
                if off == inf:
                    if on == inf:
                        dead = True
                        break
                    total += on
                    capr -= qj
                    yon[i, k, j] = 1.0
                else:
                    total += off
                    if on < off:
                        sav[j] = off - on
                        ratio[j] = sav[j] / max(qj, 1e-12)
                        idx[cnt] = j
                        cnt += 1
            if dead or capr < -1e-9:
                continue
            value = 0.0
            room = max(capr, 0.0)
            # Dantzig's greedy over the partners with a saving, best ratio first and, on
            # equal ratios, the lower index first (a stable sort's order): each step picks
            # the next by a scan, which beats sorting all of them when the capacity runs
            # out after a few (on 30 x 6: about 5 of 21)
            for _ in range(cnt):
                top = 0
                rt = -1.0
                for a in range(cnt):
                    ra = ratio[idx[a]]
                    if ra > rt:
                        rt = ra
                        top = a
                j = idx[top]
                ratio[j] = -1.0         # picked
                if q[j] <= room:
                    yon[i, k, j] = 1.0
                    value += sav[j]
                    room -= q[j]
                else:
                    share = room / q[j] if q[j] > 0.0 else 1.0
                    yon[i, k, j] = share
                    value += share * sav[j]
                    break
            Lhat[i, k] = total - value
    return Lhat, hoff, yon


def partner_site_major(PC: np.ndarray) -> np.ndarray:
    """PC (f, m, f, m) with its last two axes swapped, contiguous: the layout
    ``primal_subproblems`` reads (made once per node, not per call)."""
    return np.ascontiguousarray(PC.transpose(0, 1, 3, 2))


@njit(cache=True)
def primal_gradient(w: np.ndarray, hoff: np.ndarray, yon: np.ndarray, q: np.ndarray,
                    R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The supergradient (gM, gnu) of ``volume.relaxation`` from the master's shares w and the
    subproblems' placements (hoff, yon)."""
    f, m = w.shape
    gM = np.zeros((f, m, f))
    gnu = np.zeros((f, m, m))
    for i in range(f):
        for k in range(m):
            wk = w[i, k]
            if wk <= 0.0:
                continue
            for h in range(m):
                if h != k:
                    gnu[i, k, h] -= R[h] * wk
            for j in range(f):
                if j == i:
                    continue
                gM[i, k, j] += 0.5 * wk
                for side in range(2):
                    if side == 0:
                        h = k
                        p = wk * yon[i, k, j]
                    else:
                        h = hoff[i, k, j]
                        p = wk * (1.0 - yon[i, k, j])
                    if h < 0 or p <= 0.0:
                        continue
                    gM[j, h, i] -= 0.5 * p
                    if h == k:
                        gnu[i, k, h] -= 0.5 * q[j] * p
                    else:
                        gnu[i, k, h] += 0.5 * q[j] * p
                    gnu[j, h, k] += 0.5 * q[i] * p
    return gM, gnu


@njit(cache=True)
def _greedy(prof: np.ndarray, q: np.ndarray, cap: float, z: np.ndarray) -> float:
    """Continuous knapsack (Dantzig's greedy) over the items of positive profit; z gets
    the shares; returns the value."""
    n = prof.size
    ratio = np.empty(n)
    for j in range(n):
        z[j] = 0.0
        if prof[j] > 0.0:
            ratio[j] = prof[j] / q[j] if q[j] > 0.0 else np.inf
        else:
            ratio[j] = -1.0
    order = np.argsort(-ratio, kind="mergesort")
    room = max(cap, 0.0)
    value = 0.0
    for t in range(n):
        j = order[t]
        if ratio[j] < 0.0:
            break
        if q[j] <= room:
            z[j] = 1.0
            value += prof[j]
            room -= q[j]
        else:
            z[j] = room / q[j]
            value += z[j] * prof[j]
            break
    return value


@njit(cache=True)
def master_shares(Lhat: np.ndarray, lam: np.ndarray, q: np.ndarray, R: np.ndarray,
                  tie: float) -> tuple[float, np.ndarray]:
    """``volume._master_shares`` compiled: the continuous knapsacks' total value per site
    at lambda, and the shares w of the maximiser that takes items within ``tie`` of zero
    profit too."""
    f, m = Lhat.shape
    w = np.zeros((f, m))
    prof = np.empty(f)
    z = np.empty(f)
    total = 0.0
    for k in range(m):
        for i in range(f):
            prof[i] = lam[i] - Lhat[i, k] if Lhat[i, k] < np.inf else -1.0
        total += _greedy(prof, q, R[k], z)
        for i in range(f):
            if Lhat[i, k] < np.inf:
                prof[i] += tie
        _greedy(prof, q, R[k], z)
        for i in range(f):
            if Lhat[i, k] < np.inf:
                w[i, k] = z[i]
    return total, w
