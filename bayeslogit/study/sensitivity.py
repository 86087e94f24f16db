"""Prior-sensitivity studies: refit one model across prior settings, fast.

Refits share the data and, for sampling, the compiled sampler (NUTS reuses one nutpie
compilation and swaps the prior hyper-parameters; Gibbs and importance sampling need no
compilation), so a sweep costs little more than its sampling time.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..checks import check_array_like, check_bool, check_names, check_number
from ..errors import InvalidArgumentError
from ..estimation.methods import Estimable
from ..spec.priors import FAMILIES, Normal, Prior
from ..validation import (
    PlotUnits,
    SensitivityMethod,
    check_choice,
    check_keywords,
    check_probability,
    check_seed,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..model import Logit

__all__ = ["prior_sensitivity", "SensitivityResult", "check_model"]

#: how each refit method summarises the posterior, for titles and bands
_METHOD_LABEL = {"map": "posterior mode (MAP), Wald intervals",
                 "laplace": "Laplace approximation, posterior mean and interval",
                 "sample": "posterior mean and equal-tailed interval"}


@dataclass
class SensitivityResult:
    """Outcome of :func:`prior_sensitivity`.

    Attributes
    ----------
    table : DataFrame
        Tidy: ``scale`` (or ``setting``), ``term``, ``estimate``, ``std_error``,
        ``ci_lower``, ``ci_upper``.
    fits : dict
        The fitted results keyed by scale or setting name.
    mle : MLEResults or None
        The MLE, marked on the plot (None if it does not exist, e.g. under separation).
    key : {"scale", "setting"}
        What the sweep varied.
    method : {"map", "laplace", "sample"}
        How each setting was fitted.
    family : str
        The swept prior, e.g. ``"Normal(0, s)"`` (titles the plot).
    ci_prob : float
        The probability of the intervals in ``table``.
    """

    table: pd.DataFrame
    fits: dict[Any, Any]
    mle: Any
    key: str
    method: str
    family: str = ""
    ci_prob: float = 0.95

    def __str__(self) -> str:
        wide = self.table.pivot_table(index=self.key, columns="term", values="estimate",
                                      sort=False)
        head = (f"Prior sensitivity: {self.family or 'prior settings'}, "
                f"{_METHOD_LABEL[self.method]}; estimates by {self.key}:")
        return head + "\n" + wide.to_string(float_format=lambda x: f"{x:.4f}")

    def __repr__(self) -> str:
        return (f"<SensitivityResult {self.family or 'settings'} x {len(self.fits)} "
                f"{self.key}s, method={self.method!r}>")

    def _repr_html_(self) -> str:
        import html

        head = html.escape(f"Prior sensitivity: {self.family or 'prior settings'}, "
                           f"{_METHOD_LABEL[self.method]} ({self.ci_prob:.0%})")
        return f"<p><b>{head}</b></p>" + self.table.to_html(float_format=lambda x: f"{x:.4f}")

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self) if cycle else str(self))

    def _per_sd(self, term: str) -> tuple[np.ndarray | None, float]:
        """Return each setting's resolved prior scale for ``term`` and the column's sd.

        The intercept (not swept, no sd) gives ``(None, 1.0)``: its panel stays as it is.
        """
        fits = list(self.fits.values())
        ps = fits[0].model.prior_set
        j = list(ps.names).index(term)
        if j == ps.intercept_index:
            return None, 1.0
        sd = float(np.std(fits[0].model.design.X[:, j], ddof=1))
        scales = []
        for r in fits:
            p = r.model.prior_set.priors[j]
            scales.append(getattr(p, p.scale_name) if p.scale_name else np.nan)
        return np.asarray(scales, dtype=float), sd

    def plot(self, coefs: Sequence[str] | None = None,
             units: PlotUnits = "raw") -> Figure:
        """Plot each coefficient against the prior setting, with the MLE as a dashed line.

        Against a scale: paths on a log axis with interval bands; for named settings, a
        point and interval per setting. The title names the swept prior family and how each
        setting was fitted.

        Parameters
        ----------
        coefs : sequence of str, optional
            The coefficients to plot (default all in the table).
        units : {"raw", "per_sd"}
            ``"raw"``: the swept scale ``s`` on the x axis and the coefficients as fitted
            (log-odds per unit of each predictor). ``"per_sd"``: each slope's panel shows
            the prior scale it was given times the sd of its predictor on the x axis and
            the coefficient times that sd (log-odds per sd of the predictor) on the y axis,
            so that panels of predictors on different scales compare directly (the
            intercept is unchanged). A sweep of autoscaled priors (``prior=lambda s:
            bl.Normal(0, s, autoscale=True)``) is already per sd in its scale.

        Returns
        -------
        matplotlib.figure.Figure
            Not registered with pyplot: a notebook cell ending with the call shows it once.

        Raises
        ------
        ValueError
            An unknown ``units`` or coefficient.
        """
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        from ..results.figures import new_figure, select_coefs

        units = check_choice("units", units, PlotUnits, call="SensitivityResult.plot")
        terms = select_coefs(list(dict.fromkeys(self.table["term"])), coefs)
        ncol = min(3, len(terms))
        nrow = int(np.ceil(len(terms) / ncol))
        fig = new_figure((3.6 * ncol, 2.8 * nrow + 0.9))
        axes = fig.subplots(nrow, ncol, squeeze=False)
        band = f"{self.ci_prob:.0%} interval"
        for ax, term in zip(axes.ravel(), terms, strict=False):
            sub = self.table[self.table["term"] == term]
            factor, x = 1.0, None
            if units == "per_sd":
                x, factor = self._per_sd(term)
            if self.key == "scale":
                x = sub["scale"].to_numpy() if x is None else x * factor
                ax.fill_between(x, sub["ci_lower"] * factor, sub["ci_upper"] * factor,
                                alpha=0.25, color="C0", lw=0)
                ax.plot(x, sub["estimate"] * factor, "o-", ms=3, color="C0")
                ax.set_xscale("log")
                ax.set_xlabel("prior scale x sd of the predictor" if units == "per_sd" and
                              factor != 1.0 else "prior scale s", fontsize=8)
            else:
                pos = np.arange(len(sub))
                est = sub["estimate"].to_numpy() * factor
                ax.errorbar(pos, est, yerr=[est - sub["ci_lower"] * factor,
                                            sub["ci_upper"] * factor - est], fmt="o",
                            color="C0")
                ax.set_xticks(pos, sub["setting"], rotation=30, ha="right", fontsize=7)
            if self.mle is not None and term in self.mle.params.index:
                ax.axhline(self.mle.params[term] * factor, ls="--", color="k", lw=1)
            ax.set_ylabel("log-odds per sd" if factor != 1.0 else "coefficient", fontsize=8)
            ax.set_title(term, fontsize=9, loc="left")
            ax.tick_params(labelsize=7)
        for ax in axes.ravel()[len(terms):]:
            ax.set_visible(False)
        handles = [Line2D([], [], color="C0", marker="o", ms=3),
                   Patch(color="C0", alpha=0.25)]
        labels = ["estimate", band]
        if self.mle is not None:
            handles.append(Line2D([], [], color="k", ls="--", lw=1))
            labels.append("MLE")
        fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8,
                   frameon=False)
        what = f"{self.family} on every slope" if self.family else "prior settings"
        fig.suptitle(f"Prior sensitivity: {what}\n{_METHOD_LABEL[self.method]}",
                     fontsize=10)
        fig.tight_layout(rect=(0, 0.06, 1, 1))
        return fig


def _settings_from_scales(model: Logit, prior: Any, scales: Sequence[float]):
    if isinstance(prior, type) and issubclass(prior, Prior) and prior.scale_name is not None:
        make = prior.from_scale  # location 0, other parameters default (StudentT: nu=3)
    elif callable(prior) and not isinstance(prior, type):
        make = prior
    else:
        scaled = ", ".join(f"bl.{c.__name__}" for c in FAMILIES.values() if c.scale_name)
        raise TypeError(f"prior must be a family with a scale ({scaled}) or a callable "
                        f"mapping a scale to a prior; got {prior!r}.")
    ps = model.prior_set
    out: dict[Any, Any] = {}
    for s in _check_scales(scales):
        setting = {name: make(s) for j, name in enumerate(ps.names) if j != ps.intercept_index}
        if ps.intercept_index is not None:
            setting[ps.names[ps.intercept_index]] = ps.priors[ps.intercept_index]
        out[s] = setting
    return out, _family_label(make(1.0))


def _check_scales(scales: Any) -> list[float]:
    """Return ``scales`` as a non-empty list of positive finite floats, or raise naming it."""
    example = "scales=[0.5, 1, 2.5]"
    if np.ndim(scales) == 0 and not isinstance(scales, Mapping | set):
        number = isinstance(scales, int | float | np.integer | np.floating) and not isinstance(
            scales, bool | np.bool_)
        hint = f"scales=[{scales!r}]" if number else example
        raise InvalidArgumentError(f"scales must be a list of prior scales, not "
                                   f"{scales!r:.60}; e.g. {hint}.")
    check_array_like("scales", scales, remedy=f"e.g. {example}")
    values = list(np.ravel(np.asarray(scales, dtype=object)))
    if not values:
        raise ValueError(f"scales is empty: nothing to sweep; e.g. {example}, or leave "
                         "scales=None for 10 scales from 0.05 to 20.")
    out = []
    for v in values:
        try:
            out.append(check_number("scales", v, low=0.0, low_open=True))
        except ValueError as exc:  # InvalidArgumentError included
            raise type(exc)(f"scales must be positive finite numbers, got {v!r} in "
                            f"{scales!r:.60}; e.g. {example}.") from None
    return out


def check_model(model: Any, call: str) -> None:
    """Refuse anything but a model (a result passed for its model, most often), naming it."""
    if isinstance(model, Estimable):
        return
    hint = (f"; a result's model is result.model, e.g. {call}(result.model, ...)"
            if isinstance(getattr(model, "model", None), Estimable) else
            f"; build one first, e.g. model = bl.Logit(y, X), then {call}(model, ...)")
    raise InvalidArgumentError(f"model must be a bl.Logit model, not a {type(model).__name__} "
                               f"({model!r:.40}){hint}.")


def _family_label(example: Prior) -> str:
    """Name the swept prior, e.g. ``Normal(0, s)`` or ``StudentT(0, s, nu=3) per sd``."""
    others = {k: v for k, v in example.params().items() if k not in (example.scale_name, "mu")}
    extra = "".join(f", {k}={v:g}" for k, v in others.items())
    return f"{type(example).__name__}(0, s{extra})" + (" per sd" if example.autoscale else "")


#: prior_sensitivity's own keywords, listed when a keyword is not one of them
_OWN_KEYWORDS = ("prior", "scales", "settings", "method", "coefs", "ci_prob", "random_seed",
                 "progressbar")


def prior_sensitivity(
    model: Logit,
    prior: Any = Normal,
    scales: Sequence[float] | None = None,
    settings: Mapping[str, Any] | Sequence[Any] | None = None,
    method: SensitivityMethod = "map",
    coefs: Sequence[str] | None = None,
    ci_prob: float = 0.95,
    random_seed: Any = None,
    progressbar: bool = False,
    **sample_kwargs: Any,
) -> SensitivityResult:
    """Refit ``model`` once per prior setting and collect the estimates.

    Parameters
    ----------
    model : Logit
        The model; its data and intercept prior are kept.
    prior : prior class or callable
        Family applied to every slope at location 0 (``bl.StudentT`` uses nu=3), or a
        callable ``scale -> Prior``. The intercept keeps the model's intercept prior. The
        scales are in units of the coefficients (log-odds per unit of each predictor); for
        scales per sd of each predictor, as the default priors, sweep autoscaled priors:
        ``prior=lambda s: bl.Normal(0, s, autoscale=True)`` (and see ``plot(units=
        "per_sd")`` to draw any sweep per sd).
    scales : sequence of float
        Prior scales (sigma, b or gamma). Default: 10 values log-spaced from 0.05 to 20.
    settings : dict or list, optional
        Explicit settings instead of ``prior``/``scales``: each value is a ``priors=``
        argument (one prior or a dict by coefficient name).
    method : {"map", "laplace", "sample"}
        How to refit; ``"sample"`` passes ``sample_kwargs`` to :meth:`Logit.sample`.
    coefs : sequence of str, optional
        Coefficients to keep in the table (default all).
    ci_prob : float
        Interval probability.
    random_seed : int, optional
        Seed for Laplace draws and sampling (the same for every setting).
    progressbar : bool
        Show a progress bar across settings.
    **sample_kwargs
        Passed to :meth:`Logit.sample` when ``method="sample"`` (refused otherwise).

    Returns
    -------
    SensitivityResult
        ``table`` (tidy: ``scale`` or ``setting``, ``term``, ``estimate``, ``std_error``,
        ``ci_lower``, ``ci_upper``), ``fits`` by setting, ``mle`` and ``plot()``.

    Raises
    ------
    ValueError
        An unknown ``method``, both ``scales`` and ``settings``, a non-positive scale, an
        unknown coefficient in ``coefs``, a bad ``ci_prob`` or ``random_seed``.
    UnknownArgumentError
        Sampler keywords without ``method="sample"``.
    TypeError
        ``prior`` is neither a family with a scale nor a callable.

    References
    ----------
    .. [1] Gelman, A., Jakulin, A., Pittau, M. G. and Su, Y.-S. (2008). "A weakly
       informative default prior distribution for logistic and other regression models."
       Annals of Applied Statistics 2(4), 1360-1383.
    .. [2] Kallioinen, N., Paananen, T., Burkner, P.-C. and Vehtari, A. (2024). "Detecting
       and diagnosing prior and likelihood sensitivity with power-scaling." Statistics and
       Computing 34, 57 (the refit-free alternative: ``result.power_scaling()``).

    Examples
    --------
    >>> import numpy as np, bayeslogit as bl
    >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
    >>> model = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X)
    >>> study = bl.prior_sensitivity(model, scales=[0.5, 1, 2.5])
    >>> study.table.shape
    (6, 6)
    """
    check_model(model, "bl.prior_sensitivity")
    method = check_choice("method", method, SensitivityMethod, call="bl.prior_sensitivity")
    progressbar = check_bool("progressbar", progressbar, call="bl.prior_sensitivity")
    ci_prob = check_probability("ci_prob", ci_prob)
    random_seed = check_seed(random_seed)
    if method != "sample":
        check_keywords(sample_kwargs, _OWN_KEYWORDS,
                       call=f"bl.prior_sensitivity(method={method!r})",
                       hint=" (sampler keywords need method='sample')")
    if settings is not None and scales is not None:
        raise ValueError("Pass either scales= (with prior=) or settings=, not both.")
    if settings is None:
        scales = np.geomspace(0.05, 20, 10) if scales is None else scales
        runs, family = _settings_from_scales(model, prior, scales)
        key = "scale"
    else:
        if isinstance(settings, str | bytes) or not isinstance(settings, Mapping | Sequence):
            raise InvalidArgumentError(
                f"settings must be a dict of label to priors (or a list of priors), not "
                f"{settings!r:.60}; e.g. settings={{'weak': bl.Normal(0, 10), "
                "'strong': bl.Normal(0, 1)}.")
        runs = dict(settings) if isinstance(settings, Mapping) else {
            f"setting {i}": s for i, s in enumerate(settings)}
        if not runs:
            raise ValueError("settings is empty: nothing to compare; e.g. settings="
                             "{'weak': bl.Normal(0, 10), 'strong': bl.Normal(0, 1)}.")
        key, family = "setting", ""
    if coefs is not None:
        coefs = check_names("coefs", coefs, example=model.exog_names[-1])
        unknown = [c for c in coefs if c not in model.exog_names]
        if unknown:
            raise ValueError(f"Unknown coefficient(s) {unknown} in coefs; valid: "
                             f"{model.exog_names}, e.g. coefs={model.exog_names[-1:]!r}.")
    iterator = runs.items()
    if progressbar:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, total=len(runs), desc="prior settings")
    fits = {}
    frames = []
    for label, priors in iterator:
        m = model.with_priors(priors)
        if method == "sample":
            r = m.sample(random_seed=random_seed, **{"progressbar": False, **sample_kwargs})
        elif method == "laplace":
            r = m.fit(method="laplace", random_seed=random_seed)
        else:
            r = m.fit(method="map")
        fits[label] = r
        s = r.summary(ci_prob)[["estimate", "std_error", "ci_lower", "ci_upper"]]
        s = s.reset_index().rename(columns={"index": "term"})
        s.insert(0, key, label)
        frames.append(s)
    table = pd.concat(frames, ignore_index=True)
    if coefs is not None:
        table = table[table["term"].isin(coefs)].reset_index(drop=True)
    mle = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = model.fit()
            mle = fit if fit.converged and (fit.separation is None
                                            or not fit.separation.separated) else None
        except Exception:  # the MLE is only a reference line on the plot
            mle = None
    return SensitivityResult(table, fits, mle, key, method, family, ci_prob)
