package metadata

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// BrokerLifecycleConfig configures a broker's lifecycle.
type BrokerLifecycleConfig struct {
	// HeartbeatInterval is broker.heartbeat.interval.ms (Kafka: 2 s); it
	// also paces registration retries. Zero means 2 s.
	HeartbeatInterval time.Duration
	// ReplaceStaleIncarnation answers DUPLICATE_BROKER_REGISTRATION by
	// fencing the registered incarnation and registering again, instead
	// of waiting for its session to expire as Kafka does. Set it only when
	// nothing else can hold this broker id: a single-node cluster whose
	// process holds the log directories' lock, restarted after kill -9.
	ReplaceStaleIncarnation bool
}

// BrokerState is what a broker's lifecycle knows of its registration.
type BrokerState struct {
	// Epoch is the current registration's broker epoch; 0 before the
	// first registration succeeded.
	Epoch int64
	// Fenced is true until the controller unfences the broker, and again
	// after it was fenced (session expiry, controlled shutdown).
	Fenced bool
	// ShutDown is set when the controller granted a controlled shutdown.
	ShutDown bool
	// Err is a registration failure that stopped the lifecycle (another
	// cluster's controller, an invalid registration).
	Err error
}

// BrokerLifecycle is the broker side of KRaft's broker registration and
// heartbeats (Kafka's BrokerLifecycleManager): it registers the broker
// with the active controller, wherever that is, retrying
// DUPLICATE_BROKER_REGISTRATION until the previous incarnation's session
// expires; it heartbeats every HeartbeatInterval with the node's applied
// metadata index, so the controller unfences it once it has caught up and
// keeps its session alive; it registers again if the controller no longer
// knows its epoch; and it asks for a controlled shutdown on request.
//
// One goroutine, started by Node.StartBrokerLifecycle and counted in the
// node's; Close, or closing the node, stops it.
type BrokerLifecycle struct {
	n      *Node
	reg    BrokerRegistration
	cfg    BrokerLifecycleConfig
	logger *slog.Logger

	mu      sync.Mutex
	state   BrokerState
	changed signal

	shutdownReq  chan struct{}
	shutdownOnce sync.Once
	ctx          context.Context
	cancel       context.CancelFunc
	done         chan struct{}
}

// StartBrokerLifecycle starts registering and heartbeating the broker
// reg describes. Its registration usually names this node's id; the
// lifecycle works the same on voters, observers and in a single node.
func (n *Node) StartBrokerLifecycle(reg BrokerRegistration, cfg BrokerLifecycleConfig) *BrokerLifecycle {
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = 2 * time.Second
	}
	l := &BrokerLifecycle{
		n: n, reg: reg, cfg: cfg, logger: n.logger.With("broker", reg.ID),
		state: BrokerState{Fenced: true}, shutdownReq: make(chan struct{}), done: make(chan struct{}),
	}
	l.ctx, l.cancel = context.WithCancel(n.ctx)
	n.wg.Add(1)
	go l.run()
	return l
}

// State returns the broker's current state.
func (l *BrokerLifecycle) State() BrokerState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

// Changed returns a channel closed at the next change of State.
func (l *BrokerLifecycle) Changed() <-chan struct{} { return l.changed.wait() }

// WaitUnfenced waits until the controller has unfenced the broker and
// this node has applied that (its image shows the registration unfenced),
// and returns the broker epoch. It fails once the lifecycle has stopped.
func (l *BrokerLifecycle) WaitUnfenced(ctx context.Context) (int64, error) {
	for {
		wake, applied := l.changed.wait(), l.n.changed.wait()
		st := l.State()
		stopped := false
		select {
		case <-l.done:
			stopped = true
		default:
		}
		switch {
		case st.Err != nil:
			return 0, st.Err
		case stopped:
			return 0, errors.New("broker lifecycle: stopped")
		case st.Epoch > 0 && !st.Fenced:
			if b := l.n.Image().Brokers[l.reg.ID]; b != nil && b.Epoch == st.Epoch && !b.Fenced {
				return st.Epoch, nil
			}
		case st.ShutDown:
			return 0, errors.New("broker lifecycle: shut down")
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("wait for broker %d to be unfenced: %w", l.reg.ID, ctx.Err())
		case <-l.done:
		case <-wake:
		case <-applied:
		}
	}
}

// ControlledShutdown asks the controller to fence the broker and move its
// leaderships away (a heartbeat with wantShutDown), and waits until it
// grants that. Heartbeats stop afterwards. It returns at once if the
// shutdown was already granted.
func (l *BrokerLifecycle) ControlledShutdown(ctx context.Context) error {
	l.shutdownOnce.Do(func() { close(l.shutdownReq) })
	for {
		wake := l.changed.wait()
		if st := l.State(); st.ShutDown {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("controlled shutdown of broker %d: %w", l.reg.ID, ctx.Err())
		case <-l.done:
			if st := l.State(); st.ShutDown {
				return nil
			}
			return fmt.Errorf("controlled shutdown of broker %d: lifecycle stopped first", l.reg.ID)
		case <-wake:
		}
	}
}

// Close stops heartbeating without a controlled shutdown (the session then
// expires on the controller) and waits for the lifecycle's goroutine.
func (l *BrokerLifecycle) Close() {
	l.cancel()
	<-l.done
}

func (l *BrokerLifecycle) update(f func(*BrokerState)) {
	l.mu.Lock()
	f(&l.state)
	l.mu.Unlock()
	l.changed.broadcast()
}

func (l *BrokerLifecycle) shuttingDown() bool {
	select {
	case <-l.shutdownReq:
		return true
	default:
		return false
	}
}

// callTimeout bounds one registration or heartbeat call.
func (l *BrokerLifecycle) callTimeout() time.Duration {
	return min(max(2*l.cfg.HeartbeatInterval, time.Second), 10*time.Second)
}

func (l *BrokerLifecycle) run() {
	defer l.n.wg.Done()
	defer close(l.done)
	defer l.changed.broadcast()
	for l.ctx.Err() == nil {
		epoch, ok := l.register()
		if !ok {
			return
		}
		if l.heartbeat(epoch) {
			return
		}
	}
}

// register registers the broker, retrying until it succeeds, fails for
// good, the lifecycle stops, or a shutdown is requested before it is
// registered (then nothing needs to move, and the shutdown is granted).
func (l *BrokerLifecycle) register() (epoch int64, ok bool) {
	for {
		if l.shuttingDown() {
			l.update(func(s *BrokerState) { s.Fenced, s.ShutDown = true, true })
			return 0, false
		}
		ctx, cancel := context.WithTimeout(l.ctx, l.callTimeout())
		epoch, err := l.n.ctrl.RegisterBroker(ctx, l.reg)
		if errors.Is(err, kerr.DuplicateBrokerRegistration) && l.cfg.ReplaceStaleIncarnation {
			l.logger.Info("fencing the previous incarnation of this broker to register again")
			if err = l.n.ctrl.FenceBroker(ctx, l.reg.ID, -1); err == nil {
				epoch, err = l.n.ctrl.RegisterBroker(ctx, l.reg)
			}
		}
		cancel()
		switch {
		case err == nil:
			l.logger.Info("broker registered", "broker_epoch", epoch)
			l.update(func(s *BrokerState) { s.Epoch, s.Fenced = epoch, true })
			return epoch, true
		case errors.Is(err, kerr.InconsistentClusterID), errors.Is(err, kerr.InvalidRegistration):
			l.logger.Error("broker registration refused", "err", err)
			l.update(func(s *BrokerState) { s.Err = fmt.Errorf("register broker %d: %w", l.reg.ID, err) })
			return 0, false
		case errors.Is(err, kerr.DuplicateBrokerRegistration):
			l.logger.Info("previous incarnation still registered; retrying until its session expires")
		case l.ctx.Err() != nil:
			return 0, false
		default:
			l.logger.Warn("broker registration failed; retrying", "err", err)
		}
		if !l.sleep(l.cfg.HeartbeatInterval, nil, true) {
			return 0, false
		}
	}
}

// heartbeat heartbeats registration epoch until the lifecycle stops (it
// returns true) or the registration is lost (false: register again).
func (l *BrokerLifecycle) heartbeat(epoch int64) (stop bool) {
	next := time.Duration(0)
	var lastApplied uint64
	sentShutdown := false
	for {
		if next > 0 {
			var early func() bool
			if l.State().Fenced && lastApplied < uint64(epoch) {
				// Heartbeat as soon as the registration has been
				// applied here, instead of a whole interval later.
				early = func() bool { return l.n.Image().Index >= uint64(epoch) }
			}
			if !l.sleep(next, early, !sentShutdown) {
				return true
			}
		}
		shutdown := l.shuttingDown()
		lastApplied = l.n.Image().Index
		hb := BrokerHeartbeat{BrokerID: l.reg.ID, BrokerEpoch: epoch, AppliedIndex: lastApplied, WantShutDown: shutdown}
		ctx, cancel := context.WithTimeout(l.ctx, l.callTimeout())
		reply, err := l.n.ctrl.BrokerHeartbeat(ctx, hb)
		cancel()
		sentShutdown = shutdown
		next = l.cfg.HeartbeatInterval
		switch {
		case err == nil:
			if reply.ShouldShutDown {
				l.logger.Info("controlled shutdown granted")
				l.update(func(s *BrokerState) { s.Fenced, s.ShutDown = true, true })
				return true
			}
			if st := l.State(); st.Fenced != reply.IsFenced {
				l.logger.Info("broker fencing changed", "fenced", reply.IsFenced, "broker_epoch", epoch)
				l.update(func(s *BrokerState) { s.Fenced = reply.IsFenced })
			}
		case errors.Is(err, kerr.StaleBrokerEpoch), errors.Is(err, kerr.BrokerIDNotRegistered):
			if shutdown {
				// Nothing of this registration is left to move.
				l.update(func(s *BrokerState) { s.Fenced, s.ShutDown = true, true })
				return true
			}
			l.logger.Warn("controller no longer knows this broker epoch; registering again", "broker_epoch", epoch, "err", err)
			l.update(func(s *BrokerState) { s.Fenced = true })
			return false
		case l.ctx.Err() != nil:
			return true
		default:
			l.logger.Debug("broker heartbeat failed", "err", err)
			next = min(next, 100*time.Millisecond)
		}
	}
}

// sleep waits for d and reports whether the lifecycle is still running. It
// returns early on a shutdown request (when wakeOnShutdown) and when early
// reports true, which it checks after every metadata change.
func (l *BrokerLifecycle) sleep(d time.Duration, early func() bool, wakeOnShutdown bool) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	var shutdown <-chan struct{}
	if wakeOnShutdown {
		shutdown = l.shutdownReq
	}
	for {
		var changed <-chan struct{}
		if early != nil {
			changed = l.n.changed.wait()
			if early() {
				return true
			}
		}
		select {
		case <-l.ctx.Done():
			return false
		case <-timer.C:
			return true
		case <-shutdown:
			return true
		case <-changed:
		}
	}
}
