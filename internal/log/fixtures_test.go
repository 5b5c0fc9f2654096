package log

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// fixture returns the path of a real Kafka file under testdata/segments.
func fixture(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "testdata", "segments", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixture %s: %v", rel, err)
	}
	return p
}

func readFixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixture(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestRebuiltIndexesMatchKafka copies a real Kafka segment's .log alone
// into a fresh partition directory, lets recovery rebuild its indexes with
// index.interval.bytes=4096, closes the log cleanly, and compares the
// resulting .index, .timeindex and producer snapshot with the files the
// Kafka broker wrote, byte for byte.
func TestRebuiltIndexesMatchKafka(t *testing.T) {
	cases := []struct {
		name     string
		dir      string
		base     string
		snapshot string // expected snapshot written at close
	}{
		{"consumer offsets 3.7", "kraft-broker-ldi-poc/__consumer_offsets-6", "00000000000000000000", "00000000000000000013"},
		{"metadata log 4.x non-zero base", "kraft-broker-ronem123/__cluster_metadata-0", "00000000000001725413", "00000000000001737569"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyFile(t, fixture(t, filepath.Join(tc.dir, tc.base+".log")), filepath.Join(dir, tc.base+".log"))
			cfg := DefaultConfig()
			cfg.IndexIntervalBytes = 4096
			l := openTestLog(t, dir, cfg, nil, Options{})
			if st := l.LoadStats(); st.RecoveredSegments != 1 || st.TruncatedBytes != 0 {
				t.Fatalf("load stats %+v, want one recovered segment and nothing truncated", st)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			for _, suffix := range []string{".index", ".timeindex"} {
				got, err := os.ReadFile(filepath.Join(dir, tc.base+suffix))
				if err != nil {
					t.Fatal(err)
				}
				want := readFixture(t, filepath.Join(tc.dir, tc.base+suffix))
				if !bytes.Equal(got, want) {
					t.Errorf("%s: got %d bytes, want Kafka's %d bytes (first difference at %d)", suffix, len(got), len(want), firstDiff(got, want))
				}
			}
			got, err := os.ReadFile(filepath.Join(dir, tc.snapshot+".snapshot"))
			if err != nil {
				t.Fatal(err)
			}
			if want := readFixture(t, filepath.Join(tc.dir, tc.snapshot+".snapshot")); !bytes.Equal(got, want) {
				t.Errorf("snapshot: got %x, want %x", got, want)
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestAppendedIndexesMatchKafka replays a real Kafka segment batch by batch
// through replicated appends (which keep Kafka's offsets) and checks that
// the indexes written on the append path equal Kafka's files.
func TestAppendedIndexesMatchKafka(t *testing.T) {
	cases := []struct {
		name string
		dir  string
		base string
	}{
		{"consumer offsets 3.7", "kraft-broker-ldi-poc/__consumer_offsets-6", "00000000000000000000"},
		{"metadata log 4.x non-zero base", "kraft-broker-ronem123/__cluster_metadata-0", "00000000000001725413"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := readFixture(t, filepath.Join(tc.dir, tc.base+".log"))
			dir := t.TempDir()
			l := openTestLog(t, dir, DefaultConfig(), nil, Options{})
			offs := offsetsIn(data)
			if err := l.TruncateFullyAndStartAt(offs[0][0]); err != nil {
				t.Fatal(err)
			}
			for _, b := range splitRaw(data) {
				if _, err := l.Append(b, AppendInfo{Replicated: true}); err != nil {
					t.Fatalf("replicated append: %v", err)
				}
			}
			if got, want := l.LogEndOffset(), offs[len(offs)-1][1]+1; got != want {
				t.Fatalf("log end offset %d, want %d", got, want)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			for _, suffix := range []string{".log", ".index", ".timeindex"} {
				got, err := os.ReadFile(filepath.Join(dir, tc.base+suffix))
				if err != nil {
					t.Fatal(err)
				}
				want := readFixture(t, filepath.Join(tc.dir, tc.base+suffix))
				if !bytes.Equal(got, want) {
					t.Errorf("%s: got %d bytes, want Kafka's %d bytes (first difference at %d)", suffix, len(got), len(want), firstDiff(got, want))
				}
			}
		})
	}
}

// splitRaw returns each batch of a region as its own slice (copied, since
// appends may rewrite batches in place).
func splitRaw(data []byte) [][]byte {
	var out [][]byte
	it := recordIterator(data)
	for it.Next() {
		out = append(out, append([]byte(nil), it.Entry().Raw...))
	}
	return out
}

// TestOpenKafkaPartitionDirectory opens a partition directory written by a
// real (ZooKeeper-era) Kafka broker: two segments split by a time roll,
// producer snapshots, a clean shutdown. Both a clean and an unclean open
// must find every batch, and recovery must rebuild the first segment's
// indexes exactly as Kafka wrote them.
func TestOpenKafkaPartitionDirectory(t *testing.T) {
	src := fixture(t, "zk-broker-vitormoschetti/ECOMMERCE_NEW_ORDER-1")
	for _, clean := range []bool{true, false} {
		name := "unclean"
		if clean {
			name = "clean"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			ents, err := os.ReadDir(src)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ents {
				copyFile(t, filepath.Join(src, e.Name()), filepath.Join(dir, e.Name()))
			}
			l := openTestLog(t, dir, DefaultConfig(), nil, Options{CleanShutdown: clean, RecoveryPoint: 60, HighWatermark: 60})
			defer l.Close()
			st := l.LoadStats()
			if got, want := st.RecoveredSegments, map[bool]int{true: 0, false: 1}[clean]; got != want {
				t.Errorf("recovered segments %d, want %d", got, want)
			}
			if got := l.LogEndOffset(); got != 60 {
				t.Fatalf("log end offset %d, want 60", got)
			}
			segs := l.Segments()
			if len(segs) != 2 || segs[0].BaseOffset != 0 || segs[1].BaseOffset != 47 {
				t.Fatalf("segments %+v", segs)
			}
			data := readAll(t, l, 0)
			offs := offsetsIn(data)
			if offs[0][0] != 0 || offs[len(offs)-1][1] != 59 {
				t.Fatalf("read offsets %v", offs)
			}
			if off, _, _, ok := l.OffsetForTimestamp(EarliestTimestamp); !ok || off != 0 {
				t.Errorf("earliest offset %d", off)
			}
		})
	}
	// Rebuilding the first (rolled) segment alone gives Kafka's indexes.
	dir := t.TempDir()
	copyFile(t, filepath.Join(src, "00000000000000000000.log"), filepath.Join(dir, "00000000000000000000.log"))
	l := openTestLog(t, dir, DefaultConfig(), nil, Options{})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{".index", ".timeindex"} {
		got, _ := os.ReadFile(filepath.Join(dir, "00000000000000000000"+suffix))
		want, _ := os.ReadFile(filepath.Join(src, "00000000000000000000"+suffix))
		if !bytes.Equal(got, want) {
			t.Errorf("%s: got %x, want %x", suffix, got, want)
		}
	}
}
