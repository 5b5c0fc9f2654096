package server

// Zero-copy fetch responses. A fetch of large regions would otherwise read
// each region from its segment into memory and copy it again into the
// response frame. Instead the fetch handler leaves each large region in the
// response as a placeholder (regionMarker) and hands the region to the
// connection; after encoding, spliceRegions cuts the frame at the
// placeholders and the writer sends the pieces in order: the bytes around
// them through its buffer, each region with sendfile(2) straight from the
// segment file. Small regions are still copied: one write beats a flush
// and a sendfile per partition when a response carries a few records from
// many partitions.
//
// As with Kafka's transferTo, the kernel may still be sending a region's
// pages after sendfile returns, so a truncation of the same segment right
// then (a former leader cutting its divergent tail, which lies above the
// high watermark where only followers read, and they check every batch's
// CRC) can change bytes already queued; a truncation before the send
// makes it fail and closes the connection.

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net"

	"github.com/kafkakit/kafkakit/internal/log"
)

// zeroCopyMin is the smallest region sent from the file.
const zeroCopyMin = 32 << 10

// regionMarker is the placeholder value of a region's records field: random
// per process, so that nothing else in a response carries it.
var regionMarker = func() [16]byte {
	var m [16]byte
	rand.Read(m[:])
	return m
}()

// canZeroCopy reports whether regions can be sent to nc with sendfile.
func canZeroCopy(nc net.Conn) bool {
	_, ok := nc.(*net.TCPConn)
	return ok
}

// outFrame is an encoded response on its way to the writer: buf, or, when
// parts is set, the parts in order. buf is the pooled buffer behind it.
type outFrame struct {
	buf   []byte
	parts []framePart
}

// framePart is bytes of a frame followed, unless nil, by a log region.
type framePart struct {
	data   []byte
	region *log.ReadResult
}

// release lets go of the frame's regions; it is safe after they were sent.
func (f *outFrame) release() {
	for _, p := range f.parts {
		if p.region != nil {
			p.region.Release()
		}
	}
}

// addRegion queues r to be sent in the response being built and returns
// the placeholder to put in its records field.
func (c *conn) addRegion(r *log.ReadResult) []byte {
	c.regions = append(c.regions, r)
	return regionMarker[:]
}

// regionBytes is the number of record bytes the queued regions add to the
// response beyond their placeholders.
func (c *conn) regionBytes() int {
	n := 0
	for _, r := range c.regions {
		n += int(r.Size()) - len(regionMarker)
	}
	return n
}

// dropRegions releases the queued regions (the response is not sent).
func (c *conn) dropRegions() {
	for _, r := range c.regions {
		r.Release()
	}
	clear(c.regions)
	c.regions = c.regions[:0]
}

var errNoPlaceholder = errors.New("fetch response: region placeholder not found")

// spliceRegions turns the encoded frame buf, whose queued regions are
// placeholders, into parts that send each region in its place, with the
// records field's length prefix and the frame's size prefix rewritten for
// the real lengths. flexible says the response uses compact encodings: the
// placeholder's prefix is then a one-byte unsigned varint of length+1,
// otherwise a four-byte length.
func (c *conn) spliceRegions(buf []byte, flexible bool) (outFrame, error) {
	f := outFrame{buf: buf, parts: make([]framePart, 0, len(c.regions)+1)}
	oldLen := 4
	if flexible {
		oldLen = 1
	}
	var prefix [binary.MaxVarintLen64]byte
	start, total := 0, 0
	for _, r := range c.regions {
		at := bytes.Index(buf[start:], regionMarker[:]) + start // start-1 if missing
		from := at - oldLen
		if from < start || !isPlaceholderPrefix(buf[from:at], flexible) {
			c.dropRegions() // also those already in f.parts
			return outFrame{}, errNoPlaceholder
		}
		size := r.Size()
		p := binary.BigEndian.AppendUint32(prefix[:0], uint32(size))
		if flexible {
			p = binary.AppendUvarint(prefix[:0], uint64(size+1))
		}
		// The new prefix is never longer than the old prefix and the
		// placeholder together, so it is written over them.
		n := copy(buf[from:], p)
		f.parts = append(f.parts, framePart{data: buf[start : from+n], region: r})
		total += from + n - start + int(size)
		start = at + len(regionMarker)
	}
	f.parts = append(f.parts, framePart{data: buf[start:]})
	total += len(buf) - start
	binary.BigEndian.PutUint32(buf, uint32(total-4))
	clear(c.regions)
	c.regions = c.regions[:0]
	return f, nil
}

// isPlaceholderPrefix reports whether b is the length prefix the encoder
// writes before a placeholder.
func isPlaceholderPrefix(b []byte, flexible bool) bool {
	if flexible {
		return b[0] == byte(len(regionMarker)+1)
	}
	return binary.BigEndian.Uint32(b) == uint32(len(regionMarker))
}
