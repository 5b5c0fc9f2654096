package record

import (
	"bytes"
	"errors"
	"testing"
)

const fuzzLimit = 1 << 20

// fixtureBatches returns raw v2 batches and legacy entries from the small
// fixtures, plus batches built with every codec.
func fixtureEntries(tb testing.TB) (batches, legacy [][]byte) {
	for _, p := range smallFixtures {
		for it := NewIterator(fixture(tb, p)); it.Next(); {
			e := it.Entry()
			if e.Magic == 2 {
				batches = append(batches, e.Raw)
			} else {
				legacy = append(legacy, e.Raw)
			}
		}
	}
	for _, c := range allCodecs {
		bld := NewBuilder(c)
		for _, r := range sampleRecords()[:4] {
			bld.Add(r)
		}
		raw, err := bld.Build()
		if err != nil {
			tb.Fatal(err)
		}
		batches = append(batches, raw)
	}
	return batches, legacy
}

func addEntrySeeds(f *testing.F, entries [][]byte) {
	f.Add([]byte{})
	for i, e := range entries {
		if i > 40 {
			break
		}
		f.Add(e)
		f.Add(e[:len(e)/2])
		f.Add(e[:len(e)-1])
		f.Add(append(bytes.Clone(e), "garbage"...))
	}
}

// FuzzBatch decodes arbitrary bytes as a whole v2 batch.
func FuzzBatch(f *testing.F) {
	batches, _ := fixtureEntries(f)
	addEntrySeeds(f, batches)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := NewBatch(data)
		if err != nil {
			return
		}
		if len(b.Raw) > len(data) || len(b.Raw) != b.Size() {
			t.Fatalf("batch of %d bytes from %d bytes of input", len(b.Raw), len(data))
		}
		d := Decoder{MaxDecompressedSize: fuzzLimit}
		n := 0
		err = d.EachRecord(b, func(r *Record) error {
			n++
			if r.Offset != b.BaseOffset+int64(r.OffsetDelta) {
				t.Fatalf("offset %d from base %d delta %d", r.Offset, b.BaseOffset, r.OffsetDelta)
			}
			return nil
		})
		if err == nil && n != int(b.NumRecords) {
			t.Fatalf("decoded %d records, header says %d", n, b.NumRecords)
		}
		_ = d.Validate(b)
	})
}

// FuzzRecords decodes an arbitrary records area under a valid header and,
// when it decodes, checks that encoding the records again round-trips.
func FuzzRecords(f *testing.F) {
	batches, _ := fixtureEntries(f)
	f.Add([]byte{}, int32(0), uint8(0))
	for i, raw := range batches {
		if i > 40 {
			break
		}
		b, _ := NewBatch(raw)
		area := b.RecordsArea()
		f.Add(area, b.NumRecords, uint8(b.Attributes))
		f.Add(area[:len(area)/2], b.NumRecords, uint8(b.Attributes))
		f.Add(append(bytes.Clone(area), 0, 1, 2), b.NumRecords, uint8(b.Attributes))
	}
	f.Fuzz(func(t *testing.T, area []byte, count int32, attrs uint8) {
		raw := rawBatch(area, count, Codec(attrs&attrCodecMask))
		raw[offAttributes+1] = attrs &^ attrControl // keep it a data batch
		b, err := NewBatch(raw)
		if err != nil {
			t.Fatalf("NewBatch on a well-formed header: %v", err)
		}
		d := Decoder{MaxDecompressedSize: fuzzLimit}
		recs, err := d.Records(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidRecord) && !errors.Is(err, ErrTooLarge) &&
				!errors.Is(err, ErrCorruptCompressed) && !errors.Is(err, ErrBadCodec) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if len(recs) != int(count) {
			t.Fatalf("decoded %d records, count %d", len(recs), count)
		}
		// Encode again with the same settings and decode.
		bld := NewBuilder(b.Codec())
		if !b.Codec().Valid() {
			return
		}
		bld.BaseOffset = b.BaseOffset
		bld.TimestampType = b.TimestampType()
		bld.LogAppendTime = b.MaxTimestamp
		for _, r := range recs {
			if err := bld.AddWithOffsetDelta(r.OffsetDelta, r); err != nil {
				return // decreasing offset deltas decode but cannot be rebuilt
			}
		}
		out, err := bld.Build()
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		b2, err := NewBatch(out)
		if err != nil || !b2.ValidCRC() {
			t.Fatalf("rebuilt batch: %v", err)
		}
		again, err := b2.Records()
		if err != nil {
			t.Fatalf("decode rebuilt batch: %v", err)
		}
		if len(again) != len(recs) {
			t.Fatalf("round trip: %d records, want %d", len(again), len(recs))
		}
		for i := range recs {
			if err := equalRecord(again[i], recs[i]); err != nil {
				t.Fatalf("round trip record %d: %v", i, err)
			}
			if again[i].Offset != recs[i].Offset || again[i].Timestamp != recs[i].Timestamp {
				t.Fatalf("round trip record %d offset/timestamp %d/%d, want %d/%d", i, again[i].Offset, again[i].Timestamp, recs[i].Offset, recs[i].Timestamp)
			}
		}
	})
}

// FuzzLegacy decodes arbitrary bytes as a legacy message-set entry.
func FuzzLegacy(f *testing.F) {
	_, legacy := fixtureEntries(f)
	inner := append(legacyEntry(0, 1, 0, 5, nil, []byte("a")), legacyEntry(1, 1, 0, 6, []byte("k"), []byte("b"))...)
	for _, c := range []Codec{CodecGzip, CodecSnappy, CodecLZ4} {
		z, _ := Compress(nil, c, inner)
		legacy = append(legacy, legacyEntry(9, 1, int8(c), 6, nil, z))
	}
	addEntrySeeds(f, legacy)
	f.Fuzz(func(t *testing.T, data []byte) {
		d := Decoder{MaxDecompressedSize: fuzzLimit}
		_ = d.EachLegacyMessage(data, func(m *LegacyMessage) error {
			if len(m.Raw) < LogOverhead+legacyOverheadV0 {
				t.Fatalf("message of %d bytes", len(m.Raw))
			}
			_ = m.ValidCRC()
			return nil
		})
	})
}

// FuzzControlRecord parses arbitrary control keys and transaction marker
// values and checks that a parsed version 0 value encodes back to its
// input.
func FuzzControlRecord(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 1})
	f.Add([]byte{0, 0, 0, 0, 0, 5})
	f.Add([]byte{0, 0, 0})
	f.Add([]byte{0, 0, 0, 6, 0xff, 0xff})
	for it := NewIterator(fixture(f, fxLDIBootstrap)); it.Next(); {
		b, _ := it.Entry().Batch()
		b.EachRecord(func(r *Record) error {
			f.Add(bytes.Clone(r.Key))
			f.Add(bytes.Clone(r.Value))
			return nil
		})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if k, err := ParseControlKey(data); err == nil {
			if k.Version < 0 {
				t.Fatalf("accepted version %d", k.Version)
			}
			if enc := AppendControlKey(nil, k); !bytes.Equal(enc, data[:controlKeySize]) {
				t.Fatalf("key round trip % x, want % x", enc, data[:controlKeySize])
			}
		}
		if m, err := ParseEndTxnMarker(data); err == nil {
			if enc := AppendEndTxnMarker(nil, m); !bytes.Equal(enc, data[:endTxnMarkerSize]) {
				t.Fatalf("marker round trip % x, want % x", enc, data[:endTxnMarkerSize])
			}
		}
	})
}
