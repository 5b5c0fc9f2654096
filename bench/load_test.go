package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPayloadFill(t *testing.T) {
	p := newPayload(1)
	for _, size := range []int{0, 3, 8, 9, 100, 1024, 1 << 20, 3<<20 + 5} {
		v := make([]byte, size)
		p.fill(v, 12345)
		if size >= 8 {
			if got := binary.BigEndian.Uint64(v); got != 12345 {
				t.Errorf("size %d: sequence %d, want 12345", size, got)
			}
			for i, c := range v[8:] {
				if c < 'A' || c > 'Z' {
					t.Fatalf("size %d: byte %d is %q, want a capital letter", size, 8+i, c)
				}
			}
		}
	}
}

func TestVerifier(t *testing.T) {
	val := func(seq uint64) []byte {
		b := make([]byte, 8)
		binary.BigEndian.PutUint64(b, seq)
		return b
	}
	type rec struct {
		p   int32
		seq uint64
	}
	for _, tc := range []struct {
		name    string
		recs    []rec
		wantErr bool
	}{
		{name: "in order across partitions", recs: []rec{{0, 0}, {1, 1}, {0, 2}, {1, 3}}},
		{name: "partitions interleave freely", recs: []rec{{1, 3}, {0, 0}, {1, 4}, {0, 1}}},
		{name: "duplicate", recs: []rec{{0, 0}, {1, 0}}, wantErr: true},
		{name: "reordered in a partition", recs: []rec{{0, 2}, {0, 1}}, wantErr: true},
		{name: "out of range", recs: []rec{{0, 5}}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(5)
			var err error
			for _, r := range tc.recs {
				if err = v.add(r.p, val(r.seq)); err != nil {
					break
				}
			}
			if (err != nil) != tc.wantErr {
				t.Errorf("got error %v, want error: %v", err, tc.wantErr)
			}
		})
	}
	if err := newVerifier(1).add(0, []byte{1}); err == nil {
		t.Error("a 1-byte value: got no error, want one")
	}
	v := newVerifier(1)
	if err := v.add(0, nil); err != nil || v.count != 0 {
		t.Errorf("a warm-up record (no value): error %v, count %d; want it skipped", err, v.count)
	}
}

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 1000; i++ {
		s = append(s, time.Duration(i))
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500}, {0.99, 990}, {0.999, 999}, {1, 1000}, {0, 1}} {
		if got := percentile(s, tc.q); got != tc.want {
			t.Errorf("percentile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile of nothing = %v, want 0", got)
	}
}

func TestParseStat(t *testing.T) {
	// A command name with spaces and a parenthesis, utime 250 and stime
	// 50 ticks.
	stat := "1234 (kafka (x) srv) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0 100 2000000 3000 18446744073709551615\n"
	got, err := parseStatCPU([]byte(stat))
	if err != nil {
		t.Fatal(err)
	}
	if want := 3 * time.Second; got != want {
		t.Errorf("cpu %v, want %v", got, want)
	}
	for _, bad := range []string{"", "1 (x) S 1 2", "1 (x) S 1 2 3 4 5 6 7 8 9 10 x 5 6"} {
		if _, err := parseStatCPU([]byte(bad)); err == nil {
			t.Errorf("parseStatCPU(%q): got no error, want one", bad)
		}
	}
}

func TestParseStatusMem(t *testing.T) {
	status := "Name:\tkafka-server\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t12\n"
	rss, peak, err := parseStatusMem([]byte(status))
	if err != nil {
		t.Fatal(err)
	}
	if rss != 100<<20 || peak != 200<<20 {
		t.Errorf("rss %d peak %d, want %d and %d", rss, peak, 100<<20, 200<<20)
	}
	if _, _, err := parseStatusMem([]byte("VmRSS:\t1 kB\n")); err == nil {
		t.Error("status without VmHWM: got no error, want one")
	}
}

func TestTopicBytes(t *testing.T) {
	dir := t.TempDir()
	files := map[string]int{
		"t-0/00000000000000000000.log":            100,
		"t-1/00000000000000000000.index":          10,
		"partitions/t-2/00000000000000000000.dat": 5,
		"t-x-0/00000000000000000000.log":          1000, // topic "t-x"
		"t-/a":                                    1000,
		"other-0/00000000000000000000.log":        1000,
	}
	for name, size := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Allocated space is at least the bytes written, in whole blocks, and
	// leaves the other topics out.
	if got := topicBytes(dir, "t"); got < 115 || got > 3*64*1024 {
		t.Errorf("topicBytes = %d, want the blocks of 115 bytes in 3 files", got)
	}
	sparse := filepath.Join(dir, "s-0", "00000000000000000000.index")
	if err := os.MkdirAll(filepath.Dir(sparse), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(10 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := topicBytes(dir, "s"); got >= 10<<20 {
		t.Errorf("a sparse 10 MiB index counts %d bytes, want its allocated blocks only", got)
	}
}

// FuzzParseStat checks that no /proc/<pid>/stat content makes the parser
// panic, and that what it accepts is a non-negative duration.
func FuzzParseStat(f *testing.F) {
	valid := "1234 (kafka-server) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0 100 2000000 3000 18446744073709551615"
	for _, s := range []string{"", valid[:20], valid, valid + " garbage )(", "1 ()) S 1 2 3 4 5 6 7 8 9 10 11 18446744073709551615 1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if d, err := parseStatCPU(data); err == nil && d < 0 {
			t.Fatalf("negative CPU time %v", d)
		}
	})
}

// FuzzParseStatusMem checks that no /proc/<pid>/status content makes the
// parser panic.
func FuzzParseStatusMem(f *testing.F) {
	valid := "Name:\tkafka-server\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n"
	for _, s := range []string{"", valid[:25], valid, valid + "VmRSS:\tx kB\n\x00", "VmRSS: 1 MB\nVmHWM: 2 kB\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = parseStatusMem(data)
	})
}
