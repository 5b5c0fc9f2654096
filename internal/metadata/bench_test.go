package metadata

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkSingleNodeOpenReady measures a single-node quorum from Open on a
// fresh directory until WaitReady returns, the metadata part of broker
// start-up. It is dominated by fsyncs of the bolt log store.
//
//	go test ./internal/metadata -run '^$' -bench OpenReady -benchtime 20x
func BenchmarkSingleNodeOpenReady(b *testing.B) {
	for b.Loop() {
		n, err := Open(Config{NodeID: 1, Dir: b.TempDir(), ClusterID: testClusterID, Logger: testLogger()})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = n.WaitReady(ctx)
		cancel()
		b.StopTimer()
		n.Close()
		b.StartTimer()
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateTopic measures one CreateTopics call of one topic with 3
// partitions on a single-node quorum: validation, placement, one raft
// entry committed to bolt and applied.
//
//	go test ./internal/metadata -run '^$' -bench CreateTopic -benchtime 200x
func BenchmarkCreateTopic(b *testing.B) {
	n, err := Open(Config{NodeID: 1, Dir: b.TempDir(), ClusterID: testClusterID, Logger: testLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	ctx := context.Background()
	if err := n.WaitReady(ctx); err != nil {
		b.Fatal(err)
	}
	c := n.Controller()
	epoch, err := c.RegisterBroker(ctx, BrokerRegistration{ID: 1, IncarnationID: UUID{15: 1}})
	if err != nil {
		b.Fatal(err)
	}
	if err := c.UnfenceBroker(ctx, 1, epoch); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		res := c.CreateTopics(ctx, []TopicSpec{{Name: fmt.Sprintf("bench-%d", i), NumPartitions: 3, ReplicationFactor: 1}}, false)
		if res[0].Err != nil {
			b.Fatal(res[0].Err)
		}
		i++
	}
}
