"""The public entry points are documented (numpydoc sections, runnable examples), and every
string option is a ``Literal`` checked by the one validator with one message."""

from __future__ import annotations

import doctest
import inspect
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl
from bayeslogit.estimation import point, posterior
from bayeslogit.inference.margins import METHOD_LABELS
from bayeslogit.results.base import LogitResultsBase
from bayeslogit.results.draws import DrawResults
from bayeslogit.results.mle import MLEResults
from bayeslogit.results.mode import ModeResults
from bayeslogit.validation import (
    COV_TYPE_ALIASES,
    CIKind,
    CovType,
    DrawPredictKind,
    FitMethod,
    MargeffAt,
    MargeffMethod,
    MissingPolicy,
    PredictKind,
    SamplerName,
    SensitivityMethod,
    choices,
)

matplotlib.use("Agg")

ENTRY_POINTS = {
    "Logit": bl.Logit,
    "Logit.from_formula": bl.Logit.from_formula,
    "Logit.fit": bl.Logit.fit,
    "Logit.sample": bl.Logit.sample,
    "Logit.with_data": bl.Logit.with_data,
    "summary": LogitResultsBase.summary,
    "ModeResults.summary": ModeResults.summary,
    "MLEResults.summary": MLEResults.summary,
    "DrawResults.summary": DrawResults.summary,
    "predict": LogitResultsBase.predict,
    "ModeResults.predict": ModeResults.predict,
    "DrawResults.predict": DrawResults.predict,
    "to_arviz": LogitResultsBase.to_arviz,
    "ModeResults.to_arviz": ModeResults.to_arviz,
    "DrawResults.to_arviz": DrawResults.to_arviz,
    "compare": bl.compare,
    "plot_compare": bl.plot_compare,
    "prior_sensitivity": bl.prior_sensitivity,
    "load": bl.load,
    "MLEResults.get_margeff": MLEResults.get_margeff,
    "predictions": LogitResultsBase.predictions,
    "slopes": LogitResultsBase.slopes,
    "comparisons": LogitResultsBase.comparisons,
    "datagrid": bl.datagrid,
    "plot_predictions": bl.plot_predictions,
    "plot_slopes": bl.plot_slopes,
}


def _sections(doc: str) -> dict[str, str]:
    """numpydoc sections: a header line underlined by dashes of its length."""
    lines = inspect.cleandoc(doc).splitlines()
    heads = [i for i in range(len(lines) - 1)
             if lines[i].strip() and set(lines[i + 1].strip()) == {"-"}
             and len(lines[i + 1].strip()) == len(lines[i].strip())]
    out = {}
    for n, i in enumerate(heads):
        end = heads[n + 1] if n + 1 < len(heads) else len(lines)
        out[lines[i].strip()] = "\n".join(lines[i + 2:end])
    return out


def _takes_arguments(obj) -> bool:
    params = inspect.signature(obj).parameters  # a class: its constructor's, without self
    return any(p not in ("self", "cls") and not p.startswith("_") for p in params)


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_entry_point_has_numpydoc_sections(name):
    obj = ENTRY_POINTS[name]
    sections = _sections(obj.__doc__ or "")
    need = ["Raises", "References", "Examples"]
    if not inspect.isclass(obj):
        need.append("Returns")  # a class documents its constructor, which returns nothing
    if _takes_arguments(obj):
        need.append("Parameters")
    missing = [s for s in need if s not in sections]
    assert not missing, f"{name} lacks {missing}"
    summary = inspect.cleandoc(obj.__doc__).splitlines()[0]
    assert summary.endswith(".") and len(summary) <= 96, summary
    assert ".. [1]" in sections["References"]
    assert ">>>" in sections["Examples"]


def _documented(doc: str) -> set[str]:
    names = set()
    for line in _sections(doc)["Parameters"].splitlines():
        if line and not line.startswith(" "):
            head = line.split(" : ")[0]
            names.update(n.strip().lstrip("*") for n in head.split(","))
    return names


@pytest.mark.parametrize(("method", "engine"), [
    ("fit", point.fit_mle), ("fit", point.fit_map), ("fit", point.fit_laplace),
    ("sample", posterior.sample),
])
def test_facade_lists_every_engine_argument(method, engine):
    # help(model.fit) must show what fit_mle / fit_map / fit_laplace take
    documented = _documented(getattr(bl.Logit, method).__doc__)
    internal = {"model", "compiled", "sampler_kwargs"}
    wanted = set(inspect.signature(engine).parameters) - internal
    assert wanted <= documented, sorted(wanted - documented)


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_entry_point_examples_run(name):
    obj = ENTRY_POINTS[name]
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    tests = finder.find(obj, name, globs={})
    assert tests and tests[0].examples
    for t in tests:
        runner.run(t)
    assert runner.summarize(verbose=False).failed == 0


# -- string options: one Literal each, one validator, one message -------------------------
@pytest.fixture(scope="module")
def small():
    X = np.column_stack([np.ones(30), np.linspace(-2, 2, 30)])
    y = (np.arange(30) % 3 == 0).astype(float)
    y[[2, 5, 29]] = 1 - y[[2, 5, 29]]
    model = bl.Logit(y, X, priors=bl.Normal(0, 2.5))
    post = model.fit(method="laplace", draws=50, chains=2, random_seed=0)
    return X, y, model, model.fit(), post


def _expect(name: str, options, call: str | None = None):
    listed = [o for o in choices(options) if o not in COV_TYPE_ALIASES]
    pattern = re.escape(f"{name}='xyz' not understood; use one of {listed}, e.g. ")
    if call:
        pattern += re.escape(f"{call}({name}={listed[0]!r})")
    return pattern


@pytest.mark.parametrize(("name", "options", "call", "act"), [
    ("method", FitMethod, "model.fit", lambda s: s[2].fit(method="xyz")),
    ("sampler", SamplerName, "model.sample", lambda s: s[2].sample(sampler="xyz")),
    ("kind", PredictKind, "result.predict", lambda s: s[3].predict(kind="xyz")),
    ("kind", DrawPredictKind, "result.predict",
     lambda s: s[4].predict(kind="xyz")),
    ("cov_type", CovType, "model.fit", lambda s: s[2].fit(cov_type="xyz")),
    ("missing", MissingPolicy, None, lambda s: bl.Logit(s[1], s[0], missing="xyz")),
    ("missing", MissingPolicy, None, lambda s: bl.Logit.from_formula(
        "y ~ x", pd.DataFrame({"y": s[1], "x": s[0][:, 1]}), missing="xyz")),
    ("ci_kind", CIKind, "result.summary", lambda s: s[4].summary(ci_kind="xyz")),
    ("at", MargeffAt, "result.get_margeff", lambda s: s[3].get_margeff(at="xyz")),
    ("method", MargeffMethod, "result.get_margeff",
     lambda s: s[3].get_margeff(method="xyz")),
    ("method", SensitivityMethod, "bl.prior_sensitivity",
     lambda s: bl.prior_sensitivity(s[2], method="xyz")),
])
def test_bad_option_has_one_message(small, name, options, call, act):
    with pytest.raises(ValueError, match=_expect(name, options, call)):
        act(small)


def test_option_spellings_kept(small):
    X, y, model, mle, _ = small
    assert model.fit(method="MLE").method == "mle"  # case-insensitive, as before
    hc1 = model.fit(cov_type="hc1")
    assert hc1.cov_description == "HC1"
    assert mle.get_margeff(at="Mean", method="DYDX").margeff.shape == (1,)
    with pytest.raises(ValueError, match="'HC3' is not available"):
        model.fit(cov_type="HC3")


def test_literals_match_what_the_code_accepts():
    assert choices(SamplerName) == ("auto", *posterior.SAMPLERS)
    assert set(choices(MargeffMethod)) == set(METHOD_LABELS)
    assert choices(FitMethod) == ("mle", "map", "laplace")


@pytest.mark.parametrize(("func", "arg", "alias"), [
    (bl.Logit.fit, "method", "FitMethod"),
    (bl.Logit.sample, "sampler", "SamplerName"),
    (bl.Logit.__init__, "missing", "MissingPolicy"),
    (bl.Logit.from_formula, "missing", "MissingPolicy"),
    (ModeResults.predict, "kind", "PredictKind"),
    (DrawResults.predict, "kind", "DrawPredictKind"),
    (DrawResults.summary, "ci_kind", "CIKind"),
    (MLEResults.get_margeff, "at", "MargeffAt"),
    (MLEResults.get_margeff, "method", "MargeffMethod"),
    (bl.prior_sensitivity, "method", "SensitivityMethod"),
    (LogitResultsBase.slopes, "slope", "SlopeType"),
    (LogitResultsBase.comparisons, "comparison", "ComparisonType"),
    (bl.compare, "scale", "CompareScale"),
])
def test_signatures_use_the_literal_aliases(func, arg, alias):
    assert inspect.signature(func).parameters[arg].annotation == alias
