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

# The dashboard's browser test drives Debian's Chromium (no browser download); the dossier
# test reads its PDF back with poppler's pdftotext and pdftoppm.
test-deps:
	@command -v chromium >/dev/null && command -v pdftotext >/dev/null || { \
	  echo "installing chromium and poppler-utils for the tests (apt-get)…"; \
	  apt-get update -qq && apt-get install -y -qq chromium poppler-utils >/dev/null; }

# Apache Kafka's jars from Maven Central, pinned in deploy/kafka/pom.xml, cached in .cache/ (once).
kafka-jars: install
	$(BIN)/tyndau broker fetch >/dev/null

broker-start: kafka-jars
	$(BIN)/tyndau broker start

broker-stop:
	$(BIN)/tyndau broker stop

clean:
	rm -rf $(VENV) .pytest_cache var
