"""The split strongly convex chain (THEORY.md §2.2): spectrum, average, minimiser, parity, floors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from constructions.sc_chain import GROUP_A, GROUP_B, GROUP_ZERO, SCSplitChain


def nesterov_hessian(L: float, mu: float, d: int) -> np.ndarray:
    """Reference written from THEORY.md §2.2 directly: ((L−μ)/4)·A + μI with A tridiagonal(−1, 2, −1)
    and the last diagonal entry 2 − q (boundary term c = 2/(√κ+1))."""
    kappa = L / mu
    q = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    A = 2 * np.eye(d) - np.eye(d, k=1) - np.eye(d, k=-1)
    A[-1, -1] = 2 - q
    return (L - mu) / 4 * A + mu * np.eye(d)


@pytest.mark.parametrize("kappa,d,n", [(100.0, 60, 2), (10.0, 21, 4), (1000.0, 40, 6), (50.0, 33, 8)])
def test_local_spectrum_in_mu_L(kappa, d, n):
    ch = SCSplitChain(L=1.0, mu=1.0 / kappa, d=d, n=n, delta_x=3.0)
    for i in range(n):
        ev = np.linalg.eigvalsh(ch.local_hessian(i))
        assert ev.min() >= ch.mu * (1 - 1e-12)
        assert ev.max() <= ch.L * (1 + 1e-12)
    # the groups are tight: some worker attains L (λ_max(A^(j)) = 2) and every one attains μ
    assert max(np.linalg.eigvalsh(ch.local_hessian(i)).max() for i in range(n)) == pytest.approx(ch.L, rel=1e-9)


@pytest.mark.parametrize("d", [30, 31])  # last link odd or even: the boundary term moves group
def test_average_is_nesterov_chain(d):
    ch = SCSplitChain(L=2.0, mu=0.02, d=d, n=4, delta_x=1.0)
    np.testing.assert_allclose(ch.hessian(), nesterov_hessian(2.0, 0.02, d), atol=1e-14)
    # gradients of the average from the per-worker gradients
    rng = np.random.default_rng(0)
    x = rng.standard_normal(d)
    g_workers = ch.grads(x).mean(axis=0)
    np.testing.assert_allclose(g_workers, ch.mean_grad(x), atol=1e-13)
    np.testing.assert_allclose(ch.mean_grad(x), ch.hessian() @ x - ch.hessian() @ ch.x_star, atol=1e-12)


@pytest.mark.parametrize("kappa,d", [(100.0, 60), (10.0, 25), (10000.0, 200)])
def test_minimiser_is_q_powers(kappa, d):
    ch = SCSplitChain(L=1.0, mu=1.0 / kappa, d=d, n=2, delta_x=1.0)
    q = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    np.testing.assert_allclose(ch.x_star / ch.scale, q ** np.arange(1, d + 1), rtol=0, atol=1e-12)
    assert np.sum(ch.x_star**2) == pytest.approx(1.0, rel=1e-12)  # Δ_x = ‖0 − x*‖²
    assert np.max(np.abs(ch.mean_grad(ch.x_star))) < 1e-12
    # f* computed two ways
    assert ch.f(ch.x_star) == pytest.approx(ch.f_star, rel=1e-12)
    assert ch.gap(np.zeros(d)) == pytest.approx(ch.initial_gap, rel=1e-12)


def test_local_gradients_match_finite_differences():
    ch = SCSplitChain(L=1.0, mu=0.01, d=12, n=3, delta_x=2.0)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(12)
    G = ch.grads(x)
    h = 1e-6
    for i in range(ch.n):
        fd = np.array([(ch.local_f(i, x + h * e) - ch.local_f(i, x - h * e)) / (2 * h) for e in np.eye(12)])
        np.testing.assert_allclose(G[i], fd, atol=1e-7)


def test_each_group_reveals_only_its_parity():
    """Group A reveals coordinate 1 and i+1 for even i; group B reveals i+1 for odd i (THEORY.md §2.2)."""
    d = 20
    ch = SCSplitChain(L=1.0, mu=0.01, d=d, n=5)
    assert list(ch.groups) == [GROUP_A, GROUP_A, GROUP_B, GROUP_B, GROUP_ZERO]
    # from x = 0 only group A has a non-zero gradient, on coordinate 1
    G = ch.grads(np.zeros(d))
    assert np.flatnonzero(G[ch.groups == GROUP_A][0]).tolist() == [0]
    assert not np.any(G[ch.groups != GROUP_A])
    for k in range(1, d):
        x = np.zeros(d)
        x[:k] = 1.0 + np.arange(k)  # progress exactly k
        G = ch.grads(x)
        revealing = [i for i in range(ch.n) if np.any(G[i, k:] != 0)]
        expected_group = GROUP_A if k % 2 == 0 else GROUP_B
        assert revealing and all(ch.groups[i] == expected_group for i in revealing), k
        for i in range(ch.n):  # zero-chain: nothing beyond k + 1
            assert not np.any(G[i, k + 1:])


def test_floor_holds_at_random_points_of_each_progress():
    ch = SCSplitChain(L=1.0, mu=0.01, d=40, n=2, delta_x=1.0)
    rng = np.random.default_rng(2)
    for k in range(0, 40, 3):
        X = np.zeros((200, 40))
        X[:, :k] = ch.x_star[:k] + 0.3 * rng.standard_normal((200, k)) * rng.random((200, 1))
        gaps = ch.gap(X)
        assert np.all(gaps >= ch.tail_floor(k) * (1 - 1e-10))
        assert ch.tail_floor(k) >= ch.floor(k) * (1 - 1e-12)
    # the tail floor is attained at the best point of progress k? strong convexity gives a lower
    # bound only; check the floor formula against its closed form
    q = ch.q
    for k in (0, 5, 17):
        assert ch.floor(k) == pytest.approx(0.5 * ch.mu * q ** (2 * k) * (1 - q ** (2 * (40 - k))), rel=1e-12)


def test_invalid_parameters_raise_with_names():
    with pytest.raises(ValueError, match="kappa"):
        SCSplitChain(L=1.0, mu=2.0, d=10)
    with pytest.raises(ValueError, match="n must be"):
        SCSplitChain(L=1.0, mu=0.1, d=10, n=1)
    with pytest.raises(ValueError, match="delta_x"):
        SCSplitChain(L=1.0, mu=0.1, d=10, delta_x=-1.0)
    with pytest.raises(ValueError, match="mu"):
        SCSplitChain(L=1.0, mu=float("nan"), d=10)
