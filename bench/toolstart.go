package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// toolStart is the start-up time of one tool invocation: exec to exit,
// which for --version and --help is all start-up.
type toolStart struct {
	Command  string    `json:"command"`
	Runs     int       `json:"runs"`
	MedianMs float64   `json:"median_ms"`
	MinMs    float64   `json:"min_ms"`
	MaxMs    float64   `json:"max_ms"`
	AllMs    []float64 `json:"all_ms"`
}

// startupCommands are the invocations measured: kafka-topics as every
// script uses it, and the perf tools.
var startupCommands = [][]string{
	{"kafka-topics", "--version"},
	{"kafka-topics", "--help"},
	{"kafka-producer-perf-test", "--version"},
	{"kafka-consumer-perf-test", "--version"},
}

// measureToolStarts runs each command runs times from dir, after one
// unmeasured run that brings the binary into the page cache.
func measureToolStarts(dir string, runs int) ([]toolStart, error) {
	var out []toolStart
	for _, c := range startupCommands {
		bin := filepath.Join(dir, c[0])
		ts := toolStart{Command: strings.Join(c, " "), Runs: runs}
		var samples []time.Duration
		for i := range runs + 1 {
			cmd := exec.Command(bin, c[1:]...)
			t0 := time.Now()
			err := cmd.Run()
			d := time.Since(t0)
			// --help exits 1, as Kafka's tools do; anything that did not
			// run at all is an error.
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				return out, fmt.Errorf("%s: %w", ts.Command, err)
			}
			if i > 0 {
				samples = append(samples, d)
			}
		}
		sortDurations(samples)
		ts.MedianMs = ms(percentile(samples, 0.5))
		ts.MinMs, ts.MaxMs = ms(samples[0]), ms(samples[len(samples)-1])
		for _, s := range samples {
			ts.AllMs = append(ts.AllMs, round2(ms(s)))
		}
		out = append(out, ts)
	}
	return out, nil
}

// toolCreate is the wall time of a whole `kafka-topics --create` against
// one local broker: exec, connect, CreateTopics, wait for the answer, exit.
type toolCreate struct {
	Broker   string    `json:"broker"`
	Runs     int       `json:"runs"`
	MedianMs float64   `json:"median_ms"`
	MinMs    float64   `json:"min_ms"`
	MaxMs    float64   `json:"max_ms"`
	AllMs    []float64 `json:"all_ms"`
}

// measureTopicCreates runs `kafka-topics --create` (6 partitions, RF 1)
// runs times against each broker, alternating brokers, each run creating a
// new topic, after one unmeasured run per broker; the topics are deleted
// afterwards. Every run must exit 0.
func measureTopicCreates(ctx context.Context, dir string, runs int, brokers []*broker, admins []*admin) ([]toolCreate, error) {
	bin := filepath.Join(dir, "kafka-topics")
	samples := make([][]time.Duration, len(brokers))
	var created [][]string
	created = make([][]string, len(brokers))
	defer func() {
		for i, a := range admins {
			for _, t := range created[i] {
				_ = a.deleteTopic(ctx, t)
			}
		}
	}()
	for i := range runs + 1 {
		for j := range brokers {
			k := (i + j) % len(brokers)
			b := brokers[k]
			topic := fmt.Sprintf("bench-tool-create-%s-%d", b.Spec.Name, i)
			cmd := exec.CommandContext(ctx, bin, "--bootstrap-server", b.Addr, "--create", "--topic", topic,
				"--partitions", "6", "--replication-factor", "1")
			t0 := time.Now()
			out, err := cmd.CombinedOutput()
			d := time.Since(t0)
			if err != nil {
				return nil, fmt.Errorf("kafka-topics --create against %s: %w: %s", b.Spec.Name, err, strings.TrimSpace(string(out)))
			}
			created[k] = append(created[k], topic)
			if i > 0 {
				samples[k] = append(samples[k], d)
			}
		}
	}
	var res []toolCreate
	for k, b := range brokers {
		s := samples[k]
		sortDurations(s)
		tc := toolCreate{Broker: b.Spec.Name, Runs: runs, MedianMs: ms(percentile(s, 0.5)),
			MinMs: ms(s[0]), MaxMs: ms(s[len(s)-1])}
		for _, x := range s {
			tc.AllMs = append(tc.AllMs, round2(ms(x)))
		}
		res = append(res, tc)
	}
	return res, nil
}
