"""The command line at scale: embed-images, embed-pixels, transform, --scheduler.

The CLI runs in-process through ``napari_cne.__main__.main`` as in
``test_cli.py``; the data are cut from the bundled sample (a 512 x 512 DNA
image and its 313 nuclei), and every fit is short (few epochs, one thread).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from napari_cne.__main__ import main
from napari_cne.data import load_human_mitosis
from tests.cli.test_cli import assert_one_line_error, sidecar

FAST = ["--n-epochs", "30", "--n-jobs", "1"]
PIXELS = [*FAST, "--max-pixels", "1500", "--method", "interpolate"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def write_fields(folder: Path, n: int = 3) -> list[int]:
    """Cut the sample into ``n`` fields: labels, DNA, its inverse, a 2-channel image.

    Returns the number of objects in each field.
    """
    import tifffile

    dna, labels = load_human_mitosis()
    folder.mkdir(parents=True, exist_ok=True)
    h = dna.shape[0] // n
    counts = []
    for i in range(n):
        cut = slice(i * h, (i + 1) * h)
        lab, img = labels[cut], dna[cut]
        tifffile.imwrite(folder / f"well{i}_labels.tif", lab)
        tifffile.imwrite(folder / f"well{i}_dna.tif", img)
        tifffile.imwrite(folder / f"well{i}_inv.tif", dna.max() - img)
        tifffile.imwrite(folder / f"well{i}_image.tif", np.stack([img, img // 2]))
        counts.append(len(np.setdiff1d(np.unique(lab), [0])))
    return counts


def pixel_image() -> np.ndarray:
    """A 3-channel (c, y, x) 200 x 200 image from the sample's DNA channel."""
    dna, _ = load_human_mitosis()
    d = dna[:200, :200].astype(np.float32) / float(dna.max())
    smooth = (d + np.roll(d, 1, 0) + np.roll(d, 1, 1)) / 3
    return np.stack([d, smooth, 1 - d**2]).astype(np.float32)


def small_table(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (n // 2, 5)), rng.normal(4, 1, (n // 2, 5))])
    table = pd.DataFrame(X, columns=list("abcde"))
    table["a"] = table["a"].abs()
    table.insert(0, "label", np.arange(1, n + 1))
    return table


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The fields, the pixel image (.tif and .npy), a table; models fitted once."""
    import tifffile

    d = tmp_path_factory.mktemp("scale")
    counts = write_fields(d / "fields")
    img = pixel_image()
    tifffile.imwrite(d / "img.tif", img, photometric="minisblack")
    np.save(d / "img.npy", img)
    small_table().to_csv(d / "t.csv", index=False)
    for argv in (
        ["embed", d / "t.csv", "-o", d / "t_cne.csv", "--save-model", d / "t.pt"],
        [
            "embed-pixels",
            d / "img.tif",
            "-o",
            d / "px.npy",
            "--save-model",
            d / "px.pt",
            "--max-pixels",
            "1500",
            "--method",
            "interpolate",
        ],
    ):
        assert main([str(a) for a in [*argv, *FAST, "-q"]]) == 0
    return d, counts


# --------------------------------------------------------------- embed-images
def test_embed_images_embeds_every_object_of_every_field(capsys, files, tmp_path):
    d, counts = files
    out, plot, model = tmp_path / "cells.csv", tmp_path / "cells.png", tmp_path / "c.pt"
    rc, stdout, err = run(
        capsys,
        "embed-images",
        d / "fields",
        "--labels",
        "*_labels.tif",
        "--channel",
        "DNA=*_dna.tif",
        "--channel",
        "inv=*_inv.tif",
        "-o",
        out,
        "--plot",
        plot,
        "--save-model",
        model,
        *FAST,
    )
    assert rc == 0, err
    res = pd.read_csv(out)
    assert len(res) == sum(counts)
    where = ["centroid_y", "centroid_x", "bbox_y0", "bbox_y1", "bbox_x0", "bbox_x1"]
    assert list(res.columns[:9]) == ["source", "label", *where, "area"]
    # each row leads back to its object: the box holds it, the centroid is its mean
    _, labels = load_human_mitosis()
    row = res[res["source"] == "well0"].iloc[5]
    ys, xs = np.nonzero(labels[: labels.shape[0] // 3] == row["label"])
    assert (row["bbox_y0"], row["bbox_y1"]) == (ys.min(), ys.max() + 1)
    assert (row["bbox_x0"], row["bbox_x1"]) == (xs.min(), xs.max() + 1)
    assert np.isclose(row["centroid_y"], ys.mean()) and np.isclose(
        row["centroid_x"], xs.mean()
    )
    assert res["source"].value_counts().sort_index().tolist() == counts
    assert {"DNA_mean", "inv_mean", "cne_0", "cne_1"} <= set(res.columns)
    assert res[["cne_0", "cne_1"]].notna().all().all()
    assert "3 fields (well0, well1, well2)" in stdout
    assert f"{sum(counts)} objects" in stdout
    data = plot.read_bytes()  # coloured by source by default: a legend
    assert data[:8] == PNG_MAGIC and len(data) > 10_000
    rec = sidecar(out)
    assert set(rec["extra"]["sources"]) == {"well0", "well1", "well2"}
    assert "source" not in rec["columns"] and "label" not in rec["columns"]
    assert not set(where) & set(rec["columns"])  # positions are no features
    extra = json.loads(Path(str(model) + ".json").read_text())["extra"]
    assert extra["kind"] == "objects"
    assert extra["patterns"]["labels"] == "*_labels.tif"
    # the model measures a folder with its patterns, and places its objects
    again = tmp_path / "again.csv"
    rc, stdout, err = run(
        capsys, "transform", model, d / "fields", "-o", again, "--method", "interpolate"
    )
    assert rc == 0, err
    assert "3 fields" in stdout and f"{sum(counts)} of {sum(counts)} placed" in stdout
    placed = pd.read_csv(again)
    pd.testing.assert_frame_equal(placed[res.columns[:-2]], res[res.columns[:-2]])
    np.testing.assert_allclose(
        placed[["cne_0", "cne_1"]], res[["cne_0", "cne_1"]], atol=1e-4
    )
    # a multichannel image per field: channels ch0, ch1
    rc, _, err = run(
        capsys,
        "embed-images",
        d / "fields",
        "--labels",
        "*_labels.tif",
        "--images",
        "*_image.tif",
        "-o",
        tmp_path / "c2.npy",
        "--no-quality",
        *FAST,
    )
    assert rc == 0, err
    assert {"ch0_mean", "ch1_mean"} <= set(sidecar(tmp_path / "c2.npy")["columns"])
    assert np.load(tmp_path / "c2.npy").shape == (sum(counts), 2)


def test_embed_images_with_a_time_axis_keeps_the_frame(capsys, tmp_path):
    import tifffile

    dna, labels = load_human_mitosis()
    h = dna.shape[0] // 3
    frames = [slice(i * h, (i + 1) * h) for i in range(3)]
    folder = tmp_path / "movie"
    folder.mkdir()
    for name, img in (("labels", labels), ("dna", dna)):
        stack = np.stack([img[f] for f in frames])
        tifffile.imwrite(folder / f"a_{name}.tif", stack, photometric="minisblack")
    out = tmp_path / "m.csv"
    rc, stdout, err = run(
        capsys,
        "embed-images",
        folder,
        "--labels",
        "*_labels.tif",
        "--channel",
        "DNA=*_dna.tif",
        "--time-axis",
        "0",
        "-o",
        out,
        "--no-quality",
        *FAST,
    )
    assert rc == 0, err
    res = pd.read_csv(out)
    assert list(res.columns[:3]) == ["source", "label", "frame"]
    assert sorted(res["frame"].unique()) == [0, 1, 2]
    assert "frame" not in sidecar(out)["columns"]


# ------------------------------------------------------- engine flags, models
def test_n_components_exaggeration_and_params_precedence(capsys, files, tmp_path):
    d, _ = files
    out = tmp_path / "o.csv"
    rc, _, err = run(
        capsys,
        "embed",
        d / "t.csv",
        "-o",
        out,
        *FAST,
        "--n-components",
        "3",
        "--exaggeration",
        "1.5",
    )
    assert rc == 0, err
    res = pd.read_csv(out)
    assert list(res.columns[-4:]) == ["cne_0", "cne_1", "cne_2", "cne_trust"]
    assert res[["cne_0", "cne_1", "cne_2"]].notna().all().all()
    rec = sidecar(out)
    assert rec["params"]["n_components"] == 3 and rec["params"]["exaggeration"] == 1.5
    # the record is a parameter set; flags still override it
    again = tmp_path / "again.npy"
    rc, _, err = run(
        capsys,
        "embed",
        d / "t.csv",
        "-o",
        again,
        "--params",
        str(out) + ".json",
        "--n-components",
        "2",
    )
    assert rc == 0, err
    rec2 = sidecar(again)
    assert rec2["params"]["n_components"] == 2 and np.load(again).shape == (300, 2)
    assert rec2["params"]["exaggeration"] == 1.5


def test_save_model_then_transform_places_the_rows_where_they_were(
    capsys, files, tmp_path
):
    d, _ = files
    fitted = pd.read_csv(d / "t_cne.csv")[["cne_0", "cne_1"]].to_numpy()
    assert sidecar(d / "t_cne.csv")["extra"]["saved_model"] == str(d / "t.pt")
    out = tmp_path / "again.csv"
    rc, stdout, err = run(
        capsys,
        "transform",
        d / "t.pt",
        d / "t_cne.csv",
        "-o",
        out,
        "--method",
        "interpolate",
    )
    assert rc == 0, err
    res = pd.read_csv(out)
    # the input already has cne_0, cne_1: the new columns do not overwrite them
    assert list(res.columns[-2:]) == ["cne2_0", "cne2_1"]
    np.testing.assert_allclose(res[["cne2_0", "cne2_1"]], fitted, atol=1e-4)
    assert "300 of 300 placed (interpolate)" in stdout
    rec = sidecar(out)
    assert rec["extra"]["method"] == "interpolate" and rec["columns"] == list("abcde")
    # the default for a free layout: optimise each new row against the layout
    rc, _, err = run(
        capsys,
        "transform",
        d / "t.pt",
        d / "t.csv",
        "-o",
        tmp_path / "opt.npy",
        "--n-epochs",
        "30",
    )
    assert rc == 0, err
    Y = np.load(tmp_path / "opt.npy")
    spread = np.ptp(fitted, axis=0).max()
    assert np.median(np.abs(Y - fitted).max(axis=1)) < 0.1 * spread
    assert sidecar(tmp_path / "opt.npy")["extra"]["method"] == "optimize"


def test_transform_leaves_incomplete_rows_out_and_names_missing_columns(
    capsys, files, tmp_path
):
    d, _ = files
    t = small_table()
    t.loc[[4, 9], "c"] = np.nan
    t.to_csv(tmp_path / "holes.csv", index=False)
    rc, stdout, err = run(
        capsys,
        "transform",
        d / "t.pt",
        tmp_path / "holes.csv",
        "-o",
        tmp_path / "h.npy",
        "--method",
        "interpolate",
    )
    assert rc == 0, err
    assert "2 of 300 rows have missing or infinite values" in err
    Y = np.load(tmp_path / "h.npy")
    assert np.flatnonzero(np.isnan(Y).any(axis=1)).tolist() == [4, 9]
    t.drop(columns=["b", "d"]).to_csv(tmp_path / "less.csv", index=False)
    rc, out, err = run(
        capsys, "transform", d / "t.pt", tmp_path / "less.csv", "-o", tmp_path / "x.csv"
    )
    assert_one_line_error(rc, out, err, "lacks the column(s) 'b', 'd'")


def test_a_parametric_model_transforms_with_its_network(capsys, files, tmp_path):
    d, _ = files
    model = tmp_path / "p.pt"
    rc, _, err = run(
        capsys,
        "embed",
        d / "t.csv",
        "-o",
        tmp_path / "p.npy",
        "--parametric",
        "--n-epochs",
        "5",
        "--n-jobs",
        "1",
        "--no-quality",
        "--save-model",
        model,
    )
    assert rc == 0, err
    assert sidecar(tmp_path / "p.npy")["params"]["parametric"] is True
    rc, stdout, err = run(
        capsys, "transform", model, d / "t.csv", "-o", tmp_path / "q.npy"
    )
    assert rc == 0, err
    assert "(network)" in stdout
    assert np.isfinite(np.load(tmp_path / "q.npy")).all()


# ---------------------------------------------------------------- every pixel
def test_embed_pixels_places_every_pixel_and_paints_them(capsys, files, tmp_path):
    import imageio.v3 as iio
    import tifffile
    import zarr

    d, _ = files
    coords = np.load(d / "px.npy")
    assert coords.shape == (2, 200, 200) and np.isfinite(coords).all()
    assert coords.reshape(2, -1).std(axis=1).min() > 0
    rec = sidecar(d / "px.npy")
    assert rec["extra"]["sample"]["pixels"] == 1500
    assert rec["extra"]["method"] == "interpolate"
    rgb, out = tmp_path / "rgb.png", tmp_path / "c.npy"
    rc, stdout, err = run(
        capsys,
        "embed-pixels",
        d / "img.tif",
        "-o",
        out,
        "--rgb",
        rgb,
        *PIXELS,
        "--progress",
        "--tile-pixels",
        "10000",
    )
    assert rc == 0, err
    np.testing.assert_array_equal(np.load(out), coords)  # seeded, one thread
    picture = iio.imread(rgb)
    assert picture.shape == (200, 200, 4) and (picture[..., 3] == 255).all()
    assert len(np.unique(picture[..., :3].reshape(-1, 3), axis=0)) > 50
    assert "placing pixels" in err and "4/4" in err
    assert "40000 pixels (interpolate), 4 of 4 tiles" in stdout
    # the saved model places the pixels of another file alike, into zarr
    rc, _, err = run(
        capsys,
        "transform",
        d / "px.pt",
        d / "img.npy",
        "-o",
        tmp_path / "t.zarr",
        "--rgb",
        tmp_path / "t.tif",
    )
    assert rc == 0, err
    np.testing.assert_allclose(
        zarr.open_array(tmp_path / "t.zarr")[:], coords, atol=1e-5
    )
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "t.tif"), picture)


def test_a_mask_leaves_the_other_pixels_nan(capsys, files, tmp_path):
    import tifffile

    d, _ = files
    mask = np.zeros((200, 200), np.uint8)
    mask[40:160, 30:170] = 1
    tifffile.imwrite(tmp_path / "mask.tif", mask)
    out = tmp_path / "m.zarr"
    rc, stdout, err = run(
        capsys,
        "embed-pixels",
        d / "img.tif",
        "-o",
        out,
        "--mask",
        tmp_path / "mask.tif",
        "--n-components",
        "3",
        "--rgb",
        tmp_path / "m.png",
        *PIXELS,
        "--no-quality",
    )
    assert rc == 0, err
    import zarr

    c = zarr.open_array(out)[:]
    assert c.shape == (3, 200, 200)
    assert np.isfinite(c[:, mask == 1]).all() and np.isnan(c[:, mask == 0]).all()
    assert f"{int(mask.sum())} pixels" in stdout


def test_scheduler_local_gives_the_single_process_result(capsys, files, tmp_path):
    d, _ = files
    out = tmp_path / "local.npy"
    rc, stdout, err = run(
        capsys,
        "embed-pixels",
        d / "img.tif",
        "-o",
        out,
        *PIXELS,
        "--scheduler",
        "local",
        "--tile-pixels",
        "10000",
        "--no-quality",
    )
    assert rc == 0, err
    assert "in tcp://" in stdout and "workers)" in stdout
    np.testing.assert_array_equal(np.load(out), np.load(d / "px.npy"))
    assert sidecar(out)["extra"]["scheduler"] == "local"


@pytest.fixture(scope="module")
def scheduler_address():
    """A cluster in this process (threads): its address, as a remote one's."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def test_scheduler_address_measures_fields_and_places_pixels(
    capsys, files, tmp_path, scheduler_address
):
    d, _ = files
    common = [
        "--labels",
        "*_labels.tif",
        "--channel",
        "DNA=*_dna.tif",
        "--no-quality",
        *FAST,
    ]
    rc, _, err = run(
        capsys, "embed-images", d / "fields", "-o", tmp_path / "a.csv", *common
    )
    assert rc == 0, err
    rc, stdout, err = run(
        capsys,
        "embed-images",
        d / "fields",
        "-o",
        tmp_path / "b.csv",
        *common,
        "--scheduler",
        scheduler_address,
    )
    assert rc == 0, err
    assert f"measured in {scheduler_address} (2 workers)" in stdout
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "b.csv"), pd.read_csv(tmp_path / "a.csv")
    )
    rc, _, err = run(
        capsys,
        "transform",
        d / "px.pt",
        d / "img.tif",
        "-o",
        tmp_path / "c.npy",
        "--scheduler",
        scheduler_address,
        "--tile-pixels",
        "5000",
    )
    assert rc == 0, err
    np.testing.assert_allclose(
        np.load(tmp_path / "c.npy"), np.load(d / "px.npy"), atol=1e-5
    )


def test_memory_check_refuses_an_in_memory_result_before_any_work(
    capsys, files, tmp_path, monkeypatch
):
    from napari_cne.engine import validation

    d, _ = files
    # image 480 000 bytes, coordinates 320 000, picture 160 000
    monkeypatch.setattr(validation, "available_memory", lambda: 700_000)
    rc, out, err = run(
        capsys,
        "embed-pixels",
        d / "img.tif",
        "-o",
        tmp_path / "c.npy",
        "--rgb",
        tmp_path / "r.png",
        *PIXELS,
    )
    assert_one_line_error(
        rc,
        out,
        err,
        "needs about 0.9 MiB",
        "coordinates 0.3 MiB",
        "-o coords.zarr and --rgb rgb.zarr",
    )
    assert not (tmp_path / "c.npy").exists()
    rc, out, err = run(
        capsys, "transform", d / "px.pt", d / "img.tif", "-o", tmp_path / "t.npy"
    )
    assert_one_line_error(rc, out, err, "-o coords.zarr")
    # on disk, only the image is held in memory: it fits
    rc, _, err = run(
        capsys,
        "transform",
        d / "px.pt",
        d / "img.tif",
        "-o",
        tmp_path / "t.zarr",
        "--rgb",
        tmp_path / "t_rgb.zarr",
    )
    assert rc == 0, err


# ------------------------------------------------------------------ bad input
def test_bad_input_at_scale_is_one_line_naming_the_files(capsys, files, tmp_path):
    import tifffile

    d, _ = files
    bad = tmp_path / "bad"
    write_fields(bad)
    tifffile.imwrite(bad / "well1_dna.tif", np.zeros((10, 10), np.uint8))
    (bad / "well2_inv.tif").write_text("not a tiff")
    (tmp_path / "notes.tif").write_text("not a tiff")
    good = (d / "img.tif").read_bytes()
    # a broken TIFF: tifffile logs and fails with "list index out of range"
    broken = bytearray(good)
    broken[4:8] = b"\xff\xff\xff\x0f"  # the offset of the first page
    (tmp_path / "broken.tif").write_bytes(bytes(broken))
    np.save(tmp_path / "two.npy", np.zeros((2, 200, 200), np.float32))
    tifffile.imwrite(tmp_path / "small.tif", np.ones((100, 200), np.uint8))
    from napari_cne import load_model, save_model

    save_model(load_model(d / "t.pt"), tmp_path / "bare.pt")  # no scaling kept
    f, o = d / "fields", ["-o", tmp_path / "o.csv"]
    lab = ["--labels", "*_labels.tif"]
    img, px = d / "img.tif", ["-o", tmp_path / "p.npy"]
    cases = [
        (
            ["embed-images", f, "--labels", "*_mask.tif", *o],
            ["matches '*_mask.tif'", "well0_dna.tif", "well2_labels.tif"],
        ),
        (
            ["embed-images", f, *lab, "--channel", "DNA=*_rna.tif", *o],
            ["field 'well0'", "'*_rna.tif'"],
        ),
        (
            ["embed-images", bad, *lab, "--channel", "DNA=*_dna.tif", *o],
            [
                "well1_dna.tif has shape (10, 10)",
                "well1_labels.tif has shape (170, 512)",
            ],
        ),
        (
            ["embed-images", bad, *lab, "--channel", "inv=*_inv.tif", *o],
            ["cannot read 'well2_inv.tif' as an image"],
        ),
        (["embed-images", d / "t.csv", *lab, *o], ["not a folder"]),
        (["embed-images", f, *lab, "--channel", "DNA", *o], ["NAME=PATTERN"]),
        (["embed-images", f, "--labels", "labels.tif", *o], ["'{field}'"]),
        (
            [
                "embed-images",
                f,
                *lab,
                *o,
                "--save-model",
                tmp_path / "m.pt",
                "--sweep",
                "0,1",
            ],
            ["--sweep"],
        ),
        (["embed-pixels", tmp_path / "notes.tif", *px], ["cannot read 'notes.tif'"]),
        (["embed-pixels", d / "t.csv", *px], ["'t.csv' is not an image"]),
        (
            ["embed-pixels", tmp_path / "broken.tif", *px, "-q"],
            ["cannot read 'broken.tif'", "not a readable TIFF", "invalid offset"],
        ),
        (
            ["embed-pixels", img, *px, "--mask", tmp_path / "small.tif"],
            ["small.tif has shape (100, 200)", "img.tif have shape (200, 200)"],
        ),
        (["embed-pixels", img, "-o", tmp_path / "p.csv"], [".npy", ".zarr"]),
        (["embed-pixels", img, *px, "--rgb", tmp_path / "r.jpg"], ["--rgb"]),
        (["embed-pixels", img, *px, "--channel-axis", "3"], ["out of range"]),
        (["embed-pixels", img, *px, "--method", "network"], ["--parametric"]),
        (
            ["embed-pixels", img, *px, "--scheduler", "nonsense"],
            ["cannot connect to the dask scheduler 'nonsense'"],
        ),
        (["transform", d / "t.csv", d / "t.csv", *o], ["not a model saved"]),
        (
            ["transform", tmp_path / "bare.pt", d / "t.csv", *o],
            ["without the scaling of its features"],
        ),
        (["transform", d / "t.pt", img, *px], ["fitted on a table", "embed-pixels"]),
        (["transform", d / "px.pt", d / "t.csv", *o], ["pixels", "not a table"]),
        (
            ["transform", d / "px.pt", tmp_path / "two.npy", *px],
            ["2 channel(s)", "fitted on 3 (ch0, ch1, ch2)"],
        ),
        (
            ["transform", d / "px.pt", img, *px, "--method", "optimize"],
            ["interpolate or network"],
        ),
        (
            ["transform", d / "t.pt", d / "t.csv", *o, "--method", "network"],
            ["--parametric"],
        ),
        (["transform", tmp_path / "none.pt", d / "t.csv", *o], ["not found"]),
        (["embed", d / "t.csv", *o, "--n-components", "4"], ["--n-components"]),
        (["embed", d / "t.csv", *o, "--exaggeration", "0"], ["--exaggeration"]),
    ]
    for argv, fragments in cases:
        rc, out, err = run(capsys, *argv)
        assert_one_line_error(rc, out, err, *fragments)
        assert "Traceback" not in err
    assert not (tmp_path / "o.csv").exists() and not (tmp_path / "p.npy").exists()


def test_help_lists_the_new_commands_and_options(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for cmd in ("embed-images", "embed-pixels", "transform"):
        assert cmd in text
    for cmd, options in {
        "embed": ["--n-components", "--parametric", "--exaggeration", "--save-model"],
        "embed-images": [
            "--labels",
            "--images",
            "--channel",
            "--scheduler",
            "--class-column",
            "--time-axis",
        ],
        "embed-pixels": [
            "--channel-axis",
            "--max-pixels",
            "--mask",
            "--rgb",
            "--tile-pixels",
            "--scheduler",
            "LocalCluster",
        ],
        "transform": ["--method", "--rgb", "--scheduler", "--mask"],
    }.items():
        assert main([cmd, "--help"]) == 0
        text = capsys.readouterr().out
        for option in options:
            assert option in text, (cmd, option)


def test_plots_of_placed_rows_and_of_the_pixel_colour_key(capsys, files, tmp_path):
    import imageio.v3 as iio

    d, _ = files
    # new rows (the fitted ones would land on their own points and hide them)
    new = small_table()
    cols = list("abcde")
    new[cols] += np.random.default_rng(1).normal(0, 0.3, (len(new), len(cols)))
    new.to_csv(tmp_path / "new.csv", index=False)
    rc, out, err = run(
        capsys,
        "transform",
        d / "t.pt",
        tmp_path / "new.csv",
        "-o",
        tmp_path / "o.csv",
        "--plot",
        tmp_path / "placed.png",
    )
    assert rc == 0, err
    assert "placed rows over the fitted map" in out
    png = iio.imread(tmp_path / "placed.png")[..., :3].astype(int)
    orange = (abs(png - [0xE8, 0x59, 0x0C]).sum(axis=-1) < 40).sum()
    grey = (abs(png - [0xC8, 0xC8, 0xC8]).sum(axis=-1) < 12).sum()
    assert orange > 200 and grey > 200  # the new rows over the map
    rc, out, err = run(
        capsys,
        "embed-pixels",
        d / "img.tif",
        "-o",
        tmp_path / "c.npy",
        "--plot",
        tmp_path / "key.png",
        *PIXELS,
    )
    assert rc == 0, err
    key = iio.imread(tmp_path / "key.png")[..., :3]
    assert (tmp_path / "key.png").read_bytes()[:8] == PNG_MAGIC
    assert len(np.unique(key.reshape(-1, 3), axis=0)) > 200  # many position colours
    rc, out, err = run(
        capsys,
        "embed-pixels",
        d / "img.tif",
        "-o",
        tmp_path / "c.npy",
        "--plot",
        tmp_path / "key.nope",
        *PIXELS,
    )
    assert_one_line_error(rc, out, err, "--plot", "unsupported image type")


def test_one_channel_warns_and_a_foreground_mask_keeps_the_specimen(
    capsys, files, tmp_path
):
    d, _ = files
    one = pixel_image()[0]
    np.save(tmp_path / "dna.npy", one)
    argv = ["embed-pixels", tmp_path / "dna.npy", "-o", tmp_path / "c.npy", *PIXELS]
    rc, out, err = run(capsys, *argv)
    assert rc == 0, err
    assert "napari-cne: warning:" in err and "one channel" in err
    assert "foreground" in err  # what to do about it
    rc, out, err = run(capsys, *argv, "--mask", "foreground")
    assert rc == 0, err
    assert "one channel" not in err
    coords = np.load(tmp_path / "c.npy")
    from napari_cne.features.pixels import foreground_mask

    fg = foreground_mask(one, channel_axis=None)
    assert 0.05 < fg.mean() < 0.95
    np.testing.assert_array_equal(np.isfinite(coords[0]), fg)
