package server

// OffsetForLeaderEpoch (key 23): v0-4, as Apache Kafka 3.9 serves it.
//
// Behaviour: for each partition, the leader answers with the end offset of
// the requested epoch — the start offset of the next larger epoch in its
// leader epoch cache, or its log end offset for the current epoch — and the
// largest epoch at or below the requested one (KIP-101, KIP-279). An epoch
// older than every cached one answers UNDEFINED (-1/-1). Consumers use it
// to detect truncation after a leader change (KIP-320), followers to find
// where their log diverged. CurrentLeaderEpoch (v2+) is checked.
//
// Version notes: v1 LeaderEpoch in the response; v2 CurrentLeaderEpoch;
// v3 ReplicaID; v4 flexible.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func handleOffsetForLeaderEpoch(s *Server, _ context.Context, _ *conn, _ *request, req *kmsg.OffsetForLeaderEpochRequest) *kmsg.OffsetForLeaderEpochResponse {
	resp := req.ResponseKind().(*kmsg.OffsetForLeaderEpochResponse)
	for _, t := range req.Topics {
		rt := kmsg.NewOffsetForLeaderEpochResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			rp.Partition = p.Partition
			rp.LeaderEpoch, rp.EndOffset = -1, -1
			part, code := s.leaderPartition(t.Topic, p.Partition)
			if code != 0 {
				rp.ErrorCode = code
				rt.Partitions = append(rt.Partitions, rp)
				continue
			}
			if req.Version >= 2 {
				if err := part.CheckLeaderEpoch(p.CurrentLeaderEpoch); err != nil {
					rp.ErrorCode, _, _ = s.partitionError(err, t.Topic, p.Partition)
					rt.Partitions = append(rt.Partitions, rp)
					continue
				}
			}
			rp.LeaderEpoch, rp.EndOffset = part.Log().EndOffsetForEpoch(p.LeaderEpoch)
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
