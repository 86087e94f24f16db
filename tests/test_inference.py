"""Covariances, hypothesis tests and marginal effects against live statsmodels (and patsy for
the hypothesis grammar, and an independent complex-step implementation for offsets).

The functions under test are fed statsmodels' own estimates, so every difference is in the
inference code alone.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from patsy import DesignInfo

from bayeslogit.errors import BayesLogitWarning
from bayeslogit.inference.covariance import covariance
from bayeslogit.inference.hypotheses import parse_hypothesis, parse_hypothesis_rows
from bayeslogit.inference.margins import marginal_effects
from bayeslogit.inference.wald import ContrastResults, WaldTestResult, t_test, wald_test

RTOL = 1e-9

# full-precision statsmodels 0.15 values (spector_reference.json)
CLUSTER_BSE = [4.612281310162953, 1.2015056578641183, 0.05698527590542524, 0.8226258200074125]
CLUSTER_BSE_NOCORR = [4.100322185059101, 1.068139597981333, 0.0506599609399093,
                      0.7313150853020406]
HC0_BSE = [5.197585410299325, 1.2675459820157193, 0.11792226774939274, 0.9644192096528739]
ME_OVERALL = [0.36258083160146115, 0.01220841095867558, 0.30517770228388746]
ME_OVERALL_SE = [0.10944115267902826, 0.017794160669875155, 0.09237956935892487]
ME_MEAN = [0.533858822089354, 0.01797548939692773, 0.44933927684376573]
ME_MEAN_SE = [0.2370379684573901, 0.02623690854451492, 0.1967626397327219]
ME_DUMMY = [0.36258083160146115, 0.01220841095867558, 0.35751516362183433]
ME_DUMMY_SE = [0.10944115267902826, 0.017794160669875155, 0.14200339068867643]


class Case:
    """A design, its statsmodels fit and the inputs our functions take."""

    def __init__(self, y: pd.Series, X: pd.DataFrame) -> None:
        self.y, self.Xdf = y, X
        self.X = X.to_numpy(dtype=float)
        self.names = tuple(X.columns)
        self.n, self.k = self.X.shape
        self.res = sm.Logit(y, X).fit(disp=0)
        self.params = self.res.params.to_numpy()
        self.cov = self.res.cov_params().to_numpy()
        self.p = self.res.predict()
        self.yv = y.to_numpy(dtype=float)

    def robust(self, cov_type: str, **kw):
        extra = {"cov_kwds": kw} if kw else {}
        return sm.Logit(self.y, self.Xdf).fit(disp=0, cov_type=cov_type, **extra)

    def cov_of(self, cov_type: str, kwds=None):
        return covariance(cov_type, self.X, self.yv, self.p, self.cov, kwds)


@pytest.fixture(scope="module")
def spec() -> Case:
    d = sm.datasets.spector.load_pandas().data
    return Case(d["GRADE"], sm.add_constant(d[["GPA", "TUCE", "PSI"]]))


@pytest.fixture(scope="module")
def syn() -> Case:
    """n = 500, k = 5: continuous, positive continuous, dummy and count columns."""
    rng = np.random.default_rng(8124)
    n = 500
    X = pd.DataFrame({"const": 1.0, "x1": rng.standard_normal(n), "x2": rng.uniform(0.5, 3, n),
                      "d": rng.integers(0, 2, n).astype(float),
                      "cnt": rng.poisson(2.0, n).astype(float)})
    eta = -0.4 + 0.9 * X.x1 - 0.5 * X.x2 + 0.7 * X.d + 0.25 * X.cnt
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float), name="y")
    case = Case(y, X)
    case.groups = np.array([f"school-{i:02d}" for i in rng.integers(0, 23, n)])
    return case


# ----------------------------------------------------------------------------- covariances
def test_nonrobust_is_info_inv(spec):
    cov, desc = spec.cov_of("nonrobust")
    assert desc == "nonrobust" and cov is not spec.cov
    np.testing.assert_array_equal(cov, spec.cov)


@pytest.mark.parametrize("name", ["spec", "syn"])
@pytest.mark.parametrize("cov_type", ["HC0", "hc0"])
def test_hc0_equals_statsmodels(request, name, cov_type):
    case = request.getfixturevalue(name)
    cov, desc = case.cov_of(cov_type)
    assert desc == "HC0"
    np.testing.assert_allclose(cov, case.robust("HC0").cov_params().to_numpy(), rtol=RTOL)


def test_hc0_reference_numbers(spec):
    np.testing.assert_allclose(np.sqrt(np.diag(spec.cov_of("HC0")[0])), HC0_BSE, rtol=1e-10)


@pytest.mark.parametrize("name", ["spec", "syn"])
def test_hc1_is_statsmodels_hc0_times_n_over_n_minus_k(request, name):
    case = request.getfixturevalue(name)
    ref_hc1 = case.robust("HC1").cov_params().to_numpy()
    # statsmodels' quirk: its HC1 is HC0 (no factor); bayeslogit applies n / (n - k)
    np.testing.assert_allclose(ref_hc1, case.robust("HC0").cov_params().to_numpy(), rtol=1e-14)
    cov, desc = case.cov_of("HC1")
    assert desc == "HC1"
    np.testing.assert_allclose(cov, ref_hc1 * case.n / (case.n - case.k), rtol=RTOL)
    np.testing.assert_allclose(case.cov_of("hc1")[0], cov, rtol=0)


def test_cluster_spector_reference_and_live(spec):
    groups = np.repeat(np.arange(8), 4)
    cov, desc = spec.cov_of("cluster", {"groups": groups})
    assert desc == "cluster (G=8)"
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), CLUSTER_BSE, rtol=1e-10)
    live = spec.robust("cluster", groups=groups).cov_params().to_numpy()
    np.testing.assert_allclose(cov, live, rtol=RTOL)
    raw, desc = spec.cov_of("cluster", {"groups": groups, "use_correction": False})
    assert desc == "cluster (G=8, no correction)"
    np.testing.assert_allclose(np.sqrt(np.diag(raw)), CLUSTER_BSE_NOCORR, rtol=1e-10)
    np.testing.assert_allclose(cov / raw, 8 / 7 * 31 / 28, rtol=1e-12)


@pytest.mark.parametrize("use_correction", [True, False])
def test_cluster_string_labels_vs_statsmodels(syn, use_correction):
    groups = syn.groups.copy()
    cov, desc = syn.cov_of("cluster", {"groups": groups, "use_correction": use_correction})
    ref = syn.robust("cluster", groups=syn.groups, use_correction=use_correction)
    np.testing.assert_allclose(cov, ref.cov_params().to_numpy(), rtol=RTOL)
    assert desc.startswith(f"cluster (G={len(set(syn.groups))}")
    np.testing.assert_array_equal(groups, syn.groups)  # not mutated
    # a list, a Series, a Categorical and an (n, 1) array give the same matrix
    for g in (list(groups), pd.Series(groups), pd.Categorical(groups), groups[:, None]):
        np.testing.assert_allclose(
            syn.cov_of("cluster", {"groups": g, "use_correction": use_correction})[0], cov,
            rtol=1e-13)


@pytest.mark.parametrize(("cov_type", "kwds", "message"), [
    ("robust", None, re.escape("cov_type='robust' not understood; use one of ['nonrobust', "
                               "'HC0', 'HC1', 'cluster'], e.g. model.fit(cov_type='nonrobust')")),
    ("Nonrobust", None, "cov_type='Nonrobust' not understood"),
    (None, None, "cov_type=None not understood; use one of"),
    ("HC3", None, "'HC3' is not available.*Use 'HC0'"),
    ("HC0", {"groups": [1]}, "does not use keywords"),
    ("HC1", {"maxlags": 2}, "does not use keywords"),
    ("nonrobust", {"groups": [1]}, "takes no cov_kwds"),
    ("cluster", None, "needs cov_kwds=\\{'groups': labels\\}"),
    ("cluster", {"use_correction": True}, "needs cov_kwds"),
    ("cluster", {"groups": np.arange(3)}, "groups has 3 labels but the model has 32"),
    ("cluster", {"groups": np.zeros(32)}, "at least 2 clusters; all 32 observations"),
    ("cluster", {"groups": np.zeros((32, 2))}, "Two-way clustering is not supported"),
    ("cluster", {"groups": [None] + ["a", "b"] * 15 + ["a"]}, "1 missing labels"),
    ("cluster", {"groups": np.arange(32) % 4, "df_correction": True}, "Unknown cov_kwds"),
    ("cluster", {"groups": np.arange(32) % 4, "use_correction": "yes"}, "True or False"),
    ("HC0", ["groups"], "cov_kwds must be a dict"),
])
def test_covariance_errors(spec, cov_type, kwds, message):
    with pytest.raises(ValueError, match=message):
        spec.cov_of(cov_type, kwds)


def test_hc1_needs_n_greater_than_k():
    X = np.array([[1.0, 0.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="HC1 needs more observations"):
        covariance("HC1", X, np.array([0.0, 1.0]), np.array([0.3, 0.6]), np.eye(2), None)


# ------------------------------------------------------------------------ hypothesis grammar
NAMES = ["Intercept", "C(g)[T.b]", "x:z", "x", "x1", "I(x ** 2)", "np.log(w)"]


@pytest.mark.parametrize("hyp", [
    "x = 0", "x", "x, x1", "x - x1 = 0", "2*x + x1 = 1", "(x = x1)", "x = x1 = x:z",
    "x = 1 = x1", "C(g)[T.b] - 2*x:z = 1, x", "x1 - x = I(x ** 2)", "2*(x + x1)/4 = .5e1",
    "-(x - x1)/2 = -1", "3 = x", "x + 2 = 0", "((x)) + (x1 - 1)*2 = 3", "(x:z)*3",
    "(x = 1), (x1 = np.log(w))", "np.log(w) + Intercept = 2.5e-1", ["x = 1", "x1"],
])
def test_parse_hypothesis_matches_patsy(hyp):
    R, r = parse_hypothesis(hyp, NAMES)
    ref = DesignInfo(NAMES).linear_constraint(hyp)
    np.testing.assert_allclose(R, ref.coefs, rtol=1e-15)
    np.testing.assert_allclose(r, ref.constants.ravel(), rtol=1e-15)


def test_hypothesis_row_labels():
    _, _, labels = parse_hypothesis_rows("x = x1 = x:z, (Intercept = 1), x", NAMES)
    assert labels == ["x = x1", "x1 = x:z", "Intercept = 1", "x = 0"]
    R, r, labels = parse_hypothesis_rows({"x": 1, "x1": -2.5}, NAMES)
    assert labels == ["x = 1", "x1 = -2.5"]
    np.testing.assert_array_equal(r, [1, -2.5])
    np.testing.assert_array_equal(R[:, 3:5], [[1, 0], [0, 1]])
    _, _, labels = parse_hypothesis_rows(np.eye(7)[:2], NAMES)
    assert labels == ["c0", "c1"]


def test_matrix_and_tuple_hypotheses():
    R, r = parse_hypothesis(np.eye(7)[[3]], NAMES)
    np.testing.assert_array_equal(r, [0.0])
    R1, r1 = parse_hypothesis(np.eye(7)[3], NAMES)  # 1-D: one row
    np.testing.assert_array_equal(R1, R)
    R2, r2 = parse_hypothesis((np.eye(7)[[3, 4]], [1, 2]), NAMES)
    np.testing.assert_array_equal(r2, [1, 2])
    R3, r3 = parse_hypothesis((np.eye(7)[3], 0.5), NAMES)
    np.testing.assert_array_equal(r3, [0.5])


@pytest.mark.parametrize(("hyp", "message"), [
    ("gpa = 0", re.escape("Unknown coefficient name 'gpa'")),
    ("X1 = 0", re.escape("(did you mean 'x1'?). Valid names are ['Intercept'")),
    ("x2 = 0", "Unknown coefficient name 'x2'"),
    ("x*x1 = 0", "cannot multiply or divide by a coefficient"),
    ("2/x = 0", "cannot multiply or divide by a coefficient"),
    ("x/0", "division by zero"),
    ("1 = 1", "no coefficient appears"),
    ("x - x = 1", "no coefficient appears"),
    ("x = 0,", "expected a coefficient name or a number"),
    ("2 x", "expected an operator before 'x'"),
    ("(x", "missing '\\)'"),
    ("x)", "unexpected '\\)'"),
    ("", "Empty hypothesis"),
    ({"nope": 1}, "Unknown coefficient name 'nope'"),
    (np.ones((2, 3)), "R must be a \\(q, 7\\) matrix"),
    ((np.ones((2, 7)), [1, 2, 3]), "one value per row of R"),
    (np.full((1, 7), np.nan), "must be finite"),
])
def test_parse_hypothesis_errors(hyp, message):
    with pytest.raises(ValueError, match=message):
        parse_hypothesis(hyp, NAMES)


# ------------------------------------------------------------------------------ wald, t
def test_wald_reference_numbers(spec):
    R, r = parse_hypothesis("GPA = 0, TUCE = 0", spec.names)
    w = wald_test(spec.params, spec.cov, R, r)
    assert isinstance(w, WaldTestResult) and w.df == 2 and w.distribution == "chi2"
    np.testing.assert_allclose([w.statistic, w.pvalue],
                               [6.351528058916921, 0.04176218435356933], rtol=1e-10)
    assert "statistic=6.35153" in repr(w) and "df=2" in w.summary()


HYPOTHESES = ["GPA = 0, TUCE = 0", "GPA - TUCE = 0", "2*GPA + PSI = 1", "GPA", "(GPA = TUCE)",
              "const + GPA = -10, PSI = TUCE", "GPA = TUCE = PSI", "-(GPA - TUCE)/2 = -1"]


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0"])
@pytest.mark.parametrize("hyp", HYPOTHESES)
def test_wald_and_t_vs_statsmodels(spec, hyp, cov_type):
    ref = spec.robust(cov_type) if cov_type != "nonrobust" else spec.res
    cov = ref.cov_params().to_numpy()
    R, r, labels = parse_hypothesis_rows(hyp, spec.names)
    w, wr = wald_test(spec.params, cov, R, r), ref.wald_test(hyp, scalar=True)
    np.testing.assert_allclose([w.statistic, w.pvalue], [wr.statistic, wr.pvalue], rtol=RTOL)
    assert w.df == wr.df_denom == w.df_denom
    t, tr = t_test(spec.params, cov, R, r, labels), ref.t_test(hyp)
    assert isinstance(t, ContrastResults)
    np.testing.assert_allclose(t.effect, np.ravel(tr.effect), rtol=RTOL)
    np.testing.assert_allclose(t.sd, np.ravel(tr.sd), rtol=RTOL)
    np.testing.assert_allclose(t.statistic, np.ravel(tr.tvalue), rtol=RTOL)
    np.testing.assert_allclose(t.pvalue, np.ravel(tr.pvalue), rtol=RTOL)
    for alpha in (0.05, 0.1):
        np.testing.assert_allclose(t.conf_int(alpha), tr.conf_int(alpha), rtol=RTOL)
        frame, rframe = t.summary_frame(alpha), tr.summary_frame(alpha=alpha)
        assert list(frame.columns) == ["coef", "std_err", "z", "P>|z|", "ci_lower", "ci_upper"]
        assert list(frame.index) == labels
        np.testing.assert_allclose(frame.to_numpy(), rframe.to_numpy(), rtol=RTOL)


def test_t_test_matrix_input_and_default_labels(spec):
    R = np.array([[0, 1, 0, 0], [0, 0, 1, -1.0]])
    q = np.array([0.5, 0.0])
    t, tr = t_test(spec.params, spec.cov, R, q), spec.res.t_test((R, q))
    assert t.row_names == ("c0", "c1") == tuple(tr.summary_frame().index)
    np.testing.assert_allclose(t.summary_frame().to_numpy(), tr.summary_frame().to_numpy(),
                               rtol=RTOL)
    assert str(t) == str(tr)  # statsmodels' text layout, line for line
    w, wr = wald_test(spec.params, spec.cov, *parse_hypothesis(R, spec.names)), \
        spec.res.wald_test(R, scalar=True)
    np.testing.assert_allclose(w.statistic, wr.statistic, rtol=RTOL)
    with pytest.raises(ValueError, match="row_names has 1 labels for 2 restrictions"):
        t_test(spec.params, spec.cov, R, q, row_names=["a"])
    with pytest.raises(ValueError, match="Inconsistent shapes"):
        wald_test(spec.params, spec.cov, R[:, :3], q)


def test_redundant_constraints_warn_and_reduce_df(spec):
    hyp = "GPA = 0, 2*GPA = 0, TUCE = 0"
    R, r = parse_hypothesis(hyp, spec.names)
    with pytest.warns(BayesLogitWarning, match="constraints is 3, but rank is 2"):
        w = wald_test(spec.params, spec.cov, R, r)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wr = spec.res.wald_test(hyp, scalar=True)
    assert w.df == 2 == wr.df_denom
    np.testing.assert_allclose([w.statistic, w.pvalue], [wr.statistic, wr.pvalue], rtol=1e-7)


def test_wald_nan_covariance_is_an_error(spec):
    cov = spec.cov.copy()
    cov[1, 1] = np.nan
    with pytest.raises(ValueError, match="contains NaN"):
        wald_test(spec.params, cov, np.eye(4)[[1]], [0.0])


# --------------------------------------------------------------------------- marginal effects
def _sm_margeff(res, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # statsmodels' 0/0 for se == 0
        m = res.get_margeff(**kw)
        return m, m.summary_frame()


def _ours(case, cov=None, **kw):
    return marginal_effects(case.params, case.cov if cov is None else cov, case.X, None,
                            case.names, 0, **kw)


def _compare(ours, ref, ref_frame):
    np.testing.assert_allclose(ours.margeff, ref.margeff, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(ours.margeff_se, ref.margeff_se, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(ours.margeff_cov, ref.margeff_cov, rtol=1e-9, atol=1e-17)
    frame = ours.summary_frame()
    assert list(frame.columns) == list(ref_frame.columns)
    assert list(frame.index) == list(ref_frame.index)
    pd.testing.assert_frame_equal(frame, ref_frame, check_exact=False, rtol=1e-8, atol=1e-14)


@pytest.mark.parametrize("name", ["spec", "syn"])
@pytest.mark.parametrize("at", ["overall", "mean", "median", "zero"])
@pytest.mark.parametrize("method", ["dydx", "eyex", "dyex", "eydx"])
def test_margeff_grid(request, name, at, method):
    case = request.getfixturevalue(name)
    ours = _ours(case, at=at, method=method)
    _compare(ours, *_sm_margeff(case.res, at=at, method=method))
    assert (ours.at, ours.method) == (at, method)


@pytest.mark.parametrize("at", ["overall", "mean"])
@pytest.mark.parametrize("method", ["dydx", "eydx"])
@pytest.mark.parametrize(("dummy", "count"), [(True, False), (False, True), (True, True)])
def test_margeff_dummy_and_count(syn, at, method, dummy, count):
    ours = _ours(syn, at=at, method=method, dummy=dummy, count=count)
    ref, frame = _sm_margeff(syn.res, at=at, method=method, dummy=dummy, count=count)
    _compare(ours, ref, frame)
    for mine, theirs in ((ours.dummy_idx, ref.dummy_idx), (ours.count_idx, ref.count_idx)):
        assert (mine is None and theirs is None) or list(mine) == list(theirs)


def test_margeff_robust_covariance(syn):
    robust = syn.robust("cluster", groups=syn.groups)
    ours = _ours(syn, cov=robust.cov_params().to_numpy(), dummy=True, count=True)
    _compare(ours, *_sm_margeff(robust, dummy=True, count=True))


@pytest.mark.parametrize("at", ["overall", "mean", "zero"])
def test_margeff_atexog(syn, at):
    for atexog in ({1: 0.5, 3: 1.0}, {4: syn.X[:, 4] + 1}):
        ours = _ours(syn, at=at, atexog=atexog)
        _compare(ours, *_sm_margeff(syn.res, at=at, atexog=atexog))
    rows = syn.X[:40] * 1.1
    _compare(_ours(syn, at=at, atexog=rows), *_sm_margeff(syn.res, at=at, atexog=rows))
    by_name = _ours(syn, at=at, atexog={"x1": 0.5, "d": 1.0})
    np.testing.assert_allclose(by_name.margeff, _ours(syn, at=at, atexog={1: 0.5, 3: 1.0}).margeff,
                               rtol=0)


def test_margeff_at_all(syn):
    ours = _ours(syn, at="all", dummy=True, count=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = syn.res.get_margeff(at="all", dummy=True, count=True)
    np.testing.assert_allclose(ours.margeff, ref.margeff, rtol=1e-10, atol=1e-15)
    assert ours.margeff.shape == (syn.n, syn.k - 1)
    for attr in ("margeff_se", "tvalues", "pvalues"):
        with pytest.raises(ValueError, match="Only margeff are available when `at` is 'all'"):
            getattr(ours, attr)
    with pytest.raises(ValueError, match="Only margeff are available"):
        ours.summary_frame()


def test_margeff_reference_numbers(spec):
    me = _ours(spec)
    np.testing.assert_allclose(me.margeff, ME_OVERALL, rtol=1e-12)
    np.testing.assert_allclose(me.margeff_se, ME_OVERALL_SE, rtol=1e-12)
    me = _ours(spec, at="mean")
    np.testing.assert_allclose(me.margeff, ME_MEAN, rtol=1e-12)
    np.testing.assert_allclose(me.margeff_se, ME_MEAN_SE, rtol=1e-12)
    me = _ours(spec, dummy=True)
    np.testing.assert_allclose(me.margeff, ME_DUMMY, rtol=1e-12)
    np.testing.assert_allclose(me.margeff_se, ME_DUMMY_SE, rtol=1e-12)
    assert list(me.dummy_idx) == [3] and me.count_idx is None


def test_margeff_summary_text(spec):
    me = marginal_effects(spec.params, spec.cov, spec.X, None, spec.names, 0,
                          endog_name="GRADE")
    text = me.summary()
    ref = str(spec.res.get_margeff().summary())
    assert text == ref  # statsmodels' layout, line for line
    assert me.summary(alpha=0.1).count("[0.05") == 1
    assert "names=['GPA', 'TUCE', 'PSI']" in repr(me)


@pytest.mark.parametrize(("kw", "ours_extra"), [
    ({"at": "foo"}, re.escape("at='foo' not understood; use one of ['overall', 'mean', "
                              "'median', 'zero', 'all'], e.g. result.get_margeff(at='overall')")),
    ({"method": "foo"}, "method='foo' not understood; use one of"),
    ({"method": "eyex", "dummy": True}, "use dydx or eydx"),
    ({"method": "dyex", "count": True}, "use dydx or eydx"),
    ({"at": "median", "count": True}, "use dydx or eydx"),
    ({"at": "zero", "dummy": True}, "use dydx or eydx"),
    ({"atexog": np.ones((3, 2))}, "got shape"),
])
def test_margeff_errors_match_statsmodels(spec, kw, ours_extra):
    with pytest.raises(ValueError) as ref_err:
        spec.res.get_margeff(**kw)
    with pytest.raises(ValueError, match=ours_extra) as our_err:
        _ours(spec, **kw)
    assert str(our_err.value).startswith(str(ref_err.value))


def test_margeff_case_insensitive_like_statsmodels(spec):
    _compare(_ours(spec, at="Mean", method="EYDX"),
             *_sm_margeff(spec.res, at="Mean", method="EYDX"))


def test_margeff_input_errors(spec):
    with pytest.raises(ValueError, match="Inconsistent inputs"):
        marginal_effects(spec.params, spec.cov, spec.X[:, :3], None, spec.names)
    with pytest.raises(ValueError, match="offset has shape"):
        marginal_effects(spec.params, spec.cov, spec.X, np.zeros(3), spec.names)
    with pytest.raises(ValueError, match="atexog key 'nope'"):
        _ours(spec, atexog={"nope": 1.0})
    with pytest.raises(ValueError, match="Every column of X is constant"):
        marginal_effects([0.1], [[1.0]], np.ones((5, 1)), None, ["c"])
    X = spec.X.copy()
    _ours(spec, atexog={1: 0.0}, at="mean")
    np.testing.assert_array_equal(X, spec.X)  # caller arrays untouched


# ------------------------------------------------------------------ offsets (an extension)
def _naive(b, X, off, at, method, dummy_idx=(), count_idx=()):
    """Independent reference: statsmodels' algorithm (per-row effects, then a complex-step
    Jacobian of their mean), with the offset added to the linear predictor."""
    if at == "mean":
        X, off = X.mean(0)[None, :], np.array([off.mean()])

    def effects(beta):
        eta = X @ beta + off
        F = 1 / (1 + np.exp(-eta))
        me = (F * (1 - F))[:, None] * beta[None, :]
        if "ex" in method:
            me = me * X
        if "ey" in method:
            me = me / F[:, None]
        tr = np.log if "ey" in method else (lambda v: v)
        for j in dummy_idx:
            X0, X1 = X.copy(), X.copy()
            X0[:, j], X1[:, j] = 0, 1
            me[:, j] = tr(1 / (1 + np.exp(-(X1 @ beta + off)))) - tr(
                1 / (1 + np.exp(-(X0 @ beta + off))))
        for j in count_idx:
            X0, X1 = X.copy(), X.copy()
            X0[:, j] -= 1
            X1[:, j] += 1
            me[:, j] = (tr(1 / (1 + np.exp(-(X1 @ beta + off)))) - tr(
                1 / (1 + np.exp(-(X0 @ beta + off))))) / 2
        return me.mean(0)

    h = 1e-30
    J = np.column_stack([effects(b + 1j * h * e).imag / h for e in np.eye(len(b))])
    return effects(b.astype(complex)).real, J


@pytest.mark.parametrize("at", ["overall", "mean"])
@pytest.mark.parametrize(("method", "discrete"), [("dydx", False), ("eyex", False),
                                                  ("dydx", True), ("eydx", True)])
def test_margeff_with_offset_vs_independent_reference(syn, at, method, discrete):
    off = np.random.default_rng(5).normal(0, 0.4, syn.n)
    ours = marginal_effects(syn.params, syn.cov, syn.X, off, syn.names, 0, at=at,
                            method=method, dummy=discrete, count=discrete)
    eff, J = _naive(syn.params, syn.X, off, at, method,
                    (3,) if discrete else (), (4,) if discrete else ())
    np.testing.assert_allclose(ours.margeff, eff[1:], rtol=1e-10)
    np.testing.assert_allclose(ours.margeff_cov, (J @ syn.cov @ J.T)[1:, 1:], rtol=1e-9)
    zero = marginal_effects(syn.params, syn.cov, syn.X, np.zeros(syn.n), syn.names, 0, at=at,
                            method=method, dummy=discrete, count=discrete)
    np.testing.assert_allclose(zero.margeff, _ours(syn, at=at, method=method, dummy=discrete,
                                                   count=discrete).margeff, rtol=1e-14)
