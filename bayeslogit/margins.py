r"""Marginal effects of the logistic model with delta-method standard errors.

Reproduces statsmodels' ``LogitResults.get_margeff`` with analytic Jacobians. For observation
i and column j (:math:`p_i = \Lambda(\eta_i)`, :math:`f_i = p_i(1-p_i)`):

* ``dydx``: :math:`f_i\beta_j`; ``dyex``: :math:`f_i\beta_j x_{ij}`;
  ``eydx``: :math:`f_i\beta_j/p_i`; ``eyex``: :math:`f_i\beta_j x_{ij}/p_i`;
* ``dummy=True``: 0/1 columns get :math:`F(x|d=1) - F(x|d=0)` (log F for ``ey``);
* ``count=True``: non-negative integer columns get :math:`(F(x+1) - F(x-1))/2`.

``at="overall"`` averages the per-observation effects; ``"mean"``, ``"median"``, ``"zero"``
evaluate them at one point. Constant columns are dropped. Inference is always normal.

Difference from statsmodels: offsets are supported (the offset enters :math:`\eta`; at a
point the mean / median offset is used, zero for ``at="zero"``); statsmodels raises
``NotImplementedError``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .logistic import expit

__all__ = ["marginal_effects", "MarginalEffects"]

_NAMES = {"dydx": "dy/dx", "eyex": "d(lny)/d(lnx)", "dyex": "dy/d(lnx)", "eydx": "d(lny)/dx"}
_AT = ("overall", "mean", "median", "zero")


@dataclass
class MarginalEffects:
    """Marginal effects, their covariance and normal-theory inference."""

    margeff: np.ndarray
    margeff_se: np.ndarray
    margeff_cov: np.ndarray
    names: tuple[str, ...]
    method: str
    at: str

    @property
    def tvalues(self) -> np.ndarray:
        return self.margeff / self.margeff_se

    @property
    def pvalues(self) -> np.ndarray:
        return 2 * stats.norm.sf(np.abs(self.tvalues))

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        q = stats.norm.ppf(1 - alpha / 2)
        return np.c_[self.margeff - q * self.margeff_se, self.margeff + q * self.margeff_se]

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """statsmodels' columns, including its ``Cont. Int. Hi.`` spelling."""
        ci = self.conf_int(alpha)
        return pd.DataFrame({_NAMES[self.method]: self.margeff, "Std. Err.": self.margeff_se,
                             "z": self.tvalues, "Pr(>|z|)": self.pvalues,
                             "Conf. Int. Low": ci[:, 0], "Cont. Int. Hi.": ci[:, 1]},
                            index=list(self.names))

    def summary(self, alpha: float = 0.05) -> str:
        head = (f"Logit Marginal Effects\nMethod: {self.method}\nAt: {self.at}\n")
        return head + self.summary_frame(alpha).to_string()

    def __str__(self) -> str:
        return self.summary()


def _is_dummy(X: np.ndarray) -> np.ndarray:
    return (X.min(axis=0) == 0) & (X.max(axis=0) == 1) & np.all(X % 1.0 == 0, axis=0)


def _is_count(X: np.ndarray) -> np.ndarray:
    integer = np.all(X % 1.0 == 0, axis=0) & (X.var(axis=0) != 0) & np.all(X >= 0, axis=0)
    return integer & ~_is_dummy(X)


def _point(X, off, at, varying):
    if at == "mean":
        return X.mean(axis=0)[None, :], (None if off is None else np.array([off.mean()]))
    if at == "median":
        return np.median(X, axis=0)[None, :], (None if off is None else
                                               np.array([np.median(off)]))
    row = np.zeros((1, X.shape[1]))
    row[0, ~varying] = 1.0
    return row, None


def _continuous(params, X, off, method):
    """Per-observation effects (n, k) and mean Jacobian d effect_j / d b_l (k, k)."""
    eta = X @ params + (0 if off is None else off)
    p = expit(eta)
    f = p * (1 - p)
    n = X.shape[0]
    if method in ("dydx", "dyex"):
        scale, dscale = f, f * (1 - 2 * p)  # d f / d eta
    else:  # ey: f/p = 1 - p
        scale, dscale = 1 - p, -f
    eff = scale[:, None] * params[None, :]
    xfac = X if method in ("dyex", "eyex") else None
    if xfac is not None:
        eff = eff * xfac
    # J[j, l] = mean_i [ scale_i * delta_jl + b_j * dscale_i * x_il ] * xfac_ij
    if xfac is None:
        J = np.diag(np.full(len(params), scale.mean())) + np.outer(params, dscale @ X / n)
    else:
        J = np.diag((scale[:, None] * X).mean(axis=0)) + params[:, None] * (
            (X * dscale[:, None]).T @ X / n)
    return eff, J


def _discrete_effect(params, X0, X1, off, log):
    eta0 = X0 @ params + (0 if off is None else off)
    eta1 = X1 @ params + (0 if off is None else off)
    p0, p1 = expit(eta0), expit(eta1)
    if log:
        eff = np.log(p1) - np.log(p0)
        d0 = (1 - p0)[:, None] * X0
        d1 = (1 - p1)[:, None] * X1
    else:
        eff = p1 - p0
        d0 = (p0 * (1 - p0))[:, None] * X0
        d1 = (p1 * (1 - p1))[:, None] * X1
    return eff, (d1 - d0).mean(axis=0)


def marginal_effects(params, cov, X, offset, names, intercept_index=None, at="overall",
                     method="dydx", dummy=False, count=False, atexog=None) -> MarginalEffects:
    """Marginal effects as statsmodels' ``get_margeff`` (see module docstring)."""
    if at not in _AT:
        raise ValueError(f"{at} not a valid option for `at`; use one of {list(_AT)}.")
    if method not in _NAMES:
        raise ValueError(f"method is not understood.  Got {method}; use one of {list(_NAMES)}.")
    if (dummy or count) and (method in ("dyex", "eyex") or at in ("median", "zero")):
        bad = method if method in ("dyex", "eyex") else at
        raise ValueError(f"{bad} not allowed for discrete variables (dummy=True or count=True).")
    params = np.asarray(params, dtype=float)
    X = np.array(X, dtype=float)
    off = None if offset is None else np.asarray(offset, dtype=float)
    varying = X.var(axis=0) != 0
    dummies = np.flatnonzero(_is_dummy(X)) if dummy else np.array([], int)
    counts = np.flatnonzero(_is_count(X)) if count else np.array([], int)
    if atexog is not None:
        if isinstance(atexog, dict):
            for key, val in atexog.items():
                X[:, key] = val
        else:
            atexog = np.atleast_2d(np.asarray(atexog, dtype=float))
            if atexog.shape[1] != X.shape[1]:
                raise ValueError("atexog does not have the same number of variables as exog")
            X = atexog
            off = None
    if at != "overall":
        X, off = _point(X, off, at, varying)
    eff, J = _continuous(params, X, off, method)
    eff = eff.mean(axis=0)
    log = method.startswith("ey")
    for j in dummies:
        X0, X1 = X.copy(), X.copy()
        X0[:, j], X1[:, j] = 0.0, 1.0
        e, row = _discrete_effect(params, X0, X1, off, log)
        eff[j], J[j] = e.mean(), row
    for j in counts:
        X0, X1 = X.copy(), X.copy()
        X0[:, j] -= 1
        X1[:, j] += 1
        e, row = _discrete_effect(params, X0, X1, off, log)
        eff[j], J[j] = e.mean() / 2, row / 2
    mcov = J @ cov @ J.T
    keep = varying
    return MarginalEffects(eff[keep], np.sqrt(np.diag(mcov))[keep], mcov[np.ix_(keep, keep)],
                           tuple(n for n, k in zip(names, keep, strict=True) if k), method, at)
