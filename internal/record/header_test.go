package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"
)

// TestIteratorFixtures pins the iterator against real Kafka files; the
// counts are those SOURCES.md lists as verified.
func TestIteratorFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		path           string
		entries        int
		firstLast      int64 // LastOffset of the first entry
		lastLast       int64 // LastOffset of the last entry
		v2Records      int   // sum of NumRecords over v2 batches
		v0, v1, v2     int   // entries per magic
		compressed     int
		invalidCRC     int
		wantFirstBase  int64 // BaseOffset of the first v2 batch, -1 if none
		wantTotalBytes int
	}{
		{"ldi metadata", fxLDIMetadata, 4814, 0, 4928, 4929, 0, 0, 4814, 0, 0, 0, 353439},
		{"ldi consumer offsets", fxLDIOffsets, 13, 0, 12, 13, 0, 0, 13, 0, 0, 0, 13751},
		{"ldi idempotent", fxLDIPatient, 3, 0, 2, 3, 0, 0, 3, 0, 0, 0, 3271},
		{"ldi bootstrap", fxLDIBootstrap, 3, 0, 2, 3, 0, 0, 3, 0, 0, 0, 249},
		{"ronem metadata nonzero base", fxRonemMetadata, 12105, 1725413, 1737568, 12156, 0, 0, 12105, 0, 0, 1725413, 874344},
		{"ronem kraft snapshot", fxRonemSnapshot, 3, 2, 67, 68, 0, 0, 3, 0, 0, 0, 4973},
		{"ronem empty segment", fxRonemEmpty, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0},
		{"shinhagunn headers", fxShinHeaders, 9, 0, 8, 9, 0, 0, 9, 0, 0, 0, 1027},
		{"vitor segment 0", fxVitor0, 47, 0, 46, 47, 0, 0, 47, 0, 0, 0, 12202},
		{"vitor segment 47", fxVitor47, 13, 47, 59, 13, 0, 0, 13, 0, 0, 47, 3685},
		{"volo offsets 12", fxVoloOffsets12, 162, 0, 469, 470, 0, 0, 162, 0, 0, 0, 45702},
		{"volo offsets 17", fxVoloOffsets17, 3, 0, 2, 3, 0, 0, 3, 0, 0, 0, 630},
		{"volo offsets 32", fxVoloOffsets32, 18, 0, 49, 50, 0, 0, 18, 0, 0, 0, 5058},
		{"volo first_topic-0", fxVoloFirst0, 10, 0, 10, 11, 0, 0, 10, 0, 0, 0, 804},
		{"volo first_topic-1", fxVoloFirst1, 12, 0, 11, 12, 0, 0, 12, 0, 0, 0, 971},
		{"volo new_topic-0", fxVoloNew0, 2, 0, 1, 2, 0, 0, 2, 0, 0, 0, 189},
		{"kafka-go v1 plain", fxGoV1, 4, 0, 3, 0, 0, 4, 0, 0, 0, -1, 287},
		{"kafka-go v1 gzip wrappers", fxGoV1cV1c, 3, 1, 3, 0, 0, 3, 0, 3, 0, -1, 346},
		{"kafka-go v1c v1 v1c", fxGoV1cV1V1c, 5, 1, 5, 0, 0, 5, 0, 3, 0, -1, 492},
		{"kafka-go v2 plain", fxGoV2, 2, 1, 3, 4, 0, 0, 2, 0, 0, 0, 302},
		{"kafka-go v2 gzip", fxGoV2cV2c, 2, 1, 3, 4, 0, 0, 2, 2, 0, 0, 268},
		{"kafka-go v2c v2 v2c", fxGoV2cV2V2c, 3, 1, 5, 6, 0, 0, 3, 2, 0, 0, 422},
		{"kafka-go mixed magic", fxGoMixed, 15, 0, 19, 12, 0, 7, 8, 7, 0, 4, 1647},
		{"kafka-rust v0 plain", fxRustPlain, 42, 0, 41, 0, 42, 0, 0, 0, 0, -1, 12578},
		{"kafka-rust v0 gzip wrapper", fxRustGzip, 1, 41, 41, 0, 1, 0, 0, 1, 0, -1, 6025},
		{"kafka-rust v0 snappy wrapper", fxRustSnappy, 1, 41, 41, 0, 1, 0, 0, 1, 0, -1, 11316},
		{"kafka-rust v0 bad crc", fxRustBadCRC, 1, 0, 0, 0, 1, 0, 0, 0, 1, -1, 497},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := fixture(t, tt.path)
			it := NewIterator(b)
			var n, recs, compressed, bad int
			magics := [3]int{}
			var firstLast, lastLast int64
			firstBase := int64(-1)
			pos := 0
			for it.Next() {
				e := it.Entry()
				if e.Position != pos {
					t.Fatalf("entry %d position = %d, want %d", n, e.Position, pos)
				}
				pos += e.Size()
				if n == 0 {
					firstLast = e.LastOffset()
				}
				lastLast = e.LastOffset()
				magics[e.Magic]++
				if e.Magic == 2 {
					recs += int(e.Header.NumRecords)
					if firstBase < 0 {
						firstBase = e.Header.BaseOffset
					}
				}
				if e.Codec() != CodecNone {
					compressed++
				}
				if !e.ValidCRC() {
					bad++
				}
				n++
			}
			if err := it.Err(); err != nil {
				t.Fatalf("Err() = %v, want nil", err)
			}
			if got := it.Trailing(); got != 0 {
				t.Errorf("Trailing() = %d, want 0", got)
			}
			if got := it.Position(); got != tt.wantTotalBytes {
				t.Errorf("Position() = %d, want %d", got, tt.wantTotalBytes)
			}
			if n != tt.entries {
				t.Errorf("entries = %d, want %d", n, tt.entries)
			}
			if n > 0 && (firstLast != tt.firstLast || lastLast != tt.lastLast) {
				t.Errorf("last offsets of first/last entry = %d/%d, want %d/%d", firstLast, lastLast, tt.firstLast, tt.lastLast)
			}
			if recs != tt.v2Records {
				t.Errorf("v2 records = %d, want %d", recs, tt.v2Records)
			}
			if magics != [3]int{tt.v0, tt.v1, tt.v2} {
				t.Errorf("entries per magic = %v, want %v", magics, [3]int{tt.v0, tt.v1, tt.v2})
			}
			if compressed != tt.compressed {
				t.Errorf("compressed entries = %d, want %d", compressed, tt.compressed)
			}
			if bad != tt.invalidCRC {
				t.Errorf("entries with invalid CRC = %d, want %d", bad, tt.invalidCRC)
			}
			if tt.wantFirstBase >= 0 && firstBase != tt.wantFirstBase {
				t.Errorf("first base offset = %d, want %d", firstBase, tt.wantFirstBase)
			}
		})
	}
}

// TestIteratorIndexedPositions checks batch positions against the entries of
// the real .index files: the batch at each indexed position has the indexed
// offset as its last offset.
func TestIteratorIndexedPositions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		path string
		want map[int]int64 // position -> last offset
	}{
		{"ldi consumer offsets", fxLDIOffsets, map[int]int64{4730: 3, 9571: 7}},
		{"vitor segment 0", fxVitor0, map[int]int64{4150: 16, 8302: 32}},
		{"ronem metadata", fxRonemMetadata, map[int]int64{4104: 1725470, 8208: 1725527}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			it := NewIterator(fixture(t, tt.path))
			found := 0
			for it.Next() {
				e := it.Entry()
				if want, ok := tt.want[e.Position]; ok {
					found++
					if got := e.LastOffset(); got != want {
						t.Errorf("last offset at position %d = %d, want %d", e.Position, got, want)
					}
				}
			}
			if found != len(tt.want) {
				t.Errorf("found %d indexed positions at entry boundaries, want %d", found, len(tt.want))
			}
		})
	}
}

// TestParseHeaderIdempotentProducer checks every header field of the first
// batch of a real idempotent-producer segment.
func TestParseHeaderIdempotentProducer(t *testing.T) {
	t.Parallel()
	b := fixture(t, fxLDIPatient)
	var producers []int64
	for it := NewIterator(b); it.Next(); {
		h, err := ParseHeader(it.Entry().Raw)
		if err != nil {
			t.Fatalf("ParseHeader: %v", err)
		}
		if h != it.Entry().Header {
			t.Errorf("ParseHeader = %+v, iterator header = %+v", h, it.Entry().Header)
		}
		producers = append(producers, h.ProducerID)
		if h.ProducerEpoch != 0 || h.BaseSequence != 0 || h.LastSequence() != 0 {
			t.Errorf("epoch/baseSequence/lastSequence = %d/%d/%d, want 0/0/0", h.ProducerEpoch, h.BaseSequence, h.LastSequence())
		}
		if h.NumRecords != 1 || h.LastOffsetDelta != 0 || h.Magic != 2 {
			t.Errorf("numRecords/lastOffsetDelta/magic = %d/%d/%d, want 1/0/2", h.NumRecords, h.LastOffsetDelta, h.Magic)
		}
		if h.Codec() != CodecNone || h.TimestampType() != CreateTime || h.IsTransactional() || h.IsControl() || h.HasDeleteHorizon() {
			t.Errorf("attributes %#x: want plain CreateTime data batch", h.Attributes)
		}
		if h.PartitionLeaderEpoch != 0 {
			t.Errorf("partition leader epoch = %d, want 0", h.PartitionLeaderEpoch)
		}
		if h.Size() != len(it.Entry().Raw) {
			t.Errorf("Size() = %d, want %d", h.Size(), len(it.Entry().Raw))
		}
		if h.BaseTimestamp != h.MaxTimestamp || h.BaseTimestamp <= 0 {
			t.Errorf("base/max timestamp = %d/%d, want equal and positive", h.BaseTimestamp, h.MaxTimestamp)
		}
	}
	if want := []int64{1, 2, 3}; !equalInt64s(producers, want) {
		t.Errorf("producer ids = %v, want %v", producers, want)
	}
}

func equalInt64s(a, b []int64) bool {
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

func firstBatch(tb testing.TB, path string) []byte {
	tb.Helper()
	b := fixture(tb, path)
	it := NewIterator(b)
	if !it.Next() || it.Entry().Magic != 2 {
		tb.Fatalf("%s: no leading v2 batch", path)
	}
	return it.Entry().Raw
}

func TestParseHeaderErrors(t *testing.T) {
	t.Parallel()
	valid := firstBatch(t, fxShinHeaders)
	withMagic := func(m byte) []byte {
		b := bytes.Clone(valid)
		b[offMagic] = m
		return b
	}
	withLength := func(n int32) []byte {
		b := bytes.Clone(valid)
		binary.BigEndian.PutUint32(b[offLength:], uint32(n))
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrShortBuffer},
		{"offset only", valid[:8], ErrShortBuffer},
		{"truncated header", valid[:HeaderSize-1], ErrShortBuffer},
		{"truncated legacy magic", withMagic(1)[:20], ErrBadMagic},
		{"magic 0", withMagic(0), ErrBadMagic},
		{"magic 1", withMagic(1), ErrBadMagic},
		{"magic 3", withMagic(3), ErrBadMagic},
		{"negative length", withLength(-1), ErrBadLength},
		{"length below empty batch", withLength(minBatchLength - 1), ErrBadLength},
		{"header only is fine", valid[:HeaderSize], nil},
		{"whole batch", valid, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseHeader(tt.in)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("ParseHeader error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewBatchNeedsWholeBatch(t *testing.T) {
	t.Parallel()
	valid := firstBatch(t, fxShinHeaders)
	if _, err := NewBatch(valid[:len(valid)-1]); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("NewBatch(truncated) error = %v, want ErrShortBuffer", err)
	}
	b, err := NewBatch(append(bytes.Clone(valid), 1, 2, 3))
	if err != nil {
		t.Fatalf("NewBatch: %v", err)
	}
	if len(b.Raw) != len(valid) || !b.ValidCRC() {
		t.Errorf("NewBatch raw length = %d (crc valid %v), want %d and valid", len(b.Raw), b.ValidCRC(), len(valid))
	}
}

func TestLastSequence(t *testing.T) {
	t.Parallel()
	const maxInt32 = 1<<31 - 1
	tests := []struct {
		name        string
		base, delta int32
		want        int32
	}{
		{"no sequence", -1, 5, -1},
		{"zero delta", 7, 0, 7},
		{"plain", 10, 4, 14},
		{"reaches max", maxInt32 - 4, 4, maxInt32},
		{"wraps to zero", maxInt32 - 4, 5, 0},
		{"wraps past zero", maxInt32, 3, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := Header{BaseSequence: tt.base, LastOffsetDelta: tt.delta}
			if got := h.LastSequence(); got != tt.want {
				t.Errorf("LastSequence(%d+%d) = %d, want %d", tt.base, tt.delta, got, tt.want)
			}
		})
	}
}

func TestEditorsKeepCRCValid(t *testing.T) {
	t.Parallel()
	b := bytes.Clone(firstBatch(t, fxShinHeaders))
	crc := binary.BigEndian.Uint32(b[offCRC:])
	if err := SetBaseOffset(b, 123456789); err != nil {
		t.Fatal(err)
	}
	if err := SetPartitionLeaderEpoch(b, 42); err != nil {
		t.Fatal(err)
	}
	h, err := ParseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	if h.BaseOffset != 123456789 || h.PartitionLeaderEpoch != 42 {
		t.Errorf("base offset/leader epoch = %d/%d, want 123456789/42", h.BaseOffset, h.PartitionLeaderEpoch)
	}
	if h.CRC != crc || !ValidCRC(b) {
		t.Errorf("CRC changed or invalid after editing fields outside it")
	}

	const appendTime = 1_700_000_000_123
	if err := SetLogAppendTime(b, appendTime); err != nil {
		t.Fatal(err)
	}
	h, _ = ParseHeader(b)
	if h.TimestampType() != LogAppendTime || h.MaxTimestamp != appendTime {
		t.Errorf("after SetLogAppendTime: type %v max %d, want LogAppendTime %d", h.TimestampType(), h.MaxTimestamp, appendTime)
	}
	if !ValidCRC(b) || h.CRC == crc {
		t.Errorf("after SetLogAppendTime: CRC %d valid=%v, want a new valid CRC", h.CRC, ValidCRC(b))
	}
	if got, want := ComputeCRC(b), crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)); got != want {
		t.Errorf("ComputeCRC = %d, want %d", got, want)
	}
	// A second call with the same time is a no-op.
	before := bytes.Clone(b)
	if err := SetLogAppendTime(b, appendTime); err != nil || !bytes.Equal(before, b) {
		t.Errorf("repeated SetLogAppendTime changed the batch (err %v)", err)
	}
}

func TestEditorsRejectBadInput(t *testing.T) {
	t.Parallel()
	valid := firstBatch(t, fxShinHeaders)
	legacy := bytes.Clone(fixture(t, fxRustOne))
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrShortBuffer},
		{"short", bytes.Clone(valid[:30]), ErrShortBuffer},
		{"legacy", legacy, ErrBadMagic},
	}
	editors := []struct {
		name string
		fn   func([]byte) error
	}{
		{"SetBaseOffset", func(b []byte) error { return SetBaseOffset(b, 1) }},
		{"SetPartitionLeaderEpoch", func(b []byte) error { return SetPartitionLeaderEpoch(b, 1) }},
		{"SetLogAppendTime", func(b []byte) error { return SetLogAppendTime(b, 1) }},
	}
	for _, tt := range tests {
		for _, ed := range editors {
			t.Run(tt.name+"/"+ed.name, func(t *testing.T) {
				if err := ed.fn(tt.in); !errors.Is(err, tt.want) {
					t.Errorf("%s error = %v, want %v", ed.name, err, tt.want)
				}
			})
		}
	}
	if err := SetLogAppendTime(bytes.Clone(valid[:HeaderSize]), 1); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("SetLogAppendTime(header only) error = %v, want ErrShortBuffer", err)
	}
	if ValidCRC(valid[:len(valid)-1]) || ValidCRC(nil) {
		t.Errorf("ValidCRC accepted a truncated batch")
	}
}

func TestCRC32CKnownValue(t *testing.T) {
	t.Parallel()
	// CRC-32C check value from the iSCSI specification (RFC 3720 B.4).
	if got := CRC32C([]byte("123456789")); got != 0xE3069283 {
		t.Errorf("CRC32C(123456789) = %#x, want 0xe3069283", got)
	}
	// The empty producer snapshot every fixture holds: CRC over its 4-byte
	// count field.
	if got := CRC32C([]byte{0, 0, 0, 0}); got != 0x48674BC7 {
		t.Errorf("CRC32C(empty snapshot body) = %#x, want 0x48674bc7", got)
	}
}

// TestIteratorTornTail cuts a real segment inside its last batch at every
// byte and checks the iterator stops cleanly and reports the tail.
func TestIteratorTornTail(t *testing.T) {
	t.Parallel()
	b := fixture(t, fxShinHeaders)
	it := NewIterator(b)
	lastPos, n := 0, 0
	for it.Next() {
		lastPos = it.Entry().Position
		n++
	}
	for cut := lastPos; cut < len(b); cut++ {
		it.Reset(b[:cut])
		got := 0
		for it.Next() {
			got++
		}
		if got != n-1 || it.Err() != nil || it.Trailing() != cut-lastPos || it.Position() != lastPos {
			t.Fatalf("cut at %d: entries %d err %v trailing %d position %d; want %d nil %d %d",
				cut, got, it.Err(), it.Trailing(), it.Position(), n-1, cut-lastPos, lastPos)
		}
	}
}

func TestIteratorCorruption(t *testing.T) {
	t.Parallel()
	good := fixture(t, fxGoV2)     // two v2 batches
	first := firstBatch(t, fxGoV2) // its first batch
	at := len(first)
	mutate := func(f func(b []byte)) []byte {
		b := bytes.Clone(good)
		f(b[at:])
		return b
	}
	tests := []struct {
		name      string
		in        []byte
		wantErr   error
		wantPos   int
		wantCount int
	}{
		{"unknown magic", mutate(func(b []byte) { b[offMagic] = 7 }), ErrBadMagic, at, 1},
		{"negative magic", mutate(func(b []byte) { b[offMagic] = 0xff }), ErrBadMagic, at, 1},
		{"zero length", mutate(func(b []byte) { binary.BigEndian.PutUint32(b[offLength:], 0) }), ErrBadLength, at, 1},
		{"negative length", mutate(func(b []byte) { binary.BigEndian.PutUint32(b[offLength:], 0x80000000) }), ErrBadLength, at, 1},
		{"v2 length too small", mutate(func(b []byte) { binary.BigEndian.PutUint32(b[offLength:], 48) }), ErrBadLength, at, 1},
		{"v1 length too small", mutate(func(b []byte) {
			b[offMagic] = 1
			binary.BigEndian.PutUint32(b[offLength:], 21)
		}), ErrBadLength, at, 1},
		{"zeroed region", append(bytes.Clone(first), make([]byte, 100)...), ErrBadLength, at, 1},
		{"garbage at start", append([]byte("garbage-garbage-garbage"), good...), ErrBadMagic, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := NewIterator(tt.in)
			n := 0
			for it.Next() {
				n++
			}
			var ce *CorruptError
			if !errors.As(it.Err(), &ce) || !errors.Is(it.Err(), tt.wantErr) {
				t.Fatalf("Err() = %v, want *CorruptError wrapping %v", it.Err(), tt.wantErr)
			}
			if ce.Position != tt.wantPos || n != tt.wantCount || it.Position() != tt.wantPos {
				t.Errorf("corruption at %d after %d entries (Position %d), want %d after %d", ce.Position, n, it.Position(), tt.wantPos, tt.wantCount)
			}
			if it.Trailing() != len(tt.in)-tt.wantPos {
				t.Errorf("Trailing() = %d, want %d", it.Trailing(), len(tt.in)-tt.wantPos)
			}
			if it.Next() {
				t.Errorf("Next() after corruption returned true")
			}
		})
	}
}

func TestIteratorDoesNotAllocate(t *testing.T) {
	b := fixture(t, fxGoMixed)
	var it Iterator
	allocs := testing.AllocsPerRun(100, func() {
		it.Reset(b)
		for it.Next() {
			e := it.Entry()
			_ = e.LastOffset() + int64(e.Size()) + int64(e.CRC())
		}
	})
	if allocs != 0 {
		t.Errorf("iterating %d bytes allocated %.1f times, want 0", len(b), allocs)
	}
}
