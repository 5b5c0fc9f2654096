package group

import (
	"context"
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestSelectProtocol(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		members [][]string // each member's protocols, most preferred first
		want    string
	}{
		{"one member takes its first choice", [][]string{{"a", "b"}}, "a"},
		{"majority preference", [][]string{{"a", "b"}, {"b", "a"}, {"a", "b"}}, "a"},
		{"only the common protocol", [][]string{{"a", "b"}, {"b", "c"}}, "b"},
		{"votes go to the first common choice", [][]string{{"x", "b", "a"}, {"a", "b"}, {"b", "a"}}, "b"},
		{"tie goes to the first voted", [][]string{{"b", "a"}, {"a", "b"}}, "b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGroup("g", 0, 0)
			for i, names := range tc.members {
				m := &member{id: string(rune('A' + i)), protocolType: "consumer"}
				for _, n := range names {
					m.protocols = append(m.protocols, protocol{name: n})
				}
				g.add(m, nil)
			}
			if got, ok := g.selectProtocol(); !ok || got != tc.want {
				t.Errorf("got %q (%v), want %q", got, ok, tc.want)
			}
		})
	}
}

func TestVersions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		key      int16
		min, max int16
		ok       bool
	}{
		{"JoinGroup", 11, 0, 9, true},
		{"SyncGroup", 14, 0, 5, true},
		{"OffsetCommit", 8, 0, 9, true},
		{"OffsetFetch", 9, 0, 9, true},
		{"Produce is not ours", 0, 0, 0, false},
	} {
		minV, maxV, ok := Versions(tc.key)
		if minV != tc.min || maxV != tc.max || ok != tc.ok {
			t.Errorf("%s: got %d-%d %v, want %d-%d %v", tc.name, minV, maxV, ok, tc.min, tc.max, tc.ok)
		}
		if ok {
			if kmax := kmsg.RequestForKey(tc.key).MaxVersion(); maxV > kmax {
				t.Errorf("%s: max %d beyond kmsg's %d", tc.name, maxV, kmax)
			}
		}
	}
}

// TestLeaveGroupBatch: v3+ removes several members, dynamic and static, in
// one request, with one rebalance.
func TestLeaveGroupBatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms := f.joinStatic(5)
	resp := f.leave(3, "g", leaving(ms["a"].id, kmsg.StringPtr("a")), leaving("", kmsg.StringPtr("b")), leaving("ghost", nil))
	if resp.ErrorCode != errNone || len(resp.Members) != 3 {
		t.Fatalf("leave: %+v", resp)
	}
	for i, want := range []int16{errNone, errNone, errUnknownMemberID} {
		if resp.Members[i].ErrorCode != want {
			t.Errorf("member %d: error %d, want %d", i, resp.Members[i].ErrorCode, want)
		}
	}
	if resp.Members[1].InstanceID == nil || *resp.Members[1].InstanceID != "b" {
		t.Errorf("member by instance id not echoed: %+v", resp.Members[1])
	}
	if d := f.describe("g"); d.State != "Empty" {
		t.Errorf("state after everyone left: %s, want Empty", d.State)
	}
}

// TestSyncStorageFailure: when the leader's assignment cannot be written,
// every waiting member gets the mapped error and the group rebalances.
func TestSyncStorageFailure(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want int16
	}{
		{"not leader", kerr.NotLeaderForPartition, errNotCoordinator},
		{"timed out", kerr.RequestTimedOut, errRebalanceInProgress},
		{"too large", kerr.MessageTooLarge, errUnknownServerError},
		{"not enough replicas", kerr.NotEnoughReplicas, errCoordinatorNotAvailable},
		{"disk", errors.New("eio"), errNotCoordinator},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ms := f.joinMembers("g", 2)
			leader, follower := leaderAndFollower(ms)
			fch := f.awaitingSync("g", follower)
			f.st.setHook(func(context.Context, int32, []byte) error { return tc.err })
			lr := recv(t, f.syncAsync(syncReq(5, "g", leader.id, leader.generation, map[string][]byte{leader.id: {1}, follower.id: {2}})))
			fr := recv(t, fch)
			if lr.ErrorCode != tc.want || fr.ErrorCode != tc.want {
				t.Errorf("sync errors: leader %d follower %d, want %d", lr.ErrorCode, fr.ErrorCode, tc.want)
			}
			if d := f.describe("g"); d.State != "PreparingRebalance" {
				t.Errorf("state: %s, want PreparingRebalance", d.State)
			}
		})
	}
}

// TestDuplicateProtocolNamesCountOnce: a member listing a protocol twice
// does not count as two members supporting it.
func TestDuplicateProtocolNamesCountOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.join(joinReq(3, "g", "", nil, protocols("range", "range")...))
	f.syncAll("g", []testMember{{id: r.MemberID, generation: r.Generation, leader: r.LeaderID}})
	// A second member supporting only roundrobin must be refused: range
	// is supported by one member, not two.
	if resp := f.join(joinReq(3, "g", "", nil, protocols("roundrobin")...)); resp.ErrorCode != errInconsistentGroupProtocol {
		t.Errorf("join with no common protocol: error %d, want INCONSISTENT_GROUP_PROTOCOL", resp.ErrorCode)
	}
	f.inspect("g", func(g *group) {
		if n := g.protoCount["range"]; n != 1 {
			t.Errorf("range counted %d times, want 1", n)
		}
	})
}
