package dumplog

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// This file reads Kafka "generated message" structs (the metadata records,
// the raft control records, the group coordinator records, the consumer
// protocol and the transaction log) from their wire encoding into ordered
// JSON objects that print exactly like Kafka's generated JsonConverter
// classes: fields in schema order, only those present in the version,
// tagged fields only when they differ from their default.

type kind uint8

const (
	tBool kind = iota
	tInt8
	tInt16
	tUint16
	tInt32
	tUint32
	tInt64
	tFloat64
	tString
	tBytes
	tUUID
	tRecords
	tStruct
)

// vrange is a range of message versions; the zero value is empty.
type vrange struct {
	lo, hi int16
	ok     bool
}

var vNone = vrange{}

func vFrom(v int16) vrange     { return vrange{lo: v, hi: math.MaxInt16, ok: true} }
func vRange(a, b int16) vrange { return vrange{lo: a, hi: b, ok: true} }

func (r vrange) has(v int16) bool { return r.ok && v >= r.lo && v <= r.hi }

// msgField describes one field of a message schema. name is the JSON
// (camelCase) name; def is the schema's default literal, if any.
type msgField struct {
	name     string
	kind     kind
	array    bool
	versions vrange
	nullable vrange
	tagged   vrange
	tag      int
	def      string
	fields   []*msgField
}

type msgSchema struct {
	name     string
	valid    vrange
	flexible vrange
	fields   []*msgField
}

var errUnderflow = errors.New("buffer underflow")

// msgReader walks one encoded message. All reads are bounds-checked.
type msgReader struct {
	b        []byte
	off      int
	flexible bool
	valid    vrange // the message's valid versions
	name     string // the message's name, for errors
}

// versionError is Kafka's UnsupportedVersionException from a generated
// reader.
type versionError struct {
	version int16
	name    string
}

func (e *versionError) Error() string {
	return fmt.Sprintf("can't read version %d of %s", e.version, e.name)
}

// kafkaMessage renders err as the message text of the Java exception Kafka
// would have raised, for outputs that embed it.
func kafkaMessage(err error) string {
	var ve *versionError
	switch {
	case errors.As(err, &ve):
		return fmt.Sprintf("Can't read version %d of %s", ve.version, ve.name)
	case errors.Is(err, errUnderflow):
		return "null" // BufferUnderflowException has no message
	}
	return err.Error()
}

func (r *msgReader) remaining() int { return len(r.b) - r.off }

func (r *msgReader) take(n int) ([]byte, error) {
	if n < 0 || n > r.remaining() {
		return nil, errUnderflow
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s, nil
}

func (r *msgReader) int8() (int8, error) {
	s, err := r.take(1)
	if err != nil {
		return 0, err
	}
	return int8(s[0]), nil
}

func (r *msgReader) int16() (int16, error) {
	s, err := r.take(2)
	if err != nil {
		return 0, err
	}
	return int16(binary.BigEndian.Uint16(s)), nil
}

func (r *msgReader) int32() (int32, error) {
	s, err := r.take(4)
	if err != nil {
		return 0, err
	}
	return int32(binary.BigEndian.Uint32(s)), nil
}

func (r *msgReader) int64() (int64, error) {
	s, err := r.take(8)
	if err != nil {
		return 0, err
	}
	return int64(binary.BigEndian.Uint64(s)), nil
}

// uvarint reads Kafka's unsigned varint (at most 5 bytes, 32 bits).
func (r *msgReader) uvarint() (uint32, error) {
	var v uint32
	for i := 0; i < 5; i++ {
		s, err := r.take(1)
		if err != nil {
			return 0, err
		}
		v |= uint32(s[0]&0x7f) << (7 * i)
		if s[0]&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errors.New("varint is too long")
}

// length reads a string, bytes or array length: a compact (uvarint, +1)
// length in flexible versions, else an int16 (strings) or int32 (the
// rest). -1 means null.
func (r *msgReader) length(short bool) (int, error) {
	if r.flexible {
		n, err := r.uvarint()
		if err != nil {
			return 0, err
		}
		return int(n) - 1, nil
	}
	if short {
		n, err := r.int16()
		return int(n), err
	}
	n, err := r.int32()
	return int(n), err
}

// decode reads a message of this schema at the given version and returns
// its JSON form and the number of bytes it used.
func (s *msgSchema) decode(b []byte, version int16) (*jobj, int, error) {
	// Kafka's generated readers do not check the top-level version (fields
	// simply follow their version ranges), but nested structs refuse
	// versions outside the message's valid range.
	r := &msgReader{b: b, flexible: s.flexible.has(version), valid: s.valid, name: s.name}
	o, err := r.readStruct(s.fields, version)
	if err != nil {
		return nil, r.off, err
	}
	return o, r.off, nil
}

func (r *msgReader) readStruct(fields []*msgField, version int16) (*jobj, error) {
	vals := make([]any, len(fields))
	set := make([]bool, len(fields))
	for i, f := range fields {
		if !f.versions.has(version) || (r.flexible && f.tagged.has(version)) {
			continue
		}
		v, err := r.readField(f, version)
		if err != nil {
			return nil, err
		}
		vals[i], set[i] = v, true
	}
	if r.flexible {
		n, err := r.uvarint()
		if err != nil {
			return nil, err
		}
		for k := uint32(0); k < n; k++ {
			tag, err := r.uvarint()
			if err != nil {
				return nil, err
			}
			size, err := r.uvarint()
			if err != nil {
				return nil, err
			}
			data, err := r.take(int(size))
			if err != nil {
				return nil, err
			}
			for i, f := range fields {
				if f.versions.has(version) && f.tagged.has(version) && f.tag == int(tag) {
					sub := &msgReader{b: data, flexible: true, valid: r.valid, name: r.name}
					v, err := sub.readField(f, version)
					if err != nil {
						return nil, fmt.Errorf("tagged field %s: %w", f.name, err)
					}
					if jsonString(v) != jsonString(fieldDefault(f, version)) {
						vals[i], set[i] = v, true
					}
				}
			}
		}
	}
	o := &jobj{}
	for i, f := range fields {
		if set[i] {
			o.set(f.name, vals[i])
		}
	}
	return o, nil
}

func (r *msgReader) readField(f *msgField, version int16) (any, error) {
	if !f.array {
		return r.readValue(f, version)
	}
	n, err := r.length(false)
	if err != nil {
		return nil, err
	}
	if n < 0 {
		if !f.nullable.has(version) {
			return nil, fmt.Errorf("non-nullable field %s was serialized as null", f.name)
		}
		return nil, nil
	}
	if n > r.remaining() {
		// Every element takes at least one byte: refuse absurd counts
		// before allocating.
		return nil, errUnderflow
	}
	arr := make([]any, 0, n)
	for i := 0; i < n; i++ {
		v, err := r.readValue(f, version)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
	}
	return arr, nil
}

func (r *msgReader) readValue(f *msgField, version int16) (any, error) {
	switch f.kind {
	case tBool:
		v, err := r.int8()
		return v != 0, err
	case tInt8:
		v, err := r.int8()
		return int64(v), err
	case tInt16:
		v, err := r.int16()
		return int64(v), err
	case tUint16:
		v, err := r.int16()
		return int64(uint16(v)), err
	case tInt32:
		v, err := r.int32()
		return int64(v), err
	case tUint32:
		v, err := r.int32()
		return int64(uint32(v)), err
	case tInt64:
		return r.int64()
	case tFloat64:
		v, err := r.int64()
		return math.Float64frombits(uint64(v)), err
	case tUUID:
		s, err := r.take(16)
		if err != nil {
			return nil, err
		}
		return uuidString(s), nil
	case tString, tBytes, tRecords:
		n, err := r.length(f.kind == tString)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			if n != -1 && !r.flexible {
				return nil, fmt.Errorf("field %s had invalid length %d", f.name, n)
			}
			if !f.nullable.has(version) {
				return nil, fmt.Errorf("non-nullable field %s was serialized as null", f.name)
			}
			return nil, nil
		}
		s, err := r.take(n)
		if err != nil {
			return nil, err
		}
		if f.kind == tString {
			return javaString(s), nil
		}
		if f.kind == tRecords {
			return []byte{}, nil
		}
		return append([]byte{}, s...), nil
	case tStruct:
		// A nullable struct (not an array of structs, whose nullability is
		// the array's) starts with a presence byte.
		if !f.array && f.nullable.has(version) {
			p, err := r.int8()
			if err != nil {
				return nil, err
			}
			if p < 0 {
				return nil, nil
			}
		}
		if !r.valid.has(version) {
			return nil, &versionError{version: version, name: r.name}
		}
		return r.readStruct(f.fields, version)
	}
	return nil, fmt.Errorf("field %s has an unknown type", f.name)
}

// uuidString renders a 16-byte UUID as Kafka's Uuid.toString does:
// URL-safe base64 without padding.
func uuidString(b []byte) string {
	return base64.RawURLEncoding.EncodeToString(b)
}

// fieldDefault is the value a field holds when absent, used to decide
// whether a tagged field is written.
func fieldDefault(f *msgField, version int16) any {
	if f.def == "null" {
		return nil
	}
	if f.array {
		return []any{}
	}
	switch f.kind {
	case tBool:
		return f.def == "true"
	case tInt8, tInt16, tUint16, tInt32, tUint32, tInt64:
		if f.def == "" {
			return int64(0)
		}
		d := strings.ToLower(f.def)
		if strings.HasPrefix(d, "0x") {
			v, _ := strconv.ParseInt(d[2:], 16, 64)
			return v
		}
		v, _ := strconv.ParseInt(d, 10, 64)
		return v
	case tFloat64:
		v, _ := strconv.ParseFloat(f.def, 64)
		return v
	case tString:
		return f.def
	case tUUID:
		return uuidString(make([]byte, 16))
	case tBytes, tRecords:
		return []byte{}
	case tStruct:
		o := &jobj{}
		for _, sf := range f.fields {
			if sf.versions.has(version) && !sf.tagged.has(version) {
				o.set(sf.name, fieldDefault(sf, version))
			}
		}
		return o
	}
	return nil
}
