"""Shared helpers for the benchmark scripts.

* :func:`environment_lines` -- versions, CPU count and the BLAS/OpenMP thread pools
  (threadpoolctl), printed at the top of every benchmark so figures can be reproduced.
* :func:`time_interleaved` -- wall-clock timing with ``time.perf_counter``: one warm-up call
  per contender, then ``repeats`` rounds in which every contender runs once (round-robin, so
  a change in machine load during the run affects all contenders alike); report medians.
* :func:`measure_peak` -- peak *extra* memory of one call: the resident-set high-water mark
  above the resident size just before the call (Linux ``/proc/self/status`` ``VmHWM``, reset
  through ``/proc/self/clear_refs``; it counts every allocation, BLAS/LAPACK workspaces
  included), and the peak of ``tracemalloc`` (Python and numpy allocations only).
  Measure in a fresh process (:func:`run_child`) so memory freed earlier and kept by the
  allocator cannot hide the peak.
* :func:`format_table` -- a plain-text table.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = [
    "environment_lines",
    "time_interleaved",
    "median",
    "measure_peak",
    "run_child",
    "format_table",
    "load_average",
    "MB",
]

MB = 2.0**20


def environment_lines(packages: Sequence[str] = ()) -> list[str]:
    """Python, platform, package versions and the threadpoolctl view of BLAS/OpenMP."""
    import importlib

    lines = [f"python {platform.python_version()} on {platform.platform()}, "
             f"{os.cpu_count()} logical CPUs"]
    versions = []
    for name in packages:
        try:
            versions.append(f"{name} {importlib.import_module(name).__version__}")
        except Exception:  # noqa: BLE001 - a missing package is reported, not fatal
            versions.append(f"{name} (not importable)")
    if versions:
        lines.append(", ".join(versions))
    lines.append(load_average())
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    lines.append(f"OPENBLAS_CORETYPE={coretype!r}" if coretype else "OPENBLAS_CORETYPE unset")
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        lines.append("threadpoolctl not installed: thread pools unknown")
        return lines
    for pool in threadpool_info():
        lib = os.path.basename(pool.get("filepath", "?"))
        arch = pool.get("architecture")
        layer = pool.get("threading_layer")
        lines.append(
            f"{pool.get('user_api')}: {pool.get('internal_api')} {pool.get('version') or ''}"
            f" ({lib}), {pool.get('num_threads')} threads"
            + (f", {arch}" if arch else "") + (f", {layer}" if layer else ""))
    return lines


def load_average() -> str:
    """The 1-minute load average against the CPU count: other work on the machine slows
    multi-threaded BLAS far more than single-threaded code, so it is printed with results."""
    try:
        one = os.getloadavg()[0]
    except OSError:
        return "load average unknown"
    return f"load average {one:.2f} on {os.cpu_count()} CPUs"


def time_interleaved(
    funcs: Mapping[str, Callable[[], Any]], repeats: int, warmup: int = 1,
    warmed: Mapping[str, Any] | None = None,
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Time each callable ``repeats`` times, round-robin, after ``warmup`` calls each.

    ``warmed`` maps names already warmed up by the caller to their output; they are not
    warmed up again. Returns the list of wall-clock seconds per name and the value returned
    by each callable's last warm-up call (to check agreement without extra runs).
    """
    outputs: dict[str, Any] = dict(warmed or {})
    for name, fn in funcs.items():
        for _ in range(0 if name in outputs else warmup):
            outputs[name] = fn()
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(repeats):
        for name, fn in funcs.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times, outputs


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def _proc_status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_rss_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
    except OSError:
        return False
    return True


def measure_peak(fn: Callable[[], Any]) -> dict[str, float | None]:
    """Peak extra memory (MB) of one call of ``fn``: ``rss_mb`` (None off Linux) and
    ``traced_mb`` (tracemalloc peak; tracing adds its own small bookkeeping to the RSS)."""
    rss_ok = _reset_rss_peak()
    before = _proc_status_kb("VmRSS") if rss_ok else None
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    hwm = _proc_status_kb("VmHWM") if rss_ok else None
    rss_mb = None if before is None or hwm is None else max(hwm - before, 0) * 1024 / MB
    return {"rss_mb": rss_mb, "traced_mb": (peak - base) / MB}


def run_child(argv: Sequence[str], timeout: float | None = None) -> dict[str, Any]:
    """Run ``python *argv`` in a fresh process and parse the JSON object on its last line."""
    proc = subprocess.run([sys.executable, *argv], capture_output=True, text=True,
                          timeout=timeout, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"child {argv} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return json.loads(lines[-1])


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Left-align the first column, right-align the others."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[j]) for r in cells) for j in range(len(headers))]

    def fmt(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if j == 0 else c.rjust(w)
                         for j, (c, w) in enumerate(zip(row, widths, strict=True)))

    out = [fmt(cells[0]), "  ".join("-" * w for w in widths)]
    out += [fmt(r) for r in cells[1:]]
    return "\n".join(out)
