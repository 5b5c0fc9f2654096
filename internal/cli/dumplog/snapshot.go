package dumplog

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/kafkakit/kafkakit/internal/record"
)

// Producer-state snapshot layout (ProducerSnapshot version 1): int16
// version, uint32 CRC-32C of everything after the CRC field, int32 entry
// count, then fixed-size entries.
const (
	producerSnapshotVersion   = 1
	producerSnapshotEntriesAt = 6  // where the CRC coverage starts
	producerSnapshotEntrySize = 46 // 8+2+4+8+4+8+4+8
)

// producerEntryFields are the entry's fields in order with the offset
// where each ends.
var producerEntryFields = []struct {
	name string
	end  int
}{
	{"producer_id", 8}, {"epoch", 10}, {"last_sequence", 14}, {"last_offset", 22},
	{"offset_delta", 26}, {"timestamp", 34}, {"coordinator_epoch", 38}, {"current_txn_first_offset", 46},
}

// producerEntry is one producer's state in a snapshot, in file order.
type producerEntry struct {
	producerID            int64
	epoch                 int16
	lastSequence          int32
	lastOffset            int64
	offsetDelta           int32
	timestamp             int64
	coordinatorEpoch      int32
	currentTxnFirstOffset int64
}

// parseProducerSnapshot decodes a producer-state snapshot. Its errors are
// the messages of Kafka's CorruptSnapshotException.
func parseProducerSnapshot(b []byte) ([]producerEntry, error) {
	schemaErr := func(field, msg string) error {
		return fmt.Errorf("Snapshot failed schema validation: Error reading field '%s': %s", field, msg)
	}
	const underflow = "java.nio.BufferUnderflowException"
	if len(b) < 2 {
		return nil, schemaErr("version", underflow)
	}
	if len(b) < 6 {
		return nil, schemaErr("crc", underflow)
	}
	if len(b) < 10 {
		return nil, schemaErr("producer_entries", underflow)
	}
	version := int16(binary.BigEndian.Uint16(b))
	count := int32(binary.BigEndian.Uint32(b[6:]))
	switch {
	case count < 0:
		return nil, schemaErr("producer_entries", fmt.Sprintf("Array size %d cannot be negative", count))
	case int(count) > len(b)-10:
		return nil, schemaErr("producer_entries", fmt.Sprintf("Error reading array of size %d, only %d bytes available", count, len(b)-10))
	case int(count)*producerSnapshotEntrySize > len(b)-10:
		// The entry that runs out names the field that ran out.
		avail := (len(b) - 10) % producerSnapshotEntrySize
		field := "producer_id"
		for _, f := range producerEntryFields {
			if f.end > avail {
				field = f.name
				break
			}
		}
		return nil, schemaErr("producer_entries", "Error reading field '"+field+"': "+underflow)
	}
	if version != producerSnapshotVersion {
		return nil, fmt.Errorf("Snapshot contained an unknown file version %d", version)
	}
	stored := binary.BigEndian.Uint32(b[2:])
	if computed := record.CRC32C(b[producerSnapshotEntriesAt:]); stored != computed {
		return nil, fmt.Errorf("Snapshot is corrupt (CRC is no longer valid). Stored crc: %d. Computed crc: %d", stored, computed)
	}
	entries := make([]producerEntry, count)
	for i := range entries {
		e := b[10+i*producerSnapshotEntrySize:]
		entries[i] = producerEntry{
			producerID:            int64(binary.BigEndian.Uint64(e)),
			epoch:                 int16(binary.BigEndian.Uint16(e[8:])),
			lastSequence:          int32(binary.BigEndian.Uint32(e[10:])),
			lastOffset:            int64(binary.BigEndian.Uint64(e[14:])),
			offsetDelta:           int32(binary.BigEndian.Uint32(e[22:])),
			timestamp:             int64(binary.BigEndian.Uint64(e[26:])),
			coordinatorEpoch:      int32(binary.BigEndian.Uint32(e[34:])),
			currentTxnFirstOffset: int64(binary.BigEndian.Uint64(e[38:])),
		}
	}
	return entries, nil
}

// firstSequence undoes offsetDelta from lastSequence, wrapping below zero
// to MaxInt32 as producer sequences do (Kafka's decrementSequence).
func (e producerEntry) firstSequence() int32 {
	if e.lastSequence < e.offsetDelta {
		return math.MaxInt32 - (e.offsetDelta - e.lastSequence) + 1
	}
	return e.lastSequence - e.offsetDelta
}

// optionalLong renders Java's OptionalLong.toString.
func optionalLong(v int64, present bool) string {
	if !present {
		return "OptionalLong.empty"
	}
	return fmt.Sprintf("OptionalLong[%d]", v)
}

// dumpProducerSnapshot prints one line per producer. A corrupt snapshot is
// reported on stderr, as Kafka does, and makes the run fail.
func (d *dumper) dumpProducerSnapshot(path string) error {
	b, release, err := readFile(path)
	if err != nil {
		return err
	}
	defer release()
	entries, err := parseProducerSnapshot(b)
	if err != nil {
		d.corruptf("%s", err.Error())
		return nil
	}
	for _, e := range entries {
		if d.json {
			d.jsonLine(jsonProducerEntry(path, e))
			continue
		}
		fmt.Fprintf(d.out, "producerId: %d producerEpoch: %d coordinatorEpoch: %d currentTxnFirstOffset: %s lastTimestamp: %d ",
			e.producerID, e.epoch, e.coordinatorEpoch, optionalLong(e.currentTxnFirstOffset, e.currentTxnFirstOffset >= 0), e.timestamp)
		if e.lastOffset >= 0 {
			fmt.Fprintf(d.out, "firstSequence: %d lastSequence: %d lastOffset: %d offsetDelta: %d timestamp: %d",
				e.firstSequence(), e.lastSequence, e.lastOffset, e.offsetDelta, e.timestamp)
		}
		fmt.Fprintln(d.out)
	}
	return nil
}
