package log

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// crashLog builds a log of several segments and abandons it without a
// clean close, as a killed process would (the data is in the page cache,
// the active index is still pre-allocated, no final snapshot is written).
// It returns the directory and the bytes of every batch in order.
func crashLog(t *testing.T, cfg Config, batches []batchSpec) (string, [][]byte) {
	t.Helper()
	dir := t.TempDir()
	l := openTestLog(t, dir, cfg, nil, Options{})
	var raw [][]byte
	seq := int32(0)
	now := time.Now().UnixMilli()
	for i, s := range batches {
		s.pid, s.seq, s.timestamp = 1, seq, now
		seq += int32(max(s.records, 1))
		b := makeBatch(t, s)
		if _, err := l.Append(b, AppendInfo{LeaderEpoch: int32(i / 3)}); err != nil {
			t.Fatal(err)
		}
		raw = append(raw, b) // rewritten in place with its offsets
	}
	l.closeFiles()
	return dir, raw
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		copyFile(t, filepath.Join(src, e.Name()), filepath.Join(dst, e.Name()))
	}
	return dst
}

// TestRecoveryTornTailEveryByte cuts the active segment after a crash at
// every byte inside its last batch (and appends garbage past a whole one):
// recovery must keep every batch written completely, drop the torn one, and
// leave a log that accepts appends and reopens cleanly.
func TestRecoveryTornTailEveryByte(t *testing.T) {
	cfg := smallSegments()
	specs := append(repeatSpec(batchSpec{records: 2, valueSize: 100}, 6), batchSpec{records: 1, valueSize: 8})
	src, raw := crashLog(t, cfg, specs)
	var whole []byte
	for _, b := range raw[:len(raw)-1] {
		whole = append(whole, b...)
	}
	last := raw[len(raw)-1]
	activeBase := int64(12)
	activePath := fileName(activeBase, logSuffix)
	full, err := os.ReadFile(filepath.Join(src, activePath))
	if err != nil {
		t.Fatal(err)
	}
	lastStart := int64(len(full) - len(last))
	if !bytes.Equal(full[lastStart:], last) {
		t.Fatal("setup: last batch is not at the end of the active segment")
	}
	lastBase := int64(12)
	for cut := lastStart; cut <= int64(len(full))+8; cut++ {
		dir := copyDir(t, src)
		p := filepath.Join(dir, activePath)
		switch {
		case cut <= int64(len(full)):
			if err := os.Truncate(p, cut); err != nil {
				t.Fatal(err)
			}
		default: // garbage (zeros, as a pre-allocated file would hold) after a whole batch
			f, _ := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			f.Write(make([]byte, cut-int64(len(full))))
			f.Close()
		}
		l := openTestLog(t, dir, cfg, nil, Options{RecoveryPoint: 4})
		wantEnd, wantData := lastBase, whole
		if cut >= int64(len(full)) {
			wantEnd, wantData = lastBase+1, append(append([]byte{}, whole...), last...)
		}
		if got := l.LogEndOffset(); got != wantEnd {
			t.Fatalf("cut at %d: log end %d, want %d", cut, got, wantEnd)
		}
		if got := readAll(t, l, 0); !bytes.Equal(got, wantData) {
			t.Fatalf("cut at %d: recovered %d bytes, want %d", cut, len(got), len(wantData))
		}
		st := l.LoadStats()
		wantTrunc := cut - lastStart
		if cut >= int64(len(full)) {
			wantTrunc = cut - int64(len(full))
		}
		if st.TruncatedBytes != wantTrunc || st.RecoveredSegments != 3 {
			t.Fatalf("cut at %d: stats %+v, want %d truncated bytes from 3 segments", cut, st, wantTrunc)
		}
		// The producer's state matches the surviving batches: six batches of
		// two records, then the one-record batch with sequence 12.
		wantSeq := int32(11)
		if wantEnd > lastBase {
			wantSeq = 12
		}
		if ps, ok := l.ProducerState(1); !ok || ps.LastSequence != wantSeq {
			t.Fatalf("cut at %d: producer state %+v %v, want last sequence %d", cut, ps, ok, wantSeq)
		}
		if cut%16 == 0 {
			if _, err := l.Append(makeBatch(t, batchSpec{records: 1}), AppendInfo{}); err != nil {
				t.Fatalf("cut at %d: append after recovery: %v", cut, err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRecoveryCorruptBatch flips one byte in the middle of the log: the
// segment is truncated before the corrupt batch and all later segments are
// deleted.
func TestRecoveryCorruptBatch(t *testing.T) {
	cfg := smallSegments()
	src, raw := crashLog(t, cfg, repeatSpec(batchSpec{records: 2, valueSize: 100}, 9))
	// Segment 4 holds batches 2 and 3; corrupt batch 3 (offsets 6-7).
	p := filepath.Join(src, fileName(4, logSuffix))
	b, _ := os.ReadFile(p)
	b[len(raw[2])+100] ^= 0xff
	os.WriteFile(p, b, 0o644)
	l := openTestLog(t, src, cfg, nil, Options{RecoveryPoint: 0})
	defer l.Close()
	if l.LogEndOffset() != 6 || !equalInt64s(segmentBases(l), []int64{0, 4}) {
		t.Fatalf("log end %d segments %v, want 6 and [0 4]", l.LogEndOffset(), segmentBases(l))
	}
	st := l.LoadStats()
	if st.DeletedSegments != 3 || st.TruncatedBytes != int64(len(raw[3])) {
		t.Errorf("stats %+v, want 3 deleted segments and %d truncated bytes", st, len(raw[3]))
	}
	for _, base := range []int64{8, 12, 16} {
		if _, err := os.Stat(filepath.Join(src, fileName(base, logSuffix))); !os.IsNotExist(err) {
			t.Errorf("segment %d still on disk: %v", base, err)
		}
	}
	// Epoch 1 started at offset 6, which is now the log end: its entry goes.
	if want := []EpochEntry{{0, 0}}; !equalEpochs(l.LeaderEpochs(), want) {
		t.Errorf("epochs %v, want %v", l.LeaderEpochs(), want)
	}
	if res := mustAppend(t, l, makeBatch(t, batchSpec{records: 1})); res.FirstOffset != 6 {
		t.Errorf("next append at %d, want 6", res.FirstOffset)
	}
}

// TestRecoveryPointHonoured: segments wholly below the recovery point are
// trusted and not re-read after an unclean shutdown.
func TestRecoveryPointHonoured(t *testing.T) {
	cfg := smallSegments()
	src, _ := crashLog(t, cfg, repeatSpec(batchSpec{records: 2, valueSize: 100}, 9))
	l := openTestLog(t, src, cfg, nil, Options{RecoveryPoint: 9})
	defer l.Close()
	st := l.LoadStats()
	// Segments start at 0, 4, 8, 12, 16: those holding offsets >= 9 are 8, 12, 16.
	if st.RecoveredSegments != 3 || st.CleanShutdown {
		t.Errorf("stats %+v, want 3 recovered segments", st)
	}
	if l.LogEndOffset() != 18 || l.RecoveryPoint() != 9 {
		t.Errorf("log end %d recovery point %d, want 18 and 9", l.LogEndOffset(), l.RecoveryPoint())
	}
}

// TestCleanStartDoesNoRecovery: after a clean close the next open reads no
// segment data beyond the active segment's tail, and says so.
func TestCleanStartDoesNoRecovery(t *testing.T) {
	dir := t.TempDir()
	cfg := smallSegments()
	clock := newClock()
	l := buildLog(t, dir, clock, cfg, 9, clock.Now().UnixMilli(), 1)
	want := readAll(t, l, 0)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Damage an old segment: a clean start does not notice, proving it
	// does not read it.
	p := filepath.Join(dir, fileName(4, logSuffix))
	b, _ := os.ReadFile(p)
	b[100] ^= 0xff
	os.WriteFile(p, b, 0o644)
	l = openTestLog(t, dir, cfg, clock, Options{CleanShutdown: true, RecoveryPoint: 18})
	defer l.Close()
	st := l.LoadStats()
	if !st.CleanShutdown || st.RecoveredSegments != 0 || st.TruncatedBytes != 0 || st.ProducerBatchesReplayed != 0 {
		t.Errorf("clean start stats %+v, want no recovery work", st)
	}
	if l.LogEndOffset() != 18 || l.RecoveryPoint() != 18 {
		t.Errorf("log end %d recovery point %d", l.LogEndOffset(), l.RecoveryPoint())
	}
	if got := readAll(t, l, 8); !bytes.Equal(got, want[len(want)-len(got):]) {
		t.Error("data after a clean start differs")
	}
}

// TestCleanStartRebuildsMissingIndex: a segment whose index file is gone
// is recovered even on a clean start; the rebuilt index equals the old.
func TestCleanStartRebuildsMissingIndex(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig()
	cfg.SegmentBytes = 20000
	clock := newClock()
	l := buildLog(t, dir, clock, cfg, 150, clock.Now().UnixMilli(), 1)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	before := readIndexFiles(t, dir)
	if len(before) < 6 {
		t.Fatalf("setup: %d index files", len(before))
	}
	os.Remove(filepath.Join(dir, fileName(0, indexSuffix)))
	os.Remove(filepath.Join(dir, fileName(0, timeIndexSuffix)))
	l = openTestLog(t, dir, cfg, clock, Options{CleanShutdown: true, RecoveryPoint: 300})
	if st := l.LoadStats(); st.RecoveredSegments != 1 {
		t.Errorf("recovered %d segments, want 1", st.RecoveredSegments)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if after := readIndexFiles(t, dir); !equalMaps(after, before) {
		t.Error("rebuilt indexes differ from the originals")
	}
}

// TestCrashLeavesPreallocatedIndex: the active index of a crashed log is
// still pre-allocated; both an unclean open and a (wrongly) clean open find
// the right log end and index entries.
func TestCrashLeavesPreallocatedIndex(t *testing.T) {
	cfg := testConfig()
	specs := repeatSpec(batchSpec{records: 2, valueSize: 500}, 40)
	src, _ := crashLog(t, cfg, specs)
	st, err := os.Stat(filepath.Join(src, fileName(0, indexSuffix)))
	if err != nil || st.Size() != int64(cfg.SegmentIndexBytes) {
		t.Fatalf("setup: index size %v %v, want pre-allocated %d", st.Size(), err, cfg.SegmentIndexBytes)
	}
	for _, clean := range []bool{false, true} {
		dir := copyDir(t, src)
		l := openTestLog(t, dir, cfg, nil, Options{CleanShutdown: clean})
		if l.LogEndOffset() != 80 {
			t.Errorf("clean=%v: log end %d, want 80", clean, l.LogEndOffset())
		}
		for off := int64(0); off < 80; off += 7 {
			r, err := l.Read(off, 1, 80, true)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := r.Bytes()
			r.Release()
			if o := offsetsIn(b); len(o) != 1 || o[0][0] > off || o[0][1] < off {
				t.Fatalf("clean=%v: read at %d gave %v", clean, off, o)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(filepath.Join(dir, fileName(0, indexSuffix))); st.Size()%8 != 0 || st.Size() >= int64(cfg.SegmentIndexBytes) {
			t.Errorf("clean=%v: index not trimmed at close: %d bytes", clean, st.Size())
		}
	}
}

// TestRecoveryRebuildsEpochCache: with the checkpoint lost, recovery
// re-learns leader epochs from the batches it re-reads.
func TestRecoveryRebuildsEpochCache(t *testing.T) {
	cfg := smallSegments()
	src, _ := crashLog(t, cfg, repeatSpec(batchSpec{records: 2, valueSize: 100}, 9))
	os.Remove(filepath.Join(src, LeaderEpochCheckpointFile))
	l := openTestLog(t, src, cfg, nil, Options{})
	defer l.Close()
	if want := []EpochEntry{{0, 0}, {1, 6}, {2, 12}}; !equalEpochs(l.LeaderEpochs(), want) {
		t.Errorf("epochs %v, want %v", l.LeaderEpochs(), want)
	}
	b, err := os.ReadFile(filepath.Join(src, LeaderEpochCheckpointFile))
	if err != nil || string(b) != "0\n3\n0 0\n1 6\n2 12\n" {
		t.Errorf("checkpoint %q, %v", b, err)
	}
}

// TestRecoveryLeftovers: files a crash can leave behind are cleaned up.
func TestRecoveryLeftovers(t *testing.T) {
	cfg := smallSegments()
	src, _ := crashLog(t, cfg, repeatSpec(batchSpec{records: 2, valueSize: 100}, 5))
	touch := func(name string) { os.WriteFile(filepath.Join(src, name), []byte("x"), 0o644) }
	touch(fileName(4, logSuffix) + deletedSuffix)
	touch(fileName(4, logSuffix) + cleanedSuffix)
	touch(LeaderEpochCheckpointFile + ".tmp")
	touch(fileName(99, indexSuffix))    // orphan index
	touch(fileName(50, snapshotSuffix)) // snapshot beyond the log end
	l := openTestLog(t, src, cfg, nil, Options{})
	defer l.Close()
	for _, name := range []string{fileName(4, logSuffix) + deletedSuffix, fileName(4, logSuffix) + cleanedSuffix,
		LeaderEpochCheckpointFile + ".tmp", fileName(99, indexSuffix), fileName(50, snapshotSuffix)} {
		if _, err := os.Stat(filepath.Join(src, name)); !os.IsNotExist(err) {
			t.Errorf("%s left behind: %v", name, err)
		}
	}
	if l.LogEndOffset() != 10 {
		t.Errorf("log end %d", l.LogEndOffset())
	}
}

// TestCorruptIndexDoesNotHideData: an index entry pointing into the middle
// of a batch (a damaged file trusted after a clean shutdown) must not make
// reads skip data.
func TestCorruptIndexDoesNotHideData(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig()
	cfg.IndexIntervalBytes = 100
	cfg.SegmentBytes = 3000 // the damaged index belongs to a rolled segment
	l := openTestLog(t, dir, cfg, nil, Options{})
	for i := 0; i < 20; i++ {
		mustAppend(t, l, makeBatch(t, batchSpec{records: 2, valueSize: 100, timestamp: time.Now().UnixMilli()}))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, fileName(0, indexSuffix))
	b, _ := os.ReadFile(p)
	for i := 4; i < len(b); i += 8 {
		b[i+3] += 7 // every position now points 7 bytes into a batch
	}
	os.WriteFile(p, b, 0o644)
	l = openTestLog(t, dir, cfg, nil, Options{CleanShutdown: true})
	defer l.Close()
	if st := l.LoadStats(); st.RecoveredSegments != 0 || len(l.Segments()) < 2 {
		t.Fatalf("setup: stats %+v, %d segments", st, len(l.Segments()))
	}
	for off := int64(0); off < 40; off++ {
		r, err := l.Read(off, 1, 40, true)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := r.Bytes()
		r.Release()
		if o := offsetsIn(got); len(o) != 1 || o[0][0] > off || o[0][1] < off {
			t.Fatalf("read at %d with a damaged index gave %v", off, o)
		}
	}
}

// TestPowerLoss models a power failure: everything written after the last
// flush is lost except a torn prefix. The recovery point (what the broker
// checkpoints) must never claim more than what was flushed, and recovery
// from it must restore exactly the flushed batches plus any whole batch
// that happened to reach the disk.
func TestPowerLoss(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig()
	l := openTestLog(t, dir, cfg, nil, Options{})
	now := time.Now().UnixMilli()
	for i := 0; i < 10; i++ {
		mustAppend(t, l, makeBatch(t, batchSpec{records: 3, valueSize: 50, timestamp: now, pid: 4, seq: int32(3 * i)}))
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	rp := l.RecoveryPoint()
	if rp != 30 {
		t.Fatalf("recovery point %d after flush, want 30", rp)
	}
	flushed := l.Size()
	batchLen := flushed / 10
	for i := 10; i < 15; i++ {
		mustAppend(t, l, makeBatch(t, batchSpec{records: 3, valueSize: 50, timestamp: now, pid: 4, seq: int32(3 * i)}))
	}
	if l.RecoveryPoint() != rp {
		t.Fatalf("recovery point moved without a flush")
	}
	l.closeFiles()
	src := copyDir(t, dir)
	for _, kept := range []int64{0, batchLen / 2, batchLen, 2*batchLen + 7} {
		d := copyDir(t, src)
		if err := os.Truncate(filepath.Join(d, fileName(0, logSuffix)), flushed+kept); err != nil {
			t.Fatal(err)
		}
		l := openTestLog(t, d, cfg, nil, Options{RecoveryPoint: rp})
		wantEnd := int64(30 + 3*(kept/batchLen))
		if l.LogEndOffset() != wantEnd {
			t.Errorf("kept %d unflushed bytes: log end %d, want %d", kept, l.LogEndOffset(), wantEnd)
		}
		if ps, ok := l.ProducerState(4); !ok || int64(ps.LastSequence) != wantEnd-1 {
			t.Errorf("kept %d: producer state %+v", kept, ps)
		}
		l.Close()
	}
}
