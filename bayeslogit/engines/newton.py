r"""Newton-Raphson for the logistic MLE, with statsmodels' conventions.

The iteration is statsmodels' ``Logit.fit(method="newton")`` on the mean negative
log-likelihood :math:`f(\beta) = -\ell(\beta)/n`: start at zeros, solve
:math:`(\nabla^2 f + 10^{-10} I)\,\Delta = -\nabla f` and stop when
:math:`\max_j |\beta^{new}_j - \beta^{old}_j| \le` ``tol`` (absolute, 1e-8) or after ``maxiter``
(35) iterations; ``converged`` means fewer than ``maxiter`` iterations were needed. So
iteration counts and estimates agree with statsmodels to rounding.

Units-free: the step is solved on the column-scaled problem (columns divided by a power of two
near their root mean square, so the scaling is exact; statsmodels' ridge applies there), which
makes it the same whatever units the columns are in. Newton is affine invariant, so the
iterates are statsmodels' own. The stopping rule is statsmodels' absolute test with two
additions that only bind where that test is an artefact of the units (see
:func:`newton_mle`).

Made robust where statsmodels is not: the log-likelihood uses a stable :math:`\log(1+e^x)`;
a step that lowers the log-likelihood (or makes it non-finite) is halved until it does not;
a non-finite iterate is never reported as converged.

Each iteration makes one pass over ``X`` in row blocks, computing the linear predictor, the
log-likelihood, the score and :math:`X^\top W X` together, so at most one block-sized
temporary exists besides n-vectors.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from ..blocks import blas_thread_budget, numpy_blas_limit, run_ordered
from ..conditioning import pow2_scale, step_converged
from .outputs import NewtonResult

FloatArray = NDArray[np.float64]
#: one pass over the data at ``params``: (log-likelihood, score, information)
Evaluator = Callable[[FloatArray], tuple[float, FloatArray, FloatArray]]

__all__ = ["NewtonResult", "newton_mle", "evaluate"]

#: bytes of X per block: the elementwise work on a block runs from cache
_BLOCK_BYTES = 2**21
#: row chunks of a large design, evaluated in parallel and summed in order
_CHUNKS = 8
#: n * k below which one thread evaluates everything (threads would cost more than they save)
_THREAD_MIN_ELEMENTS = 2**20


def _evaluate_rows(
    params: FloatArray, X: FloatArray, y: FloatArray, offset: FloatArray | None,
    rows: tuple[int, int], block: int, eta_out: FloatArray | None = None,
    weights: FloatArray | None = None,
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
        if eta_out is not None:
            eta_out[start:stop] = eta
        yb = y[start:stop]
        a = np.abs(eta)
        h = np.exp(a * -0.5)
        e = h * h
        d = 1.0 + e
        r = np.where(eta >= 0, 1.0, e)
        r /= d
        np.subtract(yb, r, out=r)
        if weights is None:
            # sum of max(eta, 0) is (sum eta + sum |eta|) / 2
            llf += float(yb @ eta - 0.5 * (eta.sum() + a.sum()) - np.log1p(e).sum())
        else:
            wb = weights[start:stop]
            llf += float(wb @ (yb * eta - 0.5 * (eta + a) - np.log1p(e)))
            r *= wb
            h *= np.sqrt(wb)
        grad += Xb.T @ r
        np.divide(h, d, out=h)
        Xw = np.multiply(Xb, h[:, None], out=buf[: stop - start])
        info += Xw.T @ Xw  # numpy calls BLAS syrk for a product with its own transpose
    return llf, grad, info


def _row_chunks(n: int, k: int, block: int) -> list[tuple[int, int]]:
    """Split the rows into at most :data:`_CHUNKS` runs of whole blocks.

    Fewer when the design is small or each chunk's k x k partial sum would be large (the
    partial sums together stay under 1/8 of X's size).
    """
    blocks = -(-n // block)
    if n * k < _THREAD_MIN_ELEMENTS:
        return [(0, n)]
    count = min(_CHUNKS, blocks, max(1, n // (8 * k)))
    return [(min(n, blocks * i // count * block), min(n, blocks * (i + 1) // count * block))
            for i in range(count)]


def evaluate(
    params: FloatArray, X: FloatArray, y: FloatArray, offset: FloatArray | None,
    eta_out: FloatArray | None = None, weights: FloatArray | None = None,
) -> tuple[float, FloatArray, FloatArray]:
    r"""Log-likelihood, score and information :math:`X^\top W X` in one blocked pass over X.

    With ``eta_out`` (shape (n,)) the linear predictor (offset included) is written into it.
    With ``weights`` :math:`m` (binomial trials times frequency weights,
    :mod:`bayeslogit.spec.counts`) row i counts :math:`m_i` times: the kernel
    :math:`\sum_i m_i[y_i\eta_i - \log(1+e^{\eta_i})]`, score :math:`X^\top m(y - p)` and
    information :math:`X^\top \mathrm{diag}(m p(1-p)) X`.

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
        return _evaluate_rows(params, X, y, offset, (0, n), block, eta_out, weights)
    parts = run_ordered(lambda rows: _evaluate_rows(params, X, y, offset, rows, block, eta_out,
                                                    weights),
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
    weights: FloatArray | None = None,
    evaluator: Evaluator | None = None,
) -> NewtonResult:
    r"""Maximise the logistic log-likelihood by statsmodels-compatible Newton iterations.

    The step solves :math:`(D^{-1}HD^{-1}/n + \text{ridge}\,I)\,D\Delta = D^{-1}g/n` with
    :math:`D` the column scales (powers of two near each column's root mean square, from the
    information at ``start``). It stops when every coefficient moved by at most
    :math:`\max(\text{tol}, 1024\,\epsilon|\beta_j|)` (statsmodels' absolute test, floored at
    the coefficient's rounding: where :math:`|\beta_j| > \text{tol}/(1024\epsilon) \approx
    4.4\times10^4` the absolute test cannot be met, typically a column in tiny units) **and**
    the step on the scaled problem :math:`\max_j D_j|\Delta_j| \le \sqrt{\text{tol}}`
    (which binds only for columns in large units, rms above :math:`1/\sqrt{\text{tol}}`,
    where the absolute test would stop before the coefficient has settled).

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
    weights : ndarray, shape (n,), optional
        Binomial weights (trials times frequency weights); see :func:`evaluate`. The
        scaled problem divides by their sum instead of n (statsmodels GLM's ``nobs`` for
        expanded rows), so the iterates equal those on the expanded 0/1 rows.
    evaluator : callable, optional
        ``evaluator(params) -> (llf, score, information)``, one pass over data held
        elsewhere (e.g. :mod:`bayeslogit.engines.distributed`); then ``X`` only gives the
        shape and the result has no ``eta``. By default :func:`evaluate` on ``X``.

    Returns
    -------
    NewtonResult
    """
    rows, k = X.shape
    n = rows if weights is None else float(np.sum(weights))
    new = np.zeros(k) if start is None else np.asarray(start, dtype=float).copy()
    # two buffers for the linear predictor: the accepted iterate's and the candidate's
    eta = eta_spare = None
    if evaluator is None:
        eta, eta_spare = np.empty(rows), np.empty(rows)

    def evaluate_at(params: FloatArray, out: FloatArray | None):
        if evaluator is None:
            return evaluate(params, X, y, offset, out, weights)
        return evaluator(params)

    llf, grad, info = evaluate_at(new, eta)
    # at the zero start w = 1/4, so 2 sqrt(diag/n) is the column's root mean square
    scale = _column_scale(info, n)
    outer = n * scale[:, None] * scale[None, :]
    it = 0
    halvings = 0
    last_step = np.inf
    sm_iter: int | None = None
    finite = np.isfinite(llf)
    done = False
    while it < maxiter and not done and finite:
        old = new
        hess_s = info / outer
        hess_s[np.diag_indices(k)] += ridge
        rhs = grad / (n * scale)
        # a k x k solve on BLAS threads leaves them spinning into the next pass over X
        with numpy_blas_limit(1):
            try:
                step = np.linalg.solve(hess_s, rhs) / scale
            except np.linalg.LinAlgError:
                step = np.linalg.lstsq(hess_s, rhs, rcond=None)[0] / scale
        new = old + step
        it += 1
        llf_old, grad_old, info_old, eta_old = llf, grad, info, eta
        eta = eta_spare
        llf, grad, info = evaluate_at(new, eta)
        tries = 0
        # statsmodels takes the full step; halving only intervenes where it would go downhill.
        while (not np.isfinite(llf) or llf < llf_old - 1e-12 * max(1.0, abs(llf_old))) and (
            tries < max_halvings
        ):
            step = step / 2
            new = old + step
            llf, grad, info = evaluate_at(new, eta)
            tries += 1
        halvings += tries
        eta_spare = eta_old
        if not np.isfinite(llf):
            new, llf, grad, info, eta = old, llf_old, grad_old, info_old, eta_old
            finite = False
            break
        delta = np.abs(new - old)
        last_step = float(np.max(delta)) if k else 0.0
        finite = bool(np.all(np.isfinite(new)))
        if not finite:
            break
        if sm_iter is None and not last_step > tol:
            sm_iter = it
        done = step_converged((new - old) * scale, new * scale, scale, tol)
    # statsmodels: a run that needs all maxiter iterations is "not converged"
    converged = bool(done and it < maxiter and finite and np.isfinite(llf))
    rule = "absolute" if (not converged or sm_iter == it) else "scaled"
    return NewtonResult(new, it, converged, float(llf), grad, info, last_step, halvings,
                        rule, sm_iter, scale, eta)


def _column_scale(info: FloatArray, n: int) -> FloatArray:
    return pow2_scale(2.0 * np.sqrt(np.clip(np.diag(info), 0.0, None) / max(n, 1)))
