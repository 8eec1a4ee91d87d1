# The README's two commands: `make run` and `make test`. Everything else is a step of those.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PACKAGES := libs services/identity services/communities services/content services/feed services/donations gateway web
PYTEST := $(PY) -m pytest -q

PHONY_WEB := test-web test-browser chromium bench-web bench-comments
.PHONY: asyncapi fuzz install servers run test lint $(PHONY_WEB) test-unit test-gateway test-interface test-integration test-e2e test-deploy test-containers chaos bench bench-feed bench-votes bench-search load bench-feed-storage feed-rebuild clean

install: $(STAMP)

$(STAMP): requirements/lock.txt $(addsuffix /pyproject.toml,$(PACKAGES))
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q -r requirements/lock.txt
	$(PY) -m pip install -q --no-deps $(addprefix -e ,$(PACKAGES))
	@touch $(STAMP)

# The AsyncAPI document of every event the services publish, from their declared types (svclib.contracts, svclib.asyncapi);
# tests/deploy/test_asyncapi.py fails when docs/asyncapi.yaml is not what this writes.
EVENT_MODULES := $(sort $(foreach f,$(wildcard services/*/*/events.py),$(notdir $(patsubst %/,%,$(dir $(f)))).events))
asyncapi: install
	$(PY) -m svclib.asyncapi $(EVENT_MODULES) > docs/asyncapi.yaml

servers: install
	$(PY) -m devstack servers

run: install
	$(PY) -m devstack run

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m vulture

test: install servers lint test-unit test-gateway test-web test-deploy test-interface test-integration test-e2e test-browser

test-unit: install
	$(PYTEST) libs/tests/unit services/*/tests/unit

test-gateway: install
	$(PYTEST) gateway/tests

test-web: install
	$(PYTEST) --confcutdir=web/tests web/tests

# Debian's Chromium (a browser download from elsewhere cannot work here); installed as root when missing.
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq chromium; } \
		|| { echo "Chromium is needed for the browser tests: apt-get install chromium" >&2; exit 1; }

# Only this layer's conftest (the root one patches the standard library with eventlet, which Playwright cannot run under).
test-browser: install servers chromium
	$(PYTEST) --confcutdir=tests/browser -p devstack.fixtures tests/browser

test-deploy: install
	$(PYTEST) tests/deploy

# The images and docker-compose.yml on a real engine (podman, installed where missing, as root):
# builds, starts, plays a journey through the gateway and the site, scales the feed, tears down. Needs no
# running servers of this machine. Exits non-zero when no engine can be had (never a pass).
# .ci/run runs it after make test. Only this layer's conftest: it starts processes, and eventlet need not patch them.
test-containers: install
	$(PYTEST) --confcutdir=tests/containers tests/containers

test-interface: install
	$(PYTEST) libs/tests/interface services/*/tests/interface

test-integration: install
	$(PYTEST) tests/integration

test-e2e: install
	$(PYTEST) tests/e2e

# Fault trials on a stack of their own (tests/chaos): their own RabbitMQ node and three-node cluster
# (own node names, ports and directories), their own databases; figures to bench/results/chaos-*.json.
# Only that directory's conftest: the trials drive load from real threads (the root one patches with eventlet).
chaos: install servers
	$(PYTEST) --confcutdir=tests/chaos -s tests/chaos

# The site's pages beside the same API calls made directly (front page, a post with 200 comments); the front page's weight.
bench-web: install servers
	$(PY) -m bench.web

# A post with 2,000 comments (its first comment page, by date and by score) and a post page's API calls with 200,
# through the gateway at concurrency 8: req/s, p50/p95, CPU per request of each process (bench/comments.py).
bench-comments: install servers
	$(PY) -m bench.comments

bench: install servers
	$(PY) -m bench.gateway

# Sign-ins through the gateway alone, then while 8 threads send 2,000 votes for 5 authors: login
# p50/p95/p99, votes/s, deadlocks, dead letters, CPU per process (bench/votes.py); VOTE_RATE paces the votes.
bench-votes: install servers
	$(PY) -m bench.votes $(if $(VOTE_RATE),--vote-rate $(VOTE_RATE))

# By default 10,000 posts then WT.Social's size (1,000,000), for the growth figure; SCALE=0.01 alone runs in minutes.
bench-feed: install servers
	$(PY) -m bench.feed $(if $(SCALE),--scale $(SCALE),--scale 0.01 --scale 1)

# Search at 1,000,000 posts (POSTS for fewer) through the gateway: a two-word query at concurrency 8.
bench-search: install servers
	$(PY) -m bench.search $(if $(POSTS),--posts $(POSTS)) $(if $(KEEP),--keep)

# The feed's read model in PostgreSQL beside the same model in Redis sorted sets, on the same seeded data.
bench-feed-storage: install servers
	$(PY) -m bench.feed_storage --scale $(or $(SCALE),0.1)

# Members' visits played by Locust (bench/load_visit.py, its own virtualenv from requirements/load.txt),
# headless for LOAD_SECONDS (60) at LOAD_USERS (16) after LOAD_WARMUP_SECONDS (30) of them not measured, on a stack
# seeded at SCALE (0.01) as bench-feed seeds it.
load: install servers
	$(PY) -m bench.load --scale $(or $(SCALE),0.01) --seconds $(or $(LOAD_SECONDS),60) --concurrency $(or $(LOAD_USERS),16)

# What each request type of the visits costs the stack in CPU, each asked alone (bench/load.py --costs).
load-costs: install servers
	$(PY) -m bench.load --costs --scale $(or $(SCALE),0.01) --seconds $(or $(LOAD_SECONDS),15) --concurrency $(or $(LOAD_USERS),8)

feed-rebuild: install
	$(PY) -m feed.rebuild

clean:
	rm -rf $(VENV) var

# schemathesis (--checks all, requirements/fuzz.txt) against a whole stack started as the e2e tests
# start it, without and with a token, FUZZ_SECONDS (120) each; .ci/run runs it after make test.
fuzz: install servers
	$(PY) -m tests.fuzz.run
