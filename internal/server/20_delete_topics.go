package server

// DeleteTopics (key 20): v0-6, as Apache Kafka 3.9 serves it.
//
// Behaviour: topics are deleted by name (v0-5, and v6 entries with a name)
// or by topic id (v6); the controller removes them in one metadata entry
// and every broker then deletes the partition directories. With
// delete.topic.enable=false every topic gets TOPIC_DELETION_DISABLED.
// Unknown names get UNKNOWN_TOPIC_OR_PARTITION, unknown ids
// UNKNOWN_TOPIC_ID.
//
// Version notes: v1 throttle; v4 flexible; v5 ErrorMessage; v6 topic ids.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/metadata"
)

func handleDeleteTopics(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.DeleteTopicsRequest) *kmsg.DeleteTopicsResponse {
	resp := req.ResponseKind().(*kmsg.DeleteTopicsResponse)
	var refs []metadata.TopicRef
	if req.Version < 6 {
		for _, n := range req.TopicNames {
			refs = append(refs, metadata.TopicRef{Name: n})
		}
	} else {
		for _, t := range req.Topics {
			r := metadata.TopicRef{ID: metadata.TopicID(t.TopicID)}
			if t.Topic != nil {
				r.Name = *t.Topic
			}
			refs = append(refs, r)
		}
	}
	if !s.settings().DeleteTopicEnable {
		for _, r := range refs {
			rt := kmsg.NewDeleteTopicsResponseTopic()
			if r.Name != "" {
				rt.Topic = kmsg.StringPtr(r.Name)
			}
			rt.TopicID = r.ID
			rt.ErrorCode = kerr.TopicDeletionDisabled.Code
			if req.Version >= 5 {
				rt.ErrorMessage = kmsg.StringPtr(kerr.TopicDeletionDisabled.Description)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp
	}
	for _, r := range s.controller().DeleteTopics(ctx, refs) {
		rt := kmsg.NewDeleteTopicsResponseTopic()
		if r.Name != "" {
			rt.Topic = kmsg.StringPtr(r.Name)
		}
		rt.TopicID = r.ID
		rt.ErrorCode, rt.ErrorMessage = kafkaError(r.Err)
		if req.Version < 5 {
			rt.ErrorMessage = nil
		}
		if r.Err == nil {
			s.log.Info("deleted topic", "topic", r.Name)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
