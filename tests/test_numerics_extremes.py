"""Units and extreme-but-valid inputs, for every engine a result can come from.

References: statsmodels (MLE, cluster covariance), closed forms (a prior that dominates the
likelihood), and the same fit on well-scaled columns (rescaling a column must rescale only
its own coefficient).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import bayeslogit as bl


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(21)
    n = 200
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.2 + X[:, 1] - X[:, 2])))).astype(float)
    return X, y


def _scaled(X, c):
    out = X.copy()
    out[:, 1] *= c
    return out


@pytest.mark.parametrize("c", [1e8, 1e-8])
def test_normal_draws_do_not_depend_on_units(data, c):
    X, y = data
    unit = np.array([1.0, c, 1.0])
    ref = bl.Logit(y, X).fit(method="laplace", random_seed=5)
    got = bl.Logit(y, _scaled(X, c)).fit(method="laplace", random_seed=5)
    np.testing.assert_allclose(got.draws * unit, ref.draws, rtol=1e-7, atol=1e-12)
    mle_ref = bl.Logit(y, X).fit().to_arviz()["posterior"]["beta"].values
    mle = bl.Logit(y, _scaled(X, c)).fit().to_arviz()["posterior"]["beta"].values
    np.testing.assert_allclose(mle * unit, mle_ref, rtol=1e-7, atol=1e-12)


def test_asymptotic_draws_match_statsmodels_within_monte_carlo_error(data):
    X, y = data
    sm_bse = sm.Logit(y, X).fit(disp=0).bse
    draws = bl.Logit(y, _scaled(X, 1e8)).fit().to_arviz()["posterior"]["beta"].values
    sd = draws.reshape(-1, 3).std(axis=0, ddof=1) * [1, 1e8, 1]
    m = draws.shape[0] * draws.shape[1]
    # sd of a normal sample sd is sd / sqrt(2 (m - 1)); 4 of those
    assert np.all(np.abs(sd / sm_bse - 1) < 4 / np.sqrt(2 * (m - 1)))


@pytest.mark.parametrize("c", [1e16, 1e100, 1e-20, 1e-149])
def test_firth_does_not_depend_on_units(data, c):
    X, y = data
    ref = bl.Logit(y, X, priors=bl.Jeffreys()).fit(method="map")
    got = bl.Logit(y, _scaled(X, c), priors=bl.Jeffreys()).fit(method="map")
    assert got.converged
    np.testing.assert_allclose(got.params * [1, c, 1], ref.params, rtol=1e-8)


@pytest.mark.parametrize("prior", [bl.StudentT(3, 0, 1e-90), bl.Cauchy(0, 1e-90)])
def test_tiny_heavy_tailed_prior_gives_the_prior_curvature(data, prior):
    X, y = data
    nu = 1.0 if isinstance(prior, bl.Cauchy) else 3.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = bl.Logit(y, X, priors=prior).fit(method="laplace", random_seed=1)
    # the prior dominates: at its centre -d2 log p = (nu + 1) / (nu s^2) for slopes
    expected = 1e-90 * np.sqrt(nu / (nu + 1))
    np.testing.assert_allclose(res.mode.bse.iloc[1:], expected, rtol=1e-6)


def test_gibbs_under_a_tiny_laplace_prior_samples_the_prior(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        post = bl.Logit(y, X, priors={"x1": bl.Laplace(0, 1e-100), "x2": bl.Laplace(0, 1e-100),
                                      "const": bl.Normal(0, 2.5)}).sample(
            sampler="gibbs", draws=2000, chains=1, random_seed=3, progressbar=False)
    # the likelihood is flat on this scale: the posterior is the Laplace prior, sd sqrt(2) b
    sd = post.draws[0, :, 1:].std(axis=0, ddof=1) / (np.sqrt(2) * 1e-100)
    assert np.all(np.abs(sd - 1) < 0.2)  # sample-sd error of a Laplace is ~3.5% at m = 2000


def test_gibbs_under_a_huge_laplace_prior_matches_importance_sampling_flat(data):
    X, y = data
    gibbs = bl.Logit(y, X, priors=bl.Laplace(0, 1e100)).sample(
        sampler="gibbs", draws=1000, chains=2, random_seed=4, progressbar=False).summary()
    isamp = bl.Logit(y, X, priors=bl.Flat()).sample(
        sampler="is", draws=1000, chains=2, random_seed=4, progressbar=False).summary()
    se = np.sqrt(gibbs["mcse_mean"] ** 2 + isamp["mcse_mean"] ** 2)
    assert np.all(np.abs(gibbs["estimate"] - isamp["estimate"]) < 4.5 * se)


def test_cluster_groups_series_is_matched_by_index(data):
    X, y = data
    rng = np.random.default_rng(2)
    index = pd.Index(rng.permutation(len(y)) + 1000)
    Xd = pd.DataFrame(X, columns=["c", "x", "z"], index=index)
    ys = pd.Series(y, index=index)
    g = pd.Series(rng.integers(0, 20, len(y)), index=index)
    ref = sm.Logit(ys, Xd).fit(disp=0, cov_type="cluster", cov_kwds={"groups": g.to_numpy()})
    got = bl.Logit(ys, Xd).fit(cov_type="cluster",
                               cov_kwds={"groups": g.sample(frac=1, random_state=1)})
    np.testing.assert_allclose(got.bse, ref.bse, rtol=1e-10)
    # after missing="drop", a Series covering every original row loses the dropped rows too
    Xm = Xd.copy()
    Xm.iloc[[3, 50], 1] = np.nan
    keep = Xm.notna().all(axis=1)
    ref = sm.Logit(ys[keep], Xm[keep]).fit(disp=0, cov_type="cluster",
                                          cov_kwds={"groups": g[keep].to_numpy()})
    got = bl.Logit(ys, Xm, missing="drop").fit(cov_type="cluster", cov_kwds={"groups": g})
    np.testing.assert_allclose(got.bse, ref.bse, rtol=1e-10)
    with pytest.raises(bl.ColumnMismatchError, match="2 rows were dropped"):
        bl.Logit(ys, Xm, missing="drop").fit(cov_type="cluster",
                                             cov_kwds={"groups": g.to_numpy()})


@pytest.mark.parametrize("settings", [{"ridge_factor": 1e10}, {"tol": 1e6}])
def test_a_stopping_rule_met_too_early_is_not_converged(data, settings):
    X, y = data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = bl.Logit(y, X).fit(**settings)
    assert res.converged is False
    text = " ".join(str(w.message) for w in caught)
    assert "not the MLE" in text and "fit(tol=1e-8, ridge_factor=1e-10)" in text
    # the remedy, pasted, gives statsmodels' MLE
    ref = sm.Logit(y, X).fit(disp=0)
    np.testing.assert_allclose(bl.Logit(y, X).fit(tol=1e-8, ridge_factor=1e-10).params,
                               ref.params, rtol=1e-8)


def test_solver_settings_must_be_numbers(data):
    X, y = data
    with pytest.raises(ValueError, match="tol must be a positive finite number, got '1e-8'"):
        bl.Logit(y, X).fit(tol="1e-8")
