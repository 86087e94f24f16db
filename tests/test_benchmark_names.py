"""Benchmark scripts run as ``python benchmarks/<name>.py``, which puts their folder first on
``sys.path``: a script named after an importable module (``dask.py``) would shadow it for
every benchmark."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def test_no_benchmark_script_shadows_an_installed_module():
    shadowing = [p.name for p in BENCH.glob("*.py")
                 if importlib.util.find_spec(p.stem) is not None]
    assert not shadowing, f"rename {shadowing}: they shadow installed modules"
