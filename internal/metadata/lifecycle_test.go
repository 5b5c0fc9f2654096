package metadata

import (
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// TestLifecycleSingleNode runs the broker lifecycle where the broker's own
// node is the whole quorum, as a zero-set-up kafka-server does, through a
// restart after a crash.
func TestLifecycleSingleNode(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	dir := t.TempDir()
	reg := func(inc byte) BrokerRegistration {
		return BrokerRegistration{ID: 1, IncarnationID: UUID{15: inc}, ClusterID: testClusterID,
			Listeners: []Endpoint{{Name: "PLAINTEXT", Host: "localhost", Port: 9092}}}
	}
	n := openSingle(t, dir, ControllerConfig{})
	start := time.Now()
	lc := n.StartBrokerLifecycle(reg(1), BrokerLifecycleConfig{HeartbeatInterval: 2 * time.Second})
	epoch, err := lc.WaitUnfenced(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The first heartbeat goes out at once and unfences: start-up does not
	// wait for a heartbeat interval.
	t.Logf("single-node broker registered and unfenced in %v", time.Since(start))
	if took := time.Since(start); took > time.Second {
		t.Errorf("unfenced after %v, want well under the 2s heartbeat interval", took)
	}
	if st := lc.State(); st.Epoch != epoch || st.Fenced || st.ShutDown || st.Err != nil {
		t.Errorf("state: got %+v", st)
	}
	createTopic(t, n.Controller(), "t", 2, 1)

	// A crash: the node stops without a controlled shutdown, so its
	// registration stays unfenced. Without session expiry the restarted
	// broker would wait forever; ReplaceStaleIncarnation fences the old
	// incarnation instead.
	n.Close()
	if _, err := lc.WaitUnfenced(ctx); err == nil {
		t.Error("WaitUnfenced after the node closed: got nil error")
	}
	n = openSingle(t, dir, ControllerConfig{})
	if b := n.Image().Brokers[1]; b == nil || b.Fenced {
		t.Fatalf("registration after the crash: got %+v, want the old one unfenced", b)
	}
	waiting := n.StartBrokerLifecycle(reg(2), BrokerLifecycleConfig{HeartbeatInterval: 20 * time.Millisecond})
	deadline := time.Now().Add(200 * time.Millisecond)
	waitFor(t, 5*time.Second, "a few registration attempts", func() bool { return time.Now().After(deadline) })
	if st := waiting.State(); st.Epoch != 0 {
		t.Fatalf("second incarnation registered over a live one: %+v", st)
	}
	waiting.Close()
	start = time.Now()
	lc = n.StartBrokerLifecycle(reg(3), BrokerLifecycleConfig{HeartbeatInterval: 20 * time.Millisecond, ReplaceStaleIncarnation: true})
	epoch, err = lc.WaitUnfenced(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("restarted broker replaced its stale incarnation and was unfenced in %v", time.Since(start))
	if b := n.Image().Brokers[1]; b.IncarnationID != (UUID{15: 3}) || b.Epoch != epoch {
		t.Errorf("registration: got %+v, want incarnation 3 with epoch %d", b, epoch)
	}
	if p := n.Image().Partition("t", 0); p.Leader != 1 {
		t.Errorf("t-0 leader after the restart: got %d, want 1", p.Leader)
	}

	// A clean stop: the controlled shutdown leaves nothing led.
	if err := lc.ControlledShutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if p := n.Image().Partition("t", 0); p.Leader != NoLeader {
		t.Errorf("t-0 leader after the controlled shutdown: got %d, want none", p.Leader)
	}
	lc.Close()
	lc.Close()
}

func TestLifecycleRefused(t *testing.T) {
	t.Parallel()
	n := openSingle(t, t.TempDir(), ControllerConfig{})
	lc := n.StartBrokerLifecycle(BrokerRegistration{ID: 1, ClusterID: "another"}, BrokerLifecycleConfig{HeartbeatInterval: 10 * time.Millisecond})
	defer lc.Close()
	_, err := lc.WaitUnfenced(testContext(t))
	if !errors.Is(err, kerr.InconsistentClusterID) {
		t.Fatalf("got %v, want INCONSISTENT_CLUSTER_ID", err)
	}
	if err := lc.ControlledShutdown(testContext(t)); err == nil {
		t.Error("ControlledShutdown of a stopped lifecycle: got nil error")
	}
}

// TestLifecycleReregisters checks that a broker whose registration the
// controller dropped registers again by itself.
func TestLifecycleReregisters(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	n := openSingle(t, t.TempDir(), ControllerConfig{})
	lc := n.StartBrokerLifecycle(BrokerRegistration{ID: 1, IncarnationID: UUID{1: 1}}, BrokerLifecycleConfig{HeartbeatInterval: 10 * time.Millisecond})
	defer lc.Close()
	first, err := lc.WaitUnfenced(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Controller().UnregisterBroker(ctx, 1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, clusterWait, "a new registration", func() bool {
		b := n.Image().Brokers[1]
		return b != nil && b.Epoch > first && !b.Fenced
	})
}
