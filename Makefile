# wabulk — `make help` lists the targets.
GO        ?= go
BIN       ?= bin/wabulk
PKGS      := ./...
N         ?= 20000
REDIS_URL ?= redis://127.0.0.1:6379/0

.DEFAULT_GOAL := help

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-19s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/wabulk (deploy/build.sh: static, -trimpath, the version from git describe; the image builds the same way)
	deploy/build.sh $(BIN)

demo: build ## run a real campaign end to end on embedded Redis + the simulated provider
	./$(BIN) demo

demo-ui: build ## the demo, then its web console on http://127.0.0.1:8080/ui/ until Ctrl-C
	./$(BIN) demo --ui

# The packages whose tests run again on a Redis Cluster and on a
# Sentinel-watched master when scripts/redis-modes.sh's variables are set.
MODE_PKGS ?= ./store/... ./worker/ ./producer/...

test: ## vet, then every test with the race detector (real Redis if WABULK_TEST_REDIS is set; store, worker and import tests again on Cluster and Sentinel if WABULK_TEST_REDIS_CLUSTER / _SENTINEL are set)
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 $(PKGS)
	cd deploy/check && $(GO) test -count=1 ./...
	@if [ -n "$$WABULK_TEST_REDIS_CLUSTER" ]; then echo "== on a Redis Cluster"; WABULK_TEST_REDIS_MODE=cluster $(GO) test -race -count=1 $(MODE_PKGS); fi
	@if [ -n "$$WABULK_TEST_REDIS_SENTINEL" ]; then echo "== behind Redis Sentinel"; WABULK_TEST_REDIS_MODE=sentinel $(GO) test -race -count=1 $(MODE_PKGS); fi

# staticcheck, pinned, fetched through the Go module proxy by `go run`.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: ## gofmt, go vet, go mod tidy and staticcheck must leave nothing to change or report
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet $(PKGS)
	$(GO) mod tidy -diff
	$(GO) run $(STATICCHECK) $(PKGS)
	cd deploy/check && $(GO) vet ./... && $(GO) mod tidy -diff

deploy-check: ## offline checks of deploy/: kustomize renders every overlay, manifests decoded strictly, configs, alerts, dashboard, compose, Dockerfile
	cd deploy/check && $(GO) vet ./... && $(GO) test -count=1 ./...

image: ## the container image wabulk:dev from deploy/Dockerfile (needs a Docker engine)
	docker build -f deploy/Dockerfile --build-arg VERSION=$$(git describe --tags --always --dirty) -t wabulk:dev .

FUZZTIME ?= 10s

fuzz: ## run every fuzz target for FUZZTIME each (default 10s): scripts/fuzz.sh
	GO=$(GO) FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

bench: ## Go benchmarks (package level)
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

loadtest: build ## whole pipeline vs a naive sender and bare asynq on embedded miniredis (N=20000)
	./$(BIN) loadtest -n $(N) --naive --bare

loadtest-redis: build ## the same on a real Redis (REDIS_URL=redis://127.0.0.1:6379/0)
	./$(BIN) loadtest -n $(N) --naive --bare --redis $(REDIS_URL)

bench-limits: build ## 3 worker processes on a real Redis hold a provider's rate limit (REDIS_URL), then ride out a 30 s outage
	./$(BIN) loadtest fleet --workers 3 --redis $(REDIS_URL) --rate 500 -n 15000 --concurrency 50
	./$(BIN) loadtest fleet --workers 3 --redis $(REDIS_URL) --rate 80 -n 2400 --concurrency 20
	./$(BIN) loadtest fleet --workers 3 --redis $(REDIS_URL) --rate 500 -n 25000 --concurrency 50 --outage 30s --outage-after 5s

bench-failover: build ## 3 workers on one node vs a Cluster (200k), then a Sentinel and a Cluster failover mid-campaign (50k): scripts/failover-bench.sh
	WABULK_BIN=$(BIN) scripts/failover-bench.sh

loadtest-webhooks: build ## webhook ingest vs an HTTP floor on a real Redis (REDIS_URL): signed Meta receipts at concurrency 16, then saturated at 64
	./$(BIN) loadtest webhooks --provider meta -n 50000 --concurrency 16 --bare --redis $(REDIS_URL)
	./$(BIN) loadtest webhooks --provider meta -n 50000 --concurrency 64 --bare --redis $(REDIS_URL)

loadtest-scheduled: build ## lateness of send_at sends vs bare asynq ProcessAt: 20 rounds, spread and all at once, on miniredis then REDIS_URL
	./$(BIN) loadtest scheduled -n 1000 --rounds 20 --spread 10s
	./$(BIN) loadtest scheduled -n 2000 --rounds 20
	./$(BIN) loadtest scheduled -n 1000 --rounds 20 --spread 10s --redis $(REDIS_URL)
	./$(BIN) loadtest scheduled -n 2000 --rounds 20 --redis $(REDIS_URL)

loadtest-lanes: build ## reminders (lane high) during a 100k campaign at 1000/s on a real Redis (REDIS_URL): p99 send latency
	./$(BIN) loadtest lanes --reminders 5 --rate 1000 -n 100000 --concurrency 50 --redis $(REDIS_URL)

clean: ## remove build output and demo files
	rm -rf bin demo-out

.PHONY: help build demo demo-ui test lint deploy-check image fuzz bench bench-limits bench-failover loadtest loadtest-redis loadtest-webhooks loadtest-scheduled loadtest-lanes clean
