r"""Blocked, threaded evaluation of Bernoulli log-likelihood terms for many coefficient vectors.

Evaluating :math:`\ell_i(\beta_s) = y_i\eta_{si} - \log(1+e^{\eta_{si}})` for thousands of
draws :math:`s` and observations :math:`i` is elementwise work on a (draws x observations)
array. Two things decide its speed on a small machine:

* **Cache-sized blocks.** The stable :math:`\log(1+e^\eta)` takes several elementwise
  passes; on blocks of about :data:`BLOCK_ELEMENTS` doubles (2 MB) they run from cache
  instead of streaming the whole array through memory once per pass.
* **One kind of thread at a time.** Large evaluations are split over a few threads (numpy
  releases the GIL in the elementwise work). BLAS is limited to one thread meanwhile:
  otherwise its own threads spin-wait between the small matrix products and take the cores
  the elementwise work needs (measured: twice the wall time on 2 cores).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .logistic import log1pexp

FloatArray = NDArray[np.float64]

__all__ = ["BLOCK_ELEMENTS", "single_threaded_blas", "SharedBlasLimit", "worker_count",
           "run_blocks", "numpy_blas_limit", "blas_thread_budget", "run_ordered",
           "bernoulli_loglik_inplace",
           "log1pexp_column_sums", "pointwise_loglike", "loglike_sums", "information_logdets"]

#: float64 elements per block temporary (2 MB)
BLOCK_ELEMENTS = 2**18
#: below this many (draw, observation) pairs the work runs in the calling thread
THREAD_MIN_ELEMENTS = 2**22
#: coefficient vectors evaluated together by information_logdets
DRAW_CHUNK = 4096
_MAX_WORKERS = 4


def single_threaded_blas() -> AbstractContextManager[None]:
    """Context manager limiting BLAS to one thread while it is open, restoring it after.

    Safe when runs overlap in threads: the limit is process-wide, so it is shared and
    reference-counted (:class:`SharedBlasLimit`); the first run to enter records the
    original thread counts and the last to leave restores them, whatever the order.
    """
    return _SHARED_LIMIT.hold()


@cache
def _blas_pools() -> Any:
    # Built once (building scans the loaded libraries, ~0.3 ms; using it takes microseconds).
    # It sees the BLAS libraries loaded by then (numpy's and scipy's, both imported with
    # bayeslogit); a BLAS library loaded later is not in it.
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(user_api="blas")


class SharedBlasLimit:
    """One process-wide "BLAS single-threaded" state shared by overlapping holders.

    ``threadpoolctl`` limits are process-wide, and only one Python thread may change them
    (the first to set one, for as long as it lives; other threads' changes are ignored).
    Two overlapping "set to 1, then restore what I saw" pairs therefore go wrong: a run that
    started while another held the limit saw 1 thread and restores 1, leaving the whole
    process single-threaded. Here, under a lock, only the thread that set the limit (when no
    other held it, so it saw the original counts) restores it, and it does so when it leaves;
    threads holding it meanwhile only count themselves in. A thread entering after the
    setter has left sets it again (from the restored, original counts).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._setter: threading.Thread | None = None
        self._limiter: Any = None
        self._original: list[int] = []
        self._local = threading.local()

    def _depth(self) -> int:
        return getattr(self._local, "depth", 0)

    def acquire(self) -> None:
        """Count the calling thread in; set BLAS to one thread unless a holder has."""
        with self._lock:
            if self._setter is None:
                pools = _blas_pools()
                self._original = [lib.num_threads for lib in pools.lib_controllers]
                self._limiter = pools.limit(limits=1)
                self._setter = threading.current_thread()
            self._holders += 1
        self._local.depth = self._depth() + 1

    def release(self) -> None:
        """Count the calling thread out; the thread that set the limit restores it."""
        depth = self._depth() - 1
        self._local.depth = depth
        with self._lock:
            self._holders -= 1
            if depth == 0 and self._setter is threading.current_thread():
                limiter, self._limiter, self._setter = self._limiter, None, None
                limiter.restore_original_limits()

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the limit for the duration of a ``with`` block."""
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def held_elsewhere(self) -> list[int] | None:
        """Return the original counts if another thread set the limit and this one holds none."""
        if self._depth():
            return None
        with self._lock:
            if self._setter is not None:
                return list(self._original)
        return None


_SHARED_LIMIT = SharedBlasLimit()


def numpy_blas_limit(threads: int = 1) -> AbstractContextManager[None]:
    """Limit numpy's BLAS to ``threads`` threads (a context manager).

    ``threads=1`` (the only use in bayeslogit) is the shared, reference-counted limit of
    :func:`single_threaded_blas` and costs microseconds (a cached controller). For small
    products (a k x k solve) next to threaded work: an idle threaded BLAS spin-waits for
    about 0.1 s after each call, taking the cores the next threaded pass needs. Other
    values set the limit with ``threadpoolctl`` directly, which is not safe when such
    calls overlap in threads.
    """
    if threads == 1:
        return _SHARED_LIMIT.hold()
    return _blas_pools().limit(limits=threads)


def blas_thread_budget() -> int:
    """Return the threads BLAS may use right now (at least 1).

    That is its current setting (``OPENBLAS_NUM_THREADS``, an enclosing ``threadpoolctl``
    limit, 1 inside :func:`single_threaded_blas`), capped by the CPU count. While another
    thread holds the shared single-thread limit, the setting from before that limit counts.
    """
    counts = _SHARED_LIMIT.held_elsewhere()
    if counts is None:
        counts = [lib.num_threads for lib in _blas_pools().lib_controllers]
    return max(1, min([os.cpu_count() or 1, *counts]))


def worker_count(elements: int) -> int:
    """Return the number of threads for a block computation.

    Threads for ``elements`` (draw, observation) pairs: 1 below
    :data:`THREAD_MIN_ELEMENTS`, else up to 4 (the CPU count).
    """
    if elements < THREAD_MIN_ELEMENTS:
        return 1
    return max(1, min(_MAX_WORKERS, os.cpu_count() or 1))


def run_blocks(fn: Callable[[Any], Any], items: Iterable[Any], workers: int) -> list[Any]:
    """Apply ``fn`` to every item, on threads when ``workers > 1``.

    ``[fn(item) for item in items]``, on ``workers`` threads with single-threaded BLAS
    when ``workers > 1``. Results keep the order of ``items``.
    """
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    with single_threaded_blas(), ThreadPoolExecutor(min(workers, len(items))) as pool:
        return list(pool.map(fn, items))


def run_ordered(fn: Callable[[Any], Any], items: Iterable[Any], workers: int) -> list[Any]:
    """Run ``[fn(item) for item in items]`` on ``workers`` threads, BLAS single-threaded.

    The calling thread is one of the workers; numpy's BLAS is single-threaded meanwhile.

    Lighter than :func:`run_blocks` (no executor, a cached BLAS controller), for calls that
    last milliseconds; ``fn`` should do its matrix products with numpy. Results keep the
    order of ``items``; the first exception raised by ``fn`` is re-raised.
    """
    items = list(items)
    workers = min(workers, len(items))
    if workers <= 1:
        return [fn(item) for item in items]
    results: list[Any] = [None] * len(items)
    errors: list[BaseException] = []
    pending = iter(range(len(items)))
    lock = threading.Lock()

    def work() -> None:
        while not errors:
            with lock:
                i = next(pending, None)
            if i is None:
                return
            try:
                results[i] = fn(items[i])
            except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
                errors.append(exc)

    with numpy_blas_limit(1):
        helpers = [threading.Thread(target=work, daemon=True) for _ in range(workers - 1)]
        for thread in helpers:
            thread.start()
        work()
        for thread in helpers:
            thread.join()
    if errors:
        raise errors[0]
    return results


def bernoulli_loglik_inplace(eta: FloatArray, y: FloatArray) -> FloatArray:
    r"""Overwrite ``eta`` (any shape ending in n) with :math:`y\eta - \log(1+e^\eta)`.

    Uses the stable :func:`bayeslogit.logistic.log1pexp` (no overflow, full precision).
    """
    t = log1pexp(eta)
    eta *= y
    eta -= t
    return eta


def log1pexp_column_sums(
    eta: FloatArray, want_weights: bool = False
) -> tuple[FloatArray, FloatArray | None]:
    r"""Sum log1pexp over the rows of a block, optionally with the weights p(1-p).

    Column sums of :math:`\log(1+e^\eta)` for a (rows, columns) block, and optionally the
    weights :math:`p(1-p) = e^{-|\eta|}/(1+e^{-|\eta|})^2`, sharing one exponential.
    """
    t = np.abs(eta)
    np.negative(t, out=t)
    np.exp(t, out=t)
    w = None
    if want_weights:
        w = 1.0 + t
        np.square(w, out=w)
        np.divide(t, w, out=w)
    np.log1p(t, out=t)
    total = t.sum(axis=0)
    np.maximum(eta, 0.0, out=t)
    total += t.sum(axis=0)
    return total, w


def _draw_blocks(beta: FloatArray, n: int) -> tuple[FloatArray, list[slice], int]:
    flat = np.ascontiguousarray(beta, dtype=float).reshape(-1, beta.shape[-1])
    rows = max(1, BLOCK_ELEMENTS // max(n, 1))
    slices = [slice(s, s + rows) for s in range(0, flat.shape[0], rows)]
    return flat, slices, worker_count(flat.shape[0] * n)


def pointwise_loglike(
    beta: FloatArray, X: FloatArray, y: FloatArray, offset: FloatArray | None,
    weights: FloatArray | None = None, const: FloatArray | None = None,
) -> FloatArray:
    r"""Compute the pointwise log-likelihood of every draw.

    Log-likelihood of each observation at each draw, shape ``beta.shape[:-1] + (n,)``:
    :math:`y_i\eta_{si} - \log(1+e^{\eta_{si}})`, :math:`\eta_s = X\beta_s + o`; with
    ``weights`` :math:`m_i` (trials times frequency weights) that times :math:`m_i`, plus
    ``const`` (per row, e.g. the binomial coefficients).
    """
    n = X.shape[0]
    flat, slices, workers = _draw_blocks(beta, n)
    out = np.empty((flat.shape[0], n))
    XT = X.T

    def fill(sl: slice) -> None:
        block = out[sl]
        np.matmul(flat[sl], XT, out=block)
        if offset is not None:
            block += offset
        bernoulli_loglik_inplace(block, y)
        if weights is not None:
            block *= weights
        if const is not None:
            block += const

    run_blocks(fill, slices, workers)
    return out.reshape(*beta.shape[:-1], n)


def loglike_sums(
    beta: FloatArray, X: FloatArray, y: FloatArray, offset: FloatArray | None,
    weights: FloatArray | None = None,
) -> FloatArray:
    """Compute the summed log-likelihood of each draw, shape ``beta.shape[:-1]``.

    Evaluated in blocks of draws, so memory stays bounded; ``weights`` as
    :func:`pointwise_loglike`.
    """
    n = X.shape[0]
    flat, slices, workers = _draw_blocks(beta, n)
    XT = X.T

    def total(sl: slice) -> FloatArray:
        block = flat[sl] @ XT
        if offset is not None:
            block += offset
        ll = bernoulli_loglik_inplace(block, y)
        return ll.sum(axis=1) if weights is None else ll @ weights

    parts = run_blocks(total, slices, workers)
    out = np.concatenate(parts) if parts else np.zeros(0)
    return out.reshape(beta.shape[:-1])


def information_logdets(
    beta: FloatArray, X: FloatArray, offset: FloatArray | None, *,
    block_rows: int | None = None, weights: FloatArray | None = None,
) -> FloatArray:
    r""":math:`\log|X^\top W(\beta_s) X|` for each coefficient vector, in bounded memory.

    Parameters
    ----------
    beta : ndarray, shape (..., k)
        Coefficient vectors.
    X : ndarray, shape (n, k)
        Design matrix.
    offset : ndarray, shape (n,), or None
        Added to the linear predictor.
    block_rows : int, optional
        Observations per block; by default the (rows, vectors) and (rows, k(k+1)/2)
        temporaries stay near :data:`BLOCK_ELEMENTS`. The result does not depend on it
        beyond floating-point summation order.
    weights : ndarray, shape (n,), optional
        Binomial weights :math:`m_i` (trials times frequency weights): :math:`W = m p(1-p)`.

    Returns
    -------
    ndarray, shape ``beta.shape[:-1]``
        ``-inf`` where :math:`X^\top WX` is not positive definite.

    Notes
    -----
    The upper triangle of :math:`X^\top WX` is accumulated over blocks of rows for chunks of
    at most :data:`DRAW_CHUNK` vectors, with :math:`W = p(1-p) = e^{-|\eta|}/(1+e^{-|\eta|})^2`;
    chunks run on up to 4 threads when the work is large.
    """
    X = np.asarray(X, dtype=float)
    n, k = X.shape
    flat = np.ascontiguousarray(beta, dtype=float).reshape(-1, k)
    P = flat.shape[0]
    iu = np.triu_indices(k)
    kk = len(iu[0])
    workers = worker_count(P * n)
    chunk = max(1, min(DRAW_CHUNK, -(-P // workers), BLOCK_ELEMENTS // kk))
    rows = block_rows if block_rows is not None else max(
        1, min(BLOCK_ELEMENTS // chunk, BLOCK_ELEMENTS // kk))
    rows = min(rows, max(n, 1))

    def logdets(B: FloatArray) -> FloatArray:
        info = np.zeros((B.shape[0], kk))
        for r0 in range(0, n, rows):
            Xb = X[r0 : r0 + rows]
            t = Xb @ B.T
            if offset is not None:
                t += offset[r0 : r0 + rows, None]
            np.abs(t, out=t)
            np.negative(t, out=t)
            np.exp(t, out=t)
            w = 1.0 + t
            np.square(w, out=w)
            np.divide(t, w, out=w)
            if weights is not None:
                w *= weights[r0 : r0 + rows, None]
            info += w.T @ (Xb[:, iu[0]] * Xb[:, iu[1]])
        full = np.zeros((B.shape[0], k, k))
        full[:, iu[0], iu[1]] = info
        full[:, iu[1], iu[0]] = info
        sign, logdet = np.linalg.slogdet(full)
        return np.where(sign > 0, logdet, -np.inf)

    parts = run_blocks(logdets, [flat[p0 : p0 + chunk] for p0 in range(0, P, chunk)], workers)
    out = np.concatenate(parts) if parts else np.zeros(0)
    return out.reshape(np.shape(beta)[:-1])
