"""Results represented by coefficient draws: posteriors and the Laplace approximation.

Posteriors come from NUTS, Gibbs or importance sampling.

Point summaries come from the draws (``params`` = posterior mean, ``bse`` = posterior sd);
intervals, ESS, R-hat and MCSE come from ArviZ. Predictions are computed from the draws in
numpy, in blocks of observations so memory stays bounded.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import SamplingWarning
from ..logistic import expit
from ..validation import CIKind, DrawPredictKind, check_choice, check_probability
from .base import SUMMARY_COLUMNS, LogitResultsBase
from .options import FitOptions

if TYPE_CHECKING:
    import xarray

    from ..spec.model_spec import ModelSpec

__all__ = ["DrawResults", "PosteriorResults"]

_PREDICT_BLOCK_ELEMENTS = 5_000_000


class DrawResults(LogitResultsBase):
    """Base for results made of draws of shape (chain, draw, coef) in a DataTree."""

    method = "draws"
    stores_draws = True

    def __init__(self, model: ModelSpec, tree: Any, info: dict[str, Any] | None = None,
                 options: FitOptions | None = None) -> None:
        self.model = model
        self._tree = tree
        self.info = dict(info or {})
        self.options = FitOptions(method=self.method) if options is None else options
        self._beta = np.asarray(tree["posterior"]["beta"].values, dtype=float)
        self._summaries: dict[tuple[float, str], pd.DataFrame] = {}

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
    def _eta_blocks(self, X: np.ndarray, off: np.ndarray | None):
        flat = self._beta.reshape(-1, self._beta.shape[-1])
        block = max(1, _PREDICT_BLOCK_ELEMENTS // max(1, flat.shape[0]))
        for start in range(0, X.shape[0], block):
            eta = flat @ X[start:start + block].T
            if off is not None:
                eta += off[start:start + block]
            yield start, eta

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
            out = np.empty((c * d, X.shape[0]))
            for start, eta in self._eta_blocks(X, off):
                out[:, start:start + eta.shape[1]] = expit(eta)
            return out.reshape(c, d, X.shape[0])
        transform = expit if kind == "mean" else (lambda v: v)
        est = np.empty(X.shape[0])
        lo = np.empty(X.shape[0])
        hi = np.empty(X.shape[0])
        q = None if ci_prob is None else check_probability("ci_prob", ci_prob)
        for start, eta in self._eta_blocks(X, off):
            vals = transform(eta)
            stop = start + eta.shape[1]
            est[start:stop] = vals.mean(axis=0)
            if q is not None:
                lo[start:stop], hi[start:stop] = np.quantile(vals, [(1 - q) / 2, (1 + q) / 2],
                                                             axis=0)
        if q is None:
            return pd.Series(est, index=index, name=f"predicted_{kind}")
        return pd.DataFrame({"estimate": est, "ci_lower": lo, "ci_upper": hi}, index=index)

    def posterior_predictive(self, data: Any = None, offset: Any = None,
                             random_seed: Any = None) -> np.ndarray:
        """Draw y (0/1), shape (chain, draw, obs), once per coefficient draw.

        For a model with ``trials`` and no new ``data``: successes out of each row's trials.
        """
        rng = np.random.default_rng(random_seed)
        p = self.predict(data, kind="draws", offset=offset)
        trials = self.model.design.trials if data is None else None
        if trials is not None:
            return rng.binomial(trials.astype(np.int64), np.asarray(p))
        return (rng.random(p.shape) < p).astype(np.int8)

    # -- ArviZ -------------------------------------------------------------------------
    def to_arviz(self) -> xarray.DataTree:
        """Return the draws as an ArviZ DataTree.

        Groups: ``posterior``, ``sample_stats``, ``log_likelihood``, ``log_prior``,
        ``observed_data``, ``constant_data``.

        A missing ``log_likelihood`` group (samplers leave it out, as PyMC and bambi do) is
        computed on the first call, when chains * draws * n is at most
        :data:`~bayeslogit.results.datatree.MAX_LOGLIK_ELEMENTS`, and kept.

        Returns
        -------
        xarray.DataTree
            A shallow copy of the result's tree: replacing or adding groups in it leaves the
            result alone; the arrays are shared and must not be modified in place.

        Raises
        ------
        ImportError
            ArviZ is not installed.

        References
        ----------
        .. [1] Kumar, R., Carroll, C., Hartikainen, A. and Martin, O. (2019). "ArviZ a unified
           library for exploratory analysis of Bayesian models in Python." Journal of Open
           Source Software 4(33), 1143.
        .. [2] Vehtari, A., Gelman, A. and Gabry, J. (2017). "Practical Bayesian model
           evaluation using leave-one-out cross-validation and WAIC." Statistics and
           Computing 27(5), 1413-1432 (what the ``log_likelihood`` group serves).

        Examples
        --------
        >>> import numpy as np, bayeslogit as bl
        >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
        >>> model = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X, priors=bl.Normal(0, 2.5))
        >>> post = model.sample(sampler="gibbs", random_seed=1, progressbar=False)
        >>> "log_likelihood" in post.to_arviz().children
        True
        """
        from .datatree import add_log_likelihood

        d = self.model.design
        add_log_likelihood(self._tree, self._beta, d.X, d.y, d.offset, d)
        return self._tree.copy()

    def loo(self, **kwargs: Any) -> Any:
        """Estimate leave-one-out predictive accuracy by PSIS-LOO (:func:`arviz_stats.loo`).

        Parameters
        ----------
        **kwargs
            Passed to :func:`arviz_stats.loo` (e.g. ``pointwise=True``).

        Returns
        -------
        ELPDData
            ArviZ's result: ``elpd``, ``se``, ``p``, Pareto k diagnostics.

        Raises
        ------
        ValueError
            No ``log_likelihood`` group (the data were too large to store it).

        References
        ----------
        .. [1] Vehtari, A., Gelman, A. and Gabry, J. (2017). "Practical Bayesian model
           evaluation using leave-one-out cross-validation and WAIC." Statistics and
           Computing 27(5), 1413-1432.
        """
        import arviz_stats as az

        tree = self.to_arviz()
        if "log_likelihood" not in tree.children:
            raise ValueError("No log_likelihood group stored (the data were too large); "
                             "loo needs it.")
        return az.loo(tree, **kwargs)

    def power_scaling(self, **kwargs: Any) -> pd.DataFrame:
        """Measure prior and likelihood sensitivity by power scaling (no refit).

        Uses ArviZ's ``psense_summary`` on the ``log_prior`` and ``log_likelihood`` groups.

        Parameters
        ----------
        **kwargs
            Passed to ``arviz_stats.psense_summary``.

        Returns
        -------
        DataFrame
            Prior and likelihood sensitivity and a diagnosis per coefficient.

        Raises
        ------
        ValueError
            No ``log_prior`` group (flat priors).

        References
        ----------
        .. [1] Kallioinen, N., Paananen, T., Burkner, P.-C. and Vehtari, A. (2024). "Detecting
           and diagnosing prior and likelihood sensitivity with power-scaling." Statistics
           and Computing 34, 57.
        """
        import arviz_stats as az

        if "log_prior" not in self._tree.children:
            raise ValueError("Power scaling needs a log_prior group; flat priors have none.")
        import contextlib
        import io
        import logging

        # psense_summary logs and prints a reading guide; the returned table is the result
        logger = logging.getLogger("arviz_stats.psense")
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                return az.psense_summary(self.to_arviz(), var_names=["beta"], **kwargs)
        finally:
            logger.setLevel(level)

    def plot_power_scaling(self, **kwargs: Any) -> Any:
        """Plot the power-scaled posteriors of the coefficients (``arviz.plot_psense_dist``).

        Returns
        -------
        matplotlib.figure.Figure
        """
        import arviz as az

        tree = self.to_arviz()
        post = tree["posterior"].to_dataset()
        if len(post.data_vars) == 1:
            # arviz 1.3 returns a DataArray (not a Dataset) for a one-variable posterior and
            # then fails to plot it; a constant companion variable keeps it a Dataset.
            tree["posterior"] = post.assign(_pad=post["beta"].isel(coef=0) * 0.0)
        pc = az.plot_psense_dist(tree, var_names=["beta"], **kwargs)
        return pc.viz["figure"].item() if hasattr(pc, "viz") else pc

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
        diag = self.diagnostics()
        problems = []
        if diag.get("divergences", 0) > 0:
            problems.append(f"{diag['divergences']} divergent transitions (raise target_accept "
                            "or reparametrise)")
        if np.isfinite(diag["max_r_hat"]) and diag["max_r_hat"] > 1.01:
            problems.append(f"max R-hat {diag['max_r_hat']:.3f} > 1.01 (run longer chains)")
        if problems:
            warnings.warn("Sampling diagnostics: " + "; ".join(problems) + ".",
                          SamplingWarning, stacklevel=3)

    def _report(self) -> str:
        from .report import draws_report

        return draws_report(self)


class PosteriorResults(DrawResults):
    """Posterior from a sampler (``Logit.sample``); ``info["sampler"]`` names it."""

    method = "posterior"
