package metadata

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"github.com/twmb/franz-go/pkg/kerr"
	"go.etcd.io/bbolt"

	"github.com/kafkakit/kafkakit/internal/controllerrpc"
)

// LogDirName is the directory under Config.Dir that holds everything of the
// metadata log: the bolt log store (raft.db) and snapshots/. Partition log
// loaders skip it.
const LogDirName = "__cluster_metadata-0"

// Config configures a metadata node.
type Config struct {
	// NodeID is this node's id; its raft server id is the decimal form.
	NodeID int32
	// Dir is the metadata log directory (metadata.log.dir, else the first
	// log dir); the node keeps everything under Dir/__cluster_metadata-0/.
	Dir string
	// ClusterID is the cluster's id. The first controller writes it into the
	// log; a node whose log holds another id fails WaitReady.
	ClusterID string
	// Voters maps the id of every controller to its CONTROLLER listener
	// address (host:port), as controller.quorum.voters lists them. Empty,
	// or holding only NodeID, runs a single-node quorum. A node among the
	// voters bootstraps a fresh directory with exactly this set (every
	// voter writes the same configuration, so no format step is needed);
	// afterwards the membership recorded in the log wins. A node not among
	// them is an observer (process.roles=broker): it follows the log
	// without voting and reaches the controller through these addresses.
	Voters map[int32]string
	// BindAddr is the address the CONTROLLER listener binds when Listener
	// is nil. A single-node quorum with neither uses an in-memory
	// transport and opens no port; an observer needs one of them (a
	// broker-only node may bind port 0 on its first listener's host).
	BindAddr string
	// Listener, if set, is the CONTROLLER listener; the node owns and
	// closes it. Raft and the controller RPC share it (see package
	// controllerrpc). Tests pass a 127.0.0.1:0 listener to avoid port
	// races.
	Listener net.Listener
	// Bootstrap lists CONTROLLER addresses (host:port) an observer asks
	// for the active controller while it knows no leader, as Kafka's
	// controller.quorum.bootstrap.servers; it adds to the Voters
	// addresses. A node with Bootstrap and without Voters is an observer:
	// a quorum always forms from a static voter set here.
	Bootstrap []string
	// AdvertisedHost is the host an observer tells the controller to reach
	// its raft transport at, with the listener's bound port; empty uses
	// the listener's own address. Voters are reached at their Voters
	// address.
	AdvertisedHost string
	// Logger receives the node's and raft's logs; nil discards them.
	Logger *slog.Logger

	// Raft timing. Zero values take defaults for loopback: a single voter
	// elects itself after 10-20 ms; several voters use 200 ms heartbeat
	// and election timeouts and a 100 ms leader lease.
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	CommitTimeout      time.Duration
	// ApplyTimeout bounds Propose when its context has no deadline
	// (default 10 s).
	ApplyTimeout time.Duration
	// Snapshot policy; zero values take raft's defaults (a snapshot every
	// 8192 entries, checked every 120 s, 10240 entries kept after it).
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	TrailingLogs      uint64

	// Controller configures the controller operations of this node.
	Controller ControllerConfig
}

// Node is one member of the metadata quorum: a raft node with the metadata
// state machine, plus the controller that runs while this node is the raft
// leader.
//
// Goroutines: raft's own, one that turns raft observations into readiness
// wake-ups, one that activates the controller after each election, the
// CONTROLLER listener's router and RPC server (TCP only), the broker
// session checker (voters), the background elections (voters, when
// configured), the join loop (observers) and any broker lifecycles started
// on the node. Close stops them all.
type Node struct {
	cfg    Config
	logger *slog.Logger

	raft  *raft.Raft
	fsm   *fsm
	store *raftboltdb.BoltStore
	trans raft.Transport
	ctrl  *Controller
	// self is this node's raft server id and addr its advertised raft
	// address; voter is false for an observer.
	self  raft.ServerID
	addr  raft.ServerAddress
	voter bool
	// mux, rpcServer and rpc exist when the node runs on a TCP listener:
	// the listener's router, the controller RPC server on it, and the
	// client this node forwards controller calls with.
	mux       *controllerrpc.Mux
	rpcServer *controllerrpc.Server
	rpc       *controllerrpc.Client
	obs       *raft.Observer
	obsCh     chan raft.Observation
	stop      chan struct{}
	// ctx is cancelled when stop closes; the node's own goroutines derive
	// their calls' contexts from it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed sync.Once

	changed signal
	// activeTerm is the raft term in which this node, as leader, applied
	// its activation entry; the controller serves only in that term.
	// activeSince is when (Unix nanoseconds).
	activeTerm  atomic.Uint64
	activeSince atomic.Int64
	// refusedTerm is the raft term in which this node, as leader, found
	// that the log belongs to another cluster and refused to serve.
	refusedTerm atomic.Uint64
}

// signal is a broadcast: wait returns a channel closed by the next
// broadcast.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *signal) broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
	}
	s.ch = make(chan struct{})
}

func (c *Config) withDefaults() (Config, bool) {
	cfg := *c
	single := len(cfg.Voters) == 0 && len(cfg.Bootstrap) == 0 || (len(cfg.Voters) == 1 && cfg.Voters[cfg.NodeID] != "")
	if single {
		// A lone voter has nobody to hear from: the heartbeat timeout only
		// delays its first self-election, and its lease always holds.
		setDefault(&cfg.HeartbeatTimeout, 10*time.Millisecond)
		setDefault(&cfg.ElectionTimeout, 10*time.Millisecond)
		setDefault(&cfg.LeaderLeaseTimeout, 10*time.Millisecond)
		setDefault(&cfg.CommitTimeout, 5*time.Millisecond)
	} else {
		setDefault(&cfg.HeartbeatTimeout, 200*time.Millisecond)
		setDefault(&cfg.ElectionTimeout, 200*time.Millisecond)
		setDefault(&cfg.LeaderLeaseTimeout, 100*time.Millisecond)
		setDefault(&cfg.CommitTimeout, 10*time.Millisecond)
	}
	setDefault(&cfg.ApplyTimeout, 10*time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg, single
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d == 0 {
		*d = v
	}
}

// Open opens (or creates) the metadata log in cfg.Dir and starts the raft
// node. A fresh directory is bootstrapped with cfg.Voters exactly once; an
// existing one restores its latest snapshot and replays the log after it.
// Open returns before an election; use WaitReady.
func Open(cfg Config) (*Node, error) {
	cfg, single := cfg.withDefaults()
	if cfg.NodeID < 0 {
		return nil, fmt.Errorf("open metadata: invalid node id %d", cfg.NodeID)
	}
	if cfg.Dir == "" {
		return nil, errors.New("open metadata: no directory")
	}
	if cfg.ClusterID == "" {
		return nil, errors.New("open metadata: no cluster id")
	}
	voter := len(cfg.Voters) == 0 && len(cfg.Bootstrap) == 0 || cfg.Voters[cfg.NodeID] != ""
	if !voter && cfg.Listener == nil && cfg.BindAddr == "" {
		return nil, fmt.Errorf("open metadata: node %d is not among the voters and has no listener to follow the metadata log on", cfg.NodeID)
	}
	for id, a := range cfg.Voters {
		if _, _, err := net.SplitHostPort(a); id < 0 || err != nil {
			return nil, fmt.Errorf("open metadata: invalid voter %d@%s", id, a)
		}
	}
	for _, a := range cfg.Bootstrap {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return nil, fmt.Errorf("open metadata: invalid bootstrap controller %q: %w", a, err)
		}
	}
	dir := filepath.Join(cfg.Dir, LogDirName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open metadata: %w", err)
	}

	n := &Node{cfg: cfg, logger: cfg.Logger.With("node", cfg.NodeID), stop: make(chan struct{}), voter: voter}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	ok := false
	defer func() {
		if !ok {
			if n.mux == nil && cfg.Listener != nil {
				cfg.Listener.Close()
			}
			n.closeResources()
		}
	}()
	n.fsm = newFSM(n.logger, n.changed.broadcast)
	hlog := newHCLogAdapter(n.logger, "raft")

	var err error
	n.store, err = raftboltdb.New(raftboltdb.Options{
		Path: filepath.Join(dir, "raft.db"),
		// Fail instead of waiting forever when another process holds the
		// store's file lock.
		BoltOptions: &bbolt.Options{Timeout: time.Second},
	})
	if err != nil {
		return nil, fmt.Errorf("open metadata log store %s: %w", dir, err)
	}
	logs, err := raft.NewLogCache(512, n.store)
	if err != nil {
		return nil, fmt.Errorf("open metadata log cache: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, hlog.Named("snapshots"))
	if err != nil {
		return nil, fmt.Errorf("open metadata snapshots: %w", err)
	}

	n.self = raft.ServerID(strconv.Itoa(int(cfg.NodeID)))
	n.addr = raft.ServerAddress(cfg.Voters[cfg.NodeID])
	var rpcLn net.Listener
	if single && cfg.Listener == nil && cfg.BindAddr == "" {
		if n.addr == "" {
			n.addr = raft.ServerAddress("metadata-node-" + string(n.self))
		}
		_, n.trans = raft.NewInmemTransport(n.addr)
	} else {
		ln := cfg.Listener
		if ln == nil {
			if ln, err = net.Listen("tcp", cfg.BindAddr); err != nil {
				return nil, fmt.Errorf("open metadata transport: %w", err)
			}
		}
		n.mux = controllerrpc.NewMux(ln, n.logger.With("component", "controller-listener"), 0)
		raftLn, err := n.mux.Listen(controllerrpc.MarkerRaft)
		if err != nil {
			return nil, fmt.Errorf("open metadata transport: %w", err)
		}
		if rpcLn, err = n.mux.Listen(controllerrpc.MarkerRPC); err != nil {
			return nil, fmt.Errorf("open metadata transport: %w", err)
		}
		if n.addr == "" {
			n.addr = raft.ServerAddress(advertisedAddr(ln.Addr(), cfg.AdvertisedHost))
		}
		n.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
			Stream:  &muxStreamLayer{ln: raftLn, advertise: n.addr, clusterID: cfg.ClusterID, logger: n.logger},
			MaxPool: 3,
			// One RPC in flight: no pipelined replication. The metadata
			// log is small and gains nothing from it, and raft 1.8's
			// pipeline can deadlock when a follower rejects an append,
			// stopping replication to it and hanging Shutdown.
			MaxRPCsInFlight: 1,
			Timeout:         2 * time.Second,
			Logger:          hlog.Named("transport"),
		})
		n.rpc = controllerrpc.NewClient(controllerrpc.ClientOptions{Cluster: cfg.ClusterID})
		n.mux.Start()
	}

	rc := raft.DefaultConfig()
	rc.LocalID = n.self
	rc.Logger = hlog
	rc.HeartbeatTimeout = cfg.HeartbeatTimeout
	rc.ElectionTimeout = cfg.ElectionTimeout
	rc.LeaderLeaseTimeout = cfg.LeaderLeaseTimeout
	rc.CommitTimeout = cfg.CommitTimeout
	if cfg.SnapshotThreshold > 0 {
		rc.SnapshotThreshold = cfg.SnapshotThreshold
	}
	if cfg.SnapshotInterval > 0 {
		rc.SnapshotInterval = cfg.SnapshotInterval
	}
	if cfg.TrailingLogs > 0 {
		rc.TrailingLogs = cfg.TrailingLogs
	}
	if err := raft.ValidateConfig(rc); err != nil {
		return nil, fmt.Errorf("open metadata: raft config: %w", err)
	}

	existing, err := raft.HasExistingState(logs, n.store, snaps)
	if err != nil {
		return nil, fmt.Errorf("open metadata: inspect %s: %w", dir, err)
	}
	if voter {
		if err := n.bootstrapOnce(dir, existing, rc, logs, snaps); err != nil {
			return nil, err
		}
	}
	// An observer never bootstraps: it starts empty and the active
	// controller adds it to the quorum as a non-voter, after which raft
	// sends it a snapshot and the log.

	n.raft, err = newRaft(rc, n.fsm, logs, n.store, snaps, n.trans)
	if err != nil {
		return nil, fmt.Errorf("open metadata: %w", err)
	}
	n.ctrl = newController(n, cfg.Controller)

	n.obsCh = make(chan raft.Observation, 16)
	n.obs = raft.NewObserver(n.obsCh, false, nil)
	n.raft.RegisterObserver(n.obs)
	n.wg.Add(2)
	go n.watchObservations()
	go n.activateOnLeadership()
	if rpcLn != nil {
		n.rpcServer = controllerrpc.NewServer(controllerrpc.ServerOptions{
			Handler:   n.ctrl.serveRPC,
			ErrorCode: errorToWire,
			Cluster:   cfg.ClusterID,
			Logger:    n.logger.With("component", "controller-rpc"),
		})
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			if err := n.rpcServer.Serve(rpcLn); err != nil {
				n.logger.Error("controller rpc server stopped", "err", err)
			}
		}()
	}
	if voter && cfg.Controller.BrokerSessionTimeout > 0 {
		n.wg.Add(1)
		go n.ctrl.expireSessions(n.stop)
	}
	if voter && (cfg.Controller.LeaderImbalanceCheckInterval > 0 || cfg.Controller.UncleanLeaderElection != nil) {
		n.wg.Add(1)
		go n.ctrl.runElections(n.stop)
	}
	if !voter {
		n.wg.Add(1)
		go n.joinAsObserver()
	}
	ok = true
	return n, nil
}

// bootstrapOnce bootstraps a voter's fresh directory with the configured
// voter set, sorted by id so that every voter writes byte-identical
// configurations, and guards against bootstrapping a directory twice.
func (n *Node) bootstrapOnce(dir string, existing bool, rc *raft.Config, logs raft.LogStore, snaps raft.SnapshotStore) error {
	cfg := n.cfg
	marker, err := readBootstrapMarker(dir)
	if err != nil {
		return fmt.Errorf("open metadata: %w", err)
	}
	switch {
	case marker != "" && marker != cfg.ClusterID:
		return fmt.Errorf("open metadata: %w", newError(kerr.InconsistentClusterID,
			"the metadata log in %s belongs to cluster %s, not %s", dir, marker, cfg.ClusterID))
	case marker != "" && !existing:
		// Bootstrapping again would silently start an empty cluster.
		return fmt.Errorf("open metadata: the metadata log in %s was bootstrapped but its log store holds no state; refusing to bootstrap it again", dir)
	}
	if !existing {
		voters := raft.Configuration{}
		if len(cfg.Voters) == 0 {
			voters.Servers = []raft.Server{{Suffrage: raft.Voter, ID: n.self, Address: n.addr}}
		}
		for _, id := range sortedVoterIDs(cfg.Voters) {
			voters.Servers = append(voters.Servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(strconv.Itoa(int(id))), Address: raft.ServerAddress(cfg.Voters[id])})
		}
		if err := raft.BootstrapCluster(rc, logs, n.store, snaps, n.trans, voters); err != nil {
			return fmt.Errorf("open metadata: bootstrap: %w", err)
		}
		n.logger.Info("metadata log bootstrapped", "dir", dir, "voters", len(voters.Servers))
	}
	if marker == "" {
		if err := writeBootstrapMarker(dir, cfg.ClusterID); err != nil {
			return fmt.Errorf("open metadata: %w", err)
		}
	}
	return nil
}

func sortedVoterIDs(voters map[int32]string) []int32 {
	ids := make([]int32, 0, len(voters))
	for id := range voters {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// advertisedAddr is the listener's address with host replacing its host
// when set.
func advertisedAddr(a net.Addr, host string) string {
	if host == "" {
		return a.String()
	}
	_, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return net.JoinHostPort(host, port)
}

// newRaft starts raft, turning a panic while it reads a damaged log into an
// error so that a corrupt metadata log fails Open instead of the process.
func newRaft(rc *raft.Config, f raft.FSM, logs raft.LogStore, stable raft.StableStore, snaps raft.SnapshotStore, trans raft.Transport) (r *raft.Raft, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("start raft: %v", p)
		}
	}()
	r, err = raft.NewRaft(rc, f, logs, stable, snaps, trans)
	if err != nil {
		return nil, fmt.Errorf("start raft: %w", err)
	}
	return r, nil
}

func (n *Node) watchObservations() {
	defer n.wg.Done()
	for {
		select {
		case <-n.stop:
			return
		case <-n.obsCh:
			n.changed.broadcast()
		}
	}
}

// activateOnLeadership writes the activation entry each time this node wins
// an election: the cluster id (a no-op after the first time) and a NoOp.
// Once it has applied, every entry of earlier terms has been applied here
// too, so the controller decides on a complete image (KRaft's new active
// controller likewise waits for its own first batch to commit).
func (n *Node) activateOnLeadership() {
	defer n.wg.Done()
	for {
		select {
		case <-n.stop:
			return
		case leader := <-n.raft.LeaderCh():
			n.changed.broadcast()
			if leader {
				n.activate()
			}
		}
	}
}

func (n *Node) activate() {
	retry := time.NewTimer(0)
	defer retry.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-retry.C:
		}
		if n.raft.State() != raft.Leader {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), n.cfg.ApplyTimeout)
		res, err := n.propose(ctx, ClusterIDRecord{ClusterID: n.cfg.ClusterID}, NoOpRecord{})
		cancel()
		if err == nil {
			n.activeSince.Store(time.Now().UnixNano())
			n.activeTerm.Store(res.Term)
			n.changed.broadcast()
			n.logger.Info("metadata controller active", "term", res.Term, "index", res.Index)
			return
		}
		if errors.Is(err, kerr.InconsistentClusterID) {
			n.refusedTerm.Store(n.raft.CurrentTerm())
			n.changed.broadcast()
			n.logger.Error("metadata controller not activated", "err", err)
			return
		}
		n.logger.Warn("metadata controller activation failed; retrying", "err", err)
		retry.Reset(50 * time.Millisecond)
	}
}

// Close shuts raft down and releases the log store, snapshots and transport.
// It is safe to call more than once.
func (n *Node) Close() error {
	var err error
	n.closed.Do(func() { err = n.closeResources() })
	return err
}

func (n *Node) closeResources() error {
	var errs []error
	select {
	case <-n.stop:
	default:
		close(n.stop)
		n.cancel()
	}
	// No leadership transfer first: raft 1.8's transfer can wait forever
	// when leadership is lost meanwhile (hashicorp/raft#696), and the
	// other voters elect a new leader within an election timeout anyway.
	if n.rpcServer != nil {
		n.rpcServer.Close()
	}
	if n.raft != nil {
		if err := n.raft.Shutdown().Error(); err != nil {
			errs = append(errs, fmt.Errorf("shut down raft: %w", err))
		}
		if n.obs != nil {
			n.raft.DeregisterObserver(n.obs)
		}
	}
	n.wg.Wait()
	if n.rpc != nil {
		n.rpc.Close()
	}
	if c, ok := n.trans.(interface{ Close() error }); ok {
		if err := c.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close raft transport: %w", err))
		}
	}
	if n.mux != nil {
		if err := n.mux.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close controller listener: %w", err))
		}
	}
	if n.store != nil {
		if err := n.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close metadata log store: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Image returns the current image. It never returns nil and never blocks.
func (n *Node) Image() *Image { return n.fsm.cur.Load() }

// Subscribe registers fn to run after every applied entry and snapshot
// restore, with the image before and after. It returns the image current at
// registration, so the caller sees every change after it exactly once, and
// a function that unregisters fn.
//
// fn runs on the raft apply goroutine, in log order, with no other
// subscriber running. It must be quick (it delays every later entry) and
// must not call Propose or a controller operation synchronously: those wait
// for the apply goroutine, which is waiting for fn.
func (n *Node) Subscribe(fn func(prev, next *Image)) (current *Image, cancel func()) {
	return n.fsm.subscribe(fn)
}

// Controller returns the node's controller. Its operations run on the
// active controller wherever that is: here, or forwarded over the
// controller RPC (see Controller).
func (n *Node) Controller() *Controller { return n.ctrl }

// IsVoter reports whether this node votes in the metadata quorum; an
// observer (a broker-only node) follows the log without voting.
func (n *Node) IsVoter() bool { return n.voter }

// Addr returns the address other nodes reach this node's raft transport
// and controller RPC at: its CONTROLLER listener's, for a voter the one
// in Config.Voters. A node on the in-memory transport returns a name no
// other node can dial.
func (n *Node) Addr() string { return string(n.addr) }

// Leader returns the node id of the current raft leader, if one is known.
func (n *Node) Leader() (int32, bool) {
	_, id := n.raft.LeaderWithID()
	if id == "" {
		return 0, false
	}
	v, err := strconv.ParseInt(string(id), 10, 32)
	if err != nil {
		return 0, false
	}
	return int32(v), true
}

// IsController reports whether this node is the active controller: the
// raft leader, with its activation entry applied in the current term.
func (n *Node) IsController() bool {
	return n.raft.State() == raft.Leader && n.activeTerm.Load() == n.raft.CurrentTerm()
}

// WaitReady waits until a leader is known and this node has applied an
// entry written in the leader's term: on the leader that is its activation
// entry, on a follower proof that it has caught up with everything
// committed before the election. It then checks the cluster id.
func (n *Node) WaitReady(ctx context.Context) error {
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		wake := n.changed.wait()
		if n.raft.State() == raft.Leader && n.refusedTerm.Load() == n.raft.CurrentTerm() || n.ready() {
			img := n.Image()
			if img.ClusterID != n.cfg.ClusterID {
				return newError(kerr.InconsistentClusterID, "Expected cluster ID %s, but got cluster ID %s", img.ClusterID, n.cfg.ClusterID)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for metadata: %w", ctx.Err())
		case <-n.stop:
			return errors.New("wait for metadata: node closed")
		case <-wake:
		case <-tick.C:
		}
	}
}

func (n *Node) ready() bool {
	if _, id := n.raft.LeaderWithID(); id == "" {
		return false
	}
	if n.raft.State() == raft.Leader {
		return n.IsController()
	}
	return n.fsm.lastTerm.Load() == n.raft.CurrentTerm()
}

// Propose appends records to the metadata log as one entry and waits until
// it is applied here. It fails with NOT_CONTROLLER on a node that is not the
// raft leader, and returns the state machine's *Error if the entry was
// rejected (for example a TopicRecord for a name that already exists).
//
// A context expiry or NOT_CONTROLLER after the entry was handed to raft is
// ambiguous: the entry may still commit. Records are written so that a
// retry after such an error cannot apply a change twice.
func (n *Node) Propose(ctx context.Context, records ...Record) (index uint64, err error) {
	res, err := n.propose(ctx, records...)
	return res.Index, err
}

func (n *Node) propose(ctx context.Context, records ...Record) (applied, error) {
	if n.raft.State() != raft.Leader {
		return applied{}, ErrNotController
	}
	data, err := EncodeEntry(records...)
	if err != nil {
		return applied{}, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.cfg.ApplyTimeout)
		defer cancel()
	}
	dl, _ := ctx.Deadline()
	timeout := time.Until(dl)
	if timeout <= 0 {
		return applied{}, newError(kerr.RequestTimedOut, "%v", context.DeadlineExceeded)
	}
	f := n.raft.Apply(data, timeout)
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case <-ctx.Done():
		return applied{}, newError(kerr.RequestTimedOut, "metadata change not confirmed in time; it may still apply: %v", ctx.Err())
	case err = <-done:
	}
	switch {
	case err == nil:
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return applied{}, newError(kerr.RequestTimedOut, "metadata change not accepted in time: %v", err)
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrRaftShutdown), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return applied{}, ErrNotController
	case errors.Is(err, raft.ErrLeadershipLost):
		return applied{}, newError(kerr.NotController, "controller leadership lost; the change may still apply")
	default:
		return applied{}, fmt.Errorf("propose metadata change: %w", err)
	}
	switch r := f.Response().(type) {
	case applied:
		return r, nil
	case error:
		return applied{}, r
	default:
		return applied{}, fmt.Errorf("propose metadata change: unexpected apply result %T", r)
	}
}

// Snapshot makes raft snapshot the metadata state now and compact its log.
func (n *Node) Snapshot() error {
	if err := n.raft.Snapshot().Error(); err != nil {
		return fmt.Errorf("snapshot metadata: %w", err)
	}
	return nil
}

// muxStreamLayer is raft's stream layer on the CONTROLLER listener: it
// accepts the connections the Mux routes to raft and marks the ones it
// dials, so raft and the controller RPC share one port. After the marker
// every raft connection carries the cluster id (2-byte big-endian length,
// then the id), and a node drops raft connections from another cluster, as
// KRaft's quorum RPCs refuse a foreign ClusterId: a voter address that now
// belongs to another cluster's node must not move either cluster's terms.
type muxStreamLayer struct {
	ln        net.Listener
	advertise raft.ServerAddress
	clusterID string
	logger    *slog.Logger
}

func (s *muxStreamLayer) Accept() (net.Conn, error) {
	c, err := s.ln.Accept()
	if err != nil {
		return nil, err
	}
	return &clusterConn{Conn: c, want: s.clusterID, logger: s.logger}, nil
}

func (s *muxStreamLayer) Close() error   { return s.ln.Close() }
func (s *muxStreamLayer) Addr() net.Addr { return streamAddr(s.advertise) }

func (s *muxStreamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	c, err := controllerrpc.DialMarked(string(address), controllerrpc.MarkerRaft, timeout)
	if err != nil {
		return nil, err
	}
	hdr, err := clusterHeader(s.clusterID)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("dial %s: %w", address, err)
	}
	c.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := c.Write(hdr); err != nil {
		c.Close()
		return nil, fmt.Errorf("dial %s: %w", address, err)
	}
	c.SetWriteDeadline(time.Time{})
	return c, nil
}

// clusterConn checks an accepted raft connection's cluster id on its first
// read, under raft's own read deadline, so that a slow peer never stalls
// the accept loop.
type clusterConn struct {
	net.Conn
	want    string
	logger  *slog.Logger
	checked bool
}

func (c *clusterConn) Read(p []byte) (int, error) {
	if !c.checked {
		id, err := readClusterHeader(c.Conn)
		if err != nil {
			return 0, err
		}
		if id != c.want {
			c.logger.Warn("raft connection from another cluster dropped", "remote", c.RemoteAddr().String(), "cluster_id", string(id))
			return 0, fmt.Errorf("raft connection from cluster %q, not %q", id, c.want)
		}
		c.checked = true
	}
	return c.Conn.Read(p)
}

// clusterHeader encodes the cluster id header of a raft connection.
func clusterHeader(clusterID string) ([]byte, error) {
	if len(clusterID) > math.MaxUint16 {
		return nil, fmt.Errorf("cluster id of %d bytes is too long", len(clusterID))
	}
	hdr := make([]byte, 2+len(clusterID))
	binary.BigEndian.PutUint16(hdr, uint16(len(clusterID)))
	copy(hdr[2:], clusterID)
	return hdr, nil
}

// readClusterHeader reads what clusterHeader wrote.
func readClusterHeader(r io.Reader) (string, error) {
	var n [2]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return "", fmt.Errorf("read raft connection header: %w", err)
	}
	id := make([]byte, binary.BigEndian.Uint16(n[:]))
	if _, err := io.ReadFull(r, id); err != nil {
		return "", fmt.Errorf("read raft connection header: %w", err)
	}
	return string(id), nil
}

// streamAddr is a net.Addr whose String is the advertised raft address.
type streamAddr string

func (a streamAddr) Network() string { return "tcp" }
func (a streamAddr) String() string  { return string(a) }

// bootstrapMarker is the file, next to the log store, that records that the
// directory was bootstrapped and for which cluster. A log store that lost
// its contents is then an error rather than a reason to bootstrap a new,
// empty cluster.
const bootstrapMarker = "bootstrapped.properties"

func readBootstrapMarker(dir string) (clusterID string, err error) {
	b, err := os.ReadFile(filepath.Join(dir, bootstrapMarker))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read bootstrap marker: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "cluster.id="); ok && v != "" {
			return v, nil
		}
	}
	return "", fmt.Errorf("read bootstrap marker %s: no cluster.id", filepath.Join(dir, bootstrapMarker))
}

// writeBootstrapMarker writes the marker atomically: a temporary file,
// synced, renamed into place, then the directory synced.
func writeBootstrapMarker(dir, clusterID string) error {
	tmp := filepath.Join(dir, bootstrapMarker+".tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("write bootstrap marker: %w", err)
	}
	_, err = f.WriteString("cluster.id=" + clusterID + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, bootstrapMarker))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write bootstrap marker: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("write bootstrap marker: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("write bootstrap marker: sync %s: %w", dir, err)
	}
	return nil
}
