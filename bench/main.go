// Command bench is kafkakit's benchmark suite. In one run it starts our
// kafka-server and a standalone franz-go kfake broker (tools/kfakebroker) as
// separate processes, drives both with the same load through the same
// client (franz-go kgo, in this process), alternating the two brokers run by
// run, and prints every figure for both with their ratio beside the
// machine's physical limits, measured in the same run. It also writes all
// raw and summarised figures to a JSON file.
//
// Both brokers keep their data on disk in the same file system: kafka-server
// in Kafka's log format, kfake in its own segment files (kfake.DataDir).
// Neither fsyncs per batch by default (Kafka's default flush settings), so
// the comparison is like with like; -fsync makes both fsync every batch.
//
// Figures: produce and consume throughput for 100 B and 1 KiB records with
// acks=1 and acks=all, no/lz4/zstd compression, on 1, 6 and 64 partitions;
// end-to-end latency at a fixed 10,000 records/s; broker CPU seconds per
// million records (from /proc/<pid>/stat); broker RSS; ready time (exec to
// an answered ApiVersions); topic creation time; kafka-topics start-up and
// a whole kafka-topics --create; acks=all on a 3-node kafka-server cluster
// against acks=1 on one node; RSS and goroutines as empty partitions (1,
// 1 000, 10 000) and idle connections (10, 1 000) are added. Every run is
// verified: each record produced is consumed once, in order within its
// partition. The report ends with the targets of the performance issue,
// each with our figure, kfake's, the ratio, the limit and whether it is
// met.
//
// Usage (normally through scripts/bench.sh, which builds the binaries):
//
//	bench -server bin/kafka-server -kfake bin/kfakebroker [-quick] [-out file.json]
//
// See docs/benchmarks.md for how to read the output.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// config is the suite's settings, from flags.
type config struct {
	Quick        bool    `json:"quick"`
	Rounds       int     `json:"rounds"`
	SmallRecords int     `json:"records_100b"`
	LargeRecords int     `json:"records_1kib"`
	E2ERate      int     `json:"e2e_rate_per_s"`
	E2EWarm      float64 `json:"e2e_warmup_s"`
	E2ESeconds   float64 `json:"e2e_measured_s"`
	ReadyStarts  int     `json:"ready_starts"`
	ToolRuns     int     `json:"tool_start_runs"`
	Fsync        bool    `json:"fsync_every_batch"`
	LimitBytes   int64   `json:"limit_write_bytes"`
	LimitProbe   float64 `json:"limit_probe_s"`
	Cases        string  `json:"case_filter,omitempty"`

	serverBin, kfakeBin, profBin string
	// refServer, when set, is a kafka-server build run in kfake's place.
	refServer                string
	toolsDir                 string
	out, dataDir, profileDir string
	keep                     bool
	caseRE                   *regexp.Regexp
	// partitionSteps and connectionSteps are the scaling series' steps
	// (the package's, smaller in tests).
	partitionSteps, connectionSteps []int
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&c.Quick, "quick", false, "a ~2 minute run: fewer records, one round, shorter probes")
	fs.IntVar(&c.Rounds, "rounds", 0, "rounds of every case on each broker (default 3, 1 with -quick)")
	fs.IntVar(&c.SmallRecords, "records-small", 0, "records per 100 B run (default 1000000, 200000 with -quick)")
	fs.IntVar(&c.LargeRecords, "records-large", 0, "records per 1 KiB run (default 200000, 50000 with -quick)")
	fs.IntVar(&c.E2ERate, "e2e-rate", 10000, "records per second of the end-to-end latency runs")
	e2eDur := fs.Duration("e2e-duration", 0, "measured time of each end-to-end run (default 8s, 3s with -quick)")
	fs.IntVar(&c.ReadyStarts, "ready-starts", 0, "cold starts of each broker for the ready time (default 5, 3 with -quick)")
	fs.IntVar(&c.ToolRuns, "tool-runs", 0, "runs of each tool start-up measurement (default 20, 10 with -quick)")
	fs.StringVar(&c.toolsDir, "tools", "", "directory with kafka-topics and the perf tools, for their start-up time (empty: skip)")
	fs.BoolVar(&c.Fsync, "fsync", false, "both brokers fsync every batch (kafka-server log.flush.interval.messages=1, kfake -sync)")
	fs.StringVar(&c.Cases, "cases", "", "only run cases whose name matches this regexp (e.g. 'p6|e2e')")
	fs.StringVar(&c.serverBin, "server", "bin/kafka-server", "kafka-server binary")
	fs.StringVar(&c.kfakeBin, "kfake", "bin/kfakebroker", "tools/kfakebroker binary")
	fs.StringVar(&c.profBin, "profserver", "", "bench/profserver binary, kafka-server that serves pprof: used with -profile and to count goroutines in the scaling figures (default: profserver beside -server, if there)")
	fs.StringVar(&c.refServer, "ref-server", "", "run this kafka-server build as the reference instead of kfake (an A/B test of a broker change; the kfake column then shows it)")
	fs.StringVar(&c.profileDir, "profile", "", "write a CPU profile of each broker for each throughput and end-to-end run into this directory")
	fs.StringVar(&c.out, "out", "", "JSON results file (default bench/results/bench-<time>.json)")
	fs.StringVar(&c.dataDir, "data", "", "directory for the brokers' data (default: a new temporary directory)")
	fs.BoolVar(&c.keep, "keep", false, "keep the brokers' data and logs after the run")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	def := func(p *int, full, quick int) {
		if *p == 0 {
			*p = full
			if c.Quick {
				*p = quick
			}
		}
	}
	def(&c.Rounds, 3, 1)
	def(&c.SmallRecords, 1_000_000, 200_000)
	def(&c.LargeRecords, 200_000, 50_000)
	def(&c.ReadyStarts, 5, 3)
	def(&c.ToolRuns, 20, 10)
	c.E2EWarm, c.E2ESeconds = 1, 8
	c.LimitBytes, c.LimitProbe = 1<<30, 2
	if c.Quick {
		c.E2EWarm, c.E2ESeconds = 0.5, 3
		c.LimitBytes, c.LimitProbe = 256<<20, 1
	}
	c.partitionSteps, c.connectionSteps = partitionSteps[:], connectionSteps[:]
	if *e2eDur > 0 {
		c.E2ESeconds = e2eDur.Seconds()
	}
	for _, v := range []struct {
		name string
		n    int
	}{{"rounds", c.Rounds}, {"records-small", c.SmallRecords}, {"records-large", c.LargeRecords}, {"e2e-rate", c.E2ERate}, {"ready-starts", c.ReadyStarts}} {
		if v.n < 1 {
			return nil, fmt.Errorf("-%s %d: must be at least 1", v.name, v.n)
		}
	}
	if c.Cases != "" {
		re, err := regexp.Compile(c.Cases)
		if err != nil {
			return nil, fmt.Errorf("-cases: %w", err)
		}
		c.caseRE = re
	}
	if c.profBin == "" && c.serverBin != "" {
		// scripts/bench.sh builds the profiling variant beside the broker.
		if p := filepath.Join(filepath.Dir(c.serverBin), "profserver"); fileExists(p) {
			c.profBin = p
		}
	}
	for _, p := range []*string{&c.serverBin, &c.kfakeBin, &c.profBin, &c.toolsDir, &c.refServer} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(abs); err != nil {
			return nil, err
		}
		*p = abs
	}
	if c.out == "" {
		c.out = filepath.Join("bench", "results", "bench-"+time.Now().UTC().Format("20060102-150405")+".json")
	}
	return c, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func (c *config) wants(name string) bool { return c.caseRE == nil || c.caseRE.MatchString(name) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	res, err := suite(ctx, c, logger)
	if res != nil {
		if werr := writeReport(stdout, res); werr != nil && err == nil {
			err = werr
		}
		if werr := writeJSON(c.out, res); werr != nil {
			fmt.Fprintln(stderr, "bench:", werr)
			return 1
		}
		fmt.Fprintf(stderr, "results written to %s\n", c.out)
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	return 0
}
