"""Covariances, hypothesis tests and marginal effects against live statsmodels."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import bayeslogit as bl
from bayeslogit.inference import parse_hypothesis


@pytest.fixture(scope="module")
def fits(spector):
    X = sm.add_constant(spector[["GPA", "TUCE", "PSI"]])
    return bl.Logit(spector["GRADE"], X).fit(), sm.Logit(spector["GRADE"], X).fit(disp=0)


@pytest.fixture(scope="module")
def discrete_fits(synthetic):
    X = sm.add_constant(synthetic[["x1", "cnt"]].assign(d=(synthetic["g"] == "b").astype(int)))
    return bl.Logit(synthetic["y"], X).fit(), sm.Logit(synthetic["y"], X).fit(disp=0)


@pytest.mark.parametrize("at", ["overall", "mean", "median", "zero"])
@pytest.mark.parametrize("method", ["dydx", "eyex", "dyex", "eydx"])
def test_margeff_grid(fits, at, method):
    ours, ref = fits
    a = ours.get_margeff(at=at, method=method)
    b = ref.get_margeff(at=at, method=method)
    np.testing.assert_allclose(a.margeff, b.margeff, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(a.margeff_se, b.margeff_se, rtol=1e-8, atol=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 at x = 0 for ex methods
        fa, fb = a.summary_frame(), b.summary_frame()
    assert list(fa.columns) == list(fb.columns) and list(fa.index) == list(fb.index)


@pytest.mark.parametrize("at", ["overall", "mean"])
@pytest.mark.parametrize("method", ["dydx", "eydx"])
def test_margeff_dummy_and_count(discrete_fits, at, method):
    ours, ref = discrete_fits
    a = ours.get_margeff(at=at, method=method, dummy=True, count=True)
    b = ref.get_margeff(at=at, method=method, dummy=True, count=True)
    np.testing.assert_allclose(a.margeff, b.margeff, rtol=1e-10)
    np.testing.assert_allclose(a.margeff_se, b.margeff_se, rtol=1e-8)


def test_margeff_errors(fits):
    ours, _ = fits
    with pytest.raises(ValueError, match="eyex not allowed for discrete"):
        ours.get_margeff(method="eyex", dummy=True)
    with pytest.raises(ValueError, match="median not allowed for discrete"):
        ours.get_margeff(at="median", count=True)
    with pytest.raises(ValueError, match="foo not a valid option"):
        ours.get_margeff(at="foo")
    with pytest.raises(ValueError, match="method is not understood"):
        ours.get_margeff(method="foo")


def test_margeff_reference_numbers(fits):
    me = fits[0].get_margeff()
    np.testing.assert_allclose(me.margeff, [0.362580831601, 0.0122084109587, 0.305177702284],
                               rtol=1e-10)
    np.testing.assert_allclose(me.margeff_se, [0.109441152679, 0.0177941606699,
                                               0.0923795693589], rtol=1e-9)
    assert "Logit Marginal Effects" in me.summary()


def test_cluster_reference_numbers(spector):
    X = sm.add_constant(spector[["GPA", "TUCE", "PSI"]])
    groups = np.repeat(np.arange(8), 4)
    r = bl.Logit(spector["GRADE"], X).fit(cov_type="cluster", cov_kwds={"groups": groups})
    np.testing.assert_allclose(r.bse, [4.61228, 1.20151, 0.0569853, 0.822626], rtol=1e-5)
    assert "cluster (G=8)" in str(r)
    raw = bl.Logit(spector["GRADE"], X).fit(
        cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
    np.testing.assert_allclose((r.bse / raw.bse) ** 2, 8 / 7 * 31 / 28, rtol=1e-12)


def test_cluster_errors(spector):
    X = sm.add_constant(spector[["GPA", "TUCE", "PSI"]])
    m = bl.Logit(spector["GRADE"], X)
    with pytest.raises(ValueError, match="needs cov_kwds"):
        m.fit(cov_type="cluster")
    with pytest.raises(ValueError, match="groups has 3 labels"):
        m.fit(cov_type="cluster", cov_kwds={"groups": [1, 2, 3]})
    with pytest.raises(ValueError, match="at least 2 clusters"):
        m.fit(cov_type="cluster", cov_kwds={"groups": np.zeros(32)})
    with pytest.raises(ValueError, match="takes no cov_kwds"):
        m.fit(cov_type="HC0", cov_kwds={"groups": np.zeros(32)})


@pytest.mark.parametrize("hyp", ["GPA = 0, TUCE = 0", "GPA - TUCE = 0", "2*GPA + PSI = 1",
                                 "const + GPA = -10, PSI = TUCE"])
def test_wald_and_t_tests(fits, hyp):
    ours, ref = fits
    w, wr = ours.wald_test(hyp), ref.wald_test(hyp, scalar=True)
    np.testing.assert_allclose([w.statistic, w.pvalue], [wr.statistic, wr.pvalue], rtol=1e-9)
    assert w.df == wr.df_denom if hasattr(wr, "df_denom") and wr.df_denom else True
    t, tr = ours.t_test(hyp), ref.t_test(hyp)
    np.testing.assert_allclose(t.effect, np.ravel(tr.effect), rtol=1e-10)
    np.testing.assert_allclose(t.sd, np.ravel(tr.sd), rtol=1e-9)
    np.testing.assert_allclose(t.pvalue, np.ravel(tr.pvalue), rtol=1e-8)
    np.testing.assert_allclose(t.conf_int(), tr.conf_int(), rtol=1e-9)


def test_matrix_hypotheses(fits):
    ours, ref = fits
    R = np.array([[0, 1, 0, 0], [0, 0, 1, 0]])
    np.testing.assert_allclose(ours.wald_test(R).statistic, 6.35153, rtol=1e-5)
    R2, q2 = np.array([[0, 1, -1, 0]]), np.array([0.5])
    np.testing.assert_allclose(ours.wald_test((R2, q2)).statistic,
                               ref.wald_test((R2, q2), scalar=True).statistic, rtol=1e-10)


def test_parse_hypothesis_with_formula_names():
    names = ["Intercept", "C(g)[T.b]", "x:z", "x"]
    R, q = parse_hypothesis("C(g)[T.b] - 2*x:z = 1, x", names)
    np.testing.assert_array_equal(R, [[0, 1, -2, 0], [0, 0, 0, 1]])
    np.testing.assert_array_equal(q, [1, 0])
    with pytest.raises(ValueError, match="valid coefficient names"):
        parse_hypothesis("nope = 0", names)


def test_margeff_with_offset_supported(synthetic):
    m = bl.Logit.from_formula("y ~ x1 + x2", synthetic, offset=synthetic["off"]).fit()
    me = m.get_margeff()
    p = m.predict()
    expected = (p * (1 - p)).mean() * m.params[["x1", "x2"]].to_numpy()
    np.testing.assert_allclose(me.margeff, expected, rtol=1e-12)
    assert isinstance(me.summary_frame(), pd.DataFrame)
