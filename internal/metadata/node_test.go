package metadata

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

const testClusterID = "kafkakit-test-cluster"

// testLogger discards logs unless METADATA_TEST_LOG is set, in which case
// it writes them to stderr. (t.Log cannot be used: raft may log from its
// goroutines while a test is finishing.)
func testLogger() *slog.Logger {
	if os.Getenv("METADATA_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// testLoggerFor is testLogger with the test's name on every line.
func testLoggerFor(t testing.TB) *slog.Logger { return testLogger().With("test", t.Name()) }

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// openSingle opens a single-node quorum in dir and waits until it serves.
func openSingle(t *testing.T, dir string, ctrl ControllerConfig) *Node {
	t.Helper()
	n, err := Open(Config{NodeID: 1, Dir: dir, ClusterID: testClusterID, Logger: testLogger(), Controller: ctrl})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	if err := n.WaitReady(testContext(t)); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	return n
}

// registerBrokers registers and unfences brokers with the given racks
// ("" for none) as ids 1, 2, ...
func registerBrokers(t testing.TB, c *Controller, racks ...string) {
	t.Helper()
	ctx := testContext(t)
	for i, rack := range racks {
		id := int32(i + 1)
		inc := UUID{0: byte(id), 15: 1}
		epoch, err := c.RegisterBroker(ctx, BrokerRegistration{
			ID: id, IncarnationID: inc, ClusterID: testClusterID, Rack: rack,
			Listeners: []Endpoint{{Name: "PLAINTEXT", Host: "127.0.0.1", Port: 9091 + id}},
		})
		if err != nil {
			t.Fatalf("RegisterBroker %d: %v", id, err)
		}
		if err := c.UnfenceBroker(ctx, id, epoch); err != nil {
			t.Fatalf("UnfenceBroker %d: %v", id, err)
		}
	}
}

func createTopic(t testing.TB, c *Controller, name string, partitions int32, rf int16) TopicResult {
	t.Helper()
	res := c.CreateTopics(testContext(t), []TopicSpec{{Name: name, NumPartitions: partitions, ReplicationFactor: rf}}, false)
	if res[0].Err != nil {
		t.Fatalf("create %s: %v", name, res[0].Err)
	}
	return res[0]
}

// imageBytes encodes img with Index cleared, for comparing the state of two
// images regardless of how many entries led to them.
func imageBytes(t *testing.T, img *Image) string {
	t.Helper()
	c := *img
	c.Index = 0
	b, err := EncodeImage(&c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSingleNodeReady(t *testing.T) {
	t.Parallel()
	start := time.Now()
	n := openSingle(t, t.TempDir(), ControllerConfig{})
	elapsed := time.Since(start)
	t.Logf("single node ready %v after Open", elapsed)
	if !n.IsController() {
		t.Error("single node is not the controller")
	}
	if id, ok := n.Leader(); !ok || id != 1 {
		t.Errorf("Leader: got %d, %v, want 1, true", id, ok)
	}
	img := n.Image()
	if img.ClusterID != testClusterID {
		t.Errorf("cluster id: got %q, want %q", img.ClusterID, testClusterID)
	}
	if _, err := os.Stat(filepath.Join(n.cfg.Dir, LogDirName, "raft.db")); err != nil {
		t.Errorf("log store not under %s: %v", LogDirName, err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no dir", Config{NodeID: 1, ClusterID: "c"}},
		{"no cluster id", Config{NodeID: 1, Dir: dir}},
		{"negative node id", Config{NodeID: -1, Dir: dir, ClusterID: "c"}},
		{"node not a voter", Config{NodeID: 1, Dir: dir, ClusterID: "c", Voters: map[int32]string{2: "127.0.0.1:1"}}},
		{"observer without a listener", Config{NodeID: 4, Dir: dir, ClusterID: "c", Bootstrap: []string{"127.0.0.1:1"}}},
		{"voter without a port", Config{NodeID: 1, Dir: dir, ClusterID: "c", Voters: map[int32]string{1: "localhost"}, BindAddr: "127.0.0.1:0"}},
		{"bad bootstrap server", Config{NodeID: 4, Dir: dir, ClusterID: "c", Bootstrap: []string{"nohost"}, BindAddr: "127.0.0.1:0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n, err := Open(tt.cfg); err == nil {
				n.Close()
				t.Fatal("got nil error")
			}
		})
	}
	t.Run("directory in use", func(t *testing.T) {
		n := openSingle(t, dir, ControllerConfig{})
		_ = n
		if n2, err := Open(Config{NodeID: 1, Dir: dir, ClusterID: testClusterID, Logger: testLogger()}); err == nil {
			n2.Close()
			t.Fatal("second Open of a directory in use: got nil error")
		}
	})
	t.Run("other cluster id", func(t *testing.T) {
		d := t.TempDir()
		n := openSingle(t, d, ControllerConfig{})
		n.Close()
		if n2, err := Open(Config{NodeID: 1, Dir: d, ClusterID: "another", Logger: testLogger()}); !errors.Is(err, kerr.InconsistentClusterID) {
			if n2 != nil {
				n2.Close()
			}
			t.Fatalf("Open with another cluster id: got %v, want INCONSISTENT_CLUSTER_ID", err)
		}
		// Without the bootstrap marker the log itself still tells.
		if err := os.Remove(filepath.Join(d, LogDirName, bootstrapMarker)); err != nil {
			t.Fatal(err)
		}
		n2, err := Open(Config{NodeID: 1, Dir: d, ClusterID: "another", Logger: testLogger()})
		if err != nil {
			t.Fatal(err)
		}
		defer n2.Close()
		err = n2.WaitReady(testContext(t))
		if !errors.Is(err, kerr.InconsistentClusterID) {
			t.Fatalf("WaitReady: got %v, want INCONSISTENT_CLUSTER_ID", err)
		}
		if n2.IsController() {
			t.Error("node with the wrong cluster id became an active controller")
		}
	})
}

func TestRestartReplaysAndKeepsIDs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := openSingle(t, dir, ControllerConfig{})
	registerBrokers(t, n.Controller(), "", "", "")
	a := createTopic(t, n.Controller(), "alpha", 3, 3)
	b := createTopic(t, n.Controller(), "beta", 1, 1)
	before := imageBytes(t, n.Image())
	index := n.Image().Index
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	n = openSingle(t, dir, ControllerConfig{})
	img := n.Image()
	if got := imageBytes(t, img); got != before {
		t.Errorf("image after restart differs:\n got %s\nwant %s", got, before)
	}
	if img.Index <= index {
		t.Errorf("index after restart: got %d, want > %d", img.Index, index)
	}
	if img.Topics["alpha"].ID != a.ID || img.Topics["beta"].ID != b.ID {
		t.Errorf("topic ids changed: got %v %v, want %v %v", img.Topics["alpha"].ID, img.Topics["beta"].ID, a.ID, b.ID)
	}
	// The restarted controller keeps working on the replayed state.
	res := n.Controller().CreateTopics(testContext(t), []TopicSpec{{Name: "alpha", NumPartitions: 1, ReplicationFactor: 1}}, false)
	if !errors.Is(res[0].Err, kerr.TopicAlreadyExists) {
		t.Errorf("recreate after restart: got %v, want TOPIC_ALREADY_EXISTS", res[0].Err)
	}
	createTopic(t, n.Controller(), "gamma", 2, 2)
}

func TestSnapshotRestore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := openSingle(t, dir, ControllerConfig{})
	registerBrokers(t, n.Controller(), "a", "b")
	createTopic(t, n.Controller(), "before-snapshot", 4, 2)
	if err := n.Snapshot(); err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	snaps, _ := filepath.Glob(filepath.Join(dir, LogDirName, "snapshots", "*", "state.bin"))
	if len(snaps) != 1 {
		t.Fatalf("snapshot files: got %v, want one", snaps)
	}
	createTopic(t, n.Controller(), "after-snapshot", 1, 2)
	if err := n.Controller().FenceBroker(testContext(t), 2, -1); err != nil {
		t.Fatal(err)
	}
	want := imageBytes(t, n.Image())
	n.Close()

	var restored []*Image
	var mu sync.Mutex
	n, err := Open(Config{NodeID: 1, Dir: dir, ClusterID: testClusterID, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	// Open restored the snapshot before returning; the entries after it
	// replay once the node has elected itself.
	if n.Image().Topics["before-snapshot"] == nil {
		t.Error("snapshot not restored by Open")
	}
	n.Subscribe(func(prev, next *Image) {
		mu.Lock()
		restored = append(restored, next)
		mu.Unlock()
	})
	if err := n.WaitReady(testContext(t)); err != nil {
		t.Fatal(err)
	}
	if got := imageBytes(t, n.Image()); got != want {
		t.Errorf("image after snapshot + replay differs:\n got %s\nwant %s", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(restored) == 0 {
		t.Error("subscriber saw no replayed entries")
	}
}

func TestSubscribe(t *testing.T) {
	t.Parallel()
	n := openSingle(t, t.TempDir(), ControllerConfig{})
	var mu sync.Mutex
	var seen [][2]uint64
	cur, cancel := n.Subscribe(func(prev, next *Image) {
		mu.Lock()
		seen = append(seen, [2]uint64{prev.Index, next.Index})
		mu.Unlock()
	})
	registerBrokers(t, n.Controller(), "")
	createTopic(t, n.Controller(), "t", 1, 1)
	cancel()
	createTopic(t, n.Controller(), "u", 1, 1)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 3 {
		t.Fatalf("got %d callbacks %v, want 3 (register, unfence, create)", len(seen), seen)
	}
	last := cur.Index
	for _, s := range seen {
		if s[0] != last || s[1] <= s[0] {
			t.Errorf("callback %v does not follow index %d", s, last)
		}
		last = s[1]
	}
}

func TestAmbiguousReproposeDoesNotDuplicate(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	n := openSingle(t, t.TempDir(), ControllerConfig{})
	registerBrokers(t, n.Controller(), "")
	id1, id2 := UUID{1: 1, 15: 1}, UUID{1: 2, 15: 2}
	create := func(id UUID) []Record {
		return []Record{
			TopicRecord{Name: "dup", ID: id},
			PartitionRecord{TopicID: id, Partition: 0, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1},
		}
	}

	// A proposal whose outcome the proposer never learned (raft.Apply
	// handed off, no wait), then retried with the same records, as a
	// client retrying after a timeout would cause.
	data, err := EncodeEntry(create(id1)...)
	if err != nil {
		t.Fatal(err)
	}
	pending := n.raft.Apply(data, time.Second)
	_, retryErr := n.Propose(ctx, create(id1)...)
	if err := pending.Error(); err != nil {
		t.Fatal(err)
	}
	first := pending.Response()
	if _, ok := first.(applied); !ok {
		t.Fatalf("first proposal: got %v, want applied", first)
	}
	if !errors.Is(retryErr, kerr.TopicAlreadyExists) {
		t.Errorf("retried proposal: got %v, want TOPIC_ALREADY_EXISTS", retryErr)
	}

	// A retry through another controller pass generates a new id; it must
	// not replace the first.
	if _, err := n.Propose(ctx, create(id2)...); !errors.Is(err, kerr.TopicAlreadyExists) {
		t.Errorf("proposal with a new id: got %v, want TOPIC_ALREADY_EXISTS", err)
	}
	img := n.Image()
	tp := img.Topics["dup"]
	if tp == nil || tp.ID != id1 || len(tp.Partitions) != 1 || img.TopicByID(id2) != nil {
		t.Fatalf("topic after retries: got %+v, want id %v with 1 partition", tp, id1)
	}
	res := n.Controller().CreateTopics(ctx, []TopicSpec{{Name: "dup", NumPartitions: 1, ReplicationFactor: 1}}, false)
	if !errors.Is(res[0].Err, kerr.TopicAlreadyExists) || n.Image().Topics["dup"].ID != id1 {
		t.Errorf("CreateTopics retry: got %v, id %v", res[0].Err, n.Image().Topics["dup"].ID)
	}

	// The same holds for partition changes: replaying a change computed
	// for an older partition epoch is rejected.
	change := PartitionChangeRecord{TopicID: id1, Partition: 0, PartitionEpoch: 0, Leader: NoLeader}
	if _, err := n.Propose(ctx, change); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Propose(ctx, change); !errors.Is(err, kerr.InvalidUpdateVersion) {
		t.Errorf("replayed partition change: got %v, want INVALID_UPDATE_VERSION", err)
	}
	if p := n.Image().Partition("dup", 0); p.LeaderEpoch != 1 || p.PartitionEpoch != 1 {
		t.Errorf("partition after replay: got epochs %d/%d, want 1/1", p.LeaderEpoch, p.PartitionEpoch)
	}
}

func TestProposeErrors(t *testing.T) {
	t.Parallel()
	n := openSingle(t, t.TempDir(), ControllerConfig{})
	if _, err := n.Propose(testContext(t)); err == nil {
		t.Error("Propose with no records: got nil error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := n.Propose(ctx, NoOpRecord{}); !errors.Is(err, kerr.RequestTimedOut) {
		t.Errorf("Propose with a cancelled context: got %v, want REQUEST_TIMED_OUT", err)
	}
	n.Close()
	if _, err := n.Propose(testContext(t), NoOpRecord{}); !errors.Is(err, kerr.NotController) {
		t.Errorf("Propose after Close: got %v, want NOT_CONTROLLER", err)
	}
	if res := n.Controller().CreateTopics(testContext(t), []TopicSpec{{Name: "x", NumPartitions: 1, ReplicationFactor: 1}}, false); !errors.Is(res[0].Err, kerr.NotController) {
		t.Errorf("CreateTopics after Close: got %v, want NOT_CONTROLLER", res[0].Err)
	}
	if err := n.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestKafkaError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want *kerr.Error
	}{
		{"nil", nil, nil},
		{"metadata error", newError(kerr.InvalidPartitions, "x"), kerr.InvalidPartitions},
		{"wrapped", errors.Join(errors.New("ctx"), newError(kerr.TopicAlreadyExists, "y")), kerr.TopicAlreadyExists},
		{"bare kerr", kerr.UnknownTopicID, kerr.UnknownTopicID},
		{"deadline", context.DeadlineExceeded, kerr.RequestTimedOut},
		{"other", errors.New("disk on fire"), kerr.UnknownServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := KafkaError(tt.err)
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if _, msg := KafkaError(newError(kerr.InvalidPartitions, "Topic already has 3 partition(s).")); msg != "Topic already has 3 partition(s)." {
		t.Errorf("message: got %q", msg)
	}
}
