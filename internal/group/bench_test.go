package group

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Benchmarks of the coordinator's hot paths over the in-memory Storage (so
// they measure the coordinator, not a log):
//
//	go test ./internal/group -run '^$' -bench . -benchmem
func newBenchCoordinator(b *testing.B) *Coordinator {
	b.Helper()
	c := New(Config{OffsetsTopicPartitions: 1, MinSessionTimeout: 1}, newMemStorage())
	if err := c.Load(context.Background(), 0); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c
}

func BenchmarkOffsetCommit(b *testing.B) {
	c := newBenchCoordinator(b)
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Version, req.Group = 8, "g"
	rt := kmsg.NewOffsetCommitRequestTopic()
	rt.Topic = "t"
	for p := range int32(4) {
		rp := kmsg.NewOffsetCommitRequestTopicPartition()
		rp.Partition = p
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = []kmsg.OffsetCommitRequestTopic{rt}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for p := range rt.Partitions {
			rt.Partitions[p].Offset = int64(i)
		}
		if code := c.OffsetCommit(ctx, req).Topics[0].Partitions[0].ErrorCode; code != errNone {
			b.Fatalf("commit: error %d", code)
		}
	}
}

func BenchmarkOffsetFetch(b *testing.B) {
	c := newBenchCoordinator(b)
	commit := kmsg.NewPtrOffsetCommitRequest()
	commit.Version, commit.Group = 8, "g"
	rt := kmsg.NewOffsetCommitRequestTopic()
	rt.Topic = "t"
	for p := range int32(4) {
		rp := kmsg.NewOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset = p, 1
		rt.Partitions = append(rt.Partitions, rp)
	}
	commit.Topics = []kmsg.OffsetCommitRequestTopic{rt}
	c.OffsetCommit(context.Background(), commit)
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version, req.Group = 7, "g"
	ft := kmsg.NewOffsetFetchRequestTopic()
	ft.Topic, ft.Partitions = "t", []int32{0, 1, 2, 3}
	req.Topics = []kmsg.OffsetFetchRequestTopic{ft}
	b.ReportAllocs()
	for b.Loop() {
		if resp := c.OffsetFetch(context.Background(), req); resp.Topics[0].Partitions[3].Offset != 1 {
			b.Fatal("wrong offset")
		}
	}
}

func BenchmarkHeartbeat(b *testing.B) {
	c := newBenchCoordinator(b)
	ctx := context.Background()
	jr := c.JoinGroup(ctx, joinReq(3, "g", "", nil), "c", "h")
	c.SyncGroup(ctx, syncReq(3, "g", jr.MemberID, jr.Generation, map[string][]byte{jr.MemberID: {1}}))
	req := kmsg.NewPtrHeartbeatRequest()
	req.Group, req.MemberID, req.Generation = "g", jr.MemberID, jr.Generation
	b.ReportAllocs()
	for b.Loop() {
		if code := c.Heartbeat(ctx, req).ErrorCode; code != errNone {
			b.Fatalf("heartbeat: error %d", code)
		}
	}
}

// BenchmarkRebalance measures one full rebalance of a one-member group: the
// leader's JoinGroup (which starts and completes the join phase) and its
// SyncGroup (which writes the group metadata record).
func BenchmarkRebalance(b *testing.B) {
	c := newBenchCoordinator(b)
	ctx := context.Background()
	jr := c.JoinGroup(ctx, joinReq(3, "g", "", nil), "c", "h")
	id := jr.MemberID
	b.ReportAllocs()
	for b.Loop() {
		jr := c.JoinGroup(ctx, joinReq(3, "g", id, nil), "c", "h")
		if jr.ErrorCode != errNone {
			b.Fatalf("join: error %d", jr.ErrorCode)
		}
		if sr := c.SyncGroup(ctx, syncReq(3, "g", id, jr.Generation, map[string][]byte{id: {1}})); sr.ErrorCode != errNone {
			b.Fatalf("sync: error %d", sr.ErrorCode)
		}
	}
}
