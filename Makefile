# One-command set-up on a fresh Debian machine (run as root, no display needed).
#   make demo   - install everything, run the live napari demo on the bundled
#                 sample (under Xvfb when there is no display) and write
#                 out/demo.png plus the engine summary out/engine_demo.png
#   make test   - install everything, check the architecture contract
#                 (lint-imports) and run the test suite
#   make test-fast - the fast tier (pytest -m "not slow"), under 2 minutes
#   make test-napari-oldest - the GUI tests with the oldest napari claimed
#                 (napari 0.5.0, in a venv of its own: .venv-napari-0.5)
#   make bench  - side-by-side benchmark against the peers (slow)
#   make docs   - regenerate the pictures of docs/: the tutorial screenshots
#                 of the real napari window (docs/make_screenshots.py, under
#                 Xvfb when there is no display; about a minute) and the MNIST
#                 spectrum figure (docs/make_figures.py; needs
#                 ../shared/data/mnist.npz, about 5 minutes on 2 CPU cores)

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
APT_PACKAGES := xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0 \
	libxkbcommon-x11-0 libxcb-cursor0 libxcb-randr0 libxcb-render-util0 \
	libxcb-shape0 libxcb-image0 libxcb-xkb1 libdbus-1-3 libfontconfig1 \
	libglib2.0-0 libgl1 libegl1 libopengl0 libgl1-mesa-dri

.PHONY: system venv demo demo-engine test test-fast test-napari-oldest lint bench figures docs clean

system:
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
		fi; \
	else echo "skipping apt (not root or no apt-get): install $(APT_PACKAGES)"; fi

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	$(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[testing,interop]"
	touch $@

venv: $(VENV)/.installed

demo: system venv
	mkdir -p out
	$(PY) -m napari_cne demo --screenshot-if-headless out/demo.png
	$(PY) -m napari_cne demo-engine --out out/engine_demo.png

demo-engine: venv
	mkdir -p out
	$(PY) -m napari_cne demo-engine --out out/engine_demo.png

test: system venv
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

test-fast: venv
	$(PY) -m pytest -q -m "not slow"

# the oldest napari pyproject.toml claims (napari>=0.5): its GUI tests
OLDEST_NAPARI := 0.5.0
OLD_VENV := .venv-napari-0.5
test-napari-oldest: system
	test -x $(OLD_VENV)/bin/python || $(PYTHON) -m venv $(OLD_VENV)
	$(OLD_VENV)/bin/python -m pip install -q -U pip
	$(OLD_VENV)/bin/python -m pip install -q "torch==2.13.0"
	$(OLD_VENV)/bin/python -m pip install -q -e ".[testing]" "napari[pyqt6]==$(OLDEST_NAPARI)"
	$(OLD_VENV)/bin/python -m pytest -q tests/_qt tests/app tests/test_manifest.py tests/test_sample_data.py -m "not slow"

lint: venv
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

bench: venv
	$(PY) -m pip install -q umap-learn openTSNE
	$(PY) -m pip install -q --no-deps contrastive-ne annoy
	$(PY) benchmarks/bench_mnist.py --n 20000 70000 --repeats 3 --threads 2

figures: venv
	$(PY) docs/make_figures.py

# docs/make_screenshots.py: a real napari window, so Xvfb when headless;
# docs/make_figures.py: the slow part (MNIST, ~5 min on 2 cores), skipped
# with a note when the MNIST file is not there.
docs: system venv
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		$(PY) docs/make_screenshots.py; \
	else \
		xvfb-run -a -s "-screen 0 1920x1080x24" $(PY) docs/make_screenshots.py; \
	fi
	@if [ -f ../shared/data/mnist.npz ]; then \
		$(PY) docs/make_figures.py; \
	else \
		echo "skipping docs/figures/mnist_spectrum.png: ../shared/data/mnist.npz not found"; \
	fi

clean:
	rm -rf $(VENV) $(OLD_VENV) out build dist *.egg-info
