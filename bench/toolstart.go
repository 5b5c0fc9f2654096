package main

import (
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
