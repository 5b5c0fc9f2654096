package metadata

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
)

// UUID is a 128-bit id as Kafka uses for topic ids, incarnation ids and
// directory ids. Its text form is Kafka's: unpadded URL-safe base64 of the
// 16 bytes (org.apache.kafka.common.Uuid.toString).
type UUID [16]byte

// TopicID is a topic's UUID. It is never zero; a topic that is deleted and
// created again under the same name gets a new one.
type TopicID = UUID

// uuidEncoding is strict so that every UUID has exactly one text form.
var uuidEncoding = base64.RawURLEncoding.Strict()

// String returns the Kafka text form, e.g. "AAAAAAAAAAAAAAAAAAAAAA" for zero.
func (u UUID) String() string { return uuidEncoding.EncodeToString(u[:]) }

// IsZero reports whether u is Kafka's ZERO_UUID, which means "no id".
func (u UUID) IsZero() bool { return u == UUID{} }

// MarshalText implements encoding.TextMarshaler with the Kafka text form.
func (u UUID) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler for the Kafka text form.
func (u *UUID) UnmarshalText(b []byte) error {
	v, err := ParseUUID(string(b))
	if err != nil {
		return err
	}
	*u = v
	return nil
}

// ParseUUID parses the Kafka text form of a UUID.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	if len(s) != 22 {
		return u, fmt.Errorf("parse uuid %q: want 22 base64 characters, got %d", s, len(s))
	}
	n, err := uuidEncoding.Decode(u[:], []byte(s))
	if err != nil || n != 16 {
		return UUID{}, fmt.Errorf("parse uuid %q: not url-safe base64 of 16 bytes", s)
	}
	return u, nil
}

// reservedUUIDs are never handed out as new ids: ZERO_UUID and ONE_UUID (the
// latter is the id of the __cluster_metadata topic).
var oneUUID = UUID{15: 1}

// NewUUID returns a random version 4 UUID read from r (crypto/rand.Reader
// when r is nil). Like Kafka's Uuid.randomUuid it never returns a reserved
// id or one whose text form starts with '-', which command-line tools would
// take for a flag.
func NewUUID(r io.Reader) (UUID, error) {
	if r == nil {
		r = rand.Reader
	}
	for {
		var u UUID
		if _, err := io.ReadFull(r, u[:]); err != nil {
			return UUID{}, fmt.Errorf("generate uuid: %w", err)
		}
		u[6] = u[6]&0x0f | 0x40 // version 4
		u[8] = u[8]&0x3f | 0x80 // IETF variant
		if u.IsZero() || u == oneUUID || u.String()[0] == '-' {
			continue
		}
		return u, nil
	}
}
