r"""Predictions and predictive draws from coefficient draws, in blocks of rows.

Predictions
    :func:`predict_draws` returns, for every row of a design, the posterior mean of
    :math:`\Lambda(x_i^\top\beta)` (or of the linear predictor) and optionally equal-tailed
    intervals. Rows are taken in cache-sized blocks laid out (rows, draws), so each row's
    draws are contiguous; the blocks run on up to 4 threads with BLAS single-threaded
    (:func:`~bayeslogit.blocks.run_ordered`). Interval ends are found by partial selection
    (:func:`order_statistics`: the two order statistics each end needs, from a bracket
    found on a subsample, exact) and interpolated
    exactly as :func:`numpy.quantile`'s default ``"linear"`` method does; for probabilities
    the order statistics of the linear predictor are transformed (the logistic function is
    increasing), so the logistic function is applied once per draw for the mean only.
Predictive groups
    :func:`prior_draws` draws coefficients from per-coefficient priors and
    :func:`simulate_outcomes` 0/1 outcomes given coefficient draws, for the ``prior``,
    ``prior_predictive`` and ``posterior_predictive`` groups of ``to_arviz()``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.special import expit

from ..blocks import BLOCK_ELEMENTS, run_ordered, worker_count
from ..errors import ColumnMismatchError
from ..spec.prior_set import PriorSet

FloatArray = NDArray[np.float64]

__all__ = ["predict_draws", "quantile_ends", "order_statistics", "probability_draws", "prior_draws",
           "simulate_outcomes", "count_dtype", "outcome_draws", "new_trials"]


def _order_positions(count: int, probs: tuple[float, ...]) -> list[tuple[int, int, float]]:
    """(lower index, upper index, weight) of numpy's "linear" quantile for each prob."""
    out = []
    for q in probs:
        virtual = (count - 1) * np.float64(q)
        lo = int(np.floor(virtual))
        gamma = float(virtual - lo)
        if virtual >= count - 1:
            lo = hi = count - 1
        else:
            hi = lo + 1
        out.append((lo, hi, gamma))
    return out


def _lerp(a: FloatArray, b: FloatArray, t: float) -> FloatArray:
    """numpy.quantile's interpolation, operation for operation."""
    diff = b - a
    if t >= 0.5:
        return b - diff * (1 - t)
    return a + diff * t


def order_statistics(values: FloatArray, ranks: list[int]) -> dict[int, FloatArray]:
    """Return the ``ranks``-th smallest values (0-based) of every row of ``values``.

    Exact, by a bracket: a sorted strided subsample of each row gives bounds ``[a, b]``
    that hold the wanted ranks with near certainty; one pass counts the values below ``a``
    and gathers those in ``[a, b]`` (a few percent of the row), which are sorted. Rows
    where the bracket missed (and short rows) use ``ndarray.partition``. ``values`` is
    not modified.
    """
    rows, S = values.shape
    step = S // 256
    out = {r: np.empty(rows) for r in ranks}
    if step < 4:
        part = np.partition(values, ranks, axis=1)
        return {r: part[:, r].copy() for r in ranks}
    sub = np.sort(values[:, ::step], axis=1)
    m = sub.shape[1]
    order = np.arange(rows)
    for r_lo, r_hi in _rank_groups(ranks):
        centre_lo, centre_hi = r_lo * m / S, (r_hi + 1) * m / S
        # four binomial sds of the subsample count below the wanted rank, plus a margin
        frac = min(max(r_lo / S, 1 / S), 1 - 1 / S)
        spread = 4.0 * np.sqrt(m * frac * (1 - frac)) + 2
        i_a, i_b = int(np.floor(centre_lo - spread)), int(np.ceil(centre_hi + spread))
        a = sub[:, i_a] if i_a >= 0 else np.full(rows, -np.inf)
        b = sub[:, i_b] if i_b < m else np.full(rows, np.inf)
        inside = values >= a[:, None]
        below = S - inside.sum(axis=1)  # values are finite: not >= a means < a
        inside &= values <= b[:, None]
        count = inside.sum(axis=1)
        ok = (below <= r_lo) & (below + count >= r_hi + 1)
        picked = np.full((rows, max(int(count.max()), 1)), np.inf)
        flat = values[inside]
        picked[np.repeat(order, count),
               np.arange(flat.size) - np.repeat(np.cumsum(count) - count, count)] = flat
        picked.sort(axis=1)
        for r in range(r_lo, r_hi + 1):
            if r in out:
                out[r][ok] = picked[ok, r - below[ok]]  # bad rows are redone below
        bad = ~ok
        if bad.any():
            part = np.partition(values[bad], list(range(r_lo, r_hi + 1)), axis=1)
            for r in range(r_lo, r_hi + 1):
                if r in out:
                    out[r][bad] = part[:, r]
    return out


def _rank_groups(ranks: list[int]) -> list[tuple[int, int]]:
    """Consecutive ranks grouped: [199, 200, 3799, 3800] -> [(199, 200), (3799, 3800)]."""
    groups: list[list[int]] = []
    for r in sorted(set(ranks)):
        if groups and r == groups[-1][-1] + 1:
            groups[-1].append(r)
        else:
            groups.append([r])
    return [(g[0], g[-1]) for g in groups]


def quantile_ends(values: FloatArray, probs: tuple[float, ...],
                  transform: Any = None) -> list[FloatArray]:
    """Quantiles of each row of ``values`` (rows, draws), as ``np.quantile(..., axis=1)``.

    With ``transform`` (an increasing function) the quantiles of ``transform(values)`` are
    returned, transforming only the order statistics. ``values`` is not modified.
    """
    positions = _order_positions(values.shape[1], probs)
    col = order_statistics(values, sorted({i for lo, hi, _ in positions for i in (lo, hi)}))
    if transform is not None:
        col = {i: transform(v) for i, v in col.items()}
    return [_lerp(col[lo], col[hi], g) for lo, hi, g in positions]


def predict_draws(beta: FloatArray, X: FloatArray, offset: FloatArray | None, *,
                  probability: bool, ci_prob: float | None = None,
                  block_elements: int = BLOCK_ELEMENTS) -> tuple[FloatArray, ...]:
    r"""Posterior mean (and interval ends) of the prediction of every row of ``X``.

    Parameters
    ----------
    beta : ndarray, shape (..., k)
        Coefficient draws.
    X : ndarray, shape (n, k)
        Design rows to predict.
    offset : ndarray, shape (n,), or None
        Added to the linear predictor.
    probability : bool
        Predict :math:`\Lambda(\eta)` (True) or the linear predictor :math:`\eta`.
    ci_prob : float, optional
        Also return the ends of the equal-tailed interval of this probability.
    block_elements : int
        (row, draw) values per block.

    Returns
    -------
    tuple of ndarray
        ``(mean,)`` or ``(mean, lower, upper)``, each of shape (n,).
    """
    flat_t = np.ascontiguousarray(np.asarray(beta, dtype=float).reshape(-1, X.shape[1]).T)
    S = flat_t.shape[1]
    n = X.shape[0]
    rows = max(1, block_elements // max(S, 1))
    est = np.empty(n)
    ends = None if ci_prob is None else (np.empty(n), np.empty(n))
    probs = () if ci_prob is None else ((1 - ci_prob) / 2, (1 + ci_prob) / 2)
    transform = expit if probability else None

    def work(start: int) -> None:
        sl = slice(start, min(start + rows, n))
        eta = X[sl] @ flat_t
        if offset is not None:
            eta += offset[sl, None]
        if probability:
            est[sl] = (expit(eta) if ends is not None else expit(eta, out=eta)).mean(axis=1)
        else:
            est[sl] = eta.mean(axis=1)
        if ends is not None:
            ends[0][sl], ends[1][sl] = quantile_ends(eta, probs, transform)

    starts = list(range(0, n, rows))
    run_ordered(work, starts, worker_count(S * n))
    return (est,) if ends is None else (est, *ends)


def prior_draws(prior_set: PriorSet, chains: int, draws: int,
                rng: np.random.Generator) -> FloatArray | None:
    """Coefficient draws (chains, draws, k) from the per-coefficient priors.

    None when a prior cannot be drawn from: a joint prior (Jeffreys) or an improper (flat)
    prior on any coefficient. Intercept priors apply to the centred intercept, as in the
    model; the draws are returned on the reported (raw) scale.
    """
    if prior_set.joint is not None or len(prior_set.flat_index):
        return None
    theta = np.stack([p.rvs((chains, draws), rng) for p in prior_set.priors], axis=-1)
    return prior_set.from_working(theta)


def simulate_outcomes(beta: FloatArray, X: FloatArray, offset: FloatArray | None,
                      rng: np.random.Generator,
                      block_elements: int = BLOCK_ELEMENTS,
                      trials: FloatArray | None = None) -> NDArray[np.integer]:
    r"""0/1 outcomes, shape ``beta.shape[:-1] + (n,)``, one per draw and row.

    :math:`y_{si} \sim \mathrm{Bernoulli}(\Lambda(x_i^\top\beta_s + o_i))`, computed in
    blocks of draws so that only the int8 result is as large as draws x n. With ``trials``
    (binomial counts) the successes out of each row's trials,
    :math:`\mathrm{Binomial}(n_i, \Lambda(\cdot))`, as int32 (int64 when a row has more
    than 2**31 - 1 trials).
    """
    n = X.shape[0]
    flat = np.ascontiguousarray(beta, dtype=float).reshape(-1, X.shape[1])
    counts = None if trials is None else np.asarray(trials).astype(np.int64)
    out = np.empty((flat.shape[0], n), dtype=np.int8 if counts is None else count_dtype(counts))
    rows = max(1, block_elements // max(n, 1))
    for s in range(0, flat.shape[0], rows):
        eta = flat[s:s + rows] @ X.T
        if offset is not None:
            eta += offset
        out[s:s + rows] = outcome_draws(expit(eta, out=eta), rng, counts)
    return out.reshape(*np.shape(beta)[:-1], n)


def probability_draws(beta: FloatArray, X: FloatArray,
                      offset: FloatArray | None) -> FloatArray:
    r""":math:`\Lambda(x_i^\top\beta_s + o_i)` for every draw and row, shape (..., n)."""
    flat = np.asarray(beta, dtype=float).reshape(-1, X.shape[1])
    eta = flat @ X.T
    if offset is not None:
        eta += offset
    return expit(eta, out=eta).reshape(*np.shape(beta)[:-1], X.shape[0])


def count_dtype(trials: NDArray[Any]) -> type[np.integer]:
    """int32 for success counts, int64 when some trials exceed what int32 holds."""
    top = np.nanmax(trials) if np.size(trials) else 0
    return np.int32 if top <= np.iinfo(np.int32).max else np.int64


def outcome_draws(p: FloatArray, rng: np.random.Generator,
                  trials: FloatArray | None = None) -> NDArray[Any]:
    """Outcomes drawn from probabilities ``p`` (..., n): 0/1, or successes out of ``trials``.

    Rows whose probability (or trials) is missing are NaN (the result is then float), never
    a made-up 0.
    """
    p = np.asarray(p, dtype=float)
    missing = np.isnan(p)
    if trials is not None:
        missing = missing | np.isnan(trials)
    safe = np.where(missing, 0.0, p)
    if trials is None:
        out: NDArray[Any] = (rng.random(p.shape) < safe).astype(np.int8)
    else:
        counts = np.where(np.isnan(trials), 0, trials).astype(np.int64)
        out = rng.binomial(counts, safe).astype(count_dtype(counts))
    if missing.any():
        out = out.astype(float)
        out[missing] = np.nan
    return out


def new_trials(design: Any, data: Any, trials: Any, n: int) -> FloatArray | None:
    """Trials of ``n`` new rows for predictive draws (None: one trial each, 0/1 outcomes).

    ``trials`` given (a column name of ``data``, a scalar or one value per row) is used;
    else a model reading its trials from a column reads that column of ``data``; else a
    model with trials raises, since 0/1 draws would silently change the outcome's scale.
    """
    from ..spec.counts import counts_to_float

    column = getattr(design, "trials_column", None)
    if trials is None and design.trials is not None:
        if column is not None and isinstance(data, pd.DataFrame) and column in data.columns:
            trials = column
        else:
            where = f"the new data lack its trials column {column!r}" if column else \
                "its trials were an array"
            raise ValueError(
                f"This model has binomial trials and {where}: pass the new rows' trials, "
                f"e.g. posterior_predictive(data, trials=new_trials) (a column name, an "
                f"array or a scalar; trials=1 draws 0/1 outcomes).")
    if trials is None:
        return None
    if isinstance(trials, str):
        if not isinstance(data, pd.DataFrame) or trials not in data.columns:
            raise ColumnMismatchError(f"trials={trials!r} is not a column of the new data.")
        trials = data[trials]
    values = counts_to_float(trials, n, "trials")
    ok = np.isnan(values) | ((values >= 1) & (np.abs(values - np.round(values)) <= 1e-9))
    if not ok.all():
        raise ValueError(f"trials must be whole numbers >= 1; got "
                         f"{values[~ok][:5].tolist()}. Pass the new rows' trials.")
    return values
