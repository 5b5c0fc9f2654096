package group

import (
	"encoding/binary"
	"errors"
	"fmt"
)

var errBadSubscription = errors.New("malformed consumer protocol subscription")

// parseSubscriptionTopics reads the topics of a consumer protocol
// subscription (the metadata a "consumer" group member joins with). Like
// Kafka's coordinator it reads only the version-0 layout every later version
// starts with: version int16 (not negative), topics [string], user data
// nullable bytes; later fields (owned partitions, generation, rack) are
// ignored.
func parseSubscriptionTopics(b []byte) ([]string, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("%w: %d bytes", errBadSubscription, len(b))
	}
	if v := int16(binary.BigEndian.Uint16(b)); v < 0 {
		return nil, fmt.Errorf("%w: version %d", errBadSubscription, v)
	}
	b = b[2:]
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: no topic count", errBadSubscription)
	}
	n := int32(binary.BigEndian.Uint32(b))
	b = b[4:]
	// Each topic takes at least its two length bytes.
	if n < 0 || int64(n)*2 > int64(len(b)) {
		return nil, fmt.Errorf("%w: %d topics in %d bytes", errBadSubscription, n, len(b))
	}
	topics := make([]string, 0, n)
	for range n {
		if len(b) < 2 {
			return nil, fmt.Errorf("%w: truncated topic", errBadSubscription)
		}
		l := int16(binary.BigEndian.Uint16(b))
		b = b[2:]
		if l < 0 || int(l) > len(b) {
			return nil, fmt.Errorf("%w: topic length %d with %d bytes left", errBadSubscription, l, len(b))
		}
		topics = append(topics, string(b[:l]))
		b = b[l:]
	}
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: no user data", errBadSubscription)
	}
	if l := int32(binary.BigEndian.Uint32(b)); l > 0 && int64(l) > int64(len(b)-4) {
		return nil, fmt.Errorf("%w: user data length %d with %d bytes left", errBadSubscription, l, len(b)-4)
	}
	return topics, nil
}
