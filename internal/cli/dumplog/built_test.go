package dumplog

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/record"
)

// run executes kafka-dump-log with args and returns its exit code, stdout
// and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return code, out.String(), errOut.String()
}

// builtRecord is what a test encodes into a batch.
type builtRecord struct {
	key, value []byte
	ts         int64
	headers    []record.RecordHeader
}

// builtBatch describes one batch a test encodes, and the bytes it became.
type builtBatch struct {
	codec                        record.Codec
	base                         int64
	leaderEpoch                  int32
	producerID                   int64
	producerEpoch                int16
	baseSequence                 int32
	transactional                bool
	logAppendTime, deleteHorizon int64 // -1 when unused
	records                      []builtRecord
	marker                       *record.EndTxnMarkerBatch
	raw                          []byte
}

func (bb *builtBatch) encode(t testing.TB) {
	t.Helper()
	if bb.marker != nil {
		bb.raw = record.AppendEndTxnMarkerBatch(nil, *bb.marker)
		return
	}
	b := record.NewBuilder(bb.codec)
	b.BaseOffset = bb.base
	b.PartitionLeaderEpoch = bb.leaderEpoch
	b.ProducerID, b.ProducerEpoch, b.BaseSequence = bb.producerID, bb.producerEpoch, bb.baseSequence
	b.Transactional = bb.transactional
	if bb.logAppendTime >= 0 {
		b.TimestampType = record.LogAppendTime
		b.LogAppendTime = bb.logAppendTime
	}
	b.DeleteHorizonMs = bb.deleteHorizon
	for _, r := range bb.records {
		b.Add(record.Record{Key: r.key, Value: r.value, Timestamp: r.ts, Headers: r.headers})
	}
	raw, err := b.Build()
	if err != nil {
		t.Fatalf("build batch at %d: %v", bb.base, err)
	}
	bb.raw = raw
}

func sizeOf(b []byte) int {
	if b == nil {
		return -1
	}
	return len(b)
}

// expectedLines renders, from what the test encoded (not from a decoder),
// the lines Kafka's tool prints for the batch with --print-data-log. The
// CRC is recomputed here with the standard library.
func (bb *builtBatch) expectedLines(position int) []string {
	castagnoli := crc32.MakeTable(crc32.Castagnoli)
	stored := binary.BigEndian.Uint32(bb.raw[17:])
	if computed := crc32.Checksum(bb.raw[21:], castagnoli); computed != stored {
		return []string{fmt.Sprintf("encoder wrote crc %d, content has %d", stored, computed)}
	}
	if bb.marker != nil {
		m := bb.marker
		kind := "ABORT"
		if m.Commit {
			kind = "COMMIT"
		}
		return []string{
			fmt.Sprintf("baseOffset: %d lastOffset: %d count: 1 baseSequence: -1 lastSequence: -1 producerId: %d producerEpoch: %d partitionLeaderEpoch: %d isTransactional: true isControl: true deleteHorizonMs: OptionalLong.empty position: %d CreateTime: %d size: %d magic: 2 compresscodec: none crc: %d isvalid: true",
				m.BaseOffset, m.BaseOffset, m.ProducerID, m.ProducerEpoch, m.PartitionLeaderEpoch, position, m.Timestamp, len(bb.raw), stored),
			fmt.Sprintf("| offset: %d CreateTime: %d keySize: 4 valueSize: 6 sequence: -1 headerKeys: [] endTxnMarker: %s coordinatorEpoch: %d",
				m.BaseOffset, m.Timestamp, kind, m.CoordinatorEpoch),
		}
	}
	n := len(bb.records)
	last := bb.base + int64(n) - 1
	lastSeq := int32(-1)
	if bb.baseSequence >= 0 {
		lastSeq = bb.baseSequence + int32(n) - 1
	}
	tsType, maxTS := "CreateTime", int64(-1)
	for _, r := range bb.records {
		maxTS = max(maxTS, r.ts)
	}
	if bb.logAppendTime >= 0 {
		tsType, maxTS = "LogAppendTime", bb.logAppendTime
	}
	dh := "OptionalLong.empty"
	if bb.deleteHorizon >= 0 {
		dh = fmt.Sprintf("OptionalLong[%d]", bb.deleteHorizon)
	}
	lines := []string{fmt.Sprintf("baseOffset: %d lastOffset: %d count: %d baseSequence: %d lastSequence: %d producerId: %d producerEpoch: %d partitionLeaderEpoch: %d isTransactional: %t isControl: false deleteHorizonMs: %s position: %d %s: %d size: %d magic: 2 compresscodec: %s crc: %d isvalid: true",
		bb.base, last, n, bb.baseSequence, lastSeq, bb.producerID, bb.producerEpoch, bb.leaderEpoch, bb.transactional, dh, position, tsType, maxTS, len(bb.raw),
		[]string{"none", "gzip", "snappy", "lz4", "zstd"}[bb.codec], stored)}
	for i, r := range bb.records {
		seq := int32(-1)
		if bb.baseSequence >= 0 {
			seq = bb.baseSequence + int32(i)
		}
		ts := r.ts
		if bb.logAppendTime >= 0 {
			ts = bb.logAppendTime
		}
		keys := make([]string, len(r.headers))
		for k, h := range r.headers {
			keys[k] = string(h.Key)
		}
		l := fmt.Sprintf("| offset: %d %s: %d keySize: %d valueSize: %d sequence: %d headerKeys: [%s]",
			bb.base+int64(i), tsType, ts, sizeOf(r.key), sizeOf(r.value), seq, strings.Join(keys, ","))
		if r.key != nil {
			l += " key: " + string(r.key)
		}
		if r.value != nil {
			l += " payload: " + string(r.value)
		}
		lines = append(lines, l)
	}
	return lines
}

// builtSegment encodes one batch per codec plus transaction markers, a
// LogAppendTime batch and a delete-horizon batch.
func builtSegment(t testing.TB) ([]*builtBatch, []byte) {
	t.Helper()
	const ts = int64(1_700_000_000_000)
	hdrs := []record.RecordHeader{{Key: []byte("h1"), Value: []byte("v")}, {Key: []byte("h2"), Value: nil}}
	recs := func(prefix string) []builtRecord {
		return []builtRecord{
			{key: []byte(prefix + "-k0"), value: []byte(strings.Repeat(prefix, 40)), ts: ts, headers: hdrs},
			{key: nil, value: []byte(prefix + "-no-key"), ts: ts + 5},
			{key: []byte(prefix + "-tombstone"), value: nil, ts: ts + 2},
			{key: []byte(""), value: []byte(""), ts: ts + 1},
		}
	}
	var batches []*builtBatch
	base := int64(0)
	for _, c := range []record.Codec{record.CodecNone, record.CodecGzip, record.CodecSnappy, record.CodecLZ4, record.CodecZstd} {
		bb := &builtBatch{codec: c, base: base, leaderEpoch: 7, producerID: 1000, producerEpoch: 2, baseSequence: int32(base),
			transactional: true, logAppendTime: -1, deleteHorizon: -1, records: recs(c.String())}
		batches = append(batches, bb)
		base += int64(len(bb.records))
	}
	batches = append(batches,
		&builtBatch{marker: &record.EndTxnMarkerBatch{BaseOffset: base, PartitionLeaderEpoch: 7, ProducerID: 1000, ProducerEpoch: 2, Commit: true, CoordinatorEpoch: 5, Timestamp: ts + 10}},
		&builtBatch{marker: &record.EndTxnMarkerBatch{BaseOffset: base + 1, PartitionLeaderEpoch: 7, ProducerID: 1000, ProducerEpoch: 2, Commit: false, CoordinatorEpoch: 6, Timestamp: ts + 11}},
		&builtBatch{codec: record.CodecLZ4, base: base + 2, leaderEpoch: 8, producerID: -1, producerEpoch: -1, baseSequence: -1,
			logAppendTime: ts + 99, deleteHorizon: -1, records: recs("lat")[:2]},
		&builtBatch{codec: record.CodecNone, base: base + 4, leaderEpoch: 8, producerID: -1, producerEpoch: -1, baseSequence: -1,
			logAppendTime: -1, deleteHorizon: ts + 86_400_000, records: recs("dh")[1:3]},
	)
	var seg []byte
	for _, bb := range batches {
		bb.encode(t)
		seg = append(seg, bb.raw...)
	}
	return batches, seg
}

// TestBuiltSegment dumps a segment encoded with internal/record (every
// codec, headers, null keys and values, transaction markers, LogAppendTime,
// a delete horizon) and compares each printed field with what was encoded.
func TestBuiltSegment(t *testing.T) {
	t.Parallel()
	batches, seg := builtSegment(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "00000000000000000000.log"), seg, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "00000000000000000000.log")
	code, out, errOut := run(t, "--files", path, "--print-data-log")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	want := []string{"Dumping " + path, "Log starting offset: 0"}
	pos := 0
	for _, bb := range batches {
		want = append(want, bb.expectedLines(pos)...)
		pos += len(bb.raw)
	}
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("line %d:\n got: %s\nwant: %s", i+1, g, w)
		}
	}
}

// TestBuiltSegmentJSON checks --output json against the same segment.
func TestBuiltSegmentJSON(t *testing.T) {
	t.Parallel()
	batches, seg := builtSegment(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "00000000000000000000.log"), seg, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "00000000000000000000.log")
	code, out, errOut := run(t, "--files", path, "--output", "json", "--print-data-log")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(batches) {
		t.Fatalf("got %d JSON lines, want one per batch (%d)", len(lines), len(batches))
	}
	pos := 0
	for i, bb := range batches {
		var got struct {
			File       string `json:"file"`
			Position   int    `json:"position"`
			BaseOffset int64  `json:"baseOffset"`
			Count      int    `json:"count"`
			Size       int    `json:"size"`
			CRC        uint32 `json:"crc"`
			CRCValid   bool   `json:"crcValid"`
			Codec      string `json:"compression"`
			IsControl  bool   `json:"isControl"`
			Records    []struct {
				Offset     int64    `json:"offset"`
				Key        *string  `json:"key"`
				Payload    *string  `json:"payload"`
				HeaderKeys []string `json:"headerKeys"`
				Control    *struct {
					Type             string `json:"type"`
					CoordinatorEpoch int32  `json:"coordinatorEpoch"`
				} `json:"control"`
			} `json:"records"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, lines[i])
		}
		if got.File != path || got.Position != pos || got.Size != len(bb.raw) ||
			got.CRC != binary.BigEndian.Uint32(bb.raw[17:]) || !got.CRCValid {
			t.Errorf("batch %d: got file %q position %d size %d crc %d valid %t, want position %d size %d",
				i, got.File, got.Position, got.Size, got.CRC, got.CRCValid, pos, len(bb.raw))
		}
		pos += len(bb.raw)
		if bb.marker != nil {
			want := map[bool]string{true: "COMMIT", false: "ABORT"}[bb.marker.Commit]
			if !got.IsControl || len(got.Records) != 1 || got.Records[0].Control == nil ||
				got.Records[0].Control.Type != want || got.Records[0].Control.CoordinatorEpoch != bb.marker.CoordinatorEpoch {
				t.Errorf("batch %d: got %+v, want a %s marker", i, got, want)
			}
			continue
		}
		if got.BaseOffset != bb.base || got.Count != len(bb.records) || got.Codec != bb.codec.String() || len(got.Records) != len(bb.records) {
			t.Fatalf("batch %d: got base %d count %d codec %s records %d", i, got.BaseOffset, got.Count, got.Codec, len(got.Records))
		}
		for k, r := range bb.records {
			gr := got.Records[k]
			if gr.Offset != bb.base+int64(k) {
				t.Errorf("batch %d record %d: offset %d, want %d", i, k, gr.Offset, bb.base+int64(k))
			}
			if (gr.Key == nil) != (r.key == nil) || (gr.Key != nil && *gr.Key != string(r.key)) {
				t.Errorf("batch %d record %d: key %v, want %q", i, k, gr.Key, r.key)
			}
			if (gr.Payload == nil) != (r.value == nil) || (gr.Payload != nil && *gr.Payload != string(r.value)) {
				t.Errorf("batch %d record %d: payload %v, want %q", i, k, gr.Payload, r.value)
			}
			if len(gr.HeaderKeys) != len(r.headers) {
				t.Errorf("batch %d record %d: header keys %v, want %d", i, k, gr.HeaderKeys, len(r.headers))
			}
		}
	}
}
