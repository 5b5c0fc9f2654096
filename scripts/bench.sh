#!/usr/bin/env bash
# Run the benchmark suite (make bench): build kafka-server and the kfake
# reference broker from this checkout, then run bench/ against both.
# Arguments go to the suite, e.g.:
#   scripts/bench.sh -quick
#   scripts/bench.sh -out /tmp/results.json -cases 'p6'
#   scripts/bench.sh -quick -profile bench/profiles    # CPU profile of each run
# BENCH_REF=<git ref> builds the broker from that commit (git archive) instead
# of the working tree, e.g. BENCH_REF=HEAD while others have edits in flight.
# See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
BIN=$PWD/bench/.bin
mkdir -p "$BIN"
export CGO_ENABLED=0 # the same build flags as `make build`

"$GO" build -trimpath -o "$BIN/" ./tools/kfakebroker ./bench
# What is measured, built as `make build` builds it (stripped): the broker
# and the tools whose start-up time the suite reports; and the profiling
# variant of the broker, with its symbols.
build_measured() {
	"$GO" build -trimpath -ldflags '-s -w' -o "$BIN/" ./cmd/kafka-server ./cmd/kafka-topics \
		./cmd/kafka-producer-perf-test ./cmd/kafka-consumer-perf-test
	"$GO" build -trimpath -o "$BIN/" ./bench/profserver
}
if [[ -n "${BENCH_REF:-}" ]]; then
	src=$(mktemp -d)
	trap 'rm -rf "$src"' EXIT
	git archive "$BENCH_REF" | tar -x -C "$src"
	(cd "$src" && build_measured)
	echo "kafka-server built from $BENCH_REF ($(git rev-parse --short "$BENCH_REF"))" >&2
else
	build_measured
fi

args=(-server "$BIN/kafka-server" -kfake "$BIN/kfakebroker" -tools "$BIN")
for a in "$@"; do
	if [[ "$a" == "-profile" || "$a" == -profile=* || "$a" == "--profile" || "$a" == --profile=* ]]; then
		args+=(-profserver "$BIN/profserver")
		break
	fi
done
"$BIN/bench" "${args[@]}" "$@"
