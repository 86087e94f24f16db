r"""Parsing linear hypotheses ``R b = r`` from strings, lists, dicts or matrices.

Strings hold comma-separated equations in coefficient names, e.g. ``"GPA = 0, TUCE = 0"``,
``"GPA - TUCE = 0"``, ``"2*GPA + PSI = 1"``, chained ``"a = b = c"``; a bare expression means
``= 0``. Names may contain formula characters (``C(g)[T.b]``, ``x:z``): they are matched as
whole known names, longest first.
"""

from __future__ import annotations

import difflib
import itertools
import re
from typing import Any

import numpy as np

__all__ = ["parse_hypothesis", "parse_hypothesis_rows"]

_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_OPS = "+-*/()=,"


def _tokenize(text: str, names: list[str]) -> list[tuple[str, Any, int, int]]:
    """Split a hypothesis into tokens (kind, value, start, end).

    Tokens (kind, value, start, end). Names are matched first, longest first and as whole
    words, so names holding operator characters (``C(g)[T.b]``, ``x:z``) are one token.
    """
    order = sorted(range(len(names)), key=lambda j: -len(names[j]))
    word = re.compile(r"[\w.]")
    tokens, i = [], 0
    while i < len(text):
        j = next((j for j in order if names[j] and text.startswith(names[j], i) and not (
            word.match(names[j][-1]) and word.match(text, i + len(names[j])))), None)
        num = _NUMBER.match(text, i)
        if text[i].isspace():
            i += 1
        elif j is not None:
            tokens.append(("name", j, i, i + len(names[j])))
            i += len(names[j])
        elif num:
            tokens.append(("num", float(num.group()), i, num.end()))
            i = num.end()
        elif text[i] in _OPS:
            tokens.append(("op", text[i], i, i + 1))
            i += 1
        else:
            bad = re.match(r"[^\s+\-*/()=,]+", text[i:]).group()
            hint = [nm for nm in names if nm.lower() == bad.lower()] or \
                difflib.get_close_matches(bad, names, n=1)
            raise ValueError(f"Unknown coefficient name {bad!r} in hypothesis {text!r}"
                             + (f" (did you mean {hint[0]!r}?)" if hint else "")
                             + f". Valid names are {names}.")
    return tokens


class _Parser:
    """Parse linear expressions by recursive descent.

    Recursive descent (patsy's grammar); a linear value is a vector of k coefficients
    followed by the constant.
    """

    def __init__(self, text: str, names: list[str]) -> None:
        self.text, self.k, self.toks, self.pos = text, len(names), _tokenize(text, names), 0

    def fail(self, msg: str) -> ValueError:
        return ValueError(f"Cannot parse hypothesis {self.text!r}: {msg}.")

    def at_end(self, ops: str) -> bool:
        return self.pos == len(self.toks) or (self.toks[self.pos][0] == "op"
                                              and self.toks[self.pos][1] in ops)

    def op(self, ops: str) -> str | None:
        if self.pos < len(self.toks) and self.at_end(ops):
            self.pos += 1
            return self.toks[self.pos - 1][1]
        return None

    def parse(self) -> list[tuple[np.ndarray, float, str]]:
        rows = self.equation()
        while self.op(","):
            rows += self.equation()
        if self.pos < len(self.toks):
            raise self.fail(f"unexpected {self.text[self.toks[self.pos][2]:]!r}")
        return rows

    def equation(self) -> list[tuple[np.ndarray, float, str]]:
        start = self.pos
        if self.op("("):  # an equation in parentheses, "(a = b)"
            try:
                rows = self.equation()
                if self.op(")") and self.at_end(","):
                    return rows
            except ValueError:
                pass
            self.pos = start
        sides = [self.side()]
        while self.op("="):
            sides.append(self.side())
        if len(sides) == 1:
            sides.append((np.zeros(self.k + 1), "0"))
        out = []
        for (a, la), (b, lb) in itertools.pairwise(sides):
            d = a - b
            if not d[:-1].any():
                raise self.fail(f"no coefficient appears in the constraint '{la} = {lb}'")
            out.append((d[:-1], -d[-1], f"{la} = {lb}"))
        return out

    def side(self) -> tuple[np.ndarray, str]:
        if self.at_end(",=)"):
            raise self.fail("expected a coefficient name or a number" + (
                f" at {self.text[self.toks[self.pos][2]:]!r}" if self.pos < len(self.toks)
                else ""))
        begin = self.toks[self.pos][2]
        v = self.expr()
        if not self.at_end(",=)"):
            raise self.fail(f"expected an operator before {self.text[self.toks[self.pos][2]:]!r}")
        return v, self.text[begin:self.toks[self.pos - 1][3]].strip()

    def expr(self) -> np.ndarray:
        v = self.term()
        while o := self.op("+-"):
            v = v + self.term() if o == "+" else v - self.term()
        return v

    def term(self) -> np.ndarray:
        v = self.unary()
        while o := self.op("*/"):
            w = self.unary()
            if w[:-1].any() and (o == "/" or v[:-1].any()):
                raise self.fail("a linear hypothesis cannot multiply or divide by a coefficient")
            if o == "/" and w[-1] == 0:
                raise self.fail("division by zero")
            v = v / w[-1] if o == "/" else (w * v[-1] if not v[:-1].any() else v * w[-1])
        return v

    def unary(self) -> np.ndarray:
        if o := self.op("+-"):
            return self.unary() if o == "+" else -self.unary()
        if self.pos == len(self.toks):
            raise self.fail("the expression ended early")
        kind, val, start, _ = self.toks[self.pos]
        self.pos += 1
        v = np.zeros(self.k + 1)
        if kind == "op" and val == "(":
            v = self.expr()
            if not self.op(")"):
                raise self.fail("missing ')'")
        elif kind == "op":
            raise self.fail(f"unexpected {self.text[start:]!r}")
        else:
            v[val if kind == "name" else -1] = 1.0 if kind == "name" else val
        return v


def parse_hypothesis_rows(hypothesis: Any, names: Any) -> tuple[np.ndarray, np.ndarray,
                                                                list[str]]:
    """Like :func:`parse_hypothesis`, also returning one text label per row.

    Labels are the equation text (``"GPA = TUCE"``, ``"GPA = 0"``) for string and dict input,
    and ``"c0", "c1", ...`` (statsmodels' labels) for matrix input.
    """
    names = [str(nm) for nm in names]
    k = len(names)
    if isinstance(hypothesis, dict):
        if not hypothesis:
            raise ValueError("Empty hypothesis dict; give {name: value, ...}.")
        R, r = np.zeros((len(hypothesis), k)), np.zeros(len(hypothesis))
        for i, (key, val) in enumerate(hypothesis.items()):
            if key not in names:
                raise ValueError(f"Unknown coefficient name {key!r}; valid names are {names}.")
            R[i, names.index(key)], r[i] = 1.0, float(val)
        return R, r, [f"{key} = {val}" for key, val in hypothesis.items()]
    if isinstance(hypothesis, str):
        hypothesis = [hypothesis]
    if isinstance(hypothesis, (list, tuple)) and hypothesis and all(
            isinstance(h, str) for h in hypothesis):
        rows = []
        for text in hypothesis:
            if not text.strip():
                raise ValueError("Empty hypothesis string; write e.g. 'GPA = 0, TUCE = 0'.")
            rows += _Parser(text, names).parse()
        return (np.array([r[0] for r in rows]), np.array([r[1] for r in rows]),
                [r[2] for r in rows])
    if isinstance(hypothesis, tuple) and len(hypothesis) == 2:
        R = np.asarray(hypothesis[0], dtype=float)
        R = R[None, :] if R.ndim == 1 else R
        r = np.atleast_1d(np.asarray(hypothesis[1], dtype=float))
        r = r.ravel() if r.ndim == 2 and 1 in r.shape else r
    else:
        R = np.asarray(hypothesis, dtype=float)
        R = R[None, :] if R.ndim == 1 else R
        r = np.zeros(R.shape[0] if R.ndim == 2 else 0)
    if R.ndim != 2 or R.shape[1] != k or R.shape[0] == 0:
        raise ValueError(f"R must be a (q, {k}) matrix, one column per coefficient {names}; got "
                         f"shape {R.shape}.")
    if r.shape != (R.shape[0],):
        raise ValueError(f"r must hold one value per row of R ({R.shape[0]}); got shape "
                         f"{r.shape}.")
    if not (np.all(np.isfinite(R)) and np.all(np.isfinite(r))):
        raise ValueError("R and r must be finite.")
    return R.copy(), r.copy(), [f"c{i}" for i in range(R.shape[0])]


def parse_hypothesis(hypothesis: Any, names: Any) -> tuple[np.ndarray, np.ndarray]:
    r"""Linear restrictions :math:`R\beta = r` from a string, a matrix or a tuple ``(R, r)``.

    Parameters
    ----------
    hypothesis : str, list of str, dict, array-like or tuple
        * A string of comma-separated linear equations in coefficient names, e.g.
          ``"GPA = 0, TUCE = 0"``, ``"GPA - TUCE = 0"``, ``"2*GPA + PSI = 1"``,
          ``"(GPA = TUCE)"``, ``"GPA = TUCE = PSI"`` (two rows). A bare expression such as
          ``"GPA"`` means ``= 0``. ``+ - * /``, numbers and parentheses are allowed as long as
          the result is linear. Names are matched as whole tokens, longest first, so names
          such as ``"C(g)[T.b]"`` or ``"x:z"`` work. The grammar is patsy's.
        * A list of such strings, or a dict ``{name: value}`` (``name = value`` each).
        * A (q, k) matrix ``R`` (a 1-D array is one row); then ``r = 0``.
        * A tuple ``(R, r)``.
    names : sequence of str
        Coefficient names, in the order of the parameter vector.

    Returns
    -------
    R : (q, k) ndarray; r : (q,) ndarray

    Raises
    ------
    ValueError
        Unknown names (the message lists the valid ones), non-linear or malformed
        expressions, constraints without coefficients, or matrices of the wrong shape.
    """
    R, r, _ = parse_hypothesis_rows(hypothesis, names)
    return R, r


