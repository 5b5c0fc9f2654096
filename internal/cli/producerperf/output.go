package producerperf

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// lockedWriter serialises the error lines of failed sends, which come from
// the client's goroutines, and buffers them: a run can fail a million
// records.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
	bw *bufio.Writer
}

func (l *lockedWriter) println(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.bw == nil {
		l.bw = bufio.NewWriter(l.w)
	}
	l.bw.WriteString(s)
	l.bw.WriteByte('\n')
}

func (l *lockedWriter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.bw != nil {
		l.bw.Flush()
	}
}

// metrics collects, through kgo's hooks, the Java producer metrics this
// client can measure, for --print-metrics. Hooks run on the client's
// goroutines; the counters are atomic.
type metrics struct {
	clientID string

	batches      atomic.Int64
	records      atomic.Int64
	uncompressed atomic.Int64
	compressed   atomic.Int64
	batchMax     atomic.Int64

	requests      atomic.Int64
	bytesOut      atomic.Int64
	bytesIn       atomic.Int64
	writeErrors   atomic.Int64
	latencyNanos  atomic.Int64
	latencyMax    atomic.Int64
	latencyCount  atomic.Int64
	connects      atomic.Int64
	connectErrors atomic.Int64
}

var (
	_ kgo.HookProduceBatchWritten = (*metrics)(nil)
	_ kgo.HookBrokerWrite         = (*metrics)(nil)
	_ kgo.HookBrokerRead          = (*metrics)(nil)
	_ kgo.HookBrokerE2E           = (*metrics)(nil)
	_ kgo.HookBrokerConnect       = (*metrics)(nil)
)

func newMetrics(clientID string) *metrics { return &metrics{clientID: clientID} }

func (m *metrics) OnProduceBatchWritten(_ kgo.BrokerMetadata, _ string, _ int32, b kgo.ProduceBatchMetrics) {
	m.batches.Add(1)
	m.records.Add(int64(b.NumRecords))
	m.uncompressed.Add(int64(b.UncompressedBytes))
	m.compressed.Add(int64(b.CompressedBytes))
	for {
		cur := m.batchMax.Load()
		if int64(b.CompressedBytes) <= cur || m.batchMax.CompareAndSwap(cur, int64(b.CompressedBytes)) {
			break
		}
	}
}

func (m *metrics) OnBrokerWrite(_ kgo.BrokerMetadata, _ int16, bytes int, _, _ time.Duration, err error) {
	m.bytesOut.Add(int64(bytes))
	if err != nil {
		m.writeErrors.Add(1)
	}
}

func (m *metrics) OnBrokerRead(_ kgo.BrokerMetadata, _ int16, bytes int, _, _ time.Duration, _ error) {
	m.bytesIn.Add(int64(bytes))
}

func (m *metrics) OnBrokerE2E(_ kgo.BrokerMetadata, key int16, e kgo.BrokerE2E) {
	if key != 0 || e.Err() != nil { // produce requests only
		return
	}
	m.requests.Add(1)
	d := int64(e.DurationE2E())
	m.latencyNanos.Add(d)
	m.latencyCount.Add(1)
	for {
		cur := m.latencyMax.Load()
		if d <= cur || m.latencyMax.CompareAndSwap(cur, d) {
			break
		}
	}
}

func (m *metrics) OnBrokerConnect(_ kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err != nil {
		m.connectErrors.Add(1)
		return
	}
	m.connects.Add(1)
}

// print writes the metrics with PrintMetrics, as
// "producer-metrics:<name>:{client-id=<id>}".
func (m *metrics) print(w io.Writer, elapsed time.Duration) {
	secs := elapsed.Seconds()
	div := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	ms := func(nanos int64) float64 { return float64(nanos) / 1e6 }
	batches, records := float64(m.batches.Load()), float64(m.records.Load())
	vals := map[string]float64{
		"batch-size-avg":               div(float64(m.compressed.Load()), batches),
		"batch-size-max":               float64(m.batchMax.Load()),
		"compression-rate-avg":         div(float64(m.compressed.Load()), float64(m.uncompressed.Load())),
		"connection-creation-total":    float64(m.connects.Load()),
		"incoming-byte-total":          float64(m.bytesIn.Load()),
		"incoming-byte-rate":           div(float64(m.bytesIn.Load()), secs),
		"outgoing-byte-total":          float64(m.bytesOut.Load()),
		"outgoing-byte-rate":           div(float64(m.bytesOut.Load()), secs),
		"record-send-total":            records,
		"record-send-rate":             div(records, secs),
		"records-per-request-avg":      div(records, float64(m.requests.Load())),
		"request-latency-avg":          div(ms(m.latencyNanos.Load()), float64(m.latencyCount.Load())),
		"request-latency-max":          ms(m.latencyMax.Load()),
		"request-total":                float64(m.requests.Load()),
		"request-rate":                 div(float64(m.requests.Load()), secs),
		"connection-creation-failures": float64(m.connectErrors.Load()),
	}
	tags := "{client-id=" + m.clientID + "}"
	full := make(map[string]float64, len(vals))
	for k, v := range vals {
		full["producer-metrics:"+k+":"+tags] = v
	}
	PrintMetrics(w, full)
}

// PrintMetrics writes metrics as Kafka's ToolsUtils.printMetrics lays them
// out: a blank line, a "Metric Name   Value" header, then one
// "group:name:{tags} : value" line per metric, sorted by name and padded to
// the longest, values with three decimals. Keys are the full
// "group:name:{tags}" names. kafka-consumer-perf-test uses it too.
func PrintMetrics(w io.Writer, metrics map[string]float64) {
	names := make([]string, 0, len(metrics))
	width := len("Metric Name")
	for name := range metrics {
		names = append(names, name)
		width = max(width, len(name))
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-*s   %s\n", width, "Metric Name", "Value")
	for _, name := range names {
		fmt.Fprintf(&b, "%-*s : %s\n", width, name, cli.FormatFixed(metrics[name], 3))
	}
	io.WriteString(w, b.String())
}
