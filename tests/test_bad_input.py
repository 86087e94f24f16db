"""Every bad input gets a clear error or warning naming the problem and a remedy."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import bayeslogit as bl


@pytest.fixture()
def data():
    rng = np.random.default_rng(0)
    X = sm.add_constant(rng.standard_normal((50, 2)))
    y = (rng.random(50) < 0.5).astype(float)
    return y, X


@pytest.mark.parametrize("bad", [[0, 2], [-1, 1], [0, 1.5]])
def test_y_outside_unit_interval(data, bad):
    y, X = data
    yb = y.copy()
    yb[:2] = bad
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\].*Recode"):
        bl.Logit(yb, X)


def test_y_strings(data):
    y, X = data
    with pytest.raises(ValueError, match="numeric 0/1.*'no'"):
        bl.Logit(np.where(y > 0, "yes", "no"), X)


def test_nan_policies(data):
    y, X = data
    Xn = X.copy()
    Xn[4, 1] = np.nan
    with pytest.raises(bl.MissingDataError, match=r"exog 'x1' rows \[4\].*missing='drop'"):
        bl.Logit(y, Xn)
    with pytest.raises(bl.MissingDataError):
        bl.Logit(y, Xn, missing="raise")
    m = bl.Logit(y, Xn, missing="drop")
    assert m.nobs == 49
    ref = sm.Logit(y, Xn, missing="drop").fit(disp=0)
    np.testing.assert_allclose(m.fit().params, ref.params, rtol=1e-9)
    off = np.zeros(50)
    off[7] = np.nan
    with pytest.raises(bl.MissingDataError, match=r"offset rows \[7\]"):
        bl.Logit(y, X, offset=off)
    assert bl.Logit(y, X, offset=off, missing="drop").nobs == 49
    with pytest.raises(ValueError, match="missing='bogus' not understood"):
        bl.Logit(y, X, missing="bogus")


def test_inf_never_dropped(data):
    y, X = data
    Xi = X.copy()
    Xi[2, 2] = np.inf
    with pytest.raises(bl.MissingDataError, match="Infinite values.*'x2' row 2"):
        bl.Logit(y, Xi, missing="drop")


def test_length_mismatch_and_empty(data):
    y, X = data
    with pytest.raises(ValueError, match="endog has 49 rows but exog has 50"):
        bl.Logit(y[:-1], X)
    with pytest.raises(ValueError, match="offset has length 3"):
        bl.Logit(y, X, offset=np.zeros(3))
    with pytest.raises(ValueError, match="No observations"):
        bl.Logit(np.array([]), np.empty((0, 2)))
    with pytest.raises(ValueError, match="exog is None"):
        bl.Logit(y, None)


def test_rank_deficiency_names_columns(data):
    y, X = data
    df = pd.DataFrame(X, columns=["const", "a", "b"]).assign(c=lambda d: 2 * d["a"])
    with pytest.raises(bl.RankDeficiencyError, match=r"\['a', 'c'\] are linearly dependent"):
        bl.Logit(y, df)


def test_complete_separation_warns():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(40)
    y = (x > 0).astype(float)
    X = sm.add_constant(x)
    with pytest.warns(bl.PerfectSeparationWarning, match="Complete separation.*method='map'"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", bl.ConvergenceWarning)
            r = bl.Logit(y, X).fit()
    assert r.separation.complete
    assert "separation" in str(r)


def test_quasi_separation_detected_where_statsmodels_misses():
    rng = np.random.default_rng(2)
    n = 200
    d = rng.integers(0, 2, n)
    z = rng.standard_normal(n)
    y = np.where(d == 1, 1.0, (rng.random(n) < 0.4).astype(float))
    X = pd.DataFrame({"const": 1.0, "z": z, "d": d})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sm.Logit(y, X).fit(disp=0)
    assert not any("separation" in str(w.message).lower() for w in caught)
    with pytest.warns(bl.PerfectSeparationWarning, match=r"Quasi-complete separation.*\['d'\]"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", bl.ConvergenceWarning)
            r = bl.Logit(y, X).fit()
    assert r.separation.columns == ("d",)


def test_nonconvergence_message(data):
    y, X = data
    with pytest.warns(bl.ConvergenceWarning, match="after 2 iterations.*last step"):
        bl.Logit(y, X).fit(maxiter=2)


def test_extreme_linear_predictor_is_stable():
    x = np.array([-800.0, -1.0, 0.5, 1.0, 800.0, 2.0])
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.0])
    from bayeslogit.logistic import log1pexp

    assert np.all(np.isfinite(log1pexp(x)))
    np.testing.assert_allclose(log1pexp(np.array([800.0])), 800.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", bl.BayesLogitWarning)
        r = bl.Logit(y, sm.add_constant(x)).fit()
    assert np.all(np.isfinite(r.params)) and np.isfinite(r.llf)


def test_inputs_not_mutated(data):
    y, X = data
    df = pd.DataFrame(X, columns=["const", "a", "b"])
    df["y"] = y
    df.loc[3, "a"] = np.nan
    before = df.copy()
    y_before = y.copy()
    bl.Logit.from_formula("y ~ a + b", df).fit()
    bl.Logit(df["y"], df[["const", "a", "b"]], missing="drop").fit(cov_type="HC1")
    pd.testing.assert_frame_equal(df, before)
    np.testing.assert_array_equal(y, y_before)


def test_bad_method_and_cov_type(data):
    y, X = data
    m = bl.Logit(y, X)
    with pytest.raises(ValueError, match="method='newton' not understood"):
        m.fit(method="newton")
    with pytest.raises(ValueError, match="cov_type"):
        m.fit(cov_type="robust")


def test_formula_errors():
    df = pd.DataFrame({"y": ["a", "b", "a", "b"], "x": [1.0, 2, 3, 4]})
    with pytest.raises(ValueError, match="response"):
        bl.Logit.from_formula("y ~ x", df)
    with pytest.raises(ValueError, match="no '~'"):
        bl.Logit.from_formula("y x", df)
    with pytest.raises(ValueError, match="zzz"):
        bl.Logit.from_formula("x ~ zzz", df)
