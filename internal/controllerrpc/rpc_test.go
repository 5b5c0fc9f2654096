package controllerrpc

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// startMux starts a Mux on a loopback port with sub-listeners for both
// markers.
func startMux(t *testing.T, markerTimeout time.Duration) (m *Mux, raftLn, rpcLn net.Listener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m = NewMux(ln, nil, markerTimeout)
	if raftLn, err = m.Listen(MarkerRaft); err != nil {
		t.Fatal(err)
	}
	if rpcLn, err = m.Listen(MarkerRPC); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Listen(MarkerRaft); err == nil {
		t.Error("second Listen on the same marker: got nil error")
	}
	m.Start()
	t.Cleanup(func() { m.Close() })
	return m, raftLn, rpcLn
}

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// acceptOne accepts a connection from ln within a deadline.
func acceptOne(t *testing.T, ln net.Listener) net.Conn {
	t.Helper()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.Accept()
		ch <- res{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("accept: %v", r.err)
		}
		return r.c
	case <-time.After(5 * time.Second):
		t.Fatal("no connection accepted within 5s")
		return nil
	}
}

// waitClosed reads from c until it reports an error, within a deadline.
func waitClosed(t *testing.T, c net.Conn, within time.Duration) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(within))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v", within)
	}
}

func TestMuxRoutesByMarker(t *testing.T) {
	t.Parallel()
	m, raftLn, rpcLn := startMux(t, 200*time.Millisecond)
	addr := m.Addr().String()

	tests := []struct {
		name   string
		marker byte
		ln     net.Listener
	}{
		{"raft", MarkerRaft, raftLn},
		{"rpc", MarkerRPC, rpcLn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := DialMarked(addr, tt.marker, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write([]byte("hello")); err != nil {
				t.Fatal(err)
			}
			s := acceptOne(t, tt.ln)
			defer s.Close()
			got := make([]byte, 5)
			s.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.ReadFull(s, got); err != nil {
				t.Fatal(err)
			}
			if string(got) != "hello" {
				t.Errorf("bytes after the marker: got %q, want %q", got, "hello")
			}
		})
	}

	t.Run("unknown marker", func(t *testing.T) {
		c, err := DialMarked(addr, 0, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		waitClosed(t, c, 5*time.Second)
	})
	t.Run("no marker in time", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		waitClosed(t, c, 5*time.Second)
	})
	t.Run("closed sub-listener", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		m2 := NewMux(ln, nil, time.Second)
		defer m2.Close()
		sub, _ := m2.Listen(MarkerRPC)
		m2.Start()
		sub.Close()
		if _, err := sub.Accept(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close: got %v, want net.ErrClosed", err)
		}
		c, err := DialMarked(ln.Addr().String(), MarkerRPC, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		waitClosed(t, c, 5*time.Second)
	})
}

func TestMuxCloseClosesPending(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := NewMux(ln, nil, time.Minute)
	sub, _ := m.Listen(MarkerRaft)
	m.Start()
	// A connection that never sends its marker holds a routing goroutine.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	done := make(chan error, 1)
	go func() { done <- m.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for a connection without a marker")
	}
	waitClosed(t, c, 5*time.Second)
	if _, err := sub.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Mux.Close: got %v, want net.ErrClosed", err)
	}
	if _, err := m.Listen(MarkerRPC); err == nil {
		t.Error("Listen after Close: got nil error")
	}
}

type echoReq struct {
	Text string `json:"text"`
}

type echoResp struct {
	Text  string `json:"text"`
	Count int    `json:"count"`
}

// startServer serves handler on a Mux's RPC sub-listener and returns the
// address to call.
func startServer(t *testing.T, opts ServerOptions) string {
	t.Helper()
	m, _, rpcLn := startMux(t, time.Second)
	s := NewServer(opts)
	done := make(chan error, 1)
	go func() { done <- s.Serve(rpcLn) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return m.Addr().String()
}

// testHandler serves the test methods; waiting receives a value each time a
// Wait call starts.
type testHandler struct {
	waiting chan struct{}
}

func newTestHandler() Handler {
	h := &testHandler{waiting: make(chan struct{}, 16)}
	return h.serve
}

func (h *testHandler) serve(ctx context.Context, method string, body json.RawMessage) (any, error) {
	switch method {
	case "Echo":
		var req echoReq
		if err := DecodeJSON(body, &req); err != nil {
			return nil, &Error{Code: codeInvalidRequest, Message: err.Error()}
		}
		return echoResp{Text: req.Text, Count: len(req.Text)}, nil
	case "Both":
		return echoResp{Text: "partial"}, &Error{Code: 41, Message: "not the controller"}
	case "Plain":
		return nil, errors.New("disk on fire")
	case "Panic":
		panic("boom")
	case "Wait":
		select {
		case h.waiting <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return nil, ctx.Err()
	case "Empty":
		return nil, nil
	}
	return nil, &Error{Code: codeInvalidRequest, Message: "unknown method " + method}
}

func TestCall(t *testing.T) {
	t.Parallel()
	h := &testHandler{waiting: make(chan struct{}, 16)}
	addr := startServer(t, ServerOptions{Handler: h.serve})
	c := NewClient(ClientOptions{})
	defer c.Close()
	ctx := testContext(t, 20*time.Second)

	tests := []struct {
		name     string
		method   string
		req      any
		want     echoResp
		wantCode int16 // 0: success
		wantMsg  string
	}{
		{"echo", "Echo", echoReq{Text: "abc"}, echoResp{Text: "abc", Count: 3}, 0, ""},
		{"error with body", "Both", nil, echoResp{Text: "partial"}, 41, "not the controller"},
		{"plain error", "Plain", nil, echoResp{}, codeUnknownServerError, "disk on fire"},
		{"handler panic", "Panic", nil, echoResp{}, codeUnknownServerError, "handler panicked: boom"},
		{"unknown method", "Nope", nil, echoResp{}, codeInvalidRequest, "unknown method Nope"},
		{"bad body", "Echo", map[string]int{"other": 1}, echoResp{}, codeInvalidRequest, `json: unknown field "other"`},
		{"no body", "Empty", nil, echoResp{}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got echoResp
			err := c.Call(ctx, addr, tt.method, tt.req, &got)
			if tt.wantCode == 0 {
				if err != nil {
					t.Fatalf("got error %v, want success", err)
				}
			} else {
				var re *Error
				if !errors.As(err, &re) {
					t.Fatalf("got error %v, want a remote error", err)
				}
				if re.Code != tt.wantCode || re.Message != tt.wantMsg {
					t.Errorf("got remote error %d %q, want %d %q", re.Code, re.Message, tt.wantCode, tt.wantMsg)
				}
			}
			if got != tt.want {
				t.Errorf("got body %+v, want %+v", got, tt.want)
			}
		})
	}

	t.Run("deadline carried to the handler", func(t *testing.T) {
		wctx, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := c.Call(wctx, addr, "Wait", nil, nil)
		if err == nil {
			t.Fatal("got nil error")
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("call returned after %v, want about 150ms", d)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		for len(h.waiting) > 0 {
			<-h.waiting // left by the deadline case
		}
		cctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-h.waiting: // the call reached the handler
			case <-ctx.Done():
			}
			cancel()
		}()
		err := c.Call(cctx, addr, "Wait", nil, nil)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
	t.Run("nobody listening", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := ln.Addr().String()
		ln.Close()
		err = c.Call(ctx, dead, "Echo", echoReq{}, nil)
		var re *Error
		if err == nil || errors.As(err, &re) {
			t.Errorf("got %v, want a transport error", err)
		}
	})
	t.Run("closed client", func(t *testing.T) {
		c2 := NewClient(ClientOptions{})
		c2.Close()
		if err := c2.Call(ctx, addr, "Echo", echoReq{}, nil); !errors.Is(err, ErrClientClosed) {
			t.Errorf("got %v, want ErrClientClosed", err)
		}
	})
}

func TestCallConcurrent(t *testing.T) {
	t.Parallel()
	addr := startServer(t, ServerOptions{Handler: newTestHandler()})
	c := NewClient(ClientOptions{})
	defer c.Close()
	ctx := testContext(t, 20*time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				text := fmt.Sprintf("g%d-%d", g, i)
				var got echoResp
				if err := c.Call(ctx, addr, "Echo", echoReq{Text: text}, &got); err != nil {
					errs <- err
					return
				}
				if got.Text != text {
					errs <- fmt.Errorf("got %q, want %q", got.Text, text)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestClientRedialsDroppedIdleConnection(t *testing.T) {
	t.Parallel()
	addr := startServer(t, ServerOptions{Handler: newTestHandler(), IdleTimeout: 50 * time.Millisecond})
	c := NewClient(ClientOptions{})
	defer c.Close()
	ctx := testContext(t, 20*time.Second)
	if err := c.Call(ctx, addr, "Empty", nil, nil); err != nil {
		t.Fatal(err)
	}
	// Wait until the server has dropped the pooled connection.
	c.mu.Lock()
	idle := c.idle[addr][0]
	c.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for {
		idle.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := idle.r.Peek(1); err != nil && !isTimeout(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("server kept the idle connection open")
		}
	}
	idle.SetReadDeadline(time.Time{})
	if err := c.Call(ctx, addr, "Empty", nil, nil); err != nil {
		t.Fatalf("call after the server dropped the idle connection: %v", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// rawCall writes raw bytes after the RPC marker and returns what the server
// answers (a decoded response, or nil if it hung up without one).
func rawCall(t *testing.T, addr string, raw []byte) *Response {
	t.Helper()
	conn, err := DialMarked(addr, MarkerRPC, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(raw); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := ReadFrame(conn, DefaultMaxFrame)
	if err != nil {
		return nil
	}
	resp, err := DecodeResponse(b)
	if err != nil {
		t.Fatalf("server sent an undecodable response %q: %v", b, err)
	}
	return &resp
}

func frame(payload string) []byte {
	b := make([]byte, 4, 4+len(payload))
	binary.BigEndian.PutUint32(b, uint32(len(payload)))
	return append(b, payload...)
}

func TestServerBadInput(t *testing.T) {
	t.Parallel()
	addr := startServer(t, ServerOptions{Handler: newTestHandler(), MaxFrame: 1024})
	tests := []struct {
		name     string
		raw      []byte
		wantCode int16 // 0: no response expected
		wantMsg  string
	}{
		{"not json", frame("hello"), codeInvalidRequest, "decode request"},
		{"unknown field", frame(`{"v":1,"id":1,"method":"Echo","extra":1}`), codeInvalidRequest, "unknown field"},
		{"no method", frame(`{"v":1,"id":1}`), codeInvalidRequest, "invalid method name"},
		{"negative timeout", frame(`{"v":1,"id":1,"method":"Echo","timeoutMs":-1}`), codeInvalidRequest, "negative timeout"},
		{"trailing data", frame(`{"v":1,"id":1,"method":"Echo"}{}`), codeInvalidRequest, "trailing data"},
		{"other version", frame(`{"v":9,"id":3,"method":"Echo"}`), codeUnsupportedVersion, "version 9"},
		{"too large", frame(strings.Repeat("x", 2000)), codeInvalidRequest, "exceeds the maximum of 1024"},
		{"empty frame", []byte{0, 0, 0, 0}, 0, ""},
		{"truncated", frame(`{"v":1,"id":1,"method":"Echo"}`)[:10], 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.raw
			if tt.name == "truncated" {
				// Half a frame, then the write side closes: the server
				// must give up on it rather than wait forever.
				conn, err := DialMarked(addr, MarkerRPC, time.Second)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				conn.Write(raw)
				conn.(*net.TCPConn).CloseWrite()
				waitClosed(t, conn, 5*time.Second)
				return
			}
			resp := rawCall(t, addr, raw)
			if tt.wantCode == 0 {
				if resp != nil {
					t.Errorf("got response %+v, want the connection closed", resp)
				}
				return
			}
			if resp == nil || resp.Error == nil {
				t.Fatalf("got %+v, want error %d", resp, tt.wantCode)
			}
			if resp.Error.Code != tt.wantCode || !strings.Contains(resp.Error.Message, tt.wantMsg) {
				t.Errorf("got error %d %q, want %d containing %q", resp.Error.Code, resp.Error.Message, tt.wantCode, tt.wantMsg)
			}
			if !resp.Refused {
				t.Error("response not marked refused")
			}
		})
	}
	// The server still serves well-formed calls.
	c := NewClient(ClientOptions{})
	defer c.Close()
	var got echoResp
	if err := c.Call(testContext(t, 10*time.Second), addr, "Echo", echoReq{Text: "ok"}, &got); err != nil || got.Text != "ok" {
		t.Errorf("call after bad input: got %+v, %v", got, err)
	}
}

func TestFrames(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteFrame(&buf, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	if got := buf.Bytes(); !bytes.Equal(got, []byte{0, 0, 0, 3, 'a', 'b', 'c'}) {
		t.Errorf("frame bytes: got %v", got)
	}
	if err := WriteFrame(&buf, nil); err == nil {
		t.Error("WriteFrame of an empty payload: got nil error")
	}
	tests := []struct {
		name    string
		in      []byte
		max     int
		want    string
		wantErr error
	}{
		{"valid", []byte{0, 0, 0, 2, 'h', 'i'}, 10, "hi", nil},
		{"empty stream", nil, 10, "", io.EOF},
		{"short header", []byte{0, 0}, 10, "", io.ErrUnexpectedEOF},
		{"short payload", []byte{0, 0, 0, 5, 'h'}, 10, "", io.ErrUnexpectedEOF},
		{"over max", []byte{0, 0, 0, 11}, 10, "", &FrameTooLargeError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadFrame(bytes.NewReader(tt.in), tt.max)
			switch want := tt.wantErr.(type) {
			case nil:
				if err != nil || string(got) != tt.want {
					t.Errorf("got %q, %v, want %q", got, err, tt.want)
				}
			case *FrameTooLargeError:
				if !errors.As(err, &want) {
					t.Errorf("got %v, want FrameTooLargeError", err)
				}
			default:
				if !errors.Is(err, want) {
					t.Errorf("got %v, want %v", err, want)
				}
			}
		})
	}
}

func TestClusterMismatchRefused(t *testing.T) {
	t.Parallel()
	addr := startServer(t, ServerOptions{Handler: newTestHandler(), Cluster: "ours"})
	ctx := testContext(t, 10*time.Second)
	tests := []struct {
		name    string
		cluster string
		refused bool
	}{
		{"same cluster", "ours", false},
		{"other cluster", "theirs", true},
		{"no cluster", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewClient(ClientOptions{Cluster: tt.cluster})
			defer c.Close()
			var got echoResp
			err := c.Call(ctx, addr, "Echo", echoReq{Text: "x"}, &got)
			var re *RefusedError
			var we *Error
			switch {
			case !tt.refused && err != nil:
				t.Fatalf("got %v, want success", err)
			case tt.refused && !errors.As(err, &re):
				t.Fatalf("got %v, want a RefusedError", err)
			case tt.refused && errors.As(err, &we):
				t.Fatalf("refusal %v also matches *Error", err)
			case tt.refused && (re.Code != codeInconsistentCluster || re.Message != "Expected cluster ID ours, but got cluster ID "+tt.cluster):
				t.Errorf("got refusal %d %q", re.Code, re.Message)
			}
		})
	}
}
