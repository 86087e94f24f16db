"""The command line reports every user error as one line with exit code 2, before fitting.

Most checks call ``main([...])`` in the test process; two run the installed command end to
end. Estimates in JSON are compared with statsmodels' and with the Python API's results.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import bayeslogit as bl
from bayeslogit.cli import build_parser, main

FORMULA = "y ~ x1"


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(24)
    df = pd.DataFrame({"x1": rng.normal(size=50), "x2": rng.normal(size=50)})
    df["y"] = (rng.random(50) < 1 / (1 + np.exp(-0.8 * df.x1))).astype(int)
    return df


@pytest.fixture()
def files(tmp_path, frame, monkeypatch):
    """A valid CSV and broken ones, in a fresh working directory."""
    monkeypatch.chdir(tmp_path)
    frame.to_csv("ok.csv", index=False)
    frame.iloc[:0].to_csv("header_only.csv", index=False)
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "quotes.csv").write_text('x1,y\n1,"open quote\n')
    (tmp_path / "latin1.csv").write_bytes("x1,y\n1.5,caf\xe9\n".encode("latin-1"))
    return tmp_path


def refused(capsys, argv, *pieces):
    """``main(argv)`` exits 2 with one stderr line holding ``pieces``, and fits nothing."""
    code = main(argv)
    out = capsys.readouterr()
    assert code == 2, out.err
    assert out.out == ""  # nothing was fitted or printed before the refusal
    assert out.err.startswith("bayeslogit: error: ") and out.err.count("\n") == 1, out.err
    assert "Traceback" not in out.err
    for piece in pieces:
        assert piece in out.err, (piece, out.err)
    return out.err


# -- counts and seeds: argparse types, checked before anything runs --------------------------
@pytest.mark.parametrize("argv, pieces", [
    (["demo", "--draws", "0"], ["--draws", "'0'", ">= 1"]),
    (["demo", "--draws", "-5"], ["--draws", "'-5'"]),
    (["demo", "--chains", "0"], ["--chains", "'0'"]),
    (["demo", "--seed", "-1"], ["--seed", "'-1'", "from 0 to 4294967295"]),
    (["demo", "--draws", "1.5"], ["--draws", "'1.5'", "whole number"]),
    (["demo", "--draws", "nan"], ["--draws", "'nan'"]),
    (["fit", "ok.csv", "--formula", FORMULA, "--method", "nuts", "--tune", "-1"],
     ["--tune", "'-1'", ">= 0"]),
    (["fit", "ok.csv", "--formula", FORMULA, "--method", "gibbs", "--seed", str(2**32)],
     ["--seed", str(2**32)]),
    (["fit", "ok.csv", "--formula", FORMULA, "--method", "is", "--chains", "two"],
     ["--chains", "'two'"]),
])
def test_bad_counts_and_seeds_are_refused_before_running(files, capsys, argv, pieces):
    err = refused(capsys, argv, *pieces)
    assert f"see 'bayeslogit {argv[0]} --help'" in err


def test_counts_accept_integral_spellings():
    parser = build_parser()
    assert parser.parse_args(["demo", "--draws", "1e3"]).draws == 1000
    assert parser.parse_args(["demo", "--draws", "250.0", "--seed", "0"]).draws == 250
    assert parser.parse_args(["demo", "--seed", "4294967295"]).seed == 2**32 - 1


@pytest.mark.parametrize("argv, pieces", [
    ([], ["required: command"]),
    (["fit", "ok.csv"], ["--formula"]),
    (["fit", "ok.csv", "--formula", FORMULA, "--method", "bfgs"], ["--method", "'bfgs'"]),
])
def test_usage_errors_are_one_line(files, capsys, argv, pieces):
    refused(capsys, argv, *pieces)


# -- priors ----------------------------------------------------------------------------------
@pytest.mark.parametrize("prior, piece", [
    ("normal(0, 1e-300)", "below 1e-100"),
    ("normal(0, 1e300)", "above 1e+100"),
    ("normal(0, 1e999)", "inf"),
    ("normal(nan, 1)", "nan"),
    ("laplace(0, -1)", "-1"),
    ("student_t(0, 0, 1)", "nu"),
    ("normal(0, wide)", "wide"),
])
def test_extreme_or_malformed_priors(files, capsys, prior, piece):
    refused(capsys, ["fit", "ok.csv", "--formula", FORMULA, "--method", "map", "--prior", prior],
            f"prior {prior!r}", piece)


@pytest.mark.parametrize("priors, piece", [
    (["normal(0, 1)", "laplace(0, 1)"], "for all coefficients twice"),
    (["x=normal(0, 1)", "x=laplace(0, 1)"], "gives 'x' twice"),
])
def test_a_prior_given_twice_is_refused(files, capsys, priors, piece):
    argv = ["fit", "ok.csv", "--formula", FORMULA, "--method", "map"]
    for prior in priors:
        argv += ["--prior", prior]
    refused(capsys, argv, piece)


def test_prior_with_mle_is_refused_naming_the_methods_that_use_it(files, capsys):
    refused(capsys, ["fit", "ok.csv", "--formula", FORMULA, "--prior", "normal(0, 1)"],
            "--prior is not used by --method mle", "--method map")


@pytest.mark.parametrize("method, flag", [("mle", "--draws"), ("map", "--seed"),
                                          ("is", "--tune"), ("laplace", "--tune")])
def test_options_the_method_does_not_use_are_refused(files, capsys, method, flag):
    refused(capsys, ["fit", "ok.csv", "--formula", FORMULA, "--method", method, flag, "5"],
            f"{flag} is not used by --method {method}")


def test_model_errors_name_the_option_not_the_python_argument(files, capsys):
    err = refused(capsys, ["fit", "ok.csv", "--formula", FORMULA, "--method", "gibbs",
                           "--prior", "jeffreys"], "Gibbs", "--method nuts")
    assert "sampler=" not in err


# -- the data file and the formula -----------------------------------------------------------
@pytest.mark.parametrize("name, pieces", [
    ("missing.csv", ["no such file: missing.csv"]),
    ("header_only.csv", ["header_only.csv", "no data rows", "x1, x2, y"]),
    ("empty.csv", ["empty.csv is empty"]),
    ("quotes.csv", ["cannot read quotes.csv as CSV"]),
    ("latin1.csv", ["latin1.csv is not UTF-8"]),
    (".", ["is a directory"]),
])
def test_unusable_data_files(files, capsys, name, pieces):
    err = refused(capsys, ["fit", name, "--formula", FORMULA], *pieces)
    assert "non-numeric" not in err


@pytest.mark.parametrize("formula, missing", [("y ~ x9", "x9"), ("outcome ~ x1", "outcome")])
def test_formula_naming_a_missing_column_lists_the_columns(files, capsys, formula, missing):
    refused(capsys, ["fit", "ok.csv", "--formula", formula], f"`{missing}`",
            "The columns of ok.csv are: x1, x2, y.")


# -- outputs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("extra, pieces", [
    (["--save", "-"], ["--save -", "binary netCDF", "--save fit.nc"]),
    (["--json", "nodir/out.json"], ["--json nodir/out.json", "create it first"]),
    (["--save", "."], ["--save .", "is a directory"]),
    (["--json", "ok.csv"], ["--json ok.csv would overwrite the input data"]),
    (["--json", "same", "--save", "same"], ["--json and --save both name same"]),
])
def test_bad_output_paths_are_refused_before_fitting(files, capsys, extra, pieces):
    refused(capsys, ["fit", "ok.csv", "--formula", FORMULA, *extra], *pieces)
    assert not (files / "nodir").exists() and not (files / "-").exists()


def test_json_dash_writes_only_json_to_stdout(files, frame, capsys):
    assert main(["fit", "ok.csv", "--formula", FORMULA, "--json", "-"]) == 0
    out = capsys.readouterr()
    payload = json.loads(out.out)  # stdout holds the JSON alone
    assert "Logit Regression Results" in out.err  # the report moved to stderr
    assert not (files / "-").exists()
    ref = smf.logit(FORMULA, frame).fit(disp=0)
    np.testing.assert_allclose(pd.Series(payload["estimates"]), ref.params, rtol=1e-6)
    assert payload["method"] == payload["requested_method"] == "mle"
    assert payload["options"]["cov_type"] == "nonrobust" and "priors" not in payload


def test_json_records_the_sampler_that_ran_and_its_options(files, frame, capsys):
    argv = ["fit", "ok.csv", "--formula", FORMULA, "--method", "auto", "--draws", "60",
            "--chains", "2", "--tune", "30", "--seed", "5", "--prior", "normal(0, 1.5)",
            "--json", "fit.json"]
    assert main(argv) == 0
    capsys.readouterr()
    payload = json.loads((files / "fit.json").read_text())
    same = bl.Logit.from_formula(FORMULA, frame, priors=bl.Normal(0, 1.5)).sample(
        draws=60, tune=30, chains=2, random_seed=5, sampler="auto", progressbar=False)
    assert payload["requested_method"] == "auto"
    assert payload["method"] == same.options.sampler != "auto"
    assert payload["sampler_reason"] == same.info["reason"]
    assert {k: payload["options"].get(k) for k in ("draws", "chains", "tune", "random_seed")} == \
        {"draws": 60, "chains": 2, "tune": None if same.options.sampler == "is" else 30,
         "random_seed": 5}
    assert payload["priors"]["x1"]["prior"] == "Normal(mu=0, sigma=1.5)"
    np.testing.assert_allclose(pd.Series(payload["estimates"]), same.params, rtol=1e-12)


def test_laplace_uses_draws_chains_and_seed(files, frame, capsys):
    argv = ["fit", "ok.csv", "--formula", FORMULA, "--method", "laplace", "--draws", "7",
            "--chains", "3", "--seed", "2", "--json", "-"]
    assert main(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    ref = bl.Logit.from_formula(FORMULA, frame).fit(method="laplace", draws=7, chains=3,
                                                    random_seed=2)
    assert ref.draws.shape[:2] == (3, 7)
    assert payload["options"]["draws"] == 7 and payload["options"]["chains"] == 3
    np.testing.assert_allclose(pd.Series(payload["estimates"]), ref.params, rtol=1e-12)


def test_data_from_stdin(frame, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(frame.to_csv(index=False)))
    assert main(["fit", "-", "--formula", FORMULA, "--json", "-"]) == 0
    payload = json.loads(capsys.readouterr().out)
    ref = smf.logit(FORMULA, frame).fit(disp=0)
    np.testing.assert_allclose(payload["estimates"]["x1"], ref.params["x1"], rtol=1e-6)


# -- warnings, internal errors, --debug ------------------------------------------------------
def test_warnings_are_one_line_each(tmp_path, capsys):
    path = tmp_path / "separated.csv"
    pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6], "y": [0, 0, 0, 1, 1, 1]}).to_csv(path, index=False)
    assert main(["fit", str(path), "--formula", "y ~ x"]) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "Warning" in line]
    assert lines and all(line.startswith("bayeslogit: ") for line in lines)
    assert any("PerfectSeparationWarning" in line for line in lines)
    assert "warnings.warn" not in err and ".py:" not in err  # no source line or location


def _boom(*args, **kwargs):
    raise RuntimeError("engine exploded\nsecond line")


def test_internal_error_is_short_with_a_debug_hint(files, capsys, monkeypatch):
    monkeypatch.setattr(bl.Logit, "fit", _boom)
    assert main(["fit", "ok.csv", "--formula", FORMULA]) == 1
    err = capsys.readouterr().err
    assert err == ("bayeslogit: internal error: RuntimeError: engine exploded second line; "
                   "rerun with --debug to see the traceback\n")
    for argv in (["fit", "ok.csv", "--formula", FORMULA, "--debug"],
                 ["--debug", "fit", "ok.csv", "--formula", FORMULA]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert "Traceback" in err and "_boom" in err and "rerun with --debug" not in err


def test_debug_shows_the_cause_of_a_user_error(files, capsys):
    assert main(["fit", "ok.csv", "--formula", "y ~ x9", "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.splitlines()[-1].startswith("bayeslogit: error: ")


def test_interrupt_exits_130(files, capsys, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(bl.Logit, "fit", interrupt)
    assert main(["fit", "ok.csv", "--formula", FORMULA]) == 130
    assert capsys.readouterr().err == "bayeslogit: interrupted\n"


# -- end to end ------------------------------------------------------------------------------
def test_command_end_to_end_json_to_a_pipe_and_a_refusal(files, frame):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "bayeslogit.cli", *args], cwd=files,
                              capture_output=True, text=True, timeout=300)

    ok = run("fit", "ok.csv", "--formula", FORMULA, "--json", "-")
    assert ok.returncode == 0, ok.stderr
    ref = smf.logit(FORMULA, frame).fit(disp=0)
    np.testing.assert_allclose(json.loads(ok.stdout)["estimates"]["x1"], ref.params["x1"],
                               rtol=1e-6)
    bad = run("fit", "header_only.csv", "--formula", FORMULA, "--save", "nodir/fit.nc")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and bad.stderr.startswith("bayeslogit: error: --save")


def test_error_lines_carry_no_terminal_colour_codes():
    from bayeslogit.cli.arguments import one_line

    assert one_line(ValueError("bad \x1b[1;31m~~\x1b[0m\n here")) == "bad ~~ here"
