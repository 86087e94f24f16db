"""The ``bayeslogit`` command line."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import bayeslogit as bl
from bayeslogit.cli import main, parse_prior


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bayeslogit.cli", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.fixture()
def csv(tmp_path):
    df = bl.datasets.load_challenger()
    path = tmp_path / "challenger.csv"
    df.to_csv(path, index=False)
    return path


def test_demo_runs():
    out = run("demo", "--draws", "500")
    assert out.returncode == 0, out.stderr
    for piece in ["MLE", "Posterior", "31 F", "temperature_f", "Prior sensitivity"]:
        assert piece in out.stdout
    assert "Traceback" not in out.stderr


def test_fit_mle_json_and_save(csv, tmp_path):
    js, nc = tmp_path / "out.json", tmp_path / "fit.nc"
    code = main(["fit", str(csv), "--formula", "thermal_distress ~ temperature_f",
                 "--json", str(js), "--save", str(nc)])
    assert code == 0
    payload = json.loads(js.read_text())
    np.testing.assert_allclose(payload["estimates"]["temperature_f"], -0.23216274, rtol=1e-7)
    assert set(payload["summary"]["Intercept"]) >= {"estimate", "std_error", "p_value"}
    back = bl.load(str(nc))
    np.testing.assert_allclose(back.params["temperature_f"], -0.23216274, rtol=1e-7)


SAMPLING = ["--draws", "300", "--seed", "1"]


@pytest.mark.parametrize("method, sampling", [("map", []), ("gibbs", SAMPLING), ("is", SAMPLING)])
def test_fit_methods_with_prior(csv, method, sampling, capsys):
    code = main(["fit", str(csv), "--formula", "thermal_distress ~ temperature_f", "--method",
                 method, "--prior", "normal(0, 2.5)", *sampling])
    assert code == 0
    assert "Normal(mu=0, sigma=2.5)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [(["fit", "missing.csv", "--formula", "y ~ x"], "no such file"),
     (["fit", "{csv}", "--formula", "thermal_distress ~ nope"], "nope"),
     (["fit", "{csv}", "--formula", "temperature_f ~ flight"], "must lie in [0, 1]"),
     (["fit", "{csv}", "--formula", "thermal_distress ~ temperature_f", "--method", "map",
       "--prior", "normal(0)"], "takes 2 numbers"),
     (["fit", "{csv}", "--formula", "thermal_distress ~ temperature_f", "--method", "map",
       "--prior", "weird(1)"], "cannot parse prior")])
def test_bad_input_one_line(csv, args, message, capsys):
    assert main([a.replace("{csv}", str(csv)) for a in args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_help_documents_commands():
    out = run("--help")
    assert out.returncode == 0 and "demo" in out.stdout and "fit" in out.stdout
    sub = run("fit", "--help")
    for flag in ["--formula", "--method", "--prior", "--json", "--save"]:
        assert flag in sub.stdout


def test_parse_prior_families():
    assert parse_prior("Normal(0, 2.5)") == bl.Normal(0, 2.5)
    assert parse_prior("student_t(3, 0, 1)") == bl.StudentT(3, 0, 1)
    assert parse_prior("flat") == bl.Flat()
    assert isinstance(parse_prior("jeffreys"), bl.Jeffreys)


def test_per_coefficient_priors(csv, capsys):
    code = main(["fit", str(csv), "--formula", "thermal_distress ~ temperature_f", "--method",
                 "map", "--prior", "temperature_f=laplace(0, 0.1)"])
    assert code == 0
    assert "Laplace(mu=0, b=0.1)" in capsys.readouterr().out


def test_per_coefficient_priors_on_transformed_terms(tmp_path, capsys):
    rng = np.random.default_rng(8)
    n = 120
    import pandas as pd

    df = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(["a", "b"], n)})
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-df.x))).astype(int)
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    out_json = tmp_path / "fit.json"
    code = main(["fit", str(path), "--formula", "y ~ x + I(x ** 2) + C(g)", "--method", "map",
                 "--prior", "C(g)[T.b]=normal(0, 0.5)", "--prior", "I(x ** 2)=laplace(0, 1)",
                 "--json", str(out_json)])
    capsys.readouterr()
    assert code == 0
    payload = json.loads(out_json.read_text())
    assert payload["priors"]["C(g)[T.b]"]["prior"] == "Normal(mu=0, sigma=0.5)"
    assert payload["priors"]["I(x ** 2)"]["prior"] == "Laplace(mu=0, b=1)"
    # the command parses the names into exactly the priors the Python API takes
    m = bl.Logit.from_formula("y ~ x + I(x ** 2) + C(g)", df, priors={
        "C(g)[T.b]": bl.Normal(0, 0.5), "I(x ** 2)": bl.Laplace(0, 1)})
    expected = m.fit(method="map").params
    assert list(payload["estimates"]) == list(expected.index)
    np.testing.assert_array_equal(list(payload["estimates"].values()), expected.to_numpy())
