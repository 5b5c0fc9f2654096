package log

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Options carries what a partition log needs besides its config: where it
// left off (from the log directory's checkpoints) and its environment.
type Options struct {
	// Logger receives the log's messages; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RecoveryPoint is the offset below which the log is known to be on
	// disk (recovery-point-offset-checkpoint). After an unclean shutdown
	// every segment holding offsets at or above it is re-validated; 0
	// re-validates everything.
	RecoveryPoint int64
	// LogStartOffset is the checkpointed log start offset
	// (log-start-offset-checkpoint); the first segment's base offset is
	// used when it is larger.
	LogStartOffset int64
	// HighWatermark is the checkpointed high watermark
	// (replication-offset-checkpoint), clamped to the log.
	HighWatermark int64
	// CleanShutdown says the log directory had a .kafka_cleanshutdown
	// marker: indexes and the tail of the log are trusted and no recovery
	// is done.
	CleanShutdown bool
	// TopicID, when not zero, is written to partition.metadata if the file
	// is missing and must match it otherwise (ErrInconsistentTopicID).
	TopicID [16]byte
	// CleanerCheckpoint is the log's cleaner-offset-checkpoint entry: the
	// first offset the log cleaner has not cleaned yet (0 when none).
	CleanerCheckpoint int64

	// deferCreate, set by the manager, makes a log whose directory does
	// not exist live in memory until its first write (see Log.create).
	deferCreate bool
	// onFirstWrite, set by the manager, is called (with the log's lock
	// held, so it must not call back into the log) when such a log
	// creates its directory, for the manager to make it durable soon.
	onFirstWrite func(*Log)
}

// AppendInfo says who is appending.
type AppendInfo struct {
	// LeaderEpoch is stamped into client batches as their partition leader
	// epoch.
	LeaderEpoch int32
	// Replicated marks a follower append: batches keep the offsets and
	// epochs the leader gave them and are only checked for integrity.
	Replicated bool
	// Coordinator marks an append written by the broker itself (group
	// coordinator, transaction markers): control batches are allowed and
	// producer sequences are not checked, only epochs.
	Coordinator bool
}

// AppendResult describes a successful append.
type AppendResult struct {
	FirstOffset    int64
	LastOffset     int64
	LogAppendTime  int64 // the broker time stamped on the batch, -1 for CreateTime topics
	LogStartOffset int64
	// Duplicate is set when the batch is a retry of one of the producer's
	// last five batches: nothing was written and the offsets are those the
	// original append got, which the broker returns as a success.
	Duplicate bool
}

// SegmentInfo describes one segment, for DescribeLogDirs and tests.
type SegmentInfo struct {
	BaseOffset       int64
	Size             int64
	LargestTimestamp int64
	Path             string
}

// LoadStats says what opening the log had to do. A clean start shows
// CleanShutdown true and zero recovered segments.
type LoadStats struct {
	CleanShutdown           bool
	Segments                int
	RecoveredSegments       int   // segments re-read batch by batch
	RecoveredBytes          int64 // bytes validated while recovering
	TruncatedBytes          int64 // invalid or torn bytes cut off
	DeletedSegments         int   // segments after a truncation point, dropped
	ProducerSnapshotOffset  int64 // snapshot the producer state started from, -1 for none
	ProducerBatchesReplayed int
	Duration                time.Duration
}

// Log is one partition's log in Kafka's layout: a directory of segments
// with their indexes, producer snapshots, the leader epoch checkpoint and
// partition.metadata. It is safe for concurrent use.
type Log struct {
	dir       string
	topic     string
	partition int32
	tpName    string // "<topic>-<partition>" for messages
	logger    *slog.Logger
	now       func() time.Time
	cfg       atomic.Pointer[Config]

	// flushMu serializes flushes; it is taken before mu and never while
	// holding it.
	flushMu sync.Mutex
	// bg tracks background flushes started after rolls; Close and Delete
	// wait for them.
	bg sync.WaitGroup
	// cleanMu is held by a cleaning pass (see cleaner.go); it is taken
	// before mu. cleanAbort tells a running pass to stop: the log is being
	// closed or deleted. cleanHook, set only by tests, runs before each
	// step of the swap protocol and can stop it there.
	cleanMu    sync.Mutex
	cleanAbort atomic.Bool
	cleanHook  func(step string) error
	// onFirstWrite is Options.onFirstWrite; set before the log is shared.
	onFirstWrite func(*Log)

	// appendMu serializes everything that writes the active segment or
	// changes which segments there are: Append holds it throughout and
	// releases mu while it writes a client batch; truncation, retention,
	// DeleteRecords, leader epoch assignment, producer expiry, Close and
	// Delete take it before mu, so none of them runs while such a write is
	// in flight. Readers and high watermark updates take only mu.
	appendMu sync.Mutex

	mu             sync.RWMutex
	topicID        [16]byte
	topicIDPending bool       // partition.metadata not written yet
	dirPending     bool       // a new directory whose entries are not yet durable
	unmaterialized bool       // a new log whose directory and first .log do not exist yet
	segments       []*segment // by base offset; the last one is active
	logStartOffset int64
	logEndOffset   int64
	highWatermark  int64
	recoveryPoint  int64
	lastFlushMs    int64
	truncations    int64 // bumped by every truncation, so a flush or a cleaning pass racing one notices
	// cleanerOffset is the first offset the cleaner has not cleaned
	// (cleaner-offset-checkpoint), -1 when unknown.
	cleanerOffset int64
	epochs        *epochCache
	producers     *producerStateManager
	decoders      sync.Pool // *record.Decoder, reused across appends
	// decodeToValidate, set only by tests, turns off the structural walk
	// validateRecords uses when no check needs the record fields.
	decodeToValidate bool
	// writeHook, set only by tests, runs when a client append is about to
	// write its batch without holding mu.
	writeHook func()
	scanBufs  sync.Pool // *[]byte header-scan buffers, reused across reads
	stats     LoadStats
	closed    bool
	failed    error // set after an I/O error that left the log inconsistent
}

// Open opens or creates the log of topic-partition in dir, the partition
// directory itself (<log.dir>/<topic>-<partition>), recovering it if the
// previous shutdown was not clean.
func Open(dir string, topic string, partition int32, cfg Config, opts Options) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("open log %s: %w", dir, err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := &Log{
		dir: dir, topic: topic, partition: partition,
		tpName:    topic + "-" + strconv.Itoa(int(partition)),
		logger:    opts.Logger.With("topic", topic, "partition", partition),
		now:       opts.Now,
		producers: newProducerStateManager(),

		cleanerOffset: -1,
	}
	if opts.CleanerCheckpoint > 0 {
		l.cleanerOffset = opts.CleanerCheckpoint
	}
	l.cfg.Store(&cfg)
	if opts.deferCreate {
		if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
			l.create(opts)
			l.onFirstWrite = opts.onFirstWrite
			return l, nil
		}
	}
	fresh, err := makeDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", dir, err)
	}
	if fresh {
		l.create(opts)
		l.mu.Lock()
		err := l.materializeLocked()
		l.mu.Unlock()
		if err != nil {
			l.closeFiles()
			return nil, fmt.Errorf("create log %s: %w", dir, err)
		}
		return l, nil
	}
	if err := l.initTopicID(opts.TopicID); err != nil {
		return nil, fmt.Errorf("open log %s: %w", dir, err)
	}
	epochs, err := loadEpochCache(filepath.Join(dir, LeaderEpochCheckpointFile))
	if errors.Is(err, errBadEpochCheckpoint) {
		// Only the leader epochs are lost: every batch carries its epoch,
		// so recovering the whole log rebuilds them.
		l.logger.Warn("ignoring unreadable leader epoch checkpoint; recovering the log to rebuild it", "err", err)
		opts.CleanShutdown, opts.RecoveryPoint = false, 0
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", dir, err)
	}
	l.epochs = epochs
	if err := l.load(opts); err != nil {
		l.closeFiles()
		return nil, fmt.Errorf("open log %s: %w", dir, err)
	}
	return l, nil
}

// makeDir creates the partition directory and reports whether it is new.
func makeDir(dir string) (bool, error) {
	err := os.Mkdir(dir, 0o755)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return false, err
		}
		err = os.Mkdir(dir, 0o755)
	}
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrExist):
		if st, serr := os.Stat(dir); serr != nil || !st.IsDir() {
			return false, fmt.Errorf("%s exists and is not a directory", dir)
		}
		return false, nil
	}
	return false, err
}

// create starts a new, empty log in memory only. Its directory and first
// segment file are created by materializeLocked: at once when Open made
// the directory, at the first write when the manager creates the log
// (Options.deferCreate), so that creating a partition costs no I/O. Until
// then there is nothing on disk to lose: a crash or a shutdown leaves no
// directory and the broker creates the partition again. Once written to,
// the log's topic id, leader epoch checkpoint and directory entries are
// made durable, without fsyncs on the append path, by its first flush,
// the manager's next checkpoint or its close (persistDeferredLocked), as
// Kafka writes partition.metadata from a background task.
func (l *Log) create(opts Options) {
	start := l.now()
	cfg := l.config()
	nowMs := start.UnixMilli()
	l.epochs = &epochCache{path: filepath.Join(l.dir, LeaderEpochCheckpointFile)}
	l.unmaterialized, l.dirPending = true, true
	if opts.TopicID != ([16]byte{}) {
		l.topicID, l.topicIDPending = opts.TopicID, true
	}
	base := max(opts.LogStartOffset, 0)
	l.segments = []*segment{newLazySegment(l.dir, base, cfg, nowMs, l.jitter(cfg))}
	l.logStartOffset, l.logEndOffset, l.recoveryPoint, l.highWatermark = base, base, base, base
	l.producers.reset(base)
	l.lastFlushMs = nowMs
	l.stats = LoadStats{CleanShutdown: true, ProducerSnapshotOffset: -1, Duration: l.now().Sub(start)}
}

// materializeLocked creates the directory and the first segment file of a
// log made by create. Every path that writes to the log's directory calls
// it first, with mu held for writing; until then the log's only segment
// has no file, which readers never touch since it is empty.
func (l *Log) materializeLocked() error {
	if !l.unmaterialized {
		return nil
	}
	if err := os.Mkdir(l.dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return storageErr("create", l.dir, err)
	}
	s := l.segments[0]
	p := s.path(logSuffix)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return storageErr("create segment", p, err)
	}
	s.file.f = f
	l.unmaterialized = false
	if l.onFirstWrite != nil {
		l.onFirstWrite(l)
	}
	return nil
}

// persistDeferredLocked makes durable what a log written to since its
// creation kept in memory: partition.metadata, the leader epoch checkpoint
// (an epoch assigned while the log was empty) and the directory's entries,
// including, unless the caller syncs the parent directory itself
// (skipParent), the directory's own entry. It is called with mu held for
// writing before the recovery point moves and on close; the manager's
// checkpoints call it with skipParent and without the epochs, which only
// need to reach the disk before the recovery point passes their data
// (recovery rebuilds them from the batches otherwise). A log never written
// to has nothing to persist.
func (l *Log) persistDeferredLocked(skipParent bool) error {
	return l.persistDeferredParts(skipParent, true)
}

func (l *Log) persistDeferredParts(skipParent, epochs bool) error {
	if l.unmaterialized {
		return nil
	}
	wrote := false
	if l.topicIDPending {
		p := filepath.Join(l.dir, PartitionMetadataFile)
		if err := writeFileSynced(p, EncodePartitionMetadata(l.topicID)); err != nil {
			return storageErr("write", p, err)
		}
		l.topicIDPending, wrote = false, true
	}
	if epochs && l.epochs.dirty {
		if err := writeFileSynced(l.epochs.path, EncodeEpochCheckpoint(l.epochs.entries)); err != nil {
			return storageErr("write", l.epochs.path, err)
		}
		l.epochs.dirty, wrote = false, true
	}
	if wrote || l.dirPending {
		if err := syncDir(l.dir); err != nil {
			return storageErr("flush", l.dir, err)
		}
	}
	if l.dirPending && !skipParent {
		if err := syncDir(filepath.Dir(l.dir)); err != nil {
			return storageErr("flush", filepath.Dir(l.dir), err)
		}
		l.dirPending = false
	}
	return nil
}

// persistDeferred is persistDeferredLocked for the manager's checkpoint,
// which fsyncs each log directory's parent once for all its new logs and
// then calls parentSynced. It reports whether the parent needs that fsync.
func (l *Log) persistDeferred() (needParentSync bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.unmaterialized || !(l.topicIDPending || l.dirPending) {
		return false, nil
	}
	return l.dirPending, l.persistDeferredParts(true, false)
}

// parentSynced records that the log directory's entry is durable.
func (l *Log) parentSynced() {
	l.mu.Lock()
	l.dirPending = false
	l.mu.Unlock()
}

func (l *Log) initTopicID(want [16]byte) error {
	p := filepath.Join(l.dir, PartitionMetadataFile)
	b, err := os.ReadFile(p)
	switch {
	case err == nil:
		id, err := DecodePartitionMetadata(b)
		if err != nil {
			return err
		}
		if want != ([16]byte{}) && id != want {
			return fmt.Errorf("%w: %s holds topic id %s, expected %s", ErrInconsistentTopicID, p, FormatUUID(id), FormatUUID(want))
		}
		l.topicID = id
		return nil
	case errors.Is(err, os.ErrNotExist):
		if want != ([16]byte{}) {
			l.topicID, l.topicIDPending = want, true
		}
		return nil
	default:
		return err
	}
}

func (l *Log) config() Config { return *l.cfg.Load() }

func (l *Log) nowMs() int64 { return l.now().UnixMilli() }

// jitter picks a segment's roll jitter as Kafka does: uniformly below
// min(segment.jitter.ms, segment.ms).
func (l *Log) jitter(cfg Config) int64 {
	bound := min(cfg.SegmentJitterMs, cfg.SegmentMs)
	if bound <= 0 {
		return 0
	}
	return rand.Int64N(bound)
}

// Dir returns the partition directory.
func (l *Log) Dir() string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.dir
}

// Topic returns the topic name.
func (l *Log) Topic() string { return l.topic }

// Partition returns the partition number.
func (l *Log) Partition() int32 { return l.partition }

// TopicID returns the topic id from partition.metadata (zero if none).
func (l *Log) TopicID() [16]byte {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.topicID
}

// SetTopicID records the topic id if the log has none yet; a different
// existing id is ErrInconsistentTopicID. partition.metadata is written by
// the next flush, checkpoint or close: until then a crash only loses the
// id, which the broker sets again, as with Kafka's deferred
// partition.metadata write.
func (l *Log) SetTopicID(id [16]byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.topicID == id {
		return nil
	}
	if l.topicID != ([16]byte{}) {
		return fmt.Errorf("%w: log holds %s, expected %s", ErrInconsistentTopicID, FormatUUID(l.topicID), FormatUUID(id))
	}
	l.topicID, l.topicIDPending = id, true
	return nil
}

// LogStartOffset is the first offset a consumer may read.
func (l *Log) LogStartOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.logStartOffset
}

// UsableFrom returns the log start offset, and false if the log can no
// longer be read (closed, or failed on a storage error): a cheap check of
// whether an earlier empty read still holds.
func (l *Log) UsableFrom() (int64, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.logStartOffset, !l.closed && l.failed == nil
}

// LogEndOffset is the offset the next appended record will get.
func (l *Log) LogEndOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.logEndOffset
}

// HighWatermark is the offset below which records are committed.
func (l *Log) HighWatermark() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.highWatermark
}

// SetHighWatermark moves the high watermark, clamped to
// [LogStartOffset, LogEndOffset] as Kafka's updateHighWatermark does. The
// replica layer calls it; a single replica sets it to LogEndOffset after
// each append.
func (l *Log) SetHighWatermark(hw int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.highWatermark = min(max(hw, l.logStartOffset), l.logEndOffset)
}

// LastStableOffset is the high watermark lowered to the start of the
// oldest open transaction, the bound for read_committed consumers.
func (l *Log) LastStableOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.lastStableOffsetLocked()
}

func (l *Log) lastStableOffsetLocked() int64 {
	lso := l.highWatermark
	if f := l.producers.firstUnstableOffset(); f >= 0 && f < lso {
		lso = max(f, l.logStartOffset)
	}
	return lso
}

// RecoveryPoint is the offset below which everything has been fsynced.
func (l *Log) RecoveryPoint() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.recoveryPoint
}

// LoadStats reports what Open had to do.
func (l *Log) LoadStats() LoadStats {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.stats
}

// Config returns the current config.
func (l *Log) Config() Config { return l.config() }

// SetConfig replaces the config; it applies from the next append, roll or
// retention pass. An invalid config is rejected and the old one kept.
func (l *Log) SetConfig(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("set config of %s: %w", l.name(), err)
	}
	l.cfg.Store(&cfg)
	return nil
}

func (l *Log) name() string { return l.tpName }

// Size is the total size of the segment files in bytes.
func (l *Log) Size() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.sizeLocked()
}

func (l *Log) sizeLocked() int64 {
	var n int64
	for _, s := range l.segments {
		n += s.size
	}
	return n
}

// Segments describes the segments, oldest first.
func (l *Log) Segments() []SegmentInfo {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]SegmentInfo, len(l.segments))
	for i, s := range l.segments {
		out[i] = SegmentInfo{BaseOffset: s.base, Size: s.size, LargestTimestamp: s.largestTimestamp(), Path: s.path(logSuffix)}
	}
	return out
}

// LeaderEpochs returns the leader epoch cache entries.
func (l *Log) LeaderEpochs() []EpochEntry {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.epochs.snapshot()
}

// LatestEpoch returns the newest leader epoch in the cache.
func (l *Log) LatestEpoch() (int32, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	e, ok := l.epochs.latest()
	return e.Epoch, ok
}

// AssignEpochStartOffset records that leader epoch epoch starts at
// startOffset. A new leader calls it with its log end offset when it takes
// over, before appending, as Kafka's Partition.makeLeader does.
//
// On an empty log the checkpoint is written by the next flush, checkpoint
// or close instead: there is no data whose epochs a crash could lose, and
// creating a partition then needs no fsync.
func (l *Log) AssignEpochStartOffset(epoch int32, startOffset int64) error {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usableLocked(); err != nil {
		return err
	}
	if l.logEndOffset == l.logStartOffset && l.recoveryPoint == l.logEndOffset {
		if l.epochs.assignNoWrite(epoch, startOffset) {
			l.epochs.dirty = true
		}
		return nil
	}
	if _, err := l.epochs.assign(epoch, startOffset); err != nil {
		return storageErr("assign epoch", l.epochs.path, err)
	}
	return nil
}

// EndOffsetForEpoch answers OffsetForLeaderEpoch (KIP-101/279): the largest
// known epoch at most epoch and the offset where the epoch after it
// starts, or the log end offset for the latest epoch; (-1, -1) when
// unknown.
func (l *Log) EndOffsetForEpoch(epoch int32) (leaderEpoch int32, endOffset int64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.epochs.endOffsetFor(epoch, l.logEndOffset)
}

// ProducerState describes an idempotent or transactional producer known to
// this partition, for DescribeProducers.
func (l *Log) ProducerState(pid int64) (ProducerState, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.producers.describe(pid)
}

// Producers lists the producers known to this partition.
func (l *Log) Producers() []ProducerState {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]ProducerState, 0, len(l.producers.producers))
	for pid := range l.producers.producers {
		s, _ := l.producers.describe(pid)
		out = append(out, s)
	}
	return out
}

// RemoveExpiredProducers drops the state of producers idle for longer than
// producer.id.expiration.ms and returns how many were dropped.
func (l *Log) RemoveExpiredProducers(now time.Time) int {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0
	}
	return l.producers.removeExpired(now.UnixMilli(), l.config().ProducerIDExpirationMs)
}

func (l *Log) usableLocked() error {
	if l.closed {
		return fmt.Errorf("%s: %w", l.name(), ErrClosed)
	}
	if l.failed != nil {
		return fmt.Errorf("%s: %w", l.name(), l.failed)
	}
	return nil
}

func (l *Log) active() *segment { return l.segments[len(l.segments)-1] }

// segmentEnd returns the offset bound of segment i: the next segment's base
// or, for the active one, the log end offset.
func (l *Log) segmentEnd(i int) int64 {
	if i+1 < len(l.segments) {
		return l.segments[i+1].base
	}
	return l.logEndOffset
}

// floorSegment returns the index of the last segment whose base offset is
// at most offset, or -1.
func (l *Log) floorSegment(offset int64) int {
	lo, hi := 0, len(l.segments)
	for lo < hi {
		m := (lo + hi) / 2
		if l.segments[m].base <= offset {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo - 1
}

// Flush fsyncs everything written so far and moves the recovery point to
// the log end offset.
func (l *Log) Flush() error {
	l.mu.RLock()
	leo := l.logEndOffset
	l.mu.RUnlock()
	return l.flushUpTo(leo)
}

// maybeFlushByTime flushes when flush.ms has passed since the last flush.
func (l *Log) maybeFlushByTime(now time.Time) error {
	l.mu.RLock()
	due := !l.closed && now.UnixMilli()-l.lastFlushMs >= l.config().FlushMs && l.logEndOffset > l.recoveryPoint
	l.mu.RUnlock()
	if !due {
		return nil
	}
	return l.Flush()
}

// flushUpTo fsyncs the segments holding offsets below offset (and the
// producer snapshots and directory entries that go with them), then moves
// the recovery point. The fsyncs run without the log lock.
func (l *Log) flushUpTo(offset int64) error {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()

	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return nil
	}
	rp, gen := l.recoveryPoint, l.truncations
	var segs []*segment
	for i, s := range l.segments {
		if s.base < offset && l.segmentEnd(i) >= rp {
			s.file.acquire()
			segs = append(segs, s)
		}
	}
	l.mu.RUnlock()

	var err error
	for _, s := range segs {
		if err == nil {
			if ferr := s.flush(); ferr != nil {
				err = storageErr("flush", s.path(logSuffix), ferr)
			}
		}
		s.file.release()
	}
	if err == nil {
		err = l.syncSnapshots(rp, offset)
	}
	if err == nil {
		if serr := syncDir(l.dir); serr != nil {
			err = storageErr("flush", l.dir, serr)
		}
	}
	if err != nil {
		return err
	}
	l.mu.Lock()
	if !l.closed {
		if err := l.persistDeferredLocked(false); err != nil {
			l.mu.Unlock()
			return err
		}
	}
	if l.truncations == gen && offset > l.recoveryPoint {
		l.recoveryPoint = min(offset, l.logEndOffset)
	}
	l.lastFlushMs = l.nowMs()
	l.mu.Unlock()
	return nil
}

// syncSnapshots fsyncs the producer snapshots named in [from, to].
func (l *Log) syncSnapshots(from, to int64) error {
	offs, err := listSnapshots(l.dir)
	if err != nil {
		return storageErr("list snapshots", l.dir, err)
	}
	for _, o := range offs {
		if o >= from && o <= to {
			if err := syncPath(snapshotPath(l.dir, o)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return storageErr("flush", snapshotPath(l.dir, o), err)
			}
		}
	}
	return nil
}

// Close shuts the log down cleanly: a producer snapshot at the log end
// offset, every segment fsynced, the active segment's indexes given their
// final entry and trimmed, the recovery point moved to the end. Reads
// already handed out stay valid until released.
func (l *Log) Close() error {
	if !l.markClosed() {
		return nil
	}
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.unmaterialized {
		// Never written to: nothing on disk, nothing to close.
		l.segments = nil
		return nil
	}
	var errs []error
	if l.failed == nil {
		if err := l.persistDeferredLocked(false); err != nil {
			errs = append(errs, err)
		}
		if err := l.writeSnapshotLocked(l.logEndOffset); err != nil {
			errs = append(errs, err)
		}
	}
	for i, s := range l.segments {
		last := i == len(l.segments)-1
		if l.failed == nil && (last || l.segmentEnd(i) > l.recoveryPoint) {
			if err := s.flush(); err != nil {
				errs = append(errs, storageErr("flush", s.path(logSuffix), err))
			}
		}
		if err := s.close(last && l.failed == nil); err != nil {
			errs = append(errs, storageErr("close", s.path(logSuffix), err))
		}
	}
	if err := l.syncSnapshots(l.recoveryPoint, l.logEndOffset); err != nil {
		errs = append(errs, err)
	}
	if err := syncDir(l.dir); err != nil {
		errs = append(errs, storageErr("flush", l.dir, err))
	}
	if len(errs) == 0 && l.failed == nil {
		l.recoveryPoint = l.logEndOffset
	}
	l.segments = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close %s: %w", l.name(), err)
	}
	return nil
}

// markClosed stops new appends, reads and background work, then waits for
// background flushes to finish. It reports whether this call closed the
// log.
func (l *Log) markClosed() bool {
	l.cleanAbort.Store(true)
	l.mu.Lock()
	was := l.closed
	l.closed = true
	l.mu.Unlock()
	l.bg.Wait()
	// Wait for a cleaning pass to notice and stop.
	l.cleanMu.Lock()
	l.cleanMu.Unlock()
	return !was
}

// closeFiles releases every file without flushing, as a process crash
// would; Open uses it to clean up after a failed load and tests use it to
// simulate a crash.
func (l *Log) closeFiles() {
	l.markClosed()
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.segments {
		s.close(false)
	}
	l.segments = nil
}

// Delete closes the log and removes its directory: it is first renamed to
// <dir>.<uuid>-delete (so a crash mid-way leaves a name the manager finishes
// deleting at the next start), then removed. Reads already handed out stay
// valid until released.
func (l *Log) Delete() error {
	l.markClosed()
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.segments {
		s.close(false)
	}
	l.segments = nil
	target := filepath.Join(filepath.Dir(l.dir), deleteDirName(l.topic, l.partition, NewUUID()))
	if err := os.Rename(l.dir, target); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("delete %s: %w", l.name(), err)
	}
	if err := syncDir(filepath.Dir(l.dir)); err != nil {
		l.logger.Warn("sync parent directory after rename", "err", err)
	}
	if err := os.RemoveAll(target); err != nil {
		return fmt.Errorf("delete %s: %w", l.name(), err)
	}
	l.dir = target
	return nil
}

// deleteDirSuffix marks a partition directory scheduled for deletion.
const deleteDirSuffix = "-delete"

// deleteDirName is the name Kafka gives a partition directory it is about
// to delete: <topic>-<partition>.<uuid as 32 hex digits>-delete, with the
// topic cut short so that the name fits in 255 bytes.
func deleteDirName(topic string, partition int32, id [16]byte) string {
	suffix := fmt.Sprintf("-%d.%x%s", partition, id[:], deleteDirSuffix)
	return topic[:min(len(topic), 255-len(suffix))] + suffix
}

// snapshotPath names the producer snapshot for offset.
func snapshotPath(dir string, offset int64) string {
	return filepath.Join(dir, fileName(offset, snapshotSuffix))
}

// listSnapshots returns the offsets of the producer snapshot files in dir,
// ascending.
func listSnapshots(dir string) ([]int64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, e := range ents {
		if off, ok := parseOffsetName(e.Name(), snapshotSuffix); ok {
			out = append(out, off)
		}
	}
	return out, nil // ReadDir sorts by name and names are zero padded
}

// parseOffsetName parses "<20 digits><suffix>".
func parseOffsetName(name, suffix string) (int64, bool) {
	if len(name) != 20+len(suffix) || name[20:] != suffix {
		return 0, false
	}
	off, err := strconv.ParseInt(name[:20], 10, 64)
	if err != nil || off < 0 {
		return 0, false
	}
	return off, true
}

// writeSnapshotLocked writes the producer state as <offset>.snapshot. The
// file is not fsynced here: flushes and Close do that, and a torn snapshot
// is detected by its CRC and ignored at load.
func (l *Log) writeSnapshotLocked(offset int64) error {
	p := snapshotPath(l.dir, offset)
	if err := os.WriteFile(p, EncodeProducerSnapshot(l.producers.snapshotEntries()), 0o644); err != nil {
		return storageErr("write snapshot", p, err)
	}
	return nil
}

// deleteSnapshotsOutside removes snapshots named below from or above to.
func (l *Log) deleteSnapshotsOutside(from, to int64) {
	offs, err := listSnapshots(l.dir)
	if err != nil {
		return
	}
	for _, o := range offs {
		if o < from || o > to {
			os.Remove(snapshotPath(l.dir, o))
		}
	}
}
