"""The interface every result shares, whatever produced it.

``params`` and ``bse`` (pandas Series indexed by coefficient), ``summary(ci_prob)`` (a
DataFrame whose first columns are always ``estimate, std_error, ci_lower, ci_upper``),
``predict(data, kind, offset, ci_prob)``, ``to_arviz()`` (an ArviZ DataTree), ``save(path)`` and
a text report via ``print(result)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .design import encode_new_data

if TYPE_CHECKING:
    from .spec import Logit

__all__ = ["LogitResultsBase", "SUMMARY_COLUMNS", "check_ci_prob"]

SUMMARY_COLUMNS = ["estimate", "std_error", "ci_lower", "ci_upper"]
PREDICT_KINDS = ("mean", "linear")


def check_ci_prob(ci_prob: float) -> float:
    ci_prob = float(ci_prob)
    if not 0 < ci_prob < 1:
        raise ValueError(f"ci_prob must be in (0, 1), got {ci_prob}; e.g. 0.95.")
    return ci_prob


class LogitResultsBase:
    """Shared base: data access for prediction, persistence, and the result interface.

    Subclasses set ``model``, ``method`` and implement ``params``, ``bse``, ``summary``,
    ``_predict_frame`` and ``to_arviz``.
    """

    model: Logit
    method: str

    # -- prediction helpers --------------------------------------------------------------
    def _prediction_inputs(self, data: Any, offset: Any) -> tuple[np.ndarray, np.ndarray | None,
                                                                  pd.Index]:
        d = self.model.design
        if data is None:
            off = d.offset if offset is None else np.asarray(offset, dtype=float)
            return d.X, off, d.row_labels
        X = encode_new_data(d, data)
        index = data.index if isinstance(data, pd.DataFrame | pd.Series) else pd.RangeIndex(
            X.shape[0])
        off = None
        if offset is not None:
            off = np.asarray(offset, dtype=float).ravel()
            if off.shape[0] != X.shape[0]:
                raise ValueError(f"offset has length {off.shape[0]} but the new data have "
                                 f"{X.shape[0]} rows.")
        return X, off, pd.Index(index)

    @staticmethod
    def _check_kind(kind: str, allowed: tuple[str, ...] = PREDICT_KINDS) -> str:
        if kind not in allowed:
            raise ValueError(f"kind={kind!r} not understood; use one of {list(allowed)}.")
        return kind

    # -- interface -----------------------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        raise NotImplementedError

    @property
    def bse(self) -> pd.Series:
        raise NotImplementedError

    def summary(self, ci_prob: float = 0.95) -> pd.DataFrame:
        raise NotImplementedError

    def to_arviz(self):
        raise NotImplementedError

    def save(self, path: str) -> None:
        """Write the result to a netCDF file; :func:`bayeslogit.load` restores it."""
        from .persist import save_result

        save_result(self, path)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} method={self.method!r} nobs={self.model.nobs}>"
