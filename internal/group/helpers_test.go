package group

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafkakit/kafkakit/internal/record"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// memStorage is an in-memory Storage for unit tests only: the broker
// implements Storage over its real partition logs. It assigns offsets like a
// log, and lets a test fail or hold appends.
type memStorage struct {
	mu    sync.Mutex
	parts map[int32]*memPartition
	// hook, when set, runs before each append outside mu; an error fails
	// the append.
	hook func(ctx context.Context, partition int32, batch []byte) error
	// replayHook, when set, runs before each replay.
	replayHook func(ctx context.Context, partition int32) error
}

type memPartition struct {
	next    int64
	batches [][]byte
}

func newMemStorage() *memStorage { return &memStorage{parts: make(map[int32]*memPartition)} }

func (s *memStorage) setHook(h func(ctx context.Context, partition int32, batch []byte) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = h
}

func (s *memStorage) Append(ctx context.Context, partition int32, batch []byte) (int64, error) {
	s.mu.Lock()
	hook := s.hook
	s.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, partition, batch); err != nil {
			return 0, err
		}
	}
	h, err := record.ParseHeader(batch)
	if err != nil {
		return 0, err
	}
	if !record.ValidCRC(batch) {
		return 0, fmt.Errorf("append: %w", record.ErrBadCRC)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.parts[partition]
	if p == nil {
		p = &memPartition{}
		s.parts[partition] = p
	}
	b := bytes.Clone(batch)
	if err := record.SetBaseOffset(b, p.next); err != nil {
		return 0, err
	}
	last := p.next + int64(h.LastOffsetDelta)
	p.next = last + 1
	p.batches = append(p.batches, b)
	return last, nil
}

func (s *memStorage) Replay(ctx context.Context, partition int32, fn func([]byte) error) error {
	s.mu.Lock()
	hook := s.replayHook
	var batches [][]byte
	if p := s.parts[partition]; p != nil {
		batches = append(batches, p.batches...)
	}
	s.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, partition); err != nil {
			return err
		}
	}
	// Hand out each batch in a reused buffer that is scribbled over after
	// fn returns, as a log reading into one buffer would: the coordinator
	// must not keep references into it.
	var buf []byte
	for _, b := range batches {
		buf = append(buf[:0], b...)
		err := fn(buf)
		for i := range buf {
			buf[i] = 0xee
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// storedRecord is a decoded record of the in-memory log, for assertions.
type storedRecord struct {
	offset int64
	key    recordKey
	value  []byte // nil for a tombstone
}

func (s *memStorage) records(t *testing.T, partition int32) []storedRecord {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storedRecord
	p := s.parts[partition]
	if p == nil {
		return nil
	}
	for _, raw := range p.batches {
		b, err := record.NewBatch(raw)
		if err != nil {
			t.Fatalf("stored batch: %v", err)
		}
		err = b.EachRecord(func(r *record.Record) error {
			k, err := decodeKey(r.Key)
			if err != nil {
				return err
			}
			out = append(out, storedRecord{offset: r.Offset, key: k, value: bytes.Clone(r.Value)})
			return nil
		})
		if err != nil {
			t.Fatalf("stored records: %v", err)
		}
	}
	return out
}

// fakeClock is the wall clock the coordinator stamps commits with.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// logRecorder is a slog handler that keeps lines for failure output and
// counts error-level lines, which in this package mean a broken invariant.
type logRecorder struct {
	mu     *sync.Mutex
	buf    *strings.Builder
	errors *[]string
	attrs  []slog.Attr
}

func newLogRecorder() *logRecorder {
	return &logRecorder{mu: &sync.Mutex{}, buf: &strings.Builder{}, errors: new([]string)}
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) WithGroup(string) slog.Handler            { return h }
func (h *logRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	n := *h
	n.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &n
}

func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	var line strings.Builder
	fmt.Fprintf(&line, "%s %s", r.Level, r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&line, " %s=%v", a.Key, a.Value)
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.buf.WriteString(line.String() + "\n")
	if r.Level >= slog.LevelError {
		*h.errors = append(*h.errors, line.String())
	}
	return nil
}

// fixture is a coordinator over memStorage that owns every partition.
type fixture struct {
	t     *testing.T
	c     *Coordinator
	st    *memStorage
	clock *fakeClock
	cfg   Config
	log   *logRecorder
	// allowErrorLogs lists substrings of error-level log lines a test
	// expects.
	allowErrorLogs []string
}

// testTopics are the topics the fixture's TopicPartitions knows.
var testTopics = map[string]int32{"t": 3, "u": 2, "other": 1}

func newFixture(t *testing.T, opts ...func(*Config)) *fixture {
	t.Helper()
	clock := &fakeClock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	lr := newLogRecorder()
	cfg := Config{
		OffsetsTopicPartitions: 3,
		InitialRebalanceDelay:  0,
		MinSessionTimeout:      10 * time.Millisecond,
		MaxSessionTimeout:      10 * time.Minute,
		Now:                    clock.Now,
		Logger:                 slog.New(lr),
		TopicPartitions: func(topic string) (int32, bool) {
			n, ok := testTopics[topic]
			return n, ok
		},
	}
	for _, o := range opts {
		o(&cfg)
	}
	f := &fixture{t: t, st: newMemStorage(), clock: clock, cfg: cfg, log: lr}
	f.c = New(cfg, f.st)
	for p := range cfg.OffsetsTopicPartitions {
		if err := f.c.Load(context.Background(), p); err != nil {
			t.Fatalf("Load(%d): %v", p, err)
		}
	}
	t.Cleanup(func() {
		f.c.Close()
		lr.mu.Lock()
		defer lr.mu.Unlock()
		for _, e := range *lr.errors {
			allowed := false
			for _, a := range f.allowErrorLogs {
				if strings.Contains(e, a) {
					allowed = true
				}
			}
			if !allowed {
				t.Errorf("unexpected error log: %s", e)
			}
		}
		if t.Failed() {
			t.Logf("coordinator log:\n%s", lr.buf.String())
		}
	})
	return f
}

// reopen closes the coordinator and starts a new one over the same storage,
// as a restart or a leadership move would.
func (f *fixture) reopen() {
	f.t.Helper()
	f.c.Close()
	f.c = New(f.cfg, f.st)
	for p := range f.cfg.OffsetsTopicPartitions {
		if err := f.c.Load(context.Background(), p); err != nil {
			f.t.Fatalf("Load(%d): %v", p, err)
		}
	}
}

const waitTimeout = 10 * time.Second

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for a response")
		panic("unreachable")
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// subscription encodes consumer protocol metadata subscribing to topics.
func subscription(topics ...string) []byte {
	m := kmsg.NewConsumerMemberMetadata()
	m.Version = 1
	m.Topics = topics
	return m.AppendTo(nil)
}

func protocols(names ...string) []kmsg.JoinGroupRequestProtocol {
	var out []kmsg.JoinGroupRequestProtocol
	for _, n := range names {
		p := kmsg.NewJoinGroupRequestProtocol()
		p.Name = n
		p.Metadata = subscription("t")
		out = append(out, p)
	}
	return out
}

// joinReq builds a JoinGroup request; protocols default to "range".
func joinReq(version int16, group, memberID string, instanceID *string, ps ...kmsg.JoinGroupRequestProtocol) *kmsg.JoinGroupRequest {
	req := kmsg.NewPtrJoinGroupRequest()
	req.Version = version
	req.Group = group
	req.MemberID = memberID
	req.InstanceID = instanceID
	req.SessionTimeoutMillis = 30000
	req.RebalanceTimeoutMillis = 60000
	req.ProtocolType = "consumer"
	if len(ps) == 0 {
		ps = protocols("range")
	}
	req.Protocols = ps
	return req
}

func (f *fixture) joinAsync(req *kmsg.JoinGroupRequest) <-chan *kmsg.JoinGroupResponse {
	ch := make(chan *kmsg.JoinGroupResponse, 1)
	go func() { ch <- f.c.JoinGroup(context.Background(), req, "client", "/127.0.0.1") }()
	return ch
}

func (f *fixture) join(req *kmsg.JoinGroupRequest) *kmsg.JoinGroupResponse {
	f.t.Helper()
	return recv(f.t, f.joinAsync(req))
}

func syncReq(version int16, group, memberID string, generation int32, assignments map[string][]byte) *kmsg.SyncGroupRequest {
	req := kmsg.NewPtrSyncGroupRequest()
	req.Version = version
	req.Group = group
	req.MemberID = memberID
	req.Generation = generation
	if version >= 5 {
		req.ProtocolType = kmsg.StringPtr("consumer")
		req.Protocol = kmsg.StringPtr("range")
	}
	for id, a := range assignments {
		ga := kmsg.NewSyncGroupRequestGroupAssignment()
		ga.MemberID = id
		ga.MemberAssignment = a
		req.GroupAssignment = append(req.GroupAssignment, ga)
	}
	return req
}

func (f *fixture) syncAsync(req *kmsg.SyncGroupRequest) <-chan *kmsg.SyncGroupResponse {
	ch := make(chan *kmsg.SyncGroupResponse, 1)
	go func() { ch <- f.c.SyncGroup(context.Background(), req) }()
	return ch
}

func (f *fixture) heartbeat(group, memberID string, generation int32, instanceID *string) int16 {
	req := kmsg.NewPtrHeartbeatRequest()
	req.Version = 4
	req.Group = group
	req.MemberID = memberID
	req.Generation = generation
	req.InstanceID = instanceID
	return f.c.Heartbeat(context.Background(), req).ErrorCode
}

func (f *fixture) describe(group string) kmsg.DescribeGroupsResponseGroup {
	req := kmsg.NewPtrDescribeGroupsRequest()
	req.Version = 5
	req.Groups = []string{group}
	resp := f.c.DescribeGroups(context.Background(), req)
	if len(resp.Groups) != 1 {
		f.t.Fatalf("DescribeGroups returned %d groups, want 1", len(resp.Groups))
	}
	return resp.Groups[0]
}

// member is a test client's view of its membership.
type testMember struct {
	id         string
	generation int32
	leader     string
	members    []kmsg.JoinGroupResponseMember
}

// leaderAndFollower splits the two members of a group by the leader id
// their JoinGroup answers named.
func leaderAndFollower(ms []testMember) (leader, follower testMember) {
	leader, follower = ms[0], ms[1]
	if leader.id != leader.leader {
		leader, follower = follower, leader
	}
	return leader, follower
}

// awaitingSync sends the follower's SyncGroup and returns once the
// coordinator holds it waiting for the leader's assignment.
func (f *fixture) awaitingSync(groupID string, follower testMember) <-chan *kmsg.SyncGroupResponse {
	f.t.Helper()
	ch := f.syncAsync(syncReq(5, groupID, follower.id, follower.generation, nil))
	waitFor(f.t, "the follower to wait in SyncGroup", func() bool {
		waiting := false
		f.inspect(groupID, func(g *group) { waiting = g.members[follower.id].isAwaitingSync() })
		return waiting
	})
	return ch
}

// joinMembers joins n dynamic members with JoinGroup v9 (each after a
// MEMBER_ID_REQUIRED round trip) the way clients do: each new member's join
// starts a rebalance and the existing members rejoin, so all end in one
// generation.
func (f *fixture) joinMembers(group string, n int, mods ...func(*kmsg.JoinGroupRequest)) []testMember {
	f.t.Helper()
	req := func(memberID string) *kmsg.JoinGroupRequest {
		r := joinReq(9, group, memberID, nil)
		for _, m := range mods {
			m(r)
		}
		return r
	}
	var ms []testMember
	for range n {
		resp := f.join(req(""))
		if resp.ErrorCode != errMemberIDRequired {
			f.t.Fatalf("first join: error %d, want MEMBER_ID_REQUIRED", resp.ErrorCode)
		}
		chs := []<-chan *kmsg.JoinGroupResponse{f.joinAsync(req(resp.MemberID))}
		if len(ms) > 0 {
			f.waitState(group, "PreparingRebalance")
			for _, m := range ms {
				chs = append(chs, f.joinAsync(req(m.id)))
			}
		}
		next := make([]testMember, len(chs))
		for i, ch := range chs {
			resp := recv(f.t, ch)
			if resp.ErrorCode != errNone {
				f.t.Fatalf("join %d: error %d", i, resp.ErrorCode)
			}
			next[i] = testMember{id: resp.MemberID, generation: resp.Generation, leader: resp.LeaderID, members: resp.Members}
		}
		// Keep join order: existing members first, the new one last.
		ms = append(next[1:], next[0])
	}
	return ms
}

func (f *fixture) waitState(group, state string) {
	f.t.Helper()
	waitFor(f.t, "group "+group+" to be "+state, func() bool { return f.describe(group).State == state })
}

// syncAll syncs every member, the leader sending "assign-<memberID>" for
// each, and checks each member gets its own.
func (f *fixture) syncAll(group string, ms []testMember) {
	f.t.Helper()
	assignments := make(map[string][]byte)
	for _, m := range ms {
		assignments[m.id] = []byte("assign-" + m.id)
	}
	chs := make([]<-chan *kmsg.SyncGroupResponse, len(ms))
	for i, m := range ms {
		var a map[string][]byte
		if m.id == m.leader {
			a = assignments
		}
		chs[i] = f.syncAsync(syncReq(5, group, m.id, m.generation, a))
	}
	for i, ch := range chs {
		resp := recv(f.t, ch)
		if resp.ErrorCode != errNone {
			f.t.Fatalf("sync %d: error %d", i, resp.ErrorCode)
		}
		if got, want := string(resp.MemberAssignment), "assign-"+ms[i].id; got != want {
			f.t.Fatalf("sync %d: assignment %q, want %q", i, got, want)
		}
	}
}

func (f *fixture) commit(version int16, group, memberID string, generation int32, offsets map[topicPartition]int64) *kmsg.OffsetCommitResponse {
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Version = version
	req.Group = group
	req.MemberID = memberID
	req.Generation = generation
	byTopic := map[string]int{}
	for tp, off := range offsets {
		i, ok := byTopic[tp.topic]
		if !ok {
			i = len(req.Topics)
			byTopic[tp.topic] = i
			t := kmsg.NewOffsetCommitRequestTopic()
			t.Topic = tp.topic
			req.Topics = append(req.Topics, t)
		}
		p := kmsg.NewOffsetCommitRequestTopicPartition()
		p.Partition = tp.partition
		p.Offset = off
		p.LeaderEpoch = 7
		p.Metadata = kmsg.StringPtr(fmt.Sprintf("md-%s-%d", tp.topic, tp.partition))
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, p)
	}
	return f.c.OffsetCommit(context.Background(), req)
}

// commitCodes flattens a commit response to topic/partition -> code.
func commitCodes(resp *kmsg.OffsetCommitResponse) map[topicPartition]int16 {
	out := map[topicPartition]int16{}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			out[topicPartition{t.Topic, p.Partition}] = p.ErrorCode
		}
	}
	return out
}

// fetched is one partition of an OffsetFetch answer, flattened.
type fetched struct {
	offset   int64
	epoch    int32
	metadata string
	code     int16
}

func (f *fixture) fetch(version int16, group string, tps []topicPartition, requireStable bool) (int16, map[topicPartition]fetched) {
	f.t.Helper()
	if version >= 8 {
		f.t.Fatalf("fetch helper is for OffsetFetch v0-v7")
	}
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version = version
	req.RequireStable = requireStable
	var topics []kmsg.OffsetFetchRequestTopic
	if tps != nil {
		topics = []kmsg.OffsetFetchRequestTopic{}
		idx := map[string]int{}
		for _, tp := range tps {
			i, ok := idx[tp.topic]
			if !ok {
				i = len(topics)
				idx[tp.topic] = i
				t := kmsg.NewOffsetFetchRequestTopic()
				t.Topic = tp.topic
				topics = append(topics, t)
			}
			topics[i].Partitions = append(topics[i].Partitions, tp.partition)
		}
	}
	req.Group = group
	req.Topics = topics
	resp := f.c.OffsetFetch(context.Background(), req)
	out := map[topicPartition]fetched{}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			md := "<nil>"
			if p.Metadata != nil {
				md = *p.Metadata
			}
			epoch := p.LeaderEpoch
			if version < 5 {
				epoch = -1 // not on the wire before v5
			}
			out[topicPartition{t.Topic, p.Partition}] = fetched{p.Offset, epoch, md, p.ErrorCode}
		}
	}
	return resp.ErrorCode, out
}

// groupState returns the group's internal state for white-box checks.
func (f *fixture) inspect(group string, fn func(g *group)) {
	f.t.Helper()
	f.c.mu.RLock()
	g := f.c.groups[group]
	f.c.mu.RUnlock()
	if g == nil {
		fn(nil)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	fn(g)
}

func (f *fixture) leave(version int16, group string, members ...kmsg.LeaveGroupRequestMember) *kmsg.LeaveGroupResponse {
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Version = version
	req.Group = group
	if version <= 2 {
		req.MemberID = members[0].MemberID
	} else {
		req.Members = members
	}
	return f.c.LeaveGroup(context.Background(), req)
}

func leaving(memberID string, instanceID *string) kmsg.LeaveGroupRequestMember {
	m := kmsg.NewLeaveGroupRequestMember()
	m.MemberID = memberID
	m.InstanceID = instanceID
	return m
}

func withSession(ms int32) func(*kmsg.JoinGroupRequest) {
	return func(r *kmsg.JoinGroupRequest) { r.SessionTimeoutMillis = ms }
}

func withRebalance(ms int32) func(*kmsg.JoinGroupRequest) {
	return func(r *kmsg.JoinGroupRequest) { r.RebalanceTimeoutMillis = ms }
}
