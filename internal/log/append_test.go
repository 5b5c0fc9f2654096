package log

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"testing"
	"time"

	"github.com/kafkakit/kafkakit/internal/record"
)

// fixCRC recomputes a v2 batch's CRC after a test edited it.
func fixCRC(b []byte) []byte {
	binary.BigEndian.PutUint32(b[17:], record.ComputeCRC(b))
	return b
}

func legacyMessage() []byte {
	// offset 0, magic 1, no key, value "x"
	msg := []byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 'x'}
	b := make([]byte, 12, 12+4+len(msg))
	binary.BigEndian.PutUint32(b[8:], uint32(4+len(msg)))
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(msg))
	return append(b, msg...)
}

func TestAppendValidation(t *testing.T) {
	clock := newClock()
	now := clock.Now().UnixMilli()
	good := func() []byte { return makeBatch(t, batchSpec{records: 2, valueSize: 10, timestamp: now}) }
	cases := []struct {
		name   string
		cfg    func(*Config)
		batch  func() []byte
		info   AppendInfo
		want   error
		recErr int // expected number of record errors, -1 to skip
	}{
		{name: "magic 1", batch: legacyMessage, want: ErrUnsupportedMagic},
		{name: "bad crc", batch: func() []byte { b := good(); b[len(b)-1] ^= 1; return b }, want: ErrCorruptMessage},
		{name: "too large", cfg: func(c *Config) { c.MaxMessageBytes = 100 }, batch: func() []byte {
			return makeBatch(t, batchSpec{records: 1, valueSize: 200, timestamp: now})
		}, want: ErrMessageTooLarge},
		{name: "two batches", batch: func() []byte { return append(good(), good()...) }, want: ErrInvalidRecord},
		{name: "non-zero base offset", batch: func() []byte { b := good(); record.SetBaseOffset(b, 7); return b }, want: ErrInvalidRecord},
		{name: "count does not match offsets", batch: func() []byte {
			b := good()
			binary.BigEndian.PutUint32(b[57:], 3)
			return fixCRC(b)
		}, want: ErrInvalidRecord},
		{name: "zero records", batch: func() []byte {
			b := good()
			binary.BigEndian.PutUint32(b[57:], 0)
			binary.BigEndian.PutUint32(b[23:], 0xffffffff)
			return fixCRC(b)
		}, want: ErrInvalidRecord},
		{name: "offset deltas not consecutive", batch: func() []byte {
			bl := record.NewBuilder(record.CodecNone)
			bl.AddWithOffsetDelta(0, record.Record{Timestamp: now, Value: []byte("a")})
			bl.AddWithOffsetDelta(2, record.Record{Timestamp: now, Value: []byte("b")})
			b, _ := bl.Build()
			binary.BigEndian.PutUint32(b[23:], 1)
			return fixCRC(b)
		}, want: ErrInvalidRecord},
		{name: "control batch from client", batch: func() []byte {
			bl := record.NewBuilder(record.CodecNone)
			bl.Control = true
			bl.Add(record.Record{Timestamp: now, Key: []byte{0, 0, 0, 1}, Value: []byte{0, 0, 0, 0, 0, 0}})
			b, _ := bl.Build()
			return b
		}, want: ErrInvalidRecord},
		{name: "producer id without sequence", batch: func() []byte {
			bl := record.NewBuilder(record.CodecNone)
			bl.ProducerID, bl.ProducerEpoch = 5, 0
			bl.Add(record.Record{Timestamp: now, Value: []byte("a")})
			b, _ := bl.Build()
			return b
		}, want: ErrInvalidRecord},
		{name: "timestamp too old", cfg: func(c *Config) { c.MessageTimestampBeforeMaxMs = 1000 }, batch: func() []byte {
			return makeBatch(t, batchSpec{records: 3, valueSize: 1, timestamp: now - 1001})
		}, want: ErrInvalidTimestamp, recErr: 1},
		{name: "timestamp too new", cfg: func(c *Config) { c.MessageTimestampAfterMaxMs = 10 }, batch: func() []byte {
			return makeBatch(t, batchSpec{records: 3, valueSize: 1, timestamp: now + 9})
		}, want: ErrInvalidTimestamp, recErr: 1},
		{name: "producer set LogAppendTime", batch: func() []byte {
			b := good()
			record.SetLogAppendTime(b, now)
			return b
		}, want: ErrInvalidTimestamp},
		{name: "compacted topic null key", cfg: func(c *Config) { c.CleanupPolicy = "compact" }, batch: good, want: ErrInvalidRecord, recErr: 2},
		{name: "trailing bytes", batch: func() []byte { return append(good(), 1, 2, 3) }, want: ErrCorruptMessage},
		{name: "garbage", batch: func() []byte { return []byte("this is not a record batch at all, not even close to one") }, want: ErrCorruptMessage},
		{name: "unknown codec", batch: func() []byte {
			b := good()
			b[22] |= 7
			return fixCRC(b)
		}, want: ErrInvalidRecord},
		{name: "decompression bomb", cfg: func(c *Config) { c.MaxUncompressedBatchBytes = 4096 }, batch: func() []byte {
			return makeBatch(t, batchSpec{records: 10, valueSize: 1000, timestamp: now, codec: record.CodecGzip})
		}, want: ErrInvalidRecord},
		{name: "valid", batch: good},
		{name: "valid compressed", batch: func() []byte {
			return makeBatch(t, batchSpec{records: 10, valueSize: 100, timestamp: now, codec: record.CodecZstd})
		}},
		{name: "valid compacted with keys", cfg: func(c *Config) { c.CleanupPolicy = "compact,delete" }, batch: func() []byte {
			return makeBatch(t, batchSpec{records: 3, valueSize: 1, timestamp: now, keys: true})
		}},
		{name: "control batch from coordinator", info: AppendInfo{Coordinator: true}, batch: func() []byte {
			bl := record.NewBuilder(record.CodecNone)
			bl.Control, bl.Transactional = true, true
			bl.ProducerID, bl.ProducerEpoch = 9, 0
			bl.Add(record.Record{Timestamp: now, Key: []byte{0, 0, 0, 1}, Value: []byte{0, 0, 0, 0, 0, 0}})
			b, _ := bl.Build()
			return b
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			l := openTestLog(t, t.TempDir(), cfg, clock, Options{})
			defer l.Close()
			res, err := l.Append(tc.batch(), tc.info)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("got error %v, want success", err)
				}
				if res.FirstOffset != 0 || l.LogEndOffset() != res.LastOffset+1 {
					t.Fatalf("got offsets [%d,%d], log end %d", res.FirstOffset, res.LastOffset, l.LogEndOffset())
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got error %v, want %v", err, tc.want)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Message == "" {
				t.Errorf("error %v is not a *ValidationError with a message", err)
			} else if tc.recErr > 0 && len(ve.RecordErrors) != tc.recErr {
				t.Errorf("got %d record errors %v, want %d", len(ve.RecordErrors), ve.RecordErrors, tc.recErr)
			}
			if l.LogEndOffset() != 0 || l.Size() != 0 {
				t.Errorf("rejected append changed the log: end offset %d, size %d", l.LogEndOffset(), l.Size())
			}
		})
	}
}

func TestAppendEmpty(t *testing.T) {
	l := openTestLog(t, t.TempDir(), testConfig(), nil, Options{})
	defer l.Close()
	res, err := l.Append(nil, AppendInfo{})
	if err != nil || res.FirstOffset != -1 || res.LastOffset != -1 {
		t.Fatalf("got %+v, %v; want offsets -1 and no error", res, err)
	}
}

// TestAppendRewritesBatch checks what the broker writes into a batch:
// offsets, the leader epoch, LogAppendTime, and a corrected max timestamp.
func TestAppendRewritesBatch(t *testing.T) {
	clock := newClock()
	now := clock.Now().UnixMilli()
	for _, logAppend := range []bool{false, true} {
		name := map[bool]string{false: "CreateTime", true: "LogAppendTime"}[logAppend]
		t.Run(name, func(t *testing.T) {
			cfg := testConfig()
			if logAppend {
				cfg.MessageTimestampType = LogAppendTime
			}
			l := openTestLog(t, t.TempDir(), cfg, clock, Options{})
			defer l.Close()
			mustAppend(t, l, makeBatch(t, batchSpec{records: 5, valueSize: 3, timestamp: now - 100}))
			b := makeBatch(t, batchSpec{records: 4, valueSize: 3, timestamp: now - 50})
			binary.BigEndian.PutUint64(b[35:], uint64(now+999)) // a wrong max timestamp
			fixCRC(b)
			res, err := l.Append(b, AppendInfo{LeaderEpoch: 7})
			if err != nil {
				t.Fatal(err)
			}
			if res.FirstOffset != 5 || res.LastOffset != 8 {
				t.Errorf("offsets [%d,%d], want [5,8]", res.FirstOffset, res.LastOffset)
			}
			wantAppendTime := int64(-1)
			if logAppend {
				wantAppendTime = now
			}
			if res.LogAppendTime != wantAppendTime {
				t.Errorf("log append time %d, want %d", res.LogAppendTime, wantAppendTime)
			}
			data := readAll(t, l, 5)
			h, err := record.ParseHeader(data)
			if err != nil {
				t.Fatal(err)
			}
			if !record.ValidCRC(data[:h.Size()]) {
				t.Error("stored batch has an invalid CRC")
			}
			if h.BaseOffset != 5 || h.PartitionLeaderEpoch != 7 {
				t.Errorf("stored base offset %d epoch %d, want 5 and 7", h.BaseOffset, h.PartitionLeaderEpoch)
			}
			wantMax, wantType := now-50+3, record.CreateTime
			if logAppend {
				wantMax, wantType = now, record.LogAppendTime
			}
			if h.MaxTimestamp != wantMax || h.TimestampType() != wantType {
				t.Errorf("stored max timestamp %d type %v, want %d %v", h.MaxTimestamp, h.TimestampType(), wantMax, wantType)
			}
			if got := l.LeaderEpochs(); len(got) != 2 || got[1] != (EpochEntry{7, 5}) {
				t.Errorf("leader epochs %v, want [{0 0} {7 5}]", got)
			}
		})
	}
}

// prodStep is one append of an idempotent producer.
type prodStep struct {
	pid     int64
	epoch   int16
	seq     int32
	records int
	want    error // nil for success
	dup     bool  // expect a duplicate answer
	first   int64 // expected first offset when successful
}

func runProducerSteps(t *testing.T, l *Log, now int64, steps []prodStep) {
	t.Helper()
	for i, s := range steps {
		b := makeBatch(t, batchSpec{records: s.records, valueSize: 4, timestamp: now, pid: s.pid, epoch: s.epoch, seq: s.seq})
		res, err := l.Append(b, AppendInfo{LeaderEpoch: 0})
		if s.want != nil {
			if !errors.Is(err, s.want) {
				t.Fatalf("step %d (pid %d epoch %d seq %d): got %v, want %v", i, s.pid, s.epoch, s.seq, err, s.want)
			}
			continue
		}
		if err != nil {
			t.Fatalf("step %d (pid %d epoch %d seq %d): %v", i, s.pid, s.epoch, s.seq, err)
		}
		if res.Duplicate != s.dup || res.FirstOffset != s.first || res.LastOffset != s.first+int64(s.records)-1 {
			t.Fatalf("step %d: got %+v, want duplicate=%v offsets [%d,%d]", i, res, s.dup, s.first, s.first+int64(s.records)-1)
		}
	}
}

func TestIdempotentProducer(t *testing.T) {
	cases := []struct {
		name  string
		steps []prodStep
	}{
		{"in sequence", []prodStep{{pid: 1, seq: 0, records: 2, first: 0}, {pid: 1, seq: 2, records: 3, first: 2}, {pid: 1, seq: 5, records: 1, first: 5}}},
		{"retry of last batch", []prodStep{{pid: 1, seq: 0, records: 2, first: 0}, {pid: 1, seq: 0, records: 2, dup: true, first: 0}, {pid: 1, seq: 2, records: 1, first: 2}}},
		{"retry five batches back", []prodStep{
			{pid: 1, seq: 0, records: 1, first: 0}, {pid: 1, seq: 1, records: 1, first: 1}, {pid: 1, seq: 2, records: 1, first: 2},
			{pid: 1, seq: 3, records: 1, first: 3}, {pid: 1, seq: 4, records: 1, first: 4},
			{pid: 1, seq: 0, records: 1, dup: true, first: 0}}},
		{"retry six batches back is out of order", []prodStep{
			{pid: 1, seq: 0, records: 1, first: 0}, {pid: 1, seq: 1, records: 1, first: 1}, {pid: 1, seq: 2, records: 1, first: 2},
			{pid: 1, seq: 3, records: 1, first: 3}, {pid: 1, seq: 4, records: 1, first: 4}, {pid: 1, seq: 5, records: 1, first: 5},
			{pid: 1, seq: 0, records: 1, want: ErrOutOfOrderSequence}}},
		{"gap", []prodStep{{pid: 1, seq: 0, records: 2, first: 0}, {pid: 1, seq: 3, records: 1, want: ErrOutOfOrderSequence}}},
		{"overlap that is not a retry", []prodStep{{pid: 1, seq: 0, records: 3, first: 0}, {pid: 1, seq: 1, records: 3, want: ErrOutOfOrderSequence}}},
		{"stale epoch", []prodStep{{pid: 1, epoch: 3, seq: 0, records: 1, first: 0}, {pid: 1, epoch: 2, seq: 1, records: 1, want: ErrInvalidProducerEpoch}}},
		{"new epoch from zero", []prodStep{{pid: 1, epoch: 0, seq: 0, records: 4, first: 0}, {pid: 1, epoch: 1, seq: 0, records: 1, first: 4}}},
		{"new epoch not from zero", []prodStep{{pid: 1, epoch: 0, seq: 0, records: 4, first: 0}, {pid: 1, epoch: 1, seq: 4, records: 1, want: ErrOutOfOrderSequence}}},
		{"unknown producer may start anywhere (KIP-360)", []prodStep{{pid: 8, seq: 42, records: 2, first: 0}, {pid: 8, seq: 44, records: 1, first: 2}}},
		{"old epoch retry is not a duplicate", []prodStep{{pid: 1, epoch: 0, seq: 0, records: 1, first: 0}, {pid: 1, epoch: 1, seq: 0, records: 1, first: 1}, {pid: 1, epoch: 0, seq: 0, records: 1, want: ErrInvalidProducerEpoch}}},
		{"producers are independent", []prodStep{{pid: 1, seq: 0, records: 1, first: 0}, {pid: 2, seq: 0, records: 1, first: 1}, {pid: 1, seq: 1, records: 1, first: 2}, {pid: 2, seq: 0, records: 1, dup: true, first: 1}}},
		{"sequence wraps past MaxInt32", []prodStep{{pid: 1, seq: math.MaxInt32 - 1, records: 2, first: 0}, {pid: 1, seq: 0, records: 1, first: 2}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			l := openTestLog(t, t.TempDir(), testConfig(), clock, Options{})
			defer l.Close()
			runProducerSteps(t, l, clock.Now().UnixMilli(), tc.steps)
		})
	}
}

// TestProducerStateSurvivesRestart checks duplicate detection after a
// clean restart (from the snapshot written at close) and after a crash
// (rebuilt from the log).
func TestProducerStateSurvivesRestart(t *testing.T) {
	for _, clean := range []bool{true, false} {
		t.Run(map[bool]string{true: "clean", false: "crash"}[clean], func(t *testing.T) {
			dir := t.TempDir()
			clock := newClock()
			now := clock.Now().UnixMilli()
			l := openTestLog(t, dir, testConfig(), clock, Options{})
			runProducerSteps(t, l, now, []prodStep{
				{pid: 1, seq: 0, records: 2, first: 0}, {pid: 1, seq: 2, records: 2, first: 2}, {pid: 1, seq: 4, records: 2, first: 4},
			})
			if clean {
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
			} else {
				l.closeFiles()
			}
			l = openTestLog(t, dir, testConfig(), clock, Options{CleanShutdown: clean, RecoveryPoint: 0})
			defer l.Close()
			st := l.LoadStats()
			if clean && (st.ProducerSnapshotOffset != 6 || st.ProducerBatchesReplayed != 0) {
				t.Errorf("clean start: snapshot %d, replayed %d; want snapshot 6 and nothing replayed", st.ProducerSnapshotOffset, st.ProducerBatchesReplayed)
			}
			if !clean && st.ProducerBatchesReplayed != 3 {
				t.Errorf("crash: replayed %d batches, want 3", st.ProducerBatchesReplayed)
			}
			steps := []prodStep{{pid: 1, seq: 4, records: 2, dup: true, first: 4}}
			if !clean {
				// Rebuilt from the log, all recent batches are known again.
				steps = append(steps, prodStep{pid: 1, seq: 0, records: 2, dup: true, first: 0})
			}
			steps = append(steps, prodStep{pid: 1, seq: 7, records: 1, want: ErrOutOfOrderSequence}, prodStep{pid: 1, seq: 6, records: 1, first: 6})
			runProducerSteps(t, l, now, steps)
			if ps, ok := l.ProducerState(1); !ok || ps.LastSequence != 6 || ps.ProducerEpoch != 0 {
				t.Errorf("producer state %+v, %v", ps, ok)
			}
		})
	}
}

func TestProducerExpiration(t *testing.T) {
	clock := newClock()
	cfg := testConfig()
	cfg.ProducerIDExpirationMs = 60_000
	l := openTestLog(t, t.TempDir(), cfg, clock, Options{})
	defer l.Close()
	now := clock.Now().UnixMilli()
	runProducerSteps(t, l, now, []prodStep{{pid: 1, seq: 0, records: 1, first: 0}})
	if n := l.RemoveExpiredProducers(clock.Now().Add(59 * time.Second)); n != 0 {
		t.Fatalf("expired %d producers too early", n)
	}
	if n := l.RemoveExpiredProducers(clock.Now().Add(61 * time.Second)); n != 1 {
		t.Fatalf("expired %d producers, want 1", n)
	}
	// Forgotten, the producer may continue from any sequence.
	runProducerSteps(t, l, now, []prodStep{{pid: 1, seq: 10, records: 1, first: 1}})
}
