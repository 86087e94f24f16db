"""The command line cannot destroy the input, hang on an output, run a formula's code or
print raw terminal escapes; an interrupt or a failed write leaves no partial output."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import bayeslogit as bl
from bayeslogit.cli import main
from bayeslogit.results.base import LogitResultsBase
from bayeslogit.spec.formula_safety import UnsafeFormulaError, check_formula

FORMULA = "y ~ x1 + x2"


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(7)
    n = 150
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    g = rng.choice(["a", "b", "c"], size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.2 + x1 - 0.5 * x2)))).astype(int)
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "g": g})


@pytest.fixture()
def folder(tmp_path, frame, monkeypatch):
    frame.to_csv(tmp_path / "data.csv", index=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def digest(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def one_error(capsys) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1, err
    return err[0]


def run_cli(*argv, timeout=120, cwd=None):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-m", "bayeslogit.cli", *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


# --- outputs that are the input under another name --------------------------------------

@pytest.mark.parametrize("flag", ["--save", "--json"])
@pytest.mark.parametrize("alias", ["symlink", "hardlink", "dotdot", "relative"])
def test_an_alias_of_the_input_is_refused_before_the_fit(folder, capsys, monkeypatch, flag,
                                                         alias):
    before = digest(folder / "data.csv")
    if alias == "symlink":
        os.symlink(folder / "data.csv", folder / "out")
        target = "out"
    elif alias == "hardlink":
        os.link(folder / "data.csv", folder / "out")
        target = "out"
    elif alias == "dotdot":
        (folder / "sub").mkdir()
        target = os.path.join("sub", "..", "data.csv")
    else:
        target = str(folder / "data.csv")
    fitted = []
    monkeypatch.setattr(bl.Logit, "fit", lambda *a, **k: fitted.append(1))
    assert main(["fit", "data.csv", "--formula", FORMULA, flag, target]) == 2
    assert "would overwrite the input data" in one_error(capsys)
    assert not fitted
    assert digest(folder / "data.csv") == before


def test_json_and_save_naming_one_file_through_a_link_are_refused(folder, capsys):
    (folder / "a.out").write_text("old")
    os.symlink(folder / "a.out", folder / "b.out")
    assert main(["fit", "data.csv", "--formula", FORMULA, "--json", "a.out",
                 "--save", "b.out"]) == 2
    assert "both name" in one_error(capsys)
    assert (folder / "a.out").read_text() == "old"


# --- special outputs answered at once -----------------------------------------------------

def test_a_fifo_nobody_reads_is_refused_without_blocking(folder):
    os.mkfifo(folder / "pipe")
    for flag in ("--json", "--save"):
        start = time.monotonic()
        r = run_cli("fit", "data.csv", "--formula", FORMULA, flag, "pipe", cwd=folder,
                    timeout=60)
        assert r.returncode == 2 and "FIFO" in r.stderr
        assert r.stderr.count("\n") == 1 and time.monotonic() - start < 60


@pytest.mark.parametrize("flag,name,code,words", [
    ("--json", "/dev/null", 0, None),
    ("--save", "/dev/null", 2, "device"),
    ("--save", "a" * 300 + ".nc", 2, "longer than"),
    ("--json", "new\nline.json", 2, "control characters"),
    ("--json", "red\x1b[31m.json", 2, "control characters"),
    ("--save", "nodir/fit.nc", 2, "create it first"),
    ("--save", ".", 2, "is a directory"),
])
def test_special_output_paths_get_one_line(folder, capsys, flag, name, code, words):
    assert main(["fit", "data.csv", "--formula", FORMULA, flag, name]) == code
    if words is None:
        assert capsys.readouterr().err == ""
    else:
        line = one_error(capsys)
        assert words in line and "\x1b" not in line and "\n" not in line
    assert sorted(os.listdir(folder)) == ["data.csv"]


def _owner_access(path, mode, **kw):
    """os.access as an ordinary user (the owner) answers: root's would say yes to anything."""
    bits = os.stat(path).st_mode
    want = [(os.R_OK, 0o400), (os.W_OK, 0o200), (os.X_OK, 0o100)]
    return all(bits & bit for flag, bit in want if mode & flag)


def test_a_read_only_folder_or_file_is_refused_before_the_fit(folder, capsys, monkeypatch):
    if os.geteuid() == 0:
        monkeypatch.setattr(os, "access", _owner_access)
    (folder / "ro").mkdir()
    (folder / "ro").chmod(0o500)
    (folder / "locked.json").write_text("keep")
    (folder / "locked.json").chmod(0o400)
    try:
        assert main(["fit", "data.csv", "--formula", FORMULA, "--save", "ro/fit.nc"]) == 2
        assert "not writable" in one_error(capsys)
        assert main(["fit", "data.csv", "--formula", FORMULA, "--json", "locked.json"]) == 2
        assert "read-only" in one_error(capsys)
    finally:
        (folder / "ro").chmod(0o700)
    assert (folder / "locked.json").read_text() == "keep"


# --- outputs written after the fit, all or none -----------------------------------------

def test_outputs_are_complete_and_match_the_fit(folder, frame, capsys):
    assert main(["fit", "data.csv", "--formula", FORMULA, "--save", "fit.nc",
                 "--json", "fit.json"]) == 0
    ref = smf.logit(FORMULA, frame).fit(disp=0)
    payload = json.loads((folder / "fit.json").read_text())
    np.testing.assert_allclose(pd.Series(payload["estimates"]), ref.params, rtol=1e-6)
    np.testing.assert_allclose(bl.load("fit.nc").params, ref.params, rtol=1e-6)
    assert sorted(os.listdir(folder)) == ["data.csv", "fit.json", "fit.nc"]


@pytest.mark.parametrize("fault", [KeyboardInterrupt, OSError(errno.ENOSPC, "No space")])
def test_a_fault_while_saving_leaves_the_old_files_and_no_new_ones(folder, capsys,
                                                                   monkeypatch, fault):
    (folder / "fit.json").write_text("old json")

    def broken_save(self, path):
        with open(path, "wb") as fh:
            fh.write(b"partial")
        raise fault

    monkeypatch.setattr(LogitResultsBase, "save", broken_save)
    code = main(["fit", "data.csv", "--formula", FORMULA, "--save", "fit.nc",
                 "--json", "fit.json"])
    err = capsys.readouterr().err
    if fault is KeyboardInterrupt:
        assert code == 130 and err.strip() == "bayeslogit: interrupted"
    else:
        assert code == 2 and "the disk is full" in err
    assert sorted(os.listdir(folder)) == ["data.csv", "fit.json"]  # no temporary file left
    assert (folder / "fit.json").read_text() == "old json"


def test_sigint_during_a_fit_exits_130_and_writes_nothing(tmp_path):
    rng = np.random.default_rng(1)
    x1 = rng.normal(size=500)
    pd.DataFrame({"y": (rng.random(500) < 0.5).astype(int), "x1": x1}).to_csv(
        tmp_path / "d.csv", index=False)
    (tmp_path / "fit.json").write_text("old json")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    p = subprocess.Popen([sys.executable, "-m", "bayeslogit.cli", "fit", "d.csv", "--formula",
                          "y ~ x1", "--method", "gibbs", "--draws", "10000000", "--chains",
                          "1", "--save", "fit.nc", "--json", "fit.json"],
                         cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen, deadline = b"", time.monotonic() + 90
    while b"Gibbs" not in seen and time.monotonic() < deadline:  # the sampler's progress bar
        seen += os.read(p.stderr.fileno(), 4096)
    assert b"Gibbs" in seen, seen[-300:]
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130
    assert err.decode().strip().splitlines()[-1] == "bayeslogit: interrupted"
    assert sorted(os.listdir(tmp_path)) == ["d.csv", "fit.json"]
    assert (tmp_path / "fit.json").read_text() == "old json"


# --- formulas evaluate no code -------------------------------------------------------------

@pytest.mark.parametrize("term", [
    "I(__import__('os').system('touch {m}') + x1)",
    "I(x1 + (open('{m}', 'w').close() or 0))",
    "I(x1 + len(x1.to_csv('{m}')))",
    "np.savetxt('{m}', x1)",
    "I(x1 + (lambda: open('{m}', 'w'))().close())",
    "I(x1 + [open('{m}', 'w') for _ in [0]][0].close())",
    "I(x1.__class__.__init__.__globals__['os'].system('touch {m}'))",
    "I(x1 + eval(\"open('{m}', 'w').close() or 0\"))",
    "{{x1 + exec(\"open('{m}', 'w')\")}}",
])
def test_a_formula_that_would_run_code_is_refused(folder, capsys, term):
    marker = folder / "MARKER"
    assert main(["fit", "data.csv", "--formula", "y ~ " + term.format(m=marker)]) == 2
    line = one_error(capsys)
    assert line.startswith("bayeslogit: error: --formula: The formula term") and "may use only" in line
    assert not marker.exists()


def test_huge_constants_are_refused_before_evaluation():
    for term in ("I(9**9**9 + x1)", "I(x1 + (1 << 10**10))", "I('a' * 10**10)"):
        with pytest.raises(UnsafeFormulaError):
            check_formula("y ~ " + term, ["y", "x1"])


def test_ordinary_formulas_still_work_and_match_statsmodels(folder, frame, capsys):
    x3 = np.exp(np.random.default_rng(3).normal(size=len(frame)))
    data = frame.assign(x3=x3).rename(columns={"x1": "odd name"})
    data.to_csv("odd.csv", index=False)
    formula = "y ~ `odd name` + log(x3) + I(x2**2) + C(g, contr.treatment('b')) + center(x2)"
    assert main(["fit", "odd.csv", "--formula", formula, "--json", "-"]) == 0
    got = pd.Series(json.loads(capsys.readouterr().out)["estimates"])
    ref = bl.Logit.from_formula(formula, data).fit()  # the Python API evaluates in full
    pd.testing.assert_series_equal(got, ref.params, check_names=False, rtol=1e-10)
    sm = smf.logit("y ~ x1 + np.log(x3) + I(x2**2) + C(g, Treatment('b')) + x2",
                   frame.assign(x3=x3)).fit(disp=0)
    assert np.isclose(got["I(x2 ** 2)"], sm.params["I(x2 ** 2)"], rtol=1e-6)


def test_help_says_formulas_are_python_without_builtins(capsys):
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Python expressions" in text and "no builtins and no imports" in text


# --- names with control characters, quotes and markup --------------------------------------

ODD = 'x"q\\b\x1b[31m</script>é\t\u202e'


def test_odd_names_round_trip_in_json_and_print_escaped(folder, frame, capsys):
    data = frame.rename(columns={"x1": ODD})
    data["g"] = data["g"].map({"a": 'lev"1', "b": "lev\\2", "c": "lev\x1b3"})
    data.to_csv("odd.csv", index=False)
    assert main(["fit", "odd.csv", "--formula", f"y ~ `{ODD}` + C(g)", "--json", "-"]) == 0
    out = capsys.readouterr()
    payload = json.loads(out.out)  # strict JSON
    ref = bl.Logit.from_formula(f"y ~ `{ODD}` + C(g)", data).fit()
    assert list(payload["estimates"]) == list(ref.params.index)
    assert ODD in payload["estimates"] and "C(g)[T.lev\\2]" in payload["estimates"]
    for text in (out.err, str(ref)):
        assert not any(ord(c) < 32 and c != "\n" or 0x7f <= ord(c) < 0xa0 or c == "\u202e"
                       for c in text)
        assert "\\x1b[31m" in text and "\\u202e" in text
    html = ref._repr_html_()
    assert "</script>" not in html and "&lt;/script&gt;" in html


# --- odd CSV files ------------------------------------------------------------------------

def test_a_duplicated_header_is_refused_naming_the_column(folder, frame, capsys, monkeypatch):
    text = frame.to_csv(index=False).replace("y,x1,x2,g", "y,x1,x1,g", 1)
    (folder / "dup.csv").write_text(text)
    assert main(["fit", "dup.csv", "--formula", "y ~ x1"]) == 2
    line = one_error(capsys)
    assert "'x1' 2 times" in line and "columns 2, 3" in line and "rename" in line
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(text))
    assert main(["fit", "-", "--formula", "y ~ x1"]) == 2
    assert "'x1' 2 times" in one_error(capsys)


def test_a_column_really_named_like_a_pandas_rename_is_kept(folder, frame, capsys):
    frame.rename(columns={"x2": "x1.1"}).to_csv("dots.csv", index=False)
    assert main(["fit", "dots.csv", "--formula", "y ~ x1 + `x1.1`", "--json", "-"]) == 0
    got = json.loads(capsys.readouterr().out)["estimates"]
    ref = smf.logit(FORMULA, frame).fit(disp=0)
    assert np.isclose(got["x1.1"], ref.params["x2"], rtol=1e-6)


def test_json_to_stdout_waits_for_the_saved_file(folder, capsys, monkeypatch):
    def broken_save(self, path):
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(LogitResultsBase, "save", broken_save)
    assert main(["fit", "data.csv", "--formula", FORMULA, "--save", "fit.nc",
                 "--json", "-"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "permission denied" in out.err
    assert sorted(os.listdir(folder)) == ["data.csv"]


def test_a_run_cut_short_by_ctrl_c_is_not_written_even_if_a_library_swallowed_it(
        folder, capsys, monkeypatch):
    fit = bl.Logit.fit

    def swallowing_fit(self, *args, **kwargs):  # like a sampler returning its partial trace
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        except KeyboardInterrupt:
            pass
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(bl.Logit, "fit", swallowing_fit)
    assert main(["fit", "data.csv", "--formula", FORMULA, "--save", "fit.nc",
                 "--json", "fit.json"]) == 130
    assert capsys.readouterr().err.strip() == "bayeslogit: interrupted"
    assert sorted(os.listdir(folder)) == ["data.csv"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
