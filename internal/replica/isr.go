package replica

import (
	"context"
	"errors"
	"time"

	"github.com/kafkakit/kafkakit/internal/metadata"
)

// ISRController applies ISR changes requested by partition leaders.
// *metadata.Controller implements it; its AlterPartition works on the
// active controller and, through forwarding, on every node. The manager
// calls it from one goroutine, never while holding a lock.
type ISRController interface {
	AlterPartition(ctx context.Context, brokerID int32, brokerEpoch int64, changes []metadata.ISRChange) ([]metadata.ISRChangeResult, error)
}

// alterTimeout bounds one AlterPartition call.
const alterTimeout = 10 * time.Second

// proposeISR queues a partition whose ISR change is ready to send. It is
// called with the partition's locks held and only takes alterMu.
func (m *Manager) proposeISR(p *Partition) {
	m.alterMu.Lock()
	m.alterQueue[p] = struct{}{}
	m.alterMu.Unlock()
	select {
	case m.alterKick <- struct{}{}:
	default:
	}
}

// eligibleForISR reports whether broker id may join an ISR, as Kafka's
// isReplicaIsrEligible: registered, not fenced, and (when its fetches
// carry one, KIP-903) of the registered broker epoch.
func (m *Manager) eligibleForISR(id int32, epoch int64) bool {
	img := m.image()
	if img == nil {
		return false
	}
	b := img.Brokers[id]
	return b != nil && !b.Fenced && (epoch < 0 || b.Epoch == epoch)
}

// runISR is the leader's ISR goroutine: every replica.lag.time.max.ms/2 it
// looks for followers to drop from ISRs (Kafka's isr-expiration task), and
// it sends queued ISR changes to the controller in one AlterPartition
// request at a time.
func (m *Manager) runISR(ctx context.Context) {
	interval := max(m.cfg.ReplicaLagTimeMax/2, 10*time.Millisecond)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.alterKick:
		case <-ticker.C:
			for _, p := range m.Partitions() {
				p.maybeShrinkISR(m.cfg.ReplicaLagTimeMax)
			}
		}
		m.sendAlters(ctx)
	}
}

type alterItem struct {
	p   *Partition
	seq uint64
}

// sendAlters sends every queued ISR change in one request and applies the
// answers.
func (m *Manager) sendAlters(ctx context.Context) {
	m.alterMu.Lock()
	queued := m.alterQueue
	m.alterQueue = map[*Partition]struct{}{}
	m.alterMu.Unlock()
	var items []alterItem
	var changes []metadata.ISRChange
	for p := range queued {
		if ch, seq, ok := p.alterRequest(); ok {
			items = append(items, alterItem{p, seq})
			changes = append(changes, ch)
		}
	}
	if len(items) == 0 {
		return
	}
	backoff := m.cfg.ReplicaFetchBackoff
	if m.cfg.Controller == nil {
		for _, it := range items {
			it.p.alterFailed(it.seq, backoff)
		}
		m.log.Warn("no controller to send ISR changes to", "partitions", len(items))
		return
	}
	cctx, cancel := context.WithTimeout(ctx, alterTimeout)
	results, err := m.cfg.Controller.AlterPartition(cctx, m.cfg.NodeID, brokerEpoch(m.image(), m.cfg.NodeID), changes)
	cancel()
	if err == nil && len(results) != len(items) {
		err = errResultCount
	}
	if err != nil {
		for _, it := range items {
			it.p.alterFailed(it.seq, backoff)
		}
		if ctx.Err() == nil {
			m.log.Warn("AlterPartition failed", "partitions", len(items), "err", err)
		}
		return
	}
	for i, it := range items {
		r := results[i]
		it.p.alterDone(it.seq, r, backoff)
		if r.Err != nil {
			m.log.Info("ISR change refused", "topic", it.p.Topic, "partition", it.p.Index,
				"proposed_isr", changes[i].NewISR, "err", r.Err)
		} else {
			m.log.Info("ISR changed", "topic", it.p.Topic, "partition", it.p.Index,
				"isr", r.ISR, "leader_epoch", r.LeaderEpoch, "partition_epoch", r.PartitionEpoch)
		}
	}
}

// errResultCount means the controller answered for a different number
// of partitions than were asked about.
var errResultCount = errors.New("AlterPartition answered a different number of partitions")
