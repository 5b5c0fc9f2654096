// Package replica owns the partition replicas a broker hosts: their logs,
// whether this broker leads or follows each one, the leader epoch, the ISR
// and the high watermark. It sits between the request handlers and the
// partition logs: Produce appends through Partition.Append (am I the
// leader? is the ISR big enough?), Fetch reads below the high watermark
// and waits for it to move.
//
// Metadata images drive the state: Manager.Apply creates and deletes logs
// and changes leadership as the controller decides.
//
// Lock order: Manager.mu, then Partition.mu, then the log's own locks.
// Partition.mu is held (shared) across a log append so leadership cannot
// change underneath it, but never across network I/O.
package replica

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkakit/kafkakit/internal/log"
)

// Errors a partition returns besides the log's own; each matches its Kafka
// error code with errors.Is.
var (
	ErrNotLeader          = kerr.NotLeaderForPartition
	ErrNotEnoughReplicas  = kerr.NotEnoughReplicas
	ErrUnknownPartition   = kerr.UnknownTopicOrPartition
	ErrFencedLeaderEpoch  = kerr.FencedLeaderEpoch
	ErrUnknownLeaderEpoch = kerr.UnknownLeaderEpoch
)

// Partition is one replica of one partition on this broker.
type Partition struct {
	Topic   string
	Index   int32
	TopicID [16]byte
	nodeID  int32
	log     *log.Log

	mu          sync.RWMutex
	leader      int32
	leaderEpoch int32
	replicas    []int32
	isr         []int32
	minISR      int

	wmu     sync.Mutex
	waiters map[chan struct{}]struct{}
}

func newPartition(topic string, index int32, id [16]byte, nodeID int32, l *log.Log) *Partition {
	return &Partition{Topic: topic, Index: index, TopicID: id, nodeID: nodeID, log: l,
		leader: -1, leaderEpoch: -1, minISR: 1, waiters: map[chan struct{}]struct{}{}}
}

// Log returns the partition's log.
func (p *Partition) Log() *log.Log { return p.log }

// State is a snapshot of the partition's leadership.
type State struct {
	Leader      int32
	LeaderEpoch int32
	Replicas    []int32
	ISR         []int32
}

// State returns the current leadership state.
func (p *Partition) State() State {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return State{Leader: p.leader, LeaderEpoch: p.leaderEpoch, Replicas: slices.Clone(p.replicas), ISR: slices.Clone(p.isr)}
}

// IsLeader reports whether this broker leads the partition.
func (p *Partition) IsLeader() bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.leader == p.nodeID
}

// LeaderEpoch returns the current leader epoch.
func (p *Partition) LeaderEpoch() int32 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.leaderEpoch
}

// CheckLeaderEpoch validates a client's current leader epoch (KIP-320):
// -1 skips the check; an older epoch is FENCED_LEADER_EPOCH, a newer one
// UNKNOWN_LEADER_EPOCH.
func (p *Partition) CheckLeaderEpoch(current int32) error {
	if current < 0 {
		return nil
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	switch {
	case current < p.leaderEpoch:
		return ErrFencedLeaderEpoch
	case current > p.leaderEpoch:
		return ErrUnknownLeaderEpoch
	}
	return nil
}

// Append appends a client's batches as leader. acks=-1 requires the ISR to
// have at least min.insync.replicas members (NOT_ENOUGH_REPLICAS).
// Coordinator appends come from the broker itself (group metadata).
func (p *Partition) Append(batches []byte, acks int16, coordinator bool) (log.AppendResult, error) {
	p.mu.RLock()
	if p.leader != p.nodeID {
		p.mu.RUnlock()
		return log.AppendResult{}, ErrNotLeader
	}
	if acks == -1 && len(p.isr) < p.minISR {
		p.mu.RUnlock()
		return log.AppendResult{}, ErrNotEnoughReplicas
	}
	res, err := p.log.Append(batches, log.AppendInfo{LeaderEpoch: p.leaderEpoch, Coordinator: coordinator})
	advanced := false
	if err == nil {
		advanced = p.maybeAdvanceHighWatermarkLocked()
	}
	p.mu.RUnlock()
	if advanced {
		p.wake()
	}
	return res, err
}

// maybeAdvanceHighWatermarkLocked moves the high watermark to the smallest
// log end offset in the ISR. With this broker as the only ISR member that is
// its own log end offset. Caller holds p.mu (shared is enough: the log
// serializes the update).
func (p *Partition) maybeAdvanceHighWatermarkLocked() bool {
	if p.leader != p.nodeID {
		return false
	}
	hw := p.log.LogEndOffset()
	old := p.log.HighWatermark()
	if hw > old {
		p.log.SetHighWatermark(hw)
		return true
	}
	return false
}

// WaitForHighWatermark blocks until the high watermark reaches offset (for
// acks=all), ctx ends, or leadership is lost.
func (p *Partition) WaitForHighWatermark(ctx context.Context, offset int64) error {
	ch, cancel := p.Watch()
	defer cancel()
	for {
		if p.log.HighWatermark() >= offset {
			return nil
		}
		if !p.IsLeader() {
			return ErrNotLeader
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ReadOptions say who reads and how far.
type ReadOptions struct {
	Offset    int64
	MaxBytes  int32
	MinOne    bool // return the first batch whole even above MaxBytes (KIP-74)
	Committed bool // read_committed: stop at the last stable offset
	Follower  bool // replica fetch: read up to the log end offset
}

// Read reads from the leader's log: consumers see records below the high
// watermark (below the last stable offset with read_committed), followers
// up to the log end offset. The caller must Release the result.
func (p *Partition) Read(o ReadOptions) (*log.ReadResult, error) {
	p.mu.RLock()
	leader := p.leader == p.nodeID
	p.mu.RUnlock()
	if !leader {
		return nil, ErrNotLeader
	}
	max := p.log.HighWatermark()
	switch {
	case o.Follower:
		max = p.log.LogEndOffset()
	case o.Committed:
		max = p.log.LastStableOffset()
	}
	return p.log.Read(o.Offset, o.MaxBytes, max, o.MinOne)
}

// Watch registers for a wake-up when the partition's high watermark or log
// end offset moves. The channel has room for one signal; cancel
// unregisters.
func (p *Partition) Watch() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	p.wmu.Lock()
	p.waiters[ch] = struct{}{}
	p.wmu.Unlock()
	return ch, func() {
		p.wmu.Lock()
		delete(p.waiters, ch)
		p.wmu.Unlock()
	}
}

// WatchWith registers an existing channel (a fetch waiting on several
// partitions shares one).
func (p *Partition) WatchWith(ch chan struct{}) func() {
	p.wmu.Lock()
	p.waiters[ch] = struct{}{}
	p.wmu.Unlock()
	return func() {
		p.wmu.Lock()
		delete(p.waiters, ch)
		p.wmu.Unlock()
	}
}

func (p *Partition) wake() {
	p.wmu.Lock()
	for ch := range p.waiters {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	p.wmu.Unlock()
}

// update applies leadership from the metadata image.
func (p *Partition) update(leader, epoch int32, replicas, isr []int32, minISR int) error {
	p.mu.Lock()
	becameLeader := leader == p.nodeID && (p.leader != p.nodeID || epoch != p.leaderEpoch)
	p.leader, p.replicas, p.isr, p.minISR = leader, slices.Clone(replicas), slices.Clone(isr), max(minISR, 1)
	p.leaderEpoch = epoch
	var err error
	if becameLeader {
		// Kafka's makeLeader: the new epoch starts at our log end offset.
		err = p.log.AssignEpochStartOffset(epoch, p.log.LogEndOffset())
		p.maybeAdvanceHighWatermarkLocked()
	}
	p.mu.Unlock()
	p.wake() // long polls re-check leadership
	return err
}

// IsNotLeader reports whether err means this broker does not lead.
func IsNotLeader(err error) bool { return errors.Is(err, ErrNotLeader) }
