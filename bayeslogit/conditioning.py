r"""Units and conditioning: column scales, magnitude limits, near-collinearity diagnoses.

The engines iterate on a column-scaled problem :math:`X D^{-1}`, :math:`D` diagonal with powers of
two (so scaling is exact in floating point), and report on the user's scale. A coefficient in
units where a column is multiplied by :math:`c` is divided by :math:`c`, and so is its standard
error; nothing else changes.

Two limits remain, and both are refused with a message naming the value:

* a column whose largest magnitude exceeds :data:`MAX_MAGNITUDE` (1e150) or whose non-zero
  magnitudes all lie below :data:`MIN_MAGNITUDE` (1e-150): the information
  :math:`\sum_i w_i x_{ij}^2` would overflow or underflow in double precision;
* columns so nearly collinear that the column-scaled information
  :math:`D^{-1}X^\top WXD^{-1}` has a condition number above :data:`COND_LIMIT` (1e14): the
  standard errors would carry fewer than two correct digits.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.linalg as sla
from numpy.typing import NDArray

from .errors import ColumnScaleError

FloatArray = NDArray[np.float64]

__all__ = ["MAX_MAGNITUDE", "MIN_MAGNITUDE", "COND_LIMIT", "pow2_scale", "check_magnitudes",
           "collinearity", "scaled_inverse", "collinearity_message", "step_converged", "pd_factor",
           "covariance_root"]

MAX_MAGNITUDE = 1e150
MIN_MAGNITUDE = 1e-150
#: condition number of the column-scaled information above which it counts as singular
COND_LIMIT = 1e14


def pow2_scale(values: FloatArray) -> FloatArray:
    """Return the power of two nearest to each positive finite value (1 elsewhere)."""
    values = np.asarray(values, dtype=float)
    out = np.ones_like(values)
    ok = np.isfinite(values) & (values > 0)
    out[ok] = np.ldexp(1.0, np.round(np.log2(values[ok])).astype(int))
    return out


def check_magnitudes(X: FloatArray, names: Sequence[str]) -> None:
    """Refuse columns outside the representable range of the information (module doc).

    Raises
    ------
    ColumnScaleError
        Naming the column, its magnitude and the factor that brings it into range.
    """
    if X.size == 0:
        return
    big = np.maximum(X.max(axis=0), -X.min(axis=0))
    for j in np.flatnonzero((big > MAX_MAGNITUDE) | ((big > 0) & (big < MIN_MAGNITUDE))):
        exp10 = int(np.floor(np.log10(big[j])))
        raise ColumnScaleError(
            f"Column {names[j]!r} has magnitude {big[j]:.3g}, outside the range "
            f"[{MIN_MAGNITUDE:g}, {MAX_MAGNITUDE:g}] where the information sum(w * x**2) can "
            "be formed without overflow or underflow in double precision. Change its scale "
            f"(units): divide the column by 1e{exp10}, e.g. X[{names[j]!r}] / 1e{exp10}; its "
            f"coefficient is then multiplied by 1e{exp10}."
            + (" If the values are a large constant plus small variation, subtract the "
               "constant first." if big[j] > MAX_MAGNITUDE else "")
        )


def scaled_inverse(info: FloatArray) -> tuple[FloatArray | None, float]:
    r"""Inverse of a symmetric positive semi-definite matrix through its Jacobi scaling.

    Returns ``(inverse, cond)``: ``cond`` is the condition number of
    :math:`D^{-1} A D^{-1}`, :math:`D = \sqrt{\mathrm{diag}(A)}` (inf when not positive
    definite), and ``inverse`` is None unless ``cond <= COND_LIMIT``.
    """
    k = info.shape[0]
    if k == 0:
        return np.zeros((0, 0)), 1.0
    if not np.all(np.isfinite(info)):
        return None, np.inf
    d = pow2_scale(np.sqrt(np.clip(np.diag(info), 0.0, None)))
    A = info / d[:, None] / d[None, :]
    A = 0.5 * (A + A.T)
    evals = np.linalg.eigvalsh(A)
    if not evals[0] > 0:
        return None, np.inf
    cond = float(evals[-1] / evals[0])
    if cond > COND_LIMIT:
        return None, cond
    inv = np.linalg.inv(A) / d[:, None] / d[None, :]
    return 0.5 * (inv + inv.T), cond


def collinearity(info: FloatArray, names: Sequence[str], X: FloatArray | None = None,
                 w: FloatArray | None = None) -> tuple[float, list[str]]:
    """Condition number of the Jacobi-scaled ``info`` and the columns of its weakest direction.

    The columns named are those with a loading of at least 0.1 on the eigenvector of the
    smallest eigenvalue (the combination that is nearly zero); all columns with a zero
    diagonal are named too. With ``X`` (n, k) and weights ``w`` (n,) such that
    ``info = X' diag(w) X``, the diagnosis comes from the singular values of the scaled
    :math:`W^{1/2} X D^{-1}` instead, which resolves condition numbers up to about 1e30
    where the eigenvalues of ``info`` itself lose everything below 1e16 to rounding.
    """
    k = info.shape[0]
    if k == 0 or not np.all(np.isfinite(info)):
        return np.inf, list(names)
    diag = np.clip(np.diag(info), 0.0, None)
    zero = diag <= 0
    d = pow2_scale(np.sqrt(diag))
    if X is not None and w is not None and X.shape[0] >= k:
        r = sla.qr(np.sqrt(w)[:, None] * X / d, mode="r", check_finite=False)[0][:k]
        _, s, vt = np.linalg.svd(r)
        cond = float((s[0] / s[-1]) ** 2) if s[-1] > 0 else np.inf
        v = np.abs(vt[-1])
    else:
        A = info / d[:, None] / d[None, :]
        evals, evecs = np.linalg.eigh(0.5 * (A + A.T))
        cond = float(evals[-1] / evals[0]) if evals[0] > 0 else np.inf
        v = np.abs(evecs[:, 0])
    involved = (v >= 0.1 * v.max()) | zero
    return cond, [names[j] for j in np.flatnonzero(involved)]


def collinearity_message(cond: float, cols: Sequence[str], what: str) -> str:
    """Cause and remedy text for a numerically singular information matrix."""
    shown = "infinite" if not np.isfinite(cond) else f"{cond:.2g}"
    drop = cols[-1] if cols else "one column"
    return (
        f"The {what} is numerically singular (condition number {shown} after scaling the "
        f"columns, above {COND_LIMIT:g}): columns {list(cols)} are nearly collinear, so their "
        "separate coefficients are not identified and their standard errors are meaningless. "
        f"Drop one of them (e.g. {drop!r}) or combine them; or keep them and fit with a proper "
        "prior: bl.Logit(y, X, check_rank=False, priors=bl.Normal(0, 2.5)).fit(method='map')."
    )


def step_converged(step: FloatArray, new: FloatArray, scale: FloatArray, tol: float) -> bool:
    r"""Apply the engines' stopping rule to a step and iterate on the scaled problem.

    With :math:`\Delta = ` ``step / scale`` and :math:`\beta = ` ``new / scale`` on the user's
    scale: :math:`|\Delta_j| \le \max(\text{tol}, 1024\,\epsilon|\beta_j|)` for every j
    (statsmodels' absolute test, floored at the coefficient's rounding) and
    :math:`\max_j |\text{step}_j| \le \sqrt{\text{tol}}` (the step on the scaled problem).
    """
    raw = np.abs(step) / scale
    floor = 1024 * np.finfo(float).eps * np.abs(new) / scale
    return bool(np.all(raw <= np.maximum(tol, floor))
                and np.max(np.abs(step), initial=0.0) <= np.sqrt(tol))


def pd_factor(H: FloatArray):
    """Cholesky factor of ``H + tau I`` for the smallest tried ``tau >= 0``; returns (fac, tau)."""
    tau, diag = 0.0, np.diag(H)
    beta = 1e-3 * max(1.0, float(np.max(np.abs(diag))))
    for _ in range(80):
        try:
            return sla.cho_factor(H + tau * np.eye(len(H)), lower=True), tau
        except np.linalg.LinAlgError:
            tau = max(2.0 * tau, beta, beta - float(np.min(diag)))
    raise np.linalg.LinAlgError("Could not make the Newton matrix positive definite.")


def covariance_root(cov: FloatArray) -> FloatArray:
    r"""Return a square root :math:`L` with :math:`LL^\top =` ``cov``, computed units-free.

    The eigendecomposition is taken of the correlation matrix :math:`S^{-1}\,\mathrm{cov}\,
    S^{-1}` (:math:`S` the standard deviations) and scaled back, so coefficients whose
    variances differ by many orders of magnitude (columns in very different units) keep their
    own spread; an eigendecomposition of ``cov`` itself would lose the small variances to
    rounding. Tiny negative eigenvalues from rounding are clipped to zero.
    """
    cov = 0.5 * (cov + cov.T)
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    scale = np.where(sd > 0, sd, 1.0)
    corr = cov / scale[:, None] / scale[None, :]
    evals, evecs = np.linalg.eigh(corr)
    return scale[:, None] * (evecs * np.sqrt(np.clip(evals, 0.0, None)))
