package log

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
)

// Segment file suffixes.
const (
	logSuffix       = ".log"
	indexSuffix     = ".index"
	timeIndexSuffix = ".timeindex"
	txnIndexSuffix  = ".txnindex"
	deletedSuffix   = ".deleted"
	cleanedSuffix   = ".cleaned"
	swapSuffix      = ".swap"
)

// segFile is a segment's .log file shared between the segment and the
// readers it has handed regions of. The descriptor is closed when the last
// holder releases it, so a reader may finish sending a region after
// retention or truncation has removed the segment (the unlinked file stays
// readable while open).
type segFile struct {
	f    *os.File
	refs atomic.Int64
}

func newSegFile(f *os.File) *segFile {
	s := &segFile{f: f}
	s.refs.Store(1)
	return s
}

func (s *segFile) acquire() { s.refs.Add(1) }

func (s *segFile) release() {
	if s.refs.Add(-1) == 0 && s.f != nil {
		s.f.Close()
	}
}

// segment is one <base>.log with its .index and .timeindex. All fields are
// guarded by the owning Log's lock: written under the write lock, read
// under at least the read lock.
type segment struct {
	dir  string
	base int64
	file *segFile
	size int64 // bytes of whole batches in the .log
	oidx offsetIndex
	tidx timeIndex

	// maxTimestamp is the largest batch max timestamp in the segment and
	// maxTimestampOffset the last offset of the batch that carries it
	// (-1, -1 when unknown or none).
	maxTimestamp       int64
	maxTimestampOffset int64
	// rollTimestamp is the max timestamp of the first batch, used by the
	// segment.ms check (reference 8.2); rollTimestampKnown says whether it
	// has been read.
	rollTimestamp      int64
	rollTimestampKnown bool
	createdMs          int64
	jitterMs           int64
	bytesSinceIndex    int64
}

func (s *segment) path(suffix string) string {
	return filepath.Join(s.dir, fileName(s.base, suffix))
}

func newSegmentStruct(dir string, base int64, f *os.File, nowMs, jitterMs int64) *segment {
	s := &segment{
		dir: dir, base: base, file: newSegFile(f),
		maxTimestamp: -1, maxTimestampOffset: -1, rollTimestamp: -1,
		createdMs: nowMs, jitterMs: jitterMs,
	}
	s.oidx = newOffsetIndex(s.path(indexSuffix), base)
	s.tidx = newTimeIndex(s.path(timeIndexSuffix), base)
	return s
}

// createSegment makes a new, empty active segment at base, replacing any
// files left with that name.
func createSegment(dir string, base int64, cfg Config, nowMs, jitterMs int64) (*segment, error) {
	p := filepath.Join(dir, fileName(base, logSuffix))
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, storageErr("create segment", p, err)
	}
	s := newSegmentStruct(dir, base, f, nowMs, jitterMs)
	s.rollTimestampKnown = true
	if err := s.oidx.create(cfg.SegmentIndexBytes, false); err != nil {
		s.file.release()
		return nil, storageErr("create index", s.oidx.path, err)
	}
	if err := s.tidx.create(cfg.SegmentIndexBytes, false); err != nil {
		s.oidx.closeFile()
		s.file.release()
		return nil, storageErr("create index", s.tidx.path, err)
	}
	os.Remove(s.path(txnIndexSuffix))
	return s, nil
}

// newLazySegment is the empty first segment of a log made by Log.create:
// neither its .log nor its indexes exist yet (see materializeLocked and
// index.lazy).
func newLazySegment(dir string, base int64, cfg Config, nowMs, jitterMs int64) *segment {
	s := newSegmentStruct(dir, base, nil, nowMs, jitterMs)
	s.rollTimestampKnown = true
	s.oidx.create(cfg.SegmentIndexBytes, true)
	s.tidx.create(cfg.SegmentIndexBytes, true)
	return s
}

// openSegment opens an existing .log; its indexes are read on demand.
func openSegment(dir string, base int64, nowMs, jitterMs int64) (*segment, error) {
	p := filepath.Join(dir, fileName(base, logSuffix))
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return nil, storageErr("open segment", p, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, storageErr("stat segment", p, err)
	}
	s := newSegmentStruct(dir, base, f, nowMs, jitterMs)
	s.size = st.Size()
	return s, nil
}

// appendedBatch locates one batch inside an append.
type appendedBatch struct {
	rel          int64 // position within the appended bytes
	size         int64
	lastOffset   int64
	maxTimestamp int64
}

// append writes data (whole batches) at the end of the segment and indexes
// them with Kafka's sparse rule: a batch gets an offset index entry (its
// last offset, its position) when more than index.interval.bytes were
// written since the previous entry, and the time index gets the max
// timestamp seen so far at the same moment.
func (s *segment) append(data []byte, batches []appendedBatch, interval int32) error {
	start := s.size
	if err := s.write(data, start); err != nil {
		return err
	}
	return s.appended(start, batches, int64(len(data)), interval)
}

// write writes data at position at of the .log without changing the
// segment's state, so the log's lock need not be held (the caller owns the
// end of the file). A failed write is cut off again so no partial batch
// remains.
func (s *segment) write(data []byte, at int64) error {
	if _, err := s.file.f.WriteAt(data, at); err != nil {
		if terr := s.file.f.Truncate(at); terr != nil {
			return storageErr("append and roll back", s.path(logSuffix), errors.Join(err, terr))
		}
		return storageErr("append", s.path(logSuffix), err)
	}
	return nil
}

// appended records size bytes of batches written at start (the end of the
// segment): the segment's size, its roll timestamp and its indexes.
func (s *segment) appended(start int64, batches []appendedBatch, size int64, interval int32) error {
	if start == 0 && len(batches) > 0 {
		maxTs := int64(-1)
		for _, b := range batches {
			maxTs = max(maxTs, b.maxTimestamp)
		}
		s.rollTimestamp, s.rollTimestampKnown = maxTs, true
	}
	s.size += size
	for _, b := range batches {
		if err := s.indexBatch(start+b.rel, b.size, b.lastOffset, b.maxTimestamp, interval); err != nil {
			return storageErr("index", s.path(indexSuffix), err)
		}
	}
	return nil
}

func (s *segment) indexBatch(pos, size, lastOffset, maxTimestamp int64, interval int32) error {
	if maxTimestamp > s.maxTimestamp {
		s.maxTimestamp, s.maxTimestampOffset = maxTimestamp, lastOffset
	}
	if s.bytesSinceIndex > int64(interval) {
		if err := s.oidx.append(lastOffset, int32(pos)); err != nil {
			return err
		}
		if err := s.tidx.maybeAppend(s.maxTimestamp, s.maxTimestampOffset, false); err != nil {
			return err
		}
		s.bytesSinceIndex = 0
	}
	s.bytesSinceIndex += size
	return nil
}

// canHoldOffset reports whether offset can be stored relative to the base
// in the indexes' 4-byte fields.
func (s *segment) canHoldOffset(offset int64) bool {
	d := offset - s.base
	return d >= 0 && d <= math.MaxInt32
}

// loadRollTimestamp reads the first batch's max timestamp if not known.
func (s *segment) loadRollTimestamp() {
	if s.rollTimestampKnown {
		return
	}
	sc := newScanner(s.file.f, 0, s.size, false, 128)
	if sc.next() {
		s.rollTimestamp = sc.cur.maxTimestamp
	}
	s.rollTimestampKnown = true
}

// shouldRoll applies Kafka's roll conditions (reference 11.1) before an
// append of size bytes whose largest timestamp is maxTs and largest offset
// lastOffset.
func (s *segment) shouldRoll(cfg Config, size, maxTs, lastOffset, nowMs int64) bool {
	if s.size > cfg.SegmentBytes-size {
		return true
	}
	if s.size > 0 {
		s.loadRollTimestamp()
		elapsed := nowMs - s.createdMs
		if s.rollTimestamp >= 0 {
			elapsed = maxTs - s.rollTimestamp
		}
		if elapsed > cfg.SegmentMs-s.jitterMs {
			return true
		}
	}
	return s.oidx.isFull() || s.tidx.isFull() || !s.canHoldOffset(lastOffset)
}

// deactivate is called when the segment stops being the active one (roll or
// close): the time index gets the final max-timestamp entry and both
// indexes are trimmed to their entries, as Kafka's onBecomeInactiveSegment.
func (s *segment) deactivate(sync bool) error {
	if s.maxTimestamp >= 0 {
		if err := s.tidx.maybeAppend(s.maxTimestamp, s.maxTimestampOffset, true); err != nil {
			return err
		}
	}
	if err := s.oidx.deactivate(sync); err != nil {
		return err
	}
	return s.tidx.deactivate(sync)
}

// activate loads the indexes and opens them for appends, pre-allocated.
func (s *segment) activate(cfg Config) error {
	if err := s.oidx.activate(cfg.SegmentIndexBytes); err != nil {
		return err
	}
	return s.tidx.activate(cfg.SegmentIndexBytes)
}

// flush fsyncs the .log and both indexes.
func (s *segment) flush() error {
	if s.file.f == nil {
		return nil // a new log's segment, not created yet
	}
	if err := s.file.f.Sync(); err != nil {
		return err
	}
	for _, ix := range []*index{s.oidx.index, s.tidx.index} {
		ix.mu.Lock()
		active := ix.activeLocked()
		ix.mu.Unlock()
		if active {
			if err := ix.sync(); err != nil {
				return err
			}
			continue
		}
		if err := syncPath(ix.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

func syncPath(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// translateOffset finds the first batch whose last offset is at least
// offset, starting from the offset index; it returns that batch's position
// and size. buf, if not nil, is used to read headers.
func (s *segment) translateOffset(offset int64, buf []byte) (pos, size int64, found bool, err error) {
	e, err := s.oidx.lookup(offset)
	if err != nil {
		return 0, 0, false, err
	}
	start := int64(e.Position)
	if start > s.size {
		start = 0 // an index entry past the data cannot be trusted
	}
	if buf == nil {
		buf = make([]byte, 16<<10)
	}
	for {
		sc := newScannerBuf(s.file.f, start, s.size, buf)
		for sc.next() {
			if sc.cur.lastOffset >= offset {
				return sc.cur.pos, sc.cur.size, true, nil
			}
		}
		if sc.err != nil {
			return 0, 0, false, sc.err
		}
		if sc.pos == s.size || start == 0 {
			return 0, 0, false, nil
		}
		// The scan did not end at the end of the data, so the index
		// pointed into the middle of a batch: it cannot be trusted; scan
		// the segment from its start.
		start = 0
	}
}

// wholeBatchesEnd returns where the last batch that ends at or before end
// ends, for a region of whole batches starting at start (a batch start)
// that end cuts. It scans the batch headers from the index entry nearest
// before end rather than from start, so a large region is not read to find
// its last boundary. When no batch starts where the index points (a
// damaged index), it scans from start; an index entry that still misleads
// it can only make the region end inside a batch, which is what Kafka
// sends anyway.
func (s *segment) wholeBatchesEnd(start, end int64, buf []byte) (int64, error) {
	from, err := s.oidx.lookupPosition(end)
	if err != nil {
		return 0, err
	}
	from = max(from, start)
	for {
		sc := newScannerBuf(s.file.f, from, end, buf)
		for sc.next() {
		}
		if sc.err != nil {
			return 0, sc.err
		}
		if (sc.corrupt == nil && sc.pos > from) || from == start {
			return sc.pos, nil
		}
		from = start // no batch where the index pointed: do not trust it
	}
}

// nextOffset returns the offset after the segment's last batch (the base
// offset when empty), scanning only from the last index entry; it also
// brings maxTimestamp and bytesSinceIndex up to date. It reports whether
// the scan ended cleanly at the end of the data.
func (s *segment) nextOffset() (next int64, clean bool, err error) {
	last, err := s.oidx.lastEntry()
	if err != nil {
		return 0, false, err
	}
	tlast, err := s.tidx.lastEntry()
	if err != nil {
		return 0, false, err
	}
	if tlast.Timestamp > s.maxTimestamp {
		s.maxTimestamp, s.maxTimestampOffset = tlast.Timestamp, tlast.Offset
	}
	start := int64(last.Position)
	if start > s.size {
		return 0, false, nil
	}
	next = s.base
	sc := newScanner(s.file.f, start, s.size, false, 16<<10)
	for sc.next() {
		next = sc.cur.lastOffset + 1
		if sc.cur.maxTimestamp > s.maxTimestamp {
			s.maxTimestamp, s.maxTimestampOffset = sc.cur.maxTimestamp, sc.cur.lastOffset
		}
	}
	if sc.err != nil {
		return 0, false, sc.err
	}
	if last.Position > 0 {
		s.bytesSinceIndex = s.size - int64(last.Position)
	} else {
		s.bytesSinceIndex = s.size
	}
	return next, sc.pos == s.size, nil
}

// recoverResult reports what recovering one segment found.
type recoverResult struct {
	validBytes     int64
	truncatedBytes int64
	nextOffset     int64 // offset after the last valid batch (base if none)
	reason         string
}

// recover re-reads the segment batch by batch: it validates sizes, CRCs
// and offsets, rebuilds both indexes with the same sparse rule as appends,
// calls visit for each valid entry, and truncates the file at the first
// invalid entry or torn tail. limit bounds the offsets the segment may hold
// (the next segment's base offset, or MaxInt64).
func (s *segment) recover(cfg Config, active bool, limit int64, visit func(*entryInfo)) (recoverResult, error) {
	res := recoverResult{nextOffset: s.base}
	var obuf, tbuf []byte
	var lastIndexPos int64
	s.maxTimestamp, s.maxTimestampOffset = -1, -1
	prevLast := s.base - 1
	sc := newScanner(s.file.f, 0, s.size, true, 1<<20)
	for sc.next() {
		e := &sc.cur
		if !e.validCRC() {
			res.reason = fmt.Sprintf("checksum mismatch at position %d", e.pos)
			break
		}
		if e.magic == 2 && e.baseOffset <= prevLast || e.lastOffset <= prevLast {
			res.reason = fmt.Sprintf("offset %d at position %d does not follow %d", e.baseOffset, e.pos, prevLast)
			break
		}
		if !s.canHoldOffset(e.lastOffset) || e.lastOffset >= limit {
			res.reason = fmt.Sprintf("offset %d at position %d is outside the segment", e.lastOffset, e.pos)
			break
		}
		if e.maxTimestamp > s.maxTimestamp {
			s.maxTimestamp, s.maxTimestampOffset = e.maxTimestamp, e.lastOffset
		}
		if e.pos-lastIndexPos > int64(cfg.IndexIntervalBytes) {
			obuf = appendOffsetEntry(obuf, e.lastOffset-s.base, e.pos)
			tbuf = appendTimeEntryIfLater(tbuf, s.maxTimestamp, s.maxTimestampOffset-s.base)
			lastIndexPos = e.pos
		}
		if e.pos == 0 {
			s.rollTimestamp, s.rollTimestampKnown = e.maxTimestamp, true
		}
		prevLast = e.lastOffset
		res.nextOffset = e.lastOffset + 1
		if visit != nil {
			visit(e)
		}
		res.validBytes = sc.pos
	}
	if sc.err != nil {
		return res, storageErr("read", s.path(logSuffix), sc.err)
	}
	if res.reason == "" {
		switch {
		case sc.corrupt != nil:
			res.reason = sc.corrupt.Error()
		case sc.torn:
			res.reason = fmt.Sprintf("torn entry at position %d", res.validBytes)
		}
	}
	if res.validBytes == 0 {
		s.rollTimestampKnown = true
		s.rollTimestamp = -1
	}
	if res.validBytes < s.size {
		res.truncatedBytes = s.size - res.validBytes
		if err := s.file.f.Truncate(res.validBytes); err != nil {
			return res, storageErr("truncate", s.path(logSuffix), err)
		}
		s.size = res.validBytes
	}
	if s.maxTimestamp >= 0 {
		// Kafka's recover ends the rebuilt time index with the max
		// timestamp, the entry a segment gets when it is closed.
		tbuf = appendTimeEntryIfLater(tbuf, s.maxTimestamp, s.maxTimestampOffset-s.base)
	}
	if err := s.oidx.setEntries(obuf, active, cfg.SegmentIndexBytes); err != nil {
		return res, storageErr("rebuild index", s.oidx.path, err)
	}
	if err := s.tidx.setEntries(tbuf, active, cfg.SegmentIndexBytes); err != nil {
		return res, storageErr("rebuild index", s.tidx.path, err)
	}
	s.bytesSinceIndex = s.size - lastIndexPos
	os.Remove(s.path(txnIndexSuffix)) // aborted transactions are not tracked yet
	return res, nil
}

func appendOffsetEntry(b []byte, rel, pos int64) []byte {
	return append(b, byte(rel>>24), byte(rel>>16), byte(rel>>8), byte(rel),
		byte(pos>>24), byte(pos>>16), byte(pos>>8), byte(pos))
}

func appendTimeEntryIfLater(b []byte, ts, rel int64) []byte {
	n := len(b) / timeEntrySize
	last := int64(-1)
	if n > 0 {
		last = timestampAt(b, n-1)
	}
	if ts <= last {
		return b
	}
	return append(b, byte(ts>>56), byte(ts>>48), byte(ts>>40), byte(ts>>32), byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts),
		byte(rel>>24), byte(rel>>16), byte(rel>>8), byte(rel))
}

// truncateTo removes the batch holding offset and everything after it, as
// Kafka's LogSegment.truncateTo, and returns the bytes removed.
func (s *segment) truncateTo(offset int64, cfg Config) (int64, error) {
	pos, _, found, err := s.translateOffset(offset, nil)
	if err != nil {
		return 0, storageErr("read", s.path(logSuffix), err)
	}
	if err := s.oidx.truncateTo(offset); err != nil {
		return 0, storageErr("truncate index", s.oidx.path, err)
	}
	if err := s.tidx.truncateTo(offset); err != nil {
		return 0, storageErr("truncate index", s.tidx.path, err)
	}
	if !found {
		return 0, nil
	}
	removed := s.size - pos
	if err := s.file.f.Truncate(pos); err != nil {
		return 0, storageErr("truncate", s.path(logSuffix), err)
	}
	s.size = pos
	// Recompute what the remaining data implies.
	s.maxTimestamp, s.maxTimestampOffset = -1, -1
	if pos == 0 {
		s.rollTimestamp, s.rollTimestampKnown = -1, false
	}
	if _, _, err := s.nextOffset(); err != nil {
		return removed, storageErr("read", s.path(logSuffix), err)
	}
	return removed, nil
}

// largestTimestamp is what time retention compares: the segment's max
// timestamp, or its file modification time when it has none.
func (s *segment) largestTimestamp() int64 {
	if s.maxTimestamp >= 0 {
		return s.maxTimestamp
	}
	if s.file.f == nil {
		return s.createdMs
	}
	if st, err := s.file.f.Stat(); err == nil {
		return st.ModTime().UnixMilli()
	}
	return -1
}

// loadMaxTimestamp sets maxTimestamp of an inactive segment from the last
// time index entry without reading the whole index.
func (s *segment) loadMaxTimestamp() {
	if e, ok, err := readLastTimeEntry(s.tidx.path, s.base); err == nil && ok {
		s.maxTimestamp, s.maxTimestampOffset = e.Timestamp, e.Offset
	}
}

// close releases the segment's files. With clean set, an active segment
// gets its final time index entry and trimmed indexes first.
func (s *segment) close(clean bool) error {
	var err error
	if clean {
		err = s.deactivate(true)
	} else {
		s.oidx.closeFile()
		s.tidx.closeFile()
	}
	s.file.release()
	return err
}

// remove closes the segment and deletes its files. Readers holding the
// .log keep reading the unlinked file until they release it.
func (s *segment) remove() error {
	s.oidx.closeFile()
	s.tidx.closeFile()
	var errs []error
	for _, suf := range []string{logSuffix, indexSuffix, timeIndexSuffix, txnIndexSuffix} {
		if err := os.Remove(s.path(suf)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	s.file.release()
	return errors.Join(errs...)
}
