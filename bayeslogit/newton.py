r"""Newton-Raphson for the logistic MLE, with statsmodels' conventions.

The iteration is statsmodels' ``Logit.fit(method="newton")`` on the mean negative
log-likelihood :math:`f(\beta) = -\ell(\beta)/n`: start at zeros, solve
:math:`(\nabla^2 f + 10^{-10} I)\,\Delta = -\nabla f` and stop when
:math:`\max_j |\beta^{new}_j - \beta^{old}_j| \le` ``tol`` (absolute, 1e-8) or after ``maxiter``
(35) iterations; ``converged`` means fewer than ``maxiter`` iterations were needed. So
iteration counts and estimates agree with statsmodels to rounding.

Made robust where statsmodels is not: the log-likelihood uses a stable :math:`\log(1+e^x)`;
a step that lowers the log-likelihood (or makes it non-finite) is halved until it does not;
a non-finite iterate is never reported as converged.

Each iteration makes one pass over ``X`` in row blocks, computing the linear predictor, the
log-likelihood, the score and :math:`X^\top W X` together, so at most one block-sized
temporary exists besides n-vectors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .blocks import blas_thread_budget, run_ordered

FloatArray = NDArray[np.float64]

__all__ = ["NewtonResult", "newton_mle", "evaluate"]

#: bytes of X per block: the elementwise work on a block runs from cache
_BLOCK_BYTES = 2**21
#: row chunks of a large design, evaluated in parallel and summed in order
_CHUNKS = 8
#: n * k below which one thread evaluates everything (threads would cost more than they save)
_THREAD_MIN_ELEMENTS = 2**20


@dataclass(frozen=True)
class NewtonResult:
    r"""Outcome of :func:`newton_mle`.

    Attributes
    ----------
    params : ndarray
        Final iterate.
    iterations : int
        Newton iterations taken (statsmodels' count).
    converged : bool
        ``iterations < maxiter`` and every quantity finite.
    llf : float
        Summed log-likelihood at ``params``.
    score : ndarray
        Gradient of the summed log-likelihood at ``params``.
    information : ndarray
        :math:`X^\top W X` at ``params`` (positive; no ridge).
    last_step : float
        :math:`\max|\Delta|` of the last iteration (how far from the tolerance it stopped).
    halvings : int
        Total number of step halvings performed.
    """

    params: FloatArray
    iterations: int
    converged: bool
    llf: float
    score: FloatArray
    information: FloatArray
    last_step: float
    halvings: int


def _evaluate_rows(
    params: FloatArray, X: FloatArray, y: FloatArray, offset: FloatArray | None,
    rows: tuple[int, int], block: int,
) -> tuple[float, FloatArray, FloatArray]:
    """:func:`evaluate` on rows ``rows[0]:rows[1]``, in blocks of ``block`` rows."""
    lo, hi = rows
    k = X.shape[1]
    llf = 0.0
    grad = np.zeros(k)
    info = np.zeros((k, k))
    buf = np.empty((min(block, hi - lo), k))
    for start in range(lo, hi, block):
        stop = min(start + block, hi)
        Xb = X[start:stop]
        eta = Xb @ params
        if offset is not None:
            eta += offset[start:stop]
        yb = y[start:stop]
        a = np.abs(eta)
        h = np.exp(a * -0.5)
        e = h * h
        d = 1.0 + e
        # sum of max(eta, 0) is (sum eta + sum |eta|) / 2
        llf += float(yb @ eta - 0.5 * (eta.sum() + a.sum()) - np.log1p(e).sum())
        r = np.where(eta >= 0, 1.0, e)
        r /= d
        np.subtract(yb, r, out=r)
        grad += Xb.T @ r
        np.divide(h, d, out=h)
        Xw = np.multiply(Xb, h[:, None], out=buf[: stop - start])
        info += Xw.T @ Xw  # numpy calls BLAS syrk for a product with its own transpose
    return llf, grad, info


def _row_chunks(n: int, k: int, block: int) -> list[tuple[int, int]]:
    """Split the rows into at most :data:`_CHUNKS` runs of whole blocks, fewer when the
    design is small or each chunk's k x k partial sum would be large (the partial sums
    together stay under 1/8 of X's size)."""
    blocks = -(-n // block)
    if n * k < _THREAD_MIN_ELEMENTS:
        return [(0, n)]
    count = min(_CHUNKS, blocks, max(1, n // (8 * k)))
    return [(min(n, blocks * i // count * block), min(n, blocks * (i + 1) // count * block))
            for i in range(count)]


def evaluate(
    params: FloatArray, X: FloatArray, y: FloatArray, offset: FloatArray | None
) -> tuple[float, FloatArray, FloatArray]:
    r"""Log-likelihood, score and information :math:`X^\top W X` in one blocked pass over X.

    One exponential per row: with :math:`h = e^{-|\eta|/2}` and :math:`e = h^2`,
    :math:`\log(1+e^\eta) = \max(\eta, 0) + \log1p(e)`, :math:`p = 1/(1+e)` for
    :math:`\eta \ge 0` and :math:`e/(1+e)` otherwise, and :math:`\sqrt{p(1-p)} = h/(1+e)`.

    Large designs (``n * k`` of at least :data:`_THREAD_MIN_ELEMENTS`) are cut into a fixed
    number of row chunks (:func:`_row_chunks`, a function of the shape only) evaluated on up
    to :func:`~bayeslogit.blocks.blas_thread_budget` threads with single-threaded BLAS, and
    the partial sums are added in chunk order: the result does not depend on the number of
    threads. Each thread holds one block-sized temporary. Threads of our own rather than
    BLAS's: each block's products are small, and BLAS threads synchronise (spin-waiting) at
    every one of them, which slows the pass several-fold, unpredictably, whenever another
    process wants the same cores.
    """
    n, k = X.shape
    block = max(256, _BLOCK_BYTES // (8 * max(k, 1)))
    chunks = _row_chunks(n, k, block)
    if len(chunks) == 1:
        return _evaluate_rows(params, X, y, offset, (0, n), block)
    parts = run_ordered(lambda rows: _evaluate_rows(params, X, y, offset, rows, block),
                        chunks, blas_thread_budget())
    llf, grad, info = parts[0]
    for part in parts[1:]:
        llf += part[0]
        grad += part[1]
        info += part[2]
    return llf, grad, info


def newton_mle(
    X: FloatArray,
    y: FloatArray,
    offset: FloatArray | None = None,
    *,
    start: FloatArray | None = None,
    maxiter: int = 35,
    tol: float = 1e-8,
    ridge: float = 1e-10,
    max_halvings: int = 40,
) -> NewtonResult:
    """Maximise the logistic log-likelihood by statsmodels-compatible Newton iterations.

    Parameters
    ----------
    X : ndarray, shape (n, k)
    y : ndarray, shape (n,)
        Responses in [0, 1] (fractional values give the Bernoulli quasi-MLE).
    offset : ndarray, shape (n,), optional
    start : ndarray, optional
        Starting values (zeros by default, as statsmodels).
    maxiter, tol, ridge : statsmodels' ``maxiter=35``, ``tol=1e-8``, ``ridge_factor=1e-10``.
    max_halvings : int
        Cap on step halvings within one iteration.

    Returns
    -------
    NewtonResult
    """
    n, k = X.shape
    new = np.zeros(k) if start is None else np.asarray(start, dtype=float).copy()
    llf, grad, info = evaluate(new, X, y, offset)
    it = 0
    halvings = 0
    last_step = np.inf
    finite = np.isfinite(llf)
    while it < maxiter and last_step > tol and finite:
        old = new
        hess_f = info / n
        hess_f[np.diag_indices(k)] += ridge
        try:
            step = np.linalg.solve(hess_f, grad / n)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess_f, grad / n, rcond=None)[0]
        new = old + step
        it += 1
        llf_old, grad_old, info_old = llf, grad, info
        llf, grad, info = evaluate(new, X, y, offset)
        tries = 0
        # statsmodels takes the full step; halving only intervenes where it would go downhill.
        while (not np.isfinite(llf) or llf < llf_old - 1e-12 * max(1.0, abs(llf_old))) and (
            tries < max_halvings
        ):
            step = step / 2
            new = old + step
            llf, grad, info = evaluate(new, X, y, offset)
            tries += 1
        halvings += tries
        if not np.isfinite(llf):
            new, llf, grad, info = old, llf_old, grad_old, info_old
            finite = False
            break
        last_step = float(np.max(np.abs(new - old))) if k else 0.0
        finite = bool(np.all(np.isfinite(new)))
    converged = bool(it < maxiter and finite and np.isfinite(llf))
    if maxiter == 0:
        converged = False
    return NewtonResult(new, it, converged, float(llf), grad, info, last_step, halvings)
