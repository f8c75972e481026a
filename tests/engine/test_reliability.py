"""The bad-input matrix (docs/reliability.md) at the engine level.

Every case gives a clear message or a correct result and leaves the user's
data untouched; the same rows through the dock widget are in
``tests/_qt/test_reliability.py``, those of the feature tables in
``tests/features/test_reliability.py``.
"""

from __future__ import annotations

import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest

from napari_cne import ContrastiveEmbedding
from napari_cne.features import feature_matrix, object_features

from .._data import discs, grid_discs
from .._memory import assert_memory_message, fake_low_memory
from .._scripts import crash_report, run_script

NON_ASCII = "Zellkerne μm ✓ 核"


def test_engine_nan_inf_message_and_data_untouched():
    rng = np.random.default_rng(0)
    for bad, word in ((np.nan, "NaN"), (np.inf, "infinite"), (-np.inf, "infinite")):
        X = rng.normal(size=(40, 4))
        X[[3, 17], 1] = bad
        before = X.copy()
        with pytest.raises(ValueError, match=rf"2 {word}.*2 rows.*row 3"):
            ContrastiveEmbedding(n_epochs=5).fit(X)
        np.testing.assert_array_equal(X, before)
        df = pd.DataFrame(X, columns=list("abcd"))
        with pytest.raises(ValueError, match=word):
            ContrastiveEmbedding(n_epochs=5).fit(df)


def test_one_object_engine_and_features():
    lab = discs((40, 40), [(20, 20)], [6])
    df = object_features(lab, {"c": lab * 2.0})
    assert len(df) == 1 and df["label"].tolist() == [1]
    with pytest.raises(ValueError, match="at least 3") as err:
        feature_matrix(df)
    # the table is complete: talk about objects, not missing values
    assert "missing" not in str(err.value)
    with pytest.raises(ValueError, match="at least 3 samples"):
        ContrastiveEmbedding(n_epochs=5).fit(np.array([[1.0, 2.0]]))
    with pytest.raises(ValueError, match="at least 3 samples"):
        ContrastiveEmbedding(n_epochs=5).fit(np.array([[1.0, 2.0], [3.0, 1.0]]))


@pytest.mark.parametrize("init", ["pca", "spectral", "random"])
@pytest.mark.parametrize("n", [3, 5])
def test_engine_tiny_n_reduces_k(n, init):
    X = np.random.default_rng(n).normal(size=(n, 5))
    with pytest.warns(UserWarning, match=f"using n_neighbors={n - 1}"):
        m = ContrastiveEmbedding(n_epochs=10, n_neighbors=15, init=init).fit(X)
    assert m.n_neighbors_ == n - 1
    assert m.embedding_.shape == (n, 2) and np.isfinite(m.embedding_).all()


def test_engine_impossible_input_fails_before_allocating():
    # 10**13 rows x 50: a read-only broadcast view, no memory behind it
    X = np.broadcast_to(np.linspace(0, 1, 50, dtype=np.float32), (10**13, 50))
    t0 = time.perf_counter()
    with pytest.raises((MemoryError, ValueError)) as err:
        ContrastiveEmbedding(n_epochs=5).fit(X)
    assert time.perf_counter() - t0 < 5
    assert_memory_message(err.value)


def test_engine_million_rows_checked_against_available_memory(monkeypatch):
    X = np.broadcast_to(np.linspace(0, 1, 50, dtype=np.float32), (10**6, 50))
    fake_low_memory(monkeypatch, 64 * 2**20)  # "64 MiB free"
    t0 = time.perf_counter()
    with pytest.raises((MemoryError, ValueError)) as err:
        ContrastiveEmbedding(n_epochs=5).fit(X)
    assert time.perf_counter() - t0 < 5
    assert_memory_message(err.value)


def test_engine_stop_from_another_thread_mid_run():
    from sklearn.datasets import load_digits

    X = load_digits().data.astype(np.float32)
    timer = []

    def start_timer(epoch, loss, emb):
        if epoch == 3:
            timer.append(threading.Timer(0.05, m.stop))
            timer[0].start()

    m = ContrastiveEmbedding(
        n_epochs=100_000, random_state=0, callbacks=start_timer, callbacks_every=1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # constant pixel columns
        t0 = time.perf_counter()
        m.fit(X)
    assert time.perf_counter() - t0 < 30
    timer[0].join()
    assert m.stopped_early_ and 3 <= m.n_epochs_ < 100_000
    assert len(m.losses_) == m.n_epochs_
    assert np.isfinite(m.embedding_).all()
    np.testing.assert_array_equal(m.embedding_, m._backend.layout())
    m.optimize(5)  # the partial layout can be continued
    assert not m.stopped_early_ and np.isfinite(m.embedding_).all()


def test_engine_two_models_in_two_threads():
    from sklearn.datasets import load_digits

    X = load_digits().data[:600].astype(np.float32)
    kw = {"n_epochs": 20, "random_state": 0, "n_neighbors": 10}

    def one_thread_fit():
        # bit-reproducible needs one kernel thread
        return ContrastiveEmbedding(**kw, n_jobs=1).fit_transform(X)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ref = one_thread_fit()
        out = [None, None]

        def fit(i):
            out[i] = one_thread_fit()

        threads = [threading.Thread(target=fit, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    for Y in out:
        np.testing.assert_array_equal(Y, ref)


def test_engine_one_model_fitted_twice_at_once():
    """A second concurrent fit of the same model is refused, not interleaved.

    In a fresh interpreter: interleaved fits index one run's graph into the
    other's layout (numba kernels do not check bounds).
    """
    out = run_script(
        """
        import threading, warnings
        import numpy as np
        from sklearn.datasets import load_digits
        from napari_cne import ContrastiveEmbedding

        warnings.simplefilter("ignore")
        X = load_digits().data.astype(np.float32)
        m = ContrastiveEmbedding(n_epochs=60, random_state=0)
        barrier = threading.Barrier(2)
        errors = []

        def go(data):
            barrier.wait()
            try:
                m.fit(data)
            except Exception as err:
                errors.append(f"{type(err).__name__}: {err}")

        ts = [threading.Thread(target=go, args=(d,)) for d in (X, X[:900])]
        [t.start() for t in ts]
        [t.join() for t in ts]
        n = m.embedding_.shape[0]
        ok = (
            np.isfinite(m.embedding_).all()
            and m.graph_.shape == (n, n)
            and len(m.losses_) == m.n_epochs_
        )
        print("ERRORS", len(errors), errors)
        print("CONSISTENT", bool(ok), n)
        """
    )
    assert out.returncode == 0, crash_report(out)
    lines = dict(line.split(" ", 1) for line in out.stdout.strip().splitlines())
    # exactly one fit ran; the other was refused with a clear message
    assert lines["ERRORS"].startswith("1 "), out.stdout
    assert "RuntimeError" in lines["ERRORS"] and "already" in lines["ERRORS"], (
        out.stdout
    )
    assert lines["CONSISTENT"].startswith("True"), out.stdout


def test_engine_non_ascii_column_names():
    rng = np.random.default_rng(0)
    cols = ["Fläche µm²", "DNA ✓ 核", "Zellkerne"]
    df = pd.DataFrame(rng.normal(size=(50, 3)), columns=cols)
    m = ContrastiveEmbedding(n_epochs=5).fit(df)
    assert m.feature_columns_ == cols
    lab, image = grid_discs(5)
    feats = object_features(lab, {"DNA ✓ 核": image})
    assert "DNA ✓ 核_mean" in feats.columns
    X, _, used = feature_matrix(feats, ["area", "DNA ✓ 核_mean"])
    assert used == ["area", "DNA ✓ 核_mean"]
