"""Binomial counts at the edges: residuals against statsmodels GLM(Binomial) on star98,
integer ``observed_data``, posterior predictive counts for new rows, ``with_data`` on array
models with pandas trials, and messages whose remedies name the user's columns.

References: statsmodels ``GLM(Binomial)`` (star98's NABOVE out of NABOVE + NBELOW), the
data's own success counts, and the binomial mean ``n p`` with its Monte Carlo error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.special import expit

import bayeslogit as bl
from bayeslogit.cli import main


@pytest.fixture(scope="module")
def star98():
    d = sm.datasets.star98.load_pandas().data
    cols = ["LOWINC", "PERASIAN", "PERBLACK", "PERHISP", "PCTCHRT"]
    X = sm.add_constant(d[cols])
    glm = sm.GLM(d[["NABOVE", "NBELOW"]], X, family=sm.families.Binomial()).fit()
    fit = bl.Logit(d["NABOVE"], X, trials=d["NABOVE"] + d["NBELOW"]).fit()
    return glm, fit


def test_residuals_match_glm_binomial(star98):
    glm, fit = star98
    # GLM's response residuals are in counts: successes - trials * p
    np.testing.assert_allclose(fit.resid_response.to_numpy(), glm.resid_response.to_numpy(),
                               rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(fit.resid_pearson.to_numpy(), glm.resid_pearson.to_numpy(),
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(fit.resid_dev.to_numpy(), glm.resid_deviance.to_numpy(),
                               rtol=1e-9, atol=1e-9)


def _counts(seed: int = 3, rows: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = np.linspace(-2, 2, rows)
    n = rng.integers(2, 15, rows)
    s = rng.binomial(n, expit(0.2 + 0.9 * x))
    return pd.DataFrame({"x": x, "k": s, "size": n, "fail": n - s})


@pytest.mark.parametrize("successes", ["mixed", "none_or_all"])
def test_observed_data_holds_integer_success_counts(successes):
    df = _counts()
    if successes == "none_or_all":  # every row 0 or all successes, overlapping in x
        df["k"] = np.where(np.arange(len(df)) % 3 == 0, 0, df["size"])
    m = bl.Logit.from_formula("k ~ x", df, trials="size", priors=bl.Normal(0, 2.5))
    for result in (m.fit(), m.fit(method="laplace", draws=50, chains=2, random_seed=1)):
        y = result.to_arviz().observed_data["y"]
        assert np.issubdtype(y.dtype, np.integer)
        np.testing.assert_array_equal(y.values, df["k"].to_numpy())


def test_binary_observed_data_is_integer_for_every_result_kind():
    df = _counts().assign(b=lambda f: (f.k > 0.5 * f["size"]).astype(float))
    df.loc[[1, 28], "b"] = 1.0 - df.loc[[1, 28], "b"]  # overlap: the MLE exists
    m = bl.Logit.from_formula("b ~ x", df, priors=bl.Normal(0, 2.5))
    for result in (m.fit(), m.fit(method="map")):
        y = result.to_arviz(draws=20, chains=1).observed_data["y"]
        assert np.issubdtype(y.dtype, np.integer)
        np.testing.assert_array_equal(y.values, df["b"].to_numpy())


def test_array_with_data_aligns_pandas_trials_on_the_exog_index():
    df = _counts(rows=40)
    old, new = df.iloc[:20], df.iloc[20:]
    X = sm.add_constant(old[["x"]])
    m = bl.Logit(old["k"], X, trials=old["size"])
    shuffled = new["size"].sample(frac=1, random_state=0)
    other = m.with_data(sm.add_constant(new[["x"]]), new["k"], trials=shuffled)
    ref = sm.GLM(new[["k", "fail"]], sm.add_constant(new[["x"]]),
                 family=sm.families.Binomial()).fit()
    np.testing.assert_allclose(other.fit().params.to_numpy(), ref.params.to_numpy(),
                               rtol=1e-9, atol=1e-10)


@pytest.fixture(scope="module")
def counts_post():
    df = _counts(rows=25)
    m = bl.Logit.from_formula("k ~ x", df, trials="size", priors=bl.Normal(0, 2.5))
    return df, m.fit(method="laplace", draws=1000, chains=2, random_seed=2)


def test_posterior_predictive_reads_the_new_rows_trials(counts_post):
    df, post = counts_post
    new = pd.DataFrame({"x": [-1.0, 0.5, np.nan], "size": [3, 400, 7]})
    draws = post.posterior_predictive(new, random_seed=1)
    assert np.isnan(draws[..., 2]).all()  # a missing predictor is missing, not a 0
    kept = draws[..., :2]
    assert kept.min() >= 0 and (kept <= np.array([3, 400])).all()
    p = post.predict(new.iloc[:2], kind="draws")
    expected = (np.array([3, 400]) * p).mean(axis=(0, 1))
    se = kept.reshape(-1, 2).std(axis=0) / np.sqrt(kept[..., 0].size)
    assert (np.abs(kept.mean(axis=(0, 1)) - expected) < 5 * se).all()


def test_posterior_predictive_needs_trials_for_new_rows(counts_post):
    df, post = counts_post
    with pytest.raises(ValueError, match=r"trials column 'size'.*trials=1 draws 0/1"):
        post.posterior_predictive(df[["x"]])
    ones = post.posterior_predictive(df[["x"]], trials=1, random_seed=0)
    assert set(np.unique(ones)) <= {0, 1}
    with pytest.raises(ValueError, match="whole numbers >= 1"):
        post.posterior_predictive(df[["x"]], trials=0)
    with pytest.raises(ValueError, match="goes with new data"):
        post.posterior_predictive(trials=3)


def test_posterior_predictive_counts_above_int32(counts_post):
    _, post = counts_post
    big = 10**10
    draws = post.posterior_predictive(pd.DataFrame({"x": [0.0]}), trials=big, random_seed=0)
    p = post.predict(pd.DataFrame({"x": [0.0]}), kind="draws")
    assert draws.dtype == np.int64
    np.testing.assert_allclose(draws[..., 0] / big, p[..., 0], atol=5e-5)


def test_count_remedies_name_the_users_columns():
    df = _counts()
    zero = df.assign(size=np.r_[0, df["size"].to_numpy()[1:]], k=np.r_[0, df.k.to_numpy()[1:]])
    with pytest.raises(ValueError, match=r"data = data\[data\['size'\] > 0\]"):
        bl.Logit.from_formula("k ~ x", zero, trials="size")
    data = zero[zero["size"] > 0]  # the remedy, pasted
    assert bl.Logit.from_formula("k ~ x", data, trials="size").nobs == len(df) - 1
    two = df.assign(k=np.r_[0, df.k.to_numpy()[1:]], fail=np.r_[0, df.fail.to_numpy()[1:]])
    with pytest.raises(ValueError, match=r"data\[data\['k'\] \+ data\['fail'\] > 0\]"):
        bl.Logit.from_formula("k + fail ~ x", two)
    with pytest.raises(ValueError, match=r"gives the trials already; drop trials="):
        bl.Logit.from_formula("k + fail ~ x", df, trials="size")
    with pytest.raises(ValueError, match=r"pd.to_numeric\(data\['size'\]\)") as info:
        bl.Logit.from_formula("k ~ x", df.assign(size=df["size"].astype(str)), trials="size")
    assert "exposure" not in str(info.value)


def test_cli_names_the_count_options(tmp_path, capsys):
    path = tmp_path / "counts.csv"
    _counts().to_csv(path, index=False)
    assert main(["fit", str(path), "--formula", "k ~ x", "--trials", "nope"]) == 2
    assert "--trials nope is not a column" in capsys.readouterr().err
    assert main(["fit", str(path), "--formula", "k ~ x"]) == 2
    assert "give the trials: --trials" in capsys.readouterr().err
    assert main(["fit", str(path), "--formula", "k + fail ~ x", "--trials", "size"]) == 2
    assert "drop --trials" in capsys.readouterr().err
