package server_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/record"
	"github.com/kafkakit/kafkakit/internal/testbroker"
)

func startBroker(t testing.TB) *testbroker.Broker {
	t.Helper()
	b, err := testbroker.Start(testbroker.Options{Dir: t.TempDir(), Configs: map[string]string{"socket.request.max.bytes": "1048576"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// encodeFrame encodes req with a request header, size prefix included.
func encodeFrame(req kmsg.Request, corr int32) []byte {
	b := []byte{0, 0, 0, 0}
	b = binary.BigEndian.AppendUint16(b, uint16(req.Key()))
	b = binary.BigEndian.AppendUint16(b, uint16(req.GetVersion()))
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	b = binary.BigEndian.AppendUint16(b, 4)
	b = append(b, "fuzz"...)
	if req.IsFlexible() {
		b = append(b, 0)
	}
	b = req.AppendTo(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

func roundTrip(t testing.TB, addr string, req kmsg.Request) kmsg.Response {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write(encodeFrame(req, 1)); err != nil {
		t.Fatal(err)
	}
	var size [4]byte
	if _, err := io.ReadFull(nc, size[:]); err != nil {
		t.Fatalf("read response size: %v", err)
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(nc, body); err != nil {
		t.Fatal(err)
	}
	resp := req.ResponseKind()
	body = body[4:]
	if resp.IsFlexible() && req.Key() != 18 {
		body = body[1:]
	}
	if err := resp.ReadFrom(body); err != nil {
		t.Fatalf("decode response: %v", err)
	}
	return resp
}

// usable checks the broker still serves a real client end to end.
func usable(t testing.TB, addr, topic string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic), kgo.AllowAutoTopicCreation(),
		kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("still-alive")}).FirstErr(); err != nil {
		t.Fatalf("produce after bad input: %v", err)
	}
	fs := cl.PollFetches(ctx)
	if err := fs.Err0(); err != nil || fs.NumRecords() == 0 {
		t.Fatalf("consume after bad input: %v (%d records)", err, fs.NumRecords())
	}
}

func TestGarbageTruncatedAndOversizedFrames(t *testing.T) {
	b := startBroker(t)
	frames := map[string][]byte{
		"garbage":                 {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02},
		"oversized":               {0x00, 0x20, 0x00, 0x00},
		"negative size":           {0xff, 0xff, 0xff, 0xf0},
		"truncated header":        {0, 0, 0, 3, 0, 3, 0},
		"unknown api":             {0, 0, 0, 10, 0x55, 0x55, 0, 0, 0, 0, 0, 1, 0, 0},
		"truncated metadata body": append([]byte{0, 0, 0, 16, 0, 3, 0, 12, 0, 0, 0, 1, 0, 0, 0}, 0x7f, 0xff, 0xff, 0xff, 0x01),
		"frame cut short":         {0, 0, 1, 0, 0, 18, 0, 3},
	}
	for name, f := range frames {
		t.Run(name, func(t *testing.T) {
			nc, err := net.Dial("tcp", b.Addr)
			if err != nil {
				t.Fatal(err)
			}
			nc.Write(f)
			if tc, ok := nc.(*net.TCPConn); ok {
				tc.CloseWrite()
			}
			nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			// The broker closes the connection without answering.
			if n, err := io.Copy(io.Discard, nc); err != nil || n != 0 {
				t.Fatalf("got %d response bytes (err %v), want the connection closed", n, err)
			}
			nc.Close()
		})
	}
	usable(t, b.Addr, "after-garbage")
}

func TestCorruptBatchIsRefusedAndNothingAppended(t *testing.T) {
	b := startBroker(t)
	usable(t, b.Addr, "corrupt")
	bld := record.NewBuilder(record.CodecNone)
	bld.Add(record.Record{Value: []byte("payload"), Timestamp: time.Now().UnixMilli()})
	batch, err := bld.Build()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]func([]byte) []byte{
		"crc mismatch":     func(b []byte) []byte { b[len(b)-1] ^= 0xff; return b },
		"truncated batch":  func(b []byte) []byte { return b[:len(b)-3] },
		"bad magic":        func(b []byte) []byte { b[16] = 7; return b },
		"length too large": func(b []byte) []byte { binary.BigEndian.PutUint32(b[8:], 1<<20); return b },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			req := kmsg.NewPtrProduceRequest()
			req.Version = 9
			req.Acks = -1
			req.TimeoutMillis = 5000
			tp := kmsg.NewProduceRequestTopicPartition()
			tp.Partition = 0
			tp.Records = mutate(append([]byte(nil), batch...))
			rt := kmsg.NewProduceRequestTopic()
			rt.Topic = "corrupt"
			rt.Partitions = append(rt.Partitions, tp)
			req.Topics = append(req.Topics, rt)
			resp := roundTrip(t, b.Addr, req).(*kmsg.ProduceResponse)
			code := resp.Topics[0].Partitions[0].ErrorCode
			if code != kerr.CorruptMessage.Code && code != kerr.InvalidRecord.Code && code != kerr.UnsupportedForMessageFormat.Code {
				t.Fatalf("error code %d (%v), want CORRUPT_MESSAGE or INVALID_RECORD", code, kerr.ErrorForCode(code))
			}
			lo := kmsg.NewPtrListOffsetsRequest()
			lo.Version = 4
			lt := kmsg.NewListOffsetsRequestTopic()
			lt.Topic = "corrupt"
			lp := kmsg.NewListOffsetsRequestTopicPartition()
			lp.Timestamp = -1
			lt.Partitions = append(lt.Partitions, lp)
			lo.Topics = append(lo.Topics, lt)
			lresp := roundTrip(t, b.Addr, lo).(*kmsg.ListOffsetsResponse)
			if got := lresp.Topics[0].Partitions[0].Offset; got != 1 {
				t.Fatalf("log end offset after a refused batch: got %d, want 1 (only the first good record)", got)
			}
		})
	}
	usable(t, b.Addr, "corrupt")
}
