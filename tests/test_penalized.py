"""Posterior-mode solvers against external references.

References: statsmodels (MLE and L1 ``fit_regularized``), scikit-learn (L2), scipy.optimize on
a log posterior written here with scipy.stats densities and finite-difference derivatives, and
a Firth estimate obtained by maximising l(b) + 0.5 logdet(X'WX) with scipy.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import optimize, stats
from sklearn.linear_model import LogisticRegression

from bayeslogit.engines.map import L1_KKT_TOL, fit_map, neg_log_posterior_hessian
from bayeslogit.errors import RankDeficiencyError
from bayeslogit.priors import (
    Cauchy,
    Flat,
    Jeffreys,
    Laplace,
    Normal,
    StudentT,
    resolve_priors,
)

NAMES = ("Intercept", "GPA", "TUCE", "PSI")
# exact L1 optimum for alpha = [0, 1, 1, 1] (KKT residual ~1e-13), from the reference notes
L1_EXACT_B1 = np.array([-8.3052536803, 1.45298374814, 0.108617036554, 1.29122083461])


@pytest.fixture(scope="module")
def spector():
    d = sm.datasets.spector.load_pandas().data
    X = np.column_stack([np.ones(len(d)), d[["GPA", "TUCE", "PSI"]].to_numpy(float)])
    return X, d["GRADE"].to_numpy(float)


@pytest.fixture(scope="module")
def spector_std(spector):
    X, y = spector
    Z = X.copy()
    Z[:, 1:] = (Z[:, 1:] - Z[:, 1:].mean(0)) / Z[:, 1:].std(0)
    return Z, y


@pytest.fixture(scope="module")
def synthetic():
    rng = np.random.default_rng(20240611)
    n, k = 400, 7
    X = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1)) * [1, 2, 0.5, 1, 3, 1]])
    beta = np.array([0.3, 0.8, 0.0, -1.2, 0.05, 0.0, 0.4])
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ beta))).astype(float)
    return X, y, ("Intercept",) + tuple(f"x{j}" for j in range(1, k))


@pytest.fixture(scope="module")
def separated():
    rng = np.random.default_rng(7)
    x1, x2 = rng.normal(size=40), rng.normal(size=40)
    y = (x1 + 0.3 * x2 > 0).astype(float)
    return np.column_stack([np.ones(40), x1, x2]), y, ("Intercept", "x1", "x2")


# ---------------------------------------------------------------- independent references
def _loglik(beta, X, y, offset=None):
    eta = X @ beta + (0 if offset is None else offset)
    return np.sum(y * eta - np.logaddexp(0.0, eta))


def _dlogpdf(dist, t, h=1e-3):
    """5-point central difference of a scipy.stats frozen density's log pdf."""
    f = dist.logpdf
    return (-f(t + 2 * h) + 8 * f(t + h) - 8 * f(t - h) + f(t - 2 * h)) / (12 * h)


class LogPost:
    """log posterior with per-working-coefficient scipy.stats priors (None = flat).

    theta_0 = beta_0 + mean(X[:, 1:]) @ beta[1:] (the centred intercept), theta_j = beta_j.
    """

    def __init__(self, X, y, dists, offset=None):
        self.X, self.y, self.dists, self.offset = X, y, dists, offset
        self.c = np.r_[0.0, X[:, 1:].mean(0)]

    def theta(self, b):
        t = np.array(b, dtype=float)
        t[0] = b[0] + self.c @ b
        return t

    def __call__(self, b):
        t = self.theta(b)
        lp = sum(d.logpdf(tj) for d, tj in zip(self.dists, t, strict=True) if d is not None)
        return _loglik(b, self.X, self.y, self.offset) + lp

    def grad(self, b):
        eta = self.X @ b + (0 if self.offset is None else self.offset)
        g = self.X.T @ (self.y - 1 / (1 + np.exp(-eta)))
        t = self.theta(b)
        gt = np.array([0.0 if d is None else _dlogpdf(d, tj) for d, tj in zip(self.dists, t, strict=True)])
        return g + gt + self.c * gt[0]  # chain rule through theta_0

    def mode(self, x0):
        r = optimize.minimize(lambda b: -self(b), x0, jac=lambda b: -self.grad(b),
                              method="BFGS", options={"gtol": 1e-9, "maxiter": 10000})
        root = optimize.root(self.grad, r.x, method="hybr", tol=1e-14)
        assert np.max(np.abs(self.grad(root.x))) < 1e-8
        return root.x


def firth_reference(X, y, offset=None):
    """Firth's estimate: maximise l*(b) = l(b) + 0.5 logdet(X'WX) with scipy.

    The gradient uses the trace form d/db_r 0.5 logdet I = 0.5 tr(I^-1 X' diag(w (1-2p) x_r) X),
    itself checked against finite differences of l*.
    """
    off = 0 if offset is None else offset

    def lstar(b):
        eta = X @ b + off
        w = np.exp(eta - 2 * np.logaddexp(0.0, eta))
        return _loglik(b, X, y, offset) + 0.5 * np.linalg.slogdet(X.T @ (w[:, None] * X))[1]

    def grad(b):
        p = 1 / (1 + np.exp(-(X @ b + off)))
        w = p * (1 - p)
        Iinv = np.linalg.inv(X.T @ (w[:, None] * X))
        pen = [0.5 * np.trace(Iinv @ X.T @ ((w * (1 - 2 * p) * X[:, r])[:, None] * X))
               for r in range(X.shape[1])]
        return X.T @ (y - p) + np.array(pen)

    b1 = np.full(X.shape[1], 0.1)
    fd = optimize.approx_fprime(b1, lstar, 1e-7)
    np.testing.assert_allclose(grad(b1), fd, rtol=1e-5, atol=1e-5)
    r = optimize.minimize(lambda b: -lstar(b), np.zeros(X.shape[1]), jac=lambda b: -grad(b),
                          method="BFGS", options={"gtol": 1e-9, "maxiter": 10000})
    root = optimize.root(grad, r.x, method="hybr", tol=1e-14)
    assert np.max(np.abs(grad(root.x))) < 1e-9
    return root.x


def check_l1_kkt(X, y, beta, alpha, offset=None, tol=1e-9):
    """KKT of min -l(b) + sum alpha_j |b_j| for an unpenalised (alpha 0) intercept."""
    eta = X @ beta + (0 if offset is None else offset)
    score = X.T @ (y - 1 / (1 + np.exp(-eta)))
    for j, a in enumerate(alpha):
        if a == 0:
            assert abs(score[j]) <= tol
        elif beta[j] == 0:
            assert abs(score[j]) <= a + tol
        else:
            assert abs(score[j] - a * np.sign(beta[j])) <= tol


def _sm_l1(X, y, alpha, offset=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sm.Logit(y, X, offset=offset).fit_regularized(
            method="l1", alpha=alpha, acc=1e-14, disp=0)


def _l1_priors(names, b, X, mu=0.0):
    pri = {nm: Laplace(mu, b) for nm in names[1:]}
    pri[names[0]] = Flat()
    return resolve_priors(pri, names, X, 0)


# ---------------------------------------------------------------- identities
def test_flat_map_equals_statsmodels_mle(spector):
    X, y = spector
    ref = sm.Logit(y, X).fit(disp=0)
    r = fit_map(X, y, None, resolve_priors(Flat(), NAMES, X, 0))
    assert r.converged and r.active is None
    np.testing.assert_allclose(r.params, ref.params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(r.cov, ref.cov_params(), rtol=1e-9)
    assert r.objective == pytest.approx(-ref.llf, rel=1e-12)


def test_flat_map_with_offset_equals_statsmodels(synthetic):
    X, y, names = synthetic
    off = np.linspace(-1, 1, len(y))
    ref = sm.Logit(y, X, offset=off).fit(disp=0)
    r = fit_map(X, y, off, resolve_priors(Flat(), names, X, 0))
    np.testing.assert_allclose(r.params, ref.params, rtol=0, atol=1e-10)


def test_no_intercept_flat_fractional_and_l1_match_statsmodels():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(200, 3))
    p = 1 / (1 + np.exp(-(X @ [1.0, -0.5, 0.05])))
    yb = (rng.random(200) < p).astype(float)
    yf = np.clip(p + 0.2 * rng.normal(size=200), 0, 1)  # fractional: Bernoulli QMLE
    names = ("a", "b", "c")
    r = fit_map(X, yf, None, resolve_priors(Flat(), names, X, None))
    np.testing.assert_allclose(r.params, sm.Logit(yf, X).fit(disp=0).params, rtol=0, atol=1e-10)
    r = fit_map(X, yb, None, resolve_priors(Laplace(0, 0.2), names, X, None))
    ref = _sm_l1(X, yb, 5.0)  # scalar alpha penalises every coefficient
    assert r.converged and r.params[2] == 0.0 and ref.params[2] == 0.0
    np.testing.assert_allclose(r.params, ref.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(r.cov)), ref.bse, rtol=1e-6)
    check_l1_kkt(X, yb, r.params, [5.0] * 3)


def test_l1_spector_b1_exact_optimum_and_statsmodels(spector):
    X, y = spector
    r = fit_map(X, y, None, _l1_priors(NAMES, 1.0, X))
    assert r.converged and r.kkt_residual <= L1_KKT_TOL
    np.testing.assert_allclose(r.params, L1_EXACT_B1, rtol=0, atol=1e-9)
    check_l1_kkt(X, y, r.params, [0, 1, 1, 1])
    ref = _sm_l1(X, y, [0, 1, 1, 1])
    np.testing.assert_allclose(r.params, ref.params, rtol=1e-6)  # SLSQP stops ~1e-8 short
    np.testing.assert_allclose(np.sqrt(np.diag(r.cov)), ref.bse, rtol=1e-6)
    assert r.active.all()


@pytest.mark.parametrize("standardize, b, zeros", [(True, 0.3, [2]), (False, 0.3, [1, 3])])
def test_l1_exact_zeros_match_statsmodels(spector, spector_std, standardize, b, zeros):
    X, y = spector_std if standardize else spector
    alpha = [0] + [1 / b] * 3
    r = fit_map(X, y, None, _l1_priors(NAMES, b, X))
    ref = _sm_l1(X, y, alpha)
    assert r.converged
    assert [j for j in range(4) if r.params[j] == 0.0] == zeros  # exact zeros
    np.testing.assert_array_equal(r.active, ref.params != 0)
    np.testing.assert_allclose(r.params, ref.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(np.isnan(np.diag(r.cov)), np.isnan(ref.bse))
    np.testing.assert_allclose(np.sqrt(np.diag(r.cov)), ref.bse, rtol=1e-6)
    check_l1_kkt(X, y, r.params, alpha)
    if standardize:  # reference notes: -0.7227, 0.5982, 0, 0.4233
        np.testing.assert_allclose(r.params, [-0.7227, 0.5982, 0, 0.4233], atol=6e-5)


def test_l1_synthetic(synthetic):
    X, y, names = synthetic
    b = 1 / 12.0
    alpha = [0] + [12.0] * 6
    r = fit_map(X, y, None, _l1_priors(names, b, X))
    ref = _sm_l1(X, y, alpha)
    assert r.converged and 0 < (r.params == 0).sum() < 6
    check_l1_kkt(X, y, r.params, alpha)
    np.testing.assert_array_equal(r.active, ref.params != 0)
    np.testing.assert_allclose(r.params, ref.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(r.cov)), ref.bse, rtol=1e-6)


def test_l1_nonzero_location_is_shifted_lasso(synthetic):
    """Laplace(mu, b) on beta_j == lasso on gamma_j = beta_j - mu with offset mu * x_j."""
    X, y, names = synthetic
    mu, b = -0.2, 0.05
    off = X[:, 1:] @ np.full(6, mu)
    ref = _sm_l1(X, y, [0] + [1 / b] * 6, offset=off)
    r = fit_map(X, y, None, _l1_priors(names, b, X, mu=mu))
    assert r.converged and np.any(r.params[1:] == mu)
    np.testing.assert_allclose(r.params - np.r_[0, [mu] * 6], ref.params, rtol=1e-6, atol=1e-8)


def test_l1_on_centred_intercept(synthetic):
    """An intercept Laplace prior applies to the centred intercept: lasso on the centred design."""
    X, y, names = synthetic
    Xc = X.copy()
    Xc[:, 1:] -= X[:, 1:].mean(0)
    ref = _sm_l1(Xc, y, [40.0] + [0.0] * 6)  # theta-space fit
    pri = {nm: Flat() for nm in names}
    pri["Intercept"] = Laplace(0.0, 1 / 40.0)
    r = fit_map(X, y, None, resolve_priors(pri, names, X, 0))
    assert r.converged
    theta = r.params.copy()
    theta[0] += X[:, 1:].mean(0) @ r.params[1:]
    assert theta[0] == 0.0 and ref.params[0] == 0.0 and not r.active[0]
    np.testing.assert_allclose(theta, ref.params, rtol=0, atol=1e-6)  # SLSQP precision
    # with the centred intercept at its kink, the slopes are the MLE without intercept
    exact = sm.Logit(y, Xc[:, 1:]).fit(disp=0).params
    np.testing.assert_allclose(theta[1:], exact, rtol=0, atol=1e-10)
    assert abs(Xc[:, 0] @ (y - 1 / (1 + np.exp(-Xc[:, 1:] @ exact)))) <= 40.0


def test_mixed_laplace_and_heavy_tailed_priors_satisfy_kkt(synthetic):
    """Laplace on some slopes, Cauchy/StudentT on others, Normal centred intercept."""
    X, y, names = synthetic
    lap = {"x2": Laplace(0.0, 0.05), "x4": Laplace(0.1, 0.05), "x5": Laplace(0.0, 0.05)}
    smooth = {"Intercept": stats.norm(0.5, 1.0), "x1": stats.cauchy(0, 0.2),
              "x3": stats.t(3, 0, 0.3), "x6": stats.cauchy(0, 0.1)}
    pri = dict(lap, Intercept=Normal(0.5, 1.0), x1=Cauchy(0, 0.2), x3=StudentT(3, 0, 0.3),
               x6=Cauchy(0, 0.1))
    r = fit_map(X, y, None, resolve_priors(pri, names, X, 0))
    assert r.converged and r.kkt_residual <= L1_KKT_TOL
    theta = r.params.copy()
    theta[0] += X[:, 1:].mean(0) @ r.params[1:]
    Xc = X.copy()
    Xc[:, 1:] -= X[:, 1:].mean(0)
    grad = Xc.T @ (y - 1 / (1 + np.exp(-(Xc @ theta))))  # d loglik / d theta
    for j, nm in enumerate(names):
        if nm in smooth:
            assert abs(grad[j] + _dlogpdf(smooth[nm], theta[j])) < 1e-8
        elif theta[j] == lap[nm].mu:
            assert abs(grad[j]) <= 1 / lap[nm].b + 1e-9 and not r.active[j]
        else:
            assert abs(grad[j] - np.sign(theta[j] - lap[nm].mu) / lap[nm].b) < 1e-9
    assert 0 < (~r.active).sum() < 3
    assert np.isnan(r.cov[~r.active]).all() and np.isfinite(r.cov[np.ix_(r.active, r.active)]).all()


def test_normal_slopes_equal_sklearn_l2(spector, synthetic):
    """sklearn minimises C * sum(loss) + ||w||^2 / 2 == -l + ||w||^2 / (2 C): C = s**2."""
    for X, y, names in (spector + (NAMES,), synthetic):
        for s in (0.5, 2.0):
            pri = {nm: Normal(0, s) for nm in names[1:]}
            pri[names[0]] = Flat()
            r = fit_map(X, y, None, resolve_priors(pri, names, X, 0))
            sk = LogisticRegression(C=s**2, tol=1e-12, max_iter=10000,
                                    solver="newton-cholesky").fit(X[:, 1:], y)
            np.testing.assert_allclose(r.params, np.r_[sk.intercept_, sk.coef_[0]],
                                       rtol=0, atol=1e-8)


def test_jeffreys_equals_firth(spector, separated):
    X, y = spector
    r = fit_map(X, y, None, resolve_priors(Jeffreys(), NAMES, X, 0))
    assert r.converged
    np.testing.assert_allclose(r.params, firth_reference(X, y), rtol=0, atol=1e-9)
    eta = X @ r.params
    w = np.exp(eta - 2 * np.logaddexp(0.0, eta))
    np.testing.assert_allclose(r.cov, np.linalg.inv(X.T @ (w[:, None] * X)), rtol=1e-10)
    Xs, ys, names = separated
    off = np.linspace(-0.5, 0.5, len(ys))
    rs = fit_map(Xs, ys, off, resolve_priors(Jeffreys(), names, Xs, 0))
    assert rs.converged and np.all(np.isfinite(rs.params)) and np.abs(rs.params).max() < 50
    np.testing.assert_allclose(rs.params, firth_reference(Xs, ys, off), rtol=0, atol=1e-9)


@pytest.mark.parametrize("prior, dist", [
    (StudentT(3, 0.5, 1.5), stats.t(3, 0.5, 1.5)),
    (Cauchy(0, 2.5), stats.cauchy(0, 2.5)),
])
def test_heavy_tailed_map_equals_scipy(spector, prior, dist):
    X, y = spector
    r = fit_map(X, y, None, resolve_priors(prior, NAMES, X, 0))
    ref = LogPost(X, y, [dist] * 4).mode(np.zeros(4))
    assert r.converged
    np.testing.assert_allclose(r.params, ref, rtol=0, atol=1e-10)
    H = neg_log_posterior_hessian(X, y, None, resolve_priors(prior, NAMES, X, 0), r.params)
    np.testing.assert_allclose(r.cov, np.linalg.inv(H), rtol=1e-8)


def test_default_priors_map_equals_scipy(synthetic):
    X, y, names = synthetic
    ps = resolve_priors(None, names, X, 0)
    sd = X[:, 1:].std(0, ddof=1)
    dists = [stats.norm(0, 2.5)] + [stats.norm(0, 2.5 / s) for s in sd]
    off = np.sin(np.arange(len(y)))
    r = fit_map(X, y, off, ps)
    ref = LogPost(X, y, dists, off).mode(np.zeros(X.shape[1]))
    np.testing.assert_allclose(r.params, ref, rtol=0, atol=1e-10)
    assert r.objective == pytest.approx(-LogPost(X, y, dists, off)(r.params), rel=1e-12)


@pytest.mark.parametrize("prior, dist", [(Normal(0, 2.5), stats.norm(0, 2.5)),
                                         (Cauchy(0, 2.5), stats.cauchy(0, 2.5))])
def test_separated_data_proper_priors_finite(separated, prior, dist):
    X, y, names = separated
    r = fit_map(X, y, None, resolve_priors(prior, names, X, 0))
    assert r.converged and np.all(np.isfinite(r.params)) and np.all(np.isfinite(r.cov))
    np.testing.assert_allclose(r.params, LogPost(X, y, [dist] * 3).mode(np.zeros(3)),
                               rtol=0, atol=1e-9)


def test_modified_newton_from_indefinite_start(separated):
    """Start where the negative Hessian is indefinite (Cauchy tails): still reaches the mode."""
    X, y, names = separated
    ps = resolve_priors(Cauchy(0, 2.5), names, X, 0)
    start = np.array([0.0, 60.0, -40.0])
    assert np.linalg.eigvalsh(neg_log_posterior_hessian(X, y, None, ps, start)).min() < 0
    r = fit_map(X, y, None, ps, start=start)
    ref = LogPost(X, y, [stats.cauchy(0, 2.5)] * 3).mode(np.zeros(3))
    assert r.converged
    np.testing.assert_allclose(r.params, ref, rtol=0, atol=1e-9)


def test_flat_priors_with_separation_do_not_converge(separated):
    X, y, names = separated
    r = fit_map(X, y, None, resolve_priors(Flat(), names, X, 0))
    assert not r.converged and "separation" in r.message and "Normal" in r.message


def test_non_convergence_reports_progress(spector):
    X, y = spector
    r = fit_map(X, y, None, resolve_priors(Flat(), NAMES, X, 0), maxiter=2)
    assert not r.converged and r.iterations == 2 and "stopped after 2 iterations" in r.message
    assert "separation" not in r.message  # far from diverging: no misleading hint
    r = fit_map(X, y, None, resolve_priors(Jeffreys(), NAMES, X, 0), maxiter=2)
    assert not r.converged and "stopped after 2 Firth iterations" in r.message


def test_rank_deficiency_names_columns(spector):
    X, y = spector
    X2 = np.column_stack([X, 2 * X[:, 2] - X[:, 3]])
    names = NAMES + ("combo",)
    with pytest.raises(RankDeficiencyError, match="combo"):
        fit_map(X2, y, None, resolve_priors(Flat(), names, X2, 0))
    r = fit_map(X2, y, None, resolve_priors(Normal(0, 2.5), names, X2, 0))  # proper: unique
    assert r.converged


def test_bad_inputs_raise(spector):
    X, y = spector
    ps = resolve_priors(Flat(), NAMES, X, 0)
    with pytest.raises(ValueError, match="start"):
        fit_map(X, y, None, ps, start=[0.0, 1.0])
    with pytest.raises(ValueError, match="offset"):
        fit_map(X, y, np.zeros(3), ps)
    with pytest.raises(ValueError, match="NaN"):
        fit_map(np.where(X == X[0, 1], np.nan, X), y, None, ps)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        fit_map(X, 2 * y, None, ps)


def test_inputs_not_mutated(synthetic):
    X, y, names = synthetic
    X0, y0, off = X.copy(), y.copy(), np.zeros(len(y))
    start = np.full(X.shape[1], 0.1)
    fit_map(X, y, off, _l1_priors(names, 0.2, X), start=start)
    assert np.array_equal(X, X0) and np.array_equal(y, y0)
    assert np.all(off == 0) and np.all(start == 0.1)


@pytest.mark.parametrize("kind", ["normal_centred", "laplace_mix", "jeffreys"])
def test_hessian_matches_finite_differences(spector, kind):
    X, y = spector
    b = np.array([-10.0, 2.0, 0.1, 1.5])
    if kind == "normal_centred":
        ps = resolve_priors({"Intercept": Normal(1, 2), "TUCE": StudentT(4, 0, 0.3)}, NAMES, X, 0)
        lp = LogPost(X, y, [stats.norm(1, 2), stats.norm(0, 2.5 / X[:, 1].std(ddof=1)),
                            stats.t(4, 0, 0.3), stats.norm(0, 2.5 / X[:, 3].std(ddof=1))])
        f = lp
    elif kind == "laplace_mix":
        ps = resolve_priors({"Intercept": Flat(), "GPA": Laplace(0, 1), "TUCE": Cauchy(0, 1),
                             "PSI": Laplace(0.5, 2)}, NAMES, X, 0)
        f = LogPost(X, y, [None, stats.laplace(0, 1), stats.cauchy(0, 1), stats.laplace(0.5, 2)])
    else:
        ps = resolve_priors(Jeffreys(), NAMES, X, 0)
        f = lambda b: _loglik(b, X, y)  # noqa: E731  (Fisher information: likelihood part)
    H = neg_log_posterior_hessian(X, y, None, ps, b)
    h = 1e-4
    E = np.eye(4) * h
    fd = np.array([[(f(b + ei + ej) - f(b + ei - ej) - f(b - ei + ej) + f(b - ei - ej))
                    / (4 * h * h) for ej in E] for ei in E])
    np.testing.assert_allclose(H, -fd, rtol=0, atol=1e-5 * np.abs(H).max())
