package log

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/kafkakit/kafkakit/internal/record"
)

// withRecordsArea returns a copy of the v2 batch raw with its records
// area replaced, its record count and last offset delta set, its codec
// bits replaced, and its length and CRC made consistent, so that only the
// records themselves can be wrong.
func withRecordsArea(raw, area []byte, count int32, codec record.Codec) []byte {
	b := append(bytes.Clone(raw[:record.HeaderSize]), area...)
	binary.BigEndian.PutUint32(b[8:], uint32(len(b)-record.LogOverhead))
	binary.BigEndian.PutUint32(b[23:], uint32(count-1))
	binary.BigEndian.PutUint32(b[57:], uint32(count))
	attrs := binary.BigEndian.Uint16(b[21:])
	binary.BigEndian.PutUint16(b[21:], attrs&^7|uint16(codec))
	binary.BigEndian.PutUint32(b[17:], record.ComputeCRC(b))
	return b
}

// validatePair validates raw as a client batch on a log that may take the
// structural walk and on one that always decodes, and fails the test if
// they disagree on the outcome, the error or the batch's max timestamp.
func validatePair(t testing.TB, fast, slow *Log, raw []byte) error {
	t.Helper()
	cfg := fast.config()
	var outs [2]struct {
		err   error
		maxTs int64
	}
	for i, l := range []*Log{fast, slow} {
		batches, err := splitBatches(nil, bytes.Clone(raw))
		if err != nil {
			return err // before validation: the same for both
		}
		err = l.validateClient(batches, cfg, AppendInfo{})
		outs[i].err = err
		if err == nil {
			outs[i].maxTs = batches[0].maxTimestamp
		}
	}
	f, s := outs[0], outs[1]
	switch {
	case (f.err == nil) != (s.err == nil):
		t.Fatalf("structural walk: %v; decoding: %v", f.err, s.err)
	case f.err != nil && f.err.Error() != s.err.Error():
		t.Fatalf("errors differ:\n walk:     %v\n decoding: %v", f.err, s.err)
	case f.maxTs != s.maxTs:
		t.Fatalf("max timestamp: walk %d, decoding %d", f.maxTs, s.maxTs)
	}
	return f.err
}

// validationLogs opens two logs with cfg, the second always decoding.
func validationLogs(t testing.TB, cfg Config) (fast, slow *Log) {
	fast = openTestLog(t, t.TempDir(), cfg, nil, Options{})
	slow = openTestLog(t, t.TempDir(), cfg, nil, Options{})
	slow.decodeToValidate = true
	t.Cleanup(func() { fast.Close(); slow.Close() })
	return fast, slow
}

func TestValidateWalkMatchesDecoding(t *testing.T) {
	t.Parallel()
	now := time.Now().UnixMilli()
	valid := makeBatch(t, batchSpec{records: 5, valueSize: 100, timestamp: now})
	lz4 := makeBatch(t, batchSpec{records: 5, valueSize: 100, timestamp: now, codec: record.CodecLZ4})
	zstd := makeBatch(t, batchSpec{records: 50, valueSize: 100, timestamp: now, codec: record.CodecZstd, keys: true})
	area := valid[record.HeaderSize:]
	first := area[:len(area)/5] // one record of the five: equal sizes
	twice := append(bytes.Clone(first), first...)
	lz4Area, _ := record.Compress(nil, record.CodecLZ4, twice)
	logAppend := testConfig()
	logAppend.MessageTimestampType = LogAppendTime
	for _, tc := range []struct {
		name    string
		cfg     Config
		raw     []byte
		wantErr bool
	}{
		{name: "valid", cfg: testConfig(), raw: valid},
		{name: "valid lz4", cfg: testConfig(), raw: lz4},
		{name: "valid zstd", cfg: testConfig(), raw: zstd},
		{name: "valid on a LogAppendTime topic", cfg: logAppend, raw: valid},
		{name: "header count above the records", cfg: testConfig(), raw: withRecordsArea(valid, area, 6, record.CodecNone), wantErr: true},
		{name: "header count below the records", cfg: testConfig(), raw: withRecordsArea(valid, area, 4, record.CodecNone), wantErr: true},
		{name: "repeated offset delta", cfg: testConfig(), raw: withRecordsArea(valid, twice, 2, record.CodecNone), wantErr: true},
		{name: "repeated offset delta in lz4", cfg: testConfig(), raw: withRecordsArea(valid, lz4Area, 2, record.CodecLZ4), wantErr: true},
		{name: "truncated record", cfg: testConfig(), raw: withRecordsArea(valid, area[:len(area)-3], 5, record.CodecNone), wantErr: true},
		{name: "garbage after the records", cfg: testConfig(), raw: withRecordsArea(valid, append(bytes.Clone(area), 0, 0), 5, record.CodecNone), wantErr: true},
		{name: "corrupt lz4", cfg: testConfig(), raw: withRecordsArea(valid, lz4Area[:len(lz4Area)-6], 2, record.CodecLZ4), wantErr: true},
		{name: "records that are not compressed as the header says", cfg: testConfig(), raw: withRecordsArea(valid, area, 5, record.CodecZstd), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fast, slow := validationLogs(t, tc.cfg)
			err := validatePair(t, fast, slow, tc.raw)
			if (err != nil) != tc.wantErr {
				t.Errorf("got error %v, want error: %v", err, tc.wantErr)
			}
		})
	}
}

// TestValidateWalkTakenOnlyWhenAllowed checks that the checks needing the
// record fields still run: compaction keys, the timestamp window.
func TestValidateWalkTakenOnlyWhenAllowed(t *testing.T) {
	t.Parallel()
	now := time.Now().UnixMilli()
	compact := testConfig()
	compact.CleanupPolicy = "compact"
	window := testConfig()
	window.MessageTimestampBeforeMaxMs = 3_600_000
	for _, tc := range []struct {
		name string
		cfg  Config
		raw  []byte
	}{
		{name: "keyless record on a compacted topic", cfg: compact, raw: makeBatch(t, batchSpec{records: 3, timestamp: now})},
		{name: "timestamp outside the window", cfg: window, raw: makeBatch(t, batchSpec{records: 3, timestamp: now - 7_200_000})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := openTestLog(t, t.TempDir(), tc.cfg, nil, Options{})
			defer l.Close()
			if _, err := l.Append(tc.raw, AppendInfo{}); err == nil {
				t.Fatal("append accepted, want the record rejected")
			}
		})
	}
}

func TestAppendDoesNotAllocate(t *testing.T) {
	l := openTestLog(t, t.TempDir(), testConfig(), nil, Options{})
	defer l.Close()
	batch := makeBatch(t, batchSpec{records: 50, valueSize: 100, timestamp: time.Now().UnixMilli()})
	mustAppend(t, l, batch) // the first append creates the segment
	allocs := testing.AllocsPerRun(200, func() {
		record.SetBaseOffset(batch, 0)
		if _, err := l.Append(batch, AppendInfo{}); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Append allocates %v times per batch, want 0", allocs)
	}
}

// FuzzValidateWalk validates arbitrary records areas under a well-formed
// header, with any codec, through the structural walk and by decoding:
// both must accept the same batches, report the same error and find the
// same max timestamp.
func FuzzValidateWalk(f *testing.F) {
	now := time.Now().UnixMilli()
	for _, spec := range []batchSpec{
		{records: 3, valueSize: 20, timestamp: now},
		{records: 2, valueSize: 10, timestamp: now, keys: true, codec: record.CodecLZ4},
		{records: 4, valueSize: 10, timestamp: now, codec: record.CodecZstd},
		{records: 2, valueSize: 10, timestamp: now, codec: record.CodecSnappy},
	} {
		raw := makeBatch(f, spec)
		area := raw[record.HeaderSize:]
		n := int32(spec.records)
		c := uint8(spec.codec)
		f.Add([]byte{}, n, c)
		f.Add(area, n, c)
		f.Add(area[:len(area)-1], n, c)
		f.Add(area[:len(area)/2], n, c)
		f.Add(append(bytes.Clone(area), "garbage"...), n, c)
	}
	template := makeBatch(f, batchSpec{records: 1, timestamp: now})
	fast, slow := validationLogs(f, testConfig())
	f.Fuzz(func(t *testing.T, area []byte, count int32, codec uint8) {
		raw := withRecordsArea(template, area, count, record.Codec(codec%5))
		validatePair(t, fast, slow, raw)
	})
}
