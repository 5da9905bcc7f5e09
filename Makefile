# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Tests and the demo read the real data from ../shared/data as the dataset mirror.
export SPACEKIT_DATA_MIRROR ?= $(abspath ../shared/data)
export MPLBACKEND ?= Agg

.PHONY: install demo test lint docs bench clean browser test-interop

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
	$(VENV)/bin/ruff check spacekit tests benchmarks examples docs/conf.py docs/tutorials
	$(VENV)/bin/ruff format --check spacekit tests benchmarks examples docs/conf.py docs/tutorials
	$(VENV)/bin/hadolint docker/Dockerfile

# The docs build (-W: a broken reference fails) and the lightkurve interop suite run first, so
# that the main suite's summary closes the output.
test: install lint docs browser test-interop
	$(PY) -m pytest

# The dashboard tests drive Debian's chromium headless (installed when missing).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver)

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

docs: install
	$(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

bench: install
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) docs/_build .pytest_cache
