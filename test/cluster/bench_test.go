package cluster

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkakit/kafkakit/internal/testbroker"
)

// BenchmarkAcksAllClusterVsAcksOneSingle compares, in one run and with the
// same client and load, producing to a three-node cluster with acks=all
// (replication factor 3, min.insync.replicas 2, idempotent) against
// producing to a single node with acks=1 (replication factor 1). Each
// iteration produces a fixed number of records of the given size to a
// three-partition topic on each, single node first, with one franz-go
// client in its default configuration otherwise. It reports both rates
// and their ratio (cluster/single):
//
//	go test ./test/cluster -run '^$' -bench AcksAll -benchtime 3x
func BenchmarkAcksAllClusterVsAcksOneSingle(b *testing.B) {
	single, err := testbroker.StartProcess(bins.server, b.TempDir(), "num.partitions=3")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(single.Kill)
	c := startCluster(b, clusterConfig{overrides: []string{
		// Production failure detection: the load must not cost elections.
		"broker.session.timeout.ms=9000",
		"controller.quorum.fetch.timeout.ms=2000",
		"controller.quorum.election.timeout.ms=2000",
	}})
	sizes := []struct {
		bytes, records int
	}{{100, 500_000}, {1024, 100_000}}
	for _, sz := range sizes {
		b.Run(strconv.Itoa(sz.bytes)+"B", func(b *testing.B) {
			topic := fmt.Sprintf("bench-%d-%d", sz.bytes, time.Now().UnixNano())
			createTopic(b, kadmFor(b, single.Addr), topic, 3, 1, nil)
			createTopic(b, newAdmin(b, c), topic, 3, 3, nil)
			value := make([]byte, sz.bytes)
			// Warm up: producer ids allocated, followers fetching the new
			// partitions, segments created.
			produceN(b, []string{single.Addr}, topic, kgo.LeaderAck(), value, 1000)
			produceN(b, c.Addrs(), topic, kgo.AllISRAcks(), value, 1000)
			var singleTime, clusterTime time.Duration
			b.ResetTimer()
			for i := range b.N {
				st := produceN(b, []string{single.Addr}, topic, kgo.LeaderAck(), value, sz.records)
				ct := produceN(b, c.Addrs(), topic, kgo.AllISRAcks(), value, sz.records)
				b.Logf("iteration %d: single node acks=1 %s, cluster acks=all %s (ratio %.2f)", i, st.Round(time.Millisecond), ct.Round(time.Millisecond), st.Seconds()/ct.Seconds())
				singleTime += st
				clusterTime += ct
			}
			total := float64(sz.records * b.N)
			s := total / singleTime.Seconds()
			cl := total / clusterTime.Seconds()
			b.ReportMetric(s, "single-acks1-rec/s")
			b.ReportMetric(cl, "cluster-acksall-rec/s")
			b.ReportMetric(s*float64(sz.bytes)/1e6, "single-acks1-MB/s")
			b.ReportMetric(cl*float64(sz.bytes)/1e6, "cluster-acksall-MB/s")
			b.ReportMetric(cl/s, "ratio")
		})
	}
}

func kadmFor(b testing.TB, addr string) *kadm.Client {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

// produceN produces n records of value to topic (spread by franz-go's
// default sticky partitioner) and returns the time from the first Produce
// call to the last acknowledgement.
func produceN(b testing.TB, seeds []string, topic string, acks kgo.Acks, value []byte, n int) time.Duration {
	b.Helper()
	opts := []kgo.Opt{kgo.SeedBrokers(seeds...), kgo.DefaultProduceTopic(topic), kgo.RequiredAcks(acks)}
	if acks != kgo.AllISRAcks() {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Connect and load metadata before the clock starts.
	if err := cl.Ping(ctx); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	start := time.Now()
	for range n {
		wg.Add(1)
		cl.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	if firstErr != nil {
		b.Fatalf("produce to %s: %v", topic, firstErr)
	}
	return d
}
