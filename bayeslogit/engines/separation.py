r"""Exact detection of complete and quasi-complete separation (Konis 2007).

The data are separated iff some :math:`\beta \ne 0` has :math:`s_i x_i^\top\beta \ge 0` for all
rows, with :math:`s_i = 2y_i - 1` (rows with fractional y must have :math:`x_i^\top\beta = 0`).
We solve the linear programme

.. math:: \max_\beta \sum_i s_i x_i^\top\beta \quad\text{s.t.}\quad s_i x_i^\top\beta \ge 0,
          \; -1 \le \beta_j \le 1,

with scipy's HiGHS. A positive optimum proves separation; the non-zero entries of the
maximiser name the columns involved, and the separation is *complete* when every row is
strictly on its side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = ["SeparationReport", "detect_separation"]


@dataclass(frozen=True)
class SeparationReport:
    """Result of :func:`detect_separation`.

    Attributes
    ----------
    separated : bool
    complete : bool
        Every observation strictly separated (otherwise quasi-complete).
    columns : tuple of str
        Columns with a non-zero weight in the separating direction.
    direction : ndarray
        The separating direction (scaled to max |beta_j| = 1).
    n_perfect : int
        Observations strictly on their side (perfectly predicted in the limit).
    """

    separated: bool
    complete: bool
    columns: tuple[str, ...]
    direction: FloatArray
    n_perfect: int

    def message(self) -> str:
        """Describe the separation found and the remedies, for warnings and errors."""
        kind = "Complete" if self.complete else "Quasi-complete"
        return (
            f"{kind} separation: a combination of columns {list(self.columns)} predicts "
            f"{self.n_perfect} observation(s) perfectly, so the maximum-likelihood estimate "
            "does not exist (those coefficients diverge and their standard errors are "
            "meaningless). Use a prior: fit(method='map') with the default priors, or "
            "priors=bl.Jeffreys() for Firth's bias-reduced estimate."
        )


def detect_separation(
    X: FloatArray, y: FloatArray, names: tuple[str, ...], tol: float = 1e-7
) -> SeparationReport:
    """Test for separation exactly by linear programming (see module docstring)."""
    from scipy.optimize import linprog

    n, k = X.shape
    scale = np.abs(X).max(axis=0)
    scale[scale == 0] = 1.0
    Xs = X / scale
    binary = (y == 0) | (y == 1)
    s = np.where(y[binary] > 0.5, 1.0, -1.0)
    A = Xs[binary] * s[:, None]
    c = -A.sum(axis=0)
    A_eq = Xs[~binary] if (~binary).any() else None
    b_eq = np.zeros(A_eq.shape[0]) if A_eq is not None else None
    res = linprog(c, A_ub=-A, b_ub=np.zeros(A.shape[0]), A_eq=A_eq, b_eq=b_eq,
                  bounds=[(-1, 1)] * k, method="highs")
    none = SeparationReport(False, False, (), np.zeros(k), 0)
    if res.status != 0 or -res.fun <= tol * max(1.0, n):
        return none
    beta = res.x
    margins = A @ beta
    strict = margins > tol
    if not strict.any():
        return none
    beta_orig = beta / scale
    beta_orig /= np.abs(beta_orig).max()
    cols = tuple(names[j] for j in np.flatnonzero(np.abs(beta) > 1e-7))
    complete = False
    if binary.all():
        # complete separation iff some beta puts every row at margin >= 1
        feas = linprog(np.zeros(k), A_ub=-A, b_ub=-np.ones(A.shape[0]),
                       bounds=[(None, None)] * k, method="highs")
        complete = feas.status == 0
        if complete:
            beta_orig = feas.x / scale
            beta_orig /= np.abs(beta_orig).max()
            strict = np.ones(A.shape[0], dtype=bool)
    return SeparationReport(True, complete, cols, beta_orig, int(strict.sum()))
