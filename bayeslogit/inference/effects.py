r"""Predictions, slopes and comparisons on the probability scale, with their uncertainty.

Each output row is a function of the coefficients :math:`\beta` through one or two design
rows (:math:`\eta = x^\top\beta + o`, :math:`p = \Lambda(\eta)`, :math:`f = p(1-p)`):

* prediction: :math:`p`, Jacobian :math:`f x`;
* slope ``dydx``: :math:`s = f\,d^\top\beta`, Jacobian
  :math:`f(1-2p)(d^\top\beta)x + f d`; ``eydx``: :math:`s/p = (1-p)\,d^\top\beta`, Jacobian
  :math:`-f(d^\top\beta)x + (1-p)d`; ``dyex`` and ``eyex``: those times :math:`v`;
* ``difference``: :math:`p_1 - p_0`, Jacobian :math:`f_1x_1 - f_0x_0`; ``ratio``:
  :math:`p_1/p_0`, Jacobian :math:`(f_1x_1 - (p_1/p_0)f_0x_0)/p_0`; ``lnor`` (log odds
  ratio): :math:`\eta_1 - \eta_0`, Jacobian :math:`x_1 - x_0`;

where :math:`v` is the raw variable and :math:`d = \partial x/\partial v` the derivative of
the design row with respect to it: a centred difference of the re-encoded design with step
:math:`h` (exact for terms up to quadratic in :math:`v`, error :math:`O(h^2)` otherwise),
so the slope is exact through the link and only the encoding is differenced. Averages
(``by``) are taken of the unit-level values, within groups.

Uncertainty: for point estimates the delta method, :math:`\mathrm{Cov} = J V J^\top` with the
analytic Jacobians above and the result's covariance :math:`V` (whatever its type), normal
intervals, z and two-sided p-values, except that the interval of a unit-level prediction is
the normal interval of :math:`\eta` mapped through :math:`\Lambda` (so it stays in (0, 1);
R marginaleffects' default for GLMs), with z and p testing :math:`\eta = 0` there; for
draws the quantity is computed for every draw (in blocks of rows, so memory stays bounded)
and summarised by its mean, standard deviation and an equal-tailed or highest-density
interval.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

__all__ = ["EffectTerm", "point_effects", "draw_effects", "BLOCK_ELEMENTS"]

#: draws x rows held at once when quantities are computed per draw
BLOCK_ELEMENTS = 4_000_000


@dataclass(frozen=True, eq=False)
class EffectTerm:
    """One family of output rows: a prediction, a slope or a comparison, for every row.

    ``X``/``offset`` are the design (the ``hi`` side of a comparison), ``X0``/``offset0``
    the ``lo`` side of a comparison, ``D`` the design derivative of a slope and ``v`` the
    raw variable's values (for the elasticities). ``transform`` is the slope type
    (``dydx``, ...) or the comparison (``difference``, ``ratio``, ``lnor``).
    """

    term: str
    contrast: str
    kind: str
    X: np.ndarray
    offset: np.ndarray | None = None
    X0: np.ndarray | None = None
    offset0: np.ndarray | None = None
    D: np.ndarray | None = None
    v: np.ndarray | None = None
    transform: str = ""


def _eta(B: np.ndarray, X: np.ndarray, off: np.ndarray | None, rows: slice) -> np.ndarray:
    eta = B @ X[rows].T
    return eta if off is None else eta + off[rows]


def term_values(t: EffectTerm, B: np.ndarray, rows: slice) -> np.ndarray:
    """Values of ``t`` for the coefficient rows ``B`` (s, k): an (s, rows) array."""
    if t.kind == "prediction":
        return expit(_eta(B, t.X, t.offset, rows))
    if t.kind == "slope":
        p = expit(_eta(B, t.X, t.offset, rows))
        db = B @ t.D[rows].T
        val = (1 - p) * db if t.transform.startswith("ey") else p * (1 - p) * db
        return val * t.v[rows] if t.transform.endswith("ex") else val
    eta1, eta0 = _eta(B, t.X, t.offset, rows), _eta(B, t.X0, t.offset0, rows)
    if t.transform == "lnor":
        return eta1 - eta0
    p1, p0 = expit(eta1), expit(eta0)
    return p1 - p0 if t.transform == "difference" else p1 / p0


def term_jacobian(t: EffectTerm, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values (n,) of ``t`` at ``b`` and their Jacobian (n, k) (module docstring)."""
    every = slice(None)
    if t.kind == "prediction":
        p = term_values(t, b[None, :], every)[0]
        return p, (p * (1 - p))[:, None] * t.X
    if t.kind == "slope":
        p = expit(_eta(b[None, :], t.X, t.offset, every)[0])
        f, db = p * (1 - p), t.D @ b
        if t.transform.startswith("ey"):
            val, jac = (1 - p) * db, (-f * db)[:, None] * t.X + (1 - p)[:, None] * t.D
        else:
            val, jac = f * db, (f * (1 - 2 * p) * db)[:, None] * t.X + f[:, None] * t.D
        if t.transform.endswith("ex"):
            return val * t.v, jac * t.v[:, None]
        return val, jac
    eta1 = _eta(b[None, :], t.X, t.offset, every)[0]
    eta0 = _eta(b[None, :], t.X0, t.offset0, every)[0]
    if t.transform == "lnor":
        return eta1 - eta0, t.X - t.X0
    p1, p0 = expit(eta1), expit(eta0)
    g1, g0 = (p1 * (1 - p1))[:, None] * t.X, (p0 * (1 - p0))[:, None] * t.X0
    if t.transform == "difference":
        return p1 - p0, g1 - g0
    r = p1 / p0
    return r, (g1 - r[:, None] * g0) / p0[:, None]


def _group_sizes(codes: np.ndarray, n_groups: int, wts: np.ndarray | None) -> np.ndarray:
    """Rows (or total row weight) per group, at least a tiny positive number."""
    size = np.bincount(codes, weights=wts, minlength=n_groups).astype(float)
    return np.where(size > 0, size, 1.0)


def _group_mean(codes: np.ndarray, n_groups: int, values: np.ndarray,
                wts: np.ndarray | None = None) -> np.ndarray:
    """(Weighted) means of the rows of ``values`` (n,) or (n, k) within groups."""
    size = _group_sizes(codes, n_groups, wts)
    w = np.ones(len(codes)) if wts is None else wts
    if values.ndim == 1:
        return np.bincount(codes, weights=values * w, minlength=n_groups) / size
    return np.column_stack([np.bincount(codes, weights=values[:, j] * w, minlength=n_groups)
                            for j in range(values.shape[1])]) / size[:, None]


def _block_weights(codes: np.ndarray, size: np.ndarray,
                   wts: np.ndarray | None = None) -> np.ndarray:
    """(rows, groups) averaging weights of a block of rows: w / total w of the row's group."""
    W = np.zeros((codes.shape[0], size.shape[0]))
    W[np.arange(codes.shape[0]), codes] = (1.0 if wts is None else wts) / size[codes]
    return W


def _labels(t: EffectTerm, m: int) -> dict[str, list[str]]:
    return {"term": [t.term] * m, "contrast": [t.contrast] * m}


def point_effects(terms: Iterable[EffectTerm], params: np.ndarray, cov: np.ndarray,
                  ci_prob: float, codes: np.ndarray | None = None,
                  n_groups: int = 0, wts: np.ndarray | None = None) -> pd.DataFrame:
    """Estimates with delta-method standard errors, normal intervals, z and p-values.

    ``codes`` (n,) assigns each row to one of ``n_groups`` groups to average within; None
    keeps one output row per input row. ``wts`` (n,) weights the rows in the averages
    (marginaleffects' ``wts``: e.g. binomial trials, so that averages are over individuals).
    Returns the columns ``estimate, std_error,
    ci_lower, ci_upper, z, p_value, term, contrast`` (the caller adds the group labels).
    """
    b = np.asarray(params, dtype=float)
    V = np.nan_to_num(np.asarray(cov, dtype=float), nan=0.0)
    q = stats.norm.ppf(0.5 + ci_prob / 2)
    parts = []
    for t in terms:
        if codes is None and t.kind == "prediction":
            parts.append(_link_scale_predictions(t, b, V, q))
            continue
        val, J = term_jacobian(t, b)
        if codes is None:
            se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", J, V, J, optimize=True), 0.0))
        else:
            val, J = _group_mean(codes, n_groups, val, wts), _group_mean(codes, n_groups, J,
                                                                           wts)
            se = np.sqrt(np.maximum(np.diag(J @ V @ J.T), 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(se > 0, val / se, np.nan)
        parts.append(pd.DataFrame({"estimate": val, "std_error": se, "ci_lower": val - q * se,
                                   "ci_upper": val + q * se, "z": z,
                                   **_labels(t, len(val))}))
    out = pd.concat(parts, ignore_index=True)
    out.insert(5, "p_value", 2 * stats.norm.sf(np.abs(out["z"].to_numpy())))
    return out


def _link_scale_predictions(t: EffectTerm, b: np.ndarray, V: np.ndarray,
                            q: float) -> pd.DataFrame:
    r"""Unit-level predictions with the interval of :math:`\eta` mapped through the link.

    As R's marginaleffects for GLMs (its default ``type="invlink(link)"``) and this
    package's ``predict(ci_prob=...)``: :math:`\Lambda(\hat\eta \mp q\,se_\eta)`, inside
    (0, 1) however extreme the prediction; ``std_error`` is the delta method on the
    probability scale, :math:`\hat p(1-\hat p)\,se_\eta`; z and the p-value test
    :math:`\eta = 0` (P = 1/2) on the link scale, as marginaleffects does.
    """
    eta = _eta(b[None, :], t.X, t.offset, slice(None))[0]
    se_eta = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", t.X, V, t.X, optimize=True), 0.0))
    p = expit(eta)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se_eta > 0, eta / se_eta, np.nan)
    return pd.DataFrame({"estimate": p, "std_error": p * expit(-eta) * se_eta,
                         "ci_lower": expit(eta - q * se_eta), "ci_upper": expit(eta + q * se_eta),
                         "z": z, **_labels(t, len(p))})


def _interval(vals: np.ndarray, ci_prob: float, ci_kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-column interval of draws ``vals`` (draws, m)."""
    if ci_kind == "hdi":
        from arviz_stats.base import array_stats

        hdi = array_stats.hdi(np.ascontiguousarray(vals.T), ci_prob, axis=-1)
        return hdi[:, 0], hdi[:, 1]
    lo, hi = np.quantile(vals, [(1 - ci_prob) / 2, (1 + ci_prob) / 2], axis=0)
    return lo, hi


def draw_effects(terms: Iterable[EffectTerm], draws: np.ndarray, ci_prob: float,
                 ci_kind: str = "eti", codes: np.ndarray | None = None,
                 n_groups: int = 0, block_elements: int = BLOCK_ELEMENTS,
                 wts: np.ndarray | None = None) -> pd.DataFrame:
    """Summaries of per-draw quantities: mean, sd (ddof 1) and an interval.

    ``draws`` is (s, k). Rows are processed in blocks of ``block_elements // s``; grouped
    averages are accumulated per draw across blocks, so memory is one block plus
    (s, groups); ``wts`` weights the rows in the averages as in :func:`point_effects`.
    Returns ``estimate, std_error, ci_lower, ci_upper, term, contrast``.
    """
    B = np.asarray(draws, dtype=float)
    s = B.shape[0]
    parts = []
    for t in terms:
        n = t.X.shape[0]
        step = max(1, block_elements // max(1, s))
        if codes is None:
            est, sd, lo, hi = (np.empty(n) for _ in range(4))
            for start in range(0, n, step):
                rows = slice(start, min(n, start + step))
                vals = term_values(t, B, rows)
                est[rows], sd[rows] = vals.mean(axis=0), vals.std(axis=0, ddof=1)
                lo[rows], hi[rows] = _interval(vals, ci_prob, ci_kind)
        else:
            acc = np.zeros((s, n_groups))
            size = _group_sizes(codes, n_groups, wts)
            for start in range(0, n, step):
                rows = slice(start, min(n, start + step))
                acc += term_values(t, B, rows) @ _block_weights(
                    codes[rows], size, None if wts is None else wts[rows])
            est, sd = acc.mean(axis=0), acc.std(axis=0, ddof=1)
            lo, hi = _interval(acc, ci_prob, ci_kind)
        parts.append(pd.DataFrame({"estimate": est, "std_error": sd, "ci_lower": lo,
                                   "ci_upper": hi, **_labels(t, len(est))}))
    return pd.concat(parts, ignore_index=True)
