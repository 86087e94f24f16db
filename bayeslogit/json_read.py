"""Reading the JSON state of saved files (the encoding: :mod:`bayeslogit.json_state`).

:func:`loads_state` decodes the tagged JSON of a file's ``spec`` and ``result`` attributes.
Every class it names must be in :data:`~bayeslogit.safe_unpickle.ALLOWED`; it builds objects
with ``cls.__new__(cls)`` and sets their attributes, pandas objects from their parts with
pandas' constructors, and a result by its class's constructor from its stored arguments. It
never calls anything the file names outside the allow-list, trusts no declared size, and
reports every problem as a :class:`~bayeslogit.errors.SavedFileError` naming the file.
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
from .json_state import CONTAINERS, EXTENSION_DTYPES
from .safe_unpickle import ALLOWED, MOVED

__all__ = ["loads_state", "fill_defaults"]

_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
#: the widest dtype a stored value may declare (strings of 16,384 characters): no file makes
#: the reader allocate what it does not hold
_MAX_ITEMSIZE = 65536


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
        if tag == "$extension":
            return self.extension(arg)
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
            index = pd.Index(values, name=name, tupleize_cols=False,
                             dtype=getattr(values, "dtype", None))
            freq = arg.get("freq")
            if isinstance(freq, str) and isinstance(index, pd.DatetimeIndex | pd.TimedeltaIndex):
                index = type(index)(index, freq=freq)
            return index
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

    def extension(self, arg: Any) -> Any:
        dtype = pd.api.types.pandas_dtype(str(arg["dtype"]))
        if not isinstance(dtype, EXTENSION_DTYPES):
            raise self.bad(f"holds values of the unsupported dtype {arg['dtype']!r}")
        data = self(arg["data"])
        if isinstance(dtype, pd.PeriodDtype):
            return pd.arrays.PeriodArray(np.asarray(data, dtype=np.int64), dtype=dtype)
        if isinstance(dtype, pd.DatetimeTZDtype):
            utc = np.asarray(data, dtype=np.int64).view(f"M8[{dtype.unit}]")
            return pd.array(utc).tz_localize("UTC").tz_convert(dtype.tz)
        return pd.array(data, dtype=dtype)

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
        if "__setstate__" in dir(cls) or issubclass(cls, (enum.Enum, *CONTAINERS)):
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
        missing = fill_defaults(obj)
        if missing is not None:
            raise self.bad(f"lacks the field {missing!r} of {type(obj).__qualname__}")


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


def fill_defaults(obj: Any) -> str | None:
    """Give a dataclass instance stored before some fields existed their defaults.

    Returns None when every field is set, else the name of the first missing field that has
    no default (the caller raises its own error).
    """
    for f in dataclasses.fields(obj):
        if f.name in obj.__dict__:
            continue
        if f.default is not dataclasses.MISSING:
            value = f.default
        elif f.default_factory is not dataclasses.MISSING:
            value = f.default_factory()
        else:
            return f.name
        object.__setattr__(obj, f.name, value)
    return None
