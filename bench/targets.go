package main

import (
	"fmt"
	"io"
	"sort"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// targetRow is one target of the performance issue checked against the
// run: our figure, kfake's where the target compares with it, their ratio,
// the limit and whether it is met (nil when the run did not measure it).
type targetRow struct {
	Target string   `json:"target"`
	Unit   string   `json:"unit"`
	Ours   *float64 `json:"ours"`
	Kfake  *float64 `json:"kfake,omitempty"`
	Ratio  *float64 `json:"ratio,omitempty"`
	Limit  string   `json:"limit"`
	Met    *bool    `json:"met"`
}

// The cases whose figures the targets name: uncompressed 100 B and 1 KiB
// records, acks=1 and acks=all, on 6 partitions.
var targetCases = []string{"100B acks=1 none p6", "100B acks=all none p6", "1KiB acks=1 none p6", "1KiB acks=all none p6"}

// Limits of the targets.
const (
	targetCPURatio        = 0.5  // broker CPU per million records, ours/kfake, at most
	targetThroughputRatio = 1.0  // records/s, ours/kfake, at least
	targetConsumeMBRatio  = 1.5  // consume MB/s of 1 KiB records, ours/kfake, at least
	targetP99Ms           = 5.0  // end-to-end p99, at most (and at most kfake's)
	targetP999Ms          = 10.0 // end-to-end p99.9, at most
	targetReadyMs         = 200  // exec to an answered ApiVersions, at most
	targetTopicMs         = 50   // CreateTopics until every partition has a leader, at most
	targetClusterRatio    = 0.5  // 3 nodes acks=all over 1 node acks=1, records/s, at least
	targetRSS10kMiB       = 500  // RSS with 10 000 empty partitions, at most
	targetConn1kMiB       = 100  // RSS 1 000 idle connections add, at most
	targetToolStartMs     = 15   // kafka-topics --version, median, at most
	targetToolCreateMs    = 50   // kafka-topics --create against a local broker, median, at most
)

func ptr[T any](v T) *T { return &v }

// caseMedian is the median over a case's successful runs on broker.
func caseMedian(cr caseResult, broker string, f func(runResult) float64) *float64 {
	var v []float64
	for _, r := range cr.Runs {
		if r.Broker == broker && r.Err == "" {
			v = append(v, f(r))
		}
	}
	return median(v)
}

// evaluateTargets checks every target the run measured.
func evaluateTargets(res *results) []targetRow {
	var rows []targetRow
	ratio := func(a, b *float64) *float64 {
		if a == nil || b == nil || *b == 0 {
			return nil
		}
		return ptr(*a / *b)
	}
	add := func(target, unit string, ours, kfake *float64, limit string, met func() bool) {
		r := targetRow{Target: target, Unit: unit, Ours: ours, Kfake: kfake, Ratio: ratio(ours, kfake), Limit: limit}
		if ours != nil {
			r.Met = ptr(met())
		}
		rows = append(rows, r)
	}
	cases := map[string]caseResult{}
	for _, cr := range res.Cases {
		cases[cr.Case.Name] = cr
	}
	byCase := func(title, unit, limit string, f func(runResult) float64, names []string, ok func(ratio float64) bool) {
		for _, name := range names {
			cr, found := cases[name]
			if !found {
				continue
			}
			o, k := caseMedian(cr, "ours", f), caseMedian(cr, "kfake", f)
			add(title+", "+name, unit, o, k, limit, func() bool { q := ratio(o, k); return q != nil && ok(*q) })
		}
	}
	byCase("broker CPU per million records, produce + consume", "CPU s/M", fmt.Sprintf("≤ %.1f× kfake", targetCPURatio),
		func(r runResult) float64 { return r.BrokerCPUSecPerM }, targetCases, func(q float64) bool { return q <= targetCPURatio })
	byCase("produce", "rec/s", fmt.Sprintf("≥ %.1f× kfake", targetThroughputRatio),
		func(r runResult) float64 { return r.ProduceRecPerSec }, targetCases, func(q float64) bool { return q >= targetThroughputRatio })
	byCase("consume", "rec/s", fmt.Sprintf("≥ %.1f× kfake", targetThroughputRatio),
		func(r runResult) float64 { return r.ConsumeRecPerSec }, targetCases, func(q float64) bool { return q >= targetThroughputRatio })
	byCase("consume", "MB/s", fmt.Sprintf("≥ %.1f× kfake", targetConsumeMBRatio),
		func(r runResult) float64 { return r.ConsumeMBps }, targetCases[2:], func(q float64) bool { return q >= targetConsumeMBRatio })

	for _, ec := range res.E2E {
		pick := func(broker string, f func(e2eResult) float64) *float64 {
			var v []float64
			for _, r := range ec.Runs {
				if r.Broker == broker && r.Err == "" {
					v = append(v, f(r))
				}
			}
			return median(v)
		}
		o99, k99 := pick("ours", func(r e2eResult) float64 { return r.P99Ms }), pick("kfake", func(r e2eResult) float64 { return r.P99Ms })
		add(fmt.Sprintf("end-to-end p99 at %d rec/s, %s", ec.Rate, ec.Name), "ms", o99, k99,
			fmt.Sprintf("≤ kfake and ≤ %.0f ms", targetP99Ms),
			func() bool { return *o99 <= targetP99Ms && (k99 == nil || *o99 <= *k99) })
		o999, k999 := pick("ours", func(r e2eResult) float64 { return r.P999Ms }), pick("kfake", func(r e2eResult) float64 { return r.P999Ms })
		add(fmt.Sprintf("end-to-end p99.9 at %d rec/s, %s", ec.Rate, ec.Name), "ms", o999, k999,
			fmt.Sprintf("≤ %.0f ms", targetP999Ms), func() bool { return *o999 <= targetP999Ms })
	}

	var readyOurs, readyKfake []float64
	for _, b := range res.Brokers {
		switch b.Name {
		case "ours":
			readyOurs = b.ReadyMs
		case "kfake":
			readyKfake = b.ReadyMs
		}
	}
	if o := median(readyOurs); o != nil {
		add("ready: exec to an answered ApiVersions (median)", "ms", o, median(readyKfake),
			fmt.Sprintf("≤ %d ms", targetReadyMs), func() bool { return *o <= targetReadyMs })
	}
	if o := median(res.Topics.ReadyMs["ours"]); o != nil {
		add("topic creation: CreateTopics until every partition has a leader (median)", "ms", o, median(res.Topics.ReadyMs["kfake"]),
			fmt.Sprintf("≤ %d ms", targetTopicMs), func() bool { return *o <= targetTopicMs })
	}

	if cf := res.Cluster3; cf != nil && cf.Skipped == "" {
		byName := map[string][]clusterResult{}
		var names []string
		for _, r := range cf.Runs {
			if _, ok := byName[r.Case.Name]; !ok {
				names = append(names, r.Case.Name)
			}
			byName[r.Case.Name] = append(byName[r.Case.Name], r)
		}
		for _, name := range names {
			var three, one, q []float64
			for _, r := range byName[name] {
				if r.Ratio > 0 {
					three = append(three, r.Three.ProduceRecPerSec)
					one = append(one, r.One.ProduceRecPerSec)
					q = append(q, r.Ratio)
				}
			}
			row := targetRow{Target: "acks=all on 3 nodes (RF 3, min.insync.replicas 2) over acks=1 on 1 node, produce, " + name,
				Unit: "rec/s", Ours: median(three), Kfake: nil, Ratio: median(q),
				Limit: fmt.Sprintf("≥ %.1f× acks=1 on one node (%s rec/s)", targetClusterRatio, cell(median(one), "rec/s"))}
			if row.Ratio != nil {
				row.Met = ptr(*row.Ratio >= targetClusterRatio)
			}
			rows = append(rows, row)
		}
	}

	if sf := res.Scale; sf != nil {
		mib := func(broker string, n int) *float64 {
			if p := sf.point(broker, "partitions", n); p != nil {
				return ptr(float64(p.RSS) / (1 << 20))
			}
			return nil
		}
		n := partitionSteps[len(partitionSteps)-1]
		if o := mib("ours", n); o != nil {
			add(fmt.Sprintf("RSS with %d empty partitions", n), "MiB", o, mib("kfake", n),
				fmt.Sprintf("≤ %d MiB", targetRSS10kMiB), func() bool { return *o <= targetRSS10kMiB })
		}
		cost := func(broker string, n int) *float64 {
			d, _, err := sf.scaleDelta(broker, "connections", n)
			if err != nil {
				return nil
			}
			return &d
		}
		c := connectionSteps[len(connectionSteps)-1]
		if o := cost("ours", c); o != nil {
			add(fmt.Sprintf("RSS added by %d idle connections", c), "MiB", o, cost("kfake", c),
				fmt.Sprintf("≤ %d MiB", targetConn1kMiB), func() bool { return *o <= targetConn1kMiB })
		}
	}

	for _, ts := range res.Tools {
		if ts.Command == "kafka-topics --version" {
			add("tool start-up: kafka-topics --version (median)", "ms", ptr(ts.MedianMs), nil,
				fmt.Sprintf("≤ %d ms", targetToolStartMs), func() bool { return ts.MedianMs <= targetToolStartMs })
		}
	}
	var oursCreate, kfakeCreate *float64
	for _, tc := range res.ToolCreate {
		switch tc.Broker {
		case "ours":
			oursCreate = ptr(tc.MedianMs)
		case "kfake":
			kfakeCreate = ptr(tc.MedianMs)
		}
	}
	if oursCreate != nil {
		add("kafka-topics --create against a local broker (median)", "ms", oursCreate, kfakeCreate,
			fmt.Sprintf("≤ %d ms", targetToolCreateMs), func() bool { return *oursCreate <= targetToolCreateMs })
	}
	return rows
}

// writeTargets prints the targets table.
func writeTargets(w io.Writer, rows []targetRow) error {
	if len(rows) == 0 {
		return nil
	}
	met, total := 0, 0
	for _, r := range rows {
		if r.Met != nil {
			total++
			if *r.Met {
				met++
			}
		}
	}
	fmt.Fprintf(w, "\ntargets of the performance issue: %d of %d met\n", met, total)
	t := newTable(w, tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignLeft, tw.AlignLeft)
	t.Header("target", "unit", "ours", "kfake", "ours/kfake", "limit", "met")
	for _, r := range rows {
		q := ""
		if r.Ratio != nil {
			q = fmt.Sprintf("%.2fx", *r.Ratio)
		}
		k := ""
		if r.Kfake != nil {
			k = cell(r.Kfake, r.Unit)
		}
		m := "not measured"
		if r.Met != nil {
			m = "no"
			if *r.Met {
				m = "yes"
			}
		}
		if err := t.Append([]string{r.Target, r.Unit, cell(r.Ours, r.Unit), k, q, r.Limit, m}); err != nil {
			return err
		}
	}
	return t.Render()
}

// newTable is a Markdown table with the given column alignments.
func newTable(w io.Writer, align ...tw.Align) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewMarkdown()),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
	)
}

// writeScale prints the scaling series: one row per step, both brokers.
func writeScale(w io.Writer, sf *scaleFigures) error {
	if sf == nil || len(sf.Points) == 0 {
		return nil
	}
	type key struct {
		series string
		n      int
	}
	var keys []key
	seen := map[key]bool{}
	for _, p := range sf.Points {
		k := key{p.Series, p.N}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	sort.SliceStable(keys, func(i, j int) bool {
		if keys[i].series != keys[j].series {
			return keys[i].series > keys[j].series // partitions first
		}
		return keys[i].n < keys[j].n
	})
	fmt.Fprintf(w, "\nscaling: RSS and goroutines of a fresh broker after start (n = 0) and as empty partitions (topics of at most %d partitions) or idle connections (each after one ApiVersions) are added\n", maxPartitionsPerTopic)
	t := newTable(w, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight)
	t.Header("series", "n", "ours RSS MiB", "kfake RSS MiB", "ours goroutines", "kfake goroutines", "ours step ms", "kfake step ms")
	for _, k := range keys {
		row := []string{k.series, fmt.Sprint(k.n)}
		var rss, gor, step []string
		for _, b := range []string{"ours", "kfake"} {
			p := sf.point(b, k.series, k.n)
			if p == nil {
				rss, gor, step = append(rss, ""), append(gor, ""), append(step, "")
				continue
			}
			rss = append(rss, fmt.Sprintf("%.1f", float64(p.RSS)/(1<<20)))
			g := "n/a"
			if p.Goroutines >= 0 {
				g = fmt.Sprint(p.Goroutines)
			}
			gor = append(gor, g)
			s := ""
			if k.n > 0 {
				s = fmt.Sprintf("%.0f", p.StepMs)
			}
			step = append(step, s)
		}
		row = append(row, rss...)
		row = append(row, gor...)
		row = append(row, step...)
		if err := t.Append(row); err != nil {
			return err
		}
	}
	return t.Render()
}

// writeCluster prints the replication runs.
func writeCluster(w io.Writer, cf *clusterFigures) error {
	if cf == nil {
		return nil
	}
	if cf.Skipped != "" {
		fmt.Fprintf(w, "\n3-node cluster: skipped (%s)\n", cf.Skipped)
		return nil
	}
	if len(cf.Runs) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\n3-node cluster (kafka-server, RF 3, min.insync.replicas 2, up in %.0f ms) with acks=all against one kafka-server node with acks=1, same load, same round\n", cf.StartMs)
	t := newTable(w, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignLeft)
	t.Header("case", "round", "3 nodes acks=all rec/s", "1 node acks=1 rec/s", "ratio", "3 nodes consume rec/s", "3 nodes CPU s/M", "first acks=all ms", "error")
	for _, r := range cf.Runs {
		q := ""
		if r.Ratio > 0 {
			q = fmt.Sprintf("%.2f", r.Ratio)
		}
		if err := t.Append([]string{r.Case.Name, fmt.Sprint(r.Round), human(r.Three.ProduceRecPerSec), human(r.One.ProduceRecPerSec), q,
			human(r.Three.ConsumeRecPerSec), fmt.Sprintf("%.2f", r.Three.BrokerCPUSecPerM), fmt.Sprintf("%.0f", r.Three.FirstProduceMs),
			r.Three.Err + r.One.Err}); err != nil {
			return err
		}
	}
	return t.Render()
}

// writeToolCreates prints the kafka-topics --create times.
func writeToolCreates(w io.Writer, tcs []toolCreate) error {
	if len(tcs) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nkafka-topics --create --partitions 6 --replication-factor 1 against a local broker, exec to exit (%d runs each)\n", tcs[0].Runs)
	t := newTable(w, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight)
	t.Header("broker", "median ms", "min ms", "max ms")
	for _, tc := range tcs {
		if err := t.Append([]string{tc.Broker, fmt.Sprintf("%.1f", tc.MedianMs), fmt.Sprintf("%.1f", tc.MinMs), fmt.Sprintf("%.1f", tc.MaxMs)}); err != nil {
			return err
		}
	}
	return t.Render()
}
