package log

import (
	"fmt"
	"strings"
)

// PartitionMetadataFile is the per-partition file holding the topic id.
const PartitionMetadataFile = "partition.metadata"

// EncodePartitionMetadata renders partition.metadata exactly as Kafka
// writes it: two "key: value" lines and no newline after the last one.
func EncodePartitionMetadata(topicID [16]byte) []byte {
	return []byte("version: 0\ntopic_id: " + FormatUUID(topicID))
}

// DecodePartitionMetadata parses partition.metadata. It accepts a trailing
// newline (Kafka reads the file line by line) but requires version 0 and a
// valid topic id.
func DecodePartitionMetadata(b []byte) ([16]byte, error) {
	var id [16]byte
	text := strings.TrimSuffix(string(b), "\n")
	lines := strings.Split(text, "\n")
	if len(lines) != 2 {
		return id, fmt.Errorf("partition metadata: want 2 lines, have %d", len(lines))
	}
	v, ok := strings.CutPrefix(lines[0], "version: ")
	if !ok {
		return id, fmt.Errorf("partition metadata: first line %q is not \"version: N\"", lines[0])
	}
	if strings.TrimSpace(v) != "0" {
		return id, fmt.Errorf("partition metadata: unrecognized version %q", v)
	}
	t, ok := strings.CutPrefix(lines[1], "topic_id: ")
	if !ok {
		return id, fmt.Errorf("partition metadata: second line %q is not \"topic_id: ID\"", lines[1])
	}
	id, err := ParseUUID(strings.TrimSpace(t))
	if err != nil {
		return id, fmt.Errorf("partition metadata: %w", err)
	}
	return id, nil
}
