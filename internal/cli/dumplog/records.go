package dumplog

import (
	"github.com/kafkakit/kafkakit/internal/record"
)

// recView is what the dump needs of one record, for v2 batches and legacy
// messages alike. Slices alias the segment or a decompression buffer and
// are valid only during the callback.
type recView struct {
	offset    int64
	timestamp int64
	key       []byte // nil when null
	value     []byte // nil when null
	sequence  int32
	headers   []record.RecordHeader

	// Legacy (magic 0/1) messages only: each inner message carries its own
	// CRC-32, which Kafka prints per record.
	legacy      bool
	legacyValid bool
	legacyCRC   uint32
}

func (r *recView) keySize() int {
	if r.key == nil {
		return -1
	}
	return len(r.key)
}

func (r *recView) valueSize() int {
	if r.value == nil {
		return -1
	}
	return len(r.value)
}

// eachRecord calls fn for every record of the entry, in offset order,
// decompressing within limit bytes. For a legacy entry these are the
// message itself, or the inner messages of a compressed wrapper with the
// absolute offsets and timestamps Kafka derives for them.
func eachRecord(e *record.Entry, limit int64, fn func(r *recView) error) error {
	var v recView
	if b, ok := e.Batch(); ok {
		d := record.Decoder{MaxDecompressedSize: decompressLimit(limit)}
		return d.EachRecord(b, func(r *record.Record) error {
			v = recView{
				offset:    r.Offset,
				timestamp: r.Timestamp,
				key:       r.Key,
				value:     r.Value,
				sequence:  r.Sequence,
				headers:   r.Headers,
			}
			return fn(&v)
		})
	}
	return eachLegacyRecord(e, limit, fn)
}

// decompressLimit bounds how much one batch may inflate to. Kafka has no
// such bound; this one is generous (the larger of 1 GiB and 64 times the
// --max-message-size) and only stops decompression bombs.
func decompressLimit(maxMessageSize int64) int {
	l := max(int64(1<<30), 64*maxMessageSize)
	if l > int64(^uint(0)>>1) {
		l = int64(^uint(0) >> 1)
	}
	return int(l)
}

// eachLegacyRecord walks the message(s) of a magic 0/1 entry: the message
// itself, or the inner messages of a compressed wrapper. Each carries its
// own CRC-32 and validity, which Kafka prints per record.
func eachLegacyRecord(e *record.Entry, limit int64, fn func(r *recView) error) error {
	d := record.Decoder{MaxDecompressedSize: decompressLimit(limit)}
	var v recView
	return d.EachLegacyMessage(e.Raw, func(m *record.LegacyMessage) error {
		v = recView{
			offset:      m.Offset,
			timestamp:   m.Timestamp,
			key:         m.Key,
			value:       m.Value,
			sequence:    -1,
			legacy:      true,
			legacyValid: m.ValidCRC(),
			legacyCRC:   m.CRC,
		}
		return fn(&v)
	})
}
