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
	server, err := testbroker.BuildServer(bin)
	if err != nil {
		t.Fatal(err)
	}
	kfake := filepath.Join(bin, "kfakebroker")
	if out, err := exec.Command("go", "build", "-o", kfake, "../tools/kfakebroker").CombinedOutput(); err != nil {
		t.Fatalf("build kfakebroker: %v\n%s", err, out)
	}
	out := filepath.Join(t.TempDir(), "r.json")
	c, err := parseFlags([]string{"-server", server, "-kfake", kfake, "-rounds", "1",
		"-records-small", "3000", "-records-large", "500", "-e2e-rate", "1000", "-e2e-duration", "500ms",
		"-ready-starts", "1", "-cases", "^100B acks=all none p6$|^e2e p1$", "-data", t.TempDir(), "-out", out}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	c.LimitBytes, c.LimitProbe = 4<<20, 0.1
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
	for _, want := range []string{"| 100B acks=all none p6 | rec/s", "| e2e p1 p99.9", "ready time", "3-node cluster: skipped"} {
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
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var back results
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("results JSON: %v", err)
	}
	if len(back.Rows) == 0 || back.Limits == nil {
		t.Errorf("JSON without summary or limits")
	}
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{name: "profserver without profile", args: []string{"-profserver", "x"}, want: "-profserver needs -profile"},
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
