r"""Covariances of the MLE and linear hypothesis tests.

Conventions (statsmodels' ``Logit``): ``info_inv`` is :math:`(X^\top W X)^{-1}`, the
nonrobust covariance; scores are :math:`s_i = (y_i - p_i) x_i`.

* ``HC0``: :math:`V = I^{-1} (\sum_i s_i s_i^\top) I^{-1}` (equals statsmodels).
* ``HC1``: HC0 times :math:`n/(n-k)`. statsmodels silently returns HC0 for HC1-HC3 in
  discrete models; bayeslogit applies the factor.
* ``cluster``: :math:`I^{-1} (\sum_g s_g s_g^\top) I^{-1}` with :math:`s_g` the summed scores of
  cluster g, times statsmodels' correction :math:`\frac{G}{G-1}\frac{N-1}{N-K}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["covariance", "parse_hypothesis", "wald_test", "t_test", "WaldTestResult",
           "ContrastResults", "COV_TYPES"]

COV_TYPES = ("nonrobust", "HC0", "HC1", "cluster")


def covariance(cov_type: str, X: np.ndarray, y: np.ndarray, p: np.ndarray,
               info_inv: np.ndarray, cov_kwds: dict | None) -> tuple[np.ndarray, str]:
    """Covariance of the estimates and its description for the report."""
    key = {"hc0": "HC0", "hc1": "HC1"}.get(str(cov_type).lower(), cov_type)
    if key not in COV_TYPES:
        raise ValueError(f"cov_type={cov_type!r} not recognised; use one of {list(COV_TYPES)}.")
    kwds = dict(cov_kwds or {})
    n, k = X.shape
    if key == "nonrobust":
        if kwds:
            raise ValueError(f"cov_type='nonrobust' takes no cov_kwds, got {sorted(kwds)}.")
        return info_inv, "nonrobust"
    resid = y - p
    if key in ("HC0", "HC1"):
        if kwds:
            raise ValueError(f"cov_type={key!r} takes no cov_kwds, got {sorted(kwds)}.")
        S = X * resid[:, None]
        meat = S.T @ S
        cov = info_inv @ meat @ info_inv
        if key == "HC1":
            if n <= k:
                raise ValueError(f"HC1 needs more observations ({n}) than coefficients ({k}).")
            cov = cov * n / (n - k)
        return cov, key
    if "groups" not in kwds:
        raise ValueError("cov_type='cluster' needs cov_kwds={'groups': labels} with one label "
                         "per observation.")
    unknown = set(kwds) - {"groups", "use_correction"}
    if unknown:
        raise ValueError(f"Unknown cov_kwds {sorted(unknown)} for 'cluster'; allowed: groups, "
                         "use_correction.")
    groups = np.asarray(kwds["groups"]).ravel()
    if groups.shape[0] != n:
        raise ValueError(f"groups has {groups.shape[0]} labels but the model has {n} "
                         "observations (after missing-value handling).")
    codes, uniques = pd.factorize(pd.Series(groups), use_na_sentinel=False)
    G = len(uniques)
    if G < 2:
        raise ValueError("cluster covariance needs at least 2 clusters; got 1.")
    S = np.zeros((G, k))
    np.add.at(S, codes, X * resid[:, None])
    cov = info_inv @ (S.T @ S) @ info_inv
    if kwds.get("use_correction", True):
        cov = cov * (G / (G - 1)) * ((n - 1) / (n - k))
    return cov, f"cluster (G={G})"


def _coef_of(term: str, names: list[str]) -> tuple[float, str]:
    term = term.strip()
    for name in sorted(names, key=len, reverse=True):
        if term.endswith(name):
            coef = term[: len(term) - len(name)].strip().rstrip("*").strip()
            if coef in ("", "+"):
                return 1.0, name
            if coef == "-":
                return -1.0, name
            try:
                return float(coef), name
            except ValueError:
                continue
    raise ValueError(f"Cannot parse term {term!r}; valid coefficient names are {names}.")


def _parse_side(text: str, names: list[str]) -> tuple[np.ndarray, float]:
    row = np.zeros(len(names))
    const = 0.0
    protected = text
    # hide names (which may contain + - :) behind placeholders before splitting on +/-
    slots = {}
    for i, name in enumerate(sorted(names, key=len, reverse=True)):
        if name in protected:
            token = f"\x00{i}\x00"
            slots[token] = name
            protected = protected.replace(name, token)
    parts = re.findall(r"[+-]?[^+-]+", protected.replace(" ", ""))
    for part in parts:
        for token, name in slots.items():
            part = part.replace(token, name)
        try:
            const += float(part)
            continue
        except ValueError:
            pass
        c, name = _coef_of(part, names)
        row[names.index(name)] += c
    return row, const


def parse_hypothesis(hypothesis, names) -> tuple[np.ndarray, np.ndarray]:
    """Linear restrictions ``R b = q`` from a string, a matrix or a tuple ``(R, q)``.

    Strings hold comma-separated equations in coefficient names, e.g. ``"GPA = 0, TUCE = 0"``,
    ``"GPA - TUCE = 0"``, ``"2*GPA + PSI = 1"``; a bare expression means ``= 0``.
    """
    names = list(names)
    if isinstance(hypothesis, str):
        rows, qs = [], []
        for eq in hypothesis.split(","):
            eq = eq.strip().strip("()")
            if not eq:
                continue
            lhs, _, rhs = eq.partition("=")
            rl, cl = _parse_side(lhs, names)
            rr, cr = _parse_side(rhs or "0", names)
            rows.append(rl - rr)
            qs.append(cr - cl)
        return np.array(rows), np.array(qs)
    if isinstance(hypothesis, tuple) and len(hypothesis) == 2:
        R = np.atleast_2d(np.asarray(hypothesis[0], dtype=float))
        q = np.asarray(hypothesis[1], dtype=float).ravel()
    else:
        R = np.atleast_2d(np.asarray(hypothesis, dtype=float))
        q = np.zeros(R.shape[0])
    if R.shape[1] != len(names) or q.shape[0] != R.shape[0]:
        raise ValueError(f"R must have {len(names)} columns and q one value per row; got R "
                         f"{R.shape} and q {q.shape}.")
    return R, q


@dataclass(frozen=True)
class WaldTestResult:
    """Joint Wald test: ``statistic`` ~ chi2(``df``) under the null."""

    statistic: float
    pvalue: float
    df: int
    distribution: str = "chi2"

    def __str__(self) -> str:
        return f"<Wald test (chi2): statistic={self.statistic:.6g}, p-value={self.pvalue:.6g}, " \
               f"df={self.df}>"


def wald_test(params, cov, R, q) -> WaldTestResult:
    r""":math:`W = (Rb-q)^\top (R V R^\top)^{-1} (Rb-q)`, chi-square with rank(R) df."""
    diff = R @ params - q
    W = float(diff @ np.linalg.solve(R @ cov @ R.T, diff))
    df = int(np.linalg.matrix_rank(R))
    return WaldTestResult(W, float(stats.chi2.sf(W, df)), df)


@dataclass(frozen=True)
class ContrastResults:
    """Individual z tests of each restriction (statsmodels' ``t_test`` for Logit)."""

    effect: np.ndarray
    sd: np.ndarray
    statistic: np.ndarray
    pvalue: np.ndarray
    row_names: tuple[str, ...]

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        """Intervals for ``R b``."""
        q = stats.norm.ppf(1 - alpha / 2)
        return np.c_[self.effect - q * self.sd, self.effect + q * self.sd]

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        ci = self.conf_int(alpha)
        return pd.DataFrame({"coef": self.effect, "std err": self.sd, "z": self.statistic,
                             "P>|z|": self.pvalue, "Conf. Int. Low": ci[:, 0],
                             "Conf. Int. Upp.": ci[:, 1]}, index=list(self.row_names))

    def __str__(self) -> str:
        return self.summary_frame().to_string()


def t_test(params, cov, R, q, row_names=None) -> ContrastResults:
    """``effect = R b`` with z statistics ``(R b - q) / sd`` (normal), as statsmodels."""
    effect = R @ params
    sd = np.sqrt(np.diag(R @ cov @ R.T))
    z = (effect - q) / sd
    names = tuple(row_names) if row_names and len(row_names) == len(effect) else tuple(
        f"c{i}" for i in range(len(effect)))
    return ContrastResults(effect, sd, z, 2 * stats.norm.sf(np.abs(z)), names)
