"""Every figure the package draws: returned once (not left in pyplot), titled and labelled,
with titles that do not overlap; trace plots one coefficient per row; sensitivity plots name
the prior family, label the band and draw per-sd units on request.
"""

from __future__ import annotations

import itertools
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

import bayeslogit as bl  # noqa: E402


@pytest.fixture(scope="module")
def fitted(spector):
    model = bl.Logit.from_formula("GRADE ~ GPA + TUCE + PSI", spector)
    with warnings.catch_warnings():  # a short run: its R-hat is not what is tested here
        warnings.simplefilter("ignore", bl.SamplingWarning)
        post = model.sample(sampler="gibbs", draws=300, chains=2, random_seed=5,
                            progressbar=False)
    return model, post


@pytest.fixture(scope="module")
def sweeps(fitted):
    model, _ = fitted
    return {fam.__name__: bl.prior_sensitivity(model, prior=fam, scales=[0.1, 1.0, 10.0])
            for fam in (bl.Normal, bl.Laplace)}


def _titles(fig) -> list:
    """The visible title texts of a drawn figure (panel titles and the suptitle)."""
    FigureCanvasAgg(fig).draw()
    texts = [t for ax in fig.axes if ax.get_visible()
             for t in (ax.title, ax._left_title, ax._right_title) if t.get_text()]
    if fig._suptitle is not None:
        texts.append(fig._suptitle)
    return texts


def _check_figure(fig) -> None:
    assert isinstance(fig, matplotlib.figure.Figure)
    assert not plt.get_fignums(), "the figure was left registered in pyplot"
    titles = _titles(fig)
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in titles]
    for a, b in itertools.combinations(range(len(boxes)), 2):
        assert not boxes[a].overlaps(boxes[b]), (titles[a].get_text(), titles[b].get_text())
    for ax in fig.axes:
        if ax.get_visible():
            assert ax.get_title(loc="left") or ax.get_title(), "an untitled panel"
            assert ax.get_xlabel() or ax.get_xticklabels(), "an unlabelled x axis"


def test_plot_compare(fitted):
    model, post = fitted
    plt.close("all")
    fig = bl.plot_compare({"MLE": model.fit(), "Posterior": post})
    _check_figure(fig)
    assert [ax.get_title(loc="left") for ax in fig.axes] == model.exog_names


def test_trace_plot_has_one_coefficient_per_row(fitted):
    model, post = fitted
    plt.close("all")
    fig = post.plot_trace()
    _check_figure(fig)
    assert len(fig.axes) == 2 * len(model.exog_names)
    rows = [fig.axes[2 * i].get_title(loc="left").split(":")[0]
            for i in range(len(model.exog_names))]
    assert rows == model.exog_names
    # the trace panel of a row draws that coefficient's draws, one line per chain
    trace = fig.axes[3]
    np.testing.assert_array_equal(trace.lines[0].get_ydata(), post.draws[0, :, 1])
    assert len(trace.lines) == post.draws.shape[0]
    two = post.plot_trace(coefs=["PSI", "GPA"])
    assert [two.axes[0].get_title(loc="left"), two.axes[2].get_title(loc="left")] == \
        ["PSI: density by chain", "GPA: density by chain"]
    with pytest.raises(ValueError, match="Unknown coefficient"):
        post.plot_trace(coefs=["gpa"])


def test_power_scaling_titles_and_legend(fitted):
    model, post = fitted
    plt.close("all")
    fig = post.plot_power_scaling()
    _check_figure(fig)
    left = [ax.get_title(loc="left") for ax in fig.axes]
    assert left[:2] == ["Intercept: prior scaled", "Intercept: likelihood scaled"]
    assert all(ax.get_title(loc="center") == "" for ax in fig.axes)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.texts] == ["0.8", "1.0", "1.25"]
    # the legend sits below every panel, not over them
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    top = legend.get_window_extent(renderer).y1
    assert all(top <= ax.get_tightbbox(renderer).y0 + 1 for ax in fig.axes)


def test_sensitivity_plot_names_the_family_and_labels_the_band(sweeps):
    plt.close("all")
    normal, laplace = sweeps["Normal"].plot(), sweeps["Laplace"].plot()
    for fig in (normal, laplace):
        _check_figure(fig)
        labels = [t.get_text() for t in fig.legends[0].texts]
        assert labels == ["estimate", "95% interval", "MLE"]
    assert "Normal(0, s)" in normal._suptitle.get_text()
    assert "Laplace(0, s)" in laplace._suptitle.get_text()


def test_sensitivity_per_sd_units(sweeps, spector):
    study = sweeps["Normal"]
    fig = study.plot(coefs=["GPA"], units="per_sd")
    line = fig.axes[0].lines[0]
    sd = spector["GPA"].std(ddof=1)
    sub = study.table[study.table.term == "GPA"]
    np.testing.assert_allclose(line.get_ydata(), sub["estimate"] * sd, rtol=1e-12)
    np.testing.assert_allclose(line.get_xdata(), sub["scale"] * sd, rtol=1e-12)
    assert "sd" in fig.axes[0].get_xlabel()
    with pytest.raises(ValueError, match="units"):
        study.plot(units="sd")
