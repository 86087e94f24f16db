"""The command line's inputs, checked before anything is fitted.

Counts and seeds are argparse types; priors, the options a method does not use, the output
paths and the CSV file raise :class:`CLIError`, which the command reports as one line with
exit code 2.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import pandas as pd

from ..results.report import printable
from ..spec.priors import FAMILIES, Prior, prior_family
from ..validation import FitMethod, SamplerName, choices

__all__ = ["CLIError", "Parser", "whole_number", "parse_prior", "parse_priors", "parse_event",
           "check_options", "read_csv", "one_line", "column_list",
           "families_usage", "METHODS", "MAX_SEED"]

METHODS = (*choices(FitMethod), *(s for s in choices(SamplerName) if s != "auto"), "auto")
SAMPLING = ("laplace", "nuts", "gibbs", "is", "auto")
#: the methods that use each option; the others refuse it rather than ignore it
USED_BY = {"draws": SAMPLING, "chains": SAMPLING, "seed": SAMPLING,
           "tune": ("nuts", "gibbs", "auto"), "prior": tuple(m for m in METHODS if m != "mle")}
DEFAULTS = {"draws": 1000, "tune": 1000, "chains": 4}
#: seeds are 32-bit, as numpy's legacy seeding and R's set.seed; every engine accepts them
MAX_SEED = 2**32 - 1


class CLIError(Exception):
    """A user error: reported as one line on stderr with exit code 2."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors raise :class:`CLIError` (one line, exit code 2)."""

    def error(self, message: str) -> NoReturn:
        """Raise the parse error as a :class:`CLIError` naming the help to read.

        Parameters
        ----------
        message : str
            argparse's message, e.g. ``"argument --draws: must be a whole number >= 1"``.

        Raises
        ------
        CLIError
            Always.
        """
        raise CLIError(f"{message}; see '{self.prog} --help'")


def whole_number(name: str, low: int, high: int | None = None) -> Callable[[str], int]:
    """Make an argparse type accepting a whole number in [low, high].

    Parameters
    ----------
    name : str
        The option's name (argparse shows it in some messages).
    low, high : int
        The bounds (``high=None``: unbounded). ``"1000"``, ``"1e3"`` and ``"1000.0"`` are
        all accepted.

    Returns
    -------
    callable
        ``str -> int``, raising ``argparse.ArgumentTypeError`` with the bounds otherwise.
    """
    span = f">= {low}" if high is None else f"from {low} to {high}"

    def parse(text: str) -> int:
        try:
            value: int | None = int(text)
        except ValueError:
            try:
                number = float(text)
                value = int(number) if number.is_integer() else None
            except (ValueError, OverflowError):
                value = None
        if value is None or value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be a whole number {span}, got {text!r}")
        return value

    parse.__name__ = name
    return parse


def families_usage() -> str:
    """List the prior families with their parameters, e.g. ``"normal(mu, sigma), ..."``."""
    return ", ".join(cls.usage() for cls in FAMILIES.values())


def parse_prior(text: str) -> Prior:
    """Parse a prior written as on the command line, e.g. ``"normal(0, 2.5)"``.

    Parse a prior family with its parameters in constructor order, case-insensitive:
    ``"normal(0, 2.5)"``, ``"laplace(0, 1)"``, ``"student_t(3, 0, 2.5)"``,
    ``"cauchy(0, 2.5)"``, ``"flat"``, ``"jeffreys"`` (the spellings of
    :data:`bayeslogit.spec.priors.FAMILIES`).

    Parameters
    ----------
    text : str
        The prior as typed after ``--prior``.

    Returns
    -------
    Prior
        The prior object.

    Raises
    ------
    CLIError
        An unknown family, the wrong number of parameters, or parameters the family refuses
        (e.g. a scale below 1e-100).
    """
    m = re.fullmatch(r"\s*([A-Za-z_]+)\s*(?:\((.*)\))?\s*", text)
    try:
        cls = prior_family(m.group(1)) if m else None
    except ValueError:
        cls = None
    if cls is None:
        raise CLIError(f"cannot parse prior {text!r}; use e.g. 'normal(0, 2.5)' (families: "
                       f"{families_usage()})")
    nargs = len(cls.param_names)
    raw = [a for a in (m.group(2) or "").split(",") if a.strip()]
    if len(raw) != nargs:
        raise CLIError(f"prior {text!r}: {m.group(1)} takes {nargs} numbers "
                       f"({cls.usage()}), got {len(raw)}")
    try:
        return cls(*[float(a) for a in raw])
    except (ValueError, TypeError, OverflowError) as exc:
        raise CLIError(f"prior {text!r}: {one_line(exc)}") from exc


def parse_priors(items: Sequence[str] | None) -> Any:
    """Read the ``--prior`` entries: one prior for all coefficients, or ``NAME=PRIOR`` ones.

    Parameters
    ----------
    items : sequence of str or None
        The values of the repeated ``--prior`` option.

    Returns
    -------
    Prior, dict of str to Prior, or None
        What ``Logit.from_formula(priors=...)`` takes.

    Raises
    ------
    CLIError
        A prior that does not parse, a prior given twice, or a common prior mixed with
        named ones.
    """
    if not items:
        return None
    named: dict[str, Prior] = {}
    common = None
    for item in items:
        # a prior has no "=", a coefficient name may ("C(x == 1)[T.True]"): split at the last
        name, sep, rest = item.rpartition("=")
        if sep and name.strip():
            key = name.strip()
            if key in named:
                raise CLIError(f"--prior gives {key!r} twice ({named[key].describe()} and "
                               f"{rest.strip()!r}); keep one")
            named[key] = parse_prior(rest)
        else:
            if common is not None:
                raise CLIError(f"--prior gives a prior for all coefficients twice "
                               f"({common.describe()} and {item.strip()!r}); keep one, or "
                               "name coefficients as NAME=PRIOR")
            common = parse_prior(item)
    if common is not None and named:
        raise CLIError("give either one --prior for all coefficients or NAME=PRIOR entries, "
                       "not both")
    return common if common is not None else named


def parse_event(text: str | None) -> Any:
    """Read the ``--event`` level as read_csv would read the cell: int, float, bool or string.

    Parameters
    ----------
    text : str or None
        The level as typed after ``--event``.

    Returns
    -------
    int, float, bool, str or None
        The level as a value of the response column.
    """
    if text is None:
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"True": True, "False": False}.get(text, text)


def check_options(args: argparse.Namespace) -> None:
    """Refuse options the method does not use; fill in defaults.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed ``fit`` arguments (``draws``, ``tune``, ``chains`` are filled in place).

    Raises
    ------
    CLIError
        E.g. ``--prior`` with ``--method mle``, ``--tune`` with ``--method is``.
    """
    for name, methods in USED_BY.items():
        if getattr(args, name) is not None and args.method not in methods:
            what = ("maximum likelihood uses no prior; for the prior's effect use --method map "
                    "(the posterior mode) or laplace, nuts, gibbs, is, auto"
                    if name == "prior" else f"it applies to --method {', '.join(methods)}")
            raise CLIError(f"--{name} is not used by --method {args.method}: {what}; "
                           f"or drop --{name}")
    for name, value in DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, value)


def read_csv(path: str) -> pd.DataFrame:
    """Read the data file (``"-"``: standard input), refusing what cannot be fitted.

    Parameters
    ----------
    path : str
        The ``data`` argument.

    Returns
    -------
    pandas.DataFrame
        At least one row.

    Raises
    ------
    CLIError
        A missing file, a directory, an empty or unparseable file, text that is not UTF-8,
        or a header without data rows.
    """
    if path != "-" and os.path.isdir(path):
        raise CLIError(f"{path} is a directory; give a CSV file")
    try:
        source: Any = io.StringIO(sys.stdin.read()) if path == "-" else path
        data = pd.read_csv(source)
        header = _header(source)
    except FileNotFoundError:
        raise CLIError(f"no such file: {path}") from None
    except pd.errors.EmptyDataError as exc:
        raise CLIError(f"{path} is empty; give a CSV file with a header row") from exc
    except UnicodeDecodeError as exc:
        raise CLIError(f"{path} is not UTF-8 text; save it as a UTF-8 CSV") from exc
    except (OSError, ValueError) as exc:  # pandas' ParserError is a ValueError
        raise CLIError(f"cannot read {path} as CSV: {one_line(exc)}") from exc
    twice = [name for name in dict.fromkeys(header) if header.count(name) > 1]
    if twice:
        name = twice[0]
        where = [i + 1 for i, h in enumerate(header) if h == name]
        raise CLIError(f"{path}: the header names the column {name!r} {len(where)} times "
                       f"(columns {', '.join(map(str, where))}); a formula could read only one "
                       f"of them; rename the others in the file, e.g. to {name + '_2'!r}")
    if data.empty:
        raise CLIError(f"{path} has a header ({column_list(data)}) but no data rows; nothing "
                       "to fit")
    return data


def _header(source: Any) -> list[str]:
    """Read the header row as written (pandas renames a repeated name ``x`` to ``x.1``)."""
    import csv

    if isinstance(source, io.StringIO):
        source.seek(0)
        rows = csv.reader(source)
    else:
        fh = open(source, newline="", encoding="utf-8-sig", errors="replace")  # noqa: SIM115
        rows = csv.reader(fh)
    try:
        for row in rows:
            if any(cell.strip() for cell in row):
                return [cell.lstrip("\ufeff") for cell in row]
        return []
    except csv.Error:
        return []
    finally:
        if not isinstance(source, io.StringIO):
            fh.close()


def column_list(data: pd.DataFrame) -> str:
    """Name the columns of ``data`` (the first 30), comma-separated."""
    names = [str(c) for c in data.columns]
    return ", ".join(names[:30]) + (f", ... ({len(names)} columns)" if len(names) > 30 else "")


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def one_line(exc: BaseException | Warning | str) -> str:
    """Return the text of an exception or warning on one line, control characters escaped."""
    text = _ANSI.sub("", str(exc))  # formulaic colours its syntax errors
    return printable(" ".join(text.split()), newlines=False) or type(exc).__name__
