"""What the estimation and result layers need to know of a model.

:class:`ModelSpec` is the spec the :class:`bayeslogit.Logit` facade is built on: one design,
the priors as given and resolved, and the read-only names and data facts, without any
estimation. Estimation functions take it and every result keeps it as ``result.model``
(statsmodels' back-reference); code below the facade types against it, never against the
facade itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .design import Design
from .prior_set import PriorSet, resolve_priors
from .priors import Prior

__all__ = ["ModelSpec", "PriorsArg"]

#: the ``priors=`` argument: one prior for every coefficient, a dict by name, or None
PriorsArg = Prior | Mapping[str, Prior] | None


class ModelSpec:
    """One validated design and its priors: the data facts and names of a model.

    Parameters
    ----------
    design : Design
        The validated data.
    priors : Prior, dict of str to Prior, or None
        As for :class:`bayeslogit.Logit`.
    check_rank : bool
        Check the design's column rank now (without priors) or when a fit needs it.

    Raises
    ------
    ColumnScaleError
        Columns whose magnitudes no engine can use.
    RankDeficiencyError
        Collinear columns, when ``check_rank`` and no priors are given.
    """

    def __init__(self, design: Design, priors: PriorsArg = None,
                 check_rank: bool = True) -> None:
        self.design = design
        self.check_rank = check_rank
        self._rank_checked = not check_rank
        if check_rank and priors is None:
            self._ensure_rank()  # screens the magnitudes too
        else:
            # magnitudes are checked whatever check_rank says: no engine can use such columns
            design.check_magnitudes()
        self._priors = priors
        self._prior_set: PriorSet | None = None

    def _ensure_rank(self) -> None:
        if not self._rank_checked:
            self.design.check_full_rank()
            self._rank_checked = True

    # -- names -------------------------------------------------------------------------
    @property
    def exog_names(self) -> list[str]:
        """Coefficient names, in the order of ``params`` (statsmodels' ``exog_names``)."""
        return list(self.design.exog_names)

    @property
    def endog_name(self) -> str:
        """Name of the response (``y`` for numpy input)."""
        return self.design.endog_name

    @property
    def nobs(self) -> int:
        """Number of observations used (after rows dropped for missing values)."""
        return self.design.nobs

    @property
    def formula(self) -> str | None:
        """The formula the model was built from (None for arrays)."""
        return self.design.formula

    @property
    def event(self) -> Any:
        """The response level coded 1 (None when the response was numeric or bool)."""
        return self.design.event

    @property
    def n_dropped(self) -> int:
        """Number of rows dropped for missing values (``missing="drop"``)."""
        return self.design.n_dropped

    @property
    def dropped_rows(self) -> pd.Index:
        """Index labels of the rows dropped for missing values."""
        labels = self.design.dropped_labels
        return labels if labels is not None else self.design.row_labels[:0]

    # -- priors ------------------------------------------------------------------------
    @property
    def priors(self) -> PriorsArg:
        """The priors as given (read-only: ``with_priors`` makes a model with others)."""
        return self._priors

    @priors.setter
    def priors(self, value: Any) -> None:
        raise AttributeError("Logit.priors is read-only, so that the resolved prior_set "
                             "cannot go stale; make a model with other priors instead: "
                             "model = model.with_priors(bl.Normal(0, 1)).")

    @property
    def prior_set(self) -> PriorSet:
        """The priors resolved for this design (defaults filled in, autoscaling applied)."""
        if self._prior_set is None:
            d = self.design
            self._prior_set = resolve_priors(self.priors, d.exog_names, d.moments_basis,
                                             d.intercept_index, d.weights)
        return self._prior_set

    def prior_summary(self, print_summary: bool = True) -> pd.DataFrame:
        """Print and return the prior of every coefficient, with autoscaled values shown.

        Parameters
        ----------
        print_summary : bool
            Print the table (and the note on the centred intercept) as well.

        Returns
        -------
        DataFrame
            One row per coefficient: family, parameters as given and as used.
        """
        table = self.prior_set.table()
        if print_summary:
            print(f"Priors for {self.endog_name} ~ {' + '.join(self.exog_names)}")
            print(table.to_string())
            if self.prior_set.centred:
                print("The intercept prior applies to the centred intercept (log-odds at the "
                      "predictor means); the reported intercept is the raw one.")
        return table
