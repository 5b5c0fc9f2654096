package log

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/kafkakit/kafkakit/internal/record"
)

// This file is the log cleaner: compaction of logs whose cleanup.policy
// includes compact, matching Kafka 3.9's LogCleaner and LogCleanerManager.
//
// A cleaning pass reads the dirty part of the log, [first dirty offset,
// first uncleanable offset), into an offset map (key → last offset), then
// rewrites every segment from the start of the log up to the end of what
// was mapped, in groups that fit segment.bytes and segment.index.bytes.
// Each group is written to <base>.log.cleaned (+ .index.cleaned,
// .timeindex.cleaned), fsynced, and swapped in with Kafka's crash-safe file
// protocol (.cleaned → .swap → old segments removed → final names); load
// finishes or undoes a swap a crash interrupted. Offsets never change:
// batches keep their base and last offsets, so the cleaned log has gaps.
//
// The cleaner reads segment files without the log lock (inactive segments
// never change in place except by truncation); it takes the write lock only
// to swap a group in, after checking that no truncation, retention or
// deletion touched the group meanwhile (otherwise the pass is abandoned and
// retried later, as Kafka aborts cleaning).

// CleanStats reports one cleaning pass.
type CleanStats struct {
	// Cleaned says whether segments were rewritten. It is false when the
	// log is not compacted, is empty, or is not dirty enough: its dirty
	// ratio is at most min.cleanable.dirty.ratio and no record is older
	// than max.compaction.lag.ms.
	Cleaned bool
	// Aborted says that a truncation, retention or deletion changed the
	// log during the pass; segments swapped in before that stay cleaned
	// but the checkpoint does not move.
	Aborted bool
	// FirstDirtyOffset and FirstUncleanableOffset bound the dirty part
	// considered; EndOffset is the first offset not cleaned, the new
	// cleaner-offset-checkpoint entry.
	FirstDirtyOffset       int64
	FirstUncleanableOffset int64
	EndOffset              int64
	// CleanableRatio is the share of the log's bytes that were dirty and
	// cleanable when the pass started; NeedCompactionNow says that
	// max.compaction.lag.ms made the log eligible whatever its ratio.
	CleanableRatio    float64
	NeedCompactionNow bool
	// KeysMapped is the number of distinct keys in the offset map.
	KeysMapped      int
	SegmentsRead    int
	SegmentsWritten int
	BytesRead       int64
	BytesWritten    int64
	RecordsRead     int64
	RecordsWritten  int64
	// InvalidRecords counts records without a key, which compaction drops
	// (Kafka counts them as invalid messages).
	InvalidRecords int64
	Duration       time.Duration
}

// DefaultDedupeBufferSize is log.cleaner.dedupe.buffer.size's default: the
// memory the offset maps of all cleaner threads may use together.
const DefaultDedupeBufferSize = 128 << 20

// Clean runs one cleaning pass at time now if the log is compacted and
// eligible (see CleanStats.Cleaned), as the background cleaner does, and
// returns what it did. It blocks until the pass is over; passes over the
// same log are serialized.
func (l *Log) Clean(now time.Time) (CleanStats, error) {
	return l.clean(context.Background(), now, DefaultDedupeBufferSize)
}

// CleanerOffset is the first offset the cleaner has not cleaned, the
// log's cleaner-offset-checkpoint entry; -1 when the log has never been
// cleaned.
func (l *Log) CleanerOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.cleanerOffset
}

// cleanable reports the plan of a pass at nowMs and whether the log is
// eligible for one.
func (l *Log) cleanable(nowMs int64) (cleanable, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	cfg := l.config()
	if l.closed || l.failed != nil || !cfg.Compact() {
		return cleanable{}, false
	}
	c := l.cleanableLocked(cfg, nowMs)
	return c, c.eligible(cfg)
}

// errCleanAborted stops a pass when the log changed under it.
var errCleanAborted = errors.New("cleaning aborted")

// cleanable is the plan of a pass, computed under the read lock as
// Kafka's LogCleanerManager.cleanableOffsets and LogToClean do.
type cleanable struct {
	firstDirty       int64
	firstUncleanable int64
	cleanBytes       int64 // bytes of segments before the first dirty offset
	cleanableBytes   int64 // bytes of segments holding [firstDirty, firstUncleanable)
	ratio            float64
	needNow          bool
}

func (c *cleanable) eligible(cfg Config) bool {
	total := c.cleanBytes + c.cleanableBytes
	if total <= 0 {
		return false
	}
	return (c.needNow && c.cleanableBytes > 0) || c.ratio > cfg.MinCleanableRatio
}

// CleanableRatio reports the share of the log's bytes that a cleaning pass
// at time now would treat as dirty, and whether max.compaction.lag.ms
// requires a pass; it is 0, false for a log that is not compacted.
func (l *Log) CleanableRatio(now time.Time) (ratio float64, needCompactionNow bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed || !l.config().Compact() {
		return 0, false
	}
	c := l.cleanableLocked(l.config(), now.UnixMilli())
	return c.ratio, c.needNow
}

// cleanableLocked computes the offsets and byte counts of a pass.
func (l *Log) cleanableLocked(cfg Config, nowMs int64) cleanable {
	// A checkpoint below the log start (retention or DeleteRecords moved
	// it) or beyond the log end (a truncated log) is reset to the start.
	firstDirty := l.cleanerOffset
	if firstDirty < l.logStartOffset || firstDirty > l.logEndOffset {
		firstDirty = l.logStartOffset
	}
	activeBase := l.active().base
	uncleanable := min(l.lastStableOffsetLocked(), activeBase)
	from := max(l.floorSegment(firstDirty), 0)
	if lag := max(cfg.MinCompactionLagMs, 0); lag > 0 {
		for _, s := range l.segments[from : len(l.segments)-1] {
			if s.largestTimestamp() > nowMs-lag {
				uncleanable = min(uncleanable, s.base)
				break
			}
		}
	}
	uncleanable = max(uncleanable, firstDirty)
	c := cleanable{firstDirty: firstDirty, firstUncleanable: uncleanable}

	for _, s := range l.segments {
		if s.base >= firstDirty {
			break
		}
		c.cleanBytes += s.size
	}
	// The cleanable bytes run to the base of the segment holding the first
	// uncleanable offset (the active segment when that is the log end).
	stop := activeBase
	if i := l.floorSegment(uncleanable); i >= 0 && i < len(l.segments)-1 {
		stop = l.segments[i].base
	}
	for i := max(l.floorSegment(min(firstDirty, stop)), 0); i < len(l.segments) && l.segments[i].base < stop; i++ {
		c.cleanableBytes += l.segments[i].size
	}
	if total := c.cleanBytes + c.cleanableBytes; total > 0 {
		c.ratio = float64(c.cleanableBytes) / float64(total)
	}

	// max.compaction.lag.ms: a dirty, inactive segment whose first batch
	// is older than the lag makes the log due now.
	earliest := int64(math.MaxInt64)
	for _, s := range l.segments[from : len(l.segments)-1] {
		if ts := s.firstBatchTimestamp(); ts > 0 && ts < earliest {
			earliest = ts
		}
	}
	cleanUntil := nowMs - max(cfg.MaxCompactionLagMs, 0)
	c.needNow = earliest < cleanUntil
	return c
}

// firstBatchTimestamp returns the max timestamp of the segment's first
// batch (what segment.ms and max.compaction.lag.ms look at), or -1. It
// reads the header when the segment has not cached it, without caching, so
// that callers holding only the read lock do not write to the segment.
func (s *segment) firstBatchTimestamp() int64 {
	if s.rollTimestampKnown {
		return s.rollTimestamp
	}
	if s.size == 0 {
		return -1
	}
	sc := newScanner(s.file.f, 0, s.size, false, record.HeaderSize)
	if sc.next() {
		return sc.cur.maxTimestamp
	}
	return -1
}

// activeProducer is what the cleaner needs to know of a producer to keep
// the batch holding its last sequence (Kafka's LastRecord).
type activeProducer struct {
	lastDataOffset int64 // -1 when its last entry is a transaction marker
	epoch          int16
}

// cleanSnapshot is the state a pass works from, taken under the read lock.
type cleanSnapshot struct {
	cfg       Config
	plan      cleanable
	segments  []*segment // every segment; file references held for the inactive ones
	sizes     []int64
	gen       int64 // truncation count, to detect truncations during the pass
	producers map[int64]activeProducer
}

// sizeOf returns the size s had when the pass started.
func (sn *cleanSnapshot) sizeOf(s *segment) int64 {
	for i, seg := range sn.segments {
		if seg == s {
			return sn.sizes[i]
		}
	}
	return s.size
}

func (l *Log) clean(ctx context.Context, now time.Time, dedupeBytes int64) (CleanStats, error) {
	l.cleanMu.Lock()
	defer l.cleanMu.Unlock()
	start := time.Now()
	nowMs := now.UnixMilli()

	l.mu.RLock()
	if err := l.usableLocked(); err != nil {
		l.mu.RUnlock()
		return CleanStats{}, err
	}
	cfg := l.config()
	if !cfg.Compact() {
		l.mu.RUnlock()
		return CleanStats{}, nil
	}
	plan := l.cleanableLocked(cfg, nowMs)
	stats := CleanStats{
		FirstDirtyOffset: plan.firstDirty, FirstUncleanableOffset: plan.firstUncleanable,
		EndOffset: plan.firstDirty, CleanableRatio: plan.ratio, NeedCompactionNow: plan.needNow,
	}
	if !plan.eligible(cfg) {
		l.mu.RUnlock()
		return stats, nil
	}
	snap := &cleanSnapshot{cfg: cfg, plan: plan, gen: l.truncations, producers: map[int64]activeProducer{}}
	for i, s := range l.segments {
		if i == len(l.segments)-1 {
			break // the active segment is never read
		}
		s.file.acquire()
		snap.segments = append(snap.segments, s)
		snap.sizes = append(snap.sizes, s.size)
	}
	for pid, e := range l.producers.producers {
		p := activeProducer{lastDataOffset: -1, epoch: e.epoch}
		if n := len(e.batches); n > 0 {
			p.lastDataOffset = e.batches[n-1].lastOffset
		}
		snap.producers[pid] = p
	}
	l.mu.RUnlock()
	defer func() {
		for _, s := range snap.segments {
			s.file.release()
		}
	}()

	c := &cleaner{l: l, ctx: ctx, snap: snap, nowMs: nowMs, stats: &stats}
	err := c.run(dedupeBytes)
	stats.Duration = time.Since(start)
	switch {
	case errors.Is(err, errCleanAborted):
		stats.Aborted = true
		l.logger.Info("log cleaning aborted", "first_dirty_offset", plan.firstDirty, "err", err)
		return stats, nil
	case err != nil:
		return stats, fmt.Errorf("clean %s: %w", l.name(), err)
	}
	l.mu.Lock()
	if l.truncations == snap.gen && !l.closed {
		l.cleanerOffset = stats.EndOffset
	}
	l.mu.Unlock()
	l.logger.Info("cleaned log", "first_dirty_offset", plan.firstDirty, "end_offset", stats.EndOffset,
		"segments_read", stats.SegmentsRead, "segments_written", stats.SegmentsWritten,
		"bytes_read", stats.BytesRead, "bytes_written", stats.BytesWritten,
		"records_read", stats.RecordsRead, "records_written", stats.RecordsWritten,
		"keys", stats.KeysMapped, "duration", stats.Duration)
	return stats, nil
}

// cleaner carries one pass.
type cleaner struct {
	l     *Log
	ctx   context.Context
	snap  *cleanSnapshot
	nowMs int64
	stats *CleanStats
	m     *offsetMap
	dec   record.Decoder
	txn   txnTracker
	buf   []byte // scan buffer

	builder *record.Builder // reused for rewritten batches
	out     []byte          // the last rewritten batch
}

// checkDone aborts the pass when the caller gives up or the log closes.
func (c *cleaner) checkDone() error {
	if err := c.ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", errCleanAborted, err)
	}
	if c.l.cleanAbort.Load() {
		return fmt.Errorf("%w: log closed", errCleanAborted)
	}
	return nil
}

// changed turns a read failure into an abort when the log was truncated
// during the pass, which can shorten a segment being read.
func (c *cleaner) changed(err error) error {
	c.l.mu.RLock()
	truncated := c.l.truncations != c.snap.gen
	c.l.mu.RUnlock()
	if truncated {
		return fmt.Errorf("%w: log truncated while read: %w", errCleanAborted, err)
	}
	return err
}

func (c *cleaner) run(dedupeBytes int64) error {
	c.dec.MaxDecompressedSize = int(min(c.snap.cfg.MaxUncompressedBatchBytes, math.MaxInt32))
	c.buf = make([]byte, 1<<20)
	c.m = newOffsetMap(dedupeBytes)
	if err := c.buildOffsetMap(); err != nil {
		return err
	}
	end := c.m.latest + 1
	c.stats.EndOffset = max(end, c.snap.plan.firstDirty)
	c.stats.KeysMapped = len(c.m.offs)
	c.stats.Cleaned = true

	var segs []*segment
	var sizes []int64
	for i, s := range c.snap.segments {
		if s.base >= end {
			break
		}
		segs = append(segs, s)
		sizes = append(sizes, c.snap.sizes[i])
	}
	c.txn = txnTracker{committed: map[int64]bool{}}
	for _, g := range groupSegments(segs, sizes, c.snap.cfg, c.snap.plan.firstUncleanable) {
		if err := c.cleanGroup(g); err != nil {
			return err
		}
	}
	return nil
}

// offsetMap maps each key of the dirty part to its last offset (Kafka's
// SkimpyOffsetMap, keyed by the key bytes rather than a hash). Its memory
// is bounded by log.cleaner.dedupe.buffer.size: when full, the pass
// stops mapping at a batch boundary and cleans only up to there.
type offsetMap struct {
	keys   map[string]int // key → index in offsets
	offs   []int64
	used   int64
	budget int64
	latest int64 // the last offset the map covers, -1 when empty
}

// mapEntryOverhead approximates the bytes a map entry takes besides its
// key: the string header, the offset and the map's bucket share.
const mapEntryOverhead = 48

func newOffsetMap(budget int64) *offsetMap {
	if budget <= 0 {
		budget = DefaultDedupeBufferSize
	}
	return &offsetMap{keys: map[string]int{}, budget: budget, latest: -1}
}

func (m *offsetMap) put(key []byte, offset int64) {
	if i, ok := m.keys[string(key)]; ok { // no allocation for known keys
		m.offs[i] = offset
		return
	}
	m.keys[string(key)] = len(m.offs)
	m.offs = append(m.offs, offset)
	m.used += int64(len(key)) + mapEntryOverhead
}

func (m *offsetMap) get(key []byte) (int64, bool) {
	if i, ok := m.keys[string(key)]; ok {
		return m.offs[i], true
	}
	return 0, false
}

func (m *offsetMap) full() bool { return m.used >= m.budget }

// buildOffsetMap maps the keys of [firstDirty, firstUncleanable), segment
// by segment, as Kafka's buildOffsetMap. Records at or beyond the first
// uncleanable offset are not mapped (Kafka maps the whole last dirty
// segment, which can let a record above the high watermark supersede a
// committed one; this cleaner never looks past the bound).
func (c *cleaner) buildOffsetMap() error {
	start, end := c.snap.plan.firstDirty, c.snap.plan.firstUncleanable
	if start >= end {
		return nil
	}
	var dirty []int
	for i, s := range c.snap.segments {
		segEnd := int64(math.MaxInt64)
		if i+1 < len(c.snap.segments) {
			segEnd = c.snap.segments[i+1].base
		}
		if s.base < end && segEnd > start {
			dirty = append(dirty, i)
		}
	}
	for n, i := range dirty {
		s := c.snap.segments[i]
		next := end
		if n+1 < len(dirty) {
			next = min(c.snap.segments[dirty[n+1]].base, end)
		}
		pos := int64(0)
		if start > s.base {
			e, err := s.oidx.lookup(start)
			if err != nil {
				return storageErr("read index", s.oidx.path, err)
			}
			if int64(e.Position) <= c.snap.sizes[i] {
				pos = int64(e.Position)
			}
		}
		full, err := c.mapSegment(s, pos, c.snap.sizes[i], start, end)
		if err != nil {
			return err
		}
		if full {
			return nil
		}
		// Offsets can have gaps: the map covers everything up to the
		// next dirty segment.
		c.m.latest = next - 1
	}
	return nil
}

// mapSegment adds the keys of one segment to the map. It reports whether
// the map filled up, in which case latest is the last offset of the last
// batch mapped completely.
func (c *cleaner) mapSegment(s *segment, pos, size, start, end int64) (bool, error) {
	sc := newScannerBuf(s.file.f, pos, size, c.buf)
	sc.full = true
	for sc.next() {
		if err := c.checkDone(); err != nil {
			return false, err
		}
		e := &sc.cur
		if e.baseOffset >= end {
			break
		}
		if e.lastOffset < start {
			continue
		}
		if c.m.full() {
			return true, nil
		}
		if e.magic == 2 && !record.ValidCRC(e.raw) {
			return false, c.changed(fmt.Errorf("%w: batch at position %d of %s: crc mismatch", ErrCorruptMessage, e.pos, s.path(logSuffix)))
		}
		if e.magic == 2 && !e.hdr.IsControl() {
			err := c.dec.EachRecord(record.Batch{Header: e.hdr, Raw: e.raw}, func(r *record.Record) error {
				if r.Key != nil && r.Offset >= start && r.Offset < end {
					c.m.put(r.Key, r.Offset)
				}
				return nil
			})
			if err != nil {
				return false, c.changed(fmt.Errorf("%w: batch at position %d of %s: %w", ErrCorruptMessage, e.pos, s.path(logSuffix), err))
			}
		}
		c.m.latest = min(e.lastOffset, end-1)
	}
	c.buf = sc.buf
	if sc.err != nil {
		return false, c.changed(storageErr("read", s.path(logSuffix), sc.err))
	}
	if sc.corrupt != nil || sc.torn {
		return false, c.changed(fmt.Errorf("%w: %s does not end with a whole batch at position %d", ErrCorruptMessage, s.path(logSuffix), sc.pos))
	}
	return false, nil
}

// groupSegments splits segments into runs that are rewritten into one
// segment each, as Kafka's groupSegmentsBySize: a run's .log bytes stay
// within segment.bytes, each of its indexes within segment.index.bytes,
// and its offsets within 2^31 of its base (relative offsets are int32).
func groupSegments(segs []*segment, sizes []int64, cfg Config, firstUncleanable int64) [][]*segment {
	var groups [][]*segment
	for i := 0; i < len(segs); {
		g := []*segment{segs[i]}
		logSize := sizes[i]
		idxSize, tidxSize := indexFileSize(segs[i].oidx.index), indexFileSize(segs[i].tidx.index)
		j := i + 1
		for ; j < len(segs); j++ {
			s := segs[j]
			lastOffset := firstUncleanable - 1
			if j+1 < len(segs) {
				lastOffset = segs[j+1].base - 1
			}
			ix, tx := indexFileSize(s.oidx.index), indexFileSize(s.tidx.index)
			if logSize+sizes[j] > cfg.SegmentBytes ||
				idxSize+ix > int64(cfg.SegmentIndexBytes) || tidxSize+tx > int64(cfg.SegmentIndexBytes) ||
				(sizes[j] > 0 && lastOffset-g[0].base > math.MaxInt32) {
				break
			}
			g = append(g, s)
			logSize += sizes[j]
			idxSize += ix
			tidxSize += tx
		}
		groups = append(groups, g)
		i = j
	}
	return groups
}

// indexFileSize is the size of an inactive segment's index: its entries.
func indexFileSize(ix *index) int64 {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.loaded {
		return int64(len(ix.buf))
	}
	st, err := os.Stat(ix.path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// txnTracker decides when transaction markers may go, as Kafka's
// CleanedTransactionMetadata does for committed transactions: a COMMIT
// marker may be removed (after the delete horizon) once no data of its
// transaction is left before it. Aborted transactions are not tracked
// (there is no .txnindex), so ABORT markers and aborted data are kept.
type txnTracker struct {
	committed map[int64]bool // producers with transactional data seen since their last marker
}

func (t *txnTracker) onBatch(h record.Header) {
	if h.IsTransactional() {
		t.committed[h.ProducerID] = true
	}
}

// onControl reports whether a control batch may be discarded.
func (t *txnTracker) onControl(b record.Batch) bool {
	var key []byte
	found := false
	errStop := errors.New("stop")
	b.EachRecord(func(r *record.Record) error {
		key, found = append([]byte(nil), r.Key...), true
		return errStop
	})
	if !found {
		return true // an empty control batch was cleaned before
	}
	k, err := record.ParseControlKey(key)
	if err != nil {
		return false
	}
	switch k.Type {
	case record.ControlCommit:
		seen := t.committed[b.ProducerID]
		delete(t.committed, b.ProducerID)
		return !seen
	case record.ControlAbort:
		delete(t.committed, b.ProducerID)
	}
	return false
}

// cleanedSegment is the result of rewriting one group.
type cleanedSegment struct {
	base               int64
	size               int64
	maxTimestamp       int64
	maxTimestampOffset int64
	rollTimestamp      int64
	obuf, tbuf         []byte
}

// cleanGroup rewrites a group of segments into one and swaps it in.
func (c *cleaner) cleanGroup(group []*segment) error {
	l := c.l
	base := group[0].base
	cs := &cleanedSegment{base: base, maxTimestamp: -1, maxTimestampOffset: -1, rollTimestamp: -1}
	logPath := filepath.Join(l.dir, fileName(base, logSuffix)+cleanedSuffix)
	f, err := os.OpenFile(logPath, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return storageErr("create", logPath, err)
	}
	ok := false
	defer func() {
		f.Close()
		if !ok {
			removeCleaned(l.dir, base)
		}
	}()
	w := &cleanedWriter{bw: bufio.NewWriterSize(f, 256<<10), cs: cs, interval: int64(c.snap.cfg.IndexIntervalBytes)}
	for _, s := range group {
		if err := c.cleanInto(s, w); err != nil {
			return err
		}
		c.stats.SegmentsRead++
	}
	if err := w.bw.Flush(); err != nil {
		return storageErr("write", logPath, err)
	}
	if cs.maxTimestamp >= 0 {
		// The final time index entry a segment gets when it stops being
		// active (Kafka's onBecomeInactiveSegment).
		cs.tbuf = appendTimeEntryIfLater(cs.tbuf, cs.maxTimestamp, cs.maxTimestampOffset-base)
	}
	for _, ix := range []struct {
		suffix string
		b      []byte
	}{{indexSuffix, cs.obuf}, {timeIndexSuffix, cs.tbuf}} {
		p := filepath.Join(l.dir, fileName(base, ix.suffix)+cleanedSuffix)
		if err := writeFileSync(p, ix.b); err != nil {
			return storageErr("write", p, err)
		}
	}
	// Everything reaches the disk before the swap makes it the segment.
	if err := f.Sync(); err != nil {
		return storageErr("flush", logPath, err)
	}
	if st, err := os.Stat(group[len(group)-1].path(logSuffix)); err == nil {
		// Keep the replaced segments' modification time, which time
		// retention falls back to, as Kafka does.
		os.Chtimes(logPath, st.ModTime(), st.ModTime())
	}
	if err := l.cleanStep(stepCleaned); err != nil {
		return err
	}
	if err := c.checkDone(); err != nil {
		return err
	}
	state, err := l.swapCleaned(group, c.snap.gen, cs)
	switch state {
	case swapDone:
		c.stats.SegmentsWritten++
		c.stats.BytesWritten += cs.size
		ok = true
	case swapStarted:
		// Part way through the protocol: the files stay for load to
		// finish or undo, as after a crash.
		ok = true
	}
	return err
}

// cleanedWriter appends retained batches to the .cleaned log and builds
// its indexes with the same sparse rule as appends and recovery.
type cleanedWriter struct {
	bw           *bufio.Writer
	cs           *cleanedSegment
	interval     int64
	lastIndexPos int64
}

func (w *cleanedWriter) write(b []byte, lastOffset, maxTimestamp int64) error {
	cs := w.cs
	pos := cs.size
	if _, err := w.bw.Write(b); err != nil {
		return err
	}
	if pos == 0 {
		cs.rollTimestamp = maxTimestamp
	}
	if maxTimestamp > cs.maxTimestamp {
		cs.maxTimestamp, cs.maxTimestampOffset = maxTimestamp, lastOffset
	}
	if pos-w.lastIndexPos > w.interval {
		cs.obuf = appendOffsetEntry(cs.obuf, lastOffset-cs.base, pos)
		cs.tbuf = appendTimeEntryIfLater(cs.tbuf, cs.maxTimestamp, cs.maxTimestampOffset-cs.base)
		w.lastIndexPos = pos
	}
	cs.size += int64(len(b))
	return nil
}

// cleanInto copies what survives of one source segment into w, as
// Kafka's cleanInto with its RecordFilter.
func (c *cleaner) cleanInto(s *segment, w *cleanedWriter) error {
	sc := newScannerBuf(s.file.f, 0, c.snap.sizeOf(s), c.buf)
	sc.full = true
	for sc.next() {
		if err := c.checkDone(); err != nil {
			return err
		}
		e := &sc.cur
		c.stats.BytesRead += e.size
		var out []byte
		if e.magic != 2 {
			// Legacy (magic 0/1) entries from old Kafka segments are kept
			// as they are: this log writes only v2 batches.
			out = e.raw
			c.stats.RecordsRead++
			c.stats.RecordsWritten++
		} else {
			var err error
			if out, err = c.filterBatch(e); err != nil {
				return c.changed(fmt.Errorf("%w: batch at position %d of %s: %w", ErrCorruptMessage, e.pos, s.path(logSuffix), err))
			}
		}
		if out == nil {
			continue
		}
		maxTs := e.maxTimestamp
		if e.magic == 2 {
			if h, err := record.ParseHeader(out); err == nil {
				maxTs = h.MaxTimestamp
			}
		}
		if err := w.write(out, e.lastOffset, maxTs); err != nil {
			return storageErr("write", s.path(logSuffix)+cleanedSuffix, err)
		}
	}
	c.buf = sc.buf
	if sc.err != nil {
		return c.changed(storageErr("read", s.path(logSuffix), sc.err))
	}
	if sc.corrupt != nil || sc.torn {
		return c.changed(fmt.Errorf("%w: %s does not end with a whole batch at position %d", ErrCorruptMessage, s.path(logSuffix), sc.pos))
	}
	return nil
}

// Batch retention decisions (Kafka's RecordFilter.BatchRetention).
const (
	deleteBatch      = iota // drop the batch without looking at its records
	retainEmptyBatch        // keep the header even if no record survives
	deleteEmptyBatch        // drop the batch if no record survives
)

// filterBatch decides what remains of one v2 batch: nil when it goes, the
// original bytes when all of it stays, or a rewritten batch holding the
// surviving records (same codec, base offset, last offset, producer fields
// and leader epoch; the delete horizon set when tombstones or a removable
// marker stay, KIP-534).
func (c *cleaner) filterBatch(e *entryInfo) ([]byte, error) {
	h := e.hdr
	if !record.ValidCRC(e.raw) {
		// Rewriting would give corrupt records a valid CRC.
		return nil, fmt.Errorf("crc mismatch (stored %#08x)", h.CRC)
	}
	batch := record.Batch{Header: h, Raw: e.raw}
	control := h.IsControl()
	canDiscard := false
	if control {
		canDiscard = c.txn.onControl(batch)
	} else {
		c.txn.onBatch(h)
	}
	horizon, hasHorizon := h.DeleteHorizonMs()
	discardRecords := control && canDiscard && hasHorizon && horizon <= c.nowMs

	retention := deleteEmptyBatch
	switch {
	case h.ProducerID >= 0 && c.lastBatchOfProducer(h):
		// Keep the batch holding an active producer's last sequence (or
		// its last marker, for fencing), even if emptied.
		retention = retainEmptyBatch
	case h.NextOffset() == c.snap.plan.firstUncleanable:
		// Keep the last batch of the round so the offset it ends at is
		// not lost.
		retention = retainEmptyBatch
	case discardRecords:
		retention = deleteBatch
	}
	if retention == deleteBatch {
		return nil, nil
	}

	if c.builder == nil {
		c.builder = record.NewBuilder(h.Codec())
	}
	b := c.builder
	b.Reset()
	b.Codec = h.Codec()
	b.DeleteHorizonMs = -1
	b.BaseOffset = h.BaseOffset
	b.PartitionLeaderEpoch = h.PartitionLeaderEpoch
	b.ProducerID, b.ProducerEpoch, b.BaseSequence = h.ProducerID, h.ProducerEpoch, h.BaseSequence
	b.Transactional, b.Control = h.IsTransactional(), control
	b.TimestampType = h.TimestampType()
	b.LogAppendTime = 0
	if b.TimestampType == record.LogAppendTime {
		b.LogAppendTime = h.MaxTimestamp
	}
	writeOriginal := true
	tombstones := false
	retained := 0
	err := c.dec.EachRecord(batch, func(r *record.Record) error {
		c.stats.RecordsRead++
		keep := false
		switch {
		case discardRecords:
		case control:
			keep = true
		default:
			keep = c.retainRecord(h, r)
		}
		if !keep {
			writeOriginal = false
			return nil
		}
		retained++
		if r.Value == nil {
			tombstones = true
		}
		return b.AddWithOffsetDelta(r.OffsetDelta, record.Record{
			Timestamp: r.Timestamp, Attributes: r.Attributes, Key: r.Key, Value: r.Value, Headers: r.Headers,
		})
	})
	if err != nil {
		return nil, err
	}
	if retained == 0 {
		if retention == retainEmptyBatch {
			return emptyBatch(h)
		}
		return nil, nil
	}
	c.stats.RecordsWritten += int64(retained)
	needHorizon := (tombstones || (canDiscard && control)) && !hasHorizon
	if writeOriginal && !needHorizon {
		return e.raw, nil
	}
	switch {
	case needHorizon:
		b.DeleteHorizonMs = satAdd(c.nowMs, c.snap.cfg.DeleteRetentionMs)
	case hasHorizon:
		b.DeleteHorizonMs = horizon
	}
	out, err := b.AppendTo(c.out[:0])
	if err != nil {
		return nil, err
	}
	c.out = out // written out before the next batch is built
	if out, err = keepLastOffset(out, h.LastOffsetDelta); err != nil {
		return nil, err
	}
	return out, nil
}

// retainRecord is Kafka's Cleaner.shouldRetainRecord: a record survives
// if it lies beyond what the map covers, or it is the latest for its key
// and either has a value or is a tombstone whose delete horizon has not
// passed (or has none yet). Records without a key are dropped.
func (c *cleaner) retainRecord(h record.Header, r *record.Record) bool {
	if r.Offset > c.m.latest {
		return true
	}
	if r.Key == nil {
		c.stats.InvalidRecords++
		return false
	}
	if latest, ok := c.m.get(r.Key); ok && r.Offset < latest {
		return false
	}
	if r.Value != nil {
		return true
	}
	horizon, ok := h.DeleteHorizonMs()
	return !ok || c.nowMs < horizon
}

// lastBatchOfProducer reports whether h holds the last data of an active
// producer, or is the last marker of one whose last entry is a marker.
func (c *cleaner) lastBatchOfProducer(h record.Header) bool {
	p, ok := c.snap.producers[h.ProducerID]
	if !ok {
		return false
	}
	if p.lastDataOffset >= 0 {
		return h.LastOffset() == p.lastDataOffset
	}
	return h.IsControl() && h.ProducerEpoch == p.epoch
}

// keepLastOffset restores the original lastOffsetDelta of a rewritten
// batch, so the batch still ends where it did and the producer's last
// sequence survives (Kafka's overrideLastOffset).
func keepLastOffset(b []byte, lastOffsetDelta int32) ([]byte, error) {
	h, err := record.ParseHeader(b)
	if err != nil {
		return nil, err
	}
	if h.LastOffsetDelta != lastOffsetDelta {
		setLastOffsetDelta(b, lastOffsetDelta)
	}
	return b, nil
}

// emptyBatch is the 61-byte header Kafka writes for a batch retained
// without records (DefaultRecordBatch.writeEmptyHeader): same offsets,
// producer fields, leader epoch, flags and max timestamp, no codec, base
// timestamp -1, zero records.
func emptyBatch(h record.Header) ([]byte, error) {
	b := record.NewBuilder(record.CodecNone)
	b.BaseOffset = h.BaseOffset
	b.PartitionLeaderEpoch = h.PartitionLeaderEpoch
	b.ProducerID, b.ProducerEpoch, b.BaseSequence = h.ProducerID, h.ProducerEpoch, h.BaseSequence
	b.Transactional, b.Control = h.IsTransactional(), h.IsControl()
	b.TimestampType = h.TimestampType()
	if b.TimestampType == record.LogAppendTime {
		b.LogAppendTime = h.MaxTimestamp
	}
	out, err := b.Build()
	if err != nil {
		return nil, err
	}
	setMaxTimestamp(out, h.MaxTimestamp)
	setLastOffsetDelta(out, h.LastOffsetDelta)
	return out, nil
}

// writeFileSync writes data to path and fsyncs it.
func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// removeCleaned deletes the .cleaned files of an abandoned rewrite.
func removeCleaned(dir string, base int64) {
	for _, suf := range []string{logSuffix, indexSuffix, timeIndexSuffix} {
		os.Remove(filepath.Join(dir, fileName(base, suf)+cleanedSuffix))
	}
}

// Steps of the swap protocol, named for the crash tests.
const (
	stepCleaned       = "cleaned files written"
	stepSwapLog       = "rename .log.cleaned to .log.swap"
	stepSwapIndex     = "rename .index.cleaned to .index.swap"
	stepSwapTimeIndex = "rename .timeindex.cleaned to .timeindex.swap"
	stepDeleteOld     = "delete a replaced segment"
	stepFinalLog      = "rename .log.swap to .log"
	stepFinalIndex    = "rename .index.swap to .index"
	stepFinalTimeIdx  = "rename .timeindex.swap to .timeindex"
)

// How far swapCleaned got.
const (
	swapNotStarted = iota // nothing renamed; the .cleaned files can go
	swapStarted           // stopped part way; the files are left for load
	swapDone
)

// swapCleaned replaces group with the cleaned segment, under the write
// lock, with Kafka's replaceSegments protocol: the .cleaned files become
// .swap, the replaced segments' files are removed, and the .swap files
// take their final names (replacing the files of the segment with the same
// base offset); then the directory is fsynced. A crash at any point leaves
// files that load completes or undoes (see tidyDirectory). If the group
// no longer matches the log (truncated, retention, closed), nothing is
// renamed and errCleanAborted is returned. It reports how far it got.
func (l *Log) swapCleaned(group []*segment, gen int64, cs *cleanedSegment) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usableLocked(); err != nil {
		return swapNotStarted, fmt.Errorf("%w: %w", errCleanAborted, err)
	}
	if l.truncations != gen {
		return swapNotStarted, fmt.Errorf("%w: log truncated", errCleanAborted)
	}
	at := -1
	for i, s := range l.segments {
		if s == group[0] {
			at = i
			break
		}
	}
	if at < 0 || at+len(group) >= len(l.segments) {
		return swapNotStarted, fmt.Errorf("%w: segment %d was deleted", errCleanAborted, group[0].base)
	}
	for k, s := range group {
		if l.segments[at+k] != s {
			return swapNotStarted, fmt.Errorf("%w: segment %d was deleted", errCleanAborted, s.base)
		}
	}

	base := cs.base
	name := func(suffix, state string) string { return filepath.Join(l.dir, fileName(base, suffix)+state) }
	fail := func(op, path string, err error) (int, error) {
		// The files are part way through the protocol: the log is
		// inconsistent with its directory until reloaded.
		l.failed = storageErr(op, path, err)
		return swapStarted, l.failed
	}
	for _, st := range []struct{ step, suffix string }{
		{stepSwapLog, logSuffix}, {stepSwapIndex, indexSuffix}, {stepSwapTimeIndex, timeIndexSuffix},
	} {
		if err := l.cleanStep(st.step); err != nil {
			return swapStarted, err
		}
		if err := os.Rename(name(st.suffix, cleanedSuffix), name(st.suffix, swapSuffix)); err != nil {
			return fail("rename", name(st.suffix, cleanedSuffix), err)
		}
	}
	for _, s := range group {
		if s.base == base {
			continue // replaced by the rename below
		}
		if err := l.cleanStep(stepDeleteOld); err != nil {
			return swapStarted, err
		}
		if err := s.remove(); err != nil {
			return fail("delete segment", s.path(logSuffix), err)
		}
	}
	for _, st := range []struct{ step, suffix string }{
		{stepFinalLog, logSuffix}, {stepFinalIndex, indexSuffix}, {stepFinalTimeIdx, timeIndexSuffix},
	} {
		if err := l.cleanStep(st.step); err != nil {
			return swapStarted, err
		}
		if err := os.Rename(name(st.suffix, swapSuffix), name(st.suffix, "")); err != nil {
			return fail("rename", name(st.suffix, swapSuffix), err)
		}
	}
	os.Remove(name(txnIndexSuffix, ""))
	if err := syncDir(l.dir); err != nil {
		return fail("flush", l.dir, err)
	}

	nf, err := os.OpenFile(name(logSuffix, ""), os.O_RDWR, 0)
	if err != nil {
		return fail("open segment", name(logSuffix, ""), err)
	}
	old := group[0]
	s := newSegmentStruct(l.dir, base, nf, old.createdMs, old.jitterMs)
	s.size = cs.size
	s.maxTimestamp, s.maxTimestampOffset = cs.maxTimestamp, cs.maxTimestampOffset
	s.rollTimestamp, s.rollTimestampKnown = cs.rollTimestamp, true
	s.oidx.buf, s.oidx.written, s.oidx.loaded = cs.obuf, len(cs.obuf), true
	s.tidx.buf, s.tidx.written, s.tidx.loaded = cs.tbuf, len(cs.tbuf), true
	segs := make([]*segment, 0, len(l.segments)-len(group)+1)
	segs = append(segs, l.segments[:at]...)
	segs = append(segs, s)
	segs = append(segs, l.segments[at+len(group):]...)
	l.segments = segs
	if old.base == base {
		old.oidx.closeFile()
		old.tidx.closeFile()
		old.file.release()
	}
	l.logger.Debug("swapped in cleaned segment", "segment", base, "replaced", len(group), "size", cs.size)
	return swapDone, nil
}

// cleanStep runs the crash-test hook before a step of the swap protocol.
func (l *Log) cleanStep(step string) error {
	if l.cleanHook == nil {
		return nil
	}
	return l.cleanHook(step)
}
