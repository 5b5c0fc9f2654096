package dumplog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

// abortedTxnSize is the size of one transaction index entry: int16
// version, then producer id, first offset, last offset and last stable
// offset as int64s.
const abortedTxnSize = 34

// abortedTxnVersion is the only entry version Kafka writes and reads.
const abortedTxnVersion = 0

type abortedTxn struct {
	version                                         int16
	producerID, firstOffset, lastOffset, lastStable int64
}

// parseTxnIndex decodes whole entries; a partial trailing entry is
// ignored, as Kafka's reader does, and reported through trailing.
func parseTxnIndex(b []byte) (txns []abortedTxn, trailing int, err error) {
	n := len(b) / abortedTxnSize
	for i := 0; i < n; i++ {
		e := b[i*abortedTxnSize:]
		t := abortedTxn{
			version:     int16(binary.BigEndian.Uint16(e)),
			producerID:  int64(binary.BigEndian.Uint64(e[2:])),
			firstOffset: int64(binary.BigEndian.Uint64(e[10:])),
			lastOffset:  int64(binary.BigEndian.Uint64(e[18:])),
			lastStable:  int64(binary.BigEndian.Uint64(e[26:])),
		}
		if t.version > abortedTxnVersion {
			return txns, 0, fmt.Errorf("unexpected aborted transaction version %d at position %d, current version is %d",
				t.version, i*abortedTxnSize, abortedTxnVersion)
		}
		txns = append(txns, t)
	}
	return txns, len(b) - n*abortedTxnSize, nil
}

// dumpTxnIndex prints one line per aborted transaction. A missing file
// prints nothing, as in Kafka.
func (d *dumper) dumpTxnIndex(path string) error {
	b, release, err := readFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	defer release()
	txns, trailing, err := parseTxnIndex(b)
	for _, t := range txns {
		if d.json {
			d.jsonLine(jsonAbortedTxn(path, t))
			continue
		}
		fmt.Fprintf(d.out, "version: %d producerId: %d firstOffset: %d lastOffset: %d lastStableOffset: %d\n",
			t.version, t.producerID, t.firstOffset, t.lastOffset, t.lastStable)
	}
	if err != nil {
		d.corruptf("%s: %v", javaAbsPath(path), err)
	} else if trailing > 0 {
		d.corruptf("%s: %d bytes at the end do not form a whole %d-byte entry", javaAbsPath(path), trailing, abortedTxnSize)
	}
	return nil
}
