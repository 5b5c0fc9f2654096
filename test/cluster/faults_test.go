package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/kafkakit/kafkakit/internal/faultproxy"
	"github.com/kafkakit/kafkakit/internal/record"
	"github.com/kafkakit/kafkakit/internal/testbroker"
)

// killAndFailOver kills node victim with SIGKILL under load, waits until
// every partition of topic it led has another leader and production goes
// on, restarts it, and waits until it is back in every ISR. It returns
// how long the partitions it led had no usable leader, as the metadata
// shows it.
func killAndFailOver(t *testing.T, c *testbroker.Cluster, adm *kadm.Client, w *workload, topic string, victim int32) time.Duration {
	t.Helper()
	nd := c.Node(victim)
	before, err := describe(testContext(t, 10*time.Second), adm, topic)
	if err != nil {
		t.Fatal(err)
	}
	var led []int32
	for _, p := range before {
		if p.Leader == victim {
			led = append(led, p.Partition)
		}
	}
	w.longestGap()
	start := time.Now()
	nd.Kill()
	t.Logf("killed node %d (leader of partitions %v)", victim, led)
	waitFor(t, 20*time.Second, fmt.Sprintf("partitions %v of node %d have new leaders", led, victim), func() (bool, string) {
		ps, err := describe(testContext(t, 5*time.Second), adm, topic)
		if err != nil {
			return false, err.Error()
		}
		for _, p := range ps {
			if p.Leader == victim || p.Leader < 0 {
				return false, fmt.Sprintf("partition %d leader %d", p.Partition, p.Leader)
			}
		}
		return true, ""
	})
	failover := time.Since(start)
	t.Logf("node %d: new leaders after %s", victim, failover.Round(time.Millisecond))
	w.waitProgress(t, 300, 20*time.Second)
	t.Logf("node %d: longest time without an acknowledgement: %s", victim, w.longestGap().Round(time.Millisecond))
	if err := nd.Start(); err != nil {
		t.Fatalf("restart node %d: %v", victim, err)
	}
	waitFullISR(t, adm, topic, 30*time.Second)
	t.Logf("node %d restarted and back in every ISR %s after the kill", victim, time.Since(start).Round(time.Millisecond))
	w.waitProgress(t, 300, 20*time.Second)
	return failover
}

// leaderNotController returns a node that leads a partition of topic and
// is not the active controller.
func leaderNotController(t *testing.T, c *testbroker.Cluster, adm *kadm.Client, topic string) int32 {
	t.Helper()
	ctrl := activeController(t, c)
	ps, err := describe(testContext(t, 5*time.Second), adm, topic)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Leader != ctrl {
			return p.Leader
		}
	}
	t.Fatalf("every partition is led by the controller (node %d): %+v", ctrl, ps)
	return -1
}

// TestKillLeaderThenControllerUnderLoad kills -9, under continuous
// idempotent acks=all production, first a partition leader that is not
// the active controller, then the active controller (which, with
// partitions placed crosswise, also leads one), restarting each and
// waiting for it to rejoin the ISRs before the next. Nothing acknowledged
// may be lost or duplicated, the cluster must keep taking writes, and no
// partition may stay under-replicated.
func TestKillLeaderThenControllerUnderLoad(t *testing.T) {
	c := startCluster(t, clusterConfig{})
	adm := newAdmin(t, c)
	const topic = "jepsen-kill"
	createTopic(t, adm, topic, 3, 3, nil)
	w := startWorkload(t, c.Addrs(), topic, 3, 2, 600)
	w.waitProgress(t, 500, 20*time.Second)

	victim := leaderNotController(t, c, adm, topic)
	killAndFailOver(t, c, adm, w, topic, victim)

	ctrl := activeController(t, c)
	killAndFailOver(t, c, adm, w, topic, ctrl)
	if now := activeController(t, c); now == ctrl {
		t.Errorf("node %d is the active controller again right after its restart; expected another node to have taken over", now)
	}

	w.finish(t, 30*time.Second)
	s := w.summary()
	check(t, s, readAll(t, c, adm, topic, 3))
	waitFullISR(t, adm, topic, 10*time.Second)
	checkReplicasIdentical(t, c, adm, topic)
}

// TestWholeClusterKilledAndRestarted kills every node with SIGKILL at once
// under acks=all load and starts them all again. The page cache survives
// the processes, so every acknowledged record must still be there once
// the cluster is back, leaders elected and ISRs full, and production must
// resume.
func TestWholeClusterKilledAndRestarted(t *testing.T) {
	c := startCluster(t, clusterConfig{})
	adm := newAdmin(t, c)
	const topic = "jepsen-restart"
	createTopic(t, adm, topic, 3, 3, nil)
	w := startWorkload(t, c.Addrs(), topic, 3, 2, 600)
	w.waitProgress(t, 1000, 20*time.Second)

	start := time.Now()
	c.Kill()
	t.Logf("killed all %d nodes", len(c.Nodes))
	restarted := make(chan error, len(c.Nodes))
	for _, nd := range c.Nodes {
		go func() { restarted <- nd.Start() }()
	}
	for range c.Nodes {
		if err := <-restarted; err != nil {
			t.Fatalf("restart: %v", err)
		}
	}
	waitFullISR(t, adm, topic, 30*time.Second)
	t.Logf("cluster back with full ISRs %s after the kill", time.Since(start).Round(time.Millisecond))
	w.waitProgress(t, 500, 30*time.Second)

	w.finish(t, 30*time.Second)
	check(t, w.summary(), readAll(t, c, adm, topic, 3))
	checkReplicasIdentical(t, c, adm, topic)
}

// TestPausedLeaderIsFenced stops a partition leader with SIGSTOP for twice
// the broker session timeout under acks=all load (a long GC pause or a
// frozen VM, as its peers see it), then lets it run again. The controller
// must fence it and move its partitions; the paused leader, on waking,
// must not acknowledge anything it wrote after that (its requests fail
// and the producers retry on the new leaders), and it must rejoin as a
// follower with its log cut back to the new leaders'.
func TestPausedLeaderIsFenced(t *testing.T) {
	c := startCluster(t, clusterConfig{})
	adm := newAdmin(t, c)
	const topic = "jepsen-pause"
	createTopic(t, adm, topic, 3, 3, nil)
	w := startWorkload(t, c.Addrs(), topic, 3, 2, 600)
	w.waitProgress(t, 500, 20*time.Second)

	victim := leaderNotController(t, c, adm, topic)
	nd := c.Node(victim)
	start := time.Now()
	if err := nd.Pause(); err != nil {
		t.Fatal(err)
	}
	t.Logf("paused node %d", victim)
	waitFor(t, 20*time.Second, fmt.Sprintf("the partitions of paused node %d have new leaders", victim), func() (bool, string) {
		ps, err := describe(testContext(t, 5*time.Second), adm, topic)
		if err != nil {
			return false, err.Error()
		}
		for _, p := range ps {
			if p.Leader == victim || p.Leader < 0 {
				return false, fmt.Sprintf("partition %d leader %d", p.Partition, p.Leader)
			}
		}
		return true, ""
	})
	t.Logf("new leaders %s after the pause", time.Since(start).Round(time.Millisecond))
	w.waitProgress(t, 300, 30*time.Second)
	// Twice the 3 s session timeout in all.
	if d := 6*time.Second - time.Since(start); d > 0 {
		time.Sleep(d)
	}
	if err := nd.Resume(); err != nil {
		t.Fatal(err)
	}
	t.Logf("resumed node %d after %s", victim, time.Since(start).Round(time.Millisecond))
	waitFullISR(t, adm, topic, 30*time.Second)
	t.Logf("node %d back in every ISR %s after the pause began", victim, time.Since(start).Round(time.Millisecond))
	w.waitProgress(t, 300, 20*time.Second)

	w.finish(t, 30*time.Second)
	check(t, w.summary(), readAll(t, c, adm, topic, 3))
	checkReplicasIdentical(t, c, adm, topic)
}

// TestFollowerCutOffByProxy puts a fault proxy in front of every broker's
// PLAINTEXT listener (each broker advertises its proxy, so clients and the
// other brokers' replica fetchers connect through it) and cuts only the
// connections from one follower's replica fetcher to a partition leader:
// first one follower's by a blackhole (a partition: connections stay open,
// nothing moves), then the other's by refusing them (down). Each time the
// follower must drop out of the ISR after replica.lag.time.max.ms while
// acks=all production goes on with the rest of the ISR, then catch up and
// rejoin once the link heals.
func TestFollowerCutOffByProxy(t *testing.T) {
	proxies := map[int32]*faultproxy.Proxy{}
	c := startCluster(t, clusterConfig{advertise: func(id int32, addr string) string {
		p, err := faultproxy.Start(faultproxy.Config{Target: addr, Classify: faultproxy.KafkaClientID})
		if err != nil {
			t.Fatalf("proxy for node %d: %v", id, err)
		}
		t.Cleanup(func() { p.Close() })
		proxies[id] = p
		return p.Addr()
	}})
	adm := newAdmin(t, c)
	const topic = "jepsen-cut"
	createTopic(t, adm, topic, 3, 3, nil)
	w := startWorkload(t, c.Addrs(), topic, 3, 2, 600)
	w.waitProgress(t, 500, 20*time.Second)

	ps := waitFullISR(t, adm, topic, 10*time.Second)
	leader := ps[0].Leader
	var followers []int32
	for _, id := range ps[0].Replicas {
		if id != leader {
			followers = append(followers, id)
		}
	}
	cutFollower(t, adm, w, proxies[leader], topic, leader, followers[0], faultproxy.Blackhole)
	cutFollower(t, adm, w, proxies[leader], topic, leader, followers[1], faultproxy.Down)

	w.finish(t, 30*time.Second)
	check(t, w.summary(), readAll(t, c, adm, topic, 3))
	checkReplicasIdentical(t, c, adm, topic)
}

// cutFollower cuts follower's replica fetches from leader at leader's
// proxy with mode, waits until the follower has left the ISR of every
// partition the leader leads while writes go on, heals the link and waits
// until every ISR is full again.
func cutFollower(t *testing.T, adm *kadm.Client, w *workload, proxy *faultproxy.Proxy, topic string, leader, follower int32, mode faultproxy.Mode) {
	t.Helper()
	// Kafka names a replica fetcher's client "broker-<id>-fetcher-<n>".
	link := fmt.Sprintf("broker-%d-fetcher-0", follower)
	if proxy.Accepted(link) == 0 {
		t.Fatalf("no connection from node %d's replica fetcher went through node %d's proxy", follower, leader)
	}
	start := time.Now()
	proxy.Set(link, faultproxy.Fault{Mode: mode})
	t.Logf("%s: node %d's fetches from node %d", mode, follower, leader)
	waitFor(t, 15*time.Second, fmt.Sprintf("node %d leaves the ISRs of node %d's partitions", follower, leader), func() (bool, string) {
		ps, err := describe(testContext(t, 5*time.Second), adm, topic)
		if err != nil {
			return false, err.Error()
		}
		for _, p := range ps {
			if p.Leader == leader && slices.Contains(p.ISR, follower) {
				return false, fmt.Sprintf("partition %d ISR %v", p.Partition, p.ISR)
			}
		}
		return true, ""
	})
	t.Logf("node %d out of the ISR %s after the cut", follower, time.Since(start).Round(time.Millisecond))
	// Writes go on with the smaller ISR, which still meets
	// min.insync.replicas.
	w.waitProgress(t, 500, 15*time.Second)

	proxy.Clear(link)
	healed := time.Now()
	waitFullISR(t, adm, topic, 20*time.Second)
	t.Logf("node %d back in every ISR %s after the heal", follower, time.Since(healed).Round(time.Millisecond))
	w.waitProgress(t, 300, 15*time.Second)
}

// TestCorruptTailOnRestartedFollower kills a follower under load, damages
// the end of its active segment (a flipped byte inside the last batch,
// then garbage after it, as a torn write would leave), and restarts it.
// Log recovery must cut the damaged tail, the follower must fetch the rest
// from the leader, rejoin the ISR and end with a log identical to the
// leader's.
func TestCorruptTailOnRestartedFollower(t *testing.T) {
	c := startCluster(t, clusterConfig{})
	adm := newAdmin(t, c)
	const topic = "jepsen-tail"
	createTopic(t, adm, topic, 1, 3, nil)
	w := startWorkload(t, c.Addrs(), topic, 1, 2, 600)
	w.waitProgress(t, 1000, 20*time.Second)

	ps := waitFullISR(t, adm, topic, 10*time.Second)
	follower := int32(-1)
	for _, id := range ps[0].Replicas {
		if id != ps[0].Leader {
			follower = id
			break
		}
	}
	nd := c.Node(follower)
	nd.Kill()
	t.Logf("killed follower %d", follower)
	w.waitProgress(t, 500, 20*time.Second)

	seg := lastSegment(t, filepath.Join(nd.Dir, topic+"-0"))
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	batches, _, err := replicaBatches(filepath.Dir(seg), 1<<62)
	if err != nil || len(batches) == 0 {
		t.Fatalf("follower log before damage: %d bytes of batches, err %v", len(batches), err)
	}
	// Flip a byte in the last batch's records (past its 61-byte header)
	// and append garbage.
	lastStart := lastBatchStart(t, b)
	if len(b)-lastStart <= 61 {
		t.Fatalf("last batch of %s has no records", seg)
	}
	b[len(b)-1] ^= 0xff
	b = append(b, []byte("torn write: not a record batch at all")...)
	if err := os.WriteFile(seg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("damaged %s: flipped its last byte (batch at position %d) and appended garbage", filepath.Base(seg), lastStart)

	if err := nd.Start(); err != nil {
		t.Fatalf("restart follower: %v", err)
	}
	if log := nd.Log(); !strings.Contains(log, "truncated invalid tail of segment") {
		t.Errorf("follower did not report truncating the damaged tail; log:\n%s", tail(log, 40))
	}
	waitFullISR(t, adm, topic, 30*time.Second)
	w.waitProgress(t, 300, 15*time.Second)

	w.finish(t, 30*time.Second)
	check(t, w.summary(), readAll(t, c, adm, topic, 1))
	checkReplicasIdentical(t, c, adm, topic)
}

// lastSegment returns the .log file with the highest base offset in dir.
func lastSegment(t testing.TB, dir string) string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no segments in %s: %v", dir, err)
	}
	slices.Sort(names)
	return names[len(names)-1]
}

// lastBatchStart returns the position of the last whole batch in b.
func lastBatchStart(t testing.TB, b []byte) int {
	t.Helper()
	last := -1
	it := record.NewIterator(b)
	for it.Next() {
		last = it.Entry().Position
	}
	if last < 0 {
		t.Fatalf("segment holds no whole batch (%v)", it.Err())
	}
	return last
}
