package group

import (
	"context"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestDeleteGroups(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms := f.joinMembers("busy", 1)
	f.syncAll("busy", ms)
	// "done" had a member and offsets, then emptied: a real group to delete.
	done := f.joinMembers("done", 1)
	f.syncAll("done", done)
	f.commit(8, "done", done[0].id, done[0].generation, map[topicPartition]int64{t0: 1, u0: 2})
	f.leave(3, "done", leaving(done[0].id, nil))
	f.commit(8, "offsets-only", "", -1, map[topicPartition]int64{t0: 3})
	other := "elsewhere"
	f.c.Unload(f.c.PartitionFor(other))

	req := kmsg.NewPtrDeleteGroupsRequest()
	req.Version = 2
	req.Groups = []string{"busy", "done", "offsets-only", "nope", "done", other}
	resp := f.c.DeleteGroups(context.Background(), req)
	got := map[string]int16{}
	var order []string
	for _, g := range resp.Groups {
		got[g.Group] = g.ErrorCode
		order = append(order, g.Group)
	}
	want := map[string]int16{
		"busy":         errNonEmptyGroup,
		"done":         errNone,
		"offsets-only": errNone,
		"nope":         errGroupIDNotFound,
		other:          errNotCoordinator,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("codes: got %v, want %v", got, want)
	}
	if len(order) != 5 {
		t.Errorf("answered %v, want each group once", order)
	}
	again := f.c.DeleteGroups(context.Background(), &kmsg.DeleteGroupsRequest{Version: 2, Groups: []string{"done"}})
	if again.Groups[0].ErrorCode != errGroupIDNotFound {
		t.Errorf("deleting twice: error %d, want GROUP_ID_NOT_FOUND", again.Groups[0].ErrorCode)
	}

	// The deletions were written: tombstones for the offsets and, for the
	// group that had a generation, its metadata.
	var tombstones []string
	for _, r := range f.st.records(t, f.c.PartitionFor("done")) {
		if r.value == nil && r.key.group == "done" {
			tombstones = append(tombstones, r.key.tp.topic)
		}
	}
	if len(tombstones) != 3 || tombstones[2] != "" {
		t.Errorf("tombstones for done: %q, want two offsets then the group", tombstones)
	}
	f.reopen()
	for _, g := range []string{"done", "offsets-only"} {
		if _, off := f.fetch(7, g, []topicPartition{t0, u0}, false); off[t0].offset != -1 || off[u0].offset != -1 {
			t.Errorf("%s after reload: offsets %+v, want none", g, off)
		}
		if d := f.describe(g); d.State != "Dead" {
			t.Errorf("%s after reload: state %s, want Dead", g, d.State)
		}
	}
	if d := f.describe("busy"); d.State != "Stable" {
		t.Errorf("busy after reload: %s, want Stable", d.State)
	}
}

func TestListGroups(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	stable := f.joinMembers("stable", 1)
	f.syncAll("stable", stable)
	f.joinMembers("completing", 1)
	f.commit(8, "empty", "", -1, map[topicPartition]int64{t0: 1})
	connect := joinReq(3, "connect", "", nil)
	connect.ProtocolType = "connect"
	r := f.join(connect)
	if s := recv(t, f.syncAsync(syncReq(3, "connect", r.MemberID, r.Generation, map[string][]byte{r.MemberID: {}}))); s.ErrorCode != errNone {
		t.Fatalf("connect sync: error %d", s.ErrorCode)
	}

	list := func(version int16, states, types []string) []string {
		req := kmsg.NewPtrListGroupsRequest()
		req.Version = version
		req.StatesFilter = states
		req.TypesFilter = types
		resp := f.c.ListGroups(context.Background(), req)
		if resp.ErrorCode != errNone {
			t.Fatalf("ListGroups: error %d", resp.ErrorCode)
		}
		var out []string
		for _, g := range resp.Groups {
			out = append(out, g.Group+"/"+g.ProtocolType+"/"+g.GroupState+"/"+g.GroupType)
		}
		return out
	}
	all := []string{
		"completing/consumer/CompletingRebalance/classic",
		"connect/connect/Stable/classic",
		"empty//Empty/classic",
		"stable/consumer/Stable/classic",
	}
	for _, tc := range []struct {
		name    string
		version int16
		states  []string
		types   []string
		want    []string
	}{
		{"no filter", 5, nil, nil, all},
		{"state filter ignored before v4", 3, []string{"Stable"}, nil, all},
		{"stable", 4, []string{"Stable"}, nil, []string{all[1], all[3]}},
		{"states are case-insensitive", 4, []string{"empty", "COMPLETINGREBALANCE"}, nil, []string{all[0], all[2]}},
		{"classic type", 5, nil, []string{"Classic"}, all},
		{"consumer type", 5, nil, []string{"consumer"}, nil},
		{"both filters", 5, []string{"stable"}, []string{"classic", "consumer"}, []string{all[1], all[3]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := list(tc.version, tc.states, tc.types); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDescribeGroups(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms := f.joinStatic(5)
	f.joinMembers("joining", 1)

	req := kmsg.NewPtrDescribeGroupsRequest()
	req.Version = 5
	req.Groups = []string{"g", "joining", "nope", ""}
	resp := f.c.DescribeGroups(context.Background(), req)
	if len(resp.Groups) != 4 {
		t.Fatalf("got %d groups, want 4", len(resp.Groups))
	}
	g := resp.Groups[0]
	if g.ErrorCode != errNone || g.State != "Stable" || g.Protocol != "range" || g.ProtocolType != "consumer" || len(g.Members) != 2 {
		t.Errorf("stable group: %+v", g)
	}
	for _, m := range g.Members {
		if m.InstanceID == nil || ms[*m.InstanceID].id != m.MemberID {
			t.Errorf("static member %s: instance id %v", m.MemberID, m.InstanceID)
		}
		want := subscription("t")
		if !reflect.DeepEqual(m.ProtocolMetadata, want) || string(m.MemberAssignment) != "assign-"+m.MemberID {
			t.Errorf("member %s: metadata %x assignment %q", m.MemberID, m.ProtocolMetadata, m.MemberAssignment)
		}
	}
	j := resp.Groups[1]
	if j.State != "CompletingRebalance" || j.Protocol != "" || len(j.Members) != 1 ||
		len(j.Members[0].ProtocolMetadata) != 0 || len(j.Members[0].MemberAssignment) != 0 {
		t.Errorf("rebalancing group: %+v, want members without metadata or assignment", j)
	}
	if n := resp.Groups[2]; n.ErrorCode != errNone || n.State != "Dead" || len(n.Members) != 0 {
		t.Errorf("unknown group before v6: %+v, want Dead without error", n)
	}
	if e := resp.Groups[3]; e.ErrorCode != errNone || e.State != "Dead" {
		t.Errorf("empty group id: %+v, want Dead (Kafka allows describing it)", e)
	}
	req.Version = 6
	req.Groups = []string{"nope"}
	resp = f.c.DescribeGroups(context.Background(), req)
	if n := resp.Groups[0]; n.ErrorCode != errGroupIDNotFound || n.ErrorMessage == nil {
		t.Errorf("unknown group at v6: %+v, want GROUP_ID_NOT_FOUND with a message", n)
	}
	if resp.Groups[0].AuthorizedOperations != -2147483648 {
		t.Errorf("authorized operations: %d, want Kafka's 'omitted' value", resp.Groups[0].AuthorizedOperations)
	}
}
