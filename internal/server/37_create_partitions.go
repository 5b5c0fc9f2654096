package server

// CreatePartitions (key 37): v0-3, as Apache Kafka 3.9 serves it.
//
// Behaviour: grows each topic to Count partitions, placing the new ones or
// using the given assignment (one replica list per new partition);
// shrinking or keeping the count is INVALID_PARTITIONS with Kafka's
// message. A topic named twice in the request gets INVALID_REQUEST.
// ValidateOnly checks without changing anything.
//
// Version notes: v1 throttle semantics; v2 flexible.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func handleCreatePartitions(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.CreatePartitionsRequest) *kmsg.CreatePartitionsResponse {
	resp := req.ResponseKind().(*kmsg.CreatePartitionsResponse)
	count := map[string]int{}
	for _, t := range req.Topics {
		count[t.Topic]++
	}
	for _, t := range req.Topics {
		rt := kmsg.NewCreatePartitionsResponseTopic()
		rt.Topic = t.Topic
		if count[t.Topic] > 1 {
			setErr(&rt.ErrorCode, &rt.ErrorMessage, kerr.InvalidRequest, "Duplicate topic in request.")
			resp.Topics = append(resp.Topics, rt)
			continue
		}
		var assignment [][]int32
		for _, a := range t.Assignment {
			assignment = append(assignment, a.Replicas)
		}
		err := s.controller().CreatePartitions(ctx, t.Topic, t.Count, assignment, req.ValidateOnly)
		rt.ErrorCode, rt.ErrorMessage = kafkaError(err)
		if err == nil && !req.ValidateOnly {
			s.log.Info("added partitions", "topic", t.Topic, "count", t.Count)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
