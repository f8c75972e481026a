"""The findings workflows: clusters of a fit, robustness from a sweep or a quick one."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from napari_cne.app.events import Done, Progress, Stopped
from napari_cne.app.findings import (
    RobustnessRequest,
    cluster_column,
    cluster_fit,
    robustness,
)
from napari_cne.app.fit import FitRequest
from napari_cne.app.inputs import TableInput
from napari_cne.app.sweep import SweepRequest


def run_to_end(request):
    events = list(request.run())
    return events, events[-1].result


@pytest.fixture(scope="module")
def fit():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(10 * i, 1, (100, 6)) for i in range(3)])
    table = pd.DataFrame(X, columns=list("abcdef"))
    table.loc[5, "a"] = np.nan  # one row left out
    inp = TableInput(table, "t", list("abcdef"), [], "index")
    params = {"random_state": 0, "n_epochs": 80, "n_jobs": 1}
    return run_to_end(FitRequest(inp, params))[1]


def truth(fit):
    return np.repeat([0, 1, 2], 100)[fit.matrix.kept]


def test_cluster_fit_each_method_on_what_it_needs(fit):
    y = truth(fit)
    leiden = cluster_fit(fit, "leiden", resolution=0.1)
    assert leiden.shape == (fit.n_objects,) == (299,)
    assert adjusted_rand_score(y, leiden) == 1.0
    assert (cluster_fit(fit, "leiden", resolution=0.1) == leiden).all()
    assert adjusted_rand_score(y, cluster_fit(fit, "kmeans", n_clusters=3)) == 1.0
    assert adjusted_rand_score(y, cluster_fit(fit, "hdbscan")) > 0.95
    with pytest.raises(ValueError, match="run an embedding first"):
        cluster_fit(None)


def test_cluster_column_never_overwrites():
    assert cluster_column(["a"]) == "cne_cluster"
    assert cluster_column(["cne_cluster", "cne_cluster2"]) == "cne_cluster3"


def test_quick_sweep_leaves_the_map_alone_and_finds_the_islands(fit):
    before, s_before = fit.model.embedding_.copy(), fit.model.s_
    request = RobustnessRequest(fit, truth(fit), n_epochs=30)
    events, result = run_to_end(request)
    assert isinstance(events[-1], Done) and result.swept
    assert [
        e.done for e in events if isinstance(e, Progress) and e.stage == "sweep"
    ] == [
        0,
        1,
        2,
        3,
    ]
    assert sorted(result.layouts) == [0.0, 0.5, 1.0]
    assert (result.table["verdict"] == "separate at every s").all()
    assert (fit.model.embedding_ == before).all() and fit.model.s_ == s_before


def test_given_layouts_are_used_and_groups_per_table_row(fit):
    sweep = run_to_end(
        SweepRequest(fit.matrix, fit.model.get_params(), (0.0, 1.0), 20)
    )[1]
    per_row = np.repeat(["x", "y", "z"], 100).astype(object)  # the table's 300 rows
    request = RobustnessRequest(fit, per_row, (0.0, 1.0), layouts=sweep)
    events, result = run_to_end(request)
    assert not result.swept
    assert not [e for e in events if isinstance(e, Progress) and e.stage == "sweep"]
    assert list(result.table.index) == ["x", "y", "z"]
    # the same table from the synchronous form
    pd.testing.assert_frame_equal(
        robustness(fit, per_row, layouts=sweep, s_values=(0.0, 1.0)), result.table
    )


def test_robustness_stop_and_bad_input(fit):
    request = RobustnessRequest(fit, truth(fit), n_epochs=30)
    request.stop()
    assert isinstance(list(request.run())[-1], Stopped)
    with pytest.raises(ValueError, match="12 group labels for 299 embedded objects"):
        robustness(fit, np.zeros(12))
    with pytest.raises(ValueError, match="run an embedding first"):
        robustness(None, [])
