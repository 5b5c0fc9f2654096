package log

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// FormatUUID renders a 16-byte id the way Kafka prints topic, cluster and
// directory ids: URL-safe base64 without padding, 22 characters.
func FormatUUID(id [16]byte) string { return base64.RawURLEncoding.EncodeToString(id[:]) }

// ParseUUID is the inverse of FormatUUID.
func ParseUUID(s string) ([16]byte, error) {
	var id [16]byte
	if len(s) != 22 {
		return id, fmt.Errorf("uuid %q: want 22 base64url characters, have %d", s, len(s))
	}
	n, err := base64.RawURLEncoding.Decode(id[:], []byte(s))
	if err != nil || n != 16 {
		return [16]byte{}, fmt.Errorf("uuid %q: not base64url", s)
	}
	return id, nil
}

// NewUUID returns a random id as Kafka's Uuid.randomUuid does: it is never
// one of the reserved ids (all zero, or 0…01 used by the metadata topic and
// 0…02 by directory migration) and its string form never starts with '-',
// which command-line parsers would take for a flag.
func NewUUID() [16]byte {
	for {
		var id [16]byte
		_, _ = rand.Read(id[:]) // crypto/rand.Read never fails since Go 1.24
		if isReservedUUID(id) || FormatUUID(id)[0] == '-' {
			continue
		}
		return id
	}
}

func isReservedUUID(id [16]byte) bool {
	for _, b := range id[:15] {
		if b != 0 {
			return false
		}
	}
	return id[15] < 100 // Kafka reserves the first 100 ids
}
