package server

// Replica fetches: Fetch requests from another broker's follower, named by
// ReplicaID (v0-14) or ReplicaState.ID (v15+) ≥ 0. They are served like
// consumer fetches (same sessions, long polls and epoch checks) with three
// differences, as in Kafka: they read up to the log end offset rather than
// the high watermark; a LastFetchedEpoch (v12+) that diverges from our log
// is answered with DivergingEpoch before anything is read; and every
// partition's FetchOffset is recorded as the follower's log end offset
// (replica.Partition.RecordFollowerFetch), which moves the high watermark
// and the follower's ISR membership. A fetch from a broker that is not one
// of the partition's replicas gets UNKNOWN_LEADER_EPOCH (when it names the
// current epoch) or NOT_LEADER_OR_FOLLOWER; one carrying an older broker
// epoch than the follower sent before gets NOT_LEADER_OR_FOLLOWER.

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/replica"
)

// replicaFetch identifies the follower behind a replica fetch.
type replicaFetch struct {
	id    int32
	epoch int64 // broker epoch (KIP-903), -1 when not sent
}

// newReplicaFetch returns the follower of a replica fetch, or nil for a
// consumer fetch.
func newReplicaFetch(req *kmsg.FetchRequest) *replicaFetch {
	id, epoch := req.ReplicaID, int64(-1)
	if req.Version >= 15 {
		id, epoch = req.ReplicaState.ID, req.ReplicaState.Epoch
	}
	if id < 0 {
		return nil
	}
	return &replicaFetch{id: id, epoch: epoch}
}

// record records the follower's position in one partition before it is
// read, returning the error code to answer with (0 to go on).
func (s *Server) recordReplicaFetch(rf *replicaFetch, part *replica.Partition, sp *sessionPartition) int16 {
	err := part.RecordFollowerFetch(replica.FollowerFetch{
		ReplicaID: rf.id, BrokerEpoch: rf.epoch, CurrentLeaderEpoch: sp.currentLeaderEpoch,
		FetchOffset: sp.fetchOffset, LogStartOffset: sp.logStartOffset,
	})
	code, _, _ := s.partitionError(err, sp.key.Topic, sp.key.Partition)
	return code
}
