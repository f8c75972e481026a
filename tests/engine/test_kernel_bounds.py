"""The numba kernels stay inside their arrays (compiled with bounds checks).

numba does not check indices, and with ``parallel=True`` it hoists a loop's
invariant reads out of the branch that guards them: a read that the code
never makes at run time can still be made, out of bounds (it once read
``lo[2]`` of a 2-D grid and ``table[1, -1]`` of the empty placeholder
table, a segfault now and then). ``NUMBA_BOUNDSCHECK=1`` turns every such
read into an ``IndexError``.
"""

from .._scripts import crash_report, run_script

SCRIPT = """
import numpy as np
from sklearn.datasets import load_digits
from napari_cne import ContrastiveEmbedding

X = load_digits().data[:400].astype(np.float32)
runs = [
    dict(loss="neg", s=0.0),  # the near field with NEG's table, the mesh
    dict(loss="nce", s=0.0),  # no table
    dict(loss="neg", s=1.0),
    dict(loss="neg", s=0.0, n_components=3),  # a 3-D grid
]
for kw in runs:
    Y = ContrastiveEmbedding(n_epochs=20, random_state=0, **kw).fit(X).embedding_
    assert np.isfinite(Y).all(), kw
print("in bounds")
"""


def test_the_kernels_read_and_write_inside_their_arrays(tmp_path):
    out = run_script(
        SCRIPT,
        timeout=600,
        # compiled apart from the package's cache, which keeps fast code
        env={"NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(tmp_path)},
    )
    assert out.returncode == 0, crash_report(out)
    assert "in bounds" in out.stdout
