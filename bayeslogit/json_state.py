"""The state of saved results as JSON: a tagged encoding of an object graph, run-free to read.

Files written by ``result.save`` (format 5 on) store the model spec and the result's state as
JSON text. JSON natives stand for themselves (lists for lists, objects for dicts whose keys are
str not starting with ``$``); everything else is an object with one ``$`` tag:

``{"$float": "nan" | "inf" | "-inf"}``, ``{"$tuple": [...]}``, ``{"$set": [...]}``,
``{"$frozenset": [...]}``, ``{"$namedtuple": [module, name], "items": [...]}``,
``{"$dict": [[key, value], ...]}``, ``{"$ref": [...]}`` (an array stored as a variable,
the model, the draws: resolved by the reader), ``{"$array": {dtype,
shape, fortran, data}}`` (small arrays inline), ``{"$scalar": [dtype, value]}``,
``{"$dtype": str}``, ``{"$series": ...}``, ``{"$frame": ...}``, ``{"$index": ...}``,
``{"$range": ...}``, ``{"$multi": ...}``, ``{"$categorical": ...}``, ``{"$catdtype": ...}``,
``{"$strdtype": [storage, na]}``, ``{"$strings": ...}`` (pandas string arrays),
``{"$extension": {dtype, data}}`` (time zones, periods and nullable numbers), ``{"$enum":
[module, name, member]}``, ``{"$class": [module, name]}``, ``{"$object": [module, name],
"dict": {...}, "slots": {...}}`` (dataclasses and plain objects, restored with
``cls.__new__(cls)`` and their attributes set), ``{"$result": [module, name], "state": {...},
"report": str | null}`` (a result, rebuilt by its constructor from its state, as pickling does).

:func:`dumps_state` writes this encoding, :func:`bayeslogit.json_read.loads_state` reads it.
Every class named in a file must be in :data:`~bayeslogit.safe_unpickle.ALLOWED` (the one
allow-list of saved files); decoding calls only the constructors of allowed numpy/pandas types
and ``__new__`` of allowed classes: loading runs no code from the file. Anything else is a
:class:`~bayeslogit.errors.SavedFileError` naming the file.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .safe_unpickle import ALLOWED, MOVED

__all__ = ["CONTAINERS", "EXTENSION_DTYPES", "dumps_state"]

#: built-in containers: never stored as ``$object`` (their items are not attributes)
CONTAINERS = (list, dict, tuple, set, frozenset)
#: pandas dtypes stored by name with their values (``$extension``), and read back by name
EXTENSION_DTYPES = (pd.DatetimeTZDtype, pd.PeriodDtype, pd.core.dtypes.dtypes.BaseMaskedDtype)


def _name(cls: type) -> tuple[str, str]:
    return cls.__module__, cls.__qualname__


def _allowed(module: str, name: str) -> bool:
    return name in ALLOWED.get(MOVED.get(module, module), ())


def _float(x: float) -> Any:
    if math.isfinite(x):
        return x
    return {"$float": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


class _Encoder:
    """Encode an object graph; ``ref(obj)`` returns a reference (a list) or None."""

    def __init__(self, ref: Callable[[Any], Any]) -> None:
        self.ref = ref
        self.active: set[int] = set()

    def fail(self, obj: Any, path: str, why: str = "") -> TypeError:
        return TypeError(f"Cannot save {path}: a {type(obj).__module__}."
                         f"{type(obj).__qualname__} {why or 'has no JSON encoding in saved files'}"
                         "; report this as a bug of bayeslogit's save().")

    def __call__(self, obj: Any, path: str) -> Any:
        if obj is None or isinstance(obj, bool | str):
            return obj
        if type(obj) is int:
            return obj
        if type(obj) is float:
            return _float(obj)
        ref = self.ref(obj)
        if ref is not None:
            return {"$ref": list(ref)}
        if id(obj) in self.active:
            raise self.fail(obj, path, "refers to itself (a cycle)")
        self.active.add(id(obj))
        try:
            return self.encode(obj, path)
        finally:
            self.active.discard(id(obj))

    def seq(self, items: Any, path: str) -> list[Any]:
        return [self(v, f"{path}[{i}]") for i, v in enumerate(items)]

    def encode(self, obj: Any, path: str) -> Any:  # noqa: C901 - one branch per kind
        t = type(obj)
        if t is list:
            return self.seq(obj, path)
        if t is tuple:
            return {"$tuple": self.seq(obj, path)}
        if t in (set, frozenset):
            items = sorted(obj, key=repr)
            return {f"${t.__name__}": self.seq(items, path)}
        if t is dict:
            if all(type(k) is str and not k.startswith("$") for k in obj):
                return {k: self(v, f"{path}[{k!r}]") for k, v in obj.items()}
            return {"$dict": [[self(k, f"{path} key {k!r}"), self(v, f"{path}[{k!r}]")]
                              for k, v in obj.items()]}
        if isinstance(obj, np.ndarray):
            return self.array(obj, path)
        if isinstance(obj, np.generic):
            return {"$scalar": [obj.dtype.str, self.array(np.asarray(obj), path)["$array"]
                                ["data"]]}
        if isinstance(obj, np.dtype):
            if obj.kind not in "biufcOUSMmV?" or obj.fields is not None:
                raise self.fail(obj, path)
            return {"$dtype": obj.str}
        if isinstance(obj, pd.api.types.CategoricalDtype):
            return {"$catdtype": {"categories": self(obj.categories, f"{path}.categories"),
                                  "ordered": bool(obj.ordered)}}
        if isinstance(obj, pd.StringDtype):
            nan = obj.na_value is not pd.NA
            return {"$strdtype": [obj.storage, "nan" if nan else "NA"]}
        if isinstance(obj, pd.Categorical):
            return {"$categorical": {"codes": self(np.asarray(obj.codes), f"{path}.codes"),
                                     "dtype": self(obj.dtype, f"{path}.dtype")}}
        if isinstance(obj, pd.arrays.StringArray | pd.arrays.ArrowStringArray):
            return {"$strings": {"dtype": self(obj.dtype, f"{path}.dtype"),
                                 "data": [None if pd.isna(v) else str(v) for v in obj]}}
        if isinstance(obj, pd.MultiIndex):
            return {"$multi": {"levels": self.seq(obj.levels, f"{path}.levels"),
                               "codes": self.seq([np.asarray(c) for c in obj.codes],
                                                 f"{path}.codes"),
                               "names": self.seq(obj.names, f"{path}.names")}}
        if type(obj) is pd.RangeIndex:
            return {"$range": [obj.start, obj.stop, obj.step, self(obj.name, path)]}
        if isinstance(obj, pd.Index):
            out = {"values": self.values(obj, path), "name": self(obj.name, path),
                   "categorical": isinstance(obj, pd.CategoricalIndex)}
            if getattr(obj, "freqstr", None) is not None:
                out["freq"] = str(obj.freqstr)
            return {"$index": out}
        if type(obj) is pd.Series:
            return {"$series": {"values": self.values(obj, path),
                                "index": self(obj.index, f"{path}.index"),
                                "name": self(obj.name, f"{path}.name")}}
        if type(obj) is pd.DataFrame:
            return {"$frame": {"columns": self(obj.columns, f"{path}.columns"),
                               "index": self(obj.index, f"{path}.index"),
                               "data": [self.values(obj.iloc[:, j], f"{path}.iloc[:, {j}]")
                                        for j in range(obj.shape[1])]}}
        if isinstance(obj, tuple) and hasattr(t, "_fields") and _allowed(*_name(t)):
            return {"$namedtuple": [*_name(t)], "items": self.seq(obj, path)}
        if isinstance(obj, enum.Enum) and _allowed(*_name(t)):
            return {"$enum": [*_name(t), obj.name]}
        if isinstance(obj, type):
            if not _allowed(*_name(obj)):
                raise self.fail(obj, path, f"class {obj.__qualname__} is not in the allow-list")
            return {"$class": list(_name(obj))}
        return self.instance(obj, path)

    def values(self, obj: pd.Series | pd.Index, path: str) -> Any:
        values = obj.array
        if isinstance(values, pd.Categorical):
            return self(values, f"{path}.values")
        if isinstance(values, pd.arrays.NumpyExtensionArray):
            return self(values.to_numpy(), f"{path}.values")
        if isinstance(obj.dtype, np.dtype):
            return self(obj.to_numpy(), f"{path}.values")
        if isinstance(obj.dtype, EXTENSION_DTYPES):
            return self.extension(values, f"{path}.values")
        return self(values, f"{path}.values")

    def extension(self, values: Any, path: str) -> Any:
        """Time zones, periods, nullable numbers: their integers (or values, None for NA)."""
        if isinstance(values.dtype, pd.DatetimeTZDtype | pd.PeriodDtype):
            data = self(np.asarray(values.asi8), path)
        else:
            data = self.seq([None if v is pd.NA else v for v in values.tolist()], path)
        return {"$extension": {"dtype": str(values.dtype), "data": data}}

    def array(self, obj: np.ndarray, path: str) -> Any:
        kind = obj.dtype.kind
        if kind in "biuf":
            data = obj.ravel(order="K").tolist()
            if kind == "f":
                data = [_float(x) for x in data]
        elif kind in "Mm":
            data = obj.ravel(order="K").view(np.int64).tolist()
        elif kind in "US":
            data = [x if isinstance(x, str) else x.decode("latin-1")
                    for x in obj.ravel(order="K").tolist()]
        elif kind == "O":
            data = self.seq(obj.ravel(order="K"), path)
        else:
            raise self.fail(obj, path, f"array of dtype {obj.dtype}")
        fortran = bool(obj.flags.f_contiguous and not obj.flags.c_contiguous)
        if fortran:  # ravel(order="K") of a Fortran array is column-major
            pass
        elif not obj.flags.c_contiguous and obj.ndim > 1:
            data = self.seq(obj.ravel(order="C"), path) if kind == "O" else \
                np.ascontiguousarray(obj).ravel().tolist()
            if kind == "f":
                data = [_float(x) for x in data]
        return {"$array": {"dtype": obj.dtype.str, "shape": list(obj.shape),
                           "fortran": fortran, "data": data}}

    def instance(self, obj: Any, path: str) -> Any:
        cls = type(obj)
        module, name = _name(cls)
        if not _allowed(module, name):
            raise self.fail(obj, path, "is not in the allow-list of saved files")
        if callable(getattr(obj, "_state", None)) and hasattr(cls, "stores_draws"):
            return {"$result": [module, name], "state": self(obj._state(), f"{path}._state()"),
                    "report": obj.__dict__.get("_report_text")}
        if "__setstate__" in dir(cls) or isinstance(obj, CONTAINERS):
            raise self.fail(obj, path, "restores itself with __setstate__")
        state = obj.__getstate__()
        slots: dict[str, Any] = {}
        if isinstance(state, tuple):
            state, slots = state
        if dataclasses.is_dataclass(obj) and state is None:
            state = {}
        out: dict[str, Any] = {"$object": [module, name]}
        if state:
            out["dict"] = {k: self(v, f"{path}.{k}") for k, v in state.items()}
        if slots:
            out["slots"] = {k: self(v, f"{path}.{k}") for k, v in slots.items()}
        return out


def dumps_state(obj: Any, ref: Callable[[Any], Any], what: str) -> str:
    """Return the JSON text of ``obj`` (strict JSON: no NaN literals).

    Parameters
    ----------
    obj : object
        The state to store.
    ref : callable
        ``ref(obj)`` returns a reference (a tuple of JSON values) for objects stored elsewhere
        in the file (arrays as variables, the model, the draws), or None.
    what : str
        The name of ``obj`` in errors.

    Raises
    ------
    TypeError
        Something in ``obj`` has no encoding; the message names its path in the object.
    """
    return json.dumps(_Encoder(ref)(obj, what), allow_nan=False, separators=(",", ":"))
