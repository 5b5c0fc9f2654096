package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkakit/kafkakit/internal/testbroker"
)

// BenchmarkProduceFetch1KB produces b.N 1 KB records through franz-go
// (acks=1, no compression, 3 partitions) to an in-process broker and reads
// them all back; bytes/s covers both directions' payload once.
//
//	go test ./internal/server -run '^$' -bench ProduceFetch1KB -benchtime 200000x
func BenchmarkProduceFetch1KB(b *testing.B) {
	br, err := testbroker.Start(testbroker.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	adm, err := kgo.NewClient(kgo.SeedBrokers(br.Addr))
	if err != nil {
		b.Fatal(err)
	}
	defer adm.Close()
	if _, err := kadm.NewClient(adm).CreateTopic(ctx, 3, 1, nil, "bench"); err != nil {
		b.Fatal(err)
	}
	prod, err := kgo.NewClient(kgo.SeedBrokers(br.Addr), kgo.DefaultProduceTopic("bench"),
		kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite(), kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerLinger(time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	defer prod.Close()
	value := make([]byte, 1024)
	b.SetBytes(1024)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		prod.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				b.Error(err)
			}
		})
	}
	if err := prod.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	produced := time.Since(start)
	cons, err := kgo.NewClient(kgo.SeedBrokers(br.Addr), kgo.ConsumeTopics("bench"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxBytes(50<<20))
	if err != nil {
		b.Fatal(err)
	}
	defer cons.Close()
	mid := time.Now()
	for got := 0; got < b.N; {
		fs := cons.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			b.Fatal(err)
		}
		got += fs.NumRecords()
	}
	consumed := time.Since(mid)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/produced.Seconds(), "produce-rec/s")
	b.ReportMetric(float64(b.N)/consumed.Seconds(), "consume-rec/s")
	b.ReportMetric(float64(b.N)*1024/produced.Seconds()/1e6, "produce-MB/s")
	b.ReportMetric(float64(b.N)*1024/consumed.Seconds()/1e6, "consume-MB/s")
}
