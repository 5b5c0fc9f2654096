package server

// Group APIs (keys 8, 9, 11-16, 42, 47): the classic group protocol at
// Apache Kafka 3.9's versions. The handlers only route: the group
// coordinator (internal/group) implements the protocol on kmsg types and
// owns the groups of the __consumer_offsets partitions this broker leads.
//
//   - OffsetCommit 0-9, OffsetFetch 0-9 (v8+ several groups),
//   - JoinGroup 0-9, Heartbeat 0-4, LeaveGroup 0-5, SyncGroup 0-5,
//   - DescribeGroups 0-5, ListGroups 0-5 (v4 state filter, v5 type filter),
//   - DeleteGroups 0-2, OffsetDelete 0.

import (
	"context"
	"net"

	"github.com/kafkakit/kafkakit/internal/metadata"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func handleOffsetCommit(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.OffsetCommitRequest) *kmsg.OffsetCommitResponse {
	return s.cfg.Groups.OffsetCommit(ctx, req)
}

func handleOffsetFetch(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.OffsetFetchRequest) *kmsg.OffsetFetchResponse {
	return s.cfg.Groups.OffsetFetch(ctx, req)
}

func handleJoinGroup(s *Server, ctx context.Context, c *conn, r *request, req *kmsg.JoinGroupRequest) *kmsg.JoinGroupResponse {
	return s.cfg.Groups.JoinGroup(ctx, req, r.clientID, clientHost(c))
}

func handleHeartbeat(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.HeartbeatRequest) *kmsg.HeartbeatResponse {
	return s.cfg.Groups.Heartbeat(ctx, req)
}

func handleLeaveGroup(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.LeaveGroupRequest) *kmsg.LeaveGroupResponse {
	return s.cfg.Groups.LeaveGroup(ctx, req)
}

func handleSyncGroup(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.SyncGroupRequest) *kmsg.SyncGroupResponse {
	return s.cfg.Groups.SyncGroup(ctx, req)
}

func handleDescribeGroups(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.DescribeGroupsRequest) *kmsg.DescribeGroupsResponse {
	return s.cfg.Groups.DescribeGroups(ctx, req)
}

func handleListGroups(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.ListGroupsRequest) *kmsg.ListGroupsResponse {
	return s.cfg.Groups.ListGroups(ctx, req)
}

func handleDeleteGroups(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.DeleteGroupsRequest) *kmsg.DeleteGroupsResponse {
	return s.cfg.Groups.DeleteGroups(ctx, req)
}

func handleOffsetDelete(s *Server, ctx context.Context, _ *conn, _ *request, req *kmsg.OffsetDeleteRequest) *kmsg.OffsetDeleteResponse {
	return s.cfg.Groups.OffsetDelete(ctx, req)
}

// clientHost is the client address as Kafka reports it for group members:
// "/" followed by the IP.
func clientHost(c *conn) string {
	host, _, err := net.SplitHostPort(c.remote)
	if err != nil {
		host = c.remote
	}
	return "/" + host
}

// metadataTopicSpec is a topic the broker creates for itself.
type metadataTopicSpec struct {
	name       string
	partitions int32
	rf         int16
	configs    map[string]string
}

func (s *Server) createTopicsInternal(ctx context.Context, specs []metadataTopicSpec) []error {
	ms := make([]metadata.TopicSpec, len(specs))
	for i, sp := range specs {
		ms[i] = metadata.TopicSpec{Name: sp.name, NumPartitions: sp.partitions, ReplicationFactor: sp.rf, Configs: sp.configs}
	}
	res := s.controller().CreateTopics(ctx, ms, false)
	errs := make([]error, len(res))
	for i, r := range res {
		errs[i] = r.Err
	}
	return errs
}
