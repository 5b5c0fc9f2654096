package log

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

func TestRead(t *testing.T) {
	clock := newClock()
	dir := t.TempDir()
	// Batches of 2 records, ~280 bytes; segments hold 2 batches.
	l := buildLog(t, dir, clock, smallSegments(), 9, clock.Now().UnixMilli(), 1)
	defer l.Close()
	l.SetHighWatermark(10)
	batchSize := int64(len(makeBatch(t, batchSpec{records: 2, valueSize: 100, keys: true})))
	cases := []struct {
		name      string
		offset    int64
		maxBytes  int32
		maxOffset int64
		minOne    bool
		want      error
		wantOffs  [][2]int64
		wantSize  int64 // when not whole batches
	}{
		{name: "from the start", offset: 0, maxBytes: 10000, maxOffset: 18, minOne: true, wantOffs: [][2]int64{{0, 1}, {2, 3}}},
		{name: "inside a batch", offset: 3, maxBytes: 10000, maxOffset: 18, minOne: true, wantOffs: [][2]int64{{2, 3}}},
		{name: "limited by high watermark", offset: 8, maxBytes: 10000, maxOffset: 10, minOne: true, wantOffs: [][2]int64{{8, 9}}},
		{name: "high watermark inside a batch", offset: 8, maxBytes: 10000, maxOffset: 11, minOne: true, wantOffs: [][2]int64{{8, 9}}},
		{name: "at the high watermark", offset: 10, maxBytes: 10000, maxOffset: 10, minOne: true, wantOffs: nil},
		{name: "at the log end", offset: 18, maxBytes: 10000, maxOffset: 18, minOne: true, wantOffs: nil},
		{name: "max bytes ends at the last whole batch", offset: 0, maxBytes: int32(2*batchSize - 10), maxOffset: 18, minOne: true, wantOffs: [][2]int64{{0, 1}}},
		{name: "min one batch", offset: 4, maxBytes: 1, maxOffset: 18, minOne: true, wantOffs: [][2]int64{{4, 5}}},
		{name: "no min one batch", offset: 4, maxBytes: 1, maxOffset: 18, minOne: false, wantOffs: nil},
		{name: "no min one batch, room for one", offset: 4, maxBytes: int32(batchSize + 1), maxOffset: 18, minOne: false, wantOffs: [][2]int64{{4, 5}}},
		{name: "zero max bytes", offset: 4, maxBytes: 0, maxOffset: 18, minOne: false, wantOffs: nil},
		{name: "beyond the log end", offset: 19, maxBytes: 100, maxOffset: 18, want: ErrOffsetOutOfRange},
		{name: "negative", offset: -1, maxBytes: 100, maxOffset: 18, want: ErrOffsetOutOfRange},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := l.Read(tc.offset, tc.maxBytes, tc.maxOffset, tc.minOne)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got error %v, want %v", err, tc.want)
			}
			if err != nil {
				return
			}
			defer r.Release()
			if r.HighWatermark != 10 || r.LogEndOffset != 18 || r.LogStartOffset != 0 || r.LastStableOffset != 10 {
				t.Errorf("offsets in result: %+v", r)
			}
			b, err := r.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantSize > 0 {
				if int64(len(b)) != tc.wantSize {
					t.Errorf("got %d bytes, want %d", len(b), tc.wantSize)
				}
				return
			}
			got := offsetsIn(b)
			if len(got) != len(tc.wantOffs) {
				t.Fatalf("got batches %v, want %v", got, tc.wantOffs)
			}
			for i := range got {
				if got[i] != tc.wantOffs[i] {
					t.Fatalf("got batches %v, want %v", got, tc.wantOffs)
				}
			}
		})
	}
}

// TestReadSurvivesRetention holds a region of the oldest segment while
// retention deletes it; the region stays readable until released.
func TestReadSurvivesRetention(t *testing.T) {
	clock := newClock()
	cfg := smallSegments()
	cfg.RetentionBytes = 0
	l := buildLog(t, t.TempDir(), clock, cfg, 9, clock.Now().UnixMilli(), 1)
	defer l.Close()
	l.SetHighWatermark(l.LogEndOffset())
	r, err := l.Read(0, 10000, 18, true)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := r.Bytes()
	if n, err := l.ApplyRetention(clock.Now()); err != nil || n != 5 {
		t.Fatalf("retention deleted %d, %v", n, err)
	}
	after, err := r.Bytes()
	if err != nil || !bytes.Equal(before, after) || len(after) == 0 {
		t.Fatalf("region after deletion: %d bytes, %v", len(after), err)
	}
	var buf bytes.Buffer
	if n, err := r.WriteTo(&buf); err != nil || n != r.Size() || !bytes.Equal(buf.Bytes(), before) {
		t.Fatalf("WriteTo after deletion: %d, %v", n, err)
	}
	r.Release()
	r.Release() // twice is fine
	if _, err := l.Read(0, 100, 18, true); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Errorf("read of deleted offsets: %v", err)
	}
}

// TestWriteToTCP sends a region over a real loopback connection (sendfile
// on Linux) and checks the bytes.
func TestWriteToTCP(t *testing.T) {
	clock := newClock()
	l := buildLog(t, t.TempDir(), clock, testConfig(), 200, clock.Now().UnixMilli(), 1)
	defer l.Close()
	r, err := l.Read(0, 1<<20, l.LogEndOffset(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	want, _ := r.Bytes()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- b
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	n, err := r.WriteTo(c)
	c.Close()
	if err != nil || n != r.Size() {
		t.Fatalf("WriteTo: %d of %d, %v", n, r.Size(), err)
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("received %d bytes, want %d identical", len(b), len(want))
	}
}

func TestOffsetForTimestamp(t *testing.T) {
	clock := newClock()
	cfg := smallSegments()
	l := openTestLog(t, t.TempDir(), cfg, clock, Options{})
	defer l.Close()
	// Batch i holds offsets 2i, 2i+1 with timestamps 1000i and 1000i+1 (the
	// second record of batch 3 is out of order and carries the max).
	ts := []int64{0, 1000, 2000, 3000, 4000, 5000}
	for i, base := range ts {
		b := makeBatch(t, batchSpec{records: 2, valueSize: 100, timestamp: base})
		if i == 3 {
			b = makeBatchTimestamps(t, []int64{3000, 9000})
		}
		if _, err := l.Append(b, AppendInfo{LeaderEpoch: int32(i)}); err != nil {
			t.Fatal(err)
		}
	}
	l.SetHighWatermark(l.LogEndOffset())
	cases := []struct {
		name      string
		ts        int64
		wantOff   int64
		wantTs    int64
		wantEpoch int32
		wantOK    bool
	}{
		{"exact", 2000, 4, 2000, 2, true},
		{"second record", 1001, 3, 1001, 1, true},
		{"between", 1500, 4, 2000, 2, true},
		{"unknown special value", -7, -1, -1, -1, false},
		{"latest tiered", LatestTieredTimestamp, -1, -1, -1, true},
		{"first", 0, 0, 0, 0, true},
		{"out-of-order max", 8000, 7, 9000, 3, true},
		{"after everything", 9001, -1, -1, -1, false},
		{"latest", LatestTimestamp, 12, -1, 5, true},
		{"earliest", EarliestTimestamp, 0, -1, 0, true},
		{"max timestamp", MaxTimestamp, 7, 9000, 3, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			off, ts, epoch, ok := l.OffsetForTimestamp(tc.ts)
			if off != tc.wantOff || ts != tc.wantTs || epoch != tc.wantEpoch || ok != tc.wantOK {
				t.Errorf("got (%d, %d, %d, %v), want (%d, %d, %d, %v)", off, ts, epoch, ok, tc.wantOff, tc.wantTs, tc.wantEpoch, tc.wantOK)
			}
		})
	}
	// After the start moves, searches never answer below it.
	if _, err := l.DeleteRecordsBefore(5); err != nil {
		t.Fatal(err)
	}
	if off, _, _, ok := l.OffsetForTimestamp(0); !ok || off != 5 {
		t.Errorf("search after DeleteRecords: %d %v, want 5", off, ok)
	}
	if off, _, epoch, _ := l.OffsetForTimestamp(EarliestTimestamp); off != 5 || epoch != 2 {
		t.Errorf("earliest after DeleteRecords: offset %d epoch %d, want 5 and 2", off, epoch)
	}
}

func TestEndOffsetForEpoch(t *testing.T) {
	clock := newClock()
	l := openTestLog(t, t.TempDir(), testConfig(), clock, Options{})
	defer l.Close()
	// Epoch 1 starts at 0, epoch 3 at 4, epoch 6 at 8; the log ends at 10.
	for i, e := range []int32{1, 1, 3, 3, 6} {
		b := makeBatch(t, batchSpec{records: 2, timestamp: int64(i)})
		if _, err := l.Append(b, AppendInfo{LeaderEpoch: e}); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		epoch     int32
		wantEpoch int32
		wantEnd   int64
	}{
		{1, 1, 4}, {2, 1, 4}, {3, 3, 8}, {5, 3, 8}, {6, 6, 10}, {7, -1, -1}, {0, 0, 0}, {-1, -1, -1},
	}
	for _, tc := range cases {
		e, end := l.EndOffsetForEpoch(tc.epoch)
		if e != tc.wantEpoch || end != tc.wantEnd {
			t.Errorf("epoch %d: got (%d, %d), want (%d, %d)", tc.epoch, e, end, tc.wantEpoch, tc.wantEnd)
		}
	}
	if want := []EpochEntry{{1, 0}, {3, 4}, {6, 8}}; !equalEpochs(l.LeaderEpochs(), want) {
		t.Errorf("cache %v, want %v", l.LeaderEpochs(), want)
	}
	// A new leader records its epoch at the log end before appending.
	if err := l.AssignEpochStartOffset(8, 10); err != nil {
		t.Fatal(err)
	}
	if e, end := l.EndOffsetForEpoch(6); e != 6 || end != 10 {
		t.Errorf("after epoch 8: epoch 6 ends at (%d, %d), want (6, 10)", e, end)
	}
	// Moving the log start trims the cache from the front.
	l.SetHighWatermark(10)
	if _, err := l.DeleteRecordsBefore(5); err != nil {
		t.Fatal(err)
	}
	if want := []EpochEntry{{3, 5}, {6, 8}, {8, 10}}; !equalEpochs(l.LeaderEpochs(), want) {
		t.Errorf("cache after DeleteRecords %v, want %v", l.LeaderEpochs(), want)
	}
	if e, end := l.EndOffsetForEpoch(1); e != 1 || end != 5 {
		t.Errorf("epoch below the cache: got (%d, %d), want (1, 5)", e, end)
	}
}

func equalEpochs(a, b []EpochEntry) bool {
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

// TestReadEndsAtWholeBatchPastIndexEntries: a read cut by max bytes over
// many batches, with index entries inside the region, ends at the last
// whole batch (found from the nearest index entry) with the damaged-index
// fallback untouched.
func TestReadEndsAtWholeBatchPastIndexEntries(t *testing.T) {
	cfg := testConfig()
	cfg.IndexIntervalBytes = 100 // an entry at nearly every batch
	l := openTestLog(t, t.TempDir(), cfg, nil, Options{})
	defer l.Close()
	spec := batchSpec{records: 2, valueSize: 100, timestamp: time.Now().UnixMilli()}
	batch := makeBatch(t, spec) // every batch has this size
	for range 40 {
		mustAppend(t, l, makeBatch(t, spec)) // the append sets the offsets in place
	}
	l.SetHighWatermark(80)
	for _, tc := range []struct {
		offset   int64
		maxBytes int
		want     int // whole batches
	}{
		{0, 10*len(batch) + len(batch)/2, 10},
		{6, 25*len(batch) - 1, 24},
		{0, 40*len(batch) + 5, 40},
		{0, len(batch) / 2, 1}, // min one batch
	} {
		got := readBytes(t, l, tc.offset, int32(tc.maxBytes), 80)
		if len(got) != tc.want*len(batch) || len(offsetsIn(got)) != tc.want {
			t.Errorf("read at %d, %d bytes: %d bytes (%d batches), want %d whole batches", tc.offset, tc.maxBytes, len(got), len(offsetsIn(got)), tc.want)
		}
	}
}
