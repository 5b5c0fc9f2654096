package replica_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kafkakit/kafkakit/internal/replica"
)

// TestHighWatermarkNeedsEveryISRMember: a leader with two followers moves
// its high watermark only once both have fetched the data; consumers read
// nothing at or above it, followers get everything up to the log end.
func TestHighWatermarkNeedsEveryISRMember(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{brokers: 3})
	c.createTopic("hw", [][]int32{{1, 2, 3}}, nil)
	leader := c.partition(1, "hw")

	c.links.setCut(3, 1, true) // broker 3 cannot reach the leader
	for i := range 3 {
		if _, err := leader.Append(batch(t, "a", 2), 1, false); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	l := leader.Log()
	if got, want := l.LogEndOffset(), int64(6); got != want {
		t.Fatalf("leader log end offset = %d, want %d", got, want)
	}
	c.waitFor("broker 2 to have offsets 0-5", func() bool { return c.partition(2, "hw").Log().LogEndOffset() == 6 })
	// Broker 2 fetching offsets 6-7 proves it told the leader it has 0-5:
	// enough to move the high watermark if broker 3 did not count.
	if _, err := leader.Append(batch(t, "b", 2), 1, false); err != nil {
		t.Fatalf("append: %v", err)
	}
	c.waitFor("broker 2 to have offsets 6-7", func() bool { return c.partition(2, "hw").Log().LogEndOffset() == 8 })
	if got := l.HighWatermark(); got != 0 {
		t.Fatalf("high watermark with broker 3 missing everything = %d, want 0", got)
	}
	res, err := leader.Read(replica.ReadOptions{Offset: 0, MaxBytes: 1 << 20, MinOne: true})
	if err != nil {
		t.Fatalf("consumer read: %v", err)
	}
	if res.Size() != 0 {
		t.Errorf("consumer read %d bytes below a high watermark of 0", res.Size())
	}
	res.Release()
	res, err = leader.Read(replica.ReadOptions{Offset: 0, MaxBytes: 1 << 20, MinOne: true, Follower: true})
	if err != nil {
		t.Fatalf("follower read: %v", err)
	}
	if res.Size() == 0 {
		t.Errorf("follower read returned nothing below the log end offset")
	}
	res.Release()

	c.links.setCut(3, 1, false)
	c.waitFor("high watermark 8 on the leader", func() bool { return l.HighWatermark() == 8 })
	for _, id := range []int32{2, 3} {
		f := c.partition(id, "hw").Log()
		c.waitFor("follower high watermark 8", func() bool { return f.HighWatermark() == 8 })
		if !bytes.Equal(logBytes(t, f), logBytes(t, l)) {
			t.Errorf("broker %d's log differs from the leader's", id)
		}
	}
}

// TestAcksAllWaitsForISR: an acks=-1 append is acknowledged only once
// every ISR member has it.
func TestAcksAllWaitsForISR(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{brokers: 3})
	c.createTopic("acks", [][]int32{{1, 2, 3}}, nil)
	leader := c.partition(1, "acks")

	c.links.setCut(3, 1, true)
	res, err := leader.Append(batch(t, "x", 3), -1, false)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	err = leader.WaitForHighWatermark(ctx, res.LastOffset+1)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait with an ISR member cut off = %v, want deadline exceeded", err)
	}
	done := make(chan error, 1)
	go func() { done <- leader.WaitForHighWatermark(testContext(t), res.LastOffset+1) }()
	c.links.setCut(3, 1, false)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("wait after the link came back: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("acks=-1 wait did not end after the follower caught up")
	}
	if got, want := c.partition(3, "acks").Log().LogEndOffset(), res.LastOffset+1; got < want {
		t.Errorf("broker 3 log end offset = %d after the ack, want at least %d", got, want)
	}
}
