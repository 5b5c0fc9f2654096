package server

// DeleteRecords (key 21): v0-2, as Apache Kafka 3.9 serves it.
//
// Behaviour: moves each partition's log start offset up to the requested
// offset on its leader (-1 means the high watermark); whole segments below
// it are deleted and consumers can no longer read before it. Offsets above
// the high watermark are OFFSET_OUT_OF_RANGE. The response carries the new
// log start offset as LowWatermark.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func handleDeleteRecords(s *Server, _ context.Context, _ *conn, _ *request, req *kmsg.DeleteRecordsRequest) *kmsg.DeleteRecordsResponse {
	resp := req.ResponseKind().(*kmsg.DeleteRecordsResponse)
	for _, t := range req.Topics {
		rt := kmsg.NewDeleteRecordsResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewDeleteRecordsResponseTopicPartition()
			rp.Partition = p.Partition
			rp.LowWatermark = -1
			part, code := s.leaderPartition(t.Topic, p.Partition)
			if code != 0 {
				rp.ErrorCode = code
			} else if lw, err := part.DeleteRecordsBefore(p.Offset); err != nil {
				rp.ErrorCode, _, _ = s.partitionError(err, t.Topic, p.Partition)
			} else {
				rp.LowWatermark = lw
				s.log.Info("deleted records", "topic", t.Topic, "partition", p.Partition, "log_start_offset", lw)
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
