"""The ``bayeslogit`` command: a demo on embedded data and fits of CSV files.

Examples
--------
``bayeslogit demo``
``bayeslogit fit data.csv --formula "y ~ x1 + C(g)" --method nuts --prior "normal(0, 2.5)"``
``bayeslogit fit loans.csv --formula "default ~ income" --event Yes --json - | jq .estimates``

Exit status: 0 success; 2 a problem with the command line or its input, reported as one line
on stderr before anything is fitted where it can be checked beforehand; 1 an unexpected
internal error (one line; ``--debug`` shows the traceback); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from typing import TextIO

import pandas as pd

from ..validation import SamplerName, choices
from .arguments import (
    MAX_SEED,
    METHODS,
    CLIError,
    Parser,
    families_usage,
    one_line,
    parse_event,
    parse_prior,
    whole_number,
)
from .fit import run_fit

__all__ = ["main", "build_parser", "parse_prior", "parse_event", "CLIError"]


def _cmd_demo(args: argparse.Namespace) -> int:
    from ..datasets import load_challenger
    from ..model import Logit
    from ..study.compare import compare
    from ..study.sensitivity import prior_sensitivity

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
    """Build the ``bayeslogit`` argument parser (its errors raise :class:`CLIError`).

    Returns
    -------
    argparse.ArgumentParser
        The parser with the ``demo`` and ``fit`` sub-commands.
    """
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a sub-command's default must not overwrite a --debug given before it
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the Python traceback of an error")
    parser = Parser(
        prog="bayeslogit", parents=[common],
        description="Logistic regression: maximum likelihood and Bayesian posterior from one "
                    "model spec.",
        epilog="Exit status: 0 success, 2 a problem with the command or its input, "
               "1 an internal error (rerun with --debug), 130 interrupted.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", parents=[common],
                          help="MLE vs posterior on the embedded Challenger data")
    demo.add_argument("--sampler", default="auto", choices=choices(SamplerName))
    demo.add_argument("--draws", type=whole_number("draws", 1), default=1000,
                      help="draws per chain (default 1000)")
    demo.add_argument("--chains", type=whole_number("chains", 1), default=4,
                      help="chains (default 4)")
    demo.add_argument("--seed", type=whole_number("seed", 0, MAX_SEED), default=1986,
                      help="random seed (default 1986)")
    fit = sub.add_parser(
        "fit", parents=[common], help="fit a CSV file with a formula",
        description="Fit a logistic regression to a CSV file. The formula's terms are Python "
                    "expressions evaluated by formulaic; this command evaluates them with no "
                    "builtins and no imports: only the data's columns, numbers, numpy's "
                    "element-wise functions (np.log, np.where, ...) and formulaic's transforms "
                    "(C, I, center, scale, bs, poly, lag, Q, ...). Any other name, attribute or "
                    "syntax is refused before anything is evaluated.")
    fit.add_argument("data", help="CSV file with a header row ('-': read standard input)")
    fit.add_argument("--formula", required=True,
                     help='e.g. "y ~ x1 + np.log(x2) + C(g)"; quote odd column names in '
                          "backticks, e.g. `my column`; formula terms are evaluated as Python "
                          "expressions without builtins or imports (see above)")
    fit.add_argument("--method", default="mle", choices=METHODS,
                     help="mle (default; no prior), map, laplace, or a sampler: nuts, gibbs, "
                          "is, auto")
    fit.add_argument("--event", metavar="LEVEL",
                     help="level of a categorical response coded 1, e.g. --event Yes")
    fit.add_argument("--offset", metavar="COLUMN", help="column added to the linear predictor")
    fit.add_argument("--trials", metavar="COLUMN",
                     help="binomial counts: the response counts successes out of this column")
    fit.add_argument("--weights", metavar="COLUMN",
                     help="frequency weights: each row counts this many times")
    fit.add_argument("--prior", action="append", metavar="PRIOR",
                     help="'normal(0, 2.5)' for all coefficients, or NAME=PRIOR (repeatable); "
                          f"not with --method mle; families: {families_usage()}")
    fit.add_argument("--draws", type=whole_number("draws", 1),
                     help="draws per chain: laplace and samplers (default 1000)")
    fit.add_argument("--tune", type=whole_number("tune", 0),
                     help="warm-up draws per chain: nuts, gibbs, auto (default 1000)")
    fit.add_argument("--chains", type=whole_number("chains", 1),
                     help="chains: laplace and samplers (default 4)")
    fit.add_argument("--seed", type=whole_number("seed", 0, MAX_SEED),
                     help=f"random seed, 0 to {MAX_SEED}: laplace and samplers")
    fit.add_argument("--json", metavar="OUT.json",
                     help="write what ran, the estimates and the summary as JSON ('-': "
                          "standard output, the report then goes to standard error)")
    fit.add_argument("--save", metavar="FIT.nc", help="save the fit (netCDF; bl.load reads it)")
    return parser


def _show_warning(message: Warning | str, category: type[Warning], filename: str,
                  lineno: int, file: TextIO | None = None, line: str | None = None) -> None:
    print(f"bayeslogit: {category.__name__}: {one_line(message)}", file=file or sys.stderr)


def _error(text: str) -> None:
    print(f"bayeslogit: {text}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``bayeslogit`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code: 0 success, 2 a problem with the arguments or the input (one line on
        stderr), 1 an unexpected error (one line; ``--debug`` adds the traceback), 130 when
        interrupted.
    """
    debug = False
    try:
        args = build_parser().parse_args(argv)
        debug = getattr(args, "debug", False)
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning
            return _cmd_demo(args) if args.command == "demo" else run_fit(args)
    except CLIError as exc:
        if debug and exc.__cause__ is not None:
            traceback.print_exception(exc.__cause__)
        _error(f"error: {one_line(exc)}")
        return 2
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except BrokenPipeError:  # e.g. `bayeslogit fit ... | head`: not an error of the fit
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 1
    except MemoryError:
        _error("error: out of memory; use fewer --draws or --chains, or a smaller data set")
        return 1
    except Exception as exc:
        if debug:
            traceback.print_exc()
        hint = "" if debug else "; rerun with --debug to see the traceback"
        _error(f"internal error: {type(exc).__name__}: {one_line(exc)}{hint}")
        return 1

