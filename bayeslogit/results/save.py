"""Writing a result to netCDF: its DataTree plus a ``bayeslogit`` group to rebuild it from.

The ``bayeslogit`` group's attributes carry the format version, the result kind, the options
it was fitted with (:class:`~bayeslogit.results.options.FitOptions`) and the model spec (data,
formula state, priors) serialised with pickle; :func:`bayeslogit.load` reads them back. Only
load files you trust.

Format versions (readers accept this one and every earlier one):

1. attributes ``format_version``, ``kind``, ``spec``, ``settings`` (the keyword arguments of
   an MLE or MAP fit; empty for draw-based results), ``info``, ``is_draws``;
2. ``settings`` replaced by ``options``: every field of the result's ``FitOptions``.
"""

from __future__ import annotations

import base64
import json
import pickle
from typing import Any

__all__ = ["FORMAT_VERSION", "save_result", "encode"]

#: version of the ``bayeslogit`` group's layout; readers accept this and every earlier one
FORMAT_VERSION = 2


def encode(obj: Any) -> str:
    """``obj`` pickled and base64-encoded, as stored in the file's attributes."""
    return base64.b64encode(pickle.dumps(obj)).decode("ascii")


def save_result(result: Any, path: str) -> None:
    """Write ``result`` to ``path`` (netCDF4/HDF5 via xarray)."""
    import xarray as xr

    model = result.model
    tree = result.to_arviz()  # a shallow copy: adding the group leaves the result alone
    spec = {"design": model.design, "priors": model.priors}
    meta = xr.Dataset(attrs={
        "format_version": FORMAT_VERSION,
        "kind": type(result).__name__,
        "spec": encode(spec),
        "options": encode(result.options.to_dict()),
        "info": json.dumps({k: v for k, v in getattr(result, "info", {}).items()
                            if isinstance(v, int | float | str | list)}),
        "is_draws": int(result.stores_draws),
    })
    tree["bayeslogit"] = meta
    tree.to_netcdf(path)
