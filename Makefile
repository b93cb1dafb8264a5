# Two set-up commands work on a fresh machine with only python3: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The domain core must stay pure and fully typed.
CORE := src/cairo6/errors.py src/cairo6/protocol src/cairo6/study src/cairo6/scoring src/cairo6/randomization src/cairo6/schedule src/cairo6/analysis src/cairo6/design

.PHONY: demo test test-fast lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

DEMO_DB := demo-output/cairo6-demo.db
DEMO_ENV := CAIRO6_DB=$(DEMO_DB) CAIRO6_USER=admin

# The main job: a fresh trial database built from the synthetic reference cohort through the
# real services (validated import, audited), then the protocol, a participant, the audit check.
demo: $(STAMP)
	rm -rf demo-output && mkdir -p demo-output
	$(BIN)/cairo6 protocol show -s trial -s arms -s randomization -s regimens -s windows -s stopping
	$(DEMO_ENV) $(BIN)/cairo6 db init --admin admin
	$(DEMO_ENV) $(BIN)/cairo6 user add dm --role data_manager
	$(DEMO_ENV) $(BIN)/cairo6 import src/cairo6/studies/cairo6/data --user dm
	$(DEMO_ENV) $(BIN)/cairo6 audit verify --data
	$(DEMO_ENV) $(BIN)/cairo6 report --out demo-output/report
	$(DEMO_ENV) $(BIN)/cairo6 demo-accounts
	$(DEMO_ENV) $(BIN)/cairo6 study amend src/cairo6/studies/cairo6/amendments/phase3 --effective $$(date +%F) --reason "Phase 3: 358 patients, overall survival primary, mitomycin C HIPEC only"
	$(DEMO_ENV) $(BIN)/cairo6 audit verify --data
	$(DEMO_ENV) $(BIN)/cairo6 participant show CAIRO6-C01-001 --on 2019-10-01 --user statistician
	$(BIN)/cairo6 calendar --regimen CAPOX-B --randomised 2018-03-01 --cycle-dates 2018-03-12,2018-04-02,2018-04-23 --procedure 2018-06-20 --on 2018-06-01
	$(BIN)/cairo6 design sample-size

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy --strict $(CORE)
	$(BIN)/mypy src/cairo6

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck pytest

# The inner loop, a few minutes: lint, then every test except the browser, PostgreSQL and slow
# ones (markers registered in pyproject.toml). `make test` still runs everything.
test-fast: lint
	$(BIN)/pytest -q -m "not browser and not postgres and not slow"

# The speed table: every row with its target and met / not met; exits 1 when one is missed.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache demo-output
