package replica

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DialFunc opens a TCP connection, as net.Dialer.DialContext does.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// brokerConn is a client connection to another broker's inter-broker
// listener, speaking the Kafka protocol with franz-go's kmsg codec. It
// carries one request at a time (the fetcher's), so responses need no
// matching beyond the correlation id check. It is not safe for concurrent
// use.
type brokerConn struct {
	nc       net.Conn
	format   *kmsg.RequestFormatter
	corr     int32
	maxFrame int32
	// versions holds the highest version the broker serves per API key,
	// from its ApiVersions answer.
	versions map[int16]int16
	buf      []byte
	// frame is the last fetch response's buffer, reused by the next fetch
	// (fetched records alias it). Other requests, which the fetcher may
	// send while it still reads a fetch response, get their own buffers.
	frame []byte
}

// keptFrame is the largest response buffer a connection keeps for reuse.
const keptFrame = 64 << 20

// errFrameTooLarge is returned for a response whose size prefix exceeds
// the limit; the connection must be dropped.
var errFrameTooLarge = errors.New("response frame too large")

// dialBroker connects to addr and learns the broker's API versions.
func dialBroker(ctx context.Context, dial DialFunc, addr, clientID string, maxFrame int32, timeout time.Duration) (*brokerConn, error) {
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	nc, err := dial(dctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	c := &brokerConn{nc: nc, format: kmsg.NewRequestFormatter(kmsg.FormatterClientID(clientID)), maxFrame: maxFrame}
	if err := c.negotiate(ctx, timeout); err != nil {
		nc.Close()
		return nil, fmt.Errorf("api versions from %s: %w", addr, err)
	}
	return c, nil
}

// negotiate asks ApiVersions v3 and falls back to v0 when the broker does
// not know v3 (it then answers with the v0 body, KIP-511).
func (c *brokerConn) negotiate(ctx context.Context, timeout time.Duration) error {
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 3
	req.ClientSoftwareName = "kafkakit-replica-fetcher"
	req.ClientSoftwareVersion = "1"
	resp, err := c.roundTrip(ctx, req, timeout)
	if err != nil {
		return err
	}
	av := resp.(*kmsg.ApiVersionsResponse)
	if av.ErrorCode == kerr.UnsupportedVersion.Code {
		req.Version = 0
		if resp, err = c.roundTrip(ctx, req, timeout); err != nil {
			return err
		}
		av = resp.(*kmsg.ApiVersionsResponse)
	}
	if err := kerr.ErrorForCode(av.ErrorCode); err != nil {
		return err
	}
	c.versions = make(map[int16]int16, len(av.ApiKeys))
	for _, k := range av.ApiKeys {
		c.versions[k.ApiKey] = k.MaxVersion
	}
	return nil
}

// version returns the highest version of API key both sides speak, at most
// want, or ok false when that is below least.
func (c *brokerConn) version(key, want, least int16) (int16, bool) {
	max, ok := c.versions[key]
	if !ok {
		return 0, false
	}
	v := min(max, want)
	return v, v >= least
}

// interruptHook, set only by tests, runs when a context ending starts to
// interrupt a round trip, before the connection's deadline is moved.
var interruptHook func()

// roundTrip writes req and reads its response within timeout; ctx ending
// interrupts both. After an error the connection must be closed. A fetch
// response is valid until the next fetch on the connection: its records
// share the connection's frame buffer.
func (c *brokerConn) roundTrip(ctx context.Context, req kmsg.Request, timeout time.Duration) (kmsg.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.nc.SetDeadline(time.Now().Add(timeout))
	interrupted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		if interruptHook != nil {
			interruptHook()
		}
		c.nc.SetDeadline(time.Unix(1, 0))
		close(interrupted)
	})
	defer func() {
		if !stop() {
			// ctx ended after the request went out, maybe after its
			// answer came in: wait until the past deadline is set, so
			// that it cannot land on the connection's next request.
			<-interrupted
		}
	}()
	c.corr++
	c.buf = c.format.AppendRequest(c.buf[:0], req, c.corr)
	if _, err := c.nc.Write(c.buf); err != nil {
		return nil, c.ioErr(ctx, err)
	}
	var size [4]byte
	if _, err := io.ReadFull(c.nc, size[:]); err != nil {
		return nil, c.ioErr(ctx, err)
	}
	n := int32(binary.BigEndian.Uint32(size[:]))
	if n < 4 || n > c.maxFrame {
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", errFrameTooLarge, n, c.maxFrame)
	}
	var frame []byte
	if _, fetch := req.(*kmsg.FetchRequest); !fetch {
		frame = make([]byte, n)
	} else if cap(c.frame) >= int(n) {
		frame = c.frame[:n]
	} else {
		frame = make([]byte, n)
		if n <= keptFrame {
			c.frame = frame
		}
	}
	if _, err := io.ReadFull(c.nc, frame); err != nil {
		return nil, c.ioErr(ctx, err)
	}
	resp := req.ResponseKind()
	if err := decodeResponse(frame, c.corr, resp); err != nil {
		return nil, err
	}
	return resp, nil
}

func (c *brokerConn) ioErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func (c *brokerConn) Close() error { return c.nc.Close() }

// decodeResponse parses a response frame (without its size prefix): the
// correlation id, which must be corr, the tagged fields of a flexible
// response header (absent for ApiVersions, whose header is always v0), and
// the body into resp, whose version must already be set.
func decodeResponse(frame []byte, corr int32, resp kmsg.Response) error {
	if len(frame) < 4 {
		return fmt.Errorf("response of %d bytes has no correlation id", len(frame))
	}
	if got := int32(binary.BigEndian.Uint32(frame)); got != corr {
		return fmt.Errorf("response correlation id %d, want %d", got, corr)
	}
	body := frame[4:]
	if resp.IsFlexible() && resp.Key() != 18 {
		var err error
		if body, err = skipTags(body); err != nil {
			return fmt.Errorf("response header: %w", err)
		}
	}
	if err := resp.ReadFrom(body); err != nil {
		return fmt.Errorf("decode %s response v%d: %w", kmsg.NameForKey(resp.Key()), resp.GetVersion(), err)
	}
	return nil
}

// skipTags skips a tagged-field section (KIP-482): a count, then that many
// (tag, length, bytes) entries, all unsigned varints but the bytes.
func skipTags(b []byte) ([]byte, error) {
	n, used := binary.Uvarint(b)
	if used <= 0 {
		return nil, errors.New("bad tagged field count")
	}
	b = b[used:]
	for range n {
		_, used = binary.Uvarint(b)
		if used <= 0 {
			return nil, errors.New("bad tag")
		}
		b = b[used:]
		size, used := binary.Uvarint(b)
		if used <= 0 || size > uint64(len(b)-used) {
			return nil, errors.New("bad tagged field length")
		}
		b = b[used+int(size):]
	}
	return b, nil
}
