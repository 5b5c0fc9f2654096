package controllerrpc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ClientOptions configure a Client.
type ClientOptions struct {
	// DialTimeout bounds connecting (within the call's context too);
	// 0 means 2 s.
	DialTimeout time.Duration
	// MaxFrame bounds a response frame; 0 means DefaultMaxFrame.
	MaxFrame int
	// DefaultTimeout bounds a call whose context has no deadline;
	// 0 means 30 s.
	DefaultTimeout time.Duration
	// MaxIdle is the number of idle connections kept per address;
	// 0 means 2.
	MaxIdle int
	// IdleTimeout drops an idle connection unused for this long, before
	// the server would; 0 means one minute.
	IdleTimeout time.Duration
	// Cluster is the cluster id sent with every request.
	Cluster string
}

// Client calls methods on other nodes' Servers. It is safe for concurrent
// use: each call takes a connection of its own from a small per-address
// pool, so calls never wait for each other.
type Client struct {
	opts   ClientOptions
	nextID atomic.Uint64

	mu     sync.Mutex
	idle   map[string][]*clientConn
	closed bool
}

type clientConn struct {
	net.Conn
	r        *bufio.Reader
	lastUsed time.Time
}

// NewClient returns a client.
func NewClient(opts ClientOptions) *Client {
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 2 * time.Second
	}
	if opts.MaxFrame <= 0 {
		opts.MaxFrame = DefaultMaxFrame
	}
	if opts.DefaultTimeout <= 0 {
		opts.DefaultTimeout = 30 * time.Second
	}
	if opts.MaxIdle <= 0 {
		opts.MaxIdle = 2
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = time.Minute
	}
	return &Client{opts: opts, idle: map[string][]*clientConn{}}
}

// ErrClientClosed is returned by calls on a closed Client.
var ErrClientClosed = errors.New("controller rpc client closed")

// Call sends method with req (JSON-encoded; nil for no body) to the server
// at addr and decodes the response body into resp (a pointer; nil ignores
// the body). A request-level failure reported by the server is returned as
// *Error, after resp has been filled from the body that came with it. A
// request the server refused without running it is *RefusedError. Any
// other error is local or a transport failure, and leaves it unknown
// whether the server ran the method.
func (c *Client) Call(ctx context.Context, addr, method string, req, resp any) error {
	var body json.RawMessage
	if req != nil {
		b, err := json.Marshal(req)
		if err != nil {
			return fmt.Errorf("call %s: encode request: %w", method, err)
		}
		body = b
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.DefaultTimeout)
		defer cancel()
	}
	dl, _ := ctx.Deadline()
	timeoutMs := time.Until(dl).Milliseconds()
	if timeoutMs <= 0 || ctx.Err() != nil {
		return fmt.Errorf("call %s at %s: %w", method, addr, context.DeadlineExceeded)
	}
	id := c.nextID.Add(1)
	payload, err := EncodeRequest(Request{Version: Version, ID: id, Cluster: c.opts.Cluster, Method: method, TimeoutMs: timeoutMs, Body: body})
	if err != nil {
		return fmt.Errorf("call %s: %w", method, err)
	}
	r, err := c.roundTrip(ctx, addr, id, payload)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("call %s at %s: %w (%w)", method, addr, ctx.Err(), err)
		}
		return fmt.Errorf("call %s at %s: %w", method, addr, err)
	}
	if r.Refused {
		re := &RefusedError{Code: codeUnknownServerError, Message: "refused"}
		if r.Error != nil {
			re.Code, re.Message = r.Error.Code, r.Error.Message
		}
		return fmt.Errorf("call %s at %s: %w", method, addr, re)
	}
	if resp != nil && len(r.Body) > 0 {
		if err := DecodeJSON(r.Body, resp); err != nil {
			return fmt.Errorf("call %s at %s: decode response body: %w", method, addr, err)
		}
	}
	if r.Error != nil {
		return r.Error
	}
	return nil
}

// roundTrip sends one request payload and reads its response. A pooled
// connection that fails is retried once on a fresh one: the server may
// have dropped it while it sat idle.
func (c *Client) roundTrip(ctx context.Context, addr string, id uint64, payload []byte) (Response, error) {
	for attempt := 0; ; attempt++ {
		conn, reused, err := c.get(ctx, addr, attempt > 0)
		if err != nil {
			return Response{}, err
		}
		resp, reusable, err := c.exchange(ctx, conn, payload)
		if err == nil && resp.ID != id {
			if resp.ID == 0 && resp.Error != nil {
				// The server could not read the request and says why
				// before it hangs up.
				conn.Close()
				return resp, nil
			}
			err = fmt.Errorf("response id %d does not match request id %d", resp.ID, id)
		}
		if err != nil {
			conn.Close()
			if reused && ctx.Err() == nil {
				continue
			}
			return Response{}, err
		}
		if reusable {
			c.put(addr, conn)
		} else {
			conn.Close()
		}
		return resp, nil
	}
}

// exchange writes one request frame and reads one response frame. The
// connection is reusable unless the context ended while it was in use.
func (c *Client) exchange(ctx context.Context, conn *clientConn, payload []byte) (Response, bool, error) {
	dl, _ := ctx.Deadline()
	conn.SetDeadline(dl)
	// Cancelling the context unblocks the read and write at once.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	if err := WriteFrame(conn, payload); err != nil {
		stop()
		return Response{}, false, err
	}
	b, err := ReadFrame(conn.r, c.opts.MaxFrame)
	reusable := stop()
	if err != nil {
		return Response{}, false, fmt.Errorf("read response: %w", err)
	}
	if reusable {
		conn.SetDeadline(time.Time{})
	}
	resp, err := DecodeResponse(b)
	return resp, reusable, err
}

// get returns an idle connection to addr, or a new one when there is none
// or fresh is set.
func (c *Client) get(ctx context.Context, addr string, fresh bool) (*clientConn, bool, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, false, ErrClientClosed
	}
	if !fresh {
		for len(c.idle[addr]) > 0 {
			conns := c.idle[addr]
			conn := conns[len(conns)-1]
			c.idle[addr] = conns[:len(conns)-1]
			if time.Since(conn.lastUsed) < c.opts.IdleTimeout {
				c.mu.Unlock()
				return conn, true, nil
			}
			conn.Close()
		}
	}
	c.mu.Unlock()
	dctx, cancel := context.WithTimeout(ctx, c.opts.DialTimeout)
	defer cancel()
	conn, err := DialMarkedContext(dctx, addr, MarkerRPC)
	if err != nil {
		return nil, false, err
	}
	return &clientConn{Conn: conn, r: bufio.NewReader(conn)}, false, nil
}

func (c *Client) put(addr string, conn *clientConn) {
	conn.lastUsed = time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(c.idle[addr]) >= c.opts.MaxIdle {
		conn.Close()
		return
	}
	c.idle[addr] = append(c.idle[addr], conn)
}

// Close closes idle connections; calls in progress finish on their own
// connections, and later calls fail with ErrClientClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for addr, conns := range c.idle {
		for _, conn := range conns {
			conn.Close()
		}
		delete(c.idle, addr)
	}
	return nil
}
