package group

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kafkakit/kafkakit/internal/record"
)

// seedBatches returns valid __consumer_offsets batches: commits (v3 and v1
// values), group metadata, tombstones and a transaction with its marker.
func seedBatches(tb testing.TB) [][]byte {
	tb.Helper()
	g := newGroup("g", 0, 5)
	g.protocolType = consumerProtocolType
	name := "range"
	g.protocolName = &name
	g.generation = 3
	g.state = stateStable
	g.add(&member{id: "m1", clientID: "c", clientHost: "/h", rebalanceTimeout: 100, sessionTimeout: 50,
		protocols: []protocol{{name: "range", metadata: subscription("t")}}, assignment: []byte{1}}, nil)
	inst := "i"
	g.add(&member{id: "m2", instanceID: &inst, protocols: []protocol{{name: "range", metadata: []byte{}}}}, nil)
	gv, err := groupValue(g, nil)
	if err != nil {
		tb.Fatal(err)
	}
	must := func(b []byte, err error) []byte {
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	txn := record.NewBuilder(record.CodecNone)
	txn.ProducerID, txn.ProducerEpoch, txn.BaseSequence, txn.Transactional = 9, 0, 0, true
	txn.Add(record.Record{Key: offsetKey("g", t1), Value: offsetValue(offsetEntry{offset: 3, leaderEpoch: 1, expireTimestamp: -1})})
	marker := record.NewBuilder(record.CodecNone)
	marker.ProducerID, marker.ProducerEpoch, marker.Transactional, marker.Control = 9, 0, true, true
	marker.BaseOffset = 1
	marker.Add(record.Record{Key: record.AppendControlKey(nil, record.ControlKey{Type: record.ControlCommit}), Value: []byte{0, 0, 0, 0, 0, 0}})
	return [][]byte{
		must(encodeBatch(1, []kv{
			{offsetKey("g", t0), offsetValue(offsetEntry{offset: 1, leaderEpoch: 2, metadata: "m", commitTimestamp: 3, expireTimestamp: -1})},
			{offsetKey("g", u0), offsetValue(offsetEntry{offset: 1, leaderEpoch: -1, commitTimestamp: 3, expireTimestamp: 4})},
		})),
		must(encodeBatch(2, []kv{{groupKey("g"), gv}})),
		must(encodeBatch(3, []kv{{offsetKey("g", u0), nil}, {groupKey("g"), nil}})),
		must(txn.Build()),
		must(marker.Build()),
	}
}

// fixtureSeeds returns the first records of real Kafka partitions.
func fixtureSeeds(tb testing.TB) [][]byte {
	var out [][]byte
	for _, fx := range kafkaOffsetsPartitions {
		logs, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "segments", fx.dir, "*.log"))
		for _, l := range logs {
			b, err := os.ReadFile(l)
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, b[:min(len(b), 4096)])
		}
	}
	return out
}

// FuzzLoadChunk feeds arbitrary bytes to the replay loader: it must never
// panic, and whatever it accepts must build groups.
func FuzzLoadChunk(f *testing.F) {
	f.Add([]byte{})
	var all []byte
	for _, b := range seedBatches(f) {
		f.Add(b)
		f.Add(b[:len(b)/2])                         // truncated
		f.Add(append(append([]byte{}, b...), 0, 1)) // valid plus garbage
		all = append(all, b...)
	}
	f.Add(all)
	for _, b := range fixtureSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// As given, and with every batch's CRC repaired so that mutations
		// reach the record decoding behind the checksum.
		for _, chunk := range [][]byte{data, withFixedCRCs(data)} {
			l := newLoader(0)
			if err := l.addChunk(chunk); err != nil {
				continue
			}
			for _, g := range l.result(0) {
				if len(g.members) != len(g.order) {
					t.Fatalf("group %q: %d members but %d in order", g.id, len(g.members), len(g.order))
				}
			}
		}
	})
}

// withFixedCRCs returns a copy of data in which every whole v2 batch has a
// correct CRC.
func withFixedCRCs(data []byte) []byte {
	out := append([]byte(nil), data...)
	it := record.NewIterator(out)
	for it.Next() {
		e := it.Entry()
		if e.Magic != 2 {
			continue
		}
		binary.BigEndian.PutUint32(e.Raw[17:21], record.ComputeCRC(e.Raw))
	}
	return out
}

// FuzzDecodeRecord decodes arbitrary keys and values as __consumer_offsets
// records: no panic, and whatever decodes re-encodes to something that
// decodes to the same value.
func FuzzDecodeRecord(f *testing.F) {
	f.Add([]byte{}, []byte{})
	for _, b := range seedBatches(f) {
		batch, err := record.NewBatch(b)
		if err != nil {
			f.Fatal(err)
		}
		_ = batch.EachRecord(func(r *record.Record) error {
			f.Add(append([]byte(nil), r.Key...), append([]byte(nil), r.Value...))
			f.Add(r.Key[:len(r.Key)/2], r.Value[:len(r.Value)/2])
			f.Add(append(append([]byte(nil), r.Key...), 7), append(append([]byte(nil), r.Value...), 7))
			return nil
		})
	}
	f.Fuzz(func(t *testing.T, key, value []byte) {
		k, err := decodeKey(key)
		if err != nil {
			return
		}
		switch {
		case k.isOffset():
			if again, err := decodeKey(offsetKey(k.group, k.tp)); err != nil || again.group != k.group || again.tp != k.tp {
				t.Fatalf("offset key round trip: %+v, %v", again, err)
			}
			e, err := decodeOffsetValue(value)
			if err != nil {
				return
			}
			again, err := decodeOffsetValue(offsetValue(e))
			if err != nil || again != e {
				t.Fatalf("offset value round trip: got %+v, %v; want %+v", again, err, e)
			}
		case k.isGroup():
			g, err := decodeGroupValue(k.group, 0, value)
			if err != nil {
				return
			}
			enc, err := groupValue(g, nil)
			if err != nil {
				t.Fatalf("re-encode decoded group: %v", err)
			}
			again, err := decodeGroupValue(k.group, 0, enc)
			if err != nil {
				t.Fatalf("decode re-encoded group: %v", err)
			}
			if summary(again) != summary(g) {
				t.Fatalf("group round trip:\n got %s\nwant %s", summary(again), summary(g))
			}
		}
	})
}

// summary renders the persisted parts of a group for comparison.
func summary(g *group) string {
	deref := func(s *string) string {
		if s == nil {
			return "<null>"
		}
		return "\"" + *s + "\""
	}
	out := fmt.Sprintf("type=%q protocol=%s gen=%d leader=%q time=%d state=%s", g.protocolType, deref(g.protocolName), g.generation, g.leaderID, g.stateTimestamp, g.state)
	for _, m := range g.order {
		out += fmt.Sprintf(" [%q %s %q %q %d %d %x %x]", m.id, deref(m.instanceID), m.clientID, m.clientHost, m.rebalanceTimeout, m.sessionTimeout, m.protocols[0].metadata, m.assignment)
	}
	return out
}

// FuzzParseSubscriptionTopics: consumer subscriptions never panic the
// parser and never yield more topics than the bytes allow.
func FuzzParseSubscriptionTopics(f *testing.F) {
	f.Add([]byte{})
	s := subscription("t", "u")
	f.Add(s)
	f.Add(s[:len(s)-3])
	f.Add(append(append([]byte{}, s...), 1, 2, 3))
	f.Add([]byte{0, 0, 0x7f, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		topics, err := parseSubscriptionTopics(data)
		if err != nil {
			return
		}
		if 2*len(topics) > len(data) {
			t.Fatalf("%d topics from %d bytes", len(topics), len(data))
		}
	})
}
