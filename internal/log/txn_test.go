package log

import (
	"errors"
	"testing"

	"github.com/kafkakit/kafkakit/internal/record"
)

func marker(pid int64, epoch int16, commit bool, coordEpoch int32, ts int64) []byte {
	return record.AppendEndTxnMarkerBatch(nil, record.EndTxnMarkerBatch{
		ProducerID: pid, ProducerEpoch: epoch, Commit: commit, CoordinatorEpoch: coordEpoch,
		Timestamp: ts, PartitionLeaderEpoch: -1,
	})
}

// TestTransactionState checks what the log tracks of transactions: the
// last stable offset stays at the first offset of an open transaction
// until the coordinator writes its marker; markers from an older
// coordinator are fenced; a producer with an open transaction cannot write
// outside it.
func TestTransactionState(t *testing.T) {
	clock := newClock()
	now := clock.Now().UnixMilli()
	l := openTestLog(t, t.TempDir(), testConfig(), clock, Options{})
	defer l.Close()
	mustAppend(t, l, makeBatch(t, batchSpec{records: 2, timestamp: now})) // 0-1, no transaction
	txn := func(seq int32) []byte {
		return makeBatch(t, batchSpec{records: 2, timestamp: now, pid: 7, epoch: 1, seq: seq, txn: true})
	}
	mustAppend(t, l, txn(0)) // 2-3
	mustAppend(t, l, txn(2)) // 4-5
	l.SetHighWatermark(l.LogEndOffset())
	if got := l.LastStableOffset(); got != 2 {
		t.Fatalf("last stable offset %d during the transaction, want 2", got)
	}
	r, err := l.Read(0, 1<<20, l.LogEndOffset(), true)
	if err != nil {
		t.Fatal(err)
	}
	if r.LastStableOffset != 2 || r.HighWatermark != 6 {
		t.Errorf("read offsets: lso %d hw %d", r.LastStableOffset, r.HighWatermark)
	}
	r.Release()
	plain := makeBatch(t, batchSpec{records: 1, timestamp: now, pid: 7, epoch: 1, seq: 4})
	if _, err := l.Append(plain, AppendInfo{}); !errors.Is(err, ErrInvalidTxnState) {
		t.Fatalf("non-transactional write during a transaction: %v", err)
	}
	if _, err := l.Append(marker(7, 1, true, 5, now), AppendInfo{}); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("marker from a client: %v", err)
	}
	if _, err := l.Append(marker(7, 1, true, 5, now), AppendInfo{Coordinator: true}); err != nil {
		t.Fatalf("commit marker: %v", err)
	}
	l.SetHighWatermark(l.LogEndOffset())
	if got := l.LastStableOffset(); got != 7 {
		t.Errorf("last stable offset %d after commit, want 7", got)
	}
	if ps, _ := l.ProducerState(7); ps.CoordinatorEpoch != 5 || ps.CurrentTxnStartOffset != -1 {
		t.Errorf("producer state after commit %+v", ps)
	}
	mustAppend(t, l, txn(4))
	if _, err := l.Append(marker(7, 1, false, 4, now), AppendInfo{Coordinator: true}); !errors.Is(err, ErrTransactionCoordinatorFenced) {
		t.Errorf("marker from an older coordinator: %v", err)
	}
	if _, err := l.Append(marker(7, 0, false, 6, now), AppendInfo{Coordinator: true}); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Errorf("marker with an old producer epoch: %v", err)
	}
	if _, err := l.Append(marker(7, 1, false, 6, now), AppendInfo{Coordinator: true}); err != nil {
		t.Errorf("abort marker: %v", err)
	}
}

// TestCoordinatorTransactionalOffsetCommit: the group coordinator writes
// transactional offset commits with a producer id and no sequence.
func TestCoordinatorTransactionalOffsetCommit(t *testing.T) {
	clock := newClock()
	now := clock.Now().UnixMilli()
	l := openTestLog(t, t.TempDir(), testConfig(), clock, Options{})
	defer l.Close()
	b := record.NewBuilder(record.CodecNone)
	b.ProducerID, b.ProducerEpoch, b.BaseSequence, b.Transactional = 11, 0, -1, true
	b.Add(record.Record{Timestamp: now, Key: []byte("k"), Value: []byte("v")})
	raw, _ := b.Build()
	if _, err := l.Append(append([]byte(nil), raw...), AppendInfo{}); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("from a client: %v, want ErrInvalidRecord", err)
	}
	if _, err := l.Append(raw, AppendInfo{Coordinator: true}); err != nil {
		t.Fatalf("from the coordinator: %v", err)
	}
	l.SetHighWatermark(l.LogEndOffset())
	if l.LastStableOffset() != 0 {
		t.Errorf("last stable offset %d, want 0 while the transaction is open", l.LastStableOffset())
	}
	if _, err := l.Append(marker(11, 0, true, 0, now), AppendInfo{Coordinator: true}); err != nil {
		t.Fatal(err)
	}
	l.SetHighWatermark(l.LogEndOffset())
	if l.LastStableOffset() != 2 {
		t.Errorf("last stable offset %d after commit, want 2", l.LastStableOffset())
	}
}
