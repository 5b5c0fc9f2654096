package record

// ScanRecords checks the records of a v2 batch without decoding them into
// Records: it walks the length, attributes, timestamp delta, offset delta,
// key, value and headers of each record and verifies exactly what
// EachRecord verifies — h.NumRecords records fill area with no byte left
// over, every length varint is well formed and inside the bytes present,
// every record consumes exactly its declared length, no header has a null
// key — and, as a broker validating a produced batch must, that the offset
// deltas run 0, 1, …, NumRecords-1.
//
// area is the uncompressed records area: Batch.RecordsArea for CodecNone,
// the output of Decoder.RecordsArea otherwise. It returns the largest
// record timestamp as EachRecord resolves it (BaseTimestamp plus the delta,
// or MaxTimestamp for LogAppendTime batches; -1 for a batch without
// records) and true, or false as soon as any check fails. A false result
// means EachRecord with the same offset-delta check fails on the batch, so
// a caller that needs the reason decodes it with EachRecord; a true result
// means EachRecord succeeds. It reads nothing outside area and does not
// allocate.
//
// This is the produce path's validation when nothing needs the record
// fields themselves (no key check for compaction, no timestamp window, no
// re-encoding): Kafka's LogValidator iterates the records for the same
// checks, and a structural walk does that work without building a record.
func ScanRecords(h Header, area []byte) (maxTimestamp int64, ok bool) {
	if h.NumRecords < 0 {
		return 0, false
	}
	logAppend := h.TimestampType() == LogAppendTime
	maxTs := int64(-1)
	pos := 0
	for i := int32(0); i < h.NumRecords; i++ {
		if pos >= len(area) {
			return 0, false
		}
		n, tsDelta, offDelta, ok := scanRecord(area[pos:])
		if !ok || offDelta != i {
			return 0, false
		}
		pos += n
		ts := h.BaseTimestamp + tsDelta
		if logAppend {
			ts = h.MaxTimestamp
		}
		maxTs = max(maxTs, ts)
	}
	if pos != len(area) {
		return 0, false
	}
	return maxTs, true
}

// scanRecord checks the record at the start of b as parseRecord would
// decode it and returns its encoded size, timestamp delta and offset
// delta. Lengths and deltas inside a batch are mostly one- or two-byte
// varints, so shortVarint decodes those in line and only longer ones go
// through readVarint and readVarlong, which apply the limits parseRecord
// applies.
func scanRecord(b []byte) (n int, tsDelta int64, offDelta int32, ok bool) {
	var v int32
	var k int
	if v, k = shortVarint(b, 0); k == 0 {
		if v, k = readVarint(b); k == 0 {
			return 0, 0, 0, false
		}
	}
	if v < 0 || int(v) > len(b)-k {
		return 0, 0, 0, false
	}
	total := k + int(v)
	body := b[k:total]
	if len(body) < 1 { // attributes
		return 0, 0, 0, false
	}
	p := 1
	if v, k = shortVarint(body, p); k > 0 {
		tsDelta = int64(v)
	} else if tsDelta, k = readVarlong(body[p:]); k == 0 {
		return 0, 0, 0, false
	}
	p += k
	if offDelta, k = shortVarint(body, p); k == 0 {
		if offDelta, k = readVarint(body[p:]); k == 0 {
			return 0, 0, 0, false
		}
	}
	p += k
	// Key, value, then the header count.
	for field := 0; field < 3; field++ {
		if v, k = shortVarint(body, p); k == 0 {
			if v, k = readVarint(body[p:]); k == 0 {
				return 0, 0, 0, false
			}
		}
		p += k
		if field == 2 {
			break
		}
		if v < -1 || int(v) > len(body)-p {
			return 0, 0, 0, false
		}
		p += max(int(v), 0)
	}
	// Each header takes at least two bytes, as parseRecord requires.
	count := v
	if count < 0 || int(count) > (len(body)-p)/2 {
		return 0, 0, 0, false
	}
	for i := int32(0); i < 2*count; i++ { // key, value, key, value, …
		if v, k = shortVarint(body, p); k == 0 {
			if v, k = readVarint(body[p:]); k == 0 {
				return 0, 0, 0, false
			}
		}
		p += k
		if v < -1 || int(v) > len(body)-p || (v == -1 && i%2 == 0) { // a header key is never null
			return 0, 0, 0, false
		}
		p += max(int(v), 0)
	}
	if p != len(body) {
		return 0, 0, 0, false
	}
	return total, tsDelta, offDelta, true
}

// shortVarint decodes a zig-zag varint of one or two bytes at b[p:] and
// returns it with its length, or a length of 0 when the varint there is
// longer (or b ends first), leaving it to readVarint or readVarlong. Any
// one- or two-byte varint is valid for both.
func shortVarint(b []byte, p int) (int32, int) {
	if p >= len(b) {
		return 0, 0
	}
	u := uint32(b[p])
	if u < 0x80 {
		return int32(u>>1) ^ -int32(u&1), 1
	}
	if p+1 >= len(b) || b[p+1] >= 0x80 {
		return 0, 0
	}
	u = u&0x7f | uint32(b[p+1])<<7
	return int32(u>>1) ^ -int32(u&1), 2
}

// RecordsArea returns the uncompressed records of b: b's own bytes after
// the header for CodecNone, otherwise the decompressed records in the
// decoder's buffer, valid until the decoder's next call. Decompression is
// bounded by MaxDecompressedSize.
func (d *Decoder) RecordsArea(b Batch) ([]byte, error) {
	return d.recordsArea(b)
}
