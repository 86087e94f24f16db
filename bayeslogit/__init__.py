"""Logistic regression where the MLE and the posterior are two compilations of one model.

>>> import bayeslogit as bl
>>> m = bl.Logit.from_formula("y ~ x1 + C(g)", data=df)          # doctest: +SKIP
>>> mle = m.fit()                      # statsmodels-compatible maximum likelihood
>>> post = m.sample()                  # the posterior under the (documented) default priors
>>> bl.compare({"MLE": mle, "Posterior": post})

``import bayeslogit`` is light: PyMC, ArviZ, nutpie and matplotlib load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from . import errors, priors
from .errors import (
    BayesLogitWarning,
    ColumnMismatchError,
    ColumnScaleError,
    ConvergenceWarning,
    DataWarning,
    DistributedDataError,
    EventLevelError,
    InvalidArgumentError,
    MissingDataError,
    PerfectSeparationWarning,
    RankDeficiencyError,
    SamplingWarning,
    SavedFileError,
    UnknownArgumentError,
    UnseenLevelError,
    UnsupportedDtypeError,
    UnsupportedPriorError,
)
from .model import Logit
from .spec.priors import Cauchy, Flat, Jeffreys, Laplace, Normal, StudentT

__version__ = "0.1.0"

_LAZY = {
    "compare": ("bayeslogit.study.compare", "compare"),
    "plot_compare": ("bayeslogit.study.compare", "plot_compare"),
    "prior_sensitivity": ("bayeslogit.study.sensitivity", "prior_sensitivity"),
    "plot_predictions": ("bayeslogit.study.effect_plots", "plot_predictions"),
    "plot_slopes": ("bayeslogit.study.effect_plots", "plot_slopes"),
    "datagrid": ("bayeslogit.results.effects_groups", "datagrid"),
    "load": ("bayeslogit.io", "load"),
    "datasets": ("bayeslogit.datasets", None),
}

__all__ = [
    "Logit",
    "Normal",
    "Laplace",
    "StudentT",
    "Cauchy",
    "Flat",
    "Jeffreys",
    "priors",
    "errors",
    "BayesLogitWarning",
    "ConvergenceWarning",
    "PerfectSeparationWarning",
    "SamplingWarning",
    "ColumnScaleError",
    "RankDeficiencyError",
    "MissingDataError",
    "UnseenLevelError",
    "ColumnMismatchError",
    "DataWarning",
    "EventLevelError",
    "UnknownArgumentError",
    "InvalidArgumentError",
    "SavedFileError",
    "DistributedDataError",
    "UnsupportedDtypeError",
    "UnsupportedPriorError",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        mod = import_module(module)
        return mod if attr is None else getattr(mod, attr)
    raise AttributeError(f"module 'bayeslogit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
