package log

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/kafkakit/kafkakit/internal/record"
)

// entryInfo describes one entry of a segment file: a v2 batch or a legacy
// (magic 0/1) message, which this log can read from old Kafka segments but
// never writes.
type entryInfo struct {
	pos          int64 // byte position in the .log
	size         int64
	magic        int8
	baseOffset   int64 // for legacy entries the entry's (last) offset
	lastOffset   int64
	maxTimestamp int64
	leaderEpoch  int32 // -1 for legacy entries
	hdr          record.Header
	raw          []byte // whole entry when scanning in full mode, else nil
}

// Minimum sizes of the length field by magic.
const (
	minV2Length     = record.HeaderSize - record.LogOverhead // 49
	minLegacyLength = 14
	magicPos        = 16
)

// scanner walks the entries of a segment file from a position, reading
// through a buffer. In full mode every entry is read completely (for CRC
// checks and record decoding); otherwise only its header.
//
// It stops at the end limit, at a torn tail (an entry that does not fit
// before limit) or at a corrupt entry (impossible length or magic). torn
// and corrupt say why it stopped; pos is then where the valid bytes end.
type scanner struct {
	r       io.ReaderAt
	pos     int64
	limit   int64
	full    bool
	buf     []byte
	bstart  int64
	blen    int
	cur     entryInfo
	err     error // I/O error
	corrupt error // description of a corrupt entry at pos
	torn    bool
}

func newScanner(r io.ReaderAt, start, limit int64, full bool, bufSize int) *scanner {
	return &scanner{r: r, pos: start, limit: limit, full: full, buf: make([]byte, bufSize)}
}

// newScannerBuf is newScanner reading through the caller's buffer.
func newScannerBuf(r io.ReaderAt, start, limit int64, buf []byte) *scanner {
	return &scanner{r: r, pos: start, limit: limit, buf: buf}
}

// ensure makes the buffer hold [pos, pos+n), reading from the file if
// needed. It reports false if the file ends (or the limit is reached)
// first.
func (s *scanner) ensure(n int64) bool {
	if s.pos+n > s.limit {
		return false
	}
	if s.pos >= s.bstart && s.pos+n <= s.bstart+int64(s.blen) {
		return true
	}
	if n > int64(len(s.buf)) {
		s.buf = make([]byte, n)
	}
	want := min(int64(len(s.buf)), s.limit-s.pos)
	m, err := s.r.ReadAt(s.buf[:want], s.pos)
	if err != nil && !errors.Is(err, io.EOF) {
		s.err = err
		return false
	}
	s.bstart, s.blen = s.pos, m
	return int64(m) >= n
}

func (s *scanner) at(n int64) []byte {
	off := s.pos - s.bstart
	return s.buf[off : off+n]
}

// next advances to the next entry; cur describes it.
func (s *scanner) next() bool {
	if s.err != nil || s.corrupt != nil || s.torn || s.pos >= s.limit {
		return false
	}
	if !s.ensure(magicPos + 1) {
		s.torn = s.err == nil
		return false
	}
	head := s.at(magicPos + 1)
	length := int32(binary.BigEndian.Uint32(head[8:]))
	magic := int8(head[magicPos])
	switch {
	case magic < 0 || magic > 2:
		s.corrupt = fmt.Errorf("unknown magic %d at position %d", magic, s.pos)
		return false
	case magic == 2 && length < minV2Length, magic < 2 && length < minLegacyLength:
		s.corrupt = fmt.Errorf("entry length %d at position %d is below the minimum for magic %d", length, s.pos, magic)
		return false
	}
	size := int64(record.LogOverhead) + int64(length)
	if s.pos+size > s.limit {
		s.torn = true
		return false
	}
	need := size
	if !s.full {
		need = min(size, record.HeaderSize)
	}
	if !s.ensure(need) {
		s.torn = s.err == nil
		return false
	}
	b := s.at(need)
	e := entryInfo{pos: s.pos, size: size, magic: magic}
	if s.full {
		e.raw = b
	}
	if magic == 2 {
		h, err := record.ParseHeader(b)
		if err != nil {
			s.corrupt = fmt.Errorf("batch at position %d: %w", s.pos, err)
			return false
		}
		e.hdr = h
		e.baseOffset, e.lastOffset = h.BaseOffset, h.LastOffset()
		e.maxTimestamp, e.leaderEpoch = h.MaxTimestamp, h.PartitionLeaderEpoch
	} else {
		h, err := record.ParseLegacyHeader(b)
		if err != nil {
			s.corrupt = fmt.Errorf("message at position %d: %w", s.pos, err)
			return false
		}
		e.baseOffset, e.lastOffset = h.Offset, h.Offset
		e.maxTimestamp, e.leaderEpoch = h.Timestamp, -1
	}
	s.cur = e
	s.pos += size
	return true
}

// validCRC checks the current entry's checksum (full mode only).
func (e *entryInfo) validCRC() bool {
	if e.magic == 2 {
		return record.ValidCRC(e.raw)
	}
	return record.ValidLegacyCRC(e.raw)
}
