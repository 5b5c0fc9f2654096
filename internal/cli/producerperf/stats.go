package producerperf

import (
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// stats accumulates acknowledged sends as Kafka's ProducerPerformance.Stats
// does, and prints its report lines:
//
//   - every reportingInterval (5 s), on the acknowledgement that crosses
//     it, a window line: "N records sent, X records/sec (Y MB/sec),
//     A ms avg latency, M ms max latency.";
//   - at the end the total line with the 50th, 95th, 99th and 99.9th
//     percentiles of latency.
//
// Latency is whole milliseconds from the send call to the acknowledgement.
// At most about 500,000 latencies are kept for the percentiles: every
// sampling-th acknowledgement, sampling = numRecords / min(numRecords,
// 500000). MB is 2^20 bytes. All methods are safe for concurrent use.
type stats struct {
	mu sync.Mutex
	w  io.Writer

	start             int64 // ms
	reportingInterval int64
	sampling          int64
	latencies         []int32
	index             int
	iteration         int64

	count        int64
	bytes        int64
	maxLatency   int32
	totalLatency int64

	windowStart        int64
	windowCount        int64
	windowMaxLatency   int32
	windowTotalLatency int64
	windowBytes        int64
}

func newStats(numRecords int64, nowMs int64, reportingIntervalMs int64, w io.Writer) *stats {
	sampling := numRecords / min(numRecords, 500000)
	return &stats{
		w:                 w,
		start:             nowMs,
		windowStart:       nowMs,
		reportingInterval: reportingIntervalMs,
		sampling:          sampling,
		latencies:         make([]int32, numRecords/sampling+1),
	}
}

// record counts one acknowledged send of bytes that took latency ms,
// acknowledged at nowMs, and prints a window line when the interval has
// passed.
func (s *stats) record(latency int32, bytes int, nowMs int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	s.bytes += int64(bytes)
	s.totalLatency += int64(latency)
	s.maxLatency = max(s.maxLatency, latency)
	s.windowCount++
	s.windowBytes += int64(bytes)
	s.windowTotalLatency += int64(latency)
	s.windowMaxLatency = max(s.windowMaxLatency, latency)
	if s.iteration%s.sampling == 0 && s.index < len(s.latencies) {
		s.latencies[s.index] = latency
		s.index++
	}
	if nowMs-s.windowStart >= s.reportingInterval {
		s.printWindow(nowMs)
		s.windowStart = nowMs
		s.windowCount, s.windowMaxLatency, s.windowTotalLatency, s.windowBytes = 0, 0, 0, 0
	}
	s.iteration++
}

func (s *stats) printWindow(nowMs int64) {
	elapsed := float64(nowMs - s.windowStart)
	fmt.Fprintf(s.w, "%d records sent, %s records/sec (%s MB/sec), %s ms avg latency, %s ms max latency.\n",
		s.windowCount,
		cli.FormatFixed(1000.0*float64(s.windowCount)/elapsed, 1),
		cli.FormatFixed(1000.0*float64(s.windowBytes)/elapsed/(1024.0*1024.0), 2),
		cli.FormatFixed(float64(s.windowTotalLatency)/float64(s.windowCount), 1),
		cli.FormatFixed(float64(s.windowMaxLatency), 1))
}

// totals is what the final line reports.
type totals struct {
	Count       int64
	RecsPerSec  float64
	MBPerSec    float64
	AvgLatency  float64
	MaxLatency  float64
	Percentiles [4]int32 // 50th, 95th, 99th, 99.9th
}

func (s *stats) totals(nowMs int64) totals {
	s.mu.Lock()
	defer s.mu.Unlock()
	elapsed := float64(nowMs - s.start)
	t := totals{
		Count:      s.count,
		RecsPerSec: 1000.0 * float64(s.count) / elapsed,
		MBPerSec:   1000.0 * float64(s.bytes) / elapsed / (1024.0 * 1024.0),
		AvgLatency: float64(s.totalLatency) / float64(s.count),
		MaxLatency: float64(s.maxLatency),
	}
	size := min(s.index, len(s.latencies))
	sorted := slices.Clone(s.latencies[:size])
	slices.Sort(sorted)
	for i, p := range []float64{0.5, 0.95, 0.99, 0.999} {
		// Kafka indexes (int)(p * size) into the sorted samples; with no
		// samples it reads the zeroed first slot.
		if size == 0 {
			continue
		}
		t.Percentiles[i] = sorted[min(int(p*float64(size)), size-1)]
	}
	return t
}

// printTotal prints the final line.
func (s *stats) printTotal(nowMs int64) {
	t := s.totals(nowMs)
	fmt.Fprintf(s.w, "%d records sent, %s records/sec (%s MB/sec), %s ms avg latency, %s ms max latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.\n",
		t.Count,
		cli.FormatFixed(t.RecsPerSec, 6),
		cli.FormatFixed(t.MBPerSec, 2),
		cli.FormatFixed(t.AvgLatency, 2),
		cli.FormatFixed(t.MaxLatency, 2),
		t.Percentiles[0], t.Percentiles[1], t.Percentiles[2], t.Percentiles[3])
}
