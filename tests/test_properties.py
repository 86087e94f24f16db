"""Invariances of the MLE (hypothesis property tests)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bayeslogit as bl


def _data(seed: int, n: int = 120, k: int = 3):
    rng = np.random.default_rng(seed)
    X = np.c_[np.ones(n), rng.standard_normal((n, k - 1))]
    beta = rng.normal(0, 0.6, k)
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ beta))).astype(float)
    return y, X


SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(seed=st.integers(0, 10_000), perm_seed=st.integers(0, 10_000))
def test_row_permutation_invariance(seed, perm_seed):
    y, X = _data(seed)
    perm = np.random.default_rng(perm_seed).permutation(len(y))
    a = bl.Logit(y, X).fit()
    b = bl.Logit(y[perm], X[perm]).fit()
    np.testing.assert_allclose(a.params, b.params, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(a.bse, b.bse, rtol=1e-8)


@SETTINGS
@given(seed=st.integers(0, 10_000), scale=st.floats(1e-3, 1e3), col=st.integers(1, 2))
def test_column_scaling_rescales_coefficient(seed, scale, col):
    y, X = _data(seed)
    Xs = X.copy()
    Xs[:, col] *= scale
    a = bl.Logit(y, X).fit()
    b = bl.Logit(y, Xs).fit(maxiter=100)
    expected = a.params.to_numpy().copy()
    expected[col] /= scale
    np.testing.assert_allclose(b.params, expected, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(b.bse.iloc[col] * scale, a.bse.iloc[col], rtol=1e-6)


@SETTINGS
@given(seed=st.integers(0, 10_000))
def test_duplicated_rows_equal_doubled_data(seed):
    y, X = _data(seed)
    a = bl.Logit(y, X).fit()
    b = bl.Logit(np.r_[y, y], np.r_[X, X]).fit()
    np.testing.assert_allclose(a.params, b.params, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(a.bse / np.sqrt(2), b.bse, rtol=1e-8)
    np.testing.assert_allclose(2 * a.llf, b.llf, rtol=1e-10)
