package replica

import (
	"context"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/loopback"
)

// apiVersionsServer answers every request on loopback with an empty
// ApiVersions response (no error, no keys) of the request's version.
func apiVersionsServer(t *testing.T) string {
	return kafkaServer(t, func(key, version int16) kmsg.Response {
		a := kmsg.NewPtrApiVersionsResponse()
		a.Version = version
		return a
	})
}

// kafkaServer answers every request on a loopback connection with the
// response answer returns for its key and version, framed with the
// request's correlation id. It returns the listener's address.
func kafkaServer(t *testing.T, answer func(key, version int16) kmsg.Response) string {
	return loopback.Serve(t, func(nc net.Conn) {
		var size [4]byte
		for {
			if _, err := io.ReadFull(nc, size[:]); err != nil {
				return
			}
			req := make([]byte, binary.BigEndian.Uint32(size[:]))
			if _, err := io.ReadFull(nc, req); err != nil || len(req) < 8 {
				return
			}
			key, version := int16(binary.BigEndian.Uint16(req)), int16(binary.BigEndian.Uint16(req[2:]))
			resp := answer(key, version)
			out := binary.BigEndian.AppendUint32(nil, 0)
			out = append(out, req[4:8]...)      // correlation id
			if resp.IsFlexible() && key != 18 { // ApiVersions has a v0 header
				out = append(out, 0)
			}
			out = resp.AppendTo(out)
			binary.BigEndian.PutUint32(out, uint32(len(out)-4))
			if _, err := nc.Write(out); err != nil {
				return
			}
		}
	})
}

// TestRoundTripCancelDoesNotLeakIntoNextRequest: a request whose context
// ends around the time its answer arrives must not leave the connection
// with a deadline in the past for the next request (the fetcher cancels a
// long poll when partitions are added, and a late cancellation used to
// fail the following fetch with an i/o timeout and a second of backoff).
//
// The hook widens the window between the context ending and the deadline
// moving, so that a late cancellation is caught every few rounds.
func TestRoundTripCancelDoesNotLeakIntoNextRequest(t *testing.T) {
	interruptHook = func() { time.Sleep(time.Millisecond) }
	defer func() { interruptHook = nil }()
	addr := apiVersionsServer(t)
	var d net.Dialer
	c, err := dialBroker(context.Background(), d.DialContext, addr, "test", 1<<20, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { c.Close() }()
	req := func() kmsg.Request {
		r := kmsg.NewPtrApiVersionsRequest()
		r.Version = 0
		return r
	}
	for i := range 300 {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
			cancel()
		}()
		if _, err := c.roundTrip(ctx, req(), 5*time.Second); err != nil {
			// Interrupted: the connection is given up, as the fetcher does.
			c.Close()
			if c, err = dialBroker(context.Background(), d.DialContext, addr, "test", 1<<20, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := c.roundTrip(context.Background(), req(), 5*time.Second); err != nil {
			t.Fatalf("round %d: request after a completed request whose context was cancelled late: %v", i, err)
		}
	}
}

// TestFetchResponseSurvivesOtherRequests: the fetcher may ask the leader
// something else (ListOffsets, after OFFSET_OUT_OF_RANGE) while it still
// reads a fetch response; that must not overwrite the fetched records,
// which share the connection's reused fetch buffer.
func TestFetchResponseSurvivesOtherRequests(t *testing.T) {
	t.Parallel()
	records := []byte("records of the first fetch, not to be overwritten")
	addr := kafkaServer(t, func(key, version int16) kmsg.Response {
		switch key {
		case 1:
			f := kmsg.NewPtrFetchResponse()
			f.Version = version
			rt := kmsg.NewFetchResponseTopic()
			rt.Topic = "t"
			rp := kmsg.NewFetchResponseTopicPartition()
			rp.RecordBatches = records
			rt.Partitions = append(rt.Partitions, rp)
			f.Topics = append(f.Topics, rt)
			return f
		case 2:
			l := kmsg.NewPtrListOffsetsResponse()
			l.Version = version
			lt := kmsg.NewListOffsetsResponseTopic()
			lt.Topic = string(make([]byte, len(records))) // as long as the records
			l.Topics = append(l.Topics, lt)
			return l
		default:
			a := kmsg.NewPtrApiVersionsResponse()
			a.Version = version
			for _, k := range []int16{1, 2} {
				ak := kmsg.NewApiVersionsResponseApiKey()
				ak.ApiKey, ak.MaxVersion = k, 4
				a.ApiKeys = append(a.ApiKeys, ak)
			}
			return a
		}
	})
	var d net.Dialer
	c, err := dialBroker(context.Background(), d.DialContext, addr, "test", 1<<20, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for round := range 3 { // the second and third fetches reuse the buffer
		fetch := kmsg.NewPtrFetchRequest()
		fetch.Version = 4
		kresp, err := c.roundTrip(context.Background(), fetch, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		got := kresp.(*kmsg.FetchResponse).Topics[0].Partitions[0].RecordBatches
		list := kmsg.NewPtrListOffsetsRequest()
		list.Version = 4
		if _, err := c.roundTrip(context.Background(), list, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if string(got) != string(records) {
			t.Fatalf("round %d: fetched records changed by a later request: %q", round, got)
		}
	}
}
