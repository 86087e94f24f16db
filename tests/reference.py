"""Reference densities written with scipy.stats, independent of bayeslogit.priors."""

from __future__ import annotations

import numpy as np
from scipy import stats

from bayeslogit.priors import Cauchy, Flat, Laplace, Normal, StudentT


def scipy_logpdf(prior):
    """The log density of a bayeslogit prior, from scipy.stats (Flat: zero)."""
    if isinstance(prior, Normal):
        return stats.norm(prior.mu, prior.sigma).logpdf
    if isinstance(prior, Laplace):
        return stats.laplace(prior.mu, prior.b).logpdf
    if isinstance(prior, StudentT):
        return stats.t(prior.nu, prior.mu, prior.sigma).logpdf
    if isinstance(prior, Cauchy):
        return stats.cauchy(prior.mu, prior.gamma).logpdf
    assert isinstance(prior, Flat), prior
    return np.zeros_like
