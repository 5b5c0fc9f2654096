package replica_test

import (
	"context"
	"sync"
	"testing"
	"time"
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
