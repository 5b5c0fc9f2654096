package group

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/kafkakit/kafkakit/internal/record"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kafkaOffsetsPartitions are __consumer_offsets partitions written by real
// Apache Kafka brokers (see testdata/segments/SOURCES.md), all with the
// default 50 partitions.
var kafkaOffsetsPartitions = []struct {
	dir       string
	partition int32
	// wantOffsetRecords and wantGroupRecords count the records of each kind,
	// as SOURCES.md lists them.
	wantOffsetRecords, wantGroupRecords int
	// wantGroups are the groups left after replay, with their states.
	wantGroups map[string]string
}{
	{"kraft-broker-ldi-poc/__consumer_offsets-6", 6, 7, 6, map[string]string{"DEVSmileCDR": "Stable"}},
	{"zk-broker-volodymyrzee/__consumer_offsets-12", 12, 462, 8, map[string]string{"my-second-application": "Empty"}},
	// The last record deletes the only group (a tombstone).
	{"zk-broker-volodymyrzee/__consumer_offsets-17", 17, 0, 3, map[string]string{}},
	{"zk-broker-volodymyrzee/__consumer_offsets-32", 32, 48, 2, map[string]string{"my-firstd-application": "Empty"}},
}

// segmentStorage replays real segment files: a read-only Storage over a
// Kafka partition directory.
type segmentStorage struct {
	dir string
}

func (s segmentStorage) Append(context.Context, int32, []byte) (int64, error) {
	return 0, errors.New("read-only fixture")
}

func (s segmentStorage) Replay(_ context.Context, _ int32, fn func([]byte) error) error {
	logs, err := filepath.Glob(filepath.Join(s.dir, "*.log"))
	if err != nil {
		return err
	}
	sort.Strings(logs)
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return nil
}

func fixtureDir(t *testing.T, rel string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "segments", rel)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return dir
}

// eachFixtureRecord calls fn for every record of a fixture partition.
func eachFixtureRecord(t *testing.T, dir string, fn func(r *record.Record)) {
	t.Helper()
	err := segmentStorage{dir}.Replay(context.Background(), 0, func(chunk []byte) error {
		it := record.NewIterator(chunk)
		for it.Next() {
			b, ok := it.Entry().Batch()
			if !ok {
				t.Fatalf("legacy entry in fixture")
			}
			if err := b.EachRecord(func(r *record.Record) error { fn(r); return nil }); err != nil {
				return err
			}
		}
		return it.Err()
	})
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
}

// TestLoadKafkaPartitions loads __consumer_offsets partitions written by
// Apache Kafka: every group must hash to the partition Kafka put it in (so
// PartitionFor agrees with Kafka), and the loaded offsets must be the last
// ones Kafka wrote.
func TestLoadKafkaPartitions(t *testing.T) {
	t.Parallel()
	for _, fx := range kafkaOffsetsPartitions {
		t.Run(fx.dir, func(t *testing.T) {
			t.Parallel()
			dir := fixtureDir(t, fx.dir)
			offsetRecs, groupRecs := 0, 0
			last := map[groupOffsetKey]int64{}
			groupIDs := map[string]bool{}
			eachFixtureRecord(t, dir, func(r *record.Record) {
				k, err := decodeKey(r.Key)
				if err != nil {
					t.Fatalf("offset %d: %v", r.Offset, err)
				}
				groupIDs[k.group] = true
				switch {
				case k.isOffset():
					offsetRecs++
					if r.Value == nil {
						delete(last, groupOffsetKey{k.group, k.tp})
						return
					}
					e, err := decodeOffsetValue(r.Value)
					if err != nil {
						t.Fatalf("offset %d: %v", r.Offset, err)
					}
					last[groupOffsetKey{k.group, k.tp}] = e.offset
				case k.isGroup():
					groupRecs++
				}
			})
			if offsetRecs != fx.wantOffsetRecords || groupRecs != fx.wantGroupRecords {
				t.Errorf("records: %d offset commits and %d group metadata, want %d and %d", offsetRecs, groupRecs, fx.wantOffsetRecords, fx.wantGroupRecords)
			}
			for id := range groupIDs {
				if p := partitionFor(id, 50); p != fx.partition {
					t.Errorf("group %q: PartitionFor %d, but Kafka stored it in %d", id, p, fx.partition)
				}
			}

			c := New(Config{}, segmentStorage{dir})
			defer c.Close()
			if err := c.Load(context.Background(), fx.partition); err != nil {
				t.Fatalf("Load: %v", err)
			}
			for key, want := range last {
				req := kmsg.NewPtrOffsetFetchRequest()
				req.Version = 7
				req.Group = key.group
				rt := kmsg.NewOffsetFetchRequestTopic()
				rt.Topic = key.tp.topic
				rt.Partitions = []int32{key.tp.partition}
				req.Topics = []kmsg.OffsetFetchRequestTopic{rt}
				resp := c.OffsetFetch(context.Background(), req)
				if resp.ErrorCode != errNone || len(resp.Topics) != 1 || resp.Topics[0].Partitions[0].Offset != want {
					t.Errorf("%s %s-%d: fetched %+v, want offset %d", key.group, key.tp.topic, key.tp.partition, resp, want)
				}
			}
			lresp := c.ListGroups(context.Background(), &kmsg.ListGroupsRequest{Version: 4})
			listed := map[string]string{}
			for _, g := range lresp.Groups {
				listed[g.Group] = g.GroupState
			}
			if !reflect.DeepEqual(listed, fx.wantGroups) {
				t.Errorf("groups: got %v, want %v", listed, fx.wantGroups)
			}
		})
	}
}

// TestRecordEncodingMatchesKafka re-encodes every key and value Kafka wrote
// in the fixtures with this package's encoders and expects the same bytes:
// offset commit keys (v1) and values (v3, v1), group metadata keys (v2) and
// values (v3).
func TestRecordEncodingMatchesKafka(t *testing.T) {
	t.Parallel()
	counts := map[string]int{}
	for _, fx := range kafkaOffsetsPartitions {
		eachFixtureRecord(t, fixtureDir(t, fx.dir), func(r *record.Record) {
			k, err := decodeKey(r.Key)
			if err != nil {
				t.Fatalf("%s offset %d: %v", fx.dir, r.Offset, err)
			}
			var key []byte
			switch {
			case k.version == keyOffsetCommit:
				key = offsetKey(k.group, k.tp)
			case k.isGroup():
				key = groupKey(k.group)
			default:
				t.Fatalf("%s offset %d: unexpected key version %d", fx.dir, r.Offset, k.version)
			}
			if !bytes.Equal(key, r.Key) {
				t.Errorf("%s offset %d: key re-encodes to %x, Kafka wrote %x", fx.dir, r.Offset, key, r.Key)
			}
			if r.Value == nil {
				counts["tombstone"]++
				return
			}
			vv := int16(binary.BigEndian.Uint16(r.Value))
			var value []byte
			switch {
			case k.isOffset():
				e, err := decodeOffsetValue(r.Value)
				if err != nil {
					t.Fatalf("%s offset %d: %v", fx.dir, r.Offset, err)
				}
				value = offsetValue(e)
				counts["offset value v"+string(rune('0'+vv))]++
			default:
				g, err := decodeGroupValue(k.group, 0, r.Value)
				if err != nil {
					t.Fatalf("%s offset %d: %v", fx.dir, r.Offset, err)
				}
				if value, err = groupValue(g, nil); err != nil {
					t.Fatalf("%s offset %d: %v", fx.dir, r.Offset, err)
				}
				counts["group value v"+string(rune('0'+vv))]++
			}
			if !bytes.Equal(value, r.Value) {
				t.Errorf("%s offset %d: value v%d re-encodes to\n%x\nKafka wrote\n%x", fx.dir, r.Offset, vv, value, r.Value)
			}
		})
	}
	t.Logf("records compared: %v", counts)
	if counts["offset value v3"] == 0 || counts["group value v3"] == 0 {
		t.Errorf("fixtures lack the value versions Kafka 3.9 writes: %v", counts)
	}
}

func TestLoadRejectsCorruptData(t *testing.T) {
	t.Parallel()
	valid := func(recs ...kv) []byte {
		b, err := encodeBatch(1, recs)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	goodValue := offsetValue(offsetEntry{offset: 1, leaderEpoch: -1, expireTimestamp: -1})
	badCRC := valid(kv{offsetKey("g", t0), goodValue})
	badCRC[len(badCRC)-1] ^= 0xff
	futureValue := append([]byte{0, 9}, goodValue[2:]...)
	for _, tc := range []struct {
		name  string
		chunk []byte
		want  string
	}{
		{"bad crc", badCRC, "checksum"},
		{"torn batch", valid(kv{offsetKey("g", t0), goodValue})[:40], "partial batch"},
		{"null key", valid(kv{nil, goodValue}), "no key"},
		{"short key", valid(kv{[]byte{0}, goodValue}), "key of 1 bytes"},
		{"unknown offset value version", valid(kv{offsetKey("g", t0), futureValue}), "unknown offset commit value version 9"},
		{"truncated group value", valid(kv{groupKey("g"), []byte{0, 3, 0}}), "group metadata value"},
		{"legacy message set", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 14, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "magic 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := newLoader(0).addChunk(tc.chunk)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one mentioning %q", err, tc.want)
			}
		})
	}

	// A failed load leaves the partition unowned.
	f := newFixture(t)
	p := f.c.PartitionFor("g")
	f.c.Unload(p)
	f.st.mu.Lock()
	f.st.parts[p] = &memPartition{batches: [][]byte{badCRC}}
	f.st.mu.Unlock()
	if err := f.c.Load(context.Background(), p); err == nil {
		t.Fatalf("Load of a corrupt partition succeeded")
	}
	if resp := f.join(joinReq(3, "g", "", nil)); resp.ErrorCode != errNotCoordinator {
		t.Errorf("join after a failed load: error %d, want NOT_COORDINATOR", resp.ErrorCode)
	}
}

// TestLoadSkipsOtherGroupTypes: records of KIP-848 and share groups (key
// versions 3 and up) are skipped like Kafka 3.9's classic coordinator does.
func TestLoadSkipsOtherGroupTypes(t *testing.T) {
	t.Parallel()
	l := newLoader(0)
	b, err := encodeBatch(1, []kv{
		{key: []byte{0, 3, 0, 1, 'g'}, value: []byte{0, 0, 1, 2, 3}},
		{key: offsetKey("g", t0), value: offsetValue(offsetEntry{offset: 5, leaderEpoch: -1, expireTimestamp: -1})},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.addChunk(b); err != nil {
		t.Fatalf("addChunk: %v", err)
	}
	if l.skipped != 1 || l.offsets[groupOffsetKey{"g", t0}].offset != 5 {
		t.Errorf("skipped %d, offset %+v", l.skipped, l.offsets[groupOffsetKey{"g", t0}])
	}
}

// TestLoadTransactionalCommits: offsets written inside a transaction count
// once the COMMIT marker is read and are dropped on ABORT, as Kafka loads
// them.
func TestLoadTransactionalCommits(t *testing.T) {
	t.Parallel()
	txnBatch := func(pid int64, base int64, recs ...kv) []byte {
		b := record.NewBuilder(record.CodecNone)
		b.ProducerID, b.ProducerEpoch, b.BaseSequence, b.Transactional = pid, 0, 0, true
		b.BaseOffset = base
		for _, r := range recs {
			b.Add(record.Record{Key: r.key, Value: r.value})
		}
		out, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	marker := func(pid int64, base int64, typ record.ControlType) []byte {
		b := record.NewBuilder(record.CodecNone)
		b.ProducerID, b.ProducerEpoch, b.Transactional, b.Control = pid, 0, true, true
		b.BaseOffset = base
		b.Add(record.Record{Key: record.AppendControlKey(nil, record.ControlKey{Type: typ}), Value: []byte{0, 0, 0, 0, 0, 0}})
		out, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	v := func(off int64) []byte {
		return offsetValue(offsetEntry{offset: off, leaderEpoch: -1, expireTimestamp: -1})
	}
	l := newLoader(0)
	chunk := bytes.Join([][]byte{
		txnBatch(1, 0, kv{offsetKey("g", t0), v(10)}),
		txnBatch(2, 1, kv{offsetKey("g", t1), v(20)}),
		marker(1, 2, record.ControlCommit),
		marker(2, 3, record.ControlAbort),
		txnBatch(3, 4, kv{offsetKey("g", u0), v(30)}), // still open
	}, nil)
	if err := l.addChunk(chunk); err != nil {
		t.Fatalf("addChunk: %v", err)
	}
	if got := l.offsets[groupOffsetKey{"g", t0}].offset; got != 10 {
		t.Errorf("committed transaction: offset %d, want 10", got)
	}
	if _, ok := l.offsets[groupOffsetKey{"g", t1}]; ok {
		t.Errorf("aborted transaction's offset was loaded")
	}
	if _, ok := l.offsets[groupOffsetKey{"g", u0}]; ok {
		t.Errorf("open transaction's offset was loaded")
	}
}
