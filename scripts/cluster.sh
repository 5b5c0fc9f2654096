#!/usr/bin/env bash
# Starts a local three-node kafka-server cluster for trying things out:
# every node is broker and controller, clients connect to
# localhost:9092,localhost:9093,localhost:9094, the controllers talk on
# 19092-19094, data lives under ${CLUSTER_DIR:-/tmp/kafkakit-cluster}.
# Ctrl-C stops all three cleanly.
#
# Usage: scripts/cluster.sh [extra --override key=value ...]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${KAFKA_SERVER:-bin/kafka-server}
dir=${CLUSTER_DIR:-/tmp/kafkakit-cluster}
voters="1@localhost:19092,2@localhost:19093,3@localhost:19094"
pids=()
stop() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait
}
trap stop INT TERM
for i in 1 2 3; do
	mkdir -p "$dir/node-$i"
	"$bin" \
		--override node.id=$i \
		--override process.roles=broker,controller \
		--override listeners=PLAINTEXT://localhost:$((9091 + i)),CONTROLLER://localhost:$((19091 + i)) \
		--override controller.listener.names=CONTROLLER \
		--override controller.quorum.voters=$voters \
		--override log.dirs="$dir/node-$i" \
		--override offsets.topic.replication.factor=3 \
		--override default.replication.factor=3 \
		--override min.insync.replicas=2 \
		"$@" 2>"$dir/node-$i.log" &
	pids+=($!)
	echo "node $i: localhost:$((9091 + i)) (log: $dir/node-$i.log)"
done
echo "bootstrap servers: localhost:9092,localhost:9093,localhost:9094 (Ctrl-C stops the cluster)"
wait
