package log

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkCreatePartitions creates the 50 partitions of a
// __consumer_offsets-sized topic through Manager.GetOrCreate, each with a
// topic id and its first leader epoch assigned, as the broker does when a
// partition becomes leader; ms/partition is the mean creation time. The
// disk work creation defers is then done and timed apart, as means per
// partition: first-append-ms, one append to each partition (which creates
// its directory and segment file), and persist-ms, one manager checkpoint
// (which fsyncs the topic ids, leader epochs and directories; the broker
// does it in the background).
//
//	go test ./internal/log -run '^$' -bench BenchmarkCreatePartitions -benchtime 20x
func BenchmarkCreatePartitions(b *testing.B) {
	const partitions = 50
	m, err := OpenManager([]string{b.TempDir()}, ManagerOptions{NodeID: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	cfg := DefaultConfig()
	batch := makeBatch(b, batchSpec{records: 1, valueSize: 100, timestamp: time.Now().UnixMilli()})
	var create, firstAppend, persist time.Duration
	logs := make([]*Log, partitions)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		topic := fmt.Sprintf("bench-%d", i)
		id := NewUUID()
		start := time.Now()
		for p := int32(0); p < partitions; p++ {
			l, err := m.GetOrCreate(topic, p, id, cfg)
			if err != nil {
				b.Fatal(err)
			}
			if err := l.AssignEpochStartOffset(0, 0); err != nil {
				b.Fatal(err)
			}
			logs[p] = l
		}
		create += time.Since(start)

		b.StopTimer()
		start = time.Now()
		for _, l := range logs {
			if _, err := l.Append(append([]byte(nil), batch...), AppendInfo{}); err != nil {
				b.Fatal(err)
			}
		}
		firstAppend += time.Since(start)
		start = time.Now()
		if err := m.Checkpoint(); err != nil {
			b.Fatal(err)
		}
		persist += time.Since(start)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(create.Microseconds())/1000/float64(b.N*partitions), "ms/partition")
	b.ReportMetric(float64(firstAppend.Microseconds())/1000/float64(b.N*partitions), "first-append-ms/partition")
	b.ReportMetric(float64(persist.Microseconds())/1000/float64(b.N*partitions), "persist-ms/partition")
}
