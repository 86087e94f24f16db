r"""Covariances of the MLE and Wald-type tests of linear hypotheses.

Conventions (those of statsmodels' ``Logit``)
---------------------------------------------
* ``p`` are the fitted probabilities :math:`p_i = \Lambda(x_i^\top\hat\beta + o_i)` (offset
  included) and ``info_inv`` is :math:`(X^\top W X)^{-1}`, :math:`W = \mathrm{diag}(p(1-p))`,
  the inverse Fisher information: the nonrobust covariance of :math:`\hat\beta`.
* Observation scores are :math:`s_i = (y_i - p_i)\,x_i` (rows of :math:`S`).

Covariance types
----------------
``"nonrobust"``
    :math:`V = I^{-1}`.
``"HC0"``
    :math:`V = I^{-1} S^\top S\, I^{-1}` (statsmodels' ``HC0`` exactly).
``"HC1"``
    HC0 times :math:`n/(n-k)`. **Differs from statsmodels on purpose**: statsmodels returns the
    HC0 matrix unchanged for ``HC1`` (and ``HC2``/``HC3``) in discrete models.
``"cluster"``
    :math:`V = c\, I^{-1} (\sum_g s_g s_g^\top) I^{-1}` with :math:`s_g = \sum_{i\in g} s_i`
    and statsmodels' correction :math:`c = \frac{G}{G-1}\frac{n-1}{n-k}` (``c = 1`` with
    ``use_correction=False``).

Hypotheses :math:`R\beta = r` are tested with normal / chi-square reference distributions,
as statsmodels does for ``Logit`` (``use_t=False``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .errors import BayesLogitWarning
from .hypotheses import parse_hypothesis, parse_hypothesis_rows

__all__ = ["COV_TYPES", "covariance", "parse_hypothesis", "parse_hypothesis_rows", "wald_test",
           "t_test", "WaldTestResult", "ContrastResults"]

COV_TYPES = ("nonrobust", "HC0", "HC1", "cluster")
_ALIASES = {"hc0": "HC0", "hc1": "HC1"}


# --------------------------------------------------------------------------- covariances
def covariance(cov_type: str, X: np.ndarray, y: np.ndarray, p: np.ndarray,
               info_inv: np.ndarray, cov_kwds: dict | None) -> tuple[np.ndarray, str]:
    """Covariance matrix of the MLE and a short description for reports.

    Parameters
    ----------
    cov_type : {"nonrobust", "HC0", "HC1", "cluster"}
        Case-sensitive as in statsmodels; ``"hc0"`` and ``"hc1"`` are accepted too.
    X : (n, k) design; y : (n,) response; p : (n,) fitted probabilities (offset included).
    info_inv : (k, k) inverse information :math:`(X^\\top W X)^{-1}` at the MLE.
    cov_kwds : dict or None
        Only for ``"cluster"``: ``{"groups": labels}`` (one hashable label per row, strings
        allowed) and optionally ``"use_correction": bool`` (default True).

    Returns
    -------
    cov : (k, k) ndarray
    description : str
        ``"nonrobust"``, ``"HC0"``, ``"HC1"`` or ``"cluster (G=8)"`` (with
        ``", no correction"`` when ``use_correction=False``).

    Raises
    ------
    ValueError
        Unknown ``cov_type``, keywords where none are allowed, missing or malformed groups,
        fewer than two clusters, or too few observations for the small-sample factor.
    """
    if not isinstance(cov_type, str):
        raise ValueError(f"cov_type must be a string, one of {list(COV_TYPES)}; got "
                         f"{cov_type!r}.")
    key = _ALIASES.get(cov_type, cov_type)
    if key in ("HC2", "HC3", "hc2", "hc3"):
        raise ValueError(f"cov_type={cov_type!r} is not available: bayeslogit has no leverage "
                         "corrections for Logit (statsmodels silently returns HC0 for it). Use "
                         "'HC0' (statsmodels' value) or 'HC1'.")
    if key not in COV_TYPES:
        raise ValueError(f"cov_type={cov_type!r} not recognised; valid types are "
                         f"{list(COV_TYPES)} (case-sensitive; 'hc0' and 'hc1' also accepted).")
    if cov_kwds is not None and not isinstance(cov_kwds, dict):
        raise ValueError(f"cov_kwds must be a dict or None, got {type(cov_kwds).__name__}.")
    kwds = dict(cov_kwds or {})
    X = np.asarray(X, dtype=float)
    n, k = X.shape
    info_inv = np.asarray(info_inv, dtype=float)
    if info_inv.shape != (k, k):
        raise ValueError(f"info_inv has shape {info_inv.shape}; expected ({k}, {k}).")
    if key == "nonrobust":
        if kwds:
            raise ValueError(f"cov_type='nonrobust' takes no cov_kwds, got {sorted(kwds)}.")
        return info_inv.copy(), "nonrobust"
    resid = np.asarray(y, dtype=float) - np.asarray(p, dtype=float)
    if resid.shape != (n,):
        raise ValueError(f"y and p must have shape ({n},) to match X; got {resid.shape}.")
    if key in ("HC0", "HC1"):
        if kwds:
            raise ValueError(f"heteroscedasticity robust covariance ({key}) does not use "
                             f"keywords; got cov_kwds {sorted(kwds)}. Drop cov_kwds.")
        S = X * resid[:, None]
        cov = info_inv @ (S.T @ S) @ info_inv
        if key == "HC1":
            if n <= k:
                raise ValueError(f"HC1 needs more observations (n={n}) than coefficients "
                                 f"(k={k}) for its n/(n-k) factor; use 'HC0'.")
            cov *= n / (n - k)
        return cov, key
    return _cluster(X, resid, info_inv, kwds)


def _cluster(X: np.ndarray, resid: np.ndarray, info_inv: np.ndarray,
             kwds: dict) -> tuple[np.ndarray, str]:
    n, k = X.shape
    unknown = sorted(set(kwds) - {"groups", "use_correction"})
    if unknown:
        raise ValueError(f"Unknown cov_kwds {unknown} for cov_type='cluster'; allowed keys are "
                         "'groups' and 'use_correction'.")
    if "groups" not in kwds or kwds["groups"] is None:
        raise ValueError("cov_type='cluster' needs cov_kwds={'groups': labels} with one "
                         "cluster label per observation.")
    labels = np.asarray(kwds["groups"], dtype=object)
    labels = labels[:, 0] if labels.ndim == 2 and labels.shape[1] == 1 else labels
    if labels.ndim != 1:
        raise ValueError(f"groups must be 1-D (one label per observation); got shape "
                         f"{labels.shape}. Two-way clustering is not supported.")
    if len(labels) != n:
        raise ValueError(f"groups has {len(labels)} labels but the model has {n} observations "
                         "(after missing-value handling); pass one label per row used in the fit.")
    if pd.isna(labels).any():
        raise ValueError(f"groups contains {int(pd.isna(labels).sum())} missing labels; give "
                         "every observation a cluster.")
    use_correction = kwds.get("use_correction", True)
    if not isinstance(use_correction, (bool, np.bool_)):
        raise ValueError(f"use_correction must be True or False, got {use_correction!r}.")
    codes, uniques = pd.factorize(labels)
    G = len(uniques)
    if G < 2:
        raise ValueError(f"cluster covariance needs at least 2 clusters; all {n} observations "
                         f"are in cluster {uniques[0]!r}.")
    scores = X * resid[:, None]
    S = np.column_stack([np.bincount(codes, weights=scores[:, j], minlength=G)
                         for j in range(k)])  # cluster sums of the scores
    cov = info_inv @ (S.T @ S) @ info_inv
    if use_correction:
        if n <= k:
            raise ValueError(f"The cluster correction (n-1)/(n-k) needs n={n} > k={k}; pass "
                             "use_correction=False.")
        cov *= G / (G - 1) * (n - 1) / (n - k)
        return cov, f"cluster (G={G})"
    return cov, f"cluster (G={G}, no correction)"


# ------------------------------------------------------------------------------- tests
@dataclass(frozen=True)
class WaldTestResult:
    """Joint Wald test of :math:`R\\beta = r`: ``statistic`` ~ chi2(``df``) under the null."""

    statistic: float
    pvalue: float
    df: int
    distribution: str = "chi2"

    @property
    def df_denom(self) -> int:
        """statsmodels' name for the degrees of freedom of a chi2 Wald test."""
        return self.df

    def summary(self) -> str:
        return (f"Wald test (chi2): statistic={self.statistic:.6g}, p-value={self.pvalue:.6g}, "
                f"df={self.df}")

    def __repr__(self) -> str:
        return f"<{self.summary()}>"

    __str__ = summary


def _check_inputs(params: Any, cov: Any, R: Any, r: Any) -> tuple[np.ndarray, ...]:
    params = np.asarray(params, dtype=float).ravel()
    cov = np.asarray(cov, dtype=float)
    R = np.atleast_2d(np.asarray(R, dtype=float))
    r = np.atleast_1d(np.asarray(r, dtype=float)).ravel()
    k = params.shape[0]
    if cov.shape != (k, k) or R.shape[1] != k or r.shape != (R.shape[0],):
        raise ValueError(f"Inconsistent shapes: params {params.shape}, cov {cov.shape}, R "
                         f"{R.shape}, r {r.shape}; need (k,), (k, k), (q, k), (q,).")
    return params, cov, R, r


def wald_test(params: Any, cov: Any, R: Any, r: Any) -> WaldTestResult:
    r"""Wald chi-square test of :math:`R\beta = r` (statsmodels' ``wald_test(scalar=True)``).

    :math:`W = (R\hat\beta - r)^\top (R V R^\top)^{+} (R\hat\beta - r)`, referred to
    :math:`\chi^2_q` with :math:`q = \mathrm{rank}(R V R^\top)`. As in statsmodels the
    pseudo-inverse is used and a rank below the number of rows gives a warning (redundant
    constraints) and the reduced df.

    Raises
    ------
    ValueError
        Inconsistent shapes, or a covariance of the constraints containing NaN.
    """
    params, cov, R, r = _check_inputs(params, cov, R, r)
    diff = R @ params - r
    cov_r = R @ cov @ R.T
    if np.isnan(cov_r).any():
        raise ValueError("The covariance of the constraints contains NaN (some standard errors "
                         "are undefined); test only coefficients with finite standard errors.")
    df = int(np.linalg.matrix_rank(cov_r))
    if df < R.shape[0]:
        warnings.warn(f"covariance of constraints does not have full rank. The number of "
                      f"constraints is {R.shape[0]}, but rank is {df}; the test uses the "
                      f"generalized inverse and df={df}. Remove redundant constraints.",
                      BayesLogitWarning, stacklevel=2)
    stat = float(diff @ np.linalg.pinv(cov_r) @ diff)
    return WaldTestResult(stat, float(stats.chi2.sf(stat, df)), df)


@dataclass(frozen=True, eq=False)
class ContrastResults:
    """Individual z tests of each row of :math:`R\\beta = r` (statsmodels' ``t_test`` for
    Logit): ``effect`` = :math:`R\\hat\\beta`, ``sd`` its standard error, ``statistic`` =
    ``(effect - r) / sd`` and two-sided normal p-values; intervals surround ``effect``."""

    effect: np.ndarray
    sd: np.ndarray
    statistic: np.ndarray
    pvalue: np.ndarray
    row_names: tuple[str, ...]
    null_value: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def tvalue(self) -> np.ndarray:
        """statsmodels' name for the z statistics."""
        return self.statistic

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        """(q, 2) normal intervals ``effect -/+ z_{1-alpha/2} sd``."""
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {alpha}.")
        q = stats.norm.ppf(1 - alpha / 2)
        return np.column_stack([self.effect - q * self.sd, self.effect + q * self.sd])

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """Columns ``coef, std_err, z, P>|z|, ci_lower, ci_upper``; one row per restriction."""
        ci = self.conf_int(alpha)
        return pd.DataFrame({"coef": self.effect, "std_err": self.sd, "z": self.statistic,
                             "P>|z|": self.pvalue, "ci_lower": ci[:, 0], "ci_upper": ci[:, 1]},
                            index=list(self.row_names))

    def summary(self, alpha: float = 0.05) -> str:
        """Text table as statsmodels' ``print(t_test(...))``."""
        from .margins import format_table

        ci = self.conf_int(alpha)
        return format_table("Test for Constraints", self.row_names, "coef",
                            [self.effect, self.sd, self.statistic, self.pvalue, ci[:, 0],
                             ci[:, 1]], alpha)

    __str__ = summary

    def __repr__(self) -> str:
        return f"<ContrastResults: {len(self.effect)} restriction(s)>\n{self.summary()}"


def t_test(params: Any, cov: Any, R: Any, r: Any, row_names: Any = None) -> ContrastResults:
    """Individual normal (z) tests of the rows of :math:`R\\beta = r`, as statsmodels'
    ``LogitResults.t_test`` with its default ``use_t=False``.

    ``row_names`` labels the rows (e.g. from :func:`parse_hypothesis_rows`); the default is
    statsmodels' ``c0, c1, ...``. A wrong number of labels raises ``ValueError``.
    """
    params, cov, R, r = _check_inputs(params, cov, R, r)
    effect = R @ params
    with np.errstate(invalid="ignore"):
        sd = np.sqrt(np.diag(R @ cov @ R.T))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (effect - r) / sd
    if row_names is None:
        row_names = [f"c{i}" for i in range(len(effect))]
    row_names = tuple(str(s) for s in row_names)
    if len(row_names) != len(effect):
        raise ValueError(f"row_names has {len(row_names)} labels for {len(effect)} restrictions.")
    return ContrastResults(effect, sd, z, 2 * stats.norm.sf(np.abs(z)), row_names, r)
