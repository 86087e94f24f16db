r"""The unnormalised log posterior of many coefficient vectors at once, in bounded memory.

Used by importance sampling to weight proposals: :math:`\ell(\beta) + \log p(\beta)` with
the Bernoulli log-likelihood computed in (rows x proposals) blocks, threaded when large.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..blocks import BLOCK_ELEMENTS, log1pexp_column_sums, run_blocks, worker_count
from ..logistic import log1pexp
from ..spec.prior_set import PriorSet
from ..validation import check_arrays, check_count

FloatArray = NDArray[np.float64]

__all__ = ["log_posterior"]

#: proposals evaluated together
_PROPOSAL_CHUNK = 4096


def log_posterior(
    X: FloatArray,
    y: FloatArray,
    offset: FloatArray | None,
    prior_set: PriorSet,
    beta: FloatArray,
    *,
    block_rows: int | None = None,
    weights: FloatArray | None = None,
) -> FloatArray:
    r"""Unnormalised log posterior :math:`\ell(\beta) + \log p(\beta)` for many coefficient rows.

    Parameters
    ----------
    X, y, offset : arrays
        Design (n, k), response (n,) in [0, 1], offset (n,) or None.
    prior_set : PriorSet
        Priors; the log prior is :meth:`PriorSet.log_density`: per-coefficient densities with
        their normalising constants (0 for flat priors) plus the joint term, for Jeffreys
        :math:`\tfrac12\log|X^\top W(\beta)X|` (computed in blocks too).
    beta : ndarray (P, k)
        Coefficient vectors (reported scale, raw intercept).
    block_rows : int, optional
        Observations per block of the log-likelihood. The largest temporary is (block_rows,
        proposals per chunk), per worker thread (chunks of at most 4096 proposals are
        evaluated in parallel by up to 4 threads when the work is large, see
        :mod:`bayeslogit.blocks`); by default block_rows keeps it near 2**18 elements
        (2 MB). The result does not depend on it beyond floating-point summation order.
    weights : ndarray (n,), optional
        Binomial weights (trials times frequency weights): row i counts ``weights[i]`` times.

    Returns
    -------
    ndarray (P,)
        Summed log-likelihood plus log prior; ``-inf`` where it is not finite.
    """
    X, y, offset = check_arrays(X, y, offset, prior_set.k)
    beta = np.asarray(beta, dtype=float)
    if beta.ndim != 2 or beta.shape[1] != X.shape[1]:
        raise ValueError(f"beta must have shape (P, {X.shape[1]}), got {beta.shape}.")
    n = X.shape[0]
    P = beta.shape[0]
    workers = worker_count(P * n)
    chunk = max(1, min(_PROPOSAL_CHUNK, -(-P // workers)))
    if block_rows is not None:
        rows = check_count("block_rows", block_rows, 1)
    else:
        rows = max(1, BLOCK_ELEMENTS // chunk)
    rows = min(rows, max(n, 1))

    def chunk_terms(B: FloatArray) -> FloatArray:
        """-sum_i log(1 + e^eta_i) for a chunk of proposals."""
        acc = np.zeros(B.shape[0])
        for r0 in range(0, n, rows):
            eta = X[r0 : r0 + rows] @ B.T
            if offset is not None:
                eta += offset[r0 : r0 + rows, None]
            if weights is None:
                acc -= log1pexp_column_sums(eta)[0]
            else:
                acc -= weights[r0 : r0 + rows] @ log1pexp(eta)
        return acc

    chunks = [beta[p0 : p0 + chunk] for p0 in range(0, P, chunk)]
    parts = run_blocks(chunk_terms, chunks, workers)
    # sum_i y_i eta_i needs no blocking: beta @ X'y + y'o
    s = y if weights is None else weights * y
    out = beta @ (X.T @ s) + (0.0 if offset is None else float(s @ offset))
    out += np.concatenate(parts) if parts else 0.0
    out += prior_set.log_density(beta, X, offset, weights)
    out[~np.isfinite(out)] = -np.inf
    return out
