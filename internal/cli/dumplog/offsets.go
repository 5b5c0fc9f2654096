package dumplog

import (
	"encoding/binary"
	"fmt"
)

// coordinatorRecord pairs the key and value schemas of one
// __consumer_offsets record type (the key's leading int16).
type coordinatorRecord struct {
	key, value *msgSchema
}

// coordinatorRecords are the record types Kafka 3.9's group coordinator
// serde knows: 0 and 1 offset commits, 2 classic group metadata, 3 to 8 the
// KIP-848 consumer group records.
var coordinatorRecords = map[int16]coordinatorRecord{
	0: {schemaOffsetCommitKey, schemaOffsetCommitValue},
	1: {schemaOffsetCommitKey, schemaOffsetCommitValue},
	2: {schemaGroupMetadataKey, schemaGroupMetadataValue},
	3: {schemaConsumerGroupMetadataKey, schemaConsumerGroupMetadataValue},
	4: {schemaConsumerGroupPartitionMetadataKey, schemaConsumerGroupPartitionMetadataValue},
	5: {schemaConsumerGroupMemberMetadataKey, schemaConsumerGroupMemberMetadataValue},
	6: {schemaConsumerGroupTargetAssignmentMetadataKey, schemaConsumerGroupTargetAssignmentMetadataValue},
	7: {schemaConsumerGroupTargetAssignmentMemberKey, schemaConsumerGroupTargetAssignmentMemberValue},
	8: {schemaConsumerGroupCurrentMemberAssignmentKey, schemaConsumerGroupCurrentMemberAssignmentValue},
}

// consumerProtocolType is the protocol type of groups whose member
// subscriptions and assignments use the consumer embedded protocol.
const consumerProtocolType = "consumer"

// parseOffsetsRecord renders a __consumer_offsets record as
// --offsets-decoder does in Kafka 3.9: key {"type":"<n>","data":{…}} and
// value {"version":"<n>","data":{…}}, "<DELETE>" for a tombstone, and
// "Unknown record type …" / "Error at offset …" keys for records it cannot
// read. A record without a key is an error, as in Kafka.
func parseOffsetsRecord(offset int64, key, value []byte) (k, v *string, err error) {
	if key == nil {
		return nil, nil, fmt.Errorf("Failed to decode message at offset %d using offset topic decoder (message had a missing key)", offset)
	}
	ks, vs, typ, derr := decodeCoordinatorRecord(key, value)
	switch {
	case derr == errUnknownType:
		s := fmt.Sprintf("Unknown record type %d at offset %d, skipping.", typ, offset)
		return &s, nil, nil
	case derr != nil:
		s := fmt.Sprintf("Error at offset %d, skipping. %s", offset, derr.Error())
		return &s, nil, nil
	}
	return &ks, &vs, nil
}

type sentinel string

func (s sentinel) Error() string { return string(s) }

const errUnknownType = sentinel("unknown record type")

func decodeCoordinatorRecord(key, value []byte) (k, v string, typ int16, err error) {
	if len(key) < 2 {
		return "", "", 0, sentinel("Could not read version from key's buffer.")
	}
	typ = int16(binary.BigEndian.Uint16(key))
	rec, ok := coordinatorRecords[typ]
	if !ok {
		return "", "", typ, errUnknownType
	}
	kd, _, err := rec.key.decode(key[2:], typ)
	if err != nil {
		return "", "", typ, sentinel(fmt.Sprintf("Could not read record with version %d from key's buffer due to: %s.", typ, kafkaMessage(err)))
	}
	if value == nil {
		return wrapJSON("type", typ, kd), "<DELETE>", typ, nil
	}
	if len(value) < 2 {
		return "", "", typ, sentinel("Could not read version from value's buffer.")
	}
	vv := int16(binary.BigEndian.Uint16(value))
	vd, _, err := rec.value.decode(value[2:], vv)
	if err != nil {
		return "", "", typ, sentinel(fmt.Sprintf("Could not read record with version %d from value's buffer due to: %s.", vv, kafkaMessage(err)))
	}
	if typ == 2 {
		expandConsumerProtocol(vd)
	}
	return wrapJSON("type", typ, kd), wrapJSON("version", vv, vd), typ, nil
}

// wrapJSON builds {"<label>":"<n>","data":<data>}; the number is a string,
// as Kafka writes it.
func wrapJSON(label string, n int16, data *jobj) string {
	o := &jobj{}
	o.set(label, fmt.Sprint(n))
	o.set("data", data)
	return jsonString(o)
}

// expandConsumerProtocol replaces, for groups of protocol type "consumer",
// each member's subscription and assignment bytes by their decoded
// ConsumerProtocolSubscription / ConsumerProtocolAssignment, keeping the
// raw bytes when they do not decode (Kafka swallows that error too).
func expandConsumerProtocol(v *jobj) {
	pt, _ := v.get("protocolType")
	if s, ok := pt.(string); !ok || s != consumerProtocolType {
		return
	}
	members, _ := v.get("members")
	arr, ok := members.([]any)
	if !ok {
		return
	}
	for _, m := range arr {
		mo, ok := m.(*jobj)
		if !ok {
			continue
		}
		replaceEmbedded(mo, "subscription", schemaConsumerProtocolSubscription)
		replaceEmbedded(mo, "assignment", schemaConsumerProtocolAssignment)
	}
}

func replaceEmbedded(m *jobj, field string, s *msgSchema) {
	raw, ok := m.get(field)
	if !ok {
		return
	}
	b, ok := raw.([]byte)
	if !ok || len(b) < 2 {
		return
	}
	version := int16(binary.BigEndian.Uint16(b))
	d, _, err := s.decode(b[2:], version)
	if err != nil {
		return
	}
	m.replace(field, d)
}
