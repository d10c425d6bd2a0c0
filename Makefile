# Outpost's two entry points: `make run` and `make test` (see README.md).

CARGO ?= cargo

.PHONY: run test deps lint unit bench bench-quick fuzz fuzz-short faults

## Build the UI, the agent and the desktop app (release), and open its window: "This computer"
## needs no remote host. The app finds the agent beside itself in target/release/: the portable
## build, outpost-agent-linux-x86_64 (glibc >= 2.17), is the one it deploys to hosts.
run: deps ui
	$(CARGO) build --release -p outpost-agent -p outpost-desktop
	./.ci/agent-portable --release
	./target/release/outpost

## The agent the desktop deploys, linked against glibc 2.17 by cargo-zigbuild (Zig from PyPI):
## target/release/outpost-agent-linux-x86_64 beside `outpost` (docs/portable-agent.md;
## `.ci/agent-portable --arch aarch64 --release` for aarch64 hosts, given that Rust target).
.PHONY: agent-portable
agent-portable: deps
	./.ci/agent-portable --release

## Build the front end into ui/dist, which the desktop app embeds when it is compiled.
.PHONY: ui
## (`npm install --no-save` installs exactly what ui/package-lock.json pins and leaves it alone;
## `npm ci` would insist on lock entries for every platform's optional rollup binary.)
ui:
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || { echo "ui: Node.js 20 or newer is needed (node --version)" >&2; exit 1; }
	cd ui && npm install --no-save --no-audit --no-fund && npm run build

## Install what the tests need, then run every check and test.
test: deps lint unit fuzz-short

deps:
	./.ci/install-deps

lint: ui
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## The tests that deploy the agent over SSH deploy the portable build (target/debug/
## outpost-agent-linux-x86_64), built first here (the testkit also builds it when missing).
unit: ui
	./.ci/agent-portable
	$(CARGO) test --workspace -- --test-threads=2

## Every side-by-side benchmark (release build, about 10 minutes). Each one writes its figures
## into its generated section of docs/benchmarks.md (the prose around it is written by hand) and
## to target/bench-results/<bench>.json; bench_report then writes the summary table at the top of
## docs/benchmarks.md. A benchmark that fails does not stop
## the others; the summary says which one is missing and `make bench` fails at the end.
bench: ui
bench: export OUTPOST_BENCH_RESULTS = target/bench-results
bench:
	./.ci/install-deps
	./.ci/agent-portable --release
	rm -rf target/bench-results
	-$(CARGO) bench -p outpost-agent --bench agent_bench -- --out docs/benchmarks.md
	-$(CARGO) bench -p outpost-agent --bench ssh_bench
	-$(CARGO) bench -p outpost-agent --bench monitor_cost
	-$(CARGO) bench -p outpost-desktop --no-default-features --bench engine_bench -- --out docs/benchmarks.md
	-$(CARGO) bench -p outpost-desktop --no-default-features --bench forwarding_bench -- --out docs/benchmarks.md
	-$(CARGO) bench -p outpost-desktop --no-default-features --bench port_forward_bench -- --out docs/benchmarks.md
	-$(CARGO) bench -p outpost-desktop --no-default-features --bench files_bench -- --out docs/benchmarks.md
	-$(CARGO) bench -p outpost-desktop --bench gui_bench -- --out docs/benchmarks.md
	$(CARGO) bench -p outpost-agent --bench bench_report -- --out docs/benchmarks.md

## The same pipeline as a smoke run (small sizes, a few minutes): figures in
## target/bench-results-quick/, the summary in target/bench-quick.md; docs/benchmarks.md untouched.
bench-quick: ui
bench-quick: export OUTPOST_BENCH_RESULTS = target/bench-results-quick
bench-quick:
	./.ci/install-deps
	./.ci/agent-portable --release
	rm -rf target/bench-results-quick
	-$(CARGO) bench -p outpost-agent --bench agent_bench -- --quick
	-$(CARGO) bench -p outpost-agent --bench ssh_bench -- --quick
	-$(CARGO) bench -p outpost-agent --bench monitor_cost -- --quick
	-$(CARGO) bench -p outpost-desktop --no-default-features --bench engine_bench -- --quick
	-$(CARGO) bench -p outpost-desktop --no-default-features --bench forwarding_bench -- --quick
	-$(CARGO) bench -p outpost-desktop --no-default-features --bench port_forward_bench -- --quick
	-$(CARGO) bench -p outpost-desktop --no-default-features --bench files_bench -- --quick
	-$(CARGO) bench -p outpost-desktop --bench gui_bench -- --quick
	$(CARGO) bench -p outpost-agent --bench bench_report -- --out target/bench-quick.md --command 'make bench-quick'

## One hour of random sessions on the release agent (kill -9 included), every byte checked, then
## no leaked process, zombie, socket or state file and no memory growth; writes its section of
## docs/reliability.md. Uses a fraction of one core.
.PHONY: soak
soak:
	$(CARGO) build --release -p outpost-agent
	$(CARGO) bench -p outpost-agent --bench soak -- --seconds 3600 --out docs/reliability.md

## Fuzz every parser of outside input, 10 minutes per target (cargo-fuzz; see docs/fuzzing.md).
fuzz:
	./.ci/fuzz

## The same for 5 s per target, on a quicker build (CI).
fuzz-short:
	./.ci/fuzz --short

## The fault suite (about 3 minutes): the agent killed under output, a daemon killed, 100 floods,
## a client that stops reading for 60 s, a full or read-only state directory, another local user,
## and the desktop's cut links. Each scenario writes its figures into its section of
## docs/reliability.md (CI runs the same tests without writing anything).
faults:
	OUTPOST_RELIABILITY_OUT=$(CURDIR)/docs/reliability.md $(CARGO) test -p outpost-agent --test faults
	OUTPOST_RELIABILITY_OUT=$(CURDIR)/docs/reliability.md $(CARGO) test -p outpost-desktop --test faults_link -- --test-threads=1
