"""Engines hand over what inference needs, results build derived objects once, and the
options a result was fitted with are public.

Counting tests monkeypatch the function that would do the work again and count (or refuse)
the calls; the values are checked against statsmodels or the closed forms they stand for.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import statsmodels.api as sm

import bayeslogit as bl
from bayeslogit.engines import map as map_engine
from bayeslogit.engines.importance import importance_sample
from bayeslogit.errors import DataWarning
from bayeslogit.results import datatree, report
from bayeslogit.results import mode as mode_module
from bayeslogit.results.options import FitOptions


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    n = 300
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    offset = rng.normal(scale=0.2, size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ [0.2, 0.8, -0.5] + offset)))).astype(float)
    return X, y, offset


@pytest.fixture(scope="module")
def model(data):
    X, y, offset = data
    return bl.Logit(y, X, offset=offset, priors=bl.Normal(0, 2.5))


def counting(monkeypatch, module, name):
    calls = []
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        calls.append(name)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def refuse(monkeypatch, module, name):
    def fail(*args, **kwargs):
        raise AssertionError(f"{name} was called again")

    monkeypatch.setattr(module, name, fail)


def test_mle_statistics_come_from_the_engine(model, data, monkeypatch):
    X, y, offset = data
    ref = sm.Logit(y, X, offset=offset).fit(disp=0)
    r = model.fit()
    refuse(monkeypatch, mode_module, "log1pexp")  # llf is not recomputed
    refuse(monkeypatch, np.linalg, "matrix_rank")  # rank proved at construction
    assert r.llf == pytest.approx(ref.llf, rel=1e-12)
    assert (r.df_model, r.df_resid) == (ref.df_model, ref.df_resid)
    assert r.aic == pytest.approx(ref.aic, rel=1e-12)
    np.testing.assert_allclose(r.resid_pearson.to_numpy(), ref.resid_pearson, rtol=1e-9)
    assert str(r)


def test_mode_carries_the_negative_hessian(model, data, monkeypatch):
    X, y, offset = data
    ps = model.prior_set
    mode = map_engine.fit_map(X, y, offset, ps)
    np.testing.assert_allclose(
        mode.neg_hessian, map_engine.neg_log_posterior_hessian(X, y, offset, ps, mode.params),
        rtol=1e-12)
    plain = importance_sample(X, y, offset, ps, draws=100, chains=2, random_seed=4)
    refuse(monkeypatch, map_engine, "neg_log_posterior_hessian")
    refuse(monkeypatch, map_engine, "fit_map")
    given = importance_sample(X, y, offset, ps, draws=100, chains=2, random_seed=4, mode=mode)
    np.testing.assert_allclose(given.beta, plain.beta, rtol=1e-12)
    assert given.info["sampler"] == "importance (PSIS)" and given.info["notes"] == []


def test_laplace_uses_the_mode_hessian(model, monkeypatch):
    refuse(monkeypatch, map_engine, "neg_log_posterior_hessian")
    r = model.fit(method="laplace", draws=200, chains=2, random_seed=1)
    expected = np.linalg.inv(r.mode.mode.neg_hessian)
    np.testing.assert_allclose(np.cov(r.draws.reshape(-1, 3), rowvar=False), expected,
                               rtol=0.25, atol=0.05 * np.abs(expected).max())


def test_mode_to_arviz_is_cached_per_arguments(model, monkeypatch):
    r = model.fit()
    calls = counting(monkeypatch, datatree, "posterior_tree")
    first = r.to_arviz()
    second = r.to_arviz()
    assert len(calls) == 1
    assert first is not second  # shallow copies of one cached tree
    np.testing.assert_array_equal(first["posterior"]["beta"].values,
                                  second["posterior"]["beta"].values)
    del first["log_likelihood"]
    assert "log_likelihood" in r.to_arviz().children
    r.to_arviz(draws=200)
    r.to_arviz(random_seed=3)
    assert len(calls) == 3
    r.to_arviz(random_seed=None)
    r.to_arviz(random_seed=None)  # fresh random draws are never cached
    assert len(calls) == 5
    m = model.fit(method="map")
    m.to_arviz()
    m.to_arviz()
    assert len(calls) == 6


def test_large_mode_trees_leave_out_the_per_draw_likelihood(model, monkeypatch):
    r = model.fit()
    refuse(monkeypatch, datatree, "loglike_sums")
    with pytest.warns(DataWarning, match=r"to_arviz\(log_likelihood=True\)"):
        tree = r.to_arviz(random_seed=8, max_elements=10)
    assert "log_likelihood" not in tree.children and "sample_stats" not in tree.children
    assert tree["posterior"]["beta"].shape == (4, 1000, 3)


def test_print_posterior_does_not_build_the_pointwise_loglik(model, monkeypatch):
    post = model.sample(sampler="is", draws=100, chains=2, random_seed=2, progressbar=False)
    calls = counting(monkeypatch, datatree, "pointwise_loglike")
    reports = counting(monkeypatch, report, "draws_report")
    text = str(post)
    assert str(post) is text and len(reports) == 1
    assert calls == []
    assert "importance" in text
    tree = post.to_arviz()
    assert calls == ["pointwise_loglike"] and "log_likelihood" in tree.children
    post.to_arviz()
    assert len(calls) == 1


def test_report_of_mode_results_is_cached(model, monkeypatch):
    r = model.fit()
    calls = counting(monkeypatch, report, "mle_report")
    assert str(r) == str(r) and len(calls) == 1


def test_options_are_public_frozen_and_repeat_the_fit(model):
    r = model.fit(cov_type="HC1", maxiter=60, start_params=[0.0, 0.1, 0.0])
    opts = r.options
    assert isinstance(opts, FitOptions)
    assert (opts.method, opts.cov_type, opts.maxiter, opts.start_params) == (
        "mle", "HC1", 60, (0.0, 0.1, 0.0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.maxiter = 5
    again = model.fit(**opts.fit_kwargs())
    np.testing.assert_array_equal(again.bse.to_numpy(), r.bse.to_numpy())
    assert again.options == opts
    groups = np.arange(model.nobs) % 7
    clustered = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    groups[0] = 99  # the options keep their own copy of the arguments' containers
    assert clustered.options == model.fit(cov_type="cluster",
                                          cov_kwds={"groups": np.arange(model.nobs) % 7}).options
    assert clustered.options != opts
    lap = model.fit(method="laplace", draws=40, chains=2, random_seed=9)
    assert lap.options.fit_kwargs() == {"method": "laplace", "draws": 40, "chains": 2,
                                        "random_seed": 9, "maxiter": 100, "tol": 1e-8}
    post = model.sample(draws=40, chains=2, random_seed=9, progressbar=False)
    assert post.options.sampler in ("is", "gibbs", "nuts")
    # importance sampling has no warm-up, so it records no tune
    assert post.options.tune == (None if post.options.sampler == "is" else 1000)
    rerun = model.sample(**post.options.fit_kwargs(), progressbar=False)
    np.testing.assert_array_equal(rerun.draws, post.draws)


def test_priors_read_only_and_with_priors(model):
    with pytest.raises(AttributeError, match="with_priors"):
        model.priors = bl.Laplace(0, 1)
    other = model.with_priors(bl.Laplace(0, 1))
    assert other.priors == bl.Laplace(0, 1) and model.priors == bl.Normal(0, 2.5)
    assert other.prior_set.priors[1] == bl.Laplace(0, 1)
    assert model.prior_set.priors[1] == bl.Normal(0, 2.5)
    assert other.design is model.design
