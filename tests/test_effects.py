"""Predictions, slopes and comparisons: references computed independently in this file.

MLE references: statsmodels' Logit fitted on a design built by formulaic by hand, and a
finite-difference + delta-method computation (numerical Jacobian) written here, in the style
of R's marginaleffects / Stata's margins. Posterior references: the per-draw computation by
hand from the result's draws.
"""

import warnings

import formulaic
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import expit

import bayeslogit as bl
from bayeslogit.errors import ColumnMismatchError

FORMULA = "y ~ x1 * x2 + I(x1**2) + C(g)"
RHS = "x1 * x2 + I(x1**2) + C(g)"


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(17)
    n = 400
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                       "g": rng.choice(["a", "b", "c"], n)})
    eta = -0.2 + 0.7 * df.x1 + 0.4 * df.x2 + 0.6 * df.x1 * df.x2 - 0.5 * df.x1 ** 2 \
        + np.where(df.g == "b", 0.5, 0.0)
    df["y"] = (rng.random(n) < expit(eta)).astype(int)
    return df


@pytest.fixture(scope="module")
def by_hand(data):
    """statsmodels on formulaic's design, and an encoder of counterfactual data."""
    mm = formulaic.model_matrix(RHS, data)
    ref = sm.Logit(data["y"].to_numpy(float), mm.to_numpy(float)).fit(disp=0)

    def design(frame):
        return mm.model_spec.get_model_matrix(frame).to_numpy(float)
    return ref, design, list(mm.columns)


@pytest.fixture(scope="module")
def mle(data):
    return bl.Logit.from_formula(FORMULA, data).fit()


def _delta(func, beta, cov):
    """Estimate and delta-method standard errors, Jacobian by central differences."""
    est = func(beta)
    J = np.empty((np.size(est), beta.size))
    for j in range(beta.size):
        e = np.zeros_like(beta)
        e[j] = 1e-6
        J[:, j] = (np.atleast_1d(func(beta + e)) - np.atleast_1d(func(beta - e))) / 2e-6
    return est, np.sqrt(np.diag(J @ cov @ J.T))


def test_mle_avg_slope_matches_finite_difference_and_delta_method(data, by_hand, mle):
    ref, design, _ = by_hand
    h = 1e-5
    lo, hi = design(data.assign(x1=data.x1 - h)), design(data.assign(x1=data.x1 + h))

    def ame(b):
        return np.array([((expit(hi @ b) - expit(lo @ b)) / (2 * h)).mean()])
    est, se = _delta(ame, ref.params, ref.cov_params())
    ours = mle.avg_slopes(variables="x1")
    assert list(ours.columns[:8]) == ["estimate", "std_error", "ci_lower", "ci_upper", "z",
                                      "p_value", "term", "contrast"]
    row = ours.iloc[0]
    assert (row.term, row.contrast) == ("x1", "dY/dX")
    np.testing.assert_allclose(row.estimate, est[0], rtol=1e-6)
    np.testing.assert_allclose(row.std_error, se[0], rtol=1e-5)
    q = stats.norm.ppf(0.975)
    np.testing.assert_allclose([row.ci_lower, row.ci_upper],
                               [est[0] - q * se[0], est[0] + q * se[0]], rtol=1e-5)
    np.testing.assert_allclose(row.p_value, 2 * stats.norm.sf(abs(est[0] / se[0])), rtol=1e-4)


@pytest.mark.parametrize("comparison", ["difference", "ratio", "lnor"])
def test_mle_categorical_comparisons_every_level_against_the_reference(data, by_hand, mle,
                                                                       comparison):
    ref, design, _ = by_hand
    X = {lev: design(data.assign(g=lev)) for lev in "abc"}
    fn = {"difference": lambda p1, p0: p1 - p0, "ratio": lambda p1, p0: p1 / p0,
          "lnor": lambda p1, p0: np.log(p1 / (1 - p1) / (p0 / (1 - p0)))}[comparison]

    def avg(b):
        return np.array([fn(expit(X[lev] @ b), expit(X["a"] @ b)).mean() for lev in "bc"])
    est, se = _delta(avg, ref.params, ref.cov_params())
    ours = mle.avg_comparisons(variables="g", comparison=comparison)
    sign = {"difference": "{} - a", "ratio": "{} / a", "lnor": "ln(odds({}) / odds(a))"}
    assert ours["contrast"].tolist() == [sign[comparison].format(v) for v in "bc"]
    np.testing.assert_allclose(ours["estimate"], est, rtol=1e-8)
    np.testing.assert_allclose(ours["std_error"], se, rtol=1e-5)


def test_mle_numeric_comparison_step_and_robust_covariance(data, by_hand):
    ref = sm.Logit(data["y"].to_numpy(float), formulaic.model_matrix(RHS, data).to_numpy(
        float)).fit(disp=0, cov_type="HC0")
    _, design, _ = by_hand
    X0, X1 = design(data), design(data.assign(x2=data.x2 + 2))

    def avg(b):
        return np.array([(expit(X1 @ b) - expit(X0 @ b)).mean()])
    est, se = _delta(avg, ref.params, ref.cov_params())
    ours = bl.Logit.from_formula(FORMULA, data).fit(cov_type="HC0").avg_comparisons(
        variables={"x2": 2})
    assert ours["contrast"].tolist() == ["+2"]
    np.testing.assert_allclose(ours["estimate"], est, rtol=1e-8)
    np.testing.assert_allclose(ours["std_error"], se, rtol=1e-5)


def test_mle_predictions_by_group(data, by_hand, mle):
    ref, design, _ = by_hand
    X = design(data)
    groups = {lev: (data.g == lev).to_numpy() for lev in "abc"}

    def avg(b):
        p = expit(X @ b)
        return np.array([p[m].mean() for m in groups.values()])
    est, se = _delta(avg, ref.params, ref.cov_params())
    ours = mle.avg_predictions(by="g")
    assert ours["g"].tolist() == ["a", "b", "c"]
    np.testing.assert_allclose(ours["estimate"], est, rtol=1e-10)
    np.testing.assert_allclose(ours["std_error"], se, rtol=1e-5)
    unit = mle.predictions()
    np.testing.assert_allclose(unit["estimate"], ref.predict(X), rtol=1e-8)
    assert unit.index.equals(data.index)


def test_slopes_equal_exact_derivatives(data, mle):
    b = mle.params
    x1, x2 = data.x1.to_numpy(), data.x2.to_numpy()
    p = mle.predict(data).to_numpy()
    d1 = p * (1 - p) * (b["x1"] + b["x1:x2"] * x2 + 2 * b["I(x1 ** 2)"] * x1)
    ours = mle.slopes(variables="x1")
    np.testing.assert_allclose(ours["estimate"], d1, atol=1e-6)
    assert ours["x2"].tolist() == x2.tolist()  # the rows' columns come along
    for kind, exact in [("eyex", d1 * x1 / p), ("dyex", d1 * x1), ("eydx", d1 / p)]:
        np.testing.assert_allclose(mle.slopes(variables="x1", slope=kind)["estimate"], exact,
                                   atol=1e-6)


def test_slopes_through_a_spline_match_finite_differences_of_predict(data):
    r = bl.Logit.from_formula("y ~ bs(x1, df=4) + x2", data).fit()
    h = 1e-6
    inner = data[(data.x1 > data.x1.min()) & (data.x1 < data.x1.max())]
    fd = (r.predict(inner.assign(x1=inner.x1 + h))
          - r.predict(inner.assign(x1=inner.x1 - h))) / (2 * h)
    np.testing.assert_allclose(r.slopes(variables="x1", newdata=inner)["estimate"], fd,
                               atol=1e-6)
    ends = r.slopes(variables="x1").set_index(data.index)["estimate"]  # one-sided at the ends
    lo = data.x1.idxmin()
    fwd = (r.predict(data.loc[[lo]].assign(x1=data.x1[lo] + h)) - r.predict(data.loc[[lo]])) / h
    np.testing.assert_allclose(ends[lo], fwd.iloc[0], atol=1e-5)


def test_get_margeff_equals_statsmodels_and_avg_slopes_without_interactions(spector):
    f = "GRADE ~ GPA + TUCE + PSI"
    ref = smf.logit(f, spector).fit(disp=0)
    r = bl.Logit.from_formula(f, spector).fit()
    for method in ["dydx", "eyex", "dyex", "eydx"]:
        sm_m = ref.get_margeff(method=method)
        ours = r.avg_slopes(slope=method).set_index("term").loc[["GPA", "TUCE", "PSI"]]
        np.testing.assert_allclose(ours["estimate"], sm_m.margeff, rtol=1e-8)
        np.testing.assert_allclose(ours["std_error"], sm_m.margeff_se, rtol=1e-6)
        np.testing.assert_allclose(r.get_margeff(method=method).margeff, sm_m.margeff,
                                   rtol=1e-8)


def test_get_margeff_goes_through_the_formula_and_columnwise_keeps_statsmodels(data, mle):
    me = mle.get_margeff()
    slopes = mle.avg_slopes().set_index("term")
    assert "x1:x2" not in me.names and "I(x1 ** 2)" not in me.names
    for name in ["x1", "x2"]:
        i = me.names.index(name)
        np.testing.assert_allclose(me.margeff[i], slopes.loc[name, "estimate"], rtol=1e-10)
        np.testing.assert_allclose(me.margeff_se[i], slopes.loc[name, "std_error"], rtol=1e-8)
    ref = smf.logit(FORMULA, data).fit(disp=0).get_margeff().summary_frame()
    cw = mle.get_margeff(columnwise=True).summary_frame()
    np.testing.assert_allclose(cw.loc[ref.index].to_numpy(), ref.to_numpy(), rtol=1e-6)
    with pytest.warns(bl.DataWarning, match="columnwise=True"):
        mle.get_margeff(at="mean")


def test_posterior_slopes_are_the_per_draw_computation(data):
    post = bl.Logit.from_formula("y ~ x1 * x2", data, priors=bl.Normal(0, 2.5)).sample(
        sampler="gibbs", draws=300, tune=200, chains=2, random_seed=3, progressbar=False)
    B = post.draws.reshape(-1, 4)  # Intercept, x1, x2, x1:x2
    x1, x2 = data.x1.to_numpy(), data.x2.to_numpy()
    X = np.column_stack([np.ones_like(x1), x1, x2, x1 * x2])
    p = expit(B @ X.T)
    per_draw = (p * (1 - p) * (B[:, [1]] + B[:, [3]] * x2)).mean(axis=1)
    ours = post.avg_slopes(variables="x1")
    assert "z" not in ours.columns
    np.testing.assert_allclose(ours["estimate"], per_draw.mean(), rtol=1e-6)
    np.testing.assert_allclose(ours["std_error"], per_draw.std(ddof=1), rtol=1e-5)
    eti = post.avg_slopes(variables="x1", ci_prob=0.9)[["ci_lower", "ci_upper"]]
    np.testing.assert_allclose(eti.to_numpy()[0], np.quantile(per_draw, [0.05, 0.95]),
                               rtol=1e-5)
    s = np.sort(per_draw)
    m = int(np.floor(0.9 * s.size))
    widths = s[m:] - s[: s.size - m]
    hdi = post.avg_slopes(variables="x1", ci_prob=0.9, ci_kind="hdi")
    assert hdi["ci_upper"].iloc[0] - hdi["ci_lower"].iloc[0] <= widths.min() + 1e-6
    by_row = post.predictions(newdata=data.iloc[:5])
    np.testing.assert_allclose(by_row["estimate"], p[:, :5].mean(axis=0), rtol=1e-10)


def test_laplace_and_map_report_on_the_probability_scale(data):
    model = bl.Logit.from_formula("y ~ x1 + x2 + C(g)", data, priors=bl.Normal(0, 2.5))
    mp, lap = model.fit(method="map"), model.fit(method="laplace")
    a, b = mp.avg_comparisons(variables="g"), lap.avg_comparisons(variables="g")
    assert "p_value" in a.columns and "p_value" not in b.columns
    np.testing.assert_allclose(a["estimate"], b["estimate"], atol=0.01)
    np.testing.assert_allclose(a["std_error"], b["std_error"], rtol=0.15)


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 10_000), c=st.floats(0.1, 50.0))
def test_avg_slopes_invariant_to_row_order_and_scale_as_one_over_c(data, seed, c):
    df = data[["y", "x1", "x2", "g"]]
    base = bl.Logit.from_formula("y ~ x1 + x2 + C(g)", df).fit().avg_slopes()
    perm = df.sample(frac=1.0, random_state=seed)
    shuffled = bl.Logit.from_formula("y ~ x1 + x2 + C(g)", perm).fit().avg_slopes()
    np.testing.assert_allclose(shuffled["estimate"], base["estimate"], rtol=1e-8, atol=1e-12)
    scaled = bl.Logit.from_formula("y ~ x1 + x2 + C(g)", df.assign(x1=df.x1 * c)).fit()
    row = scaled.avg_slopes(variables="x1")
    np.testing.assert_allclose(row["estimate"].iloc[0] * c,
                               base.set_index("term").loc["x1", "estimate"], rtol=1e-6)


def test_datagrid_fills_means_and_modes(data, mle):
    grid = bl.datagrid(mle, x1=[-1, 0, 1], g=["b", "c"])
    assert len(grid) == 6 and set(grid.columns) == {"x1", "x2", "g"}
    np.testing.assert_allclose(grid["x2"], data.x2.mean())
    mode = data.g.value_counts().idxmax()
    assert bl.datagrid(mle, x1=0)["g"].tolist() == [mode]
    p = mle.predictions(newdata=grid)
    np.testing.assert_allclose(p["estimate"], mle.predict(grid), rtol=1e-12)
    with pytest.raises(ColumnMismatchError, match="'z'"):
        bl.datagrid(mle, z=[1])


def test_bad_arguments_name_the_argument_and_a_remedy(mle, data):
    with pytest.raises(ColumnMismatchError, match=r"variables=\['nope'\].*variables"):
        mle.avg_slopes(variables="nope")
    with pytest.raises(ValueError, match="slope='dxdy'"):
        mle.slopes(slope="dxdy")
    with pytest.raises(ValueError, match="comparison='odds'"):
        mle.comparisons(comparison="odds")
    with pytest.raises(ColumnMismatchError, match="by='h'.*newdata=df"):
        mle.avg_predictions(by="h")
    with pytest.raises(ValueError, match="finite, non-zero step"):
        mle.comparisons(variables={"x1": "big"})
    with pytest.raises(ColumnMismatchError, match="'z'.*levels"):
        mle.comparisons(variables={"g": ["a", "z"]})
    holes = data.head(10).copy()
    holes.loc[holes.index[0], "x1"] = np.nan
    with pytest.warns(bl.DataWarning, match="1 of 10 rows"):
        assert len(mle.predictions(newdata=holes)) == 9
    assert holes["x1"].isna().sum() == 1  # the caller's data untouched


def test_array_model_and_offsets(synthetic):
    X = sm.add_constant(synthetic[["x1", "x2"]])
    r = bl.Logit(synthetic["y"], X, offset=synthetic["off"]).fit()
    np.testing.assert_allclose(r.predictions()["estimate"], r.predict(), rtol=1e-12)
    ref = sm.Logit(synthetic["y"], X, offset=synthetic["off"]).fit(disp=0)
    eta = X.to_numpy() @ ref.params.to_numpy() + synthetic["off"].to_numpy()
    f = expit(eta) * (1 - expit(eta))
    np.testing.assert_allclose(r.avg_slopes()["estimate"], f.mean() * ref.params[1:], rtol=1e-7)


def test_plots_overlay_results_and_compare_on_the_probability_scale(data, mle):
    from matplotlib.figure import Figure

    post = bl.Logit.from_formula(FORMULA, data, priors=bl.Normal(0, 2.5)).fit(method="laplace")
    fits = {"MLE": mle, "Laplace": post}
    fig = bl.plot_predictions(fits, condition=["x1", "g"])
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "x1" and ax.get_ylabel() == "P(y = 1)"
    assert len(ax.get_lines()) == 6 and len(ax.collections) == 6
    assert {t.get_text() for t in ax.get_legend().get_texts()} >= {"MLE, g=a", "Laplace, g=c"}
    fig2 = bl.plot_slopes(fits, variables="x1", condition="x2")
    assert "x1" in fig2.axes[0].get_title()
    table = bl.compare(fits, scale="probability")
    assert table.index.names == ["term", "contrast"]
    np.testing.assert_allclose(table[("MLE", "estimate")].to_numpy(),
                               mle.avg_slopes()["estimate"].to_numpy(), rtol=1e-12)
    preds = bl.compare(fits, scale="predictions", by="g")
    assert list(preds.index) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="scale='prob'"):
        bl.compare(fits, scale="prob")


def test_saved_formula_result_keeps_its_raw_data(tmp_path, mle):
    path = tmp_path / "r.nc"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mle.save(path)
        back = bl.load(path)
    pd.testing.assert_frame_equal(back.avg_slopes(), mle.avg_slopes())
