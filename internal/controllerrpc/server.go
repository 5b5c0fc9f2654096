package controllerrpc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"
)

// Error codes the server itself answers with (Kafka's numbering).
const (
	codeUnknownServerError  int16 = -1
	codeInvalidRequest      int16 = 42
	codeUnsupportedVersion  int16 = 35
	codeInconsistentCluster int16 = 104
)

// Handler runs one method. body is the request's body (nil when absent).
// It returns the response body (nil for none) and the request-level error;
// both may be set. Handlers run concurrently, one per connection at a time,
// under a context that ends at the caller's deadline or when the server
// closes.
type Handler func(ctx context.Context, method string, body json.RawMessage) (any, error)

// ServerOptions configure a Server.
type ServerOptions struct {
	// Handler runs the methods; required.
	Handler Handler
	// ErrorCode turns a handler's error into its wire form; nil sends
	// UNKNOWN_SERVER_ERROR with the error's text.
	ErrorCode func(error) *Error
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// MaxFrame bounds a request frame; 0 means DefaultMaxFrame.
	MaxFrame int
	// IdleTimeout closes a connection that sends no request for this long;
	// 0 means two minutes.
	IdleTimeout time.Duration
	// MaxTimeout caps a request's timeoutMs, and replaces 0; 0 means 60 s.
	MaxTimeout time.Duration
	// Cluster, if set, is the only cluster id the server answers; other
	// requests get INCONSISTENT_CLUSTER_ID.
	Cluster string
}

// Server answers requests on the connections of a listener.
//
// Goroutines: Serve's accept loop and one per connection. Close cancels
// running handlers' contexts, closes the listener and every connection,
// and waits for them all.
type Server struct {
	opts   ServerOptions
	logger *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	lns    map[net.Listener]struct{}
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// NewServer returns a server; call Serve to start it.
func NewServer(opts ServerOptions) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxFrame <= 0 {
		opts.MaxFrame = DefaultMaxFrame
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 2 * time.Minute
	}
	if opts.MaxTimeout <= 0 {
		opts.MaxTimeout = time.Minute
	}
	s := &Server{opts: opts, logger: opts.Logger, lns: map[net.Listener]struct{}{}, conns: map[net.Conn]struct{}{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Serve accepts connections from ln (whose connections start after the
// MarkerRPC byte, as a Mux sub-listener's do) until ln or the server is
// closed. The server closes ln on Close. Serve returns nil after Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.lns[ln] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	backoff := time.Duration(0)
	for {
		conn, err := ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.logger.Warn("controller rpc accept failed; backing off", "err", err, "backoff", backoff)
			select {
			case <-s.ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			conn.Close()
			return nil
		}
		s.conns[conn] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(conn)
	}
}

// Close stops the server and waits for its goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		s.cancel()
		for ln := range s.lns {
			ln.Close()
		}
		for c := range s.conns {
			c.Close()
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

func (s *Server) serveConn(conn net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
		conn.Close()
	}()
	remote := conn.RemoteAddr().String()
	r := bufio.NewReader(conn)
	for {
		conn.SetReadDeadline(time.Now().Add(s.opts.IdleTimeout))
		payload, err := ReadFrame(r, s.opts.MaxFrame)
		if err != nil {
			if !errors.Is(err, io.EOF) && s.ctx.Err() == nil {
				s.logger.Debug("controller rpc connection closed", "remote", remote, "err", err)
			}
			var tooLarge *FrameTooLargeError
			if errors.As(err, &tooLarge) {
				// Say why before hanging up; the rest of the stream is
				// unreadable.
				s.write(conn, Response{Refused: true, Error: &Error{Code: codeInvalidRequest, Message: err.Error()}})
			}
			return
		}
		req, err := DecodeRequest(payload)
		if err != nil {
			s.logger.Debug("undecodable controller rpc request", "remote", remote, "err", err)
			s.write(conn, Response{Refused: true, Error: &Error{Code: codeInvalidRequest, Message: err.Error()}})
			return
		}
		var resp Response
		switch {
		case req.Version != Version:
			resp = Response{ID: req.ID, Refused: true, Error: &Error{Code: codeUnsupportedVersion,
				Message: fmt.Sprintf("controller rpc version %d is not supported; this node speaks %d", req.Version, Version)}}
		case s.opts.Cluster != "" && req.Cluster != s.opts.Cluster:
			resp = Response{ID: req.ID, Refused: true, Error: &Error{Code: codeInconsistentCluster,
				Message: fmt.Sprintf("Expected cluster ID %s, but got cluster ID %s", s.opts.Cluster, req.Cluster)}}
		default:
			resp = s.call(req)
		}
		if !s.write(conn, resp) {
			return
		}
	}
}

// call runs the handler under the request's deadline, turning a panic into
// an UNKNOWN_SERVER_ERROR response.
func (s *Server) call(req Request) (resp Response) {
	resp.ID = req.ID
	timeout := time.Duration(req.TimeoutMs) * time.Millisecond
	if timeout <= 0 || timeout > s.opts.MaxTimeout {
		timeout = s.opts.MaxTimeout
	}
	ctx, cancel := context.WithTimeout(s.ctx, timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			s.logger.Error("controller rpc handler panicked", "method", req.Method, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			resp = Response{ID: req.ID, Error: &Error{Code: codeUnknownServerError, Message: fmt.Sprintf("handler panicked: %v", p)}}
		}
	}()
	body, err := s.opts.Handler(ctx, req.Method, req.Body)
	if err != nil {
		resp.Error = s.wireError(err)
	}
	if body != nil {
		b, merr := json.Marshal(body)
		if merr != nil {
			return Response{ID: req.ID, Error: &Error{Code: codeUnknownServerError, Message: fmt.Sprintf("encode %s response: %v", req.Method, merr)}}
		}
		resp.Body = b
	}
	return resp
}

func (s *Server) wireError(err error) *Error {
	if s.opts.ErrorCode != nil {
		if e := s.opts.ErrorCode(err); e != nil {
			return e
		}
	}
	var we *Error
	if errors.As(err, &we) {
		return we
	}
	return &Error{Code: codeUnknownServerError, Message: err.Error()}
}

// write sends one response and reports whether the connection is still
// usable.
func (s *Server) write(conn net.Conn, resp Response) bool {
	b, err := EncodeResponse(resp)
	if err != nil {
		s.logger.Error("encode controller rpc response", "err", err)
		return false
	}
	if len(b) > s.opts.MaxFrame {
		b, _ = EncodeResponse(Response{ID: resp.ID, Error: &Error{Code: codeUnknownServerError,
			Message: (&FrameTooLargeError{Size: len(b), Max: s.opts.MaxFrame}).Error()}})
	}
	conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := WriteFrame(conn, b); err != nil {
		s.logger.Debug("controller rpc response not sent", "remote", conn.RemoteAddr().String(), "err", err)
		return false
	}
	return true
}
