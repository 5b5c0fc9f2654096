package log

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
)

// Index entry sizes (reference sections 7 and 8.1).
const (
	offsetEntrySize = 8  // relativeOffset int32, position int32
	timeEntrySize   = 12 // timestamp int64, relativeOffset int32
)

// OffsetEntry is one .index entry in absolute terms: the batch whose last
// offset is Offset starts at byte Position of the segment's .log.
type OffsetEntry struct {
	Offset   int64
	Position int32
}

// TimeEntry is one .timeindex entry in absolute terms: every record with a
// timestamp above Timestamp has an offset above Offset.
type TimeEntry struct {
	Timestamp int64
	Offset    int64
}

// DecodeOffsetIndex parses the bytes of an .index file whose segment starts
// at base. Entries must be 8 bytes each and strictly increasing in offset
// and position; decoding stops at the first entry that is not (which is how
// the zero fill of a pre-allocated file left by a crash ends the list) and
// reports how many bytes were accepted.
func DecodeOffsetIndex(b []byte, base int64) (entries []OffsetEntry, used int, err error) {
	if len(b)%offsetEntrySize != 0 {
		err = fmt.Errorf("offset index size %d is not a multiple of %d", len(b), offsetEntrySize)
	}
	n := validOffsetEntries(b)
	entries = make([]OffsetEntry, n)
	for i := range entries {
		entries[i] = OffsetEntry{Offset: base + int64(relOffsetAt(b, i)), Position: positionAt(b, i)}
	}
	return entries, n * offsetEntrySize, err
}

// DecodeTimeIndex parses the bytes of a .timeindex file like
// DecodeOffsetIndex: 12-byte entries, timestamps non-negative and strictly
// increasing, offsets never decreasing.
func DecodeTimeIndex(b []byte, base int64) (entries []TimeEntry, used int, err error) {
	if len(b)%timeEntrySize != 0 {
		err = fmt.Errorf("time index size %d is not a multiple of %d", len(b), timeEntrySize)
	}
	n := validTimeEntries(b)
	entries = make([]TimeEntry, n)
	for i := range entries {
		entries[i] = TimeEntry{Timestamp: timestampAt(b, i), Offset: base + int64(timeRelOffsetAt(b, i))}
	}
	return entries, n * timeEntrySize, err
}

func relOffsetAt(b []byte, i int) int32 {
	return int32(binary.BigEndian.Uint32(b[i*offsetEntrySize:]))
}

func positionAt(b []byte, i int) int32 {
	return int32(binary.BigEndian.Uint32(b[i*offsetEntrySize+4:]))
}

func timestampAt(b []byte, i int) int64 {
	return int64(binary.BigEndian.Uint64(b[i*timeEntrySize:]))
}

func timeRelOffsetAt(b []byte, i int) int32 {
	return int32(binary.BigEndian.Uint32(b[i*timeEntrySize+8:]))
}

// validOffsetEntries counts the leading entries that are well formed:
// non-negative and strictly increasing relative offsets and positions.
func validOffsetEntries(b []byte) int {
	n := len(b) / offsetEntrySize
	for i := 0; i < n; i++ {
		rel, pos := relOffsetAt(b, i), positionAt(b, i)
		if rel < 0 || pos < 0 {
			return i
		}
		if i > 0 && (rel <= relOffsetAt(b, i-1) || pos <= positionAt(b, i-1)) {
			return i
		}
	}
	return n
}

func validTimeEntries(b []byte) int {
	n := len(b) / timeEntrySize
	for i := 0; i < n; i++ {
		// Kafka never indexes a missing (-1) or negative timestamp.
		if timeRelOffsetAt(b, i) < 0 || timestampAt(b, i) < 0 {
			return i
		}
		if i > 0 && (timestampAt(b, i) <= timestampAt(b, i-1) || timeRelOffsetAt(b, i) < timeRelOffsetAt(b, i-1)) {
			return i
		}
	}
	return n
}

// index holds one .index or .timeindex file. Entries live in memory; while
// the segment is active the file is open and pre-allocated to the
// configured maximum, as Kafka's memory-mapped indexes are, and new entries
// reach it when the log is flushed, rolled or closed (written counts the
// bytes of buf already in the file). Like dirty pages of Kafka's mmap, the
// unwritten tail only matters after a crash, when recovery rebuilds the
// active segment's indexes from the log anyway. When the segment is rolled
// or the log closed the file is trimmed to its entries and closed. The
// entries of an inactive segment are read from disk on first use.
//
// mu guards all fields. It is taken after the owning Log's lock (see the
// lock order in the package doc) and is needed because readers holding the
// Log's read lock may load an inactive index concurrently.
type index struct {
	mu         sync.Mutex
	path       string
	base       int64
	entrySize  int
	buf        []byte
	written    int // bytes of buf already in the file
	loaded     bool
	f          *os.File // non-nil while active
	maxEntries int
	// lazy marks an active index whose file has not been created yet (a
	// new log's first segment): entries are kept in memory and the file is
	// created when they are first written out, at flush, roll or close.
	// A crash before then leaves no index file, which load rebuilds.
	lazy     bool
	maxBytes int32
}

// activeLocked reports whether the index is the active segment's.
func (ix *index) activeLocked() bool { return ix.f != nil || ix.lazy }

func newIndex(path string, base int64, entrySize int) *index {
	return &index{path: path, base: base, entrySize: entrySize}
}

// create makes a fresh, empty active index file of maxBytes (rounded down
// to whole entries). With lazy set the file is only created when entries
// are first written out (see index.lazy); the caller knows that no file of
// that name exists.
func (ix *index) create(maxBytes int32, lazy bool) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.buf, ix.written, ix.loaded = ix.buf[:0], 0, true
	if lazy {
		ix.lazy, ix.maxBytes = true, maxBytes
		ix.maxEntries = max(1, int(maxBytes)/ix.entrySize)
		return nil
	}
	f, err := os.OpenFile(ix.path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	ix.f = f
	return ix.resizeLocked(maxBytes)
}

// materializeLocked creates the file of a lazy index, pre-allocated.
func (ix *index) materializeLocked() error {
	if !ix.lazy {
		return nil
	}
	f, err := os.OpenFile(ix.path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	ix.f, ix.lazy, ix.written = f, false, 0
	return ix.resizeLocked(ix.maxBytes)
}

// setEntries replaces the content with buf (already validated) and writes
// it. If active, the file is opened and pre-allocated to maxBytes;
// otherwise it is written at its exact size.
func (ix *index) setEntries(buf []byte, active bool, maxBytes int32) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.lazy = false
	if ix.f != nil {
		ix.f.Close()
		ix.f = nil
	}
	ix.buf, ix.written, ix.loaded = buf, len(buf), true
	f, err := os.OpenFile(ix.path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(buf, 0); err != nil {
		f.Close()
		return err
	}
	if !active {
		return f.Close()
	}
	ix.f = f
	return ix.resizeLocked(maxBytes)
}

// activate opens the (already loaded) index for appends and pre-allocates
// it, as Kafka does for the active segment after a restart.
func (ix *index) activate(maxBytes int32) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.loadLocked(); err != nil {
		return err
	}
	if ix.lazy {
		return nil
	}
	if ix.f == nil {
		f, err := os.OpenFile(ix.path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		ix.f = f
	}
	return ix.resizeLocked(maxBytes)
}

func (ix *index) resizeLocked(maxBytes int32) error {
	size := int64(maxBytes) / int64(ix.entrySize) * int64(ix.entrySize)
	if size < int64(len(ix.buf)) {
		size = int64(len(ix.buf))
	}
	ix.maxEntries = max(1, int(size)/ix.entrySize)
	st, err := ix.f.Stat()
	if err != nil {
		return err
	}
	if err := ix.f.Truncate(size); err != nil {
		return err
	}
	// Zero whatever old content follows the entries, so a stale tail can
	// never be mistaken for entries when the file is read after a crash;
	// the part the file grew by reads as zeros already.
	return ix.zeroTailLocked(int64(ix.written), min(st.Size(), size))
}

// writeOutLocked writes the entries not yet in the file.
func (ix *index) writeOutLocked() error {
	if ix.f == nil || ix.written >= len(ix.buf) {
		return nil
	}
	if _, err := ix.f.WriteAt(ix.buf[ix.written:], int64(ix.written)); err != nil {
		return err
	}
	ix.written = len(ix.buf)
	return nil
}

func (ix *index) zeroTailLocked(from, to int64) error {
	if ix.f == nil || from >= to {
		return nil
	}
	zeros := make([]byte, min(to-from, 64<<10))
	for off := from; off < to; off += int64(len(zeros)) {
		n := min(int64(len(zeros)), to-off)
		if _, err := ix.f.WriteAt(zeros[:n], off); err != nil {
			return err
		}
		if n < int64(len(zeros)) {
			break
		}
	}
	return nil
}

// load reads an inactive index's entries from disk if not yet done.
func (ix *index) load() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.loadLocked()
}

func (ix *index) loadLocked() error {
	if ix.loaded {
		return nil
	}
	b, err := os.ReadFile(ix.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read index %s: %w", ix.path, err)
	}
	var n int
	if ix.entrySize == offsetEntrySize {
		n = validOffsetEntries(b)
	} else {
		n = validTimeEntries(b)
	}
	ix.buf = b[: n*ix.entrySize : n*ix.entrySize]
	ix.loaded = true
	return nil
}

func (ix *index) isFull() bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.activeLocked() && len(ix.buf)/ix.entrySize >= ix.maxEntries
}

func (ix *index) appendRaw(entry []byte) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.activeLocked() {
		return fmt.Errorf("append to inactive index %s", ix.path)
	}
	if len(ix.buf)/ix.entrySize >= ix.maxEntries {
		return fmt.Errorf("append to full index %s (%d entries)", ix.path, ix.maxEntries)
	}
	ix.buf = append(ix.buf, entry...)
	return nil
}

// truncateEntries keeps the first n entries.
func (ix *index) truncateEntries(n int) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.loadLocked(); err != nil {
		return err
	}
	keep := n * ix.entrySize
	if keep >= len(ix.buf) {
		return nil
	}
	ix.buf = ix.buf[:keep]
	if ix.lazy {
		return nil
	}
	if ix.f != nil {
		if keep < ix.written {
			old := ix.written
			ix.written = keep
			return ix.zeroTailLocked(int64(keep), int64(old))
		}
		return nil
	}
	ix.written = keep
	return os.Truncate(ix.path, int64(keep))
}

// deactivate trims the file to its entries and closes it; sync controls
// whether it is fsynced first (on roll and clean close).
func (ix *index) deactivate(sync bool) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.materializeLocked(); err != nil {
		return err
	}
	if ix.f == nil {
		return nil
	}
	if err := ix.writeOutLocked(); err != nil {
		return err
	}
	f := ix.f
	ix.f = nil
	if err := f.Truncate(int64(len(ix.buf))); err != nil {
		f.Close()
		return err
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// sync writes out pending entries and fsyncs the file of an active index.
func (ix *index) sync() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.materializeLocked(); err != nil {
		return err
	}
	if ix.f == nil {
		return nil
	}
	if err := ix.writeOutLocked(); err != nil {
		return err
	}
	return ix.f.Sync()
}

// closeFile closes the file without trimming (used when a crash is being
// simulated or the log is abandoned).
func (ix *index) closeFile() {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.lazy = false
	if ix.f != nil {
		ix.f.Close()
		ix.f = nil
	}
}

// offsetIndex wraps index with the .index entry layout.
type offsetIndex struct{ *index }

func newOffsetIndex(path string, base int64) offsetIndex {
	return offsetIndex{newIndex(path, base, offsetEntrySize)}
}

func (ix offsetIndex) append(offset int64, position int32) error {
	var e [offsetEntrySize]byte
	binary.BigEndian.PutUint32(e[0:], uint32(offset-ix.base))
	binary.BigEndian.PutUint32(e[4:], uint32(position))
	return ix.appendRaw(e[:])
}

// lookup returns the last entry whose offset is at most target, or
// (base, 0) when there is none: the place to start scanning the log for
// target.
func (ix offsetIndex) lookup(target int64) (OffsetEntry, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.loadLocked(); err != nil {
		return OffsetEntry{}, err
	}
	n := len(ix.buf) / offsetEntrySize
	rel := target - ix.base
	i := sort.Search(n, func(i int) bool { return int64(relOffsetAt(ix.buf, i)) > rel }) - 1
	if i < 0 {
		return OffsetEntry{Offset: ix.base}, nil
	}
	return OffsetEntry{Offset: ix.base + int64(relOffsetAt(ix.buf, i)), Position: positionAt(ix.buf, i)}, nil
}

// lookupPosition returns the position of the last entry at or before
// position pos, or 0 when there is none: a batch start from which to scan
// for the batch boundaries near pos.
func (ix offsetIndex) lookupPosition(pos int64) (int64, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.loadLocked(); err != nil {
		return 0, err
	}
	n := len(ix.buf) / offsetEntrySize
	i := sort.Search(n, func(i int) bool { return int64(positionAt(ix.buf, i)) > pos }) - 1
	if i < 0 {
		return 0, nil
	}
	return int64(positionAt(ix.buf, i)), nil
}

// lastEntry returns the last entry, or (base, 0) for an empty index.
func (ix offsetIndex) lastEntry() (OffsetEntry, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.loadLocked(); err != nil {
		return OffsetEntry{}, err
	}
	n := len(ix.buf) / offsetEntrySize
	if n == 0 {
		return OffsetEntry{Offset: ix.base}, nil
	}
	return OffsetEntry{Offset: ix.base + int64(relOffsetAt(ix.buf, n-1)), Position: positionAt(ix.buf, n-1)}, nil
}

// truncateTo removes the entries whose offset is at least offset.
func (ix offsetIndex) truncateTo(offset int64) error {
	ix.mu.Lock()
	if err := ix.loadLocked(); err != nil {
		ix.mu.Unlock()
		return err
	}
	n := len(ix.buf) / offsetEntrySize
	keep := sort.Search(n, func(i int) bool { return ix.base+int64(relOffsetAt(ix.buf, i)) >= offset })
	ix.mu.Unlock()
	return ix.truncateEntries(keep)
}

// timeIndex wraps index with the .timeindex entry layout.
type timeIndex struct{ *index }

func newTimeIndex(path string, base int64) timeIndex {
	return timeIndex{newIndex(path, base, timeEntrySize)}
}

// maybeAppend adds (ts, offset) if ts is above the last entry's timestamp,
// as Kafka's TimeIndex.maybeAppend does. force skips the full check, for
// the final entry written when a segment is rolled or closed.
func (ix timeIndex) maybeAppend(ts, offset int64, force bool) error {
	last, err := ix.lastEntry()
	if err != nil {
		return err
	}
	// An empty index's last entry is (-1, base), so timestamps of -1 (none)
	// are never indexed.
	if ts <= last.Timestamp {
		return nil
	}
	if offset < last.Offset {
		return fmt.Errorf("time index %s: offset %d below last entry offset %d", ix.path, offset, last.Offset)
	}
	if !force && ix.isFull() {
		return fmt.Errorf("append to full time index %s", ix.path)
	}
	var e [timeEntrySize]byte
	binary.BigEndian.PutUint64(e[0:], uint64(ts))
	binary.BigEndian.PutUint32(e[8:], uint32(offset-ix.base))
	return ix.appendRaw(e[:])
}

// isFull reports whether only the slot reserved for the final entry
// written at roll or close is left, as Kafka's TimeIndex.isFull does.
func (ix timeIndex) isFull() bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.activeLocked() && len(ix.buf)/ix.entrySize >= ix.maxEntries-1
}

// lastEntry returns the last entry, or (-1, base) for an empty index.
func (ix timeIndex) lastEntry() (TimeEntry, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.loadLocked(); err != nil {
		return TimeEntry{}, err
	}
	n := len(ix.buf) / timeEntrySize
	if n == 0 {
		return TimeEntry{Timestamp: -1, Offset: ix.base}, nil
	}
	return TimeEntry{Timestamp: timestampAt(ix.buf, n-1), Offset: ix.base + int64(timeRelOffsetAt(ix.buf, n-1))}, nil
}

// lookup returns the last entry whose timestamp is at most ts, or
// (-1, base) when there is none.
func (ix timeIndex) lookup(ts int64) (TimeEntry, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.loadLocked(); err != nil {
		return TimeEntry{}, err
	}
	n := len(ix.buf) / timeEntrySize
	i := sort.Search(n, func(i int) bool { return timestampAt(ix.buf, i) > ts }) - 1
	if i < 0 {
		return TimeEntry{Timestamp: -1, Offset: ix.base}, nil
	}
	return TimeEntry{Timestamp: timestampAt(ix.buf, i), Offset: ix.base + int64(timeRelOffsetAt(ix.buf, i))}, nil
}

// truncateTo removes the entries whose offset is at least offset.
func (ix timeIndex) truncateTo(offset int64) error {
	ix.mu.Lock()
	if err := ix.loadLocked(); err != nil {
		ix.mu.Unlock()
		return err
	}
	n := len(ix.buf) / timeEntrySize
	keep := sort.Search(n, func(i int) bool { return ix.base+int64(timeRelOffsetAt(ix.buf, i)) >= offset })
	ix.mu.Unlock()
	return ix.truncateEntries(keep)
}

// readLastTimeEntry reads only the last complete entry of a .timeindex
// file, so that a segment's largest timestamp is known at load time without
// reading the whole index.
func readLastTimeEntry(path string, base int64) (TimeEntry, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return TimeEntry{}, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return TimeEntry{}, false, err
	}
	n := st.Size() / timeEntrySize
	if n == 0 {
		return TimeEntry{Timestamp: -1, Offset: base}, false, nil
	}
	var e [timeEntrySize]byte
	if _, err := f.ReadAt(e[:], (n-1)*timeEntrySize); err != nil && err != io.EOF {
		return TimeEntry{}, false, err
	}
	return TimeEntry{Timestamp: timestampAt(e[:], 0), Offset: base + int64(timeRelOffsetAt(e[:], 0))}, true, nil
}
