"""The data contract: messy inputs are used as statsmodels uses the complete cases, or refused
with a message that names the argument, the value and a remedy that works."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy.special import expit

import bayeslogit as bl
from bayeslogit.cli import main


@pytest.fixture(scope="module")
def messy() -> pd.DataFrame:
    """Numeric, categorical and count columns, an exposure, a Yes/No outcome; string index."""
    rng = np.random.default_rng(404)
    n = 240
    x = rng.normal(size=n)
    g = rng.choice(["a", "b", "c"], n)
    visits = rng.poisson(1.0, n)
    logexp = np.log(rng.uniform(0.5, 3, n))
    eta = -0.3 + 0.8 * x + np.select([g == "b", g == "c"], [0.6, -0.7], 0) + 0.5 * (visits > 0)
    y = (rng.random(n) < expit(eta + logexp)).astype(int)
    return pd.DataFrame({"y": y, "x": x, "g": g, "visits": visits, "logexp": logexp,
                         "default": np.where(y == 1, "Yes", "No")},
                        index=[f"r{i}" for i in range(n)])


def sm_params(formula: str, data: pd.DataFrame, **kw) -> pd.Series:
    return smf.logit(formula, data, **kw).fit(disp=0, tol=1e-12).params


def assert_params(ours, ref: pd.Series, rtol: float = 1e-7) -> None:
    assert sorted(ours.params.index) == sorted(ref.index)
    np.testing.assert_allclose(ours.params[ref.index], ref, rtol=rtol, atol=1e-9)


def with_missing(df: pd.DataFrame, col: str, rows: list[int], value) -> pd.DataFrame:
    out = df.copy()
    out[col] = out[col].astype(object)
    out.iloc[rows, out.columns.get_loc(col)] = value
    return out


# -- kind 1: missing values in categorical (and every other) column -----------------------
@pytest.mark.parametrize("dtype", ["object", "str", "category", "string"])
@pytest.mark.parametrize("na", [np.nan, None, pd.NA])
def test_missing_category_is_dropped_or_located(messy, dtype, na):
    df = with_missing(messy, "g", [3, 10, 11], na)
    df["g"] = df["g"].astype(dtype) if dtype != "object" else df["g"]
    complete = messy.drop(index=messy.index[[3, 10, 11]])
    ref = sm_params("y ~ x + C(g)", complete)
    m = bl.Logit.from_formula("y ~ x + C(g)", df)
    assert m.nobs == len(complete) and m.n_dropped == 3
    assert list(m.dropped_rows) == ["r3", "r10", "r11"]
    assert_params(m.fit(), ref)
    for policy in ("raise", "none"):
        with pytest.raises(bl.MissingDataError, match=r"column 'g' rows \['r3', 'r10', 'r11'\]"):
            bl.Logit.from_formula("y ~ x + C(g)", df, missing=policy)


def test_missing_inside_a_transformed_factor(messy):
    """NaN > 0 is False in Python; the row is missing, as R's model.frame treats it."""
    df = messy.assign(visits=messy["visits"].astype(float))
    df.iloc[[0, 5], df.columns.get_loc("visits")] = np.nan
    ref = sm_params("y ~ x + C(visits > 0)", df.dropna())
    res = bl.Logit.from_formula("y ~ x + C(visits > 0)", df).fit()
    assert res.nobs == len(messy) - 2
    assert_params(res, ref)


def test_unused_category_after_dropping_is_not_a_column(messy):
    df = messy.assign(g=pd.Categorical(messy["g"], categories=["a", "b", "c", "zz"]))
    res = bl.Logit.from_formula("y ~ x + C(g)", df).fit()
    assert_params(res, sm_params("y ~ x + C(g)", messy))


# -- kind 2: pandas alignment ----------------------------------------------------------------
def test_series_aligned_on_the_index(messy):
    X = sm.add_constant(messy[["x", "visits"]])
    ref = sm.Logit(messy["y"], X).fit(disp=0).params
    order = np.random.default_rng(0).permutation(len(messy))
    shuffled_y = messy["y"].iloc[order]
    off = messy["logexp"]
    res = bl.Logit(shuffled_y, X).fit()
    np.testing.assert_allclose(res.params, ref, rtol=1e-8)
    ref_off = sm.Logit(messy["y"], X, offset=off).fit(disp=0).params
    res_off = bl.Logit(shuffled_y, X, offset=off.iloc[order[::-1]]).fit()
    np.testing.assert_allclose(res_off.params, ref_off, rtol=1e-8)
    assert res_off.model.design.row_labels.equals(X.index)


def test_mismatched_index_named(messy):
    X = sm.add_constant(messy[["x"]])
    y = messy["y"].reset_index(drop=True)
    with pytest.raises(bl.ColumnMismatchError, match=r"\[0, 1, 2, 3, 4\] are only in endog.*"
                                                     r"'r0', 'r1'.*to_numpy"):
        bl.Logit(y, X)
    np.testing.assert_allclose(bl.Logit(y.to_numpy(), X).fit().params,
                               sm.Logit(y.to_numpy(), X).fit(disp=0).params, rtol=1e-8)
    with pytest.raises(bl.ColumnMismatchError, match="offset"):
        bl.Logit(messy["y"], X, offset=messy["logexp"].iloc[:-1])


def test_missing_error_names_index_labels(messy):
    X = sm.add_constant(messy[["x"]]).astype({"x": object})
    X.loc["r7", "x"] = None
    with pytest.raises(bl.MissingDataError, match=r"exog 'x' rows \['r7'\]"):
        bl.Logit(messy["y"], X)
    res = bl.Logit(messy["y"], X, missing="drop").fit()
    ref = sm.Logit(messy["y"], X.astype(float), missing="drop").fit(disp=0).params
    np.testing.assert_allclose(res.params, ref, rtol=1e-8)


# -- kind 3: columns matched by name at predict, for every result kind -----------------------
@pytest.fixture(scope="module")
def named_fits(messy):
    X = sm.add_constant(messy[["x", "visits"]])
    m = bl.Logit(messy["y"], X)
    return X, sm.Logit(messy["y"], X).fit(disp=0), {
        "mle": m.fit(), "map": m.fit(method="map"),
        "laplace": m.fit(method="laplace", random_seed=0),
        "is": m.sample(draws=300, chains=2, sampler="is", random_seed=0)}


@pytest.mark.parametrize("kind", ["mle", "map", "laplace", "is"])
def test_predict_selects_columns_by_name(named_fits, kind):
    X, ref, fits = named_fits
    res = fits[kind]
    new = X.iloc[:6]
    reordered = new[["visits", "const", "x"]]
    np.testing.assert_allclose(res.predict(reordered), res.predict(new), rtol=1e-12)
    if kind == "mle":
        np.testing.assert_allclose(res.predict(reordered), ref.predict(new), rtol=1e-10)
    with pytest.raises(bl.ColumnMismatchError, match=r"missing \['visits'\]"):
        res.predict(new[["const", "x"]])
    with pytest.raises(bl.ColumnMismatchError, match=r"unexpected \['y'\]"):
        res.predict(new.assign(y=1))


# -- kind 4: offsets are part of the model's data --------------------------------------------
def test_offset_column_read_at_predict(messy):
    ref = smf.logit("y ~ x", messy, offset=messy["logexp"]).fit(disp=0, tol=1e-12)
    model = bl.Logit.from_formula("y ~ x", messy, offset="logexp")
    new = messy.iloc[:5]
    expected = ref.predict(new, offset=new["logexp"])
    for res in (model.fit(), model.sample(draws=300, chains=2, sampler="is", random_seed=1)):
        got = res.predict(new)
        tol = 1e-9 if res.method == "mle" else 0.05
        np.testing.assert_allclose(got, expected, rtol=tol)
        np.testing.assert_allclose(res.predict(new, offset=np.zeros(5)),
                                   res.predict(new.assign(logexp=0.0)), rtol=1e-12)
        with pytest.raises(bl.ColumnMismatchError, match="offset='logexp'.*add it"):
            res.predict(new.drop(columns="logexp"))


@pytest.mark.parametrize("term", ["offset(logexp)", "offset(np.log(np.exp(logexp)))"])
def test_offset_term_in_formula(messy, term):
    ref = smf.logit("y ~ x + C(g)", messy, offset=messy["logexp"]).fit(disp=0, tol=1e-12)
    res = bl.Logit.from_formula(f"y ~ x + {term} + C(g)", messy).fit()
    assert_params(res, ref.params)
    new = messy.iloc[:4]
    np.testing.assert_allclose(res.predict(new), ref.predict(new, offset=new["logexp"]),
                               rtol=1e-9)
    np.testing.assert_allclose(res.predict(new, offset=0), ref.predict(new, offset=np.zeros(4)),
                               rtol=1e-9)


def test_offset_shape_and_type_refused(messy):
    X = sm.add_constant(messy[["x"]]).to_numpy()
    y = messy["y"].to_numpy()
    with pytest.raises(ValueError, match=r"offset must have shape \(240,\).*\(120, 2\)"):
        bl.Logit(y, X, offset=np.zeros((120, 2)))
    with pytest.raises(ValueError, match="offset must be numeric.*'a'"):
        bl.Logit(y, X, offset=np.array(["a"] * len(y)))
    res = bl.Logit(y, X, offset=messy["logexp"].to_numpy()).fit()
    with pytest.warns(bl.DataWarning, match="offset 0"):
        res.predict(X[:3])
    with pytest.raises(bl.ColumnMismatchError, match="offset='abc'"):
        res.predict(X[:3], offset="abc")


# -- kind 5: outcomes of every dtype ---------------------------------------------------------
@pytest.mark.parametrize("dtype", ["bool", "boolean", "Int64", "float32", "int8"])
def test_numeric_and_boolean_outcomes(messy, dtype):
    df = messy.assign(y=messy["y"].astype(dtype))
    if dtype in ("boolean", "Int64"):
        df.iloc[[2, 9], df.columns.get_loc("y")] = pd.NA
    complete = messy.drop(index=messy.index[[2, 9]]) if dtype in ("boolean", "Int64") else messy
    ref = sm_params("y ~ x", complete)
    assert_params(bl.Logit.from_formula("y ~ x", df).fit(), ref)
    X = sm.add_constant(df[["x"]])
    assert_params(bl.Logit(df["y"], X, missing="drop").fit(),
                  sm.Logit(complete["y"].astype(float), sm.add_constant(complete[["x"]]))
                  .fit(disp=0).params)


@pytest.mark.parametrize("dtype", ["object", "str", "category", "string"])
def test_categorical_outcome_needs_event_and_the_remedy_works(messy, dtype):
    df = messy.assign(default=messy["default"].astype(dtype))
    ref = sm_params("y ~ x", messy)
    with pytest.raises(ValueError, match="event") as err:
        bl.Logit.from_formula("default ~ x", df)
    call = re.search(r"bl\.Logit\.from_formula\(.*\)", str(err.value)).group(0)
    res = eval(call, {"bl": bl, "data": df}).fit()
    assert res.model.event == "Yes"
    assert "P(default = Yes)" in str(res).splitlines()[0]
    assert_params(res, ref)
    X = sm.add_constant(df[["x"]])
    with pytest.raises(ValueError, match="event") as err:
        bl.Logit(df["default"], X)
    call = re.search(r"bl\.Logit\(.*\)", str(err.value)).group(0)
    res = eval(call, {"bl": bl, "y": df["default"], "X": X}).fit()
    np.testing.assert_allclose(res.params, sm.Logit(messy["y"], X).fit(disp=0).params,
                               rtol=1e-8)
    with pytest.raises(ValueError, match="event='yes' is not a level.*'No', 'Yes'"):
        bl.Logit.from_formula("default ~ x", df, event="yes")


def test_event_on_numeric_coding(messy):
    df = messy.assign(y12=messy["y"] + 1)
    assert_params(bl.Logit.from_formula("y12 ~ x", df, event=2).fit(), sm_params("y ~ x", messy))


# -- kind 6: categorical encodings at predict ------------------------------------------------
def test_transformed_categorical_predicts_like_statsmodels(messy):
    f = "y ~ x + C(visits > 0)"
    ref = smf.logit(f, messy).fit(disp=0, tol=1e-12)
    res = bl.Logit.from_formula(f, messy).fit()
    new = messy.iloc[:12]
    np.testing.assert_allclose(res.predict(new), ref.predict(new), rtol=1e-9)


def test_levels_at_predict(messy):
    res = bl.Logit.from_formula("y ~ x + g", messy).fit()
    ref = smf.logit("y ~ x + g", messy).fit(disp=0, tol=1e-12)
    new = messy.iloc[:6]
    expected = ref.predict(new)
    unused = new.assign(g=pd.Categorical(new["g"], categories=["a", "b", "c", "d"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(res.predict(unused), expected, rtol=1e-9)
        np.testing.assert_allclose(res.predict(new.astype({"g": "string"})), expected, rtol=1e-9)
    with pytest.raises(bl.UnseenLevelError, match=r"column 'g' has level\(s\) 'd'"):
        res.predict(new.assign(g=["a", "d", "b", "a", "a", "c"]))
    fitted_on_string = bl.Logit.from_formula("y ~ x + g", messy.astype({"g": "string"})).fit()
    assert_params(fitted_on_string, ref.params)
    missing_g = with_missing(new, "g", [1], pd.NA)
    p = res.predict(missing_g)
    assert np.isnan(p.iloc[1]) and np.allclose(p.drop(index=p.index[1]),
                                               expected.drop(index=expected.index[1]))


# -- kind 7: names ---------------------------------------------------------------------------
def test_numpy_names_follow_statsmodels():
    y = np.array([1, 1, 0, 0.0])
    for X in (np.array([[1, 0, 1], [1, 0, 1], [1, 2, 1], [1, 1, 1.0]]),
              np.array([[0, 1, 1], [0, 1, 1], [2, 1, 1], [1, 1, 1.0]]),
              np.array([[0, 3], [1, 2], [2, 1], [1, 1.0]])):
        assert bl.Logit(y, X, check_rank=False).exog_names == sm.Logit(y, X).exog_names


def test_duplicate_column_names_refused(messy):
    X = sm.add_constant(messy[["x", "visits"]]).set_axis(["const", "x", "x"], axis=1)
    with pytest.raises(bl.ColumnMismatchError, match=r"duplicate column names \['x'\]"):
        bl.Logit(messy["y"], X)
    with pytest.raises(bl.ColumnMismatchError, match=r"duplicate column names \['x'\]"):
        bl.Logit.from_formula("y ~ visits", messy[["y", "x", "visits"]]
                              .set_axis(["y", "x", "x"], axis=1))


# -- kind 8: messages naming the argument ----------------------------------------------------
def test_more_coefficients_than_rows_with_priors():
    rng = np.random.default_rng(12)
    X = np.column_stack([np.ones(10), rng.normal(size=(10, 14))])
    y = np.r_[np.ones(5), np.zeros(5)]
    with pytest.raises(bl.RankDeficiencyError, match="pass priors and use method='map'"):
        bl.Logit(y, X)
    model = bl.Logit(y, X, priors=bl.Normal(0, 1))
    res = model.fit(method="map")
    assert res.converged and np.all(np.isfinite(res.params))
    with pytest.raises(bl.RankDeficiencyError, match="Only 10 observations"):
        model.fit()


@pytest.mark.parametrize("call, words", [
    (lambda y, X, df, r: bl.Logit.from_formula(None, df), "formula must be a string"),
    (lambda y, X, df, r: bl.Logit.from_formula("y ~ x", df.iloc[:0]), "data has 0 rows"),
    (lambda y, X, df, r: r.summary(ci_prob=None), "ci_prob must be a probability.*None"),
    (lambda y, X, df, r: r.conf_int(alpha=0), "alpha must be a probability.*alpha=0.05"),
    (lambda y, X, df, r: r.predict(X[:3], offset="abc"), "offset='abc'"),
    (lambda y, X, df, r: bl.Logit(y, np.column_stack([X, np.full(len(y), np.nan)]),
                                  missing="drop"), "'x2' is missing in every row"),
    (lambda y, X, df, r: bl.Logit(y, X, missing="drop", offset=np.full(len(y), np.nan)),
     "offset is missing in every row"),
])
def test_messages_name_the_argument(messy, call, words):
    y = messy["y"].to_numpy()
    X = sm.add_constant(messy[["x"]]).to_numpy()
    r = bl.Logit(y, X).fit()
    with pytest.raises(ValueError, match=words):
        call(y, X, messy, r)


def test_object_columns(messy):
    y = messy["y"].to_numpy()
    X = sm.add_constant(messy[["x"]]).to_numpy()
    numbers = pd.DataFrame(X, columns=["c", "x"]).astype({"x": object})
    np.testing.assert_allclose(bl.Logit(y, numbers).fit().params,
                               sm.Logit(y, X).fit(disp=0).params, rtol=1e-8)
    bad = X.astype(object)
    bad[3, 1] = "abc"
    with pytest.raises(ValueError, match=r"column 'x1' \(dtype object\).*'abc' in rows \[3\]"):
        bl.Logit(y, bad)
    with pytest.raises(ValueError, match="column 'g' has dtype .*C\\(...\\)"):
        bl.Logit(y, messy[["x", "g"]])


# -- kind 9: dropped rows are reported -------------------------------------------------------
def test_dropped_rows_reported(messy, tmp_path, capsys):
    df = with_missing(messy, "g", [1, 2], None)
    df.iloc[[2, 4], df.columns.get_loc("x")] = np.nan
    res = bl.Logit.from_formula("y ~ x + C(g)", df).fit()
    ref = smf.logit("y ~ x + C(g)", df).fit(disp=0)
    assert res.nobs == ref.nobs == len(df) - 3
    attrs = res.summary().attrs
    assert attrs["n_dropped"] == 3 and attrs["dropped"] == {"column 'g'": 2, "column 'x'": 2}
    assert "3 rows with missing values dropped" in str(res)
    assert "3 rows with missing values dropped" in str(res.model.fit(method="map"))
    path = tmp_path / "messy.csv"
    df.to_csv(path, index=False)
    capsys.readouterr()
    assert main(["fit", str(path), "--formula", "default ~ x + C(g)", "--event", "Yes"]) == 0
    out = capsys.readouterr().out
    assert "3 rows with missing values dropped" in out.splitlines()[0]
    assert "P(default = Yes)" in out
