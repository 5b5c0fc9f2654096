package record

import (
	"bytes"
	"testing"
)

// fuzzDecompress checks that decoding arbitrary input with codec never
// panics or exceeds the limit, and that compressing the input and
// decompressing it gives it back.
func fuzzDecompress(f *testing.F, codec Codec, lenient bool) {
	f.Add([]byte{})
	samples := [][]byte{[]byte("hello hello hello hello"), fixture(f, fxVoloFirst0), make([]byte, 70000)}
	for _, s := range samples {
		enc, err := Compress(nil, codec, s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
		f.Add(enc[:len(enc)/2])
		f.Add(append(bytes.Clone(enc), "garbage"...))
	}
	if codec == CodecSnappy {
		if m, err := ParseLegacyMessage(fixture(f, fxRustSnappy)); err == nil {
			f.Add(m.Value)
		}
	}
	if codec == CodecGzip {
		if m, err := ParseLegacyMessage(fixture(f, fxRustGzip)); err == nil {
			f.Add(m.Value)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := decompress([]byte("p"), codec, data, fuzzLimit, lenient)
		if len(out) > 1+fuzzLimit || (err != nil && len(out) != 1) || out[0] != 'p' {
			t.Fatalf("decompress returned %d bytes (err %v)", len(out), err)
		}
		enc, err := Compress(nil, codec, data)
		if err != nil {
			t.Fatalf("Compress: %v", err)
		}
		dec, err := Decompress(nil, codec, enc, len(data))
		if err != nil || !bytes.Equal(dec, data) {
			t.Fatalf("round trip of %d bytes: %d bytes, %v", len(data), len(dec), err)
		}
	})
}

func FuzzDecompressGzip(f *testing.F)   { fuzzDecompress(f, CodecGzip, false) }
func FuzzDecompressSnappy(f *testing.F) { fuzzDecompress(f, CodecSnappy, false) }
func FuzzDecompressLZ4(f *testing.F)    { fuzzDecompress(f, CodecLZ4, true) }
func FuzzDecompressZstd(f *testing.F)   { fuzzDecompress(f, CodecZstd, false) }
