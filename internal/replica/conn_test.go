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
			// Body: error code 0, no api keys; v3 also has a throttle
			// time and tagged fields, in compact form.
			body := []byte{0, 0, 0, 0, 0, 0}
			if binary.BigEndian.Uint16(req[2:]) >= 3 {
				body = []byte{0, 0, 1, 0, 0, 0, 0, 0}
			}
			resp := binary.BigEndian.AppendUint32(nil, uint32(4+len(body)))
			resp = append(resp, req[4:8]...) // correlation id
			resp = append(resp, body...)
			if _, err := nc.Write(resp); err != nil {
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
