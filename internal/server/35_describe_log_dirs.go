package server

// DescribeLogDirs (key 35): v0-4, as Apache Kafka 3.9 serves it.
//
// Behaviour: every log directory of this broker with the size of each
// requested partition replica it holds (all of them when Topics is null);
// OffsetLag is 0 (no replica is being moved between directories); v4 adds
// the directory's total and usable bytes.

import (
	"context"
	"sort"
	"syscall"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func handleDescribeLogDirs(s *Server, _ context.Context, _ *conn, _ *request, req *kmsg.DescribeLogDirsRequest) *kmsg.DescribeLogDirsResponse {
	resp := req.ResponseKind().(*kmsg.DescribeLogDirsResponse)
	want := func(string, int32) bool { return true }
	if req.Topics != nil {
		set := map[fetchKey]bool{}
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				set[fetchKey{Topic: t.Topic, Partition: p}] = true
			}
		}
		want = func(topic string, p int32) bool { return set[fetchKey{Topic: topic, Partition: p}] }
	}
	byDir := map[string]map[string][]kmsg.DescribeLogDirsResponseDirTopicPartition{}
	for _, part := range s.cfg.Replicas.Partitions() {
		if !want(part.Topic, part.Index) {
			continue
		}
		dir, ok := s.cfg.Logs.LogDir(part.Topic, part.Index)
		if !ok {
			continue
		}
		rp := kmsg.NewDescribeLogDirsResponseDirTopicPartition()
		rp.Partition = part.Index
		rp.Size = part.Log().Size()
		if byDir[dir] == nil {
			byDir[dir] = map[string][]kmsg.DescribeLogDirsResponseDirTopicPartition{}
		}
		byDir[dir][part.Topic] = append(byDir[dir][part.Topic], rp)
	}
	for _, dir := range s.cfg.Logs.Dirs() {
		rd := kmsg.NewDescribeLogDirsResponseDir()
		rd.Dir = dir
		rd.TotalBytes, rd.UsableBytes = -1, -1
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err == nil {
			rd.TotalBytes = int64(st.Blocks) * int64(st.Bsize)
			rd.UsableBytes = int64(st.Bavail) * int64(st.Bsize)
		}
		topics := make([]string, 0, len(byDir[dir]))
		for t := range byDir[dir] {
			topics = append(topics, t)
		}
		sort.Strings(topics)
		for _, t := range topics {
			rt := kmsg.NewDescribeLogDirsResponseDirTopic()
			rt.Topic = t
			rt.Partitions = byDir[dir][t]
			sort.Slice(rt.Partitions, func(i, j int) bool { return rt.Partitions[i].Partition < rt.Partitions[j].Partition })
			rd.Topics = append(rd.Topics, rt)
		}
		resp.Dirs = append(resp.Dirs, rd)
	}
	return resp
}
