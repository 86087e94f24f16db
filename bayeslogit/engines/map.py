r"""Posterior-mode (MAP) solvers: smooth Newton, exact L1 (Laplace priors) and Firth.

Objectives are on the *summed* log-likelihood scale (:mod:`bayeslogit.logistic`):
:math:`F(\beta) = -\ell(\beta) - \log p(\beta)`, the negative log posterior up to a constant.
Priors apply to the working coefficients :math:`\theta = T\beta` (centred intercept, see
:mod:`bayeslogit.priors`), so the solvers work in :math:`\theta` with the centred design
:math:`X_w = X T^{-1}`, where the priors are independent, and map back to :math:`\beta`.

:func:`fit_map` picks one of three engines:

* **smooth priors** (Normal, StudentT, Cauchy, Flat, mixed): damped Newton. The step solves
  :math:`(H + 10^{-10} n I)d = -g` (statsmodels' ridge, :math:`10^{-10}` on the mean scale);
  where StudentT/Cauchy priors make :math:`H` indefinite, a multiple of :math:`I` is added
  until it is positive definite (modified Newton). Steps are halved until the objective
  decreases (Armijo). Converged when the full step has :math:`\max|d| \le` ``tol``, the
  absolute test of statsmodels; flat priors started at zero give its MLE.
* **Laplace priors on any subset** (the rest smooth): proximal Newton. Each step minimises
  the quadratic model of the smooth part plus the exact :math:`\sum_j|\theta_j-\mu_j|/b_j` by
  coordinate descent (soft-thresholding around :math:`\mu_j`), then solves the sign pattern
  exactly, so coefficients at the kink are exactly :math:`\mu_j`. Converged only when the KKT
  residual is at most :data:`L1_KKT_TOL` (floored at the round-off of the score sums).
* **Jeffreys**: Firth's bias-reduced estimate (Heinze & Schemper 2002). Fisher scoring on the
  modified score :math:`U^* = X^\top(y - p + h\odot(\tfrac12 - p))`, :math:`h` the leverages
  of :math:`W^{1/2}X(X^\top WX)^{-1}X^\top W^{1/2}`, with step halving on
  :math:`\ell + \tfrac12\log|X^\top WX|` and logistf's step cap of 5. When scoring converges
  slowly (a step shrinking by less than 5x, typical under separation) it switches to Newton
  steps on the full Hessian, obtained by central differences of :math:`U^*` (2k evaluations;
  the closed form needs O(n^2) work).

``ModeResult.cov`` (always for the reported :math:`\beta`):

* smooth priors: :math:`[X^\top WX - \nabla^2\log p(\beta)]^{-1}`
  (:func:`neg_log_posterior_hessian`);
* Laplace priors: statsmodels' ``fit_regularized`` convention, the inverse of the negative
  Hessian *without the L1 term* restricted to the coefficients off the kink, NaN rows and
  columns for those at the kink. Smooth priors on other coefficients keep their curvature, so
  with flat ones this is exactly statsmodels' unpenalised :math:`X^\top WX` block. The
  block is inverted in working coordinates and mapped with :math:`T^{-1}`;
* Jeffreys: the inverse Fisher information :math:`(X^\top WX)^{-1}`, as R's logistf reports.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
from numpy.typing import NDArray

from ..conditioning import (
    collinearity,
    collinearity_message,
    pd_factor,
    pow2_scale,
    scaled_inverse,
    step_converged,
)
from ..errors import RankDeficiencyError
from ..logistic import expit, information, loglike_obs
from ..logistic import weights as pq_weights
from ..spec.prior_set import PriorSet
from ..validation import check_arrays
from .outputs import ModeResult

FloatArray = NDArray[np.float64]

__all__ = ["ModeResult", "fit_map", "neg_log_posterior_hessian", "L1_KKT_TOL", "mode_result"]

#: KKT tolerance of the L1 engine, summed log-likelihood scale
L1_KKT_TOL = 1e-10
_EPS = np.finfo(float).eps
_RIDGE = 1e-10  # mean scale (statsmodels); n * _RIDGE on the summed scale


def _validate(X, y, offset, prior_set: PriorSet):
    return check_arrays(X, y, offset, prior_set.k)


def _check_rank(X: FloatArray, cols: NDArray[np.intp], names, why: str) -> None:
    """Raise RankDeficiencyError naming the columns if ``X[:, cols]`` is rank deficient."""
    if cols.size == 0:
        return
    sub = X[:, cols]
    # units-free: each column scaled to unit norm (a power of two), so the rank does not
    # depend on the units a column is measured in
    sub = sub / pow2_scale(np.sqrt(np.einsum("ij,ij->j", sub, sub)))
    R, piv = sla.qr(sub, mode="r", pivoting=True)
    d = np.abs(np.diag(R))
    rank = int(np.sum(d > d[0] * max(X.shape) * _EPS)) if d.size and d[0] > 0 else 0
    if rank == cols.size:
        return
    dep = [names[cols[i]] for i in piv[rank:]]
    z = sla.solve_triangular(R[:rank, :rank], R[:rank, rank:]) if rank else np.zeros((0, 1))
    base = [names[cols[piv[i]]] for i in range(rank) if np.any(np.abs(z[i]) > 1e-8)]
    raise RankDeficiencyError(
        f"The design is rank deficient (rank {rank} of {cols.size} among {why}): {dep} "
        f"are linear combinations of {base}, so the posterior mode is not unique. Drop one "
        "of the collinear columns or give these coefficients a proper prior such as "
        "bl.Normal(0, 2.5)."
    )


class _Problem:
    r"""Hold the MAP objective in scaled working coordinates.

    The objective in scaled working coordinates :math:`\theta_s = S\theta` (design
    :math:`X_wS^{-1}`, ``scale`` S powers of two); priors grouped for vectorised evaluation.
    """

    def __init__(self, Xw, y, offset, prior_set: PriorSet, scale, m=None):
        self.Xw, self.y, self.offset, self.priors = Xw, y, offset, prior_set.priors
        self.m = m  # binomial weights (trials times frequency weights) or None
        self.s = scale
        self.flat = bool(prior_set.flat_index.size)
        groups: dict = {}
        for j, prior in enumerate(self.priors):
            groups.setdefault(prior, []).append(j)
        self.groups = [(p, np.asarray(ix)) for p, ix in groups.items()]
        terms = [p.l1_term() for p in self.priors]
        self.l1 = np.array([t is not None for t in terms])
        mu = np.array([0.0 if t is None else t[0] for t in terms])
        lam = np.array([0.0 if t is None else t[1] for t in terms])
        self.lam, self.mu = lam / scale, mu * scale
        self.ridge = _RIDGE * (Xw.shape[0] if m is None else float(np.sum(m)))
        floor = 64 * _EPS * float(np.max(np.abs(Xw).sum(axis=0), initial=0.0))
        self.kkt_tol = max(L1_KKT_TOL, floor)

    def eta(self, theta):
        return self.Xw @ theta if self.offset is None else self.Xw @ theta + self.offset

    def objective(self, theta, eta=None) -> float:
        eta = self.eta(theta) if eta is None else eta
        lp = sum(float(np.sum(p.logpdf(theta[ix] / self.s[ix]))) for p, ix in self.groups)
        ll = loglike_obs(eta, self.y)
        return float(-(np.sum(ll) if self.m is None else ll @ self.m)) - lp

    def penalty(self, theta) -> float:
        """Return the L1 part of the objective, without its constants."""
        return float(np.sum(self.lam * np.abs(theta - self.mu)))

    def state(self, theta):
        """(objective, gradient and negative Hessian of the smooth part, KKT residual, eta)."""
        eta = self.eta(theta)
        gp, hp = np.zeros_like(theta), np.zeros_like(theta)
        for prior, ix in self.groups:
            if prior.smooth:
                t, si = theta[ix] / self.s[ix], self.s[ix]
                gp[ix], hp[ix] = prior.grad(t) / si, prior.hess(t) / (si * si)
        r, w = self.y - expit(eta), pq_weights(eta)
        if self.m is not None:
            r, w = r * self.m, w * self.m
        g = -(self.Xw.T @ r) - gp
        H = information(self.Xw, w) - np.diag(hp)
        r = np.abs(g)
        dev = theta - self.mu
        on, at = self.l1 & (dev != 0), self.l1 & (dev == 0)
        r[on] = np.abs(g[on] + self.lam[on] * np.sign(dev[on]))
        r[at] = np.maximum(r[at] - self.lam[at], 0.0)
        return self.objective(theta, eta), g, H, float(np.max(r, initial=0.0)), eta


def _l1_subproblem(H, c, lam, mu, l1, v0) -> FloatArray:
    r"""Minimise :math:`\tfrac12 v^\top Hv - c^\top v + \sum_j\lambda_j|v_j-\mu_j|`, H PD.

    Coordinate descent from ``v0``; once the sign pattern is stable it is solved exactly and
    kept if it satisfies the optimality conditions.
    """
    v, diag, pattern = v0.copy(), np.diag(H).copy(), None
    Hv = H @ v
    for sweep in range(1, 5001):
        change = 0.0
        for j in range(len(v)):
            r = c[j] - Hv[j] + diag[j] * v[j]
            if l1[j]:
                u = r - diag[j] * mu[j]
                new = mu[j] + np.sign(u) * max(abs(u) - lam[j], 0.0) / diag[j]
            else:
                new = r / diag[j]
            if new != v[j]:
                Hv += H[:, j] * (new - v[j])
                change = max(change, abs(new - v[j]))
                v[j] = new
        new_pattern = np.where(l1, np.sign(v - mu), 2.0)
        if sweep % 4 == 0 and np.array_equal(new_pattern, pattern):
            exact = _solve_pattern(H, c, lam, mu, l1, new_pattern)
            if exact is not None:
                return exact
        pattern = new_pattern
        if change <= 1e-15 * (1.0 + np.max(np.abs(v))):
            break
    exact = _solve_pattern(H, c, lam, mu, l1, pattern)
    return v if exact is None else exact


def _solve_pattern(H, c, lam, mu, l1, pattern) -> FloatArray | None:
    """Exact subproblem solution for a sign pattern (0 = at the kink), or None if inconsistent."""
    zero = l1 & (pattern == 0)
    free, s = ~zero, np.where(l1, pattern, 0.0)
    v = np.where(zero, mu, 0.0)
    if free.any():
        rhs = c[free] - H[np.ix_(free, zero)] @ mu[zero] - lam[free] * s[free]
        try:
            v[free] = sla.cho_solve(sla.cho_factor(H[np.ix_(free, free)], lower=True), rhs)
        except np.linalg.LinAlgError:
            return None
    fl1 = free & l1
    if np.any(np.sign(v[fl1] - mu[fl1]) != s[fl1]):
        return None
    if np.any(np.abs(c[zero] - H[zero] @ v) > lam[zero] * (1 + 1e-9)):
        return None
    return v


def _newton(prob: _Problem, theta, tol, maxiter):
    """Damped (proximal) Newton in working coordinates: (theta, it, ok, F, kkt, H, msg)."""
    use_l1 = bool(prob.l1.any())
    flat = prob.flat
    F, g, H, kkt, eta = prob.state(theta)
    if not (np.isfinite(F) and np.all(np.isfinite(g))):
        raise ValueError("The log posterior is not finite at the start values; check `start`.")
    it, step, msg, eye = 0, np.nan, "", np.eye(len(theta))
    while True:
        if use_l1 and kkt <= prob.kkt_tol:
            return theta, it, True, F, kkt, H, "KKT conditions met"
        if it >= maxiter:
            msg = f"maxiter={maxiter} reached"
            break
        if flat and np.max(np.abs(prob.y - expit(eta)), initial=0.0) <= 1e-8:
            msg = "perfect separation: every fitted probability equals y"
            break
        it += 1
        fac, tau = pd_factor(H + prob.ridge * eye)
        if use_l1:
            Hm = H + (prob.ridge + tau) * eye
            v = _l1_subproblem(Hm, Hm @ theta - g, prob.lam, prob.mu, prob.l1, theta)
        else:
            v = theta - sla.cho_solve(fac, g)
        d = v - theta
        step = float(np.max(np.abs(d), initial=0.0))
        if not np.isfinite(step):
            msg = "the Newton step is not finite"
            break
        if not use_l1 and step_converged(d, v, prob.s, tol):
            F, g, H, kkt, eta = prob.state(v)
            ok = bool(np.isfinite(F) and np.all(np.isfinite(v)))
            return v, it, ok, F, kkt, H, "max|step| <= tol" if ok else "non-finite result"
        decrease = float(g @ d) + prob.penalty(v) - prob.penalty(theta)
        t, slack = 1.0, 1e-13 * (1.0 + abs(F))
        for _ in range(60):
            cand = v if t == 1.0 else theta + t * d  # t == 1 keeps exact kinks
            Fc = prob.objective(cand)
            if np.isfinite(Fc) and Fc <= F + 1e-4 * t * decrease + slack:
                break
            t *= 0.5
        else:
            msg = "the line search found no decrease"
            break
        theta = cand
        F, g, H, kkt, eta = prob.state(theta)
    diverging = "separation" in msg or np.max(np.abs(eta), initial=0.0) > 20
    msg = (f"stopped after {it} iterations ({msg}): last max|step| {step:.3g}, "
           f"KKT residual {kkt:.3g}")
    if flat and diverging:
        msg += ("; |linear predictor| > 20 with flat priors suggests (quasi-)separation and "
                "no finite mode: use a proper prior such as bl.Normal(0, 2.5) or bl.Jeffreys()")
    return theta, it, False, F, kkt, H, msg


def fit_map(
    X: FloatArray,
    y: FloatArray,
    offset: FloatArray | None,
    prior_set: PriorSet,
    *,
    start: FloatArray | None = None,
    tol: float = 1e-8,
    maxiter: int = 100,
    weights: FloatArray | None = None,
) -> ModeResult:
    r"""Posterior mode of the logistic regression under ``prior_set`` (engines: module doc).

    Parameters
    ----------
    X, y, offset : design (n, k), responses in [0, 1] (n,), offset (n,) or None.
    prior_set : resolved priors (on working coefficients, :mod:`bayeslogit.priors`).
    start : start values of the reported :math:`\beta`; zeros by default.
    tol : smooth and Firth engines stop when the full step has :math:`\max|d| \le` ``tol``;
        the L1 engine ignores it and stops at KKT residual :math:`\le` :data:`L1_KKT_TOL`.
    maxiter : maximum number of steps.
    weights : binomial weights (trials times frequency weights, :mod:`bayeslogit.spec.counts`)
        or None: row i counts ``weights[i]`` times in the likelihood.

    Returns
    -------
    ModeResult
        ``converged=False`` with a message saying how far it got if the rule was not met.

    Raises
    ------
    RankDeficiencyError
        Collinear columns among those with flat priors (all columns for Jeffreys).
    ValueError
        Malformed or non-finite inputs.
    """
    X, y, offset = _validate(X, y, offset, prior_set)
    k = X.shape[1]
    b0 = np.zeros(k) if start is None else np.array(start, dtype=float).reshape(-1)
    if b0.shape != (k,) or not np.all(np.isfinite(b0)):
        raise ValueError(f"start must be {k} finite values, got {start!r}.")
    if prior_set.joint is not None:  # the Jeffreys term: Firth's estimate
        _check_rank(X, np.arange(k), prior_set.names, "all columns, as Jeffreys' prior needs")
        from .firth import firth_mode

        return firth_mode(X, y, offset, b0, tol, maxiter, prior_set.names, m=weights)
    Xw = prior_set.working_design(X)
    scale = pow2_scale(np.sqrt(np.einsum("ij,ij->j", Xw, Xw) / max(len(y), 1)))
    Xw /= scale
    _check_rank(Xw, prior_set.flat_index, prior_set.names, "the coefficients with flat priors")
    prob = _Problem(Xw, y, offset, prior_set, scale, weights)
    theta, it, ok, F, kkt, H, msg = _newton(prob, prior_set.to_working(b0) * scale, tol,
                                            maxiter)
    return mode_result(prior_set, theta, it, ok, F, kkt, H, msg, prob.l1, prob.mu, scale)


def neg_log_posterior_hessian(
    X: FloatArray, y: FloatArray, offset: FloatArray | None, prior_set: PriorSet, params,
    m: FloatArray | None = None,
) -> FloatArray:
    r"""Negative Hessian of the log posterior w.r.t. the reported :math:`\beta`, summed scale.

    :math:`X^\top WX - T^\top D(\theta)T`, :math:`D` the prior second derivatives on the
    working scale; a Laplace prior contributes 0 (no curvature off the kink, and none is
    assigned to it). Jeffreys: the Fisher information :math:`X^\top WX`, which R's logistf
    inverts for its standard errors.
    """
    X, y, offset = _validate(X, y, offset, prior_set)
    params = np.asarray(params, dtype=float)
    eta = X @ params if offset is None else X @ params + offset
    info = information(X, pq_weights(eta) if m is None else m * pq_weights(eta))
    return info if prior_set.joint is not None else info - prior_set.hess(params)


#: the MAP objective and its solver loop, public for the distributed engine
#: (:mod:`bayeslogit.engines.distributed`), which evaluates the same objective over blocks
MapProblem = _Problem
solve_problem = _newton
RIDGE = _RIDGE


def mode_result(prior_set: PriorSet, theta: FloatArray, it: int, ok: bool, F: float,
                kkt: float, H: FloatArray, msg: str, l1: NDArray[np.bool_], mu: FloatArray,
                scale: FloatArray) -> ModeResult:
    """Assemble the :class:`ModeResult` from the solver's output in scaled working coordinates.

    The covariance is the inverse negative Hessian on the active set (coefficients of L1
    priors off their kink), mapped back to ``beta``; NaN with a collinearity message when it
    is singular. Shared by :func:`fit_map` and the blocked solver on Dask data.
    """
    k = len(theta)
    Tinv = prior_set.inverse_transform()
    active = ~(l1 & (theta == mu)) if l1.any() else None
    theta = theta / scale
    keep = np.ones(k, dtype=bool) if active is None else active
    sub, cond = scaled_inverse(H[np.ix_(keep, keep)])
    if sub is None:
        cov = np.full((k, k), np.nan)
        if ok:
            cond, cols = collinearity(H[np.ix_(keep, keep)],
                                      [n for n, a in zip(prior_set.names, keep, strict=True) if a])
            msg = collinearity_message(cond, cols, "negative Hessian of the log posterior")
        else:
            msg += "; the negative Hessian is not positive definite there: no covariance"
        ok = False
    else:
        cov_t = np.zeros((k, k))
        cov_t[np.ix_(keep, keep)] = sub
        cov_t = cov_t / scale[:, None] / scale[None, :]
        cov = Tinv @ cov_t @ Tinv.T
        cov[~keep, :] = np.nan
        cov[:, ~keep] = np.nan
    # the solver's negative Hessian in scaled working coordinates, mapped to beta = T^-1 theta
    T = prior_set.transform_matrix()
    neg_hessian = T.T @ (H * scale[:, None] * scale[None, :]) @ T
    return ModeResult(prior_set.from_working(theta), it, ok, F, kkt, msg, cov, active,
                      0.5 * (neg_hessian + neg_hessian.T))
