# The README's two commands: `make serve` and `make test`. Everything else here serves them.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
CONFIG ?= config.yaml

.PHONY: serve index test lint unit install-check system-deps bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Debian packages the tests need, installed only when missing (CI runs as root): chromium and the CJK
# fonts for the browser test, LibreOffice for legacy .doc files and office-PDF fixtures, Tesseract with
# its simplified-Chinese model for scanned issues.
SYSTEM_PACKAGES := chromium fonts-noto-cjk libreoffice-writer tesseract-ocr tesseract-ocr-chi-sim
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v soffice >/dev/null \
		|| ! tesseract --list-langs 2>/dev/null | grep -qx chi_sim \
		|| ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		echo "installing $(SYSTEM_PACKAGES) with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	fi

index: $(BIN)/.installed
	$(BIN)/bulletin --config $(CONFIG) index

serve: index
	$(BIN)/bulletin --config $(CONFIG) serve

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The long random fault runs are left out; run them with: .venv/bin/python -m pytest -m slow_faults
unit: $(BIN)/.installed system-deps
	$(BIN)/python -m pytest -q -m "not install and not slow_faults"

# As a user installs it: the wheel into a fresh virtualenv, then index, search and serve from an empty folder.
install-check: $(BIN)/.installed
	$(BIN)/python -m pytest -q -m install

test: lint unit install-check

bench: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.run

clean:
	rm -rf var .pytest_cache .ruff_cache
