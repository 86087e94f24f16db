r"""Binomial counts and frequency weights on Dask data, checked and summarised per block.

A prepared block is ``(X, y, offset, trials, freq_weights)`` (the last two None when not
given). Each block's counts pass :func:`~bayeslogit.spec.counts.check_counts` in the
construction pass (rows named by their index label, or their position when the data carry
none), and the block reports what the likelihood statistics need besides the passes: the
binomial constant :math:`\sum_i w_i\log\binom{n_i}{s_i}`, the saturated model's
expanded-rows log-likelihood, and the sum of the frequency weights (the ``nobs``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import xlogy

from ..errors import DataWarning
from .counts import binomial_constant, check_counts

FloatArray = np.ndarray

__all__ = ["block_weights", "block_score_terms", "count_block", "combine_counts", "lazy_counts",
           "warn_binary_counts"]


def block_weights(block: tuple) -> FloatArray | None:
    """Binomial weight per row of a prepared block, trials times frequency weight (or None)."""
    tri, fw = block[3], block[4]
    if tri is None:
        return fw
    return tri if fw is None else tri * fw


def block_score_terms(block: tuple, resid: FloatArray) -> tuple[FloatArray, FloatArray | None]:
    r"""Return each row's score residual (times trials) and its frequency weight (or None).

    The HC0 meat is :math:`\sum_i w_i (n_i r_i)^2 x_i x_i^\top` and a cluster's score
    :math:`\sum_i w_i n_i r_i x_i`, as for rows in memory
    (:func:`~bayeslogit.inference.covariance.covariance`).
    """
    tri, fw = block[3], block[4]
    return (resid if tri is None else resid * tri), fw


def count_block(X: FloatArray, y: FloatArray, tri: FloatArray | None, fw: FloatArray | None,
                labels: pd.Index, context: dict[str, Any]
                ) -> tuple[FloatArray, FloatArray | None, FloatArray | None, dict[str, Any]]:
    """Check one block's complete rows of counts; return (proportions, trials, weights, facts).

    ``context`` holds ``endog``, ``call`` and ``sources`` for
    :func:`~bayeslogit.spec.counts.check_counts`. The facts: ``const`` (binomial constant),
    ``sat`` (saturated expanded-rows log-likelihood), ``weight`` (sum of the frequency
    weights, or the rows), ``wsum``, ``wmean`` and ``wm2`` (the binomial weights' sum, the
    weighted column means and centred sums of squares: the expanded rows' moments, for
    prior autoscaling), ``s01`` (every count 0 or 1) and ``warn`` (the block's warning
    that the counts look like a 0/1 outcome, raised on the client if every block agrees).

    Raises
    ------
    ValueError
        As :func:`~bayeslogit.spec.counts.check_counts`.
    """
    raw_y = y
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", DataWarning)
        y, tri, fw = check_counts(y, tri, fw, labels, context["endog"], context["call"],
                                  context.get("sources"))
    m = np.ones(len(y)) if tri is None and fw is None else (
        tri if fw is None else fw if tri is None else tri * fw)
    wsum = float(m.sum())
    wmean = m @ X / wsum if wsum > 0 else np.zeros(X.shape[1])
    dev = X - wmean
    facts = {"const": binomial_constant(y, tri, fw), "wsum": wsum, "wmean": wmean,
             "wm2": m @ (dev * dev),
             "sat": float(m @ (xlogy(y, y) + xlogy(1 - y, 1 - y))),
             "weight": float(len(y) if fw is None else fw.sum()),
             "s01": bool(np.all((raw_y == 0) | (raw_y == 1))),
             "many": bool(tri is not None and np.any(tri > 1)),
             "warn": next((str(w.message) for w in seen
                           if issubclass(w.category, DataWarning)), None)}
    return y, tri, fw, facts


def combine_counts(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Sum the count facts of the blocks (see :func:`count_block`).

    The weighted means and centred sums of squares combine by Chan et al.'s pairwise update.
    """
    total, mean, m2 = 0.0, 0.0, 0.0
    for p in parts:
        wb = p["wsum"]
        if wb > 0:
            delta = p["wmean"] - mean
            mean = mean + delta * wb / (total + wb)
            m2 = m2 + p["wm2"] + delta ** 2 * total * wb / (total + wb)
            total += wb
    return {"wsum": total, "wmean": mean, "wm2": m2,"const": float(sum(p["const"] for p in parts)),
            "sat": float(sum(p["sat"] for p in parts)),
            "weight": float(sum(p["weight"] for p in parts)),
            "s01": all(p["s01"] for p in parts), "many": any(p["many"] for p in parts),
            "warn": next((p["warn"] for p in parts if p["warn"]), None)}


def warn_binary_counts(facts: dict[str, Any], rows: int, endog: str, call: str) -> None:
    """Warn, as for rows in memory, when every count is 0 or 1 while some trials exceed 1.

    Warns
    -----
    DataWarning
        With the first block's message, or a summary when no single block warned.
    """
    if not (facts["s01"] and facts["many"] and rows > 1):
        return
    message = facts["warn"] or (
        f"Every {endog!r} is 0 or 1, yet some trials exceed 1: with trials the response "
        f"counts successes out of trials. If {endog!r} is a 0/1 outcome per row, drop "
        f"trials ({call}); if these are rare-event counts, ignore this warning.")
    warnings.warn(message, DataWarning, stacklevel=5)


def lazy_counts(blocks: list, rows: tuple[int, ...], has: tuple[bool, bool]) -> dict[str, Any]:
    """Return ``trials`` and ``freq_weights`` of the prepared blocks as lazy Dask arrays."""
    import dask.array as da

    out: dict[str, Any] = {}
    for key, index, given in (("trials", 3, has[0]), ("freq_weights", 4, has[1])):
        if given:
            out[key] = da.concatenate([da.from_delayed(b[index], (r,), float)
                                       for b, r in zip(blocks, rows, strict=True)])
    return out
