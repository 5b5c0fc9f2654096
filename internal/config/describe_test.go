package config

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// syn renders synonyms the way kafka-configs prints them.
func syn(ss []Synonym) string {
	var parts []string
	for _, s := range ss {
		v := s.Value
		if s.Null {
			v = "null"
		}
		parts = append(parts, fmt.Sprintf("%s:%s=%s", s.Source, s.Name, v))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func entry(t *testing.T, es []Entry, name string) Entry {
	t.Helper()
	for _, e := range es {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no entry %s", name)
	return Entry{}
}

// TestTopicPrecedence pins effective topic values, sources and synonyms
// for combinations of layers, following Kafka's ConfigHelper.
func TestTopicPrecedence(t *testing.T) {
	tests := []struct {
		name       string
		layers     Layers
		overrides  map[string]string
		config     string
		wantValue  string
		wantSource Source
		wantSyn    string
	}{
		{
			name:       "nothing set",
			config:     "retention.ms",
			wantValue:  "604800000",
			wantSource: Default,
			// log.retention.ms is set nowhere, so Kafka drops the default
			// log.retention.hours=168 from the list.
			wantSyn: "{}",
		},
		{
			name:       "static hours only",
			layers:     Layers{Static: map[string]string{"log.retention.hours": "24"}},
			config:     "retention.ms",
			wantValue:  "86400000",
			wantSource: Default,
			wantSyn:    "{}",
		},
		{
			name:       "static minutes",
			layers:     Layers{Static: map[string]string{"log.retention.minutes": "10", "log.retention.hours": "24"}},
			config:     "retention.ms",
			wantValue:  "600000",
			wantSource: Default,
			wantSyn:    "{}",
		},
		{
			name:       "negative hours mean unlimited",
			layers:     Layers{Static: map[string]string{"log.retention.hours": "-5"}},
			config:     "retention.ms",
			wantValue:  "-1",
			wantSource: Default,
			wantSyn:    "{}",
		},
		{
			name: "static hours and cluster default ms",
			layers: Layers{
				Static:         map[string]string{"log.retention.hours": "24"},
				ClusterDynamic: map[string]string{"log.retention.ms": "1000"},
			},
			config:     "retention.ms",
			wantValue:  "1000",
			wantSource: DynamicDefaultBroker,
			wantSyn:    "{DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=1000, STATIC_BROKER_CONFIG:log.retention.hours=24, DEFAULT_CONFIG:log.retention.hours=168}",
		},
		{
			name: "topic override beats all",
			layers: Layers{
				Static:         map[string]string{"log.retention.hours": "24"},
				ClusterDynamic: map[string]string{"log.retention.ms": "1000"},
			},
			overrides:  map[string]string{"retention.ms": " 5000 "},
			config:     "retention.ms",
			wantValue:  "5000",
			wantSource: DynamicTopic,
			wantSyn:    "{DYNAMIC_TOPIC_CONFIG:retention.ms=5000, DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=1000, STATIC_BROKER_CONFIG:log.retention.hours=24, DEFAULT_CONFIG:log.retention.hours=168}",
		},
		{
			name: "per-broker beats cluster default beats static",
			layers: Layers{
				Static:         map[string]string{"log.retention.ms": "3000"},
				ClusterDynamic: map[string]string{"log.retention.ms": "2000"},
				BrokerDynamic:  map[string]string{"log.retention.ms": "1000"},
			},
			config:     "retention.ms",
			wantValue:  "1000",
			wantSource: DynamicBroker,
			wantSyn:    "{DYNAMIC_BROKER_CONFIG:log.retention.ms=1000, DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=2000, STATIC_BROKER_CONFIG:log.retention.ms=3000, DEFAULT_CONFIG:log.retention.hours=168}",
		},
		{
			name:       "roll hours",
			layers:     Layers{Static: map[string]string{"log.roll.hours": "2"}},
			config:     "segment.ms",
			wantValue:  "7200000",
			wantSource: Default,
			wantSyn:    "{}",
		},
		{
			name:       "roll ms static",
			layers:     Layers{Static: map[string]string{"log.roll.ms": "60000", "log.roll.hours": "2"}},
			config:     "segment.ms",
			wantValue:  "60000",
			wantSource: StaticBroker,
			wantSyn:    "{STATIC_BROKER_CONFIG:log.roll.ms=60000, STATIC_BROKER_CONFIG:log.roll.hours=2, DEFAULT_CONFIG:log.roll.hours=168}",
		},
		{
			name: "different name",
			layers: Layers{
				ClusterDynamic: map[string]string{"message.max.bytes": "3000"},
				BrokerDynamic:  map[string]string{"message.max.bytes": "2000"},
			},
			config:     "max.message.bytes",
			wantValue:  "2000",
			wantSource: DynamicBroker,
			wantSyn:    "{DYNAMIC_BROKER_CONFIG:message.max.bytes=2000, DYNAMIC_DEFAULT_BROKER_CONFIG:message.max.bytes=3000, DEFAULT_CONFIG:message.max.bytes=1048588}",
		},
		{
			name:       "cleanup policy override",
			overrides:  map[string]string{"cleanup.policy": "compact"},
			config:     "cleanup.policy",
			wantValue:  "compact",
			wantSource: DynamicTopic,
			wantSyn:    "{DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact, DEFAULT_CONFIG:log.cleanup.policy=delete}",
		},
		{
			name:       "list override normalised",
			overrides:  map[string]string{"cleanup.policy": " compact ,  delete"},
			config:     "cleanup.policy",
			wantValue:  "compact,delete",
			wantSource: DynamicTopic,
			wantSyn:    "{DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete, DEFAULT_CONFIG:log.cleanup.policy=delete}",
		},
		{
			name:       "flush ms from scheduler interval",
			layers:     Layers{Static: map[string]string{"log.flush.scheduler.interval.ms": "1000"}},
			config:     "flush.ms",
			wantValue:  "1000",
			wantSource: Default,
			wantSyn:    "{}",
		},
		{
			name:       "no broker synonym",
			config:     "remote.storage.enable",
			wantValue:  "false",
			wantSource: Default,
			wantSyn:    "{}",
		},
		{
			name:       "default only",
			config:     "min.insync.replicas",
			wantValue:  "1",
			wantSource: Default,
			wantSyn:    "{DEFAULT_CONFIG:min.insync.replicas=1}",
		},
		{
			name:       "timestamp window falls back to difference",
			layers:     Layers{Static: map[string]string{"log.message.timestamp.difference.max.ms": "1000"}},
			config:     "message.timestamp.before.max.ms",
			wantValue:  "1000",
			wantSource: Default,
			wantSyn:    "{DEFAULT_CONFIG:log.message.timestamp.before.max.ms=9223372036854775807}",
		},
		{
			name:       "format version ignored in KRaft",
			layers:     Layers{Static: map[string]string{"log.message.format.version": "2.8"}},
			config:     "message.format.version",
			wantValue:  "3.0-IV1",
			wantSource: StaticBroker,
			wantSyn:    "{STATIC_BROKER_CONFIG:log.message.format.version=2.8, DEFAULT_CONFIG:log.message.format.version=3.0-IV1}",
		},
		{
			name:       "local retention",
			layers:     Layers{ClusterDynamic: map[string]string{"log.local.retention.ms": "5"}},
			config:     "local.retention.ms",
			wantValue:  "5",
			wantSource: DynamicDefaultBroker,
			wantSyn:    "{DYNAMIC_DEFAULT_BROKER_CONFIG:log.local.retention.ms=5, DEFAULT_CONFIG:log.local.retention.ms=-2}",
		},
		{
			name:       "read-only dynamic ignored",
			layers:     Layers{ClusterDynamic: map[string]string{"log.retention.hours": "1"}},
			config:     "retention.ms",
			wantValue:  "604800000",
			wantSource: Default,
			wantSyn:    "{}",
		},
		{
			name:       "invalid dynamic ignored",
			layers:     Layers{BrokerDynamic: map[string]string{"log.retention.ms": "soon"}},
			config:     "retention.ms",
			wantValue:  "604800000",
			wantSource: Default,
			wantSyn:    "{}",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := tt.layers.Topic(tt.overrides)
			if got := tc.Get(tt.config); got != tt.wantValue {
				t.Errorf("Topic().Get(%s) = %q, want %q", tt.config, got, tt.wantValue)
			}
			e := entry(t, DescribeTopic(tt.layers, tt.overrides, nil, true), tt.config)
			if e.Value != tt.wantValue {
				t.Errorf("described value = %q, want %q", e.Value, tt.wantValue)
			}
			if e.Source != tt.wantSource {
				t.Errorf("source = %s, want %s", e.Source, tt.wantSource)
			}
			if got := syn(e.Synonyms); got != tt.wantSyn {
				t.Errorf("synonyms = %s\nwant       %s", got, tt.wantSyn)
			}
			if e.IsDefault != (tt.wantSource == Default) || e.ReadOnly || e.Sensitive {
				t.Errorf("flags: default=%v readOnly=%v sensitive=%v", e.IsDefault, e.ReadOnly, e.Sensitive)
			}
			noSyn := entry(t, DescribeTopic(tt.layers, tt.overrides, []string{tt.config}, false), tt.config)
			if noSyn.Synonyms != nil || noSyn.Source != tt.wantSource {
				t.Errorf("without synonyms: synonyms %v, source %s", noSyn.Synonyms, noSyn.Source)
			}
		})
	}
}

// TestDescribeBrokerSynonyms mirrors the assertions of Kafka's
// DynamicBrokerReconfigurationTest on log configs.
func TestDescribeBrokerSynonyms(t *testing.T) {
	l := Layers{Static: map[string]string{"log.retention.ms": "1680000000", "log.retention.hours": "168"}}
	es := DescribeBroker(l, nil, true)
	tests := []struct {
		name     string
		value    string
		readOnly bool
		synonyms string
	}{
		{"log.retention.ms", "1680000000", false, "{STATIC_BROKER_CONFIG:log.retention.ms=1680000000, STATIC_BROKER_CONFIG:log.retention.hours=168, DEFAULT_CONFIG:log.retention.hours=168}"},
		{"log.retention.hours", "168", true, "{STATIC_BROKER_CONFIG:log.retention.hours=168, DEFAULT_CONFIG:log.retention.hours=168}"},
		{"log.roll.hours", "168", true, "{DEFAULT_CONFIG:log.roll.hours=168}"},
		{"log.cleaner.threads", "1", false, "{DEFAULT_CONFIG:log.cleaner.threads=1}"},
		{"log.flush.interval.ms", "", false, "{}"},
		{"listeners", "PLAINTEXT://:9092", false, "{DEFAULT_CONFIG:listeners=PLAINTEXT://:9092}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := entry(t, es, tt.name)
			if e.Value != tt.value {
				t.Errorf("value = %q, want %q", e.Value, tt.value)
			}
			if e.ReadOnly != tt.readOnly {
				t.Errorf("readOnly = %v, want %v", e.ReadOnly, tt.readOnly)
			}
			if got := syn(e.Synonyms); got != tt.synonyms {
				t.Errorf("synonyms = %s\nwant       %s", got, tt.synonyms)
			}
		})
	}
	if e := entry(t, es, "log.flush.interval.ms"); !e.Null || e.Source != Default {
		t.Errorf("unset config: null=%v source=%s, want null DEFAULT_CONFIG", e.Null, e.Source)
	}
	if e := entry(t, es, "num.partitions"); e.Doc == "" || e.Type != TypeInt {
		t.Errorf("num.partitions: doc %q type %s", e.Doc, e.Type)
	}
}

func TestLayersBroker(t *testing.T) {
	l := Layers{Static: map[string]string{"log.retention.hours": "24"}, ClusterDynamic: map[string]string{"log.retention.ms": "1000"}}
	e, err := l.Broker("log.retention.ms")
	if err != nil || e.Value != "1000" || e.Source != DynamicDefaultBroker || len(e.Synonyms) != 3 {
		t.Errorf("Broker(log.retention.ms) = %+v, %v", e, err)
	}
	e, err = l.Broker("listener.name.x.ssl.truststore.location")
	if err != nil || !e.Null || !e.ReadOnly || e.Type != TypeString {
		t.Errorf("unset listener override = %+v, %v", e, err)
	}
	if _, err := l.Broker("retention.ms"); err == nil || err.Error() != "Unknown broker config name: retention.ms" {
		t.Errorf("topic name as broker config: %v", err)
	}
}

func TestDescribeBrokerSensitiveAndListeners(t *testing.T) {
	l := Layers{
		Static: map[string]string{
			"ssl.keystore.password": "secret",
			"ssl.keystore.location": "/static.jks",
		},
		BrokerDynamic: map[string]string{
			"listener.name.external.ssl.keystore.location": "/dynamic.jks",
			"listener.name.external.ssl.keystore.password": "other",
			"leader.replication.throttled.rate":            "1000",
		},
	}
	es := DescribeBroker(l, nil, true)

	pw := entry(t, es, "ssl.keystore.password")
	if !pw.Null || pw.Value != "" || !pw.Sensitive || pw.Source != StaticBroker {
		t.Errorf("password entry: %+v", pw)
	}
	if got, want := syn(pw.Synonyms), "{STATIC_BROKER_CONFIG:ssl.keystore.password=null}"; got != want {
		t.Errorf("password synonyms = %s, want %s", got, want)
	}
	base := entry(t, es, "ssl.keystore.location")
	if got, want := syn(base.Synonyms), "{STATIC_BROKER_CONFIG:ssl.keystore.location=/static.jks}"; got != want {
		t.Errorf("base synonyms = %s, want %s (a base config does not list listener overrides)", got, want)
	}
	over := entry(t, es, "listener.name.external.ssl.keystore.location")
	if over.Value != "/dynamic.jks" || !over.ReadOnly || over.Source != DynamicBroker {
		t.Errorf("listener override entry: %+v", over)
	}
	if got, want := syn(over.Synonyms), "{DYNAMIC_BROKER_CONFIG:listener.name.external.ssl.keystore.location=/dynamic.jks, STATIC_BROKER_CONFIG:ssl.keystore.location=/static.jks}"; got != want {
		t.Errorf("override synonyms = %s\nwant %s", got, want)
	}
	if e := entry(t, es, "listener.name.external.ssl.keystore.password"); !e.Null || !e.Sensitive {
		t.Errorf("listener password: %+v", e)
	}
	rate := entry(t, es, "leader.replication.throttled.rate")
	if rate.Value != "1000" || rate.Type != TypeLong || rate.Sensitive || rate.Source != DynamicBroker {
		t.Errorf("throttle rate: %+v", rate)
	}
	for _, e := range es {
		if e.Name == "follower.replication.throttled.rate" {
			t.Errorf("unset dynamic-only config listed: %+v", e)
		}
	}
}

func TestDescribeClusterDefault(t *testing.T) {
	l := Layers{
		Static:         map[string]string{"log.retention.ms": "5"},
		ClusterDynamic: map[string]string{"log.retention.ms": "1000", "listeners": "PLAINTEXT://:1", "log.dirs": "/x", "num.io.threads": "16"},
		BrokerDynamic:  map[string]string{"log.retention.ms": "7"},
	}
	es := DescribeClusterDefault(l, nil, true)
	var names []string
	for _, e := range es {
		names = append(names, e.Name)
	}
	if want := []string{"log.retention.ms", "num.io.threads"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("entries %v, want %v (per-broker and read-only entries are dropped)", names, want)
	}
	e := es[0]
	if e.Value != "1000" || e.Source != DynamicDefaultBroker {
		t.Errorf("entry %+v", e)
	}
	if got, want := syn(e.Synonyms), "{DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=1000}"; got != want {
		t.Errorf("synonyms %s, want %s", got, want)
	}
	if got := DescribeClusterDefault(l, []string{"num.io.threads"}, false); len(got) != 1 || got[0].Synonyms != nil {
		t.Errorf("keys filter: %+v", got)
	}
}

func TestDescribeKeysFilter(t *testing.T) {
	got := DescribeBroker(Layers{}, []string{"num.partitions", "no.such.config"}, false)
	if len(got) != 1 || got[0].Name != "num.partitions" || got[0].Value != "1" || got[0].Synonyms != nil {
		t.Errorf("got %+v", got)
	}
	topic := DescribeTopic(Layers{}, nil, []string{"segment.bytes", "retention.ms"}, false)
	if len(topic) != 2 || topic[0].Name != "retention.ms" || topic[1].Name != "segment.bytes" {
		t.Errorf("topic entries %+v", topic)
	}
	if n := len(DescribeTopic(Layers{}, nil, nil, false)); n != len(topicDefs) {
		t.Errorf("all topic entries: %d, want %d", n, len(topicDefs))
	}
}

func TestDescribeLoggers(t *testing.T) {
	got := DescribeLoggers(map[string]string{"root": "INFO", "kafka.server": "DEBUG"}, nil)
	if len(got) != 2 || got[0].Name != "kafka.server" || got[0].Source != DynamicBrokerLogger || got[0].Value != "DEBUG" {
		t.Errorf("got %+v", got)
	}
}

func TestSourceStrings(t *testing.T) {
	want := map[Source]string{
		Unknown: "UNKNOWN", DynamicTopic: "DYNAMIC_TOPIC_CONFIG", DynamicBroker: "DYNAMIC_BROKER_CONFIG",
		DynamicDefaultBroker: "DYNAMIC_DEFAULT_BROKER_CONFIG", StaticBroker: "STATIC_BROKER_CONFIG",
		Default: "DEFAULT_CONFIG", DynamicBrokerLogger: "DYNAMIC_BROKER_LOGGER_CONFIG",
		ClientMetrics: "DYNAMIC_CLIENT_METRICS_CONFIG", Group: "DYNAMIC_GROUP_CONFIG",
	}
	for s, w := range want {
		if s.String() != w {
			t.Errorf("Source(%d) = %s, want %s", s, s, w)
		}
	}
}

func TestLogSettings(t *testing.T) {
	l := Layers{Static: map[string]string{
		"log.retention.hours":                     "24",
		"log.message.timestamp.difference.max.ms": "60000",
		"compression.type":                        "zstd",
	}}
	got := l.Topic(map[string]string{
		"cleanup.policy":                        "compact,delete",
		"message.timestamp.after.max.ms":        "1000",
		"compression.zstd.level":                "7",
		"local.retention.ms":                    "-2",
		"leader.replication.throttled.replicas": "0:1",
	}).Log()
	want := LogSettings{
		SegmentBytes: 1073741824, SegmentMs: 604800000, SegmentJitterMs: 0, SegmentIndexBytes: 10485760,
		IndexIntervalBytes: 4096, FlushMessages: 9223372036854775807, FlushMs: 9223372036854775807,
		RetentionBytes: -1, RetentionMs: 86400000, LocalRetentionBytes: -1, LocalRetentionMs: 86400000,
		MaxMessageBytes: 1048588, FileDeleteDelayMs: 60000, DeleteRetentionMs: 86400000,
		MinCompactionLagMs: 0, MaxCompactionLagMs: 9223372036854775807, MinCleanableRatio: 0.5,
		CleanupPolicy: "compact,delete", Compact: true, Delete: true, MinInSyncReplicas: 1,
		CompressionType: "zstd", CompressionLevel: 7, MessageTimestampType: "CreateTime",
		MessageTimestampBeforeMaxMs: 60000, MessageTimestampAfterMaxMs: 1000,
		MessageDownConversionEnable: true,
		LeaderThrottledReplicas:     []string{"0:1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Log() =\n%+v\nwant\n%+v", got, want)
	}
	// Defaults: Kafka's LogConfig defaults.
	def := Layers{}.DefaultTopic()
	if def.Int64("retention.ms") != 604800000 || def.Int32("segment.bytes") != 1<<30 || def.Get("cleanup.policy") != "delete" || def.Float64("min.cleanable.dirty.ratio") != 0.5 || !def.Bool("message.downconversion.enable") {
		t.Errorf("defaults wrong: %v", def.Map())
	}
	if def.Int64("no.such.config") != 0 || def.Get("no.such.config") != "" {
		t.Errorf("unknown names must read as zero")
	}
	if len(def.Map()) != len(topicDefs) {
		t.Errorf("Map has %d entries", len(def.Map()))
	}
}

func TestLayersGetters(t *testing.T) {
	l := Layers{
		Static:         map[string]string{"num.io.threads": "4", "log.dirs": "/a, /b", "auto.create.topics.enable": "FALSE"},
		ClusterDynamic: map[string]string{"num.io.threads": "6", "log.cleaner.io.buffer.load.factor": "0.75"},
	}
	if got := l.Int32("num.io.threads"); got != 6 {
		t.Errorf("num.io.threads = %d", got)
	}
	if got := l.Bool("auto.create.topics.enable"); got {
		t.Errorf("auto.create.topics.enable = true")
	}
	if got := l.LogDirs(); !reflect.DeepEqual(got, []string{"/a", "/b"}) {
		t.Errorf("LogDirs = %q", got)
	}
	if got := l.MetadataLogDir(); got != "/a" {
		t.Errorf("MetadataLogDir = %q", got)
	}
	if got := l.Float64("log.cleaner.io.buffer.load.factor"); got != 0.75 {
		t.Errorf("load factor = %v", got)
	}
	if got := l.Int64("socket.request.max.bytes"); got != 104857600 {
		t.Errorf("default socket.request.max.bytes = %d", got)
	}
	if l.IsSet("log.retention.ms") || !l.IsSet("log.retention.hours") {
		t.Errorf("IsSet wrong")
	}
	if got := (Layers{}).LogDirs(); !reflect.DeepEqual(got, []string{"/tmp/kafka-logs"}) {
		t.Errorf("default LogDirs = %q", got)
	}
	if got := (Layers{}).NodeID(); got != -1 {
		t.Errorf("default NodeID = %d", got)
	}
}

// TestLayersConcurrentSwap publishes new Layers while readers resolve
// topic configs: Layers values are immutable, so this is race-free.
func TestLayersConcurrentSwap(t *testing.T) {
	var cur atomic.Pointer[Layers]
	start := Layers{Static: map[string]string{"log.retention.hours": "1"}}
	cur.Store(&start)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				ms := cur.Load().Topic(map[string]string{"segment.bytes": "1048576"}).Log().RetentionMs
				if ms != 3600000 && ms%1000 != 0 {
					t.Errorf("torn read: %d", ms)
					return
				}
			}
		}()
	}
	for i := 1; i <= 50; i++ {
		next := cur.Load().WithClusterDynamic(map[string]string{"log.retention.ms": fmt.Sprint(i * 1000)})
		cur.Store(&next)
	}
	close(stop)
	wg.Wait()
	if got := cur.Load().DefaultTopic().Int64("retention.ms"); got != 50000 {
		t.Errorf("final retention.ms = %d", got)
	}
}
