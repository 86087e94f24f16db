r"""Posterior draws by Pareto-smoothed importance sampling (PSIS) from the Laplace approximation.

Method
------
1. The posterior mode :math:`\hat\beta` and the negative Hessian of the log posterior there,
   :math:`H`, come from :func:`bayeslogit.engines.map.fit_map` (``ModeResult.neg_hessian``;
   a caller that has the mode passes it, ``mode=``) (for Laplace priors :math:`H` has no
   curvature from the kink; for Jeffreys it is the Fisher information :math:`X^\top W X`).
2. Proposals are drawn from a multivariate Student-t with ``df`` degrees of freedom
   (default 7), location :math:`\hat\beta` and scale matrix :math:`\Sigma = H^{-1}`:
   :math:`\beta = \hat\beta + L^{-\top} z \sqrt{\nu/u}`, :math:`H = LL^\top`,
   :math:`z \sim N(0, I_k)`, :math:`u \sim \chi^2_\nu`. Its tails are heavier than the normal
   approximation's, which keeps the importance weights bounded for light-tailed posteriors.
3. Log importance ratios :math:`\log r = \ell(\beta) + \log p(\beta) - \log q(\beta)`:
   :math:`\ell` the summed Bernoulli log-likelihood, :math:`\log p` the joint log prior of
   :mod:`bayeslogit.priors` (Jeffreys: :math:`\tfrac12\log|X^\top W(\beta) X|`), :math:`q` the
   t density. :math:`\ell` and the Jeffreys term are computed in (proposals x ``block_rows``)
   blocks, so memory stays bounded whatever ``n``.
4. The ratios are Pareto-smoothed by ArviZ (``arviz_stats`` ``psislw``, ``r_eff=1`` since
   proposals are independent), which also returns the Pareto shape estimate k-hat.
   The importance ESS is :math:`1/\sum_s \tilde w_s^2` for the normalised smoothed weights.
5. ``M = draws * chains`` proposals are selected **without replacement** by systematic
   probability-proportional-to-size sampling (on a random ordering of the proposals) with
   inclusion probabilities :math:`\pi_s = \min(1, c\,\tilde w_s)`, :math:`\sum_s \pi_s = M`,
   then shuffled and split into ``chains`` pseudo-chains. No proposal appears twice, so the
   ESS computed from the draws is not inflated by duplicates. A proposal with
   :math:`M\tilde w_s > 1` cannot be fully represented by one equally weighted draw; the
   posterior mass so lost, :math:`\delta = \sum_s(\tilde w_s - \pi_s/M)_+`, bounds the bias
   this adds to any posterior probability estimated from the draws.
6. Proposals are drawn in rounds (first :math:`\max(2M, 4000)`, then growing at least
   1.5-fold) until ESS :math:`\ge M` and :math:`\delta \le 0.05/\sqrt M` (a tenth of the
   Monte Carlo standard error :math:`0.5/\sqrt M` of a probability near 1/2); or until
   ``max_proposals``; or until k-hat :math:`\ge` :data:`KHAT_THRESHOLD` (more proposals
   cannot fix a proposal whose tails are too light). ``accepted`` requires k-hat
   :math:`<` :data:`KHAT_THRESHOLD`, ESS :math:`\ge M` and the :math:`\delta` bound.

Heavy-tailed or strongly skewed posteriors (tiny n, separation under a weak prior, Cauchy
priors) give k-hat :math:`\ge 0.7`, or weights too uneven for the bounds above within
``max_proposals``; either way ``accepted=False`` and ``notes`` says why. The caller should
then use an MCMC sampler rather than these draws.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import scipy.linalg as sla
from numpy.typing import NDArray
from scipy.special import gammaln

from ..spec.prior_set import PriorSet
from ..validation import check_arrays, check_count, check_seed
from .logpost import log_posterior
from .outputs import Draws, ModeResult

FloatArray = NDArray[np.float64]

__all__ = ["KHAT_THRESHOLD", "DEFAULT_DF", "importance_sample", "log_posterior", "check_df"]

#: Pareto k-hat at or above which importance sampling is rejected (Vehtari et al. 2024)
KHAT_THRESHOLD = 0.7
#: default degrees of freedom of the multivariate-t proposal
DEFAULT_DF = 7.0
#: proposals in the first round, at least
_MIN_PROPOSALS = 4000
#: fewest proposals for a meaningful Pareto tail fit
_MIN_PSIS = 100
#: default max_proposals as a multiple of draws * chains
_MAX_PROPOSALS_FACTOR = 20
#: tolerated capped posterior mass, times sqrt(draws * chains)
_CAPPED_MASS_TOL = 0.05


def check_df(df: Any) -> float:
    """Return the t proposal's degrees of freedom as a positive float (``np.inf``: normal).

    Raises
    ------
    ValueError
        ``df`` is not a positive number.
    """
    number = isinstance(df, int | float | np.integer | np.floating) and not isinstance(
        df, bool | np.bool_)
    if not (number and float(df) > 0):
        raise ValueError(f"df must be a positive number (np.inf for a normal proposal), got "
                         f"{df!r}; e.g. df={DEFAULT_DF:g}.")
    return float(df)


def _psis(log_ratio: FloatArray) -> tuple[FloatArray, float]:
    """ArviZ PSIS: normalised smoothed log weights and k-hat for raw log ratios."""
    from arviz_stats.base import array_stats

    finite = np.isfinite(log_ratio)
    lw = np.full(log_ratio.shape, -np.inf)
    # arviz_stats' psislw takes log-likelihood-like values and smooths exp(-value)
    try:
        smoothed, khat = array_stats.psislw(-log_ratio[finite], r_eff=1.0)
    except ValueError as exc:  # e.g. "All tail values are the same": no usable weights
        raise ValueError(
            f"Importance sampling failed: the weights of the proposals are degenerate "
            f"({exc}; {int(finite.sum())} of {finite.size} finite), so the proposal does not "
            "cover the posterior (a posterior far narrower than its normal approximation, "
            "e.g. under huge frequency weights). Use an MCMC sampler: "
            "model.sample(sampler='nuts') or sampler='gibbs'.") from None
    lw[finite] = smoothed
    return lw, float(khat)


def _inclusion_probabilities(w: FloatArray, m: int) -> tuple[FloatArray, float]:
    r"""Compute the capped inclusion probabilities of sampling without replacement.

    :math:`\pi_s = \min(1, c\,w_s)` with :math:`\sum_s\pi_s = m`, and the capped mass
    :math:`\sum_s (w_s - \pi_s/m)_+` (``w`` normalised to sum 1).
    """
    w = w / w.sum()
    pi = m * w
    capped = np.zeros(pi.shape, dtype=bool)
    while True:
        over = (pi > 1.0) & ~capped
        if not over.any():
            return pi, float(np.sum(np.maximum(w - pi / m, 0.0)))
        capped |= over
        pi[capped] = 1.0
        free = ~capped
        pi[free] *= (m - capped.sum()) / pi[free].sum()


def _systematic_without_replacement(
    pi: FloatArray, m: int, rng: np.random.Generator
) -> NDArray[np.intp]:
    """Systematic PPS sampling of ``m`` distinct indices with inclusion probabilities ``pi``.

    The population is randomly permuted first; every ``pi <= 1`` so a unit is hit at most once.
    """
    order = rng.permutation(pi.size)
    cum = np.cumsum(pi[order])
    cum *= m / cum[-1]
    points = rng.random() + np.arange(m)
    idx = order[np.minimum(np.searchsorted(cum, points, side="right"), pi.size - 1)]
    if np.unique(idx).size != m:  # round-off at an interval end; practically never
        return _systematic_without_replacement(pi, m, rng)
    return idx


def _t_proposals(mode, chol, df, size, rng):
    """Multivariate-t draws (location ``mode``, scale ``inv(chol @ chol.T)``) and log density."""
    k = mode.size
    z = rng.standard_normal((size, k))
    s = np.sqrt(df / rng.chisquare(df, size))
    dev = sla.solve_triangular(chol, z.T, lower=True, trans="T").T * s[:, None]
    q = np.einsum("ij,ij->i", z, z) * s * s
    const = (
        gammaln(0.5 * (df + k)) - gammaln(0.5 * df) - 0.5 * k * math.log(df * math.pi)
        + float(np.sum(np.log(np.diag(chol))))
    )
    return mode + dev, const - 0.5 * (df + k) * np.log1p(q / df)


def importance_sample(
    X: FloatArray,
    y: FloatArray,
    offset: FloatArray | None,
    prior_set: PriorSet,
    *,
    draws: int = 1000,
    chains: int = 4,
    random_seed: Any = None,
    df: float = DEFAULT_DF,
    max_proposals: int | None = None,
    block_rows: int | None = None,
    mode: ModeResult | None = None,
    weights: FloatArray | None = None,
    posterior_fn: Any = None,
) -> Draws:
    r"""Posterior draws by PSIS from a multivariate-t proposal at the posterior mode.

    See the module docstring for the method.

    Parameters
    ----------
    X, y, offset : arrays
        Design (n, k), response (n,) in [0, 1], offset (n,) or None. Not modified.
    prior_set : PriorSet
        Priors (any with a log density, Jeffreys included).
    draws, chains : int
        The output has ``chains`` pseudo-chains of ``draws`` distinct resampled proposals.
    random_seed : int, numpy Generator or None
        Seed for ``numpy.random.default_rng``.
    df : float
        Degrees of freedom of the t proposal (default 7; ``np.inf`` gives a normal).
    max_proposals : int, optional
        Cap on the proposals drawn (default ``max(20 * draws * chains, 4000)``; at least
        ``max(draws * chains, 100)``).
    block_rows : int, optional
        Observations per block when evaluating the log-likelihood (see :func:`log_posterior`).
    mode : ModeResult, optional
        The posterior mode under ``prior_set`` on these data, when the caller has it
        (``fit(method="map").mode``); its ``neg_hessian`` is the proposal's precision, so
        neither the mode nor the Hessian is computed again. By default both are computed.
    weights : ndarray (n,), optional
        Binomial weights (trials times frequency weights, :mod:`bayeslogit.spec.counts`).
    posterior_fn : callable, optional
        ``posterior_fn(beta) -> log posterior`` of (P, k) proposals, when the data are held
        elsewhere (:mod:`bayeslogit.engines.distributed`); needs ``mode``. By default
        :func:`log_posterior` on ``X, y, offset``.

    Returns
    -------
    Draws
        ``beta`` (chains, draws, k): resampled (distinct, equally weighted, randomly ordered)
        proposals. ``sample_stats``: ``log_weight``, the normalised Pareto-smoothed log
        importance weight of each resampled proposal (they sum to 1 on the exp scale over all
        ``n_proposals`` proposals, not over the draws), and ``lp``, its unnormalised log
        posterior (:func:`log_posterior`). ``info``: ``sampler`` ("importance (PSIS)"),
        ``khat`` (Pareto k-hat of the ratios, NaN if ArviZ could not fit the tail),
        ``ess_is`` (importance ESS :math:`1/\sum\tilde w^2` of all smoothed weights),
        ``n_proposals``, ``accepted`` (``khat < KHAT_THRESHOLD``, ``ess_is >= draws *
        chains`` and the posterior mass lost by capping inclusion probabilities at most
        ``0.05 / sqrt(draws * chains)``), ``sampling_time`` (seconds, mode finding included)
        and ``notes`` (why the draws were not accepted, or anything else worth reporting).

    Raises
    ------
    ValueError
        Bad arguments, or the posterior mode could not be found (the message says why).
    numpy.linalg.LinAlgError
        The negative Hessian at the mode is not positive definite.
    """
    from .map import fit_map, neg_log_posterior_hessian

    start = time.perf_counter()
    draws = check_count("draws", draws, 1)
    chains = check_count("chains", chains, 1)
    m = draws * chains
    df = check_df(df)
    default_cap = max(_MAX_PROPOSALS_FACTOR * m, _MIN_PROPOSALS)
    if max_proposals is None:
        cap = default_cap
    else:
        cap = check_count("max_proposals", max_proposals, max(m, _MIN_PSIS),
                          example=default_cap)
    if posterior_fn is None:
        X, y, offset = check_arrays(X, y, offset, prior_set.k)
    elif mode is None:
        raise ValueError("importance_sample with posterior_fn needs the mode (mode=...).")
    rng = np.random.default_rng(check_seed(random_seed))
    tol = _CAPPED_MASS_TOL / math.sqrt(m)

    fit = fit_map(X, y, offset, prior_set, weights=weights) if mode is None else mode
    if not fit.converged or not np.all(np.isfinite(fit.params)):
        raise ValueError(f"Importance sampling needs the posterior mode: {fit.message}. With "
                         "Flat priors on nearly collinear or separated columns there may be no "
                         "mode: use proper priors (e.g. priors=bl.Normal(0, 2.5)) or an MCMC "
                         "sampler: model.sample(sampler='nuts').")
    H = fit.neg_hessian
    if H is None:
        H = neg_log_posterior_hessian(X, y, offset, prior_set, fit.params, weights)
    try:
        chol = np.linalg.cholesky(0.5 * (H + H.T))
    except np.linalg.LinAlgError:
        raise np.linalg.LinAlgError(
            "The negative Hessian of the log posterior at the mode is not positive definite, "
            "so there is no Laplace approximation to propose from; use an MCMC sampler."
        ) from None
    if np.isinf(df):
        df = 1e12  # the t density tends to the normal; keeps one code path

    props: list[FloatArray] = []
    logps: list[FloatArray] = []
    ratios: list[FloatArray] = []
    total, target = 0, min(max(2 * m, _MIN_PROPOSALS), cap)
    while True:
        new, logq = _t_proposals(fit.params, chol, df, target - total, rng)
        logp = log_posterior(X, y, offset, prior_set, new, block_rows=block_rows,
                             weights=weights) if posterior_fn is None else posterior_fn(new)
        props.append(new)
        logps.append(logp)
        ratios.append(logp - logq)
        total = target
        log_ratio = np.concatenate(ratios)
        if not np.any(np.isfinite(log_ratio)):
            raise ValueError("The log posterior is not finite at any proposal.")
        lw, khat = _psis(log_ratio)
        w = np.exp(lw)
        ess = 1.0 / float(np.sum(w * w))
        positive = int(np.count_nonzero(w))
        pi, lost = _inclusion_probabilities(w, m) if positive >= m else (w, math.inf)
        if (ess >= m and lost <= tol) or total >= cap or not khat < KHAT_THRESHOLD:
            break
        target = min(cap, max(int(1.5 * total), int(math.ceil(1.2 * total * m / ess))))

    beta_all = np.concatenate(props)
    if positive < m:
        raise ValueError(f"Only {positive} of {total} proposals have positive "
                         f"weight, fewer than the {m} distinct draws requested; the proposal "
                         "does not cover the posterior. Use an MCMC sampler.")
    idx = rng.permutation(_systematic_without_replacement(pi, m, rng))
    notes: list[str] = []
    if np.isnan(khat):
        notes.append("ArviZ could not fit a Pareto tail to the importance ratios (k-hat is "
                     "NaN), so their reliability is unknown; use an MCMC sampler.")
    elif not khat < KHAT_THRESHOLD:
        notes.append(f"Pareto k-hat {khat:.2f} >= {KHAT_THRESHOLD}: the posterior has heavier "
                     "tails or more skew than the t proposal at the mode, so the importance "
                     "weights are unreliable; use an MCMC sampler (NUTS or Gibbs).")
    if ess < m:
        limit = " (the max_proposals limit)" if total >= cap else ""
        notes.append(f"Importance ESS {ess:.0f} < {m} requested draws after {total} proposals"
                     f"{limit}; the draws carry less information than their number suggests.")
    if lost > tol:
        notes.append(f"Proposals with weight above 1/{m} carry posterior mass {lost:.2g} that "
                     f"equally weighted distinct draws cannot represent (tolerance {tol:.2g}); "
                     "posterior probabilities from the draws may be off by that much.")
    accepted = bool(khat < KHAT_THRESHOLD and ess >= m and lost <= tol)
    return Draws(
        beta=beta_all[idx].reshape(chains, draws, prior_set.k),
        sample_stats={"log_weight": lw[idx].reshape(chains, draws),
                      "lp": np.concatenate(logps)[idx].reshape(chains, draws)},
        info={"sampler": "importance (PSIS)", "sampling_time": time.perf_counter() - start,
              "khat": float(khat), "ess_is": float(ess), "n_proposals": int(total),
              "accepted": accepted, "notes": notes},
    )
