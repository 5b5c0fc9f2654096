# Build, test and run kafkakit. `make help` lists the targets.
GO        ?= go
BIN       := bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/kafkakit/kafkakit/internal/buildinfo.Version=$(VERSION)
CMDS      := $(notdir $(wildcard cmd/*))
FUZZTIME  ?= 10s

.PHONY: help build test test-short run cluster bench fuzz lint clean

help:
	@echo "make run     build everything and start a single-node broker (localhost:9092)"
	@echo "make test    run every test (unit, golden, compatibility with real clients)"
	@echo "make cluster build and start three local nodes (localhost:9092-9094)"
	@echo "make build   build all binaries into $(BIN)/"
	@echo "make bench   run the benchmarks"
	@echo "make fuzz    run every fuzz target for FUZZTIME ($(FUZZTIME)) each"
	@echo "make lint    gofmt and go vet"

build:
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

test: build
	$(GO) vet ./...
	$(GO) test -race -timeout 20m ./...

test-short:
	$(GO) test -short ./...

run: build
	./scripts/run.sh $(ARGS)

cluster: build
	./scripts/cluster.sh $(ARGS)

bench:
	./scripts/bench.sh $(BENCH_ARGS)

fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf $(BIN) dist
