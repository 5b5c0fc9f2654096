package log_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/kafkakit/kafkakit/internal/log"
	"github.com/kafkakit/kafkakit/internal/record"
)

// A broker opens its log directories once, creates partition logs as
// topics are assigned to it, appends produced batches, serves fetches from
// file regions and shuts down cleanly.
func Example() {
	dir, _ := os.MkdirTemp("", "logdir")
	defer os.RemoveAll(dir)

	m, err := log.OpenManager([]string{dir}, log.ManagerOptions{NodeID: 1})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		m.RunBackground(ctx, 5*time.Minute, time.Minute)
		close(done)
	}()

	l, err := m.GetOrCreate("orders", 0, log.NewUUID(), log.DefaultConfig())
	if err != nil {
		panic(err)
	}

	// A produced batch (as it arrives in a Produce request).
	b := record.NewBuilder(record.CodecNone)
	b.Add(record.Record{Timestamp: time.Now().UnixMilli(), Value: []byte("hello")})
	b.Add(record.Record{Timestamp: time.Now().UnixMilli(), Value: []byte("world")})
	batch, _ := b.Build()

	res, err := l.Append(batch, log.AppendInfo{LeaderEpoch: 0})
	if err != nil {
		panic(err)
	}
	l.SetHighWatermark(l.LogEndOffset()) // a single replica commits at once
	fmt.Println("appended", res.FirstOffset, "to", res.LastOffset)

	// A fetch: the region is sent straight from the segment file.
	r, err := l.Read(0, 1<<20, l.HighWatermark(), true)
	if err != nil {
		panic(err)
	}
	fmt.Println("fetch returns", r.Size(), "bytes, high watermark", r.HighWatermark)
	r.Release()

	cancel()
	<-done
	if err := m.Close(); err != nil {
		panic(err)
	}
	// Output:
	// appended 0 to 1
	// fetch returns 85 bytes, high watermark 2
}
