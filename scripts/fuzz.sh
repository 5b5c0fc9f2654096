#!/usr/bin/env bash
# Runs every fuzz target in the module for a fixed time each (default 10s).
# Usage: scripts/fuzz.sh [duration]
set -euo pipefail
cd "$(dirname "$0")/.."
time=${1:-10s}
status=0
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)\(' "$dir"/*_test.go 2>/dev/null | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/' | sort -u); do
		echo "== $pkg $target ($time)"
		if ! go test "$pkg" -run "^$" -fuzz "^${target}\$" -fuzztime "$time" -fuzzminimizetime 5s -parallel 1; then
			status=1
		fi
	done
done
exit $status
