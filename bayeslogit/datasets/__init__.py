"""Embedded example data.

``load_challenger()`` returns the 23 pre-accident Space Shuttle flights (public domain; see
``README.md`` beside this file for the provenance): ``flight``, ``temperature_f`` and
``thermal_distress`` (1 if any field-joint O-ring showed erosion or blow-by).
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["load_challenger"]


def load_challenger() -> pd.DataFrame:
    """Load the Challenger O-ring data (Dalal, Fowlkes & Hoadley 1989) as a DataFrame."""
    with resources.files(__package__).joinpath("challenger.csv").open("r") as fh:
        return pd.read_csv(fh)
