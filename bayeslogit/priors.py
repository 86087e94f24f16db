"""The public prior module, ``bl.priors``: the prior families and the default scales.

The definitions live in :mod:`bayeslogit.spec.priors` (what is modelled); this module only
re-exports the public names, so that ``from bayeslogit.priors import Normal`` keeps working.
``FAMILIES`` maps each family name (the CLI's ``--prior`` spelling) to its class.
"""

from __future__ import annotations

from .spec.prior_set import PriorSet, resolve_priors
from .spec.priors import (
    DEFAULT_INTERCEPT_SCALE,
    DEFAULT_SLOPE_SCALE,
    FAMILIES,
    Cauchy,
    Flat,
    Jeffreys,
    Laplace,
    Normal,
    Prior,
    StudentT,
    prior_family,
)

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
    "FAMILIES",
    "prior_family",
    "PriorSet",
    "resolve_priors",
]
