"""Posterior results: NUTS vs Gibbs vs importance sampling on one model, log_prior, reuse.

One mixed-prior model (Normal, Laplace and StudentT families, with an offset) compiles once;
every sampler is compared with the others within Monte Carlo error computed from ESS.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy import stats

import bayeslogit as bl

MIXED = {"Intercept": bl.Normal(0, 2.5), "GPA": bl.Laplace(0, 1.0),
         "TUCE": bl.StudentT(4, 0, 0.5), "PSI": bl.Normal(0, 2.0)}


@pytest.fixture(scope="module")
def model(spector):
    offset = np.linspace(-0.5, 0.5, len(spector))
    return bl.Logit.from_formula("GRADE ~ GPA + TUCE + PSI", spector, priors=MIXED,
                                 offset=offset)


@pytest.fixture(scope="module")
def nuts(model):
    t0 = time.perf_counter()
    r = model.sample(draws=1000, tune=500, chains=4, sampler="nuts", random_seed=11)
    r.first_call_seconds = time.perf_counter() - t0
    return r


@pytest.fixture(scope="module")
def gibbs(model):
    return model.sample(draws=2000, tune=500, chains=4, sampler="gibbs", random_seed=12)


@pytest.fixture(scope="module")
def importance(model):
    return model.sample(draws=1000, chains=4, sampler="is", random_seed=13)


def _agree(a, b, z=4.0):
    """Means and sds agree within z Monte Carlo standard errors (ESS-based)."""
    sa, sb = a.summary(), b.summary()
    se = np.sqrt(sa["mcse_mean"] ** 2 + sb["mcse_mean"] ** 2)
    assert np.all(np.abs(sa["estimate"] - sb["estimate"]) <= z * se), (sa, sb)
    ess = np.minimum(sa["ess_bulk"], sb["ess_bulk"])
    # sd of a sample sd ~ sd / sqrt(2 ESS) for near-normal marginals
    se_sd = np.sqrt(sa["std_error"] ** 2 / (2 * sa["ess_bulk"]) +
                    sb["std_error"] ** 2 / (2 * sb["ess_bulk"]))
    assert np.all(np.abs(sa["std_error"] - sb["std_error"]) <= z * se_sd * 1.5), (sa, sb, ess)


def test_nuts_and_gibbs_agree(nuts, gibbs):
    _agree(nuts, gibbs)


def test_importance_agrees_with_gibbs(importance, gibbs):
    assert importance.info["khat"] < 0.7
    _agree(importance, gibbs)


def test_summary_columns_and_diagnostics(nuts):
    s = nuts.summary(ci_prob=0.9, ci_kind="hdi")
    assert list(s.columns) == ["estimate", "std_error", "ci_lower", "ci_upper", "ess_bulk",
                               "ess_tail", "r_hat", "mcse_mean"]
    assert (s["ci_lower"] < s["estimate"]).all() and (s["estimate"] < s["ci_upper"]).all()
    assert (s["r_hat"] < 1.01).all()
    text = str(nuts)
    assert "nuts" in text and "Divergences" in text and "Laplace(mu=0, b=1)" in text


def test_log_prior_group_equals_scipy(nuts, model):
    tree = nuts.to_arviz()
    assert {"posterior", "sample_stats", "log_likelihood", "log_prior", "observed_data",
            "constant_data"} <= set(tree.children)
    beta = tree["posterior"]["beta"].values
    xbar = model.design.X[:, 1:].mean(axis=0)
    centred = beta[..., 0] + beta[..., 1:] @ xbar
    expected = np.stack([
        stats.norm(0, 2.5).logpdf(centred),
        stats.laplace(0, 1.0).logpdf(beta[..., 1]),
        stats.t(4, 0, 0.5).logpdf(beta[..., 2]),
        stats.norm(0, 2.0).logpdf(beta[..., 3]),
    ], axis=-1)
    np.testing.assert_allclose(tree["log_prior"]["beta"].values, expected, rtol=1e-10)
    eta = beta @ model.design.X.T + model.design.offset
    y = model.design.y
    ll = y * eta - np.logaddexp(0, eta)
    np.testing.assert_allclose(tree["log_likelihood"]["y"].values, ll, rtol=1e-10, atol=1e-12)


def test_compile_reuse_and_prior_swap(model, nuts):
    sampler = model.compiled_samplers["nuts"]
    t0 = time.perf_counter()
    again = model.sample(draws=500, tune=300, chains=4, sampler="nuts", random_seed=11)
    second = time.perf_counter() - t0
    assert sampler.n_compilations == 1
    assert second * 3 < nuts.first_call_seconds
    tight = model.with_priors({**MIXED, "PSI": bl.Normal(0, 0.1)})
    assert tight.compiled_samplers["nuts"] is sampler  # shared, not recompiled
    r = tight.sample(draws=500, tune=300, chains=4, sampler="nuts", random_seed=1)
    assert sampler.n_compilations == 1
    assert r.bse["PSI"] < 0.2 < again.bse["PSI"]
    # the shared sampler takes each model's own priors: the first model's draws are unchanged
    back = model.sample(draws=500, tune=300, chains=4, sampler="nuts", random_seed=11)
    np.testing.assert_array_equal(back.draws, again.draws)


def test_seed_reproducible(model):
    a = model.sample(draws=200, tune=100, chains=2, sampler="gibbs", random_seed=5)
    b = model.sample(draws=200, tune=100, chains=2, sampler="gibbs", random_seed=5)
    np.testing.assert_array_equal(a.draws, b.draws)


def test_predict_from_draws(nuts, model, spector):
    p = nuts.predict()
    assert p.shape == (model.nobs,) and ((p > 0) & (p < 1)).all()
    draws = nuts.predict(spector.iloc[:5], kind="draws", offset=0)
    assert draws.shape == (4, 1000, 5)
    with pytest.raises(ValueError, match="does not apply to kind='draws'"):
        nuts.predict(spector.iloc[:5], kind="draws", offset=0, ci_prob=0.9)
    ci = nuts.predict(spector.iloc[:5], ci_prob=0.9, offset=0)
    np.testing.assert_allclose(ci["estimate"], draws.mean(axis=(0, 1)), rtol=1e-12)
    np.testing.assert_allclose(ci["ci_lower"], np.quantile(draws.reshape(-1, 5), 0.05, axis=0))
    lin = nuts.predict(spector.iloc[:5], kind="linear", offset=0)
    beta = nuts.draws.reshape(-1, 4)
    X = model.design.X[:5]
    np.testing.assert_allclose(lin, (beta @ X.T).mean(axis=0), rtol=1e-10)
    yrep = nuts.posterior_predictive(random_seed=0)
    assert yrep.shape == (4, 1000, model.nobs) and set(np.unique(yrep)) <= {0, 1}


def test_loo_and_power_scaling(gibbs):
    loo = gibbs.loo()
    assert np.isfinite(loo.elpd)
    ps = gibbs.power_scaling()
    assert list(ps.columns[:2]) == ["prior", "likelihood"] and len(ps) == 4


def test_auto_records_choice(model):
    r = model.sample(draws=500, chains=4, random_seed=3)
    assert "reason" in r.info and r.info["sampler"] in str(r)


def test_prior_predictive(model):
    pp = model.sample_prior_predictive(draws=200, random_seed=1)
    assert pp["prior"]["beta"].shape == (1, 200, 4)
    assert pp["prior_predictive"]["y"].shape == (1, 200, model.nobs)
    sd = pp["prior"]["beta"].values[0, :, 3].std()
    assert 1.6 < sd < 2.4  # Normal(0, 2) prior on PSI


def test_flat_priors_on_separated_data_refused():
    x = np.linspace(-1, 1, 30)
    y = (x > 0).astype(float)
    m = bl.Logit(y, np.c_[np.ones(30), x], priors=bl.Flat())
    with pytest.raises(ValueError, match="improper"):
        m.sample(sampler="gibbs", draws=100, tune=100)


def quasi_separated_cauchy_model(n: int = 60) -> bl.Logit:
    """d == 1 always has y == 1 (quasi-separation) under a wide Cauchy prior: a heavy-tailed
    posterior on which importance sampling must be rejected."""
    rng = np.random.default_rng(7)
    d = rng.integers(0, 2, n)
    z = rng.standard_normal(n)
    y = np.where(d == 1, 1.0, (rng.random(n) < 0.4).astype(float))
    return bl.Logit(y, np.c_[np.ones(n), z, d], priors=bl.Cauchy(0, 10))


def test_khat_rejects_and_auto_falls_back():
    m = quasi_separated_cauchy_model()
    r = m.sample(draws=300, tune=300, chains=4, random_seed=2, progressbar=False)
    assert "importance sampling rejected" in r.info["reason"]
    assert r.info["sampler"].startswith("gibbs")
    assert "Auto choice" in str(r)


def test_auto_prefers_nuts_above_gibbs_size_limit(monkeypatch):
    """Above GIBBS_MAX_NOBS a rejected importance sampler falls back to NUTS, not Gibbs
    (the decision only; nothing is compiled)."""
    from bayeslogit.estimation import posterior as sampling

    m = quasi_separated_cauchy_model()
    n = m.nobs
    monkeypatch.setattr(sampling, "GIBBS_MAX_NOBS", n - 1)
    choice, reason, drawn = sampling.choose_sampler(m, 300, 4, 2)
    assert choice == "nuts" and drawn is None
    assert "importance sampling rejected" in reason and f"n > {n - 1}" in reason


def test_to_pymc_and_power_scaling_plot(model, gibbs):
    pm_model = model.to_pymc()
    assert list(pm_model.coords["coef"]) == model.exog_names
    fig = gibbs.plot_power_scaling()
    assert fig is not None
