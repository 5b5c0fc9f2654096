package config

// TopicConfig is the effective configuration of one topic: its overrides
// on top of the broker-level defaults. It is computed once (Layers.Topic)
// and then read without parsing, so the broker can keep one per topic and
// replace it when the topic's or the broker's configs change. It is
// immutable and safe for concurrent use.
type TopicConfig struct {
	values []value // indexed like topicDefs
	log    LogSettings
}

// LogSettings are the effective settings a partition log needs, typed as
// Kafka types them (INT as int32, LONG as int64), with the fallbacks Kafka
// applies when it builds a LogConfig already resolved.
type LogSettings struct {
	SegmentBytes       int32
	SegmentMs          int64
	SegmentJitterMs    int64
	SegmentIndexBytes  int32
	IndexIntervalBytes int32
	FlushMessages      int64
	FlushMs            int64
	RetentionBytes     int64 // -1: no size limit
	RetentionMs        int64 // -1: no time limit
	// LocalRetentionBytes/Ms are local.retention.* with -2 replaced by
	// retention.bytes/ms (tiered storage).
	LocalRetentionBytes int64
	LocalRetentionMs    int64
	MaxMessageBytes     int32
	FileDeleteDelayMs   int64
	DeleteRetentionMs   int64
	MinCompactionLagMs  int64
	MaxCompactionLagMs  int64
	MinCleanableRatio   float64
	// CleanupPolicy is the policy as configured ("delete", "compact",
	// "compact,delete"); Compact and Delete say which parts it contains.
	CleanupPolicy               string
	Compact, Delete             bool
	UncleanLeaderElectionEnable bool
	MinInSyncReplicas           int32
	// CompressionType is uncompressed, zstd, lz4, snappy, gzip or producer;
	// CompressionLevel is the level configured for that codec (0 when the
	// codec has no levels).
	CompressionType  string
	CompressionLevel int32
	Preallocate      bool
	// MessageTimestampType is "CreateTime" or "LogAppendTime".
	MessageTimestampType string
	// The allowed timestamp window; each falls back to
	// message.timestamp.difference.max.ms when left at its default.
	MessageTimestampBeforeMaxMs int64
	MessageTimestampAfterMaxMs  int64
	MessageDownConversionEnable bool
	RemoteStorageEnable         bool
	LeaderThrottledReplicas     []string
	FollowerThrottledReplicas   []string
}

// Topic computes the effective config of a topic from its overrides
// (topic config name → value, as stored in the metadata). Overrides are
// expected to have passed ValidateTopicConfigs; an override that does not
// parse is ignored, the way Kafka ignores invalid stored configs.
func (l Layers) Topic(overrides map[string]string) TopicConfig {
	v := l.view()
	vals := make([]value, len(topicDefs))
	for i := range topicDefs {
		d := &topicDefs[i]
		if raw, ok := overrides[d.Name]; ok {
			if pv, err := d.parse(raw); err == nil {
				vals[i] = pv
				continue
			}
		}
		vals[i] = v.topicDefault(d)
	}
	t := TopicConfig{values: vals}
	t.log = t.buildLog()
	return t
}

// DefaultTopic is the effective config of a topic without overrides.
func (l Layers) DefaultTopic() TopicConfig { return l.Topic(nil) }

func (t TopicConfig) get(name string) value {
	i, ok := topicIndex[name]
	if !ok || t.values == nil {
		return value{null: true}
	}
	return t.values[i]
}

// Get returns a topic config's effective value in Kafka's canonical
// string form ("" for unknown names).
func (t TopicConfig) Get(name string) string { return t.get(name).String() }

// Int32 returns an INT topic config (0 for unknown names).
func (t TopicConfig) Int32(name string) int32 { return int32(t.get(name).i) }

// Int64 returns an INT or LONG topic config (0 for unknown names).
func (t TopicConfig) Int64(name string) int64 { return t.get(name).i }

// Bool returns a BOOLEAN topic config (false for unknown names).
func (t TopicConfig) Bool(name string) bool { return t.get(name).b }

// Float64 returns a DOUBLE topic config (0 for unknown names).
func (t TopicConfig) Float64(name string) float64 { return t.get(name).f }

// List returns a LIST topic config (a copy; nil for unknown names).
func (t TopicConfig) List(name string) []string {
	return append([]string(nil), t.get(name).l...)
}

// Map returns every topic config's effective value as a string, keyed by
// name (what CreateTopics v5+ returns for a new topic).
func (t TopicConfig) Map() map[string]string {
	m := make(map[string]string, len(topicDefs))
	for i, d := range topicDefs {
		if t.values != nil {
			m[d.Name] = t.values[i].String()
		}
	}
	return m
}

// Log returns the typed log settings (a copy).
func (t TopicConfig) Log() LogSettings {
	s := t.log
	s.LeaderThrottledReplicas = append([]string(nil), s.LeaderThrottledReplicas...)
	s.FollowerThrottledReplicas = append([]string(nil), s.FollowerThrottledReplicas...)
	return s
}

func (t TopicConfig) buildLog() LogSettings {
	s := LogSettings{
		SegmentBytes:                t.Int32("segment.bytes"),
		SegmentMs:                   t.Int64("segment.ms"),
		SegmentJitterMs:             t.Int64("segment.jitter.ms"),
		SegmentIndexBytes:           t.Int32("segment.index.bytes"),
		IndexIntervalBytes:          t.Int32("index.interval.bytes"),
		FlushMessages:               t.Int64("flush.messages"),
		FlushMs:                     t.Int64("flush.ms"),
		RetentionBytes:              t.Int64("retention.bytes"),
		RetentionMs:                 t.Int64("retention.ms"),
		LocalRetentionBytes:         t.Int64("local.retention.bytes"),
		LocalRetentionMs:            t.Int64("local.retention.ms"),
		MaxMessageBytes:             t.Int32("max.message.bytes"),
		FileDeleteDelayMs:           t.Int64("file.delete.delay.ms"),
		DeleteRetentionMs:           t.Int64("delete.retention.ms"),
		MinCompactionLagMs:          t.Int64("min.compaction.lag.ms"),
		MaxCompactionLagMs:          t.Int64("max.compaction.lag.ms"),
		MinCleanableRatio:           t.Float64("min.cleanable.dirty.ratio"),
		CleanupPolicy:               t.Get("cleanup.policy"),
		UncleanLeaderElectionEnable: t.Bool("unclean.leader.election.enable"),
		MinInSyncReplicas:           t.Int32("min.insync.replicas"),
		CompressionType:             t.Get("compression.type"),
		Preallocate:                 t.Bool("preallocate"),
		MessageTimestampType:        t.Get("message.timestamp.type"),
		MessageTimestampBeforeMaxMs: t.Int64("message.timestamp.before.max.ms"),
		MessageTimestampAfterMaxMs:  t.Int64("message.timestamp.after.max.ms"),
		MessageDownConversionEnable: t.Bool("message.downconversion.enable"),
		RemoteStorageEnable:         t.Bool("remote.storage.enable"),
		LeaderThrottledReplicas:     t.List("leader.replication.throttled.replicas"),
		FollowerThrottledReplicas:   t.List("follower.replication.throttled.replicas"),
	}
	for _, p := range t.List("cleanup.policy") {
		switch p {
		case "compact":
			s.Compact = true
		case "delete":
			s.Delete = true
		}
	}
	if s.LocalRetentionBytes == -2 {
		s.LocalRetentionBytes = s.RetentionBytes
	}
	if s.LocalRetentionMs == -2 {
		s.LocalRetentionMs = s.RetentionMs
	}
	// LogConfig: the deprecated difference setting applies while the
	// before/after settings are at their default.
	diff := t.Int64("message.timestamp.difference.max.ms")
	const unset = int64(^uint64(0) >> 1)
	if s.MessageTimestampBeforeMaxMs == unset {
		s.MessageTimestampBeforeMaxMs = diff
	}
	if s.MessageTimestampAfterMaxMs == unset {
		s.MessageTimestampAfterMaxMs = diff
	}
	switch s.CompressionType {
	case "gzip":
		s.CompressionLevel = t.Int32("compression.gzip.level")
	case "lz4":
		s.CompressionLevel = t.Int32("compression.lz4.level")
	case "zstd":
		s.CompressionLevel = t.Int32("compression.zstd.level")
	}
	return s
}
