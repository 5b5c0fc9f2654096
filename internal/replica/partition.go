// Package replica owns the partition replicas a broker hosts: their logs,
// whether this broker leads or follows each one, the leader epoch, the ISR
// and the high watermark, and the replication between brokers.
//
// It sits between the request handlers and the partition logs. Produce
// appends through Partition.Append (am I the leader? is the ISR at least
// min.insync.replicas?); Fetch reads below the high watermark and waits for
// it to move. Metadata images drive the state: Manager.Apply creates and
// deletes logs and changes leadership as the controller decides.
//
// Replication follows Apache Kafka's design. A follower runs one fetcher
// goroutine per source broker (num.replica.fetchers=1) that sends Fetch
// requests with its replica id to the leader's inter-broker listener,
// appends what comes back with the leader's offsets and epochs, and sets
// its high watermark to min(leader HW, own log end offset). The Fetch
// request carries the epoch of the follower's last batch (v12+); a leader
// whose log diverged from it answers with DivergingEpoch and the follower
// truncates and fetches again (KIP-595 style truncation, equivalent to
// KIP-101/279's OffsetForLeaderEpoch round). A leader records the fetch
// offset of each follower fetch as that follower's log end offset, moves
// the high watermark to the smallest log end offset in the ISR (never
// backwards), and asks the controller to shrink the ISR when a follower has
// not caught up for replica.lag.time.max.ms, or to expand it when a
// follower reaches the high watermark (AlterPartition).
//
// Invariants:
//   - A partition appends client data only while it leads; a follower
//     appends, truncates and sets its high watermark only for the leader
//     and leader epoch the fetch was made for, under the partition's read
//     lock, so a leadership change (write lock) never interleaves with one.
//   - The leader's high watermark only moves forward, and only up to the
//     log end offset every member of the ISR (including a member being
//     added) is known to have.
//   - At most one ISR change per partition is in flight at the controller.
//
// Lock order: Manager.applyMu, then Manager.mu, then Partition.mu, then
// Partition.fmu, then the log's own locks. Manager.fetchMu and fetcher.mu
// are taken without any partition lock held; Manager.alterMu and
// Partition.wmu are leaves.
// Partition.mu is held (shared) across a log append so leadership cannot
// change underneath it, but no lock is ever held across network I/O.
package replica

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkakit/kafkakit/internal/log"
)

// Errors a partition returns besides the log's own; each matches its Kafka
// error code with errors.Is.
var (
	ErrNotLeader                    = kerr.NotLeaderForPartition
	ErrNotEnoughReplicas            = kerr.NotEnoughReplicas
	ErrNotEnoughReplicasAfterAppend = kerr.NotEnoughReplicasAfterAppend
	ErrUnknownPartition             = kerr.UnknownTopicOrPartition
	ErrFencedLeaderEpoch            = kerr.FencedLeaderEpoch
	ErrUnknownLeaderEpoch           = kerr.UnknownLeaderEpoch
)

// errStaleFetch means a fetch response arrived for a leader or leader epoch
// this replica no longer follows; it is dropped.
var errStaleFetch = errors.New("fetch response for an old leader epoch")

// Partition is one replica of one partition on this broker.
type Partition struct {
	Topic   string
	Index   int32
	TopicID [16]byte
	nodeID  int32
	log     *log.Log
	now     func() time.Time
	// hooks are the manager's: ISR change proposals and eligibility of a
	// follower for the ISR. Nil in a partition without a manager.
	hooks *partitionHooks

	mu             sync.RWMutex
	leader         int32
	leaderEpoch    int32
	partitionEpoch int32
	replicas       []int32
	isr            []int32
	minISR         int
	// epochStart is the log end offset when this broker's current leader
	// epoch began: a follower must reach it before it may join the ISR.
	epochStart int64

	// fmu guards what the leader learns from followers and its ISR
	// proposal; it is taken after mu.
	fmu       sync.Mutex
	followers map[int32]*followerState
	alter     alterState

	wmu     sync.Mutex
	waiters map[chan struct{}]struct{}
	// changes counts wake-ups: it moves after every change a reader may
	// wait for (high watermark, log end offset, leadership, log start by
	// DeleteRecords), so a reader that saw the same count before and after
	// knows its view still holds.
	changes atomic.Uint64
	retired atomic.Bool
}

// partitionHooks connect a partition to its manager.
type partitionHooks struct {
	// proposeISR queues the partition for an AlterPartition call.
	proposeISR func(*Partition)
	// eligible reports whether broker id may join an ISR: registered,
	// unfenced and, when brokerEpoch is not -1, with that broker epoch.
	eligible func(id int32, brokerEpoch int64) bool
}

// followerState is what the leader knows of one follower, from its fetches
// (Kafka's Replica state).
type followerState struct {
	leo         int64 // the fetch offset of the last fetch; -1 unknown
	logStart    int64
	brokerEpoch int64
	// lastFetchLeaderLEO and lastFetch are the leader's log end offset and
	// the time at the previous fetch; lastCaughtUp is the last time the
	// follower was known to have everything the leader had.
	lastFetchLeaderLEO int64
	lastFetch          time.Time
	lastCaughtUp       time.Time
}

// alterState is the ISR change proposed to the controller, if any.
type alterState struct {
	pending []int32 // the proposed ISR; nil when nothing is proposed
	seq     uint64  // identifies the proposal; bumped by every new one
	// leaderEpoch and partitionEpoch are those the proposal was made at.
	leaderEpoch    int32
	partitionEpoch int32
	// sent is set once the proposal is in a request. A proposal the
	// controller rejected as made from outdated state stays here, sent,
	// until the next image replaces it.
	sent bool
	// retryAt delays the next proposal after a failed one.
	retryAt time.Time
}

func newPartition(topic string, index int32, id [16]byte, nodeID int32, l *log.Log, now func() time.Time, hooks *partitionHooks) *Partition {
	if now == nil {
		now = time.Now
	}
	return &Partition{Topic: topic, Index: index, TopicID: id, nodeID: nodeID, log: l, now: now, hooks: hooks,
		leader: -1, leaderEpoch: -1, partitionEpoch: -1, minISR: 1, waiters: map[chan struct{}]struct{}{}}
}

// Log returns the partition's log.
func (p *Partition) Log() *log.Log { return p.log }

// State is a snapshot of the partition's leadership.
type State struct {
	Leader         int32
	LeaderEpoch    int32
	PartitionEpoch int32
	Replicas       []int32
	ISR            []int32
}

// State returns the current leadership state. On the leader, ISR is the
// ISR last confirmed by the controller (an AlterPartition answer or an
// image), which may be newer than the broker's latest image.
func (p *Partition) State() State {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return State{Leader: p.leader, LeaderEpoch: p.leaderEpoch, PartitionEpoch: p.partitionEpoch,
		Replicas: slices.Clone(p.replicas), ISR: slices.Clone(p.isr)}
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

// CheckLeader reports ErrNotLeader unless this broker leads the partition,
// then checks current as CheckLeaderEpoch does, under one lock.
func (p *Partition) CheckLeader(current int32) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	switch {
	case p.leader != p.nodeID:
		return ErrNotLeader
	case current < 0:
		return nil
	case current < p.leaderEpoch:
		return ErrFencedLeaderEpoch
	case current > p.leaderEpoch:
		return ErrUnknownLeaderEpoch
	}
	return nil
}

// Changes returns the count of changes readers wait for (see Watch). A
// reader that loads it before reading the partition and finds it unchanged
// later may reuse what it read.
func (p *Partition) Changes() uint64 { return p.changes.Load() }

// Retired reports whether the manager has let go of the partition (deleted,
// moved away or replaced by a new topic of the same name); a caller that
// keeps a *Partition across requests looks it up again then.
func (p *Partition) Retired() bool { return p.retired.Load() }

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
	if err == nil {
		p.maybeAdvanceHighWatermarkLocked()
	}
	p.mu.RUnlock()
	if err == nil {
		// Followers long-poll on the log end offset, consumers on the high
		// watermark; both are woken.
		p.wake()
	}
	return res, err
}

// maximalISRLocked is the ISR the high watermark must respect: the
// committed ISR plus any member being added (Kafka's maximalIsr), so the
// high watermark never passes what a joining member has. Caller holds fmu.
func (p *Partition) maximalISRLocked() []int32 {
	if p.alter.pending == nil {
		return p.isr
	}
	out := slices.Clone(p.isr)
	for _, id := range p.alter.pending {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// maybeAdvanceHighWatermarkLocked moves the high watermark up to the
// smallest log end offset in the maximal ISR, if that is higher than it is.
// A follower whose log end offset is not known yet (no fetch since this
// broker became leader) holds it where it is. Caller holds p.mu (shared is
// enough: fmu serializes the compare and set).
func (p *Partition) maybeAdvanceHighWatermarkLocked() bool {
	if p.leader != p.nodeID {
		return false
	}
	p.fmu.Lock()
	defer p.fmu.Unlock()
	hw := p.log.LogEndOffset()
	for _, id := range p.maximalISRLocked() {
		if id == p.nodeID {
			continue
		}
		f := p.followers[id]
		if f == nil || f.leo < 0 {
			return false
		}
		hw = min(hw, f.leo)
	}
	if hw > p.log.HighWatermark() {
		p.log.SetHighWatermark(hw)
		return true
	}
	return false
}

// WaitForHighWatermark blocks until the high watermark reaches offset (for
// acks=all), ctx ends, or leadership is lost. As Kafka's DelayedProduce
// does, it then checks the ISR again: if it shrank below
// min.insync.replicas while the request waited, the answer is
// NOT_ENOUGH_REPLICAS_AFTER_APPEND (the data is written but not as
// replicated as asked).
func (p *Partition) WaitForHighWatermark(ctx context.Context, offset int64) error {
	ch, cancel := p.Watch()
	defer cancel()
	for {
		p.mu.RLock()
		leader := p.leader == p.nodeID
		isr, minISR := len(p.isr), p.minISR
		p.mu.RUnlock()
		if !leader {
			return ErrNotLeader
		}
		if p.log.HighWatermark() >= offset {
			if isr < minISR {
				return ErrNotEnoughReplicasAfterAppend
			}
			return nil
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

// DeleteRecordsBefore moves the log start offset up to offset as leader
// (the DeleteRecords API, see log.DeleteRecordsBefore) and wakes waiting
// fetches, whose offsets may now be out of range.
func (p *Partition) DeleteRecordsBefore(offset int64) (int64, error) {
	start, err := p.log.DeleteRecordsBefore(offset)
	if err == nil {
		p.wake()
	}
	return start, err
}

// Watch registers for a wake-up when the partition's high watermark or log
// end offset moves, or its leadership changes. The channel has room for
// one signal; cancel unregisters.
func (p *Partition) Watch() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	p.AddWatcher(ch)
	return ch, func() { p.RemoveWatcher(ch) }
}

// AddWatcher registers an existing channel for the wake-ups Watch gives (a
// fetch waiting on several partitions shares one); RemoveWatcher
// unregisters it. Signals are sent without blocking, so ch should have
// room for one.
func (p *Partition) AddWatcher(ch chan struct{}) {
	p.wmu.Lock()
	p.waiters[ch] = struct{}{}
	p.wmu.Unlock()
}

// RemoveWatcher unregisters ch (see AddWatcher).
func (p *Partition) RemoveWatcher(ch chan struct{}) {
	p.wmu.Lock()
	delete(p.waiters, ch)
	p.wmu.Unlock()
}

func (p *Partition) wake() {
	p.changes.Add(1)
	p.wmu.Lock()
	for ch := range p.waiters {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	p.wmu.Unlock()
}

// assignment is a partition's leadership as an image states it.
type assignment struct {
	leader         int32
	leaderEpoch    int32
	partitionEpoch int32
	replicas       []int32
	isr            []int32
	minISR         int
}

// update applies leadership from the metadata image, as Kafka's
// makeLeader and makeFollower do.
//
// A new leader epoch with this broker as leader starts the epoch at the log
// end offset (AssignEpochStartOffset), keeps the high watermark, and starts
// tracking followers afresh: their log end offsets are unknown until they
// fetch, and ISR members count as caught up now so they are not dropped
// before they had a chance to fetch. With another broker as leader the
// partition stops taking produce at once; truncation of a divergent tail
// happens when the fetcher talks to the new leader. Within one leader
// epoch, an image older than an ISR change this leader already got from
// the controller is ignored, and a newer one replaces any proposal still
// in flight.
func (p *Partition) update(a assignment) error {
	p.mu.Lock()
	wasLeader := p.leader == p.nodeID
	newEpoch := a.leader != p.leader || a.leaderEpoch != p.leaderEpoch
	if !newEpoch && a.partitionEpoch < p.partitionEpoch {
		p.minISR = max(a.minISR, 1)
		p.mu.Unlock()
		return nil
	}
	newPartitionEpoch := a.partitionEpoch > p.partitionEpoch
	becameLeader := a.leader == p.nodeID && (!wasLeader || newEpoch)
	p.leader, p.leaderEpoch, p.partitionEpoch = a.leader, a.leaderEpoch, a.partitionEpoch
	p.replicas, p.isr, p.minISR = slices.Clone(a.replicas), slices.Clone(a.isr), max(a.minISR, 1)
	now := p.now()

	p.fmu.Lock()
	if newEpoch || newPartitionEpoch {
		p.alter = alterState{seq: p.alter.seq + 1}
	}
	switch {
	case becameLeader:
		p.followers = map[int32]*followerState{}
		for _, id := range p.replicas {
			if id != p.nodeID {
				p.followers[id] = newFollowerState(slices.Contains(p.isr, id), now)
			}
		}
	case a.leader == p.nodeID:
		// Same epoch: follow reassignments of the replica set.
		for id := range p.followers {
			if !slices.Contains(p.replicas, id) {
				delete(p.followers, id)
			}
		}
		for _, id := range p.replicas {
			if _, ok := p.followers[id]; !ok && id != p.nodeID {
				p.followers[id] = newFollowerState(slices.Contains(p.isr, id), now)
			}
		}
	default:
		p.followers = nil
	}
	p.fmu.Unlock()

	var err error
	if becameLeader {
		// Kafka's makeLeader: the new epoch starts at our log end offset.
		leo := p.log.LogEndOffset()
		p.epochStart = leo
		err = p.log.AssignEpochStartOffset(a.leaderEpoch, leo)
	}
	if a.leader == p.nodeID {
		// A smaller ISR may let the high watermark move.
		p.maybeAdvanceHighWatermarkLocked()
	}
	p.mu.Unlock()
	p.wake() // long polls and acks=all waiters re-check leadership
	return err
}

// retire stops a partition that is no longer hosted here (deleted, moved
// away, or replaced by a new topic of the same name): it neither leads nor
// follows any more, and waiters are woken to see that.
func (p *Partition) retire() {
	p.retired.Store(true)
	p.mu.Lock()
	p.leader, p.isr = -1, nil
	p.fmu.Lock()
	p.followers = nil
	p.alter = alterState{seq: p.alter.seq + 1}
	p.fmu.Unlock()
	p.mu.Unlock()
	p.wake()
}

func newFollowerState(inSync bool, now time.Time) *followerState {
	f := &followerState{leo: -1, logStart: -1, brokerEpoch: -1, lastFetchLeaderLEO: -1}
	if inSync {
		f.lastCaughtUp = now
	}
	return f
}

// IsNotLeader reports whether err means this broker does not lead.
func IsNotLeader(err error) bool { return errors.Is(err, ErrNotLeader) }
