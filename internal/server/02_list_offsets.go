package server

// ListOffsets (key 2): v0-9, as Apache Kafka 3.9 serves it.
//
// Behaviour, per partition on its leader:
//   - Timestamp -1 (latest): the high watermark, or the last stable offset
//     with read_committed (v2+) — never offsets consumers cannot read;
//   - -2 (earliest) and -4 (earliest local, v8+): the log start offset;
//   - -3 (max timestamp, v7+): the record with the largest timestamp;
//   - -5 (latest tiered, v9): offset -1 (no tiered storage);
//   - a timestamp ≥ 0: the first record at or after it below the high
//     watermark, or offset -1 / timestamp -1 when there is none;
//   - v0 returns OldStyleOffsets (at most MaxNumOffsets of them);
//   - CurrentLeaderEpoch (v4+) is checked; the returned LeaderEpoch is the
//     epoch of the returned offset;
//   - a partition named twice is INVALID_REQUEST.
//
// Version notes: v1 single offset and timestamp; v2 isolation level; v4
// leader epochs; v6 flexible; v7 max timestamp; v8 earliest local; v9
// latest tiered.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/log"
)

func handleListOffsets(s *Server, _ context.Context, _ *conn, _ *request, req *kmsg.ListOffsetsRequest) *kmsg.ListOffsetsResponse {
	resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
	seen := map[fetchKey]int{}
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			seen[fetchKey{Topic: t.Topic, Partition: p.Partition}]++
		}
	}
	for _, t := range req.Topics {
		rt := kmsg.NewListOffsetsResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewListOffsetsResponseTopicPartition()
			rp.Partition = p.Partition
			rp.Offset, rp.Timestamp, rp.LeaderEpoch = -1, -1, -1
			if seen[fetchKey{Topic: t.Topic, Partition: p.Partition}] > 1 {
				rp.ErrorCode = kerr.InvalidRequest.Code
				rt.Partitions = append(rt.Partitions, rp)
				continue
			}
			s.listOffset(req, t.Topic, p, &rp)
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func (s *Server) listOffset(req *kmsg.ListOffsetsRequest, topic string, p kmsg.ListOffsetsRequestTopicPartition, rp *kmsg.ListOffsetsResponseTopicPartition) {
	part, code := s.leaderPartition(topic, p.Partition)
	if code != 0 {
		rp.ErrorCode = code
		return
	}
	if req.Version >= 4 {
		if err := part.CheckLeaderEpoch(p.CurrentLeaderEpoch); err != nil {
			rp.ErrorCode, _, _ = s.partitionError(err, topic, p.Partition)
			return
		}
	}
	l := part.Log()
	consumer := req.ReplicaID < 0
	limit := l.HighWatermark()
	if req.IsolationLevel == 1 {
		limit = l.LastStableOffset()
	}
	if !consumer {
		limit = l.LogEndOffset()
	}
	ts := p.Timestamp
	var offset, timestamp int64 = -1, -1
	epoch := int32(-1)
	found := false
	switch ts {
	case log.LatestTimestamp:
		offset, found = limit, true
		epoch = epochAt(l, offset)
	default:
		offset, timestamp, epoch, found = l.OffsetForTimestamp(ts)
		if found && offset >= limit && (ts >= 0 || ts == log.MaxTimestamp) {
			// Not yet readable by consumers.
			offset, timestamp, epoch, found = -1, -1, -1, false
		}
	}
	if req.Version == 0 {
		if found && offset >= 0 && p.MaxNumOffsets > 0 {
			rp.OldStyleOffsets = []int64{offset}
		} else {
			rp.OldStyleOffsets = []int64{}
		}
		return
	}
	if !found {
		offset, timestamp, epoch = -1, -1, -1
	}
	rp.Offset, rp.Timestamp, rp.LeaderEpoch = offset, timestamp, epoch
}

// epochAt returns the leader epoch in force at offset: the epoch of the
// last cache entry starting at or before it.
func epochAt(l *log.Log, offset int64) int32 {
	epoch := int32(-1)
	for _, e := range l.LeaderEpochs() {
		if e.StartOffset <= offset {
			epoch = e.Epoch
		}
	}
	return epoch
}
