package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/klauspost/compress/snappy"
	"github.com/pierrec/lz4/v4"
)

var allCodecs = []Codec{CodecNone, CodecGzip, CodecSnappy, CodecLZ4, CodecZstd}

func testPayloads() map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 300<<10)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	return map[string][]byte{
		"empty":        {},
		"one byte":     {42},
		"text":         bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog. "), 100),
		"random 300K":  random,
		"zeros 1M":     make([]byte, 1<<20),
		"fixture 350K": fixture(&testing.T{}, fxLDIMetadata),
	}
}

func TestCompressRoundTrip(t *testing.T) {
	t.Parallel()
	payloads := testPayloads()
	for _, codec := range allCodecs {
		for name, src := range payloads {
			t.Run(codec.String()+"/"+name, func(t *testing.T) {
				t.Parallel()
				prefix := []byte("prefix")
				enc, err := Compress(bytes.Clone(prefix), codec, src)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasPrefix(enc, prefix) {
					t.Fatalf("Compress did not append to dst")
				}
				dec, err := Decompress([]byte("x"), codec, enc[len(prefix):], len(src))
				if err != nil {
					t.Fatalf("Decompress: %v", err)
				}
				if !bytes.Equal(dec[1:], src) || dec[0] != 'x' {
					t.Fatalf("round trip: got %d bytes, want %d", len(dec)-1, len(src))
				}
			})
		}
	}
}

// TestDecompressLimit feeds decompression bombs to every codec.
func TestDecompressLimit(t *testing.T) {
	t.Parallel()
	src := make([]byte, 4<<20) // 4 MiB of zeros compresses to a few KiB
	for _, codec := range allCodecs {
		t.Run(codec.String(), func(t *testing.T) {
			t.Parallel()
			enc, err := Compress(nil, codec, src)
			if err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				name  string
				limit int
				want  error
			}{
				{"exact", len(src), nil},
				{"one short", len(src) - 1, ErrTooLarge},
				{"1 MiB", 1 << 20, ErrTooLarge},
				{"zero", 0, ErrTooLarge},
			}
			for _, tt := range tests {
				out, err := Decompress(nil, codec, enc, tt.limit)
				if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
					t.Errorf("%s: Decompress error = %v, want %v", tt.name, err, tt.want)
				}
				if err != nil && len(out) != 0 {
					t.Errorf("%s: failed Decompress returned %d bytes", tt.name, len(out))
				}
				if err != nil && cap(out) > 2*tt.limit+(1<<17) {
					t.Errorf("%s: failed Decompress kept a %d-byte buffer for a %d-byte limit", tt.name, cap(out), tt.limit)
				}
			}
		})
	}
}

func TestDecompressCorrupt(t *testing.T) {
	t.Parallel()
	garbage := []byte("this is not compressed data at all, not even close")
	for _, codec := range []Codec{CodecGzip, CodecSnappy, CodecLZ4, CodecZstd} {
		t.Run(codec.String(), func(t *testing.T) {
			if _, err := Decompress(nil, codec, garbage, 1<<20); !errors.Is(err, ErrCorruptCompressed) {
				t.Errorf("Decompress(garbage) = %v, want ErrCorruptCompressed", err)
			}
			enc, _ := Compress(nil, codec, bytes.Repeat([]byte("abcdefgh"), 1000))
			if _, err := Decompress(nil, codec, enc[:len(enc)/2], 1<<20); !errors.Is(err, ErrCorruptCompressed) {
				t.Errorf("Decompress(truncated) = %v, want ErrCorruptCompressed", err)
			}
		})
	}
	for _, c := range []Codec{5, 6, 7, -1} {
		if _, err := Decompress(nil, c, garbage, 100); !errors.Is(err, ErrBadCodec) {
			t.Errorf("Decompress(codec %d) = %v, want ErrBadCodec", c, err)
		}
		if _, err := Compress(nil, c, garbage); !errors.Is(err, ErrBadCodec) {
			t.Errorf("Compress(codec %d) = %v, want ErrBadCodec", c, err)
		}
	}
}

func TestSnappyFraming(t *testing.T) {
	t.Parallel()
	src := bytes.Repeat([]byte("snappy payload "), 10000) // > 32 KiB: several chunks
	t.Run("xerial written like snappy-java", func(t *testing.T) {
		enc, _ := Compress(nil, CodecSnappy, src)
		want := []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1}
		if !bytes.HasPrefix(enc, want) {
			t.Fatalf("header % x, want % x", enc[:16], want)
		}
		chunks := 0
		for rest := enc[16:]; len(rest) > 0; chunks++ {
			n := binary.BigEndian.Uint32(rest)
			dl, err := snappy.DecodedLen(rest[4 : 4+n])
			if err != nil || dl > 32<<10 {
				t.Fatalf("chunk %d decodes to %d bytes (%v), want at most 32 KiB", chunks, dl, err)
			}
			rest = rest[4+n:]
		}
		if want := (len(src) + 32<<10 - 1) / (32 << 10); chunks != want {
			t.Errorf("%d chunks, want %d", chunks, want)
		}
	})
	t.Run("bare block", func(t *testing.T) {
		out, err := Decompress(nil, CodecSnappy, snappy.Encode(nil, src), len(src))
		if err != nil || !bytes.Equal(out, src) {
			t.Errorf("bare block: %d bytes, %v", len(out), err)
		}
	})
	t.Run("header only is empty", func(t *testing.T) {
		enc, _ := Compress(nil, CodecSnappy, nil)
		out, err := Decompress(nil, CodecSnappy, enc, 10)
		if err != nil || len(out) != 0 || len(enc) != 16 {
			t.Errorf("empty xerial stream: %d bytes encoded, %d decoded, %v", len(enc), len(out), err)
		}
	})
	t.Run("java client fixture is xerial", func(t *testing.T) {
		m, err := ParseLegacyMessage(fixture(t, fxRustSnappy))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(m.Value, xerialMagic[:]) {
			t.Errorf("wrapper value starts % x, want the xerial magic", m.Value[:8])
		}
	})
	t.Run("chunk overruns stream", func(t *testing.T) {
		enc, _ := Compress(nil, CodecSnappy, src)
		binary.BigEndian.PutUint32(enc[16:], 1<<30)
		if _, err := Decompress(nil, CodecSnappy, enc, 1<<20); !errors.Is(err, ErrCorruptCompressed) {
			t.Errorf("overrunning chunk: %v, want ErrCorruptCompressed", err)
		}
	})
}

// TestLZ4FrameLikeKafka checks the frame descriptor Kafka's
// KafkaLZ4BlockOutputStream writes: version 1, independent blocks, no
// checksums or content size, 64 KiB blocks.
func TestLZ4FrameLikeKafka(t *testing.T) {
	t.Parallel()
	for i := 0; i < 3; i++ { // pooled writers must keep their options
		enc, err := Compress(nil, CodecLZ4, bytes.Repeat([]byte("x"), 200<<10))
		if err != nil {
			t.Fatal(err)
		}
		if magic := binary.LittleEndian.Uint32(enc); magic != 0x184D2204 {
			t.Fatalf("magic %#x", magic)
		}
		if flg, bd := enc[4], enc[5]; flg != 0x60 || bd != 0x40 {
			t.Errorf("FLG/BD = %#x/%#x, want 0x60/0x40", flg, bd)
		}
		if hc := enc[6]; hc != byte(xxh32(enc[4:6])>>8) {
			t.Errorf("header checksum %#x, want %#x", hc, byte(xxh32(enc[4:6])>>8))
		}
		if end := enc[len(enc)-4:]; !bytes.Equal(end, []byte{0, 0, 0, 0}) {
			t.Errorf("frame ends % x, want the end mark and no content checksum", end)
		}
	}
}

func TestXXH32(t *testing.T) {
	t.Parallel()
	// Reference values of XXH32 with seed 0.
	tests := []struct {
		in   string
		want uint32
	}{
		{"", 0x02CC5D05},
		{"a", 0x550D7456},
		{"abc", 0x32D153FF},
	}
	for _, tt := range tests {
		if got := xxh32([]byte(tt.in)); got != tt.want {
			t.Errorf("xxh32(%q) = %#x, want %#x", tt.in, got, tt.want)
		}
	}
	// And against the checksum pierrec/lz4 writes with a content size.
	var buf bytes.Buffer
	w := lz4.NewWriter(&buf)
	if err := w.Apply(lz4.SizeOption(12345)); err != nil {
		t.Fatal(err)
	}
	w.Write(make([]byte, 12345))
	w.Close()
	b := buf.Bytes()
	if got := byte(xxh32(b[4:14]) >> 8); got != b[14] {
		t.Errorf("descriptor checksum with content size = %#x, pierrec wrote %#x", got, b[14])
	}
}

// legacyEntry hand-encodes one magic 0 or 1 message-set entry.
func legacyEntry(offset int64, magic, attrs int8, ts int64, key, value []byte) []byte {
	msg := []byte{byte(magic), byte(attrs)}
	if magic == 1 {
		msg = binary.BigEndian.AppendUint64(msg, uint64(ts))
	}
	for _, f := range [][]byte{key, value} {
		if f == nil {
			msg = binary.BigEndian.AppendUint32(msg, 0xffffffff)
			continue
		}
		msg = binary.BigEndian.AppendUint32(msg, uint32(len(f)))
		msg = append(msg, f...)
	}
	out := binary.BigEndian.AppendUint64(nil, uint64(offset))
	out = binary.BigEndian.AppendUint32(out, uint32(len(msg)+4))
	out = binary.BigEndian.AppendUint32(out, crc32IEEE(msg))
	return append(out, msg...)
}

// kafkaV0LZ4 compresses src and gives the frame the descriptor checksum
// Kafka's magic 0 writer produced: the hash of the magic number and
// descriptor instead of the descriptor alone (KAFKA-3160).
func kafkaV0LZ4(t *testing.T, src []byte) []byte {
	enc, err := Compress(nil, CodecLZ4, src)
	if err != nil {
		t.Fatal(err)
	}
	enc[6] = byte(xxh32(enc[0:6]) >> 8)
	if enc[6] == byte(xxh32(enc[4:6])>>8) {
		t.Fatal("broken and correct checksums coincide")
	}
	return enc
}

func TestLZ4V0HeaderChecksumQuirk(t *testing.T) {
	t.Parallel()
	var inner []byte
	for i := 0; i < 3; i++ {
		inner = append(inner, legacyEntry(int64(10+i), 0, 0, 0, nil, []byte(fmt.Sprint("message ", i)))...)
	}
	frame := kafkaV0LZ4(t, inner)
	if _, err := Decompress(nil, CodecLZ4, frame, 1<<20); !errors.Is(err, ErrCorruptCompressed) {
		t.Errorf("strict Decompress of a bad-checksum frame = %v, want ErrCorruptCompressed", err)
	}
	t.Run("magic 0 wrapper accepted", func(t *testing.T) {
		var got []int64
		err := EachLegacyMessage(legacyEntry(12, 0, int8(CodecLZ4), 0, nil, frame), func(m *LegacyMessage) error {
			got = append(got, m.Offset)
			return nil
		})
		if err != nil || !equalInt64s(got, []int64{10, 11, 12}) {
			t.Errorf("v0 lz4 wrapper: offsets %v, %v; want [10 11 12]", got, err)
		}
	})
	t.Run("magic 1 wrapper rejected", func(t *testing.T) {
		var inner1 []byte
		for i := 0; i < 2; i++ {
			inner1 = append(inner1, legacyEntry(int64(i), 1, 0, 5, nil, []byte("x"))...)
		}
		err := EachLegacyMessage(legacyEntry(1, 1, int8(CodecLZ4), 5, nil, kafkaV0LZ4(t, inner1)), func(*LegacyMessage) error { return nil })
		if !errors.Is(err, ErrCorruptCompressed) {
			t.Errorf("v1 wrapper with bad checksum: %v, want ErrCorruptCompressed", err)
		}
	})
}

// TestCodecPoolsConcurrent exercises the shared codec pools from several
// goroutines; run with -race.
func TestCodecPoolsConcurrent(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				src := bytes.Repeat([]byte{byte(g), byte(i)}, 1000*(i+1))
				for _, codec := range allCodecs {
					enc, err := Compress(nil, codec, src)
					if err == nil {
						var dec []byte
						dec, err = Decompress(nil, codec, enc, len(src))
						if err == nil && !bytes.Equal(dec, src) {
							err = fmt.Errorf("%v: round trip mismatch", codec)
						}
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestDecompressHugeLimit(t *testing.T) {
	t.Parallel()
	for _, codec := range allCodecs {
		enc, _ := Compress(nil, codec, []byte("small"))
		out, err := Decompress(nil, codec, enc, math.MaxInt)
		if err != nil || string(out) != "small" {
			t.Errorf("%v with limit MaxInt: %q, %v", codec, out, err)
		}
	}
}
