package config

// Topic config definitions: every config Apache Kafka 3.9's LogConfig
// defines, in its definition order (validation reports the first bad
// config in this order, as Kafka's ConfigDef.parse does). Synonyms are
// ServerTopicConfigSynonyms: the broker configs that supply the default,
// first one set wins. Descriptions are our own.

func ms(name string) BrokerSynonym { return BrokerSynonym{Name: name} }

var topicDefs = []Def{
	{Name: "segment.bytes", Type: TypeInt, Default: "1073741824", Valid: atLeast(14), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.segment.bytes")},
		Doc:      "Size at which the active segment is closed and a new one started, in bytes; retention and compaction work on whole segments."},
	{Name: "segment.ms", Type: TypeLong, Default: "604800000", Valid: atLeast(1), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.roll.ms"), {Name: "log.roll.hours", Unit: Hours}},
		Doc:      "Age after which the active segment is rolled even if not full, so old data can be deleted or compacted, in ms."},
	{Name: "segment.jitter.ms", Type: TypeLong, Default: "0", Valid: atLeast(0), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.roll.jitter.ms"), {Name: "log.roll.jitter.hours", Unit: Hours}},
		Doc:      "Largest random amount taken off segment.ms for each segment, to avoid rolling every partition at once, in ms."},
	{Name: "segment.index.bytes", Type: TypeInt, Default: "10485760", Valid: atLeast(4), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.index.size.max.bytes")},
		Doc:      "Size of each segment's offset index file, in bytes; a full index rolls the segment."},
	{Name: "flush.messages", Type: TypeLong, Default: maxLong, Valid: atLeast(1), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.flush.interval.messages")},
		Doc:      "Records appended before the log is forced to disk with fsync. Normally left to replication and the OS."},
	{Name: "flush.ms", Type: TypeLong, Default: maxLong, Valid: atLeast(0), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.flush.interval.ms"), ms("log.flush.scheduler.interval.ms")},
		Doc:      "Longest time between forced fsyncs of the log, in ms. Normally left to replication and the OS."},
	{Name: "retention.bytes", Type: TypeLong, Default: "-1", Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.retention.bytes")},
		Doc:      "Largest size of a partition before old segments are deleted (delete policy), in bytes; -1 for no limit."},
	{Name: "retention.ms", Type: TypeLong, Default: "604800000", Valid: atLeast(-1), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.retention.ms"), {Name: "log.retention.minutes", Unit: Minutes}, {Name: "log.retention.hours", Unit: Hours}},
		Doc:      "How long a segment is kept after its newest record before it is deleted (delete policy), in ms; -1 for no limit."},
	{Name: "max.message.bytes", Type: TypeInt, Default: "1048588", Valid: atLeast(0), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("message.max.bytes")},
		Doc:      "Largest record batch the topic accepts, after compression, in bytes."},
	{Name: "index.interval.bytes", Type: TypeInt, Default: "4096", Valid: atLeast(0), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.index.interval.bytes")},
		Doc:      "Bytes of records between offset index entries; smaller means larger indexes and shorter scans."},
	{Name: "delete.retention.ms", Type: TypeLong, Default: "86400000", Valid: atLeast(0), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.cleaner.delete.retention.ms")},
		Doc:      "How long tombstones stay in a compacted topic, so consumers can see deletions, in ms."},
	{Name: "min.compaction.lag.ms", Type: TypeLong, Default: "0", Valid: atLeast(0), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.cleaner.min.compaction.lag.ms")},
		Doc:      "Youngest age at which a record may be compacted away, in ms."},
	{Name: "max.compaction.lag.ms", Type: TypeLong, Default: maxLong, Valid: atLeast(1), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.cleaner.max.compaction.lag.ms")},
		Doc:      "Oldest age a record may reach before it becomes eligible for compaction regardless of the dirty ratio, in ms."},
	{Name: "file.delete.delay.ms", Type: TypeLong, Default: "60000", Valid: atLeast(0), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.segment.delete.delay.ms")},
		Doc:      "Delay between retiring a segment and removing its files, in ms."},
	{Name: "min.cleanable.dirty.ratio", Type: TypeDouble, Default: "0.5", Valid: between(0, 1), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.cleaner.min.cleanable.ratio")},
		Doc:      "Share of the log not yet compacted above which the cleaner compacts it."},
	{Name: "cleanup.policy", Type: TypeList, Default: "delete", Valid: oneOf("compact", "delete"), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.cleanup.policy")},
		Doc:      "delete removes old segments by time or size; compact keeps the latest record of each key; both may be given."},
	{Name: "unclean.leader.election.enable", Type: TypeBoolean, Default: "false", Importance: Medium,
		Synonyms: []BrokerSynonym{ms("unclean.leader.election.enable")},
		Doc:      "Whether a replica outside the ISR may become leader as a last resort, at the risk of losing data."},
	{Name: "min.insync.replicas", Type: TypeInt, Default: "1", Valid: atLeast(1), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("min.insync.replicas")},
		Doc:      "In-sync replicas needed for an acks=all write to succeed; below it producers get NOT_ENOUGH_REPLICAS."},
	{Name: "compression.type", Type: TypeString, Default: "producer", Valid: compressionTypes, Importance: Medium,
		Synonyms: []BrokerSynonym{ms("compression.type")},
		Doc:      "How batches are stored: recompressed with the named codec, uncompressed, or as the producer sent them (producer)."},
	{Name: "compression.gzip.level", Type: TypeInt, Default: "-1", Valid: gzipLevel{}, Importance: Medium,
		Synonyms: []BrokerSynonym{ms("compression.gzip.level")},
		Doc:      "Level used when compression.type is gzip; -1 is the library default."},
	{Name: "compression.lz4.level", Type: TypeInt, Default: "9", Valid: between(1, 17), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("compression.lz4.level")},
		Doc:      "Level used when compression.type is lz4."},
	{Name: "compression.zstd.level", Type: TypeInt, Default: "3", Valid: between(-131072, 22), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("compression.zstd.level")},
		Doc:      "Level used when compression.type is zstd."},
	{Name: "preallocate", Type: TypeBoolean, Default: "false", Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.preallocate")},
		Doc:      "Whether a new segment file is preallocated to segment.bytes."},
	{Name: "message.format.version", Type: TypeString, Default: "3.0-IV1", Valid: metadataVersion{}, Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.message.format.version")},
		Doc:      "Deprecated: record format to store; ignored when the inter-broker protocol is 3.0 or later, as in KRaft mode."},
	{Name: "message.timestamp.type", Type: TypeString, Default: "CreateTime", Valid: oneOf("CreateTime", "LogAppendTime"), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.message.timestamp.type")},
		Doc:      "CreateTime keeps the producer's timestamps; LogAppendTime overwrites them with the broker's append time."},
	{Name: "message.timestamp.difference.max.ms", Type: TypeLong, Default: maxLong, Valid: atLeast(0), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.message.timestamp.difference.max.ms")},
		Doc:      "Deprecated: largest gap allowed between a CreateTime timestamp and the broker's clock, in ms; applies where the before/after settings keep their defaults."},
	{Name: "message.timestamp.before.max.ms", Type: TypeLong, Default: maxLong, Valid: atLeast(0), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.message.timestamp.before.max.ms")},
		Doc:      "How far a CreateTime timestamp may lie behind the broker's clock, in ms; older batches are rejected."},
	{Name: "message.timestamp.after.max.ms", Type: TypeLong, Default: maxLong, Valid: atLeast(0), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.message.timestamp.after.max.ms")},
		Doc:      "How far a CreateTime timestamp may lie ahead of the broker's clock, in ms; newer batches are rejected."},
	{Name: "leader.replication.throttled.replicas", Type: TypeList, Default: "", Valid: throttledReplicas{}, Importance: Medium,
		Doc: "Replicas whose replication is throttled on the leader side, as partitionId:brokerId pairs or * for all."},
	{Name: "follower.replication.throttled.replicas", Type: TypeList, Default: "", Valid: throttledReplicas{}, Importance: Medium,
		Doc: "Replicas whose replication is throttled on the follower side, as partitionId:brokerId pairs or * for all."},
	{Name: "message.downconversion.enable", Type: TypeBoolean, Default: "true", Importance: Low,
		Synonyms: []BrokerSynonym{ms("log.message.downconversion.enable")},
		Doc:      "Whether the broker converts records to an older format for consumers that ask for one; when false they get UNSUPPORTED_VERSION."},
	{Name: "remote.storage.enable", Type: TypeBoolean, Default: "false", Importance: Medium,
		Doc: "Whether the topic uses tiered storage; needs remote.log.storage.system.enable on the brokers."},
	{Name: "local.retention.ms", Type: TypeLong, Default: "-2", Valid: atLeast(-2), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.local.retention.ms")},
		Doc:      "With tiered storage, how long segments stay on local disk, in ms; -2 means retention.ms."},
	{Name: "local.retention.bytes", Type: TypeLong, Default: "-2", Valid: atLeast(-2), Importance: Medium,
		Synonyms: []BrokerSynonym{ms("log.local.retention.bytes")},
		Doc:      "With tiered storage, how many bytes per partition stay on local disk; -2 means retention.bytes."},
	{Name: "remote.log.copy.disable", Type: TypeBoolean, Default: "false", Importance: Medium,
		Doc: "With tiered storage, stop copying new segments to remote storage while keeping the remote data readable."},
	{Name: "remote.log.delete.on.disable", Type: TypeBoolean, Default: "false", Importance: Medium,
		Doc: "Must be true to turn tiered storage off for the topic; the remote data is then deleted."},
}

// QuotaEntity is the kind of entity a client quota applies to.
type QuotaEntity int8

const (
	QuotaUser QuotaEntity = iota
	QuotaClient
	QuotaIP
)

// clientQuotaDefs are the quota keys for users and client ids
// (QuotaConfigs.userAndClientQuotaConfigs).
var clientQuotaDefs = []Def{
	{Name: "producer_byte_rate", Type: TypeLong, Default: maxLong, Importance: Medium,
		Doc: "Produce bandwidth allowed to the entity on each broker, in bytes per second."},
	{Name: "consumer_byte_rate", Type: TypeLong, Default: maxLong, Importance: Medium,
		Doc: "Fetch bandwidth allowed to the entity on each broker, in bytes per second."},
	{Name: "request_percentage", Type: TypeDouble, Default: "2.147483647E9", Importance: Medium,
		Doc: "Share of request handler and network thread time allowed to the entity in each quota window, in percent of one thread."},
	{Name: "controller_mutation_rate", Type: TypeDouble, Default: "2.147483647E9", Importance: Medium,
		Doc: "Partition creations and deletions allowed to the entity per second (KIP-599)."},
}

// ipQuotaDefs are the quota keys for IP addresses (QuotaConfigs.ipConfigs).
var ipQuotaDefs = []Def{
	{Name: "connection_creation_rate", Type: TypeInt, Default: maxInt, Valid: atLeast(0), Importance: Medium,
		Doc: "New connections per second the broker accepts from the address."},
}

// scramMechanisms are the SCRAM credential keys users accept besides quotas.
var scramMechanisms = []string{"SCRAM-SHA-256", "SCRAM-SHA-512"}

// clientMetricsDefs are the client-metrics subscription keys (KIP-714).
var clientMetricsDefs = []Def{
	{Name: "metrics", Type: TypeList, Default: "", Importance: Medium,
		Doc: "Metric name prefixes the matching clients should push; * for all."},
	{Name: "interval.ms", Type: TypeInt, Default: "300000", Importance: Medium,
		Doc: "How often matching clients push their metrics, in ms."},
	{Name: "match", Type: TypeList, Default: "", Importance: Medium,
		Doc: "Client selectors as name=regex pairs (client_id, client_software_name, ...)."},
}

// logLevels are the levels kafka-configs may set on broker loggers
// (Kafka's LogLevelConfig.VALID_LOG_LEVELS), sorted as Kafka prints them.
var logLevels = []string{"DEBUG", "ERROR", "FATAL", "INFO", "TRACE", "WARN"}
