package replica

import (
	"encoding/binary"
	"fmt"

	"github.com/kafkakit/kafkakit/internal/log"
)

// The follower side of a partition. The fetcher calls these methods with
// the leader and leader epoch its request was made for; each checks under
// the partition's read lock that this replica still follows that leader
// in that epoch, so nothing fetched for an old epoch is written after a
// leadership change.

// followTarget returns the leader and leader epoch this replica follows;
// ok is false when it leads or the partition has no leader.
func (p *Partition) followTarget() (leader, epoch int32, ok bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.leader == p.nodeID || p.leader < 0 {
		return -1, -1, false
	}
	return p.leader, p.leaderEpoch, true
}

// fetchPosition is what a follower's fetch sends for the partition: its
// log end offset, the latest epoch in its leader epoch cache (-1 if none:
// the leader then skips the divergence check) and its log start offset.
func (p *Partition) fetchPosition() (logEnd int64, lastEpoch int32, logStart int64) {
	lastEpoch = -1
	if e, ok := p.log.LatestEpoch(); ok {
		lastEpoch = e
	}
	return p.log.LogEndOffset(), lastEpoch, p.log.LogStartOffset()
}

// followingLocked reports whether this replica follows leader in epoch.
// Caller holds p.mu.
func (p *Partition) followingLocked(leader, epoch int32) bool {
	return p.leader == leader && p.leader != p.nodeID && p.leaderEpoch == epoch
}

// appendFromLeader writes fetched batches with the leader's offsets and
// epochs, then sets the high watermark to min(leader's, own log end
// offset) — never lower than it is — and follows the leader's log start
// offset up to that high watermark. A trailing partial batch (a leader may
// cut the last batch at the size limit) is left for the next fetch. It
// returns the number of bytes appended.
func (p *Partition) appendFromLeader(leader, epoch int32, data []byte, leaderHW, leaderLogStart int64) (int, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if !p.followingLocked(leader, epoch) {
		return 0, errStaleFetch
	}
	whole := wholeBatches(data)
	if len(whole) > 0 {
		if _, err := p.log.Append(whole, log.AppendInfo{Replicated: true}); err != nil {
			return 0, fmt.Errorf("append replicated batches: %w", err)
		}
	}
	if hw := min(leaderHW, p.log.LogEndOffset()); hw > p.log.HighWatermark() {
		p.log.SetHighWatermark(hw)
	}
	if start := min(leaderLogStart, p.log.HighWatermark()); start > p.log.LogStartOffset() {
		if _, err := p.log.DeleteRecordsBefore(start); err != nil {
			return len(whole), fmt.Errorf("follow leader log start offset %d: %w", start, err)
		}
	}
	return len(whole), nil
}

// truncateDiverging truncates the log after the leader answered a fetch
// with DivergingEpoch (divEpoch, divEnd): the largest epoch the leader has
// at or below our last fetched epoch, and where it ends on the leader.
// As Kafka's getOffsetTruncationState: when we have divEpoch too we keep
// what both logs hold of it, min(our end of divEpoch, divEnd); when we do
// not know divEpoch we cut back to the end of our largest epoch below it
// and let the next fetch compare again (KIP-279); with no epoch at or below
// it we keep at most divEnd. The leader epoch cache loses every epoch that
// starts at or after the cut, so the next fetch names an older epoch.
// It returns the new log end offset.
func (p *Partition) truncateDiverging(leader, epoch, divEpoch int32, divEnd int64) (int64, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if !p.followingLocked(leader, epoch) {
		return 0, errStaleFetch
	}
	leo := p.log.LogEndOffset()
	ourEpoch, ourEnd := p.log.EndOffsetForEpoch(divEpoch)
	to := leo
	switch {
	case ourEpoch < 0 || ourEnd < 0:
		to = min(divEnd, leo)
	case ourEpoch != divEpoch:
		to = min(ourEnd, leo)
	default:
		to = min(ourEnd, divEnd, leo)
	}
	if err := p.log.Truncate(to); err != nil {
		return 0, fmt.Errorf("truncate to %d: %w", to, err)
	}
	return to, nil
}

// resetOutOfRange handles OFFSET_OUT_OF_RANGE for our fetch offset as
// Kafka's fetchOffsetAndTruncate does: a log longer than the leader's is
// cut to the leader's end; a log that ends before the leader's log start
// is emptied and restarted there. It returns the new log end offset.
func (p *Partition) resetOutOfRange(leader, epoch int32, leaderStart, leaderEnd int64) (int64, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if !p.followingLocked(leader, epoch) {
		return 0, errStaleFetch
	}
	leo := p.log.LogEndOffset()
	switch {
	case leaderEnd >= 0 && leaderEnd < leo:
		if err := p.log.Truncate(leaderEnd); err != nil {
			return 0, fmt.Errorf("truncate to leader end offset %d: %w", leaderEnd, err)
		}
	case leaderStart > leo:
		if err := p.log.TruncateFullyAndStartAt(leaderStart); err != nil {
			return 0, fmt.Errorf("restart log at leader start offset %d: %w", leaderStart, err)
		}
	}
	return p.log.LogEndOffset(), nil
}

// batchHeaderPrefix is the part of a v2 batch header that gives its size:
// base offset (8 bytes) and batch length (4 bytes, counting what follows).
const batchHeaderPrefix = 12

// wholeBatches drops a trailing partial batch from data: it returns the
// longest prefix made of whole batches by their length fields. A length
// that cannot be right (zero or negative) keeps everything, so that the
// log rejects the data as corrupt instead of the fetcher stalling on it.
// It does not validate batches; the log does.
func wholeBatches(data []byte) []byte {
	pos := 0
	for len(data)-pos >= batchHeaderPrefix {
		n := int32(binary.BigEndian.Uint32(data[pos+8:]))
		if n <= 0 {
			return data
		}
		if int64(n) > int64(len(data)-pos-batchHeaderPrefix) {
			break
		}
		pos += batchHeaderPrefix + int(n)
	}
	return data[:pos]
}
