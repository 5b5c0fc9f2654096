package server_test

import (
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/record"
	"github.com/kafkakit/kafkakit/internal/testbroker"
)

// FuzzRequest sends arbitrary request frames (header and body, after the
// size prefix) to a real in-process broker: framing, header parsing, kmsg
// decoding and every handler run on fuzzed input. A panic anywhere fails
// the fuzz run; afterwards the broker must still serve a real client.
func FuzzRequest(f *testing.F) {
	var (
		once sync.Once
		b    *testbroker.Broker
	)
	dir := f.TempDir()
	start := func(t *testing.T) *testbroker.Broker {
		once.Do(func() {
			var err error
			b, err = testbroker.Start(testbroker.Options{Dir: dir, Configs: map[string]string{"socket.request.max.bytes": "1048576"}})
			if err != nil {
				t.Fatal(err)
			}
		})
		return b
	}
	f.Cleanup(func() {
		if b != nil {
			b.Close()
		}
	})

	bld := record.NewBuilder(record.CodecNone)
	bld.Add(record.Record{Key: []byte("k"), Value: []byte("v"), Timestamp: 1700000000000})
	batch, _ := bld.Build()
	var seeds []kmsg.Request
	for v := int16(0); v <= 4; v++ {
		r := kmsg.NewPtrApiVersionsRequest()
		r.Version = v
		seeds = append(seeds, r)
	}
	for _, v := range []int16{0, 1, 4, 9, 12} {
		r := kmsg.NewPtrMetadataRequest()
		r.Version = v
		t := kmsg.NewMetadataRequestTopic()
		t.Topic = kmsg.StringPtr("fuzz")
		r.Topics = append(r.Topics, t)
		r.AllowAutoTopicCreation = true
		seeds = append(seeds, r)
	}
	for _, v := range []int16{3, 7, 9, 11} {
		r := kmsg.NewPtrProduceRequest()
		r.Version = v
		r.Acks = 1
		r.TimeoutMillis = 1000
		tp := kmsg.NewProduceRequestTopicPartition()
		tp.Records = batch
		t := kmsg.NewProduceRequestTopic()
		t.Topic = "fuzz"
		t.Partitions = append(t.Partitions, tp)
		r.Topics = append(r.Topics, t)
		seeds = append(seeds, r)
	}
	for _, v := range []int16{4, 7, 11, 12, 13, 17} {
		r := kmsg.NewPtrFetchRequest()
		r.Version = v
		r.MaxWaitMillis = 10
		r.MaxBytes = 1 << 20
		p := kmsg.NewFetchRequestTopicPartition()
		p.PartitionMaxBytes = 1 << 20
		t := kmsg.NewFetchRequestTopic()
		t.Topic = "fuzz"
		t.Partitions = append(t.Partitions, p)
		r.Topics = append(r.Topics, t)
		seeds = append(seeds, r)
	}
	{
		r := kmsg.NewPtrCreateTopicsRequest()
		r.Version = 7
		t := kmsg.NewCreateTopicsRequestTopic()
		t.Topic, t.NumPartitions, t.ReplicationFactor = "fuzz-created", 2, 1
		r.Topics = append(r.Topics, t)
		seeds = append(seeds, r)
	}
	{
		r := kmsg.NewPtrListOffsetsRequest()
		r.Version = 7
		t := kmsg.NewListOffsetsRequestTopic()
		t.Topic = "fuzz"
		p := kmsg.NewListOffsetsRequestTopicPartition()
		p.Timestamp = -3
		t.Partitions = append(t.Partitions, p)
		r.Topics = append(r.Topics, t)
		seeds = append(seeds, r)
	}
	{
		r := kmsg.NewPtrFindCoordinatorRequest()
		r.Version = 4
		r.CoordinatorKeys = []string{"g"}
		seeds = append(seeds, r)
		d := kmsg.NewPtrDescribeConfigsRequest()
		d.Version = 4
		res := kmsg.NewDescribeConfigsRequestResource()
		res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeBroker, "1"
		d.Resources = append(d.Resources, res)
		seeds = append(seeds, d)
	}
	for i, s := range seeds {
		frame := encodeFrame(s, int32(i))[4:]
		f.Add(frame)
		f.Add(frame[:len(frame)/2])
		f.Add(append(append([]byte(nil), frame...), 0xff, 0x00, 0x7f))
	}
	f.Add([]byte{})
	f.Add([]byte{0, 18})

	f.Fuzz(func(t *testing.T, body []byte) {
		br := start(t)
		nc, err := net.DialTimeout("tcp", br.Addr, 2*time.Second)
		if err != nil {
			t.Fatalf("broker stopped accepting connections: %v", err)
		}
		defer nc.Close()
		frame := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
		frame = append(frame, body...)
		nc.SetDeadline(time.Now().Add(200 * time.Millisecond))
		nc.Write(frame)
		var size [4]byte
		if _, err := io.ReadFull(nc, size[:]); err == nil {
			n := binary.BigEndian.Uint32(size[:])
			if n > 64<<20 {
				t.Fatalf("response claims %d bytes", n)
			}
			io.CopyN(io.Discard, nc, int64(n))
		}
	})
}

// TestFuzzSeedsLeaveBrokerUsable runs the fuzz seeds and then checks that a
// real client still works, so the seed corpus alone is a regression test.
func TestFuzzSeedsLeaveBrokerUsable(t *testing.T) {
	b := startBroker(t)
	req := kmsg.NewPtrMetadataRequest()
	req.Version = 12
	for i := 0; i < 3; i++ {
		nc, err := net.Dial("tcp", b.Addr)
		if err != nil {
			t.Fatal(err)
		}
		fr := encodeFrame(req, 1)
		nc.Write(fr[:len(fr)-i-1]) // truncated frames
		nc.Close()
	}
	usable(t, b.Addr, "after-seeds")
}
