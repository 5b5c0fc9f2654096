package replica

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/metadata"
)

// TestFetcherRefusesListenersItCannotSpeak: with plain TCP connections (no
// Config.Dial), a leader whose inter-broker listener is SSL or SASL is an
// error naming the protocol, not a PLAINTEXT conversation with a TLS
// server; with a Dial of its own the fetcher connects through it.
func TestFetcherRefusesListenersItCannotSpeak(t *testing.T) {
	t.Parallel()
	img := &metadata.Image{Brokers: map[int32]*metadata.Broker{
		2: {ID: 2, Epoch: 5, Listeners: []metadata.Endpoint{{Name: "INTERNAL", Host: "127.0.0.1", Port: 1, SecurityProtocol: 1}}},
	}}
	cases := []struct {
		name    string
		dial    DialFunc
		wantErr string
	}{
		{"plain TCP", nil, "security protocol 1"},
		{"own dialer", func(context.Context, string, string) (net.Conn, error) { return nil, errDialed }, errDialed.Error()},
	}
	for _, tc := range cases {
		m := NewManager(Config{NodeID: 1, InterBrokerListener: "INTERNAL", Dial: tc.dial})
		m.img.Store(img)
		_, err := newFetcher(m, 2).connect(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: connect error = %v, want one containing %q", tc.name, err, tc.wantErr)
		}
		m.Close()
	}
}

var errDialed = &net.OpError{Op: "dial", Err: net.UnknownNetworkError("test dialer")}

// TestFetcherRetriesSoonWhileLeaderIsBehind: a leader that does not know
// a partition yet (its metadata is behind ours) is asked again after
// 10 ms, doubling up to replica.fetch.backoff.ms, while other partition
// errors wait the whole backoff; an answer without error ends the run of
// retries, and ready reports when the partition set aside is due while the
// others are fetched (the Fetch's MaxWait is capped by it).
func TestFetcherRetriesSoonWhileLeaderIsBehind(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	m := NewManager(Config{NodeID: 1, Now: clock.Now, ReplicaFetchBackoff: time.Second})
	defer m.Close()
	f := newFetcher(m, 2)
	a, _ := newTestPartition(t, 1, clock)
	b, _ := newTestPartition(t, 1, clock)
	ta, tb := TopicPartition{"a", 0}, TopicPartition{"b", 0}
	f.add(ta, a)
	f.add(tb, b)
	delay := func() time.Duration {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.parts[ta].delayUntil.Sub(clock.Now())
	}
	answer := func(code int16) {
		t.Helper()
		s := &sentPartition{tp: ta, part: a, leaderEpoch: 1}
		f.markRetried(map[sentKey]*sentPartition{{topic: "a"}: s})
		rp := kmsg.NewFetchResponseTopicPartition()
		rp.ErrorCode = code
		if err := f.handlePartition(context.Background(), nil, s, &rp); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []time.Duration{10, 20, 40, 80, 160, 320, 640, 1000, 1000} {
		answer(kerr.UnknownTopicID.Code)
		if got := delay(); got != want*time.Millisecond {
			t.Fatalf("after UNKNOWN_TOPIC_ID: set aside for %v, want %v", got, want*time.Millisecond)
		}
	}
	parts, due := f.ready()
	if len(parts) != 1 || parts[tb] != b || due != time.Second {
		t.Fatalf("ready: %v due in %v, want only b with a due in 1s", parts, due)
	}
	answer(0) // the leader knows it now: the run ends
	for _, code := range []int16{kerr.NotLeaderForPartition.Code, kerr.UnknownLeaderEpoch.Code, kerr.UnknownTopicOrPartition.Code} {
		answer(0)
		answer(code)
		if got := delay(); got != 10*time.Millisecond {
			t.Fatalf("error %d after an answer without error: set aside for %v, want 10ms", code, got)
		}
	}
	answer(kerr.KafkaStorageError.Code)
	if got := delay(); got != time.Second {
		t.Fatalf("KAFKA_STORAGE_ERROR: set aside for %v, want the whole backoff", got)
	}
	// Any answer other than the leader not knowing the partition ends the
	// run of retries, an error too.
	answer(kerr.UnknownTopicID.Code)
	answer(kerr.UnknownTopicID.Code)
	answer(kerr.KafkaStorageError.Code)
	answer(kerr.UnknownTopicID.Code)
	if got := delay(); got != 10*time.Millisecond {
		t.Fatalf("UNKNOWN_TOPIC_ID after another error: set aside for %v, want 10ms", got)
	}
}
