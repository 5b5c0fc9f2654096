package metadata

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"github.com/twmb/franz-go/pkg/kerr"
	"go.etcd.io/bbolt"
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
	// Voters maps the id of every controller to its raft address
	// (host:port). Empty, or holding only NodeID, runs a single-node
	// quorum. It is used once, to bootstrap a fresh directory; afterwards
	// the membership recorded in the log wins.
	Voters map[int32]string
	// BindAddr is the address the raft transport listens on when Listener
	// is nil. A single-node quorum with neither uses an in-memory
	// transport and opens no port.
	BindAddr string
	// Listener, if set, is the raft transport's listener; the node owns and
	// closes it. Tests pass a 127.0.0.1:0 listener to avoid port races.
	Listener net.Listener
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
// wake-ups, and one that activates the controller after each election.
// Close stops them all.
type Node struct {
	cfg    Config
	logger *slog.Logger

	raft   *raft.Raft
	fsm    *fsm
	store  *raftboltdb.BoltStore
	trans  raft.Transport
	ctrl   *Controller
	obs    *raft.Observer
	obsCh  chan raft.Observation
	stop   chan struct{}
	wg     sync.WaitGroup
	closed sync.Once

	changed signal
	// activeTerm is the raft term in which this node, as leader, applied
	// its activation entry; the controller serves only in that term.
	activeTerm atomic.Uint64
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
	single := len(cfg.Voters) == 0 || (len(cfg.Voters) == 1 && cfg.Voters[cfg.NodeID] != "")
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
	if len(cfg.Voters) > 0 && cfg.Voters[cfg.NodeID] == "" {
		return nil, fmt.Errorf("open metadata: node %d is not among the voters", cfg.NodeID)
	}
	dir := filepath.Join(cfg.Dir, LogDirName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open metadata: %w", err)
	}

	n := &Node{cfg: cfg, logger: cfg.Logger.With("node", cfg.NodeID), stop: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			if n.trans == nil && cfg.Listener != nil {
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

	self := raft.ServerID(strconv.Itoa(int(cfg.NodeID)))
	addr := raft.ServerAddress(cfg.Voters[cfg.NodeID])
	if single && cfg.Listener == nil && cfg.BindAddr == "" {
		if addr == "" {
			addr = raft.ServerAddress("metadata-node-" + string(self))
		}
		_, n.trans = raft.NewInmemTransport(addr)
	} else {
		ln := cfg.Listener
		if ln == nil {
			if ln, err = net.Listen("tcp", cfg.BindAddr); err != nil {
				return nil, fmt.Errorf("open metadata transport: %w", err)
			}
		}
		if addr == "" {
			addr = raft.ServerAddress(ln.Addr().String())
		}
		n.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
			Stream:  &tcpStreamLayer{ln: ln, advertise: addr},
			MaxPool: 3,
			Timeout: 2 * time.Second,
			Logger:  hlog.Named("transport"),
		})
	}

	rc := raft.DefaultConfig()
	rc.LocalID = self
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
	marker, err := readBootstrapMarker(dir)
	if err != nil {
		return nil, fmt.Errorf("open metadata: %w", err)
	}
	switch {
	case marker != "" && marker != cfg.ClusterID:
		return nil, fmt.Errorf("open metadata: %w", newError(kerr.InconsistentClusterID,
			"the metadata log in %s belongs to cluster %s, not %s", dir, marker, cfg.ClusterID))
	case marker != "" && !existing:
		// Bootstrapping again would silently start an empty cluster.
		return nil, fmt.Errorf("open metadata: the metadata log in %s was bootstrapped but its log store holds no state; refusing to bootstrap it again", dir)
	}
	if !existing {
		voters := raft.Configuration{}
		if len(cfg.Voters) == 0 {
			voters.Servers = []raft.Server{{Suffrage: raft.Voter, ID: self, Address: addr}}
		}
		for id, a := range cfg.Voters {
			voters.Servers = append(voters.Servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(strconv.Itoa(int(id))), Address: raft.ServerAddress(a)})
		}
		if err := raft.BootstrapCluster(rc, logs, n.store, snaps, n.trans, voters); err != nil {
			return nil, fmt.Errorf("open metadata: bootstrap: %w", err)
		}
		n.logger.Info("metadata log bootstrapped", "dir", dir, "voters", len(voters.Servers))
	}
	if marker == "" {
		if err := writeBootstrapMarker(dir, cfg.ClusterID); err != nil {
			return nil, fmt.Errorf("open metadata: %w", err)
		}
	}

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
	ok = true
	return n, nil
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
	if c, ok := n.trans.(interface{ Close() error }); ok {
		if err := c.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close raft transport: %w", err))
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

// Controller returns the node's controller. Its operations fail with
// NOT_CONTROLLER unless this node is the active controller.
func (n *Node) Controller() *Controller { return n.ctrl }

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

// tcpStreamLayer is raft's TCP stream layer over a listener we own, so the
// address is known before raft starts and TLS can wrap it later.
type tcpStreamLayer struct {
	ln        net.Listener
	advertise raft.ServerAddress
}

func (s *tcpStreamLayer) Accept() (net.Conn, error) { return s.ln.Accept() }
func (s *tcpStreamLayer) Close() error              { return s.ln.Close() }
func (s *tcpStreamLayer) Addr() net.Addr            { return streamAddr(s.advertise) }

func (s *tcpStreamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	return d.Dial("tcp", string(address))
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
