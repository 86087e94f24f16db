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


def test_every_error_class_is_exported_at_the_top_level():
    import bayeslogit as bl
    from bayeslogit import errors

    for name in errors.__all__:
        assert getattr(bl, name) is getattr(errors, name), name
        assert name in bl.__all__, name
