package log

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/kafkakit/kafkakit/internal/record"
)

// Values of Config.CompressionType (compression.type).
const (
	CompressionProducer     = "producer"
	CompressionUncompressed = "uncompressed"
	CompressionGzip         = "gzip"
	CompressionSnappy       = "snappy"
	CompressionLZ4          = "lz4"
	CompressionZstd         = "zstd"
)

// Level ranges of compression.gzip.level, compression.lz4.level and
// compression.zstd.level (KIP-390), and the defaults Kafka uses.
const (
	gzipDefaultLevel = -1
	lz4DefaultLevel  = 9
	zstdDefaultLevel = 3
	zstdMinLevel     = -131072
	zstdMaxLevel     = 22
)

// targetCodec returns the codec compression.type asks client batches to be
// written in, and false for "producer" (keep what the client sent).
func targetCodec(compressionType string) (record.Codec, bool) {
	switch compressionType {
	case CompressionUncompressed:
		return record.CodecNone, true
	case CompressionGzip:
		return record.CodecGzip, true
	case CompressionSnappy:
		return record.CodecSnappy, true
	case CompressionLZ4:
		return record.CodecLZ4, true
	case CompressionZstd:
		return record.CodecZstd, true
	}
	return 0, false
}

// validateCompression checks compression.type and the level given for its
// codec; codecs without levels ignore the level.
func validateCompression(compressionType string, level int32) error {
	switch compressionType {
	case CompressionProducer, CompressionUncompressed, CompressionSnappy:
		return nil
	case CompressionGzip:
		if level != 0 && level != gzipDefaultLevel && (level < 1 || level > 9) {
			return fmt.Errorf("compression.gzip.level %d must be between 1 and 9 or equal to -1", level)
		}
	case CompressionLZ4:
		if level != 0 && (level < 1 || level > 17) {
			return fmt.Errorf("compression.lz4.level %d must be between 1 and 17", level)
		}
	case CompressionZstd:
		if level < zstdMinLevel || level > zstdMaxLevel {
			return fmt.Errorf("compression.zstd.level %d must be between %d and %d", level, zstdMinLevel, zstdMaxLevel)
		}
	default:
		return fmt.Errorf("compression.type %q must be one of producer, uncompressed, gzip, snappy, lz4, zstd", compressionType)
	}
	return nil
}

// defaultLevel reports whether level means the codec's default, which the
// record package's compressors use.
func defaultLevel(codec record.Codec, level int32) bool {
	switch codec {
	case record.CodecGzip:
		return level == 0 || level == gzipDefaultLevel
	case record.CodecLZ4:
		return level == 0 || level == lz4DefaultLevel
	case record.CodecZstd:
		return level == 0 || level == zstdDefaultLevel
	}
	return true
}

// recompression is the target of a client batch that compression.type
// asks to rewrite: the records are added to the builder while they are
// validated, and finish encodes the new batch.
type recompression struct {
	codec   record.Codec
	level   int32
	builder *record.Builder
}

// newRecompression returns the rewrite a client batch needs under cfg, or
// nil when it is kept as sent: compression.type is "producer", the batch
// already uses the target codec, or it is a control batch (transaction
// markers are always written uncompressed by the coordinator).
func newRecompression(h record.Header, cfg Config) *recompression {
	codec, ok := targetCodec(cfg.CompressionType)
	if !ok || h.Codec() == codec || h.IsControl() {
		return nil
	}
	b := record.NewBuilder(codec)
	if !defaultLevel(codec, cfg.CompressionLevel) {
		// The records are compressed here at the configured level;
		// the builder only encodes them.
		b.Codec = record.CodecNone
	}
	b.BaseOffset = h.BaseOffset
	b.PartitionLeaderEpoch = h.PartitionLeaderEpoch
	b.ProducerID, b.ProducerEpoch, b.BaseSequence = h.ProducerID, h.ProducerEpoch, h.BaseSequence
	b.Transactional = h.IsTransactional()
	b.TimestampType = h.TimestampType()
	if b.TimestampType == record.LogAppendTime {
		b.LogAppendTime = h.MaxTimestamp
	}
	if dh, ok := h.DeleteHorizonMs(); ok {
		b.DeleteHorizonMs = dh
	}
	return &recompression{codec: codec, level: cfg.CompressionLevel, builder: b}
}

// add copies one validated record into the new batch, keeping its offset
// delta, timestamp, attributes, key, value and headers.
func (rc *recompression) add(r *record.Record) error {
	return rc.builder.AddWithOffsetDelta(r.OffsetDelta, record.Record{
		Timestamp: r.Timestamp, Attributes: r.Attributes, Key: r.Key, Value: r.Value, Headers: r.Headers,
	})
}

// finish encodes the new batch, with a fresh CRC. lastOffsetDelta is the
// original batch's, so the offset range (and with it the producer's last
// sequence) is exactly what the client sent.
func (rc *recompression) finish(lastOffsetDelta int32) ([]byte, error) {
	out, err := rc.builder.Build()
	if err != nil {
		return nil, err
	}
	if rc.builder.Codec != rc.codec {
		if out, err = compressAtLevel(out, rc.codec, rc.level); err != nil {
			return nil, err
		}
	}
	if h, err := record.ParseHeader(out); err == nil && h.LastOffsetDelta != lastOffsetDelta {
		setLastOffsetDelta(out, lastOffsetDelta)
	}
	return out, nil
}

// compressAtLevel turns an uncompressed v2 batch into one whose records
// area is compressed with codec at level, in the stream format the record
// package writes (and Kafka's producer does): a gzip member, an LZ4 frame
// of independent 64 KiB blocks without checksums, or a zstd frame. The
// header's length, codec bits and CRC are updated.
func compressAtLevel(batch []byte, codec record.Codec, level int32) ([]byte, error) {
	if len(batch) < record.HeaderSize {
		return nil, fmt.Errorf("compress batch: %d bytes is shorter than a batch header", len(batch))
	}
	out := make([]byte, record.HeaderSize, record.HeaderSize+len(batch)/2)
	copy(out, batch[:record.HeaderSize])
	w := &sliceWriter{b: out}
	src := batch[record.HeaderSize:]
	switch codec {
	case record.CodecGzip:
		zw, err := gzip.NewWriterLevel(w, int(level))
		if err != nil {
			return nil, fmt.Errorf("gzip level %d: %w", level, err)
		}
		if err := writeAndClose(zw, src); err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
	case record.CodecLZ4:
		zw := lz4.NewWriter(w)
		if err := zw.Apply(
			lz4.BlockSizeOption(lz4.Block64Kb),
			lz4.BlockChecksumOption(false),
			lz4.ChecksumOption(false),
			lz4.ConcurrencyOption(1),
			lz4.CompressionLevelOption(lz4Level(level)),
		); err != nil {
			return nil, fmt.Errorf("lz4 level %d: %w", level, err)
		}
		if err := writeAndClose(zw, src); err != nil {
			return nil, fmt.Errorf("lz4: %w", err)
		}
	case record.CodecZstd:
		enc, err := zstd.NewWriter(nil,
			zstd.WithEncoderConcurrency(1),
			zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(int(level))),
			zstd.WithZeroFrames(true))
		if err != nil {
			return nil, fmt.Errorf("zstd level %d: %w", level, err)
		}
		w.b = enc.EncodeAll(src, w.b)
		enc.Close()
	default:
		return nil, fmt.Errorf("compress batch: codec %v has no levels", codec)
	}
	out = w.b
	length := len(out) - record.LogOverhead
	if length > math.MaxInt32 {
		return nil, fmt.Errorf("compress batch: %d bytes do not fit a batch", len(out))
	}
	binary.BigEndian.PutUint32(out[8:], uint32(length))
	out[22] = out[22]&^0x07 | byte(codec)
	putCRC(out)
	return out, nil
}

// lz4Level maps Kafka's compression.lz4.level onto the levels the Go LZ4
// implementation has. Kafka uses the fast compressor at its default level 9
// and the high-compression one at every other level; levels above 9 use
// the highest level available here.
func lz4Level(level int32) lz4.CompressionLevel {
	levels := [...]lz4.CompressionLevel{lz4.Level1, lz4.Level2, lz4.Level3, lz4.Level4, lz4.Level5, lz4.Level6, lz4.Level7, lz4.Level8, lz4.Level9}
	switch {
	case level == 0 || level == lz4DefaultLevel:
		return lz4.Fast
	case level >= 1 && level <= 8:
		return levels[level-1]
	}
	return lz4.Level9
}

type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func writeAndClose(w io.WriteCloser, src []byte) error {
	if _, err := w.Write(src); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// Byte positions of v2 header fields the log edits (reference 3.1).
const (
	lastOffsetDeltaPos = 23
	maxTimestampPos    = 35
	crcPos             = 17
)

// setLastOffsetDelta rewrites a v2 batch's lastOffsetDelta and its CRC, as
// Kafka's MemoryRecordsBuilder.overrideLastOffset does when records were
// dropped from the end of a batch.
func setLastOffsetDelta(b []byte, delta int32) {
	binary.BigEndian.PutUint32(b[lastOffsetDeltaPos:], uint32(delta))
	putCRC(b)
}

// putCRC stores the CRC-32C of a v2 batch's covered bytes.
func putCRC(b []byte) {
	binary.BigEndian.PutUint32(b[crcPos:], record.ComputeCRC(b))
}
