package producerperf

import (
	"bufio"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkakit/kafkakit/internal/cli/metrics"
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

// producerMetrics collects, through kgo's hooks, the Java producer metrics
// this client can measure, for --print-metrics. Hooks run on the client's
// goroutines; the counters are atomic.
type producerMetrics struct {
	clientID string

	batches      atomic.Int64
	records      atomic.Int64
	uncompressed atomic.Int64
	compressed   atomic.Int64
	batchMax     metrics.Max

	requests     atomic.Int64
	bytesOut     atomic.Int64
	bytesIn      atomic.Int64
	writeErrors  atomic.Int64
	latencyNanos atomic.Int64
	latencyMax   metrics.Max
	latencyCount atomic.Int64
	metrics.Connections
}

var (
	_ kgo.HookProduceBatchWritten = (*producerMetrics)(nil)
	_ kgo.HookBrokerWrite         = (*producerMetrics)(nil)
	_ kgo.HookBrokerRead          = (*producerMetrics)(nil)
	_ kgo.HookBrokerE2E           = (*producerMetrics)(nil)
	_ kgo.HookBrokerConnect       = (*producerMetrics)(nil)
)

func newMetrics(clientID string) *producerMetrics { return &producerMetrics{clientID: clientID} }

func (m *producerMetrics) OnProduceBatchWritten(_ kgo.BrokerMetadata, _ string, _ int32, b kgo.ProduceBatchMetrics) {
	m.batches.Add(1)
	m.records.Add(int64(b.NumRecords))
	m.uncompressed.Add(int64(b.UncompressedBytes))
	m.compressed.Add(int64(b.CompressedBytes))
	m.batchMax.Observe(int64(b.CompressedBytes))
}

func (m *producerMetrics) OnBrokerWrite(_ kgo.BrokerMetadata, _ int16, bytes int, _, _ time.Duration, err error) {
	m.bytesOut.Add(int64(bytes))
	if err != nil {
		m.writeErrors.Add(1)
	}
}

func (m *producerMetrics) OnBrokerRead(_ kgo.BrokerMetadata, _ int16, bytes int, _, _ time.Duration, _ error) {
	m.bytesIn.Add(int64(bytes))
}

func (m *producerMetrics) OnBrokerE2E(_ kgo.BrokerMetadata, key int16, e kgo.BrokerE2E) {
	if key != 0 || e.Err() != nil { // produce requests only
		return
	}
	m.requests.Add(1)
	d := int64(e.DurationE2E())
	m.latencyNanos.Add(d)
	m.latencyCount.Add(1)
	m.latencyMax.Observe(d)
}

// print writes the metrics with metrics.Print, as
// "producer-metrics:<name>:{client-id=<id>}".
func (m *producerMetrics) print(w io.Writer, elapsed time.Duration) {
	secs := elapsed.Seconds()
	div := metrics.Ratio
	ms := func(nanos int64) float64 { return float64(nanos) / 1e6 }
	batches, records := float64(m.batches.Load()), float64(m.records.Load())
	vals := map[string]float64{
		"batch-size-avg":               div(float64(m.compressed.Load()), batches),
		"batch-size-max":               float64(m.batchMax.Load()),
		"compression-rate-avg":         div(float64(m.compressed.Load()), float64(m.uncompressed.Load())),
		"connection-creation-total":    float64(m.Created.Load()),
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
		"connection-creation-failures": float64(m.Failed.Load()),
	}
	tags := "{client-id=" + m.clientID + "}"
	full := make(map[string]float64, len(vals))
	for k, v := range vals {
		full["producer-metrics:"+k+":"+tags] = v
	}
	metrics.Print(w, full)
}
