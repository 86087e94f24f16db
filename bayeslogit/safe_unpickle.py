"""Reading the pickled state of saved files without running code.

Files written by ``result.save`` in format versions 1 to 4 store the model spec and the
result's state as pickles (format 5 stores JSON, read by :mod:`bayeslogit.json_read`, which
builds only the classes of the same :data:`ALLOWED` list). :func:`restricted_loads` reads
the pickles with an unpickler whose ``find_class`` resolves only the names listed in
:data:`ALLOWED`: the classes these files were written with (bayeslogit's designs, priors,
options, engine outputs and result classes, the formulaic objects of a formula's state,
numpy arrays and dtypes, pandas frames and indexes) and the few reconstruction functions
numpy, pandas and pyarrow pickle them with. A name outside the list (``os.system``,
``builtins.eval``, ...) is refused before anything is called, as a
:class:`~bayeslogit.errors.SavedFileError` naming the file.
"""

from __future__ import annotations

import io
import os
import pickle
from collections.abc import Callable
from typing import Any

from .errors import SavedFileError

__all__ = ["ALLOWED", "restricted_loads"]

#: where the classes pickled by earlier layouts of the package live now
MOVED = {
    "bayeslogit.design": "bayeslogit.spec.design",
    "bayeslogit.columns": "bayeslogit.spec.columns",
    "bayeslogit.formula": "bayeslogit.spec.formula",
    "bayeslogit.prior_set": "bayeslogit.spec.prior_set",
    "numpy.core.multiarray": "numpy._core.multiarray",
    "numpy.core.numeric": "numpy._core.numeric",
}

_PRIORS = ("Normal", "Laplace", "StudentT", "Cauchy", "Flat", "Jeffreys", "Prior")
_CONTRASTS = ("TreatmentContrasts", "SASContrasts", "SumContrasts", "HelmertContrasts",
              "DiffContrasts", "PolyContrasts", "CustomContrasts", "ContrastsState")

#: module -> the names a saved file may refer to (after :data:`MOVED`)
ALLOWED: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    # bayeslogit: what save() stores (pickled in versions 1 to 4, JSON from 5)
    "bayeslogit.spec.design": ("Design",),
    "bayeslogit.spec.priors": _PRIORS,
    "bayeslogit.priors": _PRIORS,
    "bayeslogit.spec.prior_base": ("Prior", "ScaleMixture"),
    "bayeslogit.spec.prior_set": ("PriorSet",),
    "bayeslogit.engines.outputs": ("NewtonResult", "ModeResult", "Draws"),
    "bayeslogit.engines.separation": ("SeparationReport",),
    "bayeslogit.results.options": ("FitOptions",),
    "bayeslogit.results.base": ("rebuild_result",),
    "bayeslogit.results.mle": ("MLEResults",),
    "bayeslogit.results.map": ("MAPResults", "LaplaceResults"),
    "bayeslogit.results.draws": ("PosteriorResults",),
    # formulaic: the state of a formula (its ModelSpec and what it holds)
    "formulaic.formula": ("OrderingMethod", "SimpleFormula", "StructuredFormula", "Formula"),
    "formulaic.model_spec": ("ModelSpec", "ModelSpecs"),
    "formulaic.materializers.base": ("EncodedTermStructure",),
    "formulaic.materializers.types.enums": ("ClusterBy", "NAAction"),
    "formulaic.materializers.types.evaluated_factor": ("EvaluatedFactor",),
    "formulaic.materializers.types.scoped_factor": ("ScopedFactor",),
    "formulaic.materializers.types.scoped_term": ("ScopedTerm",),
    "formulaic.materializers.types.factor_values": ("FactorValues", "FactorValuesMetadata"),
    "formulaic.parser.types.factor": ("Factor", "Factor.EvalMethod", "Factor.Kind"),
    "formulaic.parser.types.term": ("Term",),
    "formulaic.parser.types.token": ("Token", "Token.Kind"),
    "formulaic.parser.types.ordered_set": ("OrderedSet",),
    "formulaic.transforms.contrasts": _CONTRASTS,
    "formulaic.transforms.basis_spline": ("SplineExtrapolation",),
    "formulaic.utils.sentinels": ("Sentinel",),
    "formulaic.utils.variables": ("Variable", "Variable.Role"),
    "formulaic.utils.structured": ("Structured",),
    "formulaic.utils.layered_mapping": ("LayeredMapping",),
    # numpy, pandas, pyarrow: arrays, scalars, frames, indexes and their dtypes
    "numpy": ("dtype", "ndarray"),
    "numpy._core.multiarray": ("_reconstruct", "scalar"),
    "numpy._core.numeric": ("_frombuffer",),
    "numpy.dtypes": ("Float64DType", "Int64DType", "BoolDType", "ObjectDType", "StrDType",
                     "Float32DType", "Int32DType", "UInt8DType", "Int8DType"),
    "pandas": ("DataFrame", "Series", "Index", "RangeIndex", "MultiIndex", "Categorical",
               "CategoricalDtype", "CategoricalIndex", "StringDtype"),
    "pandas.core.indexes.base": ("_new_Index", "Index"),
    # the module paths pandas 2 pickled these classes under
    "pandas.core.frame": ("DataFrame",),
    "pandas.core.series": ("Series",),
    "pandas.core.indexes.range": ("RangeIndex",),
    "pandas.core.indexes.multi": ("MultiIndex",),
    "pandas.core.indexes.category": ("CategoricalIndex",),
    "pandas.core.internals.blocks": ("new_block", "Block", "NumpyBlock", "ObjectBlock"),
    "pandas.core.internals.managers": ("BlockManager", "SingleBlockManager"),
    "pandas._libs.internals": ("_unpickle_block",),
    "pandas.core.arrays.categorical": ("Categorical",),
    "pandas.core.dtypes.dtypes": ("CategoricalDtype",),
    "pandas.core.arrays.string_": ("StringArray",),
    "pandas.core.arrays.string_arrow": ("ArrowStringArray",),
    "pandas.arrays": ("ArrowStringArray", "StringArray"),
    "pyarrow.lib": ("_restore_array", "py_buffer", "type_for_alias"),
    "builtins": ("slice", "set", "frozenset", "complex", "bytearray", "range"),
    "collections": ("OrderedDict",),
}.items()}


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolve only :data:`ALLOWED` names; references resolve through ``refs``."""

    def __init__(self, data: bytes, path: str, what: str,
                 refs: Callable[[Any], Any] | None) -> None:
        super().__init__(io.BytesIO(data))
        self.path = path
        self.what = what
        self.refs = refs

    def find_class(self, module: str, name: str) -> Any:
        module = MOVED.get(module, module)
        if name not in ALLOWED.get(module, ()):
            raise SavedFileError(
                f"{self.path!r}: the stored {self.what} refers to {module}.{name}, which a "
                "file written by result.save() never holds; the file was crafted or altered. "
                "It was not loaded and nothing in it was run.")
        return super().find_class(module, name)

    def persistent_load(self, pid: Any) -> Any:
        if self.refs is None:
            raise pickle.UnpicklingError(f"unexpected reference {pid!r}")
        return self.refs(pid)


def restricted_loads(data: bytes, path: Any, what: str,
                     refs: Callable[[Any], Any] | None = None) -> Any:
    """Unpickle ``data`` allowing only the :data:`ALLOWED` names.

    Parameters
    ----------
    data : bytes
        The pickle.
    path : str, bytes or path-like
        The file it comes from (named in errors).
    what : str
        What the pickle holds ("model spec", "MLEResults", ...), named in errors.
    refs : callable, optional
        Resolves persistent ids (arrays stored as variables, the model, the draws).

    Returns
    -------
    object
        The unpickled object.

    Raises
    ------
    SavedFileError
        The pickle names a class or function outside :data:`ALLOWED`.
    pickle.UnpicklingError, and the errors of a malformed pickle
        Left to the caller, which words them.
    """
    return _RestrictedUnpickler(data, os.fsdecode(os.fspath(path)), what, refs).load()
