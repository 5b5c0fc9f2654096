package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkakit/kafkakit/internal/testbroker"
)

// bins are the binaries under test, built once by TestMain.
var bins struct {
	server, topics string
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kafkakit-cluster-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	names := []string{"kafka-topics"}
	if bins.server = os.Getenv("KAFKAKIT_SERVER_BIN"); bins.server == "" {
		names = append(names, "kafka-server")
	}
	built, err := testbroker.BuildCommands(dir, names...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	bins.topics = built["kafka-topics"]
	if bins.server == "" {
		bins.server = built["kafka-server"]
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// clusterConfig is what a test asks of its cluster.
type clusterConfig struct {
	nodes     int
	overrides []string
	advertise func(id int32, addr string) string
}

// baseOverrides are the properties every test cluster runs with: fast
// failure detection, RF 3 and min.insync.replicas 2 by default, and group
// rebalances without the initial delay.
func baseOverrides() []string {
	return append(testbroker.FastFailoverOverrides(),
		"default.replication.factor=3",
		"min.insync.replicas=2",
		"num.partitions=3",
		"auto.create.topics.enable=false",
		"group.initial.rebalance.delay.ms=0",
	)
}

// startCluster starts a cluster for t and stops it when t ends. When t
// fails, the tail of every node's log goes to the test output.
func startCluster(t testing.TB, cc clusterConfig) *testbroker.Cluster {
	t.Helper()
	if cc.nodes == 0 {
		cc.nodes = 3
	}
	dir := t.TempDir()
	if os.Getenv("KAFKAKIT_CLUSTER_KEEP") != "" {
		var err error
		if dir, err = os.MkdirTemp("", "kafkakit-cluster-"+sanitize(t.Name())+"-"); err != nil {
			t.Fatal(err)
		}
	}
	c, err := testbroker.StartClusterWith(bins.server, dir, cc.nodes, testbroker.ClusterOptions{
		Overrides: append(baseOverrides(), cc.overrides...),
		Advertise: cc.advertise,
	})
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, nd := range c.Nodes {
				t.Logf("node %d log (%s), last lines other than raft's:\n%s", nd.ID, nd.Dir, tail(withoutRaft(nd.Log()), 60))
			}
			if os.Getenv("KAFKAKIT_CLUSTER_KEEP") != "" {
				t.Logf("cluster data kept in %s", dir)
			}
		}
		// Resume paused nodes so that they can be stopped.
		for _, nd := range c.Nodes {
			if nd.Running() {
				nd.Resume()
			}
		}
		c.Kill()
	})
	return c
}

func sanitize(name string) string {
	return strings.NewReplacer("/", "_", " ", "_").Replace(name)
}

// withoutRaft drops hashicorp/raft's own lines from a node log.
func withoutRaft(log string) string {
	var b strings.Builder
	for line := range strings.Lines(log) {
		if !strings.Contains(line, "component=raft") {
			b.WriteString(line)
		}
	}
	return b.String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// newAdmin returns an admin client bootstrapped from every node.
func newAdmin(t testing.TB, c *testbroker.Cluster) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addrs()...), kgo.MetadataMinAge(50*time.Millisecond),
		kgo.RetryTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

func testContext(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// createTopic creates topic with partitions and replicas through the
// admin API and waits until every partition has a leader.
func createTopic(t testing.TB, adm *kadm.Client, topic string, partitions int32, rf int16, configs map[string]*string) {
	t.Helper()
	ctx := testContext(t, 30*time.Second)
	resp, err := adm.CreateTopic(ctx, partitions, rf, configs, topic)
	if err == nil {
		err = resp.Err
	}
	// The client retries a request whose answer it lost (a controller
	// change under load); the first attempt may have created the topic.
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	waitFor(t, 20*time.Second, "every partition of "+topic+" has a leader", func() (bool, string) {
		ps, err := describe(ctx, adm, topic)
		if err != nil {
			return false, err.Error()
		}
		if len(ps) != int(partitions) {
			return false, fmt.Sprintf("%d partitions", len(ps))
		}
		for _, p := range ps {
			if p.Leader < 0 {
				return false, fmt.Sprintf("partition %d has no leader", p.Partition)
			}
		}
		return true, ""
	})
}

// partitionState is one partition as Metadata reports it.
type partitionState struct {
	Partition   int32
	Leader      int32
	LeaderEpoch int32
	Replicas    []int32
	ISR         []int32
}

// describe returns topic's partitions, by partition, from Metadata.
func describe(ctx context.Context, adm *kadm.Client, topic string) ([]partitionState, error) {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	md, err := adm.Metadata(rctx, topic)
	if err != nil {
		return nil, err
	}
	td, ok := md.Topics[topic]
	if !ok {
		return nil, fmt.Errorf("topic %s not in metadata", topic)
	}
	if td.Err != nil {
		return nil, td.Err
	}
	var out []partitionState
	for _, p := range td.Partitions.Sorted() {
		out = append(out, partitionState{Partition: p.Partition, Leader: p.Leader, LeaderEpoch: p.LeaderEpoch,
			Replicas: slices.Sorted(slices.Values(p.Replicas)), ISR: slices.Sorted(slices.Values(p.ISR))})
	}
	return out, nil
}

// waitFor polls cond every 100 ms until it holds or d passes; on timeout
// the test fails with what and cond's last explanation.
func waitFor(t testing.TB, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	var why string
	for {
		var ok bool
		if ok, why = cond(); ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, still not true that %s: %s", d, what, why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitFullISR waits until every partition of topic has a leader and an
// ISR equal to its replica set (nothing under-replicated).
func waitFullISR(t testing.TB, adm *kadm.Client, topic string, d time.Duration) []partitionState {
	t.Helper()
	var last []partitionState
	waitFor(t, d, "every partition of "+topic+" has its full ISR", func() (bool, string) {
		ps, err := describe(context.Background(), adm, topic)
		if err != nil {
			return false, err.Error()
		}
		last = ps
		for _, p := range ps {
			if p.Leader < 0 || !slices.Equal(p.ISR, p.Replicas) {
				return false, fmt.Sprintf("partition %d: leader %d, replicas %v, ISR %v", p.Partition, p.Leader, p.Replicas, p.ISR)
			}
		}
		return true, ""
	})
	return last
}

// activeController waits until exactly one running node leads the
// metadata quorum and returns it.
func activeController(t testing.TB, c *testbroker.Cluster) int32 {
	t.Helper()
	var id int32
	waitFor(t, 15*time.Second, "one node is the active controller", func() (bool, string) {
		var ok bool
		id, ok = c.ActiveController()
		return ok, "no single raft leader among the running nodes"
	})
	return id
}
