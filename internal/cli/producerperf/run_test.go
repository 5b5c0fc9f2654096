package producerperf

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"
	"time"
)

func TestSplitPayloads(t *testing.T) {
	for _, tc := range []struct {
		name, in, delim string
		want            []string
	}{
		{name: "lines", in: "a\nb\nc\n", delim: "\n", want: []string{"a", "b", "c"}},
		{name: "empty middle kept", in: "a\n\nb", delim: "\n", want: []string{"a", "", "b"}},
		{name: "leading empty kept", in: "\na", delim: "\n", want: []string{"", "a"}},
		{name: "trailing empties dropped", in: "a,b,,,", delim: ",", want: []string{"a", "b"}},
		{name: "regex", in: "a1b22c", delim: `\d+`, want: []string{"a", "b", "c"}},
		{name: "no delimiter", in: "abc", delim: ",", want: []string{"abc"}},
		{name: "only delimiters", in: ",,,", delim: ",", want: nil},
		{name: "empty match splits characters", in: "abc", delim: "", want: []string{"a", "b", "c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splitPayloads(tc.in, tc.delim)
			if err != nil {
				t.Fatal(err)
			}
			var gs []string
			for _, g := range got {
				gs = append(gs, string(g))
			}
			if strings.Join(gs, "|") != strings.Join(tc.want, "|") || len(gs) != len(tc.want) {
				t.Errorf("split %q at %q = %q, want %q", tc.in, tc.delim, gs, tc.want)
			}
		})
	}
	if _, err := splitPayloads("a", "("); err == nil {
		t.Error("bad regexp: got no error, want one")
	}
}

// FuzzSplitPayloads checks that splitting never panics and loses no
// bytes other than delimiters.
func FuzzSplitPayloads(f *testing.F) {
	for _, s := range [][2]string{{"", "\n"}, {"a\nb", "\n"}, {"a,,b,,", ",+"}, {"abc", ""}, {"a\nb\n\x00\xff", "[\n\x00]"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, in, delim string) {
		parts, err := splitPayloads(in, delim)
		if err != nil {
			return
		}
		n := 0
		for _, p := range parts {
			n += len(p)
		}
		if n > len(in) {
			t.Fatalf("%d payload bytes from %d input bytes", n, len(in))
		}
	})
}

func TestReadProps(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props []string
		want  string // "k=v,..." or the error
	}{
		{name: "pairs", props: []string{"a=1", "b=2"}, want: "a=1,b=2,client.id=perf-producer-client"},
		{name: "client id kept", props: []string{"client.id=me"}, want: "client.id=me"},
		{name: "empty key", props: []string{"=x"}, want: "=x,client.id=perf-producer-client"},
		{name: "no value", props: []string{"a="}, want: "Invalid property: a="},
		{name: "two equals", props: []string{"a=b=c"}, want: "Invalid property: a=b=c"},
		{name: "no equals", props: []string{"a"}, want: "Invalid property: a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &Options{ProducerProps: tc.props}
			p, err := o.readProps()
			var got string
			if err != nil {
				got = err.Error()
			} else {
				var kv []string
				for _, k := range p.Keys() {
					v, _ := p.Get(k)
					kv = append(kv, k+"="+v)
				}
				got = strings.Join(kv, ",")
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStatsLines(t *testing.T) {
	var out bytes.Buffer
	s := newStats(10, 0, 5000, &out)
	for i := range 9 {
		s.record(int32(i+1), 100, int64(100*i))
	}
	if out.Len() != 0 {
		t.Fatalf("window line before 5 s: %q", out.String())
	}
	s.record(10, 100, 5000)
	want := "10 records sent, 2.0 records/sec (0.00 MB/sec), 5.5 ms avg latency, 10.0 ms max latency.\n"
	if got := out.String(); got != want {
		t.Errorf("window line %q, want %q", got, want)
	}
	out.Reset()
	s.printTotal(8000)
	want = "10 records sent, 1.250000 records/sec (0.00 MB/sec), 5.50 ms avg latency, 10.00 ms max latency, 6 ms 50th, 10 ms 95th, 10 ms 99th, 10 ms 99.9th.\n"
	if got := out.String(); got != want {
		t.Errorf("total line %q, want %q", got, want)
	}
}

func TestStatsSampling(t *testing.T) {
	// Above 500,000 records only every sampling-th latency is kept.
	s := newStats(1_000_000, 0, 5000, &bytes.Buffer{})
	if s.sampling != 2 || len(s.latencies) != 500_001 {
		t.Fatalf("sampling %d, %d slots; want 2 and 500001", s.sampling, len(s.latencies))
	}
	for i := range 1000 {
		s.record(int32(i%2), 1, 0) // the kept ones are all 0
	}
	if tot := s.totals(1000); tot.Percentiles[3] != 0 || tot.MaxLatency != 1 {
		t.Errorf("totals %+v: want 99.9th 0 (sampled) and max 1 (all)", tot)
	}
}

func TestStatsNothingSent(t *testing.T) {
	var out bytes.Buffer
	newStats(5, 0, 5000, &out).printTotal(0)
	want := "0 records sent, NaN records/sec (NaN MB/sec), NaN ms avg latency, 0.00 ms max latency, 0 ms 50th, 0 ms 95th, 0 ms 99th, 0 ms 99.9th.\n"
	if got := out.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestThrottler(t *testing.T) {
	clk := clock{base: time.Now()}
	th := newThrottler(-1, clk)
	if th.shouldThrottle(1e9, 1) {
		t.Error("-1 throttles")
	}
	th = newThrottler(1000, clk)
	if th.shouldThrottle(10, 0) {
		t.Error("throttles before any time passed")
	}
	if !th.shouldThrottle(2000, 1000) || th.shouldThrottle(999, 1000) {
		t.Error("want throttling above 1000/s only")
	}
	start := time.Now()
	for range 20 { // 20 records at 1000/s owe 20 ms of sleep
		if err := th.throttle(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 15*time.Millisecond {
		t.Errorf("slept %v for 20 records at 1000/s, want about 20ms", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := newThrottler(0, clk).throttle(ctx); err == nil {
		t.Error("a zero target returned without its context ending")
	}
	if !newThrottler(math.NaN(), clk).unthrottled {
		t.Error("NaN target throttles")
	}
}

func TestGenerator(t *testing.T) {
	g := newGenerator(&Options{RecordSize: 100}, nil)
	a, b := g.next(0), g.next(1)
	if len(a) != 100 || len(b) != 100 || cap(a) != 100 {
		t.Fatalf("sizes %d %d cap %d, want 100", len(a), len(b), cap(a))
	}
	for _, c := range a {
		if c < 'A' || c > 'Z' {
			t.Fatalf("byte %q is not a capital letter", c)
		}
	}
	if got := string(newGenerator(&Options{PayloadMonotonic: true}, nil).next(42)); got != "42" {
		t.Errorf("monotonic payload %q, want 42", got)
	}
	p := newGenerator(&Options{}, [][]byte{[]byte("x")}).next(5)
	if string(p) != "x" {
		t.Errorf("file payload %q, want x", p)
	}
}
