package dumplog

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkakit/kafkakit/internal/record"
)

// TestCorruptSegments damages a built segment in different ways and checks
// that the damage is reported with its position on stderr, that the rest
// of the file is still dumped, and that the exit status is 1.
func TestCorruptSegments(t *testing.T) {
	t.Parallel()
	batches, seg := builtSegment(t)
	b0, b1 := len(batches[0].raw), len(batches[1].raw)
	total := len(batches)
	tests := []struct {
		name       string
		damage     func([]byte) []byte
		wantCode   int
		wantOut    []string // substrings of stdout
		wantErr    []string // substrings of stderr
		wantBatchN int      // batch lines printed
	}{
		{
			name:       "intact",
			damage:     func(b []byte) []byte { return b },
			wantBatchN: total,
		},
		{
			name:       "torn tail",
			damage:     func(b []byte) []byte { return append(b, batches[1].raw[:40]...) },
			wantCode:   1,
			wantOut:    []string{"Found 40 invalid bytes at the end of 00000000000000000000.log\n"},
			wantErr:    []string{fmt.Sprintf("truncated entry at position %d: the entry needs %d bytes but only 40 are left", len(seg), b1)},
			wantBatchN: total,
		},
		{
			name:       "short tail",
			damage:     func(b []byte) []byte { return append(b, 1, 2, 3, 4, 5) },
			wantCode:   1,
			wantOut:    []string{"Found 5 invalid bytes at the end of"},
			wantErr:    []string{"truncated entry at position"},
			wantBatchN: total,
		},
		{
			name: "checksum mismatch",
			damage: func(b []byte) []byte {
				b[b0+record.HeaderSize+3] ^= 0xff
				return b
			},
			wantCode:   1,
			wantOut:    []string{fmt.Sprintf("position: %d CreateTime:", b0), "isvalid: false"},
			wantErr:    []string{fmt.Sprintf("checksum mismatch in the entry at position %d (last offset 7): stored", b0)},
			wantBatchN: total,
		},
		{
			name: "garbage between batches",
			damage: func(b []byte) []byte {
				out := append([]byte{}, b[:b0]...)
				out = append(out, []byte("0123456789abcdefghijklmnop")...)
				return append(out, b[b0:]...)
			},
			wantCode:   1,
			wantOut:    []string{fmt.Sprintf("position: %d CreateTime:", b0+26)},
			wantErr:    []string{fmt.Sprintf("corrupt entry at position %d:", b0), fmt.Sprintf("skipped 26 bytes to the next valid entry at position %d", b0+26)},
			wantBatchN: total,
		},
		{
			name: "bad magic",
			damage: func(b []byte) []byte {
				b[b0+16] = 9
				return b
			},
			wantCode:   1,
			wantErr:    []string{fmt.Sprintf("corrupt entry at position %d: unknown magic 9", b0), fmt.Sprintf("to the next valid entry at position %d", b0+b1)},
			wantBatchN: total - 1,
		},
		{
			name: "impossible length",
			damage: func(b []byte) []byte {
				binary.BigEndian.PutUint32(b[b0+8:], 3)
				return b
			},
			wantCode:   1,
			wantErr:    []string{fmt.Sprintf("corrupt entry at position %d:", b0), "is below the minimum"},
			wantBatchN: total - 1,
		},
		{
			name: "records do not parse",
			damage: func(b []byte) []byte {
				// Claim one more record than the batch holds, and fix the
				// CRC so only the records are wrong.
				binary.BigEndian.PutUint32(b[57:], binary.BigEndian.Uint32(b[57:])+1)
				binary.BigEndian.PutUint32(b[17:], record.ComputeCRC(b[:b0]))
				return b
			},
			wantCode:   1,
			wantErr:    []string{"the records of the entry at position 0 (last offset 3) cannot be read: invalid record"},
			wantBatchN: total,
		},
		{
			name:       "garbage only",
			damage:     func([]byte) []byte { return []byte(strings.Repeat("\xff", 100)) },
			wantCode:   1,
			wantErr:    []string{"corrupt entry at position 0", "no valid entry follows, 100 bytes not dumped"},
			wantBatchN: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "00000000000000000000.log")
			if err := os.WriteFile(path, tc.damage(append([]byte{}, seg...)), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := run(t, "--files", path, "--deep-iteration")
			if code != tc.wantCode {
				t.Errorf("exit code: got %d, want %d (stderr %q)", code, tc.wantCode, errOut)
			}
			if got := strings.Count(out, "\nbaseOffset: "); got != tc.wantBatchN {
				t.Errorf("batch lines: got %d, want %d\n%s", got, tc.wantBatchN, out)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout: got\n%s\nwant it to contain %q", out, w)
				}
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr: got %q, want it to contain %q", errOut, w)
				}
			}
			if tc.wantCode == 0 && errOut != "" {
				t.Errorf("stderr: got %q, want nothing", errOut)
			}
			if tc.wantCode != 0 && !strings.Contains(errOut, path) {
				t.Errorf("stderr %q does not name the file %s", errOut, path)
			}
		})
	}
}

// TestMaxBytes checks that --max-bytes reads whole batches within the limit
// and, as in Kafka, does not report the cut-off bytes.
func TestMaxBytes(t *testing.T) {
	t.Parallel()
	batches, seg := builtSegment(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "00000000000000000000.log")
	if err := os.WriteFile(path, seg, 0o644); err != nil {
		t.Fatal(err)
	}
	limit := len(batches[0].raw) + len(batches[1].raw) + 10
	code, out, errOut := run(t, "--files", path, "--max-bytes", fmt.Sprint(limit))
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if got := strings.Count(out, "\nbaseOffset: "); got != 2 {
		t.Errorf("batches: got %d, want 2\n%s", got, out)
	}
	if strings.Contains(out, "invalid bytes") {
		t.Errorf("stdout reports invalid bytes under --max-bytes:\n%s", out)
	}
}

// TestIndexChecks builds a segment with offset and time indexes, some
// entries wrong, and checks Kafka's end-of-run reports.
func TestIndexChecks(t *testing.T) {
	t.Parallel()
	batches, seg := builtSegment(t)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "00000000000000000000.log")
	if err := os.WriteFile(logPath, seg, 0o644); err != nil {
		t.Fatal(err)
	}
	p1 := len(batches[0].raw)
	p2 := p1 + len(batches[1].raw)
	var idx []byte
	idx = binary.BigEndian.AppendUint32(idx, 7) // batch 1 ends at offset 7: right
	idx = binary.BigEndian.AppendUint32(idx, uint32(p1))
	idx = binary.BigEndian.AppendUint32(idx, 10) // batch 2 ends at 11: wrong
	idx = binary.BigEndian.AppendUint32(idx, uint32(p2))
	idx = append(idx, make([]byte, 16)...) // zero-filled pre-allocated tail
	if err := os.WriteFile(filepath.Join(dir, "00000000000000000000.index"), idx, 0o644); err != nil {
		t.Fatal(err)
	}
	const ts = int64(1_700_000_000_000)
	var tidx []byte
	for _, e := range []struct {
		ts  int64
		rel uint32
	}{{ts + 5, 7}, {ts + 4, 11}, {ts + 5, 5}} { // right; wrong and out of order; offset 5 is not a batch end
		tidx = binary.BigEndian.AppendUint64(tidx, uint64(e.ts))
		tidx = binary.BigEndian.AppendUint32(tidx, e.rel)
	}
	if err := os.WriteFile(filepath.Join(dir, "00000000000000000000.timeindex"), tidx, 0o644); err != nil {
		t.Fatal(err)
	}
	ip, tp := filepath.Join(dir, "00000000000000000000.index"), filepath.Join(dir, "00000000000000000000.timeindex")
	code, out, errOut := run(t, "--files", ip+","+tp)
	if code != 0 {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	wantOut := fmt.Sprintf("Dumping %s\noffset: 7 position: %d\noffset: 10 position: %d\nDumping %s\ntimestamp: %d offset: 7\ntimestamp: %d offset: 11\ntimestamp: %d offset: 5\n",
		ip, p1, p2, tp, ts+5, ts+4, ts+5)
	if out != wantOut {
		t.Errorf("stdout:\n got: %q\nwant: %q", out, wantOut)
	}
	wantErr := fmt.Sprintf("Mismatches in :%s\n  Index offset: 10, log offset: 11\n"+
		"Found timestamp mismatch in :%s\n  Index timestamp: %d, log timestamp: %d\n"+
		"Found out of order timestamp in :%s\n  Index timestamp: %d, Previously indexed timestamp: %d\n"+
		"The following indexed offsets are not found in the log.\nIndexed offset: 5, found log offset: 7\n",
		ip, tp, ts+4, ts+5, tp, ts+4, ts+5)
	if errOut != wantErr {
		t.Errorf("stderr:\n got: %q\nwant: %q", errOut, wantErr)
	}
}

// TestProducerSnapshotAndTxnIndex writes a producer snapshot with two
// producers and a transaction index, then damaged copies of both.
func TestProducerSnapshotAndTxnIndex(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	body := binary.BigEndian.AppendUint32(nil, 2)
	for _, e := range []producerEntry{
		{producerID: 1000, epoch: 2, lastSequence: 14, lastOffset: 20, offsetDelta: 4, timestamp: 1_700_000_000_000, coordinatorEpoch: 5, currentTxnFirstOffset: 16},
		{producerID: 1001, epoch: 0, lastSequence: 2, lastOffset: -1, offsetDelta: 4, timestamp: 1_700_000_000_001, coordinatorEpoch: -1, currentTxnFirstOffset: -1},
	} {
		body = binary.BigEndian.AppendUint64(body, uint64(e.producerID))
		body = binary.BigEndian.AppendUint16(body, uint16(e.epoch))
		body = binary.BigEndian.AppendUint32(body, uint32(e.lastSequence))
		body = binary.BigEndian.AppendUint64(body, uint64(e.lastOffset))
		body = binary.BigEndian.AppendUint32(body, uint32(e.offsetDelta))
		body = binary.BigEndian.AppendUint64(body, uint64(e.timestamp))
		body = binary.BigEndian.AppendUint32(body, uint32(e.coordinatorEpoch))
		body = binary.BigEndian.AppendUint64(body, uint64(e.currentTxnFirstOffset))
	}
	snap := binary.BigEndian.AppendUint16(nil, 1)
	snap = binary.BigEndian.AppendUint32(snap, record.CRC32C(body))
	snap = append(snap, body...)
	sp := filepath.Join(dir, "00000000000000000021.snapshot")
	if err := os.WriteFile(sp, snap, 0o644); err != nil {
		t.Fatal(err)
	}
	var txn []byte
	for _, v := range [][4]int64{{1000, 10, 15, 12}, {1001, 16, 30, 16}} {
		txn = binary.BigEndian.AppendUint16(txn, 0)
		for _, x := range v {
			txn = binary.BigEndian.AppendUint64(txn, uint64(x))
		}
	}
	tp := filepath.Join(dir, "00000000000000000000.txnindex")
	if err := os.WriteFile(tp, txn, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "--files", sp+","+tp)
	want := "Dumping " + sp + "\n" +
		"producerId: 1000 producerEpoch: 2 coordinatorEpoch: 5 currentTxnFirstOffset: OptionalLong[16] lastTimestamp: 1700000000000 firstSequence: 10 lastSequence: 14 lastOffset: 20 offsetDelta: 4 timestamp: 1700000000000\n" +
		"producerId: 1001 producerEpoch: 0 coordinatorEpoch: -1 currentTxnFirstOffset: OptionalLong.empty lastTimestamp: 1700000000001 \n" +
		"Dumping " + tp + "\n" +
		"version: 0 producerId: 1000 firstOffset: 10 lastOffset: 15 lastStableOffset: 12\n" +
		"version: 0 producerId: 1001 firstOffset: 16 lastOffset: 30 lastStableOffset: 16\n"
	if code != 0 || errOut != "" || out != want {
		t.Errorf("exit %d, stderr %q\nstdout:\n got: %q\nwant: %q", code, errOut, out, want)
	}

	snap[len(snap)-1] ^= 1
	if err := os.WriteFile(sp, snap, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tp, append(txn, 0, 0, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run(t, "--files", sp+","+tp)
	if code != 1 || !strings.Contains(errOut, "Snapshot is corrupt (CRC is no longer valid). Stored crc: ") ||
		!strings.Contains(errOut, "3 bytes at the end do not form a whole 34-byte entry") {
		t.Errorf("damaged files: exit %d, stderr %q", code, errOut)
	}
}
