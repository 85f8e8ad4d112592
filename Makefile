# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-fast test-kafka test-kafka-versions lint bench clean install mutation browser fuzz

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/crm demo

test: $(STAMP) browser
	$(BIN)/pytest -q

# Debian's chromium for the dashboard's browser test (tests/test_dashboard_browser.py),
# driven by Playwright with this system browser: no browser download. Needs apt (root or
# sudo); elsewhere install chromium yourself (the test skips loudly without it, except in CI).
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; } || \
		echo "WARNING: could not install chromium: the dashboard browser test will not run"

test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not integration and not faults"

# The Apache Kafka tests alone: a 3-broker cluster assembled from Maven Central (Java 17+;
# docs/kafka.md). `make test` runs them too.
test-kafka: $(STAMP)
	$(BIN)/pytest -q -m kafka

# The exactly-once kill test and the backfill through a killed leader under the other Kafka
# releases the README names, one cluster after the other (~5-15 min each on 2 cores; not in
# `make test`). `make test-kafka-versions KAFKA_VERSIONS=4.2.0` tries another.
KAFKA_VERSIONS ?= 4.0.0 4.4.0
test-kafka-versions: $(STAMP)
	@for v in $(KAFKA_VERSIONS); do echo "== Apache Kafka $$v"; \
		CRM_KAFKA_VERSION=$$v $(BIN)/pytest -q -m kafka \
			-k "killed_mid_work or backfill_on_apache_kafka" || exit 1; \
	done

lint: $(STAMP)
	$(BIN)/ruff check .

# Mutation testing of domain/ with the fast rule tests (docs/testing.md, "Mutation testing").
# `make mutation MODULE=domain/leads/scoring.py` mutates one module. mutmut lives in a venv of
# its own (it needs click>=8.4.2, faust-streaming pins click<8.4); the project's packages
# come from .venv through a .pth placed after the tool's own.
MUTATION_VENV ?= .mutation-venv
MUTATION_STAMP := $(MUTATION_VENV)/.installed-stamp
MODULE ?=

$(MUTATION_STAMP):
	@test -x $(BIN)/python || $(MAKE) install
	@test -x $(MUTATION_VENV)/bin/python || $(BIN)/python -m venv $(MUTATION_VENV)
	$(MUTATION_VENV)/bin/python -m pip install --quiet 'mutmut==3.8.1'
	$(BIN)/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])" > \
		"$$($(MUTATION_VENV)/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")/genims-project-venv.pth"
	@touch $@

mutation: $(MUTATION_STAMP)
	$(MUTATION_VENV)/bin/python tools/mutation.py --max-children 2 $(if $(MODULE),--module $(MODULE))

# Coverage-guided fuzzing of the edges (docs/testing.md, "Fuzzing"): each harness of fuzz/
# for FUZZ_SECONDS (default 60), one after the other, niced; the corpus grows in
# .fuzz/corpus, a crashing input is written to .fuzz/findings/<harness>/ and stops the run.
# Not in `make test` (not deterministic): tests/test_fuzz_harnesses.py runs each harness
# over its seeds in the fast suite. atheris comes with the dev extras (Linux wheels).
FUZZ_SECONDS ?= 60
FUZZ_HARNESSES := avro_decode command_validation dead_letter

fuzz: $(STAMP)
	$(BIN)/python -m fuzz.seeds
	@for h in $(FUZZ_HARNESSES); do \
		echo "fuzz/$$h.py for $(FUZZ_SECONDS) s"; \
		nice -n 10 $(BIN)/python -m fuzz.$$h -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
			-rss_limit_mb=2048 -print_final_stats=1 || exit 1; \
	done

bench: $(STAMP)
	$(BIN)/crm bench

clean:
	-$(BIN)/crm down
	rm -rf $(VENV) .crm .pytest_cache .hypothesis $(MUTATION_VENV) mutants
