package record

import (
	"encoding/binary"
	"fmt"
)

// ControlType is the type of a control record, from its key.
type ControlType int16

// Control record types (Kafka's ControlRecordType).
const (
	ControlAbort          ControlType = 0
	ControlCommit         ControlType = 1
	ControlLeaderChange   ControlType = 2
	ControlSnapshotHeader ControlType = 3
	ControlSnapshotFooter ControlType = 4
	ControlKRaftVersion   ControlType = 5
	ControlKRaftVoters    ControlType = 6
)

// String returns Kafka's name for the type, e.g. "COMMIT", or "UNKNOWN"
// for types this package does not know.
func (t ControlType) String() string {
	switch t {
	case ControlAbort:
		return "ABORT"
	case ControlCommit:
		return "COMMIT"
	case ControlLeaderChange:
		return "LEADER_CHANGE"
	case ControlSnapshotHeader:
		return "SNAPSHOT_HEADER"
	case ControlSnapshotFooter:
		return "SNAPSHOT_FOOTER"
	case ControlKRaftVersion:
		return "KRAFT_VERSION"
	case ControlKRaftVoters:
		return "KRAFT_VOTERS"
	}
	return "UNKNOWN"
}

// ControlKey is the key of a control record: a version (0 today) and the
// record type.
type ControlKey struct {
	Version int16
	Type    ControlType
}

// controlKeySize is the size of a version 0 control key.
const controlKeySize = 4

// ParseControlKey decodes a control record key. Like Kafka it rejects a
// null or short key and a negative version, and reads the type of a newer
// version's key from the same place, ignoring any bytes after it.
func ParseControlKey(key []byte) (ControlKey, error) {
	if len(key) < controlKeySize {
		return ControlKey{}, fmt.Errorf("%w: control record key has %d bytes, need %d", ErrInvalidRecord, len(key), controlKeySize)
	}
	k := ControlKey{
		Version: int16(binary.BigEndian.Uint16(key)),
		Type:    ControlType(int16(binary.BigEndian.Uint16(key[2:]))),
	}
	if k.Version < 0 {
		return ControlKey{}, fmt.Errorf("%w: control record key version %d", ErrInvalidRecord, k.Version)
	}
	return k, nil
}

// AppendControlKey appends the encoding of k.
func AppendControlKey(dst []byte, k ControlKey) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(k.Version))
	return binary.BigEndian.AppendUint16(dst, uint16(k.Type))
}

// EndTxnMarker is the value of a COMMIT or ABORT control record.
type EndTxnMarker struct {
	Version          int16
	CoordinatorEpoch int32
}

// endTxnMarkerSize is the size of a version 0 EndTxnMarker value.
const endTxnMarkerSize = 6

// ParseEndTxnMarker decodes the value of a COMMIT or ABORT control record.
// It rejects a null or short value and a negative version.
func ParseEndTxnMarker(value []byte) (EndTxnMarker, error) {
	if len(value) < endTxnMarkerSize {
		return EndTxnMarker{}, fmt.Errorf("%w: end transaction marker has %d bytes, need %d", ErrInvalidRecord, len(value), endTxnMarkerSize)
	}
	m := EndTxnMarker{
		Version:          int16(binary.BigEndian.Uint16(value)),
		CoordinatorEpoch: int32(binary.BigEndian.Uint32(value[2:])),
	}
	if m.Version < 0 {
		return EndTxnMarker{}, fmt.Errorf("%w: end transaction marker version %d", ErrInvalidRecord, m.Version)
	}
	return m, nil
}

// AppendEndTxnMarker appends the encoding of m.
func AppendEndTxnMarker(dst []byte, m EndTxnMarker) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(m.Version))
	return binary.BigEndian.AppendUint32(dst, uint32(m.CoordinatorEpoch))
}

// EndTxnMarkerBatch describes a transaction marker as the partition leader
// writes it for the transaction coordinator.
type EndTxnMarkerBatch struct {
	BaseOffset           int64
	PartitionLeaderEpoch int32
	ProducerID           int64
	ProducerEpoch        int16
	Commit               bool // COMMIT when true, ABORT otherwise
	CoordinatorEpoch     int32
	Timestamp            int64 // the marker's timestamp (broker time)
}

// AppendEndTxnMarkerBatch appends a control batch holding one COMMIT or
// ABORT record: transactional and control attributes set, the producer's
// id and epoch, sequence -1, offset delta 0, an uncompressed CreateTime
// record with key (0, type) and an EndTxnMarker v0 value — the shape Kafka
// gives transaction markers.
func AppendEndTxnMarkerBatch(dst []byte, m EndTxnMarkerBatch) []byte {
	typ := ControlAbort
	if m.Commit {
		typ = ControlCommit
	}
	var key [controlKeySize]byte
	var value [endTxnMarkerSize]byte
	bld := NewBuilder(CodecNone)
	bld.BaseOffset = m.BaseOffset
	bld.PartitionLeaderEpoch = m.PartitionLeaderEpoch
	bld.ProducerID = m.ProducerID
	bld.ProducerEpoch = m.ProducerEpoch
	bld.Transactional = true
	bld.Control = true
	bld.Add(Record{
		Timestamp: m.Timestamp,
		Key:       AppendControlKey(key[:0], ControlKey{Type: typ}),
		Value:     AppendEndTxnMarker(value[:0], EndTxnMarker{CoordinatorEpoch: m.CoordinatorEpoch}),
	})
	out, _ := bld.AppendTo(dst) // uncompressed encoding cannot fail
	return out
}
