"""The saved-file format: a result written to netCDF (``result.save``), read by ``bl.load``.

Layout of format version 5 (HDF5-based netCDF4, one file per result, values uncompressed):

``/observed_data``: ``y`` (dim ``obs``); ``/constant_data``: ``X`` (``obs, coef``) and
    ``offset`` (``obs``; zeros without an offset): the model's data, stored once.
``/posterior``, ``/sample_stats``, ``/log_prior``, ...: draw-based results (posteriors and
    the Laplace approximation) only: the draws and the sampler's statistics, as ArviZ reads
    them. The pointwise ``log_likelihood`` group is not stored (chains x draws x n values,
    recomputed from the draws and the data on first use). MLE and MAP results store no
    draws: their ``to_arviz()`` draws are made from the estimate and covariance on demand.
``/bayeslogit``: attributes ``format_version`` (5), ``kind`` (``MLEResults``,
    ``MAPResults``, ``LaplaceResults`` or ``PosteriorResults``), ``spec`` (the model: its
    validated design, formula state and priors), ``result`` (the result's constructor
    arguments: the fit options, the engine's output with its reports, e.g. the MLE's Newton
    record and separation report, the MAP mode, the Laplace approximation's mode, the
    sampler's ``info``) and ``digests``. ``spec`` and ``result`` are JSON text (strict JSON:
    no NaN literals), a tagged encoding of the object graph (:mod:`bayeslogit.json_state`):
    JSON values for themselves, ``{"$tuple": ...}``, ``{"$float": "nan"}``, small arrays
    inline with dtype and shape, pandas objects from their parts, allow-listed classes by
    module and name with their attributes, enums by name. The data arrays are references
    (``{"$ref": ["array", group, name, shape, dtype, fortran]}``) to the variables above,
    other numeric arrays of 256 values or more references to variables ``array0``,
    ``array1``, ... of this group, the model ``{"$ref": ["model"]}`` and the draws
    ``{"$ref": ["tree"]}``, so nothing is stored twice. Every class named must be in the
    allow-list of :mod:`bayeslogit.safe_unpickle`; reading builds allowed classes with
    ``cls.__new__`` and sets their attributes (a result is rebuilt by its constructor from
    its stored arguments): loading runs no code from the file. ``digests`` is a JSON
    object: ``"group/variable"`` -> ``"C:<sha256>"`` or ``"F:<sha256>"`` (the values' bytes
    in that memory order) for every numeric variable, and ``"attr:spec"``,
    ``"attr:result"`` -> the sha256 of those attributes' text.

The file is written by :func:`bayeslogit.files.atomic_write`: to a temporary file beside
the target, flushed and fsynced, then renamed over it, so a failed or interrupted save
leaves the previous file as it was.

Earlier versions, which :func:`bayeslogit.load` still reads:

1. attributes ``format_version``, ``kind``, ``spec`` (data included), ``settings`` (the
   keyword arguments of an MLE or MAP fit), ``info``, ``is_draws``; MLE and MAP results were
   re-estimated on load, the draws tree stored whole;
2. ``settings`` replaced by ``options``: every field of the result's ``FitOptions``;
3. the layout above with ``spec`` and ``result`` stored as base64 pickles (the same
   references as persistent ids), without ``digests``; read by the allow-list unpickler of
   :mod:`bayeslogit.safe_unpickle`;
4. version 3 with ``digests``.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..files import atomic_write
from ..json_state import dumps_state

__all__ = ["FORMAT_VERSION", "KINDS", "MIN_ARRAY_SIZE", "save_result", "array_ref",
           "array_digest", "text_digest", "tree_digests"]

#: version of the file layout; readers accept this and every earlier one
FORMAT_VERSION = 5
#: the result classes a file may hold (the ``kind`` attribute)
KINDS = ("MLEResults", "MAPResults", "LaplaceResults", "PosteriorResults")
#: numeric arrays of at least this many values are stored as variables, not in the JSON
MIN_ARRAY_SIZE = 256
#: groups recomputed on load rather than stored (chains x draws x n values)
_DERIVED_GROUPS = ("log_likelihood",)


class _Refs:
    """Return the reference stored instead of an object: arrays, the model, the draws tree.

    ``refs`` maps ``id(obj)`` to its reference; numeric arrays of at least
    :data:`MIN_ARRAY_SIZE` values get a new variable of the ``bayeslogit`` group.
    """

    def __init__(self, refs: dict[int, Any], arrays: dict[str, Any], trees: list[Any]) -> None:
        self.refs = refs
        self.arrays = arrays
        self.trees = trees
        self.keep: list[Any] = []  # keeps ids unique while encoding

    def __call__(self, obj: Any) -> Any:
        ref = self.refs.get(id(obj))
        if ref is not None:
            return ref
        if type(obj).__name__ == "DataTree":
            if self.trees and obj is not self.trees[0]:
                raise ValueError("A result holds more than one draws tree; cannot save it.")
            self.trees[:1] = [obj]
            return ("tree",)
        if isinstance(obj, np.ndarray) and obj.dtype.kind in "biuf" and \
                obj.size >= MIN_ARRAY_SIZE and obj.dtype.isnative:
            name = f"array{len(self.arrays)}"
            self.arrays[name] = obj
            ref = array_ref("bayeslogit", name, obj)
            self.refs[id(obj)] = ref
            self.keep.append(obj)
            return ref
        return None


def array_ref(group: str, name: str, values: np.ndarray) -> tuple[Any, ...]:
    """Return the persistent id of an array stored as variable ``name`` of ``group``.

    ``("array", group, name, shape, dtype, fortran)``: the loader checks the stored
    variable's shape against it and restores the dtype and the memory order.
    """
    fortran = bool(values.flags.f_contiguous and not values.flags.c_contiguous)
    return ("array", group, name, tuple(int(s) for s in values.shape), values.dtype.str,
            fortran)


def array_digest(values: np.ndarray) -> str:
    """Return ``"C:<sha256>"`` or ``"F:<sha256>"``: the values' digest in memory order.

    The order is the one the array already has (no copy when it is contiguous); the loader
    computes the digest of the values it read in the same order and compares.
    """
    values = np.asarray(values)
    order = "F" if values.flags.f_contiguous and not values.flags.c_contiguous else "C"
    # a Fortran-ordered array's transpose is C-contiguous over the same bytes
    data = np.asfortranarray(values).T if order == "F" else np.ascontiguousarray(values)
    return f"{order}:" + hashlib.sha256(memoryview(data).cast("B")).hexdigest()


def text_digest(text: str) -> str:
    """Return the sha256 of a stored attribute's text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def tree_digests(groups: dict[str, Any]) -> dict[str, str]:
    """Return ``{"group/variable": digest}`` of every numeric variable of the groups."""
    out = {}
    for group, ds in groups.items():
        for name, var in ds.data_vars.items():
            values = var.values
            if values.dtype.kind in "biufc":
                out[f"{group}/{name}"] = array_digest(values)
    return out


def _data_groups(design: Any) -> dict[str, Any]:
    """Build the ``observed_data`` and ``constant_data`` groups of the design (no copies)."""
    import xarray as xr

    n = design.nobs
    coords = {"obs": np.arange(n), "coef": list(design.exog_names)}
    offset = np.zeros(n) if design.offset is None else design.offset
    return {
        "observed_data": xr.Dataset({"y": ("obs", design.y)}, coords={"obs": coords["obs"]}),
        "constant_data": xr.Dataset({"X": (("obs", "coef"), design.X),
                                     "offset": ("obs", offset)}, coords=coords),
    }


def save_result(result: Any, path: Any) -> None:
    """Write ``result`` to ``path`` in the current format (see the module docstring).

    Parameters
    ----------
    result : MLEResults, MAPResults, LaplaceResults or PosteriorResults
        The result to write.
    path : str, bytes or path-like
        The file, replaced atomically if it exists (a symbolic link is followed).

    Raises
    ------
    TypeError
        ``result`` is not one of the saved kinds, or ``path`` is not a path.
    IsADirectoryError, ValueError
        ``path`` is a folder, or exists and is not a regular file (a FIFO, a device).
    OSError
        The write failed (disk full, file size limit, permission, ...): the message names
        the path and the cause in words; the file already there is unchanged.
    KeyboardInterrupt
        Propagated; the file already there is unchanged, the temporary file removed.
    """
    import xarray as xr

    kind = type(result).__name__
    if kind not in KINDS:
        raise TypeError(f"Cannot save a {kind}; save() writes {list(KINDS)}.")
    model = result.model
    design = model.design
    refs: dict[int, Any] = {id(model): ("model",),
                            id(design.X): array_ref("constant_data", "X", design.X),
                            id(design.y): array_ref("observed_data", "y", design.y)}
    if design.offset is not None:
        refs[id(design.offset)] = array_ref("constant_data", "offset", design.offset)
    arrays: dict[str, Any] = {}
    trees: list[Any] = []
    ref = _Refs(refs, arrays, trees)
    spec = dumps_state({"design": design, "priors": model.priors}, ref, "the model spec")
    state = dumps_state(result, ref, f"the {kind}")
    groups: dict[str, Any] = {}
    if trees:
        groups.update({name: node.to_dataset() for name, node in trees[0].children.items()
                       if name not in _DERIVED_GROUPS})
    groups.update(_data_groups(design))
    meta = xr.Dataset(
        {name: ([f"{name}_{j}" for j in range(a.ndim)], a) for name, a in arrays.items()},
        attrs={"format_version": FORMAT_VERSION, "kind": kind, "spec": spec,
               "result": state, "digests": ""})
    groups["bayeslogit"] = meta
    tree = xr.DataTree.from_dict(groups)
    # the digests are computed while the file is written (hashing releases the GIL)
    with ThreadPoolExecutor(1) as pool:
        digests = pool.submit(_digests, groups, design, arrays, spec, state)

        def write(tmp: str) -> None:
            import h5py

            tree.to_netcdf(tmp)
            with h5py.File(tmp, "r+") as f:
                f["bayeslogit"].attrs["digests"] = json.dumps(digests.result(),
                                                              sort_keys=True)

        atomic_write(path, write)


def _digests(groups: dict[str, Any], design: Any, arrays: dict[str, Any], spec: str,
             state: str) -> dict[str, str]:
    """Return the digests stored in the ``digests`` attribute (module docstring)."""
    digests = tree_digests({name: ds for name, ds in groups.items()
                            if name not in ("observed_data", "constant_data", "bayeslogit")})
    # the stored data: digests of the arrays as the model holds them (dtype and order kept)
    digests["constant_data/X"] = array_digest(design.X)
    digests["observed_data/y"] = array_digest(design.y)
    digests["constant_data/offset"] = array_digest(groups["constant_data"]["offset"].values)
    digests.update({f"bayeslogit/{name}": array_digest(a) for name, a in arrays.items()})
    digests.update({"attr:spec": text_digest(spec), "attr:result": text_digest(state)})
    return digests
