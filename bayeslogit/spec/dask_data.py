r"""Dask input: arrays and DataFrames turned into a :class:`DaskDesign` with one pass.

The data stay on the cluster as row blocks, each a tuple ``(X, y, offset)`` of float arrays
(a Dask array's row chunks, a DataFrame's partitions encoded through the formula). Building
the design runs one pass over the blocks: missing and infinite values per source, the
response's range, the Gram matrix :math:`X^\top X` (the rank check), the column extremes
(the magnitude check) and the column means and standard deviations (prior autoscaling).
Under ``missing="drop"`` each block drops its incomplete rows itself. With ``persist=True``
(the default) the prepared blocks are persisted on the workers once and every later pass
reads them there; with ``persist=False`` every pass recomputes them from the source, so a
worker holds about one block at a time.

Dask is imported only here and in the distributed engine, on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..conditioning import check_magnitudes
from ..errors import DistributedDataError, MissingDataError, RankDeficiencyError
from .columns import check_missing_policy
from .design import Design

FloatArray = NDArray[np.float64]

__all__ = ["is_dask", "DaskDesign", "design_from_dask_arrays", "finish_design",
           "check_rank_gram", "gram_rank", "prepare_block", "block_facts"]


def is_dask(obj: Any) -> bool:
    """Tell whether ``obj`` is a Dask collection (without importing Dask)."""
    return type(obj).__module__.split(".")[0] in ("dask", "dask_expr") and hasattr(
        obj, "__dask_graph__")


@dataclass(frozen=True)
class DaskDesign(Design):
    """A :class:`Design` whose rows live on a Dask cluster as blocks ``(X, y, offset)``.

    ``X``, ``y`` and ``offset`` are Dask arrays with known chunks (for lazy products such as
    predictions); the engines read ``blocks``, one Delayed tuple per row block. The one-pass
    facts (``gram``, column extremes, means and standard deviations, whether y is 0/1)
    replace the in-memory scans of :class:`Design`.
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
    extra: dict = field(default_factory=dict)

    @property
    def nobs(self) -> int:
        """Number of rows (after rows dropped for missing values)."""
        return int(sum(self.block_rows))

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
def prepare_block(raw: tuple, sources: tuple[str, ...], drop: bool) -> tuple:
    """Return ``(X, y, offset, facts)`` of one block, incomplete rows dropped if ``drop``.

    ``sources`` names the columns of ``[X | y | offset]`` for the missing-value counts.
    """
    X, y, off = raw
    parts = [X, y[:, None]] + ([off[:, None]] if off is not None else [])
    full = np.hstack(parts)
    nan = np.isnan(full)
    inf = np.isinf(full)
    facts = {"rows": len(y), "nan": nan.sum(axis=0), "inf": inf.sum(axis=0)}
    bad = nan.any(axis=1)
    if drop and bad.any():
        keep = ~bad
        X, y = X[keep], y[keep]
        off = off[keep] if off is not None else None
    X = np.ascontiguousarray(X, dtype=float)
    return X, np.ascontiguousarray(y, dtype=float), off, facts


def block_facts(block: tuple) -> dict[str, Any]:
    """Run the construction pass on one prepared block (see the module docstring)."""
    X, y, off, facts = block
    n, k = X.shape
    ok = ~np.isnan(X).any(axis=1) & ~np.isnan(y)
    Xo, yo = X[ok], y[ok]
    mean = Xo.mean(axis=0) if len(yo) else np.zeros(k)
    return {**facts, "n": n, "m": len(yo), "gram": Xo.T @ Xo,
            "max": Xo.max(axis=0, initial=-np.inf), "min": Xo.min(axis=0, initial=np.inf),
            "mean": mean, "m2": ((Xo - mean) ** 2).sum(axis=0),
            "y_out": int(np.sum((yo < 0) | (yo > 1))),
            "y_frac": int(np.sum((yo != 0) & (yo != 1))), "y_sum": float(yo.sum())}


def _combine(parts: list[dict[str, Any]], k: int) -> dict[str, Any]:
    """Sum the block facts; means and variances by Chan et al.'s pairwise update."""
    out = {"gram": np.zeros((k, k)), "max": np.full(k, -np.inf), "min": np.full(k, np.inf),
           "mean": np.zeros(k), "m2": np.zeros(k), "m": 0}
    for key in ("rows", "n", "y_out", "y_frac", "y_sum", "nan", "inf"):
        out[key] = sum(p[key] for p in parts)
    for p in parts:
        out["gram"] += p["gram"]
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
            **design_kwargs: Any) -> DaskDesign:
    """Prepare the blocks, run the construction pass and assemble the design.

    ``raw_blocks`` are Delayed ``(X, y, offset)`` tuples; ``names`` None names the columns
    as statsmodels names numpy columns once the intercept is found.
    """
    import dask
    import dask.array as da

    k = raw_k if names is None else len(names)
    shown = names if names is not None else _numpy_names(k, None)
    sources = tuple(f"exog {c!r}" for c in shown) + (f"endog {endog!r}",) + (
        ("offset",) if has_offset else ())
    blocks = [dask.delayed(prepare_block)(b, sources, missing == "drop") for b in raw_blocks]
    if persist:
        blocks = list(dask.persist(*blocks))
    parts = dask.compute(*[dask.delayed(block_facts)(b) for b in blocks])
    facts = _combine(list(parts), k)
    _check_facts(facts, sources, missing, endog, remedy)
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
    counts = {s: int(c) for s, c in zip(sources, facts["nan"], strict=True) if c}
    sd = np.sqrt(facts["m2"] / max(n - 1, 1)) if n > 1 else np.ones(k)
    if intercept == "detect":  # the first column equal to one in every row
        ones = np.flatnonzero((facts["max"] == 1.0) & (facts["min"] == 1.0))
        intercept = int(ones[0]) if ones.size else None
        if names is None:
            names = _numpy_names(k, intercept)
    return DaskDesign(X, y, off, names, endog, intercept, pd.RangeIndex(n),
                      int(facts["rows"] - n), dropped=counts, blocks=tuple(blocks),
                      block_rows=rows, gram=facts["gram"], col_max=facts["max"],
                      col_min=facts["min"], col_mean=facts["mean"], col_sd=sd,
                      y_binary=facts["y_frac"] == 0, y_sum=facts["y_sum"], persisted=persist,
                      **design_kwargs)


def _numpy_names(k: int, intercept: int | None) -> tuple[str, ...]:
    names, counter = [], 0
    for j in range(k):
        if j == intercept:
            names.append("const")
        else:
            counter += 1
            names.append(f"x{counter}")
    return tuple(names)


def design_from_dask_arrays(endog: Any, exog: Any, offset: Any = None, missing: str = "none",
                            persist: bool = True) -> DaskDesign:
    """Validate Dask arrays (``exog`` (n, k), ``endog`` and ``offset`` (n,)) in one pass.

    Columns are named as statsmodels names numpy columns (``const``, ``x1``, ...).

    Returns
    -------
    DaskDesign

    Raises
    ------
    DistributedDataError
        Mixed Dask and in-memory inputs, wrong dimensions or lengths.
    MissingDataError, ValueError
        As :func:`~bayeslogit.spec.design.design_from_arrays`.
    """
    import dask
    import dask.array as da

    check_missing_policy(missing)
    items = {"endog": endog, "exog": exog, "offset": offset}
    mixed = [name for name, v in items.items() if v is not None and not is_dask(v)]
    if mixed:
        raise DistributedDataError(
            f"{mixed[0]} is in memory while the other inputs are Dask collections; pass all "
            f"of them as Dask arrays, e.g. {mixed[0]} = da.from_array({mixed[0]}, "
            "chunks=250_000).")
    X = da.asarray(exog, dtype=float) if not hasattr(exog, "to_dask_array") else \
        exog.to_dask_array(lengths=True).astype(float)
    y = da.asarray(endog, dtype=float) if not hasattr(endog, "to_dask_array") else \
        endog.to_dask_array(lengths=True).astype(float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or y.ndim != 1:
        raise DistributedDataError(f"exog must be 2-dimensional and endog 1-dimensional; got "
                                   f"shapes {X.shape} and {y.shape}.")
    if np.isnan(X.shape[0]) or any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    X = X.rechunk({1: -1})
    if y.shape[0] != X.shape[0]:
        raise DistributedDataError(f"endog has {y.shape[0]} rows but exog has {X.shape[0]}; "
                                   "they must match.")
    y = y.rechunk((X.chunks[0],))
    off = None
    if offset is not None:
        off = da.asarray(offset, dtype=float).rechunk((X.chunks[0],))
    xs, ys = X.to_delayed().ravel(), y.to_delayed().ravel()
    os_ = off.to_delayed().ravel() if off is not None else [None] * len(xs)
    raw = [dask.delayed(tuple)([xb, yb, ob]) for xb, yb, ob in zip(xs, ys, os_, strict=True)]
    return finish_design(raw, None, X.shape[1], "y", off is not None, missing, persist,
                   "bl.Logit(y, X, missing='drop')")
