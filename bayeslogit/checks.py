"""Checks of argument types at the public boundary, and the table form of every check.

A flag is ``True``/``False``, a count a whole number, a name a string, an array never a
string, dict or set: each kind has one check here, raising
:class:`~bayeslogit.errors.InvalidArgumentError` (a ``TypeError`` and a ``ValueError``)
with the house message: the argument, the value given, and a value that works. Entry
points declare their arguments as a table (:func:`check_args`), in the manner of
scikit-learn's ``_parameter_constraints``: ``{"progressbar": boolean(), "draws": count(1,
1000), "sampler": option(SamplerName)}``. The checks of counts, seeds, probabilities and
string options are those of :mod:`bayeslogit.validation`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .errors import InvalidArgumentError
from .validation import check_choice, check_count, check_probability, check_seed

__all__ = ["check_bool", "check_number", "check_names", "check_array_like", "check_args",
           "Check", "boolean", "count", "number", "probability", "seed", "option",
           "array_like", "optional"]
def check_bool(name: str, value: Any, *, call: str | None = None) -> bool:
    """Return ``value`` as a bool, or raise the one message for a bad flag.

    Only ``True``/``False`` (and numpy booleans) are flags: ``"no"``, ``1`` or ``None`` are
    refused, since a string such as ``"no"`` would otherwise count as true.

    Raises
    ------
    InvalidArgumentError
        ``"{name} must be True or False, got 'no'; e.g. {name}=False."``

    Examples
    --------
    >>> check_bool("check_rank", np.bool_(True))
    True
    >>> check_bool("check_rank", "yes")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bayeslogit.errors.InvalidArgumentError: check_rank must be True or False, got 'yes'; ...
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    guess = value.strip().lower() in ("yes", "true", "1", "on") if isinstance(value, str) \
        else bool(value) if isinstance(value, int | float) and value in (0, 1) else True
    example = f"{name}={guess}"
    example = f"{call}(..., {example})" if call else example
    raise InvalidArgumentError(f"{name} must be True or False, got {_shown(value)}; e.g. "
                               f"{example}.")


def check_number(name: str, value: Any, *, low: float | None = None,
                 high: float | None = None, low_open: bool = False,
                 example: float | None = None) -> float:
    """Return ``value`` as a finite float in a range, or raise the one message for it.

    Python and numpy numbers are accepted; booleans, None, strings, NaN and infinities not.

    Raises
    ------
    InvalidArgumentError
        Not a number (``"tol must be a number, not '1e-8'; e.g. tol=1e-08."``).
    ValueError
        Outside the range, NaN or infinite.
    """
    number = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_)
    remedy = "" if example is None else f"; e.g. {name}={example!r}"
    if not number:
        raise InvalidArgumentError(f"{name} must be a number, not {_shown(value)}{remedy}.")
    v = float(value)
    ok = bool(np.isfinite(v))
    if ok and low is not None:
        ok = v > low if low_open else v >= low
    if ok and high is not None:
        ok = v <= high
    if not ok:
        bounds = ([f"{'>' if low_open else '>='} {low:g}"] if low is not None else []) + (
            [f"<= {high:g}"] if high is not None else [])
        shown = f" {' and '.join(bounds)}" if bounds else ""
        raise ValueError(f"{name} must be a finite number{shown}, got {value!r}{remedy}.")
    return v


def check_names(name: str, value: Any, *, allow_empty: bool = False,
                example: str = "x1") -> list[str]:
    """Return a column name or a list of names as a list, or raise the one message.

    Raises
    ------
    InvalidArgumentError
        Not a string nor a list/tuple of strings (``variables=5``).
    ValueError
        An empty list when ``allow_empty`` is False.
    """
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple | np.ndarray | pd.Index) and all(
            isinstance(v, str) for v in value):
        if not len(value) and not allow_empty:
            raise ValueError(f"{name} is empty; name at least one, e.g. {name}={example!r}, "
                             f"or leave {name}=None for all.")
        return list(value)
    raise InvalidArgumentError(f"{name} must be a name or a list of names, not "
                               f"{_shown(value)}; e.g. {name}={example!r} or "
                               f"{name}=[{example!r}].")


#: containers that are never a column of numbers: refused by :func:`check_array_like`
_NOT_ARRAYS = (str, bytes, bytearray, dict, set, frozenset, Mapping)


def check_array_like(name: str, value: Any, *, remedy: str = "") -> Any:
    """Refuse what is never an array of numbers: a string, bytes, a dict, a set, an iterator.

    Lists, tuples, numpy and pandas objects, scalars and None pass unchanged (their shape and
    values are checked where they are used). A ragged list (rows of different lengths) is
    refused here too, naming the row lengths.

    Raises
    ------
    InvalidArgumentError
        ``"offset must be an array-like of numbers, not a dict ..."``.
    ValueError
        A ragged nested list.
    """
    fix = remedy or f"pass a list, numpy array or pandas Series as {name}"
    if isinstance(value, _NOT_ARRAYS) or (
            isinstance(value, Iterable) and iter(value) is value):  # generators, iterators
        kind = type(value).__name__
        raise InvalidArgumentError(f"{name} must be an array-like of numbers, not a {kind} "
                        f"({_shown(value)}); {fix}.")
    if isinstance(value, list | tuple) and value and any(
            isinstance(v, list | tuple | np.ndarray) for v in value):
        lengths = {len(v) if isinstance(v, list | tuple | np.ndarray) and np.ndim(v) else 0
                   for v in value}
        if len(lengths) > 1:
            raise ValueError(f"{name} is a ragged list: its rows have different lengths "
                             f"{sorted(lengths)}; every row needs the same number of values "
                             f"({fix}).")
    return value


def _shown(value: Any, limit: int = 60) -> str:
    """``repr`` of a value, shortened for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- the declarative form: a table of checks per public entry point ------------------------
#: a check of one argument: ``check(name, value)`` returns the (normalised) value or raises
Check = Callable[[str, Any], Any]


def boolean(call: str | None = None) -> Check:
    """Check a flag: ``True`` or ``False`` only (:func:`check_bool`)."""
    return lambda name, value: check_bool(name, value, call=call)


def count(low: int, example: int, high: int | None = None) -> Check:
    """Check a whole number in ``[low, high]`` (:func:`check_count`)."""
    return lambda name, value: check_count(name, value, low, high=high, example=example)


def number(example: float, low: float | None = None, high: float | None = None, *,
           low_open: bool = False) -> Check:
    """Check a finite real number in a range (:func:`check_number`)."""
    return lambda name, value: check_number(name, value, low=low, high=high,
                                            low_open=low_open, example=example)


def probability(example: float) -> Check:
    """Check a number strictly between 0 and 1 (:func:`check_probability`)."""
    return lambda name, value: check_probability(name, value, example)


def seed() -> Check:
    """Check a random seed (:func:`check_seed`)."""
    return lambda name, value: check_seed(value, name)


def option(alias: Any, call: str | None = None, *, fold_case: bool = False) -> Check:
    """Check one of the values of a ``Literal`` alias (:func:`check_choice`)."""
    return lambda name, value: check_choice(name, value, alias, call=call,
                                            fold_case=fold_case)


def array_like() -> Check:
    """Check for anything but a string, bytes, a dict, a set or an iterator."""
    return check_array_like


def optional(check: Check) -> Check:
    """Accept ``None``, or what ``check`` accepts."""
    return lambda name, value: None if value is None else check(name, value)


def check_args(table: Mapping[str, Check], **values: Any) -> dict[str, Any]:
    """Check arguments against a table of checks (the one boundary check of an entry point).

    In the manner of scikit-learn's ``_parameter_constraints``: ``table`` maps argument
    names to checks (:func:`boolean`, :func:`count`, :func:`number`, :func:`option`, ...);
    each value given is passed through its check, which returns the normalised value or
    raises the house message (argument, value, remedy). Called first thing in the entry
    point (not as a decorator, so that warnings keep pointing at the caller's line).

    Returns
    -------
    dict
        The normalised values, by name.

    Examples
    --------
    >>> TABLE = {"flag": boolean(), "draws": count(1, 1000)}
    >>> check_args(TABLE, flag=np.True_, draws=1e3)
    {'flag': True, 'draws': 1000}
    >>> check_args(TABLE, flag="no")
    Traceback (most recent call last):
    ...
    bayeslogit.errors.InvalidArgumentError: flag must be True or False, got 'no'; e.g. flag=False.
    """
    return {name: table[name](name, value) for name, value in values.items()}
