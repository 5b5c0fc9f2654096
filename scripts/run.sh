#!/usr/bin/env bash
# make run: starts a single-node kafka-server from embedded defaults
# (node.id=1, listeners=PLAINTEXT://localhost:9092, log.dirs=/tmp/kafka-logs,
# auto topic creation on). Extra arguments go to kafka-server, e.g.
#   scripts/run.sh --override log.dirs=/tmp/other --log-level debug
# Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "kafka-server on localhost:9092 (data in /tmp/kafka-logs); try in another shell:" >&2
echo "  bin/kafka-topics --bootstrap-server localhost:9092 --create --topic demo --partitions 3" >&2
echo "  echo hello | bin/kafka-console-producer --bootstrap-server localhost:9092 --topic demo" >&2
echo "  bin/kafka-console-consumer --bootstrap-server localhost:9092 --topic demo --from-beginning" >&2
exec bin/kafka-server "$@"
