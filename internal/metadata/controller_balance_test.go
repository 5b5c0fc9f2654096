package metadata

import (
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// imbalanceImage builds an image with brokers 1-3 (those in fenced
// fenced) and one topic "t" with the given partitions.
func imbalanceImage(fenced []int32, parts ...Partition) *Image {
	img := emptyImage()
	for id := int32(1); id <= 3; id++ {
		img.Brokers[id] = &Broker{ID: id, Epoch: int64(id), Fenced: slices.Contains(fenced, id)}
	}
	t := &Topic{Name: "t", ID: UUID{1: 1}}
	for i := range parts {
		p := parts[i]
		p.Topic, p.ID = "t", int32(i)
		t.Partitions = append(t.Partitions, &p)
	}
	img.Topics["t"], img.TopicsByID[t.ID] = t, t
	return img
}

// led returns a partition with replicas [pref, others...], all in the
// ISR, led by leader.
func led(leader int32, replicas ...int32) Partition {
	return Partition{Replicas: replicas, ISR: slices.Clone(replicas), Leader: leader}
}

// repeat returns n copies of p.
func repeat(n int, p Partition) []Partition {
	out := make([]Partition, n)
	for i := range out {
		out[i] = p
	}
	return out
}

func TestImbalancedLeaders(t *testing.T) {
	outOfISR := led(2, 1, 2, 3)
	outOfISR.ISR = []int32{2, 3}
	leaderless := led(NoLeader, 1, 2)
	tests := []struct {
		name       string
		fenced     []int32
		parts      []Partition
		percentage int32
		want       []int32 // partitions of t
	}{
		{"balanced", nil, []Partition{led(1, 1, 2), led(2, 2, 3), led(3, 3, 1)}, 10, nil},
		{"preferred back in the ISR", nil, []Partition{led(2, 1, 2), led(2, 2, 1), led(3, 1, 3)}, 10, []int32{0, 2}},
		{"preferred out of the ISR", nil, []Partition{outOfISR, led(2, 1, 2)}, 10, []int32{1}},
		{"preferred fenced", []int32{1}, []Partition{led(2, 1, 2), led(3, 1, 3)}, 10, nil},
		{"leaderless counts", nil, []Partition{leaderless, led(1, 1, 2)}, 10, []int32{0}},
		{"5% is within 10%", nil, append(repeat(19, led(1, 1, 2)), led(2, 1, 2)), 10, nil},
		{"10% is within 10%", nil, append(repeat(9, led(1, 1, 2)), led(2, 1, 2)), 10, nil},
		{"11% is not", nil, append(repeat(8, led(1, 1, 2)), led(2, 1, 2)), 10, []int32{8}},
		{"0% balances everything", nil, append(repeat(19, led(1, 1, 2)), led(2, 1, 2)), 0, []int32{19}},
		{"per broker", nil, append(append(repeat(19, led(1, 1, 2)), led(2, 1, 2)), led(3, 2, 3)), 10, []int32{20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int32
			for _, tp := range imbalancedLeaders(imbalanceImage(tt.fenced, tt.parts...), tt.percentage) {
				got = append(got, tp.partition)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got partitions %v, want %v", got, tt.want)
			}
		})
	}
}

// TestAutoLeaderBalancing runs a three-voter quorum with a short
// leader.imbalance.check.interval: after a broker fails and returns, the
// active controller gives it back the leadership of its preferred
// partitions once the leaders have added it back to their ISRs. The same
// cluster checks that reassignments work from any node.
func TestAutoLeaderBalancing(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{balanceInterval: 50 * time.Millisecond})
	c.waitReady(1, 2, 3)
	ctrl := c.nodes[1].Controller()
	registerBrokers(t, ctrl, "", "", "", "")
	createAssigned(t, ctrl, "t", []int32{1, 2, 3}, []int32{2, 3, 1}, []int32{3, 1, 2}, []int32{2, 1, 3})

	// preferredLed reports whether broker 2 leads the partitions it is
	// preferred for, on the active controller's image.
	preferredLed := func(img *Image) bool {
		for _, p := range img.Topics["t"].Partitions {
			if p.PreferredLeader() == 2 && p.Leader != 2 {
				return false
			}
		}
		return true
	}
	ctx := testContext(t)
	if err := ctrl.FenceBroker(ctx, 2, -1); err != nil {
		t.Fatal(err)
	}
	if err := ctrl.UnfenceBroker(ctx, 2, -1); err != nil {
		t.Fatal(err)
	}
	n := c.waitController()
	if img := n.Image(); preferredLed(img) {
		t.Fatalf("broker 2 leads right after returning: %v", img.Topics["t"].Partitions)
	}
	// Broker 2 is live but out of every ISR, so balancing must wait. The
	// leaders add it back, as they do once it has caught up.
	for i, p := range n.Image().Topics["t"].Partitions {
		if !p.InISR(2) {
			if r := alterISR(t, n, "t", int32(i), append(slices.Clone(p.ISR), 2)...); r.Err != nil {
				t.Fatalf("t-%d: add broker 2 to the ISR: %v", i, r.Err)
			}
		}
	}
	waitFor(t, clusterWait, "broker 2 to lead its preferred partitions again", func() bool {
		n := c.controller()
		return n != nil && preferredLed(n.Image())
	})
	for _, p := range c.waitController().Image().Topics["t"].Partitions {
		if p.Leader != p.PreferredLeader() {
			t.Errorf("t-%d: leader %d, want preferred %d", p.ID, p.Leader, p.PreferredLeader())
		}
	}

	t.Run("reassignment through followers", func(t *testing.T) {
		createAssigned(t, ctrl, "r", []int32{1, 2})
		f1 := c.follower()
		if err := reassign(t, f1.Controller(), "r", 0, []int32{4, 2}); err != nil {
			t.Fatal(err)
		}
		want := []OngoingReassignment{{Topic: "r", Replicas: []int32{4, 2, 1}, AddingReplicas: []int32{4}, RemovingReplicas: []int32{1}}}
		for _, id := range c.ids() {
			if got := listed(t, c.nodes[id].Controller(), nil); !reflect.DeepEqual(got, want) {
				t.Errorf("list on node %d: got %+v, want %+v", id, got, want)
			}
		}
		// Broker 4 joins the ISR: the move completes and leadership goes
		// to it, the preferred replica of the new assignment.
		n := c.waitController()
		r := alterISR(t, n, "r", 0, 1, 2, 4)
		wantErr(t, "completing AlterPartition", r.Err, kerr.NewLeaderElected, "")
		img := n.Image()
		if got := viewOf(img.Partition("r", 0)); got.Leader != 4 || !slices.Equal(got.Replicas, []int32{4, 2}) || got.Adding != nil || got.Removing != nil {
			t.Errorf("r-0 after completion: %v", got)
		}
		c.waitConverged(c.ids()...)
		for _, id := range c.ids() {
			if got := listed(t, c.nodes[id].Controller(), []TopicPartitions{{Topic: "r", Partitions: []int32{0}}}); len(got) != 0 {
				t.Errorf("list on node %d after completion: got %+v", id, got)
			}
		}
	})
}

// TestUncleanElectionForOfflinePartitions turns unclean leader election on
// for a topic whose partition is already offline: the active controller's
// periodic check elects an out-of-sync replica, and leaves the partitions
// of topics without it offline.
func TestUncleanElectionForOfflinePartitions(t *testing.T) {
	t.Parallel()
	var enabled atomic.Bool
	cfg := testControllerConfig()
	cfg.UncleanLeaderElection = func(_ *Image, topic string) bool { return topic == "u" && enabled.Load() }
	cfg.UncleanLeaderElectionCheckInterval = 20 * time.Millisecond
	n := openSingle(t, t.TempDir(), cfg)
	c := n.Controller()
	ctx := testContext(t)
	registerBrokers(t, c, "", "")
	for _, topic := range []string{"c", "u"} {
		createAssigned(t, c, topic, []int32{1, 2})
		// Broker 2 falls behind, then broker 1 fails: offline.
		if r := alterISR(t, n, topic, 0, 1); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if err := c.FenceBroker(ctx, 1, -1); err != nil {
		t.Fatal(err)
	}
	offline := partView{Replicas: []int32{1, 2}, ISR: []int32{1}, Leader: NoLeader, LeaderEpoch: 1, PartitionEpoch: 2}
	checkPartition(t, n, "u", 0, offline)

	enabled.Store(true)
	waitFor(t, clusterWait, "an unclean leader for u-0", func() bool { return n.Image().Partition("u", 0).HasLeader() })
	checkPartition(t, n, "u", 0, partView{Replicas: []int32{1, 2}, ISR: []int32{2}, Leader: 2, LeaderEpoch: 2, PartitionEpoch: 3})
	checkPartition(t, n, "c", 0, offline)
}
