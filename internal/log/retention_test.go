package log

import (
	"errors"
	"os"
	"testing"
	"time"
)

// buildLog appends n batches of 2 records with ~500-byte segments so that
// each segment holds 2 batches; timestamps start at ts and grow by step.
func buildLog(t *testing.T, dir string, clock *fakeClock, cfg Config, n int, ts, step int64) *Log {
	t.Helper()
	l := openTestLog(t, dir, cfg, clock, Options{})
	for i := 0; i < n; i++ {
		mustAppend(t, l, makeBatch(t, batchSpec{records: 2, valueSize: 100, timestamp: ts + int64(i)*step, keys: true}))
	}
	return l
}

func smallSegments() Config {
	c := testConfig()
	c.SegmentBytes = 600 // two ~300-byte batches per segment
	return c
}

func TestRetention(t *testing.T) {
	const day = int64(24 * time.Hour / time.Millisecond)
	cases := []struct {
		name        string
		cfg         func(*Config)
		hw          int64 // -1: log end
		advance     time.Duration
		wantDeleted int
		wantStart   int64
		wantBases   []int64
	}{
		{name: "nothing to do", hw: -1, wantDeleted: 0, wantStart: 0, wantBases: []int64{0, 4, 8, 12, 16}},
		{name: "retention.bytes", cfg: func(c *Config) { c.RetentionBytes = 1300 }, hw: -1,
			// ~2530 bytes in segments of ~560: dropping two leaves at least 1300
			wantDeleted: 2, wantStart: 8, wantBases: []int64{8, 12, 16}},
		{name: "retention.ms", cfg: func(c *Config) { c.RetentionMs = 5 * day }, hw: -1,
			// batch i is 9-i days old; a segment goes when its newest record is
			// more than 5 days old
			wantDeleted: 2, wantStart: 8, wantBases: []int64{8, 12, 16}},
		{name: "retention.ms as time passes", cfg: func(c *Config) { c.RetentionMs = 5 * day }, hw: -1, advance: 3 * 24 * time.Hour,
			wantDeleted: 3, wantStart: 12, wantBases: []int64{12, 16}},
		{name: "everything expired rolls first", cfg: func(c *Config) { c.RetentionMs = 1 }, hw: -1, advance: 30 * 24 * time.Hour,
			wantDeleted: 5, wantStart: 18, wantBases: []int64{18}},
		{name: "high watermark holds segments", cfg: func(c *Config) { c.RetentionMs = 1 }, hw: 9, advance: 30 * 24 * time.Hour,
			wantDeleted: 2, wantStart: 8, wantBases: []int64{8, 12, 16}},
		{name: "no high watermark, nothing deleted", cfg: func(c *Config) { c.RetentionBytes = 0 }, hw: 0,
			wantDeleted: 0, wantStart: 0, wantBases: []int64{0, 4, 8, 12, 16}},
		{name: "compact policy keeps data", cfg: func(c *Config) { c.RetentionBytes = 0; c.CleanupPolicy = "compact" }, hw: -1,
			wantDeleted: 0, wantStart: 0, wantBases: []int64{0, 4, 8, 12, 16}},
		{name: "unlimited", cfg: func(c *Config) { c.RetentionBytes = -1; c.RetentionMs = -1 }, hw: -1, advance: 1000 * 24 * time.Hour,
			wantDeleted: 0, wantStart: 0, wantBases: []int64{0, 4, 8, 12, 16}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			cfg := smallSegments()
			cfg.RetentionMs = -1
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			dir := t.TempDir()
			start := clock.Now().UnixMilli() - 9*day
			l := buildLog(t, dir, clock, cfg, 9, start, day)
			defer l.Close()
			if got := segmentBases(l); !equalInt64s(got, []int64{0, 4, 8, 12, 16}) {
				t.Fatalf("setup: segments %v", got)
			}
			hw := tc.hw
			if hw < 0 {
				hw = l.LogEndOffset()
			}
			l.SetHighWatermark(hw)
			clock.Advance(tc.advance)
			n, err := l.ApplyRetention(clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.wantDeleted || l.LogStartOffset() != tc.wantStart || !equalInt64s(segmentBases(l), tc.wantBases) {
				t.Fatalf("deleted %d, start %d, segments %v; want %d, %d, %v", n, l.LogStartOffset(), segmentBases(l), tc.wantDeleted, tc.wantStart, tc.wantBases)
			}
			for _, base := range []int64{0, 4, 8, 12, 16} {
				_, err := os.Stat(dir + "/" + fileName(base, logSuffix))
				kept := false
				for _, b := range tc.wantBases {
					kept = kept || b == base
				}
				if kept != (err == nil) {
					t.Errorf("segment %d on disk: %v, want kept=%v", base, err, kept)
				}
			}
			if _, err := l.Read(tc.wantStart-1, 100, l.LogEndOffset(), true); tc.wantStart > 0 && !errors.Is(err, ErrOffsetOutOfRange) {
				t.Errorf("read below the log start: %v", err)
			}
			// Appends continue at the same offsets.
			if res := mustAppend(t, l, makeBatch(t, batchSpec{records: 1, timestamp: clock.Now().UnixMilli(), keys: true})); res.FirstOffset != 18 {
				t.Errorf("next append at %d, want 18", res.FirstOffset)
			}
		})
	}
}

func TestDeleteRecords(t *testing.T) {
	cases := []struct {
		name      string
		hw        int64
		offset    int64
		want      error
		wantStart int64
		wantBases []int64
	}{
		{"inside a segment", 18, 6, nil, 6, []int64{4, 8, 12, 16}},
		{"segment boundary", 18, 8, nil, 8, []int64{8, 12, 16}},
		{"high watermark by -1", 10, -1, nil, 10, []int64{8, 12, 16}},
		{"whole log", 18, 18, nil, 18, []int64{16}},
		{"beyond high watermark", 10, 11, ErrOffsetOutOfRange, 0, []int64{0, 4, 8, 12, 16}},
		{"negative", 18, -5, ErrOffsetOutOfRange, 0, []int64{0, 4, 8, 12, 16}},
		{"not moving back", 18, 0, nil, 0, []int64{0, 4, 8, 12, 16}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			l := buildLog(t, t.TempDir(), clock, smallSegments(), 9, clock.Now().UnixMilli(), 1)
			defer l.Close()
			l.SetHighWatermark(tc.hw)
			got, err := l.DeleteRecordsBefore(tc.offset)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got error %v, want %v", err, tc.want)
			}
			if err == nil && got != tc.wantStart {
				t.Errorf("returned start %d, want %d", got, tc.wantStart)
			}
			if l.LogStartOffset() != tc.wantStart || !equalInt64s(segmentBases(l), tc.wantBases) {
				t.Fatalf("start %d segments %v, want %d %v", l.LogStartOffset(), segmentBases(l), tc.wantStart, tc.wantBases)
			}
			if tc.want != nil {
				return
			}
			// A read at the new start returns the batch holding it.
			if tc.wantStart < l.LogEndOffset() {
				r, err := l.Read(tc.wantStart, 1000, l.LogEndOffset(), true)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := r.Bytes()
				r.Release()
				offs := offsetsIn(b)
				if len(offs) == 0 || offs[0][0] > tc.wantStart || offs[0][1] < tc.wantStart {
					t.Errorf("read at start %d returned %v", tc.wantStart, offs)
				}
			}
			if off, _, _, ok := l.OffsetForTimestamp(EarliestTimestamp); !ok || off != tc.wantStart {
				t.Errorf("earliest offset %d, want %d", off, tc.wantStart)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	cases := []struct {
		name      string
		to        int64
		wantEnd   int64
		wantBases []int64
	}{
		{"within the active segment", 17, 17, []int64{0, 4, 8, 12, 16}},
		{"at a batch boundary", 12, 12, []int64{0, 4, 8, 12}},
		{"into an earlier segment", 9, 9, []int64{0, 4, 8}},
		{"to zero", 0, 0, []int64{0}},
		{"beyond the end does nothing", 50, 18, []int64{0, 4, 8, 12, 16}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			dir := t.TempDir()
			cfg := smallSegments()
			l := openTestLog(t, dir, cfg, clock, Options{})
			now := clock.Now().UnixMilli()
			for i := 0; i < 9; i++ {
				b := makeBatch(t, batchSpec{records: 2, valueSize: 100, timestamp: now, pid: 3, seq: int32(2 * i)})
				if _, err := l.Append(b, AppendInfo{LeaderEpoch: int32(i / 3)}); err != nil {
					t.Fatal(err)
				}
			}
			l.SetHighWatermark(18)
			if err := l.Truncate(tc.to); err != nil {
				t.Fatal(err)
			}
			if l.LogEndOffset() != tc.wantEnd || !equalInt64s(segmentBases(l), tc.wantBases) {
				t.Fatalf("end %d segments %v, want %d %v", l.LogEndOffset(), segmentBases(l), tc.wantEnd, tc.wantBases)
			}
			if l.HighWatermark() > tc.wantEnd {
				t.Errorf("high watermark %d above the end %d", l.HighWatermark(), tc.wantEnd)
			}
			for _, e := range l.LeaderEpochs() {
				if e.StartOffset >= tc.wantEnd && tc.wantEnd < 18 {
					t.Errorf("epoch entry %v starts at or after the truncation point", e)
				}
			}
			// Reading stops at the new end; no batch reaches past it.
			data := readUntilEmpty(t, l, 0)
			if offs := offsetsIn(data); len(offs) > 0 && offs[len(offs)-1][1] >= tc.wantEnd {
				t.Errorf("data past the end: %v", offs)
			}
			// The producer's next sequence follows what is left.
			if tc.wantEnd < 18 {
				next := int32(tc.wantEnd / 2 * 2)
				b := makeBatch(t, batchSpec{records: 1, timestamp: now, pid: 3, seq: next})
				res, err := l.Append(b, AppendInfo{LeaderEpoch: 9})
				if err != nil || res.FirstOffset != tc.wantEnd || res.Duplicate {
					t.Fatalf("append after truncation: %+v, %v", res, err)
				}
			}
			want := readUntilEmpty(t, l, 0)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			// A crash-style rebuild agrees with the truncated log.
			idx := readIndexFiles(t, dir)
			l2 := openTestLog(t, dir, cfg, clock, Options{})
			defer l2.Close()
			if string(readUntilEmpty(t, l2, 0)) != string(want) {
				t.Error("recovered data differs from the truncated log")
			}
			l2.Close()
			if !equalMaps(readIndexFiles(t, dir), idx) {
				t.Error("recovered indexes differ")
			}
		})
	}
}

func TestTruncateFullyAndStartAt(t *testing.T) {
	clock := newClock()
	dir := t.TempDir()
	l := buildLog(t, dir, clock, smallSegments(), 9, clock.Now().UnixMilli(), 1)
	if err := l.TruncateFullyAndStartAt(100); err != nil {
		t.Fatal(err)
	}
	if l.LogStartOffset() != 100 || l.LogEndOffset() != 100 || l.HighWatermark() != 100 || !equalInt64s(segmentBases(l), []int64{100}) {
		t.Fatalf("start %d end %d hw %d segments %v", l.LogStartOffset(), l.LogEndOffset(), l.HighWatermark(), segmentBases(l))
	}
	if len(l.LeaderEpochs()) != 0 {
		t.Errorf("epochs %v, want none", l.LeaderEpochs())
	}
	if res := mustAppend(t, l, makeBatch(t, batchSpec{records: 1})); res.FirstOffset != 100 {
		t.Errorf("next append at %d", res.FirstOffset)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openTestLog(t, dir, smallSegments(), clock, Options{LogStartOffset: 100, CleanShutdown: true})
	defer l.Close()
	if l.LogStartOffset() != 100 || l.LogEndOffset() != 101 {
		t.Errorf("after reopen: start %d end %d", l.LogStartOffset(), l.LogEndOffset())
	}
}

// readUntilEmpty reads from offset until a read returns nothing. After a
// truncation inside a batch the log end can lie past the last batch, as in
// Kafka, so reads stop before the log end.
func readUntilEmpty(t *testing.T, l *Log, from int64) []byte {
	t.Helper()
	var out []byte
	for off := from; off < l.LogEndOffset(); {
		b := readBytes(t, l, off, 1<<20, l.LogEndOffset())
		offs := offsetsIn(b)
		if len(offs) == 0 {
			break
		}
		out = append(out, b...)
		off = offs[len(offs)-1][1] + 1
	}
	return out
}

// TestUsableFrom: UsableFrom follows the log start offset and turns false
// once the log is closed.
func TestUsableFrom(t *testing.T) {
	clock := newClock()
	l := buildLog(t, t.TempDir(), clock, smallSegments(), 9, clock.Now().UnixMilli(), 1)
	l.SetHighWatermark(18)
	if start, ok := l.UsableFrom(); !ok || start != 0 {
		t.Fatalf("UsableFrom = %d, %v; want 0, true", start, ok)
	}
	if _, err := l.DeleteRecordsBefore(6); err != nil {
		t.Fatal(err)
	}
	if start, ok := l.UsableFrom(); !ok || start != 6 {
		t.Fatalf("after DeleteRecords: UsableFrom = %d, %v; want 6, true", start, ok)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := l.UsableFrom(); ok {
		t.Fatal("a closed log is usable")
	}
}
