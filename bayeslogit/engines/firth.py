r"""Firth's bias-reduced logistic regression: the posterior mode under the Jeffreys prior.

Maximises :math:`\ell^*(\beta) = \ell(\beta) + \tfrac12\log|X^\top W X|` (Heinze & Schemper
2002) by Fisher scoring on the modified score
:math:`U^* = X^\top(y - p + h\odot(\tfrac12 - p))`, :math:`h` the leverages of
:math:`W^{1/2}X(X^\top WX)^{-1}X^\top W^{1/2}`, with step halving and logistf's step cap of 5.
When scoring converges slowly (typical under separation) it switches to Newton steps on the
Hessian of :math:`\ell^*`, from central differences of :math:`U^*`. The reported covariance
is the inverse Fisher information at the estimate, as R's logistf reports.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
from numpy.typing import NDArray

from ..conditioning import (
    COND_LIMIT,
    collinearity,
    collinearity_message,
    pd_factor,
    pow2_scale,
    step_converged,
)
from ..errors import RankDeficiencyError
from ..logistic import expit, information, loglike_obs, weights
from .outputs import ModeResult

FloatArray = NDArray[np.float64]

__all__ = ["firth_mode"]

_FIRTH_MAXSTEP = 5.0  # logistf's maxstep
_BLOCK = 8192  # rows per block for the leverages


def _firth_state(X, y, offset, b, full: bool = True, m=None):
    """l*(b) = l + 0.5 logdet(X'WX); with ``full`` also U*, (X'WX)^{-1} and X'WX.

    ``m``: binomial weights (trials times frequency weights), W = m p (1 - p).
    """
    eta = X @ b if offset is None else X @ b + offset
    w = weights(eta) if m is None else m * weights(eta)
    ll = loglike_obs(eta, y)
    ll = float(np.sum(ll) if m is None else ll @ m)
    if not full:
        try:
            L = sla.cholesky(information(X, w), lower=True)
        except np.linalg.LinAlgError:
            return -np.inf
        return ll + float(np.sum(np.log(np.diag(L))))
    Xs = X * np.sqrt(w)[:, None]  # the one n-by-k temporary
    info = Xs.T @ Xs
    fac = sla.cho_factor(info, lower=True)
    lstar = ll + float(np.sum(np.log(np.diag(fac[0]))))
    Iinv = sla.cho_solve(fac, np.eye(X.shape[1]))
    h = np.empty(X.shape[0])
    for s in range(0, X.shape[0], _BLOCK):
        blk = Xs[s : s + _BLOCK]
        h[s : s + _BLOCK] = np.einsum("ij,ij->i", blk @ Iinv, blk)
    p = expit(eta)
    r = y - p if m is None else m * (y - p)
    return lstar, X.T @ (r + h * (0.5 - p)), 0.5 * (Iinv + Iinv.T), info


def _firth_hessian(X, y, offset, b, m=None) -> FloatArray:
    """Negative Hessian of l*: central differences of U*."""
    J = np.empty((len(b), len(b)))
    for r in range(len(b)):
        e = np.zeros(len(b))
        e[r] = 1e-5 * max(1.0, abs(b[r]))
        J[:, r] = (_firth_state(X, y, offset, b + e, m=m)[1]
                   - _firth_state(X, y, offset, b - e, m=m)[1]) / (2.0 * e[r])
    return -0.5 * (J + J.T)


def _singular_start(X, y, offset, b, names) -> ValueError:
    """Explain a singular Fisher information at the start, with a remedy."""
    eta = X @ b if offset is None else X @ b + offset
    w = weights(eta)
    dead = int(np.count_nonzero(w < 1e-300))
    if dead:
        big = float(np.max(np.abs(offset))) if offset is not None else 0.0
        where = (f"the offset (max |offset| = {big:.3g})" if big > 30 else
                 "the start values")
        return ValueError(
            f"At the start, {dead} of {len(y)} rows have fitted probabilities of exactly 0 or 1 "
            f"(|linear predictor| up to {np.max(np.abs(eta)):.3g}, set by {where}), so they "
            "carry no information and the Fisher information X'WX that Jeffreys' prior needs "
            "is singular. Check that the offset is on the log-odds scale, drop the rows it "
            "decides, or use a proper prior instead: priors=bl.Normal(0, 2.5) with "
            "fit(method='map').")
    cond, cols = collinearity(information(X, w), names)
    return RankDeficiencyError(collinearity_message(
        cond, cols, "Fisher information X'WX that Jeffreys' prior needs"))


def firth_mode(X, y, offset, b, tol, maxiter, names=None, m=None) -> ModeResult:
    r"""Firth's estimate from start ``b``: scoring on U*, Newton when scoring stalls.

    With binomial weights ``m`` (trials times frequency weights) the penalty uses
    :math:`X^\top\mathrm{diag}(m p(1-p))X` and :math:`U^* = X^\top(m(y-p) + h(1/2-p))`, the
    leverages :math:`h` those of the aggregated rows: the estimate of the expanded 0/1 rows
    (as logistf with ``weights``).

    Works on the column-scaled design (powers of two near each column's root mean square)
    and reports on the user's scale; the stopping rule is that of the smooth MAP engine.

    Raises
    ------
    ValueError, RankDeficiencyError
        The Fisher information is singular or nearly so at the start (the message names the
        rows or the nearly collinear columns and a remedy).
    """
    names = [f"x{j}" for j in range(X.shape[1])] if names is None else list(names)
    scale = pow2_scale(np.sqrt(np.einsum("ij,ij->j", X, X) / max(len(y), 1)))
    X = X / scale
    b = b * scale
    try:
        lstar, U, Iinv, info = _firth_state(X, y, offset, b, m=m)
    except np.linalg.LinAlgError:
        raise _singular_start(X, y, offset, b, names) from None
    cond, cols = collinearity(np.linalg.inv(Iinv) if np.all(np.isfinite(Iinv)) else Iinv,
                              names)
    if not cond <= COND_LIMIT:
        raise _singular_start(X, y, offset, b, names)
    it, converged, msg, full, newton = 0, False, "", np.inf, False
    while it < maxiter:
        it += 1
        prev = full
        if newton:
            d = sla.cho_solve(pd_factor(_firth_hessian(X, y, offset, b, m))[0], U)
        else:
            d = Iinv @ U
        full = float(np.max(np.abs(d), initial=0.0))
        small = step_converged(d, b + d, scale, tol)
        newton = newton or (it >= 3 and full > 0.2 * prev)
        if not np.isfinite(full):
            msg = "the step is not finite"
            break
        d *= min(1.0, _FIRTH_MAXSTEP / full) if full > 0 else 1.0
        t, slack = 1.0, 1e-13 * (1.0 + abs(lstar))
        for _ in range(60):
            if _firth_state(X, y, offset, b + t * d, full=False, m=m) >= lstar - slack:
                break
            t *= 0.5
        else:
            msg = "step halving found no increase of the penalised log-likelihood"
            break
        b = b + t * d
        try:
            lstar, U, Iinv, info = _firth_state(X, y, offset, b, m=m)
        except np.linalg.LinAlgError:
            cond, cols = collinearity(information(X, weights(X @ b if offset is None else
                                                             X @ b + offset)), names)
            msg = ("the Fisher information became singular: "
                   + collinearity_message(cond, cols, "Fisher information X'WX"))
            break
        if small:
            converged = bool(np.isfinite(lstar) and np.all(np.isfinite(b)))
            break
    kkt = float(np.max(np.abs(U), initial=0.0))
    if converged:
        msg = "max|step| <= tol"
    else:
        msg = (f"stopped after {it} Firth iterations ({msg or f'maxiter={maxiter} reached'}): "
               f"last max|step| {full:.3g}, max|U*| {kkt:.3g}")
    return ModeResult(b / scale, it, converged, -lstar, kkt, msg,
                      Iinv / scale[:, None] / scale[None, :], None,
                      info * scale[:, None] * scale[None, :])
