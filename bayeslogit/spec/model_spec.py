"""What the estimation and result layers need to know of a model.

:class:`ModelLike` is the structural type of the ``model`` that estimation functions take and
that every result keeps as ``result.model`` (statsmodels' back-reference): the validated data
(:class:`~bayeslogit.spec.design.Design`), the priors resolved for it and the names. The
:class:`bayeslogit.Logit` facade satisfies it; code below the facade types against this
protocol, never against the facade itself.
"""

from __future__ import annotations

from typing import Any, Protocol

from .design import Design
from .prior_set import PriorSet

__all__ = ["ModelLike"]


class ModelLike(Protocol):
    """A model spec: data, priors and names (see the module docstring)."""

    design: Design
    priors: Any

    @property
    def prior_set(self) -> PriorSet: ...

    @property
    def exog_names(self) -> list[str]: ...

    @property
    def endog_name(self) -> str: ...

    @property
    def nobs(self) -> int: ...

    @property
    def event(self) -> Any: ...
