"""Build the counterfactual designs of slopes and comparisons, one variable at a time.

A numeric variable's slope differences the re-encoded design around each row's value,
``d = (X(v + h/2) - X(v - h/2)) / h`` with ``h = 1e-4 * range(v)`` in the training data
(:data:`~bayeslogit.inference.effects_data.RELATIVE_STEP`); a categorical variable's
"slope" is the difference between each level and the reference, as in marginaleffects.
Comparisons of a numeric variable move every row by a step (+1 by default:
``hi = v + 1``, ``lo = v``) or set it to two values; a 0/1 variable compares 1 with 0; a
categorical variable compares every level with the reference (``contrast`` ``"b - a"``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..checks import check_names
from ..errors import ColumnMismatchError, InvalidArgumentError
from .effects import EffectTerm
from .effects_data import Encoder, Variable, set_column

__all__ = ["select_variables", "slope_terms", "comparison_terms", "design_derivative",
           "SLOPE_LABELS"]

SLOPE_LABELS = {"dydx": "dY/dX", "eyex": "eY/eX", "dyex": "dY/eX", "eydx": "eY/dX"}
_COMPARISON_SIGNS = {"difference": "{hi} - {lo}", "ratio": "{hi} / {lo}",
                     "lnor": "ln(odds({hi}) / odds({lo}))"}


def select_variables(known: Mapping[str, Variable], variables: Any,
                     call: str) -> dict[str, Any]:
    """Return ``{name: option}`` for the requested variables (all of them for None).

    ``variables`` is None, a name, a list of names, or (comparisons) a dict of a name to its
    option (a numeric step, two values ``[lo, hi]``, or for a categorical variable two
    levels).

    Raises
    ------
    ColumnMismatchError
        A name that is not a variable of the model.
    """
    first = next(iter(known), "x")
    if variables is None:
        chosen: dict[str, Any] = {name: None for name in known}
    elif isinstance(variables, Mapping):
        if not variables:
            raise ValueError(f"variables={{}} names no variable; pass variables=None for all, "
                             f"e.g. {call}(variables={first!r}).")
        bad = [k for k in variables if not isinstance(k, str)]
        if bad:
            raise InvalidArgumentError(f"variables: the keys must be variable names, got "
                                       f"{bad!r}; e.g. {call}(variables={{{first!r}: 1}}).")
        chosen = dict(variables)
    else:
        chosen = dict.fromkeys(check_names("variables", variables, example=first))
    unknown = [k for k in chosen if k not in known]
    if unknown:
        raise ColumnMismatchError(
            f"variables={unknown!r} not variable(s) of the model; its variables are "
            f"{list(known)}, e.g. {call}(variables={[first]!r}).")
    if not chosen:
        raise ColumnMismatchError(f"{call}: the model has no variable to take effects of.")
    return chosen


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float | int | np.number) and \
        not isinstance(value, bool) else str(value)


def _pair_term(encode: Encoder, frame: pd.DataFrame, name: str, lo: Any, hi: Any,
               comparison: str, contrast: str) -> EffectTerm:
    X1, o1 = encode(set_column(frame, name, hi))
    X0, o0 = encode(set_column(frame, name, lo))
    return EffectTerm(name, contrast, "comparison", X1, o1, X0, o0, transform=comparison)


def _level_terms(encode: Encoder, frame: pd.DataFrame, var: Variable, option: Any,
                 comparison: str) -> Iterator[EffectTerm]:
    sign = _COMPARISON_SIGNS[comparison]
    if option is None:
        ref = var.levels[0]
        pairs = [(ref, lev) for lev in var.levels[1:]]
    elif isinstance(option, list | tuple) and len(option) == 2:
        bad = [v for v in option if v not in var.levels]
        if bad:
            raise ColumnMismatchError(
                f"variables={{{var.name!r}: {list(option)!r}}}: {bad!r} not level(s) of "
                f"{var.name!r}; its levels are {list(var.levels)}.")
        pairs = [tuple(option)]
    else:
        raise ValueError(
            f"variables={{{var.name!r}: {option!r}}} not understood for a categorical "
            f"variable; pass None (every level against {var.levels[0]!r}) or two levels, "
            f"e.g. {{{var.name!r}: {list(var.levels[:2])!r}}}.")
    for lo, hi in pairs:
        yield _pair_term(encode, frame, var.name, lo, hi, comparison,
                         sign.format(hi=_fmt(hi), lo=_fmt(lo)))


def comparison_terms(encode: Encoder, frame: pd.DataFrame, known: Mapping[str, Variable],
                     chosen: Mapping[str, Any], comparison: str) -> Iterator[EffectTerm]:
    """Yield one comparison term per (variable, contrast), built lazily.

    Raises
    ------
    ValueError
        A step that is not a finite number or a pair of values.
    """
    sign = _COMPARISON_SIGNS[comparison]
    for name, option in chosen.items():
        var = known[name]
        if var.categorical:
            yield from _level_terms(encode, frame, var, option, comparison)
            continue
        if option is None and var.binary:
            option = [0.0, 1.0]
        if option is None or np.ndim(option) == 0:
            step = 1.0 if option is None else option
            if isinstance(step, bool) or not isinstance(step, int | float | np.number) or \
                    not np.isfinite(step) or step == 0:
                raise ValueError(
                    f"variables={{{name!r}: {option!r}}}: a numeric variable takes a finite, "
                    f"non-zero step or two values, e.g. {{{name!r}: 1}} or "
                    f"{{{name!r}: [0, 10]}}.")
            v = frame[name].to_numpy(dtype=float)
            label = f"+{_fmt(step)}" if step > 0 else _fmt(step)
            yield _pair_term(encode, frame, name, v, v + step, comparison, label)
            continue
        pair = list(np.ravel(np.asarray(option, dtype=float)))
        if len(pair) != 2 or not np.all(np.isfinite(pair)):
            raise ValueError(
                f"variables={{{name!r}: {option!r}}}: give a step or two finite values "
                f"[lo, hi], e.g. {{{name!r}: [0, 10]}}.")
        lo, hi = pair
        yield _pair_term(encode, frame, name, lo, hi, comparison,
                         sign.format(hi=_fmt(hi), lo=_fmt(lo)))


def slope_terms(encode: Encoder, frame: pd.DataFrame, X: np.ndarray,
                offset: np.ndarray | None, known: Mapping[str, Variable],
                chosen: Mapping[str, Any], slope: str) -> Iterator[EffectTerm]:
    """Yield one slope term per numeric variable, level differences for categorical ones."""
    for name in chosen:
        var = known[name]
        if var.categorical:
            yield from _level_terms(encode, frame, var, None, "difference")
            continue
        v = frame[name].to_numpy(dtype=float)
        yield EffectTerm(name, SLOPE_LABELS[slope], "slope", X, offset,
                         D=design_derivative(encode, frame, X, var), v=v, transform=slope)


def design_derivative(encode: Encoder, frame: pd.DataFrame, X: np.ndarray,
                      var: Variable) -> np.ndarray:
    """Return the derivative (n, k) of the design in ``var``, exact for quadratic terms.

    Centred, ``(X(v + h/2) - X(v - h/2)) / h``; within ``h/2`` of the training range's
    ends (where a spline basis stops) the one-sided second-order formula
    ``(-3 X(v) + 4 X(v + h/2) - X(v + h)) / h`` (mirrored at the upper end).
    """
    v = frame[var.name].to_numpy(dtype=float)
    h = var.step
    low, high = v - h / 2 < var.low, v + h / 2 > var.high
    first = np.where(high, -h / 2, h / 2)
    second = np.where(low, h, np.where(high, -h, -h / 2))
    X1, _ = encode(set_column(frame, var.name, v + first))
    X2, _ = encode(set_column(frame, var.name, v + second))
    c0 = np.where(low, -3.0, np.where(high, 3.0, 0.0))[:, None] / h
    c1 = np.where(low, 4.0, np.where(high, -4.0, 1.0))[:, None] / h
    c2 = np.where(low | high, -np.sign(second), -1.0)[:, None] / h
    return c0 * X + c1 * X1 + c2 * X2
