package group_test

// End-to-end tests: the real kafka-server engine (internal/broker) on a
// loopback port, driven by clients we did not write (franz-go's kgo and
// IBM/sarama) through their consumer-group implementations.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/broker"
	"github.com/kafkakit/kafkakit/internal/group"
	"github.com/kafkakit/kafkakit/internal/testbroker"
)

const e2eTimeout = 60 * time.Second

// syncBuffer collects the broker's log for failure output.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type e2eBroker struct {
	t    *testing.T
	dir  string
	addr string
	b    *broker.Broker
	log  *syncBuffer
}

// startBroker starts a kafka-server in process on a free loopback port with
// its data in a test directory, stopped at the end of the test.
func startBroker(t *testing.T) *e2eBroker {
	t.Helper()
	eb := &e2eBroker{t: t, dir: t.TempDir(), log: &syncBuffer{}}
	eb.start()
	t.Cleanup(func() {
		if eb.b != nil {
			eb.b.Close()
		}
		if t.Failed() {
			t.Logf("broker log:\n%s", eb.log.String())
		}
	})
	return eb
}

func (eb *e2eBroker) start() {
	eb.t.Helper()
	port, err := testbroker.FreePort()
	if err != nil {
		eb.t.Fatal(err)
	}
	eb.addr = "127.0.0.1:" + strconv.Itoa(port)
	b, err := broker.Start(broker.Options{
		Overrides: []string{
			"listeners=PLAINTEXT://" + eb.addr,
			"log.dirs=" + eb.dir,
			"group.initial.rebalance.delay.ms=0",
			"offsets.topic.num.partitions=4",
		},
		Logger: slog.New(slog.NewTextHandler(eb.log, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	if err != nil {
		eb.t.Fatalf("start broker: %v\n%s", err, eb.log.String())
	}
	eb.b = b
}

// stop closes the broker cleanly, leaving its data directory.
func (eb *e2eBroker) stop() {
	eb.t.Helper()
	if err := eb.b.Close(); err != nil {
		eb.t.Fatalf("close broker: %v", err)
	}
	eb.b = nil
}

func (eb *e2eBroker) admin() *kadm.Client {
	eb.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(eb.addr))
	if err != nil {
		eb.t.Fatal(err)
	}
	eb.t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

// produce creates the topic if needed and writes n records to each of its
// partitions, values "<topic>-<partition>-<i>".
func (eb *e2eBroker) produce(ctx context.Context, topic string, partitions int32, from, n int) {
	eb.t.Helper()
	adm := eb.admin()
	if from == 0 {
		resp, err := adm.CreateTopic(ctx, partitions, 1, nil, topic)
		if err != nil || resp.Err != nil {
			eb.t.Fatalf("create topic: %v %v", err, resp.Err)
		}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(eb.addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		eb.t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for p := range partitions {
		for i := from; i < from+n; i++ {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Value: fmt.Appendf(nil, "%s-%d-%d", topic, p, i)})
		}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		eb.t.Fatalf("produce: %v", err)
	}
}

// kgoConsumer is a franz-go group consumer that records what it consumes
// and what it is assigned.
type kgoConsumer struct {
	cl     *kgo.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	seen     map[string]bool
	assigned map[int32]bool
	events   int // assignment and revocation callbacks
}

func startKgoConsumer(t *testing.T, addr, group, topic string, opts ...kgo.Opt) *kgoConsumer {
	t.Helper()
	c := &kgoConsumer{seen: map[string]bool{}, assigned: map[int32]bool{}, done: make(chan struct{})}
	all := []kgo.Opt{
		kgo.SeedBrokers(addr),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.SessionTimeout(6 * time.Second),
		kgo.RebalanceTimeout(10 * time.Second),
		kgo.HeartbeatInterval(100 * time.Millisecond),
		kgo.FetchMaxWait(100 * time.Millisecond),
		kgo.AutoCommitInterval(100 * time.Millisecond),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.events++
			for _, p := range m[topic] {
				c.assigned[p] = true
			}
		}),
		kgo.OnPartitionsRevoked(func(ctx context.Context, cl *kgo.Client, m map[string][]int32) {
			cl.CommitMarkedOffsets(ctx)
			c.mu.Lock()
			defer c.mu.Unlock()
			c.events++
			for _, p := range m[topic] {
				delete(c.assigned, p)
			}
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.events++
			for _, p := range m[topic] {
				delete(c.assigned, p)
			}
		}),
	}
	cl, err := kgo.NewClient(append(all, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	c.cl = cl
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() {
		defer close(c.done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			fs.EachRecord(func(r *kgo.Record) {
				c.mu.Lock()
				c.seen[string(r.Value)] = true
				c.mu.Unlock()
			})
		}
	}()
	t.Cleanup(c.close)
	return c
}

// close commits what was consumed and closes the client (which leaves the
// group, unless the member is static).
func (c *kgoConsumer) close() {
	select {
	case <-c.done:
		return
	default:
	}
	c.cancel()
	<-c.done
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.cl.CommitUncommittedOffsets(ctx)
	c.cl.Close()
}

func (c *kgoConsumer) snapshot() (seen int, assigned []int32, events int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for p := range c.assigned {
		assigned = append(assigned, p)
	}
	slices.Sort(assigned)
	return len(c.seen), assigned, c.events
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(e2eTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

func seenUnion(cs ...*kgoConsumer) int {
	all := map[string]bool{}
	for _, c := range cs {
		c.mu.Lock()
		for v := range c.seen {
			all[v] = true
		}
		c.mu.Unlock()
	}
	return len(all)
}

// TestE2EKgoConsumerGroup runs two franz-go consumers in one group with an
// eager and with a cooperative balancer: the second member's arrival must
// rebalance the partitions between them (for cooperative-sticky that takes
// two rebalances), everything produced is consumed, and the committed
// offsets are the end offsets once both have left.
func TestE2EKgoConsumerGroup(t *testing.T) {
	t.Parallel()
	eb := startBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	for _, tc := range []struct {
		name     string
		balancer kgo.GroupBalancer
		protocol string
	}{
		{"eager range", kgo.RangeBalancer(), "range"},
		{"cooperative sticky", kgo.CooperativeStickyBalancer(), "cooperative-sticky"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topic, group := "t-"+tc.protocol, "g-"+tc.protocol
			eb.produce(ctx, topic, 3, 0, 10)
			a := startKgoConsumer(t, eb.addr, group, topic, kgo.Balancers(tc.balancer))
			waitUntil(t, "the first consumer to read everything", func() bool {
				seen, assigned, _ := a.snapshot()
				return seen == 30 && len(assigned) == 3
			})
			b := startKgoConsumer(t, eb.addr, group, topic, kgo.Balancers(tc.balancer))
			waitUntil(t, "the partitions to be split between both consumers", func() bool {
				_, pa, _ := a.snapshot()
				_, pb, _ := b.snapshot()
				return len(pa) > 0 && len(pb) > 0 && len(pa)+len(pb) == 3 && !slices.ContainsFunc(pa, func(p int32) bool { return slices.Contains(pb, p) })
			})
			eb.produce(ctx, topic, 3, 10, 10)
			waitUntil(t, "both consumers to read the new records", func() bool { return seenUnion(a, b) == 60 })

			adm := eb.admin()
			described, err := adm.DescribeGroups(ctx, group)
			if err != nil {
				t.Fatal(err)
			}
			d := described[group]
			if d.State != "Stable" || d.Protocol != tc.protocol || d.ProtocolType != "consumer" || len(d.Members) != 2 {
				t.Errorf("describe: state %s protocol %s type %s members %d, want Stable %s consumer 2", d.State, d.Protocol, d.ProtocolType, len(d.Members), tc.protocol)
			}

			a.close()
			b.close()
			described, err = adm.DescribeGroups(ctx, group)
			if err != nil {
				t.Fatal(err)
			}
			if d := described[group]; d.State != "Empty" {
				t.Errorf("after both left: state %s, want Empty", d.State)
			}
			offsets, err := adm.FetchOffsets(ctx, group)
			if err != nil {
				t.Fatal(err)
			}
			for p := range int32(3) {
				o, ok := offsets.Lookup(topic, p)
				if !ok || o.Err != nil || o.At != 20 {
					t.Errorf("committed offset of %s-%d: %+v, want 20", topic, p, o)
				}
			}
		})
	}
}

// TestE2EStaticMemberRestart: a static kgo member that restarts with its
// instance id gets its partitions back without a rebalance of the others.
func TestE2EStaticMemberRestart(t *testing.T) {
	t.Parallel()
	eb := startBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	eb.produce(ctx, "s", 4, 0, 5)
	opts := func(id string) []kgo.Opt {
		return []kgo.Opt{kgo.InstanceID(id), kgo.Balancers(kgo.RangeBalancer()), kgo.SessionTimeout(20 * time.Second)}
	}
	a := startKgoConsumer(t, eb.addr, "static", "s", opts("a")...)
	waitUntil(t, "a to own every partition", func() bool { _, p, _ := a.snapshot(); return len(p) == 4 })
	b := startKgoConsumer(t, eb.addr, "static", "s", opts("b")...)
	waitUntil(t, "a and b to share the partitions", func() bool {
		_, pa, _ := a.snapshot()
		_, pb, _ := b.snapshot()
		return len(pa) == 2 && len(pb) == 2
	})
	_, before, _ := a.snapshot()
	_, _, bEvents := b.snapshot()
	a.close() // static: no LeaveGroup
	a2 := startKgoConsumer(t, eb.addr, "static", "s", opts("a")...)
	waitUntil(t, "the restarted a to get its partitions back", func() bool {
		_, p, _ := a2.snapshot()
		return slices.Equal(p, before)
	})
	eb.produce(ctx, "s", 4, 5, 5)
	waitUntil(t, "new records to be consumed", func() bool { return seenUnion(a, a2, b) == 40 })
	if _, pb, events := b.snapshot(); events != bEvents || len(pb) != 2 {
		t.Errorf("b saw %d more assignment events and owns %v: the restart rebalanced the group", events-bEvents, pb)
	}
}

// TestE2ESaramaConsumerGroup: sarama's consumer group (what the project's
// tools use) consumes, commits, and resumes from its commits; the commits
// the broker wrote to disk load into a fresh coordinator.
func TestE2ESaramaConsumerGroup(t *testing.T) {
	t.Parallel()
	eb := startBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	eb.produce(ctx, "sar", 2, 0, 10)

	consume := func(want int) map[string]bool {
		t.Helper()
		cfg := sarama.NewConfig()
		cfg.Version = sarama.V2_8_0_0
		cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
		cfg.Consumer.Offsets.AutoCommit.Interval = 100 * time.Millisecond
		cfg.Consumer.Group.Heartbeat.Interval = 100 * time.Millisecond
		cfg.Consumer.Group.Session.Timeout = 6 * time.Second
		cfg.Consumer.MaxWaitTime = 100 * time.Millisecond
		cg, err := sarama.NewConsumerGroup([]string{eb.addr}, "sarama-group", cfg)
		if err != nil {
			t.Fatalf("sarama consumer group: %v", err)
		}
		h := &saramaHandler{seen: map[string]bool{}, want: want, full: make(chan struct{})}
		cctx, ccancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			for cctx.Err() == nil {
				if err := cg.Consume(cctx, []string{"sar"}, h); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		select {
		case <-h.full:
		case <-ctx.Done():
			t.Fatalf("sarama consumed %d records, want %d", h.count(), want)
		}
		ccancel()
		if err := <-done; err != nil {
			t.Errorf("consume: %v", err)
		}
		if err := cg.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		return h.seen
	}
	if got := consume(20); len(got) != 20 {
		t.Fatalf("first run consumed %d, want 20", len(got))
	}
	offsets, err := eb.admin().FetchOffsets(ctx, "sarama-group")
	if err != nil {
		t.Fatal(err)
	}
	for p := range int32(2) {
		if o, ok := offsets.Lookup("sar", p); !ok || o.At != 10 {
			t.Errorf("committed offset of sar-%d: %+v, want 10", p, o)
		}
	}

	// A new run resumes from the commits and reads only the new records.
	eb.produce(ctx, "sar", 2, 10, 3)
	got := consume(6)
	for v := range got {
		if !strings.HasSuffix(v, "-10") && !strings.HasSuffix(v, "-11") && !strings.HasSuffix(v, "-12") {
			t.Errorf("second run re-read %q", v)
		}
	}

	// What the broker wrote to disk is Kafka's __consumer_offsets format: a
	// fresh coordinator loading the partition files finds the commits.
	eb.stop()
	c := group.New(group.Config{OffsetsTopicPartitions: 4}, dirStorage{dir: eb.dir})
	defer c.Close()
	p := c.PartitionFor("sarama-group")
	if err := c.Load(ctx, p); err != nil {
		t.Fatalf("load __consumer_offsets-%d from disk: %v", p, err)
	}
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version, req.Group = 7, "sarama-group"
	resp := c.OffsetFetch(ctx, req)
	var committed []string
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			committed = append(committed, fmt.Sprintf("%s-%d@%d", rt.Topic, rp.Partition, rp.Offset))
		}
	}
	if want := []string{"sar-0@13", "sar-1@13"}; !slices.Equal(committed, want) {
		t.Errorf("offsets reloaded from disk: %v, want %v", committed, want)
	}
}

// dirStorage reads __consumer_offsets partitions from a stopped broker's
// log directory, segment by segment.
type dirStorage struct{ dir string }

func (s dirStorage) Append(context.Context, int32, []byte) (int64, error) {
	return 0, errors.New("read-only")
}

func (s dirStorage) Replay(_ context.Context, p int32, fn func([]byte) error) error {
	logs, err := filepath.Glob(filepath.Join(s.dir, fmt.Sprintf("__consumer_offsets-%d", p), "*.log"))
	if err != nil {
		return err
	}
	slices.Sort(logs)
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil {
			return err
		}
		if len(b) == 0 {
			continue
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return nil
}

type saramaHandler struct {
	mu   sync.Mutex
	seen map[string]bool
	want int
	full chan struct{}
	once sync.Once
}

func (h *saramaHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *saramaHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h *saramaHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.seen)
}

func (h *saramaHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		h.mu.Lock()
		h.seen[string(m.Value)] = true
		n := len(h.seen)
		h.mu.Unlock()
		sess.MarkMessage(m, "")
		if n >= h.want {
			sess.Commit()
			h.once.Do(func() { close(h.full) })
		}
	}
	return nil
}
