// Package metadata owns cluster metadata: brokers, topics and their ids,
// partitions with replicas, ISR, leaders and epochs, dynamic configs, client
// quotas, producer id blocks and feature levels.
//
// As in KRaft, metadata is a replicated log. Every change is a Record;
// records travel in entries of hashicorp/raft, stored with raft-boltdb under
// <dir>/__cluster_metadata-0/, and one deterministic state machine applies
// them on every node. A single node is simply a one-voter quorum.
//
// Invariants:
//   - Only the state machine (fsm.Apply and fsm.Restore, on raft's FSM
//     goroutine) changes the image. It builds a new immutable Image per
//     entry and swaps it in atomically; Node.Image never blocks and readers
//     never lock.
//   - Applying an entry is a pure function of the previous image, the
//     entry's records and its raft index: no clock, no randomness. Random
//     choices (topic ids, replica placement) are made by the proposer.
//   - An entry applies atomically: all of its records or, if any is invalid
//     against the image, none. Records carry what makes a replay harmless:
//     a TopicRecord fails for a name or id that exists, a
//     PartitionChangeRecord names the partition epoch it was computed from,
//     broker records name the broker epoch, a ProducerIDsRecord must move
//     the next producer id forward. An ambiguous raft.Apply result retried
//     by a client therefore never duplicates a change.
//   - The Controller decides only on the active controller: the raft leader
//     after its activation entry has applied, which proves every earlier
//     entry has applied here too. It runs one operation at a time.
//
// A cluster (Config.Voters, from controller.quorum.voters) is formed by
// nodes started independently with the same voter set: each voter
// bootstraps its fresh directory with that set, sorted by id, exactly
// once, and raft elects a leader among them; there is no format step.
// Everything controller-bound shares the node's CONTROLLER listener: a
// controllerrpc.Mux routes raft connections to raft and the rest to the
// controller RPC server. Raft connections and RPC requests carry the
// cluster id, and a node refuses those of another cluster.
//
// Controller operations work on every node: on one that is not the active
// controller they are forwarded over the RPC to the raft leader's
// CONTROLLER address and retried across leader changes within the
// caller's deadline (forward.go). Brokers register and heartbeat through
// the same operations; the active controller fences a broker whose session
// expired and, asked by a heartbeat, one that shuts down (session.go);
// BrokerLifecycle runs the broker's side (lifecycle.go).
//
// Partition changes follow KRaft's PartitionChangeBuilder
// (partitionChange): every change of a partition's ISR, leader or
// assignment goes through one function that also completes a partition
// reassignment once the ISR allows it (controller_reassign.go). The
// active controller also elects in the background: preferred leaders when
// the leadership is imbalanced (auto.leader.rebalance.enable), and
// leaders of offline partitions whose topic allows unclean election
// (controller_balance.go).
//
// A node not among the voters (process.roles=broker) is an observer: it
// never bootstraps, asks the active controller to add it as a raft
// non-voter at its own address, and then receives snapshots and entries
// like any follower, without voting.
//
// Lock order: Controller.turn, then the fsm mutex (taken only by the apply
// goroutine and Subscribe), and Controller.turn, then the session mutex
// (never held across a proposal). Subscriber callbacks run under the fsm
// mutex and therefore must not call Propose or controller operations.
//
// The package knows nothing of the Kafka wire protocol; its errors are
// *Error values carrying franz-go kerr codes and Kafka's messages, and
// KafkaError maps any error to a code.
package metadata
