package record

import (
	"bytes"
	"fmt"
	"testing"
)

// Benchmarks. Run with:
//
//	go test ./internal/record -run '^$' -bench . -benchmem

// megabyteRegion concatenates whole batches of a real metadata log until
// the next one would pass 1 MiB.
func megabyteRegion(b *testing.B) []byte {
	src := fixture(b, fxRonemMetadata)
	src = append(src, fixture(b, fxLDIMetadata)...)
	var out []byte
	for it := NewIterator(src); it.Next(); {
		raw := it.Entry().Raw
		if len(out)+len(raw) > 1<<20 {
			break
		}
		out = append(out, raw...)
	}
	return out
}

func BenchmarkIterateHeaders1MiB(b *testing.B) {
	region := megabyteRegion(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(region)))
	var it Iterator
	for b.Loop() {
		n := 0
		for it.Reset(region); it.Next(); {
			n += int(it.Entry().Header.NumRecords)
		}
		if n == 0 || it.Err() != nil {
			b.Fatalf("iterated %d records, err %v", n, it.Err())
		}
	}
}

func BenchmarkIterateHeadersValidCRC1MiB(b *testing.B) {
	region := megabyteRegion(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(region)))
	var it Iterator
	for b.Loop() {
		for it.Reset(region); it.Next(); {
			if !it.Entry().ValidCRC() {
				b.Fatal("invalid CRC")
			}
		}
	}
}

func BenchmarkCRC32C16KiB(b *testing.B) {
	buf := make([]byte, 16<<10)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		_ = CRC32C(buf)
	}
}

// benchRecords returns records shaped like small JSON events: 16-byte
// keys, ~200-byte values, one header.
func benchRecords(n int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{
			Timestamp: 1_700_000_000_000 + int64(i),
			Key:       fmt.Appendf(nil, "user-%011d", i),
			Value:     fmt.Appendf(nil, `{"id":%d,"event":"page_view","path":"/products/%d","referrer":"https://example.com/search?q=item%d","agent":"Mozilla/5.0 (X11; Linux x86_64)","ms":%d}`, i, i%500, i%37, i*7%1000),
			Headers:   []RecordHeader{{Key: []byte("trace-id"), Value: fmt.Appendf(nil, "%016x", i*7919)}},
		}
	}
	return recs
}

// benchBatch encodes 500 records (about 100 KiB uncompressed) with codec.
func benchBatch(b *testing.B, codec Codec) (raw []byte, uncompressed int) {
	bld := NewBuilder(codec)
	for _, r := range benchRecords(500) {
		bld.Add(r)
	}
	raw, err := bld.Build()
	if err != nil {
		b.Fatal(err)
	}
	return raw, bld.UncompressedSize()
}

func benchmarkDecode(b *testing.B, codec Codec) {
	raw, size := benchBatch(b, codec)
	batch, err := NewBatch(raw)
	if err != nil {
		b.Fatal(err)
	}
	var d Decoder
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		n := 0
		if err := d.EachRecord(batch, func(r *Record) error { n += len(r.Value); return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeRecordsNone(b *testing.B) { benchmarkDecode(b, CodecNone) }
func BenchmarkDecodeRecordsLZ4(b *testing.B)  { benchmarkDecode(b, CodecLZ4) }
func BenchmarkDecodeRecordsZstd(b *testing.B) { benchmarkDecode(b, CodecZstd) }

func benchmarkEncode(b *testing.B, codec Codec) {
	recs := benchRecords(500)
	bld := NewBuilder(codec)
	var out []byte
	b.ReportAllocs()
	for b.Loop() {
		bld.Reset()
		for _, r := range recs {
			bld.Add(r)
		}
		var err error
		if out, err = bld.AppendTo(out[:0]); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(bld.UncompressedSize()))
	b.ReportMetric(float64(len(out)), "batch-bytes")
}

func BenchmarkEncodeBatchNone(b *testing.B) { benchmarkEncode(b, CodecNone) }
func BenchmarkEncodeBatchLZ4(b *testing.B)  { benchmarkEncode(b, CodecLZ4) }
func BenchmarkEncodeBatchZstd(b *testing.B) { benchmarkEncode(b, CodecZstd) }

// BenchmarkDecompressSmallLZ4 measures the per-call overhead of the pooled
// LZ4 reader on a 1 KiB payload.
func BenchmarkDecompressSmallLZ4(b *testing.B) {
	src := bytes.Repeat([]byte("0123456789abcdef"), 64)
	enc, _ := Compress(nil, CodecLZ4, src)
	var dst []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		var err error
		if dst, err = Decompress(dst[:0], CodecLZ4, enc, len(src)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanRecords and BenchmarkValidateByDecoding compare the produce
// path's two ways of checking an uncompressed batch's records: the
// structural walk and a full decode with the offset-delta check.
func BenchmarkScanRecords(b *testing.B) {
	raw, size := benchBatch(b, CodecNone)
	batch, err := NewBatch(raw)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		if _, ok := ScanRecords(batch.Header, batch.RecordsArea()); !ok {
			b.Fatal("valid batch rejected")
		}
	}
}

func BenchmarkValidateByDecoding(b *testing.B) {
	raw, size := benchBatch(b, CodecNone)
	batch, err := NewBatch(raw)
	if err != nil {
		b.Fatal(err)
	}
	var d Decoder
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		want := int32(0)
		maxTs := int64(-1)
		err := d.EachRecord(batch, func(r *Record) error {
			if r.OffsetDelta != want {
				return ErrInvalidRecord
			}
			want++
			maxTs = max(maxTs, r.Timestamp)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
