"""Results of fits on Dask data: the in-memory result kinds, with row-wise work on the cluster.

Statistics that need the rows (``llnull``, ``pred_table``, ``llf`` of a mode) are one pass
over the blocks (:mod:`bayeslogit.engines.distributed`); per-row outputs (``predict``,
``fittedvalues``, residuals) are lazy Dask arrays built block by block, computed only when
the caller asks (``.compute()``, ``.to_zarr(...)``). What would gather the rows on the
client is refused with :class:`~bayeslogit.errors.DistributedDataError`.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..engines.distributed import newton_evaluator, null_loglik, pred_table
from ..errors import DistributedDataError
from ..spec.dask_data import is_dask
from ..spec.dask_frame import encode_partition
from ..validation import PredictKind
from .map import MAPResults
from .mle import MLEResults

__all__ = ["DaskMLEResults", "DaskMAPResults", "lazy_linear_predictor"]


def _block_linear(X: np.ndarray, params: np.ndarray, off: np.ndarray | None = None):
    eta = X @ params
    return eta if off is None else eta + off.reshape(-1)


def lazy_linear_predictor(X: Any, params: np.ndarray, offset: Any = None) -> Any:
    """Return ``X @ params + offset`` as a Dask array, block by block.

    Raises
    ------
    ValueError
        An offset whose length is not the number of rows.
    """
    import dask.array as da

    X = X.rechunk({1: -1})
    if offset is None:
        return da.map_blocks(_block_linear, X, params, drop_axis=1, dtype=float)
    off = da.asarray(offset, dtype=float)
    if off.ndim != 1 or (not np.isnan(X.shape[0]) and off.shape[0] != X.shape[0]):
        raise ValueError(f"offset has shape {off.shape}; the data have {X.shape[0]} rows. "
                         "Pass one offset per row (a Dask array chunked like the rows).")
    # a column, so that its blocks pair with the row blocks of X (a 1-D array would be
    # aligned with X's last axis)
    off = off.rechunk((X.chunks[0],))[:, None]
    return da.map_blocks(_block_linear, X, params, off, drop_axis=1, dtype=float)


class _DaskPredictions:
    """``predict`` and fitted values of Dask fits, lazily."""

    model: Any
    _params: np.ndarray

    def _lazy_eta(self, data: Any, offset: Any) -> Any:
        import dask.array as da

        d = self.model.design
        if data is None:
            return lazy_linear_predictor(d.X, self._params, d.offset if offset is None
                                         else offset)
        if hasattr(data, "map_partitions"):
            if d.formula is None:
                X = data.to_dask_array(lengths=True).astype(float)
            else:
                def encode(part: Any, design: Any = d) -> np.ndarray:
                    frame = part.copy()
                    if design.endog_name not in frame.columns:
                        frame[design.endog_name] = 0.0
                    X, _, off = encode_partition(frame, design, design.endog_name, None,
                                                 design.offset_column)
                    eta = X @ self._params
                    return pd.Series(eta if off is None else eta + off, index=part.index)

                return data.map_partitions(encode, meta=(None, float)).to_dask_array(
                    lengths=True)
            return lazy_linear_predictor(X, self._params, offset)
        if is_dask(data):
            return lazy_linear_predictor(da.asarray(data, dtype=float), self._params, offset)
        raise DistributedDataError(
            "This model was fitted on Dask data; predict from a Dask array or DataFrame (or "
            "nothing, for the training rows). For data in memory, wrap it: "
            "result.predict(da.from_array(X)) or dd.from_pandas(df, npartitions=1).")

    def predict(self, data: Any = None, kind: PredictKind = "mean", offset: Any = None,
                ci_prob: float | None = None) -> Any:
        """Predict lazily: a Dask array of probabilities (``"mean"``) or linear predictors.

        Parameters
        ----------
        data : Dask array or DataFrame, optional
            New data (a DataFrame of raw columns for a formula model), or None for the
            training rows.
        kind : {"mean", "linear"}
            Probability or linear predictor.
        offset : Dask array, optional
            Offset of the new rows.
        ci_prob : None
            Not available on Dask data.

        Returns
        -------
        dask.array.Array
            Computed only when asked (``.compute()``).

        Raises
        ------
        DistributedDataError
            In-memory data, or ``ci_prob``.
        """
        from ..logistic import expit
        from ..validation import check_choice

        key = check_choice("kind", kind, PredictKind, call="result.predict")
        if ci_prob is not None:
            raise DistributedDataError(
                "Prediction intervals are not available on Dask data; predict without "
                "ci_prob, or fit the model in memory (model on data.compute()).")
        eta = self._lazy_eta(data, offset)
        return eta if key == "linear" else eta.map_blocks(expit, dtype=float)

    @property
    def fittedvalues(self) -> Any:
        """Linear predictor ``X @ params`` without the offset, as a lazy Dask array."""
        return lazy_linear_predictor(self.model.design.X, self._params)

    @property
    def resid_response(self) -> Any:
        """Response residuals y - p, as a lazy Dask array."""
        return self.model.design.y - self.predict()

    def save(self, path: Any) -> None:
        """Not available for a fit on Dask data (the file would have to hold the data).

        Parameters
        ----------
        path : str or path-like
            Ignored.

        Raises
        ------
        DistributedDataError
            Always; the message gives the in-memory remedy and what can be kept instead.
        """
        raise DistributedDataError(
            f"save({path!r}) is not available for a fit on Dask data: a saved file holds the "
            "data, which live on the cluster. If they fit in memory, compute them and refit, "
            "then save: bl.Logit(y.compute(), X.compute()).fit().save(path); otherwise keep "
            "the estimates instead, e.g. result.summary().to_csv('fit.csv') and "
            "result.cov_params().to_csv('cov.csv').")

    def get_margeff(self, *args: Any, **kwargs: Any) -> Any:
        """Not available on Dask data.

        Raises
        ------
        DistributedDataError
            Always; the message gives the in-memory remedy.
        """
        raise DistributedDataError(
            "Marginal effects are not available for a fit on Dask data. Fit a sample in "
            "memory: bl.Logit.from_formula(formula, df.sample(frac=0.01).compute()).")


class DaskMLEResults(_DaskPredictions, MLEResults):
    """:class:`~bayeslogit.results.mle.MLEResults` of a fit on Dask data."""

    @cached_property
    def llnull(self) -> float:
        """Log-likelihood of the constant-only model with the same offset (one pass each)."""
        d = self.model.design
        return null_loglik(d.blocks, d.nobs, None if d.score_at_zero is None else d.y_sum) \
            + d.loglike_constant

    @property
    def deviance(self) -> float:
        """Binomial deviance, 2 (saturated llf - llf), the saturated part from construction."""
        d = self.model.design
        if d.count_saturated is None:
            return super().deviance
        return float(2 * (d.count_saturated + d.loglike_constant - self.llf))

    def pred_table(self, threshold: float = 0.5) -> np.ndarray:
        """Return the confusion matrix ``[[TN, FP], [FN, TP]]``, summed over blocks.

        Parameters
        ----------
        threshold : float
            Rows with ``p > threshold`` are predicted 1.

        Returns
        -------
        ndarray, shape (2, 2)
        """
        return pred_table(self.model.design.blocks, self._params, threshold)

    @cached_property
    def _eta(self) -> Any:
        return self._lazy_eta(None, None)

    @property
    def resid_pearson(self) -> Any:
        """Pearson residuals, as a lazy Dask array."""
        p = self.predict()
        return (self.model.design.y - p) / (p * (1 - p)) ** 0.5

    @property
    def resid_dev(self) -> Any:
        """Not computed for Dask data (compute it from ``predict()``).

        Raises
        ------
        DistributedDataError
            Always.
        """
        raise DistributedDataError("Deviance residuals are not provided for Dask data; "
                                   "compute them from p = result.predict().")


class DaskMAPResults(_DaskPredictions, MAPResults):
    """:class:`~bayeslogit.results.map.MAPResults` of a fit on Dask data."""

    @cached_property
    def _eta(self) -> Any:
        return self._lazy_eta(None, None)

    @cached_property
    def llf(self) -> float:
        """Log-likelihood at the mode (one pass); binomial with counts."""
        d = self.model.design
        return newton_evaluator(d.blocks)(self._params)[0] + d.loglike_constant
