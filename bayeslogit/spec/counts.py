r"""Binomial counts (``trials=``) and frequency weights (``freq_weights=``).

With trials :math:`n_i`, frequency weights :math:`w_i` and success counts :math:`s_i`, every
engine uses one kernel,

.. math:: \ell(\beta) = \sum_i w_i\,[s_i\eta_i - n_i\log(1 + e^{\eta_i})]
          = \sum_i m_i\,[y_i\eta_i - \log(1 + e^{\eta_i})],

with the proportion :math:`y_i = s_i/n_i` (what :class:`~bayeslogit.spec.design.Design`
stores as ``y``) and the binomial weight :math:`m_i = w_i n_i` (``Design.weights``; None for
plain 0/1 rows). It is the log-likelihood of the expanded 0/1 rows exactly; the binomial
log-likelihood (statsmodels ``GLM(Binomial)``) adds :math:`\sum_i w_i\log\binom{n_i}{s_i}`
(:func:`binomial_constant`).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import gammaln, xlogy

from ..errors import DataWarning
from .columns import format_labels, offset_to_float

__all__ = ["whole_numbers",
           "counts_to_float", "check_counts", "binomial_constant", "binomial_constants_obs",
           "saturated_loglike", "binomial_deviance_residuals", "confusion_counts",
           "expanded_rows"]


def counts_to_float(value: Any, n: int, what: str) -> np.ndarray | None:
    """Convert ``trials`` or ``freq_weights`` (scalar, array or Series) to floats, NaN if missing.

    Already aligned by the caller (a Series on the data's index); None stays None.
    """
    if value is None:
        return None
    if isinstance(value, pd.Series) and pd.api.types.is_bool_dtype(value.dtype):
        raise ValueError(f"{what} is boolean; pass whole numbers (e.g. {what}=df['n']).")
    return offset_to_float(value, n, what)


#: largest distance from a whole number still taken as rounding noise (below it, relative
#: noise of 1e-9); a fraction of 0.25 or more is never noise, so ``1e15 + 0.5`` (a float
#: that holds the .5 exactly) is not a whole number however large the count
_MAX_NOISE = 0.2


def whole_numbers(a: np.ndarray) -> np.ndarray:
    """Tell, per element, whether ``a`` holds a whole number (up to rounding noise).

    Noise is 1e-9 relative (counts computed as proportion x trials), at most 0.2 in absolute
    terms, so a half is noticed at every magnitude where a float can hold one (below 2**52;
    beyond 2**53 every float is whole).
    """
    return np.abs(a - np.round(a)) <= np.minimum(1e-9 * np.maximum(1.0, np.abs(a)),
                                                 _MAX_NOISE)


def _keep_positive(what: str, source: str | None, formula: bool) -> str:
    """Return a pasteable remedy keeping the rows where ``what`` (from ``source``) is > 0."""
    if source is not None:  # a pandas expression over the data, e.g. "data['n']"
        return f"data = data[{source} > 0]"
    rows = "data[keep]" if formula else "exog[keep], endog[keep]"
    return f"keep = np.asarray({what}) > 0, then pass {rows} and {what}={what}[keep]"


def _check_total(values: np.ndarray, what: str) -> None:
    """Refuse counts whose total is beyond the largest float (every sum would be infinite)."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.sum(values))
    if not np.isfinite(total):
        raise ValueError(
            f"The total of {what} overflows a float (largest {np.max(values):.3g}); the "
            "likelihood cannot be computed. Divide them by a common factor (constant "
            "frequency weights do not change the estimates).")


def check_counts(y: np.ndarray, trials: np.ndarray | None, freq_weights: np.ndarray | None,
                 labels: pd.Index, endog_name: str, call: str,
                 sources: dict[str, str] | None = None,
                 ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Validate complete rows of counts and weights; return (proportions, trials, weights).

    ``y`` holds success counts when ``trials`` is given (else 0/1 or proportions, checked by
    the caller). ``call`` is how the user builds the model, for the remedies; ``sources``
    maps ``"trials"`` / ``"freq_weights"`` to the pandas expression they were read from
    (``"data['n']"``), when they came from data columns.

    Raises
    ------
    ValueError
        Non-integer, negative or zero trials; non-integer or negative counts; counts above
        the trials; non-positive or non-integer frequency weights (naming the rows).

    Warns
    -----
    DataWarning
        Every count is 0 or 1 while some trials exceed 1: possibly a 0/1 outcome passed with
        the group sizes.
    """
    sources = sources or {}
    formula = call.startswith("bl.Logit.from_formula")
    if freq_weights is not None:
        bad = ~whole_numbers(freq_weights)
        if bad.any():
            raise ValueError(
                f"freq_weights must be whole numbers (each row stands for w identical rows); "
                f"rows {format_labels(labels, bad)} hold {freq_weights[bad][:5].tolist()}. "
                "Round them, or use them as trials only if they count Bernoulli trials.")
        bad = freq_weights <= 0
        if bad.any():
            raise ValueError(
                f"freq_weights must be positive; rows {format_labels(labels, bad)} hold "
                f"{freq_weights[bad][:5].tolist()}. Drop those rows first: "
                f"{_keep_positive('freq_weights', sources.get('freq_weights'), formula)}.")
        freq_weights = np.round(freq_weights)
        _check_total(freq_weights, "freq_weights")
    if trials is None:
        return y, None, freq_weights
    bad = ~whole_numbers(trials) | (trials < 0)
    if bad.any():
        raise ValueError(
            f"trials must be non-negative whole numbers; rows {format_labels(labels, bad)} "
            f"hold {trials[bad][:5].tolist()}.")
    bad = trials == 0
    if bad.any():
        raise ValueError(
            f"trials is 0 in rows {format_labels(labels, bad)}: a row without trials carries "
            f"no information. Drop those rows first: "
            f"{_keep_positive('trials', sources.get('trials'), formula)}.")
    bad = ~whole_numbers(y) | (y < 0)
    if bad.any():
        hint = (" It looks like proportions: pass the success counts, e.g. "
                f"{endog_name} = round(proportion * trials)."
                if np.all((y[bad] > 0) & (y[bad] < 1)) else "")
        raise ValueError(
            f"With trials, endog {endog_name!r} counts successes and must hold non-negative "
            f"whole numbers; rows {format_labels(labels, bad)} hold {y[bad][:5].tolist()}."
            f"{hint}")
    bad = y > trials
    if bad.any():
        raise ValueError(
            f"endog {endog_name!r} exceeds trials in rows {format_labels(labels, bad)} "
            f"(successes {y[bad][:5].tolist()} > trials {trials[bad][:5].tolist()}); with "
            "trials the response is the number of successes out of trials. If the response "
            "counts failures, pass trials - failures.")
    trials, y = np.round(trials), np.round(y)
    _check_total(trials if freq_weights is None else trials * freq_weights,
                 "trials" if freq_weights is None else "trials x freq_weights")
    many = trials > 1
    if many.any() and np.all((y == 0) | (y == 1)) and y.size > 1:
        warnings.warn(
            f"Every {endog_name!r} is 0 or 1, yet trials exceed 1 in rows "
            f"{format_labels(labels, many)}: with trials the response counts successes out "
            f"of trials. If {endog_name!r} is a 0/1 outcome per row, drop trials ({call}); "
            "if these are rare-event counts, ignore this warning.",
            DataWarning, stacklevel=4)
    return y / trials, trials, freq_weights


def binomial_constant(y: np.ndarray, trials: np.ndarray | None,
                      freq_weights: np.ndarray | None) -> float:
    r""":math:`\sum_i w_i\log\binom{n_i}{s_i}`: binomial minus expanded-rows log-likelihood.

    Zero without trials (0/1 rows have no coefficient).
    """
    c = binomial_constants_obs(y, trials, freq_weights)
    return 0.0 if c is None else float(c.sum())


def binomial_constants_obs(y: np.ndarray, trials: np.ndarray | None,
                           freq_weights: np.ndarray | None) -> np.ndarray | None:
    r"""Per-row :math:`w_i\log\binom{n_i}{s_i}` (None without trials)."""
    if trials is None:
        return None
    s = np.round(y * trials)
    c = gammaln(trials + 1) - gammaln(s + 1) - gammaln(trials - s + 1)
    return c if freq_weights is None else c * freq_weights


def saturated_loglike(design: Any) -> float:
    """Log-likelihood of the saturated model (fitted p = observed proportion), constant included."""
    y = design.y
    m = np.ones(design.nobs) if design.weights is None else design.weights
    return float(m @ (xlogy(y, y) + xlogy(1 - y, 1 - y))) + design.loglike_constant


def binomial_deviance_residuals(y: np.ndarray, p: np.ndarray, trials: np.ndarray) -> np.ndarray:
    r""":math:`\mathrm{sign}(y-p)\sqrt{2n[y\log(y/p) + (1-y)\log((1-y)/(1-p))]}` per row."""
    unit = xlogy(y, y) - xlogy(y, p) + xlogy(1 - y, 1 - y) - xlogy(1 - y, 1 - p)
    return np.sign(y - p) * np.sqrt(np.maximum(2 * trials * unit, 0.0))


def confusion_counts(design: Any, predicted: np.ndarray) -> np.ndarray:
    """``[[TN, FP], [FN, TP]]`` of the expanded 0/1 rows for per-row predictions (bool).

    Frequency weights count each row w times; with trials a row's successes are observed 1s
    and its failures observed 0s.
    """
    pred = np.asarray(predicted, dtype=float)
    w = np.ones(design.nobs) if design.freq_weights is None else design.freq_weights
    if design.trials is None:
        return np.histogram2d(design.y, pred, bins=[[0, 0.5, 1], [0, 0.5, 1]], weights=w)[0]
    s = design.successes * w
    f = (design.trials - design.successes) * w
    return np.array([[f @ (1 - pred), f @ pred], [s @ (1 - pred), s @ pred]])


def expanded_rows(design: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """Repeat each row of the design and offset trials x weight times (the 0/1 rows).

    Used where statistics average over observations (marginal effects); costs O(total
    trials) in memory, so only there.
    """
    if design.weights is None:
        return design.X, design.offset
    reps = np.round(design.weights).astype(np.int64)
    off = None if design.offset is None else np.repeat(design.offset, reps)
    return np.repeat(design.X, reps, axis=0), off
