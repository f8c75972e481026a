"""What ``cne_trust`` costs at 70 000 objects, beside the global readout.

MNIST (all 70 000 digits, ``../shared/data/mnist.npz``), PCA to 50
dimensions; the layout is the first two principal components (what is
timed does not depend on how good the layout is). One run each:

    PYTHONPATH=src python benchmarks/trust_cost.py
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA

from napari_cne.analysis.trust import object_trust
from napari_cne.engine.metrics import quality_report

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist.npz"
#: goal: a few seconds on two cores (it runs in the background after a fit)
GOAL_S = 10.0


def main() -> None:
    with np.load(SHARED) as d:
        X = d["X"].astype(np.float32)
    X = PCA(50, random_state=0).fit_transform(X).astype(np.float32)
    Y = X[:, :2].copy()
    t0 = time.perf_counter()
    trust = object_trust(X, Y)
    t_trust = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = quality_report(X, Y)
    t_report = time.perf_counter() - t0
    print(f"{'what':<44} {'seconds':>8} {'mean':>7}")
    print(
        f"{'object_trust, all 70000 objects (auto search)':<44} {t_trust:>8.2f} "
        f"{trust.mean():>7.4f}"
    )
    print(
        f"{'quality_report, 5000 exact queries':<44} {t_report:>8.2f} "
        f"{report['neighbor_preservation']:>7.4f}"
    )
    print(f"ratio trust / readout: {t_trust / t_report:.1f}")
    verdict = "met" if t_trust <= GOAL_S else "NOT MET"
    print(f"goal: cne_trust for 70000 objects within {GOAL_S:.0f} s -> {verdict}")


if __name__ == "__main__":
    main()
