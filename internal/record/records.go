package record

import (
	"errors"
	"fmt"
)

// RecordHeader is one header of a v2 record. Key is never nil for a
// decoded header; a nil Value is a null header value.
type RecordHeader struct {
	Key   []byte
	Value []byte
}

// Record is one record of a v2 batch. When decoded, Offset, Timestamp and
// Sequence are resolved from the batch header and the record's deltas, and
// Key, Value and the header slices alias the batch (or the decompression
// buffer). A nil Key or Value is null (a nil Value is a tombstone); a
// non-nil empty slice is empty.
type Record struct {
	Attributes     int8
	TimestampDelta int64
	OffsetDelta    int32
	Offset         int64 // BaseOffset + OffsetDelta
	// Timestamp is BaseTimestamp + TimestampDelta, or the batch's
	// MaxTimestamp when the batch uses LogAppendTime (as Kafka reads it).
	Timestamp int64
	// Sequence is BaseSequence + OffsetDelta (wrapping), -1 without one.
	Sequence int32
	Key      []byte
	Value    []byte
	Headers  []RecordHeader
}

// Decoder decodes the records of v2 batches and legacy message sets,
// decompressing within a size limit. It keeps a decompression buffer and a
// Record between calls so that repeated decoding does not allocate per
// batch; the Record and slices passed to callbacks are only valid during
// the callback. The zero value uses DefaultMaxDecompressedSize. A Decoder
// is not safe for concurrent use.
type Decoder struct {
	// MaxDecompressedSize bounds the decompressed records area of one batch
	// (or inner message set of one legacy wrapper); 0 means
	// DefaultMaxDecompressedSize.
	MaxDecompressedSize int

	buf    []byte
	rec    Record
	legacy LegacyMessage
}

func (d *Decoder) limit() int {
	if d.MaxDecompressedSize > 0 {
		return d.MaxDecompressedSize
	}
	return DefaultMaxDecompressedSize
}

// EachRecord decodes the records of b, decompressing them with the default
// limit, and calls fn for each with one reused *Record whose slices alias
// b.Raw or a buffer owned by this call. Iteration stops at the first error
// from fn, which is returned unchanged. Records that do not parse exactly
// give an error wrapping ErrInvalidRecord.
func (b Batch) EachRecord(fn func(r *Record) error) error {
	if b.Codec() == CodecNone && len(b.Raw) >= HeaderSize && len(b.Raw) == b.Size() {
		var r Record
		return eachRecord(b.Header, b.Raw[HeaderSize:], &r, fn)
	}
	var d Decoder
	return d.EachRecord(b, fn)
}

// Records decodes all records of b into a new slice. The records' byte
// slices alias b.Raw (or a fresh decompression buffer), so they stay valid
// as long as b.Raw is not modified.
func (b Batch) Records() ([]Record, error) {
	var d Decoder
	return d.appendRecords(nil, b)
}

// EachRecord is Batch.EachRecord with the decoder's limit and buffers. The
// *Record passed to fn and every slice in it are valid only until fn
// returns.
func (d *Decoder) EachRecord(b Batch, fn func(r *Record) error) error {
	area, err := d.recordsArea(b)
	if err != nil {
		return err
	}
	return eachRecord(b.Header, area, &d.rec, fn)
}

// Records decodes all records of b into a new slice. Unlike EachRecord the
// result does not alias the decoder's buffer, so it stays valid after later
// calls.
func (d *Decoder) Records(b Batch) ([]Record, error) {
	return d.appendRecords(nil, b)
}

func (d *Decoder) appendRecords(dst []Record, b Batch) ([]Record, error) {
	area, err := d.recordsArea(b)
	if err != nil {
		return dst, err
	}
	if b.Codec() != CodecNone {
		// The decoder's buffer is reused by the next call; give the result
		// its own copy.
		area = append([]byte(nil), area...)
	}
	// A record takes at least 7 bytes, so the area bounds the count no
	// matter what NumRecords claims.
	if n := int(b.NumRecords); n > 0 {
		dst = make([]Record, 0, min(n, len(area)/7))
	}
	var r Record
	err = eachRecord(b.Header, area, &r, func(r *Record) error {
		c := *r
		if len(r.Headers) > 0 {
			c.Headers = append([]RecordHeader(nil), r.Headers...)
		} else {
			c.Headers = nil
		}
		dst = append(dst, c)
		return nil
	})
	return dst, err
}

// recordsArea returns the uncompressed records of b, decompressing into the
// decoder's buffer when needed.
func (d *Decoder) recordsArea(b Batch) ([]byte, error) {
	if len(b.Raw) < HeaderSize || len(b.Raw) != b.Size() {
		return nil, fmt.Errorf("%w: batch raw length %d does not match its length field (%d)", ErrShortBuffer, len(b.Raw), b.Size())
	}
	area := b.Raw[HeaderSize:]
	codec := b.Codec()
	if codec == CodecNone {
		return area, nil
	}
	out, err := decompress(d.buf[:0], codec, area, d.limit(), false)
	if err != nil {
		return nil, fmt.Errorf("decompress batch at offset %d: %w", b.BaseOffset, err)
	}
	d.buf = out
	return out, nil
}

// eachRecord parses exactly h.NumRecords records filling area and calls fn
// for each, reusing r.
func eachRecord(h Header, area []byte, r *Record, fn func(r *Record) error) error {
	if h.NumRecords < 0 {
		return fmt.Errorf("%w: negative record count %d", ErrInvalidRecord, h.NumRecords)
	}
	logAppend := h.TimestampType() == LogAppendTime
	pos := 0
	for i := int32(0); i < h.NumRecords; i++ {
		if pos >= len(area) {
			return fmt.Errorf("%w: batch at offset %d declares %d records but holds %d", ErrInvalidRecord, h.BaseOffset, h.NumRecords, i)
		}
		n, err := parseRecord(area[pos:], r)
		if err != nil {
			return fmt.Errorf("%w: record %d of batch at offset %d: %w", ErrInvalidRecord, i, h.BaseOffset, err)
		}
		pos += n
		r.Offset = h.BaseOffset + int64(r.OffsetDelta)
		if logAppend {
			r.Timestamp = h.MaxTimestamp
		} else {
			r.Timestamp = h.BaseTimestamp + r.TimestampDelta
		}
		r.Sequence = sequenceAdd(h.BaseSequence, r.OffsetDelta)
		if err := fn(r); err != nil {
			return err
		}
	}
	if pos != len(area) {
		return fmt.Errorf("%w: %d bytes left after the %d records of batch at offset %d", ErrInvalidRecord, len(area)-pos, h.NumRecords, h.BaseOffset)
	}
	return nil
}

// Errors naming the record field that failed; wrapped in ErrInvalidRecord
// by eachRecord.
var (
	errRecordLength = errors.New("bad record length")
	errRecordField  = errors.New("truncated or malformed field")
)

// parseRecord decodes one record from the start of b into r and returns
// the bytes consumed (the length varint plus the length it gives). The
// record must consume exactly its declared length.
func parseRecord(b []byte, r *Record) (int, error) {
	length, n := readVarint(b)
	if n == 0 {
		return 0, fmt.Errorf("%w: unreadable length varint", errRecordLength)
	}
	if length < 0 || int(length) > len(b)-n {
		return 0, fmt.Errorf("%w: %d with %d bytes left", errRecordLength, length, len(b)-n)
	}
	total := n + int(length)
	body := b[n:total]
	p := 0
	if len(body) < 1 {
		return 0, fmt.Errorf("%w: attributes", errRecordField)
	}
	r.Attributes = int8(body[0])
	p++
	var k int
	if r.TimestampDelta, k = readVarlong(body[p:]); k == 0 {
		return 0, fmt.Errorf("%w: timestamp delta", errRecordField)
	}
	p += k
	if r.OffsetDelta, k = readVarint(body[p:]); k == 0 {
		return 0, fmt.Errorf("%w: offset delta", errRecordField)
	}
	p += k
	var err error
	if r.Key, p, err = readBytes(body, p, "key"); err != nil {
		return 0, err
	}
	if r.Value, p, err = readBytes(body, p, "value"); err != nil {
		return 0, err
	}
	count, k := readVarint(body[p:])
	if k == 0 {
		return 0, fmt.Errorf("%w: header count", errRecordField)
	}
	p += k
	// Each header takes at least two bytes (two length varints).
	if count < 0 || int(count) > (len(body)-p)/2 {
		return 0, fmt.Errorf("%w: header count %d with %d bytes left", errRecordField, count, len(body)-p)
	}
	r.Headers = r.Headers[:0]
	for i := int32(0); i < count; i++ {
		var h RecordHeader
		if h.Key, p, err = readBytes(body, p, "header key"); err != nil {
			return 0, err
		}
		if h.Key == nil {
			return 0, fmt.Errorf("%w: header %d has a null key", errRecordField, i)
		}
		if h.Value, p, err = readBytes(body, p, "header value"); err != nil {
			return 0, err
		}
		r.Headers = append(r.Headers, h)
	}
	if p != len(body) {
		return 0, fmt.Errorf("%w: record length %d but fields take %d", errRecordLength, length, p)
	}
	return total, nil
}

// readBytes reads a varint length (-1 = null) and that many bytes from b at
// p, returning the slice (nil when null, capacity-limited so appends cannot
// overwrite what follows) and the new position.
func readBytes(b []byte, p int, field string) ([]byte, int, error) {
	n, k := readVarint(b[p:])
	if k == 0 {
		return nil, p, fmt.Errorf("%w: %s length", errRecordField, field)
	}
	p += k
	if n == -1 {
		return nil, p, nil
	}
	if n < -1 || int(n) > len(b)-p {
		return nil, p, fmt.Errorf("%w: %s length %d with %d bytes left", errRecordField, field, n, len(b)-p)
	}
	end := p + int(n)
	return b[p:end:end], end, nil
}

// Validate checks a batch as a broker must before appending it from a
// produce request: the CRC matches, the codec exists, the records parse
// exactly and their count matches NumRecords, the offset deltas run
// 0, 1, …, NumRecords-1 and agree with LastOffsetDelta (Kafka's
// "inconsistent batch offset range" check). Batches rewritten by log
// compaction may legitimately have offset gaps and are not meant for this.
func (d *Decoder) Validate(b Batch) error {
	if !b.ValidCRC() {
		return fmt.Errorf("batch at offset %d: %w: stored %d, computed %d", b.BaseOffset, ErrBadCRC, b.CRC, ComputeCRC(b.Raw))
	}
	if !b.Codec().Valid() {
		return fmt.Errorf("batch at offset %d: %w: %d", b.BaseOffset, ErrBadCodec, int8(b.Codec()))
	}
	if b.NumRecords <= 0 {
		return fmt.Errorf("%w: batch at offset %d has record count %d", ErrInvalidRecord, b.BaseOffset, b.NumRecords)
	}
	if int64(b.LastOffsetDelta)+1 != int64(b.NumRecords) {
		return fmt.Errorf("%w: batch at offset %d has last offset delta %d but %d records", ErrInvalidRecord, b.BaseOffset, b.LastOffsetDelta, b.NumRecords)
	}
	var want int32
	return d.EachRecord(b, func(r *Record) error {
		if r.OffsetDelta != want {
			return fmt.Errorf("%w: record %d of batch at offset %d has offset delta %d", ErrInvalidRecord, want, b.BaseOffset, r.OffsetDelta)
		}
		want++
		return nil
	})
}

// Validate is Decoder.Validate with the default decompression limit.
func (b Batch) Validate() error {
	var d Decoder
	return d.Validate(b)
}
