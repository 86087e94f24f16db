"""Binomial counts through the posterior workflow: blocked LOO, power scaling, predictive
groups and ``with_data``.

References: ArviZ's ``loo`` / ``psense_summary`` on a tree holding the full pointwise
binomial log-likelihood computed here with scipy, statsmodels GLM(Binomial) on the new rows,
and the Gibbs sampler for the NUTS posterior after a data swap.
"""

import arviz_base as azb
import arviz_stats as azs
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.special import expit
from scipy.stats import binom

import bayeslogit as bl
from bayeslogit.results.datatree import count_terms
from bayeslogit.results.pointwise import blocked_loo


def _data(seed, rows=12):
    rng = np.random.default_rng(seed)
    x = np.linspace(-2, 2, rows)
    n = rng.integers(5, 40, rows)
    s = rng.binomial(n, expit(-0.3 + 0.8 * x))
    return pd.DataFrame({"x": x, "s": s, "f": n - s, "n": n, "w": rng.integers(1, 4, rows)})


@pytest.fixture(scope="module")
def weighted_post():
    df = _data(1)
    m = bl.Logit.from_formula("s ~ x", df, trials="n", freq_weights="w",
                              priors=bl.Normal(0, 2.5))
    return df, m.sample(sampler="gibbs", draws=500, chains=2, random_seed=4, progressbar=False)


def _reference_tree(df, post):
    beta = np.asarray(post.draws)
    X = sm.add_constant(df["x"].to_numpy())
    p = expit(beta @ X.T)
    ll = df["w"].to_numpy() * binom.logpmf(df["s"].to_numpy(), df["n"].to_numpy(), p)
    return azb.from_dict({"posterior": {"beta": beta}, "log_likelihood": {"y": ll},
                          "log_prior": post.to_arviz()["log_prior"].to_dataset()},
                         dims={"beta": ["coef"], "y": ["obs"]})


def test_loo_per_aggregated_row_equals_arviz(weighted_post):
    df, post = weighted_post
    ref = azs.loo(_reference_tree(df, post), pointwise=True)
    got = post.loo(pointwise=True)
    assert got.n_data_points == len(df)
    np.testing.assert_allclose([got.elpd, got.se, got.p], [ref.elpd, ref.se, ref.p],
                               rtol=1e-10)
    np.testing.assert_allclose(got.pareto_k.values, ref.pareto_k.values, rtol=1e-10)
    # several blocks of observations give the same numbers as one
    d = post.model.design
    weights, const = count_terms(d)
    small = blocked_loo(post.to_arviz(), np.asarray(post.draws), d.X, d.y, d.offset,
                        pointwise=True, block_elements=3 * 1000, weights=weights,
                        const=const)
    np.testing.assert_allclose(small.elpd_i.values, ref.elpd_i.values, rtol=1e-10)


def test_power_scaling_equals_arviz_on_full_tree(weighted_post):
    df, post = weighted_post
    ref = azs.psense_summary(_reference_tree(df, post), var_names=["beta"])
    got = post.power_scaling()
    np.testing.assert_allclose(got["prior"].to_numpy(dtype=float),
                               ref["prior"].to_numpy(dtype=float), rtol=1e-8)
    np.testing.assert_allclose(got["likelihood"].to_numpy(dtype=float),
                               ref["likelihood"].to_numpy(dtype=float), rtol=1e-8)


def test_predictive_groups_hold_counts_out_of_trials(weighted_post):
    df, post = weighted_post
    tree = post.to_arviz()
    for group in ("posterior_predictive", "prior_predictive"):
        yrep = tree[group]["y"].values
        assert yrep.shape == (2, 500, len(df))
        assert np.all((yrep >= 0) & (yrep <= df["n"].to_numpy()))
    # replicated mean count = trials x mean fitted probability, within Monte Carlo error
    yrep = tree["posterior_predictive"]["y"].values
    p = np.asarray(post.predict(kind="draws"))
    n = df["n"].to_numpy()
    se = np.sqrt((n * p * (1 - p)).mean(axis=(0, 1)) / 1000)
    assert np.all(np.abs(yrep.mean(axis=(0, 1)) - (n * p).mean(axis=(0, 1))) < 5 * se + 1e-9)
    np.testing.assert_array_equal(tree["observed_data"]["y"].values, df["s"].to_numpy())


@pytest.mark.parametrize("formula, kw", [("s ~ x", {"trials": "n", "freq_weights": "w"}),
                                         ("s + f ~ x", {"freq_weights": "w"})])
def test_with_data_reads_counts_from_the_new_rows(formula, kw):
    old, new = _data(1), _data(2, rows=15)
    fit = bl.Logit.from_formula(formula, old, **kw).with_data(new).fit()
    X = sm.add_constant(new["x"].to_numpy())
    ref = sm.GLM(new[["s", "f"]].to_numpy(), X, family=sm.families.Binomial(),
                 freq_weights=new["w"].to_numpy()).fit(tol=1e-14)
    np.testing.assert_allclose(fit.params.to_numpy(), ref.params, rtol=1e-9)
    np.testing.assert_allclose(fit.bse.to_numpy(), ref.bse, rtol=1e-7)
    np.testing.assert_allclose(fit.llf, ref.llf, rtol=1e-10)


def test_with_data_needs_new_count_arrays():
    old, new = _data(1), _data(2, rows=15)
    X_old, X_new = sm.add_constant(old["x"].to_numpy()), sm.add_constant(new["x"].to_numpy())
    model = bl.Logit(old["s"].to_numpy(), X_old, trials=old["n"].to_numpy())
    with pytest.raises(ValueError, match=r"with_data\(data, \.\.\., trials=new_trials\)"):
        model.with_data(X_new, new["s"].to_numpy())
    fit = model.with_data(X_new, new["s"].to_numpy(), trials=new["n"].to_numpy()).fit()
    ref = sm.GLM(new[["s", "f"]].to_numpy(), X_new, family=sm.families.Binomial()).fit(
        tol=1e-14)
    np.testing.assert_allclose(fit.params.to_numpy(), ref.params, rtol=1e-9)
    plain = bl.Logit.from_formula("y ~ x", old.assign(y=(old["s"] > 10).astype(int)))
    with pytest.raises(ValueError, match="has no trials"):
        plain.with_data(new.assign(y=1), trials=new["n"])


def test_nuts_swaps_count_data_without_compiling():
    old, new = _data(1), _data(2, rows=15)
    model = bl.Logit.from_formula("s ~ x", old, trials="n", priors=bl.Normal(0, 2.5))
    run = dict(draws=400, tune=300, chains=2, random_seed=3, progressbar=False)
    model.sample(sampler="nuts", **run)
    other = model.with_data(new)
    post = other.sample(sampler="nuts", **run)
    assert post.info["compile_time"] == 0.0
    ref = other.sample(sampler="gibbs", draws=2000, chains=2, random_seed=1, progressbar=False)
    ess = post.summary()["ess_bulk"].to_numpy()
    sd = ref.bse.to_numpy()
    assert np.all(np.abs(post.params.to_numpy() - ref.params.to_numpy()) < 5 * sd / np.sqrt(ess))


def _expanded(df):
    reps = (df["n"] * df["w"]).to_numpy()
    rows = df.loc[df.index.repeat(reps), ["x"]].reset_index(drop=True)
    y = np.concatenate([np.r_[np.ones(int(s * w)), np.zeros(int((n - s) * w))]
                        for s, n, w in zip(df["s"], df["n"], df["w"], strict=True)])
    return rows.assign(y=y)


def test_average_effects_of_counts_equal_expanded_rows():
    df = _data(3)
    counts = bl.Logit.from_formula("s ~ x", df, trials="n", freq_weights="w").fit()
    expanded = bl.Logit.from_formula("y ~ x", _expanded(df)).fit()
    for method in ("avg_slopes", "avg_predictions"):
        got, want = getattr(counts, method)(), getattr(expanded, method)()
        np.testing.assert_allclose(got[["estimate", "std_error"]].to_numpy(),
                                   want[["estimate", "std_error"]].to_numpy(), rtol=1e-7)


def test_posterior_average_slope_of_counts_is_the_weighted_per_draw_mean(weighted_post):
    df, post = weighted_post
    beta = np.asarray(post.draws).reshape(-1, 2)
    p = expit(beta[:, [0]] + beta[:, [1]] * df["x"].to_numpy())
    m = (df["n"] * df["w"]).to_numpy()
    per_draw = (p * (1 - p) * beta[:, [1]]) @ m / m.sum()  # d P / d x, averaged over people
    got = post.avg_slopes(variables="x")
    np.testing.assert_allclose(got["estimate"].iloc[0], per_draw.mean(), rtol=1e-6)
    np.testing.assert_allclose(got["std_error"].iloc[0], per_draw.std(ddof=1), rtol=1e-4)
