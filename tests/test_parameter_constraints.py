"""The argument checks of the public boundary: one check per kind, one message per check.

Each check is held to the rule of the house: a bad value is refused with an error naming the
argument, the value given and a value that works when pasted; a good value of any accepted
spelling (numpy bools and integers, whole floats) passes, normalised.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl
from bayeslogit.checks import (
    boolean,
    check_args,
    check_array_like,
    check_bool,
    check_names,
    check_number,
    count,
    option,
    optional,
    seed,
)
from bayeslogit.errors import InvalidArgumentError
from bayeslogit.estimation.arguments import SAMPLE_ARGUMENTS
from bayeslogit.validation import SamplerName


@pytest.mark.parametrize("good", [True, False, np.True_, np.False_])
def test_flags_accept_python_and_numpy_bools(good):
    out = check_bool("check_rank", good)
    assert out is bool(good) and type(out) is bool


@pytest.mark.parametrize("bad", ["yes", "no", "False", 1, 0, 1.0, None, [True], np.array([True])])
def test_flags_refuse_everything_else(bad):
    with pytest.raises(InvalidArgumentError) as info:
        check_bool("progressbar", bad, call="model.sample")
    msg = str(info.value)
    assert msg.startswith("progressbar must be True or False, got ")
    assert repr(bad)[:20] in msg
    # the remedy is code that runs: model.sample(..., progressbar=True/False)
    assert "model.sample(..., progressbar=" in msg


def test_flag_remedy_follows_the_intent_of_a_string():
    # "no" meant False: the remedy must not tell the user to pass True
    assert "progressbar=False" in str(pytest.raises(InvalidArgumentError, check_bool,
                                                    "progressbar", "no").value)
    assert "check_rank=True" in str(pytest.raises(InvalidArgumentError, check_bool,
                                                  "check_rank", "yes").value)


def test_invalid_argument_error_is_type_and_value_error():
    # callers that catch either family keep working
    assert issubclass(InvalidArgumentError, TypeError)
    assert issubclass(InvalidArgumentError, ValueError)
    assert bl.InvalidArgumentError is InvalidArgumentError


@pytest.mark.parametrize(("value", "low", "high", "ok"), [
    (0.5, 0.0, 1.0, True), (np.float32(0.25), 0.0, 1.0, True), (1, 0.0, 1.0, True),
    (1.5, 0.0, 1.0, False), (-0.1, 0.0, None, False), (np.nan, None, None, False),
    (np.inf, None, None, False), (0.0, 0.0, None, True),
])
def test_numbers_in_range(value, low, high, ok):
    if ok:
        assert check_number("threshold", value, low=low, high=high) == float(value)
    else:
        with pytest.raises(ValueError, match="threshold must be a finite number"):
            check_number("threshold", value, low=low, high=high, example=0.5)


def test_numbers_open_lower_bound_refuses_the_bound():
    with pytest.raises(ValueError, match="> 0"):
        check_number("reff", 0.0, low=0.0, low_open=True)


@pytest.mark.parametrize("bad", [True, "0.5", None, [0.5], {"a": 1}])
def test_numbers_refuse_non_numbers_as_type_errors(bad):
    with pytest.raises(InvalidArgumentError, match="threshold must be a number, not"):
        check_number("threshold", bad, example=0.5)


def test_names():
    assert check_names("variables", "x1") == ["x1"]
    assert check_names("variables", ("x1", "x2")) == ["x1", "x2"]
    assert check_names("variables", pd.Index(["g"])) == ["g"]
    assert check_names("variables", [], allow_empty=True) == []
    with pytest.raises(ValueError, match="variables is empty"):
        check_names("variables", [])
    for bad in (5, 1.5, None, [1, 2], {"x1"}, b"x1"):
        with pytest.raises(InvalidArgumentError, match="variables must be a name or a list"):
            check_names("variables", bad)


@pytest.mark.parametrize("bad", ["abc", b"ab", {"a": 1}, {1, 2}, iter([1, 2]),
                                 (v for v in range(3))])
def test_array_like_refuses_containers_that_are_never_arrays(bad):
    with pytest.raises(InvalidArgumentError, match="offset must be an array-like of numbers"):
        check_array_like("offset", bad)


@pytest.mark.parametrize("good", [[1.0, 2.0], (1, 2), np.zeros(3), pd.Series([1.0]), 0.5,
                                  [[1, 2], [3, 4]], np.zeros((2, 2))])
def test_array_like_passes_arrays_unchanged(good):
    assert check_array_like("offset", good) is good


def test_array_like_names_the_row_lengths_of_a_ragged_list():
    with pytest.raises(ValueError, match=r"exog is a ragged list.*\[1, 2\]"):
        check_array_like("exog", [[1, 2], [1]])


def test_table_checks_and_normalises_each_argument():
    table = {"flag": boolean(), "draws": count(1, 1000), "kind": option(("a", "b")),
             "seed": seed(), "limit": optional(count(0, 5))}
    out = check_args(table, flag=np.True_, draws=2e3, kind="b", seed=np.int64(3), limit=None)
    assert out == {"flag": True, "draws": 2000, "kind": "b", "seed": 3, "limit": None}
    assert type(out["draws"]) is int and type(out["flag"]) is bool
    with pytest.raises(ValueError, match=r"draws must be an integer >= 1, got 1.5; e\.g\. "
                                         r"draws=1000"):
        check_args(table, draws=1.5)
    with pytest.raises(ValueError, match=r"kind='c' not understood; use one of \['a', 'b'\]"):
        check_args(table, kind="c")


def test_sample_table_covers_every_argument_of_sample():
    import inspect

    sig = inspect.signature(bl.Logit.sample)
    own = {p for p in sig.parameters if p not in ("self", "kwargs")}
    assert own == set(SAMPLE_ARGUMENTS)
    assert check_args(SAMPLE_ARGUMENTS, sampler="GIBBS")["sampler"] == "gibbs"
    assert "gibbs" in SamplerName.__args__


@pytest.mark.parametrize(("value", "reason"), [
    (True, "bool where an integer is meant"), (1.5, "a fraction"), ("10", "a string"),
    (None, "None"), (np.nan, "NaN"), (-1, "below the lower bound"),
])
def test_counts_refuse_what_is_not_a_whole_number_in_range(value, reason):
    with pytest.raises(ValueError, match="chains must be an integer >= 1"):
        check_args(SAMPLE_ARGUMENTS, chains=value)
