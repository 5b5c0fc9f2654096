package metadata

import (
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

type testCluster struct {
	t      *testing.T
	voters map[int32]string
	dirs   map[int32]string
	nodes  map[int32]*Node
}

// startCluster starts a 3-voter quorum over real loopback TCP, each node
// with its own directory and listener.
func startCluster(t *testing.T) *testCluster {
	t.Helper()
	c := &testCluster{t: t, voters: map[int32]string{}, dirs: map[int32]string{}, nodes: map[int32]*Node{}}
	lns := map[int32]net.Listener{}
	for id := int32(1); id <= 3; id++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[id] = ln
		c.voters[id] = ln.Addr().String()
		c.dirs[id] = t.TempDir()
	}
	for id, ln := range lns {
		c.open(id, ln)
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			n.Close()
		}
	})
	return c
}

func (c *testCluster) open(id int32, ln net.Listener) {
	c.t.Helper()
	n, err := Open(Config{
		NodeID: id, Dir: c.dirs[id], ClusterID: testClusterID, Voters: c.voters, Listener: ln,
		Logger: testLogger(), Controller: testControllerConfig(),
	})
	if err != nil {
		c.t.Fatalf("open node %d: %v", id, err)
	}
	c.nodes[id] = n
}

func (c *testCluster) waitReady(ids ...int32) {
	c.t.Helper()
	for _, id := range ids {
		if err := c.nodes[id].WaitReady(testContext(c.t)); err != nil {
			c.t.Fatalf("node %d: %v", id, err)
		}
	}
}

// controller returns the active controller among the open nodes, or nil.
func (c *testCluster) controller() *Node {
	for _, n := range c.nodes {
		if n.IsController() {
			return n
		}
	}
	return nil
}

// waitConverged waits until the given nodes hold identical images.
func (c *testCluster) waitConverged(ids ...int32) string {
	c.t.Helper()
	var img string
	waitFor(c.t, 10*time.Second, fmt.Sprintf("images of nodes %v to converge", ids), func() bool {
		first, err := EncodeImage(c.nodes[ids[0]].Image())
		if err != nil {
			return false
		}
		for _, id := range ids[1:] {
			other, _ := EncodeImage(c.nodes[id].Image())
			if string(other) != string(first) {
				return false
			}
		}
		img = string(first)
		return true
	})
	return img
}

func TestThreeVoterQuorum(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := startCluster(t)
	start := time.Now()
	c.waitReady(1, 2, 3)
	t.Logf("3-voter quorum ready in %v", time.Since(start))
	leader := c.controller()
	if leader == nil {
		t.Fatal("no active controller after all nodes are ready")
	}
	lid := leader.cfg.NodeID
	for id, n := range c.nodes {
		if got, ok := n.Leader(); !ok || got != lid {
			t.Errorf("node %d sees leader %d (%v), want %d", id, got, ok, lid)
		}
		if id != lid {
			res := n.Controller().CreateTopics(ctx, []TopicSpec{{Name: "on-follower", NumPartitions: 1, ReplicationFactor: 1}}, false)
			if !errors.Is(res[0].Err, kerr.NotController) {
				t.Errorf("CreateTopics on follower %d: got %v, want NOT_CONTROLLER", id, res[0].Err)
			}
			if _, err := n.Propose(ctx, NoOpRecord{}); !errors.Is(err, kerr.NotController) {
				t.Errorf("Propose on follower %d: got %v, want NOT_CONTROLLER", id, err)
			}
		}
	}

	registerBrokers(t, leader.Controller(), "a", "b", "c")
	first := createTopic(t, leader.Controller(), "first", 6, 3)
	c.waitConverged(1, 2, 3)

	// Create topics in a burst and kill the controller in the middle of it.
	// Every creation acknowledged to the "client" must survive, with its id.
	acked := map[string]TopicID{}
	killed := make(chan time.Time, 1)
	for i := 0; i < 30; i++ {
		name := fmt.Sprintf("burst-%02d", i)
		if i == 10 {
			go func() {
				leader.Close()
				killed <- time.Now()
			}()
		}
		deadline := time.Now().Add(15 * time.Second)
		for {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no controller accepted it", name)
			}
			var n *Node
			waitFor(t, 15*time.Second, "an active controller", func() bool { n = c.controller(); return n != nil })
			res := n.Controller().CreateTopics(ctx, []TopicSpec{{Name: name, NumPartitions: 2, ReplicationFactor: 2}}, false)
			err := res[0].Err
			if err == nil {
				acked[name] = res[0].ID
				break
			}
			// A creation whose outcome was lost with the old controller
			// may have committed; the retry then finds it. That is not an
			// acknowledgement, but it must not be a second topic either.
			if errors.Is(err, kerr.TopicAlreadyExists) {
				break
			}
			if !errors.Is(err, kerr.NotController) && !errors.Is(err, kerr.RequestTimedOut) {
				t.Fatalf("%s: %v", name, err)
			}
		}
	}
	killedAt := <-killed
	delete(c.nodes, lid)
	next := c.controller()
	if next == nil {
		t.Fatal("no controller after the burst")
	}
	t.Logf("controller moved from node %d to node %d; burst finished %v after the kill", lid, next.cfg.NodeID, time.Since(killedAt))

	var survivors []int32
	for id := range c.nodes {
		survivors = append(survivors, id)
	}
	c.waitConverged(survivors...)
	img := c.nodes[survivors[0]].Image()
	if got := img.Topics["first"]; got == nil || got.ID != first.ID || len(got.Partitions) != 6 {
		t.Fatalf("topic created before the failover: got %+v, want id %v", got, first.ID)
	}
	for name, id := range acked {
		if got := img.Topics[name]; got == nil || got.ID != id {
			t.Errorf("acknowledged topic %s: got %+v, want id %v", name, got, id)
		}
	}
	for i := 0; i < 30; i++ {
		if img.Topics[fmt.Sprintf("burst-%02d", i)] == nil {
			t.Errorf("burst-%02d missing", i)
		}
	}
	// Creation and partition changes continue on the new controller.
	createTopic(t, next.Controller(), "after-failover", 3, 3)
	if err := next.Controller().FenceBroker(ctx, 1, -1); err != nil {
		t.Fatal(err)
	}
	c.waitConverged(survivors...)

	// The killed node restarts from its directory, catches up as a
	// follower, and holds the same image.
	ln, err := net.Listen("tcp", c.voters[lid])
	if err != nil {
		t.Logf("cannot rebind %s to restart node %d: %v", c.voters[lid], lid, err)
		return
	}
	c.open(lid, ln)
	c.waitReady(lid)
	c.waitConverged(1, 2, 3)
	if got := c.nodes[lid].Image().Topics["after-failover"]; got == nil {
		t.Error("restarted node misses the topic created while it was down")
	}
}
