"""The interface every result shares, whatever produced it.

``params`` and ``bse`` (pandas Series indexed by coefficient), ``summary(ci_prob)`` (a
DataFrame whose first columns are always ``estimate, std_error, ci_lower, ci_upper``),
``predict(data, kind, offset, ci_prob)``, ``to_arviz()`` (an ArviZ DataTree), ``save(path)``,
``options`` (the :class:`~bayeslogit.results.options.FitOptions` it was fitted with), a text
report via ``print(result)``, and the probability-scale ``predictions``, ``slopes`` and
``comparisons`` (with their ``avg_`` forms) of :mod:`bayeslogit.results.effects`.

Results never change after construction, so what is derived from them is built once and
cached: the DataTree (``to_arviz()`` returns a shallow copy of the cached tree each call, so
adding or replacing groups in the copy leaves the result alone, while the arrays are shared
and must not be modified in place) and the text report.
"""

from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import ColumnMismatchError, DataWarning
from ..spec.columns import align_to_index, offset_to_float
from ..spec.design import Design
from ..spec.newdata import as_new_data, encode_new_data
from ..validation import PredictKind, check_choice
from .effects import EffectsMixin
from .options import FitOptions
from .save import save_result

if TYPE_CHECKING:
    import xarray

    from ..spec.model_spec import ModelSpec

__all__ = ["LogitResultsBase", "SUMMARY_COLUMNS", "new_data_offset",
           "rebuild_result"]

SUMMARY_COLUMNS = ["estimate", "std_error", "ci_lower", "ci_upper"]


def new_data_offset(design: Design, data: Any, offset: Any, term: np.ndarray | None,
                    index: pd.Index) -> np.ndarray | None:
    """Return the offset for predictions on new data.

    An explicit ``offset`` wins (an array, a scalar, or the name of a column of ``data``);
    otherwise the model's offset column (``offset="col"`` at fit) is read from ``data`` and
    ``offset(...)`` formula terms are added. A model fitted with an array offset predicts new
    data with offset 0, with a :class:`~bayeslogit.errors.DataWarning`.
    """
    m = len(index)
    frame = data if isinstance(data, pd.DataFrame) else None
    if offset is not None:
        if isinstance(offset, str):
            if frame is None or offset not in frame.columns:
                cols = f" (columns {list(frame.columns)})" if frame is not None else ""
                raise ColumnMismatchError(
                    f"offset={offset!r} is not a column of the new data{cols}; pass the name "
                    f"of a column of a DataFrame, or an array of {m} values.")
            return offset_to_float(frame[offset], m, f"offset column {offset!r}")
        if frame is not None:
            offset = align_to_index(offset, frame.index, "offset", "data")
        return offset_to_float(offset, m)
    col = design.offset_column
    if col is not None:
        if frame is None or col not in frame.columns:
            raise ColumnMismatchError(
                f"The model was fitted with offset={col!r}, but the new data have no column "
                f"{col!r}; add it, or pass offset= explicitly (offset=0 for none).")
        base = offset_to_float(frame[col], m, f"offset column {col!r}")
        return base if term is None else base + term
    if term is not None:
        return term
    if design.offset is not None:
        warnings.warn("The model was fitted with an offset array; the new data are predicted "
                      "with offset 0. Pass offset= (one value per new row, or offset=0) to say "
                      "which offset applies.", DataWarning, stacklevel=4)
    return None


def rebuild_result(cls: type, state: dict[str, Any], report: str | None = None) -> Any:
    """Rebuild a result of class ``cls`` from its state (its constructor's arguments).

    What pickling, ``copy.deepcopy`` and :func:`bayeslogit.load` call: a result is rebuilt
    by its constructor, so whatever it derives and caches is recomputed on demand, except
    the printed ``report`` when it was built (it shows the date and time it was first made).
    """
    result = cls(**state)
    if report is not None:
        result.__dict__["_report_text"] = report
    return result


class LogitResultsBase(EffectsMixin):
    """Shared base: data access for prediction, persistence, and the result interface.

    Subclasses set ``model``, ``method`` and ``options`` and implement ``params``, ``bse``,
    ``summary``, ``predict``, ``to_arviz`` and ``_report`` (the text of ``print(result)``).
    """

    model: ModelSpec
    method: str
    #: the arguments the result was fitted with (read-only; see :class:`FitOptions`)
    options: FitOptions
    #: whether the result is made of draws (saved files hold them in ``posterior``)
    stores_draws: bool = False

    # -- pickling --------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        """Return the constructor's arguments that rebuild this result."""
        raise NotImplementedError

    def __reduce__(self) -> tuple[Any, ...]:
        # pickle and deepcopy keep the state, not the caches (trees, reports, summaries)
        return rebuild_result, (type(self), self._state(), self.__dict__.get("_report_text"))

    # -- prediction helpers --------------------------------------------------------------
    def _prediction_inputs(self, data: Any, offset: Any) -> tuple[np.ndarray, np.ndarray | None,
                                                                  pd.Index]:
        d = self.model.design
        if data is None:
            if offset is None:
                return d.X, d.offset, d.row_labels
            if isinstance(offset, str):
                raise ColumnMismatchError(
                    f"offset={offset!r} names a column, but no data were passed; pass the new "
                    f"data too, or an array of {d.nobs} values.")
            off = offset_to_float(align_to_index(offset, d.row_labels, "offset", "the data"),
                                  d.nobs)
            return d.X, off, d.row_labels
        data = as_new_data(d, data)
        X, term = encode_new_data(d, data)
        index = pd.Index(data.index) if isinstance(data, pd.DataFrame | pd.Series) else \
            pd.RangeIndex(X.shape[0])
        return X, new_data_offset(d, data, offset, term, index), index

    def _data_attrs(self) -> dict[str, Any]:
        """Metadata attached to ``summary().attrs``: the data behind the estimates."""
        d = self.model.design
        return {"nobs": d.nobs, "n_dropped": d.n_dropped, "dropped": dict(d.dropped),
                "dropped_note": d.drop_note, "endog_name": d.endog_name, "event": d.event}

    @staticmethod
    def _check_kind(kind: Any, allowed: Any = PredictKind) -> str:
        return check_choice("kind", kind, allowed, call="result.predict")

    # -- interface -----------------------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        """Point estimates by coefficient: the MLE, the mode, or the posterior mean."""
        raise NotImplementedError

    @property
    def bse(self) -> pd.Series:
        """Standard errors by coefficient (posterior standard deviations for draws)."""
        raise NotImplementedError

    def summary(self, ci_prob: float = 0.95) -> pd.DataFrame:
        """Summarise every coefficient: estimate, standard error and interval.

        Parameters
        ----------
        ci_prob : float
            Interval probability in (0, 1).

        Returns
        -------
        DataFrame
            Indexed by coefficient (``term``); the first columns are always ``estimate,
            std_error, ci_lower, ci_upper`` (Wald intervals for MLE and MAP, posterior
            intervals for draws), then kind-specific columns; ``attrs`` holds ``nobs`` and
            the rows dropped for missing values.

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
        >>> list(r.summary().columns[:4])
        ['estimate', 'std_error', 'ci_lower', 'ci_upper']
        """
        raise NotImplementedError

    def predict(self, data: Any = None, kind: str = "mean", offset: Any = None,
                ci_prob: float | None = None) -> pd.Series | pd.DataFrame:
        """Predict probabilities or linear predictors for the training or new data.

        Parameters
        ----------
        data : DataFrame or array-like, optional
            New raw data (re-encoded exactly as in training), or None for the training data.
        kind : {"mean", "linear"}
            Probability or linear predictor (draw-based results also take ``"draws"``).
        offset : array-like, scalar or str, optional
            Offset for the new data (a column name of ``data``, an array or a scalar).
        ci_prob : float, optional
            Add an interval with this probability.

        Returns
        -------
        Series or DataFrame
            A Series indexed as ``data``, or with ``ci_prob`` a DataFrame ``estimate,
            ci_lower, ci_upper``.

        Raises
        ------
        ValueError
            An unknown ``kind``, ``ci_prob`` outside (0, 1), data of the wrong shape.
        ColumnMismatchError
            New data lacking a column of the model.

        References
        ----------
        .. [1] Seabold, S. and Perktold, J. (2010). "statsmodels: Econometric and statistical
           modeling with Python." Proc. 9th Python in Science Conference.

        Examples
        --------
        >>> import numpy as np, bayeslogit as bl
        >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
        >>> r = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X).fit()
        >>> r.predict(np.array([[1.0, 7.0]])).round(3).tolist()
        [0.889]
        """
        raise NotImplementedError

    def to_arviz(self) -> xarray.DataTree:
        """Return the result as an ArviZ DataTree of coefficient draws.

        Returns
        -------
        xarray.DataTree
            At least ``posterior`` (``beta``, dims ``chain, draw, coef``),
            ``observed_data`` and ``constant_data``; see the kind's ``to_arviz``.

        Raises
        ------
        ValueError
            No draws can be made (a non-finite covariance).

        References
        ----------
        .. [1] Kumar, R., Carroll, C., Hartikainen, A. and Martin, O. (2019). "ArviZ a unified
           library for exploratory analysis of Bayesian models in Python." Journal of Open
           Source Software 4(33), 1143.

        Examples
        --------
        >>> import numpy as np, bayeslogit as bl
        >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
        >>> tree = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X).fit().to_arviz()
        >>> tree["posterior"]["beta"].shape
        (4, 1000, 2)
        """
        raise NotImplementedError

    def _report(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        # the report of an immutable result: built on the first print, then reused
        text = self.__dict__.get("_report_text")
        if text is None:
            text = self.__dict__["_report_text"] = self._report()
        return text

    def save(self, path: str | bytes | os.PathLike[str]) -> None:
        """Write the result to a netCDF file; :func:`bayeslogit.load` restores it exactly.

        The file holds the data once, the draws of draw-based results (not their pointwise
        log-likelihood) and the result's state: options, estimate, covariance and reports
        (layout: :mod:`bayeslogit.results.save`; README "Saving and sharing results").

        The write cannot destroy the file already at ``path``: the result is written to a
        temporary file in the same folder, flushed to disk, then renamed over ``path``; on
        any error or interrupt the old file is left as it was and the temporary file removed.

        Parameters
        ----------
        path : str, bytes or path-like
            The file to write (replaced if it exists; a symbolic link is followed).

        Raises
        ------
        OSError
            The write failed; the message names the path and the cause in words ("the disk
            is full", "the file is larger than ... allows (file size limit)").
        TypeError, IsADirectoryError, ValueError
            ``path`` is not a path, is a folder, or is not a regular file.
        """
        save_result(self, path)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} method={self.method!r} nobs={self.model.nobs}>"

    # notebooks and IPython show the report (print(result)), not the one-line repr
    def _repr_html_(self) -> str:
        from .report import html_report

        return html_report(str(self))

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self) if cycle else str(self))
