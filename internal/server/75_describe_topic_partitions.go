package server

// DescribeTopicPartitions (key 75): v0, as Apache Kafka 3.9 serves it
// (KIP-966).
//
// Behaviour: like Metadata's topic part, plus the eligible leader replicas
// (always empty: the controller does not track them), with pagination: at
// most ResponsePartitionLimit partitions per response (capped at 2000, as
// Kafka's max.request.partition.size.limit), starting at Cursor, and a
// NextCursor when more remain. Topics are answered in name order; an empty
// topic list means all topics. Unknown topics get UNKNOWN_TOPIC_OR_PARTITION.

import (
	"context"
	"slices"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const describeTopicPartitionsMax = 2000

func handleDescribeTopicPartitions(s *Server, _ context.Context, _ *conn, _ *request, req *kmsg.DescribeTopicPartitionsRequest) *kmsg.DescribeTopicPartitionsResponse {
	resp := req.ResponseKind().(*kmsg.DescribeTopicPartitionsResponse)
	img := s.cfg.Meta.Image()
	var names []string
	if len(req.Topics) == 0 {
		for n := range img.Topics {
			names = append(names, n)
		}
	} else {
		for _, t := range req.Topics {
			names = append(names, t.Topic)
		}
	}
	sort.Strings(names)
	names = slices.Compact(names)
	limit := int(req.ResponsePartitionLimit)
	if limit <= 0 || limit > describeTopicPartitionsMax {
		limit = describeTopicPartitionsMax
	}
	startPartition := int32(0)
	if c := req.Cursor; c != nil {
		i := sort.SearchStrings(names, c.Topic)
		names = names[i:]
		if len(names) > 0 && names[0] == c.Topic {
			startPartition = c.Partition
		}
	}
	count := 0
	for ti, name := range names {
		rt := kmsg.NewDescribeTopicPartitionsResponseTopic()
		rt.Topic = kmsg.StringPtr(name)
		rt.AuthorizedOperations = authorizedOperationsOmitted
		t := img.Topics[name]
		if t == nil {
			rt.ErrorCode = kerr.UnknownTopicOrPartition.Code
			resp.Topics = append(resp.Topics, rt)
			continue
		}
		rt.TopicID, rt.IsInternal = t.ID, t.Internal
		from := int32(0)
		if ti == 0 {
			from = startPartition
		}
		for _, p := range t.Partitions[min(int(from), len(t.Partitions)):] {
			if count == limit {
				resp.NextCursor = &kmsg.DescribeTopicPartitionsResponseNextCursor{Topic: name, Partition: p.ID}
				break
			}
			rp := kmsg.NewDescribeTopicPartitionsResponseTopicPartition()
			rp.Partition, rp.LeaderID, rp.LeaderEpoch = p.ID, p.Leader, p.LeaderEpoch
			rp.Replicas = slices.Clone(p.Replicas)
			rp.ISR = slices.Clone(p.ISR)
			rp.EligibleLeaderReplicas = append([]int32{}, p.ELR...)
			rp.LastKnownELR = append([]int32{}, p.LastKnownELR...)
			rp.OfflineReplicas = offlineReplicas(img, p.Replicas)
			if p.Leader < 0 {
				rp.ErrorCode = kerr.LeaderNotAvailable.Code
			}
			rt.Partitions = append(rt.Partitions, rp)
			count++
		}
		resp.Topics = append(resp.Topics, rt)
		if resp.NextCursor != nil {
			break
		}
	}
	return resp
}
