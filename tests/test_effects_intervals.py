"""Intervals of predictions on the probability scale, against statsmodels.

Unit-level MLE/MAP predictions take the interval of the linear predictor through the inverse
link (R marginaleffects' GLM default); statsmodels' ``GLM(Binomial).get_prediction`` does
the same (``mean_ci_*``) and gives the delta-method ``mean_se``. Averages stay on the
probability scale (delta method), computed here by hand with statsmodels' covariance.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from scipy.special import expit

import bayeslogit as bl


@pytest.fixture(scope="module")
def steep():
    """A steep logistic curve: predictions far out are within 1e-6 of 0 or 1."""
    rng = np.random.default_rng(5)
    n = 120
    df = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(["lo", "hi"], n)})
    df["y"] = (rng.random(n) < expit(0.3 + 2.5 * df.x + (df.g == "hi") * 0.8)).astype(int)
    return df


def test_unit_predictions_interval_on_link_scale_as_statsmodels_glm(steep):
    f = "y ~ x + C(g)"
    ref = smf.glm(f, steep, family=sm.families.Binomial()).fit()
    r = bl.Logit.from_formula(f, steep).fit()
    new = pd.DataFrame({"x": [-6.0, -2.0, 0.0, 1.0, 6.0], "g": ["lo", "hi", "lo", "hi", "hi"]})
    frame = ref.get_prediction(new).summary_frame(alpha=0.1)
    ours = r.predictions(newdata=new, ci_prob=0.9)
    np.testing.assert_allclose(ours["estimate"], frame["mean"], rtol=1e-7)
    np.testing.assert_allclose(ours["std_error"], frame["mean_se"], rtol=1e-6)
    np.testing.assert_allclose(ours["ci_lower"], frame["mean_ci_lower"], rtol=1e-6)
    np.testing.assert_allclose(ours["ci_upper"], frame["mean_ci_upper"], rtol=1e-6)
    lin = ref.get_prediction(new, which="linear").summary_frame()
    np.testing.assert_allclose(ours["z"], lin["predicted"] / lin["se"], rtol=1e-6)
    assert ((ours["ci_lower"] > 0) & (ours["ci_upper"] < 1)).all()
    # the probability-scale interval the delta method would give leaves [0, 1] here
    q = stats.norm.ppf(0.95)
    assert (frame["mean"] - q * frame["mean_se"]).iloc[0] < 0
    assert (frame["mean"] + q * frame["mean_se"]).iloc[-1] > 1
    pred = r.predict(new, ci_prob=0.9)
    np.testing.assert_allclose(ours[["ci_lower", "ci_upper"]].to_numpy(),
                               pred[["ci_lower", "ci_upper"]].to_numpy(), rtol=1e-12)


def test_unit_predictions_with_robust_covariance_and_offset(synthetic):
    X = sm.add_constant(synthetic[["x1", "x2"]])
    ref = sm.Logit(synthetic["y"], X, offset=synthetic["off"]).fit(disp=0, cov_type="HC0")
    r = bl.Logit(synthetic["y"], X, offset=synthetic["off"]).fit(cov_type="HC0")
    Xn, V = X.to_numpy(), ref.cov_params().to_numpy()
    eta = Xn @ ref.params.to_numpy() + synthetic["off"].to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", Xn, V, Xn))
    q = stats.norm.ppf(0.975)
    ours = r.predictions()
    np.testing.assert_allclose(ours["ci_lower"], expit(eta - q * se), rtol=1e-6)
    np.testing.assert_allclose(ours["ci_upper"], expit(eta + q * se), rtol=1e-6)
    np.testing.assert_allclose(ours["std_error"], expit(eta) * expit(-eta) * se, rtol=1e-6)
    np.testing.assert_allclose(ours["p_value"], 2 * stats.norm.sf(np.abs(eta / se)), rtol=1e-5)


def test_average_predictions_stay_on_the_probability_scale(steep):
    f = "y ~ x + C(g)"
    ref = smf.logit(f, steep).fit(disp=0)
    X = ref.model.exog
    p = expit(X @ ref.params.to_numpy())
    grad = (p * (1 - p)) @ X / len(p)
    se = np.sqrt(grad @ ref.cov_params().to_numpy() @ grad)
    ours = bl.Logit.from_formula(f, steep).fit().avg_predictions().iloc[0]
    q = stats.norm.ppf(0.975)
    np.testing.assert_allclose([ours.estimate, ours.std_error], [p.mean(), se], rtol=1e-6)
    np.testing.assert_allclose([ours.ci_lower, ours.ci_upper],
                               [p.mean() - q * se, p.mean() + q * se], rtol=1e-6)
    np.testing.assert_allclose(ours.z, p.mean() / se, rtol=1e-6)


def test_map_unit_predictions_use_its_covariance_on_the_link_scale(steep):
    m = bl.Logit.from_formula("y ~ x", steep, priors=bl.Normal(0, 1))
    mp = m.fit(method="map")
    x = np.array([[1.0, -8.0], [1.0, 8.0]])
    V = mp.cov_params().to_numpy()
    eta = x @ mp.params.to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", x, V, x))
    ours = mp.predictions(newdata=pd.DataFrame({"x": [-8.0, 8.0]}))
    q = stats.norm.ppf(0.975)
    np.testing.assert_allclose(ours["ci_lower"], expit(eta - q * se), rtol=1e-8)
    np.testing.assert_allclose(ours["ci_upper"], expit(eta + q * se), rtol=1e-8)
    assert ((ours["ci_lower"] >= 0) & (ours["ci_upper"] <= 1)).all()
