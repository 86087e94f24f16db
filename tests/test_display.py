"""Notebook and terminal display: reports as HTML and IPython's pretty printer, the compare
table within 80 columns, thresholds printed without rounding contradictions, warnings from
the caller's line, and the NUTS compile message.
"""

from __future__ import annotations

import html
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from IPython.lib.pretty import pretty

import bayeslogit as bl
from bayeslogit.results.report import exceeds


@pytest.fixture(scope="module")
def challenger():
    df = bl.datasets.load_challenger()
    model = bl.Logit.from_formula("thermal_distress ~ temperature_f", df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplingWarning)
        post = model.sample(sampler="gibbs", random_seed=1, progressbar=False)
    return model, {"MLE": model.fit(), "MAP": model.fit(method="map"),
                   "Laplace": model.fit(method="laplace", random_seed=1), "Posterior": post}


def _pre_text(markup: str) -> str:
    match = re.fullmatch(r"<pre[^>]*>(.*)</pre>", markup, re.S)
    assert match, markup[:80]
    return html.unescape(match.group(1))


def test_every_result_shows_its_report(challenger):
    _, fits = challenger
    for name, r in fits.items():
        assert _pre_text(r._repr_html_()) == str(r), name
        assert pretty(r) == str(r), name
        assert "Logit" in str(r) and "temperature_f" in str(r)


def test_the_model_shows_its_formula_and_priors(challenger):
    model, _ = challenger
    text = _pre_text(model._repr_html_())
    assert text == str(model) == pretty(model)
    assert "thermal_distress ~ temperature_f" in text
    for name, row in model.prior_summary(print_summary=False).iterrows():
        assert f"{name}: {row['prior']}" in text
    assert repr(model).startswith("<bayeslogit.Logit")


def test_compare_prints_within_80_columns(challenger):
    _, fits = challenger
    table = bl.compare(fits)
    text = str(table)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "..." not in text
    for fit in fits:  # every number of the wide table is printed
        for term in table.index:
            assert f"{table.loc[term, (fit, 'ci_upper')]:.4f}" in text
    assert table.loc["temperature_f", ("MLE", "estimate")] == fits["MLE"].params.iloc[1]
    assert "<table" in table._repr_html_()


def test_sensitivity_result_displays(challenger):
    model, _ = challenger
    study = bl.prior_sensitivity(model, prior=bl.Laplace, scales=[0.5, 5])
    assert "Laplace(0, s)" in str(study) and "Laplace(0, s)" in study._repr_html_()
    assert pretty(study) == str(study)


@settings(max_examples=50, deadline=None)
@given(st.floats(1.0, 2.0), st.sampled_from([1.01, 1.05, 1.1]))
def test_thresholds_never_print_a_contradiction(value, threshold):
    if value <= threshold:
        return
    shown, limit = exceeds(value, threshold).split(" > ")
    assert float(shown) > float(limit) == threshold


def test_exceeds_examples():
    assert exceeds(1.0104, 1.01) == "1.0104 > 1.01"
    assert exceeds(1.2, 1.01) == "1.200 > 1.01"


def test_sampling_warnings_point_at_the_callers_line(challenger):
    model, _ = challenger
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.sample(sampler="gibbs", draws=4, tune=0, chains=4, random_seed=2,
                     progressbar=False)
    hits = [w for w in caught if issubclass(w.category, bl.SamplingWarning)]
    assert hits, "four draws from dispersed starts should not pass R-hat"
    assert all(w.filename == __file__ for w in hits), [w.filename for w in hits]
    text = str(hits[0].message)
    shown = float(re.search(r"max R-hat ([\d.]+) > 1\.01", text).group(1))
    assert shown > 1.01


def test_nuts_compile_message_follows_progressbar(monkeypatch, capsys):
    """The message is printed before compiling and only with progressbar=True."""
    import nutpie

    from bayeslogit.engines.nuts import NutsSampler

    class Stop(Exception):
        pass

    def fake_sample(*args, **kwargs):
        raise Stop

    monkeypatch.setattr(nutpie, "compile_pymc_model", lambda model: object())
    monkeypatch.setattr(nutpie, "sample", fake_sample)
    X = np.column_stack([np.ones(6), np.arange(6.0)])
    ps = bl.Logit([0, 1, 0, 1, 1, 0], X, priors=bl.Normal(0, 1)).prior_set
    for flag in (False, True):
        sampler = NutsSampler(X, np.array([0, 1, 0, 1, 1, 0.0]), None, ("const", "x1"), ps)
        with pytest.raises(Stop):
            sampler.sample(draws=10, tune=10, progressbar=flag)
        err = capsys.readouterr().err
        assert ("Compiling the NUTS model" in err) is flag
        assert ("done in" in err) is flag
