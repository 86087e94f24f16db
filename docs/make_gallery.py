"""Draw the README's figure gallery into docs/gallery/ (run: python docs/make_gallery.py).

Every figure bayeslogit draws, on one simulated data set (seeded), saved as small PNGs.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

import bayeslogit as bl

matplotlib.use("Agg")
OUT = Path(__file__).resolve().parent / "gallery"
DPI = 60


def data(seed: int = 7, n: int = 300) -> pd.DataFrame:
    """Return a seeded study: age (years), dose (mg) and smoking status, and a 0/1 outcome."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"age": rng.normal(50, 10, n), "dose": rng.gamma(2, 1, n),
                       "smoker": rng.integers(0, 2, n)})
    eta = -1 + 0.04 * (df.age - 50) + 0.5 * df.dose + 0.8 * df.smoker
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    return df


def main() -> None:
    """Write the gallery's PNGs."""
    OUT.mkdir(exist_ok=True)
    model = bl.Logit.from_formula("y ~ age + dose + smoker", data())
    mle = model.fit()
    post = model.sample(sampler="gibbs", random_seed=1, progressbar=False)
    figures = {
        "compare": bl.plot_compare({"MLE": mle, "MAP": model.fit(method="map"),
                                    "Posterior": post}),
        "trace": post.plot_trace(),
        "power_scaling": post.plot_power_scaling(),
        "sensitivity_normal": bl.prior_sensitivity(model, prior=bl.Normal).plot(),
        "sensitivity_laplace_per_sd": bl.prior_sensitivity(
            model, prior=bl.Laplace).plot(units="per_sd"),
    }
    for name, fig in figures.items():
        fig.savefig(OUT / f"{name}.png", dpi=DPI)
        print(f"wrote {OUT / name}.png")


if __name__ == "__main__":
    main()
