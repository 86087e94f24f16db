"""Blocked predictions (numpy.quantile's exact intervals) and the prior / predictive groups of
``to_arviz()``, with ArviZ's plots run on them.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit

import bayeslogit as bl
from bayeslogit.results.predictive import order_statistics, quantile_ends


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(8)
    n = 80
    X = np.column_stack([np.ones(n), rng.normal(1.0, 2.0, n), rng.normal(-0.5, 1.0, n)])
    y = (rng.random(n) < expit(X @ [-0.3, 0.6, -0.8])).astype(float)
    return X, y


@pytest.fixture(scope="module")
def post(data):
    X, y = data
    priors = {"const": bl.Normal(0.5, 2.0), "x1": bl.Laplace(0.2, 0.7),
              "x2": bl.StudentT(5, -0.1, 1.5)}
    return bl.Logit(y, X, priors=priors).sample(sampler="is", draws=1000, chains=4,
                                                random_seed=4, progressbar=False)


@settings(max_examples=40, deadline=None)
@given(draws=st.integers(1, 3000), ci=st.floats(0.01, 0.999), seed=st.integers(0, 99),
       ties=st.booleans())
def test_quantile_ends_match_numpy_quantile(draws, ci, seed, ties):
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(5, draws))
    if ties:
        values = np.round(values, 1)
    probs = ((1 - ci) / 2, (1 + ci) / 2)
    ref = np.quantile(values, probs, axis=1)
    for transform, expected in ((None, ref), (expit, np.quantile(expit(values), probs, axis=1))):
        lo, hi = quantile_ends(values.copy(), probs, transform)
        np.testing.assert_allclose(lo, expected[0], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(hi, expected[1], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", ["mean", "linear"])
def test_blocked_threaded_predictions_equal_the_plain_numpy_answer(post, kind):
    rng = np.random.default_rng(1)
    new = np.column_stack([np.ones(1100), rng.normal(size=(1100, 2))])  # 4000 x 1100: threads
    eta = post.draws.reshape(-1, 3) @ new.T
    vals = expit(eta) if kind == "mean" else eta
    out = post.predict(new, kind=kind, ci_prob=0.9)
    np.testing.assert_allclose(out["estimate"], vals.mean(axis=0), rtol=1e-12, atol=1e-15)
    lo, hi = np.quantile(vals, [0.05, 0.95], axis=0)
    np.testing.assert_allclose(out["ci_lower"], lo, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out["ci_upper"], hi, rtol=1e-12, atol=1e-15)
    point = post.predict(new, kind=kind)
    np.testing.assert_allclose(point, vals.mean(axis=0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(post.predict(new, kind="draws").reshape(4000, -1), expit(eta),
                               rtol=1e-12)


def test_prior_and_predictive_groups(post, data):
    X, y = data
    tree = post.to_arviz()
    assert tree["prior"]["beta"].dims == ("chain", "draw", "coef")
    assert tree["prior"]["beta"].shape == (4, 1000, 3)
    assert list(tree["prior"]["beta"].coords["coef"].values) == ["const", "x1", "x2"]
    for group in ("posterior_predictive", "prior_predictive"):
        sim = tree[group]["y"]
        assert sim.dims == ("chain", "draw", "obs") and sim.shape == (4, 1000, len(y))
        assert set(np.unique(sim.values)) <= {0, 1}
    np.testing.assert_array_equal(tree["observed_data"]["y"].values, y)
    # posterior predictive: the mean simulated outcome is the mean predicted probability
    p = post.predict(kind="draws")
    se = np.sqrt(p * (1 - p)).mean() / np.sqrt(4000)
    assert np.abs(tree["posterior_predictive"]["y"].values.mean(axis=(0, 1)) -
                  p.mean(axis=(0, 1))).max() < 5 * se
    # the same seed gives the same groups (kept), another seed others
    again = post.to_arviz()
    assert again["prior"] is not None
    np.testing.assert_array_equal(again["prior"]["beta"].values, tree["prior"]["beta"].values)
    other = post.to_arviz(random_seed=9)
    assert not np.array_equal(other["prior"]["beta"].values, tree["prior"]["beta"].values)


def test_prior_draws_have_the_prior_moments(post, data):
    X, _ = data
    draws = post.to_arviz(random_seed=2, predictive=False)["prior"]["beta"].values.reshape(-1, 3)
    s = draws.shape[0]
    # slopes: Laplace(0.2, 0.7) (sd 0.7 sqrt 2) and StudentT(5, -0.1, 1.5) (sd 1.5 sqrt(5/3))
    for j, mean, sd in ((1, 0.2, 0.7 * np.sqrt(2)), (2, -0.1, 1.5 * np.sqrt(5 / 3))):
        assert abs(draws[:, j].mean() - mean) < 4 * sd / np.sqrt(s)
        assert abs(draws[:, j].std() / sd - 1) < 0.12
    # the intercept prior is on the centred intercept: beta0 = alpha - xbar' beta_slopes
    xbar = X[:, 1:].mean(axis=0)
    alpha = draws[:, 0] + draws[:, 1:] @ xbar
    assert abs(alpha.mean() - 0.5) < 4 * 2.0 / np.sqrt(s)
    assert abs(alpha.std() / 2.0 - 1) < 0.06


def test_improper_or_joint_priors_have_no_prior_group(data):
    X, y = data
    for priors in (bl.Flat(), {"const": bl.Flat(), "x1": bl.Normal(0, 1),
                               "x2": bl.Normal(0, 1)}, bl.Jeffreys()):
        r = bl.Logit(y, X, priors=priors).fit(method="laplace", draws=50, chains=2,
                                                random_seed=1)
        tree = r.to_arviz()
        assert "prior" not in tree.children and "prior_predictive" not in tree.children
        assert "posterior_predictive" in tree.children


def test_arviz_plots_run_on_the_tree(post):
    pytest.importorskip("arviz_plots")
    import matplotlib

    matplotlib.use("Agg")
    import arviz_plots as azp
    import matplotlib.pyplot as plt

    tree = post.to_arviz()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "looks binary: consider pava"
        for pc in (azp.plot_prior_posterior(tree, var_names=["beta"], backend="matplotlib"),
                   azp.plot_ppc_pava(tree, backend="matplotlib"),
                   azp.plot_ppc_dist(tree, group="prior_predictive", backend="matplotlib")):
            assert pc.viz["figure"].item() is not None
    plt.close("all")


def test_order_statistics_when_the_subsample_misleads():
    rng = np.random.default_rng(3)
    values = rng.normal(size=(6, 4000))
    values[:3, ::15] += 100.0  # the strided subsample of these rows sees only outliers
    values[4] = 1.0  # one value repeated
    ranks = [0, 199, 200, 3799, 3800, 3999]
    got = order_statistics(values, ranks)
    srt = np.sort(values, axis=1)
    for r in ranks:
        np.testing.assert_array_equal(got[r], srt[:, r])
