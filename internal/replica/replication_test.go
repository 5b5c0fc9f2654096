package replica_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/log"
	"github.com/kafkakit/kafkakit/internal/metadata"
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
	// The same over the wire: a consumer's Fetch gets no records and a
	// high watermark of 0.
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.node(1).srv.Addr("PLAINTEXT")))
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	defer cl.Close()
	freq := kmsg.NewPtrFetchRequest()
	freq.MaxWaitMillis, freq.MinBytes, freq.MaxBytes = 10, 1, 1<<20
	ft := kmsg.NewFetchRequestTopic()
	ft.Topic, ft.TopicID = "hw", c.meta.Image().Topics["hw"].ID // kgo picks the version
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.PartitionMaxBytes = 1 << 20
	ft.Partitions = append(ft.Partitions, fp)
	freq.Topics = append(freq.Topics, ft)
	kresp, err := cl.Broker(1).Request(testContext(t), freq)
	if err != nil {
		t.Fatalf("consumer fetch: %v", err)
	}
	fresp := kresp.(*kmsg.FetchResponse)
	if rp := fresp.Topics[0].Partitions[0]; rp.ErrorCode != 0 || rp.HighWatermark != 0 || len(rp.RecordBatches) != 0 {
		t.Errorf("consumer fetch: error %d, high watermark %d, %d record bytes; want 0, 0, 0", rp.ErrorCode, rp.HighWatermark, len(rp.RecordBatches))
	}
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

// TestNewPartitionDoesNotWaitForLongPoll: a follower whose fetcher is in
// a long poll on the leader for other partitions starts fetching a
// partition it is given at once, instead of after
// replica.fetch.wait.max.ms, so acks=-1 on a new leader (a new topic, or
// after a fail-over) is not held back by an idle poll.
func TestNewPartitionDoesNotWaitForLongPoll(t *testing.T) {
	t.Parallel()
	const wait = 10 * time.Second
	c := startCluster(t, clusterOptions{brokers: 2, fetchWait: wait})
	c.createTopic("idle", [][]int32{{1, 2}}, nil)
	idle := c.partition(1, "idle")
	res, err := idle.Append(batch(t, "x", 1), -1, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := idle.WaitForHighWatermark(testContext(t), res.LastOffset+1); err != nil {
		t.Fatal(err)
	}
	// Broker 2's fetcher is now long-polling broker 1 for "idle".
	c.createTopic("fresh", [][]int32{{1, 2}}, nil)
	fresh := c.partition(1, "fresh")
	start := time.Now()
	res, err = fresh.Append(batch(t, "y", 1), -1, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait/2)
	defer cancel()
	if err := fresh.WaitForHighWatermark(ctx, res.LastOffset+1); err != nil {
		t.Fatalf("acks=-1 on the new partition after %s: %v (replica.fetch.wait.max.ms is %s)", time.Since(start).Round(time.Millisecond), err, wait)
	}
	t.Logf("acks=-1 on the new partition took %s", time.Since(start).Round(time.Millisecond))
}

// TestDeleteStraysWithAStaleImage: a broker that looks for stray logs with
// an image from before a topic existed (a restart that has not caught up
// with the metadata log yet) must not delete the logs of that topic that
// it already hosts, or the replica stops working ("log closed") and the
// high watermark stalls; nor may applying that older image afterwards
// take the partitions back.
func TestDeleteStraysWithAStaleImage(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{brokers: 2})
	stale := c.meta.Image()
	c.createTopic("stray", [][]int32{{1, 2}}, nil)
	leader := c.partition(1, "stray")
	res, err := leader.Append(batch(t, "a", 5), -1, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := leader.WaitForHighWatermark(testContext(t), res.LastOffset+1); err != nil {
		t.Fatal(err)
	}
	follower := c.node(2).mgr
	follower.DeleteStrays(stale)
	if err := follower.Apply(stale); err != nil {
		t.Fatalf("apply the older image: %v", err)
	}
	if _, ok := follower.Get("stray", 0); !ok {
		t.Fatal("the follower dropped its partition on an older image")
	}
	res, err = leader.Append(batch(t, "b", 5), -1, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := leader.WaitForHighWatermark(ctx, res.LastOffset+1); err != nil {
		t.Fatalf("acks=-1 after DeleteStrays with a stale image: %v", err)
	}
	if got, want := c.partition(2, "stray").Log().LogEndOffset(), res.LastOffset+1; got != want {
		t.Errorf("follower log end offset = %d, want %d", got, want)
	}
	// A real stray still goes: a log of a topic the metadata does not
	// have (deleted while the broker was down).
	orphan, err := c.node(2).logs.GetOrCreate("orphan", 0, [16]byte{7}, log.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := orphan.Append(batch(t, "c", 1), log.AppendInfo{LeaderEpoch: 0}); err != nil {
		t.Fatal(err)
	}
	follower.DeleteStrays(c.meta.Image())
	if _, ok := c.node(2).logs.Get("orphan", 0); ok {
		t.Error("the log of a topic the metadata does not have is still there")
	}
	if _, ok := c.node(2).logs.Get("stray", 0); !ok {
		t.Error("the log of a hosted partition was deleted")
	}
}

// TestISRShrinksAndExpands: a follower that stops fetching leaves the ISR
// after replica.lag.time.max.ms, acks=-1 then needs only the others, and
// the follower rejoins once it has caught up.
func TestISRShrinksAndExpands(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{brokers: 3, lag: 300 * time.Millisecond})
	c.createTopic("isr", [][]int32{{1, 2, 3}}, nil)
	leader := c.partition(1, "isr")
	if _, err := leader.Append(batch(t, "before", 2), -1, false); err != nil {
		t.Fatalf("append: %v", err)
	}

	c.links.setCut(3, 1, true)
	res, err := leader.Append(batch(t, "during", 2), -1, false)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	c.waitFor("ISR [1 2] in the image", func() bool { return sameISR(c.imagePartition("isr").ISR, []int32{1, 2}) })
	if got := leader.State().ISR; !sameISR(got, []int32{1, 2}) {
		t.Errorf("leader's ISR = %v, want [1 2]", got)
	}
	// With broker 3 out, the acks=-1 append completes.
	if err := leader.WaitForHighWatermark(testContext(t), res.LastOffset+1); err != nil {
		t.Fatalf("acks=-1 wait after the shrink: %v", err)
	}
	if _, err := leader.Append(batch(t, "after", 2), -1, false); err != nil {
		t.Fatalf("append: %v", err)
	}

	c.links.setCut(3, 1, false)
	c.waitFor("ISR [1 2 3] in the image", func() bool { return sameISR(c.imagePartition("isr").ISR, []int32{1, 2, 3}) })
	f := c.partition(3, "isr").Log()
	c.waitFor("broker 3 at the leader's high watermark", func() bool { return f.HighWatermark() == leader.Log().HighWatermark() })
	if !bytes.Equal(logBytes(t, f), logBytes(t, leader.Log())) {
		t.Errorf("broker 3's log differs from the leader's after rejoining")
	}
	if got := c.imagePartition("isr").LeaderEpoch; got != 0 {
		t.Errorf("leader epoch = %d after ISR changes, want 0 (ISR changes keep the leader)", got)
	}
}

// TestMinInsyncReplicas: with min.insync.replicas=2, acks=-1 appends are
// refused with NOT_ENOUGH_REPLICAS while the ISR has one member, acks=1
// appends are not; an acks=-1 append taken while the ISR was big enough
// but acknowledged after it shrank gets NOT_ENOUGH_REPLICAS_AFTER_APPEND.
func TestMinInsyncReplicas(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{brokers: 2, lag: 300 * time.Millisecond})
	c.createTopic("min", [][]int32{{1, 2}}, map[string]string{"min.insync.replicas": "2"})
	leader := c.partition(1, "min")
	if _, err := leader.Append(batch(t, "ok", 1), -1, false); err != nil {
		t.Fatalf("append with a full ISR: %v", err)
	}

	c.links.setCut(2, 1, true)
	res, err := leader.Append(batch(t, "shrinking", 1), -1, false)
	if err != nil {
		t.Fatalf("append before the shrink: %v", err)
	}
	err = leader.WaitForHighWatermark(testContext(t), res.LastOffset+1)
	if !errors.Is(err, replica.ErrNotEnoughReplicasAfterAppend) {
		t.Fatalf("acks=-1 wait across the shrink = %v, want NOT_ENOUGH_REPLICAS_AFTER_APPEND", err)
	}
	if got := leader.State().ISR; !sameISR(got, []int32{1}) {
		t.Fatalf("ISR = %v, want [1]", got)
	}
	if _, err := leader.Append(batch(t, "refused", 1), -1, false); !errors.Is(err, replica.ErrNotEnoughReplicas) {
		t.Errorf("acks=-1 append with ISR [1] = %v, want NOT_ENOUGH_REPLICAS", err)
	}
	if _, err := leader.Append(batch(t, "acks1", 1), 1, false); err != nil {
		t.Errorf("acks=1 append with ISR [1]: %v", err)
	}

	c.links.setCut(2, 1, false)
	c.waitFor("ISR [1 2]", func() bool { return sameISR(leader.State().ISR, []int32{1, 2}) })
	res, err = leader.Append(batch(t, "again", 1), -1, false)
	if err != nil {
		t.Fatalf("acks=-1 append after the follower rejoined: %v", err)
	}
	if err := leader.WaitForHighWatermark(testContext(t), res.LastOffset+1); err != nil {
		t.Fatalf("acks=-1 wait after the follower rejoined: %v", err)
	}
}

// TestDivergentTailTruncated: a leader that wrote records no follower got
// (acks=1) loses leadership; the new leader writes in the next epoch; when
// the old leader comes back as a follower it truncates its divergent tail
// to where the epochs part (DivergingEpoch), fetches the new leader's
// records and rejoins the ISR, leaving every replica's log identical.
func TestDivergentTailTruncated(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{brokers: 3, lag: 500 * time.Millisecond})
	c.createTopic("div", [][]int32{{1, 2, 3}}, nil)
	ctx := testContext(t)
	old := c.partition(1, "div")
	res, err := old.Append(batch(t, "committed", 2), -1, false)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	if err := old.WaitForHighWatermark(ctx, res.LastOffset+1); err != nil {
		t.Fatalf("wait: %v", err)
	}

	// Broker 1 is cut off from the others and writes a tail only it has.
	for _, l := range [][2]int32{{2, 1}, {3, 1}, {1, 2}, {1, 3}} {
		c.links.setCut(l[0], l[1], true)
	}
	if _, err := old.Append(batch(t, "lost", 3), 1, false); err != nil {
		t.Fatalf("append the divergent tail: %v", err)
	}
	if got := old.Log().LogEndOffset(); got != 5 {
		t.Fatalf("old leader's log end offset = %d, want 5", got)
	}

	// The controller fences broker 1 and elects broker 2 (epoch 1).
	if err := c.meta.Controller().FenceBroker(ctx, 1, -1); err != nil {
		t.Fatalf("fence broker 1: %v", err)
	}
	c.waitFor("broker 2 to lead", func() bool { return c.partition(2, "div").IsLeader() })
	if old.IsLeader() {
		t.Fatal("broker 1 still leads after the election")
	}
	if _, err := old.Append(batch(t, "refused", 1), 1, false); !errors.Is(err, replica.ErrNotLeader) {
		t.Errorf("append on the deposed leader = %v, want NOT_LEADER_OR_FOLLOWER", err)
	}
	leader := c.partition(2, "div")
	res, err = leader.Append(batch(t, "new", 4), -1, false)
	if err != nil {
		t.Fatalf("append on the new leader: %v", err)
	}
	if err := leader.WaitForHighWatermark(ctx, res.LastOffset+1); err != nil {
		t.Fatalf("wait on the new leader: %v", err)
	}

	// Broker 1 returns.
	if err := c.meta.Controller().UnfenceBroker(ctx, 1, c.node(1).epoch); err != nil {
		t.Fatalf("unfence broker 1: %v", err)
	}
	c.links.setCut(1, 2, false)
	c.waitFor("broker 1 back in the ISR", func() bool { return sameISR(c.imagePartition("div").ISR, []int32{1, 2, 3}) })
	c.waitFor("broker 1 at the new leader's log end", func() bool {
		return old.Log().LogEndOffset() == leader.Log().LogEndOffset()
	})
	want := logBytes(t, leader.Log())
	for _, id := range []int32{1, 3} {
		if got := logBytes(t, c.partition(id, "div").Log()); !bytes.Equal(got, want) {
			t.Errorf("broker %d's log differs from the leader's", id)
		}
	}
	if bytes.Contains(logBytes(t, old.Log()), []byte("lost-")) {
		t.Error("broker 1 kept records of its divergent tail")
	}
	if got, want := old.Log().LeaderEpochs(), leader.Log().LeaderEpochs(); !slices.Equal(got, want) {
		t.Errorf("broker 1's leader epochs = %v, want the leader's %v", got, want)
	}
}

// TestFollowerBehindLogStart: a follower whose log ends before the
// leader's log start (the leader deleted records while the follower was
// away) gets OFFSET_OUT_OF_RANGE, restarts its log at the leader's log
// start offset and catches up from there.
func TestFollowerBehindLogStart(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{brokers: 2, lag: 300 * time.Millisecond})
	c.createTopic("oor", [][]int32{{1, 2}}, nil)
	ctx := testContext(t)
	leader := c.partition(1, "oor")
	res, err := leader.Append(batch(t, "both", 2), -1, false)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	if err := leader.WaitForHighWatermark(ctx, res.LastOffset+1); err != nil {
		t.Fatalf("wait: %v", err)
	}

	c.links.setCut(2, 1, true)
	for range 4 {
		if _, err := leader.Append(batch(t, "leader-only", 3), 1, false); err != nil {
			t.Fatalf("append: %v", err)
		}
	}
	c.waitFor("ISR [1]", func() bool { return sameISR(leader.State().ISR, []int32{1}) })
	start, err := leader.Log().DeleteRecordsBefore(-1)
	if err != nil {
		t.Fatalf("delete records: %v", err)
	}
	if start != 14 {
		t.Fatalf("leader log start offset = %d, want 14", start)
	}
	if _, err := leader.Append(batch(t, "later", 2), 1, false); err != nil {
		t.Fatalf("append: %v", err)
	}

	c.links.setCut(2, 1, false)
	f := c.partition(2, "oor").Log()
	c.waitFor("ISR [1 2]", func() bool { return sameISR(leader.State().ISR, []int32{1, 2}) })
	c.waitFor("follower at the leader's end", func() bool { return f.LogEndOffset() == 16 })
	if got := f.LogStartOffset(); got != 14 {
		t.Errorf("follower log start offset = %d, want 14", got)
	}
	if !bytes.Equal(logBytes(t, f), logBytes(t, leader.Log())) {
		t.Error("follower's log differs from the leader's")
	}
}

// TestUncleanLeaderElection: the only in-sync replica goes away while
// the other replica lags. With unclean.leader.election.enable off the
// partition stays without a leader and the lagging replica refuses
// writes; with it on the lagging replica leads, and when the old leader
// returns it truncates the records the new leader never had (the data
// loss the setting accepts). The clean partition, led again by the
// returning broker, loses nothing.
func TestUncleanLeaderElection(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{brokers: 2, lag: 300 * time.Millisecond})
	c.createTopic("clean", [][]int32{{1, 2}}, nil)
	c.createTopic("unclean", [][]int32{{1, 2}}, map[string]string{"unclean.leader.election.enable": "true"})
	ctx := testContext(t)
	for _, topic := range []string{"clean", "unclean"} {
		p := c.partition(1, topic)
		res, err := p.Append(batch(t, "both", 2), -1, false)
		if err != nil {
			t.Fatalf("append: %v", err)
		}
		if err := p.WaitForHighWatermark(ctx, res.LastOffset+1); err != nil {
			t.Fatalf("wait: %v", err)
		}
	}
	c.links.setCut(2, 1, true)
	for _, topic := range []string{"clean", "unclean"} {
		p := c.partition(1, topic)
		if _, err := p.Append(batch(t, "only-1", 3), 1, false); err != nil {
			t.Fatalf("append: %v", err)
		}
		c.waitFor(topic+" ISR [1]", func() bool { return sameISR(c.imagePartition(topic).ISR, []int32{1}) })
	}

	dir := c.stopNode(1).dir
	c.links.setCut(2, 1, false)
	if got := c.imagePartition("clean").Leader; got != -1 {
		t.Fatalf("clean partition's leader = %d with its only ISR member gone, want none (-1)", got)
	}
	if _, err := c.partition(2, "clean").Append(batch(t, "x", 1), 1, false); !errors.Is(err, replica.ErrNotLeader) {
		t.Errorf("append on the out-of-sync replica = %v, want NOT_LEADER_OR_FOLLOWER", err)
	}
	c.waitFor("broker 2 to lead the unclean partition", func() bool { return c.partition(2, "unclean").IsLeader() })
	newLeader := c.partition(2, "unclean")
	res, err := newLeader.Append(batch(t, "after", 1), -1, false)
	if err != nil {
		t.Fatalf("append on the unclean leader: %v", err)
	}
	if err := newLeader.WaitForHighWatermark(ctx, res.LastOffset+1); err != nil {
		t.Fatalf("wait: %v", err)
	}

	c.startNode(1, dir)
	c.waitFor("broker 1 to lead the clean partition again", func() bool { return c.partition(1, "clean").IsLeader() })
	for _, topic := range []string{"clean", "unclean"} {
		c.waitFor(topic+" ISR [1 2]", func() bool { return sameISR(c.imagePartition(topic).ISR, []int32{1, 2}) })
		l1, l2 := c.partition(1, topic).Log(), c.partition(2, topic).Log()
		c.waitFor(topic+" replicas at the same end", func() bool { return l1.LogEndOffset() == l2.LogEndOffset() })
		if !bytes.Equal(logBytes(t, l1), logBytes(t, l2)) {
			t.Errorf("%s: replicas differ", topic)
		}
	}
	if got := c.partition(2, "clean").Log().LogEndOffset(); got != 5 {
		t.Errorf("clean partition log end = %d, want 5 (nothing lost)", got)
	}
	if got := c.partition(1, "unclean").Log().LogEndOffset(); got != 3 {
		t.Errorf("unclean partition log end on the returning broker = %d, want 3 (its 3 unreplicated records dropped)", got)
	}
}

// TestDeletedTopicStopsFetching: deleting a topic stops its fetchers and
// deletes its logs on every replica; a fetcher left without partitions
// exits.
func TestDeletedTopicStopsFetching(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{brokers: 3})
	c.createTopic("keep", [][]int32{{2, 1}}, nil)
	c.createTopic("gone", [][]int32{{1, 2, 3}}, nil)
	if _, err := c.partition(1, "gone").Append(batch(t, "x", 2), 1, false); err != nil {
		t.Fatalf("append: %v", err)
	}
	c.waitFor("broker 3 to replicate", func() bool { return c.partition(3, "gone").Log().LogEndOffset() == 2 })
	if got := c.node(2).mgr.FetcherSources(); !slices.Equal(got, []int32{1}) {
		t.Fatalf("broker 2 fetches from %v, want [1]", got)
	}
	if got := c.node(1).mgr.FetcherSources(); !slices.Equal(got, []int32{2}) {
		t.Fatalf("broker 1 fetches from %v, want [2]", got)
	}
	res := c.meta.Controller().DeleteTopics(testContext(t), []metadata.TopicRef{{Name: "gone"}})
	if res[0].Err != nil {
		t.Fatalf("delete: %v", res[0].Err)
	}
	for id := int32(1); id <= 3; id++ {
		n := c.node(id)
		c.waitFor("the partition gone", func() bool { _, ok := n.mgr.Get("gone", 0); return !ok })
		if _, ok := n.logs.Get("gone", 0); ok {
			t.Errorf("broker %d still has the log of the deleted topic", id)
		}
	}
	for _, want := range []struct {
		id      int32
		sources []int32
	}{{1, []int32{2}}, {2, nil}, {3, nil}} {
		if got := c.node(want.id).mgr.FetcherSources(); !slices.Equal(got, want.sources) {
			t.Errorf("broker %d fetches from %v after the delete, want %v", want.id, got, want.sources)
		}
	}
}
