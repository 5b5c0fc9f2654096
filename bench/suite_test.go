package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafkakit/kafkakit/internal/testbroker"
)

// TestSuiteSmoke runs a miniature suite end to end: both brokers built
// from this checkout and started as processes, one small case of each kind,
// the report and the JSON file.
func TestSuiteSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs both brokers")
	}
	bin := t.TempDir()
	cmds, err := testbroker.BuildCommands(bin, "kafka-server", "kafka-topics", "kafka-producer-perf-test", "kafka-consumer-perf-test")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "../tools/kfakebroker", "./profserver").CombinedOutput(); err != nil {
		t.Fatalf("build kfakebroker and profserver: %v\n%s", err, out)
	}
	out := filepath.Join(t.TempDir(), "r.json")
	c, err := parseFlags([]string{"-server", cmds["kafka-server"], "-kfake", filepath.Join(bin, "kfakebroker"), "-tools", bin,
		"-rounds", "1", "-records-small", "3000", "-records-large", "500", "-e2e-rate", "1000", "-e2e-duration", "500ms",
		"-ready-starts", "1", "-tool-runs", "2",
		"-cases", "^100B acks=all none p6$|^e2e p1$|^cluster 100B p6$|^scale|^kafka-topics create$", "-data", t.TempDir(), "-out", out}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.profBin != filepath.Join(bin, "profserver") {
		t.Errorf("profserver beside kafka-server not found: %q", c.profBin)
	}
	c.LimitBytes, c.LimitProbe = 4<<20, 0.1
	c.partitionSteps, c.connectionSteps = []int{1, 30}, []int{5, 20}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := suite(ctx, c, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	if err != nil {
		t.Fatalf("suite: %v", err)
	}
	var report bytes.Buffer
	if err := writeReport(&report, res); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(out, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| 100B acks=all none p6 | rec/s", "| e2e p1 p99.9", "ready time",
		"3-node cluster (kafka-server", "| 100B p6 |", "| partitions  |", "| connections |",
		"kafka-topics --create", "targets of the performance issue", "| produce, 100B acks=all none p6"} {
		if !strings.Contains(report.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, report.String())
		}
	}
	if len(res.Cases) != 1 || len(res.Cases[0].Runs) != 2 || len(res.E2E) != 1 || len(res.E2E[0].Runs) != 2 {
		t.Fatalf("got %d cases and %d e2e cases, want one of each run on both brokers", len(res.Cases), len(res.E2E))
	}
	for _, r := range res.Cases[0].Runs {
		if r.ProduceRecPerSec <= 0 || r.ConsumeRecPerSec <= 0 || r.DataBytes <= 0 {
			t.Errorf("%s run: %+v", r.Broker, r)
		}
	}
	if cf := res.Cluster3; cf == nil || len(cf.Runs) != 1 || cf.Runs[0].Ratio <= 0 {
		t.Errorf("3-node cluster: %+v", cf)
	}
	for _, b := range []string{"ours", "kfake"} {
		for _, want := range []struct {
			series string
			n      int
		}{{"partitions", 0}, {"partitions", 30}, {"connections", 0}, {"connections", 20}} {
			p := res.Scale.point(b, want.series, want.n)
			if p == nil || p.RSS <= 0 || p.Goroutines <= 0 || p.Threads <= 0 {
				t.Errorf("%s %s %d: %+v", b, want.series, want.n, p)
			}
		}
		if g, at := res.Scale.point(b, "connections", 0), res.Scale.point(b, "connections", 20); g != nil && at != nil && at.Goroutines <= g.Goroutines {
			t.Errorf("%s: %d goroutines with 20 connections, %d with none", b, at.Goroutines, g.Goroutines)
		}
	}
	if len(res.ToolCreate) != 2 || res.ToolCreate[0].MedianMs <= 0 {
		t.Errorf("kafka-topics --create: %+v", res.ToolCreate)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var back results
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("results JSON: %v", err)
	}
	if len(back.Rows) == 0 || back.Limits == nil || len(back.Targets) == 0 {
		t.Errorf("JSON without summary, limits or targets")
	}
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{name: "missing profserver", args: []string{"-profserver", "/nonexistent/profserver"}, want: "no such file"},
		{name: "bad regexp", args: []string{"-cases", "("}, want: "-cases"},
		{name: "zero rounds", args: []string{"-rounds", "-1"}, want: "-rounds -1: must be at least 1"},
		{name: "positional", args: []string{"x"}, want: `unexpected argument "x"`},
		{name: "missing binary", args: []string{"-server", "/nonexistent/kafka-server"}, want: "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseFlags(tc.args, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	c, err := parseFlags([]string{"-quick", "-server", os.Args[0], "-kfake", os.Args[0]}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Rounds != 1 || c.SmallRecords != 200_000 || c.E2ESeconds != 3 || !strings.HasPrefix(c.out, filepath.Join("bench", "results")) {
		t.Errorf("quick defaults: %+v", c)
	}
}
