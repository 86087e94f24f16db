"""The argument contract of ``sample()`` and ``fit()``: which engine takes which keyword.

Every keyword is either used by the engine that runs or refused, with the list of the
keywords that engine takes (:class:`~bayeslogit.errors.UnknownArgumentError`). Every value
is checked before any work starts, by the one validator of its kind in
:mod:`bayeslogit.validation`, so a bad count, seed or probability reads the same whichever
engine it was meant for.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np

from ..checks import boolean, count, option, seed
from ..errors import UnknownArgumentError
from ..validation import SamplerName, check_choice, check_count, check_keywords, check_probability

__all__ = ["SAMPLE_ARGUMENTS", "COMMON_SAMPLE_KEYWORDS", "SAMPLER_KEYWORDS", "NutsAdaptation",
           "check_sampler_kwargs", "auto_candidates", "check_fit_kwargs"]

#: keywords of ``sample()`` every sampler takes (``tune`` is unused by importance sampling)
COMMON_SAMPLE_KEYWORDS = ("draws", "tune", "chains", "sampler", "random_seed", "progressbar")

#: the checks of ``model.sample()``'s own arguments (the samplers' keywords: below)
SAMPLE_ARGUMENTS = {
    "draws": count(1, 1000), "tune": count(0, 1000), "chains": count(1, 4),
    "sampler": option(SamplerName, "model.sample", fold_case=True), "random_seed": seed(),
    "progressbar": boolean("model.sample"),
}

#: ``sample(sampler="nuts", adaptation=...)``: nutpie's mass-matrix adaptation
NutsAdaptation = Literal["diag", "draw_diag", "low_rank", "flow"]

#: each sampler's own keywords, besides :data:`COMMON_SAMPLE_KEYWORDS`
SAMPLER_KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "nuts": ("target_accept", "maxdepth", "mindepth", "max_energy_error", "adaptation",
             "cores"),
    "gibbs": (),
    "is": ("df", "max_proposals"),
}

#: the order in which ``sampler="auto"`` considers the samplers
_AUTO_ORDER = ("is", "gibbs", "nuts")


def _positive_float(name: str, example: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        number = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
            value, bool | np.bool_)
        if not (number and np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive finite number, got {value!r}; e.g. "
                             f"{name}={example:g}.")
        return float(value)

    return check


def _df(value: Any) -> float:
    from ..engines.importance import check_df

    return check_df(value)


_VALUE_CHECKS: Mapping[str, Callable[[Any], Any]] = {
    "target_accept": lambda v: check_probability("target_accept", v, 0.9),
    "maxdepth": lambda v: check_count("maxdepth", v, 1, example=10),
    "mindepth": lambda v: check_count("mindepth", v, 0, example=0),
    "max_energy_error": _positive_float("max_energy_error", 1000.0),
    "adaptation": lambda v: check_choice("adaptation", v, NutsAdaptation,
                                         call="model.sample"),
    "cores": lambda v: check_count("cores", v, 1, example=4),
    "df": _df,
    "max_proposals": lambda v: check_count("max_proposals", v, 1, example=4000),
}


def _owners(name: str) -> list[str]:
    return [s for s in _AUTO_ORDER if name in SAMPLER_KEYWORDS[s]]


def _where(names: list[str]) -> str:
    placed = [f"{n} is for sampler={_owners(n)[0]!r}" for n in names if _owners(n)]
    return f" ({'; '.join(placed)})" if placed else ""


def check_sampler_kwargs(sampler: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Refuse keywords ``sampler`` does not take and check the values of those it does.

    Parameters
    ----------
    sampler : {"auto", "nuts", "gibbs", "is"}
        The requested sampler (``"auto"`` takes the keywords of any sampler).
    kwargs : mapping of str to object
        The sampler keywords given to ``sample()`` (``target_accept`` included).

    Returns
    -------
    dict
        The keywords with checked, normalised values.

    Raises
    ------
    UnknownArgumentError
        A keyword no sampler takes, or one the chosen sampler does not take; the message
        lists the valid keywords and says which sampler a misplaced one belongs to.
    ValueError
        A bad value (the message names the keyword and gives a good value).
    """
    own = sorted({k for v in SAMPLER_KEYWORDS.values() for k in v}) if sampler == "auto" \
        else list(SAMPLER_KEYWORDS[sampler])
    unknown = [k for k in kwargs if k not in own]
    check_keywords(kwargs, [*COMMON_SAMPLE_KEYWORDS, *own],
                   call=f"model.sample(sampler={sampler!r})", hint=_where(unknown))
    return {k: _VALUE_CHECKS[k](v) for k, v in kwargs.items()}


def auto_candidates(kwargs: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the samplers ``sampler="auto"`` may run: those taking every keyword given.

    Raises
    ------
    UnknownArgumentError
        No one sampler takes all the keywords given (e.g. ``df`` and ``target_accept``).
    """
    given = set(kwargs)
    out = tuple(s for s in _AUTO_ORDER if given <= set(SAMPLER_KEYWORDS[s]))
    if not out:
        owners = {k: _owners(k) for k in sorted(given)}
        raise UnknownArgumentError(
            f"model.sample(sampler='auto') got keywords of different samplers {owners}, so "
            "no one sampler can use them all; choose the sampler, e.g. "
            f"model.sample(sampler={_owners(sorted(given)[0])[0]!r}, ...).")
    return out


def check_fit_kwargs(method: str, fn: Callable[..., Any], kwargs: Mapping[str, Any],
                     others: Mapping[str, Callable[..., Any]]) -> None:
    """Refuse keywords the ``fit(method=...)`` function ``fn`` does not take.

    ``others`` are the other methods' functions, named in the message when a keyword belongs
    to one of them (``draws`` is for ``method='laplace'``).

    Raises
    ------
    UnknownArgumentError
    """
    def names(f: Callable[..., Any]) -> list[str]:
        return [p for p in inspect.signature(f).parameters if p != "model"]

    valid = ["method", *names(fn)]
    placed = [f"{k} is for method={m!r}" for k in kwargs if k not in valid
              for m, f in others.items() if m != method and k in names(f)]
    hint = ""
    if placed:
        hint = f" ({'; '.join(dict.fromkeys(placed))})"
    elif any(k in _VALUE_CHECKS or k in ("tune", "sampler", "progressbar") for k in kwargs):
        hint = " (sampler keywords go to model.sample())"
    check_keywords(kwargs, valid, call=f"model.fit(method={method!r})", hint=hint)
