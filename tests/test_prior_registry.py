"""The prior-family registry (CLI spellings, from_scale, Gibbs mixtures, PyMC table) and the
prior set's joint Jeffreys term, against closed forms and numpy written here."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from scipy import stats

import bayeslogit as bl
from bayeslogit.blocks import information_logdets
from bayeslogit.cli import CLIError, parse_prior
from bayeslogit.engines.gibbs import gibbs_sample
from bayeslogit.engines.map import fit_map
from bayeslogit.engines.nuts import PYMC_JOINT, PYMC_PRIORS
from bayeslogit.spec.prior_set import PriorSet, resolve_priors
from bayeslogit.spec.priors import FAMILIES, prior_family

#: a value for each hyper-parameter name, none of them the constructor default
EXAMPLE = {"mu": -0.4, "sigma": 1.7, "b": 0.6, "nu": 4.5, "gamma": 2.2}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(13)
    n = 40
    X = np.column_stack([np.ones(n), rng.normal(2.0, 1.0, n), rng.normal(size=n),
                         rng.integers(0, 2, n)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.3 + 0.4 * X[:, 1] - X[:, 2])))).astype(float)
    offset = rng.normal(0, 0.3, n)
    return X, y, offset, ("Intercept", "x1", "x2", "d")


def half_logdet_info(beta, X, offset):
    """0.5 log|X'W X| per coefficient vector, by numpy, one draw at a time."""
    flat = np.reshape(beta, (-1, X.shape[1]))
    out = []
    for b in flat:
        eta = X @ b + (0 if offset is None else offset)
        p = 1 / (1 + np.exp(-eta))
        sign, logdet = np.linalg.slogdet(X.T @ ((p * (1 - p))[:, None] * X))
        out.append(0.5 * logdet if sign > 0 else -np.inf)
    return np.reshape(out, np.shape(beta)[:-1])


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_family_round_trips_through_its_cli_spellings(family):
    cls = FAMILIES[family]
    values = [EXAMPLE[name] for name in cls.param_names]
    expected = cls(*values)
    args = f"({', '.join(map(str, values))})" if values else ""
    for spelling in (family, *cls.spellings):
        assert prior_family(spelling.upper()) is cls
        assert parse_prior(f" {spelling.title()}{args} ") == expected
    assert expected.params() == dict(zip(cls.param_names, values, strict=True))
    usage = re.escape(cls.usage())
    with pytest.raises(CLIError, match=rf"takes {len(values)} numbers \({usage}\)"):
        parse_prior(f"{family}(1, 2, 3, 4)")


def test_unknown_family_lists_the_registry():
    with pytest.raises(ValueError, match=r"'horseshoe'.*normal\(mu, sigma\).*student_t\("
                                         r"nu, mu, sigma\).*jeffreys"):
        prior_family("horseshoe")
    with pytest.raises(CLIError, match="cannot parse prior 'horseshoe"):
        parse_prior("horseshoe(1)")


@pytest.mark.parametrize("family", list(FAMILIES))
def test_from_scale_is_the_family_at_location_zero(family):
    cls = FAMILIES[family]
    if cls.scale_name is None:
        with pytest.raises(TypeError, match=f"{cls.__name__} has no scale"):
            cls.from_scale(1.0)
        return
    prior = cls.from_scale(0.7)
    reference = {"normal": stats.norm(0, 0.7), "laplace": stats.laplace(0, 0.7),
                 "studentt": stats.t(3, 0, 0.7), "cauchy": stats.cauchy(0, 0.7)}[family]
    x = np.linspace(-4, 4, 9)
    np.testing.assert_allclose(prior.logpdf(x), reference.logpdf(x), rtol=1e-12)
    # scaled() multiplies the same scale and keeps the family
    np.testing.assert_allclose(prior.scaled(2.0).logpdf(x),
                               cls.from_scale(1.4).logpdf(x), rtol=1e-12)


def test_sensitivity_sweep_builds_slope_priors_from_scale(spector):
    model = bl.Logit.from_formula("GRADE ~ GPA + TUCE + PSI", spector)
    for cls in (bl.Normal, bl.Laplace, bl.StudentT, bl.Cauchy):
        res = bl.prior_sensitivity(model, prior=cls, scales=[0.5], method="map")
        priors = res.fits[0.5].model.prior_set.priors
        assert priors[1:] == (cls.from_scale(0.5),) * 3
        assert priors[0] == model.prior_set.priors[0]
    with pytest.raises(TypeError, match=r"bl.Normal, bl.Laplace, bl.StudentT, bl.Cauchy"):
        bl.prior_sensitivity(model, prior=bl.Flat, scales=[1.0])


def test_registry_pymc_and_gibbs_cover_the_same_families():
    per_coefficient = {f for f, cls in FAMILIES.items() if not cls.joint}
    assert set(PYMC_PRIORS) == per_coefficient
    assert set(PYMC_JOINT) == {f for f, cls in FAMILIES.items() if cls.joint} == {"jeffreys"}
    for family in per_coefficient:
        cls = FAMILIES[family]
        fields = {f.name for f in dataclasses.fields(cls)}
        assert set(cls.param_names) <= fields and cls.family == family
        prior = cls(*[EXAMPLE[name] for name in cls.param_names])
        mixture = prior.scale_mixture()
        assert mixture is not None and mixture.kind == cls.mixture
    assert bl.Jeffreys().scale_mixture() is None


def test_cauchy_acts_as_student_t_with_one_degree_of_freedom(data):
    X, y, offset, names = data
    cauchy, t1 = bl.Cauchy(0.3, 2.5), bl.StudentT(1, 0.3, 2.5)
    assert cauchy.as_student_t() == t1
    assert cauchy.describe() == "Cauchy(mu=0.3, gamma=2.5)"
    x = np.linspace(-30, 30, 13)
    np.testing.assert_allclose(cauchy.logpdf(x), stats.cauchy(0.3, 2.5).logpdf(x), rtol=1e-12)
    for method in ("logpdf", "grad", "hess"):
        np.testing.assert_array_equal(getattr(cauchy, method)(x), getattr(t1, method)(x))
    assert cauchy.scale_mixture() == t1.scale_mixture()
    ps_c = resolve_priors({"x1": cauchy, "x2": bl.Cauchy(0, 1)}, names, X, 0)
    ps_t = resolve_priors({"x1": t1, "x2": bl.StudentT(1, 0, 1)}, names, X, 0)
    map_c, map_t = (fit_map(X, y, offset, ps) for ps in (ps_c, ps_t))
    assert map_c.converged and map_t.converged
    np.testing.assert_array_equal(map_c.params, map_t.params)
    beta = np.random.default_rng(0).normal(0, 1, (3, 2, 4))
    np.testing.assert_array_equal(ps_c.log_density(beta, X, offset),
                                  ps_t.log_density(beta, X, offset))
    draws = [gibbs_sample(X, y, offset, ps, draws=20, tune=5, chains=2, random_seed=4).beta
             for ps in (ps_c, ps_t)]
    np.testing.assert_array_equal(*draws)
    fits = [bl.Logit(y, X, offset=offset, priors=p).fit(method="map") for p in (cauchy, t1)]
    np.testing.assert_array_equal(fits[0].params, fits[1].params)


def test_jeffreys_is_a_joint_term_with_flat_coefficients(data):
    X, y, offset, names = data
    ps = resolve_priors(bl.Jeffreys(), names, X, 0)
    assert ps.joint == bl.Jeffreys() and ps.jeffreys and ps.proper and not ps.centred
    assert ps.priors == (bl.Flat(),) * 4 and ps.flat_index.tolist() == [0, 1, 2, 3]
    assert set(ps.table()["prior"]) == {"Jeffreys()"}
    rng = np.random.default_rng(5)
    beta = rng.normal(0, 0.8, (3, 7, 4))
    beta[0, 0] = [800.0, 0, 0, 0]  # every weight underflows: X'WX = 0, density 0
    expected = half_logdet_info(beta, X, offset)
    assert expected[0, 0] == -np.inf
    np.testing.assert_allclose(ps.log_density(beta, X, offset), expected, rtol=1e-10)
    terms = ps.log_density_terms(beta, X, offset)
    assert list(terms) == ["jeffreys"]
    np.testing.assert_allclose(terms["jeffreys"], expected, rtol=1e-10)
    with pytest.raises(ValueError, match=r"joint.*log_density\(beta, X, offset\)"):
        ps.logpdf(beta)
    with pytest.raises(ValueError, match="joint="):
        PriorSet(names, (bl.Jeffreys(),) * 4, ps.center, 0, (False,) * 4)


def test_blocked_information_logdets_match_numpy(data):
    X, _, offset, _ = data
    rng = np.random.default_rng(8)
    beta = rng.normal(0, 0.5, (4500, 4))  # more than one chunk of 4096 vectors
    got = information_logdets(beta, X, offset, block_rows=7)
    pick = rng.choice(len(beta), 60, replace=False)
    np.testing.assert_allclose(0.5 * got[pick], half_logdet_info(beta[pick], X, offset),
                               rtol=1e-10)
    np.testing.assert_allclose(got, information_logdets(beta, X, offset), rtol=1e-12)


def test_jeffreys_log_prior_group_is_half_logdet(data):
    X, y, offset, _ = data
    fit = bl.Logit(y, X, offset=offset, priors=bl.Jeffreys()).fit(method="map")
    tree = fit.to_arviz(draws=50, chains=2)
    assert list(tree["log_prior"].data_vars) == ["jeffreys"]
    beta = tree["posterior"]["beta"].values
    np.testing.assert_allclose(tree["log_prior"]["jeffreys"].values,
                               half_logdet_info(beta, X, offset), rtol=1e-10)


def test_log_density_without_joint_term(data):
    X, _, offset, names = data
    ps = resolve_priors({"x1": bl.Laplace(0, 1), "d": bl.Flat()}, names, X, 0)
    beta = np.random.default_rng(2).normal(0, 1, (5, 4))
    theta0 = beta[:, 0] + beta[:, 1:] @ X[:, 1:].mean(axis=0)
    expected = (stats.norm(0, 2.5).logpdf(theta0) + stats.laplace(0, 1).logpdf(beta[:, 1])
                + stats.norm(0, 2.5 / X[:, 2].std(ddof=1)).logpdf(beta[:, 2]))
    np.testing.assert_allclose(ps.log_density(beta, X, offset), expected, rtol=1e-12)
    assert not ps.proper and ps.flat_index.tolist() == [3] and ps.any_laplace
    flat = resolve_priors(bl.Flat(), names, X, 0)
    assert flat.log_density_terms(beta, X, offset) == {}
    np.testing.assert_array_equal(flat.log_density(beta, X, offset), np.zeros(5))


def test_working_design_and_replace(data):
    X, _, _, names = data
    before = X.copy()
    ps = resolve_priors(None, names, X, 0)
    Xw = ps.working_design(X)
    np.testing.assert_array_equal(X, before)
    beta = np.array([0.5, -1.0, 2.0, 0.3])
    # the linear predictor is the same in both coordinates: X beta = X_w theta
    np.testing.assert_allclose(Xw @ ps.to_working(beta), X @ beta, rtol=1e-12)
    np.testing.assert_allclose(ps.inverse_transform() @ ps.transform_matrix(), np.eye(4),
                               atol=1e-15)
    np.testing.assert_allclose(Xw[:, 1:].mean(axis=0), 0, atol=1e-12)
    other = ps.with_priors([bl.Flat()] * 4)
    assert other.priors == (bl.Flat(),) * 4 and other.names == ps.names
    assert other.center is ps.center and other.is_default == ps.is_default
    with pytest.raises(ValueError, match="one prior per coefficient"):
        ps.with_priors([bl.Flat()])
