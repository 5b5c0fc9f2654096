package cluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkakit/kafkakit/internal/record"
	"github.com/kafkakit/kafkakit/internal/testbroker"
)

// The workload: producers write unique values "p<producer>-<seq>" to a
// topic, record i of a producer going to partition i mod partitions, with
// franz-go's defaults for durability (acks=all, idempotence, unlimited
// retries). Every acknowledgement is kept with its partition and offset;
// a record that ends in an error may or may not have been written
// (indefinite), so it may appear at most once.

// ack is one acknowledged record.
type ack struct {
	partition int32
	offset    int64
	value     string
}

type producer struct {
	id int
	cl *kgo.Client

	mu     sync.Mutex
	sent   map[string]bool
	acked  []ack
	failed map[string]error // indefinite
	// lastAck and longestGap track the longest time between two
	// acknowledgements: how long a fault kept this producer from making
	// progress.
	lastAck    time.Time
	longestGap time.Duration
}

type workload struct {
	topic      string
	partitions int32
	producers  []*producer
	stop       chan struct{}
	cancel     context.CancelFunc
	wg         sync.WaitGroup
}

// startWorkload starts n producers against seeds, each writing about
// perSecond records a second until stopped.
func startWorkload(t testing.TB, seeds []string, topic string, partitions int32, n, perSecond int) *workload {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &workload{topic: topic, partitions: partitions, stop: make(chan struct{}), cancel: cancel}
	for i := range n {
		cl, err := kgo.NewClient(
			kgo.SeedBrokers(seeds...),
			kgo.DefaultProduceTopic(topic),
			kgo.RecordPartitioner(kgo.ManualPartitioner()),
			kgo.ProducerLinger(2*time.Millisecond),
			kgo.MaxBufferedRecords(2000),
			kgo.MetadataMinAge(100*time.Millisecond),
			// A broker that hangs (paused, blackholed) rather than
			// dies holds requests until they time out: give up on
			// them after 7 s, not franz-go's 20 s, and retry on the
			// new leader (the idempotent producer keeps that safe).
			kgo.ProduceRequestTimeout(5*time.Second),
			kgo.RequestTimeoutOverhead(2*time.Second),
			kgo.ClientID("workload-"+strconv.Itoa(i)),
		)
		if err != nil {
			t.Fatal(err)
		}
		p := &producer{id: i, cl: cl, sent: map[string]bool{}, failed: map[string]error{}}
		w.producers = append(w.producers, p)
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			p.run(ctx, w, perSecond)
		}()
	}
	t.Cleanup(func() { w.halt() })
	return w
}

// run produces in bursts every 10 ms until the workload stops.
func (p *producer) run(ctx context.Context, w *workload, perSecond int) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	burst := max(perSecond/100, 1)
	seq := 0
	for {
		select {
		case <-w.stop:
			return
		case <-tick.C:
		}
		for range burst {
			v := fmt.Sprintf("p%d-%08d", p.id, seq)
			r := &kgo.Record{Partition: int32(seq) % w.partitions, Value: []byte(v)}
			seq++
			p.mu.Lock()
			p.sent[v] = true
			p.mu.Unlock()
			// Produce blocks while the buffer is full (a broker is
			// down): that paces the workload to what the cluster takes.
			p.cl.Produce(ctx, r, func(r *kgo.Record, err error) {
				p.mu.Lock()
				defer p.mu.Unlock()
				if err != nil {
					p.failed[string(r.Value)] = err
					return
				}
				p.acked = append(p.acked, ack{r.Partition, r.Offset, string(r.Value)})
				now := time.Now()
				if !p.lastAck.IsZero() {
					p.longestGap = max(p.longestGap, now.Sub(p.lastAck))
				}
				p.lastAck = now
			})
		}
	}
}

// longestGap returns the longest time any producer went without an
// acknowledgement, and resets it.
func (w *workload) longestGap() time.Duration {
	var d time.Duration
	for _, p := range w.producers {
		p.mu.Lock()
		d = max(d, p.longestGap)
		p.longestGap = 0
		p.mu.Unlock()
	}
	return d
}

// ackedCount returns how many records have been acknowledged so far.
func (w *workload) ackedCount() int {
	n := 0
	for _, p := range w.producers {
		p.mu.Lock()
		n += len(p.acked)
		p.mu.Unlock()
	}
	return n
}

// waitProgress waits until n more records than now are acknowledged.
func (w *workload) waitProgress(t testing.TB, n int, d time.Duration) {
	t.Helper()
	target := w.ackedCount() + n
	waitFor(t, d, fmt.Sprintf("%d more records are acknowledged", n), func() (bool, string) {
		got := w.ackedCount()
		return got >= target, fmt.Sprintf("%d acknowledged, want %d", got, target)
	})
}

// finish stops producing and waits up to d for buffered records to be
// acknowledged or to fail.
func (w *workload) finish(t testing.TB, d time.Duration) {
	t.Helper()
	close(w.stop)
	w.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for _, p := range w.producers {
		if err := p.cl.Flush(ctx); err != nil {
			t.Logf("producer %d: flush: %v (unfinished records count as indefinite)", p.id, err)
		}
	}
	w.halt()
}

// halt cancels whatever is still buffered and closes the clients.
func (w *workload) halt() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	w.cancel()
	w.wg.Wait()
	for _, p := range w.producers {
		p.cl.Close()
	}
}

// summary is the outcome of a finished workload.
type summary struct {
	acked  []ack
	failed map[string]error
	sent   map[string]bool
}

func (w *workload) summary() summary {
	s := summary{failed: map[string]error{}, sent: map[string]bool{}}
	for _, p := range w.producers {
		p.mu.Lock()
		s.acked = append(s.acked, p.acked...)
		for v, err := range p.failed {
			s.failed[v] = err
		}
		for v := range p.sent {
			s.sent[v] = true
		}
		p.mu.Unlock()
	}
	return s
}

// consumed is one record read back.
type consumed struct {
	offset int64
	value  string
}

// readAll reads every partition of topic from its log start to its high
// watermark with a fresh client, by partition.
func readAll(t testing.TB, c *testbroker.Cluster, adm *kadm.Client, topic string, partitions int32) map[int32][]consumed {
	t.Helper()
	ctx := testContext(t, 60*time.Second)
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("list end offsets: %v", err)
	}
	if err := ends.Error(); err != nil {
		t.Fatalf("list end offsets: %v", err)
	}
	want := map[int32]int64{}
	offsets := map[int32]kgo.Offset{}
	for p := range partitions {
		o, ok := ends.Lookup(topic, p)
		if !ok {
			t.Fatalf("no end offset for partition %d", p)
		}
		want[p] = o.Offset
		offsets[p] = kgo.NewOffset().AtStart()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addrs()...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}),
		kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	out := map[int32][]consumed{}
	next := map[int32]int64{}
	done := func() bool {
		for p, end := range want {
			if next[p] < end {
				return false
			}
		}
		return true
	}
	for !done() {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("reading %s back: %v; read up to %v of %v", topic, ctx.Err(), next, want)
		}
		fs.EachError(func(_ string, p int32, err error) {
			t.Logf("read partition %d: %v (retrying)", p, err)
		})
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset >= want[r.Partition] {
				return // written after the end offsets were taken
			}
			out[r.Partition] = append(out[r.Partition], consumed{r.Offset, string(r.Value)})
			next[r.Partition] = r.Offset + 1
		})
	}
	return out
}

// check is the Jepsen-style checker over what the workload saw and what
// the cluster holds. It reports every anomaly it finds:
//   - an acknowledged value missing, or not at its acknowledged offset;
//   - a value read more than once (idempotence makes every value unique);
//   - a value no producer sent;
//   - two reads of one partition returning offsets out of order;
//   - a producer's values out of order within a partition.
func check(t testing.TB, s summary, read map[int32][]consumed) {
	t.Helper()
	at := map[int32]map[int64]string{}
	seen := map[string]int{}
	total := 0
	for p, recs := range read {
		at[p] = map[int64]string{}
		last := int64(-1)
		lastSeq := map[string]int{}
		for _, r := range recs {
			total++
			if r.offset <= last {
				t.Errorf("partition %d: offset %d read after %d", p, r.offset, last)
			}
			last = r.offset
			at[p][r.offset] = r.value
			seen[r.value]++
			if !s.sent[r.value] {
				t.Errorf("partition %d offset %d: value %q was never produced", p, r.offset, r.value)
				continue
			}
			prod, seq := splitValue(r.value)
			if prev, ok := lastSeq[prod]; ok && seq <= prev {
				t.Errorf("partition %d offset %d: %s after sequence %d of the same producer (reordered)", p, r.offset, r.value, prev)
			}
			lastSeq[prod] = seq
		}
	}
	for v, n := range seen {
		if n > 1 {
			t.Errorf("value %q read %d times, want once", v, n)
		}
	}
	lost := 0
	for _, a := range s.acked {
		got, ok := at[a.partition][a.offset]
		switch {
		case !ok:
			lost++
			if lost <= 10 {
				t.Errorf("acknowledged %q at partition %d offset %d: offset not in the log", a.value, a.partition, a.offset)
			}
		case got != a.value:
			lost++
			if lost <= 10 {
				t.Errorf("acknowledged %q at partition %d offset %d: the log has %q there", a.value, a.partition, a.offset, got)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged records lost or moved", lost, len(s.acked))
	}
	indefiniteWritten := 0
	for v := range s.failed {
		if seen[v] > 0 {
			indefiniteWritten++
		}
	}
	t.Logf("checker: %d sent, %d acknowledged, %d failed (%d of them written anyway), %d read back",
		len(s.sent), len(s.acked), len(s.failed), indefiniteWritten, total)
}

func splitValue(v string) (producer string, seq int) {
	i := strings.IndexByte(v, '-')
	if i < 0 {
		return v, -1
	}
	n, err := strconv.Atoi(v[i+1:])
	if err != nil {
		return v, -1
	}
	return v[:i], n
}

// replicaBatches returns the record batches of one replica's partition
// directory below hw, concatenated in offset order, and the offset after
// the last of them.
func replicaBatches(dir string, hw int64) ([]byte, int64, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		return nil, 0, err
	}
	slices.Sort(names) // 20-digit base offsets sort as numbers
	var out []byte
	end := int64(-1)
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, 0, err
		}
		it := record.NewIterator(b)
		for it.Next() {
			e := it.Entry()
			if e.LastOffset() >= hw {
				return out, end, nil
			}
			out = append(out, e.Raw...)
			end = e.LastOffset() + 1
		}
		if err := it.Err(); err != nil {
			return nil, 0, fmt.Errorf("%s: %w", name, err)
		}
	}
	return out, end, nil
}

// checkReplicasIdentical waits until, for every partition of topic, each
// replica's log holds exactly the same batches, byte for byte, below the
// leader's high watermark, reading the segment files of every node.
func checkReplicasIdentical(t testing.TB, c *testbroker.Cluster, adm *kadm.Client, topic string) {
	t.Helper()
	ctx := testContext(t, 30*time.Second)
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil || ends.Error() != nil {
		t.Fatalf("list end offsets: %v %v", err, ends.Error())
	}
	ps, err := describe(ctx, adm, topic)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		o, _ := ends.Lookup(topic, p.Partition)
		hw := o.Offset
		waitFor(t, 20*time.Second, fmt.Sprintf("replicas of %s-%d are identical below %d", topic, p.Partition, hw), func() (bool, string) {
			var ref []byte
			refID := int32(-1)
			for _, id := range p.Replicas {
				nd := c.Node(id)
				got, end, err := replicaBatches(filepath.Join(nd.Dir, fmt.Sprintf("%s-%d", topic, p.Partition)), hw)
				if err != nil {
					return false, fmt.Sprintf("node %d: %v", id, err)
				}
				if hw > 0 && end != hw {
					return false, fmt.Sprintf("node %d has whole batches up to %d, high watermark %d", id, end, hw)
				}
				if refID < 0 {
					ref, refID = got, id
					continue
				}
				if !bytes.Equal(got, ref) {
					return false, fmt.Sprintf("node %d and node %d differ below %d (%d and %d bytes)", refID, id, hw, len(ref), len(got))
				}
			}
			return true, ""
		})
	}
}
