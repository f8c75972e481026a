import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_manifest_validates_with_imports():
    from npe2 import PluginManifest

    mf = PluginManifest.from_distribution("napari-cne")
    assert mf.name == "napari-cne"
    mf.validate_imports()
    widgets = {w.display_name: w.command for w in mf.contributions.widgets}
    assert "Neighbor Embedding" in widgets
    keys = {s.key for s in mf.contributions.sample_data}
    assert {"human_mitosis_nuclei", "human_mitosis_nuclei_table"} <= keys
    menus = mf.contributions.menus
    assert any(
        i.command == widgets["Neighbor Embedding"]
        for i in menus["napari/layers/visualize"]
    )


def test_root_manifest_is_a_symlink_to_the_package_file():
    root = ROOT / "napari.yaml"
    if not root.exists():
        pytest.skip("no repository checkout (installed package)")
    assert root.is_symlink()
    assert root.resolve() == (ROOT / "src" / "napari_cne" / "napari.yaml").resolve()


def test_npe2_plugin_manager_lists_plugin():
    from npe2 import PluginManager

    pm = PluginManager.instance()
    pm.discover()
    assert "napari-cne" in pm._manifests  # noqa: SLF001


def test_widget_opens_from_plugin_menu(make_napari_viewer):
    from napari_cne._qt.widget import EmbeddingWidget

    viewer = make_napari_viewer()
    dock, widget = viewer.window.add_plugin_dock_widget(
        "napari-cne", "Neighbor Embedding"
    )
    assert isinstance(widget, EmbeddingWidget)
    assert dock is not None


def test_import_does_not_pull_in_qt_or_napari():
    code = (
        "import sys, napari_cne, napari_cne.features, napari_cne.data, "
        "napari_cne.render, napari_cne.render.layout, napari_cne.cli, "
        "napari_cne._qt, napari_cne.app, napari_cne.app.session, "
        "napari_cne.app.settings, napari_cne.app.fit, napari_cne.app.place, "
        "napari_cne.app.sweep, napari_cne.app.every_pixel, "
        "napari_cne.app.provenance, napari_cne.cli.napari_demo\n"
        "bad = [m for m in ('qtpy', 'PyQt6', 'PyQt5', 'PySide6', 'napari', "
        "'magicgui', 'superqt', 'pyqtgraph') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSTARTUP"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    assert out.stdout.strip() == "", f"imported: {out.stdout.strip()}"
