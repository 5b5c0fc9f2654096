package server

// FindCoordinator (key 10): v0-6, as Apache Kafka 3.9 serves it.
//
// Behaviour: a group's coordinator is the leader of partition
// abs(hashCode(group)) % offsets.topic.num.partitions of __consumer_offsets,
// as in Kafka. The topic is created on first use (offsets.topic.* configs,
// compacted); until it has a leader the answer is COORDINATOR_NOT_AVAILABLE,
// which clients retry. Transaction coordinators (key type 1) are not
// offered: COORDINATOR_NOT_AVAILABLE. Unknown key types are INVALID_REQUEST.
// The endpoint returned is the coordinator's for the listener the client
// used.
//
// Version notes: v1 key type, throttle, ErrorMessage; v3 flexible; v4
// batched keys (one result per key).

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const offsetsTopic = "__consumer_offsets"

func handleFindCoordinator(s *Server, ctx context.Context, c *conn, _ *request, req *kmsg.FindCoordinatorRequest) *kmsg.FindCoordinatorResponse {
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	keys := req.CoordinatorKeys
	if req.Version < 4 {
		keys = []string{req.CoordinatorKey}
	}
	for _, key := range keys {
		rc := kmsg.NewFindCoordinatorResponseCoordinator()
		rc.Key = key
		rc.NodeID, rc.Port = -1, -1
		s.findCoordinator(ctx, c, req.CoordinatorType, key, &rc)
		if req.Version < 4 {
			resp.ErrorCode, resp.ErrorMessage = rc.ErrorCode, rc.ErrorMessage
			resp.NodeID, resp.Host, resp.Port = rc.NodeID, rc.Host, rc.Port
			if req.Version < 1 {
				resp.ErrorMessage = nil
			}
			return resp
		}
		resp.Coordinators = append(resp.Coordinators, rc)
	}
	return resp
}

func (s *Server) findCoordinator(ctx context.Context, c *conn, typ int8, key string, rc *kmsg.FindCoordinatorResponseCoordinator) {
	notAvailable := func() {
		setErr(&rc.ErrorCode, &rc.ErrorMessage, kerr.CoordinatorNotAvailable, kerr.CoordinatorNotAvailable.Description)
	}
	switch typ {
	case 0:
	case 1:
		notAvailable()
		return
	default:
		setErr(&rc.ErrorCode, &rc.ErrorMessage, kerr.InvalidRequest, "Unknown coordinator type")
		return
	}
	if s.cfg.Groups == nil {
		notAvailable()
		return
	}
	partition := s.cfg.Groups.PartitionFor(key)
	img := s.cfg.Meta.Image()
	t := img.Topics[offsetsTopic]
	if t == nil {
		if err := s.createOffsetsTopic(ctx); err != nil {
			s.log.Info("cannot create the offsets topic", "err", err)
			notAvailable()
			return
		}
		img = s.cfg.Meta.Image()
		t = img.Topics[offsetsTopic]
	}
	if t == nil || int(partition) >= len(t.Partitions) {
		notAvailable()
		return
	}
	leader := t.Partitions[partition].Leader
	b := img.Brokers[leader]
	if b == nil || b.Fenced {
		notAvailable()
		return
	}
	ep, ok := endpointFor(b, c.listener)
	if !ok {
		notAvailable()
		return
	}
	rc.NodeID, rc.Host, rc.Port = b.ID, ep.Host, ep.Port
}

// createOffsetsTopic creates __consumer_offsets with Kafka's settings for
// it: offsets.topic.num.partitions partitions, offsets.topic.replication.factor
// replicas, compacted, producer compression and offsets.topic.segment.bytes
// segments.
func (s *Server) createOffsetsTopic(ctx context.Context) error {
	st := s.settings()
	specs := []metadataTopicSpec{{
		name: offsetsTopic, partitions: st.OffsetsTopicPartitions, rf: st.OffsetsTopicReplicationFactor,
		configs: map[string]string{
			"cleanup.policy":   "compact",
			"compression.type": "producer",
			"segment.bytes":    itoa(int(st.OffsetsTopicSegmentBytes)),
		},
	}}
	for _, r := range s.createTopicsInternal(ctx, specs) {
		if r != nil && !errorIs(r, kerr.TopicAlreadyExists) {
			return r
		}
	}
	s.log.Info("created internal topic", "topic", offsetsTopic, "partitions", st.OffsetsTopicPartitions, "replication_factor", st.OffsetsTopicReplicationFactor)
	return nil
}
