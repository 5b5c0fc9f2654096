package record

import (
	"encoding/binary"
	"fmt"
)

// Builder encodes one v2 record batch. Set the exported fields (NewBuilder
// gives Kafka's "none" values), Add records, then call AppendTo or Build.
// Reset clears the records and keeps the settings, so one Builder can
// produce many batches. A Builder is not safe for concurrent use.
type Builder struct {
	Codec                Codec
	BaseOffset           int64
	PartitionLeaderEpoch int32 // -1 when unknown
	ProducerID           int64 // -1 for a non-idempotent producer
	ProducerEpoch        int16 // -1 for a non-idempotent producer
	BaseSequence         int32 // -1 for a non-idempotent producer
	Transactional        bool
	Control              bool
	// TimestampType is CreateTime (MaxTimestamp is the largest record
	// timestamp) or LogAppendTime (MaxTimestamp is LogAppendTime).
	TimestampType TimestampType
	LogAppendTime int64
	// DeleteHorizonMs, when >= 0, sets the delete-horizon attribute and is
	// stored as BaseTimestamp, record timestamp deltas being taken from it
	// (KIP-534). -1 means no delete horizon.
	DeleteHorizonMs int64

	records   []byte // encoded records, uncompressed
	count     int32
	lastDelta int32
	firstTS   int64
	maxTS     int64
	scratch   []byte // records re-encoded against a delete horizon
}

// NewBuilder returns a Builder for codec with no producer id, epoch or
// sequence, an unknown partition leader epoch, CreateTime and no delete
// horizon.
func NewBuilder(codec Codec) *Builder {
	return &Builder{
		Codec:                codec,
		PartitionLeaderEpoch: -1,
		ProducerID:           -1,
		ProducerEpoch:        -1,
		BaseSequence:         -1,
		TimestampType:        CreateTime,
		DeleteHorizonMs:      -1,
		lastDelta:            -1,
	}
}

// Reset drops the added records and keeps the settings.
func (b *Builder) Reset() {
	b.records = b.records[:0]
	b.count = 0
	b.lastDelta = -1
	b.firstTS = 0
	b.maxTS = 0
}

// NumRecords returns how many records have been added.
func (b *Builder) NumRecords() int { return int(b.count) }

// UncompressedSize returns the size the batch would have without
// compression: the header plus the encoded records.
func (b *Builder) UncompressedSize() int { return HeaderSize + len(b.records) }

// Add appends a record with the next offset delta (0 for the first record,
// then one more than the previous). Timestamp, Attributes, Key, Value and
// Headers are taken from r; a nil Key or Value is written as null and a nil
// header Value as a null header value. Other fields of r are ignored.
func (b *Builder) Add(r Record) {
	b.add(b.lastDelta+1, r)
}

// AddWithOffsetDelta appends a record with an explicit offset delta, which
// must be greater than the previous record's, as in a batch rewritten by
// log compaction.
func (b *Builder) AddWithOffsetDelta(delta int32, r Record) error {
	if delta <= b.lastDelta {
		return fmt.Errorf("offset delta %d does not follow %d", delta, b.lastDelta)
	}
	b.add(delta, r)
	return nil
}

func (b *Builder) add(delta int32, r Record) {
	if b.count == 0 {
		b.firstTS = r.Timestamp
		b.maxTS = r.Timestamp
	} else if r.Timestamp > b.maxTS {
		b.maxTS = r.Timestamp
	}
	// Deltas are written against the first record's timestamp; when a
	// delete horizon is set AppendTo re-encodes against it.
	b.records = appendRecord(b.records, r, r.Timestamp-b.firstTS, delta)
	b.count++
	b.lastDelta = delta
}

// appendRecord appends one encoded record.
func appendRecord(dst []byte, r Record, tsDelta int64, offDelta int32) []byte {
	size := 1 + varlongLen(tsDelta) + varintLen(offDelta) +
		bytesLen(r.Key) + bytesLen(r.Value) + varintLen(int32(len(r.Headers)))
	for _, h := range r.Headers {
		size += bytesLen(h.Key) + bytesLen(h.Value)
	}
	dst = appendVarint(dst, int32(size))
	dst = append(dst, byte(r.Attributes))
	dst = appendVarlong(dst, tsDelta)
	dst = appendVarint(dst, offDelta)
	dst = appendBytes(dst, r.Key)
	dst = appendBytes(dst, r.Value)
	dst = appendVarint(dst, int32(len(r.Headers)))
	for _, h := range r.Headers {
		key := h.Key
		if key == nil {
			key = []byte{} // header keys are never null
		}
		dst = appendBytes(dst, key)
		dst = appendBytes(dst, h.Value)
	}
	return dst
}

func bytesLen(b []byte) int {
	if b == nil {
		return varintLen(-1)
	}
	return varintLen(int32(len(b))) + len(b)
}

func appendBytes(dst, b []byte) []byte {
	if b == nil {
		return appendVarint(dst, -1)
	}
	dst = appendVarint(dst, int32(len(b)))
	return append(dst, b...)
}

// rebase re-encodes the records with timestamp deltas taken from base
// instead of the first record's timestamp.
func (b *Builder) rebase(base int64) ([]byte, error) {
	b.scratch = b.scratch[:0]
	h := Header{BaseTimestamp: b.firstTS, NumRecords: b.count, BaseSequence: -1}
	var r Record
	err := eachRecord(h, b.records, &r, func(r *Record) error {
		b.scratch = appendRecord(b.scratch, *r, r.Timestamp-base, r.OffsetDelta)
		return nil
	})
	return b.scratch, err
}

// Build returns the encoded batch in a new slice.
func (b *Builder) Build() ([]byte, error) { return b.AppendTo(nil) }

// AppendTo appends the encoded batch to dst: header, records (compressed
// with Codec), and the CRC-32C over everything after the CRC field.
func (b *Builder) AppendTo(dst []byte) ([]byte, error) {
	if !b.Codec.Valid() {
		return dst, fmt.Errorf("build batch: %w: %d", ErrBadCodec, int8(b.Codec))
	}
	if b.TimestampType != CreateTime && b.TimestampType != LogAppendTime {
		return dst, fmt.Errorf("build batch: timestamp type %v is not valid for magic 2", b.TimestampType)
	}
	attrs := uint16(b.Codec)
	if b.TimestampType == LogAppendTime {
		attrs |= attrLogAppendTime
	}
	if b.Transactional {
		attrs |= attrTransactional
	}
	if b.Control {
		attrs |= attrControl
	}
	baseTS, maxTS := b.firstTS, b.maxTS
	if b.count == 0 {
		baseTS, maxTS = -1, -1
	}
	if b.TimestampType == LogAppendTime {
		maxTS = b.LogAppendTime
	}
	records := b.records
	if b.DeleteHorizonMs >= 0 {
		attrs |= attrHasDeleteHorizon
		if b.count > 0 && b.DeleteHorizonMs != b.firstTS {
			var err error
			if records, err = b.rebase(b.DeleteHorizonMs); err != nil {
				return dst, fmt.Errorf("build batch: %w", err)
			}
		}
		baseTS = b.DeleteHorizonMs
	}
	lastDelta := b.lastDelta
	if b.count == 0 {
		lastDelta = 0
	}

	start := len(dst)
	var hdr [HeaderSize]byte
	dst = append(dst, hdr[:]...)
	var err error
	if dst, err = Compress(dst, b.Codec, records); err != nil {
		return dst[:start], fmt.Errorf("build batch: %w", err)
	}
	batch := dst[start:]
	length := len(batch) - LogOverhead
	if length > 1<<31-1 {
		return dst[:start], fmt.Errorf("build batch: %w: %d bytes", ErrBadLength, len(batch))
	}
	binary.BigEndian.PutUint64(batch[offBaseOffset:], uint64(b.BaseOffset))
	binary.BigEndian.PutUint32(batch[offLength:], uint32(length))
	binary.BigEndian.PutUint32(batch[offLeaderEpoch:], uint32(b.PartitionLeaderEpoch))
	batch[offMagic] = 2
	binary.BigEndian.PutUint16(batch[offAttributes:], attrs)
	binary.BigEndian.PutUint32(batch[offLastOffsetDelta:], uint32(lastDelta))
	binary.BigEndian.PutUint64(batch[offBaseTimestamp:], uint64(baseTS))
	binary.BigEndian.PutUint64(batch[offMaxTimestamp:], uint64(maxTS))
	binary.BigEndian.PutUint64(batch[offProducerID:], uint64(b.ProducerID))
	binary.BigEndian.PutUint16(batch[offProducerEpoch:], uint16(b.ProducerEpoch))
	binary.BigEndian.PutUint32(batch[offBaseSequence:], uint32(b.BaseSequence))
	binary.BigEndian.PutUint32(batch[offNumRecords:], uint32(b.count))
	binary.BigEndian.PutUint32(batch[offCRC:], ComputeCRC(batch))
	return dst, nil
}
