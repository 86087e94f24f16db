"""Loading results saved by ``result.save(path)`` (the layout: :mod:`bayeslogit.results.save`).

Nothing in the file is trusted. Before any value is read, every variable's declared size is
checked against what the file stores for it (:mod:`bayeslogit.saved_file`), so a small file
cannot make ``load`` allocate gigabytes; the file is then read into memory and closed, and
checked: that it is a netCDF file with a ``bayeslogit`` group, of a format version this
package reads, holding a known result kind, with draws and data whose shapes match the
stored model (n x k data, chains x draws as fitted). The ``spec`` and ``result`` are JSON
from format 5 on, decoded by :mod:`bayeslogit.json_read`, which builds only the classes of
the allow-list; files of formats 1 to 4 store pickles, read by an unpickler that resolves
only the classes those versions wrote (:mod:`bayeslogit.safe_unpickle`). Either way loading
runs no code from the file, and the objects read are checked for their types. From format 4
on, every stored array and both state attributes are compared with the sha256 digests
stored at save ("the file was altered after it was saved"). Every problem is a
:class:`~bayeslogit.errors.SavedFileError` naming the file and what is wrong.

Files of formats 3 to 5 are rebuilt exactly from what they store (the estimate, its
covariance and the engine's reports; the draws). Files of versions 1 and 2 still load
(through the same restricted unpickler): their draw-based results are rebuilt around the
stored draws, their MLE and MAP results re-estimated from the stored data with the stored
options.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import pickle
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import SavedFileError
from .json_read import fill_defaults, loads_state
from .model import Logit
from .results.options import FitOptions
from .results.save import FORMAT_VERSION, KINDS, text_digest
from .safe_unpickle import restricted_loads
from .saved_file import check_digest, check_stored_formula, path_name, read_tree
from .spec.design import Design
from .spec.prior_base import Prior

if TYPE_CHECKING:
    from .results.draws import PosteriorResults
    from .results.map import LaplaceResults, MAPResults
    from .results.mle import MLEResults

__all__ = ["load"]

_METHODS = {"MLEResults": "mle", "MAPResults": "map", "LaplaceResults": "laplace",
             "PosteriorResults": "posterior"}
#: version-1 files name the sampler only in ``info["sampler"]``
_SAMPLER_KEYS = {"importance": "is", "gibbs": "gibbs", "nuts": "nuts"}
#: a malformed or crafted pickle fails in many ways (constructors of allowed classes given
#: wrong arguments included); every one is reported as a SavedFileError
_DECODE_ERRORS = (Exception,)


def _decode(text: Any, path: Any, what: str, refs: Any = None) -> Any:
    if not isinstance(text, str):
        raise SavedFileError(f"{path!r} lacks the stored {what} (or it is not text); the file "
                             "was altered or was not written by result.save().")
    try:
        return restricted_loads(base64.b64decode(text.encode("ascii"), validate=True), path,
                                what, refs)
    except SavedFileError:
        raise
    except _DECODE_ERRORS as exc:
        raise SavedFileError(
            f"{path!r}: the stored {what} cannot be read by this version of "
            f"bayeslogit ({type(exc).__name__}: {exc}).") from exc


def _spec(obj: Any, path: str) -> tuple[Any, Any]:
    """Check the decoded ``spec``: a dict with a Design and priors (a Prior or a dict of them)."""
    design = obj.get("design") if isinstance(obj, dict) else None
    priors = obj.get("priors") if isinstance(obj, dict) else None
    good_priors = priors is None or isinstance(priors, Prior) or (
        isinstance(priors, dict) and all(isinstance(k, str) and isinstance(v, Prior)
                                         for k, v in priors.items()))
    if not isinstance(design, Design) or not good_priors:
        got = (f"a dict with design {type(design).__name__}, priors {type(priors).__name__}"
               if isinstance(obj, dict) else f"a {type(obj).__name__}")
        raise SavedFileError(f"{path!r}: the stored model spec is {got}, not the model's "
                             "design and priors; the file was altered or was not written by "
                             "result.save().")
    design = _fill_defaults(design)
    if not all(isinstance(getattr(design, a, None), np.ndarray) for a in ("X", "y")):
        raise SavedFileError(f"{path!r}: the stored design has no data arrays X and y; the "
                             "file was altered.")
    return design, priors


def _fill_defaults(obj: Any) -> Any:
    """Give a dataclass instance pickled before some fields existed their defaults.

    A dataclass instance pickled before fields with defaults were added gets the defaults
    (pickle restores ``__dict__`` as it was written); anything else is returned unchanged.
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        missing = fill_defaults(obj)
        if missing is not None:
            raise SavedFileError(f"The stored {type(obj).__name__} lacks {missing!r}, which "
                                 "has no default; the file cannot be read by this version.")
    return obj


def _check_header(tree: Any, path: str) -> tuple[Any, int, str]:
    if "bayeslogit" not in tree.children:
        raise SavedFileError(f"{path!r} was not written by bayeslogit's save(): it has no "
                             f"'bayeslogit' group (groups {sorted(tree.children)}).")
    meta = tree["bayeslogit"].attrs
    raw = meta.get("format_version", 1)
    try:
        version = int(raw)
        if version != raw:
            raise ValueError
    except (TypeError, ValueError):
        raise SavedFileError(f"{path!r} has an invalid format_version {raw!r}; this "
                             f"bayeslogit reads versions 1 to {FORMAT_VERSION}.") from None
    if version > FORMAT_VERSION:
        raise SavedFileError(f"{path!r} has format version {version}, newer than this "
                             f"bayeslogit reads (1 to {FORMAT_VERSION}); upgrade: "
                             "pip install -U bayeslogit.")
    if version < 1:
        raise SavedFileError(f"{path!r} has an invalid format_version {version}; this "
                             f"bayeslogit reads versions 1 to {FORMAT_VERSION}.")
    kind = meta.get("kind")
    if kind not in KINDS:
        raise SavedFileError(f"{path!r} holds an unknown result kind {kind!r}; files hold "
                             f"one of {list(KINDS)}.")
    return meta, version, str(kind)


def _check_design(design: Any, path: str) -> None:
    X, y, names = design.X, design.y, design.exog_names
    if X.ndim != 2 or X.shape != (y.shape[0], len(names)):
        raise SavedFileError(f"{path!r} is inconsistent: the data X has shape {X.shape} for "
                             f"{y.shape[0]} responses and {len(names)} coefficients "
                             f"{list(names)}; save the result again.")


def _check_draws(draws: Any, names: tuple[str, ...], path: str) -> None:
    """Check that the stored draws are (chain, draw, coef) with the model's coefficients."""
    if "posterior" not in draws.children or "beta" not in draws["posterior"].data_vars:
        raise SavedFileError(f"{path!r} holds a draw-based result but no posterior/beta "
                             "draws; save the result again.")
    beta = draws["posterior"]["beta"]
    coef = list(beta["coef"].values) if "coef" in beta.coords else None
    if beta.dims != ("chain", "draw", "coef") or beta.shape[-1] != len(names) or \
            (coef is not None and [str(c) for c in coef] != list(names)):
        raise SavedFileError(
            f"{path!r} is inconsistent: its draws posterior/beta have dims {beta.dims} and "
            f"shape {beta.shape} (coefficients {coef}), but the stored model has "
            f"{len(names)} coefficients {list(names)}; the file was altered or assembled "
            "from several files. Save the result again.")


def _stored_array(tree: Any, pid: tuple[Any, ...], path: str,
                  digests: dict[str, str] | None) -> np.ndarray:
    _, group, name, shape, dtype, fortran = pid
    if not isinstance(group, str) or not isinstance(name, str):
        raise SavedFileError(f"{path!r} holds an invalid array reference; the file was altered.")
    if group not in tree.children or name not in tree[group].data_vars:
        raise SavedFileError(f"{path!r} lacks the variable {group}/{name} its stored model "
                             "refers to; the file was altered. Save the result again.")
    try:
        want = np.dtype(dtype)
        if want.kind not in "biuf" or want.itemsize > 16:
            raise TypeError
    except (TypeError, ValueError):
        raise SavedFileError(f"{path!r} holds an array reference of dtype {dtype!r}, which "
                             "save() never writes; the file was altered.") from None
    values = tree[group][name].values
    if values.shape != tuple(shape):
        raise SavedFileError(
            f"{path!r} is inconsistent: {group}/{name} has shape {values.shape}, but the "
            f"stored model expects {tuple(shape)}; the file was altered or assembled from "
            "several files. Save the result again.")
    values = values.astype(want, copy=False)
    values = np.asfortranarray(values) if fortran else values
    check_digest(values, digests, f"{group}/{name}", path)
    return values


def _digests(meta: Any, version: int, path: str) -> dict[str, str] | None:
    """Return the digests stored at save (format 4 on), None for earlier versions."""
    if version < 4:
        return None
    try:
        digests = json.loads(meta["digests"])
        if not isinstance(digests, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in digests.items()):
            raise ValueError
    except (KeyError, TypeError, ValueError):
        raise SavedFileError(f"{path!r} has format version {version} but no valid digests "
                             "of its contents; the file was altered after it was saved.") from None
    return digests


def _load_current(tree: Any, meta: Any, kind: str, path: str, version: int) -> Any:
    from .results.draws import PosteriorResults
    from .results.map import LaplaceResults, MAPResults
    from .results.mle import MLEResults

    draws = tree.copy()
    del draws["bayeslogit"]
    model: list[Any] = []
    checked: set[str] = set()  # variables whose digests were verified as they were read
    digests = _digests(meta, version, path)
    if digests is not None:
        for attr in ("spec", "result"):
            if text_digest(str(meta.get(attr))) != digests.get(f"attr:{attr}"):
                raise SavedFileError(
                    f"{path!r}: the stored {attr} does not match the digest stored when it "
                    "was saved: the file was altered after it was saved. Save the result "
                    "again from its source.")

    def refs(pid: Any) -> Any:
        if pid == ("model",) and model:
            return model[0]
        if pid == ("tree",):
            return draws
        if isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "array":
            checked.add(f"{pid[1]}/{pid[2]}")
            return _stored_array(tree, pid, path, digests)
        raise pickle.UnpicklingError(f"unknown reference {pid!r}")

    def decode(attr: str, what: str) -> Any:
        if version >= 5:
            return loads_state(meta.get(attr), path, what, refs)
        return _decode(meta.get(attr), path, what, refs)

    design, priors = _spec(decode("spec", "model spec"), path)
    _check_design(design, path)
    model.append(Logit.from_design(design, priors=_priors(priors)))
    cls = {"MLEResults": MLEResults, "MAPResults": MAPResults,
           "LaplaceResults": LaplaceResults, "PosteriorResults": PosteriorResults}[kind]
    if cls.stores_draws:
        _check_draws(draws, design.exog_names, path)
    result = decode("result", kind)
    if type(result) is not cls:
        raise SavedFileError(f"{path!r} says it holds a {kind} but stores a "
                             f"{type(result).__name__}; save the result again.")
    if cls.stores_draws:
        _check_draw_counts(draws, result.options, path)
    for group, node in draws.children.items() if digests is not None else ():
        for name, var in node.data_vars.items():  # the draws; an unused zero offset
            key = f"{group}/{name}"
            if var.dtype.kind in "biufc" and key not in checked:
                check_digest(var.values, digests, key, path)
    return result


def _check_draw_counts(draws: Any, options: FitOptions, path: str) -> None:
    """Refuse draws groups whose (chain, draw) shape differs from the recorded options."""
    want = (options.chains, options.draws)
    if None in want:
        return
    for group in ("posterior", "sample_stats", "log_prior"):
        if group not in draws.children:
            continue
        for name, var in draws[group].data_vars.items():
            got = tuple(var.sizes.get(d) for d in ("chain", "draw"))
            if got != want:
                raise SavedFileError(
                    f"{path!r} is inconsistent: {group}/{name} has {got[0]} chains x {got[1]} "
                    f"draws, but the result was fitted with chains={want[0]}, "
                    f"draws={want[1]}; the file was altered. Save the result again.")


def _priors(priors: Any) -> Any:
    for prior in priors.values() if isinstance(priors, dict) else [priors]:
        _fill_defaults(prior)
    return priors


def _options(meta: Any, version: int, method: str, tree: Any, info: dict,
             path: str) -> FitOptions:
    """Rebuild the stored options; version 1 stored only the keyword arguments of MLE/MAP fits."""
    if version >= 2:
        return FitOptions.from_dict(_decode(meta.get("options"), path, "options"))
    values: dict[str, Any] = dict(_decode(meta.get("settings"), path, "settings"), method=method)
    if method in ("laplace", "posterior"):
        chains, draws = tree["posterior"]["beta"].shape[:2]
        values.update(draws=int(draws), chains=int(chains))
        label = str(info.get("sampler", ""))
        values["sampler"] = next((v for k, v in _SAMPLER_KEYS.items() if label.startswith(k)),
                                 None) if method == "posterior" else None
        if "tune" in info:
            values["tune"] = int(info["tune"])
    return FitOptions.from_dict(values)


def _load_legacy(tree: Any, meta: Any, version: int, kind: str, path: str) -> Any:
    """Versions 1 and 2: draws rebuilt around the stored tree, MLE and MAP re-estimated."""
    from .results.draws import PosteriorResults
    from .results.map import LaplaceResults

    design, priors = _spec(_decode(meta.get("spec"), path, "model spec"), path)
    _check_design(design, path)
    try:
        info = dict(json.loads(meta.get("info", "{}")))
    except (TypeError, ValueError) as exc:
        raise SavedFileError(f"{path!r}: the stored info is not a JSON object ({exc}).") from exc
    del tree["bayeslogit"]
    if kind in ("LaplaceResults", "PosteriorResults"):
        _check_draws(tree, design.exog_names, path)
    options = _options(meta, version, _METHODS[kind], tree, info, path)
    model = Logit.from_design(design, priors=_priors(priors))
    if kind in ("MLEResults", "MAPResults"):
        return model.fit(**options.fit_kwargs())
    if kind == "LaplaceResults":
        solver = {k: v for k, v in (("maxiter", options.maxiter), ("tol", options.tol))
                  if v is not None}
        mode = model.fit(method="map", **solver)
        return LaplaceResults(model, mode, tree, options, info)
    return PosteriorResults(model, tree, info, options)


def load(path: Any, trust_formula: bool = False
         ) -> MLEResults | MAPResults | LaplaceResults | PosteriorResults:
    """Load a result written by ``result.save(path)``.

    The file is read into memory and closed, so it may be overwritten at once
    (``r = bl.load(p); r.save(p)``). Loading runs no code from the file: the stored state
    is read through an allow-list of classes. Declared sizes are checked against the file
    before anything is read, and (format 4 on) every stored array against the digest
    stored at save.

    Parameters
    ----------
    path : str, bytes or path-like
        A netCDF file written by ``save()`` (format version 1 to the current one).
    trust_formula : bool, default False
        A formula model's ``predict(new_raw_data)`` evaluates its stored formula, and
        formulaic evaluates formula terms as Python. By default a stored formula must use
        only columns, numbers, operators, numpy's element-wise functions and formulaic's
        transforms (:func:`bayeslogit.spec.formula_safety.check_formula`); pass True for a
        file you wrote yourself whose formula uses more (a method of a column, your own
        function).

    Returns
    -------
    MLEResults, MAPResults, LaplaceResults or PosteriorResults
        The result as it was saved: its options, estimates, reports (separation, notes,
        sampler info) and draws, with its model rebuilt from the stored data and priors.

    Raises
    ------
    TypeError
        ``path`` is not a str, bytes or path-like object.
    FileNotFoundError, IsADirectoryError
        No file at ``path``, or a folder.
    SavedFileError
        A ``ValueError`` whose message names the file and the problem: not netCDF
        (incomplete, damaged or of another kind); held open (locked) by a program writing
        it; not written by ``save()``; a newer or invalid format version or an unknown
        result kind; declared sizes the file does not hold; stored state naming a class
        outside the allow-list or of the wrong type; draws or data that do not match the
        model; contents that differ from the digests stored at save; a stored formula
        beyond columns and transforms (unless ``trust_formula=True``).

    References
    ----------
    .. [1] Kumar, R., Carroll, C., Hartikainen, A. and Martin, O. (2019). "ArviZ a unified
       library for exploratory analysis of Bayesian models in Python." Journal of Open
       Source Software 4(33), 1143 (the DataTree groups the file holds).

    Examples
    --------
    >>> import os, tempfile, numpy as np, bayeslogit as bl
    >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
    >>> r = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X).fit(cov_type="HC0")
    >>> path = os.path.join(tempfile.mkdtemp(), "fit.nc")
    >>> r.save(path)
    >>> back = bl.load(path)
    >>> back.params.equals(r.params), back.options.cov_type
    (True, 'HC0')
    """
    if not isinstance(trust_formula, bool | np.bool_):
        raise TypeError(f"trust_formula must be True or False, got {trust_formula!r}; "
                        "e.g. trust_formula=False.")
    name = path_name(path)
    tree = read_tree(name)
    meta, version, kind = _check_header(tree, name)
    if version >= 3:
        result = _load_current(tree, meta, kind, name, version)
    else:
        result = _load_legacy(tree, meta, version, kind, name)
    if not trust_formula:
        check_stored_formula(result.model.design, name)
    return result
