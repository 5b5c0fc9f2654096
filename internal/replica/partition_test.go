package replica

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkakit/kafkakit/internal/log"
	"github.com/kafkakit/kafkakit/internal/metadata"
	"github.com/kafkakit/kafkakit/internal/record"
)

// These tests drive one Partition's state machine directly with the
// leadership an image would carry, a hand-moved clock and hooks that
// record ISR proposals instead of sending them, so every rule is checked
// without a network. The cluster tests run the same code over TCP.

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Unix(1_000_000, 0)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type testHooks struct {
	mu         sync.Mutex
	proposals  [][]int32
	ineligible map[int32]bool
}

func (h *testHooks) hooks() *partitionHooks {
	return &partitionHooks{
		proposeISR: func(part *Partition) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.proposals = append(h.proposals, slices.Clone(part.alter.pending))
		},
		eligible: func(id int32, _ int64) bool {
			h.mu.Lock()
			defer h.mu.Unlock()
			return !h.ineligible[id]
		},
	}
}

func (h *testHooks) last() []int32 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.proposals) == 0 {
		return nil
	}
	return h.proposals[len(h.proposals)-1]
}

func (h *testHooks) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.proposals)
}

// newTestPartition returns broker node's replica of t-0 on a fresh log.
func newTestPartition(t *testing.T, node int32, clock *testClock) (*Partition, *testHooks) {
	t.Helper()
	l, err := log.Open(filepath.Join(t.TempDir(), "t-0"), "t", 0, log.DefaultConfig(), log.Options{})
	if err != nil {
		t.Fatalf("open log: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	h := &testHooks{ineligible: map[int32]bool{}}
	return newPartition("t", 0, [16]byte{1}, node, l, clock.Now, h.hooks()), h
}

func mustUpdate(t *testing.T, p *Partition, a assignment) {
	t.Helper()
	if err := p.update(a); err != nil {
		t.Fatalf("update %+v: %v", a, err)
	}
}

func clientBatch(t *testing.T, n int) []byte {
	t.Helper()
	b := record.NewBuilder(record.CodecNone)
	for i := range n {
		b.Add(record.Record{Timestamp: time.Now().UnixMilli(), Value: []byte{byte(i)}})
	}
	raw, err := b.Build()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return raw
}

// leaderBatch builds a batch as a leader wrote it: n records from offset
// base in epoch.
func leaderBatch(t testing.TB, base int64, epoch int32, n int) []byte {
	t.Helper()
	b := record.NewBuilder(record.CodecNone)
	b.BaseOffset, b.PartitionLeaderEpoch = base, epoch
	for i := range n {
		b.Add(record.Record{Timestamp: time.Now().UnixMilli(), Value: []byte{byte(i)}})
	}
	raw, err := b.Build()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return raw
}

func lead3(epoch int32) assignment {
	return assignment{leader: 1, leaderEpoch: epoch, partitionEpoch: epoch, replicas: []int32{1, 2, 3}, isr: []int32{1, 2, 3}, minISR: 1}
}

func fetch(t *testing.T, p *Partition, replica int32, offset int64) {
	t.Helper()
	if err := p.RecordFollowerFetch(FollowerFetch{ReplicaID: replica, BrokerEpoch: -1, CurrentLeaderEpoch: -1, FetchOffset: offset, LogStartOffset: 0}); err != nil {
		t.Fatalf("follower %d fetch at %d: %v", replica, offset, err)
	}
}

func TestHighWatermarkIsMinimumOverISR(t *testing.T) {
	t.Parallel()
	p, _ := newTestPartition(t, 1, newTestClock())
	mustUpdate(t, p, lead3(0))
	if _, err := p.Append(clientBatch(t, 5), 1, false); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		replica int32
		offset  int64
		wantHW  int64
	}{
		{"only follower 2 reported", 2, 5, 0},
		{"follower 3 has 3 records", 3, 3, 3},
		{"follower 2 going back does not lower it", 2, 4, 3},
		{"follower 3 has all", 3, 5, 4},
		{"follower 2 has all", 2, 5, 5},
		{"beyond the log end is not recorded", 2, 9, 5},
	}
	for _, s := range steps {
		fetch(t, p, s.replica, s.offset)
		if got := p.log.HighWatermark(); got != s.wantHW {
			t.Errorf("%s: high watermark = %d, want %d", s.name, got, s.wantHW)
		}
	}
}

func TestFollowerCaughtUpTime(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	p, _ := newTestPartition(t, 1, clock)
	mustUpdate(t, p, lead3(0))
	start := clock.Now()
	caughtUp := func() time.Duration {
		p.fmu.Lock()
		defer p.fmu.Unlock()
		return p.followers[2].lastCaughtUp.Sub(start)
	}
	step := func(name string, appendN int, offset int64, want time.Duration) {
		t.Helper()
		clock.advance(time.Second)
		if appendN > 0 {
			if _, err := p.Append(clientBatch(t, appendN), 1, false); err != nil {
				t.Fatal(err)
			}
		}
		fetch(t, p, 2, offset)
		if got := caughtUp(); got != want {
			t.Errorf("%s: caught up at +%v, want +%v", name, got, want)
		}
	}
	// An ISR member counts as caught up when the leader takes over.
	if got := caughtUp(); got != 0 {
		t.Fatalf("caught up at +%v on becoming leader, want +0", got)
	}
	step("fetch at the log end", 0, 0, 1*time.Second)
	step("data arrived; fetch still at the old end", 3, 0, 1*time.Second)
	step("more data; fetch at the end the leader had at the previous fetch", 2, 3, 2*time.Second)
	step("more data; fetch behind that", 2, 4, 2*time.Second)
	step("at the end again", 0, 7, 5*time.Second)
}

func TestShrinkISR(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	p, h := newTestPartition(t, 1, clock)
	mustUpdate(t, p, lead3(0))
	const lag = 10 * time.Second
	if _, err := p.Append(clientBatch(t, 2), 1, false); err != nil {
		t.Fatal(err)
	}
	fetch(t, p, 2, 2)
	clock.advance(lag)
	p.maybeShrinkISR(lag)
	if h.count() != 0 {
		t.Fatalf("proposal %v at exactly the lag time, want none", h.last())
	}
	clock.advance(time.Millisecond)
	p.maybeShrinkISR(lag)
	if got, want := h.last(), []int32{1, 2}; !slices.Equal(got, want) {
		t.Fatalf("proposal = %v, want %v (broker 3 never fetched, broker 2 is at the log end)", got, want)
	}
	// One proposal at a time.
	p.maybeShrinkISR(lag)
	if h.count() != 1 {
		t.Errorf("%d proposals while one is outstanding, want 1", h.count())
	}
	// While a member is being dropped the high watermark still waits for it.
	fetch(t, p, 2, 2)
	if got := p.log.HighWatermark(); got != 0 {
		t.Errorf("high watermark during the shrink = %d, want 0", got)
	}
	ch, seq, ok := p.alterRequest()
	if !ok || !slices.Equal(ch.NewISR, []int32{1, 2}) || ch.LeaderEpoch != 0 || ch.PartitionEpoch != 0 {
		t.Fatalf("alter request = %+v %v, want ISR [1 2] at epochs 0/0", ch, ok)
	}
	p.alterDone(seq, metadata.ISRChangeResult{Leader: 1, ISR: []int32{1, 2}, LeaderEpoch: 0, PartitionEpoch: 1}, time.Second)
	if got := p.State(); !slices.Equal(got.ISR, []int32{1, 2}) || got.PartitionEpoch != 1 {
		t.Errorf("state after the answer = %+v, want ISR [1 2], partition epoch 1", got)
	}
	if got := p.log.HighWatermark(); got != 2 {
		t.Errorf("high watermark after the shrink = %d, want 2", got)
	}
	// The image carrying the change (same partition epoch) changes nothing;
	// an older one is ignored.
	mustUpdate(t, p, assignment{leader: 1, leaderEpoch: 0, partitionEpoch: 0, replicas: []int32{1, 2, 3}, isr: []int32{1, 2, 3}, minISR: 1})
	if got := p.State().ISR; !slices.Equal(got, []int32{1, 2}) {
		t.Errorf("ISR after an older image = %v, want [1 2]", got)
	}
}

func TestExpandISR(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		offset     int64
		epochStart int64
		ineligible bool
		want       []int32
	}{
		{"below the high watermark", 3, 0, false, nil},
		{"at the high watermark", 4, 0, false, []int32{1, 2, 3}},
		{"at the high watermark, below this epoch's start", 4, 5, false, nil},
		{"at the log end, fenced", 6, 0, true, nil},
		{"at the log end", 6, 0, false, []int32{1, 2, 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, h := newTestPartition(t, 1, newTestClock())
			mustUpdate(t, p, assignment{leader: 1, leaderEpoch: 0, partitionEpoch: 0, replicas: []int32{1, 2, 3}, isr: []int32{1, 2}, minISR: 1})
			if _, err := p.Append(clientBatch(t, 6), 1, false); err != nil {
				t.Fatal(err)
			}
			fetch(t, p, 2, 4) // high watermark 4
			p.mu.Lock()
			p.epochStart = tc.epochStart
			p.mu.Unlock()
			h.ineligible[3] = tc.ineligible
			fetch(t, p, 3, tc.offset)
			if got := h.last(); !slices.Equal(got, tc.want) {
				t.Errorf("proposal = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAlterAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		// after the answer: may a new proposal be made at once, and after
		// the backoff, and after a newer image?
		now, later, image bool
	}{
		{"fenced leader epoch", kerr.FencedLeaderEpoch, false, false, true},
		{"invalid update version", &metadata.Error{Code: kerr.InvalidUpdateVersion}, false, false, true},
		{"new leader elected", &metadata.Error{Code: kerr.NewLeaderElected}, false, false, true},
		{"not controller", metadata.ErrNotController, false, true, true},
		{"ineligible replica", kerr.IneligibleReplica, false, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newTestClock()
			p, _ := newTestPartition(t, 1, clock)
			mustUpdate(t, p, lead3(0))
			clock.advance(time.Millisecond)
			p.maybeShrinkISR(0) // nobody fetched: propose [1]
			_, seq, ok := p.alterRequest()
			if !ok {
				t.Fatal("no proposal")
			}
			p.alterDone(seq, metadata.ISRChangeResult{Err: tc.err}, time.Second)
			can := func() bool {
				p.fmu.Lock()
				defer p.fmu.Unlock()
				return p.canProposeLocked(clock.Now())
			}
			if got := can(); got != tc.now {
				t.Errorf("may propose at once = %v, want %v", got, tc.now)
			}
			clock.advance(time.Second)
			if got := can(); got != tc.later {
				t.Errorf("may propose after the backoff = %v, want %v", got, tc.later)
			}
			mustUpdate(t, p, assignment{leader: 1, leaderEpoch: 0, partitionEpoch: 1, replicas: []int32{1, 2, 3}, isr: []int32{1, 2, 3}, minISR: 1})
			if got := can(); got != tc.image {
				t.Errorf("may propose after a newer image = %v, want %v", got, tc.image)
			}
		})
	}
}

func TestStaleAlterAnswerIgnored(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	p, _ := newTestPartition(t, 1, clock)
	mustUpdate(t, p, lead3(0))
	clock.advance(time.Millisecond)
	p.maybeShrinkISR(0)
	_, seq, ok := p.alterRequest()
	if !ok {
		t.Fatal("no proposal")
	}
	// A new leader epoch arrives before the answer.
	mustUpdate(t, p, lead3(1))
	p.alterDone(seq, metadata.ISRChangeResult{Leader: 1, ISR: []int32{1}, LeaderEpoch: 0, PartitionEpoch: 1}, time.Second)
	if got := p.State().ISR; !slices.Equal(got, []int32{1, 2, 3}) {
		t.Errorf("ISR = %v after an answer for an older epoch, want [1 2 3]", got)
	}
}

// TestLeadershipChanges follows one replica through follower, leader and
// follower again, as a sequence of images would.
func TestLeadershipChanges(t *testing.T) {
	t.Parallel()
	p, _ := newTestPartition(t, 1, newTestClock())
	follower := assignment{leader: 2, leaderEpoch: 3, partitionEpoch: 3, replicas: []int32{1, 2, 3}, isr: []int32{1, 2, 3}, minISR: 2}
	mustUpdate(t, p, follower)
	if _, err := p.Append(clientBatch(t, 1), 1, false); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("append as follower = %v, want NOT_LEADER_OR_FOLLOWER", err)
	}
	if _, err := p.appendFromLeader(2, 3, leaderBatch(t, 0, 3, 4), 3, 0); err != nil {
		t.Fatalf("replicated append: %v", err)
	}
	if got := p.log.HighWatermark(); got != 3 {
		t.Errorf("follower high watermark = %d, want min(leader's 3, log end 4) = 3", got)
	}
	if _, err := p.appendFromLeader(2, 2, leaderBatch(t, 4, 2, 1), 5, 0); !errors.Is(err, errStaleFetch) {
		t.Errorf("append fetched for an older epoch = %v, want it dropped", err)
	}

	// Elected: epoch 4 starts at the log end; the high watermark stays
	// until the followers report.
	mustUpdate(t, p, assignment{leader: 1, leaderEpoch: 4, partitionEpoch: 4, replicas: []int32{1, 2, 3}, isr: []int32{1, 2, 3}, minISR: 2})
	if got, want := p.log.LeaderEpochs(), []log.EpochEntry{{Epoch: 3, StartOffset: 0}, {Epoch: 4, StartOffset: 4}}; !slices.Equal(got, want) {
		t.Errorf("leader epochs = %v, want %v", got, want)
	}
	res, err := p.Append(clientBatch(t, 2), -1, false)
	if err != nil {
		t.Fatalf("append as leader: %v", err)
	}
	if res.FirstOffset != 4 {
		t.Errorf("first offset = %d, want 4", res.FirstOffset)
	}
	if got := p.log.HighWatermark(); got != 3 {
		t.Errorf("high watermark before followers fetched = %d, want 3", got)
	}
	waited := make(chan error, 1)
	go func() { waited <- p.WaitForHighWatermark(context.Background(), res.LastOffset+1) }()

	// Deposed while the acks=-1 append waits: it ends NOT_LEADER.
	mustUpdate(t, p, assignment{leader: 3, leaderEpoch: 5, partitionEpoch: 5, replicas: []int32{1, 2, 3}, isr: []int32{2, 3}, minISR: 2})
	select {
	case err := <-waited:
		if !errors.Is(err, ErrNotLeader) {
			t.Errorf("acks=-1 wait across a leader change = %v, want NOT_LEADER_OR_FOLLOWER", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("acks=-1 wait not woken by the leader change")
	}
	if err := p.RecordFollowerFetch(FollowerFetch{ReplicaID: 2, FetchOffset: 0}); !errors.Is(err, ErrNotLeader) {
		t.Errorf("follower fetch recorded by a follower = %v, want NOT_LEADER_OR_FOLLOWER", err)
	}
	if leader, epoch, ok := p.followTarget(); !ok || leader != 3 || epoch != 5 {
		t.Errorf("follows %d in epoch %d (%v), want 3 in 5", leader, epoch, ok)
	}
}

func TestRecordFollowerFetchRefusals(t *testing.T) {
	t.Parallel()
	p, _ := newTestPartition(t, 1, newTestClock())
	mustUpdate(t, p, lead3(0))
	cases := []struct {
		name string
		f    FollowerFetch
		want error
	}{
		{"not a replica, no epoch", FollowerFetch{ReplicaID: 7, BrokerEpoch: -1, CurrentLeaderEpoch: -1}, ErrNotLeader},
		{"not a replica, current epoch", FollowerFetch{ReplicaID: 7, BrokerEpoch: -1, CurrentLeaderEpoch: 0}, ErrUnknownLeaderEpoch},
		{"the leader itself", FollowerFetch{ReplicaID: 1, BrokerEpoch: -1, CurrentLeaderEpoch: -1}, ErrNotLeader},
		{"broker epoch 10", FollowerFetch{ReplicaID: 2, BrokerEpoch: 10, CurrentLeaderEpoch: 0}, nil},
		{"older broker epoch", FollowerFetch{ReplicaID: 2, BrokerEpoch: 9, CurrentLeaderEpoch: 0}, ErrNotLeader},
		{"no broker epoch", FollowerFetch{ReplicaID: 2, BrokerEpoch: -1, CurrentLeaderEpoch: 0}, nil},
	}
	for _, tc := range cases {
		if err := p.RecordFollowerFetch(tc.f); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestTruncateDiverging checks the truncation point for each kind of
// DivergingEpoch answer against a follower log with epochs 0 [0,3),
// 2 [3,6) and 4 [6,9).
func TestTruncateDiverging(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		divEpoch      int32
		divEnd        int64
		wantEnd       int64
		wantLastEpoch int32
	}{
		{"same epoch, shorter on the leader", 4, 7, 7, 4},
		{"same epoch, longer on the leader", 4, 12, 9, 4},
		{"leader's epoch 3 is unknown here: back to the end of our 2", 3, 8, 6, 2},
		{"epoch 2 ends earlier on the leader", 2, 5, 5, 2},
		{"epoch 2 ends later on the leader: our 4 goes", 2, 7, 6, 2},
		{"epoch 0 ends at 2 on the leader", 0, 2, 2, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, _ := newTestPartition(t, 1, newTestClock())
			mustUpdate(t, p, assignment{leader: 2, leaderEpoch: 6, partitionEpoch: 6, replicas: []int32{1, 2}, isr: []int32{1, 2}, minISR: 1})
			for _, b := range []struct {
				base  int64
				epoch int32
			}{{0, 0}, {3, 2}, {6, 4}} {
				if _, err := p.appendFromLeader(2, 6, leaderBatch(t, b.base, b.epoch, 3), 0, 0); err != nil {
					t.Fatalf("append: %v", err)
				}
			}
			end, err := p.truncateDiverging(2, 6, tc.divEpoch, tc.divEnd)
			if err != nil {
				t.Fatalf("truncate: %v", err)
			}
			if end != tc.wantEnd || p.log.LogEndOffset() != tc.wantEnd {
				t.Errorf("log end = %d (returned %d), want %d", p.log.LogEndOffset(), end, tc.wantEnd)
			}
			if e, _ := p.log.LatestEpoch(); e != tc.wantLastEpoch {
				t.Errorf("latest epoch = %d, want %d", e, tc.wantLastEpoch)
			}
		})
	}
}

func TestResetOutOfRange(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                   string
		leaderStart, leaderEnd int64
		wantStart, wantEnd     int64
	}{
		{"leader's log is shorter", 0, 4, 0, 4},
		{"leader's log starts after ours ends", 20, 30, 20, 20},
		{"in range after all", 2, 9, 0, 6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, _ := newTestPartition(t, 1, newTestClock())
			mustUpdate(t, p, assignment{leader: 2, leaderEpoch: 1, partitionEpoch: 1, replicas: []int32{1, 2}, isr: []int32{1, 2}, minISR: 1})
			if _, err := p.appendFromLeader(2, 1, leaderBatch(t, 0, 1, 6), 0, 0); err != nil {
				t.Fatalf("append: %v", err)
			}
			if _, err := p.resetOutOfRange(2, 1, tc.leaderStart, tc.leaderEnd); err != nil {
				t.Fatalf("reset: %v", err)
			}
			if got, want := [2]int64{p.log.LogStartOffset(), p.log.LogEndOffset()}, [2]int64{tc.wantStart, tc.wantEnd}; got != want {
				t.Errorf("log start, end = %v, want %v", got, want)
			}
		})
	}
}
