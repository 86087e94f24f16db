"""The options a result was fitted with: :class:`FitOptions`, published as ``result.options``.

Estimation (``Logit.fit`` / ``Logit.sample``) records every argument that shapes the estimate,
the result publishes it read-only, ``result.save()`` stores it and :func:`bayeslogit.load`
re-runs the fit with it (MLE, MAP) or rebuilds the result around the stored draws (Laplace,
posterior), so a saved result is rebuilt exactly (pyfixest publishes its ``options`` likewise).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from ..validation import ResultMethod

__all__ = ["FitOptions"]

def _same(a: Any, b: Any) -> bool:
    """Equality that also holds for arrays and containers of arrays (cluster labels)."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray | list | tuple) or isinstance(b, np.ndarray | list | tuple):
        try:
            return bool(np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object)))
        except ValueError:
            return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


@dataclass(frozen=True, eq=False)
class FitOptions:
    """The arguments a result was fitted with (frozen; ``None`` where one does not apply).

    Attributes
    ----------
    method : {"mle", "map", "laplace", "posterior"}
        The estimator: ``fit(method=...)``, or ``"posterior"`` for ``sample()``.
    cov_type : str or None
        MLE covariance type (``"nonrobust"``, ``"HC0"``, ``"HC1"``, ``"cluster"``).
    cov_kwds : dict or None
        MLE covariance keywords (``{"groups": ...}`` for ``"cluster"``), as passed.
    maxiter, tol : int, float, or None
        Solver settings (MLE, MAP and the mode of the Laplace approximation).
    ridge_factor : float or None
        MLE Newton ridge (statsmodels' ``ridge_factor``).
    start_params : tuple of float or None
        Starting values, as passed (MLE, MAP).
    check_separation : bool or None
        Whether the MLE tested for (quasi-)separation.
    draws, chains : int or None
        Draws per chain and chains (Laplace, posterior).
    random_seed : int, numpy Generator or None
        The seed as passed (Laplace, posterior); an integer makes the draws reproducible.
    sampler : str or None
        The sampler that ran (``"nuts"``, ``"gibbs"`` or ``"is"``; ``"auto"`` resolved: the
        reason is in ``result.info["reason"]``).
    tune : int or None
        Warm-up draws per chain (posterior).
    target_accept : float or None
        NUTS target acceptance rate, as passed.
    sampler_kwargs : dict
        Further keyword arguments passed to the sampler.

    Examples
    --------
    >>> import numpy as np, bayeslogit as bl
    >>> X = np.column_stack([np.ones(6), [0.0, 1, 2, 3, 4, 5]])
    >>> r = bl.Logit([0, 0, 1, 0, 1, 1], X).fit(maxiter=50)
    >>> r.options.method, r.options.maxiter
    ('mle', 50)
    """

    method: ResultMethod
    cov_type: str | None = None
    cov_kwds: Mapping[str, Any] | None = None
    maxiter: int | None = None
    tol: float | None = None
    ridge_factor: float | None = None
    start_params: tuple[float, ...] | None = None
    check_separation: bool | None = None
    draws: int | None = None
    chains: int | None = None
    random_seed: Any = None
    sampler: str | None = None
    tune: int | None = None
    target_accept: float | None = None
    sampler_kwargs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # private copies: the caller's containers stay theirs, later edits do not leak in
        if self.start_params is not None:
            values = np.asarray(self.start_params, dtype=float).ravel()
            object.__setattr__(self, "start_params", tuple(float(v) for v in values))
        if self.cov_kwds is not None:
            object.__setattr__(self, "cov_kwds", copy.deepcopy(dict(self.cov_kwds)))
        object.__setattr__(self, "sampler_kwargs", dict(self.sampler_kwargs))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FitOptions):
            return NotImplemented
        return all(_same(getattr(self, f.name), getattr(other, f.name)) for f in fields(self))

    __hash__ = None  # type: ignore[assignment]  # holds dicts: not hashable

    def fit_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``Logit.fit`` / ``Logit.sample`` that repeat this fit.

        Returns
        -------
        dict
            ``method`` and the solver settings for MLE, MAP and Laplace (pass to ``fit``);
            the sampling settings for a posterior (pass to ``sample``, with ``progressbar``).
        """
        keys = {"mle": ("method", "cov_type", "cov_kwds", "maxiter", "tol", "ridge_factor",
                        "start_params", "check_separation"),
                "map": ("method", "maxiter", "tol", "start_params"),
                "laplace": ("method", "draws", "chains", "random_seed", "maxiter", "tol"),
                "posterior": ("draws", "tune", "chains", "sampler", "random_seed",
                              "target_accept")}[self.method]
        out = {k: getattr(self, k) for k in keys if getattr(self, k) is not None}
        if self.method == "posterior":
            out.update(self.sampler_kwargs)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Every field as a plain dict (what ``save()`` stores)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> FitOptions:
        """Rebuild the options from :meth:`to_dict` output; unknown keys are ignored.

        Parameters
        ----------
        values : mapping
            Field names to values; ``method`` is required.

        Returns
        -------
        FitOptions
        """
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})
