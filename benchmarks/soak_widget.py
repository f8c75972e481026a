"""A long soak of the widget's state machine (tests/_qt/test_state_machine.py).

The test suite runs 20 derandomised sequences; this runs many more, drawn
at random each time, under Xvfb (pytest-xvfb), and prints how many ran,
which actions they took and what they found:

    .venv/bin/python benchmarks/soak_widget.py --sequences 1000 --steps 20

A failure prints hypothesis's shortest failing sequence of actions.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sequences", type=int, default=500)
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args()
    os.environ.update(
        NAPARI_CNE_SEQUENCES=str(args.sequences),
        NAPARI_CNE_STEPS=str(args.steps),
        NAPARI_CNE_RANDOM="1",
    )
    import pytest

    t0 = time.perf_counter()
    code = pytest.main(
        [
            str(ROOT / "tests/_qt/test_state_machine.py"),
            "-q",
            "-s",
            "-p",
            "no:cacheprovider",
            "-W",
            "ignore::DeprecationWarning",
        ]
    )
    print(f"soak: {time.perf_counter() - t0:.0f} s, exit status {int(code)}")
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
