r"""Posterior-mode (MAP) solvers: smooth Newton, exact L1 (Laplace priors), and Firth.

All objectives are on the *summed* log-likelihood scale (see :mod:`bayeslogit.logistic`):

.. math:: F(\beta) = -\ell(\beta) - \log p(\beta),

the negative log posterior up to the normalising constant of the posterior. Priors apply to
the working coefficients :math:`\theta = T\beta` (the centred intercept, see
:mod:`bayeslogit.priors`); the solvers work in :math:`\theta` with the centred design
:math:`X_w = X T^{-1}`, where the priors are independent, and map back with
``prior_set.from_working``.

Three engines, chosen by :func:`fit_map`:

* **smooth priors** (Normal, StudentT, Cauchy, Flat, mixed across coefficients): damped
  Newton. The step solves :math:`(H + 10^{-10} n I)\,d = -g` (statsmodels' ridge of
  :math:`10^{-10}` on the mean scale). Non-log-concave priors (StudentT, Cauchy) can make
  :math:`H` indefinite; then a multiple of the identity is added until it is positive definite
  (modified Newton), so every step is a descent direction. The step is halved until the
  objective does not increase (Armijo). Converged when the full step has
  :math:`\max|d| \le` ``tol`` (statsmodels' absolute test). Under flat priors from zero this is
  the MLE.
* **Laplace priors on any subset**: proximal Newton. Each step minimises the quadratic model
  of the smooth part plus the exact penalty :math:`\sum_j |\theta_j-\mu_j|/b_j` by coordinate
  descent (soft-thresholding around :math:`\mu_j`), then solves the sign pattern exactly
  (active-set polish), so zeros (:math:`\theta_j=\mu_j`) are exact. Converged only when the
  KKT residual is at most :data:`L1_KKT_TOL` (floored at the round-off of the score sum).
* **Jeffreys** (``prior_set.jeffreys``): Firth's bias-reduced estimate (Heinze & Schemper
  2002), Fisher-scoring on the modified score
  :math:`U^*(\beta) = X^\top(y - p + h\odot(\tfrac12 - p))` with step halving on
  :math:`\ell(\beta) + \tfrac12\log|X^\top W X|` and logistf's step cap of 5.

Covariances (``ModeResult.cov``, always for the reported :math:`\beta`):

* smooth priors: :math:`[X^\top W X - \nabla^2 \log p(\beta)]^{-1}`;
* Laplace priors: statsmodels' ``fit_regularized`` convention. The inverse of the
  negative Hessian *without the L1 term* (the kink has no curvature; smooth priors on other
  coefficients keep theirs, so with flat ones this is exactly the unpenalised
  :math:`X^\top W X`) restricted to the coefficients off the kink; rows and columns of
  coefficients at the kink are NaN. The intercept is mapped through :math:`T^{-1}`.
* Jeffreys: the inverse Fisher information :math:`(X^\top W X)^{-1}`, as R's logistf reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from numpy.typing import NDArray

from .errors import RankDeficiencyError
from .logistic import expit, information, loglike_obs, weights
from .priors import Flat, Laplace, PriorSet

FloatArray = NDArray[np.float64]

__all__ = ["ModeResult", "fit_map", "neg_log_posterior_hessian", "L1_KKT_TOL"]

#: KKT tolerance of the L1 solver on the summed log-likelihood scale
L1_KKT_TOL = 1e-10
_EPS = np.finfo(float).eps
_RIDGE = 1e-10  # on the mean scale, as statsmodels; times n on the summed scale
_FIRTH_MAXSTEP = 5.0  # logistf's default maxstep
_BLOCK = 8192  # rows per block when computing leverages


@dataclass(frozen=True)
class ModeResult:
    """Outcome of a posterior-mode fit.

    Attributes
    ----------
    params : ndarray (k,)
        Reported coefficients :math:`\\beta` (raw intercept).
    iterations : int
        Newton (or proximal Newton / Fisher-scoring) steps taken.
    converged : bool
        Whether the stopping rule was met with finite values.
    objective : float
        Negative log posterior at ``params``, up to a constant: :math:`-\\ell - \\log p`
        (Jeffreys: :math:`-\\ell - \\tfrac12\\log|X^\\top W X|`).
    kkt_residual : float
        Max violation of the optimality conditions in working coordinates, summed scale:
        :math:`|\\partial_j F|` for smooth coefficients, the subgradient violation for Laplace
        ones, :math:`|U^*_j|` for Firth.
    message : str
        What happened; on non-convergence, how far it got.
    cov : ndarray (k, k)
        Covariance for Wald inference (module docstring).
    active : ndarray of bool (k,) or None
        For fits with Laplace priors: coefficients off the kink (:math:`\\theta_j \\ne \\mu_j`;
        always True for coefficients with smooth priors). None otherwise.
    """

    params: FloatArray
    iterations: int
    converged: bool
    objective: float
    kkt_residual: float
    message: str
    cov: FloatArray
    active: NDArray[np.bool_] | None


def _validate(X, y, offset, prior_set: PriorSet):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X must be (n, k) and y (n,); got X {X.shape} and y {y.shape}.")
    if X.shape[1] != prior_set.k:
        raise ValueError(f"X has {X.shape[1]} columns but the prior set has {prior_set.k}.")
    if offset is not None:
        offset = np.asarray(offset, dtype=float)
        if offset.shape != y.shape:
            raise ValueError(f"offset must have shape {y.shape}, got {offset.shape}.")
    for name, a in (("X", X), ("y", y), ("offset", offset)):
        if a is not None and not np.all(np.isfinite(a)):
            raise ValueError(f"{name} contains NaN or infinite values; drop or impute them.")
    if np.any((y < 0) | (y > 1)):
        raise ValueError("y must lie in [0, 1].")
    return X, y, offset


def _check_rank(Xw: FloatArray, cols: NDArray[np.intp], names, why: str) -> None:
    """Raise RankDeficiencyError if ``Xw[:, cols]`` lacks full column rank, naming columns."""
    if cols.size == 0:
        return
    R, piv = sla.qr(Xw[:, cols], mode="r", pivoting=True)
    d = np.abs(np.diag(R))
    rank = int(np.sum(d > d[0] * max(Xw.shape) * _EPS)) if d.size and d[0] > 0 else 0
    if rank == cols.size:
        return
    dep = [names[cols[i]] for i in piv[rank:]]
    z = sla.solve_triangular(R[:rank, :rank], R[:rank, rank:]) if rank else np.zeros((0, 1))
    base = [names[cols[piv[i]]] for i in range(rank) if np.any(np.abs(z[i]) > 1e-8)]
    raise RankDeficiencyError(
        f"The design is rank deficient (rank {rank} of {cols.size} among {why}): column(s) "
        f"{dep} are linear combinations of {base}. The posterior mode is not unique; drop "
        "one of the collinear columns or give these coefficients a proper prior such as "
        "bl.Normal(0, 2.5)."
    )


def _pd_factor(H: FloatArray) -> tuple[tuple[FloatArray, bool], float]:
    """Cholesky factor of ``H + tau I`` with the smallest tried ``tau >= 0`` that is PD."""
    tau = 0.0
    beta = 1e-3 * max(1.0, float(np.max(np.abs(np.diag(H)))))
    dmin = float(np.min(np.diag(H)))
    for _ in range(80):
        try:
            return sla.cho_factor(H + tau * np.eye(len(H)), lower=True), tau
        except np.linalg.LinAlgError:
            tau = max(2.0 * tau, beta, beta - dmin if dmin <= 0 else 0.0)
    raise np.linalg.LinAlgError("Could not make the Newton matrix positive definite.")


class _Problem:
    """Objective pieces in working coordinates; priors grouped for vectorised evaluation."""

    def __init__(self, Xw, y, offset, prior_set: PriorSet):
        self.Xw, self.y, self.offset = Xw, y, offset
        self.priors = prior_set.priors
        groups: dict = {}
        for j, prior in enumerate(self.priors):
            groups.setdefault(prior, []).append(j)
        self.groups = [(p, np.asarray(ix)) for p, ix in groups.items()]
        self.l1 = np.array([isinstance(p, Laplace) for p in self.priors])
        self.lam = np.array([1.0 / p.b if isinstance(p, Laplace) else 0.0 for p in self.priors])
        self.mu = np.array([p.mu if isinstance(p, Laplace) else 0.0 for p in self.priors])
        n = Xw.shape[0]
        self.ridge = _RIDGE * n
        floor = 64 * _EPS * float(np.max(np.abs(Xw).sum(axis=0), initial=0.0))
        self.kkt_tol = max(L1_KKT_TOL, floor)

    def eta(self, theta):
        eta = self.Xw @ theta
        return eta if self.offset is None else eta + self.offset

    def _prior_terms(self, theta, derivs: bool):
        lp = np.zeros_like(theta)
        g = np.zeros_like(theta)
        h = np.zeros_like(theta)
        for prior, ix in self.groups:
            lp[ix] = prior.logpdf(theta[ix])
            if derivs and prior.smooth:
                g[ix] = prior.grad(theta[ix])
                h[ix] = prior.hess(theta[ix])
        return lp, g, h

    def objective(self, theta) -> float:
        lp = self._prior_terms(theta, False)[0]
        return float(-np.sum(loglike_obs(self.eta(theta), self.y)) - lp.sum())

    def penalty(self, theta) -> float:
        """Non-smooth part of the objective (L1 terms, without their constants)."""
        return float(np.sum(self.lam * np.abs(theta - self.mu)))

    def state(self, theta):
        """Objective, gradient and negative Hessian of the smooth part, and the KKT residual."""
        eta = self.eta(theta)
        lp, gp, hp = self._prior_terms(theta, True)
        F = float(-np.sum(loglike_obs(eta, self.y)) - lp.sum())
        g = -(self.Xw.T @ (self.y - expit(eta))) - gp
        H = information(self.Xw, weights(eta)) - np.diag(hp)
        return F, g, H, self.kkt(theta, g), eta

    def kkt(self, theta, g) -> float:
        r = np.abs(g)
        if self.l1.any():
            dev = theta - self.mu
            on = self.l1 & (dev != 0)
            at = self.l1 & (dev == 0)
            r[on] = np.abs(g[on] + self.lam[on] * np.sign(dev[on]))
            r[at] = np.maximum(np.abs(g[at]) - self.lam[at], 0.0)
        return float(np.max(r, initial=0.0))


def _l1_subproblem(H, c, lam, mu, l1, v0) -> FloatArray:
    r"""Minimise :math:`\tfrac12 v^\top H v - c^\top v + \sum_j \lambda_j|v_j-\mu_j|` (H PD).

    Coordinate descent from ``v0``; whenever the sign pattern is stable, the pattern is solved
    exactly and accepted if it satisfies the subproblem's optimality conditions.
    """
    v = v0.copy()
    k = len(v)
    diag = np.diag(H).copy()
    Hv = H @ v
    pattern = None
    for sweep in range(1, 5001):
        change = 0.0
        for j in range(k):
            r = c[j] - Hv[j] + diag[j] * v[j]
            if l1[j]:
                u = r - diag[j] * mu[j]
                new = mu[j] + np.sign(u) * max(abs(u) - lam[j], 0.0) / diag[j]
            else:
                new = r / diag[j]
            delta = new - v[j]
            if delta != 0.0:
                Hv += H[:, j] * delta
                v[j] = new
                change = max(change, abs(delta))
        new_pattern = np.where(l1, np.sign(v - mu), 2.0)
        if pattern is not None and np.array_equal(new_pattern, pattern) and sweep % 4 == 0:
            exact = _polish(H, c, lam, mu, l1, new_pattern)
            if exact is not None:
                return exact
        pattern = new_pattern
        if change <= 1e-15 * (1.0 + np.max(np.abs(v))):
            break
    exact = _polish(H, c, lam, mu, l1, pattern)
    return v if exact is None else exact


def _polish(H, c, lam, mu, l1, pattern) -> FloatArray | None:
    """Exact subproblem solution for a sign pattern (0 = at the kink), or None if inconsistent."""
    zero = l1 & (pattern == 0)
    free = ~zero
    s = np.where(l1, pattern, 0.0)
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
    sub = np.abs(c[zero] - H[zero] @ v)
    if np.any(sub > lam[zero] * (1 + 1e-9) + 1e-300):
        return None
    return v


def _newton(prob: _Problem, theta, tol, maxiter):
    """Damped (proximal) Newton in working coordinates; returns (theta, it, ok, F, kkt, msg)."""
    use_l1 = bool(prob.l1.any())
    improper = any(isinstance(p, Flat | Laplace) for p in prob.priors)
    F, g, H, kkt, eta = prob.state(theta)
    if not (np.isfinite(F) and np.all(np.isfinite(g))):
        raise ValueError("The log posterior is not finite at the start values; check `start`.")
    it, step, msg = 0, np.nan, ""
    eye = np.eye(len(theta))
    while True:
        if use_l1 and kkt <= prob.kkt_tol:
            return theta, it, True, F, kkt, "KKT conditions met"
        if it >= maxiter:
            msg = f"stopped after maxiter={maxiter} iterations"
            break
        if improper and np.max(np.abs(prob.y - expit(eta)), initial=0) <= 1e-8:
            msg = ("perfect separation: the fitted probabilities equal y, so the mode does not "
                   "exist under the flat/Laplace priors; use a proper prior such as "
                   "bl.Normal(0, 2.5) or bl.Jeffreys()")
            break
        it += 1
        Hr = H + prob.ridge * eye
        fac, tau = _pd_factor(Hr)
        if use_l1:
            Hm = Hr + tau * eye
            v = _l1_subproblem(Hm, Hm @ theta - g, prob.lam, prob.mu, prob.l1, theta)
        else:
            v = theta - sla.cho_solve(fac, g)
        d = v - theta
        step = float(np.max(np.abs(d), initial=0.0))
        if not np.isfinite(step):
            msg = "the Newton step is not finite"
            break
        if not use_l1 and step <= tol:
            theta = v
            F, g, H, kkt, eta = prob.state(theta)
            ok = np.isfinite(F) and np.all(np.isfinite(theta))
            return theta, it, bool(ok), F, kkt, "max|step| <= tol" if ok else "non-finite result"
        decrease = float(g @ d) + prob.penalty(v) - prob.penalty(theta)
        slack = 1e-13 * (1.0 + abs(F))
        t = 1.0
        for _ in range(60):
            cand = v if t == 1.0 else theta + t * d
            Fc = prob.objective(cand)
            if np.isfinite(Fc) and Fc <= F + 1e-4 * t * decrease + slack:
                break
            t *= 0.5
        else:
            msg = "the line search found no decrease"
            break
        theta = cand
        F, g, H, kkt, eta = prob.state(theta)
    where = "KKT residual" if use_l1 else "last max|step|"
    last = kkt if use_l1 else step
    msg = (f"MAP solver did not converge ({msg}): {where} {last:.3g}, KKT residual {kkt:.3g} "
           f"after {it} iterations")
    if improper:
        msg += ("; with flat or Laplace priors this often means (quasi-)separation, where a "
                "proper prior such as bl.Normal(0, 2.5) gives a finite mode")
    return theta, it, False, F, kkt, msg


def _firth_objective(X, y, offset, b) -> float:
    eta = X @ b if offset is None else X @ b + offset
    try:
        L = sla.cholesky(information(X, weights(eta)), lower=True)
    except np.linalg.LinAlgError:
        return -np.inf
    return float(np.sum(loglike_obs(eta, y)) + np.sum(np.log(np.diag(L))))


def _firth_state(X, y, offset, b):
    """Penalised log-likelihood, modified score U* and inverse Fisher information at ``b``."""
    eta = X @ b if offset is None else X @ b + offset
    p = expit(eta)
    Xs = X * np.sqrt(weights(eta))[:, None]  # the one n-by-k temporary per iteration
    fac = sla.cho_factor(Xs.T @ Xs, lower=True)
    lstar = float(np.sum(loglike_obs(eta, y)) + np.sum(np.log(np.diag(fac[0]))))
    Iinv = sla.cho_solve(fac, np.eye(X.shape[1]))
    h = np.empty(X.shape[0])
    for s in range(0, X.shape[0], _BLOCK):
        blk = Xs[s : s + _BLOCK]
        h[s : s + _BLOCK] = np.einsum("ij,ij->i", blk @ Iinv, blk)
    U = X.T @ (y - p + h * (0.5 - p))
    return lstar, U, 0.5 * (Iinv + Iinv.T)


def _firth(X, y, offset, b, tol, maxiter) -> ModeResult:
    """Firth's bias-reduced logistic regression by Fisher scoring with step halving."""
    try:
        lstar, U, Iinv = _firth_state(X, y, offset, b)
    except np.linalg.LinAlgError:
        raise ValueError(
            "The Fisher information is singular at the start values; check `start`."
        ) from None
    it, converged, msg, full = 0, False, "", np.nan
    while it < maxiter:
        it += 1
        d = Iinv @ U
        full = float(np.max(np.abs(d), initial=0.0))
        if not np.isfinite(full):
            msg = "the Firth step is not finite"
            break
        if full > _FIRTH_MAXSTEP:
            d *= _FIRTH_MAXSTEP / full
        slack = 1e-13 * (1.0 + abs(lstar))
        t = 1.0
        for _ in range(60):
            cand = b + t * d
            if _firth_objective(X, y, offset, cand) >= lstar - slack:
                break
            t *= 0.5
        else:
            msg = "step halving found no increase of the penalised log-likelihood"
            break
        b = cand
        lstar, U, Iinv = _firth_state(X, y, offset, b)
        if full <= tol:
            converged = bool(np.isfinite(lstar) and np.all(np.isfinite(b)))
            break
    kkt = float(np.max(np.abs(U), initial=0.0))
    if converged:
        msg = "max|step| <= tol"
    else:
        msg = (f"Firth iteration did not converge ({msg or f'maxiter={maxiter} reached'}): "
               f"last max|step| {full:.3g}, max|modified score| {kkt:.3g} after {it} iterations")
    return ModeResult(b, it, converged, -lstar, kkt, msg, Iinv, None)


def _inverse_pd(H: FloatArray) -> FloatArray | None:
    try:
        inv = sla.cho_solve(sla.cho_factor(H, lower=True), np.eye(len(H)))
    except np.linalg.LinAlgError:
        return None
    return 0.5 * (inv + inv.T)


def fit_map(
    X: FloatArray,
    y: FloatArray,
    offset: FloatArray | None,
    prior_set: PriorSet,
    *,
    start: FloatArray | None = None,
    tol: float = 1e-8,
    maxiter: int = 100,
) -> ModeResult:
    r"""Posterior mode of a logistic regression under ``prior_set``.

    Parameters
    ----------
    X : ndarray (n, k)
        Design matrix.
    y : ndarray (n,)
        Responses in [0, 1].
    offset : ndarray (n,) or None
        Added to the linear predictor.
    prior_set : PriorSet
        Resolved priors (on working coefficients; see :mod:`bayeslogit.priors`).
    start : ndarray (k,), optional
        Start values for the reported :math:`\beta`; zeros by default.
    tol : float
        Smooth and Firth engines: converged when the full step has :math:`\max|d| \le` ``tol``.
        The L1 engine ignores it and requires a KKT residual :math:`\le` :data:`L1_KKT_TOL`.
    maxiter : int
        Maximum number of steps.

    Returns
    -------
    ModeResult
        ``converged=False`` with a message saying how far it got if the tolerance was not met.

    Raises
    ------
    RankDeficiencyError
        The columns carrying flat priors (all columns for Jeffreys) are collinear.
    ValueError
        Malformed or non-finite inputs.
    """
    X, y, offset = _validate(X, y, offset, prior_set)
    k = X.shape[1]
    b0 = np.zeros(k) if start is None else np.array(start, dtype=float).reshape(-1)
    if b0.shape != (k,) or not np.all(np.isfinite(b0)):
        raise ValueError(f"start must be {k} finite values, got {start!r}.")
    if prior_set.jeffreys:
        _check_rank(X, np.arange(k), prior_set.names, "all columns, needed by Jeffreys' prior")
        return _firth(X, y, offset, b0, tol, maxiter)
    T = prior_set.transform_matrix()
    Tinv = 2.0 * np.eye(k) - T  # T = I + e_0 c' with c_0 = 0
    i0 = prior_set.intercept_index
    Xw = X
    if i0 is not None and np.any(prior_set.center):
        Xw = X - np.outer(X[:, i0], prior_set.center)
    flat = np.flatnonzero([isinstance(p, Flat) for p in prior_set.priors])
    _check_rank(Xw, flat, prior_set.names, "the coefficients with flat priors")
    prob = _Problem(Xw, y, offset, prior_set)
    theta, it, ok, F, kkt, msg = _newton(prob, prior_set.to_working(b0), tol, maxiter)
    H = prob.state(theta)[2]
    active = None
    if prob.l1.any():
        active = ~(prob.l1 & (theta == prob.mu))
        sub = _inverse_pd(H[np.ix_(active, active)])
        cov_t = np.zeros((k, k))
        if sub is not None:
            cov_t[np.ix_(active, active)] = sub
    else:
        cov_t = _inverse_pd(H)
    if cov_t is None or (active is not None and sub is None):
        cov = np.full((k, k), np.nan)
        msg += ("; the negative Hessian is not positive definite at the result, so no "
                "covariance is available")
    else:
        cov = Tinv @ cov_t @ Tinv.T
        if active is not None:
            cov[~active, :] = np.nan
            cov[:, ~active] = np.nan
    return ModeResult(prior_set.from_working(theta), it, ok, F, kkt, msg, cov, active)


def neg_log_posterior_hessian(
    X: FloatArray, y: FloatArray, offset: FloatArray | None, prior_set: PriorSet, params
) -> FloatArray:
    r"""Negative Hessian of the log posterior w.r.t. the reported :math:`\beta`.

    :math:`X^\top W X - T^\top D(\theta) T` with :math:`D` the diagonal of prior second
    derivatives on the working scale. A Laplace prior's kink contributes 0 (its curvature is
    zero elsewhere). For the Jeffreys prior this returns the Fisher information
    :math:`X^\top W X`, the matrix R's logistf inverts for its standard errors.
    """
    X, y, offset = _validate(X, y, offset, prior_set)
    params = np.asarray(params, dtype=float)
    eta = X @ params if offset is None else X @ params + offset
    info = information(X, weights(eta))
    return info if prior_set.jeffreys else info - prior_set.hess(params)
