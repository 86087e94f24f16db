"""Blocked, threaded log-likelihood evaluation against direct numpy formulas.

Sizes are chosen so that both the single-threaded path and the threaded path (more than
``THREAD_MIN_ELEMENTS`` (draw, observation) pairs) and several blocks are exercised.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from scipy.special import expit

from bayeslogit import blocks


def direct_loglik(beta, X, y, offset):
    eta = beta @ X.T + (0.0 if offset is None else offset)
    return y * eta - np.logaddexp(0.0, eta)


@pytest.mark.parametrize("shape", [(2, 7, 30), (4, 300, 3600)])  # 420 and 4.3M pairs
@pytest.mark.parametrize("with_offset", [False, True])
def test_pointwise_and_sums_match_direct(shape, with_offset):
    chains, draws, n = shape
    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(n), rng.normal(0, 3, (n, 2))])  # |eta| up to ~40
    y = (rng.random(n) < 0.4).astype(float)
    off = rng.normal(0, 1, n) if with_offset else None
    beta = rng.normal(0, 2, (chains, draws, 3))
    X0, y0, b0 = X.copy(), y.copy(), beta.copy()
    ref = direct_loglik(beta, X, y, off)
    got = blocks.pointwise_loglike(beta, X, y, off)
    assert got.shape == (chains, draws, n)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(blocks.loglike_sums(beta, X, y, off), ref.sum(axis=-1),
                               rtol=1e-11)
    for a, b in ((X, X0), (y, y0), (beta, b0)):
        np.testing.assert_array_equal(a, b)
    if chains * draws * n >= blocks.THREAD_MIN_ELEMENTS:
        assert blocks.worker_count(chains * draws * n) == min(4, os.cpu_count())


def test_extreme_linear_predictors_stay_finite():
    eta = np.array([[-800.0, -40.0, 0.0, 40.0, 800.0]])
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    got = blocks.bernoulli_loglik_inplace(eta.copy(), y)
    np.testing.assert_allclose(got, y * eta - np.logaddexp(0.0, eta), rtol=1e-15)
    total, w = blocks.log1pexp_column_sums(eta.T.copy(), want_weights=True)
    np.testing.assert_allclose(total, np.logaddexp(0.0, eta).sum(), rtol=1e-15)
    np.testing.assert_allclose(w, expit(eta.T) * expit(-eta.T), rtol=1e-12, atol=1e-300)


def test_run_blocks_keeps_order_and_restores_blas_threads():
    from threadpoolctl import threadpool_info

    before = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    out = blocks.run_blocks(lambda i: i * i, range(10), workers=2)
    assert out == [i * i for i in range(10)]
    after = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    assert after == before
