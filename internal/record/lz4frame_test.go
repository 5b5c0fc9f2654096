package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/pierrec/lz4/v4"
)

// pierrecFrame compresses src with pierrec/lz4's Writer and options, as
// franz-go and other Go clients write LZ4 batches (its defaults include a
// content checksum).
func pierrecFrame(t testing.TB, src []byte, opts ...lz4.Option) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := lz4.NewWriter(&buf)
	if err := w.Apply(opts...); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(src); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withDescriptor sets the FLG and BD bytes of a frame without a content
// size and recomputes its descriptor checksum.
func withDescriptor(frame []byte, flg, bd byte) []byte {
	f := bytes.Clone(frame)
	f[4], f[5] = flg, bd
	f[6] = byte(xxh32(f[4:6]) >> 8)
	return f
}

func TestDecompressLZ4KafkaRules(t *testing.T) {
	t.Parallel()
	text := bytes.Repeat([]byte("kafka lz4 frame "), 20000) // 320 KB: several 64 KiB blocks
	random := make([]byte, 100_000)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	ours, _ := Compress(nil, CodecLZ4, text)
	withSum := pierrecFrame(t, text)
	badSum := bytes.Clone(withSum)
	badSum[len(badSum)-1] ^= 0xff
	blockSums := pierrecFrame(t, text, lz4.BlockChecksumOption(true), lz4.ChecksumOption(false))
	badBlockSum := bytes.Clone(blockSums)
	badBlockSum[7+4+binary.LittleEndian.Uint32(blockSums[7:])] ^= 0xff // first block's checksum
	sized := pierrecFrame(t, text, lz4.SizeOption(uint64(len(text))))
	wrongSize := pierrecFrame(t, text, lz4.SizeOption(uint64(len(text))), lz4.ChecksumOption(false))
	binary.LittleEndian.PutUint64(wrongSize[6:], uint64(len(text)+1))
	wrongSize[14] = byte(xxh32(wrongSize[4:14]) >> 8)
	badHC := bytes.Clone(ours)
	badHC[6] ^= 0xff
	bigBlock := bytes.Clone(ours)
	binary.LittleEndian.PutUint32(bigBlock[7:], 64<<10+1)

	tests := []struct {
		name    string
		frame   []byte
		lenient bool
		want    []byte // nil: an error is wanted
		wantErr error
	}{
		{name: "kafka's framing", frame: ours, want: text},
		{name: "content checksum", frame: withSum, want: text},
		{name: "content checksum not compared, as in kafka", frame: badSum, want: text},
		{name: "content checksum missing", frame: withSum[:len(withSum)-2], wantErr: ErrCorruptCompressed},
		{name: "block checksums", frame: blockSums, want: text},
		{name: "block checksum wrong", frame: badBlockSum, wantErr: ErrCorruptCompressed},
		{name: "content size", frame: sized, want: text},
		{name: "content size not compared, as in kafka", frame: wrongSize, want: text},
		{name: "uncompressed blocks", frame: pierrecFrame(t, random), want: random},
		{name: "bytes after the end mark ignored", frame: append(bytes.Clone(ours), "garbage"...), want: text},
		{name: "empty frame", frame: pierrecFrame(t, nil, lz4.ChecksumOption(false)), want: []byte{}},
		{name: "descriptor checksum wrong", frame: badHC, wantErr: ErrCorruptCompressed},
		{name: "descriptor checksum ignored for magic 0", frame: badHC, lenient: true, want: text},
		{name: "dependent blocks", frame: withDescriptor(ours, 0x40, 0x40), wantErr: ErrCorruptCompressed},
		{name: "dictionary id", frame: withDescriptor(ours, 0x61, 0x40), wantErr: ErrCorruptCompressed},
		{name: "reserved flag", frame: withDescriptor(ours, 0x62, 0x40), wantErr: ErrCorruptCompressed},
		{name: "version 0", frame: withDescriptor(ours, 0x20, 0x40), wantErr: ErrCorruptCompressed},
		{name: "block descriptor reserved bits", frame: withDescriptor(ours, 0x60, 0x41), wantErr: ErrCorruptCompressed},
		{name: "block size value 3", frame: withDescriptor(ours, 0x60, 0x30), wantErr: ErrCorruptCompressed},
		{name: "block larger than the maximum", frame: bigBlock, wantErr: ErrCorruptCompressed},
		{name: "skippable frame", frame: append([]byte{0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0}, ours...), wantErr: ErrCorruptCompressed},
		{name: "truncated in the descriptor", frame: ours[:6], wantErr: ErrCorruptCompressed},
		{name: "truncated in a block", frame: ours[:len(ours)/2], wantErr: ErrCorruptCompressed},
		{name: "no end mark", frame: ours[:len(ours)-4], wantErr: ErrCorruptCompressed},
		{name: "empty input", frame: nil, wantErr: ErrCorruptCompressed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decompress([]byte("x"), CodecLZ4, tt.frame, 1<<20, tt.lenient)
			if tt.want != nil {
				if err != nil || !bytes.Equal(got[1:], tt.want) {
					t.Fatalf("got %d bytes, %v; want %d bytes", len(got)-1, err, len(tt.want))
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if string(got) != "x" {
				t.Errorf("a failed decode left %d bytes in dst, want it unchanged", len(got))
			}
		})
	}
}

func TestDecompressLZ4Limit(t *testing.T) {
	t.Parallel()
	random := make([]byte, 180_000)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	for name, src := range map[string][]byte{
		"compressed blocks": bytes.Repeat([]byte("limit "), 30000),
		"stored blocks":     random,
	} {
		frame := pierrecFrame(t, src)
		t.Run(name, func(t *testing.T) {
			for _, limit := range []int{0, 1, 100, 64 << 10, len(src) - 1} {
				out, err := Decompress(nil, CodecLZ4, frame, limit)
				if !errors.Is(err, ErrTooLarge) {
					t.Errorf("limit %d: got %d bytes, %v; want ErrTooLarge", limit, len(out), err)
				}
				if cap(out) > limit+(64<<10) {
					t.Errorf("limit %d: a failed decode kept a %d-byte buffer", limit, cap(out))
				}
			}
			out, err := Decompress(nil, CodecLZ4, frame, len(src))
			if err != nil || !bytes.Equal(out, src) {
				t.Errorf("limit exactly the size: %d bytes, %v", len(out), err)
			}
		})
	}
	// A frame of one empty block passes even a zero limit.
	empty := append(bytes.Clone(pierrecFrame(t, nil, lz4.ChecksumOption(false))[:7]), 1, 0, 0, 0, 0x00, 0, 0, 0, 0)
	if out, err := Decompress(nil, CodecLZ4, empty, 0); err != nil || len(out) != 0 {
		t.Errorf("empty block under limit 0: %d bytes, %v", len(out), err)
	}
}

func TestLZ4BlockLen(t *testing.T) {
	t.Parallel()
	for _, size := range []int{0, 1, 15, 16, 300, 70000} {
		src := bytes.Repeat([]byte("ab"), size/2)
		src = append(src, make([]byte, size%2)...)
		block := make([]byte, lz4.CompressBlockBound(len(src)))
		var c lz4.Compressor
		n, err := c.CompressBlock(src, block)
		if err != nil || n == 0 {
			continue // incompressible: no block to walk
		}
		if got, ok := lz4BlockLen(block[:n]); !ok || got != len(src) {
			t.Errorf("block of %d bytes: lz4BlockLen = %d, %v", len(src), got, ok)
		}
	}
	for _, bad := range [][]byte{{0x10}, {0x0f, 1, 0}, {0x00, 0, 0}, {0xf0}, {0x1f, 'a', 0, 0}} {
		if n, ok := lz4BlockLen(bad); ok {
			t.Errorf("malformed block % x: lz4BlockLen = %d, ok", bad, n)
		}
	}
}

func TestXXH32Long(t *testing.T) {
	t.Parallel()
	// pierrec/lz4 writes XXH32 block checksums; check ours against them for
	// lengths on both sides of the 16-byte stripe.
	for _, n := range []int{1, 15, 16, 17, 31, 32, 33, 1000, 4099} {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(i*131 + i>>3)
		}
		frame := pierrecFrame(t, src, lz4.BlockChecksumOption(true), lz4.ChecksumOption(false))
		size := int(binary.LittleEndian.Uint32(frame[7:]) &^ lz4Uncompressed)
		block := frame[11 : 11+size]
		if got, want := xxh32(block), binary.LittleEndian.Uint32(frame[11+size:]); got != want {
			t.Errorf("%d bytes: xxh32 %#x, pierrec %#x", n, got, want)
		}
	}
}

// FuzzLZ4AgainstPierrec decodes arbitrary frames with both decoders: where
// both succeed ours must give what pierrec/lz4 gives (pierrec may go on to
// read further frames, so ours is a prefix).
func FuzzLZ4AgainstPierrec(f *testing.F) {
	f.Add([]byte{})
	text := bytes.Repeat([]byte("fuzz me "), 3000)
	for _, frame := range [][]byte{
		pierrecFrame(f, text),
		pierrecFrame(f, text, lz4.BlockChecksumOption(true)),
		pierrecFrame(f, text, lz4.SizeOption(uint64(len(text)))),
		pierrecFrame(f, []byte("short")),
	} {
		f.Add(frame)
		f.Add(frame[:len(frame)/2])
		f.Add(append(bytes.Clone(frame), "garbage"...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ours, err := decompress(nil, CodecLZ4, data, fuzzLimit, false)
		if err != nil {
			return
		}
		if len(ours) > fuzzLimit {
			t.Fatalf("%d bytes decoded past the limit", len(ours))
		}
		theirs, perr := io.ReadAll(io.LimitReader(lz4.NewReader(bytes.NewReader(data)), fuzzLimit+1))
		if perr != nil {
			return // content checksum, content size or trailing bytes, which Kafka does not check
		}
		if !bytes.HasPrefix(theirs, ours) {
			t.Fatalf("decoded %d bytes, pierrec %d, and they differ", len(ours), len(theirs))
		}
	})
}

func BenchmarkDecompressLZ4ContentChecksum(b *testing.B) {
	raw, size := benchBatch(b, CodecNone)
	frame := pierrecFrame(b, raw[HeaderSize:])
	var dst []byte
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		var err error
		if dst, err = Decompress(dst[:0], CodecLZ4, frame, size); err != nil {
			b.Fatal(err)
		}
	}
}
