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

// BenchmarkThreeVoterCreateTopic measures one CreateTopics call on a
// 3-voter quorum over loopback TCP, made on the active controller and
// forwarded from a follower: the difference is the controller RPC's round
// trip.
//
//	go test ./internal/metadata -run '^$' -bench ThreeVoterCreateTopic -benchtime 200x
func BenchmarkThreeVoterCreateTopic(b *testing.B) {
	c := startCluster(b, clusterOptions{})
	c.waitReady(1, 2, 3)
	registerBrokers(b, c.waitController().Controller(), "", "", "")
	i := 0 // topic names stay unique across repeated runs of a case
	for _, bc := range []struct {
		name string
		node func() *Node
	}{
		{"on-controller", c.waitController},
		{"forwarded", c.follower},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctl := bc.node().Controller()
			ctx := context.Background()
			for b.Loop() {
				res := ctl.CreateTopics(ctx, []TopicSpec{{Name: fmt.Sprintf("%s-%d", bc.name, i), NumPartitions: 3, ReplicationFactor: 3}}, false)
				if res[0].Err != nil {
					b.Fatal(res[0].Err)
				}
				i++
			}
		})
	}
}

// BenchmarkBrokerHeartbeat measures a heartbeat of an unfenced broker,
// which writes nothing to the log, on the controller and forwarded.
//
//	go test ./internal/metadata -run '^$' -bench BrokerHeartbeat -benchtime 2000x
func BenchmarkBrokerHeartbeat(b *testing.B) {
	c := startCluster(b, clusterOptions{session: time.Minute})
	c.waitReady(1, 2, 3)
	ctl := c.waitController().Controller()
	ctx := context.Background()
	epoch, err := ctl.RegisterBroker(ctx, BrokerRegistration{ID: 1, IncarnationID: UUID{15: 1}})
	if err != nil {
		b.Fatal(err)
	}
	if err := ctl.UnfenceBroker(ctx, 1, epoch); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		node func() *Node
	}{
		{"on-controller", c.waitController},
		{"forwarded", c.follower},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctl := bc.node().Controller()
			hb := BrokerHeartbeat{BrokerID: 1, BrokerEpoch: epoch, AppliedIndex: uint64(epoch)}
			for b.Loop() {
				if r, err := ctl.BrokerHeartbeat(ctx, hb); err != nil || r.IsFenced {
					b.Fatal(r, err)
				}
			}
		})
	}
}
