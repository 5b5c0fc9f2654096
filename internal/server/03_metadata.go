package server

// Metadata (key 3): v0-12, as Apache Kafka 3.9 serves it.
//
// Behaviour:
//   - brokers: every unfenced broker, with the host and port of the
//     listener this client connected through (a client dials what it gets);
//   - topics: all topics when the request names none (v0: empty list;
//     v1+: null list), else the named ones (v10+ may name them by id);
//   - unknown topics are auto-created when auto.create.topics.enable is on
//     and the request allows it (v4+ AllowAutoTopicCreation; always before
//     v4), with num.partitions and default.replication.factor; otherwise
//     UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID for ids); invalid names
//     get INVALID_TOPIC_EXCEPTION;
//   - partitions carry the real leader epoch (v7+) and offline replicas
//     (v5+); a partition without a leader has LEADER_NOT_AVAILABLE;
//   - ControllerID is a live broker: clients send admin requests to it and
//     any broker forwards them, as in KRaft mode.
//
// Version notes: v1 IsInternal, ControllerID, null = all topics; v2
// ClusterID; v3 throttle; v4 AllowAutoTopicCreation; v5 OfflineReplicas;
// v7 LeaderEpoch; v8 authorized operations; v9 flexible; v10 topic ids;
// v11 drops cluster authorized operations.

import (
	"context"
	"slices"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/metadata"
)

// authorizedOperationsOmitted is the sentinel Kafka sends when authorized
// operations were not requested.
const authorizedOperationsOmitted = -2147483648

func handleMetadata(s *Server, ctx context.Context, c *conn, _ *request, req *kmsg.MetadataRequest) *kmsg.MetadataResponse {
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	resp.AuthorizedOperations = authorizedOperationsOmitted
	img := s.cfg.Meta.Image()

	all := req.Topics == nil || (req.Version == 0 && len(req.Topics) == 0)
	var missing []string
	if !all {
		for _, t := range req.Topics {
			if t.Topic != nil && *t.Topic != "" && img.Topics[*t.Topic] == nil {
				img = s.syncMetadata(ctx)
				break
			}
		}
		allowAuto := req.Version < 4 || req.AllowAutoTopicCreation
		settings := s.settings()
		for _, t := range req.Topics {
			if t.Topic == nil || *t.Topic == "" {
				continue
			}
			if img.Topics[*t.Topic] == nil && allowAuto && settings.AutoCreateTopics {
				missing = append(missing, *t.Topic)
			}
		}
		if len(missing) > 0 {
			s.autoCreate(ctx, missing)
			img = s.cfg.Meta.Image()
		}
	}

	resp.Brokers = s.metadataBrokers(img, c.listener)
	resp.ClusterID = kmsg.StringPtr(img.ClusterID)
	resp.ControllerID = s.controllerIDForClients(img)

	if all {
		names := make([]string, 0, len(img.Topics))
		for name := range img.Topics {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			resp.Topics = append(resp.Topics, s.metadataTopic(req, img, img.Topics[name]))
		}
		return resp
	}
	for _, t := range req.Topics {
		if t.Topic == nil || *t.Topic == "" {
			// v10+: by id.
			topic := img.TopicByID(metadata.TopicID(t.TopicID))
			if topic == nil {
				rt := kmsg.NewMetadataResponseTopic()
				rt.TopicID = t.TopicID
				rt.ErrorCode = kerr.UnknownTopicID.Code
				rt.AuthorizedOperations = authorizedOperationsOmitted
				resp.Topics = append(resp.Topics, rt)
				continue
			}
			resp.Topics = append(resp.Topics, s.metadataTopic(req, img, topic))
			continue
		}
		name := *t.Topic
		topic := img.Topics[name]
		if topic == nil {
			rt := kmsg.NewMetadataResponseTopic()
			rt.Topic = kmsg.StringPtr(name)
			rt.AuthorizedOperations = authorizedOperationsOmitted
			switch {
			case validTopicNameErr(name) != nil:
				rt.ErrorCode = kerr.InvalidTopicException.Code
			case slices.Contains(missing, name):
				// Creation was attempted but the topic is not (yet) visible.
				rt.ErrorCode = kerr.LeaderNotAvailable.Code
			default:
				rt.ErrorCode = kerr.UnknownTopicOrPartition.Code
			}
			resp.Topics = append(resp.Topics, rt)
			continue
		}
		resp.Topics = append(resp.Topics, s.metadataTopic(req, img, topic))
	}
	return resp
}

// autoCreate creates topics with the broker defaults, as Kafka does for
// Metadata requests naming unknown topics. Failures are left for the
// caller to report per topic.
func (s *Server) autoCreate(ctx context.Context, names []string) {
	settings := s.settings()
	specs := make([]metadata.TopicSpec, 0, len(names))
	for _, n := range names {
		if validTopicNameErr(n) != nil || isInternalTopic(n) {
			continue
		}
		specs = append(specs, metadata.TopicSpec{Name: n, NumPartitions: settings.NumPartitions, ReplicationFactor: settings.DefaultReplicationFactor})
	}
	if len(specs) == 0 {
		return
	}
	for _, r := range s.controller().CreateTopics(ctx, specs, false) {
		if r.Err != nil && !errorIs(r.Err, kerr.TopicAlreadyExists) {
			s.log.Info("auto-creating topic failed", "topic", r.Name, "err", r.Err)
		} else if r.Err == nil {
			s.log.Info("auto-created topic", "topic", r.Name, "partitions", r.NumPartitions, "replication_factor", r.ReplicationFactor)
		}
	}
}

func (s *Server) metadataTopic(req *kmsg.MetadataRequest, img *metadata.Image, t *metadata.Topic) kmsg.MetadataResponseTopic {
	rt := kmsg.NewMetadataResponseTopic()
	rt.Topic = kmsg.StringPtr(t.Name)
	rt.TopicID = t.ID
	rt.IsInternal = t.Internal
	rt.AuthorizedOperations = authorizedOperationsOmitted
	if req.IncludeTopicAuthorizedOperations {
		rt.AuthorizedOperations = topicOperationsAll
	}
	for _, p := range t.Partitions {
		rp := kmsg.NewMetadataResponseTopicPartition()
		rp.Partition = p.ID
		rp.Leader = p.Leader
		rp.LeaderEpoch = p.LeaderEpoch
		rp.Replicas = slices.Clone(p.Replicas)
		rp.ISR = slices.Clone(p.ISR)
		rp.OfflineReplicas = offlineReplicas(img, p.Replicas)
		if p.Leader == metadata.NoLeader {
			rp.ErrorCode = kerr.LeaderNotAvailable.Code
		}
		rt.Partitions = append(rt.Partitions, rp)
	}
	return rt
}

// topicOperationsAll is the bit set of every topic operation (READ, WRITE,
// CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS), which
// an unsecured broker grants to everyone.
const topicOperationsAll = 1<<3 | 1<<4 | 1<<5 | 1<<6 | 1<<7 | 1<<8 | 1<<10 | 1<<11

func offlineReplicas(img *metadata.Image, replicas []int32) []int32 {
	out := []int32{}
	for _, r := range replicas {
		if b := img.Brokers[r]; b == nil || b.Fenced {
			out = append(out, r)
		}
	}
	return out
}

// metadataBrokers lists live brokers at their endpoint for listener.
func (s *Server) metadataBrokers(img *metadata.Image, listener string) []kmsg.MetadataResponseBroker {
	var out []kmsg.MetadataResponseBroker
	for _, b := range img.LiveBrokers() {
		ep, ok := endpointFor(b, listener)
		if !ok {
			continue
		}
		rb := kmsg.NewMetadataResponseBroker()
		rb.NodeID = b.ID
		rb.Host = ep.Host
		rb.Port = ep.Port
		if b.Rack != "" {
			rb.Rack = kmsg.StringPtr(b.Rack)
		}
		out = append(out, rb)
	}
	return out
}

func endpointFor(b *metadata.Broker, listener string) (metadata.Endpoint, bool) {
	for _, ep := range b.Listeners {
		if ep.Name == listener {
			return ep, true
		}
	}
	return metadata.Endpoint{}, false
}

// controllerIDForClients is the broker clients should send controller
// requests to. With KRaft, clients never reach the controllers directly;
// Kafka answers with a live broker, which forwards. We prefer ourselves.
func (s *Server) controllerIDForClients(img *metadata.Image) int32 {
	if b := img.Brokers[s.cfg.NodeID]; b != nil && !b.Fenced {
		return s.cfg.NodeID
	}
	if live := img.LiveBrokers(); len(live) > 0 {
		return live[0].ID
	}
	return -1
}

func isInternalTopic(name string) bool {
	return name == "__consumer_offsets" || name == "__transaction_state"
}
