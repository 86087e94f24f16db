"""The state of saved results as JSON: a tagged encoding of an object graph, run-free to read.

Files written by ``result.save`` (format 5 on) store the model spec and the result's state as
JSON text. JSON natives stand for themselves (lists for lists, objects for dicts whose keys are
str not starting with ``$``); everything else is an object with one ``$`` tag:

``{"$float": "nan" | "inf" | "-inf"}``, ``{"$tuple": [...]}``, ``{"$set": [...]}``,
``{"$frozenset": [...]}``, ``{"$namedtuple": [module, name], "items": [...]}``,
``{"$dict": [[key, value], ...]}``, ``{"$ref": [...]}`` (an array
stored as a variable, the model, the draws: resolved by the reader), ``{"$array": {dtype,
shape, fortran, data}}`` (small arrays inline), ``{"$scalar": [dtype, value]}``,
``{"$dtype": str}``, ``{"$series": ...}``, ``{"$frame": ...}``, ``{"$index": ...}``,
``{"$range": ...}``, ``{"$multi": ...}``, ``{"$categorical": ...}``, ``{"$catdtype": ...}``,
``{"$strdtype": storage}``, ``{"$strings": ...}`` (pandas string arrays), ``{"$enum":
[module, name, member]}``, ``{"$class": [module, name]}``, ``{"$object": [module, name],
"dict": {...}, "slots": {...}}`` (dataclasses and plain objects, restored with
``cls.__new__(cls)`` and their attributes set), ``{"$result": [module, name], "state": {...},
"report": str | null}`` (a result, rebuilt by its constructor from its state, as pickling does).

Every class named in a file must be in :data:`~bayeslogit.safe_unpickle.ALLOWED` (the one
allow-list of saved files); decoding calls only the constructors of allowed numpy/pandas types
and ``__new__`` of allowed classes: loading runs no code from the file. Anything else is a
:class:`~bayeslogit.errors.SavedFileError` naming the file.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .errors import SavedFileError
from .safe_unpickle import ALLOWED, MOVED

__all__ = ["dumps_state", "loads_state"]

_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
#: classes whose ``__setstate__`` the generic object path would bypass: refused there
_CONTAINERS = (list, dict, tuple, set, frozenset)
#: the widest dtype a stored value may declare (strings of 16,384 characters): no file makes
#: the reader allocate what it does not hold
_MAX_ITEMSIZE = 65536


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
            return {"$index": {"values": self.values(obj, path), "name": self(obj.name, path),
                               "categorical": isinstance(obj, pd.CategoricalIndex)}}
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
        return self(values, f"{path}.values")

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
        if "__setstate__" in dir(cls) or isinstance(obj, _CONTAINERS):
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


def _parse_constant(name: str) -> Any:
    raise ValueError(f"the JSON holds the non-standard constant {name}")


class _Decoder:
    def __init__(self, path: str, what: str, ref: Callable[[Any], Any]) -> None:
        self.path = path
        self.what = what
        self.ref = ref

    def bad(self, why: str) -> SavedFileError:
        return SavedFileError(f"{self.path!r}: the stored {self.what} {why}; the file was "
                              "crafted or altered. It was not loaded and nothing in it was run.")

    def cls(self, ref: Any) -> Any:
        if not (isinstance(ref, list) and len(ref) == 2 and all(isinstance(s, str) for s in ref)):
            raise self.bad(f"holds an invalid class reference {ref!r}")
        module, name = ref
        module = MOVED.get(module, module)
        if name not in ALLOWED.get(module, ()):
            raise self.bad(f"refers to {module}.{name}, which a file written by result.save() "
                           "never holds")
        obj: Any = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
        if not isinstance(obj, type):
            raise self.bad(f"names {module}.{name}, which is not a class")
        return obj

    def __call__(self, node: Any) -> Any:  # noqa: C901 - one branch per tag
        if node is None or isinstance(node, bool | int | float | str):
            return node
        if isinstance(node, list):
            return [self(v) for v in node]
        if not isinstance(node, dict):
            raise self.bad(f"holds an invalid value {node!r}")
        tags = [k for k in node if k.startswith("$")]
        if not tags:
            return {k: self(v) for k, v in node.items()}
        tag, arg = tags[0], node[tags[0]]
        if tag == "$float":
            if arg not in _FLOATS:
                raise self.bad(f"holds an invalid float {arg!r}")
            return _FLOATS[arg]
        if tag == "$tuple":
            return tuple(self(v) for v in self.list(arg))
        if tag in ("$set", "$frozenset"):
            return (set if tag == "$set" else frozenset)(self(v) for v in self.list(arg))
        if tag == "$dict":
            out = {}
            for pair in self.list(arg):
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise self.bad("holds an invalid dict entry")
                out[self(pair[0])] = self(pair[1])
            return out
        if tag == "$ref":
            return self.ref(tuple(self(v) for v in self.list(arg)))
        if tag == "$array":
            return self.array(arg)
        if tag == "$scalar":
            dtype, value = self.list(arg)
            return self.array({"dtype": dtype, "shape": [], "fortran": False,
                               "data": value})[()]
        if tag == "$dtype":
            return self.dtype(arg)
        if tag == "$catdtype":
            return pd.CategoricalDtype(self(arg["categories"]), ordered=bool(arg["ordered"]))
        if tag == "$strdtype":
            storage, na = self.list(arg)
            return pd.StringDtype(str(storage), na_value=math.nan if na == "nan" else pd.NA)
        if tag == "$categorical":
            return pd.Categorical.from_codes(self(arg["codes"]), dtype=self(arg["dtype"]))
        if tag == "$strings":
            return pd.array(self.list(arg["data"]), dtype=self(arg["dtype"]))
        if tag == "$multi":
            return pd.MultiIndex(levels=self(arg["levels"]), codes=self(arg["codes"]),
                                 names=self(arg["names"]))
        if tag == "$range":
            start, stop, step, name = self.list(arg)
            return pd.RangeIndex(int(start), int(stop), int(step), name=self(name))
        if tag == "$index":
            values, name = self(arg["values"]), self(arg["name"])
            if arg.get("categorical"):
                return pd.CategoricalIndex(values, name=name)
            return pd.Index(values, name=name, tupleize_cols=False,
                            dtype=getattr(values, "dtype", None))
        if tag == "$series":
            return pd.Series(self(arg["values"]), index=self(arg["index"]),
                             name=self(arg["name"]), copy=False)
        if tag == "$frame":
            columns = self(arg["columns"])
            data = [self(v) for v in self.list(arg["data"])]
            if len(data) != len(columns):
                raise self.bad("holds a table whose columns do not match its data")
            frame = pd.DataFrame({j: v for j, v in enumerate(data)}, index=self(arg["index"]))
            frame.columns = columns
            return frame
        if tag == "$enum":
            module, name, member = self.list(arg)
            cls = self.cls([module, name])
            if not issubclass(cls, enum.Enum) or member not in cls.__members__:
                raise self.bad(f"holds an invalid member {member!r} of {name}")
            return cls[member]
        if tag == "$class":
            return self.cls(arg)
        if tag == "$namedtuple":
            cls = self.cls(arg)
            items = [self(v) for v in self.list(node.get("items"))]
            if not (issubclass(cls, tuple) and len(items) == len(getattr(cls, "_fields", ()))):
                raise self.bad(f"holds an invalid {cls.__qualname__}")
            return tuple.__new__(cls, items)
        if tag == "$object":
            return self.instance(node)
        if tag == "$result":
            cls = self.cls(arg)
            if not hasattr(cls, "stores_draws"):
                raise self.bad(f"names {cls.__qualname__} as a result")
            state = self(node.get("state"))
            if not isinstance(state, dict):
                raise self.bad("holds a result without its state")
            result = cls(**state)
            report = node.get("report")
            if isinstance(report, str):
                result.__dict__["_report_text"] = report
            return result
        raise self.bad(f"holds an unknown tag {tag!r}")

    def list(self, arg: Any) -> list[Any]:
        if not isinstance(arg, list):
            raise self.bad(f"holds {arg!r} where a list belongs")
        return arg

    def dtype(self, text: Any) -> np.dtype:
        if not isinstance(text, str):
            raise self.bad(f"holds an invalid dtype {text!r}")
        dtype = np.dtype(text)
        if dtype.kind not in "biufcOUSMm?" or dtype.fields is not None or \
                dtype.itemsize > _MAX_ITEMSIZE:
            raise self.bad(f"holds an unsupported dtype {text!r}")
        return dtype

    def array(self, arg: Any) -> np.ndarray:
        dtype = self.dtype(arg.get("dtype"))
        shape = tuple(int(s) for s in self.list(arg.get("shape")))
        data = arg.get("data")
        order = "F" if arg.get("fortran") else "C"
        if dtype.kind == "O":
            flat = np.empty(len(self.list(data)), dtype=object)
            flat[:] = [self(v) for v in data]
            return flat.reshape(shape, order=order)
        if dtype.kind in "Mm":
            flat = np.array(data, dtype=np.int64).view(dtype)
        else:
            flat = np.array(self(data) if isinstance(data, list) else self(data), dtype=dtype)
        if flat.size != math.prod(shape):
            raise self.bad(f"holds an array of shape {shape} with {flat.size} values")
        return flat.reshape(shape, order=order)

    def instance(self, node: dict[str, Any]) -> Any:
        cls = self.cls(node["$object"])
        if "__setstate__" in dir(cls) or issubclass(cls, (enum.Enum, *_CONTAINERS)):
            raise self.bad(f"names {cls.__qualname__}, which is not stored as an object")
        obj = cls.__new__(cls)
        state = node.get("dict") or {}
        slots = node.get("slots") or {}
        if not isinstance(state, dict) or not isinstance(slots, dict):
            raise self.bad(f"holds an invalid state of {cls.__qualname__}")
        if state:
            values = {str(k): self(v) for k, v in state.items()}
            if not hasattr(obj, "__dict__"):
                raise self.bad(f"gives {cls.__qualname__} attributes it cannot hold")
            obj.__dict__.update(values)
        for k, v in slots.items():
            object.__setattr__(obj, str(k), self(v))
        if dataclasses.is_dataclass(cls) and hasattr(obj, "__dict__"):
            self.defaults(obj)
        return obj

    def defaults(self, obj: Any) -> None:
        """Give fields added after the file was written their defaults (none: an error)."""
        for f in dataclasses.fields(obj):
            if f.name in obj.__dict__:
                continue
            if f.default is not dataclasses.MISSING:
                value = f.default
            elif f.default_factory is not dataclasses.MISSING:
                value = f.default_factory()
            else:
                raise self.bad(f"lacks the field {f.name!r} of {type(obj).__qualname__}")
            object.__setattr__(obj, f.name, value)


def loads_state(text: Any, path: str, what: str, ref: Callable[[Any], Any]) -> Any:
    """Decode the JSON text written by :func:`dumps_state`, allowing only :data:`ALLOWED`.

    Parameters
    ----------
    text : str
        The stored JSON.
    path : str
        The file (named in errors).
    what : str
        What the text holds ("model spec", "MLEResults", ...), named in errors.
    ref : callable
        Resolves the references (a tuple) to arrays stored as variables, the model, the draws.

    Returns
    -------
    object
        The decoded state.

    Raises
    ------
    SavedFileError
        Not JSON, a class outside the allow-list, or a malformed encoding: the message names
        the file.
    """
    decoder = _Decoder(path, what, ref)
    if not isinstance(text, str):
        raise decoder.bad("is missing or not text")
    try:
        node = json.loads(text, parse_constant=_parse_constant)
        return decoder(node)
    except SavedFileError:
        raise
    except Exception as exc:  # allowed constructors given malformed parts fail in many ways
        raise SavedFileError(f"{path!r}: the stored {what} cannot be read by this version of "
                             f"bayeslogit ({type(exc).__name__}: {exc}); the file was altered "
                             "or is damaged.") from exc
