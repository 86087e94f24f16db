"""Loading results saved by ``result.save(path)`` (:mod:`bayeslogit.results.save`).

The file is the result's DataTree plus a ``bayeslogit`` group whose attributes carry what is
needed to rebuild the result: the result kind, its settings and the model spec (data,
formula state, priors) serialised with pickle. Only load files you trust.

Draw-based results (posterior, Laplace) are restored from the stored draws; MLE and MAP
results are re-estimated from the stored data, which is deterministic, so summaries and
predictions are identical.
"""

from __future__ import annotations

import base64
import io
import json
import pickle
from typing import Any

import xarray as xr

__all__ = ["load"]

#: where the classes pickled by earlier layouts of the package live now
_MOVED = {
    "bayeslogit.design": "bayeslogit.spec.design",
    "bayeslogit.columns": "bayeslogit.spec.columns",
    "bayeslogit.formula": "bayeslogit.spec.formula",
    "bayeslogit.prior_set": "bayeslogit.spec.prior_set",
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        return super().find_class(_MOVED.get(module, module), name)


def _decode(text: str) -> Any:
    return _Unpickler(io.BytesIO(base64.b64decode(text.encode("ascii")))).load()


def load(path: str):
    """Load a result written by ``result.save(path)``."""
    from .model import Logit

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
    from .results.draws import DrawResults, PosteriorResults
    from .results.map import LaplaceResults

    info = json.loads(meta["info"])
    if kind == "LaplaceResults":
        # restore the stored draws rather than drawing anew (LaplaceResults.__init__ would)
        obj = LaplaceResults.__new__(LaplaceResults)
        DrawResults.__init__(obj, model, tree, info)
        obj.mode = model.fit(method="map")
        return obj
    return PosteriorResults(model, tree, info)
