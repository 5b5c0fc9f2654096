package replica_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestClientsAcrossLeaderFailover drives the cluster with franz-go, a
// client we did not write: an idempotent acks=all producer writes while
// the leader of both partitions is stopped (its partitions move to the
// next ISR member) and later restarted from its data directory (it comes
// back as a follower, truncates what it must, catches up and rejoins the
// ISR). Every acknowledged record is then read back exactly once at the
// offset it was acknowledged with, and all replicas hold identical logs.
func TestClientsAcrossLeaderFailover(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{brokers: 3, lag: time.Second})
	c.createTopic("e2e", [][]int32{{1, 2, 3}, {1, 3, 2}}, map[string]string{"min.insync.replicas": "2"})
	var seeds []string
	for id := int32(1); id <= 3; id++ {
		seeds = append(seeds, c.node(id).srv.Addr("PLAINTEXT"))
	}
	ctx := testContext(t)
	prod, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.DefaultProduceTopic("e2e"),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RetryBackoffFn(func(int) time.Duration { return 20 * time.Millisecond }),
		kgo.MetadataMinAge(10*time.Millisecond))
	if err != nil {
		t.Fatalf("producer: %v", err)
	}
	defer prod.Close()

	type ack struct {
		partition int32
		offset    int64
	}
	acked := map[string]ack{}
	var mu sync.Mutex
	produce := func(from, to int) {
		t.Helper()
		var wg sync.WaitGroup
		for i := from; i < to; i++ {
			v := fmt.Sprintf("v%04d", i)
			wg.Add(1)
			prod.Produce(ctx, &kgo.Record{Partition: int32(i % 2), Value: []byte(v)}, func(r *kgo.Record, err error) {
				defer wg.Done()
				if err != nil {
					t.Errorf("produce %s: %v", v, err)
					return
				}
				mu.Lock()
				acked[v] = ack{r.Partition, r.Offset}
				mu.Unlock()
			})
		}
		wg.Wait()
	}

	produce(0, 100)
	dir := c.stopNode(1).dir
	for p := int32(0); p < 2; p++ {
		c.waitFor("a new leader", func() bool {
			ip := c.meta.Image().Partition("e2e", p)
			return ip.Leader != 1 && ip.Leader >= 0
		})
	}
	produce(100, 200)
	c.startNode(1, dir)
	produce(200, 300)
	for p := int32(0); p < 2; p++ {
		c.waitFor("broker 1 back in the ISR", func() bool { return len(c.meta.Image().Partition("e2e", p).ISR) == 3 })
	}
	if t.Failed() {
		t.FailNow()
	}

	cons, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumeTopics("e2e"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	defer cons.Close()
	seen := map[string]int{}
	for len(seen) < len(acked) {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		fs := cons.PollFetches(pctx)
		timedOut := pctx.Err() != nil
		cancel()
		if timedOut {
			t.Fatalf("consumed %d of %d acknowledged records before timing out", len(seen), len(acked))
		}
		fs.EachError(func(topic string, p int32, err error) { t.Logf("fetch %s-%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			v := string(r.Value)
			seen[v]++
			if a, ok := acked[v]; ok && (a.partition != r.Partition || a.offset != r.Offset) {
				t.Errorf("%s read at %d/%d, acknowledged at %d/%d", v, r.Partition, r.Offset, a.partition, a.offset)
			}
		})
	}
	for v, n := range seen {
		if n != 1 {
			t.Errorf("%s read %d times", v, n)
		}
	}
	for v := range acked {
		if seen[v] == 0 {
			t.Errorf("acknowledged %s was not read", v)
		}
	}

	for p := int32(0); p < 2; p++ {
		leader := c.meta.Image().Partition("e2e", p).Leader
		lp, _ := c.node(leader).mgr.Get("e2e", p)
		want := logBytes(t, lp.Log())
		for id := int32(1); id <= 3; id++ {
			rp, _ := c.node(id).mgr.Get("e2e", p)
			c.waitFor("replica at the leader's end", func() bool { return rp.Log().LogEndOffset() == lp.Log().LogEndOffset() })
			if got := logBytes(t, rp.Log()); !bytes.Equal(got, want) {
				t.Errorf("e2e-%d: broker %d's log differs from leader %d's", p, id, leader)
			}
		}
	}
}
