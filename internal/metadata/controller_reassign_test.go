package metadata

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
)

// partView is the state of a partition the reassignment tests compare,
// with empty lists normalized to nil.
type partView struct {
	Replicas, ISR, Adding, Removing []int32
	Leader                          int32
	LeaderEpoch, PartitionEpoch     int32
}

func (v partView) String() string {
	return fmt.Sprintf("replicas %v isr %v adding %v removing %v leader %d epochs %d/%d",
		v.Replicas, v.ISR, v.Adding, v.Removing, v.Leader, v.LeaderEpoch, v.PartitionEpoch)
}

func nilIfEmpty(ids []int32) []int32 {
	if len(ids) == 0 {
		return nil
	}
	return ids
}

func viewOf(p *Partition) partView {
	return partView{
		Replicas: nilIfEmpty(p.Replicas), ISR: nilIfEmpty(p.ISR), Adding: nilIfEmpty(p.AddingReplicas),
		Removing: nilIfEmpty(p.RemovingReplicas), Leader: p.Leader, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch,
	}
}

func checkPartition(t *testing.T, n *Node, topic string, part int32, want partView) {
	t.Helper()
	p := n.Image().Partition(topic, part)
	if p == nil {
		t.Fatalf("%s-%d missing", topic, part)
	}
	if got := viewOf(p); !reflect.DeepEqual(got, want) {
		t.Errorf("%s-%d:\n got %v\nwant %v", topic, part, got, want)
	}
}

// createAssigned creates a topic with one partition per replica list.
func createAssigned(t *testing.T, c *Controller, name string, assignment ...[]int32) {
	t.Helper()
	spec := TopicSpec{Name: name, NumPartitions: -1, ReplicationFactor: -1, Assignment: map[int32][]int32{}}
	for i, replicas := range assignment {
		spec.Assignment[int32(i)] = replicas
	}
	if res := c.CreateTopics(testContext(t), []TopicSpec{spec}, false); res[0].Err != nil {
		t.Fatalf("create %s: %v", name, res[0].Err)
	}
}

// alterISR sends the AlterPartition its leader would send to set the ISR
// of a partition, at the partition's current epochs, as the replica layer
// does when a follower catches up or falls behind.
func alterISR(t *testing.T, n *Node, topic string, part int32, isr ...int32) ISRChangeResult {
	t.Helper()
	p := n.Image().Partition(topic, part)
	out, err := n.Controller().AlterPartition(testContext(t), p.Leader, -1, []ISRChange{{
		Topic: topic, Partition: part, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch, NewISR: isr,
	}})
	if err != nil {
		t.Fatalf("AlterPartition %s-%d %v: %v", topic, part, isr, err)
	}
	return out[0]
}

// reassign runs one reassignment and returns its error.
func reassign(t *testing.T, c *Controller, topic string, part int32, replicas []int32) error {
	t.Helper()
	out, err := c.AlterPartitionReassignments(testContext(t), []Reassignment{{Topic: topic, Partition: part, Replicas: replicas}})
	if err != nil {
		t.Fatalf("AlterPartitionReassignments: %v", err)
	}
	return out[0].Err
}

func listed(t *testing.T, c *Controller, topics []TopicPartitions) []OngoingReassignment {
	t.Helper()
	out, err := c.ListPartitionReassignments(testContext(t), topics)
	if err != nil {
		t.Fatalf("ListPartitionReassignments: %v", err)
	}
	return out
}

func TestCompleteReassignment(t *testing.T) {
	tests := []struct {
		name                            string
		replicas, isr, adding, removing []int32
		wantReplicas, wantISR           []int32
		wantOK                          bool
	}{
		{name: "nothing in progress", replicas: []int32{1, 2}, isr: []int32{1, 2}},
		{name: "adding replica not in the ISR yet", replicas: []int32{1, 2, 3}, isr: []int32{1, 2}, adding: []int32{3}},
		{name: "adding replica joined", replicas: []int32{1, 2, 3}, isr: []int32{2, 1, 3}, adding: []int32{3},
			wantReplicas: []int32{1, 2, 3}, wantISR: []int32{2, 1, 3}, wantOK: true},
		{name: "move waits for every target replica", replicas: []int32{3, 4, 1, 2}, isr: []int32{1, 2, 3}, adding: []int32{3, 4}, removing: []int32{1, 2}},
		{name: "move completes", replicas: []int32{3, 4, 1, 2}, isr: []int32{1, 2, 4, 3}, adding: []int32{3, 4}, removing: []int32{1, 2},
			wantReplicas: []int32{3, 4}, wantISR: []int32{4, 3}, wantOK: true},
		{name: "removal only", replicas: []int32{1, 2, 3}, isr: []int32{3, 1, 2}, removing: []int32{3},
			wantReplicas: []int32{1, 2}, wantISR: []int32{1, 2}, wantOK: true},
		{name: "removal with a target replica out of sync", replicas: []int32{1, 2, 3}, isr: []int32{1, 3}, removing: []int32{3}},
		{name: "only removing replicas in sync", replicas: []int32{2, 1}, isr: []int32{1}, adding: []int32{2}, removing: []int32{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, i, ok := completeReassignment(tt.replicas, tt.isr, tt.adding, tt.removing)
			if ok != tt.wantOK || !slices.Equal(r, tt.wantReplicas) || !slices.Equal(i, tt.wantISR) {
				t.Errorf("got %v %v %v, want %v %v %v", r, i, ok, tt.wantReplicas, tt.wantISR, tt.wantOK)
			}
		})
	}
}

// TestPartitionChangeElections pins the leader rules of KRaft's
// PartitionChangeBuilder that elections and balancing rely on.
func TestPartitionChangeElections(t *testing.T) {
	topic := &Topic{Name: "t", ID: UUID{1: 1}}
	fenced := func(ids ...int32) func(int32) bool {
		return func(id int32) bool { return !slices.Contains(ids, id) }
	}
	tests := []struct {
		name       string
		p          Partition
		target     changeTarget
		el         election
		acceptable func(int32) bool
		wantLeader int32 // NoLeaderChange: unchanged
		wantISR    []int32
		wantOK     bool
	}{
		{"preferred in ISR", Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{2, 3, 1}, Leader: 2}, changeTarget{}, electPreferred, fenced(),
			1, nil, true},
		{"preferred fenced keeps leader", Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{2, 3, 1}, Leader: 2}, changeTarget{}, electPreferred, fenced(1),
			NoLeaderChange, nil, false},
		{"preferred out of ISR keeps leader", Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{2, 3}, Leader: 2}, changeTarget{}, electPreferred, fenced(),
			NoLeaderChange, nil, false},
		{"preferred unavailable and leader gone: next in replica order", Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{3, 2}, Leader: NoLeader},
			changeTarget{}, electPreferred, fenced(), 2, nil, true},
		{"preferred election is never unclean", Partition{Replicas: []int32{1, 2}, ISR: []int32{1}, Leader: NoLeader}, changeTarget{}, electPreferred, fenced(1),
			NoLeaderChange, nil, false},
		{"online keeps a valid leader", Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{2, 1}, Leader: 2}, changeTarget{}, electOnline, fenced(),
			NoLeaderChange, nil, false},
		{"online moves off a leader leaving the ISR", Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{2, 3, 1}, Leader: 2},
			changeTarget{isr: []int32{3, 1}}, electOnline, fenced(2), 1, []int32{3, 1}, true},
		{"online keeps the last ISR member", Partition{Replicas: []int32{1, 2}, ISR: []int32{1}, Leader: 1},
			changeTarget{isr: []int32{}}, electOnline, fenced(1), NoLeader, nil, true},
		{"unclean prefers the ISR", Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{3}, Leader: NoLeader}, changeTarget{}, electUnclean, fenced(),
			3, nil, true},
		{"unclean takes an out-of-sync replica", Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1}, Leader: NoLeader}, changeTarget{}, electUnclean, fenced(1),
			2, []int32{2}, true},
		{"unclean without a live replica", Partition{Replicas: []int32{1, 2}, ISR: []int32{1}, Leader: NoLeader}, changeTarget{}, electUnclean, fenced(1, 2),
			NoLeaderChange, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			rec, ok := partitionChange(topic, &p, tt.target, tt.el, tt.acceptable)
			if ok != tt.wantOK || rec.Leader != tt.wantLeader || !slices.Equal(rec.ISR, tt.wantISR) {
				t.Errorf("got leader %d isr %v ok %v, want leader %d isr %v ok %v", rec.Leader, rec.ISR, ok, tt.wantLeader, tt.wantISR, tt.wantOK)
			}
		})
	}
}

func TestReassignmentValidation(t *testing.T) {
	t.Parallel()
	n := openSingle(t, t.TempDir(), testControllerConfig())
	c := n.Controller()
	registerBrokers(t, c, "", "", "")
	createAssigned(t, c, "t", []int32{1, 2})
	before := viewOf(n.Image().Partition("t", 0))

	tests := []struct {
		name string
		r    Reassignment
		code *kerr.Error
		msg  string
	}{
		{"unknown topic", Reassignment{Topic: "nope", Replicas: []int32{1}}, kerr.UnknownTopicOrPartition, "Unable to find a topic named nope."},
		{"unknown partition", Reassignment{Topic: "t", Partition: 3, Replicas: []int32{1}}, kerr.UnknownTopicOrPartition, "Unable to find partition t:3."},
		{"negative partition", Reassignment{Topic: "t", Partition: -1, Replicas: []int32{1}}, kerr.UnknownTopicOrPartition, "Unable to find partition t:-1."},
		{"empty target", Reassignment{Topic: "t", Replicas: []int32{}}, kerr.InvalidReplicaAssignment, "The manual partition assignment includes an empty replica list."},
		{"broker twice", Reassignment{Topic: "t", Replicas: []int32{2, 1, 2}}, kerr.InvalidReplicaAssignment, "The manual partition assignment includes the broker 2 more than once."},
		{"unregistered broker", Reassignment{Topic: "t", Replicas: []int32{1, 7}}, kerr.InvalidReplicaAssignment, "The manual partition assignment includes broker 7, but no such broker is registered."},
		{"cancel with nothing in progress", Reassignment{Topic: "t"}, kerr.NoReassignmentInProgress, kerr.NoReassignmentInProgress.Description},
		{"same replicas", Reassignment{Topic: "t", Replicas: []int32{1, 2}}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, "AlterPartitionReassignments", reassign(t, c, tt.r.Topic, tt.r.Partition, tt.r.Replicas), tt.code, tt.msg)
		})
	}
	checkPartition(t, n, "t", 0, before)
	if got := listed(t, c, nil); len(got) != 0 {
		t.Errorf("reassignments after refusals: got %+v, want none", got)
	}

	t.Run("one request, mixed results, one entry", func(t *testing.T) {
		idx := n.Image().Index
		out, err := c.AlterPartitionReassignments(testContext(t), []Reassignment{
			{Topic: "t", Replicas: []int32{1, 2, 3}},
			{Topic: "nope", Replicas: []int32{1}},
		})
		if err != nil {
			t.Fatal(err)
		}
		wantErr(t, "t-0", out[0].Err, nil, "")
		wantErr(t, "nope-0", out[1].Err, kerr.UnknownTopicOrPartition, "")
		if got := n.Image().Index; got != idx+1 {
			t.Errorf("image index: got %d, want %d (one entry)", got, idx+1)
		}
	})
}

// TestReassignmentAddsReplica moves t-0 from [1 2 3] to [1 2 4]: broker 4
// is added, broker 3 removed, and the move completes only when broker 4
// is in the ISR.
func TestReassignmentAddsReplica(t *testing.T) {
	t.Parallel()
	n := openSingle(t, t.TempDir(), testControllerConfig())
	c := n.Controller()
	registerBrokers(t, c, "", "", "", "")
	createAssigned(t, c, "t", []int32{1, 2, 3}, []int32{2, 3, 1})

	wantErr(t, "reassign", reassign(t, c, "t", 0, []int32{1, 2, 4}), nil, "")
	inProgress := partView{Replicas: []int32{1, 2, 4, 3}, ISR: []int32{1, 2, 3}, Adding: []int32{4}, Removing: []int32{3},
		Leader: 1, LeaderEpoch: 0, PartitionEpoch: 1}
	checkPartition(t, n, "t", 0, inProgress)
	want := []OngoingReassignment{{Topic: "t", Partition: 0, Replicas: []int32{1, 2, 4, 3}, AddingReplicas: []int32{4}, RemovingReplicas: []int32{3}}}
	for _, filter := range [][]TopicPartitions{nil, {{Topic: "t", Partitions: []int32{0, 1, 0, 9}}, {Topic: "nope", Partitions: []int32{0}}}} {
		if got := listed(t, c, filter); !reflect.DeepEqual(got, want) {
			t.Errorf("list %v: got %+v, want %+v", filter, got, want)
		}
	}
	if got := listed(t, c, []TopicPartitions{{Topic: "t", Partitions: []int32{1}}}); len(got) != 0 {
		t.Errorf("list t-1: got %+v, want none", got)
	}

	// Broker 3, being removed, falls behind: still not complete.
	if r := alterISR(t, n, "t", 0, 1, 2); r.Err != nil {
		t.Fatal(r.Err)
	}
	inProgress.ISR, inProgress.PartitionEpoch = []int32{1, 2}, 2
	checkPartition(t, n, "t", 0, inProgress)

	// Broker 4 catches up and the leader adds it to the ISR: the same
	// change completes the reassignment and bumps the leader epoch, as a
	// replica left.
	r := alterISR(t, n, "t", 0, 1, 2, 4)
	if r.Err != nil || r.Leader != 1 || !slices.Equal(r.ISR, []int32{1, 2, 4}) || r.LeaderEpoch != 1 || r.PartitionEpoch != 3 {
		t.Errorf("completing AlterPartition: got %+v, want leader 1 isr [1 2 4] epochs 1/3", r)
	}
	checkPartition(t, n, "t", 0, partView{Replicas: []int32{1, 2, 4}, ISR: []int32{1, 2, 4}, Leader: 1, LeaderEpoch: 1, PartitionEpoch: 3})
	if got := listed(t, c, nil); len(got) != 0 {
		t.Errorf("list after completion: got %+v, want none", got)
	}
	wantErr(t, "cancel after completion", reassign(t, c, "t", 0, nil), kerr.NoReassignmentInProgress, "")
}

// TestReassignmentRemovesLeader moves t-0 off its leader.
func TestReassignmentRemovesLeader(t *testing.T) {
	t.Parallel()
	n := openSingle(t, t.TempDir(), testControllerConfig())
	c := n.Controller()
	registerBrokers(t, c, "", "", "", "")
	createAssigned(t, c, "t", []int32{1, 2, 3}, []int32{1, 2, 3}, []int32{1, 2, 3})

	t.Run("completing through AlterPartition", func(t *testing.T) {
		wantErr(t, "reassign", reassign(t, c, "t", 0, []int32{2, 3, 4}), nil, "")
		checkPartition(t, n, "t", 0, partView{Replicas: []int32{2, 3, 4, 1}, ISR: []int32{1, 2, 3}, Adding: []int32{4}, Removing: []int32{1},
			Leader: 1, LeaderEpoch: 0, PartitionEpoch: 1})
		// The old leader adds broker 4 and so completes the move that
		// removes it: the change is made and it hears NEW_LEADER_ELECTED.
		r := alterISR(t, n, "t", 0, 1, 2, 3, 4)
		wantErr(t, "old leader's AlterPartition", r.Err, kerr.NewLeaderElected, "")
		checkPartition(t, n, "t", 0, partView{Replicas: []int32{2, 3, 4}, ISR: []int32{2, 3, 4}, Leader: 2, LeaderEpoch: 1, PartitionEpoch: 2})
	})
	t.Run("complete at once", func(t *testing.T) {
		// Every target replica is in the ISR already; the first one
		// takes over.
		wantErr(t, "reassign", reassign(t, c, "t", 1, []int32{3, 2}), nil, "")
		checkPartition(t, n, "t", 1, partView{Replicas: []int32{3, 2}, ISR: []int32{2, 3}, Leader: 3, LeaderEpoch: 1, PartitionEpoch: 1})
	})
	t.Run("reorder keeps the leader", func(t *testing.T) {
		wantErr(t, "reassign", reassign(t, c, "t", 2, []int32{3, 1, 2}), nil, "")
		checkPartition(t, n, "t", 2, partView{Replicas: []int32{3, 1, 2}, ISR: []int32{1, 2, 3}, Leader: 1, LeaderEpoch: 0, PartitionEpoch: 1})
		// A preferred election moves leadership to the new first replica.
		out, err := c.ElectLeaders(testContext(t), PreferredElection, []TopicPartitions{{Topic: "t", Partitions: []int32{2}}})
		if err != nil || out[0].Err != nil {
			t.Fatalf("preferred election: %v %+v", err, out)
		}
		checkPartition(t, n, "t", 2, partView{Replicas: []int32{3, 1, 2}, ISR: []int32{1, 2, 3}, Leader: 3, LeaderEpoch: 1, PartitionEpoch: 2})
	})
}

func TestCancelReassignment(t *testing.T) {
	t.Parallel()
	cfg := testControllerConfig()
	cfg.UncleanLeaderElection = func(_ *Image, topic string) bool { return topic == "unclean" }
	n := openSingle(t, t.TempDir(), cfg)
	c := n.Controller()
	ctx := testContext(t)
	registerBrokers(t, c, "", "", "", "")

	t.Run("reverts", func(t *testing.T) {
		createAssigned(t, c, "t", []int32{1, 2})
		wantErr(t, "reassign", reassign(t, c, "t", 0, []int32{3, 4}), nil, "")
		// Broker 3 has caught up, broker 4 not yet.
		if r := alterISR(t, n, "t", 0, 1, 2, 3); r.Err != nil {
			t.Fatal(r.Err)
		}
		checkPartition(t, n, "t", 0, partView{Replicas: []int32{3, 4, 1, 2}, ISR: []int32{1, 2, 3}, Adding: []int32{3, 4}, Removing: []int32{1, 2},
			Leader: 1, LeaderEpoch: 0, PartitionEpoch: 2})
		wantErr(t, "cancel", reassign(t, c, "t", 0, nil), nil, "")
		checkPartition(t, n, "t", 0, partView{Replicas: []int32{1, 2}, ISR: []int32{1, 2}, Leader: 1, LeaderEpoch: 1, PartitionEpoch: 3})
		if got := listed(t, c, nil); len(got) != 0 {
			t.Errorf("list after cancel: got %+v, want none", got)
		}
		wantErr(t, "cancel again", reassign(t, c, "t", 0, nil), kerr.NoReassignmentInProgress, "")
	})

	// A partition whose ISR holds only adding replicas can only be
	// reverted by an unclean election.
	for _, topic := range []string{"clean", "unclean"} {
		createAssigned(t, c, topic, []int32{1})
		wantErr(t, topic+" reassign", reassign(t, c, topic, 0, []int32{2}), nil, "")
	}
	// Broker 1 fails. On "unclean" the fencing itself elects broker 2,
	// uncleanly; on "clean" an explicit unclean election does.
	if err := c.FenceBroker(ctx, 1, -1); err != nil {
		t.Fatal(err)
	}
	out, err := c.ElectLeaders(ctx, UncleanElection, []TopicPartitions{{Topic: "clean", Partitions: []int32{0}}})
	if err != nil || out[0].Err != nil {
		t.Fatalf("unclean election: %v %+v", err, out)
	}
	onlyAdding := partView{Replicas: []int32{2, 1}, ISR: []int32{2}, Adding: []int32{2}, Removing: []int32{1}, Leader: 2}
	onlyAdding.LeaderEpoch, onlyAdding.PartitionEpoch = 2, 3
	checkPartition(t, n, "clean", 0, onlyAdding)
	onlyAdding.LeaderEpoch, onlyAdding.PartitionEpoch = 1, 2
	checkPartition(t, n, "unclean", 0, onlyAdding)
	t.Run("refused without unclean election", func(t *testing.T) {
		wantErr(t, "cancel", reassign(t, c, "clean", 0, nil), kerr.InvalidReplicaAssignment,
			"Unable to revert partition assignment for clean:0 because it would require an unclean leader election.")
	})
	t.Run("unclean revert", func(t *testing.T) {
		wantErr(t, "cancel", reassign(t, c, "unclean", 0, nil), nil, "")
		// Broker 1 is fenced: the partition is back on it, offline.
		checkPartition(t, n, "unclean", 0, partView{Replicas: []int32{1}, ISR: []int32{1}, Leader: NoLeader, LeaderEpoch: 2, PartitionEpoch: 3})
	})
}
