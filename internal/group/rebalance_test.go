package group

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestRejoinAfterLeave(t *testing.T) {
	t.Parallel()
	for _, version := range []int16{0, 1, 2, 3, 4, 5} {
		t.Run(fmt.Sprintf("LeaveGroup v%d", version), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ms := f.joinMembers("g", 2)
			f.syncAll("g", ms)
			leader, follower := leaderAndFollower(ms)

			resp := f.leave(version, "g", leaving(follower.id, nil))
			if resp.ErrorCode != errNone {
				t.Fatalf("leave: error %d", resp.ErrorCode)
			}
			if version >= 3 && (len(resp.Members) != 1 || resp.Members[0].ErrorCode != errNone || resp.Members[0].MemberID != follower.id) {
				t.Fatalf("leave: members %+v, want the follower with no error", resp.Members)
			}
			if code := f.heartbeat("g", leader.id, leader.generation, nil); code != errRebalanceInProgress {
				t.Fatalf("leader heartbeat after leave: error %d, want REBALANCE_IN_PROGRESS", code)
			}
			if code := f.heartbeat("g", follower.id, follower.generation, nil); code != errUnknownMemberID {
				t.Errorf("departed member heartbeat: error %d, want UNKNOWN_MEMBER_ID", code)
			}
			rejoin := f.join(joinReq(9, "g", leader.id, nil))
			if rejoin.ErrorCode != errNone || rejoin.Generation != leader.generation+1 || len(rejoin.Members) != 1 {
				t.Fatalf("rejoin: error %d generation %d members %d, want none, %d, 1", rejoin.ErrorCode, rejoin.Generation, len(rejoin.Members), leader.generation+1)
			}
			f.syncAll("g", []testMember{{id: leader.id, generation: rejoin.Generation, leader: rejoin.LeaderID}})
		})
	}
}

func TestLeaveGroupErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := kmsg.StringPtr("a"), kmsg.StringPtr("b")
	ra := f.join(joinReq(5, "g", "", a))
	if ra.ErrorCode != errNone {
		t.Fatalf("static join: error %d", ra.ErrorCode)
	}
	for _, tc := range []struct {
		name    string
		version int16
		group   string
		member  kmsg.LeaveGroupRequestMember
		wantTop int16
		wantMem int16
	}{
		{"unknown member v1", 1, "g", leaving("ghost", nil), errUnknownMemberID, 0},
		{"unknown member v3", 3, "g", leaving("ghost", nil), errNone, errUnknownMemberID},
		{"unknown group v3", 3, "nope", leaving("ghost", nil), errNone, errUnknownMemberID},
		{"unknown instance id", 3, "g", leaving("", b), errNone, errUnknownMemberID},
		{"no member and no instance id", 3, "g", leaving("", nil), errNone, errUnknownMemberID},
		{"instance held by another member", 3, "g", leaving("other", a), errNone, errFencedInstanceID},
		{"empty group id", 3, "", leaving("x", nil), errInvalidGroupID, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := f.leave(tc.version, tc.group, tc.member)
			if resp.ErrorCode != tc.wantTop {
				t.Errorf("top-level error: got %d, want %d", resp.ErrorCode, tc.wantTop)
			}
			if tc.version >= 3 && tc.wantMem >= 0 {
				if len(resp.Members) != 1 || resp.Members[0].ErrorCode != tc.wantMem {
					t.Errorf("member errors: got %+v, want one with %d", resp.Members, tc.wantMem)
				}
			}
		})
	}
	// An administrator removes the static member by instance id alone.
	resp := f.leave(3, "g", leaving("", a))
	if resp.ErrorCode != errNone || resp.Members[0].ErrorCode != errNone {
		t.Fatalf("leave by instance id: %+v", resp)
	}
	if got := f.describe("g"); got.State != "Empty" || len(got.Members) != 0 {
		t.Errorf("after removing the only member: state %s with %d members, want Empty with 0", got.State, len(got.Members))
	}
}

func TestSessionExpiryRemovesMember(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms := f.joinMembers("g", 2, withSession(200))
	f.syncAll("g", ms)
	live, silent := ms[0], ms[1]

	// The live member heartbeats; the silent one stops, and once its
	// session expires the live one is told to rejoin.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(waitTimeout)
	for code := errNone; code != errRebalanceInProgress; {
		select {
		case <-deadline:
			t.Fatalf("no REBALANCE_IN_PROGRESS after the silent member's session")
		case <-tick.C:
		}
		code = f.heartbeat("g", live.id, live.generation, nil)
		if code != errNone && code != errRebalanceInProgress {
			t.Fatalf("live heartbeat: error %d", code)
		}
	}
	if code := f.heartbeat("g", silent.id, silent.generation, nil); code != errUnknownMemberID {
		t.Errorf("expired member heartbeat: error %d, want UNKNOWN_MEMBER_ID", code)
	}
	rejoin := f.join(joinReq(9, "g", live.id, nil, protocols("range")...))
	if rejoin.ErrorCode != errNone || len(rejoin.Members) != 1 || rejoin.Generation != live.generation+1 {
		t.Fatalf("rejoin: error %d members %d generation %d", rejoin.ErrorCode, len(rejoin.Members), rejoin.Generation)
	}
}

func TestRebalanceTimeoutRemovesMembersThatDidNotRejoin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const rebalanceMs = 300
	ms := f.joinMembers("g", 2, withRebalance(rebalanceMs))
	f.syncAll("g", ms)
	leader, follower := leaderAndFollower(ms)
	start := time.Now()
	// The leader rejoining starts a rebalance; the follower never rejoins.
	r := joinReq(9, "g", leader.id, nil)
	r.RebalanceTimeoutMillis = rebalanceMs
	resp := f.join(r)
	if elapsed := time.Since(start); elapsed < rebalanceMs*time.Millisecond*9/10 {
		t.Errorf("join completed after %v, before the rebalance timeout", elapsed)
	}
	if resp.ErrorCode != errNone || resp.Generation != leader.generation+1 || len(resp.Members) != 1 {
		t.Fatalf("join: error %d generation %d members %d, want none, %d, 1", resp.ErrorCode, resp.Generation, len(resp.Members), leader.generation+1)
	}
	if code := f.heartbeat("g", follower.id, follower.generation, nil); code != errUnknownMemberID {
		t.Errorf("dropped member heartbeat: error %d, want UNKNOWN_MEMBER_ID", code)
	}
}

// TestInitialRebalanceDelay checks group.initial.rebalance.delay.ms: the
// first rebalance of an empty group waits the delay, and another delay
// when a member arrives meanwhile, so both land in generation 1.
func TestInitialRebalanceDelay(t *testing.T) {
	t.Parallel()
	const delay = 150 * time.Millisecond
	f := newFixture(t, func(c *Config) { c.InitialRebalanceDelay = delay })
	start := time.Now()
	a := f.joinAsync(joinReq(3, "g", "", nil))
	f.waitState("g", "PreparingRebalance")
	b := f.joinAsync(joinReq(3, "g", "", nil))
	ra, rb := recv(t, a), recv(t, b)
	elapsed := time.Since(start)
	for _, r := range []*kmsg.JoinGroupResponse{ra, rb} {
		if r.ErrorCode != errNone || r.Generation != 1 {
			t.Fatalf("join: error %d generation %d, want none, 1", r.ErrorCode, r.Generation)
		}
	}
	if ra.LeaderID != ra.MemberID || len(ra.Members) != 2 {
		t.Errorf("first member: leader %q members %d, want itself and 2", ra.LeaderID, len(ra.Members))
	}
	// b arrived during the first delay, so the phase was extended once.
	if elapsed < 2*delay*9/10 {
		t.Errorf("initial rebalance completed after %v, want at least two delays (%v)", elapsed, 2*delay)
	}
}

// TestInitialRebalanceDelayBoundedByRebalanceTimeout: the initial delay is
// only extended within the rebalance timeout (Kafka's InitialDelayedJoin
// arithmetic: the remaining time is the rebalance timeout minus the delay).
func TestInitialRebalanceDelayBoundedByRebalanceTimeout(t *testing.T) {
	t.Parallel()
	const delay = time.Second
	f := newFixture(t, func(c *Config) { c.InitialRebalanceDelay = delay })
	req := func() *kmsg.JoinGroupRequest {
		r := joinReq(3, "g", "", nil)
		r.RebalanceTimeoutMillis = 100
		return r
	}
	start := time.Now()
	a := f.joinAsync(req())
	f.waitState("g", "PreparingRebalance")
	b := f.joinAsync(req())
	ra, rb := recv(t, a), recv(t, b)
	elapsed := time.Since(start)
	if ra.ErrorCode != errNone || rb.ErrorCode != errNone || ra.Generation != 1 || rb.Generation != 1 {
		t.Fatalf("joins: errors %d %d generations %d %d", ra.ErrorCode, rb.ErrorCode, ra.Generation, rb.Generation)
	}
	if elapsed < delay*9/10 || elapsed >= 2*delay*9/10 {
		t.Errorf("initial rebalance took %v, want one delay (%v) without extension", elapsed, delay)
	}
}

func staticJoin(version int16, group, memberID, instance string) *kmsg.JoinGroupRequest {
	return joinReq(version, group, memberID, kmsg.StringPtr(instance))
}

// joinStatic forms a stable group of static members a and b and returns
// them by instance id.
func (f *fixture) joinStatic(version int16) map[string]testMember {
	f.t.Helper()
	ra := f.join(staticJoin(version, "g", "", "a"))
	if ra.ErrorCode != errNone {
		f.t.Fatalf("join a: error %d", ra.ErrorCode)
	}
	chB := f.joinAsync(staticJoin(version, "g", "", "b"))
	f.waitState("g", "PreparingRebalance")
	chA := f.joinAsync(staticJoin(version, "g", ra.MemberID, "a"))
	ra, rb := recv(f.t, chA), recv(f.t, chB)
	if ra.ErrorCode != errNone || rb.ErrorCode != errNone {
		f.t.Fatalf("static joins: errors %d %d", ra.ErrorCode, rb.ErrorCode)
	}
	ms := map[string]testMember{
		"a": {id: ra.MemberID, generation: ra.Generation, leader: ra.LeaderID},
		"b": {id: rb.MemberID, generation: rb.Generation, leader: rb.LeaderID},
	}
	f.syncAll("g", []testMember{ms["a"], ms["b"]})
	return ms
}

// TestStaticMemberRestartWithoutRebalance checks KIP-345: a static member
// that restarts (joins again with its instance id and no member id) gets a
// new member id and its previous assignment without a rebalance, the old id
// is fenced, and the replacement survives a coordinator reload.
func TestStaticMemberRestartWithoutRebalance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		version  int16
		instance string // which member restarts
	}{
		{"follower v5", 5, "b"},
		{"leader v5", 5, "a"},
		{"follower v9", 9, "b"},
		{"leader v9", 9, "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ms := f.joinStatic(tc.version)
			old := ms[tc.instance]
			isLeader := old.id == old.leader

			resp := f.join(staticJoin(tc.version, "g", "", tc.instance))
			if resp.ErrorCode != errNone {
				t.Fatalf("restart join: error %d", resp.ErrorCode)
			}
			if resp.MemberID == old.id || resp.MemberID == "" {
				t.Errorf("restart join: member id %q, want a new one", resp.MemberID)
			}
			if resp.Generation != old.generation {
				t.Errorf("restart join: generation %d, want unchanged %d", resp.Generation, old.generation)
			}
			switch {
			case isLeader && tc.version >= 9:
				if !resp.SkipAssignment || resp.LeaderID != resp.MemberID || len(resp.Members) != 2 {
					t.Errorf("v9 leader restart: skip %v leader %q members %d, want skip, itself, 2", resp.SkipAssignment, resp.LeaderID, len(resp.Members))
				}
			case isLeader:
				// Before v9 the old leader id is reported so the restarted
				// leader does not run the assignor.
				if resp.LeaderID != old.id || len(resp.Members) != 0 || resp.SkipAssignment {
					t.Errorf("leader restart: leader %q members %d skip %v, want old id %q, 0, false", resp.LeaderID, len(resp.Members), resp.SkipAssignment, old.id)
				}
			default:
				if resp.LeaderID == resp.MemberID || resp.SkipAssignment {
					t.Errorf("follower restart: leader %q skip %v", resp.LeaderID, resp.SkipAssignment)
				}
			}
			if d := f.describe("g"); d.State != "Stable" {
				t.Errorf("state after restart: %s, want Stable (no rebalance)", d.State)
			}
			sync := recv(t, f.syncAsync(syncReq(5, "g", resp.MemberID, resp.Generation, nil)))
			if sync.ErrorCode != errNone || string(sync.MemberAssignment) != "assign-"+old.id {
				t.Errorf("sync with new id: error %d assignment %q, want the old assignment", sync.ErrorCode, sync.MemberAssignment)
			}
			if code := f.heartbeat("g", old.id, old.generation, kmsg.StringPtr(tc.instance)); code != errFencedInstanceID {
				t.Errorf("old id heartbeat: error %d, want FENCED_INSTANCE_ID", code)
			}
			if code := f.heartbeat("g", old.id, old.generation, nil); code != errUnknownMemberID {
				t.Errorf("old id heartbeat without instance: error %d, want UNKNOWN_MEMBER_ID", code)
			}
			for inst, m := range ms {
				if inst == tc.instance {
					continue
				}
				if code := f.heartbeat("g", m.id, m.generation, kmsg.StringPtr(inst)); code != errNone {
					t.Errorf("other member heartbeat: error %d, want none", code)
				}
			}

			// The new member id was persisted: a reloaded coordinator knows it.
			f.reopen()
			d := f.describe("g")
			found := false
			for _, dm := range d.Members {
				if dm.MemberID == resp.MemberID {
					found = true
					if dm.InstanceID == nil || *dm.InstanceID != tc.instance || string(dm.MemberAssignment) != "assign-"+old.id {
						t.Errorf("reloaded member: instance %v assignment %q", dm.InstanceID, dm.MemberAssignment)
					}
				}
				if dm.MemberID == old.id {
					t.Errorf("reloaded group still has the old member id %s", old.id)
				}
			}
			if !found || d.State != "Stable" {
				t.Errorf("reloaded group: state %s, new member found %v", d.State, found)
			}
		})
	}
}

func TestStaticMemberProtocolChangeRebalances(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.join(staticJoin(5, "g", "", "a"))
	f.syncAll("g", []testMember{{id: r.MemberID, generation: r.Generation, leader: r.LeaderID}})
	// The restarted member now prefers roundrobin, which the group would
	// select next: the group rebalances instead of keeping the assignment.
	resp := f.join(joinReq(5, "g", "", kmsg.StringPtr("a"), protocols("roundrobin", "range")...))
	if resp.ErrorCode != errNone || resp.Generation != r.Generation+1 || resp.Protocol == nil || *resp.Protocol != "roundrobin" {
		t.Fatalf("restart with new protocol: error %d generation %d protocol %v", resp.ErrorCode, resp.Generation, resp.Protocol)
	}
}

func TestStaticMemberFencing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms := f.joinStatic(5)
	for _, tc := range []struct {
		name string
		req  *kmsg.JoinGroupRequest
		want int16
	}{
		{"instance id held by another member id", staticJoin(5, "g", ms["b"].id, "a"), errFencedInstanceID},
		{"unknown instance id with a member id", staticJoin(5, "g", ms["a"].id, "zzz"), errUnknownMemberID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if resp := f.join(tc.req); resp.ErrorCode != tc.want {
				t.Errorf("got error %d, want %d", resp.ErrorCode, tc.want)
			}
		})
	}
	sync := recv(t, f.syncAsync(func() *kmsg.SyncGroupRequest {
		r := syncReq(5, "g", ms["b"].id, ms["b"].generation, nil)
		r.InstanceID = kmsg.StringPtr("a")
		return r
	}()))
	if sync.ErrorCode != errFencedInstanceID {
		t.Errorf("sync with another member's instance id: error %d, want FENCED_INSTANCE_ID", sync.ErrorCode)
	}
}

// TestStaticMemberRestartDuringJoinFencesOldRequest: a static member that
// restarts while its old incarnation waits in JoinGroup fences the old
// request, and the new incarnation takes its place in the rebalance.
func TestStaticMemberRestartDuringJoinFencesOldRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms := f.joinStatic(5)
	old := f.joinAsync(staticJoin(5, "g", ms["a"].id, "a"))
	f.waitState("g", "PreparingRebalance")
	restarted := f.joinAsync(staticJoin(5, "g", "", "a"))
	if resp := recv(t, old); resp.ErrorCode != errFencedInstanceID {
		t.Errorf("old incarnation: error %d, want FENCED_INSTANCE_ID", resp.ErrorCode)
	}
	b := f.joinAsync(staticJoin(5, "g", ms["b"].id, "b"))
	ra, rb := recv(t, restarted), recv(t, b)
	if ra.ErrorCode != errNone || rb.ErrorCode != errNone || ra.Generation != ms["a"].generation+1 {
		t.Fatalf("rebalance: errors %d %d generation %d", ra.ErrorCode, rb.ErrorCode, ra.Generation)
	}
	if ra.MemberID == ms["a"].id {
		t.Errorf("restarted member kept its old id")
	}
}

func TestMaxGroupSize(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *Config) { c.MaxGroupSize = 2 })
	ms := f.joinMembers("g", 2)
	f.syncAll("g", ms)
	for _, v := range []int16{3, 9} {
		resp := f.join(joinReq(v, "g", "", nil))
		if resp.ErrorCode != errGroupMaxSizeReached || resp.MemberID != "" {
			t.Errorf("v%d third member: error %d id %q, want GROUP_MAX_SIZE_REACHED with no id", v, resp.ErrorCode, resp.MemberID)
		}
	}
	if d := f.describe("g"); d.State != "Stable" || len(d.Members) != 2 {
		t.Errorf("group after refusals: %s with %d members, want Stable with 2", d.State, len(d.Members))
	}
}

// TestMaxGroupSizeDuringRebalance: while preparing a rebalance the limit
// counts members that already rejoined, so a late rejoiner is turned away
// once newcomers filled the group.
func TestMaxGroupSizeDuringRebalance(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *Config) { c.MaxGroupSize = 2 })
	ms := f.joinMembers("g", 2)
	f.syncAll("g", ms)
	leader, follower := leaderAndFollower(ms)
	chLeader := f.joinAsync(joinReq(3, "g", leader.id, nil))
	f.waitState("g", "PreparingRebalance")
	chNew := f.joinAsync(joinReq(3, "g", "", nil))
	waitFor(t, "the newcomer to be waiting", func() bool {
		n := 0
		f.inspect("g", func(g *group) { n = g.numAwaiting })
		return n == 2
	})
	late := f.join(joinReq(3, "g", follower.id, nil))
	if late.ErrorCode != errGroupMaxSizeReached {
		t.Fatalf("late rejoin: error %d, want GROUP_MAX_SIZE_REACHED", late.ErrorCode)
	}
	rl, rn := recv(t, chLeader), recv(t, chNew)
	if rl.ErrorCode != errNone || rn.ErrorCode != errNone || len(rl.Members) != 2 {
		t.Fatalf("rebalance: errors %d %d, leader members %d, want none, none, 2", rl.ErrorCode, rn.ErrorCode, len(rl.Members))
	}
}

// TestCooperativeRebalances drives the classic protocol as an incremental
// (cooperative-sticky) client does: after the first rebalance the member
// that gave up partitions rejoins at once with new metadata, and the second
// rebalance must complete for everyone.
func TestCooperativeRebalances(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		revoker  string // "leader" or "follower" rejoins first after the first rebalance
		metadata bool   // whether the revoker's metadata changed
	}{
		{"leader revokes", "leader", true},
		{"follower revokes", "follower", true},
		{"leader rejoins with unchanged metadata", "leader", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			coop := func(owned ...string) []kmsg.JoinGroupRequestProtocol {
				m := kmsg.NewConsumerMemberMetadata()
				m.Version = 1
				m.Topics = []string{"t"}
				for _, o := range owned {
					op := kmsg.NewConsumerMemberMetadataOwnedPartition()
					op.Topic = o
					op.Partitions = []int32{0, 1, 2}
					m.OwnedPartitions = append(m.OwnedPartitions, op)
				}
				p := kmsg.NewJoinGroupRequestProtocol()
				p.Name = "cooperative-sticky"
				p.Metadata = m.AppendTo(nil)
				return []kmsg.JoinGroupRequestProtocol{p}
			}
			// First rebalance: two members.
			r1 := f.join(joinReq(9, "g", "", nil, coop()...))
			ch1 := f.joinAsync(joinReq(9, "g", r1.MemberID, nil, coop()...))
			r2 := f.join(joinReq(9, "g", "", nil, coop()...))
			f.waitState("g", "CompletingRebalance")
			resp1 := recv(t, ch1)
			// The second member's arrival starts another rebalance.
			ch2 := f.joinAsync(joinReq(9, "g", r2.MemberID, nil, coop()...))
			f.waitState("g", "PreparingRebalance")
			ch1 = f.joinAsync(joinReq(9, "g", resp1.MemberID, nil, coop("t")...))
			a, b := recv(t, ch1), recv(t, ch2)
			if a.ErrorCode != errNone || b.ErrorCode != errNone || a.Generation != b.Generation {
				t.Fatalf("first rebalance: errors %d %d generations %d %d", a.ErrorCode, b.ErrorCode, a.Generation, b.Generation)
			}
			gen := a.Generation
			byRole := map[string]*kmsg.JoinGroupResponse{}
			for _, r := range []*kmsg.JoinGroupResponse{a, b} {
				if r.MemberID == r.LeaderID {
					byRole["leader"] = r
				} else {
					byRole["follower"] = r
				}
			}
			sync := func(id string, gen int32, assign map[string][]byte) <-chan *kmsg.SyncGroupResponse {
				r := syncReq(5, "g", id, gen, assign)
				r.Protocol = kmsg.StringPtr("cooperative-sticky")
				return f.syncAsync(r)
			}
			s1 := sync(byRole["leader"].MemberID, gen, map[string][]byte{byRole["leader"].MemberID: []byte("t-0,1"), byRole["follower"].MemberID: {}})
			s2 := sync(byRole["follower"].MemberID, gen, nil)
			if x, y := recv(t, s1), recv(t, s2); x.ErrorCode != errNone || y.ErrorCode != errNone {
				t.Fatalf("first sync: errors %d %d", x.ErrorCode, y.ErrorCode)
			}

			// Second rebalance: the revoker rejoins right away.
			revoker, other := byRole[tc.revoker], byRole["leader"]
			if tc.revoker == "leader" {
				other = byRole["follower"]
			}
			// The member that joined first last joined owning "t"; the
			// other joined owning nothing.
			md := coop()
			if revoker.MemberID == resp1.MemberID {
				md = coop("t")
			}
			if tc.metadata {
				md = coop("u")
			}
			chR := f.joinAsync(joinReq(9, "g", revoker.MemberID, nil, md...))
			waitFor(t, "the other member to learn of the rebalance", func() bool {
				return f.heartbeat("g", other.MemberID, gen, nil) == errRebalanceInProgress
			})
			chO := f.joinAsync(joinReq(9, "g", other.MemberID, nil, coop()...))
			x, y := recv(t, chR), recv(t, chO)
			if x.ErrorCode != errNone || y.ErrorCode != errNone || x.Generation != gen+1 || y.Generation != gen+1 {
				t.Fatalf("second rebalance: errors %d %d generations %d %d, want none and %d", x.ErrorCode, y.ErrorCode, x.Generation, y.Generation, gen+1)
			}
			lead, foll := x, y
			if y.MemberID == y.LeaderID {
				lead, foll = y, x
			}
			s1 = sync(lead.MemberID, gen+1, map[string][]byte{lead.MemberID: []byte("t-0,1"), foll.MemberID: []byte("t-2")})
			s2 = sync(foll.MemberID, gen+1, nil)
			if p, q := recv(t, s1), recv(t, s2); p.ErrorCode != errNone || q.ErrorCode != errNone || string(q.MemberAssignment) != "t-2" {
				t.Fatalf("second sync: errors %d %d, follower assignment %q", p.ErrorCode, q.ErrorCode, q.MemberAssignment)
			}
			for _, id := range []string{lead.MemberID, foll.MemberID} {
				if code := f.heartbeat("g", id, gen+1, nil); code != errNone {
					t.Errorf("heartbeat after second rebalance: error %d", code)
				}
			}
		})
	}
}

func TestFollowerRejoinWithSameMetadataKeepsGeneration(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms := f.joinMembers("g", 2)
	f.syncAll("g", ms)
	_, follower := leaderAndFollower(ms)
	resp := f.join(joinReq(9, "g", follower.id, nil))
	if resp.ErrorCode != errNone || resp.Generation != follower.generation || len(resp.Members) != 0 {
		t.Fatalf("follower rejoin: error %d generation %d members %d, want the current generation", resp.ErrorCode, resp.Generation, len(resp.Members))
	}
	if d := f.describe("g"); d.State != "Stable" {
		t.Errorf("state: %s, want Stable", d.State)
	}
}

func TestSyncErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms := f.joinMembers("g", 1)
	m := ms[0]
	for _, tc := range []struct {
		name string
		req  func() *kmsg.SyncGroupRequest
		want int16
	}{
		{"unknown group", func() *kmsg.SyncGroupRequest { return syncReq(3, "nope", "x", 1, nil) }, errUnknownMemberID},
		{"unknown member", func() *kmsg.SyncGroupRequest { return syncReq(3, "g", "x", m.generation, nil) }, errUnknownMemberID},
		{"wrong generation", func() *kmsg.SyncGroupRequest { return syncReq(3, "g", m.id, m.generation+1, nil) }, errIllegalGeneration},
		{"v5 without protocol type", func() *kmsg.SyncGroupRequest {
			r := syncReq(5, "g", m.id, m.generation, nil)
			r.ProtocolType = nil
			return r
		}, errInconsistentGroupProtocol},
		{"v5 wrong protocol name", func() *kmsg.SyncGroupRequest {
			r := syncReq(5, "g", m.id, m.generation, nil)
			r.Protocol = kmsg.StringPtr("roundrobin")
			return r
		}, errInconsistentGroupProtocol},
		{"v5 wrong protocol type", func() *kmsg.SyncGroupRequest {
			r := syncReq(5, "g", m.id, m.generation, nil)
			r.ProtocolType = kmsg.StringPtr("connect")
			return r
		}, errInconsistentGroupProtocol},
		{"empty group id", func() *kmsg.SyncGroupRequest { return syncReq(3, "", m.id, m.generation, nil) }, errInvalidGroupID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if resp := recv(t, f.syncAsync(tc.req())); resp.ErrorCode != tc.want {
				t.Errorf("got error %d, want %d", resp.ErrorCode, tc.want)
			}
		})
	}
	// During the join phase a sync is told to rejoin.
	f.joinAsync(joinReq(3, "g", "", nil))
	f.waitState("g", "PreparingRebalance")
	if resp := recv(t, f.syncAsync(syncReq(3, "g", m.id, m.generation, nil))); resp.ErrorCode != errRebalanceInProgress {
		t.Errorf("sync during rebalance: error %d, want REBALANCE_IN_PROGRESS", resp.ErrorCode)
	}
}

func TestHeartbeatErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms := f.joinMembers("g", 1)
	m := ms[0]
	for _, tc := range []struct {
		name       string
		group, id  string
		generation int32
		want       int16
	}{
		{"unknown group", "nope", m.id, 1, errUnknownMemberID},
		{"unknown member", "g", "x", m.generation, errUnknownMemberID},
		{"wrong generation", "g", m.id, m.generation + 1, errIllegalGeneration},
		{"empty group id", "", m.id, 1, errInvalidGroupID},
		{"between join and sync", "g", m.id, m.generation, errNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code := f.heartbeat(tc.group, tc.id, tc.generation, nil); code != tc.want {
				t.Errorf("got error %d, want %d", code, tc.want)
			}
		})
	}
}

// TestPendingSyncTimeout: a member that never sends SyncGroup after the join
// phase is removed after the rebalance timeout, and the group rebalances.
func TestPendingSyncTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms := f.joinMembers("g", 2, withRebalance(200))
	leader, follower := leaderAndFollower(ms)
	s := recv(t, f.syncAsync(syncReq(5, "g", leader.id, leader.generation, map[string][]byte{leader.id: []byte("x"), follower.id: []byte("y")})))
	if s.ErrorCode != errNone {
		t.Fatalf("leader sync: error %d", s.ErrorCode)
	}
	waitFor(t, "the silent member to be dropped", func() bool {
		return f.heartbeat("g", leader.id, leader.generation, nil) == errRebalanceInProgress
	})
	if code := f.heartbeat("g", follower.id, follower.generation, nil); code != errUnknownMemberID {
		t.Errorf("member that never synced: heartbeat error %d, want UNKNOWN_MEMBER_ID", code)
	}
}

// TestPendingMemberExpires: a member id handed out with MEMBER_ID_REQUIRED
// holds up a rebalance only until its session timeout passes.
func TestPendingMemberExpires(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms := f.joinMembers("g", 1)
	f.syncAll("g", ms)
	pending := f.join(func() *kmsg.JoinGroupRequest {
		r := joinReq(9, "g", "", nil)
		r.SessionTimeoutMillis = 200
		return r
	}())
	if pending.ErrorCode != errMemberIDRequired {
		t.Fatalf("first join: error %d, want MEMBER_ID_REQUIRED", pending.ErrorCode)
	}
	start := time.Now()
	resp := f.join(joinReq(9, "g", ms[0].id, nil)) // the leader rejoins: a rebalance
	if resp.ErrorCode != errNone || len(resp.Members) != 1 {
		t.Fatalf("rebalance: error %d members %d", resp.ErrorCode, len(resp.Members))
	}
	if elapsed := time.Since(start); elapsed < 150*time.Millisecond {
		t.Errorf("rebalance finished after %v, before the pending member's session ran out", elapsed)
	}
	late := f.join(joinReq(9, "g", pending.MemberID, nil))
	if late.ErrorCode != errUnknownMemberID {
		t.Errorf("join with a lapsed pending id: error %d, want UNKNOWN_MEMBER_ID", late.ErrorCode)
	}
}

func TestUnloadAnswersWaitingRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, follower := leaderAndFollower(f.joinMembers("g", 2))
	// The follower waits in SyncGroup for the leader's assignment.
	syncCh := f.awaitingSync("g", follower)
	f.c.Unload(f.c.PartitionFor("g"))
	if resp := recv(t, syncCh); resp.ErrorCode != errNotCoordinator {
		t.Errorf("waiting sync after Unload: error %d, want NOT_COORDINATOR", resp.ErrorCode)
	}

	// A join waiting in the join phase gets NOT_COORDINATOR too.
	if err := f.c.Load(context.Background(), f.c.PartitionFor("g")); err != nil {
		t.Fatal(err)
	}
	r := f.join(joinReq(3, "h", "", nil))
	f.syncAll("h", []testMember{{id: r.MemberID, generation: r.Generation, leader: r.LeaderID}})
	chA := f.joinAsync(joinReq(3, "h", "", nil)) // newcomer waits for the leader to rejoin
	f.waitState("h", "PreparingRebalance")
	f.c.Unload(f.c.PartitionFor("h"))
	if resp := recv(t, chA); resp.ErrorCode != errNotCoordinator {
		t.Errorf("waiting join after Unload: error %d, want NOT_COORDINATOR", resp.ErrorCode)
	}
	if resp := f.join(joinReq(3, "h", "", nil)); resp.ErrorCode != errNotCoordinator {
		t.Errorf("join after Unload: error %d, want NOT_COORDINATOR", resp.ErrorCode)
	}
}

func TestJoinReturnsWhenContextEnds(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms := f.joinMembers("g", 1)
	f.syncAll("g", ms)
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan *kmsg.JoinGroupResponse, 1)
	go func() { ch <- f.c.JoinGroup(ctx, joinReq(3, "g", "", nil), "c", "h") }()
	f.waitState("g", "PreparingRebalance")
	cancel()
	if resp := recv(t, ch); resp.ErrorCode == errNone {
		t.Errorf("join after its context ended: got success")
	}
}
