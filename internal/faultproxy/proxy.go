// Package faultproxy is a TCP proxy that tests put in front of a server to
// break the network between it and its clients on demand, in the manner of
// toxiproxy: a link can be up, down (open connections are reset and new
// ones are closed at once), blackholed (connections are accepted and kept
// open but no byte moves in either direction until the link is up again,
// which looks to both ends like a network partition rather than a crash),
// or slowed by a fixed one-way latency.
//
// A proxy forwards every connection it accepts to one target address. Each
// connection belongs to a link, named by the proxy's Classifier from the
// first bytes the client sends; KafkaClientID names links by the client id
// of a Kafka client's first request, so a proxy in front of a broker can
// cut the replica fetcher of one other broker ("broker-2-fetcher-0") while
// every other client still gets through. Without a classifier all
// connections share the link "".
//
// Faults are set per link (Set) or for every link that has none of its own
// (SetDefault), and apply at once to open connections as well as new ones.
// A blackholed connection keeps the bytes it has read and delivers them in
// order once its link is up, as TCP would after a partition heals.
//
// All methods are safe for concurrent use. Close stops the proxy and waits
// for every goroutine it started.
package faultproxy

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Mode is the state of a link.
type Mode int

// Link modes.
const (
	// Up forwards bytes (after Latency, if set).
	Up Mode = iota
	// Down resets open connections and closes new ones as soon as they
	// are classified: the server looks unreachable.
	Down
	// Blackhole keeps connections open but moves no bytes; new
	// connections are accepted but not forwarded until the link is up.
	Blackhole
)

func (m Mode) String() string {
	switch m {
	case Up:
		return "up"
	case Down:
		return "down"
	case Blackhole:
		return "blackhole"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Fault is what a link does to its connections.
type Fault struct {
	Mode Mode
	// Latency delays every chunk of bytes, in each direction, by this much
	// when the link is up.
	Latency time.Duration
}

// A Classifier names the link of a new connection from the first bytes the
// client sends, peeking at r (whatever it peeks is still forwarded). It is
// called on the connection's own goroutine with a read deadline set; it
// should return "" when it cannot tell.
type Classifier func(r *bufio.Reader) string

// Config configures a proxy.
type Config struct {
	// Target is the address connections are forwarded to.
	Target string
	// Listen is the address to listen on; "" is 127.0.0.1:0.
	Listen string
	// Classify names each connection's link; nil puts all on link "".
	Classify Classifier
	// ClassifyTimeout bounds how long the classifier may wait for the
	// client's first bytes; zero is 5 s.
	ClassifyTimeout time.Duration
	// DialTimeout bounds the connection to Target; zero is 5 s.
	DialTimeout time.Duration
	// Logger gets a line per fault change and per connection at debug
	// level; nil discards.
	Logger *slog.Logger
}

// Proxy is a running proxy; see the package doc.
type Proxy struct {
	cfg Config
	ln  net.Listener
	log *slog.Logger

	mu       sync.Mutex
	faults   map[string]Fault
	def      Fault
	changed  chan struct{} // closed and replaced on every fault change
	conns    map[*pconn]struct{}
	accepted map[string]int // connections accepted per link, ever
	closed   bool

	done chan struct{} // closed by Close
	wg   sync.WaitGroup
}

// pconn is one proxied connection.
type pconn struct {
	link     string
	client   net.Conn
	upstream net.Conn // nil until dialled
	closeOne sync.Once
}

func (c *pconn) close() {
	c.closeOne.Do(func() {
		// Linger 0 sends a reset, as a dropped connection would.
		if tc, ok := c.client.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		c.client.Close()
		if c.upstream != nil {
			c.upstream.Close()
		}
	})
}

// Start listens and starts forwarding to cfg.Target.
func Start(cfg Config) (*Proxy, error) {
	if cfg.Target == "" {
		return nil, errors.New("faultproxy: no target address")
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.ClassifyTimeout <= 0 {
		cfg.ClassifyTimeout = 5 * time.Second
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	p := &Proxy{cfg: cfg, ln: ln, log: cfg.Logger.With("proxy", ln.Addr().String(), "target", cfg.Target),
		faults: map[string]Fault{}, changed: make(chan struct{}), conns: map[*pconn]struct{}{},
		accepted: map[string]int{}, done: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the address clients connect to.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target is the address connections are forwarded to.
func (p *Proxy) Target() string { return p.cfg.Target }

// Set gives link its own fault, replacing the default for it.
func (p *Proxy) Set(link string, f Fault) {
	p.mu.Lock()
	p.faults[link] = f
	p.log.Info("link fault set", "link", link, "mode", f.Mode, "latency", f.Latency)
	p.applyLocked()
	p.mu.Unlock()
}

// Clear removes link's own fault: it follows the default again.
func (p *Proxy) Clear(link string) {
	p.mu.Lock()
	delete(p.faults, link)
	p.log.Info("link fault cleared", "link", link)
	p.applyLocked()
	p.mu.Unlock()
}

// SetDefault sets the fault of every link without one of its own.
func (p *Proxy) SetDefault(f Fault) {
	p.mu.Lock()
	p.def = f
	p.log.Info("default fault set", "mode", f.Mode, "latency", f.Latency)
	p.applyLocked()
	p.mu.Unlock()
}

// Heal clears every link's fault and sets the default to Up.
func (p *Proxy) Heal() {
	p.mu.Lock()
	p.faults = map[string]Fault{}
	p.def = Fault{}
	p.log.Info("all links healed")
	p.applyLocked()
	p.mu.Unlock()
}

// Fault returns the fault in effect on link.
func (p *Proxy) Fault(link string) Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faultLocked(link)
}

// Conns returns how many connections of link are open now.
func (p *Proxy) Conns(link string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c := range p.conns {
		if c.link == link {
			n++
		}
	}
	return n
}

// Accepted returns how many connections of link the proxy has accepted
// since it started.
func (p *Proxy) Accepted(link string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted[link]
}

func (p *Proxy) faultLocked(link string) Fault {
	if f, ok := p.faults[link]; ok {
		return f
	}
	return p.def
}

// applyLocked wakes every connection waiting on a fault change and resets
// those whose link is now down.
func (p *Proxy) applyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
	for c := range p.conns {
		if p.faultLocked(c.link).Mode == Down {
			c.close()
		}
	}
}

// state returns link's fault and a channel closed at its next change.
func (p *Proxy) state(link string) (Fault, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faultLocked(link), p.changed
}

// waitPassable blocks while link is blackholed. It returns the fault in
// effect, or ok false when the link went down or the proxy is closing.
func (p *Proxy) waitPassable(link string) (Fault, bool) {
	for {
		f, changed := p.state(link)
		switch f.Mode {
		case Down:
			return f, false
		case Up:
			return f, true
		}
		select {
		case <-changed:
		case <-p.done:
			return f, false
		}
	}
}

// Close stops accepting, resets every open connection and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.done)
	err := p.ln.Close()
	for c := range p.conns {
		c.close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		nc, err := p.ln.Accept()
		if err != nil {
			select {
			case <-p.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			p.log.Warn("accept", "err", err)
			// A persistent error (out of descriptors) must not spin.
			select {
			case <-p.done:
				return
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		c := &pconn{client: nc}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			nc.Close()
			return
		}
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(c)
		}()
	}
}

// serve classifies c, waits for its link to be passable, dials the target
// and copies both ways until either side ends.
func (p *Proxy) serve(c *pconn) {
	defer func() {
		c.close()
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
	}()
	br := bufio.NewReaderSize(c.client, 64<<10)
	link := ""
	if p.cfg.Classify != nil {
		c.client.SetReadDeadline(time.Now().Add(p.cfg.ClassifyTimeout))
		link = p.cfg.Classify(br)
		c.client.SetReadDeadline(time.Time{})
	}
	p.mu.Lock()
	c.link = link
	p.accepted[link]++
	down := p.faultLocked(link).Mode == Down || p.closed
	p.mu.Unlock()
	lg := p.log.With("link", link, "remote", c.client.RemoteAddr().String())
	if down {
		lg.Debug("connection refused: link down")
		return
	}
	if _, ok := p.waitPassable(link); !ok {
		return
	}
	up, err := net.DialTimeout("tcp", p.cfg.Target, p.cfg.DialTimeout)
	if err != nil {
		lg.Debug("dial target", "err", err)
		return
	}
	if tc, ok := up.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	p.mu.Lock()
	if p.closed || p.faultLocked(link).Mode == Down {
		p.mu.Unlock()
		up.Close()
		return
	}
	c.upstream = up
	p.mu.Unlock()
	lg.Debug("connection forwarded")

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(c, up, br) }()
	go func() { defer wg.Done(); p.pipe(c, c.client, up) }()
	wg.Wait()
}

// chunk is bytes read from one side, due for delivery at due.
type chunk struct {
	b   []byte
	due time.Time
}

// pipe copies src to dst for c's link: a reader goroutine stamps each
// chunk with its delivery time (now plus the link's latency), and the
// writer delivers chunks in order once due and while the link is not
// blackholed. The end of src closes dst's write side; an error on either
// side, or the link going down, closes the whole connection.
func (p *Proxy) pipe(c *pconn, dst net.Conn, src io.Reader) {
	q := make(chan chunk, 64)
	stop := make(chan struct{})
	var rerr error
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(q)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				f, _ := p.state(c.link)
				select {
				case q <- chunk{b: buf[:n], due: time.Now().Add(f.Latency)}:
				case <-stop:
					return
				}
			}
			if err != nil {
				rerr = err
				return
			}
		}
	}()
	defer close(stop)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for ch := range q {
		if _, ok := p.waitPassable(c.link); !ok {
			c.close()
			return
		}
		if d := time.Until(ch.due); d > 0 {
			if timer == nil {
				timer = time.NewTimer(d)
			} else {
				timer.Reset(d)
			}
			select {
			case <-timer.C:
			case <-p.done:
				c.close()
				return
			}
			// The link may have changed during the delay.
			if _, ok := p.waitPassable(c.link); !ok {
				c.close()
				return
			}
		}
		if _, err := dst.Write(ch.b); err != nil {
			c.close()
			return
		}
	}
	// q is closed: the reader is done, rerr is set.
	if errors.Is(rerr, io.EOF) {
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
			return
		}
	}
	c.close()
}
