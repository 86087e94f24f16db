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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
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
    "PriorSet",
    "resolve_priors",
    "DEFAULT_SLOPE_SCALE",
    "DEFAULT_INTERCEPT_SCALE",
]

DEFAULT_SLOPE_SCALE = 2.5
DEFAULT_INTERCEPT_SCALE = 2.5
_LOG_2PI = math.log(2.0 * math.pi)


def _check_positive(name: str, value: float, what: str) -> float:
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: {what} must be a positive finite number, got {value!r}.")
    return value


def _check_finite(name: str, value: float, what: str) -> float:
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name}: {what} must be finite, got {value!r}.")
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
        return -(self.nu + 1) * d / (self.nu * self.sigma**2 + d * d)

    def hess(self, x):
        d = np.asarray(x, dtype=float) - self.mu
        a = self.nu * self.sigma**2
        return -(self.nu + 1) * (a - d * d) / (a + d * d) ** 2

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


@dataclass(frozen=True)
class PriorSet:
    r"""Priors resolved for one design: one concrete prior per coefficient.

    Priors apply to the *working* coefficients :math:`\theta = T\beta`, equal to
    :math:`\beta` except at the intercept, where :math:`\theta_0 = \beta_0 + c^\top\beta`
    with ``center`` :math:`c` (column means, zero at the intercept). ``center`` is all zeros
    when the model has no intercept.
    """

    names: tuple[str, ...]
    priors: tuple[Prior, ...]
    center: FloatArray
    intercept_index: int | None
    is_default: tuple[bool, ...]
    autoscale_factor: tuple[float, ...] = field(default=())
    jeffreys: bool = False

    @property
    def k(self) -> int:
        return len(self.names)

    @property
    def all_flat(self) -> bool:
        return not self.jeffreys and all(isinstance(p, Flat) for p in self.priors)

    @property
    def any_laplace(self) -> bool:
        return any(isinstance(p, Laplace) for p in self.priors)

    @property
    def smooth(self) -> bool:
        return all(p.smooth for p in self.priors)

    def to_working(self, beta: FloatArray) -> FloatArray:
        r"""Map reported coefficients (shape (..., k)) to working coefficients :math:`T\beta`."""
        beta = np.asarray(beta, dtype=float)
        if self.intercept_index is None:
            return beta.copy()
        theta = beta.copy()
        theta[..., self.intercept_index] = beta @ self.center + beta[..., self.intercept_index]
        return theta

    def from_working(self, theta: FloatArray) -> FloatArray:
        r"""Inverse of :meth:`to_working`: :math:`\beta_0 = \theta_0 - c^\top\theta`."""
        theta = np.asarray(theta, dtype=float)
        if self.intercept_index is None:
            return theta.copy()
        beta = theta.copy()
        beta[..., self.intercept_index] = theta[..., self.intercept_index] - theta @ self.center
        return beta

    def transform_matrix(self) -> FloatArray:
        """The matrix ``T`` with ``theta = T @ beta``."""
        T = np.eye(self.k)
        if self.intercept_index is not None:
            T[self.intercept_index] += self.center
        return T

    def logpdf_terms(self, beta: FloatArray) -> FloatArray:
        """Per-coefficient log prior densities, shape (..., k) for ``beta`` of shape (..., k)."""
        if self.jeffreys:
            raise ValueError("The Jeffreys prior is joint; evaluate it with the design matrix.")
        theta = self.to_working(beta)
        out = np.empty_like(theta)
        for j, prior in enumerate(self.priors):
            out[..., j] = prior.logpdf(theta[..., j])
        return out

    def logpdf(self, beta: FloatArray) -> FloatArray:
        """Joint log prior density of the reported coefficients."""
        return self.logpdf_terms(beta).sum(axis=-1)

    def grad(self, beta: FloatArray) -> FloatArray:
        r"""Gradient of the joint log prior w.r.t. ``beta`` (:math:`T^\top g(\theta)`)."""
        theta = self.to_working(beta)
        g = np.array([p.grad(t) for p, t in zip(self.priors, theta, strict=True)], dtype=float)
        return self.transform_matrix().T @ g

    def hess(self, beta: FloatArray) -> FloatArray:
        r"""Hessian of the joint log prior w.r.t. ``beta`` (:math:`T^\top D(\theta) T`)."""
        theta = self.to_working(beta)
        d = np.array([p.hess(t) for p, t in zip(self.priors, theta, strict=True)], dtype=float)
        T = self.transform_matrix()
        return T.T @ (d[:, None] * T)

    def table(self) -> pd.DataFrame:
        """One row per coefficient: prior, whether default, autoscale factor, applies-to."""
        rows = []
        for j, name in enumerate(self.names):
            prior = self.priors[j]
            on = "all coefficients (joint)" if self.jeffreys else "coefficient"
            if j == self.intercept_index and not self.jeffreys:
                on = "centred intercept" if np.any(self.center != 0) else "intercept"
            factor = self.autoscale_factor[j] if self.autoscale_factor else 1.0
            rows.append(
                {
                    "term": name,
                    "prior": prior.describe(),
                    "applies_to": on,
                    "default": self.is_default[j],
                    "autoscale_factor": factor,
                }
            )
        return pd.DataFrame(rows).set_index("term")


def _column_sd(X: FloatArray) -> FloatArray:
    if X.shape[0] < 2:
        return np.ones(X.shape[1])
    return X.std(axis=0, ddof=1)


def resolve_priors(
    priors: Prior | Mapping[str, Prior] | None,
    names: Sequence[str],
    X: FloatArray,
    intercept_index: int | None,
) -> PriorSet:
    """Resolve the user's ``priors=`` argument into one concrete prior per coefficient.

    Parameters
    ----------
    priors : Prior, dict of str to Prior, or None
        One prior for all coefficients, a dict keyed by coefficient name (others get the
        default), or None for the defaults described in the module docstring.
    names : sequence of str
        Coefficient names, in column order of ``X``.
    X : ndarray, shape (n, k)
        The design matrix (used for autoscaling and the intercept centring).
    intercept_index : int or None
        Column holding the intercept (all ones), if any.

    Raises
    ------
    ValueError
        A dict names a coefficient that does not exist (the message lists the valid names),
        a value is not a prior, or ``Jeffreys`` is mixed with other priors.
    """
    names = tuple(names)
    k = len(names)
    sd = _column_sd(X)
    center = np.zeros(k)
    if intercept_index is not None:
        center = X.mean(axis=0)
        center[intercept_index] = 0.0

    def default_for(j: int) -> tuple[Prior, float]:
        if j == intercept_index:
            return Normal(0.0, DEFAULT_INTERCEPT_SCALE), 1.0
        s = sd[j]
        factor = 1.0 / s if s > 0 and np.isfinite(s) else 1.0
        return Normal(0.0, DEFAULT_SLOPE_SCALE * factor), factor

    def concrete(prior: Prior, j: int) -> tuple[Prior, float]:
        if not isinstance(prior, Prior):
            raise TypeError(
                f"Prior for {names[j]!r} must be a bayeslogit prior such as bl.Normal(0, 2.5), "
                f"got {prior!r}."
            )
        if prior.autoscale and j != intercept_index and sd[j] > 0:
            return prior.scaled(1.0 / sd[j]), 1.0 / sd[j]
        return prior, 1.0

    if isinstance(priors, Jeffreys):
        flat = tuple(Jeffreys() for _ in names)
        return PriorSet(names, flat, center * 0.0, intercept_index, (False,) * k,
                        (1.0,) * k, jeffreys=True)

    resolved: list[Prior] = []
    factors: list[float] = []
    is_default: list[bool] = []
    if priors is None or isinstance(priors, Prior):
        for j in range(k):
            p, f = default_for(j) if priors is None else concrete(priors, j)
            resolved.append(p)
            factors.append(f)
            is_default.append(priors is None)
    elif isinstance(priors, Mapping):
        unknown = [key for key in priors if key not in names]
        if unknown:
            raise ValueError(
                f"priors names unknown coefficient(s) {unknown}; valid names are {list(names)}."
            )
        if any(isinstance(p, Jeffreys) for p in priors.values()):
            raise ValueError(
                "Jeffreys() is a joint prior on all coefficients: pass priors=bl.Jeffreys(), "
                "not inside a dict."
            )
        for j, name in enumerate(names):
            if name in priors:
                p, f = concrete(priors[name], j)
                is_default.append(False)
            else:
                p, f = default_for(j)
                is_default.append(True)
            resolved.append(p)
            factors.append(f)
    else:
        raise TypeError(
            "priors= must be None, one prior (e.g. bl.Normal(0, 2.5)) or a dict keyed by "
            f"coefficient name; got {type(priors).__name__}."
        )
    return PriorSet(names, tuple(resolved), center, intercept_index, tuple(is_default),
                    tuple(factors))
