package config

import "testing"

var benchLayers = Layers{
	Static:         map[string]string{"log.retention.hours": "24", "num.partitions": "3", "log.dirs": "/data"},
	ClusterDynamic: map[string]string{"log.retention.ms": "3600000", "message.max.bytes": "2000000"},
	BrokerDynamic:  map[string]string{"num.io.threads": "16"},
}

var benchOverrides = map[string]string{"cleanup.policy": "compact", "segment.bytes": "104857600", "retention.ms": "-1"}

// BenchmarkTopic measures building a topic's effective config, done when a
// topic or broker config changes:
//
//	go test ./internal/config -run '^$' -bench . -benchmem
func BenchmarkTopic(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = benchLayers.Topic(benchOverrides)
	}
}

// BenchmarkTopicRead measures the per-request reads: typed getters on an
// existing TopicConfig parse nothing.
func BenchmarkTopicRead(b *testing.B) {
	tc := benchLayers.Topic(benchOverrides)
	b.ReportAllocs()
	b.ResetTimer()
	var sink int64
	for i := 0; i < b.N; i++ {
		sink += tc.Int64("retention.ms") + int64(tc.Int32("max.message.bytes"))
	}
	_ = sink
}

// BenchmarkDescribeTopic measures a full DescribeConfigs answer for a topic
// with synonyms.
func BenchmarkDescribeTopic(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = DescribeTopic(benchLayers, benchOverrides, nil, true)
	}
}
