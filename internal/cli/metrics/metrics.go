// Package metrics is what kafka-producer-perf-test and
// kafka-consumer-perf-test share for --print-metrics: counters that
// franz-go's kgo hooks feed, and the layout of Kafka's
// ToolsUtils.printMetrics. Hooks run on the client's goroutines, so every
// counter here is atomic and safe to read while the client runs.
package metrics

import (
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// Max holds the largest value Observe has been given (0 before any).
type Max struct{ v atomic.Int64 }

// Observe raises the maximum to x when x is larger.
func (m *Max) Observe(x int64) {
	for {
		cur := m.v.Load()
		if x <= cur || m.v.CompareAndSwap(cur, x) {
			return
		}
	}
}

// Load returns the maximum.
func (m *Max) Load() int64 { return m.v.Load() }

// Connections counts connection attempts as kgo's HookBrokerConnect reports
// them; a metrics type embeds it to become that hook.
type Connections struct {
	Created, Failed atomic.Int64
}

var _ kgo.HookBrokerConnect = (*Connections)(nil)

// OnBrokerConnect implements kgo.HookBrokerConnect.
func (c *Connections) OnBrokerConnect(_ kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err != nil {
		c.Failed.Add(1)
		return
	}
	c.Created.Add(1)
}

// Ratio is a/b, or 0 when b is 0: an average or rate over nothing, which
// Kafka's metrics report as 0.
func Ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Print writes metrics as Kafka's ToolsUtils.printMetrics lays them out: a
// blank line, a "Metric Name   Value" header, then one
// "group:name:{tags} : value" line per metric, sorted by name and padded to
// the longest, values with three decimals as Java's %.3f prints them. Keys
// are the full "group:name:{tags}" names.
func Print(w io.Writer, metrics map[string]float64) error {
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
	_, err := io.WriteString(w, b.String())
	return err
}
