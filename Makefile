# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Tests and the demo read the real data from ../shared/data as the dataset mirror.
export SPACEKIT_DATA_MIRROR ?= $(abspath ../shared/data)
export MPLBACKEND ?= Agg

.PHONY: install demo test test-fast lint docs bench clean browser system-deps test-interop image-check upstream-wheel

install: $(VENV)/.installed

# One pip call installs spacekit with every extra (installing more afterwards has broken
# boto3's pins before); `pip check` must stay clean.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install -e '.[x,test,docs]'
	$(PY) -m pip check
	touch $@

demo: install
	$(VENV)/bin/spacekit demo

lint: install
	$(VENV)/bin/ruff check --no-cache spacekit tests benchmarks examples docs/conf.py docs/tutorials
	$(VENV)/bin/ruff format --no-cache --check spacekit tests benchmarks examples docs/conf.py docs/tutorials
	$(VENV)/bin/hadolint docker/Dockerfile

# The docs build (-W: a broken reference fails) and the lightkurve interop suite run first, so
# that the main suite's summary closes the output.
test: install lint docs browser test-interop upstream-wheel
	$(PY) -m pytest

# The fast tier: everything not marked @pytest.mark.slow (trainings, end-to-end runs, the
# longer variants of a check that keeps a quick one here); goal: under 3 minutes.
test-fast: install
	$(PY) -m pytest -m "not slow"

# System packages (Debian): chromium and chromium-driver for the dashboard's browser tests.
# .ci/run calls this target first; `make test` calls it too, and it says what it installs.
SYSTEM_PACKAGES := chromium chromium-driver
system-deps:
	@if command -v chromium >/dev/null 2>&1; then \
	  echo "system-deps: chromium is installed"; \
	else \
	  echo "system-deps: installing Debian packages: $(SYSTEM_PACKAGES) (apt-get, needs root)"; \
	  apt-get update -qq && apt-get install -y $(SYSTEM_PACKAGES); \
	fi

browser: system-deps

# Upstream spacekit 1.1.4's wheel (its trained models): tests import them and compare with
# outputs recorded from upstream's own code (tests/fixtures/upstream/README.md).
UPSTREAM_WHEEL := .cache/upstream/spacekit-1.1.4-py3-none-any.whl

upstream-wheel: $(UPSTREAM_WHEEL)

$(UPSTREAM_WHEEL):
	$(PYTHON) -m pip download spacekit==1.1.4 --no-deps -d .cache/upstream

# lightkurve conflicts with other pins, so its interop is tested in a second, small venv:
# spacekit core (no extras) + lightkurve + pytest. SPACEKIT_INTEROP=1 makes tests/interop
# always collected there (the main run, without lightkurve, does not collect them).
INTEROP_VENV ?= .venv-interop
INTEROP_PY := $(INTEROP_VENV)/bin/python

test-interop: $(INTEROP_VENV)/.installed
	SPACEKIT_INTEROP=1 SPACEKIT_PROGRESS=0 $(INTEROP_PY) -m pytest -q -p no:cacheprovider tests/interop

$(INTEROP_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(INTEROP_VENV)
	$(INTEROP_PY) -m pip install --quiet --upgrade pip
	$(INTEROP_PY) -m pip install --quiet -e . lightkurve pytest pytest-timeout
	$(INTEROP_PY) -c "import lightkurve, spacekit; print('interop venv: lightkurve', lightkurve.__version__)"
	touch $@

# Builds the dashboard image for real and checks that it serves (~15 minutes; not in CI or
# `make test`): a Debian base from mmdebstrap, `podman build --isolation=chroot --format
# docker`, `buildah run --isolation chroot`, /healthz and a page, then the image size.
image-check:
	docker/image-check.sh

docs: install
	$(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

bench: install
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) docs/_build .pytest_cache
