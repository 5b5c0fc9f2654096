package replica_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kafkakit/kafkakit/internal/log"
	"github.com/kafkakit/kafkakit/internal/metadata"
	"github.com/kafkakit/kafkakit/internal/record"
	"github.com/kafkakit/kafkakit/internal/replica"
	"github.com/kafkakit/kafkakit/internal/server"
)

// A test cluster is the real thing on loopback, minus the broker's
// composition root: one metadata node (a single-voter quorum whose
// controller registers, fences and elects for every broker), and per
// broker its own log directory, replica.Manager and kafka-server network
// front on 127.0.0.1:0. Followers fetch over real TCP from the leaders'
// listeners. Every connection a follower opens goes through the cluster's
// link table, which can cut the link from one broker to another (closing
// its open connections and refusing new ones), the way a network
// partition would.

type testCluster struct {
	t     testing.TB
	meta  *metadata.Node
	links *links
	opts  clusterOptions

	mu    sync.Mutex
	nodes map[int32]*testNode
}

type testNode struct {
	id    int32
	dir   string
	logs  *log.Manager
	mgr   *replica.Manager
	srv   *server.Server
	unsub func()
	epoch int64
}

type clusterOptions struct {
	brokers int
	lag     time.Duration // replica.lag.time.max.ms
	// fetchWait is replica.fetch.wait.max.ms; zero is 200 ms.
	fetchWait time.Duration
	logger    *slog.Logger
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("REPLICA_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func startCluster(t testing.TB, opts clusterOptions) *testCluster {
	t.Helper()
	if opts.lag == 0 {
		opts.lag = 30 * time.Second
	}
	if opts.logger == nil {
		opts.logger = testLogger(t)
	}
	if opts.fetchWait == 0 {
		opts.fetchWait = 200 * time.Millisecond
	}
	meta, err := metadata.Open(metadata.Config{NodeID: 1, Dir: t.TempDir(), ClusterID: "replica-test", Logger: opts.logger.With("node", "meta"),
		Controller: metadata.ControllerConfig{
			UncleanLeaderElection: func(img *metadata.Image, topic string) bool {
				return img.TopicConfigs(topic)["unclean.leader.election.enable"] == "true"
			},
		}})
	if err != nil {
		t.Fatalf("open metadata: %v", err)
	}
	c := &testCluster{t: t, meta: meta, links: newLinks(), opts: opts, nodes: map[int32]*testNode{}}
	t.Cleanup(c.close)
	if err := meta.WaitReady(testContext(t)); err != nil {
		t.Fatalf("metadata not ready: %v", err)
	}
	for id := int32(1); id <= int32(opts.brokers); id++ {
		c.startNode(id, t.TempDir())
	}
	return c
}

// startNode starts broker id with its data in dir and registers it.
func (c *testCluster) startNode(id int32, dir string) *testNode {
	t := c.t
	t.Helper()
	lg := c.opts.logger.With("node", id)
	logs, err := log.OpenManager([]string{dir}, log.ManagerOptions{NodeID: id, Logger: lg})
	if err != nil {
		t.Fatalf("open logs of %d: %v", id, err)
	}
	mgr := replica.NewManager(replica.Config{
		NodeID: id,
		Logs:   logs,
		MinInsyncReplicas: func(img *metadata.Image, topic string) int {
			n, _ := strconv.Atoi(img.TopicConfigs(topic)["min.insync.replicas"])
			return max(n, 1)
		},
		Logger:              lg,
		Controller:          c.meta.Controller(),
		Dial:                c.links.dialer(id),
		ReplicaFetchWaitMax: c.opts.fetchWait,
		ReplicaFetchBackoff: 20 * time.Millisecond,
		ReplicaLagTimeMax:   c.opts.lag,
	})
	srv := server.New(server.Config{
		NodeID:    id,
		Listeners: []server.Listener{{Name: "PLAINTEXT", Host: "127.0.0.1", Port: 0, SecurityProtocol: "PLAINTEXT"}},
		Logger:    lg,
		Meta:      c.meta,
		Replicas:  mgr,
		Logs:      logs,
	})
	if err := srv.Start(); err != nil {
		t.Fatalf("start server %d: %v", id, err)
	}
	addr := srv.Addr("PLAINTEXT")
	c.links.register(addr, id)
	host, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	n := &testNode{id: id, dir: dir, logs: logs, mgr: mgr, srv: srv}
	ctx := testContext(t)
	ctrl := c.meta.Controller()
	var inc metadata.UUID
	inc[0], inc[1] = byte(id), byte(time.Now().UnixNano())
	epoch, err := ctrl.RegisterBroker(ctx, metadata.BrokerRegistration{ID: id, IncarnationID: inc,
		Listeners: []metadata.Endpoint{{Name: "PLAINTEXT", Host: host, Port: int32(port)}}})
	if err != nil {
		t.Fatalf("register %d: %v", id, err)
	}
	n.epoch = epoch
	cur, unsub := c.meta.Subscribe(func(_, next *metadata.Image) {
		if err := mgr.Apply(next); err != nil {
			lg.Error("apply", "err", err)
		}
	})
	n.unsub = unsub
	if err := mgr.Apply(cur); err != nil {
		t.Fatalf("apply on %d: %v", id, err)
	}
	if err := ctrl.UnfenceBroker(ctx, id, epoch); err != nil {
		t.Fatalf("unfence %d: %v", id, err)
	}
	c.mu.Lock()
	c.nodes[id] = n
	c.mu.Unlock()
	return n
}

// stopNode stops broker id (cleanly, its logs closed) and fences it, as a
// controller does when the broker's session ends.
func (c *testCluster) stopNode(id int32) *testNode {
	c.t.Helper()
	c.mu.Lock()
	n := c.nodes[id]
	delete(c.nodes, id)
	c.mu.Unlock()
	n.stop()
	if err := c.meta.Controller().FenceBroker(testContext(c.t), id, -1); err != nil {
		c.t.Fatalf("fence %d: %v", id, err)
	}
	return n
}

func (n *testNode) stop() {
	n.unsub()
	n.srv.Close(time.Second)
	n.mgr.Close()
	n.logs.Close()
}

func (c *testCluster) close() {
	c.mu.Lock()
	nodes := c.nodes
	c.nodes = nil
	c.mu.Unlock()
	for _, n := range nodes {
		n.unsub()
	}
	for _, n := range nodes {
		n.srv.Close(time.Second)
		n.mgr.Close()
		n.logs.Close()
	}
	c.meta.Close()
}

func (c *testCluster) node(id int32) *testNode {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[id]
}

// createTopic creates a topic with the given assignment (partition ->
// replicas, the first the preferred leader) and waits until every hosting
// broker has its partitions and each leader has taken over.
func (c *testCluster) createTopic(name string, assignment [][]int32, configs map[string]string) {
	c.t.Helper()
	a := map[int32][]int32{}
	for i, r := range assignment {
		a[int32(i)] = r
	}
	res := c.meta.Controller().CreateTopics(testContext(c.t), []metadata.TopicSpec{{
		Name: name, NumPartitions: -1, ReplicationFactor: -1, Assignment: a, Configs: configs,
	}}, false)
	if res[0].Err != nil {
		c.t.Fatalf("create topic %s: %v", name, res[0].Err)
	}
	for i, replicas := range assignment {
		c.waitFor(fmt.Sprintf("%s-%d led by %d", name, i, replicas[0]), func() bool {
			p, ok := c.node(replicas[0]).mgr.Get(name, int32(i))
			return ok && p.IsLeader()
		})
	}
}

// partition returns broker id's replica of topic-0.
func (c *testCluster) partition(id int32, topic string) *replica.Partition {
	c.t.Helper()
	p, ok := c.node(id).mgr.Get(topic, 0)
	if !ok {
		c.t.Fatalf("broker %d does not host %s-0", id, topic)
	}
	return p
}

// imagePartition returns topic-0 as the metadata image has it.
func (c *testCluster) imagePartition(topic string) *metadata.Partition {
	return c.meta.Image().Partition(topic, 0)
}

// waitFor polls cond until it holds or 20 s pass.
func (c *testCluster) waitFor(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// links is the cluster's network: which broker may connect to which.
type links struct {
	mu    sync.Mutex
	ids   map[string]int32 // listener address -> broker
	cut   map[[2]int32]bool
	conns map[[2]int32][]net.Conn
}

func newLinks() *links {
	return &links{ids: map[string]int32{}, cut: map[[2]int32]bool{}, conns: map[[2]int32][]net.Conn{}}
}

func (l *links) register(addr string, id int32) {
	l.mu.Lock()
	l.ids[addr] = id
	l.mu.Unlock()
}

var errLinkCut = errors.New("link cut by test")

// dialer returns broker from's dial function.
func (l *links) dialer(from int32) replica.DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		l.mu.Lock()
		to, known := l.ids[addr]
		key := [2]int32{from, to}
		if known && l.cut[key] {
			l.mu.Unlock()
			return nil, errLinkCut
		}
		l.mu.Unlock()
		var d net.Dialer
		nc, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.cut[key] {
			nc.Close()
			return nil, errLinkCut
		}
		l.conns[key] = append(l.conns[key], nc)
		return nc, nil
	}
}

// setCut cuts or restores the link from broker from to broker to.
func (l *links) setCut(from, to int32, cut bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := [2]int32{from, to}
	l.cut[key] = cut
	if cut {
		for _, nc := range l.conns[key] {
			nc.Close()
		}
		l.conns[key] = nil
	}
}

// batch builds one v2 batch of n records with values prefix-0, prefix-1...
func batch(t testing.TB, prefix string, n int) []byte {
	t.Helper()
	b := record.NewBuilder(record.CodecNone)
	now := time.Now().UnixMilli()
	for i := range n {
		b.Add(record.Record{Timestamp: now, Value: []byte(prefix + "-" + strconv.Itoa(i))})
	}
	raw, err := b.Build()
	if err != nil {
		t.Fatalf("encode batch: %v", err)
	}
	return raw
}

// logBytes reads the whole log of a replica from its start to its end.
func logBytes(t testing.TB, l *log.Log) []byte {
	t.Helper()
	var out []byte
	off, end := l.LogStartOffset(), l.LogEndOffset()
	for off < end {
		res, err := l.Read(off, 1<<20, end, true)
		if err != nil {
			t.Fatalf("read %s-%d at %d: %v", l.Topic(), l.Partition(), off, err)
		}
		data, err := res.Bytes()
		res.Release()
		if err != nil {
			t.Fatalf("read bytes: %v", err)
		}
		it := record.NewIterator(data)
		next := off
		for it.Next() {
			next = it.Entry().LastOffset() + 1
		}
		if next == off {
			t.Fatalf("no progress reading %s-%d at %d", l.Topic(), l.Partition(), off)
		}
		out = append(out, data...)
		off = next
	}
	return out
}

// sameISR compares ISRs as sets.
func sameISR(a, b []int32) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
