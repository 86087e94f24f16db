r"""Maximum-likelihood results with statsmodels' names and values.

Differences from statsmodels, on purpose: ``cov_type="HC1"`` applies the n/(n-k) factor
(statsmodels returns HC0 for HC1-HC3); with fractional y, ``llf`` is the Bernoulli
quasi-log-likelihood :math:`\sum y\log p + (1-y)\log(1-p)` (statsmodels uses
:math:`\sum\log\Lambda((2y-1)\eta)`, which is not a log-likelihood for fractional y); margins
are available with an offset.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from ..checks import check_array_like, check_bool
from ..spec import counts as count_stats
from ..validation import MargeffAt, MargeffMethod, check_choice, check_probability
from .mode import ModeResults
from .options import FitOptions
from .residuals import ResidualsMixin

if TYPE_CHECKING:
    from ..engines.newton import NewtonResult
    from ..engines.separation import SeparationReport
    from ..inference.margins import MarginalEffects
    from ..inference.wald import ContrastResults, WaldTestResult
    from ..spec.model_spec import ModelSpec

__all__ = ["MLEResults"]


class MLEResults(ResidualsMixin, ModeResults):
    """Result of ``Logit.fit()`` (method ``"mle"``).

    Attributes follow statsmodels' ``LogitResults`` (``params``, ``bse``, ``tvalues``,
    ``pvalues``, ``llf``, ``llnull``, ``prsquared``, ``aic``, ``bic``, ``mle_retvals``, ...).
    """

    method = "mle"

    def __init__(self, model: ModelSpec, newton: NewtonResult, cov: np.ndarray, cov_type: str,
                 cov_description: str, separation: SeparationReport | None,
                 options: FitOptions | None = None) -> None:
        super().__init__(model, newton.params, cov, options)
        self._newton = newton
        self.cov_type = cov_type
        self.cov_description = cov_description
        self.separation = separation

    def _state(self) -> dict[str, Any]:
        return {"model": self.model, "newton": self._newton, "cov": self._cov,
                "cov_type": self.cov_type, "cov_description": self.cov_description,
                "separation": self.separation, "options": self.options}

    # -- fit diagnostics ---------------------------------------------------------------
    @property
    def converged(self) -> bool:
        """Whether Newton met its stopping rule at a finite, non-singular estimate."""
        return self._newton.converged

    @property
    def iterations(self) -> int:
        """Newton iterations taken."""
        return self._newton.iterations

    @property
    def nobs(self) -> int:
        """Observations used: rows (binomial rows once each), or the sum of ``freq_weights``."""
        return int(round(self.model.design.total_weight))

    @property
    def mle_retvals(self) -> dict[str, Any]:
        """Return statsmodels' Newton values, with this engine's details.

        statsmodels' keys: ``fopt`` (-llf / nobs), ``score`` (the negated score divided by
        nobs), ``Hessian`` (the information divided by nobs: statsmodels' sign and scale),
        ``iterations``, ``warnflag``, ``converged``. Added: ``last_step``, ``halvings``,
        ``convergence_rule`` ("absolute": stopped where statsmodels' absolute step rule stops;
        "scaled": the rule on the column-scaled problem decided, because the absolute rule
        could not be met or would have stopped early in these units),
        ``statsmodels_iterations`` (where the absolute rule alone was first met, None if
        never) and ``column_scale`` (the powers of two of the scaled problem).
        """
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
        """The z statistics, params / bse (statsmodels' name ``tvalues``)."""
        return pd.Series(self._params / self.bse.to_numpy(), index=self._names, name="z")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values of the z statistics (normal reference, as statsmodels)."""
        return pd.Series(2 * stats.norm.sf(np.abs(self.tvalues.to_numpy())), index=self._names,
                         name="pvalues")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Return Wald intervals, columns 0 and 1 as statsmodels (pandas output).

        Parameters
        ----------
        alpha : float
            One minus the coverage, in (0, 1): 0.05 gives 95% intervals.

        Returns
        -------
        DataFrame
            Lower (column 0) and upper (column 1) limits per coefficient.
        """
        lo, hi = self._interval(1 - check_probability("alpha", alpha, 0.05))
        return pd.DataFrame({0: lo, 1: hi}, index=self._names)

    def summary(self, ci_prob: float = 0.95) -> pd.DataFrame:
        """Summarise every coefficient as statsmodels' table does, as a DataFrame.

        Parameters
        ----------
        ci_prob : float
            Probability of the Wald interval, in (0, 1).

        Returns
        -------
        DataFrame
            Indexed by ``term``: ``estimate, std_error, ci_lower, ci_upper, z, p_value``
            (statsmodels' ``params, bse, conf_int, tvalues, pvalues``, under the
            ``cov_type`` of the fit); ``attrs`` holds nobs and the dropped rows.

        Raises
        ------
        ValueError
            ``ci_prob`` outside (0, 1).

        References
        ----------
        .. [1] Seabold, S. and Perktold, J. (2010). "statsmodels: Econometric and statistical
           modeling with Python." Proc. 9th Python in Science Conference.

        Examples
        --------
        >>> import numpy as np, bayeslogit as bl
        >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
        >>> r = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X).fit()
        >>> r.summary()[["z", "p_value"]].round(3).to_numpy().tolist()
        [[-1.2, 0.23], [1.374, 0.169]]
        """
        table = super().summary(ci_prob)
        table["z"] = self.tvalues.to_numpy()
        table["p_value"] = self.pvalues.to_numpy()
        return table

    # -- likelihood statistics ---------------------------------------------------------
    @property
    def llf(self) -> float:
        """Log-likelihood at the estimate; binomial (GLM's) with counts.

        The expanded 0/1 rows' log-likelihood is ``llf - model.design.loglike_constant``.
        """
        return self._newton.llf + self.model.design.loglike_constant

    @cached_property
    def _eta(self) -> np.ndarray:
        eta = self._newton.eta
        return super()._eta if eta is None else eta

    @cached_property
    def llnull(self) -> float:
        """Log-likelihood of the constant-only model with the same offset (as statsmodels)."""
        from ..engines.newton import newton_mle

        d = self.model.design
        res = newton_mle(np.ones((d.nobs, 1)), d.y, d.offset, maxiter=100, weights=d.weights)
        return res.llf + d.loglike_constant

    @property
    def deviance(self) -> float:
        """Binomial deviance, 2 (saturated llf - llf) (GLM's); -2 llf for 0/1 rows."""
        return float(2 * (count_stats.saturated_loglike(self.model.design) - self.llf))

    @property
    def llr(self) -> float:
        """Likelihood-ratio statistic against the constant-only model, 2 (llf - llnull)."""
        return 2 * (self.llf - self.llnull)

    @property
    def llr_pvalue(self) -> float:
        """Chi-square p-value of ``llr`` with ``df_model`` degrees of freedom."""
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
        """Model degrees of freedom: rank of the design minus one (statsmodels')."""
        return float(self._rank - 1)

    @property
    def df_resid(self) -> float:
        """Residual degrees of freedom: nobs minus the rank of the design."""
        return float(self.nobs - self._rank)

    @property
    def aic(self) -> float:
        """Akaike information criterion, -2 llf + 2 rank."""
        return -2 * self.llf + 2 * self._rank

    @property
    def bic(self) -> float:
        """Bayesian information criterion, -2 llf + log(nobs) rank."""
        return -2 * self.llf + np.log(self.nobs) * self._rank

    # -- hypothesis tests and margins --------------------------------------------------
    def wald_test(self, hypothesis: Any) -> WaldTestResult:
        """Test linear restrictions jointly with a Wald chi-square test.

        Parameters
        ----------
        hypothesis : str, array-like or tuple
            ``"GPA = 0, TUCE = 0"`` (coefficient names), a matrix R (testing R b = 0) or a
            tuple (R, q) testing R b = q.

        Returns
        -------
        WaldTestResult
            ``statistic``, ``pvalue``, ``df`` (statsmodels' ``wald_test(scalar=True)``).

        Raises
        ------
        ValueError
            A hypothesis that does not parse or has the wrong shape.
        """
        from ..inference.hypotheses import parse_hypothesis
        from ..inference.wald import wald_test

        R, q = parse_hypothesis(hypothesis, self._names)
        return wald_test(self._params, self._cov, R, q)

    def t_test(self, hypothesis: Any) -> ContrastResults:
        """Test each linear restriction with its own z test (statsmodels' ``t_test``).

        Parameters
        ----------
        hypothesis : str, array-like or tuple
            As for :meth:`wald_test`; one row per restriction.

        Returns
        -------
        ContrastResults
            ``effect``, ``sd``, ``statistic``, ``pvalue``, ``summary_frame()``.

        Raises
        ------
        ValueError
            A hypothesis that does not parse or has the wrong shape.
        """
        from ..inference.hypotheses import parse_hypothesis_rows
        from ..inference.wald import t_test

        R, q, rows = parse_hypothesis_rows(hypothesis, self._names)
        return t_test(self._params, self._cov, R, q, row_names=rows)

    def get_margeff(self, at: MargeffAt = "overall", method: MargeffMethod = "dydx",
                    atexog: Any = None, dummy: bool = False,
                    count: bool = False, columnwise: bool = False) -> MarginalEffects:
        r"""Compute marginal effects with delta-method standard errors, as statsmodels.

        A formula variable entering several columns (``x1 * x2``, ``I(x1**2)``) gets, at
        ``"overall"``, its average slope through the formula and derived columns no row
        (:func:`~bayeslogit.inference.effects_margeff.through_formula`); see :meth:`avg_slopes`.

        Parameters
        ----------
        at : {"overall", "mean", "median", "zero", "all"}
            Average the per-row effects (``"overall"``), evaluate at the column means,
            medians or at zero, or return every row's effect (``"all"``, no inference).
            Case-insensitive.
        method : {"dydx", "eyex", "dyex", "eydx"}
            :math:`\partial p/\partial x_j` on the probability scale (``dydx``), or the
            elasticities: ``eyex`` :math:`\partial\log p/\partial\log x_j`, ``dyex``
            :math:`\partial p/\partial\log x_j`, ``eydx`` :math:`\partial\log p/\partial
            x_j`. Case-insensitive.
        atexog : dict or array-like, optional
            Fix columns at values: a dict by column index or name, or a full row / array.
        dummy : bool
            Treat 0/1 columns as discrete: :math:`F(\eta|x_j=1) - F(\eta|x_j=0)`.
        count : bool
            Treat other integer columns as counts: a one-unit centred difference.
        columnwise : bool
            Differentiate design columns one at a time always (statsmodels' numbers).

        Returns
        -------
        MarginalEffects
            ``margeff``, ``margeff_se``, ``summary_frame()``, ``summary()`` (statsmodels'
            layout); the constant column is left out.

        Raises
        ------
        ValueError
            An unknown ``at`` or ``method`` (statsmodels' wording, then the options), an
            elasticity or ``at`` not allowed for discrete columns, a bad ``atexog``.

        References
        ----------
        .. [1] Seabold, S. and Perktold, J. (2010). "statsmodels: Econometric and statistical
           modeling with Python." Proc. 9th Python in Science Conference
           (``DiscreteResults.get_margeff``, reproduced here; offsets are also supported).

        Examples
        --------
        >>> import numpy as np, bayeslogit as bl
        >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
        >>> r = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X).fit()
        >>> r.get_margeff().margeff.round(3).tolist()
        [0.104]
        """
        from ..inference.effects_margeff import through_formula
        from ..inference.margins import marginal_effects

        at = check_choice("at", at, MargeffAt, call="result.get_margeff", fold_case=True)
        method = check_choice("method", method, MargeffMethod, call="result.get_margeff",
                              fold_case=True)
        dummy, count, columnwise = (check_bool(k, v, call="result.get_margeff") for k, v in (
            ("dummy", dummy), ("count", count), ("columnwise", columnwise)))
        if atexog is not None and not isinstance(atexog, Mapping):
            check_array_like("atexog", atexog, remedy="pass a dict of column index to value, "
                             "e.g. atexog={1: 0.5}, or an array of one row of exog")
        d = self.model.design
        X, off = count_stats.expanded_rows(d) if at != "all" and atexog is None else (d.X, d.offset)
        me = marginal_effects(self._params, self._cov, X, off, tuple(self._names),
                              d.intercept_index, at=at, method=method, dummy=dummy,
                              count=count, atexog=atexog, endog_name=self.model.endog_name)
        plain = me.at == "overall" and atexog is None and not (dummy or count)
        return me if columnwise else through_formula(d, self._params, self._cov, me, plain)

    # -- report ------------------------------------------------------------------------
    def notes(self) -> list[str]:
        """Return the notes printed under the report (separation, convergence, fractional y)."""
        out = []
        if self.separation is not None and self.separation.separated:
            out.append(self.separation.message())
        if not self.converged:
            out.append(f"Not converged after {self.iterations} Newton iterations (last max "
                       f"|step| {self._newton.last_step:.3g}; see the warnings for the cause); "
                       "estimates are unreliable.")
        if self.model.design.quasi:
            out.append("Fractional response: quasi-likelihood estimates; llf is the Bernoulli "
                       "quasi-log-likelihood.")
        return out

    def _report(self) -> str:
        from .report import mle_report

        return mle_report(self)
