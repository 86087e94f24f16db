"""Property: on random messy DataFrames (shuffled indexes, shuffled columns at predict, missing
cells, mixed dtypes) bayeslogit equals statsmodels on the complete cases, or raises one of its
documented errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from scipy.special import expit

import bayeslogit as bl

DOCUMENTED = (bl.MissingDataError, bl.RankDeficiencyError, bl.ColumnMismatchError,
              bl.UnseenLevelError)
NUMERIC = ["float64", "float32", "int8", "Int64"]
FLAGS = ["bool", "boolean"]
LEVELS = ["object", "str", "category", "string"]
OUTCOMES = ["int64", "bool", "boolean", "Int64", "float32"]
NULLABLE = {"float64", "float32", "Int64", "boolean", "object", "str", "category", "string"}


def messy_frame(seed: int, dtypes: dict[str, str], frac: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 160
    a = rng.integers(-3, 4, n).astype(float)
    b = rng.random(n) < 0.5
    g = rng.choice(["p", "q", "r"], n)
    eta = 0.4 * a - 0.6 * b + np.select([g == "q", g == "r"], [0.8, -0.5], 0)
    y = rng.random(n) < expit(eta)
    df = pd.DataFrame({"a": a, "b": b, "g": g, "y": y}).astype(object)
    for col in df.columns:
        if dtypes[col] in NULLABLE:
            df.loc[rng.random(n) < frac, col] = None
    df = df.astype({c: (t if t != "int64" else "Int64") for c, t in dtypes.items()})
    if dtypes["y"] == "int64":
        df["y"] = df["y"].astype("int64")
    labels = [f"id{i}" for i in rng.permutation(n)] if seed % 2 else rng.permutation(n) + 100
    return df.set_axis(pd.Index(labels), axis=0)


def reference_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Plain dtypes for statsmodels: floats for numbers, objects for levels; complete cases."""
    complete = df[df.notna().all(axis=1)]
    out = pd.DataFrame({"a": complete["a"].astype(float), "b": complete["b"].astype(float),
                        "g": complete["g"].astype(str).astype(object)}, index=complete.index)
    return out.assign(y=complete["y"].astype(float)) if "y" in df else out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), a=st.sampled_from(NUMERIC), b=st.sampled_from(FLAGS),
       g=st.sampled_from(LEVELS), y=st.sampled_from(OUTCOMES),
       frac=st.sampled_from([0.0, 0.03, 0.1]), col_order=st.permutations(["a", "b", "g"]))
def test_messy_frames_match_statsmodels_on_complete_cases(seed, a, b, g, y, frac, col_order):
    df = messy_frame(seed, {"a": a, "b": b, "g": g, "y": y}, frac)
    original = df.copy()
    ref_df = reference_frame(df)
    formula = "y ~ a + b + C(g)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ref = smf.logit(formula, ref_df).fit(disp=0, tol=1e-12, maxiter=100)
    except Exception:  # noqa: BLE001  separation or a missing level: not comparable
        assume(False)
    try:
        res = bl.Logit.from_formula(formula, df).fit()
    except DOCUMENTED as exc:
        event(f"formula: {type(exc).__name__}")
        return
    event("formula: compared with statsmodels")
    pd.testing.assert_frame_equal(df, original)  # the caller's data are never modified
    assert res.nobs == len(ref_df) and res.model.n_dropped == len(df) - len(ref_df)
    np.testing.assert_allclose(res.params[ref.params.index], ref.params, rtol=1e-6, atol=1e-9)
    new = df.iloc[:20][col_order]
    pred = res.predict(new)
    complete = new.notna().all(axis=1).to_numpy()
    assert np.isnan(pred.to_numpy()[~complete]).all()
    expected = ref.predict(reference_frame(new))
    np.testing.assert_allclose(pred[complete], expected, rtol=1e-6, atol=1e-12)

    # the array interface: a shuffled y Series is aligned on X's index
    X = sm.add_constant(df[["a", "b"]].astype({"b": "float64"} if b == "bool" else {}))
    y_shuffled = df["y"].sample(frac=1.0, random_state=seed % 1000)
    ref_x = sm.add_constant(ref_df[["a", "b"]])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ref2 = sm.Logit(ref_df["y"], ref_x).fit(disp=0, tol=1e-12, maxiter=100)
    except Exception:  # noqa: BLE001
        return
    try:
        res2 = bl.Logit(y_shuffled, X, missing="drop").fit()
    except DOCUMENTED as exc:
        event(f"arrays: {type(exc).__name__}")
        return
    event("arrays: compared")
    rows = df.index[df[["a", "b", "y"]].notna().all(axis=1)]
    assert res2.model.design.row_labels.equals(rows)
    if len(rows) == len(ref_df):  # no row is missing only its level
        np.testing.assert_allclose(res2.params, ref2.params, rtol=1e-6, atol=1e-9)
    shuffled_cols = X.iloc[:5][["b", "const", "a"]]
    np.testing.assert_allclose(res2.predict(shuffled_cols), res2.predict(X.iloc[:5]),
                               rtol=1e-12)
