"""New data for prediction, encoded exactly as the training data were."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .design import Design, encode_array_data
from .formula import encode_formula_data

FloatArray = NDArray[np.float64]

__all__ = ["encode_new_data"]


def encode_new_data(design: Design, data: Any) -> tuple[FloatArray, FloatArray | None]:
    """Design matrix for new data, and the offset a formula's ``offset(...)`` term gives.

    Formula models re-encode raw data through the stored formulaic spec
    (:func:`bayeslogit.spec.formula.encode_formula_data`); array models select a new
    DataFrame's columns by name when they were fitted on a named DataFrame
    (:func:`bayeslogit.spec.design.encode_array_data`). Rows with a missing value predict NaN.

    Raises
    ------
    UnseenLevelError
        A categorical column holds a level absent from the training data.
    ColumnMismatchError
        A DataFrame lacks some of the model's columns or has unexpected ones.
    """
    if design.model_spec is not None:
        return encode_formula_data(design, data)
    return encode_array_data(design, data), None
