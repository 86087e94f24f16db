"""Checks of plain inputs: arrays, counts, seeds, probabilities, keywords, string options.

One validator, and so one message, for each kind of argument, used by every engine.

Each string option of the public API is a ``Literal`` alias defined here once; it is both the
type hint of the argument and, through :func:`check_choice`, the runtime check, so every
option is refused with the same message: ``method='xyz' not understood; use one of ['mle',
'map', 'laplace'], e.g. model.fit(method='mle').``
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray

from .errors import UnknownArgumentError

FloatArray = NDArray[np.float64]

__all__ = ["check_arrays", "check_count", "check_seed", "check_probability", "check_keywords",

           "SeedLike", "check_choice", "choices", "FitMethod",
           "ResultMethod", "SamplerName", "PredictKind", "DrawPredictKind", "CovType",
           "COV_TYPE_ALIASES", "MissingPolicy", "MargeffAt", "MargeffMethod", "CIKind",
           "SensitivityMethod", "PlotUnits", "SlopeType", "ComparisonType", "CompareScale"]

#: ``Logit.fit(method=...)`` (case-insensitive)
FitMethod = Literal["mle", "map", "laplace"]
#: ``result.method`` and ``result.options.method``: a fit method or ``"posterior"``
ResultMethod = Literal["mle", "map", "laplace", "posterior"]
#: ``Logit.sample(sampler=...)`` (case-insensitive)
SamplerName = Literal["auto", "nuts", "gibbs", "is"]
#: ``predict(kind=...)`` of point estimates
PredictKind = Literal["mean", "linear"]
#: ``predict(kind=...)`` of draw-based results (``"draws"``: every draw's probabilities)
DrawPredictKind = Literal["mean", "linear", "draws"]
#: ``fit(cov_type=...)``: statsmodels' case-sensitive names, and the lower-case aliases
CovType = Literal["nonrobust", "HC0", "HC1", "cluster", "hc0", "hc1"]
COV_TYPE_ALIASES: Mapping[str, str] = {"hc0": "HC0", "hc1": "HC1"}
#: ``Logit(missing=...)`` and ``Logit.from_formula(missing=...)``
MissingPolicy = Literal["none", "drop", "raise"]
#: ``get_margeff(at=...)`` (case-insensitive, as statsmodels)
MargeffAt = Literal["overall", "mean", "median", "zero", "all"]
#: ``get_margeff(method=...)`` (case-insensitive, as statsmodels)
MargeffMethod = Literal["dydx", "eyex", "dyex", "eydx"]
#: ``summary(ci_kind=...)`` of draw-based results: equal-tailed or highest-density interval
CIKind = Literal["eti", "hdi"]
#: ``slopes(slope=...)``: dy/dx, elasticity, semi-elasticities (marginaleffects' names)
SlopeType = Literal["dydx", "eyex", "dyex", "eydx"]
#: ``comparisons(comparison=...)``: p1 - p0, p1 / p0, log odds ratio
ComparisonType = Literal["difference", "ratio", "lnor"]
#: ``compare(scale=...)``: coefficients, average slopes (probability scale) or predictions
CompareScale = Literal["coefficients", "probability", "predictions"]
#: ``prior_sensitivity(method=...)``
SensitivityMethod = Literal["map", "laplace", "sample"]
#: units of the prior-sensitivity plot (SensitivityResult.plot)
PlotUnits = Literal["raw", "per_sd"]


def choices(alias: Any) -> tuple[str, ...]:
    """Return the values of a ``Literal`` alias, e.g. ``('mle', 'map', 'laplace')``."""
    return tuple(get_args(alias))


def check_choice(name: str, value: Any, options: Any, *, call: str | None = None,
                 fold_case: bool = False, aliases: Mapping[str, str] | None = None,
                 lead: str = "", hint: str = "") -> str:
    """Return ``value`` as one of ``options``, or raise the one message for a bad option.

    Parameters
    ----------
    name : str
        The argument's name, e.g. ``"method"``.
    value : object
        What the caller passed.
    options : Literal alias or sequence of str
        The accepted values (a ``Literal`` alias is read with :func:`choices`).
    call : str, optional
        The call the remedy shows, e.g. ``"model.fit"`` gives ``model.fit(method='mle')``.
    fold_case : bool
        Accept any capitalisation (the options are lower case).
    aliases : mapping of str to str, optional
        Other spellings accepted and mapped to an option (e.g. ``{"hc0": "HC0"}``); options
        that are aliases are not listed in the message.
    lead : str
        Text put before the message (e.g. statsmodels' wording of the same error).
    hint : str
        Text appended to the message, e.g. where else to look.

    Returns
    -------
    str
        The canonical option (lower case when ``fold_case``; an alias resolved).

    Raises
    ------
    ValueError
        ``"{name}={value!r} not understood; use one of [...], e.g. {call}({name}=...)."``

    Examples
    --------
    >>> check_choice("kind", "mean", PredictKind)
    'mean'
    >>> check_choice("kind", "odds", PredictKind)
    Traceback (most recent call last):
    ...
    ValueError: kind='odds' not understood; use one of ['mean', 'linear'], e.g. kind='mean'.
    """
    allowed = choices(options) if not isinstance(options, list | tuple) else tuple(options)
    aliases = aliases or {}
    if isinstance(value, str):
        key = value.lower() if fold_case else value
        key = aliases.get(key, key)
        if key in allowed:
            return key
    shown = [o for o in allowed if o not in aliases]
    example = f"{name}={shown[0]!r}"
    example = f"{call}({example})" if call else example
    raise ValueError(f"{lead}{name}={value!r} not understood; use one of {shown}, e.g. "
                     f"{example}{hint}.")


def check_arrays(
    X: Any, y: Any, offset: Any, k: int, *, copy: bool = False
) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    """Float arrays X (n, k), y (n,) in [0, 1] and offset (n,) or None, all finite.

    ``copy=True`` returns private copies (for objects that keep the data).

    Raises
    ------
    ValueError
        Naming the shape, the non-finite array or the out-of-range y values.
    """
    as_float = np.array if copy else np.asarray
    X, y = as_float(X, dtype=float), as_float(y, dtype=float)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0] or X.shape[1] != k:
        raise ValueError(f"X must have shape (n, {k}) and y shape (n,); got X {X.shape} and "
                         f"y {y.shape}.")
    if offset is not None:
        offset = as_float(offset, dtype=float)
        if offset.shape != y.shape:
            raise ValueError(f"offset must have shape {y.shape} to match y, got {offset.shape}.")
    for name, a in (("X", X), ("y", y), ("offset", offset)):
        if a is not None and not np.all(np.isfinite(a)):
            raise ValueError(f"{name} contains NaN or infinite values; drop or impute those "
                             "rows first.")
    out_of_range = (y < 0) | (y > 1)
    if out_of_range.any():
        raise ValueError(f"y must lie in [0, 1]; found values "
                         f"{np.unique(y[out_of_range])[:5].tolist()}.")
    return X, y, offset


def check_count(name: str, value: Any, low: int, *, high: int | None = None,
                example: int | None = None) -> int:
    """Return ``value`` as an int in ``[low, high]``, or raise the one message for a bad count.

    Integers (Python or numpy) and floats with an integer value (``1e3``) are accepted;
    booleans, None, NaN, infinities, fractions and strings are not.

    Parameters
    ----------
    name : str
        The argument's name, e.g. ``"draws"``.
    value : object
        What the caller passed.
    low : int
        Smallest accepted value.
    high : int, optional
        Largest accepted value (no limit by default).
    example : int, optional
        A good value, shown as the remedy (``e.g. draws=1000``).

    Returns
    -------
    int

    Raises
    ------
    ValueError
        ``"{name} must be an integer >= {low}, got {value!r}; e.g. {name}={example}."``

    Examples
    --------
    >>> check_count("draws", 1e3, 1)
    1000
    >>> check_count("draws", 1.5, 1, example=1000)
    Traceback (most recent call last):
    ...
    ValueError: draws must be an integer >= 1, got 1.5; e.g. draws=1000.
    """
    ok = False
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        ok = True
    elif isinstance(value, float | np.floating):
        ok = bool(np.isfinite(value)) and float(value).is_integer()
    if ok:
        ok = value >= low and (high is None or value <= high)
    if not ok:
        bound = f">= {low}" if high is None else f"between {low} and {high}"
        remedy = "" if example is None else f"; e.g. {name}={example}"
        raise ValueError(f"{name} must be an integer {bound}, got {value!r}{remedy}.")
    return int(value)


#: what ``random_seed`` accepts
SeedLike = int | np.integer | np.random.Generator | np.random.SeedSequence | None


def check_seed(value: Any, name: str = "random_seed") -> SeedLike:
    """Return ``value`` if it is a seed every engine takes, or raise the one message for it.

    A seed is an integer >= 0 (Python or numpy, not a bool), a ``numpy.random.Generator``
    (used, and advanced, as given), a ``numpy.random.SeedSequence``, or None (fresh
    entropy). The same integer gives the same draws.

    Raises
    ------
    ValueError
        ``"random_seed must be an integer >= 0, a numpy Generator or SeedSequence, or None;
        got ..."`` with a remedy.

    Examples
    --------
    >>> check_seed(7)
    7
    >>> check_seed(-1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: random_seed must be an integer >= 0, a numpy Generator or SeedSequence, ...
    """
    if value is None or isinstance(value, np.random.Generator | np.random.SeedSequence):
        return value
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_) \
            and value >= 0:
        return int(value)
    raise ValueError(f"{name} must be an integer >= 0, a numpy Generator or SeedSequence, or "
                     f"None; got {value!r}. E.g. {name}=1 or {name}=np.random.default_rng(1).")


def check_probability(name: str, value: Any, example: float = 0.95) -> float:
    """Return ``value`` as a float strictly between 0 and 1, or raise the one message.

    Raises
    ------
    ValueError
        ``"{name} must be a probability in (0, 1), got {value!r}; e.g. {name}={example}."``

    Examples
    --------
    >>> check_probability("target_accept", 0.9, 0.9)
    0.9
    """
    number = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_)
    v = float(value) if number else np.nan
    if not 0 < v < 1:
        raise ValueError(f"{name} must be a probability in (0, 1), got {value!r}; e.g. "
                         f"{name}={example}.")
    return v


def check_keywords(given: Iterable[str], valid: Iterable[str], *, call: str,
                   hint: str = "") -> None:
    """Refuse keyword arguments that ``call`` does not take, listing those it does.

    Parameters
    ----------
    given : iterable of str
        The keywords the caller passed.
    valid : iterable of str
        The keywords accepted.
    call : str
        What refuses them, e.g. ``"model.sample(sampler='gibbs')"``.
    hint : str
        Text appended to the message (where the keyword belongs instead).

    Raises
    ------
    UnknownArgumentError
        ``"{call} does not take ['drawz']; its keywords are [...]."``
    """
    valid = list(valid)
    unknown = [g for g in given if g not in valid]
    if unknown:
        raise UnknownArgumentError(f"{call} does not take {unknown}; its keywords are "
                                   f"{sorted(valid)}{hint}.")
