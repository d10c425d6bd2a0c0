# Outpost's two entry points: `make run` and `make test` (see README.md).

CARGO ?= cargo

.PHONY: run test deps lint unit bench bench-quick

## Build the agent and serve JSON-RPC on this terminal ("This computer": no remote host needed).
run:
	$(CARGO) build --release -p outpost-agent
	@echo 'outpost-agent: type JSON-RPC lines, e.g. {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocol_version":1,"client":{"name":"me","version":"0"}}}' >&2
	./target/release/outpost-agent serve --stdio

## Install what the tests need, then run every check and test.
test: deps lint unit

deps:
	./.ci/install-deps

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

unit:
	$(CARGO) test --workspace -- --test-threads=2

## Every side-by-side benchmark (release build, about 10 minutes); writes docs/benchmarks.md.
bench:
	./.ci/install-deps
	$(CARGO) bench -p outpost-agent --bench agent_bench -- --out docs/benchmarks.md
	$(CARGO) bench -p outpost-agent --bench ssh_bench
	$(CARGO) bench -p outpost-agent --bench monitor_cost
	$(CARGO) bench -p outpost-desktop --bench engine_bench -- --out docs/benchmarks.md
