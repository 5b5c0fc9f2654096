package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestLegacyDeepIteration(t *testing.T) {
	t.Parallel()
	v1Inner := func(ts ...int64) []byte {
		var b []byte
		for i, x := range ts {
			b = append(b, legacyEntry(int64(i), 1, 0, x, []byte{'k', byte('0' + i)}, []byte("v"))...)
		}
		return b
	}
	gz := func(b []byte) []byte {
		out, err := Compress(nil, CodecGzip, b)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	type msg struct {
		offset int64
		ts     int64
		tt     TimestampType
	}
	tests := []struct {
		name  string
		entry []byte
		want  []msg
	}{
		{"v0 plain", legacyEntry(7, 0, 0, 0, nil, []byte("x")), []msg{{7, -1, NoTimestampType}}},
		{"v1 plain create time", legacyEntry(7, 1, 0, 1234, nil, []byte("x")), []msg{{7, 1234, CreateTime}}},
		{"v1 plain log append time", legacyEntry(7, 1, attrLogAppendTime, 99, nil, []byte("x")), []msg{{7, 99, LogAppendTime}}},
		{"v1 wrapper relative offsets, create time", legacyEntry(102, 1, int8(CodecGzip), 30, nil, gz(v1Inner(10, 30, 20))),
			[]msg{{100, 10, CreateTime}, {101, 30, CreateTime}, {102, 20, CreateTime}}},
		{"v1 wrapper log append time", legacyEntry(52, 1, int8(CodecGzip)|attrLogAppendTime, 777, nil, gz(v1Inner(10, 30, 20))),
			[]msg{{50, 777, LogAppendTime}, {51, 777, LogAppendTime}, {52, 777, LogAppendTime}}},
		{"v1 wrapper with offset 0 from librdkafka", legacyEntry(0, 1, int8(CodecGzip), 30, nil, gz(v1Inner(10, 30))),
			[]msg{{0, 10, CreateTime}, {1, 30, CreateTime}}},
		{"v1 log append time wrapper around v0 messages", legacyEntry(11, 1, int8(CodecGzip)|attrLogAppendTime, 777, nil,
			gz(append(legacyEntry(0, 0, 0, 0, nil, []byte("a")), legacyEntry(1, 0, 0, 0, nil, []byte("b"))...))),
			[]msg{{10, -1, NoTimestampType}, {11, -1, NoTimestampType}}},
		{"v0 wrapper absolute offsets", legacyEntry(41, 0, int8(CodecSnappy), 0, nil, mustCompress(t, CodecSnappy,
			append(legacyEntry(40, 0, 0, 0, nil, []byte("a")), legacyEntry(41, 0, 0, 0, nil, []byte("b"))...))),
			[]msg{{40, -1, NoTimestampType}, {41, -1, NoTimestampType}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []msg
			err := EachLegacyMessage(tt.entry, func(m *LegacyMessage) error {
				if !m.ValidCRC() {
					t.Errorf("message at %d has an invalid CRC", m.Offset)
				}
				got = append(got, msg{m.Offset, m.Timestamp, m.TimestampType})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("messages = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("message %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func mustCompress(t *testing.T, c Codec, b []byte) []byte {
	t.Helper()
	out, err := Compress(nil, c, b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLegacyErrors(t *testing.T) {
	t.Parallel()
	plain := legacyEntry(1, 1, 0, 5, []byte("k"), []byte("v"))
	inner := append(legacyEntry(0, 1, 0, 5, nil, []byte("a")), legacyEntry(1, 1, 0, 5, nil, []byte("b"))...)
	mutate := func(b []byte, f func(b []byte)) []byte {
		b = bytes.Clone(b)
		f(b)
		return b
	}
	tests := []struct {
		name  string
		entry []byte
		want  error
	}{
		{"empty", nil, ErrShortBuffer},
		{"truncated", plain[:len(plain)-1], ErrShortBuffer},
		{"magic 2", mutate(plain, func(b []byte) { b[16] = 2 }), ErrBadMagic},
		{"size below v1 minimum", mutate(plain, func(b []byte) { binary.BigEndian.PutUint32(b[8:], 21) }), ErrBadLength},
		{"key length below -1", mutate(plain, func(b []byte) { binary.BigEndian.PutUint32(b[26:], 0xfffffffe) }), ErrInvalidRecord},
		{"key overruns", mutate(plain, func(b []byte) { binary.BigEndian.PutUint32(b[26:], 100) }), ErrInvalidRecord},
		{"bytes after value", append(mutate(plain, func(b []byte) { binary.BigEndian.PutUint32(b[8:], binary.BigEndian.Uint32(b[8:])+1) }), 0), ErrInvalidRecord},
		{"zstd wrapper", legacyEntry(1, 1, int8(CodecZstd), 5, nil, mustCompress(t, CodecZstd, inner)), ErrBadCodec},
		{"codec 6", legacyEntry(1, 1, 6, 5, nil, []byte("x")), ErrBadCodec},
		{"null wrapper value", legacyEntry(1, 1, int8(CodecGzip), 5, nil, nil), ErrInvalidRecord},
		{"corrupt wrapper value", legacyEntry(1, 1, int8(CodecGzip), 5, nil, []byte("nope")), ErrCorruptCompressed},
		{"empty inner set", legacyEntry(1, 1, int8(CodecGzip), 5, nil, mustCompress(t, CodecGzip, nil)), ErrInvalidRecord},
		{"torn inner set", legacyEntry(1, 1, int8(CodecGzip), 5, nil, mustCompress(t, CodecGzip, inner[:len(inner)-3])), ErrInvalidRecord},
		{"corrupt inner entry", legacyEntry(1, 1, int8(CodecGzip), 5, nil, mustCompress(t, CodecGzip, mutate(inner, func(b []byte) { b[16] = 9 }))), ErrInvalidRecord},
		{"wrapper offset below last inner", legacyEntry(1, 1, int8(CodecGzip), 5, nil, mustCompress(t, CodecGzip,
			append(bytes.Clone(inner), legacyEntry(2, 1, 0, 5, nil, []byte("c"))...))), ErrInvalidRecord},
		{"nested compression", legacyEntry(1, 1, int8(CodecGzip), 5, nil, mustCompress(t, CodecGzip,
			legacyEntry(0, 1, int8(CodecGzip), 5, nil, mustCompress(t, CodecGzip, inner)))), ErrInvalidRecord},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := EachLegacyMessage(tt.entry, func(*LegacyMessage) error { return nil })
			if !errors.Is(err, tt.want) {
				t.Errorf("EachLegacyMessage error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestLegacyDecompressionLimit(t *testing.T) {
	t.Parallel()
	var inner []byte
	for i := 0; i < 100; i++ {
		inner = append(inner, legacyEntry(int64(i), 0, 0, 0, nil, make([]byte, 10<<10))...)
	}
	entry := legacyEntry(99, 0, int8(CodecGzip), 0, nil, mustCompress(t, CodecGzip, inner))
	d := Decoder{MaxDecompressedSize: 64 << 10}
	if err := d.EachLegacyMessage(entry, func(*LegacyMessage) error { return nil }); !errors.Is(err, ErrTooLarge) {
		t.Errorf("EachLegacyMessage over the limit = %v, want ErrTooLarge", err)
	}
	d.MaxDecompressedSize = len(inner)
	n := 0
	if err := d.EachLegacyMessage(entry, func(*LegacyMessage) error { n++; return nil }); err != nil || n != 100 {
		t.Errorf("EachLegacyMessage at the limit = %d messages, %v", n, err)
	}
}

func TestLegacyCRC(t *testing.T) {
	t.Parallel()
	good := fixture(t, fxRustOne)
	bad := fixture(t, fxRustBadCRC)
	if !ValidLegacyCRC(good) || ValidLegacyCRC(bad) {
		t.Errorf("ValidLegacyCRC good/bad = %v/%v, want true/false", ValidLegacyCRC(good), ValidLegacyCRC(bad))
	}
	m, err := ParseLegacyMessage(bad)
	if err != nil {
		t.Fatal(err)
	}
	if m.ValidCRC() {
		t.Errorf("message with a corrupted CRC reported valid")
	}
	if ValidLegacyCRC(good[:len(good)-1]) || ValidLegacyCRC(nil) {
		t.Errorf("ValidLegacyCRC accepted truncated input")
	}
}

func TestParseLegacyHeaderErrors(t *testing.T) {
	t.Parallel()
	v0 := legacyEntry(3, 0, 0, 0, nil, []byte("x"))
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrShortBuffer},
		{"before magic", v0[:16], ErrShortBuffer},
		{"before attributes", v0[:17], ErrShortBuffer},
		{"v1 before timestamp", legacyEntry(3, 1, 0, 0, nil, nil)[:20], ErrShortBuffer},
		{"magic 2", append(bytes.Clone(v0[:16]), 2, 0), ErrBadMagic},
		{"size too small", append(binary.BigEndian.AppendUint32(bytes.Clone(v0[:8]), 13), v0[12:]...), ErrBadLength},
		{"valid", v0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseLegacyHeader(tt.in)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("ParseLegacyHeader error = %v, want %v", err, tt.want)
			}
			if err == nil && (h.Offset != 3 || h.Size() != len(v0) || h.TimestampType() != NoTimestampType || h.Timestamp != -1) {
				t.Errorf("header %+v", h)
			}
		})
	}
}
