"""A saved formula is code for predict(): load refuses one beyond columns and transforms.

formulaic evaluates formula terms as Python, and ``predict(new_raw_data)`` of a loaded
formula model evaluates its stored formula; a file must not carry code that runs there.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import bayeslogit as bl
from bayeslogit.errors import SavedFileError


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(4)
    x = rng.normal(size=120)
    g = rng.choice(["a", "b"], size=120)
    y = (rng.random(120) < 1 / (1 + np.exp(-(0.3 + x)))).astype(int)
    return pd.DataFrame({"y": y, "x": x, "g": g})


def test_plain_formula_round_trips_and_predicts_like_statsmodels(frame, tmp_path):
    formula = "y ~ np.log(x**2 + 1) + C(g) + center(x)"
    r = bl.Logit.from_formula(formula, frame).fit()
    r.save(tmp_path / "fit.nc")
    back = bl.load(tmp_path / "fit.nc")
    ref = smf.logit(formula, frame).fit(disp=0)
    new = frame.iloc[:7]
    np.testing.assert_allclose(back.predict(new), ref.predict(new), rtol=1e-8)


def test_a_formula_that_runs_code_is_refused_and_nothing_runs(frame, tmp_path):
    marker = tmp_path / "RAN"
    formula = f"y ~ I(x + (open({str(marker)!r}, 'w').close() or 0))"
    r = bl.Logit.from_formula(formula, frame).fit()      # the user's own call runs it
    assert marker.exists()
    r.save(tmp_path / "fit.nc")
    os.remove(marker)
    with pytest.raises(SavedFileError, match="trust_formula=True") as info:
        bl.load(tmp_path / "fit.nc")
    assert "open" in str(info.value) and "fit.nc" in str(info.value)
    assert not marker.exists()
    trusted = bl.load(tmp_path / "fit.nc", trust_formula=True)
    trusted.predict(frame.iloc[:3])                       # the author's choice: code runs
    assert marker.exists()


def test_a_method_of_a_column_needs_trust_and_then_predicts_as_fitted(frame, tmp_path):
    formula = "y ~ I(x.clip(0))"
    r = bl.Logit.from_formula(formula, frame).fit()
    r.save(tmp_path / "fit.nc")
    with pytest.raises(SavedFileError, match="clip"):
        bl.load(tmp_path / "fit.nc")
    back = bl.load(tmp_path / "fit.nc", trust_formula=True)
    ref = smf.logit("y ~ I(x.clip(0))", frame).fit(disp=0)
    np.testing.assert_allclose(back.params.to_numpy(), ref.params.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(back.predict(frame.iloc[:5]), ref.predict(frame.iloc[:5]),
                               rtol=1e-8)


def test_trust_formula_must_be_a_bool(frame, tmp_path):
    r = bl.Logit.from_formula("y ~ x", frame).fit()
    r.save(tmp_path / "fit.nc")
    with pytest.raises(TypeError, match="trust_formula"):
        bl.load(tmp_path / "fit.nc", trust_formula="yes")
