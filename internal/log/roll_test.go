package log

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kafkakit/kafkakit/internal/record"
)

func segmentBases(l *Log) []int64 {
	var out []int64
	for _, s := range l.Segments() {
		out = append(out, s.BaseOffset)
	}
	return out
}

func equalInt64s(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRoll(t *testing.T) {
	const hour = int64(time.Hour / time.Millisecond)
	cases := []struct {
		name    string
		cfg     func(*Config)
		batches []batchSpec
		advance time.Duration // clock advance before each append
		want    []int64       // segment base offsets afterwards
	}{
		{
			name: "segment.bytes",
			cfg:  func(c *Config) { c.SegmentBytes = 1000 },
			// each batch is 61 + 3*(~110) ≈ 400 bytes: two fit, the third rolls
			batches: repeatSpec(batchSpec{records: 3, valueSize: 100}, 6),
			want:    []int64{0, 6, 12},
		},
		{
			name: "segment.ms by record time",
			cfg:  func(c *Config) { c.SegmentMs = hour },
			batches: []batchSpec{
				{records: 1, timestamp: 0}, {records: 1, timestamp: hour / 2}, {records: 1, timestamp: hour},
				{records: 1, timestamp: hour + 1}, {records: 1, timestamp: 2 * hour}, {records: 1, timestamp: 2*hour + 2},
			},
			want: []int64{0, 3, 5},
		},
		{
			name:    "segment.ms by wall clock without timestamps",
			cfg:     func(c *Config) { c.SegmentMs = 1000 },
			batches: repeatSpec(batchSpec{records: 1, timestamp: -1}, 4),
			advance: 600 * time.Millisecond,
			// the segment created at open is 1200 ms old at the second append
			want: []int64{0, 1, 3},
		},
		{
			name:    "full time index",
			cfg:     func(c *Config) { c.SegmentIndexBytes = 36; c.IndexIntervalBytes = 0 },
			batches: increasing(batchSpec{records: 1, valueSize: 10}, 7),
			// a 36-byte index holds 4 offset and 3 time entries; the time index
			// keeps its last slot for the roll, so 2 entries (3 batches) fill it
			want: []int64{0, 3, 6},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			cfg := testConfig()
			cfg.MessageTimestampBeforeMaxMs, cfg.MessageTimestampAfterMaxMs = math.MaxInt64, math.MaxInt64
			tc.cfg(&cfg)
			dir := t.TempDir()
			l := openTestLog(t, dir, cfg, clock, Options{})
			defer l.Close()
			for _, s := range tc.batches {
				clock.Advance(tc.advance)
				mustAppend(t, l, makeBatch(t, s))
			}
			if got := segmentBases(l); !equalInt64s(got, tc.want) {
				t.Fatalf("segments %v, want %v", got, tc.want)
			}
			// Every roll leaves a producer snapshot named after the new
			// segment and trimmed indexes on the old one.
			for i, base := range tc.want[1:] {
				if _, err := os.Stat(snapshotPath(dir, base)); err != nil {
					t.Errorf("no producer snapshot at roll %d: %v", base, err)
				}
				old := tc.want[i]
				for _, suf := range []string{indexSuffix, timeIndexSuffix} {
					st, err := os.Stat(filepath.Join(dir, fileName(old, suf)))
					if err != nil || st.Size() >= int64(cfg.SegmentIndexBytes) && st.Size() > 0 && cfg.SegmentIndexBytes > 36 {
						t.Errorf("index %d%s not trimmed: %v %v", old, suf, st.Size(), err)
					}
				}
			}
			// Whatever was rolled, a rebuild from the .log files gives the same
			// log and the same indexes.
			before := readAll(t, l, 0)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			idx := readIndexFiles(t, dir)
			l2 := openTestLog(t, dir, cfg, clock, Options{})
			if string(readAll(t, l2, 0)) != string(before) {
				t.Error("data differs after recovery")
			}
			l2.Close()
			if got := readIndexFiles(t, dir); !equalMaps(got, idx) {
				t.Error("recovered indexes differ from the appended ones")
			}
		})
	}
}

func repeatSpec(s batchSpec, n int) []batchSpec {
	out := make([]batchSpec, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func increasing(s batchSpec, n int) []batchSpec {
	out := make([]batchSpec, n)
	for i := range out {
		out[i] = s
		out[i].timestamp = int64(1000 * (i + 1))
	}
	return out
}

func readIndexFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if n := e.Name(); filepath.Ext(n) == indexSuffix || filepath.Ext(n) == timeIndexSuffix {
			b, _ := os.ReadFile(filepath.Join(dir, n))
			out[n] = string(b)
		}
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestRollOnOffsetOverflow: a replicated batch whose offsets cannot be
// stored relative to the active segment's base starts a new segment.
func TestRollOnOffsetOverflow(t *testing.T) {
	l := openTestLog(t, t.TempDir(), testConfig(), nil, Options{})
	defer l.Close()
	b := makeBatch(t, batchSpec{records: 1})
	if _, err := l.Append(b, AppendInfo{Replicated: true}); err != nil {
		t.Fatal(err)
	}
	far := int64(math.MaxInt32) + 10
	b = makeBatch(t, batchSpec{records: 2})
	record.SetBaseOffset(b, far)
	if _, err := l.Append(b, AppendInfo{Replicated: true}); err != nil {
		t.Fatal(err)
	}
	if got := segmentBases(l); !equalInt64s(got, []int64{0, far}) {
		t.Fatalf("segments %v, want [0 %d]", got, far)
	}
	if l.LogEndOffset() != far+2 {
		t.Fatalf("log end %d", l.LogEndOffset())
	}
	// Below the log end a replicated append is refused.
	b = makeBatch(t, batchSpec{records: 1})
	record.SetBaseOffset(b, 5)
	if _, err := l.Append(b, AppendInfo{Replicated: true}); err == nil {
		t.Fatal("replicated append below the log end succeeded")
	}
}

func TestRecordListTooLarge(t *testing.T) {
	cfg := testConfig()
	cfg.SegmentBytes = 500
	l := openTestLog(t, t.TempDir(), cfg, nil, Options{})
	defer l.Close()
	_, err := l.Append(makeBatch(t, batchSpec{records: 1, valueSize: 600}), AppendInfo{})
	if err == nil || !errorsIs(err, ErrRecordListTooLarge) {
		t.Fatalf("got %v, want ErrRecordListTooLarge", err)
	}
}
