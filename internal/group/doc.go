// Package group is the broker's classic group coordinator: group membership
// (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), committed offsets
// (OffsetCommit, OffsetFetch, OffsetDelete) and group administration
// (ListGroups, DescribeGroups, DeleteGroups), with the behaviour of Apache
// Kafka 3.9's GroupCoordinator for the classic rebalance protocol.
//
// # Wire types
//
// The group protocol's semantics change with the request version (JoinGroup
// v4+ answers an unknown member with MEMBER_ID_REQUIRED, v5+ carries
// group.instance.id for static membership, v9+ lets a static leader skip the
// assignment, SyncGroup v5+ must name the protocol, OffsetFetch v8+ batches
// groups, v0-1 have no top-level error). So, unlike the other engine
// packages, this one works directly on franz-go's kmsg request and response
// types (github.com/twmb/franz-go/pkg/kmsg) with error codes from
// github.com/twmb/franz-go/pkg/kerr. Every handler takes the decoded request
// and returns a response built with the kmsg.New constructors whose version is
// the request's version; a handler never returns nil and reports every
// failure as a Kafka error code inside the response.
//
// # Ownership and persistence
//
// Groups live in partitions of __consumer_offsets: a group belongs to
// partition PartitionFor(id), computed exactly as Kafka does, and the
// coordinator serves a group only while it owns that partition (between Load
// and Unload). Group metadata and committed offsets are written to the
// partition through Storage in Kafka's record schemas (offset commits: key
// version 1 with OffsetCommitValue v3, or v1 when the client set a retention
// time; group metadata: key version 2 with GroupMetadataValue v3; tombstones
// for expired or deleted offsets and deleted groups), in uncompressed magic v2
// batches, so a partition written here can be read by Apache Kafka and the
// other way round. Load rebuilds the groups and offsets of a partition by
// replaying it (the last record for a key wins, a tombstone deletes).
//
// An offset commit is acknowledged only after Storage.Append has returned
// without error; the in-memory offset is updated at the same time. When two
// appends for the same key race, the record with the higher log offset wins
// in memory as it does on reload.
//
// # Concurrency
//
// There is one lock per group, not one per coordinator. Lock order:
//
//  1. group.writeMu: serialises every Storage append made for one group, so
//     the order of a group's records in the log is the order in which its
//     in-memory state changed. It is held across Storage I/O and only by
//     request handlers and by the coordinator's own tracked goroutines,
//     never by timer callbacks.
//  2. Coordinator.mu: the group map and the partition ownership table. It is
//     never held across Storage I/O.
//  3. group.mu: the group's state, members, timers and offsets. It is never
//     held across Storage I/O: a handler validates and prepares a write under
//     group.mu, releases it for the append, and takes it again to apply the
//     result, re-checking the generation and state as Kafka does in its
//     append callbacks.
//
// A lock may be taken while holding one above it in this list, never the
// other way round.
//
// JoinGroup and SyncGroup block until the rebalance step completes, the
// request's context ends, or the partition is unloaded (NOT_COORDINATOR).
// Rebalance, pending-sync, session and pending-member timeouts are timers
// owned by their group; every timer callback and every background goroutine
// is tracked by the coordinator and Close stops and waits for them.
package group
