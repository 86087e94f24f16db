"""Numerical trust: answers do not depend on units, and no unusable fit is called converged."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

import bayeslogit as bl


def _fit(model, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(**kw)
    return res, caught


def _categories(caught):
    return sorted({w.category.__name__ for w in caught})


@pytest.fixture(scope="module")
def benign():
    rng = np.random.default_rng(11)
    n = 300
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(0, 2, n)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.2 + 0.8 * X[:, 1] - 0.5 * X[:, 2])))).astype(float)
    return X, y


def test_quasi_separation_in_large_units_is_flagged():
    rng = np.random.default_rng(3)
    n = 300
    z = rng.normal(size=n)
    has = rng.random(n) < 0.1
    amount = np.where(has, rng.uniform(1e8, 2e8, n), 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-0.5 * z))).astype(float)
    y[has] = 1.0
    for column in (amount, amount / 1e8):
        X = pd.DataFrame({"const": 1.0, "amount": column, "z": z})
        res, caught = _fit(bl.Logit(y, X))
        assert "PerfectSeparationWarning" in _categories(caught)
        assert res.separation.columns == ("const", "amount") or "amount" in res.separation.columns
        assert res.converged is False


def test_near_duplicate_column_is_named_and_dropping_it_works():
    rng = np.random.default_rng(4)
    n = 800
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-x))).astype(float)
    X = pd.DataFrame({"const": 1.0, "x": x, "x_f32": x.astype(np.float32).astype(float)})
    res, caught = _fit(bl.Logit(y, X))
    text = " ".join(str(w.message) for w in caught)
    assert res.converged is False
    assert "nearly collinear" in text and "'x', 'x_f32'" in text and "condition number" in text
    # the reported condition number is that of the column-scaled weighted design, squared
    # (numpy's SVD-based cond as the reference; scaling by powers of two moves it < 4x)
    reported = float(re.search(r"condition number ([0-9.e+]+)", text).group(1))
    p = 1 / (1 + np.exp(-(X.to_numpy() @ res.params.to_numpy())))
    Xw = np.sqrt(p * (1 - p))[:, None] * X.to_numpy()
    reference = np.linalg.cond(Xw / np.linalg.norm(Xw, axis=0)) ** 2
    assert abs(np.log10(reported) - np.log10(reference)) < 0.6
    # the remedy in the message: drop one of the columns
    kept = X.drop(columns="x_f32")
    ours, caught = _fit(bl.Logit(y, kept))
    ref = sm.Logit(y, kept).fit(disp=0)
    assert ours.converged and not caught
    np.testing.assert_allclose(ours.bse, ref.bse, rtol=1e-8)


def test_no_converged_fit_with_unusable_covariance():
    n = 20
    res, caught = _fit(bl.Logit(np.ones(n), np.ones((n, 1)), offset=np.linspace(-100, 100, n)))
    assert res.converged is False and "PerfectSeparationWarning" in _categories(caught)
    # the remedy named by the warning: the posterior mode under the default priors
    remedy, caught = _fit(bl.Logit(np.ones(n), np.ones((n, 1)),
                                   offset=np.linspace(-100, 100, n)), method="map")
    assert remedy.converged and np.all(np.isfinite(remedy.bse)) and not caught

    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(200), rng.normal(size=(200, 2))])
    X = np.column_stack([X, X[:, 1] + X[:, 2]])
    y = (rng.random(200) < 0.5).astype(float)
    res, caught = _fit(bl.Logit(y, X, check_rank=False))
    assert res.converged is False
    assert any("nearly collinear" in str(w.message) for w in caught)
    remedy, caught = _fit(bl.Logit(y, X[:, :3]))
    ref = sm.Logit(y, X[:, :3]).fit(disp=0)
    assert remedy.converged and not caught
    np.testing.assert_allclose(remedy.params, ref.params, rtol=1e-8)

    x1 = rng.normal(size=200) * 1e4
    x2 = 1.3 * x1 + 1e-4 * rng.normal(size=200)
    y = (rng.random(200) < 1 / (1 + np.exp(-x1 / 1e4))).astype(float)
    res, caught = _fit(bl.Logit(y, np.column_stack([np.ones(200), x1, x2])))
    assert res.converged is False
    assert any("['x1', 'x2']" in str(w.message) for w in caught)


@pytest.mark.parametrize("kw", [{"tol": float("nan")}, {"tol": 0.0}, {"tol": -1e-8},
                                {"maxiter": -1}, {"maxiter": 2.5},
                                {"ridge_factor": float("inf")}, {"ridge_factor": -1.0}])
def test_invalid_solver_settings_refused(benign, kw):
    X, y = benign
    name, value = next(iter(kw.items()))
    for method in ("mle", "map", "laplace"):
        if name == "ridge_factor" and method != "mle":
            continue
        with pytest.raises(ValueError, match=rf"{name} must be .*{value!r}"):
            bl.Logit(y, X).fit(method=method, **kw)


@pytest.mark.parametrize("kw", [{"draws": 0}, {"chains": 0}, {"draws": -1}, {"chains": 1.5}])
def test_laplace_counts_refused(benign, kw):
    X, y = benign
    name = next(iter(kw))
    with pytest.raises(ValueError, match=f"{name} must be an integer >= 1"):
        bl.Logit(y, X).fit(method="laplace", **kw)


@pytest.mark.parametrize("factor", [1e300, 1e-300])
def test_extreme_column_magnitudes_refused_and_remedy_works(benign, factor):
    X, y = benign
    Xs = X.copy()
    Xs[:, 1] = X[:, 1] * factor
    with pytest.raises(bl.ColumnScaleError, match=r"Column 'x1' has magnitude .*divide the "
                                                  r"column by 1e(-)?\d+"):
        bl.Logit(y, Xs)
    with pytest.raises(bl.ColumnScaleError, match="subtract the constant"):
        bl.Logit(y, np.column_stack([X[:, :1], 1e200 + X[:, 1], X[:, 2]]))
    exp10 = int(np.floor(np.log10(np.abs(Xs[:, 1]).max())))
    fixed = Xs.copy()
    fixed[:, 1] = Xs[:, 1] / 10.0**exp10
    ours = bl.Logit(y, fixed).fit()
    ref = sm.Logit(y, fixed).fit(disp=0)
    np.testing.assert_allclose(ours.params, ref.params, rtol=1e-8)


def test_tiny_unit_column_converges_to_the_rescaled_mle(benign):
    X, y = benign
    ref = sm.Logit(y, X).fit(disp=0)
    Xs = X.copy()
    Xs[:, 1] *= 1e-8
    res, caught = _fit(bl.Logit(y, Xs), maxiter=100)
    assert res.converged and not caught
    np.testing.assert_allclose(res.params * [1, 1e-8, 1], ref.params, rtol=1e-7)
    np.testing.assert_allclose(res.bse * [1, 1e-8, 1], ref.bse, rtol=1e-6)
    assert res.mle_retvals["convergence_rule"] in ("absolute", "scaled")
    assert res.mle_retvals["column_scale"][1] < 1e-6


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_extreme_prior_scales_refused(scale):
    for make in (lambda s: bl.Normal(0, s), lambda s: bl.Laplace(0, s),
                 lambda s: bl.StudentT(3, 0, s), lambda s: bl.Cauchy(0, s)):
        with pytest.raises(ValueError, match=re.escape(f"={scale!r}")):
            make(scale)


def test_prior_scales_at_the_limits_work(benign):
    X, y = benign
    tight = bl.Logit(y, X, priors=bl.Normal(0, 1e-100)).fit(method="map")
    assert tight.converged and np.all(np.abs(tight.params) < 1e-150)
    wide = bl.Logit(y, X, priors=bl.Normal(0, 1e100)).fit(method="map")
    np.testing.assert_allclose(wide.params, sm.Logit(y, X).fit(disp=0).params, rtol=1e-7)


def test_autoscaled_prior_out_of_range_names_the_column(benign):
    X, y = benign
    Xs = X.copy()
    Xs[:, 1] *= 1e-120
    with pytest.raises(ValueError, match=r"Column 'x1' has standard deviation"):
        bl.Logit(y, Xs).fit(method="map")


def test_laplace_approximation_under_l1_prior_matches_exact_posterior():
    rng = np.random.default_rng(5)
    n = 60
    x = rng.normal(size=n) * 1e-3
    y = (rng.random(n) < 0.5).astype(float)
    X = np.column_stack([np.ones(n), x])
    model = bl.Logit(y, X, priors=bl.Laplace(0, 1))
    res, caught = _fit(model, method="laplace", random_seed=1, draws=2000)
    assert not caught
    # exact posterior by quadrature on a grid (the intercept prior is on the centred one)
    a = np.linspace(-3, 3, 241)
    b = np.linspace(-25, 25, 1001)
    A, B = np.meshgrid(a, b, indexing="ij")
    eta = A[..., None] + B[..., None] * x
    ll = (y * eta - np.logaddexp(0, eta)).sum(axis=-1)
    lp = -np.abs(A + B * x.mean()) - np.abs(B)
    w = np.exp(ll + lp - (ll + lp).max())
    w /= w.sum()
    mean_b = (w * B).sum()
    sd_b = np.sqrt((w * (B - mean_b) ** 2).sum())
    np.testing.assert_allclose(res.bse.iloc[1], sd_b, rtol=0.06)


def test_jeffreys_messages_name_cause_and_remedy():
    rng = np.random.default_rng(6)
    n = 100
    X = np.column_stack([np.ones(n), rng.normal(size=n)])
    y = (rng.random(n) < 0.5).astype(float)
    with pytest.raises(ValueError, match=r"max \|offset\| = 1e\+03.*priors=bl.Normal"):
        bl.Logit(y, X, offset=np.full(n, 1e3), priors=bl.Jeffreys()).fit(method="map")
    x = X[:, 1]
    Xc = np.column_stack([X, x + 1e-9 * rng.normal(size=n)])
    with pytest.raises(bl.RankDeficiencyError, match=r"\['x1', 'x2'\] are nearly collinear"):
        bl.Logit(y, Xc, priors=bl.Jeffreys()).fit(method="map")


def _benign_data(seed):
    rng = np.random.default_rng(seed)
    n = 150
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n) + 1])
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.3 + 0.7 * X[:, 1] - 0.4 * X[:, 2])))).astype(float)
    return X, y


def _compare_scaled(base, scaled, col, k, rtol):
    factor = np.ones(len(base.params))
    factor[col] = 10.0**-k
    np.testing.assert_allclose(scaled.params, base.params * factor, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(scaled.bse, base.bse * factor, rtol=rtol)
    assert scaled.converged == base.converged


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 50), col=st.integers(1, 2), k=st.integers(-6, 6))
def test_units_property_mle_and_map(seed, col, k):
    X, y = _benign_data(seed)
    Xk = X.copy()
    Xk[:, col] *= 10.0**k
    base, w0 = _fit(bl.Logit(y, X))
    ref = sm.Logit(y, X).fit(disp=0)
    np.testing.assert_allclose(base.params, ref.params, rtol=1e-8)
    np.testing.assert_allclose(base.bse, ref.bse, rtol=1e-8)
    scaled, wk = _fit(bl.Logit(y, Xk))
    _compare_scaled(base, scaled, col, k, 1e-6)
    np.testing.assert_allclose(scaled.llf, base.llf, rtol=1e-10)
    assert _categories(wk) == _categories(w0)
    base_map, m0 = _fit(bl.Logit(y, X), method="map")
    scaled_map, mk = _fit(bl.Logit(y, Xk), method="map")
    _compare_scaled(base_map, scaled_map, col, k, 1e-6)
    np.testing.assert_allclose(scaled_map.log_posterior() - k * np.log(10.0),
                               base_map.log_posterior(), rtol=1e-8)
    assert _categories(mk) == _categories(m0)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 50), k=st.integers(-6, 6))
def test_units_property_separation_verdict(seed, k):
    rng = np.random.default_rng(seed)
    n = 80
    d = rng.integers(0, 2, n).astype(float)
    z = rng.normal(size=n)
    y = np.where(d == 1, 1.0, (rng.random(n) < 0.4).astype(float))
    X = pd.DataFrame({"const": 1.0, "z": z, "d": d})
    base, w0 = _fit(bl.Logit(y, X))
    scaled, wk = _fit(bl.Logit(y, X.assign(d=d * 10.0**k)))
    assert "PerfectSeparationWarning" in _categories(w0)
    assert _categories(wk) == _categories(w0)
    assert scaled.separation.columns == base.separation.columns
    assert scaled.converged == base.converged is False


def test_importance_sampling_proposal_is_units_free(benign):
    X, y = benign
    Xk = X.copy()
    Xk[:, 1] *= 1e-6
    kw = {"sampler": "is", "draws": 200, "chains": 2, "random_seed": 3, "progressbar": False}
    base = bl.Logit(y, X).sample(**kw).summary()
    scaled = bl.Logit(y, Xk).sample(**kw).summary()
    factor = np.array([1.0, 1e-6, 1.0])
    np.testing.assert_allclose(scaled["estimate"] * factor, base["estimate"], rtol=1e-5)
    np.testing.assert_allclose(scaled["std_error"] * factor, base["std_error"], rtol=1e-5)
