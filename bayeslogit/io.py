"""Loading results saved by ``result.save(path)`` (:mod:`bayeslogit.results.save`).

The file is the result's DataTree plus a ``bayeslogit`` group whose attributes carry what is
needed to rebuild the result: the result kind, the options it was fitted with and the model
spec (data, formula state, priors) serialised with pickle. Only load files you trust.

Draw-based results (posterior, Laplace) are rebuilt around the stored draws; MLE and MAP
results are re-estimated from the stored data with the stored options, which is
deterministic, so summaries and predictions are identical. Files of every format version up
to :data:`~bayeslogit.results.save.FORMAT_VERSION` are read.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import pickle
from typing import TYPE_CHECKING, Any

import xarray as xr

from .model import Logit
from .results.options import FitOptions
from .results.save import FORMAT_VERSION

if TYPE_CHECKING:
    from .results.draws import PosteriorResults
    from .results.map import LaplaceResults, MAPResults
    from .results.mle import MLEResults

__all__ = ["load"]

#: where the classes pickled by earlier layouts of the package live now
_MOVED = {
    "bayeslogit.design": "bayeslogit.spec.design",
    "bayeslogit.columns": "bayeslogit.spec.columns",
    "bayeslogit.formula": "bayeslogit.spec.formula",
    "bayeslogit.prior_set": "bayeslogit.spec.prior_set",
}
_METHODS = {"MLEResults": "mle", "MAPResults": "map", "LaplaceResults": "laplace",
            "PosteriorResults": "posterior"}
#: version-1 files name the sampler only in ``info["sampler"]``
_SAMPLER_KEYS = {"importance": "is", "gibbs": "gibbs", "nuts": "nuts"}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        return super().find_class(_MOVED.get(module, module), name)


def _decode(text: str) -> Any:
    return _Unpickler(io.BytesIO(base64.b64decode(text.encode("ascii")))).load()


def _fill_defaults(obj: Any) -> Any:
    """Give a dataclass instance pickled before some fields existed their defaults.

    A dataclass instance pickled before fields with defaults were added gets the defaults
    (pickle restores ``__dict__`` as it was written); anything else is returned unchanged.
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            if f.name in obj.__dict__:
                continue
            if f.default is not dataclasses.MISSING:
                value = f.default
            elif f.default_factory is not dataclasses.MISSING:
                value = f.default_factory()
            else:
                raise ValueError(f"The stored {type(obj).__name__} lacks {f.name!r}, which "
                                 "has no default; the file cannot be read by this version.")
            object.__setattr__(obj, f.name, value)
    return obj


def _options(meta: Any, version: int, method: str, tree: Any, info: dict) -> FitOptions:
    """Rebuild the stored options; version 1 stored only the keyword arguments of MLE/MAP fits."""
    if version >= 2:
        return FitOptions.from_dict(_decode(meta["options"]))
    values: dict[str, Any] = dict(_decode(meta["settings"]), method=method)
    if method in ("laplace", "posterior"):
        chains, draws = tree["posterior"]["beta"].shape[:2]
        values.update(draws=int(draws), chains=int(chains))
        label = str(info.get("sampler", ""))
        values["sampler"] = next((v for k, v in _SAMPLER_KEYS.items() if label.startswith(k)),
                                 None) if method == "posterior" else None
        if "tune" in info:
            values["tune"] = int(info["tune"])
    return FitOptions.from_dict(values)


def load(path: str) -> MLEResults | MAPResults | LaplaceResults | PosteriorResults:
    """Load a result written by ``result.save(path)``.

    Parameters
    ----------
    path : str or path-like
        A netCDF file written by ``save()`` (any format version up to the current one).

    Returns
    -------
    MLEResults, MAPResults, LaplaceResults or PosteriorResults
        The result, with ``options`` as it was fitted and its model rebuilt from the stored
        data and priors.

    Raises
    ------
    ValueError
        The file was not written by ``save()``, or by a newer version of bayeslogit.
    FileNotFoundError
        No file at ``path``.

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
    from .results.draws import PosteriorResults
    from .results.map import LaplaceResults

    tree = xr.open_datatree(path).load()
    if "bayeslogit" not in tree.children:
        raise ValueError(f"{path!r} was not written by bayeslogit's save().")
    meta = tree["bayeslogit"].attrs
    version = int(meta.get("format_version", 1))
    if version > FORMAT_VERSION:
        raise ValueError(f"{path!r} has format version {version}, newer than this bayeslogit "
                         f"reads ({FORMAT_VERSION}); upgrade: pip install -U bayeslogit.")
    kind = meta["kind"]
    if kind not in _METHODS:
        raise ValueError(f"{path!r} holds an unknown result kind {kind!r}.")
    spec = _decode(meta["spec"])
    design = _fill_defaults(spec["design"])
    priors = spec["priors"]
    for prior in priors.values() if isinstance(priors, dict) else [priors]:
        _fill_defaults(prior)
    info = json.loads(meta["info"])
    del tree["bayeslogit"]
    options = _options(meta, version, _METHODS[kind], tree, info)
    model = Logit.from_design(design, priors=priors)
    if kind in ("MLEResults", "MAPResults"):
        return model.fit(**options.fit_kwargs())
    if kind == "LaplaceResults":
        solver = {k: v for k, v in (("maxiter", options.maxiter), ("tol", options.tol))
                  if v is not None}
        mode = model.fit(method="map", **solver)
        return LaplaceResults(model, mode, tree, options, info)
    return PosteriorResults(model, tree, info, options)
