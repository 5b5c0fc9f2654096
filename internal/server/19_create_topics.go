package server

// CreateTopics (key 19): v0-7, as Apache Kafka 3.9 serves it.
//
// Behaviour: each topic is validated and placed by the controller (names,
// collisions, partitions, replication factor against live brokers, manual
// assignments, configs) with Kafka's codes and messages; the successful
// ones are created in one metadata entry. ValidateOnly (v1+) checks
// without creating. A config with a null value is INVALID_CONFIG. Topics
// named more than once in a request all get INVALID_REQUEST.
//
// Version notes: v1 ErrorMessage and ValidateOnly; v2 throttle; v4
// defaults (-1) for partitions and replication factor; v5 flexible and the
// created topic's partitions, replication factor and configs; v7 TopicID.

import (
	"context"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/metadata"
)

func handleCreateTopics(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.CreateTopicsRequest) *kmsg.CreateTopicsResponse {
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
	settings := s.settings()
	var specs []metadata.TopicSpec
	var specIdx []int
	resp.Topics = make([]kmsg.CreateTopicsResponseTopic, len(req.Topics))
	for i, t := range req.Topics {
		rt := kmsg.NewCreateTopicsResponseTopic()
		rt.Topic = t.Topic
		rt.NumPartitions, rt.ReplicationFactor = -1, -1
		resp.Topics[i] = rt
		spec := metadata.TopicSpec{Name: t.Topic, NumPartitions: t.NumPartitions, ReplicationFactor: t.ReplicationFactor}
		if len(t.ReplicaAssignment) > 0 {
			spec.Assignment = make(map[int32][]int32, len(t.ReplicaAssignment))
			for _, a := range t.ReplicaAssignment {
				spec.Assignment[a.Partition] = a.Replicas
			}
		} else {
			if spec.NumPartitions == -1 {
				spec.NumPartitions = settings.NumPartitions
			}
			if spec.ReplicationFactor == -1 {
				spec.ReplicationFactor = settings.DefaultReplicationFactor
			}
		}
		var nullConfig string
		for _, c := range t.Configs {
			if c.Value == nil {
				nullConfig = c.Name
				break
			}
			if spec.Configs == nil {
				spec.Configs = map[string]string{}
			}
			spec.Configs[c.Name] = *c.Value
		}
		if nullConfig != "" {
			setErr(&resp.Topics[i].ErrorCode, &resp.Topics[i].ErrorMessage, kerr.InvalidConfig, "Null value not supported for topic configs: "+nullConfig)
			continue
		}
		specs = append(specs, spec)
		specIdx = append(specIdx, i)
	}
	results := s.controller().CreateTopics(ctx, specs, req.ValidateOnly)
	for j, r := range results {
		rt := &resp.Topics[specIdx[j]]
		if r.Err != nil {
			rt.ErrorCode, rt.ErrorMessage = kafkaError(r.Err)
			continue
		}
		rt.TopicID = r.ID
		rt.NumPartitions = r.NumPartitions
		rt.ReplicationFactor = r.ReplicationFactor
		rt.Configs = s.createdTopicConfigs(r.Name, r.Configs)
		if r.Err == nil && !req.ValidateOnly {
			s.log.Info("created topic", "topic", r.Name, "partitions", r.NumPartitions, "replication_factor", r.ReplicationFactor)
		}
	}
	if req.Version < 1 {
		for i := range resp.Topics {
			resp.Topics[i].ErrorMessage = nil
		}
	}
	return resp
}

// createdTopicConfigs describes a new topic's effective configs for
// CreateTopics v5+ (KIP-525).
func (s *Server) createdTopicConfigs(topic string, overrides map[string]string) []kmsg.CreateTopicsResponseTopicConfig {
	if s.cfg.DescribeTopicConfigs == nil {
		return nil
	}
	entries := s.cfg.DescribeTopicConfigs(topic, overrides)
	out := make([]kmsg.CreateTopicsResponseTopicConfig, 0, len(entries))
	for _, e := range entries {
		c := kmsg.NewCreateTopicsResponseTopicConfig()
		c.Name = e.Name
		c.Value = e.Value
		c.ReadOnly = e.ReadOnly
		c.Source = e.Source
		c.IsSensitive = e.Sensitive
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func setErr(code *int16, msg **string, err *kerr.Error, text string) {
	*code = err.Code
	*msg = kmsg.StringPtr(text)
}
