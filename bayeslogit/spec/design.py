"""Turning user data into a validated design: arrays or pandas, missing values, rank.

The output is a :class:`Design`: float64 arrays ``X`` (n, k), ``y`` (n,), ``offset`` (n,) or
None, names, what was dropped for missing values, and for formula models
(:mod:`bayeslogit.spec.formula`) the formulaic model spec, so that new raw data is re-encoded
exactly as in training (:func:`bayeslogit.spec.newdata.encode_new_data`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
from numpy.typing import NDArray

from ..errors import (
    MissingDataError,
    RankDeficiencyError,
)
from .columns import (
    align_to_index,
    apply_missing_policy,
    check_missing_policy,
    check_outcome_range,
    drop_reason,
    format_labels,
    offset_to_float,
    outcome_to_float,
)
from .containers import unmask
from .counts import binomial_constant, check_counts, counts_to_float
from .exog import exog_to_float, find_intercept

FloatArray = NDArray[np.float64]

__all__ = ["Design", "design_from_arrays", "exog_to_float", "check_rank",
           "find_intercept", "check_finite"]


@dataclass(frozen=True)
class Design:
    """Validated model data. Arrays are private copies; the caller's data is never touched.

    ``dropped`` counts, per source (e.g. ``"exog 'x1'"``, ``"column 'g'"``), the rows dropped
    for a missing value there (a row may count under several sources); ``dropped_labels``
    are the index labels of all dropped rows. ``event`` is the response level coded as 1
    when the response was categorical. ``offset_column`` is the data column read as offset
    (``offset="col"``), ``offset_terms`` the formula columns of ``offset(...)`` terms;
    ``exog_named`` says that the columns came from a DataFrame (matched by name at predict).
    With ``trials`` (binomial counts) ``y`` holds the proportions successes / trials;
    ``freq_weights`` repeats rows; ``trials_column`` / ``weights_column`` name the data
    columns they came from (formula models). See :mod:`bayeslogit.spec.counts`.
    """

    X: FloatArray
    y: FloatArray
    offset: FloatArray | None
    exog_names: tuple[str, ...]
    endog_name: str
    intercept_index: int | None
    row_labels: pd.Index
    n_dropped: int = 0
    formula: str | None = None
    model_spec: Any = None
    categorical_levels: dict[str, list] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    dropped_labels: pd.Index | None = None
    event: Any = None
    offset_column: str | None = None
    offset_terms: tuple[str, ...] = ()
    exog_named: bool = False
    trials: FloatArray | None = None
    freq_weights: FloatArray | None = None
    trials_column: str | None = None
    weights_column: str | None = None
    #: formula models: the raw columns the formula's right-hand side reads, complete cases
    #: (what ``slopes``/``comparisons`` perturb and re-encode when no new data are given)
    frame: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    @property
    def nobs(self) -> int:
        """Number of rows."""
        return self.X.shape[0]

    @cached_property
    def weights(self) -> FloatArray | None:
        """Binomial weight per row, trials times frequency weight (None for plain rows)."""
        if self.trials is None:
            return None if self.freq_weights is None else self.freq_weights
        return self.trials if self.freq_weights is None else self.trials * self.freq_weights

    @property
    def successes(self) -> FloatArray:
        """Successes per row (``y`` itself without trials)."""
        return self.y if self.trials is None else np.round(self.y * self.trials)

    @property
    def total_weight(self) -> float:
        """Rows counted with their frequency weights (statsmodels GLM's ``nobs``)."""
        return float(self.nobs if self.freq_weights is None else self.freq_weights.sum())

    @cached_property
    def loglike_constant(self) -> float:
        """Binomial log-likelihood minus the expanded 0/1 rows' (0 without trials)."""
        return binomial_constant(self.y, self.trials, self.freq_weights)

    @cached_property
    def binary(self) -> bool:
        """Whether every response is 0 or 1 (else proportions or counts)."""
        return bool(np.all((self.y == 0) | (self.y == 1)))

    @property
    def quasi(self) -> bool:
        """Whether the likelihood is the quasi-likelihood of proportions (no trials given)."""
        return self.trials is None and not self.binary

    @cached_property
    def rank(self) -> int:
        """Column rank of ``X``.

        Its column count once :meth:`check_full_rank` passed, else computed (one SVD) on
        first use.
        """
        return int(np.linalg.matrix_rank(self.X))

    def check_full_rank(self) -> None:
        """:func:`check_rank` on this design; on success ``rank`` is known without an SVD.

        Raises
        ------
        RankDeficiencyError, ColumnScaleError
            As :func:`check_rank`.
        """
        check_rank(self.X, self.exog_names)
        self.__dict__["rank"] = self.X.shape[1]  # the cached_property's slot: proven here

    def check_magnitudes(self) -> None:
        """:func:`~bayeslogit.conditioning.check_magnitudes` on ``X``."""
        from ..conditioning import check_magnitudes

        check_magnitudes(self.X, self.exog_names)

    @property
    def moments_basis(self) -> FloatArray:
        """Rows whose column means and standard deviations are X's (for prior autoscaling)."""
        return self.X

    @property
    def drop_note(self) -> str:
        """The rows dropped for missing values, as a sentence ('' when none were)."""
        return drop_reason(self.n_dropped, self.dropped)

    @property
    def has_offset(self) -> bool:
        """Whether the model has an offset."""
        return self.offset is not None


def check_finite(arrays: dict[str, np.ndarray], labels: pd.Index) -> None:
    """Raise :class:`MissingDataError` for infinite values, which are never dropped."""
    found = []
    for what, arr in arrays.items():
        bad = np.isinf(arr)
        if bad.any():
            rows = bad if bad.ndim == 1 else bad.any(axis=1)
            found.append(f"{what} row {format_labels(labels, rows, 1)[1:-1]}")
    if found:
        raise MissingDataError(
            f"Infinite values in {found[0]} (and {len(found) - 1} more places); infinite "
            "values are never dropped: fix or remove those rows."
        )


def check_rank(X: FloatArray, names: tuple[str, ...]) -> None:
    """Refuse designs the engines cannot fit reliably, naming the columns and a remedy.

    Raises
    ------
    RankDeficiencyError
        rank(X) < k (linear dependence to within rounding). Nearly collinear columns pass
        here; the fit diagnoses them (a ConvergenceWarning naming them and the condition
        number of the information).
    ColumnScaleError
        A column of magnitude above 1e150 or below 1e-150 (see
        :func:`~bayeslogit.conditioning.check_magnitudes`).
    """
    from ..conditioning import check_magnitudes

    n, k = X.shape
    if k == 0:
        raise ValueError("The design has no columns.")
    if n < k:
        raise RankDeficiencyError(
            f"Only {n} observations for {k} coefficients {list(names)}: the design cannot have "
            "full column rank. Drop terms or pass priors and use method='map'."
        )
    gram = X.T @ X
    diag = np.diag(gram)
    # the Gram's diagonal screens the magnitudes: max|x| > 1e150 or all |x| < 1e-150 put a
    # sum of squares outside [1e-280, 1e280] (for any n below 1e20); only then is X scanned
    if not np.all((diag > 1e-280) & (diag < 1e280)):
        check_magnitudes(X, names)
    scale = np.sqrt(diag).copy()
    scale[scale == 0] = 1.0
    evals = np.linalg.eigvalsh(gram / scale / scale[:, None])
    # eigenvalues of the scaled Gram are the squared singular values of X / scale, to within
    # about eps * k: a ratio far above eps proves full rank at the SVD tolerance below
    if evals[0] > 1e-8 * evals[-1]:
        return
    r = scipy.linalg.qr(X, mode="r", check_finite=False)[0][:k] / scale
    _, s, vt = np.linalg.svd(r)
    tol = s.max() * max(n, k) * np.finfo(float).eps
    null = vt[s <= tol]
    if null.shape[0]:
        involved = [names[j] for j in np.flatnonzero(np.abs(null).max(axis=0) > 1e-6)]
        zero_cols = [names[j] for j in np.flatnonzero(np.all(X == 0, axis=0))]
        hint = f" Column(s) {zero_cols} are all zero." if zero_cols else ""
        raise RankDeficiencyError(
            f"The design matrix is rank deficient (rank {k - null.shape[0]} < {k} columns): "
            f"columns {involved} are linearly dependent.{hint} Drop one of them (with C(...) "
            "this is often the dummy-variable trap), or pass check_rank=False with a proper prior."
        )


def _nulls_and_infs(y: np.ndarray, X: np.ndarray, off: np.ndarray | None,
                    names: tuple[str, ...], endog_name: str,
                    labels: pd.Index, extra: dict[str, np.ndarray] | None = None,
                    ) -> dict[str, np.ndarray]:
    """Missing-value masks per source, after refusing infinite values."""
    extra = {k: v for k, v in (extra or {}).items() if v is not None}
    with np.errstate(over="ignore", invalid="ignore"):  # an overflowing sum: check in full
        quick = np.isfinite(X.sum()) and np.isfinite(y.sum()) and (
            off is None or np.isfinite(off.sum())) and all(
            np.isfinite(v.sum()) for v in extra.values())
    if quick:
        return {}  # sums of finite values are finite unless they overflow: then check in full
    inf_cols = np.flatnonzero(np.isinf(X).any(axis=0))
    check_finite({f"endog {endog_name!r}": y,
                  **{f"exog column {names[j]!r}": X[:, j] for j in inf_cols},
                  **({"offset": off} if off is not None else {}), **extra}, labels)
    nulls = {f"endog {endog_name!r}": np.isnan(y)}
    nan_cols = np.isnan(X).any(axis=0)
    nulls.update({f"exog {names[j]!r}": np.isnan(X[:, j]) for j in np.flatnonzero(nan_cols)})
    if off is not None:
        nulls["offset"] = np.isnan(off)
    nulls.update({k: np.isnan(v) for k, v in extra.items()})
    return nulls


def design_from_arrays(endog: Any, exog: Any, offset: Any = None, missing: str = "none",
                       event: Any = None, trials: Any = None,
                       freq_weights: Any = None) -> Design:
    """Validate array or pandas input (names carried; numpy gets ``const``, ``x1``, ...).

    Parameters
    ----------
    endog, exog, offset, missing, event, trials, freq_weights
        As for :class:`bayeslogit.Logit`. pandas ``endog``, ``offset``, ``trials`` and
        ``freq_weights`` are aligned to ``exog``'s index when the labels match as a set.

    Returns
    -------
    Design
        Private float copies of the complete cases, with what was dropped and why.

    Raises
    ------
    ColumnMismatchError
        Indexes that differ as sets, duplicate column names.
    MissingDataError
        Missing values under ``missing="none"``/``"raise"``; infinite values.
    ValueError
        Non-numeric data, a response outside [0, 1], mismatched lengths or shapes.
    """
    check_missing_policy(missing)
    if isinstance(endog, pd.DataFrame):
        if endog.shape[1] != 1:
            raise ValueError(
                f"endog must be one column, got a DataFrame with {endog.shape[1]} columns "
                f"{list(endog.columns)}; pass the response column, e.g. df['y']."
            )
        endog = endog.iloc[:, 0]
    endog_name = str(endog.name) if isinstance(endog, pd.Series) and endog.name is not None \
        else "y"
    target = exog.index if isinstance(exog, pd.Series | pd.DataFrame) else (
        endog.index if isinstance(endog, pd.Series) else None)
    if target is not None:
        endog = align_to_index(endog, target, "endog", "exog")
        offset = align_to_index(offset, target, "offset", "exog")
        trials = align_to_index(trials, target, "trials", "exog")
        freq_weights = align_to_index(freq_weights, target, "freq_weights", "exog")
    X, names, named = exog_to_float(exog)
    values = endog if isinstance(endog, pd.Series) else np.asarray(unmask(endog))
    if not isinstance(values, pd.Series):
        values = np.squeeze(values) if values.ndim == 2 and 1 in values.shape else values
        if values.ndim != 1:
            raise ValueError(f"endog must be one-dimensional, got shape {values.shape}.")
    y = outcome_to_float(values, endog_name, event, "bl.Logit(y, X, event={event!r})")
    n = y.shape[0]
    if X.shape[0] != n:
        raise ValueError(f"endog has {n} rows but exog has {X.shape[0]}; they must match.")
    off = offset_to_float(offset, n)
    tri = counts_to_float(trials, n, "trials")
    fw = counts_to_float(freq_weights, n, "freq_weights")
    labels = pd.Index(target) if target is not None else pd.RangeIndex(n)
    nulls = _nulls_and_infs(y, X, off, names, endog_name, labels,
                            {"trials": tri, "freq_weights": fw})
    keep, counts = apply_missing_policy(nulls, labels, missing)
    dropped = int(n - keep.sum())
    dropped_labels = labels[~keep] if dropped else labels[:0]
    if dropped:
        y, X, labels = y[keep], X[keep], labels[keep]
        off = off[keep] if off is not None else None
        tri = tri[keep] if tri is not None else None
        fw = fw[keep] if fw is not None else None
    if y.shape[0] == 0:
        raise ValueError("No observations left (empty data, or every row had missing values).")
    if tri is None:
        check_outcome_range(y, endog_name, "bl.Logit(y, X, event={event!r})",
                            "y = (y == {event!r}).astype(int)")
    y, tri, fw = check_counts(y, tri, fw, pd.Index(labels), endog_name,
                              "bl.Logit(y, X) without trials=")
    off = off.copy() if off is not None else None
    return Design(np.ascontiguousarray(X), y.copy(), off, names, endog_name, find_intercept(X),
                  pd.Index(labels), dropped, dropped=counts, dropped_labels=dropped_labels,
                  event=event, exog_named=named,
                  trials=None if tri is None else tri.copy(),
                  freq_weights=None if fw is None else fw.copy())
