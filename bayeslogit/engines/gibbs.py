r"""Exact Polya-Gamma Gibbs sampler for Bayesian logistic regression.

Model, in the working parametrisation of :mod:`bayeslogit.priors`
-----------------------------------------------------------------
With :math:`X_w = X T^{-1}` (every non-intercept column centred when the model has an
intercept) and :math:`\theta = T\beta`,

.. math:: y_i \sim \mathrm{Bernoulli}(\Lambda(\psi_i)), \quad
          \psi_i = x_{w,i}^\top\theta + o_i, \quad
          \theta_j \sim p_j \text{ independently.}

Polson, Scott & Windle (2013): with :math:`\kappa_i = y_i - 1/2` and
:math:`\omega_i \sim \mathrm{PG}(1, 0)`,
:math:`e^{y\psi}/(1+e^{\psi}) = \tfrac12 e^{\kappa\psi}\,E[e^{-\omega\psi^2/2}]`,
so given :math:`\omega` the likelihood is Gaussian in :math:`\theta`. Every supported prior is
a (possibly degenerate) normal scale mixture :math:`\theta_j \mid d_j \sim N(\mu_j, d_j)`, and
one sweep draws, for all chains at once,

1. :math:`\omega_i \mid \theta \sim \mathrm{PG}(1, \psi_i)` (the offset is inside :math:`\psi`);
2. the mixing variables :math:`d_j \mid \theta_j` (below);
3. :math:`\theta \mid \omega, d \sim N(m, P^{-1})` with precision
   :math:`P = X_w^\top\Omega X_w + D^{-1}` and
   :math:`m = P^{-1}(X_w^\top(\kappa - \Omega o) + D^{-1}\mu)`, drawn as
   :math:`\theta = L^{-\top}(L^{-1}r + z)` with :math:`P = LL^\top`, :math:`z \sim N(0, I)`.

Priors as scale mixtures (:math:`\delta_j = \theta_j - \mu_j`)
------------------------------------------------------------
Each prior states its mixture (:meth:`bayeslogit.spec.priors.Prior.scale_mixture`):

* ``Normal(mu, sigma)``: fixed :math:`d_j = \sigma^2`.
* ``Flat()``: :math:`d_j^{-1} = 0`.
* ``Laplace(mu, b)`` (Park & Casella 2008, :math:`\lambda = 1/b`):
  :math:`d_j = \tau_j^2 \sim \mathrm{Exp}(\text{rate } 1/(2b^2))`, updated by
  :math:`1/\tau_j^2 \mid \theta_j \sim \mathrm{InvGauss}(\text{mean } 1/(b|\delta_j|),
  \text{shape } 1/b^2)`.
* ``StudentT(nu, mu, sigma)`` and ``Cauchy(mu, gamma)`` (:math:`\nu = 1`):
  :math:`d_j = \sigma^2/\lambda_j`, :math:`\lambda_j \sim \mathrm{Gamma}(\nu/2, \text{rate }
  \nu/2)`, updated by :math:`\lambda_j \mid \theta_j \sim \mathrm{Gamma}((\nu+1)/2,
  \text{rate } (\nu + \delta_j^2/\sigma^2)/2)`.

A joint prior (Jeffreys) has no such representation and is rejected
(:class:`~bayeslogit.errors.UnsupportedPriorError`); so are fractional responses, whose
quasi-likelihood has no Polya-Gamma identity. Use NUTS for both.

Binomial counts and frequency weights
-------------------------------------
With binomial weights :math:`m_i` (trials times frequency weights) and successes
:math:`s_i = m_i y_i`, :math:`\kappa_i = s_i - m_i/2` and :math:`\omega_i \sim
\mathrm{PG}(m_i, \psi_i)`: exact, O(rows) (:mod:`bayeslogit.engines.pg`). Weights above
:data:`~bayeslogit.engines.pg.PG_MAX_SHAPE` per row have no exact draw at a bounded cost
and are refused (use NUTS).
"""

from __future__ import annotations

import contextlib
import time

import numpy as np
from numpy.typing import NDArray

from ..blocks import single_threaded_blas
from ..errors import UnsupportedPriorError
from ..spec.prior_set import PriorSet
from ..validation import check_arrays, check_count, check_seed
from .gibbs_priors import PriorVectors, gibbs_supported
from .outputs import Draws
from .pg import check_pg_shapes, pg_draws, pg_method_groups

FloatArray = NDArray[np.float64]

__all__ = ["gibbs_sample", "gibbs_supported"]

#: iterations of auxiliary standard normals / gammas / uniforms drawn per block and chain
_BLOCK = 512
#: above this many coefficients the sampler leaves the BLAS thread count alone
_THREADED_K = 64


def _inverse_gaussian(mean: FloatArray, shape: FloatArray, nrm: FloatArray,
                      unif: FloatArray) -> FloatArray:
    r"""Inverse-Gaussian draws from standard normals and uniforms (Michael, Schucany & Haas 1976).

    With :math:`v = \mu\,z^2` and :math:`s = \sqrt{4\lambda v + v^2}` the smaller root is
    :math:`x = \mu (s - v)/(s + v) = 4\lambda\mu/(v(1 + r)^2)`, :math:`r = \sqrt{1 +
    4\lambda/v}` (this form avoids the cancellation of numpy's ``wald`` when
    :math:`\mu \gg \lambda`, and never forms :math:`v^2`, which overflows); return :math:`x`
    with probability :math:`\mu/(\mu + x)`, else :math:`\mu^2/x`.
    """
    v = mean * np.maximum(nrm * nrm, 1e-300)
    r = np.sqrt(1.0 + 4.0 * shape / v)
    x = 4.0 * shape * (mean / v) / (1.0 + r) ** 2
    return np.where(unif * (mean + x) <= mean, x, mean * (mean / x))


def _validate(X, y, offset, prior_set: PriorSet, m=None):
    X, y, offset = check_arrays(X, y, offset, prior_set.k)
    if m is not None:
        m = np.asarray(m, dtype=float)
        check_pg_shapes(m)
        s = m * y
        if m.shape != y.shape or np.any(m < 1) or np.any(np.abs(m - np.round(m)) > 1e-9) \
                or np.any(np.abs(s - np.round(s)) > 1e-6):
            raise ValueError("The Gibbs sampler needs whole binomial weights m >= 1 and whole "
                             "successes m * y (binomial counts or frequency weights); use "
                             'sampler="nuts" otherwise.')
        return X, y, offset
    bad = np.unique(y[(y != 0.0) & (y != 1.0)])
    if bad.size:
        raise ValueError(
            f"The Gibbs sampler needs binary y (0/1); got other values such as {bad[:5].tolist()}. "
            'Use sampler="nuts" for fractional responses.'
        )
    if not np.all(np.isfinite(prior_set.center)):
        raise ValueError("prior_set.center is not finite (priors resolved on an empty design?).")
    return X, y, offset


def _check_flat_identified(Xw: FloatArray, prior_set: PriorSet) -> None:
    flat = prior_set.flat_index.tolist()
    if flat and np.linalg.matrix_rank(Xw[:, flat]) < len(flat):
        names = [prior_set.names[j] for j in flat]
        raise UnsupportedPriorError(
            f"The posterior is improper: the coefficients {names} have Flat priors but their "
            f"columns are collinear{' (or there are no rows)' if Xw.shape[0] == 0 else ''}. "
            "Give them proper priors, e.g. Normal(0, 2.5)."
        )


def _chain_generators(random_seed, chains: int) -> list[np.random.Generator]:
    if isinstance(random_seed, np.random.Generator):
        return list(random_seed.spawn(chains))
    seq = (random_seed if isinstance(random_seed, np.random.SeedSequence)
           else np.random.SeedSequence(random_seed))
    return [np.random.default_rng(s) for s in seq.spawn(chains)]


def _blas_limit(k: int):
    """Single-threaded BLAS for small k.

    The per-iteration products are (k, n) x (n, k); for small k threads gain nothing, and
    when the cores are busy OpenBLAS threads spin-wait and slow each product down tenfold.
    """
    if k > _THREADED_K:
        return contextlib.nullcontext()
    return single_threaded_blas()


def _progress(total: int, enabled: bool):
    if enabled:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return range(total)
        return tqdm(range(total), desc="Gibbs", unit="it")
    return range(total)


def gibbs_sample(
    X: FloatArray,
    y: FloatArray,
    offset: FloatArray | None,
    prior_set: PriorSet,
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    random_seed: int | np.random.Generator | np.random.SeedSequence | None = None,
    progressbar: bool = False,
    weights: FloatArray | None = None,
) -> Draws:
    r"""Draw from the exact posterior of a logistic regression by Polya-Gamma Gibbs sampling.

    Parameters
    ----------
    X : ndarray, shape (n, k)
        Design matrix of the reported coefficients (``n = 0`` samples the prior).
    y : ndarray, shape (n,)
        Binary response (0/1).
    offset : ndarray, shape (n,), or None
        Added to the linear predictor.
    prior_set : PriorSet
        One prior per working coefficient (see the module docstring for what is supported).
    draws, tune, chains : int
        Kept draws per chain, discarded burn-in iterations per chain, number of chains.
    random_seed : int, Generator, SeedSequence or None
        Seeds one independent stream per chain (``SeedSequence.spawn`` /
        ``Generator.spawn``); the same seed gives the same draws.
    progressbar : bool
        Show a tqdm progress bar.
    weights : ndarray, shape (n,), optional
        Binomial weights :math:`m_i` (trials times frequency weights, whole numbers), with
        ``y`` the proportions :math:`s_i/m_i` (module docstring).

    Returns
    -------
    Draws
        ``beta`` (chains, draws, k): draws of the reported coefficients
        (``prior_set.from_working`` of the working draws). ``latent``: the mixing variables of
        the scale-mixture priors, (chains, draws, k), NaN for coefficients without one:
        ``"tau2"`` (Laplace: the conditional prior variance :math:`\tau_j^2`) and
        ``"lambda"`` (StudentT / Cauchy: the precision multiplier :math:`\lambda_j`), each
        present only when some coefficient has that prior (None when neither is).
        ``sample_stats`` is None. ``info``: ``sampler`` ("gibbs (Polya-Gamma)"),
        ``sampling_time`` (wall seconds of the sampling loop, tuning included), ``tune``.

    Raises
    ------
    UnsupportedPriorError
        Jeffreys or another prior without a scale-mixture update, or Flat priors on
        collinear columns (improper posterior).
    ValueError
        Non-binary or non-finite data, shape mismatches, binomial weights above
        :data:`~bayeslogit.engines.pg.PG_MAX_SHAPE` (no exact draw at a bounded cost), or a
        non-positive-definite or overflowing precision during sampling (an improper
        posterior under Flat priors, e.g. separation).

    Notes
    -----
    Chains start at :math:`\theta \sim N(0, I)` and run in lock-step: each iteration makes
    one PG draw per row and chain and one batched Cholesky of the (chains, k, k) precisions.
    With Flat priors the posterior is proper only without (quasi-)separation; the caller
    should check separation first: under separation the chains drift without bound (R-hat
    flags it) and an error is raised only if the Cholesky factorisation breaks. For
    k <= 64 BLAS runs single-threaded during sampling (via ``threadpoolctl``).
    """
    ok, reason = gibbs_supported(prior_set)
    if not ok:
        raise UnsupportedPriorError(reason)
    draws = check_count("draws", draws, 1, example=1000)
    tune = check_count("tune", tune, 0, example=1000)
    chains = check_count("chains", chains, 1, example=4)
    random_seed = check_seed(random_seed)
    X, y, offset = _validate(X, y, offset, prior_set, weights)
    Xw = prior_set.working_design(X)
    _check_flat_identified(Xw, prior_set)
    gens = _chain_generators(random_seed, chains)

    start = time.perf_counter()
    with _blas_limit(X.shape[1]):
        kappa = y - 0.5 if weights is None else np.round(weights) * (y - 0.5)
        theta, latent = _run_chains(Xw, kappa, offset, PriorVectors.from_prior_set(prior_set),
                                    gens, draws, tune, progressbar,
                                    None if weights is None else np.round(weights))
    elapsed = time.perf_counter() - start
    return Draws(prior_set.from_working(theta), None, latent or None,
                 {"sampler": "gibbs (Polya-Gamma)", "sampling_time": elapsed,
                  "tune": tune})


def _run_chains(Xw, kappa, offset, pv: PriorVectors, gens, draws: int, tune: int,
                progressbar: bool, m=None) -> tuple[FloatArray, dict[str, FloatArray]]:
    """Run the sampling loop in working space; return the theta draws and the latent draws."""
    from polyagamma import random_polyagamma

    groups = None if m is None else pg_method_groups(m)

    n, k = Xw.shape
    chains = len(gens)
    XwT = np.ascontiguousarray(Xw.T)
    diag = np.arange(k)
    n_lap, n_t = pv.lap.size, pv.t.size
    t_shape = (pv.t_nu + 1.0) / 2.0

    theta = np.stack([g.standard_normal(k) for g in gens])
    prec = np.broadcast_to(pv.fixed_prec, (chains, k)).copy()
    omega = np.empty((chains, n))
    wbuf = np.empty((chains, k, n))
    P = np.empty((chains, k, k))
    out = np.empty((chains, draws, k))
    tau2 = np.full((chains, draws, k), np.nan) if n_lap else None
    lam = np.full((chains, draws, k), np.nan) if n_t else None

    total = tune + draws
    for it in _progress(total, progressbar):
        b = it % _BLOCK
        if b == 0:  # auxiliary noise for the next block of iterations, one stream per chain
            size = min(_BLOCK, total - it)
            z_blk = np.stack([g.standard_normal((size, k)) for g in gens], axis=1)
            if n_lap:
                nrm_blk = np.stack([g.standard_normal((size, n_lap)) for g in gens], axis=1)
                unif_blk = np.stack([g.random((size, n_lap)) for g in gens], axis=1)
            if n_t:
                gam_blk = np.stack([g.standard_gamma(t_shape, (size, n_t)) for g in gens],
                                   axis=1)

        # mixing variables | theta
        if n_lap:
            delta = np.abs(theta[:, pv.lap] - pv.mu[pv.lap])
            # |delta| = 0 has probability zero; the floor only keeps b / delta finite
            delta = np.maximum(delta, 1e-12 * np.minimum(pv.lap_b, 1.0))
            # 1/tau^2 ~ IG(1/(b delta), 1/b^2) drawn as IG(b/delta, 1) / b^2 (IG scales as
            # c IG(m, l) = IG(c m, c l)), so no intermediate over- or underflows for any b
            prec[:, pv.lap] = _inverse_gaussian(
                pv.lap_b / delta, np.ones_like(delta), nrm_blk[b], unif_blk[b]
            ) / pv.lap_b**2
        if n_t:
            zt = (theta[:, pv.t] - pv.mu[pv.t]) / pv.t_sigma
            lam_t = gam_blk[b] / (0.5 * (pv.t_nu + zt * zt))
            prec[:, pv.t] = lam_t / pv.t_sigma**2

        # omega | theta, then the Gaussian full conditional of theta
        if n:
            eta = theta @ XwT
            if offset is not None:
                eta += offset
            for c, g in enumerate(gens):
                if groups is None:
                    random_polyagamma(1.0, eta[c], out=omega[c], random_state=g,
                                      disable_checks=True)
                else:
                    pg_draws(m, groups, eta[c], omega[c], g)
            np.multiply(XwT, omega[:, None, :], out=wbuf)
            np.matmul(wbuf, Xw, out=P)
            resid = kappa - omega * offset if offset is not None else kappa
            r = resid @ Xw if resid.ndim == 2 else np.broadcast_to(Xw.T @ resid, (chains, k))
            r = r + prec * pv.mu
        else:
            P.fill(0.0)
            r = prec * pv.mu
        P[:, diag, diag] += prec
        try:
            L = np.linalg.cholesky(P)
        except np.linalg.LinAlgError:
            raise ValueError(
                f"The posterior precision X'WX + D^-1 is not positive definite at iteration "
                f"{it}. With Flat priors the posterior is improper under (quasi-)separation or "
                "a degenerate design; give the coefficients proper priors, e.g. Normal(0, 2.5)."
            ) from None
        u = np.linalg.solve(L, r[:, :, None])
        u += z_blk[b][:, :, None]
        theta = np.linalg.solve(L.transpose(0, 2, 1), u)[:, :, 0]
        if not np.isfinite(theta).all():
            raise ValueError(
                f"The Gibbs draws overflowed to inf/NaN at iteration {it}: the precision "
                "X'WX + D^-1 is too large for double precision (huge values in X or huge "
                "trials x freq_weights). Rescale the columns of X, or use "
                "model.sample(sampler='nuts')."
            )

        if it >= tune:
            d = it - tune
            out[:, d] = theta
            if n_lap:
                tau2[:, d, pv.lap] = 1.0 / prec[:, pv.lap]
            if n_t:
                lam[:, d, pv.t] = lam_t

    latent: dict[str, FloatArray] = {}
    if n_lap:
        latent["tau2"] = tau2
    if n_t:
        latent["lambda"] = lam
    return out, latent
