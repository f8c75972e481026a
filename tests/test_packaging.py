"""The built distributions: wheel and sdist contents, and a wheel install.

``python -m build --no-isolation`` (needs ``build`` and ``hatchling``, both
in the ``testing`` extra) makes the sdist and, from it, the wheel. The wheel
is then installed without dependencies into a fresh virtual environment that
borrows the dependencies from this one through a ``.pth`` file pointing at a
folder of links to this environment's site-packages, minus napari_cne itself
(the editable install must not shadow the wheel's copy).
"""

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

import napari_cne

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 300


def _run(cmd, **kwargs):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    res = subprocess.run(
        [str(c) for c in cmd],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
        **kwargs,
    )
    assert res.returncode == 0, f"{cmd}\n{res.stdout[-4000:]}\n{res.stderr[-4000:]}"
    return res


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT])
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return wheel, sdist


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory, dist):
    """A new venv with only the wheel installed; dependencies borrowed."""
    wheel, _ = dist
    base = tmp_path_factory.mktemp("venv")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    py = venv / "bin" / "python"
    site = Path(
        _run(
            [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        ).stdout.strip()
    )
    here = Path(sysconfig.get_paths()["purelib"])
    deps = base / "deps"
    deps.mkdir()
    for entry in here.iterdir():
        name = entry.name.lower()
        if (
            "napari_cne" in name
            or "napari-cne" in name
            or name.endswith(".pth")
            or name == "__pycache__"
        ):
            continue
        (deps / entry.name).symlink_to(entry)
    (site / "_borrowed_deps.pth").write_text(f"{deps}\n")
    _run([py, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel])
    return venv


def test_wheel_contents(dist):
    wheel, _ = dist
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = zf.read(meta).decode()
        eps = zf.read(meta.replace("METADATA", "entry_points.txt")).decode()
    assert wheel.name == f"napari_cne-{napari_cne.__version__}-py3-none-any.whl"
    for required in (
        "napari_cne/__init__.py",
        "napari_cne/napari.yaml",
        "napari_cne/cli/__init__.py",
        "napari_cne/engine/provenance.py",
        "napari_cne/engine/kernels/sgd.py",
        "napari_cne/features/objects.py",
        "napari_cne/render/colors.py",
        "napari_cne/_qt/widget.py",
    ):
        assert required in names
    assert any(n.startswith("napari_cne/data/") and n.endswith(".npz") for n in names)
    assert not any(n.startswith("tests/") for n in names)
    assert not any(n.endswith((".pyc", ".nbi", ".nbc")) for n in names)
    assert f"Version: {napari_cne.__version__}" in metadata
    assert "napari-cne = napari_cne.__main__:main" in eps
    assert "[napari.manifest]" in eps and "napari_cne:napari.yaml" in eps


def test_sdist_contents(dist):
    _, sdist = dist
    with tarfile.open(sdist) as tf:
        top = f"napari_cne-{napari_cne.__version__}/"
        names = {m.name.removeprefix(top) for m in tf.getmembers()}
    for required in (
        "pyproject.toml",
        "README.md",
        "napari.yaml",
        "src/napari_cne/napari.yaml",
        "src/napari_cne/__init__.py",
        "src/napari_cne/cli/__init__.py",
        "src/napari_cne/engine/estimator.py",
        "tests/cli/test_cli.py",
        "tests/test_packaging.py",
        "docs/cli.md",
    ):
        assert required in names, required
    assert any(
        n.startswith("src/napari_cne/data/") and n.endswith(".npz") for n in names
    )


def test_wheel_installs_and_works_in_a_fresh_venv(fresh_venv):
    venv = fresh_venv
    py = venv / "bin" / "python"
    # the console script of the wheel
    res = _run([venv / "bin" / "napari-cne", "--help"])
    assert "embed" in res.stdout and "demo-engine" in res.stdout
    res = _run([venv / "bin" / "napari-cne", "embed", "--help"])
    assert "--sweep" in res.stdout
    # the wheel's copy is imported, and npe2 discovers the plugin from it
    code = (
        "import json, sys, napari_cne\n"
        "from importlib.resources import files\n"
        "from npe2 import PluginManager, PluginManifest\n"
        "found = [r for r in PluginManifest.discover()\n"
        "         if r.manifest is not None and r.manifest.name == 'napari-cne']\n"
        "pm = PluginManager()\n"
        "pm.discover()\n"
        "mf = pm.get_manifest('napari-cne')\n"
        "print(json.dumps({\n"
        "  'file': napari_cne.__file__,\n"
        "  'version': napari_cne.__version__,\n"
        "  'dists': [str(r.distribution.locate_file('')) for r in found],\n"
        "  'in_pm': 'napari-cne' in pm,\n"
        "  'widgets': [w.display_name for w in mf.contributions.widgets],\n"
        "  'commands': [c.python_name for c in mf.contributions.commands],\n"
        "  'samples': [s.key for s in mf.contributions.sample_data],\n"
        "  'npz': sorted(p.name for p in (files('napari_cne') / 'data').iterdir()\n"
        "                if p.name.endswith('.npz')),\n"
        "}))\n"
    )
    info = json.loads(_run([py, "-c", code], cwd=venv).stdout.strip().splitlines()[-1])
    venv_real = venv.resolve()
    assert Path(info["file"]).resolve().is_relative_to(venv_real), info["file"]
    assert info["version"] == napari_cne.__version__
    assert len(info["dists"]) == 1, info["dists"]
    assert Path(info["dists"][0]).resolve().is_relative_to(venv_real)
    assert info["in_pm"]
    assert "Neighbor Embedding" in info["widgets"]
    assert "napari_cne._qt.widget:EmbeddingWidget" in info["commands"]
    assert "human_mitosis_nuclei" in info["samples"]
    assert info["npz"] == ["human_mitosis_nuclei.npz"]
