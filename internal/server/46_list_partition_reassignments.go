package server

// ListPartitionReassignments (key 46): v0, as Apache Kafka 3.9 serves it
// (KIP-455).
//
// Behaviour: the reassignments in progress, as the active controller
// sees them (forwarded from any broker): every one when the topic list is
// null, else those among the listed partitions. Each partition shows its
// current replicas (the target followed by the replicas being removed),
// the adding and the removing replicas. Unknown topics and partitions,
// and partitions not being reassigned, are left out, as in Kafka. A
// failure of the whole request is the top-level error, with the listed
// partitions echoed without replicas (Kafka's
// ListPartitionReassignmentsRequest.getErrorResponse).
//
// Version notes: v0 is flexible.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/metadata"
)

func handleListPartitionReassignments(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.ListPartitionReassignmentsRequest) *kmsg.ListPartitionReassignmentsResponse {
	resp := req.ResponseKind().(*kmsg.ListPartitionReassignmentsResponse)
	ctx, cancel := controllerCallContext(ctx, req.TimeoutMillis)
	defer cancel()
	var topics []metadata.TopicPartitions // nil: every reassignment
	if req.Topics != nil {
		topics = make([]metadata.TopicPartitions, 0, len(req.Topics))
		for _, t := range req.Topics {
			topics = append(topics, metadata.TopicPartitions{Topic: t.Topic, Partitions: t.Partitions})
		}
	}
	list, err := s.controller().ListPartitionReassignments(ctx, topics)
	if err != nil {
		resp.ErrorCode, resp.ErrorMessage = kafkaError(err)
		for _, t := range req.Topics {
			rt := kmsg.NewListPartitionReassignmentsResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewListPartitionReassignmentsResponseTopicPartition()
				rp.Partition = p
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp
	}
	// The list is sorted by topic, so each topic's partitions are adjacent.
	for _, r := range list {
		if n := len(resp.Topics); n == 0 || resp.Topics[n-1].Topic != r.Topic {
			rt := kmsg.NewListPartitionReassignmentsResponseTopic()
			rt.Topic = r.Topic
			resp.Topics = append(resp.Topics, rt)
		}
		rp := kmsg.NewListPartitionReassignmentsResponseTopicPartition()
		rp.Partition = r.Partition
		rp.Replicas, rp.AddingReplicas, rp.RemovingReplicas = r.Replicas, r.AddingReplicas, r.RemovingReplicas
		rt := &resp.Topics[len(resp.Topics)-1]
		rt.Partitions = append(rt.Partitions, rp)
	}
	return resp
}
