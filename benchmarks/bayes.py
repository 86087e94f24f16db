"""Posterior speed: wall time to a posterior with min bulk ESS >= 1000, in one run.

Contenders (every one sees the same data and, except where noted, the same priors):

* ``bl-auto``, ``bl-is``, ``bl-gibbs``, ``bl-nuts``: ``bl.Logit.from_formula(f, df)
  .sample(sampler=...)``; ``auto`` chooses importance sampling, Gibbs or NUTS itself and the
  choice is printed.
* ``bambi``: ``bmb.Model(f, df, family="bernoulli", priors=...).fit(...)``, bambi's default
  inference (PyMC's own NUTS sampler), chains sampled on ``cores=2`` processes.
* ``pymc-nutpie``: a hand-written PyMC model (standardised predictors) sampled with
  ``pm.sample(nuts_sampler="nutpie")``.
* ``pymc-numpyro``: the same model with ``pm.sample(nuts_sampler="numpyro")``, given its
  faster chain method on this machine: ``"parallel"`` (JAX gets as many host devices as
  chains, ``XLA_FLAGS=--xla_force_host_platform_device_count=4``) for n < 10000,
  ``"vectorized"`` above (see :func:`numpyro_chain_method`).

Priors (all contenders): every slope ``Normal(0, 2.5 / sd(x_j))`` (``sd`` with ddof=1), the
centred intercept (log-odds at the predictor means) ``Normal(0, 2.5)``; i.e. ``Normal(0, 2.5)``
on every coefficient of the standardised predictors. This is bayeslogit's default; bambi gets
it through ``priors=`` (bambi centres predictors and puts its intercept prior on the centred
intercept, so the models are identical); the PyMC model is written on standardised
predictors. ``--bambi-default-priors`` gives bambi its own defaults instead (then the
posteriors differ slightly).

Data: statsmodels' Spector (n=32, ``GRADE ~ GPA + TUCE + PSI``, k=4) and two synthetic sets
(n=1000, p=10 and n=20000, p=20 predictors plus an intercept): correlated normal predictors
(AR(1) correlation 0.3) with unequal scales and non-zero means, standardised effects
~ N(0, 0.5^2), intercept -0.4 at the means; seeded.

Protocol. Each (contender, data set) runs in a fresh Python process (``--worker``) that has
imported only numpy and pandas and read the data: it then times the import of the
contender's top-level package (``import bayeslogit`` / ``import bambi`` / ``import pymc``),
then the *first* fit in the process, model construction and every compilation included (lazy
imports inside the fit, e.g. nutpie or JAX, are counted in the fit), then a second fit on the
same model object (what a user pays when resampling in the same session; skipped when the
first fit took longer than ``--second-max`` seconds, to bound the run time). Disk caches
(PyTensor, numba) are left as they are: the first run of a fresh installation is slower
still for the PyTensor-based contenders (``--cold-cache`` points PyTensor at an empty
compile directory per process to measure that). Sampling settings: 4 chains, 1000 draws
after 1000 warm-up iterations (Gibbs: 1500 draws after 500 burn-in); a run whose min bulk ESS
falls short of 1000 is redone in a fresh process with proportionally more draws (marked
``*``). ESS is ArviZ's bulk ESS (``az.ess(method="bulk")``) of the reported coefficients on
the raw scale, minimised over coefficients; for importance sampling the smaller of that and
the importance ESS is used.

Columns: ``import`` (s), ``fit 1`` (first fit, s), ``fit 2`` (second fit, s), ``min ESS``
(of fit 1), ``s/1k ESS`` = fit 1 / (min ESS / 1000), ``ESS/s`` = min ESS / fit 1, ``+import``
= (import + fit 1) / (min ESS / 1000), ``s/1k ESS 2`` from the second fit.

Finally, the first call of ``bl-auto`` on Spector is broken down into the imports it
triggers (each pre-paid and timed on its own) and the sampling itself, in this environment
and with the packages that only the peers bring (jax, numpyro, sparse) hidden.

Then (unless ``--no-one-process``) one process imports bayeslogit and bambi and times each
one's first fit on Spector, in both orders (the one fitted first pays the one-time imports
both need), and once more with jax, jaxlib and numpyro hidden (bayeslogit's first fit
imports jax wherever it is installed, see :func:`one_process_worker`): the first-fit goal
of issue 15 is read on those lines. bayeslogit builds its DataTree on first use; each line
also gives the ratio counting that first ``to_arviz()`` (bambi's fit returns its tree).

Goals: bayeslogit (``auto``) >= 10x fewer seconds per 1000 effective draws than bambi for
n <= 5000, and fewer than numpyro at n = 20000.

Run from the repository root::

    python benchmarks/bayes.py                       # everything (~12 minutes on 2 cores)
    python benchmarks/bayes.py --quick               # Spector and n=1000, no second fits
    python benchmarks/bayes.py --skip bambi,pymc-numpyro --datasets spector
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bayes_worker import (  # noqa: E402
    BENCH_EXTRAS,
    CHAINS,
    DATASETS,
    PRIOR_SCALE,
    breakdown_worker,
    one_process_worker,
    worker,
    write_datasets,
)
from _common import environment_lines, format_table  # noqa: E402

CONTENDERS = ("bl-auto", "bl-is", "bl-gibbs", "bl-nuts", "bambi", "pymc-nutpie",
              "pymc-numpyro")
QUICK_DATASETS = ("spector", "n1000")
TARGET_ESS = 1000.0
#: (draws, tune) per chain
SETTINGS = {"bl-gibbs": (1500, 500)}
DEFAULT_SETTING = (1000, 1000)



def run_one_process(data: Path) -> str:
    lines = []
    for bambi_first, hide_jax in ((False, False), (True, False), (False, True)):
        argv = [sys.executable, __file__, "--one-process", str(data)]
        if bambi_first:
            argv.append("--bambi-first")
        if hide_jax:
            argv.append("--hide-extras")
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        found = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if proc.returncode != 0 or not found:
            lines.append(f"one-process run failed:\n{proc.stderr[-1500:]}")
            continue
        r = json.loads(found[-1])
        mine, theirs = per_1k(r["bl_s"], r["bl_ess"]), per_1k(r["bambi_s"], r["bambi_ess"])
        ratio = theirs / mine
        with_tree = theirs / per_1k(r["bl_s"] + r["bl_tree_s"], r["bl_ess"])
        lines.append(
            f"{'bambi' if bambi_first else 'bayeslogit'} fitted first"
            f"{' (jax/jaxlib/numpyro hidden)' if hide_jax else ''}: bl-auto "
            f"({r['bl_sampler'].split(' ')[0]}) {r['bl_s']:.3f} s, min ESS {r['bl_ess']:.0f}"
            f" -> {mine:.3f} s/1k ESS; bambi {r['bambi_s']:.2f} s, min ESS "
            f"{r['bambi_ess']:.0f} -> {theirs:.3f} s/1k ESS; bambi / bl-auto = {ratio:.1f}x "
            f"(goal >= 10x: {'met' if ratio >= 10 else 'MISSED'}); counting bl's first "
            f"to_arviz() ({r['bl_tree_s']:.3f} s) {with_tree:.1f}x; imported during bl's "
            f"first fit: {', '.join(r['bl_new_modules'])}")
    return "\n".join(lines)


def run_breakdown(data: Path) -> str:
    cols = {}
    for hide in (False, True):
        argv = [sys.executable, __file__, "--breakdown", str(data)]
        if hide:
            argv.append("--hide-extras")
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("[")]
        if proc.returncode != 0 or not lines:
            return f"breakdown failed:\n{proc.stderr[-1500:]}"
        cols[hide] = dict(json.loads(lines[-1]))
    labels = list(dict.fromkeys([*cols[False], *cols[True]]))
    rows = [[lab, _f(cols[False].get(lab), 3), _f(cols[True].get(lab), 3)] for lab in labels]
    return format_table(["stage (Spector, fresh process)", "this venv",
                         "without " + "/".join(BENCH_EXTRAS)], rows)


# --------------------------------------------------------------------------- parent
def run_worker(contender: str, data: Path, draws: int, tune: int, second: bool,
               timeout: float, opts: argparse.Namespace) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--worker", contender, "--data", str(data),
            "--draws", str(draws), "--tune", str(tune)]
    if second:
        argv += ["--second", "--second-max", str(opts.second_max)]
    if opts.bambi_default_priors:
        argv.append("--bambi-default-priors")
    env = dict(os.environ)
    if contender == "pymc-numpyro":
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") +
                            f" --xla_force_host_platform_device_count={CHAINS}").strip()
    tmp = None
    if opts.cold_cache:
        tmp = tempfile.TemporaryDirectory(prefix="pytensor-cold-")
        env["PYTENSOR_FLAGS"] = f"base_compiledir={tmp.name}"
    # own session, so a timeout can stop the whole process group (PyMC's chain processes)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    start = time.perf_counter()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"contender": contender, "timeout": timeout,
                "elapsed": time.perf_counter() - start}
    finally:
        if tmp is not None:
            tmp.cleanup()
    lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"contender": contender, "error": (stderr or stdout).strip()[-1500:]}
    return json.loads(lines[-1])


def measure(contender: str, data: Path, second: bool, timeout: float,
            opts: argparse.Namespace) -> dict[str, Any]:
    draws, tune = SETTINGS.get(contender, DEFAULT_SETTING)
    res = run_worker(contender, data, draws, tune, second, timeout, opts)
    if "ess1" in res and res["ess1"] < TARGET_ESS:
        # not there yet: redo in a fresh process with proportionally more draws
        scale = 1.25 * TARGET_ESS / max(res["ess1"], 1.0)
        more = int(math.ceil(draws * scale / 100.0) * 100)
        res2 = run_worker(contender, data, more, tune, second, timeout, opts)
        if "ess1" in res2:
            res2["rerun_from"] = {"draws": draws, "ess1": res["ess1"], "fit1_s": res["fit1_s"]}
            res = res2
    return res


def _f(x: float | None, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.{digits}f}"


def per_1k(seconds: float | None, ess: float | None) -> float | None:
    if seconds is None or not ess:
        return None
    return seconds / (ess / 1000.0)


def row(res: dict[str, Any]) -> list[str]:
    who = res["contender"]
    if "timeout" in res:
        return [who, "-", "-", f"> {res['timeout']:.0f}", "-", "-", "-", "-", "-", "-",
                "timed out (process group killed)"]
    if "error" in res:
        return [who, "-", "-", "-", "-", "-", "-", "-", "-", "-", "failed"]
    s1 = per_1k(res["fit1_s"], res["ess1"])
    note = []
    info = res.get("info1", {})
    if info.get("sampler") and who == "bl-auto":
        note.append(info["sampler"].split(" ")[0])
    if "khat" in info:
        note.append(f"k-hat {info['khat']:.2f}")
    if info.get("compile_time"):
        note.append(f"compile {info['compile_time']:.1f}s")
    if who in ("bambi", "pymc-nutpie", "pymc-numpyro") and math.isfinite(
            info.get("sampling_time", math.nan)):
        note.append(f"sampling {info['sampling_time']:.1f}s")
    if res.get("div1"):
        note.append(f"{res['div1']} div")
    if res.get("rhat1", 1.0) > 1.01:
        note.append(f"R-hat {res['rhat1']:.3f}")
    draws = f"{res['draws']}{'*' if 'rerun_from' in res else ''}"
    return [who, draws, _f(res["import_s"]), _f(res["fit1_s"]), _f(res.get("fit2_s")),
            f"{res['ess1']:.0f}", _f(s1, 3), f"{res['ess1'] / res['fit1_s']:.0f}",
            _f(per_1k(res["import_s"] + res["fit1_s"], res["ess1"]), 3),
            _f(per_1k(res.get("fit2_s"), res.get("ess2")), 3), "; ".join(note)]


HEADERS = ["contender", "draws", "import", "fit 1", "fit 2", "min ESS", "s/1k ESS", "ESS/s",
           "+import", "s/1k ESS 2", "notes"]


def summary(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    """How many times more seconds per 1000 effective draws each peer needs than each
    bayeslogit sampler: first fit, and (+imp) import plus first fit."""
    def rate(r: dict[str, Any], imp: bool) -> float | None:
        if "ess1" not in r:
            return None
        return per_1k(r["fit1_s"] + (r["import_s"] if imp else 0.0), r["ess1"])

    rows = []
    for ds, by in results.items():
        for who in ("bl-auto", "bl-is", "bl-gibbs", "bl-nuts"):
            if rate(by.get(who, {}), False) is None:
                continue
            cells = [f"{ds} {who}", _f(rate(by[who], False), 3)]
            for peer in ("bambi", "pymc-numpyro", "pymc-nutpie"):
                other = by.get(peer, {})
                for imp in (False, True):
                    if "timeout" in other:
                        cells.append(f"t/o>{other['timeout']:.0f}s")
                    elif rate(other, imp) is None:
                        cells.append("-")
                    else:
                        cells.append(f"{rate(other, imp) / rate(by[who], imp):.1f}x")
            rows.append(cells)
    heads = ["data / sampler", "s/1k ESS", "vs bambi", "(+imp)", "vs numpyro", "(+imp)",
             "vs nutpie", "(+imp)"]
    return format_table(heads, rows)


def goals(results: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """bl-auto vs bambi (n <= 5000, >= 10x) and vs numpyro (n > 5000, > 1x), on s/1k ESS of
    the first fit, of import + first fit, and of the second fit."""
    lines = []
    for ds, by in results.items():
        n = DATASETS[ds][0]
        mine = by.get("bl-auto", {})
        peer = "bambi" if n <= 5000 else "pymc-numpyro"
        other = by.get(peer, {})
        need = 10.0 if n <= 5000 else 1.0
        if "ess1" not in mine:
            continue
        if "timeout" in other:
            lines.append(f"{ds}: {peer} timed out after {other['timeout']:.0f} s; bl-auto "
                         f"{per_1k(mine['fit1_s'], mine['ess1']):.3f} s/1k ESS")
            continue
        if "ess1" not in other:
            continue
        parts = []
        for label, key, ess, imp in (("first fit", "fit1_s", "ess1", False),
                                     ("import + first fit", "fit1_s", "ess1", True),
                                     ("second fit", "fit2_s", "ess2", False)):
            if key not in mine or key not in other:
                continue
            mine_r = per_1k(mine[key] + (mine["import_s"] if imp else 0.0), mine[ess])
            other_r = per_1k(other[key] + (other["import_s"] if imp else 0.0), other[ess])
            ratio = other_r / mine_r
            parts.append(f"{label} {ratio:.1f}x ({'met' if ratio >= need else 'MISSED'})")
        lines.append(f"{ds}: bl-auto vs {peer}, goal >= {need:g}x fewer s/1k ESS: "
                     + "; ".join(parts))
    return lines


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="Spector and n=1000, no second fit")
    ap.add_argument("--skip", default="", help="comma-separated contenders to skip")
    ap.add_argument("--datasets", default=None, help=f"comma-separated, of {list(DATASETS)}")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per worker process")
    ap.add_argument("--cold-cache", action="store_true",
                    help="empty PyTensor compile directory per process")
    ap.add_argument("--bambi-default-priors", action="store_true")
    ap.add_argument("--json", default=None, help="write all results to this file")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--data", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--draws", type=int, default=1000, help=argparse.SUPPRESS)
    ap.add_argument("--tune", type=int, default=1000, help=argparse.SUPPRESS)
    ap.add_argument("--second", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--second-max", type=float, default=60.0,
                    help="skip the second fit when the first took longer (s)")
    ap.add_argument("--no-breakdown", action="store_true",
                    help="skip the breakdown of bl-auto's first call")
    ap.add_argument("--breakdown", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--one-process", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--bambi-first", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--no-one-process", action="store_true",
                    help="skip the one-process first-fit comparison with bambi")
    ap.add_argument("--hide-extras", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)))
        return
    if args.breakdown:
        print(json.dumps(breakdown_worker(args.breakdown, args.hide_extras)))
        return
    if args.one_process:
        print(json.dumps(one_process_worker(args.one_process, args.bambi_first,
                                            args.hide_extras)))
        return

    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = skip - set(CONTENDERS)
    if unknown:
        ap.error(f"unknown contender(s) in --skip: {sorted(unknown)}; valid: {CONTENDERS}")
    names = (args.datasets.split(",") if args.datasets else
             list(QUICK_DATASETS if args.quick else DATASETS))
    bad = [d for d in names if d not in DATASETS]
    if bad:
        ap.error(f"unknown data set(s) {bad}; valid: {list(DATASETS)}")
    contenders = [c for c in CONTENDERS if c not in skip]
    print("\n".join(environment_lines(("numpy", "bayeslogit", "pymc", "pytensor", "nutpie",
                                       "bambi", "numpyro", "jax", "arviz"))))
    print(f"{CHAINS} chains; priors Normal(0, {PRIOR_SCALE}) on the centred intercept and the "
          "standardised slopes" + (" (bambi: its defaults)" if args.bambi_default_priors
                                   else " for every contender") +
          f"; PyTensor cache {'cold' if args.cold_cache else 'as found'}\n")
    start = time.perf_counter()
    results: dict[str, dict[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="bayes-bench-") as folder:
        paths = write_datasets(names, Path(folder))
        for ds in names:
            n, p = DATASETS[ds]
            results[ds] = {}
            for who in contenders:
                results[ds][who] = measure(who, paths[ds], not args.quick, args.timeout, args)
                if "error" in results[ds][who]:
                    print(f"  {who} on {ds} failed:\n{results[ds][who]['error']}",
                          file=sys.stderr)
            print(f"== {ds}: n={n}, k={p + 1} (load average {os.getloadavg()[0]:.2f}) ==")
            print(format_table(HEADERS, [row(results[ds][w]) for w in contenders]))
            for who in contenders:
                r = results[ds][who]
                if "rerun_from" in r:
                    f = r["rerun_from"]
                    print(f"  * {who}: {f['draws']} draws gave min ESS {f['ess1']:.0f} in "
                          f"{f['fit1_s']:.2f} s; rerun with {r['draws']} draws")
                if who == "bl-auto" and "info1" in r:
                    print(f"  bl-auto: {r['info1'].get('reason', '')}")
            print()
        print("== summary: seconds per 1000 effective draws of each bayeslogit sampler (first "
              "fit, compilation included) and how many times more the others need ==")
        print(summary(results))
        print("\n" + "\n".join(goals(results)))
        if not args.no_breakdown and "spector" in paths:
            print("\n== where bl-auto's first call goes (Spector): each import it triggers, "
                  "pre-paid and timed on its own, then the call; the right column hides the "
                  "peers' extra packages, as in an installation without bambi/numpyro ==")
            print(run_breakdown(paths["spector"]))
        if not args.no_one_process and "spector" in paths and "bambi" in contenders:
            print("\n== first fit in one process after both packages are imported (issue 15 "
                  "goal: >= 10x fewer s/1k ESS than bambi at n <= 5000) ==")
            print(run_one_process(paths["spector"]))
    print(f"\ntotal benchmark time {time.perf_counter() - start:.0f} s; load average at end "
          f"{os.getloadavg()[0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=float))


if __name__ == "__main__":
    main()
