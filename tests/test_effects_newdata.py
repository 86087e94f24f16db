"""New data and grids for the probability-scale methods: column types and count models.

References: statsmodels' Logit on formulaic's design (predictions), and the expanded 0/1
rows' mean and mode computed with pandas (grids of count models).
"""

import formulaic
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.special import expit

import bayeslogit as bl
from bayeslogit.errors import ColumnMismatchError


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(11)
    n = 300
    df = pd.DataFrame({"x": rng.normal(size=n), "b": rng.random(n) < 0.4,
                       "g": rng.choice(["p", "q", "r"], n, p=[0.2, 0.3, 0.5])})
    df["y"] = (rng.random(n) < expit(0.3 * df.x + 0.6 * df.b - 0.4 * (df.g == "q"))).astype(int)
    return df


def test_bool_column_with_a_missing_value_in_newdata(frame):
    rhs = "x + b + C(g)"
    mm = formulaic.model_matrix(rhs, frame)
    ref = sm.Logit(frame["y"].to_numpy(float), mm.to_numpy(float)).fit(disp=0)
    r = bl.Logit.from_formula("y ~ " + rhs, frame).fit()
    new = frame.head(5).copy()
    new["b"] = new["b"].astype(object)
    new.loc[new.index[1], "b"] = np.nan  # pandas keeps such a column as object
    expected = ref.predict(mm.model_spec.get_model_matrix(frame.head(5)).to_numpy(float))
    got = r.predict(new)
    assert np.isnan(got.iloc[1])
    np.testing.assert_allclose(got.drop(new.index[1]), np.delete(expected, 1), rtol=1e-8)
    with pytest.warns(bl.DataWarning, match="1 of 5 rows"):
        p = r.predictions(newdata=new)
    np.testing.assert_allclose(p["estimate"], np.delete(expected, 1), rtol=1e-8)
    assert new["b"].dtype == object  # the caller's frame is left alone
    text = frame.head(3).assign(x=frame.x.head(3).astype(str))
    np.testing.assert_allclose(r.predict(text), expected[:3], rtol=1e-8)
    with pytest.raises(ColumnMismatchError, match=r"'b'.*'yes'.*astype\(float\)"):
        r.predict(frame.head(3).assign(b=["yes", True, False]))


def test_by_an_empty_list_is_refused_with_a_remedy(frame):
    r = bl.Logit.from_formula("y ~ x + C(g)", frame).fit()
    with pytest.raises(ValueError, match=r"by=\[\].*by=True"):
        r.avg_predictions(by=[])


def test_datagrid_of_a_count_model_is_that_of_the_expanded_rows():
    rng = np.random.default_rng(3)
    agg = pd.DataFrame({"g": ["p"] * 2 + ["q"] * 5 + ["r"] * 4,
                        "xr": rng.normal(size=11), "b": rng.random(11) < 0.5,
                        "n": [40, 35, 3, 4, 2, 5, 3, 6, 2, 4, 5]})
    agg["s"] = rng.binomial(agg["n"], 0.4)
    counts = bl.Logit.from_formula("s ~ xr + b + C(g)", agg, trials="n").fit()
    expanded = agg.loc[agg.index.repeat(agg["n"])]
    grid = bl.datagrid(counts, b=True)
    assert agg["g"].value_counts().idxmax() == "q"
    assert grid["g"].tolist() == [expanded["g"].value_counts().idxmax()] == ["p"]
    np.testing.assert_allclose(grid["xr"], expanded["xr"].mean(), rtol=1e-12)
    weighted = bl.Logit.from_formula("s ~ xr + b + C(g)", agg, trials="n",
                                     freq_weights=np.full(len(agg), 2.0)).fit()
    pd.testing.assert_frame_equal(bl.datagrid(weighted, b=True), grid)
