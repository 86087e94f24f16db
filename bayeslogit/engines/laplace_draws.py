r"""Draws of the Laplace approximation when some priors are Laplace (L1) priors.

At a posterior mode under Laplace priors some working coefficients sit exactly at their kink
:math:`\theta_j = \mu_j`, where the log posterior has no curvature from the prior and the
likelihood's curvature alone (often tiny) would give an absurdly wide Gaussian. The
approximation is therefore built in two parts, both conditional on the other part at the mode:

* **active set** (coefficients off the kink, and those with smooth priors): the Gaussian
  :math:`N(\hat\theta_A, H_{AA}^{-1})`, :math:`H` the negative Hessian of the log posterior
  (Laplace priors have no curvature off the kink, so this is the usual Laplace approximation
  there);
* **zeros** (coefficients at the kink), each independently from its exact one-dimensional
  conditional under the quadratic model of the smooth part,
  :math:`p(t) \propto \exp(-g_j t - |t|/b_j - \tfrac12 H_{jj} t^2)`, :math:`t = \theta_j - \mu_j`
  and :math:`g_j` the gradient of the smooth part of the negative log posterior (the KKT
  conditions give :math:`|g_j| \le 1/b_j`). This two-sided truncated normal keeps the prior's
  exponential tails, so a coefficient the data barely inform gets about the prior's spread,
  not the likelihood's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats

from ..conditioning import covariance_root, scaled_inverse
from ..logistic import expit, information
from ..logistic import weights as pq_weights
from ..spec.prior_set import PriorSet

FloatArray = NDArray[np.float64]

__all__ = ["l1_laplace_draws"]


def _half_mass_log(alpha: float, h: float) -> float:
    r""":math:`\log\int_0^\infty e^{-\alpha u - h u^2/2}\,du`."""
    if h <= 1e-12 * alpha * alpha:
        return -np.log(alpha)
    r = np.sqrt(h)
    return float(0.5 * np.log(2 * np.pi / h) + alpha**2 / (2 * h)
                 + special.log_ndtr(-alpha / r))


def _half_draws(alpha: float, h: float, size: int, rng: np.random.Generator) -> FloatArray:
    if h <= 1e-12 * alpha * alpha:
        return rng.exponential(1.0 / alpha, size)
    r = np.sqrt(h)
    return stats.truncnorm.rvs(alpha / r, np.inf, loc=-alpha / h, scale=1.0 / r, size=size,
                               random_state=rng)


def _kink_draws(g: float, lam: float, h: float, size: int,
                rng: np.random.Generator) -> FloatArray:
    """Draws of t from exp(-g t - lam |t| - h t^2 / 2) (two truncated normals)."""
    up, down = lam + g, lam - g
    if (min(up, down) <= 0 and h <= 0) or not np.isfinite(h):
        raise ValueError("A coefficient at its Laplace kink has a flat conditional posterior, "
                         "so there is no Laplace approximation; use model.sample().")
    lo_up, lo_down = _half_mass_log(max(up, 0.0), h), _half_mass_log(max(down, 0.0), h)
    p_up = 1.0 / (1.0 + np.exp(lo_down - lo_up))
    side = rng.random(size) < p_up
    out = np.empty(size)
    out[side] = _half_draws(max(up, 0.0), h, int(side.sum()), rng)
    out[~side] = -_half_draws(max(down, 0.0), h, int((~side).sum()), rng)
    return out


def l1_laplace_draws(X: FloatArray, y: FloatArray, offset: FloatArray | None,
                     prior_set: PriorSet, params: FloatArray, chains: int, draws: int,
                     random_seed: Any, weights: FloatArray | None = None) -> FloatArray:
    """Draws (chains, draws, k) of the reported coefficients (module docstring).

    Raises
    ------
    ValueError
        The active block of the negative Hessian is singular, or a coefficient at its kink
        has a flat conditional (no approximation exists; the message says to sample).
    """
    rng = np.random.default_rng(random_seed)
    k = X.shape[1]
    Xw = prior_set.working_design(X)
    theta = prior_set.to_working(params)
    eta = X @ params if offset is None else X @ params + offset
    m = 1.0 if weights is None else weights  # binomial weights (trials x frequency weights)
    g = -(Xw.T @ (m * (y - expit(eta))))
    H = information(Xw, m * pq_weights(eta))
    lam, mu = np.zeros(k), np.zeros(k)
    for j, prior in enumerate(prior_set.priors):
        l1 = prior.l1_term()
        if l1 is not None:
            mu[j], lam[j] = l1
        elif prior.smooth:
            g[j] -= float(prior.grad(theta[j]))
            H[j, j] -= float(prior.hess(theta[j]))
    kink = (lam > 0) & (theta == mu)
    active = ~kink
    out = np.broadcast_to(theta, (chains, draws, k)).copy()
    if active.any():
        cov, _ = scaled_inverse(H[np.ix_(active, active)])
        if cov is None:
            raise ValueError("The negative Hessian of the log posterior is singular on the "
                             "coefficients off their Laplace kink, so there is no Laplace "
                             "approximation; use model.sample() (Gibbs handles Laplace "
                             "priors exactly).")
        root = covariance_root(cov)
        z = rng.standard_normal((chains, draws, int(active.sum())))
        out[..., active] += z @ root.T
    for j in np.flatnonzero(kink):
        t = _kink_draws(float(g[j]), float(lam[j]), float(H[j, j]), chains * draws, rng)
        out[..., j] = mu[j] + t.reshape(chains, draws)
    return prior_set.from_working(out)
