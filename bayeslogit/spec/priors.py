r"""Backend-neutral prior descriptions and the default-prior policy.

Every prior is a small frozen dataclass that knows its log density and, where smooth, the
first and second derivatives of that log density (elementwise, for a scalar coefficient).
The backends translate these descriptions: :mod:`bayeslogit.newton` uses the derivatives,
:mod:`bayeslogit.backends.pymc` maps them onto PyMC distributions and
:mod:`bayeslogit.backends.gibbs` onto normal scale mixtures.

Where the intercept prior applies
---------------------------------
The intercept prior applies to the **centred intercept**
:math:`\alpha_c = \alpha + \sum_j \bar x_j \beta_j` (the log-odds at the mean of the
predictors), as in rstanarm; the reported intercept is always the raw :math:`\alpha`. Because
the map :math:`(\alpha, \beta) \mapsto (\alpha_c, \beta)` has unit Jacobian, the joint prior
density of the reported coefficients is :math:`p_0(\alpha_c)\prod_j p_j(\beta_j)`; this is what
MAP maximises, what PyMC samples and what the ``log_prior`` group stores (its ``Intercept``
entry is :math:`\log p_0(\alpha_c)`). A flat intercept prior makes the distinction moot.

Default priors (rstanarm's weakly informative set)
-------------------------------------------------
* slopes: ``Normal(0, 2.5 / sd(x_j))`` (``sd`` with ``ddof=1``; a constant non-intercept
  column falls back to ``Normal(0, 2.5)``);
* centred intercept: ``Normal(0, 2.5)``.

``priors=`` accepts ``None`` (all defaults), one prior applied to every coefficient, or a dict
keyed by coefficient name; coefficients a dict does not name keep their default.
:class:`Jeffreys` is a joint prior and must be given alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

FloatArray = NDArray[np.float64]

__all__ = [
    "Prior",
    "Normal",
    "Laplace",
    "StudentT",
    "Cauchy",
    "Flat",
    "Jeffreys",
    "DEFAULT_SLOPE_SCALE",
    "DEFAULT_INTERCEPT_SCALE",
]

DEFAULT_SLOPE_SCALE = 2.5
DEFAULT_INTERCEPT_SCALE = 2.5
_LOG_2PI = math.log(2.0 * math.pi)


#: hyper-parameter range the solvers and samplers handle: a scale s enters as 1/s**2 and a
#: location mu as (x - mu)**2, so both stay far from overflow inside [1e-100, 1e100]
SCALE_RANGE = (1e-100, 1e100)


def _check_positive(name: str, value: float, what: str) -> float:
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: {what} must be a positive finite number, got {value!r}.")
    low, high = SCALE_RANGE
    if value < low:
        raise ValueError(
            f"{name}: {what}={value!r} is below {low:g}; such a prior pins the coefficient at "
            "its location. Use a scale of at least 1e-100, or move the term into the offset "
            "(offset = mu * x) and drop the column.")
    if value > high:
        fix = ("Normal" if what == "nu" else "bl.Flat()")
        raise ValueError(
            f"{name}: {what}={value!r} is above {high:g}; use a value of at most 1e100, or "
            f"{fix} for the limit.")
    return value


def _check_finite(name: str, value: float, what: str) -> float:
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name}: {what} must be finite, got {value!r}.")
    if abs(value) > SCALE_RANGE[1]:
        raise ValueError(f"{name}: {what}={value!r} exceeds {SCALE_RANGE[1]:g} in magnitude; "
                         "rescale the column so its coefficient is of moderate size.")
    return value


class Prior:
    """Base of the prior descriptions. Subclasses are frozen dataclasses.

    Attributes
    ----------
    smooth : bool
        Whether ``grad`` and ``hess`` exist everywhere (False for :class:`Laplace`).
    """

    smooth: bool = True
    proper: bool = True
    autoscale: bool = False

    def logpdf(self, x: FloatArray) -> FloatArray:
        """Elementwise log density at ``x``."""
        raise NotImplementedError

    def grad(self, x: FloatArray) -> FloatArray:
        """Elementwise first derivative of the log density."""
        raise NotImplementedError

    def hess(self, x: FloatArray) -> FloatArray:
        """Elementwise second derivative of the log density."""
        raise NotImplementedError

    def params(self) -> dict[str, float]:
        """Hyper-parameters by name (the names used for PyMC ``pm.Data`` too)."""
        raise NotImplementedError

    def scaled(self, factor: float) -> Prior:
        """The same family with its scale multiplied by ``factor`` (location unchanged)."""
        raise NotImplementedError

    def rvs(self, size: int | tuple[int, ...], rng: np.random.Generator) -> FloatArray:
        """Random draws (for prior predictive checks); improper priors raise ValueError."""
        raise ValueError(f"{self.describe()} is improper: it cannot be sampled. Use a proper "
                         "prior such as Normal(0, 2.5) for prior predictive checks.")

    def describe(self) -> str:
        """Short text such as ``Normal(mu=0, sigma=2.5)``."""
        args = ", ".join(f"{k}={v:.4g}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class Normal(Prior):
    r"""Normal prior :math:`\log p(x) = -\tfrac12\log(2\pi\sigma^2) - (x-\mu)^2/(2\sigma^2)`.

    With ``autoscale=True`` the scale is divided by ``sd(x_j)`` of the coefficient's column.
    """

    mu: float = 0.0
    sigma: float = 1.0
    autoscale: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "mu", _check_finite("Normal", self.mu, "mu"))
        object.__setattr__(self, "sigma", _check_positive("Normal", self.sigma, "sigma"))

    def logpdf(self, x):
        z = (np.asarray(x, dtype=float) - self.mu) / self.sigma
        return -0.5 * z * z - math.log(self.sigma) - 0.5 * _LOG_2PI

    def grad(self, x):
        return -(np.asarray(x, dtype=float) - self.mu) / self.sigma**2

    def hess(self, x):
        return np.full(np.shape(x), -1.0 / self.sigma**2)

    def params(self):
        return {"mu": self.mu, "sigma": self.sigma}

    def rvs(self, size, rng):
        return rng.normal(self.mu, self.sigma, size)

    def scaled(self, factor):
        return Normal(self.mu, self.sigma * factor)


@dataclass(frozen=True)
class Laplace(Prior):
    r"""Laplace (double-exponential) prior, :math:`\log p(x) = -\log(2b) - |x-\mu|/b`.

    The Bayesian analog of the L1 penalty: its MAP with a flat intercept equals the lasso with
    penalty weight :math:`1/b` on the summed log-likelihood scale.
    """

    mu: float = 0.0
    b: float = 1.0
    autoscale: bool = False
    smooth = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "mu", _check_finite("Laplace", self.mu, "mu"))
        object.__setattr__(self, "b", _check_positive("Laplace", self.b, "b"))

    def logpdf(self, x):
        return -np.abs(np.asarray(x, dtype=float) - self.mu) / self.b - math.log(2.0 * self.b)

    def grad(self, x):
        """Derivative away from the kink (a subgradient, 0, at ``x == mu``)."""
        return -np.sign(np.asarray(x, dtype=float) - self.mu) / self.b

    def hess(self, x):
        return np.zeros(np.shape(x))

    def params(self):
        return {"mu": self.mu, "b": self.b}

    def rvs(self, size, rng):
        return rng.laplace(self.mu, self.b, size)

    def scaled(self, factor):
        return Laplace(self.mu, self.b * factor)


@dataclass(frozen=True)
class StudentT(Prior):
    r"""Student-t prior with ``nu`` degrees of freedom, location ``mu`` and scale ``sigma``.

    :math:`\log p(x) = c - \tfrac{\nu+1}{2}\log(1 + z^2/\nu)`, :math:`z = (x-\mu)/\sigma`.
    """

    nu: float = 3.0
    mu: float = 0.0
    sigma: float = 1.0
    autoscale: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "nu", _check_positive(type(self).__name__, self.nu, "nu"))
        object.__setattr__(self, "mu", _check_finite(type(self).__name__, self.mu, "mu"))
        object.__setattr__(
            self, "sigma", _check_positive(type(self).__name__, self.sigma, "sigma")
        )

    def _const(self) -> float:
        nu = self.nu
        return (
            special.gammaln((nu + 1) / 2)
            - special.gammaln(nu / 2)
            - 0.5 * math.log(nu * math.pi)
            - math.log(self.sigma)
        )

    def logpdf(self, x):
        z = (np.asarray(x, dtype=float) - self.mu) / self.sigma
        return self._const() - 0.5 * (self.nu + 1) * np.log1p(z * z / self.nu)

    def grad(self, x):
        d = np.asarray(x, dtype=float) - self.mu
        # in z = d / sigma, so that sigma**2 and d**2 never under- or overflow
        z = d / self.sigma
        return -(self.nu + 1) * z / (self.nu + z * z) / self.sigma

    def hess(self, x):
        d = np.asarray(x, dtype=float) - self.mu
        z = d / self.sigma
        q = self.nu + z * z
        return -(self.nu + 1) * ((self.nu - z * z) / q) / q / self.sigma / self.sigma

    def params(self):
        return {"nu": self.nu, "mu": self.mu, "sigma": self.sigma}

    def rvs(self, size, rng):
        return self.mu + self.sigma * rng.standard_t(self.nu, size)

    def scaled(self, factor):
        return StudentT(self.nu, self.mu, self.sigma * factor)


@dataclass(frozen=True)
class Cauchy(Prior):
    r"""Cauchy prior (Student-t with one degree of freedom), location ``mu``, scale ``gamma``."""

    mu: float = 0.0
    gamma: float = 1.0
    autoscale: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "mu", _check_finite("Cauchy", self.mu, "mu"))
        object.__setattr__(self, "gamma", _check_positive("Cauchy", self.gamma, "gamma"))

    def _t(self) -> StudentT:
        return StudentT(1.0, self.mu, self.gamma)

    def logpdf(self, x):
        return self._t().logpdf(x)

    def grad(self, x):
        return self._t().grad(x)

    def hess(self, x):
        return self._t().hess(x)

    def params(self):
        return {"mu": self.mu, "gamma": self.gamma}

    def rvs(self, size, rng):
        return self.mu + self.gamma * rng.standard_cauchy(size)

    def scaled(self, factor):
        return Cauchy(self.mu, self.gamma * factor)


@dataclass(frozen=True)
class Flat(Prior):
    """Improper flat prior (log density 0). MAP under flat priors is the MLE."""

    proper = False

    def logpdf(self, x):
        return np.zeros(np.shape(x))

    def grad(self, x):
        return np.zeros(np.shape(x))

    def hess(self, x):
        return np.zeros(np.shape(x))

    def params(self):
        return {}

    def scaled(self, factor):
        return self

    def describe(self):
        return "Flat()"


@dataclass(frozen=True)
class Jeffreys(Prior):
    r"""Jeffreys' joint prior :math:`p(\beta) \propto |X^\top W(\beta) X|^{1/2}`.

    A joint prior on all coefficients (it must be given alone, ``priors=Jeffreys()``); its
    posterior mode is Firth's bias-reduced estimate, finite even under separation.
    Its density depends on the design, so the per-coefficient methods are not defined.
    """

    proper = True

    def params(self):
        return {}

    def scaled(self, factor):
        return self

    def describe(self):
        return "Jeffreys()"

