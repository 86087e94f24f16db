"""Shared fixtures: reference data sets (Spector is loaded from statsmodels, never copied)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="session")
def spector() -> pd.DataFrame:
    from statsmodels.datasets import spector as sp

    return sp.load_pandas().data.copy()


@pytest.fixture(scope="session")
def synthetic() -> pd.DataFrame:
    """Seeded data with a categorical, a count column, an offset and cluster labels."""
    rng = np.random.default_rng(20261129)
    n = 600
    g = rng.choice(["a", "b", "c"], size=n)
    x1 = rng.standard_normal(n)
    x2 = rng.uniform(-2, 2, n)
    cnt = rng.poisson(2.0, n)
    off = rng.normal(0, 0.3, n)
    eta = -0.3 + 0.8 * x1 - 0.5 * x2 + 0.2 * cnt + np.select([g == "b", g == "c"], [0.7, -0.4], 0)
    y = (rng.random(n) < 1 / (1 + np.exp(-(eta + off)))).astype(int)
    cluster = rng.integers(0, 25, n).astype(str)
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "cnt": cnt, "g": g, "off": off,
                         "cluster": cluster})


@pytest.fixture(scope="session")
def saved_files_data():
    """The data of the saved files of earlier format versions under tests/data (v1_*, v4_*)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(11)
    n = 40
    df = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n)})
    eta = 0.3 + df.x - 0.5 * (df.g == "b")
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    return df
