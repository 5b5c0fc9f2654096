package log

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Names in a log directory.
const (
	lockFile          = ".lock"
	cleanShutdownFile = ".kafka_cleanshutdown"
	// MetadataLogDir is the KRaft metadata log, owned by internal/metadata;
	// the manager leaves it alone.
	MetadataLogDir  = "__cluster_metadata-0"
	futureDirSuffix = "-future"
	strayDirSuffix  = "-stray"
)

// ManagerOptions configures a Manager.
type ManagerOptions struct {
	// NodeID is this broker's node.id; a directory whose meta.properties
	// names another node is refused.
	NodeID int32
	// ClusterID, when set, must match every directory's cluster.id. When
	// empty it is taken from the directories, or a new one is generated
	// for a fresh set of directories.
	ClusterID string
	// BrokerEpoch is written into .kafka_cleanshutdown on Close, as KRaft
	// brokers do.
	BrokerEpoch int64
	// ConfigFor returns the config for a topic's existing partitions when
	// they are opened at start-up; nil means DefaultConfig. The broker
	// applies topic overrides later with (*Log).SetConfig.
	ConfigFor func(topic string) Config
	// Cleaner configures the log cleaner RunBackground runs for compacted
	// logs.
	Cleaner CleanerConfig
	Logger  *slog.Logger
	Now     func() time.Time
}

// CleanerConfig holds the broker's log.cleaner.* settings.
type CleanerConfig struct {
	// Enable is log.cleaner.enable: without it compacted logs are never
	// cleaned (Kafka's default is true).
	Enable bool
	// Threads is log.cleaner.threads, the number of cleaning goroutines;
	// 0 means 1.
	Threads int
	// BackoffMs is log.cleaner.backoff.ms, how long a cleaner goroutine
	// waits when no log needs cleaning; 0 means Kafka's 15000.
	BackoffMs int64
	// DedupeBufferSize is log.cleaner.dedupe.buffer.size, the memory the
	// offset maps of all cleaner goroutines may use together; 0 means
	// Kafka's 128 MiB.
	DedupeBufferSize int64
}

// logDir is one of the manager's directories.
type logDir struct {
	path          string
	lock          *os.File
	meta          MetaProperties
	cleanShutdown bool
	brokerEpoch   int64 // from the clean shutdown marker, -1 when none
	partitions    int   // logs in the directory, guarded by Manager.mu
	// cleanerWritten is the content of cleaner-offset-checkpoint as last
	// written, guarded by Manager.ckMu.
	cleanerWritten map[TopicPartition]int64
}

type managedLog struct {
	log *Log
	dir *logDir
}

// Manager owns one or more log directories (log.dirs): their identity in
// meta.properties, the .lock file, the log-directory checkpoints, the
// clean-shutdown marker, and the partition logs inside them. It is safe
// for concurrent use.
//
// Lock order: Manager.cleanerMu, then Manager.mu, then Manager.ckMu, then
// a Log's locks. The manager never holds mu while a Log does I/O: a log
// being created is marked in creating and opened without the lock, so Get
// and Logs never wait for a creation.
type Manager struct {
	opts      ManagerOptions
	logger    *slog.Logger
	clusterID string
	dirs      []*logDir

	mu       sync.Mutex
	logs     map[TopicPartition]*managedLog
	sorted   []*Log                           // every log, by topic and partition
	creating map[TopicPartition]chan struct{} // closed when the creation ends
	closed   bool
	inflight sync.WaitGroup // creations under way; Close waits for them

	ckMu sync.Mutex // serializes checkpoint writes

	// pendingMu guards pending, the new logs whose first write has
	// created their directory but whose topic id, leader epochs and
	// directory entries are not durable yet; persistC wakes RunBackground
	// to persist them. pendingMu is a leaf: it is taken with a Log's lock
	// held and nothing is locked while holding it.
	pendingMu sync.Mutex
	pending   []*Log
	persistC  chan struct{}

	// cleanerMu guards the cleaner's bookkeeping: the logs being cleaned
	// and those that failed to clean (skipped from then on, as Kafka marks
	// partitions uncleanable).
	cleanerMu   sync.Mutex
	cleaning    map[TopicPartition]bool
	uncleanable map[TopicPartition]bool
}

// OpenManager locks and loads the log directories: it reads or writes
// meta.properties (version 1: node.id, cluster.id, directory.id), refuses
// directories of another cluster or node, detects and removes the clean
// shutdown marker, loads the recovery point, log start and high watermark
// checkpoints, finishes interrupted partition deletions, and opens every
// <topic>-<partition> directory, recovering those that need it.
// __cluster_metadata-0, -future and -stray directories are left alone.
func OpenManager(dirs []string, opts ManagerOptions) (*Manager, error) {
	if len(dirs) == 0 {
		return nil, errors.New("open log manager: no log directories")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ConfigFor == nil {
		opts.ConfigFor = func(string) Config { return DefaultConfig() }
	}
	m := &Manager{opts: opts, logger: opts.Logger, logs: map[TopicPartition]*managedLog{},
		creating: map[TopicPartition]chan struct{}{}, persistC: make(chan struct{}, 1),
		cleaning: map[TopicPartition]bool{}, uncleanable: map[TopicPartition]bool{}}
	ok := false
	defer func() {
		if !ok {
			m.abandon()
		}
	}()
	seen := map[string]bool{}
	for _, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, fmt.Errorf("open log manager: %w", err)
		}
		if seen[abs] {
			return nil, fmt.Errorf("open log manager: log directory %s listed twice", d)
		}
		seen[abs] = true
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return nil, fmt.Errorf("open log manager: create %s: %w", abs, err)
		}
		lock, err := lockDir(abs)
		if err != nil {
			return nil, fmt.Errorf("open log manager: %w", err)
		}
		m.dirs = append(m.dirs, &logDir{path: abs, lock: lock, brokerEpoch: -1})
	}
	if err := m.loadIdentity(); err != nil {
		return nil, fmt.Errorf("open log manager: %w", err)
	}
	for _, d := range m.dirs {
		if err := m.loadDir(d); err != nil {
			return nil, fmt.Errorf("open log manager: %w", err)
		}
	}
	for _, ml := range m.logs {
		m.sorted = append(m.sorted, ml.log)
	}
	slices.SortFunc(m.sorted, compareLogs)
	ok = true
	return m, nil
}

func compareLogs(a, b *Log) int {
	return cmp.Or(strings.Compare(a.topic, b.topic), cmp.Compare(a.partition, b.partition))
}

func compareLogTo(topic string, partition int32) func(*Log, struct{}) int {
	return func(l *Log, _ struct{}) int {
		return cmp.Or(strings.Compare(l.topic, topic), cmp.Compare(l.partition, partition))
	}
}

// loadIdentity reads every meta.properties, settles the cluster id and
// writes the files that are missing or lack a directory.id.
func (m *Manager) loadIdentity() error {
	clusterIDs := map[string]string{} // cluster id -> a directory holding it
	dirIDs := map[[16]byte]string{}
	for _, d := range m.dirs {
		p := filepath.Join(d.path, MetaPropertiesFile)
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		meta, err := DecodeMetaProperties(b)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if meta.Version != 1 {
			return fmt.Errorf("%s: version %d (ZooKeeper mode) is not supported; a KRaft node needs version 1", p, meta.Version)
		}
		if meta.NodeID != m.opts.NodeID {
			return fmt.Errorf("%s: node.id %d does not match this node's id %d", p, meta.NodeID, m.opts.NodeID)
		}
		if m.opts.ClusterID != "" && meta.ClusterID != m.opts.ClusterID {
			return fmt.Errorf("%s: cluster.id %s does not match the expected cluster id %s", p, meta.ClusterID, m.opts.ClusterID)
		}
		if other, ok := dirIDs[meta.DirectoryID]; ok && meta.DirectoryID != ([16]byte{}) {
			return fmt.Errorf("%s: directory.id %s is also used by %s", p, FormatUUID(meta.DirectoryID), other)
		}
		dirIDs[meta.DirectoryID] = d.path
		clusterIDs[meta.ClusterID] = d.path
		d.meta = meta
	}
	switch {
	case m.opts.ClusterID != "":
		m.clusterID = m.opts.ClusterID
	case len(clusterIDs) > 1:
		var parts []string
		for id, dir := range clusterIDs {
			parts = append(parts, fmt.Sprintf("%s in %s", id, dir))
		}
		slices.Sort(parts)
		return fmt.Errorf("log directories belong to different clusters: %s", strings.Join(parts, ", "))
	case len(clusterIDs) == 1:
		for id := range clusterIDs {
			m.clusterID = id
		}
	default:
		m.clusterID = FormatUUID(NewUUID())
	}
	for _, d := range m.dirs {
		if d.meta.Version == 1 && d.meta.DirectoryID != ([16]byte{}) {
			continue
		}
		if d.meta.Version == 0 {
			d.meta = MetaProperties{Version: 1, NodeID: m.opts.NodeID, ClusterID: m.clusterID, Extra: map[string]string{}}
		}
		for {
			d.meta.DirectoryID = NewUUID()
			if _, dup := dirIDs[d.meta.DirectoryID]; !dup {
				break
			}
		}
		dirIDs[d.meta.DirectoryID] = d.path
		p := filepath.Join(d.path, MetaPropertiesFile)
		if err := writeFileAtomic(p, EncodeMetaProperties(d.meta, m.opts.Now())); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}

// cleanShutdownMarker is the JSON KRaft brokers write into
// .kafka_cleanshutdown.
type cleanShutdownMarker struct {
	Version     int   `json:"version"`
	BrokerEpoch int64 `json:"brokerEpoch"`
}

func (m *Manager) loadDir(d *logDir) error {
	marker := filepath.Join(d.path, cleanShutdownFile)
	if b, err := os.ReadFile(marker); err == nil {
		d.cleanShutdown = true
		var c cleanShutdownMarker
		if len(strings.TrimSpace(string(b))) > 0 && json.Unmarshal(b, &c) == nil {
			d.brokerEpoch = c.BrokerEpoch
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read %s: %w", marker, err)
	}
	rps, err := ReadOffsetCheckpoint(filepath.Join(d.path, RecoveryPointCheckpointFile))
	if err != nil {
		return err
	}
	starts, err := ReadOffsetCheckpoint(filepath.Join(d.path, LogStartOffsetCheckpointFile))
	if err != nil {
		return err
	}
	hws, err := ReadOffsetCheckpoint(filepath.Join(d.path, ReplicationCheckpointFile))
	if err != nil {
		return err
	}
	cleaned, err := ReadOffsetCheckpoint(filepath.Join(d.path, CleanerCheckpointFile))
	if err != nil {
		// Only cleaning progress is lost: the cleaner starts over from the
		// log start, as Kafka does when it cannot read this file.
		m.logger.Warn("ignoring unreadable cleaner checkpoint", "err", err)
		cleaned = map[TopicPartition]int64{}
	}
	d.cleanerWritten = cleaned
	ents, err := os.ReadDir(d.path)
	if err != nil {
		return fmt.Errorf("list %s: %w", d.path, err)
	}
	start := m.opts.Now()
	opened := 0
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		p := filepath.Join(d.path, name)
		switch {
		case strings.HasSuffix(name, deleteDirSuffix):
			m.logger.Info("finishing deletion of partition directory", "path", p)
			if err := os.RemoveAll(p); err != nil {
				return fmt.Errorf("remove %s: %w", p, err)
			}
			continue
		case strings.HasSuffix(name, futureDirSuffix), strings.HasSuffix(name, strayDirSuffix), name == MetadataLogDir:
			continue
		}
		tp, ok := parsePartitionDir(name)
		if !ok {
			m.logger.Warn("ignoring directory that is not <topic>-<partition>", "path", p)
			continue
		}
		if other, dup := m.logs[tp]; dup {
			return fmt.Errorf("partition %s is in both %s and %s", tp, other.dir.path, d.path)
		}
		l, err := Open(p, tp.Topic, tp.Partition, m.opts.ConfigFor(tp.Topic), Options{
			Logger: m.logger, Now: m.opts.Now,
			RecoveryPoint: rps[tp], LogStartOffset: starts[tp], HighWatermark: hws[tp],
			CleanShutdown: d.cleanShutdown, CleanerCheckpoint: cleaned[tp],
		})
		if err != nil {
			return err
		}
		m.logs[tp] = &managedLog{log: l, dir: d}
		d.partitions++
		opened++
	}
	if d.cleanShutdown {
		if err := os.Remove(marker); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", marker, err)
		}
		if err := syncDir(d.path); err != nil {
			return err
		}
	}
	m.logger.Info("loaded log directory", "path", d.path, "partitions", opened,
		"clean_shutdown", d.cleanShutdown, "duration", m.opts.Now().Sub(start))
	return nil
}

// parsePartitionDir splits "<topic>-<partition>".
func parsePartitionDir(name string) (TopicPartition, bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 || i == len(name)-1 {
		return TopicPartition{}, false
	}
	p, err := strconv.ParseInt(name[i+1:], 10, 32)
	if err != nil || p < 0 || strconv.FormatInt(p, 10) != name[i+1:] {
		return TopicPartition{}, false
	}
	if ValidateTopicName(name[:i]) != nil {
		return TopicPartition{}, false
	}
	return TopicPartition{Topic: name[:i], Partition: int32(p)}, true
}

// ValidateTopicName applies Kafka's rules: 1 to 249 characters from
// [a-zA-Z0-9._-], and not "." or "..".
func ValidateTopicName(topic string) error {
	switch {
	case topic == "":
		return errors.New("topic name is empty")
	case topic == "." || topic == "..":
		return fmt.Errorf("topic name cannot be %q", topic)
	case len(topic) > 249:
		return fmt.Errorf("topic name is %d characters long; the maximum is 249", len(topic))
	}
	for i := 0; i < len(topic); i++ {
		c := topic[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("topic name %q contains %q; only ASCII letters, digits, '.', '_' and '-' are allowed", topic, c)
		}
	}
	return nil
}

// ClusterID returns the cluster id the directories belong to.
func (m *Manager) ClusterID() string { return m.clusterID }

// NodeID returns the node id the directories belong to.
func (m *Manager) NodeID() int32 { return m.opts.NodeID }

// DirectoryIDs returns each log directory's directory.id, by path.
func (m *Manager) DirectoryIDs() map[string][16]byte {
	out := make(map[string][16]byte, len(m.dirs))
	for _, d := range m.dirs {
		out[d.path] = d.meta.DirectoryID
	}
	return out
}

// CleanShutdown reports whether every directory had a clean shutdown
// marker at start-up.
func (m *Manager) CleanShutdown() bool {
	for _, d := range m.dirs {
		if !d.cleanShutdown {
			return false
		}
	}
	return true
}

// PreviousBrokerEpoch is the broker epoch recorded at the last clean
// shutdown (the lowest over the directories), or -1 after an unclean one.
func (m *Manager) PreviousBrokerEpoch() int64 {
	epoch := int64(-1)
	for i, d := range m.dirs {
		if !d.cleanShutdown {
			return -1
		}
		if i == 0 || d.brokerEpoch < epoch {
			epoch = d.brokerEpoch
		}
	}
	return epoch
}

// GetOrCreate returns the log of topic-partition, creating it in the log
// directory holding the fewest partitions if it does not exist. cfg is used
// only when creating; change an existing log's config with SetConfig. A
// non-zero topicID is recorded in partition.metadata and must match an
// existing one (ErrInconsistentTopicID).
//
// Creating a log touches the disk only to check that its directory does
// not exist (see Log.create): the directory and its files are created by
// the log's first append, and made durable right after by RunBackground,
// or else by the log's first flush or close or the next Checkpoint. A log
// never written to leaves nothing on disk; after a restart the broker
// creates it again. The manager's lock is not held while a log is opened,
// so concurrent Get and Logs calls do not wait.
func (m *Manager) GetOrCreate(topic string, partition int32, topicID [16]byte, cfg Config) (*Log, error) {
	if err := ValidateTopicName(topic); err != nil {
		return nil, err
	}
	if partition < 0 {
		return nil, fmt.Errorf("invalid partition %d", partition)
	}
	tp := TopicPartition{Topic: topic, Partition: partition}
	if tp.String() == MetadataLogDir {
		return nil, fmt.Errorf("%s is the metadata log, not a partition log", MetadataLogDir)
	}
	m.mu.Lock()
	for {
		if m.closed {
			m.mu.Unlock()
			return nil, ErrClosed
		}
		if ml, ok := m.logs[tp]; ok {
			m.mu.Unlock()
			if topicID != ([16]byte{}) {
				if err := ml.log.SetTopicID(topicID); err != nil {
					return nil, err
				}
			}
			return ml.log, nil
		}
		done, busy := m.creating[tp]
		if !busy {
			break
		}
		// Another caller is creating it: wait, then look again.
		m.mu.Unlock()
		<-done
		m.mu.Lock()
	}
	d := slices.MinFunc(m.dirs, func(a, b *logDir) int { return cmp.Compare(a.partitions, b.partitions) })
	d.partitions++ // reserved, so concurrent creations spread out
	done := make(chan struct{})
	m.creating[tp] = done
	m.inflight.Add(1)
	m.mu.Unlock()

	l, err := Open(filepath.Join(d.path, tp.String()), topic, partition, cfg, Options{
		Logger: m.logger, Now: m.opts.Now, TopicID: topicID, CleanShutdown: true,
		deferCreate: true, onFirstWrite: m.notePending,
	})

	m.mu.Lock()
	delete(m.creating, tp)
	close(done)
	if err != nil {
		d.partitions--
	} else {
		m.logs[tp] = &managedLog{log: l, dir: d}
		i, _ := slices.BinarySearchFunc(m.sorted, struct{}{}, compareLogTo(topic, partition))
		m.sorted = slices.Insert(m.sorted, i, l)
	}
	m.mu.Unlock()
	m.inflight.Done()
	if err != nil {
		return nil, err
	}
	m.logger.Info("created partition log", "topic", topic, "partition", partition, "dir", d.path)
	return l, nil
}

// Get returns the log of topic-partition if this node has it.
func (m *Manager) Get(topic string, partition int32) (*Log, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ml, ok := m.logs[TopicPartition{Topic: topic, Partition: partition}]
	if !ok {
		return nil, false
	}
	return ml.log, true
}

// Delete removes the partition's log: its directory is renamed to
// <dir>.<uuid>-delete and then removed. Deleting an unknown partition is
// not an error.
func (m *Manager) Delete(topic string, partition int32) error {
	tp := TopicPartition{Topic: topic, Partition: partition}
	m.mu.Lock()
	ml, ok := m.logs[tp]
	if ok {
		delete(m.logs, tp)
		ml.dir.partitions--
		if i, found := slices.BinarySearchFunc(m.sorted, struct{}{}, compareLogTo(topic, partition)); found {
			m.sorted = slices.Delete(m.sorted, i, i+1)
		}
	}
	m.mu.Unlock()
	if !ok {
		return nil
	}
	if err := ml.log.Delete(); err != nil {
		return err
	}
	m.logger.Info("deleted partition log", "topic", topic, "partition", partition)
	return nil
}

// Logs returns every log, sorted by topic and partition. The slice is the
// caller's; it costs one copy of the manager's sorted list.
func (m *Manager) Logs() []*Log {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.sorted)
}

// LogDir returns the log directory holding topic-partition.
func (m *Manager) LogDir(topic string, partition int32) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ml, ok := m.logs[TopicPartition{Topic: topic, Partition: partition}]
	if !ok {
		return "", false
	}
	return ml.dir.path, true
}

// Dirs returns the log directories.
func (m *Manager) Dirs() []string {
	out := make([]string, len(m.dirs))
	for i, d := range m.dirs {
		out[i] = d.path
	}
	return out
}

// Checkpoint writes each directory's recovery-point-offset-checkpoint,
// replication-offset-checkpoint (high watermarks) and
// log-start-offset-checkpoint (only partitions whose start is past their
// first segment's base, as Kafka writes it).
func (m *Manager) Checkpoint() error {
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return m.checkpoint()
}

func (m *Manager) checkpoint() error {
	m.mu.Lock()
	byDir := map[*logDir][]*managedLog{}
	for _, ml := range m.logs {
		byDir[ml.dir] = append(byDir[ml.dir], ml)
	}
	m.mu.Unlock()
	m.ckMu.Lock()
	defer m.ckMu.Unlock()
	var errs []error
	for _, d := range m.dirs {
		rps := map[TopicPartition]int64{}
		hws := map[TopicPartition]int64{}
		starts := map[TopicPartition]int64{}
		// What new logs deferred (topic id, epochs, directory entries)
		// first, with one fsync of the log directory for all of them.
		var synced []*Log
		for _, ml := range byDir[d] {
			needParent, err := ml.log.persistDeferred()
			if err != nil {
				errs = append(errs, err)
			} else if needParent {
				synced = append(synced, ml.log)
			}
		}
		if len(synced) > 0 {
			if err := syncDir(d.path); err != nil {
				errs = append(errs, err)
			} else {
				for _, l := range synced {
					l.parentSynced()
				}
			}
		}
		for _, ml := range byDir[d] {
			l := ml.log
			tp := TopicPartition{Topic: l.topic, Partition: l.partition}
			rp, hw, lso, firstBase := l.checkpointOffsets()
			rps[tp], hws[tp] = rp, hw
			if lso > firstBase {
				starts[tp] = lso
			}
		}
		if err := m.writeCleanerCheckpointLocked(d, byDir[d]); err != nil {
			errs = append(errs, err)
		}
		for name, m := range map[string]map[TopicPartition]int64{
			RecoveryPointCheckpointFile:  rps,
			ReplicationCheckpointFile:    hws,
			LogStartOffsetCheckpointFile: starts,
		} {
			if err := WriteOffsetCheckpoint(filepath.Join(d.path, name), m); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// writeCleanerCheckpointLocked rewrites d's cleaner-offset-checkpoint
// from its logs' cleaner offsets when they changed since the last write.
// ckMu must be held.
func (m *Manager) writeCleanerCheckpointLocked(d *logDir, logs []*managedLog) error {
	offsets := map[TopicPartition]int64{}
	for _, ml := range logs {
		if off := ml.log.CleanerOffset(); off >= 0 {
			offsets[TopicPartition{Topic: ml.log.topic, Partition: ml.log.partition}] = off
		}
	}
	if maps.Equal(offsets, d.cleanerWritten) {
		return nil
	}
	if err := WriteOffsetCheckpoint(filepath.Join(d.path, CleanerCheckpointFile), offsets); err != nil {
		return err
	}
	d.cleanerWritten = offsets
	return nil
}

// checkpointOffsets returns what the directory checkpoints record.
func (l *Log) checkpointOffsets() (recoveryPoint, highWatermark, logStart, firstBase int64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	firstBase = l.logStartOffset
	if len(l.segments) > 0 {
		firstBase = l.segments[0].base
	}
	return l.recoveryPoint, l.highWatermark, l.logStartOffset, firstBase
}

// RunBackground runs the periodic work until ctx is done or the manager is
// closed: every retentionCheckInterval it applies retention to each log
// (and expires idle producers); every flushCheckpointInterval it flushes
// logs whose flush.ms has passed and writes the checkpoints. A non-positive
// interval disables that task. With ManagerOptions.Cleaner.Enable it also
// runs Cleaner.Threads cleaner goroutines (see CleanDirtiest), which stop
// with it. Errors are logged and the loop goes on. Callers should cancel
// ctx and wait for it to return before Close.
func (m *Manager) RunBackground(ctx context.Context, retentionCheckInterval, flushCheckpointInterval time.Duration) {
	if c := m.opts.Cleaner; c.Enable {
		threads := max(c.Threads, 1)
		backoff := time.Duration(c.BackoffMs) * time.Millisecond
		if c.BackoffMs <= 0 {
			backoff = 15 * time.Second
		}
		dedupe := c.DedupeBufferSize
		if dedupe <= 0 {
			dedupe = DefaultDedupeBufferSize
		}
		var wg sync.WaitGroup
		defer wg.Wait()
		for i := 0; i < threads; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m.runCleaner(ctx, backoff, dedupe/int64(threads))
			}()
		}
	}
	defer m.persistPending() // what was noted until the end
	var retC, ckC <-chan time.Time
	if retentionCheckInterval > 0 {
		t := time.NewTicker(retentionCheckInterval)
		defer t.Stop()
		retC = t.C
	}
	if flushCheckpointInterval > 0 {
		t := time.NewTicker(flushCheckpointInterval)
		defer t.Stop()
		ckC = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-retC:
			if m.isClosed() {
				return
			}
			now := m.opts.Now()
			for _, l := range m.Logs() {
				n, err := l.ApplyRetention(now)
				if err != nil && !errors.Is(err, ErrClosed) {
					m.logger.Error("apply retention", "topic", l.topic, "partition", l.partition, "err", err)
				} else if n > 0 {
					m.logger.Info("retention deleted segments", "topic", l.topic, "partition", l.partition, "segments", n)
				}
			}
		case <-m.persistC:
			m.persistPending()
		case <-ckC:
			if m.isClosed() {
				return
			}
			now := m.opts.Now()
			for _, l := range m.Logs() {
				if err := l.maybeFlushByTime(now); err != nil {
					m.logger.Error("flush", "topic", l.topic, "partition", l.partition, "err", err)
				}
			}
			if err := m.Checkpoint(); err != nil && !errors.Is(err, ErrClosed) {
				m.logger.Error("write checkpoints", "err", err)
			}
		}
	}
}

// notePending records a new log whose first write created its directory
// and wakes RunBackground, which persists its deferred state promptly:
// one fsync of the log directory covers every log noted meanwhile, so a
// burst of new partitions costs little, and the window in which a crash
// loses a topic id is short, as with Kafka's background write of
// partition.metadata.
func (m *Manager) notePending(l *Log) {
	m.pendingMu.Lock()
	m.pending = append(m.pending, l)
	m.pendingMu.Unlock()
	select {
	case m.persistC <- struct{}{}:
	default:
	}
}

// persistPending persists the logs notePending recorded.
func (m *Manager) persistPending() {
	m.pendingMu.Lock()
	logs := m.pending
	m.pending = nil
	m.pendingMu.Unlock()
	if len(logs) == 0 {
		return
	}
	byDir := map[string][]*Log{}
	for _, l := range logs {
		needParent, err := l.persistDeferred()
		if err != nil {
			if !errors.Is(err, ErrClosed) {
				m.logger.Error("persist new partition", "topic", l.topic, "partition", l.partition, "err", err)
			}
			continue
		}
		if needParent {
			parent := filepath.Dir(l.Dir())
			byDir[parent] = append(byDir[parent], l)
		}
	}
	for dir, ls := range byDir {
		if err := syncDir(dir); err != nil {
			m.logger.Error("sync log directory", "dir", dir, "err", err)
			continue
		}
		for _, l := range ls {
			l.parentSynced()
		}
	}
}

// runCleaner is one cleaner goroutine, as Kafka's CleanerThread: it cleans
// the dirtiest eligible log, or waits backoff when none is, until ctx is
// done or the manager closed.
func (m *Manager) runCleaner(ctx context.Context, backoff time.Duration, dedupe int64) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if m.isClosed() {
			return
		}
		if m.CleanDirtiest(ctx, dedupe) {
			t.Reset(0)
		} else {
			t.Reset(backoff)
		}
	}
}

// CleanDirtiest runs one cleaning pass on the compacted log with the
// highest cleanable ratio among those eligible (Kafka's
// grabFilthiestCompactedLog), using at most dedupeBytes for its offset
// map, and records the new cleaner offset in cleaner-offset-checkpoint.
// It reports whether a log was cleaned. A log whose pass fails is logged
// and skipped from then on. The background cleaner calls it; tests may
// call it directly.
func (m *Manager) CleanDirtiest(ctx context.Context, dedupeBytes int64) bool {
	now := m.opts.Now()
	m.cleanerMu.Lock()
	var best *Log
	bestRatio := -1.0
	for _, l := range m.Logs() {
		tp := TopicPartition{Topic: l.topic, Partition: l.partition}
		if m.cleaning[tp] || m.uncleanable[tp] {
			continue
		}
		if c, ok := l.cleanable(now.UnixMilli()); ok && c.ratio > bestRatio {
			best, bestRatio = l, c.ratio
		}
	}
	if best == nil {
		m.cleanerMu.Unlock()
		return false
	}
	tp := TopicPartition{Topic: best.topic, Partition: best.partition}
	m.cleaning[tp] = true
	m.cleanerMu.Unlock()

	st, err := best.clean(ctx, now, dedupeBytes)

	m.cleanerMu.Lock()
	delete(m.cleaning, tp)
	if err != nil && !errors.Is(err, ErrClosed) {
		m.uncleanable[tp] = true
		m.logger.Error("cannot clean log; skipping the partition until restart", "topic", tp.Topic, "partition", tp.Partition, "err", err)
	}
	m.cleanerMu.Unlock()
	if err != nil || !st.Cleaned {
		return false
	}
	if err := m.writeCleanerCheckpoint(tp); err != nil {
		m.logger.Error("write cleaner checkpoint", "err", err)
	}
	return !st.Aborted
}

// writeCleanerCheckpoint rewrites the cleaner-offset-checkpoint of the
// directory holding tp.
func (m *Manager) writeCleanerCheckpoint(tp TopicPartition) error {
	m.mu.Lock()
	ml, ok := m.logs[tp]
	var logs []*managedLog
	if ok {
		for _, o := range m.logs {
			if o.dir == ml.dir {
				logs = append(logs, o)
			}
		}
	}
	m.mu.Unlock()
	if !ok {
		return nil
	}
	m.ckMu.Lock()
	defer m.ckMu.Unlock()
	return m.writeCleanerCheckpointLocked(ml.dir, logs)
}

func (m *Manager) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// Close shuts down cleanly: every log is closed (flushed, producer
// snapshot written, indexes trimmed), the checkpoints are written and,
// in each directory where all of that succeeded, .kafka_cleanshutdown is
// written so the next start skips recovery. The directory locks are
// released.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	m.inflight.Wait()
	m.mu.Lock()
	logs := make([]*managedLog, 0, len(m.logs))
	for _, ml := range m.logs {
		logs = append(logs, ml)
	}
	m.mu.Unlock()

	failed := map[*logDir]bool{}
	var errs []error
	for _, ml := range logs {
		if err := ml.log.Close(); err != nil {
			failed[ml.dir] = true
			errs = append(errs, err)
		}
	}
	if err := m.checkpoint(); err != nil {
		errs = append(errs, err)
		for _, d := range m.dirs {
			failed[d] = true
		}
	}
	for _, d := range m.dirs {
		if !failed[d] {
			b, _ := json.Marshal(cleanShutdownMarker{Version: 0, BrokerEpoch: m.opts.BrokerEpoch})
			if err := writeFileAtomic(filepath.Join(d.path, cleanShutdownFile), b); err != nil {
				errs = append(errs, fmt.Errorf("write clean shutdown marker in %s: %w", d.path, err))
			}
		}
		if err := unlockDir(d.lock); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close log manager: %w", err)
	}
	return nil
}

// abandon releases everything without a clean shutdown, after a failed
// open.
func (m *Manager) abandon() {
	for _, ml := range m.logs {
		ml.log.closeFiles()
	}
	for _, d := range m.dirs {
		if d.lock != nil {
			unlockDir(d.lock)
		}
	}
}
