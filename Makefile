# The two commands of README.md: `make demo` and `make test`. Both install what they need first.
SWIFT ?= swift
DEMO_DIR ?= demo

.PHONY: deps build release demo test vectors fixtures bench clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

## Builds Cairn, writes a series of three demo checkpoints into ./demo, then inspects and validates them.
demo: release
	rm -rf $(DEMO_DIR)
	.build/release/cairn generate $(DEMO_DIR) --preset demo --checkpoints 3 --seed 1
	.build/release/cairn inspect $(DEMO_DIR)/chk-3.cairn
	.build/release/cairn inspect $(DEMO_DIR)/chk-3.cairn --by subtask --top 5
	.build/release/cairn validate $(DEMO_DIR)/chk-3.cairn --deep

## Runs every test: unit and end-to-end tests, test vectors, and the independent Python reader.
test: deps
	$(SWIFT) test

## Rewrites format-spec/vectors from Tests/CairnFormatTests/VectorCatalog.swift.
vectors: deps
	CAIRN_UPDATE_VECTORS=1 $(SWIFT) test --filter VectorTests

## Rewrites Fixtures/cairn from their recorded generate commands.
fixtures: release
	Fixtures/cairn/regenerate.sh .build/release/cairn

## Throughput and side-by-side measurements (not part of `make test`).
bench: release
	Benchmarks/run.sh

clean:
	rm -rf .build $(DEMO_DIR) Benchmarks/work
