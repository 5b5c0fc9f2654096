package metadata

import (
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/twmb/franz-go/pkg/kerr"
)

// clusterWait bounds the wait for a cluster to reach a state. Normally
// it takes well under a second; the bound is generous because the test
// machine is shared, -race is slow, and a starved process misses raft
// heartbeats and elects again, which restarts what the tests wait for.
const clusterWait = 30 * time.Second

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
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

// clusterOptions shape a test cluster.
type clusterOptions struct {
	// observers is the number of broker-only nodes (ids 4, 5, ...) that
	// follow the log without voting.
	observers int
	// session is the brokers' session timeout (0: no expiry).
	session time.Duration
	// trailingLogs is raft's TrailingLogs (0: raft's default), small to
	// force snapshot installs.
	trailingLogs uint64
	// bootstrapOnly gives the observers the voters' addresses as
	// controller.quorum.bootstrap.servers instead of the voter map.
	bootstrapOnly bool
	// balanceInterval is the controller's leader imbalance check
	// interval (0: no automatic preferred-leader balancing).
	balanceInterval time.Duration
}

// testCluster is three voters (ids 1-3) over real loopback TCP, each with
// its own directory and CONTROLLER listener, plus optional observers.
type testCluster struct {
	t      testing.TB
	opts   clusterOptions
	voters map[int32]string
	dirs   map[int32]string
	nodes  map[int32]*Node
}

// startCluster starts the nodes the way three independently started
// kafka-server processes would: each from its own Config, holding the
// same voter map, with no format step.
func startCluster(t testing.TB, opts clusterOptions) *testCluster {
	t.Helper()
	c := &testCluster{t: t, opts: opts, voters: map[int32]string{}, dirs: map[int32]string{}, nodes: map[int32]*Node{}}
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
	for id := int32(4); id < 4+int32(opts.observers); id++ {
		c.dirs[id] = t.TempDir()
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			n.Close()
		}
	})
	for id, ln := range lns {
		c.open(id, ln)
	}
	for id := int32(4); id < 4+int32(opts.observers); id++ {
		c.open(id, nil)
	}
	return c
}

// config is node id's Config; an observer binds an ephemeral port.
func (c *testCluster) config(id int32, ln net.Listener) Config {
	ctrl := testControllerConfig()
	ctrl.BrokerSessionTimeout = c.opts.session
	ctrl.LeaderImbalanceCheckInterval = c.opts.balanceInterval
	ctrl.LeaderImbalancePerBrokerPercentage = 10
	cfg := Config{
		NodeID: id, Dir: c.dirs[id], ClusterID: testClusterID, Voters: c.voters, Listener: ln,
		TrailingLogs: c.opts.trailingLogs, Logger: testLoggerFor(c.t), Controller: ctrl,
		// Twice the loopback defaults: the test machine is shared and
		// loaded, and -race slows everything; leadership that flaps under
		// load restarts broker sessions and delays what the tests time.
		HeartbeatTimeout: 400 * time.Millisecond, ElectionTimeout: 400 * time.Millisecond,
		LeaderLeaseTimeout: 200 * time.Millisecond,
	}
	if c.voters[id] == "" {
		cfg.BindAddr = "127.0.0.1:0"
		if c.opts.bootstrapOnly {
			cfg.Voters = nil
			for _, vid := range sortedVoterIDs(c.voters) {
				cfg.Bootstrap = append(cfg.Bootstrap, c.voters[vid])
			}
		}
	}
	return cfg
}

func (c *testCluster) open(id int32, ln net.Listener) {
	c.t.Helper()
	n, err := Open(c.config(id, ln))
	if err != nil {
		c.t.Fatalf("open node %d: %v", id, err)
	}
	c.nodes[id] = n
}

// kill stops node id; what it wrote to disk stays.
func (c *testCluster) kill(id int32) {
	c.t.Helper()
	if err := c.nodes[id].Close(); err != nil {
		c.t.Errorf("close node %d: %v", id, err)
	}
	delete(c.nodes, id)
}

// restart opens node id again on its directory and, for a voter, its
// address. It reports false if the address could not be bound again.
func (c *testCluster) restart(id int32) bool {
	c.t.Helper()
	var ln net.Listener
	if a := c.voters[id]; a != "" {
		var err error
		if ln, err = net.Listen("tcp", a); err != nil {
			c.t.Logf("cannot rebind %s to restart node %d: %v", a, id, err)
			return false
		}
	}
	c.open(id, ln)
	return true
}

func (c *testCluster) ids() []int32 {
	var ids []int32
	for id := range c.nodes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
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

// waitController waits for an active controller and returns it.
func (c *testCluster) waitController() *Node {
	c.t.Helper()
	var n *Node
	waitFor(c.t, clusterWait, "an active controller", func() bool { n = c.controller(); return n != nil })
	return n
}

// follower returns an open voter that is not the active controller.
func (c *testCluster) follower() *Node {
	c.t.Helper()
	for _, id := range c.ids() {
		if n := c.nodes[id]; n.IsVoter() && !n.IsController() {
			return n
		}
	}
	c.t.Fatal("no follower")
	return nil
}

// waitConverged waits until the given nodes hold identical images.
func (c *testCluster) waitConverged(ids ...int32) string {
	c.t.Helper()
	var img string
	waitFor(c.t, clusterWait, fmt.Sprintf("images of nodes %v to converge", ids), func() bool {
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
	c := startCluster(t, clusterOptions{trailingLogs: 2})
	start := time.Now()
	c.waitReady(1, 2, 3)
	t.Logf("3-voter quorum ready in %v", time.Since(start))
	leader := c.controller()
	if leader == nil {
		t.Fatal("no active controller after all nodes are ready")
	}
	lid := leader.cfg.NodeID
	cfg := leader.raft.GetConfiguration()
	if err := cfg.Error(); err != nil {
		t.Fatal(err)
	}
	for _, s := range cfg.Configuration().Servers {
		id, _ := strconv.Atoi(string(s.ID))
		if s.Suffrage != raft.Voter || string(s.Address) != c.voters[int32(id)] {
			t.Errorf("quorum member %+v, want voter at %s", s, c.voters[int32(id)])
		}
	}
	for id, n := range c.nodes {
		if got, ok := n.Leader(); !ok || got != lid {
			t.Errorf("node %d sees leader %d (%v), want %d", id, got, ok, lid)
		}
		if id != lid {
			// Propose is the raw log append: it is not forwarded.
			if _, err := n.Propose(ctx, NoOpRecord{}); !errors.Is(err, kerr.NotController) {
				t.Errorf("Propose on follower %d: got %v, want NOT_CONTROLLER", id, err)
			}
		}
	}

	// Every controller operation works from a follower.
	f := c.follower()
	registerBrokers(t, f.Controller(), "a", "b", "c")
	first := createTopic(t, f.Controller(), "first", 6, 3)
	// The forwarding node reads its own write as soon as the call returns.
	if got := f.Image().Topics["first"]; got == nil || got.ID != first.ID {
		t.Errorf("topic created through follower %d: got %+v in its own image right after, want id %v", f.cfg.NodeID, got, first.ID)
	}
	c.waitConverged(1, 2, 3)
	if got := leader.Image().Topics["first"]; got == nil || got.ID != first.ID {
		t.Fatalf("topic created through follower %d: got %+v on the controller, want id %v", f.cfg.NodeID, got, first.ID)
	}

	// Create topics in a burst through a follower that survives, and kill
	// the controller in the middle of it. Every creation acknowledged to
	// the "client" must survive, with its id.
	var via *Node
	for _, id := range c.ids() {
		if id != lid {
			via = c.nodes[id]
		}
	}
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
		res := via.Controller().CreateTopics(ctx, []TopicSpec{{Name: name, NumPartitions: 2, ReplicationFactor: 2}}, false)
		switch err := res[0].Err; {
		case err == nil:
			acked[name] = res[0].ID
		case errors.Is(err, kerr.TopicAlreadyExists):
			// A forwarded creation whose outcome was lost with the old
			// controller was retried and found applied: not an
			// acknowledgement, but not a second topic either.
		default:
			t.Fatalf("%s: %v", name, err)
		}
	}
	killedAt := <-killed
	delete(c.nodes, lid)
	next := c.waitController()
	t.Logf("controller moved from node %d to node %d; burst finished %v after the kill", lid, next.cfg.NodeID, time.Since(killedAt))

	survivors := c.ids()
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
	// Operations continue through every surviving node.
	for _, id := range survivors {
		createTopic(t, c.nodes[id].Controller(), fmt.Sprintf("after-failover-%d", id), 3, 2)
	}
	if err := c.nodes[survivors[0]].Controller().FenceBroker(ctx, 1, -1); err != nil {
		t.Fatal(err)
	}
	c.waitConverged(survivors...)

	// Compact the survivors' logs past what the killed node has, so that
	// it can only catch up from a snapshot, whichever of them leads.
	for _, id := range survivors {
		if err := c.nodes[id].Snapshot(); err != nil {
			t.Fatalf("snapshot node %d: %v", id, err)
		}
	}
	if !c.restart(lid) {
		return
	}
	start = time.Now()
	c.waitReady(lid)
	c.waitConverged(1, 2, 3)
	t.Logf("restarted node %d caught up in %v", lid, time.Since(start))
	restarted := c.nodes[lid]
	if got := restarted.fsm.restores.Load(); got == 0 {
		t.Error("restarted node caught up without installing a snapshot")
	}
	for _, id := range survivors {
		if restarted.Image().Topics[fmt.Sprintf("after-failover-%d", id)] == nil {
			t.Errorf("restarted node misses after-failover-%d, created while it was down", id)
		}
	}
	createTopic(t, restarted.Controller(), "after-restart", 1, 1)
	c.waitConverged(1, 2, 3)
}

// TestForwardedErrors checks that operations forwarded from a follower
// fail exactly as they do on the controller: same code, same message.
func TestForwardedErrors(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := startCluster(t, clusterOptions{})
	c.waitReady(1, 2, 3)
	leader, f := c.controller(), c.follower()
	registerBrokers(t, leader.Controller(), "", "", "")
	createTopic(t, leader.Controller(), "exists", 2, 3)
	c.waitConverged(1, 2, 3)

	type outcome struct {
		code *kerr.Error
		msg  string
	}
	get := func(err error) outcome {
		code, msg := KafkaError(err)
		return outcome{code, msg}
	}
	tests := []struct {
		name string
		run  func(ctl *Controller) []error
		want []outcome
	}{
		{"create existing and invalid topics", func(ctl *Controller) []error {
			res := ctl.CreateTopics(ctx, []TopicSpec{
				{Name: "exists", NumPartitions: 1, ReplicationFactor: 1},
				{Name: "bad/name", NumPartitions: 1, ReplicationFactor: 1},
				{Name: "too-many-replicas", NumPartitions: 1, ReplicationFactor: 5},
			}, true)
			return []error{res[0].Err, res[1].Err, res[2].Err}
		}, []outcome{
			{kerr.TopicAlreadyExists, "Topic 'exists' already exists."},
			{kerr.InvalidTopicException, "Topic name is invalid: 'bad/name' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"},
			{kerr.InvalidReplicationFactor, "Unable to replicate the partition 5 time(s): The target replication factor of 5 cannot be reached because only 3 broker(s) are registered."},
		}},
		{"delete unknown topic", func(ctl *Controller) []error {
			res := ctl.DeleteTopics(ctx, []TopicRef{{Name: "nope"}, {ID: UUID{1: 1}}})
			return []error{res[0].Err, res[1].Err}
		}, []outcome{
			{kerr.UnknownTopicOrPartition, kerr.UnknownTopicOrPartition.Description},
			{kerr.UnknownTopicID, kerr.UnknownTopicID.Description},
		}},
		{"shrink partitions", func(ctl *Controller) []error {
			return []error{ctl.CreatePartitions(ctx, "exists", 1, nil, false)}
		}, []outcome{{kerr.InvalidPartitions, "The topic exists currently has 2 partition(s); 1 would not be an increase."}}},
		{"stale broker epoch", func(ctl *Controller) []error {
			_, _, err := ctl.AllocateProducerIDs(ctx, 1, 999999)
			_, err2 := ctl.AlterPartition(ctx, 9, -1, []ISRChange{{Topic: "exists", NewISR: []int32{1}}})
			return []error{err, err2}
		}, []outcome{
			{kerr.StaleBrokerEpoch, fmt.Sprintf("Expected broker epoch %d, but got broker epoch 999999", leader.Image().Brokers[1].Epoch)},
			{kerr.StaleBrokerEpoch, "No broker registration found for broker id 9"},
		}},
		{"alter partition per item", func(ctl *Controller) []error {
			p := leader.Image().Partition("exists", 0)
			res, err := ctl.AlterPartition(ctx, p.Leader, -1, []ISRChange{
				{Topic: "exists", Partition: 0, LeaderEpoch: p.LeaderEpoch + 1, PartitionEpoch: p.PartitionEpoch, NewISR: p.ISR},
				{Topic: "exists", Partition: 7, NewISR: p.ISR},
			})
			if err != nil {
				return []error{err}
			}
			return []error{res[0].Err, res[1].Err}
		}, []outcome{
			{kerr.NotController, kerr.NotController.Description},
			{kerr.UnknownTopicOrPartition, kerr.UnknownTopicOrPartition.Description},
		}},
		{"configs", func(ctl *Controller) []error {
			return []error{
				ctl.IncrementalAlterConfigs(ctx, ConfigResource{Type: ConfigTopic, Name: "nope"}, []ConfigOp{{Name: "retention.ms", Value: "1"}}, false),
				ctl.AlterConfigs(ctx, ConfigResource{Type: ConfigBroker, Name: "x"}, nil, false),
				ctl.IncrementalAlterConfigs(ctx, ConfigResource{Type: ConfigTopic, Name: "exists"}, []ConfigOp{{Name: "retention.ms", Op: ConfigAppend, Value: "1"}}, false),
			}
		}, []outcome{
			{kerr.UnknownTopicOrPartition, "The topic 'nope' does not exist."},
			{kerr.InvalidRequest, "Invalid broker name x"},
			{kerr.InvalidConfig, "Can't APPEND to key retention.ms because its type is not LIST."},
		}},
		{"quotas that JSON cannot carry as numbers", func(ctl *Controller) []error {
			user := QuotaEntity{User: EntityName{Present: true, Name: "u"}}
			return ctl.AlterClientQuotas(ctx, []QuotaAlteration{
				{Entity: user, Ops: []QuotaOp{{Key: "request_percentage", Value: nanValue()}}},
				{Entity: QuotaEntity{IP: EntityName{Present: true, Name: "1.2.3.4"}}, Ops: []QuotaOp{{Key: "connection_creation_rate", Value: infValue()}}},
			}, true)
		}, []outcome{
			{kerr.InvalidRequest, "Quota request_percentage must be greater than 0"},
			{kerr.InvalidRequest, "Proposed value for connection_creation_rate is too large for an INT."},
		}},
		{"elections", func(ctl *Controller) []error {
			res, err := ctl.ElectLeaders(ctx, PreferredElection, []TopicPartitions{{Topic: "exists", Partitions: []int32{0, 9}}})
			_, err2 := ctl.ElectLeaders(ctx, ElectionType(7), nil)
			if err != nil {
				return []error{err, err2}
			}
			return []error{res[0].Err, res[1].Err, err2}
		}, []outcome{
			{kerr.ElectionNotNeeded, kerr.ElectionNotNeeded.Description},
			{kerr.UnknownTopicOrPartition, "No such partition as exists-9"},
			{kerr.InvalidRequest, "Unknown election type 7"},
		}},
		{"registration", func(ctl *Controller) []error {
			_, err := ctl.RegisterBroker(ctx, BrokerRegistration{ID: 1, IncarnationID: UUID{9: 9}, ClusterID: testClusterID})
			_, err2 := ctl.RegisterBroker(ctx, BrokerRegistration{ID: 1, ClusterID: "other"})
			return []error{err, err2, ctl.UnfenceBroker(ctx, 7, -1), ctl.UpdateFeatures(ctx, map[string]int16{"": 1})}
		}, []outcome{
			{kerr.DuplicateBrokerRegistration, "Another broker is registered with that broker id."},
			{kerr.InconsistentClusterID, "Expected cluster ID " + testClusterID + ", but got cluster ID other"},
			{kerr.BrokerIDNotRegistered, "Broker ID 7 is not currently registered"},
			{kerr.InvalidRequest, `invalid feature level ""=1`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local := tt.run(leader.Controller())
			forwarded := tt.run(f.Controller())
			if len(local) != len(tt.want) || len(forwarded) != len(tt.want) {
				t.Fatalf("got %d local and %d forwarded outcomes, want %d", len(local), len(forwarded), len(tt.want))
			}
			for i, w := range tt.want {
				if got := get(local[i]); got != w {
					t.Errorf("item %d on the controller: got %v %q, want %v %q", i, got.code, got.msg, w.code, w.msg)
				}
				if got := get(forwarded[i]); got != w {
					t.Errorf("item %d forwarded: got %v %q, want %v %q", i, got.code, got.msg, w.code, w.msg)
				}
			}
		})
	}
	// Nothing above changed anything.
	c.waitConverged(1, 2, 3)
	if got := len(leader.Image().Topics); got != 1 {
		t.Errorf("topics after failed operations: got %d, want 1", got)
	}
}

// TestControllerListenerIgnoresStrangers checks that connections that
// speak neither raft nor the controller RPC on the CONTROLLER listener are
// dropped without disturbing the quorum.
func TestControllerListenerIgnoresStrangers(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{})
	c.waitReady(1, 2, 3)
	f := c.follower()
	payloads := [][]byte{
		{0, 0, 0, 20, 0, 18, 0, 3}, // the start of a Kafka ApiVersions request
		[]byte("GET / HTTP/1.1\r\n\r\n"),
		append([]byte{'C'}, []byte{0xff, 0xff, 0xff, 0xff}...), // an RPC frame over the limit
		append([]byte{'C', 0, 0, 0, 4}, "nope"...),
		{'R', 0xff, 0xff},
	}
	for _, p := range payloads {
		conn, err := net.Dial("tcp", f.Addr())
		if err != nil {
			t.Fatal(err)
		}
		conn.Write(p)
		conn.Close()
	}
	registerBrokers(t, f.Controller(), "")
	createTopic(t, f.Controller(), "still-works", 1, 1)
	c.waitConverged(1, 2, 3)
}

// TestObserverFollowsLog runs a broker-only node: it joins as a raft
// non-voter, applies the same log, forwards its controller calls, and
// rejoins at a new address after a restart.
func TestObserverFollowsLog(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := startCluster(t, clusterOptions{observers: 1, session: 5 * time.Second})
	c.waitReady(1, 2, 3)
	leader := c.controller()
	registerBrokers(t, leader.Controller(), "", "")
	createTopic(t, leader.Controller(), "before-join", 2, 2)
	obs := c.nodes[4]
	if obs.IsVoter() {
		t.Fatal("node 4 is a voter")
	}
	c.waitReady(4)
	c.waitConverged(1, 2, 3, 4)

	isNonvoter := func(addr string) bool {
		cfg := leader.raft.GetConfiguration()
		if cfg.Error() != nil {
			return false
		}
		for _, s := range cfg.Configuration().Servers {
			if s.ID == "4" {
				return s.Suffrage == raft.Nonvoter && string(s.Address) == addr
			}
		}
		return false
	}
	if !isNonvoter(obs.Addr()) {
		t.Errorf("node 4 is not a non-voter at %s", obs.Addr())
	}

	// The observer registers as a broker through the controller RPC and is
	// unfenced once it has applied its registration.
	lc := obs.StartBrokerLifecycle(BrokerRegistration{ID: 4, IncarnationID: UUID{4: 4}, ClusterID: testClusterID,
		Listeners: []Endpoint{{Name: "PLAINTEXT", Host: "127.0.0.1", Port: 9096}}}, BrokerLifecycleConfig{HeartbeatInterval: 50 * time.Millisecond})
	epoch, err := lc.WaitUnfenced(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b := obs.Image().Brokers[4]; b == nil || b.Fenced || b.Epoch != epoch {
		t.Errorf("broker 4 in the observer's image: got %+v, want unfenced with epoch %d", b, epoch)
	}
	createTopic(t, obs.Controller(), "via-observer", 3, 3)
	c.waitConverged(1, 2, 3, 4)

	// A controlled shutdown, a restart on another port, and the observer
	// is back: the controller updates its address.
	if err := lc.ControlledShutdown(ctx); err != nil {
		t.Fatal(err)
	}
	oldAddr := obs.Addr()
	c.kill(4)
	createTopic(t, leader.Controller(), "while-observer-down", 1, 1)
	c.restart(4)
	obs = c.nodes[4]
	if obs.Addr() == oldAddr {
		t.Logf("observer got the same port again: %s", oldAddr)
	}
	c.waitReady(4)
	c.waitConverged(1, 2, 3, 4)
	waitFor(t, clusterWait, "the observer's new address in the quorum", func() bool { return isNonvoter(obs.Addr()) })
	if obs.Image().Topics["while-observer-down"] == nil {
		t.Error("restarted observer misses a topic created while it was down")
	}
	if obs.IsController() {
		t.Error("observer is the controller")
	}
}

// TestSnapshotKeepsFollowerReady checks that a follower whose whole state
// came from a snapshot knows it has caught up (WaitReady) even when no
// entry follows the snapshot.
func TestSnapshotKeepsFollowerReady(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{observers: 1, trailingLogs: 1})
	// Stop the observer before it joins; the voters then move on and
	// compact their logs.
	c.kill(4)
	c.waitReady(1, 2, 3)
	leader := c.controller()
	registerBrokers(t, leader.Controller(), "", "")
	for i := 0; i < 5; i++ {
		createTopic(t, leader.Controller(), fmt.Sprintf("t%d", i), 1, 1)
	}
	for _, id := range []int32{1, 2, 3} {
		c.waitConverged(1, 2, 3)
		if err := c.nodes[id].Snapshot(); err != nil {
			t.Fatalf("snapshot node %d: %v", id, err)
		}
	}
	c.restart(4)
	c.waitReady(4)
	c.waitConverged(1, 2, 3, 4)
	if c.nodes[4].fsm.restores.Load() == 0 {
		t.Error("observer caught up without a snapshot")
	}
}

func nanValue() float64 { return math.NaN() }
func infValue() float64 { return math.Inf(1) }

// TestForeignClusterIsolated points one voter address of a quorum at a
// node of another cluster: neither may disturb the other.
func TestForeignClusterIsolated(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	lnB, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addrB := lnB.Addr().String()
	b, err := Open(Config{NodeID: 1, Dir: t.TempDir(), ClusterID: "another-cluster", Voters: map[int32]string{1: addrB},
		Listener: lnB, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	termB := b.raft.CurrentTerm()

	voters := map[int32]string{3: addrB}
	lns := map[int32]net.Listener{}
	for id := int32(1); id <= 2; id++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[id], voters[id] = ln, ln.Addr().String()
	}
	var nodes []*Node
	for id := int32(1); id <= 2; id++ {
		n, err := Open(Config{NodeID: id, Dir: t.TempDir(), ClusterID: testClusterID, Voters: voters, Listener: lns[id],
			Logger: testLogger(), Controller: testControllerConfig()})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		nodes = append(nodes, n)
	}
	for _, n := range nodes {
		if err := n.WaitReady(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Forwarded and local operations work with two of three voters, even
	// while the third address answers for another cluster.
	for _, n := range nodes {
		registerBrokers(t, n.Controller(), "")
		createTopic(t, n.Controller(), fmt.Sprintf("from-%d", n.cfg.NodeID), 1, 1)
	}
	if got := b.raft.CurrentTerm(); got != termB || !b.IsController() {
		t.Errorf("foreign node: term %d (was %d), controller %v; want it untouched", got, termB, b.IsController())
	}
	if len(b.Image().Topics) != 0 {
		t.Errorf("foreign node applied %d topics", len(b.Image().Topics))
	}
	// A controller call aimed straight at the foreign node is refused.
	_, err = mCreateTopics.remote(ctx, nodes[0], addrB, createTopicsRequest{Specs: []TopicSpec{{Name: "x", NumPartitions: 1, ReplicationFactor: 1}}})
	var fe *forwardError
	if !errors.As(err, &fe) {
		t.Errorf("call to the foreign node: got %v, want a refused forward", err)
	}
}
