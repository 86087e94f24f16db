"""MLE parity with live statsmodels ``Logit.fit`` on several data sets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import bayeslogit as bl

RTOL = 1e-8


@pytest.fixture(scope="module")
def spector_fits(spector):
    X = sm.add_constant(spector[["GPA", "TUCE", "PSI"]])
    ref = sm.Logit(spector["GRADE"], X).fit(disp=0)
    ours = bl.Logit(spector["GRADE"], X).fit()
    return ours, ref


@pytest.fixture(scope="module")
def synthetic_fits(synthetic):
    f = "y ~ x1 + x2 + cnt + C(g)"
    ref = smf.logit(f, synthetic, offset=synthetic["off"]).fit(disp=0)
    ours = bl.Logit.from_formula(f, synthetic, offset=synthetic["off"]).fit()
    return ours, ref


@pytest.mark.parametrize("which", ["spector_fits", "synthetic_fits"])
def test_attributes_match_statsmodels(which, request):
    ours, ref = request.getfixturevalue(which)
    names = ours.model.exog_names  # formulaic keeps term order; patsy puts C() first
    assert sorted(names) == sorted(ref.params.index)
    for attr in ["params", "bse", "tvalues", "pvalues"]:
        np.testing.assert_allclose(getattr(ours, attr).to_numpy(),
                                   getattr(ref, attr)[names].to_numpy(), rtol=RTOL, err_msg=attr)
    np.testing.assert_allclose(ours.conf_int().to_numpy(), ref.conf_int().loc[names].to_numpy(),
                               rtol=RTOL)
    np.testing.assert_allclose(ours.cov_params().to_numpy(),
                               ref.cov_params().loc[names, names].to_numpy(), rtol=1e-7)
    for attr in ["llf", "llr", "llr_pvalue", "prsquared", "aic", "bic"]:
        np.testing.assert_allclose(getattr(ours, attr), getattr(ref, attr), rtol=1e-7,
                                   err_msg=attr)
    np.testing.assert_allclose(ours.llnull, ref.llnull, rtol=1e-9)
    assert ours.df_model == ref.df_model and ours.df_resid == ref.df_resid
    assert ours.nobs == ref.nobs
    assert ours.converged is True and ours.iterations == ref.mle_retvals["iterations"]
    for attr in ["fittedvalues", "resid_response", "resid_pearson", "resid_dev"]:
        np.testing.assert_allclose(np.asarray(getattr(ours, attr)), np.asarray(getattr(ref, attr)),
                                   rtol=1e-7, atol=1e-12, err_msg=attr)
    for thr in (0.3, 0.5, 0.7):
        np.testing.assert_array_equal(ours.pred_table(thr), ref.pred_table(thr))


def test_spector_reference_numbers(spector_fits):
    ours, _ = spector_fits
    np.testing.assert_allclose(ours.params, [-13.0213468581, 2.82611259489, 0.0951576613179,
                                             2.37868765509], rtol=1e-10)
    np.testing.assert_allclose(ours.llf, -12.8896342221314, rtol=1e-12)
    assert ours.iterations == 7


def test_iteration_count_and_converged_semantics(spector):
    X = sm.add_constant(spector[["GPA", "TUCE", "PSI"]])
    m = bl.Logit(spector["GRADE"], X)
    with pytest.warns(bl.ConvergenceWarning, match="Newton stopped after 7 iterations"):
        r7 = m.fit(maxiter=7)
    assert r7.converged is False
    assert m.fit(maxiter=8).converged is True
    with pytest.warns(bl.ConvergenceWarning):
        r0 = m.fit(maxiter=0)
    assert not r0.converged and np.all(r0.params == 0)


def test_summary_columns_and_report(spector_fits):
    ours, ref = spector_fits
    s = ours.summary()
    assert list(s.columns) == ["estimate", "std_error", "ci_lower", "ci_upper", "z", "p_value"]
    np.testing.assert_allclose(s["ci_lower"], ref.conf_int()[0], rtol=RTOL)
    s90 = ours.summary(ci_prob=0.9)
    np.testing.assert_allclose(s90["ci_upper"], ref.conf_int(alpha=0.1)[1], rtol=RTOL)
    text = str(ours)
    for piece in ["Logit Regression Results", "GRADE", "Pseudo R-squ.", "0.3740", "-12.890",
                  "-13.0213", "GPA", "nonrobust"]:
        assert piece in text


@pytest.mark.parametrize("cov_type", ["HC0", "HC1"])
def test_robust_covariances(spector, cov_type):
    X = sm.add_constant(spector[["GPA", "TUCE", "PSI"]])
    ref = sm.Logit(spector["GRADE"], X).fit(disp=0, cov_type="HC0")
    ours = bl.Logit(spector["GRADE"], X).fit(cov_type=cov_type)
    factor = 32 / 28 if cov_type == "HC1" else 1.0
    np.testing.assert_allclose(ours.bse ** 2, ref.bse ** 2 * factor, rtol=1e-8)
    assert ours.cov_type == cov_type


def test_cluster_covariance(synthetic_fits, synthetic):
    f = "y ~ x1 + x2 + cnt + C(g)"
    groups = synthetic["cluster"]
    ref = smf.logit(f, synthetic, offset=synthetic["off"]).fit(
        disp=0, cov_type="cluster", cov_kwds={"groups": pd.factorize(groups)[0]})
    ours = bl.Logit.from_formula(f, synthetic, offset=synthetic["off"]).fit(
        cov_type="cluster", cov_kwds={"groups": groups})
    np.testing.assert_allclose(ours.bse, ref.bse[ours.model.exog_names], rtol=1e-8)


def test_margeff_and_tests(spector_fits):
    ours, ref = spector_fits
    for at in ["overall", "mean"]:
        a = ours.get_margeff(at=at).summary_frame()
        b = ref.get_margeff(at=at).summary_frame()
        np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-7)
    w = ours.wald_test("GPA = 0, TUCE = 0")
    np.testing.assert_allclose([w.statistic, w.pvalue], [6.35153, 0.041762], rtol=1e-5)
    wr = ref.wald_test("GPA = 0, TUCE = 0", scalar=True)
    np.testing.assert_allclose(w.statistic, wr.statistic, rtol=1e-10)
    t = ours.t_test("GPA - PSI = 0")
    tr = ref.t_test("GPA - PSI = 0")
    np.testing.assert_allclose(np.ravel(t.effect), np.ravel(tr.effect), rtol=1e-10)
    np.testing.assert_allclose(np.ravel(t.sd), np.ravel(tr.sd), rtol=1e-8)


def test_predict_on_new_raw_data(synthetic_fits, synthetic):
    ours, ref = synthetic_fits
    new = synthetic.iloc[[3, 10, 50]].copy()
    p = ours.predict(new, offset=0)
    np.testing.assert_allclose(p, ref.predict(new, offset=np.zeros(3)), rtol=1e-10)
    lin = ours.predict(new, kind="linear", offset=new["off"])
    np.testing.assert_allclose(lin, ref.predict(new, which="linear", offset=new["off"]),
                               rtol=1e-10)
    ci = ours.predict(new, ci_prob=0.95, offset=0)
    assert list(ci.columns) == ["estimate", "ci_lower", "ci_upper"]
    sf = ref.get_prediction(new, offset=np.zeros(3)).summary_frame(alpha=0.05)
    np.testing.assert_allclose(ci["ci_lower"], sf["ci_lower"], rtol=1e-8)
    np.testing.assert_allclose(ci["ci_upper"], sf["ci_upper"], rtol=1e-8)
    bad = new.assign(g=["a", "zz", "b"])
    with pytest.raises(bl.UnseenLevelError, match="'g'.*zz"):
        ours.predict(bad)


def test_fractional_response_quasi_likelihood():
    rng = np.random.default_rng(3)
    X = sm.add_constant(rng.standard_normal((200, 2)))
    y = rng.uniform(0, 1, 200)
    ref = sm.Logit(y, X).fit(disp=0)
    ours = bl.Logit(y, X).fit()
    np.testing.assert_allclose(ours.params, ref.params, rtol=1e-9)
    np.testing.assert_allclose(ours.bse, ref.bse, rtol=1e-8)
    p = 1 / (1 + np.exp(-X @ ours.params.to_numpy()))
    np.testing.assert_allclose(ours.llf, np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)),
                               rtol=1e-12)
