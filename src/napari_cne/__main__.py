"""``python -m napari_cne`` and the ``napari-cne`` console script.

The command line itself is :mod:`napari_cne.cli` (see docs/cli.md).
"""

import sys

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
