package log

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// load opens the segments in the directory and brings the log to a
// consistent state (reference 11.2). With a clean shutdown marker the
// indexes are trusted and only the tail of the active segment after its
// last index entry is read to find the log end offset. Otherwise every
// segment holding offsets at or above the recovery point is re-read batch
// by batch; the first invalid batch or torn tail truncates the log there
// and later segments are deleted. Producer state is then rebuilt from the
// newest usable snapshot and the log after it.
func (l *Log) load(opts Options) error {
	start := l.now()
	cfg := l.config()
	nowMs := l.nowMs()
	l.stats = LoadStats{CleanShutdown: opts.CleanShutdown, ProducerSnapshotOffset: -1}

	bases, forced, err := l.tidyDirectory()
	if err != nil {
		return err
	}
	for _, b := range bases {
		s, err := openSegment(l.dir, b, nowMs, l.jitter(cfg))
		if err != nil {
			return err
		}
		l.segments = append(l.segments, s)
	}
	l.stats.Segments = len(l.segments)
	if len(l.segments) == 0 {
		base := max(opts.LogStartOffset, 0)
		s, err := createSegment(l.dir, base, cfg, nowMs, l.jitter(cfg))
		if err != nil {
			return err
		}
		l.segments = []*segment{s}
		l.logStartOffset, l.logEndOffset, l.recoveryPoint, l.highWatermark = base, base, base, base
		l.producers.reset(base)
		l.lastFlushMs = nowMs
		l.deleteSnapshotsOutside(base, base)
		return l.epochs.truncateFromEnd(base)
	}

	rp := max(opts.RecoveryPoint, 0)
	recoverFrom := len(l.segments)
	if !opts.CleanShutdown {
		for i := range l.segments {
			if i+1 == len(l.segments) || l.segments[i+1].base > rp {
				recoverFrom = i
				break
			}
		}
	}
	epochsChanged := false
	visit := func(e *entryInfo) {
		if e.magic == 2 && l.epochs.assignNoWrite(e.leaderEpoch, e.baseOffset) {
			epochsChanged = true
		}
	}
	var leo int64
	for i := 0; i < len(l.segments); i++ {
		s := l.segments[i]
		last := i == len(l.segments)-1
		limit := int64(math.MaxInt64)
		if !last {
			limit = l.segments[i+1].base
		}
		needs := i >= recoverFrom || forced[s.base] || !fileExists(s.oidx.path) || !fileExists(s.tidx.path)
		if !needs && last {
			if err := s.activate(cfg); err != nil {
				return storageErr("open index", s.oidx.path, err)
			}
			next, ok, err := s.nextOffset()
			if err != nil {
				return storageErr("read", s.path(logSuffix), err)
			}
			if ok {
				leo = next
				continue
			}
			l.logger.Warn("active segment does not end with a whole batch after a clean shutdown; recovering it", "segment", s.base)
			needs = true
		}
		if !needs {
			s.loadMaxTimestamp()
			continue
		}
		res, err := s.recover(cfg, last, limit, visit)
		if err != nil {
			return err
		}
		l.stats.RecoveredSegments++
		l.stats.RecoveredBytes += res.validBytes
		leo = res.nextOffset
		if res.truncatedBytes > 0 {
			l.stats.TruncatedBytes += res.truncatedBytes
			l.logger.Warn("truncated invalid tail of segment", "segment", s.base, "valid_bytes", res.validBytes,
				"truncated_bytes", res.truncatedBytes, "reason", res.reason)
			if !last {
				for _, d := range l.segments[i+1:] {
					l.logger.Warn("deleting segment after truncation point", "segment", d.base)
					if err := d.remove(); err != nil {
						return storageErr("delete segment", d.path(logSuffix), err)
					}
					l.stats.DeletedSegments++
				}
				l.segments = l.segments[:i+1]
				if err := s.activate(cfg); err != nil {
					return storageErr("open index", s.oidx.path, err)
				}
			}
		}
	}
	if len(l.segments) > 1 && l.active().size == 0 && leo < l.active().base {
		leo = l.active().base
	}
	if leo < l.active().base {
		leo = l.active().base
	}
	l.logEndOffset = leo

	if opts.LogStartOffset > leo {
		// The checkpointed start is beyond the data that survived: start
		// over there, as Kafka does when the log end falls below it.
		l.logger.Warn("log end offset is below the checkpointed log start offset; starting an empty log there",
			"log_end_offset", leo, "log_start_offset", opts.LogStartOffset)
		if err := l.truncateFullyLocked(opts.LogStartOffset); err != nil {
			return err
		}
		leo = l.logEndOffset
	}
	l.logStartOffset = min(max(opts.LogStartOffset, l.segments[0].base), leo)
	if opts.CleanShutdown {
		l.recoveryPoint = leo
	} else {
		l.recoveryPoint = min(rp, leo)
	}
	l.highWatermark = min(max(opts.HighWatermark, l.logStartOffset), leo)
	l.lastFlushMs = nowMs

	if epochsChanged {
		if err := l.epochs.write(); err != nil {
			return err
		}
	}
	if err := l.epochs.truncateFromEnd(leo); err != nil {
		return err
	}
	if err := l.epochs.truncateFromStart(l.logStartOffset); err != nil {
		return err
	}

	bound := leo
	if !opts.CleanShutdown {
		bound = min(rp, leo)
	}
	l.deleteSnapshotsOutside(0, leo)
	if err := l.rebuildProducerStateLocked(leo, bound); err != nil {
		return err
	}
	l.producers.removeExpired(nowMs, cfg.ProducerIDExpirationMs)

	l.stats.Duration = l.now().Sub(start)
	l.logger.Info("loaded partition log",
		"clean_shutdown", opts.CleanShutdown, "segments", len(l.segments),
		"recovered_segments", l.stats.RecoveredSegments, "truncated_bytes", l.stats.TruncatedBytes,
		"log_start_offset", l.logStartOffset, "log_end_offset", l.logEndOffset,
		"producer_snapshot", l.stats.ProducerSnapshotOffset, "replayed_batches", l.stats.ProducerBatchesReplayed,
		"duration", l.stats.Duration)
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// tidyDirectory finishes or undoes file operations a crash interrupted, as
// Kafka's LogLoader does: leftover .deleted and checkpoint .tmp files are
// removed; .cleaned files (a segment rewrite not yet swapped in) are
// removed along with any .swap file at or above the lowest .cleaned offset
// (a swap that had not finished renaming); the remaining .swap files are
// a rewrite that was complete, so the segment files they replace (those
// whose offset lies in [swap base, swap next offset)) are removed and the
// .swap files renamed into place, their segments re-validated. Index files
// without a .log are removed. It returns the base offsets of the .log
// files, ascending, and those whose segment must be recovered.
func (l *Log) tidyDirectory() ([]int64, map[int64]bool, error) {
	forced := map[int64]bool{}
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return nil, nil, storageErr("list", l.dir, err)
	}
	minCleaned := int64(math.MaxInt64)
	var cleaned, swaps []string
	for _, e := range ents {
		name := e.Name()
		p := filepath.Join(l.dir, name)
		switch {
		case e.IsDir():
		case strings.HasSuffix(name, deletedSuffix), strings.HasSuffix(name, ".tmp"):
			if err := os.Remove(p); err != nil {
				return nil, nil, storageErr("remove", p, err)
			}
		case strings.HasSuffix(name, cleanedSuffix):
			if off, ok := leadingOffset(name); ok {
				minCleaned = min(minCleaned, off)
			}
			cleaned = append(cleaned, name)
		case strings.HasSuffix(name, swapSuffix):
			swaps = append(swaps, name)
		}
	}
	var kept []string
	for _, name := range swaps {
		if off, ok := leadingOffset(name); ok && off < minCleaned {
			kept = append(kept, name)
			continue
		}
		l.logger.Warn("deleting swap file of an unfinished segment replacement", "file", name)
		if err := os.Remove(filepath.Join(l.dir, name)); err != nil {
			return nil, nil, storageErr("remove", name, err)
		}
	}
	for _, name := range cleaned {
		if err := os.Remove(filepath.Join(l.dir, name)); err != nil {
			return nil, nil, storageErr("remove", name, err)
		}
	}
	if len(kept) > 0 {
		if err := l.completeSwaps(kept, forced); err != nil {
			return nil, nil, err
		}
		if ents, err = os.ReadDir(l.dir); err != nil {
			return nil, nil, storageErr("list", l.dir, err)
		}
	}
	logs := map[int64]bool{}
	var bases []int64
	for _, e := range ents {
		if base, ok := parseOffsetName(e.Name(), logSuffix); ok && !e.IsDir() {
			logs[base] = true
			bases = append(bases, base)
		}
	}
	for _, e := range ents {
		for _, suf := range []string{indexSuffix, timeIndexSuffix, txnIndexSuffix} {
			if base, ok := parseOffsetName(e.Name(), suf); ok && !logs[base] {
				p := filepath.Join(l.dir, e.Name())
				if err := os.Remove(p); err != nil {
					return nil, nil, storageErr("remove", p, err)
				}
			}
		}
		if base, ok := parseOffsetName(e.Name(), logSuffix); ok && forced[base] {
			for _, suf := range []string{indexSuffix, timeIndexSuffix} {
				os.Remove(filepath.Join(l.dir, fileName(base, suf)))
			}
		}
	}
	slices.Sort(bases)
	return bases, forced, nil
}

// completeSwaps finishes segment replacements whose .swap files are all in
// place: the files of the segments they replace go, then the .swap files
// take their final names.
func (l *Log) completeSwaps(swaps []string, forced map[int64]bool) error {
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, name := range swaps {
		base, ok := parseOffsetName(strings.TrimSuffix(name, swapSuffix), logSuffix)
		if !ok {
			continue
		}
		next, err := nextOffsetOfFile(filepath.Join(l.dir, name), base)
		if err != nil {
			return storageErr("read", name, err)
		}
		lo, hi = min(lo, base), max(hi, next)
	}
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return storageErr("list", l.dir, err)
	}
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || strings.HasSuffix(name, swapSuffix) {
			continue
		}
		for _, suf := range []string{logSuffix, indexSuffix, timeIndexSuffix, txnIndexSuffix} {
			if off, ok := parseOffsetName(name, suf); ok && off >= lo && off < hi {
				l.logger.Info("deleting segment file replaced by an interrupted swap", "file", name)
				if err := os.Remove(filepath.Join(l.dir, name)); err != nil {
					return storageErr("remove", name, err)
				}
			}
		}
	}
	for _, name := range swaps {
		p := filepath.Join(l.dir, name)
		target := strings.TrimSuffix(p, swapSuffix)
		l.logger.Info("completing interrupted swap", "file", name)
		if err := os.Rename(p, target); err != nil {
			return storageErr("rename", p, err)
		}
		if base, ok := parseOffsetName(filepath.Base(target), logSuffix); ok {
			forced[base] = true
		}
	}
	return syncDir(l.dir)
}

// leadingOffset parses the 20-digit offset a segment file name starts
// with, whatever its suffixes.
func leadingOffset(name string) (int64, bool) {
	if len(name) < 21 || name[20] != '.' {
		return 0, false
	}
	off, err := strconv.ParseInt(name[:20], 10, 64)
	return off, err == nil && off >= 0
}

// nextOffsetOfFile returns the offset after the last whole entry of a
// segment file (base when it has none).
func nextOffsetOfFile(path string, base int64) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	next := base
	sc := newScanner(f, 0, st.Size(), false, 64<<10)
	for sc.next() {
		next = sc.cur.lastOffset + 1
	}
	return next, sc.err
}

// rebuildProducerStateLocked rebuilds the producer table for the log up to
// upTo: it loads the newest snapshot named at most snapshotBound (skipping
// and deleting unreadable ones) and replays the batch headers after it.
// Snapshots above upTo are deleted.
func (l *Log) rebuildProducerStateLocked(upTo, snapshotBound int64) error {
	cfg := l.config()
	l.deleteSnapshotsOutside(0, upTo)
	offs, err := listSnapshots(l.dir)
	if err != nil {
		return storageErr("list snapshots", l.dir, err)
	}
	first := l.segments[0].base
	from := first
	l.producers.reset(first)
	l.stats.ProducerSnapshotOffset = -1
	for i := len(offs) - 1; i >= 0; i-- {
		o := offs[i]
		if o > snapshotBound || o < first {
			continue
		}
		p := snapshotPath(l.dir, o)
		b, err := os.ReadFile(p)
		if err == nil {
			var entries []ProducerSnapshotEntry
			if entries, err = DecodeProducerSnapshot(b); err == nil {
				l.producers.loadSnapshot(entries, o, l.nowMs(), cfg.ProducerIDExpirationMs)
				l.stats.ProducerSnapshotOffset = o
				from = o
				break
			}
		}
		l.logger.Warn("ignoring unreadable producer snapshot", "path", p, "err", err)
		os.Remove(p)
	}
	if from < upTo {
		n, err := l.replayProducersLocked(from, upTo)
		if err != nil {
			return err
		}
		l.stats.ProducerBatchesReplayed += n
	}
	l.producers.mapEndOffset = upTo
	return nil
}

// replayProducersLocked applies the batch headers in [from, upTo) to the
// producer table without validation, as Kafka does for replicated data.
func (l *Log) replayProducersLocked(from, upTo int64) (int, error) {
	chk := l.producers.checker(false, false)
	n := 0
	for i, s := range l.segments {
		if l.segmentEnd(i) <= from && i+1 < len(l.segments) || s.base >= upTo {
			continue
		}
		start := int64(0)
		if from > s.base {
			e, err := s.oidx.lookup(from)
			if err != nil {
				return n, storageErr("read index", s.oidx.path, err)
			}
			if int64(e.Position) <= s.size {
				start = int64(e.Position)
			}
		}
		sc := newScanner(s.file.f, start, s.size, false, 64<<10)
		for sc.next() {
			e := &sc.cur
			if e.lastOffset < from {
				continue
			}
			if e.baseOffset >= upTo {
				break
			}
			if e.magic != 2 || e.hdr.ProducerID < 0 {
				continue
			}
			if err := chk.add(producerBatchOf(e.hdr)); err != nil {
				return n, err
			}
			n++
		}
		if sc.err != nil {
			return n, storageErr("read", s.path(logSuffix), sc.err)
		}
	}
	chk.commit()
	return n, nil
}
