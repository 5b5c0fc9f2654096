package dumplog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"strconv"
	"strings"

	"github.com/kafkakit/kafkakit/internal/record"
)

// bootstrapCheckpoint is the name of the KRaft bootstrap metadata file.
const bootstrapCheckpoint = "bootstrap.checkpoint"

// Widths of the numbers in a KRaft snapshot name:
// <20-digit end offset>-<10-digit epoch>.checkpoint.
const (
	snapshotOffsetWidth = 20
	snapshotEpochWidth  = 10
)

// logFile is the state of dumping one .log or .checkpoint file.
type logFile struct {
	d        *dumper
	path     string // as given (normalized like java.io.File)
	name     string
	abs      string
	parser   messageParser
	deep     bool
	printing bool

	lastOffset int64 // last record offset seen, -1 before the first
}

// dumpLog prints a segment or KRaft snapshot batch by batch and, with deep
// iteration, record by record.
func (d *dumper) dumpLog(path, name string) error {
	lf := &logFile{
		d: d, path: path, name: name, abs: javaAbsPath(path),
		deep: d.o.isDeepIteration(), printing: d.o.shouldPrintDataLog(),
		lastOffset: -1,
	}
	parser, err := d.newParser()
	if err != nil {
		return err
	}
	lf.parser = parser
	lf.printFileHeader()

	data, release, err := readFile(path)
	if err != nil {
		return err
	}
	defer release()
	limited := int64(d.o.MaxBytes) != math.MaxInt32
	if int64(len(data)) > int64(d.o.MaxBytes) {
		data = data[:d.o.MaxBytes]
	}

	pos := 0
	for {
		region := data[pos:]
		it := record.NewIterator(region)
		// Kafka's reader stops when 17 bytes or fewer are left (it cannot
		// see the magic byte of a next entry).
		for len(region)-it.Position() > entryHeaderUpToMagic && it.Next() {
			e := it.Entry()
			lf.dumpEntry(e, pos+e.Position)
		}
		end := pos + it.Position()
		err := it.Err()
		if err == nil {
			if trailing := len(data) - end; trailing > 0 && !limited {
				if !d.json {
					fmt.Fprintf(d.out, "Found %d invalid bytes at the end of %s\n", trailing, name)
				}
				d.corruptf("%s: truncated entry at position %d: %s", lf.abs, end, describeTail(data[end:]))
			}
			return nil
		}
		var ce *record.CorruptError
		reason := err.Error()
		if errors.As(err, &ce) {
			reason = ce.Reason
		}
		next := resync(data, end+1)
		if next < 0 {
			d.corruptf("%s: corrupt entry at position %d: %s; no valid entry follows, %d bytes not dumped", lf.abs, end, reason, len(data)-end)
			return nil
		}
		d.corruptf("%s: corrupt entry at position %d: %s; skipped %d bytes to the next valid entry at position %d", lf.abs, end, reason, next-end, next)
		pos = next
	}
}

// printFileHeader prints the line Kafka prints before the batches.
func (lf *logFile) printFileHeader() {
	d := lf.d
	switch {
	case strings.HasSuffix(lf.name, ".log"):
		base, err := parseBaseOffset(lf.name)
		if err != nil {
			d.warnf("%s: the file name does not start with a base offset (%v); dumping it without \"Log starting offset\"", lf.path, err)
			return
		}
		if !d.json {
			fmt.Fprintf(d.out, "Log starting offset: %d\n", base)
		}
	case lf.name == bootstrapCheckpoint:
		if !d.json {
			fmt.Fprintln(d.out, "KRaft bootstrap snapshot")
		}
	default:
		offset, epoch, ok := parseSnapshotName(lf.name)
		if !ok {
			d.warnf("%s: not a KRaft snapshot name (<20-digit end offset>-<10-digit epoch>.checkpoint); dumping it without its end offset and epoch", lf.path)
			return
		}
		if !d.json {
			fmt.Fprintf(d.out, "Snapshot end offset: %d, epoch: %d\n", offset, epoch)
		}
	}
}

// parseSnapshotName parses <end offset>-<epoch>.checkpoint.
func parseSnapshotName(name string) (offset int64, epoch int32, ok bool) {
	s, found := strings.CutSuffix(name, ".checkpoint")
	if !found || len(s) != snapshotOffsetWidth+1+snapshotEpochWidth || s[snapshotOffsetWidth] != '-' {
		return 0, 0, false
	}
	o, err1 := strconv.ParseInt(s[:snapshotOffsetWidth], 10, 64)
	e, err2 := strconv.ParseInt(s[snapshotOffsetWidth+1:], 10, 32)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return o, int32(e), true
}

// describeTail says why the bytes after the last whole entry do not form
// an entry.
func describeTail(b []byte) string {
	if len(b) < record.LogOverhead {
		return fmt.Sprintf("%d bytes left, fewer than the %d-byte offset and length prefix", len(b), record.LogOverhead)
	}
	need := int64(record.LogOverhead) + int64(int32(binary.BigEndian.Uint32(b[8:])))
	if len(b) <= entryHeaderUpToMagic {
		return fmt.Sprintf("%d bytes left, too few to hold an entry header", len(b))
	}
	return fmt.Sprintf("the entry needs %d bytes but only %d are left", need, len(b))
}

// resync finds the first position at or after from where a whole entry
// with a valid checksum starts, or -1.
func resync(data []byte, from int) int {
	for q := from; q+entryHeaderUpToMagic < len(data); q++ {
		switch data[q+16] {
		case 2:
			h, err := record.ParseHeader(data[q:])
			if err == nil && q+h.Size() <= len(data) && record.ValidCRC(data[q:q+h.Size()]) {
				return q
			}
		case 0, 1:
			n := int64(int32(binary.BigEndian.Uint32(data[q+8:])))
			end := int64(q) + int64(record.LogOverhead) + n
			if n >= 14 && end <= int64(len(data)) && record.ValidLegacyCRC(data[q:end]) {
				return q
			}
		}
	}
	return -1
}

// entryCRC recomputes an entry's checksum.
func entryCRC(e *record.Entry) uint32 {
	if e.Magic >= 2 {
		return record.ComputeCRC(e.Raw)
	}
	return crc32.ChecksumIEEE(e.Raw[16:])
}

// dumpEntry prints one batch (or legacy message) and, with deep iteration,
// its records.
func (lf *logFile) dumpEntry(e *record.Entry, position int) {
	d := lf.d
	valid := e.ValidCRC()
	if !valid {
		d.corruptf("%s: checksum mismatch in the entry at position %d (last offset %d): stored %d, computed %d",
			lf.abs, position, e.LastOffset(), e.CRC(), entryCRC(e))
	}
	if e.Magic >= 2 && !e.Header.Codec().Valid() {
		d.corruptf("%s: the batch at position %d (offset %d) names unknown compression codec %d",
			lf.abs, position, e.Header.BaseOffset, int(e.Header.Codec()))
	}
	var jb *jobj
	if d.json {
		jb = jsonBatch(lf.path, e, position, valid)
	} else {
		lf.printBatchLine(e, position, valid)
	}
	if !lf.deep && !d.json {
		return
	}
	var recs []any
	var line strings.Builder
	err := eachRecord(e, int64(d.o.MaxMessageSize), func(r *recView) error {
		lf.trackOffset(r.offset)
		if d.json {
			jr, err := lf.jsonRecord(e, r)
			if err != nil {
				return err
			}
			recs = append(recs, jr)
			return nil
		}
		line.Reset()
		if err := lf.recordLine(&line, e, r); err != nil {
			return err
		}
		line.WriteByte('\n')
		_, _ = d.out.WriteString(line.String())
		return nil
	})
	if jb != nil {
		if recs == nil {
			recs = []any{}
		}
		jb.set("records", recs)
		d.jsonLine(jb)
	}
	if err != nil {
		d.corruptf("%s: the records of the entry at position %d (last offset %d) cannot be read: %v", lf.abs, position, e.LastOffset(), err)
	}
}

// trackOffset records offsets that do not follow the previous record's,
// which Kafka reports at the end as non-consecutive.
func (lf *logFile) trackOffset(offset int64) {
	if lf.lastOffset != -1 && offset != lf.lastOffset+1 {
		lf.d.nonConsecutive.add(lf.abs, lf.lastOffset, offset)
	}
	lf.lastOffset = offset
}

// printBatchLine prints Kafka's batch-level line.
func (lf *logFile) printBatchLine(e *record.Entry, position int, valid bool) {
	w := lf.d.out
	if e.Magic >= 2 {
		h := &e.Header
		dh, ok := h.DeleteHorizonMs()
		fmt.Fprintf(w, "baseOffset: %d lastOffset: %d count: %d baseSequence: %d lastSequence: %d producerId: %d producerEpoch: %d partitionLeaderEpoch: %d isTransactional: %t isControl: %t deleteHorizonMs: %s",
			h.BaseOffset, h.LastOffset(), h.NumRecords, h.BaseSequence, h.LastSequence(), h.ProducerID, h.ProducerEpoch,
			h.PartitionLeaderEpoch, h.IsTransactional(), h.IsControl(), optionalLong(dh, ok))
	} else {
		fmt.Fprintf(w, "offset: %d", e.LastOffset())
	}
	fmt.Fprintf(w, " position: %d %s: %d size: %d magic: %d compresscodec: %s crc: %d isvalid: %t\n",
		position, e.TimestampType(), e.MaxTimestamp(), e.Size(), e.Magic, e.Codec(), e.CRC(), valid)
}

// recordLine builds Kafka's record line (without the newline).
func (lf *logFile) recordLine(b *strings.Builder, e *record.Entry, r *recView) error {
	prefix := "| "
	control := e.Magic >= 2 && e.Header.IsControl()
	if !lf.d.o.SkipRecordMetadata {
		fmt.Fprintf(b, "%soffset: %d %s: %d keySize: %d valueSize: %d", prefix, r.offset, e.TimestampType(), r.timestamp, r.keySize(), r.valueSize())
		prefix = " "
		if e.Magic >= 2 {
			b.WriteString(" sequence: ")
			b.WriteString(strconv.Itoa(int(r.sequence)))
			b.WriteString(" headerKeys: [")
			for i, h := range r.headers {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(javaString(h.Key))
			}
			b.WriteByte(']')
		}
		if r.legacy {
			fmt.Fprintf(b, " isValid: %t crc: %d}", r.legacyValid, r.legacyCRC)
		}
		if control {
			s, err := controlSuffix(r.key, r.value)
			if err != nil {
				return err
			}
			b.WriteString(s)
		}
	}
	if lf.printing && !control {
		key, payload, err := lf.parser(r)
		if err != nil {
			return err
		}
		if key != nil {
			b.WriteString(prefix)
			b.WriteString("key: ")
			b.WriteString(*key)
		}
		if payload != nil {
			// Kafka always puts a single space before the payload, even when
			// nothing precedes it on the line.
			b.WriteString(" payload: ")
			b.WriteString(*payload)
		}
	}
	return nil
}
