package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// regionStats decodes every record of every entry in a region.
type regionStats struct {
	records, legacy       int
	nullKeys, nullValues  int
	withHeaders           int
	keyVersions           map[int16]int // first int16 of non-control keys
	controlTypes          map[ControlType]int
	offsets               []int64
	invalidMessageCRCs    int
	legacyTimestampTypes  map[TimestampType]int
	firstV2Record         *Record
	firstBootstrapPayload []byte
}

func decodeRegion(t *testing.T, b []byte) regionStats {
	t.Helper()
	s := regionStats{keyVersions: map[int16]int{}, controlTypes: map[ControlType]int{}, legacyTimestampTypes: map[TimestampType]int{}}
	var d Decoder
	it := NewIterator(b)
	for it.Next() {
		e := it.Entry()
		if batch, ok := e.Batch(); ok {
			err := d.EachRecord(batch, func(r *Record) error {
				s.records++
				s.offsets = append(s.offsets, r.Offset)
				if r.Offset < batch.BaseOffset || r.Offset > batch.LastOffset() {
					t.Errorf("record offset %d outside batch [%d, %d]", r.Offset, batch.BaseOffset, batch.LastOffset())
				}
				if r.Key == nil {
					s.nullKeys++
				}
				if r.Value == nil {
					s.nullValues++
				}
				if len(r.Headers) > 0 {
					s.withHeaders++
				}
				if batch.IsControl() {
					k, err := ParseControlKey(r.Key)
					if err != nil {
						t.Errorf("control key at offset %d: %v", r.Offset, err)
					}
					s.controlTypes[k.Type]++
				} else if len(r.Key) >= 2 {
					s.keyVersions[int16(binary.BigEndian.Uint16(r.Key))]++
				}
				if s.firstV2Record == nil {
					c := *r
					c.Headers = append([]RecordHeader(nil), r.Headers...)
					s.firstV2Record = &c
				}
				return nil
			})
			if err != nil {
				t.Fatalf("batch at %d: %v", e.Position, err)
			}
			continue
		}
		err := d.EachLegacyMessage(e.Raw, func(m *LegacyMessage) error {
			s.legacy++
			s.offsets = append(s.offsets, m.Offset)
			if !m.ValidCRC() {
				s.invalidMessageCRCs++
			}
			if m.Key == nil {
				s.nullKeys++
			}
			s.legacyTimestampTypes[m.TimestampType]++
			return nil
		})
		if err != nil {
			t.Fatalf("legacy entry at %d: %v", e.Position, err)
		}
	}
	if it.Err() != nil {
		t.Fatalf("iterate: %v", it.Err())
	}
	return s
}

func consecutive(offsets []int64, first int64) bool {
	for i, o := range offsets {
		if o != first+int64(i) {
			return false
		}
	}
	return true
}

// TestRecordsFixtures decodes every record of the real files and checks the
// totals SOURCES.md lists.
func TestRecordsFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		path        string
		records     int // v2 records
		legacy      int // legacy messages after deep iteration
		nullKeys    int
		nullValues  int
		withHeaders int
		keyVersions map[int16]int
		control     map[ControlType]int
		firstOffset int64 // offsets must run consecutively from here; -1 skips
	}{
		{"ldi metadata", fxLDIMetadata, 4929, 0, 4928, 0, 0, nil, map[ControlType]int{ControlLeaderChange: 1}, 0},
		{"ldi consumer offsets", fxLDIOffsets, 13, 0, 0, 0, 0, map[int16]int{1: 7, 2: 6}, nil, 0},
		{"ldi idempotent", fxLDIPatient, 3, 0, 3, 0, 0, nil, nil, 0},
		{"ldi bootstrap", fxLDIBootstrap, 3, 0, 1, 0, 0, nil, map[ControlType]int{ControlSnapshotHeader: 1, ControlSnapshotFooter: 1}, 0},
		{"ronem metadata", fxRonemMetadata, 12156, 0, -1, 0, 0, nil, nil, 1725413},
		// SOURCES.md says the data batch has 66 records; it has 64, and the
		// leading control batch holds SnapshotHeader, KRaftVersion and
		// KRaftVoters records (68 records, offsets 0-67).
		{"ronem snapshot", fxRonemSnapshot, 68, 0, 64, 0, 0, nil, map[ControlType]int{ControlSnapshotHeader: 1, ControlKRaftVersion: 1, ControlKRaftVoters: 1, ControlSnapshotFooter: 1}, 0},
		{"ronem bootstrap", fxRonemBoot, 6, 0, 4, 0, 0, nil, map[ControlType]int{ControlSnapshotHeader: 1, ControlSnapshotFooter: 1}, 0},
		{"shinhagunn headers", fxShinHeaders, 9, 0, 9, 0, 9, nil, nil, 0},
		{"vitor segment 0", fxVitor0, 47, 0, 0, 0, 0, nil, nil, 0},
		{"vitor segment 47", fxVitor47, 13, 0, 0, 0, 0, nil, nil, 47},
		{"volo offsets 12", fxVoloOffsets12, 470, 0, 0, 0, 0, map[int16]int{1: 462, 2: 8}, nil, 0},
		{"volo offsets 17 tombstone", fxVoloOffsets17, 3, 0, 0, 1, 0, map[int16]int{2: 3}, nil, 0},
		{"volo offsets 32", fxVoloOffsets32, 50, 0, 0, 0, 0, map[int16]int{1: 48, 2: 2}, nil, 0},
		{"volo first_topic-0", fxVoloFirst0, 11, 0, 11, 0, 0, nil, nil, 0},
		{"volo first_topic-1", fxVoloFirst1, 12, 0, 12, 0, 0, nil, nil, 0},
		{"codecrafters go", fxCCGo, 3, 0, -1, -1, -1, nil, nil, -1},
		{"codecrafters gleam", fxCCGleam, 4, 0, -1, -1, -1, nil, nil, -1},
		{"kafka-go v1 plain", fxGoV1, 0, 4, 0, 0, 0, nil, nil, 0},
		{"kafka-go v1 gzip wrappers", fxGoV1cV1c, 0, 4, 0, 0, 0, nil, nil, 0},
		{"kafka-go v1c v1 v1c", fxGoV1cV1V1c, 0, 6, 0, 0, 0, nil, nil, 0},
		{"kafka-go v2 gzip", fxGoV2cV2c, 4, 0, 0, 0, 0, nil, nil, 0},
		{"kafka-go v2c v2 v2c", fxGoV2cV2V2c, 6, 0, 0, 0, 0, nil, nil, 0},
		{"kafka-go v2bc v1 v1c", fxGoV2bcV1V1c, 2, 4, 0, 0, 0, nil, nil, 0},
		{"kafka-go mixed magic", fxGoMixed, 12, 8, 0, 0, 0, nil, nil, 0},
		{"kafka-rust v0 plain", fxRustPlain, 0, 42, 42, 0, 0, nil, nil, 0},
		{"kafka-rust v0 gzip", fxRustGzip, 0, 42, 42, 0, 0, nil, nil, 0},
		{"kafka-rust v0 snappy xerial", fxRustSnappy, 0, 42, 42, 0, 0, nil, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := decodeRegion(t, fixture(t, tt.path))
			if s.records != tt.records || s.legacy != tt.legacy {
				t.Errorf("v2 records/legacy messages = %d/%d, want %d/%d", s.records, s.legacy, tt.records, tt.legacy)
			}
			if tt.nullKeys >= 0 && s.nullKeys != tt.nullKeys {
				t.Errorf("null keys = %d, want %d", s.nullKeys, tt.nullKeys)
			}
			if tt.nullValues >= 0 && s.nullValues != tt.nullValues {
				t.Errorf("null values = %d, want %d", s.nullValues, tt.nullValues)
			}
			if tt.withHeaders >= 0 && s.withHeaders != tt.withHeaders {
				t.Errorf("records with headers = %d, want %d", s.withHeaders, tt.withHeaders)
			}
			for v, n := range tt.keyVersions {
				if s.keyVersions[v] != n {
					t.Errorf("keys with version %d = %d, want %d", v, s.keyVersions[v], n)
				}
			}
			if len(s.controlTypes) != len(tt.control) {
				t.Errorf("control types = %v, want %v", s.controlTypes, tt.control)
			}
			for ct, n := range tt.control {
				if s.controlTypes[ct] != n {
					t.Errorf("%v control records = %d, want %d", ct, s.controlTypes[ct], n)
				}
			}
			if s.invalidMessageCRCs != 0 {
				t.Errorf("%d legacy messages with invalid CRC", s.invalidMessageCRCs)
			}
			if tt.firstOffset >= 0 && !consecutive(s.offsets, tt.firstOffset) {
				t.Errorf("offsets are not consecutive from %d: %v", tt.firstOffset, s.offsets)
			}
		})
	}
}

// TestRecordFieldExamples pins the two record examples the format
// reference walks through byte by byte.
func TestRecordFieldExamples(t *testing.T) {
	t.Parallel()
	t.Run("bootstrap metadata.version record", func(t *testing.T) {
		b := fixture(t, fxLDIBootstrap)
		it := NewIterator(b)
		it.Next()
		it.Next() // the data batch between SnapshotHeader and SnapshotFooter
		batch, _ := it.Entry().Batch()
		recs, err := batch.Records()
		if err != nil || len(recs) != 1 {
			t.Fatalf("Records() = %d records, %v; want 1", len(recs), err)
		}
		r := recs[0]
		want := append([]byte{0x01, 0x0c, 0x00, 0x11}, "metadata.version\x00\x13\x00"...)
		if r.Key != nil || !bytes.Equal(r.Value, want) || r.OffsetDelta != 0 || r.TimestampDelta != 0 || r.Attributes != 0 {
			t.Errorf("record = key %v value % x deltas %d/%d, want null key, value % x, zero deltas", r.Key, r.Value, r.OffsetDelta, r.TimestampDelta, want)
		}
		if len(r.Value) != 23 || r.Offset != 1 {
			t.Errorf("value length %d offset %d, want 23 and 1", len(r.Value), r.Offset)
		}
	})
	t.Run("record header", func(t *testing.T) {
		batch, err := NewBatch(firstBatch(t, fxShinHeaders))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := batch.Records()
		if err != nil || len(recs) != 1 {
			t.Fatalf("Records() = %d records, %v; want 1", len(recs), err)
		}
		r := recs[0]
		if r.Key != nil || string(r.Value) != "Hello Go!" || len(r.Headers) != 1 {
			t.Fatalf("record = key %q value %q %d headers, want null, Hello Go!, 1", r.Key, r.Value, len(r.Headers))
		}
		h := r.Headers[0]
		if string(h.Key) != "myTestHeader" || string(h.Value) != "header values are binary" {
			t.Errorf("header = %q: %q, want myTestHeader: header values are binary", h.Key, h.Value)
		}
		if r.Timestamp != batch.BaseTimestamp || r.Sequence != -1 {
			t.Errorf("timestamp %d sequence %d, want %d and -1", r.Timestamp, r.Sequence, batch.BaseTimestamp)
		}
	})
	t.Run("tombstone", func(t *testing.T) {
		b := fixture(t, fxVoloOffsets17)
		it := NewIterator(b)
		for i := 0; i < 3; i++ {
			it.Next()
		}
		batch, _ := it.Entry().Batch()
		recs, err := batch.Records()
		if err != nil || len(recs) != 1 || recs[0].Value != nil || recs[0].Key == nil {
			t.Fatalf("third record: %+v, %v; want a keyed tombstone", recs, err)
		}
	})
}

// TestLegacyWrapperOffsets checks relative inner offsets of magic 1
// wrappers and absolute ones of magic 0 against the captures.
func TestLegacyWrapperOffsets(t *testing.T) {
	t.Parallel()
	type msg struct {
		offset int64
		key    string
	}
	collect := func(t *testing.T, path string, wrapperOffset int64) []msg {
		var out []msg
		for it := NewIterator(fixture(t, path)); it.Next(); {
			e := it.Entry()
			if e.Magic == 2 || e.Legacy.Offset != wrapperOffset {
				continue
			}
			err := EachLegacyMessage(e.Raw, func(m *LegacyMessage) error {
				out = append(out, msg{m.Offset, string(m.Key)})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	t.Run("v1 gzip wrapper at 19 holds 18 and 19", func(t *testing.T) {
		got := collect(t, fxGoMixed, 19)
		want := []msg{{18, "eta"}, {19, "theta"}}
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("inner messages = %v, want %v", got, want)
		}
	})
	t.Run("v0 gzip and snappy wrappers hold 0 to 41", func(t *testing.T) {
		plain := decodeRegion(t, fixture(t, fxRustPlain))
		for _, p := range []string{fxRustGzip, fxRustSnappy} {
			got := collect(t, p, 41)
			if len(got) != 42 || got[0].offset != 0 || got[41].offset != 41 {
				t.Errorf("%s: %d inner messages from %v, want 42 from 0", p, len(got), got[:min(len(got), 1)])
			}
		}
		if !consecutive(plain.offsets, 0) || plain.legacyTimestampTypes[NoTimestampType] != 42 {
			t.Errorf("plain v0 offsets %v timestamp types %v", plain.offsets, plain.legacyTimestampTypes)
		}
	})
	t.Run("compressed and plain captures carry the same values", func(t *testing.T) {
		values := func(path string) [][]byte {
			var out [][]byte
			for it := NewIterator(fixture(t, path)); it.Next(); {
				EachLegacyMessage(it.Entry().Raw, func(m *LegacyMessage) error {
					out = append(out, bytes.Clone(m.Value))
					return nil
				})
			}
			return out
		}
		plain := values(fxRustPlain)
		for _, p := range []string{fxRustGzip, fxRustSnappy} {
			got := values(p)
			if len(got) != len(plain) {
				t.Fatalf("%s: %d values, want %d", p, len(got), len(plain))
			}
			for i := range got {
				if !bytes.Equal(got[i], plain[i]) {
					t.Errorf("%s: value %d = %q, want %q", p, i, got[i], plain[i])
				}
			}
		}
	})
}

// rawBatch wraps a hand-made records area in a valid v2 header.
func rawBatch(area []byte, numRecords int32, codec Codec) []byte {
	b := make([]byte, HeaderSize, HeaderSize+len(area))
	b = append(b, area...)
	binary.BigEndian.PutUint64(b[offBaseOffset:], 100)
	binary.BigEndian.PutUint32(b[offLength:], uint32(len(b)-LogOverhead))
	b[offMagic] = 2
	binary.BigEndian.PutUint16(b[offAttributes:], uint16(codec))
	binary.BigEndian.PutUint32(b[offLastOffsetDelta:], uint32(max(numRecords-1, 0)))
	binary.BigEndian.PutUint64(b[offBaseTimestamp:], 1000)
	binary.BigEndian.PutUint64(b[offMaxTimestamp:], 1000)
	binary.BigEndian.PutUint64(b[offProducerID:], ^uint64(0))
	binary.BigEndian.PutUint16(b[offProducerEpoch:], 0xffff)
	binary.BigEndian.PutUint32(b[offBaseSequence:], 0xffffffff)
	binary.BigEndian.PutUint32(b[offNumRecords:], uint32(numRecords))
	binary.BigEndian.PutUint32(b[offCRC:], ComputeCRC(b))
	return b
}

// rec assembles a record from already-encoded body bytes, prefixing the
// length varint.
func rec(body ...[]byte) []byte {
	var b []byte
	for _, p := range body {
		b = append(b, p...)
	}
	return append(appendVarint(nil, int32(len(b))), b...)
}

func vi(v int32) []byte { return appendVarint(nil, v) }

func TestRecordDecodeStrictness(t *testing.T) {
	t.Parallel()
	attrs := []byte{0}
	zero := vi(0)
	good := rec(attrs, zero, zero, vi(1), []byte("k"), vi(1), []byte("v"), zero)
	tests := []struct {
		name  string
		area  []byte
		count int32
		codec Codec
		want  error
	}{
		{"one good record", good, 1, CodecNone, nil},
		{"count too high", good, 2, CodecNone, ErrInvalidRecord},
		{"count too low", append(bytes.Clone(good), good...), 1, CodecNone, ErrInvalidRecord},
		{"negative count", good, -1, CodecNone, ErrInvalidRecord},
		{"zero records with bytes", good, 0, CodecNone, ErrInvalidRecord},
		{"record length overruns area", append(vi(50), good[1:]...), 1, CodecNone, ErrInvalidRecord},
		{"negative record length", append(vi(-3), good[1:]...), 1, CodecNone, ErrInvalidRecord},
		{"record length longer than fields", rec(attrs, zero, zero, vi(-1), vi(-1), zero, []byte{0}), 1, CodecNone, ErrInvalidRecord},
		{"key length below -1", rec(attrs, zero, zero, vi(-2), vi(-1), zero), 1, CodecNone, ErrInvalidRecord},
		{"key overruns record", rec(attrs, zero, zero, vi(9), []byte("k"), vi(-1), zero), 1, CodecNone, ErrInvalidRecord},
		{"negative header count", rec(attrs, zero, zero, vi(-1), vi(-1), vi(-1)), 1, CodecNone, ErrInvalidRecord},
		{"huge header count", rec(attrs, zero, zero, vi(-1), vi(-1), vi(1<<30)), 1, CodecNone, ErrInvalidRecord},
		{"null header key", rec(attrs, zero, zero, vi(-1), vi(-1), vi(1), vi(-1), vi(-1)), 1, CodecNone, ErrInvalidRecord},
		{"varint too long", rec(attrs, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, zero, vi(-1), vi(-1), zero), 1, CodecNone, ErrInvalidRecord},
		{"offset delta overflows int32", rec(attrs, zero, []byte{0xff, 0xff, 0xff, 0xff, 0x1f}, vi(-1), vi(-1), zero), 1, CodecNone, ErrInvalidRecord},
		{"truncated in attributes", vi(0), 1, CodecNone, ErrInvalidRecord},
		{"unknown codec", good, 1, Codec(6), ErrBadCodec},
		{"garbage gzip", good, 1, CodecGzip, ErrCorruptCompressed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewBatch(rawBatch(tt.area, tt.count, tt.codec))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			err = b.EachRecord(func(*Record) error { n++; return nil })
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("EachRecord error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRecordNullAndEmpty(t *testing.T) {
	t.Parallel()
	zero := vi(0)
	area := rec([]byte{0}, zero, zero, vi(0), vi(-1), vi(2), vi(1), []byte("a"), vi(-1), vi(1), []byte("b"), vi(0))
	b, err := NewBatch(rawBatch(area, 1, CodecNone))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := b.Records()
	if err != nil {
		t.Fatal(err)
	}
	r := recs[0]
	if r.Key == nil || len(r.Key) != 0 {
		t.Errorf("key = %#v, want empty non-nil", r.Key)
	}
	if r.Value != nil {
		t.Errorf("value = %#v, want nil (null)", r.Value)
	}
	if len(r.Headers) != 2 || r.Headers[0].Value != nil || r.Headers[1].Value == nil || len(r.Headers[1].Value) != 0 {
		t.Errorf("headers = %#v, want a: null, b: empty", r.Headers)
	}
	if r.Offset != 100 || r.Timestamp != 1000 {
		t.Errorf("offset/timestamp = %d/%d, want 100/1000", r.Offset, r.Timestamp)
	}
}

func TestEachRecordStopsOnCallbackError(t *testing.T) {
	t.Parallel()
	b, _ := NewBatch(firstBatch(t, fxGoV2cV2c))
	stop := errors.New("stop")
	n := 0
	if err := b.EachRecord(func(*Record) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("EachRecord = %v after %d calls, want the callback's error after 1", err, n)
	}
}

func TestVarint(t *testing.T) {
	t.Parallel()
	for _, v := range []int32{0, 1, -1, 63, -64, 64, 8191, -8192, 1 << 20, 1<<31 - 1, -1 << 31} {
		enc := appendVarint(nil, v)
		got, n := readVarint(enc)
		if got != v || n != len(enc) || n != varintLen(v) {
			t.Errorf("varint %d: encoded % x, read %d (%d bytes), len %d", v, enc, got, n, varintLen(v))
		}
	}
	for _, v := range []int64{0, -1, 1 << 40, 1<<63 - 1, -1 << 63} {
		enc := appendVarlong(nil, v)
		got, n := readVarlong(enc)
		if got != v || n != len(enc) || n != varlongLen(v) {
			t.Errorf("varlong %d: encoded % x, read %d (%d bytes), len %d", v, enc, got, n, varlongLen(v))
		}
	}
	// Known encodings from the format reference: 0x3a is 29, 0x01 is -1.
	if v, _ := readVarint([]byte{0x3a}); v != 29 {
		t.Errorf("readVarint(3a) = %d, want 29", v)
	}
	if v, _ := readVarint([]byte{0x01}); v != -1 {
		t.Errorf("readVarint(01) = %d, want -1", v)
	}
	bad := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"truncated", []byte{0x80}},
		{"six bytes", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x01}},
		{"overflows 32 bits", []byte{0xff, 0xff, 0xff, 0xff, 0x10}},
	}
	for _, tt := range bad {
		if _, n := readVarint(tt.in); n != 0 {
			t.Errorf("readVarint(%s) read %d bytes, want failure", tt.name, n)
		}
	}
	if _, n := readVarlong([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}); n != 0 {
		t.Errorf("readVarlong(overflow) read %d bytes, want failure", n)
	}
}

func TestEachRecordAllocations(t *testing.T) {
	b := fixture(t, fxVoloOffsets32) // multi-record batches
	var d Decoder
	var it Iterator
	allocs := testing.AllocsPerRun(50, func() {
		for it.Reset(b); it.Next(); {
			batch, _ := it.Entry().Batch()
			if err := d.EachRecord(batch, func(r *Record) error { return nil }); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("decoding %d bytes of records with a Decoder allocated %.1f times, want 0", len(b), allocs)
	}
}
