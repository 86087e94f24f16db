"""Binomial counts (trials=) and frequency weights (freq_weights=) against references.

References: statsmodels GLM(Binomial) with a two-column response or freq_weights, statsmodels
Logit on the expanded 0/1 rows, scikit-learn with sample weights, and the posterior by
quadrature on a grid (two coefficients).
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.special import log_expit

import bayeslogit as bl
from bayeslogit.errors import DataWarning, MissingDataError

X_DOSE = np.linspace(-2, 2, 8)
TRIALS = np.array([12, 30, 7, 25, 40, 9, 18, 22])


@pytest.fixture(scope="module")
def counts():
    rng = np.random.default_rng(11)
    s = rng.binomial(TRIALS, 1 / (1 + np.exp(-(-0.4 + 0.9 * X_DOSE))))
    w = rng.integers(1, 4, len(TRIALS))
    return pd.DataFrame({"x": X_DOSE, "s": s, "n": TRIALS, "f": TRIALS - s, "w": w},
                        index=[f"g{i}" for i in range(len(TRIALS))])


def expand(df, weights=False):
    """One 0/1 row per trial (and per frequency weight)."""
    rows = []
    for _, r in df.iterrows():
        reps = int(r["w"]) if weights else 1
        rows += [(r["x"], 1.0)] * int(r["s"]) * reps + [(r["x"], 0.0)] * int(r["f"]) * reps
    return pd.DataFrame(rows, columns=["x", "y"])


def glm(df, **kw):
    X = sm.add_constant(df["x"].to_numpy())
    return sm.GLM(df[["s", "f"]].to_numpy(), X, family=sm.families.Binomial(), **kw).fit(
        tol=1e-14)


def test_counts_match_glm_two_column(counts):
    r = bl.Logit.from_formula("s ~ x", counts, trials="n").fit()
    g = glm(counts)
    np.testing.assert_allclose(r.params, g.params, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(r.bse, g.bse, rtol=1e-8)
    for ours, ref in [(r.llf, g.llf), (r.llnull, g.llnull), (r.aic, g.aic),
                      (r.bic, g.bic_llf), (r.deviance, g.deviance)]:
        assert ours == pytest.approx(ref, rel=1e-10, abs=1e-9)
    assert r.nobs == len(counts)
    two = bl.Logit.from_formula("s + f ~ x", counts).fit()
    np.testing.assert_allclose(two.params, g.params, rtol=1e-9, atol=1e-10)
    assert two.llf == pytest.approx(g.llf, rel=1e-12)


def test_freq_weights_match_glm(counts):
    r = bl.Logit.from_formula("s ~ x", counts, trials="n", freq_weights="w").fit()
    g = glm(counts, freq_weights=counts["w"].to_numpy())
    np.testing.assert_allclose(r.params, g.params, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(r.bse, g.bse, rtol=1e-8)
    for ours, ref in [(r.llf, g.llf), (r.llnull, g.llnull), (r.aic, g.aic),
                      (r.bic, g.bic_llf), (r.deviance, g.deviance), (r.df_resid, g.df_resid)]:
        assert ours == pytest.approx(ref, rel=1e-10, abs=1e-9)
    assert r.nobs == counts["w"].sum()  # statsmodels' wnobs


def test_robust_covariance_matches_glm(counts):
    model = bl.Logit.from_formula("s ~ x", counts, trials="n")
    X = sm.add_constant(counts["x"].to_numpy())
    ref = sm.GLM(counts[["s", "f"]].to_numpy(), X, family=sm.families.Binomial()).fit(
        tol=1e-14, cov_type="HC0")
    np.testing.assert_allclose(model.fit(cov_type="HC0").bse, ref.bse, rtol=1e-8)
    refw = sm.GLM(counts[["s", "f"]].to_numpy(), X, family=sm.families.Binomial(),
                  freq_weights=counts["w"].to_numpy()).fit(tol=1e-14, cov_type="HC0")
    fw = bl.Logit.from_formula("s ~ x", counts, trials="n", freq_weights="w")
    np.testing.assert_allclose(fw.fit(cov_type="HC0").bse, refw.bse, rtol=1e-8)


@pytest.mark.parametrize("weighted", [False, True])
def test_counts_equal_expanded_rows(counts, weighted):
    kw = {"freq_weights": "w"} if weighted else {}
    r = bl.Logit.from_formula("s ~ x", counts, trials="n", **kw).fit()
    e = expand(counts, weights=weighted)
    ref = sm.Logit(e["y"].to_numpy(), sm.add_constant(e["x"].to_numpy())).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(r.params, ref.params, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(r.bse, ref.bse, rtol=1e-8)
    # llf = expanded rows' llf + sum_i w_i log C(n_i, s_i) (the documented constant)
    assert r.llf - r.model.design.loglike_constant == pytest.approx(ref.llf, rel=1e-10)
    assert r.pred_table().sum() == len(e)
    np.testing.assert_allclose(r.pred_table(), ref.pred_table())


def test_map_equals_weighted_sklearn(counts):
    from sklearn.linear_model import LogisticRegression

    s = 1.5
    priors = {"Intercept": bl.Flat(), "x": bl.Normal(0, s)}
    r = bl.Logit.from_formula("s ~ x", counts, trials="n", priors=priors).fit(method="map")
    x = np.r_[counts["x"], counts["x"]][:, None]
    y = np.r_[np.ones(len(counts)), np.zeros(len(counts))]
    sw = np.r_[counts["s"], counts["f"]].astype(float)
    keep = sw > 0
    sk = LogisticRegression(C=s**2, tol=1e-12, max_iter=10_000).fit(
        x[keep], y[keep], sample_weight=sw[keep])
    np.testing.assert_allclose(r.params, [sk.intercept_[0], sk.coef_[0, 0]], rtol=1e-6)


def test_firth_and_laplace_equal_expanded_rows(counts):
    e = expand(counts)
    for priors in (bl.Jeffreys(), bl.Laplace(0, 0.5)):
        a = bl.Logit.from_formula("s ~ x", counts, trials="n", priors=priors).fit(method="map")
        b = bl.Logit.from_formula("y ~ x", e, priors=priors).fit(method="map")
        np.testing.assert_allclose(a.params, b.params, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(a.bse, b.bse, rtol=1e-6)


@pytest.fixture(scope="module")
def quadrature(counts):
    """Posterior mean and sd of (Intercept, x) by quadrature under the resolved priors."""
    ps = bl.Logit.from_formula("s ~ x", counts, trials="n").prior_set
    xbar = float(np.average(counts["x"], weights=counts["n"]))
    t0, b1 = np.meshgrid(np.linspace(-1.5, 1.0, 401), np.linspace(0.0, 2.0, 401), indexing="ij")
    eta = t0[..., None] + b1[..., None] * (counts["x"].to_numpy() - xbar)
    s, f = counts["s"].to_numpy(), counts["f"].to_numpy()
    lp = (s * log_expit(eta) + f * log_expit(-eta)).sum(-1)
    lp += -0.5 * (t0 / ps.priors[0].sigma) ** 2 - 0.5 * (b1 / ps.priors[1].sigma) ** 2
    w = np.exp(lp - lp.max())
    w /= w.sum()
    b0 = t0 - b1 * xbar
    mean = np.array([(b0 * w).sum(), (b1 * w).sum()])
    sd = np.sqrt(np.array([(b0**2 * w).sum(), (b1**2 * w).sum()]) - mean**2)
    return mean, sd


def _within_mc_error(post, mean, sd):
    summ = post.summary()
    ess = summ["ess_bulk"].to_numpy()
    np.testing.assert_array_less(np.abs(summ["estimate"].to_numpy() - mean), 4 * sd / np.sqrt(ess))
    np.testing.assert_allclose(summ["std_error"].to_numpy(), sd, rtol=0.15)


@pytest.mark.parametrize("sampler", ["gibbs", "auto"])
def test_posterior_matches_quadrature(counts, quadrature, sampler):
    m = bl.Logit.from_formula("s ~ x", counts, trials="n")
    post = m.sample(draws=600, tune=200, chains=2, sampler=sampler, random_seed=3,
                    progressbar=False)
    _within_mc_error(post, *quadrature)


def test_gibbs_with_large_trials_matches_newton_sd():
    # trials far above the Devroye range use the saddle-point PG sampler
    x = np.linspace(-1, 1, 6)
    n = np.full(6, 4000)
    s = np.round(n / (1 + np.exp(-(0.2 + 0.5 * x)))).astype(int)
    m = bl.Logit(s, sm.add_constant(x), trials=n, priors=bl.Normal(0, 10))
    post = m.sample(draws=500, tune=100, chains=2, sampler="gibbs", random_seed=1,
                    progressbar=False)
    mle = bl.Logit(s, sm.add_constant(x), trials=n).fit()
    np.testing.assert_allclose(post.bse, mle.bse, rtol=0.15)
    np.testing.assert_array_less(np.abs(post.params - mle.params), 5 * mle.bse / np.sqrt(
        post.summary()["ess_bulk"]) + 1e-3)


def test_nuts_counts_matches_quadrature(counts, quadrature):
    m = bl.Logit.from_formula("s ~ x", counts, trials="n")
    post = m.sample(draws=400, tune=300, chains=2, sampler="nuts", random_seed=5,
                    progressbar=False)
    _within_mc_error(post, *quadrature)
    text = str(post)
    total = int(counts["s"].sum()), int(counts["n"].sum())
    assert f"Binomial counts: {total[0]} successes out of {total[1]} trials in 8 rows" in text
    loo_ll = post.to_arviz()["log_likelihood"]["y"]
    assert loo_ll.sizes["obs"] == len(counts)  # LOO over the aggregated rows


def test_series_alignment_and_missing(counts):
    shuffled = counts.sample(frac=1.0, random_state=0)
    X = sm.add_constant(counts[["x"]])
    a = bl.Logit(counts["s"], X, trials=shuffled["n"]).fit()
    b = bl.Logit.from_formula("s ~ x", counts, trials="n").fit()
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=1e-12)
    holed = counts.astype({"n": float}).copy()
    holed.loc["g2", "n"] = np.nan
    with pytest.raises(MissingDataError, match="trials rows \\['g2'\\]"):
        bl.Logit.from_formula("s ~ x", holed, trials="n", missing="raise")
    m = bl.Logit.from_formula("s ~ x", holed, trials="n")
    assert m.nobs == len(counts) - 1 and list(m.dropped_rows) == ["g2"]


@pytest.mark.parametrize(("change", "match"), [
    ({"s": [1.5]}, "whole numbers; rows \\['g0'\\]"),
    ({"s": [-1]}, "non-negative whole numbers"),
    ({"s": [13]}, "exceeds trials in rows \\['g0'\\]"),
    ({"n": [0]}, "trials is 0 in rows \\['g0'\\]"),
    ({"n": [2.5]}, "trials must be non-negative whole numbers"),
    ({"w": [0]}, "freq_weights must be positive; rows \\['g0'\\]"),
    ({"w": [1.5]}, "freq_weights must be whole numbers"),
])
def test_bad_counts_name_rows(counts, change, match):
    df = counts.astype(float).copy()
    for col, values in change.items():
        df.loc["g0", col] = values[0]
    with pytest.raises(ValueError, match=match):
        bl.Logit.from_formula("s ~ x", df, trials="n", freq_weights="w")


def test_proportions_with_trials_say_so(counts):
    df = counts.assign(p=counts["s"] / counts["n"])
    with pytest.raises(ValueError, match="looks like proportions"):
        bl.Logit.from_formula("p ~ x", df, trials="n")


def test_binary_outcome_with_trials_warns(counts):
    df = counts.assign(y=(counts["s"] > counts["f"]).astype(int))
    with pytest.warns(DataWarning, match="is 0 or 1, yet trials exceed 1"):
        bl.Logit.from_formula("y ~ x", df, trials="n")


def test_proportions_sampled_without_trials_warn(counts):
    df = counts.assign(p=counts["s"] / counts["n"])
    with pytest.warns(DataWarning, match="quasi-likelihood"):
        post = bl.Logit.from_formula("p ~ x", df).sample(
            draws=100, chains=1, sampler="is", random_seed=1, progressbar=False)
    assert "trials='n'" in str(post)


def test_save_load_round_trip(counts, tmp_path):
    r = bl.Logit.from_formula("s ~ x", counts, trials="n", freq_weights="w").fit()
    path = tmp_path / "fit.nc"
    r.save(path)
    back = bl.load(path)
    np.testing.assert_array_equal(back.model.design.trials, r.model.design.trials)
    np.testing.assert_array_equal(back.model.design.freq_weights, r.model.design.freq_weights)
    assert back.llf == pytest.approx(r.llf, rel=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "Frequency weights" in str(back)


def challenger_counts() -> pd.DataFrame:
    df = bl.datasets.load_challenger()
    return (df.groupby("temperature_f")["thermal_distress"].agg(["sum", "count"])
            .rename(columns={"sum": "distress", "count": "flights"}).reset_index())


def test_cli_trials_and_weights(tmp_path, capsys):
    import json

    from bayeslogit.cli import main

    agg = challenger_counts()
    path, js = tmp_path / "agg.csv", tmp_path / "out.json"
    agg.assign(w=1).to_csv(path, index=False)
    code = main(["fit", str(path), "--formula", "distress ~ temperature_f", "--trials",
                 "flights", "--weights", "w", "--json", str(js)])
    assert code == 0
    assert "Binomial counts: 7 successes out of 23 trials in 16 rows" in capsys.readouterr().out
    est = json.loads(js.read_text())["estimates"]
    # the aggregated Challenger data give the 0/1 rows' MLE (Dalal et al.'s published fit)
    np.testing.assert_allclose(est["temperature_f"], -0.23216274, rtol=1e-7)
    np.testing.assert_allclose(est["Intercept"], 15.0429016, rtol=1e-7)


@pytest.mark.parametrize("h", [1.0, 3.0, 12.0, 13.0, 400.0])
def test_pg_draws_match_exact_moments(h):
    from bayeslogit.engines.pg import pg_draws, pg_method_groups

    size = 20_000
    rng = np.random.default_rng(int(h))
    for z in (0.0, 1.5):
        m = np.full(size, h)
        out = np.empty(size)
        pg_draws(m, pg_method_groups(m), np.full(size, z), out, rng)
        # PG(h, z): mean h tanh(z/2) / (2z), variance h (sinh z - z) / (4 z^3 cosh^2(z/2))
        mean = h / 4 if z == 0 else h * np.tanh(z / 2) / (2 * z)
        var = h / 24 if z == 0 else h * (np.sinh(z) - z) / (4 * z**3 * np.cosh(z / 2) ** 2)
        assert abs(out.mean() - mean) < 4.5 * np.sqrt(var / size)
        assert out.var() == pytest.approx(var, rel=0.05)


def test_posterior_predictive_counts_out_of_trials(counts):
    post = bl.Logit.from_formula("s ~ x", counts, trials="n").sample(
        draws=400, chains=2, sampler="gibbs", random_seed=2, progressbar=False)
    yrep = post.posterior_predictive(random_seed=1)
    assert yrep.shape == (2, 400, len(counts))
    assert np.all((yrep >= 0) & (yrep <= counts["n"].to_numpy()))
    # mean replicated count = n * mean fitted probability (binomial mean), within MC error
    p = post.predict(kind="draws")
    expected = (np.asarray(p) * counts["n"].to_numpy()).mean(axis=(0, 1))
    np.testing.assert_allclose(yrep.mean(axis=(0, 1)), expected, atol=1.0)


def test_separation_verdict_matches_expanded_rows():
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    n = np.full(5, 3)
    X = sm.add_constant(x)
    for s, separated in ((np.array([0, 0, 1, 3, 3]), True), (np.array([0, 1, 1, 3, 3]), False)):
        # the mixed row at x = 0 (0 < s < n) is a 0 and a 1 row: it separates nothing itself
        e = expand(pd.DataFrame({"x": x, "s": s, "f": n - s}))
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            bl.Logit(s, X, trials=n).fit()
            bl.Logit(e["y"], sm.add_constant(e["x"].to_numpy())).fit()
        flags = [issubclass(w.category, bl.PerfectSeparationWarning) for w in rec]
        assert sum(flags) == (2 if separated else 0)


@pytest.mark.parametrize("at", ["overall", "mean"])
def test_marginal_effects_equal_expanded_rows(counts, at):
    r = bl.Logit.from_formula("s ~ x", counts, trials="n", freq_weights="w").fit()
    e = expand(counts, weights=True)
    ref = sm.Logit(e["y"].to_numpy(), sm.add_constant(e["x"].to_numpy())).fit(disp=0, tol=1e-12)
    got = r.get_margeff(at=at)
    want = ref.get_margeff(at=at)
    np.testing.assert_allclose(got.margeff, want.margeff, rtol=1e-7)
    np.testing.assert_allclose(got.margeff_se, want.margeff_se, rtol=1e-6)
