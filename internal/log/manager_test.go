package log

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTestManager(t *testing.T, dirs []string, opts ManagerOptions) *Manager {
	t.Helper()
	opts.Logger = testLogger(t)
	m, err := OpenManager(dirs, opts)
	if err != nil {
		t.Fatalf("OpenManager: %v", err)
	}
	return m
}

func TestManagerIdentity(t *testing.T) {
	dir := t.TempDir()
	m := openTestManager(t, []string{dir}, ManagerOptions{NodeID: 3})
	cluster := m.ClusterID()
	if _, err := ParseUUID(cluster); err != nil {
		t.Errorf("generated cluster id %q: %v", cluster, err)
	}
	dirID := m.DirectoryIDs()[dir]
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	meta, err := DecodeMetaProperties(mustRead(t, filepath.Join(dir, MetaPropertiesFile)))
	if err != nil {
		t.Fatal(err)
	}
	if meta.Version != 1 || meta.NodeID != 3 || meta.ClusterID != cluster || meta.DirectoryID != dirID || dirID == ([16]byte{}) {
		t.Errorf("meta.properties %+v", meta)
	}
	// Reopening keeps the identity.
	m = openTestManager(t, []string{dir}, ManagerOptions{NodeID: 3})
	if m.ClusterID() != cluster || m.DirectoryIDs()[dir] != dirID {
		t.Errorf("identity changed on reopen: %s %v", m.ClusterID(), m.DirectoryIDs())
	}
	m.Close()

	cases := []struct {
		name string
		opts ManagerOptions
		want string
	}{
		{"other node", ManagerOptions{NodeID: 4}, "does not match this node's id 4"},
		{"other cluster", ManagerOptions{NodeID: 3, ClusterID: "AAAAAAAAAAAAAAAAAAAAAA"}, "does not match the expected cluster id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := OpenManager([]string{dir}, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	// Directories of two clusters cannot be combined.
	other := t.TempDir()
	openTestManager(t, []string{other}, ManagerOptions{NodeID: 3}).Close()
	if _, err := OpenManager([]string{dir, other}, ManagerOptions{NodeID: 3}); err == nil || !strings.Contains(err.Error(), "different clusters") {
		t.Fatalf("mixed clusters: got %v", err)
	}
	// A ZooKeeper-era directory is refused.
	zk := t.TempDir()
	copyFile(t, fixture(t, "zk-broker-volodymyrzee/meta.properties"), filepath.Join(zk, MetaPropertiesFile))
	if _, err := OpenManager([]string{zk}, ManagerOptions{NodeID: 0}); err == nil || !strings.Contains(err.Error(), "version 0") {
		t.Fatalf("v0 directory: got %v", err)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestManagerLock(t *testing.T) {
	dir := t.TempDir()
	m := openTestManager(t, []string{dir}, ManagerOptions{NodeID: 1})
	if _, err := OpenManager([]string{dir}, ManagerOptions{NodeID: 1}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second manager on a locked directory: %v", err)
	}
	m.Close()
	m = openTestManager(t, []string{dir}, ManagerOptions{NodeID: 1})
	m.Close()
}

func TestManagerCleanShutdownLifecycle(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, cleanShutdownFile)
	m := openTestManager(t, []string{dir}, ManagerOptions{NodeID: 1, BrokerEpoch: 42})
	if m.CleanShutdown() {
		t.Error("fresh directory reported as cleanly shut down")
	}
	l, err := m.GetOrCreate("orders", 0, NewUUID(), testConfig())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		mustAppend(t, l, makeBatch(t, batchSpec{records: 2, timestamp: time.Now().UnixMilli()}))
	}
	l.SetHighWatermark(10)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	var c cleanShutdownMarker
	if err := json.Unmarshal(mustRead(t, marker), &c); err != nil || c.BrokerEpoch != 42 {
		t.Fatalf("marker %+v, %v", c, err)
	}
	rp, _ := ReadOffsetCheckpoint(filepath.Join(dir, RecoveryPointCheckpointFile))
	hw, _ := ReadOffsetCheckpoint(filepath.Join(dir, ReplicationCheckpointFile))
	if rp[TopicPartition{"orders", 0}] != 10 || hw[TopicPartition{"orders", 0}] != 10 {
		t.Errorf("checkpoints after close: recovery %v, replication %v", rp, hw)
	}

	// Clean start: marker seen and removed, nothing recovered.
	m = openTestManager(t, []string{dir}, ManagerOptions{NodeID: 1})
	if !m.CleanShutdown() || m.PreviousBrokerEpoch() != 42 {
		t.Errorf("clean start not detected: %v %d", m.CleanShutdown(), m.PreviousBrokerEpoch())
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Errorf("marker still present while running: %v", err)
	}
	l, ok := m.Get("orders", 0)
	if !ok {
		t.Fatal("log not loaded")
	}
	if st := l.LoadStats(); !st.CleanShutdown || st.RecoveredSegments != 0 || l.LogEndOffset() != 10 || l.HighWatermark() != 10 {
		t.Errorf("clean start: stats %+v end %d hw %d", st, l.LogEndOffset(), l.HighWatermark())
	}
	mustAppend(t, l, makeBatch(t, batchSpec{records: 1, timestamp: time.Now().UnixMilli()}))
	// Crash: no Close, so no marker; the next start recovers.
	m.abandon()
	m = openTestManager(t, []string{dir}, ManagerOptions{NodeID: 1})
	defer m.Close()
	if m.CleanShutdown() || m.PreviousBrokerEpoch() != -1 {
		t.Error("unclean start reported as clean")
	}
	l, _ = m.Get("orders", 0)
	if st := l.LoadStats(); st.CleanShutdown || st.RecoveredSegments != 1 || l.LogEndOffset() != 11 {
		t.Errorf("unclean start: stats %+v end %d", st, l.LogEndOffset())
	}
}

func TestManagerCheckpoint(t *testing.T) {
	dir := t.TempDir()
	m := openTestManager(t, []string{dir}, ManagerOptions{NodeID: 1})
	defer m.Close()
	a, _ := m.GetOrCreate("a", 0, [16]byte{}, smallSegments())
	b, _ := m.GetOrCreate("b", 1, [16]byte{}, smallSegments())
	now := time.Now().UnixMilli()
	for i := 0; i < 9; i++ {
		mustAppend(t, a, makeBatch(t, batchSpec{records: 2, valueSize: 100, timestamp: now}))
	}
	mustAppend(t, b, makeBatch(t, batchSpec{records: 3, timestamp: now}))
	a.SetHighWatermark(18)
	b.SetHighWatermark(2)
	if _, err := a.DeleteRecordsBefore(6); err != nil {
		t.Fatal(err)
	}
	if err := a.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := m.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	rp, _ := ReadOffsetCheckpoint(filepath.Join(dir, RecoveryPointCheckpointFile))
	hw, _ := ReadOffsetCheckpoint(filepath.Join(dir, ReplicationCheckpointFile))
	ls, _ := ReadOffsetCheckpoint(filepath.Join(dir, LogStartOffsetCheckpointFile))
	ta, tb := TopicPartition{"a", 0}, TopicPartition{"b", 1}
	if rp[ta] != 18 || rp[tb] != 0 {
		t.Errorf("recovery points %v, want a-0 flushed to 18 and b-1 at 0", rp)
	}
	if hw[ta] != 18 || hw[tb] != 2 {
		t.Errorf("high watermarks %v", hw)
	}
	// Only a-0's start is beyond its first segment's base (4).
	if len(ls) != 1 || ls[ta] != 6 {
		t.Errorf("log start checkpoint %v, want only a-0 at 6", ls)
	}
}

func TestManagerDirectories(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	// Leftovers a previous run could leave.
	os.MkdirAll(filepath.Join(d1, "gone-0.0123456789abcdef0123456789abcdef-delete"), 0o755)
	os.WriteFile(filepath.Join(d1, "gone-0.0123456789abcdef0123456789abcdef-delete", "x.log"), []byte("x"), 0o644)
	os.MkdirAll(filepath.Join(d1, MetadataLogDir), 0o755)
	os.WriteFile(filepath.Join(d1, MetadataLogDir, "00000000000000000000.log"), []byte("raft data"), 0o644)
	os.MkdirAll(filepath.Join(d2, "moving-0.0123456789abcdef0123456789abcdef-future"), 0o755)
	os.MkdirAll(filepath.Join(d2, "not a partition"), 0o755)

	m := openTestManager(t, []string{d1, d2}, ManagerOptions{NodeID: 1})
	if _, err := os.Stat(filepath.Join(d1, "gone-0.0123456789abcdef0123456789abcdef-delete")); !os.IsNotExist(err) {
		t.Errorf("unfinished deletion not completed: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(d1, MetadataLogDir, "00000000000000000000.log")); string(b) != "raft data" {
		t.Error("metadata log directory was touched")
	}
	if len(m.Logs()) != 0 {
		t.Errorf("opened %d logs, want 0", len(m.Logs()))
	}
	// New partitions go to the directory with the fewest.
	for p := int32(0); p < 4; p++ {
		l, err := m.GetOrCreate("spread", p, [16]byte{}, testConfig())
		if err != nil {
			t.Fatal(err)
		}
		mustAppend(t, l, makeBatch(t, batchSpec{records: 1, timestamp: time.Now().UnixMilli()}))
	}
	count := map[string]int{}
	for p := int32(0); p < 4; p++ {
		d, _ := m.LogDir("spread", p)
		count[d]++
	}
	if count[d1] != 2 || count[d2] != 2 {
		t.Errorf("placement %v, want 2 per directory", count)
	}
	// Invalid names are refused before touching the disk.
	for _, bad := range []string{"", ".", "..", "../x", "a/b", "with space", strings.Repeat("x", 250)} {
		if _, err := m.GetOrCreate(bad, 0, [16]byte{}, testConfig()); err == nil {
			t.Errorf("topic %q accepted", bad)
		}
	}
	// Topic ids must agree with partition.metadata.
	id := NewUUID()
	l, err := m.GetOrCreate("ids", 0, id, testConfig())
	if err != nil || l.TopicID() != id {
		t.Fatalf("create with id: %v", err)
	}
	if _, err := m.GetOrCreate("ids", 0, NewUUID(), testConfig()); !errorsIs(err, ErrInconsistentTopicID) {
		t.Errorf("other topic id: got %v", err)
	}
	dir, _ := m.LogDir("ids", 0)
	mustAppend(t, l, makeBatch(t, batchSpec{records: 1, timestamp: time.Now().UnixMilli()}))
	if _, err := os.Stat(filepath.Join(dir, "ids-0", PartitionMetadataFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("partition.metadata written on the append path: %v", err)
	}
	// The next checkpoint writes what creation deferred.
	if err := m.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, filepath.Join(dir, "ids-0", PartitionMetadataFile)); string(got) != string(EncodePartitionMetadata(id)) {
		t.Errorf("partition.metadata %q", got)
	}
	// Delete renames then removes the directory.
	if err := m.Delete("ids", 0); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Get("ids", 0); ok {
		t.Error("deleted log still known")
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "ids-0") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	// The same partitions come back, in the same directories.
	m = openTestManager(t, []string{d1, d2}, ManagerOptions{NodeID: 1})
	defer m.Close()
	if len(m.Logs()) != 4 {
		t.Errorf("reopened %d logs, want 4", len(m.Logs()))
	}
}

// TestManagerOpensKafkaLogDir opens a log directory written by Apache
// Kafka 3.7 (KRaft): its meta.properties, checkpoints and partitions.
func TestManagerOpensKafkaLogDir(t *testing.T) {
	src := fixture(t, "kraft-broker-ldi-poc")
	dir := t.TempDir()
	filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		copyFile(t, p, filepath.Join(dir, rel))
		return nil
	})
	// The clock is set to when the broker wrote these files, so that its
	// idempotent producers have not expired.
	written := func() time.Time { return time.UnixMilli(1769793600000) }
	m := openTestManager(t, []string{dir}, ManagerOptions{NodeID: 1, ClusterID: "q1w2e3r4t5y6u7i8o9p0", Now: written})
	defer m.Close()
	if got := FormatUUID(m.DirectoryIDs()[dir]); got != "XHhkr4tkSsD900pOQ8pPfg" {
		t.Errorf("directory id %s", got)
	}
	want := map[TopicPartition]int64{{"TestTopicPatient", 0}: 3, {"__consumer_offsets", 6}: 13}
	if len(m.Logs()) != len(want) {
		t.Fatalf("opened %d logs, want %d (the metadata log is not ours)", len(m.Logs()), len(want))
	}
	for tp, end := range want {
		l, ok := m.Get(tp.Topic, tp.Partition)
		if !ok || l.LogEndOffset() != end || l.HighWatermark() != end {
			t.Errorf("%s: end %d hw %d, want %d", tp, l.LogEndOffset(), l.HighWatermark(), end)
		}
	}
	l, _ := m.Get("TestTopicPatient", 0)
	if FormatUUID(l.TopicID()) != "B3_HiNPgSQ6oxG9ZZ6ED5A" {
		t.Errorf("topic id %s", FormatUUID(l.TopicID()))
	}
	// The idempotent producers of that log are known.
	for pid := int64(1); pid <= 3; pid++ {
		if ps, ok := l.ProducerState(pid); !ok || ps.LastSequence != 0 {
			t.Errorf("producer %d: %+v %v", pid, ps, ok)
		}
	}
}

func TestManagerRunBackground(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	m := openTestManager(t, []string{dir}, ManagerOptions{NodeID: 1, Now: clock.Now})
	defer m.Close()
	cfg := smallSegments()
	cfg.RetentionMs = 60_000
	l, err := m.GetOrCreate("r", 0, [16]byte{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 9; i++ {
		mustAppend(t, l, makeBatch(t, batchSpec{records: 2, valueSize: 100, timestamp: clock.Now().UnixMilli()}))
	}
	l.SetHighWatermark(l.LogEndOffset())
	clock.Advance(2 * time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		m.RunBackground(ctx, 5*time.Millisecond, 5*time.Millisecond)
		close(done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for l.LogStartOffset() != 18 || !fileExists(filepath.Join(dir, RecoveryPointCheckpointFile)) {
		if time.Now().After(deadline) {
			t.Fatalf("retention did not run: start %d segments %v", l.LogStartOffset(), segmentBases(l))
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("RunBackground did not return after cancel")
	}
}

func TestDeleteDirName(t *testing.T) {
	id := [16]byte{0xab, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xff}
	if got, want := deleteDirName("orders", 3, id), "orders-3.ab0102030405060708090a0b0c0d0eff-delete"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	long := deleteDirName(strings.Repeat("t", 249), 2147483647, id)
	if len(long) != 255 || !strings.HasSuffix(long, "-2147483647.ab0102030405060708090a0b0c0d0eff-delete") {
		t.Errorf("long name %d bytes: %s", len(long), long)
	}
	if _, ok := parsePartitionDir(long); ok {
		t.Error("a delete directory parsed as a partition")
	}
}
