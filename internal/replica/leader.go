package replica

import (
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkakit/kafkakit/internal/metadata"
)

// FollowerFetch is what a leader learns from one partition of a replica
// fetch (a Fetch request with a replica id).
type FollowerFetch struct {
	ReplicaID int32
	// BrokerEpoch is the follower's broker epoch (ReplicaState.Epoch, Fetch
	// v15+, KIP-903), or -1 when the request does not carry it.
	BrokerEpoch int64
	// CurrentLeaderEpoch is the leader epoch the follower fetches for, or
	// -1.
	CurrentLeaderEpoch int32
	// FetchOffset is the follower's log end offset.
	FetchOffset int64
	// LogStartOffset is the follower's log start offset, or -1.
	LogStartOffset int64
}

// RecordFollowerFetch records a follower's position from its fetch, as
// Kafka's Partition.updateFollowerFetchState does. The fetch handler calls
// it for every partition of a replica fetch once the leader epoch check
// passed and the follower's last fetched epoch does not diverge, before
// reading. It moves the high watermark (waking long polls and acks=all
// waiters) and proposes to add the follower to the ISR once it has caught
// up to the high watermark and to the start of this leader's epoch.
//
// A fetch from a broker that is not a replica is refused with
// UNKNOWN_LEADER_EPOCH when the fetch names the current leader epoch (the
// leader may not have seen a reassignment yet) and NOT_LEADER_OR_FOLLOWER
// otherwise; one with an older broker epoch than a previous fetch is
// NOT_LEADER_OR_FOLLOWER. A fetch offset outside the log is not recorded:
// the read that follows answers OFFSET_OUT_OF_RANGE.
func (p *Partition) RecordFollowerFetch(f FollowerFetch) error {
	p.mu.RLock()
	if p.leader != p.nodeID {
		p.mu.RUnlock()
		return ErrNotLeader
	}
	if f.ReplicaID == p.nodeID || !slices.Contains(p.replicas, f.ReplicaID) {
		p.mu.RUnlock()
		if f.CurrentLeaderEpoch >= 0 {
			return ErrUnknownLeaderEpoch
		}
		return ErrNotLeader
	}
	leo := p.log.LogEndOffset()
	if f.FetchOffset > leo || f.FetchOffset < p.log.LogStartOffset() {
		p.mu.RUnlock()
		return nil
	}
	now := p.now()
	p.fmu.Lock()
	fs := p.followers[f.ReplicaID]
	if fs == nil {
		fs = newFollowerState(false, now)
		p.followers[f.ReplicaID] = fs
	}
	if f.BrokerEpoch >= 0 && fs.brokerEpoch > f.BrokerEpoch {
		p.fmu.Unlock()
		p.mu.RUnlock()
		return ErrNotLeader
	}
	// Kafka's Replica.updateFetchState: a follower that fetched from our
	// log end offset is caught up now; one that fetched from at least the
	// log end offset we had at its previous fetch was caught up then.
	switch {
	case f.FetchOffset >= leo:
		fs.lastCaughtUp = maxTime(fs.lastCaughtUp, now)
	case f.FetchOffset >= fs.lastFetchLeaderLEO && fs.lastFetchLeaderLEO >= 0:
		fs.lastCaughtUp = maxTime(fs.lastCaughtUp, fs.lastFetch)
	}
	fs.lastFetchLeaderLEO, fs.lastFetch = leo, now
	fs.leo, fs.logStart = f.FetchOffset, f.LogStartOffset
	if f.BrokerEpoch >= 0 {
		fs.brokerEpoch = f.BrokerEpoch
	}
	p.fmu.Unlock()

	advanced := p.maybeAdvanceHighWatermarkLocked()
	p.maybeExpandISRLocked(f.ReplicaID, now)
	p.mu.RUnlock()
	if advanced {
		p.wake()
	}
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// maybeExpandISRLocked proposes to add a follower to the ISR when it is out
// of it, eligible (registered, unfenced, current broker epoch), and its log
// end offset has reached both the high watermark and the start offset of
// this leader's epoch (Kafka's isFollowerInSync check in
// maybeExpandIsr). Caller holds p.mu shared.
func (p *Partition) maybeExpandISRLocked(id int32, now time.Time) {
	if slices.Contains(p.isr, id) {
		return
	}
	p.fmu.Lock()
	defer p.fmu.Unlock()
	if !p.canProposeLocked(now) {
		return
	}
	fs := p.followers[id]
	if fs == nil || fs.leo < p.log.HighWatermark() || fs.leo < p.epochStart {
		return
	}
	if p.hooks == nil || !p.hooks.eligible(id, fs.brokerEpoch) {
		return
	}
	p.proposeLocked(append(slices.Clone(p.isr), id))
}

// maybeShrinkISR proposes to drop from the ISR every follower that is
// behind the leader's log end offset and has not caught up for longer than
// maxLag (replica.lag.time.max.ms), as Kafka's maybeShrinkIsr does. The
// leader itself is never dropped.
func (p *Partition) maybeShrinkISR(maxLag time.Duration) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.leader != p.nodeID || len(p.isr) <= 1 {
		return
	}
	now := p.now()
	p.fmu.Lock()
	defer p.fmu.Unlock()
	if !p.canProposeLocked(now) {
		return
	}
	leo := p.log.LogEndOffset()
	var keep []int32
	for _, id := range p.isr {
		if id != p.nodeID {
			fs := p.followers[id]
			if fs == nil || (fs.leo != leo && now.Sub(fs.lastCaughtUp) > maxLag) {
				continue
			}
		}
		keep = append(keep, id)
	}
	if len(keep) < len(p.isr) {
		p.proposeLocked(keep)
	}
}

// canProposeLocked reports whether a new ISR change may be proposed: none
// is outstanding and no back-off is running. Caller holds fmu.
func (p *Partition) canProposeLocked(now time.Time) bool {
	return p.alter.pending == nil && !now.Before(p.alter.retryAt)
}

// proposeLocked records an ISR proposal and queues it for the controller.
// Caller holds p.mu (shared) and fmu.
func (p *Partition) proposeLocked(isr []int32) {
	p.alter = alterState{
		pending: isr, seq: p.alter.seq + 1,
		leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch,
	}
	if p.hooks != nil {
		p.hooks.proposeISR(p)
	}
}

// alterRequest returns the partition's outstanding proposal as an
// ISRChange, marking it sent, or ok false if there is none to send.
func (p *Partition) alterRequest() (ch metadata.ISRChange, seq uint64, ok bool) {
	p.fmu.Lock()
	defer p.fmu.Unlock()
	a := &p.alter
	if a.pending == nil || a.sent {
		return metadata.ISRChange{}, 0, false
	}
	a.sent = true
	return metadata.ISRChange{
		TopicID: metadata.TopicID(p.TopicID), Topic: p.Topic, Partition: p.Index,
		LeaderEpoch: a.leaderEpoch, PartitionEpoch: a.partitionEpoch, NewISR: slices.Clone(a.pending),
	}, a.seq, true
}

// alterFailed ends proposal seq after the whole AlterPartition call failed
// (no controller, a timeout): it is dropped and may be made again after
// backoff.
func (p *Partition) alterFailed(seq uint64, backoff time.Duration) {
	p.fmu.Lock()
	defer p.fmu.Unlock()
	if p.alter.seq == seq {
		p.alter = alterState{seq: seq, retryAt: p.now().Add(backoff)}
	}
}

// alterDone applies the controller's answer to proposal seq, as Kafka's
// handleAlterPartitionUpdate and handleAlterPartitionError do. Success sets
// the ISR and partition epoch the controller reports (unless an image
// already moved past them) and may move the high watermark. A rejection
// because the proposal was made from outdated state (FENCED_LEADER_EPOCH,
// INVALID_UPDATE_VERSION, an unknown partition) or because the change made
// this broker lose the leadership (NEW_LEADER_ELECTED: the change was
// applied, the next image says what follows) keeps it outstanding until
// the next image replaces it; NOT_CONTROLLER and other errors drop it for
// a retry after backoff.
func (p *Partition) alterDone(seq uint64, r metadata.ISRChangeResult, backoff time.Duration) {
	p.mu.Lock()
	p.fmu.Lock()
	if p.alter.seq != seq {
		p.fmu.Unlock()
		p.mu.Unlock()
		return
	}
	if r.Err != nil {
		switch code, _ := metadata.KafkaError(r.Err); code {
		case kerr.FencedLeaderEpoch, kerr.InvalidUpdateVersion, kerr.UnknownTopicOrPartition, kerr.UnknownTopicID, kerr.NewLeaderElected:
			// Outstanding until the next image.
		default:
			p.alter = alterState{seq: seq, retryAt: p.now().Add(backoff)}
		}
		p.fmu.Unlock()
		p.mu.Unlock()
		return
	}
	p.alter = alterState{seq: seq}
	apply := r.LeaderEpoch == p.leaderEpoch && r.PartitionEpoch >= p.partitionEpoch
	if apply {
		p.isr, p.partitionEpoch = slices.Clone(r.ISR), r.PartitionEpoch
	}
	p.fmu.Unlock()
	advanced := apply && p.maybeAdvanceHighWatermarkLocked()
	p.mu.Unlock()
	if apply || advanced {
		p.wake()
	}
}
