"""Results represented by coefficient draws: posteriors and the Laplace approximation.

Posteriors come from NUTS, Gibbs or importance sampling.

Point summaries come from the draws (``params`` = posterior mean, ``bse`` = posterior sd);
intervals, ESS, R-hat and MCSE come from ArviZ. Predictions (:mod:`.predictive`), PSIS-LOO
and power scaling (:mod:`.pointwise`) are computed from the draws in numpy, in blocks of
observations so memory stays bounded.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import SamplingWarning
from ..spec.newdata import as_new_data
from ..validation import CIKind, DrawPredictKind, check_choice, check_probability, check_seed
from .base import SUMMARY_COLUMNS, LogitResultsBase
from .draws_arviz import DrawsArviz
from .options import FitOptions
from .predictive import predict_draws, probability_draws

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.figure import Figure

    from ..spec.model_spec import ModelSpec

__all__ = ["DrawResults", "PosteriorResults"]


class DrawResults(DrawsArviz, LogitResultsBase):
    """Base for results made of draws of shape (chain, draw, coef) in a DataTree."""

    method = "draws"
    stores_draws = True

    def __init__(self, model: ModelSpec, tree: Any, info: dict[str, Any] | None = None,
                 options: FitOptions | None = None, *, beta: np.ndarray | None = None) -> None:
        """Wrap draws; ``tree`` is their DataTree or a function that builds it.

        A builder (a function of no arguments) is called on first use, and ``beta``, the
        draws it holds, is then required: a fit that is never asked for a summary or a tree
        does not pay for building one (nor for xarray's probe of optional backends such as
        dask).
        """
        self.model = model
        self._tree_value: Any = None
        self._tree_builder: Callable[[], Any] | None = None
        if callable(tree):
            if beta is None:
                raise TypeError("A tree builder needs beta=, the draws it holds.")
            self._tree_builder = tree
            self._beta = np.asarray(beta, dtype=float)
        else:
            self._tree_value = tree
            self._beta = np.asarray(tree["posterior"]["beta"].values, dtype=float)
        self.info = dict(info or {})
        self.options = FitOptions(method=self.method) if options is None else options
        self._summaries: dict[tuple[float, str], pd.DataFrame] = {}
        self._derived: dict[tuple[str, Any], Any] = {}

    @property
    def _tree(self) -> Any:
        """The DataTree of the stored groups, built on first use when it was deferred."""
        if self._tree_value is None and self._tree_builder is not None:
            self._tree_value = self._tree_builder()
            self._tree_builder = None
        return self._tree_value

    def _state(self) -> dict[str, Any]:
        return {"model": self.model, "tree": self._tree, "info": self.info,
                "options": self.options}

    @property
    def draws(self) -> np.ndarray:
        """Coefficient draws, shape (chain, draw, k)."""
        return self._beta

    @property
    def approximation(self) -> str | None:
        """What the draws approximate the posterior with (None for samplers that target it)."""
        return self._tree["posterior"].attrs.get("approximation")

    @property
    def params(self) -> pd.Series:
        """Posterior means of the coefficients."""
        return pd.Series(self._beta.mean(axis=(0, 1)), index=self.model.exog_names,
                         name="params")

    @property
    def bse(self) -> pd.Series:
        """Posterior standard deviations of the coefficients."""
        flat = self._beta.reshape(-1, self._beta.shape[-1])
        return pd.Series(flat.std(axis=0, ddof=1), index=self.model.exog_names, name="bse")

    def cov_params(self) -> pd.DataFrame:
        """Return the posterior covariance of the coefficients (DataFrame by coefficient)."""
        flat = self._beta.reshape(-1, self._beta.shape[-1])
        names = self.model.exog_names
        return pd.DataFrame(np.cov(flat, rowvar=False).reshape(len(names), len(names)),
                            index=names, columns=names)

    def summary(self, ci_prob: float = 0.95, ci_kind: CIKind = "eti") -> pd.DataFrame:
        """Summarise the posterior of every coefficient, with convergence diagnostics.

        Parameters
        ----------
        ci_prob : float
            Interval probability in (0, 1).
        ci_kind : {"eti", "hdi"}
            Equal-tailed or highest-density interval.

        Returns
        -------
        DataFrame
            Indexed by ``term``: ``estimate`` (mean), ``std_error`` (sd), ``ci_lower``,
            ``ci_upper``, then ArviZ's ``ess_bulk``, ``ess_tail``, ``r_hat`` (rank-normalised)
            and ``mcse_mean``; ``attrs`` holds nobs and the rows dropped for missing values.

        Raises
        ------
        ValueError
            ``ci_prob`` outside (0, 1) or an unknown ``ci_kind``.

        References
        ----------
        .. [1] Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. and Burkner, P.-C. (2021).
           "Rank-normalization, folding, and localization: an improved R-hat for assessing
           convergence of MCMC." Bayesian Analysis 16(2), 667-718.

        Examples
        --------
        >>> import numpy as np, bayeslogit as bl
        >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
        >>> model = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X, priors=bl.Normal(0, 2.5))
        >>> post = model.sample(sampler="gibbs", random_seed=1, progressbar=False)
        >>> list(post.summary(ci_kind="hdi").columns[4:])
        ['ess_bulk', 'ess_tail', 'r_hat', 'mcse_mean']
        """
        import arviz_stats as az  # statistics only; avoids importing matplotlib

        ci_prob = check_probability("ci_prob", ci_prob)
        ci_kind = check_choice("ci_kind", ci_kind, CIKind, call="result.summary")
        # the draws never change, so each (ci_prob, ci_kind) is computed once
        if (ci_prob, ci_kind) in self._summaries:
            return self._summaries[ci_prob, ci_kind].copy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            s = az.summary(self._tree, var_names=["beta"], ci_prob=ci_prob, ci_kind=ci_kind,
                           round_to="none")
        lb = [c for c in s.columns if c.endswith("_lb")][0]
        ub = [c for c in s.columns if c.endswith("_ub")][0]
        table = pd.DataFrame({
            "estimate": self.params.to_numpy(), "std_error": self.bse.to_numpy(),
            "ci_lower": s[lb].to_numpy(float), "ci_upper": s[ub].to_numpy(float),
            "ess_bulk": s["ess_bulk"].to_numpy(float), "ess_tail": s["ess_tail"].to_numpy(float),
            "r_hat": s["r_hat"].to_numpy(float), "mcse_mean": s["mcse_mean"].to_numpy(float),
        }, index=pd.Index(self.model.exog_names, name="term"))
        table = table[SUMMARY_COLUMNS + ["ess_bulk", "ess_tail", "r_hat", "mcse_mean"]]
        table.attrs.update(self._data_attrs())
        self._summaries[ci_prob, ci_kind] = table
        return table.copy()

    # -- prediction --------------------------------------------------------------------
    def predict(self, data: Any = None, kind: DrawPredictKind = "mean", offset: Any = None,
                ci_prob: float | None = None) -> pd.Series | pd.DataFrame | np.ndarray:
        """Predict from the posterior draws (no recompilation).

        Parameters
        ----------
        data : DataFrame or array, optional
            New raw data (formula models) or exog array; None uses the training data.
        kind : {"mean", "linear", "draws"}
            Posterior mean of the probability, of the linear predictor, or (``"draws"``) the
            array of probability draws with shape (chain, draw, obs).
        offset : array-like, optional
            Offset for new data.
        ci_prob : float, optional
            Add equal-tailed posterior intervals: DataFrame ``estimate, ci_lower, ci_upper``.

        Returns
        -------
        Series, DataFrame or ndarray
            ``predicted_mean`` / ``predicted_linear`` indexed as ``data``; with ``ci_prob`` a
            DataFrame; for ``kind="draws"`` an array of shape (chain, draw, obs).

        Raises
        ------
        ValueError
            An unknown ``kind``, ``ci_prob`` outside (0, 1) or given with ``kind="draws"``,
            new data of the wrong shape.
        ColumnMismatchError
            New data lacking a column the model needs.

        References
        ----------
        .. [1] Gelman, A., Carlin, J. B., Stern, H. S., Dunson, D. B., Vehtari, A. and Rubin,
           D. B. (2013). Bayesian Data Analysis, 3rd ed., ch. 6 (posterior predictions).

        Examples
        --------
        >>> import numpy as np, bayeslogit as bl
        >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
        >>> model = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X, priors=bl.Normal(0, 2.5))
        >>> post = model.sample(sampler="gibbs", random_seed=1, progressbar=False)
        >>> post.predict(kind="draws").shape
        (4, 1000, 8)
        """
        self._check_kind(kind, DrawPredictKind)
        if kind == "draws" and ci_prob is not None:
            raise ValueError(f"ci_prob={ci_prob!r} does not apply to kind='draws', which returns "
                             "every draw; use predict(data, ci_prob=...) for intervals, or "
                             "np.quantile on the draws.")
        X, off, index = self._prediction_inputs(data, offset)
        c, d, _ = self._beta.shape
        if kind == "draws":
            return probability_draws(self._beta, X, off)
        q = None if ci_prob is None else check_probability("ci_prob", ci_prob)
        cols = predict_draws(self._beta, X, off, probability=kind == "mean", ci_prob=q)
        if q is None:
            return pd.Series(cols[0], index=index, name=f"predicted_{kind}")
        return pd.DataFrame(dict(zip(("estimate", "ci_lower", "ci_upper"), cols, strict=True)),
                            index=index)

    def posterior_predictive(self, data: Any = None, offset: Any = None,
                             random_seed: Any = None, trials: Any = None) -> np.ndarray:
        """Draw outcomes, shape (chain, draw, obs), once per coefficient draw.

        Parameters
        ----------
        data : DataFrame, dict, Series or array-like, optional
            New rows, as for :meth:`predict` (default: the model's rows).
        offset : array-like, scalar or str, optional
            As for :meth:`predict`.
        random_seed : int, numpy Generator, SeedSequence or None
            Seed of the draws.
        trials : str, scalar or array-like, optional
            Binomial trials of the new rows (a column name of ``data``, one value, or one
            per row). A model with trials draws successes out of its own trials without
            ``data``, and out of its trials column of ``data`` (a model reading them from a
            column) when ``trials`` is not given.

        Returns
        -------
        ndarray
            0/1 outcomes (int8), or success counts out of the trials (int32, int64 above
            2**31 - 1 trials). Rows with a missing predictor or trials are NaN (the array is
            then float).

        Raises
        ------
        ValueError
            A model with trials given new data without them; trials that are not whole
            numbers >= 1; ``trials`` without ``data``.
        """
        from .predictive import new_trials, outcome_draws

        rng = np.random.default_rng(check_seed(random_seed))
        d = self.model.design
        if data is None and trials is not None:
            raise ValueError("trials= goes with new data: posterior_predictive(data, "
                             "trials=...); without data the model's own trials are used.")
        p = np.asarray(self.predict(data, kind="draws", offset=offset))
        counts = d.trials if data is None else new_trials(d, as_new_data(d, data), trials,
                                                          p.shape[-1])
        return outcome_draws(p, rng, counts)

    # -- ArviZ: to_arviz, loo and power_scaling come from DrawsArviz -------------------
    def plot_power_scaling(self, coefs: Sequence[str] | None = None,
                           **kwargs: Any) -> Figure:
        """Plot the power-scaled posteriors of the coefficients (``arviz.plot_psense_dist``).

        Parameters
        ----------
        coefs : sequence of str, optional
            The coefficients, one row each (default all).
        **kwargs
            Passed to ``arviz_plots.plot_psense_dist``.

        Returns
        -------
        matplotlib.figure.Figure
            Not registered with pyplot: a notebook cell ending with the call shows it once.

        Raises
        ------
        UnsupportedPriorError
            Every prior is flat, so there is no ``log_prior`` group to scale.
        """
        self._require_log_prior("plot_power_scaling")
        from .figures import plot_power_scaling

        return plot_power_scaling(self, coefs, **kwargs)

    # -- diagnostics -------------------------------------------------------------------
    def diagnostics(self) -> dict[str, float]:
        """Return the divergences, the max R-hat and the min bulk and tail ESS."""
        s = self.summary()
        out = {"max_r_hat": float(np.nanmax(s["r_hat"])) if s["r_hat"].notna().any() else np.nan,
               "min_ess_bulk": float(np.nanmin(s["ess_bulk"])),
               "min_ess_tail": float(np.nanmin(s["ess_tail"]))}
        stats = self._tree.children.get("sample_stats")
        if stats is not None and "diverging" in stats:
            out["divergences"] = int(np.asarray(stats["diverging"].values).sum())
        return out

    def warn_if_unreliable(self) -> None:
        """Warn (SamplingWarning) on divergent transitions or an R-hat above 1.01."""
        from ..errors import warn_from_caller
        from .report import exceeds

        diag = self.diagnostics()
        problems = []
        if diag.get("divergences", 0) > 0:
            problems.append(f"{diag['divergences']} divergent transitions (raise target_accept "
                            "or reparametrise)")
        if np.isfinite(diag["max_r_hat"]) and diag["max_r_hat"] > 1.01:
            problems.append(f"max R-hat {exceeds(diag['max_r_hat'], 1.01)} (run longer "
                            "chains)")
        if problems:
            warn_from_caller("Sampling diagnostics: " + "; ".join(problems) + ".",
                             SamplingWarning)

    def _report(self) -> str:
        from .report import draws_report

        return draws_report(self)

    def plot_trace(self, coefs: Sequence[str] | None = None,
                   figsize: tuple[float, float] | None = None) -> Figure:
        """Draw one row per coefficient: its density by chain and its trace.

        Parameters
        ----------
        coefs : sequence of str, optional
            The coefficients, one row each (default all).
        figsize : (float, float), optional
            Figure size in inches (default 10 wide, 2 per row).

        Returns
        -------
        matplotlib.figure.Figure
            Not registered with pyplot: a notebook cell ending with the call shows it once.
        """
        from .figures import plot_trace

        return plot_trace(self, coefs, figsize)


class PosteriorResults(DrawResults):
    """Posterior from a sampler (``Logit.sample``); ``info["sampler"]`` names it."""

    method = "posterior"
