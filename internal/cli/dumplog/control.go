package dumplog

import (
	"encoding/binary"
	"fmt"
)

// Control record types (the int16 after the key's version).
const (
	controlAbort          = 0
	controlCommit         = 1
	controlLeaderChange   = 2
	controlSnapshotHeader = 3
	controlSnapshotFooter = 4
	controlKRaftVersion   = 5
	controlKRaftVoters    = 6
)

// controlTypeName is Kafka's ControlRecordType constant name; types it
// does not know are UNKNOWN.
func controlTypeName(t int16) string {
	switch t {
	case controlAbort:
		return "ABORT"
	case controlCommit:
		return "COMMIT"
	case controlLeaderChange:
		return "LEADER_CHANGE"
	case controlSnapshotHeader:
		return "SNAPSHOT_HEADER"
	case controlSnapshotFooter:
		return "SNAPSHOT_FOOTER"
	case controlKRaftVersion:
		return "KRAFT_VERSION"
	case controlKRaftVoters:
		return "KRAFT_VOTERS"
	}
	return "UNKNOWN"
}

// controlKeySize is the size of a control record key: int16 version and
// int16 type.
const controlKeySize = 4

// parseControlType reads the type from a control record key, with the
// checks of Kafka's ControlRecordType.parseTypeId.
func parseControlType(key []byte) (int16, error) {
	if len(key) < controlKeySize {
		return 0, fmt.Errorf("invalid value size found for end control record key: must have at least %d bytes, but found only %d", controlKeySize, len(key))
	}
	if v := int16(binary.BigEndian.Uint16(key)); v < 0 {
		return 0, fmt.Errorf("invalid version found for control record: %d, which may indicate data corruption", v)
	}
	return int16(binary.BigEndian.Uint16(key[2:])), nil
}

// controlSuffix renders what Kafka 3.9 appends to the record line of a
// control record: the transaction marker, the KRaft snapshot header and
// footer, kraft.version and voters records as JSON, or the type name and id.
func controlSuffix(key, value []byte) (string, error) {
	t, err := parseControlType(key)
	if err != nil {
		return "", err
	}
	switch t {
	case controlAbort, controlCommit:
		if len(value) < 6 {
			return "", fmt.Errorf("invalid value size found for end transaction marker: must have at least 6 bytes, but found only %d", len(value))
		}
		if v := int16(binary.BigEndian.Uint16(value)); v < 0 {
			return "", fmt.Errorf("invalid version found for end transaction marker: %d, which may indicate data corruption", v)
		}
		return fmt.Sprintf(" endTxnMarker: %s coordinatorEpoch: %d", controlTypeName(t), int32(binary.BigEndian.Uint32(value[2:]))), nil
	case controlSnapshotHeader:
		return kraftControlJSON(" SnapshotHeader ", schemaSnapshotHeaderRecord, value)
	case controlSnapshotFooter:
		return kraftControlJSON(" SnapshotFooter ", schemaSnapshotFooterRecord, value)
	case controlKRaftVersion:
		return kraftControlJSON(" KRaftVersion ", schemaKRaftVersionRecord, value)
	case controlKRaftVoters:
		return kraftControlJSON(" KRaftVoters ", schemaVotersRecord, value)
	}
	return fmt.Sprintf(" controlType: %s(%d)", controlTypeName(t), t), nil
}

// kraftControlJSON decodes a KRaft control record value at version 0 (as
// Kafka reads them) and renders it with the version stored in its own
// Version field, as Kafka's JSON converter call does.
func kraftControlJSON(label string, s *msgSchema, value []byte) (string, error) {
	o, _, err := s.decode(value, 0)
	if err != nil {
		return "", fmt.Errorf("decode %s control record: %w", s.name, err)
	}
	if v, _ := o.get("version"); v != nil {
		if n, ok := v.(int64); ok && n < 0 {
			// No field exists in a negative version.
			o = &jobj{}
		}
	}
	return label + jsonString(o), nil
}

// controlJSON is the control record's content for --output json.
func controlJSON(key, value []byte) (*jobj, error) {
	t, err := parseControlType(key)
	if err != nil {
		return nil, err
	}
	o := &jobj{}
	o.set("type", controlTypeName(t))
	o.set("typeId", int64(t))
	switch t {
	case controlAbort, controlCommit:
		if len(value) < 6 {
			return nil, fmt.Errorf("invalid value size found for end transaction marker: must have at least 6 bytes, but found only %d", len(value))
		}
		o.set("coordinatorEpoch", int64(int32(binary.BigEndian.Uint32(value[2:]))))
	case controlSnapshotHeader, controlSnapshotFooter, controlKRaftVersion, controlKRaftVoters, controlLeaderChange:
		s := map[int16]*msgSchema{
			controlSnapshotHeader: schemaSnapshotHeaderRecord,
			controlSnapshotFooter: schemaSnapshotFooterRecord,
			controlKRaftVersion:   schemaKRaftVersionRecord,
			controlKRaftVoters:    schemaVotersRecord,
			controlLeaderChange:   schemaLeaderChangeMessage,
		}[t]
		data, _, err := s.decode(value, 0)
		if err != nil {
			return nil, fmt.Errorf("decode %s control record: %w", s.name, err)
		}
		o.set("data", data)
	}
	return o, nil
}
