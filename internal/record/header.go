package record

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Sizes of the fixed parts of log entries.
const (
	// LogOverhead is the offset and length prefix every entry starts with.
	LogOverhead = 12
	// HeaderSize is the size of a v2 batch header; a batch with no records
	// is exactly this long.
	HeaderSize = 61
	// minBatchLength is the smallest legal batchLength field (HeaderSize
	// minus the offset and length fields).
	minBatchLength = HeaderSize - LogOverhead
	// magicOffset is where the magic byte sits in every entry format.
	magicOffset = 16
)

// Byte offsets of the v2 batch header fields.
const (
	offBaseOffset      = 0
	offLength          = 8
	offLeaderEpoch     = 12
	offMagic           = 16
	offCRC             = 17
	offAttributes      = 21
	offLastOffsetDelta = 23
	offBaseTimestamp   = 27
	offMaxTimestamp    = 35
	offProducerID      = 43
	offProducerEpoch   = 51
	offBaseSequence    = 53
	offNumRecords      = 57
)

// Attribute bits of a v2 batch (and, for the low four bits, of a legacy
// message).
const (
	attrCodecMask        = 0x07
	attrLogAppendTime    = 0x08
	attrTransactional    = 0x10
	attrControl          = 0x20
	attrHasDeleteHorizon = 0x40
)

// castagnoli is the CRC-32C table used by v2 batches. It is never written
// after initialisation.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Codec is a compression codec id as stored in the low three attribute bits.
type Codec int8

// The codecs Kafka defines. Ids 5–7 are invalid.
const (
	CodecNone   Codec = 0
	CodecGzip   Codec = 1
	CodecSnappy Codec = 2
	CodecLZ4    Codec = 3
	CodecZstd   Codec = 4
)

// String returns the name kafka-dump-log prints after "compresscodec:".
func (c Codec) String() string {
	switch c {
	case CodecNone:
		return "none"
	case CodecGzip:
		return "gzip"
	case CodecSnappy:
		return "snappy"
	case CodecLZ4:
		return "lz4"
	case CodecZstd:
		return "zstd"
	}
	return fmt.Sprintf("unknown(%d)", int8(c))
}

// Valid reports whether c is one of the five defined codecs.
func (c Codec) Valid() bool { return c >= CodecNone && c <= CodecZstd }

// TimestampType says what an entry's timestamps mean.
type TimestampType int8

// Timestamp types. NoTimestampType is only used by magic 0 messages.
const (
	NoTimestampType TimestampType = -1
	CreateTime      TimestampType = 0
	LogAppendTime   TimestampType = 1
)

// String returns Kafka's name for the type, as printed by kafka-dump-log.
func (t TimestampType) String() string {
	switch t {
	case NoTimestampType:
		return "NoTimestampType"
	case CreateTime:
		return "CreateTime"
	case LogAppendTime:
		return "LogAppendTime"
	}
	return fmt.Sprintf("TimestampType(%d)", int8(t))
}

// Header is the fixed 61-byte header of a magic 2 record batch, decoded
// without touching the records that follow it.
type Header struct {
	BaseOffset           int64
	Length               int32 // bytes after the Length field: Size() - 12
	PartitionLeaderEpoch int32
	Magic                int8
	CRC                  uint32
	Attributes           int16
	LastOffsetDelta      int32
	BaseTimestamp        int64
	MaxTimestamp         int64
	ProducerID           int64
	ProducerEpoch        int16
	BaseSequence         int32
	NumRecords           int32
}

// Codec returns the compression codec of the records area.
func (h Header) Codec() Codec { return Codec(h.Attributes & attrCodecMask) }

// TimestampType returns CreateTime or LogAppendTime.
func (h Header) TimestampType() TimestampType {
	if h.Attributes&attrLogAppendTime != 0 {
		return LogAppendTime
	}
	return CreateTime
}

// IsTransactional reports whether the batch belongs to a transaction.
func (h Header) IsTransactional() bool { return h.Attributes&attrTransactional != 0 }

// IsControl reports whether the batch holds control records (transaction
// markers or KRaft control records) rather than data.
func (h Header) IsControl() bool { return h.Attributes&attrControl != 0 }

// HasDeleteHorizon reports whether BaseTimestamp holds the delete horizon
// set by the log cleaner (KIP-534).
func (h Header) HasDeleteHorizon() bool { return h.Attributes&attrHasDeleteHorizon != 0 }

// DeleteHorizonMs returns the delete horizon and true when the batch has
// one, as kafka-dump-log's deleteHorizonMs field.
func (h Header) DeleteHorizonMs() (int64, bool) {
	if h.HasDeleteHorizon() {
		return h.BaseTimestamp, true
	}
	return 0, false
}

// LastOffset is the offset of the last record the batch was written with.
func (h Header) LastOffset() int64 { return h.BaseOffset + int64(h.LastOffsetDelta) }

// NextOffset is the offset a following batch would normally start at.
func (h Header) NextOffset() int64 { return h.LastOffset() + 1 }

// LastSequence is the producer sequence of the last record: BaseSequence
// plus LastOffsetDelta, wrapping past MaxInt32 to 0 as Kafka's producer
// sequences do, and -1 when the batch carries no sequence.
func (h Header) LastSequence() int32 { return sequenceAdd(h.BaseSequence, h.LastOffsetDelta) }

// Size is the number of bytes the whole batch occupies: 12 + Length.
func (h Header) Size() int { return LogOverhead + int(h.Length) }

// sequenceAdd adds delta to a producer sequence the way Kafka does
// (DefaultRecordBatch.incrementSequence): -1 stays -1 and the result wraps
// from MaxInt32 to 0.
func sequenceAdd(seq, delta int32) int32 {
	if seq < 0 {
		return seq
	}
	const maxInt32 = 1<<31 - 1
	s := int64(seq) + int64(delta)
	if s > maxInt32 {
		s -= maxInt32 + 1
	}
	return int32(s)
}

// ParseHeader decodes the v2 batch header at the start of b. Only the first
// HeaderSize bytes are read, so a caller can parse a header read from a file
// before reading the rest of the batch; use NewBatch to also require the
// whole batch. It rejects magic other than 2 (ErrBadMagic) and a length
// field shorter than an empty batch (ErrBadLength). The CRC is not checked.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		if len(b) > offMagic && b[offMagic] != 2 {
			return Header{}, fmt.Errorf("%w: magic %d, want 2", ErrBadMagic, int8(b[offMagic]))
		}
		return Header{}, fmt.Errorf("%w: batch header needs %d bytes, have %d", ErrShortBuffer, HeaderSize, len(b))
	}
	h := parseHeader(b)
	if h.Magic != 2 {
		return Header{}, fmt.Errorf("%w: magic %d, want 2", ErrBadMagic, h.Magic)
	}
	if h.Length < minBatchLength {
		return Header{}, fmt.Errorf("%w: batch length %d is below the minimum %d", ErrBadLength, h.Length, minBatchLength)
	}
	return h, nil
}

// parseHeader decodes the header fields of b, which must hold at least
// HeaderSize bytes. It performs no validation.
func parseHeader(b []byte) Header {
	_ = b[HeaderSize-1]
	return Header{
		BaseOffset:           int64(binary.BigEndian.Uint64(b[offBaseOffset:])),
		Length:               int32(binary.BigEndian.Uint32(b[offLength:])),
		PartitionLeaderEpoch: int32(binary.BigEndian.Uint32(b[offLeaderEpoch:])),
		Magic:                int8(b[offMagic]),
		CRC:                  binary.BigEndian.Uint32(b[offCRC:]),
		Attributes:           int16(binary.BigEndian.Uint16(b[offAttributes:])),
		LastOffsetDelta:      int32(binary.BigEndian.Uint32(b[offLastOffsetDelta:])),
		BaseTimestamp:        int64(binary.BigEndian.Uint64(b[offBaseTimestamp:])),
		MaxTimestamp:         int64(binary.BigEndian.Uint64(b[offMaxTimestamp:])),
		ProducerID:           int64(binary.BigEndian.Uint64(b[offProducerID:])),
		ProducerEpoch:        int16(binary.BigEndian.Uint16(b[offProducerEpoch:])),
		BaseSequence:         int32(binary.BigEndian.Uint32(b[offBaseSequence:])),
		NumRecords:           int32(binary.BigEndian.Uint32(b[offNumRecords:])),
	}
}

// checkEditable verifies that b starts with a v2 batch header so the
// in-place editors can write to it.
func checkEditable(b []byte) error {
	if len(b) < HeaderSize {
		return fmt.Errorf("%w: batch header needs %d bytes, have %d", ErrShortBuffer, HeaderSize, len(b))
	}
	if m := int8(b[offMagic]); m != 2 {
		return fmt.Errorf("%w: magic %d, want 2", ErrBadMagic, m)
	}
	return nil
}

// SetBaseOffset overwrites the base offset of the v2 batch at the start of
// b. The base offset is outside the CRC, so the batch stays valid; this is
// how a leader assigns offsets to a produced batch without re-encoding it.
func SetBaseOffset(b []byte, offset int64) error {
	if err := checkEditable(b); err != nil {
		return fmt.Errorf("set base offset: %w", err)
	}
	binary.BigEndian.PutUint64(b[offBaseOffset:], uint64(offset))
	return nil
}

// SetPartitionLeaderEpoch overwrites the partition leader epoch of the v2
// batch at the start of b. The field is outside the CRC.
func SetPartitionLeaderEpoch(b []byte, epoch int32) error {
	if err := checkEditable(b); err != nil {
		return fmt.Errorf("set partition leader epoch: %w", err)
	}
	binary.BigEndian.PutUint32(b[offLeaderEpoch:], uint32(epoch))
	return nil
}

// SetLogAppendTime marks the v2 batch at the start of b as LogAppendTime
// with the broker time ts, which becomes the batch's MaxTimestamp (and
// thereby every record's timestamp, as Kafka readers take it from there).
// Both fields are inside the CRC, so the CRC is recomputed; b must hold the
// whole batch. If the batch already says LogAppendTime with ts, b is left
// untouched.
func SetLogAppendTime(b []byte, ts int64) error {
	if err := checkEditable(b); err != nil {
		return fmt.Errorf("set log append time: %w", err)
	}
	length := int32(binary.BigEndian.Uint32(b[offLength:]))
	if length < minBatchLength {
		return fmt.Errorf("set log append time: %w: batch length %d is below the minimum %d", ErrBadLength, length, minBatchLength)
	}
	if size := LogOverhead + int(length); len(b) < size {
		return fmt.Errorf("set log append time: %w: batch needs %d bytes, have %d", ErrShortBuffer, size, len(b))
	}
	attrs := binary.BigEndian.Uint16(b[offAttributes:])
	if attrs&attrLogAppendTime != 0 && int64(binary.BigEndian.Uint64(b[offMaxTimestamp:])) == ts {
		return nil
	}
	binary.BigEndian.PutUint16(b[offAttributes:], attrs|attrLogAppendTime)
	binary.BigEndian.PutUint64(b[offMaxTimestamp:], uint64(ts))
	binary.BigEndian.PutUint32(b[offCRC:], ComputeCRC(b))
	return nil
}

// ComputeCRC returns the CRC-32C of a v2 batch: bytes from the attributes
// field (offset 21) to the end of the batch as given by its length field.
// If b is shorter than the length field says, the CRC covers what is there
// (and will not match the stored one); it is 0 when b is shorter than a
// header.
func ComputeCRC(b []byte) uint32 {
	if len(b) < HeaderSize {
		return 0
	}
	end := LogOverhead + int(int32(binary.BigEndian.Uint32(b[offLength:])))
	if end > len(b) || end < offAttributes {
		end = len(b)
	}
	return crc32.Checksum(b[offAttributes:end], castagnoli)
}

// ValidCRC reports whether b holds a whole v2 batch whose stored CRC matches
// its contents.
func ValidCRC(b []byte) bool {
	if len(b) < HeaderSize || b[offMagic] != 2 {
		return false
	}
	length := int32(binary.BigEndian.Uint32(b[offLength:]))
	if length < minBatchLength || LogOverhead+int(length) > len(b) {
		return false
	}
	return ComputeCRC(b) == binary.BigEndian.Uint32(b[offCRC:])
}

// CRC32C returns the CRC-32C (Castagnoli) checksum of b, the function v2
// batches and producer-state snapshots use.
func CRC32C(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
