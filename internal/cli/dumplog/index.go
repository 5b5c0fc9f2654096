package dumplog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/kafkakit/kafkakit/internal/record"
)

// Index entry sizes: an offset index entry is a 4-byte relative offset and
// a 4-byte position; a time index entry an 8-byte timestamp and a 4-byte
// relative offset.
const (
	offsetIndexEntrySize = 8
	timeIndexEntrySize   = 12
	// entryHeaderUpToMagic is how many bytes Kafka's log reader needs
	// beyond the current position before it looks at an entry at all.
	entryHeaderUpToMagic = 17
)

// parseBaseOffset parses the base offset from a file name's stem as Kafka
// does (Long.parseLong), with Java's message on failure.
func parseBaseOffset(name string) (int64, error) {
	s := stem(name)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("java.lang.NumberFormatException: For input string: %q in file name %s", s, name)
	}
	return v, nil
}

// segmentSibling returns the absolute path of the file with the same stem
// as path and the given suffix (".log", ".index").
func segmentSibling(path, name, suffix string) string {
	return javaParent(javaAbsPath(path)) + "/" + stem(name) + suffix
}

// readSibling reads a segment's sibling file. A missing file is an error:
// Kafka's tool needs it too (and would create an empty index as a side
// effect, which this tool never does).
func readSibling(path string) ([]byte, func(), error) {
	b, release, err := readFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("java.nio.file.NoSuchFileException: %s", path)
		}
		return nil, nil, err
	}
	return b, release, nil
}

// firstEntry returns the first complete entry of region the way Kafka's
// FileLogInputStream finds it: nothing when 17 bytes or fewer remain or the
// entry is not whole, an error when the entry is malformed.
func firstEntry(region []byte) (*record.Entry, error) {
	if len(region) <= entryHeaderUpToMagic {
		return nil, nil
	}
	it := record.NewIterator(region)
	if it.Next() {
		return it.Entry(), nil
	}
	return nil, it.Err()
}

// dumpIndex prints an offset index and checks each entry against the
// segment: the batch at the entry's position must end at the entry's
// offset.
func (d *dumper) dumpIndex(path, name string) error {
	base, err := parseBaseOffset(name)
	if err != nil {
		return err
	}
	logData, releaseLog, err := readSibling(segmentSibling(path, name, ".log"))
	if err != nil {
		return err
	}
	defer releaseLog()
	idx, release, err := readSibling(path)
	if err != nil {
		return err
	}
	defer release()
	abs := javaAbsPath(path)
	entries := len(idx) / offsetIndexEntrySize
	entry := func(i int) (offset int64, position int32) {
		e := idx[i*offsetIndexEntrySize:]
		return base + int64(int32(binary.BigEndian.Uint32(e))), int32(binary.BigEndian.Uint32(e[4:]))
	}
	if entries == 0 {
		if !d.json {
			fmt.Fprintf(d.out, "%s is empty.\n", path)
		}
		return nil
	}
	if d.o.IndexSanityCheck {
		last, _ := entry(entries - 1)
		switch {
		case last < base:
			d.corruptf("Corrupt index found, index file %s has non-zero size but the last offset is %d which is less than the base offset %d", abs, last, base)
		case len(idx)%offsetIndexEntrySize != 0:
			d.corruptf("Index file %s is corrupt, found %d bytes which is neither positive nor a multiple of %d", abs, len(idx), offsetIndexEntrySize)
		default:
			fmt.Fprintf(d.out, "%s passed sanity check.\n", path)
		}
		return nil
	}
	for i := 0; i < entries; i++ {
		offset, position := entry(i)
		// A pre-allocated index left by a crash is zero-filled after its
		// last entry; Kafka stops at the first such entry.
		if offset == base && i > 0 {
			return nil
		}
		if position < 0 || int(position) > len(logData) {
			d.corruptf("%s: entry %d (offset %d) points at position %d, past the end of the log segment (%d bytes)", abs, i, offset, position, len(logData))
		} else {
			end := min(int64(position)+int64(d.o.MaxMessageSize), int64(len(logData)))
			e, err := firstEntry(logData[position:end])
			switch {
			case err != nil:
				d.corruptf("%s: entry %d (offset %d): the log entry at position %d is corrupt: %v", abs, i, offset, position, err)
			case e == nil:
				d.corruptf("%s: entry %d (offset %d): no complete log entry at position %d within --max-message-size %d bytes", abs, i, offset, position, d.o.MaxMessageSize)
			case e.LastOffset() != offset:
				d.indexMismatches.add(abs, offset, e.LastOffset())
			}
		}
		if d.o.VerifyIndexOnly {
			continue
		}
		if d.json {
			d.jsonLine(jsonIndexEntry(path, offset, position))
		} else {
			fmt.Fprintf(d.out, "offset: %d position: %d\n", offset, position)
		}
	}
	return nil
}

// dumpTimeIndex prints a time index and checks each entry against the
// segment: the batch ending at the entry's offset must exist and its
// largest record timestamp must equal the entry's timestamp, and entries
// must be strictly increasing in time.
func (d *dumper) dumpTimeIndex(path, name string) error {
	base, err := parseBaseOffset(name)
	if err != nil {
		return err
	}
	logData, releaseLog, err := readSibling(segmentSibling(path, name, ".log"))
	if err != nil {
		return err
	}
	defer releaseLog()
	offIdx, releaseIdx, err := readSibling(segmentSibling(path, name, ".index"))
	if err != nil {
		return err
	}
	defer releaseIdx()
	tidx, release, err := readSibling(path)
	if err != nil {
		return err
	}
	defer release()
	abs := javaAbsPath(path)
	entries := len(tidx) / timeIndexEntrySize
	entry := func(i int) (ts, offset int64) {
		e := tidx[i*timeIndexEntrySize:]
		return int64(binary.BigEndian.Uint64(e)), base + int64(int32(binary.BigEndian.Uint32(e[8:])))
	}
	if d.o.IndexSanityCheck {
		lastTS, lastOff := int64(-1), base
		if entries > 0 {
			lastTS, lastOff = entry(entries - 1)
		}
		var firstTS int64
		if entries > 0 {
			firstTS, _ = entry(0)
		}
		switch {
		case entries != 0 && lastTS < firstTS:
			d.corruptf("Corrupt time index found, time index file (%s) has non-zero size but the last timestamp is %d which is less than the first timestamp %d", abs, lastTS, firstTS)
		case entries != 0 && lastOff < base:
			d.corruptf("Corrupt time index found, time index file (%s) has non-zero size but the last offset is %d which is less than the first offset %d", abs, lastOff, base)
		case len(tidx)%timeIndexEntrySize != 0:
			d.corruptf("Time index file %s is corrupt, found %d bytes which is neither positive nor a multiple of %d", abs, len(tidx), timeIndexEntrySize)
		default:
			fmt.Fprintf(d.out, "%s passed sanity check.\n", path)
		}
		return nil
	}
	prevTS := int64(-1)
	for i := 0; i < entries; i++ {
		ts, offset := entry(i)
		if offset == base && i > 0 {
			return nil
		}
		position := lookupOffsetIndex(offIdx, base, offset)
		d.checkTimeIndexEntry(abs, logData, position, ts, offset, prevTS)
		if !d.o.VerifyIndexOnly {
			if d.json {
				d.jsonLine(jsonTimeIndexEntry(path, ts, offset))
			} else {
				fmt.Fprintf(d.out, "timestamp: %d offset: %d\n", ts, offset)
			}
		}
		prevTS = ts
	}
	return nil
}

func (d *dumper) checkTimeIndexEntry(abs string, logData []byte, position int32, ts, offset, prevTS int64) {
	if position < 0 || int(position) > len(logData) {
		d.corruptf("%s: the offset index points at position %d, past the end of the log segment (%d bytes)", abs, position, len(logData))
		return
	}
	region := logData[position:]
	it := record.NewIterator(region)
	for len(region)-it.Position() > entryHeaderUpToMagic && it.Next() {
		e := it.Entry()
		if e.LastOffset() < offset {
			continue
		}
		if e.LastOffset() != offset {
			d.tsNotFound.add(abs, offset, e.LastOffset())
			return
		}
		maxTS := int64(-1)
		err := eachRecord(e, int64(d.o.MaxMessageSize), func(r *recView) error {
			maxTS = max(maxTS, r.timestamp)
			return nil
		})
		if err != nil {
			d.corruptf("%s: the log entry at position %d (offset %d) has records that cannot be read: %v", abs, int(position)+e.Position, offset, err)
			return
		}
		if maxTS != ts {
			d.tsMismatch.add(abs, ts, maxTS)
		}
		if prevTS >= ts {
			d.tsOutOfOrder.add(abs, ts, prevTS)
		}
		return
	}
	if err := it.Err(); err != nil {
		d.corruptf("%s: the log segment is corrupt after position %d: %v", abs, position, err)
		return
	}
	d.tsNotFound.add(abs, offset, -1)
}

// lookupOffsetIndex returns the position of the largest offset index entry
// whose offset is at most target, or 0 when there is none, as Kafka's
// OffsetIndex.lookup does.
func lookupOffsetIndex(idx []byte, base, target int64) int32 {
	n := len(idx) / offsetIndexEntrySize
	at := func(i int) (int64, int32) {
		e := idx[i*offsetIndexEntrySize:]
		return base + int64(int32(binary.BigEndian.Uint32(e))), int32(binary.BigEndian.Uint32(e[4:]))
	}
	if n == 0 {
		return 0
	}
	if first, _ := at(0); first > target {
		return 0
	}
	lo, hi := 0, n-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if off, _ := at(mid); off <= target {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	_, pos := at(lo)
	return pos
}
