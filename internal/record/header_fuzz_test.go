package record

import (
	"bytes"
	"testing"
)

// addRegionSeeds seeds a fuzz target with empty, truncated, valid and
// valid-plus-garbage regions cut from real Kafka files.
func addRegionSeeds(f *testing.F) {
	f.Add([]byte{})
	for _, p := range smallFixtures {
		b := fixture(f, p)
		if len(b) > 4096 {
			b = b[:4096] // a torn tail of a real region
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
		f.Add(b[:min(len(b), HeaderSize-1)])
		f.Add(append(bytes.Clone(b), "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x20\xff\xff\xff\xff\x02garbage"...))
	}
}

func FuzzParseHeader(f *testing.F) {
	addRegionSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			return
		}
		if h.Magic != 2 || h.Length < minBatchLength || h.Size() < HeaderSize {
			t.Fatalf("ParseHeader accepted %+v", h)
		}
		_ = h.LastSequence()
		_ = h.LastOffset()
		// Editing a copy must not fail for a parsed header, and must keep the
		// other fields.
		c := bytes.Clone(b)
		if err := SetBaseOffset(c, 99); err != nil {
			t.Fatalf("SetBaseOffset: %v", err)
		}
		if err := SetPartitionLeaderEpoch(c, 7); err != nil {
			t.Fatalf("SetPartitionLeaderEpoch: %v", err)
		}
		h2, err := ParseHeader(c)
		if err != nil || h2.BaseOffset != 99 || h2.PartitionLeaderEpoch != 7 || h2.CRC != h.CRC || h2.NumRecords != h.NumRecords {
			t.Fatalf("after edits: %+v, %v", h2, err)
		}
		if ValidCRC(b) != ValidCRC(c) {
			t.Fatalf("editing fields outside the CRC changed its validity")
		}
		if len(c) >= h.Size() {
			if err := SetLogAppendTime(c, 12345); err != nil {
				t.Fatalf("SetLogAppendTime: %v", err)
			}
			if !ValidCRC(c) {
				t.Fatalf("SetLogAppendTime left an invalid CRC")
			}
		}
	})
}

func FuzzIterator(f *testing.F) {
	addRegionSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		it := NewIterator(b)
		pos := 0
		for it.Next() {
			e := it.Entry()
			if e.Position != pos || e.Size() < LogOverhead || pos+e.Size() > len(b) {
				t.Fatalf("entry at %d size %d out of bounds (expected position %d, input %d)", e.Position, e.Size(), pos, len(b))
			}
			pos += e.Size()
			if e.Magic == 2 {
				h, err := ParseHeader(e.Raw)
				if err != nil || h != e.Header {
					t.Fatalf("iterator header disagrees with ParseHeader: %v", err)
				}
			} else {
				h, err := ParseLegacyHeader(e.Raw)
				if err != nil || h != e.Legacy {
					t.Fatalf("iterator legacy header disagrees with ParseLegacyHeader: %v", err)
				}
			}
			_ = e.ValidCRC()
		}
		if it.Position() != pos || it.Position()+it.Trailing() != len(b) {
			t.Fatalf("consumed %d + trailing %d != input %d", it.Position(), it.Trailing(), len(b))
		}
	})
}
