r"""Covariances of the MLE: nonrobust, HC0, HC1 and cluster-robust.

Conventions (those of statsmodels' ``Logit``)
---------------------------------------------
* ``p`` are the fitted probabilities :math:`p_i = \Lambda(x_i^\top\hat\beta + o_i)` (offset
  included) and ``info_inv`` is :math:`(X^\top W X)^{-1}`, :math:`W = \mathrm{diag}(p(1-p))`,
  the inverse Fisher information: the nonrobust covariance of :math:`\hat\beta`.
* Observation scores are :math:`s_i = (y_i - p_i)\,x_i` (rows of :math:`S`).

Covariance types
----------------
``"nonrobust"``
    :math:`V = I^{-1}`.
``"HC0"``
    :math:`V = I^{-1} S^\top S\, I^{-1}` (statsmodels' ``HC0`` exactly).
``"HC1"``
    HC0 times :math:`n/(n-k)`. **Differs from statsmodels on purpose**: statsmodels returns the
    HC0 matrix unchanged for ``HC1`` (and ``HC2``/``HC3``) in discrete models.
``"cluster"``
    :math:`V = c\, I^{-1} (\sum_g s_g s_g^\top) I^{-1}` with :math:`s_g = \sum_{i\in g} s_i`
    and statsmodels' correction :math:`c = \frac{G}{G-1}\frac{n-1}{n-k}` (``c = 1`` with
    ``use_correction=False``).

"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..validation import COV_TYPE_ALIASES, CovType, check_choice, choices

__all__ = ["COV_TYPES", "covariance"]

COV_TYPES = tuple(c for c in choices(CovType) if c not in COV_TYPE_ALIASES)


# --------------------------------------------------------------------------- covariances
def covariance(cov_type: str, X: np.ndarray, y: np.ndarray, p: np.ndarray,
               info_inv: np.ndarray, cov_kwds: dict | None, trials: np.ndarray | None = None,
               freq_weights: np.ndarray | None = None) -> tuple[np.ndarray, str]:
    r"""Covariance matrix of the MLE and a short description for reports.

    Parameters
    ----------
    cov_type : {"nonrobust", "HC0", "HC1", "cluster"}
        Case-sensitive as in statsmodels; ``"hc0"`` and ``"hc1"`` are accepted too.
    X : (n, k) design; y : (n,) response; p : (n,) fitted probabilities (offset included).
    info_inv : (k, k) inverse information :math:`(X^\top W X)^{-1}` at the MLE.
    cov_kwds : dict or None
        Only for ``"cluster"``: ``{"groups": labels}`` (one hashable label per row, strings
        allowed) and optionally ``"use_correction": bool`` (default True).
    trials, freq_weights : (n,) arrays or None
        Binomial counts (``y`` the proportions): the scores are the aggregated rows'
        :math:`x_i n_i(y_i - p_i)`, each row one unit (statsmodels ``GLM(Binomial)`` with a
        two-column response). Frequency weights count each row :math:`w_i` times (the meat
        is :math:`\sum_i w_i s_i s_i^\top`, as for the repeated rows, and as statsmodels
        GLM), and the small-sample factors use :math:`n = \sum_i w_i`.

    Returns
    -------
    cov : (k, k) ndarray
    description : str
        ``"nonrobust"``, ``"HC0"``, ``"HC1"`` or ``"cluster (G=8)"`` (with
        ``", no correction"`` when ``use_correction=False``).

    Raises
    ------
    ValueError
        Unknown ``cov_type``, keywords where none are allowed, missing or malformed groups,
        fewer than two clusters, or too few observations for the small-sample factor.
    """
    if cov_type in ("HC2", "HC3", "hc2", "hc3"):
        raise ValueError(f"cov_type={cov_type!r} is not available: bayeslogit has no leverage "
                         "corrections for Logit (statsmodels silently returns HC0 for it). Use "
                         "'HC0' (statsmodels' value) or 'HC1'.")
    key = check_choice("cov_type", cov_type, CovType, call="model.fit",
                       aliases=COV_TYPE_ALIASES,
                       hint=" (case-sensitive as in statsmodels; 'hc0' and 'hc1' also accepted)")
    if cov_kwds is not None and not isinstance(cov_kwds, dict):
        raise ValueError(f"cov_kwds must be a dict or None, got {type(cov_kwds).__name__}.")
    kwds = dict(cov_kwds or {})
    X = np.asarray(X, dtype=float)
    n, k = X.shape
    info_inv = np.asarray(info_inv, dtype=float)
    if info_inv.shape != (k, k):
        raise ValueError(f"info_inv has shape {info_inv.shape}; expected ({k}, {k}).")
    if key == "nonrobust":
        if kwds:
            raise ValueError(f"cov_type='nonrobust' takes no cov_kwds, got {sorted(kwds)}.")
        return info_inv.copy(), "nonrobust"
    resid = np.asarray(y, dtype=float) - np.asarray(p, dtype=float)
    if resid.shape != (n,):
        raise ValueError(f"y and p must have shape ({n},) to match X; got {resid.shape}.")
    if trials is not None:
        resid = resid * trials
    w = None if freq_weights is None else np.asarray(freq_weights, dtype=float)
    if key in ("HC0", "HC1"):
        if kwds:
            raise ValueError(f"heteroscedasticity robust covariance ({key}) does not use "
                             f"keywords; got cov_kwds {sorted(kwds)}. Drop cov_kwds.")
        S = X * resid[:, None]
        cov = info_inv @ ((S.T * (1.0 if w is None else w)) @ S) @ info_inv
        n = n if w is None else float(w.sum())
        if key == "HC1":
            if n <= k:
                raise ValueError(f"HC1 needs more observations (n={n}) than coefficients "
                                 f"(k={k}) for its n/(n-k) factor; use 'HC0'.")
            cov *= n / (n - k)
        return cov, key
    return _cluster(X, resid if w is None else resid * w, info_inv, kwds,
                    n if w is None else float(w.sum()))


def _cluster(X: np.ndarray, resid: np.ndarray, info_inv: np.ndarray,
             kwds: dict, nobs: float) -> tuple[np.ndarray, str]:
    rows, k = X.shape
    unknown = sorted(set(kwds) - {"groups", "use_correction"})
    if unknown:
        raise ValueError(f"Unknown cov_kwds {unknown} for cov_type='cluster'; allowed keys are "
                         "'groups' and 'use_correction'.")
    if "groups" not in kwds or kwds["groups"] is None:
        raise ValueError("cov_type='cluster' needs cov_kwds={'groups': labels} with one "
                         "cluster label per observation.")
    labels = np.asarray(kwds["groups"], dtype=object)
    labels = labels[:, 0] if labels.ndim == 2 and labels.shape[1] == 1 else labels
    if labels.ndim != 1:
        raise ValueError(f"groups must be 1-D (one label per observation); got shape "
                         f"{labels.shape}. Two-way clustering is not supported.")
    if len(labels) != rows:
        raise ValueError(f"groups has {len(labels)} labels but the model has {rows} observations "
                         "(after missing-value handling); pass one label per row used in the fit.")
    if pd.isna(labels).any():
        raise ValueError(f"groups contains {int(pd.isna(labels).sum())} missing labels; give "
                         "every observation a cluster.")
    use_correction = kwds.get("use_correction", True)
    if not isinstance(use_correction, (bool, np.bool_)):
        raise ValueError(f"use_correction must be True or False, got {use_correction!r}.")
    codes, uniques = pd.factorize(labels)
    G = len(uniques)
    if G < 2:
        raise ValueError(f"cluster covariance needs at least 2 clusters; all {rows} observations "
                         f"are in cluster {uniques[0]!r}.")
    scores = X * resid[:, None]
    S = np.column_stack([np.bincount(codes, weights=scores[:, j], minlength=G)
                         for j in range(k)])  # cluster sums of the scores
    cov = info_inv @ (S.T @ S) @ info_inv
    n = nobs
    if use_correction:
        if n <= k:
            raise ValueError(f"The cluster correction (n-1)/(n-k) needs n={n} > k={k}; pass "
                             "use_correction=False.")
        cov *= G / (G - 1) * (n - 1) / (n - k)
        return cov, f"cluster (G={G})"
    return cov, f"cluster (G={G}, no correction)"
