package server

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkakit/kafkakit/internal/log"
	"github.com/kafkakit/kafkakit/internal/replica"
)

// conn is one client connection. Three goroutines serve it:
//
//   - read: reads size-prefixed frames, checks the size against
//     socket.request.max.bytes before allocating, parses the request header
//     and decodes the body with kmsg, and queues the request;
//   - process: handles queued requests one at a time, in arrival order, as
//     Kafka does (a connection is "muted" while its request is in flight),
//     and queues the encoded response;
//   - write: writes responses in order through a buffered writer, flushing
//     when no further response is ready, with a write deadline.
//
// Responses therefore leave in request order even though reading the next
// frame overlaps with handling the current one. A frame that cannot be read
// or decoded closes the connection with one log line; nothing else is
// affected.
type conn struct {
	srv      *Server
	nc       net.Conn
	remote   string
	listener string // listener name the client connected through
	log      *slog.Logger

	reqs  chan *request
	resps chan outFrame

	closeOnce sync.Once
	done      chan struct{} // closed when the connection is shutting down

	// closeAfterResponse is set by a handler (on the process goroutine)
	// when the connection must be closed once the current request is done:
	// an acks=0 produce that failed has no response to carry the error.
	closeAfterResponse bool

	// muteUntil (unix nanoseconds) stops the reader from taking the next
	// request before then: a client over its quota is throttled (KIP-219).
	muteUntil atomic.Int64

	// fetchScratch holds the record bytes of the fetch being answered;
	// only the process goroutine uses it, one request at a time, as it
	// does the other fetch buffers: the two passes of a long poll, the
	// partitions served, those watched, the channel they wake and the
	// timer of the wait.
	fetchScratch []byte
	fetchOuts    [2][]fetchOut
	fetchParts   []*sessionPartition
	fetchWatched []*replica.Partition
	fetchWake    chan struct{}
	fetchTimer   *time.Timer

	// zeroCopy is set when fetched regions can be sent from their files;
	// regions are those of the response being built (process goroutine).
	zeroCopy bool
	regions  []*log.ReadResult
}

// request is one decoded client request.
type request struct {
	key      int16
	version  int16
	corr     int32
	clientID string
	kreq     kmsg.Request // nil for an ApiVersions request of unknown version
	received time.Time
	body     []byte // the frame; decoded byte fields alias it
}

const (
	// queuedRequests bounds how many decoded requests may wait per
	// connection; the reader stops reading (TCP back-pressure) beyond it.
	queuedRequests = 16
	// queuedResponses bounds encoded responses waiting for the writer.
	queuedResponses = 16
	writeTimeout    = 30 * time.Second
)

func newConn(s *Server, nc net.Conn, listener string) *conn {
	remote := nc.RemoteAddr().String()
	return &conn{
		srv:      s,
		nc:       nc,
		remote:   remote,
		listener: listener,
		log:      s.log.With("remote", remote),
		reqs:     make(chan *request, queuedRequests),
		resps:    make(chan outFrame, queuedResponses),
		done:     make(chan struct{}),
		zeroCopy: canZeroCopy(nc),
	}
}

// serve runs the connection until the client goes away, a frame is bad or
// ctx is cancelled. It returns after all three goroutines have stopped.
func (c *conn) serve(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.process(ctx) }()
	go func() { defer wg.Done(); c.write() }()
	c.read(ctx)
	wg.Wait()
	c.nc.Close()
}

func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		c.nc.Close()
	})
}

func (c *conn) read(ctx context.Context) {
	defer close(c.reqs)
	br := bufio.NewReaderSize(c.nc, 64<<10)
	var sizeBuf [4]byte
	maxBytes := c.srv.cfg.SocketRequestMaxBytes
	idle := c.srv.cfg.ConnectionsMaxIdle
	for {
		if until := c.muteUntil.Load(); until > 0 {
			if d := time.Until(time.Unix(0, until)); d > 0 {
				select {
				case <-time.After(d):
				case <-c.done:
					return
				case <-ctx.Done():
					return
				}
			}
		}
		if idle > 0 {
			c.nc.SetReadDeadline(time.Now().Add(idle))
		}
		if _, err := io.ReadFull(br, sizeBuf[:]); err != nil {
			c.readFailed(err, "read frame size")
			return
		}
		size := int32(binary.BigEndian.Uint32(sizeBuf[:]))
		if size < 0 || size > maxBytes {
			c.log.Warn("closing connection: request size exceeds socket.request.max.bytes",
				"size", uint32(size), "max", maxBytes)
			c.close()
			return
		}
		if size < 8 {
			c.log.Warn("closing connection: request frame too short for a header", "size", size)
			c.close()
			return
		}
		// A frame has started; the client must finish it promptly even if
		// the idle timeout is long.
		c.nc.SetReadDeadline(time.Now().Add(frameTimeout(idle)))
		body := getBody(int(size))
		if _, err := io.ReadFull(br, body); err != nil {
			c.readFailed(err, "read frame body")
			return
		}
		req, err := c.srv.decodeRequest(body)
		if err != nil {
			c.log.Warn("closing connection: bad request", "err", err)
			c.close()
			return
		}
		req.received = time.Now()
		req.body = body
		select {
		case c.reqs <- req:
		case <-c.done:
			return
		case <-ctx.Done():
			c.close()
			return
		}
	}
}

func frameTimeout(idle time.Duration) time.Duration {
	if idle <= 0 || idle > 30*time.Second {
		return 30 * time.Second
	}
	return idle
}

// readFailed logs why reading stopped. The connection is not closed here:
// requests already queued are still answered, then the writer closes it.
func (c *conn) readFailed(err error, what string) {
	select {
	case <-c.done:
		return // we closed it
	default:
	}
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		c.log.Debug("connection closed by client")
	case errors.As(err, &ne) && ne.Timeout():
		c.log.Info("closing idle connection", "idle", c.srv.cfg.ConnectionsMaxIdle)
	case errors.Is(err, io.ErrUnexpectedEOF):
		c.log.Warn("closing connection: truncated frame", "err", err)
	default:
		c.log.Debug("connection read ended", "what", what, "err", err)
	}
}

func (c *conn) process(ctx context.Context) {
	defer close(c.resps)
	for req := range c.reqs {
		buf, err := c.srv.handle(ctx, c, req)
		f := outFrame{buf: buf}
		if len(c.regions) > 0 {
			if err != nil || buf == nil {
				c.dropRegions()
			} else {
				f, err = c.spliceRegions(buf, req.version >= 12)
			}
		}
		if reusableBody(req.key) {
			// Nothing of these requests outlives the handler (the log copies
			// produced batches to its file), so the frame's buffer is reused.
			putBody(req.body)
		}
		if err != nil {
			c.log.Warn("closing connection: request cannot be served", "api", kmsg.NameForKey(req.key), "version", req.version, "err", err)
			c.close()
			// Drain so the reader is never blocked on a full queue.
			for range c.reqs {
			}
			return
		}
		if c.closeAfterResponse {
			c.log.Info("closing connection after a failed acks=0 produce")
			f.release()
			c.close()
			for range c.reqs {
			}
			return
		}
		if f.buf == nil {
			continue // acks=0 produce: no response at all
		}
		select {
		case c.resps <- f:
		case <-c.done:
			f.release()
		}
	}
}

func (c *conn) write() {
	bw := bufio.NewWriterSize(c.nc, 64<<10)
	for f := range c.resps {
		c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
		err := c.writeFrame(bw, f)
		f.release()
		if err != nil {
			c.writeFailed(err)
			break
		}
		c.srv.putFrame(f.buf)
		if len(c.resps) == 0 {
			if err := bw.Flush(); err != nil {
				c.writeFailed(err)
				break
			}
		}
	}
	c.close()
	// Keep draining so process never blocks on a dead connection.
	for f := range c.resps {
		f.release()
	}
}

// writeFrame writes f through bw; regions go from their files to the
// socket after what is buffered before them has been flushed.
func (c *conn) writeFrame(bw *bufio.Writer, f outFrame) error {
	if f.parts == nil {
		_, err := bw.Write(f.buf)
		return err
	}
	for _, p := range f.parts {
		if _, err := bw.Write(p.data); err != nil {
			return err
		}
		if p.region == nil {
			continue
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if _, err := p.region.WriteTo(c.nc); err != nil {
			return err
		}
	}
	return nil
}

func (c *conn) writeFailed(err error) {
	select {
	case <-c.done:
	default:
		c.log.Debug("closing connection: write failed", "err", err)
	}
}

// decodeRequest parses a request frame (without its size prefix): the
// request header, then the body with kmsg at the header's version.
func (s *Server) decodeRequest(body []byte) (*request, error) {
	r := reader{b: body}
	req := &request{key: r.int16(), version: r.int16(), corr: r.int32()}
	cid, ok := r.nullableString()
	if !ok || r.err {
		return nil, errors.New("truncated request header")
	}
	req.clientID = cid
	api, known := s.apis[req.key]
	if !known {
		return nil, fmt.Errorf("unknown api key %d", req.key)
	}
	if req.version < api.min || req.version > api.max {
		if req.key == apiVersionsKey {
			// KIP-511: answered with a v0 body carrying UNSUPPORTED_VERSION;
			// the body itself is not read.
			return req, nil
		}
		return nil, fmt.Errorf("unsupported version %d of %s (supported %d-%d)", req.version, kmsg.NameForKey(req.key), api.min, api.max)
	}
	kreq := kmsg.RequestForKey(req.key)
	kreq.SetVersion(req.version)
	if kreq.IsFlexible() {
		if !r.skipTags() {
			return nil, errors.New("truncated request header tagged fields")
		}
	}
	if err := kreq.ReadFrom(r.b); err != nil {
		return nil, fmt.Errorf("decode %s v%d: %w", kmsg.NameForKey(req.key), req.version, err)
	}
	req.kreq = kreq
	return req, nil
}

// reader is a minimal big-endian cursor for the request header.
type reader struct {
	b   []byte
	err bool
}

func (r *reader) int16() int16 {
	if len(r.b) < 2 {
		r.err = true
		return 0
	}
	v := int16(binary.BigEndian.Uint16(r.b))
	r.b = r.b[2:]
	return v
}

func (r *reader) int32() int32 {
	if len(r.b) < 4 {
		r.err = true
		return 0
	}
	v := int32(binary.BigEndian.Uint32(r.b))
	r.b = r.b[4:]
	return v
}

func (r *reader) nullableString() (string, bool) {
	n := r.int16()
	if r.err {
		return "", false
	}
	if n < 0 {
		return "", n == -1
	}
	if int(n) > len(r.b) {
		r.err = true
		return "", false
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s, true
}

func (r *reader) uvarint() (uint64, bool) {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		return 0, false
	}
	r.b = r.b[n:]
	return v, true
}

// skipTags skips a tagged-field section (KIP-482).
func (r *reader) skipTags() bool {
	count, ok := r.uvarint()
	if !ok || count > uint64(len(r.b)) {
		return false
	}
	for i := uint64(0); i < count; i++ {
		if _, ok := r.uvarint(); !ok {
			return false
		}
		size, ok := r.uvarint()
		if !ok || size > uint64(len(r.b)) {
			return false
		}
		r.b = r.b[size:]
	}
	return true
}

// Request bodies are pooled by size class so that the data path (produce,
// fetch) does not allocate and clear a fresh buffer per request.
var bodyPools [24]sync.Pool // classes of 1 KiB << i

func bodyClass(n int) int {
	c := 0
	for (1024<<c) < n && c < len(bodyPools)-1 {
		c++
	}
	return c
}

func getBody(n int) []byte {
	c := bodyClass(n)
	if (1024<<c) >= n && c < len(bodyPools) {
		if b, ok := bodyPools[c].Get().(*[]byte); ok {
			return (*b)[:n]
		}
		return make([]byte, n, 1024<<c)
	}
	return make([]byte, n)
}

func putBody(b []byte) {
	c := bodyClass(cap(b))
	if cap(b) != 1024<<c || cap(b) > 64<<20 {
		return
	}
	b = b[:0]
	bodyPools[c].Put(&b)
}

// reusableBody reports whether nothing of a request of this key is kept
// after its handler returns, so its buffer can be reused. Group and config
// requests keep byte fields (member metadata, assignments) and are not.
func reusableBody(key int16) bool {
	switch key {
	case 0, 1, 2, 3, 12, 18, 23:
		return true
	}
	return false
}
