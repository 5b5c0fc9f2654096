package record

import (
	"encoding/binary"
	"fmt"
)

// LegacyMessage is one magic 0 or 1 message. From EachLegacyMessage, a
// compressed wrapper's inner messages come with absolute offsets and
// resolved timestamps; Key, Value and Raw alias the input or the
// decompression buffer. A nil Key or Value is null.
type LegacyMessage struct {
	Offset        int64
	Magic         int8
	Attributes    int8
	Timestamp     int64 // -1 for magic 0
	TimestampType TimestampType
	CRC           uint32
	Key           []byte
	Value         []byte
	// Raw is the message-set entry holding the message (offset, size and
	// message) exactly as stored; for an inner message its offset field is
	// the stored (possibly relative) one.
	Raw []byte
}

// Codec returns the codec of the message's value.
func (m *LegacyMessage) Codec() Codec { return Codec(m.Attributes & attrCodecMask) }

// ValidCRC reports whether the message's stored CRC-32 matches its bytes.
func (m *LegacyMessage) ValidCRC() bool { return ValidLegacyCRC(m.Raw) }

// ParseLegacyMessage decodes the single magic 0 or 1 message-set entry at
// the start of entry without decompressing it. The CRC is not checked.
func ParseLegacyMessage(entry []byte) (LegacyMessage, error) {
	var m LegacyMessage
	if err := parseLegacyMessage(entry, &m); err != nil {
		return LegacyMessage{}, err
	}
	return m, nil
}

func parseLegacyMessage(entry []byte, m *LegacyMessage) error {
	h, err := ParseLegacyHeader(entry)
	if err != nil {
		return err
	}
	size := h.Size()
	if len(entry) < size {
		return fmt.Errorf("%w: legacy message needs %d bytes, have %d", ErrShortBuffer, size, len(entry))
	}
	body := entry[:size]
	p := magicOffset + 2
	if h.Magic == 1 {
		p += 8
	}
	if m.Key, p, err = readLegacyBytes(body, p, "key"); err != nil {
		return err
	}
	if m.Value, p, err = readLegacyBytes(body, p, "value"); err != nil {
		return err
	}
	if p != size {
		return fmt.Errorf("%w: legacy message at offset %d has %d bytes after its value", ErrInvalidRecord, h.Offset, size-p)
	}
	m.Offset = h.Offset
	m.Magic = h.Magic
	m.Attributes = h.Attributes
	m.Timestamp = h.Timestamp
	m.TimestampType = h.TimestampType()
	m.CRC = h.CRC
	m.Raw = body
	return nil
}

// readLegacyBytes reads an int32 length (-1 = null) and that many bytes.
func readLegacyBytes(b []byte, p int, field string) ([]byte, int, error) {
	if len(b)-p < 4 {
		return nil, p, fmt.Errorf("%w: legacy message %s length truncated", ErrInvalidRecord, field)
	}
	n := int32(binary.BigEndian.Uint32(b[p:]))
	p += 4
	if n == -1 {
		return nil, p, nil
	}
	if n < -1 || int(n) > len(b)-p {
		return nil, p, fmt.Errorf("%w: legacy message %s length %d with %d bytes left", ErrInvalidRecord, field, n, len(b)-p)
	}
	end := p + int(n)
	return b[p:end:end], end, nil
}

// EachLegacyMessage decodes the legacy entry with the default decompression
// limit; see Decoder.EachLegacyMessage.
func EachLegacyMessage(entry []byte, fn func(m *LegacyMessage) error) error {
	var d Decoder
	return d.EachLegacyMessage(entry, fn)
}

// EachLegacyMessage decodes one magic 0 or 1 message-set entry (as yielded
// by the Iterator) and calls fn for each message it holds: the message
// itself when uncompressed, or else the inner messages of the compressed
// wrapper. Inner offsets are made absolute (magic 0 stores them absolute;
// magic 1 stores them relative to the wrapper, whose offset is that of the
// last inner message), and a magic 1 LogAppendTime wrapper's timestamp
// replaces those of magic 1 inner messages, as Kafka's deep iterator does.
// Inner messages must be complete and uncompressed; like Kafka's reader (as
// opposed to its produce validation) this does not require their magic to
// match the wrapper's. The *LegacyMessage and its slices are valid only
// until fn returns; fn's error is returned unchanged. CRCs are not checked
// (see LegacyMessage.ValidCRC).
func (d *Decoder) EachLegacyMessage(entry []byte, fn func(m *LegacyMessage) error) error {
	m := &d.legacy
	if err := parseLegacyMessage(entry, m); err != nil {
		return err
	}
	codec := m.Codec()
	if codec == CodecNone {
		return fn(m)
	}
	if !codec.Valid() || codec == CodecZstd {
		return fmt.Errorf("legacy message at offset %d: %w: %s is not allowed for magic %d", m.Offset, ErrBadCodec, codec, m.Magic)
	}
	if m.Value == nil {
		return fmt.Errorf("%w: compressed legacy message at offset %d has a null value", ErrInvalidRecord, m.Offset)
	}
	wrapper := *m
	inner, err := decompress(d.buf[:0], codec, wrapper.Value, d.limit(), wrapper.Magic == 0)
	if err != nil {
		return fmt.Errorf("decompress legacy message at offset %d: %w", wrapper.Offset, err)
	}
	d.buf = inner

	// First pass: check every inner message and find the last inner offset,
	// which magic 1 needs to turn relative offsets into absolute ones.
	var it Iterator
	count := 0
	var lastInner int64
	for it.Reset(inner); it.Next(); count++ {
		if err := parseLegacyMessage(it.Entry().Raw, m); err != nil {
			return fmt.Errorf("inner message %d of wrapper at offset %d: %w", count, wrapper.Offset, err)
		}
		if m.Codec() != CodecNone {
			return fmt.Errorf("%w: inner message %d of wrapper at offset %d is itself compressed", ErrInvalidRecord, count, wrapper.Offset)
		}
		lastInner = m.Offset
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("%w: inner messages of wrapper at offset %d: %w", ErrInvalidRecord, wrapper.Offset, err)
	}
	if it.Trailing() != 0 {
		return fmt.Errorf("%w: inner messages of wrapper at offset %d end with %d stray bytes", ErrInvalidRecord, wrapper.Offset, it.Trailing())
	}
	if count == 0 {
		return fmt.Errorf("%w: compressed legacy message at offset %d holds no messages", ErrInvalidRecord, wrapper.Offset)
	}
	// Magic 1 inner offsets are relative to the first inner message, whose
	// absolute offset follows from the wrapper's (the last one). Some
	// librdkafka versions produce wrappers with offset 0; Kafka then takes
	// the inner offsets as they are, and otherwise rejects a wrapper offset
	// below the last inner one.
	var base int64
	if wrapper.Magic > 0 && wrapper.Offset != 0 {
		if wrapper.Offset < lastInner {
			return fmt.Errorf("%w: wrapper offset %d is below its last inner offset %d", ErrInvalidRecord, wrapper.Offset, lastInner)
		}
		base = wrapper.Offset - lastInner
	}

	for it.Reset(inner); it.Next(); {
		if err := parseLegacyMessage(it.Entry().Raw, m); err != nil {
			return err // checked above; cannot happen
		}
		if wrapper.Magic > 0 {
			m.Offset += base
			if m.Magic > 0 && wrapper.TimestampType == LogAppendTime {
				m.Timestamp = wrapper.Timestamp
				m.TimestampType = LogAppendTime
			}
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}
