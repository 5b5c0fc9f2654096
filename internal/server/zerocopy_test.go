package server_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/testbroker"
)

// startWithConfigs starts an in-process broker with the given broker
// properties and its data in a temporary directory, and a franz-go client
// that produces uncompressed with acks=1; both stop with the test, and ctx
// ends after a minute.
func startWithConfigs(t *testing.T, configs map[string]string, opts ...kgo.Opt) (dir string, br *testbroker.Broker, ctx context.Context, cl *kgo.Client) {
	t.Helper()
	dir = t.TempDir()
	br, err := testbroker.Start(testbroker.Options{Dir: dir, Configs: configs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { br.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	cl, err = kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(br.Addr), kgo.RequiredAcks(kgo.LeaderAck()),
		kgo.DisableIdempotentWrite(), kgo.ProducerBatchCompression(kgo.NoCompression())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return dir, br, ctx, cl
}

// startWithProducer is startWithConfigs with the embedded defaults.
func startWithProducer(t *testing.T, opts ...kgo.Opt) (dir string, br *testbroker.Broker, ctx context.Context, cl *kgo.Client) {
	t.Helper()
	return startWithConfigs(t, nil, opts...)
}

// startWithTopic is startWithProducer with records going to the partition
// they name, and a new topic of n partitions.
func startWithTopic(t *testing.T, topic string, n int32) (dir string, br *testbroker.Broker, ctx context.Context, cl *kgo.Client) {
	t.Helper()
	dir, br, ctx, cl = startWithProducer(t, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	createTopic(t, ctx, cl, topic, n, nil)
	return dir, br, ctx, cl
}

// createTopic creates topic with n partitions, one replica each, and the
// given topic configs.
func createTopic(t *testing.T, ctx context.Context, cl *kgo.Client, topic string, n int32, configs map[string]string) {
	t.Helper()
	cfg := map[string]*string{}
	for k, v := range configs {
		cfg[k] = &v
	}
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, n, 1, cfg, topic); err != nil {
		t.Fatal(err)
	}
}

// produceN produces n records of value to the topic's partition (with a
// manual partitioner) one at a time, so each is a batch of its own.
func produceN(t *testing.T, ctx context.Context, cl *kgo.Client, topic string, partition int32, n int, value []byte) {
	t.Helper()
	for range n {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Partition: partition, Value: value}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// dialBroker opens a raw connection to addr, closed with the test.
func dialBroker(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return nc
}

// TestFetchSendsRegionsFromFiles fetches partitions holding large regions
// (sent from the segment file with sendfile) beside small ones (copied)
// in one response, at non-flexible and flexible Fetch versions, and checks
// that every partition's records are byte for byte the segment's bytes.
func TestFetchSendsRegionsFromFiles(t *testing.T) {
	t.Parallel()
	dir, br, ctx, cl := startWithTopic(t, "zc", 4)
	// Partitions 0 and 2 get about 300 KiB, 1 gets one small record, 3
	// nothing.
	value := bytes.Repeat([]byte("z"), 1000)
	for i := range 300 {
		for _, p := range []int32{0, 2} {
			if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "zc", Partition: p, Value: fmt.Appendf(nil, "%d-%s", i, value)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "zc", Partition: 1, Value: []byte("small")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	segment := func(p int32) []byte {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("zc-%d", p), "00000000000000000000.log"))
		if os.IsNotExist(err) {
			return nil // created on the first append
		}
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	nc := dialBroker(t, br.Addr)
	for _, version := range []int16{4, 11, 12, 13, 16} {
		for round := range 3 { // the same connection, several responses
			req := kmsg.NewPtrFetchRequest()
			req.Version = version
			req.ReplicaID = -1
			req.MaxWaitMillis = 100
			req.MaxBytes = 50 << 20
			req.SessionEpoch = -1
			topic := kmsg.NewFetchRequestTopic()
			topic.Topic = "zc"
			if version >= 13 {
				md, err := kadm.NewClient(cl).Metadata(ctx, "zc")
				if err != nil {
					t.Fatal(err)
				}
				topic.TopicID = md.Topics["zc"].ID
			}
			for p := range int32(4) {
				fp := kmsg.NewFetchRequestTopicPartition()
				fp.Partition = p
				fp.CurrentLeaderEpoch = -1
				fp.LastFetchedEpoch = -1
				fp.LogStartOffset = -1
				fp.PartitionMaxBytes = 1 << 20
				topic.Partitions = append(topic.Partitions, fp)
			}
			req.Topics = append(req.Topics, topic)
			resp := fetchRaw(t, nc, req, int32(version*10+int16(round)))
			if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 4 {
				for _, rt := range resp.Topics {
					t.Logf("topic %q %x %d partitions", rt.Topic, rt.TopicID, len(rt.Partitions))
				}
				t.Fatalf("v%d: %d topics in the response", version, len(resp.Topics))
			}
			for _, rp := range resp.Topics[0].Partitions {
				if rp.ErrorCode != 0 {
					t.Fatalf("v%d partition %d: error %d", version, rp.Partition, rp.ErrorCode)
				}
				want := segment(rp.Partition)
				if rp.Partition == 0 || rp.Partition == 2 {
					if len(want) < 256<<10 {
						t.Fatalf("partition %d holds only %d bytes", rp.Partition, len(want))
					}
				}
				if !bytes.Equal(rp.RecordBatches, want) {
					t.Fatalf("v%d round %d partition %d: %d record bytes, segment has %d (equal prefix: %v)",
						version, round, rp.Partition, len(rp.RecordBatches), len(want),
						bytes.HasPrefix(want, rp.RecordBatches))
				}
			}
		}
	}
	// A consumer reading everything sees every record once, in order.
	cons, err := kgo.NewClient(kgo.SeedBrokers(br.Addr), kgo.ConsumeTopics("zc"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	next := map[int32]int64{}
	for got := 0; got < 601; {
		fs := cons.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset != next[r.Partition] {
				t.Fatalf("partition %d: offset %d, want %d", r.Partition, r.Offset, next[r.Partition])
			}
			next[r.Partition]++
			got++
		})
	}
}

// fetchRaw sends req on nc exactly at its version and decodes the answer.
func fetchRaw(t *testing.T, nc net.Conn, req *kmsg.FetchRequest, corr int32) *kmsg.FetchResponse {
	t.Helper()
	sendFetch(t, nc, req, corr)
	return receiveFetch(t, nc, req, corr)
}

func sendFetch(t *testing.T, nc net.Conn, req *kmsg.FetchRequest, corr int32) {
	t.Helper()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	out := kmsg.NewRequestFormatter(kmsg.FormatterClientID("zc-test")).AppendRequest(nil, req, corr)
	if _, err := nc.Write(out); err != nil {
		t.Fatal(err)
	}
}

func receiveFetch(t *testing.T, nc net.Conn, req *kmsg.FetchRequest, corr int32) *kmsg.FetchResponse {
	t.Helper()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	var size [4]byte
	if _, err := io.ReadFull(nc, size[:]); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(nc, body); err != nil {
		t.Fatalf("response of %d bytes: %v", len(body), err)
	}
	if got := int32(binary.BigEndian.Uint32(body)); got != corr {
		t.Fatalf("correlation id %d, want %d", got, corr)
	}
	body = body[4:]
	if req.IsFlexible() {
		body = body[1:] // header tags
	}
	resp := req.ResponseKind().(*kmsg.FetchResponse)
	if err := resp.ReadFrom(body); err != nil {
		t.Fatalf("v%d: decode: %v", req.Version, err)
	}
	return resp
}

// TestLongPollDoesNotPinDeletedSegments: a fetch waiting for more than is
// there (MinBytes above the partition's size) must not hold the regions it
// read while it waits, or segments that DeleteRecords removes meanwhile
// stay open and keep their disk space until the wait ends.
func TestLongPollDoesNotPinDeletedSegments(t *testing.T) {
	t.Parallel()
	dir, br, ctx, cl := startWithProducer(t)
	adm := kadm.NewClient(cl)
	createTopic(t, ctx, cl, "pinned", 1, map[string]string{"segment.bytes": "65536"})
	produceN(t, ctx, cl, "pinned", 0, 200, bytes.Repeat([]byte("p"), 1000)) // about three segments
	deletedOpen := func() int {
		fds, _ := os.ReadDir("/proc/self/fd")
		n := 0
		for _, fd := range fds {
			target, _ := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
			if strings.HasPrefix(target, dir) && strings.HasSuffix(target, ".log (deleted)") {
				n++
			}
		}
		return n
	}
	nc := dialBroker(t, br.Addr)
	req := kmsg.NewPtrFetchRequest()
	req.Version = 12
	req.ReplicaID = -1
	req.MaxWaitMillis = 3000
	req.MinBytes = 100 << 20 // more than the partition holds: the fetch waits
	req.MaxBytes = 50 << 20
	req.SessionEpoch = -1
	topic := kmsg.NewFetchRequestTopic()
	topic.Topic = "pinned"
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.CurrentLeaderEpoch, fp.LastFetchedEpoch, fp.LogStartOffset = -1, -1, -1
	fp.PartitionMaxBytes = 1 << 20
	topic.Partitions = append(topic.Partitions, fp)
	req.Topics = append(req.Topics, topic)
	sent := time.Now()
	sendFetch(t, nc, req, 1)
	time.Sleep(200 * time.Millisecond) // the fetch has read and is waiting
	offsets := kadm.Offsets{}
	offsets.Add(kadm.Offset{Topic: "pinned", Partition: 0, At: 150})
	if _, err := adm.DeleteRecords(ctx, offsets); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if time.Since(sent) > 2500*time.Millisecond {
		t.Skip("the machine is too slow to check within the fetch's wait")
	}
	if n := deletedOpen(); n > 0 {
		t.Errorf("%d deleted segment files held open by the waiting fetch", n)
	}
	// The records it read are gone by the time it answers.
	resp := receiveFetch(t, nc, req, 1)
	if code := resp.Topics[0].Partitions[0].ErrorCode; code != kerr.OffsetOutOfRange.Code {
		t.Errorf("fetch error %d, want OFFSET_OUT_OF_RANGE", code)
	}
}
