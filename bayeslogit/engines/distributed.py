r"""Map-reduce passes over a design held on a Dask cluster.

Every statistic is a sum over row blocks: each worker evaluates its blocks with the
in-memory kernels (:func:`~bayeslogit.engines.newton.evaluate`,
:func:`~bayeslogit.blocks.loglike_sums`) and returns k-vectors and k x k matrices, which the
client adds in block order. One pass per Newton evaluation moves :math:`O(k^2)` numbers per
block to the client and the coefficients (k numbers) to every block; ``X`` never leaves the
workers, and a worker holds one block's temporaries at a time.

The iteration rules are the in-memory engines' own, with the pass as their evaluation:
:func:`~bayeslogit.engines.newton.newton_mle` takes :func:`newton_evaluator`, and the MAP
solver's objective (:class:`~bayeslogit.engines.map.MapProblem`) is evaluated by
:class:`BlockMapProblem`. So the estimates equal the in-memory ones up to the order of
floating-point summation.

Each pass is logged (logger ``bayeslogit.distributed``, level INFO) with its wall time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..blocks import loglike_sums
from ..conditioning import pow2_scale
from ..errors import RankDeficiencyError
from ..spec.dask_counts import block_score_terms, block_weights
from ..spec.prior_set import PriorSet
from .map import RIDGE, MapProblem, mode_result, solve_problem
from .newton import evaluate, newton_mle
from .outputs import ModeResult, NewtonResult
from .passes import run_pass

FloatArray = NDArray[np.float64]
LOG = logging.getLogger("bayeslogit.distributed")

__all__ = ["run_pass", "zero_evaluation", "newton_evaluator", "fit_newton", "null_loglik",
           "pred_table", "score_crossproduct", "cluster_score_sums", "loglik_sums",
           "BlockMapProblem", "fit_map_blocks", "shape_only"]


def shape_only(n: int, k: int) -> FloatArray:
    """Return a read-only (n, k) array of zeros taking no memory (the shape engines read)."""
    return np.broadcast_to(np.zeros(1), (n, k))


# ---------------------------------------------------------------------- per-block kernels
def block_evaluate(block: tuple, params: FloatArray, ones: bool = False) -> tuple:
    """Evaluate one block: llf, score, information (``ones``: the constant model).

    Rows count with their binomial weights (trials times frequency weights), if any.
    """
    X, y, off = block[0], block[1], block[2]
    if ones:
        X = np.ones((len(y), 1))
    return evaluate(params, X, y, off, weights=block_weights(block))


def _sum_parts(parts: list[tuple]) -> tuple[float, FloatArray, FloatArray]:
    llf, grad, info = parts[0][0], parts[0][1].copy(), parts[0][2].copy()
    for part in parts[1:]:
        llf += part[0]
        grad += part[1]
        info += part[2]
    return float(llf), grad, info


Evaluation = tuple[float, FloatArray, FloatArray]


def zero_evaluation(n: int, gram: FloatArray, score: FloatArray) -> Evaluation:
    r"""Return the evaluation at zero coefficients without offset, from construction facts.

    There :math:`p = 1/2` for every row, so the log-likelihood is :math:`-n\log 2`, the
    score :math:`X^\top(y - 1/2)` and the information :math:`X^\top X / 4` (exact: a power
    of two), which saves the Newton fit's first pass.
    """
    return -n * float(np.log(2.0)), np.array(score, dtype=float), gram / 4.0


def newton_evaluator(blocks: Sequence[Any], ones: bool = False,
                     at_zero: Evaluation | None = None) -> Callable:
    """Return a function making one pass at ``params``: summed (llf, score, information).

    ``at_zero`` is the evaluation at zero coefficients if already known
    (:func:`zero_evaluation`): asked there, the function returns it without a pass.
    """
    count = [0]

    def evaluator(params: FloatArray) -> Evaluation:
        params = np.asarray(params, dtype=float)
        if at_zero is not None and not params.any():
            LOG.info("evaluation at zero: from the construction pass")
            return at_zero[0], at_zero[1].copy(), at_zero[2].copy()
        count[0] += 1
        out = _sum_parts(run_pass(blocks, block_evaluate, params, ones,
                                  what=f"Newton evaluation {count[0]}"))
        LOG.info("evaluation %d: log-likelihood %.10g", count[0], out[0])
        return out

    return evaluator


def fit_newton(blocks: Sequence[Any], n: int, k: int, at_zero: Evaluation | None = None,
               **settings: Any) -> NewtonResult:
    """:func:`~bayeslogit.engines.newton.newton_mle` with one pass per evaluation.

    ``at_zero`` as for :func:`newton_evaluator` (used when the fit starts at zero).
    """
    return newton_mle(shape_only(n, k), np.broadcast_to(np.zeros(1), (n,)), None,
                      evaluator=newton_evaluator(blocks, at_zero=at_zero), **settings)


def null_loglik(blocks: Sequence[Any], n: int, y_sum: float | None = None) -> float:
    """Return the log-likelihood of the constant-only model with the same offset.

    ``y_sum`` (the response's sum; only without offset) gives the first evaluation.
    """
    at_zero = None if y_sum is None else zero_evaluation(n, np.array([[float(n)]]),
                                                         np.array([y_sum - n / 2]))
    return newton_mle(shape_only(n, 1), np.broadcast_to(np.zeros(1), (n,)), None, maxiter=100,
                      evaluator=newton_evaluator(blocks, ones=True, at_zero=at_zero)).llf


def _eta(block: tuple, params: FloatArray) -> FloatArray:
    eta = block[0] @ params
    return eta if block[2] is None else eta + block[2]


def _probabilities(block: tuple, params: FloatArray) -> FloatArray:
    from ..logistic import expit

    return expit(_eta(block, params))


def block_pred_table(block: tuple, params: FloatArray, threshold: float) -> FloatArray:
    """Count one block's confusion matrix (of the expanded 0/1 rows with counts)."""
    pred = (_probabilities(block, params) > threshold).astype(float)
    y, tri, fw = block[1], block[3], block[4]
    if tri is None:
        return np.histogram2d(y, pred, bins=[[0, 0.5, 1], [0, 0.5, 1]], weights=fw)[0]
    s = np.round(y * tri)
    f, s = (tri - s), s
    if fw is not None:
        f, s = f * fw, s * fw
    return np.array([[f @ (1 - pred), f @ pred], [s @ (1 - pred), s @ pred]])


def pred_table(blocks: Sequence[Any], params: FloatArray, threshold: float) -> FloatArray:
    """Return the confusion matrix ``[[TN, FP], [FN, TP]]`` summed over blocks."""
    return np.sum(run_pass(blocks, block_pred_table, params, threshold, what="pred_table"),
                  axis=0)


def block_score_cross(block: tuple, params: FloatArray) -> FloatArray:
    r"""Cross-product :math:`S^\top S` of one block's scores :math:`(y - p)x`.

    With counts the scores are :math:`n_i(y_i - p_i)x_i`, each counted :math:`w_i` times.
    """
    resid, fw = block_score_terms(block, block[1] - _probabilities(block, params))
    S = block[0] * resid[:, None]
    return (S.T if fw is None else S.T * fw) @ S


def score_crossproduct(blocks: Sequence[Any], params: FloatArray) -> FloatArray:
    r"""Sum :math:`s_i s_i^\top` over all rows (the HC0 meat)."""
    return np.sum(run_pass(blocks, block_score_cross, params, what="score cross-product"),
                  axis=0)


def block_cluster_sums(block: tuple, params: FloatArray, groups: Any) -> pd.DataFrame:
    """Sum one block's observation scores per cluster (times trials and weights)."""
    resid, fw = block_score_terms(block, block[1] - _probabilities(block, params))
    S = block[0] * (resid if fw is None else resid * fw)[:, None]
    return pd.DataFrame(S).groupby(np.asarray(groups), sort=False).sum()


def cluster_score_sums(blocks: Sequence[Any], params: FloatArray,
                       group_blocks: Sequence[Any]) -> FloatArray:
    """Sum the scores per cluster, (G, k): per block, then across blocks."""
    import dask

    start = time.perf_counter()
    parts = dask.compute(*[dask.delayed(block_cluster_sums)(b, params, g)
                           for b, g in zip(blocks, group_blocks, strict=True)])
    LOG.info("cluster score sums: %.3f s", time.perf_counter() - start)
    return pd.concat(parts).groupby(level=0, sort=False).sum().to_numpy()


def block_loglik_sums(block: tuple, beta: FloatArray) -> FloatArray:
    """Sum one block's log-likelihood at each row of ``beta`` (proposals x block)."""
    return loglike_sums(beta, block[0], block[1], block[2], weights=block_weights(block))


def loglik_sums(blocks: Sequence[Any], beta: FloatArray) -> FloatArray:
    """Sum the log-likelihood at each of the (P, k) coefficient rows over all blocks."""
    parts = run_pass(blocks, block_loglik_sums, np.ascontiguousarray(beta),
                     what=f"log-likelihood of {beta.shape[0]} proposals")
    return np.sum(parts, axis=0)


def block_abs_sums(block: tuple, M: FloatArray) -> FloatArray:
    r"""Sum :math:`|XM|` over one block's rows."""
    return np.abs(block[0] @ M).sum(axis=0)


# --------------------------------------------------------------------------- MAP solver
class BlockMapProblem(MapProblem):
    r"""The MAP objective of :mod:`bayeslogit.engines.map` evaluated by passes over blocks.

    The working design is :math:`X_w = XM` with ``M`` the k x k map of the working
    coordinates (centring and scaling); a pass at :math:`\beta = M\theta` gives the
    log-likelihood, :math:`X^\top(y-p)` and :math:`X^\top WX`, which ``M`` carries over.
    """

    def __init__(self, blocks: Sequence[Any], n: int, y: Any, offset: Any, M: FloatArray,
                 abs_sums: FloatArray, prior_set: PriorSet, scale: FloatArray,
                 at_zero: Evaluation | None = None) -> None:
        super().__init__(abs_sums[None, :], y, offset, prior_set, scale)
        self.blocks, self.M, self.n = blocks, M, n
        self.ridge = RIDGE * n
        self._evaluate = newton_evaluator(blocks, at_zero=at_zero)

    def eta(self, theta: FloatArray) -> FloatArray:
        """Return a neutral stand-in for the linear predictor (see :meth:`state`)."""
        return np.zeros(1)

    def _prior_terms(self, theta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        gp, hp = np.zeros_like(theta), np.zeros_like(theta)
        lp = 0.0
        for prior, ix in self.groups:
            t, si = theta[ix] / self.s[ix], self.s[ix]
            lp += float(np.sum(prior.logpdf(t)))
            if prior.smooth:
                gp[ix], hp[ix] = prior.grad(t) / si, prior.hess(t) / (si * si)
        return lp, gp, hp

    def objective(self, theta: FloatArray, eta: Any = None) -> float:
        """Return the negative log posterior at ``theta`` (one pass)."""
        llf = self._evaluate(self.M @ theta)[0]
        return -llf - self._prior_terms(theta)[0]

    def state(self, theta: FloatArray) -> tuple:
        """Return :meth:`MapProblem.state` from one pass."""
        llf, grad, info = self._evaluate(self.M @ theta)
        lp, gp, hp = self._prior_terms(theta)
        g = -(self.M.T @ grad) - gp
        H = self.M.T @ info @ self.M - np.diag(hp)
        r = np.abs(g)
        dev = theta - self.mu
        on, at = self.l1 & (dev != 0), self.l1 & (dev == 0)
        r[on] = np.abs(g[on] + self.lam[on] * np.sign(dev[on]))
        r[at] = np.maximum(r[at] - self.lam[at], 0.0)
        # the solver reads eta only for its separation screens, which need the rows: a
        # neutral stand-in (no row is fitted exactly) leaves them to the caller
        return -llf - lp, g, H, float(np.max(r, initial=0.0)), np.zeros(1)


def fit_map_blocks(blocks: Sequence[Any], n: int, gram: FloatArray, prior_set: PriorSet,
                   *, start: FloatArray | None = None, tol: float = 1e-8,
                   maxiter: int = 100, at_zero: Evaluation | None = None) -> ModeResult:
    """:func:`~bayeslogit.engines.map.fit_map` (smooth and Laplace priors) over blocks.

    ``at_zero`` as for :func:`newton_evaluator`.

    Raises
    ------
    RankDeficiencyError
        Collinear columns among those with flat priors.
    """
    k = prior_set.k
    b0 = np.zeros(k) if start is None else np.asarray(start, dtype=float).reshape(-1)
    M0 = prior_set.working_design(np.eye(k))
    scale = pow2_scale(np.sqrt(np.clip(np.diag(M0.T @ gram @ M0), 0, None) / max(n, 1)))
    M = M0 / scale[None, :]
    flat = prior_set.flat_index
    if flat.size:
        from ..spec.dask_data import gram_rank

        sub = (M.T @ gram @ M)[np.ix_(flat, flat)]
        if gram_rank(sub, n) < flat.size:
            raise RankDeficiencyError(
                f"The design is rank deficient among the coefficients with flat priors "
                f"{[prior_set.names[j] for j in flat]}; drop a collinear column or give these "
                "coefficients a proper prior such as bl.Normal(0, 2.5).")
    abs_sums = np.sum(run_pass(blocks, block_abs_sums, M, what="column sums"), axis=0)
    prob = BlockMapProblem(blocks, n, np.zeros(1), None, M, abs_sums, prior_set, scale,
                           at_zero)
    theta, it, ok, F, kkt, H, msg = solve_problem(prob, prior_set.to_working(b0) * scale,
                                                  tol, maxiter)
    return mode_result(prior_set, theta, it, ok, F, kkt, H, msg, prob.l1, prob.mu, scale)
