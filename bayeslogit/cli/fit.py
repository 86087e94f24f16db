"""``bayeslogit fit``: a CSV file and a formula in; the report, JSON and a saved fit out."""

from __future__ import annotations

import argparse
import json
import math
import re
import shlex
import sys
from dataclasses import fields
from typing import Any, TextIO

import numpy as np

from ..errors import EventLevelError
from ..results.report import printable
from ..spec.formula_safety import UnsafeFormulaError, check_formula
from ..validation import FitMethod, choices
from .arguments import (
    CLIError,
    check_options,
    column_list,
    one_line,
    parse_event,
    parse_priors,
    read_csv,
)
from .outputs import Outputs, check_outputs, discards, raise_if_interrupted, watch_interrupts

__all__ = ["run_fit", "json_payload"]


def _event_message(exc: EventLevelError, given: str | None) -> str:
    """Respell the message's Python ``event=`` remedy as the ``--event`` option."""
    text = str(exc).splitlines()[0]
    if given is not None and text.startswith("event="):
        text = f"--event {shlex.quote(given)}" + text[text.index(" is not"):]
    if exc.remedy and exc.suggestion is not None and exc.remedy in text:
        value = exc.suggestion
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = text.replace(exc.remedy, f"--event {shlex.quote(str(value))}")
    return text


_COUNT_ARG = re.compile(r"\b(trials|freq_weights)=(?:(['\"])(.*?)\2)?")


def _as_count_options(text: str) -> str:
    """Respell ``trials='n'`` / ``freq_weights=`` in a message as ``--trials n`` / ``--weights``."""
    def option(match: re.Match[str]) -> str:
        name = "--trials" if match.group(1) == "trials" else "--weights"
        return name if match.group(3) is None else f"{name} {shlex.quote(match.group(3))}"
    return _COUNT_ARG.sub(option, text)


_CALL = re.compile(r"model\.(?:fit|sample)\((?:method|sampler)=[\"'](\w+)[\"']\)")
_KWARG = re.compile(r"\b(?:method|sampler)\s*=\s*[\"'](\w+)[\"']")


def _as_options(text: str) -> str:
    """Respell a message's Python remedy (``sampler="nuts"``) as the option (``--method nuts``)."""
    return _KWARG.sub(r"--method \1", _CALL.sub(r"--method \1", text))


def _fit(model: Any, args: argparse.Namespace) -> Any:
    if args.method == "laplace":
        return model.fit(method="laplace", draws=args.draws, chains=args.chains,
                         random_seed=args.seed)
    if args.method in choices(FitMethod):
        return model.fit(method=args.method)
    return model.sample(draws=args.draws, tune=args.tune, chains=args.chains,
                        sampler=args.method, random_seed=args.seed)


def _plain(value: Any) -> Any:
    """``value`` as strict JSON: numpy scalars unwrapped, non-finite numbers as null."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


def json_payload(args: argparse.Namespace, model: Any, result: Any) -> dict[str, Any]:
    """Build the ``--json`` record: what ran, with which options and priors, and the estimates.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed ``fit`` arguments.
    model : Logit
        The model fitted.
    result : MLEResults, MAPResults, LaplaceResults or PosteriorResults
        Its result.

    Returns
    -------
    dict
        Strict JSON values: ``method`` is the estimator or sampler that ran (``"auto"``
        resolved; ``requested_method`` is what was asked, ``sampler_reason`` why ``auto``
        chose), ``options`` the non-empty fields of ``result.options``, ``priors`` the prior
        of each coefficient (not for ``mle``), then ``nobs``, ``n_dropped``, ``dropped``,
        ``estimates`` and ``summary``.
    """
    options = result.options
    payload: dict[str, Any] = {
        "data": args.data, "formula": args.formula,
        "method": options.sampler or options.method, "requested_method": args.method}
    if "reason" in getattr(result, "info", {}):
        payload["sampler_reason"] = result.info["reason"]
    payload["options"] = {f.name: getattr(options, f.name) for f in fields(options)
                          if getattr(options, f.name) not in (None, {})}
    if args.method != "mle":
        payload["priors"] = json.loads(model.prior_set.table().to_json(orient="index"))
    payload.update({"nobs": model.nobs, "n_dropped": model.n_dropped,
                    "dropped": model.design.dropped, "estimates": dict(result.params.items()),
                    "summary": json.loads(result.summary().to_json(orient="index"))})
    return _plain(payload)


def run_fit(args: argparse.Namespace) -> int:
    """Run ``bayeslogit fit``: check every input, fit, print, then write the outputs.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed ``fit`` arguments.

    Returns
    -------
    int
        0.

    Raises
    ------
    CLIError
        Any problem with the options, the paths, the data, the formula or the model.
    """
    with watch_interrupts():  # Ctrl-C at any point: no output, even if a library caught it
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from ..model import Logit

    check_options(args)
    priors = parse_priors(args.prior)
    check_outputs(args.json, args.save, args.data)
    data = read_csv(args.data)
    report: TextIO = sys.stderr if args.json == "-" else sys.stdout  # stdout: the JSON alone
    try:
        check_formula(args.formula, data.columns)
    except UnsafeFormulaError as exc:
        raise CLIError(f"--formula: {one_line(exc)}") from exc
    try:
        model = Logit.from_formula(args.formula, data, priors=priors, offset=args.offset,
                                   trials=args.trials, freq_weights=args.weights,
                                   event=parse_event(args.event))
    except EventLevelError as exc:
        raise CLIError(_as_count_options(_event_message(exc, args.event))) from exc
    except (ValueError, TypeError, KeyError) as exc:  # the formula evaluated on the user's data
        text = _as_count_options(one_line(exc))
        if "not present in the dataset" in text:
            text += f" The columns of {args.data} are: {column_list(data)}."
        raise CLIError(text) from exc
    try:
        result = _fit(model, args)
        raise_if_interrupted()  # a sampler that caught Ctrl-C and returned part of a run
    except ValueError as exc:  # the package's errors (separation, rank, priors) are ValueErrors
        raise CLIError(_as_options(one_line(exc))) from exc
    if model.n_dropped:
        print(printable(f"{args.data}: {model.design.drop_note} Rows used: {model.nobs}."),
              file=report)
    print(result, file=report)
    _write_outputs(args, model, result)
    return 0


def _write_outputs(args: argparse.Namespace, model: Any, result: Any) -> None:
    """Write ``--save`` and ``--json`` after the fit: all complete, or none (old files kept)."""
    text = None
    if args.json:
        text = json.dumps(json_payload(args, model, result), indent=2, allow_nan=False) + "\n"
    with Outputs() as outputs:
        if args.save:
            outputs.stage("--save", args.save, result.save)
        if text is not None and args.json != "-" and not discards(args.json):
            def write_json(tmp: str, text: str = text) -> None:
                with open(tmp, "w", encoding="utf-8") as fh:
                    fh.write(text)
            outputs.stage("--json", args.json, write_json)
        outputs.commit()
    if text is not None and args.json == "-":  # standard output: once the files are in place
        sys.stdout.write(text)
        sys.stdout.flush()
