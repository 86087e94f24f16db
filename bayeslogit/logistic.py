r"""The logistic-regression math, written once.

Conventions used throughout the package
---------------------------------------
* Linear predictor :math:`\eta = X\beta + o` (``o`` the offset, zero when absent).
* Log-likelihood, summed over observations (the *summed* scale, as statsmodels' ``Logit``):

  .. math:: \ell(\beta) = \sum_i y_i \eta_i - \log(1 + e^{\eta_i}).

  For binary ``y`` this equals statsmodels' :math:`\sum_i \log\Lambda((2y_i-1)\eta_i)`; for
  fractional ``y`` in [0, 1] it is the Bernoulli quasi-log-likelihood.
* Score :math:`\nabla\ell = X^\top (y - p)` with :math:`p = \Lambda(\eta)`.
* Information :math:`I(\beta) = -\nabla^2\ell = X^\top W X`, :math:`W = \mathrm{diag}(p(1-p))`.
  Functions here return the **positive** information matrix, never the negative Hessian.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit as _expit

FloatArray = NDArray[np.float64]

__all__ = [
    "log1pexp",
    "expit",
    "linear_predictor",
    "loglike",
    "loglike_obs",
    "score",
    "information",
    "weights",
]


def log1pexp(x: FloatArray) -> FloatArray:
    r"""Stable :math:`\log(1 + e^x)` for any real ``x`` (no overflow, full precision).

    Uses :math:`\max(x, 0) + \log1p(e^{-|x|})`.
    """
    x = np.asarray(x, dtype=float)
    out = np.abs(x)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += np.maximum(x, 0.0)  # in-place steps: one temporary besides the result
    return out


def expit(x: FloatArray) -> FloatArray:
    r"""Logistic function :math:`\Lambda(x) = 1/(1+e^{-x})`, overflow-free."""
    return _expit(x)


def linear_predictor(params: FloatArray, X: FloatArray, offset: FloatArray | None) -> FloatArray:
    r""":math:`\eta = X\beta + o`."""
    eta = X @ params
    if offset is not None:
        eta = eta + offset
    return eta


def loglike_obs(eta: FloatArray, y: FloatArray) -> FloatArray:
    r"""Per-observation log-likelihood :math:`y\eta - \log(1+e^\eta)` given the linear predictor."""
    return y * eta - log1pexp(eta)


def loglike(params: FloatArray, X: FloatArray, y: FloatArray, offset: FloatArray | None) -> float:
    """Compute the summed log-likelihood at ``params`` (see the module docstring)."""
    return float(np.sum(loglike_obs(linear_predictor(params, X, offset), y)))


def weights(eta: FloatArray) -> FloatArray:
    r"""Newton weights :math:`p(1-p)` computed without cancellation."""
    p = _expit(eta)
    return p * _expit(-eta)


def score(
    params: FloatArray, X: FloatArray, y: FloatArray, offset: FloatArray | None
) -> FloatArray:
    r"""Gradient of the summed log-likelihood, :math:`X^\top(y-p)`."""
    eta = linear_predictor(params, X, offset)
    return X.T @ (y - _expit(eta))


def information(X: FloatArray, w: FloatArray) -> FloatArray:
    r"""Fisher information :math:`X^\top \mathrm{diag}(w) X` in one BLAS pass.

    Forms the single n-by-p temporary :math:`\sqrt{w}\odot X` and calls a symmetric
    product on it, so no further n-by-p arrays are allocated.
    """
    Xw = X * np.sqrt(w)[:, None]
    return Xw.T @ Xw
