// Package cluster tests three-node kafka-server clusters end to end: real
// kafka-server processes on loopback, formed from Kafka-style properties
// (node.id, process.roles=broker,controller, PLAINTEXT and CONTROLLER
// listeners, controller.quorum.voters), driven by unmodified clients
// (franz-go, our kafka-topics) and broken on purpose.
//
// The fault scenarios run a Jepsen-style workload: idempotent acks=all
// producers write unique values and remember every acknowledgement; after
// the faults heal, a checker reads every partition back and requires each
// acknowledged value exactly once at its acknowledged offset, every
// producer's values in order within a partition, nothing the producers did
// not write, full ISRs, and replicas whose logs are byte-identical up to
// the high watermark (compared batch by batch from the segment files of
// every node). Faults: kill -9 of a partition leader and of the active
// controller with restarts; a follower cut off from a leader by a fault
// proxy (internal/faultproxy) until it drops out of the ISR, then healed;
// a follower restarted with a corrupt segment tail.
//
// Every scenario is bounded (well under a minute) and the package runs in
// a few minutes on two cores. -short skips franz-go's own integration
// tests (TestKgoIntegration) and the throughput comparison.
// KAFKAKIT_SERVER_BIN may name a built kafka-server; otherwise the
// binaries are built from this module. Set KAFKAKIT_CLUSTER_KEEP=1 to keep
// the data directories and server logs of failed tests.
package cluster
