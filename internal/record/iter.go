package record

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Legacy message sizes (the messageSize field, which excludes the 12-byte
// offset and size prefix).
const (
	legacyOverheadV0 = 14 // crc 4, magic 1, attributes 1, key length 4, value length 4
	legacyOverheadV1 = 22 // v0 plus an 8-byte timestamp
)

// LegacyHeader is the fixed part of a magic 0 or 1 message-set entry.
type LegacyHeader struct {
	Offset      int64 // absolute offset; for a compressed wrapper, that of the last inner message
	MessageSize int32 // bytes after the size field: Size() - 12
	CRC         uint32
	Magic       int8
	Attributes  int8
	Timestamp   int64 // -1 for magic 0
}

// Codec returns the compression codec of the message's value.
func (h LegacyHeader) Codec() Codec { return Codec(h.Attributes & attrCodecMask) }

// TimestampType returns NoTimestampType for magic 0, otherwise CreateTime or
// LogAppendTime from attribute bit 3.
func (h LegacyHeader) TimestampType() TimestampType {
	if h.Magic == 0 {
		return NoTimestampType
	}
	if h.Attributes&attrLogAppendTime != 0 {
		return LogAppendTime
	}
	return CreateTime
}

// Size is the number of bytes the entry occupies: 12 + MessageSize.
func (h LegacyHeader) Size() int { return LogOverhead + int(h.MessageSize) }

// ParseLegacyHeader decodes the fixed fields of the magic 0 or 1 entry at
// the start of b. It checks the magic and that the message size can hold the
// fixed fields, but neither the CRC nor that b holds the whole entry.
func ParseLegacyHeader(b []byte) (LegacyHeader, error) {
	if len(b) <= magicOffset {
		return LegacyHeader{}, fmt.Errorf("%w: legacy message header needs %d bytes, have %d", ErrShortBuffer, magicOffset+1, len(b))
	}
	magic := int8(b[magicOffset])
	need := magicOffset + 2 // through the attributes byte
	minSize := int32(legacyOverheadV0)
	switch magic {
	case 0:
	case 1:
		need += 8
		minSize = legacyOverheadV1
	default:
		return LegacyHeader{}, fmt.Errorf("%w: magic %d, want 0 or 1", ErrBadMagic, magic)
	}
	if len(b) < need {
		return LegacyHeader{}, fmt.Errorf("%w: legacy message header needs %d bytes, have %d", ErrShortBuffer, need, len(b))
	}
	h := LegacyHeader{
		Offset:      int64(binary.BigEndian.Uint64(b[0:])),
		MessageSize: int32(binary.BigEndian.Uint32(b[8:])),
		CRC:         binary.BigEndian.Uint32(b[12:]),
		Magic:       magic,
		Attributes:  int8(b[17]),
		Timestamp:   -1,
	}
	if magic == 1 {
		h.Timestamp = int64(binary.BigEndian.Uint64(b[18:]))
	}
	if h.MessageSize < minSize {
		return LegacyHeader{}, fmt.Errorf("%w: magic %d message size %d is below the minimum %d", ErrBadLength, magic, h.MessageSize, minSize)
	}
	return h, nil
}

// ValidLegacyCRC reports whether b holds a whole magic 0 or 1 entry whose
// stored CRC-32 (IEEE) matches the message bytes from the magic byte on.
func ValidLegacyCRC(b []byte) bool {
	if len(b) < LogOverhead+legacyOverheadV0 {
		return false
	}
	size := int32(binary.BigEndian.Uint32(b[8:]))
	if size < legacyOverheadV0 || LogOverhead+int(size) > len(b) {
		return false
	}
	return crc32.ChecksumIEEE(b[magicOffset:LogOverhead+int(size)]) == binary.BigEndian.Uint32(b[12:])
}

// Entry is one entry of a log region: a v2 batch or a legacy message
// (possibly a compressed wrapper). Raw aliases the iterated buffer.
type Entry struct {
	Position int    // byte offset of the entry in the iterated slice
	Raw      []byte // the entry's bytes, exactly Size() long
	Magic    int8
	Header   Header       // set when Magic == 2
	Legacy   LegacyHeader // set when Magic is 0 or 1
}

// Size is the number of bytes the entry occupies.
func (e *Entry) Size() int { return len(e.Raw) }

// LastOffset is the offset of the entry's last record: the batch's
// LastOffset for v2, the message (or wrapper) offset for v0/v1.
func (e *Entry) LastOffset() int64 {
	if e.Magic == 2 {
		return e.Header.LastOffset()
	}
	return e.Legacy.Offset
}

// CRC returns the stored checksum (CRC-32C for v2, CRC-32 for v0/v1).
func (e *Entry) CRC() uint32 {
	if e.Magic == 2 {
		return e.Header.CRC
	}
	return e.Legacy.CRC
}

// ValidCRC recomputes the entry's checksum and compares it with the stored
// one.
func (e *Entry) ValidCRC() bool {
	if e.Magic == 2 {
		return ValidCRC(e.Raw)
	}
	return ValidLegacyCRC(e.Raw)
}

// Attributes returns the attribute bits (a legacy message has eight).
func (e *Entry) Attributes() int16 {
	if e.Magic == 2 {
		return e.Header.Attributes
	}
	return int16(uint8(e.Legacy.Attributes))
}

// Codec returns the entry's compression codec.
func (e *Entry) Codec() Codec {
	if e.Magic == 2 {
		return e.Header.Codec()
	}
	return e.Legacy.Codec()
}

// TimestampType returns how the entry's timestamps are to be read.
func (e *Entry) TimestampType() TimestampType {
	if e.Magic == 2 {
		return e.Header.TimestampType()
	}
	return e.Legacy.TimestampType()
}

// MaxTimestamp returns the v2 batch's MaxTimestamp or the legacy message's
// timestamp (-1 for magic 0): the value kafka-dump-log prints beside the
// timestamp type.
func (e *Entry) MaxTimestamp() int64 {
	if e.Magic == 2 {
		return e.Header.MaxTimestamp
	}
	return e.Legacy.Timestamp
}

// Batch returns the entry as a v2 Batch; ok is false for legacy entries.
func (e *Entry) Batch() (b Batch, ok bool) {
	if e.Magic != 2 {
		return Batch{}, false
	}
	return Batch{Header: e.Header, Raw: e.Raw}, true
}

// Iterator walks a byte slice of concatenated log entries (a .log file
// region, a fetch response's records, or a produce request's records)
// without copying or allocating. Magic 0, 1 and 2 entries may be mixed.
//
// Iteration stops at the first of: the end of the input; a torn tail (fewer
// bytes left than the next entry needs, as after a crash mid-write), which
// is not an error — Trailing reports the leftover byte count; or a corrupt
// entry (impossible length or unknown magic), reported by Err as a
// *CorruptError with its position. Checksums are not verified; call
// Entry.ValidCRC where it matters. This mirrors how Kafka's log reader
// treats the end of a segment.
//
// An Iterator is not safe for concurrent use.
type Iterator struct {
	buf   []byte
	pos   int
	entry Entry
	err   error
	done  bool
}

// NewIterator returns an iterator positioned before the first entry of b.
func NewIterator(b []byte) *Iterator {
	it := &Iterator{}
	it.Reset(b)
	return it
}

// Reset points the iterator at a new region, so one Iterator can be reused.
func (it *Iterator) Reset(b []byte) {
	*it = Iterator{buf: b}
}

// Next advances to the next entry and reports whether there is one.
func (it *Iterator) Next() bool {
	if it.done {
		return false
	}
	rest := it.buf[it.pos:]
	// The offset, length and everything up to the magic byte must be
	// present before the entry can be classified.
	if len(rest) <= magicOffset {
		it.done = true
		return false
	}
	length := int32(binary.BigEndian.Uint32(rest[offLength:]))
	magic := int8(rest[magicOffset])
	var minLength int32
	switch magic {
	case 2:
		minLength = minBatchLength
	case 1:
		minLength = legacyOverheadV1
	case 0:
		minLength = legacyOverheadV0
	default:
		return it.fail(ErrBadMagic, "unknown magic %d", magic)
	}
	if length < minLength {
		return it.fail(ErrBadLength, "magic %d entry length %d is below the minimum %d", magic, length, minLength)
	}
	size := LogOverhead + int(length)
	if size > len(rest) {
		it.done = true
		return false
	}
	e := &it.entry
	e.Position = it.pos
	e.Raw = rest[:size:size]
	e.Magic = magic
	if magic == 2 {
		e.Header = parseHeader(rest)
		e.Legacy = LegacyHeader{}
	} else {
		e.Header = Header{}
		e.Legacy = LegacyHeader{
			Offset:      int64(binary.BigEndian.Uint64(rest[0:])),
			MessageSize: length,
			CRC:         binary.BigEndian.Uint32(rest[12:]),
			Magic:       magic,
			Attributes:  int8(rest[17]),
			Timestamp:   -1,
		}
		if magic == 1 {
			e.Legacy.Timestamp = int64(binary.BigEndian.Uint64(rest[18:]))
		}
	}
	it.pos += size
	return true
}

func (it *Iterator) fail(sentinel error, format string, args ...any) bool {
	it.done = true
	it.err = &CorruptError{Position: it.pos, Reason: fmt.Sprintf(format, args...), Err: sentinel}
	return false
}

// Entry returns the current entry. The pointer stays the same for the whole
// iteration and its contents are overwritten by the next call to Next.
func (it *Iterator) Entry() *Entry { return &it.entry }

// Err returns the *CorruptError that stopped iteration, or nil when it
// stopped at the end of the input or at a torn tail.
func (it *Iterator) Err() error { return it.err }

// Position returns the number of bytes taken by the complete entries
// returned so far, i.e. where the next entry starts. After iteration it is
// the valid length of the region (where recovery would truncate).
func (it *Iterator) Position() int { return it.pos }

// Trailing returns, once Next has returned false, how many bytes follow the
// last complete entry: a torn tail when Err is nil, the corrupt remainder
// otherwise. It is 0 when the input ended exactly at an entry boundary.
func (it *Iterator) Trailing() int {
	if !it.done {
		return 0
	}
	return len(it.buf) - it.pos
}
