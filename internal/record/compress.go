package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/snappy/xerial"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// DefaultMaxDecompressedSize bounds the decompressed size of one batch's
// records (or one legacy wrapper's inner message set) when the caller gives
// no limit of its own. Kafka bounds the compressed size (message.max.bytes,
// 1 MiB by default); 64 MiB leaves room for highly compressible real data
// while a decompression bomb fails with ErrTooLarge instead of exhausting
// memory.
const DefaultMaxDecompressedSize = 64 << 20

// zstdMaxWindow caps the window a zstd frame may ask the decoder to keep.
// Kafka producers (zstd-jni, librdkafka) at their default levels use
// windows of a few MiB.
const zstdMaxWindow = 32 << 20

// xerialMagic starts a snappy payload written by Kafka's Java client
// (snappy-java's SnappyOutputStream); a version and a minimum compatible
// version (both 1) follow, then length-prefixed raw snappy blocks.
var xerialMagic = [8]byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

const xerialHeaderSize = 16

// Pools of codec state. These are the only package-level mutable values.
// Each pooled object is used by one goroutine at a time and reset before
// every use, so nothing carries over from one call to the next (a pooled
// object may still reference its last input until it is reused).
var (
	gzipReaders sync.Pool // *gzip.Reader
	gzipWriters sync.Pool // *gzip.Writer
	lz4Writers  sync.Pool // *lz4.Writer
	zstdReaders sync.Pool // *zstd.Decoder
	zstdWriters sync.Pool // *zstd.Encoder
)

// Compress appends the compressed form of src to dst in the stream format
// Kafka's Java producer writes for codec: a gzip member, xerial-framed
// snappy, an LZ4 frame with 64 KiB independent blocks and no checksums, or
// a zstd frame. CodecNone appends src unchanged.
func Compress(dst []byte, codec Codec, src []byte) ([]byte, error) {
	switch codec {
	case CodecNone:
		return append(dst, src...), nil
	case CodecGzip:
		return compressGzip(dst, src)
	case CodecSnappy:
		// xerial.Encode writes the stream header only into an empty dst and
		// otherwise appends chunks, so write the header here and let it add
		// the 32 KiB chunks Java's SnappyOutputStream would.
		dst = append(dst, xerialMagic[:]...)
		dst = binary.BigEndian.AppendUint32(dst, 1)
		dst = binary.BigEndian.AppendUint32(dst, 1)
		return xerial.Encode(dst, src), nil
	case CodecLZ4:
		return compressLZ4(dst, src)
	case CodecZstd:
		enc, _ := zstdWriters.Get().(*zstd.Encoder)
		if enc == nil {
			var err error
			enc, err = zstd.NewWriter(nil,
				zstd.WithEncoderConcurrency(1),
				zstd.WithEncoderLevel(zstd.SpeedDefault),
				zstd.WithZeroFrames(true))
			if err != nil {
				return dst, fmt.Errorf("zstd: %w", err)
			}
		}
		dst = enc.EncodeAll(src, dst)
		zstdWriters.Put(enc)
		return dst, nil
	}
	return dst, fmt.Errorf("%w: %d", ErrBadCodec, int8(codec))
}

// appender is an io.Writer that appends to a byte slice.
type appender struct{ b []byte }

func (a *appender) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

func compressGzip(dst, src []byte) ([]byte, error) {
	out := &appender{b: dst}
	w, _ := gzipWriters.Get().(*gzip.Writer)
	if w == nil {
		var err error
		if w, err = gzip.NewWriterLevel(out, gzip.DefaultCompression); err != nil {
			return dst, fmt.Errorf("gzip: %w", err)
		}
	} else {
		w.Reset(out)
	}
	_, err := w.Write(src)
	if err == nil {
		err = w.Close()
	}
	w.Reset(nil)
	gzipWriters.Put(w)
	if err != nil {
		return dst, fmt.Errorf("gzip: %w", err)
	}
	return out.b, nil
}

func compressLZ4(dst, src []byte) ([]byte, error) {
	out := &appender{b: dst}
	w, _ := lz4Writers.Get().(*lz4.Writer)
	if w == nil {
		w = lz4.NewWriter(out)
		// Kafka's KafkaLZ4BlockOutputStream: 64 KiB blocks, independent,
		// no block or content checksum, no content size.
		if err := w.Apply(
			lz4.BlockSizeOption(lz4.Block64Kb),
			lz4.BlockChecksumOption(false),
			lz4.ChecksumOption(false),
			lz4.ConcurrencyOption(1),
		); err != nil {
			return dst, fmt.Errorf("lz4: %w", err)
		}
	} else {
		w.Reset(out)
	}
	_, err := w.Write(src)
	if err == nil {
		err = w.Close()
	}
	w.Reset(nil)
	lz4Writers.Put(w)
	if err != nil {
		return dst, fmt.Errorf("lz4: %w", err)
	}
	return out.b, nil
}

// Decompress appends the decompressed form of src to dst. It fails with
// ErrTooLarge when the output would exceed limit bytes, having allocated
// no more than about limit bytes (for zstd, about the larger of limit and
// 32 MiB, the largest window accepted), and with ErrCorruptCompressed when
// src is not a valid stream for codec. Snappy input may use Java's xerial framing
// or be a bare snappy block; gzip input may hold several members; LZ4 input
// is one frame, checked as Kafka's broker checks it (see decompressLZ4).
func Decompress(dst []byte, codec Codec, src []byte, limit int) ([]byte, error) {
	return decompress(dst, codec, src, limit, false)
}

// decompress is Decompress with the option to accept the wrong LZ4 frame
// descriptor checksum written by Kafka for magic 0 messages (KAFKA-3160).
func decompress(dst []byte, codec Codec, src []byte, limit int, lz4AnyHeaderChecksum bool) ([]byte, error) {
	// A records area larger than 2 GiB cannot exist in Kafka (its buffers
	// are int-indexed), and the clamp keeps limit+1 from overflowing.
	limit = min(max(limit, 0), math.MaxInt32)
	var out []byte
	var err error
	switch codec {
	case CodecNone:
		if len(src) > limit {
			return dst, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(src), limit)
		}
		return append(dst, src...), nil
	case CodecGzip:
		out, err = decompressGzip(dst, src, limit)
	case CodecSnappy:
		out, err = decompressSnappy(dst, src, limit)
	case CodecLZ4:
		out, err = decompressLZ4(dst, src, limit, lz4AnyHeaderChecksum)
	case CodecZstd:
		out, err = decompressZstd(dst, src, limit)
	default:
		return dst, fmt.Errorf("%w: %d", ErrBadCodec, int8(codec))
	}
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return dst, fmt.Errorf("%s: %w", codec, err)
		}
		return dst, fmt.Errorf("%w: %s: %w", ErrCorruptCompressed, codec, err)
	}
	return out, nil
}

// readBounded reads r to EOF, appending to dst, and fails with ErrTooLarge
// as soon as more than limit bytes have been produced. The buffer grows by
// doubling but never beyond limit+1 new bytes.
func readBounded(dst []byte, r io.Reader, limit int) ([]byte, error) {
	start := len(dst)
	for {
		if len(dst) == cap(dst) {
			have := len(dst) - start
			dst = slices.Grow(dst, min(max(have, 512), limit+1-have))
		}
		end := min(cap(dst), start+limit+1)
		n, err := r.Read(dst[len(dst):end])
		dst = dst[:len(dst)+n]
		if len(dst)-start > limit {
			return dst[:start], fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst[:start], err
		}
	}
}

func decompressGzip(dst, src []byte, limit int) ([]byte, error) {
	r, _ := gzipReaders.Get().(*gzip.Reader)
	if r == nil {
		r = new(gzip.Reader)
	}
	defer gzipReaders.Put(r)
	if err := r.Reset(bytes.NewReader(src)); err != nil {
		return dst, err
	}
	r.Multistream(true)
	return readBounded(dst, r, limit)
}

func decompressZstd(dst, src []byte, limit int) ([]byte, error) {
	d, _ := zstdReaders.Get().(*zstd.Decoder)
	if d == nil {
		var err error
		d, err = zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxWindow(zstdMaxWindow))
		if err != nil {
			return dst, err
		}
	}
	defer zstdReaders.Put(d)
	// DecodeAll stops once the output passes the decoder's max memory, and
	// also rejects frames whose window is larger than it. Producers declare
	// windows of a few MiB even for small batches, so the cap is the larger
	// of this call's limit and zstdMaxWindow, and the limit itself is
	// checked on the result.
	if err := d.ResetWithOptions(nil, zstd.WithDecoderMaxMemory(uint64(max(limit, zstdMaxWindow))+1)); err != nil {
		return dst, err
	}
	start := len(dst)
	out, err := d.DecodeAll(src, dst)
	if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) {
		return dst[:start], fmt.Errorf("%w: %v", ErrTooLarge, err)
	}
	if err != nil {
		return dst[:start], err
	}
	if len(out)-start > limit {
		return dst[:start], fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return out, nil
}

func decompressSnappy(dst, src []byte, limit int) ([]byte, error) {
	if len(src) < len(xerialMagic) || !bytes.Equal(src[:len(xerialMagic)], xerialMagic[:]) {
		return snappyBlock(dst, src, limit)
	}
	if len(src) < xerialHeaderSize {
		return dst, errors.New("xerial header truncated")
	}
	start := len(dst)
	for rest := src[xerialHeaderSize:]; len(rest) > 0; {
		if len(rest) < 4 {
			return dst[:start], fmt.Errorf("xerial chunk length truncated: %d trailing bytes", len(rest))
		}
		n := binary.BigEndian.Uint32(rest)
		rest = rest[4:]
		if uint64(n) > uint64(len(rest)) {
			return dst[:start], fmt.Errorf("xerial chunk of %d bytes overruns the %d left", n, len(rest))
		}
		var err error
		if dst, err = snappyBlock(dst, rest[:n], limit-(len(dst)-start)); err != nil {
			return dst[:start], err
		}
		rest = rest[n:]
	}
	return dst, nil
}

// snappyBlock appends the decoding of one raw snappy block, checking its
// declared length against limit before allocating.
func snappyBlock(dst, src []byte, limit int) ([]byte, error) {
	n, err := snappy.DecodedLen(src)
	if err != nil {
		return dst, err
	}
	if n > limit {
		return dst, fmt.Errorf("%w: snappy block of %d bytes, limit %d", ErrTooLarge, n, limit)
	}
	start := len(dst)
	dst = slices.Grow(dst, n)
	if _, err := snappy.Decode(dst[start:start+n], src); err != nil {
		return dst[:start], err
	}
	return dst[:start+n], nil
}
