"""ContrastiveEmbedding is a scikit-learn transformer."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from napari_cne import ContrastiveEmbedding

from .._data import digits
from .._scripts import crash_report, run_script


@parametrize_with_checks([ContrastiveEmbedding(n_epochs=20, random_state=0)])
def test_scikit_learn_estimator_checks(estimator, check):
    # every check passes: none is declared an expected failure
    name = getattr(check, "func", check).__name__
    if name == "check_array_api_input":
        # scipy reads SCIPY_ARRAY_API when it is imported: a fresh process
        out = run_script(
            """
            from sklearn.utils.estimator_checks import check_array_api_input
            from napari_cne import ContrastiveEmbedding
            check_array_api_input(
                "ContrastiveEmbedding",
                ContrastiveEmbedding(n_epochs=20, random_state=0),
                array_namespace="numpy",
                expect_only_array_outputs=False,
            )
            """,
            env={"SCIPY_ARRAY_API": "1"},
        )
        assert out.returncode == 0, crash_report(out)
        return
    check(estimator)


def test_it_works_in_a_pipeline_and_places_rows_as_the_fit_did():
    X, _ = digits()
    X = X[:600]
    pipe = make_pipeline(StandardScaler(), ContrastiveEmbedding(random_state=0))
    Y = pipe.fit_transform(X)
    assert Y.shape == (600, 2) and Y.dtype == np.float32
    # the training rows land on their own places, new ones near their kin
    np.testing.assert_array_equal(pipe.transform(X), Y)
    np.testing.assert_array_equal(pipe.fit(X).transform(X), Y)


def test_clone_and_get_params_follow_scikit_learn():
    m = ContrastiveEmbedding(s=0.3, n_neighbors=10, random_state=4)
    c = clone(m)
    assert c is not m and c.get_params() == m.get_params()
    assert "s=0.3" in repr(m)
    with pytest.raises(ValueError, match="Invalid parameter"):
        m.set_params(no_such_thing=1)


def test_set_output_pandas_names_the_columns_as_the_plugin_does():
    X, _ = digits()
    df = pd.DataFrame(X[:400], columns=[f"f{i}" for i in range(X.shape[1])])
    m = ContrastiveEmbedding(n_epochs=30, random_state=0).set_output(transform="pandas")
    out = m.fit_transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["cne_0", "cne_1"]
    assert list(out.index) == list(df.index)
    assert list(m.feature_names_in_) == list(df.columns)
    assert m.n_features_in_ == X.shape[1]
    # constant columns are dropped from what the model uses, not from X
    assert len(m.kept_features_) < X.shape[1]
    placed = m.transform(df.iloc[:5])
    assert isinstance(placed, pd.DataFrame) and placed.shape == (5, 2)
    # columns in another order are refused by name, as scikit-learn does
    with pytest.raises(ValueError, match="feature names"):
        m.transform(df[df.columns[::-1]])


def test_unfitted_model_raises_not_fitted_error():
    m = ContrastiveEmbedding()
    X, _ = digits()
    for call in (
        lambda: m.transform(X[:3]),
        lambda: m.optimize(5),
        lambda: m.get_feature_names_out(),
        lambda: m.training_data_,
    ):
        with pytest.raises(NotFittedError, match="not fitted"):
            call()


def test_float32_out_whatever_the_input():
    X, _ = digits()
    for dtype in (np.float64, np.float32, np.int64):
        Y = ContrastiveEmbedding(n_epochs=5, random_state=0).fit_transform(
            X[:200].astype(dtype)
        )
        assert Y.dtype == np.float32
