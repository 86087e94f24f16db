"""Maximum-likelihood results with statsmodels' names and values.

Differences from statsmodels, on purpose: ``cov_type="HC1"`` applies the n/(n-k) factor
(statsmodels returns HC0 for HC1-HC3); with fractional y, ``llf`` is the Bernoulli
quasi-log-likelihood :math:`\\sum y\\log p + (1-y)\\log(1-p)` (statsmodels uses
:math:`\\sum\\log\\Lambda((2y-1)\\eta)`, which is not a log-likelihood for fractional y); margins
are available with an offset.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from ..logistic import expit
from .base import check_ci_prob
from .mode import ModeResults
from .options import FitOptions

if TYPE_CHECKING:
    from ..engines.newton import NewtonResult
    from ..engines.separation import SeparationReport
    from ..spec.model_spec import ModelLike

__all__ = ["MLEResults"]


class MLEResults(ModeResults):
    """Result of ``Logit.fit()`` (method ``"mle"``); attributes follow statsmodels'
    ``LogitResults``."""

    method = "mle"

    def __init__(self, model: ModelLike, newton: NewtonResult, cov: np.ndarray, cov_type: str,
                 cov_description: str, separation: SeparationReport | None,
                 options: FitOptions | None = None) -> None:
        super().__init__(model, newton.params, cov, options)
        self._newton = newton
        self.cov_type = cov_type
        self.cov_description = cov_description
        self.separation = separation

    # -- fit diagnostics ---------------------------------------------------------------
    @property
    def converged(self) -> bool:
        return self._newton.converged

    @property
    def iterations(self) -> int:
        return self._newton.iterations

    @property
    def nobs(self) -> int:
        return self.model.nobs

    @property
    def mle_retvals(self) -> dict[str, Any]:
        """statsmodels' Newton return values plus: ``last_step``, ``halvings``,
        ``convergence_rule`` ("absolute": stopped where statsmodels' absolute step rule stops;
        "scaled": the rule on the column-scaled problem decided, because the absolute rule
        could not be met or would have stopped early in these units),
        ``statsmodels_iterations`` (where the absolute rule alone was first met, None if
        never) and ``column_scale`` (the powers of two of the scaled problem)."""
        n = self.nobs
        return {"fopt": -self.llf / n, "iterations": self.iterations,
                "score": -self._newton.score / n, "Hessian": self._newton.information / n,
                "warnflag": int(not self.converged), "converged": self.converged,
                "last_step": self._newton.last_step, "halvings": self._newton.halvings,
                "convergence_rule": self._newton.rule,
                "statsmodels_iterations": self._newton.statsmodels_iterations,
                "column_scale": self._newton.scale}

    # -- inference ---------------------------------------------------------------------
    @property
    def tvalues(self) -> pd.Series:
        """z statistics (statsmodels' name)."""
        return pd.Series(self._params / self.bse.to_numpy(), index=self._names, name="z")

    @property
    def pvalues(self) -> pd.Series:
        return pd.Series(2 * stats.norm.sf(np.abs(self.tvalues.to_numpy())), index=self._names,
                         name="pvalues")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Wald intervals, columns 0 and 1 as statsmodels (pandas output).

        Parameters
        ----------
        alpha : float
            One minus the coverage, in (0, 1): 0.05 gives 95% intervals.

        Returns
        -------
        DataFrame
            Lower (column 0) and upper (column 1) limits per coefficient.
        """
        lo, hi = self._interval(1 - check_ci_prob(alpha, "alpha", 0.05))
        return pd.DataFrame({0: lo, 1: hi}, index=self._names)

    def summary(self, ci_prob: float = 0.95) -> pd.DataFrame:
        """estimate, std_error, ci_lower, ci_upper, z, p_value per coefficient."""
        table = super().summary(ci_prob)
        table["z"] = self.tvalues.to_numpy()
        table["p_value"] = self.pvalues.to_numpy()
        return table

    # -- likelihood statistics ---------------------------------------------------------
    @property
    def llf(self) -> float:
        """Log-likelihood at the estimate, as the Newton engine computed it."""
        return self._newton.llf

    @cached_property
    def _eta(self) -> np.ndarray:
        eta = self._newton.eta
        return super()._eta if eta is None else eta

    @cached_property
    def llnull(self) -> float:
        """Log-likelihood of the constant-only model with the same offset (as statsmodels)."""
        from ..engines.newton import newton_mle

        d = self.model.design
        res = newton_mle(np.ones((d.nobs, 1)), d.y, d.offset, maxiter=100)
        return res.llf

    @property
    def llr(self) -> float:
        return 2 * (self.llf - self.llnull)

    @property
    def llr_pvalue(self) -> float:
        return float(stats.chi2.sf(self.llr, self.df_model)) if self.df_model > 0 else np.nan

    @property
    def prsquared(self) -> float:
        """McFadden's pseudo R-squared, 1 - llf/llnull."""
        with np.errstate(divide="ignore"):
            return 1 - self.llf / self.llnull

    @property
    def _rank(self) -> int:
        # the design's rank: k once the construction check proved full rank, else one SVD
        return self.model.design.rank

    @property
    def df_model(self) -> float:
        return float(self._rank - 1)

    @property
    def df_resid(self) -> float:
        return float(self.nobs - self._rank)

    @property
    def aic(self) -> float:
        return -2 * self.llf + 2 * self._rank

    @property
    def bic(self) -> float:
        return -2 * self.llf + np.log(self.nobs) * self._rank

    # -- fitted values and residuals ---------------------------------------------------
    @property
    def fittedvalues(self) -> pd.Series:
        """Linear predictor ``X @ params`` **without** the offset (statsmodels' convention)."""
        d = self.model.design
        return pd.Series(d.X @ self._params, index=d.row_labels)

    @cached_property
    def _fitted_p(self) -> np.ndarray:
        return expit(self._eta)

    def _p(self) -> np.ndarray:
        return self._fitted_p

    @property
    def resid_response(self) -> pd.Series:
        d = self.model.design
        return pd.Series(d.y - self._p(), index=d.row_labels)

    @property
    def resid_pearson(self) -> pd.Series:
        d = self.model.design
        p = self._p()
        return pd.Series((d.y - p) / np.sqrt(p * (1 - p)), index=d.row_labels)

    @property
    def resid_dev(self) -> pd.Series:
        d = self.model.design
        p = self._p()
        y = d.y
        with np.errstate(divide="ignore"):
            dev = -(1 - y) * np.sqrt(2 * np.abs(np.log(1 - p))) + y * np.sqrt(
                2 * np.abs(np.log(p)))
        return pd.Series(dev, index=d.row_labels)

    def pred_table(self, threshold: float = 0.5) -> np.ndarray:
        """Confusion matrix ``[[TN, FP], [FN, TP]]``: rows observed, columns ``p > threshold``."""
        y = self.model.design.y
        pred = self._p() > threshold
        return np.histogram2d(y, pred, bins=[[0, 0.5, 1], [0, 0.5, 1]])[0]

    # -- hypothesis tests and margins --------------------------------------------------
    def wald_test(self, hypothesis: Any):
        """Joint Wald chi-square test of linear restrictions, e.g. ``"GPA = 0, TUCE = 0"``,
        a matrix R (testing R b = 0) or a tuple (R, q)."""
        from ..inference.hypotheses import parse_hypothesis
        from ..inference.wald import wald_test

        R, q = parse_hypothesis(hypothesis, self._names)
        return wald_test(self._params, self._cov, R, q)

    def t_test(self, hypothesis: Any):
        """Individual z tests of linear restrictions (statsmodels' ``t_test`` for ModelLike)."""
        from ..inference.hypotheses import parse_hypothesis_rows
        from ..inference.wald import t_test

        R, q, rows = parse_hypothesis_rows(hypothesis, self._names)
        return t_test(self._params, self._cov, R, q, row_names=rows)

    def get_margeff(self, at: str = "overall", method: str = "dydx", atexog: Any = None,
                    dummy: bool = False, count: bool = False):
        """Average or at-a-point marginal effects with delta-method standard errors, as
        statsmodels' ``get_margeff`` (plus support for offsets)."""
        from ..inference.margins import marginal_effects

        d = self.model.design
        return marginal_effects(self._params, self._cov, d.X, d.offset, tuple(self._names),
                                d.intercept_index, at=at, method=method, dummy=dummy,
                                count=count, atexog=atexog, endog_name=self.model.endog_name)

    # -- report ------------------------------------------------------------------------
    def notes(self) -> list[str]:
        out = []
        if self.separation is not None and self.separation.separated:
            out.append(self.separation.message())
        if not self.converged:
            out.append(f"Not converged after {self.iterations} Newton iterations (last max "
                       f"|step| {self._newton.last_step:.3g}; see the warnings for the cause); "
                       "estimates are unreliable.")
        if not self.model.design.binary:
            out.append("Fractional response: quasi-likelihood estimates; llf is the Bernoulli "
                       "quasi-log-likelihood.")
        return out

    def _report(self) -> str:
        from .report import mle_report

        return mle_report(self)
