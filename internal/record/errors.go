package record

import (
	"errors"
	"fmt"
)

// Sentinel errors. Errors returned by this package wrap one of these, so
// callers classify failures with errors.Is and still get a message that says
// which field was wrong and where.
var (
	// ErrShortBuffer means the input ends before the structure it should
	// hold: fewer bytes than a batch header, or than a length field claims.
	ErrShortBuffer = errors.New("short buffer")
	// ErrBadMagic means the magic byte is not one this call accepts
	// (2 for batch calls, 0 or 1 for legacy calls, 0–2 for the iterator).
	ErrBadMagic = errors.New("unsupported magic")
	// ErrBadLength means a length or size field is impossible for its
	// structure, for example a batch length below the 49 bytes that follow
	// the length field of an empty v2 batch.
	ErrBadLength = errors.New("invalid length")
	// ErrBadCRC means a stored checksum does not match the bytes it covers.
	ErrBadCRC = errors.New("checksum mismatch")
	// ErrInvalidRecord means the records inside a batch or message set do
	// not parse exactly; it matches Kafka's InvalidRecordException.
	ErrInvalidRecord = errors.New("invalid record")
	// ErrBadCodec means the attributes name a compression codec that does
	// not exist (5–7), or one that is not allowed for the magic (zstd in
	// v0/v1).
	ErrBadCodec = errors.New("unknown compression codec")
	// ErrTooLarge means decompressing would exceed the caller's limit.
	ErrTooLarge = errors.New("decompressed size exceeds limit")
	// ErrCorruptCompressed means a compressed payload could not be decoded.
	ErrCorruptCompressed = errors.New("corrupt compressed data")
)

// CorruptError reports a malformed entry found while iterating over a
// region of concatenated entries. Position is the byte offset of the entry
// within the iterated slice; Err is one of the sentinel errors above.
type CorruptError struct {
	Position int
	Reason   string
	Err      error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("corrupt entry at position %d: %s", e.Position, e.Reason)
}

func (e *CorruptError) Unwrap() error { return e.Err }
