package log

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestCreateDefersDiskWork follows a partition created through the
// manager: nothing is on disk until its first append, its topic id and
// first leader epoch reach the disk at the next checkpoint, and the
// partition behaves as an empty log all along.
func TestCreateDefersDiskWork(t *testing.T) {
	root := t.TempDir()
	m := openTestManager(t, []string{root}, ManagerOptions{NodeID: 1})
	defer m.Close()
	id := NewUUID()
	l, err := m.GetOrCreate("new", 0, id, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "new-0")
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("partition directory created at once: %v", err)
	}
	if err := l.AssignEpochStartOffset(3, 0); err != nil {
		t.Fatal(err)
	}
	// An empty log answers like any other.
	if got, ok := m.Get("new", 0); !ok || got != l {
		t.Fatal("Get does not see the new log")
	}
	r, err := l.Read(0, 1<<20, 0, true)
	if err != nil || r.Size() != 0 {
		t.Fatalf("Read: %v size %d", err, r.Size())
	}
	r.Release()
	if off, _, epoch, ok := l.OffsetForTimestamp(LatestTimestamp); !ok || off != 0 || epoch != 3 {
		t.Fatalf("latest offset: %d epoch %d %v", off, epoch, ok)
	}
	if _, _, _, ok := l.OffsetForTimestamp(1); ok {
		t.Fatal("timestamp lookup found something in an empty log")
	}
	if segs := l.Segments(); len(segs) != 1 || segs[0].Size != 0 {
		t.Fatalf("segments %+v", segs)
	}
	if n, err := l.ApplyRetention(time.Now().Add(365 * 24 * time.Hour)); err != nil || n != 0 {
		t.Fatalf("retention: %d, %v", n, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("partition directory created before any write: %v", err)
	}

	if _, err := l.Append(makeBatch(t, batchSpec{records: 2, timestamp: time.Now().UnixMilli()}), AppendInfo{LeaderEpoch: 3}); err != nil {
		t.Fatal(err)
	}
	if !fileExists(filepath.Join(dir, fileName(0, logSuffix))) {
		t.Fatal("first append did not create the segment")
	}
	for _, f := range []string{PartitionMetadataFile, LeaderEpochCheckpointFile} {
		if fileExists(filepath.Join(dir, f)) {
			t.Fatalf("%s written before the first flush or checkpoint", f)
		}
	}
	if err := m.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, filepath.Join(dir, PartitionMetadataFile)); string(got) != string(EncodePartitionMetadata(id)) {
		t.Fatalf("partition.metadata %q", got)
	}
	// The leader epochs reach the disk before the recovery point moves.
	if fileExists(filepath.Join(dir, LeaderEpochCheckpointFile)) {
		t.Fatal("leader-epoch-checkpoint written by a checkpoint")
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	epochs, err := DecodeEpochCheckpoint(mustRead(t, filepath.Join(dir, LeaderEpochCheckpointFile)))
	if err != nil || !slices.Equal(epochs, []EpochEntry{{Epoch: 3, StartOffset: 0}}) {
		t.Fatalf("leader-epoch-checkpoint %v, %v", epochs, err)
	}
}

// TestCreateCrashSafety crashes a broker at each stage of a new
// partition's life and checks what the next start finds: no partition
// (the broker recreates it), or a log with every record written.
func TestCreateCrashSafety(t *testing.T) {
	cases := []struct {
		name        string
		stage       func(t *testing.T, m *Manager, l *Log)
		wantLog     bool
		wantRecords int64
		wantTopicID bool
		wantEpochs  []EpochEntry
	}{
		{name: "created only", stage: func(*testing.T, *Manager, *Log) {}, wantLog: false},
		{name: "appended, not flushed", stage: func(t *testing.T, _ *Manager, l *Log) {
			appendAtEpoch(t, l, 5, 3)
		}, wantLog: true, wantRecords: 3, wantEpochs: []EpochEntry{{Epoch: 5, StartOffset: 0}}},
		{name: "checkpointed", stage: func(t *testing.T, m *Manager, _ *Log) {
			if err := m.Checkpoint(); err != nil {
				t.Fatal(err)
			}
		}, wantLog: false},
		{name: "appended and checkpointed", stage: func(t *testing.T, m *Manager, l *Log) {
			appendAtEpoch(t, l, 5, 3)
			if err := m.Checkpoint(); err != nil {
				t.Fatal(err)
			}
		}, wantLog: true, wantRecords: 3, wantTopicID: true, wantEpochs: []EpochEntry{{Epoch: 5, StartOffset: 0}}},
		{name: "appended and flushed", stage: func(t *testing.T, _ *Manager, l *Log) {
			appendAtEpoch(t, l, 5, 3)
			if err := l.Flush(); err != nil {
				t.Fatal(err)
			}
		}, wantLog: true, wantRecords: 3, wantTopicID: true, wantEpochs: []EpochEntry{{Epoch: 5, StartOffset: 0}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			m := openTestManager(t, []string{root}, ManagerOptions{NodeID: 1})
			id := NewUUID()
			l, err := m.GetOrCreate("c", 0, id, testConfig())
			if err != nil {
				t.Fatal(err)
			}
			l.AssignEpochStartOffset(5, 0)
			tc.stage(t, m, l)
			m.abandon() // crash: nothing is flushed or closed

			m = openTestManager(t, []string{root}, ManagerOptions{NodeID: 1})
			defer m.Close()
			l, ok := m.Get("c", 0)
			if ok != tc.wantLog {
				t.Fatalf("log loaded: %v, want %v", ok, tc.wantLog)
			}
			if !ok {
				// The broker creates it again.
				if _, err := m.GetOrCreate("c", 0, id, testConfig()); err != nil {
					t.Fatal(err)
				}
				return
			}
			if l.LogEndOffset() != tc.wantRecords {
				t.Errorf("log end offset %d, want %d", l.LogEndOffset(), tc.wantRecords)
			}
			if got := l.TopicID() == id; got != tc.wantTopicID {
				t.Errorf("topic id kept: %v, want %v", got, tc.wantTopicID)
			}
			if got := l.LeaderEpochs(); len(got)+len(tc.wantEpochs) > 0 && !slices.Equal(got, tc.wantEpochs) {
				t.Errorf("leader epochs %v, want %v", got, tc.wantEpochs)
			}
			// The broker hands the topic id again; it is accepted.
			if _, err := m.GetOrCreate("c", 0, id, testConfig()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCreateCleanShutdown closes a manager with new partitions: one never
// written to leaves nothing on disk (the broker creates it again), one
// written to comes back with its data, topic id and leader epoch.
func TestCreateCleanShutdown(t *testing.T) {
	root := t.TempDir()
	m := openTestManager(t, []string{root}, ManagerOptions{NodeID: 1})
	id := NewUUID()
	for p := int32(0); p < 2; p++ {
		l, err := m.GetOrCreate("idle", p, id, testConfig())
		if err != nil {
			t.Fatal(err)
		}
		l.AssignEpochStartOffset(1, 0)
		if p == 1 {
			appendAtEpoch(t, l, 1, 2)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "idle-0")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a partition never written to left a directory: %v", err)
	}
	dir := filepath.Join(root, "idle-1")
	for _, f := range []string{fileName(0, logSuffix), fileName(0, indexSuffix), fileName(0, timeIndexSuffix), PartitionMetadataFile} {
		if !fileExists(filepath.Join(dir, f)) {
			t.Errorf("%s missing after close", f)
		}
	}
	m = openTestManager(t, []string{root}, ManagerOptions{NodeID: 1})
	defer m.Close()
	if !m.CleanShutdown() || len(m.Logs()) != 1 {
		t.Fatalf("clean start %v with %d logs", m.CleanShutdown(), len(m.Logs()))
	}
	l := m.Logs()[0]
	if l.TopicID() != id || l.LogEndOffset() != 2 || l.LoadStats().RecoveredSegments != 0 ||
		!slices.Equal(l.LeaderEpochs(), []EpochEntry{{Epoch: 1, StartOffset: 0}}) {
		t.Errorf("%s: id %v end %d epochs %v stats %+v", l.name(), l.TopicID() == id, l.LogEndOffset(), l.LeaderEpochs(), l.LoadStats())
	}
}

func appendAtEpoch(t *testing.T, l *Log, epoch int32, records int) {
	t.Helper()
	if _, err := l.Append(makeBatch(t, batchSpec{records: records, timestamp: time.Now().UnixMilli()}), AppendInfo{LeaderEpoch: epoch}); err != nil {
		t.Fatal(err)
	}
}

// TestCorruptEpochCheckpoint checks that an unreadable
// leader-epoch-checkpoint (a torn write) does not stop the log from
// loading: the epochs are rebuilt from the batches.
func TestCorruptEpochCheckpoint(t *testing.T) {
	dir := t.TempDir()
	l := openTestLog(t, dir, testConfig(), nil, Options{})
	if _, err := l.Append(makeBatch(t, batchSpec{records: 2, timestamp: time.Now().UnixMilli()}), AppendInfo{LeaderEpoch: 4}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, LeaderEpochCheckpointFile), []byte("\x00\x00\x00"), 0o644)
	l = openTestLog(t, dir, testConfig(), nil, Options{CleanShutdown: true})
	defer l.Close()
	if got := l.LeaderEpochs(); !slices.Equal(got, []EpochEntry{{Epoch: 4, StartOffset: 0}}) {
		t.Fatalf("leader epochs %v, want epoch 4 from 0", got)
	}
	if l.LoadStats().RecoveredSegments != 1 {
		t.Fatalf("stats %+v, want the segment recovered", l.LoadStats())
	}
}

// TestConcurrentCreate creates partitions from many goroutines, the same
// ones several times over, while others call Get and Logs.
func TestConcurrentCreate(t *testing.T) {
	m := openTestManager(t, []string{t.TempDir(), t.TempDir()}, ManagerOptions{NodeID: 1})
	defer m.Close()
	const partitions = 40
	var wg sync.WaitGroup
	got := make([][]*Log, 4)
	for g := range got {
		got[g] = make([]*Log, partitions)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := 0; p < partitions; p++ {
				l, err := m.GetOrCreate("conc", int32(p), [16]byte{}, testConfig())
				if err != nil {
					t.Error(err)
					return
				}
				got[g][p] = l
				m.Get("conc", int32(partitions-1-p))
				m.Logs()
			}
		}()
	}
	wg.Wait()
	for p := 0; p < partitions; p++ {
		for g := 1; g < len(got); g++ {
			if got[g][p] != got[0][p] {
				t.Fatalf("partition %d created twice", p)
			}
		}
	}
	logs := m.Logs()
	if len(logs) != partitions || !slices.IsSortedFunc(logs, compareLogs) {
		t.Fatalf("Logs: %d logs, sorted %v", len(logs), slices.IsSortedFunc(logs, compareLogs))
	}
	count := map[string]int{}
	for p := 0; p < partitions; p++ {
		d, _ := m.LogDir("conc", int32(p))
		count[d]++
	}
	for d, n := range count {
		if n != partitions/2 {
			t.Errorf("%s holds %d partitions, want %d", d, n, partitions/2)
		}
	}
	for p := 0; p < partitions; p += 2 {
		if err := m.Delete("conc", int32(p)); err != nil {
			t.Fatal(err)
		}
	}
	if logs := m.Logs(); len(logs) != partitions/2 || !slices.IsSortedFunc(logs, compareLogs) {
		t.Fatalf("after deletes: %d logs", len(logs))
	}
}

// BenchmarkManagerLookups measures Get and Logs with 10 000 partitions.
//
//	go test ./internal/log -run '^$' -bench BenchmarkManagerLookups
func BenchmarkManagerLookups(b *testing.B) {
	m, err := OpenManager([]string{b.TempDir()}, ManagerOptions{NodeID: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	const partitions = 10000
	for p := 0; p < partitions; p++ {
		if _, err := m.GetOrCreate(fmt.Sprintf("t%d", p%100), int32(p/100), [16]byte{}, DefaultConfig()); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Get", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, ok := m.Get("t42", int32(i%100)); !ok {
				b.Fatal("missing")
			}
		}
	})
	b.Run("Logs", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if len(m.Logs()) != partitions {
				b.Fatal("wrong count")
			}
		}
	})
}

// TestCreatePersistedPromptly checks that RunBackground makes a new
// partition's topic id durable soon after its first write, without
// waiting for a checkpoint.
func TestCreatePersistedPromptly(t *testing.T) {
	root := t.TempDir()
	m := openTestManager(t, []string{root}, ManagerOptions{NodeID: 1})
	defer m.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		m.RunBackground(ctx, 0, 0) // no retention, flush or checkpoint ticks
		close(done)
	}()
	defer func() { cancel(); <-done }()
	id := NewUUID()
	for p := int32(0); p < 5; p++ {
		l, err := m.GetOrCreate("prompt", p, id, testConfig())
		if err != nil {
			t.Fatal(err)
		}
		appendAtEpoch(t, l, 0, 1)
	}
	deadline := time.Now().Add(10 * time.Second)
	for p := 0; p < 5; p++ {
		path := filepath.Join(root, fmt.Sprintf("prompt-%d", p), PartitionMetadataFile)
		for !fileExists(path) {
			if time.Now().After(deadline) {
				t.Fatalf("%s not written", path)
			}
			time.Sleep(2 * time.Millisecond)
		}
		if got := mustRead(t, path); string(got) != string(EncodePartitionMetadata(id)) {
			t.Fatalf("%s: %q", path, got)
		}
	}
}
