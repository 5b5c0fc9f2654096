package record

// Zig-zag varints as used inside v2 records (protobuf sint32/sint64): the
// value is zig-zag mapped, then written as little-endian base-128 groups
// with the high bit marking continuation. An int32 takes at most 5 bytes
// and an int64 at most 10; longer encodings, and encodings whose value does
// not fit, are rejected.

// readVarint decodes a zig-zag varint of at most 5 bytes that fits in 32
// bits. n is the number of bytes read, or 0 if b is malformed or short.
func readVarint(b []byte) (v int32, n int) {
	var u uint32
	for i := 0; i < 5; i++ {
		if i >= len(b) {
			return 0, 0
		}
		c := b[i]
		if i == 4 && c > 0x0f {
			return 0, 0 // more than 32 bits, or a sixth byte
		}
		u |= uint32(c&0x7f) << (7 * i)
		if c < 0x80 {
			return int32(u>>1) ^ -int32(u&1), i + 1
		}
	}
	return 0, 0
}

// readVarlong decodes a zig-zag varint of at most 10 bytes that fits in 64
// bits. n is the number of bytes read, or 0 if b is malformed or short.
func readVarlong(b []byte) (v int64, n int) {
	var u uint64
	for i := 0; i < 10; i++ {
		if i >= len(b) {
			return 0, 0
		}
		c := b[i]
		if i == 9 && c > 0x01 {
			return 0, 0
		}
		u |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return int64(u>>1) ^ -int64(u&1), i + 1
		}
	}
	return 0, 0
}

// appendVarint appends the zig-zag varint encoding of v.
func appendVarint(b []byte, v int32) []byte {
	return appendUvarint(b, uint64(uint32((v<<1)^(v>>31))))
}

// appendVarlong appends the zig-zag varint encoding of v.
func appendVarlong(b []byte, v int64) []byte {
	return appendUvarint(b, uint64((v<<1)^(v>>63)))
}

func appendUvarint(b []byte, u uint64) []byte {
	for u >= 0x80 {
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return append(b, byte(u))
}

// varintLen returns the encoded size of v as a zig-zag varint.
func varintLen(v int32) int { return uvarintLen(uint64(uint32((v << 1) ^ (v >> 31)))) }

// varlongLen returns the encoded size of v as a zig-zag varlong.
func varlongLen(v int64) int { return uvarintLen(uint64((v << 1) ^ (v >> 63))) }

func uvarintLen(u uint64) int {
	n := 1
	for u >= 0x80 {
		u >>= 7
		n++
	}
	return n
}
