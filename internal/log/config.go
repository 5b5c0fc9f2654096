package log

import (
	"fmt"
	"math"
	"strings"
)

// Timestamp types accepted in Config.MessageTimestampType.
const (
	CreateTime    = "CreateTime"
	LogAppendTime = "LogAppendTime"
)

// Config holds the topic-level settings of one partition log. Fields mirror
// Kafka's topic configs (the name is in each comment); DefaultConfig returns
// Kafka 3.9's defaults. A Config can be replaced at run time with
// (*Log).SetConfig; new values apply from the next append, roll or
// retention pass.
type Config struct {
	SegmentBytes       int64 // segment.bytes
	SegmentMs          int64 // segment.ms
	SegmentJitterMs    int64 // segment.jitter.ms
	SegmentIndexBytes  int32 // segment.index.bytes
	IndexIntervalBytes int32 // index.interval.bytes

	RetentionMs    int64 // retention.ms; -1 = unlimited
	RetentionBytes int64 // retention.bytes; -1 = unlimited

	MaxMessageBytes int32 // max.message.bytes: largest batch accepted, after compression

	MessageTimestampType        string // message.timestamp.type: CreateTime or LogAppendTime
	MessageTimestampBeforeMaxMs int64  // message.timestamp.before.max.ms
	MessageTimestampAfterMaxMs  int64  // message.timestamp.after.max.ms

	FlushMessages int64 // flush.messages: fsync after this many unflushed messages
	FlushMs       int64 // flush.ms: fsync when the last flush is older than this

	FileDeleteDelayMs int64  // file.delete.delay.ms (kept; segments are unlinked at once, open readers keep their data)
	CleanupPolicy     string // cleanup.policy: "delete", "compact" or "compact,delete"
	Preallocate       bool   // preallocate (kept; segment files are not preallocated)

	// Log compaction (cleanup.policy=compact); see (*Log).Clean.
	DeleteRetentionMs  int64   // delete.retention.ms: how long tombstones survive once their batch has been cleaned
	MinCleanableRatio  float64 // min.cleanable.dirty.ratio: dirty share of the log above which it is cleaned
	MinCompactionLagMs int64   // min.compaction.lag.ms: records younger than this are not compacted
	MaxCompactionLagMs int64   // max.compaction.lag.ms: records older than this are compacted whatever the dirty ratio

	// CompressionType is compression.type: "producer" keeps each batch as
	// the client compressed it; "uncompressed", "gzip", "snappy", "lz4" or
	// "zstd" makes Append rewrite client batches in that codec.
	CompressionType string
	// CompressionLevel is the compression.<codec>.level of the codec named
	// by CompressionType (gzip 1-9 or -1, lz4 1-17, zstd -131072 to 22);
	// 0 means the codec's default level.
	CompressionLevel int32

	// ProducerIDExpirationMs is the broker's producer.id.expiration.ms: the
	// state of an idempotent producer with no open transaction is dropped
	// once its last batch timestamp is this old.
	ProducerIDExpirationMs int64

	// MaxUncompressedBatchBytes bounds the memory used to decompress one
	// batch while validating its records; a batch that inflates beyond it
	// is rejected with ErrInvalidRecord. Kafka has no such limit; this one
	// protects the broker from decompression bombs.
	MaxUncompressedBatchBytes int64
}

// DefaultConfig returns Kafka 3.9's topic defaults.
func DefaultConfig() Config {
	return Config{
		SegmentBytes:                1 << 30,
		SegmentMs:                   7 * 24 * 60 * 60 * 1000,
		SegmentJitterMs:             0,
		SegmentIndexBytes:           10 * 1024 * 1024,
		IndexIntervalBytes:          4096,
		RetentionMs:                 7 * 24 * 60 * 60 * 1000,
		RetentionBytes:              -1,
		MaxMessageBytes:             1024*1024 + 12,
		MessageTimestampType:        CreateTime,
		MessageTimestampBeforeMaxMs: math.MaxInt64,
		MessageTimestampAfterMaxMs:  math.MaxInt64,
		FlushMessages:               math.MaxInt64,
		FlushMs:                     math.MaxInt64,
		FileDeleteDelayMs:           60000,
		CleanupPolicy:               "delete",
		DeleteRetentionMs:           24 * 60 * 60 * 1000,
		MinCleanableRatio:           0.5,
		MinCompactionLagMs:          0,
		MaxCompactionLagMs:          math.MaxInt64,
		CompressionType:             CompressionProducer,
		ProducerIDExpirationMs:      24 * 60 * 60 * 1000,
		MaxUncompressedBatchBytes:   256 << 20,
	}
}

// Validate checks the ranges Kafka enforces for each setting.
func (c Config) Validate() error {
	switch {
	case c.SegmentBytes < 14 || c.SegmentBytes > math.MaxInt32:
		return fmt.Errorf("segment.bytes %d must be between 14 and %d", c.SegmentBytes, math.MaxInt32)
	case c.SegmentMs < 1:
		return fmt.Errorf("segment.ms %d must be at least 1", c.SegmentMs)
	case c.SegmentJitterMs < 0:
		return fmt.Errorf("segment.jitter.ms %d must not be negative", c.SegmentJitterMs)
	case c.SegmentIndexBytes < 4:
		return fmt.Errorf("segment.index.bytes %d must be at least 4", c.SegmentIndexBytes)
	case c.IndexIntervalBytes < 0:
		return fmt.Errorf("index.interval.bytes %d must not be negative", c.IndexIntervalBytes)
	case c.RetentionMs < -1:
		return fmt.Errorf("retention.ms %d must be -1 or more", c.RetentionMs)
	case c.MaxMessageBytes < 0:
		return fmt.Errorf("max.message.bytes %d must not be negative", c.MaxMessageBytes)
	case c.MessageTimestampType != CreateTime && c.MessageTimestampType != LogAppendTime:
		return fmt.Errorf("message.timestamp.type %q must be %s or %s", c.MessageTimestampType, CreateTime, LogAppendTime)
	case c.MessageTimestampBeforeMaxMs < 0:
		return fmt.Errorf("message.timestamp.before.max.ms %d must not be negative", c.MessageTimestampBeforeMaxMs)
	case c.MessageTimestampAfterMaxMs < 0:
		return fmt.Errorf("message.timestamp.after.max.ms %d must not be negative", c.MessageTimestampAfterMaxMs)
	case c.FlushMessages < 1:
		return fmt.Errorf("flush.messages %d must be at least 1", c.FlushMessages)
	case c.FlushMs < 0:
		return fmt.Errorf("flush.ms %d must not be negative", c.FlushMs)
	case c.FileDeleteDelayMs < 0:
		return fmt.Errorf("file.delete.delay.ms %d must not be negative", c.FileDeleteDelayMs)
	case c.ProducerIDExpirationMs < 1:
		return fmt.Errorf("producer.id.expiration.ms %d must be at least 1", c.ProducerIDExpirationMs)
	case c.MaxUncompressedBatchBytes < 1:
		return fmt.Errorf("maximum uncompressed batch size %d must be positive", c.MaxUncompressedBatchBytes)
	case c.DeleteRetentionMs < 0:
		return fmt.Errorf("delete.retention.ms %d must not be negative", c.DeleteRetentionMs)
	case !(c.MinCleanableRatio >= 0 && c.MinCleanableRatio <= 1):
		return fmt.Errorf("min.cleanable.dirty.ratio %v must be between 0 and 1", c.MinCleanableRatio)
	case c.MinCompactionLagMs < 0:
		return fmt.Errorf("min.compaction.lag.ms %d must not be negative", c.MinCompactionLagMs)
	case c.MaxCompactionLagMs < 1:
		return fmt.Errorf("max.compaction.lag.ms %d must be at least 1", c.MaxCompactionLagMs)
	case c.MinCompactionLagMs > c.MaxCompactionLagMs:
		// Kafka's LogConfig.validateValues refuses the same combination.
		return fmt.Errorf("conflict topic config setting min.compaction.lag.ms (%d) > max.compaction.lag.ms (%d)", c.MinCompactionLagMs, c.MaxCompactionLagMs)
	}
	if err := validateCompression(c.CompressionType, c.CompressionLevel); err != nil {
		return err
	}
	if c.CleanupPolicy == "" {
		return fmt.Errorf("cleanup.policy must not be empty")
	}
	for _, p := range strings.Split(c.CleanupPolicy, ",") {
		if p = strings.TrimSpace(p); p != "delete" && p != "compact" {
			return fmt.Errorf("cleanup.policy %q: unknown policy %q", c.CleanupPolicy, p)
		}
	}
	return nil
}

// Compact reports whether cleanup.policy includes compact.
func (c Config) Compact() bool { return c.hasPolicy("compact") }

// Delete reports whether cleanup.policy includes delete, which enables
// time and size retention.
func (c Config) Delete() bool { return c.hasPolicy("delete") }

func (c Config) hasPolicy(want string) bool {
	rest := c.CleanupPolicy
	for rest != "" {
		var p string
		p, rest, _ = strings.Cut(rest, ",")
		if strings.TrimSpace(p) == want {
			return true
		}
	}
	return false
}

func (c Config) logAppendTime() bool { return c.MessageTimestampType == LogAppendTime }
