package record

import (
	"bytes"
	"fmt"
	"testing"
)

// scanByDecoding is the reference ScanRecords must agree with: EachRecord
// with the produce path's offset-delta check, and the largest timestamp.
func scanByDecoding(b Batch, area []byte) (int64, bool) {
	var r Record
	want := int32(0)
	maxTs := int64(-1)
	err := eachRecord(b.Header, area, &r, func(r *Record) error {
		if r.OffsetDelta != want {
			return fmt.Errorf("offset delta %d, want %d", r.OffsetDelta, want)
		}
		want++
		maxTs = max(maxTs, r.Timestamp)
		return nil
	})
	return maxTs, err == nil
}

func TestScanRecords(t *testing.T) {
	t.Parallel()
	attrs := []byte{0}
	zero := vi(0)
	good := rec(attrs, zero, zero, vi(1), []byte("k"), vi(1), []byte("v"), zero)
	second := rec(attrs, vi(-400), vi(1), vi(-1), vi(-1), zero)
	withTs := rec(attrs, vi(700), zero, vi(-1), vi(2), []byte("vv"), vi(1), vi(1), []byte("h"), vi(-1))
	tests := []struct {
		name   string
		area   []byte
		count  int32
		logApp bool
		wantOK bool
		wantTs int64
	}{
		{"one good record", good, 1, false, true, 1000},
		{"two records, second older", append(bytes.Clone(good), second...), 2, false, true, 1000},
		{"timestamp from the delta", withTs, 1, false, true, 1700},
		{"log append time uses max timestamp", withTs, 1, true, true, 5555},
		{"no records", nil, 0, false, true, -1},
		{"count too high", good, 2, false, false, 0},
		{"count too low", append(bytes.Clone(good), good...), 1, false, false, 0},
		{"negative count", good, -1, false, false, 0},
		{"zero records with bytes", good, 0, false, false, 0},
		{"repeated offset delta", append(bytes.Clone(good), good...), 2, false, false, 0},
		{"offset delta starts at 1", second, 1, false, false, 0},
		{"record length overruns area", append(vi(50), good[1:]...), 1, false, false, 0},
		{"negative record length", append(vi(-3), good[1:]...), 1, false, false, 0},
		{"record length longer than fields", rec(attrs, zero, zero, vi(-1), vi(-1), zero, []byte{0}), 1, false, false, 0},
		{"key length below -1", rec(attrs, zero, zero, vi(-2), vi(-1), zero), 1, false, false, 0},
		{"key overruns record", rec(attrs, zero, zero, vi(9), []byte("k"), vi(-1), zero), 1, false, false, 0},
		{"negative header count", rec(attrs, zero, zero, vi(-1), vi(-1), vi(-1)), 1, false, false, 0},
		{"huge header count", rec(attrs, zero, zero, vi(-1), vi(-1), vi(1<<30)), 1, false, false, 0},
		{"null header key", rec(attrs, zero, zero, vi(-1), vi(-1), vi(1), vi(-1), vi(-1)), 1, false, false, 0},
		{"varint too long", rec(attrs, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, zero, vi(-1), vi(-1), zero), 1, false, false, 0},
		{"offset delta overflows int32", rec(attrs, zero, []byte{0xff, 0xff, 0xff, 0xff, 0x1f}, vi(-1), vi(-1), zero), 1, false, false, 0},
		{"truncated in attributes", vi(0), 1, false, false, 0},
		{"truncated in timestamp delta", append(vi(2), 0, 0x80), 1, false, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := rawBatch(tt.area, tt.count, CodecNone)
			if tt.logApp {
				raw[offAttributes+1] |= attrLogAppendTime
				raw[offMaxTimestamp+6], raw[offMaxTimestamp+7] = 0x15, 0xb3 // 5555
			}
			b, err := NewBatch(raw)
			if err != nil {
				t.Fatal(err)
			}
			ts, ok := ScanRecords(b.Header, b.RecordsArea())
			if ok != tt.wantOK || (ok && ts != tt.wantTs) {
				t.Errorf("ScanRecords = %d, %v; want %d, %v", ts, ok, tt.wantTs, tt.wantOK)
			}
			refTs, refOK := scanByDecoding(b, b.RecordsArea())
			if refOK != ok || (ok && refTs != ts) {
				t.Errorf("decoding gives %d, %v; ScanRecords %d, %v", refTs, refOK, ts, ok)
			}
		})
	}
}

func TestScanRecordsFixtures(t *testing.T) {
	t.Parallel()
	batches, _ := fixtureEntries(t)
	d := Decoder{MaxDecompressedSize: fuzzLimit}
	for i, raw := range batches {
		b, err := NewBatch(raw)
		if err != nil {
			t.Fatal(err)
		}
		area, err := d.RecordsArea(b)
		if err != nil {
			continue
		}
		ts, ok := ScanRecords(b.Header, area)
		refTs, refOK := scanByDecoding(b, area)
		if ok != refOK || ts != refTs {
			t.Errorf("batch %d (%s, %d records): ScanRecords %d, %v; decoding %d, %v", i, b.Codec(), b.NumRecords, ts, ok, refTs, refOK)
		}
	}
}

func TestScanRecordsDoesNotAllocate(t *testing.T) {
	bld := NewBuilder(CodecNone)
	for i := range 100 {
		bld.Add(Record{Timestamp: int64(1000 + i), Key: []byte("key"), Value: bytes.Repeat([]byte("v"), 100),
			Headers: []RecordHeader{{Key: []byte("h"), Value: []byte("x")}}})
	}
	raw, err := bld.Build()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewBatch(raw)
	allocs := testing.AllocsPerRun(100, func() {
		if _, ok := ScanRecords(b.Header, b.RecordsArea()); !ok {
			t.Fatal("valid batch rejected")
		}
	})
	if allocs != 0 {
		t.Errorf("ScanRecords allocates %v times per batch, want 0", allocs)
	}
}

// FuzzScanRecords checks that the structural walk accepts exactly the
// records areas that decoding accepts, and finds the same largest
// timestamp.
func FuzzScanRecords(f *testing.F) {
	batches, _ := fixtureEntries(f)
	f.Add([]byte{}, int32(0), uint8(0), int64(0))
	d := Decoder{MaxDecompressedSize: fuzzLimit}
	for i, raw := range batches {
		if i > 40 {
			break
		}
		b, _ := NewBatch(raw)
		area, err := d.RecordsArea(b)
		if err != nil {
			continue
		}
		area = bytes.Clone(area)
		attrs := uint8(b.Attributes) &^ attrCodecMask
		f.Add(area, b.NumRecords, attrs, b.BaseTimestamp)
		f.Add(area[:len(area)/2], b.NumRecords, attrs, b.BaseTimestamp)
		f.Add(area[:max(len(area)-1, 0)], b.NumRecords, attrs, b.BaseTimestamp)
		f.Add(append(bytes.Clone(area), 0, 1, 2), b.NumRecords, attrs, b.BaseTimestamp)
	}
	f.Fuzz(func(t *testing.T, area []byte, count int32, attrs uint8, baseTs int64) {
		raw := rawBatch(area, count, CodecNone)
		raw[offAttributes+1] = attrs &^ (attrControl | attrCodecMask)
		b, err := NewBatch(raw)
		if err != nil {
			t.Fatalf("NewBatch on a well-formed header: %v", err)
		}
		b.BaseTimestamp = baseTs
		ts, ok := ScanRecords(b.Header, b.RecordsArea())
		refTs, refOK := scanByDecoding(b, b.RecordsArea())
		if ok != refOK {
			t.Fatalf("ScanRecords ok=%v, decoding ok=%v", ok, refOK)
		}
		if ok && ts != refTs {
			t.Fatalf("ScanRecords max timestamp %d, decoding %d", ts, refTs)
		}
	})
}
