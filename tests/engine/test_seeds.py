"""A seed is a promise: one layout whatever the thread count, process or cache."""

import hashlib

import numpy as np
import pytest

from napari_cne import ContrastiveEmbedding

from .._data import digits
from .._scripts import crash_report, run_script

#: every spectrum position, every loss, 1-D and 3-D, the near and far
#: fields; windows of 10 240 edges (an epoch takes two), so that up to five
#: threads share a window (one a 2 048 edges)
CONFIGS = [
    {"s": -1.0},
    {"s": 0.0},
    {"s": 0.3},
    {"s": 0.5},
    {"s": 1.0},
    {"s": 2.0},
    {"loss": "nce"},
    {"loss": "infonce", "s": 0.0},
    {"loss": "infonce", "s": 1.0},
    {"loss": "umap"},
    {"s": 0.0, "n_components": 3},
    {"s": 0.5, "n_components": 1},
    {"s": 0.5, "edge_weights": "binary", "near_field": 0},
]

#: the script run in fresh processes: a hash per config and thread count
SCRIPT = """
import hashlib, json, numpy as np
from sklearn.datasets import load_digits
from napari_cne import ContrastiveEmbedding
X = load_digits().data[:900]
out = []
for kw in json.loads({configs!r}):
    row = []
    for n_jobs in (1, 2, 4, 8, -1):
        m = ContrastiveEmbedding(
            random_state=3, n_jobs=n_jobs, n_epochs=12, batch_size=10240, **kw
        ).fit(X)
        m.optimize(3, s=0.7)  # a warm start too
        row.append(hashlib.sha256(m.embedding_.tobytes()).hexdigest())
    out.append(row)
print(json.dumps(out))
"""


def _hash(Y) -> str:
    return hashlib.sha256(np.ascontiguousarray(Y).tobytes()).hexdigest()


def test_a_seed_gives_one_layout_at_any_thread_count_fresh_or_cached(tmp_path):
    """n_jobs 1, 2, 4, 8 and -1 (numba allowed 8 threads; from 5 on the
    moves are sorted by block and made in parallel), in a process that
    compiles the kernels afresh and in one that loads them from numba's
    cache: bit-identical layouts, for every config."""
    import json

    code = SCRIPT.format(configs=json.dumps(CONFIGS))
    env = {"NUMBA_NUM_THREADS": "8", "NUMBA_CACHE_DIR": str(tmp_path)}
    runs = []
    for _ in range(2):
        out = run_script(code, timeout=900, env=env)
        assert out.returncode == 0, crash_report(out)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert any(tmp_path.rglob("*.nbc"))  # the second process used the cache
    fresh, cached = runs
    for kw, row in zip(CONFIGS, fresh, strict=True):
        assert len(set(row)) == 1, (kw, row)
    assert fresh == cached


@pytest.mark.parametrize("kw", [{"s": 0.0}, {"s": 0.5}, {"loss": "infonce"}])
def test_two_threads_give_the_one_thread_layout(kw):
    X, _ = digits()
    kw = {"random_state": 5, "n_epochs": 15, "batch_size": 4096, **kw}
    one = ContrastiveEmbedding(n_jobs=1, **kw).fit_transform(X)
    two = ContrastiveEmbedding(n_jobs=2, **kw).fit_transform(X)
    np.testing.assert_array_equal(one, two)
    other = ContrastiveEmbedding(n_jobs=2, **{**kw, "random_state": 6})
    assert not np.array_equal(one, other.fit_transform(X))


@pytest.mark.parametrize(
    "kw", [{"backend": "torch", "s": 0.5}, {"parametric": True, "n_epochs": 3}]
)
def test_the_torch_backend_on_the_cpu_keeps_the_seed_too(kw):
    X, _ = digits()
    kw = {"random_state": 1, "n_epochs": 10, "batch_size": 2048, **kw}
    hashes = {
        _hash(ContrastiveEmbedding(n_jobs=j, **kw).fit_transform(X)) for j in (1, 2)
    }
    assert len(hashes) == 1


def test_n_jobs_changes_the_speed_not_the_neighbours():
    # the kNN search computes every distance directly (no BLAS, whose sums
    # are grouped by its threads): the same graph and weights on any count
    X, _ = digits()
    graphs = [
        ContrastiveEmbedding(n_jobs=j, n_epochs=1, random_state=0).fit(X).graph_
        for j in (1, 2)
    ]
    assert (graphs[0] != graphs[1]).nnz == 0
    np.testing.assert_array_equal(graphs[0].data, graphs[1].data)
