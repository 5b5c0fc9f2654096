package log

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkCreatePartitions creates the 50 partitions of a
// __consumer_offsets-sized topic through Manager.GetOrCreate, each with a
// topic id and its first leader epoch assigned, as the broker does when a
// partition becomes leader. ms/partition is the mean creation time.
//
//	go test ./internal/log -run '^$' -bench BenchmarkCreatePartitions -benchtime 5x
func BenchmarkCreatePartitions(b *testing.B) {
	const partitions = 50
	m, err := OpenManager([]string{b.TempDir()}, ManagerOptions{NodeID: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	cfg := DefaultConfig()
	var total time.Duration
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
		}
		total += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N*partitions), "ms/partition")
}
