"""PyMC model builder and the compile-once nutpie NUTS sampler.

Reference posteriors are computed here by importance sampling from a multivariate-t proposal
at the mode, with the log prior written with scipy.stats on the centred intercept and the
Bernoulli log-likelihood with ``np.logaddexp`` (none of bayeslogit's density code). NUTS agrees
when ``|m_nuts - m_ref| <= 4 * sqrt(mcse_nuts^2 + se_ref^2)`` for the mean and the sd, with the
NUTS MCSEs from ArviZ (ESS based). Compilation is slow, so one sampler is compiled per module
and reused; the test that changes the prior families (a recompile) runs last.
"""

import subprocess
import sys
import time

import arviz as az
import numpy as np
import pytest
from reference import scipy_logpdf
from scipy import optimize, stats

from bayeslogit.engines.nuts import (
    NutsSampler,
    build_pymc_model,
    prior_data,
    sample_prior_predictive,
)
from bayeslogit.engines.outputs import Draws
from bayeslogit.logistic import loglike
from bayeslogit.priors import Cauchy, Flat, Jeffreys, Laplace, Normal, StudentT, resolve_priors

NAMES = ("Intercept", "GPA", "TUCE", "PSI")
Z = 4.0
RUN = {"draws": 500, "tune": 500, "chains": 4}


@pytest.fixture(scope="module")
def data(spector):
    X = np.column_stack([np.ones(len(spector)), spector[["GPA", "TUCE", "PSI"]].to_numpy(float)])
    return X, spector["GRADE"].to_numpy(float)


def log_post(B, X, y, logpriors, xbar):
    """Log posterior of coefficient rows B; priors apply to the centred intercept."""
    eta = B @ X.T
    ll = (y * eta - np.logaddexp(0.0, eta)).sum(-1)
    theta = B.copy()
    theta[..., 0] = B[..., 0] + B[..., 1:] @ xbar
    return ll + sum(f(theta[..., j]) for j, f in enumerate(logpriors))


def reference(X, y, priors, draws=100_000, seed=0):
    """Posterior mean, sd and their standard errors by importance sampling."""
    xbar = X[:, 1:].mean(0)
    priors = [scipy_logpdf(p) for p in priors]
    res = optimize.minimize(lambda b: -log_post(b[None], X, y, priors, xbar)[0],
                            np.zeros(X.shape[1]), method="Nelder-Mead",
                            options={"maxiter": 20000, "xatol": 1e-8, "fatol": 1e-10})
    p = 1 / (1 + np.exp(-X @ res.x))
    cov = 1.5 * np.linalg.inv((X * (p * (1 - p))[:, None]).T @ X + 1e-3 * np.eye(X.shape[1]))
    prop = stats.multivariate_t(res.x, cov, df=5, seed=seed)
    B = prop.rvs(draws)
    logw = log_post(B, X, y, priors, xbar) - prop.logpdf(B)
    w = np.exp(logw - logw.max())
    w /= w.sum()
    ess = 1 / np.sum(w**2)
    mean = w @ B
    sd = np.sqrt(w @ (B - mean) ** 2)
    return mean, sd, sd / np.sqrt(ess), sd / np.sqrt(2 * ess)


def assert_agrees(beta, ref):
    mean, sd, se_mean, se_sd = ref
    for j in range(beta.shape[-1]):
        b = beta[..., j]
        z_mean = abs(b.mean() - mean[j]) / np.hypot(az.mcse(b, method="mean"), se_mean[j])
        z_sd = abs(b.std() - sd[j]) / np.hypot(az.mcse(b, method="sd"), se_sd[j])
        assert z_mean < Z and z_sd < Z, (NAMES[j], b.mean(), mean[j], b.std(), sd[j])


@pytest.fixture(scope="module")
def normal_ps(data):
    return resolve_priors(None, NAMES, data[0], 0)  # defaults: Normal on the centred intercept


@pytest.fixture(scope="module")
def fitted(data, normal_ps):
    X, y = data
    sampler = NutsSampler(X, y, None, NAMES, normal_ps, endog_name="GRADE")
    t0 = time.perf_counter()
    first = sampler.sample(**RUN, random_seed=11)
    return sampler, first, time.perf_counter() - t0


def test_module_import_does_not_import_pymc():
    code = "import sys, bayeslogit.engines.nuts; assert 'pymc' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_model_names_and_coords(data):
    X, y = data
    ps = resolve_priors({"GPA": Laplace(0, 1), "TUCE": StudentT(3, 0, 0.5), "PSI": Cauchy(0, 1)},
                        NAMES, X, 0)
    m = build_pymc_model(X, y, None, NAMES, ps, endog_name="GRADE")
    assert tuple(m.coords["coef"]) == NAMES and len(m.coords["obs"]) == len(y)
    assert tuple(m.coords["coef_laplace"]) == ("GPA",)
    assert {v.name for v in m.free_RVs} == {"theta_normal", "theta_laplace", "theta_studentt",
                                            "theta_cauchy"}
    data_names = {v.name for v in m.data_vars}
    assert data_names == {"X", "y_data", "offset", "center", *prior_data(ps)}
    assert {"prior_studentt_nu", "prior_cauchy_gamma", "prior_laplace_b"} <= data_names
    np.testing.assert_allclose(m["center"].get_value(), [0, *X[:, 1:].mean(0)])
    assert m.named_vars_to_dims["beta"] == ("coef",)
    assert [v.name for v in m.observed_RVs] == ["GRADE"]


def _check_logp(model, ps, X, y, offset, extra, rng):
    logp = model.compile_logp()
    for _ in range(3):
        beta = rng.normal(0, 1, X.shape[1]) * [3, 1, 0.1, 1]
        theta = ps.to_working(beta)
        point = {}
        for fam in ("normal", "laplace", "studentt", "cauchy", "flat"):
            idx = [j for j, p in enumerate(ps.priors)
                   if type(p).__name__.lower() == fam or (ps.jeffreys and fam == "flat")]
            if idx:
                point[f"theta_{fam}"] = theta[idx]
        want = extra(beta) + (0.0 if ps.jeffreys else ps.logpdf(beta))
        np.testing.assert_allclose(logp(point), want, rtol=1e-10)


def test_logp_equals_numpy_log_posterior(data):
    X, y = data
    rng = np.random.default_rng(1)
    offset = rng.normal(0, 0.5, len(y))
    ps = resolve_priors({"Intercept": Flat(), "GPA": Laplace(0.5, 1), "TUCE": StudentT(3, 0, 0.5),
                         "PSI": Cauchy(0, 2)}, NAMES, X, 0)
    m = build_pymc_model(X, y, offset, NAMES, ps)
    _check_logp(m, ps, X, y, offset, lambda b: loglike(b, X, y, offset), rng)


def test_jeffreys_and_fractional_models_have_the_right_logp(data):
    X, y = data
    rng = np.random.default_rng(2)
    jp = resolve_priors(Jeffreys(), NAMES, X, 0)
    mj = build_pymc_model(X, y, None, NAMES, jp)
    assert [v.name for v in mj.potentials] == ["jeffreys"]

    def jeffreys(b):
        p = 1 / (1 + np.exp(-X @ b))
        return loglike(b, X, y, None) + 0.5 * np.linalg.slogdet((X.T * (p * (1 - p))) @ X)[1]

    _check_logp(mj, jp, X, y, None, jeffreys, rng)
    yf = np.clip(y * 0.8 + rng.uniform(0, 0.2, len(y)), 0, 1)
    ps = resolve_priors(Normal(0, 2), NAMES, X, 0)
    mf = build_pymc_model(X, yf, None, NAMES, ps)
    assert not mf.observed_RVs and [v.name for v in mf.potentials] == ["y"]
    _check_logp(mf, ps, X, yf, None, lambda b: loglike(b, X, yf, None), rng)


def test_nuts_matches_importance_sampling(data, normal_ps, fitted):
    X, y = data
    _, first, _ = fitted
    assert isinstance(first, Draws) and first.beta.shape == (4, 500, 4)
    assert first.info["compile_time"] > 0 and first.info["tune"] == 500
    for key in ("diverging", "energy", "tree_depth", "step_size", "n_steps", "lp"):
        assert first.sample_stats[key].shape == (4, 500)
    assert not first.sample_stats["diverging"].any()
    assert_agrees(first.beta, reference(X, y, normal_ps.priors))


def test_compiled_model_is_reused(fitted, normal_ps):
    sampler, _, first_time = fitted
    t0 = time.perf_counter()
    out = sampler.sample(**RUN, random_seed=12, prior_set=normal_ps)
    assert time.perf_counter() - t0 < first_time / 5
    assert out.info["compile_time"] == 0 and sampler.n_compilations == 1


def test_same_seed_same_draws(fitted, normal_ps):
    sampler = fitted[0]
    a, b, c = (sampler.sample(draws=100, tune=100, chains=2, random_seed=s, prior_set=normal_ps)
               for s in (5, 5, 6))
    np.testing.assert_array_equal(a.beta, b.beta)
    assert not np.array_equal(a.beta, c.beta)
    with pytest.raises(TypeError, match="bogus"):
        sampler.sample(draws=10, tune=10, chains=1, bogus=1)


def test_prior_swap_without_recompiling(data, normal_ps, fitted):
    X, y = data
    sampler, first, _ = fitted
    tight = resolve_priors(Normal(0, 0.25), NAMES, X, 0)
    out = sampler.sample(**RUN, random_seed=13, prior_set=tight)
    assert sampler.n_compilations == 1
    assert np.all(out.beta[..., 1:].std((0, 1)) < first.beta[..., 1:].std((0, 1)))
    np.testing.assert_array_equal(sampler.model()["prior_normal_sigma"].get_value(), [0.25] * 4)
    assert_agrees(out.beta, reference(X, y, tight.priors))


def test_data_swap_without_recompiling(data, normal_ps, fitted):
    X, y = data
    sampler = fitted[0]
    rows = np.random.default_rng(3).integers(0, len(y), len(y))
    for Xn, yn in ((X[rows], y[rows]), (np.vstack([X, X]), np.concatenate([y, y]))):
        out = sampler.sample(**RUN, random_seed=14, prior_set=normal_ps, X=Xn, y=yn)
        assert sampler.n_compilations == 1 and out.beta.shape == (4, 500, 4)
        assert_agrees(out.beta, reference(Xn, yn, normal_ps.priors))
    assert len(sampler.model().coords["obs"]) == 2 * len(y)
    sampler.sample(draws=10, tune=10, chains=1, prior_set=normal_ps, X=X, y=y)  # restore


def test_prior_predictive(data, normal_ps):
    X, y = data
    pp = sample_prior_predictive(X, y, None, NAMES, normal_ps, draws=1000, random_seed=4)
    assert pp["beta"].shape == (1, 1000, 4) and pp["y"].shape == (1, 1000, len(y))
    assert set(np.unique(pp["y"])) <= {0.0, 1.0}
    theta_sd = normal_ps.to_working(pp["beta"][0]).std(0)
    np.testing.assert_allclose(theta_sd, [p.sigma for p in normal_ps.priors], rtol=0.1)
    flat = resolve_priors({"GPA": Flat()}, NAMES, X, 0)
    with pytest.raises(ValueError, match="GPA"):
        sample_prior_predictive(X, y, None, NAMES, flat)
    with pytest.raises(ValueError, match="Jeffreys"):
        sample_prior_predictive(X, y, None, NAMES, resolve_priors(Jeffreys(), NAMES, X, 0))


def test_bad_input_is_rejected(data, normal_ps):
    X, y = data
    with pytest.raises(ValueError, match="names"):
        build_pymc_model(X, y, None, NAMES[:3], normal_ps)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        build_pymc_model(X, y * 2, None, NAMES, normal_ps)
    with pytest.raises(ValueError, match="offset"):
        NutsSampler(X, y, np.zeros(3), NAMES, normal_ps)
    with pytest.raises(ValueError, match="draws"):
        NutsSampler(X, y, None, NAMES, normal_ps).sample(draws=0)


def test_family_change_recompiles(data, fitted):
    X, y = data
    sampler = fitted[0]
    lap = resolve_priors({"GPA": Laplace(0, 0.5)}, NAMES, X, 0)
    out = sampler.sample(**RUN, random_seed=15, prior_set=lap, X=X, y=y)
    assert sampler.n_compilations == 2 and out.info["compile_time"] > 0
    assert "theta_laplace" in {v.name for v in sampler.model().free_RVs}
    assert_agrees(out.beta, reference(X, y, lap.priors))
