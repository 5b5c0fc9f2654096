package record

import "testing"

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
