package group

import (
	"context"
	"log/slog"
	"math"
	"time"
)

// Kafka's defaults for the settings in Config.
const (
	DefaultOffsetsTopicPartitions = 50                 // offsets.topic.num.partitions
	DefaultInitialRebalanceDelay  = 3 * time.Second    // group.initial.rebalance.delay.ms
	DefaultMinSessionTimeout      = 6 * time.Second    // group.min.session.timeout.ms
	DefaultMaxSessionTimeout      = 30 * time.Minute   // group.max.session.timeout.ms
	DefaultMaxGroupSize           = math.MaxInt32      // group.max.size
	DefaultOffsetsRetention       = 7 * 24 * time.Hour // offsets.retention.minutes
	DefaultRetentionCheckInterval = 10 * time.Minute   // offsets.retention.check.interval.ms
	DefaultMaxMetadataSize        = 4096               // offset.metadata.max.bytes
)

// newMemberJoinTimeout bounds how long a member that has never completed a
// join may wait in a rebalance before it is dropped (Kafka's
// GroupCoordinator.NewMemberJoinTimeoutMs). Such a member cannot heartbeat,
// and a client that gave up and retried would otherwise leave a defunct
// member behind.
const newMemberJoinTimeout = 5 * time.Minute

// Config holds the coordinator's settings. A zero field means Kafka's default
// (the Default constants), except InitialRebalanceDelay, where zero means no
// delay; the broker passes group.initial.rebalance.delay.ms explicitly.
type Config struct {
	// OffsetsTopicPartitions is offsets.topic.num.partitions: how many
	// partitions __consumer_offsets has. PartitionFor depends on it, so it
	// must never change for a cluster.
	OffsetsTopicPartitions int32
	// InitialRebalanceDelay is group.initial.rebalance.delay.ms: how long the
	// first rebalance of an empty group waits for more members, extended by
	// the same delay while new members keep arriving, up to the rebalance
	// timeout.
	InitialRebalanceDelay time.Duration
	// MinSessionTimeout and MaxSessionTimeout are group.min.session.timeout.ms
	// and group.max.session.timeout.ms; a JoinGroup outside them gets
	// INVALID_SESSION_TIMEOUT.
	MinSessionTimeout, MaxSessionTimeout time.Duration
	// MaxGroupSize is group.max.size; joins beyond it get
	// GROUP_MAX_SIZE_REACHED.
	MaxGroupSize int
	// OffsetsRetention is offsets.retention.minutes: how long committed
	// offsets are kept once their group is empty (or, for a group that only
	// commits offsets, after the commit).
	OffsetsRetention time.Duration
	// RetentionCheckInterval is offsets.retention.check.interval.ms: how often
	// the coordinator looks for expired offsets and dead groups.
	RetentionCheckInterval time.Duration
	// MaxMetadataSize is offset.metadata.max.bytes: the longest metadata
	// string a commit may carry (OFFSET_METADATA_TOO_LARGE beyond).
	MaxMetadataSize int
	// TopicPartitions reports whether a topic exists and how many partitions
	// it has. OffsetCommit and OffsetDelete answer UNKNOWN_TOPIC_OR_PARTITION
	// for partitions it does not know, as Kafka does. It is called without
	// any coordinator lock held. Nil means every topic and partition exists.
	TopicPartitions func(topic string) (partitions int32, ok bool)
	// Now is the wall clock used for commit timestamps, state timestamps and
	// offset expiry. Nil means time.Now. Timeouts (session, rebalance) use
	// real timers regardless.
	Now func() time.Time
	// Logger receives the coordinator's log lines. Nil discards them.
	Logger *slog.Logger
}

func (cfg Config) withDefaults() Config {
	if cfg.OffsetsTopicPartitions <= 0 {
		cfg.OffsetsTopicPartitions = DefaultOffsetsTopicPartitions
	}
	if cfg.InitialRebalanceDelay < 0 {
		cfg.InitialRebalanceDelay = 0
	}
	if cfg.MinSessionTimeout <= 0 {
		cfg.MinSessionTimeout = DefaultMinSessionTimeout
	}
	if cfg.MaxSessionTimeout <= 0 {
		cfg.MaxSessionTimeout = DefaultMaxSessionTimeout
	}
	if cfg.MaxGroupSize <= 0 {
		cfg.MaxGroupSize = DefaultMaxGroupSize
	}
	if cfg.OffsetsRetention <= 0 {
		cfg.OffsetsRetention = DefaultOffsetsRetention
	}
	if cfg.RetentionCheckInterval <= 0 {
		cfg.RetentionCheckInterval = DefaultRetentionCheckInterval
	}
	if cfg.MaxMetadataSize <= 0 {
		cfg.MaxMetadataSize = DefaultMaxMetadataSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}

// Storage is the __consumer_offsets partitions the coordinator writes its
// records to and loads them from. The broker implements it over its
// partition logs (replicated, acks=all, once replication exists); unit tests
// use an in-memory implementation.
//
// Methods are called from request handler goroutines and from the
// coordinator's own goroutines, concurrently for different partitions and
// possibly for the same partition; the implementation must be safe for that.
// No coordinator lock is held during a call except the writing group's
// writeMu (see the package documentation).
type Storage interface {
	// Append appends one uncompressed magic v2 record batch to the given
	// partition, assigning its offsets, and returns the offset of the batch's
	// last record once the batch is durable as the broker defines it (for
	// __consumer_offsets Kafka uses acks=all). The batch's base offset,
	// partition leader epoch and CRC are for the implementation to set.
	//
	// To explain a failure, return (or wrap) a *kerr.Error such as
	// kerr.NotLeaderForPartition, kerr.NotEnoughReplicas,
	// kerr.RequestTimedOut or kerr.MessageTooLarge; the coordinator maps it
	// to the code Kafka's coordinator would answer. Any other error is
	// treated as KAFKA_STORAGE_ERROR.
	Append(ctx context.Context, partition int32, batch []byte) (lastOffset int64, err error)
	// Replay calls fn with the partition's data from its log start offset to
	// its end, in offset order. Each call receives one or more whole record
	// batches as they are stored in the log. An error from fn stops the
	// replay and is returned.
	Replay(ctx context.Context, partition int32, fn func(batch []byte) error) error
}
