"""The data contract, continued: date-like columns, small integer dtypes inside formula
transforms, single rows at predict, name matching for numpy-fitted models, and remedies
(``event=``, missing columns, the command line's ``--event`` and output paths) that work
when pasted. References are statsmodels fits on the equivalent clean data."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit

import bayeslogit as bl
from bayeslogit.cli import main
from bayeslogit.errors import (
    ColumnMismatchError,
    EventLevelError,
    UnseenLevelError,
    UnsupportedDtypeError,
)


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    """A numeric predictor, a count 0..4 (read as days, or as small integers), a factor."""
    rng = np.random.default_rng(1107)
    n = 200
    x = rng.normal(size=n)
    k = rng.integers(0, 5, n)
    g = rng.choice(["lo", "mid", "hi"], n)
    y = (rng.random(n) < expit(-0.6 + 0.8 * x + 0.3 * k + 0.5 * (g == "hi"))).astype(int)
    return pd.DataFrame({"y": y, "x": x, "k": k, "g": g})


def date_like(k: pd.Series, kind: str) -> pd.Series:
    """``k`` days as a duration, or as a date/period ``k`` days (months) after a start."""
    start = pd.Timestamp("2021-03-01")
    if kind == "timedelta":
        return pd.to_timedelta(k, unit="D")
    if kind == "datetime":
        return start + pd.to_timedelta(k, unit="D")
    if kind == "datetime_tz":
        return (start + pd.to_timedelta(k, unit="D")).dt.tz_localize("Europe/Paris")
    return pd.Series(pd.PeriodIndex(pd.Period("2021-03", "D") + k.to_numpy()), index=k.index)


def sm_fit(formula: str, data: pd.DataFrame):
    return smf.logit(formula, data).fit(disp=0, tol=1e-12)


def remedy_of(message: str) -> str:
    """The assignment a date-like refusal proposes, e.g. ``data['d_days'] = ...``."""
    m = re.search(r"e\.g\. (\w+\['\w+'\] = .+?) \(in days", message)
    assert m, message
    return m.group(1)


# -- kind 5: date-like columns are refused wherever a number is needed --------------------
KINDS = ["timedelta", "datetime", "datetime_tz", "period"]


@pytest.mark.parametrize("kind", KINDS)
def test_date_like_formula_column_refused_and_the_remedy_works(base, kind):
    data = base.assign(d=date_like(base.k, kind))
    with pytest.raises(UnsupportedDtypeError, match=r"column 'd' has dtype") as err:
        bl.Logit.from_formula("y ~ x + d", data)
    assert str(data.d.dtype) in str(err.value)
    exec(remedy_of(str(err.value)), {"pd": pd, "np": np, "data": data})
    # the pasted conversion gives days since the earliest date: k up to a shift
    # (periods here are daily)
    ours = bl.Logit.from_formula("y ~ x + d_days", data).fit()
    ref = sm_fit("y ~ x + k", base)
    np.testing.assert_allclose(ours.params["d_days"], ref.params["k"], rtol=1e-7)
    np.testing.assert_allclose(ours.predict(data), ref.predict(base), rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_date_like_as_categories_works(base, kind):
    data = base.assign(d=date_like(base.k, kind))
    ours = bl.Logit.from_formula("y ~ x + C(d)", data).fit()
    ref = sm_fit("y ~ x + C(k)", base)
    levels = [c for c in ours.params.index if c.startswith("C(d)")]
    np.testing.assert_allclose(ours.params[levels], ref.params[[f"C(k)[T.{j}]" for j in
                                                                range(1, 5)]], rtol=1e-6)
    np.testing.assert_allclose(ours.params[["Intercept", "x"]], ref.params[["Intercept", "x"]],
                               rtol=1e-6)
    np.testing.assert_allclose(ours.predict(data.head(7)), ref.predict(base.head(7)),
                               rtol=1e-7)


@pytest.mark.parametrize("expr", ["I(d * 2)", "np.log1p(d)", "center(d)", "d:x"])
def test_date_like_inside_a_transform_refused(base, expr):
    data = base.assign(d=date_like(base.k, "timedelta"))
    with pytest.raises(UnsupportedDtypeError, match="'d'"):
        bl.Logit.from_formula(f"y ~ x + {expr}", data)


@pytest.mark.parametrize("kind", KINDS)
def test_date_like_refused_at_predict(base, kind):
    """Fitted on days as numbers, a duration (or date) at predict must not be read in its
    storage unit."""
    fit = bl.Logit.from_formula("y ~ x + d", base.assign(d=base.k.astype(float))).fit()
    new = base.head(5).assign(d=date_like(base.k.head(5), kind))
    with pytest.raises(UnsupportedDtypeError, match=r"column 'd' has dtype"):
        fit.predict(new)


@pytest.mark.parametrize("kind", KINDS)
def test_date_like_refused_in_the_array_path(base, kind):
    X = sm.add_constant(base[["x"]]).assign(d=date_like(base.k, kind))
    with pytest.raises(UnsupportedDtypeError, match=r"exog column 'd' has dtype") as err:
        bl.Logit(base.y, X)
    exec(remedy_of(str(err.value)).replace("exog[", "X["), {"pd": pd, "X": X})
    ours = bl.Logit(base.y, X.drop(columns="d")).fit()
    ref = sm.Logit(base.y, X[["const", "x", "d_days"]]).fit(disp=0, tol=1e-12)
    assert ours.params.index.tolist() == ["const", "x", "d_days"]
    np.testing.assert_allclose(ours.params, ref.params, rtol=1e-7)
    named = bl.Logit(base.y, sm.add_constant(base[["x", "k"]])).fit()
    with pytest.raises(UnsupportedDtypeError):
        named.predict(sm.add_constant(base[["x"]]).assign(k=date_like(base.k, kind)))


def test_numpy_datetime_array_refused(base):
    stamps = np.datetime64("2021-03-01") + base.k.to_numpy().astype("m8[D]")
    with pytest.raises(UnsupportedDtypeError, match="np.timedelta64"):
        bl.Logit(base.y, stamps[:, None])


@pytest.mark.parametrize("kind", KINDS)
def test_date_like_response_refused_and_the_cut_works(base, kind):
    d = date_like(base.k, kind)
    with pytest.raises(UnsupportedDtypeError, match="not an outcome") as err:
        bl.Logit(d, sm.add_constant(base[["x"]]))
    with pytest.raises(UnsupportedDtypeError, match="not an outcome"):
        bl.Logit.from_formula("d ~ x", base.assign(d=d))
    code = re.search(r"e\.g\. (.+?), with the cut", str(err.value)).group(1)
    coded = eval(code, {"pd": pd, "y": d})  # noqa: S307 - the printed remedy itself
    np.testing.assert_array_equal(coded, (base.k > 0).astype(int))


def test_date_like_offset_refused(base):
    data = base.assign(e=pd.to_timedelta(base.k, unit="h"))
    with pytest.raises(UnsupportedDtypeError, match="offset column 'e'"):
        bl.Logit.from_formula("y ~ x", data, offset="e")
    with pytest.raises(UnsupportedDtypeError, match="offset"):
        bl.Logit(base.y, sm.add_constant(base[["x"]]), offset=data.e)


# -- kind 6: small integer dtypes do not wrap inside formula transforms -------------------
@pytest.mark.parametrize("dtype,formula", [
    ("uint8", "y ~ I(k - 3)"), ("int8", "y ~ I(k * 100)"), ("Int8", "y ~ I(k * 100)"),
    ("int16", "y ~ I(k ** 7)"), ("UInt8", "y ~ x + I(k - 3) + np.square(k - 2)"),
    ("float32", "y ~ I(k / 3)"),
])
def test_small_integers_inside_transforms(base, dtype, formula):
    ours = bl.Logit.from_formula(formula, base.assign(k=base.k.astype(dtype))).fit()
    ref = sm_fit(formula, base.assign(k=base.k.astype(float)))
    np.testing.assert_allclose(ours.params, ref.params, rtol=1e-6)
    new = base.head(6).assign(k=base.k.head(6).astype(dtype))
    np.testing.assert_allclose(ours.predict(new), ref.predict(base.head(6)), rtol=1e-7)


def test_nullable_small_integer_na_is_missing(base):
    k = pd.array(base.k, dtype="Int8")
    k[[2, 9]] = pd.NA
    ours = bl.Logit.from_formula("y ~ I(k * 100)", base.assign(k=k)).fit()
    ref = sm_fit("y ~ I(k * 100)", base.drop(index=[2, 9]))
    assert ours.model.n_dropped == 2
    np.testing.assert_allclose(ours.params, ref.params, rtol=1e-6)


def test_small_integer_factor_keeps_its_levels(base):
    ours = bl.Logit.from_formula("y ~ x + C(k)", base.assign(k=base.k.astype("int8"))).fit()
    ref = sm_fit("y ~ x + C(k)", base)
    assert sorted(ours.params.index) == sorted(ref.params.index)
    np.testing.assert_allclose(ours.params[ref.params.index], ref.params, rtol=1e-6)


# -- kind 8: numpy-fitted models match a DataFrame by name when the names are the model's --
@pytest.fixture(scope="module")
def numpy_fit(base):
    A = np.column_stack([np.ones(len(base)), base.x, base.k])
    return A, bl.Logit(base.y.to_numpy(), A).fit(), sm.Logit(base.y.to_numpy(), A).fit(disp=0)


def test_numpy_model_selects_its_names(numpy_fit):
    A, ours, ref = numpy_fit
    new = pd.DataFrame(A[:6], columns=["const", "x1", "x2"])
    np.testing.assert_allclose(ours.predict(new[["x2", "const", "x1"]]), ref.predict(A[:6]),
                               rtol=1e-7)


def test_numpy_model_pairs_other_names_by_position(numpy_fit):
    A, ours, ref = numpy_fit
    new = pd.DataFrame(A[:6], columns=["a", "b", "c"])
    np.testing.assert_allclose(ours.predict(new), ref.predict(new), rtol=1e-7)


# -- kind 11/12: one row, dicts of scalars, levels, remedies that work --------------------
def test_one_row_forms(base, numpy_fit):
    A, ours, ref = numpy_fit
    row = A[3]
    expected = expit(row @ ref.params)
    np.testing.assert_allclose(ours.predict(row), [expected], rtol=1e-7)
    np.testing.assert_allclose(ref.predict(row), [expected], rtol=1e-12)
    np.testing.assert_allclose(ours.predict({"const": 1.0, "x1": row[1], "x2": row[2]}),
                               [expected], rtol=1e-7)
    with pytest.raises(ColumnMismatchError, match="1-D array is one row only"):
        ours.predict(A[:5, 1])
    X = sm.add_constant(base[["x", "k"]])
    named = bl.Logit(base.y, X).fit()
    one = named.predict(X.iloc[3])
    assert one.index.tolist() == [X.index[3]]
    np.testing.assert_allclose(one, [expected], rtol=1e-7)
    np.testing.assert_allclose(named.predict(X.iloc[3][["k", "const", "x"]]), [expected],
                               rtol=1e-7)
    np.testing.assert_allclose(named.predict({"x": row[1], "k": row[2], "const": 1.0}),
                               [expected], rtol=1e-7)
    with pytest.raises(ColumnMismatchError, match="index holds the model's names"):
        named.predict(pd.Series([1.0, 0.2, 3.0], index=["const", "x", "z"]))


def test_one_row_formula(base):
    fit = bl.Logit.from_formula("y ~ x + C(g)", base).fit()
    ref = sm_fit("y ~ x + C(g)", base)
    expected = ref.predict(base.iloc[[4]]).to_numpy()
    np.testing.assert_allclose(fit.predict(base.iloc[4]), expected, rtol=1e-7)
    np.testing.assert_allclose(fit.predict({"x": base.x.iloc[4], "g": base.g.iloc[4]}),
                               expected, rtol=1e-7)
    one_var = bl.Logit.from_formula("y ~ x", base).fit()
    np.testing.assert_allclose(one_var.predict(base.x.head(4)),
                               sm_fit("y ~ x", base).predict(base.head(4)), rtol=1e-7)


def test_unseen_value_outside_given_levels(base):
    fit = bl.Logit.from_formula("y ~ x + C(g, levels=['mid', 'lo', 'hi'])", base).fit()
    with pytest.raises(UnseenLevelError, match=r"column 'g' has level\(s\) 'zz'"):
        fit.predict(base.head(3).assign(g=["lo", "zz", "hi"]))


@pytest.mark.parametrize("coding", ["strings", "one_two", "timestamps", "numpy_str"])
def test_event_remedies_paste(base, coding):
    X = sm.add_constant(base[["x"]])
    y = {"strings": np.where(base.y == 1, "Yes", "No"),
         "one_two": base.y + 1,
         "timestamps": np.where(base.y == 1, pd.Timestamp("2024-05-01"),
                                pd.Timestamp("2023-05-01")),
         "numpy_str": np.where(base.y == 1, np.str_("Yes"), np.str_("No")).astype(object)}[coding]
    y = pd.Series(y, index=base.index, dtype=object if coding == "timestamps" else None)
    with pytest.raises(EventLevelError) as err:
        bl.Logit(y, X)
    code = err.value.remedy
    assert code.startswith("bl.Logit(y, X, event=") and code in str(err.value)
    ours = eval(code, {"bl": bl, "pd": pd, "y": y, "X": X}).fit()  # noqa: S307
    ref = sm.Logit(base.y, X).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(ours.params, ref.params, rtol=1e-7)
    data = base.assign(out=y)
    with pytest.raises(EventLevelError) as err:
        bl.Logit.from_formula("out ~ x", data)
    code = err.value.remedy
    assert code.startswith("bl.Logit.from_formula('out ~ x', data, event=") and \
        code in str(err.value)
    ours = eval(code, {"bl": bl, "pd": pd, "data": data}).fit()  # noqa: S307
    np.testing.assert_allclose(ours.params.to_numpy(), ref.params.to_numpy(), rtol=1e-7)


def test_missing_column_message_says_what_to_add(base):
    X = sm.add_constant(base[["x", "k"]])
    fit = bl.Logit(base.y, X).fit()
    data = base[["k", "x"]].head(5).copy()
    with pytest.raises(ColumnMismatchError, match=r"missing \['const'\]") as err:
        fit.predict(data)
    assert "data[model.exog_names]" not in str(err.value)
    code = re.search(r"e\.g\. (data\.insert\(.+?\)) for the constant", str(err.value)).group(1)
    exec(code, {"data": data})
    np.testing.assert_allclose(fit.predict(data), fit.predict(X.head(5)), rtol=1e-12)
    renamed = X.head(5).rename(columns={"k": "kk"})
    with pytest.raises(ColumnMismatchError, match=r"rename\(columns=\{'kk': 'k'\}\)"):
        fit.predict(renamed)


# -- kind 10: the command line -----------------------------------------------------------
@pytest.fixture()
def yes_no_csv(base, tmp_path):
    path = tmp_path / "loans.csv"
    base.assign(default=np.where(base.y == 1, "Yes", "No")).drop(columns="y").to_csv(
        path, index=False)
    return path


def test_cli_event_remedy_is_the_option(yes_no_csv, capsys):
    assert main(["fit", str(yes_no_csv), "--formula", "default ~ x"]) == 2
    err = capsys.readouterr().err
    assert "--event Yes" in err and "event='Yes'" not in err
    assert main(["fit", str(yes_no_csv), "--formula", "default ~ x", "--event", "yes"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--event yes is not a level" in err
    assert main(["fit", str(yes_no_csv), "--formula", "default ~ x", "--event", "Yes"]) == 0


@pytest.mark.parametrize("flag", ["--json", "--save"])
def test_cli_unwritable_output_refused_before_the_fit(yes_no_csv, tmp_path, capsys, flag):
    for target in (tmp_path / "no" / "such" / "dir" / "out.x", tmp_path):
        code = main(["fit", str(yes_no_csv), "--formula", "default ~ x", "--event", "Yes",
                     flag, str(target)])
        out = capsys.readouterr()
        assert code == 2
        assert out.out == ""  # refused before fitting: no report printed
        assert out.err.startswith(f"bayeslogit: error: {flag}") and out.err.count("\n") == 1
    assert not (tmp_path / "no").exists()


# -- properties -----------------------------------------------------------------------------
@settings(max_examples=12, deadline=None)
@given(dtype=st.sampled_from(["uint8", "int8", "Int8", "UInt8", "int16", "float32"]),
       op=st.sampled_from(["-", "*", "+"]), c=st.integers(-300, 300),
       order=st.permutations(["const", "x1", "x2"]))
def test_transforms_and_column_order_property(base, dtype, op, c, order):
    formula = f"y ~ x + I(k {op} {c})"
    data = base.assign(k=base.k.astype(dtype))
    ours = bl.Logit.from_formula(formula, data).fit()
    ref = smf.logit(formula, base.assign(k=base.k.astype(float))).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(ours.predict(data.head(8)), ref.predict(base.head(8)),
                               rtol=1e-6)
    A = np.column_stack([np.ones(len(base)), base.x, base.k])
    numpy_fit = bl.Logit(base.y.to_numpy(), A).fit()
    new = pd.DataFrame(A[:5], columns=["const", "x1", "x2"])[list(order)]
    np.testing.assert_allclose(numpy_fit.predict(new), numpy_fit.predict(A[:5]), rtol=1e-12)
