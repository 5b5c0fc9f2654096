package record

import "fmt"

// Batch is one whole v2 record batch: its decoded header and its raw bytes.
// Raw is exactly Header.Size() bytes and aliases the caller's buffer.
type Batch struct {
	Header
	Raw []byte
}

// NewBatch parses the v2 batch at the start of b and requires b to hold all
// of it; bytes after the batch are ignored. The CRC is not checked (see
// Batch.ValidCRC and Batch.Validate).
func NewBatch(b []byte) (Batch, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return Batch{}, err
	}
	size := h.Size()
	if len(b) < size {
		return Batch{}, fmt.Errorf("%w: batch needs %d bytes, have %d", ErrShortBuffer, size, len(b))
	}
	return Batch{Header: h, Raw: b[:size:size]}, nil
}

// ValidCRC reports whether the batch's stored CRC matches its contents.
func (b Batch) ValidCRC() bool { return ValidCRC(b.Raw) }

// RecordsArea returns the bytes after the header: the encoded records, or
// the compressed blob holding them when the codec is not none.
func (b Batch) RecordsArea() []byte {
	if len(b.Raw) < HeaderSize {
		return nil
	}
	return b.Raw[HeaderSize:]
}
