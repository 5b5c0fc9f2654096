// Package server is kafka-server's network front: listeners, connections,
// request framing and one handler per Kafka API (files named by API key,
// e.g. 00_produce.go). Handlers translate between the wire (franz-go kmsg
// types, kerr codes) and the engine packages (log, metadata, replica, group,
// config), which know nothing of the wire.
//
// Each connection handles its requests one at a time in arrival order, so
// responses leave in request order (see conn). Handlers never hold a lock
// across network I/O.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/kafkakit/kafkakit/internal/config"
	"github.com/kafkakit/kafkakit/internal/group"
	"github.com/kafkakit/kafkakit/internal/log"
	"github.com/kafkakit/kafkakit/internal/metadata"
	"github.com/kafkakit/kafkakit/internal/replica"
)

// Listener is one configured listener (listeners / advertised.listeners).
type Listener struct {
	Name             string // e.g. PLAINTEXT, CONTROLLER
	Host             string
	Port             int
	SecurityProtocol string
}

// Addr returns host:port.
func (l Listener) Addr() string { return net.JoinHostPort(l.Host, strconv.Itoa(l.Port)) }

// Server is a running broker's network front end.
type Server struct {
	cfg  Config
	log  *slog.Logger
	apis map[int16]api

	sessions *fetchSessions
	pids     producerIDs
	quotas   *quotas

	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	listeners map[string]net.Listener // by listener name
	conns     map[*conn]struct{}
	closed    bool
	wg        sync.WaitGroup // accept loops and connections
}

// Config is what the network front needs; the broker fills it from the
// config registry.
type Config struct {
	NodeID                int32
	Listeners             []Listener
	SocketRequestMaxBytes int32
	ConnectionsMaxIdle    time.Duration
	Logger                *slog.Logger

	// Meta is the cluster metadata (image and controller).
	Meta *metadata.Node
	// Replicas are the partition replicas this broker hosts.
	Replicas *replica.Manager
	// Logs are the broker's log directories.
	Logs *log.Manager
	// Groups is the group coordinator.
	Groups *group.Coordinator
	// Layers returns the broker's current config layers (static and
	// dynamic); topic overrides come from the metadata image.
	Layers func() config.Layers
	// Loggers are the broker's loggers with live levels.
	Loggers Loggers
	// Settings returns the broker configs handlers consult per request;
	// they may change at run time (dynamic configs).
	Settings func() Settings
	// DescribeTopicConfigs returns a topic's effective configs given its
	// overrides (for CreateTopics v5+); nil leaves them out.
	DescribeTopicConfigs func(topic string, overrides map[string]string) []ConfigEntry
}

// ConfigEntry is one described config value.
type ConfigEntry struct {
	Name      string
	Value     *string
	ReadOnly  bool
	Source    int8 // Kafka's ConfigSource id
	Sensitive bool
}

// Settings are broker configs the request handlers read.
type Settings struct {
	AutoCreateTopics         bool  // auto.create.topics.enable
	NumPartitions            int32 // num.partitions
	DefaultReplicationFactor int16 // default.replication.factor
	DeleteTopicEnable        bool  // delete.topic.enable

	OffsetsTopicPartitions        int32 // offsets.topic.num.partitions
	OffsetsTopicReplicationFactor int16 // offsets.topic.replication.factor
	OffsetsTopicSegmentBytes      int32 // offsets.topic.segment.bytes
}

func (s *Server) settings() Settings {
	if s.cfg.Settings == nil {
		return Settings{AutoCreateTopics: true, NumPartitions: 1, DefaultReplicationFactor: 1, DeleteTopicEnable: true,
			OffsetsTopicPartitions: 50, OffsetsTopicReplicationFactor: 1, OffsetsTopicSegmentBytes: 100 << 20}
	}
	return s.cfg.Settings()
}

// bound returns the address a listener is bound to (useful with port 0).
func (s *Server) bound(name string) (net.Addr, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.listeners[name]
	if !ok {
		return nil, false
	}
	return l.Addr(), true
}

// listen binds every client listener and starts accepting.
func (s *Server) listen() error {
	for _, l := range s.cfg.Listeners {
		ln, err := net.Listen("tcp", l.Addr())
		if err != nil {
			s.closeListeners()
			return fmt.Errorf("listen on %s (%s): %w", l.Addr(), l.Name, err)
		}
		s.mu.Lock()
		s.listeners[l.Name] = ln
		s.mu.Unlock()
		s.log.Info("listening", "listener", l.Name, "addr", ln.Addr().String())
	}
	s.mu.Lock()
	for name, ln := range s.listeners {
		s.wg.Add(1)
		go s.accept(name, ln)
	}
	s.mu.Unlock()
	return nil
}

func (s *Server) accept(name string, ln net.Listener) {
	defer s.wg.Done()
	backoff := 5 * time.Millisecond
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || s.ctx.Err() != nil {
				return
			}
			// Out of file descriptors and similar: back off instead of
			// spinning, and keep serving existing connections.
			s.log.Warn("accept failed", "listener", name, "err", err)
			select {
			case <-time.After(backoff):
			case <-s.ctx.Done():
				return
			}
			backoff = min(backoff*2, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
		}
		c := newConn(s, nc, name)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			c.serve(s.ctx)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ln := range s.listeners {
		ln.Close()
	}
}

// stopNetwork stops accepting, lets in-flight requests finish (up to
// grace), then closes every connection and waits for all goroutines.
func (s *Server) stopNetwork(grace time.Duration) {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.closeListeners()
	// Closing the read side makes each connection's reader stop after the
	// frame it is on; queued requests are still processed and answered.
	s.mu.Lock()
	for c := range s.conns {
		if tc, ok := c.nc.(*net.TCPConn); ok {
			tc.CloseRead()
		} else {
			c.nc.SetReadDeadline(time.Now())
		}
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-time.After(grace):
	}
	s.cancel()
	s.mu.Lock()
	for c := range s.conns {
		c.close()
	}
	s.mu.Unlock()
	<-done
}

// New returns a server for cfg; Start binds its listeners.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SocketRequestMaxBytes <= 0 {
		cfg.SocketRequestMaxBytes = 100 << 20
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		apis:      newAPITable(),
		sessions:  newFetchSessions(),
		quotas:    newQuotas(),
		ctx:       ctx,
		cancel:    cancel,
		listeners: make(map[string]net.Listener),
		conns:     make(map[*conn]struct{}),
	}
}

// Start binds every listener and starts accepting connections.
func (s *Server) Start() error { return s.listen() }

// Addr returns the bound address of the named listener ("" if none).
func (s *Server) Addr(listener string) string {
	a, ok := s.bound(listener)
	if !ok {
		return ""
	}
	return a.String()
}

// Close stops accepting, answers requests already received (waiting up to
// grace for them), closes every connection and waits for all goroutines.
func (s *Server) Close(grace time.Duration) {
	s.stopNetwork(grace)
	s.cancel()
}
