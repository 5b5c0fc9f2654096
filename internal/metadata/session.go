package metadata

import (
	"context"
	"sync"
	"time"
)

// Broker sessions, as KRaft's BrokerHeartbeatManager keeps them.
//
// Every registered broker heartbeats the active controller
// (BrokerHeartbeat, every broker.heartbeat.interval.ms). The controller
// keeps the time of each broker's last heartbeat in memory only, never in
// the log: it is a local observation, and applying the log must not depend
// on clocks. A session belongs to one broker epoch and one controller
// term: when a node becomes the active controller, every registered broker
// starts a fresh session, so a failover never fences a broker for the
// silence it spent talking to the old controller.
//
// With ControllerConfig.BrokerSessionTimeout set, a checker goroutine on
// each voter fences every unfenced broker whose session is older than the
// timeout, moving its leaderships and ISR memberships away in the same
// entry (fenceLocked). A fenced broker is unfenced again by its next
// heartbeat once it has caught up (BrokerHeartbeat).
//
// Lock order: Controller.turn, then sessions.mu. sessions.mu is never
// held across a proposal.

// sessions holds the broker sessions of the active controller.
type sessions struct {
	mu sync.Mutex
	// term is the controller term m belongs to; m is nil before the first
	// use.
	term uint64
	m    map[int32]brokerSession
}

type brokerSession struct {
	epoch int64
	seen  time.Time
}

// syncSessionsLocked starts a fresh session for every registered broker when the
// controller term has changed. The caller holds sess.mu.
func (c *Controller) syncSessionsLocked(img *Image, now time.Time) {
	term := c.n.activeTerm.Load()
	if c.sess.m != nil && c.sess.term == term {
		return
	}
	c.sess.term = term
	c.sess.m = make(map[int32]brokerSession, len(img.Brokers))
	for id, b := range img.Brokers {
		c.sess.m[id] = brokerSession{epoch: b.Epoch, seen: now}
	}
}

// startSession starts or refreshes the session of a broker epoch.
func (c *Controller) startSession(id int32, epoch int64) {
	now := time.Now()
	c.sess.mu.Lock()
	defer c.sess.mu.Unlock()
	c.syncSessionsLocked(c.n.Image(), now)
	c.sess.m[id] = brokerSession{epoch: epoch, seen: now}
}

// touchSession records a heartbeat.
func (c *Controller) touchSession(id int32, epoch int64) { c.startSession(id, epoch) }

// endSession forgets a broker's session (it was fenced or unregistered).
func (c *Controller) endSession(id int32) {
	c.sess.mu.Lock()
	defer c.sess.mu.Unlock()
	delete(c.sess.m, id)
}

// sessionLive reports whether broker b's session has not expired. Without
// a session timeout every session is live; a broker epoch not tracked yet
// has a session that starts now.
func (c *Controller) sessionLive(img *Image, b *Broker) bool {
	timeout := c.cfg.BrokerSessionTimeout
	if timeout <= 0 {
		return true
	}
	now := time.Now()
	c.sess.mu.Lock()
	defer c.sess.mu.Unlock()
	c.syncSessionsLocked(img, now)
	s, ok := c.sess.m[b.ID]
	if !ok || s.epoch != b.Epoch {
		c.sess.m[b.ID] = brokerSession{epoch: b.Epoch, seen: now}
		return true
	}
	return now.Sub(s.seen) <= timeout
}

// expireSessions fences brokers whose session expired, while this node is
// the active controller. It runs on voters when a session timeout is
// configured, until stop closes.
func (c *Controller) expireSessions(stop <-chan struct{}) {
	defer c.n.wg.Done()
	timeout := c.cfg.BrokerSessionTimeout
	tick := time.NewTicker(min(max(timeout/8, 10*time.Millisecond), 250*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if !c.n.IsController() {
			continue
		}
		img := c.n.Image()
		var expired []*Broker
		for _, b := range img.SortedBrokers() {
			if !b.Fenced && !c.sessionLive(img, b) {
				expired = append(expired, b)
			}
		}
		for _, b := range expired {
			c.expire(b)
		}
	}
}

// expire fences broker b if its session is still expired once this
// controller holds the turn (a heartbeat may have arrived meanwhile).
func (c *Controller) expire(b *Broker) {
	ctx, cancel := context.WithTimeout(c.n.ctx, c.n.cfg.ApplyTimeout)
	defer cancel()
	img, err := c.begin(ctx)
	if err != nil {
		return
	}
	defer c.end()
	cur := img.Brokers[b.ID]
	if cur == nil || cur.Epoch != b.Epoch || cur.Fenced || c.sessionLive(img, cur) {
		return
	}
	c.n.logger.Info("broker session expired; fencing it", "broker", b.ID, "broker_epoch", b.Epoch,
		"session_timeout", c.cfg.BrokerSessionTimeout)
	if err := c.fenceLocked(ctx, img, b.ID, b.Epoch); err != nil {
		c.n.logger.Warn("fencing a broker whose session expired", "broker", b.ID, "err", err)
	}
}

// BrokerHeartbeat is one heartbeat of a registered broker (Kafka's
// BrokerHeartbeatRequest).
type BrokerHeartbeat struct {
	BrokerID    int32
	BrokerEpoch int64
	// AppliedIndex is the index of the last metadata log entry the
	// broker's node has applied, Node.Image().Index there (Kafka's
	// currentMetadataOffset).
	AppliedIndex uint64
	// WantFence asks to be fenced, or to stay fenced.
	WantFence bool
	// WantShutDown asks for a controlled shutdown: to be fenced now, with
	// every leadership and ISR membership moved away.
	WantShutDown bool
}

// BrokerHeartbeatReply is the controller's answer (Kafka's
// BrokerHeartbeatResponse).
type BrokerHeartbeatReply struct {
	// IsCaughtUp: the broker has applied the entry that registered it.
	IsCaughtUp bool
	// IsFenced is the broker's state after this heartbeat.
	IsFenced bool
	// ShouldShutDown grants a controlled shutdown: the broker leads
	// nothing, is in no ISR, and may stop.
	ShouldShutDown bool
}

// BrokerHeartbeat records a heartbeat and moves the broker through KRaft's
// states (BrokerHeartbeatManager.calculateNextBrokerState):
//   - WantShutDown: a live broker is fenced with its leaderships moved
//     away, and any broker is told it may shut down (ShouldShutDown).
//   - WantFence: a live broker is fenced.
//   - otherwise a fenced broker is unfenced once it has caught up, which
//     as in Kafka means it has applied the entry that registered it:
//     AppliedIndex >= its broker epoch (the raft index of that entry).
//     A broker fenced because its session expired comes back this way.
//
// A broker epoch that is not the registered one fails with
// STALE_BROKER_EPOCH, an unknown broker with BROKER_ID_NOT_REGISTERED;
// the broker should register again.
func (c *Controller) BrokerHeartbeat(ctx context.Context, hb BrokerHeartbeat) (BrokerHeartbeatReply, error) {
	return mBrokerHeartbeat.call(ctx, c, hb)
}

func (c *Controller) brokerHeartbeat(ctx context.Context, hb BrokerHeartbeat) (BrokerHeartbeatReply, error) {
	if !c.n.IsController() {
		return BrokerHeartbeatReply{}, ErrNotController
	}
	img := c.n.Image()
	b, err := registeredBroker(img, hb.BrokerID, hb.BrokerEpoch)
	if err != nil {
		return BrokerHeartbeatReply{}, err
	}
	reply := BrokerHeartbeatReply{IsCaughtUp: hb.AppliedIndex >= uint64(b.Epoch), IsFenced: b.Fenced}
	req := brokerEpochRequest{BrokerID: b.ID, BrokerEpoch: b.Epoch}
	if hb.WantShutDown {
		if !b.Fenced {
			if _, err := c.fenceBroker(ctx, req); err != nil {
				return reply, err
			}
			c.n.logger.Info("broker in controlled shutdown fenced", "broker", b.ID, "broker_epoch", b.Epoch)
		}
		c.endSession(b.ID)
		reply.IsFenced, reply.ShouldShutDown = true, true
		return reply, nil
	}
	c.touchSession(b.ID, b.Epoch)
	switch {
	case hb.WantFence:
		if !b.Fenced {
			if _, err := c.fenceBroker(ctx, req); err != nil {
				return reply, err
			}
			c.touchSession(b.ID, b.Epoch)
		}
		reply.IsFenced = true
	case b.Fenced && reply.IsCaughtUp:
		if _, err := c.unfenceBroker(ctx, req); err != nil {
			return reply, err
		}
		reply.IsFenced = false
	}
	return reply, nil
}
