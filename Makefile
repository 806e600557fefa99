# Warden: `make start` runs everything, `make test` tests everything. Both set up what is missing.
SHELL := /bin/bash
export SCARF_ANALYTICS := false
export npm_config_fund := false
export npm_config_audit := false

.PHONY: start test lint format deps schema-types temporal nftables chromium nats kafka migrate build typecheck config-validate bench clean

## start: install, build Temporal CLI if missing, create and migrate the database, run Temporal + api + worker
start: deps build migrate
	@scripts/start.sh

## test: lint, type-check, then every jest suite against real PostgreSQL and an ephemeral Temporal server
test: deps lint temporal nftables chromium nats kafka
	npx tsc --noEmit -p tsconfig.json
	npx jest --ci

## lint: eslint (eslint.config.mjs), prettier --check (.prettierrc.json), dependency-cruiser (cycles and layering, .dependency-cruiser.cjs), no cycle between top-level folders of src/ (scripts/folder-cycles.mjs), src/database/schema.ts equal to what migrations/ give (scripts/schema-types.ts on a scratch database it creates and drops; needs PostgreSQL)
lint: deps
	npx eslint --cache --cache-location node_modules/.cache/eslint/ .
	npx prettier --check --cache .
	npx depcruise src --config .dependency-cruiser.cjs
	node scripts/folder-cycles.mjs src
	npm run --silent schema:check

## format: rewrite files in place with prettier, then apply eslint's autofixes (what remains is printed and fails)
format: deps
	npx prettier --write --cache .
	npx eslint --fix --cache --cache-location node_modules/.cache/eslint/ .

## deps: npm packages exactly as package-lock.json pins them (npm ci), reinstalled only when package.json or the lockfile changed
deps: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

## temporal: the Temporal CLI (PATH, or built from source into .tools/bin)
temporal:
	@scripts/ensure-temporal.sh >/dev/null

## nftables: Debian's nftables (nft) for the nftables containment test, installed with apt-get when missing
nftables:
	@scripts/ensure-nftables.sh

## chromium: Debian's chromium for the dashboard's browser test (playwright-core drives it), installed with apt-get when missing
chromium:
	@scripts/ensure-chromium.sh

## nats: Debian's nats-server (JetStream) for the NATS intake tests and `make start` with a local NATS_URL, installed with apt-get when missing
nats:
	@scripts/ensure-nats.sh

## kafka: a Kafka-protocol broker for the Kafka intake tests (franz-go's kfake, built from tools/kfake into .tools/bin)
kafka:
	@scripts/ensure-kfake.sh >/dev/null

## schema-types: regenerate src/database/schema.ts from a scratch database migrated with migrations/ (after adding a migration)
schema-types: deps
	npm run --silent schema:types

## migrate: create the database if missing and apply pending migrations (DATABASE_URL)
migrate: deps
	npm run --silent migrate

## build: compile to dist/ and bundle the workflow code
build: deps
	npm run --silent build

typecheck: deps
	npx tsc --noEmit -p tsconfig.json

## config-validate: check config/*.yaml as start-up would
config-validate: deps
	npm run --silent warden -- config validate

## bench: ingest throughput and latency, alert-to-assignment latency, the two lane designs (Temporal task priority against an urgent task queue), the 20,000-alert storm on each Temporal server (dev server on SQLite, the real server on PostgreSQL), then GET /v1/stats over a million stored alerts, then the evidence export of a 30,000-alert incident (size, duration, the api's RSS), then 200,000 Suricata alerts drained from JetStream and from Kafka (rate, lag, RSS, ratio to a plain INSERT), against scratch databases (prints figures; not a test)
bench: build temporal nats kafka
	@scripts/ensure-temporal-server.sh >/dev/null
	node -r ts-node/register bench/ingest.ts
	node -r ts-node/register bench/assign-latency.ts
	node -r ts-node/register bench/temporal-priority.ts
	node -r ts-node/register bench/storm.ts
	node -r ts-node/register bench/stats.ts
	node -r ts-node/register bench/evidence-export.ts
	node -r ts-node/register bench/intake.ts

clean:
	rm -rf dist coverage
