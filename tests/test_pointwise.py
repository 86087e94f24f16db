"""PSIS-LOO and power scaling from the log-likelihood evaluated in blocks, against ArviZ on
the whole pointwise log-likelihood (computed here with scipy, independently of the package).
"""

from __future__ import annotations

import logging
import tracemalloc
import warnings

import arviz_base as azb
import arviz_stats as azs
import numpy as np
import pytest
from scipy.special import expit, log_expit

import bayeslogit as bl
from bayeslogit.errors import DataWarning, UnsupportedPriorError
from bayeslogit.results.pointwise import blocked_loo


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(21)
    n = 1000
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2)), rng.binomial(1, 0.3, n)])
    y = (rng.random(n) < expit(X @ [-0.4, 0.9, -0.5, 0.7])).astype(float)
    return X, y


@pytest.fixture(scope="module")
def post(data):
    X, y = data
    return bl.Logit(y, X, priors=bl.Normal(0, 2.5)).sample(
        sampler="is", draws=250, chains=4, random_seed=3, progressbar=False)


def full_tree(post, X, y):
    """The posterior with the whole pointwise log-likelihood, as ArviZ users build it."""
    eta = post.draws @ X.T
    ll = y * log_expit(eta) + (1 - y) * log_expit(-eta)
    tree = post.to_arviz(log_likelihood=False, predictive=False)
    group = azb.from_dict({"log_likelihood": {"y": ll}}, dims={"y": ["obs"]},
                          coords={"obs": np.arange(len(y))})
    tree["log_likelihood"] = group["log_likelihood"]
    return tree


def assert_same_loo(mine, ref):
    assert type(mine) is type(ref)
    for name in ("elpd", "se", "p"):
        assert getattr(mine, name) == pytest.approx(getattr(ref, name), rel=1e-10, abs=1e-10)
    assert (mine.n_samples, mine.n_data_points, mine.warning, mine.good_k) == (
        ref.n_samples, ref.n_data_points, ref.warning, ref.good_k)
    np.testing.assert_allclose(mine.elpd_i.values, ref.elpd_i.values, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(mine.pareto_k.values, ref.pareto_k.values, rtol=1e-10,
                               atol=1e-10)
    assert mine.elpd_i.dims == ref.elpd_i.dims == ("obs",)


def test_loo_equals_arviz_on_the_whole_log_likelihood(post, data):
    X, y = data
    ref = azs.loo(full_tree(post, X, y), pointwise=True)
    assert_same_loo(post.loo(pointwise=True), ref)
    # many blocks, the last one ragged: the same numbers
    assert_same_loo(blocked_loo(post.to_arviz(), post.draws, X, y, None, pointwise=True,
                                block_elements=1000 * 37), ref)
    assert post.loo(pointwise=False).elpd_i is None


def test_power_scaling_equals_arviz_on_the_whole_log_likelihood(post, data):
    X, y = data
    logging.getLogger("arviz_stats.psense").setLevel(logging.ERROR)
    ref = azs.psense_summary(full_tree(post, X, y), var_names=["beta"], round_to=14)
    mine = post.power_scaling(round_to=14)
    np.testing.assert_allclose(mine[["prior", "likelihood"]].to_numpy(),
                               ref[["prior", "likelihood"]].to_numpy(), rtol=1e-10, atol=1e-12)
    assert list(mine["diagnosis"]) == list(ref["diagnosis"])


def test_large_trees_leave_pointwise_groups_out_loudly_and_loo_does_not_need_them(post):
    with pytest.warns(DataWarning, match=r"log_likelihood.*to_arviz\(log_likelihood=True"):
        tree = post.to_arviz(max_elements=1000)
    assert "log_likelihood" not in tree.children
    assert "posterior_predictive" not in tree.children
    assert tree.children.keys() >= {"posterior", "prior", "log_prior", "observed_data"}
    forced = post.to_arviz(max_elements=1000, log_likelihood=True, predictive=False)
    assert forced["log_likelihood"]["y"].shape == (4, 250, 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        assert np.isfinite(post.loo().elpd)
        assert post.power_scaling().shape[0] == 4
    with pytest.raises(ValueError, match="log_likelihood='yes'"):
        post.to_arviz(log_likelihood="yes")
    with pytest.raises(ValueError, match="max_elements"):
        post.to_arviz(max_elements=-1)


def test_mode_results_warn_when_the_log_likelihood_is_left_out(data):
    X, y = data
    mle = bl.Logit(y, X).fit()
    with pytest.warns(DataWarning, match="max_elements=100"):
        tree = mle.to_arviz(draws=10, chains=2, max_elements=100)
    assert "log_likelihood" not in tree.children
    full = mle.to_arviz(draws=10, chains=2, max_elements=100, log_likelihood=True)
    assert full["log_likelihood"]["y"].shape == (2, 10, len(y))


def test_loo_memory_is_bounded_by_a_block():
    rng = np.random.default_rng(5)
    n, draws = 1200, 500
    X = np.column_stack([np.ones(n), rng.normal(size=n)])
    y = (rng.random(n) < expit(X @ [0.2, 1.0])).astype(float)
    post = bl.Logit(y, X, priors=bl.Normal(0, 2.5)).sample(
        sampler="is", draws=draws, chains=2, random_seed=1, progressbar=False)
    tree = post.to_arviz(log_likelihood=False, predictive=False)
    whole = 2 * draws * n * 8  # bytes of the whole pointwise log-likelihood (9.6 MB)
    blocked_loo(tree, post.draws, X[:10], y[:10], None)  # ArviZ's first-call set-up
    tracemalloc.start()
    try:
        blocked_loo(tree, post.draws, X, y, None, block_elements=2 * draws * 40)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < whole / 4


def test_power_scaling_under_flat_priors_says_what_to_do(data):
    X, y = data
    flat = bl.Logit(y, X, priors=bl.Flat()).sample(
        sampler="is", draws=100, chains=2, random_seed=3, progressbar=False)
    # ArviZ itself has nothing to scale: the tree holds no log prior
    assert "log_prior" not in flat.to_arviz(log_likelihood=False, predictive=False).children
    for call in ("power_scaling", "plot_power_scaling", "power_scaling_data"):
        with pytest.raises(UnsupportedPriorError, match=rf"{call}\(\).*every prior.*flat") as err:
            getattr(flat, call)()
        assert isinstance(err.value, ValueError)
        assert "with_priors(None)" in str(err.value)
    post = flat.model.with_priors(None).sample(  # the remedy the message gives
        sampler="is", draws=100, chains=2, random_seed=3, progressbar=False)
    assert list(post.power_scaling().columns) == ["prior", "likelihood", "diagnosis"]
