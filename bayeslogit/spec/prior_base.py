"""The base of the prior descriptions.

:class:`Prior`, :class:`ScaleMixture` and the checks of hyper-parameters. The families and
their registry are in :mod:`bayeslogit.spec.priors`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ..errors import InvalidArgumentError

FloatArray = NDArray[np.float64]

__all__ = ["Prior", "ScaleMixture", "MixtureKind", "SCALE_RANGE", "check_positive",
           "check_finite"]


#: hyper-parameter range the solvers and samplers handle: a scale s enters as 1/s**2 and a
#: location mu as (x - mu)**2, so both stay far from overflow inside [1e-100, 1e100]
SCALE_RANGE = (1e-100, 1e100)


def _as_number(name: str, value: Any, what: str) -> float:
    """``value`` as a float, or InvalidArgumentError naming the prior and the parameter."""
    kind = np.asarray(value).dtype.kind if not isinstance(value, str | bytes) else "U"
    if np.ndim(value) == 0 and kind in "iuf":  # numbers, numpy scalars, 0-d arrays; no bools
        return float(value)
    raise InvalidArgumentError(f"{name}: {what} must be a number, not {value!r:.60}; e.g. "
                               f"{name.split('(')[0]}({what}=1.0).")


def check_positive(name: str, value: float, what: str) -> float:
    """``value`` as a float in :data:`SCALE_RANGE`, or ValueError naming ``name`` and ``what``."""
    value = _as_number(name, value, what)
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


def check_finite(name: str, value: float, what: str) -> float:
    """``value`` as a float of magnitude at most 1e100, or ValueError naming it."""
    value = _as_number(name, value, what)
    if not np.isfinite(value):
        raise ValueError(f"{name}: {what} must be finite, got {value!r}.")
    if abs(value) > SCALE_RANGE[1]:
        raise ValueError(f"{name}: {what}={value!r} exceeds {SCALE_RANGE[1]:g} in magnitude; "
                         "rescale the column so its coefficient is of moderate size.")
    return value


MixtureKind = Literal["fixed", "flat", "exponential", "gamma"]


class ScaleMixture(NamedTuple):
    r"""A prior as a normal scale mixture :math:`\theta \mid d \sim N(\mu, d)`.

    Attributes
    ----------
    kind : {"fixed", "flat", "exponential", "gamma"}
        ``"fixed"``: :math:`d = s^2`; ``"flat"``: :math:`1/d = 0`; ``"exponential"``:
        :math:`d \sim \mathrm{Exp}(\text{rate } 1/(2s^2))` (Laplace with :math:`b = s`);
        ``"gamma"``: :math:`d = s^2/\lambda`, :math:`\lambda \sim \mathrm{Gamma}(\nu/2,
        \text{rate } \nu/2)` (Student-t).
    mu : float
        Location :math:`\mu`.
    scale : float
        Scale :math:`s` (unused for ``"flat"``).
    nu : float
        Degrees of freedom (``"gamma"`` only).
    """

    kind: MixtureKind
    mu: float = 0.0
    scale: float = 1.0
    nu: float = 1.0


class Prior:
    """Base of the prior descriptions. Subclasses are frozen dataclasses.

    Attributes
    ----------
    family : str
        Registry name (:data:`FAMILIES`): the CLI spelling and the PyMC variable suffix.
    spellings : tuple of str
        Further names the CLI accepts for the family (case-insensitive).
    param_names : tuple of str
        Hyper-parameters, in constructor (and CLI) order.
    scale_name : str or None
        The scale parameter that :meth:`from_scale` sets and :meth:`scaled` multiplies
        (None: the family has no scale).
    mixture : str or None
        Kind of normal scale mixture (:class:`ScaleMixture`), None if the prior is not one.
    smooth : bool
        Whether ``grad`` and ``hess`` exist everywhere (False for :class:`Laplace`).
    log_concave : bool
        Whether the log density is concave (False for the Student-t family).
    proper : bool
        Whether the density integrates to one.
    joint : bool
        Whether the prior is joint on all coefficients (:class:`Jeffreys`).
    """

    family: ClassVar[str] = ""
    spellings: ClassVar[tuple[str, ...]] = ()
    param_names: ClassVar[tuple[str, ...]] = ()
    scale_name: ClassVar[str | None] = None
    mixture: ClassVar[MixtureKind | None] = None
    smooth: ClassVar[bool] = True
    log_concave: ClassVar[bool] = True
    proper: ClassVar[bool] = True
    joint: ClassVar[bool] = False
    autoscale: bool = False

    @classmethod
    def from_scale(cls, scale: float) -> Prior:
        """Make the family's prior at location 0 with scale ``scale``.

        The family's prior at location 0 with scale ``scale`` (other parameters default,
        e.g. ``StudentT`` with ``nu=3``); used by prior-sensitivity sweeps.

        Raises
        ------
        TypeError
            The family has no scale (``Flat``, ``Jeffreys``).
        """
        if cls.scale_name is None:
            raise TypeError(f"{cls.__name__} has no scale; use a family with one, such as "
                            "bl.Normal.")
        return cls(**{cls.scale_name: scale})

    @classmethod
    def usage(cls) -> str:
        """Describe the prior in its CLI spelling, e.g. ``normal(mu, sigma)``."""
        name = cls.spellings[0] if cls.spellings else cls.family
        return f"{name}({', '.join(cls.param_names)})" if cls.param_names else name

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
        return {name: getattr(self, name) for name in self.param_names}

    def scaled(self, factor: float) -> Prior:
        """Return the same family with its scale multiplied by ``factor`` (location unchanged)."""
        if self.scale_name is None:
            return self
        value = getattr(self, self.scale_name) * factor
        return replace(self, **{self.scale_name: value, "autoscale": False})  # type: ignore

    def scale_mixture(self) -> ScaleMixture | None:
        """Return the prior as a normal scale mixture (:class:`ScaleMixture`), None if it is not."""
        return None

    def l1_term(self) -> tuple[float, float] | None:
        r"""Return the L1 term of the log density, if any.

        ``(mu, lam)`` of a term :math:`-\lambda|x - \mu|` in the log density (the kink an
        exact L1 solver handles), None for smooth priors.
        """
        return None

    def log_concave_proxy(self) -> Prior:
        """Return a log-concave prior of the same location and scale (itself when log-concave)."""
        return self

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
