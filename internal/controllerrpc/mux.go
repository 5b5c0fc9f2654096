package controllerrpc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// DefaultMarkerTimeout is how long the Mux waits for a new connection's
// marker byte.
const DefaultMarkerTimeout = 10 * time.Second

// Mux routes the connections of one listener by their marker byte.
//
// Goroutines: one accept loop, and one short-lived goroutine per new
// connection that reads its marker. Close closes the listener and every
// connection not yet handed to a sub-listener, then waits for them all.
// Connections already handed over belong to whoever accepted them.
type Mux struct {
	ln            net.Listener
	logger        *slog.Logger
	markerTimeout time.Duration

	mu      sync.Mutex
	subs    map[byte]*subListener
	pending map[net.Conn]struct{}
	started bool
	closed  bool

	done chan struct{}
	wg   sync.WaitGroup
}

// NewMux returns a Mux over ln. Register sub-listeners with Listen, then
// call Start. The Mux owns ln and closes it on Close. A nil logger
// discards logs; markerTimeout 0 means DefaultMarkerTimeout.
func NewMux(ln net.Listener, logger *slog.Logger, markerTimeout time.Duration) *Mux {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if markerTimeout <= 0 {
		markerTimeout = DefaultMarkerTimeout
	}
	return &Mux{
		ln: ln, logger: logger, markerTimeout: markerTimeout,
		subs: map[byte]*subListener{}, pending: map[net.Conn]struct{}{}, done: make(chan struct{}),
	}
}

// Addr is the listener's address.
func (m *Mux) Addr() net.Addr { return m.ln.Addr() }

// Listen returns the listener of connections that start with marker; its
// connections are positioned after the marker. Each marker can be
// listened on once.
func (m *Mux) Listen(marker byte) (net.Listener, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, net.ErrClosed
	}
	if m.subs[marker] != nil {
		return nil, fmt.Errorf("listen on marker %#x: already taken", marker)
	}
	s := &subListener{mux: m, marker: marker, conns: make(chan net.Conn), done: make(chan struct{})}
	m.subs[marker] = s
	return s, nil
}

// Start starts the accept loop. It may be called once.
func (m *Mux) Start() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started || m.closed {
		return
	}
	m.started = true
	m.wg.Add(1)
	go m.acceptLoop()
}

// Close closes the listener, every sub-listener and every connection whose
// marker has not been read yet, and waits for the Mux's goroutines.
func (m *Mux) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		m.wg.Wait()
		return nil
	}
	m.closed = true
	close(m.done)
	for c := range m.pending {
		c.Close()
	}
	m.mu.Unlock()
	err := m.ln.Close()
	m.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (m *Mux) acceptLoop() {
	defer m.wg.Done()
	backoff := time.Duration(0)
	for {
		conn, err := m.ln.Accept()
		if err != nil {
			select {
			case <-m.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off instead of
			// spinning, and keep serving when it passes.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			m.logger.Warn("controller listener accept failed; backing off", "err", err, "backoff", backoff)
			select {
			case <-m.done:
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			conn.Close()
			return
		}
		m.pending[conn] = struct{}{}
		m.wg.Add(1)
		m.mu.Unlock()
		go m.route(conn)
	}
}

// route reads conn's marker and hands it to its sub-listener.
func (m *Mux) route(conn net.Conn) {
	defer m.wg.Done()
	var marker [1]byte
	conn.SetReadDeadline(time.Now().Add(m.markerTimeout))
	_, err := conn.Read(marker[:])
	conn.SetReadDeadline(time.Time{})
	m.mu.Lock()
	delete(m.pending, conn)
	sub := m.subs[marker[0]]
	m.mu.Unlock()
	if err != nil {
		m.logger.Debug("controller connection closed before its marker", "remote", conn.RemoteAddr().String(), "err", err)
		conn.Close()
		return
	}
	if sub == nil {
		m.logger.Debug("controller connection with unknown marker closed", "remote", conn.RemoteAddr().String(), "marker", marker[0])
		conn.Close()
		return
	}
	select {
	case sub.conns <- conn:
	case <-sub.done:
		conn.Close()
	case <-m.done:
		conn.Close()
	}
}

// subListener is the net.Listener of one marker.
type subListener struct {
	mux    *Mux
	marker byte
	conns  chan net.Conn
	once   sync.Once
	done   chan struct{}
}

func (s *subListener) Accept() (net.Conn, error) {
	select {
	case c := <-s.conns:
		return c, nil
	case <-s.done:
		return nil, net.ErrClosed
	case <-s.mux.done:
		return nil, net.ErrClosed
	}
}

// Close stops this sub-listener; connections with its marker are closed
// from then on. The Mux and its other sub-listeners keep running.
func (s *subListener) Close() error {
	s.once.Do(func() { close(s.done) })
	return nil
}

func (s *subListener) Addr() net.Addr { return s.mux.Addr() }

// DialMarked connects to address and writes marker, within timeout.
func DialMarked(address string, marker byte, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return DialMarkedContext(ctx, address, marker)
}

// DialMarkedContext connects to address and writes marker, within ctx.
func DialMarkedContext(ctx context.Context, address string, marker byte) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", address)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetWriteDeadline(dl)
	}
	if _, err := conn.Write([]byte{marker}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("write connection marker to %s: %w", address, err)
	}
	conn.SetWriteDeadline(time.Time{})
	return conn, nil
}
