"""Saving results to netCDF and loading them back.

The file is the result's DataTree plus a ``bayeslogit`` group whose attributes carry what is
needed to rebuild the result: the result kind, its settings and the model spec (data,
formula state, priors) serialised with pickle. Only load files you trust.

Draw-based results (posterior, Laplace) are restored from the stored draws; MLE and MAP
results are re-estimated from the stored data, which is deterministic, so summaries and
predictions are identical.
"""

from __future__ import annotations

import base64
import json
import pickle
from typing import Any

import xarray as xr

__all__ = ["save_result", "load"]

_FORMAT_VERSION = 1


def _encode(obj: Any) -> str:
    return base64.b64encode(pickle.dumps(obj)).decode("ascii")


def _decode(text: str) -> Any:
    return pickle.loads(base64.b64decode(text.encode("ascii")))


def save_result(result: Any, path: str) -> None:
    """Write ``result`` to ``path`` (netCDF4/HDF5 via xarray)."""
    from .results_draws import DrawResults

    model = result.model
    tree = result.to_arviz().copy()
    spec = {"design": model.design, "priors": model.priors}
    settings = dict(getattr(result, "_fit_settings", {}))
    meta = xr.Dataset(attrs={
        "format_version": _FORMAT_VERSION,
        "kind": type(result).__name__,
        "spec": _encode(spec),
        "settings": _encode(settings),
        "info": json.dumps({k: v for k, v in getattr(result, "info", {}).items()
                            if isinstance(v, int | float | str | list)}),
        "is_draws": int(isinstance(result, DrawResults)),
    })
    tree["bayeslogit"] = meta
    tree.to_netcdf(path)


def load(path: str):
    """Load a result written by ``result.save(path)``."""
    from .spec import Logit

    tree = xr.open_datatree(path).load()
    if "bayeslogit" not in tree.children:
        raise ValueError(f"{path!r} was not written by bayeslogit's save().")
    meta = tree["bayeslogit"].attrs
    spec = _decode(meta["spec"])
    settings = _decode(meta["settings"])
    model = Logit(None, None, priors=spec["priors"], check_rank=False, _design=spec["design"])
    kind = meta["kind"]
    del tree["bayeslogit"]
    if kind in ("MLEResults", "MAPResults"):
        method = "mle" if kind == "MLEResults" else "map"
        return model.fit(method=method, **settings)
    from .results_draws import DrawResults, PosteriorResults
    from .results_map import LaplaceResults

    info = json.loads(meta["info"])
    if kind == "LaplaceResults":
        # restore the stored draws rather than drawing anew (LaplaceResults.__init__ would)
        obj = LaplaceResults.__new__(LaplaceResults)
        DrawResults.__init__(obj, model, tree, info)
        obj.mode = model.fit(method="map")
        return obj
    return PosteriorResults(model, tree, info)
