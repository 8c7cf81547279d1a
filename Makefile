# dflix: `make run` starts the whole platform on embedded defaults with demo
# data; `make test` runs every test. Nothing else needs to be installed first.

GO        ?= go
BIN       := bin/dflix
ADDR      ?= :8080
DATA_DIR  ?= ./data
# The demo admin exists only for `make run`; the binary has no default admin.
DEMO_ADMIN_EMAIL    ?= admin@dflix.local
DEMO_ADMIN_PASSWORD ?= dflix-demo-admin
GOTEST_FLAGS ?= -count=1 -timeout=30m

.PHONY: all build run test test-deps vet fmt-check generate generate-check bench bench-quick bench-go soak fuzz clean web

# The React app (web/) is built by Vite into web/dist, which the binary
# embeds (web/embed.go) and serves at "/". WEB_DIST is rebuilt only when the
# app's sources, manifest or lock file are newer than it.
WEB_DIST := web/dist/index.html
WEB_SRC  := $(wildcard web/package.json web/package-lock.json web/index.html web/vite.config.*) \
	$(shell find web/src web/public -type f 2>/dev/null)

all: build

build: $(WEB_DIST)
	$(GO) build -o $(BIN) ./cmd/dflix

# Build the web app unconditionally.
web:
	cd web && npm ci && npm run build

$(WEB_DIST): $(WEB_SRC)
	cd web && npm ci && npm run build
	@touch $@

run: build
	@scripts/infra.sh install ffmpeg
	@echo "dflix: demo admin is $(DEMO_ADMIN_EMAIL) / $(DEMO_ADMIN_PASSWORD)"
	DFLIX_ADMIN_EMAIL=$(DEMO_ADMIN_EMAIL) DFLIX_ADMIN_PASSWORD=$(DEMO_ADMIN_PASSWORD) \
	DFLIX_INTROSPECTION=true DFLIX_LOG_FORMAT=text DFLIX_ADDR=$(ADDR) DFLIX_DATA_DIR=$(DATA_DIR) \
	./$(BIN) --target=all --seed-demo

# Every test runs under the race detector: the adapters, the bus and the BFF
# are concurrent by nature, and the whole suite still takes about a minute.
# The Dapr integration tests (run when CI=true or DFLIX_DAPR_TESTS=1) need
# daprd and the brokers and databases: test-deps installs and starts them
# (idempotent), and they are stopped again whatever the tests' outcome. The
# end-to-end tests run last and alone: Dapr mode binds dapr/dapr.yaml's fixed
# ports, which must not race the adapter tests' sidecars. The browser test
# (e2e/browser_test.go, when CI=true or DFLIX_BROWSER_TESTS=1) drives the
# embedded web app in the system Chromium, which test-deps installs.
test: $(WEB_DIST) vet fmt-check generate-check test-deps
	@status=0; export DFLIX_DAPRD="$$(scripts/daprd.sh)"; \
	$(GO) test -race $(GOTEST_FLAGS) $$($(GO) list ./... | grep -v /e2e) || status=$$?; \
	FUZZTIME=$(CI_FUZZTIME) FUZZMINIMIZETIME=$(CI_FUZZMINIMIZETIME) scripts/fuzz.sh || status=$$?; \
	$(GO) test -race $(GOTEST_FLAGS) ./e2e/... || status=$$?; \
	scripts/infra.sh down all >/dev/null || true; exit $$status

# make fuzz runs every fuzz target (fuzz_test.go files) for FUZZTIME each,
# one at a time, and prints execs per target (docs/security.md, Fuzzing);
# make test runs them for CI_FUZZTIME each after the unit tests, which
# already ran their seed corpora.
FUZZTIME    ?= 60s
CI_FUZZTIME ?= 3s
CI_FUZZMINIMIZETIME ?= 1s

fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

test-deps:
	@scripts/daprd.sh >/dev/null
	scripts/infra.sh install ffmpeg chromium nginx
	scripts/infra.sh up all

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

generate:
	$(GO) generate ./...

# Generated code is committed; this fails when it no longer matches the schema.
generate-check:
	$(GO) generate ./graph/...
	@git diff --exit-code --stat -- graph/ || { echo "graph/: run 'make generate' and commit the result"; exit 1; }

# make bench measures dflix's trade-offs side by side in one run on this
# machine (cmd/dflixbench; under 20 minutes on 2 cores) and rewrites
# bench/results.json, docs/benchmarks.md, docs/monolith-vs-microservices.md
# and docs/rpc-vs-messaging.md from its figures. It starts and stops what it
# needs: dflix in both modes (daprd, Redis), PostgreSQL, nginx, ffmpeg.
# bench-quick runs a reduced set (under 3 minutes) into bench/quick/.
# bench-go runs the Go micro-benchmarks, for benchstat between changes.
BENCH_TOOLS = $(GO) build -o bin/daprrun ./cmd/daprrun && $(GO) build -o bin/dflixbench ./cmd/dflixbench && \
	scripts/infra.sh install ffmpeg nginx && export DFLIX_DAPRD="$$(scripts/daprd.sh)"

bench: build
	@$(BENCH_TOOLS) && status=0; \
	./bin/dflixbench -out bench/results.json -docs docs || status=$$?; \
	scripts/infra.sh down redis postgres >/dev/null || true; exit $$status

bench-quick: build
	@$(BENCH_TOOLS) && status=0; \
	./bin/dflixbench -quick -out bench/quick/results.json -docs bench/quick || status=$$?; \
	scripts/infra.sh down redis postgres >/dev/null || true; exit $$status

# make soak holds 200 simulated viewers (browse, search, playback, progress;
# each its own subscribed account) on each mode for 2 minutes and rewrites
# bench/soak.json: it fails on any 5xx (or GraphQL INTERNAL/UNAVAILABLE) and
# on RSS growing more than 10% over the last minute. About 8 minutes.
soak: build
	@$(BENCH_TOOLS) && status=0; \
	./bin/dflixbench soak -out bench/soak.json || status=$$?; \
	scripts/infra.sh down redis >/dev/null || true; exit $$status

bench-go:
	@scripts/infra.sh install ffmpeg
	$(GO) test -run='^$$' -bench=. -benchmem -count=1 ./bff/... ./services/catalog/...
	$(GO) test -run='^$$' -bench=. -benchtime=1x -count=1 ./services/encoder/

clean:
	rm -rf bin

# --- Dapr mode (dapr/README.md, components/README.md) ----------------------
# COMPONENTS picks the component set: a folder of components/.
COMPONENTS ?= redis

# Print the path of a daprd 1.14.0, building it once (about ten minutes) into
# ~/.cache/dflix when none is installed.
daprd:
	@scripts/daprd.sh

# Start (idempotent) or stop our own brokers and databases for COMPONENTS
# (or COMPONENTS=all), on loopback, under the run dir.
infra-up:
	scripts/infra.sh up $(COMPONENTS)

infra-down:
	scripts/infra.sh down all

# Every service beside its own sidecar, from dapr/dapr.yaml, without the dapr
# CLI. Ctrl-C stops everything.
dapr-run: build
	@scripts/infra.sh install ffmpeg
	$(GO) build -o bin/daprrun ./cmd/daprrun
	./bin/daprrun -f dapr/dapr.yaml -components $(COMPONENTS)
