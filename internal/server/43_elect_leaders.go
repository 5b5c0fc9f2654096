package server

// ElectLeaders (key 43): v0-2, as Apache Kafka 3.9 serves it (KIP-183,
// KIP-460).
//
// Behaviour: the controller elects leaders for the listed partitions, or
// for every partition when the topic list is null. PREFERRED (0) makes the
// first replica the leader if it is in the ISR and live; UNCLEAN (1)
// elects a leader for a partition without one, out of the ISR if no ISR
// member is live, whatever the topic's unclean.leader.election.enable.
// Per partition: ELECTION_NOT_NEEDED (the preferred replica leads, or for
// UNCLEAN the partition has a leader), PREFERRED_LEADER_NOT_AVAILABLE,
// ELIGIBLE_LEADERS_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION, each with a
// message. For a null topic list, partitions that need no election are
// left out. A failure of the whole request, such as INVALID_REQUEST for an
// unknown election type, is the top-level error and every listed
// partition's, as Kafka's ElectLeadersRequest.getErrorResponse builds it.
// The election runs on the active controller (forwarded from any broker);
// TimeoutMillis bounds the wait (REQUEST_TIMED_OUT).
//
// Version notes: v1 ElectionType and the top-level ErrorCode (v0 carries
// errors per partition only, and is always PREFERRED); v2 flexible.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/metadata"
)

func handleElectLeaders(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.ElectLeadersRequest) *kmsg.ElectLeadersResponse {
	resp := req.ResponseKind().(*kmsg.ElectLeadersResponse)
	ctx, cancel := controllerCallContext(ctx, req.TimeoutMillis)
	defer cancel()
	var targets []metadata.TopicPartitions // nil: every partition
	if req.Topics != nil {
		targets = make([]metadata.TopicPartitions, 0, len(req.Topics))
		for _, t := range req.Topics {
			targets = append(targets, metadata.TopicPartitions{Topic: t.Topic, Partitions: t.Partitions})
		}
	}
	typ := metadata.PreferredElection
	if req.Version >= 1 {
		typ = metadata.ElectionType(req.ElectionType)
	}
	results, err := s.controller().ElectLeaders(ctx, typ, targets)
	if err != nil {
		code, msg := kafkaError(err)
		resp.ErrorCode = code
		for _, t := range req.Topics {
			rt := kmsg.NewElectLeadersResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewElectLeadersResponseTopicPartition()
				rp.Partition, rp.ErrorCode, rp.ErrorMessage = p, code, msg
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp
	}
	index := map[string]int{} // topic -> position in resp.Topics
	elected := 0
	for _, r := range results {
		i, ok := index[r.Topic]
		if !ok {
			i = len(resp.Topics)
			index[r.Topic] = i
			rt := kmsg.NewElectLeadersResponseTopic()
			rt.Topic = r.Topic
			resp.Topics = append(resp.Topics, rt)
		}
		rp := kmsg.NewElectLeadersResponseTopicPartition()
		rp.Partition = r.Partition
		rp.ErrorCode, rp.ErrorMessage = kafkaError(r.Err)
		resp.Topics[i].Partitions = append(resp.Topics[i].Partitions, rp)
		if r.Err == nil {
			elected++
		}
	}
	if elected > 0 {
		s.log.Info("leaders elected", "partitions", elected, "election_type", int8(typ))
	}
	return resp
}

// controllerCallContext bounds a controller call by the request's
// TimeoutMillis, when it sets one, as Kafka's ControllerApis turns it into
// the controller operation's deadline.
func controllerCallContext(ctx context.Context, timeoutMs int32) (context.Context, context.CancelFunc) {
	if timeoutMs <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, time.Duration(timeoutMs)*time.Millisecond)
}
