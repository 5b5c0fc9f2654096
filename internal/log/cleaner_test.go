package log

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/cli/dumplog"
	"github.com/kafkakit/kafkakit/internal/record"
)

// kvBatch builds a batch of keyed records from specs "key=value" (a
// record with a value) and "key" (a tombstone), timestamps ts, ts+1, ….
func kvBatch(t testing.TB, codec record.Codec, ts int64, specs ...string) []byte {
	t.Helper()
	b := record.NewBuilder(codec)
	for i, s := range specs {
		k, v, hasValue := strings.Cut(s, "=")
		r := record.Record{Timestamp: ts + int64(i), Key: []byte(k)}
		if hasValue {
			r.Value = []byte(v)
		}
		b.Add(r)
	}
	out, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rec is one record as read back from the log.
type rec struct {
	Offset    int64
	Key       string
	Value     string
	Tombstone bool
}

func (r rec) String() string {
	if r.Tombstone {
		return fmt.Sprintf("%d:%s<del>", r.Offset, r.Key)
	}
	return fmt.Sprintf("%d:%s=%s", r.Offset, r.Key, r.Value)
}

// records reads every record of the log from its start with Read and
// decodes it with the record package, checking each batch's CRC.
func records(t testing.TB, l *Log) []rec {
	t.Helper()
	var out []rec
	it := record.NewIterator(readAll(t, l, l.LogStartOffset()))
	for it.Next() {
		e := it.Entry()
		if !e.ValidCRC() {
			t.Fatalf("batch at offset %d has a bad CRC", e.Header.BaseOffset)
		}
		b, _ := e.Batch()
		if b.IsControl() {
			continue
		}
		if err := b.EachRecord(func(r *record.Record) error {
			out = append(out, rec{Offset: r.Offset, Key: string(r.Key), Value: string(r.Value), Tombstone: r.Value == nil})
			return nil
		}); err != nil {
			t.Fatalf("decode batch at %d: %v", b.BaseOffset, err)
		}
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// compacted is what compaction must leave of recs when everything below
// end was cleaned: the last record per key below end (tombstones included
// unless dropTombstones), everything from end on.
func compacted(recs []rec, end int64, dropTombstones bool) []rec {
	last := map[string]int64{}
	for _, r := range recs {
		if r.Offset < end {
			last[r.Key] = r.Offset
		}
	}
	var out []rec
	for _, r := range recs {
		if r.Offset >= end {
			out = append(out, r)
			continue
		}
		if last[r.Key] == r.Offset && !(dropTombstones && r.Tombstone) {
			out = append(out, r)
		}
	}
	return out
}

func compactConfig() Config {
	c := testConfig()
	c.CleanupPolicy = "compact"
	c.SegmentBytes = 300
	c.MinCleanableRatio = 0.01
	c.RetentionMs = -1
	return c
}

// fillCompacted appends rounds of updates to keys k0..k(keys-1), one batch
// per round, then one batch that rolls a new active segment; the high
// watermark follows the log end.
func fillCompacted(t *testing.T, l *Log, clock *fakeClock, rounds, keys int) {
	t.Helper()
	for r := 0; r < rounds; r++ {
		var specs []string
		for k := 0; k < keys; k++ {
			specs = append(specs, fmt.Sprintf("k%d=v%d-%d", k, k, r))
		}
		mustAppend(t, l, kvBatch(t, record.CodecNone, clock.Now().UnixMilli(), specs...))
		clock.Advance(time.Second)
	}
	l.SetHighWatermark(l.LogEndOffset())
}

func rollActive(t *testing.T, l *Log) {
	t.Helper()
	l.mu.Lock()
	err := l.rollLocked(l.logEndOffset, l.config(), l.nowMs())
	l.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
}

func TestCleanKeepsLatestPerKey(t *testing.T) {
	for _, codec := range []record.Codec{record.CodecNone, record.CodecGzip, record.CodecSnappy, record.CodecLZ4, record.CodecZstd} {
		t.Run(codec.String(), func(t *testing.T) {
			clock := newClock()
			l := openTestLog(t, t.TempDir(), compactConfig(), clock, Options{})
			defer l.Close()
			for r := 0; r < 12; r++ {
				mustAppend(t, l, kvBatch(t, codec, clock.Now().UnixMilli(),
					fmt.Sprintf("k%d=a%d", r%4, r), fmt.Sprintf("k%d=b%d", (r+1)%4, r), fmt.Sprintf("x%d=once", r)))
				clock.Advance(time.Second)
			}
			l.SetHighWatermark(l.LogEndOffset())
			before := records(t, l)
			leo := l.LogEndOffset()
			activeBase := l.active().base
			if len(l.Segments()) < 4 {
				t.Fatalf("setup: %d segments, want several", len(l.Segments()))
			}

			st, err := l.Clean(clock.Now())
			if err != nil {
				t.Fatalf("Clean: %v", err)
			}
			if !st.Cleaned || st.EndOffset != activeBase {
				t.Fatalf("Clean: got cleaned %v end %d, want cleaned up to the active segment %d (%+v)", st.Cleaned, st.EndOffset, activeBase, st)
			}
			got := records(t, l)
			want := compacted(before, activeBase, false)
			if !slices.Equal(got, want) {
				t.Fatalf("after cleaning:\n got %v\nwant %v", got, want)
			}
			if l.LogEndOffset() != leo {
				t.Errorf("log end offset: got %d, want %d", l.LogEndOffset(), leo)
			}
			if st.RecordsWritten >= st.RecordsRead || st.BytesWritten >= st.BytesRead {
				t.Errorf("stats: read %d records/%d bytes, wrote %d/%d; want fewer written", st.RecordsRead, st.BytesRead, st.RecordsWritten, st.BytesWritten)
			}
			checkSegmentsValid(t, l)
			codecs := batchCodecs(t, l)
			for _, c := range codecs {
				if c != codec {
					t.Fatalf("cleaned batches use codecs %v, want %v (the original codec)", codecs, codec)
				}
			}

			// Reopened after a crash with everything to re-validate, the log
			// reads the same.
			dir := l.Dir()
			l.closeFiles()
			l2 := openTestLog(t, dir, compactConfig(), clock, Options{})
			defer l2.Close()
			l2.SetHighWatermark(l2.LogEndOffset())
			if got := records(t, l2); !slices.Equal(got, want) {
				t.Fatalf("after recovery:\n got %v\nwant %v", got, want)
			}
		})
	}
}

func batchCodecs(t *testing.T, l *Log) []record.Codec {
	var out []record.Codec
	it := record.NewIterator(readAll(t, l, l.LogStartOffset()))
	for it.Next() {
		out = append(out, it.Entry().Header.Codec())
	}
	return out
}

// checkSegmentsValid checks every inactive segment's files: the offset and
// time indexes equal those recovery rebuilds, each offset index entry
// points at the start of the batch ending at its offset, and our
// kafka-dump-log reads the segment and its indexes without reporting a
// problem.
func checkSegmentsValid(t *testing.T, l *Log) {
	t.Helper()
	cfg := l.Config()
	l.mu.RLock()
	segs := slices.Clone(l.segments[:len(l.segments)-1])
	l.mu.RUnlock()
	for _, s := range segs {
		logData, err := os.ReadFile(s.path(logSuffix))
		if err != nil {
			t.Fatal(err)
		}
		idx, _ := os.ReadFile(s.path(indexSuffix))
		tidx, _ := os.ReadFile(s.path(timeIndexSuffix))
		entries, used, err := DecodeOffsetIndex(idx, s.base)
		if err != nil || used != len(idx) {
			t.Fatalf("%s: decode: used %d of %d bytes, err %v", s.path(indexSuffix), used, len(idx), err)
		}
		for _, e := range entries {
			h, err := record.ParseHeader(logData[e.Position:])
			if err != nil || h.LastOffset() != e.Offset {
				t.Fatalf("%s: entry %+v does not point at the batch ending at its offset (%v, %v)", s.path(indexSuffix), e, h.LastOffset(), err)
			}
		}
		if _, used, err := DecodeTimeIndex(tidx, s.base); err != nil || used != len(tidx) {
			t.Fatalf("%s: decode: used %d of %d bytes, err %v", s.path(timeIndexSuffix), used, len(tidx), err)
		}
		// Rebuild both indexes as recovery does and compare.
		rs := newSegmentStruct(t.TempDir(), s.base, nil, 0, 0)
		f, err := os.Open(s.path(logSuffix))
		if err != nil {
			t.Fatal(err)
		}
		rs.file = newSegFile(f)
		rs.size = int64(len(logData))
		var obuf, tbuf []byte
		var lastIndexPos int64
		maxTs, maxOff := int64(-1), int64(-1)
		sc := newScanner(f, 0, rs.size, false, 64<<10)
		for sc.next() {
			if sc.cur.maxTimestamp > maxTs {
				maxTs, maxOff = sc.cur.maxTimestamp, sc.cur.lastOffset
			}
			if sc.cur.pos-lastIndexPos > int64(cfg.IndexIntervalBytes) {
				obuf = appendOffsetEntry(obuf, sc.cur.lastOffset-s.base, sc.cur.pos)
				tbuf = appendTimeEntryIfLater(tbuf, maxTs, maxOff-s.base)
				lastIndexPos = sc.cur.pos
			}
		}
		if sc.pos != rs.size {
			t.Fatalf("%s: whole batches end at %d of %d bytes", s.path(logSuffix), sc.pos, rs.size)
		}
		if maxTs >= 0 {
			tbuf = appendTimeEntryIfLater(tbuf, maxTs, maxOff-s.base)
		}
		rs.file.release()
		if !bytes.Equal(obuf, idx) || !bytes.Equal(tbuf, tidx) {
			t.Fatalf("segment %d: indexes differ from those recovery builds:\n index %x\n  want %x\n time  %x\n  want %x", s.base, idx, obuf, tidx, tbuf)
		}

		var stdout, stderr bytes.Buffer
		files := s.path(logSuffix) + "," + s.path(indexSuffix) + "," + s.path(timeIndexSuffix)
		code := dumplog.Main(context.Background(), []string{"--files", files, "--deep-iteration"},
			cli.IOStreams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr})
		if code != 0 {
			t.Fatalf("kafka-dump-log exit %d: %s", code, stderr.String())
		}
		for _, bad := range []string{"Mismatches", "timestamp mismatch", "not found in the log", "invalid bytes", "out of order", "corrupt"} {
			if strings.Contains(stdout.String()+stderr.String(), bad) {
				t.Fatalf("kafka-dump-log reports %q for segment %d:\n%s\n%s", bad, s.base, stdout.String(), stderr.String())
			}
		}
	}
}

// appendKV appends one batch of specs at the clock's time, advances the
// clock a second and moves the high watermark to the log end.
func appendKV(t *testing.T, l *Log, clock *fakeClock, specs ...string) AppendResult {
	t.Helper()
	res := mustAppend(t, l, kvBatch(t, record.CodecNone, clock.Now().UnixMilli(), specs...))
	clock.Advance(time.Second)
	l.SetHighWatermark(l.LogEndOffset())
	return res
}

func mustClean(t *testing.T, l *Log, now time.Time) CleanStats {
	t.Helper()
	st, err := l.Clean(now)
	if err != nil {
		t.Fatalf("Clean: %v", err)
	}
	return st
}

// TestCleanTombstones follows KIP-534 as Kafka 3.9 does: the first pass
// that keeps a tombstone stamps its batch with a delete horizon (now +
// delete.retention.ms); later passes keep it until the horizon has passed,
// then drop it.
func TestCleanTombstones(t *testing.T) {
	clock := newClock()
	cfg := compactConfig()
	cfg.DeleteRetentionMs = int64(time.Hour / time.Millisecond)
	l := openTestLog(t, t.TempDir(), cfg, clock, Options{})
	defer l.Close()
	appendKV(t, l, clock, "a=1", "b=1", "c=1")
	appendKV(t, l, clock, "a=2", "b")
	rollActive(t, l)
	appendKV(t, l, clock, "d=1")

	first := clock.Now()
	st := mustClean(t, l, first)
	if !st.Cleaned {
		t.Fatalf("first pass did not clean: %+v", st)
	}
	want := []rec{{Offset: 2, Key: "c", Value: "1"}, {Offset: 3, Key: "a", Value: "2"}, {Offset: 4, Key: "b", Tombstone: true}, {Offset: 5, Key: "d", Value: "1"}}
	if got := records(t, l); !slices.Equal(got, want) {
		t.Fatalf("after the first pass:\n got %v\nwant %v", got, want)
	}
	horizon := first.UnixMilli() + cfg.DeleteRetentionMs
	if got := deleteHorizons(t, l); !slices.Equal(got, []int64{-1, horizon, -1}) {
		t.Fatalf("delete horizons: got %v, want %v (only the batch with the tombstone gets one)", got, []int64{-1, horizon, -1})
	}

	// More dirty data, cleaned before the horizon: the tombstone stays and
	// its batch keeps the horizon set by the first pass.
	appendKV(t, l, clock, "e=1")
	rollActive(t, l)
	appendKV(t, l, clock, "f=1")
	if st := mustClean(t, l, time.UnixMilli(horizon-1)); !st.Cleaned {
		t.Fatalf("second pass did not clean: %+v", st)
	}
	if got := records(t, l); !slices.ContainsFunc(got, func(r rec) bool { return r.Key == "b" && r.Tombstone }) {
		t.Fatalf("tombstone removed before its delete horizon: %v", got)
	}
	if got := deleteHorizons(t, l); !slices.Contains(got, horizon) {
		t.Fatalf("delete horizon %d lost: %v", horizon, got)
	}

	// Once the horizon has passed, the next pass drops it.
	appendKV(t, l, clock, "g=1")
	rollActive(t, l)
	appendKV(t, l, clock, "h=1")
	if st := mustClean(t, l, time.UnixMilli(horizon)); !st.Cleaned {
		t.Fatalf("third pass did not clean: %+v", st)
	}
	got := records(t, l)
	if slices.ContainsFunc(got, func(r rec) bool { return r.Key == "b" }) {
		t.Fatalf("tombstone kept past its delete horizon: %v", got)
	}
	for _, k := range []string{"a", "c", "d", "e", "f", "g", "h"} {
		if !slices.ContainsFunc(got, func(r rec) bool { return r.Key == k }) {
			t.Fatalf("key %s lost: %v", k, got)
		}
	}
	checkSegmentsValid(t, l)
}

// deleteHorizons lists each batch's delete horizon, -1 for none.
func deleteHorizons(t *testing.T, l *Log) []int64 {
	t.Helper()
	var out []int64
	it := record.NewIterator(readAll(t, l, l.LogStartOffset()))
	for it.Next() {
		dh, ok := it.Entry().Header.DeleteHorizonMs()
		if !ok {
			dh = -1
		}
		out = append(out, dh)
	}
	return out
}

func TestCleanEligibility(t *testing.T) {
	const minute = int64(time.Minute / time.Millisecond)
	cases := []struct {
		name        string
		cfg         func(*Config)
		wantCleaned bool
		wantNow     bool
		wantEnd     int64 // first offset not cleaned
	}{
		{name: "dirty ratio above the minimum", cfg: func(c *Config) { c.MinCleanableRatio = 0.5 }, wantCleaned: true, wantEnd: 12},
		{name: "dirty ratio at most the minimum", cfg: func(c *Config) { c.MinCleanableRatio = 1 }, wantCleaned: false, wantEnd: 0},
		{name: "max.compaction.lag.ms overrides the ratio", cfg: func(c *Config) { c.MinCleanableRatio = 1; c.MaxCompactionLagMs = 5 * minute },
			wantCleaned: true, wantNow: true, wantEnd: 12},
		{name: "max.compaction.lag.ms not reached", cfg: func(c *Config) { c.MinCleanableRatio = 1; c.MaxCompactionLagMs = 60 * minute },
			wantCleaned: false, wantEnd: 0},
		{name: "min.compaction.lag.ms holds back recent segments", cfg: func(c *Config) { c.MinCompactionLagMs = 7 * minute },
			// segments' newest records are 11, 8, 5 and 2 minutes old
			wantCleaned: true, wantEnd: 6},
		{name: "min.compaction.lag.ms holds back everything", cfg: func(c *Config) { c.MinCompactionLagMs = 12 * minute },
			wantCleaned: false, wantEnd: 0},
		{name: "delete policy is never compacted", cfg: func(c *Config) { c.CleanupPolicy = "delete" }, wantCleaned: false, wantEnd: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			cfg := compactConfig()
			cfg.SegmentBytes = 1 << 20
			l := openTestLog(t, t.TempDir(), cfg, clock, Options{})
			defer l.Close()
			// Four segments of three records, one every minute, then an
			// active segment.
			for i := 0; i < 12; i++ {
				appendKV(t, l, clock, fmt.Sprintf("k%d=%d", i%2, i))
				clock.Advance(time.Minute - time.Second)
				if i%3 == 2 {
					rollActive(t, l)
				}
			}
			clock.Advance(time.Minute) // newest segment's records are ~2 minutes old
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			if err := l.SetConfig(cfg); err != nil {
				t.Fatal(err)
			}
			before := records(t, l)
			st := mustClean(t, l, clock.Now())
			if st.Cleaned != tc.wantCleaned || st.NeedCompactionNow != tc.wantNow {
				t.Fatalf("got cleaned %v (now %v), want %v (now %v); %+v", st.Cleaned, st.NeedCompactionNow, tc.wantCleaned, tc.wantNow, st)
			}
			if tc.wantCleaned && st.EndOffset != tc.wantEnd {
				t.Fatalf("end offset: got %d, want %d", st.EndOffset, tc.wantEnd)
			}
			want := before
			if tc.wantCleaned {
				want = compacted(before, tc.wantEnd, false)
			}
			if got := records(t, l); !slices.Equal(got, want) {
				t.Fatalf("records:\n got %v\nwant %v", got, want)
			}
			ratio, _ := l.CleanableRatio(clock.Now())
			if tc.wantCleaned && tc.wantEnd == 12 && ratio != 0 {
				t.Errorf("cleanable ratio after a full pass: got %v, want 0", ratio)
			}
		})
	}
}

// TestCompactDeleteRetention checks both policies of compact,delete: the
// cleaner compacts and time retention still deletes old segments, while
// compact alone never deletes by time or size.
func TestCompactDeleteRetention(t *testing.T) {
	for _, policy := range []string{"compact", "compact,delete"} {
		t.Run(policy, func(t *testing.T) {
			clock := newClock()
			cfg := compactConfig()
			cfg.CleanupPolicy = policy
			cfg.RetentionMs = int64(time.Hour / time.Millisecond)
			cfg.RetentionBytes = 1
			l := openTestLog(t, t.TempDir(), cfg, clock, Options{})
			defer l.Close()
			fillCompacted(t, l, clock, 8, 3)
			rollActive(t, l)
			appendKV(t, l, clock, "k0=last")
			if st := mustClean(t, l, clock.Now()); !st.Cleaned {
				t.Fatalf("not cleaned: %+v", st)
			}
			clock.Advance(2 * time.Hour)
			n, err := l.ApplyRetention(clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if policy == "compact" && (n != 0 || l.LogStartOffset() != 0) {
				t.Fatalf("compact: retention deleted %d segments, log start %d", n, l.LogStartOffset())
			}
			if policy == "compact,delete" && (n == 0 || l.LogStartOffset() == 0) {
				t.Fatalf("compact,delete: retention deleted %d segments, log start %d", n, l.LogStartOffset())
			}
		})
	}
}

// TestCleanKeepsProducerState checks that the batch holding an active
// idempotent producer's last sequence survives, emptied, when its records
// are superseded, so that its sequence is still known after the log is
// rebuilt from disk.
func TestCleanKeepsProducerState(t *testing.T) {
	clock := newClock()
	cfg := compactConfig()
	dir := t.TempDir()
	l := openTestLog(t, dir, cfg, clock, Options{})
	idem := func(seq int32, specs ...string) []byte {
		b := record.NewBuilder(record.CodecNone)
		b.ProducerID, b.ProducerEpoch, b.BaseSequence = 7, 0, seq
		for _, s := range specs {
			k, v, _ := strings.Cut(s, "=")
			b.Add(record.Record{Timestamp: clock.Now().UnixMilli(), Key: []byte(k), Value: []byte(v)})
		}
		out, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	mustAppend(t, l, idem(0, "a=1", "b=1"))
	last := mustAppend(t, l, idem(2, "a=2", "b=2"))
	appendKV(t, l, clock, "a=3", "b=3")
	rollActive(t, l)
	appendKV(t, l, clock, "c=1")
	mustClean(t, l, clock.Now())

	var empty *record.Header
	it := record.NewIterator(readAll(t, l, 0))
	for it.Next() {
		h := it.Entry().Header
		if h.ProducerID == 7 {
			if h.BaseOffset != last.FirstOffset || h.LastOffset() != last.LastOffset || h.NumRecords != 0 || it.Entry().Size() != record.HeaderSize {
				t.Fatalf("producer batch after cleaning: %+v (%d bytes), want an empty batch over [%d, %d]", h, it.Entry().Size(), last.FirstOffset, last.LastOffset)
			}
			if h.BaseSequence != 2 || h.LastSequence() != 3 {
				t.Fatalf("producer batch sequences: got [%d, %d], want [2, 3]", h.BaseSequence, h.LastSequence())
			}
			empty = &h
		}
	}
	if empty == nil {
		t.Fatal("the batch with the producer's last sequence was removed")
	}
	checkSegmentsValid(t, l)

	// Rebuilt from the log alone, producer state still has sequence 3:
	// a retry of the last batch is a duplicate and sequence 4 follows.
	l.closeFiles()
	for _, f := range mustGlob(t, filepath.Join(dir, "*.snapshot")) {
		os.Remove(f)
	}
	l = openTestLog(t, dir, cfg, clock, Options{})
	defer l.Close()
	if ps, ok := l.ProducerState(7); !ok || ps.LastSequence != 3 {
		t.Fatalf("producer state after reload: %+v %v, want last sequence 3", ps, ok)
	}
	if res := mustAppend(t, l, idem(2, "a=2", "b=2")); !res.Duplicate {
		t.Fatalf("retry of the last batch: %+v, want a duplicate", res)
	}
	mustAppend(t, l, idem(4, "a=4"))
}

func mustGlob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCleanGroupsSegments checks that small segments are merged into one
// when their total fits segment.bytes, and that the cleaner-offset
// checkpoint is honoured: a second pass only maps what is new.
func TestCleanGroupsSegments(t *testing.T) {
	clock := newClock()
	cfg := compactConfig()
	l := openTestLog(t, t.TempDir(), cfg, clock, Options{})
	defer l.Close()
	fillCompacted(t, l, clock, 10, 2)
	rollActive(t, l)
	appendKV(t, l, clock, "z=1")
	n := len(l.Segments())
	before := records(t, l)
	cfg.SegmentBytes = 1 << 20
	if err := l.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
	st := mustClean(t, l, clock.Now())
	if got := len(l.Segments()); got != 2 || st.SegmentsWritten != 1 || st.SegmentsRead != n-1 {
		t.Fatalf("segments: %d before, %d after (read %d, wrote %d); want the %d inactive ones merged into one", n, got, st.SegmentsRead, st.SegmentsWritten, n-1)
	}
	end := l.active().base
	if got, want := records(t, l), compacted(before, end, false); !slices.Equal(got, want) {
		t.Fatalf("records:\n got %v\nwant %v", got, want)
	}
	checkSegmentsValid(t, l)

	appendKV(t, l, clock, "k0=new")
	rollActive(t, l)
	appendKV(t, l, clock, "y=1")
	st = mustClean(t, l, clock.Now())
	if st.FirstDirtyOffset != end || st.KeysMapped != 2 {
		t.Fatalf("second pass: first dirty %d, keys %d; want %d and 2 (z, k0)", st.FirstDirtyOffset, st.KeysMapped, end)
	}
}

// TestCleanSmallOffsetMap bounds the offset map so that one pass cannot
// map the whole dirty part: each pass cleans up to where the map filled
// and the next one carries on from its checkpoint.
func TestCleanSmallOffsetMap(t *testing.T) {
	clock := newClock()
	l := openTestLog(t, t.TempDir(), compactConfig(), clock, Options{})
	defer l.Close()
	for i := 0; i < 40; i++ {
		appendKV(t, l, clock, fmt.Sprintf("key-%02d=%d", i%20, i))
	}
	rollActive(t, l)
	appendKV(t, l, clock, "last=1")
	before := records(t, l)
	end := l.active().base
	budget := int64(5 * (6 + mapEntryOverhead)) // about five keys
	passes := 0
	for {
		st, err := l.clean(context.Background(), clock.Now(), budget)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Cleaned {
			break
		}
		passes++
		if st.EndOffset >= end {
			break
		}
		if st.EndOffset <= st.FirstDirtyOffset {
			t.Fatalf("pass %d made no progress: %+v", passes, st)
		}
		if passes > 50 {
			t.Fatal("too many passes")
		}
	}
	if passes < 2 {
		t.Fatalf("%d passes; the small map should have needed several", passes)
	}
	if got, want := records(t, l), compacted(before, end, false); !slices.Equal(got, want) {
		t.Fatalf("records after %d passes:\n got %v\nwant %v", passes, got, want)
	}
}

var errSimulatedCrash = errors.New("simulated crash")

// compactionFixture builds a compacted log whose inactive segments are
// merged into one by the next pass (segment.bytes is raised after they
// were written), so that a swap replaces several segments.
func compactionFixture(t *testing.T, dir string, clock *fakeClock) (*Log, []rec, []rec) {
	t.Helper()
	cfg := compactConfig()
	l := openTestLog(t, dir, cfg, clock, Options{})
	fillCompacted(t, l, clock, 8, 3)
	appendKV(t, l, clock, "k1")
	rollActive(t, l)
	appendKV(t, l, clock, "k0=active")
	cfg.SegmentBytes = 1 << 20
	if err := l.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
	before := records(t, l)
	return l, before, compacted(before, l.active().base, false)
}

// TestCleanCrashDuringSwap stops the swap protocol before each of its
// steps, as a crash would, and reopens the log: load must undo the swap
// (while .cleaned files remain) or complete it (once every file is .swap),
// never lose or duplicate a record, and leave no temporary file behind.
func TestCleanCrashDuringSwap(t *testing.T) {
	cases := []struct {
		step       string
		occurrence int
		completed  bool
	}{
		{stepCleaned, 1, false},
		{stepSwapLog, 1, false},
		{stepSwapIndex, 1, false},
		{stepSwapTimeIndex, 1, false},
		{stepDeleteOld, 1, true},
		{stepDeleteOld, 2, true},
		{stepFinalLog, 1, true},
		{stepFinalIndex, 1, true},
		{stepFinalTimeIdx, 1, true},
	}
	for _, tc := range cases {
		for _, recovery := range []string{"recovery point at the end", "full recovery"} {
			t.Run(fmt.Sprintf("%s #%d with %s", tc.step, tc.occurrence, recovery), func(t *testing.T) {
				clock := newClock()
				dir := t.TempDir()
				l, before, after := compactionFixture(t, dir, clock)
				seen := 0
				l.cleanHook = func(step string) error {
					if step == tc.step {
						if seen++; seen == tc.occurrence {
							return errSimulatedCrash
						}
					}
					return nil
				}
				if _, err := l.Clean(clock.Now()); !errors.Is(err, errSimulatedCrash) {
					t.Fatalf("Clean: got %v, want the simulated crash", err)
				}
				leo := l.LogEndOffset()
				l.closeFiles()

				opts := Options{HighWatermark: leo}
				if recovery == "recovery point at the end" {
					opts.RecoveryPoint = leo
				}
				l2 := openTestLog(t, dir, compactConfig(), clock, opts)
				defer l2.Close()
				want := before
				if tc.completed {
					want = after
				}
				if got := records(t, l2); !slices.Equal(got, want) {
					t.Fatalf("after reload:\n got %v\nwant %v", got, want)
				}
				if l2.LogEndOffset() != leo {
					t.Fatalf("log end offset: got %d, want %d", l2.LogEndOffset(), leo)
				}
				if left := append(mustGlob(t, filepath.Join(dir, "*.cleaned")), mustGlob(t, filepath.Join(dir, "*.swap"))...); len(left) > 0 {
					t.Fatalf("files left: %v", left)
				}
				checkSegmentsValid(t, l2)
				// The log cleans normally afterwards.
				if _, err := l2.Clean(clock.Now()); err != nil {
					t.Fatal(err)
				}
				if got := records(t, l2); !slices.Equal(got, after) {
					t.Fatalf("after cleaning again:\n got %v\nwant %v", got, after)
				}
			})
		}
	}
}

// TestLoadSwapLeftovers checks load's handling of files a crashed swap can
// leave, built by hand: a .swap file at or above a .cleaned one is from an
// unfinished swap and goes, as do .cleaned and .deleted files.
func TestLoadSwapLeftovers(t *testing.T) {
	clock := newClock()
	dir := t.TempDir()
	l, before, _ := compactionFixture(t, dir, clock)
	segs := l.Segments()
	l.Close()
	// An unfinished swap of the second segment: its .log already .swap,
	// its index still .cleaned, holding a truncated copy.
	second := segs[1]
	data, err := os.ReadFile(second.Path)
	if err != nil {
		t.Fatal(err)
	}
	stem := strings.TrimSuffix(second.Path, logSuffix)
	os.WriteFile(stem+logSuffix+swapSuffix, data[:len(data)/2], 0o644)
	os.WriteFile(stem+indexSuffix+cleanedSuffix, nil, 0o644)
	os.WriteFile(stem+timeIndexSuffix+deletedSuffix, nil, 0o644)
	l2 := openTestLog(t, dir, compactConfig(), clock, Options{RecoveryPoint: 0, HighWatermark: 1 << 40})
	defer l2.Close()
	if got := records(t, l2); !slices.Equal(got, before) {
		t.Fatalf("after reload:\n got %v\nwant %v", got, before)
	}
	if left := mustGlob(t, filepath.Join(dir, "*.*.*")); len(left) > 0 {
		t.Fatalf("files left: %v", left)
	}
}

// TestCleanAborts checks that a pass gives up, leaving the log as it was
// and no file behind, when the log is truncated, loses segments to
// retention, or the caller cancels, while the cleaned segment is written.
func TestCleanAborts(t *testing.T) {
	cases := []struct {
		name   string
		during func(l *Log, cancel context.CancelFunc) error
	}{
		{name: "truncation", during: func(l *Log, _ context.CancelFunc) error { return l.Truncate(l.LogEndOffset() - 1) }},
		{name: "delete records", during: func(l *Log, _ context.CancelFunc) error {
			_, err := l.DeleteRecordsBefore(l.Segments()[1].BaseOffset)
			return err
		}},
		{name: "cancel", during: func(_ *Log, cancel context.CancelFunc) error { cancel(); return nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			dir := t.TempDir()
			l, _, _ := compactionFixture(t, dir, clock)
			defer l.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			l.cleanHook = func(step string) error {
				if step == stepCleaned {
					return tc.during(l, cancel)
				}
				return nil
			}
			want := records(t, l)
			st, err := l.clean(ctx, clock.Now(), 0)
			if err != nil || !st.Aborted {
				t.Fatalf("clean: got %+v, %v; want an aborted pass", st, err)
			}
			l.cleanHook = nil
			// What the concurrent change itself did is not the point;
			// compare with the log re-read, and check nothing was lost by
			// the cleaner.
			got := records(t, l)
			for _, r := range want {
				if r.Offset >= l.LogStartOffset() && r.Offset < l.LogEndOffset() && !slices.Contains(got, r) {
					t.Fatalf("record %v lost", r)
				}
			}
			if left := mustGlob(t, filepath.Join(dir, "*.cleaned")); len(left) > 0 {
				t.Fatalf("files left: %v", left)
			}
			if l.cleanerOffset > 0 {
				t.Fatalf("checkpoint moved to %d by an aborted pass", l.cleanerOffset)
			}
		})
	}
}

func activeBase(l *Log) int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.active().base
}

// TestManagerCleaner runs the background cleaner: it compacts the dirtier
// of two compacted logs first, leaves a delete-policy log alone, records
// its progress in cleaner-offset-checkpoint, and a restart resumes from
// there.
func TestManagerCleaner(t *testing.T) {
	root := t.TempDir()
	clock := newClock()
	opts := ManagerOptions{NodeID: 1, Now: clock.Now, Cleaner: CleanerConfig{Enable: true, BackoffMs: 5}}
	m := openTestManager(t, []string{root}, opts)
	fill := func(topic string, policy string, rounds int) *Log {
		cfg := compactConfig()
		cfg.CleanupPolicy = policy
		l, err := m.GetOrCreate(topic, 0, NewUUID(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		fillCompacted(t, l, clock, rounds, 3)
		rollActive(t, l)
		appendKV(t, l, clock, "tail=1")
		return l
	}
	a := fill("a", "compact", 6)
	b := fill("b", "compact,delete", 12)
	c := fill("c", "delete", 6)

	// One pass by hand, then the background cleaner does the rest; the
	// delete-policy log is never touched.
	if !m.CleanDirtiest(context.Background(), 0) {
		t.Fatal("CleanDirtiest found nothing to clean")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		m.RunBackground(ctx, 0, 0)
		close(done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	aEnd, bEnd := activeBase(a), activeBase(b)
	for a.CleanerOffset() != aEnd || b.CleanerOffset() != bEnd {
		if time.Now().After(deadline) {
			t.Fatalf("cleaner did not clean both logs: a at %d of %d, b at %d of %d", a.CleanerOffset(), aEnd, b.CleanerOffset(), bEnd)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if c.CleanerOffset() != -1 {
		t.Fatalf("delete-policy log cleaned up to %d", c.CleanerOffset())
	}
	ck, err := ReadOffsetCheckpoint(filepath.Join(root, CleanerCheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	want := map[TopicPartition]int64{{"a", 0}: a.CleanerOffset(), {"b", 0}: b.CleanerOffset()}
	if len(ck) != 2 || ck[TopicPartition{"a", 0}] != want[TopicPartition{"a", 0}] || ck[TopicPartition{"b", 0}] != want[TopicPartition{"b", 0}] {
		t.Fatalf("cleaner-offset-checkpoint %v, want %v", ck, want)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	m = openTestManager(t, []string{root}, opts)
	defer m.Close()
	a2, _ := m.Get("a", 0)
	if a2.CleanerOffset() != want[TopicPartition{"a", 0}] {
		t.Fatalf("cleaner offset after restart %d, want %d", a2.CleanerOffset(), want[TopicPartition{"a", 0}])
	}
	if m.CleanDirtiest(context.Background(), 0) {
		t.Fatal("a restart cleaned again what was clean")
	}
}

// TestCleanConcurrent cleans a log again and again while it is appended
// to, read from start to end, and retention runs (run with -race): every
// read sees whole, valid batches and the latest value of each key.
func TestCleanConcurrent(t *testing.T) {
	clock := newClock()
	cfg := compactConfig()
	cfg.CleanupPolicy = "compact,delete"
	cfg.SegmentBytes = 4096
	cfg.RetentionBytes = 40000
	cfg.MinCleanableRatio = 0
	l := openTestLog(t, t.TempDir(), cfg, clock, Options{})
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	passes := 0
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	wg.Add(3)
	go func() { // writer
		defer wg.Done()
		for i := 0; ctx.Err() == nil && i < 3000; i++ {
			b := kvBatch(t, record.CodecLZ4, clock.Now().UnixMilli(), fmt.Sprintf("k%d=%d", i%7, i), fmt.Sprintf("u%d=%d", i, i))
			if _, err := l.Append(b, AppendInfo{}); err != nil {
				errs <- err
				return
			}
			l.SetHighWatermark(l.LogEndOffset())
		}
	}()
	go func() { // cleaner and retention
		defer wg.Done()
		for ctx.Err() == nil {
			st, err := l.Clean(clock.Now())
			if err != nil {
				errs <- err
				return
			}
			if st.SegmentsWritten > 0 {
				passes++
			}
			if _, err := l.ApplyRetention(clock.Now()); err != nil {
				errs <- err
				return
			}
		}
	}()
	go func() { // reader
		defer wg.Done()
		for ctx.Err() == nil {
			off := l.LogStartOffset()
			end := l.HighWatermark()
			for off < end {
				r, err := l.Read(off, 64<<10, end, true)
				if errors.Is(err, ErrOffsetOutOfRange) {
					break // retention moved the start
				}
				if err != nil {
					errs <- err
					return
				}
				data, err := r.Bytes()
				r.Release()
				if err != nil {
					errs <- err
					return
				}
				it := record.NewIterator(data)
				n := 0
				for it.Next() {
					if !it.Entry().ValidCRC() {
						errs <- fmt.Errorf("bad CRC at offset %d", it.Entry().Header.BaseOffset)
						return
					}
					off = it.Entry().LastOffset() + 1
					n++
				}
				if n == 0 {
					break
				}
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if passes == 0 {
		t.Fatal("no cleaning pass swapped a segment in")
	}
	mustClean(t, l, clock.Now())
	got := records(t, l)
	seen := map[string]bool{}
	for _, r := range got {
		if r.Offset < l.CleanerOffset() && seen[r.Key] {
			t.Fatalf("key %s appears twice in the cleaned part: %v", r.Key, got)
		}
		seen[r.Key] = true
	}
	checkSegmentsValid(t, l)
}

// TestCleanCorruptSegment checks that a pass over a segment with a corrupt
// batch fails with ErrCorruptMessage and leaves the files as they were:
// the cleaner never gives corrupt records a fresh CRC.
func TestCleanCorruptSegment(t *testing.T) {
	clock := newClock()
	dir := t.TempDir()
	l, _, _ := compactionFixture(t, dir, clock)
	defer l.Close()
	first := l.Segments()[0].Path
	data, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-3] ^= 0xff // inside the last record of the last batch
	if err := os.WriteFile(first, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Clean(clock.Now()); !errors.Is(err, ErrCorruptMessage) {
		t.Fatalf("Clean: got %v, want ErrCorruptMessage", err)
	}
	if got, _ := os.ReadFile(first); !bytes.Equal(got, data) {
		t.Fatal("the corrupt segment was rewritten")
	}
	if left := mustGlob(t, filepath.Join(dir, "*.cleaned")); len(left) > 0 {
		t.Fatalf("files left: %v", left)
	}
}

// TestBadCleanerCheckpoint checks that an unreadable
// cleaner-offset-checkpoint only costs cleaning progress.
func TestBadCleanerCheckpoint(t *testing.T) {
	root := t.TempDir()
	m := openTestManager(t, []string{root}, ManagerOptions{NodeID: 1})
	l, err := m.GetOrCreate("t", 0, [16]byte{}, compactConfig())
	if err != nil {
		t.Fatal(err)
	}
	appendKV(t, l, newClock(), "a=1")
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, CleanerCheckpointFile), []byte("0\n7\nnot a checkpoint\n"), 0o644)
	m = openTestManager(t, []string{root}, ManagerOptions{NodeID: 1})
	defer m.Close()
	if l, ok := m.Get("t", 0); !ok || l.CleanerOffset() != -1 {
		t.Fatalf("log loaded %v", ok)
	}
}
