"""The priors the Polya-Gamma Gibbs sampler supports, as per-coefficient working vectors.

Every supported prior is a normal scale mixture (:meth:`bayeslogit.spec.priors.Prior.
scale_mixture`); :class:`PriorVectors` groups the coefficients by the update their mixing
variable needs (fixed, exponential for Laplace, gamma for Student t and Cauchy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..errors import UnsupportedPriorError
from ..spec.prior_set import PriorSet
from ..spec.priors import FAMILIES

FloatArray = NDArray[np.float64]

__all__ = ["gibbs_supported", "PriorVectors"]


def gibbs_supported(prior_set: PriorSet) -> tuple[bool, str]:
    """Whether the exact Gibbs sampler can handle these priors.

    Returns
    -------
    ok : bool
    reason : str
        Empty when ``ok``; otherwise what is unsupported and what to use instead.
    """
    if prior_set.joint is not None:
        return False, (
            f"The Gibbs sampler cannot use the joint {type(prior_set.joint).__name__} prior "
            '(it is not a normal scale mixture); use sampler="nuts" (or "is") instead.'
        )
    for name, prior in zip(prior_set.names, prior_set.priors, strict=True):
        if prior.scale_mixture() is None:
            supported = ", ".join(c.__name__ for c in FAMILIES.values() if c.mixture)
            return False, (
                f"The Gibbs sampler has no exact update for the prior {prior.describe()} on "
                f"{name!r} (supported: {supported}); "
                'use sampler="nuts" instead.'
            )
    return True, ""


@dataclass
class PriorVectors:
    """Per-coefficient hyper-parameters in working space, grouped by update type."""

    mu: FloatArray
    fixed_prec: FloatArray  # 1/sigma^2 for Normal, 0 for Flat and for the mixture slots
    lap: NDArray[np.intp]
    lap_b: FloatArray
    t: NDArray[np.intp]
    t_nu: FloatArray
    t_sigma: FloatArray

    @classmethod
    def from_prior_set(cls, prior_set: PriorSet) -> PriorVectors:
        """Collect the working hyper-parameters (UnsupportedPriorError for other priors)."""
        k = prior_set.k
        mu, prec = np.zeros(k), np.zeros(k)
        lap, lap_b, t, t_nu, t_sigma = [], [], [], [], []
        for j, p in enumerate(prior_set.priors):
            m = p.scale_mixture()
            if m is None:
                raise UnsupportedPriorError(gibbs_supported(prior_set)[1])
            mu[j] = m.mu
            if m.kind == "fixed":
                prec[j] = 1.0 / m.scale**2
            elif m.kind == "exponential":
                lap.append(j)
                lap_b.append(m.scale)
            elif m.kind == "gamma":
                t.append(j)
                t_nu.append(m.nu)
                t_sigma.append(m.scale)
        return cls(mu, prec, np.array(lap, dtype=np.intp), np.array(lap_b),
                   np.array(t, dtype=np.intp), np.array(t_nu), np.array(t_sigma))
