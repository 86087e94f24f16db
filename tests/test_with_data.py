"""``model.with_data``: the same model (formula, encoding, priors) on new rows.

References are statsmodels' ``Logit`` on the new rows (encoded by hand with pandas), closed
forms of the autoscaled prior scales, and the Gibbs sampler on the new data for NUTS (within
Monte Carlo error); the compiled NUTS model must be reused (``compile_time == 0``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import bayeslogit as bl
from bayeslogit.errors import ColumnMismatchError, MissingDataError, UnseenLevelError


def _dummies(frame: pd.DataFrame) -> pd.DataFrame:
    """The design of ``y ~ x1 + C(g)`` with reference level 'a', written with pandas."""
    return pd.DataFrame({"Intercept": 1.0, "C(g)[T.b]": (frame.g == "b").astype(float),
                         "C(g)[T.c]": (frame.g == "c").astype(float),
                         "x1": frame.x1.to_numpy()}, index=frame.index)


@pytest.fixture(scope="module")
def halves(synthetic):
    return synthetic.iloc[:250].copy(), synthetic.iloc[250:].copy()


def test_formula_with_data_mle_equals_statsmodels_on_new_rows(halves):
    old, new = halves
    model = bl.Logit.from_formula("y ~ x1 + C(g)", old)
    before = new.copy()
    other = model.with_data(new)
    pd.testing.assert_frame_equal(new, before)  # the caller's data are untouched
    assert other.nobs == len(new) and model.nobs == len(old)
    X = _dummies(new)[other.exog_names]
    ref = sm.Logit(new.y.to_numpy(), X).fit(disp=0)
    fit = other.fit()
    np.testing.assert_allclose(fit.params.to_numpy(), ref.params.to_numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(fit.bse.to_numpy(), ref.bse.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(fit.llf, ref.llf, rtol=1e-12)


def test_training_encoding_is_kept_when_a_level_is_absent(halves):
    """New rows without level 'c' keep its column (all zeros), as the training encoding."""
    old, new = halves
    model = bl.Logit.from_formula("y ~ x1 + C(g)", old, priors=bl.Normal(0, 2))
    sub = new[new.g != "c"]
    other = model.with_data(sub)
    assert other.exog_names == model.exog_names
    col = other.exog_names.index("C(g)[T.c]")
    assert np.all(other.design.X[:, col] == 0)


def test_offset_column_is_read_from_the_new_rows(halves):
    old, new = halves
    model = bl.Logit.from_formula("y ~ x1 + x2", old, offset="off")
    fit = model.with_data(new).fit()
    ref = sm.Logit(new.y.to_numpy(), sm.add_constant(new[["x1", "x2"]]),
                   offset=new.off.to_numpy()).fit(disp=0)
    np.testing.assert_allclose(fit.params.to_numpy(), ref.params.to_numpy(), rtol=0, atol=1e-10)


def test_array_model_matches_columns_by_name(halves):
    old, new = halves
    cols = ["const", "x1", "x2"]
    model = bl.Logit(old.y, sm.add_constant(old[["x1", "x2"]]))
    shuffled = sm.add_constant(new[["x1", "x2"]])[["x2", "const", "x1"]]
    other = model.with_data(shuffled, new.y)
    assert other.exog_names == cols
    ref = sm.Logit(new.y, sm.add_constant(new[["x1", "x2"]])).fit(disp=0)
    np.testing.assert_allclose(other.fit().params.to_numpy(), ref.params.to_numpy(), rtol=0,
                               atol=1e-10)


def test_missing_rows_follow_the_policy(halves):
    old, new = halves
    model = bl.Logit.from_formula("y ~ x1 + C(g)", old)
    holed = new.copy()
    holed.iloc[[0, 5], holed.columns.get_loc("x1")] = np.nan
    other = model.with_data(holed)
    assert other.nobs == len(new) - 2 and list(other.dropped_rows) == list(new.index[[0, 5]])
    with pytest.raises(MissingDataError, match="x1"):
        model.with_data(holed, missing="raise")


@pytest.mark.parametrize("make, error, words", [
    (lambda new: new.assign(g=new.g.replace("c", "zz")), UnseenLevelError, "'zz'"),
    (lambda new: new.drop(columns="x1"), ColumnMismatchError, "x1"),
    (lambda new: new.drop(columns="y"), ColumnMismatchError, "response"),
    (lambda new: new.to_numpy(), ColumnMismatchError, "DataFrame"),
])
def test_formula_models_refuse_data_they_cannot_encode(halves, make, error, words):
    old, new = halves
    model = bl.Logit.from_formula("y ~ x1 + C(g)", old)
    with pytest.raises(error, match=words):
        model.with_data(make(new))


def test_array_models_refuse_other_columns(halves):
    old, new = halves
    model = bl.Logit(old.y, sm.add_constant(old[["x1", "x2"]]))
    extra = sm.add_constant(new[["x1", "x2", "cnt"]])
    with pytest.raises(ColumnMismatchError, match="unexpected \\['cnt'\\]"):
        model.with_data(extra, new.y)
    with pytest.raises(ValueError, match="new response"):
        model.with_data(sm.add_constant(new[["x1", "x2"]]))
    with pytest.raises(ValueError, match="drop endog"):
        bl.Logit.from_formula("y ~ x1", old).with_data(new, new.y)


def test_priors_are_rescaled_on_the_new_data_unless_kept(halves):
    old, new = halves
    model = bl.Logit.from_formula("y ~ x1 + x2", old)  # default priors: 2.5 / sd(x)
    wide = new.assign(x2=new.x2 * 10.0)
    sd_new = wide[["x1", "x2"]].std(ddof=1).to_numpy()
    sd_old = old[["x1", "x2"]].std(ddof=1).to_numpy()

    def sigmas(m):
        return np.array([p.sigma for p in m.prior_set.priors[1:]])

    np.testing.assert_allclose(sigmas(model.with_data(wide)), 2.5 / sd_new, rtol=1e-6)
    np.testing.assert_allclose(sigmas(model.with_data(wide, rescale_priors=False)),
                               2.5 / sd_old, rtol=1e-6)


def test_nuts_reuses_the_compiled_model_for_new_rows(halves, capsys):
    old, new = halves
    run = dict(sampler="nuts", draws=400, tune=400, chains=2, random_seed=3, progressbar=False)
    model = bl.Logit.from_formula("y ~ x1 + x2", old, priors=bl.Normal(0, 2))
    first = model.sample(**run)
    assert first.info["compile_time"] > 0
    assert "Compiling" not in capsys.readouterr().err  # progressbar=False is quiet
    other = model.with_data(new)  # more rows than the compiled model was built with
    post = other.sample(**run)
    assert post.info["compile_time"] == 0
    assert model.compiled_samplers["nuts"].n_compilations == 1
    ref = other.sample(sampler="gibbs", draws=2000, chains=2, random_seed=4, progressbar=False)
    mcse = post.summary()["mcse_mean"].to_numpy()
    diff = np.abs(post.params.to_numpy() - ref.params.to_numpy())
    assert np.all(diff < 5 * np.hypot(mcse, ref.summary()["mcse_mean"].to_numpy()))
    # the original model still samples its own rows (the shared sampler is given them back)
    again = model.sample(**run)
    np.testing.assert_allclose(again.params, first.params, rtol=0, atol=1e-12)
