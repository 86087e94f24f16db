"""Prior-sensitivity sweeps."""

from __future__ import annotations

import numpy as np
import pytest

import bayeslogit as bl


@pytest.fixture(scope="module")
def model(spector):
    return bl.Logit.from_formula("GRADE ~ GPA + TUCE + PSI", spector)


def test_map_sweep_table_and_limits(model):
    scales = [0.01, 0.1, 1.0, 100.0]
    res = bl.prior_sensitivity(model, prior=bl.Normal, scales=scales, method="map")
    assert list(res.table.columns) == ["scale", "term", "estimate", "std_error", "ci_lower",
                                       "ci_upper"]
    assert len(res.table) == 4 * 4
    gpa = res.table[res.table.term == "GPA"].set_index("scale")["estimate"]
    assert abs(gpa[0.01]) < 0.02  # tight prior: shrunk to 0
    # wide slope priors: near the MLE (the centred-intercept Normal(0, 2.5) prior remains)
    np.testing.assert_allclose(gpa[100.0], res.mle.params["GPA"], rtol=0.02)
    assert np.all(np.diff(np.abs(gpa.to_numpy())) > 0)
    # the intercept keeps the model's intercept prior
    prior0 = res.fits[0.01].model.prior_set.priors[0]
    assert prior0 == model.prior_set.priors[0]
    fig = res.plot()
    assert len([a for a in fig.axes if a.get_visible()]) == 4


def test_laplace_sweep_gives_exact_zeros(model):
    res = bl.prior_sensitivity(model, prior=bl.Laplace, scales=[0.05, 1.0], method="map",
                               coefs=["TUCE"])
    assert set(res.table.term) == {"TUCE"}
    assert res.table.set_index("scale").loc[0.05, "estimate"] == 0.0


def test_sampling_sweep_and_settings(model):
    res = bl.prior_sensitivity(model, settings={"wide": bl.Normal(0, 10),
                                                "narrow": bl.Normal(0, 0.5)},
                               method="sample", sampler="gibbs", draws=300, tune=200,
                               random_seed=1)
    t = res.table.set_index(["setting", "term"])
    assert t.loc[("narrow", "GPA"), "std_error"] < t.loc[("wide", "GPA"), "std_error"]
    assert res.plot() is not None


def test_errors(model):
    with pytest.raises(ValueError, match="method="):
        bl.prior_sensitivity(model, method="nope")
    with pytest.raises(ValueError, match="positive"):
        bl.prior_sensitivity(model, scales=[0.0])
    with pytest.raises(ValueError, match="Unknown coefficient"):
        bl.prior_sensitivity(model, scales=[1.0], coefs=["zzz"])


def test_a_typo_of_an_own_keyword_lists_the_valid_ones():
    X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
    model = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X)
    with pytest.raises(bl.UnknownArgumentError, match=r"does not take \['scale'\]") as info:
        bl.prior_sensitivity(model, scale=[1.0])
    assert "'scales'" in str(info.value) and "'coefs'" in str(info.value)
