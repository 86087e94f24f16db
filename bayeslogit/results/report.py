"""Plain-text reports for ``print(result)``, in the spirit of statsmodels' ``summary()``."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["mle_report", "mode_report", "draws_report", "model_report", "html_report",
           "exceeds", "printable"]

_WIDTH = 78


def _fmt(x: float, width: int = 10) -> str:
    if not np.isfinite(x):
        return f"{'nan':>{width}}"
    if x != 0 and (abs(x) >= 1e4 or abs(x) < 1e-4):
        return f"{x:>{width}.4g}"
    return f"{x:>{width}.4f}"


def _two_columns(left: list[tuple[str, str]], right: list[tuple[str, str]]) -> list[str]:
    lines = []
    half = _WIDTH // 2
    for i in range(max(len(left), len(right))):
        lk, lv = left[i] if i < len(left) else ("", "")
        rk, rv = right[i] if i < len(right) else ("", "")
        lcell = f"{lk + ':' if lk else '':<20}{lv:>{half - 21}} "
        rcell = f"{rk + ':' if rk else '':<20}{rv:>{half - 20}}"
        lines.append(lcell + rcell)
    return lines


def _cell(col: str, x: float) -> str:
    if col.startswith("ess") and np.isfinite(x):
        return f"{x:>10.0f}"
    if col == "r_hat" and np.isfinite(x):
        return f"{x:>10.3f}"
    return _fmt(x)


def exceeds(value: float, threshold: float, digits: int = 3) -> str:
    """Write ``"value > threshold"`` with enough digits that the printed value exceeds it.

    ``exceeds(1.0104, 1.01)`` gives ``"1.0104 > 1.01"``, never ``"1.010 > 1.01"``.
    """
    text = f"{value:.{digits}f}"
    while float(text) <= threshold and digits < 12:
        digits += 1
        text = f"{value:.{digits}f}"
    return f"{text} > {threshold:g}"


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e"
                      r"\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, newlines: bool = True) -> str:
    r"""Escape control characters visibly: ``"a\x1b[31m"`` prints as ``a\x1b[31m``.

    Column names and levels reach the report as they are in the data; a terminal escape
    sequence, a carriage return or a bidirectional override in them would recolour, hide
    or reorder the printed report. Tabs, carriage returns, other C0/C1 controls and
    invisible format characters are written as ``\xNN`` / ``\uNNNN``.

    Parameters
    ----------
    text : str
        The text to print.
    newlines : bool, default True
        Keep line breaks (a report); False escapes them too (a name on one line).

    Returns
    -------
    str
        ``text`` with no control character but (if ``newlines``) ``"\n"``.
    """
    text = _CONTROL.sub(_visible, str(text))
    return text if newlines else text.replace("\n", "\\x0a")


def html_report(text: str) -> str:
    """Wrap a plain-text report for a notebook: monospaced, never wrapped or cut."""
    import html

    return ('<pre style="white-space: pre; overflow-x: auto; font-size: 0.85em">'
            f"{html.escape(text)}</pre>")


def _coef_table(table: pd.DataFrame, columns: list[tuple[str, str]]) -> list[str]:
    names = [printable(str(i), newlines=False) for i in table.index]
    name_w = max(12, max(len(n) for n in names) + 1)
    header = " " * name_w + "".join(f"{label:>11}" for _, label in columns)
    lines = [header, "-" * max(_WIDTH, len(header))]
    for name, (_, row) in zip(names, table.iterrows(), strict=True):
        cells = "".join(" " + _cell(col, float(row[col])) for col, _ in columns)
        lines.append(f"{name:<{name_w}}{cells}")
    return lines


def _wrap(text: str, prefix: str = "") -> list[str]:
    import textwrap

    return textwrap.wrap(text, _WIDTH, initial_indent=prefix, subsequent_indent=" " * len(prefix))


def _title(text: str, model: Any) -> str:
    """Return the report title; with an event level it says which probability is modelled."""
    if model.event is not None:
        text = f"{text}: P({model.endog_name} = {model.event})"
    return f"{text:^{_WIDTH}}"


def count_lines(design: Any) -> list[str]:
    """Write the report lines on binomial counts and frequency weights ([] for plain rows)."""
    out = []
    w = design.freq_weights
    if design.trials is not None:
        s, n = design.successes, design.trials
        if w is not None:
            s, n = s * w, n * w
        out.append(f"Binomial counts: {s.sum():.0f} successes out of {n.sum():.0f} trials in "
                   f"{design.nobs} rows.")
    if w is not None:
        out.append(f"Frequency weights: {w.sum():.0f} observations in {design.nobs} rows "
                   "(each row counts w times).")
    return out


def _data_notes(model: Any) -> list[str]:
    note = model.design.drop_note
    out = [line for c in count_lines(model.design) for line in _wrap(c, "Note: ")]
    return out + (_wrap(note, "Note: ") if note else [])


def mle_report(r: Any) -> str:
    """Write statsmodels' summary layout for an MLE result (the text of ``print(r)``)."""
    now = _dt.datetime.now()
    m = r.model
    left = [("Dep. Variable", m.endog_name), ("Model", "Logit"), ("Method", "MLE"),
            ("Date", now.strftime("%a, %d %b %Y")), ("Time", now.strftime("%H:%M:%S")),
            ("converged", str(r.converged)), ("Covariance Type", r.cov_description)]
    right = [("No. Observations", f"{r.nobs}"), ("Df Residuals", f"{r.df_resid:.0f}"),
             ("Df Model", f"{r.df_model:.0f}"), ("Pseudo R-squ.", f"{r.prsquared:#6.4g}"),
             ("Log-Likelihood", f"{r.llf:#8.5g}"), ("LL-Null", f"{r.llnull:#8.5g}"),
             ("LLR p-value", f"{r.llr_pvalue:#6.4g}")]
    table = r.summary(0.95)
    out = [_title("Logit Regression Results", m), "=" * _WIDTH]
    out += _two_columns(left, right)
    out.append("=" * _WIDTH)
    out += _coef_table(table, [("estimate", "coef"), ("std_error", "std err"), ("z", "z"),
                               ("p_value", "P>|z|"), ("ci_lower", "[0.025"),
                               ("ci_upper", "0.975]")])
    out.append("=" * _WIDTH)
    for note in r.notes():
        out += _wrap(note, "Note: ")
    out += _data_notes(m)
    return printable("\n".join(out))


def _prior_lines(prior_set: Any) -> list[str]:
    t = prior_set.table()
    lines = ["Priors:"]
    for name, row in t.iterrows():
        extra = f" on the {row['applies_to']}" if row["applies_to"] != "coefficient" else ""
        flag = " (default)" if row["default"] else ""
        lines.append(f"  {name}: {row['prior']}{extra}{flag}")
    return lines


def mode_report(r: Any) -> str:
    """Write the report of a MAP result: the estimates, the priors and the notes."""
    m = r.model
    out = [_title("Logit Posterior Mode (MAP)", m), "=" * _WIDTH]
    left = [("Dep. Variable", m.endog_name), ("Method", "MAP"),
            ("converged", str(r.converged))]
    right = [("No. Observations", f"{m.nobs}"), ("Log-Likelihood", f"{r.llf:#8.5g}"),
             ("Iterations", f"{r.iterations}")]
    out += _two_columns(left, right)
    out.append("=" * _WIDTH)
    out += _coef_table(r.summary(0.95), [("estimate", "mode"), ("std_error", "std err"),
                                         ("ci_lower", "[0.025"), ("ci_upper", "0.975]")])
    out.append("=" * _WIDTH)
    out += _prior_lines(r.prior_set)
    if r.prior_set.any_laplace:
        out += _wrap("Laplace priors: exact zeros are possible at the mode; their standard "
                     "errors are NaN (statsmodels' L1 convention).", "Note: ")
    out += _data_notes(m)
    return printable("\n".join(out))


def draws_report(r: Any) -> str:
    """Write the report of a draw-based result: summaries, diagnostics and the sampler."""
    m = r.model
    title = "Logit Posterior" if r.method == "posterior" else "Logit Laplace Approximation"
    c, d, _ = r.draws.shape
    diag = r.diagnostics()
    left = [("Dep. Variable", m.endog_name), ("Sampler", str(r.info.get("sampler", r.method))),
            ("Chains x draws", f"{c} x {d}")]
    rhat = diag["max_r_hat"]
    rhat_text = exceeds(rhat, 1.01).split(" > ")[0] if rhat > 1.01 else f"{rhat:.3f}"
    right = [("No. Observations", f"{m.nobs}"), ("Max R-hat", rhat_text),
             ("Min bulk ESS", f"{diag['min_ess_bulk']:.0f}")]
    if "divergences" in diag:
        left.append(("Divergences", f"{diag['divergences']}"))
    for key, label in (("khat", "Pareto k-hat"), ("ess_is", "Importance ESS"),
                       ("n_proposals", "Proposals"), ("reason", "Auto choice")):
        if key in r.info:
            val = r.info[key]
            left.append((label, f"{val:.3g}" if isinstance(val, float) else str(val)))
    out = [_title(title, m), "=" * _WIDTH]
    out += _two_columns(left, right)
    out.append("=" * _WIDTH)
    out += _coef_table(r.summary(0.95), [("estimate", "mean"), ("std_error", "sd"),
                                         ("ci_lower", "[0.025"), ("ci_upper", "0.975]"),
                                         ("ess_bulk", "ess_bulk"), ("r_hat", "r_hat")])
    out.append("=" * _WIDTH)
    out += _prior_lines(m.prior_set)
    flags = []
    if diag.get("divergences", 0) > 0:
        flags.append(f"WARNING: {diag['divergences']} divergent transitions.")
    if np.isfinite(diag["max_r_hat"]) and diag["max_r_hat"] > 1.01:
        flags.append(f"WARNING: max R-hat {exceeds(diag['max_r_hat'], 1.01)}: chains disagree.")
    approx = r.approximation
    if approx:
        flags.append(f"Note: draws from an approximation: {approx}.")
    for note in r.info.get("notes", []):
        flags.append(f"Note: {note}")
    for f in flags:
        out += _wrap(f)
    out += _data_notes(m)
    return printable("\n".join(out))


def model_report(m: Any) -> str:
    """Write the text of ``print(model)``: the formula, the data and the priors."""
    lhs = m.formula or f"{m.endog_name} ~ {' + '.join(m.exog_names)}"
    out = [_title("Logit Model", m), "=" * _WIDTH]
    out += _wrap(lhs, "Model: ")
    left = [("Dep. Variable", m.endog_name), ("Coefficients", f"{len(m.exog_names)}")]
    right = [("No. Observations", f"{m.nobs}"),
             ("Offset", "yes" if m.design.has_offset else "no")]
    out += _two_columns(left, right)
    out.append("=" * _WIDTH)
    try:
        ps = m.prior_set
    except (TypeError, ValueError) as exc:  # priors that cannot be resolved on these data
        return printable("\n".join(out + _wrap(f"the priors cannot be resolved: {exc}",
                                                 "Priors: ")))
    out += _prior_lines(ps)
    if ps.centred:
        out += _wrap("the intercept prior applies to the centred intercept (log-odds at the "
                     "predictor means).", "Note: ")
    out += _data_notes(m)
    out += _wrap("fit() for the MLE or MAP, sample() for the posterior.", "Next: ")
    return printable("\n".join(out))
