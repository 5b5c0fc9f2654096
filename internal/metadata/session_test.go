package metadata

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

const testHeartbeat = 50 * time.Millisecond

// startBroker starts the lifecycle of broker id on node id (combined
// mode) with incarnation inc.
func (c *testCluster) startBroker(id int32, inc byte) *BrokerLifecycle {
	reg := BrokerRegistration{ID: id, IncarnationID: UUID{0: byte(id), 15: inc}, ClusterID: testClusterID,
		Listeners: []Endpoint{{Name: "PLAINTEXT", Host: "127.0.0.1", Port: 9090 + id}}}
	return c.nodes[id].StartBrokerLifecycle(reg, BrokerLifecycleConfig{HeartbeatInterval: testHeartbeat})
}

// startBrokers starts a broker on each voter and waits until all are
// unfenced.
func (c *testCluster) startBrokers() map[int32]*BrokerLifecycle {
	c.t.Helper()
	lcs := map[int32]*BrokerLifecycle{}
	for _, id := range []int32{1, 2, 3} {
		lcs[id] = c.startBroker(id, 1)
	}
	for id, lc := range lcs {
		if _, err := lc.WaitUnfenced(testContext(c.t)); err != nil {
			c.t.Fatalf("broker %d: %v", id, err)
		}
	}
	return lcs
}

// leaderships returns the partitions broker id leads and those whose ISR
// holds it.
func leaderships(img *Image, id int32) (led, inISR int) {
	for _, t := range img.Topics {
		for _, p := range t.Partitions {
			if p.Leader == id {
				led++
			}
			if p.InISR(id) {
				inISR++
			}
		}
	}
	return led, inISR
}

// busiestFollowerBroker returns the broker, on a node that is not the
// controller, that leads the most partitions.
func (c *testCluster) busiestFollowerBroker() int32 {
	c.t.Helper()
	img := c.waitController().Image()
	best, most := int32(-1), -1
	for _, id := range c.ids() {
		if c.nodes[id].IsController() {
			continue
		}
		if led, _ := leaderships(img, id); led > most {
			best, most = id, led
		}
	}
	if most <= 0 {
		c.t.Fatalf("no follower's broker leads a partition: %v", img.Topics)
	}
	return best
}

// checkMovedOff checks that broker id leads nothing and is in no ISR, and
// that every partition still has a leader.
func checkMovedOff(t *testing.T, img *Image, id int32) {
	t.Helper()
	if led, inISR := leaderships(img, id); led != 0 || inISR != 0 {
		t.Errorf("broker %d still leads %d partitions and is in %d ISRs", id, led, inISR)
	}
	for _, tp := range img.Topics {
		for _, p := range tp.Partitions {
			if !p.HasLeader() {
				t.Errorf("%s-%d has no leader (isr %v)", tp.Name, p.ID, p.ISR)
			}
		}
	}
}

func TestBrokerSessionExpiry(t *testing.T) {
	t.Parallel()
	const session = 1500 * time.Millisecond
	ctx := testContext(t)
	c := startCluster(t, clusterOptions{session: session})
	c.waitReady(1, 2, 3)
	lcs := c.startBrokers()
	createTopic(t, c.nodes[1].Controller(), "t", 6, 3)
	c.waitConverged(1, 2, 3)

	// Heartbeats keep every session alive well past the timeout.
	deadline := time.Now().Add(2 * session)
	waitFor(t, 10*time.Second, "two session timeouts", func() bool { return time.Now().After(deadline) })
	for id := int32(1); id <= 3; id++ {
		if b := c.nodes[id].Image().Brokers[id]; b.Fenced {
			t.Fatalf("heartbeating broker %d was fenced", id)
		}
	}

	// A broker that stops heartbeating (its node stays up) is fenced
	// within its session timeout, and its partitions get new leaders.
	victim := c.busiestFollowerBroker()
	led, _ := leaderships(c.nodes[victim].Image(), victim)
	lcs[victim].Close()
	stopped := time.Now()
	waitFor(t, clusterWait, fmt.Sprintf("broker %d to be fenced", victim), func() bool {
		return c.nodes[victim].Image().Brokers[victim].Fenced
	})
	took := time.Since(stopped)
	t.Logf("broker %d, leading %d partitions, fenced %v after its last heartbeat (session timeout %v)", victim, led, took, session)
	if took < session-2*testHeartbeat {
		t.Errorf("fenced after %v, before the session timeout %v", took, session)
	}
	// A controller change restarts every session, so the bound counts
	// from the later of the last heartbeat and the current controller's
	// activation.
	if ctl := c.controller(); ctl != nil {
		from := stopped
		if since := time.Unix(0, ctl.activeSince.Load()); since.After(from) {
			from = since
		}
		// Normally a tenth of a second over the timeout (the checker's
		// period and the commit); the margin allows for a loaded machine.
		if late := time.Since(from); late > session+5*time.Second {
			t.Errorf("fenced %v after the session could start, want within the session timeout %v", late, session)
		}
	}
	c.waitConverged(1, 2, 3)
	checkMovedOff(t, c.nodes[victim].Image(), victim)
	for id := int32(1); id <= 3; id++ {
		if b := c.nodes[id].Image().Brokers[id]; id != victim && b.Fenced {
			t.Errorf("live broker %d fenced", id)
		}
	}

	// It comes back as a new incarnation at once: the old one is fenced.
	lc := c.startBroker(victim, 2)
	defer lc.Close()
	if _, err := lc.WaitUnfenced(ctx); err != nil {
		t.Fatal(err)
	}
	c.waitConverged(1, 2, 3)
	if b := c.nodes[1].Image().Brokers[victim]; b.Fenced || b.IncarnationID != (UUID{0: byte(victim), 15: 2}) {
		t.Errorf("broker %d after re-registering: got %+v, want the new incarnation, unfenced", victim, b)
	}
}

func TestDuplicateRegistrationWaitsForSession(t *testing.T) {
	t.Parallel()
	const session = 1500 * time.Millisecond
	ctx := testContext(t)
	c := startCluster(t, clusterOptions{session: session})
	c.waitReady(1, 2, 3)
	first := c.startBroker(2, 1)
	if _, err := first.WaitUnfenced(ctx); err != nil {
		t.Fatal(err)
	}
	// Another incarnation of broker 2 (a restart before the old session
	// expired) is refused while the old one heartbeats...
	second := c.startBroker(2, 2)
	defer second.Close()
	deadline := time.Now().Add(2 * session)
	waitFor(t, 10*time.Second, "two session timeouts", func() bool { return time.Now().After(deadline) })
	if st := second.State(); st.Epoch != 0 {
		t.Fatalf("second incarnation registered while the first heartbeats: %+v", st)
	}
	// ...and registers once the old session has expired.
	first.Close()
	stopped := time.Now()
	epoch, err := second.WaitUnfenced(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("second incarnation unfenced %v after the first stopped (session timeout %v)", time.Since(stopped), session)
	if b := c.nodes[2].Image().Brokers[2]; b.IncarnationID != (UUID{0: 2, 15: 2}) || b.Epoch != epoch || b.Fenced {
		t.Errorf("registration: got %+v, want the second incarnation, unfenced, epoch %d", b, epoch)
	}
}

func TestControlledShutdown(t *testing.T) {
	t.Parallel()
	// A session timeout far beyond the test: nothing here may wait for it.
	const session = time.Minute
	ctx := testContext(t)
	c := startCluster(t, clusterOptions{session: session})
	c.waitReady(1, 2, 3)
	lcs := c.startBrokers()
	createTopic(t, c.nodes[1].Controller(), "t", 6, 3)
	createTopic(t, c.nodes[2].Controller(), "u", 3, 2)
	c.waitConverged(1, 2, 3)

	// The broker on a follower node, then the one on the controller's node
	// (the shutdown is then handled locally).
	order := []int32{c.busiestFollowerBroker(), c.controller().cfg.NodeID}
	for _, id := range order {
		start := time.Now()
		if err := lcs[id].ControlledShutdown(ctx); err != nil {
			t.Fatalf("controlled shutdown of broker %d: %v", id, err)
		}
		took := time.Since(start)
		t.Logf("controlled shutdown of broker %d granted in %v", id, took)
		if took > 5*time.Second {
			t.Errorf("controlled shutdown took %v", took)
		}
		if st := lcs[id].State(); !st.ShutDown || !st.Fenced {
			t.Errorf("state after controlled shutdown: %+v", st)
		}
		// The controller granted it after committing the fence; every
		// node applies it.
		c.waitConverged(1, 2, 3)
		img := c.nodes[1].Image()
		if !img.Brokers[id].Fenced {
			t.Errorf("broker %d not fenced after its controlled shutdown", id)
		}
		for _, tp := range img.Topics {
			for _, p := range tp.Partitions {
				// As in KRaft, the last ISR member stays in the ISR,
				// leaderless, so that it can lead again cleanly.
				if p.Leader == id || p.InISR(id) && (len(p.ISR) > 1 || p.HasLeader()) {
					t.Errorf("%s-%d: leader %d, isr %v after broker %d shut down", tp.Name, p.ID, p.Leader, p.ISR, id)
				}
			}
		}
		if err := lcs[id].ControlledShutdown(ctx); err != nil {
			t.Errorf("second ControlledShutdown: %v", err)
		}
	}
	// The last broker holds every leadership.
	last := int32(6) - order[0] - order[1]
	for _, tp := range c.nodes[1].Image().Topics {
		for _, p := range tp.Partitions {
			if p.Leader != last && p.HasLeader() {
				t.Errorf("%s-%d led by %d, want %d", tp.Name, p.ID, p.Leader, last)
			}
		}
	}
}

func TestControllerFailoverRestartsSessions(t *testing.T) {
	t.Parallel()
	const session = 1500 * time.Millisecond
	c := startCluster(t, clusterOptions{session: session})
	c.waitReady(1, 2, 3)
	c.startBrokers()
	createTopic(t, c.nodes[1].Controller(), "t", 6, 3)
	c.waitConverged(1, 2, 3)

	old := c.controller().cfg.NodeID
	var survivors []int32
	for _, id := range c.ids() {
		if id != old {
			survivors = append(survivors, id)
		}
	}
	// Watch a survivor's image for any fencing of a live broker.
	var mu sync.Mutex
	var wronglyFenced []int32
	_, cancel := c.nodes[survivors[0]].Subscribe(func(prev, next *Image) {
		for _, id := range survivors {
			if b := next.Brokers[id]; b != nil && b.Fenced {
				mu.Lock()
				wronglyFenced = append(wronglyFenced, id)
				mu.Unlock()
			}
		}
	})
	defer cancel()

	// Kill the controller's node, broker included: no controlled shutdown.
	c.kill(old)
	killed := time.Now()
	next := c.waitController()
	t.Logf("controller moved from node %d to node %d in %v", old, next.cfg.NodeID, time.Since(killed))
	waitFor(t, clusterWait, fmt.Sprintf("broker %d to be fenced", old), func() bool {
		return next.Image().Brokers[old].Fenced
	})
	t.Logf("dead broker %d fenced %v after the kill (session timeout %v)", old, time.Since(killed), session)
	c.waitConverged(survivors...)
	checkMovedOff(t, next.Image(), old)
	// The survivors kept heartbeating through the failover; well past
	// another session timeout none of them was fenced.
	deadline := time.Now().Add(2 * session)
	waitFor(t, 10*time.Second, "two session timeouts", func() bool { return time.Now().After(deadline) })
	mu.Lock()
	defer mu.Unlock()
	if len(wronglyFenced) > 0 {
		t.Errorf("live brokers fenced during the failover: %v", wronglyFenced)
	}
}

// TestHeartbeatErrors covers heartbeats that do not match a registration,
// and wantFence, through a follower.
func TestHeartbeatErrors(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := startCluster(t, clusterOptions{session: time.Minute})
	c.waitReady(1, 2, 3)
	ctl := c.follower().Controller()
	epoch, err := ctl.RegisterBroker(ctx, BrokerRegistration{ID: 5, IncarnationID: UUID{5: 5}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		hb       BrokerHeartbeat
		want     BrokerHeartbeatReply
		wantCode *kerr.Error
	}{
		{"unknown broker", BrokerHeartbeat{BrokerID: 9, BrokerEpoch: 1}, BrokerHeartbeatReply{}, kerr.BrokerIDNotRegistered},
		{"stale epoch", BrokerHeartbeat{BrokerID: 5, BrokerEpoch: epoch - 1}, BrokerHeartbeatReply{}, kerr.StaleBrokerEpoch},
		{"not caught up", BrokerHeartbeat{BrokerID: 5, BrokerEpoch: epoch, AppliedIndex: uint64(epoch) - 1},
			BrokerHeartbeatReply{IsFenced: true}, nil},
		{"caught up but wants fence", BrokerHeartbeat{BrokerID: 5, BrokerEpoch: epoch, AppliedIndex: uint64(epoch), WantFence: true},
			BrokerHeartbeatReply{IsCaughtUp: true, IsFenced: true}, nil},
		{"caught up", BrokerHeartbeat{BrokerID: 5, BrokerEpoch: epoch, AppliedIndex: uint64(epoch)},
			BrokerHeartbeatReply{IsCaughtUp: true}, nil},
		{"wants fence again", BrokerHeartbeat{BrokerID: 5, BrokerEpoch: epoch, AppliedIndex: uint64(epoch), WantFence: true},
			BrokerHeartbeatReply{IsCaughtUp: true, IsFenced: true}, nil},
		{"wants shutdown", BrokerHeartbeat{BrokerID: 5, BrokerEpoch: epoch, AppliedIndex: uint64(epoch), WantShutDown: true},
			BrokerHeartbeatReply{IsCaughtUp: true, IsFenced: true, ShouldShutDown: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ctl.BrokerHeartbeat(ctx, tt.hb)
			if tt.wantCode != nil {
				if !errors.Is(err, tt.wantCode) {
					t.Fatalf("got %v, want %v", err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	// A lifecycle whose context ends before a controller answers stops
	// cleanly.
	shortCtx, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	<-shortCtx.Done()
	if _, err := ctl.BrokerHeartbeat(shortCtx, BrokerHeartbeat{BrokerID: 5, BrokerEpoch: epoch}); err == nil {
		t.Error("heartbeat with an expired context: got nil error")
	}
}

// TestSeparateRoles runs process.roles=controller on the three voters and
// process.roles=broker on two observers that know the controllers only
// from controller.quorum.bootstrap.servers: the brokers register,
// heartbeat and hold all partitions; the controllers hold none and
// register nothing.
func TestSeparateRoles(t *testing.T) {
	t.Parallel()
	const session = 1500 * time.Millisecond
	ctx := testContext(t)
	c := startCluster(t, clusterOptions{observers: 2, session: session, bootstrapOnly: true})
	c.waitReady(1, 2, 3, 4, 5)
	for _, id := range []int32{4, 5} {
		if c.nodes[id].IsVoter() {
			t.Fatalf("node %d, with only bootstrap servers, is a voter", id)
		}
	}
	lcs := map[int32]*BrokerLifecycle{}
	for _, id := range []int32{4, 5} {
		lcs[id] = c.startBroker(id, 1)
		defer lcs[id].Close()
	}
	for id, lc := range lcs {
		if _, err := lc.WaitUnfenced(ctx); err != nil {
			t.Fatalf("broker %d: %v", id, err)
		}
	}
	createTopic(t, c.nodes[4].Controller(), "t", 4, 2)
	c.waitConverged(1, 2, 3, 4, 5)
	img := c.nodes[5].Image()
	if got := len(img.Brokers); got != 2 {
		t.Errorf("registered brokers: got %d, want 2 (the controllers are not brokers)", got)
	}
	for _, p := range img.Topics["t"].Partitions {
		for _, r := range p.Replicas {
			if r != 4 && r != 5 {
				t.Errorf("t-%d has replica %d on a controller-only node", p.ID, r)
			}
		}
	}
	// Broker 4 stops heartbeating: fenced, and broker 5 leads everything.
	lcs[4].Close()
	waitFor(t, clusterWait, "broker 4 to be fenced", func() bool { return c.nodes[5].Image().Brokers[4].Fenced })
	c.waitConverged(1, 2, 3, 4, 5)
	checkMovedOff(t, c.nodes[5].Image(), 4)
	if b := c.nodes[5].Image().Brokers[5]; b.Fenced {
		t.Error("heartbeating broker 5 fenced")
	}
}
