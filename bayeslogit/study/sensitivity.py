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

from ..spec.priors import FAMILIES, Normal, Prior
from ..validation import (
    SensitivityMethod,
    check_choice,
    check_keywords,
    check_probability,
    check_seed,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..model import Logit

__all__ = ["prior_sensitivity", "SensitivityResult"]

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
    """

    table: pd.DataFrame
    fits: dict[Any, Any]
    mle: Any
    key: str
    method: str

    def plot(self, coefs: Sequence[str] | None = None) -> Figure:
        """Plot each coefficient against the prior setting, with the MLE as a dashed line.

        Against a scale: paths on a log axis with interval bands; for named settings, a
        point and interval per setting.

        Parameters
        ----------
        coefs : sequence of str, optional
            The coefficients to plot (default all in the table).

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        terms = list(dict.fromkeys(self.table["term"])) if coefs is None else list(coefs)
        ncol = min(3, len(terms))
        nrow = int(np.ceil(len(terms) / ncol))
        fig, axes = plt.subplots(nrow, ncol, figsize=(3.6 * ncol, 2.8 * nrow), squeeze=False)
        for ax, term in zip(axes.ravel(), terms, strict=False):
            sub = self.table[self.table["term"] == term]
            if self.key == "scale":
                ax.fill_between(sub["scale"], sub["ci_lower"], sub["ci_upper"], alpha=0.25)
                ax.plot(sub["scale"], sub["estimate"], "o-", ms=3)
                ax.set_xscale("log")
                ax.set_xlabel("prior scale")
            else:
                pos = np.arange(len(sub))
                ax.errorbar(pos, sub["estimate"], yerr=[sub["estimate"] - sub["ci_lower"],
                                                         sub["ci_upper"] - sub["estimate"]],
                            fmt="o")
                ax.set_xticks(pos, sub["setting"], rotation=30, ha="right", fontsize=7)
            if self.mle is not None and term in self.mle.params.index:
                ax.axhline(self.mle.params[term], ls="--", color="k", lw=1, label="MLE")
            ax.set_title(term, fontsize=9)
        for ax in axes.ravel()[len(terms):]:
            ax.set_visible(False)
        axes.ravel()[0].legend(fontsize=7)
        fig.suptitle(f"Prior sensitivity ({self.method})", fontsize=10)
        fig.tight_layout()
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
    out = {}
    for s in scales:
        s = float(s)
        if not s > 0:
            raise ValueError(f"Prior scales must be positive, got {s}.")
        setting = {name: make(s) for j, name in enumerate(ps.names) if j != ps.intercept_index}
        if ps.intercept_index is not None:
            setting[ps.names[ps.intercept_index]] = ps.priors[ps.intercept_index]
        out[s] = setting
    return out


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
        callable ``scale -> Prior``. The intercept keeps the model's intercept prior.
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
    method = check_choice("method", method, SensitivityMethod, call="bl.prior_sensitivity")
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
        runs = _settings_from_scales(model, prior, scales)
        key = "scale"
    else:
        runs = dict(settings) if isinstance(settings, Mapping) else {
            f"setting {i}": s for i, s in enumerate(settings)}
        key = "setting"
    if coefs is not None:
        unknown = [c for c in coefs if c not in model.exog_names]
        if unknown:
            raise ValueError(f"Unknown coefficient(s) {unknown}; valid: {model.exog_names}.")
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
    return SensitivityResult(table, fits, mle, key, method)
