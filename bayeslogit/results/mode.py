r"""Results of point estimation: the MLE (statsmodels-compatible) and the posterior mode.

Both carry an estimate and a covariance, predict with delta-method intervals (on the linear
scale, then transformed), and export the asymptotic normal :math:`N(\hat\beta, \hat V)` as
draws shaped like a posterior (4 chains x 1000 draws) so they overlay NUTS results in ArviZ.
"""

from __future__ import annotations

import warnings
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..conditioning import covariance_root
from ..errors import DataWarning
from ..logistic import expit, log1pexp
from ..validation import PredictKind, check_count, check_probability, check_seed
from .base import SUMMARY_COLUMNS, LogitResultsBase
from .options import FitOptions
from .pointwise import DEFAULT_MAX_ELEMENTS

if TYPE_CHECKING:
    import xarray

    from ..spec.model_spec import ModelSpec

__all__ = ["ModeResults", "asymptotic_draws"]


def asymptotic_draws(params: np.ndarray, cov: np.ndarray, chains: int, draws: int,
                     random_seed: Any) -> np.ndarray:
    """Draw (chains, draws, k) values from N(params, cov).

    Coefficients with NaN variance (L1 zeros) are held at their estimate.
    """
    rng = np.random.default_rng(random_seed)
    k = params.shape[0]
    free = np.isfinite(np.diag(cov))
    out = np.broadcast_to(params, (chains, draws, k)).copy()
    if free.any():
        sub = cov[np.ix_(free, free)]
        if not np.all(np.isfinite(sub)):
            raise ValueError("The covariance matrix has non-finite entries; no draws possible.")
        root = covariance_root(sub)
        z = rng.standard_normal((chains, draws, int(free.sum())))
        out[..., free] += z @ root.T
    return out


class ModeResults(LogitResultsBase):
    """A point estimate with a covariance matrix (base of MLE and MAP results)."""

    method = "mode"

    def __init__(self, model: ModelSpec, params: np.ndarray, cov: np.ndarray,
                 options: FitOptions | None = None) -> None:
        self.model = model
        self._params = np.asarray(params, dtype=float)
        self._cov = np.asarray(cov, dtype=float)
        self.options = FitOptions(method=self.method) if options is None else options
        self._trees: dict[tuple[int, int, Any, bool], Any] = {}

    def _state(self) -> dict[str, Any]:
        return {"model": self.model, "params": self._params, "cov": self._cov,
                "options": self.options}

    # -- estimates ---------------------------------------------------------------------
    @property
    def _names(self) -> list[str]:
        return self.model.exog_names

    @property
    def params(self) -> pd.Series:
        """The estimate by coefficient (the MLE or the posterior mode)."""
        return pd.Series(self._params, index=self._names, name="params")

    def cov_params(self) -> pd.DataFrame:
        """Return the covariance matrix of the estimates (DataFrame indexed by coefficient)."""
        return pd.DataFrame(self._cov, index=self._names, columns=self._names)

    @property
    def bse(self) -> pd.Series:
        """Standard errors: square roots of the diagonal of ``cov_params()``."""
        with np.errstate(invalid="ignore"):
            return pd.Series(np.sqrt(np.diag(self._cov)), index=self._names, name="bse")

    def _interval(self, ci_prob: float) -> tuple[np.ndarray, np.ndarray]:
        q = stats.norm.ppf(0.5 + check_probability("ci_prob", ci_prob) / 2)
        se = self.bse.to_numpy()
        return self._params - q * se, self._params + q * se

    def summary(self, ci_prob: float = 0.95) -> pd.DataFrame:
        """Summarise every coefficient: estimate, standard error and Wald interval.

        Parameters
        ----------
        ci_prob : float
            Interval probability in (0, 1); the interval is estimate +- z * std_error with
            z the normal quantile.

        Returns
        -------
        DataFrame
            Indexed by ``term``: ``estimate, std_error, ci_lower, ci_upper`` (MLE adds
            ``z, p_value``); ``attrs`` holds nobs and the rows dropped for missing values.

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
        >>> r.summary(ci_prob=0.9)["estimate"].round(3).tolist()
        [-2.079, 0.594]
        """
        lo, hi = self._interval(ci_prob)
        table = pd.DataFrame(
            {"estimate": self._params, "std_error": self.bse.to_numpy(), "ci_lower": lo,
             "ci_upper": hi}, index=pd.Index(self._names, name="term"))[SUMMARY_COLUMNS]
        table.attrs.update(self._data_attrs())
        return table

    # -- prediction --------------------------------------------------------------------
    def predict(self, data: Any = None, kind: PredictKind = "mean", offset: Any = None,
                ci_prob: float | None = None) -> pd.Series | pd.DataFrame:
        r"""Predict at the estimate, optionally with delta-method intervals.

        Parameters
        ----------
        data : DataFrame or array, optional
            New raw data for formula models (re-encoded exactly as in training) or a new
            exog array; None predicts on the training data (with its offset).
        kind : {"mean", "linear"}
            Probability :math:`\Lambda(\eta)` or linear predictor :math:`\eta`.
        offset : array-like, optional
            Offset for new data (none by default).
        ci_prob : float, optional
            With a probability, return a DataFrame ``estimate, ci_lower, ci_upper``: a Wald
            interval for :math:`\eta` (variance :math:`x^\top V x`) transformed to the
            probability scale for ``kind="mean"``.

        Returns
        -------
        Series or DataFrame
            ``predicted_mean`` or ``predicted_linear`` indexed as ``data`` (the training
            rows when None); with ``ci_prob`` a DataFrame ``estimate, ci_lower, ci_upper``.

        Raises
        ------
        ValueError
            An unknown ``kind``, ``ci_prob`` outside (0, 1), new data of the wrong shape.
        ColumnMismatchError
            New data lacking a column the model needs (named in the message).
        UnseenLevelError
            A categorical level not seen in training (formula models).

        References
        ----------
        .. [1] Seabold, S. and Perktold, J. (2010). "statsmodels: Econometric and statistical
           modeling with Python." Proc. 9th Python in Science Conference.

        Examples
        --------
        >>> import numpy as np, bayeslogit as bl
        >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
        >>> r = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X).fit()
        >>> r.predict(np.array([[1.0, 7.0]]), kind="linear").round(3).tolist()
        [2.079]
        """
        self._check_kind(kind)
        X, off, index = self._prediction_inputs(data, offset)
        eta = X @ self._params
        if off is not None:
            eta = eta + off
        transform = expit if kind == "mean" else (lambda v: v)
        if ci_prob is None:
            return pd.Series(transform(eta), index=index, name=f"predicted_{kind}")
        q = stats.norm.ppf(0.5 + check_probability("ci_prob", ci_prob) / 2)
        cov = np.nan_to_num(self._cov, nan=0.0)
        se = np.sqrt(np.einsum("ij,jk,ik->i", X, cov, X, optimize=True))
        return pd.DataFrame({"estimate": transform(eta), "ci_lower": transform(eta - q * se),
                             "ci_upper": transform(eta + q * se)}, index=index)

    # -- ArviZ -------------------------------------------------------------------------
    def to_arviz(self, draws: int = 1000, chains: int = 4, random_seed: Any = 0, *,
                 log_likelihood: bool | Literal["auto"] = "auto",
                 max_elements: int = DEFAULT_MAX_ELEMENTS) -> xarray.DataTree:
        r"""Return the estimate as an ArviZ DataTree of draws from its asymptotic normal.

        Parameters
        ----------
        draws, chains : int
            Draws per chain and chains of :math:`N(\hat\beta, \hat V)`.
        random_seed : int, numpy Generator or None
            Seed of the draws. Trees for an integer seed are built once and cached per
            ``(draws, chains, random_seed)`` and the two arguments below.
        log_likelihood : bool or "auto"
            Include the pointwise ``log_likelihood`` and ``sample_stats.lp``: "auto" while
            chains * draws * n is at most ``max_elements``, True at any size.
        max_elements : int
            The size limit of "auto", in values (default 2e7: 160 MB).

        Returns
        -------
        xarray.DataTree
            ``posterior`` (``beta``, labelled ``approximation="asymptotic normal ..."``),
            ``observed_data``, ``constant_data``, ``log_prior`` for MAP, and (see
            ``log_likelihood``) the pointwise ``log_likelihood`` and ``sample_stats.lp`` (the
            log posterior of each draw). "auto" leaves those two out of larger trees, with a
            :class:`~bayeslogit.errors.DataWarning`: each costs a pass over the data per
            draw, many times the fit itself; ``llf`` and ``log_posterior()`` give the values
            at the estimate. A shallow copy of the cached tree: replacing groups in it leaves the
            result alone; the arrays are shared and must not be modified in place.

        Raises
        ------
        ValueError
            The covariance has non-finite entries (no draws possible), or a bad
            ``log_likelihood`` / ``max_elements``.

        Warns
        -----
        DataWarning
            The log-likelihood left out under "auto" (larger than ``max_elements``).

        References
        ----------
        .. [1] Kumar, R., Carroll, C., Hartikainen, A. and Martin, O. (2019). "ArviZ a unified
           library for exploratory analysis of Bayesian models in Python." Journal of Open
           Source Software 4(33), 1143.

        Examples
        --------
        >>> import numpy as np, bayeslogit as bl
        >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
        >>> r = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X).fit()
        >>> sorted(r.to_arviz().children)[:3]
        ['constant_data', 'log_likelihood', 'observed_data']
        """
        from .datatree import posterior_tree
        from .pointwise import fits

        if isinstance(log_likelihood, np.bool_):
            log_likelihood = bool(log_likelihood)
        if not (isinstance(log_likelihood, bool) or (isinstance(log_likelihood, str)
                                                      and log_likelihood == "auto")):
            raise ValueError(f"log_likelihood={log_likelihood!r} is not True, False or "
                             "'auto'; e.g. to_arviz(log_likelihood=True).")
        max_elements = check_count("max_elements", max_elements, 0, example=20_000_000)
        draws = check_count("draws", draws, 1, example=1000)
        chains = check_count("chains", chains, 1, example=4)
        random_seed = check_seed(random_seed)
        d = self.model.design
        store = log_likelihood is True or (log_likelihood == "auto" and fits(
            (chains, draws, 0), d.nobs, max_elements))
        if log_likelihood == "auto" and not store:
            warnings.warn(
                f"to_arviz() left out log_likelihood and sample_stats.lp: {chains} chains x "
                f"{draws} draws x {d.nobs} rows = {chains * draws * d.nobs:,} values, above "
                f"max_elements={max_elements:,}; include them with "
                "to_arviz(log_likelihood=True) or a larger max_elements.",
                DataWarning, stacklevel=2)
        key = (int(draws), int(chains), random_seed, store)
        cacheable = isinstance(random_seed, int | np.integer) and not isinstance(
            random_seed, bool)
        tree = self._trees.get(key) if cacheable else None
        if tree is None:
            beta = asymptotic_draws(self._params, self._cov, chains, draws, random_seed)
            attrs = {"inference_method": self.method,
                     "approximation": "asymptotic normal N(estimate, cov_params)"}
            tree = posterior_tree(beta, d.X, d.y, d.offset, d.exog_names, self._tree_priors(),
                                  attrs=attrs, log_likelihood=store, lp=store, design=d)
            if cacheable:
                self._trees[key] = tree
        return tree.copy()

    def _tree_priors(self):
        return None

    # -- shared statistics -------------------------------------------------------------
    @cached_property
    def _eta(self) -> np.ndarray:
        """Linear predictor at the estimate, offset included."""
        d = self.model.design
        eta = d.X @ self._params
        return eta if d.offset is None else eta + d.offset

    @cached_property
    def llf(self) -> float:
        r"""Log-likelihood :math:`\sum y\eta - \log(1+e^\eta)` at the estimate.

        With counts or frequency weights each row's term is weighted and the binomial
        coefficients are added (:mod:`bayeslogit.spec.counts`).
        """
        eta = self._eta
        d = self.model.design
        terms = d.y * eta - log1pexp(eta)
        return float(terms.sum() if d.weights is None else terms @ d.weights) \
            + d.loglike_constant
