"""Formulas as data, not code: a check that a formula only reads columns and calls transforms.

formulaic evaluates each term of a formula as a Python expression (``I(x**2)``,
``np.log(x)``), with Python's builtins at hand, so a formula from an untrusted source can run
any code (``I(__import__('os').system(...))``). :func:`check_formula` reads every term
before anything is evaluated and accepts only a small expression language: the data's
columns (backtick-quoted names included), numbers, strings, lists and tuples of them,
arithmetic, comparisons and boolean operators, and calls of formulaic's transforms (``C``,
``I``, ``center``, ``scale``, ``standardize``, ``bs``, ``cr``, ``cc``, ``poly``, ``lag``,
``Q``, ``log``, ``exp``, contrasts such as ``contr.treatment``), ``offset`` and numpy's
element-wise functions (``np.log``, ``np.where``, ``np.clip``, every ufunc). No builtin, no
import, no attribute of a column, no name starting with an underscore, no subscript, lambda
or comprehension, and no constant arithmetic large enough to stall the process.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["UnsafeFormulaError", "check_formula", "SAFE_NUMPY", "SAFE_FUNCTIONS"]

#: numpy functions (besides every ufunc) and constants a checked formula may use as ``np.NAME``
SAFE_NUMPY = frozenset({
    "where", "clip", "round", "around", "nan_to_num", "digitize", "interp", "select",
    "sinc", "i0", "pi", "e", "inf", "nan", "euler_gamma"})
#: bare function names (formulaic's transforms, numpy shorthands, ``offset``)
SAFE_FUNCTIONS = frozenset({
    "C", "I", "Q", "center", "scale", "standardize", "bs", "cr", "cs", "cc", "poly", "lag",
    "hashed", "log", "log10", "log2", "exp", "exp2", "exp10", "offset", "Treatment", "Poly",
    "Sum", "Helmert", "Diff"})
#: the contrasts of ``contr.NAME``
SAFE_CONTRASTS = frozenset({"treatment", "sum", "helmert", "poly", "diff", "custom", "SAS"})
_NUMPY_ROOTS = frozenset({"np", "numpy"})
_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call,
          ast.keyword, ast.Name, ast.Attribute, ast.Constant, ast.Tuple, ast.List, ast.Load,
          ast.operator, ast.unaryop, ast.boolop, ast.cmpop, ast.IfExp)
_LARGEST = 1e15  # a constant beyond this (or a long string) would be a denial of service
_ALLOWED = ("the data's columns, numbers, arithmetic and comparisons, numpy's element-wise "
            "functions (np.log, np.exp, np.where, ...) and formulaic's transforms (C, I, "
            "center, scale, bs, poly, lag, Q, ...)")


class UnsafeFormulaError(ValueError):
    """A formula term that is not data: a builtin, an import, an attribute, a lambda..."""


def _numpy_ok(name: str) -> bool:
    value = getattr(np, name, None)
    return not name.startswith("_") and (name in SAFE_NUMPY or isinstance(value, np.ufunc))


def _constant(node: ast.AST) -> float | None:
    """Return a numbers-only subtree's value as a float (never a big int), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and \
            not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp):
        inner = _constant(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.BinOp):
        left, right = _constant(node.left), _constant(node.right)
        if left is None or right is None:
            return None
        try:
            return _fold(node.op, left, right)
        except (OverflowError, ValueError, ZeroDivisionError):
            return math.inf
    return None


def _fold(op: ast.operator, a: float, b: float) -> float:
    if isinstance(op, ast.Pow):
        return math.pow(abs(a), b) if a else 0.0
    if isinstance(op, ast.LShift | ast.RShift):
        return math.ldexp(abs(a), int(b) if isinstance(op, ast.LShift) else -int(b))
    if isinstance(op, ast.Mult):
        return a * b
    if isinstance(op, ast.Add | ast.Sub):
        return abs(a) + abs(b)
    return abs(a)  # division, modulo, bitwise: no larger than the operands' scale


class _Checker(ast.NodeVisitor):
    def __init__(self, term: str, columns: set[str]) -> None:
        self.term, self.columns = term, columns

    def refuse(self, what: str) -> None:
        raise UnsafeFormulaError(
            f"The formula term {self.term!r} {what}. Formulas are evaluated as Python "
            f"expressions; here they may use only {_ALLOWED}.")

    def generic_visit(self, node: ast.AST) -> None:
        if not isinstance(node, _NODES):
            self.refuse(f"uses {type(node).__name__.lower()} syntax")
        if isinstance(node, ast.BinOp) and any(
                isinstance(side, ast.Constant) and isinstance(side.value, str | bytes)
                for side in (node.left, node.right)):
            self.refuse("does arithmetic on text")
        if isinstance(node, ast.BinOp | ast.UnaryOp):
            value = _constant(node)
            if value is not None and not abs(value) <= _LARGEST:
                self.refuse("computes a constant too large to evaluate")
        super().generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str | bytes) and len(node.value) > 10_000:
            self.refuse("holds a string longer than 10,000 characters")
        if not isinstance(node.value, str | int | float | bool | type(None)):
            self.refuse(f"holds a {type(node.value).__name__} constant")

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in self.columns:
            return
        if node.id in SAFE_FUNCTIONS or node.id in _NUMPY_ROOTS or node.id == "contr":
            return  # a bare root is checked where it is used (visit_Attribute, visit_Call)
        self.refuse(f"uses {node.id!r}, which is neither a column of the data nor an allowed "
                    "function")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        root = node.value.id if isinstance(node.value, ast.Name) else None
        if root is None:
            self.visit(node.value)  # name what is inside first: __import__, open, ...
        if root in self.columns or root is None:
            self.refuse(f"reads the attribute {node.attr!r} of an expression")
        ok = (_numpy_ok(node.attr) if root in _NUMPY_ROOTS else
              node.attr in SAFE_CONTRASTS if root == "contr" else False)
        if not ok:
            self.refuse(f"uses {root}.{node.attr}, which is not an allowed function")

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            if func.id not in SAFE_FUNCTIONS:
                self.refuse(f"calls {func.id!r}, which is not an allowed function")
        elif isinstance(func, ast.Attribute):
            self.visit_Attribute(func)
        else:
            self.refuse("calls the result of an expression")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.refuse("unpacks arguments with *")
            self.visit(arg)
        for kw in node.keywords:
            if kw.arg is None:
                self.refuse("unpacks arguments with **")
            if kw.arg == "out" or kw.arg.startswith("_"):
                self.refuse(f"passes the argument {kw.arg!r}")
            self.visit(kw.value)


def _terms(formula: str, columns: list[str]) -> Iterable[tuple[str, str]]:
    import formulaic

    parsed = formulaic.Formula.from_spec(
        formula, context={"__formulaic_variables_available__": columns})
    sides = (parsed.lhs, parsed.rhs) if hasattr(parsed, "lhs") else (parsed,)
    for side in sides:
        for term in side:
            for factor in term.factors:
                yield str(factor.expr), getattr(factor.eval_method, "value", "")


def check_formula(formula: str, columns: Any) -> None:
    """Refuse a formula whose terms would run code beyond reading columns and transforms.

    Parameters
    ----------
    formula : str
        The formula, e.g. ``"y ~ np.log(x) + C(g) + `odd name`"``.
    columns : iterable of str
        The names of the data's columns.

    Raises
    ------
    UnsafeFormulaError
        A term using a name that is neither a column nor an allowed function, an attribute
        other than ``np.<function>`` / ``contr.<contrast>``, or any other syntax (subscripts,
        lambdas, comprehensions, ``*`` unpacking, huge constants). A formula that formulaic
        cannot parse passes, for formulaic to report.
    """
    from formulaic.utils.code import sanitize_variable_names

    cols = [str(c) for c in columns]
    try:
        terms = list(_terms(formula, cols))
    except Exception:  # noqa: BLE001 - the parse error is formulaic's to report, unevaluated
        return
    for expr, method in terms:
        lookup = method == "lookup" and (expr in cols or expr.isidentifier())
        if method == "literal" or lookup:
            continue
        env = {c: None for c in cols}
        aliases: dict[str, str] = {}
        code = sanitize_variable_names(expr, env, aliases)
        try:
            tree = ast.parse(code, mode="eval")
        except SyntaxError:
            raise UnsafeFormulaError(f"The formula term {expr!r} is not a valid expression.") \
                from None
        _Checker(expr, set(cols) | set(aliases)).visit(tree)
