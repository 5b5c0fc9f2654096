package configs_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkakit/kafkakit/internal/testbroker"
)

// TestDynamicConfigsSurviveRestart: topic overrides, a per-broker config
// and a cluster-wide default set with kafka-configs are still described,
// and still in force, after kafka-server (a separate process) stops and
// starts again on the same data.
func TestDynamicConfigsSurviveRestart(t *testing.T) {
	t.Parallel()
	bin, err := testbroker.BuildServer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p, err := testbroker.StartProcess(bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	b := &testBroker{addr: p.Addr, dir: p.Dir}

	b.createTopic(t, "kept")
	b.createTopic(t, "plain")
	b.alterTopic(t, "kept", "max.message.bytes=1024,retention.ms=86400000")
	b.mustConfigs(t, "--alter", "--broker", "1", "--add-config", "log.retention.ms=3600000")
	b.mustConfigs(t, "--alter", "--broker-defaults", "--add-config", "message.max.bytes=2048")
	describe := func() string {
		return b.mustConfigs(t, "--describe", "--topic", "kept") +
			b.mustConfigs(t, "--describe", "--entity-type", "brokers")
	}
	before := describe()
	for _, want := range []string{"max.message.bytes=1024", "log.retention.ms=3600000", "message.max.bytes=2048"} {
		if !strings.Contains(before, want) {
			t.Fatalf("before restart, %s missing from:\n%s", want, before)
		}
	}

	if err := p.Stop(20 * time.Second); err != nil {
		t.Fatalf("stop: %v\n%s", err, p.Log())
	}
	if err := p.Start(); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if after := describe(); after != before {
		t.Errorf("configs after restart:\n%s\nwant\n%s", after, before)
	}

	// Still in force: the topic override and the cluster default.
	for _, tc := range []struct {
		topic string
		size  int
	}{{"kept", 1500}, {"plain", 3000}} {
		cl := b.client(t, kgo.DefaultProduceTopic(tc.topic), kgo.RecordRetries(0))
		err := produce(ctxFor(t, 20*time.Second), cl, &kgo.Record{Value: value(tc.size)})
		if !errors.Is(err, kerr.MessageTooLarge) {
			t.Errorf("%d bytes to %s after restart: got %v, want MESSAGE_TOO_LARGE", tc.size, tc.topic, err)
		}
		if err := produce(ctxFor(t, 20*time.Second), cl, &kgo.Record{Value: value(500)}); err != nil {
			t.Errorf("500 bytes to %s after restart: %v", tc.topic, err)
		}
	}
}
