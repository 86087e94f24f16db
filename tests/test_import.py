"""``import bayeslogit`` stays light."""

import subprocess
import sys


def test_import_does_not_load_heavy_dependencies():
    code = ("import sys, bayeslogit; heavy = [m for m in ('pymc', 'arviz', 'matplotlib', "
            "'nutpie', 'pytensor', 'statsmodels', 'sklearn') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""
