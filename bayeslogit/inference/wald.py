r"""Wald-type tests of linear hypotheses :math:`R\beta = r`.

Hypotheses are tested with normal / chi-square reference distributions, as statsmodels does
for ``Logit`` (``use_t=False``); the text tables follow statsmodels' layout.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import BayesLogitWarning
from .margins import format_table

__all__ = ["wald_test", "t_test", "WaldTestResult", "ContrastResults"]


# ------------------------------------------------------------------------------- tests
@dataclass(frozen=True)
class WaldTestResult:
    r"""Joint Wald test of :math:`R\beta = r`: ``statistic`` ~ chi2(``df``) under the null."""

    statistic: float
    pvalue: float
    df: int
    distribution: str = "chi2"

    @property
    def df_denom(self) -> int:
        """Degrees of freedom of the chi2 test (statsmodels' name)."""
        return self.df

    def summary(self) -> str:
        """Return the test as one line of text."""
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
    r"""Individual z tests of linear restrictions (statsmodels' ``ContrastResults``).

    Individual z tests of each row of :math:`R\beta = r` (statsmodels' ``t_test`` for
    Logit): ``effect`` = :math:`R\hat\beta`, ``sd`` its standard error, ``statistic`` =
    ``(effect - r) / sd`` and two-sided normal p-values; intervals surround ``effect``.
    """

    effect: np.ndarray
    sd: np.ndarray
    statistic: np.ndarray
    pvalue: np.ndarray
    row_names: tuple[str, ...]
    null_value: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def tvalue(self) -> np.ndarray:
        """The z statistics (statsmodels' name)."""
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
        ci = self.conf_int(alpha)
        return format_table("Test for Constraints", self.row_names, "coef",
                            [self.effect, self.sd, self.statistic, self.pvalue, ci[:, 0],
                             ci[:, 1]], alpha)

    __str__ = summary

    def __repr__(self) -> str:
        return f"<ContrastResults: {len(self.effect)} restriction(s)>\n{self.summary()}"


def t_test(params: Any, cov: Any, R: Any, r: Any, row_names: Any = None) -> ContrastResults:
    r"""Test each row of :math:`R\beta = r` with its own z test.

    Individual normal (z) tests of the rows of :math:`R\beta = r`, as statsmodels'
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
