"""The ``bayeslogit`` command: a demo on embedded data and fits of CSV files.

Examples
--------
``bayeslogit demo``
``bayeslogit fit data.csv --formula "y ~ x1 + C(g)" --method nuts --prior "normal(0, 2.5)"``
``bayeslogit fit loans.csv --formula "default ~ income" --event Yes``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import EventLevelError
from .spec.priors import FAMILIES, Prior, prior_family
from .validation import FitMethod, SamplerName, choices

__all__ = ["main", "parse_prior", "parse_event"]

METHODS = (*choices(FitMethod), *(s for s in choices(SamplerName) if s != "auto"), "auto")


class CLIError(Exception):
    """A user error reported as one line with a non-zero exit code."""


def _families_usage() -> str:
    return ", ".join(cls.usage() for cls in FAMILIES.values())


def parse_prior(text: str) -> Prior:
    """Parse a prior written as on the command line, e.g. ``"normal(0, 2.5)"``.

    Parse a prior family with its parameters in constructor order, case-insensitive:
    ``"normal(0, 2.5)"``, ``"laplace(0, 1)"``, ``"student_t(3, 0, 2.5)"``,
    ``"cauchy(0, 2.5)"``, ``"flat"``, ``"jeffreys"`` (the spellings of
    :data:`bayeslogit.spec.priors.FAMILIES`).
    """
    m = re.fullmatch(r"\s*([A-Za-z_]+)\s*(?:\((.*)\))?\s*", text)
    try:
        cls = prior_family(m.group(1)) if m else None
    except ValueError:
        cls = None
    if cls is None:
        raise CLIError(f"cannot parse prior {text!r}; use e.g. 'normal(0, 2.5)' (families: "
                       f"{_families_usage()})")
    nargs = len(cls.param_names)
    raw = [a for a in (m.group(2) or "").split(",") if a.strip()]
    if len(raw) != nargs:
        raise CLIError(f"prior {text!r}: {m.group(1)} takes {nargs} numbers "
                       f"({cls.usage()}), got {len(raw)}")
    try:
        return cls(*[float(a) for a in raw])
    except ValueError as exc:
        raise CLIError(f"prior {text!r}: {exc}") from None


def _parse_priors(items: Sequence[str] | None) -> Any:
    if not items:
        return None
    named: dict[str, Prior] = {}
    common = None
    for item in items:
        # a prior has no "=", a coefficient name may ("C(x == 1)[T.True]"): split at the last
        name, sep, rest = item.rpartition("=")
        if sep and name.strip():
            named[name.strip()] = parse_prior(rest)
        else:
            common = parse_prior(item)
    if common is not None and named:
        raise CLIError("give either one --prior for all coefficients or NAME=PRIOR entries, "
                       "not both")
    return common if common is not None else named


def parse_event(text: str | None) -> Any:
    """Read the ``--event`` level as read_csv would read the cell: int, float, bool or string."""
    if text is None:
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"True": True, "False": False}.get(text, text)


def _check_writable(path: str | None, flag: str) -> None:
    """Refuse an output path that cannot be written, before the (possibly long) fit."""
    if path is None:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise CLIError(f"{flag} {path}: is a directory; give a file name")
    if not os.path.isdir(folder):
        raise CLIError(f"{flag} {path}: no such directory {folder}; create it first")
    existed = os.path.exists(path)
    try:  # opening for append creates nothing new in an existing file and proves access
        with open(path, "a"):
            pass
    except OSError as exc:
        raise CLIError(f"{flag} {path}: {exc.strerror or exc}; choose a writable location") \
            from None
    if not existed:
        os.remove(path)


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


def _fit(model, method: str, args) -> Any:
    if method in choices(FitMethod):
        kwargs = {"random_seed": args.seed} if method == "laplace" else {}
        return model.fit(method=method, **kwargs)
    return model.sample(draws=args.draws, tune=args.tune, chains=args.chains, sampler=method,
                        random_seed=args.seed)


def _cmd_fit(args) -> int:
    from .model import Logit

    try:
        data = pd.read_csv(args.data)
    except FileNotFoundError:
        raise CLIError(f"no such file: {args.data}") from None
    except Exception as exc:
        raise CLIError(f"cannot read {args.data}: {exc}") from None
    priors = _parse_priors(args.prior)
    _check_writable(args.json, "--json")
    _check_writable(args.save, "--save")
    try:
        model = Logit.from_formula(args.formula, data, priors=priors, offset=args.offset,
                                   event=parse_event(args.event))
        result = _fit(model, args.method, args)
    except EventLevelError as exc:
        raise CLIError(_event_message(exc, args.event)) from None
    except (ValueError, TypeError, np.linalg.LinAlgError) as exc:
        raise CLIError(str(exc).splitlines()[0]) from None
    if model.n_dropped:
        print(f"{args.data}: {model.design.drop_note} Rows used: {model.nobs}.")
    print(result)
    if args.json:
        summary = result.summary()
        payload = {"method": args.method, "formula": args.formula, "nobs": model.nobs,
                   "n_dropped": model.n_dropped, "dropped": model.design.dropped,
                   "estimates": {k: float(v) for k, v in result.params.items()},
                   "summary": json.loads(summary.to_json(orient="index"))}
        try:
            with open(args.json, "w") as fh:
                json.dump(payload, fh, indent=2)
        except OSError as exc:
            raise CLIError(f"--json {args.json}: {exc.strerror or exc}") from None
    if args.save:
        try:
            result.save(args.save)
        except OSError as exc:
            raise CLIError(f"--save {args.save}: {exc.strerror or exc}") from None
    return 0


def _cmd_demo(args) -> int:
    from .datasets import load_challenger
    from .model import Logit
    from .study.compare import compare
    from .study.sensitivity import prior_sensitivity

    df = load_challenger()
    formula = "thermal_distress ~ temperature_f"
    print(f"Challenger O-ring data: {len(df)} flights before 28 January 1986.\n")
    model = Logit.from_formula(formula, df)
    mle = model.fit()
    post = model.sample(draws=args.draws, chains=args.chains, sampler=args.sampler,
                        random_seed=args.seed)
    pd.set_option("display.width", 120)
    print("Maximum likelihood vs posterior (default weakly informative priors):")
    print(compare({"MLE": mle, "Posterior": post}).round(4).to_string())
    print(f"\nPosterior sampler: {post.info.get('sampler')}"
          + (f" ({post.info['reason']})" if "reason" in post.info else ""))
    cold = pd.DataFrame({"temperature_f": [31.0]})
    rows = {"MLE (delta method)": mle.predict(cold, ci_prob=0.95).iloc[0],
            "Posterior": post.predict(cold, ci_prob=0.95).iloc[0]}
    print("\nP(O-ring thermal distress) at 31 F, with 95% intervals:")
    print(pd.DataFrame(rows).T.round(3).to_string())
    sens = prior_sensitivity(model, scales=[0.01, 0.05, 0.25, 1, 5], method="map",
                             coefs=["temperature_f"])
    print("\nPrior sensitivity of the temperature slope (MAP, Normal(0, scale) prior):")
    print(sens.table[["scale", "estimate", "std_error"]].round(4).to_string(index=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bayeslogit",
        description="Logistic regression: maximum likelihood and Bayesian posterior from one "
                    "model spec.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="MLE vs posterior on the embedded Challenger data")
    demo.add_argument("--sampler", default="auto", choices=choices(SamplerName))
    demo.add_argument("--draws", type=int, default=1000)
    demo.add_argument("--chains", type=int, default=4)
    demo.add_argument("--seed", type=int, default=1986)
    fit = sub.add_parser("fit", help="fit a CSV file with a formula")
    fit.add_argument("data", help="CSV file with a header row")
    fit.add_argument("--formula", required=True, help='e.g. "y ~ x1 + C(g)"')
    fit.add_argument("--method", default="mle", choices=METHODS,
                     help="mle, map, laplace, or a sampler: nuts, gibbs, is, auto")
    fit.add_argument("--event", metavar="LEVEL",
                     help="level of a categorical response coded 1, e.g. --event Yes")
    fit.add_argument("--offset", metavar="COLUMN", help="column added to the linear predictor")
    fit.add_argument("--prior", action="append", metavar="PRIOR",
                     help="'normal(0, 2.5)' for all coefficients, or NAME=PRIOR (repeatable); "
                          f"families: {_families_usage()}")
    fit.add_argument("--draws", type=int, default=1000)
    fit.add_argument("--tune", type=int, default=1000)
    fit.add_argument("--chains", type=int, default=4)
    fit.add_argument("--seed", type=int, default=None)
    fit.add_argument("--json", metavar="OUT.json", help="write estimates and summary as JSON")
    fit.add_argument("--save", metavar="FIT.nc", help="save the fit (netCDF; bl.load reads it)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bayeslogit`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            return _cmd_demo(args) if args.command == "demo" else _cmd_fit(args)
    except CLIError as exc:
        print(f"bayeslogit: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
