package replica_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkReplicatedAppend measures acks=-1 appends to a partition with
// three replicas on loopback: each operation appends one batch of 16
// records of 100 bytes on the leader and waits until both followers have
// fetched it and the high watermark covers it. "serial" has one append
// outstanding at a time (the latency of a replication round trip);
// "parallel" has 8, as concurrent producers would.
//
//	go test ./internal/replica -run '^$' -bench ReplicatedAppend -benchtime 2s
func BenchmarkReplicatedAppend(b *testing.B) {
	for _, bc := range []struct {
		name        string
		outstanding int
	}{{"serial", 1}, {"parallel", 8}} {
		b.Run(bc.name, func(b *testing.B) {
			c := startCluster(b, clusterOptions{brokers: 3})
			c.createTopic("bench", [][]int32{{1, 2, 3}}, nil)
			leader := c.partition(1, "bench")
			payload := batch(b, "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890", 16)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			work := make(chan struct{})
			for range bc.outstanding {
				wg.Add(1)
				go func() {
					defer wg.Done()
					buf := make([]byte, len(payload))
					for range work {
						copy(buf, payload) // Append rewrites offsets in place
						res, err := leader.Append(buf, -1, false)
						if err != nil {
							b.Error(err)
							return
						}
						if err := leader.WaitForHighWatermark(ctx, res.LastOffset+1); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			for range b.N {
				work <- struct{}{}
			}
			close(work)
			wg.Wait()
		})
	}
}

// BenchmarkProduceAcksAll measures the whole acks=all path with a client
// we did not write: franz-go, in its default configuration (idempotent,
// acks=all), produces 100-byte records to three partitions led crosswise
// by three brokers on loopback, each replicated to the other two. Every
// server, fetcher and log runs in this process, so a CPU profile shows
// the replication path next to the request handling and the client:
//
//	go test ./internal/replica -run '^$' -bench ProduceAcksAll -benchtime 500000x -cpuprofile cpu.out
func BenchmarkProduceAcksAll(b *testing.B) {
	c := startCluster(b, clusterOptions{brokers: 3})
	c.createTopic("bench", [][]int32{{1, 2, 3}, {2, 3, 1}, {3, 1, 2}}, map[string]string{"min.insync.replicas": "2"})
	var seeds []string
	for id := int32(1); id <= 3; id++ {
		seeds = append(seeds, c.node(id).srv.Addr("PLAINTEXT"))
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.DefaultProduceTopic("bench"))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := cl.Ping(ctx); err != nil {
		b.Fatal(err)
	}
	value := make([]byte, 100)
	b.SetBytes(int64(len(value)))
	b.ResetTimer()
	var wg sync.WaitGroup
	for range b.N {
		wg.Add(1)
		cl.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
}
