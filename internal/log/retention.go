package log

import (
	"fmt"
	"time"
)

// Truncate removes every record at or above offset, as a follower does when
// its log has diverged from the leader's (KIP-101). The batch holding
// offset is removed whole; the log end offset becomes offset. Leader epoch
// entries starting at or after offset are dropped and producer state is
// rebuilt for the shorter log. An offset at or beyond the log end only
// trims the leader epoch cache.
func (l *Log) Truncate(offset int64) error {
	if offset < 0 {
		return fmt.Errorf("truncate %s to negative offset %d", l.name(), offset)
	}
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usableLocked(); err != nil {
		return err
	}
	if err := l.materializeLocked(); err != nil {
		return err
	}
	if offset >= l.logEndOffset {
		return l.epochs.truncateFromEnd(l.logEndOffset)
	}
	l.truncations++
	l.cleanerOffset = min(l.cleanerOffset, offset)
	if l.segments[0].base > offset {
		return l.truncateFullyLocked(offset)
	}
	cfg := l.config()
	keep := l.floorSegment(offset)
	for _, s := range l.segments[keep+1:] {
		if err := s.remove(); err != nil {
			l.failed = storageErr("delete segment", s.path(logSuffix), err)
			return l.failed
		}
	}
	l.segments = l.segments[:keep+1]
	s := l.active()
	if _, err := s.truncateTo(offset, cfg); err != nil {
		l.failed = err
		return err
	}
	if err := s.activate(cfg); err != nil {
		l.failed = storageErr("open index", s.oidx.path, err)
		return l.failed
	}
	l.logEndOffset = offset
	l.recoveryPoint = min(l.recoveryPoint, offset)
	l.logStartOffset = min(l.logStartOffset, offset)
	l.highWatermark = min(l.highWatermark, offset)
	if err := l.epochs.truncateFromEnd(offset); err != nil {
		return err
	}
	if err := l.rebuildProducerStateLocked(offset, offset); err != nil {
		l.failed = err
		return err
	}
	l.logger.Info("truncated log", "offset", offset)
	return nil
}

// TruncateFullyAndStartAt deletes every segment and starts an empty log at
// offset, which becomes the log start, end and high watermark, as a
// follower does when the leader's log starts beyond its own end.
func (l *Log) TruncateFullyAndStartAt(offset int64) error {
	if offset < 0 {
		return fmt.Errorf("truncate %s to negative offset %d", l.name(), offset)
	}
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usableLocked(); err != nil {
		return err
	}
	if err := l.materializeLocked(); err != nil {
		return err
	}
	l.truncations++
	l.cleanerOffset = min(l.cleanerOffset, offset)
	return l.truncateFullyLocked(offset)
}

func (l *Log) truncateFullyLocked(offset int64) error {
	cfg := l.config()
	for _, s := range l.segments {
		if err := s.remove(); err != nil {
			l.failed = storageErr("delete segment", s.path(logSuffix), err)
			return l.failed
		}
	}
	l.segments = nil
	s, err := createSegment(l.dir, offset, cfg, l.nowMs(), l.jitter(cfg))
	if err != nil {
		l.failed = err
		return err
	}
	l.segments = []*segment{s}
	l.logStartOffset, l.logEndOffset, l.highWatermark, l.recoveryPoint = offset, offset, offset, offset
	if err := l.epochs.clear(); err != nil {
		return err
	}
	l.deleteSnapshotsOutside(offset+1, offset) // all of them
	l.producers.reset(offset)
	l.logger.Info("truncated log fully", "offset", offset)
	return nil
}

// DeleteRecordsBefore moves the log start offset up to offset (the
// DeleteRecords API); -1 means the high watermark. Offsets above the high
// watermark are ErrOffsetOutOfRange. Segments wholly below the new start
// are deleted at once. It returns the new log start offset.
func (l *Log) DeleteRecordsBefore(offset int64) (int64, error) {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usableLocked(); err != nil {
		return 0, err
	}
	if err := l.materializeLocked(); err != nil {
		return 0, err
	}
	if offset == -1 {
		offset = l.highWatermark
	}
	if offset < 0 || offset > l.highWatermark {
		return 0, fmt.Errorf("%w: cannot move the log start offset of %s to %d, beyond the high watermark %d",
			ErrOffsetOutOfRange, l.name(), offset, l.highWatermark)
	}
	if err := l.incrementLogStartLocked(offset); err != nil {
		return 0, err
	}
	if _, err := l.deleteSegmentsLocked(func(i int, s *segment) bool {
		return i+1 < len(l.segments) && l.segments[i+1].base <= l.logStartOffset
	}); err != nil {
		return 0, err
	}
	return l.logStartOffset, nil
}

func (l *Log) incrementLogStartLocked(offset int64) error {
	if offset <= l.logStartOffset {
		return nil
	}
	l.logStartOffset = offset
	l.logger.Info("incremented log start offset", "offset", offset)
	if err := l.epochs.truncateFromStart(offset); err != nil {
		return storageErr("write", l.epochs.path, err)
	}
	return nil
}

// ApplyRetention deletes whole segments, oldest first, that fall below the
// log start offset or (when cleanup.policy includes delete) exceed
// retention.bytes or are older than retention.ms, as Kafka's
// deleteOldSegments. A segment is only deleted when all of its offsets are
// below the high watermark, so the log start never passes it; the active
// segment is rolled first when everything is to go. It also expires idle
// producer state. It returns how many segments were deleted.
func (l *Log) ApplyRetention(now time.Time) (int, error) {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usableLocked(); err != nil {
		return 0, err
	}
	cfg := l.config()
	nowMs := now.UnixMilli()
	l.producers.removeExpired(nowMs, cfg.ProducerIDExpirationMs)
	if l.unmaterialized {
		return 0, nil // a new, empty log: nothing to delete
	}

	total, err := l.deleteSegmentsLocked(func(i int, s *segment) bool {
		return i+1 < len(l.segments) && l.segments[i+1].base <= l.logStartOffset
	})
	if err != nil || !cfg.Delete() {
		return total, err
	}
	if cfg.RetentionBytes >= 0 {
		diff := l.sizeLocked() - cfg.RetentionBytes
		if diff > 0 {
			n, err := l.deleteSegmentsLocked(func(_ int, s *segment) bool {
				if diff-s.size < 0 {
					return false
				}
				diff -= s.size
				return true
			})
			total += n
			if err != nil {
				return total, err
			}
		}
	}
	if cfg.RetentionMs >= 0 {
		n, err := l.deleteSegmentsLocked(func(_ int, s *segment) bool {
			return nowMs-s.largestTimestamp() > cfg.RetentionMs
		})
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// deleteSegmentsLocked deletes the leading segments for which pred holds,
// stopping at the first that does not, at an empty active segment, or at a
// segment not wholly below the high watermark. The log start offset moves
// to the first remaining segment.
func (l *Log) deleteSegmentsLocked(pred func(i int, s *segment) bool) (int, error) {
	n := 0
	for i, s := range l.segments {
		last := i == len(l.segments)-1
		if last && s.size == 0 {
			break
		}
		if l.highWatermark < l.segmentEnd(i) || !pred(i, s) {
			break
		}
		n++
	}
	if n == 0 {
		return 0, nil
	}
	cfg := l.config()
	if n == len(l.segments) {
		// Keep a segment: roll a new empty one at the log end first.
		if err := l.rollLocked(l.logEndOffset, cfg, l.nowMs()); err != nil {
			l.failed = err
			return 0, err
		}
	}
	doomed := append([]*segment(nil), l.segments[:n]...)
	l.segments = append([]*segment(nil), l.segments[n:]...)
	if err := l.incrementLogStartLocked(l.segments[0].base); err != nil {
		return 0, err
	}
	for _, s := range doomed {
		l.logger.Info("deleting segment", "segment", s.base, "size", s.size)
		if err := s.remove(); err != nil {
			l.failed = storageErr("delete segment", s.path(logSuffix), err)
			return 0, l.failed
		}
	}
	// Snapshots below the first remaining segment can no longer be used.
	l.deleteSnapshotsOutside(l.segments[0].base, l.logEndOffset)
	return n, nil
}
