package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The load generator is one franz-go client configuration used unchanged
// against both brokers: linger 0, batches up to kgo's 1 MB default,
// at most 5 produce requests in flight per connection (idempotent with
// acks=all, plain with acks=1), records without keys (sticky partitioning),
// values of random capital letters as Kafka's kafka-producer-perf-test
// sends them.

// poolSize bounds the records a producer has in flight; it is the only
// back-pressure on the produce loop.
const poolSize = 1 << 15

// payload is a read-only buffer of random capital letters, from which each
// record's value takes a slice at a varying offset.
type payload []byte

func newPayload(seed uint64) payload {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	p := make(payload, 1<<20)
	for i := range p {
		p[i] = byte('A' + r.IntN(26))
	}
	return p
}

// fill writes the sequence number into the first 8 bytes of v (when it has
// them) and random letters into the rest.
func (p payload) fill(v []byte, seq uint64) {
	rest := v
	if len(v) >= 8 {
		binary.BigEndian.PutUint64(v, seq)
		rest = v[8:]
	}
	off := int(seq*7919%uint64(len(p))) % (len(p) - min(len(rest), len(p)-1))
	for len(rest) > 0 {
		n := copy(rest, p[off:])
		rest, off = rest[n:], 0
	}
}

func codec(name string) (kgo.CompressionCodec, error) {
	switch name {
	case "none":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("unknown compression %q", name)
}

// seeds splits a comma-separated list of broker addresses.
func seeds(addrs string) []string { return strings.Split(addrs, ",") }

// producerOpts is the producer configuration of every run.
func producerOpts(addr, topic string, acks int, compression string) ([]kgo.Opt, error) {
	cc, err := codec(compression)
	if err != nil {
		return nil, err
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(seeds(addr)...),
		kgo.DefaultProduceTopic(topic),
		kgo.ProducerLinger(0),
		kgo.ProducerBatchCompression(cc),
		kgo.MaxBufferedRecords(poolSize + 1),
		kgo.RecordDeliveryTimeout(60 * time.Second),
		kgo.ClientID("kafkakit-bench"),
	}
	switch acks {
	case -1:
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case 1:
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite(),
			kgo.MaxProduceRequestsInflightPerBroker(5))
	default:
		return nil, fmt.Errorf("acks %d: use 1 or -1", acks)
	}
	return opts, nil
}

// produce sends n records of size bytes to topic and returns the time from
// the first send to the last acknowledgement.
func produce(ctx context.Context, addr, topic string, n, size, acks int, compression string, p payload) (time.Duration, error) {
	opts, err := producerOpts(addr, topic, acks, compression)
	if err != nil {
		return 0, err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return 0, err
	}
	defer cl.Close()

	pool := min(poolSize, n)
	free := make(chan *kgo.Record, pool)
	for range pool {
		free <- &kgo.Record{Value: make([]byte, size)}
	}
	var failed atomic.Int64
	var firstErr error
	var errOnce sync.Once
	promise := func(r *kgo.Record, err error) {
		if err != nil {
			failed.Add(1)
			errOnce.Do(func() { firstErr = err })
		}
		free <- r
	}
	// Connect and load metadata before the clock starts.
	if err := cl.Ping(ctx); err != nil {
		return 0, fmt.Errorf("ping: %w", err)
	}
	start := time.Now()
	for i := range n {
		var r *kgo.Record
		select {
		case r = <-free:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		v := r.Value
		*r = kgo.Record{Value: v}
		p.fill(v, uint64(i))
		cl.Produce(ctx, r, promise)
	}
	if err := cl.Flush(ctx); err != nil {
		return 0, fmt.Errorf("flush: %w", err)
	}
	elapsed := time.Since(start)
	if f := failed.Load(); f > 0 {
		return 0, fmt.Errorf("%d of %d records failed, first: %w", f, n, firstErr)
	}
	return elapsed, nil
}

// consume reads topic from the start until it has n records and checks
// them: every sequence number 0..n-1 exactly once, and within each
// partition in the order they were produced. It returns the time from the
// first fetch to the last record.
func consume(ctx context.Context, addr, topic string, n int) (time.Duration, error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(seeds(addr)...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(500*time.Millisecond),
		kgo.ClientID("kafkakit-bench"),
	)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()

	v := newVerifier(n)
	start := time.Now()
	for v.count < n {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("consumed %d of %d records: %w", v.count, n, err)
		}
		var ferr error
		fetches.EachError(func(t string, p int32, err error) {
			if ferr == nil {
				ferr = fmt.Errorf("fetch %s/%d: %w", t, p, err)
			}
		})
		if ferr != nil {
			return 0, ferr
		}
		var verr error
		fetches.EachRecord(func(r *kgo.Record) {
			if verr == nil {
				verr = v.add(r.Partition, r.Value)
			}
		})
		if verr != nil {
			return 0, verr
		}
	}
	return time.Since(start), nil
}

// verifier checks consumed records against what produce sent.
type verifier struct {
	n     int
	count int
	seen  []uint64
	last  map[int32]uint64
}

func newVerifier(n int) *verifier {
	return &verifier{n: n, seen: make([]uint64, (n+63)/64), last: map[int32]uint64{}}
}

func (v *verifier) add(partition int32, value []byte) error {
	if value == nil {
		return nil // a warm-up record of a cluster run (warmReplicated)
	}
	if len(value) < 8 {
		return fmt.Errorf("record of %d bytes in partition %d: too short for a sequence number", len(value), partition)
	}
	seq := binary.BigEndian.Uint64(value)
	if seq >= uint64(v.n) {
		return fmt.Errorf("partition %d: sequence %d out of range (produced %d)", partition, seq, v.n)
	}
	if v.seen[seq/64]&(1<<(seq%64)) != 0 {
		return fmt.Errorf("partition %d: sequence %d duplicated", partition, seq)
	}
	if last, ok := v.last[partition]; ok && seq <= last {
		return fmt.Errorf("partition %d: sequence %d after %d (reordered)", partition, seq, last)
	}
	v.seen[seq/64] |= 1 << (seq % 64)
	v.last[partition] = seq
	v.count++
	return nil
}

// admin creates and deletes the topics of the runs.
type admin struct{ cl *kgo.Client }

func newAdmin(addr string) (*admin, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ClientID("kafkakit-bench-admin"))
	if err != nil {
		return nil, err
	}
	return &admin{cl: cl}, nil
}

func (a *admin) Close() { a.cl.Close() }

// createTopic creates topic with RF 1 and returns how long CreateTopics
// took to answer and how long until Metadata shows a leader for every
// partition (the topic is usable).
func (a *admin) createTopic(ctx context.Context, topic string, partitions int32) (created, ready time.Duration, err error) {
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 30000
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic = topic
	rt.NumPartitions = partitions
	rt.ReplicationFactor = 1
	req.Topics = append(req.Topics, rt)
	t0 := time.Now()
	resp, err := req.RequestWith(ctx, a.cl)
	if err != nil {
		return 0, 0, fmt.Errorf("create topic %s: %w", topic, err)
	}
	created = time.Since(t0)
	if len(resp.Topics) != 1 {
		return 0, 0, fmt.Errorf("create topic %s: %d topics in response", topic, len(resp.Topics))
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		return 0, 0, fmt.Errorf("create topic %s: %w", topic, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := a.topicReady(ctx, topic, partitions)
		if err != nil {
			return 0, 0, err
		}
		if ok {
			return created, time.Since(t0), nil
		}
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("topic %s: partitions without a leader 30s after creation", topic)
		}
		time.Sleep(time.Millisecond)
	}
}

func (a *admin) topicReady(ctx context.Context, topic string, partitions int32) (bool, error) {
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, a.cl)
	if err != nil {
		return false, fmt.Errorf("metadata %s: %w", topic, err)
	}
	for _, t := range resp.Topics {
		if t.Topic == nil || *t.Topic != topic || t.ErrorCode != 0 || int32(len(t.Partitions)) != partitions {
			continue
		}
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 || p.Leader < 0 {
				return false, nil
			}
		}
		return true, nil
	}
	return false, nil
}

// deleteTopic deletes topic so that its files do not pile up.
func (a *admin) deleteTopic(ctx context.Context, topic string) error {
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TimeoutMillis = 30000
	req.TopicNames = []string{topic}
	rt := kmsg.NewDeleteTopicsRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, a.cl)
	if err != nil {
		return fmt.Errorf("delete topic %s: %w", topic, err)
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil && !errors.Is(err, kerr.UnknownTopicOrPartition) {
			return fmt.Errorf("delete topic %s: %w", topic, err)
		}
	}
	return nil
}

// latencies are end-to-end latencies of one run.
type latencies struct {
	Samples []time.Duration
	Missing int // records produced but never consumed
}

// endToEnd produces 100-byte records at rate per second for warm+dur and
// measures, for each, the time from when it was scheduled to be sent to
// when the consumer received it. Scheduling from a fixed timetable rather
// than from the previous send keeps stalls in the measurement (a slow
// response delays every record due behind it). Records scheduled in the
// warm-up are not counted.
func endToEnd(ctx context.Context, addr, topic string, rate int, warm, dur time.Duration, p payload) (*latencies, error) {
	const size = 100
	total := int((warm + dur).Seconds() * float64(rate))
	interval := time.Second / time.Duration(rate)

	cons, err := kgo.NewClient(
		kgo.SeedBrokers(addr),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(500*time.Millisecond),
		kgo.ClientID("kafkakit-bench-e2e"),
	)
	if err != nil {
		return nil, err
	}
	defer cons.Close()
	opts, err := producerOpts(addr, topic, -1, "none")
	if err != nil {
		return nil, err
	}
	prod, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	defer prod.Close()
	if err := prod.Ping(ctx); err != nil {
		return nil, fmt.Errorf("ping: %w", err)
	}

	base := time.Now()
	got := make([]time.Duration, total)
	received := make(chan int, 1)
	cctx, ccancel := context.WithCancel(ctx)
	defer ccancel()
	go func() {
		n := 0
		defer func() { received <- n }()
		for n < total {
			fetches := cons.PollFetches(cctx)
			if cctx.Err() != nil {
				return
			}
			now := time.Since(base)
			fetches.EachRecord(func(r *kgo.Record) {
				if len(r.Value) < 16 {
					return
				}
				i := binary.BigEndian.Uint64(r.Value)
				sched := time.Duration(binary.BigEndian.Uint64(r.Value[8:]))
				if i < uint64(total) && got[i] == 0 {
					got[i] = max(now-sched, 1)
					n++
				}
			})
		}
	}()

	var failed atomic.Int64
	promise := func(_ *kgo.Record, err error) {
		if err != nil {
			failed.Add(1)
		}
	}
	for i := range total {
		sched := time.Duration(i) * interval
		// Sleep only when well ahead of the timetable; timers are not
		// precise below a few hundred microseconds.
		if d := sched - time.Since(base); d > 200*time.Microsecond {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		v := make([]byte, size)
		p.fill(v, uint64(i))
		binary.BigEndian.PutUint64(v[8:], uint64(sched))
		prod.Produce(ctx, &kgo.Record{Value: v}, promise)
	}
	if err := prod.Flush(ctx); err != nil {
		return nil, fmt.Errorf("flush: %w", err)
	}
	if f := failed.Load(); f > 0 {
		return nil, fmt.Errorf("%d of %d records failed to produce", f, total)
	}
	// Give the consumer a bounded time to catch up.
	var n int
	select {
	case n = <-received:
	case <-time.After(30 * time.Second):
		ccancel()
		n = <-received
	}
	skip := int(warm.Seconds() * float64(rate))
	l := &latencies{Missing: total - n}
	for _, d := range got[skip:] {
		if d > 0 {
			l.Samples = append(l.Samples, d)
		}
	}
	return l, nil
}

// percentile returns the nearest-rank percentile q (0..1) of sorted
// samples.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*q+0.999999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func sortDurations(d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
}

// topicName is a fresh topic name for one run.
func topicName(caseName, broker string, round int) string {
	r := strings.NewReplacer(" ", "-", "=", "", "/", "-")
	return fmt.Sprintf("bench-%s-%s-r%d", r.Replace(caseName), broker, round)
}
