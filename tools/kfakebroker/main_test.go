package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// lineBuffer collects what run prints and lets a test wait for the first line.
type lineBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lineBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *lineBuffer) firstLine() (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	line, _, ok := strings.Cut(b.buf.String(), "\n")
	return line, ok
}

func TestRunServesAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut lineBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-port", "0", "-data-dir", t.TempDir(), "-partitions", "3"}, &out, &errOut)
	}()

	var addr string
	deadline := time.Now().Add(10 * time.Second)
	for {
		if l, ok := out.firstLine(); ok {
			addr = l
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listen address within 10s; stderr: %s", errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("t"), kgo.AllowAutoTopicCreation(),
		kgo.ConsumeTopics("t"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
	defer rcancel()
	if err := cl.ProduceSync(rctx, &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	fetches := cl.PollFetches(rctx)
	if errs := fetches.Errors(); len(errs) > 0 {
		t.Fatalf("fetch: %v", errs)
	}
	if got := fetches.NumRecords(); got != 1 {
		t.Fatalf("got %d records, want 1", got)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d, want 0; stderr: %s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return within 10s of cancel")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{name: "sync without data dir", args: []string{"-sync"}, want: "-sync needs -data-dir"},
		{name: "port out of range", args: []string{"-port", "70000"}, want: "out of range"},
		{name: "zero partitions", args: []string{"-partitions", "0"}, want: "at least 1"},
		{name: "bad broker config", args: []string{"-broker-config", "x"}, want: "expected key=value"},
		{name: "positional", args: []string{"x"}, want: `unexpected argument "x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errOut bytes.Buffer
			code := run(context.Background(), tc.args, &bytes.Buffer{}, &errOut)
			if code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			if got := errOut.String(); !strings.Contains(got, tc.want) {
				t.Errorf("stderr %q, want it to contain %q", got, tc.want)
			}
		})
	}
}
