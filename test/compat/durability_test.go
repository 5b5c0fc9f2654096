package compat

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// acked is one record the broker acknowledged.
type acked struct {
	partition int32
	offset    int64
	value     string
}

// produceUntil produces unique values to topic until stop is closed or n
// records were acknowledged, and returns the acknowledged ones.
func produceUntil(t *testing.T, addr, topic, prefix string, acks kgo.Acks, idempotent bool, n int, stop <-chan struct{}) []acked {
	t.Helper()
	opts := []kgo.Opt{kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic), kgo.RequiredAcks(acks),
		kgo.RecordRetries(3), kgo.ProduceRequestTimeout(3 * time.Second), kgo.RetryTimeout(3 * time.Second),
		kgo.RecordDeliveryTimeout(5 * time.Second), kgo.MaxBufferedRecords(2000)}
	if !idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var mu sync.Mutex
	var out []acked
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if stop != nil {
		// Unblock a Produce waiting for buffer space once we are told to stop.
		go func() {
			select {
			case <-stop:
				time.Sleep(6 * time.Second) // let buffered records finish or time out
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	for i := 0; i < n; i++ {
		select {
		case <-stop:
			i = n
			continue
		default:
		}
		wg.Add(1)
		v := fmt.Sprintf("%s-%06d", prefix, i)
		cl.Produce(ctx, &kgo.Record{Key: []byte(v), Value: []byte(v)}, func(r *kgo.Record, err error) {
			defer wg.Done()
			if err == nil {
				mu.Lock()
				out = append(out, acked{r.Partition, r.Offset, string(r.Value)})
				mu.Unlock()
			}
		})
		if i%200 == 199 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(8 * time.Second):
		// Records still buffered for a dead broker: closing the client
		// fails them, which calls their callbacks.
		cl.Close()
		<-done
	}
	return out
}

// readAll reads every partition of topic from the start to its high
// watermark and returns the records by partition.
func readAll(t *testing.T, addr, topic string) map[int32][]acked {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Right after a restart the port answers before the broker leads its
	// partitions again (LEADER_NOT_AVAILABLE); clients retry, and so do we.
	var ends kadm.ListedOffsets
	for {
		ends, err = kadm.NewClient(cl).ListEndOffsets(ctx, topic)
		if err == nil {
			err = ends.Error()
		}
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	want := map[int32]int64{}
	offsets := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		want[o.Partition] = o.Offset
		offsets[o.Partition] = kgo.NewOffset().AtStart()
	})
	cons, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	out := map[int32][]acked{}
	remaining := 0
	for _, end := range want {
		remaining += int(end)
	}
	for remaining > 0 {
		fs := cons.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("reading back %s: %v (%d records left)", topic, err, remaining)
		}
		fs.EachRecord(func(r *kgo.Record) {
			out[r.Partition] = append(out[r.Partition], acked{r.Partition, r.Offset, string(r.Value)})
			remaining--
		})
	}
	return out
}

// checkAcked asserts every acknowledged record is present exactly once, at
// its acknowledged offset, and that offsets are dense and in order.
func checkAcked(t *testing.T, got map[int32][]acked, want []acked) {
	t.Helper()
	seen := map[string]int{}
	for p, recs := range got {
		for i, r := range recs {
			if r.offset != int64(i) {
				t.Fatalf("partition %d: record %d has offset %d", p, i, r.offset)
			}
			seen[r.value]++
		}
	}
	for v, n := range seen {
		if n > 1 {
			t.Errorf("value %s read %d times", v, n)
		}
	}
	for _, a := range want {
		recs := got[a.partition]
		if a.offset >= int64(len(recs)) || recs[a.offset].value != a.value {
			t.Fatalf("acknowledged record %s at %d/%d is missing after restart", a.value, a.partition, a.offset)
		}
	}
}

var recoveredRE = regexp.MustCompile(`msg="loaded partition log" .*clean_shutdown=(\w+) .*recovered_segments=(\d+)`)

// recoveryWork returns how many partition logs were loaded after the last
// start and how many of them re-validated segments.
func recoveryWork(log string) (loaded, recovered int, clean bool) {
	starts := strings.Split(log, `msg="log directories loaded"`)
	last := starts[len(starts)-2] // lines of the last start precede its summary
	clean = true
	for _, m := range recoveredRE.FindAllStringSubmatch(last[strings.LastIndex(last, "kafka-server started")+1:], -1) {
		loaded++
		if m[2] != "0" {
			recovered++
		}
		if m[1] != "true" {
			clean = false
		}
	}
	return
}

func TestRestartAfterSIGTERMLosesNothingAndDoesNoRecovery(t *testing.T) {
	p := startServer(t)
	createTopic(t, p.Addr, "durable")
	all := produceUntil(t, p.Addr, "durable", "all", kgo.AllISRAcks(), true, 3000, nil)
	all = append(all, produceUntil(t, p.Addr, "durable", "one", kgo.LeaderAck(), false, 1000, nil)...)
	if len(all) != 4000 {
		t.Fatalf("acknowledged %d of 4000 records", len(all))
	}
	if err := p.Stop(20 * time.Second); err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, p.Log())
	}
	if !strings.Contains(p.Log(), `msg="shut down"`) {
		t.Fatalf("no clean shutdown line in the log:\n%s", p.Log())
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	loaded, recovered, clean := recoveryWork(p.Log())
	if loaded == 0 || recovered != 0 || !clean {
		t.Fatalf("after a clean stop: %d logs loaded, %d recovered, clean=%v; want no recovery", loaded, recovered, clean)
	}
	checkAcked(t, readAll(t, p.Addr, "durable"), all)
}

func TestKill9UnderLoadLosesNoAcknowledgedRecord(t *testing.T) {
	for _, tc := range []struct {
		name       string
		acks       kgo.Acks
		idempotent bool
	}{
		{"acks=all idempotent", kgo.AllISRAcks(), true},
		{"acks=1", kgo.LeaderAck(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startServer(t)
			createTopic(t, p.Addr, "crash")
			stop := make(chan struct{})
			var got []acked
			done := make(chan struct{})
			go func() {
				defer close(done)
				got = produceUntil(t, p.Addr, "crash", "v", tc.acks, tc.idempotent, 200000, stop)
			}()
			time.Sleep(1500 * time.Millisecond)
			p.Kill()
			close(stop)
			<-done
			if len(got) == 0 {
				t.Fatal("nothing was acknowledged before the kill")
			}
			if err := p.Start(); err != nil {
				t.Fatal(err)
			}
			if _, _, clean := recoveryWork(p.Log()); clean {
				t.Fatal("start after kill -9 claims a clean shutdown")
			}
			checkAcked(t, readAll(t, p.Addr, "crash"), got)
			t.Logf("%d acknowledged records all present after kill -9 and restart", len(got))
		})
	}
}
