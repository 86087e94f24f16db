"""Every warning and error class bayeslogit raises, in one place.

All warnings derive from :class:`BayesLogitWarning` (a ``UserWarning``) so that users can
filter them as a family; errors derive from ``ValueError`` where the problem is the input.
"""

from __future__ import annotations

import os
import warnings

__all__ = [
    "BayesLogitWarning",
    "ConvergenceWarning",
    "PerfectSeparationWarning",
    "SamplingWarning",
    "RankDeficiencyError",
    "UnknownArgumentError",
    "InvalidArgumentError",
    "ColumnScaleError",
    "MissingDataError",
    "UnseenLevelError",
    "ColumnMismatchError",
    "UnsupportedDtypeError",
    "EventLevelError",
    "UnsupportedPriorError",
    "DataWarning",
    "SavedFileError",
    "DistributedDataError",
]


class BayesLogitWarning(UserWarning):
    """Base class of all bayeslogit warnings."""


class ConvergenceWarning(BayesLogitWarning):
    """An optimiser stopped before meeting its tolerance."""


class PerfectSeparationWarning(BayesLogitWarning):
    """Some linear combination of columns separates y = 0 from y = 1 (exactly or quasi)."""


class SamplingWarning(BayesLogitWarning):
    """Sampler diagnostics (divergences, R-hat > 1.01, low ESS, high Pareto k) need attention."""


class RankDeficiencyError(ValueError):
    """The design matrix does not have full column rank."""


class UnknownArgumentError(TypeError, ValueError):
    """A keyword argument the engine that runs does not take (a typo, or another engine's).

    A ``TypeError`` as Python's own for an unexpected keyword, and a ``ValueError`` as every
    other refusal of bad input; the message lists the keywords that are accepted.
    """


class InvalidArgumentError(TypeError, ValueError):
    """An argument of the wrong type (``check_rank="yes"``, ``variables=5``, ``offset={}``).

    Both a ``TypeError`` and a ``ValueError``, as :class:`UnknownArgumentError`; the message
    names the argument, the value given and a value that works.
    """


class ColumnScaleError(ValueError):
    """A column's magnitude is outside the range double precision can fit (1e-150..1e150)."""


class MissingDataError(ValueError):
    """NaN or infinite values where the chosen ``missing`` policy does not allow them."""


class UnseenLevelError(ValueError):
    """New data holds a categorical level that was not present when the model was built."""


class ColumnMismatchError(ValueError):
    """Data whose columns, index or offset do not match what the model was built from."""


class UnsupportedDtypeError(ValueError):
    """A date-like column was used where a number is needed.

    A date, time, duration or period column where a number is needed: its value as a
    number would depend on the storage unit, so it is refused rather than converted.
    """


class EventLevelError(ValueError):
    """The event level of a non-0/1 response is missing or not among its values.

    The response is not 0/1 and needs an event level (``event=...``), or the one given is
    not a value of the response.

    ``suggestion`` is the level the message proposes (a value of the response, or None) and
    ``remedy`` the Python call shown in the message, so that a caller with another syntax
    (the command line's ``--event``) can show its own spelling of the same remedy.
    """

    def __init__(self, message: str, suggestion: object = None, remedy: str = "") -> None:
        super().__init__(message)
        self.suggestion = suggestion
        self.remedy = remedy


class UnsupportedPriorError(ValueError):
    """A sampler or solver cannot handle the requested prior exactly."""


class DataWarning(BayesLogitWarning):
    """The data are used, but in a way the user may not expect (e.g. offset 0 at predict)."""


class SavedFileError(ValueError):
    """A file ``bl.load`` cannot read: not written by ``save()``, too new, or inconsistent."""


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn_from_caller(message: str, category: type[Warning]) -> None:
    """Issue a warning attributed to the first line outside bayeslogit (the user's call).

    Parameters
    ----------
    message : str
        The warning text.
    category : type of Warning
        A :class:`BayesLogitWarning` subclass.
    """
    warnings.warn(message, category, skip_file_prefixes=(_PACKAGE_DIR,))


class DistributedDataError(ValueError):
    """Dask input that cannot be used as given, or an operation not available on Dask data."""
