package record

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func equalBytesNull(a, b []byte) bool {
	return (a == nil) == (b == nil) && bytes.Equal(a, b)
}

func equalRecord(got, want Record) error {
	if !equalBytesNull(got.Key, want.Key) {
		return fmt.Errorf("key = %q (nil %v), want %q (nil %v)", got.Key, got.Key == nil, want.Key, want.Key == nil)
	}
	if !equalBytesNull(got.Value, want.Value) {
		return fmt.Errorf("value = %q (nil %v), want %q (nil %v)", got.Value, got.Value == nil, want.Value, want.Value == nil)
	}
	if len(got.Headers) != len(want.Headers) {
		return fmt.Errorf("%d headers, want %d", len(got.Headers), len(want.Headers))
	}
	for i := range got.Headers {
		if !bytes.Equal(got.Headers[i].Key, want.Headers[i].Key) || !equalBytesNull(got.Headers[i].Value, want.Headers[i].Value) {
			return fmt.Errorf("header %d = %q: %q, want %q: %q", i, got.Headers[i].Key, got.Headers[i].Value, want.Headers[i].Key, want.Headers[i].Value)
		}
	}
	if got.Attributes != want.Attributes {
		return fmt.Errorf("attributes = %d, want %d", got.Attributes, want.Attributes)
	}
	return nil
}

func sampleRecords() []Record {
	return []Record{
		{Timestamp: 1_700_000_000_000, Key: []byte("k1"), Value: []byte("v1")},
		{Timestamp: 1_700_000_000_500, Key: nil, Value: []byte("null key")},
		{Timestamp: 1_699_999_999_000, Key: []byte{}, Value: []byte{}}, // empty, older than the first
		{Timestamp: 1_700_000_001_000, Key: []byte("tombstone"), Value: nil},
		{Timestamp: 1_700_000_001_000, Key: []byte("h"), Value: bytes.Repeat([]byte("abc"), 5000),
			Headers: []RecordHeader{{Key: []byte("a"), Value: []byte("1")}, {Key: []byte("null"), Value: nil}, {Key: []byte("empty"), Value: []byte{}}}},
	}
}

// TestBuilderRoundTrip encodes batches with every codec and header
// setting and checks the decoded header and records.
func TestBuilderRoundTrip(t *testing.T) {
	t.Parallel()
	type settings struct {
		name string
		set  func(b *Builder)
	}
	variants := []settings{
		{"defaults", func(b *Builder) {}},
		{"idempotent", func(b *Builder) {
			b.ProducerID, b.ProducerEpoch, b.BaseSequence = 42, 3, 1<<31-3 // last sequence wraps
		}},
		{"transactional", func(b *Builder) {
			b.ProducerID, b.ProducerEpoch, b.BaseSequence, b.Transactional = 7, 1, 0, true
		}},
		{"log append time", func(b *Builder) {
			b.TimestampType, b.LogAppendTime = LogAppendTime, 1_800_000_000_000
		}},
		{"delete horizon", func(b *Builder) { b.DeleteHorizonMs = 1_750_000_000_000 }},
		{"offsets and epoch", func(b *Builder) { b.BaseOffset, b.PartitionLeaderEpoch = 1<<40, 17 }},
	}
	codecs := []Codec{CodecNone, CodecGzip, CodecSnappy, CodecLZ4, CodecZstd}
	for _, codec := range codecs {
		for _, v := range variants {
			t.Run(codec.String()+"/"+v.name, func(t *testing.T) {
				t.Parallel()
				bld := NewBuilder(codec)
				v.set(bld)
				in := sampleRecords()
				for _, r := range in {
					bld.Add(r)
				}
				raw, err := bld.Build()
				if err != nil {
					t.Fatal(err)
				}
				b, err := NewBatch(raw)
				if err != nil {
					t.Fatal(err)
				}
				if len(b.Raw) != len(raw) || !b.ValidCRC() {
					t.Fatalf("batch size %d of %d, CRC valid %v", len(b.Raw), len(raw), b.ValidCRC())
				}
				if err := b.Validate(); err != nil {
					t.Errorf("Validate: %v", err)
				}
				h := b.Header
				if h.Codec() != codec || h.BaseOffset != bld.BaseOffset || h.PartitionLeaderEpoch != bld.PartitionLeaderEpoch ||
					h.ProducerID != bld.ProducerID || h.ProducerEpoch != bld.ProducerEpoch || h.BaseSequence != bld.BaseSequence ||
					h.IsTransactional() != bld.Transactional || h.IsControl() || h.TimestampType() != bld.TimestampType {
					t.Errorf("header %+v does not match builder settings %+v", h, *bld)
				}
				if h.NumRecords != int32(len(in)) || h.LastOffsetDelta != int32(len(in)-1) {
					t.Errorf("numRecords/lastOffsetDelta = %d/%d, want %d/%d", h.NumRecords, h.LastOffsetDelta, len(in), len(in)-1)
				}
				if horizon, ok := h.DeleteHorizonMs(); ok != (bld.DeleteHorizonMs >= 0) || (ok && horizon != bld.DeleteHorizonMs) {
					t.Errorf("delete horizon = %d, %v; want %d", horizon, ok, bld.DeleteHorizonMs)
				}
				wantMax := int64(1_700_000_001_000)
				if bld.TimestampType == LogAppendTime {
					wantMax = bld.LogAppendTime
				}
				if h.MaxTimestamp != wantMax {
					t.Errorf("max timestamp = %d, want %d", h.MaxTimestamp, wantMax)
				}
				if bld.BaseSequence >= 0 && h.LastSequence() != sequenceAdd(bld.BaseSequence, int32(len(in)-1)) {
					t.Errorf("last sequence = %d", h.LastSequence())
				}
				got, err := b.Records()
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(in) {
					t.Fatalf("decoded %d records, want %d", len(got), len(in))
				}
				for i := range in {
					if err := equalRecord(got[i], in[i]); err != nil {
						t.Errorf("record %d: %v", i, err)
					}
					wantTS := in[i].Timestamp
					if bld.TimestampType == LogAppendTime {
						wantTS = bld.LogAppendTime
					}
					if got[i].Timestamp != wantTS || got[i].Offset != bld.BaseOffset+int64(i) || got[i].OffsetDelta != int32(i) {
						t.Errorf("record %d timestamp/offset = %d/%d, want %d/%d", i, got[i].Timestamp, got[i].Offset, wantTS, bld.BaseOffset+int64(i))
					}
					if got[i].Sequence != sequenceAdd(bld.BaseSequence, int32(i)) {
						t.Errorf("record %d sequence = %d", i, got[i].Sequence)
					}
				}
			})
		}
	}
}

func TestBuilderResetAndReuse(t *testing.T) {
	t.Parallel()
	bld := NewBuilder(CodecLZ4)
	var region []byte
	for i := 0; i < 3; i++ {
		bld.Reset()
		bld.BaseOffset = int64(i * 10)
		for j := 0; j <= i; j++ {
			bld.Add(Record{Timestamp: int64(j), Value: []byte{byte(i), byte(j)}})
		}
		var err error
		if region, err = bld.AppendTo(region); err != nil {
			t.Fatal(err)
		}
	}
	it := NewIterator(region)
	n := 0
	for ; it.Next(); n++ {
		h := it.Entry().Header
		if h.BaseOffset != int64(n*10) || h.NumRecords != int32(n+1) || !it.Entry().ValidCRC() {
			t.Errorf("batch %d: base %d count %d crc %v", n, h.BaseOffset, h.NumRecords, it.Entry().ValidCRC())
		}
	}
	if n != 3 || it.Trailing() != 0 || it.Err() != nil {
		t.Errorf("region holds %d batches (trailing %d, err %v), want 3", n, it.Trailing(), it.Err())
	}
}

func TestBuilderEmptyBatch(t *testing.T) {
	t.Parallel()
	raw, err := NewBuilder(CodecNone).Build()
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParseHeader(raw)
	if err != nil || len(raw) != HeaderSize || h.NumRecords != 0 || h.BaseTimestamp != -1 || h.MaxTimestamp != -1 || !ValidCRC(raw) {
		t.Errorf("empty batch: %d bytes, %+v, %v", len(raw), h, err)
	}
}

func TestBuilderOffsetDeltas(t *testing.T) {
	t.Parallel()
	bld := NewBuilder(CodecNone)
	for _, d := range []int32{0, 3, 9} {
		if err := bld.AddWithOffsetDelta(d, Record{Value: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := bld.AddWithOffsetDelta(9, Record{}); err == nil {
		t.Errorf("AddWithOffsetDelta accepted a repeated delta")
	}
	raw, _ := bld.Build()
	b, _ := NewBatch(raw)
	recs, err := b.Records()
	if err != nil {
		t.Fatal(err)
	}
	if b.LastOffsetDelta != 9 || len(recs) != 3 || recs[1].Offset != 3 || recs[2].Offset != 9 {
		t.Errorf("last delta %d, offsets %v", b.LastOffsetDelta, recs)
	}
	// A gap is legal in a stored batch but not in a produce request.
	if err := b.Validate(); !errors.Is(err, ErrInvalidRecord) {
		t.Errorf("Validate(gapped) = %v, want ErrInvalidRecord", err)
	}
}

func TestBuilderRejectsBadSettings(t *testing.T) {
	t.Parallel()
	bld := NewBuilder(Codec(5))
	if _, err := bld.Build(); !errors.Is(err, ErrBadCodec) {
		t.Errorf("Build with codec 5 = %v, want ErrBadCodec", err)
	}
	bld = NewBuilder(CodecNone)
	bld.TimestampType = NoTimestampType
	if _, err := bld.Build(); err == nil {
		t.Errorf("Build with NoTimestampType succeeded")
	}
}

// TestBuilderReproducesKafkaBytes re-encodes uncompressed batches written
// by real brokers and producers and expects identical bytes.
func TestBuilderReproducesKafkaBytes(t *testing.T) {
	t.Parallel()
	for _, p := range []string{fxShinHeaders, fxLDIPatient, fxLDIOffsets, fxVoloOffsets32, fxVoloOffsets17, fxLDIBootstrap, fxVitor47, fxGoV2} {
		t.Run(p, func(t *testing.T) {
			n := 0
			for it := NewIterator(fixture(t, p)); it.Next(); n++ {
				b, _ := it.Entry().Batch()
				if b.Codec() != CodecNone {
					continue
				}
				bld := NewBuilder(CodecNone)
				bld.BaseOffset, bld.PartitionLeaderEpoch = b.BaseOffset, b.PartitionLeaderEpoch
				bld.ProducerID, bld.ProducerEpoch, bld.BaseSequence = b.ProducerID, b.ProducerEpoch, b.BaseSequence
				bld.Transactional, bld.Control = b.IsTransactional(), b.IsControl()
				bld.TimestampType, bld.LogAppendTime = b.TimestampType(), b.MaxTimestamp
				err := b.EachRecord(func(r *Record) error { return bld.AddWithOffsetDelta(r.OffsetDelta, *r) })
				if err != nil {
					t.Fatal(err)
				}
				out, err := bld.Build()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(out, b.Raw) {
					t.Fatalf("batch %d at offset %d re-encodes differently:\n got % x\nwant % x", n, b.BaseOffset, out[:min(len(out), 80)], b.Raw[:min(len(b.Raw), 80)])
				}
			}
		})
	}
}

func TestEndTxnMarkerBatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		commit bool
		want   ControlType
	}{
		{"commit", true, ControlCommit},
		{"abort", false, ControlAbort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := AppendEndTxnMarkerBatch(nil, EndTxnMarkerBatch{
				BaseOffset: 500, PartitionLeaderEpoch: 4, ProducerID: 9001, ProducerEpoch: 2,
				Commit: tt.commit, CoordinatorEpoch: 5, Timestamp: 1_700_000_000_000,
			})
			b, err := NewBatch(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !b.IsControl() || !b.IsTransactional() || b.BaseSequence != -1 || b.ProducerID != 9001 || b.ProducerEpoch != 2 ||
				b.NumRecords != 1 || b.LastOffsetDelta != 0 || b.PartitionLeaderEpoch != 4 || !b.ValidCRC() {
				t.Errorf("marker header %+v", b.Header)
			}
			recs, err := b.Records()
			if err != nil {
				t.Fatal(err)
			}
			k, err := ParseControlKey(recs[0].Key)
			if err != nil || k != (ControlKey{Version: 0, Type: tt.want}) {
				t.Errorf("control key = %+v, %v; want version 0 type %v", k, err, tt.want)
			}
			m, err := ParseEndTxnMarker(recs[0].Value)
			if err != nil || m != (EndTxnMarker{Version: 0, CoordinatorEpoch: 5}) {
				t.Errorf("marker = %+v, %v; want version 0 epoch 5", m, err)
			}
			if recs[0].Offset != 500 || recs[0].Timestamp != 1_700_000_000_000 {
				t.Errorf("marker record offset/timestamp = %d/%d", recs[0].Offset, recs[0].Timestamp)
			}
		})
	}
}

func TestControlRecordParsing(t *testing.T) {
	t.Parallel()
	keys := []struct {
		name string
		in   []byte
		want ControlKey
		err  bool
	}{
		{"commit", []byte{0, 0, 0, 1}, ControlKey{0, ControlCommit}, false},
		{"kraft voters", []byte{0, 0, 0, 6}, ControlKey{0, ControlKRaftVoters}, false},
		{"newer version with extra bytes", []byte{0, 1, 0, 2, 9, 9}, ControlKey{1, ControlLeaderChange}, false},
		{"null", nil, ControlKey{}, true},
		{"short", []byte{0, 0, 0}, ControlKey{}, true},
		{"negative version", []byte{0xff, 0xff, 0, 0}, ControlKey{}, true},
	}
	for _, tt := range keys {
		t.Run("key/"+tt.name, func(t *testing.T) {
			got, err := ParseControlKey(tt.in)
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("ParseControlKey = %+v, %v; want %+v (error %v)", got, err, tt.want, tt.err)
			}
			if err != nil && !errors.Is(err, ErrInvalidRecord) {
				t.Errorf("error %v does not wrap ErrInvalidRecord", err)
			}
		})
	}
	values := []struct {
		name string
		in   []byte
		want EndTxnMarker
		err  bool
	}{
		{"epoch 5", []byte{0, 0, 0, 0, 0, 5}, EndTxnMarker{0, 5}, false},
		{"negative epoch", []byte{0, 0, 0xff, 0xff, 0xff, 0xff}, EndTxnMarker{0, -1}, false},
		{"null", nil, EndTxnMarker{}, true},
		{"short", []byte{0, 0, 0, 0, 5}, EndTxnMarker{}, true},
		{"negative version", []byte{0x80, 0, 0, 0, 0, 5}, EndTxnMarker{}, true},
	}
	for _, tt := range values {
		t.Run("marker/"+tt.name, func(t *testing.T) {
			got, err := ParseEndTxnMarker(tt.in)
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("ParseEndTxnMarker = %+v, %v; want %+v (error %v)", got, err, tt.want, tt.err)
			}
		})
	}
	names := map[ControlType]string{ControlAbort: "ABORT", ControlCommit: "COMMIT", ControlLeaderChange: "LEADER_CHANGE",
		ControlSnapshotHeader: "SNAPSHOT_HEADER", ControlSnapshotFooter: "SNAPSHOT_FOOTER", ControlKRaftVersion: "KRAFT_VERSION",
		ControlKRaftVoters: "KRAFT_VOTERS", 99: "UNKNOWN"}
	for ct, want := range names {
		if got := ct.String(); got != want {
			t.Errorf("ControlType(%d).String() = %q, want %q", ct, got, want)
		}
	}
}
