"""Prior descriptions against scipy.stats and finite differences; resolution rules."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import bayeslogit as bl
from bayeslogit.priors import PriorSet, resolve_priors

CASES = [
    (bl.Normal(0.3, 1.7), stats.norm(0.3, 1.7)),
    (bl.Laplace(-0.2, 0.8), stats.laplace(-0.2, 0.8)),
    (bl.StudentT(4.5, 0.1, 2.0), stats.t(4.5, 0.1, 2.0)),
    (bl.Cauchy(0.5, 2.5), stats.cauchy(0.5, 2.5)),
]
X_GRID = np.array([-7.1, -1.3, -0.05, 0.4, 2.2, 9.0])


@pytest.mark.parametrize("prior, ref", CASES)
def test_logpdf_matches_scipy(prior, ref):
    np.testing.assert_allclose(prior.logpdf(X_GRID), ref.logpdf(X_GRID), rtol=1e-12)
    rng = np.random.default_rng(0)
    draws = prior.rvs(20000, rng)
    assert stats.kstest(draws, ref.cdf).pvalue > 1e-3


@pytest.mark.parametrize("prior, ref", CASES)
def test_derivatives_by_finite_differences(prior, ref):
    h = 1e-5
    x = X_GRID[np.abs(X_GRID - getattr(prior, "mu", 0)) > 1e-3]
    fd_grad = (prior.logpdf(x + h) - prior.logpdf(x - h)) / (2 * h)
    np.testing.assert_allclose(prior.grad(x), fd_grad, rtol=1e-6, atol=1e-8)
    fd_hess = (prior.grad(x + h) - prior.grad(x - h)) / (2 * h)
    np.testing.assert_allclose(prior.hess(x), fd_hess, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("make, value", [
    (lambda: bl.Normal(0, 0), "0"), (lambda: bl.Normal(0, -1), "-1"),
    (lambda: bl.Laplace(0, -2.5), "-2.5"), (lambda: bl.StudentT(0, 0, 1), "0"),
    (lambda: bl.Cauchy(np.nan, 1), "nan"), (lambda: bl.Normal(0, np.inf), "inf")])
def test_invalid_parameters_rejected_with_value(make, value):
    with pytest.raises(ValueError, match=value):
        make()


def test_flat_and_jeffreys():
    assert np.all(bl.Flat().logpdf(X_GRID) == 0)
    with pytest.raises(ValueError, match="improper"):
        bl.Flat().rvs(3, np.random.default_rng(0))
    assert bl.Jeffreys().describe() == "Jeffreys()"


@pytest.fixture()
def design():
    rng = np.random.default_rng(1)
    X = np.c_[np.ones(50), rng.normal(3, 2, 50), rng.integers(0, 2, 50)]
    return X, ("Intercept", "x", "d")


def test_defaults_are_rstanarm_autoscaled(design):
    X, names = design
    ps = resolve_priors(None, names, X, 0)
    assert ps.priors[0] == bl.Normal(0, 2.5)
    np.testing.assert_allclose(ps.priors[1].sigma, 2.5 / X[:, 1].std(ddof=1))
    np.testing.assert_allclose(ps.priors[2].sigma, 2.5 / X[:, 2].std(ddof=1))
    assert all(ps.is_default)
    np.testing.assert_allclose(ps.center, [0, X[:, 1].mean(), X[:, 2].mean()])


def test_dict_priors_and_fallback(design):
    X, names = design
    ps = resolve_priors({"x": bl.Laplace(0, 1)}, names, X, 0)
    assert ps.priors[1] == bl.Laplace(0, 1) and ps.is_default == (True, False, True)
    with pytest.raises(ValueError, match=r"unknown coefficient\(s\) \['z'\].*'Intercept', 'x', 'd'"):
        resolve_priors({"z": bl.Normal(0, 1)}, names, X, 0)
    with pytest.raises(TypeError, match="bayeslogit prior"):
        resolve_priors({"x": 3.0}, names, X, 0)
    with pytest.raises(ValueError, match="joint prior"):
        resolve_priors({"x": bl.Jeffreys()}, names, X, 0)
    auto = resolve_priors(bl.Normal(0, 2.5, autoscale=True), names, X, 0)
    np.testing.assert_allclose(auto.priors[1].sigma, 2.5 / X[:, 1].std(ddof=1))


def test_centred_intercept_density(design):
    X, names = design
    ps: PriorSet = resolve_priors(None, names, X, 0)
    beta = np.array([-1.0, 0.4, 0.7])
    centred = beta[0] + X[:, 1:].mean(axis=0) @ beta[1:]
    expected = (stats.norm(0, 2.5).logpdf(centred) + ps.priors[1].logpdf(0.4) +
                ps.priors[2].logpdf(0.7))
    np.testing.assert_allclose(ps.logpdf(beta), expected, rtol=1e-12)
    np.testing.assert_allclose(ps.from_working(ps.to_working(beta)), beta, rtol=1e-12)
    h = 1e-6
    fd = np.array([(ps.logpdf(beta + h * e) - ps.logpdf(beta - h * e)) / (2 * h)
                   for e in np.eye(3)])
    np.testing.assert_allclose(ps.grad(beta), fd, rtol=1e-6)
    fdh = np.array([(ps.grad(beta + h * e) - ps.grad(beta - h * e)) / (2 * h)
                    for e in np.eye(3)])
    np.testing.assert_allclose(ps.hess(beta), fdh, rtol=1e-5, atol=1e-9)


def test_prior_summary_prints(spector, capsys):
    m = bl.Logit.from_formula("GRADE ~ GPA + TUCE + PSI", spector,
                              priors={"GPA": bl.Cauchy(0, 2.5)})
    table = m.prior_summary()
    out = capsys.readouterr().out
    assert "centred intercept" in out and "Cauchy(mu=0, gamma=2.5)" in out
    assert table.loc["TUCE", "default"] and not table.loc["GPA", "default"]
    np.testing.assert_allclose(table.loc["TUCE", "autoscale_factor"],
                               1 / spector["TUCE"].std(ddof=1))
