package log

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/kafkakit/kafkakit/internal/record"
)

// ReadResult is the answer to a Read: log offsets for the fetch response
// and a region of one segment file holding whole batches. The region
// stays readable until Release, even if retention deletes the segment or
// the partition is deleted meanwhile.
// Only a truncation of the same segment (a follower diverging from its
// leader) can shorten the file under a region; WriteTo and Bytes then
// return io.ErrUnexpectedEOF and the caller should drop the connection, as
// Kafka does when a file shrinks during a transfer. A ReadResult is not
// safe for concurrent use.
type ReadResult struct {
	HighWatermark    int64
	LastStableOffset int64
	LogStartOffset   int64
	LogEndOffset     int64

	file     *segFile
	position int64
	size     int64
	once     sync.Once
}

// Size is the number of bytes in the region.
func (r *ReadResult) Size() int64 { return r.size }

// Region returns the file, position and size of the data. The file must not
// be closed by the caller and is only valid until Release.
func (r *ReadResult) Region() (f *os.File, position, size int64) {
	if r.file == nil {
		return nil, 0, 0
	}
	return r.file.f, r.position, r.size
}

// Reader returns a reader over the region.
func (r *ReadResult) Reader() *io.SectionReader {
	if r.file == nil {
		return io.NewSectionReader(emptyReaderAt{}, 0, 0)
	}
	return io.NewSectionReader(r.file.f, r.position, r.size)
}

// Bytes reads the region into memory.
func (r *ReadResult) Bytes() ([]byte, error) {
	b := make([]byte, r.size)
	if r.size == 0 {
		return b, nil
	}
	n, err := r.file.f.ReadAt(b, r.position)
	if int64(n) < r.size {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return b[:n], fmt.Errorf("read log region: %w", err)
	}
	return b, nil
}

// AppendTo reads the region and appends it to dst, growing dst only when
// its capacity is short, so a caller can reuse one buffer across reads.
// The appended bytes are returned as data, a slice of the result.
func (r *ReadResult) AppendTo(dst []byte) (out, data []byte, err error) {
	start := len(dst)
	if r.size == 0 {
		return dst, dst[start:], nil
	}
	need := start + int(r.size)
	if cap(dst) < need {
		grown := make([]byte, start, max(need, 2*cap(dst)))
		copy(grown, dst)
		dst = grown
	}
	dst = dst[:need]
	n, err := r.file.f.ReadAt(dst[start:], r.position)
	if int64(n) < r.size {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return dst[:start], nil, fmt.Errorf("read log region: %w", err)
	}
	return dst, dst[start:], nil
}

// WriteTo writes the region to w, with sendfile(2) when w is a TCP
// connection on Linux. It writes exactly Size bytes or returns an error
// (io.ErrUnexpectedEOF if the file was truncated underneath).
func (r *ReadResult) WriteTo(w io.Writer) (int64, error) {
	if r.size == 0 {
		return 0, nil
	}
	if n, handled, err := sendFile(w, r.file.f, r.position, r.size); handled {
		return n, err
	}
	n, err := io.Copy(w, r.Reader())
	if err == nil && n < r.size {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// Release lets the segment file go; the region must not be used after.
// It is safe to call more than once.
func (r *ReadResult) Release() {
	r.once.Do(func() {
		if r.file != nil {
			r.file.release()
		}
	})
}

// scanBuf returns a pooled buffer for reading batch headers.
func (l *Log) scanBuf() *[]byte {
	if bp, ok := l.scanBufs.Get().(*[]byte); ok {
		return bp
	}
	b := make([]byte, 16<<10)
	return &b
}

type emptyReaderAt struct{}

func (emptyReaderAt) ReadAt([]byte, int64) (int, error) { return 0, io.EOF }

// Read returns the whole batches that fit in maxBytes, starting with the
// batch that holds offset, limited to batches whose offsets are below
// maxOffset (the high watermark for consumers, the log end offset for
// followers). With minOneBatch the first batch is returned whole even if
// larger than maxBytes (KIP-74). Kafka's broker cuts the region at
// maxBytes and sends the start of the next batch, which clients drop and
// fetch again; ending at a batch boundary saves sending and parsing it,
// and every client accepts both. Offsets below the log start or above the
// log end are ErrOffsetOutOfRange; reading at or beyond maxOffset returns
// an empty region. The caller must Release the result.
//
// Read holds the partition's read lock only while locating the region;
// the data is sent from the file afterwards.
func (l *Log) Read(offset int64, maxBytes int32, maxOffset int64, minOneBatch bool) (*ReadResult, error) {
	if maxBytes < 0 {
		return nil, fmt.Errorf("read %s: negative max bytes %d", l.name(), maxBytes)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if err := l.usableLocked(); err != nil {
		return nil, err
	}
	res := &ReadResult{
		HighWatermark: l.highWatermark, LastStableOffset: l.lastStableOffsetLocked(),
		LogStartOffset: l.logStartOffset, LogEndOffset: l.logEndOffset,
	}
	if offset < l.logStartOffset || offset > l.logEndOffset {
		return nil, fmt.Errorf("%w: offset %d of %s is outside [%d, %d]", ErrOffsetOutOfRange, offset, l.name(), l.logStartOffset, l.logEndOffset)
	}
	if offset >= maxOffset {
		return res, nil
	}
	bp := l.scanBuf()
	defer l.scanBufs.Put(bp)
	for i := max(l.floorSegment(offset), 0); i < len(l.segments); i++ {
		s := l.segments[i]
		pos, size, found, err := s.translateOffset(offset, *bp)
		if err != nil {
			return nil, storageErr("read", s.path(logSuffix), err)
		}
		if !found {
			continue // nothing at or after offset here; try the next segment
		}
		maxPos := s.size
		if maxOffset < l.segmentEnd(i) {
			if maxOffset <= s.base {
				return res, nil
			}
			p, _, ok, err := s.translateOffset(maxOffset, *bp)
			if err != nil {
				return nil, storageErr("read", s.path(logSuffix), err)
			}
			if ok {
				maxPos = p
			}
		}
		limit := int64(maxBytes)
		if minOneBatch {
			limit = max(limit, size)
		}
		n := min(maxPos-pos, limit)
		if n < maxPos-pos {
			// Cut by maxBytes: end at the last whole batch rather than
			// sending the start of one the consumer has to drop and fetch
			// again.
			end, err := s.wholeBatchesEnd(pos, pos+n, *bp)
			if err != nil {
				return nil, storageErr("read", s.path(logSuffix), err)
			}
			if minOneBatch {
				end = max(end, pos+size)
			}
			n = end - pos
		}
		if n <= 0 {
			return res, nil
		}
		s.file.acquire()
		res.file, res.position, res.size = s.file, pos, n
		return res, nil
	}
	return res, nil
}

// Special timestamps of ListOffsets.
const (
	LatestTimestamp       = -1 // the log end offset
	EarliestTimestamp     = -2 // the log start offset
	MaxTimestamp          = -3 // the record with the largest timestamp (KIP-734)
	EarliestLocalTime     = -4 // the local log start (same as earliest without tiered storage)
	LatestTieredTimestamp = -5 // the highest tiered offset (none here)
)

// OffsetForTimestamp answers ListOffsets for one partition as Kafka's
// fetchOffsetByTimestamp: for a timestamp ts ≥ 0, the first record with a
// timestamp at or above ts (ok false if none); -1 gives the log end offset,
// -2 (and -4) the log start offset, -3 the record with the largest
// timestamp, -5 offset -1. leaderEpoch is the epoch of the found batch or
// of the cache entry, -1 when unknown. Callers serving consumers must not
// expose offsets at or above the high watermark.
func (l *Log) OffsetForTimestamp(ts int64) (offset int64, timestamp int64, leaderEpoch int32, ok bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return -1, -1, -1, false
	}
	switch ts {
	case EarliestTimestamp, EarliestLocalTime:
		epoch := int32(-1)
		if e, ok := l.epochs.earliest(); ok && e.StartOffset <= l.logStartOffset {
			epoch = e.Epoch
		}
		return l.logStartOffset, -1, epoch, true
	case LatestTimestamp:
		epoch := int32(-1)
		if e, ok := l.epochs.latest(); ok {
			epoch = e.Epoch
		}
		return l.logEndOffset, -1, epoch, true
	case LatestTieredTimestamp:
		return -1, -1, -1, true
	case MaxTimestamp:
		return l.maxTimestampOffsetLocked()
	}
	if ts < 0 {
		return -1, -1, -1, false
	}
	for _, s := range l.segments {
		if s.largestTimestamp() < ts || s.maxTimestamp < 0 {
			continue
		}
		if off, t, e, found := l.searchTimestampLocked(s, ts); found {
			return off, t, e, true
		}
	}
	return -1, -1, -1, false
}

// searchTimestampLocked finds in s the first record at or after the log
// start with a timestamp of at least ts, starting from the time index.
func (l *Log) searchTimestampLocked(s *segment, ts int64) (int64, int64, int32, bool) {
	te, err := s.tidx.lookup(ts)
	if err != nil {
		return -1, -1, -1, false
	}
	oe, err := s.oidx.lookup(max(te.Offset, l.logStartOffset))
	if err != nil {
		return -1, -1, -1, false
	}
	start := int64(oe.Position)
	if start > s.size {
		start = 0
	}
	dec := l.decoder()
	defer l.releaseDecoder(dec)
	sc := newScanner(s.file.f, start, s.size, true, 64<<10)
	for sc.next() {
		e := &sc.cur
		if e.maxTimestamp < ts || e.lastOffset < l.logStartOffset {
			continue
		}
		var off, t int64 = -1, -1
		epoch := e.leaderEpoch
		visit := func(o, rts int64) bool {
			if rts >= ts && o >= l.logStartOffset {
				off, t = o, rts
				return true
			}
			return false
		}
		eachRecordTimestamp(dec, e, visit)
		if off >= 0 {
			if epoch < 0 {
				epoch = -1
			}
			return off, t, epoch, true
		}
	}
	return -1, -1, -1, false
}

// maxTimestampOffsetLocked finds the first record carrying the log's
// largest timestamp (ListOffsets -3).
func (l *Log) maxTimestampOffsetLocked() (int64, int64, int32, bool) {
	var best *segment
	for _, s := range l.segments {
		if s.maxTimestamp >= 0 && (best == nil || s.maxTimestamp > best.maxTimestamp) {
			best = s
		}
	}
	if best == nil {
		return -1, -1, -1, false
	}
	oe, err := best.oidx.lookup(best.maxTimestampOffset)
	if err != nil {
		return -1, -1, -1, false
	}
	start := int64(oe.Position)
	if start > best.size {
		start = 0
	}
	dec := l.decoder()
	defer l.releaseDecoder(dec)
	sc := newScanner(best.file.f, start, best.size, true, 64<<10)
	for sc.next() {
		e := &sc.cur
		if e.maxTimestamp != best.maxTimestamp {
			continue
		}
		var off int64 = -1
		eachRecordTimestamp(dec, e, func(o, rts int64) bool {
			if rts == e.maxTimestamp {
				off = o
				return true
			}
			return false
		})
		if off < 0 {
			off = e.lastOffset
		}
		epoch := e.leaderEpoch
		if epoch < 0 {
			epoch = -1
		}
		return off, e.maxTimestamp, epoch, true
	}
	return -1, -1, -1, false
}

// eachRecordTimestamp calls fn with each record's offset and timestamp
// until it returns true. Legacy entries and undecodable batches are seen
// as one record at their last offset with their max timestamp.
func eachRecordTimestamp(dec *record.Decoder, e *entryInfo, fn func(offset, ts int64) bool) {
	if e.magic == 2 {
		stop := fmt.Errorf("stop")
		err := dec.EachRecord(record.Batch{Header: e.hdr, Raw: e.raw}, func(r *record.Record) error {
			if fn(r.Offset, r.Timestamp) {
				return stop
			}
			return nil
		})
		if err == nil || err == stop {
			return
		}
	}
	fn(e.lastOffset, e.maxTimestamp)
}
