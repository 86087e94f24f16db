"""Fitted values, residuals and the confusion table of an MLE, with statsmodels' names.

A mixin of :class:`~bayeslogit.results.mle.MLEResults`; with binomial trials the residuals
follow statsmodels ``GLM(Binomial)`` (counts for ``resid_response``).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..checks import check_number
from ..logistic import expit
from ..spec import counts as count_stats

__all__ = ["ResidualsMixin"]


class ResidualsMixin:
    """``fittedvalues``, ``resid_response``, ``resid_pearson``, ``resid_dev``, ``pred_table``."""

    model: Any
    _params: np.ndarray
    _eta: np.ndarray

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
        """Response residuals y - p, indexed by row.

        With binomial trials, in the response's units: successes - trials x p (statsmodels
        ``GLM(Binomial)``'s ``resid_response``).
        """
        d = self.model.design
        r = d.y - self._p()
        return pd.Series(r if d.trials is None else d.trials * r, index=d.row_labels)

    @property
    def resid_pearson(self) -> pd.Series:
        """Pearson residuals (y - p) / sqrt(p (1 - p) / n), indexed by row (n the trials)."""
        d = self.model.design
        p = self._p()
        n = 1.0 if d.trials is None else d.trials
        return pd.Series((d.y - p) / np.sqrt(p * (1 - p) / n), index=d.row_labels)

    @property
    def resid_dev(self) -> pd.Series:
        """Deviance residuals, indexed by row."""
        d = self.model.design
        p = self._p()
        y = d.y
        if d.trials is not None:
            dev = count_stats.binomial_deviance_residuals(y, p, d.trials)
            return pd.Series(dev, index=d.row_labels)
        with np.errstate(divide="ignore"):
            dev = -(1 - y) * np.sqrt(2 * np.abs(np.log(1 - p))) + y * np.sqrt(
                2 * np.abs(np.log(p)))
        return pd.Series(dev, index=d.row_labels)

    def pred_table(self, threshold: float = 0.5) -> np.ndarray:
        """Return the confusion matrix ``[[TN, FP], [FN, TP]]`` (statsmodels').

        Rows are observed 0/1, columns ``p > threshold``. Frequency weights count each row
        w times; binomial counts put a row's successes in the observed-1 row and its
        failures in the observed-0 row (the expanded 0/1 rows' table).

        Parameters
        ----------
        threshold : float
            Rows with ``p > threshold`` are predicted 1 (statsmodels' rule).

        Returns
        -------
        ndarray, shape (2, 2)
            Counts; ``table[i, j]`` is the number observed ``i`` and predicted ``j``.
        """
        threshold = check_number("threshold", threshold, low=0.0, high=1.0, example=0.5)
        return count_stats.confusion_counts(self.model.design, self._p() > threshold)
