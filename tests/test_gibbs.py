"""Polya-Gamma Gibbs sampler against independent reference posteriors.

References are computed here without bayeslogit's prior or likelihood code: log priors from
scipy.stats, the Bernoulli log-likelihood with ``np.logaddexp``. Agreement is judged within
Monte Carlo error, ``|mean_gibbs - mean_ref| <= 4 * sqrt(mcse_gibbs^2 + mcse_ref^2)``, with
the Gibbs MCSE from ArviZ (ESS-based) and the reference MCSE zero for quadrature and the
self-normalised importance-sampling standard error otherwise.
"""

import arviz as az
import numpy as np
import pytest
import statsmodels.api as sm
from reference import scipy_logpdf
from scipy import stats

from bayeslogit.engines.gibbs import _inverse_gaussian, gibbs_sample, gibbs_supported
from bayeslogit.engines.outputs import Draws
from bayeslogit.errors import UnsupportedPriorError
from bayeslogit.priors import Cauchy, Flat, Jeffreys, Laplace, Normal, StudentT
from bayeslogit.spec.prior_set import resolve_priors

Z = 4.0


def loglik(B, X, y, offset):
    """Bernoulli log-likelihood for coefficient vectors in the last axis of B."""
    eta = B @ X.T + (0.0 if offset is None else offset)
    return (y * eta - np.logaddexp(0.0, eta)).sum(-1)


def assert_within_mc(draws, ref_mean, ref_sd, ref_mcse=None, check_sd=True):
    mcse = az.mcse(draws, method="mean")
    ref_mcse = np.zeros_like(mcse) if ref_mcse is None else ref_mcse
    err = np.abs(draws.mean(axis=(0, 1)) - ref_mean)
    bound = Z * np.hypot(mcse, ref_mcse)
    assert np.all(err <= bound), (draws.mean(axis=(0, 1)), ref_mean, bound)
    if check_sd:
        err_sd = np.abs(draws.std(axis=(0, 1)) - ref_sd)
        bound_sd = Z * az.mcse(draws, method="sd")
        assert np.all(err_sd <= bound_sd), (draws.std(axis=(0, 1)), ref_sd, bound_sd)


# --- two-coefficient models: exact moments by quadrature ---------------------------------


def synthetic(n=40, intercept=True, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(1.5, 1.0, n)
    if intercept:
        X = np.column_stack([np.ones(n), x])
        eta = -0.5 + 1.0 * x
    else:
        X = np.column_stack([x - 1.5, rng.normal(0.0, 1.0, n)])
        eta = X @ np.array([1.0, -0.7])
    offset = rng.normal(0.0, 0.5, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(eta + offset)))).astype(float)
    return X, y, offset


def quadrature_moments(X, y, offset, prior_set, points=401):
    """Posterior mean and sd of beta by a Riemann sum on a grid in the working coordinates.

    The grid spans +-10 posterior sd (found by a coarse first pass); with rapidly decaying
    integrands the sum converges much faster than the Monte Carlo error it is compared to,
    which a second, coarser grid confirms.
    """
    lp = [scipy_logpdf(p) for p in prior_set.priors]
    c = prior_set.center

    def moments(g0, g1):
        T0, T1 = np.meshgrid(g0, g1, indexing="ij")
        theta = np.stack([T0, T1], axis=-1)
        beta = prior_set.from_working(theta) if prior_set.intercept_index is not None else theta
        # from_working is checked too: rebuild beta by hand and compare
        if prior_set.intercept_index == 0:
            np.testing.assert_allclose(beta[..., 0], T0 - c[1] * T1)
        logp = loglik(beta, X, y, offset) + lp[0](T0) + lp[1](T1)
        w = np.exp(logp - logp.max())
        w /= w.sum()
        mean = np.einsum("ij,ijk->k", w, beta)
        sd = np.sqrt(np.einsum("ij,ijk->k", w, (beta - mean) ** 2))
        tmean = np.einsum("ij,ijk->k", w, theta)
        tsd = np.sqrt(np.einsum("ij,ijk->k", w, (theta - tmean) ** 2))
        return mean, sd, tmean, tsd

    coarse = np.linspace(-12, 12, 241)
    _, _, tm, ts = moments(coarse, coarse)
    grids = [np.linspace(tm[j] - 10 * ts[j], tm[j] + 10 * ts[j], points) for j in range(2)]
    mean, sd, _, _ = moments(*grids)
    check = [np.linspace(g[0], g[-1], (points * 3) // 4) for g in grids]
    mean2, sd2, _, _ = moments(*check)
    np.testing.assert_allclose(mean, mean2, atol=1e-4 * sd.max())
    np.testing.assert_allclose(sd, sd2, atol=1e-4 * sd.max())
    return mean, sd


CASES = {
    "normal+offset": (True, {"Intercept": Normal(0.0, 2.0), "x": Normal(0.5, 0.8)}, True),
    "laplace+offset": (True, {"Intercept": Normal(0.0, 2.5), "x": Laplace(0.2, 0.3)}, True),
    "studentt": (True, {"Intercept": StudentT(4.0, 0.0, 1.0), "x": StudentT(3.0, 0.0, 0.5)}, False),
    "cauchy+offset": (True, {"Intercept": Cauchy(0.0, 1.0), "x": Cauchy(0.0, 0.3)}, True),
    "flat-intercept+laplace": (True, {"Intercept": Flat(), "x": Laplace(0.0, 0.5)}, True),
    "no-intercept": (False, {"x": Laplace(0.0, 0.4), "z": StudentT(5.0, 0.3, 0.5)}, True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_matches_quadrature(case):
    intercept, priors, use_offset = CASES[case]
    X, y, offset = synthetic(intercept=intercept)
    offset = offset if use_offset else None
    names = ("Intercept", "x") if intercept else ("x", "z")
    ps = resolve_priors(priors, names, X, 0 if intercept else None)
    ref_mean, ref_sd = quadrature_moments(X, y, offset, ps)
    res = gibbs_sample(X, y, offset, ps, draws=3000, tune=300, chains=4, random_seed=11)
    assert_within_mc(res.beta, ref_mean, ref_sd)


# --- Spector (k = 4, raw columns, centred intercept prior): importance sampling -----------


@pytest.fixture(scope="module")
def spector():
    d = sm.datasets.spector.load_pandas().data
    X = np.column_stack([np.ones(len(d)), d[["GPA", "TUCE", "PSI"]].to_numpy(float)])
    y = d["GRADE"].to_numpy(float)
    fit = sm.Logit(y, X).fit(disp=0)
    return X, y, fit.params, fit.cov_params()


def importance_reference(X, y, prior_set, loc, cov, size=100_000, seed=5):
    """Self-normalised importance sampling with a multivariate t(4) proposal.

    A pilot run around the MLE (covariance x 2.25) gives the weighted mean and covariance
    that centre and scale the final proposal (covariance x 1.5), so shrinkage priors that
    move the posterior away from the MLE still get a well-fitted proposal.
    """
    rng = np.random.default_rng(seed)
    center = X[:, 1:].mean(axis=0)

    def weighted(loc, shape, m):
        prop = stats.multivariate_t(loc=loc, shape=shape, df=4, seed=rng)
        B = prop.rvs(m)
        theta = B.copy()
        theta[:, 0] += B[:, 1:] @ center  # centred intercept, written out here
        logp = loglik(B, X, y, None) - prop.logpdf(B)
        for j, prior in enumerate(prior_set.priors):
            logp += scipy_logpdf(prior)(theta[:, j])
        w = np.exp(logp - logp.max())
        return B, w / w.sum()

    B, w = weighted(loc, 2.25 * cov, size // 5)
    mean = w @ B
    B, w = weighted(mean, 1.5 * np.cov(B.T, aweights=w), size)
    assert 1.0 / (w**2).sum() > 0.3 * size  # the proposal fits: IS efficiency above 30 %
    mean = w @ B
    mcse = np.sqrt((w**2) @ (B - mean) ** 2)
    return mean, mcse


@pytest.mark.parametrize(
    "priors",
    [None, {"GPA": Laplace(0.0, 0.5), "TUCE": Laplace(0.0, 0.05), "PSI": Laplace(0.0, 0.5)},
     Flat(), StudentT(3.0, 0.0, 1.0)],
    ids=["default", "laplace", "flat", "studentt"],
)
def test_spector_matches_importance_sampling(spector, priors):
    X, y, mle, cov = spector
    ps = resolve_priors(priors, ("Intercept", "GPA", "TUCE", "PSI"), X, 0)
    ref_mean, ref_mcse = importance_reference(X, y, ps, mle, cov)
    res = gibbs_sample(X, y, None, ps, draws=3000, tune=500, chains=4, random_seed=2)
    assert_within_mc(res.beta, ref_mean, None, ref_mcse, check_sd=False)
    assert np.all(az.rhat(res.beta) < 1.01)


# --- prior-only limit (no rows) -------------------------------------------------------------


def test_no_rows_recovers_the_prior():
    priors = {"a": Normal(1.0, 2.0), "b": Laplace(0.5, 1.5), "c": StudentT(5.0, -1.0, 0.7),
              "d": Cauchy(2.0, 0.5)}
    names = tuple(priors)
    X = np.empty((0, 4))
    ps = resolve_priors(priors, names, X, None)
    res = gibbs_sample(X, np.empty(0), None, ps, draws=4000, tune=100, chains=4, random_seed=0)
    b = res.beta
    mean = np.array([1.0, 0.5, -1.0])
    sd = np.array([2.0, np.sqrt(2) * 1.5, 0.7 * np.sqrt(5 / 3)])
    assert_within_mc(b[..., :3], mean, sd)
    # the Cauchy has no moments: compare quartiles, MC error from the indicator's ESS
    q = stats.cauchy(2.0, 0.5).ppf([0.25, 0.5, 0.75])
    ind = (b[..., 3:4] <= q).astype(float)
    assert np.all(np.abs(ind.mean(axis=(0, 1)) - [0.25, 0.5, 0.75]) <= Z * az.mcse(ind))
    assert set(res.latent) == {"tau2", "lambda"}
    # latent tau2 ~ Exp(rate 1/(2 b^2)) marginally: mean 2 b^2
    tau2 = res.latent["tau2"][..., 1:2]
    assert abs(tau2.mean() - 2 * 1.5**2) <= Z * az.mcse(tau2)[0]
    # lambda ~ Gamma(nu/2, rate nu/2) marginally: mean 1
    lam = res.latent["lambda"][..., 2:3]
    assert abs(lam.mean() - 1.0) <= Z * az.mcse(lam)[0]
    assert np.all(np.isnan(res.latent["tau2"][..., [0, 2, 3]]))


def test_inverse_gaussian_matches_scipy():
    rng = np.random.default_rng(0)
    for mean, shape in [(0.7, 2.0), (50.0, 1.0), (1e6, 0.25)]:
        m = 20_000
        x = _inverse_gaussian(np.full(m, mean), np.full(m, shape), rng.standard_normal(m),
                              rng.random(m))
        assert stats.kstest(x, stats.invgauss(mean / shape, scale=shape).cdf).pvalue > 1e-3


# --- API, reproducibility, errors -----------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    X, y, offset = synthetic()
    ps = resolve_priors({"x": Laplace(0.0, 1.0), "Intercept": StudentT(3, 0, 2.5)},
                        ("Intercept", "x"), X, 0)
    return X, y, offset, ps


def test_shapes_reproducibility_and_chains_differ(small):
    X, y, offset, ps = small
    inputs = (X.copy(), y.copy(), offset.copy())
    kw = dict(draws=50, tune=20, chains=3)
    a = gibbs_sample(X, y, offset, ps, random_seed=42, **kw)
    assert isinstance(a, Draws) and a.sample_stats is None
    assert a.beta.shape == (3, 50, 2) and a.info["tune"] == 20 and a.info["sampling_time"] > 0
    assert a.info["sampler"] == "gibbs (Polya-Gamma)"
    assert a.latent["tau2"].shape == (3, 50, 2) and a.latent["lambda"].shape == (3, 50, 2)
    b = gibbs_sample(X, y, offset, ps, random_seed=42, **kw)
    np.testing.assert_array_equal(a.beta, b.beta)
    g1 = gibbs_sample(X, y, offset, ps, random_seed=np.random.default_rng(7), **kw)
    g2 = gibbs_sample(X, y, offset, ps, random_seed=np.random.default_rng(7), **kw)
    np.testing.assert_array_equal(g1.beta, g2.beta)
    assert not np.array_equal(a.beta, g1.beta)
    assert not np.array_equal(a.beta[0], a.beta[1])
    assert not np.array_equal(a.beta[1], a.beta[2])
    for before, after in zip(inputs, (X, y, offset), strict=True):
        np.testing.assert_array_equal(before, after)
    c = gibbs_sample(X, y, None, ps, draws=5, tune=0, chains=1, progressbar=True)
    assert c.beta.shape == (1, 5, 2) and np.all(np.isfinite(c.beta))


def test_jeffreys_rejected(small):
    X, y, offset, _ = small
    ps = resolve_priors(Jeffreys(), ("Intercept", "x"), X, 0)
    ok, reason = gibbs_supported(ps)
    assert not ok and "nuts" in reason
    with pytest.raises(UnsupportedPriorError, match='sampler="nuts"'):
        gibbs_sample(X, y, offset, ps, draws=5, tune=5)


def test_bad_inputs_rejected(small):
    X, y, offset, ps = small
    assert gibbs_supported(ps) == (True, "")
    yf = y.copy()
    yf[0] = 0.3
    with pytest.raises(ValueError, match=r"binary y .*0\.3.*nuts"):
        gibbs_sample(X, yf, offset, ps, draws=5, tune=5)
    with pytest.raises(ValueError, match="shape"):
        gibbs_sample(X, y[:-1], offset, ps, draws=5, tune=5)
    with pytest.raises(ValueError, match="draws"):
        gibbs_sample(X, y, offset, ps, draws=0, tune=5)
    Xc = np.column_stack([X, 2 * X[:, 1]])
    flat = resolve_priors(Flat(), ("Intercept", "x", "x2"), Xc, 0)
    with pytest.raises(UnsupportedPriorError, match="improper"):
        gibbs_sample(Xc, y, offset, flat, draws=5, tune=5)
