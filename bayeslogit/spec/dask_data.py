r"""Dask input: arrays and DataFrames turned into a :class:`DaskDesign` with one pass.

The data stay on the cluster as row blocks, each a tuple ``(X, y, offset)`` of float arrays
(a Dask array's row chunks, a DataFrame's partitions encoded through the formula). Building
the design runs one pass over the blocks: missing and infinite values per source, the
response's range, the Gram matrix :math:`X^\top X` (the rank check), the column extremes
(the magnitude check), the column means and standard deviations (prior autoscaling) and the
score at zero coefficients (with the Gram matrix, the Newton fit's first evaluation).
Under ``missing="drop"`` each block drops its incomplete rows itself. With ``persist=True``
(the default) the prepared blocks are persisted on the workers once and every later pass
reads them there; with ``persist=False`` every pass recomputes them from the source, so a
worker holds about one block at a time.

Dask arrays enter through :mod:`bayeslogit.spec.dask_arrays`, DataFrames through
:mod:`bayeslogit.spec.dask_frame`. Dask is imported only here, there and in the distributed
engine, on first use.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..conditioning import check_magnitudes
from ..errors import DistributedDataError, MissingDataError, RankDeficiencyError
from .design import Design

FloatArray = NDArray[np.float64]

__all__ = ["is_dask", "DaskDesign", "finish_design",
           "check_rank_gram", "gram_rank", "prepare_block", "block_facts"]


def is_dask(obj: Any) -> bool:
    """Tell whether ``obj`` is a Dask collection (without importing Dask)."""
    return type(obj).__module__.split(".")[0] in ("dask", "dask_expr") and hasattr(
        obj, "__dask_graph__")


@dataclass(frozen=True)
class DaskDesign(Design):
    r"""A :class:`Design` whose rows live on a Dask cluster as blocks ``(X, y, offset)``.

    ``X``, ``y`` and ``offset`` are Dask arrays with known chunks (for lazy products such as
    predictions); the engines read ``blocks``, one Delayed tuple per row block. The one-pass
    facts (``gram``, column extremes, means and standard deviations, whether y is 0/1)
    replace the in-memory scans of :class:`Design`; without an offset, ``gram`` and
    ``score_at_zero`` (:math:`X^\top(y - 1/2)`) are also the first Newton evaluation.
    """

    blocks: tuple = ()
    block_rows: tuple[int, ...] = ()
    gram: FloatArray | None = None
    col_max: FloatArray | None = None
    col_min: FloatArray | None = None
    col_mean: FloatArray | None = None
    col_sd: FloatArray | None = None
    y_binary: bool = True
    y_sum: float = 0.0
    persisted: bool = True
    score_at_zero: FloatArray | None = None
    count_constant: float = 0.0
    count_saturated: float | None = None
    weight_total: float | None = None

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle; persisted blocks are then checked for their cluster before each use."""
        state = dict(state)
        if state.get("persisted") and state.get("blocks"):
            state["blocks"] = ClusterBlocks(state["blocks"])
        object.__setattr__(self, "__dict__", state)

    @property
    def total_weight(self) -> float:  # type: ignore[override]
        """Rows counted with their frequency weights (from the construction pass)."""
        return float(self.nobs if self.weight_total is None else self.weight_total)

    @property
    def loglike_constant(self) -> float:  # type: ignore[override]
        """Binomial log-likelihood minus the expanded 0/1 rows' (from the construction pass)."""
        return self.count_constant

    @property
    def nobs(self) -> int:
        """Number of rows (after rows dropped for missing values)."""
        return int(sum(self.block_rows))

    @property
    def weights(self) -> None:  # type: ignore[override]
        """None: the binomial weights stay in the blocks (the passes and the moments use them)."""
        return None

    @property
    def binary(self) -> bool:  # type: ignore[override]
        """Whether every response is 0 or 1 (from the construction pass)."""
        return self.y_binary

    @property
    def rank(self) -> int:  # type: ignore[override]
        """Column rank of ``X`` from the eigenvalues of its scaled Gram matrix."""
        return gram_rank(self.gram, self.nobs)

    def check_full_rank(self) -> None:
        """:func:`check_rank_gram` on the Gram matrix of the construction pass."""
        check_rank_gram(self.gram, self.exog_names, self.nobs)

    def check_magnitudes(self) -> None:
        """Refuse columns of unusable magnitude, from the column extremes."""
        check_magnitudes(np.vstack([self.col_max, self.col_min]), self.exog_names)

    @property
    def moments_basis(self) -> FloatArray:
        """Two rows with the columns' means and standard deviations (prior autoscaling)."""
        if self.nobs < 2:
            return self.col_mean[None, :]
        half = self.col_sd / np.sqrt(2.0)
        return np.vstack([self.col_mean + half, self.col_mean - half])


class ClusterBlocks(tuple):
    """Row blocks persisted on a cluster, as unpickled: each use first checks the cluster.

    A model pickled with its persisted blocks holds only their keys; in a process without a
    ``distributed`` client connected to that cluster the blocks cannot be read, and using
    them raises :class:`~bayeslogit.errors.DistributedDataError` saying so, with a remedy.
    """

    __slots__ = ()

    def __iter__(self) -> Any:
        self.check_connected()
        return super().__iter__()

    def __getitem__(self, index: Any) -> Any:
        self.check_connected()
        return super().__getitem__(index)

    def __reduce__(self) -> Any:
        return (tuple, (tuple(super().__iter__()),))

    def check_connected(self) -> None:
        """Raise unless a ``distributed`` client can reach the blocks' cluster."""
        try:
            from distributed import futures_of
        except ImportError:  # pragma: no cover - blocks persisted without distributed
            return
        for block in super().__iter__():
            for future in futures_of(block):
                client = future.client  # the default client of this process, if any
                if client is None or getattr(client, "status", "running") != "running":
                    raise DistributedDataError(
                        "The data blocks of this model live on a Dask cluster that is not "
                        "connected: the model was pickled with its data persisted on the "
                        "workers, and this process has no distributed Client for that "
                        "cluster. The stored numbers (params, bse, summary) are available; "
                        "to refit or predict on the training data, connect first "
                        "(from distributed import Client; Client('tcp://scheduler:8786')) "
                        "while that cluster still holds the data, or build the model again "
                        "from its source data (bl.Logit(y, X) with Dask arrays, or "
                        "bl.Logit.from_parquet(...)).")
                return  # one block answers for all: they share the client


def _scaled_gram(gram: FloatArray) -> tuple[FloatArray, FloatArray]:
    scale = np.sqrt(np.clip(np.diag(gram), 0.0, None))
    scale[scale == 0] = 1.0
    return gram / scale / scale[:, None], scale


#: eigenvalue ratio of the scaled Gram at or below which columns count as dependent: a
#: singular-value ratio of 1e-6, the resolution of a Gram matrix in double precision
_GRAM_RANK_TOL = 1e-12


def gram_rank(gram: FloatArray, n: int) -> int:
    """Return the column rank from a Gram matrix (eigenvalues of its scaled form)."""
    evals = np.linalg.eigvalsh(_scaled_gram(gram)[0])
    top = evals[-1] if evals.size else 0.0
    return int(np.sum(evals > _GRAM_RANK_TOL * top)) if top > 0 else 0


def check_rank_gram(gram: FloatArray, names: tuple[str, ...], n: int) -> None:
    r"""Refuse a design whose Gram matrix :math:`X^\top X` shows collinear columns.

    Raises
    ------
    RankDeficiencyError
        Fewer rows than columns, or an eigenvalue ratio of the scaled Gram at or below
        1e-12 (naming the columns of the null vectors).
    """
    k = gram.shape[0]
    if n < k:
        raise RankDeficiencyError(
            f"Only {n} observations for {k} coefficients {list(names)}: the design cannot have "
            "full column rank. Drop terms or pass priors and use method='map'.")
    evals, evecs = np.linalg.eigh(_scaled_gram(gram)[0])
    null = evecs[:, evals <= _GRAM_RANK_TOL * max(evals[-1], 0.0)].T
    if null.shape[0]:
        involved = [names[j] for j in np.flatnonzero(np.abs(null).max(axis=0) > 1e-6)]
        zero = [names[j] for j in np.flatnonzero(np.diag(gram) == 0)]
        hint = f" Column(s) {zero} are all zero." if zero else ""
        raise RankDeficiencyError(
            f"The design matrix is rank deficient (rank {k - null.shape[0]} < {k} columns): "
            f"columns {involved} are linearly dependent.{hint} Drop one of them (with C(...) "
            "this is often the dummy-variable trap), or pass check_rank=False with a proper "
            "prior.")


# ------------------------------------------------------------------------ per-block work
#: bytes of X per slice of the construction kernel: its temporaries stay in cache
_SLICE_BYTES = 2**21


def _finite_counts(a: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per column of a 2-d array: NaN count, infinite count, and the rows with a NaN."""
    nan = np.isnan(a)
    return nan.sum(axis=0), np.isinf(a).sum(axis=0), nan.any(axis=1)


def prepare_block(raw: tuple, drop: bool, facts: bool = True,
                  counts: dict[str, Any] | None = None) -> tuple:
    """Return ``(X, y, offset, trials, freq_weights, facts)`` of one block.

    ``raw`` is ``(X, y, offset)`` or ``(X, y, offset, trials, freq_weights, labels)``;
    incomplete rows are dropped if ``drop``, and counts are checked and turned into
    proportions (:func:`~bayeslogit.spec.dask_counts.count_block`, ``counts`` its context).
    ``facts`` (a dict, or None when ``facts=False``) are the block's part of the
    construction pass (see the module docstring and :func:`block_facts`). Arrays that are
    already contiguous float64 are not copied, so a persisted block shares the memory of
    its source chunk. A block whose column sums are finite has no NaN or infinite value (a
    NaN or an infinity makes its column's sum non-finite), so the element-wise scans run
    only on blocks that have some.
    """
    X, y, off, tri, fw, labels = (*raw, None, None, None)[:6]
    X = np.ascontiguousarray(X, dtype=float)
    y = np.ascontiguousarray(y, dtype=float).reshape(-1)
    off, tri, fw = (None if v is None else np.ascontiguousarray(v, dtype=float).reshape(-1)
                    for v in (off, tri, fw))
    if X.ndim == 1:
        X = X[:, None]
    rows, k = len(y), X.shape[1]
    sums = X.sum(axis=0)
    extras = [v for v in (y, off, tri, fw) if v is not None]
    clean = bool(np.isfinite(sums).all()) and all(np.isfinite(v.sum()) for v in extras)
    sources = k + len(extras)
    if clean:
        nan, inf, bad = np.zeros(sources, dtype=int), np.zeros(sources, dtype=int), None
    else:
        nan, inf, bad = _finite_counts(np.column_stack([X, *extras]))
        if drop and bad.any():
            keep = ~bad
            X, y = X[keep], y[keep]
            off, tri, fw = (None if v is None else v[keep] for v in (off, tri, fw))
            labels = None if labels is None else labels[keep]
            bad = None
    extra = {}
    if counts is not None and not inf.any() and (drop or not nan.any()):
        from .dask_counts import count_block

        where = pd.RangeIndex(len(y)) if labels is None else pd.Index(labels)
        y, tri, fw, extra = count_block(X, y, tri, fw, where, counts)
    info = None
    if facts:
        info = {"rows": rows, "nan": nan, "inf": inf, **block_facts(X, y, bad), **extra}
    return X, y, off, tri, fw, info


def block_facts(X: FloatArray, y: FloatArray, bad: Any = None) -> dict[str, Any]:
    r"""Return one block's construction facts over its complete rows (``bad`` marks others).

    The Gram matrix :math:`X^\top X`, the column extremes, sums and centred sums of squares
    (per slice of rows, about 2 MB each), the response's range, its sum, and the score at
    zero coefficients :math:`X^\top(y - 1/2)` (the first Newton evaluation without offset).
    """
    rows = len(y)
    if bad is not None and bad.any():
        X, y = X[~bad], y[~bad]
    n, k = X.shape
    gram, score = np.zeros((k, k)), np.zeros(k)
    mean, m2, hi, lo = np.zeros(k), np.zeros(k), np.full(k, -np.inf), np.full(k, np.inf)
    step = max(256, _SLICE_BYTES // (8 * max(k, 1)))
    buf = np.empty((k, min(step, n)))
    for start in range(0, n, step):  # one read of X: each slice's work runs from cache
        Xs, ys = X[start:start + step], y[start:start + step]
        gram += Xs.T @ Xs
        score += Xs.T @ (ys - 0.5)
        part = buf[:, : len(ys)]  # the slice transposed: column reductions along rows
        np.copyto(part, Xs.T)
        np.maximum(hi, part.max(axis=1), out=hi)
        np.minimum(lo, part.min(axis=1), out=lo)
        m, mb = start, len(ys)
        mean_b = part.sum(axis=1) / mb
        part -= mean_b[:, None]
        delta = mean_b - mean  # Chan et al.'s update of the mean and centred sum of squares
        mean += delta * (mb / (m + mb))
        m2 += np.einsum("ij,ij->i", part, part) + delta ** 2 * (m * mb / (m + mb))
    return {"n": rows, "m": n, "gram": gram, "score0": score, "max": hi, "min": lo,
            "mean": mean, "m2": m2, "y_out": int(np.sum((y < 0) | (y > 1))),
            "y_frac": int(np.sum((y != 0) & (y != 1))), "y_sum": float(y.sum())}


def _combine(parts: list[dict[str, Any]], k: int) -> dict[str, Any]:
    """Sum the block facts; means and variances by Chan et al.'s pairwise update."""
    out = {"gram": np.zeros((k, k)), "score0": np.zeros(k), "max": np.full(k, -np.inf),
           "min": np.full(k, np.inf), "mean": np.zeros(k), "m2": np.zeros(k), "m": 0}
    for key in ("rows", "n", "y_out", "y_frac", "y_sum", "nan", "inf"):
        out[key] = sum(p[key] for p in parts)
    for p in parts:
        out["gram"] += p["gram"]
        out["score0"] += p["score0"]
        out["max"] = np.maximum(out["max"], p["max"])
        out["min"] = np.minimum(out["min"], p["min"])
        m, mb = out["m"], p["m"]
        if mb:
            delta = p["mean"] - out["mean"]
            out["mean"] = out["mean"] + delta * mb / (m + mb)
            out["m2"] = out["m2"] + p["m2"] + delta ** 2 * m * mb / (m + mb)
            out["m"] = m + mb
    return out


def _check_facts(f: dict[str, Any], sources: tuple[str, ...], missing: str, endog: str,
                 remedy: str) -> None:
    inf = [f"{s} ({c} rows)" for s, c in zip(sources, f["inf"], strict=True) if c]
    if inf:
        raise MissingDataError(f"Infinite values in {', '.join(inf)}; infinite values are "
                               "never dropped: fix or remove those rows.")
    nan = [f"{s} ({c} rows)" for s, c in zip(sources, f["nan"], strict=True) if c]
    if nan and missing != "drop":
        raise MissingDataError(
            f"Missing values (NaN, None or NA) in {', '.join(nan)}. Pass missing='drop' to "
            f"drop incomplete rows (each partition drops its own), e.g. {remedy}, or impute "
            "them.")
    if f["n"] == 0:
        raise ValueError("No observations left (empty data, or every row had missing values).")
    if f["y_out"]:
        raise ValueError(f"endog {endog!r} has {f['y_out']} values outside [0, 1]; the "
                         "response must be 0/1 or a proportion. Recode it first, e.g. "
                         "y = (y == 1).astype(float).")


def finish_design(raw_blocks: list, names: tuple[str, ...] | None, raw_k: int, endog: str,
            has_offset: bool,
            missing: str, persist: bool, remedy: str, intercept: int | None | str = "detect",
            counts: dict[str, Any] | None = None, **design_kwargs: Any) -> DaskDesign:
    """Prepare the blocks, run the construction pass and assemble the design.

    ``raw_blocks`` are Delayed ``(X, y, offset)`` tuples, or with ``counts``
    ``(X, y, offset, trials, freq_weights, labels)`` (``counts`` is the context of
    :func:`~bayeslogit.spec.dask_counts.count_block`, with ``has`` the pair (trials given,
    freq_weights given)); ``names`` None names the columns as statsmodels names numpy
    columns once the intercept is found.
    """
    import dask
    import dask.array as da

    if not isinstance(persist, bool | np.bool_):
        raise ValueError(f"persist must be True or False, got {persist!r}; e.g. "
                         "bl.Logit(y, X, persist=False) to recompute the blocks at every pass.")
    k = raw_k if names is None else len(names)
    shown = names if names is not None else _numpy_names(k, None)
    sources = tuple(f"exog {c!r}" for c in shown) + (f"endog {endog!r}",) + (
        ("offset",) if has_offset else ()) + tuple(
        what for what, given in zip(("trials", "freq_weights"), (counts or {}).get(
            "has", (False, False)), strict=True) if given)
    drop = missing == "drop"
    start = time.perf_counter()
    if persist:  # one task per block: prepared, its facts computed, kept on the workers
        blocks = list(dask.persist(*[dask.delayed(prepare_block)(b, drop, True, counts)
                                     for b in raw_blocks]))
        parts = dask.compute(*[b[5] for b in blocks])
    else:  # the facts from one pass; every later pass prepares the blocks again, lean
        parts = dask.compute(*[dask.delayed(prepare_block)(b, drop, True, counts)[5]
                               for b in raw_blocks])
        blocks = [dask.delayed(prepare_block)(b, drop, False, counts) for b in raw_blocks]
    logging.getLogger("bayeslogit.distributed").info(
        "construction pass over %d blocks: %.3f s", len(parts), time.perf_counter() - start)
    facts = _combine(list(parts), k)
    _check_facts(facts, sources, missing, endog, remedy)
    extra: dict[str, Any] = {}
    if counts is not None:
        from .dask_counts import combine_counts, lazy_counts, warn_binary_counts

        totals = combine_counts(list(parts))
        warn_binary_counts(totals, int(facts["n"]), endog, counts["call"])
        extra = {"count_constant": totals["const"], "count_saturated": totals["sat"],
                 "weight_total": totals["weight"]}
    rows = tuple(int(p["n"]) for p in parts)
    keep = [i for i, r in enumerate(rows) if r]
    blocks = [blocks[i] for i in keep]
    rows = tuple(rows[i] for i in keep)
    X = da.concatenate([da.from_delayed(b[0], (r, k), float) for b, r in zip(blocks, rows,
                                                                              strict=True)])
    y = da.concatenate([da.from_delayed(b[1], (r,), float) for b, r in zip(blocks, rows,
                                                                            strict=True)])
    off = da.concatenate([da.from_delayed(b[2], (r,), float) for b, r in zip(
        blocks, rows, strict=True)]) if has_offset else None
    n = int(sum(rows))
    if counts is not None:
        extra.update(lazy_counts(blocks, rows, counts["has"]))
    dropped = {s: int(c) for s, c in zip(sources, facts["nan"], strict=True) if c}
    sd = np.sqrt(facts["m2"] / max(n - 1, 1)) if n > 1 else np.ones(k)
    if counts is not None:  # the expanded rows' moments: each row counts m_i times
        facts["mean"] = totals["wmean"]
        sd = np.sqrt(totals["wm2"] / (totals["wsum"] - 1)) if totals["wsum"] >= 2 \
            else np.ones(k)
    if intercept == "detect":  # the first column equal to one in every row
        ones = np.flatnonzero((facts["max"] == 1.0) & (facts["min"] == 1.0))
        intercept = int(ones[0]) if ones.size else None
        if names is None:
            names = _numpy_names(k, intercept)
    return DaskDesign(X, y, off, names, endog, intercept, pd.RangeIndex(n),
                      int(facts["rows"] - n), dropped=dropped, blocks=tuple(blocks),
                      block_rows=rows, gram=facts["gram"], col_max=facts["max"],
                      col_min=facts["min"], col_mean=facts["mean"], col_sd=sd,
                      y_binary=facts["y_frac"] == 0, y_sum=facts["y_sum"], persisted=persist,
                      score_at_zero=None if has_offset or counts else facts["score0"],
                      **extra, **design_kwargs)


def _numpy_names(k: int, intercept: int | None) -> tuple[str, ...]:
    names, counter = [], 0
    for j in range(k):
        if j == intercept:
            names.append("const")
        else:
            counter += 1
            names.append(f"x{counter}")
    return tuple(names)
