package configs_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Each test changes configs with kafka-configs on a running broker and
// checks what the change does to produce, fetch and the files on disk, with
// franz-go as the client.

// TestRetentionMs: records older than retention.ms leave with their
// segments, and the log start offset moves past them.
func TestRetentionMs(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	b.createTopic(t, "ret-ms", "segment.bytes=1024")
	cl := b.client(t, kgo.DefaultProduceTopic("ret-ms"))
	old := time.Now().Add(-time.Hour)
	for i := 0; i < 40; i++ {
		if err := produce(ctxFor(t, 10*time.Second), cl, &kgo.Record{Value: value(100), Timestamp: old}); err != nil {
			t.Fatal(err)
		}
	}
	before := len(b.segments(t, "ret-ms"))
	if before < 3 {
		t.Fatalf("segments before retention: got %d, want several", before)
	}
	// An hour old is well within the default week: nothing goes.
	if within(500*time.Millisecond, func() (bool, string) { return b.startOffset(t, "ret-ms") > 0, "" }) {
		t.Fatalf("records deleted under the default retention")
	}

	b.alterTopic(t, "ret-ms", "retention.ms=60000")
	eventually(t, 10*time.Second, func() (bool, string) {
		start, segs := b.startOffset(t, "ret-ms"), len(b.segments(t, "ret-ms"))
		return start > 0 && segs < before, fmt.Sprintf("log start offset %d, %d segments (had %d)", start, segs, before)
	})
	// New records are kept.
	if err := produce(ctxFor(t, 10*time.Second), cl, &kgo.Record{Value: []byte("fresh")}); err != nil {
		t.Fatal(err)
	}
	recs := b.consumeAll(t, "ret-ms", 1)
	if got := string(recs[len(recs)-1].Value); got != "fresh" {
		t.Errorf("last record: got %q, want fresh", got)
	}
}

// TestRetentionBytes: the oldest segments go until the partition fits in
// retention.bytes.
func TestRetentionBytes(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	b.createTopic(t, "ret-bytes", "segment.bytes=1024")
	cl := b.client(t, kgo.DefaultProduceTopic("ret-bytes"))
	for i := 0; i < 40; i++ {
		if err := produce(ctxFor(t, 10*time.Second), cl, &kgo.Record{Value: value(100)}); err != nil {
			t.Fatal(err)
		}
	}
	before := len(b.segments(t, "ret-bytes"))
	b.alterTopic(t, "ret-bytes", "retention.bytes=2048")
	eventually(t, 10*time.Second, func() (bool, string) {
		start, segs := b.startOffset(t, "ret-bytes"), len(b.segments(t, "ret-bytes"))
		return start > 0 && segs <= 3, fmt.Sprintf("log start offset %d, %d segments (had %d)", start, segs, before)
	})
}

// TestSegmentBytesAndMs: after segment.bytes shrinks, appends roll new
// segments; after segment.ms shrinks, an append to an older segment rolls.
func TestSegmentBytesAndMs(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	b.createTopic(t, "seg")
	cl := b.client(t, kgo.DefaultProduceTopic("seg"))
	send := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			if err := produce(ctxFor(t, 10*time.Second), cl, &kgo.Record{Value: value(200)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(10)
	if got := len(b.segments(t, "seg")); got != 1 {
		t.Fatalf("segments with the default segment.bytes: got %d, want 1", got)
	}
	b.alterTopic(t, "seg", "segment.bytes=1024")
	send(10)
	bySize := len(b.segments(t, "seg"))
	if bySize < 3 {
		t.Fatalf("segments after segment.bytes=1024: got %d, want at least 3", bySize)
	}

	b.alterTopic(t, "seg", "segment.ms=200", "segment.bytes")
	// With the default size back, only age rolls now: one append per
	// interval opens one segment each.
	for i := 0; i < 3; i++ {
		mark := time.Now()
		eventually(t, 5*time.Second, func() (bool, string) { return time.Since(mark) > 300*time.Millisecond, "waiting out segment.ms" })
		send(1)
	}
	if got := len(b.segments(t, "seg")); got < bySize+2 {
		t.Fatalf("segments after segment.ms=200: got %d, want at least %d", got, bySize+2)
	}
}

// TestCleanupPolicyCompact: with cleanup.policy=compact the log cleaner
// keeps only the latest record of each key.
func TestCleanupPolicyCompact(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "log.cleaner.backoff.ms=100")
	b.createTopic(t, "compact", "segment.bytes=200")
	cl := b.client(t, kgo.DefaultProduceTopic("compact"))
	const keys, rounds = 5, 4
	for r := 0; r < rounds; r++ {
		for k := 0; k < keys; k++ {
			rec := &kgo.Record{Key: []byte(fmt.Sprint("k", k)), Value: []byte(fmt.Sprint("r", r))}
			if err := produce(ctxFor(t, 10*time.Second), cl, rec); err != nil {
				t.Fatal(err)
			}
		}
	}
	// One more record so that every keyed record sits in a rolled segment,
	// which is all the cleaner touches.
	if err := produce(ctxFor(t, 10*time.Second), cl, &kgo.Record{Key: []byte("end"), Value: []byte("end")}); err != nil {
		t.Fatal(err)
	}
	b.alterTopic(t, "compact", "cleanup.policy=compact,min.cleanable.dirty.ratio=0.01,min.compaction.lag.ms=0")

	compacted := func() (bool, string) {
		recs := b.consumeToEnd(t, "compact")
		counts := map[string]int{}
		for _, r := range recs {
			counts[string(r.Key)]++
		}
		return len(recs) == keys+1, fmt.Sprintf("%d records left, per key %v", len(recs), counts)
	}
	if !within(15*time.Second, compacted) {
		_, why := compacted()
		t.Fatalf("the log was not compacted within 15s: %s", why)
	}
	for _, r := range b.consumeToEnd(t, "compact") {
		if string(r.Key) != "end" && string(r.Value) != fmt.Sprint("r", rounds-1) {
			t.Errorf("key %s kept value %s, want the latest r%d", r.Key, r.Value, rounds-1)
		}
	}
}

// TestMaxMessageBytes: batches larger than max.message.bytes are refused
// with MESSAGE_TOO_LARGE; deleting the override lifts the limit.
func TestMaxMessageBytes(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	b.createTopic(t, "max-msg")
	cl := b.client(t, kgo.DefaultProduceTopic("max-msg"), kgo.RecordRetries(0))
	big := &kgo.Record{Value: value(2000)}
	if err := produce(ctxFor(t, 10*time.Second), cl, big); err != nil {
		t.Fatalf("2000 bytes under the default limit: %v", err)
	}
	b.alterTopic(t, "max-msg", "max.message.bytes=1024")
	err := produce(ctxFor(t, 10*time.Second), cl, &kgo.Record{Value: value(2000)})
	if !errors.Is(err, kerr.MessageTooLarge) {
		t.Fatalf("2000 bytes over max.message.bytes=1024: got %v, want MESSAGE_TOO_LARGE", err)
	}
	if err := produce(ctxFor(t, 10*time.Second), cl, &kgo.Record{Value: value(100)}); err != nil {
		t.Fatalf("small record: %v", err)
	}
	b.alterTopic(t, "max-msg", "", "max.message.bytes")
	if err := produce(ctxFor(t, 10*time.Second), cl, &kgo.Record{Value: value(2000)}); err != nil {
		t.Fatalf("after deleting the override: %v", err)
	}
}

// TestLogAppendTime: with message.timestamp.type=LogAppendTime the broker
// stamps records with its own clock.
func TestLogAppendTime(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	b.createTopic(t, "lat")
	cl := b.client(t, kgo.DefaultProduceTopic("lat"))
	old := time.UnixMilli(1_000_000_000_000)
	if err := produce(ctxFor(t, 10*time.Second), cl, &kgo.Record{Value: []byte("create"), Timestamp: old}); err != nil {
		t.Fatal(err)
	}
	b.alterTopic(t, "lat", "message.timestamp.type=LogAppendTime")
	sent := time.Now()
	if err := produce(ctxFor(t, 10*time.Second), cl, &kgo.Record{Value: []byte("append"), Timestamp: old}); err != nil {
		t.Fatal(err)
	}
	recs := b.consumeAll(t, "lat", 2)
	if !recs[0].Timestamp.Equal(old) || recs[0].Attrs.TimestampType() != 0 {
		t.Errorf("CreateTime record: got %v (type %d), want %v (type 0)", recs[0].Timestamp, recs[0].Attrs.TimestampType(), old)
	}
	if d := recs[1].Timestamp.Sub(sent); d < -5*time.Second || d > time.Minute || recs[1].Attrs.TimestampType() != 1 {
		t.Errorf("LogAppendTime record: got %v (type %d), want about %v (type 1)", recs[1].Timestamp, recs[1].Attrs.TimestampType(), sent)
	}
}

// TestTimestampBounds: message.timestamp.before.max.ms and
// after.max.ms refuse records too far in the past or future.
func TestTimestampBounds(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	b.createTopic(t, "ts")
	cl := b.client(t, kgo.DefaultProduceTopic("ts"), kgo.RecordRetries(0))
	past, future := time.Now().Add(-2*time.Hour), time.Now().Add(2*time.Hour)
	for _, ts := range []time.Time{past, future} {
		if err := produce(ctxFor(t, 10*time.Second), cl, &kgo.Record{Value: []byte("ok"), Timestamp: ts}); err != nil {
			t.Fatalf("timestamp %v under the defaults: %v", ts, err)
		}
	}
	b.alterTopic(t, "ts", "message.timestamp.before.max.ms=3600000,message.timestamp.after.max.ms=3600000")
	for _, ts := range []time.Time{past, future} {
		err := produce(ctxFor(t, 10*time.Second), cl, &kgo.Record{Value: []byte("no"), Timestamp: ts})
		if !errors.Is(err, kerr.InvalidTimestamp) {
			t.Errorf("timestamp %v outside one hour: got %v, want INVALID_TIMESTAMP", ts, err)
		}
	}
	if err := produce(ctxFor(t, 10*time.Second), cl, &kgo.Record{Value: []byte("now"), Timestamp: time.Now()}); err != nil {
		t.Errorf("current timestamp: %v", err)
	}
}

// TestCompressionType: with compression.type=gzip the broker stores client
// batches recompressed with gzip.
func TestCompressionType(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	b.createTopic(t, "gz")
	cl := b.client(t, kgo.DefaultProduceTopic("gz"), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err := produce(ctxFor(t, 10*time.Second), cl, &kgo.Record{Value: []byte(strings.Repeat("compress me ", 50))}); err != nil {
		t.Fatal(err)
	}
	b.alterTopic(t, "gz", "compression.type=gzip")
	if err := produce(ctxFor(t, 10*time.Second), cl, &kgo.Record{Value: []byte(strings.Repeat("compress me ", 50))}); err != nil {
		t.Fatal(err)
	}
	codecs := b.batchCodecs(t, "gz")
	if len(codecs) != 2 || codecs[0] != 0 {
		t.Fatalf("batch codecs on disk: got %v, want [0 1]", codecs)
	}
	if codecs[1] != 1 {
		t.Fatalf("batch stored with codec %d, want 1 (gzip, the topic's compression.type)", codecs[1])
	}
	recs := b.consumeAll(t, "gz", 2)
	if got := recs[1].Attrs.CompressionType(); got != 1 {
		t.Errorf("fetched batch codec: got %d, want 1 (gzip)", got)
	}
}

// TestMinInsyncReplicas: on one node, min.insync.replicas=2 refuses acks=all
// with NOT_ENOUGH_REPLICAS while acks=1 still works.
func TestMinInsyncReplicas(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	b.createTopic(t, "isr")
	all := b.client(t, kgo.DefaultProduceTopic("isr"), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.DisableIdempotentWrite(), kgo.RecordRetries(0))
	one := b.client(t, kgo.DefaultProduceTopic("isr"), kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	if err := produce(ctxFor(t, 10*time.Second), all, &kgo.Record{Value: []byte("a")}); err != nil {
		t.Fatalf("acks=all with min.insync.replicas=1: %v", err)
	}
	b.alterTopic(t, "isr", "min.insync.replicas=2")
	err := produce(ctxFor(t, 10*time.Second), all, &kgo.Record{Value: []byte("b")})
	if !errors.Is(err, kerr.NotEnoughReplicas) {
		t.Fatalf("acks=all with min.insync.replicas=2 on one node: got %v, want NOT_ENOUGH_REPLICAS", err)
	}
	if err := produce(ctxFor(t, 10*time.Second), one, &kgo.Record{Value: []byte("c")}); err != nil {
		t.Fatalf("acks=1: %v", err)
	}
	b.alterTopic(t, "isr", "", "min.insync.replicas")
	if err := produce(ctxFor(t, 10*time.Second), all, &kgo.Record{Value: []byte("d")}); err != nil {
		t.Fatalf("acks=all after deleting the override: %v", err)
	}
}

// TestConfigsAtCreate: configs given to kafka-topics --create take effect
// from the first record and show in kafka-configs --describe.
func TestConfigsAtCreate(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	b.createTopic(t, "created", "max.message.bytes=1024", "message.timestamp.type=LogAppendTime")
	out := b.mustConfigs(t, "--describe", "--topic", "created")
	want := "Dynamic configs for topic created are:\n" +
		"  max.message.bytes=1024 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:max.message.bytes=1024, DEFAULT_CONFIG:message.max.bytes=1048588}\n" +
		"  message.timestamp.type=LogAppendTime sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:message.timestamp.type=LogAppendTime, DEFAULT_CONFIG:log.message.timestamp.type=CreateTime}\n"
	if out != want {
		t.Errorf("describe:\ngot\n%swant\n%s", out, want)
	}
	cl := b.client(t, kgo.DefaultProduceTopic("created"), kgo.RecordRetries(0))
	if err := produce(ctxFor(t, 10*time.Second), cl, &kgo.Record{Value: value(2000)}); !errors.Is(err, kerr.MessageTooLarge) {
		t.Errorf("2000 bytes: got %v, want MESSAGE_TOO_LARGE", err)
	}
	old := time.UnixMilli(1_000_000_000_000)
	if err := produce(ctxFor(t, 10*time.Second), cl, &kgo.Record{Value: []byte("x"), Timestamp: old}); err != nil {
		t.Fatal(err)
	}
	if r := b.consumeAll(t, "created", 1)[0]; r.Timestamp.Equal(old) || r.Attrs.TimestampType() != 1 {
		t.Errorf("timestamp: got %v (type %d), want the broker's append time", r.Timestamp, r.Attrs.TimestampType())
	}
}

// autoCreate asks for metadata of topic with auto-creation allowed, as a
// producer does, and returns the topic's error and partition count.
func autoCreate(t *testing.T, b *testBroker, topic string) (int16, int) {
	t.Helper()
	cl := b.client(t)
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	req.AllowAutoTopicCreation = true
	var code int16
	var parts int
	eventually(t, 10*time.Second, func() (bool, string) {
		resp, err := req.RequestWith(ctxFor(t, 5*time.Second), cl)
		if err != nil || len(resp.Topics) != 1 {
			return false, fmt.Sprint(err)
		}
		code, parts = resp.Topics[0].ErrorCode, len(resp.Topics[0].Partitions)
		// LEADER_NOT_AVAILABLE while the new topic gets its leader.
		return code != kerr.LeaderNotAvailable.Code, fmt.Sprint("error code ", code)
	})
	return code, parts
}

// TestBrokerTopicCreationConfigs: num.partitions and
// auto.create.topics.enable are read-only broker configs in Kafka 3.9, so
// kafka-configs cannot change them on a running broker (the broker refuses
// the change, as Kafka's does, and auto-creation keeps its behaviour); set
// in the broker's properties they decide how auto-created topics look, or
// whether they are created at all.
func TestBrokerTopicCreationConfigs(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	for _, args := range [][]string{
		{"--alter", "--broker", "1", "--add-config", "num.partitions=3"},
		{"--alter", "--broker-defaults", "--add-config", "auto.create.topics.enable=false"},
	} {
		_, errOut, code := kafkaConfigs(append([]string{"--bootstrap-server", b.addr}, args...)...)
		if code != 1 || !strings.Contains(errOut, "InvalidRequestException: Cannot update these configs dynamically") {
			t.Errorf("%v: exit %d, stderr %q; want Kafka's refusal", args, code, errOut)
		}
	}
	if code, parts := autoCreate(t, b, "auto-default"); code != 0 || parts != 1 {
		t.Errorf("auto-created topic after refused changes: error %d, %d partitions; want 0, 1", code, parts)
	}

	three := startBroker(t, "num.partitions=3")
	if code, parts := autoCreate(t, three, "auto-three"); code != 0 || parts != 3 {
		t.Errorf("num.partitions=3: error %d, %d partitions; want 0, 3", code, parts)
	}
	off := startBroker(t, "auto.create.topics.enable=false")
	if code, _ := autoCreate(t, off, "auto-off"); code != kerr.UnknownTopicOrPartition.Code {
		t.Errorf("auto.create.topics.enable=false: error %d, want UNKNOWN_TOPIC_OR_PARTITION", code)
	}
}

// TestBrokerDefaultsApplyToTopics: a dynamic cluster-wide default
// (log.message.timestamp.type, message.max.bytes) changes topics without
// overrides, and a topic override still wins.
func TestBrokerDefaultsApplyToTopics(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	b.createTopic(t, "plain")
	b.createTopic(t, "override", "max.message.bytes=5000")
	b.mustConfigs(t, "--alter", "--broker-defaults", "--add-config", "message.max.bytes=1024")
	plain := b.client(t, kgo.DefaultProduceTopic("plain"), kgo.RecordRetries(0))
	eventually(t, 10*time.Second, func() (bool, string) {
		err := produce(ctxFor(t, 10*time.Second), plain, &kgo.Record{Value: value(2000)})
		return errors.Is(err, kerr.MessageTooLarge), fmt.Sprintf("2000 bytes to a topic without override: %v", err)
	})
	over := b.client(t, kgo.DefaultProduceTopic("override"), kgo.RecordRetries(0))
	if err := produce(ctxFor(t, 10*time.Second), over, &kgo.Record{Value: value(2000)}); err != nil {
		t.Errorf("2000 bytes to a topic with max.message.bytes=5000: %v", err)
	}
}
