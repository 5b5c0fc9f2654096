package log

import (
	"encoding/binary"
	"fmt"

	"github.com/kafkakit/kafkakit/internal/record"
)

// Producer snapshot layout (reference section 8.4).
const (
	snapshotVersion     = 1
	snapshotHeaderSize  = 10 // version int16, crc uint32, count int32
	snapshotEntrySize   = 46
	snapshotSuffix      = ".snapshot"
	snapshotCRCStart    = 6
	snapshotCountOffset = 6
)

// ProducerSnapshotEntry is one producer in a .snapshot file: the state
// after its last batch, with only that batch's sequence range.
type ProducerSnapshotEntry struct {
	ProducerID            int64
	Epoch                 int16
	LastSequence          int32
	LastOffset            int64
	OffsetDelta           int32 // lastSequence - firstSequence of the last batch
	Timestamp             int64
	CoordinatorEpoch      int32
	CurrentTxnFirstOffset int64 // -1 when no transaction is open
}

// EncodeProducerSnapshot renders a version 1 snapshot with its CRC-32C.
func EncodeProducerSnapshot(entries []ProducerSnapshotEntry) []byte {
	b := make([]byte, snapshotHeaderSize+snapshotEntrySize*len(entries))
	binary.BigEndian.PutUint16(b[0:], snapshotVersion)
	binary.BigEndian.PutUint32(b[snapshotCountOffset:], uint32(len(entries)))
	p := b[snapshotHeaderSize:]
	for _, e := range entries {
		binary.BigEndian.PutUint64(p[0:], uint64(e.ProducerID))
		binary.BigEndian.PutUint16(p[8:], uint16(e.Epoch))
		binary.BigEndian.PutUint32(p[10:], uint32(e.LastSequence))
		binary.BigEndian.PutUint64(p[14:], uint64(e.LastOffset))
		binary.BigEndian.PutUint32(p[22:], uint32(e.OffsetDelta))
		binary.BigEndian.PutUint64(p[26:], uint64(e.Timestamp))
		binary.BigEndian.PutUint32(p[34:], uint32(e.CoordinatorEpoch))
		binary.BigEndian.PutUint64(p[38:], uint64(e.CurrentTxnFirstOffset))
		p = p[snapshotEntrySize:]
	}
	binary.BigEndian.PutUint32(b[2:], record.CRC32C(b[snapshotCRCStart:]))
	return b
}

// DecodeProducerSnapshot parses a .snapshot file, checking the version, the
// CRC-32C over everything after the CRC field, and that the entry count
// matches the size exactly.
func DecodeProducerSnapshot(b []byte) ([]ProducerSnapshotEntry, error) {
	if len(b) < snapshotHeaderSize {
		return nil, fmt.Errorf("producer snapshot: %d bytes, need at least %d", len(b), snapshotHeaderSize)
	}
	if v := int16(binary.BigEndian.Uint16(b)); v != snapshotVersion {
		return nil, fmt.Errorf("producer snapshot: unknown version %d", v)
	}
	stored := binary.BigEndian.Uint32(b[2:])
	if got := record.CRC32C(b[snapshotCRCStart:]); got != stored {
		return nil, fmt.Errorf("producer snapshot: crc %#08x does not match stored %#08x", got, stored)
	}
	n := int32(binary.BigEndian.Uint32(b[snapshotCountOffset:]))
	if n < 0 || int64(len(b)-snapshotHeaderSize) != int64(n)*snapshotEntrySize {
		return nil, fmt.Errorf("producer snapshot: %d entries do not fit %d bytes", n, len(b)-snapshotHeaderSize)
	}
	out := make([]ProducerSnapshotEntry, n)
	p := b[snapshotHeaderSize:]
	for i := range out {
		out[i] = ProducerSnapshotEntry{
			ProducerID:            int64(binary.BigEndian.Uint64(p[0:])),
			Epoch:                 int16(binary.BigEndian.Uint16(p[8:])),
			LastSequence:          int32(binary.BigEndian.Uint32(p[10:])),
			LastOffset:            int64(binary.BigEndian.Uint64(p[14:])),
			OffsetDelta:           int32(binary.BigEndian.Uint32(p[22:])),
			Timestamp:             int64(binary.BigEndian.Uint64(p[26:])),
			CoordinatorEpoch:      int32(binary.BigEndian.Uint32(p[34:])),
			CurrentTxnFirstOffset: int64(binary.BigEndian.Uint64(p[38:])),
		}
		p = p[snapshotEntrySize:]
	}
	return out, nil
}
