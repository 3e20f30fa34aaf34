# Cirrus OMS: the single entry point. Each target is one line; the logic lives in scripts/.
# Every target bootstraps first (scripts/bootstrap.sh: .venv + .venv-sam, fast when done).
.DEFAULT_GOAL := help
SHELL := /bin/bash
ENV ?= dev
FRESH ?=
PORT ?=
SPEED ?=
BENCH ?=
PYTEST_ARGS ?=
N ?= 1000
CHAOS ?=
ARGS ?=
N ?= 1000
CHAOS ?=

.PHONY: help bootstrap web run test test-future contract bench simulate chaos lint typecheck openapi ops deploy secrets clean distclean

help: ## Show the targets
	@awk -F":.*## " '/^[a-z-]+:.*## /{printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
bootstrap: ## Install .venv (project, tests, local cloud, linters) and .venv-sam (SAM CLI)
	@bash scripts/bootstrap.sh
web: ## Build the dashboard (web/ -> functions/dashboard/static) if its sources changed (WEB_FORCE=1 always)
	@bash scripts/web.sh build
run: ## Start the embedded local cloud (FRESH=1 wipes its state; PORT=..., SPEED=...)
	@FRESH="$(FRESH)" PORT="$(PORT)" SPEED="$(SPEED)" bash scripts/run.sh
test: ## Run every test tier, in parallel, printing skip reasons (PYTEST_ARGS="-k ...")
	@PYTEST_ARGS="$(PYTEST_ARGS)" bash scripts/test.sh
test-future: ## Run the date_sensitive tests with the clock a year ahead (CIRRUS_CLOCK_SHIFT_DAYS=365)
	@PYTEST_ARGS="$(PYTEST_ARGS)" bash scripts/test-future.sh
contract: ## Run the contract tests (template, state machines, layer pins)
	@PYTEST_ARGS="$(PYTEST_ARGS)" bash scripts/test.sh tests/contract
bench: ## Run the benchmarks in scripts/bench and print their figures (BENCH=name filter)
	@BENCH="$(BENCH)" bash scripts/bench.sh
simulate: ## Proof that AI sourcing learns: a seeded world, DISTANCE_OPTIMAL then AI_ADAPTIVE (ARGS="--seed 7")
	@BOOTSTRAP_SAM=0 bash scripts/bootstrap.sh && .venv/bin/python -m infra.simulation $(ARGS)
chaos: ## N orders through a local cloud injecting 10 % faults, then checks; prints the figures (N=1000, CHAOS=spec)
	@N="$(N)" CHAOS="$(CHAOS)" bash scripts/chaos.sh
lint: ## ruff check and ruff format --check
	@bash scripts/lint.sh
typecheck: ## mypy (config in pyproject.toml)
	@bash scripts/typecheck.sh
openapi: ## Write docs/openapi.json from the routes and models (a contract test compares them)
	@BOOTSTRAP_SAM=0 bash scripts/bootstrap.sh >/dev/null && .venv/bin/python scripts/openapi.py $(ARGS)
ops: ## Operations CLI against the running API (ARGS="dlq list" | "dlq replay NAME" | "tasks" | "jobs run NAME")
	@bash scripts/bootstrap.sh >/dev/null && .venv/bin/python scripts/ops.py $(ARGS)
deploy: ## sam build + sam deploy --config-env $(ENV) (ENV=dev|prod; creates the JWT secret if absent)
	@ENV="$(ENV)" bash scripts/deploy.sh
secrets: ## Create the SSM SecureString /cirrus/$(ENV)/jwt-secret if absent
	@bash infra/deploy/bootstrap-secrets.sh "$(ENV)"
clean: ## Remove build output (.aws-sam) and tool caches
	@bash scripts/clean.sh
distclean: ## clean, plus the venvs and the local cloud state (.local)
	@bash scripts/clean.sh --all
