package server

// AlterPartitionReassignments (key 45): v0, as Apache Kafka 3.9 serves it
// (KIP-455).
//
// Behaviour: each listed partition gets a target replica list, which
// starts (or replaces) a reassignment, or a null list, which cancels the
// one in progress. The controller adds the new replicas as followers and
// completes the move once they are all in the ISR, then drops the
// replicas no longer assigned and, if the leader was one of them, elects
// another. Per partition: UNKNOWN_TOPIC_OR_PARTITION,
// INVALID_REPLICA_ASSIGNMENT (an empty target, a broker named twice or
// not registered, or a cancellation that would need an unclean election
// the topic does not allow) and NO_REASSIGNMENT_IN_PROGRESS, each with
// Kafka's message. The accepted changes are one metadata entry. A failure
// of the whole request is the top-level error and every partition's, as
// Kafka's AlterPartitionReassignmentsRequest.getErrorResponse builds it.
// The request runs on the active controller (forwarded from any broker);
// TimeoutMillis bounds the wait.
//
// Version notes: v0 is flexible. v1 (Kafka 4.1,
// AllowReplicationFactorChange) is not served, as in Kafka 3.9.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/metadata"
)

func handleAlterPartitionReassignments(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.AlterPartitionAssignmentsRequest) *kmsg.AlterPartitionAssignmentsResponse {
	resp := req.ResponseKind().(*kmsg.AlterPartitionAssignmentsResponse)
	ctx, cancel := controllerCallContext(ctx, req.TimeoutMillis)
	defer cancel()
	var reqs []metadata.Reassignment
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			reqs = append(reqs, metadata.Reassignment{Topic: t.Topic, Partition: p.Partition, Replicas: p.Replicas})
		}
	}
	results, err := s.controller().AlterPartitionReassignments(ctx, reqs)
	code, msg := kafkaError(err)
	resp.ErrorCode, resp.ErrorMessage = code, msg
	i := 0
	for _, t := range req.Topics {
		rt := kmsg.NewAlterPartitionAssignmentsResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewAlterPartitionAssignmentsResponseTopicPartition()
			rp.Partition = p.Partition
			if err != nil {
				rp.ErrorCode, rp.ErrorMessage = code, msg
			} else {
				// The controller logs each reassignment it starts or
				// cancels.
				rp.ErrorCode, rp.ErrorMessage = kafkaError(results[i].Err)
			}
			i++
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
