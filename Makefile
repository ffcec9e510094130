# tyndau — two commands do everything on a fresh machine:
#   make demo   installs, starts Kafka (KRaft) and the worker with its HTTP API
#   make test   installs, and runs the test suite against a Kafka broker it starts
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench install system-deps test-deps kafka-jars broker-start broker-stop clean

demo: install kafka-jars
	$(BIN)/tyndau up

test: install kafka-jars test-deps
	bash .ci/pytest.sh

# Benchmarks (not tests): figures go to bench/results/latest.json and latest.md.
bench: install kafka-jars
	$(BIN)/python -m bench.run

install: system-deps $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# Java 17+ and Maven run the broker and fetch its jars; the DejaVu fonts print Kazakh and Russian
# in court dossiers. Installed from Debian when missing.
system-deps:
	@command -v java >/dev/null && command -v mvn >/dev/null && [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || { \
	  echo "installing a JDK, Maven and the DejaVu fonts (apt-get)…"; \
	  apt-get update -qq && apt-get install -y -qq openjdk-17-jdk-headless maven fonts-dejavu-core >/dev/null; }

# The dashboard's browser test drives Debian's Chromium (no browser download) and checks the page with
# axe-core from npm (pinned, cached in .cache/npm); the dossier and report tests read their PDFs back
# with poppler's pdftotext and pdftoppm.
AXE_VERSION := 4.10.3
test-deps:
	@missing=""; \
	  command -v chromium >/dev/null || missing="$$missing chromium"; \
	  command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	  command -v npm >/dev/null || missing="$$missing npm"; \
	  [ -z "$$missing" ] || { echo "installing$$missing for the tests (apt-get)…"; \
	    apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; }
	@[ -f .cache/npm/node_modules/axe-core/axe.min.js ] && grep -q '"version": "$(AXE_VERSION)"' .cache/npm/node_modules/axe-core/package.json || \
	  npm install --silent --prefix .cache/npm --no-save --no-audit --no-fund axe-core@$(AXE_VERSION)

# Apache Kafka's jars from Maven Central, pinned in deploy/kafka/pom.xml, cached in .cache/ (once).
kafka-jars: install
	$(BIN)/tyndau broker fetch >/dev/null

broker-start: kafka-jars
	$(BIN)/tyndau broker start

broker-stop:
	$(BIN)/tyndau broker stop

clean:
	rm -rf $(VENV) .pytest_cache var
