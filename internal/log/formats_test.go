package log

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestOffsetCheckpointFixtures(t *testing.T) {
	cases := []struct {
		file    string
		entries int
		check   map[TopicPartition]int64
		exact   bool // our encoding (sorted) equals Kafka's bytes
	}{
		{"kraft-broker-ldi-poc/recovery-point-offset-checkpoint", 54, map[TopicPartition]int64{{"__consumer_offsets", 22}: 0}, false},
		{"kraft-broker-ldi-poc/replication-offset-checkpoint", 54, map[TopicPartition]int64{{"__consumer_offsets", 6}: 13}, false},
		{"kraft-broker-ldi-poc/log-start-offset-checkpoint", 0, nil, true},
		{"kraft-broker-ldi-poc/cleaner-offset-checkpoint", 0, nil, false}, // a 0-byte file
		{"kraft-broker-ronem123/cleaner-offset-checkpoint", 2, map[TopicPartition]int64{{"__consumer_offsets", 31}: 3, {"__consumer_offsets", 44}: 9}, true},
		{"kraft-broker-ronem123/replication-offset-checkpoint", 51, map[TopicPartition]int64{{"topic_transactions", 0}: 5}, false},
		{"zk-broker-vitormoschetti/recovery-point-offset-checkpoint", -1, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			raw := readFixture(t, tc.file)
			m, err := DecodeOffsetCheckpoint(raw)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if tc.entries >= 0 && len(m) != tc.entries {
				t.Errorf("entries: got %d, want %d", len(m), tc.entries)
			}
			for tp, want := range tc.check {
				if got, ok := m[tp]; !ok || got != want {
					t.Errorf("%s: got %d (present %v), want %d", tp, got, ok, want)
				}
			}
			enc := EncodeOffsetCheckpoint(m)
			back, err := DecodeOffsetCheckpoint(enc)
			if err != nil || !reflect.DeepEqual(back, m) {
				t.Errorf("round trip: got %v, %v", back, err)
			}
			if tc.exact && !bytes.Equal(enc, raw) {
				t.Errorf("encoding: got %q, want Kafka's %q", enc, raw)
			}
		})
	}
}

func TestDecodeOffsetCheckpointErrors(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"unknown version", "1\n0\n", "unrecognized version 1"},
		{"bad version", "x\n0\n", "bad version"},
		{"no count", "0\n", "missing entry count"},
		{"count too high", "0\n2\nt 0 1\n", "header says 2 entries, file has 1"},
		{"count too low", "0\n0\nt 0 1\n", "header says 0 entries, file has 1"},
		{"missing field", "0\n1\nt 0\n", "have 2 fields"},
		{"extra field", "0\n1\nt 0 1 2\n", "have 4 fields"},
		{"bad partition", "0\n1\nt x 1\n", "bad partition"},
		{"negative partition", "0\n1\nt -1 1\n", "bad partition"},
		{"bad offset", "0\n1\nt 0 1.5\n", "bad offset"},
		{"duplicate", "0\n2\nt 0 1\nt 0 2\n", "appears twice"},
		{"negative count", "0\n-1\n", "bad entry count"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeOffsetCheckpoint([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestEpochCheckpointFixtures(t *testing.T) {
	cases := []struct {
		file string
		want []EpochEntry
	}{
		{"kraft-broker-ldi-poc/__consumer_offsets-6/leader-epoch-checkpoint", []EpochEntry{{0, 0}}},
		{"kraft-broker-ronem123/__cluster_metadata-0/leader-epoch-checkpoint", []EpochEntry{{1, 852953}}},
		{"kraft-broker-ronem123/topic_transactions-0/leader-epoch-checkpoint", []EpochEntry{{10, 5}}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			raw := readFixture(t, tc.file)
			got, err := DecodeEpochCheckpoint(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if enc := EncodeEpochCheckpoint(got); !bytes.Equal(enc, raw) {
				t.Errorf("encoding: got %q, want %q", enc, raw)
			}
		})
	}
}

func TestPartitionMetadataFixtures(t *testing.T) {
	cases := []struct {
		file, id string
	}{
		{"kraft-broker-ldi-poc/TestTopicPatient-0/partition.metadata", "B3_HiNPgSQ6oxG9ZZ6ED5A"},
		{"kraft-broker-ldi-poc/__cluster_metadata-0/partition.metadata", "AAAAAAAAAAAAAAAAAAAAAQ"},
		{"kraft-broker-ldi-poc/__consumer_offsets-6/partition.metadata", "gSnfpEbtQfSDpxM2lhEn9A"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			raw := readFixture(t, tc.file)
			id, err := DecodePartitionMetadata(raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := FormatUUID(id); got != tc.id {
				t.Errorf("topic id: got %s, want %s", got, tc.id)
			}
			if enc := EncodePartitionMetadata(id); !bytes.Equal(enc, raw) || len(enc) != 43 {
				t.Errorf("encoding: got %q (%d bytes), want %q", enc, len(enc), raw)
			}
		})
	}
	bad := []struct{ name, in string }{
		{"empty", ""},
		{"one line", "version: 0"},
		{"wrong version", "version: 1\ntopic_id: B3_HiNPgSQ6oxG9ZZ6ED5A"},
		{"bad key", "version: 0\ntopic: B3_HiNPgSQ6oxG9ZZ6ED5A"},
		{"short id", "version: 0\ntopic_id: B3_HiNPg"},
		{"three lines", "version: 0\ntopic_id: B3_HiNPgSQ6oxG9ZZ6ED5A\nx"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := DecodePartitionMetadata([]byte(tc.in)); err == nil {
				t.Errorf("decoding %q: got no error", tc.in)
			}
		})
	}
}

func TestMetaPropertiesFixtures(t *testing.T) {
	cases := []struct {
		file      string
		version   int
		node      int32
		cluster   string
		directory string
	}{
		{"kraft-broker-ldi-poc/meta.properties", 1, 1, "q1w2e3r4t5y6u7i8o9p0", "XHhkr4tkSsD900pOQ8pPfg"},
		{"kraft-broker-ronem123/meta.properties", 1, 1, "0wHLXdrKStejkyBzi8qBEw", "yYuMrFRVQVSX0VVQPcMSrA"},
		{"zk-broker-volodymyrzee/meta.properties", 0, 0, "lRaQCIBoRh2xRKLuP9CAQg", ""},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			m, err := DecodeMetaProperties(readFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			dir := ""
			if m.DirectoryID != ([16]byte{}) {
				dir = FormatUUID(m.DirectoryID)
			}
			if m.Version != tc.version || m.NodeID != tc.node || m.ClusterID != tc.cluster || dir != tc.directory {
				t.Errorf("got version %d node %d cluster %q directory %q, want %d %d %q %q",
					m.Version, m.NodeID, m.ClusterID, dir, tc.version, tc.node, tc.cluster, tc.directory)
			}
			enc := EncodeMetaProperties(m, time.Date(2026, 1, 30, 16, 43, 51, 0, time.UTC))
			back, err := DecodeMetaProperties(enc)
			if err != nil || !reflect.DeepEqual(back, m) {
				t.Errorf("round trip: got %+v, %v; want %+v", back, err, m)
			}
			if !strings.HasPrefix(string(enc), "#\n#Fri Jan 30 16:43:51 UTC 2026\n") {
				t.Errorf("header: got %q", enc)
			}
		})
	}
}

func TestParseProperties(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"equals", "a=b\n", map[string]string{"a": "b"}},
		{"colon and spaces", "a : b c\n", map[string]string{"a": "b c"}},
		{"whitespace separator", "a b\n", map[string]string{"a": "b"}},
		{"comments and blanks", "# x\n! y\n\n  a=1\n", map[string]string{"a": "1"}},
		{"escapes", `k\=x=v\:1\u0041\t` + "\n", map[string]string{"k=x": "v:1A\t"}},
		{"continuation", "a=one\\\n    two\n", map[string]string{"a": "onetwo"}},
		{"crlf", "a=1\r\nb=2\r\n", map[string]string{"a": "1", "b": "2"}},
		{"empty value", "a=\n", map[string]string{"a": ""}},
		{"last wins", "a=1\na=2\n", map[string]string{"a": "2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseProperties(tc.in)
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	for _, v := range []string{"plain", " lead", "a=b:c#d!e", "tab\there", "ünï", "back\\slash"} {
		enc := "k=" + escapeProperty(v, false) + "\n"
		got, err := parseProperties(enc)
		if err != nil || got["k"] != v {
			t.Errorf("escape round trip of %q: got %q via %q (%v)", v, got["k"], enc, err)
		}
	}
}

func TestMetaPropertiesErrors(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"no version", "node.id=1\ncluster.id=x\n", "no version"},
		{"unknown version", "version=2\nnode.id=1\n", "unsupported version 2"},
		{"v1 without cluster", "version=1\nnode.id=1\n", "needs cluster.id"},
		{"v1 without node", "version=1\ncluster.id=x\n", "needs node.id"},
		{"bad node", "version=1\ncluster.id=x\nnode.id=-4\n", "bad node.id"},
		{"bad directory", "version=1\ncluster.id=x\nnode.id=1\ndirectory.id=zz\n", "directory.id"},
		{"v0 without broker", "version=0\n", "needs broker.id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeMetaProperties([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestProducerSnapshotFixtures(t *testing.T) {
	files := []string{
		"kraft-broker-ldi-poc/__consumer_offsets-6/00000000000000000013.snapshot",
		"kraft-broker-ronem123/__cluster_metadata-0/00000000000001737569.snapshot",
		"kraft-broker-ronem123/topic_transactions-0/00000000000000000005.snapshot",
		"zk-broker-vitormoschetti/ECOMMERCE_NEW_ORDER-1/00000000000000000060.snapshot",
	}
	for _, f := range files {
		raw := readFixture(t, f)
		entries, err := DecodeProducerSnapshot(raw)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(entries) != 0 {
			t.Errorf("%s: %d entries, want 0", f, len(entries))
		}
		if enc := EncodeProducerSnapshot(nil); !bytes.Equal(enc, raw) {
			t.Errorf("%s: empty snapshot encodes as %x, Kafka wrote %x", f, enc, raw)
		}
	}
	if crc := binary.BigEndian.Uint32(EncodeProducerSnapshot(nil)[2:]); crc != 0x48674BC7 {
		t.Errorf("empty snapshot crc %#x, want 0x48674BC7", crc)
	}
	entries := []ProducerSnapshotEntry{
		{ProducerID: 1, Epoch: 0, LastSequence: 4, LastOffset: 10, OffsetDelta: 4, Timestamp: 1700000000000, CoordinatorEpoch: -1, CurrentTxnFirstOffset: -1},
		{ProducerID: 7, Epoch: 3, LastSequence: 2147483647, LastOffset: 99, OffsetDelta: 0, Timestamp: -1, CoordinatorEpoch: 5, CurrentTxnFirstOffset: 90},
	}
	enc := EncodeProducerSnapshot(entries)
	if len(enc) != 10+2*46 {
		t.Fatalf("encoded %d bytes, want %d", len(enc), 10+2*46)
	}
	back, err := DecodeProducerSnapshot(enc)
	if err != nil || !reflect.DeepEqual(back, entries) {
		t.Errorf("round trip: got %+v, %v", back, err)
	}
	bad := map[string][]byte{
		"empty":       nil,
		"truncated":   enc[:len(enc)-1],
		"bad version": append([]byte{0, 2}, enc[2:]...),
		"bad crc":     append(append([]byte{}, enc[:2]...), append([]byte{0, 0, 0, 0}, enc[6:]...)...),
		"garbage":     append(append([]byte{}, enc...), 0),
	}
	for name, b := range bad {
		if _, err := DecodeProducerSnapshot(b); err == nil {
			t.Errorf("%s: got no error", name)
		}
	}
}

func TestIndexFixtures(t *testing.T) {
	dir := "kraft-broker-ldi-poc/__consumer_offsets-6"
	oe, used, err := DecodeOffsetIndex(readFixture(t, filepath.Join(dir, "00000000000000000000.index")), 0)
	if err != nil || used != 16 {
		t.Fatalf("decode index: used %d, %v", used, err)
	}
	if want := []OffsetEntry{{3, 4730}, {7, 9571}}; !reflect.DeepEqual(oe, want) {
		t.Errorf("index: got %v, want %v", oe, want)
	}
	te, _, err := DecodeTimeIndex(readFixture(t, filepath.Join(dir, "00000000000000000000.timeindex")), 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []TimeEntry{{1769791783399, 3}, {1769792518093, 7}, {1769793578176, 12}}; !reflect.DeepEqual(te, want) {
		t.Errorf("time index: got %v, want %v", te, want)
	}
	base := int64(1725413)
	oe, _, err = DecodeOffsetIndex(readFixture(t, "kraft-broker-ronem123/__cluster_metadata-0/00000000000001725413.index"), base)
	if err != nil || len(oe) != 213 || oe[0] != (OffsetEntry{1725470, 4104}) || oe[1] != (OffsetEntry{1725527, 8208}) {
		t.Errorf("ronem index: %d entries, first %v, %v", len(oe), oe[:2], err)
	}
	te, _, err = DecodeTimeIndex(readFixture(t, "kraft-broker-ronem123/__cluster_metadata-0/00000000000001725413.timeindex"), base)
	if err != nil || len(te) != 214 {
		t.Errorf("ronem time index: %d entries, %v", len(te), err)
	}
	// A pre-allocated file left by a crash: entries then zeros.
	pre := make([]byte, 64)
	copy(pre, readFixture(t, filepath.Join(dir, "00000000000000000000.index")))
	oe, used, err = DecodeOffsetIndex(pre, 0)
	if err != nil || used != 16 || len(oe) != 2 {
		t.Errorf("pre-allocated index: %d entries, used %d, %v", len(oe), used, err)
	}
	if _, _, err := DecodeOffsetIndex(make([]byte, 9), 0); err == nil {
		t.Error("index of 9 bytes: got no error")
	}
}
