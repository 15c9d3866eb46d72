"""GC and NC split chains (THEORY.md §2.3, §2.4): constants, splits, parity, floors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize

from constructions.gc_chain import GCSplitChain
from constructions.nc_chain import (DELTA0, ELL1, GAMMA_INF, F_K, NCSplitChain, dphi, dpsi, grad_F_K,
                                    phi, psi)
from constructions.base import prog


# ============================================================================ GC chain
def dense_fK(L: float, K: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Reference f_K = ½xᵀHx − bᵀx from the textbook formula (THEORY.md §2.3)."""
    A = np.zeros((d, d))
    A[0, 0] += 1.0
    for i in range(K - 1):
        A[i, i] += 1
        A[i + 1, i + 1] += 1
        A[i, i + 1] -= 1
        A[i + 1, i] -= 1
    A[K - 1, K - 1] += 1.0
    b = np.zeros(d)
    b[0] = L / 4
    return (L / 4) * A, b


@pytest.mark.parametrize("K,n,d", [(1, 2, 1), (2, 2, 4), (7, 2, 7), (8, 3, 10), (9, 5, 9), (12, 4, 15)])
def test_gc_spectra_average_and_optimum(K, n, d):
    L, dx = 3.0, 2.5
    c = GCSplitChain(L=L, K=K, d=d, n=n, delta_x=dx)
    for i in range(n):
        ev = np.linalg.eigvalsh(c.local_hessian(i))
        assert ev.min() >= -1e-12 and ev.max() <= L * (1 + 1e-12)
        if K >= 3 and c.worker_groups[i] != 2:  # both groups hold a 2×2 link block: L attained
            assert ev.max() == pytest.approx(L, rel=1e-12)
    # Average of the workers = c·σ²f_K(·/σ) (Hessian c·(L/4)A_K, linear term c·σ·(L/4)e₁).
    H, b = dense_fK(L, K, d)
    assert np.allclose(c.hessian(), c.c * H, atol=1e-14)
    x = np.random.default_rng(0).normal(size=d)
    assert np.mean([c.local_f(i, x) for i in range(n)]) == pytest.approx(
        c.c * (0.5 * x @ H @ x - c.scale * b @ x), rel=1e-12, abs=1e-12)
    assert np.allclose(c.grads(x).mean(axis=0), c.mean_grad(x), atol=1e-14)
    # Closed-form optimum.
    assert np.linalg.norm(c.mean_grad(c.x_star)) < 1e-13
    assert float(c.f(c.x_star)) == pytest.approx(c.f_star, rel=1e-12)
    assert np.sum(c.x_star**2) == pytest.approx(dx, rel=1e-12)
    assert float(c.gap(np.zeros(d))) == pytest.approx(c.initial_gap, rel=1e-12)


def test_gc_parity_of_revealed_coordinates():
    K, n = 11, 4
    c = GCSplitChain(L=1.0, K=K, n=n)
    rng = np.random.default_rng(1)
    for k in range(0, K):
        x = np.zeros(K)
        x[:k] = rng.uniform(0.5, 2.0, size=k) * rng.choice([-1, 1], size=k)
        G = c.grads(x)
        for i, g in enumerate(c.worker_groups):
            p = prog(G[i])
            assert p <= k + 1
            new = k + 1  # 1-based index of the next coordinate
            reveals = (g == 0 and new % 2 == 1) or (g == 1 and new % 2 == 0)
            # The group of the right parity reveals it, the other one cannot.
            assert (p == k + 1) == reveals, (k, g, p)


def test_gc_floors_exact_and_theory():
    L, dx = 2.0, 1.7
    rng = np.random.default_rng(2)
    for n in (2, 3):
        for t in range(0, 6):
            K = 2 * t + 1
            c = GCSplitChain(L=L, K=K, d=K + 2, n=n, delta_x=dx)
            # The proof's floor on the chain of length 2t+1, and the exact floor above it.
            assert c.theory_floor(t) == pytest.approx(c.c * 3 * L * dx / (32 * (t + 1) ** 2), rel=1e-12)
            for k in range(0, K + 1):
                fl = float(c.floor(k))
                xm = c.restricted_minimiser(k)
                assert prog(xm) == k and float(c.gap(xm)) == pytest.approx(fl, rel=1e-10, abs=1e-15)
                if k < K:
                    assert float(c.theory_floor(k)) <= fl * (1 + 1e-12) or k > t
                # Random points of progress k, far and near the restricted minimiser.
                X = np.zeros((200, c.d))
                X[:, :k] = rng.normal(size=(200, k)) * rng.choice([1e-3, 1e-1, 1.0], size=(200, 1))
                X[:, :k] += xm[:k] * rng.integers(0, 2, size=(200, 1))
                assert np.all(c.gap(X) >= fl * (1 - 1e-12) - 1e-15)
            assert float(c.theory_floor(t)) <= float(c.floor(t)) * (1 + 1e-12)


def test_gc_validation():
    with pytest.raises(ValueError, match="n must be"):
        GCSplitChain(L=1.0, K=4, n=1)
    with pytest.raises(ValueError, match="d must be"):
        GCSplitChain(L=1.0, K=4, d=3)
    with pytest.raises(ValueError, match="groups must be"):
        GCSplitChain(L=1.0, K=4, n=4, groups=(0, 0, 0, 1))


def test_gc_permuted_groups_same_average():
    a = GCSplitChain(L=1.0, K=6, n=5)
    b = GCSplitChain(L=1.0, K=6, n=5, groups=(1, 2, 0, 1, 0))
    x = np.random.default_rng(3).normal(size=6)
    assert np.allclose(a.mean_grad(x), b.mean_grad(x), atol=1e-15)
    assert np.allclose(np.sort(a.grads(x), axis=0), np.sort(b.grads(x), axis=0))


# ============================================================================ NC chain
def random_points(rng, m, K, scale=2.5):
    """A mix of regimes: broad Gaussians, points near the Ψ kink ±½, near ±1, and chain-like ones."""
    Z = [rng.normal(size=(m, K)) * scale,
         rng.choice([-1, 1], size=(m, K)) * (0.5 + rng.exponential(0.2, size=(m, K))),
         rng.choice([-1, 1], size=(m, K)) * rng.uniform(0.4, 1.6, size=(m, K)),
         np.cumsum(rng.uniform(-0.3, 1.0, size=(m, K)), axis=1)]
    return np.concatenate(Z)


def test_psi_phi_numerics():
    t = np.array([-1.0, 0.5, 0.5 + 1e-120, 0.5 + 1e-3, 0.75, 1.0, 3.0])
    assert np.all(np.isfinite(psi(t))) and np.all(np.isfinite(dpsi(t)))
    assert psi(np.array(1.0)) == pytest.approx(1.0)
    assert dpsi(np.array(0.5 + 1e-120)) == 0.0 and psi(np.array(0.5)) == 0.0
    h = 1e-6
    for x in (0.6, 0.8, 1.3):
        assert dpsi(np.array(x)) == pytest.approx((psi(np.array(x + h)) - psi(np.array(x - h))) / (2 * h),
                                                  rel=1e-6)


def test_nc_gradient_matches_finite_differences():
    rng = np.random.default_rng(4)
    K = 8
    Z = random_points(rng, 10, K)
    h = 1e-6
    E = np.eye(K)
    num = np.stack([(F_K(Z + h * E[j]) - F_K(Z - h * E[j])) / (2 * h) for j in range(K)], axis=1)
    assert np.max(np.abs(num - grad_F_K(Z))) < 1e-6


@pytest.mark.parametrize("K", [6, 12])
def test_nc_constants_linf_hessian_vector(K):
    """‖∇F_K‖_∞ ≤ 23 and ‖∇²·v‖ ≤ 152 for F_K and for each half H^A, H^B (THEORY.md §2.4)."""
    rng = np.random.default_rng(5 + K)
    c = NCSplitChain(L=ELL1, lam=1.0, K=K, n=2)  # grad_scale = 1: worker grads are ∇H^A, ∇H^B
    Z = random_points(rng, 500, K)
    assert np.max(np.abs(grad_F_K(Z))) <= GAMMA_INF
    h = 1e-5
    worst_linf, worst_hv = 0.0, 0.0
    for z in Z:
        X = np.stack([z, z])
        G = c.grads(X)
        worst_linf = max(worst_linf, np.max(np.abs(G)))
        v = rng.normal(size=K)
        v /= np.linalg.norm(v)
        Hv = (c.grads(X + h * v) - c.grads(X - h * v)) / (2 * h)
        Hv_full = (grad_F_K(z + h * v) - grad_F_K(z - h * v)) / (2 * h)
        worst_hv = max(worst_hv, np.max(np.linalg.norm(Hv, axis=1)), np.linalg.norm(Hv_full))
    assert worst_linf <= GAMMA_INF
    assert worst_hv <= ELL1
    assert worst_hv > 10.0  # the search reaches the curved region (a vacuous battery would not)


def nc_exact_gap(K: int) -> float:
    """F_K(0) − inf F_K = √(2πe)·(e(K−1) + ½), derived from THEORY.md §2.4: F_K(0) = −Ψ(1)Φ(0) =
    −√(2πe)/2, and since 0 ≤ Ψ < e, 0 < Φ < √(2πe), each Γ_i > −e√(2πe) and −Ψ(1)Φ(x₁) > −√(2πe),
    with both approached as every x_i → +∞: inf F_K = −√(2πe)(1 + e(K−1)) (not attained). Since
    e√(2πe) ≈ 11.23 < 12, this is ≤ 12K = Δ₀K, the lemma's constant, for every K ≥ 1."""
    return math.sqrt(2 * math.pi * math.e) * (math.e * (K - 1) + 0.5)


def test_nc_value_range_12K():
    for K in (1, 4, 10, 1000):
        assert nc_exact_gap(K) <= DELTA0 * K
    for K in (4, 10):
        rng = np.random.default_rng(K)
        G = nc_exact_gap(K)
        Z = random_points(rng, 400, K)
        assert np.all(F_K(np.zeros(K)) - F_K(Z) < G)  # the infimum is a strict lower bound …
        # … approached at x = R·1: Ψ(R) = e·exp(−1/(2R−1)²) = e(1 − O(R⁻²)) and Φ(R) = √(2πe) in
        # floating point, so the gap there is G·(1 − O(1e-6)) for R = 10³.
        far = float(F_K(np.zeros(K)) - F_K(np.full(K, 1e3)))
        assert G * (1 - 1e-6) <= far <= G
        # A local optimiser from several starts stays below the infimum's gap (it cannot reach ∞).
        best = min(optimize.minimize(lambda z: float(F_K(z)), z0, jac=lambda z: grad_F_K(z),
                                     method="L-BFGS-B").fun
                   for z0 in [np.full(K, 1.5), np.full(K, 3.0), rng.normal(size=K) + 2])
        assert float(F_K(np.zeros(K))) - best <= G


@pytest.mark.parametrize("n", [2, 3, 6, 7])
def test_nc_average_equals_unsplit(n):
    K, L, lam = 9, 2.0, 0.3
    c = NCSplitChain(L=L, lam=lam, K=K, d=K + 3, n=n)
    rng = np.random.default_rng(n)
    x = np.concatenate([lam * random_points(rng, 1, K)[0], np.zeros(3)])
    G = c.grads(x)
    ref = (n // 2) / n * (L * lam / ELL1) * grad_F_K(x[:K] / lam)
    assert np.allclose(G.mean(axis=0)[:K], ref, atol=1e-14) and np.all(G[:, K:] == 0)
    assert np.mean(c.local_f(np.broadcast_to(x, (n, K + 3)))) == pytest.approx(float(c.f(x)), rel=1e-12)
    assert float(c.f(x)) == pytest.approx((n // 2) / n * L * lam**2 / ELL1 * float(F_K(x[:K] / lam)), rel=1e-12)
    if n % 2:
        assert np.all(G[c.worker_groups == 2] == 0)


def test_nc_parity_and_robust_zero_chain():
    K = 12
    c = NCSplitChain(L=ELL1, lam=1.0, K=K, n=2)
    rng = np.random.default_rng(7)
    for k in range(0, K):
        for _ in range(20):
            z = np.zeros(K)
            z[:k] = rng.choice([-1, 1], size=k) * rng.uniform(0.6, 2.0, size=k)
            tail = rng.integers(k, K + 1)  # small entries |z_j| ≤ ½ beyond the frontier
            z[k:tail] = rng.uniform(-0.5, 0.5, size=tail - k)
            assert prog(z, 0.5) == k
            G = c.grads(np.stack([z, z]))
            assert prog(grad_F_K(z)) <= max(k + 1, prog(z))  # robust zero-chain
            for i, g in enumerate(c.worker_groups):
                # Coordinates beyond the support of z: only k+1, and only by its group.
                beyond = np.flatnonzero(G[i, max(prog(z), k + 1):] != 0)
                assert beyond.size == 0
                if prog(z) <= k:  # exact zeros beyond k: is k+1 revealed, and by whom?
                    revealed = G[i, k] != 0 if k < K else False
                    right = (g == 0) == ((k + 1) % 2 == 1)
                    assert revealed == right, (k, g)


def test_nc_floor_at_each_progress():
    """prog_1(x/λ) = k < K ⇒ |∇_{k+1}F_K| > 1 and ‖∇f‖² > (c_nLλ/ℓ₁)² (THEORY.md §3.3)."""
    K, lam = 10, 0.7
    rng = np.random.default_rng(8)
    for n in (2, 3):
        c = NCSplitChain(L=5.0, lam=lam, K=K, n=n)
        for k in range(0, K):
            Z = rng.uniform(-1.0, 1.0, size=(300, K))
            Z[:, :k] = rng.choice([-1, 1], size=(300, k)) * rng.uniform(1.0 + 1e-9, 3.0, size=(300, k))
            assert all(prog(z, 1.0) == k for z in Z)
            assert np.all(np.abs(grad_F_K(Z)[:, k]) > 1.0)
            gn = c.grad_norm_sq(lam * Z)
            assert np.all(gn > c.floor(k)) and float(c.floor(k)) == pytest.approx(c.grad_floor_sq)
        assert float(c.floor(K)) == 0.0
    # How tight the constant 1 is. ∂_{k+1}F_K depends on z_k, z_{k+1}, z_{k+2} only and, for |z_k| > 1
    # (so Ψ(∓z_k) = 0 on one side), both of its terms have the same sign (Ψ, Ψ' ≥ 0, Φ, Φ' > 0):
    #   |∂_{k+1}F_K| = Ψ(|z_k|)·Φ'(z_{k+1}) + Ψ'(|z_{k+1}|)·Φ(±z_{k+2}) > Ψ(1)·Φ'(t) + Ψ'(t)·Φ(−1),
    # t = |z_{k+1}| ≤ 1, |z_{k+2}| ≤ 1 (CDHS Lemma 3, with Ψ(1) = 1 and Φ'(1) = 1). So over prog_1 = k
    # the infimum is m* = min_{t∈[0,1]} Φ'(t) + Ψ'(t)Φ(−1) ≈ 1.3376 for k + 2 ≤ K and exactly
    # Φ'(1) = 1 at the chain's end (k = K − 1, no Γ_{k+1}). A search in the box (open at the
    # boundary the infimum sits on) must land on these values, not merely in (1, 1.5).
    r = optimize.minimize_scalar(lambda t: float(dphi(t) + dpsi(t) * phi(-1.0)), bounds=(0.0, 1.0),
                                 method="bounded", options=dict(xatol=1e-12))
    m_star = r.fun
    assert 1.0 < m_star < float(dphi(0.5))  # Ψ' switches on past ½ and Φ' keeps decreasing: interior
    Kk = 6
    for k, inf in ((3, m_star), (Kk - 1, 1.0)):
        def obj(w, k=k):
            z = np.zeros(Kk)
            z[:k] = 1.0 + np.exp(np.minimum(w[:k], 50.0))  # Nelder–Mead may wander; Ψ is flat there
            z[k:] = np.tanh(w[k:])
            return abs(grad_F_K(z)[k])

        best = min(optimize.minimize(obj, np.random.default_rng(s).normal(size=Kk), method="Nelder-Mead",
                                     options=dict(maxiter=3000)).fun for s in range(6))
        assert inf * (1 - 1e-12) <= best <= inf * (1 + 1e-6), (k, best, inf)  # 1e-12: rounding


def test_nc_validation():
    with pytest.raises(ValueError, match="n must be"):
        NCSplitChain(L=1.0, lam=1.0, K=5, n=1)
    with pytest.raises(ValueError, match="lam"):
        NCSplitChain(L=1.0, lam=0.0, K=5)
    assert not hasattr(NCSplitChain(L=1.0, lam=1.0, K=5), "x_star")
    assert NCSplitChain(L=1.0, lam=1.0, K=5, n=1, split=False).c_n == 1.0


def test_every_instance_is_registered_and_loads():
    """`lowerbounds list instances` shows every construction of issue 3, and each name imports."""
    from constructions import instances_registry as reg

    names = {"sc-split-chain", "gc-split-chain", "nc-split-chain", "noise-quadratic",
             "arjevani-bernoulli-chain", "least-squares", "logistic-regression"}
    assert names <= set(reg.INSTANCES)
    for name in reg.INSTANCES:
        assert callable(reg.load(name)), name
    with pytest.raises(ValueError, match="instance must be one of"):
        reg.load("nope")


def test_nc_links_fast_path_matches_the_reference():
    """The fused Γ_i evaluation (one exponential for Ψ(±a) and Ψ'(±a)) against the term-by-term
    definition, on random points and on the edges: |a| at and just past ½, huge and tiny u."""
    from constructions.nc_chain import _links, _links_reference

    rng = np.random.default_rng(7)
    edges = [-0.5, 0.5, 0.5 + 1e-9, -0.5 - 1e-9, 0.5 + 1e-120, 0.6, -0.6, 1e150, -1e150, 0.0, 40.0, -40.0]
    Z = np.concatenate([rng.normal(0, 2, (200, 12)), rng.choice(edges, size=(60, 12))])
    for fast, ref in zip(_links(Z), _links_reference(Z)):
        # atol: subnormal values (≈1e-323) carry only a few significant bits either way
        np.testing.assert_allclose(fast, ref, rtol=1e-12, atol=1e-300)
