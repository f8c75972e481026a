"""The shape of the house: small files, short functions, old import paths kept.

The import rules themselves (layers, no GUI below the widget, nothing
importing the widget, no cycles) are import-linter's contract in
pyproject.toml, checked by ``lint-imports`` in ``make test``.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "napari_cne"
MAX_FILE_LINES = 520
MAX_FUNCTION_LINES = 80  # of code: the docstring does not count
#: functions allowed to be longer, and why (docs/architecture.md repeats it)
LONG_FUNCTIONS = {
    # the numba hot loop over one window's edges: written out, because as
    # separate numba functions its pieces cost a quarter of its speed
    "engine/kernels/sgd.py::_edges",
}


def _sources():
    return sorted(p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts)


def _code_lines(node: ast.AST) -> int:
    n = node.end_lineno - node.lineno + 1
    first = node.body[0] if node.body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        n -= first.end_lineno - first.lineno + 1
    return n


def test_every_source_file_is_small():
    big = {
        str(p.relative_to(SRC)): n
        for p in _sources()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES
    }
    assert not big, f"files over {MAX_FILE_LINES} lines: {big}"


def test_every_function_is_short():
    long = {}
    for p in _sources():
        rel = str(p.relative_to(SRC))
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = _code_lines(node)
                if (
                    n > MAX_FUNCTION_LINES
                    and f"{rel}::{node.name}" not in LONG_FUNCTIONS
                ):
                    long[f"{rel}::{node.name}"] = n
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines of code: {long}"


def test_the_named_exceptions_still_exist():
    # an exception that no longer applies must leave the list
    for entry in LONG_FUNCTIONS:
        rel, name = entry.split("::")
        tree = ast.parse((SRC / rel).read_text(encoding="utf-8"))
        sizes = [
            _code_lines(n)
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef) and n.name == name
        ]
        assert sizes and max(sizes) > MAX_FUNCTION_LINES, entry


@pytest.mark.parametrize(
    ("old", "new", "name"),
    [
        ("napari_cne.embedding", "napari_cne.engine.estimator", "ContrastiveEmbedding"),
        ("napari_cne.metrics", "napari_cne.engine.metrics", "quality_report"),
        ("napari_cne.provenance", "napari_cne.engine.provenance", "load_params"),
        ("napari_cne.spectrum", "napari_cne.engine.spectrum", "neg_nu"),
        ("napari_cne.neighbors", "napari_cne.engine.neighbors", "warm_up"),
        ("napari_cne.losses", "napari_cne.engine.losses", "pair_gradients"),
        ("napari_cne.sweep", "napari_cne.engine.sweep", "spectrum_sweep"),
        ("napari_cne.features", "napari_cne.features.objects", "object_features"),
    ],
)
def test_old_import_paths_name_the_same_objects(old, new, name):
    assert getattr(importlib.import_module(old), name) is getattr(
        importlib.import_module(new), name
    )


def test_public_names_at_the_top():
    import napari_cne

    for name in ("ContrastiveEmbedding", "Snapshot", "spectrum_sweep", "warm_up"):
        assert name in napari_cne.__all__ and hasattr(napari_cne, name)


GUI_LIBRARIES = ("qtpy", "napari", "magicgui", "superqt", "pyqtgraph", "vispy")


def _imports(tree: ast.AST, package: str) -> set[str]:
    """Absolute names of the modules a module imports (relative ones resolved)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module
            out.add(name)
            out |= {f"{name}.{alias.name}" for alias in node.names}
    return out


def _defines_something(tree: ast.Module) -> bool:
    return any(
        isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Assign)) for n in tree.body
    )


def test_the_widget_package_holds_only_qt_code():
    """Each _qt module imports Qt, napari or magicgui (itself or a _qt module)."""
    qt_free = []
    for p in sorted((SRC / "_qt").rglob("*.py")):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        if p.name == "__init__.py" and not _defines_something(tree):
            continue
        package = "napari_cne." + ".".join(p.relative_to(SRC).parts[:-1])
        names = _imports(tree, package)
        gui = any(n.split(".")[0] in GUI_LIBRARIES for n in names)
        widget = any(n.startswith("napari_cne._qt") for n in names)
        if not (gui or widget):
            qt_free.append(str(p.relative_to(SRC)))
    assert not qt_free, f"Qt-free modules in _qt (they belong in app): {qt_free}"


def test_panels_holds_only_panels():
    """Every module of _qt/panels defines a Qt widget class (a panel or its page)."""
    not_panels = []
    for p in sorted((SRC / "_qt" / "panels").glob("*.py")):
        if p.name == "__init__.py":
            continue
        tree = ast.parse(p.read_text(encoding="utf-8"))
        bases = {
            b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
            for n in tree.body
            if isinstance(n, ast.ClassDef)
            for b in n.bases
        }
        if not any(str(b).startswith("Q") for b in bases):
            not_panels.append(p.name)
    assert not not_panels, f"not panels: {not_panels}"


def test_the_application_layer_imports_no_front_end():
    for p in sorted((SRC / "app").rglob("*.py")):
        names = _imports(ast.parse(p.read_text(encoding="utf-8")), "napari_cne.app")
        bad = [
            n
            for n in names
            if n.split(".")[0] in GUI_LIBRARIES
            or n.startswith(("napari_cne._qt", "napari_cne.cli"))
        ]
        assert not bad, (p.name, bad)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _private_names_the_estimator_sets() -> set[str]:
    names = set()
    for rel in ("engine/estimator.py", "engine/fitted.py"):
        tree = ast.parse((SRC / rel).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and _private(node.attr)
            ):
                names.add(node.attr)
            elif isinstance(node, ast.FunctionDef) and _private(node.name):
                names.add(node.name)
    return names


def test_no_module_reads_the_estimator_s_private_attributes():
    """Other modules use the fitted model's public surface (engine/fitted.py).

    Any ``x._name`` outside the estimator's own files, where ``_name`` is one
    of the private attributes or methods the estimator sets, and ``x`` is
    not ``self``, is a read of its private state.
    """
    private = _private_names_the_estimator_sets()
    assert {"_X", "_network", "_backend", "_spectrum", "_metric"} <= private
    offenders = []
    for path in _sources():
        rel = path.relative_to(SRC).as_posix()
        if rel in ("engine/estimator.py", "engine/fitted.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in private
                and not (isinstance(node.value, ast.Name) and node.value.id == "self")
            ):
                offenders.append(f"{rel}:{node.lineno} .{node.attr}")
    assert not offenders, offenders
