package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/pierrec/lz4/v4"
)

// LZ4 frames are decoded here rather than with pierrec/lz4's streaming
// Reader so that they are read exactly as Kafka's broker reads them
// (Lz4BlockInputStream in Kafka 3.x and 4.x), block by block straight into
// the output, and pierrec/lz4 only decodes the blocks:
//
//   - one frame with the standard magic; skippable and legacy frames, and
//     anything after the end mark, are not read (Kafka stops at the end
//     mark and ignores what follows);
//   - FLG: version 1, independent blocks, the two low (reserved and
//     dictionary id) bits clear; BD: block size 64 KiB to 4 MiB, reserved
//     bits clear;
//   - the descriptor checksum is verified, except for magic 0 messages,
//     whose writer hashed the wrong bytes (KAFKA-3160);
//   - a declared content size is skipped, not checked;
//   - block checksums are verified when the frame has them;
//   - the content checksum, when the frame has one, is read but not
//     compared: Kafka's releases skip that comparison, and it would hash
//     every decompressed byte of every produced batch a second time.
const (
	lz4FrameMagic    = 0x184D2204
	lz4Uncompressed  = 0x80000000 // high bit of a block size: stored as is
	lz4FlagVersion   = 0xC0
	lz4FlagIndep     = 0x20
	lz4FlagBlockSum  = 0x10
	lz4FlagSize      = 0x08
	lz4FlagContSum   = 0x04
	lz4FlagReserved  = 0x03 // reserved bit and dictionary id
	lz4BDReserved    = 0x8F
	lz4VersionOne    = 0x40
	lz4MinSizeValue  = 4
	lz4FrameMinBytes = 7 // magic, FLG, BD, descriptor checksum
)

var errLZ4Truncated = errors.New("lz4 frame ends early")

// decompressLZ4 appends the decoding of the LZ4 frame src to dst, failing
// with ErrTooLarge once the output would pass limit bytes. With
// anyHeaderChecksum the descriptor checksum is not verified.
func decompressLZ4(dst, src []byte, limit int, anyHeaderChecksum bool) ([]byte, error) {
	start := len(dst)
	if len(src) < lz4FrameMinBytes {
		return dst, errLZ4Truncated
	}
	if m := binary.LittleEndian.Uint32(src); m != lz4FrameMagic {
		return dst, fmt.Errorf("not an lz4 frame: magic %#x", m)
	}
	flg, bd := src[4], src[5]
	switch {
	case flg&lz4FlagVersion != lz4VersionOne:
		return dst, fmt.Errorf("lz4 frame version %d is unsupported", flg>>6)
	case flg&lz4FlagReserved != 0:
		return dst, fmt.Errorf("lz4 frame flags %#x: reserved bits set", flg)
	case flg&lz4FlagIndep == 0:
		return dst, errors.New("lz4 frame with dependent blocks is unsupported")
	case bd&lz4BDReserved != 0:
		return dst, fmt.Errorf("lz4 frame block descriptor %#x: reserved bits set", bd)
	case bd>>4 < lz4MinSizeValue:
		return dst, fmt.Errorf("lz4 frame block size value %d is not between 4 and 7", bd>>4)
	}
	maxBlock := 1 << (2*int(bd>>4) + 8)
	pos := 6
	if flg&lz4FlagSize != 0 {
		pos += 8
	}
	if len(src) <= pos {
		return dst, errLZ4Truncated
	}
	if !anyHeaderChecksum {
		if want := byte(xxh32(src[4:pos]) >> 8); src[pos] != want {
			return dst, fmt.Errorf("lz4 frame descriptor checksum %#x, want %#x", src[pos], want)
		}
	}
	pos++
	for {
		if len(src)-pos < 4 {
			return dst[:start], errLZ4Truncated
		}
		word := binary.LittleEndian.Uint32(src[pos:])
		pos += 4
		size := int(word &^ lz4Uncompressed)
		if size == 0 {
			if flg&lz4FlagContSum != 0 && len(src)-pos < 4 {
				return dst[:start], errLZ4Truncated
			}
			return dst, nil
		}
		if size > maxBlock {
			return dst[:start], fmt.Errorf("lz4 block of %d bytes exceeds the frame's maximum of %d", size, maxBlock)
		}
		end := pos + size
		if flg&lz4FlagBlockSum != 0 {
			end += 4
		}
		if end > len(src) {
			return dst[:start], errLZ4Truncated
		}
		block := src[pos : pos+size]
		if flg&lz4FlagBlockSum != 0 {
			if got, want := xxh32(block), binary.LittleEndian.Uint32(src[pos+size:]); got != want {
				return dst[:start], fmt.Errorf("lz4 block checksum %#x, want %#x", got, want)
			}
		}
		pos = end
		left := limit - (len(dst) - start)
		if word&lz4Uncompressed != 0 {
			if size > left {
				return dst[:start], fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
			}
			dst = append(dst, block...)
			continue
		}
		room := min(maxBlock, left)
		if room == 0 {
			// Nothing may be added, so only an empty block can pass; the
			// block decoder is not given an empty output buffer.
			if n, ok := lz4BlockLen(block); !ok || n > 0 {
				if ok {
					return dst[:start], fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
				}
				return dst[:start], errors.New("lz4 block is corrupt")
			}
			continue
		}
		dst = slices.Grow(dst, room)
		n, err := lz4.UncompressBlock(block, dst[len(dst):len(dst)+room])
		if err != nil {
			if room < maxBlock {
				if n, ok := lz4BlockLen(block); ok && n > room {
					return dst[:start], fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
				}
			}
			return dst[:start], fmt.Errorf("lz4 block: %w", err)
		}
		dst = dst[:len(dst)+n]
	}
}

// lz4BlockLen walks the sequences of an LZ4 block and returns the size it
// decodes to, or false when the block is malformed. It tells a block too
// large for the room left under the limit from a corrupt one.
func lz4BlockLen(b []byte) (int, bool) {
	n, i := 0, 0
	extend := func(l int) (int, bool) {
		for {
			if i >= len(b) {
				return 0, false
			}
			c := b[i]
			i++
			l += int(c)
			if l > 1<<31 {
				return 0, false
			}
			if c != 255 {
				return l, true
			}
		}
	}
	for i < len(b) {
		token := b[i]
		i++
		lit := int(token >> 4)
		if lit == 15 {
			var ok bool
			if lit, ok = extend(lit); !ok {
				return 0, false
			}
		}
		if lit > len(b)-i {
			return 0, false
		}
		i += lit
		n += lit
		if i == len(b) {
			return n, true // the last sequence has literals only
		}
		if len(b)-i < 2 {
			return 0, false
		}
		off := int(binary.LittleEndian.Uint16(b[i:]))
		i += 2
		if off == 0 || off > n {
			return 0, false
		}
		match := int(token & 15)
		if match == 15 {
			var ok bool
			if match, ok = extend(match); !ok {
				return 0, false
			}
		}
		n += match + 4
		if n > 1<<31 {
			return 0, false
		}
	}
	return n, true
}

// xxh32 is XXH32 with seed 0, the hash of LZ4 frame descriptors and block
// checksums.
func xxh32(b []byte) uint32 {
	const (
		p1 = 2654435761
		p2 = 2246822519
		p3 = 3266489917
		p4 = 668265263
		p5 = 374761393
	)
	rotl := func(x uint32, r uint) uint32 { return x<<r | x>>(32-r) }
	n := uint32(len(b))
	var h uint32
	if len(b) >= 16 {
		var seed uint32
		v1, v2, v3, v4 := seed+p1+p2, seed+p2, seed, seed-p1
		round := func(acc, in uint32) uint32 { return rotl(acc+in*p2, 13) * p1 }
		for ; len(b) >= 16; b = b[16:] {
			v1 = round(v1, binary.LittleEndian.Uint32(b))
			v2 = round(v2, binary.LittleEndian.Uint32(b[4:]))
			v3 = round(v3, binary.LittleEndian.Uint32(b[8:]))
			v4 = round(v4, binary.LittleEndian.Uint32(b[12:]))
		}
		h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)
	} else {
		h = p5
	}
	h += n
	for ; len(b) >= 4; b = b[4:] {
		h += binary.LittleEndian.Uint32(b) * p3
		h = rotl(h, 17) * p4
	}
	for _, c := range b {
		h += uint32(c) * p5
		h = rotl(h, 11) * p1
	}
	h ^= h >> 15
	h *= p2
	h ^= h >> 13
	h *= p3
	h ^= h >> 16
	return h
}
