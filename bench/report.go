package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// row is one figure of the summary: the median over rounds for each
// broker, their ratio and the machine limit that bounds it.
type row struct {
	Section string   `json:"section"`
	Figure  string   `json:"figure"`
	Unit    string   `json:"unit"`
	Ours    *float64 `json:"ours"`
	Kfake   *float64 `json:"kfake"`
	// Ratio is ours/kfake.
	Ratio *float64 `json:"ratio"`
	// HigherIsBetter says which way the ratio favours us.
	HigherIsBetter bool   `json:"higher_is_better"`
	Limit          string `json:"limit,omitempty"`
	// OursText and KfakeText are the printed cells (with MB/s beside
	// records/s).
	OursText  string `json:"-"`
	KfakeText string `json:"-"`
}

// median of the values; nil when there are none.
func median(v []float64) *float64 {
	if len(v) == 0 {
		return nil
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return &m
}

// summarise builds the summary rows from the raw results.
func summarise(res *results) []row {
	var rows []row
	add := func(section, figure, unit string, higher bool, ours, kfake *float64, limit string) *row {
		r := row{Section: section, Figure: figure, Unit: unit, HigherIsBetter: higher, Ours: ours, Kfake: kfake, Limit: limit}
		if ours == nil && kfake == nil && section == "broker" {
			return &r // not measured in this run (no throughput case ran): left out
		}
		if ours != nil && kfake != nil && *kfake != 0 {
			q := *ours / *kfake
			r.Ratio = &q
		}
		r.OursText, r.KfakeText = cell(ours, unit), cell(kfake, unit)
		rows = append(rows, r)
		return &rows[len(rows)-1]
	}
	lim := res.Limits
	sizes := fmt.Sprintf("median of %d rounds; %d records of 100 B or %d of 1 KiB per run",
		res.Config.Rounds, res.Config.SmallRecords, res.Config.LargeRecords)
	pick := func(cr caseResult, broker string, f func(runResult) float64) *float64 {
		var v []float64
		for _, r := range cr.Runs {
			if r.Broker == broker && r.Err == "" {
				v = append(v, f(r))
			}
		}
		return median(v)
	}
	withMBps := func(r *row, cr caseResult, f func(runResult) float64) {
		if m := pick(cr, "ours", f); m != nil {
			r.OursText += fmt.Sprintf(" (%.1f MB/s)", *m)
		}
		if m := pick(cr, "kfake", f); m != nil {
			r.KfakeText += fmt.Sprintf(" (%.1f MB/s)", *m)
		}
	}
	prodLimit, consLimit := "", ""
	if lim != nil {
		disk := lim.WriteMBps
		if res.Config.Fsync {
			disk = lim.WriteSyncMBps
		}
		prodLimit = fmt.Sprintf("disk %.0f, tcp %.0f MB/s", disk, lim.LoopbackMBps)
		consLimit = fmt.Sprintf("tcp %.0f MB/s", lim.LoopbackMBps)
	}
	for _, cr := range res.Cases {
		r := add("produce ("+sizes+")", cr.Case.Name, "rec/s", true,
			pick(cr, "ours", func(r runResult) float64 { return r.ProduceRecPerSec }),
			pick(cr, "kfake", func(r runResult) float64 { return r.ProduceRecPerSec }), prodLimit)
		withMBps(r, cr, func(r runResult) float64 { return r.ProduceMBps })
	}
	for _, cr := range res.Cases {
		r := add("consume everything back ("+sizes+")", cr.Case.Name, "rec/s", true,
			pick(cr, "ours", func(r runResult) float64 { return r.ConsumeRecPerSec }),
			pick(cr, "kfake", func(r runResult) float64 { return r.ConsumeRecPerSec }), consLimit)
		withMBps(r, cr, func(r runResult) float64 { return r.ConsumeMBps })
	}
	for _, cr := range res.Cases {
		add("broker CPU seconds per million records, produce + consume (from /proc/<pid>/stat)", cr.Case.Name, "CPU s/M", false,
			pick(cr, "ours", func(r runResult) float64 { return r.BrokerCPUSecPerM }),
			pick(cr, "kfake", func(r runResult) float64 { return r.BrokerCPUSecPerM }), "")
	}
	for _, ec := range res.E2E {
		sec := fmt.Sprintf("end-to-end latency, 100 B acks=all at %d records/s (median of %d rounds)", ec.Rate, res.Config.Rounds)
		pick := func(broker string, f func(e2eResult) float64) *float64 {
			var v []float64
			for _, r := range ec.Runs {
				if r.Broker == broker && r.Err == "" {
					v = append(v, f(r))
				}
			}
			return median(v)
		}
		rtt := ""
		if lim != nil {
			rtt = fmt.Sprintf("RTT p50 %.3f ms", lim.RTTP50Micros/1e3)
		}
		add(sec, ec.Name+" p50", "ms", false, pick("ours", func(r e2eResult) float64 { return r.P50Ms }), pick("kfake", func(r e2eResult) float64 { return r.P50Ms }), rtt)
		add(sec, ec.Name+" p99", "ms", false, pick("ours", func(r e2eResult) float64 { return r.P99Ms }), pick("kfake", func(r e2eResult) float64 { return r.P99Ms }), "")
		add(sec, ec.Name+" p99.9", "ms", false, pick("ours", func(r e2eResult) float64 { return r.P999Ms }), pick("kfake", func(r e2eResult) float64 { return r.P999Ms }), "")
	}
	sec := "broker"
	var readyOurs, readyKfake []float64
	for _, b := range res.Brokers {
		if b.Name == "ours" {
			readyOurs = b.ReadyMs
		} else {
			readyKfake = b.ReadyMs
		}
	}
	add(sec, fmt.Sprintf("ready time, exec to ApiVersions (median of %d cold starts)", res.Config.ReadyStarts), "ms", false,
		median(readyOurs), median(readyKfake), "")
	add(sec, "CreateTopics answered (median of all runs)", "ms", false,
		median(res.Topics.CreateMs["ours"]), median(res.Topics.CreateMs["kfake"]), "")
	add(sec, "topic usable: every partition has a leader (median)", "ms", false,
		median(res.Topics.ReadyMs["ours"]), median(res.Topics.ReadyMs["kfake"]), "")
	rss := func(name string, f func(brokerInfo) int64) *float64 {
		for _, b := range res.Brokers {
			if b.Name == name && f(b) > 0 {
				v := float64(f(b)) / (1 << 20)
				return &v
			}
		}
		return nil
	}
	for _, cr := range res.Cases {
		if cr.Case.Codec != "none" || cr.Case.Acks != -1 || cr.Case.Partitions != 6 {
			continue
		}
		perRecord := func(r runResult) float64 { return float64(r.DataBytes) / float64(cr.Case.Records) }
		add(sec, "disk space per record after produce, "+cr.Case.Name, "bytes", false,
			pick(cr, "ours", perRecord), pick(cr, "kfake", perRecord), "")
	}
	add(sec, "RSS idle after start", "MiB", false, rss("ours", func(b brokerInfo) int64 { return b.IdleRSS }), rss("kfake", func(b brokerInfo) int64 { return b.IdleRSS }), "")
	add(sec, "RSS at the end", "MiB", false, rss("ours", func(b brokerInfo) int64 { return b.FinalRSS }), rss("kfake", func(b brokerInfo) int64 { return b.FinalRSS }), "")
	add(sec, "RSS peak (VmHWM)", "MiB", false, rss("ours", func(b brokerInfo) int64 { return b.PeakRSS }), rss("kfake", func(b brokerInfo) int64 { return b.PeakRSS }), "")
	return rows
}

// cell formats a figure for the table.
func cell(v *float64, unit string) string {
	if v == nil {
		return "failed"
	}
	switch unit {
	case "rec/s":
		return human(*v)
	case "ms":
		if *v < 10 {
			return fmt.Sprintf("%.2f", *v)
		}
		return fmt.Sprintf("%.1f", *v)
	case "MiB", "bytes":
		return fmt.Sprintf("%.0f", *v)
	}
	return fmt.Sprintf("%.2f", *v)
}

// human prints a rate with k/M suffixes and three significant digits.
func human(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.0fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// verdict says which broker the ratio favours, with 10% either way
// counted as even: these machines are noisy.
func verdict(r row) string {
	if r.Ratio == nil {
		return ""
	}
	q := *r.Ratio
	if !r.HigherIsBetter {
		q = 1 / q
	}
	switch {
	case q >= 1.1:
		return "ours better"
	case q <= 1/1.1:
		return "kfake better"
	}
	return "even"
}

// writeReport prints the machine limits and the summary table.
func writeReport(w io.Writer, res *results) error {
	fmt.Fprintf(w, "kafkakit benchmark  %s  commit %s  %d CPUs  load %s -> %s  %.0fs\n",
		res.Started.Format("2006-01-02 15:04 UTC"), res.Host.Commit, res.Host.CPUs,
		res.Host.LoadAvgStart, res.Host.LoadAvgEnd, res.Seconds)
	fmt.Fprintf(w, "ours: kafka-server, data on disk in Kafka's log format; kfake: franz-go kfake with DataDir, data on disk\n")
	if res.Config.Fsync {
		fmt.Fprintf(w, "both brokers fsync every batch\n")
	} else {
		fmt.Fprintf(w, "neither broker fsyncs per batch (Kafka's default flush settings)\n")
	}
	if l := res.Limits; l != nil {
		fmt.Fprintf(w, "\nmachine limits (same run):\n")
		fmt.Fprintf(w, "  sequential write %d MiB in 1 MiB writes, fsync at end:  %.0f MB/s\n", l.WriteBytes>>20, l.WriteMBps)
		fmt.Fprintf(w, "  same, fsync after every 1 MiB:                       %.0f MB/s\n", l.WriteSyncMBps)
		fmt.Fprintf(w, "  16 KiB write + fsync:                                %.0f /s, p50 %.0f µs\n", l.Fsyncs16KPerSec, l.FsyncP50Micros)
		fmt.Fprintf(w, "  loopback TCP, one connection, 256 KiB writes:        %.0f MB/s\n", l.LoopbackMBps)
		fmt.Fprintf(w, "  loopback ping-pong, 100 B:                           %.0f round trips/s, RTT p50 %.1f µs\n", l.PingPongPerSec, l.RTTP50Micros)
	}
	section := ""
	var table [][]string
	flush := func() error {
		if len(table) == 0 {
			return nil
		}
		fmt.Fprintf(w, "\n%s\n", section)
		t := tablewriter.NewTable(w,
			tablewriter.WithRenderer(renderer.NewMarkdown()),
			tablewriter.WithHeaderAutoFormat(tw.Off),
			tablewriter.WithHeaderAlignment(tw.AlignLeft),
			tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: []tw.Align{
				tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignLeft, tw.AlignLeft}}),
		)
		t.Header("figure", "unit", "ours", "kfake", "ours/kfake", "", "limit")
		if err := t.Bulk(table); err != nil {
			return err
		}
		table = nil
		return t.Render()
	}
	for _, r := range res.Rows {
		if r.Section != section {
			if err := flush(); err != nil {
				return err
			}
			section = r.Section
		}
		ratio := ""
		if r.Ratio != nil {
			ratio = fmt.Sprintf("%.2fx", *r.Ratio)
		}
		table = append(table, []string{r.Figure, r.Unit, r.OursText, r.KfakeText, ratio, verdict(r), r.Limit})
	}
	if err := flush(); err != nil {
		return err
	}
	if len(res.Tools) > 0 {
		fmt.Fprintf(w, "\ntool start-up, exec to exit (%d runs each)\n", res.Config.ToolRuns)
		t := tablewriter.NewTable(w,
			tablewriter.WithRenderer(renderer.NewMarkdown()),
			tablewriter.WithHeaderAutoFormat(tw.Off),
			tablewriter.WithHeaderAlignment(tw.AlignLeft),
			tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: []tw.Align{tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight}}),
		)
		t.Header("command", "median ms", "min ms", "max ms")
		for _, ts := range res.Tools {
			if err := t.Append([]string{ts.Command, fmt.Sprintf("%.1f", ts.MedianMs), fmt.Sprintf("%.1f", ts.MinMs), fmt.Sprintf("%.1f", ts.MaxMs)}); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	if err := writeToolCreates(w, res.ToolCreate); err != nil {
		return err
	}
	if err := writeCluster(w, res.Cluster3); err != nil {
		return err
	}
	if err := writeScale(w, res.Scale); err != nil {
		return err
	}
	if err := writeTargets(w, res.Targets); err != nil {
		return err
	}
	for _, e := range res.Errors {
		fmt.Fprintf(w, "ERROR: %s\n", e)
	}
	return nil
}

// writeJSON writes the results to path, creating its directory.
func writeJSON(path string, res *results) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
