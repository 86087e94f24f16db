"""Execute the example notebooks top to bottom; any cell error fails the test.

The kernel must run this interpreter (the one with bayeslogit installed), whatever other
``python3`` kernelspecs exist on the machine: a temporary kernelspec named ``python3`` whose
argv starts with ``sys.executable`` is put first on ``JUPYTER_PATH``, and the first executed
cell checks ``sys.executable`` inside the kernel. Figures use Jupyter's inline backend, as in
a notebook, so that a figure shown twice (once by pyplot, once as the cell's value) is seen.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = ["mle_vs_posterior.ipynb", "prior_sensitivity.ipynb"]
INLINE = "module://matplotlib_inline.backend_inline"
#: generous per-cell limit; each notebook is meant to run in well under two minutes in total
CELL_TIMEOUT = 600

CHECK_KERNEL = "import sys\nprint(sys.executable)\nprint(sys.prefix)"


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory: pytest.TempPathFactory):
    """A ``python3`` kernelspec for this interpreter, first on JUPYTER_PATH, with Agg."""
    root = tmp_path_factory.mktemp("jupyter")
    spec_dir = root / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (bayeslogit tests)",
        "language": "python",
        "env": {"MPLBACKEND": INLINE},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    saved = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "MPLBACKEND")}
    old_path = saved["JUPYTER_PATH"]
    os.environ["JUPYTER_PATH"] = str(root) + (os.pathsep + old_path if old_path else "")
    os.environ["MPLBACKEND"] = INLINE
    yield root
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _error_outputs(nb) -> list[str]:
    errors = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
    return errors


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name: str, kernel_env) -> None:
    path = NOTEBOOK_DIR / name
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    stored = [i for i, c in enumerate(nb.cells)
              if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not stored, f"{name}: commit notebooks with outputs cleared (cells {stored})."

    nb.cells.insert(0, nbformat.v4.new_code_cell(CHECK_KERNEL))
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, with the traceback, if any cell fails
    elapsed = time.perf_counter() - start

    assert not _error_outputs(nb)
    for i, cell in enumerate(nb.cells):
        images = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        assert len(images) <= 1, (f"{name}: cell {i} shows {len(images)} images; each "
                                  f"figure must be shown once:\n{cell.source}")
    shown = sum(any("image/png" in o.get("data", {}) for o in c.get("outputs", []))
                for c in nb.cells)
    assert shown >= 3, f"{name}: only {shown} cells show a figure; is the backend inline?"
    kernel_python = "".join(o.get("text", "") for o in nb.cells[0].outputs).splitlines()
    assert kernel_python == [sys.executable, sys.prefix], (
        f"the kernel ran {kernel_python}, not this interpreter {sys.executable!r}")
    n_code = sum(c.cell_type == "code" for c in nb.cells)
    assert all(c.get("execution_count") for c in nb.cells if c.cell_type == "code"), (
        f"{name}: not every one of the {n_code} code cells ran")
    print(f"{name}: {n_code - 1} code cells executed in {elapsed:.1f} s")
