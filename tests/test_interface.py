"""The shared interface, run over every result kind; compare(), save/load round trips."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl

KINDS = ["mle", "map", "laplace", "gibbs", "is"]


@pytest.fixture(scope="module")
def challenger():
    return bl.datasets.load_challenger()


@pytest.fixture(scope="module")
def model(challenger):
    return bl.Logit.from_formula("thermal_distress ~ temperature_f", challenger)


@pytest.fixture(scope="module")
def results(model):
    return {
        "mle": model.fit(),
        "map": model.fit(method="map"),
        "laplace": model.fit(method="laplace", random_seed=0),
        "gibbs": model.sample(draws=500, tune=200, sampler="gibbs", random_seed=0),
        "is": model.sample(draws=500, sampler="is", random_seed=0),
    }


def test_challenger_reference_fit(results):
    mle = results["mle"]
    np.testing.assert_allclose(mle.params, [15.0429016, -0.23216274], rtol=1e-7)
    np.testing.assert_allclose(mle.bse, [7.37863638, 0.10823652], rtol=1e-7)
    np.testing.assert_allclose(mle.llf, -10.1575963, rtol=1e-8)


@pytest.mark.parametrize("kind", KINDS)
def test_common_interface(results, kind, challenger):
    r = results[kind]
    assert list(r.params.index) == ["Intercept", "temperature_f"]
    assert (r.bse > 0).all()
    s = r.summary(ci_prob=0.9)
    assert list(s.columns[:4]) == ["estimate", "std_error", "ci_lower", "ci_upper"]
    assert (s["ci_lower"] < s["ci_upper"]).all()
    cold = pd.DataFrame({"temperature_f": [31.0, 75.0]})
    p = r.predict(cold)
    assert p.shape == (2,) and p.iloc[0] > p.iloc[1]
    ci = r.predict(cold, ci_prob=0.95)
    assert list(ci.columns) == ["estimate", "ci_lower", "ci_upper"]
    assert (ci["ci_lower"] <= ci["estimate"]).all() and (ci["estimate"] <= ci["ci_upper"]).all()
    lin = r.predict(cold, kind="linear")
    assert lin.iloc[0] > 0
    tree = r.to_arviz()
    assert tree["posterior"]["beta"].shape == (4, 1000 if kind in ("mle", "map", "laplace")
                                               else 500, 2)
    assert "log_likelihood" in tree.children
    assert str(r)


def test_mode_draws_are_labelled(results):
    tree = results["mle"].to_arviz()
    assert "asymptotic normal" in tree["posterior"].attrs["approximation"]
    assert "log_prior" not in tree.children
    assert "log_prior" in results["map"].to_arviz().children


@pytest.mark.parametrize("kind", KINDS)
def test_save_load_round_trip(results, kind, tmp_path, challenger):
    r = results[kind]
    path = tmp_path / f"{kind}.nc"
    r.save(str(path))
    back = bl.load(str(path))
    pd.testing.assert_frame_equal(back.summary(), r.summary())
    new = pd.DataFrame({"temperature_f": [31.0, 60.0]})
    pd.testing.assert_frame_equal(back.predict(new, ci_prob=0.9), r.predict(new, ci_prob=0.9))
    assert type(back) is type(r)


def test_compare_table_and_plot(results):
    table = bl.compare(results)
    assert table.shape == (2, 4 * len(results))
    assert list(table.columns.get_level_values(0).unique()) == KINDS
    np.testing.assert_allclose(table[("mle", "estimate")], results["mle"].params)
    fig = bl.plot_compare(results)
    assert len(fig.axes) == 2
    with pytest.raises(TypeError, match="not a bayeslogit result"):
        bl.compare({"x": 1})


def test_posterior_approaches_mle_with_large_n():
    rng = np.random.default_rng(4)
    n = 20000
    X = np.c_[np.ones(n), rng.standard_normal((n, 2))]
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ [0.3, 0.8, -0.5]))).astype(float)
    m = bl.Logit(y, X, priors=bl.Normal(0, 100))
    mle = m.fit()
    post = m.sample(draws=1000, chains=4, sampler="is", random_seed=1)
    s = post.summary()
    z = (s["estimate"] - mle.params) / s["mcse_mean"]
    # posterior mean - MLE is O(1/n) (skewness), far below the standard error
    assert np.all(np.abs(s["estimate"] - mle.params) < 0.05 * mle.bse + 4 * s["mcse_mean"]), z
    np.testing.assert_allclose(s["std_error"], mle.bse, rtol=0.06)
