package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// clusterNodes is the size of the cluster of the replication figure.
const clusterNodes = 3

// clusterResult is one round of the replication figure: the same load
// produced with acks=all to a topic replicated on three kafka-server nodes
// (RF 3, min.insync.replicas 2) and with acks=1 to a single node.
type clusterResult struct {
	Case  caseSpec  `json:"case"`
	Round int       `json:"round"`
	Three runResult `json:"three_nodes_acks_all"`
	One   runResult `json:"one_node_acks_1"`
	// Ratio is the three-node acks=all produce rate over the single-node
	// acks=1 rate of the same round.
	Ratio float64 `json:"ratio"`
}

// clusterFigures is the replication section of the results.
type clusterFigures struct {
	Skipped string          `json:"skipped,omitempty"`
	StartMs float64         `json:"start_ms"` // exec of the first node to every partition of the topic having three in-sync replicas
	Runs    []clusterResult `json:"runs"`
}

// cluster is three kafka-server processes forming one cluster, each broker
// and controller.
type cluster struct {
	nodes []*broker
	addrs []string
}

// startCluster starts three nodes with their data under root and waits
// until all answer ApiVersions. Every node is a voter of the metadata
// quorum on its CONTROLLER listener, as scripts/cluster.sh runs them.
func startCluster(ctx context.Context, bin, root string) (*cluster, error) {
	var clientPorts, ctrlPorts []int
	for range clusterNodes {
		p1, err := freePort()
		if err != nil {
			return nil, err
		}
		p2, err := freePort()
		if err != nil {
			return nil, err
		}
		clientPorts, ctrlPorts = append(clientPorts, p1), append(ctrlPorts, p2)
	}
	var voters []string
	for i, p := range ctrlPorts {
		voters = append(voters, fmt.Sprintf("%d@127.0.0.1:%d", i+1, p))
	}
	c := &cluster{}
	type started struct {
		i   int
		b   *broker
		err error
	}
	done := make(chan started, clusterNodes)
	for i := range clusterNodes {
		spec := &brokerSpec{
			Name: fmt.Sprintf("node%d", i+1),
			Bin:  bin,
			Args: func(port int, dir string) []string {
				return []string{
					"--override", "node.id=" + strconv.Itoa(i+1),
					"--override", "process.roles=broker,controller",
					"--override", fmt.Sprintf("listeners=PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d", port, ctrlPorts[i]),
					"--override", "controller.listener.names=CONTROLLER",
					"--override", "controller.quorum.voters=" + strings.Join(voters, ","),
					"--override", "log.dirs=" + dir,
					"--override", "num.partitions=6",
					"--override", "default.replication.factor=3",
					"--override", "offsets.topic.replication.factor=3",
					"--override", "min.insync.replicas=2",
					"--override", "group.initial.rebalance.delay.ms=0",
					"--log-level", "warn",
				}
			},
		}
		go func() {
			b, err := startBrokerOn(ctx, spec, filepath.Join(root, spec.Name), clientPorts[i])
			done <- started{i, b, err}
		}()
	}
	c.nodes = make([]*broker, clusterNodes)
	var errs []error
	for range clusterNodes {
		s := <-done
		c.nodes[s.i] = s.b
		if s.err != nil {
			errs = append(errs, s.err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		c.stop()
		return nil, err
	}
	for _, b := range c.nodes {
		c.addrs = append(c.addrs, b.Addr)
	}
	return c, nil
}

// waitDeleted waits until no node has files of topic left. Each node
// deletes a deleted topic's segments when it applies the deletion, after
// DeleteTopics has answered; without the wait, that work (freeing the
// page cache of three copies of the run's data) would fall into the next
// run's measurement.
func (c *cluster) waitDeleted(ctx context.Context, topic string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		left := false
		for _, n := range c.nodes {
			left = left || topicBytes(n.Dir, topic) > 0
		}
		if !left {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("files of deleted topic %s still on the nodes after 30 s", topic)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// stop stops every node at once (a node waits for the others while it
// shuts down in a controlled way) and returns what went wrong.
func (c *cluster) stop() error {
	errs := make(chan error, len(c.nodes))
	n := 0
	for _, b := range c.nodes {
		if b == nil {
			continue
		}
		n++
		go func() { errs <- b.Stop() }()
	}
	var all []error
	for range n {
		if err := <-errs; err != nil {
			all = append(all, err)
		}
	}
	return errors.Join(all...)
}

// waitReplicated waits until topic has partitions partitions, each with a
// leader and every replica in sync.
func waitReplicated(ctx context.Context, cl *kgo.Client, topic string, partitions int32, replicas int) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		req := kmsg.NewPtrMetadataRequest()
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		if err == nil && len(resp.Topics) == 1 && resp.Topics[0].ErrorCode == 0 && int32(len(resp.Topics[0].Partitions)) == partitions {
			ok := true
			for _, p := range resp.Topics[0].Partitions {
				if p.ErrorCode != 0 || p.Leader < 0 || len(p.ISR) < replicas {
					ok = false
				}
			}
			if ok {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("topic %s: not fully replicated 60s after creation (last error %v)", topic, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// createReplicated creates topic with RF 3 and min.insync.replicas 2 and
// waits until it is fully replicated. Until all three brokers have
// registered with the controller, CreateTopics fails (too few brokers for
// the replication factor, or no controller yet); it is retried for up to
// a minute.
func createReplicated(ctx context.Context, cl *kgo.Client, topic string, partitions int32) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := createReplicatedOnce(ctx, cl, topic, partitions)
		if err == nil || errors.Is(err, kerr.TopicAlreadyExists) {
			return waitReplicated(ctx, cl, topic, partitions, clusterNodes)
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func createReplicatedOnce(ctx context.Context, cl *kgo.Client, topic string, partitions int32) error {
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 30000
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic = topic
	rt.NumPartitions = partitions
	rt.ReplicationFactor = clusterNodes
	cfg := kmsg.NewCreateTopicsRequestTopicConfig()
	cfg.Name, cfg.Value = "min.insync.replicas", kmsg.StringPtr("2")
	rt.Configs = append(rt.Configs, cfg)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	if len(resp.Topics) != 1 {
		return fmt.Errorf("create topic %s: %d topics in response", topic, len(resp.Topics))
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	return nil
}

// warmReplicated produces one record without a value to every partition
// of a new replicated topic with acks=all and returns how long until all
// were acknowledged. The first acks=all produce to a new topic waits until
// the followers have fetched its partitions (tens of milliseconds, longer
// if a leader learns of the topic late); the throughput is measured after
// that, and the delay is reported on its own. The consumer's verifier
// skips these records.
func warmReplicated(ctx context.Context, addr, topic string, partitions int32) (time.Duration, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds(addr)...), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0), kgo.ClientID("kafkakit-bench-warmup"))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	if err := cl.Ping(ctx); err != nil {
		return 0, fmt.Errorf("ping: %w", err)
	}
	t0 := time.Now()
	recs := make([]*kgo.Record, partitions)
	for p := range recs {
		recs[p] = &kgo.Record{Partition: int32(p)}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return 0, fmt.Errorf("first acks=all produce to %s: %w", topic, err)
	}
	return time.Since(t0), nil
}

// clusterCases are the loads of the replication figure: 100 B and 1 KiB
// records on 6 partitions, uncompressed.
func clusterCases(small, large int) []caseSpec {
	return []caseSpec{
		{Name: "100B p6", Size: 100, Codec: "none", Partitions: 6, Records: small},
		{Name: "1KiB p6", Size: 1024, Codec: "none", Partitions: 6, Records: large},
	}
}

// runThreeNodeCluster measures replication: for each case and round, the
// case produced with acks=all to three local kafka-server nodes (RF 3,
// min.insync.replicas 2, leaders spread over the nodes) and, in the same
// round, with acks=1 to the suite's single kafka-server node, alternating
// which goes first; each run consumes and verifies what it produced. The
// target is a ratio of at least 0.5.
func runThreeNodeCluster(ctx context.Context, c *config, logger *slog.Logger, single *broker, singleAdmin *admin, root string, p payload) *clusterFigures {
	figs := &clusterFigures{}
	t0 := time.Now()
	cl, err := startCluster(ctx, c.serverBin, filepath.Join(root, "cluster"))
	if err != nil {
		figs.Skipped = "cluster did not start: " + err.Error()
		return figs
	}
	defer func() {
		if err := cl.stop(); err != nil {
			logger.Warn("cluster stop", "err", err)
		}
		if !c.keep {
			os.RemoveAll(filepath.Join(root, "cluster"))
		}
	}()
	adminCl, err := kgo.NewClient(kgo.SeedBrokers(cl.addrs...), kgo.ClientID("kafkakit-bench-admin"))
	if err != nil {
		figs.Skipped = err.Error()
		return figs
	}
	defer adminCl.Close()
	warm := "bench-cluster-warmup"
	if err := createReplicated(ctx, adminCl, warm, 6); err != nil {
		figs.Skipped = "cluster not usable: " + err.Error()
		return figs
	}
	figs.StartMs = ms(time.Since(t0))
	_ = (&admin{cl: adminCl}).deleteTopic(ctx, warm)
	logger.Info("cluster up", "nodes", cl.addrs, "start_ms", round1(figs.StartMs))
	clusterBroker := &broker{Spec: &brokerSpec{Name: "cluster"}, Addr: strings.Join(cl.addrs, ",")}

	for round := range c.Rounds {
		for ci, cs := range clusterCases(c.SmallRecords, c.LargeRecords) {
			if !c.wants("cluster " + cs.Name) {
				continue
			}
			r := clusterResult{Case: cs, Round: round}
			for j := range 2 {
				if (round+ci+j)%2 == 0 {
					three := cs
					three.Acks = -1
					r.Three = runClusterThroughput(ctx, cl, adminCl, clusterBroker, three, round, p)
				} else {
					one := cs
					one.Acks = 1
					r.One = runThroughput(ctx, single, singleAdmin, one, round, p, &profiler{})
				}
			}
			if r.Three.Err == "" && r.One.Err == "" && r.One.ProduceRecPerSec > 0 {
				r.Ratio = r.Three.ProduceRecPerSec / r.One.ProduceRecPerSec
			}
			figs.Runs = append(figs.Runs, r)
			logger.Info("run", "case", "cluster "+cs.Name, "round", round,
				"three_acks_all_rec_s", int(r.Three.ProduceRecPerSec), "one_acks_1_rec_s", int(r.One.ProduceRecPerSec),
				"ratio", round2(r.Ratio), "err", r.Three.Err+r.One.Err)
		}
	}
	return figs
}

// runClusterThroughput is runThroughput against the cluster: a replicated
// topic, the client bootstrapped from all three nodes. Broker CPU is the
// sum over the three processes.
func runClusterThroughput(ctx context.Context, cl *cluster, adminCl *kgo.Client, b *broker, cs caseSpec, round int, p payload) runResult {
	r := runResult{Broker: "cluster", Round: round}
	fail := func(err error) runResult { r.Err = err.Error(); return r }
	topic := topicName("cluster "+cs.Name, "three", round)
	t0 := time.Now()
	if err := createReplicated(ctx, adminCl, topic, cs.Partitions); err != nil {
		return fail(err)
	}
	r.TopicReadyMs = ms(time.Since(t0))
	defer func() {
		if err := (&admin{cl: adminCl}).deleteTopic(ctx, topic); err != nil && r.Err == "" {
			r.Err = err.Error()
		}
		if err := cl.waitDeleted(ctx, topic); err != nil && r.Err == "" {
			r.Err = err.Error()
		}
	}()
	first, err := warmReplicated(ctx, b.Addr, topic, cs.Partitions)
	if err != nil {
		return fail(err)
	}
	r.FirstProduceMs = ms(first)
	cpu := func() (time.Duration, error) {
		var sum time.Duration
		for _, n := range cl.nodes {
			d, err := n.CPU()
			if err != nil {
				return 0, err
			}
			sum += d
		}
		return sum, nil
	}
	cpu0, err := cpu()
	if err != nil {
		return fail(err)
	}
	pd, err := produce(ctx, b.Addr, topic, cs.Records, cs.Size, cs.Acks, cs.Codec, p)
	if err != nil {
		return fail(fmt.Errorf("produce: %w", err))
	}
	cpu1, err := cpu()
	if err != nil {
		return fail(err)
	}
	cd, err := consume(ctx, b.Addr, topic, cs.Records)
	if err != nil {
		return fail(fmt.Errorf("consume: %w", err))
	}
	cpu2, err := cpu()
	if err != nil {
		return fail(err)
	}
	n := float64(cs.Records)
	bytes := n * float64(cs.Size)
	r.ProduceSec, r.ConsumeSec = pd.Seconds(), cd.Seconds()
	r.ProduceRecPerSec, r.ProduceMBps = n/pd.Seconds(), bytes/pd.Seconds()/1e6
	r.ConsumeRecPerSec, r.ConsumeMBps = n/cd.Seconds(), bytes/cd.Seconds()/1e6
	r.BrokerCPUProduceSec = (cpu1 - cpu0).Seconds()
	r.BrokerCPUConsumeSec = (cpu2 - cpu1).Seconds()
	r.BrokerCPUSecPerM = (cpu2 - cpu0).Seconds() / n * 1e6
	return r
}
