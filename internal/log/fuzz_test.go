package log

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kafkakit/kafkakit/internal/record"
)

// seedWith adds the standard seeds for a decoder: empty, each valid input,
// each truncated by one byte and by half, and each with garbage appended.
func seedWith(f *testing.F, valid ...[]byte) {
	f.Add([]byte{})
	for _, v := range valid {
		f.Add(v)
		if len(v) > 0 {
			f.Add(v[:len(v)-1])
			f.Add(v[:len(v)/2])
		}
		f.Add(append(append([]byte{}, v...), 0xde, 0xad, 0xbe, 0xef, '\n', 'x'))
	}
}

func FuzzDecodeOffsetCheckpoint(f *testing.F) {
	seedWith(f,
		readFixture(f, "kraft-broker-ldi-poc/recovery-point-offset-checkpoint"),
		readFixture(f, "kraft-broker-ronem123/cleaner-offset-checkpoint"),
		[]byte("0\n0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeOffsetCheckpoint(b)
		if err != nil {
			return
		}
		back, err := DecodeOffsetCheckpoint(EncodeOffsetCheckpoint(m))
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("round trip of %v: got %v, %v", m, back, err)
		}
	})
}

func FuzzDecodeEpochCheckpoint(f *testing.F) {
	seedWith(f,
		readFixture(f, "kraft-broker-ronem123/__cluster_metadata-0/leader-epoch-checkpoint"),
		[]byte("0\n3\n0 0\n2 10\n5 300\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEpochCheckpoint(b)
		if err != nil {
			return
		}
		back, err := DecodeEpochCheckpoint(EncodeEpochCheckpoint(e))
		if err != nil || !reflect.DeepEqual(back, e) {
			t.Fatalf("round trip of %v: got %v, %v", e, back, err)
		}
		// Loading such a file into a cache never breaks monotonicity.
		c := &epochCache{}
		for _, x := range e {
			if x.Epoch >= 0 && x.StartOffset >= 0 {
				c.insert(x)
			}
		}
		for i := 1; i < len(c.entries); i++ {
			if c.entries[i].Epoch <= c.entries[i-1].Epoch || c.entries[i].StartOffset <= c.entries[i-1].StartOffset {
				t.Fatalf("cache not monotonic: %v", c.entries)
			}
		}
	})
}

func FuzzDecodeOffsetIndex(f *testing.F) {
	seedWith(f,
		readFixture(f, "kraft-broker-ldi-poc/__consumer_offsets-6/00000000000000000000.index"),
		readFixture(f, "kraft-broker-ronem123/__cluster_metadata-0/00000000000001725413.index"))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, used, _ := DecodeOffsetIndex(b, 1000)
		if used > len(b) || used != len(entries)*offsetEntrySize {
			t.Fatalf("used %d of %d bytes for %d entries", used, len(b), len(entries))
		}
		var enc []byte
		for i, e := range entries {
			if i > 0 && (e.Offset <= entries[i-1].Offset || e.Position <= entries[i-1].Position) {
				t.Fatalf("entries not increasing: %v", entries)
			}
			enc = appendOffsetEntry(enc, e.Offset-1000, int64(e.Position))
		}
		if !bytes.Equal(enc, b[:used]) {
			t.Fatalf("re-encoding differs")
		}
	})
}

func FuzzDecodeTimeIndex(f *testing.F) {
	seedWith(f,
		readFixture(f, "kraft-broker-ldi-poc/__consumer_offsets-6/00000000000000000000.timeindex"),
		readFixture(f, "zk-broker-vitormoschetti/ECOMMERCE_NEW_ORDER-1/00000000000000000047.timeindex"))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, used, _ := DecodeTimeIndex(b, 0)
		if used > len(b) || used != len(entries)*timeEntrySize {
			t.Fatalf("used %d of %d bytes for %d entries", used, len(b), len(entries))
		}
		var enc []byte
		for _, e := range entries {
			enc = appendTimeEntryIfLater(enc, e.Timestamp, e.Offset)
		}
		if !bytes.Equal(enc, b[:used]) {
			t.Fatalf("re-encoding differs")
		}
	})
}

func FuzzDecodeProducerSnapshot(f *testing.F) {
	seedWith(f,
		readFixture(f, "kraft-broker-ldi-poc/__consumer_offsets-6/00000000000000000013.snapshot"),
		EncodeProducerSnapshot([]ProducerSnapshotEntry{{ProducerID: 3, Epoch: 1, LastSequence: 9, LastOffset: 40, OffsetDelta: 2, Timestamp: 5, CoordinatorEpoch: -1, CurrentTxnFirstOffset: -1}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := DecodeProducerSnapshot(b)
		if err != nil {
			return
		}
		if enc := EncodeProducerSnapshot(entries); !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding differs")
		}
		// Loading it into producer state never panics.
		p := newProducerStateManager()
		p.loadSnapshot(entries, 100, 0, 1)
		p.snapshotEntries()
	})
}

func FuzzDecodePartitionMetadata(f *testing.F) {
	seedWith(f, readFixture(f, "kraft-broker-ldi-poc/TestTopicPatient-0/partition.metadata"))
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := DecodePartitionMetadata(b)
		if err != nil {
			return
		}
		back, err := DecodePartitionMetadata(EncodePartitionMetadata(id))
		if err != nil || back != id {
			t.Fatalf("round trip: got %v, %v", back, err)
		}
	})
}

func FuzzDecodeMetaProperties(f *testing.F) {
	seedWith(f,
		readFixture(f, "kraft-broker-ldi-poc/meta.properties"),
		readFixture(f, "zk-broker-volodymyrzee/meta.properties"),
		[]byte("version=1\nnode.id=3\ncluster.id=a\\:b\nextra.key = x\\\n  y\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMetaProperties(b)
		if err != nil {
			return
		}
		if !utf8.ValidString(m.ClusterID) {
			return
		}
		for k, v := range m.Extra {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return
			}
		}
		back, err := DecodeMetaProperties(EncodeMetaProperties(m, time.Unix(0, 0)))
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("round trip of %+v: got %+v, %v", m, back, err)
		}
	})
}

// FuzzRecoverSegment writes arbitrary bytes as a segment and opens the log
// after an unclean shutdown: recovery must not fail or panic, must leave
// only whole valid batches, and a clean reopen must agree with it.
func FuzzRecoverSegment(f *testing.F) {
	seedWith(f,
		readFixture(f, "kraft-broker-ldi-poc/TestTopicPatient-0/00000000000000000000.log"),
		readFixture(f, "zk-broker-volodymyrzee/__consumer_offsets-17/00000000000000000000.log"),
		readFixture(f, "codecrafters-tester/kafka-gleam/00000000000000000000.log"))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "00000000000000000000.log"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig()
		cfg.IndexIntervalBytes = 64
		cfg.SegmentIndexBytes = 1024
		l, err := Open(dir, "f", 0, cfg, Options{})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		leo := l.LogEndOffset()
		size := l.Size()
		if size > int64(len(b)) {
			t.Fatalf("size %d grew beyond %d", size, len(b))
		}
		if leo > 0 {
			r, err := l.Read(0, int32(size), leo, true)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			got, err := r.Bytes()
			r.Release()
			if err != nil || !bytes.Equal(got, b[:len(got)]) {
				t.Fatalf("read back differs from the input prefix (%v)", err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		l2, err := Open(dir, "f", 0, cfg, Options{CleanShutdown: true})
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer l2.Close()
		if l2.LogEndOffset() != leo || l2.Size() != size {
			t.Fatalf("clean reopen: log end %d size %d, want %d %d", l2.LogEndOffset(), l2.Size(), leo, size)
		}
	})
}

// FuzzCleanSegment writes arbitrary bytes as the first segment of a
// compacted log (recovery keeps its valid prefix), adds an active segment
// and cleans: the pass must not panic, must keep the log end offset, must
// leave what compaction defines when the records decode, and must leave a
// log that recovers to the same state. Swap leftovers are fuzzed too: the
// same bytes as an interrupted swap's .log.swap must load.
func FuzzCleanSegment(f *testing.F) {
	seedWith(f,
		readFixture(f, "kraft-broker-ldi-poc/__consumer_offsets-6/00000000000000000000.log"),
		readFixture(f, "zk-broker-volodymyrzee/__consumer_offsets-17/00000000000000000000.log"),
		readFixture(f, "codecrafters-tester/kafka-gleam/00000000000000000000.log"))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "00000000000000000000.log"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig()
		cfg.CleanupPolicy = "compact"
		cfg.IndexIntervalBytes = 64
		cfg.SegmentIndexBytes = 1024
		cfg.MinCleanableRatio = 0
		l, err := Open(dir, "f", 0, cfg, Options{})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		l.mu.Lock()
		err = l.rollLocked(l.logEndOffset, cfg, l.nowMs())
		l.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		l.SetHighWatermark(l.LogEndOffset())
		leo := l.LogEndOffset()
		before, decoded := fuzzRecords(l)
		st, err := l.Clean(time.Now())
		if l.LogEndOffset() != leo {
			t.Fatalf("log end offset %d after cleaning, want %d", l.LogEndOffset(), leo)
		}
		after, ok := fuzzRecords(l)
		if err == nil && st.Cleaned && !st.Aborted && decoded {
			if want := compacted(before, st.EndOffset, false); !ok || !slices.Equal(after, want) {
				t.Fatalf("after cleaning:\n got %v\nwant %v", after, want)
			}
		}
		l.closeFiles()
		l2, err := Open(dir, "f", 0, cfg, Options{HighWatermark: leo})
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		if l2.LogEndOffset() != leo {
			t.Fatalf("reopened log end %d, want %d", l2.LogEndOffset(), leo)
		}
		l2.Close()

		// The same bytes as a complete swap file.
		swap := t.TempDir()
		os.WriteFile(filepath.Join(swap, "00000000000000000000.log"), nil, 0o644)
		os.WriteFile(filepath.Join(swap, "00000000000000000000.log"+swapSuffix), b, 0o644)
		l3, err := Open(swap, "f", 0, cfg, Options{})
		if err != nil {
			t.Fatalf("open with a swap file: %v", err)
		}
		l3.Close()
	})
}

// fuzzRecords reads every data record of l, reporting false when a batch
// does not decode.
func fuzzRecords(l *Log) ([]rec, bool) {
	var out []rec
	off := l.LogStartOffset()
	for off < l.LogEndOffset() {
		r, err := l.Read(off, 1<<20, l.LogEndOffset(), true)
		if err != nil {
			return out, false
		}
		data, err := r.Bytes()
		r.Release()
		if err != nil || len(data) == 0 {
			return out, false
		}
		it := record.NewIterator(data)
		for it.Next() {
			e := it.Entry()
			off = e.LastOffset() + 1
			b, ok := e.Batch()
			if !ok {
				return out, false // legacy entries are not compacted
			}
			if b.IsControl() {
				continue
			}
			if err := b.EachRecord(func(r *record.Record) error {
				if r.Key == nil {
					return errors.New("no key")
				}
				out = append(out, rec{Offset: r.Offset, Key: string(r.Key), Value: string(r.Value), Tombstone: r.Value == nil})
				return nil
			}); err != nil {
				return out, false
			}
		}
		if it.Err() != nil {
			return out, false
		}
	}
	return out, true
}
