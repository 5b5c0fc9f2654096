package group

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var (
	t0 = topicPartition{"t", 0}
	t1 = topicPartition{"t", 1}
	u0 = topicPartition{"u", 0}
)

func TestSimpleCommitAndFetchVersions(t *testing.T) {
	t.Parallel()
	for commitV := int16(0); commitV <= 9; commitV++ {
		t.Run(fmt.Sprintf("OffsetCommit v%d", commitV), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			resp := f.commit(commitV, "g", "", -1, map[topicPartition]int64{t0: 10, t1: 11, u0: 20})
			if resp.Version != commitV {
				t.Errorf("response version %d, want %d", resp.Version, commitV)
			}
			for tp, code := range commitCodes(resp) {
				if code != errNone {
					t.Errorf("commit %v: error %d", tp, code)
				}
			}
			wantEpoch := int32(-1)
			if commitV >= 6 {
				wantEpoch = 7
			}
			for _, fetchV := range []int16{1, 5, 7} {
				code, got := f.fetch(fetchV, "g", []topicPartition{t0, t1, u0, {"t", 2}}, false)
				if code != errNone {
					t.Fatalf("fetch v%d: error %d", fetchV, code)
				}
				e := wantEpoch
				if fetchV < 5 {
					e = -1 // not in the response before v5
				}
				want := map[topicPartition]fetched{
					t0:       {10, e, "md-t-0", 0},
					t1:       {11, e, "md-t-1", 0},
					u0:       {20, e, "md-u-0", 0},
					{"t", 2}: {-1, -1, "", 0},
				}
				if fetchV < 5 {
					want[topicPartition{"t", 2}] = fetched{-1, -1, "", 0}
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("fetch v%d:\n got %+v\nwant %+v", fetchV, got, want)
				}
			}
			if d := f.describe("g"); d.State != "Empty" || d.ProtocolType != "" {
				t.Errorf("offsets-only group: state %s type %q, want Empty with no protocol type", d.State, d.ProtocolType)
			}
		})
	}
}

func TestOffsetCommitValidation(t *testing.T) {
	t.Parallel()
	type setupResult struct {
		memberID   string
		generation int32
	}
	stable := func(f *fixture) setupResult {
		ms := f.joinMembers("g", 1)
		f.syncAll("g", ms)
		return setupResult{ms[0].id, ms[0].generation}
	}
	for _, tc := range []struct {
		name       string
		setup      func(f *fixture) setupResult
		member     func(s setupResult) (string, int32)
		offsets    map[topicPartition]int64
		metadata   string
		want       map[topicPartition]int16
		wantStored bool
	}{
		{
			name:    "unknown topic and partition",
			member:  func(setupResult) (string, int32) { return "", -1 },
			offsets: map[topicPartition]int64{t0: 1, {"nope", 0}: 1, {"t", 3}: 1, {"t", -1}: 1},
			want: map[topicPartition]int16{t0: errNone, {"nope", 0}: errUnknownTopicOrPartition,
				{"t", 3}: errUnknownTopicOrPartition, {"t", -1}: errUnknownTopicOrPartition},
			wantStored: true,
		},
		{
			name:    "generation for a group that does not exist",
			member:  func(setupResult) (string, int32) { return "m", 3 },
			offsets: map[topicPartition]int64{t0: 1},
			want:    map[topicPartition]int16{t0: errIllegalGeneration},
		},
		{
			name:       "member of the current generation",
			setup:      stable,
			member:     func(s setupResult) (string, int32) { return s.memberID, s.generation },
			offsets:    map[topicPartition]int64{t0: 1},
			want:       map[topicPartition]int16{t0: errNone},
			wantStored: true,
		},
		{
			name:    "member of an old generation",
			setup:   stable,
			member:  func(s setupResult) (string, int32) { return s.memberID, s.generation - 1 },
			offsets: map[topicPartition]int64{t0: 1},
			want:    map[topicPartition]int16{t0: errIllegalGeneration},
		},
		{
			name:    "unknown member",
			setup:   stable,
			member:  func(s setupResult) (string, int32) { return "ghost", s.generation },
			offsets: map[topicPartition]int64{t0: 1},
			want:    map[topicPartition]int16{t0: errUnknownMemberID},
		},
		{
			name:    "simple commit into a group with members",
			setup:   stable,
			member:  func(setupResult) (string, int32) { return "", -1 },
			offsets: map[topicPartition]int64{t0: 1},
			want:    map[topicPartition]int16{t0: errUnknownMemberID},
		},
		{
			name: "between join and sync",
			setup: func(f *fixture) setupResult {
				ms := f.joinMembers("g", 1)
				return setupResult{ms[0].id, ms[0].generation}
			},
			member:  func(s setupResult) (string, int32) { return s.memberID, s.generation },
			offsets: map[topicPartition]int64{t0: 1},
			want:    map[topicPartition]int16{t0: errRebalanceInProgress},
		},
		{
			name: "while preparing a rebalance",
			setup: func(f *fixture) setupResult {
				s := stable(f)
				f.joinAsync(joinReq(3, "g", "", nil))
				f.waitState("g", "PreparingRebalance")
				return s
			},
			member:     func(s setupResult) (string, int32) { return s.memberID, s.generation },
			offsets:    map[topicPartition]int64{t0: 1},
			want:       map[topicPartition]int16{t0: errNone},
			wantStored: true,
		},
		{
			name:     "metadata too large",
			member:   func(setupResult) (string, int32) { return "", -1 },
			offsets:  map[topicPartition]int64{t0: 1},
			metadata: strings.Repeat("x", DefaultMaxMetadataSize+1),
			want:     map[topicPartition]int16{t0: errOffsetMetadataTooLarge},
		},
		{
			name: "not the coordinator",
			setup: func(f *fixture) setupResult {
				f.c.Unload(f.c.PartitionFor("g"))
				return setupResult{}
			},
			member:  func(setupResult) (string, int32) { return "", -1 },
			offsets: map[topicPartition]int64{t0: 1},
			want:    map[topicPartition]int16{t0: errNotCoordinator},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			var s setupResult
			if tc.setup != nil {
				s = tc.setup(f)
			}
			memberID, gen := tc.member(s)
			req := kmsg.NewPtrOffsetCommitRequest()
			req.Version = 8
			req.Group, req.MemberID, req.Generation = "g", memberID, gen
			for tp, off := range tc.offsets {
				rt := kmsg.NewOffsetCommitRequestTopic()
				rt.Topic = tp.topic
				rp := kmsg.NewOffsetCommitRequestTopicPartition()
				rp.Partition, rp.Offset = tp.partition, off
				if tc.metadata != "" {
					rp.Metadata = kmsg.StringPtr(tc.metadata)
				}
				rt.Partitions = append(rt.Partitions, rp)
				req.Topics = append(req.Topics, rt)
			}
			got := commitCodes(f.c.OffsetCommit(context.Background(), req))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("codes: got %v, want %v", got, tc.want)
			}
			stored := false
			for _, r := range f.st.records(t, f.c.PartitionFor("g")) {
				if r.key.isOffset() && r.value != nil {
					stored = true
				}
			}
			if stored != tc.wantStored {
				t.Errorf("offset record written: got %v, want %v", stored, tc.wantStored)
			}
		})
	}
}

func TestOffsetCommitStorageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want int16
	}{
		{"not leader", kerr.NotLeaderForPartition, errNotCoordinator},
		{"not enough replicas", fmt.Errorf("append: %w", kerr.NotEnoughReplicas), errCoordinatorNotAvailable},
		{"message too large", kerr.MessageTooLarge, errInvalidCommitOffsetSize},
		{"request timed out", kerr.RequestTimedOut, errRequestTimedOut},
		{"disk error", errors.New("disk on fire"), errNotCoordinator},
		{"context ended", context.DeadlineExceeded, errRequestTimedOut},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.st.setHook(func(context.Context, int32, []byte) error { return tc.err })
			got := commitCodes(f.commit(8, "g", "", -1, map[topicPartition]int64{t0: 5}))
			if got[t0] != tc.want {
				t.Errorf("commit: error %d, want %d", got[t0], tc.want)
			}
			f.st.setHook(nil)
			if _, off := f.fetch(7, "g", []topicPartition{t0}, false); off[t0].offset != -1 {
				t.Errorf("failed commit is visible: offset %d", off[t0].offset)
			}
		})
	}
}

func TestOffsetFetchErrorsPerVersion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.c.Unload(f.c.PartitionFor("g"))
	for v := int16(0); v <= 7; v++ {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			code, got := f.fetch(v, "g", []topicPartition{t0, u0}, false)
			if v >= 2 {
				if code != errNotCoordinator || len(got) != 0 {
					t.Errorf("top-level error %d with %d partitions, want NOT_COORDINATOR and none", code, len(got))
				}
				return
			}
			// No top-level error before v2: the error goes on every
			// partition so clients retry instead of resetting offsets.
			want := map[topicPartition]fetched{t0: {-1, -1, "", errNotCoordinator}, u0: {-1, -1, "", errNotCoordinator}}
			if code != errNone || !reflect.DeepEqual(got, want) {
				t.Errorf("got %d %+v, want partition errors %+v", code, got, want)
			}
		})
	}
}

func TestOffsetFetchAllPartitions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.commit(9, "g", "", -1, map[topicPartition]int64{u0: 3, t1: 2, t0: 1})
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version = 6
	req.Group = "g"
	resp := f.c.OffsetFetch(context.Background(), req)
	var order []string
	for _, rt := range resp.Topics {
		for _, p := range rt.Partitions {
			order = append(order, fmt.Sprintf("%s-%d=%d/%d", rt.Topic, p.Partition, p.Offset, p.LeaderEpoch))
		}
	}
	if want := []string{"t-0=1/7", "t-1=2/7", "u-0=3/7"}; !reflect.DeepEqual(order, want) {
		t.Errorf("all partitions: got %v, want %v", order, want)
	}
}

func TestOffsetFetchGroupsV8(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.commit(9, "a", "", -1, map[topicPartition]int64{t0: 1})
	// Find a group id in another partition than "a" and unload it.
	other := "b"
	for i := 0; f.c.PartitionFor(other) == f.c.PartitionFor("a"); i++ {
		other = fmt.Sprintf("b%d", i)
	}
	f.c.Unload(f.c.PartitionFor(other))

	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version = 8
	ga := kmsg.NewOffsetFetchRequestGroup()
	ga.Group = "a"
	rt := kmsg.NewOffsetFetchRequestGroupTopic()
	rt.Topic = "t"
	rt.Partitions = []int32{0, 1}
	ga.Topics = []kmsg.OffsetFetchRequestGroupTopic{rt}
	gAll := kmsg.NewOffsetFetchRequestGroup()
	gAll.Group = "a"
	gOther := kmsg.NewOffsetFetchRequestGroup()
	gOther.Group = other
	req.Groups = []kmsg.OffsetFetchRequestGroup{ga, gAll, gOther}
	resp := f.c.OffsetFetch(context.Background(), req)
	if len(resp.Groups) != 3 {
		t.Fatalf("got %d groups, want 3", len(resp.Groups))
	}
	flat := func(g kmsg.OffsetFetchResponseGroup) []string {
		var out []string
		for _, t := range g.Topics {
			for _, p := range t.Partitions {
				out = append(out, fmt.Sprintf("%s-%d=%d/%d/%s", t.Topic, p.Partition, p.Offset, p.LeaderEpoch, *p.Metadata))
			}
		}
		return out
	}
	if got, want := flat(resp.Groups[0]), []string{"t-0=1/7/md-t-0", "t-1=-1/-1/"}; !reflect.DeepEqual(got, want) {
		t.Errorf("requested partitions: got %v, want %v", got, want)
	}
	if got, want := flat(resp.Groups[1]), []string{"t-0=1/7/md-t-0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("all partitions: got %v, want %v", got, want)
	}
	if resp.Groups[2].ErrorCode != errNotCoordinator || resp.Groups[2].Group != other {
		t.Errorf("unloaded group: %+v, want NOT_COORDINATOR", resp.Groups[2])
	}
}

// TestOffsetFetchRequireStable: while a commit is being written, a fetch that
// requires stable offsets gets UNSTABLE_OFFSET_COMMIT for that partition; a
// plain fetch sees the previous offset; the commit is acknowledged and
// visible only once the append returned.
func TestOffsetFetchRequireStable(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.commit(9, "g", "", -1, map[topicPartition]int64{t0: 1, t1: 1})
	entered := make(chan struct{})
	release := make(chan struct{})
	f.st.setHook(func(context.Context, int32, []byte) error {
		close(entered)
		<-release
		return nil
	})
	done := make(chan *kmsg.OffsetCommitResponse, 1)
	go func() { done <- f.commit(9, "g", "", -1, map[topicPartition]int64{t0: 2}) }()
	<-entered
	_, got := f.fetch(7, "g", []topicPartition{t0, t1}, true)
	if want := (fetched{-1, -1, "", errUnstableOffsetCommit}); got[t0] != want {
		t.Errorf("require_stable while pending: got %+v, want %+v", got[t0], want)
	}
	if got[t1].offset != 1 || got[t1].code != errNone {
		t.Errorf("require_stable other partition: got %+v, want offset 1", got[t1])
	}
	if _, got := f.fetch(7, "g", []topicPartition{t0}, false); got[t0].offset != 1 {
		t.Errorf("plain fetch while pending: offset %d, want the previous 1", got[t0].offset)
	}
	select {
	case <-done:
		t.Fatal("commit acknowledged before the append returned")
	default:
	}
	close(release)
	if code := commitCodes(recv(t, done))[t0]; code != errNone {
		t.Fatalf("commit: error %d", code)
	}
	f.st.setHook(nil)
	if _, got := f.fetch(7, "g", []topicPartition{t0}, true); got[t0].offset != 2 || got[t0].code != errNone {
		t.Errorf("after commit: got %+v, want offset 2", got[t0])
	}
}

// TestPersistReloadEqual commits offsets from a stable group and from a
// standalone committer, writes group metadata, then reloads the partitions
// (Unload/Load, then a new coordinator) and expects the same answers.
func TestPersistReloadEqual(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms := f.joinMembers("g", 2)
	f.syncAll("g", ms)
	if code := commitCodes(f.commit(9, "g", ms[0].id, ms[0].generation, map[topicPartition]int64{t0: 100, t1: 101}))[t0]; code != errNone {
		t.Fatalf("member commit: %d", code)
	}
	f.commit(9, "g", ms[1].id, ms[1].generation, map[topicPartition]int64{t0: 200}) // later commit wins
	f.commit(3, "simple", "", -1, map[topicPartition]int64{u0: 7})
	retention := kmsg.NewPtrOffsetCommitRequest()
	retention.Version, retention.Group, retention.RetentionTimeMillis = 2, "retained", 3600_000
	rt := kmsg.NewOffsetCommitRequestTopic()
	rt.Topic = "t"
	rp := kmsg.NewOffsetCommitRequestTopicPartition()
	rp.Partition, rp.Offset = 2, 42
	rt.Partitions = []kmsg.OffsetCommitRequestTopicPartition{rp}
	retention.Topics = []kmsg.OffsetCommitRequestTopic{rt}
	f.c.OffsetCommit(context.Background(), retention)

	type snapshot struct {
		offsets  map[string]map[topicPartition]fetched
		describe map[string]kmsg.DescribeGroupsResponseGroup
		list     []string
	}
	take := func() snapshot {
		s := snapshot{offsets: map[string]map[topicPartition]fetched{}, describe: map[string]kmsg.DescribeGroupsResponseGroup{}}
		for _, g := range []string{"g", "simple", "retained"} {
			code, off := f.fetch(6, g, nil, false)
			if code != errNone {
				t.Fatalf("fetch %s: error %d", g, code)
			}
			s.offsets[g] = off
			s.describe[g] = f.describe(g)
		}
		lresp := f.c.ListGroups(context.Background(), &kmsg.ListGroupsRequest{Version: 4})
		for _, lg := range lresp.Groups {
			s.list = append(s.list, lg.Group+"/"+lg.ProtocolType+"/"+lg.GroupState)
		}
		return s
	}
	before := take()
	if got := before.offsets["g"][t0].offset; got != 200 {
		t.Fatalf("before reload: t-0 offset %d, want 200", got)
	}
	for p := range f.cfg.OffsetsTopicPartitions {
		f.c.Unload(p)
		if err := f.c.Load(context.Background(), p); err != nil {
			t.Fatalf("Load: %v", err)
		}
	}
	afterUnload := take()
	if !reflect.DeepEqual(before, afterUnload) {
		t.Errorf("after Unload/Load:\n got %+v\nwant %+v", afterUnload, before)
	}
	f.reopen()
	afterRestart := take()
	if !reflect.DeepEqual(before, afterRestart) {
		t.Errorf("after restart:\n got %+v\nwant %+v", afterRestart, before)
	}
	// The reloaded members are still members of their generation.
	for _, m := range ms {
		if code := f.heartbeat("g", m.id, m.generation, nil); code != errNone {
			t.Errorf("heartbeat after reload: error %d", code)
		}
	}
}

// TestRecordsWritten pins what goes to __consumer_offsets: offset commits as
// key version 1 with OffsetCommitValue v3 (v1 with a retention), group
// metadata as key version 2 with GroupMetadataValue v3.
func TestRecordsWritten(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms := f.joinMembers("g", 1)
	f.syncAll("g", ms)
	f.commit(8, "g", ms[0].id, ms[0].generation, map[topicPartition]int64{t0: 5})
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Version, req.Group, req.RetentionTimeMillis = 4, "g", 1000
	req.Generation, req.MemberID = ms[0].generation, ms[0].id
	rt := kmsg.NewOffsetCommitRequestTopic()
	rt.Topic = "u"
	rp := kmsg.NewOffsetCommitRequestTopicPartition()
	rt.Partitions = []kmsg.OffsetCommitRequestTopicPartition{rp}
	req.Topics = []kmsg.OffsetCommitRequestTopic{rt}
	f.c.OffsetCommit(context.Background(), req)

	var got []string
	for _, r := range f.st.records(t, f.c.PartitionFor("g")) {
		vv := int16(-1)
		if len(r.value) >= 2 {
			vv = int16(r.value[0])<<8 | int16(r.value[1])
		}
		got = append(got, fmt.Sprintf("key v%d %s value v%d", r.key.version, r.key.tp.topic, vv))
	}
	want := []string{
		"key v2  value v3", // generation 1 assignment
		"key v1 t value v3",
		"key v1 u value v1",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records:\n got %q\nwant %q", got, want)
	}
}

func TestOffsetExpiry(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	t.Run("standalone committer expires after retention since commit", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.commit(8, "g", "", -1, map[topicPartition]int64{t0: 1})
		f.clock.Advance(DefaultOffsetsRetention - time.Minute)
		f.c.cleanupExpired()
		if _, got := f.fetch(7, "g", []topicPartition{t0}, false); got[t0].offset != 1 {
			t.Fatalf("before retention: offset %d, want 1", got[t0].offset)
		}
		f.clock.Advance(time.Minute)
		f.c.cleanupExpired()
		if _, got := f.fetch(7, "g", []topicPartition{t0}, false); got[t0].offset != -1 {
			t.Errorf("after retention: offset %d, want -1", got[t0].offset)
		}
		if d := f.describe("g"); d.State != "Dead" {
			t.Errorf("group without offsets or members: %s, want Dead (removed)", d.State)
		}
		recs := f.st.records(t, f.c.PartitionFor("g"))
		last := recs[len(recs)-1]
		if !last.key.isOffset() || last.value != nil || len(recs) != 2 {
			t.Errorf("records: %+v, want a commit then its tombstone and no group tombstone", recs)
		}
	})
	t.Run("empty consumer group expires after retention since it became empty", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		ms := f.joinMembers("g", 1)
		f.syncAll("g", ms)
		f.commit(8, "g", ms[0].id, ms[0].generation, map[topicPartition]int64{t0: 1})
		f.clock.Advance(3 * day)
		f.leave(3, "g", leaving(ms[0].id, nil))
		f.clock.Advance(5 * day) // 8 days after the commit, 5 after empty
		f.c.cleanupExpired()
		if _, got := f.fetch(7, "g", []topicPartition{t0}, false); got[t0].offset != 1 {
			t.Fatalf("5 days after the group emptied: offset %d, want 1", got[t0].offset)
		}
		f.clock.Advance(2 * day)
		f.c.cleanupExpired()
		if _, got := f.fetch(7, "g", []topicPartition{t0}, false); got[t0].offset != -1 {
			t.Errorf("7 days after the group emptied: offset %d, want -1", got[t0].offset)
		}
		recs := f.st.records(t, f.c.PartitionFor("g"))
		n := len(recs)
		if n < 2 || !recs[n-2].key.isOffset() || recs[n-2].value != nil || !recs[n-1].key.isGroup() || recs[n-1].value != nil {
			t.Errorf("last records: %+v, want an offset tombstone and a group tombstone", recs[max(0, n-2):])
		}
		f.reopen()
		if d := f.describe("g"); d.State != "Dead" {
			t.Errorf("after reload: group %s, want Dead (gone)", d.State)
		}
	})
	t.Run("stable consumer group keeps subscribed topics", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		ms := f.joinMembers("g", 1) // subscribes to "t"
		f.syncAll("g", ms)
		f.commit(8, "g", ms[0].id, ms[0].generation, map[topicPartition]int64{t0: 1, u0: 2})
		f.clock.Advance(DefaultOffsetsRetention)
		f.c.cleanupExpired()
		_, got := f.fetch(7, "g", []topicPartition{t0, u0}, false)
		if got[t0].offset != 1 || got[u0].offset != -1 {
			t.Errorf("got t-0 %d u-0 %d, want the subscribed 1 kept and the unsubscribed expired", got[t0].offset, got[u0].offset)
		}
	})
	t.Run("explicit retention from OffsetCommit v2", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		req := kmsg.NewPtrOffsetCommitRequest()
		req.Version, req.Group, req.RetentionTimeMillis = 2, "g", int64(time.Hour/time.Millisecond)
		rt := kmsg.NewOffsetCommitRequestTopic()
		rt.Topic = "t"
		rp := kmsg.NewOffsetCommitRequestTopicPartition()
		rp.Offset = 9
		rt.Partitions = []kmsg.OffsetCommitRequestTopicPartition{rp}
		req.Topics = []kmsg.OffsetCommitRequestTopic{rt}
		f.c.OffsetCommit(context.Background(), req)
		f.clock.Advance(time.Hour)
		f.c.cleanupExpired()
		if _, got := f.fetch(7, "g", []topicPartition{t0}, false); got[t0].offset != -1 {
			t.Errorf("after the explicit retention: offset %d, want -1", got[t0].offset)
		}
	})
	t.Run("background cleanup runs every check interval", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, func(c *Config) { c.RetentionCheckInterval = 5 * time.Millisecond })
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f.c.Start(ctx)
		f.commit(8, "g", "", -1, map[topicPartition]int64{t0: 1})
		f.clock.Advance(DefaultOffsetsRetention)
		waitFor(t, "the offset to expire", func() bool {
			_, got := f.fetch(7, "g", []topicPartition{t0}, false)
			return got[t0].offset == -1
		})
	})
}

func TestOffsetDelete(t *testing.T) {
	t.Parallel()
	del := func(f *fixture, group string, tps ...topicPartition) *kmsg.OffsetDeleteResponse {
		req := kmsg.NewPtrOffsetDeleteRequest()
		req.Group = group
		for _, tp := range tps {
			rt := kmsg.NewOffsetDeleteRequestTopic()
			rt.Topic = tp.topic
			rp := kmsg.NewOffsetDeleteRequestTopicPartition()
			rp.Partition = tp.partition
			rt.Partitions = append(rt.Partitions, rp)
			req.Topics = append(req.Topics, rt)
		}
		return f.c.OffsetDelete(context.Background(), req)
	}
	codes := func(resp *kmsg.OffsetDeleteResponse) map[topicPartition]int16 {
		out := map[topicPartition]int16{}
		for _, rt := range resp.Topics {
			for _, p := range rt.Partitions {
				out[topicPartition{rt.Topic, p.Partition}] = p.ErrorCode
			}
		}
		return out
	}
	t.Run("empty group", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.commit(8, "g", "", -1, map[topicPartition]int64{t0: 1, u0: 2})
		resp := del(f, "g", t0, topicPartition{"nope", 0})
		want := map[topicPartition]int16{t0: errNone, {"nope", 0}: errUnknownTopicOrPartition}
		if resp.ErrorCode != errNone || !reflect.DeepEqual(codes(resp), want) {
			t.Errorf("got %d %v, want %v", resp.ErrorCode, codes(resp), want)
		}
		_, got := f.fetch(7, "g", []topicPartition{t0, u0}, false)
		if got[t0].offset != -1 || got[u0].offset != 2 {
			t.Errorf("after delete: t-0 %d u-0 %d, want -1 and 2", got[t0].offset, got[u0].offset)
		}
		// Deleting the last offset of an offsets-only group removes it.
		del(f, "g", u0)
		if d := f.describe("g"); d.State != "Dead" {
			t.Errorf("group without offsets: %s, want Dead", d.State)
		}
		f.reopen()
		if _, got := f.fetch(7, "g", []topicPartition{t0, u0}, false); got[t0].offset != -1 || got[u0].offset != -1 {
			t.Errorf("after reload: %+v, want both deleted", got)
		}
	})
	t.Run("consumer group subscribed to the topic", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		ms := f.joinMembers("g", 1) // subscribes to "t"
		f.syncAll("g", ms)
		f.commit(8, "g", ms[0].id, ms[0].generation, map[topicPartition]int64{t0: 1, u0: 2})
		resp := del(f, "g", t0, u0)
		want := map[topicPartition]int16{t0: errGroupSubscribedToTopic, u0: errNone}
		if resp.ErrorCode != errNone || !reflect.DeepEqual(codes(resp), want) {
			t.Errorf("got %d %v, want %v", resp.ErrorCode, codes(resp), want)
		}
	})
	t.Run("non-consumer group with members", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		r := joinReq(3, "g", "", nil)
		r.ProtocolType = "connect"
		f.join(r)
		resp := del(f, "g", t0)
		if resp.ErrorCode != errNonEmptyGroup || len(resp.Topics) != 0 {
			t.Errorf("got %d with %d topics, want NON_EMPTY_GROUP alone", resp.ErrorCode, len(resp.Topics))
		}
	})
	t.Run("unknown group", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		if resp := del(f, "g", t0); resp.ErrorCode != errGroupIDNotFound {
			t.Errorf("got %d, want GROUP_ID_NOT_FOUND", resp.ErrorCode)
		}
		if resp := del(f, "", t0); resp.ErrorCode != errInvalidGroupID {
			t.Errorf("empty group id: got %d, want INVALID_GROUP_ID", resp.ErrorCode)
		}
	})
}

func TestOnTopicsDeleted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms := f.joinMembers("g", 1)
	f.syncAll("g", ms)
	f.commit(8, "g", ms[0].id, ms[0].generation, map[topicPartition]int64{t0: 1, u0: 2})
	f.commit(8, "only-u", "", -1, map[topicPartition]int64{u0: 3})
	f.c.OnTopicsDeleted(context.Background(), "u")
	_, got := f.fetch(7, "g", []topicPartition{t0, u0}, false)
	if got[t0].offset != 1 || got[u0].offset != -1 {
		t.Errorf("g: t-0 %d u-0 %d, want 1 and -1", got[t0].offset, got[u0].offset)
	}
	if d := f.describe("only-u"); d.State != "Dead" {
		t.Errorf("group whose only offsets were deleted: %s, want Dead", d.State)
	}
	f.reopen()
	if _, got := f.fetch(7, "g", []topicPartition{u0}, false); got[u0].offset != -1 {
		t.Errorf("after reload: u-0 %d, want -1", got[u0].offset)
	}
}
